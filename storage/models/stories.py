"""Story index: each article's text signature and story features, and its LSH band keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from storage.models.types import UTCDateTime


class ArticleSignature(SQLModel, table=True):
    """One row per indexed article: what story grouping compares, computed once."""

    __tablename__ = "article_signature"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    language: str = Field(max_length=8)
    # Publication time, else first-seen time: the story window is searched on this.
    story_time: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    # MinHash values (uint32, little-endian) of the normalised text's character shingles.
    minhash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # Language-neutral features (places, people, numbers, dates) as monitor.stories made them.
    features: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    # Which shingling/feature rules made this row; a restory rebuilds rows of other versions.
    version: str = Field(max_length=32)


class SignatureBand(SQLModel, table=True):
    """One LSH band of one article's MinHash: articles sharing a band key are near-duplicate candidates.

    Stored (not rebuilt in memory) so that every process, the crawler's included,
    answers "which articles are near this one" with a few index lookups.
    """

    __tablename__ = "signature_band"
    __table_args__ = (Index("ix_signature_band_article", "article_id"),)

    band_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True,
                         autoincrement=False)
    )
