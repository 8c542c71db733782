"""The "cms" CMS family (VietnamPlus, Nhân Dân, VOV World, Tiền Phong…): one article
markup, many skins. A site spider on this base says where its pages are and what
is odd about them (lead prefixes, credits, stray labels); the reading is here.

Markup facts are from ../shared/sources.md ("cms" CMS family): title
`h1.article__title` / `h1.article__header.cms-title`, sapo `div.article__sapo.cms-desc`,
body `div.article__body.cms-body`, date `time.time` or `meta.cms-date[itemprop=datePublished]`,
author `a.cms-author` / `div.article__author`, listings `.abf-cate` / `.timeline` stories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bs4 import BeautifulSoup, Tag
from scrapy.http import Response

from spiders.base import NewsSpider, json_ld, meta_content, text_of

#: Body paragraphs that are furniture in every edition: agency credits alone on a line,
#: inline "read more" links, share labels.
CMS_BOILERPLATE = (
    re.compile(r"^\(?\s*(?:TTXVN|Vietnam\+|TTXVN/Vietnam\+|VNA|VNA/VietnamPlus|ВИА|Вьетнам\+|VOV|VOVWORLD)\s*\)?\s*$", re.I),
    re.compile(r"^(?:Xem thêm|Đọc thêm|Tin liên quan|Read more|Related news|Читайте также|См\. также)\s*:", re.I),
    re.compile(r"^(?:Chia sẻ|Share|Поделиться)$", re.I),
)


def first(soup: BeautifulSoup | Tag, selectors: Sequence[str]) -> Tag | None:
    """The first element matching the first selector that matches at all (priority order,
    unlike a CSS selector group, which answers in document order)."""
    for selector in selectors:
        node = soup.select_one(selector)
        if node is not None:
            return node
    return None


class CmsSpider(NewsSpider):
    """Shared reading of "cms"-family pages. Subclasses set name, hosts, feeds/listings/
    sitemaps and article_url_re, and may narrow any selector below."""

    # Each selector tuple is tried in order; the first that matches anything wins.
    title_selectors: Sequence[str] = ("h1.article__title", "h1.article__header.cms-title", "h1.cms-title")
    lead_selectors: Sequence[str] = ("div.article__sapo.cms-desc", "div.article__sapo", "div.cms-desc")
    body_selectors: Sequence[str] = ("div.article__body.cms-body", "div.cms-body", "div.article__body")
    #: The display date; its text is parsed first, the machine-readable forms are the fallback.
    date_selectors: Sequence[str] = (".article__meta time", "time.time", ".article__meta .time")
    author_selectors: Sequence[str] = ("div.article__author a.cms-author", "div.article__author .cms-author",
                                       "a.cms-author", "div.article__author .name", "div.article__author")
    tags_selector = "div.article__tag a, div.tags a"
    #: Take the author from JSON-LD before the byline (a site that shouts bylines in capitals).
    author_from_json_ld = False
    listing_selector = (
        ".abf-cate .story h2 a[href], .timeline .story h2 a[href], .timeline article h2 a[href], "
        ".timeline article h4 a[href], .cate-hl .story h2 a[href], .cate-list .story h2 a[href]"
    )
    next_page_selector = ".pagination a.pagination__next[href], .pagination a.next[href], .paging a.next[href]"
    #: <p> classes inside the body that hold page furniture rather than article text.
    skip_paragraph_classes: Sequence[str] = ("related-inline", "share-label", "article__source", "caption")
    boilerplate_res = CMS_BOILERPLATE

    # ---------------------------------------------------------------- finding

    def listing_links(self, soup: BeautifulSoup, response: Response) -> Iterable[str]:
        for link in soup.select(self.listing_selector):
            yield link["href"]

    def next_page(self, soup: BeautifulSoup, response: Response) -> str | None:
        link = soup.select_one(self.next_page_selector)
        return link["href"] if link else None

    # ---------------------------------------------------------------- reading

    def body_paragraphs(self, body: Tag | None) -> list[str]:
        """Text of the body's own <p> children: captions (table.picture), related boxes,
        ads and share bars are nested elements, so they never count."""
        if body is None:
            return []
        out = []
        for p in body.find_all("p", recursive=False):
            if set(p.get("class") or ()) & set(self.skip_paragraph_classes):
                continue
            out.append(text_of(p))
        return out

    def published_fallback(self, soup: BeautifulSoup, ld: dict[str, Any]) -> str:
        """Machine-readable publication time: the cms-date meta, <time datetime>, the
        article:published_time meta, then JSON-LD datePublished."""
        tag = soup.select_one("meta.cms-date[itemprop=datePublished][content], meta[itemprop=datePublished][content]")
        if tag is not None:
            return str(tag["content"])
        time_tag = soup.select_one(".article__meta time[datetime], time.time[datetime]")
        if time_tag is not None:
            return str(time_tag["datetime"])
        return meta_content(soup, "article:published_time") or str(ld.get("datePublished") or "")

    def extract_fields(self, soup: BeautifulSoup, response: Response) -> dict[str, Any]:
        ld = json_ld(soup)
        title = text_of(first(soup, self.title_selectors)) or str(ld.get("headline") or "")
        lead = text_of(first(soup, self.lead_selectors)) or meta_content(soup, "description", "og:description")
        paragraphs = self.body_paragraphs(first(soup, self.body_selectors))
        date_node = first(soup, self.date_selectors)
        byline = text_of(first(soup, self.author_selectors))
        ld_author = ld.get("author")
        if isinstance(ld_author, list) and ld_author:
            ld_author = ld_author[0]
        ld_name = str(ld_author.get("name", "") if isinstance(ld_author, dict) else ld_author or "")
        author = (ld_name or byline) if self.author_from_json_ld else (byline or ld_name)
        tags = [text_of(a).lstrip("#").strip() for a in soup.select(self.tags_selector)]
        if not tags:
            tags = [t.strip() for t in meta_content(soup, "keywords").split(",")]
        canonical = soup.find("link", rel="canonical")
        return {
            "title": title,
            "lead": lead,
            "paragraphs": paragraphs,
            "date_text": text_of(date_node),
            "date_fallback": self.published_fallback(soup, ld),
            "author": author,
            "tags": tags,
            "canonical": canonical.get("href") if canonical else "",
        }
