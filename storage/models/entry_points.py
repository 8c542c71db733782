"""Entry points a source's crawl found for itself: feeds announced on the home page or the
site's feed index, sitemaps named in robots.txt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow


class EntryPoint(SQLModel, table=True):
    """One discovered feed or sitemap of a source, used alongside the configured ones."""

    __tablename__ = "entry_point"

    source: str = Field(primary_key=True, max_length=64)
    url: str = Field(primary_key=True, max_length=2048)
    kind: str = Field(max_length=16, description="feed or sitemap")
    found_on: str = Field(default="", max_length=2048, description="the page that named it")
    first_found_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_found_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class EntryPointCheck(SQLModel, table=True):
    """When a source's entry points were last looked for (first crawl, then weekly)."""

    __tablename__ = "entry_point_check"

    source: str = Field(primary_key=True, max_length=64)
    checked_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
