"""Itemised bills (facture détaillée): per customer, its charged and included calls of the month.

OUT/YYYY-MM/itemised/{customer_id}.csv, one row per call, in order of start time then cdr_id.
Listed: every rated call that is charged (R16 reasons 2-7) or covered by the plan (INCLUDED).
Not listed: incoming and unanswered calls (NOT_CHARGEABLE, nothing to bill) and free calls
(FREE: emergency services, freephone numbers), which French and EU practice keeps off the
itemised bill (directive 2002/58/CE art. 7).

The last four digits of the called number are masked (`01 45 67 XX XX`) unless the
customer asked for full numbers (`itemised_full_numbers = true` in customers.csv). French short
numbers (`S3949`) are service numbers, not subscribers: they are shown as dialled (`3949`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import data_contract as contract
from pipeline.core.db import sql_literal
from pipeline.rating.reasons import CHARGED

ITEMISED_COLUMNS = contract.ITEMISED.names
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
        """From a row of the CSV file (every field text; an id the file neutralised for a
        spreadsheet, with a leading quote, is shown as it is: the workbook keeps text as text)."""
        cdr, sip, start, direction, number, zone, reason, dur, billable, amount = row
        return cls(
            customer_id,
            _unquoted(cdr),
            _unquoted(sip),
            datetime.fromisoformat(start),
            direction,
            number,
            zone,
            reason,
            int(dur),
            int(billable),
            Decimal(amount),
        )


def _neutral(column: str) -> str:
    """SQL: the text column with a quote before a leading =, +, -, @, tab or carriage return,
    which a spreadsheet would read as a formula (OWASP "CSV injection"): an id written by a
    switch could start with one."""
    return (
        f"(case when left({column}, 1) in ('=', '+', '-', '@', chr(9), chr(13)) "
        f"then chr(39) || {column} else {column} end)"
    )


def _unquoted(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


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


# Europe/Paris (the session time zone, pipeline.core.db) with its offset written +HH:MM. Exact for
# any instant, but DuckDB converts each one with ICU: the lines use it only outside the spans
# of constant offset found by _time_field.
_TIME_EXACT = (
    "regexp_replace(regexp_replace(strftime({ts}, '%Y-%m-%dT%H:%M:%S%z'), "
    "'([+-]\\d\\d)$', '\\1:00'), '([+-]\\d\\d)(\\d\\d)$', '\\1:\\2')"
)
_TEXT_COLUMNS = (
    _neutral("l.cdr_id"),
    _neutral("l.sip_account"),
    "l.direction",
    "l.zone",
    "l.reason",
)
_NUMBER_FIELDS = (
    "cast(l.duration_s as varchar)",
    "cast(l.billable_seconds as varchar)",
    "cast(l.amount as varchar)",  # DECIMAL(18,4): its 4 decimals
)


def _line(time_field: str) -> str:
    """SQL of one CSV line. The five text columns of a call rarely need quotes: one regular
    expression over them decides, and only the lines that do are built field by field."""
    cdr, sip, direction, zone, reason = _TEXT_COLUMNS
    plain = (cdr, sip, time_field, direction, "n.shown", zone, reason, *_NUMBER_FIELDS)
    quoted = (
        *(_csv_field(c) for c in (cdr, sip)),
        time_field,
        _csv_field(direction),
        "n.shown",
        *(_csv_field(c) for c in (zone, reason)),
        *_NUMBER_FIELDS,
    )
    comma = ", ',', "
    # concat() reads a null as '': the same as coalesce(..., '') in _csv_field
    return (
        f"case when regexp_matches(concat({', '.join(_TEXT_COLUMNS)}), '[,\"\\r\\n]') "
        f"then concat({comma.join(quoted)}, chr(10)) "
        f"else concat({comma.join(plain)}, chr(10)) end"
    )


# Each CSV line is built by DuckDB (vectorised); Python only splits them by customer.
_LINES = """
with listed as (
    select *, list_contains($full, customer_id) as full_numbers
    from rated_calls
    where list_contains($reasons, reason)
)
select l.customer_id, {line} as line
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
_SPAN = """
select epoch_us(min(start_time)), epoch_us(max(start_time))
from rated_calls
where list_contains($reasons, reason)
"""
_HOUR_US = 3_600_000_000
_LOCAL = "%Y-%m-%dT%H:%M:%S"


