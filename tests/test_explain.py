"""Issue 3: `billing explain --month M --cdr ID` for an agent: number, prefix and zone, tariff
row, reason and limit broken, arithmetic; rejects with reason, file, row and raw text."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli import main

OCT = "2026-10"


def _calls(ws):
    ws.cdrs(
        OCT,
        [
            [
                "c1",
                "sip-1",
                "out",
                "0145000000",
                "+44 7911 123456",
                "2026-10-03T09:15:00+02:00",
                "61",
                "D1",
            ],
            [
                "c2",
                "sip-1",
                "out",
                "0145000000",
                "0899123456",
                "2026-10-03T10:15:00+02:00",
                "61",
                "D9",
            ],
            ["c3", "sip-1", "out", "0145000000", "abc", "2026-10-03T10:16:00+02:00", "61", "D1"],
            [
                "f1",
                "sip-1",
                "fwd",
                "0145000000",
                "0145678910",
                "2026-10-25T09:00:00+01:00",
                "3000",
                "",
            ],
            [
                "f2",
                "sip-1",
                "fwd",
                "0145000000",
                "0145678910",
                "2026-10-25T10:00:00+01:00",
                "3000",
                "",
            ],
            [
                "f3",
                "sip-1",
                "fwd",
                "0145000000",
                "0145678910",
                "2026-10-25T11:00:00+01:00",
                "2000",
                "",
            ],
            [
                "i1",
                "sip-1",
                "in",
                "0145000000",
                "0145678910",
                "2026-10-25T12:00:00+01:00",
                "20",
                "",
            ],
        ],
    )


def _explain(ws, cdr_id):
    return CliRunner().invoke(
        main,
        [
            "explain",
            "--month",
            OCT,
            "--cdr",
            cdr_id,
            "--data",
            str(ws.data),
            "--out",
            str(ws.out),
            "--rates",
            str(ws.rates),
        ],
    )


def _check_texts(ws, source):
    r = _explain(ws, "c1")
    assert r.exit_code == 0, r.output
    assert source in r.output
    assert "'+44 7911 123456' -> 447911123456" in r.output
    assert "longest prefix 447 -> zone INTL_GB_MOBILE" in r.output
    assert "INTL_GB_MOBILE valid from 2026-10-01: 0.1800 EUR/min" in r.output
    assert "reason: OUT_OF_PLAN" in r.output
    assert (
        "plan: subscription S1 covers 2026-10-03; zone INTL_GB_MOBILE is neither national"
        in r.output
    )
    assert "max(60, ceil(61 / 1) x 1 = 61) = 61 s" in r.output
    assert "0.0000 + 0.1800 x 61 / 60 = 0.183 -> 0.1830 EUR" in r.output

    r = _explain(ws, "c2")
    assert "reason: THIRD_PARTY_DEVICE" in r.output
    assert "device D9 is not in devices.csv" in r.output
    assert "0.1200 + 0.3400 x 120 / 60 = 0.8 -> 0.8000 EUR" in r.output

    r = _explain(ws, "f3")
    assert "reason: FORWARDING_OVER_FAIR_USE" in r.output
    assert "limits broken by sip-1 this month: FORWARDING" in r.output
    assert "6000 s of 7200 s used by earlier legs" in r.output
    assert "800 s beyond the allowance" in r.output
    assert "0.0000 + 0.0200 x 800 / 60 = 0.26666667... -> 0.2667 EUR" in r.output

    r = _explain(ws, "f1")
    assert "reason: INCLUDED" in r.output
    assert "zone FR_FIXED is a national zone, in every unlimited plan" in r.output
    assert "0 s of 7200 s used by earlier legs" in r.output

    r = _explain(ws, "i1")
    assert "reason: NOT_CHARGEABLE" in r.output
    assert "because: incoming call" in r.output

    r = _explain(ws, "c3")
    assert r.exit_code == 0, r.output
    assert "REJECTED INVALID_NUMBER" in r.output
    assert "file cdrs/2026-10/cdrs.csv, row 3" in r.output
    assert "raw: c3,sip-1,out,0145000000,abc,2026-10-03T10:16:00+02:00,61,D1" in r.output

    r = _explain(ws, "nope")
    assert r.exit_code == 2
    assert "neither rated nor rejected" in r.output


def test_explain_month_not_issued_is_rated_in_memory(ws):
    _calls(ws)
    _check_texts(ws, "not issued")
    assert not (ws.out / OCT).exists()


def test_explain_issued_month_reads_its_own_files(ws):
    _calls(ws)
    assert ws.bill(OCT).exit_code == 0
    _check_texts(ws, "issued month")
    # what was issued is explained, even if the rate book changed since
    ws.add_rows(
        "tariffs.csv",
        [["INTL_GB_MOBILE", "2026-10-02", "9.0000", "0", "60", "1", "false"]],
        folder="rates",
    )
    assert "0.1800 x 61 / 60" in _explain(ws, "c1").output


def test_explain_fair_use_limit_broken(ws):
    ws.cdrs(
        OCT,
        [
            [
                f"c{i}",
                "sip-1",
                "out",
                "0145000000",
                "0145678910",
                "2026-10-03T09:00:00+02:00",
                "100",
                "D1",
            ]
            for i in range(4)
        ],
    )
    r = _explain(ws, "c0")
    assert "reason: FAIR_USE_CONCURRENT_CALLS" in r.output
    assert "CONCURRENT_CALLS" in r.output
    assert "max concurrent calls 4 (limit 3)" in r.output
