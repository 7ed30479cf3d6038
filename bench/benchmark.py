"""The benchmark: `make bench [ROWS=10000000]` or `python -m bench.benchmark --rows N`.

In one run, on one seeded synthetic month (bench/synth.py):

1. the floor: DuckDB reading every column of the CDR file (`select count(*), sum(hash(...))`),
   parquet and CSV, median of `--repeat` runs;
2. the whole `billing bill` of the parquet month, in a child process (its peak RSS is the peak
   memory), with the time of every stage (pipeline/core/progress.py) as a multiple of the floor;
3. loading the CSV month (pipeline/inputs/cdrs.py) against DuckDB's own `read_csv` of the same file;
4. the alternative a user would write: a vectorised pandas rating of destinations, tariffs by
   date and amounts (no fair use), on at most `--pandas-rows` rows, scaled to the month.

Prints a table and writes bench_out/bench_<rows>.json. Generated data stays under --out
(bench_out/ is git-ignored; use /tmp for the large months).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from pipeline.core.db import DEFAULT_MEMORY_LIMIT, sql_literal
from pipeline.inputs.cdrs import CDR_COLUMNS

REPO = Path(__file__).resolve().parent.parent
MONTH = "2026-10"
# the stages of the table, in run order (pipeline.core.progress groups)
STAGES = (
    "reference",
    "load",
    "staging",
    "validation",
    "rating",
    "fair_use",
    "contracts",
    "invoices",
    "sla",
    "manifest",
    "outputs",
    "exports",
    "documents",
)


def _median_time(fn: Any, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def _hash_all(source: str) -> str:
    cols = ", ".join(CDR_COLUMNS)
    return f"select count(*), sum(hash({cols})) from {source}"


def floor_parquet(path: Path, repeat: int, threads: int | None = None) -> tuple[float, list[float]]:
    """DuckDB reading every column of the parquet file: the least any rating can cost."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute("set threads = ?", [threads])
    sql = _hash_all("read_parquet($f)")
    return _median_time(lambda: con.execute(sql, {"f": str(path)}).fetchone(), repeat)


def floor_write(
    path: Path, scratch: Path, repeat: int, threads: int | None = None
) -> tuple[float, list[float]]:
    """DuckDB copying every column of the parquet file to a new parquet file (zstd, as the
    bill writes rated_calls.parquet), nothing computed: what writing one row per call costs
    at the least. The bill writes every call twice at least (rated_calls.parquet, its 16
    columns, and the itemised bills) besides reading them: no bill can be a small multiple
    of the read floor (issue 18)."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute("set threads = ?", [threads])
    target = scratch / "floor_write.parquet"
    source, copy = sql_literal(str(path)), sql_literal(str(target))
    sql = (
        f"copy (select * from read_parquet({source})) to {copy} (format parquet, compression zstd)"
    )
    try:
        return _median_time(lambda: con.execute(sql), repeat)
    finally:
        target.unlink(missing_ok=True)


# The output floor (issue 32): what the bill must write per call, nothing computed. A file
# shaped as rated_calls.parquet (its 16 columns, their types, zstd) with each column taken from
# a CDR column of the same type (no join, no rating), and the itemised lines: one CSV line per
# listed call (outgoing and forwarded calls with a duration; the bill lists the charged and
# included ones) in the itemised bills' order (account, start time, cdr_id), their 10 fields.
_OUTPUT_RATED = """
select cdr_id, sip_account as customer_id, sip_account, direction, callee as callee_e164,
    direction as zone, direction as reason, duration_s, duration_s as rated_seconds,
    duration_s as billable_seconds, cast(duration_s as decimal(18, 4)) as amount, start_time,
    device_id as prefix, cast(start_time as date) as tariff_valid_from, filename as source_file,
    file_row_number as row_number
from read_parquet({source}, filename = true, file_row_number = true)
"""
_OUTPUT_ITEMISED = """
select cdr_id, sip_account, start_time, direction, callee as called_number, direction as zone,
    direction as reason, duration_s, duration_s as billable_seconds,
    cast(duration_s as decimal(18, 4)) as amount
