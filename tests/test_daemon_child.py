"""The daemon reads what its crawl and digest children did from the result each child
writes (the same dataclass, serialised once), not from anything they print: real child
processes against the offline mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.crawling import CrawlOutcome
from monitor.daemon import zygote
from scheduler import Daemon
from storage import CrawlRunLog, Database
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: a crawl child and a digest child


def test_the_daemon_reads_each_childs_result(tmp_path: Path, mirror) -> None:
    ws = Workspace(tmp_path)
    config = load_config(
        ws.write_config(f'mirror = "{mirror.url}"\n[sources.kinhtedothi]\n[digest]\noutbox = "outbox"\n'),
        env={},
    )
    db = Database(config.database_url)
    daemon = Daemon(config, db=db, child_env=ws.env(), cwd=str(tmp_path))

    outcome = daemon.crawl("kinhtedothi")
    # Forked from the zygote (daemon.preforked_children is on by default).
    assert zygote.shared().pid is not None

    (run,) = CrawlRunLog(db).latest_per_source().values()
    assert outcome is not None and outcome.status == "ok" and outcome.counts["new"] > 0
    # Everything the child's crawl recorded, as the daemon read it, plus what the daemon measured.
    assert outcome == CrawlOutcome.from_run(run, seconds=outcome.seconds, peak_rss_kb=outcome.peak_rss_kb)
    assert outcome.details["finished_at"] and outcome.seconds and outcome.seconds > 0
    assert outcome.peak_rss_kb and outcome.peak_rss_kb > 1000

    digest = daemon.digest("once")

    assert digest is not None and digest.status == "outbox" and digest.item_count > 0
    assert digest.outbox_path and Path(digest.outbox_path).exists()
