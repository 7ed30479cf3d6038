"""The Spark session of a run (`--engine spark`, docs/spark.md).

One session per process, started on first use (a local session takes 20-45 s to start on two
cores): `local[*]` unless BILLING_SPARK_MASTER names a cluster. The settings that make Spark
compute what DuckDB computes are fixed here, not left to a cluster's defaults: the session
time zone is Europe/Paris (the data contract's local time; a timestamp cast to a date gives
the Paris day, R1), ANSI mode is on (an overflow or a bad cast is an error, as in DuckDB), and
parquet timestamps are written as microseconds since the epoch in UTC (what DuckDB reads back as
TIMESTAMP WITH TIME ZONE; Spark's default INT96 would not be).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from pipeline.core.errors import InputError
from pipeline.core.language import say

SETTINGS = {
    "BILLING_SPARK_MASTER": "Spark master of --engine spark (default local[*]: every core of "
    "this machine), e.g. spark://host:7077 or yarn",
    "BILLING_SPARK_MEMORY": "driver memory of a local Spark session (default 2g)",
}

CONF = {
    "spark.sql.session.timeZone": "Europe/Paris",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "zstd",
    # the JVM's own zone too: nothing in a run may depend on the machine's
    "spark.driver.extraJavaOptions": "-Duser.timezone=Europe/Paris",
    "spark.executor.extraJavaOptions": "-Duser.timezone=Europe/Paris",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # a month's tables are small next to a cluster's partitions: fewer shuffle partitions in
    # local mode (Spark's default of 200 costs seconds of task overhead per model)
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
}

_SESSION: Any = None


def spark_available() -> str | None:
    """None when --engine spark can run here, else what is missing, as one line."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return say(
            "pyspark n'est pas installé : lancez make install-spark (docs/spark.md)",
            "pyspark is not installed: run make install-spark (docs/spark.md)",
        )
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return say(
            "Java 17 n'est pas installé (Spark en a besoin) : lancez make install-spark, ou "
            "installez openjdk-17-jre-headless (docs/spark.md)",
            "Java 17 is not installed (Spark runs on it): run make install-spark, or install "
            "openjdk-17-jre-headless (docs/spark.md)",
        )
    return None


def session() -> Any:
    """The process's Spark session, started on first use."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    missing = spark_available()
    if missing:
        raise InputError(missing, file="--engine spark")
    from pyspark.sql import SparkSession

    master = os.environ.get("BILLING_SPARK_MASTER") or "local[*]"
    builder = SparkSession.builder.master(master).appName("telco-billing")
    conf = dict(CONF)
    if master.startswith("local"):
        conf["spark.driver.memory"] = os.environ.get("BILLING_SPARK_MEMORY") or "2g"
    for key, value in conf.items():
        builder = builder.config(key, value)
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def stop() -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None
