"""Publication dates as the sites write them, in Vietnamese, English and Russian."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import dateparser

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# "Thứ Sáu, 14/08/2026 - 21:20", "Chủ nhật, ...": the weekday adds nothing and confuses parsers.
_WEEKDAY = re.compile(
    r"^\s*(?:thứ\s+\w+|chủ\s+nhật|\w+day|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\s*,\s*",
    re.I,
)
_NUMERIC = re.compile(
    r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"
    r"(?:\D{1,5}(?P<H>\d{1,2})[:hg](?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<ampm>[AaPp])\.?[Mm]\b\.?)?)?"
)
#: The orders sites write numeric dates in: day first (Vietnam, Russia) or month first
#: (US-style CMS defaults, e.g. hanoimoi's article:published_time "1/28/2026 6:52:01 AM").
DATE_ORDERS = ("DMY", "MDY")
# "(GMT+7)", "GMT+07:00", "UTC+3": an explicit offset beats the source's default time zone.
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b", re.I)
# RFC 822 as feeds write it ("Wed, 25 Nov 2026 14:20:00 +0300"): English names whatever the site's language.
_RFC822 = re.compile(
    r"^(?:[A-Z][a-z]{2},\s*)?\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?\s+(?:[+-]\d{4}|[A-Z]{1,3})$"
)
_TIME_FIRST = re.compile(r"^(?P<H>\d{1,2}):(?P<M>\d{2})\s+(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$")
_PARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DAY_OF_MONTH": "first",
    "STRICT_PARSING": False,
    "REQUIRE_PARTS": ["day", "month", "year"],
}


def _numeric(text: str, tz: tzinfo, order: str = "DMY") -> datetime | None:
    # The common numeric forms without dateparser's cost: DD/MM/YYYY [HH:MM[:SS] [AM|PM]]
    # (MM/DD/YYYY when the site writes month first) and HH:MM DD/MM/YYYY.
    match = _TIME_FIRST.match(text) or _NUMERIC.search(text)
    if not match:
        return None
    g = dict(match.groupdict())
    if order == "MDY" and match.re is _NUMERIC:
        g["d"], g["m"] = g["m"], g["d"]
    hour = int(g.get("H") or 0)
    ampm = (g.get("ampm") or "").lower()
    if ampm and not 1 <= hour <= 12:
        return None
    if ampm == "p" and hour != 12:
        hour += 12
    elif ampm == "a" and hour == 12:
        hour = 0
    offset = _GMT_OFFSET.search(text)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0)))
    try:
        return datetime(
            int(g["y"]), int(g["m"]), int(g["d"]), hour, int(g["M"] or 0), int(g.get("S") or 0), tzinfo=tz
        )
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _dateparser(text: str, tz_name: str, languages: tuple[str, ...]) -> datetime | None:
    settings = dict(_PARSER_SETTINGS, TIMEZONE=tz_name)
    return dateparser.parse(text, languages=list(languages) or None, settings=settings)


def parse_date(
    text: str | None,
    tz: ZoneInfo = VIETNAM,
    languages: tuple[str, ...] = ("vi", "en", "ru"),
    order: str = "DMY",
) -> datetime | None:
    """An aware datetime, or None when the text holds no recognisable date.

    ISO 8601 with an offset keeps its offset; dates without one are in ``tz``. ``order``
    says how the site writes numeric dates ("DMY" or "MDY"); a date impossible in that
    order (a 13th month) is None rather than read the other way round.
    """
    if order not in DATE_ORDERS:
        raise ValueError(f"unknown date order {order!r} (known: {', '.join(DATE_ORDERS)})")
    if not text:
        return None
    text = " ".join(text.split())
    if not text:
        return None
    try:
        iso = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return iso if iso.tzinfo else iso.replace(tzinfo=tz)
    except ValueError:
        pass
    if _RFC822.match(text):
        try:
            parsed = parsedate_to_datetime(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
        except (TypeError, ValueError):
            pass
    text = _WEEKDAY.sub("", text)
    value = _numeric(text, tz, order)
    if value is None and not _NUMERIC.search(text):
        value = _dateparser(text, tz.key, tuple(languages))
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)
