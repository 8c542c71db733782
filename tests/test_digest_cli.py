"""`newsmon digest` through the real entry point, against a loopback SMTP sink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.smtp_sink import SmtpSink
from storage import Database
from storage.digests import DigestStore
from tests.helpers.digest import (
    NATIONAL_BODY,
    NATIONAL_TITLE,
    RU_BODY,
    RU_LEAD,
    RU_TITLE,
    SCRIPT_TITLE,
    VI_BODY,
    VI_LEAD,
    VI_TITLE,
    add_article,
)


@pytest.fixture
def filled(workspace, model) -> Database:
    """The workspace's database with three core articles (one a <script> title) and a national one."""
    workspace.write_config('[sources.hanoimoi]\n[digest]\nrecipients = ["analyst@example.org"]\n')
    db = Database(workspace.db_url)
    for n, (title, body, lead, lang) in enumerate(
        (
            (VI_TITLE, VI_BODY, VI_LEAD, "vi"),
            (RU_TITLE, RU_BODY, RU_LEAD, "ru"),
            (SCRIPT_TITLE, VI_BODY, VI_LEAD, "vi"),
            (NATIONAL_TITLE, NATIONAL_BODY, "", "vi"),
        ),
        1,
    ):
        add_article(db, model, n, title, body, lead, lang)
    return db


def smtp_env(sink: SmtpSink) -> dict[str, str]:
    return {
        "NEWSMON_SMTP_HOST": "127.0.0.1",
        "NEWSMON_SMTP_PORT": str(sink.port),
        "NEWSMON_SMTP_SECURITY": "none",
        "NEWSMON_DIGEST_TO": "a@example.org, b@example.org",
        "NEWSMON_DIGEST_FROM": "bot@example.org",
    }


def test_help_documents_the_options(workspace) -> None:
    out = workspace.run("digest", "--help", check=True).stdout
    for option in (
        "--dry-run",
        "--to ADDR",
        "--since DATE",
        "--preview FILE.html",
        "--test",
        "--retry ID",
        "--drop ID",
        "pending",
    ):
        assert option in out


@pytest.mark.slow
def test_dry_run_and_preview_send_and_record_nothing(workspace, filled, tmp_path: Path) -> None:
    with SmtpSink() as sink:
        dry = workspace.run("digest", "--dry-run", check=True, **smtp_env(sink))
        assert "Subject: Hà Nội – Nga: 3 new stories (+1 also relevant)" in dry.stdout
        assert VI_TITLE in dry.stdout and RU_TITLE in dry.stdout
        preview = tmp_path / "preview.html"
        out = workspace.run("digest", "--preview", str(preview), check=True, **smtp_env(sink))
        assert f"preview written to {preview}" in out.stdout
        html = preview.read_text(encoding="utf-8")
        assert RU_TITLE in html and "&lt;script&gt;" in html and "<script>" not in html
        assert sink.messages == []
    assert DigestStore(filled).all() == []


@pytest.mark.slow
def test_send_through_environment_settings_then_nothing_new(workspace, filled) -> None:
    with SmtpSink() as sink:
        result = workspace.run("digest", "--json", check=True, **smtp_env(sink))
        outcome = json.loads(result.stdout)
        assert outcome["status"] == "sent" and outcome["item_count"] == 4
        assert sink.wait_for(1)
        msg = sink.messages[0]
        assert sorted(sink.envelopes[0].rcpt_tos) == ["a@example.org", "b@example.org"]
        assert sink.envelopes[0].mail_from == "bot@example.org"
        assert msg["Message-ID"] == outcome["message_id"] and "Hà Nội – Nga" in msg["Subject"]
        again = workspace.run("digest", check=True, **smtp_env(sink))
        assert "nothing new since the last digest" in again.stdout
        assert len(sink.messages) == 1


@pytest.mark.slow
def test_refused_exits_1_then_retry_sends_it_to_its_recipients(workspace, filled) -> None:
    with SmtpSink() as sink:
        sink.data_reply = "451 4.3.0 Try again later"
        failed = workspace.run("digest", **smtp_env(sink))
        assert failed.returncode == 1
        assert "left pending and retried later" in failed.stderr and "451" in failed.stderr
        sink.data_reply = None
        # Within the back-off pause a regular run neither retries it nor sends its articles again.
        waiting = workspace.run("digest", **smtp_env(sink))
        assert waiting.returncode == 0 and "nothing new" in waiting.stdout and sink.messages == []
        ok = workspace.run("digest", "--retry", "1", **smtp_env(sink))
        assert ok.returncode == 0, ok.stderr
        assert "digest 1 sent to a@example.org, b@example.org" in ok.stdout
        assert sink.wait_for(1) and len(sink.messages) == 1
        assert sorted(sink.envelopes[0].rcpt_tos) == ["a@example.org", "b@example.org"]
    assert DigestStore(filled).get(1).status == "sent"


def test_outbox_by_default(workspace, filled) -> None:
    result = workspace.run("digest", check=True)
    assert "written to" in result.stdout and "no SMTP host configured" in result.stdout
    files = sorted(p.suffix for p in (workspace.path / "outbox").iterdir())
    assert files == [".eml", ".html"]


def test_bad_since_is_a_usage_error(workspace) -> None:
    result = workspace.run("digest", "--since", "yesterday-ish")
    assert result.returncode == 2 and "is not a date" in result.stderr
