"""Issue 6: the FEC (art. A47 A-1 LPF) of each month: 18 fields, '|', dates YYYYMMDD, decimal
comma, one balanced entry per invoice and per credit note, numbers continued across months."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from pipeline.billing.accounting import entries, text
from pipeline.core.dates import Month
from pipeline.exports.fec import FEC_COLUMNS, amount
from pipeline.ledger.compare import read_fec
from pipeline.ledger.snapshot import read_snapshot
from tests.conftest import Workspace
from tests.scenarios import C2_MOBILE, UK_MOBILE, calls, fields

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")

SIREN = "732829320"  # provider.toml of tests/conftest.py


def with_sla_credit(ws: Workspace) -> None:
    """C1 (FR, eligible, plan 25.00) loses 80 min in October 2026 (44,700 min): availability
    99.8210 %, tier 5 % -> credit 1.25 HT + 0.25 VAT, claimed in November. C2 (BE, reverse
    charge) pays an option 30.00 with no VAT."""
    ws.add_rows(
        "incidents.csv",
        [fields("I1,2026-10-05T10:00:00+02:00,2026-10-05T11:20:00+02:00,false,C1,trunk")],
    )
    ws.add_rows("sla_claims.csv", [["C1", "2026-10", "2026-11-05"]])
    ws.add_rows(
        "subscriptions.csv", [["S2", "C2", "OPT_IVR", "30.00", "2026-01-05", "0", "", "", ""]]
    )


@pytest.fixture(scope="module")
def credited(tmp_path_factory) -> Workspace:
    """with_sla_credit billed for October and November, without calls: read it only."""
    ws = Workspace(tmp_path_factory.mktemp("credited"))
    with_sla_credit(ws)
    ws.bill_months("2026-10", "2026-11")
    return ws


def fec_path(ws: Workspace, month: str, day: str):
    """The month's FEC, named after the closing day of its fiscal year (`day`)."""
    return ws.out / month / f"{SIREN}FEC{day}.txt"


def test_fec_file_format_header_encoding_and_record_ends(credited):
    path = fec_path(credited, "2026-10", "20261231")
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") == 6  # header + 3 + 2 records, CR LF
    lines = raw.decode("iso-8859-15").split("\r\n")
    assert lines[0] == "|".join(FEC_COLUMNS)
    assert len(FEC_COLUMNS) == 18
    assert lines[1:-1] == [
        "VE|Ventes|VE2026-000001|20261101|411000|Clients|C1|Alpha SARL|F2026-000001|20261101|"
        "Facture F2026-000001 Alpha SARL|30,00|0,00|||20261101||",
        "VE|Ventes|VE2026-000001|20261101|706000|Prestations de services|||F2026-000001|20261101|"
        "Facture F2026-000001 Alpha SARL|0,00|25,00|||20261101||",
        # R88: services taxed on receipt (vat_on_debits false): their VAT waits on 445740
        "VE|Ventes|VE2026-000001|20261101|445740|TVA collectée en attente d'encaissement|||"
        "F2026-000001|20261101|Facture F2026-000001 Alpha SARL|0,00|5,00|||20261101||",
        # reverse charge: no VAT line
        "VE|Ventes|VE2026-000002|20261101|411000|Clients|C2|Beta BV|F2026-000002|20261101|"
        "Facture F2026-000002 Beta BV|30,00|0,00|||20261101||",
        "VE|Ventes|VE2026-000002|20261101|706000|Prestations de services|||F2026-000002|20261101|"
        "Facture F2026-000002 Beta BV|0,00|30,00|||20261101||",
    ]
    assert "é".encode("iso-8859-15") in raw  # "TVA collectée" in ISO 8859-15, one byte


