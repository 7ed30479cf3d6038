"""R50-R51 on the pure core of pipeline/billing/sla.py: exact, hand-computed values.

October 2026 has 44,700 minutes = 2,682,000 s (DST ends); March 2026 44,580 min (DST starts);
September and November 2026 43,200 min.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal
from fractions import Fraction

from pipeline.billing.ledger_snapshot import LedgerSnapshot
from pipeline.billing.sla import availability, credit_amounts, credit_tier, report_pct
from pipeline.core.dates import Month
from pipeline.inputs.reference import parse_timestamp

OCT = Month(2026, 10)
OCT_SECONDS = 44_700 * 60


def inc(
    incident_id: str, start: str, end: str, excusable: bool = False, customer: str | None = "C1"
):
    """An incident row as pipeline.inputs.reference parses it."""
    return {
        "incident_id": incident_id,
        "start_time": parse_timestamp(start),
        "end_time": parse_timestamp(end),
        "excusable": excusable,
        "customer_id": customer,
        "cause": None,
    }


def credit(pct: str, charges_ht: str, vat_rate: str) -> tuple[Decimal, Decimal, Decimal]:
    """credit_amounts of these decimals: (HT, VAT, TTC)."""
    return credit_amounts(Decimal(pct), Decimal(charges_ht), Decimal(vat_rate))


def decimals(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def seconds_down(av) -> Fraction:
    return Fraction(av.downtime_us, 1_000_000)


def test_r50_worked_example_of_the_rules():
    incidents = [
        inc("I1", "2026-10-05T10:00:00+02:00", "2026-10-05T10:40:00+02:00"),  # 40 min
        inc(
            "I2", "2026-10-06T10:00:00+02:00", "2026-10-06T10:30:00+02:00", excusable=True
        ),  # elsewhere
        inc(
            "P1", "2026-10-05T10:30:00+02:00", "2026-10-05T11:20:00+02:00", customer=None
        ),  # 50 min
    ]
    av = availability(incidents, "C1", OCT)
    assert av.minutes_in_month == 44_700
    assert av.downtime_minutes == 80  # 40 + 50 - 10 of overlap
    assert av.pct == Fraction(44_620 * 100, 44_700)
    assert report_pct(av.pct) == Decimal("99.8210")
    assert av.incident_ids == ("I1", "P1")
    assert av.excusable_ids == ("I2",)
    assert credit_tier(av.pct) == Decimal("5")
    assert credit("5", "85.00", "0.20") == decimals("4.25", "0.85", "5.10")


def test_r50_month_length_is_real_elapsed_time_dst():
    assert availability([], "C1", Month(2026, 10)).minutes_in_month == 44_700
    assert availability([], "C1", Month(2026, 3)).minutes_in_month == 44_580
    assert availability([], "C1", Month(2026, 9)).minutes_in_month == 43_200
    assert availability([], "C1", OCT).pct == 100


def test_r50_dst_march_incident_across_the_spring_gap():
    # Paris local times without offset: 01:30 CET (00:30Z) to 03:30 CEST (01:30Z) = 60 real minutes
    incidents = [inc("M1", "2026-03-29T01:30:00", "2026-03-29T03:30:00")]
    av = availability(incidents, "C1", Month(2026, 3))
    assert av.downtime_minutes == 60
    assert av.pct == Fraction(44_520 * 100, 44_580)
    assert report_pct(av.pct) == Decimal("99.8654")
    assert credit_tier(av.pct) == 0


def test_r50_dst_october_incident_across_the_autumn_hour():
    # 01:30 CEST (23:30Z) to 02:30 CET (01:30Z): one hour on the clock, 120 real minutes
    incidents = [inc("O1", "2026-10-25T01:30:00+02:00", "2026-10-25T02:30:00+01:00")]
    av = availability(incidents, "C1", OCT)
    assert av.downtime_minutes == 120
    assert report_pct(av.pct) == Decimal("99.7315")  # 44,580 / 44,700
    assert credit_tier(av.pct) == Decimal("5")


def test_r50_incident_crossing_the_month_start():
    # 23:00 on 30 September to 01:00 on 1 October, Paris: 60 min in each month
    incidents = [inc("X1", "2026-09-30T21:00:00Z", "2026-09-30T23:00:00Z")]
    sep = availability(incidents, "C1", Month(2026, 9))
    octo = availability(incidents, "C1", OCT)
    assert sep.downtime_minutes == 60
    assert report_pct(sep.pct) == Decimal("99.8611")  # 43,140 / 43,200
    assert octo.downtime_minutes == 60
    assert report_pct(octo.pct) == Decimal("99.8658")  # 44,640 / 44,700
    assert octo.incident_ids == ("X1",)


def test_r50_incident_crossing_the_month_end():
    # 23:30 on 31 October (CET) to 00:45 on 1 November: 30 min in October, 45 in November
    incidents = [inc("X2", "2026-10-31T23:30:00+01:00", "2026-11-01T00:45:00+01:00")]
    assert availability(incidents, "C1", OCT).downtime_minutes == 30
    nov = availability(incidents, "C1", Month(2026, 11))
    assert nov.downtime_minutes == 45
    assert report_pct(nov.pct) == Decimal("99.8958")  # 43,155 / 43,200 = 99.895833...
    assert availability(incidents, "C1", Month(2026, 12)).downtime_minutes == 0


def test_r50_excusable_incident_inside_a_non_excusable_one():
    incidents = [
        inc("N1", "2026-10-12T10:00:00Z", "2026-10-12T12:00:00Z"),  # 120 min
        inc("E1", "2026-10-12T10:30:00Z", "2026-10-12T11:00:00Z", excusable=True),  # 30 min inside
    ]
    av = availability(incidents, "C1", OCT)
    assert av.downtime_minutes == 90
    assert report_pct(av.pct) == Decimal("99.7987")  # 44,610 / 44,700 = 99.798657...
    assert credit_tier(av.pct) == Decimal("5")


def test_r50_excusable_platform_incident_covers_a_customer_incident():
    incidents = [
        inc("N1", "2026-10-12T10:00:00Z", "2026-10-12T11:00:00Z"),
        inc("E9", "2026-10-12T09:00:00Z", "2026-10-12T12:00:00Z", excusable=True, customer=None),
    ]
    av = availability(incidents, "C1", OCT)
    assert av.downtime_us == 0
    assert av.incident_ids == ()  # nothing of N1 is counted
    assert av.excusable_ids == ("E9",)


def test_r50_two_overlapping_platform_incidents_count_once():
    incidents = [
        inc("P1", "2026-10-20T10:00:00Z", "2026-10-20T11:00:00Z", customer=None),
        inc("P2", "2026-10-20T10:30:00Z", "2026-10-20T12:00:00Z", customer=None),
        inc("Z1", "2026-10-21T10:00:00Z", "2026-10-21T18:00:00Z", customer="C2"),  # not C1's
    ]
    c1 = availability(incidents, "C1", OCT)
    assert c1.downtime_minutes == 120
    assert report_pct(c1.pct) == Decimal("99.7315")  # 44,580 / 44,700 = 99.731543...
    assert c1.incident_ids == ("P1", "P2")
    c2 = availability(incidents, "C2", OCT)
    assert c2.downtime_minutes == 120 + 480
    assert report_pct(c2.pct) == Decimal("98.6577")  # 44,100 / 44,700 = 98.657718...
    assert credit_tier(c2.pct) == Decimal("10")


def _october_downtime(seconds: int):
    row = inc("B", "2026-10-10T00:00:00Z", "2026-10-10T00:00:00Z")
    row["end_time"] = row["start_time"].astimezone(UTC) + timedelta(seconds=seconds)
    av = availability([row], "C1", OCT)
    assert seconds_down(av) == seconds
    return av


def test_r51_exactly_99_85_gives_nothing():
    av = _october_downtime(4_023)  # 0.15 % of 2,682,000 s
    assert av.pct == Fraction("99.85")
    assert credit_tier(av.pct) == 0
    assert report_pct(av.pct) == Decimal("99.8500")


def test_r51_just_below_99_85_compared_unrounded():
    av = _october_downtime(4_024)  # 99.8499627... reported 99.8500, but below 99.85
    assert report_pct(av.pct) == Decimal("99.8500")
    assert credit_tier(av.pct) == Decimal("5")


def test_r51_exactly_99_5_is_still_5_percent():
    av = _october_downtime(13_410)  # 0.5 % of 2,682,000 s
    assert av.pct == Fraction("99.5")
    assert credit_tier(av.pct) == Decimal("5")
    assert credit_tier(_october_downtime(13_411).pct) == Decimal("10")


def test_r51_exactly_97_is_still_10_percent():
    av = _october_downtime(80_460)  # 3 % of 2,682,000 s
    assert av.pct == Fraction(97)
    assert credit_tier(av.pct) == Decimal("10")
    assert credit_tier(_october_downtime(80_461).pct) == Decimal("20")


def test_r51_whole_month_down_is_20_percent():
    incidents = [inc("W", "2026-09-15T00:00:00Z", "2026-11-15T00:00:00Z")]
    av = availability(incidents, "C1", OCT)
    assert av.pct == 0
    assert credit_tier(av.pct) == Decimal("20")


def test_r51_credit_rounding_and_cap():
    # 5 % of 33.33 = 1.6665 -> 1.67; VAT 0.334 -> 0.33; TTC 2.00
    assert credit("5", "33.33", "0.20") == decimals("1.67", "0.33", "2.00")
    # 10 % of 25.05 = 2.505 -> 2.51 (half away from zero); VAT 0.502 -> 0.50
    assert credit("10", "25.05", "0.20") == decimals("2.51", "0.50", "3.01")
    # reverse charge or outside the EU: rate 0
    assert credit("20", "40.00", "0") == decimals("8.00", "0.00", "8.00")
    # never more than 20 % of the charges
    assert credit("30", "100.00", "0.20") == decimals("20.00", "4.00", "24.00")


def test_r51_availability_reported_half_away_from_zero():
    assert report_pct(Fraction("99.82105")) == Decimal("99.8211")
    assert report_pct(Fraction("99.821049999")) == Decimal("99.8210")
    assert report_pct(Fraction(100)) == Decimal("100.0000")


class _Table:
    def __init__(self, rows):
        self.rows = rows


class _Invoice:
    def __init__(self, customer_id, kinds):
        self.customer_id = customer_id
        self.lines = [{"kind": k, "amount_ht": Decimal("10.00")} for k in kinds]


def test_r50_platform_incident_rows_for_customers_with_telephony_charges(tmp_path):
    from pipeline.billing.sla import credit_notes_for_run

    ref = {
        "ref_incidents": _Table(
            [
                inc("P1", "2026-10-20T10:00:00Z", "2026-10-20T11:00:00Z", customer=None),
                inc(
                    "Q1",
                    "2026-10-21T10:00:00Z",
                    "2026-10-21T10:30:00Z",
                    excusable=True,
                    customer="C4",
                ),
            ]
        ),
        "ref_sla_claims": _Table([]),
        "ref_customers": _Table(
            [{"customer_id": c, "sla_eligible": c != "C2"} for c in ("C1", "C2", "C3", "C4")]
        ),
    }
    invoices = [_Invoice("C1", ["subscription", "usage"]), _Invoice("C3", ["rental", "usage"])]
    notes, rows = credit_notes_for_run(ref, OCT, LedgerSnapshot(), invoices)
    assert notes == []
    # C1: telephony charges, touched by P1 (60 min); C3: no plan or option line, left out;
    # C4: its own (excusable) incident, and P1 as everyone
    assert [
        (
            r["customer_id"],
            r["downtime_minutes"],
            r["availability_pct"],
            r["credit_pct"],
            r["incident_ids"],
            r["excusable_incident_ids"],
            r["claim_status"],
        )
        for r in rows
    ] == [
        ("C1", Decimal("60.0000"), Decimal("99.8658"), Decimal("0"), "P1", "", ""),
        ("C4", Decimal("60.0000"), Decimal("99.8658"), Decimal("0"), "P1", "Q1", ""),
    ]
