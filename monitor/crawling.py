"""Running crawls: one Scrapy crawler per source, all in this process."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.config import AppConfig, did_you_mean
from monitor.crawl_settings import crawl_settings
from monitor.progress import Progress
from storage import CrawlRunLog, Database
from storage.models import RUN_COUNT_FIELDS

if TYPE_CHECKING:
    from storage.models import CrawlRun

logger = logging.getLogger(__name__)


@dataclass
class CrawlOutcome:
    """How one source's crawl ended: its run record's summary, or why it did not run.

    ``counts`` holds the run's counts (RUN_COUNT_FIELDS); ``details`` the rest of its
    record's summary (times, error kinds and samples, degradation). A crawl the daemon ran
    in a child process also has ``seconds`` and ``peak_rss_kb``. The child hands it to the
    daemon as :meth:`to_json`, read back by :meth:`from_json`.
    """

    source: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    message: str | None = None
    run_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None
    peak_rss_kb: int | None = None

    @classmethod
    def from_run(
        cls, run: CrawlRun, *, seconds: float | None = None, peak_rss_kb: int | None = None
    ) -> CrawlOutcome:
        """The outcome a crawl_run record says, with what the daemon measured of its process."""
        summary = run.summary()
        counts = {name: int(summary[name] or 0) for name in RUN_COUNT_FIELDS}
        details = {
            k: v for k, v in summary.items() if k not in {*counts, "id", "source", "status", "message"}
        }
        return cls(run.source, run.status, counts, run.message, run.id, details, seconds, peak_rss_kb)

    def as_dict(self) -> dict[str, Any]:
        """One flat object: `newsmon crawl --json` and `newsmon run --once --json` print it."""
        data: dict[str, Any] = {
            "source": self.source,
            "status": self.status,
            "run_id": self.run_id,
            "message": self.message,
            **self.counts,
            **self.details,
        }
        if self.seconds is not None:
            data.update(seconds=round(self.seconds, 2), peak_rss_kb=self.peak_rss_kb)
        return data

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlOutcome:
        """Read what :meth:`to_json` wrote; ValueError when it is not such an object."""
        try:
            data = json.loads(text)
            return cls(**data)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a crawl outcome: {exc}") from None


# How `format_counts` shows each count; the ones a person reads by default, in order.
COUNT_LABELS = {"articles_seen": "seen"}
SHOWN_COUNTS = ("requests", "articles_seen", "new", "updated", "duplicates", "errors", "blocked")


def format_counts(counts: Mapping[str, Any], keys: Sequence[str] = SHOWN_COUNTS) -> str:
    """A run's counts as text for a person: "requests=12 seen=10 new=3 ..." (missing ones 0)."""
    return " ".join(f"{COUNT_LABELS.get(key, key)}={counts.get(key) or 0}" for key in keys)


class UnknownSourceError(Exception):
    pass


def check_sources(config: AppConfig, names: list[str] | None) -> list[str]:
    """The sources to crawl: the named ones (which must exist), or every enabled one."""
    if not names:
        return list(config.enabled_sources())
    unknown = [n for n in names if n not in config.sources]
    if unknown:
        known = ", ".join(config.sources) or "none"
        named = ", ".join(f"{n!r}{did_you_mean(n, config.sources)}" for n in unknown)
        raise UnknownSourceError(f"unknown source {named}; configured: {known}")
    return names


# Scrapy defaults newsmon never uses (cookies, the HTTP cache, telnet, remote control and
# memory debugging are off). Scrapy imports every component of its *_BASE lists, even one
# set to None, so they are taken out of the lists: less start-up CPU for every crawl process.
_UNUSED_COMPONENTS = {
    "DOWNLOADER_MIDDLEWARES_BASE": (
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
        "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware",
    ),
    "EXTENSIONS_BASE": (
        "scrapy.extensions.remote_control.RemoteControl",
        "scrapy.extensions.telnet.TelnetConsole",
        "scrapy.extensions.memdebug.MemoryDebugger",
    ),
}


def _without_unused_components(settings) -> None:
    for key, unused in _UNUSED_COMPONENTS.items():
        kept = {name: order for name, order in settings.getdict(key).items() if name not in unused}
        settings.set(key, kept, priority="project")


def scrapy_settings(config: AppConfig, source: str):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("settings", priority="project")
    _without_unused_components(settings)
    settings.update(crawl_settings(config, source), priority="cmdline")
    return settings


