"""The workbook accountants open: OUT/YYYY-MM/billing_YYYY-MM.xlsx (values, never formulas)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

EURO = '#,##0.00 "€"'
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)


def _safe(value: Any) -> Any:
    return value


def add_sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              money_columns: Sequence[int] = ()) -> None:
    ws = wb.create_sheet(title)
    ws.append(list(headers))
    for row in rows:
        ws.append([_safe(v) for v in row])
        for c in money_columns:
            ws.cell(row=ws.max_row, column=c + 1).number_format = EURO
    for cell in ws[1]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = ws.dimensions


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Same content, same bytes: fixed document properties and zip entry times."""
    wb.properties.created = datetime(2000, 1, 1)
    wb.properties.modified = datetime(2000, 1, 1)
    wb.properties.lastModifiedBy = "billing"
    wb.properties.creator = "billing"
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    tmp.unlink()
