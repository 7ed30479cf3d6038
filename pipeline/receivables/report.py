"""R86: the receivables reports of a day D, computed from the journal's events dated up to D.
Pure functions: nothing here reads a file or the clock (the driver hands the events over).

The events are the journal's, plus the "document issued" events (and the credit-note
allocations, R85) the journal lacks yet (computed in memory as `collect` does, not recorded),
kept when dated on or before D: a report for an earlier D is the earlier state, whatever was
recorded since with a later date.

- Open items: every document whose open balance is not zero; a credit note with credit left
  appears with a negative open balance. `days_past_due` = D - due date when positive (a credit
  note has no due date: 0). `status`: the code of the document's latest lifecycle status
  (a `lifecycle_status` event of the e-invoicing platform) dated on or before D.
- Balances, per customer with an open item, unallocated payment credit or a return fee:
  balance = its open balances - its unallocated credit + its return fees (R83, with the fees:
  what the customer owes). `overdue`: the open balances of its invoices past due.
- Aged balance: the open balances of invoices by days past due (not due, 1-30, 31-60, 61-90,
  over 90); then `credits` (credit notes' credit left and unallocated payment credit,
  negative), `return_fees` and `total` (= the balance).
- Suspense: every `suspense` event not settled by a `suspense_assigned` event with the same
  (source sha256, entry) dated on or before D.
- Receipts: each payment received (and each assigned suspense item, each returned debit) with
  what it paid.
- The check (R86): issued - allocated = sum of open items, and sum of balances = open items -
  unallocated credit + return fees, to the cent. Issued = the signed TTC of the documents;
  allocated = what customers paid (payments received for a customer, suspense items assigned
  to one) - returned debits - their unallocated credit left: the money side, summed from the
  events, against the documents' side. They differ only when an amount was lost (R83).

An allocation of a payment dated before its invoice's date (a payment booked before the
invoice existed) is, on a D between the two, the customer's unallocated credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from pipeline.core.errors import ProblemFound
from pipeline.core.language import say
from pipeline.receivables.compute import CREDIT_NOTE, INVOICE, ZERO, Balances, Document
from pipeline.receivables.journal import (
    ALLOCATION,
    COLLECTION_SENT,
    DEBIT_RETURNED,
    DOCUMENT_ISSUED,
    LIFECYCLE_STATUS,
    PAYMENT_RECEIVED,
    RETURN_FEE,
    SUSPENSE,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
    details,
)

DEBIT = "DBIT"  # the direction of a suspense item that is money taken out (statements.py)
BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


@dataclass(frozen=True)
class OpenItem:
    customer_id: str
    document_number: str
    type: str  # invoice, credit_note
    document_date: date
    due_date: date | None
    total_ttc: Decimal  # signed: a credit note is negative
    open_balance: Decimal
    days_past_due: int
    status: str


@dataclass(frozen=True)
class CustomerBalance:
    customer_id: str
    balance: Decimal
    overdue: Decimal
    unallocated_credit: Decimal
    return_fees: Decimal
    oldest_due_date: date | None
    payment_method: str
    dunning_level: str = ""  # the highest letter of its overdue episode on D (R92)


@dataclass(frozen=True)
class Aged:
    customer_id: str
    not_due: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_over_90: Decimal
    credits: Decimal
    return_fees: Decimal
    total: Decimal


@dataclass(frozen=True)
class SuspenseItem:
    entry_ref: str
    source_file: str
    date: date
    amount: Decimal
    debtor: str
    remittance: str
    reason: str
    direction: str


@dataclass(frozen=True)
class Receipt:
    """A payment received, a suspense item assigned, or a returned debit (negative), and what
    it did: the documents it paid, the credit it left, what went to suspense."""

    date: date
    customer_id: str
    kind: str  # payment, assigned, returned
    amount: Decimal
    source_file: str
    entry: str
    paid: str  # "F2026-000001 12.00; F2026-000002 3.00"
    unallocated: Decimal
    suspense: Decimal
    detail: str  # rule, debtor, return reason


@dataclass(frozen=True)
class Totals:
    issued: Decimal
    received: Decimal
    returned: Decimal
    unallocated_credit: Decimal
    allocated: Decimal
    open_items: Decimal
    return_fees: Decimal
    balances: Decimal
    suspense: Decimal


@dataclass
class Report:
    day: date
    open_items: list[OpenItem]
    balances: list[CustomerBalance]
    aged: list[Aged]
    suspense: list[SuspenseItem]
    receipts: list[Receipt]
    totals: Totals
    events: list[Event] = field(default_factory=list)  # the events dated up to D, as applied


def events_at(events: Iterable[Event], day: date) -> list[Event]:
    """The events dated on or before `day`, in journal order, ready for `Balances`: a payment
    allocated to a document not yet issued on `day` is the customer's unallocated credit; any
    other event about a document not yet issued is left out (the check then finds what is
    missing)."""
    kept: list[Event] = []
    issued: set[str] = set()
    for e in events:
        if e.date > day:
            continue
        if e.kind == DOCUMENT_ISSUED:
            issued.add(e.document)
        elif e.kind in (ALLOCATION, DEBIT_RETURNED, COLLECTION_SENT):
            note = e.detail("credit_note") if e.kind == ALLOCATION else ""
            known = e.document in issued and (not note or note in issued)
            if not known:
                if e.kind == ALLOCATION and e.detail("payment"):
                    kept.append(
                        Event(
                            UNALLOCATED_CREDIT,
                            e.date,
                            e.customer_id,
                            "",
                            e.amount,
                            e.source_file,
                            e.source_sha256,
                            e.entry,
                            details(payment=e.detail("payment"), before_invoice=e.document),
                        )
                    )
                continue
        kept.append(e)
    return kept


def _days_past_due(document: Document, day: date) -> int:
    if document.type != INVOICE:
        return 0
    return max(0, (day - (document.due_date or document.date)).days)


def bucket(days_past_due: int) -> str:
    """The aged-balance column of an invoice `days_past_due` days late (R86)."""
    if days_past_due <= 0:
        return "not_due"
    if days_past_due <= 30:
        return "days_1_30"
    if days_past_due <= 60:
        return "days_31_60"
    if days_past_due <= 90:
        return "days_61_90"
    return "days_over_90"


def _statuses(events: list[Event]) -> dict[str, str]:
    latest: dict[str, tuple[date, str]] = {}
    for e in events:
        if e.kind == LIFECYCLE_STATUS and e.document:
            if e.document not in latest or e.date >= latest[e.document][0]:
                latest[e.document] = (e.date, e.detail("code"))
    return {number: code for number, (_, code) in latest.items()}


def _open_items(balances: Balances, events: list[Event], day: date) -> list[OpenItem]:
    statuses = _statuses(events)
    items = [
        OpenItem(
            d.customer_id,
            d.number,
            d.type,
            d.date,
            d.due_date if d.type == INVOICE else None,
            d.ttc,
            d.open_balance,
            _days_past_due(d, day),
            statuses.get(d.number, ""),
        )
        for d in balances.documents.values()
        if d.open_balance != 0
    ]
    items.sort(key=lambda i: (i.customer_id, i.due_date or i.document_date, i.document_number))
    return items


def _payment_methods(balances: Balances, fallback: Mapping[str, str]) -> dict[str, str]:
    """Each customer's payment method as its latest invoice on D says, else customers.csv."""
    methods = dict(fallback)
    latest: dict[str, tuple[date, str]] = {}
    for d in balances.documents.values():
        if d.type == INVOICE and (
            d.customer_id not in latest or (d.date, d.number) >= latest[d.customer_id]
        ):
            latest[d.customer_id] = (d.date, d.number)
            methods[d.customer_id] = d.payment_method or "transfer"
    return methods


