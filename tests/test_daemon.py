"""`newsmon run` as a real separate process, on schedules of seconds, against the offline
mirror and a loopback SMTP server: crawls recorded, one digest received, a second
daemon refused, SIGTERM a clean exit, and a restart that catches up missed runs once
without sending a digest twice."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from monitor.smtp_sink import SmtpSink
from storage import Database
from storage.daemon import DaemonLockStore, scheduled_runs
from storage.models import CrawlRun, utcnow
from tests.helpers.daemon import DaemonProcess, loopback_config, runs_of
from tests.helpers.waiting import wait_until
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

# ----------------------------------------------------------------------------- the lifecycle scenario


@dataclass
class Lifecycle:
    ws: Workspace
    sink: SmtpSink
    first_log: str = ""
    first_rc: int | None = None
    first_pid: int = 0
    first_runs: list[CrawlRun] = field(default_factory=list)
    digests_while_running: int = 0
    second: subprocess.CompletedProcess | None = None
    status: dict | None = None
    after_sigterm: dict[str, Any] = field(default_factory=dict)
    restart_log: str = ""
    restart_runs: list[CrawlRun] = field(default_factory=list)
    restart_seconds: float = 0
    digests_after_restart: int = 0
    third_log: str = ""
    third_rc: int | None = None
    third_status: dict | None = None
    jobs_before_third: dict = field(default_factory=dict)
    runs_before_third: int = 0
    runs_after_third: int = 0
    jobs: dict = field(default_factory=dict)


DIGEST_EVERY = 3  # seconds
NOTHING_NEW = "digest (interval:3s): nothing new to send"


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory, mirror) -> Lifecycle:
    ws = Workspace(tmp_path_factory.mktemp("daemon"))
    with SmtpSink() as sink:
        ws.write_config(
            loopback_config(
                mirror.url,
                sink.port,
                """
[crawl]
default_schedule = "interval:1h"

[sources.hanoimoi]

