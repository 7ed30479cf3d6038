"""R50-R52 on the committed sample (data_samples/, rates/): billing 2026-09 then 2026-10 gives
the credited claim of C038 and the refused claims of its stories (tools/generate_samples.py)."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA, RATES = ROOT / "data_samples", ROOT / "rates"

pytestmark = pytest.mark.skipif(
    not (DATA / "sla_claims.csv").exists() or not (RATES / "tariffs.csv").exists(),
    reason="data_samples/ or rates/ not generated",
)


def read(out: Path, month: str, name: str) -> list[dict[str, str]]:
    with open(out / month / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def out(sample_out) -> Path:
    return sample_out


def test_r52_sample_claims_of_september_run(out):
    rows = [r for r in read(out, "2026-09", "sla.csv") if r["claim_status"]]
    # C001 claims 2026-08, never billed: 180 min of its own + 30 min of a platform incident
    # crossing into September (August 2026: 44,640 min) -> 99.5296 %
    assert [
        (
            r["customer_id"],
            r["service_month"],
            r["downtime_minutes"],
            r["availability_pct"],
            r["claim_status"],
        )
        for r in rows
    ] == [
        ("C001", "2026-08", "210.0000", "99.5296", "no_invoice"),
    ]
    assert read(out, "2026-09", "credit_notes.csv") == []


def test_r52_sample_credited_and_refused_claims_of_october_run(out):
    claims = [r for r in read(out, "2026-10", "sla.csv") if r["claim_status"]]
    assert [
        (r["customer_id"], r["service_month"], r["claim_received_on"], r["claim_status"])
        for r in claims
    ] == [
        ("C002", "2026-09", "2026-10-05", "not_eligible"),
        ("C003", "2026-09", "2026-10-09", "tier_0"),
        ("C020", "2026-09", "2026-10-12", "no_invoice"),
        ("C038", "2026-09", "2026-10-02", "credited"),
        ("C038", "2026-09", "2026-10-20", "already_credited"),
    ]
    (note,) = read(out, "2026-10", "credit_notes.csv")
    # C038, September (43,200 min): 08:00-09:30 and 09:00-10:00 -> 120 min, minus 15 min of an
    # excusable incident; 120 min of an incident crossing into October; 15 + 20 min of platform
    # incidents: 260 min -> 99.3981 % -> 10 %
    assert (
        note["credit_note_number"],
        note["customer_id"],
        note["credit_note_date"],
        note["service_month"],
        note["downtime_minutes"],
        note["availability_pct"],
        note["credit_pct"],
    ) == (
        "AV2026-000001",
        "C038",
        "2026-11-01",
        "2026-09",
        "260.0000",
        "99.3981",
        "10",
    )
    invoice = next(i for i in read(out, "2026-09", "invoices.csv") if i["customer_id"] == "C038")
    telephony = sum(
        (
            Decimal(ln["amount_ht"])
            for ln in read(out, "2026-09", "invoice_lines.csv")
            if ln["invoice_number"] == invoice["invoice_number"] and ln["kind"] == "subscription"
        ),
        Decimal(0),
    )
    assert (note["original_invoice_number"], note["original_invoice_date"], note["vat_rate"]) == (
        invoice["invoice_number"],
        invoice["invoice_date"],
        invoice["vat_rate"],
    )
    assert Decimal(note["telephony_charges_ht"]) == telephony
    ht = (telephony / 10).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    vat = (ht * Decimal(invoice["vat_rate"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert (
        Decimal(note["amount_ht"]),
        Decimal(note["amount_vat"]),
        Decimal(note["amount_ttc"]),
    ) == (
        ht,
        vat,
        ht + vat,
    )
