"""The first vertical slice: hanoimoi.vn crawled from the offline mirror through Scrapy's
real downloader over loopback HTTP, into deduplicated storage."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.mirror import MirrorServer, default_root
from tests.helpers.workspace import REPO, Workspace

KALUGA = "https://hanoimoi.vn/ha-noi-kaluga-ban-thuc-day-dau-tu-vao-cong-nghiep-ho-tro-563102.html"
FACTORY = (
    "https://hanoimoi.vn/doanh-nghiep-lb-nga-nhan-chung-nhan-dau-tu-nha-may-tai-khu-cong-nghiep-"
    "thach-that-quoc-oai-562422.html"
)
BROKEN = "https://hanoimoi.vn/ha-noi-giai-ngan-von-dau-tu-cong-dat-75-ke-hoach-563264.html"
UNDATED = "https://hanoimoi.vn/ha-noi-ra-quan-kiem-tra-an-toan-thuc-pham-dip-cuoi-nam-563209.html"
ARTICLE_PATH = re.compile(r"-\d{5,}\.html$")


def article_hits(server: MirrorServer) -> list[str]:
    return [h.path for h in server.hits if h.host == "hanoimoi.vn" and ARTICLE_PATH.search(h.path)]


class Crawled:
    def __init__(self, ws: Workspace, server: MirrorServer) -> None:
        self.ws, self.server = ws, server
        server.clear_hits()
        self.first = ws.run_json("crawl", "hanoimoi", "--json", NEWSMON_MIRROR=server.url)[0]
        self.first_article_hits = article_hits(server)
        self.first_hits = len(server.hits)
        self.articles = {a["url"]: a for a in ws.run_json("articles", "--json")}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, mirror) -> Crawled:
    ws = Workspace(tmp_path_factory.mktemp("hanoimoi"))
    ws.write_config("[sources.hanoimoi]\n")
    return Crawled(ws, mirror)


@pytest.mark.slow
def test_first_crawl_counts(crawled):
    run = crawled.first
    assert run["source"] == "hanoimoi"
    # Four faults are planted in the mirror: a missing feed, a 500 listing page,
    # a truncated article and an article with no readable date.
    assert run["status"] == "partial"
    assert run["errors"] == 4
    assert run["error_kinds"] == {"http_404": 1, "http_500": 1, "truncated": 1, "parse": 1}
    assert run["new"] == 43 == len(crawled.articles)
    assert run["duplicates"] == 0 and run["updated"] == 0 and run["blocked"] == 0
    # The truncated page is refused before it is parsed: 44 pages reached the parser.
    assert run["articles_seen"] == 44
    # Every HTTP request the crawl made, as the server saw them (a retried 500 counts twice).
    assert run["requests"] == crawled.first_hits
    assert run["finished_at"] >= run["started_at"]


@pytest.mark.slow
def test_fields_of_one_article(crawled):
    a = crawled.articles[KALUGA]
    assert a["canonical_url"] == KALUGA
    assert a["source"] == "hanoimoi" and a["language"] == "vi"
    assert a["title"] == "Hà Nội - Kaluga bàn thúc đẩy đầu tư vào công nghiệp hỗ trợ"
    assert a["lead"].startswith(
        "Sáng 20/11, Sở Công Thương Hà Nội làm việc với đoàn doanh nghiệp tỉnh Kaluga (LB Nga)"
    )
    assert a["body"].startswith("Tham gia đoàn công tác có đại diện Cơ quan phát triển đầu tư tỉnh Kaluga")
    assert a["body"].endswith("hoàn thiện thủ tục và triển khai dự án tại Hà Nội.")
    assert a["body"].count("\n\n") == 5  # six paragraphs
    assert a["published_at"] == "2026-11-20T08:15:00+07:00"
    assert a["author"] == "Phương Nga"
    assert a["tags"] == ["Hà Nội", "Kaluga", "Công nghiệp hỗ trợ", "Đầu tư", "LB Nga"]
    assert a["label"] == "core" and a["reasons"]


@pytest.mark.slow
def test_fields_of_another_article(crawled):
    a = crawled.articles[FACTORY]
    assert a["title"].startswith("Doanh nghiệp LB Nga nhận chứng nhận đầu tư nhà máy")
    assert a["lead"].endswith("tổng vốn 42 triệu USD.")
    assert a["body"].startswith("Dự án có diện tích gần 5 ha tại khu công nghiệp Thạch Thất - Quốc Oai")
    assert a["body"].endswith("tập trung vào điện tử, cơ khí chính xác và thiết bị y tế.")
    assert a["published_at"] == "2026-11-06T10:20:00+07:00"
    assert a["author"] == "Quang Thái"


@pytest.mark.parametrize(
    "boilerplate", ["Không sao chép", "Tin liên quan", "Chia sẻ", "Quảng cáo", "Ảnh:", "Sao chép liên kết"]
)
@pytest.mark.slow
def test_no_boilerplate_in_any_body(crawled, boilerplate):
    offenders = [url for url, a in crawled.articles.items() if boilerplate in a["body"]]
    assert offenders == []


@pytest.mark.slow
def test_article_reached_many_ways_is_stored_and_fetched_once(crawled):
    # 563102 is in a feed with tracking parameters, on a listing page, in the sitemap and on the home page.
    stored = [a for a in crawled.articles.values() if a["canonical_url"] == KALUGA]
    assert len(stored) == 1
    assert (
        crawled.first_article_hits.count(
            "/ha-noi-kaluga-ban-thuc-day-dau-tu-vao-cong-nghiep-ho-tro-563102.html"
        )
        == 1
    )
    assert len(crawled.first_article_hits) == len(set(crawled.first_article_hits))


@pytest.mark.slow
def test_broken_and_undated_pages_are_errors_with_their_urls(crawled):
    samples = {s["url"]: s for s in crawled.first["error_samples"]}
    # Refused before parsing: the HTML stops before its closing markup.
    assert samples[BROKEN]["kind"] == "truncated" and "truncated" in samples[BROKEN]["reason"]
    assert "unparseable publication date" in samples[UNDATED]["reason"]
    assert "Đang cập nhật" in samples[UNDATED]["reason"]
    assert samples["https://hanoimoi.vn/rss/van-hoa"]["reason"] == "HTTP 404"
    assert samples["https://hanoimoi.vn/the-gioi/trang-2"]["reason"] == "HTTP 500"
    assert BROKEN not in crawled.articles and UNDATED not in crawled.articles


@pytest.mark.slow
def test_only_real_site_urls_are_stored(crawled):
    assert all(url.startswith("https://hanoimoi.vn/") for url in crawled.articles)
    assert not any("127.0.0.1" in a["canonical_url"] for a in crawled.articles.values())


@pytest.mark.slow
def test_second_crawl_requests_no_article_page(crawled):
    crawled.server.clear_hits()
    second = crawled.ws.run_json("crawl", "hanoimoi", "--json", NEWSMON_MIRROR=crawled.server.url)[0]
    assert article_hits(crawled.server) == []
    assert second["articles_seen"] == 0 and second["new"] == 0
    assert second["requests"] < crawled.first["requests"] - 40
    assert len(crawled.ws.run_json("articles", "--json")) == 43


@pytest.mark.slow
def test_articles_filters(crawled):
    since = crawled.ws.run_json("articles", "--json", "--since", "2026-11-20")
    assert since and all(a["published_at"] >= "2026-11-20" for a in since)
    assert len(since) < len(crawled.articles)
    assert crawled.ws.run_json("articles", "--json", "--source", "kinhtedothi") == []
    core = crawled.ws.run_json("articles", "--json", "--label", "core")
    assert KALUGA in {a["url"] for a in core}
    bad = crawled.ws.run("articles", "--since", "last tuesday")
    assert bad.returncode == 2 and "not a date" in bad.stderr


@pytest.mark.slow
def test_edited_article_is_updated_in_place(tmp_path, workspace):
    root = tmp_path / "mirror"
    shutil.copytree(default_root(), root)
    workspace.write_config("[sources.hanoimoi]\n")
    with MirrorServer(root) as server:
        workspace.run("crawl", "hanoimoi", NEWSMON_MIRROR=server.url)
        page = root / "hanoimoi.vn" / Path(KALUGA).name
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("14 doanh nghiệp Nga", "16 doanh nghiệp Nga"), encoding="utf-8")
        # A refresh window says stored articles are due again.
        workspace.write_config("[crawl]\nrefresh_hours = 0.00001\n[sources.hanoimoi]\n")
        run = workspace.run_json("crawl", "hanoimoi", "--json", NEWSMON_MIRROR=server.url)[0]
    assert run["updated"] == 1
    assert run["unchanged"] == 42 and run["new"] == 0
    stored = {a["url"]: a for a in workspace.run_json("articles", "--json")}
    assert len(stored) == 43
    assert "16 doanh nghiệp Nga" in stored[KALUGA]["body"]
    assert stored[KALUGA]["updated_at"] is not None


@pytest.mark.slow
def test_blocked_site_is_recorded_as_blocked_with_a_proxy_hint(workspace):
    workspace.write_config("[sources.hanoimoi]\n")
    with MirrorServer(default_root(), blocked_hosts={"hanoimoi.vn"}) as server:
        result = workspace.run("crawl", "hanoimoi", "--json", NEWSMON_MIRROR=server.url)
    assert result.returncode == 1
    import json

    run = json.loads(result.stdout.splitlines()[0])
    assert run["status"] == "blocked"
    assert run["blocked"] > 0 and run["new"] == 0
    assert "403" in run["message"] and "proxy" in run["message"]
    # Blocked is not a parse error.
    assert not any(s["kind"] == "parse" for s in run["error_samples"])


def test_unknown_source_is_a_usage_error(workspace):
    result = workspace.run("crawl", "nosuchsite")
    assert result.returncode == 2 and "unknown source" in result.stderr


@pytest.mark.slow
def test_scrapy_crawl_works_from_a_checkout(workspace, mirror):
    """`scrapy crawl hanoimoi` from the repo root uses settings.py and newsmon's config."""
    workspace.write_config("[sources.hanoimoi]\n")
    env = workspace.env(NEWSMON_MIRROR=mirror.url)
    scrapy = shutil.which("scrapy") or ""
    cmd = [scrapy, "crawl", "hanoimoi"] if scrapy else [sys.executable, "-m", "scrapy", "crawl", "hanoimoi"]
    # The mirror is ours and on loopback: no politeness delay (newsmon crawl does the same).
    fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"]
    result = subprocess.run(cmd + fast, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(workspace.run_json("articles", "--json")) == 43
