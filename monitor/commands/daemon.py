"""`newsmon run`, `newsmon status`, `newsmon demo`."""

from __future__ import annotations

import json
import os
import shutil
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path

import click

from monitor.config import ConfigError
from monitor.context import AppContext, pass_app


def _print_once(report, as_json: bool) -> None:
    from monitor.crawling import format_counts

    for crawl in report.crawls:
        if as_json:
            click.echo(json.dumps(crawl.as_dict(), ensure_ascii=False))
        else:
            click.echo(
                f"{crawl.source}: {crawl.status}  {format_counts(crawl.counts)}  ({crawl.seconds or 0:.1f} s)"
            )
            if crawl.message:
                click.echo(f"  {crawl.message}")
    digest = report.digest
    if as_json:
        click.echo(
            json.dumps({"digest": digest.as_dict() if digest is not None else None}, ensure_ascii=False)
        )
    elif digest is None:
        click.echo("digest: not run" + (" (interrupted)" if report.interrupted else ""))
    else:
        where = f" -> {digest.outbox_path}" if digest.outbox_path else ""
        error = f": {digest.error}" if digest.error else ""
        click.echo(f"digest: {digest.status}, {digest.item_count} article(s){where}{error}")


def _plan(app: AppContext, specs) -> str:
    """What `newsmon run` is about to do, said once at start: which config, database,
    sources, schedules and delivery (an empty config file runs on defaults, so say them)."""
    config = app.config
    crawls = [spec for spec in specs if spec.kind == "crawl"]
    digests = [spec.schedule for spec in specs if spec.kind == "digest"]
    if config.smtp.host:
        port = f":{config.smtp.port}" if config.smtp.port else ""
        delivery = f"by SMTP via {config.smtp.host}{port} to {', '.join(config.digest.recipients)}"
    else:
        delivery = f"written to the outbox {config.resolve_path(config.digest.outbox)} (no smtp.host set)"
    lines = [
        f"config: {app.config_origin()}",
        f"database: {app.database_label()}",
        f"time zone: {config.timezone}"
        + (f"; crawling the mirror at {config.mirror}" if config.mirror else ""),
        f"crawls ({len(crawls)} source(s)):",
        *(f"  {spec.arg:<16} {spec.schedule}" for spec in crawls),
        f"digests: {', '.join(digests) or 'none scheduled'}, {delivery}",
    ]
    for channel in config.notify:
        # The channel's service and where its URL comes from; never the URL itself.
        where = f"URL from ${channel.url_env}" if channel.url_env else f"{channel.service}://"
        when = (
            f"{channel.mode}, at most {channel.max_per_hour}/h" if channel.mode == "instant" else channel.mode
        )
        lines.append(f"chat channel {channel.name}: {where}, {' + '.join(channel.label)}, {when}")
    return "\n".join(lines)


