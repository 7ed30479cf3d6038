"""Read every CDR file of a month into DuckDB as raw text fields (R40).

Every physical line after the header becomes one row of `raw_cdrs`, with its file, row number
(1-based, header excluded: row N is line N+1 of a CSV) and raw text, so that nothing is lost
and a reject can be traced to its line. Typing and rejects happen in sql/staging/stg_cdrs.sql.

CSV fast path: a line is split on commas in SQL. A line that contains a double quote is split
by the CSV quoting rules, in SQL too (`csv_fields`): no Python loop over lines, even for a
switch that quotes every field.
Blank lines are not records and are not counted.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.core import data_contract as contract
from pipeline.core.db import sql_literal
from pipeline.core.errors import InputError
from pipeline.core.language import say

CDR_COLUMNS = contract.CDRS.names
REGISTRATION_COLUMNS = contract.REGISTRATIONS.names
SUFFIXES = (".csv", ".csv.gz", ".parquet")
_UNIT_SEPARATOR = "\x1f"  # never in a CDR: each line is read whole as one field
# Lines are read up to this size (DuckDB's default, 2 MB, stopped the whole month on one long
# line); staging rejects a line longer than LONGEST_CDR as MALFORMED. A line ends at LF, CRLF
# or a lone CR (as Python's csv module and Spark's text reader read them): a file whose line
# ends are all LF or all CRLF is read by DuckDB; any other (`scan_text`) line by line here.
MAX_LINE_BYTES = 64 << 20
# DuckDB's CSV buffer is 16 times max_line_size by default: 1 GiB a thread, which a 2.7 GB
# file (30M CDRs) could not get under a 2 GB memory limit. Two lines' worth is enough.
CSV_BUFFER_BYTES = 2 * MAX_LINE_BYTES
LONGEST_CDR = 65_536


def first_line(exc: BaseException) -> str:
    """A reader library's error as one line (DuckDB's CSV errors run to twenty)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def unreadable(why: object) -> str:
    """'cannot read the file: ...', the reader's own words (a library's, in English) after it."""
    return say(f"fichier illisible : {why}", f"cannot read the file: {why}")


def not_parquet(why: object) -> str:
    """'not a readable parquet file: ...', the reader's own words after it."""
    return say(f"fichier parquet illisible : {why}", f"not a readable parquet file: {why}")


def month_files(data: Path, folder: str, month: str, required: bool) -> list[Path]:
    """Files of data/<folder>/<month>/ in name order (R41: files taken in name order)."""
    directory = data / folder / month
    if not directory.is_dir():
        if required:
            raise InputError(
                say(
                    f"pas de dossier {folder}/{month}/ dans le dossier de données : déposez-y "
                    "les fichiers du mois (un dossier vide signifie un mois sans consommation)",
                    f"no folder {folder}/{month}/ in the data folder: put the month's files "
                    "there (an empty folder means a month without usage)",
                ),
                file=str(data),
            )
        return []
    files = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.is_dir():
            continue
        if not path.name.endswith(SUFFIXES):
            raise InputError(
                say(
                    f"pas un fichier {folder} (.csv, .csv.gz ou .parquet attendu)",
                    f"not a {folder} file (expected .csv, .csv.gz or .parquet)",
                ),
                file=str(path),
            )
        files.append(path)
    return files


def months_with_usage(data: Path, before: str) -> list[str]:
    """The months of data/cdrs/ before `before` (YYYY-MM) that hold at least one CDR file."""
    folder = data / "cdrs"
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir()
        and len(p.name) == 7
        and p.name < before
        and any(f.is_file() and f.name.endswith(SUFFIXES) for f in p.iterdir())
    )


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            line = handle.readline()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(unreadable(exc), file=str(path)) from exc
    return [h.strip().lstrip("\ufeff") for h in next(csv.reader([line]), [])]


def column_positions(path: Path, names: list[str], columns: tuple[str, ...]) -> list[int]:
    """Where each of `columns` is among `names` (a CSV header, a parquet file's columns),
    0-based, in the order of `columns`; InputError naming `path` when one is missing. The
    DuckDB and Spark loaders both check a file's columns here."""
    missing = [c for c in columns if c not in names]
    if missing:
        missing_names = ", ".join(missing)
        raise InputError(
            say(f"colonne(s) absente(s) : {missing_names}", f"missing column(s): {missing_names}"),
            file=str(path),
        )
    return [names.index(c) for c in columns]


