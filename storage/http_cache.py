"""Validators of index pages (feeds, listings, sitemaps) for conditional requests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, delete, select

from storage.db import Database
from storage.models import HttpValidator, utcnow


class HttpValidatorStore:
    """Per source: the ETag / Last-Modified each index URL last came with."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def for_source(self, source: str) -> dict[str, HttpValidator]:
        """Every stored validator of ``source``, by URL (one query per crawl, not one per request)."""
        with self.db.session() as session:
            rows = session.exec(select(HttpValidator).where(HttpValidator.source == source)).all()
            return {row.url: row for row in rows}

    def record(
        self,
        source: str,
        fetched: dict[str, tuple[str | None, str | None]],
        confirmed: Iterable[str] = (),
        at: datetime | None = None,
    ) -> None:
        """Store what one crawl learnt.

        ``fetched`` maps each URL the server sent whole to its (etag, last_modified);
        a URL that came with neither is forgotten. ``confirmed`` are URLs the server
        answered 304 for: their validators stay, with a new checked_at.
        """
        now = at or utcnow()
        with self.db.session() as session:
            for url, (etag, last_modified) in sorted(fetched.items()):
                row = session.get(HttpValidator, (source, url))
                if not etag and not last_modified:
                    if row is not None:
                        session.delete(row)
                    continue
                if row is None:
                    row = HttpValidator(source=source, url=url)
                row.etag, row.last_modified = etag, last_modified
                row.fetched_at = row.checked_at = now
                session.add(row)
            for url in sorted(set(confirmed) - set(fetched)):
                row = session.get(HttpValidator, (source, url))
                if row is not None:
                    row.checked_at = now
                    session.add(row)

    def forget(self, source: str | None = None) -> int:
        """Drop stored validators (of one source, or all), so the next crawl fetches every index whole."""
        with self.db.session() as session:
            stmt = delete(HttpValidator)
            if source:
                stmt = stmt.where(col(HttpValidator.source) == source)
            return session.exec(stmt).rowcount or 0
