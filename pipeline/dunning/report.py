"""The rows of a dunning folder (R91, R92) and the journal events of its letters: pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pipeline.core import data_contract as contract
from pipeline.dunning.charges import LateCharge, late_charge
from pipeline.dunning.levels import Dispute, Letter, disputed
from pipeline.dunning.overdue import Invoice
from pipeline.dunning.rates import LateRates
from pipeline.receivables.journal import DUNNING_LETTER, Event, details


def late_charges(invoices: dict[str, Invoice], day: date, rates: LateRates) -> list[LateCharge]:
    """Every invoice paid late or still overdue to `day` (R91), by customer, due date, number."""
    charges = [late_charge(i, day, rates) for i in invoices.values()]
    late = [c for c in charges if c.stretches]
    return sorted(late, key=lambda c: (c.invoice.customer_id, c.invoice.due_date, c.invoice.number))


def late_charge_rows(
    charges: Iterable[LateCharge],
    day: date,
    rates: LateRates,
    disputes: list[Dispute],
    charged_in: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    charged_in = charged_in or {}
    return [
        {
            "customer_id": c.invoice.customer_id,
            "invoice_number": c.invoice.number,
            "due_date": c.invoice.due_date,
            "paid_on": c.paid_on,
            "days_late": c.days_late,
            "interest": c.interest,
            "indemnity": c.indemnity,
            "charged_in": charged_in.get(c.invoice.number, ""),
            "open_balance": c.invoice.balance_after(day),
            "rate_basis": rates.basis,
            "disputed": disputed(c.invoice, disputes, day),
        }
        for c in charges
    ]


def letter_file(letter: Letter) -> str:
    return f"{contract.LETTERS_DIR}/{letter.name}.pdf"


def dunning_rows(letters: Iterable[Letter]) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": x.customer_id,
            "level": x.level,
            "invoice_numbers": ";".join(i.number for i in x.invoices),
            "overdue": x.overdue,
            "interest": x.interest,
            "indemnity": x.indemnity,
            "letter": letter_file(x),
            "episode_start": x.episode_start,
            "oldest_due_date": x.oldest_due,
            "days_past_due": x.days_past_due,
            "next_step_on": x.next_step_on,
        }
        for x in letters
    ]


def suspend_rows(
    suspended: dict[str, date], sip_accounts: dict[str, list[str]]
) -> list[dict[str, Any]]:
    rows = []
    for customer, since in sorted(suspended.items()):
        for account in sorted(sip_accounts.get(customer, [])):
            rows.append(
                {
                    "customer_id": customer,
                    "sip_account": account,
                    "reason": "impayés : mise en demeure sans effet (article 8.2 du contrat, R92)",
                    "since": since,
                }
            )
    return rows


def letter_events(letters: Iterable[Letter], folder: str, hashes: dict[str, str]) -> list[Event]:
    """One `dunning_letter` event per letter (R83, R92): dated D, the customer's overdue
    amount, its source the letter's PDF under OUT (`folder`: its dunning folder's path under
    OUT, ending in "/") with its sha256."""
    return [
        Event(
            DUNNING_LETTER,
            x.day,
            x.customer_id,
            x.invoices[0].number,
            x.overdue,
            folder + letter_file(x),
            hashes[letter_file(x)],
            x.name,
            details(
                level=x.level,
                invoices=";".join(i.number for i in x.invoices),
                interest=x.interest,
                indemnity=x.indemnity,
                episode_start=x.episode_start.isoformat(),
                next_step=x.next_step,
                next_step_on=x.next_step_on.isoformat() if x.next_step_on else "",
            ),
        )
        for x in letters
    ]
