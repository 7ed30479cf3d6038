"""Issue 16: absurd values, files written by other tools, bad settings (docs/robustness.md).

Workspace of tests/conftest.py: C2 (Belgium, reverse charge) has sip-2 and no plan, so its
calls to French fixed numbers are NO_PLAN at 0.0200/min (min 60 s, increment 1 s).
"""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from tests.conftest import CDR_HEADER, Workspace

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")

OCT = "2026-10"


def fr_call(cdr_id: str, seconds: int | str, at: str = "2026-10-05T10:00:00+02:00") -> list[str]:
    return [cdr_id, "sip-2", "out", "003225000000", "01 45 67 89 10", at, str(seconds), ""]


def rejects(ws: Workspace) -> dict[str, dict[str, str]]:
    return {r["cdr_id"]: r for r in ws.read_csv(OCT, "rejects.csv")}


def usage(ws: Workspace) -> list[tuple[str, str, str]]:
    return [
        (ln["zone"], ln["calls"], ln["amount_ht"])
        for ln in ws.read_csv(OCT, "invoice_lines.csv")
        if ln["kind"] == "usage"
    ]


def test_r41_duration_too_long_over_86400_seconds_is_never_billed(ws):
    with open(ws.data / "provider.toml", "a", encoding="utf-8") as handle:
        handle.write("max_rejected_pct = 100\n")  # 4 rejects of 5 rows: issue them
    ws.cdrs(
        OCT,
        [
            fr_call("day", 86_400),  # a whole day: billed, 0.0200 x 1,440 min = 28.80
            fr_call("glitch", 86_401),
            fr_call("switch", 123_456_789_012),  # the 12-digit glitch of the issue
            fr_call("neg", -5),
            # too long and out of the month: DURATION_TOO_LONG comes first (R41 order)
            fr_call("both", 90_000, at="2026-09-30T10:00:00+02:00"),
        ],
    )
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    found = rejects(ws)
    assert {k: v["reason"] for k, v in found.items()} == {
        "glitch": "DURATION_TOO_LONG",
        "switch": "DURATION_TOO_LONG",
        "neg": "NEGATIVE_DURATION",
        "both": "DURATION_TOO_LONG",
    }
    assert found["glitch"]["detail"] == (
        "duration_s is 86401, over the 86400 s of max_call_duration_s (provider.toml)"
    )
    assert usage(ws) == [("FR_FIXED", "1", "28.80")]


def test_r41_max_call_duration_s_is_a_setting_of_provider_toml(ws):
    with open(ws.data / "provider.toml", "a", encoding="utf-8") as handle:
        handle.write("max_call_duration_s = 3600\n")
    ws.cdrs(OCT, [fr_call("hour", 3600), fr_call("more", 3601)])
    assert ws.bill(OCT).exit_code == 0
    assert {k: v["reason"] for k, v in rejects(ws).items()} == {"more": "DURATION_TOO_LONG"}
    assert usage(ws) == [("FR_FIXED", "1", "1.20")]  # 60 min x 0.0200


def test_a_bad_setting_in_provider_toml_stops_with_exit_2_naming_it(ws):
    with open(ws.data / "provider.toml", "a", encoding="utf-8") as handle:
        handle.write('max_call_duration_s = "a day"\n')
    ws.cdrs(OCT, [fr_call("a", 60)])
    result = ws.bill(OCT)
    assert result.exit_code == 2
    assert (
        "provider.toml: max_call_duration_s = 'a day': expected the longest call" in result.output
    )


