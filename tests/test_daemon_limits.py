"""Crawls that take too long: a hung source is killed at its time limit and recorded while
the other sources go on, and SIGTERM lets a running crawl finish within the grace period,
kills the one that does not, records both, and exits 0. The hung site is a mirror host
whose feed answers only after a long delay."""

from __future__ import annotations

import shutil
import signal

import pytest

from monitor.mirror import MirrorServer, default_root
from tests.helpers.daemon import DaemonProcess, daemon_pids_for, runs_of
from tests.helpers.waiting import wait_until
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

HUNG_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Slow</title><link>https://slow.example/</link>
<item><title>Never seen</title><link>https://slow.example/a-1.html</link></item>
</channel></rss>
"""

SLOW_SOURCE = """
[sources.slow]
spider = "generic"
feeds = ["https://slow.example/feed.xml"]
"""


@pytest.fixture(scope="module")
def slow_mirror(tmp_path_factory) -> MirrorServer:
    root = tmp_path_factory.mktemp("slow-mirror")
    shutil.copytree(default_root() / "hanoimoi.vn", root / "hanoimoi.vn")
    slow = root / "slow.example"
    slow.mkdir()
    (slow / "feed.xml").write_text(HUNG_FEED, encoding="utf-8")
    # Longer than any time limit or grace below, shorter than Scrapy's own download timeout
    # would make worth waiting for.
    (slow / "_mirror.toml").write_text('[[route]]\npath = "/feed.xml"\ndelay = 25\n', encoding="utf-8")
    with MirrorServer(root) as server:
        yield server


def config(mirror_url: str, sources: str, daemon: str) -> str:
    return f"""
mirror = "{mirror_url}"
log_level = "INFO"

[crawl]
default_schedule = "interval:1h"
max_parallel = 2

[digest]
schedules = ["cron:0 7 * * *"]

[daemon]
heartbeat_seconds = 1
{daemon}
{sources}"""


def test_a_hung_crawl_is_killed_at_its_time_limit_while_other_sources_go_on(tmp_path, slow_mirror):
    ws = Workspace(tmp_path)
    ws.write_config(
        config(
            slow_mirror.url,
            "[sources.hanoimoi]\n" + SLOW_SOURCE + "time_limit_minutes = 0.05\n",
            "kill_grace_seconds = 2\nshutdown_grace_seconds = 5",
        )
    )
    daemon = DaemonProcess.run(ws, "daemon")
    try:
        # The crawl closes its own record on SIGTERM first; the daemon then says why it stopped it.
        slow = wait_until(
            lambda: [
                r
                for r in runs_of(ws.db_url, "slow")
                if r.status != "running" and (r.message or "").startswith("killed by the daemon")
            ],
            40,
            "the slow crawl to be killed and recorded by the daemon",
        )
        other = wait_until(
            lambda: [r for r in runs_of(ws.db_url, "hanoimoi") if r.status != "running"],
            40,
            "the hanoimoi crawl",
        )
        rc = daemon.stop(signal.SIGTERM)
        children = daemon_pids_for(ws.config_path)
    finally:
        daemon.kill()
    (run,) = slow
    assert run.status == "killed" and run.finished_at is not None
    assert run.message.startswith("killed by the daemon: exceeded its time limit of 3 s")
    assert (run.finished_at - run.started_at).total_seconds() < 20  # not the 25 s the site would take
    # The other source was not held up by the hung one.
    assert other[0].status == "partial" and other[0].new == 43
    assert children == []  # no crawl process outlived its kill or the daemon
    log = daemon.log()
    assert "WARNING newsmon.daemon: crawl slow: killed" in log and "time limit" in log
    assert "crawl hanoimoi: partial" in log
    assert rc == 0


def test_sigterm_lets_a_crawl_finish_within_the_grace_kills_the_hung_one_and_exits_zero(
    tmp_path, slow_mirror
):
    ws = Workspace(tmp_path)
    ws.write_config(
        config(
            slow_mirror.url,
            "[sources.hanoimoi]\n" + SLOW_SOURCE,
            "kill_grace_seconds = 2\nshutdown_grace_seconds = 20",
        )
    )
    daemon = DaemonProcess.run(ws, "daemon")
    try:
        # Both crawls have opened their records: they are under way. (The grace leaves room for
        # hanoimoi's crawl on a busy machine; the hung one, retrying its 25 s feed with a 15 s
        # timeout, is still running at 20 s.)
        wait_until(
            lambda: runs_of(ws.db_url, "slow") and runs_of(ws.db_url, "hanoimoi"), 90, "both crawls to start"
        )
        rc = daemon.stop(signal.SIGTERM, timeout=70)
        children = daemon_pids_for(ws.config_path)
    finally:
        daemon.kill()
    assert rc == 0
    (finished,) = runs_of(ws.db_url, "hanoimoi")
    assert finished.status == "partial" and finished.new == 43  # allowed to finish
    (killed,) = runs_of(ws.db_url, "slow")
    assert killed.status == "killed" and killed.finished_at is not None
    assert killed.message.startswith("killed by the daemon: the daemon was stopped")
    assert children == []
    log = daemon.log()
    assert (
        "received SIGTERM: stopping" in log
        and "waiting up to 20s for what is running to finish: crawl hanoimoi, crawl slow" in log
    )
    assert "newsmon daemon stopped" in log
