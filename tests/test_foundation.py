"""Issue 2: the walking skeleton's contract: exit codes, nothing written on bad input,
every output file, atomic and deterministic months, R40 reconciliation."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from tests.conftest import Workspace
from tests.scenarios import FOUR_CALLS, calls

CONTRACT_FILES = (
    "invoices.csv",
    "invoice_lines.csv",
    "credit_notes.csv",
    "sla.csv",
    "rated_calls.parquet",
    "rejects.csv",
    "fair_use.csv",
    "billing_2026-10.xlsx",
    "manifest.json",
)


def _calls(ws: Workspace) -> None:
    ws.cdrs("2026-10", calls(*FOUR_CALLS))


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Workspace:
    """October of _calls billed once: read it, never change it."""
    ws = Workspace(tmp_path_factory.mktemp("billed"))
    _calls(ws)
    result = ws.bill("2026-10")
    assert result.exit_code == 0, result.output
    return ws


def test_bill_writes_every_contract_file(billed):
    folder = billed.out / "2026-10"
    for name in CONTRACT_FILES:
        assert (folder / name).is_file(), name
    # the month, the lock, the cache of the files the ledger hashed (.verified.json), and the
    # receivables journal the month's documents entered (R83)
    assert sorted(p.name for p in billed.out.iterdir()) == [
        ".lock",
        ".verified.json",
        "2026-10",
        "receivables",
    ]


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-10", "", "2026-00"])
def test_bad_month_exits_2_and_writes_nothing(ws, month):
    result = ws.bill(month)
    assert result.exit_code == 2
    assert "erreur : le mois s'écrit AAAA-MM" in result.output
    assert not ws.out.exists()


def test_missing_data_folder_exits_2(ws):
    shutil.rmtree(ws.data)
    result = ws.bill("2026-10")
    assert result.exit_code == 2
    assert "n'existe pas ou n'est pas un dossier" in result.output
    assert not ws.out.exists()


def test_r42_duplicate_customer_id_names_file_and_row(ws):
    _calls(ws)
    ws.add_rows("customers.csv", [["C1", "Again", "FR", "false", "false", "", "", ""]])
    result = ws.bill("2026-10")
    assert result.exit_code == 2
    # the file's own lines (issue 17): the header is line 1, C1 is on line 2, its copy on line 4
    assert "customers.csv, ligne 4 : customer_id C1 en double (déjà à la ligne 2)" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not ws.out.exists()


def test_r42_unknown_customer_in_subscription(ws):
    _calls(ws)
    ws.add_rows(
        "subscriptions.csv", [["S9", "C404", "OPT_IVR", "30.00", "2026-01-01", "0", "", "", ""]]
    )
    result = ws.bill("2026-10")
    assert result.exit_code == 2
    assert (
        "subscriptions.csv, ligne 3 : customer_id 'C404' n'est pas un client connu" in result.output
    )


def test_r42_negative_tariff(ws):
    _calls(ws)
    ws.add_rows(
        "tariffs.csv",
        [["FR_FIXED", "2026-11-01", "-0.0100", "0", "60", "1", "true"]],
        folder="rates",
    )
    result = ws.bill("2026-10")
    assert result.exit_code == 2
    assert "tariffs.csv, ligne 11 : price_per_min_eur ne doit pas être négatif" in result.output


def test_missing_cdr_month_folder_exits_2(ws):
    result = ws.bill("2026-10")
    assert result.exit_code == 2
    assert "cdrs/2026-10/" in result.output
    assert not (ws.out / "2026-10").exists()


def test_r40_manifest_reconciliation_balances_per_file(ws):
    _calls(ws)
    ws.cdrs(
        "2026-10",
        calls(
            "c1,sip-1,out,0145000000,0145678910,2026-10-04T09:15:00+02:00,5,D1",
            "d2,sip-1,out,0145000000,0145678910,not a time,5,D1",
        ),
        name="second.csv",
    )
    assert ws.bill("2026-10").exit_code == 0
    manifest = json.loads((ws.out / "2026-10" / "manifest.json").read_text())
    rec = {r["source_file"]: r for r in manifest["reconciliation"]}
    assert rec["cdrs/2026-10/cdrs.csv"] == {
        "source_file": "cdrs/2026-10/cdrs.csv",
        "rows_read": 4,
        "rated": 3,
        "duplicates": 0,
        "rejected": 1,
        "balanced": True,
    }
    # second.csv: c1 repeats an id of cdrs.csv (files in name order), d2 is malformed
    assert rec["cdrs/2026-10/second.csv"] == {
        "source_file": "cdrs/2026-10/second.csv",
        "rows_read": 2,
        "rated": 0,
        "duplicates": 1,
        "rejected": 1,
        "balanced": True,
    }


def _tree_hashes(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_input_gives_byte_identical_outputs(billed, ws):
    """Every file of the month has the same bytes, except rated_calls.parquet, deterministic in
    content and not in row order (issue 18, decision 1), and the manifest's hash of it."""
    import duckdb

    # a second workspace, in another folder, billed again from the same input
    _calls(ws)
    assert ws.bill("2026-10").exit_code == 0
    first, second = billed.out / "2026-10", ws.out / "2026-10"
    loose = ("rated_calls.parquet", "manifest.json")
    assert {k: v for k, v in _tree_hashes(first).items() if k not in loose} == {
        k: v for k, v in _tree_hashes(second).items() if k not in loose
    }
    manifests = [
        json.loads((f / "manifest.json").read_text(encoding="utf-8")) for f in (first, second)
    ]
    for m in manifests:
        del m["outputs"]["rated_calls.parquet"]
    assert manifests[0] == manifests[1]
    con = duckdb.connect()
    query = "select * from read_parquet(?) order by cdr_id"
    rated = [
        con.execute(query, [str(f / "rated_calls.parquet")]).fetchall() for f in (first, second)
    ]
    assert rated[0] == rated[1] and len(rated[0]) > 0
