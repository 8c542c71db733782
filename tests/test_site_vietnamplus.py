"""VietnamPlus in three editions (sources vietnamplus, vietnamplus_en, vietnamplus_ru):
each edition's mirror crawled once through Scrapy's real downloader (module fixture),
then the stored fields of specific articles, and the shared "cms" reading on saved pages.

Expected values come from the fixture sources (tests/mirror/src/vietnamplus*/articles),
plus literals for what the pages show (date forms, bylines).
"""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.mirror import default_root
from spiders.base import ArticleParseError
from spiders.vietnamplus import VietnamplusEnSpider, VietnamplusRuSpider, VietnamplusSpider
from storage import canonicalize
from tests.helpers.workspace import Workspace, fixture_articles

EDITIONS = {
    # source: (src folder, host, language)
    "vietnamplus": ("vietnamplus", "www.vietnamplus.vn", "vi"),
    "vietnamplus_en": ("vietnamplus_en", "en.vietnamplus.vn", "en"),
    "vietnamplus_ru": ("vietnamplus_ru", "ru.vietnamplus.vn", "ru"),
}


TRUTH = {source: fixture_articles(folder) for source, (folder, _, _) in EDITIONS.items()}


def url_of(source: str, article_id: int) -> str:
    host = EDITIONS[source][1]
    (page,) = (default_root() / host).glob(f"*-post{article_id}.vnp")
    return f"https://{host}/{page.name}"


def page_text(source: str, article_id: int) -> str:
    host = EDITIONS[source][1]
    (page,) = (default_root() / host).glob(f"*-post{article_id}.vnp")
    return page.read_text("utf-8")


@pytest.fixture(scope="module")
def crawls(mirror, tmp_path_factory):
    """The three editions crawled together by one `newsmon crawl` (one process, one crawler
    each): {source: (summary, {url: article}, mirror paths requested)}."""
    ws = Workspace(tmp_path_factory.mktemp("vietnamplus"))
    ws.write_config("".join(f"[sources.{source}]\n" for source in EDITIONS))
    before = len(mirror.hits)
    summaries = {s["source"]: s for s in ws.run_json("crawl", *EDITIONS, "--json", NEWSMON_MIRROR=mirror.url)}
    hits = mirror.hits[before:]
    assert set(summaries) == set(EDITIONS), summaries
    out = {}
    for source, (_, host, _) in EDITIONS.items():
        stored = ws.run_json("articles", "--source", source, "--json")
        paths = [h.path for h in hits if h.host == host]  # each edition has its own host
        out[source] = (summaries[source], {a["url"]: a for a in stored}, paths)
    return out


@pytest.mark.parametrize("source", list(EDITIONS))
@pytest.mark.slow
def test_every_article_of_the_edition_is_stored_once(crawls, source):
    summary, stored, _ = crawls[source]
    assert summary["status"] == "ok", summary
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["new"] == len(TRUTH[source])
    assert set(stored) == {url_of(source, i) for i in TRUTH[source]}
    assert {a["source"] for a in stored.values()} == {source}
    assert {a["language"] for a in stored.values()} == {EDITIONS[source][2]}


@pytest.mark.slow
def test_www_reads_feeds_listings_and_news_sitemaps_only(crawls):
    _, _, paths = crawls["vietnamplus"]
    assert "/rss/home.rss" in paths and "/rss/kinhte-311.rss" in paths and "/rss/thegioi.rss" in paths
    # Entry-point discovery read the feed index and took the feed the spider does not name.
    assert "/rss.html" in paths and "/rss/chinhtri-291.rss" in paths
    assert "/kinhte/trang2.vnp" in paths  # pagination followed
    assert "/sitemaps/news-2026-11.xml" in paths
    assert "/sitemaps/categories.xml" not in paths and "/sitemaps/topics.xml" not in paths
    # The "Đọc nhiều" sidebar and in-article related boxes are not listings.
    assert not [p for p in paths if "post108700" in p or p.startswith("/infographics/")]


@pytest.mark.slow
def test_en_and_ru_do_not_ask_for_feeds(crawls):
    for source in ("vietnamplus_en", "vietnamplus_ru"):
        _, _, paths = crawls[source]
        assert not [p for p in paths if p.startswith("/rss/")], source
    assert "/sitemaps/news-2026-11.xml" in crawls["vietnamplus_en"][2]
    assert "/politics/page2.vnp" in crawls["vietnamplus_en"][2]
    assert "/sitemaps/google-news.xml" in crawls["vietnamplus_ru"][2]


