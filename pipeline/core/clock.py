"""The only module that reads the clock.

Billing outputs never depend on it (R64 determinism): the clock only stamps operational
facts such as who holds the run lock since when.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
