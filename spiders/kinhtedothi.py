"""Kinh tế & Đô thị (kinhtedothi.vn), the Hanoi People's Committee's economic daily.

Facts from ../shared/sources.md (section 2): no working main-site RSS feed, so
articles are found through category listings and /sitemap.xml; articles live at
/<slug>-<id>.html; the 2025 template has `h1.article-title`, the date in
`div.article-published-on` as "<weekday>, HH:MM DD/MM/YYYY" and in the meta
`article:published_time`; the sapo starts "Kinhtedothi - ". The body, sapo and
author markup are not known and follow the mirror's model (tests/mirror/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup
from scrapy.http import Response

from spiders.base import NewsSpider, meta_content, text_of

CATEGORIES = ("thoi-su", "kinh-te", "van-hoa")


class KinhtedothiSpider(NewsSpider):
    name = "kinhtedothi"
    label = "Kinh tế & Đô thị"
    site_host = "kinhtedothi.vn"
    language = "vi"
    languages = ("vi",)

    listing_pages = tuple(f"https://kinhtedothi.vn/{cat}" for cat in CATEGORIES)
    sitemaps = ("https://kinhtedothi.vn/sitemap.xml",)
    sitemap_follow = re.compile(r"/sitemaps?/article-")
    sitemap_children = 2

    article_url_re = re.compile(r"^https?://(?:www\.)?kinhtedothi\.vn/[a-z0-9-]+-\d{5,}\.html$")
    # Tag pages, the e-paper and the sub-sites (own hosts) are not articles of this source.
    skip_url_re = re.compile(r"/(?:tag|bao-in|video|emagazine|infographic)/")
    boilerplate_res = (
        re.compile(r"^>>\s*Xem thêm\b", re.I),
        re.compile(r"^(?:Tin|Bài) liên quan\b", re.I),
        re.compile(r"^Quảng cáo$", re.I),
    )
    # "Kinhtedothi - ", also with an en/em dash or no spaces.
    lead_prefix_re = re.compile(r"^\s*Kinhtedothi\s*[-–—]\s*", re.I)

    def listing_links(self, soup: BeautifulSoup, response: Response) -> Iterable[str]:
        for link in soup.select(".list-news-cate .news-title a[href]"):
            yield link["href"]

    def next_page(self, soup: BeautifulSoup, response: Response) -> str | None:
        link = soup.select_one(".pagination a[rel=next][href]")
        return link["href"] if link else None

    def extract_fields(self, soup: BeautifulSoup, response: Response) -> dict[str, Any]:
        title = text_of(soup.select_one("h1.article-title")) or meta_content(soup, "og:title")
        content = soup.select_one("div.article-content") or soup.select_one("[itemprop=articleBody]")
        paragraphs: list[str] = []
        author = ""
        if content is not None:
            # Direct <p> children only: captions, related boxes and ads are nested in their own blocks.
            for p in content.find_all("p", recursive=False):
                if "article-author" in (p.get("class") or []):
                    author = text_of(p)  # the byline closes the body, right-aligned
                    continue
                paragraphs.append(text_of(p))
        canonical = soup.find("link", rel="canonical")
        return {
            "title": title,
            "lead": text_of(soup.select_one(".article-sapo")) or meta_content(soup, "description", "og:description"),
            "paragraphs": paragraphs,
            "date_text": text_of(soup.select_one("div.article-published-on")),
            "date_fallback": meta_content(soup, "article:published_time"),
            "author": author,
            "tags": [text_of(a) for a in soup.select(".article-tags a[href]")],
            "canonical": canonical.get("href") if canonical else "",
        }
