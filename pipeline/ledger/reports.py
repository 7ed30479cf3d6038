"""The receivables reports under OUT (R86): OUT/receivables/reports/{D}/, published whole.

A report is not a record: nothing of it enters the journal, and the same D again replaces it
(with the same bytes when the journal holds nothing new dated on or before D). Its files are
written into OUT/receivables/reports/.staging-{D}/, fsynced, then the folder is renamed into
place; a report already there is first renamed to .replaced-{D} and removed once the new one
is in place. A run killed in between leaves either the old report (the staging folder is
removed by the next run) or .replaced-{D} without {D} (the next run puts it back before it
starts): a reader never sees a half-written report.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.core import data_contract as contract
from pipeline.ledger.store import fsync_dir

STAGING = ".staging-"
REPLACED = ".replaced-"


def reports_dir(out: Path) -> Path:
    return out / contract.RECEIVABLES_DIR / contract.REPORTS_DIR


def _tidy(folder: Path) -> None:
    """What a killed run left: old reports put back, staging folders removed."""
    for path in sorted(folder.iterdir()):
        if path.name.startswith(REPLACED):
            final = folder / path.name.removeprefix(REPLACED)
            if final.exists():
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.rename(path, final)
        elif path.name.startswith(STAGING):
            shutil.rmtree(path, ignore_errors=True)


def report_staging(out: Path, name: str) -> Path:
    """An empty staging folder for the report `name` (its date)."""
    folder = reports_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    _tidy(folder)
    staging = folder / f"{STAGING}{name}"
    staging.mkdir()
    return staging


def publish_report(staging: Path) -> Path:
    """Rename the staging folder into place, replacing the report of the same date."""
    folder = staging.parent
    final = folder / staging.name.removeprefix(STAGING)
    for f in sorted(staging.iterdir()):
        with open(f, "rb") as handle:
            os.fsync(handle.fileno())
    fsync_dir(staging)
    replaced = folder / f"{REPLACED}{final.name}"
    if final.exists():
        os.rename(final, replaced)
    os.rename(staging, final)
    fsync_dir(folder)
    shutil.rmtree(replaced, ignore_errors=True)
    return final


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
