"""The FEC (Fichier des Écritures Comptables, art. L47 A and A47 A-1 of the LPF) of a run.

OUT/YYYY-MM/{SIREN}FEC{YYYYMMDD}.txt, YYYYMMDD the date of the month's documents (R5: the 1st
of the next month), the closing date of its entries. One balanced entry per document in the
sales journal (VE):

    invoice:      411 customer  debit TTC | 706 revenue credit HT | 44571 VAT credit
    credit note:  the same, reversed (411 credit TTC, 706 debit HT, 44571 debit VAT)

Entry numbers run without a break per year of the entry date (one sequence per fiscal year,
like the invoice numbers of R60), continued from the FEC files of the months issued before.
Format (A47 A-1): the 18 fields in order, '|' separator, a header line, dates YYYYMMDD,
amounts with a decimal comma and no thousands separator, records ended by CR LF, characters
ISO 8859-15.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipeline.billing.documents import BilledMonth, CreditNote, Invoice
from pipeline.billing.invoicing import invoice_date
from pipeline.core.dates import Month
from pipeline.core.money import round_line
from pipeline.ledger.store import issued_months

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
JOURNAL_CODE = "VE"
JOURNAL_LIB = "Ventes"
CUSTOMER_ACCOUNT = ("411000", "Clients")
REVENUE_ACCOUNT = ("706000", "Prestations de services")
VAT_ACCOUNT = ("445710", "TVA collectée")
ENCODING = "iso-8859-15"
SEPARATOR = "|"
RECORD_END = "\r\n"
_ENTRY = re.compile(r"^VE(\d{4})-(\d{6})$")
_FEC_FILE = re.compile(r"^\d{9}FEC\d{8}\.txt$")
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

    def fields(self) -> list[str]:
        day = ymd(self.entry_date)
        return [
            JOURNAL_CODE,
            JOURNAL_LIB,
            self.entry,
            day,
            self.account[0],
            self.account[1],
            self.aux[0],
            self.aux[1],
            self.piece,
            day,
            self.label,
            amount(self.debit),
            amount(self.credit),
            "",
            "",
            day,
            "",
            "",
        ]


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def amount(value: Decimal) -> str:
    """1234.5 -> '1234,50': two decimals, decimal comma, no thousands separator."""
    return format(round_line(value), "f").replace(".", ",")


def text(value: object) -> str:
    """A free-text field: the separator and line breaks would break the record."""
    cleaned = "" if value is None else str(value)
    for ch in (SEPARATOR, "\r", "\n", "\t"):
        cleaned = cleaned.replace(ch, " ")
    return cleaned.strip()


def file_name(siren: str, documents_date: date) -> str:
    return f"{siren}FEC{ymd(documents_date)}.txt"


def next_entry_number(out: Path, before: Month, year: int) -> int:
    """The next number of the VE journal for `year`, after the FEC files of earlier months."""
    highest = 0
    for month in issued_months(out):
        if month >= before:
            continue
        for path in sorted((out / str(month)).glob("*FEC*.txt")):
            if not _FEC_FILE.match(path.name):
                continue
            with open(path, encoding=ENCODING, newline="") as handle:
                for record in handle:
                    fields = record.rstrip("\r\n").split(SEPARATOR)
                    if len(fields) < 3:
                        continue
                    match = _ENTRY.match(fields[2])
                    if match and int(match.group(1)) == year:
                        highest = max(highest, int(match.group(2)))
    return highest + 1


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
    ttc: Decimal,
    ht: Decimal,
    vat: Decimal,
    reverse: bool,
) -> list[FecLine]:
    lines = [
        FecLine(
            number,
            day,
            CUSTOMER_ACCOUNT,
            customer,
            piece,
            label,
            *_side(ttc, debit_when_positive=not reverse),
        ),
        FecLine(
            number,
            day,
            REVENUE_ACCOUNT,
            ("", ""),
            piece,
            label,
            *_side(ht, debit_when_positive=reverse),
        ),
    ]
    if vat != 0:
        lines.append(
            FecLine(
                number,
                day,
                VAT_ACCOUNT,
                ("", ""),
                piece,
                label,
                *_side(vat, debit_when_positive=reverse),
            )
        )
    return lines


def entries(
    invoices: Iterable[Invoice],
    credit_notes: Iterable[CreditNote],
    names: dict[str, str],
    first_number: dict[int, int],
) -> list[FecLine]:
    """Invoices in number order, then credit notes in number order; one entry each."""
    counters = dict(first_number)
    lines: list[FecLine] = []

    def number(day: date) -> str:
        seq = counters.setdefault(day.year, 1)
        counters[day.year] = seq + 1
        return f"{JOURNAL_CODE}{day.year:04d}-{seq:06d}"

    for inv in sorted(invoices, key=lambda i: i.invoice_number):
        name = text(names.get(inv.customer_id, ""))
        label = text(f"Facture {inv.invoice_number} {name}")
        lines += _entry(
            number(inv.invoice_date),
            inv.invoice_date,
            inv.invoice_number,
            label,
            (text(inv.customer_id), name),
            inv.total_ttc,
            inv.total_ht,
            inv.total_vat,
            reverse=False,
        )
    for cn in sorted(credit_notes, key=lambda c: c.credit_note_number):
        name = text(names.get(cn.customer_id, ""))
        label = text(f"Avoir {cn.credit_note_number} sur {cn.original_invoice_number} {name}")
        lines += _entry(
            number(cn.credit_note_date),
            cn.credit_note_date,
            cn.credit_note_number,
            label,
            (text(cn.customer_id), name),
            cn.amount_ttc,
            cn.amount_ht,
            cn.amount_vat,
            reverse=True,
        )
    return lines


def write_fec(folder: Path, billed: BilledMonth, out: Path) -> Path:
    """Write the month's FEC into `folder`; `out` holds the months issued before."""
    documents_date = invoice_date(billed.month)
    siren = text(billed.reference.provider["siren"]).replace(" ", "")
    names = {c["customer_id"]: c["name"] for c in billed.reference["ref_customers"].rows}
    years = {documents_date.year}
    years |= {i.invoice_date.year for i in billed.invoices}
    years |= {c.credit_note_date.year for c in billed.credit_notes}
    first = {year: next_entry_number(out, billed.month, year) for year in sorted(years)}
    lines = entries(billed.invoices, billed.credit_notes, names, first)
    path = folder / file_name(siren, documents_date)
    with open(path, "w", encoding=ENCODING, errors="replace", newline="") as handle:
        handle.write(SEPARATOR.join(FEC_COLUMNS) + RECORD_END)
        for line in lines:
            handle.write(SEPARATOR.join(line.fields()) + RECORD_END)
    return path


def read_fec(path: Path) -> list[dict[str, str]]:
    """The records of a FEC file as dicts (for tests and the audit)."""
    with open(path, encoding=ENCODING, newline="") as handle:
        records = [r.rstrip("\r\n").split(SEPARATOR) for r in handle if r.strip()]
    header, rows = records[0], records[1:]
    return [dict(zip(header, r, strict=True)) for r in rows]