def run_crawls(
    config: AppConfig, names: list[str], *, install_logging: bool = True, progress: Progress | None = None
) -> list[CrawlOutcome]:
    """Crawl the sources (concurrently, in this process) and return each one's outcome.

    ``progress`` is told each source's counts while it runs (see monitor.progress).
    Twisted's reactor cannot be restarted: call this at most once per process. The
    daemon runs each crawl in a child process for that reason.
    """
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.settings import Settings

    from spiders.registry import spider_for

    outcomes: dict[str, CrawlOutcome] = {}
    crawlers: dict[str, Crawler] = {}

    # Process-wide settings stay at "project" priority: CrawlerProcess.crawl() merges
    # them into every crawler, and per-source values ("cmdline") must win there.
    base = Settings()
    base.setmodule("settings", priority="project")
    _without_unused_components(base)
    base.set("LOG_INSTALL_ROOT_HANDLER", install_logging, priority="project")
    base.set("LOG_ENABLED", install_logging, priority="project")
    if config.log_level:
        base.set("LOG_LEVEL", config.log_level, priority="project")
    process = CrawlerProcess(base)
    reactor_ready = False
    for name in names:
        source = config.sources[name]
        try:
            spider_cls = spider_for(name, source.spider)
        except KeyError as exc:
            outcomes[name] = CrawlOutcome(name, "failed", message=str(exc.args[0]))
            continue
        settings = scrapy_settings(config, name)
        settings.set("LOG_ENABLED", install_logging, priority="cmdline")
        # The first crawler installs the reactor (asyncio); the others share it.
        crawler = Crawler(spider_cls, settings, init_reactor=not reactor_ready)
        reactor_ready = True
        crawlers[name] = crawler
        deferred = process.crawl(crawler)
        deferred.addBoth(_crawl_ended, name, crawler, progress)
        deferred.addErrback(_crawl_failed, name, outcomes)
    if crawlers:
        _start_progress(crawlers, progress)
        # Scrapy's own handlers wait for every download in flight (up to its timeout) on
        # SIGTERM/SIGINT; ours record each run at once and stop within STOP_GRACE_SECONDS.
        _stop_on_signals(crawlers)
        try:
            process.start(install_signal_handlers=False)
        finally:
            if progress is not None:
                progress.close()

    runs = CrawlRunLog(Database(config.database_url))
    for name in names:
        if name in outcomes:
            continue
        run_id = crawlers[name].stats.get_value("newsmon/run_id") if crawlers[name].stats else None
        run = runs.get(run_id) if run_id else None
        if run is None:
            outcomes[name] = CrawlOutcome(name, "failed", message="the crawl did not start")
            continue
        outcomes[name] = CrawlOutcome.from_run(run)
    return [outcomes[n] for n in names]


def _report_progress(name: str, crawler, progress: Progress) -> None:
    from spiders.extensions import run_counts

    if crawler.stats is None:
        return
    counts = run_counts(crawler.stats.get_stats())
    progress.update(name, counts["requests"], counts["articles_seen"], counts["new"], counts["errors"])


def _start_progress(crawlers: dict, progress: Progress | None) -> None:
    """Tell ``progress`` every source's counts twice a second while the reactor runs."""
    if progress is None:
        return
    from twisted.internet import task  # the reactor is installed by now (the first crawler did it)

    progress.start(list(crawlers))

    def tick() -> None:
        for name, crawler in crawlers.items():
            if crawler.crawling:
                _report_progress(name, crawler, progress)

    task.LoopingCall(tick).start(0.5, now=False)


def _crawl_ended(result, name: str, crawler, progress: Progress | None):
    if progress is not None:
        _report_progress(name, crawler, progress)
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        progress.finish(name, str(reason or "failed"))
    return result


#: After SIGTERM/SIGINT, crawls get this long to close (pipelines flushed, runs recorded) before the
#: reactor is stopped; a second signal stops it at once.
STOP_GRACE_SECONDS = 3.0


def _stop_on_signals(crawlers: dict[str, Any]) -> None:
    """SIGTERM/SIGINT: record every run as killed with the counts reached, close the crawls,
    and stop within STOP_GRACE_SECONDS whatever is still downloading."""
    import signal

    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor as _reactor

    reactor: Any = _reactor  # its IReactorTime/IReactorCore methods are invisible to mypy without mypy-zope

    from spiders.extensions import CrawlRunRecorder

    def stop(signum: int) -> None:
        logger.warning(
            "%s: stopping the crawl(s); what was done so far is recorded", signal.Signals(signum).name
        )
        for crawler in crawlers.values():
            recorder = CrawlRunRecorder.of(crawler)
            if recorder is not None and crawler.crawling:
                recorder.record("shutdown")
            if crawler.crawling and crawler.engine is not None and crawler.engine.spider is not None:
                deferred_from_coro(crawler.engine.close_spider_async(reason="shutdown")).addErrback(
                    lambda _: None
                )
        reactor.callLater(STOP_GRACE_SECONDS, _stop_reactor)

    def _stop_reactor() -> None:
        # crash(), not stop(): stop() first waits for every crawler to close, which waits for
        # every download in flight. The runs are recorded already; the process is ending.
        if reactor.running:
            logger.warning("crawls did not close within %g s of the signal: stopping now", STOP_GRACE_SECONDS)
            reactor.crash()
            pool = getattr(reactor, "threadpool", None)
            if pool is not None:
                pool.stop()  # its workers would otherwise keep the process alive (normally stopped at shutdown)

    def first(signum, _frame) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, second)
        reactor.callFromThread(stop, signum)

    def second(signum, _frame) -> None:
        reactor.callFromThread(_stop_reactor)

    def install() -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, first)

    reactor.addSystemEventTrigger("after", "startup", install)


def _crawl_failed(failure, name: str, outcomes: dict[str, CrawlOutcome]) -> None:
    logger.error("crawl of %s failed: %s", name, failure.getErrorMessage())
    outcomes[name] = CrawlOutcome(
        name, "failed", message=f"{failure.type.__name__}: {failure.getErrorMessage()}"
    )
