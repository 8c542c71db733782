"""Instant chat notifications: one row per (channel, story), with the rules of storage.deliveries.

- ``record`` adds a pending row per new story before any attempt (a unique (channel, article)
  constraint and the story check keep a story from being recorded twice for one channel);
- ``claim`` takes the due rows of one channel for one attempt (a random token, so two processes
  never attempt a row at once; a claim older than ``stale_after`` belongs to a dead process);
- ``mark_sent`` (only on success) records which message carried them; ``mark_failed`` puts them
  back to pending with a ``next_attempt_at`` (transient) or marks them failed (permanent).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.db import Database
from storage.deliveries import claim_values, due_clause, failed_values, sent_values
from storage.models import Article, Notification, row_id


@dataclass(frozen=True)
class NewStory:
    """A story to record for a channel: its headline article, story id and label."""

    article_id: int
    story_id: int | None
    label: str


class NotificationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def recent_articles(self, labels: Sequence[str], seen_after: datetime) -> list[Article]:
        """Articles with one of ``labels`` first seen after ``seen_after``, oldest first."""
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Article)
                    .where(col(Article.label).in_(list(labels)), col(Article.first_seen_at) > seen_after)
                    .order_by(col(Article.first_seen_at), col(Article.id))
                ).all()
            )

    def known_stories(self, channel: str, story_ids: Iterable[int], article_ids: Iterable[int]) -> set:
        """Which of these stories (ids) and articles this channel already has a row for, as a set
        holding story ids and ("article", id) pairs."""
        stories, articles = list(set(story_ids)), list(set(article_ids))
        known: set = set()
        with self.db.session() as session:
            for start in range(0, max(len(stories), len(articles)), 500):
                part_s, part_a = stories[start : start + 500], articles[start : start + 500]
                rows = session.exec(
                    select(Notification.story_id, Notification.article_id).where(
                        Notification.channel == channel,
                        or_(col(Notification.story_id).in_(part_s), col(Notification.article_id).in_(part_a)),
                    )
                ).all()
                for story_id, article_id in rows:
                    if story_id is not None:
                        known.add(story_id)
                    known.add(("article", article_id))
        return known

    def story_members(self, story_ids: Iterable[int]) -> dict[int, list[int]]:
        """Every article id of each story."""
        ids = list(set(story_ids))
        members: dict[int, list[int]] = {}
        with self.db.session() as session:
            for start in range(0, len(ids), 500):
                for story_id, article_id in session.exec(
                    select(Article.story_id, Article.id).where(
                        col(Article.story_id).in_(ids[start : start + 500])
                    )
                ).all():
                    if story_id is not None and article_id is not None:
                        members.setdefault(story_id, []).append(article_id)
        return members

    def record(self, channel: str, stories: Sequence[NewStory], *, now: datetime) -> int:
        """Add a pending row per story (due now); a story another process recorded a moment ago is
        skipped. How many were added."""
        added = 0
        for story in stories:
            try:
                with self.db.session() as session:
                    session.add(
                        Notification(
                            channel=channel,
                            article_id=story.article_id,
                            story_id=story.story_id,
                            label=story.label,
                            created_at=now,
                            next_attempt_at=now,
                        )
                    )
                added += 1
            except IntegrityError:
                continue
        return added

    def claim(self, channel: str, *, now: datetime, stale_after: timedelta) -> list[Notification]:
        """Take every due row of one channel for one attempt, oldest first; [] when none is due."""
        token = uuid.uuid4().hex
        with self.db.session() as session:
            session.execute(
                update(Notification)
                .where(col(Notification.channel) == channel)
                .where(due_clause(Notification, now, stale_after))
                .values(**claim_values(Notification, token, now))
            )
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Notification)
                    .where(Notification.claim == token, Notification.status == "sending")
                    .order_by(col(Notification.created_at), col(Notification.id))
                ).all()
            )

    def _set(self, ids: Iterable[int], values: dict) -> None:
        ids = list(ids)
        if ids:
            with self.db.session() as session:
                session.execute(update(Notification).where(col(Notification.id).in_(ids)).values(**values))

    def mark_sent(self, ids: Iterable[int], *, now: datetime) -> None:
        """Rows that went out in one message (they share its token in ``message``)."""
        self._set(ids, {**sent_values(now), "message": uuid.uuid4().hex})

    def mark_failed(
        self, ids: Iterable[int], error: str, *, kind: str, next_attempt_at: datetime | None = None
    ) -> None:
        self._set(ids, failed_values(error, kind, next_attempt_at))

    def messages_sent_since(self, channel: str, since: datetime) -> int:
        """How many messages this channel was sent since ``since`` (rows sent together count once)."""
        with self.db.session() as session:
            return int(
                session.exec(
                    select(func.count(func.distinct(Notification.message))).where(
                        Notification.channel == channel,
                        Notification.status == "sent",
                        col(Notification.sent_at) >= since,
                    )
                ).one()
            )

    def oldest_sent_since(self, channel: str, since: datetime) -> datetime | None:
        with self.db.session() as session:
            return session.exec(
                select(func.min(Notification.sent_at)).where(
                    Notification.channel == channel,
                    Notification.status == "sent",
                    col(Notification.sent_at) >= since,
                )
            ).one()

    def pending_count(self, channel: str) -> int:
        with self.db.session() as session:
            return int(
                session.exec(
                    select(func.count()).where(
                        Notification.channel == channel, col(Notification.status).in_(("pending", "sending"))
                    )
                ).one()
            )

    def due_channels(self, *, now: datetime, stale_after: timedelta) -> list[str]:
        """Channels with a row to attempt now."""
        with self.db.session() as session:
            return sorted(
                set(
                    session.exec(
                        select(Notification.channel).where(due_clause(Notification, now, stale_after))
                    ).all()
                )
            )

    def rows(self, channel: str | None = None) -> list[Notification]:
        stmt = select(Notification).order_by(col(Notification.id))
        if channel is not None:
            stmt = stmt.where(Notification.channel == channel)
        with self.db.session() as session:
            return list(session.exec(stmt).all())

    def articles(self, ids: Iterable[int]) -> dict[int, Article]:
        ids = list(set(ids))
        with self.db.session() as session:
            return {
                row_id(a): a
                for start in range(0, len(ids), 500)
                for a in session.exec(select(Article).where(col(Article.id).in_(ids[start : start + 500])))
            }
