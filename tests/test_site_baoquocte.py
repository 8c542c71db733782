"""baoquocte.vn: one crawl of its mirror through Scrapy's real downloader (module
fixture), then the stored fields of specific articles, and parsing of saved pages.

Articles are found through the site-wide feed /rss_feed/ (the newest 8) and the
category listings; 333610 is only on /the-gioi/page/2. Expected values come from the
fixture sources (tests/mirror/src/baoquocte/articles/*.toml), plus literals.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.mirror import default_root
from spiders.baoquocte import BaoquocteSpider
from spiders.base import ArticleParseError
from tests.helpers.workspace import crawl_one_source, fixture_articles

SRC = Path(__file__).resolve().parent / "mirror" / "src" / "baoquocte"
SITE = default_root() / "baoquocte.vn"
BASE = "https://baoquocte.vn"
MOSCOW = f"{BASE}/chu-tich-ubnd-tp-ha-noi-tiep-doan-dai-bieu-chinh-quyen-thanh-pho-moscow-334812.html"
HANOI_DAYS = f"{BASE}/khai-mac-nhung-ngay-ha-noi-tai-moscow-nam-2026-333610.html"


TRUTH = fixture_articles("baoquocte")


def article_id(url: str) -> int:
    return int(url.rsplit("-", 1)[1].removesuffix(".html"))


@pytest.fixture(scope="module")
def crawl(mirror, tmp_path_factory):
    """Crawl baoquocte once; return (crawl summary, stored articles by URL, mirror paths requested)."""
    return crawl_one_source(mirror, tmp_path_factory.mktemp("baoquocte"), "baoquocte", "baoquocte.vn")


@pytest.mark.slow
def test_crawl_uses_feed_and_listings(crawl):
    summary, stored, paths = crawl
    assert summary["status"] == "ok", summary
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["new"] == len(TRUTH) == 11 == len(stored)
    assert {article_id(u) for u in stored} == set(TRUTH)
    assert "/rss_feed/" in paths
    assert "/the-gioi/page/2" in paths and HANOI_DAYS in stored
    # Promos in the listings (a section front and a video) are not articles.
    assert not [p for p in paths if p.startswith(("/video/", "/bien-dong-247"))]


@pytest.mark.slow
def test_moscow_delegation_fields(crawl):
    _, stored, _ = crawl
    a = stored[MOSCOW]
    assert a["canonical_url"] == MOSCOW
    assert a["source"] == "baoquocte" and a["language"] == "vi"
    assert a["title"] == "Chủ tịch UBND TP. Hà Nội tiếp đoàn đại biểu Chính quyền thành phố Moscow"
    # "TG&VN. " opens the sapo on the page: it is the paper's brand, not text.
    assert a["lead"].startswith("Chiều 24/11, tại trụ sở UBND TP. Hà Nội")
    assert a["lead"] == TRUTH[334812]["sapo"]
    assert a["body"].startswith("Chào mừng đoàn sang thăm và làm việc, Chủ tịch UBND TP. Hà Nội khẳng định")
    assert a["body"].endswith("chuẩn bị tổ chức Những ngày Moscow tại Hà Nội trong năm 2027.")
    assert a["body"].count("\n\n") == 3
    # "Thứ ba, 24/11/2026 20:30" on the page.
    assert a["published_at"] == "2026-11-24T20:30:00+07:00"
    assert a["author"] == "Minh Quân"
    assert a["tags"] == ["Hà Nội", "Moscow", "quan hệ Việt Nam-Nga", "hợp tác địa phương"]


@pytest.mark.slow
def test_hanoi_days_fields(crawl):
    _, stored, _ = crawl
    a = stored[HANOI_DAYS]
    assert a["title"] == "Khai mạc Những ngày Hà Nội tại Moscow năm 2026"
    assert a["lead"].startswith("Tối 15/10 (giờ Việt Nam), tại Nhà hát Âm nhạc quốc tế Moscow")
    assert a["body"].startswith("Dự lễ khai mạc có Đại sứ Việt Nam tại Liên bang Nga")
    assert a["body"].endswith("kéo dài đến ngày 19/10.")
    assert a["published_at"] == "2026-10-16T07:30:00+07:00"
    assert a["author"] == "Minh Quân"
    # The photo table's caption and credit stay out of the body.
    assert "Tiết mục nghệ thuật tại lễ khai mạc" not in a["body"]
    assert "Đại sứ quán Việt Nam tại Nga)" not in a["body"]


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


@pytest.mark.slow
def test_no_boilerplate_in_any_stored_text(crawl):
    _, stored, _ = crawl
    for a in stored.values():
        text = "\n".join([a["title"], a["lead"], a["body"]])
        for junk in (
            "TG&VN",
            "(Ảnh:",
            "Tin liên quan",
            "Quảng cáo",
            "Chia sẻ",
            "Tin cùng chuyên mục",
            "Tags:",
            "Bản quyền",
            "Đọc nhiều",
        ):
            assert junk not in text, (a["url"], junk)


# ------------------------------------------------------------- saved pages


def parse_saved(url: str, html: str):
    spider = BaoquocteSpider()
    response = HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url))
    return spider.read_article(response)


def saved(url: str) -> str:
    return (SITE / url.rsplit("/", 1)[1]).read_text("utf-8")


def test_date_falls_back_on_json_ld():
    page = saved(MOSCOW).replace('<span class="time">', '<span class="time-hidden">')
    item = parse_saved(MOSCOW, page)
    assert item.published_at.isoformat() == "2026-11-24T20:30:00+07:00"


def test_unreadable_date_is_an_error():
    page = saved(MOSCOW).replace("Thứ ba, 24/11/2026 20:30", "Đang cập nhật")
    page = page.replace('"datePublished": "2026-11-24T20:30:00+07:00"', '"datePublished": ""')
    with pytest.raises(ArticleParseError, match="date"):
        parse_saved(MOSCOW, page)


def test_sapo_prefix_variants():
    page = saved(MOSCOW)
    assert "TG&amp;VN. Chiều 24/11" in page
    for variant in ("TG&amp;VN - Chiều 24/11", "TG&amp;VN: Chiều 24/11", "TG &amp; VN. Chiều 24/11"):
        item = parse_saved(MOSCOW, page.replace("TG&amp;VN. Chiều 24/11", variant))
        assert item.lead.startswith("Chiều 24/11, tại trụ sở"), variant


def test_article_url_rules():
    spider = BaoquocteSpider()
    assert spider.is_article_url(MOSCOW)
    assert not spider.is_article_url(
        "https://en.baoquocte.vn/hanoi-and-moscow-to-draft-cooperation-program-334813.html"
    )
    assert not spider.is_article_url(f"{BASE}/video/toan-canh-hop-bao-thuong-ky-bo-ngoai-giao-334700.html")
    assert not spider.is_article_url(f"{BASE}/the-gioi/page/2")
