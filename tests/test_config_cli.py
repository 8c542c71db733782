"""A half-configured daemon does not start, and typos are found on load: each case is a
config error naming its key (one line each), through the real `newsmon` entry point."""

from __future__ import annotations

import signal

import pytest

from tests.helpers.daemon import DaemonProcess
from tests.helpers.workspace import Workspace

HALF_CONFIGURED = [
    pytest.param(
        '[smtp]\nhost = "smtp.example.org"\n',
        "digest.recipients: empty while smtp.host = 'smtp.example.org' is set",
        id="smtp-host-no-recipients",
    ),
    pytest.param(
        '[sources.ria]\nspider = "generik"\nfeeds = ["https://ria.ru/export/rss2/index.xml"]\n',
        "sources.ria.spider: no spider named 'generik' (did you mean 'generic'?)",
        id="unknown-spider",
    ),
    pytest.param(
        "[sources.hanoimio]\n",
        "sources.hanoimio: no spider named 'hanoimio' (did you mean 'hanoimoi'?)",
        id="source-without-spider",
    ),
    pytest.param(
        '[digest]\nsender = "newsmon at example.org"\n',
        "digest.sender: 'newsmon at example.org' is not an e-mail address",
        id="bad-sender",
    ),
    pytest.param(
        '[digest]\nrecipients = ["analyst@example.org", "desk@@example.org"]\n',
        "digest.recipients[1]: 'desk@@example.org' is not an e-mail address",
        id="bad-recipient",
    ),
    pytest.param(
        '[digest]\nschedules = ["cron:0 7 31 2 *"]\n',
        "digest.schedules[0]: 'cron:0 7 31 2 *' never fires",
        id="cron-never-fires",
    ),
    pytest.param(
        '[sources.hanoimoi]\nschedule = "cron:0 7 30 2 *"\n',
        "sources.hanoimoi.schedule: 'cron:0 7 30 2 *' never fires",
        id="source-cron-never-fires",
    ),
]


@pytest.mark.parametrize(("text", "line"), HALF_CONFIGURED)
def test_newsmon_run_refuses_a_half_configured_daemon(workspace: Workspace, text: str, line: str) -> None:
    workspace.write_config(text)
    result = workspace.run("run", timeout=60)
    assert result.returncode == 1, result.stderr
    assert line in result.stderr
    # One line naming the key, in plain words: no traceback, no pydantic prefix.
    assert "Traceback" not in result.stderr and "Value error" not in result.stderr
    assert str(workspace.config_path) in result.stderr
    assert not workspace.db_path.exists()  # refused before anything was opened


def test_every_problem_is_reported_at_once(workspace: Workspace) -> None:
    workspace.write_config(
        '[sources.hanoimio]\n[sources.x]\nspider = "nope"\n[smtp]\nhost = "mail.example.org"\n'
    )
    result = workspace.run("status")
    assert result.returncode == 1
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [p.split(":")[0] for p in problems] == [
        "sources.hanoimio",
        "sources.x.spider",
        "digest.recipients",
    ]


def test_unknown_source_on_the_command_line_suggests_the_closest(workspace: Workspace) -> None:
    workspace.write_config("[sources.hanoimoi]\n[sources.kinhtedothi]\n")
    crawl = workspace.run("crawl", "hanoimio")
    assert crawl.returncode == 2
    assert "unknown source 'hanoimio' (did you mean 'hanoimoi'?)" in crawl.stderr
    assert not workspace.db_path.exists()

    from storage import Database

    Database(workspace.db_url)  # an empty database: `articles` has something to read
    articles = workspace.run("articles", "--source", "kinhtedothy")
    assert articles.returncode == 2
    assert "unknown source 'kinhtedothy' (did you mean 'kinhtedothi'?)" in articles.stderr
    assert workspace.run("articles", "--source", "kinhtedothi", check=True).stdout == ""


def test_empty_config_runs_and_says_what_it_will_use(workspace: Workspace) -> None:
    """An empty config file is fine: `newsmon run` says at start which sources and schedules
    it uses. Crawls go to a closed loopback port (the mirror setting), never the internet."""
    workspace.config_path.write_text("", encoding="utf-8")
    daemon = DaemonProcess.run(
        workspace, "empty", NEWSMON_MIRROR="http://127.0.0.1:9", NEWSMON_DB=str(workspace.db_path)
    )
    try:
        log = daemon.wait_for_log("newsmon daemon started", timeout=60)
    finally:
        assert daemon.stop(signal.SIGTERM, timeout=60) == 0
    assert f"config: {workspace.config_path}" in log
    assert f"database: {workspace.db_path}" in log
    assert "crawls (9 source(s)):" in log
    for source in ("hanoimoi", "vietnamplus_ru", "vovworld"):
        assert f"  {source}" in log
    assert "interval:30m" in log
    assert "digests: cron:0 7 * * *, written to the outbox" in log
    # Said once, before the daemon's own log lines.
    assert log.index("crawls (9 source(s))") < log.index("newsmon daemon started")
