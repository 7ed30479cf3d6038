"""The driver of accounting and VAT after payment (R87-R89): `billing fec --year YYYY` and
`billing vat --month M`. The flow of pipeline/run_receivables.py:

1. read the reference data (R42: bad data stops here, exit 2): the seller's SIREN, the fiscal
   year's closing day, the accounts, the VAT regime (`vat_on_debits`, R88), customers' names;
2. under OUT's lock, verify the issued months (store.verify) and the receivables journal
   (read_journal: an edited or deleted event stops the run, exit 1), read the ledger and the
   journal once; the documents issued since the journal was last written are taken as the
   receivables commands take them (pipeline.receivables.compute.new_events), without being
   recorded: these commands record nothing;
3. compute (pipeline.fiscal: pure functions);
4. write the derived files through the ledger (pipeline.ledger.fiscal): the year's FEC at OUT's
   root, OUT/tax/{M}/ca3.csv and des.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.core import data_contract as contract
from pipeline.core.dates import Month
from pipeline.core.errors import InputError, ProblemFound
from pipeline.core.language import say
from pipeline.core.progress import stage
from pipeline.exports.fec import file_name, render
from pipeline.exports.files import csv_bytes
from pipeline.fiscal.documents import SaleDocument, sale_documents
from pipeline.fiscal.entries import YearEntries, fec_lines, numbered, year_entries
from pipeline.fiscal.vat import ca3, des
from pipeline.inputs.reference import load_reference
from pipeline.ledger import fiscal as ledger_fiscal
from pipeline.ledger import journal as ledger_journal
from pipeline.ledger import store
from pipeline.ledger.snapshot import read_snapshot
from pipeline.receivables.compute import new_events

ZERO = Decimal("0.00")


@dataclass
class FecResult:
    year: int
    opening: date
    closing: date
    path: Path
    status: str  # ledger_fiscal.NEW, SAME, REPLACED, or "empty" (nothing written)
    entries: dict[str, int] = field(default_factory=dict)  # journal -> entries
    records: int = 0
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    lettered: int = 0  # letters given


@dataclass
class VatResult:
    month: Month
    folder: Path
    status: str
    ca3: list[Any] = field(default_factory=list)
    des: list[Any] = field(default_factory=list)


def _closing(year: int, year_end: tuple[int, int]) -> date:
    month, day = year_end
    try:
        return date(year, month, day)
    except ValueError:  # 29 February in a common year
        return date(year, month, day - 1)


def fiscal_bounds(year: int, year_end: tuple[int, int]) -> tuple[date, date]:
    """(opening, closing) of the fiscal year that closes in `year` (`fiscal_year_end`)."""
    return _closing(year - 1, year_end) + timedelta(days=1), _closing(year, year_end)


def _parse_year(text: str) -> int:
    if not text.isdigit() or len(text) != 4 or int(text) < 1900:
        raise InputError(
            say(
                f"--year : une année sur 4 chiffres attendue (AAAA), lu {text!r}",
                f"--year: expected a 4-digit year (YYYY), got {text!r}",
            )
        )
    return int(text)


def _read(out: Path, ref: Any, closing: date) -> tuple[list[SaleDocument], YearEntries]:
    """Under the lock: the ledger and the journal, read once; the year's entries to
    `closing`."""
    store.verify(out)
    journal = ledger_journal.read_journal(out)
    snapshot = read_snapshot(out)
    pending = new_events(snapshot, journal, ledger_journal.document_sources(out))
    files = [(f.number, f.events) for f in journal.files]
    files.append((journal.head[0] + 1, tuple(pending)))
    customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
    provider = ref.provider
    documents = sale_documents(snapshot, provider["accounts"], customers)
    with stage("fiscal"):
        year = year_entries(
            documents,
            numbered(files),
            closing,
            _names(ref),
            provider["accounts"],
            provider[contract.VAT_ON_DEBITS],
        )
    return documents, year


def _names(ref: Any) -> dict[str, str]:
    return {c["customer_id"]: str(c.get("name") or "") for c in ref["ref_customers"].rows}


def fec(year_text: str, data: Path, out: Path, rates: Path) -> FecResult:
    """R87: `billing fec --year YYYY`."""
    year = _parse_year(year_text)
    with stage("reference"):
        ref = load_reference(data, rates)
    opening, closing = fiscal_bounds(year, ref.provider["fiscal_year_end"])
    path = ledger_fiscal.fec_path(out, file_name(str(ref.provider["siren"]), closing))
    with store.locked(out):
        _, entries = _read(out, ref, closing)
        lines = fec_lines(entries, opening, closing, _names(ref), year)
        result = FecResult(year, opening, closing, path, "empty")
        if not lines:
            return result
        result.records = len(lines)
        result.debit = sum((ln.debit for ln in lines), ZERO)
        result.credit = sum((ln.credit for ln in lines), ZERO)
        for number in sorted({ln.entry for ln in lines}):
            result.entries[number[:2]] = result.entries.get(number[:2], 0) + 1
        result.lettered = len({ln.letter for ln in lines if ln.letter})
        if result.debit != result.credit:  # every entry balances (checked per entry): never
            raise ProblemFound(f"R87: {path.name}: debit {result.debit} != credit {result.credit}")
        result.status = ledger_fiscal.write_derived(path, render(lines))
    return result


def fec_message(result: FecResult) -> str:
    period = f"{result.opening} .. {result.closing}"
    if result.status == "empty":
        return say(
            f"exercice {period} : aucune écriture (rien n'est écrit)",
            f"fiscal year {period}: no entry (nothing written)",
        )
    journals = ", ".join(f"{j} {n}" for j, n in sorted(result.entries.items()))
    status = {
        ledger_fiscal.NEW: say("écrit", "written"),
        ledger_fiscal.SAME: say("identique, inchangé", "identical, unchanged"),
        ledger_fiscal.REPLACED: say(
            "remplacé : des événements datés de l'exercice ont été enregistrés depuis",
            "replaced: events dated in the fiscal year were recorded since",
        ),
    }[result.status]
    return say(
        f"FEC de l'exercice {period} : {result.records} lignes ({journals}), débit = crédit = "
        f"{result.debit} EUR, {result.lettered} lettre(s) ; {result.path} ({status})",
        f"FEC of the fiscal year {period}: {result.records} lines ({journals}), debit = "
        f"credit = {result.debit} EUR, {result.lettered} letter(s); {result.path} ({status})",
    )


def vat(month_text: str, data: Path, out: Path, rates: Path) -> VatResult:
    """R89: `billing vat --month M`."""
    month = Month.parse(month_text)
    with stage("reference"):
        ref = load_reference(data, rates)
    first, last = month.first_day, month.last_day
    with store.locked(out):
        documents, entries = _read(out, ref, last)
        figures = ca3(documents, entries.moves, first, last)
        declared = des(documents, first, last)
        files = {
            contract.CA3.name: csv_bytes(
                contract.CA3.names, [(r.box, r.label, r.base, r.vat) for r in figures]
            ),
            contract.DES.name: csv_bytes(
                contract.DES.names, [(r.customer_id, r.vat_number, r.amount_ht) for r in declared]
            ),
        }
        folder, status = ledger_fiscal.write_tax(out, str(month), files)
    return VatResult(month, folder, status, figures, declared)


def vat_message(result: VatResult) -> str:
    due = next(r for r in result.ca3 if r.box == "08")
    deducted = sum((r.vat for r in result.ca3 if r.box == "21" and r.vat), ZERO)
    status = {
        ledger_fiscal.NEW: say("écrit", "written"),
        ledger_fiscal.SAME: say("identique, inchangé", "identical, unchanged"),
        ledger_fiscal.REPLACED: say(
            "remplacé : si la déclaration du mois est déjà déposée, les différences vont dans "
            "la suivante",
            "replaced: if the month's return is already filed, the differences go into the next",
        ),
    }[result.status]
    return say(
        f"{result.month} : TVA brute due {due.vat} EUR (base {due.base}), TVA à déduire "
        f"(avoirs, retours) {deducted} EUR, {len(result.des)} client(s) à la DES ; "
        f"{result.folder} ({status})",
        f"{result.month}: VAT due {due.vat} EUR (base {due.base}), VAT to deduct (credit "
        f"notes, returns) {deducted} EUR, {len(result.des)} customer(s) in the DES; "
        f"{result.folder} ({status})",
    )
