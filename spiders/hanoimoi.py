"""Hà Nội Mới (hanoimoi.vn), the Hanoi Party Committee's daily.

Markup facts are from ../shared/sources.md: RSS at /rss/<category> (no .rss),
articles at /<slug>-<id>.html, the "sc-longform" header and `div.entry > p` body.
The site refuses foreign IP addresses with 403: give the source a proxy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup
from scrapy.http import Response

from spiders.base import NewsSpider, meta_content, text_of

CATEGORIES = ("chinh-tri", "kinh-te", "do-thi", "the-gioi", "xa-hoi", "van-hoa")


class HanoimoiSpider(NewsSpider):
    name = "hanoimoi"
    label = "Hà Nội Mới"
    site_host = "hanoimoi.vn"
    language = "vi"
    languages = ("vi",)

    feeds = tuple(f"https://hanoimoi.vn/rss/{cat}" for cat in CATEGORIES)
    listing_pages = tuple(f"https://hanoimoi.vn/{cat}" for cat in CATEGORIES)
    sitemaps = ("https://hanoimoi.vn/sitemap.xml",)
    sitemap_follow = re.compile(r"sitemap-article-")
    sitemap_children = 1

    article_url_re = re.compile(r"^https?://(?:www\.|m\.)?hanoimoi\.vn/(?:amp/)?[a-z0-9-]+-\d{5,}\.html$")
    skip_url_re = re.compile(r"-event\d+\.html$|/(?:multimedia|video|emagazine|infographic|photo)/")
    amp_url_re = (re.compile(r"^(https?://)(?:m\.)?(hanoimoi\.vn)/amp/"), r"\1\2/")
    boilerplate_res = (
        re.compile(r"^\(\*\)\s*Không sao chép", re.I),
        re.compile(r"^(Tin|Bài) liên quan\b", re.I),
    )

    def listing_links(self, soup: BeautifulSoup, response: Response) -> Iterable[str]:
        for link in soup.select(".list-news h3 a[href], .list-news h2 a[href]"):
            yield link["href"]

    def next_page(self, soup: BeautifulSoup, response: Response) -> str | None:
        link = soup.select_one(".pagination a.page-next[href]")
        return link["href"] if link else None

    def extract_fields(self, soup: BeautifulSoup, response: Response) -> dict[str, Any]:
        title = text_of(soup.select_one("h1.sc-longform-header-title, h1.c-detail-head__title"))
        lead = text_of(soup.select_one(".sc-longform-header-text p.block-sc-sapo, p.block-sc-sapo"))
        entry = soup.select_one("div.entry")
        # Direct <p> children only: captions, related boxes, ads and share bars are nested elsewhere.
        paragraphs = [text_of(p) for p in entry.find_all("p", recursive=False)] if entry else []
        author = text_of(soup.select_one(".sc-longform-header-meta span.block-sc-author, span.c-detail-head__author"))
        tags = [text_of(a) for a in soup.select("div.tags a")]
        if not tags:
            tags = [t.strip() for t in meta_content(soup, "keywords").split(",")]
        canonical = soup.find("link", rel="canonical")
        return {
            "title": title,
            "lead": lead or meta_content(soup, "description", "og:description"),
            "paragraphs": paragraphs,
            "date_text": text_of(soup.select_one("span.sc-longform-header-date")),
            "date_fallback": meta_content(soup, "article:published_time"),
            "author": author,
            "tags": tags,
            "canonical": canonical.get("href") if canonical else "",
        }
