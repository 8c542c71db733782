"""Delivery rows: one digest to one destination of one channel, and their transitions.

The same rules hold for every channel (email today, a chat service tomorrow):

- rows are recorded with the digest, in its transaction, before any attempt (``DigestStore.create``);
- one process claims the rows it will attempt (``claim``: a conditional UPDATE that stamps a
  random token, so two processes never attempt one row at once; a claim older than
  ``stale_after`` belongs to a process that died and may be taken over);
- only success marks a row sent (``mark_sent``); a transient failure puts it back to pending
  with a ``next_attempt_at`` (back-off); a permanent one marks it failed (``mark_failed``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import col, select

from storage.db import Database
from storage.models import Delivery, utcnow

OPEN_STATUSES = ("pending", "sending")


def due_clause(model, now: datetime, stale_after: timedelta):
    """Rows of an outbox table (Delivery, Notification) to attempt now: pending and past their
    back-off pause, or claimed by a process that has not finished within ``stale_after``."""
    pending = (col(model.status) == "pending") & (
        col(model.next_attempt_at).is_(None) | (col(model.next_attempt_at) <= now)
    )
    stale = (col(model.status) == "sending") & (col(model.last_attempt_at) < now - stale_after)
    return pending | stale


def claim_values(model, token: str, now: datetime) -> dict:
    """The columns of an outbox row claimed by one process (``token``) for one attempt."""
    return {"status": "sending", "claim": token, "last_attempt_at": now, "attempts": col(model.attempts) + 1}


def sent_values(now: datetime) -> dict:
    """The columns of an outbox row that went through."""
    return {"status": "sent", "sent_at": now, "claim": None, "next_attempt_at": None}


def failed_values(error: str, kind: str, next_attempt_at: datetime | None) -> dict:
    """The columns of an outbox row that failed: back to pending when transient with a next
    attempt, else failed for good."""
    retry = kind == "transient" and next_attempt_at is not None
    return {
        "status": "pending" if retry else "failed",
        "last_error": error[:2000],
        "error_kind": kind,
        "claim": None,
        "next_attempt_at": next_attempt_at if retry else None,
    }


def _due(now: datetime, stale_after: timedelta):
    return due_clause(Delivery, now, stale_after)


class DeliveryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def for_digest(self, digest_id: int) -> list[Delivery]:
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Delivery).where(Delivery.digest_id == digest_id).order_by(col(Delivery.id))
                ).all()
            )

    def due_digest_ids(self, *, now: datetime, stale_after: timedelta) -> list[int]:
        """Digests with a delivery to attempt now, oldest first."""
        with self.db.session() as session:
            ids = session.exec(select(Delivery.digest_id).where(_due(now, stale_after))).all()
        return sorted(set(ids))

    def open_rows(self) -> list[Delivery]:
        """Every delivery not finished yet (pending, or being attempted), oldest first."""
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Delivery).where(col(Delivery.status).in_(OPEN_STATUSES)).order_by(col(Delivery.id))
                ).all()
            )

    def claim(self, digest_id: int, *, now: datetime, stale_after: timedelta) -> list[Delivery]:
        """Take every due delivery of one digest for one attempt; [] if there is none (or another
        process has them)."""
        token = uuid.uuid4().hex
        with self.db.session() as session:
            session.execute(
                update(Delivery)
                .where(col(Delivery.digest_id) == digest_id)
                .where(_due(now, stale_after))
                .values(**claim_values(Delivery, token, now))
            )
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Delivery)
                    .where(Delivery.claim == token)
                    .where(Delivery.status == "sending")
                    .order_by(col(Delivery.id))
                ).all()
            )

    def mark_sent(self, delivery_ids: Iterable[int], *, now: datetime | None = None) -> None:
        ids = list(delivery_ids)
        if not ids:
            return
        with self.db.session() as session:
            session.execute(
                update(Delivery).where(col(Delivery.id).in_(ids)).values(**sent_values(now or utcnow()))
            )

    def mark_failed(
        self, delivery_id: int, error: str, *, kind: str, next_attempt_at: datetime | None = None
    ) -> None:
        """A transient failure with ``next_attempt_at`` goes back to pending; otherwise the row is failed."""
        with self.db.session() as session:
            session.execute(
                update(Delivery)
                .where(col(Delivery.id) == delivery_id)
                .values(**failed_values(error, kind, next_attempt_at))
            )

    def reopen(
        self, digest_id: int, channel: str, destinations: Sequence[str], *, now: datetime
    ) -> list[Delivery]:
        """Make ``destinations`` due now (new rows for new ones); rows already sent stay sent."""
        with self.db.session() as session:
            rows = {
                d.destination: d
                for d in session.exec(
                    select(Delivery).where(Delivery.digest_id == digest_id, Delivery.channel == channel)
                ).all()
            }
            for dest in destinations:
                row = rows.get(dest)
                if row is None:
                    row = Delivery(digest_id=digest_id, channel=channel, destination=dest)
                elif row.status in ("sent", "sending"):
                    continue
                row.status, row.next_attempt_at, row.claim = "pending", now, None
                session.add(row)
        return self.for_digest(digest_id)

    def drop(self, digest_id: int) -> int:
        """Give up every unfinished delivery of a digest; how many there were."""
        with self.db.session() as session:
            result = session.execute(
                update(Delivery)
                .where(col(Delivery.digest_id) == digest_id)
                .where(col(Delivery.status).in_(("pending", "failed")))
                .values(status="dropped", claim=None, next_attempt_at=None)
            )
            return cast("CursorResult[Any]", result).rowcount

    def failed_since(self, since: datetime | None, *, newest: int | None = None) -> list[Delivery]:
        """Deliveries refused for good (status failed), last attempted since ``since`` (only the
        ``newest`` N), oldest first."""
        stmt = select(Delivery).where(Delivery.status == "failed")
        if since is not None:
            stmt = stmt.where(col(Delivery.last_attempt_at) >= since)
        stmt = stmt.order_by(col(Delivery.id).desc())
        if newest is not None:
            stmt = stmt.limit(newest)
        with self.db.session() as session:
            return list(reversed(session.exec(stmt).all()))
