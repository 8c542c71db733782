"""How fast is the relevance model? Prints load time and articles/second.

    python bench/bench_relevance.py [--rounds N] [--baseline REV]

Two mixes: (a) the dev set texts (../shared/eval/dev_articles.jsonl, read at
run time, never copied; synthetic articles when absent), mostly on-topic and
so the slow path; (b) a typical crawl: every mirror fixture article
(tests/mirror/src), mostly unrelated local news. One core, one process.

Prints the CPU model and the load averages at start and end, the median and
spread of articles/s over the rounds, and whether the goal (>= 2,000
articles/s on one core, median round, typical crawl mix) is met.

Without --baseline the same model without its trained classifier (rules only)
is timed side by side, so the classifier's cost shows as a ratio.
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
import os
import platform
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
from monitor.relevance.classifier import RelevanceClassifier  # noqa: E402
from monitor.relevance.model import SHIPPED_MODEL  # noqa: E402
from monitor.relevance.terms import builtin_term_files, load_lexicon  # noqa: E402

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
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", rev, PKG],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    pkg = tmp / "_relevance_baseline"
    for name in names:
        dest = pkg / Path(name).relative_to(PKG)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(
            subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{rev}:{name}"], check=True, capture_output=True
            ).stdout
        )
    sys.path.insert(0, str(tmp))
    model_mod = importlib.import_module("_relevance_baseline.model")
    terms = sorted((pkg / "terms").glob("*.toml"))
    model_mod.builtin_term_files = lambda: list(terms)  # its own terms, not today's
    return model_mod.RelevanceModel


CLOCK = time.thread_time
GOAL = 2000  # articles/s on one core, median round, typical crawl mix (issue 12)


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_avg() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"
    except OSError:
        return "load average unknown"


def spread(rates: list[float]) -> str:
    """Median articles/s of the rounds, with their spread."""
    q = statistics.quantiles(rates, n=4) if len(rates) > 1 else [rates[0]] * 3
    sd = statistics.stdev(rates) if len(rates) > 1 else 0.0
    return (
        f"median {statistics.median(rates):.0f} articles/s, quartiles {q[0]:.0f}–{q[2]:.0f}, "
        f"range {min(rates):.0f}–{max(rates):.0f}, sd {sd:.0f} ({100 * sd / statistics.mean(rates):.0f}%)"
    )


Article = tuple[str, str, str]  # title, body, lead


def run_round(model: Any, articles: list[Article]) -> float:
    t = CLOCK()
    for title, body, lead in articles:
        model.judge(title, body, lead=lead)
    return CLOCK() - t


def dev_mix() -> tuple[str, list[Article]]:
    if DEV.exists():
        rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
        return f"dev set ({len(rows)} articles)", [(r["title"], r["text"], "") for r in rows]
    arts = synthetic()
    return f"synthetic ({len(arts)} articles)", [(t, b, "") for t, b in arts]


def crawl_mix() -> tuple[str, list[Article]]:
    """What a crawl stores: the mirror's fixture articles of every site, most
    of them local news with no Russian side at all."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_relevance_fixtures import load_fixtures  # the tests' own reader

    fx = load_fixtures()
    unrelated = sum(f.gold == "none" for f in fx)
    return (
        f"typical crawl: mirror fixtures ({len(fx)} articles, {unrelated} unrelated)",
        [(f.title, f.body, f.lead) for f in fx],
    )


