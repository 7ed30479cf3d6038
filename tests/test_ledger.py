"""The ledger under OUT (R60, R64): unbroken numbers across months and years, re-runs that
verify instead of rewriting, runs killed at any step, two runs at once."""

from __future__ import annotations

import csv
import hashlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.core.progress import PAUSE_ENV
from tests.conftest import Workspace, write_rows
from tests.scenarios import call

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")

# C1 calls a premium number: 61 s at FR_PREMIUM (0.12 + 0.34/min, 60 s steps) = 0.80
PREMIUM_CALL = call("p1,sip-1,out,0145000000,0891234567,2026-10-03T09:15:00+02:00,61,D1")


@pytest.fixture(scope="module")
def premium_october(tmp_path_factory) -> Workspace:
    """October with PREMIUM_CALL billed once for the module: read it, or change a copy."""
    ws = Workspace(tmp_path_factory.mktemp("premium"))
    ws.cdrs("2026-10", [PREMIUM_CALL])
    ws.bill_months("2026-10")
    return ws


def two_customers(ws: Workspace) -> None:
    """C1 pays S1 (25.00, FR, 20 %), C2 pays S2 (30.00, BE, reverse charge) every month."""
    ws.add_rows(
        "subscriptions.csv", [["S2", "C2", "OPT_IVR", "30.00", "2026-01-05", "0", "", "", ""]]
    )


def numbers(ws: Workspace, month: str) -> list[tuple[str, str, str]]:
    return [
        (r["invoice_number"], r["customer_id"], r["invoice_date"])
        for r in ws.read_csv(month, "invoices.csv")
    ]


@pytest.fixture
def two(ws) -> Workspace:
    """The test's workspace with two_customers."""
    two_customers(ws)
    return ws


def without_calls(ws: Workspace, *months: str) -> None:
    """An empty CDR file for each month."""
    for month in months:
        ws.cdrs(month, [])


