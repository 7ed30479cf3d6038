"""The files of one dunning folder (R91, R92), written into the folder the driver gives (a
staging folder under OUT/receivables/dunning/, published by pipeline.ledger.dunning):
late_charges.csv, dunning.csv, suspend.csv, letters/{customer}-{level}.pdf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core import data_contract as contract
from pipeline.exports.files import write_csv


def write_dunning(
    folder: Path,
    late_rows: list[dict[str, Any]],
    dunning_rows: list[dict[str, Any]],
    suspend_rows: list[dict[str, Any]],
    letters: dict[str, bytes],
) -> None:
    """`letters`: path inside the folder (letters/C1-reminder.pdf) -> the PDF's bytes."""
    write_csv(folder / contract.LATE_CHARGES.name, contract.LATE_CHARGES.names, late_rows)
    write_csv(folder / contract.DUNNING.name, contract.DUNNING.names, dunning_rows)
    write_csv(folder / contract.DUNNING_SUSPEND.name, contract.DUNNING_SUSPEND.names, suspend_rows)
    for name, data in sorted(letters.items()):
        (folder / name).write_bytes(data)
