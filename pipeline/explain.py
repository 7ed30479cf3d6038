"""`billing explain`: why one CDR was charged what it was, in words a customer service agent
can read out (R10-R25, R41).

Where the facts come from (pipeline.run.explain_call):
- the month is issued (OUT/M/manifest.json exists): its own files, rated_calls.parquet,
  rejects.csv and fair_use.csv, i.e. exactly what was invoiced, even if the data or the rate
  book changed since (pipeline.ledger.issued);
- otherwise the month is computed again from DATA and RATES (nothing is written), with the
  ledger snapshot of the months already issued in OUT for the duplicate check.
Both paths give the same columns, so the text is the same for the same facts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pipeline.core.dates import PARIS, Month
from pipeline.core.errors import InputError
from pipeline.core.money import fmt, round_call

ALLOWANCE_S = 7200  # R21
LIMITS = {"distinct_numbers": 150, "max_concurrent_calls": 3, "max_registered_devices": 3}

REASON_TEXT = {
    "NOT_CHARGEABLE": "never charged (R10, R16 step 0)",
    "FREE": "the zone's tariff is 0: never charged (R16 step 1)",
    "TELECOM_PROFESSIONAL": "the customer is a telecom professional: plans never apply (R16 step 2)",
    "NO_PLAN": "no unlimited plan of this SIP account covers the call's date (R15, R16 step 3)",
    "FAIR_USE_DISTINCT_NUMBERS": "the SIP account called more than 150 different numbers this "
    "month: the plan does not apply to any of its calls (R20, R16 step 4)",
    "FAIR_USE_CONCURRENT_CALLS": "the SIP account had more than 3 calls in progress at one "
    "instant this month: the plan does not apply (R22, R16 step 4)",
    "FAIR_USE_DEVICES": "the SIP account had more than 3 devices registered at one instant this "
    "month: the plan does not apply (R23, R16 step 4)",
    "THIRD_PARTY_DEVICE": "placed from a device the provider did not supply to this customer: "
    "charged per minute, plan or not (R24, R16 step 5)",
    "OUT_OF_PLAN": "the zone is not included in the plan (R15, R16 step 6)",
    "FORWARDING_OVER_FAIR_USE": "forwarded leg beyond the 2 h monthly forwarding allowance "
    "(R21, R16 step 7)",
    "INCLUDED": "covered by the unlimited plan: amount 0 (R15, R16 step 8)",
}


def explain_text(
    month: Month,
    cdr_id: str,
    source: str,
    rated: list[dict[str, Any]],
    rejected: list[dict[str, Any]],
    fair_use: dict[str, dict[str, Any]],
) -> str:
    """The explanation of `cdr_id` in `month` from its facts (pipeline.run.explain_call
    gathers them from the issued month or from a computation of a month not issued)."""
    if not rated and not rejected:
        raise InputError(f"cdr_id {cdr_id!r} is neither rated nor rejected in {month} ({source})")
    lines = [f"CDR {cdr_id}, month {month} ({source})"]
    for row in rated:
        lines += _explain_rated(row, fair_use.get(row["sip_account"]))
    for row in rejected:
        lines += _explain_rejected(row)
    return "\n".join(lines)


def _explain_rejected(row: dict[str, Any]) -> list[str]:
    return [
        f"  REJECTED {row['reason']} (R41): {row.get('detail') or ''}",
        f"    file {row['source_file']}, row {row['row_number']}",
        f"    raw: {row['raw']}",
    ]


def _explain_rated(row: dict[str, Any], fair_use: dict[str, Any] | None) -> list[str]:
    g = row.get
    start = g("start_time")
    when = start.astimezone(PARIS).isoformat() if start is not None else "?"
    lines = [
        f"  call: {g('direction')} on SIP account {g('sip_account')} (customer "
        f"{g('customer_id')}), device {g('device_id') or 'none'}, started {when} "
        f"(Paris date {g('call_date') or '?'}), {g('duration_s')} s; "
        f"file {g('source_file')}, row {g('row_number')}",
        f"  number: {g('callee')!r} -> {g('callee_e164') or 'not a valid number'} (R11)",
    ]
    if g("zone"):
        lines.append(f"  destination: longest prefix {g('prefix')} -> zone {g('zone')} (R12)")
    if g("tariff_valid_from") is not None:
        lines.append(
            f"  tariff: {g('zone')} valid from {g('tariff_valid_from')}: "
            f"{_eur(g('price_per_min_eur'))} EUR/min, connection {_eur(g('connection_fee_eur'))} "
            f"EUR, minimum {g('min_billable_s')} s, increment {g('increment_s')} s (R13)"
        )
    reason = g("reason")
    lines.append(f"  reason: {reason} - {REASON_TEXT.get(reason, '')}")
    lines += _why(row, fair_use)
    lines += _arithmetic(row)
    return lines


def _why(row: dict[str, Any], fair_use: dict[str, Any] | None) -> list[str]:
    g = row.get
    reason = g("reason")
    lines = []
    if reason == "NOT_CHARGEABLE":
        why = "incoming call" if g("direction") == "in" else "not answered (duration 0)"
        lines.append(f"    because: {why}")
    if reason.startswith("FAIR_USE") or reason == "FORWARDING_OVER_FAIR_USE":
        if fair_use:
            figures = ", ".join(
                f"{name.replace('_', ' ')} {fair_use[name]} (limit {limit})"
                for name, limit in LIMITS.items()
            )
            lines.append(
                f"    limits broken by {g('sip_account')} this month: {fair_use['breaches']}; "
                f"{figures}"
            )
    if reason in ("NO_PLAN", "OUT_OF_PLAN", "INCLUDED", "FORWARDING_OVER_FAIR_USE"):
        plan = g("plan_subscription_id")
        if plan is None:
            lines.append(
                f"    no unlimited plan of {g('sip_account')} is in force on {g('call_date')} "
                "(from its order date to the end of its service)"
            )
        else:
            if g("national_plan_zone"):
                where = "a national zone, in every unlimited plan"
            elif reason == "OUT_OF_PLAN":
                where = "neither national nor on the order form's international zones"
            else:
                where = "on the order form's international zones"
            lines.append(
                f"    plan: subscription {plan} covers {g('call_date')}; zone {g('zone')} is {where}"
            )
    if reason == "THIRD_PARTY_DEVICE":
        lines.append(
            f"    device {g('device_id')} is not in devices.csv as supplied by the provider "
            f"to customer {g('customer_id')}"
        )
    if g("direction") == "fwd" and g("forwarding_consumed_before_s") is not None:
        before = int(g("forwarding_consumed_before_s"))
        over = int(g("forwarded_over_s") or 0)
        lines.append(
            f"    forwarding allowance: {before} s of {ALLOWANCE_S} s used by earlier legs "
            f"(start time, then cdr_id); this leg {g('duration_s')} s, "
            f"{over} s beyond the allowance"
        )
    return lines


def _arithmetic(row: dict[str, Any]) -> list[str]:
    g = row.get
    amount = g("amount")
    amount = Decimal(str(amount)) if amount is not None else None
    rated, billable = g("rated_seconds"), g("billable_seconds")
    if not billable:
        return [f"  amount: {fmt(amount) if amount is not None else '0'} EUR (nothing rated)"]
    price, fee = g("price_per_min_eur"), g("connection_fee_eur")
    minimum, increment = g("min_billable_s"), g("increment_s")
    lines = []
    if minimum is not None and increment is not None:
        rounded_up = -(-int(rated) // int(increment)) * int(increment)
        lines.append(
            f"  billable: rated {rated} s -> max({minimum}, ceil({rated} / {increment}) x "
            f"{increment} = {rounded_up}) = {billable} s (R14)"
        )
    if price is not None and fee is not None:
        price, fee = Decimal(str(price)), Decimal(str(fee))
        exact = fee + price * Decimal(int(billable)) / Decimal(60)
        check = round_call(exact)
        lines.append(
            f"  amount: {_eur(fee)} + {_eur(price)} x {billable} / 60 = {_exact(exact)} -> "
            f"{fmt(check)} EUR (4 decimals, half away from zero, R14/R2)"
        )
        if amount is not None and check != amount:
            lines.append(f"  WARNING: the rated amount is {fmt(amount)} EUR")
    else:
        lines.append(f"  amount: {fmt(amount)} EUR (R14)")
    return lines


def _eur(value: Any) -> str:
    return fmt(Decimal(str(value))) if value is not None else "?"


def _exact(value: Decimal) -> str:
    """An exact quotient, or its first 8 decimals followed by '...'."""
    short = value.quantize(Decimal("0.00000001"))
    if short == value:
        return fmt(short.normalize())
    return fmt(short) + "..."
