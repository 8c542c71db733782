"""Counts for monitoring (the Prometheus metrics): grouped in SQL, one query each."""

from __future__ import annotations

from sqlmodel import col, func, select

from storage.db import Database
from storage.models import Article, CrawlRun, Delivery, Digest, Notification


def crawls_by_source_status(db: Database) -> dict[tuple[str, str], int]:
    with db.session() as session:
        rows = session.exec(
            select(CrawlRun.source, CrawlRun.status, func.count()).group_by(CrawlRun.source, CrawlRun.status)
        )
        return {(source, status): int(n) for source, status, n in rows}


def crawl_errors_by_source(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.exec(
            select(CrawlRun.source, func.coalesce(func.sum(CrawlRun.errors), 0)).group_by(CrawlRun.source)
        )
        return {source: int(n) for source, n in rows}


def crawl_errors_by_source_kind(db: Database) -> dict[tuple[str, str], int]:
    """Errors by source and kind (``http_404``, ``timeout``...); errors of runs recorded before
    kinds were kept count as ``unknown``, so the kinds of a source add up to its errors."""
    totals = crawl_errors_by_source(db)
    kinds: dict[tuple[str, str], int] = {}
    with db.session() as session:
        rows = session.exec(select(CrawlRun.source, CrawlRun.error_kinds).where(CrawlRun.errors > 0))
        for source, counted in rows:
            for kind, n in (counted or {}).items():
                kinds[(source, kind)] = kinds.get((source, kind), 0) + int(n)
    for source, total in totals.items():
        rest = total - sum(n for (s, _), n in kinds.items() if s == source)
        if rest > 0:
            kinds[(source, "unknown")] = kinds.get((source, "unknown"), 0) + rest
    return kinds


def articles_by_source_label(db: Database) -> dict[tuple[str, str], int]:
    with db.session() as session:
        rows = session.exec(
            select(Article.source, Article.label, func.count()).group_by(
                col(Article.source), col(Article.label)
            )
        )
        return {(source, label or "unjudged"): int(n) for source, label, n in rows}


def digests_by_status(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.exec(select(Digest.status, func.count()).group_by(Digest.status))
        return {status: int(n) for status, n in rows}


def notifications_by_channel_state(db: Database) -> dict[tuple[str, str, str], int]:
    """Chat notifications by (channel name, mode, state): digest-mode ones are the digests'
    ``chat`` delivery rows, instant ones the notification rows (one per story)."""
    counts: dict[tuple[str, str, str], int] = {}
    with db.session() as session:
        for name, status, n in session.exec(
            select(Delivery.destination, Delivery.status, func.count())
            .where(Delivery.channel == "chat")
            .group_by(Delivery.destination, Delivery.status)
        ):
            counts[(name, "digest", status)] = int(n)
        for name, status, n in session.exec(
            select(Notification.channel, Notification.status, func.count()).group_by(
                Notification.channel, Notification.status
            )
        ):
            counts[(name, "instant", status)] = int(n)
    return counts
