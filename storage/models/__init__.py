"""All tables. Importing this module registers every table with SQLModel's metadata."""

from storage.models.articles import Article, ArticleUrl, FailedUrl
from storage.models.daemon import DAEMON_LOCK_ID, DaemonLock
from storage.models.digests import DELIVERED_STATUSES, DIGEST_STATUSES, Digest, DigestItem
from storage.models.feedback import Feedback
from storage.models.http_cache import HttpValidator
from storage.models.runs import RUN_COUNT_FIELDS, RUN_STATUSES, CrawlRun
from storage.models.stories import ArticleSignature, SignatureBand
from storage.models.types import UTCDateTime, utcnow

__all__ = [
    "Article", "ArticleSignature", "ArticleUrl", "CrawlRun", "DAEMON_LOCK_ID", "DELIVERED_STATUSES",
    "DIGEST_STATUSES", "DaemonLock", "Digest", "DigestItem", "Feedback", "FailedUrl", "HttpValidator", "RUN_COUNT_FIELDS",
    "RUN_STATUSES", "SignatureBand", "UTCDateTime", "utcnow",
]
