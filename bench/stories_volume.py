"""Story quality at volume: the labeled events among thousands of other articles.

    python bench/stories_volume.py [--per-day 300] [--files A.jsonl B.jsonl ...] [--db PATH] [--json]

`newsmon eval-stories` groups a labeled file on its own: a few dozen articles, so no per-key
or per-band candidate limit ever binds there. Here the labeled articles (by default every
labeled set in tests/data) are grouped, oldest first, among ``--per-day`` synthetic articles a
day (bench/run.py's generator: the mirror's own vi/en/ru texts, Hanoi–Russia news naming the
same places, leaders and bodies) from three days before the first labeled article to three days
after the last, each a story of its own. As in a crawl, a labeled article sees the synthetic
ones published before it, not the later ones: the story index holds back the later ones' rows
and lets them in as the labeled articles' time passes. So every labeled article competes for
its candidate places with the ~900 others of its story window, as in a large deployment.
Prints pairwise precision, recall and F1 over the labeled articles only (as eval-stories does),
and the wrong pairs.

``--backfill``: every synthetic article is indexed before the labeled ones are grouped, so each
also competes with the ones published up to three days after it, as an article does that
arrives late (a source's first crawl of its past month, a feed read once a day): harder, since
the per-key limits keep the most recent articles of the window.

``--db PATH`` keeps the filled store (built when missing; each run groups into a copy), so two
checkouts can be compared on the same store.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import Generator, bulk_articles, history_rows, index_stories, mirror_texts  # noqa: E402
from monitor.stories import StoryGrouper  # noqa: E402
from monitor.stories.evaluation import EvalRecord, read_records, score  # noqa: E402
from storage import ArticleStore, Database  # noqa: E402

DATA = ROOT / "tests" / "data"
DEFAULT_FILES = [
    DATA / "stories_eval.jsonl",
    DATA / "stories_events_a.jsonl",
    DATA / "stories_events_b.jsonl",
]


def labeled(files: list[Path]) -> list[EvalRecord]:
    """The records of every file, ids and stories prefixed by the file (so two files never share one)."""
    out: list[EvalRecord] = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            records, errors = read_records(fh)
        if errors:
            raise SystemExit(f"{path}: {errors[0]}")
        for r in records:
            out.append(dataclasses.replace(r, id=f"{path.stem}:{r.id}", story=f"{path.stem}:{r.story}"))
    return out


def fill(path: Path, records: list[EvalRecord], per_day: int, log) -> int:
    """``per_day`` synthetic articles a day around the labeled ones, stored and story-indexed."""
    times = [r.published for r in records if r.published is not None]
    start, end = min(times) - timedelta(days=3), max(times) + timedelta(days=3)
    count = round(per_day * (end - start) / timedelta(days=1))
    db = Database(f"sqlite:///{path}")
    gen = Generator(mirror_texts())
    t0 = time.perf_counter()
    for first in range(0, count, 2000):
        n = min(2000, count - first)
        rows = history_rows(
            gen,
            1 + first,
            n,
            start + (end - start) * first / count,
            start + (end - start) * (first + n) / count,
        )
        bulk_articles(db, rows)
        index_stories(db, rows)
        log(
            f"  {first + n:,} of {count:,} synthetic articles stored and indexed ({time.perf_counter() - t0:.0f} s)"
        )
    db.dispose()
    return count


# The story index's tables (storage.models.stories), each with its story_time column.
_INDEX_TABLES = ("story_signature", "signature_band", "story_key")


def _sql(conn, statement: str, when=None) -> None:
    from sqlalchemy import bindparam, text

    from storage.models.types import UTCDateTime

    stmt = text(statement)
    if when is not None:
        stmt = stmt.bindparams(bindparam("t", type_=UTCDateTime))
    conn.execute(stmt, {"t": when} if when is not None else {})


def group_in_time(db: Database, records: list[EvalRecord], backfill: bool = False) -> dict[str, int]:
    """Store and group the labeled records oldest first, each seeing only the synthetic articles
    published before it (the later ones' index rows are held back, then let in); record id → story."""
    grouper = StoryGrouper(db)
    store = ArticleStore(db)
    order = sorted(records, key=lambda r: (r.published, r.id))
    with db.session() as session:
        conn = session.connection()
        for table in _INDEX_TABLES if not backfill else ():
            _sql(
                conn,
                f"CREATE TABLE held_{table} AS SELECT * FROM {table} WHERE story_time > :t",
                order[0].published,
            )
            _sql(conn, f"CREATE INDEX held_{table}_time ON held_{table} (story_time)")
            _sql(conn, f"DELETE FROM {table} WHERE story_time > :t", order[0].published)
    article_of: dict[str, int] = {}
    for i, r in enumerate(order):
        with db.session() as session:
            conn = session.connection()
            for table in _INDEX_TABLES if not backfill else ():
                _sql(
                    conn,
                    f"INSERT INTO {table} SELECT * FROM held_{table} WHERE story_time <= :t",
                    r.published,
                )
                _sql(conn, f"DELETE FROM held_{table} WHERE story_time <= :t", r.published)
        saved = store.save(r.article(f"https://eval.invalid/{i}"))
        article_of[r.id] = saved.article_id
        if saved.outcome.value == "new":
            article = store.get(saved.article_id)
            assert article is not None
            grouper.assign(article)
    out = {}
    for rid, aid in article_of.items():
        article = store.get(aid)
        assert article is not None and article.story_id is not None
        out[rid] = article.story_id
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=300, help="synthetic articles a day")
    parser.add_argument("--files", nargs="+", type=Path, default=DEFAULT_FILES, help="labeled JSON lines")
    parser.add_argument("--db", type=Path, help="keep the filled store here (reused when present)")
    parser.add_argument(
        "--backfill", action="store_true", help="the later synthetic articles are indexed too (late arrivals)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    records = labeled(args.files)
    if any(r.published is None for r in records):
        raise SystemExit("every labeled article needs its publication time here")
    with tempfile.TemporaryDirectory(prefix="stories-volume-") as tmp:
        filled = args.db or Path(tmp) / "filled.db"
        if not filled.exists():
            log(f"filling {filled} with {args.per_day} synthetic articles a day:")
            fill(filled, records, args.per_day, log)
        work = Path(tmp) / "work.db"
        shutil.copyfile(filled, work)
        db = Database(f"sqlite:///{work}")
        try:
            with db.session() as session:
                stored = session.connection().exec_driver_sql("SELECT COUNT(*) FROM article").scalar()
            t0 = time.perf_counter()
            predicted = group_in_time(db, records, args.backfill)
            seconds = time.perf_counter() - t0
        finally:
            db.dispose()
    result = score(records, predicted)
    summary = {
        "labeled": len(records),
        "synthetic": int(stored or 0),
        "per_day": args.per_day,
        "backfill": args.backfill,
        "precision": round(result.precision, 4),
        "recall": round(result.recall, 4),
        "f1": round(result.f1, 4),
        "gold_pairs": result.true_pairs,
        "predicted_pairs": result.predicted_pairs,
        "correct_pairs": result.correct_pairs,
        "seconds": round(seconds, 1),
        "wrong_pairs": [{"a": w.a, "b": w.b, "kind": w.kind} for w in result.wrong],
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    print(
        f"{len(records)} labeled articles among {summary['synthetic']:,} synthetic ({args.per_day} a day): "
        f"precision {result.precision:.3f}  recall {result.recall:.3f}  f1 {result.f1:.3f} "
        f"(pairs: {result.true_pairs} gold, {result.predicted_pairs} predicted, {result.correct_pairs} correct)"
    )
    for w in result.wrong:
        print(f"  {w.kind}: {w.a} + {w.b}")


if __name__ == "__main__":
    main()
