"""R86: receivables reports, `billing receivables --date D [--customer C]` (issue 27).

Computed on journals built from events by hand (fast, exact); the command once end to end on a
billed month (slow). The books (D = 2026-12-31):

- C1: F1 120.00 (2026-10-01, due 2026-10-31) paid 50.00 by P1 on 2026-11-10: open 70.00;
  F2 60.00 (2026-11-01, due 2026-12-01) and credit note A1 -24.00 on it: F2 open 36.00, A1 0.
  Lifecycle of F1: 204 on 2026-11-02, 207 on 2027-01-05 (after D).
- C2: F3 30.00 (2026-09-01, due 2026-10-01) paid by P2 45.00 on 2026-10-05: 15.00 unallocated
  credit; credit note A2 -10.00 on 2026-10-15, nothing open to take it: open -10.00.
- C3: invoices due 0, 30, 31, 60, 61, 90, 91 days before D (1, 2, 4, 8, 16, 32, 64 euros) and
  F17 0.50 due after D; suspense item E2 (7.00) assigned to it on 2026-11-20, as credit.
- C4: F20 40.00 (2026-11-01, due 2026-12-01) collected, paid 40.00 on 2026-12-01 (P3), the
  debit returned AM04 on 2026-12-05 with a 3.50 return fee: open 40.00, fees 3.50.
- Suspense: E1 18.00 on 2026-11-12 (no match), E2 7.00 on 2026-11-13 (assigned later).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA, SAMPLE_MONTHS, SAMPLE_RATES, Workspace, cli
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
from test_receivables import tree

from pipeline.core import data_contract as contract
from pipeline.core.errors import ProblemFound
from pipeline.ledger import journal as ledger_journal
from pipeline.receivables.compute import Balances, allocation_events
from pipeline.receivables.journal import (
    ALLOCATION,
    DEBIT_RETURNED,
    DOCUMENT_ISSUED,
    LIFECYCLE_STATUS,
    PAYMENT_RECEIVED,
    RETURN_FEE,
    SUSPENSE,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
    Journal,
    details,
)
from pipeline.receivables.report import bucket, check, compute_report, statement

D = date(2026, 12, 31)
Z = Decimal("0.00")


def _d(text: str) -> date:
    return date.fromisoformat(text)


def invoice(number: str, customer: str, ttc: str, day: str, due: str, **extra: str) -> Event:
    return Event(
        DOCUMENT_ISSUED,
        _d(day),
        customer,
        number,
        Decimal(ttc),
        "2026-10/invoices.csv",
        "m",
        number,
        details(type="invoice", due_date=due, **extra),
    )


def credit_note(number: str, customer: str, ttc: str, day: str, original: str = "") -> Event:
    return Event(
        DOCUMENT_ISSUED,
        _d(day),
        customer,
        number,
        -Decimal(ttc),
        "2026-10/credit_notes.csv",
        "m",
        number,
        details(type="credit_note", original_invoice=original),
    )


def note_allocation(note: str, invoice_: str, customer: str, amount: str, day: str) -> Event:
    return Event(
        ALLOCATION,
        _d(day),
        customer,
        invoice_,
        Decimal(amount),
        "",
        "",
        f"{note}>{invoice_}",
        details(credit_note=note),
    )


def payment(
    entry: str, customer: str, amount: str, day: str, paid: dict[str, str], credit: str = ""
) -> list[Event]:
    """A credit of a statement (file sha 's', entry `entry`) and what it did."""
    src = ("releve.xml", "s", entry)
    events = [
        Event(PAYMENT_RECEIVED, _d(day), customer, "", Decimal(amount), *src, details(rule="2"))
    ]
    for number, value in paid.items():
        events.append(
            Event(
                ALLOCATION, _d(day), customer, number, Decimal(value), *src, details(payment=entry)
            )
        )
    if credit:
        events.append(
            Event(
                UNALLOCATED_CREDIT,
                _d(day),
                customer,
                "",
                Decimal(credit),
                *src,
                details(payment=entry),
            )
        )
    return events


def suspense(entry: str, amount: str, day: str, debtor: str) -> list[Event]:
    src = ("releve.xml", "s", entry)
    return [
        Event(
            PAYMENT_RECEIVED,
            _d(day),
            "",
            "",
            Decimal(amount),
            *src,
            details(rule="4", debtor_name=debtor, remittance="virement divers"),
        ),
        Event(
            SUSPENSE,
            _d(day),
            "",
            "",
            Decimal(amount),
            *src,
            details(reason="ni prélèvement, ni facture nommée", direction="CRDT"),
        ),
    ]


def status(number: str, customer: str, code: str, day: str) -> Event:
    return Event(
        LIFECYCLE_STATUS,
        _d(day),
        customer,
        number,
        Z,
        "statuts.xml",
        "t",
        number,
        details(code=code),
    )


def books() -> list[Event]:
    c3 = [  # (number, TTC, due date): 0, 30, 31, 60, 61, 90, 91 days past due on D
        ("F10", "1.00", "2026-12-31"),
        ("F11", "2.00", "2026-12-01"),
        ("F12", "4.00", "2026-11-30"),
        ("F13", "8.00", "2026-11-01"),
        ("F14", "16.00", "2026-10-31"),
        ("F15", "32.00", "2026-10-02"),
        ("F16", "64.00", "2026-10-01"),
    ]
    src_return = ("retours.xml", "r", "R1")
    return [
        invoice("F3", "C2", "30.00", "2026-09-01", "2026-10-01"),
        *[invoice(n, "C3", ttc, "2026-09-01", due) for n, ttc, due in c3],
        *payment("P2", "C2", "45.00", "2026-10-05", {"F3": "30.00"}, credit="15.00"),
        credit_note("A2", "C2", "10.00", "2026-10-15"),
        invoice("F1", "C1", "120.00", "2026-10-01", "2026-10-31"),
        invoice("F2", "C1", "60.00", "2026-11-01", "2026-12-01"),
        credit_note("A1", "C1", "24.00", "2026-11-01", original="F2"),
        note_allocation("A1", "F2", "C1", "24.00", "2026-11-01"),
        invoice("F20", "C4", "40.00", "2026-11-01", "2026-12-01", payment_method="sepa_debit"),
        status("F1", "C1", "204", "2026-11-02"),
        *payment("P1", "C1", "50.00", "2026-11-10", {"F1": "50.00"}),
        *suspense("E1", "18.00", "2026-11-12", "Inconnu SA"),
        *suspense("E2", "7.00", "2026-11-13", "Gamma"),
        Event(
            SUSPENSE_ASSIGNED, _d("2026-11-20"), "C3", "", Decimal("7.00"), "releve.xml", "s", "E2"
        ),
        Event(
            UNALLOCATED_CREDIT,
            _d("2026-11-20"),
            "C3",
            "",
            Decimal("7.00"),
            "releve.xml",
            "s",
            "E2",
            details(payment="E2"),
        ),
        *payment("P3", "C4", "40.00", "2026-12-01", {"F20": "40.00"}),
        Event(
            DEBIT_RETURNED,
            _d("2026-12-05"),
            "C4",
            "F20",
            Decimal("40.00"),
            *src_return,
            details(reason="AM04"),
        ),
        Event(
            RETURN_FEE,
            _d("2026-12-05"),
            "C4",
            "F20",
            Decimal("3.50"),
            *src_return,
            details(reason="AM04"),
        ),
        invoice("F17", "C3", "0.50", "2026-12-16", "2027-01-15"),
        status("F1", "C1", "207", "2027-01-05"),
    ]


def test_r86_aged_buckets_at_30_31_60_61_90_91_days():
    assert [bucket(n) for n in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "not_due",
        "days_1_30",
        "days_1_30",
        "days_31_60",
        "days_31_60",
        "days_61_90",
        "days_61_90",
        "days_over_90",
    ]


def test_r86_open_items_partly_paid_credit_note_allocated_and_unallocated_credit():
    report = compute_report(books(), D)
    rows = {
        i.document_number: (str(i.open_balance), i.days_past_due, i.status)
        for i in report.open_items
        if i.customer_id in ("C1", "C2", "C4")
    }
    assert rows == {
        "F1": ("70.00", 61, "204"),  # 120.00 - 50.00; Dec 31 - Oct 31 = 61 days; 207 is after D
        "F2": ("36.00", 30, ""),  # 60.00 - A1's 24.00
        "A2": ("-10.00", 0, ""),  # a credit note with its credit left: negative
        "F20": ("40.00", 30, ""),  # paid 40.00, returned 40.00
    }  # A1 (all given to F2) and F3 (paid) are not open
    order = [(i.customer_id, i.document_number) for i in report.open_items]
    assert order[:3] == [("C1", "F1"), ("C1", "F2"), ("C2", "A2")]


def test_r86_balances_and_aged_balance_exact():
    report = compute_report(books(), D)
    balances = {
        b.customer_id: (
            str(b.balance),
            str(b.overdue),
            str(b.unallocated_credit),
            str(b.return_fees),
            b.oldest_due_date,
            b.payment_method,
        )
        for b in report.balances
    }
    assert balances == {
        "C1": ("106.00", "106.00", "0.00", "0.00", _d("2026-10-31"), "transfer"),
        # -10.00 (A2) - 15.00 (P2's credit)
        "C2": ("-25.00", "0.00", "15.00", "0.00", None, "transfer"),
        # 1+2+4+8+16+32+64+0.50 = 127.50, - 7.00 assigned credit = 120.50; overdue 126.00
        "C3": ("120.50", "126.00", "7.00", "0.00", _d("2026-10-01"), "transfer"),
        "C4": ("43.50", "40.00", "0.00", "3.50", _d("2026-12-01"), "sepa_debit"),
    }
    aged = {a.customer_id: [str(x) for x in vars(a).values()][1:] for a in report.aged}
    # not_due, 1-30, 31-60, 61-90, over 90, credits, return fees, total
    assert aged["C3"] == ["1.50", "2.00", "12.00", "48.00", "64.00", "-7.00", "0.00", "120.50"]
    assert aged["C1"] == ["0.00", "36.00", "0.00", "70.00", "0.00", "0.00", "0.00", "106.00"]
    assert aged["C2"] == ["0.00", "0.00", "0.00", "0.00", "0.00", "-25.00", "0.00", "-25.00"]
    assert aged["C4"] == ["0.00", "40.00", "0.00", "0.00", "0.00", "0.00", "3.50", "43.50"]


def test_r86_the_check_holds_with_its_figures():
    t = compute_report(books(), D).totals
    # issued 120+60-24 + 30-10 + 127.50 + 40 = 343.50; received 50+45+40+7 = 142.00;
    # returned 40.00; unallocated credit 15+7 = 22.00; allocated 142-40-22 = 80.00;
    # 343.50 - 80.00 = 263.50 = open items 106 - 10 + 127.50 + 40;
    # balances 106 - 25 + 120.50 + 43.50 = 245.00 = 263.50 - 22.00 + 3.50
    assert (t.issued, t.received, t.returned, t.unallocated_credit, t.allocated) == (
        Decimal("343.50"),
        Decimal("142.00"),
        Decimal("40.00"),
        Decimal("22.00"),
        Decimal("80.00"),
    )
    assert (t.open_items, t.balances, t.return_fees, t.suspense) == (
        Decimal("263.50"),
        Decimal("245.00"),
        Decimal("3.50"),
        Decimal("18.00"),
    )
    check(t)


def test_r86_an_inconsistent_journal_is_found_with_its_figures():
    # a payment of 10.00 for C1 that neither paid an invoice nor left credit: an amount lost
    lost = Event(PAYMENT_RECEIVED, _d("2026-12-10"), "C1", "", Decimal("10.00"), "x", "x", "X1")
    report = compute_report([*books(), lost], D)
    with pytest.raises(ProblemFound) as caught:
        check(report.totals)
    message = str(caught.value)
    assert message.startswith("les créances ne se rapprochent pas (R86) : émis 343.50 - affecté")
    assert "affecté 90.00 = 253.50, mais postes ouverts 263.50" in message
    # a balances total that misses a customer is found too
    with pytest.raises(ProblemFound, match="= 245.00, mais soldes 201.50"):
        check(replace(compute_report(books(), D).totals, balances=Decimal("201.50")))


def test_r86_suspense_lists_what_is_not_assigned_on_d():
    report = compute_report(books(), D)
    assert [
        (s.entry_ref, str(s.amount), s.debtor, s.remittance, s.reason) for s in report.suspense
    ] == [("E1", "18.00", "Inconnu SA", "virement divers", "ni prélèvement, ni facture nommée")]
    # on 2026-11-15, E2 is not assigned yet
    earlier = compute_report(books(), _d("2026-11-15"))
    assert [s.entry_ref for s in earlier.suspense] == ["E1", "E2"]


def test_r86_a_report_at_an_earlier_date_is_the_earlier_state():
    report = compute_report(books(), _d("2026-11-05"))
    rows = {i.document_number: str(i.open_balance) for i in report.open_items}
    # P1 (11-10), F20's return, F17 (12-16) not yet; F1 unpaid; lifecycle 204 since 11-02
    assert rows["F1"] == "120.00" and "F17" not in rows and rows["F20"] == "40.00"
    assert [i.status for i in report.open_items if i.document_number == "F1"] == ["204"]
    assert compute_report(books(), _d("2026-11-01")).open_items[0].status == ""
    assert report.suspense == []
    check(report.totals)
    # the same events with later ones added give the same report for the earlier date
    later = [
        *books(),
        *payment("P9", "C1", "70.00", "2026-12-20", {"F1": "70.00"}),
        invoice("F30", "C1", "9.00", "2027-01-01", "2027-01-31"),
    ]
    assert compute_report(later, _d("2026-11-05")).open_items == report.open_items
    assert compute_report(later, _d("2026-11-05")).balances == report.balances


def test_r86_a_payment_booked_before_its_invoice_is_credit_until_the_invoice():
    events = [
        invoice("F1", "C1", "30.00", "2026-11-08", "2026-12-08"),
        *payment("P1", "C1", "30.00", "2026-11-05", {"F1": "30.00"}),
    ]
    before = compute_report(events, _d("2026-11-06"))
    assert before.open_items == []
    assert [
        (b.customer_id, str(b.balance), str(b.unallocated_credit)) for b in before.balances
    ] == [("C1", "-30.00", "30.00")]
    check(before.totals)
    after = compute_report(events, _d("2026-11-08"))
    assert after.open_items == [] and after.balances == []
    check(after.totals)


def test_r86_receipts_say_what_each_payment_paid():
    report = compute_report(books(), D)
    rows = [
        (r.date.isoformat(), r.customer_id, r.kind, str(r.amount), r.paid, str(r.unallocated))
        for r in report.receipts
    ]
    assert rows == [
        ("2026-10-05", "C2", "payment", "45.00", "F3 30.00", "15.00"),
        ("2026-11-10", "C1", "payment", "50.00", "F1 50.00", "0.00"),
        ("2026-11-12", "", "payment", "18.00", "", "0.00"),
        ("2026-11-13", "", "payment", "7.00", "", "0.00"),
        ("2026-11-20", "C3", "assigned", "7.00", "", "7.00"),
        ("2026-12-01", "C4", "payment", "40.00", "F20 40.00", "0.00"),
        ("2026-12-05", "C4", "returned", "-40.00", "F20", "0.00"),
    ]
    assert [
        str(r.suspense) for r in report.receipts if r.kind == "payment" and not r.customer_id
    ] == [
        "18.00",
        "7.00",
    ]


def test_r86_statement_of_account_running_balance_ends_at_the_balance():
    st = statement(compute_report(books(), D), "C1")
    lines = [(str(x.date), x.label, str(x.debit), str(x.credit), str(x.balance)) for x in st.lines]
    assert lines == [
        ("2026-10-01", "Facture F1, échéance 31/10/2026", "120.00", "0.00", "120.00"),
        ("2026-11-01", "Facture F2, échéance 01/12/2026", "60.00", "0.00", "180.00"),
        ("2026-11-01", "Avoir A1 sur la facture F2", "0.00", "24.00", "156.00"),
        ("2026-11-01", "Avoir A1 imputé sur la facture F2 : 24,00 €", "0.00", "0.00", "156.00"),
        ("2026-11-10", "Paiement reçu (réf. P1) : réglé F1 (50,00 €)", "0.00", "50.00", "106.00"),
    ]
    assert (st.balance, st.overdue) == (Decimal("106.00"), Decimal("106.00"))
    assert [i.document_number for i in st.open_items] == ["F1", "F2"]
    c4 = statement(compute_report(books(), D), "C4")
    # 40.00 invoice, paid 40.00, returned 40.00, fee 3.50: 43.50
    assert [str(x.balance) for x in c4.lines] == ["40.00", "0.00", "40.00", "43.50"]
    assert c4.balance == Decimal("43.50")


# --- the command, on an OUT holding only a journal written from the events above -------------


@pytest.fixture
def journal_ws(tmp_path) -> Workspace:
    ws = Workspace(tmp_path)
    ledger_journal.append(ws.out, Journal(), [e for e in books() if e.date <= D], "test")
    return ws


def report(ws: Workspace, day: str, *extra: str):
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    return cli("receivables", "--date", day, *extra, *folders)


def rows(ws: Workspace, day: str, name: str) -> list[dict[str, str]]:
    path = ws.out / "receivables" / "reports" / day / name
    return list(csv.DictReader(open(path, encoding="utf-8")))


def test_r86_the_command_writes_the_csv_files_and_records_nothing(journal_ws):
    ws = journal_ws
    journal_before = tree(ws.out / "receivables" / "journal")
    result = report(ws, "2026-12-31")
    assert result.exit_code == 0, result.output
    # the command adds what the journal lacks, in memory (as collect does): here R85's
    # allocation of C3's 7.00 credit (E2, assigned 2026-11-20) to its oldest open invoice F16
    # (64.00, due 2026-10-01), which `payments --assign` would have recorded: 80.00 + 7.00
    # allocated, 263.50 - 7.00 open
    assert "contrôle R86 : émis 343.50 - affecté 87.00 = postes ouverts 256.50" in result.output
    folder = ws.out / "receivables" / "reports" / "2026-12-31"
    assert sorted(p.name for p in folder.iterdir()) == [
        "aged_balance.csv",
        "balances.csv",
        "open_items.csv",
        "receivables_2026-12-31.xlsx",
        "suspense.csv",
    ]
    assert rows(ws, "2026-12-31", "open_items.csv")[0] == {
        "customer_id": "C1",
        "document_number": "F1",
        "document_date": "2026-10-01",
        "due_date": "2026-10-31",
        "total_ttc": "120.00",
        "open_balance": "70.00",
        "days_past_due": "61",
        "status": "204",
        "type": "invoice",
    }
    assert rows(ws, "2026-12-31", "balances.csv")[1] == {
        "customer_id": "C2",
        "balance": "-25.00",
        "overdue": "0.00",
        "unallocated_credit": "15.00",
        "oldest_due_date": "",
        "payment_method": "transfer",
        "return_fees": "0.00",
        "dunning_level": "",
    }
    assert rows(ws, "2026-12-31", "aged_balance.csv")[2]["days_over_90"] == "57.00"  # F16
    assert [r["entry_ref"] for r in rows(ws, "2026-12-31", "suspense.csv")] == ["E1"]
    assert tree(ws.out / "receivables" / "journal") == journal_before  # nothing recorded


def test_r86_the_workbook_is_french_and_prints(journal_ws):
    ws = journal_ws
    assert report(ws, "2026-12-31").exit_code == 0
    path = ws.out / "receivables" / "reports" / "2026-12-31" / "receivables_2026-12-31.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Balance âgée",
        "Échéancier",
        "Encaissements",
        "À affecter",
        "Contrôle",
    ]
    aged = wb["Balance âgée"]
    assert [c.value for c in aged[1]][:7] == [
        "Client",
        "Raison sociale",
        "Non échu",
        "1 à 30 jours",
        "31 à 60 jours",
        "61 à 90 jours",
        "Plus de 90 jours",
    ]
    assert [c.value for c in aged[2]][:2] == ["C1", "Alpha SARL"]
    assert aged["J2"].value == 106  # C1: 36.00 + 70.00
    assert aged["J2"].number_format == '#,##0.00 "€"'
    total = [c.value for c in aged[aged.max_row]]
    assert total[0] == "Total" and total[9] == pytest.approx(245)  # the balances' total
    for ws_ in wb.worksheets:
        assert ws_.print_title_rows == "$1:$1"
        assert (
            ws_.page_setup.paperSize == 9
            and ws_.page_setup.fitToWidth == 1
            and ws_.sheet_properties.pageSetUpPr.fitToPage
        )
    schedule = wb["Échéancier"]
    assert [c.value for c in schedule[2]][9] == "204 Prise en charge"


def test_r86_an_earlier_date_gives_the_same_bytes_after_later_events(journal_ws):
    ws = journal_ws
    assert report(ws, "2026-11-15").exit_code == 0
    folder = ws.out / "receivables" / "reports" / "2026-11-15"
    first = tree(folder)
    later = [
        *payment("P9", "C1", "70.00", "2026-12-20", {"F1": "70.00"}),
        invoice("F30", "C1", "9.00", "2027-01-01", "2027-01-31"),
        status("F1", "C1", "207", "2027-01-05"),
    ]
    ledger_journal.append(ws.out, ledger_journal.read_journal(ws.out), later, "test later")
    assert report(ws, "2026-11-15").exit_code == 0
    assert tree(folder) == first
    # a later date sees them: F1 paid
    assert report(ws, "2027-01-10").exit_code == 0
    assert "F1" not in {r["document_number"] for r in rows(ws, "2027-01-10", "open_items.csv")}


def test_r86_a_mismatch_exits_1_and_writes_no_report(journal_ws):
    ws = journal_ws
    lost = Event(PAYMENT_RECEIVED, _d("2026-12-10"), "C1", "", Decimal("10.00"), "x", "x", "X1")
    ledger_journal.append(ws.out, ledger_journal.read_journal(ws.out), [lost], "test lost")
    result = report(ws, "2026-12-31")
    assert result.exit_code == 1
    assert "les créances ne se rapprochent pas (R86)" in result.output
    assert not (ws.out / "receivables" / "reports" / "2026-12-31").exists()


def test_r86_an_unknown_customer_exits_2(journal_ws):
    result = report(journal_ws, "2026-12-31", "--customer", "C9")
    assert result.exit_code == 2
    assert "--customer : client C9 inconnu" in result.output
    bad = report(journal_ws, "2026-13-01")
    assert bad.exit_code == 2 and "--date" in bad.output


@pytest.mark.slow  # PDF rendering
def test_r86_statement_of_account_pdf_in_french(journal_ws):
    ws = journal_ws
    result = report(ws, "2026-12-31", "--customer", "C1")
    assert result.exit_code == 0, result.output
    path = ws.out / "receivables" / "reports" / "2026-12-31" / "statement_C1.pdf"
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    for words in (
        "RELEVÉ DE COMPTE",
        "au 31/12/2026",
        "Alpha SARL",
        "Facture F1, échéance 31/10/2026",
        "Paiement reçu (réf. P1) : réglé F1 (50,00 €)",
        "Solde dû",
        "106,00 €",
        "Échéancier",
    ):
        assert words in text, words
    first = path.read_bytes()
    assert report(ws, "2026-12-31", "--customer", "C1").exit_code == 0
    assert path.read_bytes() == first  # the same report again: the same bytes


# --- end to end, on the billed sample months (slow) --------------------------------------------


@pytest.mark.slow  # a subprocess on the sample months (and a PDF)
def test_r86_cli_end_to_end_on_the_billed_sample_months(sample_copy, tmp_path):
    out = sample_copy
    billing = Path(sys.executable).parent / "billing"
    folders = ("--data", str(SAMPLE_DATA), "--out", str(out), "--rates", str(SAMPLE_RATES))
    journal = out / "receivables" / "journal"
    before = tree(journal) if journal.exists() else {}
    run = subprocess.run(
        [str(billing), "receivables", "--date", "2026-12-15", "--customer", "C001", *folders],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    folder = out / "receivables" / "reports" / "2026-12-15"
    assert (folder / "statement_C001.pdf").stat().st_size > 0
    # issued = the TTC of every invoice - every credit note of both months; nothing is paid:
    # every document is open, at its TTC
    issued = Decimal("0.00")
    count = 0
    for month in SAMPLE_MONTHS:
        for row in csv.DictReader(open(out / month / "invoices.csv", encoding="utf-8")):
            issued += Decimal(row["total_ttc"])
            count += 1
        for row in csv.DictReader(open(out / month / "credit_notes.csv", encoding="utf-8")):
            issued -= Decimal(row["amount_ttc"])
            count += 1
    open_items = list(csv.DictReader(open(folder / "open_items.csv", encoding="utf-8")))
    assert sum(Decimal(r["open_balance"]) for r in open_items) == issued
    balances = list(csv.DictReader(open(folder / "balances.csv", encoding="utf-8")))
    assert sum(Decimal(r["balance"]) for r in balances) == issued
    assert len(open_items) <= count
    assert f"postes ouverts {issued}" in run.stdout
    assert (tree(journal) if journal.exists() else {}) == before  # nothing recorded
    # before any document: an empty report, with its headers
    early = subprocess.run(
        [str(billing), "receivables", "--date", "2026-01-01", *folders],
        capture_output=True,
        text=True,
        check=False,
    )
    assert early.returncode == 0, early.stderr
    assert (out / "receivables/reports/2026-01-01/open_items.csv").read_text() == (
        ",".join(contract.OPEN_ITEMS.names) + "\n"
    )


def test_r86_the_bench_journal_reconciles_and_its_report_runs(tmp_path):
    from bench import receivables as receivables_bench

    result = receivables_bench.run(600, 1200, tmp_path)
    # 600 documents, 11 of them credit notes (numbers 100, 150, ... 600: number 50, in
    # January, has no invoice before it) each with its allocation; (1200 - 611) // 2 = 294
    # payments of two events: 600 + 11 + 588 = 1,199 events
    assert (result["documents"], result["events"]) == (600, 1199)
    assert result["within_limit"] and result["open_items"] > 0
    check = result["check"]
    assert Decimal(check["issued"]) - Decimal(check["allocated"]) == Decimal(check["open_items"])


def test_r86_an_assignment_counts_once_however_it_is_recorded():
    # E1 (18.00, suspense) assigned to C1 on 2026-12-20 and paying F1 18.00: recorded with a
    # payment_received for C1 of the same entry as well; the money counts once
    src = ("releve.xml", "s", "E1")
    assignment = [
        Event(SUSPENSE_ASSIGNED, _d("2026-12-20"), "C1", "", Decimal("18.00"), *src),
        Event(PAYMENT_RECEIVED, _d("2026-12-20"), "C1", "", Decimal("18.00"), *src),
        Event(
            ALLOCATION,
            _d("2026-12-20"),
            "C1",
            "F1",
            Decimal("18.00"),
            *src,
            details(payment="E1"),
        ),
    ]
    report = compute_report([*books(), *assignment], D)
    check(report.totals)
    # received 142.00 + 18.00; F1 open 70.00 - 18.00; nothing left in suspense
    assert report.totals.received == Decimal("160.00")
    assert [i.open_balance for i in report.open_items if i.document_number == "F1"] == [
        Decimal("52.00")
    ]
    assert report.suspense == []
    assert [(r.kind, r.paid) for r in report.receipts if r.entry == "E1"] == [
        ("payment", ""),
        ("assigned", "F1 18.00"),
    ]
    st = statement(report, "C1")
    assert st.lines[-1].label == "Paiement en attente affecté (réf. E1)"
    assert (st.lines[-1].credit, st.lines[-1].balance) == (Decimal("18.00"), Decimal("88.00"))


def test_r86_a_killed_publication_is_tidied_by_the_next_run(journal_ws):
    ws = journal_ws
    assert report(ws, "2026-12-31").exit_code == 0
    folder = ws.out / "receivables" / "reports"
    first = tree(folder / "2026-12-31")
    # killed between its two renames: the old report aside, the new one still staged
    (folder / "2026-12-31").rename(folder / ".replaced-2026-12-31")
    (folder / ".staging-2026-12-31").mkdir()
    (folder / ".staging-2026-12-31" / "open_items.csv").write_text("half")
    assert report(ws, "2026-11-30").exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["2026-11-30", "2026-12-31"]
    assert tree(folder / "2026-12-31") == first


# --- the check holds on any consistent journal (hypothesis) ----------------------------------

_cents = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
_action = st.tuples(
    st.sampled_from(["invoice", "credit_note", "payment", "return"]),
    st.sampled_from(["C1", "C2", "C3"]),
    st.integers(min_value=0, max_value=120),  # day of the action after 2026-09-01
    _cents,
)


def _journal(actions: list[tuple[str, str, int, Decimal]]) -> list[Event]:
    """A consistent journal: documents, credit notes allocated by R85 (allocation_events),
    payments paying the customer's oldest open invoices then leaving credit (as R84 does),
    returns of a payment's allocation with a fee."""
    events: list[Event] = []
    start = date(2026, 9, 1)
    for n, (kind, customer, offset, amount) in enumerate(sorted(actions, key=lambda a: a[2])):
        day = (start + timedelta(days=offset)).isoformat()
        if kind == "invoice":
            due = (start + timedelta(days=offset + 30)).isoformat()
            events.append(invoice(f"F{n}", customer, str(amount), day, due))
        elif kind == "credit_note":
            events.append(credit_note(f"A{n}", customer, str(amount), day))
        elif kind == "payment":
            balances = Balances(events)
            left, paid = amount, {}
            for doc in balances.open_invoices(customer):
                part = min(left, doc.open_balance)
                if part > 0:
                    paid[doc.number] = str(part)
                    left -= part
            events += payment(f"P{n}", customer, str(amount), day, paid, str(left) if left else "")
        else:
            paid_docs = [
                e
                for e in events
                if e.kind == ALLOCATION and e.detail("payment") and e.customer_id == customer
            ]
            if paid_docs:
                target = paid_docs[-1]
                doc = Balances(events).documents[target.document]
                back = min(target.amount, doc.paid)
                if back > 0:
                    src = ("retours.xml", "r", f"R{n}")
                    events += [
                        Event(
                            DEBIT_RETURNED,
                            _d(day),
                            customer,
                            doc.number,
                            back,
                            *src,
                            details(reason="AM04"),
                        ),
                        Event(RETURN_FEE, _d(day), customer, doc.number, Decimal("2.50"), *src),
                    ]
        events += allocation_events(events)
    return events


