"""`newsmon rescore`: re-judge stored articles with the current relevance model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from monitor.context import AppContext, pass_app


@click.command()
@click.option(
    "--stale-only",
    is_flag=True,
    help="Only articles judged by another model version than the current one (faster).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@pass_app
def rescore(app: AppContext, stale_only: bool, as_json: bool) -> None:
    """Re-apply the current relevance model (rules, terms and classifier) to every stored article.

    Run it after editing the terms (the built-in files or [relevance] terms_file)
    or training a model ([relevance] model_file): old articles are judged again,
    and the summary says how many labels changed.
    """
    from monitor.relevance import RelevanceModel
    from monitor.relevance.classifier import ModelFileError
    from storage import ArticleStore
    from storage.models import row_id

    config = app.config
    paths: dict[str, Path | None] = {}
    for key in ("terms_file", "model_file"):
        value = getattr(config.relevance, key)
        path = Path(config.resolve_path(value)) if value else None
        if path is not None and not path.exists():
            raise click.ClickException(f"relevance.{key}: {path} does not exist")
        paths[key] = path
    try:
        model = RelevanceModel.load(paths["terms_file"], model_file=paths["model_file"])
    except ModelFileError as exc:
        raise click.ClickException(f"relevance.model_file: {exc}") from None
    store = ArticleStore(app.db)
    seen = 0
    changes: Counter[str] = Counter()
    for article in store.iter_all():
        if stale_only and article.relevance_version == model.version:
            continue
        seen += 1
        judgement = model.judge(article.title, article.body, lead=article.lead, lang=article.language)
        data = judgement.to_dict()
        if article.label != judgement.label:
            changes[f"{article.label or 'unjudged'}→{judgement.label}"] += 1
        if (article.label, article.score, article.relevance_version) != (
            judgement.label,
            judgement.score,
            model.version,
        ) or article.reasons != data["reasons"]:
            store.set_judgement(
                row_id(article), judgement.label, judgement.score, data["reasons"], model.version
            )
    summary = {
        "rescored": seen,
        "label_changes": dict(changes),
        "version": model.version,
        "counts": store.counts(),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    changed = sum(changes.values())
    click.echo(f"rescored {seen} article(s) with model {model.version}: {changed} label(s) changed")
    for change, n in sorted(changes.items()):
        click.echo(f"  {change}: {n}")


commands = [rescore]
