"""R87-R89: the fiscal year's FEC, VAT on receipts, the CA3 figures and the DES (issue 28).

Pure tests on hand-built documents and receivables journal events: every expected entry is
computed by hand in the comments. Accounts: 411000 customers, 512000 bank, 706000 services,
707000 goods, 445710 VAT collected, 445740 VAT pending (due on receipt).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from conftest import cli
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.data_contract import DEFAULT_ACCOUNTS, FISCAL_ACCOUNTS
from pipeline.core.money import round_line
from pipeline.exports.fec import ENCODING, render
from pipeline.fiscal.documents import EU_REVERSE_CHARGE, FRANCE, OUTSIDE_EU, SaleDocument
from pipeline.fiscal.entries import fec_lines, letters, numbered, year_entries
from pipeline.fiscal.vat import DesRow, ca3, des
from pipeline.receivables.compute import CREDIT_NOTE, INVOICE, Balances
from pipeline.receivables.journal import (
    ALLOCATION,
    DEBIT_RETURNED,
    DOCUMENT_ISSUED,
    LATE_CHARGE,
    PAYMENT_RECEIVED,
    RETURN_FEE,
    SUSPENSE,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
    details,
)
from pipeline.run_fiscal import fiscal_bounds

D = Decimal
ACCOUNTS = {**DEFAULT_ACCOUNTS, **FISCAL_ACCOUNTS}
SERVICES = DEFAULT_ACCOUNTS["subscription"]
GOODS = DEFAULT_ACCOUNTS["equipment_sale"]
NAMES = {"C1": "Alpha SARL", "C2": "Beta GmbH", "C3": "Gamma Ltd"}
CLOSING, OPENING = date(2026, 12, 31), date(2026, 1, 1)


def doc(number, day, ht, vat, *, customer="C1", goods_ht="0", goods_vat="0", credit=False,
        treatment=FRANCE, original="", position=0, vat_number=""):  # fmt: skip
    ht, vat, goods_ht = D(ht), D(vat), D(goods_ht)
    revenue = []
    if goods_ht:
        revenue.append((GOODS, goods_ht))
    if ht - goods_ht:
        revenue.append((SERVICES, ht - goods_ht))
    return SaleDocument(
        number, CREDIT_NOTE if credit else INVOICE, customer, date.fromisoformat(day), ht + vat,
        ht, vat, D("0.20") if vat else D("0.00"), tuple(sorted(revenue)), goods_ht,
        D(goods_vat), treatment, vat_number, original, position,
    )  # fmt: skip


def issued(d: SaleDocument) -> Event:
    """The receivables journal's event of a document (pipeline.receivables.compute)."""
    return Event(DOCUMENT_ISSUED, d.date, d.customer_id, d.number, d.signed_ttc, "m", "s",
                 d.number, details(type=d.type, original_invoice=d.original_invoice))  # fmt: skip


def payment(entry, day, customer, paid: dict[str, str], extra="0", kind=PAYMENT_RECEIVED):
    """The events of one statement credit: received, allocated to invoices, unallocated."""
    day = date.fromisoformat(day)
    total = sum((D(a) for a in paid.values()), D(extra))
    src = ("stmt.xml", "sha-" + entry, entry)
    events = [Event(kind, day, customer, "", total, *src, details(rule="2"))]
    events += [Event(ALLOCATION, day, customer, n, D(a), *src, details(payment=entry))
               for n, a in paid.items()]  # fmt: skip
    if D(extra):
        events.append(Event(UNALLOCATED_CREDIT, day, customer, "", D(extra), *src,
                            details(payment=entry)))  # fmt: skip
    return events


def credit_allocation(note, invoice, amount, day, customer="C1"):
    return Event(ALLOCATION, date.fromisoformat(day), customer, invoice, D(amount), "", "",
                 f"{note}>{invoice}", details(credit_note=note))  # fmt: skip


def returned(entry, day, invoice, amount, reason="AM04", fee="0", customer="C1"):
    day = date.fromisoformat(day)
    src = ("ret.xml", "sha-" + entry, entry)
    events = [Event(DEBIT_RETURNED, day, customer, invoice, D(amount), *src,
                    details(reason=reason, returned=amount))]  # fmt: skip
    if D(fee):
        events.append(Event(RETURN_FEE, day, customer, invoice, D(fee), *src,
                            details(reason=reason)))  # fmt: skip
    return events


def fec(documents, events, *, on_debits=False, opening=OPENING, closing=CLOSING, year=2026):
    year_ = year_entries(documents, numbered([(1, events)]), closing, NAMES, ACCOUNTS, on_debits)
    return fec_lines(year_, opening, closing, NAMES, year), year_


