"""R84: the lines of imported bank statements matched to the journal's documents, as events.
A pure function of the journal's balances, the reference data and the lines read
(pipeline.receivables.statements); nothing here reads or writes a file.

Each credit is matched by the first rule that applies:
1. its end-to-end id is the invoice number of a transaction of one of our collections;
2. its remittance information names invoice numbers: paid in the order named, each up to its
   open balance;
3. its debtor IBAN is a mandate's or a customer's, or its debtor name is exactly a customer's
   name (a CSV line names its customer), and its amount equals one open invoice of that
   customer (the oldest when several do) or the customer's whole open balance;
4. otherwise suspense, with the reason. A CSV line whose customer exists and that rules 2 and
   3 do not match becomes that customer's unallocated credit (the person who typed the line
   named the customer: that is the assignment).
What a payment brings beyond what it paid becomes the customer's unallocated credit.

Events of a credit: `payment_received` (the whole amount, its source), then its `allocation`s
(detail `payment`), `unallocated_credit`, or `suspense` (detail `reason`). Allocated +
unallocated + suspense = the credit, for each credit (R83: nothing is lost).

A debit with return information (`RtrInf/Rsn/Cd`) whose end-to-end id is one of our collected
invoices: `debit_returned` reverses what payments allocated to that invoice (up to the amount
returned; the rest, if the credit was never imported, goes to suspense), keeps the reason; a
`return_fee` when `return_fee_eur` is above 0. AM04/MS03: presented again by the next collect,
once; another reason stops the customer's debits until a new mandate is recorded. Any other
debit goes to suspense with its reason.

An entry already imported (same account servicer reference, or same file and entry) changes
nothing and is reported as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pipeline.core.language import say
from pipeline.receivables.compute import INVOICE, REPRESENTED, ZERO, Balances, Document
from pipeline.receivables.journal import (
    ALLOCATION,
    DEBIT_RETURNED,
    PAYMENT_RECEIVED,
    RETURN_FEE,
    SUSPENSE,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
    details,
)
from pipeline.receivables.statements import CREDIT, StatementLine

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass
class Outcome:
    """What one line became, for the command's report."""

    line: StatementLine
    status: str  # "matched", "unallocated", "suspense", "returned", "already imported"
    rule: str = ""
    text: str = ""


@dataclass
class Matched:
    events: list[Event] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def _source(line: StatementLine) -> tuple[str, str, str]:
    return (line.file.rsplit("/", 1)[-1], line.sha256, line.entry)


def _event(
    kind: str, line: StatementLine, customer: str, document: str, amount: Decimal, **d: Any
) -> Event:
    return Event(
        kind,
        line.booking_date,
        customer,
        document,
        amount,
        *_source(line),
        details(**d),
    )


def _customers(reference: Any) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(IBAN -> customer, exact name -> customer, customer ids)."""
    by_iban: dict[str, str] = {}
    by_name: dict[str, str] = {}
    ids = set()
    for c in reference["ref_customers"].rows:
        ids.add(c["customer_id"])
        if c.get("iban"):
            by_iban[str(c["iban"]).replace(" ", "").upper()] = c["customer_id"]
        if c.get("name"):
            by_name.setdefault(str(c["name"]), c["customer_id"])
    for m in reference["ref_mandates"].rows:
        by_iban.setdefault(str(m["iban"]).replace(" ", "").upper(), m["customer_id"])
    return by_iban, by_name, ids


def _open(balances: Balances, customer: str) -> list[Document]:
    """The customer's invoices with an open balance (held by a collection or not), oldest
    first."""
    return sorted(
        (
            d
            for d in balances.by_customer.get(customer, ())
            if d.type == INVOICE and d.open_balance > 0
        ),
        key=lambda d: d.order,
    )


def match_lines(
    balances: Balances, lines: list[StatementLine], reference: Any, return_fee: Decimal
) -> Matched:
    """R84: the events of the lines of one run's files (see the module). `balances` is
    updated with them as they are made (a later line sees what an earlier one paid)."""
    result = Matched()
    by_iban, by_name, ids = _customers(reference)
    for line in lines:
        if (line.servicer_ref and line.servicer_ref in balances.imported_refs) or (
            line.sha256,
            line.entry,
        ) in balances.imported_entries:
            result.outcomes.append(Outcome(line, "already imported"))
            continue
        if line.direction == CREDIT:
            events, outcome = _credit(balances, line, by_iban, by_name, ids)
        else:
            events, outcome = _debit(balances, line, return_fee)
        for e in events:
            balances.apply(e)
        if line.servicer_ref:
            balances.imported_refs.add(line.servicer_ref)
        balances.imported_entries.add((line.sha256, line.entry))
        result.events += events
        result.outcomes.append(outcome)
    return result


def _pay(
    balances: Balances, line: StatementLine, customer: str, invoices: list[Document], rule: str
) -> tuple[list[Event], Outcome]:
    refs = {"servicer_ref": line.servicer_ref}
    events = [
        _event(
            PAYMENT_RECEIVED,
            line,
            customer,
            "",
            line.amount,
            rule=rule,
            end_to_end_id=line.end_to_end_id,
            debtor_name=line.debtor_name,
            debtor_iban=line.debtor_iban,
            remittance=line.remittance,
            **refs,
        )
    ]
    left = line.amount
    paid = []
    for invoice in invoices:
        amount = min(left, invoice.open_balance)
        if amount <= 0:
            continue
        events.append(
            _event(
                ALLOCATION, line, invoice.customer_id, invoice.number, amount, payment=line.entry
            )
        )
        paid.append(f"{invoice.number} {amount}")
        left -= amount
    if left > 0:
        events.append(_event(UNALLOCATED_CREDIT, line, customer, "", left, payment=line.entry))
        paid.append(say(f"crédit non affecté {left}", f"unallocated credit {left}"))
    return events, Outcome(line, "matched", rule, ", ".join(paid))


def _suspense(
    line: StatementLine, code: str, reason: tuple[str, str], **extra: Any
) -> tuple[list[Event], Outcome]:
    """Suspense: the journal keeps a reason code and the reason in French (the language of the
    finance team, whatever the language of the run: same inputs, same bytes); the command
    says it in the run's language."""
    events = []
    if line.direction == CREDIT:
        events.append(
            _event(
                PAYMENT_RECEIVED,
                line,
                "",
                "",
                line.amount,
                rule="4",
                end_to_end_id=line.end_to_end_id,
                debtor_name=line.debtor_name,
                debtor_iban=line.debtor_iban,
                remittance=line.remittance,
                servicer_ref=line.servicer_ref,
            )
        )
    events.append(
        _event(
            SUSPENSE,
            line,
            "",
            "",
            line.amount,
            reason=reason[0],
            reason_code=code,
            direction=line.direction,
            servicer_ref=line.servicer_ref,
            **extra,
        )
    )
    return events, Outcome(line, "suspense", "4", say(*reason))


