"""`newsmon parse` on the real pages in ../shared/real_pages, with each site's spider and
with the generic (configuration-only) spider.

The pages are other people's: they are read here at run time, never copied. Expected
values are either facts stated in ../shared/real_pages/README.md (dates, the author's
initials, what is furniture) or read from the page's own markup by plain XPath in this
file, independently of newsmon's parsers.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tests.helpers.workspace import SHARED, Workspace

PAGES = SHARED / "real_pages"
CASES = {
    # file: (site spider, feed for the generic source, published_at, author)
    "nhandan-post976641.excerpt.html": (
        "nhandan",
        "https://nhandan.vn/rss/home.rss",
        "2026-07-20T06:31:56+07:00",
        "TP",
    ),
    "vietnamplus-post1125344.excerpt.html": (
        "vietnamplus",
        "https://www.vietnamplus.vn/rss/home.rss",
        "2026-07-21T07:17:56+07:00",
        None,
    ),
}


@pytest.fixture(scope="module")
def real_pages() -> Path:
    if not (PAGES / "README.md").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{PAGES} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{PAGES} not found (the project expects ../shared beside the checkout)")
    return PAGES


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("real_pages"))
    ws.write_config(
        "".join(
            f'[sources.{site}]\n[sources.{site}_generic]\nspider = "generic"\nfeeds = ["{feed}"]\n'
            for site, feed, _, _ in CASES.values()
        )
    )
    return ws


def _squash(text: str) -> str:
    return " ".join(text.split())


def expected_from_markup(path: Path) -> dict:
    """What the page itself says, read with XPath: headline (JSON-LD), sapo, tags, the body's
    own paragraphs, and the text of furniture nested in the body."""
    root = lxml_html.document_fromstring(path.read_text("utf-8"))
    ld = [json.loads(s.text) for s in root.xpath("//script[@type='application/ld+json']")]
    (article,) = [o for o in ld if o.get("@type") == "NewsArticle"]
    body = root.xpath("//div[contains(@class, 'cms-body')]")[0]
    paragraphs = [_squash(p.text_content()) for p in body.xpath("./p")]
    sapo = _squash(root.xpath("//div[contains(@class, 'article__sapo')]")[0].text_content())
    if paragraphs and paragraphs[0] == sapo:
        paragraphs = paragraphs[1:]  # the sapo repeated as the first paragraph is not body
    tags = [t.strip() for t in root.xpath("//meta[@property='article:tag']/@content")[0].split(",")]
    furniture = [
        _squash(n.text_content())
        for n in body.xpath(
            ".//div[contains(@class, 'notebox')]//p| .//div[contains(@class, 'article__source')]"
        )
    ]
    return {
        "title": html.unescape(article["headline"]),
        "lead": sapo,
        "tags": tags,
        "first": paragraphs[0],
        "last": paragraphs[-1],
        "count": len(paragraphs),
        "furniture": furniture,
    }


@pytest.mark.parametrize("generic", [False, True], ids=["site-spider", "generic-spider"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_parse_real_page(real_pages, ws, name, generic):
    site, _, published, author = CASES[name]
    path = real_pages / name
    source = f"{site}_generic" if generic else site
    result = ws.run("parse", source, str(path), "--json", check=True)
    got = json.loads(result.stdout)
    want = expected_from_markup(path)
    assert set(got) >= {
        "title",
        "published_at",
        "author",
        "lead",
        "body",
        "tags",
        "canonical_url",
        "language",
        "layers",
        "label",
        "score",
    }
    assert got["title"] == want["title"]
    assert got["published_at"] == published
    assert got["author"] == author  # no byline on the VietnamPlus page; the site's name is not one
    assert got["lead"] == want["lead"]
    assert got["tags"] == want["tags"]  # one tag per name; VietnamPlus's region link is not a tag
    paragraphs = got["body"].split("\n\n")
    assert paragraphs[0] == want["first"]  # no score box, no repeated sapo
    assert paragraphs[-1] == want["last"]  # no author block, no source credit, no footer line
    assert len(paragraphs) == want["count"]
    for text in want["furniture"]:
        assert text not in got["body"]
    assert " ," not in got["body"] and " ." not in got["body"]  # inline links join their sentence
    assert got["canonical_url"].endswith(
        name.split(".")[0].split("-")[-1] + (".html" if site == "nhandan" else ".vnp")
    )
    assert got["language"] == "vi"
    assert got["label"] == "none" and 0 <= got["score"] <= 1
    if generic:
        assert got["layers"]["body"] == "main_text" and got["layers"]["title"] == "metadata"
    else:
        assert {got["layers"][f] for f in ("title", "published_at", "lead", "body", "tags")} == {"selectors"}


def test_parse_prints_each_field_with_its_layer(real_pages, ws):
    result = ws.run("parse", "nhandan", str(real_pages / "nhandan-post976641.excerpt.html"), check=True)
    lines = result.stdout.splitlines()
    assert any(line.startswith("published_at [selectors]: 2026-07-20T06:31:56+07:00") for line in lines)
    assert any(line.startswith("body [selectors]: 13 paragraphs") for line in lines)
    assert any(line.startswith("relevance: none") for line in lines)


def test_parse_errors_are_clear(ws, tmp_path):
    missing = ws.run("parse", "nhandan", str(tmp_path / "nope.html"))
    assert missing.returncode != 0 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
    unknown = ws.run("parse", "nosuch", str(tmp_path / "nope.html"))
    assert unknown.returncode != 0 and "unknown source 'nosuch'" in unknown.stderr
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>…</p></body></html>", encoding="utf-8")
    unreadable = ws.run("parse", "nhandan", str(empty), "--url", "https://nhandan.vn/x-post1.html")
    assert unreadable.returncode != 0 and "no title found" in unreadable.stderr
