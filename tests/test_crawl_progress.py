"""`newsmon crawl` shows progress per source while it runs: a live table on a terminal
(checked under a real pseudo-terminal), plain lines when not a terminal, nothing with
-q; and with -v each log line is printed once."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

import pytest

from tests.helpers.workspace import Workspace, newsmon_command

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

SOURCE = "hanoitimes"  # a small site of the mirror with no planted faults


def newsmon_under_pty(ws: Workspace, *args: str, timeout: float = 120, **env: str) -> tuple[int, str]:
    """Run the real `newsmon` with its stdin, stdout and stderr on a pseudo-terminal."""
    cmd = newsmon_command(*args)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        cmd,
        cwd=ws.path,
        env=ws.env(TERM="xterm-256color", COLUMNS="100", **env),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"newsmon {' '.join(args)} did not finish in {timeout} s")
    finally:
        os.close(master)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", errors="replace")


def test_live_progress_on_a_terminal(workspace: Workspace, mirror) -> None:
    workspace.write_config(f"[sources.{SOURCE}]\n")
    code, screen = newsmon_under_pty(workspace, "crawl", SOURCE, NEWSMON_MIRROR=mirror.url)
    assert code == 0, screen
    # A table redrawn in place: cursor-up sequences between frames, a row for the source.
    assert "\x1b[1A" in screen, screen[:2000]
    assert all(column in screen for column in ("source", "pages", "seen", "new", "errors"))
    rows = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line) for line in screen.splitlines() if SOURCE in line]
    cells = [[c.strip() for c in re.split(r"[│┃|]", row) if c.strip()] for row in rows]
    finals = [c for c in cells if len(c) >= 6 and c[0] == SOURCE and c[1] == "finished"]
    assert finals, rows
    pages, seen, new, errors = (int(v) for v in finals[-1][2:6])
    assert pages > 0 and seen > 0 and new == seen and errors == 0
    # The summary still comes after the table.
    assert f"{SOURCE}: ok" in screen


def test_plain_lines_when_not_a_terminal_and_none_with_quiet(workspace: Workspace, mirror) -> None:
    workspace.write_config(f"[sources.{SOURCE}]\n")
    plain = workspace.run("crawl", SOURCE, NEWSMON_MIRROR=mirror.url, check=True)
    lines = plain.stderr.splitlines()
    assert lines[0] == f"crawling 1 source(s): {SOURCE}"
    assert re.fullmatch(
        rf"{SOURCE}: finished, pages=[1-9]\d* seen=[1-9]\d* new=[1-9]\d* errors=0 \(\d+\.\d s\)", lines[-1]
    ), lines
    assert "\x1b" not in plain.stderr  # no terminal codes in a pipe or a log
    assert plain.stdout.startswith(f"{SOURCE}: ok")

    quiet = workspace.run("-q", "crawl", SOURCE, NEWSMON_MIRROR=mirror.url, check=True)
    assert quiet.stderr == ""
    assert quiet.stdout.startswith(f"{SOURCE}: ok")


def test_verbose_prints_each_log_line_once(workspace: Workspace, mirror) -> None:
    workspace.write_config(f"[sources.{SOURCE}]\n")
    result = workspace.run("-v", "-q", "crawl", SOURCE, NEWSMON_MIRROR=mirror.url, check=True)
    started = [line for line in result.stderr.splitlines() if "Scrapy" in line and "started" in line]
    assert len(started) == 1, started
    closed = [line for line in result.stderr.splitlines() if "Spider closed (finished)" in line]
    assert len(closed) == 1, closed
    # One format: newsmon's "time LEVEL logger: message".
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO scrapy", started[0])
