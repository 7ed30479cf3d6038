"""Invoices (R2, R5, R60-R63) and the mentions of a French B2B invoice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from pipeline.billing.invoicing import (
    MENTION_OUTSIDE_EU,
    MENTION_REVERSE_CHARGE,
    build_invoices,
    due_date,
    invoice_date,
    number,
)
from pipeline.core.dates import Month
from tests.conftest import pick

M = Month.parse
PROVIDER = {
    "name": "Test Telecom SAS",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "address": "1 rue de la Paix, 75002 Paris",
    "rcs": "RCS Paris 732 829 320",
    "share_capital_eur": "10000",
    "iban": "FR7630006000011234567890189",
}
CUSTOMERS = {
    "C1": {
        "customer_id": "C1",
        "name": "Alpha SARL",
        "country": "FR",
        "siren": "732829320",
        "vat_number": "FR44732829320",
        "address": "Paris",
    },
    "C2": {
        "customer_id": "C2",
        "name": "Beta BV",
        "country": "BE",
        "siren": None,
        "vat_number": "BE0403019261",
        "address": "Bruxelles",
    },
    "C3": {
        "customer_id": "C3",
        "name": "Gamma AG",
        "country": "CH",
        "siren": None,
        "vat_number": None,
        "address": "Genève",
    },
    "C4": {
        "customer_id": "C4",
        "name": "Delta GmbH",
        "country": "DE",
        "siren": None,
        "vat_number": None,
        "address": "Berlin",
    },
    "C5": {
        "customer_id": "C5",
        "name": "Epsilon SAM",
        "country": "MC",
        "siren": None,
        "vat_number": None,
        "address": "Monaco",
    },
    "C10": {
        "customer_id": "C10",
        "name": "Zeta SAS",
        "country": "FR",
        "siren": None,
        "vat_number": None,
        "address": "Lyon",
    },
}


def line(
    customer: str,
    amount: str,
    kind: str = "subscription",
    reference: str = "S1",
    zone: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "kind": kind,
        "reference": reference,
        "description": f"{kind} {reference}",
        "zone": zone,
        "reason": reason,
        "quantity": 1,
        "billable_seconds": None,
        "unit_price": Decimal(amount),
        "amount_ht": Decimal(amount),
        "telephony_recurring": kind == "subscription",
    }


def build(lines, month="2026-10", start=1):
    return build_invoices(lines, CUSTOMERS, M(month), start, provider=PROVIDER)


def totals(inv) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return inv.total_ht, inv.vat_rate, inv.total_vat, inv.total_ttc


# R62 ---------------------------------------------------------------------------------------


def test_r62_france_20_percent():
    [inv] = build(
        [line("C1", "25.00"), line("C1", "3.41", "usage", "sip-1", "FR_PREMIUM", "OUT_OF_PLAN")]
    )
    # 28.41 HT, VAT 5.682 -> 5.68
    assert totals(inv) == (Decimal("28.41"), Decimal("0.20"), Decimal("5.68"), Decimal("34.09"))
    assert inv.vat_mention == ""


def test_r62_eu_business_with_vat_number_reverse_charge_and_mention():
    [inv] = build([line("C2", "85.00")])
    assert totals(inv) == (Decimal("85.00"), Decimal("0.00"), Decimal("0.00"), Decimal("85.00"))
    assert inv.vat_mention == MENTION_REVERSE_CHARGE
    assert inv.vat_mention.startswith("Autoliquidation")
    assert "283-2" in inv.vat_mention and "196 directive 2006/112/CE" in inv.vat_mention
    # reverse charge needs the buyer's VAT number on the invoice
    assert inv.customer_vat_number == "BE0403019261"


def test_r62_outside_eu_no_vat_with_article_259_b():
    [inv] = build([line("C3", "40.00")])
    assert totals(inv) == (Decimal("40.00"), Decimal("0.00"), Decimal("0.00"), Decimal("40.00"))
    assert inv.vat_mention == MENTION_OUTSIDE_EU == "TVA non applicable, art. 259 B du CGI"


def test_r62_eu_customer_without_vat_number_pays_french_vat():
    [inv] = build([line("C4", "10.00")])
    assert totals(inv) == (Decimal("10.00"), Decimal("0.20"), Decimal("2.00"), Decimal("12.00"))


def test_r62_monaco_is_in_the_french_vat_territory():
    [inv] = build([line("C5", "10.00")])
    assert totals(inv) == (Decimal("10.00"), Decimal("0.20"), Decimal("2.00"), Decimal("12.00"))


def test_r62_goods_to_an_eu_business_add_the_intra_community_exemption():
    [inv] = build([line("C2", "25.00"), line("C2", "59.00", "equipment_sale", "V1")])
    assert inv.vat_mention == (
        MENTION_REVERSE_CHARGE
        + " ; Livraison intracommunautaire de biens exonérée, art. 262 ter I du CGI"
    )
    assert inv.operation_category == "Mixte (livraison de biens et prestation de services)"


# R2 ----------------------------------------------------------------------------------------


def test_r2_vat_on_the_total_not_on_each_line():
    # per line: 0.03 * 20 % = 0.006 -> 0.01, three times 0.03; on the total: 0.09 -> 0.018 -> 0.02
    [inv] = build([line("C1", "0.03", reference=f"S{i}") for i in range(3)])
    assert totals(inv) == (Decimal("0.09"), Decimal("0.20"), Decimal("0.02"), Decimal("0.11"))


def test_r2_vat_rounded_half_away_from_zero():
    # 50.01 * 0.20 = 10.002 -> 10.00; 0.07 * 0.20 = 0.014 -> 0.01; 0.08 * 0.20 = 0.016 -> 0.02
    [a] = build(
        [
            line("C1", "33.33"),
            line("C1", "16.67", reference="S2"),
            line("C1", "0.01", reference="S3"),
        ]
    )
    assert (a.total_vat, a.total_ttc) == (Decimal("10.00"), Decimal("60.01"))
    [b] = build([line("C1", "0.07")])
    assert b.total_vat == Decimal("0.01")
    [c] = build([line("C1", "0.08")])
    assert c.total_vat == Decimal("0.02")


def test_r2_ttc_is_ht_plus_vat_for_every_invoice():
    invs = build([line(c, "12.34") for c in CUSTOMERS])
    for inv in invs:
        assert inv.total_ttc == inv.total_ht + inv.total_vat
        assert inv.total_ht == sum(ln["amount_ht"] for ln in inv.lines)


# R5 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "month, issued, due",
    [
        ("2026-10", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", date(2027, 1, 1), date(2027, 1, 31)),
        ("2027-01", date(2027, 2, 1), date(2027, 3, 3)),
        ("2028-01", date(2028, 2, 1), date(2028, 3, 2)),  # leap year
    ],
)
def test_r5_invoice_dated_the_first_of_next_month_due_30_days_later(month, issued, due):
    assert invoice_date(M(month)) == issued
    assert due_date(M(month)) == due
    [inv] = build([line("C1", "1.00")], month=month)
    assert (inv.invoice_date, inv.due_date) == (issued, due)
    assert (inv.period, inv.period_start, inv.period_end) == (
        month,
        M(month).first_day,
        M(month).last_day,
    )


# R60, R61 ----------------------------------------------------------------------------------


def test_r60_numbers_in_customer_id_order_from_the_next_sequence():
    invs = build([line("C2", "1.00"), line("C10", "1.00"), line("C1", "1.00")], start=41)
    # customer_id order is text order: C1 < C10 < C2
    assert [(i.customer_id, i.invoice_number) for i in invs] == [
        ("C1", "F2026-000041"),
        ("C10", "F2026-000042"),
        ("C2", "F2026-000043"),
    ]


def test_r60_december_invoices_open_the_next_year_series():
    [inv] = build([line("C1", "1.00")], month="2026-12")
    assert inv.invoice_number == "F2027-000001"
    assert number("AV", 2027, 12) == "AV2027-000012"


def test_r61_no_invoice_without_a_non_zero_line_and_no_gap_in_numbers():
    invs = build(
        [
            line("C1", "0.00", "usage", "sip-1", "FR_FIXED", "INCLUDED"),
            line("C2", "5.00"),
            line("C3", "0.00", "usage", "sip-3", "FR_FIXED", "INCLUDED"),
            line("C3", "0.01", "usage", "sip-3", "FR_MOBILE", "OUT_OF_PLAN"),
        ]
    )
    assert [(i.customer_id, i.invoice_number) for i in invs] == [
        ("C2", "F2026-000001"),
        ("C3", "F2026-000002"),
    ]
    # the zero line stays on an invoice that has a non-zero one (R63)
    assert [ln["amount_ht"] for ln in invs[1].lines] == [Decimal("0.00"), Decimal("0.01")]


def test_r63_lines_numbered_in_a_stable_order():
    [inv] = build(
        [
            line("C1", "0.50", "usage", "sip-1", "FR_MOBILE", "OUT_OF_PLAN"),
            line("C1", "5.00", "rental", "R1"),
            line("C1", "25.00", "subscription", "S1"),
            line("C1", "0.20", "usage", "sip-1", "FR_FIXED", "THIRD_PARTY_DEVICE"),
        ]
    )
    assert [(ln["line_no"], ln["kind"], ln["zone"]) for ln in inv.lines] == [
        (1, "subscription", None),
        (2, "rental", None),
        (3, "usage", "FR_FIXED"),
        (4, "usage", "FR_MOBILE"),
    ]
    assert {ln["invoice_number"] for ln in inv.lines} == {"F2026-000001"}


# Mentions, end to end ---------------------------------------------------------------------


def test_invoice_carries_every_mandatory_mention(ws):
    ws.add_rows(
        "subscriptions.csv",
        [
            ["S2", "C2", "OPT_IVR", "30.00", "2026-01-05", "0", "", "", ""],
        ],
    )
    ws.cdrs("2026-10", [])
    result = ws.bill("2026-10")
    assert result.exit_code == 0, result.output
    c1, c2 = ws.read_csv("2026-10", "invoices.csv")
    expected = {
        "invoice_number": "F2026-000001",
        "invoice_date": "2026-11-01",
        "due_date": "2026-12-01",
        "period": "2026-10",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "total_ht": "25.00",
        "vat_rate": "0.20",
        "total_vat": "5.00",
        "total_ttc": "30.00",
        "vat_mention": "",
        "operation_category": "Prestation de services",
        "customer_name": "Alpha SARL",
        "customer_siren": "732829320",
        "customer_vat_number": "FR44732829320",
        "customer_address": "Paris",
        "seller_name": "Test Telecom SAS",
        "seller_siren": "732829320",
        "seller_vat_number": "FR44732829320",
        "seller_address": "1 rue de la Paix, 75002 Paris",
        "seller_rcs": "RCS Paris 732 829 320",
        "seller_share_capital_eur": "10000",
        "late_penalty_rate": "3 fois le taux d'intérêt légal",
        "recovery_indemnity_eur": "40",
        "early_payment_discount": "Pas d'escompte pour paiement anticipé",
    }
    assert {k: c1[k] for k in expected} == expected
    assert (c2["invoice_number"], c2["vat_rate"], c2["total_vat"], c2["total_ttc"]) == (
        "F2026-000002",
        "0.00",
        "0.00",
        "30.00",
    )
    assert c2["vat_mention"].startswith("Autoliquidation")
    assert c2["customer_vat_number"] == "BE0403019261"
    lines = ws.read_csv("2026-10", "invoice_lines.csv")
    assert pick(lines, "invoice_number line_no unit_price amount_ht period_start period_end") == [
        ("F2026-000001", "1", "25.00", "25.00", "2026-10-01", "2026-10-31"),
        ("F2026-000002", "1", "30.00", "30.00", "2026-10-01", "2026-10-31"),
    ]
