"""A source defined by configuration alone (``spider = "generic"``).

Where to look (feeds, sitemaps, listing pages with a link pattern) and, optionally,
CSS selectors for the fields come from the source's ``[sources.NAME]`` table, which
reaches the crawl validated, in its SourceCrawl (spiders/resources.py). Without selectors the
fields come from the page's own metadata (JSON-LD NewsArticle, og:/article: meta
tags, ``<title>``, ``<html lang>``) and the body from trafilatura's main-text
extraction, run offline on the HTML already downloaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from scrapy.http import Response

from monitor.config import SourceConfig
from spiders.base import NewsSpider
from spiders.dates import VIETNAM
from spiders.page import Fields, Page, split_tags, text_of
from spiders.resources import source_crawl

logger = logging.getLogger(__name__)

_ANY_WEB_URL = re.compile(r"^https?://")
#: Config selector keys → the fields they give.
_SELECTOR_FIELDS = {
    "title": "title",
    "lead": "lead",
    "body": "body",
    "date": "published_at",
    "author": "author",
    "tags": "tags",
}


class GenericSpider(NewsSpider):
    """Reads any news site from its config table; see the module docstring."""

    name = "generic"
    label = ""
    builtin_source = False  # only sources that name it in the config use it
    language = ""
    languages: tuple[str, ...] = ()
    selector_fields: Sequence[str] = ()
    page_language_first = True  # a site-wide config language yields to the page's own

    # Every link; the source's link_pattern (applied by article_request) picks the articles.
    listing_selector = "a[href]"
    next_page_selector = 'link[rel~="next"][href], a[rel~="next"][href]'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selectors: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(source_crawl(crawler).source)
        return spider

    def configure(self, source: SourceConfig) -> None:
        """Take where to look and how to read from the source's config."""
        if not (source.feeds or source.sitemaps or source.listing_pages):
            raise ValueError(
                "the generic spider reads its source from newsmon's config: give the source "
                'spider = "generic" and feeds, sitemaps or listing_pages (run it with `newsmon crawl NAME`)'
            )
        self.feeds = tuple(source.feeds)
        self.sitemaps = tuple(source.sitemaps)
        self.listing_pages = tuple(source.listing_pages)
        self.article_url_re = re.compile(source.link_pattern) if source.link_pattern else _ANY_WEB_URL
        self.selectors = dict(source.selectors)
        self.languages = tuple(source.languages or ())
        self.language = self.languages[0] if self.languages else ""
        self.timezone = ZoneInfo(source.timezone) if source.timezone else VIETNAM
        self.meta_date_order = source.date_order or "DMY"
        # Only the configured selectors are a first layer whose misses mean a redesign.
        self.selector_fields = tuple(f for key, f in _SELECTOR_FIELDS.items() if self.selectors.get(key))
        first = (*self.feeds, *self.sitemaps, *self.listing_pages)[0]
        host = urlsplit(first).hostname or ""
        self.site_host = host[4:] if host.startswith("www.") else host
        self.label = self.site_host

    # ---------------------------------------------------------------- finding

    def extract_fields(self, page: Page, response: Response) -> Fields:
        """Only what the source's configured selectors give; the rest comes from the page's
        metadata and main text (NewsSpider.build_item)."""
        sel = self.selectors
        date = ""
        if sel.get("date"):
            node = page.one(sel["date"])
            if node is not None:
                date = node.get("datetime") or node.get("content") or text_of(node)
        return Fields(
            title=_selected_text(page, sel.get("title")),
            lead=_selected_text(page, sel.get("lead")),
            paragraphs=_selected_paragraphs(page, sel["body"]) if sel.get("body") else [],
            dates=[date] if date else [],
            author=_selected_text(page, sel.get("author"), join=", "),
            tags=split_tags(text_of(n) for n in page.css(sel["tags"])) if sel.get("tags") else [],
        )


# ------------------------------------------------------------------ helpers


def _selected_text(page: Page, css: str | None, join: str = " ") -> str:
    if not css:
        return ""
    values = [_node_value(node) for node in page.css(css)]
    return join.join(v for v in dict.fromkeys(values) if v)


def _selected_paragraphs(page: Page, css: str) -> list[str]:
    """Paragraphs under a body selector: the node itself if it is a <p> or has none, else its <p>s."""
    out: list[str] = []
    for node in page.css(css):
        inner = list(node.iter("p")) if node.tag != "p" else []
        if inner:
            out.extend(text_of(p) for p in inner)
        else:
            out.append(text_of(node))
    return [p for p in out if p]


def _node_value(node) -> str:
    if node.tag == "meta":
        return " ".join(str(node.get("content") or "").split())
    return text_of(node)
