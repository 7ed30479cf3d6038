"""Issue 3: input rejects (R40, R41): every reason, their precedence, file/row/raw kept."""

from __future__ import annotations

import csv
import datetime
import gzip

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.inputs.cdrs import csv_fields
from tests.conftest import (
    CDR_HEADER,
    SAMPLE_DATA,
    SAMPLE_RATES,
    Workspace,
    rate,
    rows,
    write_rows,
)

OCT = "2026-10"
T = "2026-10-03T09:00:00+02:00"
# R41's order, spelled out from rules.md as the precedence test's oracle: not R41_ORDER of
# pipeline/rating/reasons.py, the run's own list (the run compared with itself proves nothing)
R41 = "MALFORMED DUPLICATE NEGATIVE_DURATION OUT_OF_PERIOD UNKNOWN_ACCOUNT INVALID_NUMBER NO_TARIFF"


def line(
    cdr_id, account="sip-2", direction="out", callee="0145678910", start=T, duration="60", device=""
):
    return [cdr_id, account, direction, "0145000000", callee, start, duration, device]


def _rejects(ws, month=OCT):
    con = rate(ws, month)
    return con, {(r["source_file"], r["row_number"]): r for r in rows(con, "select * from rejects")}


def test_r41_every_reject_reason(ws):
    ws.cdrs(
        OCT,
        [
            line("ok"),
            ["short", "sip-2", "out", "0145000000", "0145678910", T, "60"],  # 7 fields
            line("", callee="0145678911"),  # empty cdr_id
            line("dir", direction="OUT"),
            line("time", start="2026-10-03"),  # a date without time
            line("badtime", start="2026-10-32T09:00:00+02:00"),
            line("dur", duration="6.5"),
            line("ok"),  # DUPLICATE of row 1
            line("neg", duration="-5"),
            line("early", start="2026-09-30T23:59:59+02:00"),
            line("late", start="2026-11-01T00:00:00+01:00"),
            line("unknown", account="sip-x"),
            line("invalid", callee="abc"),
            line("notariff", callee="+4912345678901"),
            line("lastsecond", start="2026-10-31T23:59:59+01:00"),
        ],
    )
    con, rejects = _rejects(ws)
    f = "cdrs/2026-10/cdrs.csv"
    got = {row: r["reason"] for (_, row), r in rejects.items()}
    assert got == {
        2: "MALFORMED",
        3: "MALFORMED",
        4: "MALFORMED",
        5: "MALFORMED",
        6: "MALFORMED",
        7: "MALFORMED",
        8: "DUPLICATE",
        9: "NEGATIVE_DURATION",
        10: "OUT_OF_PERIOD",
        11: "OUT_OF_PERIOD",
        12: "UNKNOWN_ACCOUNT",
        13: "INVALID_NUMBER",
        14: "NO_TARIFF",
    }
    assert rejects[(f, 8)]["detail"] == "first seen in cdrs/2026-10/cdrs.csv row 1"
    # the raw text is the line as read
    assert (
        rejects[(f, 9)]["raw"]
        == "neg,sip-2,out,0145000000,0145678910,2026-10-03T09:00:00+02:00,-5,"
    )
    assert (
        rejects[(f, 2)]["raw"]
        == "short,sip-2,out,0145000000,0145678910,2026-10-03T09:00:00+02:00,60"
    )
    rated = [r["cdr_id"] for r in rows(con, "select cdr_id from rated_calls order by row_number")]
    assert rated == ["ok", "lastsecond"]


def test_r41_precedence_order(ws):
    ws.cdrs(
        OCT,
        [
            line("a"),
            line("a", duration="x"),  # MALFORMED beats DUPLICATE
            line(
                "a", duration="-1", start="2026-09-01T00:00:00+02:00", account="sip-x"
            ),  # DUPLICATE
            line(
                "b", duration="-1", start="2026-09-01T00:00:00+02:00", account="sip-x"
            ),  # NEGATIVE
            line(
                "c", start="2026-09-01T00:00:00+02:00", account="sip-x", callee="abc"
            ),  # OUT_OF_PERIOD
            line("d", account="sip-x", callee="abc"),  # UNKNOWN_ACCOUNT beats INVALID_NUMBER
            line("e", callee="3"),  # INVALID_NUMBER (it has no tariff either)
            line("f", callee="+4912345678901"),  # NO_TARIFF
        ],
    )
    _, rejects = _rejects(ws)
    assert [r["reason"] for _, r in sorted(rejects.items())] == R41.split()


