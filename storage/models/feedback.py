"""Readers' corrections of relevance labels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime, utcnow


class Feedback(SQLModel, table=True):
    """One reader's correction: the label they say an article should have, and the one it had."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    label: str = Field(max_length=16)
    previous_label: str | None = Field(default=None, max_length=16)
    note: str | None = None
    # Who said so: a user name from the command line, "web" or "api".
    who: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