from read_parquet({source})
where direction in ('out', 'fwd') and duration_s > 0
order by sip_account, start_time, cdr_id
"""


def floor_output(
    path: Path, scratch: Path, repeat: int, threads: int | None = None
) -> dict[str, Any]:
    """The output floor (issue 32): DuckDB reading the CDR file and writing a
    rated_calls.parquet-shaped file, then the itemised lines (one CSV file), nothing computed;
    `output_s` is the sum of the two writes' medians. The goal of the whole bill without
    documents is a multiple of it."""
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'Europe/Paris'")
    if threads:
        con.execute("set threads = ?", [threads])
    source = sql_literal(str(path))
    rated, lines = scratch / "floor_rated_calls.parquet", scratch / "floor_itemised.csv"
    rated_sql = (
        f"copy ({_OUTPUT_RATED.format(source=source)}) to {sql_literal(str(rated))} "
        "(format parquet, compression zstd)"
    )
    lines_sql = (
        f"copy ({_OUTPUT_ITEMISED.format(source=source)}) to {sql_literal(str(lines))} "
        "(header, delimiter ',')"
    )
    try:
        rated_s, rated_runs = _median_time(lambda: con.execute(rated_sql), repeat)
        lines_s, lines_runs = _median_time(lambda: con.execute(lines_sql), repeat)
        return {
            "output_s": rated_s + lines_s,
            "output_rated_calls_s": rated_s,
            "output_rated_calls_runs": rated_runs,
            "output_itemised_s": lines_s,
            "output_itemised_runs": lines_runs,
            "output_bytes": rated.stat().st_size + lines.stat().st_size,
        }
    finally:
        rated.unlink(missing_ok=True)
        lines.unlink(missing_ok=True)
        con.close()


def floor_csv(path: Path, repeat: int, threads: int | None = None) -> tuple[float, list[float]]:
    """DuckDB's own read_csv of the CSV file (types detected), every column."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute("set threads = ?", [threads])
    sql = _hash_all("read_csv($f)")
    return _median_time(lambda: con.execute(sql, {"f": str(path)}).fetchone(), repeat)


def csv_load(data: Path, repeat: int) -> tuple[float, list[float]]:
    """The pipeline's CSV loader (pipeline/inputs/cdrs.py) on the same file: raw lines
    numbered, then split into fields and every field hashed, as the floor hashes every column."""
    from pipeline.core.db import connect
    from pipeline.inputs.cdrs import load_raw

    def once() -> None:
        con = connect()
        load_raw(con, data, "cdrs", MONTH, CDR_COLUMNS, "raw_cdrs", required=True)
        con.execute(_hash_all("raw_cdrs")).fetchone()
        con.close()

    return _median_time(once, repeat)


def _bill_child(data: str, out: str, rates: str, timings: str) -> None:
    """Run in the child process: bill the month with stage timings, write them as JSON."""
    from pipeline.core.progress import cpu_seconds, peak_rss_mb, recording
    from pipeline.run import bill_month

    engine = os.environ.get("BILLING_BENCH_ENGINE") or "duckdb"
    start, cpu_start = time.perf_counter(), cpu_seconds()
    with recording() as rec:
        result = bill_month(MONTH, Path(data), Path(out), Path(rates), engine=engine)
    total = time.perf_counter() - start
    Path(timings).write_text(
        json.dumps(
            {
                "total_s": total,
                "cpu_s": cpu_seconds() - cpu_start,
                "steps": rec.steps,
                "cpu_s_of_step": rec.cpu_s,
                "peak_rss_mb_after_step": rec.peak_rss_mb,
                "peak_rss_mb": peak_rss_mb(),
                "invoices": result.invoices,
                "credit_notes": result.credit_notes,
                "total_ttc": result.total_ttc,
                "reconciliation": result.reconciliation,
            },
            default=str,
        ),
        encoding="utf-8",
    )


