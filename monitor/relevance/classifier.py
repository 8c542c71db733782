"""The trained part of the relevance model: a logistic regression that decides
the label and score from the rules' evidence and the article's words.

Features of one article (`evidence_vector` and `text_keys`):
- the rules' `Evidence` as numbers (evidence.FEATURE_NAMES) plus the rule's
  own label, standardised with the training set's mean and spread;
- its words, folded (no diacritics, lower case): every word, title words
  apart, and character 4-grams of the title (they catch inflected forms:
  Ханоя/Ханое, Москвы/Москве). Only keys seen in at least two training
  texts are kept (the vocabulary); the present ones form a 0/1 vector scaled
  to length `text_scale`.

The weights are stored as a zip of `.npy` arrays plus one JSON member
(`RelevanceClassifier.save`/`load`): no pickle, so a model file cannot run code.
The file is written byte for byte the same for the same weights.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .evidence import FEATURE_NAMES, Evidence
from .text import Prepared, fold

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

__all__ = [
    "RelevanceClassifier",
    "TrainingText",
    "ModelFileError",
    "train",
    "LABEL_ORDER",
    "shared_classifier",
]

LABEL_ORDER = ("core", "national", "none")
FORMAT = "newsmon-relevance-classifier/1"
# Fixed zip member time, so the same weights give the same file bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
EVIDENCE_NAMES = FEATURE_NAMES + ("rule_core", "rule_national")


class ModelFileError(ValueError):
    """A model file is missing, malformed, or of another format."""


@dataclass(frozen=True, slots=True)
class TrainingText:
    """One labeled article for training (label: core, national or none)."""

    title: str
    text: str
    label: str
    lead: str = ""
    lang: str = ""
    id: str = ""
    weight: float = 1.0  # how much the text counts in training (readers' corrections count more)


def text_keys(prep: Prepared) -> set[str]:
    """The word keys of one prepared article (see the module docstring).
    (Word pairs and five-letter stems were tried and left out: no gain in
    cross-validation, half the cost; title 3- and 5-grams beside the 4-grams
    gave the same cross-validated figures at three times the keys.)"""
    keys: set[str] = set()
    for prefix, part in key_parts(prep):
        keys.update(part if not prefix else [prefix + k for k in part])
    return keys


def key_parts(prep: Prepared) -> list[tuple[str, list[str]]]:
    """The keys of `text_keys` as (prefix, keys without it) in lists that
    may repeat a key: the folded words, then the title's words ("T:") and
    character n-grams ("c:"). Built with C-level list operations: this runs
    for every article with a Russian side."""
    folded = prep.folded
    parts = [("", folded)]
    units = prep.units
    if units and units[0].field == "title":
        u = units[0]
        n_title = bisect_right(prep.token_unit, 0)
        parts.append(("T:", folded[:n_title]))
        title = " " + fold(prep.text[u.start : u.end]) + " "
        parts.append(("c:", [title[i : i + n] for n in _TITLE_NGRAMS for i in range(len(title) - n + 1)]))
    return parts


_TITLE_NGRAMS = (4,)
_PREFIXES = ("T:", "c:")


def evidence_vector(ev: Evidence, rule_label: str) -> list[float]:
    """The evidence features in EVIDENCE_NAMES order."""
    return ev.features() + [float(rule_label == "core"), float(rule_label == "national")]


@dataclass(slots=True)
class RelevanceClassifier:
    """Weights of a trained model and how to apply them."""

    vocabulary: dict[str, int]
    ev_mean: np.ndarray  # (E,)
    ev_scale: np.ndarray  # (E,)
    ev_coef: np.ndarray  # (E, 3)
    text_coef: np.ndarray  # (V, 3)
    intercept: np.ndarray  # (3,)
    text_scale: float
    meta: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    _known: frozenset[str] = field(default=frozenset(), repr=False)
    _ev_coef: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    _intercept: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    # Judging: key prefix ("", "T:", "c:") -> key without it -> row + 1 of
    # `_rows` (row 0 is unused, so a miss, None, and no key are both falsy
    # and one `filter` drops them).
    _row_of: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _rows: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def __post_init__(self) -> None:
        self._known = frozenset(self.vocabulary)
        self._row_of = {}
        for w, k in self.vocabulary.items():
            prefix = w[:2] if w[:2] in _PREFIXES else ""
            self._row_of.setdefault(prefix, {})[w[len(prefix) :]] = k + 1
        self._rows = np.vstack([np.zeros((1, self.text_coef.shape[1])), self.text_coef])
        # (x - mean) / scale @ coef == x @ (coef / scale) - (mean / scale) @ coef
        self._ev_coef = self.ev_coef / self.ev_scale[:, None]
        self._intercept = self.intercept - (self.ev_mean / self.ev_scale) @ self.ev_coef
        if not self.digest:
            self.digest = self._digest()

    # ------------------------------------------------------------ applying
    def probabilities(self, prep: Prepared, ev: Evidence, rule_label: str) -> dict[str, float]:
        """P(label) for one article whose evidence is `ev`."""
        z = self._intercept + np.dot(evidence_vector(ev, rule_label), self._ev_coef)
        rows = self._key_rows(prep)
        if len(rows):
            z += self._rows[rows].sum(axis=0) * (self.text_scale / math.sqrt(len(rows)))
        z = z.tolist()
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {lab: v / total for lab, v in zip(LABEL_ORDER, e)}

    def _key_rows(self, prep: Prepared) -> np.ndarray:
        """Rows (+1) of the vocabulary keys of `text_keys(prep)`, sorted and
        unique: the same keys, found without building the key set (one dict
        lookup per word, in the dict of its prefix)."""
        found: list[int] = []
        for prefix, part in key_parts(prep):
            rows = self._row_of.get(prefix)
            if rows:
                found += filter(None, map(rows.get, part))
        if not found:
            return np.zeros(0, dtype=np.intp)
        # Sorted and unique through a mask over the rows (in C): the same rows
        # in the same order as sorted(set(found)), at a third of the cost.
        seen = np.zeros(len(self._rows), dtype=bool)
        seen[found] = True
        return np.flatnonzero(seen)

    def logits(self, evidence: list[float], keys: set[str]) -> np.ndarray:
        """Per-label scores (LABEL_ORDER) of one article's features."""
        # Standardisation folded into the weights once (see __post_init__).
        z = self._intercept + np.dot(evidence, self._ev_coef)
        idx = sorted(map(self.vocabulary.__getitem__, keys.intersection(self._known)))
        if idx:
            z += self.text_coef[idx].sum(axis=0) * (self.text_scale / math.sqrt(len(idx)))
        return z

    # ------------------------------------------------------------ files
    def save(self, path: Path) -> None:
        """Write the model file (zip of .npy arrays and model.json; no pickle)."""
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        doc = {
            "format": FORMAT,
            "labels": list(LABEL_ORDER),
            "evidence": list(EVIDENCE_NAMES),
            "text_scale": self.text_scale,
            "vocabulary": words,
            "meta": self.meta,
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(
                zipfile.ZipInfo("model.json", _ZIP_TIME),
                json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=0).encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
            )
            for name, arr in self._arrays().items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(arr, dtype="<f8"), allow_pickle=False)
                zf.writestr(
                    zipfile.ZipInfo(f"{name}.npy", _ZIP_TIME),
                    buf.getvalue(),
                    compress_type=zipfile.ZIP_DEFLATED,
                )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, data: bytes | None = None) -> RelevanceClassifier:
        """Read a model file written by `save` (its bytes ``data``, when already read); a clear
        ModelFileError otherwise."""
        path = Path(path)
        try:
            with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf:
                doc = json.loads(zf.read("model.json").decode("utf-8"))
                arrays = {}
                for name in ("ev_mean", "ev_scale", "ev_coef", "text_coef", "intercept"):
                    with zf.open(f"{name}.npy") as fh:
                        arrays[name] = np.lib.format.read_array(io.BytesIO(fh.read()), allow_pickle=False)
        except FileNotFoundError:
            raise ModelFileError(f"{path}: no such model file") from None
        except (OSError, KeyError, zipfile.BadZipFile, ValueError, UnicodeDecodeError) as exc:
            raise ModelFileError(f"{path}: not a newsmon relevance model ({exc})") from None
        if doc.get("format") != FORMAT:
            raise ModelFileError(f"{path}: format {doc.get('format')!r}, expected {FORMAT!r}")
        if tuple(doc.get("evidence", ())) != EVIDENCE_NAMES or tuple(doc.get("labels", ())) != LABEL_ORDER:
            raise ModelFileError(
                f"{path}: made for other evidence features; retrain it with `newsmon train-relevance`"
            )
        vocab = {w: k for k, w in enumerate(doc["vocabulary"])}
        e, v = len(EVIDENCE_NAMES), len(vocab)
        shapes = {
            "ev_mean": (e,),
            "ev_scale": (e,),
            "ev_coef": (e, 3),
            "text_coef": (v, 3),
            "intercept": (3,),
        }
        for name, shape in shapes.items():
            if arrays[name].shape != shape:
                raise ModelFileError(f"{path}: {name} has shape {arrays[name].shape}, expected {shape}")
        return cls(
            vocabulary=vocab,
            ev_mean=arrays["ev_mean"],
            ev_scale=arrays["ev_scale"],
            ev_coef=arrays["ev_coef"],
            text_coef=arrays["text_coef"],
            intercept=arrays["intercept"],
            text_scale=float(doc["text_scale"]),
            meta=dict(doc.get("meta") or {}),
        )

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "ev_mean": self.ev_mean,
            "ev_scale": self.ev_scale,
            "ev_coef": self.ev_coef,
            "text_coef": self.text_coef,
            "intercept": self.intercept,
        }

    def _digest(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps([sorted(self.vocabulary.items()), self.text_scale], ensure_ascii=False).encode())
        for name, arr in self._arrays().items():
            h.update(name.encode())
            h.update(np.round(np.asarray(arr, dtype="<f8"), 8).tobytes())
        return h.hexdigest()[:12]


