"""R50-R52 through `billing bill`: credit notes on request, sla.csv, numbering, claim statuses.

Base data (tests/conftest.py): C1 FR, SLA-eligible, plan S1 25.00/month ordered 2026-03-10
(billed from 2026-04); C2 BE, not eligible, no subscription.
"""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import pick
from tests.scenarios import fields, table


def test_r52_claim_received_in_november_for_october_worked_example(ws):
    # C1: 25.00 + 30.00 + 30.00 = 85.00 of telephony recurring charges, plus a rental (not counted)
    ws.add_rows(
        "subscriptions.csv",
        [
            ["S2", "C1", "OPT_IVR", "30.00", "2026-03-10", "0", "", "", ""],
            ["S3", "C1", "OPT_IVR", "30.00", "2026-03-10", "0", "", "", ""],
            ["S4", "C3", "PLAN_METERED", "40.00", "2026-03-10", "0", "sip-3", "", ""],
        ],
    )
    ws.add_rows(
        "rentals.csv", [["R1", "C1", "PHONE_B", "5.00", "2026-03-01", "0", "SN1", "", "", ""]]
    )
    ws.add_rows("customers.csv", [["C3", "Gamma AG", "CH", "false", "true", "", "", "Zurich"]])
    ws.add_rows("sip_accounts.csv", [["sip-3", "C3"]])
    ws.add_rows(
        "incidents.csv",
        table("""
            I1,2026-10-05T10:00:00+02:00,2026-10-05T10:40:00+02:00,false,C1,trunk
            I2,2026-10-06T10:00:00+02:00,2026-10-06T10:30:00+02:00,true,C1,maintenance
            P1,2026-10-05T10:30:00+02:00,2026-10-05T11:20:00+02:00,false,,core
            J1,2026-10-07T08:00:00Z,2026-10-07T12:00:00Z,false,C3,router
        """),
    )
    ws.add_rows(
        "sla_claims.csv", [["C3", "2026-10", "2026-11-02"], ["C1", "2026-10", "2026-11-05"]]
    )
    ws.bill_months("2026-10")

    invoices = {r["customer_id"]: r for r in ws.read_csv("2026-10", "invoices.csv")}
    assert invoices["C1"]["invoice_number"] == "F2026-000001"
    assert invoices["C1"]["total_ht"] == "90.00"  # 85.00 telephony + 5.00 rental
    assert invoices["C3"]["invoice_number"] == "F2026-000002"
    assert ws.read_csv("2026-10", "credit_notes.csv") == []  # claims are issued in November's run
    sla_oct = ws.read_csv("2026-10", "sla.csv")
    # the platform incident touches both customers with telephony charges; C2 has none
    columns = "customer_id service_month minutes_in_month downtime_minutes availability_pct"
    assert pick(sla_oct, columns, "credit_pct claim_status") == [
        ("C1", "2026-10", "44700", "80.0000", "99.8210", "5", ""),
        ("C3", "2026-10", "44700", "290.0000", "99.3512", "10", ""),  # 44,410 / 44,700
    ]

    ws.bill_months("2026-11")
    notes = ws.read_csv("2026-11", "credit_notes.csv")
    assert len(notes) == 2
    c1, c3 = notes
    expected = {
        "credit_note_number": "AV2026-000001",
        "customer_id": "C1",
        "credit_note_date": "2026-12-01",
        "original_invoice_number": "F2026-000001",
        "original_invoice_date": "2026-11-01",
        "service_month": "2026-10",
        "availability_pct": "99.8210",
        "credit_pct": "5",
        "amount_ht": "4.25",
        "amount_vat": "0.85",
        "amount_ttc": "5.10",
        "vat_rate": invoices["C1"]["vat_rate"],
        "vat_mention": "",
        "minutes_in_month": "44700",
        "downtime_minutes": "80.0000",
        "telephony_charges_ht": "85.00",
        "incident_ids": "I1;P1",
        "excusable_incident_ids": "I2",
        "claim_received_on": "2026-11-05",
    }
    assert {k: c1[k] for k in expected} == expected
    assert Decimal(c1["vat_rate"]) == Decimal("0.20")
    outside_eu = "TVA non applicable, art. 259 B du CGI"
    # outside the EU: same VAT treatment as the original invoice (rate 0, art. 259 B mention)
    columns = "credit_note_number original_invoice_number credit_pct amount_ht amount_vat"
    assert pick([c3], columns, "amount_ttc vat_mention") == [
        ("AV2026-000002", "F2026-000002", "10", "4.00", "0.00", "4.00", outside_eu),
    ]
    assert c3["vat_mention"] == invoices["C3"]["vat_mention"]
    assert Decimal(c3["vat_rate"]) == 0
    sla_nov = ws.read_csv("2026-11", "sla.csv")
    columns = "customer_id service_month availability_pct claim_status claim_received_on"
    assert pick(sla_nov, columns, "credit_note_number") == [
        ("C1", "2026-10", "99.8210", "credited", "2026-11-05", "AV2026-000001"),
        ("C3", "2026-10", "99.3512", "credited", "2026-11-02", "AV2026-000002"),
    ]
    # R64: billing November again recomputes the same credit notes and changes nothing
    again = ws.bill("2026-11")
    assert again.exit_code == 0, again.output


