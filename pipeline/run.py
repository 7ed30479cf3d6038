"""The driver: the steps of `bill`, `audit` and `explain`, and nothing else.

Every command follows the same one-way flow:

1. read the reference data and the rate book (R42: bad data stops here, exit 2);
2. under OUT's lock, check the ledger and read it once (pipeline.ledger.snapshot);
3. compute the month (pipeline.billing.month.compute_month: a function of the inputs and the
   snapshot, which never reads OUT);
4. issue: write the month into a staging folder under OUT and publish it by one atomic
   rename (bill), compare it with what was issued (a re-run, R64; an audit), or read one
   call's facts (explain).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.billing.documents import MonthDocuments
from pipeline.billing.month import Gates, MonthInputs, compute_month
from pipeline.billing.snapshot import LedgerSnapshot
from pipeline.core.dates import Month
from pipeline.core.errors import BillingError, InputError, ProblemFound
from pipeline.core.progress import checkpoint, stage
from pipeline.explain import explain_text
from pipeline.exports.month import write_month
from pipeline.inputs.reference import load_reference
from pipeline.ledger import manifest, store
from pipeline.ledger.archive import ARCHIVE_DIR, archive_inputs, restore_inputs
from pipeline.ledger.compare import compare_months, issued_files_intact, month_differences
from pipeline.ledger.issued import call_facts
from pipeline.ledger.snapshot import read_snapshot
from pipeline.rating.models import rated_call_rows
from pipeline.validation.gates import GATES, write_report


@dataclass
class RunResult:
    month: Month
    status: str  # "issued", "identical"
    folder: Path
    invoices: int = 0
    credit_notes: int = 0
    total_ttc: str = "0.00"
    reconciliation: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AuditResult:
    month: Month
    folder: Path
    inputs: int
    issued_code: str
    current_code: str
    notes: list[str] = field(default_factory=list)


def _month_and_reference(month_text: str, data: Path, rates: Path) -> tuple[Month, Any]:
    month = Month.parse(month_text)
    if not data.is_dir():
        raise InputError(f"data folder {str(data)!r} does not exist or is not a folder")
    with stage("reference"):
        return month, load_reference(data, rates)


def write_issued_month(folder: Path, documents: MonthDocuments, data: Path, rates: Path) -> None:
    """Every file of the month into `folder`: the validation report, the documents and
    exports, the archive of the inputs, and last the manifest that hashes them all."""
    with stage("manifest", "input hashes"):
        record = manifest.build(documents, data, rates)
    if documents.validation:
        record["validation"] = write_report(documents.validation, folder / "validation")
    exports = write_month(folder, documents)
    archive_inputs(folder, data, rates, record["inputs"])
    record["exports"] = {**exports, "archive": f"{ARCHIVE_DIR}/sha256/"}
    with stage("manifest", "output hashes"):
        manifest.seal(folder, record)


def bill_month(
    month_text: str, data: Path, out: Path, rates: Path, *, gates: Gates | None = GATES
) -> RunResult:
    """Bill `month_text`: issue it, or, if it is already issued, recompute and compare (R64)."""
    if gates is not None:
        gates.preload()  # great_expectations imports in the background while the month rates
    month, ref = _month_and_reference(month_text, data, rates)
    with store.locked(out):
        checkpoint("locked")
        store.verify(out)
        already = store.check_month_order(out, month)
        snapshot = read_snapshot(out, before=month)
        final = out / str(month)
        with store.scratch_folder(out, month) as scratch:
            documents = compute_month(
                MonthInputs(month, ref, data), snapshot, scratch=scratch, gates=gates
            )
            staging = store.staging_dir(out, month)
            try:
                write_issued_month(staging, documents, data, rates)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)  # nothing half-written stays in OUT
                raise
            result = RunResult(
                month,
                "issued",
                final,
                invoices=len(documents.invoices),
                credit_notes=len(documents.credit_notes),
                total_ttc=str(sum((i.total_ttc for i in documents.invoices), Decimal("0.00"))),
                reconciliation=documents.reconciliation,
            )
            if already:
                try:
                    differences = month_differences(final, staging)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                if differences:
                    raise ProblemFound(
                        f"{month} is already issued and the recomputation differs; nothing was "
                        "rewritten (R64):\n" + "\n".join(differences)
                    )
                result.status = "identical"
                return result
            store.publish(staging, final)
    return result


def audit_month(
    month_text: str, data: Path, out: Path, rates: Path, *, gates: Gates | None = GATES
) -> AuditResult:
    """Re-run an issued month from the inputs archived when it was issued, with today's code,
    and compare every issued file. Raise ProblemFound listing every difference; return
    quietly when identical. Never writes under OUT.

    `data` and `rates` serve only for inputs missing from the month's archive (a month issued
    before the archive existed), when they still have their recorded hash."""
    month = Month.parse(month_text)
    folder = out / str(month)
    if not store.is_issued(out, month):
        raise InputError(
            f"{month} is not an issued month under {out} (no {folder / 'manifest.json'}): "
            "nothing to audit"
        )
    if gates is not None:
        gates.preload()
    with store.locked(out):
        issued = manifest.read(folder)
        problems = issued_files_intact(folder, issued)
        store.verify(out, before=month)
        snapshot = read_snapshot(out, before=month)
        with tempfile.TemporaryDirectory(prefix="billing-audit-") as tmp:
            root = Path(tmp)
            tmp_data, tmp_rates, fresh = root / "data", root / "rates", root / "fresh"
            notes, input_problems = restore_inputs(
                issued, folder, data, rates, tmp_data, tmp_rates, month
            )
            problems += input_problems
            try:
                ref = load_reference(tmp_data, tmp_rates)
                scratch = root / "scratch"
                scratch.mkdir()
                documents = compute_month(
                    MonthInputs(month, ref, tmp_data), snapshot, scratch=scratch, gates=gates
                )
                fresh.mkdir()
                write_issued_month(fresh, documents, tmp_data, tmp_rates)
            except BillingError as exc:
                problems.append(f"the re-run stopped: {exc}")
            else:
                problems += compare_months(folder, fresh)
    notes += _library_notes(issued.get("libraries"))
    result = AuditResult(
        month,
        folder,
        len(issued.get("inputs", [])),
        issued.get("code_version", "?"),
        manifest.code_version(),
        notes,
    )
    if problems:
        raise ProblemFound(
            f"{month}: the re-run from the archived inputs differs from what was issued "
            f"(issued with {result.issued_code}, re-run with {result.current_code}):\n"
            + "\n".join(notes + problems)
        )
    return result


def _library_notes(issued: dict[str, str] | None) -> list[str]:
    """What an auditor must know: the libraries that shape the output have other versions
    than the ones the month was issued with."""
    if issued is None:
        return ["the month's manifest records no library versions (issued before they were)"]
    current = manifest.library_versions()
    return [
        f"{name} {issued[name]} when issued, {current.get(name, 'not installed')} now"
        for name in sorted(issued)
        if issued[name] != current.get(name)
    ]


def explain_call(month_text: str, cdr_id: str, data: Path, out: Path, rates: Path) -> str:
    """The explanation of one call: from the issued month's own files, or, for a month not
    issued yet, from its computation (nothing is written)."""
    month = Month.parse(month_text)
    if store.is_issued(out, month):
        source = f"issued month {out / str(month)}"
        return explain_text(month, cdr_id, source, *call_facts(out / str(month), cdr_id))
    source = f"not issued: rated again from {data} and {rates}, nothing written"
    month, ref = _month_and_reference(month_text, data, rates)
    snapshot = read_snapshot(out, before=month) if out.is_dir() else LedgerSnapshot()
    with tempfile.TemporaryDirectory(prefix="billing-explain-") as tmp:
        documents = compute_month(MonthInputs(month, ref, data), snapshot, scratch=Path(tmp))
        rated = rated_call_rows(documents.rated_calls_file, cdr_id)
    rejected = [r for r in documents.rejects.to_pylist() if r["cdr_id"] == cdr_id]
    fair_use = {r["sip_account"]: r for r in documents.fair_use.to_pylist()}
    return explain_text(month, cdr_id, source, rated, rejected, fair_use)
