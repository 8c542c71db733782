"""hanoitimes.vn (English): one crawl of its mirror through Scrapy's real downloader
(module fixture), then the stored fields of specific articles, and parsing of saved pages.

Articles are found through /rss/home.rss and the category listings; 924605 is not in
the feed and sits on /society/page-2. Expected values come from the fixture sources
(tests/mirror/src/hanoitimes/articles/*.toml), plus literals for the date form.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.mirror import default_root
from spiders.hanoitimes import HanoitimesSpider
from tests.helpers.workspace import crawl_one_source, fixture_articles

SRC = Path(__file__).resolve().parent / "mirror" / "src" / "hanoitimes"
SITE = default_root() / "hanoitimes.vn"
BASE = "https://hanoitimes.vn"
METRO = f"{BASE}/hanoi-metro-to-train-drivers-and-engineers-with-moscow-metro.924731.html"
TVERSKOY = f"{BASE}/hoan-kiem-ward-and-moscow-s-tverskoy-district-sign-cooperation-memorandum.925206.html"
NO_SAPO = f"{BASE}/hanoi-retailers-stock-up-for-year-end-shopping-season.924990.html"
PAGE_TWO_ONLY = f"{BASE}/hanoi-alumni-of-soviet-universities-reunite-after-five-decades.924605.html"


TRUTH = fixture_articles("hanoitimes")


def article_id(url: str) -> int:
    return int(url.rsplit(".", 2)[-2])


@pytest.fixture(scope="module")
def crawl(mirror, tmp_path_factory):
    """Crawl hanoitimes once; return (crawl summary, stored articles by URL, mirror paths requested)."""
    return crawl_one_source(mirror, tmp_path_factory.mktemp("hanoitimes"), "hanoitimes", "hanoitimes.vn")


@pytest.mark.slow
def test_crawl_stores_every_article_once(crawl):
    summary, stored, paths = crawl
    assert summary["status"] == "ok", summary
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["new"] == len(TRUTH) == 11 == len(stored)
    assert {article_id(u) for u in stored} == set(TRUTH)
    assert "/rss/home.rss" in paths
    # Not in the feed: found through the sitemap robots.txt names (entry-point discovery).
    assert "/sitemap.xml" in paths and PAGE_TWO_ONLY in stored
    assert not [
        p for p in paths if p.startswith(("/politics", "/society", "/business"))
    ]  # no guessed sections
    # Feed and listings both link most articles; each page was still fetched once.
    article_paths = [p for p in paths if p.endswith(".html") and p != "/404.html"]
    assert len(article_paths) == len(set(article_paths)) == 11
    assert not [p for p in paths if p.startswith(("/photo/", "/tag/"))]


@pytest.mark.slow
def test_metro_article_fields(crawl):
    _, stored, _ = crawl
    a = stored[METRO]
    assert a["canonical_url"] == METRO
    assert a["source"] == "hanoitimes" and a["language"] == "en"
    assert a["title"] == "Hanoi Metro to train drivers and engineers with Moscow Metro"
    assert a["lead"] == (
        "Hanoi Metro and Moscow Metro have signed an agreement on staff training and on "
        "sharing experience in operating and maintaining urban railways."
    )
    # The "THE HANOI TIMES — " dateline is gone from the first paragraph.
    assert a["body"].startswith("The agreement was signed at Nhon Depot")
    assert a["body"].endswith("online courses in Vietnamese with Russian subtitles to reach more trainees.")
    assert a["body"] == "\n\n".join(TRUTH[924731]["body"])
    # "November 13, 2026 | 16:40" on the page.
    assert a["published_at"] == "2026-11-13T16:40:00+07:00"
    assert a["author"] == "Thanh Huong"  # "By Thanh Huong"
    assert a["tags"] == ["Hanoi Metro", "Moscow Metro", "urban railway", "Russia"]


@pytest.mark.slow
def test_tverskoy_article_fields(crawl):
    _, stored, _ = crawl
    a = stored[TVERSKOY]
    assert a["title"] == "Hoan Kiem Ward and Moscow's Tverskoy District sign cooperation memorandum"
    assert a["lead"].startswith(
        "Hanoi's central Hoan Kiem Ward and the Tverskoy District of Moscow on November 25"
    )
    assert a["body"].startswith("The signing took place at the ward's headquarters")
    assert a["body"].endswith("since the city moved to a two-tier local government model.")
    assert a["published_at"] == "2026-11-25T19:00:00+07:00"
    assert a["author"] == "Ngoc Thuy"
    # This page has a caption left as a plain paragraph and a "Related:" line in the body.
    assert "Delegates visit the pedestrian zone" not in a["body"]
    assert "Related" not in a["body"]
    assert a["body"].count("\n\n") == 4


@pytest.mark.slow
def test_lead_from_meta_when_the_page_has_no_sapo(crawl):
    _, stored, _ = crawl
    a = stored[NO_SAPO]
    assert a["lead"] == TRUTH[924990]["sapo"]
    assert a["body"].startswith("Retailers said they have signed contracts")


@pytest.mark.slow
def test_every_stored_article_matches_its_source(crawl):
    _, stored, _ = crawl
    for url, a in stored.items():
        truth = TRUTH[article_id(url)]
        assert a["title"] == truth["title"]
        assert a["lead"] == truth["sapo"]
        assert a["body"] == "\n\n".join(truth["body"]), url
        assert datetime.fromisoformat(a["published_at"]) == truth["published"]
        assert a["author"] == truth["author"]
        assert a["tags"] == truth["tags"]


@pytest.mark.slow
def test_no_boilerplate_in_any_stored_text(crawl):
    _, stored, _ = crawl
    for a in stored.values():
        text = "\n".join([a["title"], a["lead"], a["body"]])
        for junk in (
            "THE HANOI TIMES",
            "Photo:",
            "/The Hanoi Times",
            "Related:",
            "Advertisement",
            "Share:",
            "Read more",
            "Most read",
            "Subscribe",
            "Tags:",
            "Copyright",
        ):
            assert junk not in text, (a["url"], junk)


# ------------------------------------------------------------- saved pages


def parse_saved(url: str, html: str):
    spider = HanoitimesSpider()
    response = HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url))
    return spider.read_article(response)


def saved(url: str) -> str:
    return (SITE / url.rsplit("/", 1)[1]).read_text("utf-8")


def test_dateline_with_a_hyphen_is_stripped_too():
    page = saved(METRO).replace("THE HANOI TIMES — ", "THE HANOI TIMES - ")
    assert "THE HANOI TIMES - The agreement" in page
    item = parse_saved(METRO, page)
    assert item.body.startswith("The agreement was signed at Nhon Depot")


def test_dates_come_from_the_page_text_first():
    # With the meta tag gone, the visible "November 13, 2026 | 16:40" still gives the date.
    page = saved(METRO)
    page = "\n".join(line for line in page.splitlines() if "article:published_time" not in line)
    item = parse_saved(METRO, page)
    assert item.published_at.isoformat() == "2026-11-13T16:40:00+07:00"


def test_article_url_rules():
    spider = HanoitimesSpider()
    assert spider.is_article_url(METRO)
    assert spider.is_article_url(f"{BASE}/hanoi-to-build-new-bridge-over-red-river-318764.html")  # old style
    assert not spider.is_article_url(f"{BASE}/photo/hanoi-old-quarter-in-the-first-cold-days.924777.html")
    assert not spider.is_article_url(f"{BASE}/society/page-2")
    assert not spider.is_article_url(f"{BASE}/tag/hanoi-moscow")
