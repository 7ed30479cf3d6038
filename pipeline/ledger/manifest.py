"""manifest.json of an issued month: what it was computed from (every input with its sha256,
the code version and the versions of the libraries that shape the output), what it holds
(row counts, the CDR reconciliation, the numbers issued, the validation summary, whether it
was issued with `--accept-rejects` and the files that needed it, R43) and the sha256 of every
file it publishes."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.billing.corrections import CorrectionDocuments
from pipeline.billing.month import rejects_over_limit
from pipeline.billing.month_documents import MonthDocuments
from pipeline.core.data_contract import HIGH_RISK_PREFIXES, MANIFEST_FILE
from pipeline.core.dates import Month
from pipeline.inputs.cdrs import month_files

# The libraries whose version can change the bytes of an issued file: an audit years later
# says when it runs other versions than the month was issued with.
OUTPUT_LIBRARIES = (
    "duckdb",
    "pyarrow",
    "openpyxl",
    "great-expectations",
    "pandas",
    "factur-x",
    "saxonche",
    "typst",
    "pikepdf",
    "lxml",
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def code_version() -> str:
    root = Path(__file__).resolve().parents[2]
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


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in OUTPUT_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def input_files(data: Path, rates: Path, month: Month) -> list[tuple[str, Path]]:
    """Every input of the month: the data folder's files, the month's usage files, the rate
    book's CSV files."""
    files = [
        ("data", p) for p in sorted(data.iterdir()) if p.is_file() and not p.name.startswith(".")
    ]
    for folder in ("cdrs", "registrations"):
        files += [("data", p) for p in month_files(data, folder, str(month), required=False)]
    files += [
        ("rates", p)
        for p in sorted(rates.iterdir())
        if p.is_file() and p.suffix == ".csv" and p.name not in NOT_BILLING_INPUTS
    ]
    return files


# rate-book files that no month is billed with: the fraud watch's list (R26-R27: an alert never
# changes an amount), neither hashed in a month's manifest nor archived with it
NOT_BILLING_INPUTS = frozenset({HIGH_RISK_PREFIXES.name})


def _numbers(docs: list[Any], attr: str) -> list[str]:
    values = [getattr(d, attr) for d in docs]
    return [values[0], values[-1]] if values else []


def accepted_rejects(documents: MonthDocuments) -> dict[str, Any]:
    """R43, a month issued with `--accept-rejects`: the limit and the CDR files over it, each
    with its rows read, rejected (duplicates apart) and reasons. Written only then: an audit
    does not compare it (it follows from the reconciliation, which is compared, and from
    provider.toml, whose hash is), so the months issued before it existed audit the same."""
    limit = documents.reference.provider["max_rejected_pct"]
    files = rejects_over_limit(documents.reconciliation, documents.rejects, limit)
    return {
        "max_rejected_pct": limit,
        "files": [
            {k: f[k] for k in ("source_file", "rows_read", "rejected", "reasons") if k in f}
            for f in files
        ],
    }


def build(documents: MonthDocuments, data: Path, rates: Path) -> dict[str, Any]:
    """The manifest of a month before its files are written (`seal` adds their hashes)."""
    record = {
        "month": str(documents.month),
        "code_version": code_version(),
        "libraries": library_versions(),
        "inputs": [
            {
                "folder": kind,
                "path": p.relative_to(data if kind == "data" else rates).as_posix(),
                "sha256": sha256(p),
                "bytes": p.stat().st_size,
            }
            for kind, p in input_files(data, rates, documents.month)
        ],
        "cdr_files": documents.cdr_files,
        "accepted_rejects": documents.accepted_rejects,
        "reconciliation": documents.reconciliation,
        "numbers": {
            "invoices": _numbers(documents.invoices, "invoice_number"),
            "credit_notes": _numbers(documents.credit_notes, "credit_note_number"),
        },
        "row_counts": {
            "invoices": len(documents.invoices),
            "invoice_lines": len(documents.lines),
            "credit_notes": len(documents.credit_notes),
            "rated_calls": documents.rated_calls,
            "rejects": documents.rejects.num_rows if documents.rejects is not None else 0,
        },
    }
    if documents.accepted_rejects:
        record["rejects_over_limit"] = accepted_rejects(documents)
    if documents.fec_vat_pending:  # R88: written only then, so earlier months audit the same
        record["fec_vat_pending"] = list(documents.fec_vat_pending)
    return record


def build_correction(correction: CorrectionDocuments, data: Path, rates: Path) -> dict[str, Any]:
    """The manifest of a correction (R68): the inputs it recomputed the month from, where it
    stands in the order of issue, its documents."""
    record = build(correction.recomputed, data, rates)
    record["correction"] = {
        "month": str(correction.month),
        "number": correction.number,
        "date": correction.issued_on.isoformat(),
        "position": {
            "last_month": str(correction.position.last_month),
            "corrections_before": correction.position.corrections_before,
        },
    }
    record["numbers"] = {
        "invoices": _numbers(correction.invoices, "invoice_number"),
        "credit_notes": _numbers(correction.credit_notes, "credit_note_number"),
    }
    record["row_counts"] = {
        **record["row_counts"],
        "invoices": len(correction.invoices),
        "invoice_lines": len(correction.lines),
        "credit_notes": len(correction.credit_notes),
        "changes": len(correction.changes),
    }
    return record


def seal(folder: Path, manifest: dict[str, Any]) -> None:
    """Hash every file of the folder into the manifest and write it, last."""
    manifest["outputs"] = {
        p.relative_to(folder).as_posix(): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }
    write_json(folder / MANIFEST_FILE, manifest)


def read(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
