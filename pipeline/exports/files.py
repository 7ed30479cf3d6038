"""Writing the month's files (data contract, "Outputs"): deterministic bytes for the same input.

CSV: UTF-8, header row, ',' separator, '.' decimals, '\n' line ends, rows in a stable order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.core.data_contract import INVOICE_DEBIT_COLUMNS
from pipeline.core.money import fmt


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(
    path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any] | Sequence[Any]]
) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, dict) else row
            writer.writerow([_text(v) for v in values])
            count += 1
    return count


def arrow_rows(table: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of an Arrow table as tuples, in column order (Decimal stays Decimal)."""
    for batch in table.to_batches(50_000):
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def invoice_columns(columns: Sequence[str], invoices: Iterable[Any]) -> tuple[str, ...]:
    """The columns of an invoices.csv: the data contract's, then the R81 columns
    (contract.INVOICE_DEBIT_COLUMNS) when one of its invoices is paid by SEPA direct debit, so
    that a month without one is written exactly as before."""
    debited = any(getattr(i, "payment_method", "") for i in invoices)
    return (*columns, *INVOICE_DEBIT_COLUMNS) if debited else tuple(columns)


def csv_bytes(columns: Sequence[str], rows: Iterable[dict[str, Any] | Sequence[Any]]) -> bytes:
    """The bytes `write_csv` would write (a derived file the ledger publishes, R89)."""
    handle = io.StringIO(newline="")
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = [row.get(c) for c in columns] if isinstance(row, dict) else row
        writer.writerow([_text(v) for v in values])
    return handle.getvalue().encode("utf-8")
