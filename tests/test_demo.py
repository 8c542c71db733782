"""`newsmon demo` from a fresh clone: the mirror and a loopback SMTP server started by the
command itself, every built-in source crawled, a digest received and saved as .eml/.html."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, Workspace


def _env(extra_path: Path | None = None, *, poison: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    if poison:
        # A caller's NEWSMON_DB must not leak into the demo.
        env["NEWSMON_DB"] = "/nonexistent/should-not-be-used.db"
    env["PYTHONIOENCODING"] = "utf-8"
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return env


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The committed tree, cloned (what a new user gets), running its own demo."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to clone")
    base = tmp_path_factory.mktemp("fresh")
    clone = base / "newsmon"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    # `pip install -e .` points the installed package at one checkout; the clone's own code
    # comes first on the path, so this runs exactly what was committed.
    result = subprocess.run([sys.executable, "-m", "monitor", "demo"], cwd=clone,
                            env=_env(clone, poison=True), capture_output=True, text=True, timeout=300)
    return clone, result


def test_demo_from_a_fresh_clone_receives_a_digest(demo_run):
    clone, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    folder = clone / "demo"
    assert f"database: {folder / 'newsmon.db'}" in out
    assert (folder / "newsmon.db").is_file()
    eml = Path(re.search(r"digest received: (\S+\.eml)", out).group(1))
    html = Path(re.search(r"as HTML: (\S+\.html)", out).group(1))
    assert eml.parent == folder / "received" and eml.is_file() and html.is_file()
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "analyst@example.org"
    assert "<html" in html.read_text(encoding="utf-8").lower()
    # One line per built-in source, with its counts; hanoimoi's mirror has 43 good articles.
    assert re.search(r"^hanoimoi\s+partial\s+new=43 ", out, re.M)
    assert len(re.findall(r"^\S+\s+(ok|partial)\s+new=\d+", out, re.M)) >= 2
    stored = int(re.search(r"articles stored: (\d+)", out).group(1))
    assert stored >= 43
    # The caller's NEWSMON_DB was ignored, and the demo's config says where everything is.
    assert "should-not-be-used" not in out + result.stderr
    assert (folder / "newsmon.toml").read_text(encoding="utf-8").startswith("# Written by `newsmon demo`")


def test_demo_database_is_usable_afterwards(demo_run):
    clone, result = demo_run
    config = clone / "demo" / "newsmon.toml"
    status = subprocess.run([sys.executable, "-m", "monitor", "-c", str(config), "status"], cwd=clone,
                            env=_env(clone), capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert "last delivered: digest 1 (sent" in status.stdout


def test_demo_refuses_a_folder_it_did_not_make(workspace: Workspace):
    # The workspace holds a user's newsmon.toml: the demo must not clear its database.
    result = workspace.run("demo", "--dir", str(workspace.path))
    assert result.returncode == 1
    assert "did not write" in result.stderr
    assert workspace.config_path.read_text(encoding="utf-8").startswith("database_url")
