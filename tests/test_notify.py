"""Chat channels (`[[notify]]`) through Apprise, against a loopback HTTP server the test starts in
place of the chat service (Apprise's ``json://127.0.0.1:PORT/...`` URLs post one JSON object per
message), and the SMTP sink for the email digest. Nothing here leaves the machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from monitor.config import ConfigError, load_config
from monitor.digest import run_digest
from monitor.metrics import NewsmonCollector
from monitor.notify.service import run_notify
from monitor.relevance import RelevanceModel
from monitor.smtp_sink import SmtpSink
from storage import Database
from storage.models import CrawlRun, Notification, utcnow
from storage.notifications import NotificationStore
from tests.helpers.chat import ChatServer
from tests.helpers.digest import NATIONAL_BODY, NATIONAL_TITLE, VI_BODY, VI_LEAD, VI_TITLE, add_article

SECRET = "s3cr3t-T0KEN-4242"


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


@pytest.fixture(scope="module")
def model() -> RelevanceModel:
    return RelevanceModel.load()


class Stories:
    """Core stories (one article each, their own story id) added to the workspace's database."""

    def __init__(self, workspace, model: RelevanceModel) -> None:
        self.db = Database(workspace.db_url)
        self.model = model
        self.n = 0

    def add(
        self, *, story: int | None = None, title: str = VI_TITLE, body: str = VI_BODY, lead=VI_LEAD
    ) -> int:
        self.n += 1
        return add_article(
            self.db,
            self.model,
            self.n,
            f"{title} ({self.n})",
            f"{body} Số {self.n}.",
            lead,
            story=story if story is not None else 1000 + self.n,
        )

    def rows(self, channel: str) -> list[Notification]:
        return NotificationStore(self.db).rows(channel)


def instant_config(workspace, url: str, *, cap: int = 10, extra: str = "") -> None:
    workspace.write_config(
        '[sources.hanoimoi]\n[web]\nbase_url = "https://newsmon.example.org"\n'
        f'[[notify]]\nname = "desk"\nurl = "{url}"\nmode = "instant"\nmax_per_hour = {cap}\n'
        "timeout_seconds = 5\n" + extra
    )


@pytest.mark.slow  # runs `newsmon` processes
def test_instant_one_message_per_new_story_within_the_hourly_cap(workspace, model, chat) -> None:
    stories = Stories(workspace, model)
    ids = [stories.add() for _ in range(3)]
    instant_config(workspace, chat.url("desk"), cap=2)

    out = workspace.run_json("notify", "--json", check=True)[0]
    desk = out["channels"][0]
    assert (desk["recorded"], desk["messages"], desk["stories"], desk["waiting"]) == (3, 2, 3, 0)
    first, second = chat.messages("desk")
    # One story, linked to its page on the web view; then the cap's last message folds the other two.
    assert f"https://newsmon.example.org/articles/{ids[0]}" in first["message"]
    assert first["message"].count("• ") == 1 and f"({1})" in first["title"]
    assert second["message"].count("• ") == 2 and "2 new stories" in second["title"]
    assert all(f"/articles/{i}" in second["message"] for i in ids[1:])

    # Nothing new: nothing sent. A new report of a story already sent is not a new story.
    stories.add(story=1001)
    again = workspace.run_json("notify", "--json", check=True)[0]["channels"][0]
    assert (again["recorded"], again["messages"]) == (0, 0) and len(chat.messages("desk")) == 2

    # A fourth story within the hour waits for the cap (not an error) ...
    fourth = stories.add()
    waiting = workspace.run_json("notify", "--json", check=True)[0]["channels"][0]
    assert (waiting["recorded"], waiting["messages"], waiting["waiting"]) == (1, 0, 1)
    assert len(chat.messages("desk")) == 2
    # ... and goes out, once, when the hour is over.
    config = load_config(workspace.config_path, env={})
    later = run_notify(config, stories.db, now=utcnow() + timedelta(minutes=61), env={})
    assert later.channels[0].messages == 1 and len(chat.messages("desk")) == 3
    assert f"/articles/{fourth}" in chat.messages("desk")[2]["message"]
    assert {r.status for r in stories.rows("desk")} == {"sent"} and len(stories.rows("desk")) == 4


@pytest.mark.slow  # runs `newsmon` processes
def test_5xx_leaves_it_pending_and_a_later_run_sends_it_once(workspace, model, chat) -> None:
    stories = Stories(workspace, model)
    story = stories.add()
    instant_config(workspace, chat.url("desk"))
    chat.replies["/desk"] = [503]

    failed = workspace.run("notify")
    assert failed.returncode == 1 and "HTTP 503" in failed.stderr and "retried later" in failed.stderr
    (row,) = stories.rows("desk")
    assert row.status == "pending" and row.error_kind == "transient" and row.next_attempt_at > utcnow()

    # Within the back-off pause nothing is attempted again.
    workspace.run("notify", check=True)
    assert len(chat.messages("desk")) == 1
    config = load_config(workspace.config_path, env={})
    run_notify(config, stories.db, now=utcnow() + timedelta(minutes=6), env={})
    run_notify(config, stories.db, now=utcnow() + timedelta(minutes=7), env={})
    assert len(chat.messages("desk")) == 2  # the failed try, then one delivery
    assert f"/articles/{story}" in chat.messages("desk")[1]["message"]
    (row,) = stories.rows("desk")
    assert row.status == "sent" and row.attempts == 2