@pytest.mark.slow
def test_www_hanoi_moscow_article(crawls):
    _, stored, _ = crawls["vietnamplus"]
    truth = TRUTH["vietnamplus"][1088421]
    url = url_of("vietnamplus", 1088421)
    a = stored[url]
    assert (
        url
        == "https://www.vietnamplus.vn/ha-noi-va-moskva-thong-nhat-xay-dung-chuong-trinh-hop-tac-giai-doan-2027-2029-post1088421.vnp"
    )
    assert a["canonical_url"] == canonicalize(url)
    assert a["title"] == "Hà Nội và Moskva thống nhất xây dựng chương trình hợp tác giai đoạn 2027-2029"
    assert a["lead"] == truth["sapo"]
    assert a["lead"].startswith("Chiều 24/11, Chủ tịch Ủy ban Nhân dân thành phố Hà Nội")
    assert a["body"].startswith("Tại buổi tiếp, hai bên điểm lại kết quả")
    assert a["body"].endswith("chuẩn bị tổ chức Những ngày Moskva tại Hà Nội vào năm 2027.")
    assert a["body"].split("\n\n") == truth["body"]
    assert "24/11/2026 18:05 GMT+7" in page_text("vietnamplus", 1088421)  # the site's own form
    assert a["published_at"] == "2026-11-24T18:05:00+07:00"
    assert a["author"] == "Minh Hiếu"
    assert a["tags"] == ["Hà Nội", "Moskva", "Hợp tác địa phương", "Việt Nam-Nga"]


@pytest.mark.slow
def test_www_boilerplate_stays_out_of_the_body(crawls):
    _, stored, _ = crawls["vietnamplus"]
    truth = TRUTH["vietnamplus"][1088102]
    a = stored[url_of("vietnamplus", 1088102)]
    page = page_text("vietnamplus", 1088102)
    # Each of these is on the page, inside or beside the body, and is not article text.
    for furniture in (
        "Xem thêm:",
        "(TTXVN/Vietnam+)",
        "Tin liên quan",
        "Quảng cáo",
        "(Ảnh: TTXVN)",
        "Chia sẻ",
        "Sao chép link",
        "Tags:",
        "Bình luận",
    ):
        assert furniture in page
        assert furniture not in a["body"], furniture
        assert furniture not in a["lead"], furniture
    assert a["body"].split("\n\n") == truth["body"]
    assert a["published_at"] == "2026-11-20T11:20:00+07:00"


@pytest.mark.slow
def test_en_article_with_english_date(crawls):
    _, stored, _ = crawls["vietnamplus_en"]
    truth = TRUTH["vietnamplus_en"][331284]
    url = url_of("vietnamplus_en", 331284)
    a = stored[url]
    assert (
        url
        == "https://en.vietnamplus.vn/hanoi-moscow-agree-to-draft-cooperation-programme-for-20272029-post331284.vnp"
    )
    assert a["title"] == "Hanoi, Moscow agree to draft cooperation programme for 2027–2029"
    assert a["lead"] == truth["sapo"]
    assert a["body"].startswith("Hanoi – The Hanoi leader said the two capitals")
    assert a["body"].endswith("prepare the Days of Moscow in Hanoi next year.")
    assert "November 24, 2026 20:15 GMT+7" in page_text("vietnamplus_en", 331284)
    assert a["published_at"] == "2026-11-24T20:15:00+07:00"
    assert a["author"] == "Thu Hằng"
    assert a["language"] == "en"
    assert "VNA" not in a["body"].split("\n\n")  # the closing credit line


@pytest.mark.slow
def test_en_article_without_byline(crawls):
    _, stored, _ = crawls["vietnamplus_en"]
    a = stored[url_of("vietnamplus_en", 330915)]
    assert a["title"] == "Russia, India sign long-term energy agreements"
    assert a["author"] is None
    assert "October 20, 2026 22:05 GMT+7" in page_text("vietnamplus_en", 330915)
    assert a["published_at"] == "2026-10-20T22:05:00+07:00"


