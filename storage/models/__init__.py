"""All tables. Importing this module registers every table with SQLModel's metadata.

The naming convention is set before any table is defined, so every constraint has a
name a migration can refer to. The names are PostgreSQL's own defaults (article_pkey,
digest_message_id_key, article_url_article_id_fkey): a PostgreSQL database made by
newsmon 0.1.0 (plain create_all, unnamed constraints) already carries exactly these.
"""

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}

# The table modules come after the convention: the order matters.

from storage.models.articles import Article, ArticleUrl, FailedUrl  # noqa: E402
from storage.models.cluster import ScheduleEntry, Worker  # noqa: E402
from storage.models.daemon import DAEMON_LOCK_ID, DaemonLock  # noqa: E402
from storage.models.digests import (  # noqa: E402
    DELIVERED_STATUSES,
    DELIVERY_STATUSES,
    DIGEST_STATUSES,
    ERROR_KINDS,
    RELEASED_STATUSES,
    Delivery,
    Digest,
    DigestItem,
)
from storage.models.entry_points import EntryPoint, EntryPointCheck  # noqa: E402
from storage.models.feedback import Feedback  # noqa: E402
from storage.models.http_cache import HttpValidator  # noqa: E402
from storage.models.notifications import Notification  # noqa: E402
from storage.models.runs import RUN_COUNT_FIELDS, RUN_STATUSES, CrawlRun  # noqa: E402
from storage.models.search import ArticleSearch  # noqa: E402
from storage.models.stories import ArticleSignature, SignatureBand, StoryKey, StoryLink  # noqa: E402
from storage.models.types import UTCDateTime, row_id, table_of, utcnow  # noqa: E402

__all__ = [
    "Article",
    "ArticleSearch",
    "ArticleSignature",
    "ArticleUrl",
    "CrawlRun",
    "DAEMON_LOCK_ID",
    "DELIVERED_STATUSES",
    "DELIVERY_STATUSES",
    "DIGEST_STATUSES",
    "DaemonLock",
    "Delivery",
    "Digest",
    "DigestItem",
    "ERROR_KINDS",
    "EntryPoint",
    "EntryPointCheck",
    "Feedback",
    "FailedUrl",
    "HttpValidator",
    "Notification",
    "RELEASED_STATUSES",
    "RUN_COUNT_FIELDS",
    "RUN_STATUSES",
    "ScheduleEntry",
    "SignatureBand",
    "StoryKey",
    "StoryLink",
    "UTCDateTime",
    "Worker",
    "row_id",
    "table_of",
    "utcnow",
]
