"""The daemon's parts on their own: the database lock, crawl children and their kill,
closing the records a killed crawl leaves, and schedules. Real processes and a real
SQLite database; no daemon started here (see test_daemon.py for that)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.config import AppConfig, ConfigError, load_config
from monitor.daemon import zygote
from monitor.daemon.children import ChildProcess
from monitor.daemon.lock import DatabaseLock, LockHeld
from monitor.daemon.proc import pid_alive, rss_kb
from monitor.schedules import _crontab_weekdays, make_trigger
from storage import CrawlRunLog, Database
from storage.daemon import DaemonLockStore, close_stopped_crawl
from storage.models import utcnow
from tests.helpers.waiting import listening_sockets, wait_until


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'n.db'}")


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ----------------------------------------------------------------------------- lock


def test_second_lock_is_refused_with_who_holds_it(db):
    first = DatabaseLock(db, heartbeat_seconds=60)
    first.acquire()
    try:
        second = DatabaseLock(db, heartbeat_seconds=60)
        with pytest.raises(LockHeld) as info:
            second.acquire()
        message = str(info.value)
        assert f"pid {os.getpid()}" in message and "already running" in message
    finally:
        first.release()
    # Released: the next one gets it.
    third = DatabaseLock(db, heartbeat_seconds=60)
    assert third.acquire() is None
    third.release()
    assert DaemonLockStore(db).current() is None


def test_lock_of_a_dead_process_on_this_host_is_taken_over_at_once(db):
    store = DaemonLockStore(db)
    lock = DatabaseLock(db, heartbeat_seconds=60, stale_after=3600)
    gone = dead_pid()
    assert store.try_acquire("old-owner", gone, lock.host, "daemon", lambda h: False) == (True, None)
    previous = lock.acquire()
    try:
        assert previous is not None and previous.owner == "old-owner" and previous.pid == gone
        assert store.current().owner == lock.owner
        # The dead daemon's heartbeat thread, were it alive, would now find the lock gone.
        assert store.heartbeat("old-owner") is False
    finally:
        lock.release()
    # A container restarts its daemon with the same pid: a lock under our own pid that this
    # process never took is a dead namesake's.
    assert store.try_acquire("namesake", os.getpid(), lock.host, "daemon", lambda h: False)[0]
    again = DatabaseLock(db, heartbeat_seconds=60, stale_after=3600)
    assert again.acquire().owner == "namesake"
    again.release()


def test_lock_on_another_host_waits_for_its_heartbeat_to_go_stale(db):
    store = DaemonLockStore(db)
    assert store.try_acquire("remote", 4242, "some-other-host", "daemon", lambda h: False)[0]
    fresh = DatabaseLock(db, heartbeat_seconds=60, stale_after=60)
    with pytest.raises(LockHeld):
        fresh.acquire()
    # Its heartbeat stops: once older than stale_after, the lock is free to take.
    with db.session() as session:
        from storage.models import DaemonLock

        row = session.get(DaemonLock, 1)
        row.heartbeat_at = utcnow() - timedelta(seconds=61)
        session.add(row)
    previous = fresh.acquire()
    assert previous is not None and previous.host == "some-other-host"
    fresh.release()


def test_heartbeat_refreshes_and_notices_a_lost_lock(db):
    lost = []
    lock = DatabaseLock(db, heartbeat_seconds=0.1, on_lost=lambda: lost.append(True))
    lock.acquire()
    first_beat = DaemonLockStore(db).current().heartbeat_at
    row = wait_until(
        lambda: (r := DaemonLockStore(db).current()).heartbeat_at > first_beat and r,
        10,
        "a heartbeat newer than the first",
        interval=0.05,
    )
    assert row.rss_kb and row.rss_kb > 1000
    # Someone takes it over (as a daemon would after deciding we were dead).
    assert DaemonLockStore(db).try_acquire("usurper", 1, "elsewhere", "daemon", lambda h: True)[0]
    wait_until(lambda: lost, 10, "the lock to notice it was taken over", interval=0.05)
    assert lost == [True] and lock.held is False
    lock.release()  # must not delete the usurper's lock
    assert DaemonLockStore(db).current().owner == "usurper"


def test_proc_helpers():
    assert pid_alive(os.getpid()) and not pid_alive(dead_pid())
    assert rss_kb() > 1000


# ----------------------------------------------------------------------------- children

SPAWNS_GRANDCHILD = """
import subprocess, sys, time
grand = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(grand.pid, flush=True)
time.sleep(60)
"""

IGNORES_SIGTERM = """
import signal, sys, time
from monitor.daemon.child import write_result
signal.signal(signal.SIGTERM, signal.SIG_IGN)
write_result('{"status": "never"}')
time.sleep(60)
"""


@pytest.fixture(scope="session")
def warm_zygote() -> zygote.Zygote:
    """The zygote, started (its imports done), so the time limits below time only the children."""
    launcher = zygote.shared()
    warm = ChildProcess(
        "warm", [sys.executable, "-c", "pass"], dict(os.environ), time_limit=300, zygote=launcher
    )
    assert warm.run().forked
    return launcher


@pytest.fixture(params=["exec", "forked"])
def launcher(request) -> zygote.Zygote | None:
    """Every guarantee of a child holds whether it is started afresh or forked from the zygote."""
    return request.getfixturevalue("warm_zygote") if request.param == "forked" else None


def _wait_gone(pid: int, seconds: float = 3) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid) or _is_zombie(pid):
            return True
        time.sleep(0.05)
    return False


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _is_zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return False


def _slow_child(script: str, launcher: zygote.Zygote | None, limit: float = 1.0) -> ChildProcess:
    return ChildProcess(
        "slow",
        [sys.executable, "-c", script],
        dict(os.environ),
        time_limit=limit,
        kill_grace=limit,
        zygote=launcher,
    )


def test_time_limit_kills_the_whole_process_group(launcher):
    child = _slow_child(SPAWNS_GRANDCHILD, launcher)
    t0 = time.monotonic()
    result = child.run()
    took = time.monotonic() - t0
    assert result.stop_reason == "exceeded its time limit of 1 s"
    assert 1.0 <= took < 5
    assert result.returncode is not None and result.returncode < 0  # ended by a signal
    assert result.peak_rss_kb and result.peak_rss_kb > 1000
    assert result.forked == (launcher is not None)


def test_group_kill_reaches_grandchildren(tmp_path, launcher):
    out = tmp_path / "pid"
    script = SPAWNS_GRANDCHILD.replace(
        "print(grand.pid, flush=True)", f"open({str(out)!r}, 'w').write(str(grand.pid))"
    )
    result = _slow_child(script, launcher).run()
    assert result.stop_reason is not None and result.forked == (launcher is not None)
    grand = int(out.read_text())
    assert _wait_gone(grand), "the crawl's own child outlived the kill"


def test_a_child_ignoring_sigterm_is_killed_after_the_grace(launcher):
    child = _slow_child(IGNORES_SIGTERM, launcher, limit=0.5)
    t0 = time.monotonic()
    result = child.run()
    assert result.killed_hard and result.returncode == -9
    assert time.monotonic() - t0 < 4
    assert result.output == '{"status": "never"}'  # what it wrote is still read


def test_stop_from_another_thread_and_result_of_a_normal_exit(launcher):
    import threading

    child = ChildProcess(
        "x",
        [sys.executable, "-c", "import time; time.sleep(30)"],
        dict(os.environ),
        time_limit=60,
        kill_grace=1,
        zygote=launcher,
    )
    threading.Timer(0.5, child.stop, args=("the daemon was stopped",)).start()
    result = child.run()
    assert result.stop_reason == "the daemon was stopped" and result.seconds < 5

    ok = ChildProcess(
        "y",
        [
            sys.executable,
            "-c",
            "import sys; from monitor.daemon.child import write_result; "
            "write_result('{\"status\": \"ok\"}'); print('printed, not read'); print('boom', file=sys.stderr); "
            "sys.exit(5)",
        ],
        dict(os.environ),
        time_limit=30,
        zygote=launcher,
    ).run()
    assert ok.stop_reason is None and ok.returncode == 5 and ok.output is not None
    assert ok.output == '{"status": "ok"}' and ok.stderr_tail == "boom"
    assert ok.forked == (launcher is not None)


# ----------------------------------------------------------------------------- records


def test_close_stopped_crawl_covers_every_way_a_child_ends(db):
    runs = CrawlRunLog(db)
    t0 = utcnow()
    # 1. Killed hard: its record is still 'running', with the counts of its last checkpoint.
    open_id = runs.start("a")
    assert runs.checkpoint(open_id, {"requests": 9, "new": 4, "articles_seen": 4})
    run = close_stopped_crawl(db, "a", t0, "killed", "killed by the daemon: time limit")
    assert (run.id, run.status, run.message) == (open_id, "killed", "killed by the daemon: time limit")
    assert (run.requests, run.new, run.articles_seen) == (9, 4, 4)  # what it reached, not zeros
    assert not runs.checkpoint(open_id, {"new": 99})  # a closed record takes no more checkpoints
    assert runs.get(open_id).finished_at is not None
    # 2. Closed itself on SIGTERM: the reason is prefixed, the counts kept.
    own = runs.start("b")
    runs.finish(own, "killed", {"new": 5}, "crawl stopped before finishing (shutdown)")
    run = close_stopped_crawl(db, "b", t0, "killed", "killed by the daemon: time limit")
    assert run.id == own and run.new == 5
    assert run.message == "killed by the daemon: time limit; crawl stopped before finishing (shutdown)"
    # 3. Died before opening one: a record is made, so the failure is visible.
    run = close_stopped_crawl(db, "c", t0, "failed", "the crawl process exited with code 1: ImportError")
    assert run.status == "failed" and runs.latest("c").id == run.id
    # An earlier, finished run of the same source is never touched.
    assert runs.get(open_id).status == "killed"
    later = utcnow()
    earlier = runs.start("a")
    runs.finish(earlier, "ok", {})
    fresh = close_stopped_crawl(db, "a", later + timedelta(seconds=5), "killed", "x")
    assert fresh.id != earlier and runs.get(earlier).status == "ok"


# ----------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    "field,expected",
    [
        ("*", "*"),
        ("1", "mon"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("*/2", "sun,tue,thu,sat"),
        ("sat,sun", "sun,sat"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("0-6", "*"),
    ],
)
def test_crontab_weekdays_mean_what_cron_means(field, expected):
    assert _crontab_weekdays(field) == expected


def test_weekly_cron_fires_on_the_crontab_weekday_in_the_configured_zone():
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    trigger = make_trigger("cron:0 8 * * 1", tz)
    # Wednesday 2026-11-25 → next Monday 08:00 Hanoi time.
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 25, 12, 0, tzinfo=tz))
    assert (
        fire.weekday() == 0 and (fire.hour, fire.minute) == (8, 0) and fire.utcoffset() == timedelta(hours=7)
    )
    daily = make_trigger("cron:0 7 * * *", tz).get_next_fire_time(
        None, datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc)
    )
    assert daily == datetime(2026, 11, 26, 7, 0, tzinfo=tz)


def test_bad_schedules_name_their_key(tmp_path):
    # Values are checked when the config is read, not only when the daemon starts.
    path = tmp_path / "newsmon.toml"
    path.write_text('[crawl]\ndefault_schedule = "cron:61 * * * *"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"crawl\.default_schedule.*61"):
        load_config(path, env={})
    path.write_text('[digest]\nschedules = ["cron:0 7 * * *", "cron:0 8 1 * 1"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digest\.schedules.*not both"):
        load_config(path, env={})


PARENT_RUNNING_A_CHILD = """
import os, sys, threading, time
from monitor.daemon import zygote
from monitor.daemon.children import ChildProcess, child_command
launcher = zygote.shared() if sys.argv[2] == "forked" else None
child = ChildProcess("web", child_command(sys.argv[1], "web"), dict(os.environ), time_limit=60, zygote=launcher)
def report():
    while child.pid is None:
        time.sleep(0.02)
    print(child.pid, flush=True)
