"""The Hanoi Times (hanoitimes.vn), the Hanoi People's Committee's English-language paper.

Facts from ../shared/sources.md (section 3): the site-wide feed /rss/home.rss;
new article URLs /<slug>.<id>.html (old ones /<slug>-<id>.html); the body opens
"THE HANOI TIMES — " and photo credits read "Photo: X/The Hanoi Times". No category
path is confirmed: the spider reads the front page and what entry-point discovery
finds (announced feeds, robots.txt sitemaps). The selectors (`h1.ArticleHeader_headline`,
`div.StandardArticleBody_body p`, `div.ArticleHeader_date`, `div.tag_detail a`) are
Reuters' old class names found in scrapers, NOT confirmed for hanoitimes: the page's
metadata and main text (the fallback layers) carry the fields when they do not match,
and the run is reported degraded. The date text is modelled as "November 20, 2026 | 08:15".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scrapy.http import Response

from spiders import SPIDER_LABELS
from spiders.base import NewsSpider
from spiders.page import Fields, Page, text_of

# The dateline that opens the body; the site writes it with an em dash, sometimes a hyphen.
DATELINE = re.compile(r"^\s*THE HANOI TIMES\s*[—–-]+\s*")


class HanoitimesSpider(NewsSpider):
    name = "hanoitimes"
    label = SPIDER_LABELS["hanoitimes"]
    site_host = "hanoitimes.vn"
    language = "en"
    languages = ("en",)

    # The site-wide feed (20 items when checked) and the front page; the rest of the entry
    # points (feeds the front page announces, sitemaps in robots.txt) come from discovery.
    home_page = "https://hanoitimes.vn/"
    feeds = ("https://hanoitimes.vn/rss/home.rss",)
    listing_pages = (home_page,)

    # New /<slug>.<id>.html and old /<slug>-<id>.html article URLs.
    article_url_re = re.compile(r"^https?://(?:www\.)?hanoitimes\.vn/[a-z0-9-]+[.-]\d{5,}\.html$")
    skip_url_re = re.compile(r"/(?:photo|video|tag|infographic)/")
    boilerplate_res = (
        # Photo captions left as plain paragraphs: "... Photo: Thanh Hai/The Hanoi Times".
        re.compile(r"\bPhotos?\s*:\s*[^.]{0,80}$"),
        re.compile(r"^(?:Related|Read more|See also)\s*:", re.I),
        re.compile(r"^Advertisement$", re.I),
    )

    listing_selector = ".CategoryList .CategoryList_title a[href], h3 a[href], h2 a[href]"
    next_page_selector = ".Pagination a.Pagination_next[href]"

    def extract_fields(self, page: Page, response: Response) -> Fields:
        body = page.one(("div.StandardArticleBody_body", "div.art_content"))
        # Direct <p> children only: figure captions, ad slots and widgets are nested elsewhere.
        paragraphs = [text_of(p) for p in body.iterchildren("p")] if body is not None else []
        paragraphs = [p for p in paragraphs if p]
        lead = ""
        if paragraphs and not DATELINE.match(paragraphs[0]):
            lead = paragraphs.pop(0)  # the bold first paragraph is the sapo
        return Fields(
            title=page.text("h1.ArticleHeader_headline"),
            lead=lead,
            paragraphs=paragraphs,
            dates=[page.text("div.ArticleHeader_date")],
            author=re.sub(r"^By\s+", "", page.text(".ArticleHeader_author"), flags=re.I),
            tags=page.texts("div.tag_detail a"),
            canonical=page.canonical(),
        )

    def clean_paragraphs(self, paragraphs: Iterable[str], *repeats: str) -> list[str]:
        """The "THE HANOI TIMES — " dateline off the first paragraph that has it, whichever layer read it."""
        out = super().clean_paragraphs(paragraphs, *repeats)
        for i, para in enumerate(out):
            if DATELINE.match(para):
                out[i] = DATELINE.sub("", para, count=1)
                break
        return [p for p in out if p]
