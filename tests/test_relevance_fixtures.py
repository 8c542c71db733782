"""An independent check of the relevance model: the mirror's fixture articles.

The fixtures under tests/mirror/src/<site>/ were written by other people for
the crawl tests, each with a ground-truth `relevance` (core/national/none) set
by the labeling rules in ../shared/eval/README.md. The model was not tuned on
them, so they measure how well its rules carry to new phrasing.

    python tests/test_relevance_fixtures.py   # prints the confusion and the misjudged
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.relevance import LABELS, RelevanceModel

SRC = Path(__file__).resolve().parent / "mirror" / "src"

# Sites whose site.toml has no `lang`: the language of their copy.
_SITE_LANG = {
    "tass": "ru",
    "vovworld": "ru",
    "hanoitimes": "en",
    "vietnamplus_en": "en",
    "vietnamplus_ru": "ru",
}
_TAG_RE = re.compile(r"<[^>]+>")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class Fixture:
    site: str
    id: str
    lang: str
    title: str
    lead: str
    body: str
    gold: str
    hard_negative: bool


def _lang(site: str, meta: dict, sample: str) -> str:
    if isinstance(meta.get("lang"), str):
        return meta["lang"]
    if site in _SITE_LANG:
        return _SITE_LANG[site]
    # A site added later: Cyrillic copy is Russian, anything else is Vietnamese
    # unless it has no Vietnamese letters at all.
    if len(_CYRILLIC_RE.findall(sample)) > len(sample) // 4:
        return "ru"
    return "en" if sample.isascii() else "vi"


def _text(value: object) -> str:
    if isinstance(value, list):
        return "\n".join(_TAG_RE.sub("", str(p)) for p in value)
    return _TAG_RE.sub("", str(value or ""))


def load_fixtures(src: Path = SRC) -> list[Fixture]:
    out: list[Fixture] = []
    for site_dir in sorted(p for p in src.iterdir() if (p / "site.toml").exists()):
        files = sorted((site_dir / "articles").glob("*.toml")) if (site_dir / "articles").is_dir() else []
        if (site_dir / "articles.toml").exists():
            files.append(site_dir / "articles.toml")
        if not files:
            continue
        meta = tomllib.loads((site_dir / "site.toml").read_text(encoding="utf-8"))
        for f in files:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
            for a in data.get("article", []):
                if a.get("relevance") not in LABELS:
                    continue
                title, lead, body = _text(a.get("title")), _text(a.get("sapo")), _text(a.get("body"))
                out.append(
                    Fixture(
                        site=site_dir.name,
                        id=str(a["id"]),
                        lang=_lang(site_dir.name, meta, title + lead),
                        title=title,
                        lead=lead,
                        body=body,
                        gold=a["relevance"],
                        hard_negative=bool(a.get("hard_negative")),
                    )
                )
    return out


def classify(model: RelevanceModel, fixtures: list[Fixture]) -> list[tuple[Fixture, str, float]]:
    out = []
    for fx in fixtures:
        j = model.judge(fx.title, fx.body, lead=fx.lead, lang=fx.lang)
        out.append((fx, j.label, j.score))
    return out


def report(results: list[tuple[Fixture, str, float]]) -> str:
    lines = [f"{len(results)} fixture articles from {len({fx.site for fx, _, _ in results})} sites"]
    lines.append("confusion (rows gold, columns predicted)")
    lines.append(f"{'':<10}" + "".join(f"{p:>10}" for p in LABELS))
    for g in LABELS:
        lines.append(
            f"{g:<10}"
            + "".join(f"{sum(1 for fx, p, _ in results if fx.gold == g and p == p2):>10d}" for p2 in LABELS)
        )
    for lab in LABELS:
        p, r = precision_recall(results, lab)
        lines.append(f"{lab}: P={p:.3f} R={r:.3f}")
    for fx, p, s in results:
        if p != fx.gold:
            lines.append(f"  {fx.site}/{fx.id} ({fx.lang}): {fx.gold} -> {p} ({s:.3f}) {fx.title[:70]}")
    return "\n".join(lines)


def precision_recall(results: list[tuple[Fixture, str, float]], label: str) -> tuple[float, float]:
    tp = sum(1 for fx, p, _ in results if fx.gold == label and p == label)
    fp = sum(1 for fx, p, _ in results if fx.gold != label and p == label)
    fn = sum(1 for fx, p, _ in results if fx.gold == label and p != label)
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


@pytest.fixture(scope="module")
def results() -> list[tuple[Fixture, str, float]]:
    fixtures = load_fixtures()
    assert fixtures, "no fixture articles under tests/mirror/src"
    return classify(RelevanceModel.load(), fixtures)


def test_fixtures_cover_all_three_languages_and_labels(results: list[tuple[Fixture, str, float]]) -> None:
    assert {fx.lang for fx, _, _ in results} == {"vi", "en", "ru"}
    assert {fx.gold for fx, _, _ in results} == set(LABELS)


def test_core_precision_and_recall_on_fixtures(results: list[tuple[Fixture, str, float]]) -> None:
    p, r = precision_recall(results, "core")
    print(report(results))
    assert p >= 0.9 and r >= 0.9, report(results)


def test_fixture_hard_negatives_are_not_core(results: list[tuple[Fixture, str, float]]) -> None:
    leaked = [f"{fx.site}/{fx.id}" for fx, p, _ in results if fx.hard_negative and p == "core"]
    assert not leaked


def test_fixture_core_and_national_mostly_kept_apart(results: list[tuple[Fixture, str, float]]) -> None:
    crossed = [f"{fx.site}/{fx.id}" for fx, p, _ in results if {fx.gold, p} == {"core", "national"}]
    n = sum(1 for fx, _, _ in results if fx.gold in ("core", "national"))
    assert len(crossed) <= 0.1 * n, crossed


if __name__ == "__main__":
    print(report(classify(RelevanceModel.load(), load_fixtures())))
