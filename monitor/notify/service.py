"""Instant-mode channels: record each new story per channel, then send what is due, within each
channel's hourly cap. Also the test message to every channel (records nothing).

A story is new for a channel when none of its reports has a notification row for that channel
yet and one of them (with a label the channel takes) was first seen within ``LOOKBACK``: a channel
added to a database with years of articles starts with today's, not with the backlog.

Rows are recorded before any attempt and sent with the outbox rules of digests (storage.notifications):
marked sent only on success, retried with back-off after a transient failure (5xx, no connection)
for digest.retry_hours, failed for good after a permanent one (4xx), which blocks nothing newer.
The cap: at most ``max_per_hour`` messages in any hour. When more stories are due than messages
are left this hour, the last message left folds all the rest into one; with none left, they wait
and are folded into the next message the cap allows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from monitor.config import AppConfig, NotifyConfig
from monitor.digest.content import Item, make_item
from monitor.digest.delivery import PERMANENT, TRANSIENT, Attempt, claim_stale_after
from monitor.notify.channels import target
from monitor.notify.send import post, service_of
from monitor.notify.text import instant_message
from storage import Database
from storage.models import Notification, row_id, utcnow
from storage.notifications import NewStory, NotificationStore

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=24)
HOUR = timedelta(hours=1)


@dataclass
class ChannelReport:
    """What one run did for one instant channel."""

    name: str
    service: str
    recorded: int = 0  # new stories recorded
    messages: int = 0  # messages sent
    stories: int = 0  # stories those messages carried
    waiting: int = 0  # stories still pending after this run (cap, or retried later)
    retry: list[str] = field(default_factory=list)  # transient failures: retried later
    refused: list[str] = field(default_factory=list)  # permanent failures: not retried

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class NotifyOutcome:
    channels: list[ChannelReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.retry or c.refused for c in self.channels)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "channels": [c.as_dict() for c in self.channels]}


def instant_channels(config: AppConfig) -> list[NotifyConfig]:
    return [c for c in config.notify if c.mode == "instant"]


def new_stories(db: Database, channel: NotifyConfig, *, now: datetime) -> list[NewStory]:
    """Stories with a report of the channel's labels first seen within LOOKBACK that the channel
    has no row for (under any of their reports), oldest first."""
    from monitor.digest.content import group_stories

    store = NotificationStore(db)
    articles = store.recent_articles(channel.label, now - LOOKBACK)
    groups = group_stories(articles)
    story_ids = [g[0].story_id for g in groups if g[0].story_id is not None]
    members = store.story_members(story_ids)
    ids = {row_id(a) for g in groups for a in g} | {m for ms in members.values() for m in ms}
    known = store.known_stories(channel.name or "", story_ids, ids)
    fresh = []
    for group in groups:
        head = group[0]
        reports = [row_id(a) for a in group] + (members.get(head.story_id, []) if head.story_id else [])
        if head.story_id is not None and head.story_id in known:
            continue
        if any(("article", i) in known for i in reports):
            continue
        fresh.append(NewStory(row_id(head), head.story_id, head.label or "core"))
    return fresh


def _items(config: AppConfig, db: Database, rows: list[Notification]) -> list[Item]:
    from monitor.digest.service import source_labels

    store = NotificationStore(db)
    members = store.story_members(r.story_id for r in rows if r.story_id is not None)
    articles = store.articles([r.article_id for r in rows] + [m for ms in members.values() for m in ms])
    labels = source_labels(config, sorted({a.source for a in articles.values()}))
    items = []
    for row in rows:
        head = articles.get(row.article_id)
        if head is None:  # pruned since: say what is known
            continue
        story = members.get(row.story_id, []) if row.story_id is not None else []
        others = [articles[m] for m in story if m != head.id and m in articles]
        items.append(make_item([head, *others], config.tz, labels))
    return items


def _batches(rows: list[Notification], room: int) -> list[list[Notification]]:
    """One message per story while the cap allows; the last message left takes all the rest."""
    if len(rows) <= room:
        return [[r] for r in rows]
    return [[r] for r in rows[: room - 1]] + [rows[room - 1 :]]


def deliver(
    config: AppConfig, db: Database, channel: NotifyConfig, *, now: datetime, env: Mapping[str, str]
) -> ChannelReport:
    """Record the channel's new stories, then send what is due within its hourly cap."""
    from monitor.digest.service import next_attempt_at

    store = NotificationStore(db)
    name = channel.name or ""
    report = ChannelReport(name, channel.service if channel.url else f"${channel.url_env}")
    report.recorded = store.record(name, new_stories(db, channel, now=now), now=now)
    room = (channel.max_per_hour or 1) - store.messages_sent_since(name, now - HOUR)
    rows = store.claim(name, now=now, stale_after=claim_stale_after(config)) if room > 0 else []
    give_up = timedelta(hours=config.digest.retry_hours)
    batches = _batches(rows, room)
    for n, batch in enumerate(batches):
        ids = [row_id(r) for r in batch]
        items = _items(config, db, batch)
        if not items:
            store.mark_failed(ids, "the story's articles are gone (pruned)", kind=PERMANENT)
            continue
        title, body = instant_message(config.digest.topic, items, config.web.base_url)
        attempt: Attempt = post(target(channel), title, body, env)
        if attempt.ok:
            store.mark_sent(ids, now=now)
            report.messages += 1
            report.stories += len(batch)
            continue
        error, kind = attempt.error or "not delivered", attempt.kind or TRANSIENT
        if kind == TRANSIENT and now - min(r.created_at for r in batch) >= give_up:
            error, kind = (
                f"gave up after {config.digest.retry_hours:g} h (digest.retry_hours): {error}",
                PERMANENT,
            )
        if kind == PERMANENT:
            store.mark_failed(ids, error, kind=PERMANENT)
            report.refused.append(error)
            log.error("notify %s: %d story(ies) refused for good: %s", name, len(batch), error)
            continue
        # The service is not taking messages now: this batch and the untried ones wait together.
        rest = [row_id(r) for later in batches[n:] for r in later]
        when = next_attempt_at(max(r.attempts for r in batch), now)
        store.mark_failed(rest, error, kind=TRANSIENT, next_attempt_at=when)
        report.retry.append(error)
        log.warning(
            "notify %s: not sent, retried from %s: %s", name, when.isoformat(timespec="minutes"), error
        )
        break
    report.waiting = store.pending_count(name)
    if report.messages:
        log.info("notify %s: %d message(s), %d story(ies)", name, report.messages, report.stories)
    return report


