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
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipeline.core.dates import Month

Row = Mapping[str, str]
_NUMBER = re.compile(r"^(F|AV)(\d{4})-(\d{6})$")
# Line kinds that are telephony recurring charges (R51): plans and options, one line per
# subscription month. Not usage, rentals, early termination or other one-off lines.
TELEPHONY_RECURRING_KINDS = frozenset({"subscription"})


@dataclass(frozen=True, order=True)
class Position:
    """Where a correction stands in the order of issue (R68): the last month issued when it
    was issued, and how many corrections OUT held then. Months are issued in order, so a
    correction comes after month `last_month` and before month `last_month` + 1."""

    last_month: Month
    corrections_before: int


@dataclass(frozen=True)
class IssuedCorrection:
    """One issued correction of a month (OUT/YYYY-MM/corrections/NN/, R65-R68). Its lines'
    amount_ht is the difference it billed or refunded (recomputed - issued)."""

    month: Month  # the corrected month
    number: int  # NN, 1, 2... in order of issue
    position: Position
    issued_on: date
    invoices: tuple[Row, ...] = ()
    invoice_lines: tuple[Row, ...] = ()
    credit_notes: tuple[Row, ...] = ()
    fec_last_entry: Mapping[int, int] = field(default_factory=dict)
    rated_calls_file: Path | None = None  # the month's calls as the correction rated them


@dataclass(frozen=True)
class IssuedCharge:
    """One issued late-charge run (OUT/receivables/charges/{D}-{NN}/, R91): invoices in the F
    series, outside the scope of VAT, numbered after every document issued before them. Its
    position counts with the corrections' (Position.corrections_before counts both), so that
    a correction or a month re-run sees exactly the charges issued before it."""

    name: str  # {D}-{NN}
    position: Position
    issued_on: date
    invoices: tuple[Row, ...] = ()
    invoice_lines: tuple[Row, ...] = ()
    credit_notes: tuple[Row, ...] = ()


@dataclass(frozen=True)
class IssuedMonth:
    """One issued month (OUT/YYYY-MM/) as the ledger read it, with its corrections."""

    month: Month
    invoices: tuple[Row, ...] = ()
    invoice_lines: tuple[Row, ...] = ()
    credit_notes: tuple[Row, ...] = ()
    # last VE entry number per year of entry date in the month's FEC (pipeline.exports.fec)
    fec_last_entry: Mapping[int, int] = field(default_factory=dict)
    rated_calls_file: Path | None = None  # the cdr_ids billed in the month (read-only file)
    corrections: tuple[IssuedCorrection, ...] = ()


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
    charges: tuple[IssuedCharge, ...] = ()  # late-charge runs (R91), in order of issue

    def before(self, month: Month) -> LedgerSnapshot:
        """The ledger as the run of `month` saw it: the months issued before it, with the
        corrections issued before it (those issued when a month before it was the last)."""
        return LedgerSnapshot(
            tuple(
                replace(
                    m, corrections=tuple(c for c in m.corrections if c.position.last_month < month)
                )
                for m in self.months
                if m.month < month
            ),
            tuple(c for c in self.charges if c.position.last_month < month),
        )

    def as_of(self, position: Position) -> LedgerSnapshot:
        """The ledger as a correction issued at `position` saw it."""
        return LedgerSnapshot(
            tuple(
                replace(
                    m,
                    corrections=tuple(
                        c
                        for c in m.corrections
                        if c.position.corrections_before < position.corrections_before
                    ),
                )
                for m in self.months
                if m.month <= position.last_month
            ),
            tuple(
                c
                for c in self.charges
                if c.position.corrections_before < position.corrections_before
            ),
        )

    @property
    def position(self) -> Position:
        """Where a correction issued now stands (R68)."""
        return Position(
            max(m.month for m in self.months),
            sum(len(m.corrections) for m in self.months) + len(self.charges),
        )

    def corrections(self, month: Month | None = None) -> list[IssuedCorrection]:
        """The corrections (of `month`, or of every month), in order of issue."""
        found = [c for m in self.months for c in m.corrections if month in (None, m.month)]
        return sorted(found, key=lambda c: c.position)

    @property
    def issued_months(self) -> list[Month]:
        return [m.month for m in self.months]

    def month(self, month: Month) -> IssuedMonth | None:
        return next((m for m in self.months if m.month == month), None)

    def rows(self, file: str, corrections: bool = True) -> Iterator[tuple[Month, Row]]:
        """(month, row) of every issued row of `file` ('invoices.csv', 'credit_notes.csv',
        'invoice_lines.csv'), months in order, rows in file order; then (unless
        `corrections` is false) the rows of the corrections, labelled with the month they
        correct."""
        attr = file.removesuffix(".csv")
        for issued in self.months:
            for row in getattr(issued, attr):
                yield issued.month, row
        if corrections:
            for correction in self.corrections():
                for row in getattr(correction, attr):
                    yield correction.month, row
            for charge in self.charges:  # R91: late-charge invoices share the F series
                for row in getattr(charge, attr):
                    yield charge.position.last_month, row

    def latest_date(self, series: str) -> date | None:
        """The date of the latest document issued in `series` ('F' or 'AV'), corrections
        included (R67)."""
        file, column = (
            ("invoices.csv", "invoice_date")
            if series == "F"
            else ("credit_notes.csv", "credit_note_date")
        )
        dates = [date.fromisoformat(r[column]) for _, r in self.rows(file) if r.get(column)]
        return max(dates, default=None)

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
        issued = [*self.months, *self.corrections()]
        return 1 + max((m.fec_last_entry.get(year, 0) for m in issued), default=0)

    def billed_id_files(self) -> list[tuple[str, Path]]:
        """(month, rated_calls.parquet) of every issued month and correction: the cdr_ids
        already billed (a late call billed by a correction is billed)."""
        issued = [*self.months, *self.corrections()]
        return [(str(m.month), m.rated_calls_file) for m in issued if m.rated_calls_file]

    def invoice_of(self, month: Month, customer_id: str) -> IssuedInvoice | None:
        """The customer's invoice of issued month `month`, with its telephony recurring
        charges (R51: as invoiced, the corrections of the month included); None when the
        month is not issued or has no invoice for it."""
        issued = self.month(month)
        if issued is None:
            return None
        for row in issued.invoices:
            if row["customer_id"] != customer_id:
                continue
            # the invoice's telephony lines, and the differences its corrections billed
            lines = [
                line
                for line in issued.invoice_lines
                if line["invoice_number"] == row["invoice_number"]
            ] + [
                line
                for correction in issued.corrections
                for line in correction.invoice_lines
                if line["customer_id"] == customer_id
            ]
            telephony = sum(
                (
                    Decimal(line["amount_ht"])
                    for line in lines
                    if line["kind"] in TELEPHONY_RECURRING_KINDS
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
        for _, row in self.rows("credit_notes.csv", corrections=False):
            credited.setdefault(
                (row["customer_id"], row["service_month"]), row["credit_note_number"]
            )
        return credited
