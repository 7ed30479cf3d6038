"""Reading one issued month's own files (`billing explain` of an issued month: exactly what
was invoiced, even if the data or the rate book changed since)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pipeline.core import contract
from pipeline.rating.models import rated_call_rows


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def call_facts(
    folder: Path, cdr_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """(rated rows, reject rows, fair-use rows by SIP account) of `cdr_id` in the month."""
    rated = rated_call_rows(folder / contract.RATED_CALLS_FILE, cdr_id)
    rejected = [r for r in _csv(folder / contract.REJECTS.name) if r["cdr_id"] == cdr_id]
    fair_use = {r["sip_account"]: r for r in _csv(folder / contract.FAIR_USE.name)}
    return rated, rejected, fair_use
