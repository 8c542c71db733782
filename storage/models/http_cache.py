"""HTTP validators (ETag, Last-Modified) of index pages, for conditional requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow


class HttpValidator(SQLModel, table=True):
    """What a server said about a feed, listing or sitemap URL the last time it sent it whole.

    Keyed by source as well as URL: two sources polling the same feed must each see
    its content once, so one source's 304 says nothing to the other.
    """

    __tablename__ = "http_validator"

    source: str = Field(primary_key=True, max_length=64)
    url: str = Field(primary_key=True, max_length=2048)
    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=64)
    # When the server last sent the page whole (200) with these validators.
    fetched_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # When the server last confirmed them (200 or 304).
    checked_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