def bill(
    data: Path, out: Path, rates: Path, memory_limit: str | None, engine: str = "duckdb"
) -> dict[str, Any]:
    """`billing bill` of the month in a child process; its peak RSS from wait4."""
    if out.exists():
        shutil.rmtree(out)
    timings = out.with_suffix(".timings.json")
    env = dict(os.environ)
    env["BILLING_BENCH_ENGINE"] = engine
    if memory_limit:
        env["BILLING_MEMORY_LIMIT"] = memory_limit
    # DuckDB spills next to the benchmark's data, not into the working folder (.tmp)
    env.setdefault("BILLING_TEMP_DIR", str(out.parent / "duckdb_tmp"))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.benchmark",
            "--bill-child",
            str(data),
            str(out),
            str(rates),
            str(timings),
        ],
        cwd=REPO,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"billing the benchmark month failed (exit {proc.returncode})")
    result = json.loads(timings.read_text(encoding="utf-8"))
    timings.unlink()
    result["wall_s"] = wall
    # measured by the child (VmHWM): wait4's ru_maxrss would include the RSS this process
    # had when it forked (the generator's arrays), which exec does not reset on Linux
    result.setdefault("peak_rss_mb", usage.ru_maxrss / 1024)
    return result


def _differing_files(first: Path, second: Path) -> list[str]:
    """The files of two billed months whose bytes differ (rated_calls.parquet compared by
    content, the manifest without its hash of it)."""
    import hashlib

    def hashes(root: Path) -> dict[str, str]:
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in ("rated_calls.parquet", "manifest.json")
        }

    a, b = hashes(first), hashes(second)
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    manifests = [
        json.loads((f / "manifest.json").read_text(encoding="utf-8")) for f in (first, second)
    ]
    for m in manifests:
        m["outputs"].pop("rated_calls.parquet", None)
    if manifests[0] != manifests[1]:
        differing.append("manifest.json")
    query = (
        "select count(*) from (select * from read_parquet(?) except all select * from "
        "read_parquet(?))"
    )
    con = duckdb.connect()
    one, two = (str(f / "rated_calls.parquet") for f in (first, second))
    if con.execute(query, [one, two]).fetchone()[0] or con.execute(query, [two, one]).fetchone()[0]:
        differing.append("rated_calls.parquet (content)")
    con.close()
    return differing