def _offsets(
    con: duckdb.DuckDBPyConnection, start: int, stop: int, step: int
) -> list[tuple[int, tuple[int, str] | None]]:
    """The session time zone's offset at the instants start, start + step, ... up to stop
    (UTC microseconds): for each, the offset in microseconds and its text as the exact
    conversion writes it; None when the UTC time plus the offset is not the exact local time."""
    ts = "timezone('UTC', make_timestamp(us))"
    rows = con.execute(
        f"select us, date_part('timezone', {ts}), {_TIME_EXACT.format(ts=ts)}, "
        f"strftime(make_timestamp(us + date_part('timezone', {ts}) * 1000000), '{_LOCAL}') "
        "from range($start, $stop + 1, $step) as t(us) order by us",
        {"start": start, "stop": stop, "step": step},
    ).fetchall()
    return [
        (us, (seconds * 1_000_000, exact[len(local) :]) if exact.startswith(local) else None)
        for us, seconds, exact, local in rows
    ]


def _offset(con: duckdb.DuckDBPyConnection, utc_us: int) -> tuple[int, str] | None:
    return _offsets(con, utc_us, utc_us, 1)[0][1]


def _time_field(con: duckdb.DuckDBPyConnection, reasons: list[str]) -> str:
    """SQL of the start_time field: the UTC microseconds plus the offset of their span,
    formatted without a time zone conversion per call; the exact conversion outside the spans.

    The spans cover the month's calls: the offset is read at every whole UTC hour from the
    first call to the last (assumed: the offset does not change twice within one hour), and
    a change between two hours is found to the microsecond by bisection. At each instant read,
    the local time computed this way is checked against the exact conversion.
    """
    exact = _TIME_EXACT.format(ts="l.start_time")
    first, last = con.execute(_SPAN, {"reasons": reasons}).fetchall()[0]
    if first is None:
        return exact
    start = first - first % _HOUR_US
    stop = last - last % _HOUR_US + _HOUR_US
    hours = _offsets(con, start, stop, _HOUR_US)
    if any(offset is None for _, offset in hours):
        return exact
    spans = [(start, *hours[0][1])]  # (from, offset, text): each span runs until the next one
    known = start  # the last instant read with the offset of the last span
    for hour, offset in hours[1:]:
        if offset == spans[-1][1:]:
            known = hour
            continue
        low, high = known, hour  # low has the offset of the last span, high another one
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(con, middle) == spans[-1][1:]:
                low = middle
            else:
                high = middle
        changed = _offset(con, high)
        if changed is None:
            return exact
        spans.append((high, *changed))
        known = hour
    utc = "epoch_us(l.start_time)"
    ends = [s[0] for s in spans[1:]] + [stop + 1]
    cases = " ".join(
        f"when {utc} >= {begin} and {utc} < {end} then "
        f"strftime(make_timestamp({utc} + {offset}), '{_LOCAL}') || {sql_literal(text)}"
        for (begin, offset, text), end in zip(spans, ends, strict=True)
    )
    return f"case {cases} else {exact} end"


def shown_number_sql(e164: str, full: str) -> str:
    """SQL of the called number as a French reader dials it, quoted for the CSV line: the
    national format for France, 00 and the country code abroad, the last four digits masked
    unless `full` (the customer's `itemised_full_numbers`), never a leading '+' (a spreadsheet
    reads it as a formula, issue 16), short numbers as dialled:

    '33145678910' -> '01 45 67 XX XX'; '447911123456' -> '0044791112XXXX'; 'S3949' -> '3949'.

    In SQL since issue 32 (one Python call per distinct number, 443,000 at 10M, cost 1.2-2.2 s);
    tests/test_itemised.py holds it to the former Python function on random texts.
    """
    shown = f"""(case
        when {e164} is null or {e164} = '' then ''
        when starts_with({e164}, 'S') then substr({e164}, 2)
        when starts_with({e164}, '33') and length({e164}) = 11
            then '0' || substr({e164}, 3, 1) || ' ' || substr({e164}, 4, 2) || ' '
                || substr({e164}, 6, 2) || ' '
                || case when {full} then substr({e164}, 8, 2) || ' ' || substr({e164}, 10, 2)
                    else {sql_literal(MASK)} end
        when {full} or length({e164}) <= 4 then '00' || {e164}
        else '00' || left({e164}, length({e164}) - 4) || 'XXXX'
    end)"""
    return _csv_field(shown)