def run_notify(
    config: AppConfig, db: Database, *, now: datetime | None = None, env: Mapping[str, str] | None = None
) -> NotifyOutcome:
    """Every instant channel in turn; one failing channel never stops the others."""
    now = now or utcnow()
    env = os.environ if env is None else env
    outcome = NotifyOutcome()
    for channel in instant_channels(config):
        try:
            outcome.channels.append(deliver(config, db, channel, now=now, env=env))
        except Exception as exc:  # a bug in one channel's run must not stop the next channel
            log.exception("notify %s: unexpected error", channel.name)
            report = ChannelReport(channel.name or "", channel.service)
            report.retry.append(f"{type(exc).__name__}: {exc}")
            outcome.channels.append(report)
    return outcome


def instant_due(config: AppConfig, db: Database, *, now: datetime | None = None) -> bool:
    """Whether an instant channel has a story due that its cap lets through now (cheap: the
    daemon asks every minute)."""
    now = now or utcnow()
    store = NotificationStore(db)
    due = set(store.due_channels(now=now, stale_after=claim_stale_after(config)))
    return any(
        c.name in due and store.messages_sent_since(c.name or "", now - HOUR) < (c.max_per_hour or 1)
        for c in instant_channels(config)
    )


def send_tests(config: AppConfig, env: Mapping[str, str] | None = None) -> list[tuple[NotifyConfig, Attempt]]:
    """A short test message to every channel; records nothing."""
    env = os.environ if env is None else env
    results = []
    for channel in config.notify:
        labels = " + ".join(channel.label)
        body = (
            f"This is a test message from newsmon (`newsmon notify --test`) to channel {channel.name} "
            f"({channel.mode} mode, {labels} stories). If you can read it, notifications will reach you. "
            "Nothing was recorded."
        )
        results.append(
            (channel, post(target(channel), f"{config.digest.topic}: newsmon test message", body, env))
        )
    return results


__all__ = ["ChannelReport", "NotifyOutcome", "instant_due", "run_notify", "send_tests", "service_of"]
