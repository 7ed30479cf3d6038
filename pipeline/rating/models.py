"""Stage and rate one month of usage in DuckDB (R10-R25, R40-R41).

Runs the SQL models in order; every model is one table. Python only orders the steps and
stops on bad registration rows. The month reaches SQL as the one-row table `run_params`
(month_start, month_end: the instant range of R1), created with bound values: the models stay
plain SQL that sqlfluff can lint and another engine (Spark) can run unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.core.data_contract import FAIR_USE, RATED_CALLS, RATED_CALLS_FILE, REJECTS
from pipeline.core.dates import Month
from pipeline.core.db import connect, insertion_order_free, model_sql, run_model, sql_literal
from pipeline.core.errors import InputError
from pipeline.core.language import language
from pipeline.core.progress import stage
from pipeline.inputs.cdrs import CDR_COLUMNS, REGISTRATION_COLUMNS, billed_ids_table, load_raw
from pipeline.inputs.reference import load_reference, register

RATING_MODELS = (
    ("staging", "stg_cdr_fields"),
    ("staging", "stg_cdrs"),
    ("staging", "stg_registrations"),
    ("rating", "rat_numbers"),
    ("rating", "rat_destinations"),
    ("rating", "rat_call_days"),
    ("rating", "rat_tariff_days"),
    ("rating", "rat_plan_days"),
    ("rating", "rat_calls"),
    ("rating", "rat_tariffed"),
    ("rating", "rat_fair_use"),
    ("rating", "rat_priced"),
    ("rating", "rated_calls"),
    ("rating", "rejects"),
    ("rating", "reconciliation"),
    ("billing", "usage_lines"),
    ("billing", "fair_use_report"),
)
# The per-call models between stg_cdrs and rated_calls are views: a table of every call per
# model cost memory (about 200 bytes per call and model) and more time to write than the
# joins they save when read again (rat_tariffed is read by rat_fair_use, rat_priced and
# rejects; measured at 10M in docs/performance.md). The only other copy of every call is
# rated_calls.parquet, written once (write_rated_calls_file).
VIEWS = {"stg_cdr_fields", "rat_calls", "rat_tariffed", "rat_priced"}
# stg_cdrs in the run's scratch folder (write_staged_cdrs_file), beside rated_calls.parquet
STAGED_CDRS_FILE = "stg_cdrs.parquet"
# A scratch file read by this run only: no dictionaries (its strings are mostly distinct: cdr_id,
# caller, callee; DuckDB built one per column and row group before giving up) and parquet v2's
# encodings. Issue 32, 10M calls, three alternated runs: the write 7.4-8.0 s instead of
# 8.8-10.6 s, read back as fast (1.1-1.3 s for a scan of 7 columns), 337 MB instead of 323 MB.
STAGED_CDRS_OPTIONS = "compression lz4, parquet_version v2, dictionary_size_limit 1"
# the stage each model is timed under (pipeline.core.progress, the benchmark's table)
STAGES = {
    "stg_cdr_fields": "staging",
    "stg_cdrs": "staging",
    "stg_registrations": "staging",
    "rat_fair_use": "fair_use",
    "fair_use_report": "fair_use",
}


def month_params(month: Month) -> dict[str, Any]:
    return {"month_start": month.start_utc, "month_end": month.end_utc}


# R41 DURATION_TOO_LONG when provider.toml does not set max_call_duration_s
DEFAULT_MAX_CALL_DURATION_S = 86_400


def set_run_params(
    con: duckdb.DuckDBPyConnection,
    month: Month,
    max_call_duration_s: int = DEFAULT_MAX_CALL_DURATION_S,
    until: datetime | None = None,
) -> None:
    """The one-row table `run_params` the models read the month from, and the longest call
    billed (R41 DURATION_TOO_LONG): bound, never formatted. `until` (the fraud watch, R26):
    the period ends there instead of at the month's end, so the models rate the month to date
    as if its files stopped at that instant (later calls are OUT_OF_PERIOD)."""
    params = month_params(month)
    if until is not None:
        params["month_end"] = min(params["month_end"], until)
    con.execute(
        "create or replace table run_params as select cast($month_start as timestamptz) "
        "as month_start, cast($month_end as timestamptz) as month_end, "
        "cast($max_call_duration_s as bigint) as max_call_duration_s",
        {**params, "max_call_duration_s": max_call_duration_s},
    )


def rate_month(
    con: duckdb.DuckDBPyConnection,
    data: Path,
    month: Month,
    billed_id_files: list[tuple[str, Path]],
    scratch: Path | None = None,
    max_call_duration_s: int = DEFAULT_MAX_CALL_DURATION_S,
    engine: str = "duckdb",
    until: datetime | None = None,
) -> list[str]:
    """Load and rate the month; return the CDR files read (relative to data).

    `engine`: "duckdb" (the default), or "spark": the same models, transpiled, run on a Spark
    session (pipeline/rating/spark/, docs/spark.md); `con` then gets the models' outputs as
    views over Spark's files, and the rest of the run does not know the difference.

    `scratch`: a folder of the run's own. rated_calls is then written once, in no particular
    order, as scratch/rated_calls.parquet (the file the month publishes), read back as a view,
    instead of a table of every call in memory followed by a second pass to write the file
    (docs/performance.md); stg_cdrs is written there too (write_staged_cdrs_file). Without it
    (explain, tests) both are in-memory tables.

    `until` (the fraud watch, R26, DuckDB only): rate the calls started before that instant
    only (a parquet file's typed start times skip the row groups after it), with the same
    models up to `rated_calls`, left a view; nothing is written."""
    if engine == "spark":
        if scratch is None:
            raise ValueError("--engine spark needs the run's scratch folder")
        from pipeline.rating.spark.engine import rate_month_spark

        set_run_params(con, month, max_call_duration_s)
        files = rate_month_spark(
            con, data, month, billed_id_files, scratch, RATING_MODELS, VIEWS, STAGES
        )
        _stop_on_bad_registration(con, data)
        return files
    if engine != "duckdb":
        raise ValueError(f"unknown engine {engine!r} (duckdb or spark)")
    with stage("load", "cdrs"):
        files = load_raw(
            con, data, "cdrs", str(month), CDR_COLUMNS, "raw_cdrs", required=True, before=until
        )
    with stage("load", "registrations"):
        load_raw(
            con,
            data,
            "registrations",
            str(month),
            REGISTRATION_COLUMNS,
            "raw_registrations",
            required=False,
        )
    with stage("load", "billed_cdr_ids"):
        billed_ids_table(con, billed_id_files)
    set_run_params(con, month, max_call_duration_s, until)
    for layer, name in RATING_MODELS:
        if until is not None and name == "rated_calls":
            # the watch reads one day of it: a view computes only the rows read, and the
            # models after it (rejects, reconciliation, lines) are the bill's, not the watch's
            with stage("rating", name):
                run_model(con, layer, name, view=True)
            break
        with stage(STAGES.get(name, "rating"), name):
            if name == "rated_calls" and scratch is not None:
                write_rated_calls_file(con, scratch / RATED_CALLS_FILE)
            elif name == "stg_cdrs" and scratch is not None:
                write_staged_cdrs_file(con, scratch / STAGED_CDRS_FILE)
            else:
                run_model(con, layer, name, view=name in VIEWS)
        if name == "stg_registrations":
            _stop_on_bad_registration(con, data)
    return files


def write_staged_cdrs_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """sql/staging/stg_cdrs.sql written as a parquet file of the run's scratch folder
    (STAGED_CDRS_OPTIONS), `stg_cdrs` a view over it (issue 18).

    As an in-memory table, stg_cdrs holds about 160 bytes per call: 1.6 GB at 10M calls, more
    than the default memory limit (1280MB), so DuckDB spilled most of it and every later query
    (fair use, rejects, the rated_calls write, the inputs gate) worked with what was left, and
    spilled again. The file holds the same rows in 340 MB at 10M and is read column by column.
    Measured at 10M (docs/performance.md): staging slower by about 2.5 s (the write), the
    rest of the rating faster by about 9 s. Its rows are in no particular order (no reader
    depends on it: every listing orders, every aggregate is order-free)."""
    literal = sql_literal(str(path))  # COPY and read_parquet take a literal
    with insertion_order_free(con):
        con.execute(
            f"copy (\n{model_sql('staging', 'stg_cdrs').strip().rstrip(';')}\n) to {literal} "
            f"(format parquet, {STAGED_CDRS_OPTIONS})"
        )
    con.execute(f"create or replace view stg_cdrs as select * from read_parquet({literal})")


def write_rated_calls_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """sql/rating/rated_calls.sql written as rated_calls.parquet: the data-contract columns and
    what an auditor reads per call (contract.RATED_CALLS: start, tariff version, source row;
    issue 18, decision 2); `rated_calls` becomes a view over the file, so the run's later
    models read those columns only. Amounts stay DECIMAL(18,4) (decimal128 in Arrow). The
    model's other columns (the facts `billing explain` adds) are computed again when asked
    for (call_facts_rated_again).

    Deterministic in content, not in row order (issue 18, decision 1): the rows follow DuckDB's
    parallel joins. Audits and R64 compare the file by content (pipeline/ledger/compare.py),
    every reader orders what it lists, and the manifest hashes the file as written. The sort
    by cdr_id it replaces was 40 % of the rating stage (docs/performance.md)."""
    cols = ", ".join(RATED_CALLS.names)
    literal = sql_literal(str(path))  # COPY and read_parquet take a literal
    con.execute(
        f"copy (select {cols} from (\n{model_sql('rating', 'rated_calls').strip().rstrip(';')}\n)) "
        f"to {literal} (format parquet, compression zstd)"
    )
    con.execute(f"create or replace view rated_calls as select * from read_parquet({literal})")


def _stop_on_bad_registration(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    bad = con.execute(
        "select source_file, row_number, problem from stg_registrations "
        "where problem is not null order by source_file, row_number limit 1"
    ).fetchone()
    if bad:
        problem = _registration_problem(bad[2])
        if bad[0].endswith(".parquet"):
            raise InputError(problem, file=str(data / bad[0]), row=bad[1])
        raise InputError(problem, file=str(data / bad[0]), line=bad[1] + 1)  # after the header


# the problems of sql/staging/stg_registrations.sql in French (the model says them in English)
_REGISTRATION_PROBLEMS = (
    (re.compile(r"has (\d+) fields, the header has (\d+)"), "{0} champs, l'en-tête en a {1}"),
    (re.compile(r"(\w+) is empty"), "{0} est vide"),
    (
        re.compile(r"(\w+) is not an ISO 8601 timestamp"),
        "{0} n'est pas une date et heure ISO 8601",
    ),
    (re.compile(r"expires_at is before registered_at"), "expires_at est antérieur à registered_at"),
)


def _registration_problem(problem: str) -> str:
    """A bad registration row's problem in the language of messages."""
    if language() == "fr":
        for pattern, french in _REGISTRATION_PROBLEMS:
            match = pattern.fullmatch(problem)
            if match:
                return french.format(*match.groups())
    return problem


def rate_folders(
    month: Month, data: Path, rates: Path, billed_id_files: list[tuple[str, Path]] | None = None
) -> duckdb.DuckDBPyConnection:
    """Load the reference data and rate the month in a fresh in-memory database, issuing
    nothing (used by `billing explain` for a month not issued yet, and by tests)."""
    con = connect()
    ref = load_reference(data, rates)
    register(con, ref)
    rate_month(
        con,
        data,
        month,
        billed_id_files or [],
        max_call_duration_s=ref.provider["max_call_duration_s"],
    )
    return con


def call_facts_rated_again(
    month: Month,
    ref: Any,
    data: Path,
    billed_id_files: list[tuple[str, Path]],
    cdr_id: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Rate the month in a fresh in-memory database and return what `billing explain` shows of
    `cdr_id`: its rated rows with every column of sql/rating/rated_calls.sql (more than
    rated_calls.parquet keeps: the number as dialled, the device, the tariff's figures, the
    plan, the forwarding allowance used before), in the order of file and row; its reject rows
    (contract.REJECTS); the fair-use report by SIP account (contract.FAIR_USE). Nothing is
    written; the whole month is rated (R20-R23 and R21 depend on the account's other calls)."""
    con = connect()
    try:
        register(con, ref)
        rate_month(
            con,
            data,
            month,
            billed_id_files,
            max_call_duration_s=ref.provider["max_call_duration_s"],
        )
        rated = _rows(
            con,
            "select * from rated_calls where cdr_id = ? order by source_file, row_number",
            [cdr_id],
        )
        rejected = _rows(
            con,
            f"select {', '.join(REJECTS.names)} from rejects where cdr_id = ? "
            "order by source_file, row_number",
            [cdr_id],
        )
        fair_use = {
            r["sip_account"]: r
            for r in _rows(
                con, f"select {', '.join(FAIR_USE.names)} from fair_use_report order by 1", []
            )
        }
        return rated, rejected, fair_use
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def rated_call_rows(path: Path, cdr_id: str) -> list[dict[str, Any]]:
    """The rows of rated_calls.parquet `path` with this cdr_id, values as DuckDB types them
    (timestamps in Europe/Paris, amounts Decimal), in the order of their file and row (the
    file itself has no order)."""
    con = connect()
    try:
        return _rows(
            con,
            "select * from read_parquet(?) where cdr_id = ? order by source_file, row_number",
            [str(path), cdr_id],
        )
    finally:
        con.close()