def test_credit_note_entry_is_reversed_and_numbers_continue_across_months(credited):
    rows = read_fec(fec_path(credited, "2026-11", "20261231"))
    assert [
        (r["EcritureNum"], r["PieceRef"], r["CompteNum"], r["Debit"], r["Credit"], r["EcritureLib"])
        for r in rows
    ] == [
        (
            "VE2026-000003",
            "F2026-000003",
            "411000",
            "30,00",
            "0,00",
            "Facture F2026-000003 Alpha SARL",
        ),
        (
            "VE2026-000003",
            "F2026-000003",
            "706000",
            "0,00",
            "25,00",
            "Facture F2026-000003 Alpha SARL",
        ),
        (
            "VE2026-000003",
            "F2026-000003",
            "445740",  # R88: services' VAT due on receipt
            "0,00",
            "5,00",
            "Facture F2026-000003 Alpha SARL",
        ),
        (
            "VE2026-000004",
            "F2026-000004",
            "411000",
            "30,00",
            "0,00",
            "Facture F2026-000004 Beta BV",
        ),
        (
            "VE2026-000004",
            "F2026-000004",
            "706000",
            "0,00",
            "30,00",
            "Facture F2026-000004 Beta BV",
        ),
        (
            "VE2026-000005",
            "AV2026-000001",
            "411000",
            "0,00",
            "1,50",
            "Avoir AV2026-000001 sur F2026-000001 Alpha SARL",
        ),
        (
            "VE2026-000005",
            "AV2026-000001",
            "706000",
            "1,25",
            "0,00",
            "Avoir AV2026-000001 sur F2026-000001 Alpha SARL",
        ),
        (
            "VE2026-000005",
            "AV2026-000001",
            "445740",
            "0,25",
            "0,00",
            "Avoir AV2026-000001 sur F2026-000001 Alpha SARL",
        ),
    ]
    assert {r["EcritureDate"] for r in rows} == {r["PieceDate"] for r in rows} == {"20261201"}
    assert {r["ValidDate"] for r in rows} == {"20261201"}
    assert {r["CompAuxNum"] for r in rows if r["CompteNum"] != "411000"} == {""}


def _dec(text_value: str) -> Decimal:
    return Decimal(text_value.replace(",", "."))


def test_every_entry_balances_and_totals_equal_the_documents(ws):
    with_sla_credit(ws)
    ws.cdrs("2026-10", calls(UK_MOBILE, C2_MOBILE))
    ws.bill_months("2026-10", "2026-11")
    for month, day in (("2026-10", "20261231"), ("2026-11", "20261231")):
        rows = read_fec(fec_path(ws, month, day))
        balance: dict[str, Decimal] = defaultdict(Decimal)
        by_account: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for r in rows:
            assert list(r) == list(FEC_COLUMNS)
            balance[r["EcritureNum"]] += _dec(r["Debit"]) - _dec(r["Credit"])
            by_account[r["CompteNum"]][0] += _dec(r["Debit"])
            by_account[r["CompteNum"]][1] += _dec(r["Credit"])
        assert set(balance.values()) == {Decimal("0.00")}, balance
        invoices = ws.read_csv(month, "invoices.csv")
        credits = ws.read_csv(month, "credit_notes.csv")
        assert len(balance) == len(invoices) + len(credits)

        def total(docs, column):
            return sum((Decimal(d[column]) for d in docs), Decimal("0.00"))

        assert by_account["411000"] == [total(invoices, "total_ttc"), total(credits, "amount_ttc")]
        assert by_account["706000"] == [total(credits, "amount_ht"), total(invoices, "total_ht")]
        # R88: services only here, their VAT due on receipt: 445740
        assert by_account["445740"] == [total(credits, "amount_vat"), total(invoices, "total_vat")]
    # October: C1 25.00 + 0.18 usage = 25.18 HT, 5.04 VAT; C2 30.00 + 0.09 usage, no VAT
    october = read_fec(fec_path(ws, "2026-10", "20261231"))
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in october] == [
        ("411000", "30,22", "0,00"),
        ("706000", "0,00", "25,18"),
        ("445740", "0,00", "5,04"),
        ("411000", "30,09", "0,00"),
        ("706000", "0,00", "30,09"),
    ]


def test_fec_name_and_manifest(credited):
    manifest = json.loads((credited.out / "2026-10" / "manifest.json").read_text(encoding="utf-8"))
    # A47 A-1 LPF: the closing date of the fiscal year (31 December by default)
    assert manifest["exports"]["fec"] == "732829320FEC20261231.txt"
    assert "732829320FEC20261231.txt" in manifest["outputs"]


