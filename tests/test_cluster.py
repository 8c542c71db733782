"""Several `newsmon worker` processes sharing one real PostgreSQL (started by the suite): every
source crawled once per period, never two crawls of one site at once, no duplicate article,
one digest per schedule, and a worker killed mid-crawl loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update
from sqlmodel import col, func, select

from monitor.cluster import (
    WorkerRuntime,
    build_app,
    ensure_schema,
    first_due,
    next_fire,
    site_key,
    wanted_jobs,
)
from monitor.config import load_config
from monitor.mirror import MirrorServer
from storage import Database
from storage.cluster import ScheduleStore, WantedJob
from storage.models import Article, ArticleUrl, CrawlRun, Digest, DigestItem, Worker, utcnow
from tests.cluster_sites import cluster_config, source_name, start_worker, stop_workers, write_sites
from tests.conftest import Workspace

# Two sources (editions) per site, each site its own lock: 100 sources. Their first crawls (every
# article new, the costly ones) are spread over the first period; forked from a zygote with the
# relevance model loaded they cost well under a CPU-second, and the 2-core machine keeps up with
# them at 60 s under a load of 4-8 from elsewhere (crawls started at most ~5 s after they were due).
# At ~2 CPU-s each (a zygote without the model) it needed 120 s.
SITES = int(os.environ.get("NEWSMON_CLUSTER_TEST_SITES", "50"))
PERIOD = timedelta(seconds=int(os.environ.get("NEWSMON_CLUSTER_TEST_PERIOD_SECONDS", "60")))
PERIODS = 2  # full periods every source must have been crawled in
DIGEST_PERIOD = timedelta(minutes=1)
TICK = timedelta(seconds=5)
# The worker killed mid-crawl is one running this site's crawl: its feed answers only after a
# delay, so the kill lands inside that crawl (the others end within a second when unchanged).
SLOW_FEED_SECONDS = 12
# A worker's list of running jobs is as old as its last heartbeat: the kill waits for a crawl of the
# slow site whose own record is open and younger than this, so it cannot land after the crawl ended.
KILL_WITHIN_SECONDS = SLOW_FEED_SECONDS / 2


@pytest.fixture(scope="module")
def cluster_mirror(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster-sites")
    hosts = write_sites(root, SITES)
    (root / hosts[0] / "_mirror.toml").write_text(
        f'[[route]]\npath = "/rss.xml"\ndelay = {SLOW_FEED_SECONDS}\n', encoding="utf-8"
    )
    with MirrorServer(root) as server:
        yield server, hosts


def test_sqlite_is_refused(workspace: Workspace) -> None:
    result = workspace.run("worker", timeout=60)
    assert result.returncode != 0 and "needs PostgreSQL" in result.stderr


def test_first_crawls_are_spread_over_the_first_interval(workspace: Workspace) -> None:
    """Sources new to the cluster are first due spread over their interval by a stable hash of
    their name, not all at once; the spread is the same whenever and wherever it is computed, and
    later due times keep the phase. Cron jobs and digests keep their exact times."""
    workspace.write_config('timezone = "Asia/Ho_Chi_Minh"\n')
    config = load_config(workspace.config_path)
    now = datetime(2026, 12, 3, 7, 0, 13, 250000, tzinfo=timezone.utc)
    period = timedelta(seconds=60)
    jobs = [
        WantedJob(f"crawl:source_{n:03d}", "crawl", f"source_{n:03d}", "interval:60s") for n in range(200)
    ]
    dues = [first_due(job, now, config) for job in jobs]
    assert all(now <= due < now + period for due in dues)
    # Spread, not bunched: every tenth of the interval gets some of the 200 first crawls.
    tenths = Counter(int((due - now) / (period / 10)) for due in dues)
    assert sorted(tenths) == list(range(10)) and min(tenths.values()) >= 8, tenths
    # Deterministic: the same due times computed later within the first interval, or by another
    # host; an interval later, each one interval on.
    later = now + timedelta(seconds=7)
    assert [first_due(j, later, config) for j, d in zip(jobs, dues) if d >= later] == [
        d for d in dues if d >= later
    ]
    assert [first_due(j, now + period, config) for j in jobs] == [d + period for d in dues]
    # The phase is kept: the next due time of a job that ran on time is one interval on.
    assert all(next_fire("interval:60s", d, d + timedelta(seconds=1), config) == d + period for d in dues)
    # Longer intervals spread over their own length.
    hourly = [first_due(WantedJob(j.key, "crawl", j.arg, "interval:1h"), now, config) for j in jobs]
    assert all(now <= d < now + timedelta(hours=1) for d in hourly)
    assert max(hourly) - min(hourly) > timedelta(minutes=50)
    # Cron schedules keep their exact time; a digest on an interval is due one interval on.
    cron = first_due(WantedJob("crawl:c", "crawl", "c", "cron:30 7 * * *"), now, config)
    assert cron == datetime(2026, 12, 4, 0, 30, tzinfo=timezone.utc)  # 07:30 in Hanoi
    assert (
        first_due(WantedJob("digest:interval:60s", "digest", "interval:60s", "interval:60s"), now, config)
        == now + period
    )


def test_a_worker_whose_job_the_queue_still_hears_from_is_not_buried(postgres, workspace: Workspace) -> None:
    """A worker whose own heartbeat is late while its queue worker (same process) still beats is
    alive: burying it would crawl its source a second time beside the running crawl. Once the queue
    stops hearing from it too, it is dead: buried, its crawl recorded as killed."""
    url = postgres.create_database("cluster_bury")
    host = "www.site000.test"
    workspace.write_config(
        cluster_config(
            "http://127.0.0.1:9",
            [host],
            period_seconds=60,
            digest_schedule="cron:0 0 1 1 *",
            outbox=workspace.path / "outbox",
        )
    )
    config = load_config(workspace.config_path, env={"NEWSMON_DB": url})
    source = source_name(host)
    db = Database(url)
    runtime = WorkerRuntime(config, db, 1)
    app = build_app(runtime, config)
    ensure_schema(app, db)
    late = utcnow() - 3 * runtime.stale_after

    async def run() -> tuple[Worker | None, Worker | None, str]:
        async with app.open_async():
            queue_worker = await app.job_manager.register_worker()
            await app.tasks["newsmon.crawl"].configure(lock="site:x").defer_async(source=source, due="-")
            job = await app.job_manager.fetch_job(queues=None, worker_id=queue_worker)
            assert job is not None and job.id is not None
            # Our registry: the worker runs that job, and its heartbeat is late.
            worker_id = runtime.registry.register("host-a", 4242, 1)
            running = [{"job": "crawl", "source": source, "job_id": job.id, "since": late.isoformat()}]
            runtime.registry.heartbeat(worker_id, running)
            with db.session() as session:
                session.exec(update(Worker).where(col(Worker.id) == worker_id).values(heartbeat_at=late))
            tick = app.tasks["newsmon.tick"]
            await tick.func(timestamp=1)
            with db.session() as session:
                spared = session.get(Worker, worker_id)
            # The queue stops hearing from it as well: dead.
            await app.connector.execute_query_async(
                "UPDATE procrastinate_workers SET last_heartbeat = NOW() - interval '1 hour'"
            )
            await tick.func(timestamp=2)
            with db.session() as session:
                buried = session.get(Worker, worker_id)
            status = await app.job_manager.get_job_status_async(job.id)
            return spared, buried, status.value

    spared, buried, job_status = asyncio.run(run())
    with db.session() as session:
        runs = session.exec(select(CrawlRun).where(col(CrawlRun.source) == source)).all()
    db.dispose()
    assert spared is not None and spared.stopped_at is None, "a worker still heard from was buried"
    assert buried is not None and buried.stopped_at is not None, "a dead worker was not buried"
    assert [r.status for r in runs] == ["killed"]
    assert job_status == "failed", job_status  # ended, so its site lock is free


def test_a_digest_goes_before_waiting_crawls(postgres, workspace: Workspace) -> None:
    """A digest due after a backlog of crawls is taken before them: it is mailed on time, and is
    not still waiting when its schedule is due again (which would skip a digest)."""
    url = postgres.create_database("cluster_digest_first")
    hosts = [f"www.site{n:03d}.test" for n in range(3)]
    workspace.write_config(
        cluster_config(
            "http://127.0.0.1:9",
            hosts,
            period_seconds=60,
            digest_schedule="interval:60s",
            outbox=workspace.path / "outbox",
        )
    )
    config = load_config(workspace.config_path, env={"NEWSMON_DB": url})
    db = Database(url)
    runtime = WorkerRuntime(config, db, 1)
    app = build_app(runtime, config)
    ensure_schema(app, db)
    start = utcnow() - timedelta(seconds=30)
    # The crawls were due first, the digest last: the tick queues them in that order.
    order = {f"crawl:{source_name(h)}": n for n, h in enumerate(hosts)}
    ScheduleStore(db).sync(
        wanted_jobs(config), lambda job, now: start + timedelta(seconds=order.get(job.key, 9))
    )

    async def run() -> list[str]:
        async with app.open_async():
            assert await app.tasks["newsmon.tick"].func(timestamp=1) == len(hosts) + 1
            queue_worker = await app.job_manager.register_worker()
            taken = []
            while (job := await app.job_manager.fetch_job(queues=None, worker_id=queue_worker)) is not None:
                taken.append(job.task_name)
            return taken

    taken = asyncio.run(run())
    db.dispose()
    assert taken == ["newsmon.digest"] + ["newsmon.crawl"] * len(hosts), taken


def test_a_worker_killed_between_claiming_and_queueing_loses_no_period(
    postgres, workspace: Workspace
) -> None:
    """The tick claims due sources and queues their crawls in one transaction: a worker killed in
    between leaves them due as they were, and the next tick (another worker's; the dead one's tick
    holds nothing) queues them for that same due time, not a period later."""
    url = postgres.create_database("cluster_claim")
    host = "www.site000.test"
    workspace.write_config(
        cluster_config(
            "http://127.0.0.1:9",
            [host],
            period_seconds=3600,
            digest_schedule="cron:0 0 1 1 *",
            outbox=workspace.path / "outbox",
        )
    )
    workspace.extra_env["NEWSMON_DB"] = url
    config = load_config(workspace.config_path, env={"NEWSMON_DB": url})
    key = f"crawl:{source_name(host)}"
    db = Database(url)
    ensure_schema(build_app(None, config), db)
    due_at = utcnow().replace(microsecond=0) - timedelta(seconds=5)
    ScheduleStore(db).sync(wanted_jobs(config), lambda job, now: due_at)

    def blocked_queueing() -> int:
        """Backends waiting to queue crawl jobs (the tick's insert, held up by ours)."""
        with db.engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE '%procrastinate_defer_jobs%' AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )

    def queued() -> list[tuple[str, str]]:
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT args, status FROM procrastinate_jobs WHERE queueing_lock = :key"), {"key": key}
            ).all()
        return [((a if isinstance(a, dict) else json.loads(a))["due"], str(st)) for a, st in rows]

    first = second = None
    # Our uncommitted job with the source's queueing lock holds up the tick's insert of its crawl
    # (the unique index waits for our transaction): the worker is killed right there.
    with db.engine.connect() as blocker:
        blocker.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args) "
                "VALUES ('crawl', 'newsmon.crawl', :key, '{}'::jsonb)"
            ),
            {"key": key},
        )
        try:
            first = start_worker(
                workspace.path,
                workspace.env(),
                workspace.path / "first.log",
                "-v",
                tick_seconds=1,
                queues="digest",
            )
            deadline = time.monotonic() + 120
            while not blocked_queueing():
                assert first.poll() is None, (workspace.path / "first.log").read_text()
                assert time.monotonic() < deadline, "the worker's tick never tried to queue the due crawl"
                time.sleep(0.2)  # polling interval of the condition above
            first.send_signal(signal.SIGKILL)
            first.wait()
        finally:
            blocker.rollback()
            if first is not None and first.poll() is None:
                first.kill()
                first.wait()
    try:
        second = start_worker(
            workspace.path,
            workspace.env(),
            workspace.path / "second.log",
            "-v",
            tick_seconds=1,
            queues="digest",
        )
        deadline = time.monotonic() + 90
        while not queued():
            assert second.poll() is None, (workspace.path / "second.log").read_text()
            assert time.monotonic() < deadline, (
                f"{key} was claimed by the killed worker and never queued: a period lost; schedule: "
                + ", ".join(f"{r.key} due {r.next_due:%T}" for r in ScheduleStore(db).all())
            )
            time.sleep(0.2)  # polling interval of the condition above
    finally:
        stop_workers([second] if second is not None else [])
    jobs = queued()
    db.dispose()
    assert [datetime.fromisoformat(d) for d, _ in jobs] == [due_at], jobs


