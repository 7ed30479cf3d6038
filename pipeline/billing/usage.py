"""R63 usage lines: the usage of one SIP account for one zone and one reason, one invoice line
each, from the `usage_lines` model (sql/billing/usage_lines.sql: calls, billable seconds,
amount = the calls' 4-decimal amounts summed and rounded once to 2 decimals, R2), presented
as one lot at that amount."""

from __future__ import annotations

from typing import Any

import duckdb

from pipeline.billing.labels import LOT_UNIT, usage_description
from pipeline.core.dates import Month


def usage_lines(
    con: duckdb.DuckDBPyConnection, month: Month, zones: dict[str, str]
) -> list[dict[str, Any]]:
    """The invoice lines of the month's charged usage, from the rated month in `con`, described
    in French from the rate book's zone labels (`zones`).

    R63: a usage line is one lot (quantity 1, unit LS) at its own amount: the amount is the
    sum of its calls' 4-decimal amounts (connection fees, minimum billable seconds, increments,
    R2 rounding), so billed minutes x a per-minute price is not it exactly, a lot at the amount
    always is. Its calls and billed seconds are columns of their own, and the description
    states them with the per-minute price when every call was rated at one price (and one
    connection fee)."""
    rows = con.execute(
        "select customer_id, sip_account, zone, reason, calls, billable_seconds, amount_ht, "
        "price_per_min, connection_fee from usage_lines"
    ).fetchall()
    return [
        {
            "customer_id": customer_id,
            "kind": "usage",
            "reference": sip_account,
            "description": usage_description(
                zones.get(zone, zone), reason, calls, int(seconds), price, fee
            ),
            "zone": zone,
            "reason": reason,
            "quantity": 1,
            "unit": LOT_UNIT,
            "calls": calls,
            "billable_seconds": int(seconds),
            "unit_price": amount,
            "amount_ht": amount,
            "telephony_recurring": False,
            "period_start": month.first_day,
            "period_end": month.last_day,
        }
        for customer_id, sip_account, zone, reason, calls, seconds, amount, price, fee in rows
    ]