def test_amount_and_text_fields():
    assert amount(Decimal("1234.5")) == "1234,50"
    assert amount(Decimal("0")) == "0,00"
    assert amount(Decimal("1234567.891")) == "1234567,89"
    assert text("Dupont | Fils\r\nSARL") == "Dupont   Fils  SARL"
    assert text(None) == ""


def test_entry_numbers_per_year_and_from_earlier_fec_files(tmp_path):
    out = tmp_path / "out"
    folder = out / "2026-12"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    header = "|".join(FEC_COLUMNS)
    record = "VE|Ventes|VE2027-000007|20270101|411000|Clients|C1|A|F2027-000007|20270101|x|1,00|0,00|||20270101||"
    (folder / f"{SIREN}FEC20270101.txt").write_bytes(
        f"{header}\r\n{record}\r\n".encode("iso-8859-15")
    )
    snapshot = read_snapshot(out)
    assert snapshot.before(Month(2027, 1)).next_fec_entry(2027) == 8
    assert snapshot.before(Month(2027, 1)).next_fec_entry(2026) == 1
    # the month itself is not "before"
    assert snapshot.before(Month(2026, 12)).next_fec_entry(2027) == 1


def test_entries_number_in_document_order_within_each_year():
    from pipeline.billing.month_documents import Invoice

    def invoice(number: str, day: date) -> Invoice:
        return Invoice(
            number,
            "C1",
            day,
            day,
            "2026-12",
            Decimal("10.00"),
            Decimal("2.00"),
            Decimal("12.00"),
            Decimal("0.20"),
            "",
            [],
        )

    lines = entries(
        [invoice("F2027-000002", date(2027, 1, 1)), invoice("F2027-000001", date(2027, 1, 1))],
        [],
        {"C1": "A"},
        {2027: 8},
    )
    assert [(ln.entry, ln.piece) for ln in lines[::3]] == [
        ("VE2027-000008", "F2027-000001"),
        ("VE2027-000009", "F2027-000002"),
    ]


def test_fec_named_after_the_fiscal_year_end_and_revenue_by_kind_of_line(ws):
    """provider.toml fiscal_year_end = "06-30": October's documents (2026-11-01) belong to the
    fiscal year closing 2027-06-30, whose entries are numbered VE2027-...; a rental goes to
    7083 (Locations diverses) and an equipment sale to 707, next to the plan on 706."""
    with open(ws.data / "provider.toml", "a", encoding="utf-8") as handle:
        handle.write(
            'fiscal_year_end = "06-30"\n[accounts]\nrental = "708300 Locations de matériel"\n'
        )
    ws.add_rows("rentals.csv", [["R1", "C1", "PHONE_B", "4.00", "2026-01-15", "0", "", "", "", ""]])
    ws.add_rows("equipment_sales.csv", [["V1", "C1", "PHONE_B", "2", "150.00", "2026-10-06"]])
    ws.bill_months("2026-10")
    rows = read_fec(fec_path(ws, "2026-10", "20270630"))
    assert {r["EcritureNum"] for r in rows} == {"VE2027-000001"}
    # 25.00 plan + 4.00 rental + 2 x 150.00 = 329.00 HT, VAT 65.80, TTC 394.80; R88: the
    # goods' VAT 300.00 x 20 % = 60.00 due on delivery (445710), the services' 5.80 on
    # receipt (445740)
    assert [(r["CompteNum"], r["CompteLib"], r["Debit"], r["Credit"]) for r in rows] == [
        ("411000", "Clients", "394,80", "0,00"),
        ("706000", "Prestations de services", "0,00", "25,00"),
        ("707000", "Ventes de marchandises", "0,00", "300,00"),
        ("708300", "Locations de matériel", "0,00", "4,00"),
        ("445710", "TVA collectée", "0,00", "60,00"),
        ("445740", "TVA collectée en attente d'encaissement", "0,00", "5,80"),
    ]


def test_a_bad_fiscal_year_end_or_account_stops_with_exit_2(ws):
    ws.cdrs("2026-10", [])
    with open(ws.data / "provider.toml", "a", encoding="utf-8") as handle:
        handle.write('fiscal_year_end = "31/12"\n')
    result = ws.bill("2026-10")
    assert result.exit_code == 2 and "fiscal_year_end = '31/12': expected" in result.output
