"""What `newsmon status` and the health check show of the crawl workers (`newsmon worker`):
read from the shared database, without the worker machinery (monitor.cluster)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.config import AppConfig
from storage import Database
from storage.cluster import QueueDepth, WorkerRegistry, queue_depths


@dataclass
class WorkerStatus:
    """One worker as `newsmon status` shows it."""

    id: int
    host: str
    pid: int
    concurrency: int
    started_at: datetime
    heartbeat_at: datetime
    heartbeat_age_seconds: float
    alive: bool  # heard from within daemon.lock_stale_seconds
    running: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host": self.host,
            "pid": self.pid,
            "concurrency": self.concurrency,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "heartbeat_at": self.heartbeat_at.isoformat(timespec="seconds"),
            "heartbeat_age_seconds": self.heartbeat_age_seconds,
            "alive": self.alive,
            "running": self.running,
        }


def worker_statuses(config: AppConfig, db: Database) -> list[WorkerStatus]:
    """Every worker that has not stopped, alive or silent (a silent one is buried by the next tick)."""
    from storage.models import utcnow

    now = utcnow()
    stale = config.daemon.lock_stale_seconds
    out = []
    for w in WorkerRegistry(db).current():
        age = round((now - w.heartbeat_at).total_seconds(), 1)
        out.append(
            WorkerStatus(
                int(w.id or 0),
                w.host,
                w.pid,
                w.concurrency,
                w.started_at,
                w.heartbeat_at,
                age,
                age <= stale,
                list(w.running),
            )
        )
    return out


def queue_statuses(db: Database, workers: Sequence[WorkerStatus]) -> list[QueueDepth]:
    """The crawl and digest queues, empty ones too, when there are workers (the tick's own queue is
    the cluster's business)."""
    found = {q.queue: q for q in queue_depths(db)}
    if not workers and not found:
        return []
    return [found.get(name) or QueueDepth(name, 0, 0, None) for name in ("crawl", "digest")]


def format_workers(workers: list[WorkerStatus], queues: Sequence[QueueDepth] = ()) -> list[str]:
    """`newsmon status` lines for the workers and their queues (none when there is no cluster)."""
    if not workers and not queues:
        return []
    from storage.models import utcnow

    alive = sum(w.alive for w in workers)
    running = sum(len(w.running) for w in workers)
    lines = [f"workers: {alive} alive of {len(workers)}, {running} job(s) running"]
    now = utcnow()
    for q in queues:
        oldest = (
            f", the oldest due {max(0, (now - q.oldest_due).total_seconds()):.0f} s ago"
            if q.oldest_due
            else ""
        )
        lines.append(f"  queue {q.queue}: {q.waiting} waiting{oldest}, {q.running} running")
    for w in workers:
        state = "" if w.alive else " (silent: presumed dead)"
        jobs = ", ".join(
            f"{j.get('job')} {j.get('source') or j.get('schedule')} since {str(j.get('since', '?'))[:19]}"
            for j in w.running
        )
        lines.append(
            f"  {w.host} pid {w.pid}: heartbeat {w.heartbeat_age_seconds:.0f} s ago{state}; "
            f"running {jobs or 'nothing'}"
        )
    return lines