threading.Thread(target=report, daemon=True).start()
child.run()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
@pytest.mark.parametrize("how", ["exec", "forked"])
def test_children_die_with_a_daemon_killed_outright(tmp_path, how):
    # A daemon killed with SIGKILL cannot stop its children; the kernel must, or the next
    # daemon would crawl the same source beside an orphan. A forked child's parent is the
    # zygote, which exits when the daemon dies; the child dies with it.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "newsmon.toml"
    config.write_text(f'database_url = "{tmp_path / "n.db"}"\n[web]\nport = {port}\n', encoding="utf-8")
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_RUNNING_A_CHILD, str(config), how], stdout=subprocess.PIPE, text=True
    )
    try:
        pid = int(parent.stdout.readline())
        # The wrapper asks for the parent-death signal before it starts the mirror: once the
        # mirror listens, the request is in place.
        wait_until(lambda: listening_sockets(pid), 60, "the child's mirror to listen")
        assert pid_alive(pid) and not _is_zombie(pid)
        # ps shows the child's own command (with its config), forked or not.
        assert str(config) in Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        server = _parent_of(pid)
        assert (server != parent.pid) == (how == "forked")
        parent.kill()
        parent.wait(timeout=10)
        assert _wait_gone(pid, 10), "the child outlived its killed parent"
        assert _wait_gone(server, 10), "the zygote outlived the daemon"
    finally:
        parent.kill()


