"""Alembic's environment for newsmon: the models' metadata, batch mode for SQLite, and the
connection storage.schema opened (under its lock); or, for the plain `alembic` command,
an engine on `-x url=...`."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)
from storage.schema import include_object, render_item

config = context.config
OPTIONS: dict[str, Any] = dict(
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them; batch mode writes that for us
    compare_type=True,
    include_object=include_object,
    render_item=render_item,
)


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:///path/newsmon.db ...")
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"}, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    engine = create_engine(_url())
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()
