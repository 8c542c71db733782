"""What the daemon keeps in the database: its lock row, the schedule APScheduler
persists, and closing crawl records that a stopped child process left open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import delete, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.db import Database
from storage.models import DAEMON_LOCK_ID, CrawlRun, DaemonLock, utcnow

JOBS_TABLE = "apscheduler_jobs"


class DaemonLockStore:
    """The one-row lock table. Taking the lock is an INSERT (the primary key lets only one
    of two racing daemons win); taking over a stale lock is an UPDATE guarded by the old
    owner's token, so two daemons cannot both take over the same dead one."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def current(self) -> DaemonLock | None:
        with self.db.session() as session:
            return session.get(DaemonLock, DAEMON_LOCK_ID)

    def try_acquire(
        self, owner: str, pid: int, host: str, mode: str, is_stale: Callable[[DaemonLock], bool]
    ) -> tuple[bool, DaemonLock | None]:
        """(True, previous stale holder or None) when the lock is now ours; (False, holder) when
        a live holder has it."""
        for _ in range(5):
            now = utcnow()
            try:
                with self.db.session() as session:
                    session.add(
                        DaemonLock(
                            id=DAEMON_LOCK_ID,
                            owner=owner,
                            pid=pid,
                            host=host,
                            mode=mode,
                            started_at=now,
                            heartbeat_at=now,
                        )
                    )
                return True, None
            except IntegrityError:
                pass
            holder = self.current()
            if holder is None:
                continue  # released between our insert and our look: try again
            if not is_stale(holder):
                return False, holder
            with self.db.session() as session:
                result = session.exec(
                    update(DaemonLock)
                    .where(col(DaemonLock.id) == DAEMON_LOCK_ID, col(DaemonLock.owner) == holder.owner)
                    .values(
                        owner=owner,
                        pid=pid,
                        host=host,
                        mode=mode,
                        started_at=now,
                        heartbeat_at=now,
                        rss_kb=None,
                    )
                )
                if result.rowcount == 1:
                    return True, holder
            # Another process took it over first: look again.
        holder = self.current()
        return False, holder

    def heartbeat(self, owner: str, rss_kb: int | None = None) -> bool:
        """Refresh our heartbeat; False when the lock is no longer ours."""
        with self.db.session() as session:
            result = session.exec(
                update(DaemonLock)
                .where(col(DaemonLock.id) == DAEMON_LOCK_ID, col(DaemonLock.owner) == owner)
                .values(heartbeat_at=utcnow(), rss_kb=rss_kb)
            )
            return result.rowcount == 1

    def release(self, owner: str) -> bool:
        with self.db.session() as session:
            result = session.exec(
                delete(DaemonLock).where(col(DaemonLock.id) == DAEMON_LOCK_ID, col(DaemonLock.owner) == owner)
            )
            return result.rowcount == 1


def scheduled_runs(db: Database, table: str = JOBS_TABLE) -> dict[str, datetime | None]:
    """Job id → next run time (None: paused) from APScheduler's job table; empty when the
    daemon never ran on this database. Read-only, so `newsmon status` never changes the schedule."""
    from sqlalchemy import Column, Float, MetaData, String, Table

    if not inspect(db.engine).has_table(table):
        return {}
    jobs = Table(table, MetaData(), Column("id", String), Column("next_run_time", Float))
    with db.engine.connect() as conn:
        rows = conn.execute(jobs.select().with_only_columns(jobs.c.id, jobs.c.next_run_time)).all()
    return {
        row.id: datetime.fromtimestamp(row.next_run_time, timezone.utc)
        if row.next_run_time is not None
        else None
        for row in rows
    }


def close_stopped_crawl(
    db: Database, source: str, started_after: datetime, status: str, message: str
) -> CrawlRun:
    """Record how a crawl child that was killed (or crashed) ended.

    The child may have opened its record and left it 'running' (killed hard), closed it
    itself (it shut down gracefully on SIGTERM), or died before opening one: every case
    ends with exactly one closed record that says why.
    """
    now = utcnow()
    with db.session() as session:
        rows = session.exec(
            select(CrawlRun)
            .where(CrawlRun.source == source, col(CrawlRun.started_at) >= started_after)
            .order_by(col(CrawlRun.id))
        ).all()
        open_rows = [run for run in rows if run.status == "running"]
        for run in open_rows:
            run.status, run.message, run.finished_at = status, message, now
            session.add(run)
        if open_rows:
            return open_rows[-1]
        if rows:
            last = rows[-1]
            if last.status == "killed":
                # It closed itself on our SIGTERM ("shutdown"): say what really stopped it.
                last.status = status
                last.message = message if not last.message else f"{message}; {last.message}"
                session.add(last)
            return last
        run = CrawlRun(
            source=source, status=status, message=message, started_at=started_after, finished_at=now
        )
        session.add(run)
        session.flush()
        return run
