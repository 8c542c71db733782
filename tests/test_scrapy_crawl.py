"""`scrapy crawl hanoimoi` from a checkout uses the settings of `newsmon crawl hanoimoi`
(issue 14, item 7): the mirror's settings and newsmon's database default."""

from __future__ import annotations

import subprocess
import sys

import pytest

from storage import ArticleStore, CrawlRunLog, Database
from tests.helpers.workspace import REPO, Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers


def test_scrapy_crawl_uses_newsmons_settings(workspace: Workspace, mirror):
    workspace.write_config("[sources.hanoimoi]\n")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "hanoimoi"],
        cwd=REPO,
        env=workspace.env(NEWSMON_MIRROR=mirror.url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    overridden = result.stderr.split("Overridden settings:", 1)[1].split("}", 1)[0]
    # The mirror's settings, as `newsmon crawl` sets them: no politeness delay against our own
    # loopback server (DOWNLOAD_DELAY 0 and no AutoThrottle are Scrapy's defaults, so not listed;
    # settings.py alone says 1.0 and True), one retry.
    assert "'RETRY_TIMES': 1" in overridden
    assert "'DOWNLOAD_DELAY'" not in overridden and "'AUTOTHROTTLE_ENABLED'" not in overridden
    # newsmon's database (the config's), with the run recorded as `newsmon crawl` records it.
    db = Database(workspace.db_url)
    run = CrawlRunLog(db).latest("hanoimoi")
    assert run is not None and run.status == "partial" and run.new == 43
    assert ArticleStore(db).counts()["total"] == 43


def test_a_crawl_gets_the_validated_config_once(tmp_path):
    """One config object reaches every component of a crawl: no NEWSMON_* values dumped into
    the settings to be parsed and validated again, no second reading of the TOML file."""
    from scrapy.crawler import Crawler

    from monitor.config import load_config
    from monitor.crawling import scrapy_settings
    from spiders.registry import spider_for
    from spiders.resources import CRAWL_SETTING, source_crawl

    path = tmp_path / "newsmon.toml"
    path.write_text(
        '[crawl]\nmax_pages = 5\nconditional_max_age_hours = 6\n[sources.hanoimoi]\nproxy = "http://p.example:3128"\n',
        encoding="utf-8",
    )
    config = load_config(path, env={})
    settings = scrapy_settings(config, "hanoimoi")
    assert [key for key in settings.attributes if key.startswith("NEWSMON_")] == [CRAWL_SETTING]
    crawler = Crawler(spider_for("hanoimoi", None), settings)  # copies the settings
    path.unlink()  # nothing reads the file again
    crawl = source_crawl(crawler)
    assert crawl.config is config and crawl.name == "hanoimoi"
    assert (crawl.max_pages, crawl.proxy) == (5, "http://p.example:3128")
