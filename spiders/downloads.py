"""Downloader middlewares that keep a crawl safe and honest about what it fetched.

- :class:`UrlGuardMiddleware`: only http(s) URLs whose host is a public address are
  requested (the mirror and hosts listed in ``crawl.allowed_hosts`` excepted), every
  hop of a redirect included.
- :class:`RedirectGuardMiddleware`: a redirect loop or an over-long chain is an error.
- :class:`CappedDecompressionMiddleware`: a body over the size cap after decompression
  (a gzip bomb) is an error, not a silently ignored request.
- :class:`RetryAfterMiddleware`: a 503/429 with Retry-After pauses that host (≤ 1 h).
- :class:`ResponseCheckMiddleware`: every final failure of a page (HTTP status,
  connection, timeout, size, truncated HTML) is an error of the run with its kind,
  and failed article pages go on the back-off list; HTML is decoded by a robust
  charset order.

Errors are accounted here, once, by :func:`fetch_failed`; the request then ends with
:class:`AccountedFailure` (an IgnoreRequest), so the spider's errback does not count it again.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response
from twisted.internet import error as twisted_error
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

from spiders.extensions import CONNECT_KINDS, UNREACHABLE_REASON_KEY, note_error
from spiders.ledger import DELIBERATE_KINDS, index_ledger
from spiders.middlewares import ARTICLE_META, REAL_URL_META
from spiders.resources import crawler_articles, source_crawl

logger = logging.getLogger(__name__)

KIND_META = "newsmon_kind"
ENTRY_META = "newsmon_entry"  # "discovered" for entry points found by discovery, not configured
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
RETRY_AFTER_MAX_SECONDS = 3600.0


class AccountedFailure(IgnoreRequest):
    """A request that failed and whose error is already counted and sampled."""


def _real_url(request: Request) -> str:
    return request.meta.get(REAL_URL_META) or request.url


def source_name(crawler: Crawler) -> str:
    return source_crawl(crawler).name


def fetch_failed(crawler: Crawler, request: Request, kind: str, reason: str) -> AccountedFailure:
    """Count and sample the error and return the exception that ends the request.

    Unless the skip was deliberate, the index pages that led to the request are marked
    incomplete (their validators are not saved: the next crawl reads them whole) and a
    failed article page goes on the back-off list."""
    url = _real_url(request)
    chain = list(request.meta.get("redirect_urls", []))
    first = chain[0] if chain else url  # the URL the index gave, which is what is retried
    note_error(crawler, kind, first, reason)
    what = request.meta.get(KIND_META, "request")
    logger.warning("%s %s: %s", what, first, reason)
    if kind not in DELIBERATE_KINDS:
        index_ledger(crawler).failed([url, *chain])
        if request.meta.get(ARTICLE_META):
            crawler_articles(crawler).record_failure(first, source_name(crawler), reason)
    return AccountedFailure(f"{first}: {reason}")


def _accounted(request: Request) -> bool:
    """Only newsmon's own requests (feeds, listings, sitemaps, articles) are accounted; robots.txt is not."""
    return request.meta.get(KIND_META) is not None


