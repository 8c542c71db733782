"""Read-only queries for browsing the archive (the web page, the feed, the JSON API).

Every query here is bounded (a page, a limit) so its cost does not grow with history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from storage.db import Database
from storage.models import Article, Digest
from storage.search import SearchFilters


@dataclass(frozen=True)
class StoryKey:
    """One item of a listing: a story (``story_id``) or an article standing alone (``article_id``)."""

    story_id: int | None
    article_id: int | None
    latest: datetime | None


def _when():
    return func.coalesce(col(Article.published_at), col(Article.first_seen_at))


def _filtered(stmt, filters: SearchFilters):
    if filters.labels:
        stmt = stmt.where(col(Article.label).in_(list(filters.labels)))
    if filters.sources:
        stmt = stmt.where(col(Article.source).in_(list(filters.sources)))
    if filters.languages:
        stmt = stmt.where(col(Article.language).in_(list(filters.languages)))
    if filters.since is not None:
        stmt = stmt.where(_when() >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(_when() < filters.until)
    return stmt


class Archive:
    def __init__(self, db: Database) -> None:
        self.db = db

    def story_page(self, filters: SearchFilters, *, limit: int, offset: int = 0) -> tuple[list[StoryKey], int]:
        """Stories (and lone articles) with an article matching ``filters``, newest first."""
        # A lone article is its own group: -id never collides with a story id (always > 0).
        key = func.coalesce(col(Article.story_id), -col(Article.id)).label("key")
        latest = func.max(_when()).label("latest")
        grouped = _filtered(select(key, latest), filters).group_by(key).subquery()
        with self.db.session() as session:
            total = session.exec(select(func.count()).select_from(grouped)).one()
            rows = session.exec(
                select(grouped.c.key, grouped.c.latest)
                .order_by(grouped.c.latest.desc(), grouped.c.key.desc())
                .limit(limit).offset(offset)
            ).all()
        keys = [StoryKey(story_id=k if k > 0 else None, article_id=-k if k < 0 else None, latest=t) for k, t in rows]
        return keys, int(total)

    def members(self, keys: Sequence[StoryKey], labels: Sequence[str] = ()) -> dict[StoryKey, list[Article]]:
        """The articles of each listed story (restricted to ``labels`` when given)."""
        story_ids = [k.story_id for k in keys if k.story_id is not None]
        article_ids = [k.article_id for k in keys if k.article_id is not None]
        found: list[Article] = []
        with self.db.session() as session:
            if story_ids:
                stmt = select(Article).where(col(Article.story_id).in_(story_ids))
                if labels:
                    stmt = stmt.where(col(Article.label).in_(list(labels)))
                found += list(session.exec(stmt))
            if article_ids:
                found += list(session.exec(select(Article).where(col(Article.id).in_(article_ids))))
        by_story: dict[int, list[Article]] = {}
        by_id: dict[int, Article] = {}
        for article in found:
            if article.story_id is not None and article.story_id in story_ids:
                by_story.setdefault(article.story_id, []).append(article)
            if article.id in article_ids:
                by_id[article.id] = article
        out: dict[StoryKey, list[Article]] = {}
        for k in keys:
            group = by_story.get(k.story_id, []) if k.story_id is not None else [by_id[k.article_id]] if k.article_id in by_id else []
            if group:
                out[k] = group
        return out

    def article(self, article_id: int) -> Article | None:
        with self.db.session() as session:
            return session.get(Article, article_id)

    def articles(self, article_ids: Sequence[int]) -> dict[int, Article]:
        if not article_ids:
            return {}
        with self.db.session() as session:
            return {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(list(article_ids))))}

    def story(self, story_id: int, *, limit: int = 200) -> list[Article]:
        with self.db.session() as session:
            stmt = select(Article).where(col(Article.story_id) == story_id).order_by(_when(), col(Article.id)).limit(limit)
            return list(session.exec(stmt))

    def recent(self, filters: SearchFilters, *, limit: int) -> list[Article]:
        """The newest articles first stored matching ``filters`` (for feeds)."""
        stmt = _filtered(select(Article), filters).order_by(col(Article.id).desc()).limit(limit)
        with self.db.session() as session:
            return list(session.exec(stmt))

    def count(self, filters: SearchFilters) -> int:
        with self.db.session() as session:
            return int(session.exec(_filtered(select(func.count()).select_from(Article), filters)).one())

    def sources(self) -> list[str]:
        with self.db.session() as session:
            return sorted(session.exec(select(Article.source).distinct()))

    def source_counts(self) -> dict[str, int]:
        with self.db.session() as session:
            return dict(session.exec(select(Article.source, func.count()).group_by(Article.source)).all())

    def recent_digests(self, *, limit: int = 20) -> list[DigestSummary]:
        columns = (Digest.id, Digest.created_at, Digest.status, Digest.subject, Digest.recipients,
                   Digest.article_count, Digest.attempts, Digest.last_error, Digest.sent_at)
        with self.db.session() as session:
            rows = session.exec(select(*columns).order_by(col(Digest.id).desc()).limit(limit)).all()
        return [DigestSummary(*row) for row in rows]


@dataclass(frozen=True)
class DigestSummary:
    id: int
    created_at: datetime
    status: str
    subject: str
    recipients: list[str]
    article_count: int
    attempts: int
    last_error: str | None
    sent_at: datetime | None
