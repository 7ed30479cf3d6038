"""The workbook accountants open: OUT/YYYY-MM/billing_YYYY-MM.xlsx (values, never formulas).

A small writer over openpyxl's write-only mode (rows are streamed, so a large sheet does not
hold every cell in memory):

- values, never formulas: other readers show a formula's cached value as empty;
- real numbers (Decimal, written exactly) with a euro format, real dates;
- text that a spreadsheet would take for a formula (=, +, -, @, tab, CR) stays text: the
  cell is forced to the string type and carries the quote prefix;
- frozen header row, autofilter, widths from the header and the first rows;
- a sheet never silently loses rows: beyond `max_rows` (Excel's 1,048,576 by default) the last
  row is a note saying how many rows are left out and which file holds them all;
- same content, same bytes (`save_deterministic`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

EXCEL_MAX_ROWS = 1_048_576  # rows of one sheet, header included (Excel and LibreOffice)
EURO = '#,##0.00 "€"'
EURO4 = '#,##0.0000 "€"'  # per-call amounts keep their 4 decimals (R2)
DATE = "DD/MM/YYYY"
DATETIME = "DD/MM/YYYY HH:MM:SS"
PERCENT = "0%"
INTEGER = "#,##0"
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)
_ITALIC = Font(italic=True)
_WIDTH_SAMPLE = 200  # rows looked at to size the columns
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column of a sheet: French header, number format, optional fixed width."""

    header: str
    number_format: str | None = None
    width: float | None = None


@dataclass(frozen=True)
class Styled:
    """A value with its own number format (a date in a column of counts, say)."""

    value: Any
    number_format: str


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def clean_text(text: str) -> str:
    """Control characters that the xlsx format cannot hold are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _cell(ws: Any, value: Any, number_format: str | None) -> Any:
    if isinstance(value, Styled):
        value, number_format = value.value, value.number_format
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith(_FORMULA_START):
            # Formula injection: openpyxl would write "=..." as a formula; force a text cell and
            # set the quote prefix so that a spreadsheet keeps it as text when it is edited.
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
        return value
    if isinstance(value, bool):
        return "oui" if value else "non"
    if number_format and isinstance(value, (int, Decimal, date, datetime)):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = number_format
        return cell
    return value


def _width(value: Any, number_format: str | None) -> int:
    if isinstance(value, Styled):
        value, number_format = value.value, value.number_format
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    if isinstance(value, Decimal) and number_format in (EURO, EURO4):
        return len(f"{value:,.2f}") + 3
    return len(str(value))


def add_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    max_rows: int = EXCEL_MAX_ROWS,
    full_data: str = "",
    note: str | None = None,
) -> Any:
    """Write one sheet and return it.

    `max_rows` counts every row of the sheet, header included. When the rows do not fit, the
    sheet holds the header, `max_rows - 2` data rows and one note row that says how many rows
    are left out and where they all are (`full_data`, a file of the month's folder).
    `note`, when given, is written as the last row (a sheet left empty on purpose says why).
    """
    if max_rows < 3:
        raise ValueError("a sheet needs room for a header, one row and a note")
    ws = wb.create_sheet(title)
    iterator: Iterator[Sequence[Any]] = iter(rows)
    head = list(islice(iterator, _WIDTH_SAMPLE))
    widths = []
    for i, col in enumerate(columns):
        if col.width is not None:
            widths.append(col.width)
            continue
        longest = max([len(col.header)] + [_width(r[i], col.number_format) for r in head])
        widths.append(min(_MAX_WIDTH, max(8, longest + 2)))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, clean_text(col.header))
        cell.data_type = "s"
        cell.font = _BOLD
        header.append(cell)
    ws.append(header)
    written = 0
    end = object()
    pending = _chain(head, iterator)
    row = next(pending, end)
    while row is not end:
        following = next(pending, end)
        if written == max_rows - 2 and following is not end:
            # this row and the ones after it do not fit: the last row of the sheet says so
            left_out = 2 + sum(1 for _ in pending)
            ws.append([_note(ws, _overflow(written, left_out, full_data))])
            break
        ws.append([_cell(ws, v, c.number_format) for v, c in zip(row, columns, strict=True)])
        written += 1
        row = following
    else:
        if note:
            ws.append([_note(ws, note)])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{written + 1}"
    return ws


def _overflow(written: int, left_out: int, full_data: str) -> str:
    text = (
        f"Suite non affichée : {left_out} ligne(s) au-delà des {written} lignes que la feuille "
        "peut contenir"
    )
    if full_data:
        text += f" ; toutes les lignes sont dans le fichier {full_data}"
    return text


def _note(ws: Any, text: str) -> Any:
    cell = WriteOnlyCell(ws, clean_text(text))
    cell.data_type = "s"
    cell.font = _ITALIC
    return cell


def _chain(head: list[Sequence[Any]], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield from head
    yield from rest


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
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time as the modification date whatever was set
                data = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    tmp.unlink()
