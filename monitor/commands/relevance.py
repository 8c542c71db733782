"""`newsmon classify` and `newsmon eval-relevance`: the relevance model on JSON lines."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from monitor.jsonl import read_json_lines
from storage.feedback import FEEDBACK_LABELS

if TYPE_CHECKING:  # the model (numpy) is imported by the commands that use it, not by every `newsmon`
    from monitor.relevance import RelevanceModel
    from monitor.relevance.classifier import TrainingText
    from monitor.relevance.training import LabeledSet

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
    rel = _relevance_config(ctx)
    if rel is not None and rel.terms_file:
        return Path(ctx.obj.config.resolve_path(rel.terms_file))
    return None


def _relevance_config(ctx: click.Context) -> Any:
    app = ctx.obj
    config = getattr(app, "config", None) if app is not None else None
    return getattr(config, "relevance", None)


def _model_file(ctx: click.Context, model: str | None) -> Path | None:
    if model:
        return Path(model)
    rel = _relevance_config(ctx)
    if rel is not None and rel.model_file:
        path = Path(ctx.obj.config.resolve_path(rel.model_file))
        if not path.exists():
            raise click.ClickException(
                f"relevance.model_file: {path} does not exist (make it with `newsmon train-relevance --out`)"
            )
        return path
    return None


def load_model(
    ctx: click.Context, terms: str | None = None, model: str | None = None, rules_only: bool = False
) -> RelevanceModel:
    """The relevance model the options and the config name (built-in terms and classifier by default)."""
    from monitor.relevance import RelevanceModel
    from monitor.relevance.classifier import ModelFileError

    terms_path = _terms_file(ctx, terms)
    model_path = None if rules_only else _model_file(ctx, model)
    try:
        return RelevanceModel.load(terms_path, model_file=model_path, rules_only=rules_only)
    except ModelFileError as exc:
        raise click.ClickException(f"cannot load the relevance model: {exc}") from None
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load terms: {exc}") from None


_MODEL_HELP = (
    "Classifier file made by `newsmon train-relevance`. "
    "Default: [relevance] model_file from the config, else the one shipped with newsmon."
)


def _records(
    stream: IO[str], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, error or None) for each non-blank line."""
    return read_json_lines(stream, required, strings=tuple(k for k in required if k != "id"))


