"""Crawl-run records: opened when a crawl starts, closed with its counts."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, cast

from sqlalchemy import CursorResult, Select, update
from sqlmodel import col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.db import Database, newest_id_with_status
from storage.models import RUN_COUNT_FIELDS, RUN_STATUSES, CrawlRun, row_id, table_of, utcnow


def _process_gone(run: CrawlRun) -> bool:
    """True when the run's process is known to be dead: same host, pid no longer there."""
    if not run.pid or run.host != socket.gethostname() or run.pid == os.getpid():
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _still_running(run: CrawlRun) -> bool:
    if not run.pid or run.host != socket.gethostname() or run.pid == os.getpid():
        return False
    return not _process_gone(run)


@dataclass
class Degradation:
    """A source whose selectors stopped matching: which fields, since when, a sample page."""

    source: str
    fields: list[str]
    since: datetime
    sample_url: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields": self.fields,
            "since": self.since.isoformat(timespec="seconds"),
            "sample_url": self.sample_url,
        }

    def text(self, tz: tzinfo) -> str:
        when = self.since.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
        return (
            f"degraded since {when}: {', '.join(self.fields)} no longer found by the site's selectors "
            f"(read through the fallbacks; the site's markup may have changed), e.g. {self.sample_url}"
        )


class CrawlRunLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, source: str, pid: int | None = None, host: str | None = None) -> int:
        with self.db.session() as session:
            run = CrawlRun(source=source, status="running", pid=pid, host=host)
            session.add(run)
            session.flush()
            return row_id(run)

    def finish(
        self,
        run_id: int,
        status: str,
        counts: Mapping[str, int],
        message: str | None = None,
        error_samples: list[dict[str, Any]] | None = None,
        degraded: dict[str, Any] | None = None,
        error_kinds: Mapping[str, int] | None = None,
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
            run.degraded = dict(degraded or {})
            run.error_kinds = {str(k): int(v) for k, v in (error_kinds or {}).items()}
            run.finished_at = utcnow()
            session.add(run)
            return run

    def checkpoint(self, run_id: int, counts: Mapping[str, int]) -> bool:
        """Write the counts reached so far into a run still 'running'; False when it is closed."""
        values = {name: int(counts[name]) for name in RUN_COUNT_FIELDS if name in counts}
        with self.db.session() as session:
            result = session.execute(
                update(CrawlRun)
                .where(col(CrawlRun.id) == run_id, col(CrawlRun.status) == "running")
                .values(**values)
            )
            return cast("CursorResult[Any]", result).rowcount == 1

    def get(self, run_id: int) -> CrawlRun | None:
        with self.db.session() as session:
            return session.get(CrawlRun, run_id)

    def mark_abandoned(
        self, source: str | None = None, message: str = "the crawl process ended without finishing"
    ) -> int:
        """Close runs left 'running' by a process that died; returns how many.

        For the daemon at start: every 'running' record but those of a process alive on
        this host (a `newsmon crawl` started by hand, say) is closed.
        """
        return len(self.close_abandoned(source, message))

    def close_abandoned(
        self, source: str | None = None, message: str = "the crawl process ended without finishing"
    ) -> list[CrawlRun]:
        """``mark_abandoned``, returning the runs it closed."""
        return self._close_running(source, message, lambda run: not _still_running(run))

    def close_dead(self, source: str | None = None) -> list[CrawlRun]:
        """Close as ``killed`` the 'running' records whose process is gone (same host, pid no
        longer alive): what a `newsmon crawl` killed with SIGKILL leaves. Called by every
        command that reads runs; records of other hosts, or without a pid, are left alone."""
        return self._close_running(source, None, _process_gone)

    def _close_running(self, source: str | None, message: str | None, dead) -> list[CrawlRun]:
        with self.db.session() as session:
            rows = [run for run in session.exec(running_query(source)).all() if dead(run)]
            for run in rows:
                run.status = "killed"
                run.message = message or (
                    f"its process (pid {run.pid} on {run.host}) ended without finishing the crawl"
                )
                run.finished_at = utcnow()
                session.add(run)
            return rows

    def latest(self, source: str) -> CrawlRun | None:
        self.close_dead(source)
        with self.db.session() as session:
            return session.exec(
                select(CrawlRun).where(CrawlRun.source == source).order_by(col(CrawlRun.id).desc()).limit(1)
            ).first()

    def latest_per_source(self) -> dict[str, CrawlRun]:
        """Each source's newest run, found through the (source, id) index: one index probe per
        source, however long the history (no GROUP BY over every run)."""
        self.close_dead()
        with self.db.session() as session:
            rows = session.exec(select(CrawlRun).where(col(CrawlRun.id).in_(newest_runs_query()))).all()
            return {run.source: run for run in rows}

    def since(self, source: str | None, since: datetime) -> list[CrawlRun]:
        with self.db.session() as session:
            return list(session.exec(runs_since_query(source, since)).all())

    def first_started(self, source: str) -> datetime | None:
        """When the source's first recorded crawl started (None: never crawled)."""
        with self.db.session() as session:
            return session.exec(
                select(CrawlRun.started_at)
                .where(CrawlRun.source == source)
                .order_by(col(CrawlRun.id))
                .limit(1)
            ).first()

    def degraded_since(self, source: str) -> CrawlRun | None:
        """The first run of the unbroken series of degraded runs that ends with the source's
        latest run that read pages (a run that read none says nothing either way); None when
        that run is not degraded. Its started_at is "degraded since"."""
        first = None
        with self.db.session() as session:
            # Only the columns the walk needs: 500 whole records (counts, error samples) cost
            # ~2 ms a source on every status and digest.
            rows = session.exec(
                select(CrawlRun.id, CrawlRun.degraded, CrawlRun.articles_seen)
                .where(CrawlRun.source == source, CrawlRun.status != "running")
                .order_by(col(CrawlRun.id).desc())
                .limit(500)
            ).all()
            for run_id, degraded, articles_seen in rows:
                if degraded:
                    first = run_id
                elif articles_seen:
                    break
            return session.get(CrawlRun, first) if first is not None else None

    def degradation(self, source: str) -> Degradation | None:
        """The source's redesign warning, or None when its selectors hold up."""
        first = self.degraded_since(source)
        if first is None:
            return None
        latest = self.latest_degraded(source) or first
        return Degradation(
            source,
            list(latest.degraded.get("fields") or {}),
            first.started_at,
            str(latest.degraded.get("sample_url") or ""),
        )

    def latest_degraded(self, source: str) -> CrawlRun | None:
        with self.db.session() as session:
            for run in session.exec(
                select(CrawlRun)
                .where(CrawlRun.source == source, CrawlRun.status != "running")
                .order_by(col(CrawlRun.id).desc())
                .limit(50)
            ).all():
                if run.degraded:
                    return run
        return None

    def last_success(self, source: str) -> CrawlRun | None:
        """The source's newest ok/partial run."""
        with self.db.session() as session:
            return session.exec(last_success_query(source)).first()

    def last_successes(self, sources: Iterable[str]) -> dict[str, CrawlRun | None]:
        return {name: self.last_success(name) for name in sources}


SUCCESS_STATUSES = ("ok", "partial")


def last_success_query(source: str) -> SelectOfScalar[CrawlRun]:
    """The source's newest ok/partial run: two probes of the (source, status, id) index,
    however many failed runs came after it."""
    newest = newest_id_with_status(
        col(CrawlRun.id), col(CrawlRun.status), SUCCESS_STATUSES, CrawlRun.source == source
    )
    return select(CrawlRun).where(col(CrawlRun.id) == newest)


def runs_since_query(source: str | None, since: datetime) -> SelectOfScalar[CrawlRun]:
    stmt = select(CrawlRun).where(col(CrawlRun.started_at) >= since)
    if source:
        stmt = stmt.where(CrawlRun.source == source)
    return stmt.order_by(col(CrawlRun.started_at), col(CrawlRun.id))


def running_query(source: str | None = None) -> SelectOfScalar[CrawlRun]:
    stmt = select(CrawlRun).where(CrawlRun.status == "running")
    return stmt.where(CrawlRun.source == source) if source else stmt


def newest_runs_query() -> Select:
    """SELECT of each source's newest run id. The distinct sources come from a recursive
    skip-scan of the (source, id) index (next source = the smallest one after the last), then
    one backwards probe per source: bounded by the number of sources, not of runs."""
    run = table_of(CrawlRun)
    first = select(func.min(run.c.source).label("source")).cte("sources", recursive=True)
    following = select(
        select(func.min(run.c.source)).where(run.c.source > first.c.source).scalar_subquery()
    ).where(first.c.source.is_not(None))
    sources = first.union_all(following)
    newest = (
        select(run.c.id)
        .where(run.c.source == sources.c.source)
        .order_by(run.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(newest).select_from(sources).where(sources.c.source.is_not(None))
