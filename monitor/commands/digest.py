"""`newsmon digest`: build and send the email digest (or preview it)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from monitor.commands.options import SINCE
from monitor.context import AppContext, pass_app


@click.command()
@click.option("--dry-run", is_flag=True,
              help="Build the digest and print its text; send nothing, record nothing, retry nothing.")
@click.option("--to", "to", multiple=True, metavar="ADDR",
              help="Send to ADDR instead of digest.recipients (repeatable). The articles count as sent.")
@click.option("--since", type=SINCE,
              help="Only articles published since DATE (2026-11-01, 2026-11-01T08:00, 24h, 7d). "
                   "Articles already in a digest are never included again.")
@click.option("--preview", type=click.Path(dir_okay=False, writable=True, path_type=Path), metavar="FILE.html",
              help="Write the digest's HTML to FILE.html to look at in a browser (implies --dry-run).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@pass_app
def digest(app: AppContext, dry_run: bool, to: tuple[str, ...], since: datetime | None, preview: Path | None,
           as_json: bool) -> None:
    """Email a digest of new relevant articles since the last digest.

    New core articles (Hanoi–Russia cooperation) come first, then, unless
    digest.include_national is false, a shorter "also relevant" section of
    Vietnam–Russia articles. Articles of one story are one item.

    The digest is recorded before it is sent and marked sent only when the SMTP
    server accepts it; a digest that could not be sent stays pending and is
    retried first by the next run, with the same Message-ID. No article is ever
    in two digests. Without [smtp] host the digest is written to the outbox
    folder (digest.outbox) as .eml and .html files instead.

    SMTP settings come from [smtp] or NEWSMON_SMTP_HOST/PORT/SECURITY/USER; the
    password only from NEWSMON_SMTP_PASSWORD or the system keyring.

    Exit status: 0 when sent, written to the outbox, previewed, or nothing was
    new; 1 when a digest is left pending (the error is printed).
    """
    from monitor.digest import run_digest

    config = app.config
    if preview is not None:
        dry_run = True
    outcome = run_digest(config, app.db, dry_run=dry_run, to=list(to) or None, since=since)
    if preview is not None and outcome.html is not None:
        try:
            preview.write_text(outcome.html, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {preview}: {exc.strerror or exc}") from None
    if as_json:
        data = outcome.as_dict()
        if preview is not None and outcome.html is not None:
            data["preview"] = str(preview)
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        for digest_id in outcome.retried:
            click.echo(f"retried pending digest {digest_id}")
        if outcome.status == "dry_run":
            if preview is not None:
                click.echo(f"preview written to {preview} ({outcome.item_count} articles): {outcome.subject}")
            else:
                click.echo(f"Subject: {outcome.subject}\n")
                click.echo(outcome.text or "")
        elif outcome.status == "empty":
            click.echo("nothing new since the last digest; no mail" + (" (dry run)" if dry_run else ""))
        elif outcome.status == "sent":
            click.echo(f"digest {outcome.digest_id} sent: {outcome.subject} ({outcome.item_count} articles)")
        elif outcome.status == "outbox":
            click.echo(f"digest {outcome.digest_id} written to {outcome.outbox_path} (no SMTP host configured)")
        if outcome.status != "pending" and outcome.error:
            click.echo(f"warning: {outcome.error}", err=True)
    if outcome.status == "pending":
        if not as_json:
            click.echo(f"digest {outcome.digest_id} not sent, left pending for the next run: {outcome.error}",
                       err=True)
        sys.exit(1)


commands = [digest]
