"""R81: what the documents of a customer paying by SEPA direct debit say. Pure functions.

A debited customer's invoice names the mandate in force on its date (exactly one, R80: none
or two stop the run, exit 2, naming the file and line), the creditor identifier (ICS), the
debited account and the debit date: the due date, or the document date +
`prenotification_days` when that is later (the invoice is the pre-notification). Its credit
notes say that they are deducted from the next debit. A customer paying by transfer keeps
its documents exactly as before.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pipeline.billing.month_documents import CreditNote, Invoice
from pipeline.core.errors import InputError
from pipeline.core.language import say

SEPA_DEBIT = "sepa_debit"


def in_force(mandate: dict[str, Any], day: date) -> bool:
    """Signed on or before `day`, not revoked on or before it (R80)."""
    revoked = mandate.get("revoked_on")
    return mandate["signed_on"] <= day and (revoked is None or revoked > day)


def mandate_on(reference: Any, customer_id: str, day: date) -> dict[str, Any]:
    """The one mandate of `customer_id` in force on `day`; none or two stop the run (R80)."""
    table = reference["ref_mandates"]
    found = [
        i for i, m in enumerate(table.rows) if m["customer_id"] == customer_id and in_force(m, day)
    ]
    if len(found) == 1:
        return table.rows[found[0]]
    if not found:
        customers = reference["ref_customers"]
        index = next(i for i, c in enumerate(customers.rows) if c["customer_id"] == customer_id)
        file, line = customers.where(index)
        message = say(
            f"le client {customer_id} paie par prélèvement SEPA mais n'a aucun mandat en "
            f"vigueur le {day} (mandates.csv : signé au plus tard ce jour, non révoqué) (R80)",
            f"customer {customer_id} pays by SEPA direct debit but has no mandate in force on "
            f"{day} (mandates.csv: signed on or before, not revoked) (R80)",
        )
    else:
        file, line = table.where(found[1])
        first = table.rows[found[0]]["mandate_id"]
        message = say(
            f"deux mandats du client {customer_id} sont en vigueur le {day} "
            f"({first} et {table.rows[found[1]]['mandate_id']}) : révoquer l'ancien (R80)",
            f"two mandates of customer {customer_id} are in force on {day} "
            f"({first} and {table.rows[found[1]]['mandate_id']}): revoke the old one (R80)",
        )
    raise InputError(message, file=file, line=line)


def debit_date(due: date, document_date: date, prenotification_days: int) -> date:
    """R81: the due date, moved to the document date + prenotification_days when earlier."""
    return max(due, document_date + timedelta(days=prenotification_days))


def apply_debit(invoices: list[Invoice], credit_notes: list[CreditNote], reference: Any) -> None:
    """Give the documents of debited customers their R81 mentions (in place)."""
    customers = {c["customer_id"]: c for c in reference["ref_customers"].rows}
    provider = reference.provider
    for invoice in invoices:
        if customers.get(invoice.customer_id, {}).get("payment_method") != SEPA_DEBIT:
            continue
        mandate = mandate_on(reference, invoice.customer_id, invoice.invoice_date)
        invoice.payment_method = SEPA_DEBIT
        invoice.mandate_id = mandate["mandate_id"]
        invoice.creditor_id = provider["creditor_id"]
        invoice.debited_iban = mandate["iban"].replace(" ", "").upper()
        invoice.debit_date = debit_date(
            invoice.due_date, invoice.invoice_date, provider["prenotification_days"]
        )
    for note in credit_notes:
        if customers.get(note.customer_id, {}).get("payment_method") == SEPA_DEBIT:
            mandate_on(reference, note.customer_id, note.credit_note_date)
            note.payment_method = SEPA_DEBIT


def mask_iban(iban: str) -> str:
    """All but the last 4 characters hidden, in groups of 4: `**** **** ... ***0 189`."""
    masked = "*" * (len(iban) - 4) + iban[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))
