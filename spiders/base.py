"""The shared base for site spiders: finding articles (feeds, listings, sitemaps) and
turning an article page into an ArticleItem. A site spider says where to look and
which selectors its pages use; everything else is here."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import scrapy
from bs4 import BeautifulSoup, Tag
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from spiders.dates import VIETNAM, parse_date
from spiders.extensions import note_error
from spiders.items import ArticleItem
from spiders.middlewares import ARTICLE_META
from spiders.resources import crawler_articles
from storage.urls import strip_tracking

logger = logging.getLogger(__name__)

KIND_META = "newsmon_kind"
PAGE_META = "newsmon_page"


class ArticleParseError(Exception):
    """The page is not an article we can read; the message says what was missing."""


def text_of(node: Tag | None) -> str:
    """Visible text of a node with whitespace folded; '' for None."""
    if node is None:
        return ""
    return " ".join(node.get_text(" ", strip=True).split())


def meta_content(soup: BeautifulSoup, *names: str) -> str:
    """The content of the first <meta> whose property or name is one of ``names``."""
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content"):
            return " ".join(str(tag["content"]).split())
    return ""


def json_ld(soup: BeautifulSoup, types: Sequence[str] = ("NewsArticle", "Article", "ReportageNewsArticle")) -> dict[str, Any]:
    """The first JSON-LD object of one of ``types`` (also inside @graph or lists); {} if none."""
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or "")
        except (json.JSONDecodeError, TypeError):
            continue
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                kind = obj.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(k in types for k in kinds):
                    return obj
                if "@graph" in obj:
                    stack.append(obj["@graph"])
    return {}


class NewsSpider(scrapy.Spider):
    """Base for one news site. Subclasses set the class attributes and implement
    :meth:`listing_links`, :meth:`next_page` and :meth:`extract_fields`."""

    #: Human name of the source, for digests and `newsmon sources`.
    label: str = ""
    #: The site's host, used in messages ("hanoimoi.vn refused ...").
    site_host: str = ""
    language: str = "vi"
    languages: tuple[str, ...] = ("vi",)
    timezone: ZoneInfo = VIETNAM
    #: Shipped site spiders are sources by default; the generic spider is not.
    builtin_source: bool = True

    feeds: Sequence[str] = ()
    listing_pages: Sequence[str] = ()
    sitemaps: Sequence[str] = ()
    #: Only child sitemaps matching this are followed, newest first, at most sitemap_children of them.
    sitemap_follow: re.Pattern[str] | None = None
    sitemap_children: int = 2
    article_url_re: re.Pattern[str] = re.compile(r".")
    skip_url_re: re.Pattern[str] | None = None
    #: AMP/mobile article URL → the normal one (pattern, replacement), applied before requesting.
    amp_url_re: tuple[re.Pattern[str], str] | None = None
    #: Paragraphs matching any of these are page boilerplate (copyright lines, "read more"...).
    boilerplate_res: Sequence[re.Pattern[str]] = ()
    #: Prefixes the site puts before the lead ("Kinhtedothi - ", "(VOVWORLD) - ").
    lead_prefix_re: re.Pattern[str] | None = None
    date_required: bool = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_pages = 3

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = crawler.settings.getint("NEWSMON_MAX_PAGES", 3)
        spider.source_name = crawler.settings.get("NEWSMON_SOURCE") or spider.name
        return spider

    # ---------------------------------------------------------------- finding

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_index_requests():
            yield request

    def start_index_requests(self) -> Iterator[scrapy.Request]:
        for url in self.feeds:
            yield self.index_request(url, "feed", self.parse_feed)
        for url in self.listing_pages:
            yield self.index_request(url, "listing", self.parse_listing, page=1)
        for url in self.sitemaps:
            yield self.index_request(url, "sitemap", self.parse_sitemap)

    def index_request(self, url: str, kind: str, callback, page: int | None = None) -> scrapy.Request:
        meta = {KIND_META: kind}
        if page is not None:
            meta[PAGE_META] = page
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    def is_article_url(self, url: str) -> bool:
        if not url or not self.article_url_re.search(url):
            return False
        return not (self.skip_url_re and self.skip_url_re.search(url))

    def article_request(self, url: str) -> scrapy.Request | None:
        url = strip_tracking(url)
        if self.amp_url_re is not None:
            url = self.amp_url_re[0].sub(self.amp_url_re[1], url)
        if not self.is_article_url(url):
            return None
        self.crawler.stats.inc_value("newsmon/links_found")
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.on_error, meta={KIND_META: "article", ARTICLE_META: True}
        )

    def _index_ok(self) -> None:
        self.crawler.stats.inc_value("newsmon/index_pages_ok")

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        parsed = feedparser.parse(response.body, response_headers={"content-location": response.url})
        if not parsed.entries:
            reason = f"feed has no items ({parsed.get('bozo_exception', 'empty')})" if parsed.bozo else "feed has no items"
            note_error(self.crawler, "feed", response.url, reason)
            return
        self._index_ok()
        for entry in parsed.entries:
            link = entry.get("link") or ""
            request = self.article_request(response.urljoin(link)) if link else None
            if request is not None:
                yield request

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            note_error(self.crawler, "listing", response.url, "not an HTML page")
            return
        self._index_ok()
        soup = BeautifulSoup(response.text, "lxml")
        for href in self.listing_links(soup, response):
            request = self.article_request(response.urljoin(href))
            if request is not None:
                yield request
        page = response.meta.get(PAGE_META, 1)
        if page < self.max_pages:
            href = self.next_page(soup, response)
            if href:
                yield self.index_request(response.urljoin(href), "listing", self.parse_listing, page=page + 1)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several kinds for broken XML
            note_error(self.crawler, "sitemap", response.url, f"not a sitemap: {exc}")
            return
        self._index_ok()
        entries = list(sitemap)
        if sitemap.type == "sitemapindex":
            children = [e for e in entries if not self.sitemap_follow or self.sitemap_follow.search(e["loc"])]
            children.sort(key=lambda e: (e.get("lastmod", ""), e["loc"]), reverse=True)
            for entry in children[: self.sitemap_children]:
                yield self.index_request(entry["loc"], "sitemap", self.parse_sitemap)
            return
        for entry in entries:
            request = self.article_request(entry["loc"])
            if request is not None:
                yield request

    # -------------------------------------------------------------- overrides

    def listing_links(self, soup: BeautifulSoup, response: Response) -> Iterable[str]:
        """hrefs of article links on a listing page."""
        raise NotImplementedError

    def next_page(self, soup: BeautifulSoup, response: Response) -> str | None:
        """href of the next listing page, or None on the last."""
        return None

    def extract_fields(self, soup: BeautifulSoup, response: Response) -> dict[str, Any]:
        """Raw fields of an article page: title, lead, paragraphs (list), date_text,
        date_fallback (e.g. a meta tag), author, tags (list), canonical."""
        raise NotImplementedError

    # ---------------------------------------------------------------- parsing

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        self.crawler.stats.inc_value("newsmon/articles_seen")
        try:
            item = self.read_article(response)
        except ArticleParseError as exc:
            self.article_failed(response.url, str(exc))
            return
        except Exception as exc:  # a markup surprise must not end the crawl
            logger.exception("error parsing %s", response.url)
            self.article_failed(response.url, f"{type(exc).__name__}: {exc}")
            return
        yield item

    def read_article(self, response: Response) -> ArticleItem:
        """One article page as an item, outside any crawl bookkeeping; ArticleParseError if unreadable."""
        if not isinstance(response, TextResponse):
            raise ArticleParseError(f"not an HTML page ({response.headers.get('Content-Type', b'?').decode()})")
        soup = BeautifulSoup(response.text, "lxml")
        return self.build_item(self.extract_fields(soup, response), response)

    def article_failed(self, url: str, reason: str, kind: str = "parse") -> None:
        """Count and log an unreadable article page, and remember it so it is retried with back-off."""
        note_error(self.crawler, kind, url, reason)
        logger.warning("article %s: %s", url, reason)
        crawler_articles(self.crawler).record_failure(url, getattr(self, "source_name", self.name), reason)

    def clean_paragraphs(self, paragraphs: Iterable[str]) -> list[str]:
        out = []
        for para in paragraphs:
            para = " ".join(para.split())
            if para and not any(rx.search(para) for rx in self.boilerplate_res):
                out.append(para)
        return out

    def build_item(self, fields: dict[str, Any], response: Response) -> ArticleItem:
        title = " ".join((fields.get("title") or "").split())
        if not title:
            raise ArticleParseError("no title found")
        paragraphs = self.clean_paragraphs(fields.get("paragraphs") or [])
        if not paragraphs:
            raise ArticleParseError("no body paragraphs found")
        lead = " ".join((fields.get("lead") or "").split())
        if lead and self.lead_prefix_re is not None:
            lead = self.lead_prefix_re.sub("", lead, count=1)
        published = self.parse_published(fields.get("date_text"), fields.get("date_fallback"))
        canonical = fields.get("canonical") or ""
        canonical = response.urljoin(canonical) if canonical else response.url
        if urlsplit(canonical).hostname != urlsplit(response.url).hostname and not self._same_site(canonical):
            canonical = response.url  # a canonical pointing off-site is not trusted for identity
        seen = [response.url, *response.meta.get("redirect_urls", []), response.request.meta.get("newsmon_real_url", "")]
        return ArticleItem(
            url=response.url,
            canonical_url=canonical,
            source=getattr(self, "source_name", self.name),
            title=title,
            lead=lead,
            body="\n\n".join(paragraphs),
            published_at=published,
            author=(fields.get("author") or "").strip() or None,
            tags=[t for t in (fields.get("tags") or []) if t],
            language=fields.get("language") or self.language,
            seen_urls=list(dict.fromkeys(u for u in seen if u)),
        )

    def _same_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return bool(self.site_host) and (host == self.site_host or host.endswith("." + self.site_host))

    def parse_published(self, date_text: str | None, fallback: str | None) -> datetime | None:
        value = parse_date(date_text, self.timezone, self.languages) if date_text else None
        if value is None and fallback:
            value = parse_date(fallback, self.timezone, self.languages)
        if value is None and (date_text or self.date_required):
            shown = repr(date_text) if date_text else "none found"
            raise ArticleParseError(f"unparseable publication date ({shown})")
        return value

    # ----------------------------------------------------------------- errors

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        kind = request.meta.get(KIND_META, "request")
        url = request.meta.get("newsmon_real_url") or request.url
        if failure.check(HttpError):
            status = failure.value.response.status
            if status == 403:
                self.crawler.stats.inc_value("newsmon/blocked")
                logger.warning("%s: HTTP 403 (blocked; a proxy with a Vietnamese egress may be needed)", url)
                return
            if kind == "article":
                self.article_failed(url, f"HTTP {status}", kind="article")
            else:
                note_error(self.crawler, kind, url, f"HTTP {status}")
                logger.warning("%s %s: HTTP %s", kind, url, status)
            return
        from scrapy.exceptions import IgnoreRequest

        if failure.check(IgnoreRequest):
            self.crawler.stats.inc_value("newsmon/ignored")
            logger.info("%s: %s", url, failure.value)
            return
        note_error(self.crawler, kind, url, f"{failure.type.__name__}: {failure.value}")
        logger.warning("%s %s failed: %s", kind, url, failure.value)
