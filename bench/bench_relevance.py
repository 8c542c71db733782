"""How fast is the relevance model? Prints load time and articles/second.

    python bench/bench_relevance.py [--rounds N] [--baseline REV]

Uses the dev set texts (../shared/eval/dev_articles.jsonl, read at run time,
never copied) when present, else synthetic articles. One core, one process.

With --baseline REV (a git revision, e.g. HEAD~1) the model package as it was
at REV is loaded side by side from `git show` output (no checkout, no stash),
and rounds of the two alternate, so a busy machine slows both alike and the
printed ratio is fair even when the absolute numbers are not. Times are this
thread's CPU time (time.thread_time), so other processes on a shared machine
do not count against the model; the wall-clock rate is printed as well.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.relevance import RelevanceModel  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev_articles.jsonl"
PKG = "monitor/relevance"


def synthetic(n: int = 60, seed: int = 7) -> list[tuple[str, str]]:
    """Articles of ~2,000 characters built from a few sentence templates."""
    rng = random.Random(seed)
    sentences = [
        "The Hanoi People's Committee received a delegation from Moscow to discuss trade.",
        "Traffic in the city centre was heavy on Monday morning as roadworks continued.",
        "Đoàn công tác thành phố Hà Nội đã làm việc với chính quyền Mát-xcơ-va về hợp tác đầu tư.",
        "Giá lúa tại đồng bằng sông Cửu Long tăng nhẹ so với tuần trước.",
        "Народный комитет Ханоя и правительство Москвы подписали меморандум о сотрудничестве.",
        "В столице прошёл фестиваль уличной еды, собравший тысячи гостей.",
        "Officials said the two sides would meet again next year to review progress.",
    ]
    out = []
    for _ in range(n):
        body = []
        while sum(len(s) + 1 for s in body) < 2000:
            body.append(rng.choice(sentences))
        out.append((rng.choice(sentences)[:80], "\n".join(body)))
    return out


def load_baseline(rev: str, tmp: Path) -> Any:
    """RelevanceModel class of `monitor/relevance` at git revision `rev`, imported
    under another package name with that revision's own term files."""
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", rev, PKG],
                           check=True, capture_output=True, text=True).stdout.split()
    pkg = tmp / "_relevance_baseline"
    for name in names:
        dest = pkg / Path(name).relative_to(PKG)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"],
                                        check=True, capture_output=True).stdout)
    sys.path.insert(0, str(tmp))
    model_mod = importlib.import_module("_relevance_baseline.model")
    terms = sorted((pkg / "terms").glob("*.toml"))
    model_mod.builtin_term_files = lambda: list(terms)  # its own terms, not today's
    return model_mod.RelevanceModel


CLOCK = time.thread_time


def run_round(model: Any, articles: list[tuple[str, str]]) -> float:
    t = CLOCK()
    for title, body in articles:
        model.judge(title, body)
    return CLOCK() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20, help="passes over the article set (default 20)")
    ap.add_argument("--baseline", metavar="REV", help="also time the model at this git revision, interleaved")
    args = ap.parse_args()

    t0 = time.perf_counter()
    model = RelevanceModel.load()
    load_s = time.perf_counter() - t0

    if DEV.exists():
        rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
        articles = [(r["title"], r["text"]) for r in rows]
        source = f"dev set ({len(articles)} articles)"
    else:
        articles = synthetic()
        source = f"synthetic ({len(articles)} articles)"
    chars = statistics.mean(len(t) + len(b) for t, b in articles)
    n = len(articles)

    base = None
    tmpdir = tempfile.TemporaryDirectory()
    if args.baseline:
        base = load_baseline(args.baseline, Path(tmpdir.name)).load()

    for m in (model, base):  # warm caches once, as a long-running process would be
        if m is not None:
            run_round(m, articles)
    cur_rounds: list[float] = []
    base_rounds: list[float] = []
    wall = time.perf_counter()
    for _ in range(args.rounds):
        cur_rounds.append(run_round(model, articles))
        if base is not None:
            base_rounds.append(run_round(base, articles))
    wall = time.perf_counter() - wall
    cpu_all = sum(cur_rounds) + sum(base_rounds)

    # Per-article times of the current model, for the median of a typical article.
    per_article = []
    for title, body in articles:
        t = CLOCK()
        for _ in range(5):
            model.judge(title, body)
        per_article.append((CLOCK() - t) / 5)

    cold = RelevanceModel.load()  # fresh caches: the first articles a new process sees
    cold_s = run_round(cold, articles)

    med = statistics.median(cur_rounds)
    best = min(cur_rounds)
    print(f"source: {source}, mean {chars:.0f} chars/article")
    print(f"RelevanceModel.load(): {load_s * 1000:.0f} ms")
    print(f"judge, warm: median {med / n * 1e6:.0f} us/article ({n / med:.0f} articles/s), "
          f"best {best / n * 1e6:.0f} us/article ({n / best:.0f} articles/s) over {args.rounds} rounds")
    print(f"judge, median single article: {statistics.median(per_article) * 1e6:.0f} us "
          f"(90th percentile {sorted(per_article)[int(0.9 * n)] * 1e6:.0f} us)")
    print(f"judge, first pass of a fresh model: {cold_s / n * 1e6:.0f} us/article ({n / cold_s:.0f} articles/s)")
    print(f"ratio median/1ms budget: {med / n / 1e-3:.2f}")
    print(f"(CPU time; the timed rounds took {wall:.2f} s wall for {cpu_all:.2f} s CPU"
          f"{': the machine was busy' if wall > 1.2 * cpu_all else ''})")
    if base is not None:
        bmed = statistics.median(base_rounds)
        bbest = min(base_rounds)
        print(f"baseline {args.baseline}: median {bmed / n * 1e6:.0f} us/article ({n / bmed:.0f} articles/s), "
              f"best {bbest / n * 1e6:.0f} us/article")
        print(f"speed-up over {args.baseline}: {bmed / med:.2f}x by median, {bbest / best:.2f}x by best round")
    tmpdir.cleanup()


if __name__ == "__main__":
    main()
