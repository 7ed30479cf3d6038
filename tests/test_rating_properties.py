"""Issue 3: property tests (hypothesis) for rating invariants no example list covers: every
input row ends in exactly one place (R40), amounts are never negative and never decrease when
the duration grows (R14), and reasons follow R16's order. Few examples, small data: fast."""

from __future__ import annotations

import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Workspace, rate, rows

OCT = "2026-10"
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- R40 -----------------------------------------------------------------------------------

FIELD_CHOICES = {
    "cdr_id": ["a", "b", "c", "d", "e", "f", ""],
    "sip_account": ["sip-1", "sip-2", "sip-x", ""],
    "direction": ["out", "in", "fwd", "OUT"],
    "callee": [
        "0145678910",
        "+447911123456",
        "0899123456",
        "112",
        "abc",
        "",
        "+4912345678901",
        "3949",
        "0800123456",
    ],
    "start_time": [
        "2026-10-03T09:00:00+02:00",
        "2026-10-31T23:59:59+01:00",
        "2026-11-01T00:00:00+01:00",
        "2026-09-30T22:30:00Z",
        "2026-10-25T02:30:00",
        "yesterday",
    ],
    "duration_s": ["-5", "0", "1", "61", "3600", "x"],
    "device_id": ["D1", "D9", ""],
}

cdr_row = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in FIELD_CHOICES.items()})
cdr_file = st.lists(st.tuples(cdr_row, st.sampled_from([8, 8, 8, 7, 9])), min_size=0, max_size=25)


def _line(row: dict[str, str], n_fields: int) -> list[str]:
    fields = [
        row["cdr_id"],
        row["sip_account"],
        row["direction"],
        "0145000000",
        row["callee"],
        row["start_time"],
        row["duration_s"],
        row["device_id"],
    ]
    return (fields + ["extra"])[:n_fields]


@FAST
@given(files=st.lists(cdr_file, min_size=1, max_size=3))
def test_r40_every_row_rated_or_rejected_exactly_once(files):
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        expected = set()
        for i, records in enumerate(files):
            name = f"f{i}.csv"
            ws.cdrs(OCT, [_line(r, n) for r, n in records], name=name)
            expected |= {(f"cdrs/{OCT}/{name}", k + 1) for k in range(len(records))}
        con = rate(ws, OCT)
        rated = [
            (r["source_file"], r["row_number"])
            for r in rows(con, "select source_file, row_number from rated_calls")
        ]
        rejected = [
            (r["source_file"], r["row_number"])
            for r in rows(con, "select source_file, row_number from rejects")
        ]
        places = rated + rejected
        assert len(places) == len(set(places))  # nowhere twice
        assert set(places) == expected  # nothing lost
        rec = rows(con, "select * from reconciliation")
        assert all(r["balanced"] for r in rec)
        assert sum(r["rows_read"] for r in rec) == len(expected)
        # a rated call has exactly one reason and a non-negative amount
        for r in rows(con, "select reason, amount from rated_calls"):
            assert r["reason"] is not None and r["amount"] >= 0


# --- R14 -----------------------------------------------------------------------------------

tariff = st.fixed_dictionaries(
    {
        "price": st.integers(min_value=1, max_value=20000).map(lambda n: Decimal(n).scaleb(-4)),
        "fee": st.integers(min_value=0, max_value=5000).map(lambda n: Decimal(n).scaleb(-4)),
        "minimum": st.sampled_from([0, 1, 30, 60, 90]),
        "increment": st.sampled_from([1, 6, 30, 60]),
    }
)


