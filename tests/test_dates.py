"""Publication dates as the sites write them, in Vietnamese, English and Russian."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from spiders.dates import VIETNAM, parse_date

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("text", "languages", "expected"),
    [
        ("Thứ Hai, 25/11/2024 14:30", ("vi",), datetime(2024, 11, 25, 14, 30, tzinfo=VIETNAM)),
        ("Chủ Nhật, 24/11/2024 - 09:05", ("vi",), datetime(2024, 11, 24, 9, 5, tzinfo=VIETNAM)),
        ("14:30 25/11/2024", ("vi",), datetime(2024, 11, 25, 14, 30, tzinfo=VIETNAM)),
        ("25.11.2024, 14:30", ("ru",), datetime(2024, 11, 25, 14, 30, tzinfo=VIETNAM)),
        ("November 25, 2024", ("en",), datetime(2024, 11, 25, tzinfo=VIETNAM)),
        ("Monday, November 25, 2024", ("en",), datetime(2024, 11, 25, tzinfo=VIETNAM)),
        ("25 ноября 2024", ("ru",), datetime(2024, 11, 25, tzinfo=VIETNAM)),
        ("25 ноября 2024, 14:30", ("ru",), datetime(2024, 11, 25, 14, 30, tzinfo=VIETNAM)),
        ("понедельник, 25 ноября 2024", ("ru",), datetime(2024, 11, 25, tzinfo=VIETNAM)),
    ],
)
def test_site_date_forms_become_aware_datetimes(text, languages, expected):
    for langs in (languages, ("vi", "en", "ru")):
        value = parse_date(text, VIETNAM, langs)
        assert value == expected, (text, langs)
        assert value.utcoffset() == timedelta(hours=7)


def test_dates_without_offset_take_the_sources_time_zone():
    value = parse_date("25 ноября 2024, 14:30", MOSCOW, ("ru",))
    assert value == datetime(2024, 11, 25, 14, 30, tzinfo=MOSCOW)
    assert value.utcoffset() == timedelta(hours=3)


def test_an_explicit_offset_wins():
    assert parse_date("2026-11-25T14:20:00+03:00", VIETNAM).utcoffset() == timedelta(hours=3)
    assert parse_date("2026-11-25T07:20:00Z", VIETNAM) == datetime(2026, 11, 25, 7, 20, tzinfo=timezone.utc)
    value = parse_date("Thứ Hai, 25/11/2024, 14:30 (GMT+7)", MOSCOW, ("vi",))
    assert value == datetime(2024, 11, 25, 14, 30, tzinfo=VIETNAM)


def test_rfc822_feed_dates_parse_whatever_the_source_language():
    # Feeds write English month names even on Russian sites (TASS: "%a, %d %b %Y %H:%M:%S %z").
    value = parse_date("Wed, 25 Nov 2026 14:20:00 +0300", VIETNAM, ("ru",))
    assert value == datetime(2026, 11, 25, 14, 20, tzinfo=MOSCOW)
    assert value.utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize("text", ["", "   ", "Đang cập nhật", "soon", "31/02/2024 10:00"])
def test_no_date_is_none(text):
    assert parse_date(text, VIETNAM, ("vi", "en", "ru")) is None


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        # hanoimoi's <meta name="article:published_time">: month first, 12-hour clock.
        ("1/28/2026 6:52:01 AM", "MDY", datetime(2026, 1, 28, 6, 52, 1, tzinfo=VIETNAM)),
        ("2/3/2026 6:52:01 PM", "MDY", datetime(2026, 2, 3, 18, 52, 1, tzinfo=VIETNAM)),
        ("12/1/2026 12:05:00 AM", "MDY", datetime(2026, 12, 1, 0, 5, tzinfo=VIETNAM)),
        ("2/3/2026 6:52:01 PM", "DMY", datetime(2026, 3, 2, 18, 52, 1, tzinfo=VIETNAM)),
        ("28/01/2026 - 06:52", "DMY", datetime(2026, 1, 28, 6, 52, tzinfo=VIETNAM)),
    ],
)
def test_numeric_dates_in_the_order_the_site_writes_them(text, order, expected):
    assert parse_date(text, VIETNAM, ("vi",), order) == expected


def test_a_date_impossible_in_the_sites_order_is_none_not_swapped():
    assert parse_date("1/28/2026 6:52:01 AM", VIETNAM, ("vi",), "DMY") is None
    with pytest.raises(ValueError, match="date order"):
        parse_date("1/2/2026", VIETNAM, ("vi",), "YMD")
