"""Counts for monitoring (the Prometheus metrics): grouped in SQL, one query each."""

from __future__ import annotations

from sqlmodel import col, func, select

from storage.db import Database
from storage.models import Article, CrawlRun, Digest


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
