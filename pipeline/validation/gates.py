"""The data contract, enforced and reported with great-expectations (issue 7).

Two gates, next to the row-level rejects of R40-R41 (which stay in SQL):

- `validate_inputs(con, ref, month)`, after rating: the input suites over the loaded tables.
  A failure stops the run before anything is issued: InputError (exit 2), naming each failing
  expectation with sample rows.
- `validate_outputs(documents, con, snapshot, month)`, before the staging folder is
  written: the output suites over the documents. A failure stops the run before publishing: ProblemFound (exit 1).

`write_report(reports, folder)` writes folder/*.json and folder/report.md (deterministic bytes:
no timestamps, no run ids) and returns the summary for manifest.json.

Cost: suites run on small pandas DataFrames (reference tables, and DuckDB aggregates of the
usage tables), in one ephemeral great-expectations context, without progress bars. The
suites live in pipeline/validation/expectations/ and import great_expectations lazily (about 3 s).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.core.dates import Month
from pipeline.core.errors import InputError, ProblemFound
from pipeline.core.language import language, say

SAMPLE_ROWS = 5
_PARTIAL_VALUES = 20
_RESULT_KEYS = (
    "observed_value",
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "missing_count",
    "partial_unexpected_list",
)


@dataclass
class ExpectationResult:
    suite: str
    check: str
    type: str
    kwargs: dict[str, Any]
    rule: str
    description: str
    success: bool
    result: dict[str, Any]
    samples: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.suite}:{self.check}"

    def to_json(self) -> dict[str, Any]:
        data = {
            "check": self.check,
            "expectation_type": self.type,
            "kwargs": self.kwargs,
            "rule": self.rule,
            "description": self.description,
            "success": self.success,
            "result": self.result,
            "samples": self.samples,
        }
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class SuiteResult:
    name: str
    dataset: str
    rows: int
    expectations: list[ExpectationResult]

    @property
    def success(self) -> bool:
        return all(e.success for e in self.expectations)


@dataclass
class ValidationReport:
    stage: str  # "inputs" or "outputs"
    month: str
    suites: list[SuiteResult]
    seconds: float = 0.0  # wall time, for the log and benchmarks; not written (determinism)

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    @property
    def results(self) -> list[ExpectationResult]:
        return [e for s in self.suites for e in s.expectations]

    @property
    def failures(self) -> list[ExpectationResult]:
        return [e for e in self.results if not e.success]

    def statistics(self) -> dict[str, int]:
        results = self.results
        failed = sum(1 for e in results if not e.success)
        return {
            "suites": len(self.suites),
            "expectations": len(results),
            "successful": len(results) - failed,
            "failed": failed,
        }

    def to_json(self) -> dict[str, Any]:
        import great_expectations as gx

        return {
            "stage": self.stage,
            "month": self.month,
            "success": self.success,
            "great_expectations_version": gx.__version__,
            "statistics": self.statistics(),
            "suites": [
                {
                    "suite": s.name,
                    "dataset": s.dataset,
                    "rows": s.rows,
                    "success": s.success,
                    "expectations": [e.to_json() for e in s.expectations],
                }
                for s in self.suites
            ],
        }

    def failure_message(self) -> str:
        failures = self.failures
        stats = self.statistics()
        stage = {"inputs": "des entrées", "outputs": "des sorties"}.get(self.stage, self.stage)
        lines = [
            say(
                f"la validation {stage} de {self.month} a échoué : {stats['failed']} attente(s) "
                f"sur {stats['expectations']} non satisfaite(s)",
                f"{self.stage} validation of {self.month} failed: {stats['failed']} of "
                f"{stats['expectations']} expectation(s) not met",
            )
        ]
        # each failure as validation/report.md names it (its description is the suite's, in
        # English, as the issued report keeps it); what was observed in the language of messages
        for e in failures:
            observed = _observed(e, language())
            lines.append(f"- {e.name} [{e.rule}] {e.description}{say(' : ', ': ')}{observed}")
            lines += [f"    {s}" for s in e.samples]
        return "\n".join(lines)


# --- the context: what a dataset is built from ---------------------------------------------


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection | None
    month: Month
    ref: Any = None
    billed: Any = None  # pipeline.billing.month_documents.MonthDocuments
    snapshot: Any = None  # pipeline.billing.ledger_snapshot.LedgerSnapshot: the months before

    @property
    def params(self) -> dict[str, Any]:
        return {"month_start": self.month.start_utc, "month_end": self.month.end_utc}

    @property
    def month_start_epoch(self) -> int:
        return int(self.month.start_utc.timestamp())

    @property
    def month_end_epoch(self) -> int:
        return int(self.month.end_utc.timestamp())

    def bind(self, sql: str) -> dict[str, Any]:
        return {k: v for k, v in self.params.items() if f"${k}" in sql}

    def query(self, sql: str) -> pd.DataFrame:
        if self.con is None:
            raise ValueError("no DuckDB connection to build this dataset from")
        return self.con.execute(sql, self.bind(sql)).df()

    def rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        if self.con is None:
            raise ValueError("no DuckDB connection to build this dataset from")
        cursor = self.con.execute(sql, self.bind(sql))
        return [d[0] for d in cursor.description], cursor.fetchall()


# --- great-expectations, quietly -----------------------------------------------------------

_preloading: threading.Thread | None = None


def preload() -> None:
    """Import great_expectations and the suites in a background thread (about 2 s of Python),
    so that the import overlaps the rating (DuckDB works outside the GIL). Optional: the gates
    wait for it if it was started, and import on their own otherwise."""
    global _preloading
    if _preloading is None and "pipeline.validation.expectations.outputs" not in sys.modules:
        _preloading = threading.Thread(target=_import_suites, name="gx-preload", daemon=True)
        _preloading.start()


def _import_suites() -> None:
    try:
        _quiet_gx()
        import pipeline.validation.expectations.inputs  # noqa: F401
        import pipeline.validation.expectations.outputs  # noqa: F401
    except Exception:  # noqa: BLE001 - the gates import again and raise in the run's thread
        pass


def _wait_for_preload() -> None:
    if _preloading is not None:
        _preloading.join()


def _quiet_gx() -> Any:
    """Import great_expectations without analytics, progress bars or log noise."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    # after the import: great_expectations sets up its own loggers when imported
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _cache_type_names()
    return gx


