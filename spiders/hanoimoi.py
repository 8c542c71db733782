"""Hà Nội Mới (hanoimoi.vn), the Hanoi Party Committee's daily.

Markup facts are from ../shared/sources.md: RSS at /rss/<category> (no .rss),
articles at /<slug>-<id>.html, the "sc-longform" header and `div.entry > p` body.
The site refuses foreign IP addresses with 403: give the source a proxy.
"""

from __future__ import annotations

import re

from scrapy.http import Response

from spiders import SPIDER_LABELS
from spiders.base import NewsSpider
from spiders.page import Fields, Page, text_of

CATEGORIES = ("chinh-tri", "kinh-te", "do-thi", "the-gioi", "xa-hoi", "van-hoa")


class HanoimoiSpider(NewsSpider):
    name = "hanoimoi"
    label = SPIDER_LABELS["hanoimoi"]
    site_host = "hanoimoi.vn"
    language = "vi"
    languages = ("vi",)

    feeds = tuple(f"https://hanoimoi.vn/rss/{cat}" for cat in CATEGORIES)
    listing_pages = tuple(f"https://hanoimoi.vn/{cat}" for cat in CATEGORIES)
    sitemaps = ("https://hanoimoi.vn/sitemap.xml",)
    sitemap_follow = re.compile(r"sitemap-article-")
    sitemap_children = 1
    feed_index = "https://hanoimoi.vn/rss"

    article_url_re = re.compile(r"^https?://(?:www\.|m\.)?hanoimoi\.vn/(?:amp/)?[a-z0-9-]+-\d{5,}\.html$")
    skip_url_re = re.compile(r"-event\d+\.html$|/(?:multimedia|video|emagazine|infographic|photo)/")
    amp_url_re = (re.compile(r"^(https?://)(?:m\.)?(hanoimoi\.vn)/amp/"), r"\1\2/")
    boilerplate_res = (
        re.compile(r"^\(\*\)\s*Không sao chép", re.I),
        re.compile(r"^(Tin|Bài) liên quan\b", re.I),
    )
    # <meta name="article:published_time" content="1/28/2026 6:52:01 AM">: month first, 12-hour clock.
    meta_date_order = "MDY"

    # Working crawlers of the site take every `h3 a[href]`; article_url_re keeps the articles.
    listing_selector = "h3 a[href], .list-news h2 a[href]"
    next_page_selector = ".pagination a.page-next[href]"

    def extract_fields(self, page: Page, response: Response) -> Fields:
        # The sc-longform header's title is two spans (kicker and headline): read as one line.
        title = page.text(("h1.sc-longform-header-title", "h1.c-detail-head__title"))
        entry = page.one(("div.b-maincontent > div.entry", "div.entry"))
        # Direct <p> children only: captions, related boxes (div.b-grid__title), ads and share
        # bars are nested elsewhere; the copyright line is in the footer (div.c-powered).
        paragraphs = [text_of(p) for p in entry.iterchildren("p")] if entry is not None else []
        return Fields(
            title=title,
            lead=page.text((".sc-longform-header-text p.block-sc-sapo", "p.block-sc-sapo")),
            paragraphs=paragraphs,
            dates=[page.text("span.sc-longform-header-date")],
            author=page.text(
                (
                    ".sc-longform-header-meta span.block-sc-author",
                    "span.block-sc-author",
                    "span.c-detail-head__author",
                )
            ),
            tags=page.texts("div.c-widget-tags a"),
            canonical=page.canonical(),
        )
