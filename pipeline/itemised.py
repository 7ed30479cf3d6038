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
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.reasons import CHARGED

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
LISTED_REASONS = (*CHARGED, "INCLUDED")  # charged calls and calls included in the plan
MASK = "XX XX"
_FETCH = 50_000


@dataclass(frozen=True)
class Call:
    """One listed call, typed, for the workbook's sheet."""

    customer_id: str
    cdr_id: str
    sip_account: str
    start_time: datetime  # Europe/Paris, aware
    direction: str
    called_number: str
    zone: str
    reason: str
    duration_s: int
    billable_seconds: int
    amount: Decimal

    @classmethod
    def of(cls, customer_id: str, row: tuple[str, ...]) -> Call:
        """From a row of the CSV file (every field text)."""
        cdr, sip, start, direction, number, zone, reason, dur, billable, amount = row
        return cls(
            customer_id,
            cdr,
            sip,
            datetime.fromisoformat(start),
            direction,
            number,
            zone,
            reason,
            int(dur),
            int(billable),
            Decimal(amount),
        )


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


def _csv_field(column: str) -> str:
    """SQL quoting a text column as Python's csv module does (QUOTE_MINIMAL): fields holding a
    comma, a double quote or a line break are quoted, inner quotes doubled."""
    value = f"coalesce(cast({column} as varchar), '')"
    return (
        f"case when regexp_matches({value}, '[,\"\\r\\n]') "
        f"then '\"' || replace({value}, '\"', '\"\"') || '\"' else {value} end"
    )


_FIELDS = (
    _csv_field("l.cdr_id"),
    _csv_field("l.sip_account"),
    # Europe/Paris (the session time zone, pipeline.db) with its offset written +HH:MM
    "regexp_replace(regexp_replace(strftime(l.start_time, '%Y-%m-%dT%H:%M:%S%z'), "
    "'([+-]\\d\\d)$', '\\1:00'), '([+-]\\d\\d)(\\d\\d)$', '\\1:\\2')",
    _csv_field("l.direction"),
    _csv_field("n.shown"),
    _csv_field("l.zone"),
    _csv_field("l.reason"),
    "cast(l.duration_s as varchar)",
    "cast(l.billable_seconds as varchar)",
    "cast(l.amount as varchar)",  # DECIMAL(18,4): its 4 decimals
)
# Each CSV line is built by DuckDB (vectorised); Python only splits them by customer.
_LINES = f"""
with listed as (
    select *, list_contains($full, customer_id) as full_numbers
    from rated_calls
    where list_contains($reasons, reason)
)
select l.customer_id, concat({", ',', ".join(_FIELDS)}, chr(10)) as line
from listed as l
left join _itemised_numbers as n
    on l.callee_e164 is not distinct from n.callee_e164 and l.full_numbers = n.full_numbers
order by l.customer_id, l.start_time, l.cdr_id
"""
_NUMBERS = """
select distinct callee_e164, list_contains($full, customer_id) as full_numbers
from rated_calls
where list_contains($reasons, reason)
"""
_COUNT = "select count(*) from rated_calls where list_contains($reasons, reason)"


def count_calls(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(_COUNT, {"reasons": list(LISTED_REASONS)}).fetchone()[0]


def _register_numbers(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    """The number shown for each distinct (called number, full) pair, by display_number."""
    pairs = con.execute(_NUMBERS, params).fetchall()
    table = pa.table(
        {
            "callee_e164": pa.array([p[0] for p in pairs], pa.string()),
            "full_numbers": pa.array([p[1] for p in pairs], pa.bool_()),
            "shown": pa.array([display_number(p[0], p[1]) for p in pairs], pa.string()),
        }
    )
    con.register("_itemised_numbers_arrow", table)
    con.execute(
        "create or replace temp table _itemised_numbers as select * from _itemised_numbers_arrow"
    )
    con.unregister("_itemised_numbers_arrow")


def write_itemised(
    folder: Path, con: duckdb.DuckDBPyConnection, reference: Any, keep: int
) -> tuple[dict[str, int], list[Call]]:
    """Write one CSV per customer with listed calls; return the calls per customer and the
    first `keep` calls (for the workbook)."""
    folder.mkdir(parents=True, exist_ok=True)
    params = {
        "reasons": list(LISTED_REASONS),
        "full": sorted(full_number_customers(reference)) or [""],
    }
    _register_numbers(con, params)
    counts: dict[str, int] = {}
    kept: list[Call] = []
    header = ",".join(ITEMISED_COLUMNS) + "\n"
    # con itself, not con.cursor(): a cursor does not inherit the session's TimeZone
    cursor = con.execute(_LINES, params)
    handle = None
    current = None
    try:
        while batch := cursor.fetchmany(_FETCH):
            for customer, group in groupby(batch, key=itemgetter(0)):
                if customer != current:
                    if handle is not None:
                        handle.close()
                    current = customer
                    path = folder / f"{_file_stem(customer)}.csv"
                    handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
                    handle.write(header)
                lines = [r[1] for r in group]
                handle.writelines(lines)
                counts[customer] = counts.get(customer, 0) + len(lines)
                if len(kept) < keep:
                    kept += [
                        Call.of(customer, tuple(fields))
                        for fields in csv.reader(lines[: keep - len(kept)])
                    ]
    finally:
        if handle is not None:
            handle.close()
        con.execute("drop table if exists _itemised_numbers")
    return counts, kept


def _file_stem(customer_id: str) -> str:
    """The customer id as a file name: path separators and leading dots cannot escape the
    folder."""
    stem = "".join("_" if ch in "/\\\0:" else ch for ch in customer_id)
    return "_" + stem if stem.startswith(".") or not stem else stem
