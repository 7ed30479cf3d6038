"""R63 (amended): every file that shows a line shows the same quantity, unit and unit price,
quantity x unit price = the line's amount exactly; a usage line is one lot at its amount whose
description states its calls, billed duration and per-minute price; a correction line states
what changed. Months issued under the earlier presentation are audited on their figures."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader

from pipeline.billing import invoicing
from pipeline.billing.corrections import LineChange, _document_line
from pipeline.billing.invoicing import UNIT_OF_KIND, present
from pipeline.billing.labels import (
    line_correction_description,
    usage_correction_description,
    usage_description,
)
from pipeline.billing.month_documents import CreditNote, Invoice
from pipeline.cli import main
from pipeline.core import data_contract as contract
from pipeline.core.dates import Month
from pipeline.exports.einvoice.check import Checker, embedded_xml
from pipeline.exports.einvoice.cii import to_xml
from pipeline.exports.einvoice.record import build_record
from pipeline.ledger.compare import month_differences, presentation_notes
from tests.conftest import write_rows
from tests.test_einvoice import FRENCH
from tests.test_einvoice import PROVIDER as EINVOICE_PROVIDER

D = Decimal
OCT = "2026-10"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
ITEM = "//ram:IncludedSupplyChainTradeLineItem"
UNIT_WORDS = {"MON": "mois", "LS": "lot", "H87": "pièce"}
# the sample's usage line of 58 calls: C004's account sip-C004-01 to French fixed numbers
FIFTY_EIGHT = (
    "Appels vers France - fixe géographique hors forfait illimité : 58 appels, durée facturée "
    "1 h 52 min 44 s, 0,0150 EUR/min"
)


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def xml_lines(xml: bytes) -> list[tuple[str, str, str, str, str, str]]:
    """(BT-126 id, BT-153 name, BT-129 quantity, BT-130 unit, BT-146 price, BT-131 amount)."""
    found = []
    for item in etree.fromstring(xml).xpath(ITEM, namespaces=NS):

        def one(path: str, item=item) -> etree._Element:
            (element,) = item.xpath(path, namespaces=NS)
            return element

        quantity = one(".//ram:BilledQuantity")
        found.append(
            (
                one(".//ram:AssociatedDocumentLineDocument/ram:LineID").text,
                one(".//ram:SpecifiedTradeProduct/ram:Name").text,
                quantity.text,
                quantity.get("unitCode"),
                one(".//ram:NetPriceProductTradePrice/ram:ChargeAmount").text,
                one(
                    ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
                ).text,
            )
        )
    return found


# --- a usage line of 58 calls, in every file ----------------------------------------------------


def test_r63_a_usage_line_of_58_calls_is_one_lot_at_its_amount_in_every_file(sample_out):
    # 58 calls of C004's sip-C004-01 to French fixed numbers, 6,764 billed seconds at
    # 0.0150/min: their 4-decimal amounts sum to 1.69 (6,764 / 60 x 0.015 = 1.691): 1 lot x 1.69
    folder = sample_out / OCT
    (line,) = [
        r
        for r in read(folder / "invoice_lines.csv")
        if (r["invoice_number"], r["line_no"]) == ("F2026-000042", "14")
    ]
    shown = "kind reference zone reason calls billable_seconds quantity unit unit_price amount_ht"
    assert [line[c] for c in shown.split()] == [
        *("usage", "sip-C004-01", "FR_FIXED", "NO_PLAN", "58", "6764"),
        *("1", "LS", "1.69", "1.69"),
    ]
    assert line["description"] == FIFTY_EIGHT
    # the workbook's Lignes sheet: the same quantity, unit (in words), calls and unit price
    book = load_workbook(folder / "billing_2026-10.xlsx", read_only=True)
    header, *rows = book["Lignes"].iter_rows(values_only=True)
    (row,) = [dict(zip(header, r, strict=True)) for r in rows if r[:2] == ("F2026-000042", 14)]
    book.close()
    assert (row["Libellé"], row["Quantité"], row["Unité"], row["Appels"]) == (
        FIFTY_EIGHT,
        1,
        "lot",
        58,
    )
    assert (D(str(row["Prix unitaire HT"])), D(str(row["Montant HT"]))) == (D("1.69"), D("1.69"))
    # the CII: BT-129 1, BT-130 LS, BT-146 1.69, BT-131 1.69, BT-153 the description
    pdf = (folder / "documents" / "F2026-000042.pdf").read_bytes()
    assert ("14", FIFTY_EIGHT, "1", "LS", "1.69", "1.69") in xml_lines(embedded_xml(pdf))
    # the PDF's pages: the description, then "1 lot 1,69 1,69"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "58 appels, durée \nfacturée 1 h 52 min 44 s, 0,0150 EUR/min\n1 lot 1,69 1,69" in text


def test_r63_every_line_of_every_sample_file_shows_one_quantity_unit_and_price(sample_out):
    """For every line of both sample months: quantity x unit price = amount exactly, and the
    CSV, the workbook and the CII agree on quantity, unit and unit price."""
    checked = 0
    for month in ("2026-09", OCT):
        folder = sample_out / month
        lines = read(folder / "invoice_lines.csv")
        book = load_workbook(folder / f"billing_{month}.xlsx", read_only=True)
        header, *rows = book["Lignes"].iter_rows(values_only=True)
        sheet = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows if r[1]}
        book.close()
        xml = {}
        for number in sorted({ln["invoice_number"] for ln in lines}):
            pdf = (folder / "documents" / f"{number}.pdf").read_bytes()
            xml[number] = {x[0]: x for x in xml_lines(embedded_xml(pdf))}
        for ln in lines:
            quantity, price, amount = D(ln["quantity"]), D(ln["unit_price"]), D(ln["amount_ht"])
            assert quantity * price == amount, ln
            assert ln["unit"] == UNIT_OF_KIND[ln["kind"]], ln
            row = sheet[(ln["invoice_number"], int(ln["line_no"]))]
            assert (row["Quantité"], row["Unité"]) == (int(quantity), UNIT_WORDS[ln["unit"]])
            assert D(str(row["Prix unitaire HT"])) == price
            _, name, q, unit, p, total = xml[ln["invoice_number"]][ln["line_no"]]
            assert (name, D(q), unit, D(p), D(total)) == (
                ln["description"],
                quantity,
                ln["unit"],
                price,
                amount,
            )
            checked += 1
    assert checked > 1000


# --- the presentation of each kind of line ------------------------------------------------------


@given(
    kind=st.sampled_from(sorted(UNIT_OF_KIND)),
    quantity=st.integers(min_value=1, max_value=60),
    price=st.decimals(min_value=0, max_value=10_000, places=4, allow_nan=False),
)
def test_r63_quantity_times_unit_price_is_the_amount_for_every_kind_of_line(kind, quantity, price):
    # the contract columns allow 4 decimals: a price with more than 2 gives an amount rounded
    # to the cent (R2) that n x price is not, and the line then shows what it can show exactly
    usage = kind == "usage"
    amount = invoicing.round_line(price * quantity)
    line = {
        "kind": kind,
        "description": "x",
        "quantity": 1 if usage else quantity,
        "unit_price": amount if usage else price,
        "amount_ht": amount,
    }
    present(line)
    assert line["quantity"] * line["unit_price"] == amount
    exact = usage or quantity * price == amount
    assert line["unit"] == (UNIT_OF_KIND[kind] if exact or quantity == 1 else "LS")


def test_r63_a_price_of_four_decimals_that_does_not_give_the_amount():
    # 3 phones at 0.3333 = 0.9999 -> 1.00 (R2): one lot at 1.00, the order written out
    sale = {"kind": "equipment_sale", "description": "Vente X", "quantity": 3}
    sale = present(sale | {"unit_price": D("0.3333"), "amount_ht": D("1.00")})
    assert (sale["quantity"], sale["unit"], sale["unit_price"]) == (1, "LS", D("1.00"))
    assert sale["description"] == "Vente X (3 pièce x 0,3333 EUR HT)"
    # one month at 25.1234 = 25.12: still a month, at the amount billed
    month = present(
        {"kind": "subscription", "description": "Plan - 2026-10", "quantity": 1}
        | {"unit_price": D("25.1234"), "amount_ht": D("25.12")}
    )
    assert (month["quantity"], month["unit"], month["unit_price"]) == (1, "MON", D("25.12"))
    assert month["description"] == "Plan - 2026-10"


def test_r63_usage_description_states_calls_duration_and_price_when_shared():
    assert usage_description("Mobile France", "NO_PLAN", 58, 4565, D("0.0200"), D("0")) == (
        "Appels vers Mobile France hors forfait illimité : 58 appels, durée facturée "
        "1 h 16 min 05 s, 0,0200 EUR/min"
    )
    # two per-minute prices (a tariff version from mid-month): none is stated
    assert usage_description("Mobile France", "OUT_OF_PLAN", 2, 120, None, D("0")) == (
        "Appels vers Mobile France hors forfait : 2 appels, durée facturée 2 min 00 s, "
        "plusieurs tarifs (voir le détail des appels)"
    )


# --- correction lines: what changed --------------------------------------------------------------


def test_r63_correction_text_of_one_call_added_and_one_removed():
    # the sample story: one 120 s call at 0.0450/min = 0.0900 added to a line of 36 calls
    assert usage_correction_description(
        "France - mobile", "NO_PLAN", Month.parse(OCT), 1, 120, D("0.09")
    ) == (
        "Correction des appels vers France - mobile hors forfait illimité d'octobre 2026 : "
        "1 appel ajouté, +2 min 00 s facturées, +0,09 EUR"
    )
    assert usage_correction_description(
        "Royaume-Uni mobile", "OUT_OF_PLAN", "2026-09", -2, -3725, D("-0.36")
    ) == (
        "Correction des appels vers Royaume-Uni mobile hors forfait de septembre 2026 : "
        "2 appels retirés, -1 h 02 min 05 s facturées, -0,36 EUR"
    )
    assert line_correction_description("Plan - 2026-10", D("25.00"), D("27.00")) == (
        "Correction Plan - 2026-10 : facturé 25,00 EUR, dû 27,00 EUR, +2,00 EUR"
    )


def _change(kind: str, issued: str, recomputed: str, **line) -> LineChange:
    return LineChange(
        "C1",
        kind,
        "sip-1" if kind == "usage" else "S1",
        "FR_MOBILE" if kind == "usage" else "",
        "NO_PLAN" if kind == "usage" else "",
        f"Correction {kind}",
        D(issued),
        D(recomputed),
        {"kind": kind, "telephony_recurring": False, **line},
        None,
        1 if kind == "usage" else 0,
        120 if kind == "usage" else 0,
    )


# the seller and a French buyer of the e-invoice tests
FRENCH_BUYER, PROVIDER = FRENCH, EINVOICE_PROVIDER


@pytest.fixture(scope="module")
def checker():
    return Checker()


def test_r63_correction_documents_with_a_negative_line_pass_both_schematrons(checker):
    month = Month.parse(OCT)
    # a supplementary invoice: +3.00 of usage (2 calls more) and a subscription price lowered
    # by 0.50: 2.50 HT, 0.50 VAT, 3.00 TTC; the negative line is -1 lot x 0.50 (BR-27)
    usage = _change("usage", "1.00", "4.00", calls=3, billable_seconds=600)
    price = _change("subscription", "25.00", "24.50", description="Plan - 2026-10")
    lines = [
        _document_line(c, "F2026-000002", i, 1, month) for i, c in enumerate((usage, price), 1)
    ]
    assert [(ln["quantity"], ln["unit"], ln["unit_price"], ln["amount_ht"]) for ln in lines] == [
        (1, "LS", D("3.00"), D("3.00")),
        (-1, "LS", D("0.50"), D("-0.50")),
    ]
    assert (lines[0]["calls"], lines[0]["billable_seconds"]) == (2, 480)
    invoice = Invoice(
        invoice_number="F2026-000002",
        customer_id="C1",
        invoice_date=date(2026, 11, 20),
        due_date=date(2026, 12, 20),
        period=OCT,
        total_ht=D("2.50"),
        total_vat=D("0.50"),
        total_ttc=D("3.00"),
        vat_rate=D("0.20"),
        vat_mention="",
        lines=lines,
        period_start=month.first_day,
        period_end=month.last_day,
        customer_name=FRENCH_BUYER["name"],
        customer_siren=FRENCH_BUYER["siren"],
        customer_vat_number=FRENCH_BUYER["vat_number"],
        customer_address=FRENCH_BUYER["address"],
        customer_country="FR",
        original_invoice_number="F2026-000001",
        original_invoice_date=date(2026, 11, 1),
        corrected_month=OCT,
    )
    xml = to_xml(build_record(invoice, PROVIDER, FRENCH_BUYER))
    assert [x[2:] for x in xml_lines(xml)] == [
        ("1", "LS", "3.00", "3.00"),
        ("-1", "LS", "0.50", "-0.50"),
    ]
    assert checker.check(xml) == []
    # a credit note: the differences negated (R66), -2.00 of usage and +0.50: 1.50 HT
    refund = _change("usage", "4.00", "2.00", calls=1, billable_seconds=60)
    back = _change("subscription", "24.50", "25.00", description="Plan - 2026-10")
    lines = [
        _document_line(c, "AV2026-000001", i, -1, month) for i, c in enumerate((refund, back), 1)
    ]
    assert [(ln["quantity"], ln["unit_price"], ln["document_amount_ht"]) for ln in lines] == [
        (1, D("2.00"), D("2.00")),
        (-1, D("0.50"), D("-0.50")),
    ]
    note = CreditNote(
        credit_note_number="AV2026-000001",
        customer_id="C1",
        credit_note_date=date(2026, 11, 20),
        original_invoice_number="F2026-000001",
        original_invoice_date=date(2026, 11, 1),
        service_month=OCT,
        availability_pct=None,
        credit_pct=None,
        amount_ht=D("1.50"),
        amount_vat=D("0.30"),
        amount_ttc=D("1.80"),
        vat_rate=D("0.20"),
        vat_mention="",
        corrected_month=OCT,
        lines=lines,
    )
    xml = to_xml(build_record(note, PROVIDER, FRENCH_BUYER))
    assert [x[2:] for x in xml_lines(xml)] == [
        ("1", "LS", "2.00", "2.00"),
        ("-1", "LS", "0.50", "-0.50"),
    ]
    assert checker.check(xml) == []


# --- months issued under the earlier presentation -----------------------------------------------


def _earlier_usage_lines(con, month, zones):
    """Usage lines as they were presented before the amendment: quantity = calls, unit price =
    the per-minute price (none with a connection fee or several prices), no unit, no calls."""
    from pipeline.billing.labels import duration_text, usage_label

    rows = con.execute(
        "select customer_id, sip_account, zone, reason, calls, billable_seconds, amount_ht, "
        "price_per_min, connection_fee from usage_lines"
    ).fetchall()
    return [
        {
            "customer_id": cid,
            "kind": "usage",
            "reference": sip,
            "description": f"{usage_label(zones.get(zone, zone), reason)} : {calls} "
            f"appel{'s' if calls > 1 else ''}, durée facturée {duration_text(int(seconds))}",
            "zone": zone,
            "reason": reason,
            "quantity": calls,
            "billable_seconds": int(seconds),
            "unit_price": price if price is not None and fee == 0 else None,
            "amount_ht": amount,
            "telephony_recurring": False,
            "period_start": month.first_day,
            "period_end": month.last_day,
        }
        for cid, sip, zone, reason, calls, seconds, amount, price, fee in rows
    ]


def _bill_in_the_earlier_presentation(ws, monkeypatch, rows) -> None:
    earlier = contract.FileContract(
        contract.INVOICE_LINES.name,
        "out",
        tuple(contract.Column(n) for n in contract.INVOICE_LINES_WITH_CALLS_AS_QUANTITY),
        key=contract.INVOICE_LINES.key,
    )
    with monkeypatch.context() as patch:
        patch.setattr("pipeline.billing.month.usage_lines", _earlier_usage_lines)
        # before the amendment, only usage lines had no unit (the CII made them 1 lot)
        patch.setattr(invoicing, "present", lambda ln: ln if ln["kind"] == "usage" else present(ln))
        patch.setattr(contract, "INVOICE_LINES", earlier)
        ws.cdrs(OCT, rows)
        result = ws.bill(OCT)
        assert result.exit_code == 0, result.output
    header = read(ws.out / OCT / "invoice_lines.csv")[0].keys()
    assert "unit" not in header and "calls" not in header


GB = "+44 7911 123456"


def _call(cdr_id: str, seconds: int, at: str = "09:15:00") -> list[str]:
    return [cdr_id, "sip-1", "out", "0145000000", GB, f"2026-10-03T{at}+02:00", str(seconds), "D1"]


def _cli(ws, command: str, *extra: str):
    args = [command, "--month", OCT, "--data", str(ws.data), "--out", str(ws.out)]
    args += ["--rates", str(ws.rates), *extra]
    return CliRunner().invoke(main, args, obj={"gates": ws.gates})


def test_r63_audit_of_a_month_issued_in_the_earlier_presentation_is_identical_with_a_note(
    ws, monkeypatch
):
    # October issued before the amendment: C1's GB mobile line was "2 x 0.1800" (2 calls,
    # 61 s + 120 s = 0.1830 + 0.3600 = 0.5430 -> 0.54), its description without the price
    _bill_in_the_earlier_presentation(
        ws, monkeypatch, [_call("c1", 61), _call("c2", 120, "10:00:00")]
    )
    (usage,) = [r for r in read(ws.out / OCT / "invoice_lines.csv") if r["kind"] == "usage"]
    assert (usage["quantity"], usage["unit_price"], usage["amount_ht"]) == ("2", "0.1800", "0.54")
    audit = _cli(ws, "audit")
    assert audit.exit_code == 0, audit.output
    assert f"{OCT} : identique" in audit.output
    assert (
        "note : lignes émises avant la présentation des consommations en lot (R63" in audit.output
    )
    # billing it again (R64) is identical too, and says so
    again = ws.bill(OCT)
    assert again.exit_code == 0, again.output
    assert "déjà émis, identique" in again.output
    assert "n'ont pas été comparés" in again.output
    # a correction reads the calls issued from the earlier quantity: c2 removed is one call
    # removed (not two: the new presentation's calls column is absent from the issued row)
    ws.cdrs(OCT, [_call("c1", 61)])
    result = _cli(ws, "correct", "--date", "2026-11-20")
    assert result.exit_code == 0, result.output
    (line,) = read(ws.out / OCT / "corrections" / "01" / "invoice_lines.csv")
    shown = "calls billable_seconds quantity unit unit_price amount_ht document_amount_ht"
    assert [line[c] for c in shown.split()] == ["-1", "-120", "1", "LS", "0.36", "-0.36", "0.36"]
    assert line["description"] == (
        "Correction des appels vers Royaume-Uni mobile hors forfait d'octobre 2026 : "
        "1 appel retiré, -2 min 00 s facturées, -0,36 EUR"
    )
    audit = _cli(ws, "audit")
    assert audit.exit_code == 0, audit.output


def test_r63_lines_of_the_earlier_presentation_are_still_compared_on_their_figures(tmp_path):
    issued, fresh = tmp_path / "issued", tmp_path / "fresh"
    issued.mkdir()
    fresh.mkdir()
    base = {
        "invoice_number": "F2026-000001",
        "line_no": "1",
        "customer_id": "C1",
        "kind": "usage",
        "reference": "sip-1",
        "zone": "INTL_GB_MOBILE",
        "reason": "OUT_OF_PLAN",
        "billable_seconds": "181",
        "amount_ht": "0.54",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
    }
    old = base | {"description": "2 appels", "quantity": "2", "unit_price": "0.1800"}
    new = base | {"description": "2 appels, 0,1800 EUR/min", "quantity": "1", "unit": "LS"}
    new |= {"calls": "2", "unit_price": "0.54"}
    invoices = "invoice_number,customer_id,total_ht\nF2026-000001,C1,0.54\n"
    for folder, row, names in (
        (issued, old, contract.INVOICE_LINES_WITH_CALLS_AS_QUANTITY),
        (fresh, new, contract.INVOICE_LINES.names),
    ):
        (folder / "invoices.csv").write_text(invoices, encoding="utf-8")
        write_rows(folder / "invoice_lines.csv", [list(names), [row.get(n, "") for n in names]])
    assert month_differences(issued, fresh) == []
    assert len(presentation_notes(issued, fresh)) == 1
    assert presentation_notes(fresh, fresh) == []
    # three calls recomputed where two were issued: a difference, whatever the presentation
    write_rows(
        fresh / "invoice_lines.csv",
        [list(contract.INVOICE_LINES.names)]
        + [[(new | {"calls": "3"}).get(n, "") for n in contract.INVOICE_LINES.names]],
    )
    assert month_differences(issued, fresh) == [
        "client C1 : ligne F2026-000001/1 usage sip-1 INTL_GB_MOBILE OUT_OF_PLAN : calls '2' -> '3'"
    ]
