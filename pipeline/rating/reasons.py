"""The reasons of R16, in their order of precedence, and which of them carry an amount; the
reject reasons of R41, in theirs.

The SQL models spell the same codes (sql/rating/rat_priced.sql, rated_calls.sql and
sql/billing/usage_lines.sql); tests/test_rating_rules.py checks that they agree.
"""

from __future__ import annotations

R16_ORDER: tuple[str, ...] = (
    "NOT_CHARGEABLE",
    "FREE",
    "TELECOM_PROFESSIONAL",
    "NO_PLAN",
    "FAIR_USE_DISTINCT_NUMBERS",
    "FAIR_USE_CONCURRENT_CALLS",
    "FAIR_USE_DEVICES",
    "THIRD_PARTY_DEVICE",
    "OUT_OF_PLAN",
    "FORWARDING_OVER_FAIR_USE",
    "INCLUDED",
)
NEVER_CHARGED: tuple[str, ...] = ("NOT_CHARGEABLE", "FREE", "INCLUDED")
CHARGED: tuple[str, ...] = tuple(r for r in R16_ORDER if r not in NEVER_CHARGED)

# R41: when several apply, the first in this order (sql/staging/stg_cdrs.sql,
# sql/rating/rejects.sql spell the same codes)
R41_ORDER: tuple[str, ...] = (
    "MALFORMED",
    "DUPLICATE",
    "NEGATIVE_DURATION",
    "DURATION_TOO_LONG",
    "OUT_OF_PERIOD",
    "UNKNOWN_ACCOUNT",
    "INVALID_NUMBER",
    "NO_TARIFF",
)
