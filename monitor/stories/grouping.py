"""Story grouping: which stored story a new article belongs to, if any.

One story is one event: one meeting, one signing, one forum, one opening, one
announcement, told by any number of outlets in any language. Two ways in:
1. Near-copy in the same language (MinHash LSH, ``monitor.stories.text``): syndicated
   copies and light rewrites always join, unless a veto below says otherwise.
2. Same event, any language: the reports share what a different event would not:
   actors (people, organisations), the event's date, its object (the named document,
   programme, festival), amounts, the places it is about, and, in one language, much
   of the wording.

Vetoes, because merging two events is worse than showing one twice: published too
far apart; the events' own dates differ; a city or region one report is about that
the other never names (Hanoi–Moscow is not Hanoi–St Petersburg); a country one is
about that the other never names (Hanoi–Japan is not Hanoi–Russia); and headlines
naming kinds of event that cannot be one occasion (a round table and a reception, an
opening and a closing, a wreath-laying and a plan), which keeps the meetings of one
visit on one day apart.

Candidates come from indexed look-ups only (shared LSH bands, shared event keys in
the story window), so the cost per article does not grow with the articles stored
or published a day. An article that joins nothing founds a story whose id is its own
article id. Every decision keeps its reasons (``newsmon stories --why``).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from monitor.stories.entities import EntityTable
from monitor.stories.features import FEATURES_VERSION, StoryFeatures, extract_features
from monitor.stories.text import (
    SIGNATURE_VERSION,
    band_keys,
    key_hash,
    signature_bytes,
    signature_from_bytes,
    similarity,
    text_signature,
)
from storage import Article, Database
from storage.models import row_id
from storage.stories import IndexedArticle, IndexRow, LinkRow, StoryIndex

logger = logging.getLogger(__name__)

INDEX_VERSION = f"{SIGNATURE_VERSION}.{FEATURES_VERSION}"

# Kinds of event that can be one occasion (a signing at a meeting or a forum, an exhibition's
# opening). Kinds not paired here cannot: a round table is not a reception, an opening is
# not a closing, a wreath-laying is not a plan. "visit" spans a whole visit and says nothing.
_COMPATIBLE = {
    frozenset(p)
    for p in [
        ("sign", "meet"),
        ("sign", "discuss"),
        ("sign", "open"),
        ("sign", "close"),
        ("sign", "propose"),
        ("sign", "agree"),
        ("sign", "award"),
        ("meet", "propose"),
        ("meet", "agree"),
        ("meet", "award"),
        ("discuss", "propose"),
        ("discuss", "agree"),
        ("open", "exhibit"),
        ("open", "perform"),
        ("close", "perform"),
        ("close", "award"),
        ("exhibit", "perform"),
        ("propose", "agree"),
        ("open", "discuss"),
        ("close", "discuss"),
    ]
}
_WEAK_ACTIONS = frozenset({"visit"})
# Event keys by kind (StoryFeatures.keys), with about the evidence compare gives each shared one:
# an actor, an amount, a named object (on a day), a place (on a day: a shared day adds 2 more).
_KEY_WEIGHTS = {"a:": 2.0, "n:": 1.5, "o:": 1.0, "d:": 0.75}


@dataclass(frozen=True)
class StoryOptions:
    window_days: float = 3.0  # same event: published at most this far apart
    duplicate_window_days: float = 30.0  # near-duplicate text: reposts come later
    near_threshold: float = 0.5  # estimated Jaccard of character shingles: a copy
    rewrite_threshold: float = 0.15  # ... a rewrite of the same copy, with other evidence
    min_evidence: float = 4.0
    # Stored articles compared per new article, the most promising first (near copies, then those
    # sharing most actors, objects and amounts): bounds the cost at thousands of articles a day.
    max_candidates: int = 40
    # The most recent indexed articles looked at per shared key, by kind of key (actors, amounts,
    # objects, places on a day; see StoryFeatures.keys), and per shared LSH band: every row read
    # costs, and the rows grow with the articles published a day (at 3,000 a day the former
    # 60/60/60/20 and 20 per band read ~275 rows per new article, these ~190). An exact amount
    # is named by few reports, and the reports of one event share several of them, so 20 find
    # them; a place on a day is named by hundreds of reports a day and links only a rewrite of
    # the same text (20); a near copy shares most of the 32 bands and needs to be among the 10
    # most recent in only one. Actors and objects keep 60: with fewer (30 actors, 20 objects), a
    # late-arriving report lost its event among the synthetic articles of bench/stories_volume.py
    # --backfill (recall 0.92 -> 0.86); with these, recall and precision are the former ones there
    # and in time order (README, Stories).
    key_limits: tuple[int, int, int, int] = (60, 20, 60, 20)
    band_limit: int = 10


@dataclass(frozen=True)
class Comparison:
    linked: bool
    score: float
    reasons: tuple[str, ...] = ()
    conflict: str | None = None


@dataclass(frozen=True)
class StoryDecision:
    article_id: int
    story_id: int
    how: str  # "duplicate" | "story" | "new" | "kept"
    matched: int | None = None  # the article it was linked to
    score: float = 0.0
    reasons: tuple[str, ...] = ()


def compare(
    a: StoryFeatures,
    b: StoryFeatures,
    table: EntityTable,
    options: StoryOptions,
    near_similarity: float | None = None,
) -> Comparison:
    """Do two articles report the same event? Symmetric in a and b."""
    sim = near_similarity or 0.0
    near = sim >= options.near_threshold
    if a.published and b.published:
        apart = abs(a.published - b.published)
        limit = options.duplicate_window_days if near else options.window_days
        if apart > timedelta(days=limit):
            return Comparison(False, 0.0, conflict=f"published {apart.days} days apart")
    # A near-copy is the same text: its date may differ by a day where one copy says
    # "yesterday" or was reprinted overnight, not more.
    conflict = (
        _date_conflict(a, b, 2 if near else None)
        or _place_conflict(a, b, table)
        or _place_conflict(b, a, table)
    )
    if conflict:
        return Comparison(False, 0.0, conflict=conflict)
    if near:
        return Comparison(True, 10.0 + sim, (f"near-copy of the text ({sim:.2f})",))
    conflict = _action_conflict(a, b)
    if conflict:
        return Comparison(False, 0.0, conflict=conflict)

    reasons: list[str] = []
    score = 0.0
    anchored = False
    if a.language == b.language and sim >= options.rewrite_threshold:
        reasons.append(f"rewrite of the same text ({sim:.2f})")
        score += 3.0
        anchored = True
    actors = sorted(a.actors & b.actors)
    if actors:
        reasons.append("actors: " + ", ".join(actors))
        score += min(2.0 * len(actors), 6.0)
    same_day = bool(a.event_date and b.event_date)  # no date conflict: the same day, or a day off
    if same_day:
        reasons.append(
            f"event date: {a.event_date}"
            if a.event_date == b.event_date
            else f"event dates: {a.event_date} / {b.event_date}"
        )
        score += 2.0
    objects = sorted(a.objects & b.objects)
    if objects:
        reasons.append("object: " + ", ".join(objects))
        score += min(1.0 * len(objects), 2.0)
    actions = sorted(((a.head_actions & b.actions) | (b.head_actions & a.actions)) - _WEAK_ACTIONS)
    if actions:
        reasons.append("action: " + ", ".join(actions))
        score += 1.0
    numbers = sorted(a.numbers & b.numbers)
    if numbers:
        reasons.append("amounts: " + ", ".join(numbers))
        # A period ("2026-2030") is a term or a plan's span, shared by many events.
        amounts = [n for n in numbers if "-" not in n]
        score += min(1.5 * len(amounts) + 0.5 * (len(numbers) - len(amounts)), 3.0)
        # Two exact sums or shares ("4.9e+09", "15%") are the same announcement's figures.
        # So are three figures of which one is exact.
        exact = sum(1 for n in amounts if "e+" in n or n.endswith("%"))
        anchored = anchored or exact >= 2 or (exact >= 1 and len(amounts) >= 3)
    shared = sorted(a.salient() & b.salient())
    if shared:
        reasons.append("both about: " + ", ".join(shared))
        score += 1.0 if len(shared) >= 2 else 0.5
    elif not actors and sim < options.rewrite_threshold:
        return Comparison(False, score, tuple(reasons), conflict="no place or actor in common")
    if a.title_places and a.title_places == b.title_places:
        reasons.append("headline places: " + ", ".join(sorted(a.title_places)))
        score += 1.0
    # Without both publication dates, only the event's own date says it is the same occasion.
    if not (a.published and b.published) and not same_day:
        return Comparison(
            False, score, tuple(reasons), conflict="no publication dates and no shared event date"
        )
    # The same people meet several times on one visit: what ties two reports to one occasion
    # is the event's day or the text, else much more evidence than one shared name.
    if not (same_day or anchored) and score < options.min_evidence + 3:
        return Comparison(False, score, tuple(reasons), conflict="nothing ties them to one occasion")
    # A day, a kind of event and a city are shared by many events: something of its own too.
    if not (anchored or actors or objects or numbers):
        return Comparison(False, score, tuple(reasons), conflict="no actor, object or amount in common")
    return Comparison(score >= options.min_evidence, score, tuple(reasons))


def _date_conflict(a: StoryFeatures, b: StoryFeatures, slack: int | None = None) -> str | None:
    """The events' own days differ (a relative date may be a day off: time zones, late reports)."""
    if not (a.event_date and b.event_date):
        return None
    if slack is None:
        slack = 0 if a.event_date_exact and b.event_date_exact else 1
    year = 2000 if a.event_date.startswith("--") or b.event_date.startswith("--") else None
    da, db = _day(a.event_date, year), _day(b.event_date, year)
    if abs((da - db).days) > slack:
        return f"event on {a.event_date} here, {b.event_date} there"
    return None


