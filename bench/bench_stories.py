"""Benchmark: does grouping a new article cost the same with 1,000 or 100,000 stored articles?

    python bench/bench_stories.py [--small 1000] [--large 100000] [--new 200] [--workers 2]

Builds two SQLite databases of synthetic articles (generated text, places, dates
and numbers; 30 articles a day, so a bigger database is a longer history, as in
real use), indexes them with the real story index, then times
`StoryGrouper.assign` for the same new articles against each: fresh stories,
near copies of recent articles, and rewrites of recent events. The most recent
articles are identical in both databases, so both runs do the same work; only
the amount of older history differs. Prints per-article times and their ratio,
measured in this one run, plus what comparing against every stored signature
(no LSH, no time window) would cost at each size.
"""

from __future__ import annotations

import argparse
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
from storage import Article, ArticleStore, Database  # noqa: E402
from storage.models import ArticleSignature  # noqa: E402
from storage.stories import SignatureRow, StoryIndex, signature_from_bytes, similarity, text_signature  # noqa: E402

END = datetime(2026, 11, 30, tzinfo=timezone.utc)
PER_DAY = 30
_ONSETS = ["b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "ph", "t", "th", "tr", "ng", "nh", "v", "x", "s", "qu"]
_RIMES = ["a", "à", "an", "anh", "ăng", "o", "ông", "u", "ưng", "i", "inh", "ê", "ên", "ơi", "uy", "ươn", "iệt", "ộc"]
SYLLABLES = [o + r for o in _ONSETS for r in _RIMES]
PLACES = ["Hà Nội", "Mát-xcơ-va", "Kaluga", "Tatarstan", "Xanh Pê-téc-bua", "Tô-ky-ô", "Xơ-un", "Đà Nẵng",
          "TP Hồ Chí Minh", "Nghệ An"]


def _words(rng: random.Random, n: int) -> str:
    # Zipf-like: a few syllables are common, most are rare, as in real copy.
    return " ".join(SYLLABLES[min(int(rng.paretovariate(0.8)) - 1, len(SYLLABLES) - 1)] if rng.random() < 0.3
                    else rng.choice(SYLLABLES) for _ in range(n))


def synthetic(j: int) -> dict:
    """The j-th most recent stored article (j=0 is the newest): the same in every database."""
    rng = random.Random(j)
    when = END - timedelta(days=j / PER_DAY)
    places = rng.sample(PLACES, 2)
    day = when - timedelta(days=rng.randint(0, 2))
    body = "\n".join([
        f"Ngày {day.day}/{day.month}, {places[0]} và {places[1]} {_words(rng, 25)} {rng.randint(11, 999)} dự án.",
        _words(rng, 30) + ".",
        _words(rng, 25) + f" {rng.randint(2, 90)} triệu USD.",
    ])
    return {"title": f"{places[0]} {_words(rng, 6)}", "body": body, "language": "vi", "published": when}


def _index_rows(batch: list[tuple[int, dict]]) -> list[tuple[int, str, datetime, bytes, dict]]:
    from monitor.stories import EntityTable, extract_features
    from storage.stories import signature_bytes

    table = EntityTable.load()
    out = []
    for aid, a in batch:
        f = extract_features(table, title=a["title"], body=a["body"], language=a["language"], published=a["published"])
        sig = text_signature(a["title"], a["body"])
        out.append((aid, a["language"], a["published"], signature_bytes(sig), f.to_dict()))
    return out


def build(path: Path, n: int, workers: int) -> float:
    """A database of n stored, indexed articles (each founding its own story); seconds taken."""
    start = time.perf_counter()
    db = Database(f"sqlite:///{path}")
    articles = [(j, synthetic(j)) for j in range(n - 1, -1, -1)]  # oldest first
    rows = []
    for k, (j, a) in enumerate(articles, 1):
        rows.append({"id": k, "canonical_url": f"https://bench.invalid/{j}", "url": f"https://bench.invalid/{j}",
                     "source": "bench", "title": a["title"], "lead": "", "body": a["body"], "tags": [],
                     "language": "vi", "published_at": a["published"], "first_seen_at": a["published"],
                     "fetched_at": a["published"], "content_hash": f"{j:064x}", "reasons": [], "story_id": k})
    with db.session() as session:
        session.connection().execute(insert(Article.__table__), rows)
    batches = [[(k, a) for k, (_, a) in enumerate(articles[i:i + 500], i + 1)] for i in range(0, n, 500)]
    index = StoryIndex(db)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for out in pool.imap(_index_rows, batches):
            index.put_many([SignatureRow(aid, lang, when, signature_from_bytes(sig), feats, INDEX_VERSION)
                            for aid, lang, when, sig, feats in out], replace=False)
    db.dispose()
    return time.perf_counter() - start


def new_articles(m: int) -> list[dict]:
    """Fresh stories, near copies of recent articles, and rewrites of recent events, mixed."""
    out = []
    for i in range(m):
        rng = random.Random(10_000_000 + i)
        kind = i % 3
        if kind == 0:
            a = synthetic(-1 - i)  # a fresh story, newer than everything stored
        elif kind == 1:
            a = dict(synthetic(rng.randint(0, 300)))  # a copy with other page furniture
            a["body"] = "Trang chủ | Thời sự | Kinh tế\n" + a["body"] + "\nTin liên quan\nGiá vàng hôm nay\nBình luận"
        else:
            src = synthetic(rng.randint(0, 300))  # same places, date and numbers in other words
            lines = src["body"].split("\n")
            a = dict(src, title=src["title"].split(" ")[0] + " " + _words(rng, 6),
                     body=lines[0].split(",")[0] + ", " + _words(rng, 40) + ".\n" + lines[2])
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
        saved = store.save(Article(canonical_url=f"https://bench.invalid/new/{i}", url=f"https://bench.invalid/new/{i}",
                                   source="bench", title=a["title"], body=a["body"], language=a["language"],
                                   published_at=a["published"], content_hash=""))
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
            sigs = session.connection().execute(ArticleSignature.__table__.select()
                                                 .with_only_columns(ArticleSignature.__table__.c.minhash)).all()
        matrix = np.frombuffer(b"".join(s[0] for s in sigs), dtype="<u4").reshape(len(sigs), -1)
        best = (matrix == sig).mean(axis=1).max()
        times.append(time.perf_counter() - t0)
        assert 0 <= best <= 1 and similarity(sig, sig) == 1.0
    db.dispose()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
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
            print(f"{n:>7} stored: built and indexed in {built:5.1f} s; assign {len(times)} new articles: "
                  f"mean {1000 * statistics.mean(times):6.2f} ms, median {1000 * statistics.median(times):6.2f} ms, "
                  f"p95 {1000 * sorted(times)[int(0.95 * len(times))]:6.2f} ms; outcomes {outcomes}; "
                  f"full scan instead: {1000 * scan:7.1f} ms per article", flush=True)
    small, large = results[args.small], results[args.large]
    ratio_mean = statistics.mean(large[0]) / statistics.mean(small[0])
    ratio_median = statistics.median(large[0]) / statistics.median(small[0])
    print(f"ratio {args.large:,} / {args.small:,} stored: mean {ratio_mean:.2f}x, median {ratio_median:.2f}x "
          f"(full scan: {large[2] / small[2]:.1f}x)")
    if small[1] != large[1]:
        print(f"note: outcomes differ between sizes: {small[1]} vs {large[1]}")


if __name__ == "__main__":
    main()
