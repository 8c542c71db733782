"""Crawl-run records: opened when a crawl starts, closed with its counts."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

from sqlmodel import col, func, select

from storage.db import Database
from storage.models import RUN_COUNT_FIELDS, RUN_STATUSES, CrawlRun, utcnow


def _still_running(run: CrawlRun) -> bool:
    if not run.pid or run.host != socket.gethostname() or run.pid == os.getpid():
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CrawlRunLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, source: str, pid: int | None = None, host: str | None = None) -> int:
        with self.db.session() as session:
            run = CrawlRun(source=source, status="running", pid=pid, host=host)
            session.add(run)
            session.flush()
            return run.id

    def finish(
        self,
        run_id: int,
        status: str,
        counts: Mapping[str, int],
        message: str | None = None,
        error_samples: list[dict[str, Any]] | None = None,
    ) -> CrawlRun:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown crawl status {status!r}")
        with self.db.session() as session:
            run = session.get(CrawlRun, run_id)
            if run is None:
                raise LookupError(f"no crawl run {run_id}")
            for name in RUN_COUNT_FIELDS:
                if name in counts:
                    setattr(run, name, int(counts[name]))
            run.status = status
            run.message = message
            run.error_samples = list(error_samples or [])[:20]
            run.finished_at = utcnow()
            session.add(run)
            return run

    def get(self, run_id: int) -> CrawlRun | None:
        with self.db.session() as session:
            return session.get(CrawlRun, run_id)

    def mark_abandoned(self, source: str | None = None, message: str = "the crawl process ended without finishing") -> int:
        """Close runs left 'running' by a process that died; returns how many.

        A run whose process is still alive on this host (a `newsmon crawl` started by
        hand, say) is left alone.
        """
        with self.db.session() as session:
            stmt = select(CrawlRun).where(CrawlRun.status == "running")
            if source:
                stmt = stmt.where(CrawlRun.source == source)
            rows = [run for run in session.exec(stmt).all() if not _still_running(run)]
            for run in rows:
                run.status = "killed"
                run.message = message
                run.finished_at = utcnow()
                session.add(run)
            return len(rows)

    def latest(self, source: str) -> CrawlRun | None:
        with self.db.session() as session:
            return session.exec(
                select(CrawlRun).where(CrawlRun.source == source).order_by(col(CrawlRun.id).desc())
            ).first()

    def latest_per_source(self) -> dict[str, CrawlRun]:
        with self.db.session() as session:
            newest = select(CrawlRun.source, func.max(CrawlRun.id).label("id")).group_by(CrawlRun.source).subquery()
            rows = session.exec(select(CrawlRun).join(newest, col(CrawlRun.id) == newest.c.id)).all()
            return {run.source: run for run in rows}

    def since(self, source: str | None, since) -> list[CrawlRun]:
        with self.db.session() as session:
            stmt = select(CrawlRun).where(col(CrawlRun.started_at) >= since)
            if source:
                stmt = stmt.where(CrawlRun.source == source)
            return list(session.exec(stmt.order_by(col(CrawlRun.id))).all())

    def last_success(self, source: str) -> CrawlRun | None:
        with self.db.session() as session:
            return session.exec(
                select(CrawlRun)
                .where(CrawlRun.source == source, col(CrawlRun.status).in_(["ok", "partial"]))
                .order_by(col(CrawlRun.id).desc())
            ).first()