@dataclass(frozen=True)
class CsvColumns:
    """What a CSV file's header says about its lines: how many fields a line has, and where
    each column a loader reads is in it."""

    fields: int  # the header's fields: a line with another number of fields is MALFORMED
    positions: list[int]  # 0-based, in the order of the columns asked for


def csv_columns(path: Path, columns: tuple[str, ...]) -> CsvColumns:
    """The header of a CSV file (gzip or not) read, and `columns` found in it (InputError
    naming the file when it cannot be read or a column is missing): the same reading for the
    DuckDB loader (`load_raw`) and the Spark one (pipeline.rating.spark.loader)."""
    header = _header(path)
    return CsvColumns(len(header), column_positions(path, header, columns))


_SCAN_CHUNK = 16 << 20


def scan_text(path: Path) -> bool:
    """Check a CSV file (gzip or not) in one pass: it must be UTF-8 (else InputError naming
    the line), and say whether its line ends are irregular: a lone CR, or LF and CRLF both.
    DuckDB's line reader gets those wrong (measured with DuckDB 1.4 / 2.0: in a file that starts
    with LF a CRLF counts as two line ends, so every later row number is off by one; in a CRLF
    file a lone CR swallows the next character), so `_load_csv` reads such a file itself. The
    UTF-8 check is here for the Spark loader too, whose text reader would replace the bytes."""
    opener = gzip.open if path.name.endswith(".gz") else open
    decoder = codecs.getincrementaldecoder("utf-8")()
    crs = crlfs = offset = 0
    ends_with_cr = lone_lf = False
    try:
        with opener(path, "rb") as handle:
            while chunk := handle.read(_SCAN_CHUNK):
                try:
                    # ASCII (most CDR files) is UTF-8: checked at memory speed, unless the
                    # chunk before ended inside a character
                    if not chunk.isascii() or decoder.getstate()[0]:
                        decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line, byte = _line_at(path, offset + exc.start), chunk[exc.start]
                    raise InputError(
                        say(
                            f"fichier illisible : la ligne {line} n'est pas du texte UTF-8 "
                            f"(octet 0x{byte:02x})",
                            f"cannot read the file: line {line} is not UTF-8 text "
                            f"(byte 0x{byte:02x})",
                        ),
                        file=str(path),
                    ) from exc
                # counted only where a chunk has a CR (an LF file is looked at by memchr);
                # a CRLF split between two chunks counts in the second
                boundary = ends_with_cr and chunk.startswith(b"\n")
                if chunk.find(b"\r") < 0:
                    lone_lf = lone_lf or chunk.find(b"\n", 1 if boundary else 0) >= 0
                    crlfs += boundary
                else:
                    in_chunk = chunk.count(b"\r\n") + boundary
                    crs += chunk.count(b"\r")
                    crlfs += in_chunk
                    lone_lf = lone_lf or chunk.count(b"\n") > in_chunk
                ends_with_cr = chunk.endswith(b"\r")
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise InputError(
            say(
                "fichier illisible : il se termine au milieu d'un caractère UTF-8",
                "cannot read the file: it ends inside a UTF-8 character",
            ),
            file=str(path),
        ) from exc
    except (OSError, EOFError) as exc:
        raise InputError(unreadable(exc), file=str(path)) from exc
    return crs != crlfs or (crlfs > 0 and lone_lf)


def _line_at(path: Path, position: int) -> int:
    """The line (1-based, the header is line 1) holding byte `position` of the file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    lines = 1
    with opener(path, "rb") as handle:
        while position > 0 and (chunk := handle.read(min(position, _SCAN_CHUNK))):
            lines += chunk.count(b"\n")
            position -= len(chunk)
    return lines


def _insert_lines(con, path: Path, file_no: int, table: str) -> None:
    """`<table>_lines` of a file whose line ends are all LF or all CRLF: DuckDB's reader."""
    con.execute(
        f"""
        insert into {table}_lines
        select * from (
            select ? as file_no, row_number() over () as row_number, raw
            from read_csv(?, columns = {{'raw': 'VARCHAR'}}, header = false, skip = 1,
                          delim = ?, quote = '', escape = '', auto_detect = false,
                          compression = 'auto', strict_mode = false,
                          max_line_size = {MAX_LINE_BYTES},
                          buffer_size = {CSV_BUFFER_BYTES})
        )
        where raw is not null and (not starts_with(raw, ' ') or trim(raw) <> '')
        """,
        [file_no, str(path), _UNIT_SEPARATOR],
    )


_LINE_END = re.compile(r"\r\n|\r|\n")


