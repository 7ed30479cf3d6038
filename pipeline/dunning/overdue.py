"""R90: which invoices are overdue on a day, and since when, from the receivables journal's
events: pure functions, no file, no clock.

Each invoice gets a timeline of dated reductions of its balance, as known on day D (the
journal's events dated up to D):

- a credit note's allocation (R85) reduces it on the allocation's date;
- a payment's allocation (R84, detail `payment`) on its booking date; but a debit we
  presented is paid on time when the bank settles it on the requested collection date we
  chose (`collection_sent`, detail `collection_date`, after the due date when the due date
  is not a TARGET2 business day): a payment booked on or before the requested date of the
  invoice's first collection counts as paid on the due date;
- a returned debit (`debit_returned`) paid nothing: the payment it reverses is removed from
  the timeline (the latest payments of the invoice, up to the amount reversed), so the
  invoice was overdue all along. A collection presented again after a return is no longer
  the first one: its payment counts on its booking date.

A document is overdue on day t when its due date is before t and its balance after the
reductions of days up to t is above 0. A customer's overdue episode is a stretch of days
on which the sum of its overdue balances is above 0; it ends when that sum reaches 0 (R92).
Credit notes, and documents without a due date, are never overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from pipeline.receivables.journal import (
    ALLOCATION,
    COLLECTION_SENT,
    DEBIT_RETURNED,
    DOCUMENT_ISSUED,
    LIFECYCLE_STATUS,
    SUSPENDS_DUNNING,
    Event,
)

ZERO = Decimal("0.00")
ONE_DAY = timedelta(days=1)
DISPUTE_CODES = SUSPENDS_DUNNING  # R95: "En litige", "Refusée" suspend dunning (R92)


@dataclass
class Reduction:
    on: date  # the day it counts from (the balance is lower at the end of this day)
    amount: Decimal
    payment: bool  # a payment (may be undone by a return), not a credit note


@dataclass
class Invoice:
    number: str
    customer_id: str
    date: date
    due_date: date
    ttc: Decimal
    reductions: list[Reduction] = field(default_factory=list)
    collection_dates: list[date] = field(default_factory=list)  # requested dates, in order
    returns: int = 0
    statuses: list[tuple[date, str]] = field(default_factory=list)  # lifecycle (R95)
    late_charge: bool = False  # a late-charge invoice (R91): dunned, but bears no charges

    def balance_after(self, day: date) -> Decimal:
        """The open balance at the end of `day`."""
        return self.ttc - sum((r.amount for r in self.reductions if r.on <= day), ZERO)

    def balance_before(self, day: date) -> Decimal:
        """The open balance at the start of `day` (what a day of interest is counted on)."""
        return self.ttc - sum((r.amount for r in self.reductions if r.on < day), ZERO)

    def overdue_on(self, day: date) -> bool:
        return self.due_date < day and self.balance_after(day) > 0

    def change_days(self) -> list[date]:
        """The days its overdue state can change: the day after the due date and every
        reduction's day."""
        return sorted({self.due_date + ONE_DAY, *(r.on for r in self.reductions)})

    def lifecycle_dispute(self, day: date) -> bool:
        """Its latest lifecycle status up to `day` is 207 or 210 (R95)."""
        known = [code for on, code in self.statuses if on <= day]
        return bool(known) and known[-1] in DISPUTE_CODES


def invoices_on(events: Iterable[Event], day: date) -> dict[str, Invoice]:
    """Every invoice with a due date, its timeline as known at the end of `day` (see the
    module)."""
    invoices: dict[str, Invoice] = {}
    for e in events:
        if e.date > day:
            continue
        if e.kind == DOCUMENT_ISSUED:
            due = e.detail("due_date")
            if e.detail("type") == "invoice" and due:
                invoices[e.document] = Invoice(
                    e.document,
                    e.customer_id,
                    e.date,
                    date.fromisoformat(due),
                    e.amount,
                    late_charge=e.detail("late_charge") == "true",
                )
            continue
        invoice = invoices.get(e.document)
        if invoice is None:
            continue
        if e.kind == ALLOCATION:
            on, payment = e.date, bool(e.detail("payment"))
            first = invoice.collection_dates[:1]
            if payment and first and invoice.returns == 0 and e.date <= first[0]:
                on = min(e.date, invoice.due_date)  # settled on the date we chose: on time
            invoice.reductions.append(Reduction(on, e.amount, payment))
        elif e.kind == COLLECTION_SENT:
            requested = e.detail("collection_date")
            invoice.collection_dates.append(date.fromisoformat(requested) if requested else e.date)
        elif e.kind == DEBIT_RETURNED:
            invoice.returns += 1
            _undo_payments(invoice, e.amount)
        elif e.kind == LIFECYCLE_STATUS:
            invoice.statuses.append((e.date, e.detail("code")))
    for invoice in invoices.values():
        invoice.statuses.sort(key=lambda s: s[0])
    return invoices


def _undo_payments(invoice: Invoice, amount: Decimal) -> None:
    """A returned debit paid nothing: remove the latest payments, up to `amount`."""
    left = amount
    for r in reversed(list(invoice.reductions)):
        if left <= 0:
            break
        if not r.payment:
            continue
        taken = min(left, r.amount)
        r.amount -= taken
        left -= taken
    invoice.reductions = [r for r in invoice.reductions if r.amount != 0]


def overdue_amount(invoices: Iterable[Invoice], day: date) -> Decimal:
    return sum((i.balance_after(day) for i in invoices if i.overdue_on(day)), ZERO)


def episode_start(invoices: list[Invoice], day: date) -> date | None:
    """The first day of the customer's overdue episode running on `day` (None: not overdue
    on `day`). `invoices`: the customer's."""
    if overdue_amount(invoices, day) <= 0:
        return None
    days = sorted({d for i in invoices for d in i.change_days() if d <= day})
    start = None
    for d in days:
        if overdue_amount(invoices, d) > 0:
            start = start or d
        else:
            start = None
    return start


def by_customer(invoices: dict[str, Invoice]) -> dict[str, list[Invoice]]:
    grouped: dict[str, list[Invoice]] = {}
    for invoice in sorted(invoices.values(), key=lambda i: (i.due_date, i.number)):
        grouped.setdefault(invoice.customer_id, []).append(invoice)
    return dict(sorted(grouped.items()))
