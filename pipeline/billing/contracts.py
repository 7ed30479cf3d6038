"""Recurring and one-off charges from contracts (R3, R4, R30-R35). Pure functions.

Each function takes reference rows (dicts, as parsed by pipeline.inputs.reference) and the billing
month, and returns invoice lines (dicts) for that month. Nothing here reads files or the clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pipeline.core.dates import Month, add_months
from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.core.money import CENT, round_line

RETURN_DAYS = 30  # R34: equipment must come back within 30 days after the rental ends
RENEWAL_MONTHS = 12  # R30: tacit renewals of 12 months

Line = dict[str, Any]


def first_billed_month(start: date) -> Month:
    """R4: billed from the month after the order (subscription) or delivery (rental)."""
    return Month.of(start).plus(1)


def subscription_last_billed(notice: date | None) -> Month | None:
    """R31: one month's notice; the service ends on notice + 1 month, its month is the last billed."""
    return None if notice is None else Month.of(add_months(notice, 1))


def rental_last_billed(notice: date | None) -> Month | None:
    """R33: a rental ends on its notice date, whose month is the last billed."""
    return None if notice is None else Month.of(notice)


def current_period_end(first: Month, commitment_months: int, month: Month) -> Month | None:
    """R30: last month of the period (initial, then 12-month renewals) that contains `month`."""
    if commitment_months <= 0:
        return None
    end = first.plus(commitment_months - 1)
    if month > end:
        renewals = -(-month.minus(end) // RENEWAL_MONTHS)  # ceiling division
        end = end.plus(renewals * RENEWAL_MONTHS)
    return end


def remaining_months(first: Month, commitment_months: int, last_billed: Month) -> int:
    """R32/R33: months of the current period after the last billed month.

    A rental ended in the month of its start (last billed month before the first, R4 + R33)
    owes its whole initial period."""
    end = current_period_end(first, commitment_months, max(last_billed, first))
    if end is None:
        return 0
    return max(0, end.minus(last_billed))


def unit_price_text(price: Decimal) -> Decimal:
    """Unit prices keep their own decimals (0.0450) but show at least cents (25 -> 25.00)."""
    exponent = price.as_tuple().exponent
    return price.quantize(CENT) if isinstance(exponent, int) and exponent > -2 else price


def _line(
    customer_id: str,
    kind: str,
    reference: str,
    description: str,
    quantity: int,
    unit_price: Decimal,
    *,
    telephony: bool = False,
    period: tuple[date, date] | None = None,
    **extra: Any,
) -> Line:
    return {
        "customer_id": customer_id,
        "kind": kind,
        "reference": reference,
        "description": description,
        "zone": None,
        "reason": None,
        "quantity": quantity,
        "billable_seconds": None,
        "unit_price": unit_price_text(unit_price),
        "amount_ht": round_line(unit_price * quantity),
        "telephony_recurring": telephony,
        "period_start": period[0] if period else None,
        "period_end": period[1] if period else None,
        **extra,
    }


def _plural(n: int) -> str:
    return "s" if n > 1 else ""


def _month_period(month: Month) -> tuple[date, date]:
    return month.first_day, month.last_day


def _remaining_period(last: Month, remaining: int) -> tuple[date, date]:
    return last.plus(1).first_day, last.plus(remaining).last_day


def subscription_lines(sub: dict[str, Any], month: Month, product_label: str) -> list[Line]:
    """R3, R4, R30-R32: one line per billed month, the early-termination fee in the last one."""
    first = first_billed_month(sub["order_date"])
    last = subscription_last_billed(sub["notice_date"])
    lines: list[Line] = []
    price: Decimal = sub["monthly_price_eur"]
    cid, sid = sub["customer_id"], sub["subscription_id"]
    if first <= month and (last is None or month <= last):
        lines.append(
            _line(
                cid,
                "subscription",
                sid,
                f"{product_label} - {month}",
                1,
                price,
                telephony=True,
                period=_month_period(month),
            )
        )
    if last is not None and month == last:
        remaining = remaining_months(first, sub["commitment_months"], last)
        if remaining > 0:
            lines.append(
                _line(
                    cid,
                    "early_termination",
                    sid,
                    f"Frais de résiliation anticipée {product_label}: {remaining} mois "
                    f"restant{_plural(remaining)} "
                    f"({last.plus(1)} à {last.plus(remaining)})",
                    remaining,
                    price,
                    period=_remaining_period(last, remaining),
                )
            )
    return lines


def catalogue_price(catalogue: list[dict[str, Any]], model: str, day: date, start: date) -> Decimal:
    """R34: the price in force on `day` if the model is still sold then, else the price in force
    when the rental started. `valid_to` is the last day a version is sold (inclusive)."""
    versions = [c for c in catalogue if c["equipment_model"] == model]
    for when in (day, start):
        for v in versions:
            if v["valid_from"] <= when and (v["valid_to"] is None or when <= v["valid_to"]):
                return v["sale_price_eur"]
    raise InputError(
        say(
            f"le modèle d'équipement {model} n'a pas de prix catalogue le {day} ni au début de "
            f"la location le {start} (R34)",
            f"equipment model {model} has no catalogue price on {day} nor at rental start "
            f"{start} (R34)",
        ),
        file="equipment.csv",
    )


def equipment_charge_day(rental: dict[str, Any]) -> tuple[date, str] | None:
    """R34: the day the rented equipment becomes due, and why; None if it came back in time
    and in good order, or if the rental has not ended.

    A damaged return within the deadline is due on the day of the return; no return by the
    deadline (notice + 30 days) is due on the deadline, whatever happens later (a late return,
    damaged or not, does not give rise to a second charge: billed once)."""
    if rental["notice_date"] is None:
        return None
    deadline = rental["notice_date"] + timedelta(days=RETURN_DAYS)
    returned = rental["returned_on"]
    if returned is None or returned > deadline:
        return deadline, f"non restitué au {deadline}"
    if rental["return_condition"] == "damaged":
        return returned, f"restitué endommagé le {returned}"
    return None


def rma_charge_day(rma: dict[str, Any]) -> date | None:
    """R34: the defective unit of an RMA must be back within 30 days after the replacement was
    shipped; kept (or back late) it is due on that deadline."""
    deadline = rma["shipped_on"] + timedelta(days=RETURN_DAYS)
    back = rma["defective_returned_on"]
    return deadline if back is None or back > deadline else None


def rental_lines(
    rental: dict[str, Any],
    rmas: list[dict[str, Any]],
    month: Month,
    catalogue: list[dict[str, Any]],
) -> list[Line]:
    """R3, R4, R30, R33, R34: instalments, early termination, non-returned equipment."""
    first = first_billed_month(rental["start_date"])
    last = rental_last_billed(rental["notice_date"])
    fee: Decimal = rental["monthly_fee_eur"]
    cid, rid, model = rental["customer_id"], rental["rental_id"], rental["equipment_model"]
    lines: list[Line] = []
    if first <= month and (last is None or month <= last):
        lines.append(
            _line(
                cid,
                "rental",
                rid,
                f"Location {model} - {month}",
                1,
                fee,
                period=_month_period(month),
            )
        )
    if last is not None and month == last:
        remaining = remaining_months(first, rental["commitment_months"], last)
        if remaining > 0:
            lines.append(
                _line(
                    cid,
                    "rental_early_termination",
                    rid,
                    f"Résiliation anticipée location {model}: {remaining} "
                    f"mensualité{_plural(remaining)} restante{_plural(remaining)} "
                    f"({last.plus(1)} à {last.plus(remaining)})",
                    remaining,
                    fee,
                    period=_remaining_period(last, remaining),
                )
            )
    charge = equipment_charge_day(rental)
    if charge is not None and Month.of(charge[0]) == month:
        day, why = charge
        price = catalogue_price(catalogue, model, day, rental["start_date"])
        lines.append(
            _line(cid, "non_return", rid, f"Équipement {model} {why}", 1, price, period=(day, day))
        )
    for rma in sorted(rmas, key=lambda r: r["rma_id"]):
        day = rma_charge_day(rma)
        if day is not None and Month.of(day) == month:
            price = catalogue_price(catalogue, model, day, rental["start_date"])
            lines.append(
                _line(
                    cid,
                    "non_return",
                    rid,
                    f"Équipement {model} défectueux non restitué (RMA {rma['rma_id']}) au {day}",
                    1,
                    price,
                    period=(day, day),
                    rma_id=rma["rma_id"],
                )
            )
    return lines


def sale_lines(sale: dict[str, Any], month: Month) -> list[Line]:
    """R35: billed once, in the month of delivery, at the order form's unit price."""
    day = sale["delivered_on"]
    if Month.of(day) != month:
        return []
    return [
        _line(
            sale["customer_id"],
            "equipment_sale",
            sale["sale_id"],
            f"Vente {sale['equipment_model']} livrée le {day}",
            sale["quantity"],
            sale["unit_price_eur"],
            period=(day, day),
        )
    ]


def contract_lines(ref: Any, month: Month) -> list[Line]:
    """Every non-usage line of the month, for every customer."""
    labels = {
        p["product_code"]: (p["description"] or p["product_code"]) for p in ref["ref_products"].rows
    }
    catalogue = ref["ref_equipment"].rows
    rmas: dict[str, list[dict[str, Any]]] = {}
    for r in ref["ref_rma"].rows:
        rmas.setdefault(r["rental_id"], []).append(r)
    lines: list[Line] = []
    for sub in ref["ref_subscriptions"].rows:
        lines += subscription_lines(sub, month, labels[sub["product_code"]])
    for rental in ref["ref_rentals"].rows:
        lines += rental_lines(rental, rmas.get(rental["rental_id"], []), month, catalogue)
    for sale in ref["ref_equipment_sales"].rows:
        lines += sale_lines(sale, month)
    return lines