def test_r41_first_occurrence_wins_in_file_name_order(ws):
    # the first occurrence is rejected for a later reason: the second is still a DUPLICATE
    ws.cdrs(OCT, [line("x", start="2026-09-15T10:00:00+02:00")], name="a.csv")
    ws.cdrs(OCT, [line("x"), line("y")], name="b.csv")
    # a malformed row is not an occurrence: the well-formed row after it is rated
    ws.cdrs(OCT, [line("z", duration="?"), line("z")], name="c.csv")
    con, rejects = _rejects(ws)
    assert {k: r["reason"] for k, r in rejects.items()} == {
        ("cdrs/2026-10/a.csv", 1): "OUT_OF_PERIOD",
        ("cdrs/2026-10/b.csv", 1): "DUPLICATE",
        ("cdrs/2026-10/c.csv", 1): "MALFORMED",
    }
    assert sorted(r["cdr_id"] for r in rows(con, "select cdr_id from rated_calls")) == ["y", "z"]


def test_r41_duplicate_of_a_month_already_billed(ws):
    ws.cdrs(
        "2026-09",
        [
            line("sep", start="2026-09-20T10:00:00+02:00"),
            # rejected in September (it is an October call): not "billed", so rated in October
            line("oct", start="2026-10-02T10:00:00+02:00"),
        ],
    )
    assert ws.bill("2026-09").exit_code == 0
    ws.cdrs(OCT, [line("sep"), line("oct", start="2026-10-02T10:00:00+02:00")])
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    rejects = ws.read_csv(OCT, "rejects.csv")
    assert [(r["cdr_id"], r["reason"], r["detail"]) for r in rejects] == [
        ("sep", "DUPLICATE", "already billed in 2026-09"),
    ]
    rated = (
        duckdb.connect()
        .sql(f"select cdr_id from read_parquet('{ws.out / OCT / 'rated_calls.parquet'}')")
        .fetchall()
    )
    assert rated == [("oct",)]


def test_r40_every_row_in_one_place_per_file(ws):
    # csv with CRLF line ends and a quoted field, gzip csv, parquet, an empty file
    path = ws.data / "cdrs" / OCT / "a.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        (
            ",".join(CDR_HEADER)
            + "\r\n"
            + ",".join(line("a1"))
            + "\r\n"
            + 'a2,sip-2,out,0145000000,"01 45 67 89 11",2026-10-03T09:05:00+02:00,60,\r\n'
            + "\r\n"  # a blank line is not a record
            + ",".join(line("a1"))
            + "\r\n"
            + "   \r\n"  # nor is a line of spaces
            + " "
            + ",".join(line("a3"))  # a line that starts with a space is one
            + "\r\n"
        ).encode()
    )
    with gzip.open(ws.data / "cdrs" / OCT / "b.csv.gz", "wt", encoding="utf-8", newline="") as f:
        f.write(",".join(CDR_HEADER) + "\n" + ",".join(line("b1", callee="abc")) + "\n")
    duckdb.connect().sql(
        "copy (select 'p1' as cdr_id, 'sip-2' as sip_account, 'out' as direction, "
        "'0145000000' as caller, '0145678910' as callee, '2026-10-03T10:00:00+02:00' as start_time, "
        "60 as duration_s, null as device_id) "
        f"to '{ws.data / 'cdrs' / OCT / 'c.parquet'}' (format parquet)"
    )
    write_rows(ws.data / "cdrs" / OCT / "d.csv", [CDR_HEADER])
    con = rate(ws, OCT)
    rec = rows(con, "select * from reconciliation")
    assert [
        (r["source_file"], r["rows_read"], r["rated"], r["duplicates"], r["rejected"]) for r in rec
    ] == [
        ("cdrs/2026-10/a.csv", 4, 3, 1, 0),
        ("cdrs/2026-10/b.csv.gz", 1, 0, 0, 1),
        ("cdrs/2026-10/c.parquet", 1, 1, 0, 0),
        ("cdrs/2026-10/d.csv", 0, 0, 0, 0),
    ]
    calls = {r["cdr_id"]: r for r in rows(con, "select * from rated_calls")}
    assert calls["a2"]["callee_e164"] == "33145678911"
    assert calls["a2"]["row_number"] == 2
    dup = rows(con, "select * from rejects where reason = 'DUPLICATE'")[0]
    # the blank line is not a record (not counted as read) but row numbers stay those of the
    # file's lines (row N is line N+1), so that the duplicate can be found in the file: line 5
    assert (dup["row_number"], dup["raw"]) == (4, ",".join(line("a1")))
    assert calls["a3"]["row_number"] == 6  # after the line of spaces (row 5)


