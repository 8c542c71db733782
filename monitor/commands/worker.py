"""`newsmon worker`: one of any number of crawl workers sharing a PostgreSQL database."""

from __future__ import annotations

import click

from monitor.context import AppContext, pass_app


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Jobs (whole per-source crawls, digests) this worker runs at once.",
)
@click.option(
    "--queues",
    default=None,
    metavar="Q[,Q…]",
    help="Only take jobs from these queues: crawl, digest (default: all). Every worker takes the "
    "scheduling tick.",
)
@click.option(
    "--tick-seconds",
    type=click.IntRange(1, 60),
    default=60,
    show_default=True,
    help="How often the cluster looks for due jobs (a schedule's resolution).",
)
@pass_app
def worker(app: AppContext, concurrency: int, queues: str | None, tick_seconds: int) -> None:
    """Run crawls and digests for a cluster of workers sharing one PostgreSQL database.

    Start it on as many hosts as you like, against the same database_url. Every
    source is crawled once per its schedule across all workers, never two crawls
    of one site at once, one digest per schedule. A worker that dies (kill -9, a
    lost host) is noticed after daemon.lock_stale_seconds: its crawl is recorded
    as killed and the source becomes due again. Stop a worker with SIGTERM: running crawls get
    daemon.shutdown_grace_seconds to finish. Needs PostgreSQL; with SQLite use
    `newsmon run`.
    """
    from monitor.cluster import ClusterError, require_postgres, run_worker

    config = app.config
    try:
        require_postgres(config)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    wanted = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    unknown = sorted(set(wanted or []) - {"crawl", "digest"})
    if unknown:
        raise click.BadParameter(
            f"unknown queue(s): {', '.join(unknown)} (queues: crawl, digest)", param_hint="--queues"
        )
    run_worker(config, concurrency=concurrency, queues=wanted, tick_seconds=tick_seconds)


commands = [worker]