def _day(value: str, year: int | None) -> date:
    """ "2026-11-05" or "--11-05" as a date; with ``year``, every date in that year (to compare undated ones)."""
    month, day = int(value[-5:-3]), int(value[-2:])
    y = year if year is not None else int(value[:4])
    try:
        return date(y, month, day)
    except ValueError:
        return date(y, month, 28)


def _action_conflict(a: StoryFeatures, b: StoryFeatures) -> str | None:
    """Headlines naming kinds of event that cannot be one occasion."""
    ka, kb = a.head_actions - _WEAK_ACTIONS, b.head_actions - _WEAK_ACTIONS
    if not ka or not kb or ka & kb:
        return None
    # A kind the other report names in its lead is no contradiction.
    if ka & b.actions or kb & a.actions:
        return None
    if any(frozenset((x, y)) in _COMPATIBLE for x in ka for y in kb):
        return None
    return f"{'/'.join(sorted(ka))} here, {'/'.join(sorted(kb))} there"


# A report in the home country's language often leaves its own country unnamed
# ("Thủ tướng Phạm Minh Chính" needs no "Việt Nam"), and a city paper its own city.
_HOME = {"vi": "vietnam", "ru": "russia"}


def _place_conflict(a: StoryFeatures, b: StoryFeatures, table: EntityTable) -> str | None:
    """A city or region that ``a`` is about must be named in ``b`` (or, in the home country of
    ``b``'s language, at least not be replaced by a rival city); a country ``a`` is about must be
    named in ``b``, stand behind one of its places (Moscow stands for Russia), or be ``b``'s home."""
    b_countries = {table.country_of(k) for k in b.places}
    home = _HOME.get(b.language)
    if home:
        b_countries.add(home)
    for place in sorted(a.salient()):
        if place in b.places:
            continue
        country = table.country_of(place)
        if place != country:
            rivals = sorted(k for k in b.salient() if k != country and table.country_of(k) == country)
            if rivals:
                return f"{place} here, {rivals[0]} there"
            if country != home:
                return f"{place} is not named in the other article"
            continue
        if country not in b_countries:
            return f"{place} is not named in the other article"
    return None


