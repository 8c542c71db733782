"""The full-text search index: one row of normalised text per article."""

from __future__ import annotations

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class ArticleSearch(SQLModel, table=True):
    """What the search index holds for one article.

    ``text`` is the article's words already folded and stemmed by monitor.search, so the
    database's own full-text engine (FTS5 on SQLite, tsvector on PostgreSQL) only has to
    match whole tokens; ``content_hash`` says which version of the article it was made from.
    """

    __tablename__ = "article_search"

    article_id: int = Field(primary_key=True, foreign_key="article.id", ondelete="CASCADE")
    content_hash: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
