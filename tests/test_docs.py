"""The documents say what the code does: the README names every command and walks through
the real run; the example config and deploy/README.md agree with the code about a crawl
over its time limit (tests/test_daemon_limits.py shows the code records it as killed)."""

from __future__ import annotations

import re
from pathlib import Path

from storage.models.runs import RUN_STATUSES
from tests.helpers.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent


def _commands(workspace: Workspace) -> list[str]:
    """The commands `newsmon --help` lists."""
    out = workspace.run("--help", check=True).stdout
    listed = out.split("Commands:", 1)[1]
    return [m.group(1) for m in re.finditer(r"^\s{2}([a-z][a-z-]*)\s", listed, re.M)]


def test_readme_documents_every_command(workspace: Workspace) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = _commands(workspace)
    assert "export" in commands and "status" in commands
    for command in commands:
        assert f"`newsmon {command}" in readme, command


def test_readme_walks_through_the_real_run() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    real_run = readme.split("## From install to a first real digest", 1)[1].split("\n## ", 1)[0]
    steps = [
        "cp newsmon.example.toml newsmon.toml",
        "newsmon digest --test",
        "newsmon crawl",
        "newsmon digest\n",
        "newsmon run",
        "deploy/README.md",
        "smtp.gmail.com",
        "smtp.office365.com",
        "app password",
        "NEWSMON_SMTP_PASSWORD",
        "../shared",
        "skip",
        "newsmon articles --json",
        "newsmon export --format csv|jsonl",
        "datasette",
        "sqlite-utils",
        "newsmon prune --older-than 365d",
    ]
    for step in steps:
        assert step in real_run, step
    order = [
        real_run.index(s)
        for s in ("newsmon digest --test", "newsmon crawl", "newsmon digest\n", "newsmon run")
    ]
    assert order == sorted(order)


def test_time_limit_docs_agree_with_the_recorded_status() -> None:
    assert "killed" in RUN_STATUSES
    example = (REPO / "newsmon.example.toml").read_text(encoding="utf-8")
    (line,) = [ln for ln in example.splitlines() if ln.startswith("time_limit_minutes")]
    assert "killed" in line and "failed" not in line
    deploy = (REPO / "deploy" / "README.md").read_text(encoding="utf-8")
    paragraph = deploy[deploy.index("**Each crawl runs in its own process**") :].split("\n- ", 1)[0]
    assert "time_limit_minutes" in paragraph and "recorded as `killed`" in paragraph
    assert "failed" not in paragraph