def _customers(
    items: list[OpenItem], balances: Balances, methods: Mapping[str, str]
) -> tuple[list[CustomerBalance], list[Aged]]:
    ids = sorted(
        {i.customer_id for i in items}
        | {c for c, v in balances.credit.items() if v != 0}
        | {c for c, v in balances.fees.items() if v != 0}
    )
    by_customer: dict[str, list[OpenItem]] = {}
    for i in items:
        by_customer.setdefault(i.customer_id, []).append(i)
    rows, aged = [], []
    for c in ids:
        own = by_customer.get(c, [])
        credit = balances.credit.get(c, ZERO)
        fees = balances.fees.get(c, ZERO)
        buckets = dict.fromkeys(BUCKETS, ZERO)
        notes = ZERO
        for i in own:
            if i.type == INVOICE:
                buckets[bucket(i.days_past_due)] += i.open_balance
            else:
                notes += i.open_balance
        open_total = sum((i.open_balance for i in own), ZERO)
        balance = open_total - credit + fees
        overdue = sum((i.open_balance for i in own if i.days_past_due > 0), ZERO)
        dues = [i.due_date for i in own if i.type == INVOICE and i.open_balance > 0 and i.due_date]
        rows.append(
            CustomerBalance(
                c, balance, overdue, credit, fees, min(dues, default=None), methods.get(c, "")
            )
        )
        aged.append(Aged(c, *buckets.values(), notes - credit, fees, balance))
    return rows, aged


