"""`newsmon rescore`: re-judge stored articles with the current relevance rules and terms."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from monitor.context import AppContext, pass_app


@click.command()
@click.option("--stale-only", is_flag=True,
              help="Only articles judged by other rules or terms than the current ones (faster).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@pass_app
def rescore(app: AppContext, stale_only: bool, as_json: bool) -> None:
    """Re-apply the current relevance rules and terms to every stored article.

    Run it after editing the terms (the built-in files or [relevance] terms_file):
    old articles are judged again, and the summary says how many labels changed.
    """
    from monitor.relevance import RelevanceModel
    from storage import ArticleStore

    config = app.config
    terms = config.resolve_path(config.relevance.terms_file) if config.relevance.terms_file else None
    if terms is not None and not Path(terms).exists():
        raise click.ClickException(f"relevance.terms_file: {terms} does not exist")
    model = RelevanceModel.load(terms)
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
        if (article.label, article.score, article.relevance_version) != (judgement.label, judgement.score, model.version) \
                or article.reasons != data["reasons"]:
            store.set_judgement(article.id, judgement.label, judgement.score, data["reasons"], model.version)
    summary = {"rescored": seen, "label_changes": dict(changes), "version": model.version,
               "counts": store.counts()}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    changed = sum(changes.values())
    click.echo(f"rescored {seen} article(s) with rules {model.version}: {changed} label(s) changed")
    for change, n in sorted(changes.items()):
        click.echo(f"  {change}: {n}")


commands = [rescore]
