"""kinhtedothi.vn: one crawl of its mirror through Scrapy's real downloader (module
fixture), then the stored fields of specific articles, and page parsing on saved pages.

The site has no working feed, so everything must come from the category listings
(with pagination) and the sitemap. Expected values come from the fixture sources
(tests/mirror/src/kinhtedothi/articles/*.toml), plus literals for the date forms.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.mirror import default_root
from spiders.base import ArticleParseError
from spiders.kinhtedothi import KinhtedothiSpider
from tests.helpers.workspace import crawl_one_source, fixture_articles

SRC = Path(__file__).resolve().parent / "mirror" / "src" / "kinhtedothi"
SITE = default_root() / "kinhtedothi.vn"
BASE = "https://kinhtedothi.vn"


TRUTH = fixture_articles("kinhtedothi")


def url_of(article_id: int) -> str:
    return next(p for p in SITE.glob(f"*-{article_id}.html")).name


@pytest.fixture(scope="module")
def crawl(mirror, tmp_path_factory):
    """Crawl kinhtedothi once; return (crawl summary, stored articles by URL, mirror paths requested)."""
    return crawl_one_source(mirror, tmp_path_factory.mktemp("kinhtedothi"), "kinhtedothi", "kinhtedothi.vn")


@pytest.mark.slow
def test_crawl_finds_every_article_without_a_feed(crawl):
    summary, stored, paths = crawl
    assert summary["status"] == "ok", summary
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["new"] == len(TRUTH) == 12
    assert set(stored) == {f"{BASE}/{url_of(i)}" for i in TRUTH}
    # Listing pagination and the sitemap were both used: 588512 is only on /thoi-su/trang-2,
    # 588731 only in the sitemap.
    assert "/thoi-su/trang-2" in paths
    assert any(p.startswith("/sitemaps/article-") for p in paths)
    # Tag pages and the e-paper promo in the listings are not articles.
    assert not [p for p in paths if p.startswith(("/tag/", "/bao-in"))]


@pytest.mark.slow
def test_kaluga_article_fields(crawl):
    _, stored, _ = crawl
    truth = TRUTH[589236]
    a = stored[f"{BASE}/doanh-nghiep-tinh-kaluga-tim-co-hoi-dau-tu-cong-nghiep-ho-tro-tai-ha-noi-589236.html"]
    assert a["title"] == "Doanh nghiệp tỉnh Kaluga tìm cơ hội đầu tư công nghiệp hỗ trợ tại Hà Nội"
    assert a["canonical_url"] == a["url"]
    assert a["source"] == "kinhtedothi"
    assert a["language"] == "vi"
    # The sapo's "Kinhtedothi - " prefix is the site's brand, not text.
    assert a["lead"].startswith("Sáng 20/11, Sở Công Thương Hà Nội")
    assert a["lead"] == truth["sapo"]
    assert a["body"].startswith("Đoàn công tác gồm lãnh đạo Cơ quan phát triển đầu tư tỉnh Kaluga")
    assert a["body"].endswith("đoàn doanh nghiệp Hà Nội sẽ sang Kaluga khảo sát và dự diễn đàn đầu tư.")
    assert a["body"] == "\n\n".join(truth["body"])
    # "Thứ Sáu, 11:40 20/11/2026" on the page.
    assert a["published_at"] == "2026-11-20T11:40:00+07:00"
    assert a["author"] == "Phương Linh"
    assert a["tags"] == ["Kaluga", "Công nghiệp hỗ trợ", "Sở Công Thương Hà Nội", "Liên bang Nga"]


@pytest.mark.slow
def test_article_dated_by_page_text_only(crawl):
    """589004 has no article:published_time: the date comes from div.article-published-on."""
    _, stored, _ = crawl
    a = stored[f"{BASE}/thuong-mai-viet-nam-nga-10-thang-uoc-dat-4-9-ty-usd-589004.html"]
    assert a["title"] == "Thương mại Việt Nam - Nga 10 tháng ước đạt 4,9 tỷ USD"
    assert a["published_at"] == "2026-11-12T10:15:00+07:00"
    assert a["author"] is None
    assert a["lead"] == TRUTH[589004]["sapo"]
    assert a["body"].startswith("Số liệu của cơ quan hải quan cho thấy")
    assert a["body"].endswith("Liên minh Kinh tế Á - Âu.")


@pytest.mark.slow
def test_every_stored_article_matches_its_source(crawl):
    _, stored, _ = crawl
    by_id = {int(url.rsplit("-", 1)[1].removesuffix(".html")): a for url, a in stored.items()}
    for article_id, truth in TRUTH.items():
        a = by_id[article_id]
        assert a["title"] == truth["title"]
        assert a["lead"] == truth["sapo"]
        assert a["body"] == "\n\n".join(truth["body"]), article_id
        assert datetime.fromisoformat(a["published_at"]) == truth["published"]
        assert a["author"] == (truth.get("author") or None)


@pytest.mark.slow
def test_no_boilerplate_in_any_stored_text(crawl):
    _, stored, _ = crawl
    for a in stored.values():
        text = "\n".join([a["title"], a["lead"], a["body"]])
        for junk in (
            "Kinhtedothi -",
            "Xem thêm",
            "Tin liên quan",
            "Quảng cáo",
            "Ảnh:",
            "Chia sẻ",
            "Đăng ký mua gói ấn phẩm",
            "Tin cùng chuyên mục",
            "Từ khóa",
            "Bản quyền",
        ):
            assert junk not in text, (a["url"], junk)
        if a["author"]:
            assert not a["body"].endswith(a["author"])  # the closing byline is the author, not body


# ------------------------------------------------------------- saved pages


def parse_saved(name: str, html: str | None = None):
    spider = KinhtedothiSpider()
    page = html if html is not None else (SITE / name).read_text("utf-8")
    url = f"{BASE}/{name}"
    response = HtmlResponse(url=url, body=page.encode("utf-8"), encoding="utf-8", request=Request(url))
    return spider.read_article(response)


def test_lead_prefix_variants_are_stripped():
    name = url_of(589410)
    page = (SITE / name).read_text("utf-8")
    assert "Kinhtedothi - Chiều 24/11" in page
    for variant in ("Kinhtedothi – Chiều 24/11", "Kinhtedothi-Chiều 24/11", "KINHTEDOTHI — Chiều 24/11"):
        item = parse_saved(name, page.replace("Kinhtedothi - Chiều 24/11", variant))
        assert item.lead.startswith("Chiều 24/11, Chủ tịch UBND TP Hà Nội"), variant


def test_page_without_the_2025_template_body_is_read_by_main_text_extraction():
    """A redesigned body container: the body comes from the main-text layer, and says so."""
    name = url_of(589410)
    original = parse_saved(name)
    page = (SITE / name).read_text("utf-8").replace('class="article-content"', 'class="entry-body"')
    page = page.replace('itemprop="articleBody"', "")
    item = parse_saved(name, page)
    assert original.layers["body"] == "selectors" and item.layers["body"] == "main_text"
    first_paragraph = original.body.split("\n\n")[0]
    assert item.body.startswith(first_paragraph[:60])
    assert item.title == original.title and item.layers["title"] == "selectors"


def test_page_with_neither_body_nor_text_is_an_error_not_an_empty_article():
    page = "<html><head><title>Trang</title></head><body><h1 class='article-title'>Tiêu đề</h1></body></html>"
    with pytest.raises(ArticleParseError, match="no body"):
        parse_saved(url_of(589410), page)


def test_article_urls_without_a_numeric_id():
    """Real kinhtedothi URLs without an id (sources.md): articles too, while sections are not."""
    spider = KinhtedothiSpider()
    assert spider.is_article_url(f"{BASE}/thuc-day-khu-vuc-tu-nhan-huong-toi-tang-truong-ben-vung.html")
    assert spider.is_article_url(f"{BASE}/su-kien/ky-niem-80-nam-cach-mang-thang-tam-va-quoc-khanh-2-9.html")
    assert not spider.is_article_url(f"{BASE}/kinh-te.html")
    assert not spider.is_article_url(f"{BASE}/tag/ha-noi.html")


def test_article_url_rules():
    spider = KinhtedothiSpider()
    assert spider.is_article_url(f"{BASE}/{url_of(589236)}")
    assert not spider.is_article_url(f"{BASE}/tag/thu-do-huong-toi-ky-nguyen-moi")
    assert not spider.is_article_url(f"{BASE}/bao-in")
    assert not spider.is_article_url(f"{BASE}/kinh-te/trang-2")
    # Sub-sites are their own hosts, not this source.
    assert not spider.is_article_url(
        "https://thitruongtaichinh.kinhtedothi.vn/co-phieu-ngan-hang-tang-manh-123456.html"
    )
