"""The digest run: deliver what is due, compose what is new, record it with its deliveries,
deliver it, settle it. Also the operator's hand on one digest (retry, drop), a copy to
other addresses, and a test message; the last two record nothing."""

from __future__ import annotations

import email
import email.policy
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from html import escape

from monitor.config import AppConfig
from monitor.digest.content import (
    DeliveryProblem,
    DigestContent,
    Item,
    group_stories,
    local_time,
    make_item,
    source_health,
)
from monitor.digest.delivery import (
    CHANNELS,
    PERMANENT,
    TRANSIENT,
    Attempt,
    ChannelResult,
    Message,
    claim_stale_after,
    destinations,
    send_smtp,
)
from monitor.digest.render import build_message, new_message_id, render_html, render_text
from monitor.notify.channels import CHAT, chat_destinations, digest_items
from storage import CrawlRunLog, Database
from storage.deliveries import DeliveryStore
from storage.digests import DigestConflict, DigestStore, NewItem
from storage.models import DELIVERED_STATUSES, Article, Digest, utcnow

log = logging.getLogger(__name__)

OUTCOME_STATUSES = ("sent", "outbox", "empty", "pending", "failed", "copy", "dry_run")
BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)


@dataclass
class DigestOutcome:
    """What one digest run did.

    status: sent (an SMTP server accepted it for at least one recipient), outbox (written to
    the outbox folder), empty (nothing new, nothing sent), pending (recorded, not delivered
    everywhere yet: ``error`` says why; retried with back-off), failed (refused for good
    everywhere, or nobody to send it to: its articles go into the next digest), copy (sent to
    ``--to`` addresses only, nothing recorded), dry_run (built only: ``html`` and ``text`` hold it).

    When a run delivers an earlier digest and has nothing new, status and digest_id describe
    that earlier digest. ``retried`` lists the earlier digests this run attempted;
    ``delivered`` says what went where; ``refused`` lists destinations refused for good.
    """

    status: str
    digest_id: int | None = None
    message_id: str | None = None
    item_count: int = 0
    retried: list[int] = field(default_factory=list)
    error: str | None = None
    subject: str | None = None
    outbox_path: str | None = None
    delivered: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    html: str | None = None
    text: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("html", "text")}

    def to_json(self) -> str:
        """The outcome without the digest's body: a digest child hands this to the daemon."""
        return json.dumps(self.as_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DigestOutcome:
        """Read what :meth:`to_json` wrote; ValueError when it is not such an object."""
        try:
            return cls(**json.loads(text))
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a digest outcome: {exc}") from None


@dataclass
class AttemptReport:
    """One digest's attempt in this run: what went where, what failed how."""

    digest: Digest
    sent: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # permanent
    waiting: list[tuple[str, str]] = field(default_factory=list)  # transient, retried later
    session_error: str | None = None
    outbox_path: str | None = None

    @property
    def error(self) -> str | None:
        problems = self.waiting or self.refused
        return "; ".join(dict.fromkeys(e for _, e in problems)) if problems else None


def next_attempt_at(attempts: int, now: datetime) -> datetime:
    """5 min after the first failure, then 10, 20, 40 min … at most 6 h apart."""
    return now + min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


def source_labels(config: AppConfig, names: Sequence[str]) -> dict[str, str]:
    """Each source's display name (its site spider's label), the name itself when there is none."""
    from spiders import SPIDER_LABELS

    labels = {}
    for name in names:
        source = config.sources.get(name)
        labels[name] = SPIDER_LABELS.get((source.spider if source else None) or name, name)
    return labels


def delivery_problems(db: Database, since: datetime | None, tz) -> list[DeliveryProblem]:
    """Destinations refused for good since ``since``, and digests that failed everywhere."""
    shown = 20
    problems = [
        DeliveryProblem(
            d.digest_id, d.destination, d.last_error or "refused", local_time(d.last_attempt_at, tz)
        )
        for d in DeliveryStore(db).failed_since(since, newest=shown)
    ]
    for digest in DigestStore(db).with_status(["failed"], since=since, newest=shown):
        assert digest.id is not None  # a stored row
        if not any(p.digest_id == digest.id for p in problems):
            problems.append(
                DeliveryProblem(
                    digest.id,
                    "",
                    digest.last_error or "not delivered",
                    local_time(digest.last_attempt_at or digest.created_at, tz),
                )
            )
    return problems


def compose(config: AppConfig, db: Database, articles: Sequence[Article], *, now: datetime) -> DigestContent:
    """Group, order and describe ``articles``; add the source-health and delivery footer."""
    tz = config.tz
    store = DigestStore(db)
    runs_log = CrawlRunLog(db)
    last = store.last_delivered()
    window = last.created_at if last is not None else now - timedelta(hours=24)
    runs = runs_log.since(None, window)
    sources = list(config.enabled_sources())
    names = list(dict.fromkeys([*sources, *(r.source for r in runs), *(a.source for a in articles)]))
    labels = source_labels(config, names)

    items = [make_item(group, tz, labels) for group in group_stories(articles)]
    newest_first = sorted(items, key=lambda i: (i.when, i.article_id), reverse=True)
    core = [i for i in newest_first if i.section == "core"]
    national = [i for i in newest_first if i.section == "national"]
    room = config.digest.max_items
    shown_core, shown_national = core[:room], national[: max(0, room - len(core))]
    overflow = [aid for i in core[room:] + national[len(shown_national) :] for aid in i.article_ids]
    health = source_health(
        runs,
        sources,
        {n: runs_log.last_success(n) for n in names},
        labels,
        tz,
        {n: runs_log.degradation(n) for n in names},
    )
    return DigestContent(
        topic=config.digest.topic,
        created=local_time(now, tz),
        date=now.astimezone(tz).strftime("%Y-%m-%d"),
        timezone=config.timezone,
        since=local_time(window, tz),
        core=shown_core,
        national=shown_national,
        overflow=overflow,
        health=health,
        delivery=delivery_problems(db, last.created_at if last is not None else None, tz),
        web_base=config.web.base_url,
    )


def _items(content: DigestContent) -> list[NewItem]:
    rows: list[NewItem] = []
    for section, items in (("core", content.core), ("national", content.national)):
        item: Item
        for item in items:
            rows.append(NewItem(item.article_id, section, "headline", len(rows)))
            rows.extend(
                NewItem(o.article_id, section, "also", len(rows) + n) for n, o in enumerate(item.also_in)
            )
    rows.extend(NewItem(aid, "core", "overflow", len(rows) + n) for n, aid in enumerate(content.overflow))
    return rows


def _run_channel(
    config: AppConfig, channel: str, message: Message, dests: list[str], env: Mapping[str, str] | None
) -> ChannelResult:
    sender = CHANNELS.get(channel)
    if sender is None:
        return ChannelResult.all_failed(dests, f"unknown delivery channel {channel!r}")
    try:
        return sender(config, message, dests, env)
    except Exception as exc:  # anything unexpected must not lose the digest either
        log.exception("digest %s: unexpected error on channel %s", message.digest_id, channel)
        return ChannelResult.all_failed(dests, f"{type(exc).__name__}: {exc}")


def attempt_digest(
    config: AppConfig, db: Database, digest_id: int, *, now: datetime, env: Mapping[str, str] | None = None
) -> AttemptReport | None:
    """Claim every due delivery of one digest, attempt them (one attempt per channel), mark each,
    settle the digest. None when nothing of it was due (or another process holds it)."""
    store, deliveries = DigestStore(db), DeliveryStore(db)
    rows = deliveries.claim(digest_id, now=now, stale_after=claim_stale_after(config))
    if not rows:
        return None
    digest = store.get(digest_id)
    assert digest is not None
    items: tuple[Item, ...] = ()
    overflow = 0
    if any(row.channel == CHAT for row in rows):
        try:
            items, overflow = digest_items(config, db, digest_id)
        except Exception:  # the chat channels then fail transiently; email goes on
            log.exception("digest %s: cannot read its stories for the chat channels", digest_id)
    message = Message(
        digest_id,
        digest.sender,
        digest.raw_message,
        digest.html,
        digest.created_at.astimezone(config.tz).strftime("%Y%m%d-%H%M%S"),
        digest.subject,
        items,
        overflow,
    )
    report = AttemptReport(digest)
    give_up = now - digest.created_at >= timedelta(hours=config.digest.retry_hours)
    by_channel: dict[str, list] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    for channel, group in by_channel.items():
        result = _run_channel(config, channel, message, [r.destination for r in group], env)
        report.session_error = report.session_error or result.session_error
        report.outbox_path = report.outbox_path or result.outbox_path
        outcome: dict[str, Attempt] = {a.destination: a for a in result.attempts}
        for row in group:
            att = outcome.get(row.destination) or Attempt(
                row.destination, False, "no answer from the channel", TRANSIENT
            )
            if att.ok:
                deliveries.mark_sent([row.id], now=now)
                report.sent.append(row.destination)
                continue
            error, kind = att.error or "failed", att.kind or TRANSIENT
            if kind == TRANSIENT and give_up:
                error, kind = (
                    (
                        f"gave up after {row.attempts} attempts over {config.digest.retry_hours:g} h "
                        f"(digest.retry_hours): {error}"
                    ),
                    PERMANENT,
                )
            if kind == TRANSIENT:
                deliveries.mark_failed(
                    row.id, error, kind=kind, next_attempt_at=next_attempt_at(row.attempts, now)
                )
                report.waiting.append((row.destination, error))
            else:
                deliveries.mark_failed(row.id, error, kind=kind)
                report.refused.append((row.destination, error))
    store.note_attempt(digest_id, now=now, error=report.error, outbox_path=report.outbox_path)
    report.digest = store.settle(digest_id, now=now)
    _log(report)
    return report


def _log(report: AttemptReport) -> None:
    d = report.digest
    if report.sent:
        log.info(
            "digest %s %s to %s (%s)",
            d.id,
            "written to the outbox" if report.outbox_path else "sent",
            ", ".join(report.sent),
            d.message_id,
        )
    for dest, error in report.refused:
        log.error("digest %s refused for good for %s: %s", d.id, dest, error)
    for dest, error in report.waiting:
        log.warning("digest %s not delivered to %s yet (retried later): %s", d.id, dest, error)
    if d.status == "failed":
        log.error(
            "digest %s failed: delivered nowhere (%s); its %d article(s) go into the next digest",
            d.id,
            d.last_error or "refused",
            d.article_count,
        )


def _delivered_entry(report: AttemptReport) -> dict:
    return {
        "digest_id": report.digest.id,
        "status": report.digest.status,
        "to": report.sent,
        "outbox_path": report.outbox_path,
    }


def _record_outcome(outcome: DigestOutcome, report: AttemptReport) -> None:
    if report.sent:
        outcome.delivered.append(_delivered_entry(report))
    outcome.refused.extend(
        {"digest_id": report.digest.id, "destination": dest, "error": err} for dest, err in report.refused
    )


def _outcome_of(report: AttemptReport, base: DigestOutcome) -> DigestOutcome:
    d = report.digest
    base.status = {"pending": "pending", "failed": "failed", "dropped": "failed"}.get(d.status, d.status)
    base.digest_id, base.message_id, base.item_count, base.subject = (
        d.id,
        d.message_id,
        d.article_count,
        d.subject,
    )
    base.outbox_path = report.outbox_path
    base.error = report.error or (d.last_error if d.status == "failed" else None)
    return base


def run_digest(
    config: AppConfig,
    db: Database,
    *,
    dry_run: bool = False,
    to: list[str] | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
    compose_new: bool = True,
) -> DigestOutcome:
    """Deliver what is due of earlier digests, then build, record and deliver a digest of what is new.

    New means: relevant (core, plus national when ``digest.include_national``) and in no live
    digest; ``since`` further limits it to articles published since then. With ``dry_run``
    nothing is recorded, retried or sent; with ``to`` a copy goes to those addresses and nothing
    is recorded (see ``send_copy``); without ``compose_new`` only what is due of earlier digests
    is delivered (the daemon does this between digests). Delivery trouble never raises.

    An earlier digest that the server could not take at all (unreachable, login refused) keeps
    the new articles back for a later digest rather than piling up undeliverable mail; one
    refused for good by some or all recipients never does.
    """
    now = now or utcnow()
    if to:
        return send_copy(config, db, to, since=since, now=now, env=env)
    outcome = DigestOutcome("empty")
    if not dry_run:
        DigestStore(db).adopt_legacy(lambda recipients: destinations(config, recipients), now=now)
        for digest_id in DeliveryStore(db).due_digest_ids(now=now, stale_after=claim_stale_after(config)):
            report = attempt_digest(config, db, digest_id, now=now, env=env)
            if report is None:
                continue
            outcome.retried.append(digest_id)
            _record_outcome(outcome, report)
            if report.session_error and report.waiting and not report.sent:
                return _outcome_of(report, outcome)
    if not compose_new:
        return _nothing_new(db, outcome, None)

    labels = ["core", "national"] if config.digest.include_national else ["core"]
    for attempt in (1, 2):
        articles = DigestStore(db).candidates(labels, since=since)
        content = compose(config, db, articles, now=now)
        if content.empty and not config.digest.send_empty:
            return _nothing_new(db, outcome, content.subject)
        html, text = render_html(content), render_text(content)
        if dry_run:
            return DigestOutcome(
                "dry_run", item_count=content.article_count, subject=content.subject, html=html, text=text
            )
        sender = config.digest.sender
        recipients = list(config.digest.recipients)
        message_id = new_message_id(sender)
        try:
            message = build_message(
                subject=content.subject,
                sender=sender,
                recipients=recipients,
                text=text,
                html=html,
                message_id=message_id,
                date=now,
                topic=content.topic,
            )
        except ValueError as exc:
            outcome.status, outcome.error = "pending", f"bad address in the digest config: {exc}"
            outcome.subject = content.subject
            return outcome
        digest = Digest(
            message_id=message_id,
            created_at=now,
            subject=content.subject,
            sender=sender,
            recipients=recipients,
            raw_message=message.as_string(),
            html=html,
            core_count=content.core_articles,
            national_count=content.national_articles,
            article_count=content.article_count,
        )
        try:
            chats = chat_destinations(config, [i.section for i in content.core + content.national])
            digest = DigestStore(db).create(digest, _items(content), destinations(config, recipients) + chats)
            break
        except DigestConflict:
            # Another digest run recorded some of these articles a moment ago: compose again without them.
            if attempt == 2:
                outcome.error = "another digest run took these articles"
                return outcome
    assert digest.id is not None  # create() returns the stored row
    report = attempt_digest(config, db, digest.id, now=now, env=env)
    if report is None:  # no destination at all: settle says failed
        report = AttemptReport(DigestStore(db).settle(digest.id, now=now))
        _log(report)
    _record_outcome(outcome, report)
    return _outcome_of(report, outcome)


def _nothing_new(db: Database, outcome: DigestOutcome, subject: str | None) -> DigestOutcome:
    """No new digest: say what earlier digest this run delivered, if any (not 'empty')."""
    if outcome.delivered:
        last = outcome.delivered[-1]
        digest = DigestStore(db).get(last["digest_id"])
        assert digest is not None  # delivered by this run a moment ago
        outcome.status = "outbox" if digest.status == "outbox" else "sent"
        outcome.digest_id, outcome.message_id = digest.id, digest.message_id
        outcome.item_count, outcome.subject, outcome.outbox_path = (
            digest.article_count,
            digest.subject,
            last["outbox_path"],
        )
        return outcome
    if outcome.retried:  # attempted, delivered nowhere new
        digest = DigestStore(db).get(outcome.retried[-1])
        assert digest is not None  # attempted by this run a moment ago
        outcome.status = "failed" if digest.status in ("failed", "dropped") else "pending"
        outcome.digest_id, outcome.message_id, outcome.subject = digest.id, digest.message_id, digest.subject
        outcome.item_count = digest.article_count
        outcome.error = digest.last_error
        return outcome
    outcome.subject = subject
    return outcome


# ----------------------------------------------------------------------------- the operator's hand


class DigestActionError(Exception):
    """--retry/--drop cannot do what was asked; the message says why."""


def retry_digest(
    config: AppConfig,
    db: Database,
    digest_id: int,
    *,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
) -> DigestOutcome:
    """Attempt one digest now, addressed to the recipients configured now (with the same
    Message-ID); a failed or dropped one first takes its articles back."""
    now = now or utcnow()
    store = DigestStore(db)
    digest = store.get(digest_id)
    if digest is None:
        raise DigestActionError(f"no digest {digest_id}")
    rows = DeliveryStore(db).for_digest(digest_id)
    recipients = list(config.digest.recipients)
    sections = {i.section for i in DigestStore(db).items(digest_id) if i.role == "headline"}
    wanted = destinations(config, recipients) + chat_destinations(config, sections)
    done = {(r.channel, r.destination) for r in rows if r.status == "sent"}
    todo = [w for w in wanted if w not in done]
    if config.smtp.host and not recipients:
        raise DigestActionError("no recipients configured: set digest.recipients or NEWSMON_DIGEST_TO")
    if not todo:
        raise DigestActionError(f"digest {digest_id} was already delivered to every configured destination")
    if digest.status in ("failed", "dropped"):
        try:
            store.reclaim(digest_id)
        except DigestConflict as exc:
            raise DigestActionError(f"{exc}; nothing to retry") from None
    email_to = [d for c, d in todo if c == "email"]
    if email_to and sorted(recipients) != sorted(digest.recipients):
        store.readdress(digest_id, recipients, _readdressed(digest.raw_message, recipients))
    for channel in dict.fromkeys(c for c, _ in todo):
        DeliveryStore(db).reopen(digest_id, channel, [d for c, d in todo if c == channel], now=now)
    outcome = DigestOutcome("pending")
    report = attempt_digest(config, db, digest_id, now=now, env=env)
    if report is None:
        raise DigestActionError(f"digest {digest_id} is being delivered by another process right now")
    _record_outcome(outcome, report)
    return _outcome_of(report, outcome)


def _readdressed(raw_message: str, recipients: list[str]) -> str:
    from monitor.digest.render import address_header

    msg = email.message_from_string(raw_message, policy=email.policy.SMTP)
    del msg["To"]
    msg["To"] = address_header(recipients)
    return msg.as_string()


def drop_digest(db: Database, digest_id: int) -> Digest:
    """Give up on a digest that was not delivered; its articles go into the next digest."""
    store = DigestStore(db)
    digest = store.get(digest_id)
    if digest is None:
        raise DigestActionError(f"no digest {digest_id}")
    if digest.status in DELIVERED_STATUSES:
        raise DigestActionError(
            f"digest {digest_id} was already delivered ({digest.status}); nothing to drop"
        )
    if digest.status == "dropped":
        return digest
    DeliveryStore(db).drop(digest_id)
    dropped = store.drop(digest_id)
    log.warning(
        "digest %s dropped by the operator; its %d article(s) go into the next digest",
        digest_id,
        digest.article_count,
    )
    return dropped


# ----------------------------------------------------------------------------- copies and tests


def send_copy(
    config: AppConfig,
    db: Database,
    to: Sequence[str],
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
) -> DigestOutcome:
    """The digest the configured recipients would get next, sent to ``to`` only: nothing is
    recorded, so the articles stay for the regular digest."""
    now = now or utcnow()
    preview = run_digest(config, db, dry_run=True, since=since, now=now)
    if preview.status == "empty":
        return preview
    if not config.smtp.host:
        return DigestOutcome(
            "pending",
            subject=preview.subject,
            error="--to needs an SMTP host ([smtp] host or NEWSMON_SMTP_HOST)",
        )
    sender = config.digest.sender
    try:
        message = build_message(
            subject=preview.subject or "",
            sender=sender,
            recipients=list(to),
            text=preview.text or "",
            html=preview.html or "",
            message_id=new_message_id(sender),
            date=now,
            topic=config.digest.topic,
        )
    except ValueError as exc:
        return DigestOutcome("pending", subject=preview.subject, error=f"bad address: {exc}")
    result = send_smtp(config, sender, list(to), message.as_string(), env)
    sent = [a.destination for a in result.attempts if a.ok]
    failed = [a for a in result.attempts if not a.ok]
    return DigestOutcome(
        "copy" if sent else "pending",
        message_id=message["Message-ID"],
        item_count=preview.item_count,
        subject=preview.subject,
        delivered=[{"digest_id": None, "status": "copy", "to": sent, "outbox_path": None}],
        refused=[{"digest_id": None, "destination": a.destination, "error": a.error} for a in failed],
        error="; ".join(dict.fromkeys(a.error or "" for a in failed)) or None,
    )


def send_test(
    config: AppConfig,
    to: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
) -> ChannelResult:
    """A short test message through the configured SMTP server to ``to`` (default: the
    configured recipients). Records nothing."""
    from monitor.digest.delivery import smtp_port

    now = now or utcnow()
    recipients = list(to or config.digest.recipients)
    if not config.smtp.host:
        return ChannelResult.all_failed(
            recipients or ["(nobody)"],
            "no SMTP host configured ([smtp] host or "
            "NEWSMON_SMTP_HOST): digests are written to the outbox folder instead",
        )
    if not recipients:
        return ChannelResult.all_failed(
            ["(nobody)"], "no recipients: set digest.recipients or NEWSMON_DIGEST_TO, or name one with --to"
        )
    sender = config.digest.sender
    text = (
        f"This is a test message from newsmon (`newsmon digest --test`), sent through "
        f"{config.smtp.host}:{smtp_port(config)} ({config.smtp.security}) as {config.smtp.user or sender}.\n"
        "If you can read it, digests will reach you. Nothing was recorded.\n"
    )
    html = f"<!DOCTYPE html><html><body><p>{escape(text)}</p></body></html>"
    try:
        message = build_message(
            subject=f"{config.digest.topic}: newsmon test message",
            sender=sender,
            recipients=recipients,
            text=text,
            html=html,
            message_id=new_message_id(sender),
            date=now,
            topic=config.digest.topic,
        )
    except ValueError as exc:
        return ChannelResult.all_failed(recipients, f"bad address: {exc}")
    return send_smtp(config, sender, recipients, message.as_string(), env)