# CSV lines with quotes are split in SQL (pipeline/inputs/cdrs.py csv_fields) ------------------

_SPLIT = duckdb.connect()


def _sql_fields(line: str) -> list[str]:
    return _SPLIT.execute(f"select {csv_fields('$1')}", [line]).fetchone()[0]


def test_r40_quoted_fields_are_split_like_python_csv():
    # doubled quotes, a comma inside quotes, text after the closing quote, a quote never closed
    # (the field runs to the end of the line), a quote inside plain text
    for line, fields in [
        ('"a","b,c",d', ["a", "b,c", "d"]),
        ('"x ""q"" y",2', ['x "q" y', "2"]),
        ('"ab"c,d', ["abc", "d"]),
        ('a,"b""c,d', ["a", 'b"c,d']),
        ('ab"c,d', ['ab"c', "d"]),
        (",,", ["", "", ""]),
        ('"",x,', ["", "x", ""]),
    ]:
        assert _sql_fields(line) == fields == next(csv.reader([line]))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='ab," \t', min_size=1, max_size=16))
def test_r40_quoted_field_split_matches_python_csv_on_any_line(line):
    assert _sql_fields(line) == next(csv.reader([line]))


def test_r40_a_file_quoting_every_field_rates_like_the_same_file_unquoted(tmp_path):
    records = [line("q1"), line("q2", callee="01 45 67 89 11"), line("q3", callee="abc")]
    quoted, plain = Workspace(tmp_path / "quoted"), Workspace(tmp_path / "plain")
    path = quoted.data / "cdrs" / OCT / "cdrs.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(",".join(f'"{v}"' for v in r) for r in [CDR_HEADER, *records]) + "\n",
        encoding="utf-8",
    )
    plain.cdrs(OCT, records)
    results = []
    for ws in (quoted, plain):
        con = rate(ws, OCT)
        results.append(
            (
                rows(con, "select * exclude (raw) from rejects order by row_number"),
                rows(con, "select * from rated_calls order by cdr_id"),
            )
        )
    assert results[0] == results[1]
    rejects, calls = results[0]
    assert [c["cdr_id"] for c in calls] == ["q1", "q2"]
    assert calls[1]["callee_e164"] == "33145678911"
    assert [(r["cdr_id"], r["row_number"], r["reason"]) for r in rejects] == [
        ("q3", 3, "INVALID_NUMBER")
    ]


def _write_bytes(ws, name: str, body: bytes) -> None:
    path = ws.data / "cdrs" / OCT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def _csv_line(cdr_id: str, minute: int) -> bytes:
    return ",".join(line(cdr_id, start=f"2026-10-03T09:{minute:02d}:00+02:00")).encode()


