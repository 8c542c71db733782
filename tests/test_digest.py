"""Digests end to end in one process: stored articles → composed, recorded digest → a real SMTP
server on loopback (aiosmtpd), and the never-lost / never-twice rules around it."""

from __future__ import annotations

import smtplib
import socket
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from monitor.config import load_config
from monitor.digest import run_digest
from monitor.digest.content import highlight
from monitor.digest.delivery import smtp_password
from monitor.digest.render import safe_link
from monitor.relevance import RelevanceModel
from monitor.smtp_sink import SmtpSink
from storage import ArticleStore, CrawlRunLog, Database
from storage.deliveries import DeliveryStore
from storage.digests import DigestStore
from storage.models import Digest, DigestItem
from tests.helpers.digest import (
    NATIONAL_BODY,
    NATIONAL_TITLE,
    NOW,
    RU_BODY,
    RU_LEAD,
    RU_TITLE,
    SCRIPT_TITLE,
    TRY_LATER,
    VI_BODY,
    VI_LEAD,
    VI_TITLE,
    add_article,
    delivered_article_ids,
    parts,
)


class Env:
    """A config file, a database and a way to add judged articles."""

    def __init__(self, path: Path, model: RelevanceModel) -> None:
        self.path = path
        self.model = model
        self.n = 0
        self.configure()

    def configure(self, extra: str = "", env: dict[str, str] | None = None) -> None:
        (self.path / "newsmon.toml").write_text(
            f'database_url = "{self.path / "n.db"}"\n[sources.hanoimoi]\n' + extra, encoding="utf-8"
        )
        self.config = load_config(self.path / "newsmon.toml", env=env or {})
        self.db = Database(self.config.database_url)

    def add(
        self,
        title: str,
        body: str,
        lead: str = "",
        lang: str = "vi",
        *,
        story: int | None = None,
        published: datetime | None = None,
        source: str = "hanoimoi",
    ) -> int:
        self.n += 1
        return add_article(
            self.db,
            self.model,
            self.n,
            title,
            body,
            lead,
            lang,
            story=story,
            published=published,
            source=source,
        )

    def label(self, article_id: int) -> str:
        return ArticleStore(self.db).get(article_id).label


@pytest.fixture
def env(tmp_path: Path, model: RelevanceModel) -> Env:
    return Env(tmp_path, model)


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


def smtp_to(env: Env, sink: SmtpSink, extra: str = "") -> None:
    env.configure(
        f'[digest]\nrecipients = ["analyst@example.org", "desk@example.org"]\nsender = "newsmon@example.org"\n'
        f'{extra}\n[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\ntimeout_seconds = 5\n'
    )


# --------------------------------------------------------------------------- content and format


