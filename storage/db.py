"""Engine and sessions. SQLite by default; PostgreSQL when the URL says so."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ScalarSelect, event, func, select, text, union_all
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session, create_engine

import storage.models  # noqa: F401  (registers every table)

if TYPE_CHECKING:
    from storage.schema import SchemaStatus


class DatabaseError(Exception):
    """The database cannot be opened or used; the message says which and why."""


class SchemaOutdated(DatabaseError):
    """The database's schema is not the one this newsmon needs; the message says what to run."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the daemon write while `newsmon status` reads; busy_timeout waits
    # for a writer instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """One database: an engine, its schema, and sessions on it."""

    def __init__(self, url: str, *, create: bool = True, schema: str = "current", echo: bool = False) -> None:
        """Open ``url``. ``schema`` says what to require of its schema:

        - "current" (every command): an empty database is created by the migrations (left
          empty with ``create=False``); any other must be at the head revision, else
          SchemaOutdated says to run `newsmon db upgrade`;
        - "any": no check (`newsmon db`, and `newsmon run`, which upgrades under its lock).
        """
        if schema not in ("current", "any"):
            raise ValueError(f"schema must be 'current' or 'any', not {schema!r}")
        self.url = url
        try:
            parsed = make_url(url)
        except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
            raise DatabaseError(f"not a database URL: {url!r} ({exc})") from None
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                parent = Path(database).expanduser().parent
                if not parent.exists():
                    raise DatabaseError(f"cannot open {url}: folder {parent} does not exist")
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except ModuleNotFoundError as exc:
            raise DatabaseError(
                f"no driver for {self.dialect}: {exc.name} is not installed "
                "(for PostgreSQL: pip install -e '.[postgres]')"
            ) from None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if schema == "current":
            self.require_current(create=create)

    def require_current(self, *, create: bool = True) -> None:
        """Create an empty database (unless ``create`` is false); refuse (SchemaOutdated) one
        whose schema is not current."""
        from storage import schema

        try:
            found = schema.status(self)
        except Exception as exc:
            raise DatabaseError(f"cannot open {self.safe_url}: {exc}") from exc
        if found.state == "empty":
            if not create:
                return
            found = self.create_if_empty()
        if found.state != "current":
            raise SchemaOutdated(found.message())

    def create_if_empty(self) -> SchemaStatus:
        """Create the schema (by the migrations, under the schema lock) if the database has
        none; leave any other database as it is. Returns where it stands."""
        from storage import schema

        try:
            return schema.upgrade(self, existing=False)[1]
        except DatabaseError:
            raise
        except Exception as exc:
            raise DatabaseError(f"cannot create the schema in {self.safe_url}: {exc}") from exc

    def upgrade(self, target: str = "head") -> tuple[str | None, str | None]:
        """Create or upgrade the schema (a 0.1.0 database included); (revision before, after)."""
        from storage import schema

        try:
            before, after = schema.upgrade(self, target)
        except DatabaseError:
            raise
        except Exception as exc:
            raise DatabaseError(f"cannot upgrade {self.safe_url}: {exc}") from exc
        return before.current, after.current

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def serialized(self, name: str) -> Iterator[Session]:
        """A session whose transaction holds the lock called ``name`` in every process, until it
        commits (on success) or rolls back: for a read-decide-write that two processes must not
        interleave (story assignment). PostgreSQL: ``pg_advisory_xact_lock`` on a number made
        from ``name``; SQLite: ``BEGIN IMMEDIATE``, the database's own write lock (so every
        writer waits, whatever the name). Waiting follows the database's lock timeouts."""
        with self.session() as session:
            conn = session.connection()
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def lock_key(name: str) -> int:
    """A lock name as a signed 64-bit number, the same in every process (advisory lock keys)."""
    digest = hashlib.blake2b(f"newsmon {name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def newest_id_with_status(
    id_column: SQLCoreOperations[int | None],
    status_column: SQLCoreOperations[str],
    statuses: Iterable[str],
    *where: Any,
) -> ScalarSelect[int]:
    """The highest id among rows in any of ``statuses`` (and ``where``), as a scalar subquery.

    One max() per status, each answered by an index on (*where columns, status, id) from its
    end, so the cost does not grow with the history of rows in other statuses (a source that
    failed for a year, digests that failed); an IN over the statuses would read or sort them all."""
    per_status = union_all(
        *(select(func.max(id_column).label("id")).where(*where, status_column == s) for s in statuses)
    ).subquery()
    return select(func.max(per_status.c.id)).scalar_subquery()
