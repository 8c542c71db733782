"""What survives translation: who did what, about what, where and when.

The actors (people and organisations), the kind of event (signed, received, opened...),
its object (the MoU, the programme, the festival), the places, the amounts and the
event's own date (stated, or relative: "on Tuesday", "hôm qua", "вчера"), all as
language-neutral keys.

`extract_features(...)` turns one article (any of vi/en/ru) into `StoryFeatures`,
which `monitor.stories.grouping.compare` matches across languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from monitor.relevance.text import fold, normalize
from monitor.stories.entities import EntityTable, Mention, Token, tokenize
from monitor.stories.text import article_text_lines

# Bumped when extraction rules change: stored features of other versions are rebuilt by restory.
FEATURES_VERSION = "f2"

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

_MONTHS_EN = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTHS_EN.update({m[:3]: i for m, i in list(_MONTHS_EN.items())})
_MONTHS_EN["sept"] = 9
_MONTHS_RU = {
    m: i + 1
    for i, m in enumerate(
        [
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ]
    )
}
_EN_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\.?"
_RU_MONTH = r"(?P<rmon>" + "|".join(_MONTHS_RU) + r")"

_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b"),
    re.compile(r"\b(?P<d>[0-3]?\d)/(?P<m>[01]?\d)(?:/(?P<y>(?:19|20)\d\d))?\b"),
    re.compile(r"\b(?P<d>[0-3]?\d)\.(?P<m>[01]\d)\.(?P<y>(?:19|20)\d\d)\b"),
    re.compile(
        r"(?<!\w)(?:ngày|sáng|chiều|tối|trưa|đêm|hôm)\s+(?P<d>[0-3]?\d)-(?P<m>[01]?\d)(?![\d-])", re.I
    ),
    re.compile(r"\bngày\s+(?P<d>[0-3]?\d)\s+tháng\s+(?P<m>[01]?\d)(?:\s+năm\s+(?P<y>(?:19|20)\d\d))?", re.I),
    re.compile(_EN_MONTH + r"\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>(?:19|20)\d\d))?", re.I),
    re.compile(
        r"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?" + _EN_MONTH + r"\b(?:,?\s+(?P<y>(?:19|20)\d\d))?",
        re.I,
    ),
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
    "ru": re.compile(
        r"(?<![\d.,])\d{1,3}(?:[ \u00a0]\d{3})+(?:,\d+)?(?![\d])|(?<![\d.,])\d+(?:,\d+)?(?![\d])"
    ),
}

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
    )
)


@dataclass(frozen=True)
class StoryFeatures:
    """One article's language-neutral evidence about the event it reports."""

    language: str
    published: datetime | None = None
    places: dict[str, int] = field(default_factory=dict)  # place key → weighted mentions
    title_places: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()  # people (p:, vn:, fn:) and organisations (o:)
    actions: frozenset[str] = frozenset()  # what happened, named in the headline and lead
    head_actions: frozenset[str] = frozenset()  # ... in the headline (else the lead's first sentence)
    objects: frozenset[str] = frozenset()  # what it was about, named in the headline and lead
    numbers: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()  # every date near publication, "YYYY-MM-DD" (or "--MM-DD")
    event_date: str | None = None  # the event's own date: the first one the headline or lead gives
    event_date_exact: bool = True  # False when it came from "on Tuesday", "hôm qua", "вчера"
    version: str = FEATURES_VERSION

    def salient(self) -> frozenset[str]:
        return frozenset(k for k, w in self.places.items() if w >= SALIENT)

    def day(self) -> date | None:
        """The event's day: its own date, else the publication day."""
        if self.event_date and not self.event_date.startswith("--"):
            return date.fromisoformat(self.event_date)
        return self.published.date() if self.published else None

    # ---------------------------------------------------------- compact storage
    def pack(self) -> str:
        """One line of tab-separated fields; unpacking is a few splits (no JSON per comparison)."""
        return "\t".join(
            [
                self.version,
                self.language,
                self.published.isoformat() if self.published else "",
                "|".join(f"{k}={w}" for k, w in sorted(self.places.items())),
                "|".join(sorted(self.title_places)),
                "|".join(sorted(self.actors)),
                "|".join(sorted(self.actions)),
                "|".join(sorted(self.head_actions)),
                "|".join(sorted(self.objects)),
                "|".join(sorted(self.numbers)),
                "|".join(sorted(self.dates)),
                self.event_date or "",
                "1" if self.event_date_exact else "0",
            ]
        )

    @classmethod
    def unpack(cls, packed: str) -> StoryFeatures | None:
        """The features packed by ``pack``; None for another version's or an empty row."""
        parts = packed.split("\t")
        if len(parts) != 13 or parts[0] != FEATURES_VERSION:
            return None

        def items(s: str) -> frozenset[str]:
            return frozenset(s.split("|")) if s else frozenset()

        places = {}
        if parts[3]:
            for item in parts[3].split("|"):
                k, _, w = item.rpartition("=")
                places[k] = int(w)
        return cls(
            language=parts[1],
            published=datetime.fromisoformat(parts[2]) if parts[2] else None,
            places=places,
            title_places=items(parts[4]),
            actors=items(parts[5]),
            actions=items(parts[6]),
            head_actions=items(parts[7]),
            objects=items(parts[8]),
            numbers=items(parts[9]),
            dates=items(parts[10]),
            event_date=parts[11] or None,
            event_date_exact=parts[12] == "1",
            version=parts[0],
        )

    # ---------------------------------------------------------- index keys
    def keys(self) -> list[str]:
        """What a report of the same event would share with this one (see ``StoryIndex.hits``):
        an actor, a named object on the event's day, a place the article is about on that day,
        an amount. Dates are the event's day and, for an undated report, the day before too."""
        days = set()
        if self.event_date and not self.event_date.startswith("--"):
            days.add(self.event_date)
        elif self.published:
            pub = self.published.date()
            days.update({pub.isoformat(), (pub - timedelta(days=1)).isoformat()})
        out = [f"a:{a}" for a in sorted(self.actors)]
        out += [f"n:{n}" for n in sorted(self.numbers)]
        for d in sorted(days):
            out += [f"o:{o}|{d}" for o in sorted(self.objects)]
            out += [f"d:{p}|{d}" for p in sorted(self.salient())]
        return out


