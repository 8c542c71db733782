"""Shared fixtures: the offline mirror on a real loopback server, a scratch config and
database, and running the real `newsmon` entry point in a child process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.mirror import MirrorServer, default_root

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


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


class Workspace:
    """A scratch folder with a config file and a database, and a way to run `newsmon` in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / "newsmon.db"
        self.config_path = path / "newsmon.toml"
        self.extra_env: dict[str, str] = {}
        self.write_config("")

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def write_config(self, text: str) -> Path:
        self.config_path.write_text(f'database_url = "{self.db_path}"\n' + text, encoding="utf-8")
        return self.config_path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
        env.update(NEWSMON_CONFIG=str(self.config_path), PYTHONIOENCODING="utf-8")
        env.update(self.extra_env)
        env.update(extra)
        return env

    def run(
        self, *args: str, input: str | None = None, timeout: float = 180, check: bool = False, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run the real `newsmon` console entry point (falls back to `python -m monitor`)."""
        exe = shutil.which("newsmon")
        cmd = [exe, *args] if exe else [sys.executable, "-m", "monitor", *args]
        result = subprocess.run(
            cmd,
            cwd=self.path,
            env=self.env(**env),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"newsmon {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def run_json(self, *args: str, **kwargs) -> list[dict]:
        result = self.run(*args, **kwargs)
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = tmp_path / "ws"
    ws.mkdir()
    return Workspace(ws)


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
    """A real PostgreSQL server on loopback, started by the tests (CI installs the server)."""
    from tests.pgserver import PostgresServer

    try:
        server = PostgresServer().start()
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed in CI: {exc}")
        pytest.skip(f"no PostgreSQL server here: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh empty database of each kind newsmon supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/newsmon.db"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"t_{abs(hash(request.node.nodeid)) % 10**12}")


MIRROR_SRC = REPO / "tests" / "mirror" / "src"


def fixture_articles(site: str) -> dict[int, dict]:
    """Ground truth of one mirror site: its source articles (tests/mirror/src/SITE/articles/*.toml) by id."""
    import tomllib

    articles: dict[int, dict] = {}
    for path in sorted((MIRROR_SRC / site / "articles").glob("*.toml")):
        for article in tomllib.loads(path.read_text("utf-8"))["article"]:
            articles[article["id"]] = article
    return articles


def crawl_one_source(
    mirror: MirrorServer, folder: Path, source: str, host: str
) -> tuple[dict, dict[str, dict], list[str]]:
    """Crawl SOURCE from the mirror in a fresh workspace: (crawl summary, stored articles by URL,
    paths of HOST the crawl requested)."""
    ws = Workspace(folder)
    ws.write_config(f"[sources.{source}]\n")
    before = len(mirror.hits)
    summaries = ws.run_json("crawl", source, "--json", NEWSMON_MIRROR=mirror.url)
    paths = [h.path for h in mirror.hits[before:] if h.host == host]
    stored = ws.run_json("articles", "--source", source, "--json")
    assert len(summaries) == 1, summaries
    return summaries[0], {a["url"]: a for a in stored}, paths
