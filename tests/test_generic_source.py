"""A source added by configuration alone (spider = "generic"), crawled from the tass.ru
mirror through Scrapy's real downloader over loopback HTTP."""

from __future__ import annotations

import tomllib
from datetime import datetime

import pytest
from scrapy.http import HtmlResponse, Request

from monitor.config import SourceConfig
from monitor.mirror import MirrorServer
from spiders.base import ArticleParseError
from spiders.generic import GenericSpider
from tests.helpers.workspace import REPO, Workspace

TASS_SRC = REPO / "tests" / "mirror" / "src" / "tass"
ARTICLES = {a["id"]: a for a in tomllib.loads((TASS_SRC / "articles.toml").read_text("utf-8"))["article"]}
HANOI_MOU, KALUGA, TRADE, BEIJING, GALLERY, UNDATED, SECURITY = (
    25731406,
    25689102,
    25642277,
    25718830,
    25701554,
    25724019,
    25735510,
)
PAGE_FURNITURE = (
    "Читайте также",
    "Поделиться",
    "Больше новостей",
    "Все права защищены",
    "Спецпроекты",
    "18+",
)


def url_of(article_id: int) -> str:
    return f"https://tass.ru/{ARTICLES[article_id]['category']}/{article_id}"


class Crawl:
    """One `newsmon crawl` of one config-only source into its own database."""

    def __init__(self, ws: Workspace, server: MirrorServer, source: str) -> None:
        server.clear_hits()
        self.run = ws.run_json("crawl", source, "--json", NEWSMON_MIRROR=server.url, check=True)[0]
        self.hits = [h for h in server.hits if h.host == "tass.ru"]
        self.articles = {a["url"]: a for a in ws.run_json("articles", "--json", check=True)}


def example_tass_source() -> str:
    """The commented [sources.tass] table of newsmon.example.toml, uncommented once."""
    text = (REPO / "newsmon.example.toml").read_text("utf-8")
    block = text[text.index("# [sources.tass]") :].split("\n\n", 1)[0]
    return "\n".join(line[2:] for line in block.splitlines()) + "\n"


# The example config's own TASS table: adding that source needs no code. Entry-point discovery
# is off here, so that the feed alone is read (tests/test_discovery.py covers discovery).
FEED_CONFIG = example_tass_source().replace("discover = true", "discover = false")
assert "discover = false" in FEED_CONFIG

PAGES_CONFIG = r"""
[sources.tass_pages]
spider = "generic"
listing_pages = ["https://tass.ru/politika"]
sitemaps = ["https://tass.ru/sitemap.xml"]
link_pattern = '^https://tass\.ru/[a-z-]+/\d+$'
languages = ["ru"]
timezone = "Europe/Moscow"

[sources.tass_pages.selectors]
title = "h1"
lead = "div[class^='Lead_']"
body = "div[class^='Text_'] > p"
date = "div[class^='Date_']"
author = "div[class^='Author_']"
tags = "div[class^='Tags_'] a"
"""


@pytest.fixture(scope="module")
def feed_crawl(tmp_path_factory, mirror) -> Crawl:
    """Feed + metadata-only pages: no selectors, no code, only the config above."""
    ws = Workspace(tmp_path_factory.mktemp("generic-feed"))
    ws.write_config(FEED_CONFIG)
    return Crawl(ws, mirror, "tass")


@pytest.fixture(scope="module")
def pages_crawl(tmp_path_factory, mirror) -> Crawl:
    """A listing page with a link pattern, a news sitemap and CSS selectors."""
    ws = Workspace(tmp_path_factory.mktemp("generic-pages"))
    ws.write_config(PAGES_CONFIG)
    return Crawl(ws, mirror, "tass_pages")


def aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


# ------------------------------------------------------------------ feed + metadata


@pytest.mark.slow
def test_feed_crawl_counts(feed_crawl):
    run = feed_crawl.run
    assert run["source"] == "tass"
    # Six feed items; one page has no date anywhere: counted as an error, the rest stored.
    assert run["articles_seen"] == 6
    assert run["new"] == 5 == len(feed_crawl.articles)
    assert run["errors"] == 1 and run["status"] == "partial"
    [sample] = run["error_samples"]
    assert sample["url"] == url_of(UNDATED) and "date" in sample["reason"]
    assert url_of(UNDATED) not in feed_crawl.articles
    # Only the feed was read: the article that is on the site but not in the feed was never asked for.
    assert url_of(SECURITY) not in feed_crawl.articles
    assert f"/politika/{SECURITY}" not in {h.path for h in feed_crawl.hits}


def test_example_config_shows_tass_with_a_browser_user_agent():
    source = tomllib.loads(FEED_CONFIG)["sources"]["tass"]
    assert source["spider"] == "generic" and source["feeds"] == ["https://tass.ru/rss/v2.xml"]
    assert source["user_agent"].startswith("Mozilla/5.0") and "feedparser" not in source["user_agent"]
    assert "selectors" not in source  # metadata and main-text extraction only


