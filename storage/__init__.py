"""Storage: the only part of newsmon that talks to the database."""

from storage.articles import ArticleStore, SaveOutcome, SaveResult
from storage.db import Database, DatabaseError, SchemaOutdated
from storage.fingerprint import content_fingerprint, normalise_text
from storage.models import Article, ArticleUrl, CrawlRun
from storage.runs import CrawlRunLog, Degradation
from storage.urls import canonicalize, try_canonicalize

__all__ = [
    "Article",
    "ArticleStore",
    "ArticleUrl",
    "CrawlRun",
    "CrawlRunLog",
    "Database",
    "DatabaseError",
    "Degradation",
    "SaveOutcome",
    "SaveResult",
    "SchemaOutdated",
    "canonicalize",
    "content_fingerprint",
    "normalise_text",
    "try_canonicalize",
]
