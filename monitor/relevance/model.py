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
from itertools import compress
from operator import itemgetter
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .terms import Lexicon, Term, builtin_term_files, load_lexicon
from .text import Prepared, Token, is_plain, prepare

__all__ = ["Reason", "Judgement", "RelevanceModel", "LABELS"]

LABELS = ("core", "national", "none")

# Bumped when the scoring rules change, so stored judgements go stale even if
# the term files did not change.
RULES_VERSION = "2"

_FIELD_WEIGHT = {"title": 2.5, "lead": 1.5, "body": 1.0}
_GAP_RE = re.compile(r"[ \t\-'\"«»,.&/()]{0,4}")
# Between words of one institution's name: spaces, hyphens, apostrophes, quotes.
_NAME_GAP_RE = re.compile(r" ?[-'\"«»]? ?")
# Folded words that end an institution's name: after them Hanoi is a place or
# a counterpart, not part of the name ("Công ty Nga tại Hà Nội", "office in Hanoi").
_NAME_STOP = frozenset(
    "tai o den toi vao voi cho tu ve sang tham giua ra khap quanh tren "
    "in at to from with for into between visit visits visited visiting near across around "
    "в во на из с со для к ко между по при у".split()
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence: a phrase as it stands in the text."""

    phrase: str
    side: str  # hanoi | russia | vietnam | national | locality | pair | cooperation | negative
    field: str  # title | lead | body
    kind: str = ""  # e.g. party, venue, place, city_gov, named, dateline
    weight: float = 0.0  # what it contributed after field/boilerplate weighting

    def to_dict(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "side": self.side, "field": self.field, "kind": self.kind, "weight": self.weight}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Reason":
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
    def from_dict(cls, d: dict[str, Any]) -> "Judgement":
        label = str(d["label"])
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}")
        return cls(
            label=label,
            score=float(d["score"]),
            reasons=[Reason.from_dict(r) for r in d.get("reasons", [])],
            version=str(d.get("version", "")),
        )


@dataclass(slots=True)
class _Match:
    i: int  # first token
    j: int  # one past last token
    term: Term
    side: str
    kind: str
    unit: int
    weight: float = 0.0  # after field/line weighting


class RelevanceModel:
    """Rule model over term data. Build with `RelevanceModel.load()`."""

    def __init__(self, lexicon: Lexicon, files: list[Path]) -> None:
        self._lex = lexicon
        self._files = files
        self.version = hashlib.sha256((RULES_VERSION + lexicon.digest).encode()).hexdigest()[:12]

    @classmethod
    def load(cls, extra_terms: Path | None = None) -> "RelevanceModel":
        """Built-in terms plus an optional user TOML file of the same shape."""
        files = builtin_term_files()
        if extra_terms is not None:
            files = files + [Path(extra_terms)]
        return cls(load_lexicon(files), files)

    # ------------------------------------------------------------ matching
    def _find(self, prep: Prepared) -> list[_Match]:
        lex = self._lex
        words = prep.words
        n = len(words)
        # One cached lookup per word gives its folded form, accent, phrase
        # keys and phrase starts; the columns are then split off in C.
        infos = list(map(lex._word_cache.get, words))
        if None in infos:
            info = lex.word_info
            infos = [x or info(w) for x, w in zip(infos, words)]
        prep.folded = list(map(itemgetter(0), infos))
        # Lower-case original words, or None where they carry no accent (the
        # common case, for which the accent check is trivially true).
        prep.orig = list(map(itemgetter(1), infos))
        keys = list(map(itemgetter(2), infos))
        roots = list(map(itemgetter(3), infos))
        found: dict[tuple[int, int, str], _Match] = {}
        # Only words that start some phrase can start a match: most cannot.
        take = self._take
        unit_of, text, starts, ends = prep.token_unit, prep.text, prep.starts, prep.ends
        for i in compress(range(n), roots):
            for children, terms in roots[i]:
                if terms:
                    take(prep, i, 1, terms, found)
                if not children or i + 1 >= n:
                    continue
                # Walk the phrase trie word by word; most starts die at word
                # two, so that word is tried before any stack is built.
                j = i + 1
                stack = []
                for k in keys[j]:
                    nxt = children.get(k)
                    if nxt is None:
                        continue
                    sub, terms = nxt
                    # Two words in one sentence with one space between are
                    # joined (the common case of `_joined`, without a call).
                    if terms and (
                        (unit_of[j] == unit_of[i] and text[ends[i] : starts[j]] == " ") or self._joined(prep, i, 2)
                    ):
                        take(prep, i, 2, terms, found)
                    if sub and j + 1 < n:
                        stack.append((sub, j + 1))
                while stack:
                    children, j = stack.pop()
                    for k in keys[j]:
                        nxt = children.get(k)
                        if nxt is None:
                            continue
                        sub, terms = nxt
                        if terms and self._joined(prep, i, j + 1 - i):
                            take(prep, i, j + 1 - i, terms, found)
                        if sub and j + 1 < n:
                            stack.append((sub, j + 1))
        return self._resolve(found)

    def _take(self, prep: Prepared, i: int, L: int, terms: list[Term], found: dict[tuple[int, int, str], _Match]) -> None:
        # Unaccented text words (most of them) pass the accent check as is.
        if L == 1:
            got = prep.orig[i]
            for term in terms:
                if got is not None:
                    want = term.accented[0] if len(term.accented) == 1 else None
                    if want is not None and got != want and not _word_accents_ok(got, want):
                        continue
                if term.check and not self._check(term.check, prep, i, 1):
                    continue
                key = (i, i + 1, term.side)
                old = found.get(key)
                if old is None or term.weight > old.term.weight:
                    found[key] = _Match(i, i + 1, term, term.side, term.kind, prep.token_unit[i])
            return
        plain = not any(prep.orig[i : i + L])
        for term in terms:
            if not plain and not _accents_ok(prep, i, L, term):
                continue
            if term.check and not self._check(term.check, prep, i, L):
                continue
            key = (i, i + L, term.side)
            old = found.get(key)
            if old is None or term.weight > old.term.weight:
                found[key] = _Match(i, i + L, term, term.side, term.kind, prep.token_unit[i])

    def _resolve(self, found: dict[tuple[int, int, str], _Match]) -> list[_Match]:
        # A longer phrase of the same side hides the shorter ones inside it
        # ("Hanoi People's Committee" is one party mention, not also a place);
        # block phrases hide everything inside them.
        ms = sorted(found.values(), key=lambda m: (m.i - m.j, m.i))
        covers: dict[int, list[_Match]] = {}  # token -> kept multi-word matches over it
        kept: list[_Match] = []
        for m in ms:
            hidden = False
            for k in covers.get(m.i, ()):
                # An unnamed city body inside a named one ("chính quyền thành
                # phố Mát-xcơ-va") belongs to the named city, whatever its side.
                if m.j <= k.j and (k.j - k.i) > (m.j - m.i) and (k.side == m.side or k.side == "block" or m.side == "city"):
                    hidden = True
                    break
            if hidden:
                continue
            kept.append(m)
            if m.j - m.i > 1:
                for t in range(m.i, m.j):
                    covers.setdefault(t, []).append(m)
        return sorted((m for m in kept if m.side != "block"), key=lambda m: m.i)

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
            if j < len(starts) and prep.token_unit[j] == prep.token_unit[i] and not text[ends[j - 1] : starts[j]].strip():
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
        matches = self._find(prep)
        return self._decide(prep, matches)

    def _decide(self, prep: Prepared, matches: list[_Match]) -> Judgement:
        units = prep.units
        starts = prep.starts
        datelines = prep.dateline_spans

        # Wire datelines name where the story was filed, not a party.
        for m in matches:
            if datelines:
                s = starts[m.i]
                if any(a <= s < b for a, b in datelines):
                    m.kind = "dateline"
            u = units[m.unit]
            m.weight = 0.0 if m.kind == "dateline" else m.term.weight * _FIELD_WEIGHT[u.field] * u.weight

        # "Hanoi Medical University", "Sở Công Thương Hà Nội", "Ханойский
        # университет": Hanoi next to an institution word names a Hanoi body.
        inst_at = {k for m in matches if m.side == "institution" for k in range(m.i, m.j)}
        if inst_at:
            # Another side's name in between ends the search: "Đại học Moskva
            # và Hà Nội" is not a Hanoi university.
            other_at = {k for m in matches if m.side in ("russia", "locality", "vietnam") for k in range(m.i, m.j)}
            for m in matches:
                if m.side == "hanoi" and m.kind == "place" and m.weight > 0:
                    if self._names_institution(prep, m, inst_at, other_at):
                        m.kind = "party"
        matches = [m for m in matches if m.side != "institution"]

        sums: dict[tuple[str, str], float] = {}
        for m in matches:
            if m.weight > 0:
                sums[(m.side, m.kind)] = sums.get((m.side, m.kind), 0.0) + m.weight

        def total(side: str, kinds: Iterable[str] | None = None) -> float:
            return sum(v for (sd, kd), v in sums.items() if sd == side and (kinds is None or kd in kinds))

        def total_in(side: str, fields: tuple[str, ...]) -> float:
            return sum(m.weight for m in matches if m.side == side and m.weight > 0 and units[m.unit].field in fields)

        hanoi_seen = total("hanoi") + total("pair", ("named",))
        loc_seen = total("locality")
        # Unnamed city bodies ("UBND Thành phố") belong to the article's main city.
        for m in matches:
            if m.side == "city":
                if hanoi_seen > 0 and hanoi_seen >= loc_seen:
                    m.side, m.kind = "hanoi", "city_body"
                else:
                    m.side, m.kind = "locality", "city_body"

        sums.clear()
        for m in matches:
            if m.weight > 0:
                sums[(m.side, m.kind)] = sums.get((m.side, m.kind), 0.0) + m.weight

        russia_city_seen = any(m.side == "russia" and m.kind in ("city", "city_gov") and m.weight > 0 for m in matches)
        city_level = any(
            m.weight > 0
            and (
                (m.side == "hanoi" and m.kind in ("party", "city_body"))
                or (m.side == "pair" and m.kind in ("generic", "event"))
                or (m.side == "russia" and m.kind == "city_gov")
            )
            for m in matches
        )

        # Evidence that Hanoi is a party, per unit.
        def hanoi_party_weight(m: _Match) -> float:
            if m.weight <= 0:
                return 0.0
            if m.side == "hanoi" and m.kind in ("party", "city_body", "residents"):
                return m.weight
            if m.side == "hanoi" and m.kind == "agent":
                # "ties with Hanoi" may mean the Vietnamese state, as "named" below.
                return m.weight if city_level else 0.0
            if m.side == "pair":
                if m.kind == "named":
                    # "Hanoi and Moscow" may stand for the two states; it is city
                    # framing only when city-level actors appear somewhere.
                    return m.weight if city_level else 0.0
                if m.kind == "event":
                    return m.weight if hanoi_seen > 0 else 0.0
                if m.kind == "generic":
                    return m.weight if (hanoi_seen > 0 and russia_city_seen) else 0.0
            return 0.0

        russia = total("russia")
        if not russia > 0:
            # No Russian side that counts: neither core nor national can hold
            # (both require it), so the per-sentence linking below is skipped;
            # score and reasons are computed exactly as at the end.
            coop = total("cooperation")
            neg = total("negative")
            hanoi_nonvenue = total("hanoi", ("place", "party", "city_body", "residents", "agent"))
            topic_off = neg > max(2.0, 0.6 * coop)
            score = _none_score(russia, hanoi_nonvenue, coop, topic_off)
            reasons = self._reasons(prep, matches, hanoi_party_weight)
            return Judgement(label="none", score=round(score, 4), reasons=reasons, version=self.version)

        vietnam_seen = total("vietnam") + total("locality") > 0
        nu = len(units)
        hp_unit = [0.0] * nu
        h_unit = [0.0] * nu
        r_unit = [0.0] * nu
        rc_unit = [0.0] * nu
        v_unit = [0.0] * nu
        c_unit = [0.0] * nu
        for m in matches:
            w = m.weight
            if w <= 0:
                continue
            hp = hanoi_party_weight(m)
            if hp:
                hp_unit[m.unit] += hp
            if m.side == "hanoi" or (m.side == "pair" and m.kind == "named"):
                h_unit[m.unit] += w
            if m.side == "russia" or (m.side == "pair" and m.kind == "named"):
                r_unit[m.unit] += w
                if m.kind in ("city", "city_gov", "named"):
                    rc_unit[m.unit] += w
            # State-level words can be Russian too ("President Putin"), so
            # they do not make a Vietnamese side on their own.
            if m.side in ("vietnam", "locality", "hanoi") or (m.side == "national" and vietnam_seen):
                v_unit[m.unit] += w
            if m.side == "cooperation":
                c_unit[m.unit] += w

        para_of = [u.para for u in units]
        paras: dict[int, list[int]] = {}
        for k, p in enumerate(para_of):
            paras.setdefault(p, []).append(k)
        c_para = {p: sum(c_unit[k] for k in ks) for p, ks in paras.items()}
        r_para = {p: sum(r_unit[k] for k in ks) for p, ks in paras.items()}

        # Core: units where Hanoi-as-party stands with a Russian side, with
        # cooperation words in the same paragraph. Same sentence counts fully,
        # same paragraph half.
        coop_doc = sum(c_unit)
        core_units: list[int] = []
        core_link = 0.0
        for k in range(nu):
            if hp_unit[k] <= 0:
                continue
            p = para_of[k]
            # The title sets the subject: cooperation anywhere in the article
            # qualifies it; elsewhere it must be in the same paragraph.
            if units[k].field == "title":
                if coop_doc < 2.0:
                    continue
            elif c_para[p] <= 0:
                continue
            if r_unit[k] > 0:
                core_link += min(hp_unit[k], 3.0)
                core_units.append(k)
            elif r_para[p] > 0:
                core_link += 0.5 * min(hp_unit[k], 3.0)
                core_units.append(k)
        # Units with Hanoi (any) and Russia together: supporting closeness.
        hr_units = [k for k in range(nu) if h_unit[k] > 0 and r_unit[k] > 0]

        # National: Russia with any Vietnamese side and cooperation nearby.
        nat_link = 0.0
        for k in range(nu):
            near_coop = c_unit[k] > 0 or c_para[para_of[k]] > 0 or (units[k].field == "title" and coop_doc >= 2.0)
            if r_unit[k] > 0 and v_unit[k] > 0 and near_coop:
                nat_link += units[k].weight * _FIELD_WEIGHT[units[k].field]

        coop = total("cooperation")
        neg = total("negative")
        hp_total = sum(hp_unit)
        title_hp = any(hp_unit[k] > 0 and units[k].field == "title" for k in range(nu))
        distinct = len(set(core_units))
        hanoi_nonvenue = total("hanoi", ("place", "party", "city_body", "residents", "agent"))

        topic_off = neg > max(2.0, 0.6 * coop)

        # The headline carries the subject: a title or lead sentence that
        # itself joins a Hanoi party to a Russian side, under a cooperation
        # title naming one of them, is not a passing mention even if the rest
        # says "the two universities". (A Russian-only title must not be
        # state-level news.)
        title_r = any(r_unit[k] > 0 and units[k].field == "title" for k in range(nu))
        title_c = any(c_unit[k] > 0 and units[k].field == "title" for k in range(nu))
        head_state = total_in("national", ("title", "lead"))
        headline_core = (
            title_c
            and (title_hp or (title_r and head_state == 0))
            and any(r_unit[k] > 0 and units[k].field in ("title", "lead") for k in core_units)
        )

        is_core = (
            not topic_off
            and russia > 0
            and coop >= 2.0
            and (distinct >= 2 or headline_core or (title_hp and distinct >= 1 and len(hr_units) >= 2))
            # One lead mention under a matching title is enough (see above).
            and core_link >= (1.5 if headline_core else 2.0)
            and hp_total >= (1.5 if headline_core else 2.0)
        )
        is_national = (not is_core) and not topic_off and russia > 0 and coop >= 1.5 and nat_link >= 1.0

        if is_core:
            strength = min(1.0, (core_link + hp_total) / 20.0)
            score = 0.6 + 0.4 * strength
            label = "core"
        elif is_national:
            strength = min(1.0, (nat_link + 0.5 * min(hp_total, 4.0)) / 12.0)
            score = 0.3 + 0.3 * strength
            label = "national"
        else:
            score = _none_score(russia, hanoi_nonvenue, coop, topic_off)
            label = "none"
        score = max(0.0, min(1.0, score))

        reasons = self._reasons(prep, matches, hanoi_party_weight)
        return Judgement(label=label, score=round(score, 4), reasons=reasons, version=self.version)

    def _names_institution(self, prep: Prepared, m: _Match, inst_at: set[int], other_at: set[int]) -> bool:
        """Is this Hanoi the end (or start) of an institution's name?

        Vietnamese and Russian names put the head noun first and the city last,
        often many words apart ("Công ty TNHH MTV Đường sắt Hà Nội", "Ban Quản
        lý các khu công nghiệp và chế xuất Hà Nội", "департамент иностранных
        дел Ханоя"); English puts the city first ("Hanoi Vietnam-Russia
        Friendship Association"). So walk outwards word by word within one
        name: stop at punctuation, at a preposition that makes Hanoi a place
        ("tại", "in", "в"...), or at another side's name.
        """
        starts, ends, folded = prep.starts, prep.ends, prep.folded
        text = prep.text
        unit = prep.token_unit
        u = m.unit
        # Leftwards: up to 10 words.
        k = m.i - 1
        first = True
        while k >= 0 and m.i - k <= 10 and unit[k] == u:
            gap = text[ends[k] : starts[k + 1]]
            if gap != " " and not _NAME_GAP_RE.fullmatch(gap) and not (first and gap.endswith("(")):
                break
            if k in inst_at:
                return True
            if k in other_at or folded[k] in _NAME_STOP:
                break
            first = False
            k -= 1
        # Rightwards: up to 5 words.
        k = m.j
        n = len(starts)
        while k < n and k - m.j < 5 and unit[k] == u:
            gap = text[ends[k - 1] : starts[k]]
            if gap != " " and not _NAME_GAP_RE.fullmatch(gap):
                break
            if k in inst_at:
                return True
            if k in other_at or folded[k] in _NAME_STOP:
                break
            k += 1
        return False

    def _reasons(self, prep: Prepared, matches: list[_Match], hp_of: Any) -> list[Reason]:
        out: list[Reason] = []
        seen: set[tuple[str, str, str, str]] = set()
        for m in matches:
            a, b = prep.starts[m.i], prep.ends[m.j - 1]
            phrase = prep.text[a:b]
            field_ = prep.units[m.unit].field
            kind = m.kind
            if m.side == "pair" and m.weight > 0 and hp_of(m) == 0:
                kind = f"{kind}-unconfirmed"
            key = (phrase.lower(), m.side, field_, kind)
            if key in seen:
                continue
            seen.add(key)
            out.append(Reason(phrase=phrase, side=m.side, field=field_, kind=kind, weight=round(m.weight, 3)))
        # Strongest first so a reader sees why at a glance; cap the list.
        out.sort(key=lambda r: -r.weight)
        return out[:40]


def _none_score(russia: float, hanoi_nonvenue: float, coop: float, topic_off: bool) -> float:
    """Score of an article that is neither core nor national: how much of the
    three ingredients it has, damped when its topic is off (war, sanctions)."""
    partial = min(1.0, (min(russia, 3.0) + min(hanoi_nonvenue, 3.0) + min(coop, 3.0)) / 9.0)
    return max(0.0, min(1.0, 0.3 * partial * (0.3 if topic_off else 1.0)))


def _accents_ok(prep: Prepared, i: int, L: int, term: Term) -> bool:
    """A word written with diacritics only matches the same diacritics or none."""
    acc = term.accented
    orig = prep.orig
    if len(acc) == 1 and L == 1:
        pairs = [(orig[i], acc[0])]
    elif len(acc) == L:
        pairs = [(orig[i + k], acc[k]) for k in range(L)]
    else:
        return True
    for got, want in pairs:
        if got is None or want is None or got == want:
            continue
        if not _word_accents_ok(got, want):
            return False
    return True


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
