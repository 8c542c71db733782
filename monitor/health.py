"""Is newsmon healthy? One rule for `/healthz` (served by the daemon) and `newsmon status --check`.

Unhealthy when:
- the daemon is not running (no lock, or its heartbeat is older than `daemon.lock_stale_seconds`);
- its scheduler is stuck: a job it keeps in the database was due more than
  `daemon.stuck_after_seconds` ago and has not been run (or skipped) since;
- a source has not crawled successfully for longer than its `stale_after` (a source that never
  succeeded counts from its first crawl).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.config import AppConfig
from storage import CrawlRunLog, Database
from storage.daemon import DaemonLockStore, scheduled_runs
from storage.models import utcnow


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    stale_after: timedelta
    last_success: datetime | None
    # The first crawl's start, for a source that never succeeded (None: never crawled).
    first_run: datetime | None

    def age(self, now: datetime) -> timedelta | None:
        since = self.last_success or self.first_run
        return now - since if since is not None else None

    def stale(self, now: datetime) -> bool:
        age = self.age(now)
        return age is not None and age > self.stale_after


@dataclass
class Health:
    checked_at: datetime
    daemon_running: bool
    problems: list[str] = field(default_factory=list)
    sources: list[SourceFreshness] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "daemon_running": self.daemon_running,
            "problems": list(self.problems),
            "sources": {
                s.source: {
                    "last_success": s.last_success.isoformat(timespec="seconds") if s.last_success else None,
                    "stale_after_seconds": s.stale_after.total_seconds(),
                    "stale": s.stale(self.checked_at),
                }
                for s in self.sources
            },
        }


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{max(seconds, 0) // 60} min"


def source_freshness(config: AppConfig, db: Database) -> list[SourceFreshness]:
    runs = CrawlRunLog(db)
    sources = config.enabled_sources()
    successes = runs.last_successes(sources)
    out = []
    for name, source in sources.items():
        success = successes.get(name)
        first = None if success is not None else runs.first_started(name)
        when = (success.finished_at or success.started_at) if success is not None else None
        out.append(SourceFreshness(name, source.stale_after or config.crawl.stale_after, when, first))
    return out


def check_health(
    config: AppConfig, db: Database, *, now: datetime | None = None, in_daemon: bool = False
) -> Health:
    """The health of the daemon and its sources as the database shows it.

    ``in_daemon``: asked by the running daemon itself (its `/healthz`), which is alive by definition.
    """
    from monitor.daemon.lock import DatabaseLock

    now = now or utcnow()
    holder = DaemonLockStore(db).current()
    from monitor.cluster_status import worker_statuses
    from storage.cluster import scheduled_due

    running = in_daemon or (
        holder is not None
        and holder.mode == "daemon"
        and not DatabaseLock(db, stale_after=config.daemon.lock_stale_seconds).is_stale(holder)
    )
    # Crawl workers (`newsmon worker`) stand in for the daemon: their schedule is the shared one.
    cluster = not running and any(w.alive for w in worker_statuses(config, db))
    health = Health(checked_at=now, daemon_running=running or cluster)
    if not (running or cluster):
        health.problems.append("daemon: not running (start it: newsmon run)")
    else:
        grace = timedelta(seconds=config.daemon.stuck_after_seconds)
        schedule = scheduled_due(db) if cluster else scheduled_runs(db)
        overdue = sorted((due, job) for job, due in schedule.items() if due is not None and due < now - grace)
        if overdue:
            due, job = overdue[0]
            health.problems.append(
                f"scheduler: stuck ({job} was due {_human(now - due)} ago and has not run)"
            )
    health.sources = source_freshness(config, db)
    for s in health.sources:
        age = s.age(now)
        if age is not None and s.stale(now):
            what = (
                f"no successful crawl for {_human(age)}"
                if s.last_success
                else f"no successful crawl since its first crawl {_human(age)} ago"
            )
            health.problems.append(f"source {s.source}: {what} (stale_after {_human(s.stale_after)})")
    return health
