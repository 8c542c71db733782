"""Crawl workers on several hosts, coordinated through PostgreSQL by procrastinate.

- A worker brings newsmon's own schedule table in step with its config when it starts (under
  an advisory lock, so workers starting together agree).
- A periodic ``tick`` (deferred once per tick across the whole cluster by procrastinate's
  periodic deferrer) buries workers whose heartbeat stopped (their crawl records become
  ``killed``, their sources due again) and claims due jobs with ``FOR UPDATE SKIP LOCKED``,
  deferring them in the claim's transaction (both commit or neither; ticks take turns through an
  advisory lock that dies with its holder's connection):
  whichever worker runs it, each due job is deferred once, and its next due time comes from
  the daemon's schedule code, counted from the time it was due (not from when the tick ran,
  which would make the schedule drift by up to a tick per period).
- ``crawl(source)`` runs one whole crawl as a child process with its time limit, exactly as the
  single-host daemon does. Its procrastinate ``lock`` is the site (the three VietnamPlus editions
  share one), so one site is never crawled twice at once anywhere; its ``queueing_lock`` keeps
  at most one waiting per source. No automatic retry: the next due time is the retry.
- ``digest(schedule)`` is serialised by a lock; the digest outbox keeps it exactly-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from monitor.config import AppConfig
from monitor.schedules import make_trigger, parse_schedule
from storage import Database
from storage.cluster import DueJob, ScheduleStore, WantedJob, WorkerRegistry
from storage.models import Worker

log = logging.getLogger(__name__)

CRAWL_QUEUE = "crawl"
DIGEST_QUEUE = "digest"
TICK_QUEUE = "tick"
# Queue priority of digests over crawls (procrastinate takes the highest first; crawls have 0).
DIGEST_PRIORITY = 10
# How long finished procrastinate jobs (the record of what was deferred when) are kept.
JOB_HISTORY_HOURS = 7 * 24
_TWO_LEVEL_SUFFIXES = {"com", "net", "org", "gov", "edu", "ac", "co", "int", "info", "biz", "name", "pro"}


class ClusterError(Exception):
    """The cluster cannot run as configured (the message says why)."""


def require_postgres(config: AppConfig) -> None:
    if not config.database_url.startswith(("postgresql", "postgres")):
        raise ClusterError(
            f"newsmon worker needs PostgreSQL (database_url is {config.database_url.split('://', 1)[0]}://…): "
            "workers on several hosts share one database and its locks; with SQLite use `newsmon run`"
        )


def conninfo(database_url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string for psycopg."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def site_key(config: AppConfig, source: str) -> str:
    """The registered domain a source crawls (``vietnamplus.vn`` for www., en. and ru.): crawls
    of one site never run at once, wherever they run."""
    from urllib.parse import urlsplit

    src = config.sources.get(source)
    host = ""
    if src is not None and (src.feeds or src.sitemaps or src.listing_pages):
        host = urlsplit((src.feeds or src.sitemaps or src.listing_pages)[0]).hostname or ""
    if not host:
        try:
            from spiders.registry import spider_for

            host = getattr(spider_for(source, src.spider if src else None), "site_host", "") or ""
        except KeyError:
            host = ""
    labels = [p for p in host.lower().strip(".").split(".") if p]
    if len(labels) >= 3 and labels[-2] in _TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:]) or source


def wanted_jobs(config: AppConfig) -> list[WantedJob]:
    from monitor.jobs import check_schedules

    return [WantedJob(spec.id, spec.kind, spec.arg, spec.schedule) for spec in check_schedules(config)]


def next_fire(schedule: str, due: datetime, now: datetime, config: AppConfig) -> datetime:
    """When a job with ``schedule`` that was due at ``due`` is next due, after ``now`` (the
    daemon's schedule code). An interval keeps its rhythm from ``due``; slots missed while the
    cluster was down are skipped, so a job is caught up once, as the daemon does."""
    kind, value = parse_schedule(schedule)
    if kind == "interval":
        missed = max(0, int((now - due) / value))
        return due + (missed + 1) * value
    trigger = make_trigger(schedule, config.tz)
    fire = trigger.get_next_fire_time(None, now.astimezone(config.tz))
    while fire is not None and fire <= now:
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return fire if fire is not None else now + timedelta(days=365)


def spread_offset(key: str, interval: timedelta) -> timedelta:
    """Where in every ``interval`` the job ``key`` falls: a stable hash of the key as a fraction
    of the interval, the same on every host, at every start, in every Python."""
    digest = hashlib.blake2b(f"newsmon spread {key}".encode(), digest_size=8).digest()
    return interval * (int.from_bytes(digest, "big") / 2**64)


def first_due(job: WantedJob, now: datetime, config: AppConfig) -> datetime:
    """When a job new to the schedule table (or whose schedule changed) is first due.

    An interval crawl is spread over its first interval, not due at once: at the first time
    from ``now`` on that lies ``spread_offset`` into a slot of the interval counted from the Unix
    epoch. A cluster that starts with hundreds of sources (or is given a hundred new ones) then
    crawls them evenly over the interval instead of all on its first tick, when every first crawl
    (every article new, the most expensive one) would wait behind all the others and some would
    miss their next period. Deterministic: the same source gets the same phase whoever writes the
    row, and keeps it (later due times follow from the first). Cron schedules and digests keep
    their exact times."""
    kind, value = parse_schedule(job.schedule)
    if job.kind == "crawl" and kind == "interval":
        period = value.total_seconds()
        offset = spread_offset(job.key, value).total_seconds()
        slot = math.ceil((now.timestamp() - offset) / period)
        return max(now, datetime.fromtimestamp(slot * period + offset, timezone.utc))
    return next_fire(job.schedule, now, now, config)


@dataclass
class WorkerRuntime:
    """One `newsmon worker` process: its config, database, crawl runner and registry row."""

    config: AppConfig
    db: Database
    concurrency: int
    host: str = field(default_factory=socket.gethostname)
    worker_id: int | None = None
    running: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        from scheduler import Daemon

        # The queue hands this worker at most `concurrency` jobs; each crawl starts at once (with
        # crawl.max_parallel, default 2, a third would hold its site's lock while it waited).
        crawl = self.config.crawl.model_copy(update={"max_parallel": self.concurrency})
        self.runner = Daemon(self.config.model_copy(update={"crawl": crawl}), db=self.db)
        self.schedule = ScheduleStore(self.db)
        self.registry = WorkerRegistry(self.db)

    @property
    def heartbeat_seconds(self) -> float:
        return self.config.daemon.heartbeat_seconds

    @property
    def stale_after(self) -> timedelta:
        """A worker silent for this long is dead (killed, or its host lost): the daemon's own
        ``daemon.lock_stale_seconds``."""
        return timedelta(seconds=self.config.daemon.lock_stale_seconds)

    # -- registry and heartbeat
    def start(self) -> None:
        config = self.config
        actions = self.schedule.sync(wanted_jobs(config), lambda job, now: first_due(job, now, config))
        for key, action in sorted(actions.items()):
            log.info("schedule %s: %s", key, action)
        self.worker_id = self.registry.register(self.host, os.getpid(), self.concurrency)
        threading.Thread(target=self._heartbeat, name="worker-heartbeat", daemon=True).start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                self._beat()
            except Exception as exc:  # a database hiccup must not kill the heartbeat thread
                log.warning("worker heartbeat failed: %s", exc)

    def _beat(self) -> None:
        # Under the lock, so two jobs ending together cannot write their lists out of order.
        with self._lock:
            if self.worker_id is None or self.registry.heartbeat(self.worker_id, list(self.running.values())):
                return
        # Silent for longer than the cluster waits (a frozen host?): it buried this worker and gave
        # its crawls to others. Going on would crawl them twice: stop.
        log.error(
            "worker %s was declared dead by the cluster (no heartbeat for %s s): stopping",
            self.worker_id,
            self.stale_after.total_seconds(),
        )
        self._stop.set()
        os.kill(os.getpid(), signal.SIGTERM)

    def stop(self) -> None:
        self._stop.set()
        # Crawls still running when the worker stops are given the grace, then stopped and recorded.
        self.runner.drain()
        if self.worker_id is not None:
            self.registry.stop(self.worker_id)

    def _track(self, key: str, info: dict[str, Any] | None) -> None:
        with self._lock:
            if info is None:
                self.running.pop(key, None)
            else:
                self.running[key] = info
        self._beat()

    # -- the jobs
    def crawl(self, source: str, job_id: int | None = None) -> str:
        info = {"job": "crawl", "source": source, "job_id": job_id, "since": _now_iso()}
        self._track(f"crawl:{source}", info)
        try:
            report = self.runner.crawl(source)
        finally:
            self._track(f"crawl:{source}", None)
        return report.status if report is not None else "skipped"

    def digest(self, schedule: str, job_id: int | None = None) -> None:
        info = {"job": "digest", "schedule": schedule, "job_id": job_id, "since": _now_iso()}
        self._track(f"digest:{schedule}", info)
        try:
            self.runner.digest(schedule)
        finally:
            self._track(f"digest:{schedule}", None)

    def bury_dead(self, dead: list[Worker], heard_from: set[int]) -> None:
        """Bury workers whose heartbeat stopped (``dead``): their crawl records are closed as
        ``killed`` and those sources made due again. ``heard_from``: queue jobs whose queue worker
        still beats; a worker running one of them is alive (only its own heartbeat thread is
        late) and is left alone, or its crawl would run twice."""
        for worker in dead:
            alive = set(job_ids(worker)) & heard_from
            if alive:
                log.warning(
                    "worker %s (pid %d on %s) is late with its heartbeat, but the queue still hears "
                    "from its job(s) %s: not buried",
                    worker.id,
                    worker.pid,
                    worker.host,
                    ", ".join(map(str, sorted(alive))),
                )
                continue
            cut_short = self.registry.bury(
                int(worker.id or 0), f"its worker (pid {worker.pid} on {worker.host}) died"
            )
            if cut_short is None:
                continue  # buried by another tick already
            log.warning(
                "worker %s (pid %d on %s) stopped heartbeating: buried; crawls cut short: %s",
                worker.id,
                worker.pid,
                worker.host,
                ", ".join(cut_short) or "none",
            )
            self.make_due(cut_short)

    def make_due(self, sources: list[str]) -> None:
        for source in sources:
            self.schedule.make_due(f"crawl:{source}")
            log.warning("crawl:%s is due again: the crawl its worker was running died", source)

    def claim_due(self, queue: Callable[[list[DueJob], Any], None]) -> list[DueJob]:
        """Claim the due jobs and ``queue`` them in the claim's transaction (see ScheduleStore)."""
        config = self.config
        return self.schedule.claim_due(
            lambda row, now: next_fire(row.schedule, row.next_due, now, config), queue=queue
        )


@contextlib.asynccontextmanager
async def _held(blocking: contextlib.AbstractContextManager[Any]) -> AsyncIterator[None]:
    """A blocking context manager (a database lock) entered and left in a thread, so waiting
    for it does not stop the event loop."""
    await asyncio.to_thread(blocking.__enter__)
    try:
        yield
    except BaseException as exc:
        if not await asyncio.to_thread(blocking.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await asyncio.to_thread(blocking.__exit__, None, None, None)


def job_ids(worker: Worker) -> list[int]:
    """The queue jobs a worker said it was running at its last heartbeat."""
    return [int(j["job_id"]) for j in worker.running if j.get("job_id") is not None]


def _hms(value: datetime) -> str:
    return value.strftime("%H:%M:%S")


def _now_iso() -> str:
    from storage.models import utcnow

    return utcnow().isoformat()  # full precision: a killed crawl's record may start at this time


def tick_cron(tick_seconds: int) -> str:
    """procrastinate's cron for the tick: five fields (a minute), or a sixth for seconds, which
    croniter reads as the *last* field (``* * * * * */5`` is every 5 s; ``*/5 * * * * *`` would be
    every second of every fifth minute)."""
    return "* * * * *" if tick_seconds >= 60 else f"* * * * * */{max(1, tick_seconds)}"


def build_app(runtime: WorkerRuntime | None, config: AppConfig, *, tick_seconds: int = 60):
    """The procrastinate app with newsmon's three tasks, bound to ``runtime`` (None: defer only)."""
    import procrastinate
    from procrastinate.manager import JobManager

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(config.database_url)))

    def need_runtime() -> WorkerRuntime:
        if runtime is None:
            raise ClusterError("this app only defers jobs; run them with `newsmon worker`")
        return runtime

    @app.task(name="newsmon.crawl", queue=CRAWL_QUEUE, pass_context=True)
    def crawl(context, source: str, due: str) -> str:
        rt = need_runtime()
        log.info(
            "job %s: crawl of %s (due %s) starts on worker %s", context.job.id, source, due, rt.worker_id
        )
        return rt.crawl(source, context.job.id)

    @app.task(name="newsmon.digest", queue=DIGEST_QUEUE, pass_context=True)
    def digest(context, schedule: str, due: str) -> None:
        need_runtime().digest(schedule, context.job.id)

    # Claimed jobs are queued on the claim's own connection, in its transaction (procrastinate
    # takes an external connection): both commit, or neither does.
    on_claim = JobManager(procrastinate.SyncPsycopgConnector())

    def queue_claimed(due: list[DueJob], connection: Any, queued: dict[str, int | None]) -> None:
        """Queue the claimed jobs in one statement (one round trip for a hundred sources, where one
        each took seconds under load), recording each one's job id in ``queued`` (None: still
        queued from an earlier period, not queued twice). Ticks take turns, and only ticks queue,
        so the check for a waiting job holds until the insert."""
        waiting = {
            row["queueing_lock"]
            for row in on_claim.connector.execute_query_all_with_connection(
                connection,
                "SELECT queueing_lock FROM procrastinate_jobs WHERE status = 'todo' "
                "AND queueing_lock = ANY(%(locks)s)",
                locks=[entry.key for entry in due],
            )
        }
        fresh = [entry for entry in due if entry.key not in waiting]
        queued.update((entry.key, None) for entry in due if entry.key in waiting)
        if fresh:
            jobs = on_claim.batch_defer_jobs([queued_job(entry, config) for entry in fresh], connection)
            queued.update((entry.key, job.id) for entry, job in zip(fresh, jobs))

    def log_queued(
        due: list[DueJob], queued: dict[str, int | None], timestamp: int, worker_id: int | None
    ) -> None:
        for entry in due:
            job_id = queued.get(entry.key)
            if job_id is None:
                log.warning(
                    "%s due %s: still queued from an earlier period; not queued twice",
                    entry.key,
                    _hms(entry.due_at),
                )
            else:
                log.info(
                    "tick %s on worker %s: %s due %s deferred as job %s; next due %s",
                    timestamp,
                    worker_id,
                    entry.key,
                    _hms(entry.due_at),
                    job_id,
                    _hms(entry.next_due),
                )

    async def jobs_heard_from(ids: list[int]) -> set[int]:
        """Which of the jobs ``ids`` are running on a queue worker whose heartbeat is fresh."""
        if not ids:
            return set()
        rows = await app.connector.execute_query_all_async(
            "SELECT j.id FROM procrastinate_jobs j JOIN procrastinate_workers w ON w.id = j.worker_id "
            "WHERE j.id = ANY(%(ids)s) AND j.status = 'doing' "
            "AND w.last_heartbeat > NOW() - make_interval(secs => %(stale)s)",
            ids=ids,
            stale=need_runtime().stale_after.total_seconds(),
        )
        return {int(row["id"]) for row in rows}

    def queued_job(entry: DueJob, config: AppConfig) -> procrastinate.jobs.Job:
        if entry.kind == "crawl":
            lock = f"site:{site_key(config, entry.arg)}"
            return crawl.configure(lock=lock, queueing_lock=entry.key).make_new_job(
                source=entry.arg, due=entry.due_at.isoformat()
            )
        # A digest goes before waiting crawls: one job per schedule, mailed on time, where a
        # backlog of crawls (a hundred first crawls) would hold it past its next due time.
        return digest.configure(
            lock="newsmon-digest", queueing_lock=entry.key, priority=DIGEST_PRIORITY
        ).make_new_job(schedule=entry.arg, due=entry.due_at.isoformat())

    # Ticks run one at a time across the cluster (a dead worker is buried and its sources made due
    # once) under a PostgreSQL advisory lock, which the server frees when its holder's connection
    # ends: a procrastinate `lock` would stay held by the tick of a worker killed mid-tick (its job
    # left 'doing'), and no tick would run again to end it.
    @app.periodic(cron=tick_cron(tick_seconds), periodic_id="newsmon-tick")
    @app.task(name="newsmon.tick", queue=TICK_QUEUE, queueing_lock="newsmon-tick")
    async def tick(timestamp: int) -> int:
        rt = need_runtime()
        async with _held(rt.db.serialized("cluster tick")):
            return await tick_alone(rt, timestamp)

    async def tick_alone(rt: WorkerRuntime, timestamp: int) -> int:
        started = time.monotonic()
        dead = await asyncio.to_thread(rt.registry.dead, rt.stale_after)
        if dead:
            heard_from = await jobs_heard_from([i for worker in dead for i in job_ids(worker)])
            await asyncio.to_thread(rt.bury_dead, dead, heard_from)
        # Jobs left 'doing' by a dead worker keep their site's lock: end them (no retry). A crawl
        # job no worker ever tracked was fetched, then its worker died before the crawl started:
        # its source is due again. A job a live worker tracks is left alone (only procrastinate's
        # heartbeat of it is late).
        live, buried = await asyncio.to_thread(rt.registry.tracked_jobs)
        never_started = []
        for job in await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=rt.stale_after.total_seconds()
        ):
            if job.id in live:
                continue
            await app.job_manager.finish_job(job, status=procrastinate.jobs.Status.FAILED, delete_job=False)
            log.warning("job %s (%s %s): its worker died; ended", job.id, job.task_name, job.task_kwargs)
            if job.task_name == "newsmon.crawl" and job.id not in buried:
                never_started.append(str(job.task_kwargs.get("source")))
        if never_started:
            await asyncio.to_thread(rt.make_due, never_started)
        queued: dict[str, int | None] = {}
        due = await asyncio.to_thread(rt.claim_due, lambda jobs, conn: queue_claimed(jobs, conn, queued))
        log_queued(due, queued, timestamp, rt.worker_id)
        if due:
            log.info(
                "tick %s: %d due job(s) claimed and queued in %.3f s",
                timestamp,
                len(due),
                time.monotonic() - started,
            )
        if timestamp % 3600 == 0:  # once an hour
            await app.job_manager.delete_old_jobs(nb_hours=JOB_HISTORY_HOURS, include_failed=True)
            await asyncio.to_thread(rt.registry.prune, timedelta(hours=JOB_HISTORY_HOURS))
        return len(due)

    return app


