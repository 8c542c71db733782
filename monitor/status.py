"""`newsmon status`: what the daemon, every source and the digests are doing, gathered
from the database and the config, as a dataclass and as text for a person."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.config import AppConfig
from monitor.crawling import format_counts
from storage import CrawlRunLog, Database
from storage.models import utcnow


@dataclass
class SourceStatus:
    name: str
    enabled: bool
    schedule: str
    next_run: datetime | None
    last_run: dict[str, Any] | None
    degraded: Any = None  # storage.Degradation: the site's selectors stopped matching


@dataclass
class DaemonStatus:
    daemon: dict[str, Any] | None
    sources: list[SourceStatus]
    digests: list[dict[str, Any]]
    undelivered_digests: int
    waiting_articles: int
    last_digest: dict[str, Any] | None
    articles: dict[str, int]
    # Which config and database this status was read from (a person's labels, no password).
    config_file: str | None = None
    database: str | None = None
    database_exists: bool = True
    delivery: Any = None  # monitor.digest.status.DigestDeliveryStatus
    workers: list[Any] = field(default_factory=list)  # monitor.cluster.WorkerStatus: `newsmon worker`s
    queues: list[Any] = field(default_factory=list)  # storage.cluster.QueueDepth: the workers' queues

    def as_dict(self, tz: Any) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.astimezone(tz).isoformat(timespec="seconds") if value else None

        return {
            "config": self.config_file,
            "database": self.database,
            "database_exists": self.database_exists,
            "daemon": self.daemon,
            "workers": [w.as_dict() for w in self.workers],
            "queues": [q.as_dict() for q in self.queues],
            "sources": [
                {
                    "name": s.name,
                    "enabled": s.enabled,
                    "schedule": s.schedule,
                    "next_run": iso(s.next_run),
                    "last_run": s.last_run,
                    "degraded": s.degraded.as_dict() if s.degraded else None,
                }
                for s in self.sources
            ],
            "digests": [{**d, "next_run": iso(d["next_run"])} for d in self.digests],
            "undelivered_digests": self.undelivered_digests,
            "articles_waiting_for_digest": self.waiting_articles,
            "last_digest": self.last_digest,
            "digest_delivery": self.delivery.as_dict() if self.delivery is not None else None,
            "articles": self.articles,
        }


def daemon_status(config: AppConfig, db: Database | None) -> DaemonStatus:
    """Everything `newsmon status` shows. Read without changing anything but one thing: a crawl
    record whose process is gone from this host is closed as killed (CrawlRunLog.close_dead).
    ``db`` None means there is no database yet, and the status is the config's alone."""
    from monitor.daemon.lock import DatabaseLock
    from monitor.digest.status import digest_delivery_status
    from storage import ArticleStore
    from storage.daemon import DaemonLockStore, scheduled_runs
    from storage.digests import DigestStore

    if db is None:
        sources = [
            SourceStatus(name, src.enabled, src.schedule or config.crawl.default_schedule, None, None)
            for name, src in config.sources.items()
        ]
        digests: list[dict[str, Any]] = [
            {"schedule": text, "next_run": None} for text in config.digest.schedules
        ]
        from monitor.digest.status import channel_status

        return DaemonStatus(
            None,
            sources,
            digests,
            0,
            0,
            None,
            {"total": 0},
            database_exists=False,
            delivery=channel_status(config),
        )

    holder = DaemonLockStore(db).current()
    daemon = None
    if holder is not None:
        probe = DatabaseLock(db, stale_after=config.daemon.lock_stale_seconds)
        daemon = {
            "running": not probe.is_stale(holder),
            "mode": holder.mode,
            "pid": holder.pid,
            "host": holder.host,
            "started_at": holder.started_at.isoformat(timespec="seconds"),
            "heartbeat_age_seconds": round((utcnow() - holder.heartbeat_at).total_seconds(), 1),
            "rss_kb": holder.rss_kb,
        }
    from monitor.cluster_status import queue_statuses, worker_statuses
    from storage.cluster import scheduled_due

    # Next runs: the daemon's job store, or the crawl workers' shared schedule.
    jobs = {**scheduled_runs(db), **scheduled_due(db)}
    runs_log = CrawlRunLog(db)
    latest = runs_log.latest_per_source()
    sources = [
        SourceStatus(
            name,
            src.enabled,
            src.schedule or config.crawl.default_schedule,
            jobs.get(f"crawl:{name}"),
            latest[name].summary() if name in latest else None,
            runs_log.degradation(name) if name in latest else None,
        )
        for name, src in config.sources.items()
    ]
    digests = [{"schedule": text, "next_run": jobs.get(f"digest:{text}")} for text in config.digest.schedules]
    store = DigestStore(db)
    labels = ["core", "national"] if config.digest.include_national else ["core"]
    delivery = digest_delivery_status(config, db)
    workers = worker_statuses(config, db)
    return DaemonStatus(
        daemon,
        sources,
        digests,
        len(delivery.pending),
        store.count_candidates(labels),
        delivery.last_delivered,
        ArticleStore(db).counts(),
        delivery=delivery,
        workers=workers,
        queues=queue_statuses(db, workers),
    )