def test_r40_line_ends_lf_crlf_and_a_lone_cr_each_end_one_line(ws):
    header = ",".join(CDR_HEADER).encode()
    # a file that starts with LF, then CRLF lines; a CRLF file with a lone CR; a CR-only file.
    # DuckDB's reader numbered the first file's rows 1, 2, 4, 6 and read 'r2' for 'cr2'
    _write_bytes(
        ws,
        "a.csv",
        header
        + b"\n"
        + _csv_line("lf1", 0)
        + b"\n"
        + _csv_line("crlf2", 1)
        + b"\r\n"
        + _csv_line("crlf3", 2)
        + b"\r\n"
        + _csv_line("lf4", 3)
        + b"\n",
    )
    _write_bytes(
        ws,
        "b.csv",
        header
        + b"\r\n"
        + _csv_line("cr1", 4)
        + b"\r"
        + _csv_line("cr2", 5)
        + b"\r\n\r\n"
        + _csv_line("cr4", 6)
        + b"\r\n",
    )
    _write_bytes(ws, "c.csv", header + b"\r" + _csv_line("mac1", 7) + b"\r" + _csv_line("mac2", 8))
    con = rate(ws, OCT)
    got = {
        r["cdr_id"]: (r["source_file"][-5:], r["row_number"])
        for r in rows(con, "select cdr_id, source_file, row_number from rated_calls")
    }
    assert got == {
        "lf1": ("a.csv", 1),
        "crlf2": ("a.csv", 2),
        "crlf3": ("a.csv", 3),
        "lf4": ("a.csv", 4),
        "cr1": ("b.csv", 1),
        "cr2": ("b.csv", 2),
        "cr4": ("b.csv", 4),  # row 3 is the blank line
        "mac1": ("c.csv", 1),
        "mac2": ("c.csv", 2),
    }


def test_r40_a_file_that_is_not_utf8_stops_naming_its_line(ws):
    from pipeline.core.errors import InputError

    header = ",".join(CDR_HEADER).encode()
    _write_bytes(ws, "a.csv", header + b"\n" + _csv_line("l1", 0) + b"\n" + b"l2,caf\xe9\n")
    try:
        rate(ws, OCT)
    except InputError as error:
        assert str(error).endswith(
            "a.csv : fichier illisible : la ligne 3 n'est pas du texte UTF-8 (octet 0xe9)"
        )
    else:
        raise AssertionError("a file that is not UTF-8 was read")


def test_r41_hour_24_minute_60_and_offsets_beyond_14_hours_are_malformed(ws):
    starts = {
        "h24": "2026-10-03T24:00:00+02:00",
        "m60": "2026-10-03T09:60:00+02:00",
        "off19": "2026-10-15T09:00:00+19:00",
        "off0060": "2026-10-15T09:00:00+00:60",
        "off14": "2026-10-15T23:00:00+14:00",  # the widest offset in use (Kiribati): 09:00Z
        "offm12": "2026-10-15T09:00:00-12:00",  # 21:00Z
        "h23": "2026-10-15T23:59:59.999+02:00",
    }
    ws.cdrs(OCT, [line(i, start=t) for i, t in starts.items()])
    con, rejects = _rejects(ws)
    assert {r["cdr_id"]: (r["reason"], r["detail"]) for r in rejects.values()} == {
        i: ("MALFORMED", "start_time is not an ISO 8601 timestamp")
        for i in ("h24", "m60", "off19", "off0060")
    }
    assert {
        r["cdr_id"]: str(r["start_time"].astimezone(datetime.UTC))
        for r in rows(con, "select cdr_id, start_time from rated_calls")
    } == {
        "off14": "2026-10-15 09:00:00+00:00",
        "offm12": "2026-10-15 21:00:00+00:00",
        "h23": "2026-10-15 21:59:59.999000+00:00",
    }


