"""Training and honest evaluation of the relevance classifier.

`train_model` is what `newsmon train-relevance` runs; `cross_validate` is what
`newsmon eval-relevance --cv K` runs: it trains with `train_model` on K-1 folds
and judges the held-out fold with `RelevanceModel.judge`, the same code the
crawl and `newsmon classify` use.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.jsonl import read_json_lines

from .classifier import LABEL_ORDER, RelevanceClassifier, TrainingText, folds, train
from .model import RelevanceModel

__all__ = [
    "LabeledSet",
    "read_labeled",
    "train_model",
    "cross_validate",
    "metrics",
    "summarize_folds",
    "DEFAULT_C",
    "DEFAULT_TEXT_SCALE",
    "FEEDBACK_WEIGHT",
]

# Chosen by 5-fold cross-validation (tools/train_relevance_model.py --tune).
DEFAULT_C = 0.1
DEFAULT_TEXT_SCALE = 3.0
# A reader's correction counts as this many labeled texts (see `newsmon train-relevance --with-feedback`).
FEEDBACK_WEIGHT = 5.0


@dataclass(slots=True)
class LabeledSet:
    """Labeled texts read from JSON lines, with near-duplicate links and bad lines."""

    texts: list[TrainingText] = field(default_factory=list)
    dup_of: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unlabeled: int = 0

    def extend(self, other: LabeledSet) -> None:
        self.texts += other.texts
        self.dup_of.update(other.dup_of)
        self.errors += other.errors
        self.unlabeled += other.unlabeled


def read_labeled(path: Path) -> LabeledSet:
    """Lines with `id`, `title`, `text` and a gold `label` (core, national,
    none; `other` means none); optional `lead`, `lang`, `dup_of`. Lines without
    a label are counted, bad lines reported (file:line: why), none dropped silently."""
    out = LabeledSet()
    with open(path, encoding="utf-8") as fh:
        for n, rec, err in read_json_lines(fh, ("id", "title", "text"), strings=("title", "text")):
            if rec is None:
                out.errors.append(f"{path} line {n}: {err}")
                continue
            gold = rec.get("label")
            if gold is None:
                out.unlabeled += 1
                continue
            gold = "none" if gold == "other" else str(gold)
            if gold not in LABEL_ORDER:
                out.errors.append(f"{path} line {n}: unknown label {rec.get('label')!r}")
                continue
            lead, lang = rec.get("lead"), rec.get("lang")
            tid = str(rec["id"])
            out.texts.append(
                TrainingText(
                    title=rec["title"],
                    text=rec["text"],
                    label=gold,
                    lead=lead if isinstance(lead, str) else "",
                    lang=lang if isinstance(lang, str) else "",
                    id=tid,
                )
            )
            if rec.get("dup_of"):
                out.dup_of[tid] = str(rec["dup_of"])
    return out


def train_model(
    base: RelevanceModel,
    texts: Sequence[TrainingText],
    c: float = DEFAULT_C,
    text_scale: float = DEFAULT_TEXT_SCALE,
    meta: dict[str, Any] | None = None,
) -> RelevanceClassifier:
    """A classifier trained on `texts`, with evidence from `base`'s terms."""
    ordered = sorted(texts, key=lambda t: (t.id, t.label, t.title, t.text))  # input order does not matter
    return train(base.featurize(ordered), c=c, text_scale=text_scale, meta=meta)


def metrics(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Precision, recall, F1 and support per label, and the confusion matrix (gold → predicted)."""
    pairs = list(pairs)
    per: dict[str, dict[str, float]] = {}
    for lab in LABEL_ORDER:
        tp = sum(1 for g, p in pairs if g == lab and p == lab)
        fp = sum(1 for g, p in pairs if g != lab and p == lab)
        fn = sum(1 for g, p in pairs if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    confusion = {
        g: {p: sum(1 for a, b in pairs if a == g and b == p) for p in LABEL_ORDER} for g in LABEL_ORDER
    }
    return {"labels": per, "confusion": confusion}


@dataclass(slots=True)
class CrossValidation:
    k: int
    folds: list[dict[str, Any]]  # metrics() of each fold
    pooled: dict[str, Any]  # metrics() over all held-out judgements
    misjudged: list[dict[str, Any]]


def cross_validate(
    base: RelevanceModel,
    data: LabeledSet,
    k: int,
    c: float = DEFAULT_C,
    text_scale: float = DEFAULT_TEXT_SCALE,
    seed: int = 0,
) -> CrossValidation:
    """K-fold cross-validation: train on K-1 folds, judge the held-out one."""
    texts = data.texts
    fold_of = folds(texts, k, data.dup_of, seed=seed)
    per_fold = []
    pooled: list[tuple[str, str]] = []
    wrong = []
    for f in range(k):
        train_set = [t for t, g in zip(texts, fold_of) if g != f]
        test_set = [t for t, g in zip(texts, fold_of) if g == f]
        model = base.with_classifier(train_model(base, train_set, c=c, text_scale=text_scale))
        pairs = []
        for t in test_set:
            j = model.judge(t.title, t.text, lead=t.lead, lang=t.lang or None)
            pairs.append((t.label, j.label))
            if j.label != t.label:
                wrong.append({"id": t.id, "gold": t.label, "predicted": j.label, "score": j.score, "fold": f})
        per_fold.append(metrics(pairs))
        pooled += pairs
    return CrossValidation(k=k, folds=per_fold, pooled=metrics(pooled), misjudged=wrong)


def summarize_folds(cv: CrossValidation) -> dict[str, dict[str, dict[str, float]]]:
    """Per label and measure: mean and (sample) standard deviation over the folds."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for lab in LABEL_ORDER:
        out[lab] = {}
        for measure in ("precision", "recall", "f1"):
            vals = [f["labels"][lab][measure] for f in cv.folds]
            out[lab][measure] = {
                "mean": statistics.fmean(vals),
                "sd": statistics.stdev(vals) if len(vals) > 1 else 0.0,
                "min": min(vals),
                "max": max(vals),
            }
    return out