# ---------------------------------------------------------------- which URLs may be fetched


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _host_port(url: str) -> tuple[str, int | None, str]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    return (parts.hostname or "").lower().rstrip("."), port, parts.scheme.lower()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class UrlGuardMiddleware:
    """Refuses requests for anything but http(s) URLs on public addresses.

    Runs on every request the downloader sees, so redirects (which come back as new
    requests) are checked at each hop. Allowed besides: the configured mirror, and
    hosts listed in ``crawl.allowed_hosts`` ("host" or "host:port"). Under the mirror
    no name is resolved (nothing leaves the machine); IP literals and localhost
    names are still refused. A name that does not resolve is let through: the
    download fails on its own, with an error of kind ``dns``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawl = source_crawl(crawler)
        self.mirror = crawl.mirror or ""
        allowed = list(crawl.config.crawl.allowed_hosts)
        if self.mirror:
            host, port, _ = _host_port(self.mirror)
            allowed.append(f"{host}:{port}" if port else host)
        self.allowed = set(allowed)
        self._resolved: dict[tuple[str, int], list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlGuardMiddleware:
        return cls(crawler)

    def _listed(self, host: str, port: int | None) -> bool:
        return host in self.allowed or (port is not None and f"{host}:{port}" in self.allowed)

    async def process_request(self, request: Request, spider=None) -> None:
        reason = await self.refusal(request.url)
        if reason is None:
            return None
        if not _accounted(request):  # robots.txt of a refused host: nothing to count
            raise IgnoreRequest(f"refused to fetch {request.url}: {reason}")
        raise fetch_failed(self.crawler, request, "refused", f"refused to fetch {request.url}: {reason}")

    async def refusal(self, url: str) -> str | None:
        """Why ``url`` must not be fetched, or None when it may."""
        host, port, scheme = _host_port(url)
        if scheme not in ("http", "https"):
            return f"scheme {scheme or 'none'!r} is not http(s)"
        if not host or port == -1:
            return "no valid host"
        if self._listed(host, port if port else None) or self._listed(host, None):
            return None
        if host == "localhost" or host.endswith(".localhost"):
            return "a loopback host"
        if _is_ip(host):
            return None if is_public_address(host) else f"{host} is not a public address"
        if self.mirror:
            return None  # rewritten to the mirror; resolving the real name would leave the machine
        addresses = await self._resolve(host, port or (443 if scheme == "https" else 80))
        private = [a for a in addresses if not is_public_address(a)]
        if private:
            return f"{host} resolves to {private[0]}, not a public address"
        return None

    async def _resolve(self, host: str, port: int) -> list[str]:
        key = (host, port)
        if key not in self._resolved:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError, OSError):
                infos = []
            # info[4][0] is the address string (INET/INET6 sockaddr); str() tells mypy so.
            self._resolved[key] = sorted({str(info[4][0]) for info in infos})
        return self._resolved[key]


# ---------------------------------------------------------------- redirects


class RedirectGuardMiddleware:
    """Turns a redirect loop (A→B→A) or a chain longer than REDIRECT_MAX_TIMES into an error.

    Sits above Scrapy's RedirectMiddleware, so it sees each 3xx before it is followed:
    without it, a loop ends in the duplicate filter and a long chain in a debug line.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        location = response.headers.get(b"Location")
        if (
            response.status not in REDIRECT_STATUSES
            or location is None
            or request.meta.get("dont_redirect")
            or not _accounted(request)
        ):
            return response
        here = response.url
        target = urljoin(here, location.decode("latin-1").strip())
        chain = [*request.meta.get("redirect_urls", []), here]
        if _fragmentless(target) in {_fragmentless(u) for u in chain}:
            raise fetch_failed(
                self.crawler, request, "redirect_loop", f"redirect loop: {' → '.join([*chain, target])}"
            )
        if len(chain) > self.limit:
            raise fetch_failed(
                self.crawler,
                request,
                "redirect_limit",
                f"more than {self.limit} redirects (last to {target})",
            )
        return response


def _fragmentless(url: str) -> str:
    return url.split("#", 1)[0]


# ---------------------------------------------------------------- size cap after decompression


class CappedDecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, with a body over DOWNLOAD_MAXSIZE once decompressed counted as an error."""

    def __init__(self, stats=None, *, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        self.crawler = crawler

    def process_response(self, request: Request, response: Response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            if not _accounted(request) or isinstance(exc, AccountedFailure):
                raise
            raise fetch_failed(
                self.crawler, request, "too_large", f"body over the size cap once decompressed ({exc})"
            ) from exc


# ---------------------------------------------------------------- Retry-After


def retry_after_seconds(
    value: str | bytes | None, now: float | None = None, limit: float = RETRY_AFTER_MAX_SECONDS
) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), at most ``limit``."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, min(seconds, limit))


class RetryAfterMiddleware:
    """Honours Retry-After on 503 and 429: no request goes to that host before it is due.

    Above RetryMiddleware, so it notes the pause before the retry is scheduled; the
    retry (and every other request for the host) then waits in :meth:`process_request`.
    Bounded by NEWSMON_RETRY_AFTER_MAX_SECONDS (default 1 h).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getfloat("NEWSMON_RETRY_AFTER_MAX_SECONDS", RETRY_AFTER_MAX_SECONDS)
        self.not_before: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    @staticmethod
    def _host(request: Request) -> str:
        return urlsplit(_real_url(request)).netloc.lower()

    async def process_request(self, request: Request, spider=None) -> None:
        due = self.not_before.get(self._host(request))
        if due is not None:
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        return None

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if response.status in (503, 429):
            seconds = retry_after_seconds(response.headers.get(b"Retry-After"), limit=self.limit)
            if seconds:
                host = self._host(request)
                due = time.monotonic() + seconds
                self.not_before[host] = max(due, self.not_before.get(host, 0.0))
                self.crawler.stats.inc_value("newsmon/retry_after")
                logger.info(
                    "%s answered %s with Retry-After: waiting %.0f s before asking it again",
                    host,
                    response.status,
                    seconds,
                )
        return response


# ---------------------------------------------------------------- final responses and failures


