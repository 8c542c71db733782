"""Story index: each article's text signature and packed story features, its LSH band keys,
its event keys, and why it joined its story."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Float, ForeignKey, Index, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime


class ArticleSignature(SQLModel, table=True):
    """One row per indexed article: what story grouping compares, computed once."""

    # Was article_signature (JSON features) before revision f5a1c7e2b9d4; `newsmon restory` fills it.
    __tablename__ = "story_signature"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    language: str = Field(max_length=8)
    # Publication time, else first-seen time: the story window is searched on this.
    story_time: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    # MinHash values (uint32, little-endian) of the normalised text's character shingles.
    minhash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # Language-neutral features (actors, places, actions, objects, numbers, dates) in the
    # compact text form monitor.stories packs them in (no JSON decode per comparison).
    packed: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Which shingling/feature rules made this row; a restory rebuilds rows of other versions.
    version: str = Field(max_length=32)


class LegacySignature(SQLModel, table=True):
    """newsmon 0.1.0's story index row (JSON features): no longer written or read, kept as it
    was so that upgrading a database loses nothing (revision f5a1c7e2b9d4 is additive)."""

    __tablename__ = "article_signature"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    language: str = Field(max_length=8)
    story_time: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    minhash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    features: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict)
    )
    version: str = Field(max_length=32)


class SignatureBand(SQLModel, table=True):
    """One LSH band of one article's MinHash: articles sharing a band key are near-duplicate candidates.

    Stored (not rebuilt in memory) so that every process, the crawler's included,
    answers "which articles are near this one" with a few index lookups.
    """

    __tablename__ = "signature_band"
    __table_args__ = (
        Index("ix_signature_band_article", "article_id"),
        Index("ix_signature_band_key_time", "band_key", "story_time"),
    )

    band_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
        )
    )
    # The article's story time (as in story_signature): near copies are searched in a window,
    # the most recent first, so a band shared by years of reprints costs a bounded range scan.
    story_time: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class StoryKey(SQLModel, table=True):
    """One event key of one article (an actor, an object, a date with a place...): articles
    sharing a key within the story window are same-event candidates, found by index range scans."""

    __tablename__ = "story_key"
    __table_args__ = (
        Index("ix_story_key_key_time", "key", "story_time"),
        Index("ix_story_key_article", "article_id"),
    )

    key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
        )
    )
    story_time: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class StoryLink(SQLModel, table=True):
    """How an article came into its story: the article it was linked to, and why."""

    __tablename__ = "story_link"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    story_id: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    how: str = Field(max_length=16)  # "duplicate" | "story" | "new"
    matched_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    score: float = Field(default=0.0, sa_column=Column(Float, nullable=False, default=0.0))
    reasons: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # one reason a line
