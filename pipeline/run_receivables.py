"""The driver of the receivables commands (R80-R84): `billing collect`, `billing payments
--import`, and the journal's
"document issued" events of `bill` and `correct`. Beside pipeline/run.py to keep it from
growing; the same one-way flow:

1. read the reference data (R42, R80: bad data stops here, exit 2);
2. under OUT's lock, verify the issued months (store.verify) and the receivables journal
   (pipeline.ledger.journal.read_journal: an edited or deleted event stops the run, exit 1),
   read the ledger and the journal once;
3. compute (pipeline.receivables: pure functions of the snapshots);
4. record: one journal file per run, and for `collect` the collection's folder, published in
   the same step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.core import clock
from pipeline.core import data_contract as contract
from pipeline.core.dates import date_option
from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.core.progress import stage
from pipeline.dunning.levels import dunning_levels
from pipeline.inputs.reference import load_reference
from pipeline.ledger import journal as ledger_journal
from pipeline.ledger import reports as ledger_reports
from pipeline.ledger import store
from pipeline.ledger.snapshot import read_snapshot
from pipeline.receivables.collect import (
    Transaction,
    collection_events,
    collection_name,
    plan_collection,
    stopped_invoices,
)
from pipeline.receivables.compute import Balances, allocation_events, customer_rows, new_events
from pipeline.receivables.files import write_collection
from pipeline.receivables.journal import (
    ALLOCATION,
    DUNNING_LETTER,
    PAYMENT_RECEIVED,
    SUSPENSE,
    UNALLOCATED_CREDIT,
    Event,
    Journal,
)
from pipeline.receivables.match import AssignError, Outcome, assign_events, match_lines
from pipeline.receivables.report import Totals, check, compute_report, statement
from pipeline.receivables.report_files import write_report
from pipeline.receivables.statements import read_statement


def record_documents(out: Path, journal: Journal, command: str) -> Journal:
    """Called by `bill` and `correct` under the lock after they publish: the documents just
    issued (and any issued before the journal existed) enter the journal, with the
    allocations of credit notes they make possible (R83, R85)."""
    events = new_events(read_snapshot(out), journal, ledger_journal.document_sources(out))
    return ledger_journal.append(out, journal, events, command) if events else journal


@dataclass
class CollectResult:
    day: date
    status: str  # "collected", "nothing to collect", "dry run"
    name: str = ""
    folder: Path | None = None
    transactions: list[Transaction] = field(default_factory=list)
    skipped: list[tuple[Any, Any]] = field(default_factory=list)  # stopped customers (R84)

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.transactions), Decimal("0.00"))

    def lines(self) -> list[str]:
        return [
            f"{t.invoice_number} {t.customer_id} {t.mandate_id} {t.sequence_type} "
            f"{t.collection_date} {t.amount}"
            for t in self.transactions
        ]

    def warnings(self) -> list[str]:
        """The invoices left out because their customer's debits are stopped (R84)."""
        return [
            say(
                f"attention : {d.number} ({d.customer_id}, {d.open_balance} EUR) non prélevée : "
                f"prélèvements arrêtés depuis le retour {r.detail('reason')} du {r.date}, "
                "jusqu'à un nouveau mandat signé après ce retour (mandates.csv)",
                f"warning: {d.number} ({d.customer_id}, {d.open_balance} EUR) not collected: "
                f"debits stopped since the {r.detail('reason')} return of {r.date}, until a "
                "new mandate signed after it (mandates.csv)",
            )
            for d, r in self.skipped
        ]


def collect(
    date_text: str, data: Path, out: Path, rates: Path, *, dry_run: bool = False
) -> CollectResult:
    """R82: `billing collect --date D [--dry-run]`."""
    day = date_option(date_text)
    with stage("reference"):
        ref = load_reference(data, rates)
    with store.locked(out):
        store.verify(out)
        journal = ledger_journal.read_journal(out)
        command = f"collect --date {day}"
        # documents not yet in the journal (months issued before it existed) enter it in the
        # same file as the collection, so that a run with nothing to collect writes nothing
        pending = new_events(read_snapshot(out), journal, ledger_journal.document_sources(out))
        balances = Balances([*journal.events, *pending])
        horizon = ref.provider["collection_horizon_days"]
        transactions = plan_collection(balances, day, ref, horizon)
        skipped = stopped_invoices(balances, day, ref, horizon)
        name = collection_name(day, balances.collections)
        if not transactions:
            return CollectResult(day, "nothing to collect", skipped=skipped)
        if dry_run:
            return CollectResult(day, "dry run", name, None, transactions, skipped)
        staging = ledger_journal.collection_staging(out, name)
        head = journal.files[-1].name if journal.files else ""
        write_collection(staging, transactions, name, day, ref.provider, head)
        manifest = staging / contract.MANIFEST_FILE
        source = f"{contract.RECEIVABLES_DIR}/{contract.COLLECTIONS_DIR}/{name}/manifest.json"
        events = pending + collection_events(
            transactions, day, name, source, ledger_journal.sha256(manifest)
        )
        ledger_journal.append(out, journal, events, command)
        folder = ledger_journal.publish_collection(out, staging)
    return CollectResult(day, "collected", name, folder, transactions, skipped)