def extract_features(
    table: EntityTable,
    *,
    title: str,
    body: str,
    lead: str = "",
    language: str = "",
    published: datetime | None = None,
) -> StoryFeatures:
    """Places, actors, actions, objects, numbers and dates of one article."""
    lang = (language or "").lower()[:2]
    places: dict[str, int] = {}
    title_places: set[str] = set()
    actors: set[str] = set()
    actions: set[str] = set()
    head_actions: set[str] = set()
    lead_actions: set[str] = set()
    objects: set[str] = set()
    numbers: set[str] = set()
    found_dates: list[tuple[int | None, int, int]] = []
    head_dates: list[tuple[tuple[int | None, int, int] | date, bool]] = []

    fields: list[tuple[str, str]] = []
    if title.strip():
        fields.append(("title", title))
    lead_taken = False
    for line in article_text_lines("", body, lead):
        name = "body"
        if not lead_taken and (lead.strip() or len(line.split()) >= 12):
            name, lead_taken = "lead", True
        fields.append((name, line))

    pub = published.date() if published else None
    head_lines = 0
    for name, raw in fields:
        full = normalize(raw.replace("US$", "USD "))  # "US$80 million" names no country
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
                actors.add("p:" + m.key)
        actors.update("o:" + m.key for m in table.find(tokens, text, "orgs"))
        if name != "title":  # English titles are Title Case: every word looks like a name
            actors.update(_auto_names(table, tokens, mentions, text, lang))
        # The head: the headline, the lead and the body's first lines (where a wire's
        # dateline and first sentence give the date: "ХАНОЙ, 20 ноября. /ТАСС/. ...").
        in_head = name in ("title", "lead") or head_lines < 2
        # What happened is told by the headline and the lead (the first body lines when there is none).
        tells_action = name in ("title", "lead") or (not lead_taken and head_lines < 2)
        if name == "body":
            head_lines += 1
        if in_head:
            for m in table.find(tokens, text, "events"):
                if m.category == "action":
                    if not tells_action or m.key == _NOT_AN_ACTION:
                        continue
                    actions.add(m.key)
                    if name == "title":
                        head_actions.add(m.key)
                    elif name == "lead" and m.first < 40:
                        lead_actions.add(m.key)
                else:
                    objects.add(m.key)
        masked = full
        line_dates: list[tuple[int, tuple[int | None, int, int]]] = []
        for pattern in _DATE_PATTERNS:
            for dm in pattern.finditer(masked):
                parsed = _date_parts(dm)
                if parsed is None or _is_stamp(masked, dm):
                    continue
                found_dates.append(parsed)
                line_dates.append((dm.start(), parsed))
            masked = pattern.sub(lambda dm: " " * len(dm.group()), masked)
        if in_head:
            # The first date of the line, stated or relative, is the event's; an end date
            # ("until December 3") is not.
            ordered: list[tuple[int, tuple[int | None, int, int] | date, bool]] = [
                (pos, d, True) for pos, d in line_dates if not _UNTIL.search(full[max(0, pos - 12) : pos])
            ]
            if pub is not None:
                relative = _relative_date(masked, pub, lang)
                if relative is not None:
                    ordered.append((relative[0], relative[1], False))
            ordered.sort(key=lambda d: d[0])
            head_dates.extend((d, exact) for _, d, exact in ordered)
        numbers.update(_numbers(masked, lang))

    dates = _resolve_dates(found_dates, published)
    event_date, exact = _event_date(head_dates, published)
    return StoryFeatures(
        language=lang,
        published=published,
        places=places,
        title_places=frozenset(title_places),
        actors=frozenset(actors),
        actions=frozenset(actions),
        head_actions=frozenset(head_actions or lead_actions),
        objects=frozenset(objects),
        numbers=frozenset(numbers),
        dates=frozenset(dates),
        event_date=event_date,
        event_date_exact=exact,
    )


