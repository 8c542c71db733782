"""Stories through the real `newsmon` entry point: grouping during a crawl of several mirrored
sites (vi, en, ru), `restory`, `stories`, `articles --json`, and `eval-stories`."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from storage import Article, ArticleStore, Database
from tests.helpers.workspace import Workspace

DATA = Path(__file__).parent / "data" / "stories_eval.jsonl"
MIRROR_SRC = Path(__file__).parent / "mirror" / "src"
SOURCES = ("hanoimoi", "kinhtedothi", "hanoitimes", "vietnamplus_ru")
# hanoimoi articles carry no story key; tests/mirror/README.md pairs them with the others' events.
HANOIMOI_STORIES = {563312: "hanoi-moscow-delegation-2026-11-24", 562911: "hanoi-japan-investment-2026-11-16"}


def gold_stories() -> dict[tuple[str, int], str]:
    gold = {("hanoimoi", i): s for i, s in HANOIMOI_STORIES.items()}
    for source in SOURCES[1:]:
        for f in (MIRROR_SRC / source / "articles").glob("*.toml"):
            for a in tomllib.loads(f.read_text(encoding="utf-8")).get("article", []):
                if a.get("story"):
                    gold[(source, int(a["id"]))] = a["story"]
    return gold


class Crawled:
    def __init__(self, ws: Workspace, mirror) -> None:
        self.ws = ws
        self.runs = ws.run_json("crawl", "--json", NEWSMON_MIRROR=mirror.url)
        self.articles = ws.run_json("articles", "--json")

    def story_of(self, source: str, article_id: int) -> int | None:
        for a in self.articles:
            if a["source"] == source and str(article_id) in a["url"]:
                return a["story_id"]
        return None


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, mirror) -> Crawled:
    ws = Workspace(tmp_path_factory.mktemp("stories"))
    ws.write_config("".join(f"[sources.{s}]\n" for s in SOURCES))
    return Crawled(ws, mirror)


@pytest.mark.slow
def test_crawl_gives_every_stored_article_a_story(crawled):
    assert {r["source"] for r in crawled.runs} == set(SOURCES)
    assert len(crawled.articles) > 50
    assert all("story_id" in a for a in crawled.articles)
    assert all(a["story_id"] is not None for a in crawled.articles)
    # An article that founds a story gives it its own id.
    ids = {a["id"] for a in crawled.articles}
    assert {a["story_id"] for a in crawled.articles} <= ids


@pytest.mark.slow
def test_one_event_reported_by_four_sites_in_three_languages_is_one_story(crawled):
    gold = gold_stories()
    by_story: dict[str, set[int]] = {}
    for (source, aid), story in gold.items():
        sid = crawled.story_of(source, aid)
        if sid is not None:
            by_story.setdefault(story, set()).add(sid)
    delegation = [
        crawled.story_of(s, i) for s, i in gold if gold[(s, i)] == "hanoi-moscow-delegation-2026-11-24"
    ]
    assert len(delegation) == 4 and len(set(delegation)) == 1
    langs = {a["language"] for a in crawled.articles if a["story_id"] == delegation[0]}
    assert langs == {"vi", "en", "ru"}
    # Most shared events come out whole, and no two events share a story.
    whole = sum(1 for sids in by_story.values() if len(sids) == 1)
    assert whole >= 0.8 * len(by_story)
    owners: dict[int, set[str]] = {}
    for story, sids in by_story.items():
        for sid in sids:
            owners.setdefault(sid, set()).add(story)
    assert all(len(stories) == 1 for stories in owners.values()), owners


@pytest.mark.slow
def test_hanoi_japan_story_stays_apart_from_hanoi_russia(crawled):
    japan = crawled.story_of("hanoimoi", 562911)
    moscow = crawled.story_of("hanoimoi", 563312)
    assert japan is not None and japan != moscow
    members = [a for a in crawled.articles if a["story_id"] == japan]
    assert {a["source"] for a in members} == {"hanoimoi", "hanoitimes"}


@pytest.mark.slow
def test_stories_command_shows_each_story_once_with_its_other_sources(crawled):
    lines = crawled.ws.run_json("stories", "--json")
    assert lines and all(len(s["articles"]) >= 2 for s in lines)
    assert len({s["story_id"] for s in lines}) == len(lines)
    delegation = crawled.story_of("hanoimoi", 563312)
    story = next(s for s in lines if s["story_id"] == delegation)
    assert story["headline"] == story["articles"][0]["id"]
    text = crawled.ws.run("stories", check=True).stdout
    assert "also in: " in text and "(ru)" in text and "(en)" in text


@pytest.mark.slow
def test_restory_regroups_the_same_way(crawled):
    before = {a["id"]: a["story_id"] for a in crawled.articles}
    out = crawled.ws.run_json("restory", "--json")[0]
    assert out["articles"] == len(before)
    after = {a["id"]: a["story_id"] for a in crawled.ws.run_json("articles", "--json")}

    def partition(m: dict[int, int]) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for aid, sid in m.items():
            groups.setdefault(sid, set()).add(aid)
        return {frozenset(g) for g in groups.values()}

    assert partition(after) == partition(before)
    assert out["stories"] == len(partition(after))


def test_restory_on_a_database_filled_elsewhere(workspace):
    db = Database(workspace.db_url)
    recs = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    from datetime import datetime

    for n, r in enumerate(recs):
        ArticleStore(db).save(
            Article(
                canonical_url=f"https://example.org/{n}",
                url=f"https://example.org/{n}",
                source=r["source"],
                title=r["title"],
                body=r["text"],
                language=r["lang"],
                content_hash="",
                published_at=datetime.fromisoformat(r["published"]),
            )
        )
    db.dispose()
    assert all(a["story_id"] is None for a in workspace.run_json("articles", "--json"))
    result = workspace.run("restory", check=True)
    assert result.stdout.startswith(f"{len(recs)} articles in 10 stories")
    stored = workspace.run_json("articles", "--json")
    gold = {f"https://example.org/{n}": r["story"] for n, r in enumerate(recs)}
    groups: dict[int, set[str]] = {}
    for a in stored:
        groups.setdefault(a["story_id"], set()).add(gold[a["url"]])
    assert len(groups) == 10 and all(len(g) == 1 for g in groups.values())


# ---------------------------------------------------------------- eval-stories
def test_eval_stories_reports_pairwise_scores(workspace):
    result = workspace.run("eval-stories", str(DATA), check=True)
    assert "24 articles, 10 gold stories" in result.stdout
    assert "precision 1.000" in result.stdout
    assert "wrong pairs: none" in result.stdout or "split:" in result.stdout
    data = workspace.run_json("eval-stories", str(DATA), "--json")[0]
    assert data["gold_pairs"] == 25 and data["precision"] == 1.0 and data["recall"] >= 0.9
    assert data["bad_lines"] == 0


def test_eval_stories_lists_wrong_pairs_when_too_strict(workspace):
    # A zero-day window splits every cross-source story published at different times.
    data = workspace.run_json("eval-stories", str(DATA), "--json", "--window-days", "0")[0]
    assert data["recall"] < 0.9
    assert data["wrong_pairs"] and all(w["kind"] == "split" for w in data["wrong_pairs"])
    text = workspace.run("eval-stories", str(DATA), "--window-days", "0").stdout
    assert "split: " in text


def test_eval_stories_bad_lines_are_reported_and_skipped(workspace, tmp_path):
    lines = DATA.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join(
            lines[:6]
            + [
                "{not json",
                '{"id": "x", "title": "t"}',
                '{"id": "y", "title": "t", "text": "b", "lang": "vi", "published": "2026-11-05T10:00:00"}',
            ]
        ),
        encoding="utf-8",
    )
    result = workspace.run("eval-stories", str(bad), "--json")
    assert result.returncode == 1
    assert "line 7: invalid JSON" in result.stderr
    assert "line 8: missing key(s): text, lang" in result.stderr
    assert "line 9: published" in result.stderr and "no time zone" in result.stderr
    data = json.loads(result.stdout)
    assert data["n"] == 6 and data["bad_lines"] == 3


def test_eval_stories_on_the_shared_dev_set(workspace, shared_eval):
    data = workspace.run_json("eval-stories", str(shared_eval / "dev_articles.jsonl"), "--json")[0]
    assert data["n"] == 68 and data["gold_pairs"] >= 1
    assert data["recall"] == 1.0  # every dup_of pair is one story
    assert data["precision"] == 1.0


def test_eval_stories_help_and_missing_file(workspace):
    help_text = workspace.run("eval-stories", "--help", check=True).stdout
    assert "precision" in help_text and "dup_of" in help_text
    result = workspace.run("eval-stories", "no-such-file.jsonl")
    assert result.returncode == 2 and "no-such-file.jsonl" in result.stderr
    for command in ("restory", "stories"):
        assert "Usage:" in workspace.run(command, "--help", check=True).stdout


@pytest.mark.slow
def test_stories_why_shows_what_linked_each_article(crawled):
    articles = crawled.ws.run_json("articles", "--json")  # as stored now (other tests restory)
    delegation = next(a["story_id"] for a in articles if a["source"] == "hanoimoi" and "563312" in a["url"])
    members = [a for a in articles if a["story_id"] == delegation]
    # Asked by any member's id, the answer is the whole story.
    text = crawled.ws.run("stories", "--why", str(members[-1]["id"]), check=True).stdout
    assert text.startswith(f"story {delegation}: {len(members)} article(s)")
    assert text.count("founded the story") == 1
    assert "same event as article" in text or "near-copy of article" in text
    data = crawled.ws.run_json("stories", "--why", str(delegation), "--json")[0]
    linked = [a for a in data["articles"] if a["how"] != "new"]
    assert len(linked) == len(members) - 1
    assert all(a["linked_to"] in {m["id"] for m in members} and a["reasons"] for a in linked)
    missing = crawled.ws.run("stories", "--why", "999999")
    assert missing.returncode == 1 and "no story or grouped article" in missing.stderr
