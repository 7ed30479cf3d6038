"""R63 usage lines: the usage of one SIP account for one zone and one reason, one invoice line
each, from the `usage_lines` model (sql/billing/usage_lines.sql: calls, billable seconds,
amount = the calls' 4-decimal amounts summed and rounded once to 2 decimals, R2)."""

from __future__ import annotations

from typing import Any

import duckdb

from pipeline.billing.labels import usage_description
from pipeline.core.dates import Month


def usage_lines(
    con: duckdb.DuckDBPyConnection, month: Month, zones: dict[str, str]
) -> list[dict[str, Any]]:
    """The invoice lines of the month's charged usage, from the rated month in `con`, described
    in French from the rate book's zone labels (`zones`). Their unit price is the price per
    minute of the calls' tariff when every call was rated at one price without a connection
    fee; otherwise none (each call's amount is its own, R14)."""
    rows = con.execute(
        "select customer_id, sip_account, zone, reason, calls, billable_seconds, amount_ht, "
        "price_per_min, connection_fee from usage_lines"
    ).fetchall()
    return [
        {
            "customer_id": customer_id,
            "kind": "usage",
            "reference": sip_account,
            "description": usage_description(zones.get(zone, zone), reason, calls, int(seconds)),
            "zone": zone,
            "reason": reason,
            "quantity": calls,
            "billable_seconds": int(seconds),
            "unit_price": price if price is not None and fee == 0 else None,
            "amount_ht": amount,
            "telephony_recurring": False,
            "period_start": month.first_day,
            "period_end": month.last_day,
        }
        for customer_id, sip_account, zone, reason, calls, seconds, amount, price, fee in rows
    ]
