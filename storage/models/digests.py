"""Digests: what was (or is about to be) mailed, and which articles it carried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow

# pending: recorded, not yet accepted anywhere (new, or a failed send waiting for the next run);
# sending: claimed by one process for one attempt (a crash leaves it here; it is reclaimed later);
# sent: the SMTP server accepted it; outbox: written to the outbox folder (no SMTP configured).
DIGEST_STATUSES = ("pending", "sending", "sent", "outbox")
DELIVERED_STATUSES = ("sent", "outbox")


class Digest(SQLModel, table=True):
    """One digest mail, recorded with its finished message before any attempt to send it."""

    __tablename__ = "digest"

    id: int | None = Field(default=None, primary_key=True)
    # Stable across retries, so a resend after a crash is recognisable as the same mail.
    message_id: str = Field(unique=True, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True))
    status: str = Field(default="pending", index=True, max_length=16)
    subject: str
    sender: str = Field(max_length=320)
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
    """One article in one digest. The unique article_id is the database's own guarantee
    that no article is ever in two digests (so never in two sent ones)."""

    __tablename__ = "digest_item"
    __table_args__ = (UniqueConstraint("article_id", name="uq_digest_item_article"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True)
    article_id: int = Field(foreign_key="article.id")
    section: str = Field(max_length=16)  # core | national
    # headline: shown as an item; also: listed under a headline as another source of the
    # same story; overflow: beyond digest.max_items, counted in the footer only.
    role: str = Field(default="headline", max_length=16)
    position: int = 0
