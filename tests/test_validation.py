"""Test helpers for issue 7: run the month with the validation gates and with injected faults.

`FaultyGates` are the real gates of a run (pipeline.validation.gates.Gates, the parameter of
compute_month) with faults injected where data that slipped past the loader would be: SQL on
the DuckDB tables right after rating (before the input gate), a change to the invoices or
credit notes before the output gate. Nothing of the run is patched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.validation import gates as validation


class FaultyGates(validation.Gates):
    def __init__(self) -> None:
        self.input_sql: list[str] = []  # executed on the connection right after rating
        self.invoices: Callable[[list[Any]], Any] | None = None  # mutates the invoices
        self.credit_notes: list[Any] | None = None  # replaces the run's credit notes
        self.documents: Any = None  # what the output gate was handed, and its snapshot
        self.snapshot: Any = None

    def inputs(self, con, ref, month):
        for name in ("rated_calls", "stg_cdrs"):
            if any(name in sql for sql in self.input_sql):
                view_as_table(con, name)  # a table the faults can change
        for sql in self.input_sql:
            con.execute(sql)
        return super().inputs(con, ref, month)

    def outputs(self, documents, con, snapshot, month):
        if self.invoices is not None:
            self.invoices(documents.invoices)
        if self.credit_notes is not None:
            documents.credit_notes = list(self.credit_notes)
        self.documents, self.snapshot = documents, snapshot
        return super().outputs(documents, con, snapshot, month)


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

from tests import scenarios  # noqa: E402
from tests.conftest import Workspace, view_as_table  # noqa: E402

MONTH = "2026-10"


def calls(ws: Workspace, month: str = MONTH) -> None:
    """Five calls on the 3rd of `month`: c1..c5 in MONTH, p1..p5 in another month."""
    day = f"{month}-03"
    prefix = "c" if month == MONTH else "p"
    be_fixed = "c5,sip-2,out,003225000000,+32 2 500 00 00,2026-10-03T11:00:00+02:00,120,"
    ws.cdrs(
        month,
        [
            [prefix + r[0][1:], *r[1:5], r[5].replace("2026-10-03", day), *r[6:]]
            for r in scenarios.calls(*scenarios.FOUR_CALLS, be_fixed)
        ],
    )


def test_a_clean_month_passes_and_reports_every_expectation(sample_runs):
    """A clean month (October 2026 of the sample, issued through the gates by
    conftest.sample_runs) passes, and its report lists every expectation of every suite."""
    from pipeline.validation.expectations.inputs import input_suites
    from pipeline.validation.expectations.outputs import output_suites

    out, results = sample_runs
    result = results[MONTH]
    assert result.exit_code == 0, result.output
    assert "Calculating Metrics" not in result.output  # no progress bars
    folder = out / MONTH / "validation"
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
    manifest = json.loads((out / MONTH / "manifest.json").read_text(encoding="utf-8"))
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


def test_the_sample_month_passes_every_gate(sample_runs):
    """The one sample run with the gates (conftest.sample_runs): October 2026 of the sample,
    after its September, passes every input and output expectation."""
    out, results = sample_runs
    assert results["2026-10"].exit_code == 0, results["2026-10"].output
    summary = json.loads((out / "2026-10" / "manifest.json").read_text(encoding="utf-8"))
    assert summary["validation"]["success"] is True
    assert summary["validation"]["stages"]["inputs"]["failed"] == 0
    assert summary["validation"]["stages"]["outputs"]["failed"] == 0
    assert summary["validation"]["stages"]["outputs"]["expectations"] > 0


def test_r42_value_sets_collapsed_for_great_expectations_report_the_same(monkeypatch):
    """gates._collapsed hands great-expectations each column that only `in_set` checks of one
    value set read with its known ids replaced by one of them, and the set by that id (issue
    18: the sets' size, not the data's, was most of the gates' time at 10M). The report is the
    same, byte for byte, as with the frame and sets as built: counts, nulls, the unknown ids
    in their order, samples. A set read in a column that another check reads too (unique)
    is left whole, in every column."""
    import dataclasses

    import great_expectations.expectations as gxe
    import pandas as pd

    from pipeline.validation.expectations import Check, Suite

    known = [f"C{n:03}" for n in range(100)]
    owners = [*known[:60], "C999", None, "C998", "C999", *known[40:50]]
    payers = [*known[10:70], None, "C001", "X1", "C002", *known[:10]]
    frame = pd.DataFrame(
        {"row": range(len(owners)), "owner": owners, "payer": payers, "manager": payers}
    )
    checks = tuple(
        Check(
            f"{column}.known",
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=p),
            "R42",
            "",
        )
        for column in ("owner", "payer", "manager")
        for p in [{"$PARAMETER": "ids"}]
    ) + (Check("manager.unique", gxe.ExpectColumnValuesToBeUnique(column="manager"), "R42", ""),)
    suite = Suite(
        "inputs.synthetic",
        "a test frame",
        lambda ctx: frame.copy(),
        checks,
        ("row",),
        parameters=lambda ctx: {"ids": known},
    )
    seen = []
    collapse = validation._collapsed

    def spy(spec, shown, parameters):
        result = collapse(spec, shown, parameters)
        seen.append(result)
        return result

    def report() -> str:
        ctx = validation.Context(con=None, month=validation._month(MONTH))
        outcome = validation.run_suites("inputs", (suite,), ctx)
        return json.dumps([e.to_json() for e in outcome.results], sort_keys=True)

    monkeypatch.setattr(validation, "_collapsed", spy)
    collapsed = report()
    ((shown, parameters),) = seen
    # manager is read by `unique` too, so the set it shares with the others stays whole
    assert parameters == {"ids": known[:70]} and shown.equals(frame)  # as _narrowed cut it
    monkeypatch.setattr(validation, "_collapsed", lambda spec, f, p: (f, p))
    assert collapsed == report()
    # without the unique check, owner and payer (both read by in_set on ids only) collapse
    suite = dataclasses.replace(suite, checks=checks[:3])
    checks_only = report()
    monkeypatch.setattr(validation, "_collapsed", spy)
    seen.clear()
    assert report() == checks_only
    ((shown, parameters),) = seen
    assert parameters == {"ids": ["C000"]}
    owner_shown = shown["owner"].fillna("-").tolist()
    assert owner_shown[58:64] == ["C000", "C000", "C999", "-", "C998", "C999"]
    assert set(owner_shown) == {"C000", "C999", "C998", "-"}
    assert set(shown["payer"].fillna("-")) == {"C000", "X1", "-"}
    owner = json.loads(checks_only)[0]
    assert (owner["success"], owner["result"]["unexpected_count"]) == (False, 3)
    assert owner["result"]["partial_unexpected_list"] == ["C999", "C998", "C999"]
