"""CrawlRunRecorder: one crawl-run record per crawl, with its counts and status."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from spiders.health import degraded_fields, describe
from spiders.resources import crawler_runs, source_crawl

logger = logging.getLogger(__name__)

ERROR_SAMPLES_KEY = "newsmon/error_samples"
ERROR_PREFIX = "newsmon/errors/"
MAX_SAMPLES = 20


def note_error(crawler: Crawler, kind: str, url: str, reason: str) -> None:
    """Count an error of ``kind`` for this crawl and keep a sample for `newsmon status`."""
    stats = crawler.stats
    stats.inc_value(f"{ERROR_PREFIX}{kind}")
    samples = stats.get_value(ERROR_SAMPLES_KEY) or []
    if len(samples) < MAX_SAMPLES:
        samples.append({"kind": kind, "url": url, "reason": reason[:300]})
        stats.set_value(ERROR_SAMPLES_KEY, samples)


def error_kinds(stats: dict[str, Any]) -> dict[str, int]:
    """Errors of this crawl by kind ("http_404": 2, "parse": 1, ...); callback exceptions are "exception"."""
    kinds = {
        k[len(ERROR_PREFIX) :]: v
        for k, v in stats.items()
        if k.startswith(ERROR_PREFIX) and isinstance(v, int)
    }
    exceptions = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/") and isinstance(v, int))
    if exceptions:
        kinds["exception"] = kinds.get("exception", 0) + exceptions
    return dict(sorted(kinds.items()))


def _error_total(stats: dict[str, Any]) -> int:
    # Exceptions in spider callbacks are bugs or markup surprises: counted too.
    return sum(error_kinds(stats).values())


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    return {
        # HTTP requests that went out; a request rewritten to the mirror is counted once.
        "requests": stats.get("downloader/request_count", 0) - stats.get("newsmon/mirror_rewrites", 0),
        "articles_seen": stats.get("newsmon/articles_seen", 0),
        "new": stats.get("newsmon/saved/new", 0),
        "updated": stats.get("newsmon/saved/updated", 0),
        "unchanged": stats.get("newsmon/saved/unchanged", 0),
        "duplicates": stats.get("newsmon/saved/duplicate", 0),
        "errors": _error_total(stats),
        "blocked": stats.get("newsmon/blocked", 0),
        "not_modified": stats.get("newsmon/not_modified", 0),
    }


#: Error kinds that mean the site could not be reached at all (not one page's problem).
CONNECT_KINDS = ("dns", "timeout", "connection_refused", "connection")
UNREACHABLE_REASON_KEY = "newsmon/unreachable_reason"
UNREACHABLE_HINT = "check the network or proxy; for the offline demo set NEWSMON_MIRROR"


def unreachable_message(host: str, stats: dict[str, Any]) -> str:
    """One line a person can act on: "cannot reach HOST: WHY; check the network or proxy; ..."."""
    why = stats.get(UNREACHABLE_REASON_KEY) or "no answer"
    return f"cannot reach {host}: {why}; {UNREACHABLE_HINT}"


def run_status(
    counts: dict[str, int], stats: dict[str, Any], reason: str, host: str
) -> tuple[str, str | None]:
    """Decide the run's status and a message a person can act on."""
    if reason == "unreachable":
        return "failed", unreachable_message(host, stats)
    if reason not in ("finished",):
        return "killed", f"crawl stopped before finishing ({reason})"
    if counts["blocked"] and counts["articles_seen"] == 0:
        return "blocked", (
            f"{host} refused {counts['blocked']} request(s) with HTTP 403. Sites such as hanoimoi.vn refuse "
            "foreign IP addresses: set this source's `proxy` in the config to an HTTP proxy with a "
            "Vietnamese egress, or set HTTPS_PROXY."
        )
    found = stats.get("newsmon/links_found", 0)
    # A 304 is an index fetched fine: it has not changed since the last crawl.
    sources_ok = stats.get("newsmon/index_pages_ok", 0) + counts["not_modified"]
    if counts["errors"] and counts["articles_seen"] == 0 and not sources_ok:
        # Nothing answered at all (robots.txt, discovery and entry points alike): the site is unreachable.
        if not stats.get("downloader/response_count") or all(
            kind in CONNECT_KINDS for kind in error_kinds(stats)
        ):
            return "failed", unreachable_message(host, stats)
        return "failed", "no feed, listing or sitemap could be fetched"
    if sources_ok and found == 0 and counts["articles_seen"] == 0 and not counts["not_modified"]:
        return "failed", (
            "feeds and listing pages were fetched but held no article links: the site's markup or URLs "
            "may have changed"
        )
    if counts["errors"]:
        kinds = ", ".join(f"{kind} {n}" for kind, n in error_kinds(stats).items())
        return "partial", f"{counts['errors']} error(s): {kinds}; samples in `newsmon status`"
    return "ok", None


