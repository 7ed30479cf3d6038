"""DuckDB connection and the SQL model runner.

Each file under sql/<layer>/ is one model: a single select (a chain of named CTEs ending in
`select * from final`) that becomes the table named after the file. Values reach SQL as bound
parameters ($month_start, ...), never formatted into the text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def connect(
    memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    # Timestamps without offset are Europe/Paris local time (data contract), and casting a
    # timestamptz to date gives the Paris calendar day (R1).
    con.execute("set TimeZone = 'Europe/Paris'")
    if memory_limit:
        con.execute("set memory_limit = ?", [memory_limit])
    if threads:
        con.execute("set threads = ?", [threads])
    return con


def model_sql(layer: str, name: str) -> str:
    return (SQL_DIR / layer / f"{name}.sql").read_text(encoding="utf-8")


def run_model(
    con: duckdb.DuckDBPyConnection, layer: str, name: str, params: dict[str, Any] | None = None
) -> None:
    """Materialise sql/<layer>/<name>.sql as table <name>, binding only the parameters it uses."""
    sql = model_sql(layer, name).strip().rstrip(";")
    used = set(_PARAM.findall(sql))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    missing = used - bound.keys()
    if missing:
        raise KeyError(f"sql/{layer}/{name}.sql needs parameter(s) {sorted(missing)}")
    con.execute(f'create or replace table "{name}" as\n{sql}', bound)
