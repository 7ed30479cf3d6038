"""The billing run of one month: the driver that owns the steps (load, rate, bill, write).

Nothing is issued until every file is written: outputs go to a staging folder under OUT and
are published by one atomic rename (pipeline.ledger). A month already issued is recomputed
and compared, never rewritten (R64).
"""

from __future__ import annotations

import csv
import filecmp
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipeline import __version__, ledger
from pipeline.cdrs import month_files
from pipeline.contracts import contract_lines
from pipeline.dates import Month
from pipeline.db import connect
from pipeline.documents import BilledMonth
from pipeline.errors import InputError, ProblemFound
from pipeline.exports import write_exports
from pipeline.invoicing import build_invoices, invoice_date
from pipeline.outputs import (
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
    write_rated_calls,
)
from pipeline.rating import rate_month
from pipeline.reference import Reference, load_reference, register
from pipeline.sla import credit_notes_for_run

# Files compared when a month is billed again (R64). The manifest (it names the code version)
# and the workbook (a rendering of these files) are not.
ISSUED_FILES = (
    "invoices.csv",
    "invoice_lines.csv",
    "credit_notes.csv",
    "sla.csv",
    "rejects.csv",
    "fair_use.csv",
    "rated_calls.parquet",
)


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
            capture_output=True, text=True, check=True, timeout=5,
        ).stdout.strip()
        return f"git:{commit}"
    except (OSError, subprocess.SubprocessError):
        return f"package:{__version__}"


def _input_files(data: Path, rates: Path, month: Month) -> list[tuple[str, Path]]:
    files = [("data", p) for p in sorted(data.iterdir()) if p.is_file() and not p.name.startswith(".")]
    for folder in ("cdrs", "registrations"):
        files += [("data", p) for p in month_files(data, folder, str(month), required=False)]
    files += [("rates", p) for p in sorted(rates.iterdir()) if p.is_file() and p.suffix == ".csv"]
    return files


def usage_lines(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
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
        }
        for customer_id, sip_account, zone, reason, calls, seconds, amount in rows
    ]


def _write_month(folder: Path, billed: BilledMonth, manifest: dict[str, Any]) -> None:
    """The data-contract files, then the exports, then the manifest that hashes them all."""
    con = billed.con
    write_csv(folder / "invoices.csv", INVOICE_COLUMNS, [vars(i) for i in billed.invoices])
    write_csv(folder / "invoice_lines.csv", LINE_COLUMNS, billed.lines)
    write_csv(folder / "credit_notes.csv", CREDIT_NOTE_COLUMNS, [vars(c) for c in billed.credit_notes])
    write_csv(folder / "sla.csv", SLA_COLUMNS, billed.sla_rows)
    write_query_csv(
        con, folder / "rejects.csv", REJECT_COLUMNS,
        f"select {', '.join(REJECT_COLUMNS)} from rejects order by source_file, row_number",
    )
    write_query_csv(
        con, folder / "fair_use.csv", FAIR_USE_COLUMNS,
        f"select {', '.join(FAIR_USE_COLUMNS)} from fair_use_report order by sip_account",
    )
    write_rated_calls(con, folder / "rated_calls.parquet")
    write_exports(folder, billed, manifest)
    manifest["outputs"] = {
        p.name: sha256(p) for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"
    }
    write_json(folder / "manifest.json", manifest)


def _compare(issued: Path, fresh: Path) -> list[str]:
    """R64: differences between an issued month and its recomputation, by file and row."""
    differences = []
    for name in ISSUED_FILES:
        a, b = issued / name, fresh / name
        if not a.exists():
            differences.append(f"{name}: missing from the issued month")
            continue
        if filecmp.cmp(a, b, shallow=False):
            continue
        if name.endswith(".csv"):
            with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
                old, new = list(csv.reader(fa)), list(csv.reader(fb))
            removed = [r for r in old[1:] if r not in new[1:]]
            added = [r for r in new[1:] if r not in old[1:]]
            differences.append(f"{name}: {len(removed)} issued row(s) differ, {len(added)} new row(s)")
            for r in removed[:10]:
                differences.append(f"  issued:     {','.join(r)}")
            for r in added[:10]:
                differences.append(f"  recomputed: {','.join(r)}")
        else:
            differences.append(f"{name}: content differs")
    return differences


def bill_month(month_text: str, data: Path, out: Path, rates: Path) -> RunResult:
    month = Month.parse(month_text)
    if not data.is_dir():
        raise InputError(f"data folder {str(data)!r} does not exist or is not a folder")
    ref: Reference = load_reference(data, rates)
    with ledger.locked(out):
        final = out / str(month)
        already = (final / "manifest.json").exists()
        later = [m for m in ledger.issued_months(out) if m > month]
        if later and not already:
            raise InputError(
                f"{later[-1]} is already issued: {month} can no longer be issued without breaking "
                "the invoice number order (R60)"
            )
        con = connect()
        register(con, ref)
        cdr_files = rate_month(con, data, month, ledger.billed_id_files(out, month))
        lines = contract_lines(ref, month) + usage_lines(con)
        customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
        year = invoice_date(month).year
        invoices = build_invoices(
            lines, customers, month,
            ledger.next_sequence(out, month, "F", "invoice_number", "invoices.csv", year),
        )
        reconciliation = [
            dict(zip(("source_file", "rows_read", "rated", "duplicates", "rejected", "balanced"), r, strict=True))
            for r in con.execute("select * from reconciliation").fetchall()
        ]
        unbalanced = [r["source_file"] for r in reconciliation if not r["balanced"]]
        if unbalanced:
            raise ProblemFound(f"CDR reconciliation does not balance for {', '.join(unbalanced)} (R40)")
        credit_notes, sla_rows = credit_notes_for_run(
            ref, month, out,
            ledger.next_sequence(out, month, "AV", "credit_note_number", "credit_notes.csv", year),
        )
        billed = BilledMonth(
            month, invoices, credit_notes, sla_rows, reconciliation, con=con, reference=ref,
            data_dir=data, rates_dir=rates,
        )
        manifest = {
            "month": str(month),
            "code_version": code_version(),
            "inputs": [
                {"folder": kind, "path": p.relative_to(data if kind == "data" else rates).as_posix(),
                 "sha256": sha256(p), "bytes": p.stat().st_size}
                for kind, p in _input_files(data, rates, month)
            ],
            "cdr_files": cdr_files,
            "reconciliation": reconciliation,
            "row_counts": {
                "invoices": len(invoices),
                "invoice_lines": len(billed.lines),
                "credit_notes": len(credit_notes),
                "rated_calls": con.execute("select count(*) from rated_calls").fetchone()[0],
                "rejects": con.execute("select count(*) from rejects").fetchone()[0],
            },
        }
        staging = ledger.staging_dir(out, month)
        _write_month(staging, billed, manifest)
        result = RunResult(
            month, "issued", final, invoices=len(invoices), credit_notes=len(credit_notes),
            total_ttc=str(sum((i.total_ttc for i in invoices), start=0)),
            reconciliation=reconciliation,
        )
        if already:
            differences = _compare(final, staging)
            shutil.rmtree(staging)
            if differences:
                raise ProblemFound(
                    f"{month} is already issued and the recomputation differs; nothing was "
                    "rewritten (R64):\n" + "\n".join(differences)
                )
            result.status = "identical"
            return result
        ledger.publish(staging, final)
        return result
