"""The daemon's lock: at most one `newsmon run` per database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow

# The lock is a single row with this id: the primary key is what makes two daemons
# racing to start unable to both insert it.
DAEMON_LOCK_ID = 1


class DaemonLock(SQLModel, table=True):
    __tablename__ = "daemon_lock"

    id: int = Field(default=DAEMON_LOCK_ID, primary_key=True)
    # A random token per daemon start: pids repeat across hosts and reboots, tokens do not.
    owner: str = Field(max_length=64)
    pid: int
    host: str = Field(max_length=255)
    # "daemon" for `newsmon run`, "once" for `newsmon run --once` / `newsmon demo`.
    mode: str = Field(default="daemon", max_length=16)
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # Resident memory of the daemon at its last heartbeat, for `newsmon status`.
    rss_kb: int | None = None
