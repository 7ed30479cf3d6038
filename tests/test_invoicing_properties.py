"""Invariants of build_invoices no example list covers (R2, R60, R61), with hypothesis."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.billing.invoicing import build_invoices
from pipeline.core.dates import Month

COUNTRIES = {"C1": "FR", "C2": "BE", "C3": "CH", "C4": "DE", "C5": "FR"}
CUSTOMERS = {
    cid: {
        "customer_id": cid,
        "name": cid,
        "country": country,
        "siren": None,
        "vat_number": "BE0403019261" if country == "BE" else None,
        "address": None,
    }
    for cid, country in COUNTRIES.items()
}
KINDS = ("subscription", "early_termination", "rental", "non_return", "equipment_sale", "usage")

cents = st.integers(min_value=0, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
lines = st.lists(
    st.tuples(
        st.sampled_from(sorted(CUSTOMERS)),
        st.sampled_from(KINDS),
        cents,
        st.integers(min_value=1, max_value=9),
    ),
    max_size=40,
)


def make(rows):
    return [
        {
            "customer_id": cid,
            "kind": kind,
            "reference": f"X{i}",
            "description": f"{kind} {i}",
            "zone": None,
            "reason": None,
            "quantity": qty,
            "billable_seconds": None,
            "unit_price": amount,
            "amount_ht": amount,
            "telephony_recurring": False,
        }
        for i, (cid, kind, amount, qty) in enumerate(rows)
    ]


@settings(max_examples=200, deadline=None)
@given(lines, st.integers(min_value=1, max_value=999_000), st.sampled_from(["2026-10", "2026-12"]))
def test_invoices_add_up_and_numbers_are_gapless(rows, start, month):
    source = make(rows)
    invoices = build_invoices(source, CUSTOMERS, Month.parse(month), start)
    year = 2027 if month == "2026-12" else 2026
    # R60: one per customer in customer_id order, numbers consecutive from `start`
    assert [i.invoice_number for i in invoices] == [
        f"F{year}-{n:06d}" for n in range(start, start + len(invoices))
    ]
    assert [i.customer_id for i in invoices] == sorted({i.customer_id for i in invoices})
    # R61: exactly the customers with a non-zero line
    assert {i.customer_id for i in invoices} == {
        ln["customer_id"] for ln in source if ln["amount_ht"] != 0
    }
    for inv in invoices:
        # every line of the customer, numbered 1..n
        assert len(inv.lines) == sum(1 for ln in source if ln["customer_id"] == inv.customer_id)
        assert [ln["line_no"] for ln in inv.lines] == list(range(1, len(inv.lines) + 1))
        # R2: HT = sum of lines, VAT once on HT, half away from zero, TTC = HT + VAT
        ht = sum((ln["amount_ht"] for ln in inv.lines), Decimal("0.00"))
        assert inv.total_ht == ht
        assert inv.total_vat == (ht * inv.vat_rate).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert inv.total_ttc == inv.total_ht + inv.total_vat
        assert inv.vat_rate == (
            Decimal("0.20") if COUNTRIES[inv.customer_id] in ("FR", "DE") else 0
        )
