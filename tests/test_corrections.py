"""Corrections of an issued month (R65-R68): supplementary invoices and credit notes.

The workspace of tests/conftest.py: customer C1 (France, VAT 20 %) holds plan S1 (25.00 a
month, national zones and INTL_BE_FIXED included) on sip-1 with supplied device D1; C2
(Belgium, VAT number: reverse charge) has sip-2. Tariffs: INTL_GB_MOBILE 0.1800/min from
2026-10-01 (min 60 s, increment 1 s), INTL_GB_FIXED 0.0500/min (min 30, increment 30),
FR_FIXED 0.0200/min (min 60, increment 1).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from tests.conftest import CDR_HEADER, Workspace, write_rows

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")

OCT = "2026-10"
D = "2026-11-20"


def call(cdr_id: str, callee: str, seconds: int, *, sip: str = "sip-1", device: str = "D1",
         day: str = "2026-10-03", at: str = "09:15:00") -> list[str]:  # fmt: skip
    return [cdr_id, sip, "out", "0145000000", callee, f"{day}T{at}+02:00", str(seconds), device]


GB_MOBILE = "+44 7911 123456"


def correct(ws: Workspace, month: str = OCT, date: str | None = D, *extra: str):
    args = ["correct", "--month", month, "--data", str(ws.data), "--out", str(ws.out)]
    args += ["--rates", str(ws.rates), *(["--date", date] if date else []), *extra]
    return CliRunner().invoke(main, args, obj={"gates": ws.gates})


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and "corrections/" not in p.relative_to(folder).as_posix()
        and not p.relative_to(folder).as_posix().startswith(".")  # the lock, staging folders
    }


def billed(ws: Workspace, month: str, rows: list[list[str]]) -> None:
    ws.cdrs(month, rows)
    result = ws.bill(month)
    assert result.exit_code == 0, result.output


def late_file(ws: Workspace, rows: list[list[str]], month: str = OCT) -> None:
    write_rows(ws.data / "cdrs" / month / "late.csv", [CDR_HEADER, *rows])


def test_r66_late_cdr_file_is_billed_by_a_supplementary_invoice(ws):
    # October: one GB mobile call of 61 s: 0.18 x 61 / 60 = 0.1830 -> line 0.18; invoice
    # F2026-000001: 25.00 + 0.18 = 25.18 HT, VAT 5.04, TTC 30.22, dated 2026-11-01
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    month = ws.out / OCT
    before = hashes(month)
    # a late file: 120 s more -> 0.3600; the line becomes 0.1830 + 0.3600 = 0.5430 -> 0.54
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    result = correct(ws)
    assert result.exit_code == 0, result.output
    folder = month / "corrections" / "01"
    (invoice,) = read(folder, "invoices.csv")
    assert (invoice["invoice_number"], invoice["customer_id"]) == ("F2026-000002", "C1")
    assert (invoice["invoice_date"], invoice["due_date"]) == ("2026-11-20", "2026-12-20")
    # R2 on its own total: 0.36 x 20 % = 0.072 -> 0.07
    assert (invoice["total_ht"], invoice["total_vat"], invoice["total_ttc"]) == (
        "0.36",
        "0.07",
        "0.43",
    )
    assert (invoice["original_invoice_number"], invoice["original_invoice_date"]) == (
        "F2026-000001",
        "2026-11-01",
    )
    assert invoice["corrected_month"] == OCT and invoice["vat_rate"] == "0.20"
    (line,) = read(folder, "invoice_lines.csv")
    assert (line["kind"], line["reference"], line["zone"], line["reason"]) == (
        "usage",
        "sip-1",
        "INTL_GB_MOBILE",
        "OUT_OF_PLAN",
    )
    assert (line["issued_amount_ht"], line["recomputed_amount_ht"], line["amount_ht"]) == (
        "0.18",
        "0.54",
        "0.36",
    )
    assert (line["period_start"], line["period_end"]) == ("2026-10-01", "2026-10-31")
    assert read(folder, "credit_notes.csv") == []
    assert hashes(month) == before  # the issued month's own files never change (R68)


def test_r66_removed_call_is_refunded_by_a_credit_note(ws):
    # October: 61 s (0.1830) and 120 s (0.3600): line 0.54 on F2026-000001
    billed(ws, OCT, [call("c1", GB_MOBILE, 61), call("c2", GB_MOBILE, 120, at="10:00:00")])
    ws.cdrs(OCT, [call("c1", GB_MOBILE, 61)])  # c2 was a test call: removed from the file
    result = correct(ws)
    assert result.exit_code == 0, result.output
    folder = ws.out / OCT / "corrections" / "01"
    assert read(folder, "invoices.csv") == []
    (note,) = read(folder, "credit_notes.csv")
    assert (note["credit_note_number"], note["credit_note_date"]) == ("AV2026-000001", D)
    # the difference negated: 0.36 HT, VAT 0.07, TTC 0.43, on the October invoice
    assert (note["amount_ht"], note["amount_vat"], note["amount_ttc"]) == ("0.36", "0.07", "0.43")
    assert (note["original_invoice_number"], note["corrected_month"]) == ("F2026-000001", OCT)
    assert note["availability_pct"] == "" and note["credit_pct"] == ""  # not an SLA credit
    (line,) = read(folder, "invoice_lines.csv")
    assert line["invoice_number"] == "AV2026-000001"
    assert (line["amount_ht"], line["document_amount_ht"]) == ("-0.36", "0.36")
    # R63: the credit note shows 1 lot x 0.36; the line says what changed in October
    shown = "calls billable_seconds quantity unit unit_price".split()
    assert [line[c] for c in shown] == ["-1", "-120", "1", "LS", "0.36"]
    assert line["description"] == (
        "Correction des appels vers Royaume-Uni mobile hors forfait d'octobre 2026 : "
        "1 appel retiré, -2 min 00 s facturées, -0,36 EUR"
    )


def test_r66_late_fair_use_breach_turns_included_calls_into_charged_ones(ws):
    # October: 149 distinct French fixed numbers (included) and one GB fixed call of 60 s out
    # of plan, the 150th number (not a breach, R20): 0.05 x 60 / 60 = 0.0500 -> line 0.05
    rows = [
        call(f"n{i:03d}", f"01 45 00 {i // 100:02d} {i % 100:02d}", 60, at=f"1{i // 60 % 10}:{i % 60:02d}:00")
        for i in range(149)
    ]  # fmt: skip
    rows.append(call("gb", "+44 20 7946 0000", 60, day="2026-10-04"))
    billed(ws, OCT, rows)
    october = read(ws.out / OCT, "invoice_lines.csv")
    assert [(ln["zone"], ln["reason"], ln["amount_ht"]) for ln in october if ln["kind"] == "usage"] == [
        ("INTL_GB_FIXED", "OUT_OF_PLAN", "0.05")
    ]  # fmt: skip
    # a late call to a 151st number: the plan no longer applies to any call of sip-1 (R20):
    # 150 FR fixed calls x 0.0200 = 3.00 and the GB call is now charged as a breach too
    late_file(ws, [call("n150", "01 45 00 99 99", 60, day="2026-10-05")])
    result = correct(ws)
    assert result.exit_code == 0, result.output
    folder = ws.out / OCT / "corrections" / "01"
    lines = {(ln["zone"], ln["reason"]): ln for ln in read(folder, "invoice_lines.csv")}
    assert {k: v["amount_ht"] for k, v in lines.items()} == {
        ("FR_FIXED", "FAIR_USE_DISTINCT_NUMBERS"): "3.00",
        ("INTL_GB_FIXED", "FAIR_USE_DISTINCT_NUMBERS"): "0.05",
        ("INTL_GB_FIXED", "OUT_OF_PLAN"): "-0.05",  # a negative line on the invoice
    }
    # R63: each line says what changed, one lot at its difference (-1 x 0.05: BR-27)
    shown = "calls billable_seconds quantity unit unit_price description".split()
    assert [tuple(ln[c] for c in shown) for ln in lines.values()] == [
        ("150", "9000", "1", "LS", "3.00", "Correction des appels vers France fixe forfait "
         "suspendu pour usage abusif (plus de 150 numéros distincts) d'octobre 2026 : 150 appels "
         "ajoutés, +2 h 30 min 00 s facturées, +3,00 EUR"),
        ("1", "60", "1", "LS", "0.05", "Correction des appels vers Royaume-Uni fixe forfait "
         "suspendu pour usage abusif (plus de 150 numéros distincts) d'octobre 2026 : 1 appel "
         "ajouté, +1 min 00 s facturées, +0,05 EUR"),
        ("-1", "-60", "-1", "LS", "0.05", "Correction des appels vers Royaume-Uni fixe hors "
         "forfait d'octobre 2026 : 1 appel retiré, -1 min 00 s facturées, -0,05 EUR"),
    ]  # fmt: skip
    (invoice,) = read(folder, "invoices.csv")  # one supplementary invoice, net 3.00
    assert (invoice["total_ht"], invoice["total_vat"], invoice["total_ttc"]) == (
        "3.00",
        "0.60",
        "3.60",
    )


def test_r66_reverse_charge_customer_keeps_its_vat_treatment(ws):
    # C2 (Belgium, VAT number) calls the UK from sip-2 with no plan: NO_PLAN at 0.1800
    billed(ws, OCT, [call("b1", GB_MOBILE, 60, sip="sip-2", device="")])
    (october,) = [i for i in read(ws.out / OCT, "invoices.csv") if i["customer_id"] == "C2"]
    assert (october["vat_rate"], october["total_ht"]) == ("0.00", "0.18")
    late_file(ws, [call("b2", GB_MOBILE, 600, sip="sip-2", device="", at="11:00:00")])
    result = correct(ws)
    assert result.exit_code == 0, result.output
    (invoice,) = read(ws.out / OCT / "corrections" / "01", "invoices.csv")
    # 0.18 x 600 / 60 = 1.80, no French VAT, the reverse-charge mention of the invoice (R62)
    assert (invoice["customer_id"], invoice["total_ht"], invoice["total_vat"]) == (
        "C2",
        "1.80",
        "0.00",
    )
    assert invoice["vat_rate"] == "0.00"
    assert invoice["vat_mention"] == october["vat_mention"]
    assert invoice["vat_mention"].startswith("Autoliquidation")


def test_r65_second_correction_compares_with_the_first(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    assert correct(ws).exit_code == 0  # F2026-000002: +0.36
    # the late file is found to hold a test call after all: back to the invoice's 0.18
    (ws.data / "cdrs" / OCT / "late.csv").unlink()
    result = correct(ws, date="2026-11-25")
    assert result.exit_code == 0, result.output
    second = ws.out / OCT / "corrections" / "02"
    (note,) = read(second, "credit_notes.csv")
    # issued for October: 0.18 (invoice) + 0.36 (correction 01) = 0.54; recomputed 0.18
    (line,) = read(second, "invoice_lines.csv")
    assert (line["issued_amount_ht"], line["recomputed_amount_ht"], line["amount_ht"]) == (
        "0.54",
        "0.18",
        "-0.36",
    )
    assert (note["credit_note_number"], note["amount_ht"], note["amount_ttc"]) == (
        "AV2026-000001",
        "0.36",
        "0.43",
    )
    # a credit note references the invoice of the month (R66)
    assert note["original_invoice_number"] == "F2026-000001"
    again = correct(ws, date="2026-11-26")
    assert again.exit_code == 0 and "nothing to correct" in again.output
    assert not (ws.out / OCT / "corrections" / "03").exists()


def test_r66_differences_adding_up_to_zero_issue_no_document(ws):
    # the same call, 61 s to the UK: OUT_OF_PLAN from D1, THIRD_PARTY_DEVICE from D9 (R24)
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    ws.cdrs(OCT, [call("c1", GB_MOBILE, 61, device="D9")])  # the device was misrecorded
    result = correct(ws)
    assert result.exit_code == 0, result.output
    assert "OUT_OF_PLAN: issued 0.18, recomputed 0.00, difference -0.18" in result.output
    assert "THIRD_PARTY_DEVICE: issued 0.00, recomputed 0.18, difference +0.18" in result.output
    assert "no document" in result.output
    assert not (ws.out / OCT / "corrections").exists()


def test_r67_numbers_continue_into_the_next_monthly_run(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    assert correct(ws).exit_code == 0  # F2026-000002, FEC entry VE2026-000002
    billed(ws, "2026-11", [])
    (november,) = read(ws.out / "2026-11", "invoices.csv")
    assert november["invoice_number"] == "F2026-000003"
    fec = (ws.out / "2026-11" / "732829320FEC20261231.txt").read_text(encoding="iso-8859-15")
    assert "VE2026-000003" in fec and "VE2026-000002" not in fec
    corrected = (ws.out / OCT / "corrections" / "01" / "732829320FEC20261231.txt").read_text(
        encoding="iso-8859-15"
    )
    records = [r.split("|") for r in corrected.splitlines()[1:]]
    assert {r[2] for r in records} == {"VE2026-000002"}
    # balanced: 0.43 debit on 411, 0.36 + 0.07 credit (R88: services' VAT due on receipt,
    # 445740)
    assert [(r[4], r[11], r[12]) for r in records] == [
        ("411000", "0,43", "0,00"),
        ("706000", "0,00", "0,36"),
        ("445740", "0,00", "0,07"),
    ]


def test_r67_correction_across_a_year_end_continues_the_new_year_series(ws):
    # December 2026 is invoiced on 2027-01-01: F2027-000001 opens the 2027 series (R60)
    billed(ws, "2026-12", [call("d1", GB_MOBILE, 61, day="2026-12-03")])
    assert read(ws.out / "2026-12", "invoices.csv")[0]["invoice_number"] == "F2027-000001"
    late_file(ws, [call("d2", GB_MOBILE, 120, day="2026-12-04")], month="2026-12")
    result = correct(ws, month="2026-12", date="2027-01-20")
    assert result.exit_code == 0, result.output
    (invoice,) = read(ws.out / "2026-12" / "corrections" / "01", "invoices.csv")
    assert (invoice["invoice_number"], invoice["invoice_date"]) == ("F2027-000002", "2027-01-20")
    assert invoice["original_invoice_number"] == "F2027-000001"


def test_r67_a_date_before_the_latest_document_stops_with_exit_2(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    result = correct(ws, date="2026-10-31")  # the October invoice is dated 2026-11-01
    assert result.exit_code == 2
    assert "before the latest invoice already issued (2026-11-01)" in result.output
    assert not (ws.out / OCT / "corrections").exists()
    assert correct(ws, date="2026-13-01").exit_code == 2  # not a date


def test_r68_only_an_issued_month_can_be_corrected(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    result = correct(ws, month="2026-11")
    assert result.exit_code == 2
    assert "2026-11 is not an issued month" in result.output


def test_r68_unchanged_inputs_nothing_to_correct_and_no_folder(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    result = correct(ws)
    assert result.exit_code == 0
    assert "nothing to correct" in result.output
    assert not (ws.out / OCT / "corrections").exists()


def test_r68_dry_run_prints_the_changes_and_writes_nothing(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    before = {p: p.stat().st_mtime_ns for p in ws.out.rglob("*")}
    result = correct(ws, OCT, D, "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "customer C1: usage sip-1 INTL_GB_MOBILE OUT_OF_PLAN: issued 0.18, recomputed 0.54, "
        "difference +0.36"
    ) in result.output
    assert "supplementary invoice F2026-000002: 0.36 HT, 0.07 VAT, 0.43 TTC" in result.output
    assert "dry run: nothing was written" in result.output
    assert {p: p.stat().st_mtime_ns for p in ws.out.rglob("*")} == before


def test_r68_reference_data_failing_r42_stops_with_exit_2(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    ws.add_rows(
        "subscriptions.csv",
        [["S9", "C9", "PLAN_UNLIMITED", "25.00", "2026-01-01", "0", "", "", ""]],
    )
    result = correct(ws)
    assert result.exit_code == 2
    assert "subscriptions.csv" in result.output and "'C9' is not a known customer" in result.output


def test_r68_audit_re_runs_the_month_and_each_correction(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    assert correct(ws).exit_code == 0
    audit = CliRunner().invoke(
        main,
        ["audit", "--month", OCT, "--data", str(ws.data), "--out", str(ws.out)]
        + ["--rates", str(ws.rates)],
        obj={"gates": ws.gates},
    )
    assert audit.exit_code == 0, audit.output
    assert audit.output.startswith(f"{OCT}: identical")
    # an issued correction changed after the fact is reported under its folder
    path = ws.out / OCT / "corrections" / "01" / "invoices.csv"
    path.chmod(0o644)
    path.write_text(path.read_text(encoding="utf-8").replace("0.36,0.07,0.43", "0.46,0.07,0.53"))
    audit = CliRunner().invoke(
        main,
        ["audit", "--month", OCT, "--data", str(ws.data), "--out", str(ws.out)]
        + ["--rates", str(ws.rates)],
        obj={"gates": ws.gates},
    )
    assert audit.exit_code == 1
    assert "corrections/01: invoices.csv: the issued file no longer matches" in audit.output


def test_r65_bill_warns_when_an_issued_month_s_cdr_files_changed(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    ws.cdrs("2026-11", [])
    result = ws.bill("2026-11")
    assert result.exit_code == 0, result.output
    assert (
        "warning: 2026-10 was issued from other inputs: 1 CDR file(s) added (late.csv)"
        in result.output
    )
    assert "make correct MONTH=2026-10" in result.output


def test_r65_bill_warns_when_a_tariff_row_valid_in_an_issued_month_is_added(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    ws.add_rows(
        "tariffs.csv",
        [["INTL_GB_MOBILE", "2026-10-15", "0.2000", "0.0000", "60", "1", "false"]],
        folder="rates",
    )
    ws.cdrs("2026-11", [])
    result = ws.bill("2026-11")
    assert result.exit_code == 0, result.output
    assert "1 tariff row(s) valid in the month added (INTL_GB_MOBILE from 2026-10-15)" in (
        result.output
    )


def test_r65_explain_names_the_correction_that_billed_a_late_call(ws):
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    assert correct(ws).exit_code == 0
    result = CliRunner().invoke(
        main,
        ["explain", "--month", OCT, "--cdr", "c2", "--data", str(ws.data)]
        + ["--out", str(ws.out), "--rates", str(ws.rates)],
    )
    assert result.exit_code == 0, result.output
    assert "reason: OUT_OF_PLAN" in result.output
    assert (
        "correction 01 of 2026-10 (dated 2026-11-20): added: not in the month's files when it "
        "was issued, billed by F2026-000002"
    ) in result.output


@pytest.mark.slow
def test_r68_a_killed_correction_leaves_out_as_before_and_the_next_issues_the_same(ws):
    import os
    import signal
    import subprocess
    import sys
    import time

    from pipeline.core.progress import PAUSE_ENV

    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    before = hashes(ws.out)
    for step in ("rated", "staged"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "correct", "--month", OCT, "--date", D]
            + ["--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates)],
            env=dict(os.environ, **{PAUSE_ENV: step}),
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 60
        line = ""
        while time.time() < deadline and f"paused at {step}" not in line:
            line = proc.stderr.readline()
        assert f"paused at {step}" in line
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert hashes(ws.out) == before
        assert not (ws.out / OCT / "corrections" / "01").exists()
    assert correct(ws).exit_code == 0
    (invoice,) = read(ws.out / OCT / "corrections" / "01", "invoices.csv")
    assert invoice["invoice_number"] == "F2026-000002"


def _sample_story(sample_copy, tmp_path):
    """The sample's October issued (sample_copy), its data with the late file of
    data_samples/late/ copied into cdrs/2026-10/, corrected on 2026-11-20."""
    import shutil

    from tests.conftest import SAMPLE_DATA, SAMPLE_RATES, cli

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, data)
    late = data / "late" / "cdrs" / OCT / "cdr_2026-10_05_mediation-replay.csv"
    shutil.copy(late, data / "cdrs" / OCT / late.name)
    october = hashes(sample_copy / OCT)
    args = ["--data", str(data), "--out", str(sample_copy), "--rates", str(SAMPLE_RATES)]
    result = cli("correct", "--month", OCT, "--date", D, *args)
    assert result.exit_code == 0, result.output
    assert hashes(sample_copy / OCT) == october  # the month's own files never change
    return data, args


def test_r66_sample_story_a_replayed_mediation_file_for_c004(sample_copy, tmp_path):
    """data_samples/README.md, "Correction": the late file copied into cdrs/2026-10/ after
    October was issued gives C004 one supplementary invoice."""
    _sample_story(sample_copy, tmp_path)
    folder = sample_copy / OCT / "corrections" / "01"
    (invoice,) = read(folder, "invoices.csv")
    # 300 s to a UK mobile at 0.1200/min = 0.60 (a new NO_PLAN line: C004 is metered) and
    # 120 s to a French mobile at 0.0450/min = 0.0900: FR_MOBILE of sip-C004-02 3.33 -> 3.42;
    # 0.69 HT, VAT 0.138 -> 0.14, TTC 0.83, completing C004's October invoice
    assert (invoice["invoice_number"], invoice["customer_id"]) == ("F2026-000078", "C004")
    assert (invoice["total_ht"], invoice["total_vat"], invoice["total_ttc"]) == (
        "0.69",
        "0.14",
        "0.83",
    )
    assert invoice["original_invoice_number"] == "F2026-000042"
    lines = {(ln["zone"], ln["reason"]): ln for ln in read(folder, "invoice_lines.csv")}
    assert {k: (v["issued_amount_ht"], v["recomputed_amount_ht"]) for k, v in lines.items()} == {
        ("FR_MOBILE", "NO_PLAN"): ("3.33", "3.42"),
        ("INTL_GB_MOBILE", "NO_PLAN"): ("0.00", "0.60"),
    }
    # R63: each line states what changed, one lot at its difference
    shown = "calls billable_seconds quantity unit unit_price description".split()
    assert {k: tuple(v[c] for c in shown) for k, v in lines.items()} == {
        ("FR_MOBILE", "NO_PLAN"): ("1", "120", "1", "LS", "0.09", "Correction des appels vers "
            "France - mobile hors forfait illimité d'octobre 2026 : 1 appel ajouté, +2 min 00 s "
            "facturées, +0,09 EUR"),
        ("INTL_GB_MOBILE", "NO_PLAN"): ("1", "300", "1", "LS", "0.60", "Correction des appels "
            "vers Royaume-Uni - mobile hors forfait illimité d'octobre 2026 : 1 appel ajouté, "
            "+5 min 00 s facturées, +0,60 EUR"),
    }  # fmt: skip
    assert read(folder, "credit_notes.csv") == []
    assert (folder / "documents" / "F2026-000078.pdf").exists()  # an e-invoice too (R70)


@pytest.mark.slow
def test_r68_sample_story_audit_is_identical_and_november_continues_the_numbers(
    sample_copy, tmp_path
):
    import shutil

    from tests.conftest import cli, sample_args

    # the audit re-runs October and its correction with the gates they were issued with: the
    # shared sample October went through the gates, the correction did not; October is
    # issued again here without them, as the correction is
    shutil.rmtree(sample_copy / OCT)
    assert cli(*sample_args("bill", OCT, sample_copy)).exit_code == 0
    data, args = _sample_story(sample_copy, tmp_path)
    audit = cli("audit", "--month", OCT, *args)
    assert audit.exit_code == 0, audit.output
    (data / "cdrs" / "2026-11").mkdir(exist_ok=True)  # the watch story's first days (R26)
    assert cli("bill", "--month", "2026-11", *args).exit_code == 0
    assert read(sample_copy / "2026-11", "invoices.csv")[0]["invoice_number"] == "F2026-000079"


def test_r65_explain_of_a_month_issued_with_the_wider_rated_calls_after_a_correction(ws):
    # a month issued before 2026-12-03 kept 27 columns per call, a correction issued since
    # keeps 16 (issue 18, decision 2): a call the correction did not change has no history
    # line, and the month's own facts are shown without rating it again
    import duckdb

    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    assert correct(ws).exit_code == 0
    issued = ws.out / OCT / "rated_calls.parquet"
    wide = ws.root / "wide.parquet"
    duckdb.sql(
        f"copy (select *, '0044' as callee, 'D1' as device_id, date '2026-10-03' as call_date, "
        "0.1800::decimal(18,4) as price_per_min_eur, 0.0000::decimal(18,4) as connection_fee_eur,"
        " 60 as min_billable_s, 1 as increment_s, null::bigint as forwarding_consumed_before_s, "
        "0 as forwarded_over_s, 'S1' as plan_subscription_id, false as national_plan_zone "
        f"from '{issued}') to '{wide}' (format parquet)"
    )
    issued.chmod(0o644)
    wide.replace(issued)
    args = ["--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates)]
    result = CliRunner().invoke(main, ["explain", "--month", OCT, "--cdr", "c1", *args])
    assert result.exit_code == 0, result.output
    assert "correction 01" not in result.output
    assert "number: '0044' -> " in result.output  # the wide file's own facts, not recomputed
    result = CliRunner().invoke(main, ["explain", "--month", OCT, "--cdr", "c2", *args])
    assert result.exit_code == 0, result.output
    assert "correction 01 of 2026-10 (dated 2026-11-20): added" in result.output


def test_r81_r66_a_debited_customers_supplementary_invoice_names_its_mandate_and_debit_date(ws):
    # C1 pays by SEPA direct debit (mandate RUM-C1-001): the late call's supplementary
    # invoice F2026-000002 of 2026-11-20 (0.36 HT, 0.43 TTC: 120 s x 0.18 / 60 = 0.3600)
    # carries the R81 columns; its debit date is its due date 2026-12-20 (20-11 + 14 days of
    # pre-notification = 12-04, earlier). Then the journal has it for collect.
    from tests.test_receivables import _debited

    _debited(ws)
    billed(ws, OCT, [call("c1", GB_MOBILE, 61)])
    late_file(ws, [call("c2", GB_MOBILE, 120, at="10:00:00")])
    assert correct(ws).exit_code == 0
    (invoice,) = read(ws.out / OCT / "corrections" / "01", "invoices.csv")
    assert (invoice["invoice_number"], invoice["total_ttc"]) == ("F2026-000002", "0.43")
    assert (invoice["payment_method"], invoice["mandate_id"], invoice["debit_date"]) == (
        "sepa_debit",
        "RUM-C1-001",
        "2026-12-20",
    )
    assert invoice["creditor_id"] and invoice["debited_iban"]
