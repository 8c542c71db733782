"""The hot queries of the daemon, the digest and `newsmon status` read indexes, never a whole
table that grows with history: checked with each database's own EXPLAIN, on SQLite and on a
real PostgreSQL (with sequential scans priced out, so a missing index shows as a Seq Scan)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event

from storage import Database
from storage.digests import DigestStore, count_with_status_query, last_delivered_query
from storage.models import utcnow
from storage.runs import last_success_query, newest_runs_query, running_query, runs_since_query

HISTORY_TABLES = {"article", "crawl_run", "digest", "digest_item"}


def plan(db: Database, stmt) -> list[tuple[str, str, str]]:
    """(how, table, index) for every table the statement reads; how is "index" or "scan"."""
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN (FORMAT JSON) "

        def explain(_conn, _cursor, statement, parameters, _context, _many):
            return prefix + statement, parameters

        event.listen(conn, "before_cursor_execute", explain, retval=True)
        rows = conn.execute(stmt).all()
    found: list[tuple[str, str, str]] = []
    if db.dialect == "sqlite":
        for row in rows:
            words = row[-1].split()
            if words[0] in ("SCAN", "SEARCH") and words[1] in HISTORY_TABLES:
                index = words[words.index("INDEX") + 1] if "INDEX" in words else ""
                found.append(("scan" if words[0] == "SCAN" else "index", words[1], index))
        return found

    def indexes_below(node: dict) -> list[str]:
        names = [node["Index Name"]] if "Index Name" in node else []
        return names + [n for child in node.get("Plans", []) for n in indexes_below(child)]

    def walk(node: dict) -> None:
        table = node.get("Relation Name")
        if table in HISTORY_TABLES:
            if node["Node Type"] == "Seq Scan":
                found.append(("scan", table, ""))
            else:  # an index scan names its index; a bitmap heap scan's index scans are below it
                found.extend(("index", table, name) for name in indexes_below(node) or [""])
        for child in node.get("Plans", []):
            walk(child)

    document = rows[0][0]
    walk((json.loads(document) if isinstance(document, str) else document)[0]["Plan"])
    return found


def assert_indexed(db: Database, stmt, *expected: tuple[str, str]) -> None:
    found = plan(db, stmt)
    scans = [f for f in found if f[0] == "scan"]
    assert not scans, f"full scan of {[s[1] for s in scans]}: {found}"
    for table, index in expected:
        assert any(t == table and i == index for _, t, i in found), (
            f"{table} not read through {index}: {found}"
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'n.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database("query_plans")
    database = Database(url)
    yield database
    database.dispose()


def test_new_relevant_articles_since_the_last_digest(db):
    stmt = DigestStore(db).candidates_query(["core"], seen_after=utcnow() - timedelta(days=1))
    # "In no digest yet" is a probe of digest_item's unique article_id (no scan, any index name).
    assert_indexed(db, stmt, ("article", "ix_article_label_first_seen_at"))


def test_pending_digests(db):
    assert_indexed(db, count_with_status_query(["pending", "sending"]), ("digest", "ix_digest_status_id"))


def test_latest_run_of_each_source_and_its_last_success(db):
    assert_indexed(db, newest_runs_query(), ("crawl_run", "ix_crawl_run_source_id"))
    # The newest success through (source, status, id), not a backwards walk over failures.
    assert_indexed(db, last_success_query("hanoimoi"), ("crawl_run", "ix_crawl_run_source_status_id"))


def test_last_delivered_digest(db):
    assert_indexed(db, last_delivered_query(), ("digest", "ix_digest_status_id"))


def test_running_runs_and_runs_since_a_time(db):
    assert_indexed(db, running_query(), ("crawl_run", "ix_crawl_run_status"))
    assert_indexed(
        db, runs_since_query(None, utcnow() - timedelta(days=1)), ("crawl_run", "ix_crawl_run_started_at")
    )