# ---------------------------------------------------------------- training
@dataclass(frozen=True, slots=True)
class Featurized:
    """Training texts as the classifier sees them."""

    evidence: np.ndarray  # (n, E)
    keys: list[set[str]]
    labels: list[str]
    weights: list[float] | None = None


def train(
    featurized: Featurized,
    c: float = 1.0,
    text_scale: float = 1.0,
    min_df: int = 2,
    meta: dict[str, Any] | None = None,
) -> RelevanceClassifier:
    """Fit the logistic regression (deterministic: sorted vocabulary, lbfgs, no
    random state involved)."""
    from sklearn.linear_model import LogisticRegression

    labels = featurized.labels
    missing = [lab for lab in LABEL_ORDER if lab not in labels]
    if missing:
        raise ValueError(f"training needs texts of every label; none labeled {', '.join(missing)}")
    df: dict[str, int] = {}
    for keys in featurized.keys:
        for k in keys:
            df[k] = df.get(k, 0) + 1
    vocab = {w: k for k, w in enumerate(sorted(w for w, n in df.items() if n >= min_df))}
    ev = featurized.evidence
    mean = ev.mean(axis=0)
    scale = ev.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = _design(featurized, vocab, mean, scale, text_scale)
    y = np.array([LABEL_ORDER.index(lab) for lab in labels])
    clf = LogisticRegression(C=c, max_iter=2000, tol=1e-6)
    clf.fit(x, y, sample_weight=np.array(featurized.weights) if featurized.weights else None)
    # sklearn orders classes by value: 0, 1, 2 = LABEL_ORDER.
    coef = clf.coef_.T  # (E + V, 3)
    e = ev.shape[1]
    info = {
        "texts": len(labels),
        **{f"texts_{lab}": labels.count(lab) for lab in LABEL_ORDER},
        "c": c,
        "min_df": min_df,
        **(meta or {}),
    }
    return RelevanceClassifier(
        vocabulary=vocab,
        ev_mean=mean,
        ev_scale=scale,
        ev_coef=np.array(coef[:e]),
        text_coef=np.array(coef[e:]),
        intercept=np.array(clf.intercept_),
        text_scale=text_scale,
        meta=info,
    )


