"""The Hanoi Times (hanoitimes.vn), the Hanoi People's Committee's English-language paper.

Facts from ../shared/sources.md (section 3): the site-wide feed /rss/home.rss;
new article URLs /<slug>.<id>.html (old ones /<slug>-<id>.html); the body opens
"THE HANOI TIMES — " and photo credits read "Photo: X/The Hanoi Times". The
selectors (`h1.ArticleHeader_headline`, `div.StandardArticleBody_body p` whose
first paragraph is the sapo, `div.ArticleHeader_date`, `div.tag_detail a`) come
from a crawler of unknown age; the date text is unknown and modelled as
"November 20, 2026 | 08:15" (tests/mirror/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup
from scrapy.http import Response

from spiders.base import NewsSpider, meta_content, text_of

CATEGORIES = ("politics", "society", "business")
# The dateline that opens the body; the site writes it with an em dash, sometimes a hyphen.
DATELINE = re.compile(r"^\s*THE HANOI TIMES\s*[—–-]+\s*")


class HanoitimesSpider(NewsSpider):
    name = "hanoitimes"
    label = "The Hanoi Times"
    site_host = "hanoitimes.vn"
    language = "en"
    languages = ("en",)

    feeds = ("https://hanoitimes.vn/rss/home.rss",)
    listing_pages = tuple(f"https://hanoitimes.vn/{cat}" for cat in CATEGORIES)

    # New /<slug>.<id>.html and old /<slug>-<id>.html article URLs.
    article_url_re = re.compile(r"^https?://(?:www\.)?hanoitimes\.vn/[a-z0-9-]+[.-]\d{5,}\.html$")
    skip_url_re = re.compile(r"/(?:photo|video|tag|infographic)/")
    boilerplate_res = (
        # Photo captions left as plain paragraphs: "... Photo: Thanh Hai/The Hanoi Times".
        re.compile(r"\bPhotos?\s*:\s*[^.]{0,80}$"),
        re.compile(r"^(?:Related|Read more|See also)\s*:", re.I),
        re.compile(r"^Advertisement$", re.I),
    )

    def listing_links(self, soup: BeautifulSoup, response: Response) -> Iterable[str]:
        for link in soup.select(".CategoryList .CategoryList_title a[href]"):
            yield link["href"]

    def next_page(self, soup: BeautifulSoup, response: Response) -> str | None:
        link = soup.select_one(".Pagination a.Pagination_next[href]")
        return link["href"] if link else None

    def extract_fields(self, soup: BeautifulSoup, response: Response) -> dict[str, Any]:
        body = soup.select_one("div.StandardArticleBody_body") or soup.select_one("div.art_content")
        # Direct <p> children only: figure captions, ad slots and widgets are nested elsewhere.
        paragraphs = [text_of(p) for p in body.find_all("p", recursive=False)] if body is not None else []
        paragraphs = [p for p in paragraphs if p]
        lead = ""
        if paragraphs and not DATELINE.match(paragraphs[0]):
            lead = paragraphs.pop(0)  # the bold first paragraph is the sapo
        for i, para in enumerate(paragraphs):
            if DATELINE.match(para):
                paragraphs[i] = DATELINE.sub("", para, count=1)
                break
        author = text_of(soup.select_one(".ArticleHeader_author"))
        author = re.sub(r"^By\s+", "", author, flags=re.I)
        canonical = soup.find("link", rel="canonical")
        return {
            "title": text_of(soup.select_one("h1.ArticleHeader_headline")) or meta_content(soup, "og:title"),
            "lead": lead or meta_content(soup, "description", "og:description"),
            "paragraphs": paragraphs,
            "date_text": text_of(soup.select_one("div.ArticleHeader_date")),
            "date_fallback": meta_content(soup, "article:published_time"),
            "author": author,
            "tags": [text_of(a) for a in soup.select("div.tag_detail a")],
            "canonical": canonical.get("href") if canonical else "",
        }
