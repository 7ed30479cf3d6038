"""Expectation suites of the data contract, kept as code (issue 7).

A suite is a list of great-expectations expectations over one *dataset*: a small pandas
DataFrame built either by a DuckDB query over the loaded tables (reference tables whole,
usage tables as aggregates: one row per file, per distinct value or per group) or, for the
documents, from the BilledMonth in Python. Nothing here reads millions of rows into pandas:
a dataset has at most as many rows as there are reference rows, files, groups or documents.

The modules `inputs` and `outputs` import great_expectations (about 3 s): import them only
when a run validates (pipeline.validation.gates does so lazily).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Check:
    """One expectation with what a reader of the report needs: a stable id, the rule, why."""

    id: str  # stable, unique within its suite: cited by tests and in messages
    expectation: Any  # a great_expectations.expectations.Expectation
    rule: str  # "R60", "data contract", ...
    description: str  # one plain sentence: what must hold
    # Optional DuckDB query (bound parameters only) that fetches up to a few source rows
    # behind a failure, when the dataset is an aggregate whose rows are not source rows.
    samples_sql: str | None = None


@dataclass(frozen=True)
class Suite:
    name: str  # "inputs.customers"
    dataset: str  # what the rows are, for the report: "customers.csv, one row per customer"
    build: Callable[..., pd.DataFrame]  # (context) -> DataFrame
    checks: tuple[Check, ...]
    # columns that identify a row of the dataset in a message (file row, number, file name)
    key_columns: tuple[str, ...] = ()
    # label prefixed to a sample row ("customers.csv"): with `source_row` it names file and row
    file_label: str = ""
    parameters: Callable[..., dict[str, Any]] = field(default=lambda ctx: {})


def sql_frame(sql: str) -> Callable[..., pd.DataFrame]:
    """A dataset built by one DuckDB query (the context has `con` and `params`)."""

    def build(ctx: Any) -> pd.DataFrame:
        return ctx.query(sql)

    return build


# Exact count of distinct integers (row numbers) in one pass without a hash table: one bit per
# value between the smallest and the largest, per group (bitstring_agg, then bit_count). A
# `count(distinct ...)` over 10M row numbers costs seconds; the bitmap, a tenth of a second.
# Beyond these sizes (row numbers spread far apart, many groups), count(distinct ...) again.
BITMAP_MAX_RANGE = 1 << 26  # values per group: 8 MiB of bits
BITMAP_MAX_BITS = 1 << 30  # over all groups: 128 MiB


def count_distinct_integers(column: str, low: Any, high: Any, groups: int) -> str:
    """SQL for the exact number of distinct non-null values of an integer `column` in a group,
    given the smallest and largest value of the column over the whole query (`low`, `high`,
    as computed by a first query) and the number of groups."""
    integers = all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high))
    if integers and 0 <= high - low < BITMAP_MAX_RANGE:
        if (high - low + 1) * max(groups, 1) <= BITMAP_MAX_BITS:
            return f"coalesce(bit_count(bitstring_agg({column}, {int(low)}, {int(high)})), 0)"
    return f"count(distinct {column})"
