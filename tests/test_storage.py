"""Storage: each article once, updates in place, duplicates by content, crawl-run records."""

from datetime import datetime, timedelta, timezone

import pytest

from storage import Article, ArticleStore, CrawlRunLog, Database, DatabaseError, SaveOutcome
from storage.models import utcnow

HANOI = timezone(timedelta(hours=7))


def article(
    url: str, title: str = "Hà Nội và Mát-xcơ-va ký kết hợp tác", body: str = "Đoạn một.\n\nĐoạn hai."
) -> Article:
    return Article(
        canonical_url=url,
        url=url,
        source="hanoimoi",
        title=title,
        body=body,
        language="vi",
        published_at=datetime(2026, 11, 20, 8, 15, tzinfo=HANOI),
        content_hash="",
    )


@pytest.fixture
def store(database_url) -> ArticleStore:
    return ArticleStore(Database(database_url))


def test_new_then_unchanged_then_updated(store):
    url = "https://hanoimoi.vn/a-563102.html"
    first = store.save(article(url))
    assert first.outcome is SaveOutcome.NEW
    assert store.save(article(url + "?utm_source=rss")).outcome is SaveOutcome.UNCHANGED
    edited = store.save(article(url, body="Đoạn một, đã sửa.\n\nĐoạn hai."))
    assert edited.outcome is SaveOutcome.UPDATED and edited.article_id == first.article_id
    stored = store.get(first.article_id)
    assert stored.body.startswith("Đoạn một, đã sửa") and stored.updated_at is not None
    assert store.counts()["total"] == 1


def test_same_text_at_another_url_is_a_duplicate_and_its_url_becomes_known(store):
    first = store.save(article("https://hanoimoi.vn/a-563102.html"))
    # Same words, different spacing, case and Unicode form (NFD): still the same article.
    import unicodedata

    copy = article(
        "https://hanoimoi.vn/tin-khac-999999.html",
        title=unicodedata.normalize("NFD", "HÀ NỘI và Mát-xcơ-va  ký kết hợp tác"),
        body="Đoạn một.\nĐoạn hai.",
    )
    result = store.save(copy)
    assert result.outcome is SaveOutcome.DUPLICATE and result.article_id == first.article_id
    assert not store.stale_or_unknown(["http://hanoimoi.vn/tin-khac-999999.html"], refresh=None)
    assert store.counts()["total"] == 1


def test_save_many_is_one_transaction_that_sees_its_own_articles(store):
    url = "https://hanoimoi.vn/a-563102.html"
    results = store.save_many(
        [
            (article(url), ["https://hanoimoi.vn/tin-cu-1.html"]),
            (article("https://hanoimoi.vn/tin-khac-999999.html"), []),  # same text: a duplicate of the first
            (
                article(url + "?utm_source=rss", body="Đoạn một, đã sửa.\n\nĐoạn hai."),
                [],
            ),  # the first, changed
            (article("https://hanoimoi.vn/b-2.html", title="Tin khác"), []),
        ]
    )
    assert [r.outcome for r in results] == [
        SaveOutcome.NEW,
        SaveOutcome.DUPLICATE,
        SaveOutcome.UPDATED,
        SaveOutcome.NEW,
    ]
    assert results[1].article_id == results[2].article_id == results[0].article_id
    assert store.counts()["total"] == 2
    assert not store.stale_or_unknown(["https://hanoimoi.vn/tin-cu-1.html"], refresh=None)
    # All or nothing: a batch with an article that cannot be stored (no body) stores none of it.
    with pytest.raises(TypeError):
        store.save_many(
            [
                (article("https://hanoimoi.vn/c-3.html", title="Tin thứ ba"), []),
                (article("https://hanoimoi.vn/d-4.html", title="x" * 10, body=None), []),
            ]
        )
    assert store.counts()["total"] == 2


def test_published_at_round_trips_as_aware_datetime(store):
    saved = store.save(article("https://hanoimoi.vn/a-563102.html"))
    got = store.get(saved.article_id).published_at
    assert got.tzinfo is not None
    assert got == datetime(2026, 11, 20, 8, 15, tzinfo=HANOI)


def test_naive_datetimes_are_refused(store):
    bad = article("https://hanoimoi.vn/a-563102.html")
    bad.published_at = datetime(2026, 11, 20, 8, 15)
    with pytest.raises(Exception, match="naive datetime"):
        store.save(bad)


def test_known_urls_in_batches_and_refresh_window(store):
    urls = [f"https://hanoimoi.vn/a-{n}.html" for n in range(100000, 101200)]
    for url in urls[:600]:
        store.save(article(url, title=url))  # distinct texts
    wanted = store.stale_or_unknown(urls, refresh=None)
    assert wanted == set(urls[600:])
    # With a refresh window shorter than the age of the rows, stored ones are wanted again.
    assert store.stale_or_unknown(urls[:3], refresh=timedelta(microseconds=1)) == set(urls[:3])


