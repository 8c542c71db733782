"""Does a change to the relevance model's mechanics keep its outputs? Compares,
text by text, what the model in this checkout and the model at a git revision
compute: label, score, reasons, the evidence features, the rule's own label,
the classifier's probabilities and its word keys (and the rules-only judgement).

    python bench/relevance_same.py [--baseline REV] [--save FILE] [--against FILE]

The texts are read at run time and never stored in the repository: the shared
eval sets and real pages (../shared), the own examples (tools/), the mirror's
fixture articles (tests/mirror/src) and generated pages (monitor/mirror_sites),
each also in a few variants (upper case, no title, no line breaks, typographic
quotes) to reach the rarer code paths. Exits 1 when any output differs.
--save writes the outputs (JSON lines) for a later --against; keep such files
outside the repository, they quote the texts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SHARED = ROOT.parent / "shared"

Text = tuple[str, str, str, str]  # name, title, body, lead


def _html_text(path: Path) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(["script", "style"]):
        tag.decompose()
    body = soup.body or soup
    return title, body.get_text("\n")


def base_texts() -> Iterator[Text]:
    for path in sorted((SHARED / "eval").glob("*.jsonl")) + [ROOT / "tools" / "relevance_examples.jsonl"]:
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                r = json.loads(line)
                yield f"{path.name}:{r.get('id', n)}", r.get("title", ""), r["text"], r.get("lead", "")
    sys.path.insert(0, str(ROOT / "tests"))
    from test_relevance_fixtures import load_fixtures

    for fx in load_fixtures():
        yield f"fixture:{fx.site}/{fx.id}", fx.title, fx.body, fx.lead
    pages = sorted((ROOT / "monitor" / "mirror_sites").rglob("*"))
    pages += sorted((SHARED / "real_pages").glob("*.html"))
    for path in pages:
        if path.is_file() and path.suffix in (".html", ".vnp", ".htm"):
            title, body = _html_text(path)
            yield f"page:{path.name}", title, body, ""


def texts() -> Iterator[Text]:
    for name, title, body, lead in base_texts():
        yield name, title, body, lead
        yield name + "|upper", title.upper(), body.upper(), lead.upper()
        yield name + "|notitle", "", body, lead
        yield name + "|oneline", title, body.replace("\n", " "), lead
        yield (
            name + "|typo",
            title.replace("'", "\u2019").replace('"', "\u201c"),
            body.replace("-", "\u2013").replace(" ", "\u00a0", 3).replace("'", "\u2019"),
            lead,
        )
    yield "empty", "", "", ""


def outputs(pkg: str, full: Any, rules: Any, text: Text) -> dict[str, Any]:
    """Everything the model computes for one text that a caller or trainer sees."""
    import importlib

    _, title, body, lead = text
    text_mod = importlib.import_module(f"{pkg}.text")
    ev_mod = importlib.import_module(f"{pkg}.evidence")
    clf_mod = importlib.import_module(f"{pkg}.classifier")
    j = full.judge(title, body, lead=lead)
    r = rules.judge(title, body, lead=lead)
    prep = text_mod.prepare(title, body, lead)
    ev = full.evidence(prep)
    rule_label = ev_mod.decide(ev)
    out: dict[str, Any] = {
        "judgement": j.to_dict(),
        "rules": r.to_dict(),
        "features": ev.features(),
        "decide": list(rule_label),
        "mentions": [[m.i, m.j, m.side, m.kind, m.unit, m.weight] for m in ev.mentions],
        "party_weights": list(ev.party_weights),
        "keys": sorted(clf_mod.text_keys(prep)),
    }
    if full.classifier is not None:
        p = full.classifier.probabilities(prep, ev, rule_label[0])
        out["proba"] = [p[k] for k in sorted(p)]
    return out


def load_rev(rev: str, tmp: Path) -> tuple[str, Any]:
    from bench_relevance import load_baseline

    cls = load_baseline(rev, tmp)
    return "_relevance_baseline", cls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", metavar="REV", help="compare with the model at this git revision")
    ap.add_argument("--save", type=Path, help="write this checkout's outputs here (JSON lines)")
    ap.add_argument("--against", type=Path, help="compare with outputs saved by --save")
    args = ap.parse_args()

    from monitor.relevance import RelevanceModel

    all_texts = list(texts())
    cur = (RelevanceModel.load(), RelevanceModel.load(rules_only=True))
    mine = [outputs("monitor.relevance", *cur, t) for t in all_texts]
    print(f"{len(all_texts)} texts (with variants)")
    if args.save:
        with open(args.save, "w", encoding="utf-8") as fh:
            for t, o in zip(all_texts, mine):
                fh.write(json.dumps({"name": t[0], **o}, ensure_ascii=False) + "\n")
        print(f"outputs written to {args.save}")
    refs: list[tuple[str, list[dict[str, Any]]]] = []
    tmp = tempfile.TemporaryDirectory()
    if args.baseline:
        pkg, cls = load_rev(args.baseline, Path(tmp.name))
        old = (cls.load(), cls.load(rules_only=True))
        refs.append((args.baseline, [outputs(pkg, *old, t) for t in all_texts]))
    if args.against:
        saved = [json.loads(line) for line in args.against.read_text(encoding="utf-8").splitlines()]
        refs.append((str(args.against), [{k: v for k, v in d.items() if k != "name"} for d in saved]))
    bad = 0
    for label, ref in refs:
        if len(ref) != len(mine):
            print(f"{label}: {len(ref)} texts, this checkout {len(mine)}")
            bad += 1
            continue
        diff = 0
        for t, a, b in zip(all_texts, mine, ref):
            a = json.loads(json.dumps(a, ensure_ascii=False))
            b = json.loads(json.dumps(b, ensure_ascii=False))
            if a != b:
                diff += 1
                if diff <= 5:
                    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
                    print(f"  differs: {t[0]}: {', '.join(keys)}")
                    for k in keys[:2]:
                        print(f"    now {str(a.get(k))[:300]}\n    was {str(b.get(k))[:300]}")
        print(f"against {label}: {diff} of {len(mine)} texts differ")
        bad += diff
    tmp.cleanup()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