def _credit(
    balances: Balances,
    line: StatementLine,
    by_iban: dict[str, str],
    by_name: dict[str, str],
    ids: set[str],
) -> tuple[list[Event], Outcome]:
    documents = balances.documents
    # rule 1: the end-to-end id of one of our collections' transactions
    e2e = documents.get(line.end_to_end_id)
    if e2e is not None and e2e.type == INVOICE and e2e.collections:
        return _pay(balances, line, e2e.customer_id, [e2e], "1")
    # rule 2: invoice numbers named in the remittance information, in the order named
    named: list[Document] = []
    for token in _TOKEN.findall(line.remittance):
        d = documents.get(token)
        if d is not None and d.type == INVOICE and d not in named:
            named.append(d)
    if named:
        return _pay(balances, line, named[0].customer_id, named, "2")
    # rule 3: the debtor's IBAN or exact name (or the CSV's customer), and the amount
    customer = (
        line.customer_id or by_iban.get(line.debtor_iban, "") or by_name.get(line.debtor_name, "")
    )
    if customer and customer in ids:
        open_ = _open(balances, customer)
        same = [d for d in open_ if d.open_balance == line.amount]
        if same:
            return _pay(balances, line, customer, same[:1], "3")
        if open_ and sum((d.open_balance for d in open_), ZERO) == line.amount:
            return _pay(balances, line, customer, open_, "3")
        if line.customer_id:
            return _pay(balances, line, customer, [], "csv")
        return _suspense(
            line,
            "amount_matches_nothing",
            (
                f"client {customer} reconnu, mais {line.amount} ne correspond à aucune facture "
                "ouverte ni à son solde",
                f"customer {customer} recognised, but {line.amount} matches no open invoice "
                "nor its balance",
            ),
            recognised_customer=customer,
        )
    if line.customer_id:
        return _suspense(
            line,
            "unknown_customer",
            (f"client {line.customer_id} inconnu", f"unknown customer {line.customer_id}"),
        )
    return _suspense(
        line,
        "no_match",
        (
            "ni prélèvement, ni facture nommée, ni client reconnu (IBAN ou nom)",
            "no collection, no invoice named, no customer recognised (IBAN or name)",
        ),
    )