@pytest.mark.slow  # runs `newsmon` processes
def test_connection_refused_is_transient(workspace, model, chat) -> None:
    stories = Stories(workspace, model)
    stories.add()
    chat.__exit__()  # nobody listens on that port any more
    instant_config(workspace, chat.url("desk"))
    failed = workspace.run("notify")
    assert failed.returncode == 1 and "no connection" in failed.stderr
    assert [r.status for r in stories.rows("desk")] == ["pending"]


@pytest.mark.slow  # runs `newsmon` processes
def test_4xx_is_refused_for_good_and_blocks_nothing_newer(workspace, model, chat) -> None:
    stories = Stories(workspace, model)
    stories.add()
    instant_config(workspace, chat.url("desk"))
    chat.replies["/desk"] = [400]
    refused = workspace.run("notify")
    assert refused.returncode == 1 and "refused for good" in refused.stderr and "HTTP 400" in refused.stderr
    assert [r.status for r in stories.rows("desk")] == ["failed"]

    newer = stories.add()
    ok = workspace.run_json("notify", "--json", check=True)[0]["channels"][0]
    assert ok["messages"] == 1 and f"/articles/{newer}" in chat.messages("desk")[-1]["message"]
    assert [r.status for r in stories.rows("desk")] == ["failed", "sent"]
    assert len(chat.messages("desk")) == 2  # the refused one was not tried again


@pytest.mark.slow  # runs `newsmon` processes
def test_secret_url_from_the_environment_is_never_logged_or_stored(workspace, model, chat) -> None:
    stories = Stories(workspace, model)
    stories.add()
    workspace.write_config(
        '[sources.hanoimoi]\n[[notify]]\nurl_env = "NEWSMON_NOTIFY_TEST"\nmode = "instant"\n'
    )
    chat.replies[f"/{SECRET}"] = [500]
    env = {"NEWSMON_NOTIFY_TEST": chat.url(SECRET)}
    failed = workspace.run("-vv", "notify", **env)
    assert failed.returncode == 1 and "newsmon_notify_test" in failed.stderr  # the channel's default name
    assert SECRET not in failed.stdout + failed.stderr
    (row,) = stories.rows("newsmon_notify_test")
    assert SECRET not in (row.last_error or "") and row.channel == "newsmon_notify_test"

    stories.add()  # something due now (the first story waits for its back-off pause)
    unset = workspace.run("notify")
    assert unset.returncode == 1 and "NEWSMON_NOTIFY_TEST is not set" in unset.stderr


@pytest.mark.slow  # runs `newsmon` processes
def test_digest_mode_one_message_per_digest_and_a_failing_channel_never_stops_the_email(
    workspace, model, chat
) -> None:
    stories = Stories(workspace, model)
    core = [stories.add() for _ in range(2)]
    national = add_article(stories.db, model, 99, NATIONAL_TITLE, NATIONAL_BODY)
    with SmtpSink() as sink:
        workspace.write_config(
            '[sources.hanoimoi]\n[digest]\nrecipients = ["analyst@example.org"]\nsender = "bot@example.org"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\ntimeout_seconds = 5\n'
            f'[[notify]]\nname = "team"\nurl = "{chat.url("team")}"\n'
            f'[[notify]]\nname = "wide"\nurl = "{chat.url("wide")}"\nlabel = ["core", "national"]\n'
            f'[[notify]]\nname = "down"\nurl = "{chat.url("down")}"\n'
        )
        chat.replies["/down"] = [502]
        first = workspace.run("digest", "--json")
        assert first.stdout, first.stderr
        outcome = json.loads(first.stdout)
        # The email went out; the channel that failed leaves the digest pending for it alone.
        assert sink.wait_for(1) and len(sink.messages) == 1
        assert outcome["status"] == "pending" and "down" in outcome["error"] and first.returncode == 1
        (team,) = chat.messages("team")
        (wide,) = chat.messages("wide")
        assert team["title"] == outcome["subject"]
        assert all(f"hanoimoi.vn/bai-{n}-vi.html" in team["message"] for n in (1, 2))
        assert NATIONAL_TITLE not in team["message"] and NATIONAL_TITLE in wide["message"]

        # Nothing new: nothing more to anyone; the failed channel waits for its pause.
        workspace.run("digest")
        assert len(chat.messages("team")) == 1 and len(chat.messages("down")) == 1 and len(sink.messages) == 1

        config = load_config(workspace.config_path, env={})
        later = run_digest(config, stories.db, now=utcnow() + timedelta(minutes=6), env={})
        assert later.status == "sent" and len(chat.messages("down")) == 2
        assert len(chat.messages("team")) == 1 and len(chat.messages("wide")) == 1 and len(sink.messages) == 1
        assert core and national


