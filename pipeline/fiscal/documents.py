"""The issued documents as accounting sees them (R87-R89): pure functions of the ledger
snapshot; nothing here reads a file.

Every invoice and credit note of the issued months and corrections, in ledger order (the order
of issue, the order of the monthly FEC's entry numbers), with its TTC, its HT by revenue account
(the monthly FEC's accounts, `[accounts]` of provider.toml), and its VAT split between goods
(equipment sold or not returned: VAT due on delivery, art. 269-2-a CGI) and services (VAT due on
receipt, art. 269-2-c CGI, unless the provider opted for debits, R88).

The document shows one VAT amount per rate, computed on its whole HT (R2): the goods' share is
their HT x the rate, rounded to the cent (R2), and the services carry the rest, so that the two
add up to the document's VAT exactly (pipeline.billing.accounting.vat_split, which the monthly
FEC uses too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.billing.accounting import revenue, vat_split
from pipeline.billing.invoicing import MENTION_REVERSE_CHARGE
from pipeline.billing.ledger_snapshot import LedgerSnapshot, Row
from pipeline.receivables.compute import CREDIT_NOTE, INVOICE, ZERO, _issued_documents

FRANCE, EU_REVERSE_CHARGE, OUTSIDE_EU = "france", "eu_reverse_charge", "outside_eu"


@dataclass(frozen=True)
class SaleDocument:
    """One invoice or credit note; amounts as the document shows them (a credit note's are
    positive, `credit_note` says which way they go)."""

    number: str
    type: str  # INVOICE or CREDIT_NOTE
    customer_id: str
    date: date
    ttc: Decimal
    ht: Decimal
    vat: Decimal
    rate: Decimal
    revenue: tuple[tuple[tuple[str, str], Decimal], ...]  # HT by revenue account
    goods_ht: Decimal
    goods_vat: Decimal
    treatment: str  # FRANCE, EU_REVERSE_CHARGE, OUTSIDE_EU (R62)
    vat_number: str  # the customer's, as the document (or customers.csv) gives it
    original_invoice: str = ""  # a credit note's, or a supplementary invoice's
    position: int = 0  # its place in the order of issue

    @property
    def credit_note(self) -> bool:
        return self.type == CREDIT_NOTE

    @property
    def services_ht(self) -> Decimal:
        return self.ht - self.goods_ht

    @property
    def services_vat(self) -> Decimal:
        return self.vat - self.goods_vat

    @property
    def signed_ttc(self) -> Decimal:
        return -self.ttc if self.credit_note else self.ttc


def _amount(row: Row, column: str) -> Decimal:
    text = row.get(column) or ""
    return Decimal(text) if text else ZERO


def _lines(snapshot: LedgerSnapshot) -> dict[str, list[dict[str, object]]]:
    """The lines of every document, by document number; a correction line's amount is the one
    its document shows (`document_amount_ht`)."""
    lines: dict[str, list[dict[str, object]]] = {}
    issued = [*snapshot.months, *snapshot.corrections()]
    for folder in issued:
        for row in folder.invoice_lines:
            line: dict[str, object] = {"kind": row["kind"], "amount_ht": _amount(row, "amount_ht")}
            if row.get("document_amount_ht"):
                line["document_amount_ht"] = _amount(row, "document_amount_ht")
            lines.setdefault(row["invoice_number"], []).append(line)
    return lines


def treatment(rate: Decimal, mention: str) -> str:
    """R62 from what the document says: French VAT, EU reverse charge, or outside the EU."""
    if rate > 0:
        return FRANCE
    if mention.startswith(MENTION_REVERSE_CHARGE[:15]):
        return EU_REVERSE_CHARGE
    return OUTSIDE_EU


def sale_documents(
    snapshot: LedgerSnapshot,
    accounts: Mapping[str, tuple[str, str]],
    customers: Mapping[str, Mapping[str, object]] | None = None,
) -> list[SaleDocument]:
    """Every issued document, in the order of issue (see the module). `customers`: the rows of
    customers.csv, for the VAT number of a credit note (its row does not carry it)."""
    customers = customers or {}
    lines = _lines(snapshot)
    invoice_vat_numbers: dict[str, str] = {}
    documents = []
    for position, (folder, kind, row) in enumerate(_issued_documents(snapshot)):
        if folder.startswith("receivables/charges/"):
            continue  # R91's late-charge invoices: posted in OD from their late_charge events
        if kind == INVOICE:
            number, day = row["invoice_number"], row["invoice_date"]
            ht, vat, ttc = (_amount(row, c) for c in ("total_ht", "total_vat", "total_ttc"))
            original = row.get("original_invoice_number") or ""
        else:
            number, day = row["credit_note_number"], row["credit_note_date"]
            ht, vat, ttc = (_amount(row, c) for c in ("amount_ht", "amount_vat", "amount_ttc"))
            original = row.get("original_invoice_number") or ""
        rate = _amount(row, "vat_rate")
        doc_lines = lines.get(number, [])
        goods_ht, goods_vat = vat_split(doc_lines, ht, vat, rate)
        customer = row["customer_id"]
        vat_number = (
            row.get("customer_vat_number")
            or invoice_vat_numbers.get(original)
            or str(customers.get(customer, {}).get("vat_number") or "")
        )
        if kind == INVOICE:
            invoice_vat_numbers[number] = vat_number
        documents.append(
            SaleDocument(
                number,
                kind,
                customer,
                date.fromisoformat(day),
                ttc,
                ht,
                vat,
                rate,
                tuple(revenue(doc_lines, ht, dict(accounts))),
                goods_ht,
                goods_vat,
                treatment(rate, row.get("vat_mention") or ""),
                vat_number,
                original,
                position,
            )
        )
    return documents
