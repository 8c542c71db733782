"""Thế giới & Việt Nam (baoquocte.vn), the Foreign Ministry's paper.

Facts from ../shared/sources.md (section 7): the site-wide feed
https://baoquocte.vn/rss_feed/ (per-category /rss/<cat>.rss answers 404); the
categories /thoi-su, /the-gioi, /kinh-te; listing items `div.bx-list-left.lt
div.article` with `a[title][href]` (marked as assumed by its author). Article URLs
/<slug>-<id>.html are inferred from the English edition. The article markup and
date text are unknown: the spider reads the MasterCMS-style model described in
tests/mirror/README.md, and falls back on JSON-LD and meta tags for the fields.
"""

from __future__ import annotations

import re

from scrapy.http import Response

from spiders import SPIDER_LABELS
from spiders.base import PAGE_META, NewsSpider
from spiders.page import Fields, Page, text_of

CATEGORIES = ("thoi-su", "the-gioi", "kinh-te")
#: Articles per listing page; the site pages with `&BRSR=<offset>` in steps of this.
LISTING_PAGE_SIZE = 15


class BaoquocteSpider(NewsSpider):
    name = "baoquocte"
    label = SPIDER_LABELS["baoquocte"]
    site_host = "baoquocte.vn"
    language = "vi"
    languages = ("vi",)

    feeds = ("https://baoquocte.vn/rss_feed/",)
    listing_pages = tuple(f"https://baoquocte.vn/{cat}" for cat in CATEGORIES)

    # Only the Vietnamese edition: en.baoquocte.vn has the same URL shape but is another language.
    article_url_re = re.compile(r"^https?://(?:www\.)?baoquocte\.vn/[a-z0-9-]+-\d{5,}\.html$")
    skip_url_re = re.compile(r"/(?:video|photo|emagazine|infographic|tags?)/")
    boilerplate_res = (
        re.compile(r"^(?:Tin|Bài) liên quan\b", re.I),
        re.compile(r"^Quảng cáo$", re.I),
    )
    # The paper's brand opens every sapo: "TG&VN. ", sometimes "TG&VN - ".
    lead_prefix_re = re.compile(r"^\s*TG\s*&\s*VN\s*[.:\-–—]\s*", re.I)

    listing_selector = "div.bx-list-left div.article a[title][href]"

    def next_page(self, page: Page, response: Response) -> str | None:
        """The next listing page: the site pages with `&fv=<date>&s_cond=&BRSR=<offset>`
        (15 a page); a `.pagination a.next` link is taken where a page has one."""
        link = page.one(".pagination a.next[href]")
        if link is not None:
            return link.get("href")
        found = sum(
            1 for href in self.listing_links(page, response) if self.is_article_url(response.urljoin(href))
        )
        if found < LISTING_PAGE_SIZE:
            return None  # a page that is not full is the last one
        number = response.meta.get(PAGE_META, 1)
        return brsr_page(response.url, number * LISTING_PAGE_SIZE)

    def extract_fields(self, page: Page, response: Response) -> Fields:
        content = page.one(
            (".article-detail div.__MASTERCMS_CONTENT", "div.__MASTERCMS_CONTENT", "#__MB_MASTERCMS_EL_3")
        )
        # Direct <p> children only: photo tables (with caption <p>s), the related box and ads nest theirs.
        paragraphs = [text_of(p) for p in content.iterchildren("p")] if content is not None else []
        return Fields(
            title=page.text((".article-detail h1.article-detail-title", "h1.article-detail-title")),
            lead=page.text("div.article-detail-desc"),
            paragraphs=paragraphs,
            dates=[page.text(".article-detail-meta .time")],
            author=page.text(".article-detail-meta .author"),
            tags=page.texts(".article-tag a[href]"),
            canonical=page.canonical(),
        )


def brsr_page(url: str, offset: int) -> str:
    """A category listing at ``offset``: `<category>&fv=<date>&s_cond=&BRSR=<offset>` (the date
    kept from the URL when it has one)."""
    base, _, query = url.partition("&")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    fv = params.get("fv", "")
    return f"{base}&fv={fv}&s_cond=&BRSR={offset}"
