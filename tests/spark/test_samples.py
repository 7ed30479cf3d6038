"""Issue 19: both sample months billed with --engine spark give the files DuckDB gives: the
same bytes for every document (CSV, FEC, workbook, e-invoices, itemised bills, archive), the
rated calls equal in content, the manifest equal but for the hash of rated_calls.parquet
(a file deterministic in content, not in row order, issue 18)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE_MONTHS, cli, sample_args

from pipeline.validation.gates import Gates

LOOSE = ("rated_calls.parquet", "manifest.json")


class WithoutEinvoiceRules(Gates):
    # the gates of October's DuckDB sample run (tests/conftest.py, _bill_samples)
    einvoice_rules = False


@pytest.fixture(scope="module")
def spark_out(tmp_path_factory) -> Path:
    """OUT with both sample months billed on Spark, with the gates of the DuckDB sample run
    (tests/conftest.py: September without, October through them)."""
    out = tmp_path_factory.mktemp("spark") / "out"
    for month, gates in zip(SAMPLE_MONTHS, (None, WithoutEinvoiceRules()), strict=True):
        result = cli(*sample_args("bill", month, out), "--engine", "spark", gates=gates)
        assert result.exit_code == 0, result.output
        assert "émise(s)" in result.output
    return out


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in LOOSE
    }


@pytest.mark.parametrize("month", SAMPLE_MONTHS)
def test_a_sample_month_billed_on_spark_has_duckdbs_files_byte_for_byte(
    month, spark_out, sample_out
):
    duck, spark = _hashes(sample_out / month), _hashes(spark_out / month)
    assert len(duck) > 20
    assert sorted(duck) == sorted(spark)
    differing = [name for name in duck if duck[name] != spark[name]]
    assert differing == []


@pytest.mark.parametrize("month", SAMPLE_MONTHS)
def test_a_sample_months_rated_calls_and_manifest_are_equal_on_both_engines(
    month, spark_out, sample_out
):
    con = duckdb.connect()
    query = "select * from read_parquet(?) order by source_file, row_number"
    duck, spark = (
        con.execute(query, [str(o / month / "rated_calls.parquet")]).fetchall()
        for o in (sample_out, spark_out)
    )
    assert len(duck) > 30_000 and duck == spark
    schema = "select column_name, column_type from (describe select * from read_parquet(?))"
    assert (
        con.execute(schema, [str(sample_out / month / "rated_calls.parquet")]).fetchall()
        == con.execute(schema, [str(spark_out / month / "rated_calls.parquet")]).fetchall()
    )
    manifests = [
        json.loads((o / month / "manifest.json").read_text(encoding="utf-8"))
        for o in (sample_out, spark_out)
    ]
    for m in manifests:
        del m["outputs"]["rated_calls.parquet"]
    assert manifests[0] == manifests[1]


def test_a_month_issued_with_duckdb_audits_identical_on_spark(sample_out):
    """The audit re-runs October from its archive on Spark: identical to what DuckDB issued."""
    result = cli(
        *sample_args("audit", "2026-10", sample_out),
        "--engine",
        "spark",
        gates=WithoutEinvoiceRules(),
    )
    assert result.exit_code == 0, result.output
    assert "2026-10 : identique" in result.output
