"""Digests: what was (or is about to be) mailed, which articles it carried, and its deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow

# A digest's status sums up its deliveries (one per destination):
# pending: some delivery is still to be made (new, or waiting for its next attempt after a transient failure);
# sent: every delivery is finished and at least one SMTP server accepted it (a destination refused
#       permanently is recorded on its delivery row); outbox: written to the outbox folder;
# failed: no delivery succeeded and none will be retried (every destination refused permanently, or
#         there was none): its articles are released for the next digest;
# dropped: an operator gave up on it (`newsmon digest --drop`): its articles are released too.
DIGEST_STATUSES = ("pending", "sent", "outbox", "failed", "dropped")
DELIVERED_STATUSES = ("sent", "outbox")
RELEASED_STATUSES = ("failed", "dropped")

# One delivery of one digest to one destination of one channel:
# pending → sending (claimed by one process for one attempt) → sent; or back to pending with a
# next_attempt_at after a transient failure; or failed after a permanent one; dropped by an operator.
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "dropped")
ERROR_KINDS = ("transient", "permanent")


class Digest(SQLModel, table=True):
    """One digest mail, recorded with its finished message before any attempt to send it."""

    __tablename__ = "digest"
    # (status, id): digests in a status (pending ones for the sender), and the newest delivered
    # one from the index's end, whatever the history.
    __table_args__ = (Index("ix_digest_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    # Stable across retries, so a resend after a crash is recognisable as the same mail.
    message_id: str = Field(unique=True, max_length=255)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
    status: str = Field(default="pending", max_length=16)
    subject: str
    sender: str = Field(max_length=320)
    # The recipients it was made for (its To: header); per-recipient state lives in Delivery.
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    # The exact RFC 5322 message: a retry sends these bytes again, never a re-rendering.
    raw_message: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    core_count: int = 0
    national_count: int = 0
    article_count: int = 0
    attempts: int = 0
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = None
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    outbox_path: str | None = None


class DigestItem(SQLModel, table=True):
    """One article in one digest. The partial unique index on article_id (over items not
    released) is the database's own guarantee that no article is ever in two live digests,
    so never in two sent ones; a failed or dropped digest releases its items, keeping them
    as history, and its articles go into the next digest."""

    __tablename__ = "digest_item"
    __table_args__ = (
        Index(
            "uq_digest_item_live_article",
            "article_id",
            unique=True,
            sqlite_where=text("released = 0"),
            postgresql_where=text("NOT released"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    section: str = Field(max_length=16)  # core | national
    # headline: shown as an item; also: listed under a headline as another source of the
    # same story; overflow: beyond digest.max_items, counted in the footer only.
    role: str = Field(default="headline", max_length=16)
    position: int = 0
    released: bool = Field(default=False)


class Delivery(SQLModel, table=True):
    """One digest to one destination over one channel: the outbox row a sender claims, attempts,
    and marks. Recorded with the digest, before any attempt; marked sent only on success.

    channel: ``email`` (destination: an address), ``outbox`` (destination: the folder), and
    any later channel (e.g. a chat service, destination: its URL's name) with the same rules.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("digest_id", "channel", "destination", name="uq_delivery_destination"),
    )

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True)
    channel: str = Field(max_length=32)
    destination: str = Field(max_length=2048)
    status: str = Field(default="pending", index=True, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = None
    error_kind: str | None = Field(default=None, max_length=16)  # transient | permanent
    # A random token of the process that claimed it for its current attempt.
    claim: str | None = Field(default=None, max_length=64)
