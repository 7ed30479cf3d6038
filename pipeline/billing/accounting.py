"""The accounting entries of a run's documents, for the FEC (pipeline.exports.fec writes them).

One balanced entry per document in the sales journal (VE):

    invoice:      411 customer debit TTC | one revenue account per kind of line, credit HT
                  (services 706, rentals 7083, goods 707, termination fees 7588) | 44571 VAT
    credit note:  the same, reversed (an SLA credit on the services account)

R88 (VAT on receipts, months issued from issue 28 on): when VAT is due on receipt (the default,
`vat_on_debits = false`), the VAT of services is posted to `vat_pending` (445740) and only the
VAT of goods (equipment sold or not returned: due on delivery) to 445710; `vat_split` shares a
document's VAT between the two. A month issued before keeps the postings it was issued with:
its manifest has no `fec_vat_pending`, and its audit recomputes it with every VAT on 445710
(docs/fiscal.md).

The revenue account of each line kind is a setting of provider.toml (`[accounts]`, defaults
in ACCOUNTS: docs/exports.md). Entry numbers run without a break per fiscal year
(`fiscal_year_end` of provider.toml, default 31 December; the number carries the year in
which the fiscal year closes), continued from the months issued before (the ledger
snapshot's last entry numbers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pipeline.billing.invoicing import GOODS_KINDS
from pipeline.billing.month_documents import CreditNote, Invoice
from pipeline.core.data_contract import DEFAULT_ACCOUNTS
from pipeline.core.money import round_line

JOURNAL_CODE = "VE"
JOURNAL_LIB = "Ventes"
CUSTOMER_ACCOUNT = ("411000", "Clients")
REVENUE_ACCOUNT = DEFAULT_ACCOUNTS["subscription"]
VAT_ACCOUNT = ("445710", "TVA collectée")
ACCOUNTS = DEFAULT_ACCOUNTS  # provider.toml [accounts] overrides them (pipeline.inputs.reference)
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
    # the year's FEC (R87, pipeline.fiscal): its journal, and the lettering of settled lines
    journal: tuple[str, str] = (JOURNAL_CODE, JOURNAL_LIB)
    letter: str = ""  # EcritureLet
    date_let: date | None = None  # DateLet


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


def fiscal_year(day: date, year_end: tuple[int, int] = (12, 31)) -> int:
    """The year in which the fiscal year holding `day` closes (`year_end`: month, day)."""
    return day.year if (day.month, day.day) <= year_end else day.year + 1


def fiscal_year_end(day: date, year_end: tuple[int, int] = (12, 31)) -> date:
    """The closing date of the fiscal year holding `day` (A47 A-1: the FEC's file name)."""
    year = fiscal_year(day, year_end)
    month, last = year_end
    try:
        return date(year, month, last)
    except ValueError:  # 29 February in a common year
        return date(year, month, last - 1)


def revenue(
    lines: list[dict[str, Any]], ht: Decimal, accounts: dict[str, tuple[str, str]]
) -> list[tuple[tuple[str, str], Decimal]]:
    """The document's HT by revenue account, in account order: each line's amount (the
    amount the document shows) on its kind's account; a document without lines (an SLA
    credit) on the services account."""
    if not lines:
        return [(REVENUE_ACCOUNT, ht)]
    totals: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        account = accounts.get(line["kind"], REVENUE_ACCOUNT)
        amount = line.get("document_amount_ht", line["amount_ht"])
        totals[account] = totals.get(account, ZERO) + amount
    return sorted(totals.items())


def vat_split(
    lines: list[dict[str, Any]], ht: Decimal, vat: Decimal, rate: Decimal
) -> tuple[Decimal, Decimal]:
    """(goods HT, goods VAT) of a document (R88): the goods' HT x the rate, rounded to the cent
    (R2); the services carry the rest of the document's VAT, so that the two add up to it
    exactly. A document of goods only puts all its VAT on goods, one without goods none."""
    amounts = [
        (str(line["kind"]), Decimal(str(line.get("document_amount_ht", line["amount_ht"]))))
        for line in lines
    ]
    goods = sum((a for k, a in amounts if k in GOODS_KINDS), ZERO)
    if not amounts or goods == 0:
        return ZERO, ZERO
    if all(k in GOODS_KINDS for k, _ in amounts):
        return goods, vat
    return goods, round_line(goods * rate)


def _entry(
    number: str,
    day: date,
    piece: str,
    label: str,
    customer: tuple[str, str],
    amounts: tuple[Decimal, list[tuple[tuple[str, str], Decimal]], Decimal, Decimal],
    reverse: bool,
    vat_pending: tuple[str, str] | None = None,
) -> list[FecLine]:
    """The lines of one entry: the customer for TTC, revenue for HT (per account), VAT when
    not zero (services' VAT on `vat_pending` when given, R88; `amounts`' last: goods' VAT)."""
    ttc, by_account, vat, goods_vat = amounts
    sides = [(CUSTOMER_ACCOUNT, customer, ttc, not reverse)]
    sides += [(account, ("", ""), ht, reverse) for account, ht in by_account]
    if vat_pending is None:
        if vat != 0:
            sides.append((VAT_ACCOUNT, ("", ""), vat, reverse))
    else:
        if goods_vat != 0:
            sides.append((VAT_ACCOUNT, ("", ""), goods_vat, reverse))
        if vat - goods_vat != 0:
            sides.append((vat_pending, ("", ""), vat - goods_vat, reverse))
    return [
        FecLine(number, day, account, aux, piece, label, *_side(value, debit_when_positive=debit))
        for account, aux, value, debit in sides
    ]


def entries(
    invoices: Iterable[Invoice],
    credit_notes: Iterable[CreditNote],
    names: dict[str, str],
    first_number: dict[int, int],
    accounts: dict[str, tuple[str, str]] | None = None,
    year_end: tuple[int, int] = (12, 31),
    vat_pending: tuple[str, str] | None = None,
) -> list[FecLine]:
    """Invoices in number order, then credit notes in number order; one entry each.
    `first_number`: the first entry number of each fiscal year (the ledger's next one).
    `vat_pending`: R88's account for the VAT of services due on receipt (None: every VAT on
    445710, as on debits and in the months issued before R88)."""
    accounts = accounts or ACCOUNTS
    counters = dict(first_number)
    lines: list[FecLine] = []

    def number(day: date) -> str:
        year = fiscal_year(day, year_end)
        seq = counters.setdefault(year, 1)
        counters[year] = seq + 1
        return f"{JOURNAL_CODE}{year:04d}-{seq:06d}"

    def fields(doc: Invoice | CreditNote) -> tuple[Any, ...]:
        """(piece, date, customer, label, amounts, reverse) of one document's entry."""
        if isinstance(doc, Invoice):
            ttc, ht, vat = doc.total_ttc, doc.total_ht, doc.total_vat
            return (doc.invoice_number, doc.invoice_date, doc.customer_id,
                    f"Facture {doc.invoice_number}", ttc, ht, vat, doc.lines, False,
                    doc.vat_rate)  # fmt: skip
        ttc, ht, vat = doc.amount_ttc, doc.amount_ht, doc.amount_vat
        return (doc.credit_note_number, doc.credit_note_date, doc.customer_id,
                f"Avoir {doc.credit_note_number} sur {doc.original_invoice_number}",
                ttc, ht, vat, doc.lines, True, doc.vat_rate)  # fmt: skip

    documents = [
        fields(d)
        for d in [
            *sorted(invoices, key=lambda i: i.invoice_number),
            *sorted(credit_notes, key=lambda c: c.credit_note_number),
        ]
    ]
    for piece, day, customer_id, what, ttc, ht, vat, doc_lines, reverse, rate in documents:
        name = text(names.get(customer_id, ""))
        _, goods_vat = vat_split(doc_lines, ht, vat, rate)
        lines += _entry(
            number(day),
            day,
            piece,
            text(f"{what} {name}"),
            (text(customer_id), name),
            (ttc, revenue(doc_lines, ht, accounts), vat, goods_vat),
            reverse=reverse,
            vat_pending=vat_pending,
        )
    return lines
