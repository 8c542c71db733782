"""Make the relevance classifier that ships with newsmon.

    python tools/train_relevance_model.py [--out FILE] [--cv K]

Trains on the shared dev set (../shared/eval/*.jsonl beside the checkout: other
people's texts, read here and never copied into the repository) plus our own
written examples (tools/relevance_examples.jsonl), with the built-in terms and
the same trainer as `newsmon train-relevance`, and writes
monitor/relevance/data/relevance-model.npz. Deterministic: the same inputs give
the same weights (tests/test_relevance_classifier.py checks the shipped file).

--cv K prints K-fold cross-validated scores on the same texts instead (the
figures to quote; never the scores of the shipped model on its training texts).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.relevance.model import SHIPPED_MODEL, RelevanceModel  # noqa: E402
from monitor.relevance.training import LabeledSet, cross_validate, read_labeled, train_model  # noqa: E402

SHARED_EVAL = ROOT.parent / "shared" / "eval"
OWN_EXAMPLES = ROOT / "tools" / "relevance_examples.jsonl"


def training_files() -> list[Path]:
    shared = sorted(SHARED_EVAL.glob("*.jsonl"))
    if not shared:
        raise SystemExit(
            f"no labeled texts in {SHARED_EVAL}: the shared dev set must sit beside the checkout"
        )
    return shared + [OWN_EXAMPLES]


def training_set() -> LabeledSet:
    data = LabeledSet()
    for path in training_files():
        data.extend(read_labeled(path))
    if data.errors:
        raise SystemExit("bad training lines:\n" + "\n".join(data.errors))
    return data


def build(out: Path) -> str:
    """Train on the dev set and our examples, write `out`; the model version."""
    data = training_set()
    base = RelevanceModel.load(rules_only=True)
    names = [p.name for p in training_files()]
    clf = train_model(base, data.texts, meta={"trained_on": names})
    clf.save(out)
    return base.with_classifier(clf).version


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=SHIPPED_MODEL, help=f"model file (default {SHIPPED_MODEL})")
    ap.add_argument("--cv", type=int, metavar="K", help="print K-fold cross-validated scores instead")
    args = ap.parse_args()
    if args.cv:
        data = training_set()
        cv = cross_validate(RelevanceModel.load(rules_only=True), data, args.cv)
        for lab, m in cv.pooled["labels"].items():
            print(
                f"{lab:<10} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  n {m['support']}"
            )
        return
    version = build(args.out)
    print(f"wrote {args.out} (model version {version})")


if __name__ == "__main__":
    main()