def test_failed_pages_back_off_then_retry(store):
    url = "https://hanoimoi.vn/hong-563999.html"
    store.record_failure(url, "hanoimoi", "no title found")
    assert store.stale_or_unknown([url], refresh=None) == set()
    failure = store.failures([url])[url]
    assert failure.retry_after() == failure.last_failed_at + timedelta(hours=1)
    store.record_failure(url, "hanoimoi", "no title found")
    failure = store.failures([url])[url]
    assert failure.attempts == 2 and failure.retry_after() == failure.last_failed_at + timedelta(hours=2)
    # Once the page is readable and stored, the failure record goes.
    store.save(article(url))
    assert store.failures([url]) == {}


def test_query_filters(store):
    a = article("https://hanoimoi.vn/a-1.html", title="A")
    b = article("https://kinhtedothi.vn/b-2.html", title="B")
    b.source, b.label = "kinhtedothi", "core"
    b.published_at = datetime(2026, 11, 1, tzinfo=HANOI)
    store.save(a), store.save(b)
    assert [x.title for x in store.query()] == ["A", "B"]  # newest first
    assert [x.title for x in store.query(source="kinhtedothi")] == ["B"]
    assert [x.title for x in store.query(labels=["core"])] == ["B"]
    assert [x.title for x in store.query(since=datetime(2026, 11, 10, tzinfo=HANOI))] == ["A"]


def test_crawl_runs(database_url):
    runs = CrawlRunLog(Database(database_url))
    run_id = runs.start("hanoimoi")
    assert runs.get(run_id).status == "running"
    runs.finish(
        run_id, "partial", {"requests": 10, "new": 3, "errors": 1}, "1 error", [{"url": "u", "reason": "r"}]
    )
    run = runs.get(run_id)
    assert (run.status, run.requests, run.new, run.errors) == ("partial", 10, 3, 1)
    assert run.finished_at is not None and run.finished_at <= utcnow()
    abandoned = runs.start("kinhtedothi")
    assert runs.mark_abandoned("kinhtedothi") == 1
    assert runs.get(abandoned).status == "killed"
    assert set(runs.latest_per_source()) == {"hanoimoi", "kinhtedothi"}
    assert runs.last_success("hanoimoi").id == run_id
    with pytest.raises(ValueError):
        runs.finish(run_id, "great", {})


def test_database_errors_are_clear(tmp_path):
    with pytest.raises(DatabaseError, match="does not exist"):
        Database(f"sqlite:///{tmp_path}/missing/dir/t.db")
    with pytest.raises(DatabaseError, match="not a database URL"):
        Database("::::")


def test_abandoned_runs_are_closed_but_live_crawls_are_left_alone(database_url):
    import socket
    import subprocess
    import sys

    runs = CrawlRunLog(Database(database_url))
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        live_run = runs.start("hanoimoi", pid=alive.pid, host=socket.gethostname())
        dead_run = runs.start("kinhtedothi", pid=dead.pid, host=socket.gethostname())
        unknown_run = runs.start("nhandan")
        other_host = runs.start("vovworld", pid=dead.pid, host="some-other-host")
        # What any command that reads runs does: only a process known to be gone is closed.
        assert [r.id for r in runs.close_dead()] == [dead_run]
        assert {s: r.status for s, r in runs.latest_per_source().items()} == {
            "hanoimoi": "running",
            "kinhtedothi": "killed",
            "nhandan": "running",
            "vovworld": "running",
        }
        assert runs.get(other_host).status == "running"
        # The daemon at start closes every record but a live process's (the other host's too).
        assert runs.mark_abandoned() == 2
        assert runs.get(live_run).status == "running"
        assert runs.get(dead_run).status == "killed" and runs.get(unknown_run).status == "killed"
        assert runs.get(other_host).status == "killed"
    finally:
        alive.kill()
        alive.wait()
    assert runs.mark_abandoned() == 1


def test_serialized_transactions_take_turns_across_connections(database_url):
    """Database.serialized: a second holder (another engine, as another process would be) waits
    until the first commits, then reads what it wrote."""
    import threading

    from sqlmodel import func, select

    first, second = Database(database_url), Database(database_url)
    entered = threading.Event()
    seen: list[int] = []

    def wait_for_turn() -> None:
        with second.serialized("stories") as session:
            entered.set()
            seen.append(session.exec(select(func.count()).select_from(Article)).one())

    with first.serialized("stories") as session:
        waiter = threading.Thread(target=wait_for_turn)
        waiter.start()
        session.add(article("https://example.org/held"))
        session.flush()
        assert not entered.wait(1.0), "the second transaction did not wait for the lock"
    assert entered.wait(30)
    waiter.join(30)
    assert seen == [1]
    first.dispose(), second.dispose()