def collect_message(result: CollectResult) -> str:
    if result.status == "nothing to collect":
        return say(
            f"{result.day} : rien à prélever (rien n'est écrit)",
            f"{result.day}: nothing to collect (nothing written)",
        )
    count = len(result.transactions)
    if result.status == "dry run":
        return say(
            f"essai : {count} prélèvement(s), {result.total} EUR, seraient envoyés en "
            f"{result.name} ; rien n'est écrit",
            f"dry run: {count} debit(s), {result.total} EUR, would be sent as {result.name}; "
            "nothing written",
        )
    return say(
        f"{result.day} : {count} prélèvement(s), {result.total} EUR ; fichiers dans "
        f"{result.folder}",
        f"{result.day}: {count} debit(s), {result.total} EUR; files in {result.folder}",
    )


@dataclass
class ImportResult:
    files: list[str]
    outcomes: list[Outcome] = field(default_factory=list)
    journal_file: str = ""

    def totals(self) -> dict[str, Decimal]:
        """R83 over this run's credits: allocated + unallocated + suspense = credits."""
        return import_totals(self.events)

    events: list[Event] = field(default_factory=list)
    credit_allocations: list[Event] = field(default_factory=list)  # R85, after the matching

    def lines(self) -> list[str]:
        out = []
        for o in self.outcomes:
            where = f"{Path(o.line.file).name} {o.line.entry} {o.line.direction} {o.line.amount}"
            if o.status == "already imported":
                out.append(f"{where} : " + say("déjà importé", "already imported"))
            elif o.status == "suspense":
                out.append(f"{where} : " + say("en attente", "suspense") + f" ({o.text})")
            elif o.status == "returned":
                out.append(f"{where} : {o.text}")
            else:
                out.append(f"{where} : " + say("règle", "rule") + f" {o.rule} : {o.text}")
        return out


def import_totals(events: list[Event]) -> dict[str, Decimal]:
    zero = Decimal("0.00")
    received = {(e.source_sha256, e.entry) for e in events if e.kind == PAYMENT_RECEIVED}

    def total(kind: str, payment: bool = False) -> Decimal:
        return sum(
            (
                e.amount
                for e in events
                if e.kind == kind
                and (e.source_sha256, e.entry) in received
                and (not payment or e.detail("payment"))
            ),
            zero,
        )

    return {
        "credits": total(PAYMENT_RECEIVED),
        "allocated": total(ALLOCATION, payment=True),
        "unallocated": total(UNALLOCATED_CREDIT),
        "suspense": total(SUSPENSE),
    }


def import_payments(files: list[str], data: Path, out: Path, rates: Path) -> ImportResult:
    """R84: `billing payments --import FILE...`: every file is read and checked first (a bad
    file stops the run, nothing recorded); then, under OUT's lock, the journal verified, each
    line matched; one journal file for the run's events."""
    with stage("reference"):
        ref = load_reference(data, rates)
    lines = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise InputError(say("fichier introuvable", "file not found"), file=name)
        lines += read_statement(path)
    with store.locked(out):
        store.verify(out)
        journal = ledger_journal.read_journal(out)
        pending = new_events(read_snapshot(out), journal, ledger_journal.document_sources(out))
        balances = Balances([*journal.events, *pending])
        matched = match_lines(balances, lines, ref, ref.provider["return_fee_eur"])
        result = ImportResult(list(files), matched.outcomes, events=matched.events)
        if matched.events:
            # R85: what the payments left as credit goes to the customers' open invoices
            credit = allocation_events([*journal.events, *pending, *matched.events])
            command = "payments --import " + " ".join(Path(f).name for f in files)
            journal = ledger_journal.append(
                out, journal, pending + matched.events + credit, command
            )
            result.journal_file = journal.files[-1].name
            result.credit_allocations = credit
    return result


def payments_message(result: ImportResult) -> str:
    t = result.totals()
    if not result.events:
        return say(
            "rien de nouveau : déjà importé (rien n'est écrit)",
            "nothing new: already imported (nothing written)",
        )
    return say(
        f"encaissements {t['credits']} EUR = affecté {t['allocated']} + non affecté "
        f"{t['unallocated']} + en attente {t['suspense']} ; journal {result.journal_file}",
        f"credits {t['credits']} EUR = allocated {t['allocated']} + unallocated "
        f"{t['unallocated']} + suspense {t['suspense']}; journal {result.journal_file}",
    )


@dataclass
class AssignResult:
    entry: str
    customer: str
    events: list[Event]
    journal_file: str


