"""Entry-point discovery: at a source's first crawl (then weekly) its home page's
<link rel="alternate"> feeds and robots.txt's Sitemap: lines are found, stored, and used
alongside the configured entry points."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spiders.base import DISCOVERY_EVERY
from storage import Database
from storage.entry_points import EntryPointStore
from tests.helpers.workspace import Workspace

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

# A source that names only the front page of the mirrored hanoitimes.vn: its feed
# (announced in <head>) and sitemap (in robots.txt) are for discovery to find.
CONFIG = """[sources.ht]
spider = "generic"
listing_pages = ["https://hanoitimes.vn/"]
link_pattern = '^https://hanoitimes\\.vn/[a-z0-9-]+\\.\\d{6}\\.html$'
languages = ["en"]
"""


def test_feeds_and_sitemaps_are_discovered_stored_and_used(mirror, tmp_path):
    ws = Workspace(tmp_path)
    ws.write_config(CONFIG)
    before = len(mirror.hits)
    (run,) = ws.run_json("crawl", "ht", "--json", NEWSMON_MIRROR=mirror.url)
    paths = [h.path for h in mirror.hits[before:] if h.host == "hanoitimes.vn"]
    assert "/rss/home.rss" in paths and "/sitemap.xml" in paths  # neither is configured
    assert run["new"] == 11, run  # the front page links none of them: all came through discovery
    store = EntryPointStore(Database(ws.db_url))
    found = {(e.kind, e.url, e.found_on) for e in store.found("ht")}
    assert found == {
        ("feed", "https://hanoitimes.vn/rss/home.rss", "https://hanoitimes.vn/"),
        ("sitemap", "https://hanoitimes.vn/sitemap.xml", "https://hanoitimes.vn/robots.txt"),
    }
    assert not store.due("ht", DISCOVERY_EVERY)
    assert store.due(
        "ht", DISCOVERY_EVERY, now=store.found("ht")[0].first_found_at + DISCOVERY_EVERY + timedelta(1)
    )

    # The next crawl uses the stored entry points without looking again.
    before = len(mirror.hits)
    (second,) = ws.run_json("crawl", "ht", "--json", NEWSMON_MIRROR=mirror.url)
    paths = [h.path for h in mirror.hits[before:] if h.host == "hanoitimes.vn"]
    assert "/rss/home.rss" in paths and "/sitemap.xml" in paths
    assert paths.count("/") == 1  # the listing only; the home page is not looked at for feeds again
    assert second["status"] in ("ok", "partial") and second["new"] == 0


def test_a_failing_discovered_entry_point_is_forgotten_not_an_error(mirror_copy, tmp_path):
    ws = Workspace(tmp_path)
    ws.write_config(CONFIG)
    ws.run_json("crawl", "ht", "--json", NEWSMON_MIRROR=mirror_copy.url)
    (mirror_copy.state.root / "hanoitimes.vn" / "sitemap.xml").unlink()
    (run,) = ws.run_json("crawl", "ht", "--json", NEWSMON_MIRROR=mirror_copy.url)
    assert run["errors"] == 0, run["error_samples"]
    urls = {e.url for e in EntryPointStore(Database(ws.db_url)).found("ht")}
    assert urls == {"https://hanoitimes.vn/rss/home.rss"}


def test_configured_entry_point_that_fails_is_reported(mirror, tmp_path):
    ws = Workspace(tmp_path)
    ws.write_config(
        CONFIG.replace(
            'listing_pages = ["https://hanoitimes.vn/"]',
            'listing_pages = ["https://hanoitimes.vn/"]\nfeeds = ["https://hanoitimes.vn/rss/news.rss"]',
        )
    )
    (run,) = ws.run_json("crawl", "ht", "--json", NEWSMON_MIRROR=mirror.url)
    (sample,) = [s for s in run["error_samples"] if s["url"].endswith("/rss/news.rss")]
    # The download middlewares count a failed fetch once, with its HTTP kind (spiders/downloads.py).
    assert sample["kind"] == "http_404" and "404" in sample["reason"]
    assert run["new"] == 11  # the discovered ones carried the crawl
    listed = ws.run("sources", check=True).stdout
    assert "failing entry points: https://hanoitimes.vn/rss/news.rss (" in listed and "404" in listed
