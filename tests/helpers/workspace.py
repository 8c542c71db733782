"""A scratch folder with a config file and a database, and running the real `newsmon` entry point
in it; the mirror's ground truth; crawling one mirror source into a fresh workspace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from monitor.mirror import MirrorServer

REPO = Path(__file__).resolve().parent.parent.parent
SHARED = REPO.parent / "shared"


def newsmon_command(*args: str) -> list[str]:
    """The real `newsmon` console script of the interpreter running the tests (then PATH's), with ARGS;
    `python -m monitor` where none is installed."""
    beside = Path(sys.executable).parent / "newsmon"
    exe = str(beside) if beside.exists() else shutil.which("newsmon")
    return [exe, *args] if exe else [sys.executable, "-m", "monitor", *args]


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
        result = subprocess.run(
            newsmon_command(*args),
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


MIRROR_SRC = REPO / "tests" / "mirror" / "src"


def fixture_articles(site: str) -> dict[int, dict]:
    """Ground truth of one mirror site: its source articles (tests/mirror/src/SITE/articles/*.toml) by id."""
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
