"""The `[[notify]]` channels as delivery destinations: which digest-mode channels a digest goes to,
and the digest in short form to each of them (the ``chat`` entry of monitor.digest.delivery.CHANNELS)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from monitor.config import AppConfig, NotifyConfig
from monitor.digest.content import Item, group_stories, make_item
from monitor.digest.delivery import PERMANENT, TRANSIENT, Attempt, ChannelResult, Message
from monitor.notify.send import ChatTarget, post
from monitor.notify.text import digest_message
from storage import Database

CHAT = "chat"
# A chat message lists at most this many stories; the rest are counted (the email has them all).
MAX_CHAT_STORIES = 15


def target(channel: NotifyConfig) -> ChatTarget:
    return ChatTarget(channel.name or "?", channel.url, channel.url_env, channel.timeout_seconds)


def channel_named(config: AppConfig, name: str) -> NotifyConfig | None:
    return next((c for c in config.notify if c.name == name), None)


def digest_channels(config: AppConfig) -> list[NotifyConfig]:
    return [c for c in config.notify if c.mode == "digest"]


def chat_destinations(config: AppConfig, sections: Iterable[str]) -> list[tuple[str, str]]:
    """(``chat``, name) for every digest-mode channel that takes at least one of ``sections``."""
    present = set(sections)
    return [(CHAT, c.name or "") for c in digest_channels(config) if present & set(c.label)]


def digest_items(config: AppConfig, db: Database, digest_id: int) -> tuple[tuple[Item, ...], int]:
    """A recorded digest's stories as in its mail (each headline with its "also in" reports, in
    order) and how many stories overflowed."""
    from monitor.digest.service import source_labels
    from storage.digests import DigestStore
    from storage.notifications import NotificationStore

    rows = DigestStore(db).items(digest_id)  # by position: a headline, then its "also" rows
    articles = NotificationStore(db).articles(r.article_id for r in rows)
    labels = source_labels(config, sorted({a.source for a in articles.values()}))
    groups: list[tuple[str, list]] = []
    overflow = []
    for row in rows:
        article = articles.get(row.article_id)
        if article is None:
            continue
        if row.role == "headline":
            groups.append((row.section, [article]))
        elif row.role == "also" and groups:
            groups[-1][1].append(article)
        elif row.role == "overflow":
            overflow.append(article)
    items = tuple(replace(make_item(group, config.tz, labels), section=section) for section, group in groups)
    return items, len(group_stories(overflow))


def send_digest(
    config: AppConfig, message: Message, destinations: Sequence[str], env: Mapping[str, str]
) -> ChannelResult:
    """One message per channel: the digest's stories of the labels the channel takes. Never sets
    ``session_error``: a chat service that is down must not hold back the next email digest."""
    attempts: list[Attempt] = []
    for name in destinations:
        channel = channel_named(config, name)
        if channel is None or channel.mode != "digest":
            attempts.append(
                Attempt(
                    name, False, f"{name}: no digest-mode [[notify]] channel of that name any more", PERMANENT
                )
            )
            continue
        items = [i for i in message.items if i.section in channel.label]
        if not items:
            attempts.append(
                Attempt(name, False, f"{name}: the digest's stories could not be read", TRANSIENT)
            )
            continue
        extra = max(0, len(items) - MAX_CHAT_STORIES) + message.overflow
        title, body = digest_message(message.subject, items[:MAX_CHAT_STORIES], extra, config.web.base_url)
        attempts.append(post(target(channel), title, body, env))
    return ChannelResult(attempts)