def pandas_rating(parquet: Path, rates: Path, rows: int) -> tuple[float, int]:
    """What a user would write with pandas: normalise numbers, longest prefix by a map per
    prefix length, tariff by date, amounts in integers (no fair use, no plans). Returns the
    seconds for the first `rows` rows, reading included, and the rows rated."""
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    start = time.perf_counter()
    table = pq.ParquetFile(parquet).iter_batches(batch_size=rows)
    df = next(table).to_pandas()
    dialled = df["callee"].fillna("").str.replace(r"[\s.()\[\]\-]", "", regex=True)
    e164 = pd.Series(np.nan, index=df.index, dtype=object)
    plus = dialled.str.fullmatch(r"\+[1-9][0-9]{2,14}")
    intl = dialled.str.fullmatch(r"00[1-9][0-9]{2,14}")
    national = dialled.str.fullmatch(r"0[1-9][0-9]{8}")
    short = dialled.str.fullmatch(r"[1-9][0-9]{1,5}")
    full = dialled.str.fullmatch(r"[1-9][0-9]{10,14}")
    e164 = e164.mask(full, dialled).mask(short, "S" + dialled)
    e164 = e164.mask(national, "33" + dialled.str.slice(1)).mask(intl, dialled.str.slice(2))
    e164 = e164.mask(plus, dialled.str.slice(1))
    dest = pd.read_csv(rates / "destinations.csv", dtype=str)
    zone = pd.Series(np.nan, index=df.index, dtype=object)
    for length in sorted(dest["prefix"].str.len().unique(), reverse=True):
        of_len = dest[dest["prefix"].str.len() == length]
        found = e164.str.slice(0, length).map(
            dict(zip(of_len["prefix"], of_len["zone"], strict=True))
        )
        zone = zone.fillna(found)
    tariffs = pd.read_csv(
        rates / "tariffs.csv", dtype={"price_per_min_eur": str, "connection_fee_eur": str}
    )
    tariffs["valid_from"] = pd.to_datetime(tariffs["valid_from"]).astype("datetime64[us]")
    tariffs["price_e4"] = (
        tariffs["price_per_min_eur"].str.replace(".", "", regex=False).astype("int64")
    )
    tariffs["fee_e4"] = (
        tariffs["connection_fee_eur"].str.replace(".", "", regex=False).astype("int64")
    )
    calls = pd.DataFrame(
        {
            "cdr_id": df["cdr_id"],
            "zone": zone.astype(tariffs["zone"].dtype),
            "duration_s": df["duration_s"],
            "direction": df["direction"],
            "call_date": pd.to_datetime(df["start_time"])
            .dt.tz_convert("Europe/Paris")
            .dt.tz_localize(None)
            .dt.normalize()
            .astype("datetime64[us]"),
        }
    )
    calls = calls.sort_values("call_date")
    priced = pd.merge_asof(
        calls,
        tariffs.sort_values("valid_from"),
        left_on="call_date",
        right_on="valid_from",
        by="zone",
    )
    duration = priced["duration_s"].fillna(0).astype("int64")
    chargeable = priced["direction"].isin(["out", "fwd"]) & (duration > 0)
    inc = priced["increment_s"].fillna(1).astype("int64")
    billable = np.maximum(
        priced["min_billable_s"].fillna(0).astype("int64"), (duration + inc - 1) // inc * inc
    ).where(chargeable, 0)
    amount_e4 = (
        priced["fee_e4"].fillna(0).astype("int64")
        + (priced["price_e4"].fillna(0).astype("int64") * billable + 30) // 60
    )
    priced["amount_e4"] = amount_e4.where(billable > 0, 0)
    priced["amount_e4"].sum()
    return time.perf_counter() - start, len(df)


# R26: watching one day of the month costs at most a tenth of billing it. The middle of the
# month and its last day: the watch rates the month to date (the bill's models), so a later
# day costs more (issue 32: both measured; `day_s` is the slower of the two)
WATCH_DAY = "2026-10-15"
WATCH_DAYS = (WATCH_DAY, "2026-10-31")


def watch(data: Path, out: Path, bill_s: float) -> dict[str, Any]:
    """`billing watch --date D` of each of WATCH_DAYS on the billed month's OUT, timed (in
    this process)."""
    from pipeline.run import watch_day

    days = []
    for day in WATCH_DAYS:
        start = time.perf_counter()
        result = watch_day(day, data, out, REPO / "rates")
        seconds = time.perf_counter() - start
        days.append(
            {
                "date": day,
                "day_s": seconds,
                "x_bill": seconds / bill_s,
                "calls": result.calls,
                "alerts": len(result.alerts),
                "critical": len(result.critical),
            }
        )
    worst = max(days, key=lambda d: d["day_s"])
    return {**worst, "days": days}


