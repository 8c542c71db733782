"""`newsmon export`: every stored article as CSV or JSON lines, for a spreadsheet or a script."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click

from monitor.commands.options import SINCE
from monitor.context import AppContext, pass_app

FORMATS = ("csv", "jsonl")


def _csv_cell(value: Any) -> Any:
    """Lists and mappings (tags, reasons) as JSON text in one cell; None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_articles(rows, out: IO[str], fmt: str, tz) -> int:
    """Write ``rows`` (Articles) to ``out`` in ``fmt``; returns how many were written."""
    from storage.models.articles import ARTICLE_FIELDS

    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(ARTICLE_FIELDS), lineterminator="\n")
        writer.writeheader()
    count = 0
    for article in rows:
        data = article.as_dict(tz)
        if writer is not None:
            writer.writerow({key: _csv_cell(value) for key, value in data.items()})
        else:
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        count += 1
    return count


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="csv: one row per article, a header row first; jsonl: one JSON object per line.",
)
@click.option("--since", type=SINCE, help="Only articles published since DATE (2026-11-01, 24h, 7d).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (default: standard output).",
)
@pass_app
def export(app: AppContext, fmt: str, since: datetime | None, output: Path | None) -> None:
    """Export stored articles with every stored field (id, source, url, title, lead, body,
    dates, label, score, reasons, story id...), oldest stored first.

    CSV cells that hold lists (tags, reasons) carry them as JSON text. Times are in
    the configured time zone. Reads only: never creates the database. The number of
    articles written goes to standard error.
    """
    from storage import ArticleStore

    db = app.read_db
    if db is None:
        raise click.ClickException(app.no_database_note())
    rows = ArticleStore(db).iter_all(since=since)
    if output is None:
        # UTF-8 whatever the locale says: the texts are Vietnamese and Russian.
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            count = write_articles(rows, out, fmt, app.config.tz)
        finally:
            out.flush()
            out.detach()
    else:
        with output.open("w", encoding="utf-8", newline="") as out:
            count = write_articles(rows, out, fmt, app.config.tz)
    click.echo(f"exported {count} article(s)" + (f" to {output}" if output else ""), err=True)


commands = [export]
