"""`newsmon run --once` (crawl every source, then the digest, then exit) and `newsmon status`,
through the real entry point against the mirror and a loopback SMTP server."""

from __future__ import annotations

import os

import pytest

from monitor.daemon.lock import DatabaseLock
from monitor.smtp_sink import SmtpSink
from storage import Database
from storage.daemon import DaemonLockStore
from tests.helpers.chat import ChatServer
from tests.helpers.daemon import daemon_pids_for, loopback_config, runs_of
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers


@pytest.fixture(scope="module")
def once(tmp_path_factory, mirror):
    ws = Workspace(tmp_path_factory.mktemp("once"))
    with SmtpSink() as sink, ChatServer() as chat:
        # Chat channels ride along: instant-mode (after the crawls) and digest-mode (with the mail).
        channels = (
            f'[[notify]]\nname = "alerts"\nurl = "{chat.url("alerts")}"\nmode = "instant"\nmax_per_hour = 3\n'
            f'[[notify]]\nname = "team"\nurl = "{chat.url("team")}"\n'
        )
        ws.write_config(
            loopback_config(mirror.url, sink.port, "[sources.hanoimoi]\n[sources.kinhtedothi]\n" + channels)
        )
        first = ws.run("run", "--once", "--json", timeout=120)
        after_first = len(sink.messages)
        second = ws.run("run", "--once", "--json", timeout=120)
        status_text = ws.run("status", timeout=60)
        status = ws.run_json("status", "--json", timeout=60)[0]
        yield {
            "ws": ws,
            "sink": sink,
            "first": first,
            "after_first": after_first,
            "second": second,
            "messages": list(sink.messages),
            "chat": {path: chat.messages(path) for path in ("alerts", "team")},
            "status_text": status_text,
            "status": status,
        }


def lines(result) -> list[dict]:
    import json

    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_once_crawls_every_source_then_sends_the_digest(once):
    first = once["first"]
    assert first.returncode == 0, first.stderr
    *crawls, digest = lines(first)
    assert {c["source"]: (c["status"], c["new"]) for c in crawls} == {
        "hanoimoi": ("partial", 43),
        "kinhtedothi": ("ok", 12),
    }
    assert all(c["run_id"] and c["seconds"] > 0 for c in crawls)
    assert digest["digest"]["status"] == "sent" and digest["digest"]["item_count"] > 0
    assert once["after_first"] == 1
    assert once["messages"][0]["Subject"] == digest["digest"]["subject"]
    # Nothing is left behind: no lock, no running crawl record, no crawl process.
    ws = once["ws"]
    assert DaemonLockStore(Database(ws.db_url)).current() is None
    assert all(r.status != "running" for s in ("hanoimoi", "kinhtedothi") for r in runs_of(ws.db_url, s))
    assert daemon_pids_for(ws.config_path) == []


def test_once_sends_new_stories_to_the_chat_channels(once):
    from storage.notifications import NotificationStore

    chat, db = once["chat"], Database(once["ws"].db_url)
    # Instant mode: every new core story recorded once; 3 messages (the cap), the last folding the rest.
    rows = NotificationStore(db).rows("alerts")
    assert rows and all(r.status == "sent" and r.label == "core" for r in rows)
    assert len({r.story_id for r in rows}) == len(rows)
    assert len(chat["alerts"]) == min(3, len(rows))
    assert sum(m["message"].count("• ") for m in chat["alerts"]) == len(rows)
    # Digest mode: one message for the one digest, its subject as the title; none for the empty second run.
    (team,) = chat["team"]
    assert team["title"] == once["messages"][0]["Subject"]


def test_once_again_finds_nothing_new_and_sends_nothing(once):
    second = once["second"]
    *crawls, digest = lines(second)
    assert all(c["new"] == 0 for c in crawls)
    # The exit status follows the crawls: 1 as soon as one of them failed.
    assert second.returncode == (0 if all(c["status"] in ("ok", "partial") for c in crawls) else 1), (
        second.stderr
    )
    assert digest["digest"]["status"] == "empty"
    assert len(once["messages"]) == 1


def test_status_after_once(once):
    status = once["status"]
    assert status["daemon"] is None  # --once released its lock
    names = {s["name"]: s for s in status["sources"]}
    assert set(names) == {"hanoimoi", "kinhtedothi"}
    assert names["kinhtedothi"]["last_run"]["status"] == "ok"
    assert names["hanoimoi"]["next_run"] is None  # no daemon ever scheduled it
    assert status["last_digest"]["status"] == "sent"
    assert status["articles"]["total"] == 55 and status["undelivered_digests"] == 0
    text = once["status_text"].stdout
    assert "daemon: not running" in text
    assert "hanoimoi  schedule interval:30m" in text
    assert "articles: 55 stored" in text


def test_once_is_refused_while_another_newsmon_holds_the_database(workspace: Workspace):
    lock = DatabaseLock(Database(workspace.db_url), heartbeat_seconds=60)
    lock.acquire()  # this test process plays the running daemon
    try:
        result = workspace.run("run", "--once", timeout=60)
        status = workspace.run_json("status", "--json", timeout=60)[0]
    finally:
        lock.release()
    assert result.returncode == 1
    assert "another newsmon is already running on this database" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr
    assert status["daemon"]["running"] is True and status["daemon"]["pid"] == os.getpid()


def test_bad_schedule_is_refused_naming_the_key(workspace: Workspace):
    workspace.write_config('[crawl]\ndefault_schedule = "cron:0 25 * * *"\n[sources.hanoimoi]\n')
    result = workspace.run("run", timeout=60)
    assert result.returncode == 1
    assert "crawl.default_schedule" in result.stderr and "cron:0 25 * * *" in result.stderr


def test_help_documents_the_commands(workspace: Workspace):
    run = workspace.run("run", "--help").stdout
    assert "--once" in run and "SIGTERM" in run and "Exit status" in run
    status = workspace.run("status", "--help").stdout
    assert "--json" in status and "next" in status
    demo = workspace.run("demo", "--help").stdout
    assert "--dir" in demo and "loopback" in demo