def _irregular_batches(path: Path):
    """(row_number, raw) batches of every line after the header of a file with irregular
    line ends, split at LF, CRLF or a lone CR, one chunk at a time (memory stays a chunk's,
    whatever the file). A CR that ends a chunk waits for the next: it may be half a CRLF."""
    import pyarrow as pa

    opener = gzip.open if path.name.endswith(".gz") else open
    decoder = codecs.getincrementaldecoder("utf-8")()  # scan_text has checked the bytes
    pending, line_no = "", 0  # line 0 is the header

    def batch(lines: list[str]) -> pa.RecordBatch:
        nonlocal line_no
        numbers = range(line_no, line_no + len(lines))
        line_no += len(lines)
        keep = [(n, t) for n, t in zip(numbers, lines, strict=True) if n > 0]
        return pa.record_batch(
            [pa.array([n for n, _ in keep], pa.int64()), pa.array([t for _, t in keep])],
            names=["row_number", "raw"],
        )

    with opener(path, "rb") as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            text = pending + decoder.decode(chunk)
            held = "\r" if text.endswith("\r") else ""
            lines = _LINE_END.split(text[: len(text) - len(held)])
            pending = lines.pop() + held  # the last line may go on in the next chunk
            yield batch(lines)
    lines = _LINE_END.split(pending + decoder.decode(b"", final=True))
    if lines[-1] == "":
        lines.pop()  # the line end of the last line
    yield batch(lines)


def _insert_lines_read_here(con, path: Path, file_no: int, table: str) -> None:
    """`<table>_lines` of a file with irregular line ends (`_irregular_batches`)."""
    import pyarrow as pa

    schema = pa.schema([("row_number", pa.int64()), ("raw", pa.string())])
    con.register(
        "irregular_lines", pa.RecordBatchReader.from_batches(schema, _irregular_batches(path))
    )
    try:
        con.execute(
            f"""
            insert into {table}_lines
            select ?, row_number, raw from irregular_lines
            where raw <> '' and (not starts_with(raw, ' ') or trim(raw) <> '')
            """,
            [file_no],
        )
    finally:
        con.unregister("irregular_lines")


def _load_csv(con, path: Path, rel: str, file_no: int, columns: tuple[str, ...], table: str) -> str:
    """Copy the file's lines, numbered, into `<table>_lines` (under `file_no`: the name is
    not repeated on every line, 10M lines: 0.5 s); the lines with a quote, split by
    `csv_fields`, into `<table>_quoted`. Return the select that splits the other lines into
    fields (part of the `table` view: the split runs once, where staging reads it)."""
    irregular = scan_text(path)  # first: a bad byte is named by its line, not its position
    layout = csv_columns(path, columns)
    positions = layout.positions
    # a field needs trimming only on a line with a space: the test runs once per line instead
    # of twice per field (10M lines: 0.45 s)
    field_exprs = ", ".join(
        f"(case when spaced then {_trimmed(f'parts[{p + 1}]')} "
        f"else nullif(parts[{p + 1}], '') end) as {c}"
        for c, p in zip(columns, positions, strict=True)
    )
    typed_nulls = "".join(
        f", cast(null as {sql_type}) as {name}" for name, sql_type in typed_columns(columns)
    )
    # one scan of the file: every line whole, numbered in file order (the streaming window
    # keeps the scan order); blank lines are not records but keep their number. trim() copies
    # the line: it runs only on a line that starts with a space (10M lines: 0.9 s saved)
    if irregular:
        _insert_lines_read_here(con, path, file_no, table)
    else:
        _insert_lines(con, path, file_no, table)
    # lines with a quote: split by the CSV rules in SQL (_CSV_FIELD), not by a loop in Python
    # (a switch that quotes every field sends every line here)
    quoted_fields = ", ".join(
        f"{_trimmed(f'parts[{p + 1}]')} as {c}" for c, p in zip(columns, positions, strict=True)
    )
    con.execute(
        f"""
        insert into {table}_quoted by name
        select ? as source_file, row_number, raw, len(parts) as n_fields,
            {layout.fields} as expected_fields, {quoted_fields}
        from (
            select row_number, raw, {csv_fields("raw")} as parts
            from {table}_lines where file_no = ? and contains(raw, '"')
        )
        """,
        [rel, file_no],
    )
    return (
        f"select {sql_literal(rel)} as source_file, row_number, raw, len(parts) as n_fields, "
        f"{layout.fields} as expected_fields, {field_exprs}{typed_nulls} "
        f"from (select row_number, raw, string_split(raw, ',') as parts, "
        f"contains(raw, ' ') as spaced "
        f"from {table}_lines where file_no = {file_no} and not contains(raw, '\"'))"
    )


