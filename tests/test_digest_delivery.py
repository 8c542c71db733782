"""Per-recipient delivery of digests against a real SMTP server on loopback (aiosmtpd) that refuses,
stalls or answers 4xx/5xx per recipient; on SQLite and on a real PostgreSQL.

Each test here is a case of the reliability issue that wedged or lost digests before:
a permanent refusal or a digest with nobody to send to blocked every later digest; a refused
recipient was dropped silently; a run that delivered an earlier digest said `empty`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.digest import run_digest
from monitor.digest.service import DigestActionError, drop_digest, retry_digest
from monitor.digest.status import digest_delivery_status
from monitor.relevance import RelevanceModel
from monitor.smtp_sink import SmtpSink
from storage import Database
from storage.deliveries import DeliveryStore
from storage.digests import DigestStore
from tests.helpers.digest import (
    NOW,
    RU_BODY,
    RU_LEAD,
    RU_TITLE,
    TRY_LATER,
    VI_BODY,
    VI_LEAD,
    VI_TITLE,
    add_article,
    delivered_article_ids,
    parts,
)

FULL = "552 5.2.2 Mailbox full"
NO_SUCH = "550 5.1.1 No such user"
BUSY = "450 4.2.1 Mailbox busy, try later"


class Setup:
    """A config pointing at the sink (recipients as given), a database of either kind, judged articles."""

    def __init__(self, path: Path, url: str, model: RelevanceModel, sink: SmtpSink) -> None:
        self.path, self.url, self.model, self.sink, self.n = path, url, model, sink, 0
        self.db = Database(url)
        self.to(["analyst@example.org", "desk@example.org"])

    def to(self, recipients: list[str], smtp: bool = True, extra: str = "") -> None:
        listed = ", ".join(f'"{r}"' for r in recipients or ["placeholder@example.org"])
        text = (
            f'database_url = "{self.url}"\n[sources.hanoimoi]\n[digest]\nrecipients = [{listed}]\n'
            f'sender = "newsmon@example.org"\n{extra}\n'
        )
        if smtp:
            text += f'[smtp]\nhost = "127.0.0.1"\nport = {self.sink.port}\nsecurity = "none"\ntimeout_seconds = 2\n'
        (self.path / "newsmon.toml").write_text(text, encoding="utf-8")
        self.config = load_config(self.path / "newsmon.toml", env={})
        # A digest with nobody to send to must not wedge anything, whether or not the config
        # check lets such a config load: set it on the loaded config.
        self.config.digest.recipients = list(recipients)

    def add(self, title: str = VI_TITLE, body: str = VI_BODY, lead: str = VI_LEAD, lang: str = "vi") -> int:
        self.n += 1
        return add_article(
            self.db, self.model, self.n, f"{title} ({self.n})", f"{body} Số {self.n}.", lead, lang
        )

    def run(self, minutes: float = 0, **kwargs):
        return run_digest(self.config, self.db, now=NOW + timedelta(minutes=minutes), env={}, **kwargs)


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def s(tmp_path: Path, database_url: str, model: RelevanceModel, sink: SmtpSink) -> Setup:
    return Setup(tmp_path, database_url, model, sink)


def texts(sink: SmtpSink) -> list[str]:
    return [parts(m)[0] for m in sink.messages]


# --------------------------------------------------------------------------- 1: permanent failures never wedge


def test_digest_with_no_recipients_fails_and_does_not_block_the_next(s: Setup, caplog) -> None:
    s.to([])
    first_article = s.add()
    with caplog.at_level(logging.ERROR, logger="monitor.digest.service"):
        first = s.run()
    assert first.status == "failed" and "no recipients" in first.error
    assert any(
        r.levelno == logging.ERROR and f"digest {first.digest_id} failed" in r.getMessage()
        for r in caplog.records
    )
    status = digest_delivery_status(s.config, s.db)
    assert [f["id"] for f in status.failed] == [first.digest_id] and status.pending == []

    s.to(["analyst@example.org"])
    second_article = s.add(RU_TITLE, RU_BODY, RU_LEAD, "ru")
    second = s.run(minutes=1)
    # Not retried, not in the way: a new digest with the failed one's article and the new one.
    assert second.status == "sent" and second.retried == [] and second.digest_id != first.digest_id
    assert s.sink.wait_for(1) and len(s.sink.messages) == 1
    assert f"({first_article})" in texts(s.sink)[0] and f"({second_article})" in texts(s.sink)[0]
    assert sorted(delivered_article_ids(s.db)) == [first_article, second_article]


def test_only_recipient_refused_for_good_fails_and_articles_go_to_the_new_recipient(s: Setup, caplog) -> None:
    s.to(["gone@example.org"])
    s.sink.rcpt_replies["gone@example.org"] = NO_SUCH
    article = s.add()
    with caplog.at_level(logging.ERROR, logger="monitor.digest.service"):
        first = s.run()
    assert first.status == "failed" and "550" in first.error and s.sink.messages == []
    assert first.refused == [
        {"digest_id": first.digest_id, "destination": "gone@example.org", "error": first.refused[0]["error"]}
    ]
    assert any(r.levelno == logging.ERROR and "gone@example.org" in r.getMessage() for r in caplog.records)
    # Every later run: never retried (a 5xx is final), never blocking.
    assert s.run(minutes=30).retried == []

    s.to(["analyst@example.org"])
    later = s.add(RU_TITLE, RU_BODY, RU_LEAD, "ru")
    outcome = s.run(minutes=60)
    assert outcome.status == "sent" and outcome.retried == []
    assert s.sink.wait_for(1) and s.sink.envelopes[0].rcpt_tos == ["analyst@example.org"]
    assert f"({article})" in texts(s.sink)[0] and f"({later})" in texts(s.sink)[0]
    # The new digest's footer says who refused the earlier one.
    assert f"digest {first.digest_id} refused for gone@example.org" in texts(s.sink)[0]


def test_transient_failure_is_retried_with_growing_back_off(s: Setup) -> None:
    s.sink.data_reply = TRY_LATER
    s.add()
    first = s.run()
    assert first.status == "pending" and "451" in first.error
    rows = DeliveryStore(s.db).for_digest(first.digest_id)
    assert {(r.status, r.error_kind, r.next_attempt_at) for r in rows} == {
        ("pending", "transient", NOW + timedelta(minutes=5))
    }
    assert s.run(minutes=4).retried == []  # not due yet
    assert s.run(minutes=5).retried == [first.digest_id]  # due: attempted again, refused again
    rows = DeliveryStore(s.db).for_digest(first.digest_id)
    assert {(r.attempts, r.next_attempt_at) for r in rows} == {(2, NOW + timedelta(minutes=15))}
    assert s.run(minutes=14).retried == []
    s.sink.data_reply = None
    done = s.run(minutes=15)
    assert done.retried == [first.digest_id] and done.status == "sent" and done.digest_id == first.digest_id
    assert s.sink.wait_for(1) and len(s.sink.messages) == 1


def test_transient_failure_for_too_long_becomes_failed(s: Setup) -> None:
    s.to(["analyst@example.org"], extra="retry_hours = 1")
    s.sink.data_reply = TRY_LATER
    s.add()
    first = s.run()
    assert first.status == "pending"
    last = s.run(minutes=61)
    assert (
        last.retried == [first.digest_id] and "gave up after 2 attempts over 1 h" in last.refused[0]["error"]
    )
    assert DigestStore(s.db).get(first.digest_id).status == "failed"
    # Its article went into a new digest, which waits its own turn.
    assert last.digest_id != first.digest_id and last.status == "pending" and last.item_count == 1


def test_stalled_server_times_out_and_leaves_it_pending(s: Setup) -> None:
    s.sink.stall_seconds = 4  # the client gives up after 2 s
    s.add()
    first = s.run()
    assert first.status == "pending" and "timed out" in first.error
    s.sink.stall_seconds = 0
    assert s.run(minutes=10).status == "sent"
    assert s.sink.wait_for(1) and s.sink.messages[-1]["Message-ID"] == first.message_id


def test_retry_readdresses_a_failed_digest_with_the_same_message_id(s: Setup) -> None:
    s.to(["gone@example.org"])
    s.sink.rcpt_replies["gone@example.org"] = NO_SUCH
    s.add()
    first = s.run()
    assert first.status == "failed"
    s.to(["analyst@example.org"])
    retried = retry_digest(s.config, s.db, first.digest_id, now=NOW + timedelta(minutes=1), env={})
    assert retried.status == "sent" and retried.digest_id == first.digest_id
    assert s.sink.wait_for(1) and s.sink.envelopes[0].rcpt_tos == ["analyst@example.org"]
    msg = s.sink.messages[0]
    assert msg["Message-ID"] == first.message_id and msg["To"] == "analyst@example.org"
    # It took its articles back: nothing left for a new digest.
    assert s.run(minutes=2).status == "empty"
    with pytest.raises(DigestActionError, match="already delivered"):
        retry_digest(s.config, s.db, first.digest_id, now=NOW + timedelta(minutes=3), env={})


def test_retry_refuses_when_the_articles_went_into_a_later_digest(s: Setup) -> None:
    s.to(["gone@example.org"])
    s.sink.rcpt_replies["gone@example.org"] = NO_SUCH
    s.add()
    first = s.run()
    s.to(["analyst@example.org"])
    assert s.run(minutes=1).status == "sent"
    with pytest.raises(DigestActionError, match="went into a later digest"):
        retry_digest(s.config, s.db, first.digest_id, now=NOW + timedelta(minutes=2), env={})
    assert len(s.sink.messages) == 1


def test_drop_gives_up_and_returns_the_articles(s: Setup) -> None:
    s.sink.data_reply = TRY_LATER
    article = s.add()
    first = s.run()
    assert first.status == "pending"
    assert drop_digest(s.db, first.digest_id).status == "dropped"
    s.sink.data_reply = None
    again = s.run(minutes=30)
    assert again.retried == [] and again.status == "sent" and again.digest_id != first.digest_id
    assert s.sink.wait_for(1) and f"({article})" in texts(s.sink)[0]
    with pytest.raises(DigestActionError, match="already delivered"):
        drop_digest(s.db, again.digest_id)


def test_a_digest_left_pending_by_0_1_0_is_delivered_per_recipient(s: Setup) -> None:
    from storage.models import Digest, DigestItem

    article = s.add()
    with s.db.session() as session:  # what 0.1.0 left behind: a pending digest, no delivery rows
        legacy = Digest(
            message_id="<digest.legacy@example.org>",
            created_at=NOW,
            status="sending",
            subject="s",
            sender="newsmon@example.org",
            recipients=["analyst@example.org"],
            raw_message="Subject: s\r\nMessage-ID: <digest.legacy@example.org>\r\n\r\nhi\r\n",
            html="<p>hi</p>",
        )
        session.add(legacy)
        session.flush()
        session.add(DigestItem(digest_id=legacy.id, article_id=article, section="core"))
    outcome = s.run(minutes=1)
    assert outcome.retried == [legacy.id] and outcome.status == "sent"
    assert s.sink.wait_for(1) and s.sink.envelopes[0].rcpt_tos == ["analyst@example.org"]
    assert s.sink.messages[0]["Message-ID"] == "<digest.legacy@example.org>"


# --------------------------------------------------------------------------- 2: per-recipient delivery


def test_recipient_refused_for_good_is_recorded_and_reported(s: Setup) -> None:
    s.sink.rcpt_replies["desk@example.org"] = FULL
    s.add()
    first = s.run()
    assert first.status == "sent" and first.delivered[0]["to"] == ["analyst@example.org"]
    assert [r["destination"] for r in first.refused] == ["desk@example.org"] and "552" in first.refused[0][
        "error"
    ]
    assert s.sink.wait_for(1) and s.sink.envelopes[0].rcpt_tos == ["analyst@example.org"]
    rows = {r.destination: r for r in DeliveryStore(s.db).for_digest(first.digest_id)}
    assert rows["analyst@example.org"].status == "sent"
    assert (rows["desk@example.org"].status, rows["desk@example.org"].error_kind) == ("failed", "permanent")
    status = digest_delivery_status(s.config, s.db)
    assert [(r["digest_id"], r["destination"]) for r in status.refused] == [
        (first.digest_id, "desk@example.org")
    ]
    # Not retried; the next digest's footer names the refusal.
    s.sink.rcpt_replies.clear()
    s.add(RU_TITLE, RU_BODY, RU_LEAD, "ru")
    second = s.run(minutes=60)
    assert second.retried == [] and second.status == "sent" and s.sink.wait_for(2)
    assert (
        f"digest {first.digest_id} refused for desk@example.org: 127.0.0.1:{s.sink.port}: SMTP 552"
        in texts(s.sink)[1]
    )
    assert "refused for desk@example.org" in parts(s.sink.messages[1])[1]


def test_recipient_refused_transiently_is_retried_alone_with_the_same_message_id(s: Setup) -> None:
    s.sink.rcpt_replies["desk@example.org"] = BUSY
    s.add()
    first = s.run()
    assert first.status == "pending" and "450" in first.error
    assert s.sink.wait_for(1) and s.sink.envelopes[0].rcpt_tos == ["analyst@example.org"]
    status = digest_delivery_status(s.config, s.db)
    assert [(p["id"], p["waiting_for"]) for p in status.pending] == [(first.digest_id, ["desk@example.org"])]
    s.sink.rcpt_replies.clear()
    later = s.run(minutes=10)
    assert later.retried == [first.digest_id] and later.status == "sent"
    assert s.sink.wait_for(2) and len(s.sink.messages) == 2
    assert s.sink.envelopes[1].rcpt_tos == ["desk@example.org"]
    assert s.sink.messages[1]["Message-ID"] == s.sink.messages[0]["Message-ID"] == first.message_id
    assert {r.status for r in DeliveryStore(s.db).for_digest(first.digest_id)} == {"sent"}


# --------------------------------------------------------------------------- 3 and 4


def test_to_sends_a_copy_and_records_nothing(s: Setup) -> None:
    article = s.add()
    copy = s.run(to=["chief@example.org"])
    assert copy.status == "copy" and copy.digest_id is None
    assert s.sink.wait_for(1) and s.sink.envelopes[0].rcpt_tos == ["chief@example.org"]
    assert DigestStore(s.db).all() == []
    regular = s.run(minutes=1)
    assert regular.status == "sent" and s.sink.wait_for(2)
    assert sorted(s.sink.envelopes[1].rcpt_tos) == ["analyst@example.org", "desk@example.org"]
    assert f"({article})" in texts(s.sink)[1]
    assert s.sink.messages[0]["Message-ID"] != s.sink.messages[1]["Message-ID"]


def test_run_that_delivered_an_earlier_digest_says_so(s: Setup) -> None:
    s.sink.data_reply = TRY_LATER
    s.add()
    first = s.run()
    s.sink.data_reply = None
    later = s.run(minutes=10)
    assert (
        later.status == "sent" and later.digest_id == first.digest_id and later.retried == [first.digest_id]
    )
    assert later.delivered[0]["to"] == ["analyst@example.org", "desk@example.org"]


@pytest.mark.slow
def test_daemon_retries_due_deliveries_between_digests(
    tmp_path: Path, model: RelevanceModel, sink: SmtpSink
) -> None:
    from scheduler import Daemon
    from storage.models import utcnow

    s = Setup(tmp_path, f"sqlite:///{tmp_path}/n.db", model, sink)
    daemon = Daemon(s.config, db=s.db, cwd=str(tmp_path))
    assert daemon.retry_deliveries() is None  # nothing due: no child process at all
    sink.rcpt_replies["desk@example.org"] = BUSY
    s.add()
    first = run_digest(s.config, s.db, now=utcnow() - timedelta(minutes=6), env={})  # its pause is over now
    assert first.status == "pending" and sink.wait_for(1)
    sink.rcpt_replies.clear()
    outcome = daemon.retry_deliveries()
    assert outcome is not None and outcome.status == "sent" and outcome.digest_id == first.digest_id
    assert sink.wait_for(2) and sink.envelopes[1].rcpt_tos == ["desk@example.org"]
    assert sink.messages[1]["Message-ID"] == first.message_id
    assert daemon.retry_deliveries() is None
