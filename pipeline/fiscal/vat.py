"""R89: the figures of a month's VAT return (form 3310-CA3) and the Déclaration Européenne de
Services (DES), from the same documents and VAT moves as the year's FEC (pipeline.fiscal.entries):
pure functions, nothing here reads a file.

CA3, one row per figure, each with its box of the form (3310-CA3-SD):

- `A1` ventes, prestations de services: the taxable base of the month (the base of line 08);
- `08` taux normal 20 %: base and VAT due: goods invoiced in the month (VAT on delivery),
  services paid in the month (VAT on receipt: the share of each payment, R88), or services
  invoiced in the month when the provider opted for debits; this is what the month's entries
  credit to 445710;
- `E1` exportations hors UE: goods sold to customers outside the EU (HT, credit notes negative);
- `E2` autres opérations non imposables, in two rows: services to EU businesses under reverse
  charge (art. 283-2 CGI, declared on the DES too) and services to customers outside the EU
  (art. 259 B CGI); HT of the documents dated in the month, credit notes negative;
- `F2` livraisons intracommunautaires: goods to EU businesses (HT);
- `21` autre TVA à déduire, in two rows: the VAT of credit notes taken back from 445710 in the
  month (goods, or services on debits), and the VAT of payments reversed by returned debits
  (R88), both as positive amounts to deduct.

So `08` VAT - `21` VAT = what the month's entries credit to 445710, net: the year's FEC over the
same dates says the same (tests/test_fiscal.py proves it). The rows are always all there, at
0.00 when nothing happened, in the order above.

DES: one row per EU customer under reverse charge with a document dated in the month, its VAT
number and the HT of its services invoiced in the month (credit notes negative).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.fiscal.documents import EU_REVERSE_CHARGE, OUTSIDE_EU, SaleDocument
from pipeline.fiscal.entries import (
    CREDIT_NOTE_VAT,
    GOODS_INVOICED,
    RETURNED,
    SERVICES_INVOICED,
    SERVICES_PAID,
    VatMove,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Ca3Row:
    box: str
    label: str
    base: Decimal
    vat: Decimal | None  # None: a figure without VAT


@dataclass(frozen=True)
class DesRow:
    customer_id: str
    vat_number: str
    amount_ht: Decimal


def _in(day: date, first: date, last: date) -> bool:
    return first <= day <= last


def ca3(
    documents: Iterable[SaleDocument], moves: Iterable[VatMove], first: date, last: date
) -> list[Ca3Row]:
    """The CA3 figures of the dates [first, last] (see the module)."""
    moves = [m for m in moves if _in(m.day, first, last)]
    docs = [d for d in documents if _in(d.date, first, last)]

    def moved(*figures: str) -> tuple[Decimal, Decimal]:
        chosen = [m for m in moves if m.figure in figures]
        return sum((m.base for m in chosen), ZERO), sum((m.vat for m in chosen), ZERO)

    def ht(treatment: str, goods: bool) -> Decimal:
        total = ZERO
        for d in docs:
            if d.treatment == treatment:
                amount = d.goods_ht if goods else d.services_ht
                total += -amount if d.credit_note else amount
        return total

    base, vat = moved(GOODS_INVOICED, SERVICES_PAID, SERVICES_INVOICED)
    notes_base, notes_vat = moved(CREDIT_NOTE_VAT)
    returned_base, returned_vat = moved(RETURNED)
    return [
        Ca3Row("A1", "Ventes, prestations de services", base, None),
        Ca3Row("08", "Taux normal 20 % : base et TVA brute due", base, vat),
        Ca3Row("E1", "Exportations hors UE (biens)", ht(OUTSIDE_EU, True), None),
        Ca3Row(
            "E2",
            "Prestations de services intracommunautaires (autoliquidation, art. 283-2 du CGI)",
            ht(EU_REVERSE_CHARGE, False),
            None,
        ),
        Ca3Row(
            "E2",
            "Prestations de services à des preneurs hors UE (art. 259 B du CGI)",
            ht(OUTSIDE_EU, False),
            None,
        ),
        Ca3Row("F2", "Livraisons intracommunautaires (biens)", ht(EU_REVERSE_CHARGE, True), None),
        Ca3Row("21", "Autre TVA à déduire : TVA des avoirs", -notes_base, -notes_vat),
        Ca3Row(
            "21",
            "Autre TVA à déduire : TVA des encaissements annulés (prélèvements retournés)",
            -returned_base,
            -returned_vat,
        ),
    ]


def des(documents: Iterable[SaleDocument], first: date, last: date) -> list[DesRow]:
    """The DES rows of the dates [first, last] (see the module), by customer id."""
    totals: dict[str, Decimal] = {}
    numbers: dict[str, str] = {}
    for d in documents:
        if d.treatment != EU_REVERSE_CHARGE or not _in(d.date, first, last) or not d.services_ht:
            continue
        amount = -d.services_ht if d.credit_note else d.services_ht
        totals[d.customer_id] = totals.get(d.customer_id, ZERO) + amount
        numbers.setdefault(d.customer_id, d.vat_number)
    return [DesRow(c, numbers[c], totals[c]) for c in sorted(totals)]
