"""The issued documents as the e-invoicing stage needs them: one plain record per invoice and
credit note of the ledger snapshot (months and corrections), with the folder under OUT that
holds its Factur-X (`documents/{number}.pdf`), its VAT and its parties' countries. Pure: built
from the ledger snapshot the driver read once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.billing.invoicing import CATEGORY_GOODS, CATEGORY_MIXED
from pipeline.billing.ledger_snapshot import LedgerSnapshot, Row

INVOICE, CREDIT_NOTE = "invoice", "credit_note"


@dataclass(frozen=True)
class IssuedDocument:
    number: str
    type: str  # INVOICE or CREDIT_NOTE
    customer_id: str
    date: date
    month: str  # the billing month it belongs to (YYYY-MM)
    folder: str  # under OUT: "2026-10" or "2026-10/corrections/01"
    ht: Decimal  # positive, as issued
    vat: Decimal
    ttc: Decimal
    vat_rate: Decimal  # in percent (20.00); invoices.csv says 0.20
    vat_mention: str
    original_invoice: str  # a credit note's or a supplementary invoice's BT-25
    original_date: str
    period_start: str
    period_end: str
    category: str = "services"  # services, goods or mixed (operation_category of invoices.csv)

    @property
    def type_code(self) -> str:
        """UNTDID 1001: 380 invoice, 381 credit note (R70)."""
        return "381" if self.type == CREDIT_NOTE else "380"

    @property
    def pdf(self) -> str:
        """The Factur-X file, relative to OUT."""
        return f"{self.folder}/documents/{self.number}.pdf"

    @property
    def french_vat(self) -> bool:
        return self.vat_rate > 0


def _dec(row: Row, key: str) -> Decimal:
    return Decimal(row.get(key) or "0")


def _percent(row: Row) -> Decimal:
    """vat_rate of invoices.csv (0.20) as a percent, 2 decimals (20.00)."""
    return (_dec(row, "vat_rate") * 100).quantize(Decimal("0.01"))


def _invoice(row: Row, month: str, folder: str) -> IssuedDocument:
    return IssuedDocument(
        row["invoice_number"],
        INVOICE,
        row["customer_id"],
        date.fromisoformat(row["invoice_date"]),
        month,
        folder,
        _dec(row, "total_ht"),
        _dec(row, "total_vat"),
        _dec(row, "total_ttc"),
        _percent(row),
        row.get("vat_mention") or "",
        row.get("original_invoice_number") or "",
        row.get("original_invoice_date") or "",
        row.get("period_start") or "",
        row.get("period_end") or "",
        _category(row.get("operation_category") or ""),
    )


def _category(text: str) -> str:
    return {CATEGORY_GOODS: "goods", CATEGORY_MIXED: "mixed"}.get(text, "services")


def _credit_note(row: Row, month: str, folder: str) -> IssuedDocument:
    return IssuedDocument(
        row["credit_note_number"],
        CREDIT_NOTE,
        row["customer_id"],
        date.fromisoformat(row["credit_note_date"]),
        month,
        folder,
        _dec(row, "amount_ht"),
        _dec(row, "amount_vat"),
        _dec(row, "amount_ttc"),
        _percent(row),
        row.get("vat_mention") or "",
        row.get("original_invoice_number") or "",
        row.get("original_invoice_date") or "",
        "",
        "",
    )


def issued_documents(snapshot: LedgerSnapshot) -> dict[str, IssuedDocument]:
    """Every issued document by number: each month's invoices then credit notes, then its
    corrections in order of issue."""
    found: dict[str, IssuedDocument] = {}
    for issued in snapshot.months:
        month = str(issued.month)
        for row in issued.invoices:
            doc = _invoice(row, month, month)
            found[doc.number] = doc
        for row in issued.credit_notes:
            doc = _credit_note(row, month, month)
            found[doc.number] = doc
        for c in issued.corrections:
            folder = f"{month}/corrections/{c.number:02d}"
            for row in c.invoices:
                doc = _invoice(row, month, folder)
                found[doc.number] = doc
            for row in c.credit_notes:
                doc = _credit_note(row, month, folder)
                found[doc.number] = doc
    return found