def _suspense(events: list[Event]) -> list[SuspenseItem]:
    assigned = {(e.source_sha256, e.entry) for e in events if e.kind == SUSPENSE_ASSIGNED}
    received = {(e.source_sha256, e.entry): e for e in events if e.kind == PAYMENT_RECEIVED}
    items = []
    for e in events:
        if e.kind != SUSPENSE or (e.source_sha256, e.entry) in assigned:
            continue
        payment = received.get((e.source_sha256, e.entry))
        source = payment or e
        debtor = source.detail("debtor_name") or source.detail("debtor_iban")
        items.append(
            SuspenseItem(
                e.entry,
                e.source_file,
                e.date,
                e.amount,
                debtor,
                source.detail("remittance"),
                e.detail("reason"),
                e.detail("direction"),
            )
        )
    items.sort(key=lambda s: (s.date, s.source_file, s.entry_ref))
    return items


def _receipts(events: list[Event]) -> list[Receipt]:
    paid: dict[tuple[str, str], list[str]] = {}
    unallocated: dict[tuple[str, str], Decimal] = {}
    held: dict[tuple[str, str], Decimal] = {}
    suspense_direction: dict[tuple[str, str], str] = {}
    for e in events:
        key = (e.source_sha256, e.entry)
        if e.kind == ALLOCATION and e.detail("payment"):
            paid.setdefault(key, []).append(f"{e.document} {e.amount}")
        elif e.kind == UNALLOCATED_CREDIT:
            unallocated[key] = unallocated.get(key, ZERO) + e.amount
        elif e.kind == SUSPENSE:
            held[key] = held.get(key, ZERO) + e.amount
            suspense_direction[key] = e.detail("direction")
    rows = []
    assigned = _assigned(events)
    for e in events:
        key = (e.source_sha256, e.entry)
        if e.kind == PAYMENT_RECEIVED and e.customer_id and key in assigned:
            continue  # shown by its assignment
        if e.kind == PAYMENT_RECEIVED:
            detail = " ".join(
                x
                for x in (
                    f"règle {e.detail('rule')}" if e.detail("rule") else "",
                    e.detail("debtor_name"),
                    e.detail("remittance"),
                )
                if x
            )
            rows.append(
                Receipt(
                    e.date,
                    e.customer_id,
                    "payment",
                    e.amount,
                    e.source_file,
                    e.entry,
                    # a credit held in suspense pays nothing itself: its assignment does
                    "; ".join(paid.get(key, [])) if e.customer_id else "",
                    unallocated.get(key, ZERO) if e.customer_id else ZERO,
                    ZERO if e.customer_id else held.get(key, ZERO),
                    detail,
                )
            )
        elif e.kind == SUSPENSE_ASSIGNED:
            sign = -1 if suspense_direction.get(key) == DEBIT else 1
            rows.append(
                Receipt(
                    e.date,
                    e.customer_id,
                    "assigned",
                    sign * e.amount,
                    e.source_file,
                    e.entry,
                    "; ".join(paid.get(key, [])),
                    unallocated.get(key, ZERO),
                    ZERO,
                    e.detail("invoice"),
                )
            )
        elif e.kind == DEBIT_RETURNED:
            rows.append(
                Receipt(
                    e.date,
                    e.customer_id,
                    "returned",
                    -e.amount,
                    e.source_file,
                    e.entry,
                    e.document,
                    ZERO,
                    ZERO,
                    e.detail("reason"),
                )
            )
    rows.sort(key=lambda r: (r.date, r.source_file, r.entry, r.kind))
    return rows