@pytest.mark.slow
def test_fields_from_json_ld(feed_crawl):
    src = ARTICLES[HANOI_MOU]
    a = feed_crawl.articles[url_of(HANOI_MOU)]
    assert a["source"] == "tass"
    assert a["canonical_url"] == url_of(HANOI_MOU)  # the real site's URL, not the mirror's
    assert a["title"] == src["title"]
    assert a["lead"] == src["sapo"]
    assert a["author"] == src["author"]
    assert a["tags"] == src["tags"]
    assert a["language"] == "ru"
    assert aware(a["published_at"]) == src["published"]
    paragraphs = a["body"].split("\n\n")
    assert paragraphs == src["body"]
    assert a["body"].startswith("ХАНОЙ, 25 ноября. /ТАСС/. Управа Тверского района Москвы")
    assert a["body"].endswith("после реформы местного самоуправления во Вьетнаме.")


@pytest.mark.slow
def test_fields_from_meta_tags_when_there_is_no_json_ld(feed_crawl):
    src = ARTICLES[TRADE]
    assert src.get("no_ld")
    a = feed_crawl.articles[url_of(TRADE)]
    assert a["title"] == src["title"]  # og:title
    assert a["lead"] == src["sapo"]  # og:description
    assert aware(a["published_at"]) == src["published"]  # article:published_time
    assert a["tags"] == src["tags"]  # every article:tag
    assert a["author"] is None
    assert a["language"] == "ru"  # <html lang>
    assert a["body"].split("\n\n") == src["body"]


@pytest.mark.slow
def test_body_has_no_page_furniture(feed_crawl):
    for a in feed_crawl.articles.values():
        src = ARTICLES[int(a["url"].rsplit("/", 1)[1])]
        assert a["body"].split("\n\n") == src["body"], a["url"]
        for text in (*PAGE_FURNITURE, a["title"], a["lead"]):
            assert text not in a["body"], (a["url"], text)
        # The displayed date line ("25 ноября 2026, 14:20") is not a paragraph either.
        assert not any(p.startswith(str(src["published"].day) + " ") for p in a["body"].split("\n\n"))


@pytest.mark.slow
def test_agency_byline_is_not_an_author(feed_crawl):
    # No JSON-LD author on these pages: the publisher (ТАСС) is not turned into one.
    assert feed_crawl.articles[url_of(KALUGA)]["author"] is None
    assert feed_crawl.articles[url_of(BEIJING)]["author"] == ARTICLES[BEIJING]["author"]


# ------------------------------------------------------------- listing + sitemap + selectors


@pytest.mark.slow
def test_listing_and_news_sitemap_with_selectors(pages_crawl):
    run = pages_crawl.run
    # The November news sitemap lists all seven; the listing adds nothing new (each URL once).
    assert run["articles_seen"] == 7
    assert run["new"] == 6 and run["errors"] == 1
    assert set(pages_crawl.articles) == {url_of(i) for i in ARTICLES if i != UNDATED}
    paths = [h.path for h in pages_crawl.hits]
    assert paths.count(f"/politika/{SECURITY}") == 1
    # Menu, footer, tag and share links do not match link_pattern and were never requested.
    assert not [p for p in paths if p.startswith(("/tag/", "/spec", "/search", "/info/"))]
    assert "/sitemap/news-2026-11.xml" in paths


@pytest.mark.slow
def test_selector_fields_and_source_timezone(pages_crawl):
    src = ARTICLES[HANOI_MOU]
    a = pages_crawl.articles[url_of(HANOI_MOU)]
    assert a["source"] == "tass_pages"
    assert a["title"] == src["title"] and a["lead"] == src["sapo"] and a["author"] == src["author"]
    assert a["tags"] == src["tags"]
    # The date comes from the text "25 ноября 2026, 14:20", read in the source's time zone (Moscow).
    assert aware(a["published_at"]) == src["published"]
    # `> p` keeps the paragraphs and leaves the embedded "more news" box out.
    assert a["body"].split("\n\n") == src["body"]


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[sources.ria]\nspider = "generic"\n', ("sources.ria", "feeds, sitemaps or listing_pages")),
        (
            '[sources.ria]\nspider = "generic"\nlisting_pages = ["https://ria.ru/politics/"]\n',
            ("sources.ria", "link_pattern"),
        ),
        (
            '[sources.ria]\nspider = "generic"\nfeeds = ["ria.ru/export/rss2/index.xml"]\n',
            ("sources.ria.feeds", "not an absolute http(s) URL"),
        ),
        (
            '[sources.ria]\nspider = "generic"\nfeeds = ["https://ria.ru/x.xml"]\nselectors = {headline = "h1"}\n',
            ("sources.ria.selectors", "unknown selector 'headline'"),
        ),
        (
            '[sources.ria]\nspider = "generic"\nfeeds = ["https://ria.ru/x.xml"]\nselectors = {body = "div[class="}\n',
            ("sources.ria.selectors", "not a valid CSS selector"),
        ),
        (
            '[sources.ria]\nspider = "generic"\nfeeds = ["https://ria.ru/x.xml"]\ntimezone = "Moscow"\n',
            ("sources.ria.timezone", "unknown time zone"),
        ),
    ],
    ids=[
        "nowhere-to-look",
        "listing-without-pattern",
        "relative-feed",
        "unknown-selector",
        "bad-css",
        "bad-timezone",
    ],
)
def test_bad_generic_source_is_a_config_error_naming_the_key(workspace, table, expected):
    workspace.write_config(table)
    result = workspace.run("crawl", "ria")
    assert result.returncode != 0
    for text in expected:
        assert text in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------ fallbacks, without a crawl