def _design(
    featurized: Featurized, vocab: dict[str, int], mean: np.ndarray, scale: np.ndarray, text_scale: float
) -> csr_matrix:
    from scipy.sparse import csr_matrix, hstack

    n = len(featurized.labels)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, keys in enumerate(featurized.keys):
        idx = sorted(vocab[k] for k in keys if k in vocab)
        if idx:
            v = text_scale / math.sqrt(len(idx))
            rows += [r] * len(idx)
            cols += idx
            vals += [v] * len(idx)
    text = csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)))
    dense = csr_matrix((featurized.evidence - mean) / scale)
    return hstack([dense, text], format="csr")


def stack(rows: Iterable[tuple[list[float], set[str], str, float]]) -> Featurized:
    ev: list[list[float]] = []
    keys: list[set[str]] = []
    labels: list[str] = []
    weights: list[float] = []
    for e, k, lab, w in rows:
        ev.append(e)
        keys.append(k)
        labels.append(lab)
        weights.append(w)
    uniform = all(w == 1.0 for w in weights)
    return Featurized(
        np.array(ev, dtype=float).reshape(len(ev), len(EVIDENCE_NAMES)),
        keys,
        labels,
        None if uniform else weights,
    )


def folds(
    texts: Sequence[TrainingText], k: int, dup_of: dict[str, str] | None = None, seed: int = 0
) -> list[int]:
    """Fold number (0..k-1) of each text: stratified by label and language,
    near-duplicates (`dup_of`, by id) always in one fold. Deterministic."""
    import random

    if k < 2:
        raise ValueError("--cv needs at least 2 folds")
    dup_of = dup_of or {}
    ids = [t.id or f"#{n}" for n, t in enumerate(texts)]

    def root(i: str) -> str:
        seen = set()
        while i in dup_of and i not in seen:
            seen.add(i)
            i = dup_of[i]
        return i

    groups: dict[str, list[int]] = {}
    for n, i in enumerate(ids):
        groups.setdefault(root(i), []).append(n)
    strata: dict[tuple[str, str], list[str]] = {}
    for g, members in groups.items():
        first = texts[members[0]]
        strata.setdefault((first.label, first.lang), []).append(g)
    rng = random.Random(seed)
    out = [0] * len(texts)
    turn = 0
    for key in sorted(strata):
        gs = sorted(strata[key])
        rng.shuffle(gs)
        for g in gs:
            for n in groups[g]:
                out[n] = turn % k
            turn += 1
    return out


# Classifiers loaded in this process, by the sha256 of their file's bytes. A daemon's zygote loads
# the crawls' model once (monitor.daemon.zygote) and every crawl it forks finds it here, unless its
# file has changed since.
_SHARED: dict[str, RelevanceClassifier] = {}
_SHARED_MAX = 4


def shared_classifier(path: Path) -> RelevanceClassifier:
    """`RelevanceClassifier.load(path)`, once per process for the same file contents (a changed
    file is read anew). Classifiers are not changed after they are loaded, so models may share one."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return RelevanceClassifier.load(path)  # which says which file and why
    key = hashlib.sha256(data).hexdigest()
    classifier = _SHARED.get(key)
    if classifier is None:
        classifier = RelevanceClassifier.load(path, data)
        while len(_SHARED) >= _SHARED_MAX:
            del _SHARED[next(iter(_SHARED))]
        _SHARED[key] = classifier
    return classifier
