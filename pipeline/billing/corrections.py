"""Corrections of an issued month (R65-R68): supplementary invoices and credit notes.

Pure: `compute_correction` takes the month recomputed with the current inputs (the
MonthDocuments of compute_month, exactly as `bill` would have billed it), the ledger snapshot
as the correction sees it (every month and correction issued so far), the date D and the
reference data, and returns the correction's documents. It never reads OUT.

- R65: per customer, the recomputed lines are matched with what is issued for the month (its
  invoice, plus every earlier correction of the month) by (kind, reference, zone, reason); the
  difference of a line is recomputed minus issued, both rounded to 2 decimals. SLA credit
  notes already issued are not recomputed (they are not lines of the month's invoice).
- R66: a customer whose differences add up to a positive amount gets one supplementary
  invoice (F series) whose lines are the differences; a negative amount, one credit note (AV
  series) whose lines are the differences negated; zero, no document (reported). Each
  document references the customer's invoice of the month, keeps its VAT treatment (R62) and
  computes its own VAT on its own total (R2).
- R67: documents dated D, due D + 30 days, numbered by continuing the F and AV series of D's
  year in customer_id order; D is never before the latest document already issued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pipeline.billing.accounting import FecLine, entries, fiscal_year
from pipeline.billing.debit import apply_debit
from pipeline.billing.invoicing import (
    PAYMENT_DAYS,
    buyer_mentions,
    number,
    operation_category,
    seller_mentions,
    vat_mention,
    vat_treatment,
)
from pipeline.billing.labels import (
    LOT_UNIT,
    line_correction_description,
    usage_correction_description,
    zone_labels,
)
from pipeline.billing.ledger_snapshot import LedgerSnapshot, Position
from pipeline.billing.month_documents import CreditNote, Invoice, MonthDocuments
from pipeline.core.dates import Month
from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.core.money import round_line

LINE_KEY = ("kind", "reference", "zone", "reason")  # R65: how lines are matched
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineChange:
    """One line of one customer whose amount changed: issued (invoice + corrections so far)
    and recomputed, both rounded to 2 decimals (R63)."""

    customer_id: str
    kind: str
    reference: str
    zone: str
    reason: str
    description: str
    issued: Decimal
    recomputed: Decimal
    # the recomputed line as compute_month gives it (None when the line is no longer computed)
    line: dict[str, Any] | None = None
    issued_line: dict[str, str] | None = None
    # a usage line's calls and billed seconds issued for the month (invoice + corrections)
    issued_calls: int = 0
    issued_seconds: int = 0

    @property
    def difference(self) -> Decimal:
        return self.recomputed - self.issued

    @property
    def calls_added(self) -> int:
        """Calls recomputed minus calls issued (negative: removed); 0 for other lines."""
        return int((self.line or {}).get("calls") or 0) - self.issued_calls

    @property
    def seconds_added(self) -> int:
        return int((self.line or {}).get("billable_seconds") or 0) - self.issued_seconds


@dataclass
class CorrectionDocuments:
    """One correction of month `month`, numbered `number` (R68: corrections/NN/)."""

    month: Month
    number: int
    issued_on: date
    position: Position  # where it stands in the order of issue
    recomputed: MonthDocuments  # the month as recomputed (its rated calls, its inputs)
    changes: list[LineChange] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    credit_notes: list[CreditNote] = field(default_factory=list)
    zero_net: list[str] = field(default_factory=list)  # customers whose differences sum to 0
    fec_entries: list[FecLine] = field(default_factory=list)

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [ln for doc in [*self.invoices, *self.credit_notes] for ln in doc.lines]

    @property
    def document_of(self) -> dict[str, str]:
        """customer_id -> the number of its correction document."""
        return {d.customer_id: d.invoice_number for d in self.invoices} | {
            d.customer_id: d.credit_note_number for d in self.credit_notes
        }

    @property
    def reference(self) -> Any:
        return self.recomputed.reference


def _key(line: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(line.get(k) or "") for k in LINE_KEY)


@dataclass
class _Issued:
    """What was issued for one line of a month: its invoice line plus every correction's."""

    amount: Decimal
    first: dict[str, str]  # the first issued row (the month's invoice line, when it had one)
    calls: int = 0
    seconds: int = 0


def issued_calls(row: Mapping[str, str]) -> int:
    """The calls of an issued usage row: its `calls` column, or, in a row written before the
    lot presentation (no `unit` column, contract.INVOICE_LINES_WITH_CALLS_AS_QUANTITY), its
    quantity, which was the number of calls (a correction row's: the calls it added)."""
    if row.get("kind") != "usage":
        return 0
    text = row.get("calls") if "unit" in row else row.get("quantity")
    return int(text) if text else 0


