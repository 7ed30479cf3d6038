"""Read the ledger once: every issued month's documents into one immutable LedgerSnapshot.

Called by the driver under OUT's lock, after `store.verify` has checked the issued files
against their manifests; nothing below the driver reads OUT afterwards
(pipeline.billing.ledger_snapshot says what the snapshot holds).
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from pipeline.billing.ledger_snapshot import (
    IssuedCharge,
    IssuedCorrection,
    IssuedMonth,
    LedgerSnapshot,
    Position,
)
from pipeline.core.data_contract import MANIFEST_FILE, RATED_CALLS_FILE
from pipeline.core.dates import Month
from pipeline.exports.fec import ENCODING, ENTRY_NUMBER, FEC_FILE, SEPARATOR
from pipeline.ledger.store import issued_charges, issued_corrections, issued_months


def _rows(path: Path) -> tuple[dict[str, str], ...]:
    if not path.exists():
        return ()
    with open(path, newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def fec_last_entries(folder: Path) -> dict[int, int]:
    """The last VE entry number per year in the FEC file(s) of an issued month folder."""
    highest: dict[int, int] = {}
    for path in sorted(folder.glob("*FEC*.txt")):
        if not FEC_FILE.match(path.name):
            continue
        with open(path, encoding=ENCODING, newline="") as handle:
            for record in handle:
                fields = record.rstrip("\r\n").split(SEPARATOR)
                match = ENTRY_NUMBER.match(fields[2]) if len(fields) >= 3 else None
                if match:
                    year, number = int(match.group(1)), int(match.group(2))
                    highest[year] = max(highest.get(year, 0), number)
    return highest


def read_correction(folder: Path) -> IssuedCorrection:
    """An issued correction folder (OUT/YYYY-MM/corrections/NN/, with its manifest)."""
    record = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["correction"]
    rated = folder / RATED_CALLS_FILE
    return IssuedCorrection(
        month=Month.parse(record["month"]),
        number=int(record["number"]),
        position=Position(
            Month.parse(record["position"]["last_month"]),
            int(record["position"]["corrections_before"]),
        ),
        issued_on=date.fromisoformat(record["date"]),
        invoices=_rows(folder / "invoices.csv"),
        invoice_lines=_rows(folder / "invoice_lines.csv"),
        credit_notes=_rows(folder / "credit_notes.csv"),
        fec_last_entry=fec_last_entries(folder),
        rated_calls_file=rated if rated.exists() else None,
    )


def read_month(out: Path, month: Month) -> IssuedMonth:
    folder = out / str(month)
    rated = folder / RATED_CALLS_FILE
    return IssuedMonth(
        month=month,
        invoices=_rows(folder / "invoices.csv"),
        invoice_lines=_rows(folder / "invoice_lines.csv"),
        credit_notes=_rows(folder / "credit_notes.csv"),
        fec_last_entry=fec_last_entries(folder),
        rated_calls_file=rated if rated.exists() else None,
        corrections=tuple(read_correction(f) for f in issued_corrections(out, month)),
    )


def read_charge(folder: Path) -> IssuedCharge:
    """An issued late-charge folder (OUT/receivables/charges/{D}-{NN}/, R91)."""
    record = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["charge"]
    return IssuedCharge(
        name=folder.name,
        position=Position(
            Month.parse(record["position"]["last_month"]),
            int(record["position"]["corrections_before"]),
        ),
        issued_on=date.fromisoformat(record["date"]),
        invoices=_rows(folder / "invoices.csv"),
        invoice_lines=_rows(folder / "invoice_lines.csv"),
    )


def read_snapshot(out: Path) -> LedgerSnapshot:
    """Every issued month under `out`, with its corrections (`before(month)` is the view of
    a month's run, `as_of(position)` the view of a correction), and the late-charge runs."""
    charges = sorted((read_charge(f) for f in issued_charges(out)), key=lambda c: c.position)
    return LedgerSnapshot(tuple(read_month(out, m) for m in issued_months(out)), tuple(charges))
