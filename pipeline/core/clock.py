"""The only module that reads the clock.

Billing outputs never depend on it (R64, R72 determinism): documents are dated by the rules
(R5: the 1st of the next month) or by an explicit date. The one use is the default date of a
correction (`billing correct` without `--date`, R67): today in Europe/Paris, which the
correction's manifest records, so that its audit re-runs it with the same date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utc_now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Europe/Paris."""
    return utc_now().astimezone(PARIS).date()
