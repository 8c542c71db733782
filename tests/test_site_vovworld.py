"""vovworld.vn, Russian service: one crawl of its mirror through Scrapy's real downloader
(module fixture), then the stored fields of specific articles.

The pages live at percent-encoded Cyrillic paths, the leads carry a "(VOVWORLD) - "
prefix and the body a stray Vietnamese "Chia sẻ" label; no feed or category id is known,
so the service's front page and the sitemap robots.txt names are the way in. Expected values come from the fixture
sources (tests/mirror/src/vovworld/articles/*.toml), plus literals for the date form.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.mirror import default_root
from spiders.base import ArticleParseError
from spiders.vovworld import VovworldSpider
from storage import canonicalize
from tests.helpers.workspace import Workspace, fixture_articles

SRC = Path(__file__).resolve().parent / "mirror" / "src" / "vovworld"
SITE = default_root() / "vovworld.vn"
TRUTH = fixture_articles("vovworld")


def path_of(article_id: int) -> str:
    a = TRUTH[article_id]
    return f"/ru-RU/{a['category']}/{a['slug']}-{article_id}.vov"


def url_of(article_id: int) -> str:
    return "https://vovworld.vn" + quote(path_of(article_id))


def page_text(article_id: int) -> str:
    return (SITE / path_of(article_id).lstrip("/")).read_text("utf-8")


@pytest.fixture(scope="module")
def crawl(mirror, tmp_path_factory):
    """Crawl vovworld once; return (crawl summary, stored articles by URL, mirror paths requested)."""
    ws = Workspace(tmp_path_factory.mktemp("vovworld"))
    ws.write_config("[sources.vovworld]\n")
    before = len(mirror.hits)
    summaries = ws.run_json("crawl", "vovworld", "--json", NEWSMON_MIRROR=mirror.url)
    paths = [h.path for h in mirror.hits[before:] if h.host == "vovworld.vn"]  # unquoted by the server
    stored = ws.run_json("articles", "--source", "vovworld", "--json")
    assert len(summaries) == 1, summaries
    return summaries[0], {a["url"]: a for a in stored}, paths, ws


@pytest.mark.slow
def test_every_article_is_stored_once_through_discovered_entry_points(crawl):
    """No Russian-service category id is known: the spider reads the service's front page
    and the sitemap robots.txt names (entry-point discovery), nothing invented."""
    summary, stored, paths, ws = crawl
    assert summary["status"] == "ok", summary
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["new"] == len(TRUTH) == 8
    assert set(stored) == {url_of(i) for i in TRUTH}
    assert {a["source"] for a in stored.values()} == {"vovworld"}
    assert {a["language"] for a in stored.values()} == {"ru"}
    assert "/ru-RU.vov" in paths and "/robots.txt" in paths and "/ru-RU/sitemap.xml" in paths
    # The front page shows the newest four; the others came through the discovered sitemap.
    assert path_of(2455873) in paths and quote(path_of(2455873)) not in (SITE / "ru-RU.vov").read_text(
        "utf-8"
    )
    assert paths.count("/ru-RU.vov") == 2  # as the listing, and looked at for announced feeds
    # The invented category listings are not asked for.
    assert not [p for p in paths if p.endswith(("/1147.vov", "/1150.vov", "/1153.vov"))]


@pytest.mark.slow
def test_days_of_hanoi_article(crawl):
    _, stored, _, _ = crawl
    truth = TRUTH[2456720]
    url = url_of(2456720)
    assert url.startswith("https://vovworld.vn/ru-RU/%D0%BA%D1%83%D0%BB%D1%8C%D1%82%D1%83%D1%80%D0%B0/")
    a = stored[url]
    assert a["canonical_url"] == canonicalize(url)
    assert a["title"] == "В Москве открылись Дни Ханоя – 2026"
    page = page_text(2456720)
    assert "(VOVWORLD) - Вечером 15 октября" in page
    assert a["lead"] == truth["sapo"]  # the "(VOVWORLD) - " prefix is the service's brand, not text
    assert a["lead"].startswith("Вечером 15 октября по ханойскому времени")
    assert a["body"].startswith("На церемонии присутствовали заместитель председателя")
    assert a["body"].endswith("фотовыставка о Ханое, ханойская кухня и туристический форум.")
    assert "16 октября 2026 08:05:00" in page  # the site's own form
    assert a["published_at"] == "2026-10-16T08:05:00+07:00"
    assert a["author"] == "Ань Ву"
    assert a["tags"] == ["Дни Ханоя в Москве", "культура", "Москва"]


@pytest.mark.slow
def test_metro_article_keeps_the_vietnamese_share_label_out(crawl):
    _, stored, _, _ = crawl
    truth = TRUTH[2460187]
    a = stored[url_of(2460187)]
    page = page_text(2460187)
    assert "<p>Chia sẻ</p>" in page
    assert "Chia sẻ" not in a["body"]
    for furniture in ("Фото: VOV", "Другие новости", "ВКонтакте", "Отзывы", "VOVWORLD"):
        assert furniture in page
        assert furniture not in a["body"], furniture
    assert a["body"].split("\n\n") == truth["body"]
    assert a["title"] == "Ханойский метрополитен и Московское метро договорились о подготовке кадров"
    assert "13 ноября 2026 18:30:00" in page
    assert a["published_at"] == "2026-11-13T18:30:00+07:00"


@pytest.mark.slow
def test_article_without_byline(crawl):
    _, stored, _, _ = crawl
    a = stored[url_of(2459610)]
    assert a["author"] is None
    assert a["published_at"] == "2026-11-14T11:45:00+07:00"


@pytest.mark.slow
def test_second_crawl_requests_no_article_page(crawl, mirror):
    """Stored percent-encoded Cyrillic URLs are recognised before a request is made."""
    *_, ws = crawl
    before = len(mirror.hits)
    (summary,) = ws.run_json("crawl", "vovworld", "--json", NEWSMON_MIRROR=mirror.url)
    paths = [h.path for h in mirror.hits[before:] if h.host == "vovworld.vn"]
    assert summary["status"] == "ok", summary
    assert summary["new"] == summary["articles_seen"] == summary["errors"] == 0
    assert paths and not [p for p in paths if p.endswith(tuple(f"-{i}.vov" for i in TRUTH))]
    # The discovered sitemap is used again, without looking for entry points again (that is weekly).
    assert "/ru-RU/sitemap.xml" in paths and paths.count("/ru-RU.vov") == 1


def test_ground_truth_mix():
    labels = [a["relevance"] for a in TRUTH.values()]
    assert labels.count("core") == 3 and labels.count("national") == 1
    assert sum(1 for a in TRUTH.values() if a.get("hard_negative")) == 1
    assert all(a.get("story") for a in TRUTH.values() if a["relevance"] == "core")


def test_mobile_and_listing_urls():
    spider = VovworldSpider()
    mobile = url_of(2460187).replace("https://vovworld.vn", "https://m.vovworld.vn")
    assert spider.amp_url_re[0].sub(spider.amp_url_re[1], mobile) == url_of(2460187)
    assert spider.is_article_url(url_of(2460187))
    assert not spider.is_article_url("https://vovworld.vn" + quote("/ru-RU/новости/1147.vov"))
    assert not spider.is_article_url("https://vovworld.vn" + quote("/ru-RU/новости/1147/page2.vov"))


def test_undatable_page_is_an_error_not_an_undated_article():
    """VOV World pages carry no machine-readable date: an unreadable display date must fail."""
    url = url_of(2459998)
    html = page_text(2459998).replace("8 ноября 2026 15:30:00", "Обновляется")
    response = HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url))
    spider = VovworldSpider()
    with pytest.raises(ArticleParseError, match="publication date"):
        spider.read_article(response)
