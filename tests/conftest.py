"""Shared fixtures: the offline mirror on a real loopback server, a scratch workspace, the shipped
relevance model, ../shared/eval and a real PostgreSQL. Helpers that test modules import live in
tests/helpers; no test module imports another."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.mirror import MirrorServer, default_root
from monitor.relevance import RelevanceModel
from tests.helpers.workspace import SHARED, Workspace


@pytest.fixture(scope="session")
def mirror() -> Iterator[MirrorServer]:
    """The committed mirror, served for the whole session (read-only: copy it to edit)."""
    with MirrorServer(default_root()) as server:
        yield server


@pytest.fixture
def mirror_copy(tmp_path: Path) -> Iterator[MirrorServer]:
    """A private copy of the mirror that a test may edit while it is served."""
    root = tmp_path / "mirror"
    shutil.copytree(default_root(), root)
    with MirrorServer(root) as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = tmp_path / "ws"
    ws.mkdir()
    return Workspace(ws)


@pytest.fixture(scope="session")
def model() -> RelevanceModel:
    """The shipped relevance model, loaded once for the session."""
    return RelevanceModel.load()


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """../shared/eval (other people's texts: read at test time, never copied into the repo)."""
    path = SHARED / "eval"
    if not (path / "dev_articles.jsonl").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{path} not found (the project expects ../shared beside the checkout)")
    return path


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on loopback, started by the tests (CI installs the server and
    psycopg). Elsewhere the tests that need it skip, saying which part is missing."""
    from tests.pgserver import PostgresServer

    missing = None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing = "psycopg is not installed (pip install -e '.[postgres]')"
    if missing is None:
        try:
            server = PostgresServer().start()
        except (FileNotFoundError, subprocess.CalledProcessError, RuntimeError) as exc:
            missing = f"no PostgreSQL server here: {exc}"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed in CI: {missing}")
        pytest.skip(missing)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh empty database of each kind newsmon supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/newsmon.db"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"t_{abs(hash(request.node.nodeid)) % 10**12}")
