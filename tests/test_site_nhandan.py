"""nhandan.vn: one crawl of its mirror through Scrapy's real downloader (module fixture),
then the stored fields of specific articles, and the JSON-LD/meta fallbacks on saved pages.

Expected values come from the fixture sources (tests/mirror/src/nhandan/articles/*.toml),
plus literals for what the pages show (date form, capitalised bylines).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.mirror import default_root
from spiders.nhandan import NhandanSpider
from storage import canonicalize
from tests.helpers.workspace import crawl_one_source, fixture_articles

SRC = Path(__file__).resolve().parent / "mirror" / "src" / "nhandan"
SITE = default_root() / "nhandan.vn"
TRUTH = fixture_articles("nhandan")


def page_of(article_id: int) -> Path:
    (page,) = SITE.glob(f"*-post{article_id}.html")
    return page


def url_of(article_id: int) -> str:
    return f"https://nhandan.vn/{page_of(article_id).name}"


@pytest.fixture(scope="module")
def crawl(mirror, tmp_path_factory):
    """Crawl nhandan once; return (crawl summary, stored articles by URL, mirror paths requested)."""
    return crawl_one_source(mirror, tmp_path_factory.mktemp("nhandan"), "nhandan", "nhandan.vn")


@pytest.mark.slow
def test_every_article_is_stored_once(crawl):
    summary, stored, paths = crawl
    assert summary["status"] == "ok", summary
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["new"] == len(TRUTH) == 10
    assert set(stored) == {url_of(i) for i in TRUTH}
    assert {a["source"] for a in stored.values()} == {"nhandan"}
    assert {a["language"] for a in stored.values()} == {"vi"}
    # Feeds, listings with pagination and the monthly news sitemaps were read...
    assert {
        "/rss/home.rss",
        "/rss/thegioi-1231.rss",
        "/chinhtri/trang2",
        "/sitemaps/news-2026-10.xml",
    } <= set(paths)
    # ...but not the category/topic sitemaps or tag pages (robots.txt keeps crawlers off them).
    assert not [p for p in paths if "-tag" in p or p in ("/sitemaps/categories.xml", "/sitemaps/topics.xml")]


@pytest.mark.slow
def test_hanoi_moscow_article(crawl):
    _, stored, _ = crawl
    truth = TRUTH[826433]
    url = url_of(826433)
    a = stored[url]
    assert (
        url
        == "https://nhandan.vn/thu-do-ha-noi-va-thu-do-moskva-tang-cuong-hop-tac-nhieu-mat-post826433.html"
    )
    assert a["canonical_url"] == canonicalize(url)
    assert a["title"] == "Thủ đô Hà Nội và Thủ đô Moskva tăng cường hợp tác nhiều mặt"
    assert a["lead"] == truth["sapo"]
    assert a["body"].startswith("Chủ tịch Ủy ban nhân dân thành phố Hà Nội khẳng định")
    assert a["body"].endswith("phối hợp tổ chức Những ngày Moskva tại Hà Nội trong năm tới.")
    assert a["body"].split("\n\n") == truth["body"]
    page = page_of(826433).read_text("utf-8")
    assert "Thứ Ba, 24/11/2026 - 19:20" in page  # the site's own form
    assert a["published_at"] == "2026-11-24T19:20:00+07:00"
    # The byline shouts ("HOÀNG LÂM"); JSON-LD has the name as written.
    assert "HOÀNG LÂM" in page
    assert a["author"] == "Hoàng Lâm"
    assert a["tags"] == ["Hà Nội", "Moskva", "Hợp tác quốc tế"]  # shown as "#Hà Nội"


@pytest.mark.slow
def test_friendship_concert_article_and_furniture(crawl):
    _, stored, _ = crawl
    truth = TRUTH[825933]
    a = stored[url_of(825933)]
    assert a["title"] == "Đêm giao lưu văn nghệ hữu nghị Việt - Nga tại Thủ đô"
    assert a["lead"].startswith("Tối 5/11, tại Hà Nội, Hội Hữu nghị Việt - Nga thành phố Hà Nội")
    assert a["body"].startswith("Dự chương trình có lãnh đạo Liên hiệp các tổ chức hữu nghị")
    assert a["body"].endswith("trao tặng 500 cuốn sách tiếng Nga cho thư viện của Hội.")
    assert a["published_at"] == "2026-11-05T22:40:00+07:00"
    assert a["author"] == "Lan Anh"
    page = page_of(825933).read_text("utf-8")
    for furniture in (
        "Tin liên quan",
        "Quảng cáo",
        "(Ảnh: Nhân Dân)",
        "Xem thêm",
        "In bài",
        "Sự kiện:",
        "#Hà Nội",
    ):
        assert furniture in page
        assert furniture not in a["body"], furniture
    assert a["body"].split("\n\n") == truth["body"]


@pytest.mark.slow
def test_article_without_byline(crawl):
    _, stored, _ = crawl
    a = stored[url_of(825409)]
    assert a["author"] is None
    assert a["published_at"] == "2026-10-28T16:10:00+07:00"


def test_ground_truth_mix():
    labels = [a["relevance"] for a in TRUTH.values()]
    assert labels.count("core") == 3 and labels.count("national") == 2
    assert sum(1 for a in TRUTH.values() if a.get("hard_negative")) == 2
    assert all(a.get("story") for a in TRUTH.values() if a["relevance"] == "core")


# ------------------------------------------------------------------ saved pages


def parse(html: str, article_id: int):
    url = url_of(article_id)
    response = HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url))
    spider = NhandanSpider()
    return spider.read_article(response)


def test_time_datetime_with_compact_offset_is_the_fallback():
    """Without the display text, <time datetime="…+0700"> (the CMS's own form) still dates the article."""
    page = page_of(826519).read_text("utf-8")
    changed = page.replace("Thứ Tư, 25/11/2026 - 17:55</time>", "</time>", 1)
    assert changed != page and 'datetime="2026-11-25T17:55:00+0700"' in changed
    assert parse(changed, 826519).published_at.isoformat() == "2026-11-25T17:55:00+07:00"


def test_json_ld_fills_in_a_missing_headline_and_byline():
    page = page_of(826301).read_text("utf-8")
    changed = page.replace('<h1 class="article__title cms-title">', '<h1 class="headline">', 1)
    changed = changed.replace('<span class="name cms-author">HÀ LINH</span>', "", 1)
    item = parse(changed, 826301)
    assert item.title == "Thúc đẩy hợp tác năng lượng, dầu khí Việt Nam - Liên bang Nga"
    assert item.author == "Hà Linh"
