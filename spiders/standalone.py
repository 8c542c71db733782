"""`scrapy crawl NAME` from a checkout, with the settings `newsmon crawl NAME` would use."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from spiders.resources import CRAWL_SETTING


def apply_newsmon_config(settings: BaseSettings, source: str) -> None:
    """Put newsmon's per-source settings (the SourceCrawl, delays, user agent...) from its
    config (NEWSMON_CONFIG, ./newsmon.toml, or the defaults) on a crawl that `newsmon` did
    not start (it puts them there itself). ``scrapy crawl NAME -s KEY=VALUE`` still wins."""
    if settings.get(CRAWL_SETTING) is not None:
        return
    from monitor.config import load_config
    from monitor.crawl_settings import crawl_settings

    for key, value in crawl_settings(load_config(), source).items():
        priority = settings.getpriority(key)
        if priority is None or priority < 40:  # below -s (cmdline)
            settings.set(key, value, priority="spider")
