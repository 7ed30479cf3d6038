"""The workbook accountants open: OUT/YYYY-MM/billing_YYYY-MM.xlsx (values, never formulas).

A small writer over openpyxl's write-only mode (rows are streamed, so a large sheet does not
hold every cell in memory):

- values, never formulas: other readers show a formula's cached value as empty;
- real numbers (Decimal, written exactly) with a euro format, real dates;
- text that a spreadsheet would take for a formula (=, +, -, @, tab, CR) stays text: the
  cell is forced to the string type and carries the quote prefix;
- frozen header row (its long headers wrap), autofilter, widths from the first rows and the
  header's longest word;
- a text longer than its column wraps (`Column.wrap`, or a text column whose first rows hold
  texts wider than it can be), in rows made tall enough for it: nothing is cut, on screen or
  printed;
- a sheet never silently loses rows: beyond `max_rows` (Excel's 1,048,576 by default) the last
  row is a note saying how many rows are left out and which file holds them all;
- same content, same bytes (`save_deterministic`).
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import _escape_cdata  # what et_xmlfile escapes cell text with

from openpyxl import LXML, Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

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
_MAX_WIDTH = 40  # a longer text wraps (issue 26: the sheets must print readably)
_WRAP = Alignment(wrap_text=True)
_LINE_HEIGHT = 15  # points per line of the default font (Calibri 11)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: French header, number format, optional fixed width; `wrap`: its
    texts wrap within the width (the row grows to fit) rather than being cut by the next cell.
    """

    header: str
    number_format: str | None = None
    width: float | None = None
    wrap: bool = False


@dataclass(frozen=True)
class Styled:
    """A value with its own number format (a date in a column of counts, say)."""

    value: Any
    number_format: str


def new_workbook() -> Workbook:
    if LXML:
        # pipeline/__init__.py turns lxml off before openpyxl is imported; here openpyxl was
        # imported first, with lxml: its workbooks would have other bytes than the issued ones
        raise RuntimeError(
            "openpyxl was imported before the pipeline, with its lxml writer: import pipeline "
            "first, or set OPENPYXL_LXML=False (the workbook's bytes depend on it)"
        )
    return Workbook(write_only=True)


# Excel and LibreOffice hold at most 32,767 characters in a cell
CELL_MAX_CHARS = 32_767


def clean_text(text: str) -> str:
    """Control characters that the xlsx format cannot hold are dropped; a text longer than a
    cell holds (the raw text of an oversized CDR line) is cut, and says so."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > CELL_MAX_CHARS:
        tail = f" [... {len(text)} caractères, texte complet dans le fichier CSV]"
        text = text[: CELL_MAX_CHARS - len(tail)] + tail
    return text


def _cell(ws: Any, value: Any, number_format: str | None, wrap: bool = False) -> Any:
    if isinstance(value, Styled):
        value, number_format = value.value, value.number_format
    if isinstance(value, bool):
        value = "oui" if value else "non"
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith(_FORMULA_START):
            # Formula injection: openpyxl would write "=..." as a formula; force a text cell and
            # set the quote prefix so that a spreadsheet keeps it as text when it is edited.
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            cell.quotePrefix = True
            if wrap:
                cell.alignment = _WRAP
            return cell
        if wrap:
            cell = WriteOnlyCell(ws, value)
            cell.alignment = _WRAP
            return cell
        return value
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


class _RenderedRow(list):
    """A data row already written as the sheet's XML by _RowRenderer (a list, so that
    openpyxl's append accepts it)."""

    __slots__ = ("xml",)