def _cache_type_names() -> None:
    """great-expectations turns an expectation's class name into its type (CamelCase to
    snake_case, two regular expressions) each time it reads the expectation's configuration:
    about 24,000 times a bill, 0.6 s under a profiler at 100k CDRs (issue 32). The function
    is pure: its results are kept (one per expectation class)."""
    from functools import lru_cache

    import great_expectations.expectations.expectation as module

    if not hasattr(module.camel_to_snake, "cache_info"):
        module.camel_to_snake = lru_cache(maxsize=512)(module.camel_to_snake)


_session: Any = None  # (context, batch definition), made once per process


def _batch_definition(gx: Any) -> Any:
    """The one whole-dataframe batch definition every suite of every run validates through
    (the dataframe is a batch parameter), in one ephemeral context made once per process.

    Issue 32: a context and a datasource per gate, and an asset and a batch definition per
    suite, cost about 0.6 s a bill: each addition serialises the context's whole project
    configuration to YAML (52 times a bill). Nothing of the context reaches a result: the
    report is built from each expectation's result (pipeline.validation.gates.run_suites)."""
    global _session
    if _session is None:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        asset = context.data_sources.add_pandas("datasets").add_dataframe_asset("dataset")
        _session = (context, asset.add_batch_definition_whole_dataframe("dataset"))
    return _session[1]


def _plain(value: Any) -> Any:
    """JSON-safe and deterministic: numpy scalars to Python, NaN to None, sets sorted."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _kwargs(expectation: Any) -> dict[str, Any]:
    """The expectation's arguments as written in the suite ($PARAMETER kept, not resolved)."""
    config = expectation.configuration.to_json_dict()
    kwargs = {k: v for k, v in config.get("kwargs", {}).items() if k != "batch_id"}
    return _plain(kwargs)


