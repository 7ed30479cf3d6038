"""Writing the month's files (data contract, "Outputs"): deterministic bytes for the same input.

CSV: UTF-8, header row, ',' separator, '.' decimals, '\n' line ends, rows in a stable order.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipeline.core.money import fmt

INVOICE_COLUMNS = (
    "invoice_number",
    "customer_id",
    "invoice_date",
    "due_date",
    "period",
    "total_ht",
    "total_vat",
    "total_ttc",
    "vat_rate",
    "vat_mention",
    # mentions of a French B2B invoice (issue 4): service period, buyer, seller, payment terms
    "period_start",
    "period_end",
    "operation_category",
    "customer_name",
    "customer_siren",
    "customer_vat_number",
    "customer_address",
    "customer_country",
    "seller_name",
    "seller_siren",
    "seller_vat_number",
    "seller_address",
    "seller_rcs",
    "seller_share_capital_eur",
    "seller_iban",
    "late_penalty_rate",
    "recovery_indemnity_eur",
    "early_payment_discount",
)
LINE_COLUMNS = (
    "invoice_number",
    "line_no",
    "customer_id",
    "kind",
    "reference",
    "description",
    "zone",
    "reason",
    "quantity",
    "billable_seconds",
    "unit_price",
    "amount_ht",
    "period_start",
    "period_end",
)
CREDIT_NOTE_COLUMNS = (
    "credit_note_number",
    "customer_id",
    "credit_note_date",
    "original_invoice_number",
    "original_invoice_date",
    "service_month",
    "availability_pct",
    "credit_pct",
    "amount_ht",
    "amount_vat",
    "amount_ttc",
    # appended by the SLA issue (R52)
    "vat_rate",
    "vat_mention",
    "minutes_in_month",
    "downtime_minutes",
    "telephony_charges_ht",
    "incident_ids",
    "excusable_incident_ids",
    "claim_received_on",
)
SLA_COLUMNS = (
    "customer_id",
    "service_month",
    "minutes_in_month",
    "downtime_minutes",
    "availability_pct",
    "credit_pct",
    "claim_status",
    # appended by the SLA issue (R50-R52)
    "claim_received_on",
    "claim_detail",
    "sla_eligible",
    "downtime_seconds",
    "incident_ids",
    "excusable_incident_ids",
    "telephony_charges_ht",
    "original_invoice_number",
    "credit_note_number",
)
REJECT_COLUMNS = ("source_file", "row_number", "cdr_id", "reason", "detail", "raw")
FAIR_USE_COLUMNS = (
    "sip_account",
    "customer_id",
    "distinct_numbers",
    "max_concurrent_calls",
    "max_registered_devices",
    "forwarded_seconds",
    "forwarded_over_seconds",
    "breaches",
)
RATED_CALL_COLUMNS = (
    "cdr_id",
    "customer_id",
    "sip_account",
    "direction",
    "callee_e164",
    "zone",
    "reason",
    "duration_s",
    "rated_seconds",
    "billable_seconds",
    "amount",
    "start_time",
    "prefix",
    "tariff_valid_from",
    "source_file",
    "row_number",
    # the facts `billing explain` shows for an issued month (issue 3)
    "callee",
    "device_id",
    "call_date",
    "price_per_min_eur",
    "connection_fee_eur",
    "min_billable_s",
    "increment_s",
    "forwarding_consumed_before_s",
    "forwarded_over_s",
    "plan_subscription_id",
    "national_plan_zone",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(
    path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any] | Sequence[Any]]
) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, dict) else row
            writer.writerow([_text(v) for v in values])
            count += 1
    return count


def write_query_csv(
    con: duckdb.DuckDBPyConnection, path: Path, columns: Sequence[str], sql: str
) -> int:
    rows = con.execute(sql).fetchall()
    return write_csv(path, columns, rows)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