def run(
    rows: int,
    out: Path,
    seed: int,
    repeat: int,
    pandas_rows: int,
    memory_limit: str | None,
    keep: bool,
    spark: bool = False,
    payments_bench: bool = True,
) -> dict[str, Any]:
    from bench.synth import generate

    out.mkdir(parents=True, exist_ok=True)
    data = out / f"month_{rows}"
    report: dict[str, Any] = {
        "rows_requested": rows,
        "seed": seed,
        "month": MONTH,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "load_before": os.getloadavg(),
        },
        "memory_limit": memory_limit,
    }
    _say(f"generating {rows:,} CDRs under {data} ...")
    start = time.perf_counter()
    month = generate(data, rows, seed=seed)
    report["generate_s"] = time.perf_counter() - start
    report["rows"] = month.rows
    report["sizes"] = {
        "customers": month.customers,
        "accounts": month.accounts,
        "devices": month.devices,
        "registrations": month.registrations,
        "parquet_mb": month.cdr_parquet.stat().st_size / 1e6,
        "csv_mb": month.cdr_csv.stat().st_size / 1e6 if month.cdr_csv else None,
    }
    _say(f"  {month.rows:,} CDRs in {report['generate_s']:.1f} s; floors ...")
    floor, floor_runs = floor_parquet(month.cdr_parquet, repeat)
    csv_floor, csv_floor_runs = floor_csv(month.cdr_csv, repeat)
    write_floor, write_floor_runs = floor_write(month.cdr_parquet, out, repeat)
    output = floor_output(month.cdr_parquet, out, repeat)
    report["floor"] = {
        "parquet_s": floor,
        "parquet_runs": floor_runs,
        "write_s": write_floor,
        "write_runs": write_floor_runs,
        "write_x_floor": write_floor / floor,
        **output,
        "output_x_floor": output["output_s"] / floor,
        "csv_s": csv_floor,
        "csv_runs": csv_floor_runs,
    }
    _say(
        f"  floor parquet {floor:.2f} s, csv {csv_floor:.2f} s, write {write_floor:.2f} s, "
        f"output {output['output_s']:.2f} s; billing ..."
    )
    billed = bill(month.data, out / f"out_{rows}", REPO / "rates", memory_limit)
    stages: dict[str, float] = {}
    stages_cpu: dict[str, float] = {}
    for (group, _, seconds), cpu in zip(billed["steps"], billed["cpu_s_of_step"], strict=True):
        stages[group] = stages.get(group, 0.0) + seconds
        stages_cpu[group] = stages_cpu.get(group, 0.0) + cpu
    report["bill"] = {
        "total_s": billed["total_s"],
        "cpu_s": billed["cpu_s"],
        "stages_cpu_s": stages_cpu,
        "cpu_s_of_step": billed["cpu_s_of_step"],
        "wall_s": billed["wall_s"],
        "peak_rss_mb": billed["peak_rss_mb"],
        "invoices": billed["invoices"],
        "stages_s": stages,
        "steps": billed["steps"],
        "peak_rss_mb_after_step": billed.get("peak_rss_mb_after_step"),
        "x_floor": {k: v / floor for k, v in stages.items()},
        "total_x_floor": billed["total_s"] / floor,
        # the e-invoices (issue 14): their stage apart, in milliseconds per document
        "documents": billed["invoices"] + billed.get("credit_notes", 0),
        "ms_per_document": 1000
        * stages.get("documents", 0.0)
        / max(1, billed["invoices"] + billed.get("credit_notes", 0)),
        "total_without_documents_x_floor": (billed["total_s"] - stages.get("documents", 0.0))
        / floor,
        # issue 32's goal: at most 1.5
        "total_without_documents_x_output_floor": (billed["total_s"] - stages.get("documents", 0.0))
        / output["output_s"],
        "rating_s": stages.get("rating", 0.0),
    }
    _say(f"  bill {billed['total_s']:.1f} s; watch of {WATCH_DAY} ...")
    report["watch"] = watch(month.data, out / f"out_{rows}", billed["total_s"])
    _say(f"  watch {report['watch']['day_s']:.1f} s; collect and payments ...")
    if payments_bench:
        from bench import payments

        report["receivables"] = payments.run(month.data, out / f"payments_{rows}")
        _say(
            f"  collect {report['receivables']['collect_s']:.2f} s, import "
            f"{report['receivables']['import_s']:.2f} s; CSV load ..."
        )
    load, load_runs = csv_load(month.data_csv, repeat)
    report["csv_load"] = {"seconds": load, "runs": load_runs, "x_read_csv": load / csv_floor}
    _say(f"  CSV load {load:.2f} s; pandas ...")
    n = min(pandas_rows, month.rows)
    seconds, rated = pandas_rating(month.cdr_parquet, REPO / "rates", n)
    scaled = seconds * month.rows / rated
    report["pandas"] = {
        "rows": rated,
        "seconds": seconds,
        "scaled_s": scaled,
        "x_floor": scaled / floor,
        "bill_speedup": scaled / billed["total_s"],
    }
    if spark:
        # issue 19: the same month billed with --engine spark, in the same run
        _say("  Spark ...")
        sparked = bill(month.data, out / f"out_{rows}_spark", REPO / "rates", memory_limit, "spark")
        spark_stages: dict[str, float] = {}
        for group, _, seconds in sparked["steps"]:
            spark_stages[group] = spark_stages.get(group, 0.0) + seconds
        report["spark"] = {
            "total_s": sparked["total_s"],
            "cpu_s": sparked["cpu_s"],  # the Python process only: the JVM's CPU is not in it
            "stages_s": spark_stages,
            "steps": sparked["steps"],
            "x_duckdb": sparked["total_s"] / billed["total_s"],
            "rating_x_duckdb": sum(
                spark_stages.get(k, 0.0) for k in ("load", "staging", "rating", "fair_use")
            )
            / max(
                1e-9,
                sum(stages.get(k, 0.0) for k in ("load", "staging", "rating", "fair_use")),
            ),
            "differing_files": _differing_files(
                out / f"out_{rows}" / MONTH, out / f"out_{rows}_spark" / MONTH
            ),
        }
    report["machine"]["load_after"] = os.getloadavg()
    if not keep:
        for path in (month.data, month.data_csv, out / f"out_{rows}", out / f"out_{rows}_spark"):
            if path is not None and path.exists():
                shutil.rmtree(path)
    return report


