"""Storing articles once, and asking what is already stored."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from storage.db import Database
from storage.fingerprint import content_fingerprint
from storage.models import Article, ArticleUrl, FailedUrl, row_id, utcnow
from storage.urls import canonicalize

# SQLite allows 999 bound parameters in old builds; stay well under it.
_BATCH = 500


class SaveOutcome(str, enum.Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class SaveResult:
    outcome: SaveOutcome
    article_id: int
    # For DUPLICATE: the canonical URL of the article it duplicates.
    duplicate_of: str | None = None


# Fields a re-crawl may change; the rest (id, first_seen_at, story) belong to the stored article.
_UPDATABLE = (
    "title",
    "lead",
    "body",
    "author",
    "tags",
    "layers",
    "language",
    "published_at",
    "content_hash",
    "label",
    "score",
    "reasons",
    "relevance_version",
)


class ArticleStore:
    """The articles table seen as a set of articles keyed by canonical URL and content."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, article: Article, *, extra_urls: Sequence[str] = ()) -> SaveResult:
        """Insert a new article, update a changed one in place, or record a duplicate.

        ``article.canonical_url`` decides identity; ``extra_urls`` (the URL the page
        was requested at, redirects, its rel=canonical) are recorded as aliases so
        a later crawl does not request them again.
        """
        with self.db.session() as session:
            return self._save(session, article, extra_urls)

    def save_many(self, articles: Sequence[tuple[Article, Sequence[str]]]) -> list[SaveResult]:
        """Save several (article, extra_urls) pairs in one transaction, in order, each as
        :meth:`save` would (a later one sees the earlier ones). All or nothing: on an
        error nothing of the batch is stored and the error is raised."""
        with self.db.session() as session:
            return [self._save(session, article, extra_urls) for article, extra_urls in articles]

    def _save(self, session, article: Article, extra_urls: Sequence[str]) -> SaveResult:
        article.canonical_url = canonicalize(article.canonical_url or article.url)
        if not article.content_hash:
            article.content_hash = content_fingerprint(article.title, article.body)
        aliases = {article.canonical_url}
        for url in (article.url, *extra_urls):
            try:
                aliases.add(canonicalize(url))
            except ValueError:
                continue
        now = utcnow()
        known = session.exec(
            select(ArticleUrl).where(col(ArticleUrl.canonical_url).in_(sorted(aliases)))
        ).all()
        existing: Article | None = None
        if known:
            # Prefer the alias that is the article's own canonical URL.
            ids = {row.article_id for row in known}
            existing = session.exec(
                select(Article).where(col(Article.id).in_(ids)).order_by(col(Article.id))
            ).first()
        if existing is not None:
            self._add_aliases(session, row_id(existing), aliases, {r.canonical_url for r in known})
            existing.fetched_at = now
            if existing.content_hash == article.content_hash:
                session.add(existing)
                return SaveResult(SaveOutcome.UNCHANGED, row_id(existing))
            for field in _UPDATABLE:
                setattr(existing, field, getattr(article, field))
            existing.updated_at = now
            session.add(existing)
            return SaveResult(SaveOutcome.UPDATED, row_id(existing))

        same_content = session.exec(
            select(Article).where(Article.content_hash == article.content_hash).order_by(col(Article.id))
        ).first()
        if same_content is not None:
            self._add_aliases(session, row_id(same_content), aliases, set())
            return SaveResult(
                SaveOutcome.DUPLICATE, row_id(same_content), duplicate_of=same_content.canonical_url
            )

        self._clear_failures(session, aliases)
        article.id = None
        article.first_seen_at = now
        article.fetched_at = now
        session.add(article)
        session.flush()
        self._add_aliases(session, row_id(article), aliases, set())
        return SaveResult(SaveOutcome.NEW, row_id(article))

    @staticmethod
    def _clear_failures(session, aliases: set[str]) -> None:
        for row in session.exec(
            select(FailedUrl).where(col(FailedUrl.canonical_url).in_(sorted(aliases)))
        ).all():
            session.delete(row)

    @staticmethod
    def _add_aliases(session, article_id: int, aliases: set[str], present: set[str]) -> None:
        for url in sorted(aliases - present):
            session.add(ArticleUrl(canonical_url=url, article_id=article_id))

    def _fetched_at(self, keys: Iterable[str]) -> dict[str, datetime]:
        keys = sorted(set(keys))
        found: dict[str, datetime] = {}
        with self.db.session() as session:
            for start in range(0, len(keys), _BATCH):
                chunk = keys[start : start + _BATCH]
                rows = session.exec(
                    select(ArticleUrl.canonical_url, Article.fetched_at)
                    .join(Article, col(Article.id) == col(ArticleUrl.article_id))
                    .where(col(ArticleUrl.canonical_url).in_(chunk))
                ).all()
                found.update({url: fetched for url, fetched in rows})
        return found

    def stale_or_unknown(self, urls: Iterable[str], refresh: timedelta | None) -> set[str]:
        """The subset of ``urls`` that should be requested: not stored (or stored longer ago
        than ``refresh``), and not a recently failed page still in its back-off."""
        urls = list(urls)
        keys = {url: canonicalize(url) for url in urls}
        known = self._fetched_at(keys.values())
        failing = self.failures(keys.values())
        now = utcnow()
        cutoff = now - refresh if refresh else None
        keep = set()
        for url, key in keys.items():
            fetched = known.get(key)
            if fetched is not None and (cutoff is None or fetched >= cutoff):
                continue
            failure = failing.get(key)
            if failure is not None and failure.retry_after() > now:
                continue
            keep.add(url)
        return keep

    def failures(self, keys: Iterable[str]) -> dict[str, FailedUrl]:
        keys = sorted(set(keys))
        found: dict[str, FailedUrl] = {}
        with self.db.session() as session:
            for start in range(0, len(keys), _BATCH):
                rows = session.exec(
                    select(FailedUrl).where(col(FailedUrl.canonical_url).in_(keys[start : start + _BATCH]))
                ).all()
                found.update({row.canonical_url: row for row in rows})
        return found

    def record_failure(self, url: str, source: str, reason: str) -> None:
        """Remember that this article page could not be read, so it is retried later, not every crawl."""
        key = canonicalize(url)
        with self.db.session() as session:
            row = session.get(FailedUrl, key)
            if row is None:
                row = FailedUrl(canonical_url=key, url=url, source=source, reason=reason[:500])
            else:
                row.attempts += 1
                row.url = row.url or url
                row.last_failed_at = utcnow()
                row.reason = reason[:500]
            session.add(row)

    def due_failures(self, source: str, limit: int = 200, now: datetime | None = None) -> list[str]:
        """URLs of ``source``'s failed article pages whose back-off has run out, longest waiting first.

        A crawl requests them whether or not the index that listed them has changed."""
        now = now or utcnow()
        due: list[str] = []
        with self.db.session() as session:
            rows = session.exec(
                select(FailedUrl)
                .where(FailedUrl.source == source)
                .order_by(col(FailedUrl.last_failed_at))
                .limit(max(limit * 10, 1000))
            ).all()
        for row in rows:
            if row.retry_after() <= now:
                due.append(row.url or row.canonical_url)
                if len(due) >= limit:
                    break
        return due

    def get(self, article_id: int) -> Article | None:
        with self.db.session() as session:
            return session.get(Article, article_id)

    def query(
        self,
        *,
        since: datetime | None = None,
        source: str | None = None,
        labels: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Article]:
        """Stored articles, newest first; ``since`` compares with publication (or first-seen) time."""
        stmt = select(Article)
        if since is not None:
            stmt = stmt.where(_published_since(since))
        if source:
            stmt = stmt.where(Article.source == source)
        if labels:
            stmt = stmt.where(col(Article.label).in_(list(labels)))
        stmt = stmt.order_by(col(Article.published_at).desc(), col(Article.id).desc())
        if limit:
            stmt = stmt.limit(limit)
        with self.db.session() as session:
            return list(session.exec(stmt).all())

    def iter_all(self, batch: int = 500, *, since: datetime | None = None) -> Iterator[Article]:
        """Every article (published since ``since``, as in :meth:`query`), in id order, a batch
        of rows at a time."""
        last = 0
        while True:
            stmt = select(Article).where(col(Article.id) > last)
            if since is not None:
                stmt = stmt.where(_published_since(since))
            with self.db.session() as session:
                rows = session.exec(stmt.order_by(col(Article.id)).limit(batch)).all()
            if not rows:
                return
            yield from rows
            last = row_id(rows[-1])

    def set_judgement(
        self, article_id: int, label: str, score: float, reasons: list[dict], version: str
    ) -> None:
        with self.db.session() as session:
            article = session.get(Article, article_id)
            if article is None:
                return
            article.label, article.score, article.reasons, article.relevance_version = (
                label,
                score,
                reasons,
                version,
            )
            session.add(article)

    def source_names(self) -> set[str]:
        """Every source that has stored articles (a source may have left the config since)."""
        with self.db.session() as session:
            return set(session.exec(select(Article.source).distinct()).all())

    def counts(self) -> dict[str, int]:
        """Stored articles by label (None → "unjudged"), plus "total"."""
        from sqlalchemy import func

        with self.db.session() as session:
            rows = session.exec(select(Article.label, func.count()).group_by(Article.label)).all()
        counts = {(label or "unjudged"): n for label, n in rows}
        counts["total"] = sum(n for _, n in rows)
        return counts


def _published_since(since: datetime):
    """Published at or after ``since``; an article with no date counts from when it was first seen."""
    return (col(Article.published_at) >= since) | (
        col(Article.published_at).is_(None) & (col(Article.first_seen_at) >= since)
    )
