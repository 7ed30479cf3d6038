"""One date module: billing months (R1), month arithmetic, Europe/Paris conversions.

A billing month "2026-10" is the half-open instant range
[2026-10-01 00:00 Europe/Paris, 2026-11-01 00:00 Europe/Paris).
Elapsed time is always computed in UTC: Python subtracts two datetimes that share a
ZoneInfo as wall-clock time and would miss the DST hour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.core.errors import InputError
from pipeline.core.language import say

PARIS = ZoneInfo("Europe/Paris")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-10' -> Month(2026, 10); anything else is a usage error (exit 2)."""
        m = _MONTH_RE.match(text or "")
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
            raise InputError(
                say(
                    f"le mois s'écrit AAAA-MM avec un mois de 01 à 12, lu {text!r}",
                    f"month must be YYYY-MM with a month from 01 to 12, got {text!r}",
                )
            )
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def minus(self, other: Month) -> int:
        """Number of months from other to self (self - other)."""
        return (self.year * 12 + self.month) - (other.year * 12 + other.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.plus(1).first_day - timedelta(days=1)

    @property
    def start_utc(self) -> datetime:
        """Local midnight Europe/Paris on the 1st, as an aware UTC datetime."""
        return datetime(self.year, self.month, 1, tzinfo=PARIS).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.plus(1).start_utc

    @property
    def seconds(self) -> int:
        return int((self.end_utc - self.start_utc).total_seconds())

    @property
    def minutes(self) -> int:
        """Real elapsed minutes: October 2026 has 44,700, March 2026 44,580 (R1)."""
        return self.seconds // 60


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later, clipped to the month's last day (2026-01-31 +1 -> 02-28)."""
    target = Month.of(day).plus(months)
    return min(date(target.year, target.month, 1) + timedelta(days=day.day - 1), target.last_day)


def parse_date(text: str) -> date:
    """Strict YYYY-MM-DD; raise ValueError otherwise."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(
            say(f"date AAAA-MM-JJ attendue, lu {text!r}", f"not a date YYYY-MM-DD: {text!r}")
        )
    try:
        return date.fromisoformat(text)
    except ValueError:  # Python's own words ("month must be in 1..12") said in ours
        raise ValueError(
            say(f"date inexistante : {text!r}", f"not a day of the calendar: {text!r}")
        ) from None


def date_option(text: str, option: str = "--date") -> date:
    """A command's date option, strict YYYY-MM-DD (parse_date): the day, or an InputError that
    names the option ("--date : date inexistante : '2026-02-30'")."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise InputError(f"{option}{say(' : ', ': ')}{exc}") from exc
