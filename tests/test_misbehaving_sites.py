"""Crawls of loopback sites that misbehave on purpose (issue 10, crawling): nothing fetched
that must not be, nothing dropped without an error of its kind, mis-declared charsets
read right, Retry-After honoured, failed articles retried even behind a 304."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from storage import Database
from storage.http_cache import HttpValidatorStore
from storage.models import FailedUrl, utcnow
from tests.helpers.workspace import Workspace
from tests.misbehaving import RU, MisbehavingServer, Reply, article, gzip_bomb, redirect, rss


def urlset(links: list[str]) -> str:
    urls = "".join(f"<url><loc>{u}</loc></url>" for u in links)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def sitemap_index(children: list[str]) -> str:
    entries = "".join(
        f"<sitemap><loc>{u}</loc><lastmod>2026-11-0{i + 1}</lastmod></sitemap>"
        for i, u in enumerate(children)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    )


XML = "application/xml; charset=utf-8"


def source_config(server: MisbehavingServer, *, feeds=("/feed.xml",), sitemaps=()) -> str:
    feed_list = ", ".join(f'"{server.url}{p}"' for p in feeds)
    sitemap_list = ", ".join(f'"{server.url}{p}"' for p in sitemaps)
    return f"""
[crawl]
delay_seconds = 0
allowed_hosts = ["{server.host}"]