def issued_lines(
    snapshot: LedgerSnapshot, month: Month
) -> dict[str, dict[tuple[str, ...], _Issued]]:
    """customer_id -> line key -> what was issued for the month: the month's invoice lines
    plus every correction's differences (R65), amounts, calls and billed seconds summed."""
    issued = snapshot.month(month)
    if issued is None:
        return {}
    found: dict[str, dict[tuple[str, ...], _Issued]] = {}
    rows = list(issued.invoice_lines) + [
        row for c in snapshot.corrections(month) for row in c.invoice_lines
    ]
    for row in rows:
        lines = found.setdefault(row["customer_id"], {})
        seen = lines.setdefault(_key(row), _Issued(ZERO, dict(row)))
        seen.amount += Decimal(row["amount_ht"])
        seen.calls += issued_calls(row)
        seen.seconds += int(row.get("billable_seconds") or 0)
    return found


def line_changes(recomputed: MonthDocuments, snapshot: LedgerSnapshot) -> list[LineChange]:
    """Every (customer, line) whose recomputed amount differs from the issued one, in
    customer_id then line order, described by what changed (R63)."""
    issued = issued_lines(snapshot, recomputed.month)
    zones = zone_labels(recomputed.reference["ref_destinations"].rows)
    fresh: dict[str, dict[tuple[str, ...], tuple[Decimal, dict[str, Any]]]] = {}
    for line in recomputed.lines:
        lines = fresh.setdefault(line["customer_id"], {})
        amount, first = lines.get(_key(line), (ZERO, line))
        lines[_key(line)] = (amount + line["amount_ht"], first)
    changes = []
    for customer_id in sorted(issued.keys() | fresh.keys()):
        old, new = issued.get(customer_id, {}), fresh.get(customer_id, {})
        for key in sorted(old.keys() | new.keys()):
            was = old.get(key) or _Issued(ZERO, {})
            now, line = new.get(key, (ZERO, None))
            if was.amount != now:
                change = LineChange(
                    customer_id,
                    *key,
                    "",
                    was.amount,
                    now,
                    line,
                    was.first or None,
                    was.calls,
                    was.seconds,
                )
                description = _what_changed(change, recomputed.month, zones)
                changes.append(replace(change, description=description))
    return changes


def _what_changed(change: LineChange, month: Month, zones: Mapping[str, str]) -> str:
    """R63: a correction line states what changed, never the recomputed month's totals."""
    if change.kind == "usage":
        return usage_correction_description(
            zones.get(change.zone, change.zone),
            change.reason,
            month,
            change.calls_added,
            change.seconds_added,
            change.difference,
        )
    if change.line is not None:
        label = change.line["description"]
    else:
        label = (change.issued_line or {}).get("description", "")
        if change.issued_line and "issued_amount_ht" in change.issued_line:
            # the line was first billed by a correction: its label before " : facturé ..."
            label = label.removeprefix("Correction ").rsplit(" : facturé ", 1)[0]
    return line_correction_description(label, change.issued, change.recomputed)


def _original(snapshot: LedgerSnapshot, month: Month, customer_id: str) -> dict[str, str] | None:
    """The invoice a correction document references (R66): the customer's invoice of the
    month, else its first supplementary invoice of the month."""
    issued = snapshot.month(month)
    rows = [r for r in issued.invoices if r["customer_id"] == customer_id] if issued else []
    rows += [
        r
        for c in snapshot.corrections(month)
        for r in c.invoices
        if r["customer_id"] == customer_id
    ]
    return rows[0] if rows else None


def _document_line(change: LineChange, document: str, line_no: int, sign: int, month: Month):
    """A line of a correction document: the corrected line's kind, reference, zone and
    reason, the corrected month as its period; amount_ht the difference (the data contract),
    document_amount_ht what the document shows (the difference, negated on a credit note).

    R63: one lot at the amount the document shows, quantity x unit_price = document_amount_ht:
    1 x the amount, or -1 x its absolute value for a negative line (EN 16931 BR-27: a price is
    never negative). A usage line's calls and billable_seconds are the calls and seconds it
    adds (negative: removes)."""
    line = change.line or {}
    shown = change.difference * sign
    usage = change.kind == "usage"
    return {
        "invoice_number": document,
        "line_no": line_no,
        "customer_id": change.customer_id,
        "kind": change.kind,
        "reference": change.reference,
        "description": change.description,
        "zone": change.zone or None,
        "reason": change.reason or None,
        "quantity": -1 if shown < 0 else 1,
        "unit": LOT_UNIT,
        "calls": change.calls_added if usage else None,
        "billable_seconds": change.seconds_added if usage else None,
        "unit_price": abs(shown),
        "amount_ht": change.difference,
        "period_start": month.first_day,
        "period_end": month.last_day,
        "issued_amount_ht": change.issued,
        "recomputed_amount_ht": change.recomputed,
        "document_amount_ht": shown,
        "telephony_recurring": bool(line.get("telephony_recurring")),
    }


