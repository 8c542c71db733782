"""What survives translation: the places and people an article names, its numbers, its dates.

`extract_features(...)` turns one article (any of vi/en/ru) into `StoryFeatures`,
which `monitor.stories.grouping.compare` matches across languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from monitor.relevance.text import fold, normalize
from monitor.stories.entities import EntityTable, Mention, Token, tokenize
from storage.stories import article_text_lines

# Bumped when extraction rules change: stored features of other versions are rebuilt by restory.
FEATURES_VERSION = "f1"

_FIELD_WEIGHT = {"title": 3, "lead": 2, "body": 1}
# A place named this much (the title, or the lead and once more) is what the story is about.
SALIENT = 3

# Dates mentioned this close to publication are the event's; others are background.
EVENT_BEFORE = timedelta(days=14)
EVENT_AFTER = timedelta(days=7)

# "Moscow (VNA) –", "МОСКВА, 23 мая. /ТАСС/.", "HÀ NỘI -": where the wire was filed, not a party.
_DATELINE = re.compile(
    r"^\s*[A-ZÀ-ỸĐА-ЯЁ][\w.'’ -]{0,30}?(?:,\s*[^()\n/]{1,25}?)?\s*(?:\([^()\n]{2,20}\)|/[^/\n]{2,20}/)"
    r"\s*[.:]?\s*[-–—]?\s*"
    r"|^\s*[A-ZÀ-ỸĐА-ЯЁ][A-ZÀ-ỸĐА-ЯЁ .]{2,24}\s+[-–—]\s+"
)

_MONTHS_EN = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
_MONTHS_EN.update({m[:3]: i for m, i in list(_MONTHS_EN.items())})
_MONTHS_EN["sept"] = 9
_MONTHS_RU = {m: i + 1 for i, m in enumerate(
    ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
     "ноября", "декабря"])}
_EN_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\.?"
_RU_MONTH = r"(?P<rmon>" + "|".join(_MONTHS_RU) + r")"

_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b"),
    re.compile(r"\b(?P<d>[0-3]?\d)/(?P<m>[01]?\d)(?:/(?P<y>(?:19|20)\d\d))?\b"),
    re.compile(r"\b(?P<d>[0-3]?\d)\.(?P<m>[01]\d)\.(?P<y>(?:19|20)\d\d)\b"),
    re.compile(r"\bngày\s+(?P<d>[0-3]?\d)\s+tháng\s+(?P<m>[01]?\d)(?:\s+năm\s+(?P<y>(?:19|20)\d\d))?", re.I),
    re.compile(_EN_MONTH + r"\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>(?:19|20)\d\d))?", re.I),
    re.compile(r"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?" + _EN_MONTH + r"\b(?:,?\s+(?P<y>(?:19|20)\d\d))?",
               re.I),
    re.compile(r"\b(?P<d>[0-3]?\d)\s+" + _RU_MONTH + r"(?:\s+(?P<y>(?:19|20)\d\d))?", re.I),
]

_YEAR_RANGE = re.compile(r"\b(?P<a>(?:19|20)\d\d)\s*[-–—/]\s*(?P<b>(?:19|20)\d\d)\b")
_TIME = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
_MULTIPLIERS = [
    (re.compile(r"nghìn tỷ|nghìn tỉ|ngàn tỷ|trillion|трлн|триллион\w*", re.I), 1e12),
    (re.compile(r"tỷ|tỉ|billion|bn\b|млрд|миллиард\w*", re.I), 1e9),
    (re.compile(r"triệu|million|mln\b|млн|миллион\w*", re.I), 1e6),
    (re.compile(r"nghìn|ngàn|thousand|тыс\.?|тысяч\w*", re.I), 1e3),
]
_PERCENT = re.compile(r"%|phần trăm|per ?cent|процент\w*", re.I)
_NUMBER = {
    # Thousands and decimal separators differ: 1.500,5 (vi), 1,500.5 (en), 1 500,5 (ru).
    "vi": re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\d])|(?<![\d.,])\d+(?:,\d+)?(?![\d])"),
    "en": re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])|(?<![\d.,])\d+(?:\.\d+)?(?![\d])"),
    "ru": re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0]\d{3})+(?:,\d+)?(?![\d])|(?<![\d.,])\d+(?:,\d+)?(?![\d])"),
}

_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
))


@dataclass(frozen=True)
class StoryFeatures:
    """One article's language-neutral evidence."""

    language: str
    published: datetime | None = None
    places: dict[str, int] = field(default_factory=dict)  # place key → weighted mentions
    title_places: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()  # "YYYY-MM-DD" (year known) or "--MM-DD"
    event_dates: frozenset[str] = frozenset()  # the subset near publication ("MM-DD")
    version: str = FEATURES_VERSION

    def salient(self) -> frozenset[str]:
        return frozenset(k for k, w in self.places.items() if w >= SALIENT)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "published": self.published.isoformat() if self.published else None,
            "places": dict(sorted(self.places.items())),
            "title_places": sorted(self.title_places),
            "people": sorted(self.people),
            "numbers": sorted(self.numbers),
            "dates": sorted(self.dates),
            "event_dates": sorted(self.event_dates),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StoryFeatures":
        published = d.get("published")
        return cls(
            language=str(d.get("language") or ""),
            published=datetime.fromisoformat(published) if published else None,
            places={str(k): int(v) for k, v in (d.get("places") or {}).items()},
            title_places=frozenset(d.get("title_places") or ()),
            people=frozenset(d.get("people") or ()),
            numbers=frozenset(d.get("numbers") or ()),
            dates=frozenset(d.get("dates") or ()),
            event_dates=frozenset(d.get("event_dates") or ()),
            version=str(d.get("version") or ""),
        )


