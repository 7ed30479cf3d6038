"""R87-R89 end to end: `billing fec --year` and `billing vat --month` on billed months of the
conftest workspace (C1 Alpha SARL, France, 25.00 HT a month = 30.00 TTC; C2 Beta BV, Belgium,
reverse charge) with, added here, C2's metered plan (5.00 HT a month) and a phone sold to C1
and delivered in September (150.00 HT): September's F2026-000001 of C1 is 175.00 HT, VAT
35.00 (goods 30.00, services 5.00), 210.00 TTC, paid by cheque on 2026-10-20. Billing months is slow: the module is marked slow and
bills once; the arithmetic is proven fast in tests/test_fiscal.py.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from conftest import Workspace, cli

from pipeline.exports.fec import ENCODING
from pipeline.ledger.journal import read_journal
from pipeline.receivables.compute import Balances

pytestmark = pytest.mark.slow
D = Decimal
FEC_NAME = "732829320FEC20261231.txt"  # the workspace's SIREN, 31 December


def _folders(ws: Workspace) -> tuple[str, ...]:
    return ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("fiscal"))
    ws.add_rows(
        "subscriptions.csv",
        [["S2", "C2", "PLAN_METERED", "5.00", "2026-03-10", "12", "sip-2", "", ""]],
    )
    ws.add_rows("equipment_sales.csv", [["E1", "C1", "PHONE_B", "1", "150.00", "2026-09-15"]])
    ws.bill_months("2026-09", "2026-10")
    statement = ws.root / "cheques.csv"
    statement.write_text(
        "date,amount,customer_id,reference,label\n2026-10-20,210.00,C1,CHQ1,F2026-000001\n",
        encoding="utf-8",
    )
    result = cli("payments", "--import", str(statement), *_folders(ws))
    assert result.exit_code == 0, result.output
    return ws


def _records(path) -> list[dict[str, str]]:
    text = path.read_bytes().decode(ENCODING)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="|"))


def test_r87_the_years_fec_balances_agrees_with_the_receivables_and_is_stable(books):
    first = cli("fec", "--year", "2026", *_folders(books))
    assert first.exit_code == 0, first.output
    path = books.out / FEC_NAME
    assert path.exists(), first.output
    records = _records(path)
    assert len(records[0]) == 18
    by_entry: dict[str, Decimal] = {}
    per_customer: dict[str, Decimal] = {}
    for r in records:
        amount = D(r["Debit"].replace(",", ".")) - D(r["Credit"].replace(",", "."))
        by_entry[r["EcritureNum"]] = by_entry.get(r["EcritureNum"], D(0)) + amount
        if r["CompteNum"] == "411000":
            per_customer[r["CompAuxNum"]] = per_customer.get(r["CompAuxNum"], D(0)) + amount
    assert set(by_entry.values()) == {D("0.00")}
    assert {r["JournalCode"] for r in records} == {"VE", "BQ"}
    # the receivables on the same date: each customer's open balances - unallocated credit
    balances = Balances(read_journal(books.out).events)
    expected: dict[str, Decimal] = {}
    for d in balances.documents.values():
        expected[d.customer_id] = expected.get(d.customer_id, D(0)) + d.open_balance
    for c, credit in balances.credit.items():
        expected[c] = expected.get(c, D(0)) - credit
    assert per_customer == {c: v for c, v in expected.items() if v or c in per_customer}
    # F2026-000001 (210.00) is paid: its two 411 lines share letter A
    lettered = [(r["PieceRef"], r["EcritureLet"]) for r in records if r["EcritureLet"]]
    assert lettered == [("F2026-000001", "A"), ("CHQ1", "A")]
    # the goods' VAT went to 445710 at invoicing (30.00), the services' (5.00) to 445740,
    # moved to 445710 by the payment
    ve = [r for r in records if r["PieceRef"] == "F2026-000001"]
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in ve] == [
        ("411000", "210,00", "0,00"),
        ("706000", "0,00", "25,00"),
        ("707000", "0,00", "150,00"),
        ("445710", "0,00", "30,00"),
        ("445740", "0,00", "5,00"),
    ]
    moved = [r for r in records if r["JournalCode"] == "BQ" and r["CompteNum"] == "445710"]
    assert [r["Credit"] for r in moved] == ["5,00"]
    # the VE entries carry the numbers the monthly FECs gave the same documents
    monthly = {
        r["PieceRef"]: r["EcritureNum"]
        for m in ("2026-09", "2026-10")
        for r in _records(next((books.out / m).glob("*FEC*.txt")))
    }
    assert {r["PieceRef"]: r["EcritureNum"] for r in records if r["JournalCode"] == "VE"} == monthly
    before = path.read_bytes()
    again = cli("fec", "--year", "2026", *_folders(books))
    assert again.exit_code == 0 and "identique" in again.output
    assert path.read_bytes() == before


def test_r89_the_vat_month_writes_ca3_and_des(books):
    result = cli("vat", "--month", "2026-10", *_folders(books))
    assert result.exit_code == 0, result.output
    folder = books.out / "tax" / "2026-10"
    ca3 = list(csv.DictReader(open(folder / "ca3.csv", encoding="utf-8")))
    assert [r["box"] for r in ca3] == ["A1", "08", "E1", "E2", "E2", "F2", "21", "21"]
    # October 2026: the phone invoiced on 2026-10-01 (150.00 / 30.00) and C1's services paid on
    # 2026-10-20 (25.00 / 5.00): base 175.00, VAT 35.00; C2's September services (5.00 HT,
    # dated 2026-10-01) under reverse charge: E2 and the DES
    assert (ca3[1]["base"], ca3[1]["vat"]) == ("175.00", "35.00")
    assert ca3[3]["base"] == "5.00"
    des = list(csv.DictReader(open(folder / "des.csv", encoding="utf-8")))
    assert [(r["customer_id"], r["vat_number"], r["amount_ht"]) for r in des] == [
        ("C2", "BE0403019261", "5.00")
    ]
    again = cli("vat", "--month", "2026-10", *_folders(books))
    assert "identique" in again.output
    # the derived files at OUT's root and under tax/ do not disturb the ledger: the next month
    # is billed as usual
    books.bill_months("2026-11")  # every run must succeed


def test_r88_a_month_issued_before_r88_audits_with_the_postings_it_was_issued_with(
    tmp_path, monkeypatch
):
    # September billed as the code before R88 did (every VAT on 445710, no fec_vat_pending in
    # its manifest); October billed by today's code (services' VAT on 445740, the manifest
    # records it). Both audit identical: each is recomputed with its own postings. Billed
    # again (R64): identical too.
    import pipeline.billing.month as month_module

    ws = Workspace(tmp_path)
    real = month_module.fec_vat_pending
    monkeypatch.setattr(month_module, "fec_vat_pending", lambda inputs: None)
    ws.bill_months("2026-09")
    monkeypatch.setattr(month_module, "fec_vat_pending", real)
    ws.bill_months("2026-10")
    september = (ws.out / "2026-09" / "manifest.json").read_text(encoding="utf-8")
    october = (ws.out / "2026-10" / "manifest.json").read_text(encoding="utf-8")
    assert "fec_vat_pending" not in september
    assert '"fec_vat_pending": [\n  "445740"' in october or '"445740"' in october
    accounts = {
        m: {r["CompteNum"] for r in _records(next((ws.out / m).glob("*FEC*.txt")))}
        for m in ("2026-09", "2026-10")
    }
    assert accounts == {"2026-09": {"411000", "706000", "445710"},
                        "2026-10": {"411000", "706000", "445740"}}  # fmt: skip
    for m in ("2026-09", "2026-10"):
        result = ws.run("audit", m)
        assert result.exit_code == 0, result.output
        again = ws.bill(m)
        assert again.exit_code == 0, again.output