class _Sheet(WriteOnlyWorksheet):
    """openpyxl's write-only sheet that also takes rows already rendered as XML.

    openpyxl spends about 13 microseconds per cell (a cell object, an element, a generic
    serialiser); _RowRenderer writes the same bytes from the values directly. Rows it does
    not render (a value of another type) go through openpyxl as before.
    """

    def _values_to_row(self, values: Any, row_idx: int) -> Any:
        if isinstance(values, _RenderedRow):
            return values
        return super()._values_to_row(values, row_idx)

    def _get_writer(self) -> None:
        if self._writer is None:
            super()._get_writer()
            write_row = self._writer.write_row

            def write(xf: Any, row: Any, row_idx: int) -> None:
                if isinstance(row, _RenderedRow):
                    xf._file(row.xml)  # et_xmlfile's text writer, under <sheetData>
                else:
                    write_row(xf, row, row_idx)

            self._writer.write_row = write


def _text_writer_found() -> bool:
    """openpyxl without lxml writes a sheet through et_xmlfile, whose writer keeps the text
    write function as `_file`: the renderer writes its rows there. With another et_xmlfile the
    renderer is off and openpyxl writes every row (lxml is never used: new_workbook)."""
    try:
        from et_xmlfile.xmlfile import _IncrementalFileWriter
    except ImportError:
        return False
    return callable(getattr(_IncrementalFileWriter(io.StringIO().write), "_file", None))


_FAST_ROWS = _text_writer_found()


def _create_sheet(wb: Workbook, title: str) -> Any:
    if not _FAST_ROWS:
        return wb.create_sheet(title)
    ws = _Sheet(parent=wb, title=title)
    wb._add_sheet(ws)
    return ws


def _number(value: Any) -> str:
    """A number as openpyxl writes it (compat.safe_string): through a float, 16 digits."""
    return "%.16g" % value  # noqa: UP031 (format() would keep a Decimal's own digits)


class _RowRenderer:
    """The XML openpyxl writes for a data row of add_sheet (etree serialiser, write-only
    mode): the same bytes, and the same styles registered in the same order (a style is
    registered by building the cell openpyxl would build, the first time it is met).

    Rendered: None (no cell), text (inline string), int and finite Decimal (number), naive
    date and datetime with a number format (serial number), each possibly `Styled`, and the
    texts that _cell turns into quote-prefixed cells. Anything else (float, a date without a
    format, an error code, a text longer than a cell holds...) makes render() return None and
    the row goes through openpyxl.
    """

    def __init__(self, ws: Any, columns: Sequence[Column], wraps: Sequence[bool]) -> None:
        self.ws = ws
        self.formats = [c.number_format for c in columns]
        self.wraps = list(wraps)
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        self.epoch = ws.parent.epoch
        self.styles: dict[tuple[Any, ...], str] = {}  # key -> ' s="N"' or ''
        self.heights: dict[float, str] = {}  # row height -> the row's attributes

    def _style(
        self, key: tuple[Any, ...], value: Any, number_format: str | None, wrap: bool = False
    ) -> str:
        if number_format is None and key[0] != "text":
            return ""  # a plain value: _cell builds no cell, openpyxl writes no style
        style = self.styles.get(key)
        if style is None:
            cell = _cell(self.ws, value, number_format, wrap)
            style = f' s="{cell.style_id}"' if cell.has_style else ""
            self.styles[key] = style
        return style

    def _height(self, height: float | None, row_idx: int) -> str:
        """The attributes openpyxl's write_row gives a row of this height (none without one),
        from the row dimension openpyxl would build, once per height (issue 32: building one
        per row, and reading it back, was a third of the Lignes sheet at 80,000 lines)."""
        if height is None:
            return ""
        attributes = self.heights.get(height)
        if attributes is None:
            dimension = RowDimension(self.ws, index=row_idx, ht=height)
            attributes = "".join(f' {name}="{value}"' for name, value in dimension)
            self.heights[height] = attributes
        return attributes

    def render(
        self, values: Sequence[Any], row_idx: int, height: float | None = None
    ) -> _RenderedRow | None:
        # the row's attributes as openpyxl's write_row sets them: its number, then its height
        parts = [f'<row r="{row_idx}"{self._height(height, row_idx)}>']
        for value, number_format, letter, wrap in zip(
            values, self.formats, self.letters, self.wraps, strict=True
        ):
            if isinstance(value, Styled):
                value, number_format = value.value, value.number_format
            if value is None:
                continue
            kind = type(value)
            ref = f"{letter}{row_idx}"
            if kind is bool:
                value, kind = ("oui" if value else "non"), str
            if kind is str:
                text = clean_text(value)
                if len(text) > 32767 or text in ERROR_CODES:
                    return None
                style = ""
                quoted = text.startswith(_FORMULA_START)
                if quoted or wrap:
                    style = self._style(("text", quoted, wrap), text, None, wrap)
                if not text:
                    parts.append(f'<c r="{ref}"{style} t="inlineStr" />')
                    continue
                stripped = text.strip()
                space = ' xml:space="preserve"' if stripped and stripped != text else ""
                parts.append(
                    f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_escape_cdata(text)}</t></is></c>'
                )
            elif kind is int or (kind is Decimal and value.is_finite()):
                style = self._style(("number", number_format), value, number_format)
                parts.append(f'<c r="{ref}"{style} t="n"><v>{_number(value)}</v></c>')
            elif (kind is date or kind is datetime) and number_format:
                if kind is datetime and value.tzinfo is not None:
                    return None  # openpyxl refuses it, with its own message
                style = self._style(("date", kind, number_format), value, number_format)
                serial = _number(to_excel(value, self.epoch))
                parts.append(f'<c r="{ref}"{style} t="n"><v>{serial}</v></c>')
            else:
                return None
        parts.append("</row>")
        row = _RenderedRow()
        row.xml = "".join(parts)
        return row


