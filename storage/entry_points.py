"""Discovered entry points of each source, and when they were last looked for."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from storage.db import Database
from storage.models import EntryPoint, EntryPointCheck, utcnow

ENTRY_KINDS = ("feed", "sitemap")


class EntryPointStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def due(self, source: str, every: timedelta, now: datetime | None = None) -> bool:
        """Whether the source's entry points should be looked for now: never looked for, or
        not within ``every``."""
        with self.db.session() as session:
            check = session.get(EntryPointCheck, source)
            return check is None or check.checked_at <= (now or utcnow()) - every

    def mark_checked(self, source: str, at: datetime | None = None) -> None:
        with self.db.session() as session:
            check = session.get(EntryPointCheck, source) or EntryPointCheck(source=source)
            check.checked_at = at or utcnow()
            session.add(check)

    def found(self, source: str) -> list[EntryPoint]:
        with self.db.session() as session:
            rows = session.exec(
                select(EntryPoint)
                .where(EntryPoint.source == source)
                .order_by(col(EntryPoint.first_found_at), col(EntryPoint.url))
            ).all()
            return list(rows)

    def record(self, source: str, url: str, kind: str, found_on: str = "") -> bool:
        """Remember an entry point; True when it is new."""
        if kind not in ENTRY_KINDS:
            raise ValueError(f"unknown entry point kind {kind!r}")
        with self.db.session() as session:
            row = session.get(EntryPoint, (source, url))
            new = row is None
            row = row or EntryPoint(source=source, url=url, kind=kind, found_on=found_on)
            row.last_found_at = utcnow()
            session.add(row)
            return new

    def forget(self, source: str, url: str) -> None:
        """Drop an entry point that failed; the next discovery finds it again if the site still names it."""
        with self.db.session() as session:
            row = session.get(EntryPoint, (source, url))
            if row is not None:
                session.delete(row)