def rows(lines, number=None):
    """(account, aux, debit, credit, letter, date_let) of the lines of entry `number`."""
    return [
        (
            ln.account[0],
            ln.aux[0],
            str(ln.debit),
            str(ln.credit),
            ln.letter,
            ln.date_let.isoformat() if ln.date_let else "",
        )  # fmt: skip
        for ln in lines
        if number is None or ln.entry == number
    ]


def balance(lines, account):
    return sum((ln.debit - ln.credit for ln in lines if ln.account[0] == account), D("0.00"))


def test_r87_letters_run_a_to_z_then_aa():
    assert [letters(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"
    ]  # fmt: skip


def test_r88_a_document_paid_in_two_payments_moves_its_vat_in_two_parts():
    # F1: services 100.00 HT + 20.00 VAT = 120.00, VAT due on receipt: 445740 at invoicing.
    # Payment 1, 50.00: moves 50.00 x 20.00 / 120.00 = 8.3333 -> 8.33.
    # Payment 2, 70.00, settles F1: moves the rest, 20.00 - 8.33 = 11.67. 8.33 + 11.67 = 20.00.
    f1 = doc("F2026-000001", "2026-11-01", "100.00", "20.00")
    events = [issued(f1), *payment("E1", "2026-11-10", "C1", {f1.number: "50.00"}),
              *payment("E2", "2026-11-20", "C1", {f1.number: "70.00"})]  # fmt: skip
    lines, _ = fec([f1], events)
    late = "2026-11-20"
    assert rows(lines, "VE2026-000001") == [
        ("411000", "C1", "120.00", "0.00", "A", late),
        ("706000", "", "0.00", "100.00", "", ""),
        ("445740", "", "0.00", "20.00", "", ""),
    ]
    assert rows(lines, "BQ2026-000001") == [
        ("512000", "", "50.00", "0.00", "", ""),
        ("411000", "C1", "0.00", "50.00", "A", late),
        ("445740", "", "8.33", "0.00", "", ""),
        ("445710", "", "0.00", "8.33", "", ""),
    ]
    assert rows(lines, "BQ2026-000002") == [
        ("512000", "", "70.00", "0.00", "", ""),
        ("411000", "C1", "0.00", "70.00", "A", late),
        ("445740", "", "11.67", "0.00", "", ""),
        ("445710", "", "0.00", "11.67", "", ""),
    ]
    assert balance(lines, "445740") == 0  # everything paid: nothing left pending
    assert balance(lines, "445710") == D("-20.00")  # exactly the invoice's VAT collected
    assert balance(lines, "411000") == 0


def test_r88_vat_on_debits_posts_services_vat_at_invoicing_and_payments_move_nothing():
    f1 = doc("F2026-000001", "2026-11-01", "100.00", "20.00")
    events = [issued(f1), *payment("E1", "2026-11-10", "C1", {f1.number: "50.00"})]
    lines, _ = fec([f1], events, on_debits=True)
    assert rows(lines, "VE2026-000001")[2] == ("445710", "", "0.00", "20.00", "", "")
    assert rows(lines, "BQ2026-000001") == [
        ("512000", "", "50.00", "0.00", "", ""),
        ("411000", "C1", "0.00", "50.00", "", ""),  # F1 still open: not lettered
    ]


def test_r87_a_credit_note_and_its_invoice_are_lettered_together():
    # F2 120.00 (100.00 + 20.00); AV1 12.00 (10.00 + 2.00) on F2, allocated to it (R85);
    # the customer pays 108.00: F2 and AV1 are settled. Letter A on the three 411 lines:
    # 120.00 debit = 12.00 + 108.00 credit. VAT: AV1 takes 2.00 back from 445740 at issue; the
    # payment settles F2 and moves the rest: 20.00 - 2.00 = 18.00 (= 108.00 x 20 / 120).
    f2 = doc("F2026-000002", "2026-11-01", "100.00", "20.00", position=0)
    av1 = doc("AV2026-000001", "2026-11-01", "10.00", "2.00", credit=True,
              original=f2.number, position=1)  # fmt: skip
    events = [issued(f2), issued(av1), credit_allocation(av1.number, f2.number, "12.00",
              "2026-11-01"), *payment("E1", "2026-11-15", "C1", {f2.number: "108.00"})]  # fmt: skip
    lines, _ = fec([f2, av1], events)
    day = "2026-11-15"
    assert rows(lines, "VE2026-000002") == [
        ("411000", "C1", "0.00", "12.00", "A", day),
        ("706000", "", "10.00", "0.00", "", ""),
        ("445740", "", "2.00", "0.00", "", ""),
    ]
    assert rows(lines, "BQ2026-000001")[1:] == [
        ("411000", "C1", "0.00", "108.00", "A", day),
        ("445740", "", "18.00", "0.00", "", ""),
        ("445710", "", "0.00", "18.00", "", ""),
    ]
    assert rows(lines, "VE2026-000001")[0] == ("411000", "C1", "120.00", "0.00", "A", day)
    assert balance(lines, "445740") == 0


def test_r88_a_returned_debit_moves_the_vat_back_and_unletters():
    # F3 120.00 collected and paid on 2026-11-05 (moves 20.00), returned AM04 on 2026-11-12
    # with a 5.00 return fee: 411 debit 120.00, 512 credit 120.00, VAT back 445710 -> 445740
    # 20.00; the fee: 411 debit 5.00, 708800 credit 5.00. F3 is open again: no letter.
    f3 = doc("F2026-000003", "2026-11-01", "100.00", "20.00")
    events = [issued(f3), *payment("E1", "2026-11-05", "C1", {f3.number: "120.00"}),
              *returned("R1", "2026-11-12", f3.number, "120.00", fee="5.00")]  # fmt: skip
    lines, _ = fec([f3], events)
    assert rows(lines, "BQ2026-000002") == [
        ("411000", "C1", "120.00", "0.00", "", ""),
        ("512000", "", "0.00", "120.00", "", ""),
        ("445710", "", "20.00", "0.00", "", ""),
        ("445740", "", "0.00", "20.00", "", ""),
        ("411000", "C1", "5.00", "0.00", "", ""),
        ("708800", "", "0.00", "5.00", "", ""),
    ]
    assert balance(lines, "445740") == D("-20.00")  # pending again
    assert balance(lines, "445710") == 0
    assert balance(lines, "411000") == D("125.00")  # owed again, with the fee
    # paid again on 2026-11-20: the group (invoice, payment, return, payment) is lettered
    events += payment("E2", "2026-11-20", "C1", {f3.number: "120.00"})
    lines, _ = fec([f3], events)
    lettered = [r for r in rows(lines) if r[0] == "411000" and r[4]]
    assert lettered == [
        ("411000", "C1", "120.00", "0.00", "A", "2026-11-20"),
        ("411000", "C1", "0.00", "120.00", "A", "2026-11-20"),
        ("411000", "C1", "120.00", "0.00", "A", "2026-11-20"),
        ("411000", "C1", "0.00", "120.00", "A", "2026-11-20"),
    ]
    assert balance(lines, "445740") == 0 and balance(lines, "445710") == D("-20.00")


def test_r88_an_equipment_sale_is_taxed_at_invoicing():
    # F4: a phone sold 200.00 (goods) + a subscription 30.00 (services) = 230.00 HT; VAT on the
    # total, 46.00 (R2); goods' share 200.00 x 20 % = 40.00 to 445710 at invoicing, services
    # 6.00 to 445740. TTC 276.00. A payment of 138.00 moves 138.00 x 6.00 / 276.00 = 3.00.
    f4 = doc("F2026-000004", "2026-11-01", "230.00", "46.00", goods_ht="200.00",
             goods_vat="40.00")  # fmt: skip
    events = [issued(f4), *payment("E1", "2026-11-10", "C1", {f4.number: "138.00"})]
    lines, year = fec([f4], events)
    assert rows(lines, "VE2026-000001") == [
        ("411000", "C1", "276.00", "0.00", "", ""),
        ("706000", "", "0.00", "30.00", "", ""),
        ("707000", "", "0.00", "200.00", "", ""),
        ("445710", "", "0.00", "40.00", "", ""),
        ("445740", "", "0.00", "6.00", "", ""),
    ]
    assert rows(lines, "BQ2026-000001")[2:] == [
        ("445740", "", "3.00", "0.00", "", ""),
        ("445710", "", "0.00", "3.00", "", ""),
    ]
    # the VAT moves R89 declares: goods 200.00 / 40.00 invoiced, services 15.00 / 3.00 paid
    # (base: 138.00 x 30.00 / 276.00 = 15.00)
    assert [(m.figure, m.base, m.vat) for m in year.moves] == [
        ("goods_invoiced", D("200.00"), D("40.00")),
        ("services_paid", D("15.00"), D("3.00")),
    ]


def test_r87_suspense_and_unallocated_credit_balance_their_bank_entry():
    # a credit of 150.00 pays F1 120.00 and leaves 30.00 of unallocated credit; an unmatched
    # credit of 40.00 goes to suspense (471000)
    f1 = doc("F2026-000001", "2026-11-01", "100.00", "20.00")
    src = ("s.xml", "sha-S", "S1")
    suspense = [
        Event(PAYMENT_RECEIVED, date(2026, 11, 9), "", "", D("40.00"), *src, details(rule="4")),
        Event(SUSPENSE, date(2026, 11, 9), "", "", D("40.00"), *src,
              details(direction="CRDT", reason="x")),
    ]  # fmt: skip
    events = [issued(f1), *payment("E1", "2026-11-10", "C1", {f1.number: "120.00"}, "30.00"),
              *suspense]  # fmt: skip
    lines, _ = fec([f1], events)
    assert rows(lines, "BQ2026-000001") == [
        ("512000", "", "40.00", "0.00", "", ""),
        ("471000", "", "0.00", "40.00", "", ""),
    ]
    assert rows(lines, "BQ2026-000002") == [
        ("512000", "", "150.00", "0.00", "", ""),
        ("411000", "C1", "0.00", "120.00", "A", "2026-11-10"),
        ("445740", "", "20.00", "0.00", "", ""),
        ("445710", "", "0.00", "20.00", "", ""),
        ("411000", "C1", "0.00", "30.00", "", ""),  # unallocated credit: no document, no letter
    ]


def test_r87_a_fiscal_year_that_ends_on_30_june():
    # fiscal_year_end 06-30: the fiscal year 2027 runs 2026-07-01 .. 2027-06-30. F1 (June
    # 2026) belongs to 2026's file; F2 (July 2026) opens 2027's VE sequence. F1 is paid on
    # 2026-07-10: open at the 2026 closing (no letter in 2026's file), lettered A in 2027's
    # file on the payment's line only (the invoice's line is in 2026's file).
    f1 = doc("F2026-000001", "2026-06-01", "100.00", "20.00", position=0)
    f2 = doc("F2026-000002", "2026-07-01", "50.00", "10.00", position=1)
    events = [issued(f1), issued(f2), *payment("E1", "2026-07-10", "C1", {f1.number: "120.00"})]
    y2026, _ = fec([f1, f2], events, opening=date(2025, 7, 1), closing=date(2026, 6, 30),
                   year=2026)  # fmt: skip
    assert {ln.entry for ln in y2026} == {"VE2026-000001"}
    assert [ln.letter for ln in y2026] == ["", "", ""]
    y2027, _ = fec([f1, f2], events, opening=date(2026, 7, 1), closing=date(2027, 6, 30),
                   year=2027)  # fmt: skip
    assert sorted({ln.entry for ln in y2027}) == ["BQ2027-000001", "VE2027-000001"]
    assert [ln.piece for ln in y2027 if ln.entry == "VE2027-000001"][0] == f2.number
    assert rows(y2027, "BQ2027-000001")[1] == ("411000", "C1", "0.00", "120.00", "A",
                                              "2026-07-10")  # fmt: skip


def test_r87_every_entry_balances_and_an_independent_reader_agrees_with_the_receivables():
    # a year with all of the above, read back with Python's csv in the declared encoding:
    # every entry balances, and each customer's 411000 total on the closing date equals its
    # balance computed from the receivables journal (Balances, pipeline.receivables.compute)
    f1 = doc("F2026-000001", "2026-10-01", "100.00", "20.00", position=0)
    f2 = doc("F2026-000002", "2026-10-01", "230.00", "46.00", goods_ht="200.00",
             goods_vat="40.00", customer="C2", position=1)  # fmt: skip
    av1 = doc("AV2026-000001", "2026-10-01", "10.00", "2.00", credit=True, original=f1.number,
              position=2)  # fmt: skip
    f3 = doc("F2026-000003", "2026-11-01", "33.33", "6.67", position=3)
    docs = [f1, f2, av1, f3]
    events = [*map(issued, docs), credit_allocation(av1.number, f1.number, "12.00", "2026-10-01"),
              *payment("E1", "2026-10-20", "C1", {f1.number: "50.00"}),
              *payment("E2", "2026-10-25", "C2", {f2.number: "276.00"}, "4.00"),
              *returned("R1", "2026-10-28", f1.number, "50.00", fee="3.50"),
              *payment("E3", "2026-11-20", "C1", {f1.number: "108.00", f3.number: "40.00"})]  # fmt: skip
    lines, _ = fec(docs, events)
    data = render(lines).decode(ENCODING)
    records = list(csv.DictReader(io.StringIO(data, newline=""), delimiter="|"))
    entries: dict[str, D] = {}
    per_customer: dict[str, D] = {}
    for r in records:
        debit, credit = (D(r[c].replace(",", ".")) for c in ("Debit", "Credit"))
        entries[r["EcritureNum"]] = entries.get(r["EcritureNum"], D(0)) + debit - credit
        if r["CompteNum"] == "411000":
            aux = r["CompAuxNum"]
            per_customer[aux] = per_customer.get(aux, D(0)) + debit - credit
    assert set(entries.values()) == {D("0.00")}
    balances = Balances(events)
    expected = {}
    for d in balances.documents.values():
        expected[d.customer_id] = expected.get(d.customer_id, D(0)) + d.open_balance
    for c, fee in balances.fees.items():
        expected[c] = expected.get(c, D(0)) + fee
    for c, credit in balances.credit.items():
        expected[c] = expected.get(c, D(0)) - credit
    assert per_customer == expected
    # C1: F1 and F3 paid, AV1 allocated, the fee 3.50 still owed; C2 4.00 in credit
    assert per_customer == {"C1": D("3.50"), "C2": D("-4.00")}
    assert balance(lines, "445740") == 0
    # three groups settled, lettered in the order of their last date, then of their first
    # document number: C2's F2 paid on 2026-10-25 -> A; F1's group (F1, AV1, payment E1, its
    # return R1, E3's line for F1) and F3's (F3, E3's line for F3) both on 2026-11-20:
    # "AV2026-000001" < "F2026-000003" -> B, C
    letters_ = {}
    for r in records:
        if r["CompteNum"] == "411000" and r["EcritureLet"]:
            letters_.setdefault(r["EcritureLet"], set()).add((r["PieceRef"], r["DateLet"]))
    assert letters_ == {
        "A": {("F2026-000002", "20261025"), ("E2", "20261025")},
        "B": {("F2026-000001", "20261120"), ("AV2026-000001", "20261120"),
              ("E1", "20261120"), ("R1", "20261120"), ("E3", "20261120")},
        "C": {("F2026-000003", "20261120"), ("E3", "20261120")},
    }  # fmt: skip
    # the header and the 18 columns; numbers unbroken per journal
    assert len(records[0]) == 18
    for journal in ("VE", "BQ"):
        numbers = sorted({r["EcritureNum"] for r in records if r["JournalCode"] == journal})
        assert numbers == [f"{journal}2026-{i:06d}" for i in range(1, len(numbers) + 1)]


def test_r87_the_same_events_give_the_same_bytes():
    f1 = doc("F2026-000001", "2026-11-01", "100.00", "20.00")
    events = [issued(f1), *payment("E1", "2026-11-10", "C1", {f1.number: "120.00"})]
    assert render(fec([f1], events)[0]) == render(fec([f1], list(events))[0])


@pytest.mark.parametrize("treatment", [EU_REVERSE_CHARGE, OUTSIDE_EU])
def test_r87_a_document_without_french_vat_posts_no_vat(treatment):
    f1 = doc("F2026-000001", "2026-11-01", "100.00", "0.00", treatment=treatment, customer="C2")
    lines, year = fec([f1], [issued(f1)])
    assert rows(lines) == [
        ("411000", "C2", "100.00", "0.00", "", ""),
        ("706000", "", "0.00", "100.00", "", ""),
    ]
    assert year.moves == []


def _ca3(documents, year_, first, last):
    return [(r.box, r.base, r.vat) for r in ca3(documents, year_.moves, first, last)]


NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def test_r89_a_reverse_charge_customer_with_a_credit_note_in_the_des():
    # C2 (Germany, reverse charge): F1 500.00 HT of services in November, AV1 50.00 HT on it
    # in November: DES 500.00 - 50.00 = 450.00; CA3 E2 (intra-EU services) 450.00, no VAT.
    # C3 (outside the EU): F2 80.00 services + 120.00 goods: E2 (outside EU) 80.00, E1 120.00.
    # A December invoice of C2 is not in November's DES.
    f1 = doc("F2026-000001", "2026-11-01", "500.00", "0.00", customer="C2",
             treatment=EU_REVERSE_CHARGE, vat_number="DE811907980", position=0)  # fmt: skip
    f2 = doc("F2026-000002", "2026-11-01", "200.00", "0.00", customer="C3", goods_ht="120.00",
             treatment=OUTSIDE_EU, position=1)  # fmt: skip
    av1 = doc("AV2026-000001", "2026-11-20", "50.00", "0.00", customer="C2", credit=True,
              treatment=EU_REVERSE_CHARGE, original=f1.number, position=2)  # fmt: skip
    f3 = doc("F2026-000003", "2026-12-01", "70.00", "0.00", customer="C2",
             treatment=EU_REVERSE_CHARGE, vat_number="DE811907980", position=3)  # fmt: skip
    docs = [f1, f2, av1, f3]
    assert des(docs, *NOVEMBER) == [DesRow("C2", "DE811907980", D("450.00"))]
    _, year_ = fec(docs, [issued(d) for d in docs])
    assert _ca3(docs, year_, *NOVEMBER) == [
        ("A1", D("0.00"), None),
        ("08", D("0.00"), D("0.00")),
        ("E1", D("120.00"), None),
        ("E2", D("450.00"), None),
        ("E2", D("80.00"), None),
        ("F2", D("0.00"), None),
        ("21", D("0.00"), D("0.00")),
        ("21", D("0.00"), D("0.00")),
    ]


def test_r89_the_ca3_agrees_with_the_years_fec_over_the_same_dates():
    # November: F4 (goods 200.00 / VAT 40.00 + services 30.00 / 6.00) invoiced, half paid
    # (services: base 15.00, VAT 3.00); F1 (October, 100.00 / 20.00) paid 50.00 (8.33, base
    # 50.00 x 100.00 / 120.00 = 41.67) then returned (back 8.33 / 41.67); AV2 on goods of F4:
    # 20.00 HT / 4.00 VAT taken back from 445710. 08: 200.00 + 15.00 + 41.67 = 256.67 base,
    # 40.00 + 3.00 + 8.33 = 51.33 VAT; 21: 4.00 (credit note) and 8.33 (returned).
    # Net: 51.33 - 4.00 - 8.33 = 39.00 = what November's entries credit to 445710.
    f1 = doc("F2026-000001", "2026-10-01", "100.00", "20.00", position=0)
    f4 = doc("F2026-000004", "2026-11-01", "230.00", "46.00", goods_ht="200.00",
             goods_vat="40.00", position=1)  # fmt: skip
    av2 = doc("AV2026-000002", "2026-11-05", "20.00", "4.00", goods_ht="20.00", goods_vat="4.00",
              credit=True, original=f4.number, position=2)  # fmt: skip
    docs = [f1, f4, av2]
    events = [*map(issued, docs),
              *payment("E1", "2026-11-10", "C1", {f4.number: "138.00"}),
              *payment("E2", "2026-11-11", "C1", {f1.number: "50.00"}),
              *returned("R1", "2026-11-18", f1.number, "50.00")]  # fmt: skip
    lines, year_ = fec(docs, events)
    figures = _ca3(docs, year_, *NOVEMBER)
    assert figures[1] == ("08", D("256.67"), D("51.33"))
    assert figures[6:] == [("21", D("20.00"), D("4.00")), ("21", D("41.67"), D("8.33"))]
    november = [ln for ln in lines if NOVEMBER[0] <= ln.entry_date <= NOVEMBER[1]]
    assert -balance(november, "445710") == figures[1][2] - figures[6][2] - figures[7][2]
    assert -balance(november, "445710") == D("39.00")
    # and each month of the year: the VAT figures agree with the FEC's 445710 over its dates
    for month in range(1, 13):
        first = date(2026, month, 1)
        last = date(2026 + month // 12, month % 12 + 1, 1) - (date(2026, 1, 2) - date(2026, 1, 1))
        rows_ = ca3(docs, year_.moves, first, last)
        net = rows_[1].vat - rows_[6].vat - rows_[7].vat
        assert net == -balance([ln for ln in lines if first <= ln.entry_date <= last], "445710")


@settings(max_examples=60, deadline=None)
@given(
    ht=st.integers(min_value=1, max_value=100_000),
    goods=st.integers(min_value=0, max_value=100_000),
    cuts=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=4),
)
def test_r88_payments_move_exactly_the_services_vat_and_every_entry_balances(ht, goods, cuts):
    # any invoice (services ht cents + goods cents, VAT 20 % on the total, R2) paid in any
    # number of parts: the parts move exactly the services' VAT, 445740 ends at 0, 445710
    # holds the whole VAT, every entry balances, and the invoice's lines are lettered
    services_ht = D(ht) / 100
    goods_ht = D(goods) / 100
    total_ht = services_ht + goods_ht
    vat = round_line(total_ht * D("0.20"))
    goods_vat = round_line(goods_ht * D("0.20"))
    f1 = doc("F2026-000001", "2026-03-01", str(total_ht), str(vat), goods_ht=str(goods_ht),
             goods_vat=str(goods_vat))  # fmt: skip
    ttc = total_ht + vat
    parts, left = [], ttc
    for cut in cuts:
        part = min(left, D(cut) / 100)
        if part <= 0:
            break
        parts.append(part)
        left -= part
    if left > 0:
        parts.append(left)
    events = [issued(f1)]
    for i, part in enumerate(parts):
        events += payment(f"E{i}", f"2026-03-{10 + i:02d}", "C1", {f1.number: str(part)})
    lines, year_ = fec([f1], events)
    assert balance(lines, "445740") == 0
    assert balance(lines, "445710") == -vat
    assert sum((m.vat for m in year_.moves), D("0.00")) == vat
    by_entry: dict[str, D] = {}
    for ln in lines:
        by_entry[ln.entry] = by_entry.get(ln.entry, D(0)) + ln.debit - ln.credit
    assert set(by_entry.values()) == {D("0.00")}
    assert {ln.letter for ln in lines if ln.account[0] == "411000"} == {"A"}


def test_r87_fec_and_vat_refuse_bad_input_with_a_french_message(ws):
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    result = cli("fec", "--year", "26", *folders)
    assert result.exit_code == 2
    assert "--year : une année sur 4 chiffres attendue (AAAA), lu '26'" in result.output
    result = cli("vat", "--month", "2026-13", *folders)
    assert result.exit_code == 2
    # nothing issued yet: no entry, nothing written
    result = cli("fec", "--year", "2026", *folders)
    assert result.exit_code == 0, result.output
    assert "aucune écriture (rien n'est écrit)" in result.output
    assert not list(ws.out.glob("*FEC*")) if ws.out.exists() else True
    provider = ws.data / "provider.toml"
    provider.write_text(provider.read_text() + 'vat_on_debits = "yes"\n', encoding="utf-8")
    result = cli("fec", "--year", "2026", *folders)
    assert result.exit_code == 2
    assert "vat_on_debits = 'yes' : true ou false attendu" in result.output


def test_r87_the_fiscal_year_ending_in_yyyy():
    assert fiscal_bounds(2026, (12, 31)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert fiscal_bounds(2027, (6, 30)) == (date(2026, 7, 1), date(2027, 6, 30))
    # a year closing on 29 February closes on the 28th in a common year
    assert fiscal_bounds(2024, (2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))
    assert fiscal_bounds(2025, (2, 29)) == (date(2024, 3, 1), date(2025, 2, 28))


@settings(max_examples=40, deadline=None)
@given(
    ht=st.integers(min_value=100, max_value=50_000),
    credit=st.integers(min_value=0, max_value=99),
    cuts=st.lists(st.integers(min_value=1, max_value=5_000), min_size=1, max_size=3),
    returned_first=st.booleans(),
)
def test_r87_r88_any_history_balances_and_agrees_with_the_receivables(
    ht, credit, cuts, returned_first
):
    # an invoice, maybe a credit note on it (credit % of its HT), payments in parts, maybe the
    # first payment returned (then paid again at the end): every entry balances, the customer's
    # 411000 equals its balance from the receivables journal, VAT only moves between 445740 and
    # 445710 (their sum is the documents' VAT), and once all is paid 445740 is 0
    f1 = doc("F2026-000001", "2026-03-01", str(D(ht) / 100), str(round_line(D(ht) / 500)))
    docs, events = [f1], [issued(f1)]
    left = f1.ttc
    if credit:
        note_ht = round_line(f1.ht * credit / 100)
        note = doc("AV2026-000001", "2026-03-01", str(note_ht), str(round_line(note_ht / 5)),
                   credit=True, original=f1.number, position=1)  # fmt: skip
        docs.append(note)
        events += [issued(note), credit_allocation(note.number, f1.number, str(note.ttc),
                                                   "2026-03-01")]  # fmt: skip
        left -= note.ttc
    parts = []
    for cut in cuts:
        part = min(left, D(cut) / 100)
        if part > 0:
            parts.append(part)
            left -= part
    if left > 0:
        parts.append(left)
    for i, part in enumerate(parts):
        events += payment(f"E{i}", f"2026-03-{10 + i:02d}", "C1", {f1.number: str(part)})
    if returned_first:
        events += returned("R1", "2026-03-20", f1.number, str(parts[0]))
        events += payment("E9", "2026-03-25", "C1", {f1.number: str(parts[0])})
    lines, _ = fec(docs, events)
    entries: dict[str, D] = {}
    for ln in lines:
        entries[ln.entry] = entries.get(ln.entry, D(0)) + ln.debit - ln.credit
    assert set(entries.values()) == {D("0.00")}
    balances = Balances(events)
    owed = sum((d.open_balance for d in balances.documents.values()), D("0.00"))
    assert balance(lines, "411000") == owed == 0
    vat = sum((-d.vat if d.credit_note else d.vat for d in docs), D("0.00"))
    assert balance(lines, "445740") + balance(lines, "445710") == -vat
    assert balance(lines, "445740") == 0


def test_r87_messages_in_english(ws, english):
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    result = cli("fec", "--year", "2026", *folders)
    assert result.exit_code == 0, result.output
    assert "fiscal year 2026-01-01 .. 2026-12-31: no entry (nothing written)" in result.output
    result = cli("fec", "--year", "MMXXVI", *folders)
    assert "--year: expected a 4-digit year (YYYY), got 'MMXXVI'" in result.output


def test_r87_r85_an_assigned_suspense_item_and_an_overpayments_credit_balance():
    # F1 120.00 (VAT 20.00 due on receipt) and F2 60.00 (VAT 10.00), customer C1.
    # E1: 150.00 names F1: 120.00 paid, 30.00 unallocated credit, given at once to F2 (R85,
    # same journal file, same statement line): BQ 512 D 150.00 | 411 C 120.00 (F1) + 411 C
    # 30.00 (credit) + 411 D 30.00 / 411 C 30.00 (F2); VAT moved 20.00 (F1 settled) and
    # 30.00 x 10.00 / 60.00 = 5.00 (F2).
    # S1: 30.00 in suspense, assigned to C1 (no invoice) on 2026-12-01: OD 471 D 30.00 | 411 C
    # 30.00 credit, then 411 D 30.00 / 411 C 30.00 (F2, settled: the rest of its VAT, 5.00).
    f1 = doc("F2026-000001", "2026-11-01", "100.00", "20.00")
    f2 = doc("F2026-000002", "2026-11-01", "50.00", "10.00")
    src = ("stmt.xml", "sha-E1", "E1")
    day = date(2026, 11, 10)
    events = [issued(f1), issued(f2), *payment("E1", "2026-11-10", "C1", {f1.number: "120.00"},
                                              extra="30.00"),
              Event(ALLOCATION, day, "C1", f2.number, D("30.00"), *src, details(credit="E1"))]  # fmt: skip
    s1 = ("stmt.xml", "sha-S1", "S1")
    events += [
        Event(PAYMENT_RECEIVED, day, "", "", D("30.00"), *s1, details(rule="4")),
        Event(SUSPENSE, day, "", "", D("30.00"), *s1, details(reason="x", direction="CRDT")),
    ]
    assigned = date(2026, 12, 1)
    events += [
        Event(SUSPENSE_ASSIGNED, assigned, "C1", "", D("30.00"), *s1, details(invoice="")),
        Event(UNALLOCATED_CREDIT, assigned, "C1", "", D("30.00"), *s1, details(payment="S1")),
        Event(ALLOCATION, assigned, "C1", f2.number, D("30.00"), *s1, details(credit="S1")),
    ]
    lines, year = fec([f1, f2], events)
    assert balance(lines, "411000") == D("0.00")  # both invoices settled
    assert balance(lines, "471000") == D("0.00")  # the suspense item left suspense
    assert balance(lines, "512000") == D("180.00")
    assert balance(lines, "445740") == D("0.00") and balance(lines, "445710") == D("-30.00")
    for number in {ln.entry for ln in lines}:
        entry = [ln for ln in lines if ln.entry == number]
        assert sum((ln.debit for ln in entry), D(0)) == sum((ln.credit for ln in entry), D(0))


def test_r87_late_charge_lines_post_interest_and_indemnity_to_their_accounts():
    # a charge invoice of 2026-12-16 (R91, the dunning stage): one `late_charge` event per
    # line, its kind saying which: interest 1.51 -> 763100, the indemnity 40.00 -> 758800,
    # 411000 C1 debited 41.51 in two OD entries
    src = ("receivables/charges/2026-12-16-01/invoice_lines.csv", "sha-ch")
    day = date(2026, 12, 16)
    events = [
        Event(LATE_CHARGE, day, "C1", "F2026-000002", D("1.51"), *src, "F2026-000090/1",
              details(kind="late_interest", charged_in="F2026-000090")),
        Event(LATE_CHARGE, day, "C1", "F2026-000002", D("40.00"), *src, "F2026-000090/2",
              details(kind="recovery_indemnity", charged_in="F2026-000090")),
    ]  # fmt: skip
    lines, _ = fec([], events)
    assert balance(lines, "763100") == D("-1.51")
    assert balance(lines, "758800") == D("-40.00")
    assert balance(lines, "411000") == D("41.51")
    assert {ln.entry[:2] for ln in lines} == {"OD"}
