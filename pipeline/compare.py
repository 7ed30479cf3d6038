"""Reading issued CSV files for comparison: shared by re-runs (R64, pipeline.run) and audits
(pipeline.audit)."""

from __future__ import annotations

import csv
from pathlib import Path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def keyed(
    rows: list[dict[str, str]], key: tuple[str, ...]
) -> dict[tuple[str, ...], dict[str, str]]:
    """Rows by key (by 1-based row number when `key` is empty); rows sharing a key are told
    apart by their rank: (..., '0'), (..., '1')."""
    result: dict[tuple[str, ...], dict[str, str]] = {}
    for index, row in enumerate(rows, start=1):
        base = tuple(row.get(k, "") for k in key) if key else (str(index),)
        rank = 0
        while (*base, str(rank)) in result:
            rank += 1
        result[(*base, str(rank))] = row
    return result