def table(report: dict[str, Any]) -> str:
    floor = report["floor"]["parquet_s"]
    b = report["bill"]
    lines = [
        f"benchmark: {report['rows']:,} CDRs ({report['sizes']['customers']:,} customers, "
        f"{report['sizes']['accounts']:,} SIP accounts, {report['sizes']['registrations']:,} "
        f"registrations), {report['machine']['cpus']} cores, load "
        f"{report['machine']['load_before'][0]:.1f} -> {report['machine']['load_after'][0]:.1f}",
        f"{'stage':<28}{'seconds':>10}{'x floor':>10}{'CPU s':>10}",
        f"{'floor (parquet, all cols)':<28}{floor:>10.2f}{1:>10.1f}",
    ]
    if "write_s" in report["floor"]:  # reports written before 2026-12-03 have none
        write = report["floor"]["write_s"]
        lines.append(f"{'write floor (copy to parquet)':<28}{write:>10.2f}{write / floor:>10.1f}")
    if "output_s" in report["floor"]:  # reports written before issue 32 have none
        output = report["floor"]["output_s"]
        lines.append(f"{'output floor (per-call files)':<28}{output:>10.2f}{output / floor:>10.1f}")
    names = [n for n in STAGES if n in b["stages_s"]] + sorted(set(b["stages_s"]) - set(STAGES))
    for name in names:
        if name in b["stages_s"]:
            s = b["stages_s"][name]
            cpu = b["stages_cpu_s"][name]
            lines.append(f"{name:<28}{s:>10.2f}{s / floor:>10.1f}{cpu:>10.2f}")
    lines += [
        f"{'whole bill':<28}{b['total_s']:>10.2f}{b['total_x_floor']:>10.1f}{b['cpu_s']:>10.2f}",
        f"e-invoices: {b['documents']:,} documents, {b['ms_per_document']:.1f} ms per document; "
        f"the bill without them: {b['total_without_documents_x_floor']:.1f}x floor"
        + (
            f" = {b['total_without_documents_x_output_floor']:.2f}x the output floor (goal 1.5)"
            if "total_without_documents_x_output_floor" in b
            else ""
        ),
        "CPU s: user + system seconds of the bill's process (all threads), steadier than wall "
        "time when the machine is shared",
        f"peak memory (RSS of the bill): {b['peak_rss_mb']:,.0f} MB"
        + (f" (memory limit {report['memory_limit']})" if report["memory_limit"] else ""),
        *(
            [
                f"watch of {report['watch']['date']} (the month to date, {report['watch']['calls']:,} "
                f"calls that day): {report['watch']['day_s']:.2f} s = "
                f"{report['watch']['x_bill']:.3f} x the whole bill (R26: at most 0.1)"
                + "".join(
                    f"; {d['date']}: {d['day_s']:.2f} s = {d['x_bill']:.3f} x"
                    for d in report["watch"].get("days", [])
                )
            ]
            if "watch" in report  # reports written before issue 31 have none
            else []
        ),
        *(
            [
                f"collect of {r['mandates']:,} mandates: {r['collect_s']:.2f} s (goal 10 s); "
                f"camt.054 of {r['entries']:,} entries imported: {r['import_s']:.2f} s = "
                f"{r['import_ms_per_entry']:.2f} ms an entry (goal 5 ms)"
            ]
            if "collect_s" in (r := report.get("receivables", {}))
            else []
        ),
        f"CSV: pipeline load {report['csv_load']['seconds']:.2f} s, DuckDB read_csv "
        f"{report['floor']['csv_s']:.2f} s: {report['csv_load']['x_read_csv']:.1f}x",
        f"pandas rating (destinations, tariffs, amounts; {report['pandas']['rows']:,} rows): "
        f"{report['pandas']['seconds']:.1f} s, scaled {report['pandas']['scaled_s']:.1f} s = "
        f"{report['pandas']['x_floor']:.0f}x floor; the whole bill is "
        f"{report['pandas']['bill_speedup']:.1f}x faster",
    ]
    if "spark" in report:
        sp = report["spark"]
        lines.append(
            f"--engine spark (local, same run): whole bill {sp['total_s']:.1f} s = "
            f"{sp['x_duckdb']:.1f}x DuckDB's; load + staging + rating + fair use "
            f"{sp['rating_x_duckdb']:.1f}x DuckDB's; files differing: "
            f"{', '.join(sp['differing_files']) or 'none'}"
        )
        for name, seconds in sorted(sp["stages_s"].items(), key=lambda kv: -kv[1])[:6]:
            lines.append(f"  spark {name:<22}{seconds:>10.2f}")
    return "\n".join(lines)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench_out")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each floor (median)")
    parser.add_argument(
        "--pandas-rows",
        type=int,
        default=1_000_000,
        help="rows rated by the pandas alternative (then scaled)",
    )
    parser.add_argument(
        "--memory-limit",
        default=os.environ.get("BILLING_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
        help=f"DuckDB memory limit of the bill (default {DEFAULT_MEMORY_LIMIT}, e.g. 2GB)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated month")
    parser.add_argument(
        "--spark", action="store_true", help="bill the month again with --engine spark, compared"
    )
    parser.add_argument("--json", type=Path, help="where to write the report")
    parser.add_argument(
        "--receivables-documents",
        type=int,
        default=60_000,
        help="documents of the synthetic journal of the receivables report (R86, issue 27; "
        "twice as many events); 0 leaves it out",
    )
    parser.add_argument(
        "--no-payments",
        action="store_true",
        help="leave out the collection and the statement import (bench/payments.py)",
    )
    parser.add_argument("--bill-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bill_child:
        _bill_child(*args.bill_child)
        return 0
    report = run(
        args.rows,
        args.out,
        args.seed,
        args.repeat,
        args.pandas_rows,
        args.memory_limit,
        args.keep,
        spark=args.spark,
        payments_bench=not args.no_payments,
    )
    if args.receivables_documents:
        # R86: `billing receivables` on a year's journal (bench/receivables.py), <= 10 s
        from bench import receivables as receivables_bench

        _say(f"  receivables report, {args.receivables_documents:,} documents ...")
        report.setdefault("receivables", {}).update(
            receivables_bench.run(
                args.receivables_documents, 2 * args.receivables_documents, args.out
            )
        )
        _say(f"  receivables report {report['receivables']['report_s']:.2f} s")
    target = args.json or args.out / f"bench_{args.rows}.json"
    target.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(report))
    print(f"report: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