_NUMBERS_TABLE = f"""
create or replace temp table _itemised_numbers as
select callee_e164, full_numbers, {shown_number_sql("callee_e164", "full_numbers")} as shown
from ({_NUMBERS})
"""


def _register_numbers(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    """The number shown for each distinct (called number, full) pair (shown_number_sql)."""
    con.execute(_NUMBERS_TABLE, params)


def write_itemised(
    folder: Path, con: duckdb.DuckDBPyConnection, reference: Any, keep: int
) -> tuple[dict[str, int], list[Call]]:
    """Write one CSV per customer with listed calls; return the calls per customer and, when
    the month has at most `keep` listed calls, every one of them (for the workbook's sheet),
    otherwise none."""
    folder.mkdir(parents=True, exist_ok=True)
    params = {
        "reasons": list(LISTED_REASONS),
        "full": sorted(full_number_customers(reference)) or [""],
    }
    _register_numbers(con, params)
    counts: dict[str, int] = {}
    total = 0
    first: list[tuple[str, bytes]] = []  # the first lines, until there are more than `keep`
    header = (",".join(ITEMISED_COLUMNS) + "\n").encode("utf-8")
    handle = None
    current = None
    reader = None
    try:
        # con.sql on the connection itself, not a cursor: a cursor does not inherit the
        # session's TimeZone. Arrow batches: the lines of one customer are one slice of a
        # batch's UTF-8 buffer, written without a Python object per call.
        sql = _LINES.format(line=_line(_time_field(con, params["reasons"])))
        reader = con.sql(sql, params=params).to_arrow_reader(_FETCH)
        for batch in reader:
            customers = pc.run_end_encode(batch.column(0))
            data, offsets = _utf8_slices(batch.column(1))
            start = 0
            for customer, end in zip(
                customers.values.to_pylist(), customers.run_ends.to_pylist(), strict=True
            ):
                if customer != current:
                    if handle is not None:
                        handle.close()
                    current = customer
                    path = folder / f"{file_stem(customer)}.csv"
                    handle = open(path, "wb")  # noqa: SIM115
                    handle.write(header)
                chunk = data[offsets[start] : offsets[end]]
                handle.write(chunk)
                counts[customer] = counts.get(customer, 0) + end - start
                if total <= keep:
                    first.append((customer, bytes(chunk)))
                total += end - start
                start = end
    finally:
        if handle is not None:
            handle.close()
        if reader is not None:
            reader.close()  # a result left open would refuse the next query on con
        con.execute("drop table if exists _itemised_numbers")
    kept: list[Call] = []
    if total <= keep:
        for customer, chunk in first:
            lines = io.StringIO(chunk.decode("utf-8"), newline="")
            kept += [Call.of(customer, tuple(fields)) for fields in csv.reader(lines)]
    return counts, kept


def _utf8_slices(array: pa.Array) -> tuple[memoryview, memoryview]:
    """The UTF-8 bytes of a string array and the offset of each row in them: row i is
    data[offsets[i]:offsets[i + 1]]."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())  # a string view, say
    if array.null_count:
        raise ValueError("an itemised line is null")
    _, offsets_buffer, data_buffer = array.buffers()
    width = "q" if pa.types.is_large_string(array.type) else "i"  # int64 or int32 offsets
    offsets = memoryview(offsets_buffer).cast(width)[array.offset : array.offset + len(array) + 1]
    return memoryview(data_buffer if data_buffer is not None else b""), offsets


def file_stem(customer_id: str) -> str:
    """The customer id as a file name: path separators and leading dots cannot escape the
    folder."""
    stem = "".join("_" if ch in "/\\\0:" else ch for ch in customer_id)
    return "_" + stem if stem.startswith(".") or not stem else stem