# ---------------------------------------------------------------- dates
_WEEKDAYS = {
    "en": [r"monday", r"tuesday", r"wednesday", r"thursday", r"friday", r"saturday", r"sunday"],
    "vi": [
        r"thứ hai|thứ 2",
        r"thứ ba|thứ 3",
        r"thứ tư|thứ 4",
        r"thứ năm|thứ 5",
        r"thứ sáu|thứ 6",
        r"thứ bảy|thứ 7",
        r"chủ nhật",
    ],
    "ru": [
        r"в понедельник",
        r"во вторник",
        r"в среду",
        r"в четверг",
        r"в пятницу",
        r"в субботу",
        r"в воскресенье",
    ],
}
_WEEKDAY_RE = {
    lang: [re.compile(r"(?<!\w)(?:" + w + r")(?!\w)", re.I) for w in days] for lang, days in _WEEKDAYS.items()
}
_TODAY = re.compile(
    r"(?<!\w)(today|this morning|this afternoon|this evening|tonight|hôm nay|sáng nay|chiều nay|"
    r"tối nay|trưa nay|сегодня)(?!\w)",
    re.I,
)
_YESTERDAY = re.compile(r"(?<!\w)(yesterday|hôm qua|sáng qua|chiều qua|tối qua|вчера)(?!\w)", re.I)
# "tiếp tục" (continue), "tiếp nhận" (take in) are not "tiếp" (receive): the entity table
# maps such phrases to this key so that the longest match keeps them out.
_NOT_AN_ACTION = "none"
_UNTIL = re.compile(r"(?<!\w)(until|till|through|to|by|đến|tới|до|по)\s*(ngày\s*)?$", re.I)
_STAMP_TIME = re.compile(r"\d{1,2}[:h]\d{2}")