def billed_numbers(ws: Workspace, *months: str) -> dict[str, list[tuple[str, str, str]]]:
    """Bill `months` in turn, without calls: the invoice numbers issued in each."""
    without_calls(ws, *months)
    for month in months:
        bill_ok(ws, month)
    return {month: numbers(ws, month) for month in months}


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder under root: content hash and modification time."""
    result = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file():
            result[rel] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        else:
            result[rel] = ("dir", 0)
    return result


def visible(root: Path) -> dict[str, tuple[str, int]]:
    """The snapshot without the hidden lock file and staging folders."""
    return {k: v for k, v in snapshot(root).items() if not k.startswith(".")}


def assert_refused(ws: Workspace, month: str, exit_code: int, *messages: str) -> None:
    """Billing `month` stops with `exit_code` and says each of `messages`."""
    result = ws.bill(month)
    assert result.exit_code == exit_code, result.output
    for message in messages:
        assert message in result.output


def bill_ok(ws: Workspace, month: str) -> str:
    result = ws.bill(month)
    assert result.exit_code == 0, result.output
    return result.output


# R60 ---------------------------------------------------------------------------------------


def test_r60_numbers_continue_across_three_consecutive_months(two):
    assert billed_numbers(two, "2026-09", "2026-10", "2026-11") == {
        "2026-09": [("F2026-000001", "C1", "2026-10-01"), ("F2026-000002", "C2", "2026-10-01")],
        "2026-10": [("F2026-000003", "C1", "2026-11-01"), ("F2026-000004", "C2", "2026-11-01")],
        "2026-11": [("F2026-000005", "C1", "2026-12-01"), ("F2026-000006", "C2", "2026-12-01")],
    }


def test_r60_december_invoices_dated_2027_open_the_2027_series(two):
    assert billed_numbers(two, "2026-11", "2026-12", "2027-01") == {
        "2026-11": [("F2026-000001", "C1", "2026-12-01"), ("F2026-000002", "C2", "2026-12-01")],
        "2026-12": [("F2027-000001", "C1", "2027-01-01"), ("F2027-000002", "C2", "2027-01-01")],
        "2027-01": [("F2027-000003", "C1", "2027-02-01"), ("F2027-000004", "C2", "2027-02-01")],
    }


def test_r60_a_month_without_invoices_keeps_the_sequence(ws):
    # S1 ends: notice 2026-08-10 -> last billed 2026-09; October has no invoice at all
    path = ws.table("subscriptions.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[1][-1] = "2026-08-10"
    rows[1][5] = "0"
    write_rows(path, rows)
    assert billed_numbers(ws, "2026-09", "2026-10") == {
        "2026-09": [("F2026-000001", "C1", "2026-10-01")],
        "2026-10": [],
    }
    ws.add_rows(
        "subscriptions.csv", [["S2", "C2", "OPT_IVR", "30.00", "2026-10-05", "0", "", "", ""]]
    )
    assert billed_numbers(ws, "2026-11") == {"2026-11": [("F2026-000002", "C2", "2026-12-01")]}


def test_r60_an_older_month_cannot_be_issued_after_a_later_one(ws):
    without_calls(ws, "2026-10")
    bill_ok(ws, "2026-10")
    ws.cdrs("2026-09", [])  # September's files arrive after October was issued
    before = snapshot(ws.out)
    assert_refused(ws, "2026-09", 2, "2026-10 is already issued: 2026-09 can no longer be issued")
    assert snapshot(ws.out) == before


def test_r60_a_month_cannot_be_skipped(ws):
    without_calls(ws, "2026-09", "2026-11")
    bill_ok(ws, "2026-09")
    assert_refused(
        ws, "2026-11", 2, "the last issued month is 2026-09: bill 2026-10 before 2026-11"
    )
    assert not (ws.out / "2026-11").exists()


def test_issued_files_are_read_only(premium_october):
    files = [p for p in (premium_october.out / "2026-10").rglob("*") if p.is_file()]
    assert "invoices.csv" in {p.name for p in files}
    for p in files:
        assert p.stat().st_mode & 0o222 == 0, p.name


def test_a_changed_issued_invoice_stops_the_next_run(ws):
    without_calls(ws, "2026-09", "2026-10")
    bill_ok(ws, "2026-09")
    path = ws.out / "2026-09" / "invoices.csv"
    path.chmod(0o644)
    path.write_text(path.read_text(encoding="utf-8").replace("25.00", "24.00"), encoding="utf-8")
    assert_refused(ws, "2026-10", 1, "2026-09/invoices.csv: changed since it was issued")
    assert not (ws.out / "2026-10").exists()


def test_a_month_folder_not_made_by_the_program_is_not_overwritten(ws):
    ws.cdrs("2026-10", [])
    (ws.out / "2026-10").mkdir(parents=True)
    (ws.out / "2026-10" / "notes.txt").write_text("mine", encoding="utf-8")
    assert_refused(ws, "2026-10", 1, "is not an issued month")
    assert (ws.out / "2026-10" / "notes.txt").read_text(encoding="utf-8") == "mine"


# R64 ---------------------------------------------------------------------------------------


def test_r64_rerun_identical_exit_0_and_no_byte_changes(ws):
    two_customers(ws)
    ws.cdrs("2026-09", [])
    ws.cdrs("2026-10", [PREMIUM_CALL])
    bill_ok(ws, "2026-09")
    bill_ok(ws, "2026-10")
    before = snapshot(ws.out)
    time.sleep(0.01)
    output = bill_ok(ws, "2026-10")
    assert "2026-10: already issued, identical" in output
    assert snapshot(ws.out) == before
    # an earlier month too, while a later one is issued
    assert "2026-09: already issued, identical" in bill_ok(ws, "2026-09")
    assert snapshot(ws.out) == before


def test_r64_rerun_after_a_cdr_file_was_added_reports_the_new_line(premium_october, tmp_path):
    ws = premium_october.copy(tmp_path / "ws")
    before = snapshot(ws.out)
    late = call("p2,sip-1,out,0145000000,+44 7911 123456,2026-10-05T09:15:00+02:00,30,D1")
    ws.cdrs("2026-10", [late], name="late.csv")
    result = ws.bill("2026-10")
    assert result.exit_code == 1, result.output
    assert (
        "2026-10 is already issued and the recomputation differs; nothing was rewritten"
        in result.output
    )
    # 30 s to a UK mobile, min 60 s at 0.1800 (tariff of 2026-10-01) -> 0.18
    assert "customer C1: invoice F2026-000001: total_ht '25.80' -> '25.98'" in result.output
    assert (
        "customer C1: new line usage sip-1 INTL_GB_MOBILE OUT_OF_PLAN: amount_ht 0.18"
        in result.output
    )
    assert "rated_calls.parquet: 1 rated call(s) issued, 2 recomputed" in result.output
    assert "new cdr_id: p2" in result.output
    assert snapshot(ws.out) == before


def test_r64_rerun_after_a_rate_was_edited_reports_the_changed_line(premium_october, tmp_path):
    ws = premium_october.copy(tmp_path / "ws")
    before = snapshot(ws.out)
    # 61 s at FR_PREMIUM (0.12 + 0.34/min, 60 s steps) = 0.80; edited to 0.40/min -> 0.92
    path = ws.table("tariffs.csv", "rates")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "FR_PREMIUM,2025-01-01,0.3400", "FR_PREMIUM,2025-01-01,0.4000"
        ),
        encoding="utf-8",
    )
    result = ws.bill("2026-10")
    assert result.exit_code == 1, result.output
    line = next(ln for ln in result.output.splitlines() if "line F2026-000001/2" in ln)
    assert line.startswith("customer C1: line F2026-000001/2 usage sip-1 FR_PREMIUM OUT_OF_PLAN: ")
    # R63: one lot at its amount; the description states the per-minute price that changed
    assert "0,3400 EUR/min + 0,1200 EUR par appel' -> " in line
    assert line.endswith("unit_price '0.80' -> '0.92', amount_ht '0.80' -> '0.92'")
    assert "customer C1: invoice F2026-000001: total_ht '25.80' -> '25.92'" in result.output
    assert snapshot(ws.out) == before


def test_r64_rerun_after_a_contract_change_reports_the_customer(ws):
    ws.cdrs("2026-10", [])
    bill_ok(ws, "2026-10")
    two_customers(ws)
    result = ws.bill("2026-10")
    assert result.exit_code == 1
    assert (
        "customer C2: no invoice was issued, the recomputation gives one (total_ht 30.00)"
        in result.output
    )
    assert "customer C2: new line subscription S2: amount_ht 30.00" in result.output


# Killed runs and concurrent runs -----------------------------------------------------------


@pytest.fixture(autouse=True)
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The runs' scratch folders (BILLING_TEMP_DIR) of this module's tests: a killed run's is
    left in the test's folder, not in the system's temporary folder."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setenv("BILLING_TEMP_DIR", str(folder))
    return folder


# A real `billing` process killed at a step: seconds each (Python start, imports, a bill).
SUBPROCESS = pytest.mark.slow


def start_bill(ws: Workspace, month: str, pause_at: str) -> subprocess.Popen:
    env = dict(os.environ, **{PAUSE_ENV: pause_at})
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *ws.args("bill", month)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_paused(proc: subprocess.Popen, step: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            text = proc.stderr.readline()
            seen += text
            if text.strip() == f"paused at {step}":
                return
            if text == "" and proc.poll() is not None:
                break
    proc.kill()
    raise AssertionError(f"the run did not pause at {step}: {seen}")


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()


def fixture_with_september(ws: Workspace) -> None:
    two_customers(ws)
    ws.cdrs("2026-09", [])
    ws.cdrs("2026-10", [PREMIUM_CALL])
    bill_ok(ws, "2026-09")


@SUBPROCESS
@pytest.mark.parametrize("step", ["locked", "rated", "staging", "staged"])
def test_killed_run_leaves_out_as_before_and_the_next_run_issues_the_same_numbers(
    tmp_path, step, scratch
):
    # reference: the same months billed without interruption
    ref = Workspace(tmp_path / "ref")
    fixture_with_september(ref)
    bill_ok(ref, "2026-10")

    ws = Workspace(tmp_path / "killed")
    fixture_with_september(ws)
    before = visible(ws.out)
    proc = start_bill(ws, "2026-10", step)
    wait_paused(proc, step)
    kill(proc)
    assert visible(ws.out) == before
    assert not (ws.out / "2026-10").exists()
    left = [p for p in scratch.iterdir() if p.name.startswith("billing-")]
    # the killed run's scratch folder (created after the lock is taken) is left behind...
    assert len(left) == (0 if step == "locked" else 1)

    bill_ok(ws, "2026-10")
    # ...and removed by the next run on the same OUT, which also removes its own
    assert [p for p in scratch.iterdir() if p.name.startswith("billing-")] == []
    assert sorted(p.name for p in ws.out.iterdir()) == [
        ".lock",
        ".verified.json",
        "2026-09",
        "2026-10",
        "receivables",  # the journal the issued documents entered (R83)
    ]
    assert (
        numbers(ws, "2026-10")
        == numbers(ref, "2026-10")
        == [
            ("F2026-000003", "C1", "2026-11-01"),
            ("F2026-000004", "C2", "2026-11-01"),
        ]
    )
    for name in ("invoices.csv", "invoice_lines.csv", "rated_calls.parquet"):
        assert (ws.out / "2026-10" / name).read_bytes() == (ref.out / "2026-10" / name).read_bytes()


@SUBPROCESS
def test_run_killed_after_publishing_has_issued_the_month(ws):
    fixture_with_september(ws)
    proc = start_bill(ws, "2026-10", "published")
    wait_paused(proc, "published")
    kill(proc)
    assert numbers(ws, "2026-10") == [
        ("F2026-000003", "C1", "2026-11-01"),
        ("F2026-000004", "C2", "2026-11-01"),
    ]
    before = snapshot(ws.out)
    assert "already issued, identical" in bill_ok(ws, "2026-10")
    assert snapshot(ws.out) == before


@SUBPROCESS
def test_a_second_run_on_the_same_out_refuses_while_the_first_runs(ws):
    fixture_with_september(ws)
    ws.cdrs("2026-11", [])
    proc = start_bill(ws, "2026-10", "rated")
    try:
        wait_paused(proc, "rated")
        for month in ("2026-10", "2026-11", "2026-09"):
            result = ws.bill(month)
            assert result.exit_code == 2
            assert "another billing run is using" in result.output
            assert "nothing was done" in result.output
    finally:
        kill(proc)
    bill_ok(ws, "2026-10")
    assert numbers(ws, "2026-10")[0] == ("F2026-000003", "C1", "2026-11-01")


@SUBPROCESS
def test_killed_rerun_of_an_issued_month_changes_nothing(ws):
    fixture_with_september(ws)
    bill_ok(ws, "2026-10")
    before = visible(ws.out)
    proc = start_bill(ws, "2026-10", "staging")
    wait_paused(proc, "staging")
    kill(proc)
    assert visible(ws.out) == before
    assert "already issued, identical" in bill_ok(ws, "2026-10")
    assert visible(ws.out) == before
    assert [p.name for p in ws.out.iterdir() if p.name.startswith(".staging-")] == []


def test_out_that_is_a_file_is_a_usage_error(ws):
    ws.cdrs("2026-10", [])
    ws.out.write_text("not a folder", encoding="utf-8")
    assert_refused(ws, "2026-10", 2, "cannot use", "as the output folder")
    assert ws.out.read_text(encoding="utf-8") == "not a folder"


def test_r64_rated_calls_compared_by_content_not_bytes(tmp_path):
    import duckdb

    from pipeline.ledger.compare import rated_calls_differences

    con = duckdb.connect(":memory:")
    rows = "select * from (values ('c1', 0.0203::decimal(18,4)), ('c2', 0.8000)) t(cdr_id, amount)"
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    con.execute(f"copy ({rows}) to '{a}' (format parquet, compression zstd)")
    con.execute(f"copy ({rows}) to '{b}' (format parquet, compression snappy)")
    con.execute(f"copy ({rows} union all select 'c3', 0.0100) to '{c}' (format parquet)")
    assert a.read_bytes() != b.read_bytes()
    assert rated_calls_differences(a, b) == []
    # the same rows in another order: the file is written in the order of DuckDB's parallel
    # joins (issue 18, decision 1), so an order is never a difference
    d = tmp_path / "d.parquet"
    con.execute(f"copy ({rows} order by cdr_id desc) to '{d}' (format parquet, compression zstd)")
    assert a.read_bytes() != d.read_bytes()
    assert rated_calls_differences(a, d) == []
    assert rated_calls_differences(a, c) == [
        "rated_calls.parquet: 2 rated call(s) issued, 3 recomputed, 1 recomputed row(s) not as "
        "issued (new cdr_id: c3)"
    ]


def test_r64_month_issued_with_the_wider_rated_calls_compares_the_contract_columns(tmp_path):
    # months issued before issue 18's decision 2 (2026-12-03) kept 11 more facts per call;
    # today's re-run writes the contract's columns only: the audit compares those, and names
    # a call whose contract columns changed
    import duckdb

    from pipeline.core.data_contract import RATED_CALLS, RATED_CALLS_WITH_RATING_FACTS
    from pipeline.ledger.compare import _rated_call_changes, rated_calls_differences

    con = duckdb.connect(":memory:")
    con.execute(
        "create table narrow as select 'c' || i as cdr_id, 'C1' as customer_id, 'sip-1' as "
        "sip_account, 'out' as direction, '33145678910' as callee_e164, 'FR_FIXED' as zone, "
        "'NO_PLAN' as reason, 61 as duration_s, 61 as rated_seconds, 61 as billable_seconds, "
        "0.0203::decimal(18,4) as amount, timestamptz '2026-10-03 10:00:00+02' as start_time, "
        "'331' as prefix, date '2025-01-01' as tariff_valid_from, 'cdrs/2026-10/a.csv' as "
        "source_file, i as row_number from range(1, 3) t(i)"
    )
    extra = (
        "'0145678910' as callee, 'D1' as device_id, date '2026-10-03' as call_date, "
        "0.0200::decimal(18,4) as price_per_min_eur, 0.0000::decimal(18,4) as "
        "connection_fee_eur, 1 as min_billable_s, 1 as increment_s, null::bigint as "
        "forwarding_consumed_before_s, 0 as forwarded_over_s, null::varchar as "
        "plan_subscription_id, true as national_plan_zone"
    )
    new, old, changed = (tmp_path / f"{n}.parquet" for n in ("new", "old", "changed"))
    con.execute(f"copy narrow to '{new}' (format parquet)")
    con.execute(f"copy (select *, {extra} from narrow) to '{old}' (format parquet)")
    con.execute(
        f"copy (select * replace (case when cdr_id = 'c2' then 0.0204::decimal(18,4) else "
        f"amount end as amount), {extra} from narrow) to '{changed}' (format parquet)"
    )
    described = [r[0] for r in con.execute(f"describe from '{old}'").fetchall()]
    assert described == list(RATED_CALLS_WITH_RATING_FACTS)
    assert [r[0] for r in con.execute(f"describe from '{new}'").fetchall()] == list(
        RATED_CALLS.names
    )
    assert rated_calls_differences(old, new) == []
    assert _rated_call_changes(old, new) == []
    assert rated_calls_differences(changed, new) == [
        "rated_calls.parquet: 2 rated call(s) issued, 2 recomputed, 1 recomputed row(s) not as "
        "issued"
    ]
    assert _rated_call_changes(changed, new) == [
        "rated_calls.parquet: cdr_id c2: amount 0.0204 -> 0.0203"
    ]
    # any other set of columns is not compared: it is a difference
    assert rated_calls_differences(new, old)[0].startswith("rated_calls.parquet: columns issued")
