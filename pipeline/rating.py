"""Stage and rate one month of usage in DuckDB (R10-R25, R40-R41).

Runs the SQL models in order; every model is one table. Python only orders the steps and
stops on bad registration rows. The month reaches SQL as the one-row table `run_params`
(month_start, month_end: the instant range of R1), created with bound values: the models stay
plain SQL that sqlfluff can lint and another engine (Spark) can run unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline.cdrs import CDR_COLUMNS, REGISTRATION_COLUMNS, billed_ids_table, load_raw
from pipeline.dates import Month
from pipeline.db import connect, run_model
from pipeline.errors import InputError
from pipeline.progress import stage
from pipeline.reference import load_reference, register

RATING_MODELS = (
    ("staging", "stg_cdr_fields"),
    ("staging", "stg_cdrs"),
    ("staging", "stg_registrations"),
    ("rating", "rat_numbers"),
    ("rating", "rat_destinations"),
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
# Models read once, right after they are defined, are views: a copy of every call per model
# would cost memory (about 200 bytes per call and model) and time (docs/performance.md).
VIEWS = {"stg_cdr_fields", "rat_calls", "rat_priced"}
# the stage each model is timed under (pipeline.progress, the benchmark's table)
STAGES = {
    "stg_cdr_fields": "staging",
    "stg_cdrs": "staging",
    "stg_registrations": "staging",
    "rat_fair_use": "fair_use",
    "fair_use_report": "fair_use",
}


def month_params(month: Month) -> dict[str, Any]:
    return {"month_start": month.start_utc, "month_end": month.end_utc}


def set_run_params(con: duckdb.DuckDBPyConnection, month: Month) -> None:
    """The one-row table `run_params` the models read the month from (bound, never formatted)."""
    con.execute(
        "create or replace table run_params as select cast($month_start as timestamptz) "
        "as month_start, cast($month_end as timestamptz) as month_end",
        month_params(month),
    )


def rate_month(
    con: duckdb.DuckDBPyConnection, data: Path, month: Month, billed_id_files: list[Path]
) -> list[str]:
    """Load and rate the month; return the CDR files read (relative to data)."""
    with stage("load", "cdrs"):
        files = load_raw(con, data, "cdrs", str(month), CDR_COLUMNS, "raw_cdrs", required=True)
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
    set_run_params(con, month)
    for layer, name in RATING_MODELS:
        with stage(STAGES.get(name, "rating"), name):
            run_model(con, layer, name, view=name in VIEWS)
        if name == "stg_registrations":
            _stop_on_bad_registration(con, data)
    return files


def _stop_on_bad_registration(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    bad = con.execute(
        "select source_file, row_number, problem from stg_registrations "
        "where problem is not null order by source_file, row_number limit 1"
    ).fetchone()
    if bad:
        raise InputError(bad[2], file=str(data / bad[0]), row=bad[1])


def rate_folders(
    month: Month, data: Path, rates: Path, billed_id_files: list[Path] | None = None
) -> duckdb.DuckDBPyConnection:
    """Load the reference data and rate the month in a fresh in-memory database, issuing
    nothing (used by `billing explain` for a month not issued yet, and by tests)."""
    con = connect()
    register(con, load_reference(data, rates))
    rate_month(con, data, month, billed_id_files or [])
    return con
