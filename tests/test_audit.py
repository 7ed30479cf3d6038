"""Issue 6: `billing audit --month M` re-runs an issued month from the inputs archived with it,
with today's code, and compares every issued file; it never writes under OUT."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pipeline.exports import workbook as exports
from pipeline.ledger.archive import blob_path
from tests.conftest import Workspace
from tests.scenarios import calls

SEPTEMBER = calls(
    "s1,sip-1,out,0145000000,+44 7911 123456,2026-09-03T09:15:00+02:00,61,D1",
    "s2,sip-2,out,0145000000,0612345678,2026-09-04T10:17:00+02:00,125,",
)
OCTOBER = calls(
    "o1,sip-1,out,0145000000,+44 7911 123456,2026-10-03T09:15:00+02:00,30,D1",
    # the same id as a September call: a duplicate of an issued month (R41)
    "s2,sip-2,out,0145000000,0612345678,2026-10-04T10:17:00+02:00,125,",
)

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")


def two_months(ws: Workspace) -> None:
    ws.cdrs("2026-09", SEPTEMBER)
    ws.cdrs("2026-10", OCTOBER)
    ws.bill_months("2026-09", "2026-10")


@pytest.fixture(scope="module")
def two_billed(tmp_path_factory) -> Workspace:
    """two_months billed once for the module: each test audits its own copy (billed)."""
    ws = Workspace(tmp_path_factory.mktemp("two_months"))
    two_months(ws)
    return ws


@pytest.fixture
def billed(two_billed, tmp_path) -> Workspace:
    """A copy of the two billed months (data, rates and OUT) that the test may change."""
    return two_billed.copy(tmp_path / "billed")


def audit(ws: Workspace, month: str, data: Path | None = None):
    return ws.run("audit", month, data=data)


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(root).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(root.rglob("*"))
        if p.is_file()
    } | {p.relative_to(root).as_posix(): ("dir", 0) for p in root.rglob("*") if p.is_dir()}


def manifest(ws: Workspace, month: str) -> dict:
    return json.loads((ws.out / month / "manifest.json").read_text(encoding="utf-8"))


def archived(ws: Workspace, month: str, path: str) -> Path:
    item = next(i for i in manifest(ws, month)["inputs"] if i["path"] == path)
    return blob_path(ws.out / month, item["sha256"])


def test_audit_of_an_untouched_month_is_identical_and_writes_nothing(billed):
    ws = billed
    before = snapshot(ws.out)
    result = audit(ws, "2026-09", data=ws.root / "gone")  # DATA is not needed: the archive is
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2026-09: identical (15 archived input(s) re-run with ")
    assert snapshot(ws.out) == before
    # October saw September's ids as issued: the audit rebuilds that view too
    assert audit(ws, "2026-10").exit_code == 0


def test_every_input_is_archived_with_its_month(billed):
    ws = billed
    m = manifest(ws, "2026-09")
    paths = [(i["folder"], i["path"]) for i in m["inputs"]]
    assert ("data", "cdrs/2026-09/cdrs.csv") in paths
    assert ("rates", "tariffs.csv") in paths
    assert ("data", "provider.toml") in paths
    for item in m["inputs"]:
        blob = blob_path(ws.out / "2026-09", item["sha256"])
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == item["sha256"]
        source = (ws.data if item["folder"] == "data" else ws.rates) / item["path"]
        assert blob.read_bytes() == source.read_bytes()
    assert m["code_version"].startswith(("git:", "package:"))
    assert m["row_counts"]["invoices"] == 2
    assert m["reconciliation"] == [
        {
            "source_file": "cdrs/2026-09/cdrs.csv",
            "rows_read": 2,
            "rated": 2,
            "duplicates": 0,
            "rejected": 0,
            "balanced": True,
        }
    ]
    for name in (
        "invoices.csv",
        "rated_calls.parquet",
        "billing_2026-09.xlsx",
        "732829320FEC20261231.txt",  # the fiscal year closing 2026-12-31
        "itemised/C1.csv",
        "documents/F2026-000001.pdf",
    ):
        assert name in m["outputs"], name


def test_an_edited_archived_cdr_is_named_with_the_invoice_lines_that_would_change(billed):
    ws = billed
    blob = archived(ws, "2026-09", "cdrs/2026-09/cdrs.csv")
    blob.chmod(0o644)
    # s1 lasted 181 s instead of 61 s: 181 s at 0.15/min (UK mobile, tariff of 2025) = 0.4525
    blob.write_text(
        blob.read_text(encoding="utf-8").replace(
            "2026-09-03T09:15:00+02:00,61,", "2026-09-03T09:15:00+02:00,181,"
        ),
        encoding="utf-8",
    )
    before = snapshot(ws.out)
    result = audit(ws, "2026-09")
    assert result.exit_code == 1, result.output
    out = result.output
    assert (
        "data/cdrs/2026-09/cdrs.csv: archive no longer matches its recorded hash "
        "(2026-09/archive/sha256/"
    ) in out
    line = next(ln for ln in out.splitlines() if "line F2026-000001/2 usage sip-1" in ln)
    assert line.startswith(
        "customer C1: line F2026-000001/2 usage sip-1 INTL_GB_MOBILE OUT_OF_PLAN: "
    )
    # the description says the billed duration: 1 min 01 s -> 3 min 01 s
    assert "durée facturée 1 min 01 s, 0,1500 EUR/min' -> " in line
    assert "durée facturée 3 min 01 s, 0,1500 EUR/min'" in line
    # R63: a usage line is one lot at its amount, so its unit price changes with it
    assert (
        "billable_seconds '61' -> '181', unit_price '0.15' -> '0.45', amount_ht '0.15' -> '0.45'"
        in line
    )
    assert "customer C1: invoice F2026-000001: total_ht '25.15' -> '25.45'" in out
    assert "itemised/C1.csv: cdr_id s1: duration_s '61' -> '181'" in out
    assert (
        "732829320FEC20261231.txt: entry VE2026-000001 (F2026-000001) account 706000: "
        "Credit '25,15' -> '25,45'"
    ) in out
    assert (
        "rated_calls.parquet: cdr_id s1: duration_s 61 -> 181, rated_seconds 61 -> 181, "
        "billable_seconds 61 -> 181, amount 0.1525 -> 0.4525"
    ) in out
    assert "customer C2" not in out  # C2's invoice is unchanged
    assert snapshot(ws.out) == before


def test_a_code_change_in_the_workbook_is_reported(billed, monkeypatch):
    ws = billed
    monkeypatch.setitem(exports.KIND_LABELS, "subscription", "Abonnement mensuel")
    result = audit(ws, "2026-09")
    assert result.exit_code == 1, result.output
    assert (
        "billing_2026-09.xlsx: sheet Lignes row 2: ('F2026-000001', 1, 'C1', 'Abonnement', "
        in result.output
    )
    assert "'Abonnement mensuel'" in result.output
    assert "invoices.csv" not in result.output  # the documents themselves are identical


def test_an_input_missing_from_the_archive_is_taken_from_data_if_it_has_its_hash(billed):
    ws = billed
    archived(ws, "2026-09", "customers.csv").unlink()
    result = audit(ws, "2026-09")
    assert result.exit_code == 0, result.output
    assert "note: data/customers.csv: not in the month's archive/, taken from" in result.output
    ws.add_rows("customers.csv", [["C9", "Late SARL", "FR", "false", "false", "", "", ""]])
    result = audit(ws, "2026-09")
    assert result.exit_code == 1
    assert (
        "data/customers.csv: not in the month's archive/, and "
        f"{ws.data / 'customers.csv'} no longer matches its recorded hash"
    ) in result.output


def test_a_changed_issued_file_is_reported(billed):
    ws = billed
    path = ws.out / "2026-09" / "itemised" / "C2.csv"
    path.chmod(0o644)
    path.write_text(path.read_text(encoding="utf-8").replace("0.0938", "0.0000"), encoding="utf-8")
    result = audit(ws, "2026-09")
    assert result.exit_code == 1
    assert "itemised/C2.csv: the issued file no longer matches its recorded hash" in result.output
    assert "itemised/C2.csv: cdr_id s2: amount '0.0000' -> '0.0938'" in result.output


def test_audit_of_a_month_not_issued_exits_2(ws):
    ws.cdrs("2026-10", [])
    result = audit(ws, "2026-10")
    assert result.exit_code == 2
    assert "2026-10 is not an issued month under" in result.output
    assert not ws.out.exists()
