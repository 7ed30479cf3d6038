"""R91 `--charge`: the late-charge invoices of day D, one per customer, in the F series:
pure (the driver gives the ledger snapshot and the numbers).

- **Never the same days twice**: what earlier charge invoices charged is read from the ledger
  (their lines: kind `late_interest` with the invoice charged as reference and the late days
  charged as period; kind `recovery_indemnity` once per invoice), so a run killed after
  publishing and before its journal file cannot charge again. A new charge takes the late days
  after the last day charged, up to D, rounded once for those days; the indemnity once.
- An interest line that rounds to 0.00 is not charged (its days stay to charge later).
- Invoices under dispute on D are not charged; late-charge invoices bear no charges
  (art. 1343-2 du Code civil: no interest on interest without an agreement).
- VAT: outside the scope of VAT (penalties and the indemnity are not the consideration of a
  supply, art. 256 du CGI): rate 0, category `E` with the mention as exemption text
  (pipeline.exports.einvoice.record.vat_category; docs/dunning.md says why not `O`).
- Dated D, due D + 30 days (as corrections, R67), numbered by continuing the F series of D's
  year in order of customer_id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pipeline.billing.invoicing import (
    CATEGORY_SERVICES,
    PAYMENT_DAYS,
    buyer_mentions,
    seller_mentions,
)
from pipeline.billing.labels import LOT_UNIT
from pipeline.billing.ledger_snapshot import LedgerSnapshot
from pipeline.billing.month_documents import Invoice
from pipeline.dunning.charges import LateCharge
from pipeline.dunning.levels import Dispute, disputed
from pipeline.dunning.overdue import ONE_DAY, ZERO
from pipeline.exports.einvoice.pdf import day as french_day
from pipeline.exports.einvoice.record import MENTION_OUT_OF_SCOPE
from pipeline.receivables.journal import LATE_CHARGE, Event, details

INTEREST_KIND, INDEMNITY_KIND = "late_interest", "recovery_indemnity"
MENTION = (
    f"{MENTION_OUT_OF_SCOPE} : pénalités de retard et indemnité forfaitaire pour frais de "
    "recouvrement (art. L441-10 et D441-5 du Code de commerce), sans contrepartie d'une "
    "opération imposable (art. 256 du CGI)"
)


@dataclass
class Charged:
    """What earlier charge invoices charged for one invoice."""

    through: date | None = None  # the last late day charged
    indemnity: bool = False
    documents: list[str] = field(default_factory=list)


def already_charged(snapshot: LedgerSnapshot) -> dict[str, Charged]:
    charged: dict[str, Charged] = {}
    for charge in snapshot.charges:
        for line in charge.invoice_lines:
            c = charged.setdefault(line["reference"], Charged())
            if line["invoice_number"] not in c.documents:
                c.documents.append(line["invoice_number"])
            if line["kind"] == INTEREST_KIND and line.get("period_end"):
                end = date.fromisoformat(line["period_end"])
                c.through = max(c.through or end, end)
            elif line["kind"] == INDEMNITY_KIND:
                c.indemnity = True
    return charged


def _late_days(charge: LateCharge, first: date, last: date) -> tuple[int, date, date] | None:
    days = [
        (max(s.start, first), min(s.end, last))
        for s in charge.stretches
        if max(s.start, first) <= min(s.end, last)
    ]
    if not days:
        return None
    return sum((b - a).days + 1 for a, b in days), days[0][0], days[-1][1]


def _line(
    number: str,
    customer: str,
    kind: str,
    reference: str,
    text: str,
    amount: Decimal,
    period: tuple[date, date] | None,
) -> dict[str, Any]:
    return {
        "invoice_number": number,
        "customer_id": customer,
        "kind": kind,
        "reference": reference,
        "description": text,
        "zone": "",
        "reason": "",
        "quantity": Decimal("1"),
        "unit": LOT_UNIT,
        "calls": None,
        "billable_seconds": None,
        "unit_price": amount,
        "amount_ht": amount,
        "period_start": period[0] if period else None,
        "period_end": period[1] if period else None,
    }


def plan_charges(
    charges: Iterable[LateCharge],
    day: date,
    disputes: list[Dispute],
    charged: Mapping[str, Charged],
    first_number: int,
    customers: Mapping[str, dict[str, Any]],
    provider: dict[str, Any],
) -> list[Invoice]:
    """The late-charge invoices of `day`, numbered from `first_number` (see the module)."""
    by_customer: dict[str, list[LateCharge]] = {}
    for c in charges:
        if c.invoice.late_charge or disputed(c.invoice, disputes, day):
            continue
        by_customer.setdefault(c.invoice.customer_id, []).append(c)
    invoices = []
    number = first_number
    for customer_id in sorted(by_customer):
        doc = f"F{day.year}-{number:06d}"
        lines = []
        for c in sorted(
            by_customer[customer_id], key=lambda c: (c.invoice.due_date, c.invoice.number)
        ):
            before = charged.get(c.invoice.number, Charged())
            first = before.through + ONE_DAY if before.through else c.invoice.due_date + ONE_DAY
            window = _late_days(c, first, day)
            interest = c.interest_between(first, day) if window else ZERO
            due = french_day(c.invoice.due_date)
            if window and interest > 0:
                count, a, b = window
                text = (
                    f"Pénalités de retard, facture {c.invoice.number} échue le {due} : "
                    f"{count} jour(s) de retard du {french_day(a)} au {french_day(b)} "
                    "(art. L441-10 du Code de commerce)"
                )
                lines.append(
                    _line(doc, customer_id, INTEREST_KIND, c.invoice.number, text, interest, (a, b))
                )
            if c.indemnity > 0 and not before.indemnity:
                text = (
                    f"Indemnité forfaitaire pour frais de recouvrement, facture "
                    f"{c.invoice.number} échue le {due} (art. D441-5 du Code de commerce)"
                )
                lines.append(
                    _line(
                        doc, customer_id, INDEMNITY_KIND, c.invoice.number, text, c.indemnity, None
                    )
                )
        if not lines:
            continue
        for i, line in enumerate(lines, 1):
            line["line_no"] = i
        total = sum((ln["amount_ht"] for ln in lines), ZERO)
        customer = customers.get(customer_id, {"customer_id": customer_id, "country": "FR"})
        invoices.append(
            Invoice(
                invoice_number=doc,
                customer_id=customer_id,
                invoice_date=day,
                due_date=day + timedelta(days=PAYMENT_DAYS),
                period="",
                total_ht=total,
                total_vat=ZERO,
                total_ttc=total,
                vat_rate=Decimal("0"),
                vat_mention=MENTION,
                lines=lines,
                operation_category=CATEGORY_SERVICES,
                **buyer_mentions(customer),
                **seller_mentions(provider),
            )
        )
        number += 1
    return invoices


def late_charge_events(
    snapshot: LedgerSnapshot, known: set[str], sources: Mapping[str, str]
) -> list[Event]:
    """R83: a `late_charge` event for each line of an issued charge invoice whose document has
    none in the journal (`known`: the documents that have), dated with the document's date."""
    events = []
    for charge in snapshot.charges:
        file = f"receivables/charges/{charge.name}/invoice_lines.csv"
        for line in charge.invoice_lines:
            if line["invoice_number"] in known:
                continue
            events.append(
                Event(
                    LATE_CHARGE,
                    charge.issued_on,
                    line["customer_id"],
                    line["reference"],
                    Decimal(line["amount_ht"]),
                    file,
                    sources.get(file, ""),
                    f"{line['invoice_number']}/{line['line_no']}",
                    details(
                        kind=line["kind"],
                        charged_in=line["invoice_number"],
                        period_start=line.get("period_start"),
                        period_end=line.get("period_end"),
                    ),
                )
            )
    return events