def _assigned(events: list[Event]) -> set[tuple[str, str]]:
    """(source sha256, entry) of the suspense items assigned: their money counts once, by the
    `suspense_assigned` event (whatever other events the assignment records)."""
    return {(e.source_sha256, e.entry) for e in events if e.kind == SUSPENSE_ASSIGNED}


def money_side(events: list[Event], credit: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(received, returned, allocated) from the events: what customers paid (payments received
    for a customer, suspense items assigned to one, a debit item assigned counting as taken
    back), what returned debits took back, and allocated = received - returned - `credit`
    (their unallocated credit left)."""
    directions = {
        (e.source_sha256, e.entry): e.detail("direction") for e in events if e.kind == SUSPENSE
    }
    assigned = _assigned(events)
    received = returned = ZERO
    for e in events:
        if e.kind == PAYMENT_RECEIVED and e.customer_id:
            if (e.source_sha256, e.entry) not in assigned:  # an assignment counts once
                received += e.amount
        elif e.kind == SUSPENSE_ASSIGNED:
            if directions.get((e.source_sha256, e.entry)) == DEBIT:
                returned += e.amount
            else:
                received += e.amount
        elif e.kind == DEBIT_RETURNED:
            returned += e.amount
    return received, returned, received - returned - credit


def compute_report(
    events: Iterable[Event],
    day: date,
    payment_methods: Mapping[str, str] | None = None,
    dunning_levels: Mapping[str, str] | None = None,
) -> Report:
    """R86: the report of `day` from the journal's events (and the pending ones): see the
    module. `payment_methods`: customers.csv's, for a customer without an invoice on D;
    `dunning_levels`: each customer's dunning level on D (R92, computed by the dunning stage,
    above this one: the driver passes it)."""
    kept = events_at(events, day)
    balances = Balances(kept)
    items = _open_items(balances, kept, day)
    methods = _payment_methods(balances, payment_methods or {})
    rows, aged = _customers(items, balances, methods)
    levels = dunning_levels or {}
    rows = [replace(r, dunning_level=levels.get(r.customer_id, "")) for r in rows]
    credit = sum(balances.credit.values(), ZERO)
    received, returned, allocated = money_side(kept, credit)
    suspense = _suspense(kept)
    totals = Totals(
        issued=sum((e.amount for e in kept if e.kind == DOCUMENT_ISSUED), ZERO),
        received=received,
        returned=returned,
        unallocated_credit=credit,
        allocated=allocated,
        open_items=sum((i.open_balance for i in items), ZERO),
        return_fees=sum(balances.fees.values(), ZERO),
        balances=sum((r.balance for r in rows), ZERO),
        suspense=sum((s.amount for s in suspense), ZERO),
    )
    return Report(day, items, rows, aged, suspense, _receipts(kept), totals, kept)


def check(totals: Totals) -> None:
    """R86: issued - allocated = open items, and balances = open items - unallocated credit +
    return fees, to the cent; otherwise ProblemFound (exit 1) naming the figures."""
    t = totals
    first = t.issued - t.allocated
    second = t.open_items - t.unallocated_credit + t.return_fees
    if first == t.open_items and second == t.balances:
        return
    raise ProblemFound(
        say(
            f"les créances ne se rapprochent pas (R86) : émis {t.issued} - affecté "
            f"{t.allocated} = {first}, mais postes ouverts {t.open_items} ; postes ouverts "
            f"{t.open_items} - crédit non affecté {t.unallocated_credit} + frais de rejet "
            f"{t.return_fees} = {second}, mais soldes {t.balances} (encaissé {t.received}, "
            f"retourné {t.returned}) ; aucun rapport n'est écrit",
            f"receivables do not reconcile (R86): issued {t.issued} - allocated "
            f"{t.allocated} = {first}, but open items {t.open_items}; open items "
            f"{t.open_items} - unallocated credit {t.unallocated_credit} + return fees "
            f"{t.return_fees} = {second}, but balances {t.balances} (received {t.received}, "
            f"returned {t.returned}); no report written",
        )
    )


# --- the statement of account of one customer (R86 --customer) -----------------------------


@dataclass(frozen=True)
class StatementLine:
    date: date
    label: str
    debit: Decimal  # what the customer owes more
    credit: Decimal  # what it owes less
    balance: Decimal  # running


@dataclass
class Statement:
    customer_id: str
    day: date
    lines: list[StatementLine]
    open_items: list[OpenItem]
    balance: Decimal
    overdue: Decimal
    unallocated_credit: Decimal
    return_fees: Decimal


def _kind_order(e: Event) -> int:
    return 0 if e.kind == DOCUMENT_ISSUED else 1


def statement(report: Report, customer: str) -> Statement:
    """The customer's statement of account on D: its documents, payments (with what they
    paid), returned debits, return fees, credit-note allocations (text only: they move no
    money), the running balance; its open items. The closing balance is its balance of
    balances.csv when R83 holds for the customer."""
    lines: list[StatementLine] = []
    running = ZERO
    paid: dict[tuple[str, str], list[str]] = {}
    for e in report.events:
        if e.kind == ALLOCATION and e.detail("payment"):
            paid.setdefault((e.source_sha256, e.entry), []).append(f"{e.document} {e.amount}")
    directions = {
        (e.source_sha256, e.entry): e.detail("direction")
        for e in report.events
        if e.kind == SUSPENSE
    }
    assigned = _assigned(report.events)
    mine = [
        e
        for e in report.events
        if e.customer_id == customer
        and not (e.kind == PAYMENT_RECEIVED and (e.source_sha256, e.entry) in assigned)
    ]
    for e in sorted(mine, key=lambda e: (e.date, _kind_order(e))):
        debit = credit = ZERO
        if e.kind == DOCUMENT_ISSUED:
            due = e.detail("due_date")
            if e.detail("type") == CREDIT_NOTE:
                label = f"Avoir {e.document}"
                if e.detail("original_invoice"):
                    label += f" sur la facture {e.detail('original_invoice')}"
                credit = -e.amount
            else:
                label = f"Facture {e.document}" + (f", échéance {_fr(due)}" if due else "")
                debit = e.amount
        elif e.kind == PAYMENT_RECEIVED:
            what = paid.get((e.source_sha256, e.entry), [])
            label = "Paiement reçu" + (f" (réf. {e.entry})" if e.entry else "")
            if what:
                label += " : réglé " + ", ".join(_fr_pair(p) for p in what)
            credit = e.amount
        elif e.kind == SUSPENSE_ASSIGNED:
            label = f"Paiement en attente affecté (réf. {e.entry})"
            if directions.get((e.source_sha256, e.entry)) == DEBIT:
                debit = e.amount
            else:
                credit = e.amount
        elif e.kind == DEBIT_RETURNED:
            label = f"Prélèvement de la facture {e.document} rejeté ({e.detail('reason')})"
            debit = e.amount
        elif e.kind == RETURN_FEE:
            label = f"Frais de rejet du prélèvement de la facture {e.document}"
            debit = e.amount
        elif e.kind == ALLOCATION and e.detail("credit_note"):
            label = (
                f"Avoir {e.detail('credit_note')} imputé sur la facture {e.document} : "
                f"{_fr_amount(e.amount)} €"
            )
        else:
            continue
        running += debit - credit
        lines.append(StatementLine(e.date, label, debit, credit, running))
    row = next((r for r in report.balances if r.customer_id == customer), None)
    return Statement(
        customer,
        report.day,
        lines,
        [i for i in report.open_items if i.customer_id == customer],
        row.balance if row else ZERO,
        row.overdue if row else ZERO,
        row.unallocated_credit if row else ZERO,
        row.return_fees if row else ZERO,
    )


def _fr(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _fr_amount(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def _fr_pair(text: str) -> str:
    number, _, amount = text.partition(" ")
    return f"{number} ({_fr_amount(Decimal(amount))} €)"