@pytest.mark.slow
def test_ru_article_with_dotted_date(crawls):
    _, stored, _ = crawls["vietnamplus_ru"]
    truth = TRUTH["vietnamplus_ru"][228590]
    url = url_of("vietnamplus_ru", 228590)
    a = stored[url]
    assert (
        url
        == "https://ru.vietnamplus.vn/rayon-khoankiem-i-tverskoy-rayon-moskvy-podpisali-memorandum-post228590.vnp"
    )
    assert a["title"] == "Район Хоанкьем и Тверской район Москвы подписали меморандум о сотрудничестве"
    assert a["lead"] == truth["sapo"]
    assert a["body"].startswith("Ханой, 25 ноября – Церемония прошла")
    assert a["body"].endswith("школы районов организуют онлайн-встречи учеников.")
    assert "25.11.2026, 19:30 GMT+7" in page_text("vietnamplus_ru", 228590)
    assert a["published_at"] == "2026-11-25T19:30:00+07:00"
    assert a["author"] == "Нгуен Тхань"
    for furniture in ("Читайте также", "(ВИА)", "Похожие новости", "Реклама", "Поделиться"):
        assert furniture not in a["body"], furniture


@pytest.mark.parametrize("source", list(EDITIONS))
def test_ground_truth_mix(source):
    """Each edition carries the mix the relevance work needs, and its core articles
    report events that other mirrored sources report too (story keys)."""
    labels = [a["relevance"] for a in TRUTH[source].values()]
    assert 2 <= labels.count("core") <= 5
    assert 1 <= labels.count("national") <= 2
    assert 1 <= sum(1 for a in TRUTH[source].values() if a.get("hard_negative")) <= 2
    assert all(a.get("story") for a in TRUTH[source].values() if a["relevance"] == "core")
    assert 8 <= len(labels) <= 12


# ------------------------------------------------------------------ saved pages


def response_for(source: str, article_id: int, html: str | None = None) -> HtmlResponse:
    url = url_of(source, article_id)
    body = (html if html is not None else page_text(source, article_id)).encode("utf-8")
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))


def parse(spider, response: HtmlResponse):
    return spider.read_article(response)


def test_display_date_missing_falls_back_to_cms_date_meta():
    page = page_text("vietnamplus", 1087630)
    changed = page.replace("10/11/2026 17:45 GMT+7</time>", "</time>", 1)
    assert changed != page
    item = parse(VietnamplusSpider(), response_for("vietnamplus", 1087630, changed))
    assert item.published_at.isoformat() == "2026-11-10T17:45:00+07:00"


def test_page_without_cms_markup_is_read_by_the_fallback_layers():
    """A redesign that drops the cms classes: the page's metadata and main text still give
    the fields, and the item says which layer gave each."""
    original = parse(
        VietnamplusRuSpider(), response_for("vietnamplus_ru", 228311, page_text("vietnamplus_ru", 228311))
    )
    page = page_text("vietnamplus_ru", 228311).replace(
        "article__body zce-content-body cms-body", "post-content"
    )
    item = parse(VietnamplusRuSpider(), response_for("vietnamplus_ru", 228311, page))
    assert item.layers["body"] == "main_text" and original.layers["body"] == "selectors"
    assert item.body.split("\n\n")[0] == original.body.split("\n\n")[0]
    page = page_text("vietnamplus_en", 331002).replace('class="article__title cms-title"', 'class="headline"')
    item = parse(VietnamplusEnSpider(), response_for("vietnamplus_en", 331002, page))
    assert item.layers["title"] == "metadata"
    assert item.title == TRUTH["vietnamplus_en"][331002]["title"]


def test_page_with_nothing_readable_fails_loudly():
    page = "<html><head></head><body><p>Trang không tồn tại</p></body></html>"
    with pytest.raises(ArticleParseError, match="no title"):
        parse(VietnamplusEnSpider(), response_for("vietnamplus_en", 331002, page))


def test_article_urls_of_each_edition():
    www, en, ru = VietnamplusSpider(), VietnamplusEnSpider(), VietnamplusRuSpider()
    assert www.is_article_url(url_of("vietnamplus", 1088421))
    assert not www.is_article_url(
        "https://www.vietnamplus.vn/infographics/toan-canh-kinh-te-xa-hoi-10-thang-post1087002.vnp"
    )
    assert not www.is_article_url("https://www.vietnamplus.vn/tag/kaluga-tag.vnp")
    assert en.is_article_url(url_of("vietnamplus_en", 331284))
    assert not en.is_article_url(url_of("vietnamplus_ru", 228590))  # each source keeps to its edition
    assert ru.is_article_url(url_of("vietnamplus_ru", 228590))
