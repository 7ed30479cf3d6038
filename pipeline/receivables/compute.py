"""Receivables computed from the journal snapshot and the issued documents: pure functions
(R82, R83, R85). Nothing here reads or writes a file.

- `document_events`: a "document issued" event for every issued invoice (+TTC) and credit
  note (-TTC) of the ledger snapshot not yet in the journal, in ledger order (months in order,
  each month's invoices then credit notes, then the corrections in order of issue), dated with
  the document's date.
- `allocation_events`: R85, each credit note's credit allocated first to the invoice it
  references while that is open, then to the customer's oldest open invoice (due date, then
  number); then each customer's unallocated payment credit (what payments brought beyond what
  they paid, and suspense items assigned to the customer without an invoice), oldest credit
  first, to its oldest open invoices the same way. An invoice already held by a collection is
  not open to credit (it was sent to the bank for its balance): the credit waits for the next
  invoice, as the credit note says ("deducted from the next debit").
- `Balances`: every document's TTC, what is allocated to it, and the collections holding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pipeline.billing.ledger_snapshot import LedgerSnapshot, Row
from pipeline.core.dates import Month
from pipeline.receivables.journal import (
    ALLOCATION,
    COLLECTION_SENT,
    DEBIT_RETURNED,
    DOCUMENT_ISSUED,
    PAYMENT_RECEIVED,
    RETURN_FEE,
    SUSPENSE,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
    Journal,
    details,
)

ZERO = Decimal("0.00")
REPRESENTED = ("AM04", "MS03")  # R84: return reasons presented again by the next collect, once
INVOICE, CREDIT_NOTE = "invoice", "credit_note"


def _issued_documents(
    snapshot: LedgerSnapshot,
) -> list[tuple[str, str, Row]]:
    """(folder under OUT, type, row) of every issued document, in ledger order."""
    ordered: list[tuple[tuple[Month, int], str, list[tuple[str, Row]]]] = []
    for issued in snapshot.months:
        docs = [(INVOICE, r) for r in issued.invoices] + [
            (CREDIT_NOTE, r) for r in issued.credit_notes
        ]
        ordered.append(((issued.month, -1), str(issued.month), docs))
    for c in snapshot.corrections():
        docs = [(INVOICE, r) for r in c.invoices] + [(CREDIT_NOTE, r) for r in c.credit_notes]
        key = (c.position.last_month, c.position.corrections_before)
        ordered.append((key, f"{c.month}/corrections/{c.number:02d}", docs))
    for charge in snapshot.charges:  # R91: late-charge invoices
        key = (charge.position.last_month, charge.position.corrections_before)
        docs = [(INVOICE, r) for r in charge.invoices]
        ordered.append((key, f"receivables/charges/{charge.name}", docs))
    ordered.sort(key=lambda item: item[0])
    return [(folder, kind, row) for _, folder, docs in ordered for kind, row in docs]


def document_events(
    snapshot: LedgerSnapshot, journal: Journal, sources: Mapping[str, str]
) -> list[Event]:
    """R83: a "document issued" event for each issued document not yet in the journal.
    `sources`: the sha256 of each issued file (path under OUT) as its manifest records it."""
    known = {e.document for e in journal.events if e.kind == DOCUMENT_ISSUED}
    events = []
    for folder, kind, row in _issued_documents(snapshot):
        if kind == INVOICE:
            number, day, amount = row["invoice_number"], row["invoice_date"], row["total_ttc"]
            file = f"{folder}/invoices.csv"
            extra = details(
                type=INVOICE,
                due_date=row.get("due_date"),
                payment_method=row.get("payment_method") or "transfer",
                mandate_id=row.get("mandate_id"),
                debit_date=row.get("debit_date"),
                late_charge="true" if folder.startswith("receivables/charges/") else None,
            )
            signed = Decimal(amount)
        else:
            number, day, amount = (
                row["credit_note_number"],
                row["credit_note_date"],
                row["amount_ttc"],
            )
            file = f"{folder}/credit_notes.csv"
            extra = details(type=CREDIT_NOTE, original_invoice=row.get("original_invoice_number"))
            signed = -Decimal(amount)
        if number in known:
            continue
        known.add(number)
        events.append(
            Event(
                DOCUMENT_ISSUED,
                date.fromisoformat(day),
                row["customer_id"],
                number,
                signed,
                file,
                sources.get(file, ""),
                number,
                extra,
            )
        )
    return events


@dataclass
class Document:
    number: str
    customer_id: str
    type: str
    date: date
    ttc: Decimal  # signed: a credit note is negative
    due_date: date | None
    payment_method: str
    mandate_id: str
    debit_date: date | None
    original_invoice: str
    allocated: Decimal = ZERO  # to an invoice: credit received; from a credit note: given
    collections: list[str] = field(default_factory=list)  # collections holding it
    paid: Decimal = ZERO  # what payments (R84) allocated to it, net of returns
    returns: list[str] = field(default_factory=list)  # reason codes of its returned debits

    @property
    def held(self) -> bool:
        """Held by a collection that was not returned (R82, R84)."""
        return len(self.collections) > len(self.returns)

    @property
    def presentable(self) -> bool:
        """Not held, and never collected, or collected once and returned AM04/MS03 (R84:
        presented again by the next collect, once)."""
        if self.held:
            return False
        if not self.collections:
            return True
        return len(self.collections) == 1 and self.returns[-1] in REPRESENTED

    @property
    def open_balance(self) -> Decimal:
        """An invoice's TTC - what is allocated to it; a credit note's unallocated credit
        (negative)."""
        return self.ttc - self.allocated if self.type == INVOICE else self.ttc + self.allocated

    @property
    def order(self) -> tuple[date, str]:
        return (self.due_date or self.date, self.number)


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


class Balances:
    """Every document of the journal with what is allocated to it and the collections that
    hold it, and each mandate's collections (R82 FRST/RCUR, the 36-month lapse)."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.documents: dict[str, Document] = {}
        self.by_customer: dict[str, list[Document]] = {}  # each customer's documents, in order
        self.mandate_uses: dict[str, list[date]] = {}
        self.collections: set[str] = set()
        self.credit: dict[str, Decimal] = {}  # customers' unallocated credit from payments
        # each customer's unallocated payment credits, oldest first: [event, remaining]
        self.credit_items: dict[str, list[list[Any]]] = {}
        self.suspense: dict[tuple[str, str], Event] = {}  # (sha256, entry) -> suspense event
        self.assigned: dict[tuple[str, str], Event] = {}  # suspense items assigned (--assign)
        self.fees: dict[str, Decimal] = {}  # customers' return fees (R84)
        self.stopped: dict[str, Event] = {}  # customer -> the return that stops its debits
        self.imported_refs: set[str] = set()  # account servicer references imported (R84)
        self.imported_entries: set[tuple[str, str]] = set()  # (file sha256, entry)
        self.imported_files: set[str] = set()  # sha256 of imported files
        for e in events:
            self.apply(e)

    def apply(self, e: Event) -> None:
        if e.kind == DOCUMENT_ISSUED:
            document = self.documents[e.document] = Document(
                e.document,
                e.customer_id,
                e.detail("type"),
                e.date,
                e.amount,
                _date(e.detail("due_date")),
                e.detail("payment_method", "transfer"),
                e.detail("mandate_id"),
                _date(e.detail("debit_date")),
                e.detail("original_invoice"),
            )
            self.by_customer.setdefault(e.customer_id, []).append(document)
        elif e.kind == ALLOCATION and e.detail("payment"):
            self.documents[e.document].allocated += e.amount
            self.documents[e.document].paid += e.amount
        elif e.kind == ALLOCATION and e.detail("credit"):
            # R85: unallocated payment credit given to an invoice (oldest credit first)
            self.documents[e.document].allocated += e.amount
            self.documents[e.document].paid += e.amount
            self.credit[e.customer_id] -= e.amount
            left = e.amount
            for item in self.credit_items[e.customer_id]:
                taken = min(left, item[1])
                item[1] -= taken
                left -= taken
            self.credit_items[e.customer_id] = [
                i for i in self.credit_items[e.customer_id] if i[1] > 0
            ]
        elif e.kind == ALLOCATION:
            self.documents[e.document].allocated += e.amount
            self.documents[e.detail("credit_note")].allocated += e.amount
        elif e.kind == UNALLOCATED_CREDIT:
            self.credit[e.customer_id] = self.credit.get(e.customer_id, ZERO) + e.amount
            self.credit_items.setdefault(e.customer_id, []).append([e, e.amount])
        elif e.kind == SUSPENSE:
            self.suspense[(e.source_sha256, e.entry)] = e
        elif e.kind == SUSPENSE_ASSIGNED:
            self.assigned[(e.source_sha256, e.entry)] = e
        elif e.kind == RETURN_FEE:
            self.fees[e.customer_id] = self.fees.get(e.customer_id, ZERO) + e.amount
        elif e.kind == DEBIT_RETURNED:
            document = self.documents[e.document]
            document.allocated -= e.amount
            document.paid -= e.amount
            document.returns.append(e.detail("reason"))
            if e.detail("reason") not in REPRESENTED:
                self.stopped[e.customer_id] = e
        elif e.kind == COLLECTION_SENT:
            self.documents[e.document].collections.append(e.detail("collection"))
            self.mandate_uses.setdefault(e.detail("mandate_id"), []).append(
                _date(e.detail("collection_date")) or e.date
            )
            self.collections.add(e.detail("collection"))
        if e.kind in (PAYMENT_RECEIVED, DEBIT_RETURNED, SUSPENSE) and e.source_sha256:
            self.imported_files.add(e.source_sha256)
            self.imported_entries.add((e.source_sha256, e.entry))
            if e.detail("servicer_ref"):
                self.imported_refs.add(e.detail("servicer_ref"))

    def open_invoices(self, customer_id: str) -> list[Document]:
        """The customer's invoices with an open balance not held by a collection, oldest
        first (due date, then number)."""
        return sorted(
            (
                d
                for d in self.by_customer.get(customer_id, ())
                if d.type == INVOICE and d.open_balance > 0 and not d.held
            ),
            key=lambda d: d.order,
        )


