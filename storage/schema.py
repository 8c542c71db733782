"""The database schema's version: Alembic migrations (storage/migrations), run under a lock.

A database is in one of these states:

- empty: no newsmon table yet; any command creates it by running every migration;
- unversioned: made by newsmon 0.1.0 (its tables, no ``alembic_version``); stamped at the
  baseline revision (which is exactly the 0.1.0 schema), then upgraded;
- behind: an older revision; ``newsmon db upgrade`` or ``newsmon run`` upgrades it, every
  other command refuses to work on it;
- current: at the head revision;
- unknown: a revision this newsmon does not know (a newer newsmon wrote it).

Creating and upgrading run inside one transaction that holds a lock (PostgreSQL: an advisory
transaction lock; SQLite: ``BEGIN IMMEDIATE``, the database's write lock), and the state is
read again after the lock is taken: two commands starting together on a fresh database
create it once, and the second finds it current.

Alembic is imported only when a migration runs: the everyday check is one query here.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.daemon import JOBS_TABLE
from storage.db import SchemaOutdated

if TYPE_CHECKING:
    from alembic.config import Config

    from storage.db import Database

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSIONS = MIGRATIONS / "versions"
# The revision equal to newsmon 0.1.0's schema, and the tables that schema had.
BASELINE = "v0_1_0"
BASELINE_TABLES = frozenset(
    {
        "article",
        "article_url",
        "failed_url",
        "crawl_run",
        "digest",
        "digest_item",
        "http_validator",
        "daemon_lock",
        "article_signature",
        "signature_band",
    }
)
VERSION_TABLE = "alembic_version"
# Tables in a newsmon database that newsmon's models do not own, left out of migrations.
FOREIGN_TABLES = frozenset({JOBS_TABLE})
# pg_advisory_xact_lock key: "newsmon schema" as a number, the same in every process.
_PG_LOCK_KEY = 0x6E6577736D6F6E


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands against this newsmon's migrations."""

    state: str  # empty | unversioned | behind | current | unknown
    current: str | None
    head: str

    def message(self) -> str:
        """One line for the user."""
        if self.state == "current":
            return f"database schema is current (revision {self.head})"
        if self.state == "empty":
            return "database is empty: `newsmon db upgrade` (or any command) creates it"
        if self.state == "unversioned":
            return (
                "database was made by newsmon 0.1.0 and is not upgraded yet: "
                "run `newsmon db upgrade` (back it up first)"
            )
        if self.state == "behind":
            return (
                f"database schema is at revision {self.current}, this newsmon needs {self.head}: "
                "run `newsmon db upgrade` (back it up first)"
            )
        return (
            f"database schema is at revision {self.current}, which this newsmon does not know "
            f"(its newest is {self.head}): a newer newsmon upgraded it; use that version"
        )


# ---------------------------------------------------------------- the revision graph, cheaply


@lru_cache(maxsize=1)
def revision_graph() -> dict[str, tuple[str, ...]]:
    """revision → its down revisions, read from the version files without importing Alembic.

    tests/test_migrations.py checks that this agrees with Alembic's own reading.
    """
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        if path.name.startswith("__"):
            continue
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target: ast.expr
            value: ast.expr | None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and value:
                values[target.id] = ast.literal_eval(value)
        if "revision" not in values:
            continue
        down = values.get("down_revision")
        graph[values["revision"]] = (
            tuple(down) if isinstance(down, (list, tuple)) else ((down,) if down else ())
        )
    return graph


def heads() -> list[str]:
    graph = revision_graph()
    parents = {parent for downs in graph.values() for parent in downs}
    return sorted(set(graph) - parents)


def head() -> str:
    found = heads()
    if len(found) != 1:
        raise RuntimeError(
            f"storage/migrations must have exactly one head, it has {found}: chain the newest "
            "revision's down_revision onto the previous head"
        )
    return found[0]


# ---------------------------------------------------------------- reading the state


def read_status(conn: Connection) -> SchemaStatus:
    tables = set(inspect(conn).get_table_names())
    target = head()
    if VERSION_TABLE in tables:
        current = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        if current == target:
            return SchemaStatus("current", current, target)
        if current is None:
            state = "unversioned" if tables & BASELINE_TABLES else "empty"
            return SchemaStatus(state, None, target)
        return SchemaStatus("behind" if current in revision_graph() else "unknown", current, target)
    if tables & BASELINE_TABLES:
        return SchemaStatus("unversioned", None, target)
    return SchemaStatus("empty", None, target)


def status(db: Database) -> SchemaStatus:
    with db.engine.connect() as conn:
        return read_status(conn)


# ---------------------------------------------------------------- changing it, under the lock


@contextmanager
def _locked(db: Database) -> Iterator[Connection]:
    """A connection in a transaction that holds the schema lock; committed on success."""
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            # Foreign keys off while tables are rebuilt by batch migrations (the pragma is a
            # no-op inside a transaction, so first), checked before committing.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        try:
            yield conn
            if db.dialect == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise SchemaOutdated(f"the migration left rows with broken foreign keys: {broken[:5]}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            if db.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for storage/migrations, on ``connection`` (or ``url``)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(
    db: Database, target: str = "head", *, existing: bool = True
) -> tuple[SchemaStatus, SchemaStatus]:
    """Create or upgrade the schema to ``target``; (status before, status after).

    ``existing=False`` only creates an empty database and leaves any other one as it is
    (what every command does on open); a 0.1.0 database is stamped at the baseline first.
    """
    with _locked(db) as conn:
        before = read_status(conn)
        if before.state == "unknown":
            raise SchemaOutdated(before.message())
        if before.state == "current" and target == "head":
            return before, before
        if before.state != "empty" and not existing:
            return before, before
        from alembic import command  # only now: a daemon that finds its schema current never loads it

        config = alembic_config(conn)
        if before.state == "unversioned":
            missing = BASELINE_TABLES - set(inspect(conn).get_table_names())
            if missing:
                raise SchemaOutdated(
                    f"not a newsmon 0.1.0 database: tables {', '.join(sorted(missing))} are missing"
                )
            logger.info("database made by newsmon 0.1.0: stamping it at revision %s", BASELINE)
            command.stamp(config, BASELINE)
        command.upgrade(config, target)
        after = read_status(conn)
    logger.info("database schema: %s -> %s", before.current or before.state, after.current)
    return before, after


def downgrade(db: Database, target: str) -> SchemaStatus:
    """Undo migrations down to ``target`` ("base" drops every newsmon table)."""
    from alembic import command

    with _locked(db) as conn:
        command.downgrade(alembic_config(conn), target)
        return read_status(conn)


# ---------------------------------------------------------------- hooks for env.py


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave out of autogenerate what newsmon does not own: APScheduler's job table, and any
    table in the database that no model defines (with its indexes)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = getattr(table, "name", name)
    if table_name in FOREIGN_TABLES:
        return False
    from storage.search import PG_INDEX

    if type_ == "index" and name == PG_INDEX:
        return False  # the search index's GIN index (storage.search): made by its migration
    if type_ == "table" and reflected and compare_to is None:
        return False
    return True


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the models' column types as plain SQLAlchemy types in revision files, so a
    revision never depends on a Python class that may change later."""
    if type_ != "type":
        return False
    from sqlmodel.sql.sqltypes import AutoString

    from storage.models.types import UTCDateTime

    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False
