"""The sample story of receivables (data_samples/README.md, "After issue"; issue 27): `make
story` played into a temporary OUT from data_samples/, every figure the README tells checked,
and played again: nothing changes. Slow (two months billed): `make test-all`.
"""

from __future__ import annotations

import csv
import sys
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


def test_r86_sample_story_who_owes_what_on_2026_12_07(story):
    folder = story / "receivables/reports/2026-12-07"
    # C002 paid nothing (152.28 twice); C008: its returned October debit and the 7.50 fee;
    # C014 paid 30.41 of 60.82 (half, rounded down to the cent)
    assert _rows(folder / "balances.csv") == [
        {"customer_id": "C002", "balance": "304.56", "overdue": "304.56",
         "unallocated_credit": "0.00", "oldest_due_date": "2026-10-31",
         "payment_method": "transfer", "return_fees": "0.00"},
        {"customer_id": "C008", "balance": "92.04", "overdue": "84.54",
         "unallocated_credit": "0.00", "oldest_due_date": "2026-12-01",
         "payment_method": "sepa_debit", "return_fees": "7.50"},
        {"customer_id": "C014", "balance": "30.41", "overdue": "30.41",
         "unallocated_credit": "0.00", "oldest_due_date": "2026-10-31",
         "payment_method": "transfer", "return_fees": "0.00"},
    ]  # fmt: skip
    assert [(r["entry_ref"], r["amount"]) for r in _rows(folder / "suspense.csv")] == [
        ("2026103199999-1", "15.00")  # the stranger's; C024's was assigned on 2026-11-20
    ]
    assert (folder / "statement_C002.pdf").is_file()
    # on 2026-11-19, the day before it was assigned, C024's transfer was still in suspense
    from pipeline.run_receivables import receivables

    receivables("2026-11-19", ROOT / "data_samples", story, ROOT / "rates")
    early = _rows(story / "receivables/reports/2026-11-19/suspense.csv")
    assert sorted(r["amount"] for r in early) == ["113.58", "15.00"]


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
