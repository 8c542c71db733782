"""What a digest says: items grouped into stories, highlighted snippets, source health.

Everything here is plain data (dataclasses) built from stored articles and crawl
runs; rendering and sending happen elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from storage.models import Article, CrawlRun, row_id
from storage.runs import Degradation

LANGUAGE_NAMES = {"vi": "Vietnamese", "ru": "Russian", "en": "English"}
# Display order and names of the relevance model's evidence sides.
SIDE_NAMES = {
    "hanoi": "Hanoi",
    "russia": "Russia",
    "vietnam": "Vietnam",
    "national": "national",
    "locality": "locality",
    "pair": "both sides",
    "cooperation": "cooperation",
}
SNIPPET_CHARS = 320
_SPACE = re.compile(r"\s+")
# Vietnamese words of two syllables whose second (or first) syllable is also a term on its own:
# a highlight or a "why" that starts inside one would split the word ("ký biên **bản ghi nhớ**").
COMPOUNDS = ("biên bản", "văn bản", "tiếng Việt", "người Việt", "gốc Việt")
_DASH_JOIN = r"\s*[-–—]\s*"


@dataclass(frozen=True)
class Segment:
    """A piece of snippet text; ``mark`` says it is a matched term."""

    text: str
    mark: bool = False


@dataclass(frozen=True)
class OtherSource:
    """Another article of the same story: shown as "also in: source (language)"."""

    article_id: int
    title: str
    url: str
    source: str
    source_label: str
    language: str
    when: str

    @property
    def display(self) -> str:
        """ "VietnamPlus (English)"; the language is left out when the source's name already says it."""
        if self.language.lower() in self.source_label.lower():
            return self.source_label
        return f"{self.source_label} ({self.language})"


@dataclass(frozen=True)
class Item:
    article_id: int
    section: str  # core | national
    title: str
    url: str
    source: str
    source_label: str
    language: str
    language_name: str
    when: str  # local date and time, or "" when the article has no date
    snippet: list[Segment]
    why: str
    score: float
    also_in: list[OtherSource] = field(default_factory=list)

    @property
    def article_ids(self) -> list[int]:
        return [self.article_id, *(o.article_id for o in self.also_in)]


@dataclass(frozen=True)
class SourceHealth:
    source: str
    label: str
    runs: int
    failed: int  # failed, blocked or killed
    found_nothing: int  # finished runs that stored nothing new
    new: int
    last_success: str  # local time, or "never"
    last_status: str
    #: The site's selectors stopped matching: which fields, since when (local), a sample page.
    degraded_fields: list[str] = field(default_factory=list)
    degraded_since: str = ""
    degraded_sample: str = ""

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.last_success != "never" and not self.degraded_fields


@dataclass(frozen=True)
class DeliveryProblem:
    """A destination that refused an earlier digest for good (or a digest delivered nowhere)."""

    digest_id: int
    destination: str  # "" when the whole digest failed
    error: str
    when: str  # local time of the last attempt


@dataclass
class DigestContent:
    topic: str
    created: str  # local date and time of the digest
    date: str  # local date, for the subject
    timezone: str
    since: str  # local time the health window starts
    core: list[Item]
    national: list[Item]
    overflow: list[int]  # article ids beyond max_items: counted, not shown
    health: list[SourceHealth]
    delivery: list[DeliveryProblem] = field(default_factory=list)
    # The web app's address ([web] base_url): each item then links to its page there.
    web_base: str | None = None

    @property
    def core_articles(self) -> int:
        return sum(len(i.article_ids) for i in self.core)

    @property
    def national_articles(self) -> int:
        return sum(len(i.article_ids) for i in self.national)

    @property
    def article_count(self) -> int:
        return self.core_articles + self.national_articles + len(self.overflow)

    @property
    def empty(self) -> bool:
        return not (self.core or self.national or self.overflow)

    @property
    def subject(self) -> str:
        if self.empty:
            return f"{self.topic}: nothing new · {self.date}"
        stories = len(self.core)
        text = f"{self.topic}: {stories} new {'story' if stories == 1 else 'stories'}"
        if self.national:
            text += f" (+{len(self.national)} also relevant)"
        return f"{text} · {self.date}"


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------