def read(html: str, url: str = "https://example.org/news/1", **config):
    spider = GenericSpider()
    spider.configure(SourceConfig(spider="generic", feeds=["https://example.org/rss"], **config))
    response = HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url))
    return spider.read_article(response)


BARE_PAGE = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Hanoi and Kazan sign a twinning memorandum | Example Daily</title>
<meta property="og:site_name" content="Example Daily">
<meta name="author" content="https://example.org/staff/jane">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article>
<h1>Hanoi and Kazan sign a twinning memorandum</h1>
<p class="byline">By Jane Roe · <time datetime="2026-11-24T09:00:00+07:00">24 November 2026</time></p>
<p>The Hanoi People's Committee and the city of Kazan signed a memorandum on Tuesday covering trade, education and tourism.</p>
<p>Officials said the first exchange of student delegations would take place in the spring, with a trade fair in Kazan to follow.</p>
</article>
<footer><p>Copyright Example Daily. All rights reserved.</p></footer>
</body></html>"""


def test_page_with_no_metadata_falls_back_to_title_time_and_main_text():
    item = read(BARE_PAGE)
    assert item.title == "Hanoi and Kazan sign a twinning memorandum"  # <title> without the site name
    assert item.published_at.isoformat() == "2026-11-24T09:00:00+07:00"  # <time datetime>
    assert item.language == "en"  # <html lang="en-GB">
    assert item.author is None  # a profile URL in meta author is not a name
    assert item.body.split("\n\n")[-1].startswith("Officials said the first exchange")
    assert "All rights reserved" not in item.body
    assert item.layers == {
        "title": "metadata",
        "published_at": "metadata",
        "body": "main_text",
        "canonical_url": "default",
        "language": "metadata",
    }


def test_title_tag_without_site_name_when_nothing_else_names_the_page():
    html = BARE_PAGE.replace("<h1>Hanoi and Kazan sign a twinning memorandum</h1>", "")
    assert read(html).title == "Hanoi and Kazan sign a twinning memorandum"


def test_no_language_anywhere_uses_the_configured_one():
    html = BARE_PAGE.replace(' lang="en-GB"', "")
    assert read(html, languages=["en"]).language == "en"
    assert read(html).language == "und"


def test_unparseable_date_is_reported_and_later_candidates_win():
    html = BARE_PAGE.replace(
        '<meta charset="utf-8">',
        '<meta charset="utf-8"><meta property="article:published_time" content="soon">',
    )
    # "soon" is not a date, the <time> element is: the readable one is used.
    assert read(html).published_at.isoformat() == "2026-11-24T09:00:00+07:00"
    no_time = html.replace('<time datetime="2026-11-24T09:00:00+07:00">24 November 2026</time>', "")
    with pytest.raises(ArticleParseError, match="publication date"):
        read(no_time)


@pytest.mark.slow
def test_a_broken_relevance_model_fails_each_article_with_its_error_and_stores_none(tmp_path, mirror):
    # The model is loaded at the first article (a crawl that finds nothing new never loads it),
    # so a broken one is no longer a failure at start: each article is an error of its own kind.
    ws = Workspace(tmp_path)
    (tmp_path / "broken.npz").write_bytes(b"not a zip of numpy arrays")
    ws.write_config(f'[relevance]\nmodel_file = "{tmp_path / "broken.npz"}"\n' + FEED_CONFIG)
    run = Crawl(ws, mirror, "tass").run
    assert run["new"] == 0 and run["status"] == "partial"
    assert run["error_kinds"].get("relevance") == 5  # the sixth page has no date: a parse error first
    assert all(
        "cannot load the relevance model" in s["reason"]
        for s in run["error_samples"]
        if s["kind"] == "relevance"
    )
    assert ws.run_json("articles", "--json", check=True) == []