def add_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    max_rows: int = EXCEL_MAX_ROWS,
    full_data: str = "",
    note: str | None = None,
    heading: str = "",
    totals: Sequence[int] = (),
    one_page: bool = False,
) -> Any:
    """Write one sheet and return it.

    `max_rows` counts every row of the sheet, header included. When the rows do not fit, the
    sheet holds the header, `max_rows - 2` data rows and one note row that says how many rows
    are left out and where they all are (`full_data`, a file of the month's folder).
    `note`, when given, is written as the last row (a sheet left empty on purpose says why).
    `totals`: the columns (0-based) summed in a last "Total" row (amounts, counts), when
    every row is shown.

    Printing (docs/exports.md): A4, landscape when the columns are wider than a portrait page,
    fitted to the page width (`one_page`: to one page), the header row repeated on every page,
    the sheet's name and `heading` in the page header, the page number in the footer.
    """
    if max_rows < 3:
        raise ValueError("a sheet needs room for a header, one row and a note")
    ws = _create_sheet(wb, title)
    iterator: Iterator[Sequence[Any]] = iter(rows)
    head = list(islice(iterator, _WIDTH_SAMPLE))
    widths = []
    wraps = []
    for i, col in enumerate(columns):
        longest = max(_width(r[i], col.number_format) for r in head) if head else 0
        # a header wraps by words: the column is as wide as its longest word, or its values
        fitted = max(8, longest + 2, max(map(len, col.header.split()), default=0) + 2)
        width = col.width if col.width is not None else min(_MAX_WIDTH, fitted)
        widths.append(width)
        # a text column whose first rows hold texts wider than it wraps them
        wraps.append(col.wrap or (col.number_format is None and longest > width))
    wrapped = [i for i, wrap in enumerate(wraps) if wrap]
    renderer = _RowRenderer(ws, columns, wraps) if isinstance(ws, _Sheet) else None
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    _print_setup(ws, sum(widths), heading, one_page)
    ws.freeze_panes = "A2"
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, clean_text(col.header))
        cell.data_type = "s"
        cell.font = _BOLD
        cell.alignment = _WRAP
        header.append(cell)
    lines = max(_wrapped_lines(c.header, w, 0.9) for c, w in zip(columns, widths, strict=True))
    if lines > 1:
        ws.row_dimensions[1].height = lines * _LINE_HEIGHT
    ws.append(header)
    written = 0
    sums: dict[int, Any] = {}
    cut = False
    end = object()
    pending = _chain(head, iterator)
    row = next(pending, end)
    while row is not end:
        following = next(pending, end)
        if written == max_rows - 2 and following is not end:
            # this row and the ones after it do not fit: the last row of the sheet says so
            left_out = 2 + sum(1 for _ in pending)
            ws.append([_note(ws, _overflow(written, left_out, full_data))])
            cut = True
            break
        for i in totals:
            if isinstance(row[i], (int, Decimal)) and not isinstance(row[i], bool):
                sums[i] = sums.get(i, 0) + row[i]
        lines = max((_wrapped_lines(row[i], widths[i]) for i in wrapped), default=1)
        height = lines * _LINE_HEIGHT if lines > 1 else None
        rendered = renderer.render(row, written + 2, height) if renderer is not None else None
        if rendered is not None:
            ws.append(rendered)
        else:
            if height is not None:
                ws.row_dimensions[written + 2].height = height
            ws.append(
                [
                    _cell(ws, v, c.number_format, wrap)
                    for v, c, wrap in zip(row, columns, wraps, strict=True)
                ]
            )
        written += 1
        row = following
    else:
        if note:
            ws.append([_note(ws, note)])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{written + 1}"
    if totals and not cut and written + 2 <= max_rows:
        # a sheet cut short has no total: the total of the rows shown would mislead
        row = [_bold(ws, "Total", None)] + [None] * (len(columns) - 1)
        for i in totals:
            row[i] = _bold(ws, sums.get(i, 0), columns[i].number_format)
        ws.append(row)
    return ws


