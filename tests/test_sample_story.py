"""The sample story of receivables (data_samples/README.md, "After issue"; issue 27): `make
story` played into a temporary OUT from data_samples/, every figure the README tells checked,
and played again: nothing changes. Slow (two months billed): `make test-all`.
"""

from __future__ import annotations

import csv
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from test_receivables import tree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import sample_statements  # noqa: E402

pytestmark = pytest.mark.slow


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(open(path, encoding="utf-8")))


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("story") / "out"
    assert sample_statements.play(ROOT / "data_samples", out, ROOT / "rates") == 0
    return out


def test_r82_sample_story_first_debits_on_the_monday_after_a_saturday_due_date(story):
    first = _rows(story / "receivables/collections/2026-10-26-01/collection.csv")
    assert [(r["customer_id"], r["sequence_type"], r["collection_date"]) for r in first] == [
        ("C006", "FRST", "2026-11-02"),
        ("C008", "FRST", "2026-11-02"),
    ]
    second = _rows(story / "receivables/collections/2026-11-26-01/collection.csv")
    assert {r["sequence_type"] for r in second} == {"RCUR"}
    again = _rows(story / "receivables/collections/2026-12-07-01/collection.csv")
    assert [(r["invoice_number"], r["amount"], r["collection_date"]) for r in again] == [
        ("F2026-000046", "84.54", "2026-12-08")  # C008's AM04 return, presented once again
    ]


def test_r86_r92_sample_story_who_owes_what_on_2026_12_16(story):
    folder = story / "receivables/reports/2026-12-16"
    # C002 paid nothing (152.28 twice), suspended; C008: its returned October debit and the
    # 7.50 fee, reminded; C012 refused its October invoice on the platform (210: not dunned);
    # C014 paid 30.41 of 60.82 (half, rounded down to the cent), suspended
    assert _rows(folder / "balances.csv") == [
        {"customer_id": "C002", "balance": "304.56", "overdue": "304.56",
         "unallocated_credit": "0.00", "oldest_due_date": "2026-10-31",
         "payment_method": "transfer", "return_fees": "0.00", "dunning_level": "suspension"},
        {"customer_id": "C008", "balance": "92.04", "overdue": "84.54",
         "unallocated_credit": "0.00", "oldest_due_date": "2026-12-01",
         "payment_method": "sepa_debit", "return_fees": "7.50", "dunning_level": "reminder"},
        {"customer_id": "C012", "balance": "74.96", "overdue": "74.96",
         "unallocated_credit": "0.00", "oldest_due_date": "2026-12-01",
         "payment_method": "transfer", "return_fees": "0.00", "dunning_level": ""},
        {"customer_id": "C014", "balance": "30.41", "overdue": "30.41",
         "unallocated_credit": "0.00", "oldest_due_date": "2026-10-31",
         "payment_method": "transfer", "return_fees": "0.00", "dunning_level": "suspension"},
    ]  # fmt: skip
    statuses = [(r["document_number"], r["status"]) for r in _rows(folder / "open_items.csv")]
    # C008's return reported (a negative 212, R96), C012's refusal (210), C014's partial
    # payment reported "Encaissée" (212)
    assert [s for s in statuses if s[1]] == [
        ("F2026-000046", "212"),
        ("F2026-000050", "210"),
        ("F2026-000014", "212"),
    ]
    assert [(r["entry_ref"], r["amount"]) for r in _rows(folder / "suspense.csv")] == [
        ("2026103199999-1", "15.00")  # the stranger's; C024's was assigned on 2026-11-20
    ]
    assert (folder / "statement_C002.pdf").is_file()
    # on 2026-11-19, the day before it was assigned, C024's transfer was still in suspense
    from pipeline.run_receivables import receivables

    receivables("2026-11-19", ROOT / "data_samples", story, ROOT / "rates")
    early = _rows(story / "receivables/reports/2026-11-19/suspense.csv")
    assert sorted(r["amount"] for r in early) == ["113.58", "15.00"]


