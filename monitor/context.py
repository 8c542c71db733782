"""What every command shares: the configuration and the database, opened on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import click

from settings import AppConfig, ConfigError, load_config
from storage import Database, DatabaseError


@dataclass
class AppContext:
    config_path: str | None = None
    verbose: int = 0
    _config: AppConfig | None = field(default=None, repr=False)

    @property
    def config(self) -> AppConfig:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._config

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
