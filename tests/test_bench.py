"""The benchmark harness (issue 8) keeps working: a small month (about 20,000 CDRs) goes
through the generator, the floors, the whole bill in a child process, the CSV load and the
pandas alternative, and the report holds every figure the README table is made of."""

from __future__ import annotations

import json

import duckdb
import pytest

from bench import benchmark as bench
from bench.synth import generate


def test_synthetic_month_is_seeded_and_realistic(tmp_path):
    a = generate(tmp_path / "a", 20_000, seed=7, csv=False)
    b = generate(tmp_path / "b", 20_000, seed=7, csv=False)
    assert a.rows == b.rows and a.rows >= 20_000
    q = "select * from read_parquet(?) order by cdr_id, start_time"
    assert (
        duckdb.connect().execute(q, [str(a.cdr_parquet)]).fetchall()
        == duckdb.connect().execute(q, [str(b.cdr_parquet)]).fetchall()
    )
    stats = (
        duckdb.connect()
        .execute(
            "select avg((direction = 'fwd')::int), avg((duration_s = 0)::int), "
            "count(distinct sip_account), count(*) - count(distinct cdr_id) "
            "from read_parquet(?)",
            [str(a.cdr_parquet)],
        )
        .fetchone()
    )
    assert 0.04 < stats[0] < 0.10  # forwarded legs
    assert 0.02 < stats[1] < 0.04  # 3 % unanswered
    assert stats[2] > 20  # many accounts
    assert stats[3] > 0  # a few duplicates


@pytest.mark.slow
def test_bench_runs_end_to_end_at_20k_rows(tmp_path, capsys):
    report = bench.run(
        rows=20_000,
        out=tmp_path,
        seed=1,
        repeat=1,
        pandas_rows=20_000,
        memory_limit="1GB",
        keep=False,
    )
    assert report["rows"] >= 20_000
    assert report["floor"]["parquet_s"] > 0 and report["floor"]["csv_s"] > 0
    assert report["floor"]["write_s"] > 0 and not list(tmp_path.rglob("floor_write.parquet"))
    # issue 32: the output floor in the same run, its files removed
    assert report["floor"]["output_s"] > 0 and not list(tmp_path.rglob("floor_*"))
    assert report["bill"]["total_without_documents_x_output_floor"] > 0
    # the watch of the 15th and of the 31st; day_s the slower
    assert [d["date"] for d in report["watch"]["days"]] == ["2026-10-15", "2026-10-31"]
    assert report["watch"]["day_s"] == max(d["day_s"] for d in report["watch"]["days"])
    # a collection of one debit per invoice, then its notice: one credit per invoice, matched
    r = report["receivables"]
    assert r["mandates"] == r["invoices"] == r["collected"] == r["entries"] > 0
    assert r["matched_events"] >= r["entries"] and r["collect_s"] > 0 and r["import_s"] > 0
    assert not (tmp_path / "payments_20000").exists()
    stages = report["bill"]["stages_s"]
    for name in ("load", "staging", "rating", "fair_use", "contracts", "invoices", "exports"):
        assert name in stages, name
    assert report["bill"]["invoices"] > 0
    assert report["bill"]["peak_rss_mb"] > 0
    assert report["bill"]["total_x_floor"] > 0
    # CPU seconds per step: one per timed step, the stages' sums within the whole bill's
    cpu = report["bill"]["cpu_s_of_step"]
    assert len(cpu) == len(report["bill"]["steps"]) and all(c >= 0 for c in cpu)
    assert sum(report["bill"]["stages_cpu_s"].values()) <= report["bill"]["cpu_s"] + 0.05
    assert report["bill"]["cpu_s"] > 0
    assert report["csv_load"]["x_read_csv"] > 0
    assert report["pandas"]["scaled_s"] > 0
    text = bench.table(report)
    assert "whole bill" in text and "x floor" in text and "CPU s" in text
    json.dumps(report, default=str)
    assert not (tmp_path / "month_20000").exists()  # generated data removed unless --keep


def test_every_setting_is_documented():
    from pathlib import Path

    from pipeline.core.db import SETTINGS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "performance.md").read_text()
    for name in SETTINGS:
        assert f"`{name}`" in doc, name


def test_memory_limit_setting_reaches_duckdb(monkeypatch):
    from pipeline.core.db import connect

    monkeypatch.setenv("BILLING_MEMORY_LIMIT", "1GB")
    con = connect()
    limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "").upper() in ("1GB", "953.6MIB", "1000.0MB", "953.6MB"), limit


def test_memory_limit_defaults_to_1280mb_without_the_setting(monkeypatch):
    # a 10M-CDR month within 2 GB of RSS by default (docs/performance.md), not DuckDB's 80 %
    # of RAM
    from pipeline.core.db import DEFAULT_MEMORY_LIMIT, connect

    monkeypatch.delenv("BILLING_MEMORY_LIMIT", raising=False)
    limit = connect().execute("select current_setting('memory_limit')").fetchone()[0]
    explicit = duckdb.connect()
    explicit.execute("set memory_limit = '1280MB'")
    assert DEFAULT_MEMORY_LIMIT == "1280MB"
    assert limit == explicit.execute("select current_setting('memory_limit')").fetchone()[0]
    assert limit != duckdb.connect().execute("select current_setting('memory_limit')").fetchone()[0]


def test_a_stage_records_its_cpu_seconds():
    from pipeline.core.progress import recording, stage

    with recording() as rec:
        with stage("rating", "busy"):
            total = 0
            for i in range(300_000):  # a little CPU work
                total += i
        with stage("rating", "idle"):
            pass
    busy, idle = rec.cpu_s
    assert busy > 0 and busy > idle >= 0


def test_progress_is_quiet_when_not_a_terminal(capsys):
    from pipeline.core.progress import recording, stage

    with recording() as rec, stage("rating", "a step"):
        pass
    assert rec.steps[0][:2] == ("rating", "a step")
    assert capsys.readouterr().err == ""
