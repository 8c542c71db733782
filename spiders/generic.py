"""A source defined by configuration alone (``spider = "generic"``).

Where to look (feeds, sitemaps, listing pages with a link pattern) and, optionally,
CSS selectors for the fields come from the source's ``[sources.NAME]`` table, which
reaches the crawl as the Scrapy setting NEWSMON_SOURCE_CONFIG. Without selectors the
fields come from the page's own metadata (JSON-LD NewsArticle, og:/article: meta
tags, ``<title>``, ``<html lang>``) and the body from trafilatura's main-text
extraction, run offline on the HTML already downloaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from scrapy.http import Response

from settings import SourceConfig
from spiders.base import NewsSpider, json_ld, meta_content, text_of
from spiders.dates import VIETNAM, parse_date

logger = logging.getLogger(__name__)

_ANY_WEB_URL = re.compile(r"^https?://")
_LANG = re.compile(r"^([a-z]{2,3})(?:[-_].*)?$", re.I)
# Meta tags that carry a publication date on sites without JSON-LD, best first.
_DATE_METAS = (
    "article:published_time", "og:article:published_time", "datePublished", "pubdate", "publishdate",
    "publish-date", "date", "dc.date.issued", "DC.date.issued", "dcterms.created",
)


class GenericSpider(NewsSpider):
    """Reads any news site from its config table; see the module docstring."""

    name = "generic"
    label = ""
    builtin_source = False  # only sources that name it in the config use it
    language = ""
    languages: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selectors: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        raw = crawler.settings.getdict("NEWSMON_SOURCE_CONFIG")
        spider.configure(SourceConfig.model_validate(raw) if raw else SourceConfig())
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
        first = (*self.feeds, *self.sitemaps, *self.listing_pages)[0]
        host = urlsplit(first).hostname or ""
        self.site_host = host[4:] if host.startswith("www.") else host
        self.label = self.site_host

    # ---------------------------------------------------------------- finding

    def listing_links(self, soup: BeautifulSoup, response: Response) -> Iterable[str]:
        # Every link; the source's link_pattern (applied by article_request) picks the articles.
        for link in soup.select("a[href]"):
            yield link["href"]

    def next_page(self, soup: BeautifulSoup, response: Response) -> str | None:
        link = soup.select_one('link[rel~="next"][href], a[rel~="next"][href]')
        return link["href"] if link else None

    # ---------------------------------------------------------------- reading

    def extract_fields(self, soup: BeautifulSoup, response: Response) -> dict[str, Any]:
        ld = json_ld(soup)
        sel = self.selectors
        title = (
            self._selected_text(soup, sel.get("title"))
            or _plain(ld.get("headline"))
            or meta_content(soup, "og:title", "twitter:title")
            or text_of(soup.find("h1"))
            or _document_title(soup)
        )
        lead = (
            self._selected_text(soup, sel.get("lead"))
            or _plain(ld.get("description"))
            or meta_content(soup, "og:description", "description", "twitter:description")
        )
        dates = self._date_candidates(soup, ld)
        date_text = next((d for d in dates if self._parse(d) is not None), dates[0] if dates else "")
        author = self._selected_text(soup, sel.get("author"), join=", ") or _ld_author(ld) or _meta_author(soup)
        if sel.get("body"):
            paragraphs = _selected_paragraphs(soup, sel["body"])
        else:
            paragraphs = main_text_paragraphs(response.text) or _fallback_paragraphs(soup)
        published = self._parse(date_text) if date_text else None
        paragraphs = [p for p in paragraphs if not self._is_page_furniture(p, title, lead, author, published)]
        canonical = soup.find("link", rel="canonical")
        return {
            "title": title,
            "lead": lead,
            "paragraphs": paragraphs,
            "date_text": date_text,
            "date_fallback": "",
            "author": author,
            "tags": self._tags(soup, ld),
            "canonical": (canonical.get("href") if canonical else "") or meta_content(soup, "og:url"),
            "language": _page_language(soup, ld) or self.language or "und",
        }

    def _parse(self, text: str):
        return parse_date(text, self.timezone, self.languages or ("vi", "en", "ru"))

    def _selected_text(self, soup: BeautifulSoup, css: str | None, join: str = " ") -> str:
        if not css:
            return ""
        values = [_node_value(node) for node in soup.select(css)]
        return join.join(v for v in dict.fromkeys(values) if v)

    def _date_candidates(self, soup: BeautifulSoup, ld: dict[str, Any]) -> list[str]:
        found: list[str] = []
        if self.selectors.get("date"):
            node = soup.select_one(self.selectors["date"])
            if node is not None:
                found.append(node.get("datetime") or node.get("content") or text_of(node))
        found.append(_plain(ld.get("datePublished")))
        found.extend(meta_content(soup, name) for name in _DATE_METAS)
        node = soup.find(attrs={"itemprop": "datePublished"})
        if isinstance(node, Tag):
            found.append(node.get("datetime") or node.get("content") or text_of(node))
        node = soup.find("time", attrs={"datetime": True})
        if isinstance(node, Tag):
            found.append(str(node["datetime"]))
        return [d.strip() for d in dict.fromkeys(found) if d and d.strip()]

    def _tags(self, soup: BeautifulSoup, ld: dict[str, Any]) -> list[str]:
        if self.selectors.get("tags"):
            return [text_of(node) for node in soup.select(self.selectors["tags"])]
        keywords = ld.get("keywords")
        if isinstance(keywords, list):
            return [_plain(k) for k in keywords]
        if isinstance(keywords, str) and keywords.strip():
            return [k.strip() for k in keywords.split(",")]
        tags = [str(m["content"]).strip() for m in soup.find_all("meta", attrs={"property": "article:tag", "content": True})]
        if tags:
            return tags
        return [k.strip() for k in meta_content(soup, "keywords", "news_keywords").split(",")]

    def _is_page_furniture(self, para: str, title: str, lead: str, author: str, published) -> bool:
        """The headline, lead, byline or displayed date repeated inside the extracted body."""
        folded = _fold(para)
        if folded in {_fold(title), _fold(lead), _fold(author)}:
            return True
        if published is not None and len(para.split()) <= 6:
            shown = self._parse(para)
            return shown is not None and shown.date() == published.astimezone(shown.tzinfo).date()
        return False


# ------------------------------------------------------------------ helpers


def main_text_paragraphs(html: str) -> list[str]:
    """The article's paragraphs as trafilatura finds them (precision first, then recall).

    trafilatura only parses the string it is given here; it never fetches anything.
    """
    import trafilatura
    from lxml import etree

    for precision in (True, False):
        try:
            xml = trafilatura.extract(
                html, output_format="xml", favor_precision=precision, favor_recall=not precision,
                include_comments=False, include_tables=False, include_images=False, include_links=False,
                with_metadata=False, deduplicate=False,
            )
        except Exception as exc:  # a library failure on odd markup falls back to plain <p>s
            logger.debug("trafilatura failed: %s", exc)
            return []
        if not xml:
            continue
        try:
            root = etree.fromstring(xml.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue
        main = root.find("main")
        paragraphs = []
        for node in (main if main is not None else root).iter("p", "head", "item", "quote"):
            if node.tag == "quote" and node.find("p") is not None:
                continue  # its <p>s are taken one by one
            text = " ".join("".join(node.itertext()).split())
            if text:
                paragraphs.append(text)
        if paragraphs:
            return paragraphs
    return []


def _fallback_paragraphs(soup: BeautifulSoup) -> list[str]:
    """Without a main text: the <p>s of <article> (or <main>), as a last resort."""
    container = soup.find("article") or soup.find("main")
    return [text_of(p) for p in container.find_all("p")] if container else []


def _selected_paragraphs(soup: BeautifulSoup, css: str) -> list[str]:
    """Paragraphs under a body selector: the node itself if it is a <p> or has none, else its <p>s."""
    out: list[str] = []
    for node in soup.select(css):
        inner = node.find_all("p") if node.name != "p" else []
        if inner:
            out.extend(text_of(p) for p in inner)
        else:
            out.append(text_of(node))
    return [p for p in out if p]


def _node_value(node: Tag) -> str:
    if node.name == "meta":
        return " ".join(str(node.get("content") or "").split())
    return text_of(node)


def _plain(value: Any) -> str:
    """A JSON-LD value as text: strings as they are, {"name": ...} objects by name."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return _plain(value.get("name") or value.get("@value") or "")
    if isinstance(value, list) and value:
        return _plain(value[0])
    return ""


