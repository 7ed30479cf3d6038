"""Subscriptions, rentals and equipment (R3, R4, R30-R35): pure functions on hand-made rows,
then the worked examples of rules.md end to end on the Workspace fixture."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from pipeline.billing.contracts import (
    catalogue_price,
    current_period_end,
    first_billed_month,
    rental_lines,
    sale_lines,
    subscription_last_billed,
    subscription_lines,
)
from pipeline.core.dates import Month
from pipeline.core.errors import InputError
from tests.conftest import write_rows

M = Month.parse
D = date.fromisoformat


def sub(
    order: str, commitment: int, price: str = "25.00", notice: str | None = None
) -> dict[str, Any]:
    return {
        "subscription_id": "S1",
        "customer_id": "C1",
        "product_code": "PLAN_UNLIMITED",
        "monthly_price_eur": Decimal(price),
        "order_date": D(order),
        "commitment_months": commitment,
        "sip_account": "sip-1",
        "included_intl_zones": None,
        "notice_date": D(notice) if notice else None,
    }


def rental(
    start: str,
    commitment: int,
    fee: str = "5.00",
    notice: str | None = None,
    returned: str | None = None,
    condition: str | None = None,
    model: str = "PHONE_C",
) -> dict[str, Any]:
    return {
        "rental_id": "R1",
        "customer_id": "C1",
        "equipment_model": model,
        "monthly_fee_eur": Decimal(fee),
        "start_date": D(start),
        "commitment_months": commitment,
        "serial": "SN1",
        "notice_date": D(notice) if notice else None,
        "returned_on": D(returned) if returned else None,
        "return_condition": condition,
    }


def catalogue(valid_to_v2: str | None) -> list[dict[str, Any]]:
    """PHONE_C: 80.00 until 2025-12-31, then 90.00 until `valid_to_v2` (last day on sale)."""
    return [
        {
            "equipment_model": "PHONE_C",
            "valid_from": D("2024-01-01"),
            "valid_to": D("2025-12-31"),
            "sale_price_eur": Decimal("80.00"),
            "description": None,
        },
        {
            "equipment_model": "PHONE_C",
            "valid_from": D("2026-01-01"),
            "valid_to": D(valid_to_v2) if valid_to_v2 else None,
            "sale_price_eur": Decimal("90.00"),
            "description": None,
        },
    ]


def amounts(lines: list[dict[str, Any]]) -> list[tuple[str, int, Decimal, Decimal]]:
    return [(ln["kind"], ln["quantity"], ln["unit_price"], ln["amount_ht"]) for ln in lines]


def sub_amounts(s: dict[str, Any], month: str) -> list[tuple[str, int, Decimal, Decimal]]:
    return amounts(subscription_lines(s, M(month), "Plan"))


# R3, R4 -----------------------------------------------------------------------------------


def test_r4_subscription_billed_from_the_month_after_the_order():
    s = sub("2026-03-10", 12)
    assert sub_amounts(s, "2026-03") == []
    assert sub_amounts(s, "2026-04") == [("subscription", 1, Decimal("25.00"), Decimal("25.00"))]


@pytest.mark.parametrize(
    "order, first",
    [
        ("2026-03-01", "2026-04"),
        ("2026-03-31", "2026-04"),
        ("2026-12-31", "2027-01"),
    ],
)
def test_r4_first_billed_month_boundaries(order, first):
    assert first_billed_month(D(order)) == M(first)


def test_r3_last_month_is_billed_whole_never_prorated():
    # notice 2026-09-15 -> ends 2026-10-15: October is started, so due in full
    s = sub("2026-03-10", 0, notice="2026-09-15")
    assert sub_amounts(s, "2026-10") == [("subscription", 1, Decimal("25.00"), Decimal("25.00"))]
    assert sub_amounts(s, "2026-11") == []


# R31 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "notice, last",
    [
        ("2026-09-15", "2026-10"),  # the worked example
        ("2026-10-01", "2026-11"),  # 1st of the month: ends 2026-11-01, November is started
        ("2026-10-31", "2026-11"),  # last day: ends 2026-11-30
        ("2026-01-31", "2026-02"),  # ends 2026-02-28 (no 31 February)
        ("2026-12-15", "2027-01"),  # across a year end
    ],
)
def test_r31_notice_one_month_last_billed_month(notice, last):
    assert subscription_last_billed(D(notice)) == M(last)


def test_r31_notice_on_the_first_and_on_the_last_day_of_a_month_bill_the_same_months():
    for notice in ("2026-10-01", "2026-10-31"):
        s = sub("2026-03-10", 0, notice=notice)
        assert sub_amounts(s, "2026-11") == [
            ("subscription", 1, Decimal("25.00"), Decimal("25.00"))
        ]
        assert sub_amounts(s, "2026-12") == []


# R30, R32 ----------------------------------------------------------------------------------


def test_r32_early_termination_worked_example():
    # ordered 2026-03-10, 12 months at 25.00: period 2026-04..2027-03; notice 2026-09-15 ->
    # last billed 2026-10 -> 5 remaining months -> 125.00 on the 2026-10 invoice
    s = sub("2026-03-10", 12, notice="2026-09-15")
    lines = subscription_lines(s, M("2026-10"), "Plan")
    assert amounts(lines) == [
        ("subscription", 1, Decimal("25.00"), Decimal("25.00")),
        ("early_termination", 5, Decimal("25.00"), Decimal("125.00")),
    ]
    assert (lines[1]["period_start"], lines[1]["period_end"]) == (D("2026-11-01"), D("2027-03-31"))
    assert sub_amounts(s, "2026-09") == [("subscription", 1, Decimal("25.00"), Decimal("25.00"))]
    assert sub_amounts(s, "2026-11") == []


def test_r32_early_termination_renewal_worked_example():
    # ordered 2024-01-20, 12 months: initial 2024-02..2025-01, renewals 2025-02..2026-01 and
    # 2026-02..2027-01; notice 2026-10-31 -> last billed 2026-11 -> 2 remaining months
    s = sub("2024-01-20", 12, notice="2026-10-31")
    assert current_period_end(M("2024-02"), 12, M("2026-11")) == M("2027-01")
    assert sub_amounts(s, "2026-10") == [("subscription", 1, Decimal("25.00"), Decimal("25.00"))]
    assert sub_amounts(s, "2026-11") == [
        ("subscription", 1, Decimal("25.00"), Decimal("25.00")),
        ("early_termination", 2, Decimal("25.00"), Decimal("50.00")),
    ]


@pytest.mark.parametrize(
    "month, end",
    [
        ("2026-04", "2027-03"),  # first month of the initial period
        ("2027-03", "2027-03"),  # its last month
        ("2027-04", "2028-03"),  # first month of the first renewal
        ("2028-03", "2028-03"),
        ("2028-04", "2029-03"),
    ],
)
def test_r30_periods_initial_then_12_month_renewals(month, end):
    assert current_period_end(M("2026-04"), 12, M(month)) == M(end)


def test_r30_short_initial_period_renews_for_12_months():
    # 3 months: 2026-04..2026-06, then 2026-07..2027-06
    assert current_period_end(M("2026-04"), 3, M("2026-06")) == M("2026-06")
    assert current_period_end(M("2026-04"), 3, M("2026-07")) == M("2027-06")


def test_r32_renewal_boundary_last_billed_is_the_last_month_of_the_period():
    # period 2026-04..2027-03; notice 2027-02-15 -> last billed 2027-03: nothing remains
    s = sub("2026-03-10", 12, notice="2027-02-15")
    assert sub_amounts(s, "2027-03") == [("subscription", 1, Decimal("25.00"), Decimal("25.00"))]


def test_r32_renewal_boundary_last_billed_is_the_first_month_of_a_renewal():
    # notice 2027-03-01 -> last billed 2027-04, first month of 2027-04..2028-03: 11 remain
    s = sub("2026-03-10", 12, notice="2027-03-01")
    assert sub_amounts(s, "2027-04") == [
        ("subscription", 1, Decimal("25.00"), Decimal("25.00")),
        ("early_termination", 11, Decimal("25.00"), Decimal("275.00")),
    ]


def test_r30_commitment_zero_has_no_early_termination_fee():
    s = sub("2026-03-10", 0, notice="2026-04-02")
    assert current_period_end(M("2026-04"), 0, M("2026-05")) is None
    assert sub_amounts(s, "2026-05") == [("subscription", 1, Decimal("25.00"), Decimal("25.00"))]


def test_r32_fee_at_the_order_form_price_not_the_list_price():
    s = sub("2026-03-10", 12, price="19.90", notice="2026-09-15")
    assert sub_amounts(s, "2026-10")[1] == (
        "early_termination",
        5,
        Decimal("19.90"),
        Decimal("99.50"),
    )


def test_r32_notice_before_the_first_billed_month_owes_the_whole_initial_period():
    # ordered 2026-03-10, notice 2026-03-20 -> ends 2026-04-20: 2026-04 billed, 11 remain
    s = sub("2026-03-10", 12, notice="2026-03-20")
    assert sub_amounts(s, "2026-03") == []
    assert sub_amounts(s, "2026-04") == [
        ("subscription", 1, Decimal("25.00"), Decimal("25.00")),
        ("early_termination", 11, Decimal("25.00"), Decimal("275.00")),
    ]


# R33 ---------------------------------------------------------------------------------------


def rent_amounts(r: dict[str, Any], month: str, cat=None, rmas=()) -> list[tuple]:
    return amounts(rental_lines(r, list(rmas), M(month), cat or catalogue(None)))


def test_r33_rental_instalments_from_the_month_after_delivery():
    r = rental("2026-02-15", 24)
    assert rent_amounts(r, "2026-02") == []
    assert rent_amounts(r, "2026-03") == [("rental", 1, Decimal("5.00"), Decimal("5.00"))]


def test_r33_rental_ends_on_its_notice_date_with_remaining_instalments():
    # first billed 2026-03, initial 2026-03..2028-02; notice 2026-10-20 (no notice period):
    # 2026-10 is the last billed month, 2026-11..2028-02 = 16 instalments remain
    r = rental("2026-02-15", 24, notice="2026-10-20", returned="2026-10-25", condition="good")
    assert rent_amounts(r, "2026-10") == [
        ("rental", 1, Decimal("5.00"), Decimal("5.00")),
        ("rental_early_termination", 16, Decimal("5.00"), Decimal("80.00")),
    ]
    assert rent_amounts(r, "2026-11") == []


def test_r33_rental_ended_in_a_renewal_period():
    # start 2024-06-03, 12 months: 2024-07..2025-06, renewal 2025-07..2026-06; end 2026-04-30
    r = rental("2024-06-03", 12, notice="2026-04-30", returned="2026-05-02", condition="good")
    assert rent_amounts(r, "2026-04") == [
        ("rental", 1, Decimal("5.00"), Decimal("5.00")),
        ("rental_early_termination", 2, Decimal("5.00"), Decimal("10.00")),
    ]


def test_r33_rental_ended_in_its_start_month_owes_every_instalment():
    r = rental("2026-10-05", 12, notice="2026-10-20", returned="2026-10-21", condition="good")
    assert rent_amounts(r, "2026-10") == [
        ("rental_early_termination", 12, Decimal("5.00"), Decimal("60.00")),
    ]
    assert rent_amounts(r, "2026-11") == []


def test_r33_rental_commitment_zero_no_fee():
    r = rental("2026-02-15", 0, notice="2026-10-20", returned="2026-10-25", condition="good")
    assert rent_amounts(r, "2026-10") == [("rental", 1, Decimal("5.00"), Decimal("5.00"))]


# R34 ---------------------------------------------------------------------------------------
# Rental of PHONE_C from 2025-06-01 (catalogue 80.00 then), ended 2026-09-15:
# return deadline 2026-10-15.


def non_return(r, month, cat=None, rmas=()) -> list[tuple]:
    return [a for a in rent_amounts(r, month, cat, rmas) if a[0] == "non_return"]


def months_charged(r, cat=None, rmas=()) -> dict[str, list[tuple]]:
    found = {}
    for m in ("2026-08", "2026-09", "2026-10", "2026-11", "2026-12"):
        lines = non_return(r, m, cat, rmas)
        if lines:
            found[m] = lines
    return found


def test_r34_not_returned_charged_once_in_the_month_of_the_deadline_at_current_price():
    r = rental("2025-06-01", 0, notice="2026-09-15")
    assert months_charged(r) == {"2026-10": [("non_return", 1, Decimal("90.00"), Decimal("90.00"))]}


def test_r34_returned_in_good_order_on_the_deadline_is_not_charged():
    r = rental("2025-06-01", 0, notice="2026-09-15", returned="2026-10-15", condition="good")
    assert months_charged(r) == {}


def test_r34_late_return_is_charged_at_the_deadline_once():
    r = rental("2025-06-01", 0, notice="2026-09-15", returned="2026-11-03", condition="good")
    assert months_charged(r) == {"2026-10": [("non_return", 1, Decimal("90.00"), Decimal("90.00"))]}


def test_r34_damaged_return_charged_in_the_month_of_the_return():
    r = rental("2025-06-01", 0, notice="2026-09-15", returned="2026-09-28", condition="damaged")
    assert months_charged(r) == {"2026-09": [("non_return", 1, Decimal("90.00"), Decimal("90.00"))]}


def test_r34_damaged_and_late_return_is_charged_once_at_the_deadline():
    r = rental("2025-06-01", 0, notice="2026-09-15", returned="2026-11-03", condition="damaged")
    assert months_charged(r) == {"2026-10": [("non_return", 1, Decimal("90.00"), Decimal("90.00"))]}


def test_r34_model_discontinued_the_day_before_the_deadline_uses_the_rental_start_price():
    # last day on sale 2026-10-14: not sold on the deadline -> price at rental start (80.00)
    r = rental("2025-06-01", 0, notice="2026-09-15")
    assert months_charged(r, catalogue("2026-10-14")) == {
        "2026-10": [("non_return", 1, Decimal("80.00"), Decimal("80.00"))]
    }


def test_r34_model_sold_until_the_day_of_the_deadline_uses_the_deadline_price():
    # last day on sale 2026-10-15 = the deadline: still sold that day -> 90.00
    r = rental("2025-06-01", 0, notice="2026-09-15")
    assert months_charged(r, catalogue("2026-10-15")) == {
        "2026-10": [("non_return", 1, Decimal("90.00"), Decimal("90.00"))]
    }


def test_r34_damaged_return_priced_on_the_day_of_the_return():
    # damaged return 2026-10-10 while the model is sold until 2026-10-09 -> start price
    r = rental("2025-06-01", 0, notice="2026-09-15", returned="2026-10-10", condition="damaged")
    assert months_charged(r, catalogue("2026-10-09")) == {
        "2026-10": [("non_return", 1, Decimal("80.00"), Decimal("80.00"))]
    }


def test_r34_no_catalogue_price_stops_the_run():
    with pytest.raises(InputError, match="n'a pas de prix catalogue"):
        catalogue_price(catalogue(None), "PHONE_C", D("2020-01-01"), D("2020-01-01"))


def rma(shipped: str, back: str | None) -> dict[str, Any]:
    return {
        "rma_id": "RMA1",
        "rental_id": "R1",
        "shipped_on": D(shipped),
        "defective_returned_on": D(back) if back else None,
    }


@pytest.mark.parametrize(
    "back, charged",
    [
        (None, True),
        ("2026-10-20", False),
        ("2026-10-21", True),
        ("2026-09-25", False),
    ],
)
def test_r34_rma_defective_unit_kept_charged_30_days_after_shipping(back, charged):
    # replacement shipped 2026-09-20 -> the defective unit is due back by 2026-10-20
    r = rental("2025-06-01", 0)
    expected = (
        {"2026-10": [("non_return", 1, Decimal("90.00"), Decimal("90.00"))]} if charged else {}
    )
    assert months_charged(r, rmas=[rma("2026-09-20", back)]) == expected


def test_r34_rma_unit_of_a_discontinued_model_at_rental_start_price():
    r = rental("2025-06-01", 0)
    assert months_charged(r, catalogue("2026-10-19"), [rma("2026-09-20", None)]) == {
        "2026-10": [("non_return", 1, Decimal("80.00"), Decimal("80.00"))]
    }


# R35 ---------------------------------------------------------------------------------------


def test_r35_equipment_sale_billed_once_in_the_month_of_delivery():
    sale = {
        "sale_id": "V1",
        "customer_id": "C1",
        "equipment_model": "PHONE_B",
        "quantity": 3,
        "unit_price_eur": Decimal("49.90"),
        "delivered_on": D("2026-10-31"),
    }
    assert amounts(sale_lines(sale, M("2026-10"))) == [
        ("equipment_sale", 3, Decimal("49.90"), Decimal("149.70"))
    ]
    assert sale_lines(sale, M("2026-09")) == []
    assert sale_lines(sale, M("2026-11")) == []


# End to end on the Workspace fixture ----------------------------------------------------------


def set_rows(ws, name: str, rows: list[list[str]]) -> None:
    """Replace every data row of a data-folder file (header kept)."""
    with open(ws.table(name), encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    write_rows(ws.table(name), [header] + rows)


def lines_of(ws, month: str) -> list[tuple[str, str, str, str, str]]:
    return [
        (r["customer_id"], r["kind"], r["reference"], r["quantity"], r["amount_ht"])
        for r in ws.read_csv(month, "invoice_lines.csv")
    ]


def test_r32_worked_example_on_the_invoice_of_the_last_billed_month(ws):
    set_rows(
        ws,
        "subscriptions.csv",
        [
            ["S1", "C1", "PLAN_UNLIMITED", "25.00", "2026-03-10", "12", "sip-1", "", "2026-09-15"],
        ],
    )
    # October is the first month issued here: its fee depends on the contract, not the ledger
    for month in ("2026-10", "2026-11"):
        ws.cdrs(month, [])
    result = ws.bill("2026-10")
    assert result.exit_code == 0, result.output
    assert lines_of(ws, "2026-10") == [
        ("C1", "subscription", "S1", "1", "25.00"),
        ("C1", "early_termination", "S1", "5", "125.00"),
    ]
    inv = ws.read_csv("2026-10", "invoices.csv")
    assert [(i["total_ht"], i["total_vat"], i["total_ttc"]) for i in inv] == [
        ("150.00", "30.00", "180.00")
    ]
    assert ws.bill("2026-11").exit_code == 0
    assert ws.read_csv("2026-11", "invoices.csv") == []


def test_r33_r34_r35_rental_non_return_and_sale_on_one_invoice(ws):
    # PHONE_B: 150.00 until 2026-09-30, 170.00 from 2026-10-01. Rental from 2026-01-10,
    # 12 months at 4.50 (2026-02..2027-01), ended 2026-09-20, never returned: deadline
    # 2026-10-20 -> 170.00 in October; 4 instalments (2026-10..2027-01) in September.
    ws.add_rows(
        "rentals.csv",
        [
            ["R1", "C1", "PHONE_B", "4.50", "2026-01-10", "12", "SN1", "2026-09-20", "", ""],
        ],
    )
    ws.add_rows("equipment_sales.csv", [["V1", "C1", "PHONE_A", "2", "59.00", "2026-10-02"]])
    ws.cdrs("2026-09", [])
    ws.cdrs("2026-10", [])
    assert ws.bill("2026-09").exit_code == 0
    assert lines_of(ws, "2026-09") == [
        ("C1", "subscription", "S1", "1", "25.00"),
        ("C1", "rental", "R1", "1", "4.50"),
        ("C1", "rental_early_termination", "R1", "4", "18.00"),
    ]
    assert ws.bill("2026-10").exit_code == 0
    assert lines_of(ws, "2026-10") == [
        ("C1", "subscription", "S1", "1", "25.00"),
        ("C1", "non_return", "R1", "1", "170.00"),
        ("C1", "equipment_sale", "V1", "2", "118.00"),
    ]
    inv = ws.read_csv("2026-10", "invoices.csv")[0]
    # 313.00 HT, VAT 62.60, goods and services on one invoice
    assert (inv["total_ht"], inv["total_vat"], inv["total_ttc"]) == ("313.00", "62.60", "375.60")
    assert inv["operation_category"] == "Mixte (livraison de biens et prestation de services)"


def test_r32_r33_fee_descriptions_name_the_months_owed():
    s = sub("2026-03-10", 12, notice="2027-01-20")  # last billed 2027-02, 1 month remains
    fee = subscription_lines(s, M("2027-02"), "Plan")[1]
    assert (
        fee["description"]
        == "Frais de résiliation anticipée Plan: 1 mois restant (2027-03 à 2027-03)"
    )
    r = rental("2026-02-15", 24, notice="2026-10-20", returned="2026-10-25", condition="good")
    fee = rental_lines(r, [], M("2026-10"), catalogue(None))[1]
    assert fee["description"] == (
        "Résiliation anticipée location PHONE_C: 16 mensualités restantes (2026-11 à 2028-02)"
    )
