"""The driver of `billing dunning --date D` (R90-R92), the same one-way flow as
pipeline/run_receivables.py:

1. read the reference data and the dunning inputs (R42: bad data stops here, exit 2);
2. under OUT's lock, verify the issued months (store.verify) and the receivables journal
   (read_journal: an edited or deleted event stops the run, exit 1), read the ledger and the
   journal once, finish or remove a killed run's staging folder;
3. compute (pipeline.dunning: pure functions of the journal's events);
4. record: the day's folder written as a staging folder, the journal file with its letters
   (and the documents the journal lacked), then the folder renamed into place.

The same day again with nothing new writes nothing ("rien de nouveau").
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.billing.corrections import check_date
from pipeline.billing.ledger_snapshot import LedgerSnapshot
from pipeline.core import data_contract as contract
from pipeline.core.dates import date_option
from pipeline.core.errors import InputError, ProblemFound
from pipeline.core.language import say
from pipeline.core.progress import stage
from pipeline.dunning.charging import already_charged, late_charge_events, plan_charges
from pipeline.dunning.files import write_dunning
from pipeline.dunning.letters import letter_view
from pipeline.dunning.levels import (
    FORMAL_NOTICE,
    Dispute,
    Letter,
    letters_sent,
    plan_letters,
    suspended,
)
from pipeline.dunning.overdue import invoices_on
from pipeline.dunning.rates import LateRates, MissingRate
from pipeline.dunning.report import (
    dunning_rows,
    late_charge_rows,
    late_charges,
    letter_events,
    letter_file,
    suspend_rows,
)
from pipeline.exports.documents import write_documents
from pipeline.exports.files import write_csv
from pipeline.inputs.dunning import load_dunning_inputs
from pipeline.inputs.reference import Table, load_reference
from pipeline.ledger import charges as ledger_charges
from pipeline.ledger import dunning as ledger_dunning
from pipeline.ledger import journal as ledger_journal
from pipeline.ledger import store
from pipeline.ledger.snapshot import read_snapshot
from pipeline.receivables.compute import new_events
from pipeline.receivables.journal import LATE_CHARGE, Event, Journal


@dataclass
class DunningResult:
    day: date
    status: str  # "written", "nothing new"
    folder: Path | None = None
    letters: list[Letter] = field(default_factory=list)
    late_count: int = 0
    suspended: int = 0
    warnings: list[str] = field(default_factory=list)
    charged: list[Any] = field(default_factory=list)  # late-charge invoices issued (R91)

    def lines(self) -> list[str]:
        return [
            f"{i.invoice_number} {i.customer_id} {i.total_ttc} " + say("(pénalités)", "(charges)")
            for i in self.charged
        ] + [
            f"{x.customer_id} {x.level} {';'.join(i.number for i in x.invoices)} "
            f"{x.overdue} + {x.interest} + {x.indemnity}"
            for x in self.letters
        ]


def _disputes(table: Table, invoices: dict) -> list[Dispute]:
    """disputes.csv, each row naming an invoice of its customer in the journal (R42)."""
    disputes = []
    for i, row in enumerate(table.rows):
        invoice = invoices.get(row["invoice_number"])
        if invoice is None or invoice.customer_id != row["customer_id"]:
            file, line = table.where(i)
            raise InputError(
                say(
                    f"invoice_number {row['invoice_number']!r} n'est pas une facture émise du "
                    f"client {row['customer_id']}",
                    f"invoice_number {row['invoice_number']!r} is not an issued invoice of "
                    f"customer {row['customer_id']}",
                ),
                file=file,
                line=line,
            )
        disputes.append(
            Dispute(row["customer_id"], row["invoice_number"], row["opened_on"], row["closed_on"])
        )
    return disputes


def _missing_rate(exc: MissingRate, rates: Path) -> InputError:
    name = contract.LEGAL_INTEREST.name if exc.basis == "legal_x3" else contract.ECB_REFI.name
    return InputError(
        say(
            f"aucun taux pour le semestre commençant le {exc.half_year} ({exc.basis}, R91) : "
            "ajoutez la valeur officielle",
            f"no rate for the half-year starting {exc.half_year} ({exc.basis}, R91): add the "
            "official value",
        ),
        file=str(rates / name),
    )


def _check_charge_date(snapshot: LedgerSnapshot, day: date) -> None:
    """R60, R67: charge invoices dated D take the next F numbers: D is never before the latest
    document issued, and never on or after the date the next month's invoices will carry
    (that month would then be numbered after documents dated later than its own)."""
    check_date(snapshot, day)
    if not snapshot.months:
        raise InputError(
            say(
                "--charge : aucun mois émis, rien à facturer",
                "--charge: no month issued, nothing to charge",
            )
        )
    last = max(m.month for m in snapshot.months)
    if day >= last.plus(2).first_day:
        raise InputError(
            say(
                f"--charge --date {day} : facturez d'abord {last.plus(1)} (ses factures sont "
                f"datées du {last.plus(2).first_day}) pour que la série F reste dans l'ordre "
                "des dates (R60) ; rien n'a été écrit",
                f"--charge --date {day}: bill {last.plus(1)} first (its invoices are dated "
                f"{last.plus(2).first_day}) so that the F series stays in date order (R60); "
                "nothing was written",
            )
        )


def _charge(
    out: Path, ref: Any, day: date, rates: LateRates, disputes: list[Dispute], events: list[Event]
) -> list[Any]:
    """R91 --charge: issue the day's late-charge invoices (see pipeline.dunning.charging);
    return them (none: nothing written)."""
    snapshot = read_snapshot(out)
    _check_charge_date(snapshot, day)
    ledger_charges.clean(out)
    invoices_ = invoices_on(events, day)
    plan = plan_charges(
        late_charges(invoices_, day, rates),
        day,
        disputes,
        already_charged(snapshot),
        snapshot.next_number("F", day.year),
        {r["customer_id"]: r for r in ref["ref_customers"].rows},
        ref.provider,
    )
    if not plan:
        return []
    path, name = ledger_charges.staging(out, day)
    write_csv(path / contract.INVOICES.name, contract.INVOICES.names, map(vars, plan))
    write_csv(
        path / contract.INVOICE_LINES.name,
        contract.INVOICE_LINES.names,
        [line for invoice in plan for line in invoice.lines],
    )
    result = write_documents(path, plan, ref)
    if result.findings:
        shutil.rmtree(path, ignore_errors=True)
        found = "; ".join(f"{n}: {', '.join(f)}" for n, f in sorted(result.findings.items()))
        raise ProblemFound(
            say(
                f"factures de pénalités non valides ({found}) ; rien n'a été émis",
                f"late-charge invoices not valid ({found}); nothing was issued",
            )
        )
    ledger_charges.write_manifest(path, name, day, snapshot.position, {"rate_basis": rates.basis})
    ledger_charges.publish_charge(path, name)
    return plan


def dunning(
    date_text: str, data: Path, out: Path, rates: Path, *, charge: bool = False
) -> DunningResult:
    """R90-R92: `billing dunning --date D [--charge]`."""
    day = date_option(date_text)
    with stage("reference"):
        ref = load_reference(data, rates)
        inputs = load_dunning_inputs(data, rates, ref.provider)
    late_rates = LateRates.of(
        inputs.late_interest, inputs.legal_interest.rows, inputs.ecb_refi.rows
    )
    with store.locked(out):
        store.verify(out)
        journal = ledger_journal.read_journal(out)
        ledger_dunning.recover(out, journal)
        pending = _pending(out, journal)
        events = [*journal.events, *pending]
        disputes = _disputes(inputs.disputes, invoices_on(events, date.max))
        charged: list[Any] = []
        if charge:
            try:
                charged = _charge(out, ref, day, late_rates, disputes, events)
            except MissingRate as exc:
                raise _missing_rate(exc, rates) from exc
            if charged:
                pending = _pending(out, journal)
                events = [*journal.events, *pending]
        invoices = invoices_on(events, day)
        try:
            letters = plan_letters(events, day, inputs.levels, late_rates, disputes)
            charges = late_charges(invoices, day, late_rates)
            used = {late_rates.source(s.start) for c in charges for s in c.stretches}
        except MissingRate as exc:
            raise _missing_rate(exc, rates) from exc
        done = ledger_dunning.published(out, day)
        if done and not letters and not charged:
            return DunningResult(day, "nothing new")
        customers = {r["customer_id"]: r for r in ref["ref_customers"].rows}
        accounts: dict[str, list[str]] = {}
        for r in ref["ref_sip_accounts"].rows:
            accounts.setdefault(r["customer_id"], []).append(r["sip_account"])
        sent = letters_sent(events, day)
        pdfs = _render(letters, customers, ref.provider, late_rates, accounts, sent)
        path, name = ledger_dunning.staging(out, day)
        prefix = ledger_dunning.source_prefix(name)
        hashes = {n: ledger_dunning.sha256_bytes(b) for n, b in pdfs.items()}
        new = letter_events(letters, prefix, hashes)
        now_suspended = suspended([*events, *new], day)
        charged_in = {
            number: ";".join(c.documents)
            for number, c in already_charged(read_snapshot(out)).items()
        }
        write_dunning(
            path,
            late_charge_rows(charges, day, late_rates, disputes, charged_in),
            dunning_rows(letters),
            suspend_rows(now_suspended, accounts),
            pdfs,
        )
        head = journal.files[-1].name if journal.files else ""
        ledger_dunning.write_manifest(path, head, day, name)
        if new or charged:
            command = f"dunning --date {day}" + (" --charge" if charge else "")
            ledger_journal.append(out, journal, pending + new, command)
        folder = ledger_dunning.publish(path, name)
    warnings = [
        say(
            f"attention : taux non vérifié utilisé ({s[:80]}...)",
            f"warning: unverified rate used ({s[:80]}...)",
        )
        for s in sorted(used)
        if s.upper().startswith("UNVERIFIED")
    ]
    return DunningResult(
        day, "written", folder, letters, len(charges), len(now_suspended), warnings, charged
    )


def _pending(out: Path, journal: Journal) -> list[Event]:
    """What the journal lacks: documents issued (months, corrections, charge runs) with the
    allocations they make possible, and the late charges of issued charge runs (R83)."""
    snapshot = read_snapshot(out)
    pending = new_events(snapshot, journal, ledger_journal.document_sources(out))
    known = {e.detail("charged_in") for e in journal.events if e.kind == LATE_CHARGE}
    return pending + late_charge_events(snapshot, known, ledger_charges.line_sources(out))


def _render(
    letters: list[Letter],
    customers: dict,
    provider: dict,
    rates: LateRates,
    accounts: dict[str, list[str]],
    sent: dict[str, list[Event]],
) -> dict[str, bytes]:
    if not letters:
        return {}
    from pipeline.dunning.pdf import LetterRenderer

    renderer = LetterRenderer()
    pdfs = {}
    for x in letters:
        notices = [
            e.date
            for e in sent.get(x.customer_id, [])
            if e.detail("level") == FORMAL_NOTICE and e.date >= x.episode_start
        ]
        view = letter_view(
            x,
            customers.get(x.customer_id, {}),
            provider,
            rates,
            sorted(accounts.get(x.customer_id, [])),
            notices[0] if notices else None,
        )
        pdfs[letter_file(x)] = renderer.render(view, x.day)
    return pdfs


def dunning_message(result: DunningResult) -> str:
    if result.status == "nothing new":
        return say(
            f"{result.day} : rien de nouveau (rien n'est écrit)",
            f"{result.day}: nothing new (nothing written)",
        )
    return say(
        f"{result.day} : {len(result.letters)} lettre(s), {result.late_count} facture(s) en "
        f"retard, {len(result.charged)} facture(s) de pénalités, {result.suspended} client(s) "
        f"suspendu(s) ; fichiers dans {result.folder}",
        f"{result.day}: {len(result.letters)} letter(s), {result.late_count} late invoice(s), "
        f"{len(result.charged)} late-charge invoice(s), {result.suspended} customer(s) "
        f"suspended; files in {result.folder}",
    )