def test_r52_claim_made_twice_in_one_run_and_again_in_a_later_run(ws):
    ws.add_rows(
        "incidents.csv",
        [
            ["P1", "2026-10-20T10:00:00Z", "2026-10-20T12:00:00Z", "false", "", "core"],  # 120 min
            ["P2", "2026-11-10T10:00:00Z", "2026-11-10T12:00:00Z", "false", "", "core"],  # 120 min
        ],
    )
    ws.add_rows(
        "sla_claims.csv",
        [
            ["C1", "2026-10", "2026-11-20"],
            ["C1", "2026-10", "2026-11-03"],
            ["C1", "2026-10", "2026-12-01"],
            ["C1", "2026-11", "2026-12-02"],
        ],
    )
    ws.bill_months("2026-10", "2026-11", "2026-12")

    nov_notes = ws.read_csv("2026-11", "credit_notes.csv")
    columns = "credit_note_number service_month claim_received_on availability_pct amount_ht"
    assert pick(nov_notes, columns, "amount_vat amount_ttc") == [
        ("AV2026-000001", "2026-10", "2026-11-03", "99.7315", "1.25", "0.25", "1.50"),
    ]
    sla_nov = ws.read_csv("2026-11", "sla.csv")
    columns = "service_month claim_received_on availability_pct credit_pct claim_status"
    assert pick(sla_nov, columns, "credit_note_number") == [
        ("2026-10", "2026-11-03", "99.7315", "5", "credited", "AV2026-000001"),
        ("2026-10", "2026-11-20", "99.7315", "5", "already_credited", ""),
        ("2026-11", "", "99.7222", "5", "", ""),  # P2 in November: 43,080 / 43,200
    ]

    # December's documents are dated 2027-01-01: the 2027 series opens (R60)
    dec_notes = ws.read_csv("2026-12", "credit_notes.csv")
    columns = "credit_note_number credit_note_date service_month original_invoice_number"
    assert pick(dec_notes, columns, "original_invoice_date amount_ttc") == [
        ("AV2027-000001", "2027-01-01", "2026-11", "F2026-000002", "2026-12-01", "1.50"),
    ]
    sla_dec = ws.read_csv("2026-12", "sla.csv")
    assert [(r["service_month"], r["claim_status"], r["claim_detail"]) for r in sla_dec] == [
        ("2026-10", "already_credited", "already credited by AV2026-000001"),
        ("2026-11", "credited", ""),
    ]


def test_r52_claims_without_credit_are_reported_with_their_reason(ws):
    # March 2026 (DST, 44,580 min): C1 is not invoiced yet (ordered 2026-03-10, billed from April)
    ws.add_rows(
        "incidents.csv",
        [fields("M1,2026-03-29T01:30:00,2026-03-29T03:30:00,false,C1,power")],  # 60 real min
    )
    ws.add_rows(
        "sla_claims.csv",
        [
            ["C1", "2026-03", "2026-04-02"],  # month issued, but no invoice for C1
            ["C1", "2026-02", "2026-04-03"],  # month never issued
            ["C2", "2026-03", "2026-04-04"],  # not SLA-eligible
            ["C1", "2026-04", "2026-04-15"],  # not a month before the claim
            ["C1", "2026-04", "2026-05-10"],  # April invoiced, no incident: tier 0
        ],
    )
    ws.bill_months("2026-03")
    columns = "customer_id service_month minutes_in_month downtime_minutes availability_pct"
    assert pick(ws.read_csv("2026-03", "sla.csv"), columns, "credit_pct claim_status") == [
        ("C1", "2026-03", "44580", "60.0000", "99.8654", "0", ""),
    ]

    ws.bill_months("2026-04")
    assert ws.read_csv("2026-04", "credit_notes.csv") == []
    columns = "customer_id service_month claim_received_on claim_status sla_eligible"
    assert pick(ws.read_csv("2026-04", "sla.csv"), columns) == [
        ("C1", "2026-02", "2026-04-03", "no_invoice", "true"),
        ("C1", "2026-03", "2026-04-02", "no_invoice", "true"),
        ("C1", "2026-04", "2026-04-15", "service_month_not_before_claim", "true"),
        ("C2", "2026-03", "2026-04-04", "not_eligible", "false"),
    ]

    ws.bill_months("2026-05")
    assert ws.read_csv("2026-05", "credit_notes.csv") == []
    sla_may = ws.read_csv("2026-05", "sla.csv")
    columns = "service_month minutes_in_month availability_pct credit_pct claim_status"
    assert pick(sla_may, columns, "telephony_charges_ht original_invoice_number") == [
        ("2026-04", "43200", "100.0000", "0", "tier_0", "25.00", "F2026-000001"),
    ]