def check_date(snapshot: LedgerSnapshot, issued_on: date) -> None:
    """R67: a correction is never dated before the latest document already issued, in either
    series (it may issue in both; numbers stay chronological, R60). Exit 2, whatever the
    correction would issue: a date out of order is refused before anything is compared."""
    for s in ("F", "AV"):
        latest = snapshot.latest_date(s)
        if latest is not None and issued_on < latest:
            kind = "invoice" if s == "F" else "credit note"
            kind_fr = "de la dernière facture émise" if s == "F" else "du dernier avoir émis"
            raise InputError(
                say(
                    f"--date {issued_on} est antérieure à la date {kind_fr} "
                    f"({latest}) : une correction est datée de ce jour ou après, pour que les "
                    f"numéros {s} restent dans l'ordre des dates (R67) ; rien n'a été écrit",
                    f"--date {issued_on} is before the latest {kind} already issued "
                    f"({latest}): a correction is dated on or after it, so that the {s} numbers "
                    "stay in date order (R67); nothing was written",
                )
            )


def compute_correction(
    recomputed: MonthDocuments,
    snapshot: LedgerSnapshot,
    issued_on: date,
    number_in_month: int,
) -> CorrectionDocuments:
    """The correction of `recomputed.month` issued on `issued_on` over `snapshot` (every
    month and correction issued before it)."""
    check_date(snapshot, issued_on)
    month = recomputed.month
    ref = recomputed.reference
    customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
    seller = seller_mentions(ref.provider)
    changes = line_changes(recomputed, snapshot)
    correction = CorrectionDocuments(
        month, number_in_month, issued_on, snapshot.position, recomputed, changes
    )
    by_customer: dict[str, list[LineChange]] = {}
    for change in changes:
        by_customer.setdefault(change.customer_id, []).append(change)
    nets = {cid: sum((c.difference for c in cs), ZERO) for cid, cs in by_customer.items()}
    due = issued_on + timedelta(days=PAYMENT_DAYS)
    next_f = snapshot.next_number("F", issued_on.year)
    next_av = snapshot.next_number("AV", issued_on.year)
    for customer_id in sorted(by_customer):
        net = nets[customer_id]
        if net == 0:
            correction.zero_net.append(customer_id)
            continue
        customer = customers.get(customer_id, {"customer_id": customer_id, "country": "FR"})
        original = _original(snapshot, month, customer_id)
        if original is not None:
            rate, mention = Decimal(original["vat_rate"]), original["vat_mention"]
            original_number = original["invoice_number"]
            original_date = date.fromisoformat(original["invoice_date"])
        else:  # a customer first billed for the month by this correction
            rate, mention = vat_treatment(customer)
            original_number, original_date = "", None
        changed = by_customer[customer_id]
        kinds = {c.kind for c in changed}
        sign = 1 if net > 0 else -1  # a supplementary invoice, or a credit note (R66)
        if sign > 0:
            doc_number, next_f = number("F", issued_on.year, next_f), next_f + 1
        else:
            doc_number, next_av = number("AV", issued_on.year, next_av), next_av + 1
        lines = [_document_line(c, doc_number, i, sign, month) for i, c in enumerate(changed, 1)]
        ht = round_line(net * sign)
        vat = round_line(ht * rate)
        common = {
            "customer_id": customer_id,
            "vat_rate": rate,
            "original_invoice_number": original_number,
            "original_invoice_date": original_date,
            "corrected_month": str(month),
            "lines": lines,
        }
        if sign > 0:
            correction.invoices.append(
                Invoice(
                    invoice_number=doc_number,
                    invoice_date=issued_on,
                    due_date=due,
                    period=str(month),
                    total_ht=ht,
                    total_vat=vat,
                    total_ttc=ht + vat,
                    vat_mention=mention if original is not None else vat_mention(customer, kinds),
                    period_start=month.first_day,
                    period_end=month.last_day,
                    operation_category=operation_category(kinds),
                    **common,
                    **buyer_mentions(customer),
                    **seller,
                )
            )
        else:
            correction.credit_notes.append(
                CreditNote(
                    credit_note_number=doc_number,
                    credit_note_date=issued_on,
                    service_month=str(month),
                    availability_pct=None,
                    credit_pct=None,
                    amount_ht=ht,
                    amount_vat=vat,
                    amount_ttc=ht + vat,
                    vat_mention=mention,
                    **common,
                )
            )
    # R81: a debited customer's supplementary invoice names its mandate, the ICS, the debited
    # account and its debit date (the mandate in force on the correction's date)
    apply_debit(correction.invoices, correction.credit_notes, ref)
    names = {c["customer_id"]: c["name"] for c in ref["ref_customers"].rows}
    year = fiscal_year(issued_on, ref.provider["fiscal_year_end"])
    correction.fec_entries = entries(
        correction.invoices,
        correction.credit_notes,
        names,
        {year: snapshot.next_fec_entry(year)},
        accounts=ref.provider["accounts"],
        year_end=ref.provider["fiscal_year_end"],
        vat_pending=recomputed.fec_vat_pending,  # R88, as the month's run decided it
    )
    return correction