def measure(
    name: str, articles: list[Article], model: Any, base: Any, rounds: int, label: str
) -> tuple[float, float | None]:
    """Rounds of the current and baseline model alternate over one article set;
    returns the median articles/s of each (None without a baseline)."""
    n = len(articles)
    chars = statistics.mean(len(t) + len(b) + len(ld) for t, b, ld in articles)
    for m in (model, base):  # warm caches once, as a long-running process would be
        if m is not None:
            run_round(m, articles)
    cur: list[float] = []
    old: list[float] = []
    wall = time.perf_counter()
    for _ in range(rounds):
        cur.append(run_round(model, articles))
        if base is not None:
            old.append(run_round(base, articles))
    wall = time.perf_counter() - wall
    cpu_all = sum(cur) + sum(old)
    per_article = []
    for title, body, lead in articles:
        t = CLOCK()
        for _ in range(5):
            model.judge(title, body, lead=lead)
        per_article.append((CLOCK() - t) / 5)
    med, best = statistics.median(cur), min(cur)
    print(f"== {name}, mean {chars:.0f} chars/article")
    print(f"  judge, warm, per round of {n} articles over {rounds} rounds: {spread([n / t for t in cur])}")
    print(
        f"    = {med / n * 1e6:.0f} us/article by median round (best round {best / n * 1e6:.0f} us/article)"
    )
    print(
        f"  judge, median single article: {statistics.median(per_article) * 1e6:.0f} us "
        f"(90th percentile {sorted(per_article)[int(0.9 * n)] * 1e6:.0f} us); "
        f"ratio of median article to the 1 ms budget: {statistics.median(per_article) / 1e-3:.2f}"
    )
    print(f"  against the target of {GOAL:,} articles/s on one core: {n / med / GOAL:.2f}x")
    bmed = None
    if base is not None:
        bmed, bbest = statistics.median(old), min(old)
        print(f"  baseline {label}: {spread([n / t for t in old])}")
        print(
            f"  speed-up over {label}: {bmed / med:.2f}x by median round, {bbest / best:.2f}x by best round"
            f"; per-round ratios {spread_ratio(old, cur)}"
        )
    print(
        f"  (CPU time; the timed rounds took {wall:.2f} s wall for {cpu_all:.2f} s CPU"
        f"{': the machine was busy' if wall > 1.2 * cpu_all else ''})"
    )
    return n / med, (n / bmed if bmed else None)


def spread_ratio(old: list[float], cur: list[float]) -> str:
    """Baseline time over current time of each pair of neighbouring rounds."""
    r = sorted(o / c for o, c in zip(old, cur))
    return f"median {statistics.median(r):.2f}x, range {r[0]:.2f}–{r[-1]:.2f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20, help="passes over each article set (default 20)")
    ap.add_argument("--baseline", metavar="REV", help="also time the model at this git revision, interleaved")
    args = ap.parse_args()

    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical cores); Python {platform.python_version()}")
    print(f"at start: {load_avg()}")
    t0 = time.perf_counter()
    model = RelevanceModel.load()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    RelevanceModel.load()
    again_s = time.perf_counter() - t0
    print(
        f"RelevanceModel.load(): {load_s * 1000:.0f} ms; again in the same process (phrase table "
        f"shared, as by the crawlers of one crawl): {again_s * 1000:.0f} ms"
    )

    tmpdir = tempfile.TemporaryDirectory()
    if args.baseline:
        base_cls = load_baseline(args.baseline, Path(tmpdir.name))
        base = base_cls.load()
        t0 = time.perf_counter()
        base_cls.load()
        print(
            f"  baseline {args.baseline}: load again in the same process: {(time.perf_counter() - t0) * 1000:.0f} ms"
        )
        label = args.baseline
    else:
        # What the trained classifier costs on top of the rules, measured in the same run.
        base = RelevanceModel.load(rules_only=True)
        label = "rules only (no classifier)"

    dev_name, dev = dev_mix()
    # Fresh caches (a phrase table built anew, not the process's shared one):
    # the first articles a new process sees.
    cold = RelevanceModel(load_lexicon(builtin_term_files()), RelevanceClassifier.load(SHIPPED_MODEL))
    cold_s = run_round(cold, dev)
    print(
        f"judge, first pass of a fresh model over the {dev_name}: {cold_s / len(dev) * 1e6:.0f} us/article "
        f"({len(dev) / cold_s:.0f} articles/s)"
    )
    measure(dev_name, dev, model, base, args.rounds, label)
    if (ROOT / "tests" / "mirror" / "src").is_dir():
        crawl_name, crawl = crawl_mix()
        rate, base_rate = measure(crawl_name, crawl, model, base, args.rounds, label)
        met = "MET" if rate >= GOAL else "NOT MET"
        extra = ""
        if base_rate is not None and args.baseline:
            extra = f" ({args.baseline}: {base_rate:.0f}/s, {'met' if base_rate >= GOAL else 'not met'})"
        print(
            f"goal: >= {GOAL:,} articles/s on one core (median round, typical crawl mix): {met}, "
            f"{rate:.0f}/s{extra}"
        )
    print(f"at end: {load_avg()}")
    tmpdir.cleanup()


if __name__ == "__main__":
    main()
