"""What one crawl shares: the source's validated configuration and one database handle.

monitor.crawling (or, for `scrapy crawl NAME`, spiders/standalone.py) puts one
:class:`SourceCrawl` on the crawler's settings under :data:`CRAWL_SETTING`; every
component reads it from there with :func:`source_crawl`. The config is validated once,
when it is loaded, and never dumped into settings or read from the TOML file again here.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from monitor.config import AppConfig, SourceConfig
from storage import ArticleStore, CrawlRunLog, Database

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from spiders.ledger import IndexLedger
    from storage.entry_points import EntryPointStore

# The Scrapy setting that carries the crawl's SourceCrawl (an object, not a value to parse).
CRAWL_SETTING = "NEWSMON_CRAWL"


class SourceCrawl:
    """One source's crawl as newsmon's config describes it: the source's own keys, falling
    back to ``[crawl]``'s, and the crawl's database (opened on first use, once per crawl)."""

    def __init__(self, config: AppConfig, name: str) -> None:
        self.config = config
        self.name = name
        self.source: SourceConfig = config.sources.get(name) or SourceConfig()

    def __deepcopy__(self, memo: dict[int, Any]) -> SourceCrawl:
        # Scrapy deep-copies settings for each crawler: the crawl keeps this one object.
        return self

    def __repr__(self) -> str:
        return f"SourceCrawl({self.name!r})"

    @cached_property
    def database(self) -> Database:
        return Database(self.config.database_url)

    @cached_property
    def ledger(self) -> IndexLedger:
        """Which index pages led to which requests (spiders/ledger.py)."""
        from spiders.ledger import IndexLedger

        return IndexLedger()

    @property
    def mirror(self) -> str | None:
        return self.config.mirror

    @property
    def max_pages(self) -> int:
        return self.source.max_pages or self.config.crawl.max_pages

    @property
    def refresh(self) -> timedelta | None:
        """How old a stored article may be before it is fetched again; None: never."""
        hours = self.source.refresh_hours
        hours = self.config.crawl.refresh_hours if hours is None else hours
        return timedelta(hours=hours) if hours > 0 else None

    @property
    def proxy(self) -> str | None:
        """The proxy for this source's requests; none under the mirror (it is on loopback)."""
        return None if self.mirror else self.source.proxy or self.config.crawl.proxy

    @property
    def user_agent(self) -> str | None:
        return self.source.user_agent or self.config.crawl.user_agent

    def resolved(self, value: str | None) -> str | None:
        """A path from the config, relative to the config file's folder."""
        return str(self.config.resolve_path(value)) if value else None


def source_crawl(crawler: Crawler) -> SourceCrawl:
    """The crawl's SourceCrawl; a clear error for a crawler newsmon did not set up."""
    crawl = crawler.settings.get(CRAWL_SETTING)
    if not isinstance(crawl, SourceCrawl):
        raise RuntimeError(
            f"this crawl has no {CRAWL_SETTING} setting: start it with `newsmon crawl` or, from a "
            "checkout, `scrapy crawl NAME` (which reads newsmon's config)"
        )
    return crawl


def crawler_database(crawler: Crawler) -> Database:
    return source_crawl(crawler).database


def crawler_articles(crawler: Crawler) -> ArticleStore:
    return ArticleStore(crawler_database(crawler))


def crawler_entry_points(crawler: Crawler) -> EntryPointStore:
    from storage.entry_points import EntryPointStore

    return EntryPointStore(crawler_database(crawler))


def crawler_runs(crawler: Crawler) -> CrawlRunLog:
    return CrawlRunLog(crawler_database(crawler))