def assign_payment(
    entry: str,
    customer: str,
    invoice: str,
    date_text: str | None,
    data: Path,
    out: Path,
    rates: Path,
) -> AssignResult:
    """R84 `billing payments --assign ENTRY --customer C [--invoice N] [--date D]`: a
    suspense item settled by hand, recorded as events dated D (default: today in Paris, the
    day of the decision), with the R85 allocations the new credit makes possible."""
    day = date_option(date_text) if date_text else clock.today()
    with stage("reference"):
        ref = load_reference(data, rates)
    ids = {c["customer_id"] for c in ref["ref_customers"].rows}
    with store.locked(out):
        store.verify(out)
        journal = ledger_journal.read_journal(out)
        pending = new_events(read_snapshot(out), journal, ledger_journal.document_sources(out))
        balances = Balances([*journal.events, *pending])
        try:
            events = assign_events(balances, entry, customer, invoice, day, ids)
        except AssignError as exc:
            raise InputError(str(exc)) from exc
        if not events:
            return AssignResult(entry, customer, [], "")
        events += allocation_events([*journal.events, *pending, *events])
        command = f"payments --assign {entry} --customer {customer}" + (
            f" --invoice {invoice}" if invoice else ""
        )
        journal = ledger_journal.append(out, journal, pending + events, command)
    return AssignResult(entry, customer, events, journal.files[-1].name)


def assign_message(result: AssignResult) -> str:
    if not result.events:
        return say(
            f"{result.entry} déjà affecté au client {result.customer} (rien n'est écrit)",
            f"{result.entry} already assigned to customer {result.customer} (nothing written)",
        )
    paid = [
        f"{e.document} {e.amount}"
        for e in result.events
        if e.kind == ALLOCATION and e.customer_id == result.customer
    ]
    credit = sum(
        (e.amount for e in result.events if e.kind == UNALLOCATED_CREDIT), Decimal("0.00")
    ) - sum(
        (e.amount for e in result.events if e.kind == ALLOCATION and e.detail("credit")),
        Decimal("0.00"),
    )
    text = ", ".join(paid) if paid else say("aucune facture", "no invoice")
    return say(
        f"{result.entry} affecté au client {result.customer} : {text} ; crédit non affecté "
        f"{credit} ; journal {result.journal_file}",
        f"{result.entry} assigned to customer {result.customer}: {text}; unallocated credit "
        f"{credit}; journal {result.journal_file}",
    )


# --- R86: receivables reports, `billing receivables --date D [--customer C]` -----------------


@dataclass
class ReportResult:
    day: date
    folder: Path
    files: list[str]
    totals: Totals
    customers: int
    open_items: int
    suspense: int


def receivables(
    date_text: str, data: Path, out: Path, rates: Path, customer: str | None = None
) -> ReportResult:
    """R86: `billing receivables --date D [--customer C]`: the reports of D from the journal's
    events dated up to D (and the documents it lacks yet, in memory), checked (issued -
    allocated = open items = balances, exit 1 otherwise), written into a staging folder and
    published as OUT/receivables/reports/D/. Nothing is appended to the journal."""
    day = date_option(date_text)
    with stage("reference"):
        ref = load_reference(data, rates)
    customers = customer_rows(ref)
    if customer is not None and customer not in customers:
        raise InputError(
            say(
                f"--customer : client {customer} inconnu",
                f"--customer: unknown customer {customer}",
            ),
            file="customers.csv",
        )
    names = {c: str(row.get("name") or "") for c, row in customers.items()}
    methods = {c: str(row.get("payment_method") or "transfer") for c, row in customers.items()}
    with store.locked(out):
        store.verify(out)
        journal = ledger_journal.read_journal(out)
        pending = new_events(read_snapshot(out), journal, ledger_journal.document_sources(out))
        with stage("report"):
            events = [*journal.events, *pending]
            # only customers sent a letter can have a level: the others' timelines are skipped
            lettered = {e.customer_id for e in events if e.kind == DUNNING_LETTER}
            levels = dunning_levels(
                [e for e in events if e.date <= day and e.customer_id in lettered], day
            )
            report = compute_report(events, day, methods, levels)
            check(report.totals)
        statement_of = None
        if customer is not None:
            row = next((b for b in report.balances if b.customer_id == customer), None)
            method = row.payment_method if row else methods.get(customer, "transfer")
            statement_of = (statement(report, customer), customers[customer], ref.provider, method)
        staging = ledger_reports.report_staging(out, day.isoformat())
        try:
            with stage("files"):
                files = write_report(staging, report, names, statement_of)
        except BaseException:
            ledger_reports.discard(staging)
            raise
        folder = ledger_reports.publish_report(staging)
    return ReportResult(
        day,
        folder,
        files,
        report.totals,
        len(report.balances),
        len(report.open_items),
        len(report.suspense),
    )


def receivables_message(result: ReportResult) -> str:
    t = result.totals
    return say(
        f"{result.day} : {result.open_items} pièce(s) ouverte(s), {result.customers} client(s), "
        f"soldes {t.balances} EUR, en attente {t.suspense} EUR ; contrôle R86 : émis {t.issued} "
        f"- affecté {t.allocated} = postes ouverts {t.open_items} ; fichiers dans {result.folder}",
        f"{result.day}: {result.open_items} open item(s), {result.customers} customer(s), "
        f"balances {t.balances} EUR, suspense {t.suspense} EUR; R86 check: issued {t.issued} - "
        f"allocated {t.allocated} = open items {t.open_items}; files in {result.folder}",
    )
