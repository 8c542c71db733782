"""`scrapy crawl NAME` from a checkout, with the settings `newsmon crawl NAME` would use."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.settings import Settings


class NewsmonSettings:
    """A Scrapy add-on: applies newsmon's per-source settings (mirror, database, delays,
    proxy, user agent...) from newsmon's config (NEWSMON_CONFIG, ./newsmon.toml, or the
    defaults) when the crawl was not started by `newsmon`, which applies them itself.
    ``scrapy crawl NAME -s KEY=VALUE`` still wins."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NewsmonSettings:
        return cls(crawler)

    def update_settings(self, settings: Settings) -> None:
        from spiders.resources import CRAWL_SETTING

        if settings.get(CRAWL_SETTING) is not None:
            return  # started by `newsmon crawl` / the daemon, with these settings already
        from monitor.config import load_config
        from monitor.crawling import crawl_settings

        config = load_config()
        source = self.crawler.spidercls.name
        for key, value in crawl_settings(config, source).items():
            if settings.getpriority(key) is None or settings.getpriority(key) < 40:  # below -s (cmdline)
                settings.set(key, value, priority="spider")