# Typed copies of the CDR fields that a parquet file may store typed: staging uses them as
# they are instead of printing them as text and parsing them back.
TYPED = {"start_time": ("start_ts", "timestamptz"), "duration_s": ("duration_n", "bigint")}
_TIMESTAMP_TYPES = (
    "TIMESTAMP",
    "TIMESTAMP_TZ",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_NS",
    "TIMESTAMP_MS",
    "TIMESTAMP_S",
)
_FRACTIONAL_TYPES = ("FLOAT", "DOUBLE", "DECIMAL", "REAL")
_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "HUGEINT",
)


def typed_columns(columns: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, SQL type) of the typed copies (TYPED) of `columns`, in their order: the last
    columns of the raw schema, in both loaders."""
    return [TYPED[c] for c in columns if c in TYPED]


def _parquet_select(
    con, path: Path, rel: str, columns: tuple[str, ...], before: datetime | None = None
) -> str:
    """The select that reads a parquet file as raw rows (a view: nothing is copied). A typed
    start_time or duration_s is passed typed (start_ts, duration_n). `raw` is null: the raw text
    of a parquet row is its fields (trimmed) joined by commas, which the staging and rejects
    models build only for the rows they reject (printing every row's fields as text costs
    more than reading the file)."""
    try:
        types = {
            r[0]: r[1]
            for r in con.execute(
                "select column_name, column_type from (describe select * from read_parquet(?))",
                [str(path)],
            ).fetchall()
        }
    except duckdb.Error as exc:
        raise InputError(not_parquet(first_line(exc)), file=str(path)) from exc
    column_positions(path, list(types), columns)
    fields, typed = [], []
    where = ""
    if before is not None and types.get("start_time") in _TIMESTAMP_TYPES:
        # an instant the driver computed (never user text): a literal, so that DuckDB skips
        # the row groups whose statistics are after it
        when = sql_literal(before.astimezone(UTC).isoformat())
        where = f' where cast("start_time" as timestamptz) < cast({when} as timestamptz)'
    for c in columns:
        if c in TYPED:
            name, sql_type = TYPED[c]
            native = (
                (types[c] in _TIMESTAMP_TYPES)
                if sql_type == "timestamptz"
                else (types[c] in _INTEGER_TYPES)
            )
            if native:
                fields.append(f"cast(null as varchar) as {c}")
                typed.append(f'cast("{c}" as {sql_type}) as {name}')
                continue
            if sql_type == "bigint" and types[c].startswith(_FRACTIONAL_TYPES):
                # what pandas writes: float64 durations. A whole value is that integer; any
                # other is kept as text, which staging rejects (not a whole number: MALFORMED)
                whole = f'("{c}" = trunc("{c}") and abs("{c}") < 1e12)'
                fields.append(f'case when {whole} then null else cast("{c}" as varchar) end as {c}')
                typed.append(f'case when {whole} then cast("{c}" as bigint) end as {name}')
                continue
            typed.append(f"cast(null as {sql_type}) as {name}")
        text = f'cast("{c}" as varchar)'
        fields.append(f"{_trimmed(text)} as {c}")
    return (
        f"select {sql_literal(rel)} as source_file, file_row_number + 1 as row_number, "
        f"cast(null as varchar) as raw, {len(columns)} as n_fields, "
        f"{len(columns)} as expected_fields, "
        + ", ".join(fields + typed)
        + f" from read_parquet({sql_literal(str(path))}, file_row_number = true)"
        + where
    )


# One field of a CSV line followed by its comma (the line gets a final comma): a quoted field
# ("" is a quote; text after the closing quote is kept, as Python's csv module does), a quote
# never closed (the field runs to the end of the line), or plain text up to the next comma.
# A quoted text is written `[^"]*(?:""[^"]*)*`, not `(?:[^"]|"")*` (the same strings): Java's
# regex engine (the Spark loader) recurses once per repetition of a group, once a character
# there, and a quoted field of 1,700 characters overflowed its stack; here it repeats once
# per doubled quote.
_QUOTED_TEXT = r'[^"]*(?:""[^"]*)*'
_CSV_FIELD = rf'("{_QUOTED_TEXT}"(?:[^",][^,]*)?|"{_QUOTED_TEXT}|[^,]*),'
_CSV_CLOSED = rf'"{_QUOTED_TEXT}"(?:[^",].*)?'
# a line whose fields are each "text" or text, with no quote or comma inside: split at commas
# and strip the quotes (a file quoting every field: 1M lines 0.4 s instead of 1.7 s)
_CSV_SIMPLE = r'("[^",]*"|[^",]*)(,("[^",]*"|[^",]*))*'


def csv_fields(line: str) -> str:
    """SQL: the list of the fields of CSV `line` (a varchar expression), quotes removed, as
    Python's csv.reader gives them (tests/test_rejects.py compares the two on random lines).
    The Spark loader runs the same SQL, transpiled."""
    simple = (
        f"list_transform(string_split({line}, ','), lambda p: "
        "case when length(p) >= 2 and starts_with(p, '\"') and ends_with(p, '\"') "
        "then substr(p, 2, length(p) - 2) else p end)"
    )
    general = (
        f"list_transform(regexp_extract_all({line} || ',', '{_CSV_FIELD}', 1), lambda f: "
        "case when not starts_with(f, '\"') then f "
        "when length(f) >= 2 and ends_with(f, '\"') "
        "and not contains(substr(f, 2, length(f) - 2), '\"') then substr(f, 2, length(f) - 2) "
        f"when regexp_full_match(f, '{_CSV_CLOSED}') "
        f"then replace(regexp_extract(f, '^\"({_QUOTED_TEXT})\"', 1), '\"\"', '\"') "
        f"|| regexp_extract(f, '^\"{_QUOTED_TEXT}\"(.*)$', 1) "
        "else replace(substr(f, 2), '\"\"', '\"') end)"
    )
    return (
        f"(case when regexp_full_match({line}, '{_CSV_SIMPLE}') then {simple} else {general} end)"
    )


def _trimmed(expr: str) -> str:
    """The field without surrounding spaces, null when empty. trim() copies every string: it
    runs only on the rare field that starts or ends with a space (10M rows: 0.7 s a column)."""
    return (
        f"(case when starts_with({expr}, ' ') or ends_with({expr}, ' ') "
        f"then nullif(trim({expr}), '') else nullif({expr}, '') end)"
    )


def load_raw(
    con: duckdb.DuckDBPyConnection,
    data: Path,
    folder: str,
    month: str,
    columns: tuple[str, ...],
    table: str,
    required: bool,
    before: datetime | None = None,
) -> list[str]:
    """Make `table` hold one row per record of every file, and `<table>_files` one row per
    file (an empty file too, for the R40 reconciliation); return the files' relative paths.

    CSV lines are copied whole into `<table>_lines` (they must be numbered), the rare quoted
    ones parsed into `<table>_quoted`; `table` is a view that splits the lines into fields and
    reads the parquet files where they are: each is read once, by staging.

    `before` (the fraud watch, R26): the rows of a parquet file whose typed start time is at
    or after that instant are left out where they are read, so its row groups after it are
    skipped; a CSV file is read whole (staging leaves its later calls out of the period)."""
    cols = ", ".join(f"{c} varchar" for c in columns)
    typed_cols = "".join(f", {name} {sql_type}" for name, sql_type in typed_columns(columns))
    con.execute(f"drop view if exists {table}")
    con.execute(f"drop table if exists {table}")
    con.execute(
        f"create or replace table {table}_lines (file_no integer, row_number bigint, raw varchar)"
    )
    con.execute(
        f"create or replace table {table}_quoted (source_file varchar, row_number bigint, "
        f"raw varchar, n_fields bigint, expected_fields bigint, {cols}{typed_cols})"
    )
    con.execute(f"create or replace table {table}_files (source_file varchar)")
    rels = []
    selects = [f"select * from {table}_quoted"]
    for path in month_files(data, folder, month, required):
        rel = path.relative_to(data).as_posix()
        rels.append(rel)
        con.execute(f"insert into {table}_files values (?)", [rel])
        try:
            if path.name.endswith(".parquet"):
                selects.append(_parquet_select(con, path, rel, columns, before))
            else:
                selects.append(_load_csv(con, path, rel, len(rels), columns, table))
        except duckdb.Error as exc:
            raise InputError(unreadable(first_line(exc)), file=str(path)) from exc
    con.execute(f"create view {table} as " + " union all ".join(selects))
    return rels


def billed_ids_table(con: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]]) -> None:
    """Table `billed_cdr_ids` of the cdr_ids rated in months already issued (R41 DUPLICATE):
    `files` are (month, rated_calls.parquet) of those months, as the ledger snapshot names
    them."""
    con.execute("create or replace table billed_cdr_ids (cdr_id varchar, month varchar)")
    for month, path in files:
        con.execute(
            "insert into billed_cdr_ids select cdr_id, ? from read_parquet(?)",
            [month, str(path)],
        )
