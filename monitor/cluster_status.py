"""What `newsmon status` and the health check show of the crawl workers (`newsmon worker`):
read from the shared database, without the worker machinery (monitor.cluster)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.config import AppConfig
from storage import Database
from storage.cluster import WorkerRegistry


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


def format_workers(workers: list[WorkerStatus]) -> list[str]:
    """`newsmon status` lines for the workers (none when there is no cluster)."""
    if not workers:
        return []
    lines = ["workers:"]
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
