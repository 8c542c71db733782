"""Parameter types shared by several commands."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import click

_RELATIVE = re.compile(r"^(\d+)\s*(h|d|w)$")


def parse_age(text: str) -> timedelta | None:
    """24h, 7d, 2w as a timedelta; None when the text is not an age."""
    match = _RELATIVE.match(text.strip())
    if not match:
        return None
    n, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]


class DurationType(click.ParamType):
    """An age: a number and h, d or w (36h, 90d, 26w)."""

    name = "DURATION"

    def convert(self, value, param, ctx) -> timedelta:
        if isinstance(value, timedelta):
            return value
        age = parse_age(str(value))
        if age is None or age <= timedelta(0):
            self.fail(f"{value!r} is not a duration like 36h, 90d or 26w", param, ctx)
        return age


class SinceType(click.ParamType):
    """A date (2026-11-01), a date and time (2026-11-01T08:00), or an age (24h, 7d, 2w)."""

    name = "DATE"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        age = parse_age(text)
        if age is not None:
            return datetime.now(timezone.utc) - age
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{text!r} is not a date like 2026-11-01, 2026-11-01T08:00, or an age like 24h, 7d",
                param,
                ctx,
            )
        if parsed.tzinfo is None:
            # A date without a zone is in the configured time zone.
            from monitor.context import AppContext

            app = ctx.find_object(AppContext) if ctx else None
            parsed = parsed.replace(tzinfo=app.config.tz if app else ZoneInfo("Asia/Ho_Chi_Minh"))
        return parsed


SINCE = SinceType()
DURATION = DurationType()