def test_r92_sample_story_letters_of_the_three_runs(story):
    letters = {
        day: [(r["customer_id"], r["level"], r["invoice_numbers"]) for r in
              _rows(story / f"receivables/dunning/{day}/dunning.csv")]
        for day in ("2026-11-07", "2026-11-30", "2026-12-16")
    }  # fmt: skip
    assert letters == {
        # 7 days past 2026-10-31: C019 (pays by cheque on 11-16), C024 (money in suspense)
        "2026-11-07": [
            ("C002", "reminder", "F2026-000002"),
            ("C014", "reminder", "F2026-000014"),
            ("C019", "reminder", "F2026-000019"),
            ("C024", "reminder", "F2026-000023"),
        ],
        "2026-11-30": [
            ("C002", "formal_notice", "F2026-000002"),
            ("C014", "formal_notice", "F2026-000014"),
        ],
        # C002's October invoice is disputed since 2026-12-02 (disputes.csv): not dunned
        "2026-12-16": [
            ("C002", "suspension", "F2026-000002"),
            ("C008", "reminder", "F2026-000046"),
            ("C014", "suspension", "F2026-000014"),
        ],
    }
    suspended = _rows(story / "receivables/dunning/2026-12-16/suspend.csv")
    assert sorted({r["customer_id"] for r in suspended}) == ["C002", "C014"]


def test_r87_r89_sample_story_the_years_fec_balances_and_the_vat_month(story):
    fec = (story / "489035030FEC20261231.txt").read_text(encoding="iso-8859-15")
    rows = [line.split("|") for line in fec.splitlines()[1:]]
    debit = sum(Decimal(r[11].replace(",", ".")) for r in rows)
    credit = sum(Decimal(r[12].replace(",", ".")) for r in rows)
    assert debit == credit
    assert {r[0] for r in rows} == {"VE", "BQ", "OD"}
    ca3 = {(r["box"], r["label"][:20]): r for r in _rows(story / "tax/2026-11/ca3.csv")}
    assert ca3[("08", "Taux normal 20 % : b")]["vat"] == "1255.74"
    des = _rows(story / "tax/2026-11/des.csv")
    assert [r["customer_id"] for r in des] == ["C017", "C036"]  # the EU reverse-charge customers


def test_r85_sample_story_overpayment_and_assigned_credit_reach_the_next_invoices(story):
    from pipeline.ledger.journal import read_journal

    credit = [
        (e.customer_id, e.document, str(e.amount), e.date.isoformat())
        for e in read_journal(story).events
        if e.kind == "allocation" and e.detail("credit")
    ]
    assert credit == [
        ("C013", "F2026-000051", "50.00", "2026-11-01"),  # with its October invoice
        ("C024", "F2026-000023", "113.58", "2026-11-20"),  # the day of the assignment
    ]


def test_r84_sample_story_played_again_changes_nothing(story):
    before = tree(story)
    assert sample_statements.play(ROOT / "data_samples", story, ROOT / "rates") == 0
    assert tree(story) == before


def test_r91_r87_sample_story_charges_are_posted_once_in_od(story, tmp_path):
    # the late charges of 2026-11-30 invoiced (--charge, after the story): C002's F2026-000078
    # = 0.98 interest + 40.00 indemnity, posted in OD only (763100, 758800), not in VE
    import shutil

    from pipeline.run_dunning import dunning
    from pipeline.run_fiscal import fec

    out = tmp_path / "out"
    shutil.copytree(story, out)
    dunning("2026-11-30", ROOT / "data_samples", out, ROOT / "rates", charge=True)
    fec("2026", ROOT / "data_samples", out, ROOT / "rates")
    text = (out / "489035030FEC20261231.txt").read_text(encoding="iso-8859-15")
    rows = [line.split("|") for line in text.splitlines()[1:] if "F2026-000078" in line]
    assert [(r[0], r[4], r[11], r[12]) for r in rows] == [
        ("OD", "411000", "0,98", "0,00"),
        ("OD", "763100", "0,00", "0,98"),
        ("OD", "411000", "40,00", "0,00"),
        ("OD", "758800", "0,00", "40,00"),
    ]
