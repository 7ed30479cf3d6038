"""R2: exact decimals, rounding half away from zero (pipeline.core.money)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.core.money import fmt, round_call, round_line, to_decimal


@pytest.mark.parametrize(
    "amount, expected",
    [
        ("2.345", "2.35"),  # the rules' example; half to even would give 2.34
        ("0.025", "0.03"),
        ("0.015", "0.02"),
        ("-0.025", "-0.03"),  # away from zero, also below zero
        ("2.344999", "2.34"),
        ("125", "125.00"),
    ],
)
def test_r2_line_rounding_half_away_from_zero(amount, expected):
    assert round_line(Decimal(amount)) == Decimal(expected)
    assert fmt(round_line(Decimal(amount))) == expected


@pytest.mark.parametrize(
    "amount, expected",
    [
        ("0.00005", "0.0001"),
        ("-0.00005", "-0.0001"),
        ("0.00004999", "0.0000"),
        ("0.020333", "0.0203"),  # 61 s at 0.0200/min
    ],
)
def test_r2_call_rounding_to_4_decimals(amount, expected):
    assert round_call(Decimal(amount)) == Decimal(expected)


def test_r2_lines_summed_after_rounding():
    calls = [Decimal("0.0125"), Decimal("0.0125")]
    assert round_line(sum(calls, Decimal(0))) == Decimal("0.03")  # 0.0250 -> 0.03
    assert sum((round_line(c) for c in calls), Decimal(0)) == Decimal("0.02")


@pytest.mark.parametrize("text", ["abc", "1,5", "NaN", "Infinity", ""])
def test_to_decimal_rejects_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        to_decimal(text)


def test_fmt_never_writes_an_exponent():
    assert fmt(Decimal("1E+2")) == "100"
    assert fmt(Decimal("0.0000")) == "0.0000"
