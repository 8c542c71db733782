"""What every command shares: the configuration and the database, opened on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from monitor.config import DEFAULT_CONFIG_NAME, AppConfig, ConfigError, load_config
from storage import Database, DatabaseError


@dataclass
class AppContext:
    config_path: str | None = None
    verbose: int = 0
    quiet: bool = False
    _config: AppConfig | None = field(default=None, repr=False)

    @property
    def config(self) -> AppConfig:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._config

    def config_origin(self) -> str:
        """Which config is in use, for a person: its path, or why the built-in defaults."""
        if self.config.config_path:
            return self.config.config_path
        return f"built-in defaults (no --config, no NEWSMON_CONFIG, no ./{DEFAULT_CONFIG_NAME})"

    def _sqlite_file(self) -> Path | None:
        """The database's file when it is SQLite on disk, else None."""
        url = make_url(self.config.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).expanduser().resolve()
        return None

    def database_label(self) -> str:
        """The database in use, for a person: a SQLite file as its absolute path, else the URL
        without its password."""
        path = self._sqlite_file()
        return str(path) if path else make_url(self.config.database_url).render_as_string(hide_password=True)

    @cached_property
    def read_db(self) -> Database | None:
        """The database for a command that only reads: never created, never given tables;
        None when there is none yet (no SQLite file, or a database without newsmon's tables)."""
        from sqlalchemy import inspect
        from sqlalchemy.exc import SQLAlchemyError

        path = self._sqlite_file()
        if path is not None and not path.exists():
            return None
        try:
            db = Database(self.config.database_url, create=False)
            return db if inspect(db.engine).has_table("article") else None
        except DatabaseError as exc:
            raise click.ClickException(str(exc)) from None
        except SQLAlchemyError as exc:
            raise click.ClickException(
                f"cannot open {self.database_label()}: {exc.__cause__ or exc}"
            ) from None

    def no_database_note(self) -> str:
        return (
            f"no newsmon database yet at {self.database_label()} (config: {self.config_origin()}); "
            "nothing has been crawled: run `newsmon crawl` or `newsmon run`"
        )

    @cached_property
    def db(self) -> Database:
        """The database, created if empty; a clear error when its schema is outdated."""
        return self.open_db()

    def open_db(self, *, check: bool = True) -> Database:
        """The database; ``check=False`` opens it whatever its schema (for `newsmon db` and
        `newsmon run`, which upgrades it under the daemon lock)."""
        try:
            return Database(self.config.database_url, schema="current" if check else "any")
        except DatabaseError as exc:
            raise click.ClickException(str(exc)) from None


pass_app = click.make_pass_decorator(AppContext)
