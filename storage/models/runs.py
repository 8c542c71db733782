"""Crawl runs: one record per crawl of one source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow

# running: in progress (or the process died: see finished_at)
# ok: finished with no errors; partial: finished, some pages failed;
# failed: nothing could be crawled; blocked: the site refused us (HTTP 403);
# killed: stopped by the daemon (time limit or shutdown).
RUN_STATUSES = ("running", "ok", "partial", "failed", "blocked", "killed")
RUN_COUNT_FIELDS = (
    "requests",
    "articles_seen",
    "new",
    "updated",
    "unchanged",
    "duplicates",
    "errors",
    "blocked",
    "not_modified",
)


class CrawlRun(SQLModel, table=True):
    __tablename__ = "crawl_run"
    # (source, id): a source's newest run, read backwards from the end whatever the history's
    # length; (source, status, id): its newest success however many failures followed;
    # status: the few 'running' records among all.
    __table_args__ = (
        Index("ix_crawl_run_source_id", "source", "id"),
        Index("ix_crawl_run_source_status_id", "source", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    status: str = Field(default="running", index=True, max_length=16)
    # The crawling process, so a record left 'running' can be told apart from a crawl still going.
    pid: int | None = None
    host: str | None = Field(default=None, max_length=255)
    requests: int = 0
    articles_seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    errors: int = 0
    blocked: int = 0
    not_modified: int = 0
    message: str | None = None
    # A few sample errors (URL and reason), so a failing source can be diagnosed from `status`.
    error_samples: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    # Redesign detection: {} when the site's selectors held up; else {"fields": {field:
    # {"selectors": hits, "pages": pages}}, "sample_url": url}: articles still arrived through
    # the fallback layers, but the site's markup has changed (spiders/health.py).
    degraded: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict)
    )
    # Errors by kind ("http_404": 2, "timeout": 1, ...), for `newsmon status`.
    error_kinds: dict[str, int] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, default=dict, server_default=text("'{}'")),
    )

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }
        data.update({name: getattr(self, name) for name in RUN_COUNT_FIELDS})
        data["message"] = self.message
        data["error_kinds"] = dict(self.error_kinds or {})
        data["error_samples"] = self.error_samples
        data["degraded"] = self.degraded or {}
        return data
