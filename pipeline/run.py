"""The billing run of one month: the driver that owns the steps (load, rate, bill, write).

Nothing is issued until every file is written: outputs go to a staging folder under OUT and
are published by one atomic rename (pipeline.ledger.store). A month already issued is recomputed
and compared, never rewritten (R64).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipeline import __version__
from pipeline.billing.contracts import contract_lines
from pipeline.billing.documents import BilledMonth
from pipeline.billing.invoicing import build_invoices, invoice_date
from pipeline.billing.sla import credit_notes_for_run
from pipeline.core import db
from pipeline.core.dates import Month
from pipeline.core.db import connect
from pipeline.core.errors import InputError, ProblemFound
from pipeline.core.progress import stage
from pipeline.exports.files import (
    CREDIT_NOTE_COLUMNS,
    FAIR_USE_COLUMNS,
    INVOICE_COLUMNS,
    LINE_COLUMNS,
    REJECT_COLUMNS,
    SLA_COLUMNS,
    sha256,
    write_csv,
    write_json,
    write_query_csv,
)
from pipeline.exports.workbook import write_exports
from pipeline.inputs.cdrs import month_files
from pipeline.inputs.reference import Reference, load_reference, register
from pipeline.ledger import store as ledger
from pipeline.ledger.compare import month_differences
from pipeline.rating.models import RATED_CALLS_FILE, rate_month
from pipeline.validation.gates import preload, validate_inputs, validate_outputs, write_report


@dataclass
class RunResult:
    month: Month
    status: str  # "issued", "identical"
    folder: Path
    invoices: int = 0
    credit_notes: int = 0
    total_ttc: str = "0.00"
    reconciliation: list[dict[str, Any]] = field(default_factory=list)


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        return f"git:{commit}"
    except (OSError, subprocess.SubprocessError):
        return f"package:{__version__}"


def _input_files(data: Path, rates: Path, month: Month) -> list[tuple[str, Path]]:
    files = [
        ("data", p) for p in sorted(data.iterdir()) if p.is_file() and not p.name.startswith(".")
    ]
    for folder in ("cdrs", "registrations"):
        files += [("data", p) for p in month_files(data, folder, str(month), required=False)]
    files += [("rates", p) for p in sorted(rates.iterdir()) if p.is_file() and p.suffix == ".csv"]
    return files


def usage_lines(con: duckdb.DuckDBPyConnection, month: Month) -> list[dict[str, Any]]:
    """R63: the usage of one SIP account for one zone and one reason, amount already rounded."""
    rows = con.execute(
        "select customer_id, sip_account, zone, reason, calls, billable_seconds, amount_ht "
        "from usage_lines"
    ).fetchall()
    return [
        {
            "customer_id": customer_id,
            "kind": "usage",
            "reference": sip_account,
            "description": f"Communications {zone} ({reason}) - {calls} appel(s)",
            "zone": zone,
            "reason": reason,
            "quantity": calls,
            "billable_seconds": int(seconds),
            "unit_price": None,
            "amount_ht": amount,
            "telephony_recurring": False,
            "period_start": month.first_day,
            "period_end": month.last_day,
        }
        for customer_id, sip_account, zone, reason, calls, seconds, amount in rows
    ]


def _write_month(folder: Path, billed: BilledMonth, manifest: dict[str, Any]) -> None:
    """The data-contract files, then the exports, then the manifest that hashes them all."""
    con = billed.con
    write_csv(folder / "invoices.csv", INVOICE_COLUMNS, [vars(i) for i in billed.invoices])
    ledger.checkpoint("staging")
    write_csv(folder / "invoice_lines.csv", LINE_COLUMNS, billed.lines)
    write_csv(
        folder / "credit_notes.csv", CREDIT_NOTE_COLUMNS, [vars(c) for c in billed.credit_notes]
    )
    write_csv(folder / "sla.csv", SLA_COLUMNS, billed.sla_rows)
    write_query_csv(
        con,
        folder / "rejects.csv",
        REJECT_COLUMNS,
        f"select {', '.join(REJECT_COLUMNS)} from rejects order by source_file, row_number",
    )
    write_query_csv(
        con,
        folder / "fair_use.csv",
        FAIR_USE_COLUMNS,
        f"select {', '.join(FAIR_USE_COLUMNS)} from fair_use_report order by sip_account",
    )
    with stage("outputs", "rated_calls.parquet"):
        # written once by the rating, sorted (pipeline.rating.models.write_rated_calls_file)
        shutil.copyfile(billed.rated_calls_file, folder / RATED_CALLS_FILE)
    with stage("exports"):
        write_exports(folder, billed, manifest)
    with stage("manifest", "output hashes"):
        manifest["outputs"] = {
            p.relative_to(folder).as_posix(): sha256(p)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"
        }
    write_json(folder / "manifest.json", manifest)


def _numbers(docs: list[Any], attr: str) -> list[str]:
    values = [getattr(d, attr) for d in docs]
    return [values[0], values[-1]] if values else []


def _scratch_folder(out: Path, month: Month) -> Path:
    """The run's own scratch folder (rated_calls.parquet before it is copied into the month),
    outside OUT so that a killed run leaves OUT as it was, in BILLING_TEMP_DIR or the system's
    temporary folder. Its name carries a key of OUT: the caller holds OUT's lock, so a folder
    with the same key was left by a run on this OUT that was killed, and is removed here."""
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:12]
    base = Path(db.temp_dir() or tempfile.gettempdir())
    for stale in sorted(base.glob(f"billing-{key}-*")):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"billing-{key}-{month}-", dir=base))


def bill_month(month_text: str, data: Path, out: Path, rates: Path) -> RunResult:
    month = Month.parse(month_text)
    if not data.is_dir():
        raise InputError(f"data folder {str(data)!r} does not exist or is not a folder")
    preload()  # issue 7: great_expectations imports in the background while the month rates
    with stage("reference"):
        ref: Reference = load_reference(data, rates)
    with ledger.locked(out):
        ledger.checkpoint("locked")
        final = out / str(month)
        ledger.verify(out)
        already = ledger.check_month_order(out, month)
        con = connect()
        register(con, ref)
        scratch = _scratch_folder(out, month)
        try:
            return _bill(month, data, out, rates, ref, con, scratch, already, final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _bill(
    month: Month,
    data: Path,
    out: Path,
    rates: Path,
    ref: Reference,
    con: duckdb.DuckDBPyConnection,
    scratch: Path,
    already: bool,
    final: Path,
) -> RunResult:
    cdr_files = rate_month(con, data, month, ledger.billed_id_files(out, month), scratch=scratch)
    ledger.checkpoint("rated")
    with stage("validation", "inputs"):
        input_report = validate_inputs(con, ref, month)  # issue 7: exit 2, nothing issued
    with stage("contracts"):
        lines = contract_lines(ref, month) + usage_lines(con, month)
    customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
    year = invoice_date(month).year
    with stage("invoices"):
        invoices = build_invoices(
            lines,
            customers,
            month,
            ledger.next_sequence(out, month, "F", "invoice_number", "invoices.csv", year),
            provider=ref.provider,
        )
    reconciliation = [
        dict(
            zip(
                ("source_file", "rows_read", "rated", "duplicates", "rejected", "balanced"),
                r,
                strict=True,
            )
        )
        for r in con.execute("select * from reconciliation").fetchall()
    ]
    unbalanced = [r["source_file"] for r in reconciliation if not r["balanced"]]
    if unbalanced:
        raise ProblemFound(f"CDR reconciliation does not balance for {', '.join(unbalanced)} (R40)")
    with stage("sla"):
        credit_notes, sla_rows = credit_notes_for_run(
            ref,
            month,
            out,
            ledger.next_sequence(out, month, "AV", "credit_note_number", "credit_notes.csv", year),
        )
    billed = BilledMonth(
        month,
        invoices,
        credit_notes,
        sla_rows,
        reconciliation,
        con=con,
        reference=ref,
        data_dir=data,
        rates_dir=rates,
        rated_calls_file=scratch / RATED_CALLS_FILE,
    )
    with stage("validation", "outputs"):
        output_report = validate_outputs(billed, out, month)  # issue 7: exit 1, not published
    with stage("manifest", "input hashes"):
        manifest = {
            "month": str(month),
            "code_version": code_version(),
            "inputs": [
                {
                    "folder": kind,
                    "path": p.relative_to(data if kind == "data" else rates).as_posix(),
                    "sha256": sha256(p),
                    "bytes": p.stat().st_size,
                }
                for kind, p in _input_files(data, rates, month)
            ],
            "cdr_files": cdr_files,
            "reconciliation": reconciliation,
            "numbers": {
                "invoices": _numbers(invoices, "invoice_number"),
                "credit_notes": _numbers(credit_notes, "credit_note_number"),
            },
            "row_counts": {
                "invoices": len(invoices),
                "invoice_lines": len(billed.lines),
                "credit_notes": len(credit_notes),
                "rated_calls": con.execute("select count(*) from rated_calls").fetchone()[0],
                "rejects": con.execute("select count(*) from rejects").fetchone()[0],
            },
        }
    staging = ledger.staging_dir(out, month)
    try:
        manifest["validation"] = write_report([input_report, output_report], staging / "validation")
        _write_month(staging, billed, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # nothing half-written stays under OUT
        raise
    result = RunResult(
        month,
        "issued",
        final,
        invoices=len(invoices),
        credit_notes=len(credit_notes),
        total_ttc=str(sum((i.total_ttc for i in invoices), start=Decimal("0.00"))),
        reconciliation=reconciliation,
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
    ledger.publish(staging, final)
    return result
