"""Benchmark: does grouping a new article cost the same however many articles are stored,
and however many are published a day?

    python bench/bench_stories.py [--per-day 30,300,3000] [--days 10] [--small 1000] [--large 100000]
                                  [--new 200] [--workers 2] [--json]

Two measurements, each in this one run:
1. ms per article at 30, 300 and 3,000 stored articles a day (``--days`` days of
   history each): the candidates come from indexed keys with a per-key limit, so
   the cost should not follow the daily volume (goal: 3,000 a day ≤ 1.5× 30 a day);
2. ms per article with 1,000 and 100,000 stored at 30 a day (a longer history):
   the cost should be flat, plus what comparing against every stored signature
   (no LSH, no keys) would cost at each size.
Each database holds synthetic articles (generated text, places, dates, numbers),
indexed with the real story index; then `StoryGrouper.assign` is timed for the same
new articles against each: fresh stories, near copies of recent articles, and
rewrites of recent events. ``story_ms_per_article(...)`` is what bench/run.py calls.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from monitor.stories import StoryGrouper  # noqa: E402
from monitor.stories.grouping import INDEX_VERSION  # noqa: E402
from monitor.stories.text import (  # noqa: E402
    band_keys,
    key_hash,
    signature_bytes,
    similarity,
    text_signature,
)
from storage import Article, ArticleStore, Database  # noqa: E402
from storage.models import ArticleSignature  # noqa: E402
from storage.stories import IndexRow, StoryIndex  # noqa: E402

END = datetime(2026, 11, 30, tzinfo=timezone.utc)
PER_DAY = 30
_ONSETS = [
    "b",
    "c",
    "d",
    "đ",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "ph",
    "t",
    "th",
    "tr",
    "ng",
    "nh",
    "v",
    "x",
    "s",
    "qu",
]
_RIMES = [
    "a",
    "à",
    "an",
    "anh",
    "ăng",
    "o",
    "ông",
    "u",
    "ưng",
    "i",
    "inh",
    "ê",
    "ên",
    "ơi",
    "uy",
    "ươn",
    "iệt",
    "ộc",
]
SYLLABLES = [o + r for o in _ONSETS for r in _RIMES]
PLACES = [
    "Hà Nội",
    "Mát-xcơ-va",
    "Kaluga",
    "Tatarstan",
    "Xanh Pê-téc-bua",
    "Tô-ky-ô",
    "Xơ-un",
    "Đà Nẵng",
    "TP Hồ Chí Minh",
    "Nghệ An",
]


def _words(rng: random.Random, n: int) -> str:
    # Zipf-like: a few syllables are common, most are rare, as in real copy.
    return " ".join(
        SYLLABLES[min(int(rng.paretovariate(0.8)) - 1, len(SYLLABLES) - 1)]
        if rng.random() < 0.3
        else rng.choice(SYLLABLES)
        for _ in range(n)
    )


def synthetic(j: int, per_day: int = PER_DAY) -> dict:
    """The j-th most recent stored article (j=0 is the newest): the same in every database of one rate."""
    rng = random.Random(j)
    when = END - timedelta(days=j / per_day)
    places = rng.sample(PLACES, 2)
    day = when - timedelta(days=rng.randint(0, 2))
    body = "\n".join(
        [
            f"Ngày {day.day}/{day.month}, {places[0]} và {places[1]} {_words(rng, 25)} {rng.randint(11, 999)} dự án.",
            _words(rng, 30) + ".",
            _words(rng, 25) + f" {rng.randint(2, 90)} triệu USD.",
        ]
    )
    return {"title": f"{places[0]} {_words(rng, 6)}", "body": body, "language": "vi", "published": when}


def _index_rows(batch: list[tuple[int, dict]]) -> list[IndexRow]:
    from monitor.stories import EntityTable, extract_features

    table = EntityTable.load()
    out = []
    for aid, a in batch:
        f = extract_features(
            table, title=a["title"], body=a["body"], language=a["language"], published=a["published"]
        )
        sig = text_signature(a["title"], a["body"])
        out.append(
            IndexRow(
                aid,
                a["language"],
                a["published"],
                signature_bytes(sig),
                band_keys(sig, a["language"]),
                [key_hash(k) for k in f.keys()],
                f.pack(),
                INDEX_VERSION,
            )
        )
    return out


def build(path: Path, n: int, workers: int, per_day: int = PER_DAY) -> float:
    """A database of n stored, indexed articles (each founding its own story); seconds taken."""
    start = time.perf_counter()
    db = Database(f"sqlite:///{path}")
    articles = [(j, synthetic(j, per_day)) for j in range(n - 1, -1, -1)]  # oldest first
    rows = []
    for k, (j, a) in enumerate(articles, 1):
        rows.append(
            {
                "id": k,
                "canonical_url": f"https://bench.invalid/{j}",
                "url": f"https://bench.invalid/{j}",
                "source": "bench",
                "title": a["title"],
                "lead": "",
                "body": a["body"],
                "tags": [],
                "language": "vi",
                "published_at": a["published"],
                "first_seen_at": a["published"],
                "fetched_at": a["published"],
                "content_hash": f"{j:064x}",
                "reasons": [],
                "story_id": k,
            }
        )
    with db.session() as session:
        for i in range(0, len(rows), 5000):
            session.connection().execute(insert(Article.__table__), rows[i : i + 5000])
    batches = [[(k, a) for k, (_, a) in enumerate(articles[i : i + 500], i + 1)] for i in range(0, n, 500)]
    index = StoryIndex(db)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for out in pool.imap(_index_rows, batches):
            index.put_many(out, replace=False)
    db.dispose()
    return time.perf_counter() - start


def new_articles(m: int, per_day: int = PER_DAY) -> list[dict]:
    """Fresh stories, near copies of recent articles, and rewrites of recent events, mixed."""
    out = []
    for i in range(m):
        rng = random.Random(10_000_000 + i)
        kind = i % 3
        recent = 3 * per_day  # from the last three days
        if kind == 0:
            a = synthetic(-1 - i, per_day)  # a fresh story, newer than everything stored
        elif kind == 1:
            a = dict(synthetic(rng.randint(0, recent), per_day))  # a copy with other page furniture
            a["body"] = (
                "Trang chủ | Thời sự | Kinh tế\n" + a["body"] + "\nTin liên quan\nGiá vàng hôm nay\nBình luận"
            )
        else:
            src = synthetic(rng.randint(0, recent), per_day)  # same places, date and numbers in other words
            lines = src["body"].split("\n")
            a = dict(
                src,
                title=src["title"].split(" ")[0] + " " + _words(rng, 6),
                body=lines[0].split(",")[0] + ", " + _words(rng, 40) + ".\n" + lines[2],
            )
        a["published"] = END + timedelta(minutes=10 * (i + 1))
        out.append(a)
    return out


def time_assign(path: Path, fresh: list[dict]) -> tuple[list[float], dict[str, int]]:
    db = Database(f"sqlite:///{path}")
    store = ArticleStore(db)
    grouper = StoryGrouper(db)
    times: list[float] = []
    outcomes: dict[str, int] = {}
    for i, a in enumerate(fresh):
        saved = store.save(
            Article(
                canonical_url=f"https://bench.invalid/new/{i}",
                url=f"https://bench.invalid/new/{i}",
                source="bench",
                title=a["title"],
                body=a["body"],
                language=a["language"],
                published_at=a["published"],
                content_hash="",
            )
        )
        article = store.get(saved.article_id)
        t0 = time.perf_counter()
        decision = grouper.assign(article)
        times.append(time.perf_counter() - t0)
        outcomes[decision.how] = outcomes.get(decision.how, 0) + 1
    db.dispose()
    return times, outcomes


def time_full_scan(path: Path, fresh: list[dict], k: int = 3) -> float:
    """What one lookup costs when every stored signature is compared (no LSH, no window)."""
    db = Database(f"sqlite:///{path}")
    times = []
    for a in fresh[:k]:
        sig = text_signature(a["title"], a["body"])
        t0 = time.perf_counter()
        with db.session() as session:
            sigs = (
                session.connection()
                .execute(
                    ArticleSignature.__table__.select().with_only_columns(
                        ArticleSignature.__table__.c.minhash
                    )
                )
                .all()
            )
        matrix = np.frombuffer(b"".join(s[0] for s in sigs), dtype="<u4").reshape(len(sigs), -1)
        best = (matrix == sig).mean(axis=1).max()
        times.append(time.perf_counter() - t0)
        assert 0 <= best <= 1 and similarity(sig, sig) == 1.0
    db.dispose()
    return statistics.median(times)


def story_ms_per_article(
    per_day: list[int], days: float = 10, new: int = 150, workers: int = 2, tmp: Path | None = None
) -> dict[str, float]:
    """Mean ms to group one new article with ``days`` of history at each rate (articles a day)."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-stories-", dir=tmp) as folder:
        for rate in per_day:
            path = Path(folder) / f"rate-{rate}.db"
            build(path, int(rate * days), workers, rate)
            time_assign(path, [dict(synthetic(-10_000, rate), published=END + timedelta(days=30))])
            times, _ = time_assign(path, new_articles(new, rate))
            out[str(rate)] = round(1000 * statistics.mean(times), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", default="30,300,3000", help="articles a day, comma-separated")
    parser.add_argument("--days", type=float, default=10.0, help="days of history at each rate")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rates = [int(r) for r in args.per_day.split(",") if r]
    per_day = story_ms_per_article(rates, args.days, args.new, args.workers)
    if not args.json:
        for rate, ms in per_day.items():
            print(
                f"{int(rate):>5} a day, {int(int(rate) * args.days):>6} stored: {ms:6.2f} ms per article",
                flush=True,
            )
        print(
            f"ratio {rates[-1]} / {rates[0]} a day: {per_day[str(rates[-1])] / per_day[str(rates[0])]:.2f}x"
        )
    fresh = new_articles(args.new)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-stories-") as tmp:
        for n in (args.small, args.large):
            path = Path(tmp) / f"stories-{n}.db"
            built = build(path, n, args.workers)
            # Warm the page cache and the code paths the same way for both sizes.
            time_assign(path, [dict(synthetic(-10_000), published=END + timedelta(days=30))])
            times, outcomes = time_assign(path, fresh)
            scan = time_full_scan(path, fresh)
            results[n] = (times, outcomes, scan)
            if not args.json:
                print(
                    f"{n:>7} stored: built and indexed in {built:5.1f} s; assign {len(times)} new articles: "
                    f"mean {1000 * statistics.mean(times):6.2f} ms, median {1000 * statistics.median(times):6.2f} ms, "
                    f"p95 {1000 * sorted(times)[int(0.95 * len(times))]:6.2f} ms; outcomes {outcomes}; "
                    f"full scan instead: {1000 * scan:7.1f} ms per article",
                    flush=True,
                )
    small, large = results[args.small], results[args.large]
    ratio_mean = statistics.mean(large[0]) / statistics.mean(small[0])
    if args.json:
        print(
            json.dumps(
                {
                    "story_ms_per_article": per_day,
                    "story_ratio_top_vs_bottom_rate": round(
                        per_day[str(rates[-1])] / per_day[str(rates[0])], 3
                    ),
                    "story_ms_small": round(1000 * statistics.mean(small[0]), 3),
                    "story_ms_large": round(1000 * statistics.mean(large[0]), 3),
                    "story_ratio_large_vs_small": round(ratio_mean, 3),
                }
            )
        )
        return
    ratio_median = statistics.median(large[0]) / statistics.median(small[0])
    print(
        f"ratio {args.large:,} / {args.small:,} stored: mean {ratio_mean:.2f}x, median {ratio_median:.2f}x "
        f"(full scan: {large[2] / small[2]:.1f}x)"
    )
    if small[1] != large[1]:
        print(f"note: outcomes differ between sizes: {small[1]} vs {large[1]}")


if __name__ == "__main__":
    main()
