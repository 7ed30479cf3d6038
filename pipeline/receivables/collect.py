"""R82: the collection of a day, a pure function of the journal and the mandates.

One transaction per invoice of a debited customer (its invoice announced the debit, R81) with
an open balance above 0, whose debit date is on or before D + `collection_horizon_days`, and
that no earlier collection holds. End-to-end id = the invoice number, amount = the open
balance (after R85's allocations of credit notes). FRST for a mandate's first collection (every
transaction of that mandate in the run), RCUR after. Requested collection date: the later of
the debit date and D + 1 TARGET2 business day, moved to the next TARGET2 business day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import holidays

from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.receivables.compute import Balances
from pipeline.receivables.journal import COLLECTION_SENT, Event, details

LAPSE_MONTHS = 36  # EPC rulebook: a mandate not used for 36 months has lapsed


@lru_cache(maxsize=64)
def _target2_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_target2_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _target2_holidays(day.year)


def next_target2_day(day: date) -> date:
    """`day` itself when TARGET2 is open, else the next day it is."""
    while not is_target2_day(day):
        day += timedelta(days=1)
    return day


def requested_date(debit_date: date, day: date) -> date:
    """R82: the later of the debit date and D + 1 TARGET2 business day, moved to the next
    TARGET2 business day."""
    earliest = next_target2_day(day + timedelta(days=1))
    return next_target2_day(max(debit_date, earliest))


def _plus_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Transaction:
    invoice_number: str
    customer_id: str
    customer_name: str
    mandate_id: str
    mandate_signed_on: date
    scheme: str
    iban: str
    bic: str
    sequence_type: str
    debit_date: date
    collection_date: date
    amount: Decimal


def _stopped(balances: Balances, customer_id: str, reference: Any) -> bool:
    """R84: a debit returned for a reason other than AM04/MS03 stops the customer's debits
    until a new mandate (signed after the return) is recorded in mandates.csv."""
    returned = balances.stopped.get(customer_id)
    if returned is None:
        return False
    return not any(
        m["customer_id"] == customer_id and m["signed_on"] > returned.date
        for m in reference["ref_mandates"].rows
    )


def _due(balances: Balances, day: date, horizon_days: int) -> list[Any]:
    """The debited invoices `collect --date day` looks at (R82): debit date on or before
    day + horizon, an open balance, presentable (R84), in number order."""
    limit = day + timedelta(days=horizon_days)
    return sorted(
        (
            d
            for d in balances.documents.values()
            if d.type == "invoice"
            and d.payment_method == "sepa_debit"
            and d.debit_date is not None
            and d.debit_date <= limit
            and d.open_balance > 0
            and d.presentable
        ),
        key=lambda d: d.number,
    )


def stopped_invoices(
    balances: Balances, day: date, reference: Any, horizon_days: int
) -> list[tuple[Any, Any]]:
    """(invoice, the return that stopped its customer) of every invoice that `collect` would
    take on `day` but for the stop (R84), in number order: the command reports them."""
    return [
        (d, balances.stopped[d.customer_id])
        for d in _due(balances, day, horizon_days)
        if _stopped(balances, d.customer_id, reference)
    ]


def collection_name(day: date, journal_collections: set[str]) -> str:
    """{D}-{NN}: the run number NN of the day, 01 first."""
    taken = {c for c in journal_collections if c.startswith(f"{day.isoformat()}-")}
    return f"{day.isoformat()}-{len(taken) + 1:02d}"


def plan_collection(
    balances: Balances, day: date, reference: Any, horizon_days: int
) -> list[Transaction]:
    """The transactions of `billing collect --date day` (R82), in invoice number order."""
    mandates = {m["mandate_id"]: (i, m) for i, m in enumerate(reference["ref_mandates"].rows)}
    names = {c["customer_id"]: c["name"] for c in reference["ref_customers"].rows}
    due = [
        d
        for d in _due(balances, day, horizon_days)
        if not _stopped(balances, d.customer_id, reference)
    ]
    transactions = []
    for d in due:
        if d.mandate_id not in mandates:
            raise InputError(
                say(
                    f"la facture {d.number} annonce le prélèvement du mandat {d.mandate_id}, "
                    "absent de mandates.csv : le rétablir (R80)",
                    f"invoice {d.number} announced a debit on mandate {d.mandate_id}, which "
                    "is not in mandates.csv: restore it (R80)",
                ),
                file="mandates.csv",
            )
        index, mandate = mandates[d.mandate_id]
        file, line = reference["ref_mandates"].where(index)
        collection_date = requested_date(d.debit_date, day)
        revoked = mandate.get("revoked_on")
        if revoked is not None and revoked <= collection_date:
            raise InputError(
                say(
                    f"le mandat {d.mandate_id} est révoqué depuis le {revoked} : la facture "
                    f"{d.number} ne peut pas être prélevée (R80)",
                    f"mandate {d.mandate_id} is revoked since {revoked}: invoice {d.number} "
                    "cannot be collected (R80)",
                ),
                file=file,
                line=line,
            )
        uses = balances.mandate_uses.get(d.mandate_id, [])
        last_use = max(uses, default=mandate["signed_on"])
        if collection_date > _plus_months(last_use, LAPSE_MONTHS):
            raise InputError(
                say(
                    f"le mandat {d.mandate_id} est caduc : non utilisé depuis le {last_use}, "
                    f"plus de {LAPSE_MONTHS} mois (règlement EPC) ; la facture {d.number} ne "
                    "peut pas être prélevée : faire signer un nouveau mandat (R80)",
                    f"mandate {d.mandate_id} has lapsed: not used since {last_use}, more than "
                    f"{LAPSE_MONTHS} months (EPC rulebook); invoice {d.number} cannot be "
                    "collected: have a new mandate signed (R80)",
                ),
                file=file,
                line=line,
            )
        transactions.append(
            Transaction(
                d.number,
                d.customer_id,
                names.get(d.customer_id, d.customer_id),
                d.mandate_id,
                mandate["signed_on"],
                mandate["scheme"],
                mandate["iban"].replace(" ", "").upper(),
                mandate.get("bic") or "",
                "RCUR" if uses else "FRST",
                d.debit_date,
                collection_date,
                d.open_balance,
            )
        )
    return transactions


def collection_events(
    transactions: list[Transaction], day: date, name: str, source_file: str, source_sha256: str
) -> list[Event]:
    """A "collection sent" event per transaction, dated D, its source the collection's
    manifest."""
    return [
        Event(
            COLLECTION_SENT,
            day,
            t.customer_id,
            t.invoice_number,
            t.amount,
            source_file,
            source_sha256,
            t.invoice_number,
            details(
                collection=name,
                mandate_id=t.mandate_id,
                sequence_type=t.sequence_type,
                collection_date=t.collection_date.isoformat(),
                scheme=t.scheme,
            ),
        )
        for t in transactions
    ]
