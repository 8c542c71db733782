"""Schedules as the config writes them ("interval:30m", "cron:0 7 * * 1") and the
APScheduler 3 triggers built from them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

_SCHEDULE_RE = re.compile(r"^\s*(interval|cron)\s*:\s*(.+?)\s*$")
_INTERVAL_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_INTERVAL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_schedule(text: str) -> tuple[str, Any]:
    """``"interval:30m"`` → ("interval", timedelta); ``"cron:0 7 * * *"`` → ("cron", "0 7 * * *")."""
    match = _SCHEDULE_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not 'interval:<N>(s|m|h|d)' or 'cron:<5 fields>'")
    kind, value = match.groups()
    if kind == "interval":
        iv = _INTERVAL_RE.match(value)
        if not iv:
            raise ValueError(f"interval {value!r} is not a number followed by s, m, h or d")
        delta = timedelta(**{_INTERVAL_UNITS[iv.group(2)]: float(iv.group(1))})
        if delta.total_seconds() <= 0:
            raise ValueError("interval must be positive")
        return "interval", delta
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"cron {value!r} needs 5 fields (minute hour day month weekday)")
    return "cron", value


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _crontab_weekdays(text: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler 3 names.

    APScheduler 3 counts 0 as Monday, so "0 8 * * 1" passed straight through would mail
    the weekly digest on Tuesdays. Numbers, names, ranges and steps are expanded here to
    an explicit list of day names, which both agree on.
    """
    if text == "*":
        return "*"
    days: set[int] = set()
    for part in text.lower().split(","):
        rng, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in day-of-week {text!r}")
        if rng == "*":
            lo, hi = 0, 6
        else:
            a, _, b = rng.partition("-")
            lo = _weekday_number(a)
            hi = _weekday_number(b) if b else (6 if step_text else lo)
            if hi < lo:
                raise ValueError(f"day-of-week range {rng!r} runs backwards")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _weekday_number(text: str) -> int:
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    if text[:3] in _WEEKDAYS:
        return _WEEKDAYS.index(text[:3])
    raise ValueError(f"{text!r} is not a day of the week (0-7 or sun..sat)")


def make_trigger(text: str, tz: Any):
    """An APScheduler trigger for a schedule string ("interval:30m", "cron:0 7 * * *").

    Building it is also how a schedule's values are checked (hour 25, day 32...)."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    kind, value = parse_schedule(text)
    if kind == "interval":
        return IntervalTrigger(seconds=value.total_seconds(), timezone=tz)
    minute, hour, day, month, weekday = value.split()
    if day != "*" and weekday != "*":
        # cron fires when either matches, APScheduler only when both do: refuse the ambiguity.
        raise ValueError("restrict the day of the month or the day of the week, not both")
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_crontab_weekdays(weekday), timezone=tz
    )


def check_schedule(value: str | None) -> str | None:
    """A schedule that parses, has sane values, and fires at least once (not "0 7 31 2 *")."""
    if value is not None:
        trigger = make_trigger(value, ZoneInfo("UTC"))
        if trigger.get_next_fire_time(None, datetime.now(timezone.utc)) is None:
            raise ValueError(f"{value!r} never fires (no such date)")
    return value