def _exception(info: dict[str, Any]) -> str | None:
    """The message of an exception great-expectations caught while computing a result
    (either at the top level or per metric)."""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "an exception was raised")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            message = str(value.get("exception_message") or "an exception was raised")
            return message.splitlines()[0][:300]
    return None


def _columns(kwargs: dict[str, Any]) -> list[str]:
    names = [
        kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)
    ]
    names += [c for c in kwargs.get("column_list") or [] if isinstance(c, str)]
    return names


def _observed(e: ExpectationResult, lang: str = "en") -> str:
    """What an expectation observed: in English in validation/report.md (an issued file, its
    words unchanged), in French in a French message (`lang`)."""
    fr = lang == "fr"
    if e.error:
        return f"{'erreur : ' if fr else 'error: '}{e.error}"
    r = e.result
    if r.get("unexpected_count") is not None:
        count, rows = r["unexpected_count"], r.get("element_count")
        text = (
            f"{count} inattendue(s) sur {rows} ligne(s)"
            if fr
            else f"{count} unexpected of {rows} row(s)"
        )
        values = r.get("partial_unexpected_list") or []
        if values:
            text += f"{', par ex.' if fr else ', e.g.'} {', '.join(map(str, values[:SAMPLE_ROWS]))}"
        return text
    if r.get("observed_value") is not None:
        return f"{'observé' if fr else 'observed'} {r['observed_value']}"
    return "non satisfaite" if fr else "not met"


def _sample_rows(
    suite: Any, frame: pd.DataFrame, kwargs: dict[str, Any], indices: list[Any]
) -> list[str]:
    columns = [c for c in (*suite.key_columns, *_columns(kwargs)) if c in frame.columns]
    columns = list(dict.fromkeys(columns))
    samples = []
    for index in indices[:SAMPLE_ROWS]:
        if index not in frame.index:
            continue
        row = frame.loc[index]
        where = ""
        if "source_row" in columns and suite.file_label:
            where = f"{suite.file_label} line {_plain(row['source_row'])}: "
        values = ", ".join(
            f"{c}={_plain(row[c])!r}" for c in columns if not (where and c == "source_row")
        )
        samples.append(where + values)
    return samples


def _sql_samples(ctx: Context, sql: str) -> list[str]:
    try:
        names, rows = ctx.rows(sql)
    except duckdb.Error as exc:  # a sample query must never hide the failure itself
        return [f"(sample rows unavailable: {exc})"]
    return [", ".join(f"{n}={_plain(v)!r}" for n, v in zip(names, r, strict=True)) for r in rows]


_IN_SET = "expect_column_values_to_be_in_set"


def _narrowed(spec: Any, frame: pd.DataFrame, parameters: dict[str, Any]) -> dict[str, Any]:
    """The suite's parameters, each value set of ids that only `in_set` expectations use cut
    down to the values that the dataset's column(s) hold.

    A value is in the set if and only if it is in the set's intersection with the column's own
    values: every result is the same (success, counts, unexpected values), and the report shows
    `$PARAMETER`, not the values. great-expectations copies each expectation's arguments tens of
    times while it validates (pydantic `.dict()` of the resolved value set), so a set of
    thousands of ids costs about half a second per expectation, whatever the dataset's size.
    Only lists of strings (ids) are cut; if no value of the column is in the set, one value
    of the set (none of the column's) is kept, so that the set is never empty."""
    columns: dict[str, set[str]] = {}
    kept: set[str] = set()
    for check in spec.checks:
        kwargs = check.expectation.configuration.kwargs
        for key, value in kwargs.items():
            if not (isinstance(value, dict) and "$PARAMETER" in value):
                continue
            name = value["$PARAMETER"]
            column = kwargs.get("column")
            if (
                check.expectation.expectation_type == _IN_SET
                and key == "value_set"
                and isinstance(column, str)
                and column in frame.columns
            ):
                columns.setdefault(name, set()).add(column)
            else:
                kept.add(name)
    narrowed = dict(parameters)
    for name, names in columns.items():
        values = parameters.get(name)
        if name in kept or not isinstance(values, list) or len(values) < 2:
            continue
        if not all(isinstance(v, str) for v in values):
            continue
        held: set[Any] = set()
        for column in names:
            held.update(v for v in frame[column].dropna().tolist() if isinstance(v, str))
        narrowed[name] = [v for v in values if v in held] or values[:1]
    return narrowed


