"""How fast is the relevance model? Prints load time and articles/second.

    python bench/bench_relevance.py [--rounds N]

Uses the dev set texts (../shared/eval/dev_articles.jsonl, read at run time,
never copied) when present, else synthetic articles. One core, one process;
run it on a quiet machine and read the numbers from one run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.relevance import RelevanceModel  # noqa: E402

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_articles.jsonl"


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20, help="passes over the article set (default 20)")
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

    for title, body in articles:  # warm caches once, as a long-running process would be
        model.judge(title, body)
    per_round = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        for title, body in articles:
            model.judge(title, body)
        per_round.append(time.perf_counter() - t)
    best = min(per_round)
    med = statistics.median(per_round)
    n = len(articles)

    cold = RelevanceModel.load()  # fresh caches: the first articles a new process sees
    t = time.perf_counter()
    for title, body in articles:
        cold.judge(title, body)
    cold_s = time.perf_counter() - t

    print(f"source: {source}, mean {chars:.0f} chars/article")
    print(f"RelevanceModel.load(): {load_s * 1000:.0f} ms")
    print(f"judge, warm: median {med / n * 1e6:.0f} us/article ({n / med:.0f} articles/s), "
          f"best {best / n * 1e6:.0f} us/article ({n / best:.0f} articles/s) over {args.rounds} rounds")
    print(f"judge, first pass of a fresh model: {cold_s / n * 1e6:.0f} us/article ({n / cold_s:.0f} articles/s)")
    print(f"ratio median/1ms budget: {med / n / 1e-3:.2f}")


if __name__ == "__main__":
    main()
