"""SLA availability and credit notes (R50-R52). Decisions where the rules are silent: docs/sla.md.

Pure: `availability`, `credit_tier` and `credit_amounts` compute from plain values;
`credit_notes_for_run` takes what was issued before the month from the ledger snapshot (the
invoices claimed against, the claims already credited) and the run's own invoices, and returns
the credit notes of the run and the rows of sla.csv.

Time is exact: every instant becomes an integer number of microseconds since the Unix epoch,
taken in UTC (never by subtracting two datetimes that share a ZoneInfo), and availability is a
Fraction compared unrounded with the tiers of R51.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from pipeline.billing.invoicing import invoice_date, number
from pipeline.billing.ledger_snapshot import (
    TELEPHONY_RECURRING_KINDS,
    IssuedInvoice,
    LedgerSnapshot,
)
from pipeline.billing.month_documents import CreditNote
from pipeline.core.dates import Month
from pipeline.core.money import round_line

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
FOUR_DECIMALS = Decimal("0.0001")

# R51: (lowest availability of the tier, credit %) from the best tier down; below 97: 20 %.
TIERS: tuple[tuple[Fraction, Decimal], ...] = (
    (Fraction("99.85"), Decimal("0")),
    (Fraction("99.5"), Decimal("5")),
    (Fraction("97"), Decimal("10")),
)
LOWEST_TIER = Decimal("20")
CAP_PCT = Decimal("20")  # R51: never more than 20 % of the telephony recurring charges


# claim_status values of sla.csv (R52); claim_detail says more in words.
CREDITED = "credited"
TIER_0 = "tier_0"
NOT_ELIGIBLE = "not_eligible"
NO_INVOICE = "no_invoice"
ALREADY_CREDITED = "already_credited"
NO_TELEPHONY_CHARGES = "no_telephony_charges"
SERVICE_MONTH_NOT_BEFORE_CLAIM = "service_month_not_before_claim"

Interval = tuple[int, int]  # [start, end) in microseconds since the epoch, UTC


# --- pure core -------------------------------------------------------------------------------


def instant(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime, whatever its zone (converted to UTC)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: incidents must carry an offset or a zone")
    return (moment.astimezone(UTC) - EPOCH) // MICROSECOND


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same instants; empty intervals vanish."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(base: Sequence[Interval], removed: Sequence[Interval]) -> list[Interval]:
    """base minus removed; both sorted and disjoint (outputs of `union`)."""
    result: list[Interval] = []
    for start, end in base:
        cursor = start
        for r_start, r_end in removed:
            if r_end <= cursor or r_start >= end:
                continue
            if r_start > cursor:
                result.append((cursor, r_start))
            cursor = max(cursor, r_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    lo, hi = window
    return [(max(s, lo), min(e, hi)) for s, e in intervals if e > lo and s < hi]


def length(intervals: Iterable[Interval]) -> int:
    return sum(e - s for s, e in intervals)


@dataclass(frozen=True)
class Availability:
    """R50 for one customer and one month, exact."""

    customer_id: str
    month: Month
    month_us: int
    downtime_us: int
    incident_ids: tuple[str, ...]  # not excusable, counted for some time in the month
    excusable_ids: tuple[str, ...]  # excusable, overlapping the month

    @property
    def minutes_in_month(self) -> Fraction:
        return Fraction(self.month_us, US_PER_MINUTE)

    @property
    def downtime_minutes(self) -> Fraction:
        return Fraction(self.downtime_us, US_PER_MINUTE)

    @property
    def pct(self) -> Fraction:
        """Unrounded availability in percent (R51 compares this value)."""
        return Fraction(self.month_us - self.downtime_us, self.month_us) * 100


def month_window(month: Month) -> Interval:
    """R1: [local midnight on the 1st, local midnight on the 1st of M+1), real elapsed time."""
    return instant(month.start_utc), instant(month.end_utc)


def relevant_incidents(
    incidents: Iterable[dict[str, Any]], customer_id: str
) -> list[dict[str, Any]]:
    """The customer's own incidents and the platform-wide ones (customer_id empty)."""
    return [i for i in incidents if not i.get("customer_id") or i["customer_id"] == customer_id]


