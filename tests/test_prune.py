"""`newsmon prune --older-than`: old bodies and `none` articles, runs, validators and failed
pages go; what a pending or recent digest, a story in one, or a reader's feedback needs stays."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from monitor.stories.text import band_keys, signature_bytes, text_signature
from storage import Article, ArticleStore, CrawlRunLog, Database
from storage.digests import DigestStore, NewItem
from storage.feedback import record_feedback
from storage.http_cache import HttpValidatorStore
from storage.models import ArticleSignature, ArticleUrl, CrawlRun, Digest, FailedUrl, HttpValidator, utcnow
from storage.retention import prune
from storage.stories import IndexRow, StoryIndex

OLD = utcnow() - timedelta(days=200)


def _article(
    db: Database, name: str, label: str | None, *, old: bool = True, story: int | None = None
) -> int:
    url = f"https://example.test/{name}.html"
    saved = ArticleStore(db).save(
        Article(
            canonical_url=url,
            url=url,
            source="site",
            title=f"Title {name}",
            lead=f"Lead {name}.",
            body=f"Body of {name}.",
            language="en",
            content_hash="",
        ),
        extra_urls=[url + "?from=rss"],
    )
    with db.session() as session:
        session.execute(
            update(Article)
            .where(col(Article.id) == saved.article_id)
            .values(label=label, story_id=story, first_seen_at=OLD if old else utcnow())
        )
    return saved.article_id


def _digest(db: Database, name: str, article_ids: list[int], *, delivered: bool, old: bool) -> None:
    store = DigestStore(db)
    digest = store.create(
        Digest(
            message_id=f"<{name}@t>",
            subject=name,
            sender="a@example.test",
            recipients=["b@example.test"],
            raw_message="x",
            html="x",
            created_at=OLD + timedelta(days=1) if old else utcnow(),
        ),
        [NewItem(aid, "core", position=n) for n, aid in enumerate(article_ids)],
    )
    if delivered:
        with db.session() as session:
            session.execute(
                update(Digest).where(col(Digest.id) == digest.id).values(status="sent", sent_at=utcnow())
            )


@pytest.fixture
def filled(database_url):
    db = Database(database_url)
    a = {
        "core_sent_long_ago": _article(db, "core-sent", "core"),
        "none_old": _article(db, "none-old", "none"),
        "none_with_feedback": _article(db, "none-fb", "none"),
        "core_pending": _article(db, "core-pending", "core"),
        "national_of_recent_story": _article(db, "national-story", "national", story=7),
        "core_in_recent_digest": _article(db, "core-recent", "core", story=7),
        "unjudged_old": _article(db, "unjudged", None),
        "none_new": _article(db, "none-new", "none", old=False),
    }
    sig = text_signature("Title", "Body")
    StoryIndex(db).put_many(
        [IndexRow(a["none_old"], "en", OLD, signature_bytes(sig), band_keys(sig, "en"), [1, 2], "", "v1")]
    )
    record_feedback(db, a["none_with_feedback"], label="core", who="test")
    _digest(db, "old-sent", [a["core_sent_long_ago"]], delivered=True, old=True)
    _digest(db, "old-pending", [a["core_pending"]], delivered=False, old=True)
    _digest(db, "recent", [a["core_in_recent_digest"]], delivered=True, old=False)

    runs = CrawlRunLog(db)
    ids = []
    for status in ("ok", "ok", "failed"):
        ids.append(runs.start("site"))
        runs.finish(ids[-1], status, {"requests": 1})
    with db.session() as session:
        session.execute(update(CrawlRun).where(col(CrawlRun.id).in_(ids)).values(started_at=OLD))
    HttpValidatorStore(db).record("site", {"https://example.test/old.rss": ("e1", None)}, at=OLD)
    HttpValidatorStore(db).record("site", {"https://example.test/new.rss": ("e2", None)})
    ArticleStore(db).record_failure("https://example.test/gone.html", "site", "HTTP 500")
    with db.session() as session:
        session.execute(update(FailedUrl).values(last_failed_at=OLD))
    return db, a, ids


def _state(db: Database) -> dict:
    with db.session() as session:
        return {
            "articles": {a.id: (a.title, a.label, a.body, a.story_id) for a in session.exec(select(Article))},
            "urls": sorted(u.canonical_url for u in session.exec(select(ArticleUrl))),
            "signatures": sorted(s.article_id for s in session.exec(select(ArticleSignature))),
            "runs": sorted(r.id for r in session.exec(select(CrawlRun))),
            "validators": sorted(v.url for v in session.exec(select(HttpValidator))),
            "failed": sorted(f.canonical_url for f in session.exec(select(FailedUrl))),
        }


def test_prune_forgets_the_old_and_keeps_what_digests_and_readers_need(filled):
    db, a, old_runs = filled
    before = _state(db)
    dry = prune(db, utcnow() - timedelta(days=90), dry_run=True)
    assert _state(db) == before  # a dry run changes nothing ...
    report = prune(db, utcnow() - timedelta(days=90))
    # ... and counts exactly what the real one does.
    assert {**dry.as_dict(), "dry_run": False, "before": None} == {**report.as_dict(), "before": None}
    assert (
        report.articles_deleted,
        report.bodies_cleared,
        report.crawl_runs_deleted,
        report.http_validators_deleted,
        report.failed_urls_deleted,
    ) == (1, 1, 1, 1, 1)
    # Kept: pending digest's article, both of the recent digest's story, feedback, unjudged.
    assert report.articles_kept == 5
    after = _state(db)
    articles = after["articles"]
    assert a["none_old"] not in articles
    assert not any("none-old" in url for url in after["urls"]) and after["signatures"] == []
    assert articles[a["core_sent_long_ago"]] == ("Title core-sent", "core", "", None)
    for name in (
        "none_with_feedback",
        "core_pending",
        "national_of_recent_story",
        "core_in_recent_digest",
        "unjudged_old",
        "none_new",
    ):
        assert articles[a[name]] == before["articles"][a[name]], name
    # The newest failed run and the newest success of the source stay; the older success goes.
    assert old_runs[0] not in after["runs"] and old_runs[1] in after["runs"] and old_runs[2] in after["runs"]
    assert after["validators"] == ["https://example.test/new.rss"] and after["failed"] == []
    assert prune(db, utcnow() - timedelta(days=90)).as_dict() | {"before": None} == {
        "before": None,
        "dry_run": False,
        "articles_deleted": 0,
        "bodies_cleared": 0,
        "articles_kept": 5,
        "crawl_runs_deleted": 0,
        "http_validators_deleted": 0,
        "failed_urls_deleted": 0,
    }


def test_prune_command(workspace):
    db = Database(workspace.db_url)
    gone = _article(db, "none-old", "none")
    kept = _article(db, "none-new", "none", old=False)
    bad = workspace.run("prune", "--older-than", "soon")
    assert bad.returncode == 2 and "not a duration like 36h, 90d or 26w" in bad.stderr
    dry = workspace.run("prune", "--older-than", "90d", "--dry-run", check=True)
    assert dry.stdout.startswith("would remove (older than ") and "1 `none` article(s)" in dry.stdout
    assert ArticleStore(db).get(gone) is not None
    report = json.loads(workspace.run("prune", "--older-than", "13w", "--json", check=True).stdout)
    assert report["articles_deleted"] == 1 and report["dry_run"] is False
    assert ArticleStore(db).get(gone) is None and ArticleStore(db).get(kept) is not None