def _wrapped_lines(value: Any, width: float, per_unit: float = 1.1) -> int:
    """Lines a text takes when wrapped by words in a column `width` wide (1 for anything
    else). The width is in digits of the default font, wider than most letters: Excel
    (Calibri) fits about 1.2 characters of French text per unit of width, LibreOffice without
    Calibri (DejaVu Sans, measured on the sample October's Lignes) 1.15; a line is counted as
    holding `per_unit` characters per unit (1.1; 0.9 for the bold headers), so that rows are
    high enough in both."""
    if isinstance(value, Styled):
        value = value.value
    per_line = max(1, int(width * per_unit))
    if not isinstance(value, str) or ("\n" not in value and len(value) <= per_line):
        return 1
    return _text_lines(value, per_line)


@functools.lru_cache(maxsize=4096)
def _text_lines(value: str, per_line: int) -> int:
    """_wrapped_lines of a text over one line, once per text and width (issue 32: the lines of
    a month repeat the same descriptions)."""
    lines = 0
    for paragraph in value.split("\n"):
        used = 0
        lines += 1
        for word in paragraph.split(" "):
            if used and used + 1 + len(word) <= per_line:
                used += 1 + len(word)
                continue
            if used:
                lines += 1
            lines += (len(word) - 1) // per_line if word else 0
            used = len(word) % per_line or (per_line if word else 0)
    return lines


# a portrait A4 page holds about this many characters of column width at 100 %
_PORTRAIT_WIDTH = 95


def _print_setup(ws: Any, width: int, heading: str, one_page: bool) -> None:
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if width > _PORTRAIT_WIDTH else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.oddHeader.left.text = "&A"
    if heading:
        ws.oddHeader.right.text = heading.replace("&", "&&")
    ws.oddFooter.center.text = "Page &P / &N"


def _bold(ws: Any, value: Any, number_format: str | None) -> Any:
    cell = WriteOnlyCell(ws, value)
    cell.font = _BOLD
    if number_format and not isinstance(value, str):
        cell.number_format = number_format
    return cell


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
    if not wb.worksheets:
        wb.create_sheet()  # as Workbook.save does
    # openpyxl's save (save_workbook) compresses every part, which the copy below does again:
    # the parts are stored uncompressed here, and compressed once
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl.save_workbook stamps the save time as the modification date whatever
                # was set (not called above; kept so that no other path can bring it back)
                data = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    tmp.unlink()
