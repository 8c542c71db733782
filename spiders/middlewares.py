"""Downloader and spider middlewares: each adjusts requests in one way."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from spiders.resources import crawler_articles, source_crawl
from storage import try_canonicalize
from storage.models import utcnow

logger = logging.getLogger(__name__)

REAL_URL_META = "newsmon_real_url"
ARTICLE_META = "newsmon_article"
MIRROR_REWRITES_STAT = "newsmon/mirror_rewrites"


def mirror_url(mirror: str, url: str) -> str:
    """https://hanoimoi.vn/a.html?x=1 → {mirror}/hanoimoi.vn/a.html?x=1"""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{mirror}/{parts.netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def real_url(mirror: str, url: str, scheme: str = "https") -> str:
    """The inverse of :func:`mirror_url`; URLs outside the mirror come back unchanged."""
    if not url.startswith(mirror + "/"):
        return url
    rest = urlsplit(url[len(mirror) :])
    host, _, path = rest.path.lstrip("/").partition("/")
    return urlunsplit((scheme, host, "/" + path, rest.query, ""))


class MirrorMiddleware:
    """Sends every request to the offline mirror when the config names one (``mirror``).

    The rest of Scrapy (and the database) only ever sees the real site's URLs:
    requests are rewritten on the way out and responses renamed on the way back.
    """

    def __init__(self, mirror: str | None, stats=None) -> None:
        self.mirror = mirror.rstrip("/") if mirror else None
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorMiddleware:
        return cls(source_crawl(crawler).mirror, crawler.stats)

    def process_request(self, request: Request, spider=None) -> Request | None:
        if not self.mirror or request.url.startswith(self.mirror + "/"):
            return None
        meta = dict(request.meta)
        meta[REAL_URL_META] = request.url
        meta["proxy"] = None  # the mirror is on loopback: never through a proxy
        meta["dont_obey_robotstxt"] = True  # robots.txt was checked for the real URL already
        if meta.get("redirect_urls"):
            meta["redirect_urls"] = [real_url(self.mirror, u) for u in meta["redirect_urls"]]
        if self.stats is not None:
            # DownloaderStats already counted the real-URL request, which never goes out.
            self.stats.inc_value(MIRROR_REWRITES_STAT)
        return request.replace(url=mirror_url(self.mirror, request.url), meta=meta, dont_filter=True)

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        original = request.meta.get(REAL_URL_META)
        if not self.mirror or not original:
            return response
        scheme = urlsplit(original).scheme or "https"
        return response.replace(url=real_url(self.mirror, response.url, scheme))


class SourceProxyMiddleware:
    """Routes a source's requests through the proxy its config names (e.g. a Vietnamese egress).

    The standard proxy environment variables keep working through Scrapy's own
    HttpProxyMiddleware; a source's configured proxy wins over them.
    """

    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceProxyMiddleware:
        return cls(source_crawl(crawler).proxy)

    def process_request(self, request: Request, spider=None) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy


