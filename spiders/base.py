"""The shared base for site spiders: finding articles (feeds, listings, sitemaps) and
turning an article page into an ArticleItem. A site spider says where to look and
which selectors its pages use; everything else is here."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import scrapy
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from spiders.dates import VIETNAM, parse_date
from spiders.extensions import note_error
from spiders.items import ArticleItem
from spiders.middlewares import ARTICLE_META
from spiders.page import COPYRIGHT_RES, FIELDS, Fields, Page, fold, main_text_paragraphs, metadata_fields
from spiders.resources import crawler_articles, crawler_entry_points, source_crawl
from spiders.standalone import apply_newsmon_config
from storage.urls import strip_tracking

logger = logging.getLogger(__name__)

KIND_META = "newsmon_kind"
PAGE_META = "newsmon_page"
#: "configured" (the spider's or config's own) or "discovered" (found by entry-point discovery).
ENTRY_META = "newsmon_entry"
#: How often a source's home page, feed index and robots.txt are looked at again for entry points.
DISCOVERY_EVERY = timedelta(days=7)
ROBOTS_SITEMAP_RE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.I | re.M)
FEED_LINK_RE = re.compile(r"(?:\.rss|\.atom|/rss/|/feed/?$|/rss_feed/?$|[./]xml$)", re.I)


class ArticleParseError(Exception):
    """The page is not an article we can read; the message says what was missing."""


_NUMBER_RUN = re.compile(r"(\d+)")


def _natural_key(text: str) -> tuple:
    """For ordering names with numbers in them: news-2026-12 after news-2026-9."""
    return tuple(int(part) if part.isdigit() else part for part in _NUMBER_RUN.split(text))


def newest_sitemaps(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Child sitemaps newest first: by lastmod where the index gives it, else by the numbers
    in their names compared as numbers (news-2026-12.xml is newer than news-2026-9.xml)."""
    from spiders.dates import parse_date as _parse

    def key(entry: dict[str, Any]) -> tuple:
        stamp = _parse(entry.get("lastmod") or "")
        return (stamp.timestamp() if stamp else float("-inf"), _natural_key(entry["loc"]))

    return sorted(entries, key=key, reverse=True)


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
    #: Article links on a listing page, and the link to its next page (CSS).
    listing_selector: str = "a[href]"
    next_page_selector: str = ""
    listing_pages: Sequence[str] = ()
    sitemaps: Sequence[str] = ()
    #: Only child sitemaps matching this are followed, newest first, at most sitemap_children of them.
    sitemap_follow: re.Pattern[str] | None = None
    sitemap_children: int = 2
    #: The configured source this crawl feeds, set by from_crawler (or `newsmon parse`); declared
    #: only, as getattr(self, "source_name", self.name) falls back to the spider's name without it.
    source_name: str
    article_url_re: re.Pattern[str] = re.compile(r".")
    skip_url_re: re.Pattern[str] | None = None
    #: AMP/mobile article URL → the normal one (pattern, replacement), applied before requesting.
    amp_url_re: tuple[re.Pattern[str], str] | None = None
    #: Paragraphs matching any of these are page boilerplate (copyright lines, "read more"...).
    boilerplate_res: Sequence[re.Pattern[str]] = ()
    #: Prefixes the site puts before the lead ("Kinhtedothi - ", "(VOVWORLD) - ").
    lead_prefix_re: re.Pattern[str] | None = None
    date_required: bool = True
    #: Entry-point discovery: the home page (default: the first entry point's origin), a page
    #: listing the site's feeds, and at most this many feeds taken from them.
    discover_entry_points: bool = True
    home_page: str = ""
    feed_index: str = ""
    max_discovered_feeds: int = 8
    #: How the site writes numeric dates in its meta tags ("DMY" or "MDY"); page texts are day first.
    meta_date_order: str = "DMY"
    #: Whether the page's own language (<html lang>) beats the spider's.
    page_language_first: bool = False
    #: Fields the spider's selectors are meant to give; under half of a run's pages for one of
    #: spiders.page.KEY_FIELDS means the site changed its markup (the run is `degraded`).
    selector_fields: Sequence[str] = FIELDS[:6]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_pages = 3

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Scrapy calls this before it makes the spider and its components: the moment to put
        # newsmon's config on a crawl `scrapy crawl NAME` started (newsmon's own have it).
        apply_newsmon_config(settings, cls.name)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawl = source_crawl(crawler)
        spider.max_pages = crawl.max_pages
        spider.source_name = crawl.name
        if not crawl.source.discover:
            spider.discover_entry_points = False
        return spider

    # ---------------------------------------------------------------- finding

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_index_requests():
            yield request
        for request in self.discovery_requests():
            yield request

    def start_index_requests(self) -> Iterator[scrapy.Request]:
        for url in self.feeds:
            yield self.index_request(url, "feed", self.parse_feed, entry="configured")
        for url in self.listing_pages:
            yield self.index_request(url, "listing", self.parse_listing, page=1, entry="configured")
        for url in self.sitemaps:
            yield self.index_request(url, "sitemap", self.parse_sitemap, entry="configured")
        for found in self._stored_entry_points():
            request = self.discovered_request(found.url, found.kind)
            if request is not None:
                yield request

    def index_request(
        self, url: str, kind: str, callback, page: int | None = None, entry: str | None = None
    ) -> scrapy.Request:
        meta: dict[str, Any] = {KIND_META: kind}
        if page is not None:
            meta[PAGE_META] = page
        if entry is not None:
            meta[ENTRY_META] = entry
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    # -------------------------------------------------------------- discovery

    def _entry_points(self):
        crawler = getattr(self, "crawler", None)
        return crawler_entry_points(crawler) if crawler is not None and self.discover_entry_points else None

    def _stored_entry_points(self) -> list[Any]:
        store = self._entry_points()
        return store.found(getattr(self, "source_name", self.name)) if store is not None else []

    def home_url(self) -> str:
        if self.home_page:
            return self.home_page
        first = next(iter((*self.feeds, *self.listing_pages, *self.sitemaps)), "")
        parts = urlsplit(first)
        host = parts.hostname or self.site_host
        return f"{parts.scheme or 'https'}://{host}/" if host else ""

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """At a source's first crawl and then every DISCOVERY_EVERY: its home page (feeds it
        announces with <link rel="alternate">), its feed index page and robots.txt (Sitemap: lines)."""
        store = self._entry_points()
        source = getattr(self, "source_name", self.name)
        if store is None or not store.due(source, DISCOVERY_EVERY):
            return
        store.mark_checked(source)
        home = self.home_url()
        if not home:
            return
        meta = {KIND_META: "discovery"}
        yield scrapy.Request(
            home, callback=self.parse_home, errback=self.on_discovery_error, meta=meta, dont_filter=True
        )
        if self.feed_index:
            yield scrapy.Request(
                self.feed_index, callback=self.parse_feed_index, errback=self.on_discovery_error, meta=meta
            )
        parts = urlsplit(home)
        yield scrapy.Request(
            f"{parts.scheme}://{parts.netloc}/robots.txt",
            callback=self.parse_robots,
            errback=self.on_discovery_error,
            meta=meta,
            dont_filter=True,
        )

    def _discovered(self, response: Response, urls: Iterable[str], kind: str) -> Iterator[scrapy.Request]:
        """Remember same-site feeds or sitemaps found on ``response`` and fetch the new ones now."""
        store = self._entry_points()
        source = getattr(self, "source_name", self.name)
        known = {*self.feeds, *self.sitemaps, *(e.url for e in self._stored_entry_points())}
        taken = 0
        for url in dict.fromkeys(response.urljoin(u.strip()) for u in urls if u and u.strip()):
            if not url.startswith(("http://", "https://")) or not self._same_site(url):
                continue
            if kind == "feed" and taken >= self.max_discovered_feeds:
                break
            taken += 1
            self.crawler.stats.inc_value(f"newsmon/discovered/{kind}")
            if store is not None:
                store.record(source, url, kind, found_on=response.url)
            if url not in known:
                request = self.discovered_request(url, kind)
                if request is not None:
                    yield request

    def discovered_request(self, url: str, kind: str) -> scrapy.Request | None:
        if url in self.feeds or url in self.sitemaps:
            return None
        if kind == "feed":
            return self.index_request(url, "feed", self.parse_feed, entry="discovered")
        if kind == "sitemap":
            return self.index_request(url, "sitemap", self.parse_sitemap, entry="discovered")
        return None

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        page = Page.from_response(response)
        links = page.root.xpath(
            "//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"
            "[contains(@type, 'rss+xml') or contains(@type, 'atom+xml')]/@href"
        )
        yield from self._discovered(response, [str(h) for h in links], "feed")

    def parse_feed_index(self, response: Response) -> Iterator[scrapy.Request]:
        """A page listing the site's feeds (VietnamPlus /rss.html): every same-site link to a feed."""
        if not isinstance(response, TextResponse):
            return
        page = Page.from_response(response)
        hrefs = [str(h) for h in page.root.xpath("//a/@href | //link[@rel='alternate']/@href")]
        yield from self._discovered(response, [h for h in hrefs if FEED_LINK_RE.search(h)], "feed")

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        text = (
            response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        )
        sitemaps = [m.group(1) for m in ROBOTS_SITEMAP_RE.finditer(text)]
        yield from self._discovered(response, sitemaps, "sitemap")

    def on_discovery_error(self, failure: Failure) -> None:
        """A page looked at for entry points could not be fetched: nothing is lost (the
        configured entry points are crawled anyway), so it is logged, not an error."""
        self.crawler.stats.inc_value("newsmon/discovery/failed")
        logger.info(
            "entry-point discovery: %s failed: %s",
            failure.request.url,  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
            failure.value,
        )

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
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={KIND_META: "article", ARTICLE_META: True},
        )

    def _index_ok(self) -> None:
        self.crawler.stats.inc_value("newsmon/index_pages_ok")

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        parsed = feedparser.parse(response.body, response_headers={"content-location": response.url})
        if not parsed.entries:
            reason = (
                f"feed has no items ({parsed.get('bozo_exception', 'empty')})"
                if parsed.bozo
                else "feed has no items"
            )
            note_error(self.crawler, "empty_feed", response.url, reason)
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
        page = Page.from_response(response)
        found = 0
        for href in self.listing_links(page, response):
            request = self.article_request(response.urljoin(href))
            if request is not None:
                found += 1
                yield request
        if not found:
            note_error(
                self.crawler,
                "empty_listing",
                response.url,
                "listing page holds no article links: its markup or the site's URLs may have changed",
            )
        number = response.meta.get(PAGE_META, 1)
        if number < self.max_pages:
            next_href = self.next_page(page, response)
            if next_href:
                yield self.index_request(
                    response.urljoin(next_href), "listing", self.parse_listing, page=number + 1
                )

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
            if not children:
                note_error(
                    self.crawler,
                    "empty_sitemap",
                    response.url,
                    f"sitemap index lists no child sitemaps{' to follow' if entries else ''}",
                )
                return
            for entry in newest_sitemaps(children)[: self.sitemap_children]:
                yield self.index_request(entry["loc"], "sitemap", self.parse_sitemap)
            return
        if not entries:
            note_error(self.crawler, "empty_sitemap", response.url, "sitemap lists no URLs")
            return
        for entry in entries:
            request = self.article_request(entry["loc"])
            if request is not None:
                yield request

    # -------------------------------------------------------------- overrides

    def listing_links(self, page: Page, response: Response) -> Iterable[str]:
        """hrefs of article links on a listing page (``listing_selector``; article_url_re decides)."""
        for link in page.css(self.listing_selector):
            yield link.get("href")

    def next_page(self, page: Page, response: Response) -> str | None:
        """href of the next listing page (``next_page_selector``), or None on the last."""
        link = page.one(self.next_page_selector) if self.next_page_selector else None
        return link.get("href") if link is not None else None

    def extract_fields(self, page: Page, response: Response) -> Fields:
        """The first layer: what the site's own markup gives, read with the spider's selectors.
        Leave a field empty when its selector finds nothing; the page's metadata and its
        main text fill it in (see :meth:`build_item`)."""
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
        self.count_layers(item)
        yield item

    def count_layers(self, item: ArticleItem) -> None:
        """Per field, how often the site's selectors gave it this run (redesign detection)."""
        stats = self.crawler.stats
        stats.inc_value("newsmon/layers/pages")
        for name in self.selector_fields:
            layer = item.layers.get(name, "none")
            stats.inc_value(f"newsmon/layers/{name}/{layer}")
            if layer != "selectors" and not stats.get_value(f"newsmon/layers/{name}/sample"):
                stats.set_value(f"newsmon/layers/{name}/sample", item.url)

    def read_article(self, response: Response) -> ArticleItem:
        """One article page as an item, outside any crawl bookkeeping; ArticleParseError if unreadable."""
        if not isinstance(response, TextResponse):
            raise ArticleParseError(
                f"not an HTML page ({(response.headers.get('Content-Type') or b'?').decode()})"
            )
        page = Page.from_response(response)
        return self.build_item(page, self.extract_fields(page, response), response)

    def article_failed(self, url: str, reason: str, kind: str = "parse") -> None:
        """Count and log an unreadable article page, and remember it so it is retried with back-off."""
        note_error(self.crawler, kind, url, reason)
        logger.warning("article %s: %s", url, reason)
        crawler_articles(self.crawler).record_failure(url, getattr(self, "source_name", self.name), reason)

    def clean_paragraphs(self, paragraphs: Iterable[str], *repeats: str) -> list[str]:
        """Paragraphs without boilerplate lines and without the title or lead repeated."""
        skip = {fold(r) for r in repeats if r}
        out = []
        for para in paragraphs:
            para = " ".join(para.split())
            if not para or fold(para) in skip:
                continue
            if any(rx.search(para) for rx in self.boilerplate_res) or any(
                rx.search(para) for rx in COPYRIGHT_RES
            ):
                continue
            out.append(para)
        return out

    def build_item(self, page: Page, site: Fields, response: Response) -> ArticleItem:
        """Every field from the first layer that has it: the site's selectors (``site``), then
        the page's metadata, then its main text; ``layers`` records which one gave each."""
        layers: dict[str, str] = {}
        meta: Fields | None = None

        def metadata() -> Fields:
            nonlocal meta
            if meta is None:
                meta = metadata_fields(page)
            return meta

        def pick(name: str, *candidates: tuple[str, Any]) -> Any:
            for layer, value in candidates:
                value = value() if callable(value) else value
                if value:
                    layers[name] = layer
                    return value
            return None

        title = " ".join(
            (pick("title", ("selectors", site.title), ("metadata", lambda: metadata().title)) or "").split()
        )
        if not title:
            raise ArticleParseError("no title found")
        raw_lead = " ".join(
            (pick("lead", ("selectors", site.lead), ("metadata", lambda: metadata().lead)) or "").split()
        )
        lead = (
            self.lead_prefix_re.sub("", raw_lead, count=1) if raw_lead and self.lead_prefix_re else raw_lead
        )
        body = pick(
            "body",
            ("selectors", lambda: self.clean_paragraphs(site.paragraphs, title, lead, raw_lead)),
            ("main_text", lambda: self.clean_paragraphs(main_text_paragraphs(page), title, lead, raw_lead)),
        )
        if not body:
            raise ArticleParseError("no body paragraphs found")
        published = self.pick_published(site, metadata, layers)
        author = pick("author", ("selectors", site.author), ("metadata", lambda: metadata().author)) or ""
        if layers.get("author") == "selectors":
            author = self.spelled_as_metadata(author, metadata().author)
        body = self.drop_furniture(body, author, published)
        tags = (
            pick("tags", ("selectors", [t for t in site.tags if t]), ("metadata", lambda: metadata().tags))
            or []
        )
        canonical = pick(
            "canonical_url", ("selectors", site.canonical), ("metadata", lambda: metadata().canonical)
        )
        canonical = response.urljoin(canonical) if canonical else ""
        if not canonical or (
            urlsplit(canonical).hostname != urlsplit(response.url).hostname and not self._same_site(canonical)
        ):
            canonical = response.url  # a canonical pointing off-site is not trusted for identity
            layers["canonical_url"] = "default"
        language = self.pick_language(site, metadata, layers)
        assert response.request is not None  # response.meta (just below) needs it as well
        seen = [
            response.url,
            *response.meta.get("redirect_urls", []),
            response.request.meta.get("newsmon_real_url", ""),
        ]
        return ArticleItem(
            url=response.url,
            canonical_url=canonical,
            source=getattr(self, "source_name", self.name),
            title=title,
            lead=lead,
            body="\n\n".join(body),
            published_at=published,
            author=author.strip() or None,
            tags=list(dict.fromkeys(tags)),
            language=language,
            seen_urls=list(dict.fromkeys(u for u in seen if u)),
            layers={name: layers[name] for name in FIELDS if name in layers},
        )

    def pick_language(self, site: Fields, metadata, layers: dict[str, str]) -> str:
        if site.language:
            layers["language"] = "selectors"
            return site.language
        if self.page_language_first and metadata().language:
            layers["language"] = "metadata"
            return metadata().language
        if self.language:
            layers["language"] = "default"
            return self.language
        found = metadata().language
        layers["language"] = "metadata" if found else "default"
        return found or "und"

    @staticmethod
    def spelled_as_metadata(byline: str, meta_author: str) -> str:
        """A byline the page prints in capitals ("HOÀNG LÂM") as the metadata writes it, when
        both name the same person."""
        return meta_author if meta_author and fold(meta_author) == fold(byline) else byline

    def drop_furniture(self, body: list[str], author: str, published: datetime | None) -> list[str]:
        """The byline or the displayed date standing alone as a paragraph (main-text extraction keeps them)."""
        out = []
        for para in body:
            if author and fold(para) == fold(author):
                continue
            if published is not None and len(para.split()) <= 6:
                shown = self.parse_date_text(para, self.meta_date_order)
                if shown is not None and shown.date() == published.astimezone(shown.tzinfo).date():
                    continue
            out.append(para)
        return out or body

    def _same_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return bool(self.site_host) and (host == self.site_host or host.endswith("." + self.site_host))

    def parse_date_text(self, text: str, order: str = "DMY") -> datetime | None:
        return parse_date(text, self.timezone, self.languages or ("vi", "en", "ru"), order)

    def pick_published(self, site: Fields, metadata, layers: dict[str, str]) -> datetime | None:
        """The site's own date texts (day first, as Vietnamese and Russian pages show them),
        then the metadata's, read in the order the site writes them (``meta_date_order``)."""
        for text in site.dates:
            value = self.parse_date_text(text) if text else None
            if value is not None:
                layers["published_at"] = "selectors"
                return value
        for text in metadata().dates:
            value = self.parse_date_text(text, self.meta_date_order)
            if value is not None:
                layers["published_at"] = "metadata"
                return value
        shown = next((t for t in (*site.dates, *metadata().dates) if t), "")
        if shown or self.date_required:
            raise ArticleParseError(
                f"unparseable publication date ({shown!r})"
                if shown
                else "unparseable publication date (none found)"
            )
        return None

    # ----------------------------------------------------------------- errors

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
        kind = request.meta.get(KIND_META, "request")
        url = request.meta.get("newsmon_real_url") or request.url
        from scrapy.exceptions import IgnoreRequest

        gone = failure.check(HttpError) and failure.value.response.status in (404, 410)
        if request.meta.get(ENTRY_META) == "discovered" and gone:
            # A discovered feed or sitemap that is gone: forget it (the next discovery finds it
            # again if the site still names it); the configured ones carry the crawl.
            store = self._entry_points()
            if store is not None:
                store.forget(getattr(self, "source_name", self.name), url)
            self.crawler.stats.inc_value("newsmon/discovery/failed")
            logger.info("discovered %s %s failed (%s): forgotten", kind, url, failure.value)
            return
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
        if failure.check(IgnoreRequest):
            self.crawler.stats.inc_value("newsmon/ignored")
            logger.info("%s: %s", url, failure.value)
            return
        note_error(self.crawler, kind, url, f"{failure.type.__name__}: {failure.value}")
        logger.warning("%s %s failed: %s", kind, url, failure.value)
