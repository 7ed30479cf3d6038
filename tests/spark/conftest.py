"""Spark tests (make test-spark, issue 19): every test here is marked `spark` and skipped when
pyspark or Java is missing; make test and make test-all leave them out (-m "not spark")."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.dates import Month
from pipeline.core.db import connect
from pipeline.inputs.reference import load_reference, register
from pipeline.rating.models import RATING_MODELS, VIEWS, rate_month

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    from pipeline.rating.spark.session import spark_available

    missing = spark_available()
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.spark)
            if missing:
                item.add_marker(pytest.mark.skip(reason=missing))


# the tables every test compares: the models that are tables, and the files read
COMPARED = tuple(n for _, n in RATING_MODELS if n not in VIEWS) + ("raw_cdrs_files",)


def rate_with(engine: str, data: Path, month: str, rates: Path | None = None) -> dict[str, Any]:
    """Rate `month` of the data folder `data` with `engine`; return, per compared table, its
    column names and its rows (repr of each, sorted: tables have no order)."""
    ref = load_reference(data, rates or ROOT / "rates")
    con = connect()
    try:
        register(con, ref)
        with tempfile.TemporaryDirectory() as scratch:
            rate_month(
                con,
                data,
                Month.parse(month),
                [],
                scratch=Path(scratch),
                max_call_duration_s=ref.provider["max_call_duration_s"],
                engine=engine,
            )
            out = {}
            for name in COMPARED:
                cursor = con.execute(f'select * from "{name}"')
                cols = [d[0] for d in cursor.description]
                out[name] = (cols, sorted(repr(r) for r in cursor.fetchall()))
            return out
    finally:
        con.close()


def assert_same(duck: dict[str, Any], spark: dict[str, Any]) -> None:
    """Every compared table equal on both engines: columns, then rows (a few shown)."""
    for name in COMPARED:
        (dcols, drows), (scols, srows) = duck[name], spark[name]
        assert dcols == scols, f"{name}: columns differ"
        if drows != srows:
            only_d = sorted(set(drows) - set(srows))[:3]
            only_s = sorted(set(srows) - set(drows))[:3]
            raise AssertionError(
                f"{name}: {len(drows)} rows on DuckDB, {len(srows)} on Spark; only DuckDB: "
                f"{only_d}; only Spark: {only_s}"
            )
