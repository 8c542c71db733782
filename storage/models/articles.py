"""Articles and the URLs they were found at."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow


class Article(SQLModel, table=True):
    """One article, stored once however many URLs it was found at."""

    __tablename__ = "article"
    # Relevant articles seen since a time (the digest's "what is new"), and old ones (prune).
    __table_args__ = (Index("ix_article_label_first_seen_at", "label", "first_seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    canonical_url: str = Field(index=True, unique=True, max_length=2048)
    url: str = Field(max_length=2048, description="the URL as the site gave it when first stored")
    source: str = Field(index=True, max_length=64)
    title: str
    lead: str = ""
    body: str
    author: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    # Which layer of the spider gave each field ("selectors", "metadata", "main_text", "default").
    layers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    language: str = Field(max_length=8)
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    first_seen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
    fetched_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # Exact-content fingerprint: the same article at two URLs is stored once.
    content_hash: str = Field(index=True, max_length=64)
    # Relevance judgement (monitor.relevance); version says which rules made it.
    label: str | None = Field(default=None, index=True, max_length=16)
    score: float | None = None
    reasons: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, default=list)
    )
    relevance_version: str | None = Field(default=None, max_length=32)
    # Story grouping (same event in several sources and languages).
    story_id: int | None = Field(default=None, index=True)

    def as_dict(self, tz: tzinfo | None = None) -> dict[str, Any]:
        """Every stored field, JSON-ready, in a stable order; times in ``tz`` (default UTC)."""
        data: dict[str, Any] = {}
        for key in ARTICLE_FIELDS:
            value = getattr(self, key)
            if isinstance(value, datetime):
                value = (value.astimezone(tz) if tz else value).isoformat()
            data[key] = value
        return data


ARTICLE_FIELDS = (
    "id",
    "source",
    "url",
    "canonical_url",
    "title",
    "lead",
    "body",
    "author",
    "tags",
    "layers",
    "language",
    "published_at",
    "first_seen_at",
    "fetched_at",
    "updated_at",
    "content_hash",
    "label",
    "score",
    "reasons",
    "relevance_version",
    "story_id",
)


class ArticleUrl(SQLModel, table=True):
    """Every canonical URL an article was reached at (feed, listing, syndicated copy...)."""

    __tablename__ = "article_url"

    canonical_url: str = Field(primary_key=True, max_length=2048)
    article_id: int = Field(foreign_key="article.id", index=True)
    seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FailedUrl(SQLModel, table=True):
    """An article URL whose page could not be read; retried with a growing back-off."""

    __tablename__ = "failed_url"

    canonical_url: str = Field(primary_key=True, max_length=2048)
    # The URL as the site gave it (the canonical form may not be fetchable), to retry it by.
    url: str | None = Field(default=None, max_length=2048)
    source: str = Field(max_length=64, index=True)
    attempts: int = 1
    first_failed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_failed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    reason: str = ""

    def retry_after(self, base_hours: float = 1.0, cap_hours: float = 48.0) -> datetime:
        """1 h after the first failure, then 2 h, 4 h, … up to two days."""
        from datetime import timedelta

        return self.last_failed_at + timedelta(hours=min(cap_hours, base_hours * 2 ** (self.attempts - 1)))