def run_suites(
    stage: str, suites: Any, ctx: Context, only: set[str] | None = None
) -> ValidationReport:
    """Run each suite on its dataset; never raises for a failed expectation."""
    started = time.perf_counter()
    _wait_for_preload()
    gx = _quiet_gx()
    batch = _batch_definition(gx)
    suite_results = []
    parameter_sets: dict[Any, dict[str, Any]] = {}
    for spec in suites:
        if only is not None and spec.name not in only:
            continue
        try:
            frame = spec.build(ctx)
            if spec.parameters not in parameter_sets:  # computed once per run, shared by suites
                parameter_sets[spec.parameters] = _plain(spec.parameters(ctx))
            parameters = _narrowed(spec, frame, parameter_sets[spec.parameters])
        except (duckdb.Error, KeyError, AttributeError, TypeError, ValueError) as exc:
            # data so broken that the dataset cannot even be built (a column missing...):
            # every expectation of the suite fails, with the reason
            suite_results.append(_unbuildable(spec, exc))
            continue
        gx_suite = gx.ExpectationSuite(name=spec.name)
        for check in spec.checks:
            # the suites are module constants: each run validates with its own copy
            expectation = check.expectation.copy(deep=True)
            expectation.id = None
            expectation.meta = {"check": check.id}
            gx_suite.add_expectation(expectation)
        with warnings.catch_warnings():
            # pandas 3 deprecations inside great_expectations' metrics: not ours to act on
            warnings.simplefilter("ignore")
            # Batch.validate: the same validator as a ValidationDefinition's run, without
            # saving the suite, the definition and the results in the (ephemeral) context's
            # stores, which serialise every result (a third of great-expectations' time)
            validated, parameters = _collapsed(spec, frame, parameters)
            outcome = batch.get_batch(batch_parameters={"dataframe": validated}).validate(
                gx_suite,
                expectation_parameters=parameters,
                result_format={
                    "result_format": "COMPLETE",
                    "partial_unexpected_count": _PARTIAL_VALUES,
                    "include_unexpected_rows": False,
                },
            )
        by_check = {r.expectation_config.meta.get("check"): r for r in outcome.results}
        expectations = []
        for check in spec.checks:
            raw = by_check[check.id].to_json_dict()
            result = raw.get("result") or {}
            exception = raw.get("exception_info") or {}
            kwargs = _kwargs(check.expectation)
            item = ExpectationResult(
                suite=spec.name,
                check=check.id,
                type=check.expectation.expectation_type,
                kwargs=kwargs,
                rule=check.rule,
                description=check.description,
                success=bool(raw.get("success")),
                result=_plain({k: result[k] for k in _RESULT_KEYS if result.get(k) is not None}),
                error=_exception(exception),
            )
            if item.result.get("partial_unexpected_list"):
                item.result["partial_unexpected_list"] = item.result["partial_unexpected_list"][
                    :_PARTIAL_VALUES
                ]
            if not item.success:
                if check.samples_sql:
                    item.samples = _sql_samples(ctx, check.samples_sql)
                if not item.samples:
                    indices = result.get("unexpected_index_list") or []
                    item.samples = _sample_rows(spec, frame, kwargs, indices)
            expectations.append(item)
        suite_results.append(SuiteResult(spec.name, spec.dataset, len(frame), expectations))
    return ValidationReport(stage, str(ctx.month), suite_results, time.perf_counter() - started)