def local_time(value: datetime | None, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _clean(text: str | None) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def matched_phrases(reasons: Iterable[dict]) -> list[str]:
    """Phrases to highlight: evidence that counted (not negative, not weak), longest first."""
    # Weak topic words (education, training...) would light up half a lead; they stay in "why" only.
    phrases = {_clean(str(r.get("phrase", ""))) for r in reasons if _counts(r) and r.get("kind") != "weak"}
    return sorted((p for p in phrases if p), key=lambda p: (-len(p), p))


def highlight(text: str, phrases: Sequence[str], limit: int = SNIPPET_CHARS) -> list[Segment]:
    """Cut ``text`` to about ``limit`` characters at a word boundary, marking whole-word matches of ``phrases``."""
    text = _clean(text)
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip(" ,.;:–-") + " …"
    if not phrases:
        return [Segment(text)] if text else []
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.IGNORECASE)
    spans: list[list[int]] = []
    for match in pattern.finditer(text):
        start, end = _whole_words(text, match.start(), match.end())
        if spans and (start <= spans[-1][1] or not text[spans[-1][1] : start].strip()):
            spans[-1][1] = max(spans[-1][1], end)  # touching or only spaces apart: one phrase
        else:
            spans.append([start, end])
    segments: list[Segment] = []
    pos = 0
    for start, end in spans:
        if start > pos:
            segments.append(Segment(text[pos:start]))
        segments.append(Segment(text[start:end], mark=True))
        pos = end
    if pos < len(text):
        segments.append(Segment(text[pos:]))
    return segments


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a match that starts or ends inside a two-syllable word (see COMPOUNDS)."""
    for word in COMPOUNDS:
        first, second = word.split(" ")
        before = re.search(r"(?<!\w)" + re.escape(first) + r"\s+$", text[:start], re.IGNORECASE)
        if before and text[start:end].lower().startswith(second.lower()):
            start = before.start()
        after = re.match(r"\s+" + re.escape(second) + r"(?!\w)", text[end:], re.IGNORECASE)
        if after and text[start:end].lower().endswith(first.lower()):
            end += after.end()
    return start, end


def _counts(reason: object) -> bool:
    if not isinstance(reason, dict) or reason.get("side") == "negative":
        return False
    try:
        return float(reason.get("weight", 1) or 0) > 0
    except (TypeError, ValueError):
        return False


def _inside(phrase: str, other: str) -> bool:
    """Whether ``phrase``'s words stand, in order, within the longer ``other``."""
    words, longer = phrase.lower().split(), other.lower().split()
    return len(words) < len(longer) and any(
        longer[i : i + len(words)] == words for i in range(len(longer) - len(words) + 1)
    )


def explain(
    reasons: Iterable[dict], label: str | None, score: float | None, per_side: int = 2, text: str = ""
) -> str:
    """A one-line "why it matched": label and score, then the strongest phrases per side,
    e.g. ``core 0.82 · Hanoi: Hà Nội · Russia: Moskva · cooperation: hợp tác, ký kết``.

    No fragments: a phrase that stands inside a longer phrase of the same side ("Việt" in
    "Việt Nam", "Nga" in "Liên bang Nga") is left out, and a one-word phrase joined to the
    next word by a dash in ``text`` is shown with it ("Việt – Nga")."""
    by_side: dict[str, list[str]] = {}
    counted = [r for r in reasons if _counts(r)]
    ranked = sorted(counted, key=lambda r: -float(r.get("weight", 1) or 0))
    phrases_of: dict[str, set[str]] = {}
    for r in counted:
        phrases_of.setdefault(str(r.get("side", "")), set()).add(_clean(str(r.get("phrase", ""))))
    for r in ranked:
        phrase = _clean(str(r.get("phrase", "")))
        side = str(r.get("side", ""))
        if not phrase or any(_inside(phrase, other) for other in phrases_of[side]):
            continue
        if " " not in phrase and text:
            joined = re.search(r"(?<!\w)" + re.escape(phrase) + _DASH_JOIN + r"(\w+)", text, re.IGNORECASE)
            if joined:
                phrase = f"{phrase} – {joined.group(1)}"
        bucket = by_side.setdefault(side, [])
        if phrase.lower() not in (p.lower() for p in bucket) and len(bucket) < per_side:
            bucket.append(phrase)
    order = [*SIDE_NAMES, *sorted(set(by_side) - set(SIDE_NAMES))]
    parts = [
        f"{SIDE_NAMES.get(side, side)}: {', '.join(by_side[side])}" for side in order if by_side.get(side)
    ]
    head = f"{label or '?'} {score:.2f}" if score is not None else (label or "?")
    return " · ".join([head, *parts])