def availability(
    incidents: Iterable[dict[str, Any]], customer_id: str, month: Month
) -> Availability:
    """R50: union of the not-excusable incidents of the customer and of the platform, minus the
    union of the excusable ones, clipped to the month; overlaps count once."""
    window = month_window(month)
    mine = relevant_incidents(incidents, customer_id)
    spans = [(i, (instant(i["start_time"]), instant(i["end_time"]))) for i in mine]
    excusable = union(clip((s for i, s in spans if i["excusable"]), window))
    down = subtract(union(clip((s for i, s in spans if not i["excusable"]), window)), excusable)
    counted = sorted(
        i["incident_id"]
        for i, s in spans
        if not i["excusable"] and length(subtract(clip([s], window), excusable)) > 0
    )
    excused = sorted(i["incident_id"] for i, s in spans if i["excusable"] and clip([s], window))
    return Availability(
        customer_id, month, window[1] - window[0], length(down), tuple(counted), tuple(excused)
    )


def credit_tier(pct: Fraction) -> Decimal:
    """R51, on the unrounded availability: >= 99.85 -> 0; >= 99.5 -> 5; >= 97 -> 10; else 20."""
    for lowest, credit in TIERS:
        if pct >= lowest:
            return credit
    return LOWEST_TIER


def report_pct(value: Fraction) -> Decimal:
    """Availability (or minutes) reported to 4 decimals, half away from zero (values are >= 0)."""
    scaled = value * 10_000
    return (
        Decimal((scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2))
        * FOUR_DECIMALS
    ).quantize(FOUR_DECIMALS, rounding=ROUND_HALF_UP)