def _collapsed(
    spec: Any, frame: pd.DataFrame, parameters: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame and parameters great-expectations validates: for a value set that only
    `in_set` expectations read, in columns that no other expectation reads, every value of
    the set in those columns replaced by one of them, and the set by that value alone. Each
    of those expectations gives the same result (element, missing and unexpected counts, the
    unexpected values in their order, their indices: a value stays itself when it is not in
    the set, a null stays null), and the report still shows `$PARAMETER`; samples are read
    from the frame as built.

    Why: great-expectations copies an expectation's resolved arguments thousands of times
    while it validates (pydantic `.dict()`), so a set of the 12,781 SIP accounts of the
    benchmark month cost seconds per expectation even after _narrowed (issue 18: 6-9 s of
    the two gates at 10M). Lists of strings only, as _narrowed."""
    readers: dict[str, set[str | None]] = {}
    elsewhere: set[str] = set()  # value sets that another kind of argument reads
    for check in spec.checks:
        kwargs = check.expectation.configuration.kwargs
        value = kwargs.get("value_set")
        in_set = (
            check.expectation.expectation_type == _IN_SET
            and isinstance(value, dict)
            and "$PARAMETER" in value
            and set(kwargs) <= {"column", "value_set"}
        )
        for argument in kwargs.values():
            if isinstance(argument, dict) and "$PARAMETER" in argument and not in_set:
                elsewhere.add(argument["$PARAMETER"])
        for column in _columns(kwargs):
            readers.setdefault(column, set()).add(value["$PARAMETER"] if in_set else None)
    columns: dict[str, list[str]] = {}  # value set -> the columns in_set checks read it in
    for column, names in sorted(readers.items()):
        for name in names - {None}:
            columns.setdefault(name, []).append(column)
    shown, collapsed = frame, dict(parameters)
    for name, names in sorted(columns.items()):
        values = parameters.get(name)
        if name in elsewhere or not isinstance(values, list) or len(values) < 2:
            continue
        if not all(isinstance(v, str) for v in values):
            continue
        # every column the set is read in is read by in_set checks of this set only
        if any(readers[c] != {name} or c not in frame.columns for c in names):
            continue
        if shown is frame:
            shown = frame.copy()
        for column in names:
            known = shown[column].isin(set(values))
            shown[column] = shown[column].where(~known, values[0])
        collapsed[name] = values[:1]
    return shown, collapsed


def _unbuildable(spec: Any, exc: Exception) -> SuiteResult:
    reason = f"the dataset could not be built: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return SuiteResult(
        spec.name,
        spec.dataset,
        0,
        [
            ExpectationResult(
                suite=spec.name,
                check=c.id,
                type=c.expectation.expectation_type,
                kwargs=_kwargs(c.expectation),
                rule=c.rule,
                description=c.description,
                success=False,
                result={},
                error=reason,
            )
            for c in spec.checks
        ],
    )


# --- the two gates -------------------------------------------------------------------------


def _month(month: Month | str) -> Month:
    return month if isinstance(month, Month) else Month.parse(str(month))


def validate_inputs(
    con: duckdb.DuckDBPyConnection, ref: Any, month: Month | str, only: set[str] | None = None
) -> ValidationReport:
    """Input suites over the loaded tables (ref_*, stg_cdrs, rejects, stg_registrations).

    Raises InputError (exit 2) naming every failing expectation, with sample rows."""
    _wait_for_preload()
    from pipeline.validation.expectations.inputs import input_suites

    ctx = Context(con=con, month=_month(month), ref=ref)
    report = run_suites("inputs", input_suites(), ctx, only)
    if not report.success:
        error = InputError(
            report.failure_message() + say("\nrien n'a été émis", "\nnothing was issued")
        )
        error.report = report  # type: ignore[attr-defined]
        raise error
    return report


def validate_outputs(
    billed: Any,
    con: duckdb.DuckDBPyConnection,
    snapshot: Any,
    month: Month | str,
    only: set[str] | None = None,
) -> ValidationReport:
    """Output suites over the month's documents, the ledger snapshot (the months issued
    before) and the rated calls in `con`.

    Raises ProblemFound (exit 1) naming every failing expectation, before anything is published."""
    _wait_for_preload()
    from pipeline.validation.expectations.outputs import output_suites

    ctx = Context(
        con=con, month=_month(month), ref=billed.reference, billed=billed, snapshot=snapshot
    )
    report = run_suites("outputs", output_suites(), ctx, only)
    if not report.success:
        error = ProblemFound(
            report.failure_message() + say("\nrien n'a été publié", "\nnothing was published")
        )
        error.report = report  # type: ignore[attr-defined]
        raise error
    return report


# --- the report ----------------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    if len(text) > 120:
        text = text[:117] + "..."
    return text.replace("|", "\\|").replace("\n", " ")


def _arguments(e: ExpectationResult) -> str:
    parts = []
    for key, value in e.kwargs.items():
        if key in ("result_format", "catch_exceptions", "meta", "include_config") or value is None:
            continue
        if isinstance(value, list) and len(value) > 8:
            value = f"[{len(value)} values]"
        parts.append(f"{key}={_cell(value)}")
    return ", ".join(parts)


def _markdown(reports: list[ValidationReport]) -> str:
    month = reports[0].month if reports else ""
    out = [f"# Validation of {month}", ""]
    out.append(
        "Great-expectations suites of the data contract (pipeline/validation/expectations/), "
        "run before "
        "anything is issued (inputs) and before the month is published (outputs)."
    )
    out.append("")
    for report in reports:
        stats = report.statistics()
        verdict = "passed" if report.success else "FAILED"
        out.append(
            f"## {report.stage.capitalize()}: {verdict} ({stats['successful']} of "
            f"{stats['expectations']} expectations met, {stats['suites']} suites)"
        )
        out.append("")
        for suite in report.suites:
            out.append(f"### {suite.name} {'passed' if suite.success else 'FAILED'}")
            out.append("")
            out.append(f"Dataset: {suite.dataset} ({suite.rows} rows).")
            out.append("")
            out.append("| # | result | rule | check | expectation | what must hold | observed |")
            out.append("| --- | --- | --- | --- | --- | --- | --- |")
            for i, e in enumerate(suite.expectations, start=1):
                out.append(
                    f"| {i} | {'pass' if e.success else '**FAIL**'} | {e.rule} | `{e.check}` | "
                    f"`{e.type}({_cell(_arguments(e))})` | {_cell(e.description)} | "
                    f"{_cell(_observed(e)) if not e.success else _cell(_summary(e))} |"
                )
            failing = [e for e in suite.expectations if not e.success and e.samples]
            for e in failing:
                out.append("")
                out.append(f"Sample rows for `{e.check}`:")
                out.append("")
                out += [f"- {_cell(s)}" for s in e.samples]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _summary(e: ExpectationResult) -> str:
    r = e.result
    if r.get("element_count") is not None:
        return f"{r['element_count']} row(s) checked"
    if r.get("observed_value") is not None:
        return f"observed {r['observed_value']}"
    return ""


def write_report(
    reports: ValidationReport | list[ValidationReport], folder: Path
) -> dict[str, Any]:
    """Write folder/<stage>.json per report and folder/report.md; return the manifest summary."""
    if isinstance(reports, ValidationReport):
        reports = [reports]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    summary: dict[str, Any] = {"success": all(r.success for r in reports), "stages": {}}
    for report in reports:
        path = folder / f"{report.stage}.json"
        data = report.to_json()
        path.write_text(
            json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        files.append(path.name)
        summary["great_expectations_version"] = data["great_expectations_version"]
        summary["stages"][report.stage] = {
            **report.statistics(),
            "success": report.success,
            "failed_expectations": [e.name for e in report.failures],
        }
    (folder / "report.md").write_text(_markdown(reports), encoding="utf-8")
    files.append("report.md")
    summary["files"] = [f"{folder.name}/{f}" for f in files]
    return summary


class Gates:
    """The two gates of a run, handed to pipeline.billing.month.compute_month (which calls
    `inputs` after the rating and `outputs` on the documents), and whether the e-invoices are
    checked against the EN 16931 and BR-FR schematrons too (`einvoice_rules`; the XSD always
    is). Tests that need a run to carry a fault wrap this class instead of patching the run."""

    einvoice_rules = True

    def preload(self) -> None:
        preload()

    def inputs(self, con: duckdb.DuckDBPyConnection, ref: Any, month: Month) -> ValidationReport:
        return validate_inputs(con, ref, month)

    def outputs(
        self, documents: Any, con: duckdb.DuckDBPyConnection, snapshot: Any, month: Month
    ) -> ValidationReport:
        return validate_outputs(documents, con, snapshot, month)


GATES = Gates()
