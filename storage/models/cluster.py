"""What crawl workers on several hosts share: when each job is next due, and who is alive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow


class ScheduleEntry(SQLModel, table=True):
    """One scheduled job of the cluster (``crawl:SOURCE`` or ``digest:SCHEDULE``) and when it is next due.

    The minute tick of whichever worker gets there first claims due rows with
    ``FOR UPDATE SKIP LOCKED``, defers their jobs and moves ``next_due`` on: no leader needed."""

    __tablename__ = "schedule_entry"

    key: str = Field(primary_key=True, max_length=512)
    kind: str = Field(max_length=16)  # crawl | digest
    arg: str = Field(max_length=512)
    schedule: str = Field(max_length=128)
    next_due: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    last_deferred_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class Worker(SQLModel, table=True):
    """A `newsmon worker` process: where it runs, its heartbeat, and the jobs it is running."""

    __tablename__ = "worker"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255)
    pid: int
    concurrency: int = 1
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    heartbeat_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
    stopped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    running: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
