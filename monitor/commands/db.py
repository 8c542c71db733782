"""`newsmon db`: the database schema's version (upgrade, current, history, revision); `newsmon prune`."""

from __future__ import annotations

import click

from monitor.commands.options import DURATION
from monitor.context import AppContext, pass_app


@click.group()
def db() -> None:
    """The database schema: upgrade it, see where it stands, and (for developers) add a revision.

    newsmon's schema changes between versions through migrations. After installing
    a new newsmon, back up the database and run `newsmon db upgrade` (`newsmon run`
    does it at start). Other commands refuse to work on an outdated schema.
    """


@db.command()
@click.argument("revision", default="head")
@pass_app
def upgrade(app: AppContext, revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest), or create it.

    A database made by newsmon 0.1.0 is recognised and upgraded with everything kept.
    Safe while other newsmon commands start: the upgrade holds a lock.
    """
    from storage import DatabaseError

    database = app.open_db(check=False)
    try:
        before, after = database.upgrade(revision)
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    if before == after:
        click.echo(f"database schema is already at {after}")
    else:
        click.echo(f"database schema upgraded: {before or '(none)'} -> {after}")


@db.command()
@pass_app
def current(app: AppContext) -> None:
    """Print the database's schema revision and whether it is current.

    Exit status: 0 when current, 1 otherwise (empty, outdated, or newer than this newsmon).
    """
    from storage import schema

    found = schema.status(app.open_db(check=False))
    click.echo(f"{found.current or '(none)'}: {found.message()}")
    raise SystemExit(0 if found.state == "current" else 1)


@db.command()
@pass_app
def history(app: AppContext) -> None:
    """List the schema revisions, oldest first, marking the database's own."""
    from alembic.script import ScriptDirectory

    from storage import schema

    found = schema.status(app.open_db(check=False))
    scripts = ScriptDirectory.from_config(schema.alembic_config())
    for script in reversed(list(scripts.walk_revisions())):
        marks = [
            m for m, on in (("head", script.is_head), ("current", script.revision == found.current)) if on
        ]
        suffix = f"  ({', '.join(marks)})" if marks else ""
        click.echo(f"{script.revision}  {script.doc.splitlines()[0] if script.doc else ''}{suffix}")


@db.command()
@click.option("-m", "--message", required=True, help="What the revision changes (becomes its file name).")
@click.option(
    "--autogenerate/--empty",
    default=True,
    show_default=True,
    help="Write the operations that take the head schema to the models' schema.",
)
@click.option(
    "--database", "url", help="Compare against this database (at head) instead of a scratch SQLite one."
)
def revision(message: str, autogenerate: bool, url: str | None) -> None:
    """For developers: add a migration after changing storage/models (see storage/migrations/README.md).

    Builds a scratch SQLite database at the current head, compares it with the models,
    and writes the difference as a new revision chained onto the head. Read and edit
    the file before committing it.
    """
    import tempfile
    from pathlib import Path

    from alembic import command

    from storage import Database, DatabaseError, schema

    with tempfile.TemporaryDirectory() as tmp:
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'head.db'}"
        try:
            Database(url).dispose()  # created (or checked) at head
        except DatabaseError as exc:
            raise click.ClickException(str(exc)) from None
        written = command.revision(schema.alembic_config(url=url), message=message, autogenerate=autogenerate)
    scripts = written if isinstance(written, list) else [written]
    for script in scripts:
        if script is not None:
            click.echo(f"wrote {script.path}")


@click.command()
@click.option(
    "--older-than",
    "age",
    type=DURATION,
    required=True,
    help="Forget what is older than this (36h, 90d, 26w), by first-seen / start time.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def prune(app: AppContext, age, dry_run: bool, as_json: bool) -> None:
    """Forget old data: article bodies (title, URL, label and story stay), whole articles
    judged `none`, crawl runs, HTTP validators and failed-page records older than DURATION.

    Kept whatever their age: articles in a digest not delivered yet or made within
    DURATION, the other articles of their stories, articles readers gave feedback on,
    articles not judged yet, and each source's newest and newest successful run.
    """
    import json

    from storage.models import utcnow
    from storage.retention import prune as run_prune

    report = run_prune(app.db, utcnow() - age, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"{verb} (older than {report.before:%Y-%m-%d %H:%M} UTC): {report.articles_deleted} `none` "
        f"article(s), {report.bodies_cleared} article bod(ies), {report.crawl_runs_deleted} crawl run(s), "
        f"{report.http_validators_deleted} HTTP validator(s), {report.failed_urls_deleted} failed-page "
        f"record(s); kept {report.articles_kept} old article(s) a digest or a reader still needs"
    )


commands = [db, prune]
