"""`newsmon web` as a real server process over a database crawled from the mirror:
pages, search, feedback with CSRF, the Atom feed with conditional GET, the JSON API,
escaping, security headers and the token."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import feedparser
import pytest

from storage import Article, ArticleStore, Database
from tests.helpers.workspace import Workspace
from tests.webserver import WebProcess

pytestmark = pytest.mark.slow  # whole processes: crawls, daemons, servers

HOSTILE_TITLE = 'Hà Nội – Moskva <script>alert("x")</script> & <b>bold</b>'


@pytest.fixture(scope="module")
def crawled(mirror, tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("web"))
    ws.write_config("[sources.hanoimoi]\n[sources.vietnamplus_ru]\n")
    ws.run("crawl", "hanoimoi", "vietnamplus_ru", NEWSMON_MIRROR=mirror.url, check=True)
    db = Database(ws.db_url)
    ArticleStore(db).save(
        Article(
            url="https://example.org/hostile.html",
            canonical_url="",
            source="hanoimoi",
            title=HOSTILE_TITLE,
            body="Nội dung <img src=x onerror=alert(1)> bài viết.",
            language="vi",
            label="core",
            score=0.9,
        )
    )
    db.dispose()
    return ws


@pytest.fixture(scope="module")
def server(crawled: Workspace) -> Iterator[WebProcess]:
    web = WebProcess(crawled.path, crawled.env()).wait_ready()
    yield web
    web.stop()


def stored(ws: Workspace, **filters: str) -> list[dict]:
    args = ["articles", "--json", "--limit", "1000"]
    for key, value in filters.items():
        args += [f"--{key}", value]
    return ws.run_json(*args)


def html(server: WebProcess, path: str) -> str:
    status, _, body = server.get(path)
    assert status == 200, (path, status, body[:500])
    return body.decode("utf-8")


def post(
    server: WebProcess,
    path: str,
    fields: dict[str, str],
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    data = body if body is not None else urlencode(fields).encode()
    conn.request(
        "POST",
        path,
        body=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )
    response = conn.getresponse()
    result = (
        response.status,
        {k.lower(): v for k, v in response.getheaders()},
        response.read().decode("utf-8"),
    )
    conn.close()
    return result


def csrf_from(server: WebProcess, path: str) -> tuple[str, str]:
    """The CSRF cookie a page sets and the token its form carries."""
    status, headers, body = server.get(path)
    assert status == 200
    cookie = re.search(r"newsmon_csrf=([^;]+)", headers.get("set-cookie", "") or "")
    field = re.search(r'name="csrf" value="([^"]+)"', body.decode())
    assert cookie and field, "the page must set a CSRF cookie and put the token in its form"
    return cookie.group(1), field.group(1)


def test_front_page_lists_stories_newest_first_with_filters(server: WebProcess, crawled: Workspace) -> None:
    page = html(server, "/")
    relevant = [a for a in stored(crawled) if a["label"] in ("core", "national")]
    core = [a for a in relevant if a["label"] == "core"]
    assert core, "the mirror crawl must give core articles"
    # Every core article is on the page either as an item or in an item's "also in" links.
    ids = set(map(int, re.findall(r'href="/articles/(\d+)"', page)))
    first_page_core = [a for a in core if a["id"] in ids]
    assert first_page_core, "core stories are listed"
    assert "<mark>" in page, "the evidence is highlighted in the lead"
    ru = html(server, "/?lang=ru&label=core&label=national")
    ru_ids = set(map(int, re.findall(r'<h2><a href="/articles/(\d+)"', ru)))
    by_id = {a["id"]: a for a in relevant}
    assert ru_ids and all(by_id[i]["language"] == "ru" for i in ru_ids)
    assert 'value="ru" selected' in ru


def test_search_folds_vietnamese_accents_and_russian_case_forms(
    server: WebProcess, crawled: Workspace
) -> None:
    with_accents = html(
        server, "/search?" + urlencode({"q": "hợp tác", "label": ["core", "national", "none"]})
    )
    without = html(server, "/search?" + urlencode({"q": "hop tac", "label": ["core", "national", "none"]}))
    hits_with = re.findall(r'<h2><a href="/articles/(\d+)"', with_accents)
    hits_without = re.findall(r'<h2><a href="/articles/(\d+)"', without)
    assert hits_with and hits_with == hits_without
    assert (
        "<mark>hợp tác</mark>" in with_accents.replace("</mark> <mark>", " ")
        or "<mark>hợp</mark>" in with_accents
    )
    # A Russian word in one case form finds texts that only hold other forms of it.
    texts = {a["id"]: a["title"] + " " + a["lead"] + " " + a["body"] for a in stored(crawled)}
    forms_only = [i for i, t in texts.items() if re.search(r"Москв[аыуо]", t) and "Москве" not in t]
    assert forms_only, "the mirror has Russian texts naming Moscow in other case forms"
    page = html(server, "/search?" + urlencode({"q": "Москве", "label": ["core", "national", "none"]}))
    found = set(map(int, re.findall(r'<h2><a href="/articles/(\d+)"', page)))
    assert set(forms_only) & found
    assert re.search(r"<mark>Москв\w*</mark>", page)


def test_article_page_escapes_markup_and_story_page_lists_reports(
    server: WebProcess, crawled: Workspace
) -> None:
    hostile = next(a for a in stored(crawled) if a["url"] == "https://example.org/hostile.html")
    page = html(server, f"/articles/{hostile['id']}")
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page or "&lt;script&gt;" in page
    grouped = [a for a in stored(crawled) if a["story_id"] is not None]
    by_story: dict[int, list[dict]] = {}
    for a in grouped:
        by_story.setdefault(a["story_id"], []).append(a)
    story_id, members = max(by_story.items(), key=lambda kv: len(kv[1]))
    story = html(server, f"/stories/{story_id}")
    assert set(map(int, re.findall(r'<h2><a href="/articles/(\d+)"', story))) == {a["id"] for a in members}
    assert "What linked them" in story and re.search(r"#\d+ joined #\d+ \(", story)
    status, _, _ = server.get("/articles/99999999")
    assert status == 404


def test_feedback_needs_the_csrf_token_and_is_stored(server: WebProcess, crawled: Workspace) -> None:
    article = next(a for a in stored(crawled) if a["label"] == "national")
    path = f"/articles/{article['id']}/feedback"
    status, _, _ = post(server, path, {"label": "core"})
    assert status == 403
    cookie, token = csrf_from(server, f"/articles/{article['id']}")
    status, _, _ = post(
        server, path, {"label": "core", "csrf": "forged"}, {"Cookie": f"newsmon_csrf={cookie}"}
    )
    assert status == 403
    status, headers, _ = post(
        server,
        path,
        {"label": "core", "csrf": token, "note": "Hanoi is a party"},
        {"Cookie": f"newsmon_csrf={cookie}"},
    )
    assert status == 303 and headers["location"].endswith("?saved=1")
    page = html(server, f"/articles/{article['id']}")
    assert re.search(r'id="label">core<', page) and "Hanoi is a party" in page
    from storage.feedback import feedback_rows

    db = Database(crawled.db_url)
    rows = feedback_rows(db, article_id=article["id"])
    db.dispose()
    assert [(r.label, r.previous_label, r.who) for r in rows] == [("core", "national", "web")]


def test_atom_feed_parses_and_answers_304_when_unchanged(server: WebProcess, crawled: Workspace) -> None:
    status, headers, body = server.get("/feed.atom")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    core = {a["url"] for a in stored(crawled, label="core")}
    assert feed.entries and {e.link for e in feed.entries} <= core
    assert all(e.id.startswith("tag:newsmon") and e.updated for e in feed.entries)
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    again, _, _ = server.get("/feed.atom", {"If-None-Match": headers["etag"]})
    assert again == 304
    since, _, _ = server.get("/feed.atom", {"If-Modified-Since": headers["last-modified"]})
    assert since == 304
    ru = feedparser.parse(server.get("/feed.atom?source=vietnamplus_ru&label=core&label=national")[2])
    assert ru.entries and all("vietnamplus.vn" in e.link for e in ru.entries)
    q = feedparser.parse(
        server.get("/feed.atom?" + urlencode({"q": "Москва", "label": ["core", "national"]}))[2]
    )
    assert q.entries and all(e.link in {a["url"] for a in stored(crawled)} for e in q.entries)


def test_json_api_and_security_headers(server: WebProcess, crawled: Workspace) -> None:
    status, headers, body = server.get("/api/articles?label=core&limit=5")
    data = json.loads(body)
    assert (
        status == 200 and data["total"] == len(stored(crawled, label="core")) and len(data["articles"]) == 5
    )
    one = data["articles"][0]
    full = json.loads(server.get(f"/api/articles/{one['id']}")[2])
    assert full["title"] == one["title"] and full["body"]
    stories = json.loads(server.get("/api/stories")[2])
    assert stories["stories"] and all(s["articles"] for s in stories["stories"])
    sources = {s["name"]: s for s in json.loads(server.get("/api/sources")[2])}
    assert sources["hanoimoi"]["last_status"] in ("ok", "partial") and sources["hanoimoi"]["articles"] > 0
    spec = json.loads(server.get("/api/openapi.json")[2])
    assert {"/api/articles", "/api/stories", "/api/sources", "/api/articles/{article_id}"} <= set(
        spec["paths"]
    )
    csp = headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    sources_page = html(server, "/sources")
    assert "hanoimoi" in sources_page and "vietnamplus_ru" in sources_page


def test_non_loopback_needs_a_token_and_the_token_is_enforced(crawled: Workspace) -> None:
    refused = crawled.run("web", "--host", "0.0.0.0", "--port", "1", timeout=60)
    assert refused.returncode != 0 and "NEWSMON_WEB_TOKEN" in refused.stderr
    token = "s3cret-token-for-the-test"
    web = WebProcess(crawled.path, crawled.env(NEWSMON_WEB_TOKEN=token)).wait_ready()
    try:
        assert web.get("/api/articles")[0] == 401
        status, headers, _ = post(web, "/articles/1/feedback", {"label": "core"})
        assert status in (401, 303) and (status == 401 or "/login" in headers.get("location", ""))
        assert web.get("/api/articles", {"Authorization": f"Bearer {token}"})[0] == 200
        assert web.get("/api/articles", {"Authorization": "Bearer wrong"})[0] == 401
        body = json.dumps({"label": "none"}).encode()
        status, _, _ = post(
            web, "/api/articles/1/feedback", {}, {"Content-Type": "application/json"}, body=body
        )
        assert status == 401
        status, _, text = post(
            web,
            "/api/articles/1/feedback",
            {},
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            body=body,
        )
        assert status == 201, text
        # The login form sets a cookie that opens the pages.
        cookie, csrf = csrf_from(web, "/login?next=" + quote("/sources"))
        status, headers, _ = post(
            web,
            "/login",
            {"token": token, "csrf": csrf, "next": "/sources"},
            {"Cookie": f"newsmon_csrf={cookie}"},
        )
        assert status == 303 and headers["location"] == "/sources"
        auth = re.search(r"newsmon_auth=([^;]+)", headers["set-cookie"]).group(1)
        assert token not in headers["set-cookie"]
        assert web.get("/sources", {"Cookie": f"newsmon_auth={auth}"})[0] == 200
    finally:
        web.stop()
