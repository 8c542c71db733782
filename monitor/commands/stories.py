"""`newsmon restory`, `newsmon stories`, `newsmon eval-stories`: story grouping."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

import click

from monitor.commands.options import SINCE
from monitor.context import AppContext, pass_app

_ENTITIES_HELP = (
    "Extra entity TOML file (same shape as monitor/stories/entities.toml), merged with the built-in one."
)


def _options(window_days: float, threshold: float):
    from monitor.stories import StoryOptions

    return StoryOptions(window_days=window_days, near_threshold=threshold)


def _grouping_options(f):
    f = click.option(
        "--window-days",
        type=click.FloatRange(min=0),
        default=3.0,
        show_default=True,
        help="Articles in other words (other languages, rewrites) join a story only "
        "if published at most this many days apart.",
    )(f)
    f = click.option(
        "--threshold",
        type=click.FloatRange(0.0, 1.0),
        default=0.5,
        show_default=True,
        help="Near-duplicate text: estimated Jaccard similarity of character shingles.",
    )(f)
    f = click.option("--entities", type=click.Path(exists=True, dir_okay=False), help=_ENTITIES_HELP)(f)
    return f


def _grouper(app: AppContext, window_days: float, threshold: float, entities: str | None):
    from monitor.stories import EntityError, StoryGrouper

    try:
        return StoryGrouper(
            app.db,
            options=_options(window_days, threshold),
            entities_file=Path(entities) if entities else None,
        )
    except EntityError as exc:
        raise click.ClickException(f"cannot load entities: {exc}") from None


@click.command()
@_grouping_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the counts.")
@pass_app
def restory(
    app: AppContext, window_days: float, threshold: float, entities: str | None, as_json: bool
) -> None:
    """Group every stored article into stories again, from scratch.

    Rebuilds the story index (text signatures, LSH bands, places, people,
    numbers and dates of each article) and gives every article a story id,
    oldest article first, exactly as crawls do one article at a time. Run it
    after changing the entity table or the options; crawls keep grouping new
    articles on their own.

    Exit status: 0 on success, 1 when the database cannot be used.
    """
    grouper = _grouper(app, window_days, threshold, entities)
    counts = grouper.regroup_all()
    if as_json:
        click.echo(json.dumps(counts))
    else:
        click.echo(
            f"{counts['articles']} articles in {counts['stories']} stories "
            f"({counts['duplicate']} joined as near-duplicates, {counts['story']} as the same event)"
        )


@click.command()
@click.option(
    "--why",
    "why",
    type=int,
    metavar="ID",
    help="Explain one story (a story id, or the id of any of its articles): what linked each article.",
)
@click.option(
    "--since", type=SINCE, help="Only stories with an article published since DATE (2026-11-01, 7d)."
)
@click.option("--all", "show_all", is_flag=True, help="Also list stories told by a single article.")
@click.option("--limit", type=click.IntRange(min=1), help="At most N stories, newest first.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON lines: story_id, headline (article id), and articles [{id, source, language, title, url}].",
)
@pass_app
def stories(
    app: AppContext, why: int | None, since: datetime | None, show_all: bool, limit: int | None, as_json: bool
) -> None:
    """List stored stories told by several articles (sources, languages, copies).

    Each story shows its headline article (the earliest; the longest on a tie)
    and, under it, the other articles as "also in: source (language)".
    Articles not yet grouped (no story id) are not listed; run `newsmon restory`.

    `--why ID` explains one story: for each article, the article it was linked
    to and what they share (near-copy text, actors, event date, object, kind of
    event, amounts, places), or that it founded the story.
    Exit status 1 when ID is neither a story nor an article.
    """
    from storage.stories import StoryIndex

    if why is not None:
        _explain(app, StoryIndex(app.db), why, as_json)
        return
    groups = StoryIndex(app.db).story_groups(since=since, min_size=1 if show_all else 2, limit=limit)
    tz = app.config.tz
    for story_id, members in groups:
        head = members[0]
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "story_id": story_id,
                        "headline": head.id,
                        "articles": [
                            {
                                "id": a.id,
                                "source": a.source,
                                "language": a.language,
                                "title": a.title,
                                "url": a.url,
                                "published_at": a.published_at.isoformat() if a.published_at else None,
                            }
                            for a in members
                        ],
                    },
                    ensure_ascii=False,
                )
            )
            continue
        when = head.published_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if head.published_at else "undated"
        click.echo(f"story {story_id}  {when}  {head.title}  [{head.source}, {head.language}]")
        others = ", ".join(f"{a.source} ({a.language})" for a in members[1:])
        if others:
            click.echo(f"  also in: {others}")


def _explain(app: AppContext, index, ident: int, as_json: bool) -> None:
    members = index.links(ident)
    if not members:
        story = index.story_of(ident)
        members = index.links(story) if story is not None else []
    if not members:
        raise click.ClickException(f"no story or grouped article with id {ident}")
    story_id = members[0][0].story_id
    if as_json:
        click.echo(
            json.dumps(
                {
                    "story_id": story_id,
                    "articles": [
                        {
                            "id": a.id,
                            "source": a.source,
                            "language": a.language,
                            "title": a.title,
                            "how": link.how if link else None,
                            "linked_to": link.matched_id if link else None,
                            "score": link.score if link else None,
                            "reasons": list(link.reasons) if link else [],
                        }
                        for a, link in members
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"story {story_id}: {len(members)} article(s)")
    for article, link in members:
        click.echo(f"article {article.id} [{article.source}, {article.language}] {article.title}")
        if link is None:
            click.echo("  grouped before reasons were kept; run `newsmon restory`")
        elif link.how == "new" or link.matched_id is None:
            click.echo("  founded the story")
        else:
            how = "near-copy of" if link.how == "duplicate" else "same event as"
            click.echo(
                f"  {how} article {link.matched_id} (score {link.score:.1f}): " + "; ".join(link.reasons)
            )


@click.command("eval-stories")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@_grouping_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a report.")
@click.pass_context
def eval_stories(
    ctx: click.Context,
    file: IO[str],
    window_days: float,
    threshold: float,
    entities: str | None,
    as_json: bool,
) -> None:
    """Score story grouping against FILE.jsonl with gold stories.

    Lines need `id`, `title`, `text` and `lang`; `published` (ISO 8601 with a
    time zone), `lead` and `source` are optional. The gold story is `story`;
    a line without it but with `dup_of` (the shared dev set) belongs to the
    story of the article it copies, else to a story of its own.

    The articles are stored in a scratch database and grouped oldest first,
    as a crawl would. Prints pairwise precision (of the pairs grouped
    together, how many share a gold story), recall (of the gold pairs, how
    many were grouped together), F1, the counts, and every wrong pair as
    merged (grouped, but different stories) or split (one story, kept apart).
    Nothing is written to the configured database.

    Exit status: 0 when every line was usable, 1 when any line was bad,
    2 on bad usage.
    """
    from monitor.stories import EntityError
    from monitor.stories.evaluation import evaluate, read_records

    records, errors = read_records(file)
    for err in errors:
        click.echo(f"{err}; skipped", err=True)
    try:
        result = evaluate(
            records,
            options=_options(window_days, threshold),
            entities_file=Path(entities) if entities else None,
        )
    except EntityError as exc:
        raise click.ClickException(f"cannot load entities: {exc}") from None
    if as_json:
        click.echo(json.dumps({**result.as_dict(), "bad_lines": len(errors)}, ensure_ascii=False))
    else:
        click.echo(
            f"{result.n} articles, {result.stories_gold} gold stories, {result.stories_predicted} predicted"
            + (f", {len(errors)} bad lines skipped" if errors else "")
        )
        click.echo(
            f"pairs: {result.true_pairs} gold, {result.predicted_pairs} predicted, "
            f"{result.correct_pairs} correct"
        )
        click.echo(f"precision {result.precision:.3f}  recall {result.recall:.3f}  f1 {result.f1:.3f}")
        if result.wrong:
            click.echo(f"wrong pairs ({len(result.wrong)}):")
            for w in result.wrong:
                click.echo(f"  {w.kind}: {w.a} + {w.b}")
        else:
            click.echo("wrong pairs: none")
    if errors:
        sys.exit(1)


commands = [restory, stories, eval_stories]