# How many of a run's error samples `newsmon status` prints (all of them are in --json).
STATUS_ERROR_SAMPLES = 5


def format_status(status: DaemonStatus, tz: Any) -> str:
    """`newsmon status` as text for a person."""

    def local(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z") if value else "-"

    lines: list[str] = []
    if status.config_file or status.database:
        lines.append(f"config: {status.config_file or '-'}")
        lines.append(
            f"database: {status.database or '-'}"
            + ("" if status.database_exists else " (not created yet: nothing crawled so far)")
        )
        lines.append("")
    d = status.daemon
    if d is None:
        lines.append("daemon: not running")
    else:
        state = "running" if d["running"] else "not running (stale lock: its process is gone)"
        rss = f", {d['rss_kb'] / 1024:.0f} MiB resident" if d.get("rss_kb") else ""
        what = "run --once" if d["mode"] == "once" else "daemon"
        lines.append(
            f"{what}: {state}, pid {d['pid']} on {d['host']}, since {d['started_at']} UTC, "
            f"heartbeat {d['heartbeat_age_seconds']:.0f} s ago{rss}"
        )
    from monitor.cluster_status import format_workers

    lines.extend(format_workers(status.workers, status.queues))
    never = "not scheduled yet (start the daemon: newsmon run)"
    lines.append("")
    lines.append("sources:")
    for s in status.sources:
        if not s.enabled:
            lines.append(f"  {s.name} (disabled)  schedule {s.schedule}")
        else:
            lines.append(
                f"  {s.name}  schedule {s.schedule}, next run {local(s.next_run) if s.next_run else never}"
            )
        run = s.last_run
        if run is None:
            lines.append("    last run: never")
        else:
            started = datetime.fromisoformat(run["started_at"]) if run.get("started_at") else None
            lines.append(f"    last run: {run['status']} at {local(started)}  {format_counts(run)}")
            if run.get("message"):
                lines.append(f"    {run['message']}")
            lines.extend(_error_sample_lines(run.get("error_samples") or []))
            if run.get("error_kinds"):
                kinds = ", ".join(f"{kind} {n}" for kind, n in run["error_kinds"].items())
                lines.append(f"    errors by kind: {kinds}")
        if s.degraded is not None:
            lines.append(f"    ⚠ {s.degraded.text(tz)}")
    lines.append("")
    lines.append("digests:")
    for dg in status.digests:
        lines.append(
            f"  schedule {dg['schedule']}, next run {local(dg['next_run']) if dg['next_run'] else never}"
        )
    lines.append(
        f"  {status.waiting_articles} relevant article(s) waiting for the next digest; "
        f"{status.undelivered_digests} digest(s) recorded but not delivered yet"
    )
    if status.delivery is not None:
        from monitor.digest.status import format_digest_delivery

        lines.extend(format_digest_delivery(status.delivery, local))
    lines.append("")
    a = status.articles
    rest = ", ".join(f"{k} {v}" for k, v in sorted(a.items()) if k != "total")
    lines.append(f"articles: {a.get('total', 0)} stored" + (f" ({rest})" if rest else ""))
    return "\n".join(lines)


def _error_sample_lines(samples: list[dict[str, Any]]) -> list[str]:
    """A run's first error samples, one line each: kind, URL, reason."""
    lines = [
        f"    error: {sample.get('kind', '?')}  {sample.get('url', '')}  {sample.get('reason', '')}".rstrip()
        for sample in samples[:STATUS_ERROR_SAMPLES]
    ]
    if len(samples) > STATUS_ERROR_SAMPLES:
        lines.append(
            f"    ... and {len(samples) - STATUS_ERROR_SAMPLES} more sample(s) in `newsmon status --json`"
        )
    return lines