def _r14(price: Decimal, fee: Decimal, minimum: int, increment: int, seconds: int) -> Decimal:
    """R14 and R2 written independently of the SQL, in Decimal."""
    if seconds == 0:
        return Decimal("0.0000")
    billable = max(minimum, -(-seconds // increment) * increment)
    return (fee + price * billable / 60).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@FAST
@given(
    t=tariff,
    durations=st.lists(
        st.integers(min_value=0, max_value=20000), min_size=1, max_size=40, unique=True
    ),
)
def test_r14_amount_never_negative_never_decreasing(t, durations):
    durations = sorted(set(durations) | {0, 1, 59, 60, 61})
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        tariff = [str(t[k]) for k in ("price", "fee", "minimum", "increment")]
        ws.add_zone("99", "TEST_ZONE", "test", "2025-01-01", *tariff, "false")
        ws.cdrs(
            OCT,
            [
                [
                    f"c{d:05d}",
                    "sip-2",
                    "out",
                    "0145000000",
                    "+99123456789",
                    f"2026-10-{1 + i % 28:02d}T{i // 28:02d}:00:00+02:00",
                    str(d),
                    "",
                ]
                for i, d in enumerate(durations)
            ],
        )
        con = rate(ws, OCT)
        got = rows(
            con, "select duration_s, billable_seconds, amount from rated_calls order by duration_s"
        )
        assert [r["duration_s"] for r in got] == durations
        amounts = [r["amount"] for r in got]
        assert all(a >= 0 for a in amounts)
        assert amounts == sorted(amounts)
        for r in got:
            assert r["amount"] == _r14(
                t["price"], t["fee"], t["minimum"], t["increment"], r["duration_s"]
            )
            assert r["billable_seconds"] >= r["duration_s"]


# --- R16 -----------------------------------------------------------------------------------

# account -> (telecom professional, has an unlimited plan, breaks fair use R23)
ACCOUNTS = {
    "acc-pro": (True, True, False),
    "acc-plan": (False, True, False),
    "acc-none": (False, False, False),
    "acc-breach": (False, True, True),
}
# zone -> (number, free, included in the plans below: national, or on the order form)
ZONES = {
    "FR_FIXED": ("0145678910", False, True),
    "INTL_BE_FIXED": ("+3221234567", False, True),
    "INTL_GB_FIXED": ("+442079460000", False, False),
    "FR_EMERGENCY": ("112", True, False),
}

call = st.fixed_dictionaries(
    {
        "account": st.sampled_from(sorted(ACCOUNTS)),
        "zone": st.sampled_from(sorted(ZONES)),
        "device": st.sampled_from(["own", "third", "none"]),
        "direction": st.sampled_from(["out", "in", "fwd"]),
        "duration": st.sampled_from([0, 1, 60, 61, 300]),
    }
)


def _expected_reason(c: dict) -> str:
    pro, plan, breach = ACCOUNTS[c["account"]]
    _, free, included = ZONES[c["zone"]]
    if c["direction"] == "in" or c["duration"] == 0:
        return "NOT_CHARGEABLE"
    if free:
        return "FREE"
    if pro:
        return "TELECOM_PROFESSIONAL"
    if not plan:
        return "NO_PLAN"
    if breach:
        return "FAIR_USE_DEVICES"
    if c["device"] == "third":
        return "THIRD_PARTY_DEVICE"
    if not included:
        return "OUT_OF_PLAN"
    return "INCLUDED"


def _accounts(ws: Workspace) -> None:
    for i, (account, (pro, plan, _)) in enumerate(sorted(ACCOUNTS.items())):
        customer = f"K{i}"
        ws.add_rows(
            "customers.csv",
            [[customer, f"Client {i}", "FR", str(pro).lower(), "false", "", "", "Paris"]],
        )
        ws.add_rows("sip_accounts.csv", [[account, customer]])
        ws.add_rows("devices.csv", [[f"own-{account}", customer, "true", account, "desk"]])
        if plan:
            ws.add_rows(
                "subscriptions.csv",
                [
                    [
                        f"S-{account}",
                        customer,
                        "PLAN_UNLIMITED",
                        "25.00",
                        "2026-01-01",
                        "0",
                        account,
                        "INTL_BE_FIXED",
                        "",
                    ]
                ],
            )
    ws.registrations(
        OCT,
        [
            ["acc-breach", f"R{d}", "2026-10-02T09:00:00+02:00", "2026-10-02T10:00:00+02:00"]
            for d in range(4)
        ],
    )


@FAST
@given(calls=st.lists(call, min_size=1, max_size=20))
def test_r16_reasons_follow_the_order(calls):
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        _accounts(ws)
        device = {"own": lambda a: f"own-{a}", "third": lambda a: "D9", "none": lambda a: ""}
        # one call per hour: no concurrency (R22); at most 20 x 300 s forwarded (< 7,200 s, R21)
        ws.cdrs(
            OCT,
            [
                [
                    f"c{i:02d}",
                    c["account"],
                    c["direction"],
                    "0145000000",
                    ZONES[c["zone"]][0],
                    f"2026-10-{5 + i // 24:02d}T{i % 24:02d}:00:00+02:00",
                    str(c["duration"]),
                    device[c["device"]](c["account"]),
                ]
                for i, c in enumerate(calls)
            ],
        )
        con = rate(ws, OCT)
        got = {r["cdr_id"]: r for r in rows(con, "select * from rated_calls")}
        assert len(got) == len(calls)
        for i, c in enumerate(calls):
            r = got[f"c{i:02d}"]
            assert r["reason"] == _expected_reason(c), c
            charged = r["reason"] not in ("NOT_CHARGEABLE", "FREE", "INCLUDED")
            assert (r["billable_seconds"] > 0) == charged
