"""`newsmon crawl`, `newsmon articles`, `newsmon sources`."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from monitor.commands.options import SINCE
from monitor.context import AppContext, pass_app


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object per source with the crawl-run counts."
)
@pass_app
def crawl(app: AppContext, sources: tuple[str, ...], as_json: bool) -> None:
    """Crawl SOURCES now (default: every enabled source) and store what is new.

    While it runs, progress per source (pages fetched, articles seen and new, errors)
    goes to standard error: a live table on a terminal, plain lines otherwise, none
    with `newsmon -q crawl`.

    Exit status: 0 when every crawl finished (errors on single pages are counted,
    not fatal), 1 when any source failed or was blocked, 2 on bad usage.
    """
    from monitor.crawling import UnknownSourceError, check_sources, format_counts, run_crawls
    from monitor.progress import progress_for

    config = app.config
    try:
        names = check_sources(config, list(sources))
    except UnknownSourceError as exc:
        raise click.UsageError(str(exc)) from None
    if not names:
        raise click.ClickException("no sources are enabled in the config")
    _ = app.db  # fail early and clearly if the database cannot be opened
    # Log lines go through newsmon's own handler (-v), never a second one of Scrapy's.
    outcomes = run_crawls(config, names, install_logging=False, progress=progress_for(app.quiet))
    # The crawl's objects die with the process: skip the final garbage collection of them
    # (seconds on a busy machine, after a SIGTERM that asked for a prompt stop).
    import gc

    gc.freeze()
    for outcome in outcomes:
        if as_json:
            click.echo(json.dumps(outcome.as_dict(), ensure_ascii=False))
        else:
            counts = f"  {format_counts(outcome.counts)}" if outcome.counts else ""
            line = f"{outcome.source}: {outcome.status}{counts}"
            click.echo(line)
            if outcome.message:
                click.echo(f"  {outcome.message}")
    if any(o.status in ("failed", "blocked", "killed") for o in outcomes):
        sys.exit(1)


@click.command()
@click.option("--since", type=SINCE, help="Only articles published since DATE (2026-11-01, 24h, 7d).")
@click.option("--source", help="Only this source.")
@click.option(
    "--label",
    "labels",
    multiple=True,
    type=click.Choice(["core", "national", "none"]),
    help="Only articles with this relevance label (repeatable).",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most N articles, newest first.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines with every stored field.")
@pass_app
def articles(
    app: AppContext,
    since: datetime | None,
    source: str | None,
    labels: tuple[str, ...],
    limit: int | None,
    as_json: bool,
) -> None:
    """List stored articles, newest first.

    Reads only: never creates the database. An unknown --source is an error that
    suggests the closest configured or stored source name.
    """
    from monitor.config import did_you_mean
    from storage import ArticleStore

    db = app.read_db
    if db is None:
        click.echo(app.no_database_note(), err=True)
        return
    store = ArticleStore(db)
    if source is not None and source not in app.config.sources:
        known = sorted(set(app.config.sources) | store.source_names())
        if source not in known:
            raise click.UsageError(
                f"unknown source {source!r}{did_you_mean(source, known)}; known: {', '.join(known) or 'none'}"
            )
    rows = store.query(since=since, source=source, labels=list(labels) or None, limit=limit)
    tz = app.config.tz
    width = max((len(article.source) for article in rows), default=0)
    for article in rows:
        if as_json:
            click.echo(json.dumps(article.as_dict(tz), ensure_ascii=False))
        else:
            when = (
                article.published_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                if article.published_at
                else "?"
            )
            click.echo(
                f"{when:<16}  {article.source:<{width}}  {article.label or '-':<8}  {article.title}\n"
                f"    {article.canonical_url}"
            )


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per source (every field below, last crawl in full).",
)
@pass_app
def sources(app: AppContext, as_json: bool) -> None:
    """List configured sources: name (what `crawl` takes), kind, languages, schedule, last crawl.

    kind is "site" for a source with a spider of its own, "generic" for one
    described by its config alone (spider = "generic"); a source naming a spider
    that does not exist is a config error. With no [sources.*] tables in the
    config, every site newsmon ships is listed.
    """
    from urllib.parse import urlsplit

    from monitor.crawling import format_counts
    from spiders.registry import spider_classes
    from storage import CrawlRunLog

    config = app.config
    classes = spider_classes()
    db = app.read_db  # never creates the database
    runs_log = CrawlRunLog(db) if db is not None else None
    latest = runs_log.latest_per_source() if runs_log is not None else {}
    for name, source in config.sources.items():
        cls = classes.get(source.spider or name)
        kind = "unknown" if cls is None else "generic" if cls.name == "generic" else "site"
        languages: list[str]
        if kind == "generic":
            where = [*source.feeds, *source.sitemaps, *source.listing_pages]
            host = (urlsplit(where[0]).hostname or "") if where else ""
            label = host.removeprefix("www.")
            languages = list(source.languages or ())
        else:
            label = getattr(cls, "label", "") if cls else ""
            fallback: tuple[str, ...] = getattr(cls, "languages", ()) if cls else ()
            languages = [*(source.languages or fallback)]
        run = latest.get(name)
        degraded = runs_log.degradation(name) if run and runs_log is not None else None
        # A configured entry point's failure is counted by the download middlewares under its HTTP
        # or network kind; the spider's own entry-point kinds cover the rest.
        entry_urls = {*source.feeds, *source.sitemaps, *source.listing_pages}
        for attr in ("feeds", "sitemaps", "listing_pages"):
            entry_urls.update(getattr(cls, attr, ()) or ())
        failing = [
            f"{s['url']} ({s['reason']})"
            for s in (run.error_samples if run else [])
            if s.get("kind") in ENTRY_POINT_ERRORS or s.get("url") in entry_urls
        ]
        row = {
            "name": name,
            "label": label,
            "kind": kind,
            "spider": cls.name if cls else source.spider or name,
            "enabled": source.enabled,
            "languages": languages,
            "schedule": source.schedule or config.crawl.default_schedule,
            "proxy": bool(source.proxy or config.crawl.proxy),
            "last_crawl": run.summary() if run else None,
            "degraded": degraded.as_dict() if degraded else None,
            "failing_entry_points": failing,
        }
        if kind == "generic":
            row.update(
                feeds=list(source.feeds),
                sitemaps=list(source.sitemaps),
                listing_pages=list(source.listing_pages),
            )
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        if run is None:
            last = "never crawled"
        else:
            when = run.started_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M %Z")
            counts = format_counts(run.summary(), ("new", "updated", "errors", "not_modified"))
            last = f"{run.status} at {when}, {counts}"
            if run.message:
                last += f" ({run.message})"
        flag = "" if source.enabled else " (disabled)"
        kind_text = kind if cls else f"unknown spider {row['spider']!r}"
        click.echo(
            f"{name}{flag}: {label or '-'} [{kind_text}, {'/'.join(languages) or 'any language'}] "
            f"schedule {row['schedule']}; last: {last}"
        )
        if degraded is not None:
            click.echo(f"  ⚠ {degraded.text(config.tz)}")
        if failing:
            click.echo(f"  ⚠ failing entry points: {', '.join(failing)}")


#: Error kinds of a feed, listing page or sitemap that failed or held nothing.
ENTRY_POINT_ERRORS = ("feed", "listing", "sitemap", "empty_feed", "empty_listing", "empty_sitemap")

commands = [crawl, articles, sources]