def extract_features(
    table: EntityTable,
    *,
    title: str,
    body: str,
    lead: str = "",
    language: str = "",
    published: datetime | None = None,
) -> StoryFeatures:
    """Places, people, numbers and dates of one article."""
    lang = (language or "").lower()[:2]
    places: dict[str, int] = {}
    title_places: set[str] = set()
    people: set[str] = set()
    numbers: set[str] = set()
    found_dates: list[tuple[int | None, int, int]] = []

    fields: list[tuple[str, str]] = []
    if title.strip():
        fields.append(("title", title))
    lead_taken = False
    for line in article_text_lines("", body, lead):
        name = "body"
        if not lead_taken and (lead.strip() or len(line.split()) >= 12):
            name, lead_taken = "lead", True
        fields.append((name, line))

    for name, raw in fields:
        full = normalize(raw)
        # The dateline's place is where the wire was filed, but its date is the event's.
        text = _DATELINE.sub(lambda m: " " * len(m.group()), full, count=1)
        tokens = tokenize(text)
        mentions = table.find(tokens, text)
        for m in mentions:
            if m.category == "place":
                places[m.key] = places.get(m.key, 0) + _FIELD_WEIGHT[name]
                if name == "title":
                    title_places.add(m.key)
            else:
                people.add("p:" + m.key)
        if name != "title":  # English titles are Title Case: every word looks like a name
            people.update(_auto_names(table, tokens, mentions, text, lang))
        masked = full
        for pattern in _DATE_PATTERNS:
            for dm in pattern.finditer(masked):
                parsed = _date_parts(dm)
                if parsed is not None:
                    found_dates.append(parsed)
            masked = pattern.sub(lambda dm: " " * len(dm.group()), masked)
        numbers.update(_numbers(masked, lang))

    dates, event_dates = _resolve_dates(found_dates, published)
    return StoryFeatures(
        language=lang, published=published, places=places, title_places=frozenset(title_places),
        people=frozenset(people), numbers=frozenset(numbers), dates=frozenset(dates),
        event_dates=frozenset(event_dates),
    )


# ---------------------------------------------------------------- dates
def _date_parts(m: re.Match[str]) -> tuple[int | None, int, int] | None:
    groups = m.groupdict()
    if groups.get("mon"):
        month = _MONTHS_EN.get(groups["mon"].lower().rstrip("."))
    elif groups.get("rmon"):
        month = _MONTHS_RU.get(groups["rmon"].lower())
    else:
        month = int(groups["m"])
    day = int(groups["d"])
    year = int(groups["y"]) if groups.get("y") else None
    if not month or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    try:
        date(year or 2000, month, day)
    except ValueError:
        return None
    return year, month, day


