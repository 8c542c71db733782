"""Column types shared by the models."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike.

    SQLite has no time zones: without this, an aware datetime goes in and a naive
    one comes out, and comparisons silently go wrong.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: newsmon stores aware datetimes only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def row_id(row: Any) -> int:
    """The primary key of a row the database has given one (after a flush or a read). SQLModel
    types ``id`` as ``int | None`` because a new row has none yet: asking earlier is a bug."""
    value = row.id
    if value is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return int(value)


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a SQLModel table class (for Core statements and bulk inserts)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]
