"""Read-only queries for browsing the archive (the web page, the feed, the JSON API).

Every query here is bounded (a page, a limit) so its cost does not grow with history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from storage.db import Database
from storage.models import Article, Digest, row_id
from storage.search import SearchFilters


@dataclass(frozen=True)
class StoryKey:
    """One item of a listing: a story (``story_id``) or an article standing alone (``article_id``)."""

    story_id: int | None
    article_id: int | None
    latest: datetime | None


def _when():
    return func.coalesce(col(Article.published_at), col(Article.first_seen_at))


def _filtered(stmt, filters: SearchFilters, *, walk: bool = False):
    """``filters`` as WHERE clauses. ``walk``: the query walks the publication-date index, so the
    filtered columns are wrapped (coalesce) to keep the planner from choosing their own, barely
    selective indexes and sorting every match instead."""

    def column(c):
        return func.coalesce(c, "") if walk else c

    if filters.labels:
        stmt = stmt.where(column(col(Article.label)).in_(list(filters.labels)))
    if filters.sources:
        stmt = stmt.where(column(col(Article.source)).in_(list(filters.sources)))
    if filters.languages:
        stmt = stmt.where(column(col(Article.language)).in_(list(filters.languages)))
    if filters.since is not None:
        stmt = stmt.where(_when() >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(_when() < filters.until)
    return stmt


class Archive:
    def __init__(self, db: Database) -> None:
        self.db = db

    def story_page(
        self, filters: SearchFilters, *, limit: int, offset: int = 0, chunk: int = 500
    ) -> tuple[list[StoryKey], bool]:
        """Stories (and lone articles) with an article matching ``filters``, newest report first,
        and whether there are more. Walks the publication-date index from the newest article,
        so a page costs the same however long the history (deep pages cost their offset)."""
        stmt = _filtered(
            select(Article.id, Article.story_id, Article.published_at), filters, walk=True
        ).order_by(col(Article.published_at).desc(), col(Article.id).desc())
        seen: set[int] = set()
        keys: list[StoryKey] = []
        position = 0
        with self.db.session() as session:
            while True:
                rows = session.exec(stmt.limit(chunk).offset(position)).all()
                for article_id, story_id, published in rows:
                    key = story_id if story_id is not None else -article_id
                    if key in seen:
                        continue
                    seen.add(key)
                    if len(seen) > offset:
                        if len(keys) == limit:
                            return keys, True
                        keys.append(
                            StoryKey(
                                story_id=story_id,
                                article_id=None if story_id else article_id,
                                latest=published,
                            )
                        )
                if len(rows) < chunk:
                    return keys, False
                position += chunk

    def members(self, keys: Sequence[StoryKey], labels: Sequence[str] = ()) -> dict[StoryKey, list[Article]]:
        """The articles of each listed story (restricted to ``labels`` when given)."""
        story_ids = [k.story_id for k in keys if k.story_id is not None]
        article_ids = [k.article_id for k in keys if k.article_id is not None]
        found: list[Article] = []
        with self.db.session() as session:
            if story_ids:
                # Labels are checked here, not in SQL, so the story_id index is the one used.
                stmt = select(Article).where(col(Article.story_id).in_(story_ids))
                found += [a for a in session.exec(stmt) if not labels or a.label in labels]
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
            group = (
                by_story.get(k.story_id, [])
                if k.story_id is not None
                else [by_id[k.article_id]]
                if k.article_id in by_id
                else []
            )
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
            return {
                row_id(a): a
                for a in session.exec(select(Article).where(col(Article.id).in_(list(article_ids))))
            }

    def story(self, story_id: int, *, limit: int = 200) -> list[Article]:
        with self.db.session() as session:
            stmt = (
                select(Article)
                .where(col(Article.story_id) == story_id)
                .order_by(_when(), col(Article.id))
                .limit(limit)
            )
            return list(session.exec(stmt))

    def recent(self, filters: SearchFilters, *, limit: int) -> list[Article]:
        """The newest articles first stored matching ``filters`` (for feeds)."""
        stmt = _filtered(select(Article), filters, walk=True).order_by(col(Article.id).desc()).limit(limit)
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
        columns = [
            col(Digest.id),
            col(Digest.created_at),
            col(Digest.status),
            col(Digest.subject),
            col(Digest.recipients),
            col(Digest.article_count),
            col(Digest.attempts),
            col(Digest.last_error),
            col(Digest.sent_at),
        ]
        with self.db.session() as session:
            rows = session.execute(sa_select(*columns).order_by(col(Digest.id).desc()).limit(limit)).all()
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