@pytest.mark.slow  # runs `newsmon` processes
def test_a_permanently_refused_channel_does_not_hold_back_the_email(workspace, model, chat) -> None:
    stories = Stories(workspace, model)
    stories.add()
    with SmtpSink() as sink:
        workspace.write_config(
            '[sources.hanoimoi]\n[digest]\nrecipients = ["analyst@example.org"]\nsender = "bot@example.org"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\ntimeout_seconds = 5\n'
            f'[[notify]]\nname = "gone"\nurl = "{chat.url("gone")}"\n'
        )
        chat.replies["/gone"] = [404]
        result = workspace.run("digest", "--json")
        outcome = json.loads(result.stdout)
        assert outcome["status"] == "sent" and sink.wait_for(1)
        assert [r["destination"] for r in outcome["refused"]] == ["gone"]
        stories.add()
        second = json.loads(workspace.run("digest", "--json").stdout)
        assert second["status"] == "sent" and sink.wait_for(2) and len(chat.messages("gone")) == 2


@pytest.mark.slow  # runs `newsmon` processes
def test_notify_test_messages_every_channel_and_records_nothing(workspace, chat) -> None:
    workspace.write_config(
        f'[sources.hanoimoi]\n[[notify]]\nname = "team"\nurl = "{chat.url("team")}"\n'
        f'[[notify]]\nname = "alerts"\nurl = "{chat.url("alerts")}"\nmode = "instant"\n'
        '[[notify]]\nname = "tg"\nurl_env = "NEWSMON_NOTIFY_TG"\n'
    )
    result = workspace.run("notify", "--test")
    assert result.returncode == 1
    assert "test message sent to team" in result.stdout and "test message sent to alerts" in result.stdout
    assert "NEWSMON_NOTIFY_TG is not set" in result.stderr
    assert "newsmon test message" in chat.messages("team")[0]["title"] and len(chat.messages("alerts")) == 1
    assert not workspace.db_path.exists() or NotificationStore(Database(workspace.db_url)).rows() == []

    ok = workspace.run_json("notify", "--test", "--json", NEWSMON_NOTIFY_TG=chat.url("tg"))[0]
    assert ok["ok"] is True and [r["channel"] for r in ok["results"]] == ["team", "alerts", "tg"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('url = "tgram://1/2"\nurl_env = "X"', "one of the two"),
        ('mode = "instant"', "one of the two"),
        ('url = "telegram-bot-token"', "notify[0].url: must be an Apprise URL"),
        (
            'url = "json://h/p"\nlabel = "national"',
            'notify[0].label: must be "core", or ["core", "national"]',
        ),
        ('url = "json://h/p"\nmax_per_hour = 5', 'max_per_hour applies to mode = "instant" only'),
        ('url = "json://h/p"\nmode = "loud"', "notify[0].mode"),
        ('url = "json://h/p"\nname = "a"\n[[notify]]\nurl = "json://h/q"\nname = "a"', "'a' is used by"),
    ],
)
def test_bad_notify_entries_are_clear_errors(workspace, entry: str, message: str) -> None:
    workspace.write_config(f"[sources.hanoimoi]\n[[notify]]\n{entry}\n")
    with pytest.raises(ConfigError) as error:
        load_config(workspace.config_path, env={})
    assert message in str(error.value)


@pytest.mark.slow  # runs `newsmon` processes
def test_a_bad_notify_entry_stops_the_command_with_one_line_naming_it(workspace) -> None:
    workspace.write_config('[sources.hanoimoi]\n[[notify]]\nurl = "json://h/p"\nmax_per_hour = 5\n')
    result = workspace.run("notify")
    assert (
        result.returncode != 0 and 'notify[0]: max_per_hour applies to mode = "instant" only' in result.stderr
    )


def test_metrics_count_fetch_errors_by_kind_and_notifications_by_state(workspace, model, chat) -> None:
    stories = Stories(workspace, model)
    stories.add()
    instant_config(workspace, chat.url("desk"))
    chat.replies["/desk"] = [400]
    config = load_config(workspace.config_path, env={})
    assert run_notify(config, stories.db, env={}).channels[0].refused
    with stories.db.session() as session:
        session.add(
            CrawlRun(source="hanoimoi", status="partial", errors=3, error_kinds={"http_404": 2, "timeout": 1})
        )
        session.add(CrawlRun(source="hanoimoi", status="partial", errors=2, error_kinds={"http_404": 1}))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NewsmonCollector(config, stories.db))
    text = generate_latest(registry).decode()
    assert 'newsmon_fetch_errors_total{kind="http_404",source="hanoimoi"} 3.0' in text
    assert 'newsmon_fetch_errors_total{kind="timeout",source="hanoimoi"} 1.0' in text
    # A run recorded before kinds were kept (2 errors, 1 with a kind): the rest is "unknown".
    assert 'newsmon_fetch_errors_total{kind="unknown",source="hanoimoi"} 1.0' in text
    assert 'newsmon_notifications{channel="desk",mode="instant",state="failed"} 1.0' in text
