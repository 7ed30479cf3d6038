"""Issue 8: the cheaper ways the gates compute their figures give the same figures.

Row numbers counted through a bitmap, cdr_ids through their hashes, value sets cut to the
values a dataset holds: each must agree with the plain computation (count(distinct ...), the
whole value set) on data with duplicates, nulls and several groups, and fall back to it where
the cheap way does not apply.
"""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from pipeline.validation.expectations import BITMAP_MAX_RANGE, count_distinct_integers


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        """
        create table t as
        select
            'f' || (i % 3) as source_file,
            case when i % 11 = 0 then null else (i * 7) % 500 end as row_number,
            case when i % 13 = 0 then null else 'id-' || ((i * 5) % 900) end as cdr_id,
            case when i % 17 = 0 then 'MALFORMED' end as reject_reason
        from range(2000) as r(i)
        """
    )
    return con


def _bounds(con: duckdb.DuckDBPyConnection, table: str = "t") -> tuple:
    return con.execute(
        f"select min(row_number), max(row_number), count(distinct source_file) from {table}"
    ).fetchone()


def test_bitmap_counts_the_distinct_row_numbers_of_each_group(con):
    low, high, groups = _bounds(con)
    sql = count_distinct_integers("row_number", low, high, groups)
    assert "bitstring_agg" in sql
    got = con.execute(f"select source_file, {sql} from t group by 1 order by 1").fetchall()
    want = con.execute(
        "select source_file, count(distinct row_number) from t group by 1 order by 1"
    ).fetchall()
    assert got == want


def test_bitmap_gives_way_to_count_distinct_when_it_would_be_large_or_cannot_apply():
    assert count_distinct_integers("r", 1, BITMAP_MAX_RANGE + 1, 1) == "count(distinct r)"
    assert count_distinct_integers("r", 1, BITMAP_MAX_RANGE // 2, 64) == "count(distinct r)"
    assert count_distinct_integers("r", None, None, 0) == "count(distinct r)"  # no rows
    assert count_distinct_integers("r", "1", "9", 1) == "count(distinct r)"  # not integers
    assert count_distinct_integers("r", False, True, 1) == "count(distinct r)"
    assert "bitstring_agg(r, -5, 5)" in count_distinct_integers("r", -5, 5, 3)


@pytest.mark.parametrize("where", ["true", "reject_reason is null", "false"])
def test_distinct_ids_equal_count_distinct_with_and_without_duplicates(con, where):
    from pipeline.validation.expectations.inputs import distinct_ids

    ctx = SimpleNamespace(con=con)
    want = con.execute(f"select count(distinct cdr_id) from t where {where}").fetchone()[0]
    assert distinct_ids(ctx, "t", where) == want  # duplicates: the exact count
    con.execute("create table u as select distinct cdr_id, reject_reason from t")
    unique = con.execute(f"select count(distinct cdr_id) from u where {where}").fetchone()[0]
    assert distinct_ids(ctx, "u", where) == unique  # no duplicates: from the hashes


def _suite(*checks):
    from pipeline.validation.expectations import Suite

    return Suite(name="s", dataset="d", build=lambda ctx: None, checks=checks)


def test_value_sets_are_cut_to_the_values_of_the_column():
    from pipeline.validation.expectations.inputs import at_least, known
    from pipeline.validation.gates import _narrowed

    frame = pd.DataFrame({"customer_id": ["C2", None, "C9", "C2"], "n": [1, 2, 3, 4]})
    parameters = {"customer_ids": ["C1", "C2", "C3"], "other": ["C1", "C2"], "epoch": 5}
    narrowed = _narrowed(_suite(known("customer_id", "customer_ids", "c")), frame, parameters)
    assert narrowed == {"customer_ids": ["C2"], "other": ["C1", "C2"], "epoch": 5}
    # no value of the column in the set: one value of the set (none of the column's) stays
    none = pd.DataFrame({"customer_id": ["C9"], "n": [1]})
    narrowed = _narrowed(_suite(known("customer_id", "customer_ids", "c")), none, parameters)
    assert narrowed["customer_ids"] == ["C1"]
    # a parameter used by another kind of expectation is passed whole
    check = at_least("n", 0, "R", "n")
    check.expectation.min_value = {"$PARAMETER": "customer_ids"}
    both = _suite(known("customer_id", "customer_ids", "c"), check)
    assert _narrowed(both, frame, parameters)["customer_ids"] == ["C1", "C2", "C3"]