def test_digest_mail_has_both_parts_items_links_escaping_and_intact_vi_ru(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    vi = env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    ru = env.add(RU_TITLE, RU_BODY, RU_LEAD, "ru")
    bad = env.add(
        SCRIPT_TITLE, VI_BODY, "<b>Hà Nội</b> và Moskva ký kết hợp tác <img src=x onerror=alert(1)>", "vi"
    )
    nat = env.add(NATIONAL_TITLE, NATIONAL_BODY, "", "vi")
    assert [env.label(i) for i in (vi, ru, bad, nat)] == ["core", "core", "core", "national"]
    log = CrawlRunLog(env.db)
    run = log.start("hanoimoi")
    log.finish(run, "blocked", {"blocked": 3})

    outcome = run_digest(env.config, env.db, now=NOW)

    assert outcome.status == "sent", outcome.error
    assert sink.wait_for(1) and len(sink.messages) == 1
    msg = sink.messages[0]
    assert sorted(sink.envelopes[0].rcpt_tos) == ["analyst@example.org", "desk@example.org"]
    assert msg["Subject"] == "Hà Nội – Nga: 3 new stories (+1 also relevant) · 2026-11-21"
    assert msg["From"].addresses[0].display_name == "newsmon · Hà Nội – Nga"
    assert msg["Message-ID"] == outcome.message_id
    assert msg.get_content_type() == "multipart/alternative"
    text, html = parts(msg)
    # Items, in both parts, with links to the real article URLs and text intact.
    for title in (VI_TITLE, RU_TITLE):
        assert title in text and title in html
    assert 'href="https://hanoimoi.vn/bai-1-vi.html"' in html and "https://hanoimoi.vn/bai-2-ru.html" in text
    assert "Hà Nội Mới · 2026-11-20" in text  # human source label and local (UTC+7) date
    assert "Russian" in html and "Vietnamese" in html
    # Matched terms highlighted in the lead snippet; "why" shown.
    assert '<b style="background:#fff1b8;color:#222;font-weight:bold;">Hà Nội và Moskva</b>' in html
    assert "*Hà Nội và Moskva*" in text
    assert "Why: core" in text and "cooperation: " in html
    # Everything from a web page is escaped: no live markup from titles or leads.
    assert "<script>" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;du lịch&#34;" in html
    assert '<script>alert("x")</script>' in text  # the text part shows it as plain text
    # No yagmail <br> mangling: the HTML is exactly the template's, one per line.
    assert "<br>" not in html
    # The national section and the footer.
    assert "Also relevant: Vietnam – Russia (1)" in html and NATIONAL_TITLE in text
    assert "4 articles in this digest: 3 core, 1 also relevant." in text
    assert "! Hà Nội Mới: 1 / 1 / 0 / 0 / never" in text


def test_story_is_one_item_with_also_in(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    first = env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi", story=7, published=NOW - timedelta(hours=30))
    later = env.add(RU_TITLE, RU_BODY, RU_LEAD, "ru", story=7, published=NOW - timedelta(hours=10))
    alone = env.add(SCRIPT_TITLE, VI_BODY, VI_LEAD, "vi")

    outcome = run_digest(env.config, env.db, now=NOW)

    assert outcome.status == "sent" and outcome.item_count == 3
    text, html = parts(sink.messages[0])
    assert sink.messages[0]["Subject"].startswith("Hà Nội – Nga: 2 new stories ·")
    assert text.count("Also in:") == 1
    assert f"Also in: Hà Nội Mới (Russian): https://hanoimoi.vn/bai-{later}-ru.html" in text
    assert RU_TITLE not in text.split("Also in:")[0]  # the Russian article is not an item of its own
    assert f'title="{RU_TITLE}"' in html
    roles = {i.article_id: i.role for i in DigestStore(env.db).items(outcome.digest_id)}
    assert roles == {first: "headline", later: "also", alone: "headline"}


def test_highlight_marks_whole_words_and_cuts_long_text() -> None:
    segs = highlight("Nga và người Ngai; nga ở Hà Nội", ["Nga", "Hà Nội"])
    assert [(s.text, s.mark) for s in segs] == [
        ("Nga", True),
        (" và người Ngai; ", False),
        ("nga", True),
        (" ở ", False),
        ("Hà Nội", True),
    ]
    long = highlight("lời " * 200, [], limit=50)
    assert len(long[0].text) <= 52 and long[0].text.endswith("…")


def test_only_http_links_survive() -> None:
    assert safe_link("https://hanoimoi.vn/a.html") == "https://hanoimoi.vn/a.html"
    assert safe_link("javascript:alert(1)") == "#"
    assert safe_link("data:text/html,x") == "#"


# --------------------------------------------------------------------------- never lost, never twice


def test_refused_then_retried_exactly_once_then_nothing(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    ids = {env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi"), env.add(RU_TITLE, RU_BODY, RU_LEAD, "ru")}
    sink.data_reply = TRY_LATER

    first = run_digest(env.config, env.db, now=NOW)

    assert first.status == "pending" and "451" in first.error
    assert sink.messages == []
    digest = DigestStore(env.db).get(first.digest_id)
    assert digest.status == "pending" and digest.sent_at is None and digest.attempts == 1
    assert delivered_article_ids(env.db) == []

    sink.data_reply = None
    second = run_digest(env.config, env.db, now=NOW + timedelta(hours=1))

    assert second.retried == [first.digest_id]
    # Nothing new beyond the retried digest: the run says what it delivered, not "empty".
    assert second.status == "sent" and second.digest_id == first.digest_id and second.item_count == 2
    assert second.delivered == [
        {
            "digest_id": first.digest_id,
            "status": "sent",
            "to": ["analyst@example.org", "desk@example.org"],
            "outbox_path": None,
        }
    ]
    assert sink.wait_for(1) and len(sink.messages) == 1
    assert sink.messages[0]["Message-ID"] == first.message_id  # the same mail, not a new one
    text, _ = parts(sink.messages[0])
    assert VI_TITLE in text and RU_TITLE in text
    assert sorted(delivered_article_ids(env.db)) == sorted(ids)

    third = run_digest(env.config, env.db, now=NOW + timedelta(hours=2))
    assert third.status == "empty" and third.retried == []
    assert len(sink.messages) == 1


def test_unreachable_server_leaves_pending_and_new_articles_wait(env: Env, sink: SmtpSink) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    env.configure(
        f'[digest]\nrecipients = ["a@example.org"]\n[smtp]\nhost = "127.0.0.1"\nport = {dead_port}\n'
        'security = "none"\ntimeout_seconds = 3\n'
    )
    a = env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")

    first = run_digest(env.config, env.db, now=NOW)
    assert first.status == "pending" and "ConnectionRefusedError" in first.error

    b = env.add(RU_TITLE, RU_BODY, RU_LEAD, "ru")  # arrives while the server is down
    second = run_digest(env.config, env.db, now=NOW + timedelta(hours=1))
    assert second.status == "pending" and second.retried == [first.digest_id]
    assert len(DigestStore(env.db).all()) == 1  # no second pending digest piled up

    smtp_to(env, sink)
    third = run_digest(env.config, env.db, now=NOW + timedelta(hours=2))
    assert third.retried == [first.digest_id] and third.status == "sent"
    assert sink.wait_for(2) and len(sink.messages) == 2
    assert sink.messages[0]["Message-ID"] == first.message_id
    assert VI_TITLE in parts(sink.messages[0])[0] and RU_TITLE not in parts(sink.messages[0])[0]
    assert RU_TITLE in parts(sink.messages[1])[0] and VI_TITLE not in parts(sink.messages[1])[0]
    delivered = delivered_article_ids(env.db)
    assert sorted(delivered) == sorted({a, b}) and len(delivered) == len(set(delivered))


def test_no_article_in_two_sent_digests_over_many_runs(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    added = []
    for round_ in range(4):
        added.append(env.add(f"{VI_TITLE} (đợt {round_})", VI_BODY + f" Đợt {round_}.", VI_LEAD, "vi"))
        sink.data_reply = TRY_LATER if round_ == 1 else None
        run_digest(env.config, env.db, now=NOW + timedelta(hours=round_))
    delivered = delivered_article_ids(env.db)
    assert sorted(delivered) == sorted(added)
    assert len(delivered) == len(set(delivered))
    with env.db.session() as session:
        assert len(session.exec(select(DigestItem)).all()) == len(added)
    ids = [m["Message-ID"] for m in sink.messages]
    # Four digests, four mails: round 1's refused digest went out at the start of round 2, then round 2's own.
    assert len(ids) == len(set(ids)) == 4


def test_crash_between_accepted_and_marked_resends_same_message_id(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    sink.data_reply = TRY_LATER
    first = run_digest(env.config, env.db, now=NOW)
    sink.data_reply = None
    # A process claimed the deliveries for sending and died before marking them.
    store, deliveries = DigestStore(env.db), DeliveryStore(env.db)
    stale = timedelta(minutes=10)
    claimed = deliveries.claim(first.digest_id, stale_after=stale, now=NOW + timedelta(minutes=6))
    assert sorted(d.destination for d in claimed) == ["analyst@example.org", "desk@example.org"]
    # While that claim is fresh, nobody else sends it.
    fresh = run_digest(env.config, env.db, now=NOW + timedelta(minutes=7))
    assert fresh.status == "empty" and fresh.retried == [] and sink.messages == []
    assert deliveries.claim(first.digest_id, stale_after=stale, now=NOW + timedelta(minutes=8)) == []
    # Once stale, it is reclaimed and sent with the Message-ID it always had.
    later = run_digest(env.config, env.db, now=NOW + timedelta(hours=1))
    assert later.retried == [first.digest_id]
    assert sink.wait_for(1) and sink.messages[0]["Message-ID"] == first.message_id
    assert store.get(first.digest_id).status == "sent"


def test_empty_digest_skipped_or_sent_as_nothing_new(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    env.add("Hà Nội khai mạc lễ hội hoa", "Lễ hội hoa diễn ra tại công viên Thống Nhất.", "", "vi")
    assert run_digest(env.config, env.db, now=NOW).status == "empty"
    assert sink.messages == [] and DigestStore(env.db).all() == []

    smtp_to(env, sink, "send_empty = true")
    outcome = run_digest(env.config, env.db, now=NOW)
    assert outcome.status == "sent" and outcome.item_count == 0
    assert sink.wait_for(1)
    assert sink.messages[0]["Subject"] == "Hà Nội – Nga: nothing new · 2026-11-21"
    assert "Nothing new about Hà Nội – Nga" in parts(sink.messages[0])[0]


def test_national_section_can_be_turned_off(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink, "include_national = false")
    nat = env.add(NATIONAL_TITLE, NATIONAL_BODY, "", "vi")
    env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    assert run_digest(env.config, env.db, now=NOW).status == "sent"
    text, _ = parts(sink.messages[0])
    assert NATIONAL_TITLE not in text and "Also relevant" not in text
    assert nat not in delivered_article_ids(env.db)  # not consumed: a later digest may include it


def test_dry_run_records_and_sends_nothing(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    outcome = run_digest(env.config, env.db, dry_run=True, now=NOW)
    assert outcome.status == "dry_run" and VI_TITLE in outcome.text and VI_TITLE in outcome.html
    assert sink.messages == [] and DigestStore(env.db).all() == []
    assert run_digest(env.config, env.db, now=NOW).status == "sent"


def test_since_limits_and_keeps_the_older_articles(env: Env, sink: SmtpSink) -> None:
    smtp_to(env, sink)
    old = env.add(RU_TITLE, RU_BODY, RU_LEAD, "ru", published=NOW - timedelta(days=10))
    new = env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi", published=NOW - timedelta(hours=2))
    outcome = run_digest(env.config, env.db, since=NOW - timedelta(days=1), now=NOW)
    assert outcome.status == "sent"
    assert delivered_article_ids(env.db) == [new]
    assert run_digest(env.config, env.db, now=NOW).status == "sent"  # the older one was kept, not lost
    assert sorted(delivered_article_ids(env.db)) == sorted([old, new])


# --------------------------------------------------------------------------- SMTP login and secrets


def test_login_with_password_from_environment_never_stored(env: Env, model: RelevanceModel) -> None:
    secret = "s3cret-pw-4711"
    with SmtpSink(credentials={"digest-bot": secret}) as sink:
        env.configure(
            f'[digest]\nrecipients = ["a@example.org"]\n[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\n'
            'security = "none"\nuser = "digest-bot"\ntimeout_seconds = 5\n'
        )
        env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
        wrong = run_digest(env.config, env.db, now=NOW, env={"NEWSMON_SMTP_PASSWORD": "wrong"})
        # A refused login is the operator's to fix: retried, never a reason to give up on the digest.
        assert wrong.status == "pending" and "535" in wrong.error and "app password" in wrong.error
        odd = run_digest(
            env.config, env.db, now=NOW + timedelta(minutes=10), env={"NEWSMON_SMTP_PASSWORD": "пароль"}
        )
        assert odd.status == "pending" and "non-ASCII" in odd.error and "пароль" not in odd.error
        right = run_digest(
            env.config, env.db, now=NOW + timedelta(hours=1), env={"NEWSMON_SMTP_PASSWORD": secret}
        )
        assert right.retried == [wrong.digest_id] and right.status == "sent" and sink.wait_for(1)
        assert sink.envelopes[0].mail_from == "newsmon@localhost"
    assert secret.encode() not in (env.path / "n.db").read_bytes()
    with env.db.session() as session:
        assert all(secret not in (d.last_error or "") for d in session.exec(select(Digest)).all())


def test_missing_password_is_a_clear_pending_error_without_prompting(env: Env, sink: SmtpSink) -> None:
    env.configure(
        f'[digest]\nrecipients = ["a@example.org"]\n[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\n'
        'security = "none"\nuser = "digest-bot"\n'
    )
    env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    # No NEWSMON_SMTP_PASSWORD and no usable keyring here: yagmail would call getpass();
    # pytest's captured stdin would make that raise instead of returning pending.
    outcome = run_digest(env.config, env.db, now=NOW, env={})
    assert outcome.status == "pending"
    assert "no SMTP password for digest-bot" in outcome.error and "NEWSMON_SMTP_PASSWORD" in outcome.error
    assert smtp_password(env.config, env={}) is None
    assert smtp_password(env.config, env={"NEWSMON_SMTP_PASSWORD": "x"}) == "x"


def test_starttls_is_required_when_configured(env: Env, sink: SmtpSink) -> None:
    # The sink offers no STARTTLS: a starttls config must refuse to send in clear text.
    env.configure(
        f'[digest]\nrecipients = ["a@example.org"]\n[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\n'
        'security = "starttls"\ntimeout_seconds = 5\n'
    )
    env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    outcome = run_digest(env.config, env.db, now=NOW)
    assert outcome.status == "pending" and "STARTTLS" in outcome.error.upper()
    assert sink.messages == []


# --------------------------------------------------------------------------- outbox


def test_outbox_when_no_smtp_host(env: Env) -> None:
    env.configure('[digest]\nrecipients = ["a@example.org"]\noutbox = "out"\n')
    env.add(RU_TITLE, RU_BODY, RU_LEAD, "ru")
    outcome = run_digest(env.config, env.db, now=NOW)
    assert outcome.status == "outbox"
    eml = Path(outcome.outbox_path)
    assert eml.parent == env.path / "out" and eml.name == f"20261121-073000-digest-{outcome.digest_id}.eml"
    html = eml.with_suffix(".html").read_text(encoding="utf-8")
    assert RU_TITLE in html
    import email
    import email.policy

    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["Message-ID"] == outcome.message_id and RU_TITLE in parts(msg)[0]
    assert sorted(p.name for p in eml.parent.iterdir()) == sorted([eml.name, eml.with_suffix(".html").name])
    assert run_digest(env.config, env.db, now=NOW).status == "empty"


def test_outbox_unwritable_leaves_pending(env: Env) -> None:
    (env.path / "blocker").write_text("a file where the outbox folder should be")
    env.configure('[digest]\noutbox = "blocker/out"\n')
    env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    outcome = run_digest(env.config, env.db, now=NOW)
    assert outcome.status == "pending" and "cannot write to outbox" in outcome.error
    env.configure('[digest]\noutbox = "out"\n')
    assert run_digest(env.config, env.db, now=NOW + timedelta(hours=1)).retried == [outcome.digest_id]
    assert DigestStore(env.db).get(outcome.digest_id).status == "outbox"


# --------------------------------------------------------------------------- the sink itself


def test_sink_stores_messages_and_eml_files(tmp_path: Path) -> None:
    with SmtpSink(folder=tmp_path / "mail") as sink:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
            client.sendmail(
                "a@example.org", ["b@example.org"], "Subject: =?utf-8?b?0J/RgNC40LLQtdGC?=\r\n\r\nhi\r\n"
            )
        assert sink.wait_for(1)
        assert sink.messages[0]["Subject"] == "Привет"
        assert (tmp_path / "mail" / "0001.eml").exists()
        sink.reject = True
        with pytest.raises(smtplib.SMTPDataError), smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
            client.sendmail("a@example.org", ["b@example.org"], "Subject: x\r\n\r\nhi\r\n")
        assert len(sink.messages) == 1


def test_database_refuses_an_article_in_two_digests(env: Env) -> None:
    # The guarantee does not rest on the service's bookkeeping alone: a second digest run that
    # composed the same article at the same moment cannot record it.
    from storage.digests import DigestConflict, NewItem

    article = env.add(VI_TITLE, VI_BODY, VI_LEAD, "vi")
    store = DigestStore(env.db)

    def digest(n: int) -> Digest:
        return Digest(
            message_id=f"<d{n}@example.org>", subject="s", sender="a@example.org", raw_message="x", html="x"
        )

    store.create(digest(1), [NewItem(article, "core")])
    with pytest.raises(DigestConflict):
        store.create(digest(2), [NewItem(article, "core")])
    assert [d.message_id for d in store.all()] == ["<d1@example.org>"]  # the failed one left no row behind


def test_items_link_to_the_web_page_when_web_base_url_is_set(env: Env) -> None:
    article_id = env.add(VI_TITLE, VI_BODY, VI_LEAD)
    plain = run_digest(env.config, env.db, dry_run=True, now=NOW)
    assert "/articles/" not in (plain.html or "") and "Mark it on the page" not in (plain.text or "")
    env.configure('[web]\nbase_url = "https://newsmon.example.org/"\n')
    linked = run_digest(env.config, env.db, dry_run=True, now=NOW)
    page = f"https://newsmon.example.org/articles/{article_id}"
    assert f'href="{page}"' in linked.html and "Wrong? Mark it on the page" in linked.html
    assert f"Wrong? Mark it on the page: {page}" in linked.text
