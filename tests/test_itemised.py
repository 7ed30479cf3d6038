"""Issue 6: itemised bills, OUT/YYYY-MM/itemised/{customer_id}.csv: charged and included calls,
called numbers masked unless the customer asked for full numbers."""

from __future__ import annotations

import csv
import io

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pipeline.exports.itemised import ITEMISED_COLUMNS, shown_number_sql
from tests.conftest import Workspace, write_rows
from tests.scenarios import C2_MOBILE, EMERGENCY, FOUR_CALLS, call, calls, table

CALLS = [
    # C1, plan S1: charged (UK mobile, out of plan), included (Paris), incoming, emergency, rejected
    *calls(*FOUR_CALLS, EMERGENCY),
    # an earlier call listed first: order is by start time, not cdr_id
    call("c9,sip-1,out,0145000000,3949,2026-10-01T00:30:00+02:00,10,D1"),
    # C2, no plan: a French mobile, winter time (+01:00) after the DST change
    call(C2_MOBILE, start_time="2026-10-26T10:17:00+01:00"),
]


def bill(ws: Workspace) -> None:
    ws.cdrs("2026-10", CALLS)
    result = ws.bill("2026-10")
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Workspace:
    """CALLS billed once on the base data, for the tests that only read the month."""
    ws = Workspace(tmp_path_factory.mktemp("itemised"))
    bill(ws)
    return ws


def read(ws: Workspace, customer: str) -> list[list[str]]:
    with open(
        ws.out / "2026-10" / "itemised" / f"{customer}.csv", encoding="utf-8", newline=""
    ) as f:
        return list(csv.reader(f))


_SHOWN = duckdb.connect()


def shown(numbers):
    """shown_number_sql of each (e164, full) pair, as DuckDB computes it (one connection for
    the module: a connection per hypothesis example cost 12 s of `make test`)."""
    if not numbers:
        return []
    e164s, fulls = zip(*numbers, strict=True)
    rows = _SHOWN.execute(
        f"select {shown_number_sql('e164', 'full_numbers')} from ("
        "select unnest($e) as e164, unnest($f) as full_numbers, unnest($i) as i) order by i",
        {"e": list(e164s), "f": list(fulls), "i": list(range(len(numbers)))},
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("e164", "full", "expected"),
    [
        ("33145678910", False, "01 45 67 XX XX"),
        ("33145678910", True, "01 45 67 89 10"),
        ("33612345678", False, "06 12 34 XX XX"),
        ("447911123456", False, "0044791112XXXX"),
        ("447911123456", True, "00447911123456"),
        ("3314567891", False, "00331456XXXX"),  # 10 digits: not a French number
        ("1234", False, "001234"),  # 4 digits: nothing left to mask
        ("12345", False, "001XXXX"),
        ("S3949", False, "3949"),
        ("S112", True, "112"),
        ("", False, ""),
        (None, False, ""),
        ('S1,2"', False, '"1,2"""'),  # quoted for the CSV line
    ],
)
def test_shown_number_masks_the_last_four_digits(e164, full, expected):
    assert shown([(e164, full)]) == [expected]


def display_number(e164, full):
    """The Python function the itemised bills used before issue 32 moved it to SQL: the oracle
    of shown_number_sql."""
    if not e164:
        return ""
    if e164.startswith("S"):
        return e164[1:]
    if e164.startswith("33") and len(e164) == 11:
        national = "0" + e164[2:]
        groups = [national[0:2], national[2:4], national[4:6], national[6:8], national[8:10]]
        if not full:
            groups[-2:] = ["XX", "XX"]
        return " ".join(groups)
    if full or len(e164) <= 4:
        return "00" + e164
    return "00" + e164[:-4] + "XXXX"


def csv_text(value):
    """Python's csv module quoting one field (QUOTE_MINIMAL, the itemised bills' writer)."""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def test_itemised_bill_lists_charged_and_included_calls_masked(billed):
    ws = billed
    assert read(ws, "C1") == [
        list(ITEMISED_COLUMNS),
        # not listed: c3 incoming, c4 rejected, c6 emergency (FREE), c9 (3949 has no tariff in
        # this rate book: rejected NO_TARIFF)
        *table("""
            c1,sip-1,2026-10-03T09:15:00+02:00,out,0044791112XXXX,INTL_GB_MOBILE,OUT_OF_PLAN,61,61,0.1830
            c2,sip-1,2026-10-03T10:15:00+02:00,out,01 45 67 XX XX,FR_FIXED,INCLUDED,61,0,0.0000
        """),
    ]
    assert read(ws, "C2") == [
        list(ITEMISED_COLUMNS),
        *table(
            "c5,sip-2,2026-10-26T10:17:00+01:00,out,06 12 34 XX XX,FR_MOBILE,NO_PLAN,125,125,0.0938"
        ),
    ]
    assert sorted(p.name for p in (ws.out / "2026-10" / "itemised").iterdir()) == [
        "C1.csv",
        "C2.csv",
    ]