def test_a_month_mostly_rejected_is_not_issued_without_accept_rejects(ws):
    # 3 of 4 rows unreadable: 75 % rejected, over the default max_rejected_pct of 50
    ws.cdrs(OCT, [fr_call("ok", 60), fr_call("x1", "abc"), fr_call("x2", "1.5"), fr_call("x3", "")])
    result = ws.bill(OCT)
    assert result.exit_code == 1
    assert f"{OCT}: 1 CDR file has more than 50% of its rows rejected" in result.output
    assert f"cdrs/{OCT}/cdrs.csv: 3 of 4 rows rejected (75%); reasons: MALFORMED 3" in (
        result.output
    )
    assert "--accept-rejects" in result.output
    assert not (ws.out / OCT).exists()
    accepted = CliRunner().invoke(
        main,
        ["bill", "--month", OCT, "--data", str(ws.data), "--out", str(ws.out)]
        + ["--rates", str(ws.rates), "--accept-rejects"],
        obj={"gates": None},
    )
    assert accepted.exit_code == 0, accepted.output
    manifest = json.loads((ws.out / OCT / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["accepted_rejects"] is True
    audit = CliRunner().invoke(
        main,
        ["audit", "--month", OCT, "--data", str(ws.data), "--out", str(ws.out)]
        + ["--rates", str(ws.rates)],
        obj={"gates": None},
    )
    assert audit.exit_code == 0, audit.output


def test_half_the_rows_rejected_is_still_issued(ws):
    ws.cdrs(OCT, [fr_call("ok", 60), fr_call("x1", "abc")])  # 50 %: not over the limit
    assert ws.bill(OCT).exit_code == 0


def test_duplicates_do_not_count_as_rejects_for_the_threshold(ws):
    ws.cdrs(OCT, [fr_call("a", 60)], name="a.csv")
    ws.cdrs(OCT, [fr_call("a", 60)], name="b.csv")  # a replayed file: one duplicate
    assert ws.bill(OCT).exit_code == 0


def test_parquet_whole_float_durations_are_integers(ws):
    """A parquet file written by pandas stores duration_s as float64: 60.0 is 60 s; 60.5 is
    not a whole number of seconds (MALFORMED)."""
    folder = ws.data / "cdrs" / OCT
    folder.mkdir(parents=True)
    rows = [fr_call("f1", 60), fr_call("f2", 61)]
    columns = {name: [r[i] for r in rows] for i, name in enumerate(CDR_HEADER)}
    columns["duration_s"] = [60.0, 60.5]
    columns["device_id"] = [None, None]
    pq.write_table(pa.table(columns), folder / "pandas.parquet")
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    assert usage(ws) == [("FR_FIXED", "1", "0.02")]
    (reject,) = ws.read_csv(OCT, "rejects.csv")
    assert (reject["cdr_id"], reject["reason"]) == ("f2", "MALFORMED")


def test_csv_with_mixed_line_endings_reads_every_row(ws):
    path = ws.data / "cdrs" / OCT / "mixed.csv"
    path.parent.mkdir(parents=True)
    lines = [",".join(CDR_HEADER), ",".join(fr_call("a", 60)), ",".join(fr_call("b", 120))]
    path.write_bytes((lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r\n").encode())
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    assert ws.read_csv(OCT, "rejects.csv") == []
    assert usage(ws) == [("FR_FIXED", "2", "0.06")]  # 0.0200 + 0.0400


def test_one_oversized_line_is_one_malformed_row(ws):
    path = ws.data / "cdrs" / OCT / "big.csv"
    path.parent.mkdir(parents=True)
    huge = fr_call("huge", 60)
    huge[3] = "9" * 3_000_000  # a caller field of 3 MB
    rows = [CDR_HEADER, fr_call("a", 60), huge, fr_call("b", 120)]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    csv.field_size_limit(1 << 24)  # the reject keeps its raw text, 3 MB (R41)
    (reject,) = ws.read_csv(OCT, "rejects.csv")
    assert (reject["row_number"], reject["reason"]) == ("2", "MALFORMED")
    # huge,sip-2,out,9...9,01 45 67 89 10,2026-10-05T10:00:00+02:00,60, : 4 + 5 + 3 + 3,000,000
    # + 14 + 25 + 2 + 0 characters and 7 commas = 3,000,060
    assert reject["detail"] == "line of 3000060 characters, longer than any CDR (65,536)"
    assert usage(ws) == [("FR_FIXED", "2", "0.06")]


def _issue_two_months(ws: Workspace) -> None:
    ws.cdrs("2026-09", [fr_call("s1", 60, at="2026-09-05T10:00:00+02:00")])
    assert ws.bill("2026-09").exit_code == 0
    ws.cdrs(OCT, [fr_call("o1", 60)])


def test_damaged_ledger_a_removed_rated_calls_file_stops_the_next_run(ws):
    """Without the check, s1 billed in September could be billed again in October."""
    _issue_two_months(ws)
    ws.cdrs(OCT, [fr_call("o1", 60), fr_call("s1", 60)])  # s1 again: a DUPLICATE (R41)
    (ws.out / "2026-09" / "rated_calls.parquet").unlink()
    result = ws.bill(OCT)
    assert result.exit_code == 1
    assert "2026-09/rated_calls.parquet: removed since it was issued" in result.output
    assert not (ws.out / OCT).exists()


def test_damaged_ledger_a_removed_workbook_or_changed_archive_stops_the_next_run(ws):
    _issue_two_months(ws)
    (ws.out / "2026-09" / "billing_2026-09.xlsx").unlink()
    result = ws.bill(OCT)
    assert result.exit_code == 1 and "billing_2026-09.xlsx: removed since it was issued" in (
        result.output
    )


def test_damaged_ledger_a_changed_file_is_found_even_with_the_same_size_and_time(ws):
    import os

    _issue_two_months(ws)
    assert (ws.out / ".verified.json").exists()  # what the last publication hashed
    path = ws.out / "2026-09" / "fair_use.csv"
    stat = path.stat()
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"sip_account", b"sip_accounx"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the same time, the same size:
    result = ws.bill(OCT)  # its status-change time differs, so the file is hashed again
    assert result.exit_code == 1
    assert "2026-09/fair_use.csv: changed since it was issued (sha256 differs)" in result.output


def test_a_full_disk_is_one_line_naming_the_path_and_out_is_unchanged(ws, monkeypatch):
    import errno
    import os

    from pipeline.exports import month_files as month_writer

    _issue_two_months(ws)
    before = sorted(p.relative_to(ws.out).as_posix() for p in ws.out.rglob("*"))
    real = month_writer.write_csv

    def full(path, *args, **kwargs):
        if path.name == "invoice_lines.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(month_writer, "write_csv", full)  # the disk fills up mid-write
    result = ws.bill(OCT)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and "invoice_lines.csv: No space left on device (ENOSPC)" in (
        line
    )
    assert "free space on that disk" in line and line.endswith("nothing was issued")
    assert sorted(p.relative_to(ws.out).as_posix() for p in ws.out.rglob("*")) == before


def test_spreadsheet_formula_injection_itemised_bills_are_neutralised(ws):
    """The itemised bills are opened by people in Excel: no cell starts with =, +, - or @. A
    number is shown as a French reader dials it (01 45 67 XX XX, 0044...), an id that starts
    like a formula gets a leading quote (OWASP); the data-contract files keep the values."""
    ws.cdrs(
        OCT,
        [
            ["=HYPERLINK(1)", "sip-2", "out", "x", "+44 7911 123456", "2026-10-05T10:00:00+02:00", "60", ""],
            ["@c2", "sip-2", "out", "x", "01 45 67 89 10", "2026-10-05T11:00:00+02:00", "60", ""],
        ],
    )  # fmt: skip
    assert ws.bill(OCT).exit_code == 0
    with open(ws.out / OCT / "itemised" / "C2.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert [(r[0], r[4]) for r in rows] == [
        ("'=HYPERLINK(1)", "0044791112XXXX"),
        ("'@c2", "01 45 67 XX XX"),
    ]
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in rows for cell in row)
    # machine data keeps the value as received (rated_calls.parquet, invoices.csv...)
    assert {r["cdr_id"] for r in ws.read_csv(OCT, "rejects.csv")} == set()
    import duckdb

    ids = duckdb.sql(
        f"select cdr_id from read_parquet('{ws.out / OCT / 'rated_calls.parquet'}') order by 1"
    ).fetchall()
    assert ids == [("=HYPERLINK(1)",), ("@c2",)]
