"""The accounting entries of a run's documents, for the FEC (pipeline.exports.fec writes them).

One balanced entry per document in the sales journal (VE):

    invoice:      411 customer  debit TTC | 706 revenue credit HT | 44571 VAT credit
    credit note:  the same, reversed (411 credit TTC, 706 debit HT, 44571 debit VAT)

Entry numbers run without a break per year of the entry date (one sequence per fiscal year,
like the invoice numbers of R60), continued from the months issued before (the ledger
snapshot's last entry numbers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.billing.documents import CreditNote, Invoice

JOURNAL_CODE = "VE"
JOURNAL_LIB = "Ventes"
CUSTOMER_ACCOUNT = ("411000", "Clients")
REVENUE_ACCOUNT = ("706000", "Prestations de services")
VAT_ACCOUNT = ("445710", "TVA collectée")
SEPARATOR = "|"  # the FEC's field separator: never inside a text field
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FecLine:
    entry: str
    entry_date: date
    account: tuple[str, str]
    aux: tuple[str, str]
    piece: str
    label: str
    debit: Decimal
    credit: Decimal


def text(value: object) -> str:
    """A free-text field: the separator and line breaks would break the record."""
    cleaned = "" if value is None else str(value)
    for ch in (SEPARATOR, "\r", "\n", "\t"):
        cleaned = cleaned.replace(ch, " ")
    return cleaned.strip()


def _side(value: Decimal, debit_when_positive: bool) -> tuple[Decimal, Decimal]:
    """(debit, credit) for an amount; a negative amount goes to the other side."""
    positive = value >= 0
    size = abs(value)
    if positive == debit_when_positive:
        return size, ZERO
    return ZERO, size


def _entry(
    number: str,
    day: date,
    piece: str,
    label: str,
    customer: tuple[str, str],
    amounts: tuple[Decimal, Decimal, Decimal],
    reverse: bool,
) -> list[FecLine]:
    """The lines of one entry: the customer for TTC, revenue for HT, VAT when not zero."""
    ttc, ht, vat = amounts
    sides = [
        (CUSTOMER_ACCOUNT, customer, ttc, not reverse),
        (REVENUE_ACCOUNT, ("", ""), ht, reverse),
    ]
    if vat != 0:
        sides.append((VAT_ACCOUNT, ("", ""), vat, reverse))
    return [
        FecLine(number, day, account, aux, piece, label, *_side(value, debit_when_positive=debit))
        for account, aux, value, debit in sides
    ]


def entries(
    invoices: Iterable[Invoice],
    credit_notes: Iterable[CreditNote],
    names: dict[str, str],
    first_number: dict[int, int],
) -> list[FecLine]:
    """Invoices in number order, then credit notes in number order; one entry each.
    `first_number`: the first entry number of each year (the ledger's next one)."""
    counters = dict(first_number)
    lines: list[FecLine] = []

    def number(day: date) -> str:
        seq = counters.setdefault(day.year, 1)
        counters[day.year] = seq + 1
        return f"{JOURNAL_CODE}{day.year:04d}-{seq:06d}"

    documents = [
        (
            inv.invoice_number,
            inv.invoice_date,
            inv.customer_id,
            f"Facture {inv.invoice_number}",
            (inv.total_ttc, inv.total_ht, inv.total_vat),
            False,
        )
        for inv in sorted(invoices, key=lambda i: i.invoice_number)
    ] + [
        (
            cn.credit_note_number,
            cn.credit_note_date,
            cn.customer_id,
            f"Avoir {cn.credit_note_number} sur {cn.original_invoice_number}",
            (cn.amount_ttc, cn.amount_ht, cn.amount_vat),
            True,
        )
        for cn in sorted(credit_notes, key=lambda c: c.credit_note_number)
    ]
    for piece, day, customer_id, what, amounts, reverse in documents:
        name = text(names.get(customer_id, ""))
        lines += _entry(
            number(day),
            day,
            piece,
            text(f"{what} {name}"),
            (text(customer_id), name),
            amounts,
            reverse=reverse,
        )
    return lines
