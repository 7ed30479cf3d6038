"""Itemised bills (facture détaillée): per customer, its charged and included calls of the month.

OUT/YYYY-MM/itemised/{customer_id}.csv, one row per call, in order of start time then cdr_id.
Listed: every rated call that is charged (R16 reasons 2-7) or covered by the plan (INCLUDED).
Not listed: incoming and unanswered calls (NOT_CHARGEABLE, nothing to bill) and free calls
(FREE: emergency services, freephone numbers), which French and EU practice keeps off the
itemised bill (directive 2002/58/CE art. 7).

The last four digits of the called number are masked (`+33 1 45 67 XX XX`) unless the
customer asked for full numbers (`itemised_full_numbers = true` in customers.csv). French short
numbers (`S3949`) are service numbers, not subscribers: they are shown as dialled (`3949`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipeline.dates import PARIS
from pipeline.outputs import _text

ITEMISED_COLUMNS = (
    "cdr_id",
    "sip_account",
    "start_time",
    "direction",
    "called_number",
    "zone",
    "reason",
    "duration_s",
    "billable_seconds",
    "amount",
)
LISTED_REASONS = (
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
MASK = "XX XX"
_FETCH = 50_000


@dataclass(frozen=True)
class Call:
    customer_id: str
    cdr_id: str
    sip_account: str
    start_time: datetime  # Europe/Paris
    direction: str
    called_number: str
    zone: str
    reason: str
    duration_s: int
    billable_seconds: int
    amount: Decimal

    def csv_row(self) -> list[str]:
        return [
            _text(v)
            for v in (
                self.cdr_id,
                self.sip_account,
                self.start_time.isoformat(timespec="seconds"),
                self.direction,
                self.called_number,
                self.zone,
                self.reason,
                self.duration_s,
                self.billable_seconds,
                self.amount,
            )
        ]


def display_number(e164: str | None, full: bool = False) -> str:
    """A normalised number (R11) as a reader expects it, last four digits masked unless `full`.

    '33145678910' -> '+33 1 45 67 XX XX'; '447911123456' -> '+44791112XXXX'; 'S3949' -> '3949'.
    """
    if not e164:
        return ""
    if e164.startswith("S"):
        return e164[1:]
    if e164.startswith("33") and len(e164) == 11:
        national = e164[2:]
        groups = [national[0], national[1:3], national[3:5], national[5:7], national[7:9]]
        if not full:
            groups[-2:] = MASK.split()
        return "+33 " + " ".join(groups)
    if full or len(e164) <= 4:
        return "+" + e164
    return "+" + e164[:-4] + "XXXX"


def full_number_customers(reference: Any) -> set[str]:
    return {
        r["customer_id"] for r in reference["ref_customers"].rows if r.get("itemised_full_numbers")
    }


_SELECT = (
    "select customer_id, cdr_id, sip_account, start_time, direction, callee_e164, zone, reason, "
    "duration_s, billable_seconds, amount from rated_calls where list_contains($reasons, reason) "
    "order by customer_id, start_time, cdr_id"
)
_COUNT = "select count(*) from rated_calls where list_contains($reasons, reason)"


def count_calls(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(_COUNT, {"reasons": list(LISTED_REASONS)}).fetchone()[0]


def calls(con: duckdb.DuckDBPyConnection, full_numbers: set[str]) -> Iterator[Call]:
    cursor = con.cursor()
    cursor.execute(_SELECT, {"reasons": list(LISTED_REASONS)})
    while True:
        batch = cursor.fetchmany(_FETCH)
        if not batch:
            break
        for cust, cdr, sip, start, direction, callee, zone, reason, dur, billable, amt in batch:
            yield Call(
                cust,
                cdr,
                sip,
                start.astimezone(PARIS),
                direction,
                display_number(callee, cust in full_numbers),
                zone,
                reason,
                int(dur),
                int(billable),
                amt,
            )


def write_itemised(
    folder: Path, con: duckdb.DuckDBPyConnection, reference: Any, keep: int
) -> tuple[dict[str, int], list[Call]]:
    """Write one CSV per customer with listed calls; return the calls per customer and the
    first `keep` calls (for the workbook)."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    kept: list[Call] = []
    handle = None
    writer = None
    current = None
    try:
        for call in calls(con, full_number_customers(reference)):
            if call.customer_id != current:
                if handle is not None:
                    handle.close()
                current = call.customer_id
                handle = open(
                    folder / f"{_file_stem(current)}.csv",
                    "w",
                    encoding="utf-8",  # noqa: SIM115
                    newline="",
                )
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(ITEMISED_COLUMNS)
            writer.writerow(call.csv_row())
            counts[current] = counts.get(current, 0) + 1
            if len(kept) < keep:
                kept.append(call)
    finally:
        if handle is not None:
            handle.close()
    return counts, kept


def _file_stem(customer_id: str) -> str:
    """The customer id as a file name: path separators and leading dots cannot escape the
    folder."""
    stem = "".join("_" if ch in "/\\\0:" else ch for ch in customer_id)
    return "_" + stem if stem.startswith(".") or not stem else stem
