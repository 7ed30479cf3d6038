"""Issue 3: `billing explain --month M --cdr ID` for an agent: number, prefix and zone, tariff
row, reason and limit broken, arithmetic; rejects with reason, file, row and raw text."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipeline.core.data_contract import RATED_CALLS
from pipeline.ledger.archive import blob_path
from tests.scenarios import UK_MOBILE, call, calls

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")

OCT = "2026-10"


def _calls(ws):
    ws.cdrs(
        OCT,
        calls(
            UK_MOBILE,
            "c2,sip-1,out,0145000000,0899123456,2026-10-03T10:15:00+02:00,61,D9",
            "c3,sip-1,out,0145000000,abc,2026-10-03T10:16:00+02:00,61,D1",
            "f1,sip-1,fwd,0145000000,0145678910,2026-10-25T09:00:00+01:00,3000,",
            "f2,sip-1,fwd,0145000000,0145678910,2026-10-25T10:00:00+01:00,3000,",
            "f3,sip-1,fwd,0145000000,0145678910,2026-10-25T11:00:00+01:00,2000,",
            "i1,sip-1,in,0145000000,0145678910,2026-10-25T12:00:00+01:00,20,",
        ),
    )


def _explain(ws, cdr_id):
    return ws.run("explain", OCT, "--cdr", cdr_id)


# what the explanation of each call says, in its own words
EXPLAINED = {
    "c1": [
        "'+44 7911 123456' -> 447911123456",
        "longest prefix 447 -> zone INTL_GB_MOBILE",
        "INTL_GB_MOBILE valid from 2026-10-01: 0.1800 EUR/min",
        "reason: OUT_OF_PLAN",
        "plan: subscription S1 covers 2026-10-03; zone INTL_GB_MOBILE is neither national",
        "max(60, ceil(61 / 1) x 1 = 61) = 61 s",
        "0.0000 + 0.1800 x 61 / 60 = 0.183 -> 0.1830 EUR",
    ],
    "c2": [
        "reason: THIRD_PARTY_DEVICE",
        "device D9 is not in devices.csv",
        "0.1200 + 0.3400 x 120 / 60 = 0.8 -> 0.8000 EUR",
    ],
    "f3": [
        "reason: FORWARDING_OVER_FAIR_USE",
        "limits broken by sip-1 this month: FORWARDING",
        "6000 s of 7200 s used by earlier legs",
        "800 s beyond the allowance",
        "0.0000 + 0.0200 x 800 / 60 = 0.26666667... -> 0.2667 EUR",
    ],
    "f1": [
        "reason: INCLUDED",
        "zone FR_FIXED is a national zone, in every unlimited plan",
        "0 s of 7200 s used by earlier legs",
    ],
    "i1": ["reason: NOT_CHARGEABLE", "because: incoming call"],
    "c3": [
        "REJECTED INVALID_NUMBER",
        "file cdrs/2026-10/cdrs.csv, row 3",
        "raw: c3,sip-1,out,0145000000,abc,2026-10-03T10:16:00+02:00,61,D1",
    ],
}


def _check_texts(ws, source):
    explained = {cdr_id: _explain(ws, cdr_id) for cdr_id in EXPLAINED}
    assert source in explained["c1"].output
    for cdr_id, texts in EXPLAINED.items():
        r = explained[cdr_id]
        assert r.exit_code == 0, r.output
        for text in texts:
            assert text in r.output, (cdr_id, text)

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
    four = "c0,sip-1,out,0145000000,0145678910,2026-10-03T09:00:00+02:00,100,D1"
    ws.cdrs(OCT, [call(four, cdr_id=f"c{i}") for i in range(4)])
    r = _explain(ws, "c0")
    assert "reason: FAIR_USE_CONCURRENT_CALLS" in r.output
    assert "CONCURRENT_CALLS" in r.output
    assert "max concurrent calls 4 (limit 3)" in r.output


def test_explain_issued_month_rates_again_from_its_archive_what_the_file_does_not_keep(ws):
    # issue 18, decision 2: rated_calls.parquet keeps the contract's columns, the start, the
    # tariff version and the source row; the device, the number as dialled, the tariff's
    # figures, the plan and the forwarding allowance come from the month's archive
    _calls(ws)
    assert ws.bill(OCT).exit_code == 0
    issued = ws.out / OCT / "rated_calls.parquet"
    columns = [r[0] for r in duckdb.sql(f"describe select * from '{issued}'").fetchall()]
    assert columns == list(RATED_CALLS.names)
    assert "device_id" not in columns and "price_per_min_eur" not in columns
    (ws.data / "cdrs" / OCT).rename(ws.root / "moved")  # DATA is not read: the archive is
    r = _explain(ws, "c2")
    assert r.exit_code == 0, r.output
    assert "device D9 is not in devices.csv" in r.output
    assert "'0899123456' -> 33899123456" in r.output
    assert "WARNING" not in r.output and "could not" not in r.output

    # an archive that no longer has its hash: the issued facts only, and why
    record = json.loads((ws.out / OCT / "manifest.json").read_text(encoding="utf-8"))
    item = next(i for i in record["inputs"] if i["path"].startswith("cdrs/"))
    blob = blob_path(ws.out / OCT, item["sha256"])
    blob.chmod(0o644)
    blob.write_text(blob.read_text(encoding="utf-8").replace(",61,D9", ",62,D9"), "utf-8")
    r = _explain(ws, "c2")
    assert r.exit_code == 0, r.output
    assert "reason: THIRD_PARTY_DEVICE" in r.output
    assert "amount: 0.8000 EUR (R14)" in r.output  # the issued amount, without its arithmetic
    assert "could not be rated again from the archive" in r.output
    assert item["path"] in r.output, r.output


def test_explain_issued_month_warns_when_the_archive_now_rates_the_call_otherwise(ws, monkeypatch):
    # the recomputation completes the issued row; it never replaces an issued value: one that
    # differs is named, and the issued one is shown
    import pipeline.run as run

    _calls(ws)
    assert ws.bill(OCT).exit_code == 0
    real = run.call_facts_rated_again

    def otherwise(*args):
        rated, rejected, fair_use = real(*args)
        return [{**r, "amount": r["amount"] + 1} for r in rated], rejected, fair_use

    monkeypatch.setattr(run, "call_facts_rated_again", otherwise)
    text = run.explain_call(OCT, "c1", ws.data, ws.out, ws.rates)
    assert "0.0000 + 0.1800 x 61 / 60 = 0.183 -> 0.1830 EUR" in text
    assert "WARNING: rated again from the month's archive, this call now gives amount " in text
    assert "Decimal('1.1830') (issued Decimal('0.1830'))" in text
    assert "run billing audit --month 2026-10" in text