# ----------------------------------------------------------------------------- both databases


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, tmp_path):
    if request.param == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'n.db'}")
    server = request.getfixturevalue("postgres")
    return Database(server.create_database(f"daemon_{os.getpid()}_{time.monotonic_ns() % 10**9}"))


def _sync(config: AppConfig, db: Database) -> dict[str, str]:
    from scheduler import Daemon

    return _sync_with(Daemon(config, db=db), db)


def test_jobs_are_kept_replaced_or_removed_by_id(any_db):
    from storage.daemon import scheduled_runs

    base = {
        "database_url": any_db.url,
        "sources": {
            "hanoimoi": {},
            "tass": {
                "schedule": "cron:*/20 6-22 * * *",
                "spider": "generic",
                "feeds": ["https://tass.ru/rss/v2.xml"],
            },
        },
        "digest": {"schedules": ["cron:0 7 * * *", "cron:0 8 * * 1"]},
    }
    config = AppConfig.model_validate(base)
    assert set(_sync(config, any_db).values()) == {"added"}
    first = scheduled_runs(any_db)
    assert set(first) == {"crawl:hanoimoi", "crawl:tass", "digest:cron:0 7 * * *", "digest:cron:0 8 * * 1"}
    # Started again with the same config: every job kept with its stored next run time.
    assert set(_sync(config, any_db).values()) == {"kept"}
    assert scheduled_runs(any_db) == first
    # The weekly digest is on Mondays (crontab's 1), in Hanoi time.
    weekly = first["digest:cron:0 8 * * 1"].astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert weekly.weekday() == 0 and weekly.hour == 8
    # A changed schedule replaces its job; a source no longer configured loses its job.
    changed = dict(base, sources={"hanoimoi": {"schedule": "interval:2h"}})
    actions = _sync(AppConfig.model_validate(changed), any_db)
    assert actions == {
        "crawl:hanoimoi": "replaced",
        "crawl:tass": "removed",
        "digest:cron:0 7 * * *": "kept",
        "digest:cron:0 8 * * 1": "kept",
    }
    assert set(scheduled_runs(any_db)) == {"crawl:hanoimoi", "digest:cron:0 7 * * *", "digest:cron:0 8 * * 1"}