def choose_encoding(body: bytes, content_type: str | None) -> str | None:
    """The encoding to read an HTML page with: its BOM; else UTF-8 when the bytes are valid
    UTF-8; else the declared charset (header, then meta) when the bytes decode cleanly
    under it; else what charset-normalizer detects. None when nothing fits."""
    bom, _ = read_bom(body)
    if bom:
        return bom
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    for declared in (http_content_type_encoding(content_type), html_body_declared_encoding(body)):
        name = resolve_encoding(declared) if declared else None
        if not name:
            continue
        try:
            body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return name
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return best.encoding if best is not None else None


_CLOSING_MARKUP = re.compile(rb"</(?:html|body)\s*>", re.IGNORECASE)


def looks_truncated(body: bytes) -> bool:
    """True when an HTML page stops before its closing markup (no </body> or </html>)."""
    return _CLOSING_MARKUP.search(body[-4096:]) is None


_EXCEPTION_KINDS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, twisted_error.DNSLookupError), "dns"),
    ((DownloadTimeoutError, twisted_error.TimeoutError, twisted_error.TCPTimedOutError), "timeout"),
    ((DownloadConnectionRefusedError, twisted_error.ConnectionRefusedError), "connection_refused"),
    ((twisted_error.ConnectError, twisted_error.ConnectionLost, twisted_error.ConnectionDone), "connection"),
    ((ResponseDataLossError,), "data_loss"),
)


def exception_kind(exc: BaseException) -> str:
    if isinstance(exc, DownloadCancelledError) and "max size" in str(exc).lower():
        return "too_large"
    for types, kind in _EXCEPTION_KINDS:
        if isinstance(exc, types):
            return kind
    return "download"


_KIND_WORDS = {
    "dns": "the host name does not resolve",
    "timeout": "connection timed out",
    "connection_refused": "connection refused",
    "connection": "connection failed",
}


def describe_exception(kind: str, exc: BaseException) -> str:
    words = _KIND_WORDS.get(kind)
    detail = str(exc).strip() or type(exc).__name__
    return f"{words} ({detail})" if words else f"{type(exc).__name__}: {detail}"


class ResponseCheckMiddleware:
    """The last word on each of newsmon's requests, below RetryMiddleware (final outcomes only).

    - A non-2xx final status is an error of kind ``http_<status>`` (403 also counts as
      blocked); a failed download one of ``dns``, ``timeout``, ``connection_refused``,
      ``connection``, ``too_large``, ``data_loss`` or ``download``.
    - An HTML page is decoded by :func:`choose_encoding`.
    - An article page whose HTML stops before its closing markup is ``truncated``.
    Failed article pages go on the back-off list (:func:`fetch_failed`).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResponseCheckMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if not _accounted(request):
            return response
        if response.status in (404, 410) and request.meta.get(ENTRY_META) == "discovered":
            return response  # a discovered entry point that is gone: the spider forgets it, not an error
        if request.meta.get(KIND_META) == "discovery" and not 200 <= response.status < 300:
            return response  # a discovery page (home, feed index, robots.txt) the site lacks: logged, not an error
        if not 200 <= response.status < 300 and response.status not in self._handled(request):
            if response.status == 403:
                self.crawler.stats.inc_value("newsmon/blocked")
            raise fetch_failed(self.crawler, request, f"http_{response.status}", f"HTTP {response.status}")
        if isinstance(response, HtmlResponse):
            encoding = choose_encoding(
                response.body, (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            )
            if encoding and encoding != response.encoding:
                response = response.replace(encoding=encoding)
            if request.meta.get(ARTICLE_META) and looks_truncated(response.body):
                raise fetch_failed(
                    self.crawler,
                    request,
                    "truncated",
                    "the page ends before its closing markup (truncated); retried later",
                )
        return response

    def _handled(self, request: Request) -> Iterable[int]:
        spider = getattr(self.crawler, "spider", None)
        return [
            *request.meta.get("handle_httpstatus_list", ()),
            *getattr(spider, "handle_httpstatus_list", ()),
        ]

    def process_exception(self, request: Request, exception: Exception, spider=None) -> Any:
        if isinstance(exception, IgnoreRequest):
            return None
        kind = exception_kind(exception)
        tries = request.meta.get("retry_times", 0) + 1
        counted = f"{tries} {'try' if tries == 1 else 'tries'}"
        if kind in CONNECT_KINDS and request.meta.get(KIND_META) != "article":
            # robots.txt and entry points: what `cannot reach HOST: ...` will say.
            self.crawler.stats.set_value(UNREACHABLE_REASON_KEY, f"{_KIND_WORDS[kind]} ({counted})")
        if not _accounted(request):
            return None
        reason = describe_exception(kind, exception)
        if kind in CONNECT_KINDS:
            reason += f" ({counted})"
        raise fetch_failed(self.crawler, request, kind, reason)