@dataclass(frozen=True)
class _Candidate:
    article: IndexedArticle
    features: StoryFeatures
    similarity: float


class StoryGrouper:
    """Assigns stored articles to stories, and keeps the story index in step."""

    CACHE = 20_000  # decoded features of recently seen articles

    def __init__(
        self,
        db: Database,
        *,
        table: EntityTable | None = None,
        options: StoryOptions | None = None,
        entities_file: Path | None = None,
    ) -> None:
        self.db = db
        self.index = StoryIndex(db)
        self.table = table or EntityTable.load(entities_file)
        self.options = options or StoryOptions()
        self._cache: OrderedDict[int, StoryFeatures] = OrderedDict()

    # ------------------------------------------------------------ one article
    def features(self, article: Article) -> StoryFeatures:
        return extract_features(
            self.table,
            title=article.title,
            body=article.body,
            lead=article.lead,
            language=article.language,
            published=article.published_at,
        )

    def assign(self, article: Article) -> StoryDecision:
        """Find (or found) the story of a stored article, index it, and store its story id."""
        return self.assign_many([article])[0]

    def assign_many(self, articles: Iterable[Article]) -> list[StoryDecision]:
        """Assign several stored articles in order (each sees the ones before it)."""
        decisions = []
        for article in articles:
            features = self.features(article)
            signature = text_signature(article.title, article.body, article.lead)
            row = self._row(article, features, signature)
            # Read, decide and write under the story lock: another process grouping a report of
            # the same event waits, then finds this one (instead of founding a second story).
            with self.index.deciding():
                decision = self._decide(article, features, signature, row.bands)
                self.index.put_many(
                    [row],
                    links=[
                        LinkRow(
                            row_id(article),
                            decision.story_id,
                            decision.how,
                            decision.matched,
                            decision.score,
                            decision.reasons,
                        )
                    ],
                )
            self._remember(row_id(article), features)
            decisions.append(decision)
        return decisions

    def refresh(self, article: Article) -> StoryDecision:
        """An article changed in place: re-index it; it keeps its story if it has one."""
        if article.story_id is None:
            return self.assign(article)
        features = self.features(article)
        signature = text_signature(article.title, article.body, article.lead)
        self.index.put_many([self._row(article, features, signature)])
        self._remember(row_id(article), features)
        return StoryDecision(row_id(article), article.story_id, "kept")

    def _row(self, article: Article, features: StoryFeatures, signature) -> IndexRow:
        return IndexRow(
            article_id=row_id(article),
            language=article.language or "",
            story_time=_story_time(article),
            minhash=signature_bytes(signature),
            bands=band_keys(signature, article.language or ""),
            keys=[key_hash(k) for k in features.keys()],
            packed=features.pack(),
            version=INDEX_VERSION,
        )

    def _remember(self, article_id: int, features: StoryFeatures) -> None:
        self._cache[article_id] = features
        self._cache.move_to_end(article_id)
        while len(self._cache) > self.CACHE:
            self._cache.popitem(last=False)

    def _features_of(self, indexed: IndexedArticle) -> StoryFeatures | None:
        cached = self._cache.get(indexed.article_id)
        if cached is not None:
            return cached
        features = StoryFeatures.unpack(indexed.packed)
        if features is not None:
            self._remember(indexed.article_id, features)
        return features

    def _candidates(
        self, article: Article, features: StoryFeatures, signature, bands, near_first: bool = True
    ) -> list[_Candidate]:
        """The stored articles this one could join, most promising first, at most ``max_candidates``.

        Found through the index (shared LSH bands within the duplicate window, shared event keys
        within the story window, at most ``key_limits`` and ``band_limit`` per key and band).
        Left out before any comparison, because ``compare`` would refuse them: articles found
        only through a place-and-day key, without a text in common (another language, or a
        similarity under the rewrite threshold): with no actor, object or amount in common
        nothing can link them. ``near_first``: when near copies of the text are among them, only
        the near copies (the shortcut: a copy of a text that has a story joins that story; the
        others are neither loaded nor compared unless every near copy refuses, see ``_decide``).
        """
        opts = self.options
        language = article.language or ""
        groups: dict[str, list[int]] = {kind: [] for kind in _KEY_WEIGHTS}
        for key in features.keys():
            groups[key[:2]].append(key_hash(key))
        hits = self.index.hits(
            bands=bands,
            keys=list(groups.values()),
            when=_story_time(article),
            band_days=opts.duplicate_window_days,
            key_days=opts.window_days,
            exclude=[row_id(article)],
            per_band=opts.band_limit,
            per_key=opts.key_limits,
        )
        if not hits:
            return []
        # Every similarity at once: one comparison of the stacked signatures.
        sims = _similarities(signature, [h.minhash for h in hits])
        weights = list(_KEY_WEIGHTS.values())
        ranked = []
        for hit, sim in zip(hits, sims):
            sim = float(sim) if hit.language == language else 0.0
            actors, amounts, objects, places = hit.keys
            # Only a text in common or a shared actor, amount or object can link (see compare).
            if hit.bands or actors or amounts or objects or sim >= opts.rewrite_threshold:
                # Roughly what compare would score: the evidence each kind of key stands for.
                evidence = sum(w * n for w, n in zip(weights, hit.keys)) + 2.0 * bool(objects or places)
                ranked.append((-(sim >= opts.near_threshold), -evidence, -sim, -hit.article_id, hit, sim))
        ranked.sort(key=lambda r: r[:4])
        if near_first and ranked and ranked[0][0]:
            ranked = [r for r in ranked if r[0]]
        ranked = ranked[: opts.max_candidates]
        found = self.index.get_many(r[4].article_id for r in ranked)
        out = []
        for *_, hit, sim in ranked:
            indexed = found.get(hit.article_id)
            if indexed is None:
                continue
            f = self._features_of(indexed)
            if f is not None:
                out.append(_Candidate(indexed, f, sim))
        return out

    def _decide(self, article: Article, features: StoryFeatures, signature, bands) -> StoryDecision:
        candidates = self._candidates(article, features, signature, bands)
        tried: set[int] = set()
        decision = self._join(article, features, signature, candidates, tried)
        if decision is None and candidates and candidates[0].similarity >= self.options.near_threshold:
            # Only near copies were compared and every one refused (another event's date, a
            # place, a story that disagrees): the full search, as for any other article.
            full = self._candidates(article, features, signature, bands, False)
            decision = self._join(article, features, signature, full, tried)
        return decision or StoryDecision(row_id(article), row_id(article), "new")

    def _join(
        self,
        article: Article,
        features: StoryFeatures,
        signature,
        candidates: list[_Candidate],
        tried: set[int],
    ) -> StoryDecision | None:
        """The story of the best-scoring candidate that links and whose story agrees, if any
        (stories in ``tried`` are skipped, and the ones looked at here are added to it)."""
        opts = self.options
        scored: list[tuple[float, _Candidate, Comparison]] = []
        for cand in candidates:
            result = compare(features, cand.features, self.table, opts, near_similarity=cand.similarity)
            if result.linked:
                scored.append((result.score, cand, result))
        scored.sort(key=lambda s: (-s[0], s[1].article.article_id))
        for score, cand, result in scored:
            story = _story_of(cand.article)
            if story in tried:
                continue
            tried.add(story)
            # Joining a story means agreeing with the rest of it too, so chains cannot drift.
            others = [
                m
                for m in self.index.members(story)
                if m.article_id not in (cand.article.article_id, article.id)
            ]
            if any(self._disagrees(features, signature, m, article.language or "") for m in others):
                continue
            how = "duplicate" if cand.similarity >= opts.near_threshold else "story"
            return StoryDecision(row_id(article), story, how, cand.article.article_id, score, result.reasons)
        return None

    def _disagrees(self, features: StoryFeatures, signature, member: IndexedArticle, language: str) -> bool:
        other = self._features_of(member)
        if other is None:
            return False
        sim = (
            similarity(signature, signature_from_bytes(member.minhash))
            if member.language == language
            else 0.0
        )
        return (
            compare(features, other, self.table, self.options, near_similarity=sim).conflict is not None
            and sim < self.options.near_threshold
        )

    # ------------------------------------------------------------ everything
    def regroup_all(self, progress: Callable[[StoryDecision], None] | None = None) -> dict[str, int]:
        """Forget every story and group all stored articles again, oldest first."""
        self.index.clear()
        self._cache.clear()
        counts = {"articles": 0, "duplicate": 0, "story": 0, "new": 0}
        for article in self.index.articles_by_time():
            decision = self.assign(article)
            counts["articles"] += 1
            counts[decision.how] += 1
            if progress is not None:
                progress(decision)
        counts["stories"] = counts["new"]
        return counts


def _similarities(signature, minhashes: list[bytes]):
    """Estimated Jaccard similarity of ``signature`` with each stored MinHash (bytes)."""
    matrix = np.frombuffer(b"".join(minhashes), dtype="<u4").reshape(len(minhashes), -1)
    return np.count_nonzero(matrix == np.asarray(signature, dtype="<u4"), axis=1) / matrix.shape[1]


def _story_of(article: IndexedArticle) -> int:
    return article.story_id if article.story_id is not None else article.article_id


def _story_time(article: Article) -> datetime | None:
    return article.published_at or article.first_seen_at