class ReachabilityWatch:
    """Ends a crawl whose site has not answered anything within ``crawl.unreachable_after_seconds``.

    With packets dropped, each request would otherwise wait its download timeout,
    retries included, entry point after entry point. Any response (a 404, robots.txt)
    counts as an answer. The run is then recorded as failed with one line naming the
    cause. 0 turns the watch off.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.after = source_crawl(crawler).config.crawl.unreachable_after_seconds
        self.answered = False
        self._call: Any = None  # an IDelayedCall (zope interface: opaque to mypy without mypy-zope)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReachabilityWatch:
        watch = cls(crawler)
        crawler.signals.connect(watch.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(watch.response_received, signal=signals.response_received)
        crawler.signals.connect(watch.spider_closed, signal=signals.spider_closed)
        return watch

    def spider_opened(self, spider) -> None:
        if self.after > 0:
            from twisted.internet import reactor as _reactor

            reactor: Any = _reactor  # its IReactorTime methods are invisible to mypy without mypy-zope
            self._call = reactor.callLater(self.after, self._check)

    def response_received(self, *args, **kwargs) -> None:
        self.answered = True

    def _check(self) -> None:
        self._call = None
        if self.answered or self.crawler.engine is None:
            return
        stats = self.crawler.stats
        if not stats.get_value(UNREACHABLE_REASON_KEY):
            stats.set_value(UNREACHABLE_REASON_KEY, f"no answer within {self.after:g} s")
        logger.warning("no answer from the site within %g s: ending the crawl", self.after)
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="unreachable"))

    def spider_closed(self, spider, reason: str) -> None:
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None


class CrawlRunRecorder:
    """Opens a crawl-run record when the spider opens and closes it with the counts."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id: int | None = None
        self._checkpoints: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        source = source_crawl(self.crawler).name
        self.run_id = crawler_runs(self.crawler).start(source, pid=os.getpid(), host=socket.gethostname())
        self.crawler.stats.set_value("newsmon/run_id", self.run_id)
        # The counts so far go to the record every few seconds: a crawl killed outright (time
        # limit, SIGKILL) leaves the counts it reached, not zeros.
        every = self.crawler.settings.getfloat("NEWSMON_RUN_CHECKPOINT_SECONDS", 5.0)
        if every > 0:
            from twisted.internet import task

            self._checkpoints = task.LoopingCall(self._checkpoint)
            self._checkpoints.start(every, now=False)

    def _checkpoint(self) -> None:
        if self.run_id is None:
            return
        try:
            crawler_runs(self.crawler).checkpoint(self.run_id, run_counts(self.crawler.stats.get_stats()))
        except Exception:  # noqa: BLE001 - a missed checkpoint costs nothing the final record does not write
            logger.warning("could not write the crawl's counts so far", exc_info=True)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlRunRecorder | None:
        """The recorder of this crawler, if the extension is on."""
        for ext in getattr(crawler.extensions, "middlewares", ()):
            if isinstance(ext, cls):
                return ext
        return None

    def spider_closed(self, spider, reason: str) -> None:
        if self._checkpoints is not None and self._checkpoints.running:
            self._checkpoints.stop()
        self.record(reason)

    def record(self, reason: str) -> None:
        """Close the run with the counts reached so far. Called when the spider closes, and
        at once on SIGTERM/SIGINT (the process may end before the spider has closed)."""
        if self.run_id is None:
            return
        spider = self.crawler.spider
        stats = self.crawler.stats.get_stats()
        counts = run_counts(stats)
        host = getattr(spider, "site_host", None) or getattr(spider, "name", None) or ""
        status, message = run_status(counts, stats, reason, host)
        degraded = degraded_fields(stats, getattr(spider, "selector_fields", ()))
        if degraded:
            note = f"degraded: {describe(degraded)} (the site's markup may have changed; see {degraded['sample_url']})"
            message = f"{message}; {note}" if message else note
            logger.warning("crawl %s: %s", source_crawl(self.crawler).name, note)
        run = crawler_runs(self.crawler).finish(
            self.run_id,
            status,
            counts,
            message,
            stats.get(ERROR_SAMPLES_KEY) or [],
            degraded=degraded,
            error_kinds=error_kinds(stats),
        )
        line = " ".join(f"{k}={v}" for k, v in counts.items())
        log = logger.warning if status in ("failed", "blocked", "killed") else logger.info
        log(
            "crawl %s run=%s status=%s %s%s",
            run.source,
            run.id,
            status,
            line,
            f" ({message})" if message else "",
        )