@settings(max_examples=60, deadline=None)
@given(st.lists(_action, max_size=14), st.integers(min_value=0, max_value=150))
def test_r86_the_check_holds_on_any_consistent_journal_at_any_date(actions, offset):
    events = _journal(actions)
    day = date(2026, 9, 1) + timedelta(days=offset)
    report = compute_report(events, day)
    check(report.totals)  # issued - allocated = open items = balances (+ fees - credit)
    # each customer's statement ends at its balance
    for row in report.balances:
        lines = statement(report, row.customer_id).lines
        assert lines[-1].balance == row.balance
    # the report of D is the report of the events dated up to D
    earlier = compute_report([e for e in events if e.date <= day], day)
    assert (earlier.open_items, earlier.balances, earlier.aged) == (
        report.open_items,
        report.balances,
        report.aged,
    )


@pytest.mark.slow  # bills two months, imports statements, renders a PDF
def test_r86_report_after_collect_payments_and_a_return(tmp_path):
    from test_receivables import MANDATE, _debited, collect
    from test_receivables_payments import BATCH, camt, payments

    ws = Workspace(tmp_path / "ws")
    _debited(ws, [MANDATE])
    provider = ws.data / "provider.toml"
    provider.write_text(provider.read_text() + 'return_fee_eur = "7.50"\n', encoding="utf-8")
    ws.bill_months("2026-09", "2026-10")
    assert collect(ws, "2026-11-26").exit_code == 0  # F2026-000001 and -000002, 30.00 each
    paid = tmp_path / "paid.xml"
    paid.write_bytes(camt([BATCH]))  # both paid on 2026-12-01
    returned = tmp_path / "return.xml"
    returned.write_bytes(
        camt(
            [
                {
                    "ref": "RT-1",
                    "amount": "30.00",
                    "direction": "DBIT",
                    "day": "2026-12-08",
                    "txs": [{"e2e": "F2026-000002", "amount": "30.00", "reason": "AM04"}],
                },
                {
                    "ref": "UNK-1",
                    "amount": "12.34",
                    "day": "2026-12-09",
                    "txs": [{"amount": "12.34", "name": "Personne"}],
                },
            ]
        )
    )
    assert payments(ws, paid).exit_code == 0
    assert payments(ws, returned).exit_code == 0
    result = report(ws, "2026-12-31", "--customer", "C1")
    assert result.exit_code == 0, result.output
    c1 = [r for r in rows(ws, "2026-12-31", "balances.csv") if r["customer_id"] == "C1"]
    # F2026-000002 open again after its AM04 return (30.00) + the 7.50 return fee
    assert c1 == [
        {
            "customer_id": "C1",
            "balance": "37.50",
            "overdue": "30.00",
            "unallocated_credit": "0.00",
            "oldest_due_date": "2026-12-01",
            "payment_method": "sepa_debit",
            "return_fees": "7.50",
            "dunning_level": "",
        }
    ]
    suspense_rows = rows(ws, "2026-12-31", "suspense.csv")
    assert [(r["amount"], r["debtor"], r["date"]) for r in suspense_rows] == [
        ("12.34", "Personne", "2026-12-09")
    ]
    # before the payments (2026-11-30): both C1 invoices open, nothing in suspense
    assert report(ws, "2026-11-30").exit_code == 0
    early = [r for r in rows(ws, "2026-11-30", "open_items.csv") if r["customer_id"] == "C1"]
    assert [(r["document_number"], r["open_balance"]) for r in early] == [
        ("F2026-000001", "30.00"),
        ("F2026-000002", "30.00"),
    ]
    assert rows(ws, "2026-11-30", "suspense.csv") == []
    pdf = ws.out / "receivables" / "reports" / "2026-12-31" / "statement_C1.pdf"
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "rejeté (AM04)" in text and "37,50 €" in text