def _debit(
    balances: Balances, line: StatementLine, return_fee: Decimal
) -> tuple[list[Event], Outcome]:
    invoice = balances.documents.get(line.end_to_end_id)
    if not line.return_reason or invoice is None or not invoice.collections:
        return _suspense(
            line,
            "debit_not_a_return",
            (
                "débit qui ne retourne aucun de nos prélèvements",
                "a debit that returns none of our collections",
            ),
            return_reason=line.return_reason,
        )
    reversed_ = min(line.amount, max(invoice.paid, ZERO))
    represent = line.return_reason in REPRESENTED and len(invoice.collections) == 1
    events = [
        _event(
            DEBIT_RETURNED,
            line,
            invoice.customer_id,
            invoice.number,
            reversed_,
            reason=line.return_reason,
            returned=line.amount,
            collection=invoice.collections[-1],
            presented_again="yes" if represent else "no",
            servicer_ref=line.servicer_ref,
        )
    ]
    text = say(
        f"{invoice.number} retourné ({line.return_reason})",
        f"{invoice.number} returned ({line.return_reason})",
    )
    if line.return_reason not in REPRESENTED:
        text += say(
            f" : prélèvements du client {invoice.customer_id} arrêtés jusqu'à un nouveau mandat",
            f": debits of customer {invoice.customer_id} stopped until a new mandate",
        )
    elif represent:
        text += say(
            " : présenté à nouveau au prochain collect", ": presented again by the next collect"
        )
    if line.amount > reversed_:
        events.append(
            _event(
                SUSPENSE,
                line,
                invoice.customer_id,
                invoice.number,
                line.amount - reversed_,
                reason="retour au-delà du paiement importé de la facture",
                reason_code="return_beyond_payment",
                direction=line.direction,
            )
        )
    if return_fee > 0:
        events.append(
            _event(
                RETURN_FEE,
                line,
                invoice.customer_id,
                invoice.number,
                return_fee,
                reason=line.return_reason,
            )
        )
        text += say(f", frais de rejet {return_fee}", f", return fee {return_fee}")
    return events, Outcome(line, "returned", "", text)


class AssignError(ValueError):
    """Why a suspense item cannot be assigned (the driver turns it into an input error)."""


def assign_events(
    balances: Balances,
    entry: str,
    customer: str,
    invoice: str,
    day: date,
    customer_ids: set[str],
) -> list[Event]:
    """R84 `--assign`: a suspense item settled by hand, as events dated `day` (the day of the
    decision: a report of an earlier date still shows it in suspense). ENTRY is the item's
    entry reference, or `sha256-prefix:entry` when two files have the same one. Events:
    `suspense_assigned` (the item's source and entry, the customer, its amount), then the
    amount paid to INVOICE up to its open balance (`allocation`, detail `payment`), the rest
    (all of it without INVOICE) the customer's unallocated credit, which R85 then allocates to
    its open invoices. The same assignment again (same customer and invoice) gives no event;
    another one of an assigned item is refused."""
    prefix, _, ref = entry.rpartition(":") if ":" in entry else ("", "", entry)
    items = [
        e for (sha, ref_), e in balances.suspense.items() if ref_ == ref and sha.startswith(prefix)
    ]
    if not items and prefix:  # an entry reference that contains ':' itself
        items = [e for (_, ref_), e in balances.suspense.items() if ref_ == entry]
    if not items:
        raise AssignError(say(f"aucune opération en attente {entry}", f"no suspense item {entry}"))
    if len(items) > 1:
        names = ", ".join(sorted(f"{e.source_sha256[:12]}:{e.entry}" for e in items))
        raise AssignError(
            say(
                f"{entry} désigne plusieurs opérations en attente ({names}) : préciser laquelle",
                f"{entry} names several suspense items ({names}): say which",
            )
        )
    item = items[0]
    key = (item.source_sha256, item.entry)
    if key in balances.assigned:
        done = balances.assigned[key]
        if (done.customer_id, done.detail("invoice")) == (customer, invoice):
            return []  # the same decision again changes nothing (as a file imported twice)
        raise AssignError(
            say(
                f"{entry} déjà affecté au client {done.customer_id} le {done.date}",
                f"{entry} already assigned to customer {done.customer_id} on {done.date}",
            )
        )
    if item.detail("direction", CREDIT) != CREDIT:
        raise AssignError(
            say(
                f"{entry} est un débit : seul un encaissement s'affecte à un client",
                f"{entry} is a debit: only a received amount is assigned to a customer",
            )
        )
    if customer not in customer_ids:
        raise AssignError(say(f"client {customer} inconnu", f"unknown customer {customer}"))
    target = balances.documents.get(invoice) if invoice else None
    if invoice and (target is None or target.type != INVOICE or target.customer_id != customer):
        raise AssignError(
            say(
                f"la facture {invoice} n'est pas une facture du client {customer}",
                f"{invoice} is not an invoice of customer {customer}",
            )
        )

    def event(kind: str, document: str, amount: Decimal, **d: Any) -> Event:
        return Event(
            kind,
            day,
            customer,
            document,
            amount,
            item.source_file,
            item.source_sha256,
            item.entry,
            details(**d),
        )

    events = [
        event(
            SUSPENSE_ASSIGNED,
            invoice,
            item.amount,
            booked_on=item.date,
            invoice=invoice,
            reason=item.detail("reason"),
        )
    ]
    left = item.amount
    if target is not None and target.open_balance > 0:
        paid = min(left, target.open_balance)
        events.append(event(ALLOCATION, target.number, paid, payment=item.entry))
        left -= paid
    if left > 0:
        events.append(event(UNALLOCATED_CREDIT, "", left, payment=item.entry))
    return events
