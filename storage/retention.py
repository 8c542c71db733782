"""Retention: `newsmon prune` forgets what is old, never what a digest or a reader still needs.

Articles first seen before the cut-off lose their body and lead (title, URLs, label, score
and story stay); those judged ``none`` are deleted whole, with what only describes them
(their other URLs, story signature, ...). Crawl runs, HTTP validators and failed-page records
older than the cut-off are deleted too.

Kept whatever their age: articles in a digest not yet delivered or made since the cut-off,
every article of a story shown in such a digest, articles a reader gave feedback on (the
relevance model trains on their text), articles not judged yet, and each source's newest run
and newest successful run (status and the digest's health footer read them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, col

from storage.db import Database
from storage.models import (
    DELIVERED_STATUSES,
    Article,
    CrawlRun,
    Digest,
    DigestItem,
    FailedUrl,
    Feedback,
    HttpValidator,
    table_of,
)
from storage.runs import SUCCESS_STATUSES

# Rows that point at an article and make it worth keeping (the others go with it).
_KEEPERS = ("digest_item", "feedback")
_CHUNK = 500


@dataclass(frozen=True)
class PruneReport:
    """What a prune removed (with ``dry_run``: would remove)."""

    before: datetime
    dry_run: bool
    articles_deleted: int
    bodies_cleared: int
    articles_kept: int
    crawl_runs_deleted: int
    http_validators_deleted: int
    failed_urls_deleted: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["before"] = self.before.isoformat(timespec="seconds")
        return data


def _still_needed(before: datetime):
    """An SQL condition on Article: a digest or a reader still needs this article."""
    live_digest = select(col(Digest.id)).where(
        or_(col(Digest.status).not_in(DELIVERED_STATUSES), col(Digest.created_at) >= before)
    )
    in_live_digest = select(col(DigestItem.article_id)).where(col(DigestItem.digest_id).in_(live_digest))
    shown = table_of(Article).alias("shown")
    live_stories = select(shown.c.story_id).where(
        shown.c.id.in_(in_live_digest), shown.c.story_id.is_not(None)
    )
    return or_(
        col(Article.id).in_(in_live_digest),
        and_(col(Article.story_id).is_not(None), col(Article.story_id).in_(live_stories)),
        exists().where(col(Feedback.article_id) == col(Article.id)),
        col(Article.label).is_(None),
    )


def _dependents() -> list[tuple[Table, Any]]:
    """(table, column) of every other table whose rows point at article.id, keepers excluded."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "article" or table.name in _KEEPERS:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "article":
                found.append((table, fk.parent))
    return found


def _prune(conn: Connection, before: datetime) -> tuple[int, ...]:
    old = col(Article.first_seen_at) < before
    needed = _still_needed(before)
    kept = conn.execute(select(func.count()).select_from(Article).where(old, needed)).scalar_one()
    in_any_digest = exists().where(col(DigestItem.article_id) == col(Article.id))
    doomed = [
        row[0]
        for row in conn.execute(
            select(col(Article.id)).where(old, col(Article.label) == "none", ~needed, ~in_any_digest)
        )
    ]
    deleted = 0
    for start in range(0, len(doomed), _CHUNK):
        chunk = doomed[start : start + _CHUNK]
        for table, column in _dependents():
            conn.execute(delete(table).where(column.in_(chunk)))
        deleted += conn.execute(delete(Article).where(col(Article.id).in_(chunk))).rowcount
    cleared = conn.execute(
        update(Article)
        .where(old, ~needed, or_(col(Article.body) != "", col(Article.lead) != ""))
        .values(body="", lead="")
    ).rowcount
    keep_runs = (
        select(func.max(CrawlRun.id))
        .group_by(CrawlRun.source)
        .union(
            select(func.max(CrawlRun.id))
            .where(col(CrawlRun.status).in_(SUCCESS_STATUSES))
            .group_by(CrawlRun.source)
        )
    )
    runs = conn.execute(
        delete(CrawlRun).where(
            col(CrawlRun.started_at) < before,
            col(CrawlRun.status) != "running",
            col(CrawlRun.id).not_in(keep_runs),
        )
    ).rowcount
    validators = conn.execute(delete(HttpValidator).where(col(HttpValidator.checked_at) < before)).rowcount
    failed = conn.execute(delete(FailedUrl).where(col(FailedUrl.last_failed_at) < before)).rowcount
    return deleted, cleared, kept, runs, validators, failed


def prune(db: Database, before: datetime, *, dry_run: bool = False) -> PruneReport:
    """Forget what is older than ``before``, in one transaction. ``dry_run`` runs the very same
    statements and rolls them back, so its counts are exactly what a real prune would do."""
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            counts = _prune(conn, before)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return PruneReport(before, dry_run, *counts)
