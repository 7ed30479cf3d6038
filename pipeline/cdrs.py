"""Read every CDR file of a month into DuckDB as raw text fields (R40).

Every physical line after the header becomes one row of `raw_cdrs`, with its file, row number
(1-based, header excluded: row N is line N+1 of a CSV) and raw text, so that nothing is lost
and a reject can be traced to its line. Typing and rejects happen in sql/staging/stg_cdrs.sql.

CSV fast path: a line is split on commas in SQL. A line that contains a double quote is parsed
by Python's csv module instead (quoted fields are legal CSV but rare in switch exports).
Blank lines are not records and are not counted.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.errors import InputError

CDR_COLUMNS = (
    "cdr_id",
    "sip_account",
    "direction",
    "caller",
    "callee",
    "start_time",
    "duration_s",
    "device_id",
)
REGISTRATION_COLUMNS = ("sip_account", "device_id", "registered_at", "expires_at")
SUFFIXES = (".csv", ".csv.gz", ".parquet")
_UNIT_SEPARATOR = "\x1f"  # never in a CDR: each line is read whole as one field


def month_files(data: Path, folder: str, month: str, required: bool) -> list[Path]:
    """Files of data/<folder>/<month>/ in name order (R41: files taken in name order)."""
    directory = data / folder / month
    if not directory.is_dir():
        if required:
            raise InputError(
                f"no folder {folder}/{month}/ in the data folder: put the month's files there "
                "(an empty folder means a month without usage)",
                file=str(data),
            )
        return []
    files = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.is_dir():
            continue
        if not path.name.endswith(SUFFIXES):
            raise InputError(
                f"not a {folder} file (expected .csv, .csv.gz or .parquet)", file=str(path)
            )
        files.append(path)
    return files


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            line = handle.readline()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"cannot read the file: {exc}", file=str(path)) from exc
    return [h.strip().lstrip("\ufeff") for h in next(csv.reader([line]), [])]


def _positions(path: Path, header: list[str], columns: tuple[str, ...]) -> list[int]:
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", file=str(path))
    return [header.index(c) for c in columns]


def _load_csv(con, path: Path, rel: str, columns: tuple[str, ...], table: str) -> None:
    header = _header(path)
    positions = _positions(path, header, columns)
    field_exprs = ", ".join(
        f"nullif(trim(parts[{p + 1}]), '') as {c}" for c, p in zip(columns, positions, strict=True)
    )
    # one scan of the file: every line whole, numbered in file order (the streaming window
    # keeps the scan order), then split in SQL; quoted lines go to Python's csv module
    con.execute(
        """
        create or replace temp table _cdr_lines as
        select raw, row_number() over () as row_number
        from read_csv(?, columns = {'raw': 'VARCHAR'}, header = false, skip = 1,
                      delim = ?, quote = '', escape = '', auto_detect = false,
                      compression = 'auto')
        """,
        [str(path), _UNIT_SEPARATOR],
    )
    con.execute(
        f"""
        insert into {table}
        with split as (
            select row_number, raw, string_split(raw, ',') as parts
            from _cdr_lines
            where raw is not null and trim(raw) <> '' and not contains(raw, '"')
        )
        select ? as source_file, row_number, raw,
               len(parts) as n_fields, ? as expected_fields, {field_exprs}
        from split
        """,
        [rel, len(header)],
    )
    quoted = con.execute(
        "select row_number, raw from _cdr_lines where contains(raw, '\"') order by row_number"
    ).fetchall()
    con.execute("drop table _cdr_lines")
    if quoted:
        # through Arrow, not executemany: a switch that quotes every field sends every line here
        names = ("source_file", "row_number", "raw", "n_fields", "expected_fields", *columns)
        values: list[list] = [[] for _ in names]
        for number, raw in quoted:
            parts = next(csv.reader([raw]), [])
            fields = [(parts[p].strip() or None) if p < len(parts) else None for p in positions]
            for column, value in zip(
                values, [rel, number, raw, len(parts), len(header), *fields], strict=True
            ):
                column.append(value)
        con.register("_quoted_lines", pa.table(dict(zip(names, values, strict=True))))
        con.execute(f"insert into {table} select * from _quoted_lines")
        con.unregister("_quoted_lines")


def _load_parquet(con, path: Path, rel: str, columns: tuple[str, ...], table: str) -> None:
    try:
        names = [
            r[0]
            for r in con.execute(
                "select name from parquet_schema(?) where name <> 'schema' and num_children is null",
                [str(path)],
            ).fetchall()
        ]
    except duckdb.Error as exc:
        raise InputError(f"not a readable parquet file: {exc}", file=str(path)) from exc
    _positions(path, names, columns)
    casts = ", ".join(f"nullif(trim(cast(\"{c}\" as varchar)), '') as {c}" for c in columns)
    raw = " || ',' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in columns)
    con.execute(
        f"""
        insert into {table}
        select ? as source_file, file_row_number + 1 as row_number, {raw} as raw,
               {len(columns)} as n_fields, {len(columns)} as expected_fields, {casts}
        from read_parquet(?, file_row_number = true)
        """,
        [rel, str(path)],
    )


def load_raw(
    con: duckdb.DuckDBPyConnection,
    data: Path,
    folder: str,
    month: str,
    columns: tuple[str, ...],
    table: str,
    required: bool,
) -> list[str]:
    """Create `table` with one row per record of every file, and `<table>_files` with one row
    per file (an empty file too, for the R40 reconciliation); return the files' relative paths."""
    cols = ", ".join(f"{c} varchar" for c in columns)
    con.execute(
        f"create or replace table {table} (source_file varchar, row_number bigint, raw varchar, "
        f"n_fields bigint, expected_fields bigint, {cols})"
    )
    con.execute(f"create or replace table {table}_files (source_file varchar)")
    rels = []
    for path in month_files(data, folder, month, required):
        rel = path.relative_to(data).as_posix()
        rels.append(rel)
        con.execute(f"insert into {table}_files values (?)", [rel])
        try:
            if path.name.endswith(".parquet"):
                _load_parquet(con, path, rel, columns, table)
            else:
                _load_csv(con, path, rel, columns, table)
        except duckdb.Error as exc:
            raise InputError(f"cannot read the file: {exc}", file=str(path)) from exc
    return rels


def billed_ids_table(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """Table `billed_cdr_ids` of the cdr_ids rated in months already issued (R41 DUPLICATE)."""
    con.execute("create or replace table billed_cdr_ids (cdr_id varchar, month varchar)")
    for f in files:
        con.execute(
            "insert into billed_cdr_ids select cdr_id, ? from read_parquet(?)",
            [f.parent.name, str(f)],
        )
