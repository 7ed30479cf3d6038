"""Invoices from lines: one per customer and month (R61), VAT (R62), totals (R2), dates (R5),
numbers (R60), and the mentions a French B2B invoice must carry. Pure functions: the numbering
starts from what the ledger says was issued."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pipeline.billing.labels import (
    LOT_UNIT,
    MONTH_UNIT,
    PIECE_UNIT,
    UNIT_LABELS,
    decimal_text,
)
from pipeline.billing.month_documents import Invoice
from pipeline.core.dates import Month
from pipeline.core.money import round_line
from pipeline.inputs.reference import EU_COUNTRIES

FRENCH_VAT = Decimal("0.20")
NO_VAT = Decimal("0.00")
ZERO = Decimal("0.00")
# Monaco belongs to the French VAT territory (art. 7 of the 1963 Franco-Monegasque convention):
# its businesses are invoiced like French ones.
FRENCH_VAT_COUNTRIES = frozenset({"FR", "MC"})
MENTION_REVERSE_CHARGE = (
    "Autoliquidation - TVA due par le preneur, art. 283-2 du CGI / art. 196 directive 2006/112/CE"
)
MENTION_OUTSIDE_EU = "TVA non applicable, art. 259 B du CGI"
# Goods on the same invoice (equipment sold or not returned) are exempt on other grounds.
MENTION_GOODS_EU = "Livraison intracommunautaire de biens exonérée, art. 262 ter I du CGI"
MENTION_GOODS_OUTSIDE_EU = "Exportation de biens exonérée, art. 262 I du CGI"
PAYMENT_DAYS = 30  # R5
RECOVERY_INDEMNITY_EUR = Decimal("40")  # art. L441-10 and D441-5 du Code de commerce
DEFAULT_LATE_PENALTY = (
    "Taux de refinancement de la BCE majoré de 10 points (art. L441-10 du Code de commerce)"
)
DEFAULT_EARLY_PAYMENT = "Pas d'escompte pour paiement anticipé"

KIND_ORDER = (
    "subscription",
    "early_termination",
    "rental",
    "rental_early_termination",
    "non_return",
    "equipment_sale",
    "usage",
)
GOODS_KINDS = frozenset({"non_return", "equipment_sale"})
# R63: the unit of each kind of line (UN/ECE Rec. 20 codes, pipeline.billing.labels)
UNIT_OF_KIND = {
    "subscription": MONTH_UNIT,
    "early_termination": MONTH_UNIT,
    "rental": MONTH_UNIT,
    "rental_early_termination": MONTH_UNIT,
    "non_return": PIECE_UNIT,
    "equipment_sale": PIECE_UNIT,
    "usage": LOT_UNIT,
}
CATEGORY_SERVICES = "Prestation de services"
CATEGORY_GOODS = "Livraison de biens"
CATEGORY_MIXED = "Mixte (livraison de biens et prestation de services)"


def vat_treatment(customer: dict[str, Any]) -> tuple[Decimal, str]:
    """R62, by customer. A customer in another EU country without a VAT number is not a taxable
    business for reverse charge: French VAT applies (docs/contracts.md). A VAT number that
    fails its check never gets here: it stops the run (R42, pipeline.inputs.reference)."""
    country = customer["country"]
    if country in FRENCH_VAT_COUNTRIES:
        return FRENCH_VAT, ""
    if country in EU_COUNTRIES:
        if customer.get("vat_number"):
            return NO_VAT, MENTION_REVERSE_CHARGE
        return FRENCH_VAT, ""
    return NO_VAT, MENTION_OUTSIDE_EU


def vat_mention(customer: dict[str, Any], kinds: set[str]) -> str:
    """The R62 mention, completed with the exemption of goods when the invoice carries some."""
    rate, mention = vat_treatment(customer)
    if rate != 0 or not kinds & GOODS_KINDS:
        return mention
    goods = MENTION_GOODS_OUTSIDE_EU if mention == MENTION_OUTSIDE_EU else MENTION_GOODS_EU
    return f"{mention} ; {goods}"


def operation_category(kinds: set[str]) -> str:
    """Services, goods or both (mention required on French invoices from September 2026)."""
    goods = bool(kinds & GOODS_KINDS)
    services = bool(kinds - GOODS_KINDS)
    if goods and services:
        return CATEGORY_MIXED
    return CATEGORY_GOODS if goods else CATEGORY_SERVICES


def invoice_date(month: Month) -> date:
    """R5: dated the 1st of the next month."""
    return month.plus(1).first_day


def due_date(month: Month) -> date:
    """R5: due 30 days after the invoice date."""
    return invoice_date(month) + timedelta(days=PAYMENT_DAYS)


def number(series: str, year: int, sequence: int) -> str:
    """R60: F2026-000001, AV2026-000001."""
    return f"{series}{year:04d}-{sequence:06d}"


def seller_mentions(provider: dict[str, Any]) -> dict[str, Any]:
    """The seller's identity and payment terms, copied on every invoice from provider.toml."""
    return {
        "seller_name": provider.get("name"),
        "seller_siren": provider.get("siren"),
        "seller_vat_number": provider.get("vat_number"),
        "seller_address": provider.get("address"),
        "seller_rcs": provider.get("rcs"),
        "seller_share_capital_eur": provider.get("share_capital_eur"),
        "seller_iban": provider.get("iban"),
        "late_penalty_rate": provider.get("late_penalty_rate") or DEFAULT_LATE_PENALTY,
        "recovery_indemnity_eur": RECOVERY_INDEMNITY_EUR,
        "early_payment_discount": provider.get("early_payment_discount") or DEFAULT_EARLY_PAYMENT,
    }


