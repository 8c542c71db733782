"""The relevance model: Hanoi–Russia cooperation (core), Vietnam–Russia
cooperation without a Hanoi party (national), or neither (none).

How a judgement is made
1. Terms (data in terms/*.toml) are found in title, lead and body, each
   tagged with a side (hanoi, russia, vietnam, national, locality, pair,
   cooperation, negative) and a kind (a Hanoi *party* vs Hanoi as a *venue*...).
2. Each match is weighted by where it stands (title > lead > body) and by how
   article-like its line is (menus and link lists count for nothing, headline-
   like lines for little); wire datelines ("Hanoi (VNA) -") count for nothing.
3. Evidence that Hanoi is a *party* (its bodies, institutions, city-to-city
   framing) must appear in more than one sentence, or in the title, next to a
   Russian side and cooperation words; otherwise an article with Russia,
   a Vietnamese side and cooperation is national.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from .classifier import (
    LABEL_ORDER,
    Featurized,
    RelevanceClassifier,
    TrainingText,
    evidence_vector,
    shared_classifier,
    stack,
    text_keys,
)
from .evidence import Evidence, Match, collect, decide, weigh
from .terms import Lexicon, Term, builtin_term_files, shared_lexicon
from .text import Prepared, Token, is_plain, prepare

__all__ = ["Reason", "Judgement", "RelevanceModel", "LABELS"]

LABELS = ("core", "national", "none")

# The classifier shipped with the package (tools/train_relevance_model.py makes it).
SHIPPED_MODEL = Path(__file__).resolve().parent / "data" / "relevance-model.npz"

# Bumped when the scoring rules change, so stored judgements go stale even if
# the term files did not change.
RULES_VERSION = "3"  # 3: core needs both parties; no Vietnamese side is none

_GAP_RE = re.compile(r"[ \t\-'\"«»,.&/()]{0,4}")


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence: a phrase as it stands in the text."""

    phrase: str
    side: str  # hanoi | russia | vietnam | national | locality | pair | cooperation | negative
    field: str  # title | lead | body
    kind: str = ""  # e.g. party, venue, place, city_gov, named, dateline
    weight: float = 0.0  # what it contributed after field/boilerplate weighting

    def to_dict(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase,
            "side": self.side,
            "field": self.field,
            "kind": self.kind,
            "weight": self.weight,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reason:
        return cls(
            phrase=str(d["phrase"]),
            side=str(d["side"]),
            field=str(d["field"]),
            kind=str(d.get("kind", "")),
            weight=float(d.get("weight", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Judgement:
    label: str  # core | national | none
    score: float  # [0, 1]; none < 0.3 <= national < 0.6 <= core
    reasons: list[Reason] = field(default_factory=list)
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "label": self.label,
            "score": round(self.score, 4),
            "reasons": [r.to_dict() for r in self.reasons],
        }
        if self.version:
            d["version"] = self.version
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Judgement:
        label = str(d["label"])
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}")
        return cls(
            label=label,
            score=float(d["score"]),
            reasons=[Reason.from_dict(r) for r in d.get("reasons", [])],
            version=str(d.get("version", "")),
        )


class RelevanceModel:
    """Rules over term data find the evidence and the reasons; a trained
    classifier (classifier.py), when loaded, decides label and score from
    that evidence and the words. Build with `RelevanceModel.load()`."""

    def __init__(self, lexicon: Lexicon, classifier: RelevanceClassifier | None = None) -> None:
        self._lex = lexicon
        self.classifier = classifier
        # (id of one of this lexicon's term lists, text words as written) -> the
        # terms whose accents those words fit (see `_take`).
        self._passing: dict[tuple[int, Any], list[Term]] = {}
        parts = RULES_VERSION + lexicon.digest + (f"+{classifier.digest}" if classifier else "")
        self.version = hashlib.sha256(parts.encode()).hexdigest()[:12]

    @classmethod
    def load(
        cls, extra_terms: Path | None = None, model_file: Path | None = None, rules_only: bool = False
    ) -> RelevanceModel:
        """Built-in terms plus an optional user TOML file of the same shape, and
        the classifier from `model_file` (default: the one shipped with the
        package); `rules_only` leaves the classifier out. Both are built once per
        process for the same file contents (`shared_lexicon`, `shared_classifier`)."""
        files = builtin_term_files()
        if extra_terms is not None:
            files = files + [Path(extra_terms)]
        classifier = (
            None if rules_only else shared_classifier(Path(model_file) if model_file else SHIPPED_MODEL)
        )
        return cls(shared_lexicon(files), classifier)

    def with_classifier(self, classifier: RelevanceClassifier | None) -> RelevanceModel:
        """The same terms with another classifier (or none)."""
        return type(self)(self._lex, classifier)

    # ------------------------------------------------------------ matching
    def _find(self, prep: Prepared) -> list[Match]:
        lex = self._lex
        words = prep.words
        n = len(words)
        # One cached lookup per word gives its folded form, accent, phrase
        # keys and phrase starts; the columns are then split off in C.
        infos = lex.word_infos(words)
        prep.folded = list(map(itemgetter(0), infos))
        # Lower-case original words, or None where they carry no accent (the
        # common case, for which the accent check is trivially true).
        prep.orig = list(map(itemgetter(1), infos))
        found: dict[tuple[int, int, str], Match] = {}
        # Only words that start some phrase can start a match: most cannot.
        # (Phrase keys and starts are read from `infos` where needed: columns
        # of them would cost more than the few lookups.)
        take = self._take
        unit_of, text, starts, ends = prep.token_unit, prep.text, prep.starts, prep.ends
        for i in compress(range(n), map(itemgetter(3), infos)):
            for children, terms in infos[i][3]:
                if terms:
                    take(prep, i, 1, terms, found)
                if not children or i + 1 >= n:
                    continue
                # Walk the phrase trie word by word; most starts die at word
                # two, so that word is tried before any stack is built.
                j = i + 1
                stack = []
                for k in infos[j][2]:
                    nxt = children.get(k)
                    if nxt is None:
                        continue
                    sub, terms = nxt
                    # Two words in one sentence with one space between are
                    # joined (the common case of `_joined`, without a call).
                    if terms and (
                        (unit_of[j] == unit_of[i] and text[ends[i] : starts[j]] == " ")
                        or self._joined(prep, i, 2)
                    ):
                        take(prep, i, 2, terms, found)
                    if sub and j + 1 < n:
                        stack.append((sub, j + 1))
                while stack:
                    children, j = stack.pop()
                    for k in infos[j][2]:
                        nxt = children.get(k)
                        if nxt is None:
                            continue
                        sub, terms = nxt
                        if terms and self._joined(prep, i, j + 1 - i):
                            take(prep, i, j + 1 - i, terms, found)
                        if sub and j + 1 < n:
                            stack.append((sub, j + 1))
        return self._resolve(found)

    def _take(
        self, prep: Prepared, i: int, L: int, terms: list[Term], found: dict[tuple[int, int, str], Match]
    ) -> None:
        got = prep.orig[i] if L == 1 else tuple(prep.orig[i : i + L])
        # Unaccented text words (most of them) pass the accent check as is;
        # for the others the terms that pass depend only on the words as
        # written, so the check is done once per (terms, words) and cached.
        if got is None or (L > 1 and not any(got)):
            passing = terms
        else:
            ck = (id(terms), got)
            passing = self._passing.get(ck)  # type: ignore[assignment]
            if passing is None:
                passing = _accent_passing(terms, got, L)
                if len(self._passing) > 100_000:  # bound memory in long-running processes
                    self._passing.clear()
                self._passing[ck] = passing
        unit = prep.token_unit[i]
        j = i + L
        for term in passing:
            if term.check and not self._check(term.check, prep, i, L):
                continue
            side = term.side
            key = (i, j, side)
            old = found.get(key)
            if old is None or term.weight > old.term.weight:
                found[key] = Match(i, j, term, side, term.kind, unit)

    def _resolve(self, found: dict[tuple[int, int, str], Match]) -> list[Match]:
        # A longer phrase of the same side hides the shorter ones inside it
        # ("Hanoi People's Committee" is one party mention, not also a place);
        # block phrases hide everything inside them.
        ms = sorted(found.values(), key=lambda m: (m.i - m.j, m.i))
        covers: dict[int, list[Match]] = {}  # token -> kept multi-word matches over it
        kept: list[Match] = []
        for m in ms:
            hidden = False
            for k in covers.get(m.i, ()):
                # An unnamed city body inside a named one ("chính quyền thành
                # phố Mát-xcơ-va") belongs to the named city, whatever its side.
                if (
                    m.j <= k.j
                    and (k.j - k.i) > (m.j - m.i)
                    and (k.side == m.side or k.side == "block" or m.side == "city")
                ):
                    hidden = True
                    break
            if hidden:
                continue
            kept.append(m)
            if m.j - m.i > 1:
                for t in range(m.i, m.j):
                    covers.setdefault(t, []).append(m)
        return sorted([m for m in kept if m.side != "block"], key=_START)

    def _joined(self, prep: Prepared, i: int, L: int) -> bool:
        """Words of a phrase must be adjacent in one sentence ("St. Petersburg" yes, "Hanoi. Moscow" no)."""
        starts, ends = prep.starts, prep.ends
        u = prep.token_unit[i]
        text = prep.text
        for k in range(i, i + L - 1):
            if prep.token_unit[k + 1] != u:
                return False
            gap = text[ends[k] : starts[k + 1]]
            if gap == " ":
                continue
            if not _GAP_RE.fullmatch(gap):
                return False
            if "." in gap and ends[k] - starts[k] > 3:
                return False
        return True

    def _check(self, check: str, prep: Prepared, i: int, L: int) -> bool:
        starts, ends, folded = prep.starts, prep.ends, prep.folded
        text = prep.text
        names = self._lex.vi_names

        def prev(k: int) -> Token | None:
            if k - 1 < 0 or prep.token_unit[k - 1] != prep.token_unit[k]:
                return None
            if text[ends[k - 1] : starts[k]].strip():
                return None  # punctuation between: not one name
            return (starts[k - 1], ends[k - 1], folded[k - 1])

        def upper(t: Token) -> bool:
            return text[t[0]].isupper()

        if check == "vi_person_name":
            p = prev(i)
            if p is None:
                return True
            if p[2] in names.get("titles", ()):
                return False
            pp = prev(i - 1)
            if pp is not None and f"{pp[2]} {p[2]}" in names.get("titles", ()):
                return False
            if upper(p):
                if p[2] in names.get("given", ()) or p[2] in names.get("surnames", ()):
                    return False
                if pp is not None and upper(pp) and pp[2] in names.get("surnames", ()):
                    return False
            return True
        if check == "vi_capital":
            if not text[starts[i]].isupper():
                return False  # lower-case "thủ đô" is any capital
            p = prev(i)
            if p is not None and p[2] in ("hai", "cac", "nhung"):
                return False
            j = i + L
            if (
                j < len(starts)
                and prep.token_unit[j] == prep.token_unit[i]
                and not text[ends[j - 1] : starts[j]].strip()
            ):
                nxt = (starts[j], ends[j], folded[j])
                if upper(nxt) or nxt[2] in ("cua", "hai", "cac", "nuoc", "moi"):
                    return False  # "Thủ đô Kiev", "thủ đô của Ukraine"
            return True
        return True

    # ------------------------------------------------------------ judging
    def judge(self, title: str, body: str, lead: str = "", lang: str | None = None) -> Judgement:
        """Label one article. `lang` is accepted for callers' convenience; the
        terms of all three languages are matched regardless, since they do not
        collide and copy often mixes them."""
        prep = prepare(title, body, lead)
        evidence = self.evidence(prep)
        label, score = decide(evidence)
        # Neither core nor national holds without a Russian side, nor without
        # a Vietnamese one (Vietnam, a Vietnamese locality or Hanoi; Russia
        # with itself or a third country is none): such articles (most of a
        # crawl) keep the rule's "none" and its score.
        if self.classifier is not None and evidence.russia > 0 and evidence.vietnamese_side:
            p = self.classifier.probabilities(prep, evidence, label)
            if not evidence.both_parties:
                p = _without_core(p)
            label, score = _from_probabilities(p)
        return Judgement(
            label=label, score=round(score, 4), reasons=self.reasons(prep, evidence), version=self.version
        )

    def evidence(self, prep: Prepared) -> Evidence:
        """Steps 1 and 2 (see evidence.py): matches → mentions → evidence."""
        return weigh(prep, collect(prep, self._find(prep)))

    def featurize(self, texts: Iterable[TrainingText]) -> Featurized:
        """Training texts as the classifier's features (evidence from these terms)."""
        rows = []
        for t in texts:
            prep = prepare(t.title, t.text, t.lead)
            ev = self.evidence(prep)
            rows.append((evidence_vector(ev, decide(ev)[0]), text_keys(prep), t.label, t.weight))
        return stack(rows)

    @staticmethod
    def reasons(prep: Prepared, ev: Evidence) -> list[Reason]:
        """The mentions as readers see them, strongest first (at most 40)."""
        out: list[Reason] = []
        seen: set[tuple[str, str, str, str]] = set()
        starts, ends, text, units = prep.starts, prep.ends, prep.text, prep.units
        cache = _REASONS
        for m, party in zip(ev.mentions, ev.party_weights):
            phrase = text[starts[m.i] : ends[m.j - 1]]
            field_ = units[m.unit].field
            kind = m.kind
            if m.side == "pair" and m.kind != "name" and m.weight > 0 and party == 0:
                kind = f"{kind}-unconfirmed"
            key = (phrase.lower(), m.side, field_, kind)
            if key in seen:
                continue
            seen.add(key)
            # Reasons are immutable and recur (the same phrase in the same
            # place and weight): one shared instance each.
            rkey = (phrase, m.side, field_, kind, m.weight)
            r = cache.get(rkey)
            if r is None:
                r = Reason(phrase=phrase, side=m.side, field=field_, kind=kind, weight=round(m.weight, 3))
                if len(cache) > 50_000:  # bound memory in long-running processes
                    cache.clear()
                cache[rkey] = r
            out.append(r)
        # Strongest first so a reader sees why at a glance; cap the list.
        out.sort(key=_NEG_WEIGHT)
        return out[:40]


_START = attrgetter("i")
_REASONS: dict[tuple[str, str, str, str, float], Reason] = {}


def _NEG_WEIGHT(r: Reason) -> float:
    return -r.weight


def _without_core(p: dict[str, float]) -> dict[str, float]:
    """The probabilities given that the article cannot be core (see
    `Evidence.both_parties`): core's share spread over the other labels."""
    rest = 1.0 - p["core"]
    if rest <= 0.0:
        return {"core": 0.0, "national": 0.5, "none": 0.5}
    return {lab: (0.0 if lab == "core" else v / rest) for lab, v in p.items()}


def _from_probabilities(p: dict[str, float]) -> tuple[str, float]:
    """The most probable label, and a score in that label's band
    (none < 0.3 <= national < 0.6 <= core) that grows with its certainty."""
    label = max(LABEL_ORDER, key=lambda lab: p[lab])
    if label == "core":
        return label, 0.6 + 0.4 * p["core"]
    if label == "national":
        return label, 0.3 + 0.3 * p["national"]
    return label, 0.3 * (1.0 - p["none"])


def _accent_passing(terms: list[Term], got: Any, L: int) -> list[Term]:
    """The terms of `terms` that words `got` (one word, or a tuple of L) may stand for:
    a word written with diacritics only matches the same diacritics or none."""
    out = []
    for term in terms:
        acc = term.accented
        if L == 1:
            want = acc[0] if len(acc) == 1 else None
            if want is not None and got != want and not _word_accents_ok(got, want):
                continue
        elif len(acc) == L:
            if not all(g is None or w is None or g == w or _word_accents_ok(g, w) for g, w in zip(got, acc)):
                continue
        out.append(term)
    return out


_ACCENTS_OK: dict[tuple[str, str], bool] = {}


def _word_accents_ok(got: str, want: str) -> bool:
    """Does text word `got` fit term word `want` (same folded form)? Every
    letter that differs must be written plain. Cached: pairs recur."""
    ok = _ACCENTS_OK.get((got, want))
    if ok is None:
        ok = len(got) != len(want) or all(g == w or is_plain(g) for g, w in zip(got, want))
        if len(_ACCENTS_OK) > 100_000:  # bound memory in long-running processes
            _ACCENTS_OK.clear()
        _ACCENTS_OK[(got, want)] = ok
    return ok
