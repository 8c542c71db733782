"""Per-crawl shared resources (one database handle per crawler, not per component)."""

from __future__ import annotations

from scrapy.crawler import Crawler

from storage import ArticleStore, CrawlRunLog, Database


def crawler_database(crawler: Crawler) -> Database:
    db = getattr(crawler, "_newsmon_db", None)
    if db is None:
        url = crawler.settings.get("NEWSMON_DATABASE_URL")
        if not url:
            # `scrapy crawl` from a checkout: read newsmon's own configuration.
            from monitor.config import load_config

            url = load_config(crawler.settings.get("NEWSMON_CONFIG_PATH")).database_url
        db = Database(url)
        crawler._newsmon_db = db
    return db


def crawler_articles(crawler: Crawler) -> ArticleStore:
    return ArticleStore(crawler_database(crawler))


def crawler_entry_points(crawler: Crawler):
    from storage.entry_points import EntryPointStore

    return EntryPointStore(crawler_database(crawler))


def crawler_runs(crawler: Crawler) -> CrawlRunLog:
    return CrawlRunLog(crawler_database(crawler))
