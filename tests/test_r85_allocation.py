"""R85: allocation of credit (credit notes and payments' unallocated credit) to open invoices,
and R84's `billing payments --assign` of a suspense item (issue 27).

Journals are built from events (fast, exact); the `--assign` command is tested in
tests/test_receivables_payments.py, on its billed and collected workspace.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from test_receivables_payments import (
    REFERENCE,
    _collected,
    _invoice,
    run,
    summary,
)

from pipeline.receivables.compute import Balances, allocation_events
from pipeline.receivables.journal import (
    ALLOCATION,
    DOCUMENT_ISSUED,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
    details,
)
from pipeline.receivables.match import AssignError, assign_events

IDS = {c["customer_id"] for c in REFERENCE["ref_customers"].rows}


def _credit(customer: str, amount: str, entry: str, day: date) -> Event:
    return Event(
        UNALLOCATED_CREDIT,
        day,
        customer,
        "",
        Decimal(amount),
        "releve.xml",
        "s1",
        entry,
        details(payment=entry),
    )


def _note(number: str, customer: str, ttc: str, day: date, original: str = "") -> Event:
    return Event(
        DOCUMENT_ISSUED,
        day,
        customer,
        number,
        -Decimal(ttc),
        "2026-11/credit_notes.csv",
        "",
        number,
        details(type="credit_note", original_invoice=original),
    )


def _books_events() -> list[Event]:
    return [
        _invoice("F1", "C1", "40.00", "2026-12-01", payment_method="sepa_debit"),
        _invoice("F2", "C2", "100.00", "2026-11-30"),
        _invoice("F3", "C2", "50.00", "2026-12-31"),
        _collected("F1", "C1", "40.00"),
    ]


def test_r85_an_overpayments_credit_goes_at_once_to_the_customers_other_open_invoice():
    # 130.00 naming F2 (100.00): F2 paid, 30.00 credit (R84); R85 gives it to F3 (50.00, open,
    # not held by a collection), dated the booking date 2026-12-03 (F3 was issued 2026-11-01)
    entry = {"ref": "B7", "amount": "130.00", "txs": [{"amount": "130.00", "ustrd": "F2"}]}
    _, matched = run([entry])
    events = [*_books_events(), *matched.events]
    new = allocation_events(events)
    assert summary(new) == [("allocation", "C2", "F3", "30.00")]
    assert new[0].date == date(2026, 12, 3) and new[0].detail("credit") == "B7"
    after = Balances([*events, *new])
    assert after.documents["F3"].open_balance == Decimal("20.00")
    assert after.documents["F3"].paid == Decimal("30.00")
    assert after.credit["C2"] == Decimal("0.00")
    assert allocation_events([*events, *new]) == []  # nothing allocated twice


def test_r85_a_credit_with_nothing_open_waits_for_the_next_invoice():
    # C1's only invoice F1 is held by its collection: the 25.00 credit is not given to it
    events = [*_books_events(), _credit("C1", "25.00", "CSV-1", date(2026, 12, 3))]
    assert allocation_events(events) == []
    # the next invoice F4 (60.00, issued 2027-01-01) receives it, dated its issue
    events.append(_invoice("F4", "C1", "60.00", "2027-01-31"))
    events[-1] = Event(**{**events[-1].__dict__, "date": date(2027, 1, 1)})
    new = allocation_events(events)
    assert summary(new) == [("allocation", "C1", "F4", "25.00")]
    assert new[0].date == date(2027, 1, 1)
    assert Balances([*events, *new]).documents["F4"].open_balance == Decimal("35.00")


def test_r85_the_oldest_credit_goes_first_and_a_credit_note_before_payments():
    # C2: F2 100.00 (due 11-30) then F3 50.00 (due 12-31); credit note A1 20.00 referencing F3;
    # payment credits 90.00 (12-03) then 45.00 (12-04).
    # credit note first, to F3: F3 50.00 -> 30.00;
    # then the 90.00 to the oldest open invoice F2: F2 -> 10.00; the 45.00: 0 left of the first
    # credit, so 10.00 of it... no: the first credit 90.00 pays F2's 100.00 up to 90.00; the
    # second credit's 10.00 finishes F2, its 30.00 pays F3, 5.00 stays unallocated.
    events = [
        *_books_events(),
        _note("A1", "C2", "20.00", date(2026, 12, 1), original="F3"),
        _credit("C2", "90.00", "P1", date(2026, 12, 3)),
        _credit("C2", "45.00", "P2", date(2026, 12, 4)),
    ]
    new = allocation_events(events)
    assert [
        (e.document, str(e.amount), e.detail("credit_note") or e.detail("credit")) for e in new
    ] == [
        ("F3", "20.00", "A1"),
        ("F2", "90.00", "P1"),
        ("F2", "10.00", "P2"),
        ("F3", "30.00", "P2"),
    ]
    after = Balances([*events, *new])
    assert after.credit["C2"] == Decimal("5.00")
    assert [i[1] for i in after.credit_items["C2"]] == [Decimal("5.00")]
    assert (
        after.documents["F2"].open_balance == after.documents["F3"].open_balance == Decimal("0.00")
    )


def _suspended() -> tuple[Balances, list[Event]]:
    entry = {"ref": "B5", "amount": "70.00", "txs": [{"amount": "70.00", "name": "Inconnu"}]}
    balances, matched = run([entry])
    return balances, [*_books_events(), *matched.events]


def test_r84_assign_a_suspense_item_to_an_invoice_the_rest_becomes_credit_then_r85():
    balances, events = _suspended()
    day = date(2026, 12, 10)
    new = assign_events(balances, "B5", "C2", "F3", day, IDS)
    # 70.00 to F3 (50.00 open): 50.00 paid, 20.00 credit; R85 then gives it to F2 (oldest)
    assert [(e.kind, e.document, str(e.amount)) for e in new] == [
        (SUSPENSE_ASSIGNED, "F3", "70.00"),
        (ALLOCATION, "F3", "50.00"),
        (UNALLOCATED_CREDIT, "", "20.00"),
    ]
    assert all(e.date == day for e in new)
    assert new[0].detail("booked_on") == "2026-12-03"
    more = allocation_events([*events, *new])
    assert summary(more) == [("allocation", "C2", "F2", "20.00")]
    after = Balances([*events, *new, *more])
    assert after.documents["F2"].open_balance == Decimal("80.00")
    assert set(after.assigned) == set(after.suspense)


def test_r84_assign_refuses_twice_a_debit_an_unknown_entry_and_anothers_invoice():
    balances, events = _suspended()
    day = date(2026, 12, 10)
    with pytest.raises(AssignError, match="aucune opération en attente B9"):
        assign_events(balances, "B9", "C2", "", day, IDS)
    with pytest.raises(AssignError, match="F1 n'est pas une facture du client C2"):
        assign_events(balances, "B5", "C2", "F1", day, IDS)
    with pytest.raises(AssignError, match="client C9 inconnu"):
        assign_events(balances, "B5", "C9", "", day, IDS)
    for e in assign_events(balances, "B5", "C2", "", day, IDS):
        balances.apply(e)
    with pytest.raises(AssignError, match="B5 déjà affecté au client C2 le 2026-12-10"):
        assign_events(balances, "B5", "C1", "", day, IDS)
    assert assign_events(balances, "B5", "C2", "", day, IDS) == []  # the same decision again
    debit = {
        "ref": "D1",
        "amount": "8.00",
        "direction": "DBIT",
        "txs": [{"amount": "8.00", "reason": "AM04"}],
    }
    balances, _ = run([debit], balances)
    with pytest.raises(AssignError, match="D1 est un débit"):
        assign_events(balances, "D1", "C2", "", day, IDS)
