"""Issue 19: the DuckDB models transpile to Spark SQL through a rewrite module that fails
closed (pipeline/rating/spark/transpile.py). Needs sqlglot only, not Spark: part of make test,
so a model that starts using a function nobody checked on Spark fails here, at once."""

from __future__ import annotations

import pytest

from pipeline.core.db import model_sql
from pipeline.rating.models import RATING_MODELS
from pipeline.rating.spark.transpile import SQLGLOT_VERSION, UnknownFunction, to_spark


def test_the_pinned_sqlglot_is_the_one_installed():
    import sqlglot

    assert sqlglot.__version__ == SQLGLOT_VERSION


@pytest.mark.parametrize("layer,name", RATING_MODELS, ids=[n for _, n in RATING_MODELS])
def test_every_rating_model_transpiles_with_known_functions_only(layer, name):
    spark = to_spark(model_sql(layer, name), name)
    # none of the four DuckDB spellings that Spark lacks or reads otherwise is left
    for duckdb_only in ("REGEXP_FULL_MATCH", "EPOCH_US", "STRFTIME", "HASH("):
        assert duckdb_only not in spark.upper().replace("XXHASH64(", ""), duckdb_only


@pytest.mark.parametrize(
    "sql,name",
    [
        ("select list_sort(x) from t", "list_sort"),
        ("select epoch_ms(x) from t", "epoch_ms"),
        ("select md5(x) from t", "md5"),
        ("select array_to_string(x, ',') from t", "array_to_string"),
        ("select strftime(x, '%j') from t", "%j"),
        ("select cast(x as double) from t", "DOUBLE"),
    ],
)
def test_a_model_using_an_unchecked_function_stops_with_its_name(sql, name):
    with pytest.raises(UnknownFunction, match=name.replace("(", r"\(")):
        to_spark(sql, "rat_example")


def test_regexp_full_match_becomes_an_anchored_rlike():
    # Spark has no regexp_full_match; an unanchored RLIKE would accept '0612345678x'
    assert to_spark("select regexp_full_match(x, '0[1-9][0-9]{8}') from t") == (
        "SELECT x RLIKE '^(?:0[1-9][0-9]{8})\\\\z' FROM t"
    )


def test_epoch_us_and_hash_become_spark_functions_of_the_same_meaning_and_width():
    assert to_spark("select epoch_us(t) from x") == "SELECT UNIX_MICROS(t) FROM x"
    assert to_spark("select hash(cdr_id) from x") == "SELECT XXHASH64(cdr_id) FROM x"


def test_strftime_offset_prints_plus_02_as_duckdb_does_not_plus_0200():
    assert to_spark("select strftime(t, '%Y-%m-%d %H:%M:%S %z') from x") == (
        "SELECT DATE_FORMAT(t, 'yyyy-MM-dd HH:mm:ss x') FROM x"
    )


def test_a_list_index_past_the_end_stays_null_on_spark():
    # DuckDB: parts[9] of a 3-element list is NULL; Spark's parts[8] is an error under ANSI
    assert to_spark("select parts[9] from t") == "SELECT TRY_ELEMENT_AT(parts, 9) FROM t"


def test_the_csv_readers_field_split_transpiles():
    from pipeline.inputs.cdrs import csv_fields

    spark = to_spark(f"select {csv_fields('raw')} as parts from lines")
    assert "REGEXP_EXTRACT_ALL" in spark and "TRANSFORM" in spark and "RLIKE" in spark
