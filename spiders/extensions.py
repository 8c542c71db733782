"""CrawlRunRecorder: one crawl-run record per crawl, with its counts and status."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from spiders.health import degraded_fields, describe
from spiders.resources import crawler_runs

logger = logging.getLogger(__name__)

ERROR_SAMPLES_KEY = "newsmon/error_samples"
MAX_SAMPLES = 20


def note_error(crawler: Crawler, kind: str, url: str, reason: str) -> None:
    """Count an error of ``kind`` for this crawl and keep a sample for `newsmon status`."""
    stats = crawler.stats
    stats.inc_value(f"newsmon/errors/{kind}")
    samples = stats.get_value(ERROR_SAMPLES_KEY) or []
    if len(samples) < MAX_SAMPLES:
        samples.append({"kind": kind, "url": url, "reason": reason[:300]})
        stats.set_value(ERROR_SAMPLES_KEY, samples)


def _error_total(stats: dict[str, Any]) -> int:
    total = sum(v for k, v in stats.items() if k.startswith("newsmon/errors/") and isinstance(v, int))
    # Exceptions in spider callbacks are bugs or markup surprises: count them too.
    total += sum(v for k, v in stats.items() if k.startswith("spider_exceptions/") and isinstance(v, int))
    return total


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


def run_status(counts: dict[str, int], stats: dict[str, Any], reason: str, host: str) -> tuple[str, str | None]:
    """Decide the run's status and a message a person can act on."""
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
        return "failed", "no feed, listing or sitemap could be fetched"
    if sources_ok and found == 0 and counts["articles_seen"] == 0 and not counts["not_modified"]:
        return "failed", (
            "feeds and listing pages were fetched but held no article links: the site's markup or URLs "
            "may have changed"
        )
    if counts["errors"]:
        return "partial", f"{counts['errors']} error(s); samples in `newsmon status`"
    return "ok", None


class CrawlRunRecorder:
    """Opens a crawl-run record when the spider opens and closes it with the counts."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id: int | None = None
        self._checkpoints: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlRunRecorder":
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        source = self.crawler.settings.get("NEWSMON_SOURCE") or spider.name
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

    def spider_closed(self, spider, reason: str) -> None:
        if self._checkpoints is not None and self._checkpoints.running:
            self._checkpoints.stop()
        if self.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        counts = run_counts(stats)
        host = getattr(spider, "site_host", spider.name)
        status, message = run_status(counts, stats, reason, host)
        degraded = degraded_fields(stats, getattr(spider, "selector_fields", ()))
        if degraded:
            note = f"degraded: {describe(degraded)} (the site's markup may have changed; see {degraded['sample_url']})"
            message = f"{message}; {note}" if message else note
            logger.warning("crawl %s: %s", self.crawler.settings.get("NEWSMON_SOURCE") or spider.name, note)
        run = crawler_runs(self.crawler).finish(
            self.run_id, status, counts, message, stats.get(ERROR_SAMPLES_KEY) or [], degraded=degraded
        )
        line = " ".join(f"{k}={v}" for k, v in counts.items())
        log = logger.warning if status in ("failed", "blocked", "killed") else logger.info
        log("crawl %s run=%s status=%s %s%s", run.source, run.id, status, line, f" ({message})" if message else "")
