"""The cluster's shared state: the schedule table and the worker registry (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import col, select

from storage.db import Database
from storage.models import ScheduleEntry, Worker, utcnow


@dataclass(frozen=True)
class WantedJob:
    key: str
    kind: str
    arg: str
    schedule: str


@dataclass(frozen=True)
class DueJob:
    key: str
    kind: str
    arg: str
    due_at: datetime  # when it was due (its next_due when claimed)
    next_due: datetime  # when it is due next


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def sync(
        self, wanted: Sequence[WantedJob], first_due: Callable[[WantedJob, datetime], datetime]
    ) -> dict[str, str]:
        """Make the table hold exactly ``wanted``: new jobs get their first due time, a changed
        schedule gets a new one, jobs no longer configured go; unchanged ones keep their due time.
        Under an advisory lock, so workers starting together insert each job once.
        Returns key -> added | replaced | removed."""
        now = utcnow()
        actions: dict[str, str] = {}
        with self.db.serialized("cluster schedule") as session:
            rows = {r.key: r for r in session.exec(select(ScheduleEntry).with_for_update())}
            for job in wanted:
                row = rows.pop(job.key, None)
                if row is None:
                    session.add(
                        ScheduleEntry(
                            key=job.key,
                            kind=job.kind,
                            arg=job.arg,
                            schedule=job.schedule,
                            next_due=first_due(job, now),
                        )
                    )
                    actions[job.key] = "added"
                elif row.schedule != job.schedule:
                    row.schedule, row.next_due = job.schedule, first_due(job, now)
                    session.add(row)
                    actions[job.key] = "replaced"
            for stale in rows.values():
                session.delete(stale)
                actions[stale.key] = "removed"
        return actions

    def claim_due(
        self,
        next_due: Callable[[ScheduleEntry, datetime], datetime],
        *,
        queue: Callable[[list[DueJob], Any], None] | None = None,
        now: datetime | None = None,
    ) -> list[DueJob]:
        """Due jobs, each claimed by exactly one caller across the cluster (rows another
        transaction holds are skipped), with ``next_due`` moved past now: however long the
        cluster was down, a job is deferred once, then keeps its rhythm.

        ``queue(due, connection)`` is called with the claimed jobs and the claim's own DB-API
        connection, inside its transaction, before it commits: jobs queued on that connection
        commit with the claim or not at all. A process that dies between the two (or a queue call
        that raises) leaves the jobs due as they were, for the next claim; claimed and not queued
        would lose them a period."""
        now = now or utcnow()
        with self.db.session() as session:
            rows = session.exec(
                select(ScheduleEntry)
                .where(col(ScheduleEntry.next_due) <= now)
                .order_by(col(ScheduleEntry.next_due))
                .with_for_update(skip_locked=True)
            ).all()
            due = []
            for row in rows:
                was = row.next_due
                row.next_due = next_due(row, now)
                row.last_deferred_at = now
                session.add(row)
                due.append(DueJob(row.key, row.kind, row.arg, was, row.next_due))
            if queue is not None and due:
                session.flush()
                queue(due, session.connection().connection.driver_connection)
            return due

    def make_due(self, key: str) -> None:
        with self.db.session() as session:
            row = session.get(ScheduleEntry, key)
            if row is not None:
                row.next_due = utcnow()
                session.add(row)

    def all(self) -> list[ScheduleEntry]:
        with self.db.session() as session:
            return list(session.exec(select(ScheduleEntry).order_by(col(ScheduleEntry.key))))


def scheduled_due(db: Database) -> dict[str, datetime]:
    """When each job of the cluster's schedule is next due (``crawl:SOURCE``, ``digest:SCHEDULE``);
    empty when no worker ever ran on this database."""
    from sqlalchemy import inspect

    if not inspect(db.engine).has_table(ScheduleEntry.__tablename__):
        return {}
    with db.session() as session:
        return {row.key: row.next_due for row in session.exec(select(ScheduleEntry))}


@dataclass(frozen=True)
class QueueDepth:
    """One queue of the cluster now: jobs waiting, running, and when the longest-waiting one was due."""

    queue: str
    waiting: int
    running: int
    oldest_due: datetime | None

    def as_dict(self) -> dict[str, object]:
        due = self.oldest_due.isoformat(timespec="seconds") if self.oldest_due else None
        return {"queue": self.queue, "waiting": self.waiting, "running": self.running, "oldest_due": due}


def queue_depths(db: Database) -> list[QueueDepth]:
    """The cluster's queues (procrastinate's jobs table), by name; empty when no worker ever ran
    on this database. A crawl queue that stays long is a cluster short of hosts."""
    from sqlalchemy import inspect, text

    if db.dialect != "postgresql" or not inspect(db.engine).has_table("procrastinate_jobs"):
        return []
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT queue_name, count(*) FILTER (WHERE status = 'todo'), "
                "count(*) FILTER (WHERE status = 'doing'), "
                "min(args->>'due') FILTER (WHERE status = 'todo') "
                "FROM procrastinate_jobs WHERE status IN ('todo', 'doing') GROUP BY queue_name "
                "ORDER BY queue_name"
            )
        ).all()
    return [
        QueueDepth(name, int(waiting), int(running), datetime.fromisoformat(due) if due else None)
        for name, waiting, running, due in rows
    ]


class WorkerRegistry:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, host: str, pid: int, concurrency: int) -> int:
        with self.db.session() as session:
            worker = Worker(host=host, pid=pid, concurrency=concurrency)
            session.add(worker)
            session.flush()
            assert worker.id is not None  # given by the flush
            return worker.id

    def stop(self, worker_id: int) -> None:
        with self.db.session() as session:
            worker = session.get(Worker, worker_id)
            if worker is not None:
                worker.stopped_at, worker.running = utcnow(), []
                session.add(worker)

    def current(self) -> list[Worker]:
        """Workers that have not stopped (alive, or silent and not yet buried), by host and pid."""
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Worker)
                    .where(col(Worker.stopped_at).is_(None))
                    .order_by(col(Worker.host), col(Worker.pid))
                )
            )

    def dead(self, stale_after: timedelta) -> list[Worker]:
        """Workers that stopped heartbeating without saying goodbye (killed, host lost)."""
        cutoff = utcnow() - stale_after
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Worker).where(col(Worker.stopped_at).is_(None), col(Worker.heartbeat_at) < cutoff)
                )
            )

    def heartbeat(self, worker_id: int, running: list[dict]) -> bool:
        """Beat, with the jobs running now. False when the worker was buried meanwhile (it was
        silent too long and the cluster gave its jobs to others)."""
        with self.db.session() as session:
            worker = session.get(Worker, worker_id)
            if worker is None or worker.stopped_at is not None:
                return False
            worker.heartbeat_at = utcnow()
            worker.running = running
            session.add(worker)
            return True

    def bury(self, worker_id: int, message: str) -> list[str] | None:
        """Close a dead worker and the crawls it was running: each ends with one ``killed`` record
        (left running, or never opened because the crawl died at its start), unless the crawl had
        finished and recorded itself. Returns the sources whose crawl was cut short; None when the
        worker is buried already (or gone). Its list of running jobs is kept, for the record."""
        from storage.daemon import close_stopped_crawl

        with self.db.session() as session:
            row = session.exec(select(Worker).where(Worker.id == worker_id).with_for_update()).first()
            if row is None or row.stopped_at is not None:
                return None
            running, heartbeat_at = list(row.running), row.heartbeat_at
            row.stopped_at = utcnow()
            session.add(row)
        cut_short = []
        for job in running:
            if job.get("job") != "crawl" or not job.get("source"):
                continue
            since = datetime.fromisoformat(job["since"]) if job.get("since") else heartbeat_at
            run = close_stopped_crawl(self.db, str(job["source"]), since, "killed", message)
            if run.status == "killed":
                cut_short.append(run.source)
        return cut_short

    def tracked_jobs(self, buried_within: timedelta = timedelta(days=1)) -> tuple[set[int], set[int]]:
        """Queue job ids in the running lists of (live workers, workers buried lately)."""
        live: set[int] = set()
        buried: set[int] = set()
        recent = or_(col(Worker.stopped_at).is_(None), col(Worker.stopped_at) > utcnow() - buried_within)
        with self.db.session() as session:
            for worker in session.exec(select(Worker).where(recent)):
                ids = {int(j["job_id"]) for j in worker.running if j.get("job_id") is not None}
                (live if worker.stopped_at is None else buried).update(ids)
        return live, buried

    def prune(self, older_than: timedelta) -> int:
        with self.db.session() as session:
            result = session.exec(delete(Worker).where(col(Worker.stopped_at) < utcnow() - older_than))
            return int(result.rowcount or 0)
