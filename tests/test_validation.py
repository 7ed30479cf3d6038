"""Test helpers for issue 7: run the month with the validation gates and with injected faults.

`Gates` patches pipeline.run so that a test can corrupt what a run computed (SQL on the DuckDB
tables right after rating, a change to the invoices or credit notes before they are written),
as data that slipped past the loader would. When pipeline/run.py does not call the gates yet,
it also calls them where run.py will: the inputs right after rating, the outputs before the
staging folder is written, the report into that folder and its summary into manifest.json.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pipeline.run as run
from pipeline.validation import gates as validation


def run_is_wired() -> bool:
    source = inspect.getsource(run)
    return "validate_inputs" in source and "validate_outputs" in source


class Gates:
    def __init__(self, monkeypatch: Any):
        self.input_sql: list[str] = []  # executed on the connection right after rating
        self.invoices: Callable[[list[Any]], Any] | None = None  # mutates the invoices
        self.credit_notes: list[Any] | None = None  # replaces the run's credit notes
        wired = run_is_wired()
        real_rate = run.rate_month
        real_build = run.build_invoices
        real_credit = run.credit_notes_for_run
        real_write = run._write_month

        def rate_month(con, data, month, ids, **kwargs):
            files = real_rate(con, data, month, ids, **kwargs)
            if any("rated_calls" in sql for sql in self.input_sql):
                rated_calls_table(con)  # a table the faults can change
            for sql in self.input_sql:
                con.execute(sql)
            if not wired:
                self.input_report = validation.validate_inputs(con, None, month)
            return files

        def build_invoices(*args, **kwargs):
            invoices = real_build(*args, **kwargs)
            if self.invoices is not None:
                self.invoices(invoices)
            return invoices

        def credit_notes_for_run(*args, **kwargs):
            notes, sla_rows = real_credit(*args, **kwargs)
            if self.credit_notes is not None:
                return list(self.credit_notes), sla_rows
            return notes, sla_rows

        def write_month(folder: Path, billed, manifest):
            if not wired:
                out = folder.parent
                report = validation.validate_outputs(billed, out, billed.month)
                manifest["validation"] = validation.write_report(
                    [self.input_report, report], folder / "validation"
                )
            return real_write(folder, billed, manifest)

        monkeypatch.setattr(run, "rate_month", rate_month)
        monkeypatch.setattr(run, "build_invoices", build_invoices)
        monkeypatch.setattr(run, "credit_notes_for_run", credit_notes_for_run)
        monkeypatch.setattr(run, "_write_month", write_month)


def snapshot(out: Path) -> dict[str, str]:
    """Every file under OUT (the issued months and the ledger) with its sha256; the run lock
    file is not state."""
    if not out.exists():
        return {}
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".lock"
    } | {p.relative_to(out).as_posix() + "/": "dir" for p in sorted(out.rglob("*")) if p.is_dir()}


# --- tests -----------------------------------------------------------------------------------

import json  # noqa: E402

import pytest  # noqa: E402

from tests.conftest import Workspace, rated_calls_table  # noqa: E402

MONTH = "2026-10"


def calls(ws: Workspace, month: str = MONTH) -> None:
    """Five calls on the 3rd of `month`: c1..c5 in MONTH, p1..p5 in another month."""
    day = f"{month}-03"
    prefix = "c" if month == MONTH else "p"
    ws.cdrs(
        month,
        [
            [prefix + row[0][1:], *row[1:]]
            for row in [
                [
                    "c1",
                    "sip-1",
                    "out",
                    "0145000000",
                    "+44 7911 123456",
                    f"{day}T09:15:00+02:00",
                    "61",
                    "D1",
                ],
                [
                    "c2",
                    "sip-1",
                    "out",
                    "0145000000",
                    "01 45 67 89 10",
                    f"{day}T10:15:00+02:00",
                    "61",
                    "D1",
                ],
                [
                    "c3",
                    "sip-1",
                    "in",
                    "0145000000",
                    "0145000000",
                    f"{day}T10:16:00+02:00",
                    "30",
                    "",
                ],
                ["c4", "sip-1", "out", "0145000000", "abc", f"{day}T10:17:00+02:00", "61", "D1"],
                [
                    "c5",
                    "sip-2",
                    "out",
                    "003225000000",
                    "+32 2 500 00 00",
                    f"{day}T11:00:00+02:00",
                    "120",
                    "",
                ],
            ]
        ],
    )


@pytest.fixture
def gates(monkeypatch) -> Gates:
    return Gates(monkeypatch)


def test_a_clean_month_passes_and_reports_every_expectation(ws, gates):
    from pipeline.validation.expectations.inputs import input_suites
    from pipeline.validation.expectations.outputs import output_suites

    calls(ws)
    result = ws.bill(MONTH)
    assert result.exit_code == 0, result.output
    assert "Calculating Metrics" not in result.output  # no progress bars
    folder = ws.out / MONTH / "validation"
    report = (folder / "report.md").read_text(encoding="utf-8")
    for stage, suites in (("inputs", input_suites()), ("outputs", output_suites())):
        data = json.loads((folder / f"{stage}.json").read_text(encoding="utf-8"))
        assert data["success"] is True
        listed = {
            (s["suite"], e["check"]): e["success"]
            for s in data["suites"]
            for e in s["expectations"]
        }
        expected = {(s.name, c.id) for s in suites for c in s.checks}
        assert set(listed) == expected
        for suite in suites:
            assert f"### {suite.name} passed" in report
            for check in suite.checks:
                assert f"| pass | {check.rule} | `{check.id}` |" in report
    manifest = json.loads((ws.out / MONTH / "manifest.json").read_text(encoding="utf-8"))
    summary = manifest["validation"]
    assert summary["success"] is True
    assert summary["stages"]["inputs"]["failed"] == 0
    assert summary["stages"]["outputs"]["expectations"] > 0
    assert "validation/report.md" in summary["files"]


def test_preload_imports_great_expectations_in_the_background():
    import sys

    validation.preload()
    validation._wait_for_preload()
    assert "great_expectations" in sys.modules
    assert "pipeline.validation.expectations.outputs" in sys.modules