def _headline_key(article: Article) -> tuple:
    # Core before national, then the earliest report, then the fullest text.
    far = datetime.max.replace(tzinfo=article.first_seen_at.tzinfo)
    return (
        article.label != "core",
        article.published_at or article.first_seen_at or far,
        -len(article.body or ""),
        article.id,
    )


def group_stories(articles: Sequence[Article]) -> list[list[Article]]:
    """Articles sharing a story_id become one group (headline first); the rest stand alone."""
    groups: dict[object, list[Article]] = {}
    for article in articles:
        key = ("story", article.story_id) if article.story_id is not None else ("article", article.id)
        groups.setdefault(key, []).append(article)
    return [sorted(group, key=_headline_key) for group in groups.values()]


def make_item(group: Sequence[Article], tz: tzinfo, labels: dict[str, str]) -> Item:
    head, others = group[0], group[1:]
    reasons = list(head.reasons or [])
    return Item(
        article_id=row_id(head),
        section="core" if head.label == "core" else "national",
        title=_clean(head.title) or head.url,
        url=head.url,
        source=head.source,
        source_label=labels.get(head.source, head.source),
        language=head.language,
        language_name=LANGUAGE_NAMES.get(head.language, head.language),
        when=local_time(head.published_at, tz),
        snippet=highlight(head.lead or head.body, matched_phrases(reasons)),
        why=explain(
            reasons, head.label, head.score, text=" ".join(filter(None, (head.title, head.lead, head.body)))
        ),
        score=head.score or 0.0,
        also_in=[
            OtherSource(
                row_id(o),
                _clean(o.title),
                o.url,
                o.source,
                labels.get(o.source, o.source),
                LANGUAGE_NAMES.get(o.language, o.language),
                local_time(o.published_at, tz),
            )
            for o in others
        ],
    )


def source_health(
    runs: Sequence[CrawlRun],
    sources: Iterable[str],
    last_success: dict[str, CrawlRun | None],
    labels: dict[str, str],
    tz: tzinfo,
    degraded: dict[str, Degradation | None] | None = None,
) -> list[SourceHealth]:
    """Per source, over ``runs``: how many failed, how many found nothing new, and the last success."""
    names = list(dict.fromkeys([*sources, *(r.source for r in runs)]))
    rows = []
    for name in names:
        mine = [r for r in runs if r.source == name and r.status != "running"]
        success = last_success.get(name)
        found = (degraded or {}).get(name)
        rows.append(
            SourceHealth(
                source=name,
                label=labels.get(name, name),
                runs=len(mine),
                failed=sum(1 for r in mine if r.status in ("failed", "blocked", "killed")),
                found_nothing=sum(1 for r in mine if r.status in ("ok", "partial") and r.new == 0),
                new=sum(r.new for r in mine),
                last_success=local_time(success.finished_at or success.started_at, tz)
                if success
                else "never",
                last_status=mine[-1].status if mine else "no runs",
                degraded_fields=list(found.fields) if found else [],
                degraded_since=local_time(found.since, tz) if found else "",
                degraded_sample=found.sample_url if found else "",
            )
        )
    return rows
