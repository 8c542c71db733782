"""Digest records and their transitions: pending → sending → sent/outbox, or back to pending.

The order of events is what keeps digests from being lost or sent twice:
the digest and its items are committed (``create``) before any delivery attempt,
one process claims it (``claim``) for one attempt, and only a server's acceptance
moves it to sent (``mark_delivered``). A failure returns it to pending
(``mark_failed``) with the error, for the next run to retry with the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, func, update
from sqlalchemy.orm import defer
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.db import Database
from storage.models import DELIVERED_STATUSES, Article, Digest, DigestItem, utcnow


# An article that became relevant long after it was first seen (rescored, corrected by a
# reader) still reaches the next digest if it was first seen at most this long before the
# last delivered one; older stragglers are history, not news.
NEW_ARTICLE_GRACE = timedelta(days=7)


class DigestConflict(Exception):
    """Another digest took some of these articles first (two digest runs at once)."""


@dataclass(frozen=True)
class NewItem:
    article_id: int
    section: str
    role: str = "headline"
    position: int = 0


class DigestStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def candidates(self, labels: Sequence[str], *, since: datetime | None = None) -> list[Article]:
        """Articles with one of ``labels`` that are in no digest yet, oldest first.

        ``since`` compares with publication time (first-seen time when undated). Only articles
        first seen at most NEW_ARTICLE_GRACE before the last delivered digest are looked at,
        so the query reads the recent part of the (label, first_seen_at) index, not all history.
        """
        stmt = self.candidates_query(labels, since=since).order_by(col(Article.published_at), col(Article.id))
        with self.db.session() as session:
            return list(session.exec(stmt).all())

    def count_candidates(self, labels: Sequence[str]) -> int:
        """How many articles ``candidates`` would return, counted in SQL."""
        stmt = self.candidates_query(labels).with_only_columns(func.count()).order_by(None)
        with self.db.session() as session:
            return int(session.exec(stmt).one())

    def candidates_query(self, labels: Sequence[str], *, since: datetime | None = None,
                         seen_after: datetime | None = None) -> Select:
        """The SELECT behind ``candidates`` (tests check its plan). ``seen_after`` defaults to
        NEW_ARTICLE_GRACE before the last delivered digest (unbounded before the first)."""
        if seen_after is None:
            last = self.last_delivered()
            seen_after = last.created_at - NEW_ARTICLE_GRACE if last is not None else None
        in_a_digest = exists().where(DigestItem.article_id == Article.id)
        stmt = select(Article).where(col(Article.label).in_(list(labels)), ~in_a_digest)
        if seen_after is not None:
            stmt = stmt.where(col(Article.first_seen_at) >= seen_after)
        if since is not None:
            stmt = stmt.where(
                (col(Article.published_at) >= since)
                | (col(Article.published_at).is_(None) & (col(Article.first_seen_at) >= since))
            )
        return stmt

    def create(self, digest: Digest, items: Sequence[NewItem]) -> Digest:
        """Record a pending digest and its items in one transaction."""
        digest.status = "pending"
        try:
            with self.db.session() as session:
                session.add(digest)
                session.flush()
                for item in items:
                    session.add(DigestItem(digest_id=digest.id, article_id=item.article_id, section=item.section,
                                           role=item.role, position=item.position))
                session.flush()
        except IntegrityError as exc:
            raise DigestConflict(str(exc.orig)) from None
        return digest

    def get(self, digest_id: int) -> Digest | None:
        with self.db.session() as session:
            return session.get(Digest, digest_id)

    def items(self, digest_id: int) -> list[DigestItem]:
        with self.db.session() as session:
            return list(session.exec(
                select(DigestItem).where(DigestItem.digest_id == digest_id).order_by(col(DigestItem.position))
            ).all())

    def retryable(self, *, stale_after: timedelta, now: datetime | None = None) -> list[Digest]:
        """Pending digests, and 'sending' ones whose process evidently died, oldest first."""
        now = now or utcnow()
        with self.db.session() as session:
            return list(session.exec(
                select(Digest).where(
                    (Digest.status == "pending")
                    | ((Digest.status == "sending") & (col(Digest.last_attempt_at) < now - stale_after))
                ).order_by(col(Digest.id))
            ).all())

    def claim(self, digest_id: int, *, stale_after: timedelta, now: datetime | None = None) -> bool:
        """Take the digest for one delivery attempt; False if another process has it (or it is done).

        A conditional UPDATE, so two processes cannot both claim it.
        """
        now = now or utcnow()
        with self.db.session() as session:
            result = session.execute(
                update(Digest)
                .where(col(Digest.id) == digest_id)
                .where((col(Digest.status) == "pending")
                       | ((col(Digest.status) == "sending") & (col(Digest.last_attempt_at) < now - stale_after)))
                .values(status="sending", last_attempt_at=now, attempts=col(Digest.attempts) + 1)
            )
            return result.rowcount == 1

    def mark_delivered(self, digest_id: int, status: str, *, error: str | None = None,
                       outbox_path: str | None = None) -> Digest:
        if status not in DELIVERED_STATUSES:
            raise ValueError(f"not a delivered status: {status!r}")
        with self.db.session() as session:
            digest = session.get(Digest, digest_id)
            if digest is None:
                raise LookupError(f"no digest {digest_id}")
            digest.status = status
            digest.sent_at = utcnow()
            digest.last_error = error
            digest.outbox_path = outbox_path
            session.add(digest)
            return digest

    def mark_failed(self, digest_id: int, error: str) -> Digest:
        with self.db.session() as session:
            digest = session.get(Digest, digest_id)
            if digest is None:
                raise LookupError(f"no digest {digest_id}")
            digest.status = "pending"
            digest.last_error = error[:2000]
            session.add(digest)
            return digest

    def last_delivered(self) -> Digest | None:
        """The newest delivered digest, without its message and HTML (never needed here)."""
        with self.db.session() as session:
            return session.exec(
                select(Digest).options(defer(Digest.raw_message), defer(Digest.html))
                .where(col(Digest.status).in_(DELIVERED_STATUSES)).order_by(col(Digest.id).desc()).limit(1)
            ).first()

    def count_with_status(self, statuses: Sequence[str]) -> int:
        with self.db.session() as session:
            return int(session.exec(count_with_status_query(statuses)).one())

    def all(self) -> list[Digest]:
        with self.db.session() as session:
            return list(session.exec(select(Digest).order_by(col(Digest.id))).all())

    def delivered_article_ids(self) -> list[int]:
        """Article ids in delivered digests, one entry per (digest, article): duplicates would show."""
        with self.db.session() as session:
            return list(session.exec(
                select(DigestItem.article_id).join(Digest, col(Digest.id) == col(DigestItem.digest_id))
                .where(col(Digest.status).in_(DELIVERED_STATUSES))
            ).all())


def count_with_status_query(statuses: Sequence[str]) -> Select:
    return select(func.count()).select_from(Digest).where(col(Digest.status).in_(list(statuses)))
