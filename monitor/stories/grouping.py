"""Story grouping: which stored story a new article belongs to, if any.

Two ways into an existing story, tried in order:
1. Near-duplicate text in the same language (MinHash LSH in storage.stories):
   syndicated copies, reposts with other page furniture.
2. Same event, any language: the articles name the same places, and share
   people, the event's date or numbers, and were published within a few days.

Both are vetoed by a conflict, because merging two stories is worse than
showing one twice: publication too far apart, different event dates, or a
city or region one article is about that the other never names (Hanoi–Moscow
is not Hanoi–St Petersburg, nor a Kaluga governor's meeting with the President),
or a country one is about that the other never names, directly or through one
of its places (Hanoi–Japan is not Hanoi–Russia).
An article that joins nothing founds a story whose id is its own article id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from monitor.stories.entities import EntityTable
from monitor.stories.features import FEATURES_VERSION, StoryFeatures, extract_features
from storage import Article, Database
from storage.stories import SIGNATURE_VERSION, IndexedArticle, SignatureRow, StoryIndex, text_signature

logger = logging.getLogger(__name__)

INDEX_VERSION = f"{SIGNATURE_VERSION}.{FEATURES_VERSION}"


@dataclass(frozen=True)
class StoryOptions:
    window_days: float = 3.0  # same event: published at most this far apart
    duplicate_window_days: float = 30.0  # near-duplicate text: reposts come later
    near_threshold: float = 0.5  # estimated Jaccard of character shingles
    # Without near-duplicate text: 2 points per anchor (shared event date, two shared
    # people, two shared numbers), 1 per support (one person, one number, same
    # headline places, two places both are about).
    min_evidence: int = 3


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
    how: str  # "duplicate" | "story" | "new"
    matched: int | None = None  # the article it was linked to
    score: float = 0.0
    reasons: tuple[str, ...] = ()


def compare(a: StoryFeatures, b: StoryFeatures, table: EntityTable, options: StoryOptions,
            near_similarity: float | None = None) -> Comparison:
    """Do two articles report the same story? Symmetric in a and b."""
    near = near_similarity is not None and near_similarity >= options.near_threshold
    if a.published and b.published:
        apart = abs(a.published - b.published)
        limit = options.duplicate_window_days if near else options.window_days
        if apart > timedelta(days=limit):
            return Comparison(False, 0.0, conflict=f"published {apart.days} days apart")
    if a.event_dates and b.event_dates and not (a.event_dates & b.event_dates):
        return Comparison(False, 0.0, conflict="different event dates")
    conflict = _place_conflict(a, b, table) or _place_conflict(b, a, table)
    if conflict:
        return Comparison(False, 0.0, conflict=conflict)
    if near:
        return Comparison(True, 10.0 + near_similarity, (f"near-duplicate text ({near_similarity:.2f})",))

    reasons: list[str] = []
    score = 0.0
    shared = sorted(a.salient() & b.salient())
    if not shared:
        return Comparison(False, 0.0, conflict="no place both are about")
    # Anchors tie two reports to one occasion; support makes a single anchor enough.
    # A famous name or one round number alone is neither: they turn up in many stories.
    anchors = 0
    support = 0
    people = sorted(a.people & b.people)
    if people:
        reasons.append("people: " + ", ".join(people))
        anchors += len(people) >= 2
        support += len(people) == 1
    dates = sorted(a.event_dates & b.event_dates)
    if dates:
        reasons.append("event date: " + ", ".join(dates))
        anchors += 1
    numbers = sorted(a.numbers & b.numbers)
    if numbers:
        reasons.append("numbers: " + ", ".join(numbers))
        anchors += len(numbers) >= 2
        support += len(numbers) == 1
    if a.title_places and a.title_places == b.title_places:
        reasons.append("headline places: " + ", ".join(sorted(a.title_places)))
        support += 1
    if len(shared) >= 2:
        reasons.append("both about: " + ", ".join(shared))
        support += 1
    score = 2.0 * anchors + support
    # Without both publication dates, only a shared event date says it is the same occasion.
    if not (a.published and b.published) and not dates:
        return Comparison(False, score, tuple(reasons), conflict="no publication dates and no shared event date")
    if anchors == 0:
        return Comparison(False, score, tuple(reasons), conflict="nothing ties them to one occasion")
    return Comparison(score >= options.min_evidence, score, tuple(reasons))


def _place_conflict(a: StoryFeatures, b: StoryFeatures, table: EntityTable) -> str | None:
    """A city or region that ``a`` is about must be named in ``b``; a country ``a`` is about
    must be named in ``b`` or stand behind one of its places (Moscow stands for Russia)."""
    b_countries = {table.country_of(k) for k in b.places}
    for place in sorted(a.salient()):
        if place in b.places:
            continue
        country = table.country_of(place)
        if place != country:
            rivals = sorted(k for k in b.salient() if k != country and table.country_of(k) == country)
            if rivals:
                return f"{place} here, {rivals[0]} there"
            return f"{place} is not named in the other article"
        if country not in b_countries:
            return f"{place} is not named in the other article"
    return None


class StoryGrouper:
    """Assigns stored articles to stories, and keeps the story index in step."""

    def __init__(self, db: Database, *, table: EntityTable | None = None, options: StoryOptions | None = None,
                 entities_file: Path | None = None) -> None:
        self.db = db
        self.index = StoryIndex(db)
        self.table = table or EntityTable.load(entities_file)
        self.options = options or StoryOptions()

    # ------------------------------------------------------------ one article
    def features(self, article: Article) -> StoryFeatures:
        return extract_features(self.table, title=article.title, body=article.body, lead=article.lead,
                                language=article.language, published=article.published_at)

    def assign(self, article: Article) -> StoryDecision:
        """Find (or found) the story of a stored article, index it, and store its story id."""
        features = self.features(article)
        signature = text_signature(article.title, article.body, article.lead)
        decision = self._decide(article, features, signature)
        self.index.put(self._row(article, features, signature))
        self.index.set_story(article.id, decision.story_id)
        return decision

    def refresh(self, article: Article) -> StoryDecision:
        """An article changed in place: re-index it; it keeps its story if it has one."""
        if article.story_id is None:
            return self.assign(article)
        features = self.features(article)
        signature = text_signature(article.title, article.body, article.lead)
        self.index.put(self._row(article, features, signature))
        return StoryDecision(article.id, article.story_id, "kept")

    def _row(self, article: Article, features: StoryFeatures, signature) -> SignatureRow:
        return SignatureRow(
            article_id=article.id, language=article.language or "", story_time=_story_time(article),
            signature=signature, features=features.to_dict(), version=INDEX_VERSION,
        )

    def _decide(self, article: Article, features: StoryFeatures, signature) -> StoryDecision:
        opts = self.options
        for match in self.index.near(signature, article.language or "", opts.near_threshold, exclude=[article.id]):
            other = StoryFeatures.from_dict(match.article.features)
            result = compare(features, other, self.table, opts, near_similarity=match.similarity)
            if result.linked:
                return StoryDecision(article.id, _story_of(match.article), "duplicate", match.article.article_id,
                                     result.score, result.reasons)

        when = _story_time(article)
        span = timedelta(days=opts.window_days)
        candidates = self.index.window(when - span, when + span, exclude=[article.id]) if when \
            else self.index.window(None, None, exclude=[article.id])
        parsed = {c.article_id: StoryFeatures.from_dict(c.features) for c in candidates}
        scored: list[tuple[float, IndexedArticle, Comparison]] = []
        for cand in candidates:
            result = compare(features, parsed[cand.article_id], self.table, opts)
            if result.linked:
                scored.append((result.score, cand, result))
        scored.sort(key=lambda s: (-s[0], s[1].article_id))
        for score, cand, result in scored:
            story = _story_of(cand)
            # Joining a story means agreeing with the rest of it too, so chains cannot drift.
            members = [c for c in candidates if _story_of(c) == story and c.article_id != cand.article_id]
            if any(compare(features, parsed[m.article_id], self.table, opts).conflict for m in members):
                continue
            return StoryDecision(article.id, story, "story", cand.article_id, score, result.reasons)
        return StoryDecision(article.id, article.id, "new")

    # ------------------------------------------------------------ everything
    def regroup_all(self, progress: Callable[[StoryDecision], None] | None = None) -> dict[str, int]:
        """Forget every story and group all stored articles again, oldest first."""
        self.index.clear()
        counts = {"articles": 0, "duplicate": 0, "story": 0, "new": 0}
        for article in self.index.articles_by_time():
            decision = self.assign(article)
            counts["articles"] += 1
            counts[decision.how] += 1
            if progress is not None:
                progress(decision)
        counts["stories"] = counts["new"]
        return counts


def _story_of(article: IndexedArticle) -> int:
    return article.story_id if article.story_id is not None else article.article_id


def _story_time(article: Article) -> datetime | None:
    return article.published_at or article.first_seen_at
