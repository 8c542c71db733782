"""Digest records: created with their items and deliveries in one transaction, then settled.

The order of events is what keeps digests from being lost or sent twice:
the digest, its items and one delivery row per destination are committed (``create``)
before any attempt; deliveries are claimed, attempted and marked one by one
(storage.deliveries); ``settle`` then sums the deliveries up into the digest's status.
A digest that no destination will ever take (``failed``) or that an operator dropped
releases its items, so its articles go into the next digest; the release keeps them
as history, and the partial unique index keeps every article in at most one live digest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.db import Database, newest_id_with_status
from storage.models import (
    DELIVERED_STATUSES,
    RELEASED_STATUSES,
    Article,
    Delivery,
    Digest,
    DigestItem,
    row_id,
    utcnow,
)

# Loader options that leave a digest's message and HTML unread (large, and never needed when
# listing digests). Digest.raw_message is an ORM attribute at run time; SQLModel types it as str.
_WITHOUT_BODIES = (
    defer(cast("QueryableAttribute[Any]", Digest.raw_message)),
    defer(cast("QueryableAttribute[Any]", Digest.html)),
)

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
        """Articles with one of ``labels`` that are in no live digest, oldest first.

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
            return int(session.execute(stmt).scalar_one())

    def candidates_query(
        self, labels: Sequence[str], *, since: datetime | None = None, seen_after: datetime | None = None
    ) -> SelectOfScalar[Article]:
        """The SELECT behind ``candidates`` (tests check its plan). ``seen_after`` defaults to
        NEW_ARTICLE_GRACE before the last delivered digest (unbounded before the first)."""
        if seen_after is None:
            last = self.last_delivered()
            seen_after = last.created_at - NEW_ARTICLE_GRACE if last is not None else None
        in_a_digest = exists().where(
            col(DigestItem.article_id) == col(Article.id), col(DigestItem.released).is_(False)
        )
        stmt = select(Article).where(col(Article.label).in_(list(labels)), ~in_a_digest)
        if seen_after is not None:
            stmt = stmt.where(col(Article.first_seen_at) >= seen_after)
        if since is not None:
            stmt = stmt.where(
                (col(Article.published_at) >= since)
                | (col(Article.published_at).is_(None) & (col(Article.first_seen_at) >= since))
            )
        return stmt

    def create(
        self, digest: Digest, items: Sequence[NewItem], deliveries: Sequence[tuple[str, str]] = ()
    ) -> Digest:
        """Record a pending digest, its items and its deliveries ((channel, destination) pairs)
        in one transaction."""
        digest.status = "pending"
        try:
            with self.db.session() as session:
                session.add(digest)
                session.flush()
                for item in items:
                    session.add(
                        DigestItem(
                            digest_id=row_id(digest),
                            article_id=item.article_id,
                            section=item.section,
                            role=item.role,
                            position=item.position,
                        )
                    )
                for channel, destination in dict.fromkeys(deliveries):
                    session.add(
                        Delivery(
                            digest_id=row_id(digest),
                            channel=channel,
                            destination=destination,
                            next_attempt_at=digest.created_at,
                        )
                    )
                session.flush()
        except IntegrityError as exc:
            raise DigestConflict(str(exc.orig)) from None
        return digest

    def adopt_legacy(
        self, destinations: Callable[[list[str]], Sequence[tuple[str, str]]], *, now: datetime
    ) -> list[int]:
        """Give digests recorded before per-recipient delivery (pending or sending, no delivery rows)
        their rows, due now; their ids."""
        with self.db.session() as session:
            legacy = list(
                session.exec(
                    select(Digest).where(
                        col(Digest.status).in_(("pending", "sending")),
                        col(Digest.id).not_in(select(Delivery.digest_id)),
                    )
                ).all()
            )
            for digest in legacy:
                digest.status = "pending"
                session.add(digest)
                for channel, destination in dict.fromkeys(destinations(list(digest.recipients))):
                    session.add(
                        Delivery(
                            digest_id=row_id(digest),
                            channel=channel,
                            destination=destination,
                            next_attempt_at=now,
                        )
                    )
            return [row_id(d) for d in legacy]

    def get(self, digest_id: int) -> Digest | None:
        with self.db.session() as session:
            return session.get(Digest, digest_id)

    def items(self, digest_id: int) -> list[DigestItem]:
        with self.db.session() as session:
            return list(
                session.exec(
                    select(DigestItem)
                    .where(DigestItem.digest_id == digest_id)
                    .order_by(col(DigestItem.position))
                ).all()
            )

    def note_attempt(
        self, digest_id: int, *, now: datetime, error: str | None, outbox_path: str | None = None
    ) -> None:
        """Count one attempt on the digest and keep its latest error (None: it went through)."""
        values: dict = {
            "attempts": col(Digest.attempts) + 1,
            "last_attempt_at": now,
            "last_error": error[:2000] if error else None,
        }
        if outbox_path:
            values["outbox_path"] = outbox_path
        with self.db.session() as session:
            session.execute(update(Digest).where(col(Digest.id) == digest_id).values(**values))

    def settle(self, digest_id: int, *, now: datetime | None = None) -> Digest:
        """Sum the deliveries up into the digest's status; a digest that failed everywhere releases
        its articles. Dropped digests stay dropped."""
        now = now or utcnow()
        with self.db.session() as session:
            digest = session.get(Digest, digest_id)
            if digest is None:
                raise LookupError(f"no digest {digest_id}")
            if digest.status == "dropped":
                return digest
            rows = list(session.exec(select(Delivery).where(Delivery.digest_id == digest_id)).all())
            sent = [r for r in rows if r.status == "sent"]
            if any(r.status in ("pending", "sending") for r in rows):
                status = "pending"
            elif sent:
                status = "outbox" if all(r.channel == "outbox" for r in sent) else "sent"
                digest.sent_at = digest.sent_at or max((r.sent_at for r in sent if r.sent_at), default=now)
            else:
                status = "failed"
                if not rows:
                    digest.last_error = (
                        digest.last_error or "no recipients: set digest.recipients or NEWSMON_DIGEST_TO"
                    )
            digest.status = status
            session.add(digest)
            if status in RELEASED_STATUSES:
                session.execute(
                    update(DigestItem).where(col(DigestItem.digest_id) == digest_id).values(released=True)
                )
            return digest

    def drop(self, digest_id: int) -> Digest:
        """Mark a digest dropped and release its articles (its unfinished deliveries are the caller's)."""
        with self.db.session() as session:
            digest = session.get(Digest, digest_id)
            if digest is None:
                raise LookupError(f"no digest {digest_id}")
            digest.status = "dropped"
            session.add(digest)
            session.execute(
                update(DigestItem).where(col(DigestItem.digest_id) == digest_id).values(released=True)
            )
            return digest

    def reclaim(self, digest_id: int) -> Digest:
        """Take a failed or dropped digest's articles back (for a retry); DigestConflict if another
        digest has taken some of them since."""
        try:
            with self.db.session() as session:
                digest = session.get(Digest, digest_id)
                if digest is None:
                    raise LookupError(f"no digest {digest_id}")
                session.execute(
                    update(DigestItem).where(col(DigestItem.digest_id) == digest_id).values(released=False)
                )
                digest.status = "pending"
                session.add(digest)
                session.flush()
        except IntegrityError:
            raise DigestConflict(f"the articles of digest {digest_id} went into a later digest") from None
        return digest

    def readdress(self, digest_id: int, recipients: list[str], raw_message: str) -> None:
        with self.db.session() as session:
            session.execute(
                update(Digest)
                .where(col(Digest.id) == digest_id)
                .values(recipients=recipients, raw_message=raw_message)
            )

    def last_delivered(self) -> Digest | None:
        """The newest delivered digest, without its message and HTML (never needed here)."""
        with self.db.session() as session:
            return session.exec(last_delivered_query()).first()

    def with_status(
        self, statuses: Sequence[str], *, since: datetime | None = None, newest: int | None = None
    ) -> list[Digest]:
        """Digests in ``statuses`` (made since ``since``; only the ``newest`` N), oldest first,
        without their message and HTML."""
        stmt = select(Digest).options(*_WITHOUT_BODIES).where(col(Digest.status).in_(list(statuses)))
        if since is not None:
            stmt = stmt.where(col(Digest.created_at) >= since)
        stmt = stmt.order_by(col(Digest.id).desc())
        if newest is not None:
            stmt = stmt.limit(newest)
        with self.db.session() as session:
            return list(reversed(session.exec(stmt).all()))

    def all(self) -> list[Digest]:
        with self.db.session() as session:
            return list(session.exec(select(Digest).order_by(col(Digest.id))).all())


def last_delivered_query() -> SelectOfScalar[Digest]:
    """The newest delivered digest through the (status, id) index, one probe per delivered
    status, however many digests came before it."""
    newest = newest_id_with_status(col(Digest.id), col(Digest.status), DELIVERED_STATUSES)
    return select(Digest).options(*_WITHOUT_BODIES).where(col(Digest.id) == newest)


def count_with_status_query(statuses: Sequence[str]) -> Select:
    return select(func.count()).select_from(Digest).where(col(Digest.status).in_(list(statuses)))