def test_r41_raw_text_of_a_rejected_parquet_row_with_typed_columns(ws):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = ws.data / "cdrs" / OCT / "a.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    utc = datetime.UTC
    pq.write_table(
        pa.table(
            {
                "cdr_id": ["p1", "p2", "p3"],
                "sip_account": ["sip-x", "sip-2", "sip-2"],
                "direction": ["out"] * 3,
                "caller": ["0145000000"] * 3,
                "callee": ["0145678910", "+4912345678901", "0145678910"],
                "start_time": pa.array(
                    [
                        datetime.datetime(2026, 10, 3, 7, 1, tzinfo=utc),
                        datetime.datetime(2026, 12, 3, 7, 2, 0, 500000, tzinfo=utc),
                        datetime.datetime(2026, 10, 3, 7, 3, 0, 120000, tzinfo=utc),
                    ],
                    pa.timestamp("us", tz="UTC"),
                ),
                "duration_s": pa.array([60.0, 60.0, 1e12], pa.float64()),
                "device_id": [None, None, None],
            }
        ),
        path,
    )
    con, rejects = _rejects(ws)
    assert {r["cdr_id"]: (r["reason"], r["raw"]) for r in rejects.values()} == {
        "p1": ("UNKNOWN_ACCOUNT", "p1,sip-x,out,0145000000,0145678910,2026-10-03 09:01:00+02,60,"),
        "p2": (
            "OUT_OF_PERIOD",
            "p2,sip-2,out,0145000000,+4912345678901,2026-12-03 08:02:00.5+01,60,",
        ),
        "p3": (
            "MALFORMED",
            "p3,sip-2,out,0145000000,0145678910,2026-10-03 09:03:00.12+02,1000000000000.0,",
        ),
    }


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n", "é".encode(), b"\xe9"]), max_size=12),
    st.integers(min_value=1, max_value=5),
)
def test_r40_line_ends_and_utf8_checked_alike_whatever_the_chunk_size(
    tmp_path_factory, parts, chunk
):
    """scan_text reads 16 MB chunks: a CRLF or a UTF-8 character split between two chunks
    must be judged as in one piece (here chunks of 1-5 bytes)."""
    import re
    from unittest import mock

    from pipeline.core.errors import InputError
    from pipeline.inputs import cdrs

    body = b"".join(parts)
    path = tmp_path_factory.mktemp("scan") / "a.csv"
    path.write_bytes(body)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        expected = "not UTF-8"
    else:
        lone_cr = re.search(rb"\r(?!\n)", body) is not None
        lone_lf = re.search(rb"(?<!\r)\n", body) is not None
        expected = lone_cr or (b"\r\n" in body and lone_lf)
    with mock.patch.object(cdrs, "_SCAN_CHUNK", chunk):
        try:
            got = cdrs.scan_text(path)
        except InputError as error:
            assert "UTF-8" in str(error)
            got = "not UTF-8"
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["h", "a", "é", " ", "\r", "\n", "\r\n"]), max_size=14),
    st.integers(min_value=1, max_value=5),
)
def test_r40_irregular_file_split_into_the_same_lines_whatever_the_chunk_size(
    tmp_path_factory, parts, chunk
):
    """A file with irregular line ends is split a chunk at a time: a CRLF or a character cut
    between chunks gives the lines of the whole text split at LF, CRLF or CR."""
    import re
    from unittest import mock

    from pipeline.inputs import cdrs

    text = "".join(parts)
    path = tmp_path_factory.mktemp("split") / "a.csv"
    path.write_bytes(text.encode())
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()
    expected = list(enumerate(lines))[1:]  # the header is line 0
    with mock.patch.object(cdrs, "_SCAN_CHUNK", chunk):
        got = [
            (n, t)
            for b in cdrs._irregular_batches(path)
            for n, t in zip(b.column(0).to_pylist(), b.column(1).to_pylist(), strict=True)
        ]
    assert got == expected


