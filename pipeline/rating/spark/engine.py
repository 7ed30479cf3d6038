"""Rate a month on Spark (`--engine spark`): the rating models of pipeline.rating.models,
transpiled (transpile.py), run on the Spark session, their outputs handed back to DuckDB.

Boundary: the reference tables and the run's parameters go from DuckDB to Spark as parquet
files (small); the CDR and registration files are read by Spark itself (loader.py); every
model that is a table with DuckDB is written by Spark as parquet under scratch/spark/ and read
back by the next models (a chain of 17 views would be planned as one query), and DuckDB sees
each of those outputs as a view over its files. From there the run is the same Python as with
DuckDB: contracts, invoices, documents and the ledger do not know which engine rated.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipeline.core.data_contract import RATED_CALLS, RATED_CALLS_FILE
from pipeline.core.dates import Month
from pipeline.core.db import model_sql, sql_literal
from pipeline.core.progress import stage
from pipeline.inputs.cdrs import CDR_COLUMNS, REGISTRATION_COLUMNS
from pipeline.rating.spark import loader
from pipeline.rating.spark.session import session
from pipeline.rating.spark.transpile import to_spark

# the tables the models read that DuckDB holds (pipeline.inputs.reference, run_params)
FROM_DUCKDB = (
    "ref_customers",
    "ref_sip_accounts",
    "ref_subscriptions",
    "ref_products",
    "ref_devices",
    "ref_destinations",
    "ref_tariffs",
    "run_params",
)


def _files(folder: Path) -> str:
    return sql_literal(str(folder / "*.parquet"))


def _to_spark_table(con: duckdb.DuckDBPyConnection, spark, name: str, folder: Path) -> None:
    path = folder / f"{name}.parquet"
    con.execute(f'copy (select * from "{name}") to {sql_literal(str(path))} (format parquet)')
    spark.read.parquet(str(path)).createOrReplaceTempView(name)


def rate_month_spark(
    con: duckdb.DuckDBPyConnection,
    data: Path,
    month: Month,
    billed_id_files: list[tuple[str, Path]],
    scratch: Path,
    models: tuple[tuple[str, str], ...],
    views: set[str],
    stages: dict[str, str],
) -> list[str]:
    """Rate the month on Spark; DuckDB `con` (holding the reference tables and run_params)
    then has a view for each model, for raw_cdrs_files and for raw_cdrs (its keys), and
    scratch/rated_calls.parquet is written as with DuckDB. Returns the CDR files read."""
    from pyspark.sql import functions as F

    with stage("load", "spark session"):
        spark = session()
    work = scratch / "spark"
    if work.exists():
        shutil.rmtree(work)
    (work / "inputs").mkdir(parents=True)
    with stage("load", "reference"):
        for name in FROM_DUCKDB:
            _to_spark_table(con, spark, name, work / "inputs")
    with stage("load", "cdrs"):
        files = loader.load_raw(spark, data, "cdrs", str(month), CDR_COLUMNS, "raw_cdrs", True)
    with stage("load", "registrations"):
        loader.load_raw(
            spark,
            data,
            "registrations",
            str(month),
            REGISTRATION_COLUMNS,
            "raw_registrations",
            False,
        )
    with stage("load", "billed_cdr_ids"):
        billed = spark.createDataFrame([], "cdr_id string, month string")
        for billed_month, path in billed_id_files:
            billed = billed.unionByName(
                spark.read.parquet(str(path)).select("cdr_id", F.lit(billed_month).alias("month"))
            )
        billed.createOrReplaceTempView("billed_cdr_ids")
    written = ["raw_cdrs_files"]
    spark.table("raw_cdrs_files").write.parquet(str(work / "raw_cdrs_files"))
    for layer, name in models:
        with stage(stages.get(name, "rating"), name):
            frame = spark.sql(to_spark(model_sql(layer, name), name))
            if name in views:
                frame.createOrReplaceTempView(name)
                continue
            frame.write.parquet(str(work / name))
            spark.read.parquet(str(work / name)).createOrReplaceTempView(name)
            written.append(name)
    with stage("rating", "raw_cdrs keys"):
        # what the gates count rows read from (validation.expectations.outputs)
        spark.table("raw_cdrs").select("source_file", "row_number").write.parquet(
            str(work / "raw_cdrs")
        )
        written.append("raw_cdrs")
    for name in written:
        con.execute(
            f'create or replace view "{name}" as select * from read_parquet({_files(work / name)})'
        )
    with stage("rating", "rated_calls file"):
        path = scratch / RATED_CALLS_FILE
        con.execute(
            f"copy (select {', '.join(RATED_CALLS.names)} from read_parquet("
            f"{_files(work / 'rated_calls')})) to {sql_literal(str(path))} "
            "(format parquet, compression zstd)"
        )
        con.execute(
            f"create or replace view rated_calls as select * from read_parquet({sql_literal(str(path))})"
        )
    return files