class KnownArticleFilter:
    """Drops requests for articles that are already stored, before they are scheduled.

    Each callback's output is checked against storage in one batch (not one query
    per link). Articles fetched longer ago than ``refresh_hours`` (the source's, else
    ``crawl.refresh_hours``) are requested again; 0 means never. Within one crawl, each canonical URL is
    requested once, whatever tracking parameters its links carry.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.refresh = source_crawl(crawler).refresh
        self.scheduled: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KnownArticleFilter:
        return cls(crawler)

    def _filter(self, outputs: list[Any]) -> list[Any]:
        article_requests = [o for o in outputs if isinstance(o, Request) and o.meta.get(ARTICLE_META)]
        if not article_requests:
            return outputs
        stats = self.crawler.stats
        drop: set[int] = set()
        fresh: dict[str, Request] = {}
        for req in article_requests:
            key = try_canonicalize(req.url)
            if key is None or key in self.scheduled or key in fresh:
                drop.add(id(req))
                continue
            fresh[key] = req
        wanted = (
            crawler_articles(self.crawler).stale_or_unknown(fresh.keys(), self.refresh) if fresh else set()
        )
        for key, req in fresh.items():
            if key in wanted:
                self.scheduled.add(key)
            else:
                drop.add(id(req))
                stats.inc_value("newsmon/skipped_known")
        return [o for o in outputs if id(o) not in drop]

    def process_spider_output(self, response: Response, result: Iterable[Any], spider=None) -> Iterable[Any]:
        return self._filter(list(result))

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider=None
    ) -> AsyncIterator[Any]:
        outputs = [o async for o in result]
        for o in self._filter(outputs):
            yield o


CONDITIONAL_META = "newsmon_conditional"
INDEX_KINDS = ("feed", "listing", "sitemap")


class NotModified(IgnoreRequest):
    """The server answered 304: the index page is as it was when last fetched whole."""


class ConditionalRequestMiddleware:
    """Fetches feeds, listing pages and sitemaps with If-None-Match / If-Modified-Since.

    Polling an unchanged index then costs a 304 and nothing below it is requested.
    Validators are kept per source and keyed by the real URL (under the mirror, the
    re-issued request carries it in meta). They are saved only when the crawl
    finishes normally: a killed crawl may not have fetched the articles an index
    listed, so its next poll must see that index whole; nor for an index page something
    below which failed (see spiders/ledger.py). Validators older than
    ``crawl.conditional_max_age_hours`` (default 24; 0 = no limit) are not sent, so
    articles that failed to load are found again at least that often.
    Off with ``crawl.conditional_requests = false``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawl = source_crawl(crawler)
        self.enabled = crawl.config.crawl.conditional_requests
        hours = crawl.config.crawl.conditional_max_age_hours
        max_age = timedelta(hours=hours) if hours > 0 else None
        if crawl.refresh is not None:
            # Stored articles due for a refresh are found through the indexes: read them whole that often.
            max_age = min(max_age, crawl.refresh) if max_age is not None else crawl.refresh
        self.max_age = max_age
        self.source = crawl.name
        self._known: dict[str, Any] | None = None
        self._fetched: dict[str, tuple[str | None, str | None]] = {}
        self._confirmed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        from scrapy import signals

        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _store(self):
        from spiders.resources import crawler_database
        from storage.http_cache import HttpValidatorStore

        return HttpValidatorStore(crawler_database(self.crawler))

    def _validators(self) -> dict[str, Any]:
        if self._known is None:
            self._known = self._store().for_source(self.source)
        return self._known

    @staticmethod
    def _key(request: Request) -> str:
        return request.meta.get(REAL_URL_META) or request.url

    def _wanted(self, request: Request) -> bool:
        return self.enabled and request.meta.get("newsmon_kind") in INDEX_KINDS

    def process_request(self, request: Request, spider=None) -> None:
        if not self._wanted(request):
            return None
        if request.meta.get(CONDITIONAL_META):
            # A redirect copies the headers of the URL it came from; they belong to that URL.
            request.headers.pop(b"If-None-Match", None)
            request.headers.pop(b"If-Modified-Since", None)
        row = self._validators().get(self._key(request))
        fresh = row is not None and (self.max_age is None or utcnow() - row.fetched_at <= self.max_age)
        request.meta[CONDITIONAL_META] = bool(fresh)
        if fresh:
            assert row is not None  # fresh implies a row
            if row.etag:
                request.headers[b"If-None-Match"] = row.etag
            if row.last_modified:
                request.headers[b"If-Modified-Since"] = row.last_modified
        return None

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if not self._wanted(request):
            return response
        url = self._key(request)
        if response.status == 304 and request.meta.get(CONDITIONAL_META):
            self.crawler.stats.inc_value("newsmon/not_modified")
            self._confirmed.add(url)
            logger.info("%s %s: not modified since last fetched (304)", request.meta.get("newsmon_kind"), url)
            raise NotModified(f"{url}: not modified (HTTP 304)")
        if response.status == 200:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            self._fetched[url] = (
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
            )
        return response

    def spider_closed(self, spider, reason: str) -> None:
        if not self.enabled or not (self._fetched or self._confirmed):
            return
        if reason != "finished":
            logger.info(
                "crawl ended (%s): validators of %d index page(s) not saved", reason, len(self._fetched)
            )
            return
        from spiders.ledger import index_ledger

        ledger = index_ledger(self.crawler)
        complete = {url: v for url, v in self._fetched.items() if ledger.complete(url)}
        for url in sorted(set(self._fetched) - set(complete)):
            logger.info("%s: not every page it led to was fetched; its validators are not saved", url)
        # An incomplete index keeps no validators at all: the next crawl must read it whole.
        forget = {url: (None, None) for url in self._fetched if url not in complete}
        self._store().record(self.source, {**complete, **forget}, self._confirmed)


