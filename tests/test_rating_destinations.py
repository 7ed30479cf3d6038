"""Issue 3: an independent check of the real rate book (rates/destinations.csv, R12).

Thousands of valid French numbers of each kind are generated with the `phonenumbers` library
(Google's libphonenumber metadata, maintained apart from this project) and the zone of their
longest prefix in rates/destinations.csv must agree with the number type phonenumbers reports.
The longest-prefix lookup here is plain Python, independent of sql/rating/rat_destinations.sql;
one test also runs a sample through the SQL models to check both agree.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType as T
from phonenumbers import shortnumberinfo

from tests.conftest import BASE, rate, rows, write_rows

RATES = Path(__file__).resolve().parent.parent / "rates"
PER_KIND = 1000

EXPECTED_ZONE = {
    T.FIXED_LINE: "FR_FIXED",
    # 09 numbers are "French fixed" for the plan (R15: 01-05, 09); libphonenumber calls them VOIP
    T.VOIP: "FR_FIXED",
    T.MOBILE: "FR_MOBILE",
    T.TOLL_FREE: "FR_FREEPHONE",
    T.SHARED_COST: "FR_SHARED_COST",
    T.PREMIUM_RATE: "FR_PREMIUM",
}


def _destinations() -> dict[str, str]:
    with open(RATES / "destinations.csv", encoding="utf-8", newline="") as f:
        return {r["prefix"]: r["zone"] for r in csv.DictReader(f)}


def _zone(prefixes: dict[str, str], number: str) -> tuple[str, str] | None:
    for length in range(len(number), 0, -1):
        zone = prefixes.get(number[:length])
        if zone is not None:
            return number[:length], zone
    return None


def _french_numbers() -> dict[int, list[str]]:
    """Valid French numbers (E.164 digits) by phonenumbers type, at most PER_KIND of each,
    drawn at random (seeded) from the national ranges 1-9."""
    rng = random.Random(20261001)
    found: dict[int, list[str]] = {kind: [] for kind in EXPECTED_ZONE}
    # first digit of the national significant number -> tries: 8 holds the sparse kinds
    for first, tries in (
        ("1", 600),
        ("2", 600),
        ("3", 600),
        ("4", 600),
        ("5", 600),
        ("6", 1500),
        ("7", 1500),
        ("9", 1500),
        ("8", 25000),
    ):
        for _ in range(tries):
            nsn = first + f"{rng.randrange(10**8):08d}"
            parsed = phonenumbers.parse("+33" + nsn)
            if not phonenumbers.is_valid_number(parsed):
                continue
            kind = phonenumbers.number_type(parsed)
            if kind in found and len(found[kind]) < PER_KIND:
                found[kind].append("33" + nsn)
    return found


@pytest.fixture(scope="module")
def french_numbers() -> dict[int, list[str]]:
    return _french_numbers()


def test_r12_rate_book_zones_agree_with_phonenumbers(french_numbers):
    prefixes = _destinations()
    mismatches = []
    for kind, numbers in french_numbers.items():
        assert len(numbers) >= 500, f"only {len(numbers)} numbers of type {kind} generated"
        for number in numbers:
            match = _zone(prefixes, number)
            if match is None or match[1] != EXPECTED_ZONE[kind]:
                mismatches.append((number, kind, match))
    summary = {}
    for number, kind, match in mismatches:
        key = (EXPECTED_ZONE[kind], match[1] if match else None, match[0] if match else None)
        summary.setdefault(key, []).append(number)
    assert not mismatches, "\n".join(
        f"expected {exp}, got {got} (prefix {prefix}): {len(nums)} numbers, e.g. {nums[:3]}"
        for (exp, got, prefix), nums in sorted(summary.items(), key=str)
    )


def test_r12_french_emergency_short_numbers(french_numbers):
    prefixes = _destinations()
    for digits in ("15", "17", "18", "112", "114", "115", "119", "191", "196", "197"):
        if not shortnumberinfo.is_emergency_number(digits, "FR"):
            continue
        assert _zone(prefixes, "S" + digits) is not None, digits
        assert _zone(prefixes, "S" + digits)[1] == "FR_EMERGENCY", digits


def test_r12_sql_agrees_with_the_python_lookup(ws, french_numbers):
    """A sample of each kind through rat_calls/rat_destinations against the real rate book."""
    for name in ("destinations.csv", "tariffs.csv", "products.csv", "equipment.csv"):
        (ws.rates / name).write_bytes((RATES / name).read_bytes())
    # no subscription: the fixture's plan names products and zones of the fixture rate book
    write_rows(ws.table("subscriptions.csv"), [BASE["subscriptions.csv"][0]])
    sample = [n for numbers in french_numbers.values() for n in numbers[:50]]
    ws.cdrs(
        "2026-10",
        [
            [
                f"c{i:04d}",
                "sip-2",
                "out",
                "0145000000",
                "0" + n[2:],
                f"2026-10-{1 + i % 28:02d}T{8 + i // 28 % 12:02d}:{i // 336:02d}:00+02:00",
                "60",
                "",
            ]
            for i, n in enumerate(sample)
        ],
    )
    prefixes = _destinations()
    got = {
        r["callee_e164"]: r["zone"] for r in rows(rate(ws, "2026-10"), "select * from rated_calls")
    }
    assert got == {n: _zone(prefixes, n)[1] for n in sample}
