"""Conditional requests: an unchanged feed or listing costs a 304 and stores nothing;
a changed one is read again. Crawls go through Scrapy's real downloader to a private
copy of the tass.ru mirror, which answers If-None-Match / If-Modified-Since itself."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest
import scrapy
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from monitor.config import AppConfig
from monitor.mirror import MirrorServer, default_root
from spiders.middlewares import REAL_URL_META, ConditionalRequestMiddleware, NotModified
from spiders.resources import CRAWL_SETTING, SourceCrawl
from storage import Database
from storage.http_cache import HttpValidatorStore
from storage.models import utcnow
from tests.helpers.workspace import Workspace

FEED = "https://tass.ru/rss/v2.xml"
LISTING = "https://tass.ru/kultura"
NEW_ITEM = """<item>
<title>Россия и Вьетнам провели консультации по вопросам безопасности в Ханое</title>
<link>https://tass.ru/politika/25735510</link>
<guid>https://tass.ru/politika/25735510</guid>
<pubDate>Thu, 26 Nov 2026 10:00:00 +0300</pubDate>
</item>
"""
CONFIG = r"""
[sources.tass]
spider = "generic"
feeds = ["https://tass.ru/rss/v2.xml"]
listing_pages = ["https://tass.ru/kultura"]
link_pattern = '^https://tass\.ru/[a-z-]+/\d+$'
languages = ["ru"]
# Only the configured feed and listing: entry-point discovery would add tass.ru's sitemap.
discover = false
"""


def statuses(server: MirrorServer) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for hit in server.hits:
        if hit.host == "tass.ru" and hit.path != "/robots.txt":
            out.setdefault(hit.path, []).append(hit.status)
    return out


class Polls:
    """Three polls of one source: first, unchanged, then after the feed gained an item."""

    def __init__(self, ws: Workspace, server: MirrorServer) -> None:
        self.ws, self.server = ws, server
        self.runs, self.hits, self.stored = [], [], []
        self.poll()
        self.validators_after_first = HttpValidatorStore(Database(ws.db_url)).for_source("tass")
        self.poll()
        feed = server.state.root / "tass.ru" / "rss" / "v2.xml"
        feed.write_text(feed.read_text("utf-8").replace("</channel>", NEW_ITEM + "</channel>"), "utf-8")
        self.poll()

    def poll(self) -> None:
        self.server.clear_hits()
        self.runs.append(
            self.ws.run_json("crawl", "tass", "--json", NEWSMON_MIRROR=self.server.url, check=True)[0]
        )
        self.hits.append(statuses(self.server))
        self.stored.append(len(self.ws.run_json("articles", "--json", check=True)))


@pytest.fixture(scope="module")
def polls(tmp_path_factory) -> Polls:
    root = tmp_path_factory.mktemp("mirror")
    shutil.copytree(default_root() / "tass.ru", root / "tass.ru")  # edited by the third poll
    ws = Workspace(tmp_path_factory.mktemp("conditional"))
    ws.write_config(CONFIG)
    with MirrorServer(root) as server:
        yield Polls(ws, server)


@pytest.mark.slow
def test_first_poll_fetches_everything_and_keeps_validators_by_real_url(polls):
    first, hits = polls.runs[0], polls.hits[0]
    assert hits["/rss/v2.xml"] == [200] and hits["/kultura"] == [200]
    assert first["new"] == 5 and first["not_modified"] == 0
    assert polls.stored[0] == 5
    # Keyed by the real site's URL, never the mirror's loopback address.
    assert set(polls.validators_after_first) == {FEED, LISTING}
    assert all(v.etag and v.last_modified for v in polls.validators_after_first.values())


@pytest.mark.slow
def test_second_poll_of_unchanged_source_is_304_and_stores_nothing(polls):
    second, hits = polls.runs[1], polls.hits[1]
    assert hits == {"/rss/v2.xml": [304], "/kultura": [304]}  # not one article page requested
    assert second["not_modified"] == 2
    assert second["articles_seen"] == 0 and second["new"] == 0 and second["updated"] == 0
    assert second["errors"] == 0 and second["status"] == "ok"  # a 304 is not an HTTP error
    assert polls.stored[1] == polls.stored[0]


@pytest.mark.slow
def test_changed_feed_is_read_again(polls):
    third, hits = polls.runs[2], polls.hits[2]
    assert hits["/rss/v2.xml"] == [200] and hits["/kultura"] == [304]
    assert hits["/politika/25735510"] == [200]
    assert [p for p in hits if re.fullmatch(r"/[a-z-]+/\d+", p)] == ["/politika/25735510"]  # nothing else
    assert third["new"] == 1 and third["not_modified"] == 1
    assert polls.stored[2] == polls.stored[0] + 1


# -------------------------------------------------- the middleware on its own, real database


class _Spider(scrapy.Spider):
    name = "probe"


@pytest.fixture
def make_mw(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'v.db'}"

    def make(source: str = "tass", **crawl) -> ConditionalRequestMiddleware:
        config = AppConfig.model_validate({"database_url": db_url, "crawl": crawl})
        crawler = get_crawler(_Spider, {CRAWL_SETTING: SourceCrawl(config, source)})
        return ConditionalRequestMiddleware(crawler)

    make.store = HttpValidatorStore(Database(db_url))
    return make


def feed_request(url: str = FEED, **meta) -> Request:
    return Request(url, meta={"newsmon_kind": "feed", **meta})


def ok(request: Request, etag: str = '"v1"') -> Response:
    return Response(
        request.url,
        status=200,
        request=request,
        headers={"ETag": etag, "Last-Modified": "Wed, 25 Nov 2026 11:20:00 GMT"},
    )


def test_validators_are_sent_per_source_and_only_after_a_finished_crawl(make_mw):
    mw = make_mw()
    req = feed_request()
    mw.process_request(req)
    assert b"If-None-Match" not in req.headers
    mw.process_response(req, ok(req))
    mw.spider_closed(None, "shutdown")  # killed: what it listed may not have been fetched
    assert make_mw.store.for_source("tass") == {}
    mw.spider_closed(None, "finished")
    assert make_mw.store.for_source("tass")[FEED].etag == '"v1"'

    again = feed_request()
    make_mw().process_request(again)
    assert again.headers[b"If-None-Match"] == b'"v1"'
    assert again.headers[b"If-Modified-Since"] == b"Wed, 25 Nov 2026 11:20:00 GMT"
    other = feed_request()
    make_mw("tass_copy").process_request(other)  # another source polling the same feed
    assert b"If-None-Match" not in other.headers


def test_304_becomes_not_modified_and_articles_are_never_conditional(make_mw):
    make_mw.store.record("tass", {FEED: ('"v1"', None)})
    mw = make_mw()
    req = feed_request(FEED)
    mw.process_request(req)
    with pytest.raises(NotModified):
        mw.process_response(req, Response(FEED, status=304, request=req))
    assert mw.crawler.stats.get_value("newsmon/not_modified") == 1
    article = Request("https://tass.ru/kultura/25701554", meta={"newsmon_kind": "article"})
    mw.process_request(article)
    assert b"If-None-Match" not in article.headers
    # A 304 that was not asked for is left to the usual HTTP error handling.
    plain = feed_request("https://tass.ru/rss/other.xml")
    mw.process_request(plain)
    assert mw.process_response(plain, Response(plain.url, status=304, request=plain)).status == 304


def test_mirror_requests_are_keyed_by_their_real_url(make_mw):
    make_mw.store.record("tass", {FEED: ('"v1"', None)})
    mw = make_mw()
    mirrored = feed_request("http://127.0.0.1:9/tass.ru/rss/v2.xml", **{REAL_URL_META: FEED})
    mw.process_request(mirrored)
    assert mirrored.headers[b"If-None-Match"] == b'"v1"'
    mw.process_response(mirrored, ok(mirrored, '"v2"'))
    mw.spider_closed(None, "finished")
    assert set(make_mw.store.for_source("tass")) == {FEED}
    assert make_mw.store.for_source("tass")[FEED].etag == '"v2"'


def test_redirect_does_not_carry_the_old_urls_validators(make_mw):
    make_mw.store.record("tass", {FEED: ('"v1"', "Wed, 25 Nov 2026 11:20:00 GMT")})
    mw = make_mw()
    req = feed_request()
    mw.process_request(req)
    redirected = req.replace(url="https://tass.ru/rss/v3.xml")  # as RedirectMiddleware builds it
    mw.process_request(redirected)
    assert b"If-None-Match" not in redirected.headers and b"If-Modified-Since" not in redirected.headers


def test_old_validators_are_not_used(make_mw):
    make_mw.store.record("tass", {FEED: ('"v1"', None)}, at=utcnow() - timedelta(hours=30))
    stale = feed_request()
    make_mw().process_request(stale)
    assert b"If-None-Match" not in stale.headers  # a full fetch at least daily by default
    unlimited = feed_request()
    make_mw(conditional_max_age_hours=0).process_request(unlimited)
    assert unlimited.headers[b"If-None-Match"] == b'"v1"'
    off = feed_request()
    make_mw(conditional_requests=False, conditional_max_age_hours=0).process_request(off)
    assert b"If-None-Match" not in off.headers


def test_a_response_without_validators_forgets_the_old_ones(make_mw):
    make_mw.store.record("tass", {FEED: ('"v1"', None)})
    mw = make_mw()
    req = feed_request()
    mw.process_request(req)
    mw.process_response(req, Response(FEED, status=200, request=req))
    mw.spider_closed(None, "finished")
    assert make_mw.store.for_source("tass") == {}
