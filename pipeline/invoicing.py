"""Invoices from lines: one per customer and month (R61), VAT (R62), totals (R2), dates (R5),
numbers (R60). Pure functions: the numbering starts from what the ledger says was issued."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pipeline.dates import Month
from pipeline.documents import Invoice
from pipeline.money import round_line
from pipeline.reference import EU_COUNTRIES

FRENCH_VAT = Decimal("0.20")
ZERO = Decimal("0")
MENTION_REVERSE_CHARGE = (
    "Autoliquidation - TVA due par le preneur, art. 283-2 du CGI / art. 196 directive 2006/112/CE"
)
MENTION_OUTSIDE_EU = "TVA non applicable, art. 259 B du CGI"
PAYMENT_DAYS = 30

KIND_ORDER = (
    "subscription",
    "early_termination",
    "rental",
    "rental_early_termination",
    "non_return",
    "equipment_sale",
    "usage",
)


def vat_treatment(customer: dict[str, Any]) -> tuple[Decimal, str]:
    """R62. A customer in another EU country without a VAT number is not a taxable business
    for reverse charge: French VAT applies (decision recorded in docs/decisions.md)."""
    country = customer["country"]
    if country == "FR":
        return FRENCH_VAT, ""
    if country in EU_COUNTRIES:
        if customer.get("vat_number"):
            return ZERO, MENTION_REVERSE_CHARGE
        return FRENCH_VAT, ""
    return ZERO, MENTION_OUTSIDE_EU


def invoice_date(month: Month) -> date:
    """R5: dated the 1st of the next month."""
    return month.plus(1).first_day


def due_date(month: Month) -> date:
    return invoice_date(month) + timedelta(days=PAYMENT_DAYS)


def number(series: str, year: int, sequence: int) -> str:
    """R60: F2026-000001, AV2026-000001."""
    return f"{series}{year:04d}-{sequence:06d}"


def _line_sort_key(line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        KIND_ORDER.index(line["kind"]),
        line["reference"] or "",
        line["zone"] or "",
        line["reason"] or "",
        line["description"],
    )


def build_invoices(
    lines: list[dict[str, Any]],
    customers: dict[str, dict[str, Any]],
    month: Month,
    next_sequence: int,
) -> list[Invoice]:
    """Group lines by customer; number invoices in customer_id order from `next_sequence`."""
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_customer.setdefault(line["customer_id"], []).append(line)
    issued = invoice_date(month)
    invoices = []
    sequence = next_sequence
    for customer_id in sorted(by_customer):
        cust_lines = sorted(by_customer[customer_id], key=_line_sort_key)
        if all(line["amount_ht"] == 0 for line in cust_lines):
            continue  # R61: no invoice without a non-zero line
        rate, mention = vat_treatment(customers[customer_id])
        total_ht = sum((line["amount_ht"] for line in cust_lines), ZERO)
        total_vat = round_line(total_ht * rate)
        inv_number = number("F", issued.year, sequence)
        sequence += 1
        for i, line in enumerate(cust_lines, start=1):
            line["invoice_number"] = inv_number
            line["line_no"] = i
        invoices.append(
            Invoice(
                invoice_number=inv_number,
                customer_id=customer_id,
                invoice_date=issued,
                due_date=due_date(month),
                period=str(month),
                total_ht=round_line(total_ht),
                total_vat=total_vat,
                total_ttc=round_line(total_ht) + total_vat,
                vat_rate=rate,
                vat_mention=mention,
                lines=cust_lines,
            )
        )
    return invoices
