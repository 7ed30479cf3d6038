"""The FEC (Fichier des Écritures Comptables, art. L47 A and A47 A-1 of the LPF) of a run.

OUT/YYYY-MM/{SIREN}FEC{AAAAMMJJ}.txt, AAAAMMJJ the closing date of the fiscal year of the
month's documents (A47 A-1 of the LPF; `fiscal_year_end` of provider.toml, default 31
December): each month's folder holds the entries of its own documents, in a file named after
the fiscal year they belong to. The entries are computed with the documents
(pipeline.billing.accounting); this module writes them.

Format (A47 A-1): the 18 fields in order, '|' separator, a header line, dates YYYYMMDD,
amounts with a decimal comma and no thousands separator, records ended by CR LF, characters
ISO 8859-15.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipeline.billing.accounting import SEPARATOR, FecLine
from pipeline.core.money import round_line

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
ENCODING = "iso-8859-15"
RECORD_END = "\r\n"
ENTRY_NUMBER = re.compile(r"^VE(\d{4})-(\d{6})$")
FEC_FILE = re.compile(r"^\d{9}FEC\d{8}\.txt$")


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def amount(value: Decimal) -> str:
    """1234.5 -> '1234,50': two decimals, decimal comma, no thousands separator."""
    return format(round_line(value), "f").replace(".", ",")


def record(line: FecLine) -> list[str]:
    """The 18 fields of one FEC record."""
    day = ymd(line.entry_date)
    return [
        line.journal[0],
        line.journal[1],
        line.entry,
        day,
        line.account[0],
        line.account[1],
        line.aux[0],
        line.aux[1],
        line.piece,
        day,
        line.label,
        amount(line.debit),
        amount(line.credit),
        line.letter,
        ymd(line.date_let) if line.date_let else "",
        day,
        "",
        "",
    ]


def file_name(siren: str, closing: date) -> str:
    return f"{siren}FEC{ymd(closing)}.txt"


def render(lines: list[FecLine]) -> bytes:
    """The bytes of a FEC file holding `lines` (header, records, the declared encoding)."""
    text = SEPARATOR.join(FEC_COLUMNS) + RECORD_END
    text += "".join(SEPARATOR.join(record(line)) + RECORD_END for line in lines)
    return text.encode(ENCODING, errors="replace")


def write_fec(folder: Path, siren: str, closing: date, lines: list[FecLine]) -> Path:
    """Write the FEC of one run's entries into `folder`; `closing`: the closing date of
    their fiscal year."""
    path = folder / file_name(siren, closing)
    path.write_bytes(render(lines))
    return path
