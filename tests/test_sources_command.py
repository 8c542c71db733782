"""`newsmon sources [--json]` through the real entry point."""

from __future__ import annotations

from storage import CrawlRunLog, Database

CONFIG = """
[crawl]
default_schedule = "interval:45m"

[sources.hanoimoi]
schedule = "cron:*/20 6-22 * * *"
proxy = "http://vn-egress.example:3128"

[sources.tass]
spider = "generic"
feeds = ["https://tass.ru/rss/v2.xml"]
languages = ["ru"]

[sources.vnexpress_en]
spider = "generic"
enabled = false
sitemaps = ["https://www.example-news.vn/sitemap-news.xml"]
"""


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows}


def test_lists_each_source_with_kind_languages_and_schedule(workspace):
    workspace.write_config(CONFIG)
    rows = by_name(workspace.run_json("sources", "--json", check=True))
    assert list(rows) == ["hanoimoi", "tass", "vnexpress_en"]  # config order

    site = rows["hanoimoi"]
    assert site["kind"] == "site" and site["spider"] == "hanoimoi" and site["label"] == "Hà Nội Mới"
    assert site["languages"] == ["vi"]  # from the spider
    assert site["schedule"] == "cron:*/20 6-22 * * *" and site["proxy"] is True
    assert site["last_crawl"] is None

    generic = rows["tass"]
    assert generic["kind"] == "generic" and generic["spider"] == "generic"
    assert generic["languages"] == ["ru"]  # from the config
    assert generic["label"] == "tass.ru" and generic["feeds"] == ["https://tass.ru/rss/v2.xml"]
    assert generic["schedule"] == "interval:45m" and generic["proxy"] is False

    disabled = rows["vnexpress_en"]
    assert disabled["enabled"] is False and disabled["languages"] == []
    assert disabled["label"] == "example-news.vn"

    # A source naming a spider that does not exist is refused on load (tests/test_config_cli.py).
    workspace.write_config(CONFIG + '[sources.ghost]\nspider = "nosuch"\n')
    refused = workspace.run("sources")
    assert refused.returncode == 1 and "sources.ghost.spider: no spider named 'nosuch'" in refused.stderr


def test_shows_the_last_crawl_result(workspace):
    workspace.write_config(CONFIG)
    runs = CrawlRunLog(Database(workspace.db_url))
    older = runs.start("tass")
    runs.finish(older, "failed", {"requests": 1, "errors": 1}, "no feed, listing or sitemap could be fetched")
    newest = runs.start("tass")
    runs.finish(newest, "ok", {"requests": 4, "new": 0, "not_modified": 1})
    blocked = runs.start("hanoimoi")
    runs.finish(
        blocked, "blocked", {"requests": 12, "blocked": 12}, "hanoimoi.vn refused 12 request(s) with HTTP 403"
    )

    rows = by_name(workspace.run_json("sources", "--json", check=True))
    last = rows["tass"]["last_crawl"]
    assert last["id"] == newest and last["status"] == "ok" and last["not_modified"] == 1
    assert rows["hanoimoi"]["last_crawl"]["status"] == "blocked"

    text = workspace.run("sources", check=True).stdout.splitlines()
    line = {row.split(":", 1)[0]: row for row in text}
    assert (
        "[generic, ru]" in line["tass"] and "last: ok at" in line["tass"] and "not_modified=1" in line["tass"]
    )
    assert (
        "[site, vi]" in line["hanoimoi"] and "blocked" in line["hanoimoi"] and "HTTP 403" in line["hanoimoi"]
    )
    assert line["vnexpress_en (disabled)"].endswith("never crawled")
    assert "any language" in line["vnexpress_en (disabled)"]


def test_without_sources_in_the_config_lists_every_shipped_site(workspace):
    rows = workspace.run_json("sources", "--json", check=True)
    assert rows, "no sources listed"
    assert "hanoimoi" in {r["name"] for r in rows}
    assert all(r["kind"] == "site" and r["languages"] for r in rows)
    assert "generic" not in {r["name"] for r in rows}  # the generic spider is not a source by itself


def test_help_documents_the_command(workspace):
    out = workspace.run("sources", "--help", check=True).stdout
    for text in ("kind", "generic", "--json", "last crawl"):
        assert text in out