def deferred(db: Database, task: str) -> dict[str, list[tuple[datetime, str]]]:
    """Every job of ``task`` the cluster deferred: its argument → [(due, status)], by due time."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT args, status FROM procrastinate_jobs WHERE task_name = :t"), {"t": task}
        ).all()
    jobs: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for args, status in rows:
        args = args if isinstance(args, dict) else json.loads(args)
        key = args.get("source") or args.get("schedule")
        jobs[key].append((datetime.fromisoformat(args["due"]), str(status)))
    return {k: sorted(v) for k, v in jobs.items()}


@pytest.mark.slow
def test_three_workers_crawl_each_source_once_per_period_and_survive_a_kill(
    cluster_mirror, postgres, workspace: Workspace
) -> None:
    mirror, hosts = cluster_mirror
    url = postgres.create_database("cluster")
    workspace.write_config(
        cluster_config(
            mirror.url,
            hosts,
            period_seconds=int(PERIOD.total_seconds()),
            digest_schedule=f"interval:{int(DIGEST_PERIOD.total_seconds())}s",
            outbox=workspace.path / "outbox",
        )
    )
    workspace.extra_env["NEWSMON_DB"] = url
    config = load_config(workspace.config_path, env={"NEWSMON_DB": url})
    names = sorted(config.sources)
    slow = source_name(hosts[0])
    db = Database(url)
    workers = [
        start_worker(workspace.path, workspace.env(), workspace.path / f"worker-{n}.log", "-v")
        for n in range(3)
    ]
    started = time.monotonic()
    victim_pid, victim_sources = None, []
    all_crawled_at: float | None = None
    killed_at: float | None = None
    done: dict[str, int] = {}
    status = None
    text_status = ""
    try:
        deadline = started + (PERIODS + 2) * PERIOD.total_seconds() + 60
        while True:
            assert time.monotonic() < deadline, (
                f"not every source was crawled {PERIODS + 1} times in time: {sum(done.values())} runs, "
                f"fewest {min(done.values(), default=0)}"
            )
            assert all(w.poll() is None for w in workers if w.pid != victim_pid), "a worker exited by itself"
            with db.session() as session:
                if status is None and len(done) == len(names):
                    status = workspace.run("status", "--json", check=True, timeout=120)
                    text_status = workspace.run("status", check=True, timeout=120).stdout
                # Once every source has been crawled, kill a worker in the middle of the slow crawl.
                slow_open = session.exec(
                    select(CrawlRun).where(
                        CrawlRun.source == slow,
                        CrawlRun.status == "running",
                        col(CrawlRun.started_at) > utcnow() - timedelta(seconds=KILL_WITHIN_SECONDS),
                    )
                ).first()
                if victim_pid is None and len(done) == len(names) and slow_open is not None:
                    busy = session.exec(select(Worker).where(col(Worker.stopped_at).is_(None))).all()
                    victim = next(
                        (
                            w
                            for w in busy
                            if any(j.get("source") == slow and j.get("job") == "crawl" for j in w.running)
                        ),
                        None,
                    )
                    if victim is not None:
                        victim_pid = victim.pid
                        victim_sources = [j["source"] for j in victim.running if j.get("job") == "crawl"]
                        os.kill(victim.pid, signal.SIGKILL)
                        killed_at = time.monotonic() - started
                finished = session.exec(
                    select(CrawlRun.source, func.count())
                    .where(col(CrawlRun.status).in_(["ok", "partial"]))
                    .group_by(col(CrawlRun.source))
                ).all()
            done = {source: n for source, n in finished}
            if all_crawled_at is None and len(done) == len(names):
                all_crawled_at = time.monotonic() - started
            if victim_pid is not None and all(done.get(n, 0) >= PERIODS + 1 for n in names):
                break
            time.sleep(1)  # polling interval of the condition above, not a stand-in for it
        elapsed = time.monotonic() - started
    finally:
        stop_workers(workers)

    with db.session() as session:
        runs = session.exec(select(CrawlRun).order_by(col(CrawlRun.started_at))).all()
        articles = session.exec(select(Article.canonical_url)).all()
        urls = session.exec(select(ArticleUrl.canonical_url)).all()
        digests = session.exec(select(Digest)).all()
        items = session.exec(select(DigestItem.article_id)).all()
    crawl_jobs = deferred(db, "newsmon.crawl")
    digest_jobs = deferred(db, "newsmon.digest")
    db.dispose()
    by_source: dict[str, list[CrawlRun]] = defaultdict(list)
    for run in runs:
        by_source[run.source].append(run)

    # `newsmon status --json` lists the three workers, and each source's last and next run.
    shown = json.loads(status.stdout)
    assert sorted(w["pid"] for w in shown["workers"]) == sorted(w.pid for w in workers)
    assert all(w["alive"] and w["host"] and w["heartbeat_age_seconds"] < 10 for w in shown["workers"])
    assert all(isinstance(w["running"], list) for w in shown["workers"])
    assert "workers: 3 alive of 3" in text_status, text_status
    queues = {q["queue"]: q for q in shown["queues"]}
    assert set(queues) == {"crawl", "digest"} and 0 <= queues["crawl"]["running"] <= 6
    assert "queue crawl: " in text_status
    assert all(f"pid {w.pid}: heartbeat" in text_status for w in workers), text_status
    listed = {s["name"]: s for s in shown["sources"]}
    assert all(listed[n]["next_run"] and listed[n]["last_run"] for n in names)

    # The killed worker's crawl is recorded as killed, and its source crawled again after.
    assert slow in victim_sources, "no worker was killed mid-crawl"
    # The slow crawl was cut short; another crawl of that worker may have ended just before the kill.
    killed = [r for r in by_source[slow] if r.status == "killed"]
    assert killed, f"{slow}: the crawl of the killed worker is not recorded as killed"
    assert any(r.started_at > killed[-1].started_at and r.status == "ok" for r in by_source[slow])
    assert not [r for r in runs if r.status not in ("ok", "killed")], "a crawl failed or was left running"
    assert {r.source for r in runs if r.status == "killed"} <= set(victim_sources)

    # Exactly once per period: a source is deferred once per period (its due times a period apart,
    # none skipped), and each deferral is one crawl, started after it was due and before the next
    # due time. The kill's re-run is deferred at once: its own period starts there.
    for source in names:
        jobs, mine = crawl_jobs[source], by_source[source]
        for (a, status), (b, _) in zip(jobs, jobs[1:]):
            if status == "succeeded":
                assert abs((b - a) - PERIOD) <= timedelta(seconds=1), f"{source}: due at {a:%T}, then {b:%T}"
        dues = [due for due, status in jobs if status in ("succeeded", "failed")]
        slots = [max((d for d in dues if d <= run.started_at), default=None) for run in mine]
        where = f"{source}: crawls " + ", ".join(f"{r.started_at:%T} {r.status}" for r in mine)
        where += "; due " + ", ".join(f"{d:%T} {s}" for d, s in jobs)
        assert None not in slots and all(r.started_at - d < PERIOD for r, d in zip(mine, slots)), where
        assert len(set(slots)) == len(slots), f"two crawls in one period: {where}"
        assert {d for d, s in jobs if s == "succeeded"} <= set(slots), (
            f"a deferral without its crawl: {where}"
        )

    # Never two crawls of one site at once (the www. and en. editions share a site).
    by_site: dict[str, list[CrawlRun]] = defaultdict(list)
    for run in runs:
        by_site[site_key(config, run.source)].append(run)
    assert len(by_site) == SITES
    for site, mine in by_site.items():
        for a, b in zip(mine, mine[1:]):
            assert a.finished_at is not None and a.finished_at <= b.started_at, (
                f"two crawls of {site} at once"
            )

    # Every article once, all of them.
    assert len(articles) == len(set(articles)) == 2 * len(names)
    assert set(urls) == set(articles)  # each found at its one URL, by whichever worker

    # One digest per schedule: deferred once per digest period; no article in two digests; every
    # relevant article in one.
    dues = [due for due, _ in digest_jobs[f"interval:{int(DIGEST_PERIOD.total_seconds())}s"]]
    assert dues and all(abs((b - a) - DIGEST_PERIOD) <= timedelta(seconds=1) for a, b in zip(dues, dues[1:]))
    assert 1 <= len(digests) <= len(dues)
    assert len(items) == len(set(items))
    print(
        f"\n{len(names)} sources, {len(runs)} crawls in {elapsed:.0f} s by 3 workers: "
        f"{60 * len(runs) / elapsed:.1f} crawls/min; every source crawled by {all_crawled_at:.0f} s, "
        f"worker killed at {killed_at:.0f} s; {len(digests)} digests, {len(items)} items"
    )