def allocation_events(events: list[Event]) -> list[Event]:
    """R85: the allocations of every credit note's unallocated credit (see the module)."""
    balances = Balances(events)
    new: list[Event] = []
    notes = [d for d in balances.documents.values() if d.type == CREDIT_NOTE]
    for note in notes:  # in journal order (dicts keep insertion order)
        if note.open_balance >= 0:
            continue  # no credit left: its targets are not looked for (each look scans them all)
        for invoice in _targets(balances, note):
            credit = -note.open_balance
            if credit <= 0:
                break
            amount = min(credit, invoice.open_balance)
            event = Event(
                ALLOCATION,
                max(note.date, invoice.date),
                note.customer_id,
                invoice.number,
                amount,
                "",
                "",
                f"{note.number}>{invoice.number}",
                details(credit_note=note.number),
            )
            balances.apply(event)
            new.append(event)
    for customer in sorted(c for c, amount in balances.credit.items() if amount > 0):
        new += _credit_allocations(balances, customer)
    return new


def _credit_allocations(balances: Balances, customer: str) -> list[Event]:
    """R85: the customer's unallocated payment credit to its open invoices, oldest credit to
    oldest invoice; each allocation names the payment (entry) the credit came from."""
    new = []
    for invoice in balances.open_invoices(customer):
        while invoice.open_balance > 0 and balances.credit_items.get(customer):
            credit, remaining = balances.credit_items[customer][0]
            amount = min(remaining, invoice.open_balance)
            event = Event(
                ALLOCATION,
                max(credit.date, invoice.date),
                customer,
                invoice.number,
                amount,
                credit.source_file,
                credit.source_sha256,
                credit.entry,
                details(credit=credit.entry),
            )
            balances.apply(event)
            new.append(event)
    return new


def _targets(balances: Balances, note: Document) -> list[Document]:
    open_ = balances.open_invoices(note.customer_id)
    first = [d for d in open_ if d.number == note.original_invoice]
    return first + [d for d in open_ if d.number != note.original_invoice]


def new_events(
    snapshot: LedgerSnapshot, journal: Journal, sources: Mapping[str, str]
) -> list[Event]:
    """What the journal lacks: the documents issued since it was last written and the
    allocations they make possible."""
    documents = document_events(snapshot, journal, sources)
    allocations = allocation_events([*journal.events, *documents])
    return documents + allocations


def customer_rows(reference: Any) -> dict[str, dict[str, Any]]:
    return {c["customer_id"]: c for c in reference["ref_customers"].rows}
