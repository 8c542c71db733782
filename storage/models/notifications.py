"""Instant chat notifications: which stories each `[[notify]]` channel was (or is about to be) sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    """One story to one instant-mode channel: the outbox row its sender claims, attempts and marks,
    with the rules of digest deliveries (storage.deliveries): recorded before any attempt, marked
    sent only on success, back to pending with a ``next_attempt_at`` after a transient failure,
    failed after a permanent one.

    ``article_id`` is the story's headline article when the row was recorded; the row stands for
    the whole story (``story_id``), so a later report of the same story is not sent again. Rows
    sent in one message (several stories folded into one under the hourly cap) share ``message``.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("channel", "article_id"),
        Index("ix_notification_channel_status", "channel", "status"),
        Index("ix_notification_channel_story", "channel", "story_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The [[notify]] entry's name (never its URL: that may hold a secret).
    channel: str = Field(max_length=64)
    article_id: int
    story_id: int | None = None
    label: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    last_error: str | None = None
    error_kind: str | None = Field(default=None, max_length=16)  # transient | permanent
    # A random token of the process that claimed it for its current attempt.
    claim: str | None = Field(default=None, max_length=64)
    # Shared by the rows sent together in one message (set on success).
    message: str | None = Field(default=None, max_length=64)
