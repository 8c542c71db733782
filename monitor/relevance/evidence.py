"""From matched terms to a rule decision, in three named steps:

1. `collect`: turn raw term matches into `Mention`s: weighted by where they
   stand (title > lead > body, boilerplate lines count for nothing), wire
   datelines zeroed, "Hanoi" inside an institution's name made a party, and
   unnamed city bodies ("UBND thành phố") given to the article's main city.
2. `weigh`: sum the mentions into `Evidence`: how much Russian, Vietnamese,
   Hanoi-as-party and cooperation evidence there is, and how closely they
   stand together (same sentence, same paragraph, the headline).
3. `decide`: the hand-written rule over that evidence (core, national or
   none, and a score). The trained classifier (classifier.py) reads the same
   `Evidence` as features, and decides instead of this rule when it is loaded.

Each step is a pure function of its inputs: nothing is mutated in place.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .text import Prepared

if TYPE_CHECKING:
    from .terms import Term

__all__ = ["Match", "Mention", "Evidence", "collect", "weigh", "decide", "FEATURE_NAMES", "none_score"]

FIELD_WEIGHT = {"title": 2.5, "lead": 1.5, "body": 1.0}
# Between words of one institution's name: spaces, hyphens, apostrophes, quotes.
_NAME_GAP_RE = re.compile(r" ?[-'\"«»]? ?")
# Folded words that end an institution's name: after them Hanoi is a place or
# a counterpart, not part of the name ("Công ty Nga tại Hà Nội", "office in Hanoi").
_NAME_STOP = frozenset(
    "tai o den toi vao voi cho tu ve sang tham giua ra khap quanh tren "
    "in at to from with for into between visit visits visited visiting near across around "
    "в во на из с со для к ко между по при у".split()
)
_HANOI_NONVENUE = ("place", "party", "city_body", "residents", "agent")


@dataclass(slots=True)
class Match:
    """A term found in the text (the matcher's output)."""

    i: int  # first token
    j: int  # one past last token
    term: Term
    side: str
    kind: str
    unit: int


class Mention(NamedTuple):
    """A match as evidence: its side and kind resolved, its weight set.
    (Immutable; a named tuple because articles have dozens and a frozen
    dataclass costs three times as much to build.)"""

    i: int
    j: int
    side: str
    kind: str
    unit: int
    weight: float


_tuple_new = tuple.__new__


# ---------------------------------------------------------------- 1. collect
def collect(prep: Prepared, matches: list[Match]) -> list[Mention]:
    """Weighted, resolved mentions of one article (see the module docstring)."""
    units, starts = prep.units, prep.starts
    # Tokens that start inside a wire dateline (token starts are sorted).
    in_dateline = {
        k for a, b in prep.dateline_spans for k in range(bisect_left(starts, a), bisect_left(starts, b))
    }
    mentions: list[Mention] = []
    new = _tuple_new  # Mention(...) without its Python-level __new__: dozens per article
    for m in matches:
        kind = m.kind
        # Wire datelines name where the story was filed, not a party.
        if m.i in in_dateline:
            kind = "dateline"
        u = units[m.unit]
        weight = 0.0 if kind == "dateline" else m.term.weight * FIELD_WEIGHT[u.field] * u.weight
        mentions.append(new(Mention, (m.i, m.j, m.side, kind, m.unit, weight)))
    mentions = _institution_names(prep, mentions)
    return _city_bodies(mentions)


def _institution_names(prep: Prepared, mentions: list[Mention]) -> list[Mention]:
    """ "Hanoi Medical University", "Sở Công Thương Hà Nội", "Ханойский
    университет": Hanoi next to an institution word names a Hanoi body (a
    party). Institution words themselves are dropped afterwards."""
    inst_at = {k for m in mentions if m.side == "institution" for k in range(m.i, m.j)}
    if not inst_at:
        return mentions
    # Another side's name in between ends the search: "Đại học Moskva và Hà
    # Nội" is not a Hanoi university.
    other_at = {k for m in mentions if m.side in ("russia", "locality", "vietnam") for k in range(m.i, m.j)}
    hanoi_at: set[int] | None = None
    # Hanoi and a Russian city named as one ("Ханой-Москва", "Trung tâm Hà
    # Nội - Moskva") name a building or a centre, not the two cities' bodies.
    paired = {k for m in mentions if m.side == "pair" and m.kind == "named" for k in range(m.i, m.j)}
    out = []
    for m in mentions:
        if m.side == "institution":
            continue
        if m.side == "pair" and m.kind == "named" and m.weight > 0:
            # ... and such a pair next to an institution word is that thing's
            # name ("Trung tâm Thương mại Hà Nội - Moskva", "комплекс
            # «Ханой-Москва»"): a building, not the two cities acting.
            if names_institution(prep, m, inst_at, other_at):
                m = Mention(m.i, m.j, m.side, "name", m.unit, m.weight)
        elif m.weight > 0 and m.i not in paired:
            if m.side == "hanoi" and m.kind == "place" and names_institution(prep, m, inst_at, other_at):
                m = Mention(m.i, m.j, m.side, "party", m.unit, m.weight)
            elif m.side == "russia" and m.kind in ("city", "country"):
                # The same for a Russian city: "Департамент культуры Москвы",
                # "Cục Quan hệ quốc tế Mátxcơva" are Russian bodies (parties);
                # and for "Russian"/"Nga" itself: a firm or institution the
                # terms do not know by name ("Tập đoàn lữ hành X của Nga",
                # "a Russian tour company", "российская компания").
                if hanoi_at is None:
                    hanoi_at = {
                        k
                        for x in mentions
                        if x.side in ("hanoi", "locality", "vietnam")
                        for k in range(x.i, x.j)
                    }
                if m.kind == "city":
                    named = names_institution(prep, m, inst_at, hanoi_at)
                else:
                    named = _names_russian_body(prep, m, inst_at, hanoi_at)
                if named:
                    m = Mention(m.i, m.j, m.side, "body", m.unit, m.weight)
        out.append(m)
    return out


def _city_bodies(mentions: list[Mention]) -> list[Mention]:
    """Unnamed city bodies ("UBND Thành phố") belong to the article's main city."""
    if not any(m.side == "city" for m in mentions):
        return mentions
    hanoi_seen = sum(
        m.weight
        for m in mentions
        if m.weight > 0 and (m.side == "hanoi" or (m.side, m.kind) == ("pair", "named"))
    )
    loc_seen = sum(m.weight for m in mentions if m.weight > 0 and m.side == "locality")
    side = "hanoi" if hanoi_seen > 0 and hanoi_seen >= loc_seen else "locality"
    return [
        Mention(m.i, m.j, side, "city_body", m.unit, m.weight) if m.side == "city" else m for m in mentions
    ]


# "Nga" ends a Vietnamese name (head noun first: "công ty ... của Nga");
# "Russian"/"российский" starts an English or Russian one ("Russian tour
# company", "российская компания"). Other forms ("tiếng Nga", "người Nga",
# "русский язык") name a language or people, not a body.
_RU_NAME_END = ("nga", "lien bang nga", "lb nga")
_RU_NAME_START = ("russian", "российск")
# Words that make Russia a subject of study, not the owner of the body
# ("Trung tâm nghiên cứu Nga", "Russian studies centre").
_RU_TOPIC = frozenset("cuu studies study language languages".split())


def _names_russian_body(prep: Prepared, m: Mention, inst_at: set[int], other_at: set[int]) -> bool:
    """Does this "Nga"/"Russian" belong to an institution's name? Vietnamese
    looks left of "Nga", English and Russian right of the adjective."""
    words = " ".join(prep.folded[m.i : m.j])
    if words in _RU_NAME_END:
        left, right = True, False
    elif m.j - m.i == 1 and words.startswith(_RU_NAME_START):
        left, right = False, True
    else:
        return False
    return names_institution(prep, m, inst_at, other_at | _topic_at(prep, m), left=left, right=right)


def _topic_at(prep: Prepared, m: Mention) -> set[int]:
    lo, hi = max(0, m.i - 10), min(len(prep.folded), m.j + 5)
    return {k for k in range(lo, hi) if prep.folded[k] in _RU_TOPIC}


def names_institution(
    prep: Prepared,
    m: Mention,
    inst_at: set[int],
    other_at: set[int],
    left: bool = True,
    right: bool = True,
) -> bool:
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
    k = m.i - 1 if left else -1
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
    n = len(starts)
    k = m.j if right else n
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


# ---------------------------------------------------------------- 2. weigh
@dataclass(frozen=True, slots=True)
class Evidence:
    """What the mentions of one article add up to. Weights are sums of
    mention weights; links measure sides standing together."""

    mentions: tuple[Mention, ...]
    # Per mention: the weight it gives to "Hanoi is a party" (0 when it does not).
    party_weights: tuple[float, ...]
    russia: float  # any Russian side
    russia_city: float  # Russian cities, regions and their governments
    hanoi: float  # Hanoi in any role but venue/dateline
    hanoi_party: float  # Hanoi as a party (bodies, institutions, confirmed city framing)
    vietnam: float  # Vietnam or another Vietnamese locality
    locality: float  # another Vietnamese locality only
    state: float  # state-level actors and framing
    coop: float  # cooperation words
    negative: float  # off-topic words (war, sanctions...)
    topic_off: bool  # negative words outweigh cooperation
    hanoi_any: float  # Hanoi in any role, venue included (datelines excluded)
    pair: float  # Hanoi–Russian-city pairs ("Hanoi and Moscow"), confirmed or not
    head_hanoi: float  # Hanoi in any role in the title or lead
    head_russia_city: float  # Russian cities and their governments in the title or lead
    head_state: float  # state-level words in the title or lead
    core_link: float = 0.0  # Hanoi party next to a Russian side near cooperation
    core_units: int = 0  # sentences with such a link
    hanoi_russia_units: int = 0  # sentences with Hanoi (any) and Russia together
    nat_link: float = 0.0  # Russia next to a Vietnamese side near cooperation
    title_party: bool = False  # the title makes Hanoi a party
    headline_core: bool = False  # the headline itself joins a Hanoi party to Russia
    # Russian *parties* (bodies, firms, institutions, city governments), not
    # just the word "Russian": the labeling rules need a Russian party.
    russia_party: float = 0.0
    head_russia_party: float = 0.0  # ... in the title or lead
    party_units: int = 0  # sentences where a Hanoi party and a Russian party stand together
    party_paras: int = 0  # paragraphs where they do
    party_coop_units: int = 0  # such sentences with cooperation words in their paragraph
    third: float = 0.0  # third countries and their capitals
    head_third: float = 0.0  # ... in the title or lead
    third_russia_units: int = 0  # sentences joining a Russian side and a third country
    russia_in_hanoi: int = 0  # a Russian body placed in Hanoi ("Russian House in Hanoi")
    venue_party_units: int = 0  # sentences with Hanoi as venue and a Russian party, no Hanoi party
    commemoration: float = 0.0  # flowers at a monument, birthdays: no counterpart needed

    @property
    def vietnamese_side(self) -> bool:
        """Vietnam, a Vietnamese locality or Hanoi is named (datelines aside):
        without one there is no Vietnam–Russia link, so neither core nor national."""
        return self.vietnam > 0 or self.hanoi_any > 0

    @property
    def both_parties(self) -> bool:
        """Core needs a Hanoi party *and* a Russian party (a body, firm,
        institution, city or region; not "Russia" or "Russian" alone): the
        labeling rules' "between a Hanoi party and a Russian party". Without
        one of them an article can be national or none, never core."""
        return self.hanoi_party > 0 and (self.russia_party > 0 or self.russia_city > 0)

    def features(self) -> list[float]:
        """The evidence as numbers for the classifier, in FEATURE_NAMES order:
        log-damped sums (long articles repeat names) and 0/1 flags."""
        lg = math.log1p
        return [
            lg(self.russia),
            lg(self.russia_city),
            lg(self.hanoi),
            lg(self.hanoi_party),
            lg(self.vietnam),
            lg(self.locality),
            lg(self.state),
            lg(self.coop),
            lg(self.negative),
            float(self.topic_off),
            lg(self.core_link),
            lg(self.core_units),
            lg(self.hanoi_russia_units),
            lg(self.nat_link),
            float(self.title_party),
            float(self.headline_core),
            lg(self.hanoi_party) - lg(self.locality),
            lg(self.hanoi_any),
            lg(self.pair),
            lg(self.head_hanoi),
            lg(self.head_russia_city),
            lg(self.head_state),
            lg(self.hanoi_any + self.pair) - lg(self.state),
            lg(self.russia_party),
            lg(self.head_russia_party),
            lg(self.party_units),
            lg(self.party_paras),
            lg(self.party_coop_units),
            float(self.hanoi_party > 0 and self.russia_party == 0),
            lg(self.third),
            lg(self.head_third),
            lg(self.third_russia_units),
            lg(self.russia_in_hanoi),
            float(self.russia_in_hanoi > 0 and self.party_units == 0),
            lg(self.venue_party_units),
            lg(self.commemoration),
        ]


FEATURE_NAMES = (
    "russia",
    "russia_city",
    "hanoi",
    "hanoi_party",
    "vietnam",
    "locality",
    "state",
    "coop",
    "negative",
    "topic_off",
    "core_link",
    "core_units",
    "hanoi_russia_units",
    "nat_link",
    "title_party",
    "headline_core",
    "hanoi_over_locality",
    "hanoi_any",
    "pair",
    "head_hanoi",
    "head_russia_city",
    "head_state",
    "hanoi_over_state",
    "russia_party",
    "head_russia_party",
    "party_units",
    "party_paras",
    "party_coop_units",
    "hanoi_party_alone",
    "third",
    "head_third",
    "third_russia_units",
    "russia_in_hanoi",
    "russia_in_hanoi_alone",
    "venue_party_units",
    "commemoration",
)
_RUSSIA_PARTY_KINDS = ("body", "city_gov")


def weigh(prep: Prepared, mentions: list[Mention]) -> Evidence:
    """Sum the mentions into Evidence; sentence linking only when there is a
    Russian side (neither core nor national can hold without one)."""
    units = prep.units
    sums: dict[tuple[str, str], float] = {}
    for m in mentions:
        if m.weight > 0:
            sums[(m.side, m.kind)] = sums.get((m.side, m.kind), 0.0) + m.weight
    # The sums of each side, kind by kind in the order of `sums` (so a total
    # adds the same numbers in the same order however it is asked for).
    by_side: dict[str, list[tuple[str, float]]] = {}
    for sk, v in sums.items():
        by_side.setdefault(sk[0], []).append((sk[1], v))

    def total(side: str, kinds: tuple[str, ...] | None = None) -> float:
        got = by_side.get(side)
        if not got:
            return sum(())
        return sum([v for kd, v in got if kinds is None or kd in kinds])

    hanoi_seen = total("hanoi") + total("pair", ("named",))
    russia_city_seen = total("russia", ("city", "city_gov"))
    # `sums` has a (side, kind) key for each kind of mention of weight > 0.
    city_level = any(sk in sums for sk in _CITY_LEVEL)
    hanoi_yes, russia_city_yes = hanoi_seen > 0, russia_city_seen > 0
    # Only Hanoi and pair mentions can make Hanoi a party (see _party_weight).
    party = tuple(
        [
            _party_weight(m, city_level, hanoi_yes, russia_city_yes) if m.side in _PARTY_SIDES else 0.0
            for m in mentions
        ]
    )
    head: dict[str, float] = {"hanoi": 0.0, "russia": 0.0, "national": 0.0, "third": 0.0, "party": 0.0}
    for m in mentions:
        if m.weight > 0 and m.side in head and units[m.unit].field != "body":
            if m.side != "russia" or m.kind in ("city", "city_gov"):
                head[m.side] += m.weight
            if m.side == "russia" and m.kind in _RUSSIA_PARTY_KINDS:
                head["party"] += m.weight
    coop, neg, russia = total("cooperation"), total("negative"), total("russia")
    base: dict[str, Any] = dict(
        mentions=tuple(mentions),
        party_weights=party,
        russia=russia,
        russia_city=russia_city_seen,
        hanoi=total("hanoi", _HANOI_NONVENUE),
        hanoi_party=sum(party),
        vietnam=total("vietnam") + total("locality"),
        locality=total("locality"),
        state=total("national"),
        coop=coop,
        negative=neg,
        topic_off=neg > max(2.0, 0.6 * coop),
        hanoi_any=total("hanoi"),
        pair=total("pair"),
        head_hanoi=head["hanoi"],
        head_russia_city=head["russia"],
        head_state=head["national"],
        russia_party=total("russia", _RUSSIA_PARTY_KINDS),
        head_russia_party=head["party"],
        third=total("third"),
        head_third=head["third"],
        commemoration=total("marker", ("commemoration",)),
    )
    if not russia > 0:
        return Evidence(**base)

    vietnam_seen = base["vietnam"] > 0
    # Per-sentence sums, kept only for sentences with mentions (dicts keyed by
    # unit index, filled in text order): most sentences of an article have none.
    hp_unit: dict[int, float] = {}  # Hanoi as a party
    h_unit: dict[int, float] = {}  # Hanoi in any role
    r_unit: dict[int, float] = {}  # any Russian side
    v_unit: dict[int, float] = {}  # a Vietnamese side
    c_unit: dict[int, float] = {}  # cooperation words
    rp_unit: dict[int, float] = {}  # Russian parties
    t_unit: dict[int, float] = {}  # third countries
    venue_unit: dict[int, float] = {}  # Hanoi as venue
    russia_in_hanoi = 0
    prev: Mention | None = None
    for m, hp in zip(mentions, party):
        w = m.weight
        if w <= 0:
            continue
        u, side, kind = m.unit, m.side, m.kind
        if side == "russia":
            r_unit[u] = r_unit.get(u, 0.0) + w
            if kind in _RUSSIA_PARTY_KINDS:
                rp_unit[u] = rp_unit.get(u, 0.0) + w
        elif side == "cooperation":
            c_unit[u] = c_unit.get(u, 0.0) + w
        elif side == "hanoi":
            h_unit[u] = h_unit.get(u, 0.0) + w
            v_unit[u] = v_unit.get(u, 0.0) + w
            if kind == "venue":
                venue_unit[u] = venue_unit.get(u, 0.0) + w
                # "Russian House in Hanoi", "Đại sứ quán Nga tại Hà Nội": a
                # Russian body placed in Hanoi, not a Hanoi party.
                if prev is not None and prev.side == "russia" and prev.kind == "body" and m.i - prev.j <= 1:
                    russia_in_hanoi += 1
        elif side == "pair":
            if kind == "named":
                h_unit[u] = h_unit.get(u, 0.0) + w
                r_unit[u] = r_unit.get(u, 0.0) + w
        elif side == "third":
            t_unit[u] = t_unit.get(u, 0.0) + w
        # State-level words can be Russian too ("President Putin"), so
        # they do not make a Vietnamese side on their own.
        elif side in ("vietnam", "locality") or (side == "national" and vietnam_seen):
            v_unit[u] = v_unit.get(u, 0.0) + w
        prev = m
        if hp:
            hp_unit[u] = hp_unit.get(u, 0.0) + hp

    c_para: dict[int, float] = {}
    r_para: dict[int, float] = {}
    for k, w in c_unit.items():
        p = units[k].para
        c_para[p] = c_para.get(p, 0.0) + w
    for k, w in r_unit.items():
        p = units[k].para
        r_para[p] = r_para.get(p, 0.0) + w

    # Core: units where Hanoi-as-party stands with a Russian side, with
    # cooperation words in the same paragraph. Same sentence counts fully,
    # same paragraph half.
    coop_doc = sum(c_unit.values())
    core_units: list[int] = []
    core_link = 0.0
    for k, hp in hp_unit.items():
        if hp <= 0:
            continue
        p = units[k].para
        # The title sets the subject: cooperation anywhere in the article
        # qualifies it; elsewhere it must be in the same paragraph.
        if units[k].field == "title":
            if coop_doc < 2.0:
                continue
        elif c_para.get(p, 0.0) <= 0:
            continue
        if r_unit.get(k, 0.0) > 0:
            core_link += min(hp, 3.0)
            core_units.append(k)
        elif r_para.get(p, 0.0) > 0:
            core_link += 0.5 * min(hp, 3.0)
            core_units.append(k)

    # National: Russia with any Vietnamese side and cooperation nearby.
    nat_link = 0.0
    for k, r in r_unit.items():
        if r <= 0 or v_unit.get(k, 0.0) <= 0:
            continue
        unit = units[k]
        if (
            c_unit.get(k, 0.0) > 0
            or c_para.get(unit.para, 0.0) > 0
            or (unit.field == "title" and coop_doc >= 2.0)
        ):
            nat_link += unit.weight * FIELD_WEIGHT[unit.field]

    # The headline carries the subject: a title or lead sentence that itself
    # joins a Hanoi party to a Russian side, under a cooperation title naming
    # one of them, is not a passing mention even if the rest says "the two
    # universities". (A Russian-only title must not be state-level news.)
    has_title = bool(units) and units[0].field == "title"
    title_hp = has_title and hp_unit.get(0, 0.0) > 0
    title_r = has_title and r_unit.get(0, 0.0) > 0
    title_c = has_title and c_unit.get(0, 0.0) > 0
    headline_core = (
        title_c
        and (title_hp or (title_r and head["national"] == 0))
        and any(r_unit.get(k, 0.0) > 0 and units[k].field in ("title", "lead") for k in core_units)
    )
    # Hanoi party and Russian party together (the labeling rules' "between a
    # Hanoi party and a Russian party"), by sentence and by paragraph.
    party_units = [k for k, hp in hp_unit.items() if hp > 0 and rp_unit.get(k, 0.0) > 0]
    hp_para = {units[k].para for k, hp in hp_unit.items() if hp > 0}
    rp_para = {units[k].para for k, w in rp_unit.items() if w > 0}
    base.update(
        party_units=len(party_units),
        party_paras=len(hp_para & rp_para),
        party_coop_units=sum(1 for k in party_units if c_para.get(units[k].para, 0.0) > 0),
        third_russia_units=sum(1 for k in t_unit if r_unit.get(k, 0.0) > 0),
        russia_in_hanoi=russia_in_hanoi,
        venue_party_units=sum(1 for k in venue_unit if rp_unit.get(k, 0.0) > 0 and hp_unit.get(k, 0.0) == 0),
    )
    return Evidence(
        **base,
        core_link=core_link,
        core_units=len(set(core_units)),
        hanoi_russia_units=sum(1 for k, w in h_unit.items() if w > 0 and r_unit.get(k, 0.0) > 0),
        nat_link=nat_link,
        title_party=title_hp,
        headline_core=headline_core,
    )


_PARTY_SIDES = frozenset(("hanoi", "pair"))
# Mentions of the city level: Hanoi's bodies, city pairs, Russian city governments.
_CITY_LEVEL = (
    ("hanoi", "party"),
    ("hanoi", "city_body"),
    ("pair", "generic"),
    ("pair", "event"),
    ("russia", "city_gov"),
)


def _party_weight(m: Mention, city_level: bool, hanoi_seen: bool, russia_city_seen: bool) -> float:
    """How much this mention says that Hanoi (the city) is a party."""
    if m.weight <= 0:
        return 0.0
    if m.side == "hanoi":
        if m.kind in ("party", "city_body", "residents"):
            return m.weight
        if m.kind == "agent":
            # "ties with Hanoi" may mean the Vietnamese state, as "named" below.
            return m.weight if city_level else 0.0
        return 0.0
    if m.side == "pair":
        if m.kind == "named":
            # "Hanoi and Moscow" may stand for the two states; it is city
            # framing only when city-level actors appear somewhere.
            return m.weight if city_level else 0.0
        if m.kind == "event":
            return m.weight if hanoi_seen else 0.0
        if m.kind == "generic":
            return m.weight if (hanoi_seen and russia_city_seen) else 0.0
    return 0.0


# ---------------------------------------------------------------- 3. decide
def decide(ev: Evidence) -> tuple[str, float]:
    """The hand-written rule: (label, score), score in [0, 1] with
    none < 0.3 <= national < 0.6 <= core."""
    headline = ev.headline_core
    is_core = (
        not ev.topic_off
        and ev.both_parties
        and ev.coop >= 2.0
        and (
            ev.core_units >= 2
            or headline
            or (ev.title_party and ev.core_units >= 1 and ev.hanoi_russia_units >= 2)
        )
        # One lead mention under a matching title is enough (see weigh).
        and ev.core_link >= (1.5 if headline else 2.0)
        and ev.hanoi_party >= (1.5 if headline else 2.0)
    )
    if is_core:
        return "core", min(1.0, 0.6 + 0.4 * min(1.0, (ev.core_link + ev.hanoi_party) / 20.0))
    if not ev.topic_off and ev.russia > 0 and ev.coop >= 1.5 and ev.nat_link >= 1.0:
        strength = min(1.0, (ev.nat_link + 0.5 * min(ev.hanoi_party, 4.0)) / 12.0)
        return "national", 0.3 + 0.3 * strength
    return "none", none_score(ev)


def none_score(ev: Evidence) -> float:
    """Score of an article that is neither core nor national: how much of the
    three ingredients it has, damped when its topic is off (war, sanctions)."""
    partial = min(1.0, (min(ev.russia, 3.0) + min(ev.hanoi, 3.0) + min(ev.coop, 3.0)) / 9.0)
    return max(0.0, min(1.0, 0.3 * partial * (0.3 if ev.topic_off else 1.0)))
