"""R63 usage lines: the usage of one SIP account for one zone and one reason, one invoice line
each, from the `usage_lines` model (sql/billing/usage_lines.sql: calls, billable seconds,
amount = the calls' 4-decimal amounts summed and rounded once to 2 decimals, R2)."""

from __future__ import annotations

from typing import Any

import duckdb

from pipeline.core.dates import Month


def usage_lines(con: duckdb.DuckDBPyConnection, month: Month) -> list[dict[str, Any]]:
    """The invoice lines of the month's charged usage, from the rated month in `con`."""
    rows = con.execute(
        "select customer_id, sip_account, zone, reason, calls, billable_seconds, amount_ht "
        "from usage_lines"
    ).fetchall()
    return [
        {
            "customer_id": customer_id,
            "kind": "usage",
            "reference": sip_account,
            "description": f"Communications {zone} ({reason}) - {calls} appel(s)",
            "zone": zone,
            "reason": reason,
            "quantity": calls,
            "billable_seconds": int(seconds),
            "unit_price": None,
            "amount_ht": amount,
            "telephony_recurring": False,
            "period_start": month.first_day,
            "period_end": month.last_day,
        }
        for customer_id, sip_account, zone, reason, calls, seconds, amount in rows
    ]
