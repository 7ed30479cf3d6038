"""DuckDB connection and the SQL model runner.

Each file under sql/<layer>/ is one model: a single select (a chain of named CTEs ending in
`select * from final`) that becomes the table named after the file. Values reach SQL as bound
parameters ($month_start, ...), never formatted into the text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


# DuckDB's memory limit when BILLING_MEMORY_LIMIT is not set: a run's peak RSS is about the
# limit plus 0.6 GB (Python, great-expectations, Arrow buffers), so a 10M-CDR month stays
# within 2 GB (1.88 GB measured, docs/performance.md). DuckDB's own default is 80 % of RAM
# (12.9 GB at 10M). A larger month spills to BILLING_TEMP_DIR instead of failing.
DEFAULT_MEMORY_LIMIT = "1280MB"

# Settings read from the environment (docs/performance.md): name -> help.
SETTINGS = {
    "BILLING_MEMORY_LIMIT": f"DuckDB memory limit of a run, e.g. 4GB (default: "
    f"{DEFAULT_MEMORY_LIMIT}: a 10M-CDR month within 2 GB of RSS); beyond it DuckDB spills to "
    "BILLING_TEMP_DIR",
    "BILLING_TEMP_DIR": "folder where DuckDB spills when over the memory limit (default: "
    "DuckDB's, .tmp under the working folder)",
    "BILLING_THREADS": "DuckDB threads (default: one per core)",
    "BILLING_PROGRESS": "0 hides the progress lines (one per phase of the run, on stderr)",
}


def connect(
    memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    # Timestamps without offset are Europe/Paris local time (data contract), and casting a
    # timestamptz to date gives the Paris calendar day (R1).
    con.execute("set TimeZone = 'Europe/Paris'")
    memory_limit = memory_limit or os.environ.get("BILLING_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    threads = threads or int(os.environ.get("BILLING_THREADS") or 0) or None
    spill = temp_dir()
    if memory_limit:
        con.execute("set memory_limit = ?", [memory_limit])
    if spill:
        con.execute("set temp_directory = ?", [spill])
    if threads:
        con.execute("set threads = ?", [threads])
    return con


def temp_dir() -> str | None:
    """BILLING_TEMP_DIR (created if missing), else None: the system's temporary folder."""
    path = os.environ.get("BILLING_TEMP_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
    return path or None


@contextmanager
def insertion_order_free(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's `preserve_insertion_order` off for the statements in the block, then back to
    what it was: for a statement whose output is read by content only, DuckDB then writes each
    thread's rows as they come instead of reassembling the input's order. Used for the staged
    CDRs' file (pipeline.rating.models.write_staged_cdrs_file). Measured at 10M: a bare copy of
    16 columns to parquet 19-22 s -> 12 s, but the rated_calls write (its joins reorder
    already) no faster, and the whole rating slower with it on for every statement
    (docs/performance.md). Never for a result that is listed or hashed in its order."""
    (before,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if before else 'false'}")


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal, quotes doubled: for the statements that cannot take a
    bound parameter (a view's definition, COPY's and read_parquet's file names). Only for our
    own values (file paths, time zone texts), never to build a query from user input."""
    return "'" + text.replace("'", "''") + "'"


def model_sql(layer: str, name: str) -> str:
    return (SQL_DIR / layer / f"{name}.sql").read_text(encoding="utf-8")


def run_model(
    con: duckdb.DuckDBPyConnection,
    layer: str,
    name: str,
    params: dict[str, Any] | None = None,
    view: bool = False,
) -> None:
    """Materialise sql/<layer>/<name>.sql as table <name>, binding only the parameters it uses;
    `view`: create it as a view instead (computed where it is read: no copy in memory)."""
    sql = model_sql(layer, name).strip().rstrip(";")
    used = set(_PARAM.findall(sql))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    missing = used - bound.keys()
    if missing:
        raise KeyError(f"sql/{layer}/{name}.sql needs parameter(s) {sorted(missing)}")
    if view:
        if bound:
            raise ValueError(f"sql/{layer}/{name}.sql: a view cannot hold bound parameters")
        con.execute(f'create or replace view "{name}" as\n{sql}')
        return
    con.execute(f'create or replace table "{name}" as\n{sql}', bound)
