"""Crawls cut short (issue 10, item 12): a `newsmon crawl` killed with SIGKILL leaves the counts
it reached and is closed as `killed` by the next command that looks; a daemon killed outright
re-runs the crawl it cut short as soon as it is back, not at the next interval."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage import CrawlRunLog, Database
from tests.helpers.daemon import DaemonProcess, runs_of
from tests.helpers.waiting import wait_until
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

SITE = "kinhtedothi.vn"


def _stagger_articles(root: Path) -> None:
    """Article pages answer one after another, 15 s apart (the first after 1 s): a crawl
    stores one article, then waits."""
    pages = sorted(p.name for p in (root / SITE).glob("*-5*.html"))
    routes = "".join(f'[[route]]\npath = "/{name}"\ndelay = {1 + 15 * n}\n\n' for n, name in enumerate(pages))
    toml = root / SITE / "_mirror.toml"
    toml.write_text(
        (toml.read_text(encoding="utf-8") if toml.exists() else "") + "\n" + routes, encoding="utf-8"
    )


def _start_crawl(ws: Workspace) -> subprocess.Popen:
    exe = [sys.executable, "-m", "monitor"]
    return subprocess.Popen(
        [*exe, "crawl", "kinhtedothi"],
        cwd=ws.path,
        env=ws.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_a_crawl_killed_outright_keeps_its_counts_and_is_closed_by_the_next_look(tmp_path, mirror_copy):
    _stagger_articles(mirror_copy.state.root)
    ws = Workspace(tmp_path)
    ws.write_config(f'mirror = "{mirror_copy.url}"\n[sources.kinhtedothi]\n')
    crawl = _start_crawl(ws)
    try:
        # The record shows progress while the crawl runs (a checkpoint, not the final write).
        wait_until(
            lambda: any(r.status == "running" and r.new >= 1 for r in runs_of(ws.db_url, "kinhtedothi")),
            150,
            "a checkpoint with a stored article",
        )
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.wait(30)
    finally:
        if crawl.poll() is None:
            os.killpg(crawl.pid, signal.SIGKILL)
    (run,) = runs_of(ws.db_url, "kinhtedothi")
    assert run.status == "running"  # nobody has looked yet
    status = ws.run_json("status", "--json", check=True)[0]
    (source,) = [s for s in status["sources"] if s["name"] == "kinhtedothi"]
    last = source["last_run"]
    assert last["status"] == "killed" and last["new"] >= 1 and last["requests"] >= 2
    assert "pid " in last["message"] and "ended without finishing the crawl" in last["message"]
    assert CrawlRunLog(Database(ws.db_url)).get(run.id).status == "killed"


def test_a_crawl_cut_short_by_a_killed_daemon_runs_again_at_restart(tmp_path, mirror_copy):
    _stagger_articles(mirror_copy.state.root)
    ws = Workspace(tmp_path)
    ws.write_config(f"""mirror = "{mirror_copy.url}"
log_level = "INFO"
[crawl]
default_schedule = "interval:6h"
[digest]
schedules = ["cron:0 7 * * *"]
[daemon]
heartbeat_seconds = 1
shutdown_grace_seconds = 1
kill_grace_seconds = 1
[sources.kinhtedothi]
""")
    daemon = DaemonProcess.run(ws, "first")
    try:
        wait_until(
            lambda: any(r.status == "running" and r.new >= 1 for r in runs_of(ws.db_url, "kinhtedothi")),
            150,
            "the first crawl to be under way",
        )
        daemon.stop(signal.SIGKILL)
    finally:
        daemon.kill()
    first = runs_of(ws.db_url, "kinhtedothi")
    assert len(first) == 1
    daemon = DaemonProcess.run(ws, "restart")
    try:
        log = daemon.wait_for_log(
            "crawl kinhtedothi was cut short when the daemon stopped: running it again now", 90
        )
        wait_until(lambda: len(runs_of(ws.db_url, "kinhtedothi")) == 2, 90, "the crawl to run again")
        daemon.stop(signal.SIGTERM)
        log = daemon.log()
    finally:
        daemon.kill()
    runs = runs_of(ws.db_url, "kinhtedothi")
    assert runs[0].status == "killed" and runs[0].new >= 1  # its counts were kept
    # Closed by the restarted daemon (left running), or by the crawl itself when the daemon's death
    # reached it as SIGTERM (it then records the counts it reached).
    assert runs[0].status == "killed" and (
        "the daemon stopped while this crawl was running" in runs[0].message
        or "crawl stopped before finishing (shutdown)" in runs[0].message
    )
    assert len(runs) == 2 and runs[1].started_at > runs[0].started_at
    # Once: the interval job's next run is 6 h away again.
    assert log.count("running it again now") == 1
