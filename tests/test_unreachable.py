"""A site that cannot be reached ends its crawl soon, with one line naming the cause; SIGTERM
stops a crawl within seconds and records what it did (issue 14, item 1). Loopback only: a
port that accepts and never answers, and a port nothing listens on."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from datetime import datetime

import pytest

from storage import ArticleStore, CrawlRunLog, Database
from tests.helpers.waiting import wait_until
from tests.helpers.workspace import Workspace, newsmon_command
from tests.misbehaving import MisbehavingServer, Reply, SilentServer, article, closed_port, rss

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

HINT = "check the network or proxy; for the offline demo set NEWSMON_MIRROR"


def generic_source(name: str, feed: str) -> str:
    return f'[sources.{name}]\nspider = "generic"\nfeeds = ["{feed}"]\nlanguages = ["ru"]\n'


def test_unreachable_sites_end_soon_with_one_line_naming_the_cause(workspace: Workspace):
    port = closed_port()
    with SilentServer() as silent:
        workspace.write_config(
            "[crawl]\ndelay_seconds = 0\ntimeout_seconds = 2\nunreachable_after_seconds = 6\n"
            f'allowed_hosts = ["127.0.0.1:{silent.port}", "127.0.0.1:{port}"]\n\n'
            + generic_source("hung", f"http://127.0.0.1:{silent.port}/feed.xml")
            + generic_source("closed", f"http://127.0.0.1:{port}/feed.xml")
        )
        result = workspace.run("crawl", "hung", "closed", timeout=120)
        assert silent.accepted > 0  # the crawl did connect, and got no answer
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    out = result.stdout.splitlines()
    hung = out[out.index(next(line for line in out if line.startswith("hung: failed"))) + 1].strip()
    closed = out[out.index(next(line for line in out if line.startswith("closed: failed"))) + 1].strip()
    assert re.fullmatch(
        r"cannot reach 127\.0\.0\.1: (connection timed out \(\d tries?\)|no answer within 6 s); "
        + re.escape(HINT),
        hung,
    ), hung
    assert closed == f"cannot reach 127.0.0.1: connection refused (3 tries); {HINT}"
    # Bounded by the config, not by the site: the unanswered one ended at its deadline.
    runs = CrawlRunLog(Database(workspace.db_url)).latest_per_source()
    took = runs["hung"].finished_at - runs["hung"].started_at
    assert took.total_seconds() < 6 + 2 + 3
    assert runs["hung"].status == "failed" and runs["closed"].status == "failed"
    assert runs["closed"].error_kinds["connection_refused"] == 1


def test_sigterm_stops_a_crawl_within_seconds_and_records_what_it_did(workspace: Workspace):
    with MisbehavingServer() as site:
        u = site.url
        site.routes.update(
            {
                "/feed.xml": Reply(body=rss(u, [u + "/a/one"]), content_type="application/rss+xml"),
                "/a/one": Reply(body=article("Статья до сигнала")),
                "/slow.xml": Reply(hang=True),
            }
        )
        workspace.write_config(
            f"[crawl]\ndelay_seconds = 0\ntimeout_seconds = 120\nunreachable_after_seconds = 0\n"
            f'allowed_hosts = ["{site.host}"]\n\n[sources.site]\nspider = "generic"\n'
            f'feeds = ["{u}/feed.xml", "{u}/slow.xml"]\nlanguages = ["ru"]\n'
            'selectors = { title = "h1", body = "div.body p", date = "time" }\n'
        )
        cmd = newsmon_command("crawl", "site")
        proc = subprocess.Popen(
            cmd,
            cwd=workspace.path,
            env=workspace.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            articles = ArticleStore(Database(workspace.db_url))

            def going() -> bool:
                assert proc.poll() is None, proc.communicate()
                return bool(site.hits_of("/slow.xml")) and articles.counts()["total"] >= 1

            wait_until(going, 90, "the crawl to get going")
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=20)
            stopped_after = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert stopped_after < 10, stopped_after
    assert "Traceback" not in stderr
    run = CrawlRunLog(Database(workspace.db_url)).latest("site")
    assert run.status == "killed" and isinstance(run.finished_at, datetime)
    assert run.articles_seen == 1 and run.requests >= 2  # what it did before the signal is recorded
    assert "site: killed" in stdout