def test_stored_jobs_name_the_daemon_that_runs_them(db, caplog):
    """No module global holds "the" daemon: each stored job names the daemon that runs it,
    rewritten at every start (its next run time kept), and a job naming no running daemon
    is skipped with a warning."""
    import logging

    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    import scheduler

    config = AppConfig.model_validate({"database_url": db.url, "sources": {"hanoimoi": {}}})
    first, second = scheduler.Daemon(config, db=db), scheduler.Daemon(config, db=db)
    assert first.id != second.id
    assert set(_sync_with(first, db).values()) == {"added"}
    assert set(_sync_with(second, db).values()) == {"kept"}
    store = SQLAlchemyJobStore(engine=db.engine)
    store.start(None, "default")
    try:
        stored = {job.id: tuple(job.args) for job in store.get_all_jobs()}
    finally:
        store.shutdown()
    assert stored == {
        "crawl:hanoimoi": (second.id, "hanoimoi"),
        "digest:cron:0 7 * * *": (second.id, "cron:0 7 * * *"),
    }
    with caplog.at_level(logging.WARNING, logger="newsmon.daemon"):
        scheduler.crawl_job(second.id, "hanoimoi")  # second is not running
    assert f"crawl of hanoimoi fired with no daemon {second.id} running; skipped" in caplog.text
    assert CrawlRunLog(db).latest_per_source() == {}


def _sync_with(daemon, db: Database) -> dict[str, str]:
    sched = daemon._scheduler()
    sched.start(paused=True)
    try:
        return daemon.sync_jobs(sched)
    finally:
        sched.shutdown(wait=False)


def test_lock_on_either_database(any_db):
    lock = DatabaseLock(any_db, heartbeat_seconds=60)
    lock.acquire()
    with pytest.raises(LockHeld):
        DatabaseLock(any_db, heartbeat_seconds=60).acquire()
    lock.release()
    store = DaemonLockStore(any_db)
    assert store.try_acquire("dead", dead_pid(), lock.host, "daemon", lambda h: False)[0]
    taker = DatabaseLock(any_db, heartbeat_seconds=60)
    assert taker.acquire().owner == "dead"
    taker.release()
