"""Issue 3: usage rating, one test per rule of rules.md R10-R25 and R63, with values computed
by hand on the boundaries. The fixture rate book is in tests/conftest.py (RATES):
FR_FIXED 0.0200/min min 60 inc 1 (in plan), FR_PREMIUM 0.3400 + 0.1200 min 60 inc 60,
INTL_GB_FIXED 0.0500 min 30 inc 30, INTL_GB_MOBILE 0.1500 then 0.1800 from 2026-10-01,
INTL_BE_FIXED 0.0400 (on the order form of S1). sip-1 (C1) holds PLAN_UNLIMITED since
2026-03-10; sip-2 (C2) has no plan; D1 is a provider device of C1, D9 a third-party one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import Workspace, rate, rated_by_id, rows

OCT = "2026-10"


def cdr(cdr_id, account, callee, start, duration, device="D1", direction="out"):
    return [cdr_id, account, direction, "0145000000", callee, start, str(duration), device]


def at(minute: int, day: int = 3) -> str:
    """A start time in October 2026, `minute` minutes after 09:00 Paris."""
    return f"2026-10-{day:02d}T{9 + minute // 60:02d}:{minute % 60:02d}:00+02:00"


# --- R10 what is rated -------------------------------------------------------------------


def test_r10_only_answered_out_and_fwd_calls_are_charged(ws):
    ws.cdrs(
        OCT,
        [
            cdr("in1", "sip-2", "0145678910", at(0), 61, "", direction="in"),
            cdr("out0", "sip-2", "0145678910", at(1), 0),
            cdr("out1", "sip-2", "0145678910", at(2), 61),
            cdr("fwd1", "sip-2", "0145678910", at(3), 61, "", direction="fwd"),
            # an incoming call is never rejected for its number
            cdr("in2", "sip-2", "anonymous", at(4), 30, "", direction="in"),
        ],
    )
    calls = rated_by_id(ws, OCT)
    assert calls["in1"]["reason"] == "NOT_CHARGEABLE"
    assert calls["in1"]["amount"] == Decimal("0.0000")
    assert calls["in1"]["billable_seconds"] == 0
    assert calls["out0"]["reason"] == "NOT_CHARGEABLE"
    assert calls["out1"]["reason"] == "NO_PLAN"
    assert calls["out1"]["amount"] == Decimal("0.0203")
    assert calls["fwd1"]["reason"] == "NO_PLAN"
    assert calls["fwd1"]["amount"] == Decimal("0.0203")
    assert calls["in2"]["reason"] == "NOT_CHARGEABLE"
    assert calls["in2"]["callee_e164"] is None
    assert calls["in2"]["zone"] is None


# --- R11 number normalisation ------------------------------------------------------------

R11_CASES = [
    ("+44 7911 123456", "447911123456"),
    ("0044 7911 123456", "447911123456"),
    ("01.45.67.89.10", "33145678910"),
    ("(01) 45-67-89-10", "33145678910"),
    ("0033 1 45 67 89 10", "33145678910"),
    ("33145678910", "33145678910"),
    ("447911123456789", "447911123456789"),  # 15 digits: the E.164 maximum
    ("112", "S112"),
    ("15", "S15"),
    ("3949", "S3949"),
    ("118712", "S118712"),
    ("1187123", None),  # 7 digits, neither short nor E.164
    ("3314567891", None),  # 10 digits without 0: not E.164 (11-15)
    ("4479111234567890", None),  # 16 digits
    ("+4479111234567890", None),  # 16 digits after +
    ("0145", None),  # a short number never starts with 0
    ("014567891", None),  # 9 digits national
    ("1", None),  # 1 digit
    ("abc", None),
    ("01 45 67 89 1O", None),  # a letter O
    ("", None),
]


def test_r11_number_normalisation(ws):
    ws.cdrs(
        OCT,
        [cdr(f"n{i:02d}", "sip-2", callee, at(i), 61) for i, (callee, _) in enumerate(R11_CASES)],
    )
    con = rate(ws, OCT)
    got = {r["cdr_id"]: r["callee_e164"] for r in rows(con, "select * from rat_calls")}
    assert got == {f"n{i:02d}": e164 for i, (_, e164) in enumerate(R11_CASES)}
    rejected = {r["cdr_id"]: r["reason"] for r in rows(con, "select * from rejects")}
    for i, (_, e164) in enumerate(R11_CASES):
        if e164 is None:
            assert rejected[f"n{i:02d}"] == "INVALID_NUMBER"


# --- R12 destination ---------------------------------------------------------------------


def test_r12_longest_prefix_wins_and_no_prefix_is_no_tariff(ws):
    ws.cdrs(
        OCT,
        [
            cdr("gbm", "sip-2", "+447911123456", at(0), 60),  # 447 beats 44
            cdr("gbf", "sip-2", "+442079460000", at(1), 60),  # 44
            cdr("prem", "sip-2", "0899123456", at(2), 60),  # 3389, no 338
            cdr("none", "sip-2", "0812345678", at(3), 60),  # 3381: no prefix
            cdr("intl", "sip-2", "+4912345678901", at(4), 60),  # Germany: not in the book
            cdr("sos", "sip-2", "112", at(5), 60),  # S112
            cdr("short", "sip-2", "3949", at(6), 60),  # S3949: not in the book
        ],
    )
    con = rate(ws, OCT)
    calls = {r["cdr_id"]: r for r in rows(con, "select * from rated_calls")}
    assert (calls["gbm"]["prefix"], calls["gbm"]["zone"]) == ("447", "INTL_GB_MOBILE")
    assert (calls["gbf"]["prefix"], calls["gbf"]["zone"]) == ("44", "INTL_GB_FIXED")
    assert (calls["prem"]["prefix"], calls["prem"]["zone"]) == ("3389", "FR_PREMIUM")
    assert (calls["sos"]["prefix"], calls["sos"]["zone"]) == ("S112", "FR_EMERGENCY")
    rejects = {r["cdr_id"]: r for r in rows(con, "select * from rejects")}
    assert set(rejects) == {"none", "intl", "short"}
    assert {r["reason"] for r in rejects.values()} == {"NO_TARIFF"}
    assert "33812345678" in rejects["none"]["detail"]


# --- R13 tariff versions by Paris call date ---------------------------------------------


def test_r13_tariff_changes_at_midnight_paris(ws):
    # INTL_GB_MOBILE: 0.1500 until 2026-09-30, 0.1800 from 2026-10-01 (Paris dates)
    ws.cdrs("2026-09", [cdr("sep", "sip-2", "+447911123456", "2026-09-30T23:59:59+02:00", 60)])
    ws.cdrs(
        OCT,
        [
            cdr("oct", "sip-2", "+447911123456", "2026-10-01T00:00:00+02:00", 60),
            # 22:30 UTC on 30 September is already 00:30 on 1 October in Paris
            cdr("utc", "sip-2", "+447911123456", "2026-09-30T22:30:00Z", 60),
            # no offset: Paris local time
            cdr("local", "sip-2", "+447911123456", "2026-10-01T00:00:00", 60),
        ],
    )
    sep = rated_by_id(ws, "2026-09")
    assert sep["sep"]["tariff_valid_from"].isoformat() == "2025-01-01"
    assert sep["sep"]["amount"] == Decimal("0.1500")
    octo = rated_by_id(ws, OCT)
    for cdr_id in ("oct", "utc", "local"):
        assert octo[cdr_id]["tariff_valid_from"].isoformat() == "2026-10-01"
        assert octo[cdr_id]["amount"] == Decimal("0.1800")


def test_r13_zone_without_a_tariff_on_the_call_date_is_no_tariff(ws):
    ws.add_zone("49", "INTL_DE", "Allemagne", "2026-10-02", "0.0500", "0", "60", "1", "false")
    ws.cdrs(
        OCT,
        [
            cdr("before", "sip-2", "+4930123456", "2026-10-01T23:59:59+02:00", 60),
            cdr("after", "sip-2", "+4930123456", "2026-10-02T00:00:00+02:00", 60),
        ],
    )
    con = rate(ws, OCT)
    assert [r["cdr_id"] for r in rows(con, "select * from rated_calls")] == ["after"]
    reject = rows(con, "select * from rejects")
    assert [(r["cdr_id"], r["reason"]) for r in reject] == [("before", "NO_TARIFF")]
    assert "2026-10-01" in reject[0]["detail"]


# --- R14 amount ---------------------------------------------------------------------------


R14_CASES = [
    # min 60 / increment 1: FR_FIXED 0.0200
    ("0145678910", 59, 60, "0.0200"),
    ("0145678910", 60, 60, "0.0200"),
    ("0145678910", 61, 61, "0.0203"),  # 0.0200 * 61 / 60 = 0.020333
    ("0145678910", 30, 60, "0.0200"),  # R14's own example
    # min 60 / increment 60: FR_PREMIUM 0.3400 + fee 0.1200
    ("0899123456", 59, 60, "0.4600"),
    ("0899123456", 60, 60, "0.4600"),
    ("0899123456", 61, 120, "0.8000"),  # R14's own example: 0.1200 + 0.6800
    # min 30 / increment 30: INTL_GB_FIXED 0.0500
    ("+442079460000", 29, 30, "0.0250"),
    ("+442079460000", 59, 60, "0.0500"),
    ("+442079460000", 60, 60, "0.0500"),
    ("+442079460000", 61, 90, "0.0750"),
    # not answered: nothing rated
    ("0145678910", 0, 0, "0.0000"),
]


@pytest.fixture(scope="module")
def r14_calls(tmp_path_factory) -> dict[str, dict]:
    """Every R14 case as a call of sip-2 (no plan: nothing but R14 decides its amount), ten
    minutes apart, rated together once: cdr_id "callee/duration"."""
    ws = Workspace(tmp_path_factory.mktemp("r14"))
    calls = [
        cdr(f"{callee}/{duration}", "sip-2", callee, at(10 * i), duration)
        for i, (callee, duration, _, _) in enumerate(R14_CASES)
    ]
    ws.cdrs(OCT, calls)
    return rated_by_id(ws, OCT)


@pytest.mark.parametrize(("callee", "duration", "billable", "amount"), R14_CASES)
def test_r14_amount_minimum_increment_fee(r14_calls, callee, duration, billable, amount):
    call = r14_calls[f"{callee}/{duration}"]
    assert call["billable_seconds"] == billable
    assert call["amount"] == Decimal(amount)


def test_r14_amount_rounds_half_away_from_zero_to_4_decimals(ws):
    ws.add_zone("99", "TEST_TINY", "test", "2025-01-01", "0.0001", "0.0000", "1", "1", "false")
    ws.cdrs(
        OCT,
        [
            cdr("half", "sip-2", "+99123456789", at(0), 30),  # 0.0001 * 30 / 60 = 0.00005 -> 0.0001
            cdr("below", "sip-2", "+99123456789", at(1), 29),  # 0.0000483 -> 0.0000
            cdr("above", "sip-2", "+99123456789", at(2), 90),  # 0.00015 -> 0.0002
        ],
    )
    calls = rated_by_id(ws, OCT)
    assert calls["half"]["amount"] == Decimal("0.0001")
    assert calls["below"]["amount"] == Decimal("0.0000")
    assert calls["above"]["amount"] == Decimal("0.0002")


# --- R15 unlimited plan -------------------------------------------------------------------


def _plan_customer(
    ws, order_date="2026-03-10", notice_date="", zones="", *, customer="C3", **identity
):
    """A French customer (C3 Gamma SAS in Lyon, or the `identity` given: name, pro, city) with
    an unlimited plan on its own SIP account (sip-3 for C3) and its own device (D3 for C3)."""
    n = customer[1:]
    name, pro, city = ({"name": "Gamma SAS", "pro": "false", "city": "Lyon"} | identity).values()
    ws.add_rows("customers.csv", [[customer, name, "FR", pro, "false", "", "", city]])
    ws.add_rows("sip_accounts.csv", [[f"sip-{n}", customer]])
    subscription = [f"S{n}", customer, "PLAN_UNLIMITED", "25.00", order_date, "0", f"sip-{n}"]
    ws.add_rows("subscriptions.csv", [[*subscription, zones, notice_date]])
    ws.add_rows("devices.csv", [[f"D{n}", customer, "true", f"sip-{n}", "desk"]])


def test_r15_plan_covers_national_zones_and_order_form_zones(ws):
    ws.cdrs(
        OCT,
        [
            cdr("fixed", "sip-1", "0145678910", at(0), 600),
            cdr("mobile", "sip-1", "0612345678", at(20), 600),
            cdr("be", "sip-1", "+3221234567", at(40), 600),  # INTL_BE_FIXED on S1's order form
            cdr("gb", "sip-1", "+442079460000", at(60), 61),  # not on it
            cdr("prem", "sip-1", "0899123456", at(80), 61),  # not a plan zone
        ],
    )
    calls = rated_by_id(ws, OCT)
    for cdr_id in ("fixed", "mobile", "be"):
        assert calls[cdr_id]["reason"] == "INCLUDED"
        assert calls[cdr_id]["amount"] == Decimal("0.0000")
        assert calls[cdr_id]["rated_seconds"] == 0
    assert calls["gb"]["reason"] == "OUT_OF_PLAN"
    assert calls["gb"]["amount"] == Decimal("0.0750")
    assert calls["prem"]["reason"] == "OUT_OF_PLAN"
    assert calls["prem"]["amount"] == Decimal("0.8000")


def test_r15_coverage_from_order_date_to_end_date_included(ws):
    # order 2026-03-10; notice 2026-09-15 -> service ends 2026-10-15 (R31), a covered day
    _plan_customer(ws, notice_date="2026-09-15")
    ws.cdrs(
        "2026-03",
        [
            cdr("before", "sip-3", "0145678910", "2026-03-09T23:59:59+01:00", 60, "D3"),
            cdr("first", "sip-3", "0145678910", "2026-03-10T00:00:00+01:00", 60, "D3"),
        ],
    )
    ws.cdrs(
        OCT,
        [
            cdr("last", "sip-3", "0145678910", "2026-10-15T23:59:59+02:00", 60, "D3"),
            cdr("after", "sip-3", "0145678910", "2026-10-16T00:00:00+02:00", 60, "D3"),
        ],
    )
    march = rated_by_id(ws, "2026-03")
    assert march["before"]["reason"] == "NO_PLAN"
    assert march["before"]["amount"] == Decimal("0.0200")
    assert march["first"]["reason"] == "INCLUDED"
    octo = rated_by_id(ws, OCT)
    assert octo["last"]["reason"] == "INCLUDED"
    assert octo["after"]["reason"] == "NO_PLAN"
    assert octo["after"]["amount"] == Decimal("0.0200")


def test_r15_order_form_zones_of_another_account_do_not_apply(ws):
    # sip-3's plan has no international zone: INTL_BE_FIXED of sip-1's order form is not its own
    _plan_customer(ws)
    ws.cdrs(OCT, [cdr("be", "sip-3", "+3221234567", at(0), 60, "D3")])
    assert rated_by_id(ws, OCT)["be"]["reason"] == "OUT_OF_PLAN"


# --- R16 one reason, first that applies ---------------------------------------------------


def test_r16_reason_order(ws):
    # C4, a call centre: a telecom professional with a plan on sip-4 and its device D4
    _plan_customer(ws, "2026-01-05", customer="C4", name="Call Center SA", pro="true", city="Lille")
    ws.cdrs(
        OCT,
        [
            # FREE beats TELECOM_PROFESSIONAL and THIRD_PARTY_DEVICE
            cdr("free", "sip-4", "112", at(0), 60, "D9"),
            cdr("freephone", "sip-1", "0800123456", at(2), 60, "D9"),
            # TELECOM_PROFESSIONAL: a plan never applies
            cdr("pro", "sip-4", "0145678910", at(4), 60, "D4"),
            # NO_PLAN beats THIRD_PARTY_DEVICE
            cdr("noplan", "sip-2", "0145678910", at(6), 60, "D9"),
            # THIRD_PARTY_DEVICE beats OUT_OF_PLAN (and D1 of C1 is third-party for C2)
            cdr("third", "sip-1", "0899123456", at(8), 61, "D9"),
            cdr("outplan", "sip-1", "0899123456", at(10), 61, "D1"),
            cdr("included", "sip-1", "0145678910", at(12), 61, "D1"),
            cdr("nodevice", "sip-1", "0145678910", at(14), 61, ""),
        ],
    )
    calls = rated_by_id(ws, OCT)
    expected = {
        "free": ("FREE", "0.0000"),
        "freephone": ("FREE", "0.0000"),
        "pro": ("TELECOM_PROFESSIONAL", "0.0200"),
        "noplan": ("NO_PLAN", "0.0200"),
        "third": ("THIRD_PARTY_DEVICE", "0.8000"),
        "outplan": ("OUT_OF_PLAN", "0.8000"),
        "included": ("INCLUDED", "0.0000"),
        "nodevice": ("INCLUDED", "0.0000"),
    }
    assert {k: (v["reason"], str(v["amount"])) for k, v in calls.items()} == expected


def test_r16_fair_use_beats_third_party_device_and_out_of_plan(ws):
    # four calls at once on sip-1 (R22), one from a third-party device, one out of plan
    ws.cdrs(
        OCT,
        [
            cdr("a", "sip-1", "0145678910", at(0), 120, "D9"),
            cdr("b", "sip-1", "0899123456", at(0), 120),
            cdr("c", "sip-1", "0145678911", at(0), 120),
            cdr("d", "sip-1", "0145678912", at(1), 30, "", direction="in"),
        ],
    )
    calls = rated_by_id(ws, OCT)
    assert calls["a"]["reason"] == "FAIR_USE_CONCURRENT_CALLS"
    assert calls["a"]["amount"] == Decimal("0.0400")
    assert calls["b"]["reason"] == "FAIR_USE_CONCURRENT_CALLS"
    assert calls["c"]["reason"] == "FAIR_USE_CONCURRENT_CALLS"
    assert calls["d"]["reason"] == "NOT_CHARGEABLE"


# --- R20 distinct numbers -----------------------------------------------------------------


def _distinct_calls(n: int) -> list[list[str]]:
    # n different fixed numbers, one minute each, an hour apart in minutes (no concurrency)
    return [
        cdr(
            f"d{i:03d}",
            "sip-1",
            f"01 45 00 {i // 100:02d} {i % 100:02d}",
            f"2026-10-{1 + i // 20:02d}T{8 + (i % 20) // 2:02d}:{(i % 2) * 30:02d}:00+02:00",
            60,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("numbers", "reason"), [(150, "INCLUDED"), (151, "FAIR_USE_DISTINCT_NUMBERS")]
)
def test_r20_distinct_numbers_150_vs_151(ws, numbers, reason):
    calls = _distinct_calls(numbers)
    # the same number in another format and an incoming call from a new number do not count
    calls.append(cdr("same", "sip-1", "+33145000000", "2026-10-30T10:00:00+01:00", 60))
    calls.append(
        cdr("in", "sip-1", "0699999999", "2026-10-30T11:00:00+01:00", 60, "", direction="in")
    )
    ws.cdrs(OCT, calls)
    con = rate(ws, OCT)
    reasons = {r["reason"] for r in rows(con, "select * from rated_calls where direction = 'out'")}
    assert reasons == {reason}
    figures = rows(con, "select * from rat_fair_use where sip_account = 'sip-1'")[0]
    assert figures["distinct_numbers"] == numbers
    if reason != "INCLUDED":
        # every out call of the month is charged: (numbers + 1) calls of 60 s at 0.0200
        total = rows(con, "select sum(amount) as s from rated_calls where direction = 'out'")[0][
            "s"
        ]
        assert total == Decimal("0.0200") * (numbers + 1)


# --- R21 forwarding allowance -------------------------------------------------------------


def _fwd(cdr_id, start_minute, duration, callee="0145678910"):
    # on the 25th, away from the calls of the other tests
    return cdr(cdr_id, "sip-1", callee, at(start_minute, day=25), duration, "", direction="fwd")


def test_r21_rules_example_3000_3000_2000(ws):
    ws.cdrs(OCT, [_fwd("f1", 0, 3000), _fwd("f2", 60, 3000), _fwd("f3", 120, 2000)])
    calls = rated_by_id(ws, OCT)
    assert calls["f1"]["reason"] == calls["f2"]["reason"] == "INCLUDED"
    f3 = calls["f3"]
    assert f3["reason"] == "FORWARDING_OVER_FAIR_USE"
    assert (f3["rated_seconds"], f3["billable_seconds"]) == (800, 800)
    assert f3["amount"] == Decimal("0.2667")  # 0.0200 * 800 / 60 = 0.26666...


def test_r21_exactly_7200_then_whole_legs(ws):
    ws.cdrs(OCT, [_fwd("f1", 0, 7200), _fwd("f2", 180, 61), _fwd("f3", 240, 30)])
    calls = rated_by_id(ws, OCT)
    assert calls["f1"]["reason"] == "INCLUDED"
    assert calls["f1"]["amount"] == Decimal("0.0000")
    assert calls["f2"]["reason"] == "FORWARDING_OVER_FAIR_USE"
    assert (calls["f2"]["rated_seconds"], calls["f2"]["amount"]) == (61, Decimal("0.0203"))
    assert (calls["f3"]["rated_seconds"], calls["f3"]["billable_seconds"]) == (30, 60)


def test_r21_crossing_leg_charged_beyond_the_limit_with_the_minimum(ws):
    # 7,190 s then a 100 s leg: 90 s beyond; then 7,199 + 1 s exactly reaches the limit
    ws.cdrs(OCT, [_fwd("f1", 0, 7190), _fwd("f2", 180, 100)])
    calls = rated_by_id(ws, OCT)
    assert (calls["f2"]["reason"], calls["f2"]["rated_seconds"]) == ("FORWARDING_OVER_FAIR_USE", 90)
    assert calls["f2"]["amount"] == Decimal("0.0300")
    ws.cdrs(OCT, [_fwd("g1", 0, 7199), _fwd("g2", 180, 1), _fwd("g3", 181, 10)])
    calls = rated_by_id(ws, OCT)
    assert calls["g2"]["reason"] == "INCLUDED"
    assert (calls["g3"]["reason"], calls["g3"]["billable_seconds"]) == (
        "FORWARDING_OVER_FAIR_USE",
        60,
    )


def test_r21_order_by_start_then_cdr_id_and_other_reasons_do_not_consume(ws):
    ws.cdrs(
        OCT,
        [
            _fwd("b", 0, 4000),
            _fwd("a", 0, 4000),  # same start: a before b
            _fwd("gb", 1, 5000, callee="+442079460000"),  # OUT_OF_PLAN: consumes nothing
        ],
    )
    con = rate(ws, OCT)
    calls = {r["cdr_id"]: r for r in rows(con, "select * from rated_calls")}
    assert calls["a"]["reason"] == "INCLUDED"
    assert (calls["b"]["reason"], calls["b"]["rated_seconds"]) == ("FORWARDING_OVER_FAIR_USE", 800)
    assert calls["gb"]["reason"] == "OUT_OF_PLAN"
    report = rows(con, "select * from fair_use_report")
    assert [
        (r["sip_account"], r["forwarded_seconds"], r["forwarded_over_seconds"], r["breaches"])
        for r in report
    ] == [("sip-1", 8000, 800, "FORWARDING")]


# --- R22 concurrent calls -----------------------------------------------------------------


def _three_at_nine() -> list[list[str]]:
    """Three calls of sip-1 at 09:00 for 100 s, the third one incoming (a busy channel too)."""
    return [
        cdr("a", "sip-1", "0145678910", "2026-10-03T09:00:00+02:00", 100),
        cdr("b", "sip-1", "0145678911", "2026-10-03T09:00:00+02:00", 100),
        cdr("c", "sip-1", "0145678912", "2026-10-03T09:00:00+02:00", 100, "", direction="in"),
    ]


def test_r22_call_ending_when_another_starts_does_not_overlap(ws):
    ws.cdrs(
        OCT,
        [
            *_three_at_nine(),
            cdr("d", "sip-1", "0145678913", "2026-10-03T09:01:40+02:00", 100),  # starts at a's end
            cdr("e", "sip-1", "0145678914", "2026-10-03T09:01:40+02:00", 0),  # not answered
        ],
    )
    con = rate(ws, OCT)
    assert (
        rows(con, "select max_concurrent_calls from rat_fair_use")[0]["max_concurrent_calls"] == 3
    )
    assert {
        r["reason"]
        for r in rows(con, "select * from rated_calls where direction = 'out' and duration_s > 0")
    } == {"INCLUDED"}


def test_r22_four_calls_at_one_instant_break_fair_use(ws):
    ws.cdrs(
        OCT,
        [
            *_three_at_nine(),
            cdr("d", "sip-1", "0145678913", "2026-10-03T09:01:39+02:00", 100),  # 1 s of overlap
            cdr("later", "sip-1", "0145678914", "2026-10-20T09:00:00+02:00", 60),
        ],
    )
    con = rate(ws, OCT)
    assert (
        rows(con, "select max_concurrent_calls from rat_fair_use")[0]["max_concurrent_calls"] == 4
    )
    calls = {r["cdr_id"]: r for r in rows(con, "select * from rated_calls")}
    # the whole month of the account loses the plan
    assert calls["later"]["reason"] == "FAIR_USE_CONCURRENT_CALLS"
    assert calls["later"]["amount"] == Decimal("0.0200")
    assert rows(con, "select breaches from fair_use_report")[0]["breaches"] == "CONCURRENT_CALLS"


# --- R23 registered devices ---------------------------------------------------------------


def _reg(device, start, end, account="sip-1"):
    return [account, device, f"2026-10-05T{start}+02:00", f"2026-10-05T{end}+02:00"]


def test_r23_one_device_registered_twice_counts_once(ws):
    ws.registrations(
        OCT,
        [
            _reg("D1", "09:00:00", "10:00:00"),
            _reg("D1", "09:30:00", "10:30:00"),  # same device again, overlapping
            _reg("D2", "09:00:00", "11:00:00"),
            _reg("D3", "09:00:00", "11:00:00"),
            _reg("D4", "10:30:00", "11:00:00"),  # starts when D1's last registration ends
        ],
    )
    ws.cdrs(OCT, [cdr("a", "sip-1", "0145678910", at(0), 60)])
    con = rate(ws, OCT)
    assert (
        rows(con, "select max_registered_devices from rat_fair_use")[0]["max_registered_devices"]
        == 3
    )
    assert rated_by_id(ws, OCT)["a"]["reason"] == "INCLUDED"


def test_r23_four_devices_at_once_break_fair_use(ws):
    ws.registrations(
        OCT,
        [
            _reg("D1", "09:00:00", "10:00:00"),
            _reg("D2", "09:00:00", "11:00:00"),
            _reg("D3", "09:00:00", "11:00:00"),
            _reg("D4", "09:59:59", "11:00:00"),
            # registered before the month, still registered on its first day: clipped, counted
            ["sip-2", "X1", "2026-09-30T20:00:00+02:00", "2026-10-01T01:00:00+02:00"],
        ],
    )
    ws.cdrs(OCT, [cdr("a", "sip-1", "0145678910", at(0, day=20), 60)])
    con = rate(ws, OCT)
    figures = {r["sip_account"]: r for r in rows(con, "select * from rat_fair_use")}
    assert figures["sip-1"]["max_registered_devices"] == 4
    assert figures["sip-2"]["max_registered_devices"] == 1
    assert rows(con, "select reason from rated_calls")[0]["reason"] == "FAIR_USE_DEVICES"


# --- R24 third-party devices --------------------------------------------------------------


def test_r24_third_party_device_charged_plan_or_not(ws):
    ws.add_rows("devices.csv", [["DX", "C2", "true", "sip-2", "desk"]])
    ws.cdrs(
        OCT,
        [
            cdr("own", "sip-1", "0145678910", at(0), 61, "D1"),
            cdr("byod", "sip-1", "0145678910", at(2), 61, "D9"),  # not supplied by the provider
            cdr("other", "sip-1", "0145678910", at(4), 61, "DX"),  # supplied to another customer
            cdr("unknown", "sip-1", "0145678910", at(6), 61, "ZZ"),  # not in devices.csv
            cdr(
                "fwd", "sip-1", "0145678910", at(8), 61, "", direction="fwd"
            ),  # no device: not concerned
        ],
    )
    calls = rated_by_id(ws, OCT)
    assert calls["own"]["reason"] == "INCLUDED"
    for cdr_id in ("byod", "other", "unknown"):
        assert calls[cdr_id]["reason"] == "THIRD_PARTY_DEVICE"
        assert calls[cdr_id]["amount"] == Decimal("0.0203")
    assert calls["fwd"]["reason"] == "INCLUDED"


# --- R25 fair-use report and R63 usage lines, through a whole bill ----------------------


def test_r25_fair_use_report_lists_every_breach_with_figures(ws):
    calls = _distinct_calls(151)
    calls += [_fwd("f1", 0, 7000), _fwd("f2", 200, 300)]
    ws.cdrs(OCT, calls)
    ws.registrations(OCT, [_reg(d, "09:00:00", "10:00:00", "sip-2") for d in ("A", "B", "C", "D")])
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    report = ws.read_csv(OCT, "fair_use.csv")
    assert report == [
        {
            "sip_account": "sip-1",
            "customer_id": "C1",
            "distinct_numbers": "151",
            "max_concurrent_calls": "1",
            "max_registered_devices": "0",
            # R20 broken: the plan does not apply, so no leg is INCLUDED and none consumes R21
            "forwarded_seconds": "0",
            "forwarded_over_seconds": "0",
            "breaches": "DISTINCT_NUMBERS",
        },
        {
            "sip_account": "sip-2",
            "customer_id": "C2",
            "distinct_numbers": "0",
            "max_concurrent_calls": "0",
            "max_registered_devices": "4",
            "forwarded_seconds": "0",
            "forwarded_over_seconds": "0",
            "breaches": "DEVICES",
        },
    ]


def test_r25_forwarding_beyond_the_allowance_is_reported(ws):
    ws.cdrs(OCT, [_fwd("f1", 0, 7000), _fwd("f2", 200, 300)])
    assert ws.bill(OCT).exit_code == 0
    assert ws.read_csv(OCT, "fair_use.csv") == [
        {
            "sip_account": "sip-1",
            "customer_id": "C1",
            "distinct_numbers": "0",
            "max_concurrent_calls": "1",
            "max_registered_devices": "0",
            "forwarded_seconds": "7300",
            "forwarded_over_seconds": "100",
            "breaches": "FORWARDING",
        },
    ]


def test_r63_usage_line_per_account_zone_reason_rounded_once(ws):
    # 0.0025 per call: two calls sum to 0.0050 -> 0.01 (rounding each call to cents would give 0)
    ws.add_zone("99", "TEST_TINY", "test", "2025-01-01", "0.0025", "0.0000", "60", "1", "false")
    ws.cdrs(
        OCT,
        [
            cdr("t1", "sip-2", "+99123456789", at(0), 60),
            cdr("t2", "sip-2", "+99123456780", at(2), 45),
            cdr("f1", "sip-2", "0145678910", at(4), 61),
            cdr("f2", "sip-2", "0145678911", at(6), 61),
            cdr("f3", "sip-2", "0145678912", at(8), 61),  # 3 x 0.0203 = 0.0609 -> 0.06
            cdr("p1", "sip-1", "0899123456", at(10), 61, "D9"),
            cdr("p2", "sip-1", "0899123456", at(12), 61, "D1"),
            cdr("i1", "sip-1", "0145678910", at(14), 61, "D1"),  # INCLUDED: no line
        ],
    )
    assert ws.bill(OCT).exit_code == 0
    usage = [
        (
            r["customer_id"],
            r["reference"],
            r["zone"],
            r["reason"],
            r["calls"],
            r["billable_seconds"],
            r["amount_ht"],
        )
        for r in ws.read_csv(OCT, "invoice_lines.csv")
        if r["kind"] == "usage"
    ]
    assert sorted(usage) == sorted(
        [
            ("C1", "sip-1", "FR_PREMIUM", "OUT_OF_PLAN", "1", "120", "0.80"),
            ("C1", "sip-1", "FR_PREMIUM", "THIRD_PARTY_DEVICE", "1", "120", "0.80"),
            ("C2", "sip-2", "FR_FIXED", "NO_PLAN", "3", "183", "0.06"),
            ("C2", "sip-2", "TEST_TINY", "NO_PLAN", "2", "120", "0.01"),
        ]
    )


def test_r13_local_times_without_offset_on_dst_nights(ws):
    # documented in docs/rating.md: ambiguous 02:30 on 2026-10-25 is the second one (+01:00);
    # the non-existent 02:30 on 2026-03-29 is 03:30+02:00; both are 01:30Z
    ws.cdrs(OCT, [cdr("amb", "sip-2", "0145678910", "2026-10-25T02:30:00", 60)])
    ws.cdrs("2026-03", [cdr("gap", "sip-2", "0145678910", "2026-03-29T02:30:00", 60)])
    for month, cdr_id, utc in (
        (OCT, "amb", "2026-10-25 01:30:00"),
        ("2026-03", "gap", "2026-03-29 01:30:00"),
    ):
        got = rows(
            rate(ws, month),
            "select strftime(start_time at time zone 'UTC', "
            "'%Y-%m-%d %H:%M:%S') as utc from rated_calls",
        )
        assert got == [{"utc": utc}], cdr_id


def test_r63_usage_line_is_one_lot_stating_its_calls_duration_and_tariff_price(ws):
    # rated_calls.parquet keeps the tariff version (zone, tariff_valid_from), not its figures:
    # the per-minute price the description states is read from that tariff row (issue 18,
    # decision 2); the line itself is 1 lot (LS) at its amount, quantity x price = amount
    ws.add_zone("98", "TEST_TWO", "test", "2025-01-01", "0.1000", "0.0000", "60", "1", "false")
    ws.add_rows(
        "tariffs.csv",
        [["TEST_TWO", "2026-10-15", "0.2000", "0.0000", "60", "1", "false"]],
        folder="rates",
    )
    ws.add_zone("97", "TEST_ONE", "test", "2025-01-01", "0.0600", "0.0000", "60", "1", "false")
    ws.add_zone("96", "TEST_FEE", "test", "2025-01-01", "0.0600", "0.0500", "60", "1", "false")
    ws.cdrs(
        OCT,
        [
            cdr("a1", "sip-2", "+98123456789", at(0, day=14), 60),  # last day of 0.1000
            cdr("a2", "sip-2", "+98123456789", at(0, day=15), 60),  # first day of 0.2000
            cdr("b1", "sip-2", "+97123456789", at(2), 90),
            cdr("b2", "sip-2", "+97123456780", at(4), 30),
            cdr("c1", "sip-2", "+96123456789", at(6), 60),
        ],
    )
    assert ws.bill(OCT).exit_code == 0
    usage = {
        r["zone"]: (
            r["calls"],
            r["billable_seconds"],
            r["quantity"],
            r["unit"],
            r["unit_price"],
            r["amount_ht"],
            r["description"],
        )
        for r in ws.read_csv(OCT, "invoice_lines.csv")
        if r["kind"] == "usage"
    }
    head = "Appels vers test hors forfait illimité : "
    assert usage == {
        # 60 s at 0.1000 + 60 s at 0.2000 = 0.30: two prices, none stated
        "TEST_TWO": ("2", "120", "1", "LS", "0.30", "0.30", head + "2 appels, durée facturée "
                     "2 min 00 s, plusieurs tarifs (voir le détail des appels)"),
        # 90 s + 30 s at 60 s minimum: 0.0900 + 0.0600 = 0.15
        "TEST_ONE": ("2", "150", "1", "LS", "0.15", "0.15", head + "2 appels, durée facturée "
                     "2 min 30 s, 0,0600 EUR/min"),
        # 0.0500 + 0.0600 = 0.11: the connection fee is stated with the price
        "TEST_FEE": ("1", "60", "1", "LS", "0.11", "0.11", head + "1 appel, durée facturée "
                     "1 min 00 s, 0,0600 EUR/min + 0,0500 EUR par appel"),
    }  # fmt: skip