def _bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


class IndexLinkMiddleware:
    """What feeds, listings and sitemaps lead to: same-site links only, each noted in the ledger.

    - A link an index page gives (an article, a child sitemap, the next listing page)
      must be on the source's own site (its ``site_host`` or the host of one of its
      entry points, subdomains included); any other is refused, counted and sampled.
    - Every link kept is noted in the crawl's :class:`~spiders.ledger.IndexLedger`, so
      an index page whose articles failed keeps no validators.
    - At the start, article pages of this source that failed before and whose back-off
      has run out are requested again, whether or not their index has changed.
    Sits above KnownArticleFilter (600), so it sees links before known ones are dropped.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._hosts: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexLinkMiddleware:
        return cls(crawler)

    def _site_hosts(self) -> set[str]:
        if self._hosts is None:
            spider = self.crawler.spider
            hosts = {_bare_host(getattr(spider, "site_host", "") or "")}
            for attr in ("feeds", "listing_pages", "sitemaps"):
                hosts.update(_bare_host(urlsplit(u).hostname or "") for u in getattr(spider, attr, ()) or ())
            self._hosts = {h for h in hosts if h}
        return self._hosts

    def same_site(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        host = _bare_host(parts.hostname or "")
        return bool(host) and any(host == h or host.endswith("." + h) for h in self._site_hosts())

    def _links(self, response: Response, outputs: list[Any]) -> list[Any]:
        from spiders.extensions import note_error
        from spiders.ledger import index_ledger

        kind = response.meta.get("newsmon_kind")
        if kind not in INDEX_KINDS:
            return outputs
        ledger = index_ledger(self.crawler)
        kept = []
        for out in outputs:
            if isinstance(out, Request):
                if not self.same_site(out.url):
                    note_error(
                        self.crawler,
                        "refused",
                        out.url,
                        f"{kind} {response.url} links off the source's site: {out.url}",
                    )
                    logger.warning("%s %s: refused off-site link %s", kind, response.url, out.url)
                    continue
                ledger.led_to(response.url, out.url)
            kept.append(out)
        return kept

    def process_spider_input(self, response: Response, spider=None) -> None:
        redirects = response.meta.get("redirect_urls")
        if redirects:
            from spiders.ledger import index_ledger

            index_ledger(self.crawler).alias(response.url, redirects[0])
        return None

    def process_spider_output(self, response: Response, result: Iterable[Any], spider=None) -> Iterable[Any]:
        return self._links(response, list(result))

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider=None
    ) -> AsyncIterator[Any]:
        outputs = [o async for o in result]
        for o in self._links(response, outputs):
            yield o

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for request in start:
            yield request
        spider = self.crawler.spider
        make = getattr(spider, "article_request", None)
        if make is None:
            return
        source = source_crawl(self.crawler).name
        for url in crawler_articles(self.crawler).due_failures(source):
            request = make(url)
            if request is not None:
                self.crawler.stats.inc_value("newsmon/failed_retried")
                logger.info("retrying %s, which failed before (its back-off has run out)", url)
                yield request
