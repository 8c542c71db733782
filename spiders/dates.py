"""Publication dates as the sites write them, in Vietnamese, English and Russian."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import dateparser

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# "Thứ Sáu, 14/08/2026 - 21:20", "Chủ nhật, ...": the weekday adds nothing and confuses parsers.
_WEEKDAY = re.compile(r"^\s*(?:thứ\s+\w+|chủ\s+nhật|\w+day|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\s*,\s*", re.I)
_NUMERIC = re.compile(
    r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})(?:\D{1,5}(?P<H>\d{1,2})[:hg](?P<M>\d{2}))?"
)
_TIME_FIRST = re.compile(r"^(?P<H>\d{1,2}):(?P<M>\d{2})\s+(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$")
_PARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DAY_OF_MONTH": "first",
    "STRICT_PARSING": False,
    "REQUIRE_PARTS": ["day", "month", "year"],
}


def _numeric(text: str, tz: tzinfo) -> datetime | None:
    # The common numeric forms without dateparser's cost: DD/MM/YYYY [HH:MM] and HH:MM DD/MM/YYYY.
    match = _TIME_FIRST.match(text) or _NUMERIC.search(text)
    if not match:
        return None
    g = match.groupdict()
    try:
        return datetime(int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0), tzinfo=tz)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _dateparser(text: str, tz_name: str, languages: tuple[str, ...]) -> datetime | None:
    settings = dict(_PARSER_SETTINGS, TIMEZONE=tz_name)
    return dateparser.parse(text, languages=list(languages) or None, settings=settings)


def parse_date(text: str | None, tz: ZoneInfo = VIETNAM, languages: tuple[str, ...] = ("vi", "en", "ru")) -> datetime | None:
    """An aware datetime, or None when the text holds no recognisable date.

    ISO 8601 with an offset keeps its offset; dates without one are in ``tz``.
    """
    if not text:
        return None
    text = " ".join(text.split())
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=tz)
    except ValueError:
        pass
    text = _WEEKDAY.sub("", text)
    value = _numeric(text, tz)
    if value is None:
        value = _dateparser(text, tz.key, tuple(languages))
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)
