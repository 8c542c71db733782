"""The daemon: crawls and digests on the configured schedules, unattended for months.

APScheduler 3.x decides *when*; this module decides *how*:

- Every crawl runs in a child process (``monitor.daemon.children``): a fresh Twisted
  reactor each time (no ReactorNotRestartable, no signal handlers off the main thread),
  its memory handed back when it ends, and a time limit after which its whole process
  group is killed and the run recorded as killed.
- Jobs live in APScheduler's SQLAlchemy job store in newsmon's own database, under fixed
  ids (``crawl:<source>``, ``digest:<schedule>``). A restart keeps a job whose schedule is
  unchanged, so its stored next run time, even one in the past, survives; only a
  changed schedule replaces it (``replace_existing``), and jobs no longer configured go.
- ``coalesce=True`` and ``misfire_grace_time=None``: runs missed while the daemon was
  down are caught up exactly once, however long it was down (APScheduler's default grace
  of one second would drop them silently, and ``coalesce=False`` would replay a burst).
- ``max_instances=1`` per job plus a lock per source: never two crawls of one source at
  once; a semaphore lets different sources overlap up to ``crawl.max_parallel``.
- One daemon per database (``monitor.daemon.lock``); SIGTERM/SIGINT stop scheduling,
  give running crawls ``daemon.shutdown_grace_seconds`` to finish, then stop them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from monitor.config import AppConfig
from monitor.crawling import CrawlOutcome, format_counts
from monitor.jobs import check_schedules, job_specs
from monitor.schedules import make_trigger, parse_schedule
from storage import CrawlRunLog, Database
from storage.models import utcnow

if TYPE_CHECKING:
    from monitor.daemon.children import ChildProcess, ChildResult
    from monitor.daemon.zygote import Zygote
    from monitor.digest import DigestOutcome

logger = logging.getLogger("newsmon.daemon")

# The daemons running in this process, by id. The persistent job store keeps a job as a
# reference to a module-level function plus picklable arguments (APScheduler 3), never as a
# live object: a stored job names its daemon by id (``sync_jobs`` writes the running
# daemon's id into every job at start) and the job function finds it here.
_RUNNING: dict[str, Daemon] = {}
_RUNNING_GUARD = threading.Lock()


def _running(daemon_id: str, what: str) -> Daemon | None:
    with _RUNNING_GUARD:
        daemon = _RUNNING.get(daemon_id)
    if daemon is None:
        logger.warning("%s fired with no daemon %s running; skipped", what, daemon_id)
    return daemon


def crawl_job(daemon_id: str, source: str) -> None:
    """Scheduled crawl of one source (a job store reference: keep the name stable)."""
    daemon = _running(daemon_id, f"crawl of {source}")
    if daemon is not None:
        daemon.crawl(source)


def digest_job(daemon_id: str, schedule: str) -> None:
    """Scheduled digest (a job store reference: keep the name stable)."""
    daemon = _running(daemon_id, f"digest ({schedule})")
    if daemon is not None:
        daemon.digest(schedule)


# How often the daemon looks for digest deliveries whose back-off pause is over.
DELIVERIES_JOB_ID = "deliveries"
DELIVERIES_CHECK_SECONDS = 60


# ----------------------------------------------------------------------------- reports


@dataclass
class OnceReport:
    crawls: list[CrawlOutcome]
    digest: DigestOutcome | None
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        crawls_ok = all(r.status in ("ok", "partial") for r in self.crawls)
        digest_ok = self.digest is None or getattr(self.digest, "status", None) in ("sent", "outbox", "empty")
        return crawls_ok and digest_ok and not self.interrupted


# ----------------------------------------------------------------------------- the daemon


class Daemon:
    """Runs crawls (as children) and digests for one config; ``run_forever`` is `newsmon run`,
    ``run_once`` is `newsmon run --once`."""

    def __init__(
        self,
        config: AppConfig,
        *,
        db: Database | None = None,
        child_env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        zygote: Zygote | None = None,
    ) -> None:
        self.config = config
        # The zygote its children are forked from (default: this process's, started with the first
        # child), unless `daemon.preforked_children` is off.
        self._zygote = zygote
        self.db = db or Database(config.database_url)
        self.child_env = dict(os.environ if child_env is None else child_env)
        self.cwd = cwd
        # Names this daemon in its stored jobs (see crawl_job).
        self.id = uuid.uuid4().hex
        self._parallel = threading.BoundedSemaphore(config.crawl.max_parallel)
        self._source_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._children: dict[str, Any] = {}
        self._busy = 0
        self._crawls = 0
        self._busy_cond = threading.Condition()
        self._stopping = threading.Event()
        self._stop_requested = threading.Event()
        self._signals = 0
        self.lock_lost = False
        # Instant notifications after each crawl (run_forever only): one `newsmon notify` child at
        # a time, in a thread of its own; a crawl ending while it runs asks for one more run.
        self.notify_after_crawls = False
        self._notify_guard = threading.Lock()
        self._notify_running = False
        self._notify_again = False

    # ------------------------------------------------------------------ one crawl

    def _source_lock(self, source: str) -> threading.Lock:
        with self._locks_guard:
            return self._source_locks.setdefault(source, threading.Lock())

    @contextmanager
    def _busy_with(self, crawl: bool = False) -> Iterator[None]:
        with self._busy_cond:
            self._busy += 1
            self._crawls += crawl
        try:
            yield
        finally:
            with self._busy_cond:
                self._busy -= 1
                self._crawls -= crawl
                self._busy_cond.notify_all()

    def _wait_for_crawls(self) -> None:
        """Block while crawls run or wait for a slot (bounded by the longest time limit)."""
        limit = max([self.time_limit(name) for name in self.config.enabled_sources()] or [0])
        deadline = time.monotonic() + limit + self.config.daemon.kill_grace_seconds + 30
        with self._busy_cond:
            if self._crawls:
                logger.info("digest waits for %d running crawl(s) to finish", self._crawls)
            while self._crawls and not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._busy_cond.wait(min(left, 1.0))

    def time_limit(self, source: str) -> float:
        src = self.config.sources.get(source)
        minutes = (
            src.time_limit_minutes if src and src.time_limit_minutes else self.config.crawl.time_limit_minutes
        )
        return minutes * 60

    def crawl(self, source: str) -> CrawlOutcome | None:
        """Crawl one source in a child process and record how it ended; None when it did not
        start (the previous crawl of this source is still running, or the daemon is stopping)."""
        lock = self._source_lock(source)
        if not lock.acquire(blocking=False):
            logger.warning("crawl of %s skipped: the previous crawl of it is still running", source)
            return None
        try:
            with self._busy_with(crawl=True):
                while not self._parallel.acquire(timeout=0.5):
                    if self._stopping.is_set():
                        return None
                try:
                    if self._stopping.is_set():
                        return None
                    child = self._child(f"the crawl of {source}", self.time_limit(source), "crawl", source)
                    result = self._run_child(f"crawl {source}", child)
                finally:
                    self._parallel.release()
                report = self._record(source, result)
        finally:
            lock.release()
        if self.notify_after_crawls:
            self.notify_soon()
        return report

    def _child(self, name: str, time_limit: float, task: str, *args: str) -> ChildProcess:
        """A task of monitor.daemon.child as a child process: forked from the zygote (everything
        imported once) unless `daemon.preforked_children` is off."""
        from monitor.daemon.children import ChildProcess, child_command

        return ChildProcess(
            name,
            child_command(self.config.config_path, task, *args),
            self.child_env,
            time_limit=time_limit,
            kill_grace=self.config.daemon.kill_grace_seconds,
            cwd=self.cwd,
            zygote=self.zygote(),
        )

    def zygote(self) -> Zygote | None:
        """The zygote this daemon's children are forked from; None with `daemon.preforked_children`
        off. Only an object until the first child: the forkserver starts with that child, loading
        the relevance model the crawls use (`[relevance]`, resolved as the crawls resolve it)."""
        if not self.config.daemon.preforked_children:
            return None
        if self._zygote is None:
            from monitor.daemon import zygote

            self._zygote = zygote.shared()
        self._zygote.fork_timeout = self.config.daemon.zygote_timeout_seconds
        relevance = self.config.relevance
        terms, model = (
            str(self.config.resolve_path(value)) if value else None
            for value in (relevance.terms_file, relevance.model_file)
        )
        self._zygote.relevance = [(terms, model)]
        return self._zygote

    def _run_child(self, key: str, child):
        """Run a child, registered so that shutdown can stop it."""
        with self._busy_cond:
            self._children[key] = child
        try:
            return child.run()
        finally:
            with self._busy_cond:
                self._children.pop(key, None)

    def _record(self, source: str, result: ChildResult) -> CrawlOutcome:
        """How the crawl ended: as the child wrote it, else as its record is closed now."""
        from storage.daemon import close_stopped_crawl

        outcome, unreadable = None, ""
        if result.stop_reason is None and result.output is not None:
            try:
                outcome = replace(
                    CrawlOutcome.from_json(result.output),
                    seconds=result.seconds,
                    peak_rss_kb=result.peak_rss_kb,
                )
            except ValueError as exc:
                unreadable = f"its result was unreadable ({exc})"
        if result.zygote_lost and (outcome is None or outcome.status == "killed"):
            # It was ended (SIGTERM) with the zygote that forked it, and closed its record as on
            # any SIGTERM, or left none: say what stopped it. (One that finished first keeps its
            # own outcome.)
            outcome = None
        if outcome is None:
            if result.stop_reason is not None:
                status, message = "killed", f"killed by the daemon: {result.stop_reason}"
            elif result.zygote_lost:
                status, message = "killed", f"killed: the crawl process {result.ended()}"
            else:
                last = result.stderr_tail.splitlines()[-1] if result.stderr_tail else "no output"
                status = "failed"
                message = f"the crawl process {result.ended()}: {unreadable or last[:300]}"
            run = close_stopped_crawl(self.db, source, result.started_at, status, message)
            outcome = CrawlOutcome.from_run(run, seconds=result.seconds, peak_rss_kb=result.peak_rss_kb)
        line = (
            f"crawl {outcome.source}: {outcome.status} run={outcome.run_id} {format_counts(outcome.counts)} "
            f"in {result.seconds:.1f}s"
        )
        if outcome.status in ("ok", "partial"):
            logger.info(line)
        else:
            logger.warning("%s: %s", line, outcome.message or "no message")
        return outcome

    # ------------------------------------------------------------------ digests

    def retry_deliveries(self) -> DigestOutcome | None:
        """Deliver what is due of earlier digests (transient failures whose back-off pause is over)
        in a digest child that composes nothing new. One cheap query first, so an idle daemon
        starts no process."""
        from storage.deliveries import DeliveryStore

        if self._stopping.is_set():
            return None
        stale = timedelta(seconds=self.config.smtp.claim_stale_seconds)
        if not DeliveryStore(self.db).due_digest_ids(now=utcnow(), stale_after=stale):
            return None
        return self.digest("retry of due deliveries", retry_due=True)

    def digest(self, schedule: str = "once", *, retry_due: bool = False) -> DigestOutcome | None:
        """Send the digest of what is new (`newsmon digest` in a child process, so the daemon
        itself never loads the spiders); problems are logged, never raised. ``retry_due``: only
        deliver what is due of earlier digests."""
        from monitor.digest import DigestOutcome

        if self._stopping.is_set():
            return None
        if not retry_due:
            # A digest sent mid-crawl would split that crawl's articles over two mails.
            self._wait_for_crawls()
        if self._stopping.is_set():
            return None
        # Each delivery attempt is bounded by the SMTP timeout; a run makes at most a few.
        limit = max(300.0, 10 * self.config.smtp.timeout_seconds)
        key = "deliveries" if retry_due else "digest"
        with self._busy_with():
            child = self._child(f"the {key}", limit, "digest", *(["--retry-due"] if retry_due else []))
            result = self._run_child(key, child)
        if result.stop_reason is not None:
            logger.warning(
                "digest (%s) stopped: %s; anything it recorded is retried by the next run",
                schedule,
                result.stop_reason,
            )
            return None
        try:
            if result.output is None:
                raise ValueError(result.stderr_tail.splitlines()[-1] if result.stderr_tail else "no output")
            outcome = DigestOutcome.from_json(result.output)
        except ValueError as exc:
            logger.error(
                "digest (%s) failed: the digest process %s: %s", schedule, result.ended(), str(exc)[:300]
            )
            return None
        if outcome.status in ("sent", "outbox"):
            logger.info(
                "digest (%s): %s, %d article(s), digest %s",
                schedule,
                outcome.status,
                outcome.item_count,
                outcome.digest_id,
            )
        elif outcome.status == "empty":
            logger.info("digest (%s): nothing new to send", schedule)
        else:
            (logger.error if outcome.status == "failed" else logger.warning)(
                "digest (%s): %s, not delivered everywhere: %s", schedule, outcome.status, outcome.error
            )
        return outcome

    # ------------------------------------------------------------------ instant notifications

    def retry_due(self) -> None:
        """Every minute: deliver what is due of earlier digests and of instant notifications."""
        self.retry_deliveries()
        self.retry_notifications()

    def retry_notifications(self) -> None:
        """Send instant notifications whose back-off pause (or hourly cap) is over; one cheap check
        first, so an idle daemon starts no process."""
        if self._stopping.is_set() or not any(c.mode == "instant" for c in self.config.notify):
            return
        from monitor.notify.service import instant_due

        if instant_due(self.config, self.db):
            self.notify_soon()

    def notify_soon(self) -> None:
        """Run `newsmon notify` in a thread of its own (never holding up the crawl that asked)."""
        if self._stopping.is_set() or not any(c.mode == "instant" for c in self.config.notify):
            return
        with self._notify_guard:
            if self._notify_running:
                self._notify_again = True
                return
            self._notify_running = True
        threading.Thread(target=self._notify_loop, name="notify", daemon=True).start()

    def _notify_loop(self) -> None:
        while True:
            try:
                self.notify()
            except Exception:  # logged; the next crawl tries again
                logger.exception("notify run failed")
            with self._notify_guard:
                if not self._notify_again or self._stopping.is_set():
                    self._notify_running = False
                    return
                self._notify_again = False

    def notify(self) -> dict[str, Any] | None:
        """`newsmon notify` in a child process: new stories to the instant-mode channels. Problems
        are logged, never raised."""
        if self._stopping.is_set():
            return None
        timeout = max((c.timeout_seconds for c in self.config.notify), default=20)
        with self._busy_with():
            child = self._child("the notify run", max(300.0, 20 * timeout), "notify")
            result = self._run_child("notify", child)
        if result.stop_reason is not None:
            logger.warning("notify stopped: %s; what it recorded is sent by the next run", result.stop_reason)
            return None
        try:
            outcome = json.loads(result.output or "")
            channels = outcome["channels"]
        except (ValueError, KeyError, TypeError):
            last = result.stderr_tail.splitlines()[-1] if result.stderr_tail else "no output"
            logger.error("notify failed: the notify process %s: %s", result.ended(), last[:300])
            return None
        for channel in channels:
            for error in channel.get("refused", []):
                logger.error("notify %s: refused for good: %s", channel.get("name"), error)
            for error in channel.get("retry", []):
                logger.warning("notify %s: retried later: %s", channel.get("name"), error)
            if channel.get("messages"):
                logger.info(
                    "notify %s: %d message(s), %d story(ies)",
                    channel.get("name"),
                    channel.get("messages", 0),
                    channel.get("stories", 0),
                )
        return outcome

    # ------------------------------------------------------------------ stopping

    def request_stop(self) -> None:
        self._stop_requested.set()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self._signals += 1
        if self._signals == 1:
            logger.info("received %s: stopping", signal.Signals(signum).name)
            self._stop_requested.set()
        else:
            logger.warning("received %s again: stopping running crawls now", signal.Signals(signum).name)
            self._stop_children("the daemon was stopped")

    def _install_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _stop_children(self, reason: str) -> None:
        with self._busy_cond:
            children = list(self._children.values())
        for child in children:
            child.stop(reason)

    def _wait_idle(self, timeout: float, *, until_signal: bool = False) -> bool:
        deadline = time.monotonic() + timeout
        start_signals = self._signals
        with self._busy_cond:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0 or (until_signal and self._signals != start_signals):
                    return False
                self._busy_cond.wait(min(left, 0.5))
        return True

    def drain(self) -> None:
        """Stop starting work, give running crawls the grace period, then stop them (recorded)."""
        self._drain()

    def _drain(self) -> None:
        """Stop starting work; let running crawls finish within the grace period; then stop them."""
        self._stopping.set()
        grace = self.config.daemon.shutdown_grace_seconds
        with self._busy_cond:
            running = sorted(self._children)
        if running:
            logger.info("waiting up to %gs for what is running to finish: %s", grace, ", ".join(running))
        if not self._wait_idle(grace, until_signal=True):
            self._stop_children("the daemon was stopped")
            # The children get SIGTERM, then SIGKILL after kill_grace; recording follows.
            if not self._wait_idle(self.config.daemon.kill_grace_seconds + 30):
                logger.error("some crawls did not end in time; exiting anyway")

    # ------------------------------------------------------------------ run --once

    def run_once(self, *, hold_lock: bool = True) -> OnceReport:
        """Crawl every enabled source (children, up to max_parallel at once), then send the digest."""
        from monitor.crawling import check_sources
        from monitor.daemon.lock import DatabaseLock

        names = check_sources(self.config, None)
        lock = None
        if hold_lock:
            lock = DatabaseLock(
                self.db,
                mode="once",
                stale_after=self.config.daemon.lock_stale_seconds,
                heartbeat_seconds=self.config.daemon.heartbeat_seconds,
                on_lost=self.request_stop,
            )
            lock.acquire()
            self._upgrade_schema(lock)
        in_main = threading.current_thread() is threading.main_thread()
        previous = {}
        if in_main:
            previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
            self._install_signals()
        try:
            CrawlRunLog(self.db).mark_abandoned(None, "the crawl's process ended without finishing it")
            reports: list[CrawlOutcome] = []
            with ThreadPoolExecutor(
                max_workers=max(1, len(names)), thread_name_prefix="newsmon-crawl"
            ) as pool:
                futures = [pool.submit(self.crawl, name) for name in names]
                watcher = threading.Thread(target=self._watch_stop, daemon=True)
                watcher.start()
                for future in futures:
                    report = future.result()
                    if report is not None:
                        reports.append(report)
            interrupted = self._stop_requested.is_set()
            if not interrupted and any(c.mode == "instant" for c in self.config.notify):
                self.notify()
            digest = None if interrupted else self.digest("once")
            return OnceReport(reports, digest, interrupted)
        finally:
            self._stopping.set()
            self._stop_requested.set()  # ends the watcher
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if lock is not None:
                lock.release()

    def _watch_stop(self) -> None:
        self._stop_requested.wait()
        if not self._stopping.is_set():
            self._drain()

    # ------------------------------------------------------------------ the daemon

    def _scheduler(self):
        from apscheduler.executors.pool import ThreadPoolExecutor as JobThreads
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        specs = job_specs(self.config)
        # A thread per job: crawls waiting for a parallel slot hold a thread without
        # holding up the digest or each other's schedule.
        return BackgroundScheduler(
            # The deliveries check is made anew at every start: it lives in memory only.
            jobstores={"default": SQLAlchemyJobStore(engine=self.db.engine), "memory": MemoryJobStore()},
            executors={"default": JobThreads(max_workers=max(4, len(specs) + 1))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=self.config.tz,
        )

    def sync_jobs(self, scheduler) -> dict[str, str]:
        """Make the stored jobs match the config: keep unchanged ones (and their next run
        time), replace changed ones, remove ones no longer configured. Returns id → action."""
        specs = check_schedules(self.config)
        wanted = {spec.id: spec for spec in specs}
        actions: dict[str, str] = {}
        for job in scheduler.get_jobs():
            if re.match(r"^(crawl|digest):", job.id) and job.id not in wanted:
                scheduler.remove_job(job.id)
                actions[job.id] = "removed"
        tz_name = self.config.timezone
        for spec in specs:
            signature = spec.signature(tz_name)
            existing = scheduler.get_job(spec.id)
            args = [self.id, spec.arg]
            if existing is not None and existing.name == signature:
                # Kept with its stored next run time; only the daemon it names is this one.
                scheduler.modify_job(spec.id, args=args)
                actions[spec.id] = "kept"
                continue
            kwargs: dict[str, Any] = {}
            if spec.kind == "crawl" and parse_schedule(spec.schedule)[0] == "interval":
                # A new interval crawl starts at once rather than one interval after start-up.
                kwargs["next_run_time"] = utcnow()
            scheduler.add_job(
                crawl_job if spec.kind == "crawl" else digest_job,
                make_trigger(spec.schedule, self.config.tz),
                args=args,
                id=spec.id,
                name=signature,
                replace_existing=True,
                **kwargs,
            )
            actions[spec.id] = "replaced" if existing is not None else "added"
        return actions

    def run_forever(self) -> int:
        """`newsmon run`: schedule until SIGTERM/SIGINT; returns the exit status."""
        from monitor.daemon.lock import DatabaseLock

        check_schedules(self.config)
        lock = DatabaseLock(
            self.db,
            mode="daemon",
            stale_after=self.config.daemon.lock_stale_seconds,
            heartbeat_seconds=self.config.daemon.heartbeat_seconds,
            on_lost=self._lost_lock,
        )
        lock.acquire()
        self._upgrade_schema(lock)
        scheduler = None
        web = None
        metrics = None
        try:
            abandoned = CrawlRunLog(self.db).close_abandoned(
                None, "the daemon stopped while this crawl was running"
            )
            if abandoned:
                logger.warning("closed %d crawl record(s) left running by a daemon that died", len(abandoned))
            self._install_signals()
            if self.config.metrics.listen:
                from monitor.metrics import MetricsServer

                metrics = MetricsServer(self.config, self.db, self.config.metrics.listen).start()
            with _RUNNING_GUARD:
                _RUNNING[self.id] = self
            self.notify_after_crawls = True
            web = self._start_web() if self.config.web.enabled else None
            scheduler = self._scheduler()
            scheduler.start(paused=True)
            actions = self.sync_jobs(scheduler)
            # Cut short: left running by the dead daemon, or closed as killed by the crawl itself
            # (its child got SIGTERM when the daemon died and recorded what it had done).
            latest = CrawlRunLog(self.db).latest_per_source()
            self._rerun_cut_short(
                scheduler, [*abandoned, *(r for r in latest.values() if r.status == "killed")]
            )
            scheduler.add_job(
                # Held in memory only, so the job may be this daemon's own method.
                self.retry_due,
                "interval",
                seconds=DELIVERIES_CHECK_SECONDS,
                id=DELIVERIES_JOB_ID,
                name="deliveries due",
                jobstore="memory",
            )
            scheduler.resume()
            logger.info(
                "newsmon daemon started (pid %d, database %s, time zone %s)",
                os.getpid(),
                self.db.safe_url,
                self.config.timezone,
            )
            for job in sorted(scheduler.get_jobs(), key=lambda j: j.id):
                when = job.next_run_time.isoformat(timespec="seconds") if job.next_run_time else "paused"
                logger.info("job %s (%s): next run %s", job.id, actions.get(job.id, "kept"), when)
            while not self._stop_requested.wait(1.0):
                pass
            scheduler.shutdown(wait=False)
            self._drain()
            logger.info("newsmon daemon stopped")
            return 1 if self.lock_lost else 0
        finally:
            self._stopping.set()
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=False)
            if web is not None:
                web.stop("the daemon is stopping")
            if metrics is not None:
                metrics.stop()
            with _RUNNING_GUARD:
                _RUNNING.pop(self.id, None)
            lock.release()

    def _rerun_cut_short(self, scheduler, abandoned) -> None:
        """A crawl the dead daemon left unfinished runs again now (once), not at its next slot."""
        now = utcnow()
        for source in sorted({run.source for run in abandoned}):
            job = scheduler.get_job(f"crawl:{source}")
            if job is not None and job.next_run_time is not None and job.next_run_time > now:
                scheduler.modify_job(job.id, next_run_time=now)
                logger.warning("crawl %s was cut short when the daemon stopped: running it again now", source)

    def _upgrade_schema(self, lock) -> None:
        """Bring the schema to this newsmon's head while holding the daemon lock (released
        again when the upgrade fails, so the error is all that is left)."""
        try:
            before, after = self.db.upgrade()
        except BaseException:
            lock.release()
            raise
        if before != after:
            logger.warning("database schema upgraded: %s -> %s", before or "0.1.0 (unversioned)", after)

    def _start_web(self) -> ChildProcess:
        """`newsmon web` beside the daemon (`[web] enabled`), stopped when the daemon stops."""
        from monitor.daemon.children import ChildProcess, child_command

        child = ChildProcess(
            "the web server",
            child_command(self.config.config_path, "web"),
            self.child_env,
            time_limit=float("inf"),
            kill_grace=self.config.daemon.kill_grace_seconds,
            cwd=self.cwd,
        )
        threading.Thread(target=child.run, name="web", daemon=True).start()
        logger.info("web server started on http://%s:%d/", self.config.web.host, self.config.web.port)
        return child

    def _lost_lock(self) -> None:
        self.lock_lost = True
        self.request_stop()
