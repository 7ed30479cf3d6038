"""SLA availability and credit notes (R50-R52). Filled by the SLA issue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.dates import Month
from pipeline.documents import CreditNote


def credit_notes_for_run(
    ref: Any, month: Month, out: Path, next_sequence: int
) -> tuple[list[CreditNote], list[dict[str, Any]]]:
    """Credit notes issued in the run of `month` and the rows of sla.csv.

    Not implemented yet: no claim is processed (see the SLA issue).
    """
    return [], []
