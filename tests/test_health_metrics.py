"""Health for monitoring: `newsmon run` with `[metrics] listen` serves Prometheus metrics that
agree with the stored rows and a /healthz that goes red (as does `newsmon status --check`)
for a source that has not succeeded within its stale_after."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.smtp_sink import SmtpSink
from storage import Database, stats
from tests.helpers.daemon import loopback_config
from tests.helpers.waiting import free_port, wait_until
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_agree_with_the_database_and_health_goes_red_for_a_stale_source(
    workspace: Workspace, mirror
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    before = workspace.run("status", "--check")
    assert before.returncode == 1 and "daemon: not running" in before.stdout
    with SmtpSink() as sink:
        workspace.write_config(
            loopback_config(
                mirror.url,
                sink.port,
                f"""
[metrics]
listen = "127.0.0.1:{port}"
[sources.hanoimoi]
schedule = "interval:6h"
[sources.deadsite]
spider = "generic"
feeds = ["https://dead.invalid/feed.xml"]
schedule = "interval:6h"
stale_after = "1s"
""",
            )
        )
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            cwd=workspace.path,
            env=workspace.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            db = Database(workspace.db_url)

            def both_crawled() -> bool:
                runs = stats.crawls_by_source_status(db)
                done = {source for (source, status) in runs if status != "running"}
                return {"hanoimoi", "deadsite"} <= done

            wait_until(both_crawled, 180, "both sources' first crawls")
            status, body = get(base + "/metrics")
            assert status == 200
            metrics = samples(body.decode())
            assert metrics[("newsmon_up", ())] == 1
            for (source, state), n in stats.crawls_by_source_status(db).items():
                assert metrics[("newsmon_crawls_total", (("source", source), ("status", state)))] == n
            stored = stats.articles_by_source_label(db)
            assert stored and all(
                metrics[("newsmon_articles_stored", (("label", label), ("source", source)))] == n
                for (source, label), n in stored.items()
            )
            assert metrics[("newsmon_source_stale", (("source", "deadsite"),))] == 1
            assert metrics[("newsmon_source_stale", (("source", "hanoimoi"),))] == 0
            assert ("newsmon_source_last_success_age_seconds", (("source", "hanoimoi"),)) in metrics

            status, body = get(base + "/healthz")
            health = json.loads(body)
            assert status == 503 and not health["ok"]
            assert any("deadsite" in p for p in health["problems"])
            assert not any("hanoimoi" in p for p in health["problems"])
            check = workspace.run("status", "--check")
            assert (
                check.returncode == 1 and "source deadsite" in check.stdout and "hanoimoi" not in check.stdout
            )
            db.dispose()
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.communicate(timeout=120)
        assert daemon.returncode == 0


def test_health_is_green_when_every_source_is_fresh(workspace: Workspace, mirror) -> None:
    with SmtpSink() as sink:
        workspace.write_config(
            loopback_config(
                mirror.url,
                sink.port,
                """
[sources.hanoimoi]
schedule = "interval:6h"
""",
            )
        )
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            cwd=workspace.path,
            env=workspace.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            db = Database(workspace.db_url)
            wait_until(
                lambda: any(status in ("ok", "partial") for (_, status) in stats.crawls_by_source_status(db)),
                180,
                "the first crawl",
            )
            db.dispose()
            check = workspace.run("status", "--check")
            assert check.returncode == 0, check.stdout + check.stderr
            assert check.stdout.startswith("OK")
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.communicate(timeout=120)


def test_a_job_overdue_beyond_stuck_after_means_the_scheduler_is_stuck(tmp_path) -> None:
    from datetime import timedelta

    from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table

    from monitor.config import load_config
    from monitor.health import check_health
    from storage.daemon import JOBS_TABLE, DaemonLockStore
    from storage.models import utcnow

    config_path = tmp_path / "newsmon.toml"
    config_path.write_text(
        f'database_url = "{tmp_path / "n.db"}"\n[daemon]\nstuck_after_seconds = 60\n[sources.hanoimoi]\n',
        encoding="utf-8",
    )
    config = load_config(config_path, env={})
    db = Database(config.database_url)
    # A live process of this host stands in for the daemon holding the lock.
    stand_in = subprocess.Popen(["sleep", "120"])
    taken, _ = DaemonLockStore(db).try_acquire(
        "owner", stand_in.pid, socket.gethostname(), "daemon", lambda _: False
    )
    assert taken
    jobs = Table(
        JOBS_TABLE,
        MetaData(),
        Column("id", String(191), primary_key=True),
        Column("next_run_time", Float),
        Column("job_state", LargeBinary),
    )
    jobs.create(db.engine)
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            jobs.insert(),
            [
                {
                    "id": "crawl:hanoimoi",
                    "next_run_time": (now - timedelta(seconds=30)).timestamp(),
                    "job_state": b"",
                }
            ],
        )
    assert not any("scheduler" in p for p in check_health(config, db, now=now).problems), (
        "30 s late is on time"
    )
    with db.engine.begin() as conn:
        conn.execute(jobs.update().values(next_run_time=(now - timedelta(minutes=10)).timestamp()))
    problems = check_health(config, db, now=now).problems
    assert any(p.startswith("scheduler: stuck (crawl:hanoimoi") for p in problems), problems
    stand_in.kill()
    stand_in.wait()
    db.dispose()