[sources.site]
spider = "generic"
feeds = [{feed_list}]
sitemaps = [{sitemap_list}]
discover = false
languages = ["ru"]
selectors = {{ title = "h1", body = "div.body p", date = "time" }}
"""


def failed_urls(db_url: str) -> dict[str, FailedUrl]:
    with Database(db_url).session() as session:
        return {row.canonical_url.split("/", 3)[-1]: row for row in session.exec(select(FailedUrl)).all()}


# ------------------------------------------------------------------ one crawl, many faults


class Faults:
    """One crawl of a site whose feed and sitemaps lead to every kind of trouble."""

    def __init__(self, ws: Workspace, site: MisbehavingServer, other: MisbehavingServer) -> None:
        u = site.url
        good = ["/a/ok", "/a/cp1251-label", "/a/utf8-label", "/a/busy"]
        bad = ["/a/loop", "/a/chain", "/a/bomb", "/a/forbidden", "/a/mojibake", "/a/truncated"]
        refused_after_redirect = ["/a/go-other", "/a/go-metadata"]
        feed_links = [u + p for p in good + bad + refused_after_redirect]
        feed_links += ["http://169.254.169.254/latest/meta-data/", f"http://localhost:{site.port}/a/ok"]
        mojibake = "Москва и Ханой: новый этап".encode().decode("cp1251")
        site.routes.update(
            {
                "/feed.xml": Reply(body=rss(u, feed_links), content_type="application/rss+xml", etag=True),
                "/sitemap.xml": Reply(
                    body=sitemap_index(["file:///etc/passwd", f"{other.url}/sitemap-x.xml"]),
                    content_type=XML,
                    etag=True,
                ),
                "/sitemap-1.xml": Reply(
                    body=urlset([u + "/a/go-other", u + "/a/ok2"]), content_type=XML, etag=True
                ),
                "/a/ok": Reply(body=article("Обычная статья")),
                "/a/ok2": Reply(body=article("Вторая статья")),
                "/a/cp1251-label": Reply(
                    body=article("Заявлено windows-1251, а байты UTF-8", charset="windows-1251").encode(
                        "utf-8"
                    ),
                    content_type="text/html; charset=windows-1251",
                ),
                "/a/utf8-label": Reply(
                    body=article("Заявлено UTF-8, а байты windows-1251", charset="utf-8").encode("cp1251"),
                    content_type="text/html; charset=utf-8",
                ),
                "/a/busy": [
                    Reply(status=503, headers={"Retry-After": "2"}, body="busy"),
                    Reply(body=article("Занято")),
                ],
                "/a/loop": redirect("/a/loop-b"),
                "/a/loop-b": redirect(f"{u}/a/loop"),
                "/a/chain": redirect("/r/1"),
                **{f"/r/{i}": redirect(f"/r/{i + 1}") for i in range(1, 7)},
                "/r/7": Reply(body=article("Конец цепочки")),
                "/a/bomb": gzip_bomb(9 * 1024 * 1024),
                "/a/forbidden": Reply(status=403, body="<html><body>Forbidden</body></html>"),
                "/a/mojibake": Reply(body=article(mojibake)),
                "/a/truncated": Reply(body=article("Обрезанная статья", cut=True)),
                "/a/go-other": redirect(f"{other.url}/secret"),
                "/a/go-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
            }
        )
        ws.write_config(source_config(site, sitemaps=("/sitemap.xml", "/sitemap-1.xml")))
        self.run = ws.run_json("crawl", "site", "--json", check=False, timeout=240)[0]
        self.stored = {
            a["url"].rsplit("/", 2)[-2] + "/" + a["url"].rsplit("/", 1)[-1]: a
            for a in ws.run_json("articles", "--json", check=True)
        }
        self.failed = failed_urls(ws.db_url)
        self.validators = HttpValidatorStore(Database(ws.db_url)).for_source("site")
        self.status = ws.run("status", check=True).stdout
        self.site, self.other, self.ws = site, other, ws


@pytest.fixture(scope="module")
def faults(tmp_path_factory) -> Faults:
    ws = Workspace(tmp_path_factory.mktemp("faults"))
    with (
        MisbehavingServer() as site,
        MisbehavingServer(
            {"/secret": Reply(body="secret"), "/sitemap-x.xml": Reply(body=urlset([]))}
        ) as other,
    ):
        yield Faults(ws, site, other)


@pytest.mark.slow
def test_each_fault_is_an_error_of_its_kind(faults):
    run = faults.run
    assert run["status"] == "partial"
    kinds = run["error_kinds"]
    for kind in ("redirect_loop", "redirect_limit", "too_large", "http_403", "truncated"):
        assert kinds.get(kind) == 1, (kind, kinds)
    assert kinds.get("parse") == 1  # the mojibake page
    assert run["errors"] == sum(kinds.values())
    samples = {
        s["url"].rsplit("/", 2)[-2] + "/" + s["url"].rsplit("/", 1)[-1]: s for s in run["error_samples"]
    }
    assert samples["a/loop"]["kind"] == "redirect_loop"
    assert samples["a/mojibake"]["kind"] == "parse" and "mojibake" in samples["a/mojibake"]["reason"]


@pytest.mark.slow
def test_failed_pages_go_on_the_back_off_list_but_refused_ones_do_not(faults):
    assert set(faults.failed) == {"a/loop", "a/chain", "a/bomb", "a/forbidden", "a/mojibake", "a/truncated"}
    assert all(row.url.startswith(faults.site.url) for row in faults.failed.values())


@pytest.mark.slow
def test_nothing_outside_the_allowed_addresses_was_requested(faults):
    assert faults.other.hits == []  # neither its sitemap nor the redirect target
    samples = [s for s in faults.run["error_samples"] if s["kind"] == "refused"]
    refused = " ".join(f"{s['url']} {s['reason']}" for s in samples)
    assert faults.run["error_kinds"]["refused"] == 6
    for url in (
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        f"{faults.other.url}/secret",
        f"{faults.other.url}/sitemap-x.xml",
        f"http://localhost:{faults.site.port}/a/ok",
    ):
        assert url in refused, url
    assert not any("passwd" in a["url"] for a in faults.stored.values())


@pytest.mark.slow
def test_mis_declared_charsets_are_read_right(faults):
    assert faults.stored["a/cp1251-label"]["title"] == "Заявлено windows-1251, а байты UTF-8"
    assert faults.stored["a/utf8-label"]["title"] == "Заявлено UTF-8, а байты windows-1251"
    assert "Москва и Ханой договорились" in faults.stored["a/utf8-label"]["body"]
    assert "a/mojibake" not in faults.stored and "a/truncated" not in faults.stored


@pytest.mark.slow
def test_retry_after_is_honoured_for_the_host(faults):
    first, second = faults.site.hits_of("/a/busy")
    assert second.at - first.at >= 1.9
    assert faults.stored["a/busy"]["title"] == "Занято"


@pytest.mark.slow
def test_index_keeps_validators_only_when_all_it_led_to_was_fetched(faults):
    u = faults.site.url
    assert f"{u}/feed.xml" not in faults.validators  # its articles failed: read it whole next time
    assert f"{u}/sitemap-1.xml" in faults.validators  # its one refused link was a deliberate skip
    assert set(faults.stored) >= {"a/ok", "a/ok2", "a/busy", "a/cp1251-label", "a/utf8-label"}


@pytest.mark.slow
def test_status_shows_error_kinds_per_source(faults):
    block = faults.status.split("  site", 1)[1]
    for kind in ("redirect_loop 1", "too_large 1", "http_403 1", "refused 6"):
        assert kind in block, faults.status


# ------------------------------------------------------------------ retried behind a 304


@pytest.mark.slow
def test_failed_article_is_retried_even_when_its_feed_answers_304(tmp_path, database_url):
    state = {"ok": False}
    (tmp_path / "ws").mkdir()
    ws = Workspace(tmp_path / "ws")
    with MisbehavingServer() as site:
        u = site.url
        site.routes.update(
            {
                "/feed.xml": Reply(
                    body=rss(u, [u + "/a/one", u + "/a/two"]), content_type="application/rss+xml", etag=True
                ),
                "/a/one": lambda: (
                    Reply(body=article("Первая")) if state["ok"] else Reply(status=500, body="oops")
                ),
                "/a/two": Reply(body=article("Вторая")),
            }
        )
        ws.config_path.write_text(f'database_url = "{database_url}"\n' + source_config(site), "utf-8")
        validators = HttpValidatorStore(Database(database_url))

        first = ws.run_json("crawl", "site", "--json")[0]
        assert first["error_kinds"] == {"http_500": 1} and first["new"] == 1
        assert validators.for_source("site") == {}  # an article it listed failed

        site.hits.clear()
        second = ws.run_json("crawl", "site", "--json")[0]
        assert site.hits_of("/a/one") == []  # still in its back-off: a deliberate skip
        assert second["status"] == "ok"
        assert f"{u}/feed.xml" in validators.for_source("site")

        # The back-off runs out and the page is fixed; the feed has not changed.
        state["ok"] = True
        with Database(database_url).session() as session:
            for row in session.exec(select(FailedUrl)).all():
                row.last_failed_at = utcnow() - timedelta(hours=2)
                session.add(row)
        site.hits.clear()
        third = ws.run_json("crawl", "site", "--json")[0]
        assert third["not_modified"] == 1  # the feed answered 304 ...
        assert len(site.hits_of("/a/one")) == 1 and third["new"] == 1  # ... and the article came anyway
        assert failed_urls(database_url) == {}


# ------------------------------------------------------------------ the rules on their own


def test_retry_after_is_bounded_and_reads_both_forms():
    from spiders.downloads import retry_after_seconds

    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("999999") == 3600  # never more than an hour
    assert retry_after_seconds("Wed, 02 Dec 2026 12:00:30 GMT", now=1796212800.0) == 30
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "http://127.0.0.2:8080/x",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://10.1.2.3/",
        "http://localhost/",
        "http://a.localhost/",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "http:///x",
    ],
)
def test_non_public_or_non_http_urls_are_refused(url):
    import asyncio

    from scrapy.utils.test import get_crawler

    from monitor.config import AppConfig
    from spiders.downloads import UrlGuardMiddleware
    from spiders.resources import CRAWL_SETTING, SourceCrawl

    config = AppConfig.model_validate({"crawl": {"allowed_hosts": ["127.0.0.1:9"]}})
    guard = UrlGuardMiddleware(get_crawler(settings_dict={CRAWL_SETTING: SourceCrawl(config, "probe")}))
    assert asyncio.run(guard.refusal(url)) is not None
    assert asyncio.run(guard.refusal("http://127.0.0.1:9/feed")) is None  # listed explicitly
    assert asyncio.run(guard.refusal("https://93.184.215.14/page")) is None  # a public address literal


def test_encoding_order_bom_then_clean_decoding_then_detection():
    from spiders.downloads import choose_encoding

    text = "<html><head><meta charset='utf-8'></head><body><p>" + RU * 3 + "</p></body></html>"
    assert (
        choose_encoding(b"\xef\xbb\xbf" + text.encode("utf-8"), "text/html; charset=windows-1251") == "utf-8"
    )
    assert choose_encoding(text.encode("utf-8"), "text/html; charset=windows-1251") == "utf-8"
    assert choose_encoding(text.encode("cp1251"), "text/html; charset=utf-8") == "cp1251"
    assert choose_encoding(text.replace("utf-8", "koi8-r").encode("koi8-r"), "text/html") == "koi8-r"
