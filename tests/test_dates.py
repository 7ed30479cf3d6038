"""R1 months and the month arithmetic of R4, R5, R31 (pipeline.core.dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.core.dates import Month, add_months
from pipeline.core.errors import InputError

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    "month, minutes",
    [
        ("2026-10", 44_700),  # 31 days + 1 hour: DST ends on 2026-10-25
        ("2026-03", 44_580),  # 31 days - 1 hour: DST starts on 2026-03-29
        ("2026-02", 40_320),
        ("2026-11", 43_200),
    ],
)
def test_r1_month_length_is_real_elapsed_time(month, minutes):
    assert Month.parse(month).minutes == minutes


def test_r1_month_starts_at_local_midnight_paris():
    m = Month.parse("2026-10")
    assert m.start_utc == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # CEST, +02:00
    assert m.end_utc == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # CET, +01:00


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 9, 15), 1, date(2026, 10, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_clips_to_the_end_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


def test_month_arithmetic_across_years():
    m = Month.parse("2026-12")
    assert m.plus(1) == Month(2027, 1)
    assert m.plus(-12) == Month(2025, 12)
    assert Month(2027, 3).minus(Month(2026, 4)) == 11
    assert (m.first_day, m.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    assert str(Month(2027, 1)) == "2027-01"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-10", "", "1899-12"])
def test_bad_month_is_a_usage_error(text):
    with pytest.raises(InputError, match="month must be YYYY-MM"):
        Month.parse(text)


def test_r1_reference_timestamps_are_read_as_cdr_start_times():
    """Incidents and claims (pipeline/inputs/reference.py) read a time as stg_cdr_fields.sql
    reads a CDR's: the repeated hour of DST end is its second occurrence, the missing hour of
    DST start takes the offset before the change, the fields are bounded."""
    import datetime as dt

    from pipeline.inputs.reference import parse_timestamp

    def utc(text: str) -> str:
        return parse_timestamp(text).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

    assert utc("2026-10-25 02:30:00") == "2026-10-25 01:30:00"  # the second 02:30 (+01:00)
    assert utc("2026-10-25T02:30:00+02:00") == "2026-10-25 00:30:00"  # the first, explicit
    assert utc("2026-10-25 01:59:59") == "2026-10-24 23:59:59"  # still summer time
    assert utc("2026-10-25 03:00") == "2026-10-25 02:00:00"
    assert utc("2026-03-29 02:30:00") == "2026-03-29 01:30:00"  # does not exist: +01:00
    assert utc("2026-03-29 03:00:00") == "2026-03-29 01:00:00"
    assert utc("2026-10-03T09:00:00+02") == "2026-10-03 07:00:00"
    assert utc("2026-10-15T23:00:00+14:00") == "2026-10-15 09:00:00"
    for bad in (
        "2026-10-03T24:00:00",
        "2026-10-03T09:60",
        "2026-10-03T09:00:00+19:00",
        "2026-10-03T09:00:00+00:60",
        "2026-10-03",
    ):
        with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
            parse_timestamp(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-30", "--date: not a day of the calendar: '2026-02-30'"),
        ("30/11/2026", "--date: not a date YYYY-MM-DD: '30/11/2026'"),
    ],
)
def test_date_option_names_the_option_and_the_problem(text, message):
    from pipeline.core.dates import date_option

    assert date_option("2028-02-29") == date(2028, 2, 29)  # a leap day
    with pytest.raises(InputError) as caught:
        date_option(text)
    assert str(caught.value) == message


def test_date_option_in_french_by_default(monkeypatch):
    from pipeline.core import language
    from pipeline.core.dates import date_option

    monkeypatch.delenv(language.ENV, raising=False)
    with pytest.raises(InputError) as caught:
        date_option("2026-13-01", "--period")
    assert str(caught.value) == "--period : date inexistante : '2026-13-01'"