def credit_amounts(
    credit_pct: Decimal, telephony_ht: Decimal, vat_rate: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """R51/R2: HT = credit % of the telephony recurring charges, rounded to the cent and capped
    at 20 % of them; VAT at the original invoice's rate, rounded; TTC = HT + VAT."""
    pct = min(credit_pct, CAP_PCT)
    amount_ht = round_line(telephony_ht * pct / 100)
    amount_ht = min(amount_ht, round_line(telephony_ht * CAP_PCT / 100))
    amount_vat = round_line(amount_ht * vat_rate)
    return amount_ht, amount_vat, amount_ht + amount_vat


# --- the run ---------------------------------------------------------------------------------


def _telephony_customers(invoices: Sequence[Any]) -> set[str]:
    """Customers with telephony recurring charges invoiced for `month` in this run."""
    return {
        inv.customer_id
        for inv in invoices
        if any(ln["kind"] in TELEPHONY_RECURRING_KINDS and ln["amount_ht"] != 0 for ln in inv.lines)
    }


def _sla_row(av: Availability, eligible: bool, **claim: Any) -> dict[str, Any]:
    return {
        "customer_id": av.customer_id,
        "service_month": str(av.month),
        "minutes_in_month": av.month.minutes,
        "downtime_minutes": report_pct(av.downtime_minutes),
        "availability_pct": report_pct(av.pct),
        "credit_pct": credit_tier(av.pct),
        "claim_status": "",
        "sla_eligible": eligible,
        "downtime_seconds": Fraction(av.downtime_us, US_PER_SECOND),
        "incident_ids": ";".join(av.incident_ids),
        "excusable_incident_ids": ";".join(av.excusable_ids),
        "claim_received_on": None,
        "claim_detail": "",
        "telephony_charges_ht": None,
        "original_invoice_number": "",
        "credit_note_number": "",
        **claim,
    }


def _seconds_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f")


def credit_notes_for_run(
    ref: Any, month: Month, ledger: LedgerSnapshot, invoices: Sequence[Any]
) -> tuple[list[CreditNote], list[dict[str, Any]]]:
    """Credit notes issued in the run of `month` (R52) and the rows of sla.csv.

    sla.csv holds one row per claim received in `month` (its service month, its status), and
    one row for `month` itself per customer touched by an incident overlapping it (the
    customer's own incidents; platform-wide ones touch every customer with telephony recurring
    charges invoiced for `month`), unless a claim row already covers that customer and month.
    """
    incidents = ref["ref_incidents"].rows
    customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
    window = month_window(month)
    issued_on = invoice_date(month)
    credited = ledger.credited_claims()
    next_sequence = ledger.next_number("AV", issued_on.year)

    claims = sorted(
        (c for c in ref["ref_sla_claims"].rows if Month.of(c["received_on"]) == month),
        key=lambda c: (c["customer_id"], c["service_month"], c["received_on"]),
    )  # sorted() is stable: two claims received the same day keep their file order

    rows: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], Availability, IssuedInvoice]] = []
    granted: dict[tuple[str, str], dict[str, Any]] = {}
    for claim in claims:
        cid = claim["customer_id"]
        service = Month.parse(claim["service_month"])
        customer = customers[cid]
        av = availability(incidents, cid, service)
        base = {"claim_received_on": claim["received_on"]}
        key = (cid, str(service))
        invoice = ledger.invoice_of(service, cid) if service < month else None
        if invoice is not None:
            base["telephony_charges_ht"] = invoice.telephony_ht
            base["original_invoice_number"] = invoice.invoice_number
        if service >= month:
            status, detail = (
                SERVICE_MONTH_NOT_BEFORE_CLAIM,
                (
                    f"received {claim['received_on']} for {service}: a credit is for a month before "
                    f"the month the claim is received (R52)"
                ),
            )
        elif not customer["sla_eligible"]:
            status, detail = (
                NOT_ELIGIBLE,
                (
                    "customer not SLA-eligible (access link, terminals and router not ordered through "
                    "the provider, Article 7)"
                ),
            )
        elif invoice is None:
            status, detail = NO_INVOICE, f"no invoice issued to {cid} for {service}"
        elif key in credited:
            status, detail = ALREADY_CREDITED, f"already credited by {credited[key]}"
        elif key in granted:
            status, detail = (
                ALREADY_CREDITED,
                (f"already credited in this run, claim received {granted[key]['received_on']}"),
            )
        elif credit_tier(av.pct) == 0:
            status, detail = TIER_0, "availability at or above 99.85 %: no credit (R51)"
        elif invoice.telephony_ht == 0:
            status, detail = (
                NO_TELEPHONY_CHARGES,
                (f"invoice {invoice.invoice_number} has no telephony recurring charges (R51)"),
            )
        else:
            status, detail = CREDITED, ""
            granted[key] = claim
            pending.append((claim, av, invoice))
        rows.append(
            _sla_row(av, customer["sla_eligible"], claim_status=status, claim_detail=detail, **base)
        )

    # R60: AV numbers in customer_id order, then service month (claims are sorted that way)
    notes: list[CreditNote] = []
    numbers: dict[tuple[str, str], str] = {}
    for sequence, (claim, av, invoice) in enumerate(pending, start=next_sequence):
        pct = credit_tier(av.pct)
        ht, vat, ttc = credit_amounts(pct, invoice.telephony_ht, invoice.vat_rate)
        note_number = number("AV", issued_on.year, sequence)
        numbers[(claim["customer_id"], claim["service_month"])] = note_number
        notes.append(
            CreditNote(
                credit_note_number=note_number,
                customer_id=claim["customer_id"],
                credit_note_date=issued_on,
                original_invoice_number=invoice.invoice_number,
                original_invoice_date=invoice.invoice_date,
                service_month=claim["service_month"],
                availability_pct=report_pct(av.pct),
                credit_pct=pct,
                amount_ht=ht,
                amount_vat=vat,
                amount_ttc=ttc,
                vat_rate=invoice.vat_rate,
                vat_mention=invoice.vat_mention,
                incident_ids=";".join(av.incident_ids),
                excusable_incident_ids=";".join(av.excusable_ids),
                downtime_minutes=report_pct(av.downtime_minutes),
                minutes_in_month=av.month.minutes,
                telephony_charges_ht=invoice.telephony_ht,
                claim_received_on=claim["received_on"],
            )
        )
    for row in rows:
        if row["claim_status"] == CREDITED:
            row["credit_note_number"] = numbers[(row["customer_id"], row["service_month"])]

    # Monitoring rows for the run's own month: customers touched by an incident overlapping it.
    in_month = [
        i for i in incidents if clip([(instant(i["start_time"]), instant(i["end_time"]))], window)
    ]
    touched = {i["customer_id"] for i in in_month if i.get("customer_id")}
    if any(not i.get("customer_id") for i in in_month):
        touched |= _telephony_customers(invoices)
    claimed = {(r["customer_id"], r["service_month"]) for r in rows}
    for cid in touched:
        if (cid, str(month)) not in claimed:
            rows.append(
                _sla_row(availability(incidents, cid, month), customers[cid]["sla_eligible"])
            )

    rows.sort(
        key=lambda r: (r["customer_id"], r["service_month"], r["claim_received_on"] or date.min)
    )
    for row in rows:
        row["downtime_seconds"] = _seconds_text(row["downtime_seconds"])
    return notes, rows
