"""Throughput of `newsmon worker`: sources crawled per minute with 1, 2 and 3 workers.

    nice -n 10 python bench/bench_cluster.py [--workers 1,2,3] [--sites 50] [--seconds 120]

Each round starts a throwaway PostgreSQL (tests/pgserver.py), the given number of workers
(`--concurrency 2` each) and the bench's own generic sites on the loopback mirror
(tests/cluster_sites.py: two editions per site, two articles per edition), every source due
every 10 s, so the workers are never short of work. After the first crawls (which store the
articles) it counts the crawls finished in a window of ``--seconds``; later crawls find their
feed unchanged (304) and their articles known, the steady state of a real deployment.

It prints per round the crawls per minute, the ratio to one worker (measured in this one run),
the CPU seconds per crawl split into the workers' own (queue, tick, heartbeats, starting and
watching children) and their crawl processes' (from /proc: each worker's own and its waited-for
children's time), and the load average at the start and end of the round, which together say
what bounds the throughput on this machine.
Nothing touches the internet.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import col, func, select  # noqa: E402

from monitor.mirror import MirrorServer  # noqa: E402
from storage import Database  # noqa: E402
from storage.models import CrawlRun  # noqa: E402
from tests.cluster_sites import cluster_config, start_worker, stop_workers, write_sites  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402


def finished_crawls(db: Database) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).where(col(CrawlRun.status) != "running")).one())


def cpu_seconds(pid: int) -> tuple[float, float]:
    """A process's own CPU time and its waited-for children's, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / hz, (int(fields[13]) + int(fields[14])) / hz


def one_round(pg: PostgresServer, mirror: MirrorServer, hosts: list[str], workers: int, seconds: float):
    folder = Path(tempfile.mkdtemp(prefix=f"bench-cluster-{workers}-"))
    url = pg.create_database(f"bench{workers}_{int(time.time())}")
    config = folder / "newsmon.toml"
    text = cluster_config(
        mirror.url, hosts, period_seconds=10, digest_schedule="cron:0 0 1 1 *", outbox=folder / "outbox"
    )
    config.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env.update(NEWSMON_CONFIG=str(config), NEWSMON_DB=url)
    db = Database(url)
    load0 = os.getloadavg()[0]
    procs = [start_worker(folder, env, folder / f"worker-{i}.log") for i in range(workers)]
    try:
        # Warm-up: every source crawled once (its articles stored).
        deadline = time.monotonic() + 600
        while finished_crawls(db) < len(hosts):
            if time.monotonic() > deadline:
                raise SystemExit(f"{workers} worker(s): the first crawl of every source took over 10 min")
            time.sleep(1)
        start_count, t0 = finished_crawls(db), time.monotonic()
        time.sleep(seconds)
        crawls = finished_crawls(db) - start_count
        elapsed = time.monotonic() - t0
        # Before they stop: their own time and their crawls' (the whole round, warm-up included).
        times = [cpu_seconds(p.pid) for p in procs]
        total_crawls = finished_crawls(db)
    finally:
        stop_workers(procs)
    db.dispose()
    own, children = sum(t[0] for t in times), sum(t[1] for t in times)
    per = max(1, total_crawls)
    return 60 * crawls / elapsed, own / per, children / per, load0, os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="1,2,3", help="worker counts to measure (comma-separated)")
    parser.add_argument("--sites", type=int, default=50, help="sites (two sources each)")
    parser.add_argument("--seconds", type=float, default=120, help="measuring window per round")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    # SIGTERM (as Ctrl-C) still stops the workers and the PostgreSQL server on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    root = Path(tempfile.mkdtemp(prefix="bench-cluster-sites-"))
    hosts = write_sites(root, args.sites)
    pg = PostgresServer().start()
    try:
        with MirrorServer(root) as mirror:
            rows = [(n, *one_round(pg, mirror, hosts, n, args.seconds)) for n in counts]
    finally:
        pg.stop()
    base = rows[0][1]
    print(f"{len(hosts)} sources, each due every 10 s; {args.seconds:.0f} s window; {os.cpu_count()} cores")
    print(
        f"{'workers':>7}  {'crawls/min':>10}  {'vs first':>8}  {'CPU s/crawl: worker':>19}  "
        f"{'crawl process':>13}  {'load start-end':>14}"
    )
    for n, rate, own, children, load0, load1 in rows:
        print(
            f"{n:>7}  {rate:>10.1f}  {rate / base:>8.2f}  {own:>19.3f}  {children:>13.3f}  "
            f"{load0:>6.1f} - {load1:<5.1f}"
        )


if __name__ == "__main__":
    main()
