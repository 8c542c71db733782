"""Benchmark: how fast do the web app's front page and search answer, with 1,000 and 100,000
stored articles?

    python bench/bench_web.py [--small 1000] [--large 100000] [--requests 30]

Builds two SQLite databases from the mirror's own article texts (tests/mirror/src), each
copy with its own URL, a numbered title, a date spread over the past, a label (a third
relevant, as in a crawl of local news) and stories of three reports; indexes them for
search; starts `newsmon web` on loopback for each; then asks both servers, interleaved, for
the front page, a filtered front page, a page further back, and searches (Vietnamese with
and without diacritics, Russian, English). Prints the median and 90th-percentile times in
milliseconds per request kind and size, and the large ÷ small ratio measured in this run.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from monitor.search import sync_index  # noqa: E402
from storage import Database, content_fingerprint  # noqa: E402
from storage.models import Article  # noqa: E402

END = datetime(2026, 11, 30, tzinfo=timezone.utc)
SITE_LANGUAGES = {
    "hanoitimes": "en",
    "vietnamplus_en": "en",
    "vietnamplus_ru": "ru",
    "vovworld": "ru",
    "tass": "ru",
}
REQUESTS = {
    "front": "/",
    "front_filtered": "/?" + urlencode({"label": "core", "lang": "vi"}),
    "front_page_5": "/?page=5",
    "search_vi": "/search?" + urlencode({"q": "hợp tác Hà Nội"}),
    "search_vi_folded": "/search?" + urlencode({"q": "hop tac ha noi"}),
    "search_ru": "/search?" + urlencode({"q": "Москве сотрудничество"}),
    "search_en": "/search?" + urlencode({"q": "agreements Moscow"}),
}


def mirror_texts() -> list[dict]:
    texts = []
    for path in sorted((ROOT / "tests" / "mirror" / "src").glob("*/articles/*.toml")):
        for a in tomllib.loads(path.read_text("utf-8")).get("article", []):
            body = a.get("body", [])
            texts.append(
                {
                    "title": a["title"],
                    "lead": a.get("sapo", ""),
                    "body": "\n".join(body) if isinstance(body, list) else str(body),
                    "lang": SITE_LANGUAGES.get(path.parts[-3], "vi"),
                }
            )
    return texts


def build(path: Path, count: int, texts: list[dict]) -> Database:
    db = Database(f"sqlite:///{path}")
    rng = random.Random(7)
    rows = []
    for n in range(count):
        t = texts[n % len(texts)]
        title = f"{t['title']} ({n})"
        label = rng.choices(["core", "national", "none"], [1, 2, 6])[0]
        when = END - timedelta(minutes=20 * n)
        rows.append(
            dict(
                canonical_url=f"https://bench.example/{n}.html",
                url=f"https://bench.example/{n}.html",
                source=f"site{n % 12}",
                title=title,
                lead=t["lead"],
                body=t["body"],
                author=None,
                tags=[],
                language=t["lang"],
                published_at=when,
                first_seen_at=when,
                fetched_at=when,
                content_hash=content_fingerprint(title, t["body"]),
                label=label,
                score=0.5,
                reasons=[],
                story_id=(n // 3) + 1 if label != "none" else None,
            )
        )
        if len(rows) == 5000:
            _flush(db, rows)
    _flush(db, rows)
    sync_index(db, batch=2000)
    return db


def _flush(db: Database, rows: list[dict]) -> None:
    if rows:
        with db.engine.begin() as conn:
            conn.execute(insert(Article.__table__), rows)
        rows.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(db_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = db_path.with_suffix(".toml")
    config.write_text(f'database_url = "{db_path}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env["NEWSMON_CONFIG"] = str(config)
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "web", "--port", str(port)],
        env=env,
        cwd=db_path.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("newsmon web did not start")


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    texts = mirror_texts()
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-web-") as tmp:
        sizes = {"small": args.small, "large": args.large}
        servers = {}
        try:
            for name, count in sizes.items():
                started = time.perf_counter()
                build(Path(tmp) / f"{name}.db", count, texts)
                print(
                    f"{name}: {count:,} articles stored and indexed in {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
                servers[name] = start(Path(tmp) / f"{name}.db")
            times: dict[tuple[str, str], list[float]] = {}
            for _, base in servers.values():  # warm up: first requests compile templates
                for path in REQUESTS.values():
                    timed_get(base + path)
            for _ in range(args.requests):
                for kind, path in REQUESTS.items():
                    for name, (_, base) in servers.items():
                        times.setdefault((kind, name), []).append(timed_get(base + path))
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait()
    print(
        f"\n{'request':<18}{'median ms ' + str(args.small):>18}{'median ms ' + str(args.large):>20}"
        f"{'p90 ms large':>14}{'ratio':>8}"
    )
    for kind in REQUESTS:
        small, large = times[(kind, "small")], times[(kind, "large")]
        p90 = statistics.quantiles(large, n=10)[-1]
        ratio = statistics.median(large) / statistics.median(small)
        print(
            f"{kind:<18}{statistics.median(small):>18.1f}{statistics.median(large):>20.1f}{p90:>14.1f}{ratio:>8.2f}"
        )


if __name__ == "__main__":
    main()
