"""What the billing needs to know of what was already issued: one immutable snapshot.

The ledger (pipeline.ledger.snapshot) reads it from OUT once, under the run's lock, before
anything is computed; the billing only reads this object (never OUT). It holds, per issued
month in order, the rows of its issued documents (invoices.csv, invoice_lines.csv,
credit_notes.csv, as text, as issued), the last FEC entry number per year, and its
rated_calls.parquet (the cdr_ids billed, R41 DUPLICATE).

`before(month)` is the ledger as a run of `month` saw it: only the months issued before it.
A re-run of an issued month (R64), its audit and its correction (R65) all compute the month
from `snapshot.before(month)`, so that they number, deduplicate and credit exactly as the
first run did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipeline.core.dates import Month

Row = Mapping[str, str]
_NUMBER = re.compile(r"^(F|AV)(\d{4})-(\d{6})$")
# Line kinds that are telephony recurring charges (R51): plans and options, one line per
# subscription month. Not usage, rentals, early termination or other one-off lines.
TELEPHONY_RECURRING_KINDS = frozenset({"subscription"})


@dataclass(frozen=True)
class IssuedMonth:
    """One issued month (OUT/YYYY-MM/) as the ledger read it."""

    month: Month
    invoices: tuple[Row, ...] = ()
    invoice_lines: tuple[Row, ...] = ()
    credit_notes: tuple[Row, ...] = ()
    # last VE entry number per year of entry date in the month's FEC (pipeline.exports.fec)
    fec_last_entry: Mapping[int, int] = field(default_factory=dict)
    rated_calls_file: Path | None = None  # the cdr_ids billed in the month (read-only file)


@dataclass(frozen=True)
class IssuedInvoice:
    """A customer's invoice of an issued month, with what a credit note needs (R51, R52)."""

    invoice_number: str
    invoice_date: date
    vat_rate: Decimal
    vat_mention: str
    telephony_ht: Decimal


@dataclass(frozen=True)
class LedgerSnapshot:
    months: tuple[IssuedMonth, ...] = ()

    def before(self, month: Month) -> LedgerSnapshot:
        """The ledger as the run of `month` saw it: the months issued before it."""
        return LedgerSnapshot(tuple(m for m in self.months if m.month < month))

    @property
    def issued_months(self) -> list[Month]:
        return [m.month for m in self.months]

    def month(self, month: Month) -> IssuedMonth | None:
        return next((m for m in self.months if m.month == month), None)

    def rows(self, file: str) -> Iterator[tuple[Month, Row]]:
        """(month, row) of every issued row of `file` ('invoices.csv', 'credit_notes.csv',
        'invoice_lines.csv'), months in order, rows in file order."""
        attr = file.removesuffix(".csv")
        for issued in self.months:
            for row in getattr(issued, attr):
                yield issued.month, row

    def next_number(self, series: str, year: int) -> int:
        """R60: the next number of `series` ('F' or 'AV') for documents dated in `year`."""
        column, file = (
            ("invoice_number", "invoices.csv")
            if series == "F"
            else ("credit_note_number", "credit_notes.csv")
        )
        highest = 0
        for _, row in self.rows(file):
            match = _NUMBER.match(row.get(column, ""))
            if match and match.group(1) == series and int(match.group(2)) == year:
                highest = max(highest, int(match.group(3)))
        return highest + 1

    def next_fec_entry(self, year: int) -> int:
        """The next number of the sales journal for entries dated in `year`."""
        return 1 + max((m.fec_last_entry.get(year, 0) for m in self.months), default=0)

    def billed_id_files(self) -> list[tuple[str, Path]]:
        """(month, rated_calls.parquet) of every issued month: the cdr_ids already billed."""
        return [(str(m.month), m.rated_calls_file) for m in self.months if m.rated_calls_file]

    def invoice_of(self, month: Month, customer_id: str) -> IssuedInvoice | None:
        """The customer's invoice of issued month `month`, with its telephony recurring
        charges (R51); None when the month is not issued or has no invoice for it."""
        issued = self.month(month)
        if issued is None:
            return None
        for row in issued.invoices:
            if row["customer_id"] != customer_id:
                continue
            telephony = sum(
                (
                    Decimal(line["amount_ht"])
                    for line in issued.invoice_lines
                    if line["invoice_number"] == row["invoice_number"]
                    and line["kind"] in TELEPHONY_RECURRING_KINDS
                ),
                Decimal("0.00"),
            )
            return IssuedInvoice(
                row["invoice_number"],
                date.fromisoformat(row["invoice_date"]),
                Decimal(row["vat_rate"]),
                row["vat_mention"],
                telephony,
            )
        return None

    def credited_claims(self) -> dict[tuple[str, str], str]:
        """(customer_id, service_month) -> the first credit note issued for it (R52)."""
        credited: dict[tuple[str, str], str] = {}
        for _, row in self.rows("credit_notes.csv"):
            credited.setdefault(
                (row["customer_id"], row["service_month"]), row["credit_note_number"]
            )
        return credited
