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
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup
from scrapy.http import Response

from spiders.base import NewsSpider, json_ld, meta_content, text_of

CATEGORIES = ("thoi-su", "the-gioi", "kinh-te")


class BaoquocteSpider(NewsSpider):
    name = "baoquocte"
    label = "Thế giới & Việt Nam"
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

    def listing_links(self, soup: BeautifulSoup, response: Response) -> Iterable[str]:
        for link in soup.select("div.bx-list-left div.article a[title][href]"):
            yield link["href"]

    def next_page(self, soup: BeautifulSoup, response: Response) -> str | None:
        link = soup.select_one(".pagination a.next[href]")
        return link["href"] if link else None

    def extract_fields(self, soup: BeautifulSoup, response: Response) -> dict[str, Any]:
        ld = json_ld(soup)
        content = soup.select_one("div.__MASTERCMS_CONTENT") or soup.select_one("#__MB_MASTERCMS_EL_3")
        # Direct <p> children only: photo tables (with caption <p>s), the related box and ads nest theirs.
        paragraphs = [text_of(p) for p in content.find_all("p", recursive=False)] if content is not None else []
        author = text_of(soup.select_one(".article-detail-meta .author"))
        if not author and isinstance(ld.get("author"), dict):
            author = str(ld["author"].get("name") or "")
        canonical = soup.find("link", rel="canonical")
        return {
            "title": text_of(soup.select_one("h1.article-detail-title")) or meta_content(soup, "og:title"),
            "lead": text_of(soup.select_one("div.article-detail-desc")) or meta_content(soup, "description"),
            "paragraphs": paragraphs,
            "date_text": text_of(soup.select_one(".article-detail-meta .time")),
            "date_fallback": str(ld.get("datePublished") or "") or meta_content(soup, "article:published_time"),
            "author": author,
            "tags": [text_of(a) for a in soup.select(".article-tag a[href]")],
            "canonical": canonical.get("href") if canonical else "",
        }
