"""Receivables (issue 27): payment methods and mandates (R80), what a debited customer's
documents say (R81), collections (R82) and the receivables journal (R83).

The workspace: C1 (France) pays by SEPA direct debit with mandate RUM-C1-001 (CORE, signed
2026-01-15); C2 pays by transfer. Its plan is 25.00 HT a month: 30.00 TTC. September's invoice
F2026-000001 is dated 2026-10-01, due 2026-10-31 (a Saturday); October's F2026-000002 is
dated 2026-11-01, due 2026-12-01. prenotification_days 14: the due dates stay the debit dates.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import xmlschema
from conftest import Workspace, cli, header, write_rows
from pypdf import PdfReader

from pipeline.billing.debit import debit_date, mask_iban
from pipeline.core import data_contract as contract
from pipeline.exports.einvoice.check import Checker, embedded_xml
from pipeline.receivables.collect import plan_collection, requested_date
from pipeline.receivables.compute import Balances, allocation_events
from pipeline.receivables.journal import DOCUMENT_ISSUED, Event, details

IBAN_C1 = "FR7630006000011234567890189"
ICS = "FR07ZZZ552008"
MANDATE = ["RUM-C1-001", "C1", IBAN_C1, "2026-01-15", "CORE", "", ""]
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _debited(ws: Workspace, mandates: list[list[str]] | None = None, ics: str = ICS) -> None:
    rows = list(csv.reader(open(ws.table("customers.csv"), encoding="utf-8")))
    rows[0] += ["itemised_full_numbers", "electronic_address", "payment_method", "iban"]
    rows[1] += ["", "", "sepa_debit", ""]
    rows[2] += ["", "", "", ""]
    write_rows(ws.table("customers.csv"), rows)
    write_rows(ws.table("mandates.csv"), [header(contract.MANDATES), *(mandates or [MANDATE])])
    provider = ws.data / "provider.toml"
    provider.write_text(provider.read_text() + f'creditor_id = "{ics}"\n', encoding="utf-8")


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("receivables"))
    _debited(ws)
    ws.bill_months("2026-09", "2026-10")
    return ws


@pytest.fixture
def books(billed, tmp_path) -> Workspace:
    return billed.copy(tmp_path / "copy")


def collect(ws: Workspace, day: str, *extra: str):
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    return cli("collect", "--date", day, *extra, *folders)


def tree(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


def collection_rows(ws: Workspace, name: str) -> list[dict[str, str]]:
    path = ws.out / "receivables" / "collections" / name / "collection.csv"
    return list(csv.DictReader(open(path, encoding="utf-8")))


# --- R80: inputs ------------------------------------------------------------------------------


def test_r80_an_iban_with_a_bad_checksum_is_refused_with_file_and_line(ws):
    _debited(ws, [[*MANDATE[:2], "FR7630006000011234567890188", *MANDATE[3:]]])
    result = ws.bill("2026-09")
    assert result.exit_code == 2
    assert (
        f"{ws.table('mandates.csv')}, ligne 2 : iban 'FR7630006000011234567890188' : IBAN invalide"
        in result.output
    )
    assert not ws.out.exists() or not any(ws.out.glob("2026-*"))


def test_r80_a_bad_creditor_identifier_is_refused(ws):
    _debited(ws, ics="FR08ZZZ552008")
    result = ws.bill("2026-09")
    assert result.exit_code == 2
    assert (
        "provider.toml : creditor_id = 'FR08ZZZ552008' : ce n'est pas un identifiant créancier"
        in result.output
    )


def test_r80_two_mandates_in_force_are_refused(ws):
    second = ["RUM-C1-002", "C1", "DE89370400440532013000", "2026-06-01", "CORE", "", ""]
    _debited(ws, [MANDATE, second])
    ws.cdrs("2026-09", [])
    result = ws.bill("2026-09")
    assert result.exit_code == 2
    assert (
        f"{ws.table('mandates.csv')}, ligne 3 : deux mandats du client C1 sont en vigueur"
        in result.output
    )
    assert "RUM-C1-001" in result.output and "RUM-C1-002" in result.output
    assert not (ws.out / "2026-09").exists()


# --- R81: the documents of a debited customer ---------------------------------------------------


def test_r81_debited_invoice_csv_columns_and_transfer_customer_unchanged(billed):
    rows = billed.read_csv("2026-10", "invoices.csv")
    c1 = next(r for r in rows if r["customer_id"] == "C1")
    assert (c1["payment_method"], c1["mandate_id"], c1["creditor_id"]) == (
        "sepa_debit",
        "RUM-C1-001",
        ICS,
    )
    assert (c1["debited_iban"], c1["debit_date"], c1["due_date"]) == (
        IBAN_C1,
        "2026-12-01",
        "2026-12-01",
    )


def test_r81_factur_x_carries_means_59_and_bt89_bt90_bt91_and_passes_the_xsd(billed):
    pdf = (billed.out / "2026-10" / "documents" / "F2026-000002.pdf").read_bytes()
    xml = embedded_xml(pdf)
    assert Checker(schematrons=False).check(xml) == []
    from lxml import etree

    root = etree.fromstring(xml)
    assert root.xpath(
        "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()", namespaces=NS
    ) == ["59"]
    assert root.xpath("//ram:DirectDebitMandateID/text()", namespaces=NS) == ["RUM-C1-001"]
    assert root.xpath("//ram:CreditorReferenceID/text()", namespaces=NS) == [ICS]
    assert root.xpath(
        "//ram:PayerPartyDebtorFinancialAccount/ram:IBANID/text()", namespaces=NS
    ) == [IBAN_C1]


def test_r81_debited_factur_x_passes_both_schematrons(billed):
    pdf = (billed.out / "2026-10" / "documents" / "F2026-000002.pdf").read_bytes()
    assert Checker().check(embedded_xml(pdf)) == []


def test_r81_the_pdf_masks_the_debited_iban_but_its_last_4_characters(billed):
    pdf = (billed.out / "2026-10" / "documents" / "F2026-000002.pdf").read_bytes()
    raw = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    assert "compte débité : **** **** **** **** **** ***0 189" in text
    assert "Paiement par prélèvement SEPA le 01/12/2026" in text and "RUM-C1-001" in text
    assert IBAN_C1 not in text.replace(" ", "")
    assert mask_iban(IBAN_C1) == "**** **** **** **** **** ***0 189"


def test_r81_debit_date_moves_to_document_date_plus_prenotification_days():
    # due 2026-12-01; dated 2026-11-01 + 45 days = 2026-12-16, later: the debit moves
    assert debit_date(date(2026, 12, 1), date(2026, 11, 1), 45) == date(2026, 12, 16)
    assert debit_date(date(2026, 12, 1), date(2026, 11, 1), 14) == date(2026, 12, 1)


# --- R82: collections -------------------------------------------------------------------------


def test_r82_frst_then_rcur_saturday_moved_to_monday_and_the_xsd(books):
    first = collect(books, "2026-10-28")
    assert first.exit_code == 0, first.output
    # F2026-000001 due Saturday 2026-10-31 (within 2026-10-28 + 5): moved to Monday 2026-11-02
    assert [
        (r["invoice_number"], r["sequence_type"], r["collection_date"], r["amount"])
        for r in collection_rows(books, "2026-10-28-01")
    ] == [("F2026-000001", "FRST", "2026-11-02", "30.00")]
    second = collect(books, "2026-11-26")
    assert second.exit_code == 0, second.output
    assert [
        (r["invoice_number"], r["sequence_type"], r["collection_date"], r["amount"])
        for r in collection_rows(books, "2026-11-26-01")
    ] == [("F2026-000002", "RCUR", "2026-12-01", "30.00")]
    xml = (books.out / "receivables/collections/2026-11-26-01/pain.008.xml").read_bytes()
    import sepaxml

    schema = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd"
    xmlschema.XMLSchema(str(schema)).validate(xml.decode())
    assert b"<MsgId>2026-11-26-01</MsgId><CreDtTm>2026-11-26T00:00:00</CreDtTm>" in xml
    assert b"<EndToEndId>F2026-000002</EndToEndId>" in xml


def test_r82_a_requested_date_on_25_december_moves_past_the_target2_holidays():
    # 25 Dec 2026 is a Friday (TARGET2 closed), 26-27 the weekend: Monday 28 December
    assert requested_date(date(2026, 12, 25), date(2026, 12, 20)) == date(2026, 12, 28)
    # D + 1 TARGET2 day: D = Thursday 31 Dec 2026 -> 1 Jan closed -> Monday 4 Jan 2027
    assert requested_date(date(2026, 12, 1), date(2026, 12, 31)) == date(2027, 1, 4)


def _doc(number, kind, amount, day, **extra) -> Event:
    return Event(
        DOCUMENT_ISSUED,
        day,
        "C1",
        number,
        Decimal(amount),
        "f",
        "",
        number,
        details(type=kind, **extra),
    )


def test_r82_r85_a_credit_note_reduces_the_collected_amount():
    events = [
        _doc(
            "F2026-000001",
            "invoice",
            "30.00",
            date(2026, 11, 1),
            due_date="2026-12-01",
            payment_method="sepa_debit",
            mandate_id="RUM-C1-001",
            debit_date="2026-12-01",
        ),
        _doc(
            "AV2026-000001",
            "credit_note",
            "-6.00",
            date(2026, 11, 1),
            original_invoice="F2026-000001",
        ),
    ]
    allocations = allocation_events(events)
    assert [(a.document, a.amount, a.detail("credit_note")) for a in allocations] == [
        ("F2026-000001", Decimal("6.00"), "AV2026-000001")
    ]
    mandates = SimpleNamespace(
        rows=[
            dict(
                zip(
                    contract.MANDATES.names,
                    [*MANDATE[:3], date(2026, 1, 15), "CORE", None, None],
                    strict=True,
                )
            )
        ],
        where=lambda i: ("mandates.csv", i + 2),
    )
    reference = {
        "ref_mandates": mandates,
        "ref_customers": SimpleNamespace(rows=[{"customer_id": "C1", "name": "Alpha"}]),
    }
    plan = plan_collection(Balances(events + allocations), date(2026, 11, 26), reference, 5)
    assert [(t.invoice_number, t.amount, t.sequence_type) for t in plan] == [
        ("F2026-000001", Decimal("24.00"), "FRST")
    ]


def test_r82_the_same_collect_twice_collects_nothing_twice(books):
    assert collect(books, "2026-11-26").exit_code == 0
    before = tree(books.out)
    again = collect(books, "2026-11-26")
    assert again.exit_code == 0
    assert "rien à prélever" in again.output or "nothing to collect" in again.output
    assert tree(books.out) == before


def test_r82_dry_run_writes_nothing(books):
    before = tree(books.out)
    result = collect(books, "2026-11-26", "--dry-run")
    assert result.exit_code == 0
    assert "F2026-000001" in result.output and "F2026-000002" in result.output
    assert tree(books.out) == before


# --- R83: the journal ---------------------------------------------------------------------------


def _journal(ws: Workspace) -> list[Path]:
    return sorted((ws.out / "receivables" / "journal").glob("*.json"))


def test_r83_an_edited_journal_file_is_found(books):
    assert collect(books, "2026-11-26").exit_code == 0
    path = _journal(books)[0]
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    path.write_text(path.read_text().replace('"30.00"', '"3.00"', 1))
    result = collect(books, "2026-12-20")
    assert result.exit_code == 1
    assert "changed since written" in result.output or "modifié" in result.output
    assert books.bill("2026-10").exit_code == 1  # before any run


def test_r83_a_deleted_journal_file_is_found(books):
    assert collect(books, "2026-11-26").exit_code == 0
    files = _journal(books)
    assert len(files) == 3  # bill 2026-09, bill 2026-10, the collection
    files[-1].unlink()  # the file recording the collection
    result = collect(books, "2026-12-20")
    assert result.exit_code == 1
    assert "2026-11-26-01" in result.output
    files[0].unlink()
    assert collect(books, "2026-12-20").exit_code == 1


def test_r83_months_issued_before_the_journal_enter_it_once(books):
    # OUT as a version before the journal left it: the issued months only
    for path in _journal(books):
        path.unlink()
    (books.out / "receivables" / "journal").rmdir()
    assert collect(books, "2026-11-26").exit_code == 0
    assert collect(books, "2026-12-28").exit_code == 0  # nothing new to collect
    events = [
        e
        for path in _journal(books)
        for e in json.loads(path.read_text())["events"]
        if e["kind"] == DOCUMENT_ISSUED
    ]
    assert [(e["document"], e["amount"], e["date"]) for e in events] == [
        ("F2026-000001", "30.00", "2026-10-01"),
        ("F2026-000002", "30.00", "2026-11-01"),
    ]
    assert events[0]["source"]["file"] == "2026-09/invoices.csv"