def buyer_mentions(customer: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_name": customer.get("name"),
        "customer_siren": customer.get("siren"),
        "customer_vat_number": customer.get("vat_number"),
        "customer_address": customer.get("address"),
        "customer_country": customer.get("country"),
    }


def present(line: dict[str, Any]) -> dict[str, Any]:
    """R63: give a line its unit and make quantity x unit_price = amount_ht exactly (the
    line, changed in place).

    A subscription or rental month is 1 x the monthly price, months owed on termination n x
    the monthly price, a sale n x the unit price, a usage line 1 lot x its amount: exact
    whenever the price has at most 2 decimals. A price with more (the contract columns allow 4)
    gives an amount rounded to the cent (R2) that n x price is not: such a line shows 1 x the
    rounded amount in its unit when n is 1, else 1 lot at its amount with "n x price" written
    in its description (docs/einvoices.md)."""
    line.setdefault("unit", UNIT_OF_KIND.get(line["kind"], LOT_UNIT))
    line.setdefault("calls", None)
    quantity, price, amount = line.get("quantity"), line.get("unit_price"), line["amount_ht"]
    if quantity is None or price is None:
        line.update(quantity=1, unit=LOT_UNIT, unit_price=amount)
    elif quantity * price != amount:
        if quantity != 1:
            unit = UNIT_LABELS.get(line["unit"], line["unit"])
            price_text = decimal_text(price, max(2, -price.as_tuple().exponent))
            line["description"] += f" ({quantity} {unit} x {price_text} EUR HT)"
            line["unit"] = LOT_UNIT
        line.update(quantity=1, unit_price=amount)
    return line


def _line_sort_key(line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        KIND_ORDER.index(line["kind"]),
        line["reference"] or "",
        line["zone"] or "",
        line["reason"] or "",
        line.get("period_start") or date.min,
        line["description"],
    )


def build_invoices(
    lines: list[dict[str, Any]],
    customers: dict[str, dict[str, Any]],
    month: Month,
    next_sequence: int,
    provider: dict[str, Any] | None = None,
) -> list[Invoice]:
    """Group lines by customer; number invoices in customer_id order from `next_sequence`.

    R63: each line gets its unit and quantity x unit_price = amount (`present`).
    R2: lines are already rounded to cents; the VAT is computed once on the total HT of the
    invoice (one VAT rate per customer, R62) and rounded half away from zero."""
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        present(line)
        by_customer.setdefault(line["customer_id"], []).append(line)
    issued = invoice_date(month)
    seller = seller_mentions(provider or {})
    invoices = []
    sequence = next_sequence
    for customer_id in sorted(by_customer):
        cust_lines = sorted(by_customer[customer_id], key=_line_sort_key)
        if all(line["amount_ht"] == 0 for line in cust_lines):
            continue  # R61: no invoice without a non-zero line
        customer = customers[customer_id]
        kinds = {line["kind"] for line in cust_lines}
        rate, _ = vat_treatment(customer)
        total_ht = round_line(sum((line["amount_ht"] for line in cust_lines), ZERO))
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
                total_ht=total_ht,
                total_vat=total_vat,
                total_ttc=total_ht + total_vat,
                vat_rate=rate,
                vat_mention=vat_mention(customer, kinds),
                lines=cust_lines,
                period_start=month.first_day,
                period_end=month.last_day,
                operation_category=operation_category(kinds),
                **buyer_mentions(customer),
                **seller,
            )
        )
    return invoices
