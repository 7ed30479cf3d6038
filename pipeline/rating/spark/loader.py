"""The month's CDR and registration files read by Spark into the raw schema of
pipeline.inputs.cdrs (source_file, row_number, raw, n_fields, expected_fields, the fields as
text, start_ts / duration_n typed when a parquet file stores them typed).

The same rules as the DuckDB loader, on the same files: files in name order, row N of a CSV
is its line N+1 (the header is line 1) and keeps its number when blank lines are skipped, a
line with a quote is split by the CSV rules, fields are trimmed and empty means null. The
field splitting is the DuckDB loader's own SQL (`csv_fields`), transpiled, and the header is
read and checked by the same function (`csv_columns`).

Row numbers without a pass through Python: each line gets Spark's monotonically increasing
id (the partition in the upper bits, the line's position in its partition in the lower 33),
the lines of each partition are counted once, and a line's number is the lines of the
partitions before its own plus its position. A file is read on its own, so its partitions
are its consecutive byte ranges in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError
from pipeline.inputs.cdrs import (
    TYPED,
    column_positions,
    csv_columns,
    csv_fields,
    month_files,
    not_parquet,
    scan_text,
    typed_columns,
    unreadable,
)
from pipeline.rating.spark.transpile import UnknownFunction, to_spark

_LOW_BITS = (1 << 33) - 1
_SPARK_TIMESTAMPS = ("TimestampType", "TimestampNTZType")
_SPARK_INTEGERS = ("ByteType", "ShortType", "IntegerType", "LongType")
_SPARK_FRACTIONAL = ("FloatType", "DoubleType", "DecimalType")


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _trim(expr: str) -> str:
    return f"nullif(trim({expr}), '')"


def _numbered_lines(spark: Any, path: Path) -> Any:
    """(row_number, raw) of every line after the header, blank lines left out."""
    from pyspark.sql import functions as F

    lines = spark.read.option("wholetext", "false").text(str(path))
    lines = lines.select(
        (F.monotonically_increasing_id().bitwiseAND(_LOW_BITS)).alias("pos"),
        F.spark_partition_id().alias("part"),
        F.col("value").alias("raw"),
    )
    counts = sorted(lines.groupBy("part").count().collect())
    offsets, seen = [], 0
    for part, count in counts:
        offsets.append((part, seen))
        seen += count
    if not offsets:
        return spark.createDataFrame([], "row_number bigint, raw string")
    offset_df = spark.createDataFrame(offsets, "part int, start bigint")
    numbered = lines.join(F.broadcast(offset_df), "part").select(
        (F.col("start") + F.col("pos")).alias("row_number"), "raw"
    )
    # line 0 is the header; a blank line is not a record (its number is kept by the others)
    return numbered.where("row_number > 0 and trim(raw) <> ''")


def _csv_select(spark: Any, path: Path, rel: str, columns: tuple[str, ...], view: str) -> Any:
    # UTF-8 checked first (Spark's text reader would replace bad bytes by U+FFFD); the line
    # ends need nothing: Spark ends a line at LF, CRLF or a lone CR, as the DuckDB loader does
    scan_text(path)
    layout = csv_columns(path, columns)
    _numbered_lines(spark, path).createOrReplaceTempView(view)
    parts = (
        f"case when contains(raw, '\"') then {csv_fields('raw')} else string_split(raw, ',') end"
    )
    fields = ", ".join(
        f"{_trim(f'parts[{p + 1}]')} as {c}" for c, p in zip(columns, layout.positions, strict=True)
    )
    typed = "".join(f", cast(null as {t}) as {n}" for n, t in typed_columns(columns))
    duck = (
        f"select {_quote(rel)} as source_file, row_number, raw, "
        "cast(array_length(parts) as bigint) as n_fields, "
        f"cast({layout.fields} as bigint) as expected_fields, "
        f"{fields}{typed} from (select row_number, raw, {parts} as parts from {view})"
    )
    return spark.sql(to_spark(duck, f"the CSV reader ({rel})"))


def _float_text(F: Any, column: str, kind: str) -> Any:
    """A double as DuckDB prints it (Python's repr: 1000000000000.5, 1e+16, 1e-05, nan, inf),
    not as Java does (1.0E12, NaN, Infinity): the raw text of a rejected row. Between 1e-4
    and 1e16 through a decimal (Spark takes a double's shortest digits), beyond from Java's
    text. Other fractional types (float, decimal) print alike in both engines or are left."""
    if kind != "DoubleType":
        return F.col(column).cast("string")
    x = f"`{column}`"
    plain = (
        f"regexp_replace(regexp_replace(cast(cast({x} as decimal(38, 18)) as string), "
        "'0+$', ''), '[.]$', '.0')"
    )
    exponent = f"cast({x} as string)"
    for pattern, replacement in (
        ("[.]0E", "E"),
        ("E-([0-9])$", "E-0$1"),
        ("E([0-9])$", "E0$1"),
        ("E-", "e-"),
        ("E", "e+"),
    ):
        exponent = f"regexp_replace({exponent}, '{pattern}', '{replacement}')"
    return F.expr(
        f"case when isnan({x}) then 'nan' when {x} = double('inf') then 'inf' "
        f"when {x} = double('-inf') then '-inf' "
        f"when abs({x}) >= 1e-4 and abs({x}) < 1e16 then {plain} else {exponent} end"
    )


def _typed_start(F: Any, column: str, kind: str) -> Any:
    """A parquet start time as an instant. A time without zone (Paris wall clock) in the hour
    that happens twice is its second occurrence, as DuckDB's cast reads it (and as the models
    read a text one): Spark's cast gives the first, which is moved on by the hour."""
    if kind != "TimestampNTZType":
        return F.col(column).cast("timestamp")
    first = F.col(column).cast("timestamp")
    later = first + F.expr("interval 1 hour")
    return F.when(later.cast("timestamp_ntz") == F.col(column), later).otherwise(first)


def _parquet_select(spark: Any, path: Path, rel: str, columns: tuple[str, ...]) -> Any:
    from pyspark.sql import functions as F

    try:
        frame = spark.read.parquet(str(path))
        types = {f.name: type(f.dataType).__name__ for f in frame.schema.fields}
    except Exception as exc:  # noqa: BLE001 - Spark's reader errors have no common base
        raise InputError(not_parquet(str(exc).splitlines()[0]), file=str(path)) from exc
    column_positions(path, list(types), columns)
    fields, typed = [], []
    for c in columns:
        if c in TYPED:
            name, _ = TYPED[c]
            kind = types[c]
            native = kind in (_SPARK_TIMESTAMPS if name == "start_ts" else _SPARK_INTEGERS)
            if native:
                fields.append(F.lit(None).cast("string").alias(c))
                typed.append(
                    _typed_start(F, c, kind).alias(name)
                    if name == "start_ts"
                    else F.col(c).cast("bigint").alias(name)
                )
                continue
            if name == "duration_n" and kind in _SPARK_FRACTIONAL:
                whole = (F.col(c) == F.floor(F.col(c))) & (F.abs(F.col(c)) < 1e12)
                fields.append(F.when(whole, None).otherwise(_float_text(F, c, kind)).alias(c))
                typed.append(F.when(whole, F.col(c).cast("bigint")).alias(name))
                continue
            typed.append(
                F.lit(None).cast("timestamp" if name == "start_ts" else "bigint").alias(name)
            )
        fields.append(F.expr(_trim(f"cast(`{c}` as string)")).alias(c))
    return frame.select(
        F.lit(rel).alias("source_file"),
        (F.col("_metadata.row_index") + 1).alias("row_number"),
        F.lit(None).cast("string").alias("raw"),
        F.lit(len(columns)).cast("bigint").alias("n_fields"),
        F.lit(len(columns)).cast("bigint").alias("expected_fields"),
        *fields,
        *typed,
    )


def load_raw(
    spark: Any,
    data: Path,
    folder: str,
    month: str,
    columns: tuple[str, ...],
    table: str,
    required: bool,
) -> list[str]:
    """Temp views `table` (one row per record of every file) and `<table>_files` (one row
    per file) in the Spark session; return the files' paths relative to `data`."""
    frames, rels = [], []
    for number, path in enumerate(month_files(data, folder, month, required), start=1):
        rel = path.relative_to(data).as_posix()
        rels.append(rel)
        try:
            if path.name.endswith(".parquet"):
                frames.append(_parquet_select(spark, path, rel, columns))
            else:
                frames.append(_csv_select(spark, path, rel, columns, f"{table}_lines_{number}"))
        except (InputError, UnknownFunction):
            raise
        except Exception as exc:  # noqa: BLE001
            raise InputError(unreadable(str(exc).splitlines()[0]), file=str(path)) from exc
    schema = (
        "source_file string, row_number bigint, raw string, n_fields bigint, "
        "expected_fields bigint, "
        + ", ".join(f"{c} string" for c in columns)
        + "".join(
            f", {n} {'timestamp' if t == 'timestamptz' else t}" for n, t in typed_columns(columns)
        )
    )
    union = spark.createDataFrame([], schema)
    for frame in frames:
        union = union.unionByName(frame)
    union.createOrReplaceTempView(table)
    spark.createDataFrame([(r,) for r in rels], "source_file string").createOrReplaceTempView(
        f"{table}_files"
    )
    return rels
