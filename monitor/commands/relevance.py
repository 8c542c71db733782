"""`newsmon classify` and `newsmon eval-relevance`: the relevance model on JSON lines."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import IO, Any, Iterator

import click

from monitor.jsonl import read_json_lines
from monitor.relevance import LABELS, RelevanceModel

_TERMS_HELP = (
    "Extra terms TOML file (same shape as the built-in terms). "
    "Default: $NEWSMON_TERMS_FILE, else [relevance] terms_file from the config."
)


def _terms_file(ctx: click.Context, terms: str | None) -> Path | None:
    if terms:
        return Path(terms)
    env = os.environ.get("NEWSMON_TERMS_FILE")
    if env:
        return Path(env)
    app = ctx.obj
    config = getattr(app, "config", None) if app is not None else None
    rel = getattr(config, "relevance", None)
    if rel is not None and getattr(rel, "terms_file", None):
        return Path(config.resolve_path(rel.terms_file))
    return None


def _load_model(ctx: click.Context, terms: str | None) -> RelevanceModel:
    path = _terms_file(ctx, terms)
    try:
        return RelevanceModel.load(path)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load terms: {exc}") from None


def _records(stream: IO[str], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, error or None) for each non-blank line."""
    return read_json_lines(stream, required, strings=tuple(k for k in required if k != "id"))


def _judge(model: RelevanceModel, rec: dict[str, Any]):
    lead = rec.get("lead") or ""
    lang = rec.get("lang")
    return model.judge(rec["title"], rec["text"], lead=lead if isinstance(lead, str) else "",
                       lang=lang if isinstance(lang, str) else None)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Write JSON lines: id, label, score, reasons.")
@click.option("--terms", type=click.Path(exists=True, dir_okay=False), help=_TERMS_HELP)
@click.pass_context
def classify(ctx: click.Context, as_json: bool, terms: str | None) -> None:
    """Label articles read as JSON lines on standard input.

    Each line needs `id`, `title` and `text`; `lead` and `lang` are optional.
    One output line per good input line: with --json a JSON object
    {"id", "label", "score", "reasons"}, else `id<TAB>label<TAB>score<TAB>top reasons`.
    Labels: core (Hanoi–Russia cooperation), national (Vietnam–Russia without a
    Hanoi party), none.

    A bad line (invalid JSON, missing keys) is reported on standard error with
    its line number and skipped; the other lines are still classified.

    Exit status: 0 when every line was classified, 1 when any line was bad,
    2 on bad usage.
    """
    model = _load_model(ctx, terms)
    # UTF-8 whatever the locale says: the input is Vietnamese and Russian text.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    bad = 0
    for n, rec, err in _records(stdin, ("id", "title", "text")):
        if rec is None:
            bad += 1
            click.echo(f"line {n}: {err}; skipped", err=True)
            continue
        j = _judge(model, rec)
        if as_json:
            out = {"id": rec["id"], **j.to_dict()}
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            top = "; ".join(f"{r.side}:{r.phrase}@{r.field}" for r in j.reasons if r.weight > 0)[:200]
            click.echo(f"{rec['id']}\t{j.label}\t{j.score:.3f}\t{top}")
    if bad:
        ctx.exit(1)


def _metrics(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    per: dict[str, dict[str, float]] = {}
    for lab in LABELS:
        tp = sum(1 for g, p in pairs if g == lab and p == lab)
        fp = sum(1 for g, p in pairs if g != lab and p == lab)
        fn = sum(1 for g, p in pairs if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    confusion = {g: {p: sum(1 for a, b in pairs if a == g and b == p) for p in LABELS} for g in LABELS}
    return {"labels": per, "confusion": confusion}


@click.command("eval-relevance")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--terms", type=click.Path(exists=True, dir_okay=False), help=_TERMS_HELP)
@click.pass_context
def eval_relevance(ctx: click.Context, file: IO[str], as_json: bool, terms: str | None) -> None:
    """Score the relevance model against FILE.jsonl with gold labels.

    Lines need `id`, `title`, `text` and a gold `label` (core, national, none;
    `other` means none); lines without a label are skipped. Prints precision,
    recall and F1 per label, the confusion matrix (rows gold, columns
    predicted) and the ids that were misjudged as gold -> predicted.

    Exit status: 0 when every line was usable, 1 when any line was bad,
    2 on bad usage.
    """
    model = _load_model(ctx, terms)
    pairs: list[tuple[str, str]] = []
    wrong: list[dict[str, Any]] = []
    bad = 0
    unlabeled = 0
    for n, rec, err in _records(file, ("id", "title", "text")):
        if rec is None:
            bad += 1
            click.echo(f"line {n}: {err}; skipped", err=True)
            continue
        gold = rec.get("label")
        if gold is None:
            unlabeled += 1
            continue
        gold = "none" if gold == "other" else str(gold)
        if gold not in LABELS:
            bad += 1
            click.echo(f"line {n}: unknown gold label {rec.get('label')!r}; skipped", err=True)
            continue
        j = _judge(model, rec)
        pairs.append((gold, j.label))
        if gold != j.label:
            wrong.append({"id": rec["id"], "gold": gold, "predicted": j.label, "score": j.score})
    result = {"model_version": model.version, "n": len(pairs), "unlabeled": unlabeled, "bad_lines": bad,
              **_metrics(pairs), "misjudged": wrong}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"model {model.version}: {len(pairs)} labeled articles"
                   + (f", {unlabeled} unlabeled skipped" if unlabeled else "")
                   + (f", {bad} bad lines skipped" if bad else ""))
        click.echo("")
        click.echo(f"{'label':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for lab in LABELS:
            m = result["labels"][lab]
            click.echo(f"{lab:<10}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10d}")
        click.echo("")
        click.echo("confusion (rows gold, columns predicted)")
        click.echo(f"{'':<10}" + "".join(f"{p:>10}" for p in LABELS))
        for g in LABELS:
            click.echo(f"{g:<10}" + "".join(f"{result['confusion'][g][p]:>10d}" for p in LABELS))
        click.echo("")
        if wrong:
            click.echo(f"misjudged ({len(wrong)}):")
            for w in wrong:
                click.echo(f"  {w['id']}: {w['gold']} -> {w['predicted']} (score {w['score']:.3f})")
        else:
            click.echo("misjudged: none")
    if bad:
        ctx.exit(1)


commands = [classify, eval_relevance]