def _resolve_dates(found: list[tuple[int | None, int, int]], published: datetime | None) -> tuple[set[str], set[str]]:
    dates: set[str] = set()
    event: set[str] = set()
    pub = published.date() if published else None
    for year, month, day in found:
        if pub is not None:
            if year is None:
                # The year nearest to publication ("on Dec 30" in a Jan 2 article is last year).
                year = min((pub.year - 1, pub.year, pub.year + 1),
                           key=lambda y: abs((_safe_date(y, month, day) - pub).days))
            d = _safe_date(year, month, day)
            dates.add(d.isoformat())
            if pub - EVENT_BEFORE <= d <= pub + EVENT_AFTER:
                event.add(d.strftime("%m-%d"))
        else:
            dates.add(f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}")
            # Undated input: every day mentioned may be the event's.
            event.add(f"{month:02d}-{day:02d}")
    return dates, event


def _safe_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 29 February of a common year
        return date(year, month, 28)


# ---------------------------------------------------------------- numbers
def _numbers(text: str, lang: str) -> set[str]:
    """Amounts and counts as language-neutral keys ("1.5e+09", "75", "30%", "2019-2021")."""
    out: set[str] = set()
    for m in _YEAR_RANGE.finditer(text):
        out.add(f"{m.group('a')}-{m.group('b')}")
    text = _YEAR_RANGE.sub(lambda m: " " * len(m.group()), text)
    text = _TIME.sub(lambda m: " " * len(m.group()), text)
    pattern = _NUMBER.get(lang, _NUMBER["en"])
    for m in pattern.finditer(text):
        value = _parse_number(m.group(), lang)
        if value is None:
            continue
        after = text[m.end():m.end() + 24].lstrip()
        multiplier = 1.0
        for mult_re, factor in _MULTIPLIERS:
            mm = mult_re.match(after)
            if mm:
                multiplier = factor
                after = after[mm.end():].lstrip()
                break
        percent = bool(_PERCENT.match(after))
        value *= multiplier
        if multiplier == 1.0 and not percent:
            if value < 10 or (value == int(value) and 1900 <= value <= 2100):
                continue  # small counts and years say little about which event it is
        out.add(f"{value:.3g}" + ("%" if percent else ""))
    return out


def _parse_number(raw: str, lang: str) -> float | None:
    s = raw.replace("\u00a0", " ")
    if lang == "vi":
        s = s.replace(".", "").replace(",", ".")
    elif lang == "ru":
        s = s.replace(" ", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    try:
        return float(s)
    except ValueError:
        return None


# ---------------------------------------------------------------- names
def _skeleton(word: str) -> str:
    """A spelling-insensitive form of a name: Cyrillic romanised, y/i and kh/h merged."""
    out = "".join(_CYRILLIC.get(c, c) for c in fold(word.lower()))
    out = out.replace("kh", "h").replace("y", "i").replace("j", "i")
    return re.sub(r"(.)\1+", r"\1", out)


_VI_MARKS = re.compile(r"[^\x00-\x7f\u0400-\u04ff]")


def _auto_names(table: EntityTable, tokens: list[Token], mentions: list[Mention], text: str, lang: str) -> set[str]:
    """Personal names not in the table: Vietnamese names by their family name, others by surname.

    "Nguyễn Đức Chung" and "Nguyen Duc Chung" both give vn:nguyen duc chung (in
    Cyrillic, Vietnamese names are too loosely transliterated to match: the table has the known ones);
    "Sergey Sobyanin" and "Сергея Собянина" both give fn:sobian (six letters of
    the surname's skeleton, enough to reach past Russian case endings).
    """
    used = set()
    for m in mentions:
        used.update(range(m.first, m.last + 1))
    runs: list[list[int]] = []
    run: list[int] = []
    for i, tok in enumerate(tokens):
        ok = tok.capitalised and i not in used and tok.folded not in table.not_names and not tok.text.isdigit()
        if ok and run and text[tokens[run[-1]].end:tok.start] not in (" ", "-"):
            runs.append(run)
            run = []
        if ok:
            run.append(i)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    names: set[str] = set()
    for run in runs:
        words = [tokens[i] for i in run]
        start = next((k for k, w in enumerate(words) if w.folded in table.vi_surnames), None)
        if start is not None and len(words) - start >= 3:
            full = words[start:start + 3]
            names.add("vn:" + " ".join(w.folded for w in full))
            continue
        if len(words) < 2 or start is not None:
            continue
        # In Vietnamese copy only foreign-looking words: long, no Vietnamese diacritics.
        if lang == "vi" and any(len(w.text) < 5 or _VI_MARKS.search(w.text) for w in words):
            continue
        surname = _skeleton(words[-1].text)
        if len(surname) >= 5:
            names.add("fn:" + surname[:6])
    return names