def ensure_schema(app, db: Database) -> None:
    """procrastinate's tables, created once (under an advisory lock: workers may start together)."""
    from sqlalchemy import inspect

    with db.serialized("procrastinate schema") as session:
        conn = session.connection()
        if not inspect(conn).has_table("procrastinate_jobs"):
            conn.exec_driver_sql(app.schema_manager.get_schema().replace("%", "%%"))


async def _run_queues(app, runtime: WorkerRuntime, queues: list[str]) -> None:
    """Two queue workers in this process: one takes crawls and digests, ``concurrency`` at once;
    one takes only the tick, so the tick always has a slot (sharing the crawl slots, it waited
    behind a backlog of crawls: nothing new was queued and no dead worker buried until the
    backlog was gone). SIGTERM/SIGINT stop both, running crawls given the shutdown grace."""
    import signal as signals
    from concurrent.futures import ThreadPoolExecutor

    common: dict[str, Any] = {
        "update_heartbeat_interval": runtime.heartbeat_seconds,
        "stalled_worker_timeout": runtime.stale_after.total_seconds(),
        # Finished jobs stay as the record of what was deferred when (the tick deletes old ones).
        "delete_jobs": "never",
        "shutdown_graceful_timeout": runtime.config.daemon.shutdown_grace_seconds,
        "install_signal_handlers": False,
    }
    name = f"{runtime.host}:{os.getpid()}"
    loop = asyncio.get_running_loop()
    # Crawls (blocking, one thread each while their child runs) and the tick's database calls share
    # the default thread pool: size it so that crawls never hold every thread (its default is
    # cores + 4, which a --concurrency above that would fill, leaving the tick waiting).
    loop.set_default_executor(ThreadPoolExecutor(max_workers=runtime.concurrency + 8))
    async with app.open_async():
        tasks = [
            asyncio.create_task(
                app.run_worker_async(queues=queues, concurrency=runtime.concurrency, name=name, **common)
            ),
            # Every worker takes the tick (it is cheap and exactly-once per period anyway).
            asyncio.create_task(
                app.run_worker_async(queues=[TICK_QUEUE], concurrency=1, name=f"{name}:tick", **common)
            ),
        ]
        stopping = asyncio.Event()

        def stop() -> None:
            # Once: a queue worker cancelled a second time aborts its running jobs at once.
            if not stopping.is_set():
                stopping.set()
                for task in tasks:
                    task.cancel()

        for sig in (signals.SIGTERM, signals.SIGINT):
            loop.add_signal_handler(sig, stop)
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop()  # one ended (stopped, or failed): stop the other as well
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error


def run_worker(
    config: AppConfig, *, concurrency: int, queues: list[str] | None, tick_seconds: int = 60
) -> None:
    require_postgres(config)
    db = Database(config.database_url)
    runtime = WorkerRuntime(config, db, concurrency)
    app = build_app(runtime, config, tick_seconds=tick_seconds)
    ensure_schema(app, db)
    runtime.start()
    log.info(
        "newsmon worker %s started (pid %d on %s, concurrency %d, queues %s)",
        runtime.worker_id,
        os.getpid(),
        runtime.host,
        concurrency,
        ", ".join(queues) if queues else "all",
    )
    try:
        asyncio.run(_run_queues(app, runtime, queues or [CRAWL_QUEUE, DIGEST_QUEUE]))
    finally:
        runtime.stop()
        db.dispose()