def _judge(model: RelevanceModel, rec: dict[str, Any]):
    lead = rec.get("lead") or ""
    lang = rec.get("lang")
    return model.judge(
        rec["title"],
        rec["text"],
        lead=lead if isinstance(lead, str) else "",
        lang=lang if isinstance(lang, str) else None,
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Write JSON lines: id, label, score, reasons.")
@click.option("--terms", type=click.Path(exists=True, dir_okay=False), help=_TERMS_HELP)
@click.option("--model", type=click.Path(exists=True, dir_okay=False), help=_MODEL_HELP)
@click.pass_context
def classify(ctx: click.Context, as_json: bool, terms: str | None, model: str | None) -> None:
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
    rel_model = load_model(ctx, terms, model)
    # UTF-8 whatever the locale says: the input is Vietnamese and Russian text.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    bad = 0
    for n, rec, err in _records(stdin, ("id", "title", "text")):
        if rec is None:
            bad += 1
            click.echo(f"line {n}: {err}; skipped", err=True)
            continue
        j = _judge(rel_model, rec)
        if as_json:
            out = {"id": rec["id"], **j.to_dict()}
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            top = "; ".join(f"{r.side}:{r.phrase}@{r.field}" for r in j.reasons if r.weight > 0)[:200]
            click.echo(f"{rec['id']}\t{j.label}\t{j.score:.3f}\t{top}")
    if bad:
        ctx.exit(1)


def _print_metrics(result: dict[str, Any], spread: dict[str, Any] | None = None) -> None:
    from monitor.relevance import LABELS

    if spread is None:
        click.echo(f"{'label':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for lab in LABELS:
            m = result["labels"][lab]
            click.echo(
                f"{lab:<10}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10d}"
            )
    else:
        click.echo("per label: pooled over the held-out folds, then mean ± sd [min–max] over the folds")
        click.echo(f"{'label':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for lab in LABELS:
            m = result["labels"][lab]
            click.echo(
                f"{lab:<10}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10d}"
            )
        for lab in LABELS:
            parts = []
            for measure in ("precision", "recall", "f1"):
                s = spread[lab][measure]
                parts.append(f"{measure} {s['mean']:.3f} ± {s['sd']:.3f} [{s['min']:.2f}–{s['max']:.2f}]")
            click.echo(f"  {lab:<9}" + "; ".join(parts))
    click.echo("")
    click.echo("confusion (rows gold, columns predicted)")
    click.echo(f"{'':<10}" + "".join(f"{p:>10}" for p in LABELS))
    for g in LABELS:
        click.echo(f"{g:<10}" + "".join(f"{result['confusion'][g][p]:>10d}" for p in LABELS))
    click.echo("")
    wrong = result["misjudged"]
    if wrong:
        click.echo(f"misjudged ({len(wrong)}):")
        for w in wrong:
            click.echo(f"  {w['id']}: {w['gold']} -> {w['predicted']} (score {w['score']:.3f})")
    else:
        click.echo("misjudged: none")


def _feedback_texts(ctx: click.Context) -> list[TrainingText]:
    """Each stored correction as a labeled text (an article's latest correction counts).

    A correction weighs FEEDBACK_WEIGHT labeled texts in training: it is a
    mistake on this installation's own sources, and one text among hundreds
    would otherwise hardly move the model."""
    from monitor.relevance.classifier import TrainingText
    from monitor.relevance.training import FEEDBACK_WEIGHT
    from storage import ArticleStore
    from storage.feedback import feedback_rows

    app = ctx.obj
    latest: dict[int, str] = {}
    for row in feedback_rows(app.db):
        latest[row.article_id] = row.label
    store = ArticleStore(app.db)
    out = []
    for article_id, label in sorted(latest.items()):
        article = store.get(article_id)
        if article is not None:
            out.append(
                TrainingText(
                    title=article.title,
                    text=article.body,
                    lead=article.lead,
                    label=label,
                    lang=article.language,
                    id=f"feedback-{article_id}",
                    weight=FEEDBACK_WEIGHT,
                )
            )
    return out


def _read_files(files: tuple[str, ...]) -> LabeledSet:
    from monitor.relevance.training import LabeledSet, read_labeled

    data = LabeledSet()
    for name in files:
        try:
            data.extend(read_labeled(Path(name)))
        except OSError as exc:
            raise click.ClickException(f"cannot read {name}: {exc}") from None
    for err in data.errors:
        click.echo(f"{err}; skipped", err=True)
    return data


@click.command("eval-relevance")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--cv",
    "cv",
    type=click.IntRange(min=2),
    metavar="K",
    help="K-fold cross-validation: train on K-1 folds with train-relevance's trainer, judge the rest.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="With --cv: which random assignment of texts to folds (to check how stable the figures are).",
)
@click.option(
    "--feedback",
    "use_feedback",
    is_flag=True,
    help="Score the current model on the readers' corrections stored in the database.",
)
@click.option("--rules-only", is_flag=True, help="Judge by the hand-written rules alone (no classifier).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--terms", type=click.Path(exists=True, dir_okay=False), help=_TERMS_HELP)
@click.option("--model", type=click.Path(exists=True, dir_okay=False), help=_MODEL_HELP)
@click.pass_context
def eval_relevance(
    ctx: click.Context,
    files: tuple[str, ...],
    cv: int | None,
    seed: int,
    use_feedback: bool,
    rules_only: bool,
    as_json: bool,
    terms: str | None,
    model: str | None,
) -> None:
    """Score the relevance model against labeled JSON lines (FILES) or stored corrections.

    Lines need `id`, `title`, `text` and a gold `label` (core, national, none;
    `other` means none); `lang` and `dup_of` (the id of a near-copy) are used
    by --cv; lines without a label are skipped. Prints precision, recall and
    F1 per label, the confusion matrix (rows gold, columns predicted) and the
    ids that were misjudged as gold -> predicted.

    Without --cv the current model judges the texts, which says little if it
    was trained on them. With --cv K the texts are split into K folds
    (stratified by label and language, near-copies in one fold); for each fold a
    classifier is trained on the others exactly as `train-relevance` does and
    judges it; the table pools the held-out judgements and gives the mean and
    spread over the folds.

    Exit status: 0 when every line was usable, 1 when any line was bad,
    2 on bad usage.
    """
    if not files and not use_feedback:
        raise click.UsageError("give labeled FILES, or --feedback")
    if cv and use_feedback:
        raise click.UsageError("--cv trains on FILES; --feedback scores the current model on the corrections")
    from monitor.relevance.training import cross_validate, summarize_folds
    from monitor.relevance.training import metrics as score_pairs

    data = _read_files(files)
    if use_feedback:
        data.texts += _feedback_texts(ctx)
    rel_model = load_model(ctx, terms, model, rules_only=rules_only or cv is not None)
    spread = None
    if cv:
        if rules_only:
            raise click.UsageError("--cv trains classifiers; it cannot be --rules-only")
        try:
            result_cv = cross_validate(rel_model, data, cv, seed=seed)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        metrics = result_cv.pooled
        wrong = result_cv.misjudged
        spread = summarize_folds(result_cv)
        version = f"{cv}-fold cross-validation (seed {seed}) over terms {rel_model.version}"
    else:
        pairs: list[tuple[str, str]] = []
        wrong = []
        for t in data.texts:
            j = rel_model.judge(t.title, t.text, lead=t.lead, lang=t.lang or None)
            pairs.append((t.label, j.label))
            if j.label != t.label:
                wrong.append({"id": t.id, "gold": t.label, "predicted": j.label, "score": j.score})
        metrics = score_pairs(pairs)
        version = rel_model.version
    result: dict[str, Any] = {
        "model_version": version,
        "n": len(data.texts),
        "unlabeled": data.unlabeled,
        "bad_lines": len(data.errors),
        **metrics,
        "misjudged": wrong,
    }
    if spread is not None:
        result["cv"] = {"k": cv, "folds": spread}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        what = "model" if not cv else ""
        click.echo(
            f"{what + ' ' if what else ''}{version}: {len(data.texts)} labeled articles"
            + (f", {data.unlabeled} unlabeled skipped" if data.unlabeled else "")
            + (f", {len(data.errors)} bad lines skipped" if data.errors else "")
        )
        click.echo("")
        _print_metrics(result, spread)
    if data.errors:
        ctx.exit(1)


@click.command("train-relevance")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Where to write the model (default: [relevance] model_file from the config).",
)
@click.option("--with-feedback", is_flag=True, help="Add the readers' corrections stored in the database.")
@click.option("--terms", type=click.Path(exists=True, dir_okay=False), help=_TERMS_HELP)
@click.pass_context
def train_relevance(
    ctx: click.Context, files: tuple[str, ...], out: str | None, with_feedback: bool, terms: str | None
) -> None:
    """Train the relevance classifier on labeled JSON lines (FILES, as for eval-relevance).

    The rules' evidence (from the built-in terms and --terms/[relevance]
    terms_file) and the articles' words become features of a logistic
    regression; the model file holds its weights (a zip of numpy arrays and
    JSON, not a pickle). Name it in `[relevance] model_file` and run
    `newsmon rescore` to re-judge stored articles with it.

    Exit status: 0 on success, 1 when any line was bad (the model is still
    written from the good ones), 2 on bad usage.
    """
    if not files and not with_feedback:
        raise click.UsageError("give labeled FILES, or --with-feedback")
    target = out
    if target is None:
        rel = _relevance_config(ctx)
        if rel is None or not rel.model_file:
            raise click.UsageError("give --out MODEL, or set [relevance] model_file in the config")
        target = ctx.obj.config.resolve_path(rel.model_file)
    from monitor.relevance import LABELS
    from monitor.relevance.training import train_model

    data = _read_files(files)
    n_feedback = 0
    if with_feedback:
        extra = _feedback_texts(ctx)
        n_feedback = len(extra)
        data.texts += extra
    base = load_model(ctx, terms, rules_only=True)
    try:
        clf = train_model(base, data.texts, meta={"feedback_texts": n_feedback})
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    clf.save(Path(target))
    version = base.with_classifier(clf).version
    counts = ", ".join(f"{clf.meta[f'texts_{lab}']} {lab}" for lab in LABELS)
    click.echo(
        f"trained on {len(data.texts)} texts ({counts}; {n_feedback} from feedback): "
        f"wrote {target}, model version {version}"
    )
    if data.errors:
        ctx.exit(1)


@click.command("feedback")
@click.argument("article_id", type=int)
@click.option(
    "--label", type=click.Choice(FEEDBACK_LABELS), required=True, help="The label the article should have."
)
@click.option("--note", help="Why (kept with the correction).")
@click.option("--who", help="Who says so (default: the login name).")
@click.pass_context
def feedback(ctx: click.Context, article_id: int, label: str, note: str | None, who: str | None) -> None:
    """Record a reader's correction of a stored article's relevance label.

    The correction is stored with who made it, when, and the label the article
    had. The article's label itself changes when the model is retrained on the
    corrections (`newsmon train-relevance --with-feedback`) and the articles
    re-judged (`newsmon rescore`); `newsmon eval-relevance --feedback` says how
    the current model does on them.
    """
    import getpass

    from storage.feedback import UnknownArticle, record_feedback

    if who is None:
        try:
            who = getpass.getuser()
        except (OSError, KeyError):
            who = ""
    try:
        row = record_feedback(ctx.obj.db, article_id, label=label, note=note, who=who)
    except UnknownArticle:
        raise click.ClickException(f"no stored article {article_id} (see `newsmon articles`)") from None
    click.echo(
        f"article {article_id}: {row.previous_label or 'unjudged'} -> {label} recorded"
        + (f" for {who}" if who else "")
    )


commands = [classify, eval_relevance, train_relevance, feedback]
