"""One money policy (R2): exact decimals, euro, rounding half away from zero.

Never use float, Python's round(), numpy or pandas .round() on money.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
TEN_THOUSANDTH = Decimal("0.0001")


def to_decimal(value: str | int | Decimal) -> Decimal:
    """Parse an amount written with '.' as decimal separator; raise ValueError if it is not one."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    text = value.strip()
    try:
        result = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a decimal amount: {value!r}")
    return result


def round_call(amount: Decimal) -> Decimal:
    """R2: per-call amounts to 4 decimals, half away from zero (0.00005 -> 0.0001)."""
    return amount.quantize(TEN_THOUSANDTH, rounding=ROUND_HALF_UP)


def round_line(amount: Decimal) -> Decimal:
    """R2: invoice lines, VAT and totals to 2 decimals, half away from zero (2.345 -> 2.35)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(amount: Decimal) -> str:
    """Plain text for CSV files: no exponent, the amount's own number of decimals."""
    return format(amount, "f")
