"""A simulated redesign per site: the site's article classes are renamed in a copy of its
mirror, so the spider's selectors find nothing. The crawl must still store every article
(the page's metadata and main text fill in), the run must be degraded, and `newsmon
status`, `newsmon sources` and the digest's source-health footer must name the source and
the fields."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.mirror import MirrorServer, default_root
from tests.helpers.workspace import Workspace, fixture_articles

# source: (host, mirror src folder, stored after the redesign, {class or attribute text: replacement}).
# A normal crawl stores as many, except kinhtedothi (12): its page 589004 has no machine-readable
# date at all, so once the date selector stops matching nothing can date it (an error, reported).
SITES = {
    "hanoimoi": (
        "hanoimoi.vn",
        "hanoimoi",
        43,
        {
            "sc-longform-header-title": "hero-heading",
            "sc-longform-header-date": "hero-when",
            "c-detail-head__title": "hero-heading2",
            'class="entry"': 'class="story-text"',
        },
    ),
    "kinhtedothi": (
        "kinhtedothi.vn",
        "kinhtedothi",
        11,
        {
            "article-title": "post-heading",
            "article-published-on": "post-when",
            "article-content": "post-text",
            'itemprop="articleBody"': 'data-x="1"',
        },
    ),
    "hanoitimes": (
        "hanoitimes.vn",
        "hanoitimes",
        11,
        {
            "ArticleHeader_headline": "Hdr_title",
            "ArticleHeader_date": "Hdr_when",
            "StandardArticleBody_body": "Body_text",
            "art_content": "body_text2",
        },
    ),
    "nhandan": (
        "nhandan.vn",
        "nhandan",
        10,
        {
            "article__title": "detail-heading",
            "cms-title": "detail-h",
            "article__body": "detail-text",
            "cms-body": "detail-b",
            "article__meta": "detail-info",
            "time time": "time when",
            'class="time"': 'class="when"',
            "cms-date": "detail-date",
        },
    ),
    "baoquocte": (
        "baoquocte.vn",
        "baoquocte",
        11,
        {
            "article-detail-title": "news-heading",
            "article-detail-meta": "news-info",
            "__MASTERCMS_CONTENT": "news-text",
            "__MB_MASTERCMS_EL_3": "news-text2",
        },
    ),
}
# The cms family shares nhandan's markup: VietnamPlus and VOV World get the same renaming.
SITES["vietnamplus"] = (
    "www.vietnamplus.vn",
    "vietnamplus",
    len(fixture_articles("vietnamplus")),
    SITES["nhandan"][3],
)
# VOV World pages carry no machine-readable date (nothing for a fallback to read): its
# redesign keeps the date and breaks the title and body selectors.
SITES["vovworld"] = (
    "vovworld.vn",
    "vovworld",
    8,
    {
        "article__title": "detail-heading",
        "cms-title": "detail-h",
        "article__body": "detail-text",
        "cms-body": "detail-b",
    },
)


def block_of(text: str, header: str) -> str:
    """The lines of ``text`` from ``header`` to the next line indented no deeper than it."""
    lines = text[text.index(header) :].splitlines()
    indent = len(header) - len(header.lstrip())
    out = [lines[0]]
    for line in lines[1:]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        out.append(line)
    return "\n".join(out)


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


@pytest.fixture(scope="module")
def redesigned(tmp_path_factory):
    """Every site redesigned in one copy of the mirror, crawled by one `newsmon crawl` (one
    crawler per source, concurrently); then `status`, `sources` and a dry-run digest."""
    root = tmp_path_factory.mktemp("redesign") / "mirror"
    shutil.copytree(default_root(), root)
    for host, _, _, renames in SITES.values():
        assert redesign(root / host, renames) > 0, host
    ws = Workspace(tmp_path_factory.mktemp("redesign_ws"))
    ws.write_config(
        "".join(f"[sources.{s}]\n" for s in SITES) + '[digest]\nrecipients = ["analyst@example.org"]\n'
    )
    with MirrorServer(root) as server:
        runs = {
            r["source"]: r
            for r in ws.run_json("crawl", *SITES, "--json", NEWSMON_MIRROR=server.url, timeout=1200)
        }
    return {
        "runs": runs,
        "stored": {s: ws.run_json("articles", "--source", s, "--json") for s in SITES},
        "status": ws.run("status", check=True).stdout,
        "sources": ws.run("sources", check=True).stdout,
        "digest": ws.run("digest", "--dry-run", "--since", "30d", check=True).stdout,
    }


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(SITES))
def test_redesigned_site_still_delivers_and_is_reported_degraded(source, redesigned):
    host, _, stored_after, _ = SITES[source]
    run = redesigned["runs"][source]
    # Every article still arrives, through the metadata and main-text layers.
    assert run["new"] == stored_after, run
    stored = redesigned["stored"][source]
    assert all(a["layers"]["body"] == "main_text" and a["layers"]["title"] == "metadata" for a in stored)
    # ...but the run says the site's selectors stopped matching.
    degraded = run["degraded"]
    assert {"title", "body"} <= set(degraded["fields"]), degraded
    assert degraded["sample_url"].startswith("https://" + host)
    assert "degraded" in run["message"]

    shown = block_of(redesigned["status"], f"  {source}  ")
    assert "degraded since" in shown and "title" in shown and "body" in shown
    listed = redesigned["sources"]
    entry = listed[listed.index(f"{source}:") :].split("\n")
    assert "degraded since" in entry[1] and degraded["sample_url"] in entry[1]
    footer = redesigned["digest"][redesigned["digest"].index("Sources since") :]
    lines = [ln for ln in footer.splitlines() if "degraded since" in ln and degraded["sample_url"] in ln]
    assert lines and "title" in lines[0] and "body" in lines[0]


def test_healthy_crawl_is_not_degraded(mirror, tmp_path):
    ws = Workspace(tmp_path)
    ws.write_config("[sources.nhandan]\n")
    (run,) = ws.run_json("crawl", "nhandan", "--json", NEWSMON_MIRROR=mirror.url)
    assert run["degraded"] == {} and run["new"] == 10
    assert "degraded" not in ws.run("status", check=True).stdout