def test_short_numbers_with_a_tariff_are_listed_as_dialled(ws):
    ws.add_zone(
        "S3949", "FR_SHORT", "Numéros courts", "2025-01-01", "0.1500", "0.0000", "60", "60", "false"
    )
    bill(ws)
    rows = read(ws, "C1")
    assert [rows[1]] == table(
        "c9,sip-1,2026-10-01T00:30:00+02:00,out,3949,FR_SHORT,OUT_OF_PLAN,10,60,0.1500"
    )


def test_customer_flag_allows_full_numbers(ws):
    path = ws.table("customers.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[0].append("itemised_full_numbers")
    rows[1].append("")  # C1: empty = not asked, masked
    rows[2].append("true")  # C2
    write_rows(path, rows)
    bill(ws)
    assert read(ws, "C2")[1][4] == "06 12 34 56 78"
    assert read(ws, "C1")[2][4] == "01 45 67 XX XX"


def test_workbook_sheet_of_calls_is_masked_too(billed):
    wb = load_workbook(billed.out / "2026-10" / "billing_2026-10_appels.xlsx")
    rows = [r for r in wb["Appels détaillés"].iter_rows(values_only=True)]
    assert [(r[0], r[4], r[6], r[10]) for r in rows[1:]] == [
        ("C1", "0044791112XXXX", "Destination non incluse dans le forfait", "c1"),
        ("C1", "01 45 67 XX XX", "Inclus dans le forfait", "c2"),
        ("C2", "06 12 34 XX XX", "Aucun forfait illimité ne couvre l'appel", "c5"),
    ]
    assert rows[3][2].isoformat() == "2026-10-26T10:17:00"  # Paris local time


def test_no_call_no_file(ws):
    ws.cdrs("2026-10", [])
    assert ws.bill("2026-10").exit_code == 0
    assert list((ws.out / "2026-10" / "itemised").iterdir()) == []


def test_fields_are_quoted_like_the_csv_module(ws):
    # a cdr_id with a comma and a double quote (a quoted field of the CDR file)
    path = ws.cdrs("2026-10", [])
    path.write_text(
        path.read_text(encoding="utf-8")
        + '"q,""1",sip-2,out,0145000000,0612345678,2026-10-04T10:17:00+02:00,125,\n',
        encoding="utf-8",
    )
    assert ws.bill("2026-10").exit_code == 0
    text = (ws.out / "2026-10" / "itemised" / "C2.csv").read_text(encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ITEMISED_COLUMNS)
    [fields] = table(
        "sip-2,2026-10-04T10:17:00+02:00,out,06 12 34 XX XX,FR_MOBILE,NO_PLAN,125,125,0.0938"
    )
    writer.writerow(['q,"1', *fields])
    assert text == buffer.getvalue()
    assert 'q,""1"' in text


def test_start_times_around_both_time_changes_are_written_as_the_exact_conversion():
    """The lines format start_time as UTC plus the offset of its span (pipeline.exports.itemised
    _time_field), not with one time zone conversion per call: it must give the exact text of
    strftime(..., '%z') in Europe/Paris, to the microsecond around each change of offset."""
    from pipeline.core.db import connect
    from pipeline.exports.itemised import _TIME_EXACT, _time_field

    con = connect()
    instants = []
    for change in ("2026-03-29 01:00:00", "2026-10-25 01:00:00"):
        for delta in (-3_600_000_001, -1_000_001, -1, 0, 1, 999_999, 1_000_000, 3_600_000_000):
            instants.append((change, delta))
    con.execute("create table rated_calls (start_time timestamptz, reason varchar)")
    for change, delta in instants:
        con.execute(
            "insert into rated_calls select timezone('UTC', $ts::timestamp) "
            "+ to_microseconds($d), 'OUT_OF_PLAN'",
            {"ts": change, "d": delta},
        )
    field = _time_field(con, ["OUT_OF_PLAN"])
    assert "case when" in field  # the spans were found
    rows = con.execute(
        f"select {field}, {_TIME_EXACT.format(ts='l.start_time')} from rated_calls as l"
    ).fetchall()
    assert len(rows) == len(instants)
    assert all(fast == exact for fast, exact in rows), rows
    assert {exact[-6:] for _, exact in rows} == {"+01:00", "+02:00"}


@settings(max_examples=150, deadline=None)
@given(
    numbers=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(alphabet='0123456789S3,"\n é', max_size=16)),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_shown_number_in_sql_is_the_former_python_function_quoted_for_csv(numbers):
    """Issue 32: the itemised bills' numbers are shown by SQL (shown_number_sql); the same text
    as the Python function it replaced, quoted as the csv module quotes a field, for any text
    (French numbers of 11 digits, short numbers, foreign ones, the empty and the absent number,
    quotes, commas, line breaks)."""
    numbers += [("33145678910", False), ("33145678910", True), ("S3949", False), ("1234", False)]
    assert shown(numbers) == [csv_text(display_number(e164, full)) for e164, full in numbers]
