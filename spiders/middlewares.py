"""Downloader and spider middlewares: each adjusts requests in one way."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from spiders.resources import crawler_articles
from storage import try_canonicalize

logger = logging.getLogger(__name__)

REAL_URL_META = "newsmon_real_url"
ARTICLE_META = "newsmon_article"


def mirror_url(mirror: str, url: str) -> str:
    """https://hanoimoi.vn/a.html?x=1 → {mirror}/hanoimoi.vn/a.html?x=1"""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{mirror}/{parts.netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def real_url(mirror: str, url: str, scheme: str = "https") -> str:
    """The inverse of :func:`mirror_url`; URLs outside the mirror come back unchanged."""
    if not url.startswith(mirror + "/"):
        return url
    rest = urlsplit(url[len(mirror):])
    host, _, path = rest.path.lstrip("/").partition("/")
    return urlunsplit((scheme, host, "/" + path, rest.query, ""))


class MirrorMiddleware:
    """Sends every request to the offline mirror when NEWSMON_MIRROR is set.

    The rest of Scrapy (and the database) only ever sees the real site's URLs:
    requests are rewritten on the way out and responses renamed on the way back.
    """

    def __init__(self, mirror: str | None) -> None:
        self.mirror = mirror.rstrip("/") if mirror else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "MirrorMiddleware":
        return cls(crawler.settings.get("NEWSMON_MIRROR") or os.environ.get("NEWSMON_MIRROR"))

    def process_request(self, request: Request, spider=None) -> Request | None:
        if not self.mirror or request.url.startswith(self.mirror + "/"):
            return None
        meta = dict(request.meta)
        meta[REAL_URL_META] = request.url
        meta["proxy"] = None  # the mirror is on loopback: never through a proxy
        meta["dont_obey_robotstxt"] = True  # robots.txt was checked for the real URL already
        if meta.get("redirect_urls"):
            meta["redirect_urls"] = [real_url(self.mirror, u) for u in meta["redirect_urls"]]
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

    def __init__(self, proxy: str | None, mirrored: bool) -> None:
        self.proxy = None if mirrored else proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SourceProxyMiddleware":
        s = crawler.settings
        return cls(s.get("NEWSMON_PROXY"), bool(s.get("NEWSMON_MIRROR") or os.environ.get("NEWSMON_MIRROR")))

    def process_request(self, request: Request, spider=None) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy


class KnownArticleFilter:
    """Drops requests for articles that are already stored, before they are scheduled.

    Each callback's output is checked against storage in one batch (not one query
    per link). Articles fetched longer ago than NEWSMON_REFRESH_HOURS are
    requested again; 0 means never. Within one crawl, each canonical URL is
    requested once, whatever tracking parameters its links carry.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        hours = crawler.settings.getfloat("NEWSMON_REFRESH_HOURS", 0)
        self.refresh = timedelta(hours=hours) if hours > 0 else None
        self.scheduled: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "KnownArticleFilter":
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
        wanted = crawler_articles(self.crawler).stale_or_unknown(fresh.keys(), self.refresh) if fresh else set()
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
