"""A simulated redesign per site: the site's article classes are renamed in a copy of its
mirror, so the spider's selectors find nothing. The crawl must still store every article
(the page's metadata and main text fill in), the run must be degraded, and `newsmon
status`, `newsmon sources` and the digest's source-health footer must name the source and
the fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.mirror import MirrorServer
from tests.conftest import Workspace, fixture_articles

# source: (host, mirror src folder, stored by a normal crawl, {class or attribute text: replacement})
SITES = {
    "hanoimoi": ("hanoimoi.vn", "hanoimoi", 43, {
        "sc-longform-header-title": "hero-heading", "sc-longform-header-date": "hero-when",
        "c-detail-head__title": "hero-heading2", 'class="entry"': 'class="story-text"'}),
    "kinhtedothi": ("kinhtedothi.vn", "kinhtedothi", 12, {
        "article-title": "post-heading", "article-published-on": "post-when", "article-content": "post-text",
        'itemprop="articleBody"': 'data-x="1"'}),
    "hanoitimes": ("hanoitimes.vn", "hanoitimes", 11, {
        "ArticleHeader_headline": "Hdr_title", "ArticleHeader_date": "Hdr_when",
        "StandardArticleBody_body": "Body_text", "art_content": "body_text2"}),
    "nhandan": ("nhandan.vn", "nhandan", 10, {
        "article__title": "detail-heading", "cms-title": "detail-h", "article__body": "detail-text",
        "cms-body": "detail-b", "article__meta": "detail-info", "time time": "time when", 'class="time"': 'class="when"',
        "cms-date": "detail-date"}),
    "baoquocte": ("baoquocte.vn", "baoquocte", 11, {
        "article-detail-title": "news-heading", "article-detail-meta": "news-info",
        "__MASTERCMS_CONTENT": "news-text", "__MB_MASTERCMS_EL_3": "news-text2"}),
}
# The cms family shares nhandan's markup: VietnamPlus and VOV World get the same renaming.
SITES["vietnamplus"] = ("www.vietnamplus.vn", "vietnamplus", len(fixture_articles("vietnamplus")), SITES["nhandan"][3])
SITES["vovworld"] = ("vovworld.vn", "vovworld", 8, SITES["nhandan"][3])


def redesign(site: Path, renames: dict[str, str]) -> int:
    """Rename the classes in every page of one mirrored site; the number of pages changed."""
    changed = 0
    for path in site.rglob("*"):
        if path.suffix not in (".html", ".vnp", ".vov") or not path.is_file():
            continue
        text = path.read_text("utf-8")
        new = text
        for old, replacement in renames.items():
            new = new.replace(old, replacement)
        if new != text:
            path.write_text(new, "utf-8")
            changed += 1
    return changed


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(SITES))
def test_redesigned_site_still_delivers_and_is_reported_degraded(source, mirror_copy: MirrorServer, tmp_path):
    host, _, stored_normally, renames = SITES[source]
    assert redesign(mirror_copy.state.root / host, renames) > 0
    (tmp_path / "ws").mkdir()
    ws = Workspace(tmp_path / "ws")
    ws.write_config(f'[sources.{source}]\n[digest]\nrecipients = ["analyst@example.org"]\n')
    (run,) = ws.run_json("crawl", source, "--json", NEWSMON_MIRROR=mirror_copy.url)
    # Every article still arrives, through the metadata and main-text layers.
    assert run["new"] == stored_normally, run
    stored = ws.run_json("articles", "--source", source, "--json")
    assert all(a["layers"]["body"] == "main_text" and a["layers"]["title"] == "metadata" for a in stored)
    # ...but the run says the site's selectors stopped matching.
    degraded = run["degraded"]
    assert {"title", "body"} <= set(degraded["fields"]), degraded
    assert degraded["sample_url"].startswith("https://" + host)
    assert "degraded" in run["message"]

    status = ws.run("status", check=True).stdout
    block = status[status.index(f"  {source}"):]
    assert "degraded since" in block and "title" in block and "body" in block
    listed = ws.run("sources", check=True).stdout
    assert f"{source}:" in listed and "degraded since" in listed
    digest = ws.run("digest", "--dry-run", "--since", "30d", check=True).stdout
    footer = digest[digest.index("Sources since"):]
    line = next(ln for ln in footer.splitlines() if "degraded since" in ln)
    assert "title" in line and "body" in line and degraded["sample_url"] in line
    assert source in footer or footer.count("!") >= 1


def test_healthy_crawl_is_not_degraded(mirror, tmp_path):
    ws = Workspace(tmp_path)
    ws.write_config("[sources.nhandan]\n")
    (run,) = ws.run_json("crawl", "nhandan", "--json", NEWSMON_MIRROR=mirror.url)
    assert run["degraded"] == {} and run["new"] == 10
    assert "degraded" not in ws.run("status", check=True).stdout