[daemon]
heartbeat_seconds = 1
shutdown_grace_seconds = 20
kill_grace_seconds = 2
""",
            ).replace("[digest]\n", f'[digest]\nschedules = ["interval:{DIGEST_EVERY}s"]\n')
        )
        life = Lifecycle(ws, sink)

        # 1. First start: the interval crawl runs at once, the digest a few seconds later.
        daemon = DaemonProcess.run(ws, "first")
        try:
            life.first_pid = daemon.pid
            wait_until(lambda: sink.messages, 180, "the first digest")
            wait_until(
                lambda: all(r.status != "running" for r in runs_of(ws.db_url, "hanoimoi")),
                30,
                "the crawl record to close",
            )
            # A second daemon on the same database, while the first runs.
            life.second = ws.run("run", timeout=60)
            life.status = ws.run_json("status", "--json", timeout=60)[0]
            # Two more digest runs find nothing new, so nothing more is sent.
            ran = daemon.log().count(NOTHING_NEW)
            daemon.wait_for_log_count(NOTHING_NEW, ran + 2, 10 * DIGEST_EVERY)
            life.digests_while_running = len(sink.messages)
            life.first_rc = daemon.stop(signal.SIGTERM)
            life.first_log = daemon.log()
        finally:
            daemon.kill()
        life.first_runs = runs_of(ws.db_url, "hanoimoi")
        db = Database(ws.db_url)
        life.after_sigterm = {"lock": DaemonLockStore(db).current(), "jobs": scheduled_runs(db)}

        # 2. Pretend the daemon was down for three hours: what a long outage leaves in the job
        # store is next run times in the past (3 missed hourly crawls, 3600 missed digests).
        _move_next_runs(ws.db_url, timedelta(hours=-3))
        before = {r.id for r in runs_of(ws.db_url, "hanoimoi")}
        daemon = DaemonProcess.run(ws, "restart")
        t0 = time.monotonic()
        try:
            wait_until(
                lambda: [
                    r for r in runs_of(ws.db_url, "hanoimoi") if r.id not in before and r.status != "running"
                ],
                60,
                "the catch-up crawl",
            )
            daemon.wait_for_log("digest (interval:3s):", 60)
            # Two more digest runs after the first: a replayed burst would show in their count,
            # and a digest sent again would have reached the sink by then.
            daemon.wait_for_log_count(
                "digest (interval:3s):", daemon.log().count("digest (interval:3s):") + 2, 60
            )
            life.restart_seconds = time.monotonic() - t0
            life.restart_log = daemon.log()
            life.digests_after_restart = len(sink.messages)
            # 3. Killed outright: its lock stays behind in the database.
            daemon.stop(signal.SIGKILL)
        finally:
            daemon.kill()
        life.restart_runs = [r for r in runs_of(ws.db_url, "hanoimoi") if r.id not in before]

        # 4. The next start is not blocked by the dead daemon's lock.
        life.jobs_before_third = scheduled_runs(Database(ws.db_url))
        life.runs_before_third = len(runs_of(ws.db_url, "hanoimoi"))
        daemon = DaemonProcess.run(ws, "third")
        try:
            daemon.wait_for_log("newsmon daemon started", 30)
            life.third_status = ws.run_json("status", "--json", timeout=60)[0]
            life.third_rc = daemon.stop(signal.SIGINT)
            life.third_log = daemon.log()
        finally:
            daemon.kill()
        life.jobs = scheduled_runs(Database(ws.db_url))
        life.runs_after_third = len(runs_of(ws.db_url, "hanoimoi"))
    return life


def _move_next_runs(db_url: str, delta: timedelta) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(url=db_url)
    store.start(None, "default")
    try:
        for job in store.get_all_jobs():
            job.next_run_time = utcnow() + delta
            store.update_job(job)
    finally:
        store.shutdown()


def test_crawl_is_recorded_and_one_digest_is_received(lifecycle):
    runs = lifecycle.first_runs
    assert len(runs) == 1, [r.summary() for r in runs]
    run = runs[0]
    assert run.status == "partial" and run.new == 43 and run.finished_at is not None
    assert lifecycle.digests_while_running == 1
    message = lifecycle.sink.messages[0]
    assert message["To"] == "analyst@example.org"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Kaluga" in html  # a core article from that crawl
    log = lifecycle.first_log
    assert "crawl hanoimoi: partial run=1 requests=" in log and " new=43 " in log
    assert "digest (interval:3s): sent" in log


def test_second_daemon_on_the_same_database_is_refused(lifecycle):
    second = lifecycle.second
    assert second.returncode == 1
    assert "another newsmon is already running on this database" in second.stderr
    assert f"pid {lifecycle.first_pid}" in second.stderr
    # The first one was not disturbed: it went on to a clean stop.
    assert lifecycle.first_rc == 0


def test_status_while_the_daemon_runs(lifecycle):
    status = lifecycle.status
    assert status["daemon"]["running"] is True and status["daemon"]["pid"] == lifecycle.first_pid
    assert status["daemon"]["rss_kb"] > 10_000
    (source,) = status["sources"]
    assert source["name"] == "hanoimoi" and source["last_run"]["status"] == "partial"
    assert source["last_run"]["new"] == 43
    assert source["next_run"] is not None and source["next_run"].endswith("+07:00")
    assert status["digests"][0]["schedule"] == "interval:3s" and status["digests"][0]["next_run"]
    assert status["last_digest"]["status"] == "sent"
    assert status["articles"]["total"] == 43 and status["articles_waiting_for_digest"] == 0


def test_sigterm_exits_zero_and_leaves_nothing_half_written(lifecycle):
    assert lifecycle.first_rc == 0
    assert "received SIGTERM: stopping" in lifecycle.first_log
    assert "newsmon daemon stopped" in lifecycle.first_log
    assert all(r.status != "running" and r.finished_at for r in lifecycle.first_runs)
    assert lifecycle.after_sigterm["lock"] is None  # released
    assert set(lifecycle.after_sigterm["jobs"]) == {"crawl:hanoimoi", "digest:interval:3s"}


def test_restart_catches_up_missed_runs_once(lifecycle):
    # Three hourly crawls were missed: exactly one catch-up crawl, not three.
    assert len(lifecycle.restart_runs) == 1, [r.summary() for r in lifecycle.restart_runs]
    assert lifecycle.restart_runs[0].new == 0  # everything was stored by the first run
    assert "job crawl:hanoimoi (kept)" in lifecycle.restart_log
    # 3600 missed digest periods were coalesced too: a handful of digest runs at most.
    digest_runs = lifecycle.restart_log.count("digest (interval:3s):")
    assert 1 <= digest_runs <= lifecycle.restart_seconds / DIGEST_EVERY + 2


def test_restart_sends_no_digest_twice(lifecycle):
    assert lifecycle.digests_after_restart == 1
    assert "digest (interval:3s): nothing new to send" in lifecycle.restart_log


def test_a_killed_daemons_lock_does_not_block_the_next_start(lifecycle):
    assert "took over the lock of a daemon that is gone" in lifecycle.third_log
    assert lifecycle.third_status["daemon"]["running"] is True
    assert lifecycle.third_rc == 0 and "received SIGINT" in lifecycle.third_log


def test_restarts_keep_unchanged_jobs_and_do_not_multiply_them(lifecycle):
    assert set(lifecycle.jobs) == {"crawl:hanoimoi", "digest:interval:3s"}
    # The hourly crawl was not due at the third start: its stored next run was kept, so it
    # did not run (a job re-added at every start would have run at once, and lost missed runs).
    assert "job crawl:hanoimoi (kept)" in lifecycle.third_log
    assert lifecycle.jobs["crawl:hanoimoi"] == lifecycle.jobs_before_third["crawl:hanoimoi"]
    assert lifecycle.jobs["crawl:hanoimoi"] > utcnow() + timedelta(minutes=50)
    assert lifecycle.runs_after_third == lifecycle.runs_before_third
