"""The Scrapy settings of one source's crawl, derived from newsmon's config: for the crawls
monitor.crawling starts, and for `scrapy crawl NAME` from a checkout (spiders/standalone.py).
Kept apart from monitor.crawling, which imports the spiders, so the spiders can use it."""

from __future__ import annotations

from typing import Any

from monitor.config import AppConfig


def crawl_settings(config: AppConfig, source_name: str) -> dict[str, Any]:
    """Per-crawl Scrapy settings for one source: Scrapy's own names derived from the config,
    and the validated config itself, once, as the source's SourceCrawl (spiders/resources.py)."""
    from spiders.resources import CRAWL_SETTING, SourceCrawl

    crawl = SourceCrawl(config, source_name)
    values: dict[str, Any] = {
        CRAWL_SETTING: crawl,
        "DOWNLOAD_TIMEOUT": config.crawl.timeout_seconds,
        "DOWNLOAD_DELAY": config.crawl.delay_seconds,
        "AUTOTHROTTLE_START_DELAY": max(config.crawl.delay_seconds, 0.1),
        "LOG_LEVEL": config.log_level,
    }
    if crawl.user_agent:
        values["USER_AGENT"] = crawl.user_agent
    if config.mirror:
        # The mirror is on loopback and ours: no reason to wait between requests.
        values.update(
            DOWNLOAD_DELAY=0,
            AUTOTHROTTLE_ENABLED=False,
            CONCURRENT_REQUESTS_PER_DOMAIN=8,
            RETRY_TIMES=1,
        )
    return values
