"""Throughput of `newsmon worker`: sources crawled per minute with 1, 2 and 3 workers.

    nice -n 10 python bench/bench_cluster.py [--workers 1,2,3] [--sites 50] [--seconds 120]

It starts a throwaway PostgreSQL (tests/pgserver.py), then per round the given number of workers
(`--concurrency 2` each) and the bench's own generic sites on the loopback mirror
(tests/cluster_sites.py: two editions per site, two articles per edition), every source due
every 10 s, so the workers are never short of work. The first crawl of every source (which
stores the articles) is done once, by the largest number of workers; then each round counts the
crawls finished in a window of ``--seconds``: they find their feed unchanged (304) and their
articles known, the steady state of a real deployment.

It prints per round the crawls per minute, the ratio to one worker (measured in this one run),
the CPU seconds per crawl split into the workers' own (queue, tick, heartbeats, starting and
watching children) and their crawl processes' (from /proc: each worker's waited-for children's
time and its zygote's, whose forked crawl processes it waits for; the zygote's own start, ~2.5
CPU-s once per worker, is counted there too), and the load average at the start and end of the round, which together say
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
from dataclasses import dataclass
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


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> tuple[float, float]:
    """A worker's own CPU time, and its crawl processes': its waited-for children's, plus its
    zygote's (a child still running: its own time and that of the crawl processes it forked and
    waited for), from /proc."""
    hz = os.sysconf("SC_CLK_TCK")
    fields = _stat(pid)
    own = (int(fields[11]) + int(fields[12])) / hz
    children = (int(fields[13]) + int(fields[14])) / hz
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(child[1]) == pid:  # ppid: a running child of the worker (its zygote)
            children += sum(int(v) for v in child[11:15]) / hz
    return own, children


@dataclass
class Cluster:
    """The bench's database and config, shared by the rounds (the warm-up stores the articles once)."""

    folder: Path
    env: dict[str, str]
    db: Database


def prepare(pg: PostgresServer, mirror: MirrorServer, hosts: list[str]) -> Cluster:
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    url = pg.create_database(f"bench_{int(time.time())}")
    config = folder / "newsmon.toml"
    text = cluster_config(
        mirror.url, hosts, period_seconds=10, digest_schedule="cron:0 0 1 1 *", outbox=folder / "outbox"
    )
    config.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env.update(NEWSMON_CONFIG=str(config), NEWSMON_DB=url)
    return Cluster(folder, env, Database(url))


def warm_up(cluster: Cluster, sources: int, workers: int) -> float:
    """Every source crawled once (its articles stored, its feed's validators kept); seconds taken."""
    t0 = time.monotonic()
    procs = [
        start_worker(cluster.folder, cluster.env, cluster.folder / f"warm-{i}.log") for i in range(workers)
    ]
    try:
        deadline = t0 + 1200
        while finished_crawls(cluster.db) < sources:
            if time.monotonic() > deadline:
                raise SystemExit("the first crawl of every source took over 20 min")
            time.sleep(1)
    finally:
        stop_workers(procs)
    return time.monotonic() - t0


def one_round(cluster: Cluster, workers: int, seconds: float):
    """``workers`` workers on the warmed-up cluster: crawls per minute in a window of ``seconds``
    (after each worker's first crawl), and CPU seconds per crawl over the whole round."""
    load0 = os.getloadavg()[0]
    before = finished_crawls(cluster.db)
    procs = [
        start_worker(cluster.folder, cluster.env, cluster.folder / f"round{workers}-{i}.log")
        for i in range(workers)
    ]
    try:
        deadline = time.monotonic() + 300
        while finished_crawls(cluster.db) < before + workers:  # started up and crawling
            if time.monotonic() > deadline:
                raise SystemExit(f"{workers} worker(s) crawled nothing in 5 min")
            time.sleep(0.5)
        start_count, t0 = finished_crawls(cluster.db), time.monotonic()
        time.sleep(seconds)
        crawls = finished_crawls(cluster.db) - start_count
        elapsed = time.monotonic() - t0
        # Before they stop: their own time and their crawls' (the whole round, start-up included).
        times = [cpu_seconds(p.pid) for p in procs]
        total_crawls = finished_crawls(cluster.db) - before
    finally:
        stop_workers(procs)
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
            cluster = prepare(pg, mirror, hosts)
            warm = warm_up(cluster, len(hosts), max(counts))
            rows = [(n, *one_round(cluster, n, args.seconds)) for n in counts]
            cluster.db.dispose()
    finally:
        pg.stop()
    base = rows[0][1]
    print(
        f"{len(hosts)} sources, each due every 10 s; first crawl of all of them by {max(counts)} workers "
        f"in {warm:.0f} s; then a {args.seconds:.0f} s window per round; {os.cpu_count()} cores"
    )
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