def test_r41_rating_rejects_are_every_rating_reject_and_only_those(ws):
    # the rating rejects (R11 not a number, R12 no destination, R13 no tariff on the call's
    # day) are every rat_tariffed row with a reject reason, no more, no fewer: the invariant a
    # cheaper rejects.sql must keep (one that rated only suspect callees' calls was tried on
    # 2026-12-03: docs/performance.md)
    ws.add_zone("49", "INTL_DE", "Allemagne", "2026-10-02", "0.0500", "0", "60", "1", "false")
    ws.cdrs(
        OCT,
        [
            line("empty", callee=""),  # INVALID_NUMBER: an empty callee
            line("text", callee="abc"),  # INVALID_NUMBER
            line("nodest", callee="+8801234567890"),  # NO_TARIFF: no prefix (R12)
            line("day1", callee="+4930123456", start="2026-10-01T23:59:59+02:00"),  # NO_TARIFF
            line("day2", callee="+4930123456", start="2026-10-02T00:00:00+02:00"),  # rated
            line("in", direction="in", callee="abc"),  # not chargeable: rated, never rejected
            line("zero", callee="abc", duration="0"),  # not answered: rated, never rejected
            line("ok", callee="0145678910"),
        ],
    )
    con, rejects = _rejects(ws)
    every = rows(
        con,
        "select cdr_id, reject_reason as reason, reject_detail as detail from rat_tariffed "
        "where reject_reason is not null order by cdr_id",
    )
    got = sorted(
        (
            {"cdr_id": r["cdr_id"], "reason": r["reason"], "detail": r["detail"]}
            for r in rejects.values()
        ),
        key=lambda r: r["cdr_id"],
    )
    assert got == every
    assert [(r["cdr_id"], r["reason"]) for r in got] == [
        ("day1", "NO_TARIFF"),
        ("empty", "INVALID_NUMBER"),
        ("nodest", "NO_TARIFF"),
        ("text", "INVALID_NUMBER"),
    ]


def test_r41_staged_cdrs_in_the_scratch_file_are_the_in_memory_table(tmp_path):
    """A run with a scratch folder writes stg_cdrs to a parquet file there (issue 18, so that
    it does not fill DuckDB's memory), in no particular order; explain and the tests keep it
    in memory. Both hold the same rows, typed alike, and rate the sample month alike: every
    staging and rating reject and every rated call (the rows compared as multisets)."""
    from pipeline.core.dates import Month
    from pipeline.core.db import connect
    from pipeline.inputs.reference import load_reference, register
    from pipeline.rating.models import STAGED_CDRS_FILE, rate_folders, rate_month

    samples, rates = SAMPLE_DATA, SAMPLE_RATES
    month = Month.parse(OCT)
    in_memory = rate_folders(month, samples, rates)
    ref = load_reference(samples, rates)
    con = connect()
    register(con, ref)
    rate_month(
        con,
        samples,
        month,
        [],
        scratch=tmp_path,
        max_call_duration_s=ref.provider["max_call_duration_s"],
    )
    assert (tmp_path / STAGED_CDRS_FILE).is_file()
    kinds = dict(
        con.execute("select table_name, table_type from information_schema.tables").fetchall()
    )
    assert kinds["stg_cdrs"] == "VIEW"
    for table in ("stg_cdrs", "rejects", "rated_calls", "usage_lines"):
        mine = in_memory.execute(f"describe {table}").fetchall()
        theirs = con.execute(f"describe {table}").fetchall()
        if table == "rated_calls":  # the file keeps the contract's columns only
            names = [r[0] for r in theirs]
            mine = [r for r in mine if r[0] in names]
        assert [r[:2] for r in mine] == [r[:2] for r in theirs], table
        cols = ", ".join(r[0] for r in theirs)
        a = in_memory.sql(f"select {cols} from {table}").to_arrow_table()
        con.register("other", a)
        missing = con.execute(
            f"select count(*) from (select {cols} from other except all select {cols} from {table})"
        ).fetchall()[0][0]
        extra = con.execute(
            f"select count(*) from (select {cols} from {table} except all select {cols} from other)"
        ).fetchall()[0][0]
        con.unregister("other")
        assert (missing, extra, len(a) > 0) == (0, 0, True), table
    reasons = {r[0] for r in con.execute("select distinct reason from rejects").fetchall()}
    assert {"MALFORMED", "DUPLICATE", "INVALID_NUMBER", "NO_TARIFF"} <= reasons