def _ld_author(ld: dict[str, Any]) -> str:
    authors = ld.get("author")
    authors = authors if isinstance(authors, list) else [authors] if authors else []
    publisher = _plain(ld.get("publisher"))
    names = []
    for author in authors:
        name = _plain(author)
        # Agencies often credit themselves as the author: that is not a byline.
        if name and name != publisher:
            names.append(name)
    return ", ".join(dict.fromkeys(names))


def _meta_author(soup: BeautifulSoup) -> str:
    value = meta_content(soup, "author", "article:author")
    return "" if _ANY_WEB_URL.match(value) else value  # article:author is often a profile URL


def _document_title(soup: BeautifulSoup) -> str:
    """<title> without the " - Site name" that most sites append."""
    title = text_of(soup.find("title"))
    site = meta_content(soup, "og:site_name")
    if site:
        title = re.sub(rf"\s*[-–—|:]\s*{re.escape(site)}\s*$", "", title)
    return title


def _page_language(soup: BeautifulSoup, ld: dict[str, Any]) -> str:
    html = soup.find("html")
    candidates = [
        html.get("lang") if isinstance(html, Tag) else None,
        _plain(ld.get("inLanguage")),
        meta_content(soup, "og:locale", "language", "content-language"),
    ]
    for value in candidates:
        match = _LANG.match(str(value or "").strip())
        if match:
            return match.group(1).lower()
    return ""


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".")