@click.command()
@click.option(
    "--once",
    is_flag=True,
    help="Crawl every enabled source, then send the digest, then exit (for cron, or to try it out).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='With --once: one JSON object per crawl, then one {"digest": ...} line.',
)
@pass_app
def run(app: AppContext, once: bool, as_json: bool) -> None:
    """Run the daemon: crawl each source and send digests on the configured schedules.

    Crawl schedules come from each source's `schedule` or `crawl.default_schedule`,
    digest schedules from `digest.schedules`, all in `timezone`. The schedule is
    kept in the database, so after a restart runs missed while the daemon was down
    are caught up once. Each crawl runs in its own process and is killed after its
    `time_limit_minutes`. Only one daemon may use a database at a time. At start it
    upgrades the database schema (see `newsmon db upgrade`) while holding that lock, and
    re-runs at once any crawl that a daemon killed outright left unfinished.

    SIGTERM or SIGINT stops scheduling, lets running crawls finish for
    `daemon.shutdown_grace_seconds`, then stops them (recorded as killed).

    Exit status: 0 after a clean stop; 1 when another newsmon is running on this
    database, the config or log file is unusable, or the lock was lost. With
    --once: 0 when every crawl finished (ok or partial) and the digest was
    delivered or had nothing new, 1 otherwise.
    """
    from monitor.daemon.lock import LockHeld
    from monitor.daemon.logs import setup_daemon_logging
    from monitor.jobs import check_schedules
    from scheduler import Daemon

    config = app.config
    try:
        specs = check_schedules(config)
        setup_daemon_logging(config, app.verbose)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot open the log file: {exc}") from None
    if not config.enabled_sources():
        raise click.ClickException("no sources are enabled in the config")
    from storage import DatabaseError

    # Not app.db: an outdated schema is upgraded once the daemon lock is ours.
    db = app.open_db(check=False)
    try:
        db.create_if_empty()
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    daemon = Daemon(config, db=db)
    click.echo(_plan(app, specs), err=True)
    try:
        if once:
            report = daemon.run_once()
            _print_once(report, as_json)
            sys.exit(0 if report.ok else 1)
        sys.exit(daemon.run_forever())
    except (LockHeld, DatabaseError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when unhealthy (daemon not running, scheduler stuck, a source past its "
    "stale_after), printing each problem: for cron or Nagios-style checks.",
)
@pass_app
def status(app: AppContext, as_json: bool, check: bool) -> None:
    """Show the daemon and every source: last crawl with its counts and status, next
    scheduled run, pending digests, and stored and relevant article counts.

    Reads only (never creates the database); works whether or not the daemon is
    running. Says which config and database it read, and prints the last crawl's
    error samples. Times are in the configured time zone.
    """
    from monitor.health import check_health
    from monitor.status import daemon_status, format_status

    config = app.config
    db = app.read_db  # never creates the database
    if db is None:
        from monitor.health import Health
        from storage.models import utcnow

        health = Health(
            checked_at=utcnow(),
            daemon_running=False,
            problems=[
                "daemon: not running (start it: newsmon run)",
                "no database yet: nothing crawled (run newsmon crawl or newsmon run)",
            ],
        )
    else:
        health = check_health(config, db)
    if check:
        if as_json:
            click.echo(json.dumps(health.as_dict(), ensure_ascii=False))
        else:
            for problem in health.problems:
                click.echo(f"UNHEALTHY: {problem}")
            if health.ok:
                click.echo("OK: daemon running, scheduler on time, every source fresh")
        sys.exit(0 if health.ok else 1)
    info = daemon_status(config, db)
    info.config_file = app.config_origin()
    info.database = app.database_label()
    if as_json:
        click.echo(json.dumps({**info.as_dict(config.tz), "health": health.as_dict()}, ensure_ascii=False))
    else:
        click.echo(format_status(info, config.tz))
        click.echo("\nhealth: " + ("ok" if health.ok else "; ".join(health.problems)))


_DEMO_MARK = "# Written by `newsmon demo`"


def _demo_sources() -> str:
    """Every site newsmon ships, plus a source defined by configuration alone (TASS's
    Russian feed, as in newsmon.example.toml), which the mirror also serves."""
    from spiders import BUILTIN_SOURCES

    lines = [f"[sources.{name}]" for name in BUILTIN_SOURCES]
    lines += [
        "",
        "[sources.tass]",
        'spider = "generic"',
        'feeds = ["https://tass.ru/rss/v2.xml"]',
        'languages = ["ru"]',
        'timezone = "Europe/Moscow"',
        'user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"',
    ]
    return "\n".join(lines) + "\n"


def _demo_config(mirror_url: str, smtp_port: int) -> str:
    return f"""{_DEMO_MARK}: crawls the offline mirror and mails the digest to a
# loopback SMTP server. Both exist only while the demo runs; `newsmon -c THIS status`
# and `newsmon -c THIS articles` keep working afterwards.
database_url = "newsmon.db"
mirror = "{mirror_url}"
log_level = "WARNING"

{_demo_sources()}
[digest]
recipients = ["analyst@example.org"]
sender = "newsmon-demo@example.org"
outbox = "outbox"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
"""


def _clear_demo(folder: Path) -> None:
    """Remove what an earlier demo left in FOLDER (only its own files)."""
    config = folder / "newsmon.toml"
    if config.exists() and not config.read_text(encoding="utf-8", errors="replace").startswith(_DEMO_MARK):
        raise click.ClickException(
            f"{folder} holds a newsmon.toml that the demo did not write; choose another folder with --dir"
        )
    for name in ("newsmon.db", "newsmon.db-wal", "newsmon.db-shm", "newsmon.db-journal"):
        (folder / name).unlink(missing_ok=True)
    for sub in ("received", "outbox"):
        if (folder / sub).is_dir():
            shutil.rmtree(folder / sub)


def _save_html(eml: Path) -> Path | None:
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    part = message.get_body(preferencelist=("html",))
    if part is None:
        return None
    html = eml.with_suffix(".html")
    html.write_text(part.get_content(), encoding="utf-8")
    return html


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Scratch folder for the demo's config, database and received mail.",
)
@click.option("--keep", is_flag=True, help="Keep the database of an earlier demo (default: start afresh).")
def demo(folder: Path, keep: bool) -> None:
    """Try newsmon without the internet: crawl the offline mirror, mail a digest to a loopback SMTP server.

    Starts the mirror of the news sites and an SMTP server on loopback ports,
    writes a config into FOLDER, runs what `newsmon run --once` runs (every
    source crawled in its own process, then the digest), and prints where the
    database and the received digest (.eml and .html) are. Your own config and
    NEWSMON_* variables are not used.

    Exit status: 0 when a digest was received, 1 otherwise.
    """
    from monitor.config import load_config
    from monitor.crawling import format_counts
    from monitor.mirror import PLANTED_FAULTS, MirrorServer, default_root
    from monitor.smtp_sink import SmtpSink
    from scheduler import Daemon
    from storage import ArticleStore, Database

    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if not keep:
        _clear_demo(folder)
    root = default_root()
    if not root.is_dir():
        raise click.ClickException(
            f"the offline mirror is not at {root}: run the demo from a checkout of newsmon"
        )
    received = folder / "received"
    with MirrorServer(root) as mirror, SmtpSink(folder=received) as sink:
        config_path = folder / "newsmon.toml"
        config_path.write_text(_demo_config(mirror.url, sink.port), encoding="utf-8")
        try:
            config = load_config(config_path, env={})
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        # Only the demo's own settings: a NEWSMON_DB or NEWSMON_SMTP_HOST in the caller's
        # environment must not send the demo somewhere real.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
        env["NEWSMON_MIRROR"] = mirror.url
        click.echo(
            f"mirror at {mirror.url}, SMTP server at 127.0.0.1:{sink.port}; crawling "
            f"{', '.join(config.enabled_sources())} ...",
            err=True,
        )
        db = Database(config.database_url)
        report = Daemon(config, db=db, child_env=env, cwd=str(folder)).run_once()
        if report.digest is not None and report.digest.status == "sent":
            sink.wait_for(1, timeout=5)
        emls = sorted(received.glob("*.eml")) if received.is_dir() else []

    click.echo("")
    for crawl in report.crawls:
        shown = format_counts(crawl.counts, ("new", "articles_seen", "duplicates", "errors"))
        click.echo(f"{crawl.source:<14} {crawl.status:<8} {shown}  ({crawl.seconds or 0:.1f} s)")
        planted = PLANTED_FAULTS.get(crawl.source)
        if planted:
            click.echo(
                f"{'':<14} the mirror plants {len(planted)} error(s) here on purpose, to show how they are "
                f"counted: {'; '.join(planted)}"
            )
    counts = ArticleStore(db).counts()
    click.echo(
        f"articles stored: {counts.get('total', 0)} (core {counts.get('core', 0)}, "
        f"national {counts.get('national', 0)}, none {counts.get('none', 0)})"
    )
    click.echo(f"database: {folder / 'newsmon.db'}")
    digest = report.digest
    if emls:
        html = _save_html(emls[-1])
        click.echo(f"digest received: {emls[-1]}" + (f"\n  as HTML: {html}" if html else ""))
        click.echo(f"next: newsmon -c {config_path} status")
        click.echo(f"browse it: newsmon -c {config_path} web   (then open http://127.0.0.1:8080/)")
        return
    status = digest.status if digest is not None else "not run"
    reason = f" ({digest.error})" if digest is not None and digest.error else ""
    if digest is not None and digest.status == "empty":
        reason = " (nothing new: run without --keep to start afresh)"
    click.echo(f"no digest received: {status}{reason}")
    sys.exit(1)


commands = [run, status, demo]