def _is_stamp(text: str, m: re.Match[str]) -> bool:
    """A page's own date-and-time stamp ("25/11/2026 10:30", "10:30 25/11/2026"), not the event's date."""
    return bool(
        _STAMP_TIME.search(text[max(0, m.start() - 9) : m.start()])
        or _STAMP_TIME.search(text[m.end() : m.end() + 9])
    )


def _relative_date(text: str, pub: date, lang: str) -> tuple[int, date] | None:
    """The first "on Tuesday", "thứ Ba", "во вторник", "today", "hôm qua", "вчера" of a line (its
    position and day, counted back from publication)."""
    found: list[tuple[int, date]] = []
    m = _YESTERDAY.search(text)
    if m:
        found.append((m.start(), pub - timedelta(days=1)))
    for weekday, pattern in enumerate(_WEEKDAY_RE.get(lang, _WEEKDAY_RE["en"])):
        m = pattern.search(text)
        if m:
            found.append((m.start(), pub - timedelta(days=(pub.weekday() - weekday) % 7)))
    m = _TODAY.search(text)
    if m:
        found.append((m.start(), pub))
    return min(found, key=lambda f: f[0]) if found else None


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


def _resolve(year: int | None, month: int, day: int, pub: date) -> date:
    if year is None:
        # The year nearest to publication ("on Dec 30" in a Jan 2 article is last year).
        year = min(
            (pub.year - 1, pub.year, pub.year + 1), key=lambda y: abs((_safe_date(y, month, day) - pub).days)
        )
    return _safe_date(year, month, day)


def _resolve_dates(found: list[tuple[int | None, int, int]], published: datetime | None) -> set[str]:
    """Every date mentioned near publication (undated input: every date mentioned)."""
    dates: set[str] = set()
    pub = published.date() if published else None
    for year, month, day in found:
        if pub is not None:
            d = _resolve(year, month, day, pub)
            if pub - EVENT_BEFORE <= d <= pub + EVENT_AFTER:
                dates.add(d.isoformat())
        else:
            dates.add(f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}")
    return dates


def _event_date(
    head: list[tuple[tuple[int | None, int, int] | date, bool]], published: datetime | None
) -> tuple[str | None, bool]:
    """The first date in the headline or lead that could be the event's (near publication)."""
    pub = published.date() if published else None
    for value, exact in head:
        if isinstance(value, date):
            return value.isoformat(), exact
        year, month, day = value
        if pub is None:
            return (f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"), exact
        d = _resolve(year, month, day, pub)
        if pub - EVENT_BEFORE <= d <= pub + EVENT_AFTER:
            return d.isoformat(), exact
    return None, True


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
        after = text[m.end() : m.end() + 24].lstrip()
        multiplier = 1.0
        for mult_re, factor in _MULTIPLIERS:
            mm = mult_re.match(after)
            if mm:
                multiplier = factor
                after = after[mm.end() :].lstrip()
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


def _auto_names(
    table: EntityTable, tokens: list[Token], mentions: list[Mention], text: str, lang: str
) -> set[str]:
    """Personal names not in the table: Vietnamese names by their family name, others by surname.

    "Nguyễn Đức Chung" and "Nguyen Duc Chung" both give vn:nguyen duc chung (in
    Cyrillic, Vietnamese names are too loosely transliterated to match: the table has the known ones);
    "Sergey Sobyanin" and "Сергея Собянина" both give fn:sobian (six letters of
    the surname's skeleton, enough to reach past Russian case endings).
    """
    used: set[int] = set()
    for m in mentions:
        used.update(range(m.first, m.last + 1))
    runs: list[list[int]] = []
    run: list[int] = []
    for i, tok in enumerate(tokens):
        ok = (
            tok.capitalised and i not in used and tok.folded not in table.not_names and not tok.text.isdigit()
        )
        if ok and run and text[tokens[run[-1]].end : tok.start] not in (" ", "-"):
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
            full = words[start : start + 3]
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
