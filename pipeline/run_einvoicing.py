"""The driver of the e-invoicing platform commands (R94-R97): `billing send`, `billing
statuses --import | --fetch | --export [--send]`, `billing ereporting`. The same one-way
flow as pipeline/run_receivables.py:

1. read and check what the command is given (CDAR files: XSD + CDV schematron; bad input
   stops here, exit 2, nothing recorded);
2. under OUT's lock, verify the issued months (store.verify) and the receivables journal
   (read_journal: exit 1 on damage), finish a publication a killed run left, read the ledger
   snapshot and the journal once;
3. compute (pipeline.einvoicing: pure functions of the snapshots);
4. talk to the platform, when the command does, only through pipeline.einvoicing.platform;
5. record: one journal file per run (ledger_journal.append), the files it names published
   in the same step (pipeline.ledger.einvoicing), the reports rewritten from the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.core.clock import today
from pipeline.core.dates import Month, date_option, parse_date
from pipeline.core.errors import InputError, ProblemFound
from pipeline.core.language import say
from pipeline.einvoicing.cdar import buyer_party, seller_party
from pipeline.einvoicing.documents import IssuedDocument, issued_documents
from pipeline.einvoicing.encaissee import Collected, collected, export_events, message_fields
from pipeline.einvoicing.ereporting import (
    DEFAULT_REGIME,
    PAYMENTS,
    PERIODICITY,
    TRANSACTIONS,
    Payment,
    cadence_periods,
    payments_due,
    payments_fields,
    reported_events,
    transactions_due,
    transactions_fields,
)
from pipeline.einvoicing.files import problems_csv, to_correct_csv
from pipeline.einvoicing.frctc import (
    CdarStatus,
    Validator,
    cdar_xml,
    payments_xml,
    read_cdar,
    transactions_xml,
)
from pipeline.einvoicing.lifecycle import (
    DEPOSIT,
    FETCH,
    IMPORT,
    REJECTED,
    UNKNOWN_CODE,
    UNKNOWN_DOCUMENT,
    Imported,
    fetch_cursor,
    status_event,
    status_events,
    to_correct,
    to_deposit,
)
from pipeline.einvoicing.lifecycle import (
    DEPOSITED as DEPOSITED_CODE,
)
from pipeline.einvoicing.platform import (
    DEPOSITED,
    FAILED,
    REFUSED,
    Deposit,
    Platform,
    platform_from_environment,
)
from pipeline.inputs.reference import load_reference
from pipeline.ledger import einvoicing as ledger_einvoicing
from pipeline.ledger import journal as ledger_journal
from pipeline.ledger import store
from pipeline.ledger.snapshot import read_snapshot
from pipeline.receivables.compute import new_events
from pipeline.receivables.journal import STATUS_EXPORTED, STATUS_SENT, Event, Journal, details


@dataclass
class Ledger:
    """What a run read once under the lock."""

    journal: Journal
    pending: list[Event]  # documents issued since the journal was last written
    documents: dict[str, IssuedDocument]

    @property
    def events(self) -> list[Event]:
        return [*self.journal.events, *self.pending]


def _read_ledger(out: Path) -> Ledger:
    store.verify(out)
    journal = ledger_journal.read_journal(out)
    ledger_einvoicing.recover(out, journal)
    snapshot = read_snapshot(out)
    pending = new_events(snapshot, journal, ledger_journal.document_sources(out))
    return Ledger(journal, pending, issued_documents(snapshot))


def _write_reports(out: Path, events: list[Event], documents: dict[str, IssuedDocument]) -> None:
    ledger_einvoicing.write_report(
        out, ledger_einvoicing.TO_CORRECT_FILE, to_correct_csv(events, documents)
    )
    ledger_einvoicing.write_report(out, ledger_einvoicing.PROBLEMS_FILE, problems_csv(events))


# --- R95: statuses --import ------------------------------------------------------------------


@dataclass
class StatusesResult:
    outcomes: list[tuple[str, Imported]] = field(default_factory=list)  # (source, outcome)
    correct: list[Event] = field(default_factory=list)
    journal_file: str = ""
    reports: Path | None = None

    @property
    def recorded(self) -> int:
        return sum(1 for _, o in self.outcomes if o.event is not None)

    def lines(self) -> list[str]:
        out = []
        for source, o in self.outcomes:
            s = o.status
            where = f"{source} {s.document} {s.code} {s.label}".rstrip()
            if o.problem == UNKNOWN_DOCUMENT:
                what = say(
                    "document inconnu, enregistré à vérifier",
                    "unknown document, recorded for review",
                )
            elif o.problem == UNKNOWN_CODE:
                what = say(
                    "code inconnu, enregistré à vérifier", "unknown code, recorded for review"
                )
            elif o.event is None:
                what = say("déjà enregistré", "already recorded")
            else:
                what = say("enregistré", "recorded")
            out.append(f"{where} : {what}")
        for e in self.correct:
            reason = f" ({e.detail('reason')})" if e.detail("reason") else ""
            out.append(
                say("à corriger (R95) : ", "to correct (R95): ")
                + f"{e.document} {e.customer_id} {e.detail('code')} {e.detail('label')} "
                f"{e.date}{reason}"
            )
        return out


def statuses_message(result: StatusesResult) -> str:
    if not result.recorded:
        return say(
            "rien de nouveau : statuts déjà enregistrés (journal inchangé)",
            "nothing new: statuses already recorded (journal unchanged)",
        )
    return say(
        f"{result.recorded} statut(s) enregistré(s) ; journal {result.journal_file} ; "
        f"à corriger : {len(result.correct)} (liste dans {result.reports})",
        f"{result.recorded} status(es) recorded; journal {result.journal_file}; "
        f"to correct: {len(result.correct)} (list in {result.reports})",
    )


def read_cdar_files(
    files: list[str], validator: Validator
) -> list[tuple[str, str, list[CdarStatus]]]:
    """(file name, sha256, statuses) of each CDAR file, checked against the CDAR D22B XSD and
    the French CDV schematron first: a file that fails stops the run (exit 2)."""
    read = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise InputError(say("fichier introuvable", "file not found"), file=name)
        xml = path.read_bytes()
        problems = validator.check_cdar(xml)
        if problems:
            more = say(f" (et {len(problems) - 1} autre(s))", f" (and {len(problems) - 1} more)")
            raise InputError(
                say("message CDAR invalide (R95) : ", "invalid CDAR message (R95): ")
                + problems[0]
                + (more if len(problems) > 1 else ""),
                file=name,
            )
        read.append((path.name, ledger_einvoicing.sha256(xml), read_cdar(xml)))
    return read


def import_statuses(files: list[str], out: Path) -> StatusesResult:
    """R95: `billing statuses --import FILE...`."""
    read = read_cdar_files(files, Validator())
    result = StatusesResult()
    with store.locked(out):
        ledger = _read_ledger(out)
        new: list[Event] = []
        for name, digest, statuses in read:
            imported = status_events(
                statuses,
                ledger.documents,
                [*ledger.events, *new],
                source=IMPORT,
                source_file=name,
                source_sha256=digest,
                fallback_day=today(),
            )
            new += [i.event for i in imported if i.event is not None]
            result.outcomes += [(name, i) for i in imported]
        journal = ledger.journal
        if new:
            command = "statuses --import " + " ".join(n for n, _, _ in read)
            journal = ledger_journal.append(out, journal, ledger.pending + new, command)
            result.journal_file = journal.files[-1].name
        events = [*journal.events] if new else ledger.events
        _write_reports(out, events, ledger.documents)
        result.correct = to_correct(events)
        result.reports = out / ledger_einvoicing.TO_CORRECT_FILE
    return result


# --- R96: statuses --export --date D [--send] -------------------------------------------------


@dataclass
class ExportResult:
    day: date
    name: str = ""
    messages: list[Collected] = field(default_factory=list)
    folder: Path | None = None
    sent: list[str] = field(default_factory=list)  # deposit lines (--send)
    failed: int = 0

    def lines(self) -> list[str]:
        out = [
            f"{c.invoice.number} {c.invoice.customer_id} 212 {c.day} {c.amount} "
            f"({say('TVA', 'VAT')} {c.invoice.vat_rate} %)"
            for c in self.messages
        ]
        return out + self.sent


def export_message(result: ExportResult) -> str:
    if not result.messages:
        text = say(
            f"{result.day} : aucun message 212 à écrire (rien n'est écrit)",
            f"{result.day}: no 212 message to write (nothing written)",
        )
    else:
        text = say(
            f"{result.day} : {len(result.messages)} message(s) 212 « Encaissée » dans "
            f"{result.folder}",
            f'{result.day}: {len(result.messages)} 212 "Encaissée" message(s) in {result.folder}',
        )
    if result.failed:
        text += say(
            f" ; {result.failed} dépôt(s) en échec, réessayés au prochain envoi",
            f"; {result.failed} deposit(s) failed, tried again by the next send",
        )
    return text


def export_statuses(
    date_text: str | None, data: Path, out: Path, rates: Path, *, send: bool = False
) -> ExportResult:
    """R96: `billing statuses --export --date D [--send]`."""
    if not date_text:
        raise InputError(
            say("--export demande --date AAAA-MM-JJ", "--export needs --date YYYY-MM-DD")
        )
    day = date_option(date_text)
    ref = load_reference(data, rates)
    platform = platform_from_environment() if send else None
    validator = Validator()
    seller = seller_party(ref.provider)
    customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
    result = ExportResult(day)
    with store.locked(out):
        ledger = _read_ledger(out)
        journal = ledger.journal
        if ledger.pending:  # documents not yet in the journal enter it first
            journal = ledger_journal.append(out, journal, ledger.pending, "statuses --export")
        messages = collected(
            journal.files, ledger.documents, day, bool(ref.provider.get("vat_on_debits", False))
        )
        if messages:
            name = ledger_einvoicing.statuses_name(out, day.isoformat())
            files: dict[str, bytes] = {}
            events: list[Event] = []
            for c in messages:
                fields, percents = message_fields(
                    c,
                    seller,
                    buyer_party(
                        customers.get(c.invoice.customer_id, {"name": c.invoice.customer_id})
                    ),
                )
                xml = cdar_xml(fields, percents)
                problems = validator.check_cdar(xml)
                if problems:
                    raise ProblemFound(
                        say(
                            f"message 212 de {c.invoice.number} invalide (R96) : {problems[0]}",
                            f"212 message of {c.invoice.number} invalid (R96): {problems[0]}",
                        )
                    )
                relative = f"{ledger_einvoicing.STATUSES_DIR}/{name}/{c.file_name}"
                files[relative] = xml
                events += export_events(c, relative, ledger_einvoicing.sha256(xml), name)
            journal = ledger_einvoicing.publish(
                out, journal, files, events, f"statuses --export --date {day}"
            )
            result.name, result.messages = name, messages
            result.folder = out / ledger_einvoicing.STATUSES_DIR / name
        if platform is not None:
            journal, result.sent, result.failed = _send_statuses(out, journal, platform)
    return result


# --- R94: send --month M, and statuses --export --send ----------------------------------------


@dataclass
class SendResult:
    month: str
    deposited: list[tuple[IssuedDocument, Deposit]] = field(default_factory=list)
    failed: list[tuple[IssuedDocument, Deposit]] = field(default_factory=list)
    journal_file: str = ""

    def lines(self) -> list[str]:
        out = []
        for d, dep in self.deposited:
            if dep.outcome == DEPOSITED:
                out.append(f"{d.number} {d.customer_id} : 200 Déposée (flux {dep.flow_id})")
            else:
                out.append(f"{d.number} {d.customer_id} : 213 Rejetée ({dep.reason})")
        for d, dep in self.failed:
            out.append(
                f"{d.number} {d.customer_id} : "
                + say("échec, réessayé au prochain envoi", "failed, tried again by the next send")
                + f" ({dep.reason})"
            )
        return out


def send_message(result: SendResult) -> str:
    sent = sum(1 for _, dep in result.deposited if dep.outcome == DEPOSITED)
    refused = len(result.deposited) - sent
    if not result.deposited and not result.failed:
        return say(
            f"{result.month} : tous les documents sont déjà déposés (rien n'est envoyé)",
            f"{result.month}: every document is already deposited (nothing sent)",
        )
    return say(
        f"{result.month} : {sent} déposé(s), {refused} rejeté(s), {len(result.failed)} en échec",
        f"{result.month}: {sent} deposited, {refused} rejected, {len(result.failed)} failed",
    )


def _deposit_events(
    d: IssuedDocument, dep: Deposit, pdf: bytes, day: date, platform: Platform
) -> list[Event]:
    common = dict(
        document=d.number,
        customer_id=d.customer_id,
        day=day,
        source=DEPOSIT,
        source_file=d.pdf,
        source_sha256=ledger_einvoicing.sha256(pdf),
        flow_id=dep.flow_id,
    )
    if dep.outcome == REFUSED:
        return [
            status_event(code=REJECTED, reason=dep.reason, entry=f"deposit/{d.number}", **common)
        ]
    events = [status_event(code=DEPOSITED_CODE, reason="", entry=f"deposit/{d.number}", **common)]
    try:  # read its status (XP Z12-013: the flow's acknowledgement)
        status, reason = platform.flow_acknowledgement(dep.flow_id)
    except Exception:  # not answered now: the deposit stands, --fetch reads what follows
        return events
    if status == "Error":
        events.append(
            status_event(code=REJECTED, reason=reason, entry=f"deposit/{d.number}/ack", **common)
        )
    return events


def send(month_text: str, out: Path) -> SendResult:
    """R94: `billing send --month M`: every issued document of M and its corrections not yet
    deposited; one journal file for the run's statuses, written even when the run stops."""
    month = str(Month.parse(month_text))
    platform = platform_from_environment()
    result = SendResult(month)
    with store.locked(out):
        ledger = _read_ledger(out)
        if not any(d.month == month for d in ledger.documents.values()):
            raise InputError(
                say(f"le mois {month} n'est pas émis", f"month {month} is not issued"),
                file=str(out),
            )
        events: list[Event] = []
        day = today()
        try:
            for d in to_deposit(ledger.documents, ledger.events, month):
                pdf = ledger_einvoicing.read_issued(out, d.pdf)
                dep = platform.deposit(pdf, f"{d.number}.pdf", "Factur-X")
                if dep.outcome == FAILED:
                    result.failed.append((d, dep))
                    if dep.fatal:
                        break
                    continue
                events += _deposit_events(d, dep, pdf, day, platform)
                result.deposited.append((d, dep))
        finally:
            if events:
                journal = ledger_journal.append(
                    out, ledger.journal, ledger.pending + events, f"send --month {month}"
                )
                result.journal_file = journal.files[-1].name
                _write_reports(out, list(journal.events), ledger.documents)
    return result


def _send_statuses(
    out: Path, journal: Journal, platform: Platform
) -> tuple[Journal, list[str], int]:
    """--export --send: every 212 message exported and not yet deposited (R96, R94)."""
    events = list(journal.events)
    sent = {e.entry for e in events if e.kind == STATUS_SENT}
    lines: list[str] = []
    new: list[Event] = []
    failed = 0
    try:
        for e in events:
            if e.kind != STATUS_EXPORTED or e.entry in sent:
                continue
            xml = ledger_einvoicing.read_issued(out, e.detail("file"))
            dep = platform.deposit(xml, Path(e.detail("file")).name, "CDAR")
            if dep.outcome == FAILED:
                failed += 1
                lines.append(
                    f"{Path(e.detail('file')).name} : "
                    + say(
                        "échec, réessayé au prochain envoi", "failed, tried again by the next send"
                    )
                    + f" ({dep.reason})"
                )
                if dep.fatal:
                    break
                continue
            new.append(
                Event(
                    STATUS_SENT,
                    e.date,
                    e.customer_id,
                    e.document,
                    e.amount,
                    e.source_file,
                    e.source_sha256,
                    e.entry,
                    details(
                        file=e.detail("file"),
                        flow_id=dep.flow_id,
                        refused=dep.reason if dep.outcome == REFUSED else "",
                    ),
                )
            )
            what = (
                f"flux {dep.flow_id}" if dep.outcome == DEPOSITED else f"213 Rejetée ({dep.reason})"
            )
            lines.append(f"{Path(e.detail('file')).name} : {what}")
    finally:
        if new:
            journal = ledger_journal.append(out, journal, new, "statuses --export --send")
    return journal, lines, failed


# --- R95: statuses --fetch ---------------------------------------------------------------------


def fetch_statuses(out: Path) -> StatusesResult:
    """R95: `billing statuses --fetch`: the lifecycle flows of our invoices the platform
    received since the last fetch (the latest `updatedAt` recorded), each CDAR message checked
    like an imported one, then recorded (source `fetch`, its flow id)."""
    platform = platform_from_environment()
    validator = Validator()
    result = StatusesResult()
    with store.locked(out):
        ledger = _read_ledger(out)
        try:
            flows = platform.lifecycle_flows(fetch_cursor(ledger.events))
            files = [(f, platform.flow_file(str(f["flowId"]))) for f in flows]
        except Exception as exc:  # pyfrctc's errors, oauthlib's, the network's
            raise ProblemFound(
                say(
                    f"la plateforme n'a pas répondu ({str(exc)[:200]}) : rien n'est enregistré, "
                    "relancer plus tard",
                    f"the platform did not answer ({str(exc)[:200]}): nothing recorded, run "
                    "again later",
                )
            ) from None
        new: list[Event] = []
        for flow, xml in sorted(files, key=lambda item: str(item[0].get("updatedAt", ""))):
            flow_id = str(flow["flowId"])
            problems = validator.check_cdar(xml)
            if problems:
                raise ProblemFound(
                    say(
                        f"flux {flow_id} : message CDAR invalide (R95) : {problems[0]} ; rien "
                        "n'est enregistré",
                        f"flow {flow_id}: invalid CDAR message (R95): {problems[0]}; nothing "
                        "recorded",
                    )
                )
            imported = status_events(
                read_cdar(xml),
                ledger.documents,
                [*ledger.events, *new],
                source=FETCH,
                source_file=f"platform:{flow_id}",
                source_sha256=ledger_einvoicing.sha256(xml),
                fallback_day=today(),
                flow_id=flow_id,
                updated_at=str(flow.get("updatedAt") or ""),
            )
            new += [i.event for i in imported if i.event is not None]
            result.outcomes += [(flow_id, i) for i in imported]
        journal = ledger.journal
        if new:
            journal = ledger_journal.append(out, journal, ledger.pending + new, "statuses --fetch")
            result.journal_file = journal.files[-1].name
        events = list(journal.events) if new else ledger.events
        _write_reports(out, events, ledger.documents)
        result.correct = to_correct(events)
        result.reports = out / ledger_einvoicing.TO_CORRECT_FILE
    return result


# --- R97: ereporting --period START..END ------------------------------------------------------


@dataclass
class EreportingResult:
    start: date
    end: date
    files: list[tuple[str, int]] = field(default_factory=list)  # (path under OUT, entries)
    corrections: list[Payment] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{name} : {count} " + say("élément(s)", "item(s)") for name, count in self.files]
        for p in self.corrections:
            out.append(
                say(
                    f"{p.invoice.number} {p.invoice.customer_id} : prélèvement retourné le {p.day} "
                    f"({-p.amount} EUR) sur un paiement déjà déclaré : flux 10.2 rectificatif à "
                    "déposer (R97)",
                    f"{p.invoice.number} {p.invoice.customer_id}: debit returned on {p.day} "
                    f"({-p.amount} EUR) on a payment already reported: a corrective Flux 10.2 "
                    "is needed (R97)",
                )
            )
        return out


def ereporting_message(result: EreportingResult) -> str:
    if not result.files:
        return say(
            f"{result.start}..{result.end} : rien de nouveau à déclarer (rien n'est écrit)",
            f"{result.start}..{result.end}: nothing new to report (nothing written)",
        )
    return say(
        f"{result.start}..{result.end} : {len(result.files)} flux écrit(s) sous "
        f"{ledger_einvoicing.EREPORTING_DIR}/",
        f"{result.start}..{result.end}: {len(result.files)} flow(s) written under "
        f"{ledger_einvoicing.EREPORTING_DIR}/",
    )


def _period(text: str) -> tuple[date, date]:
    first, sep, last = (text or "").partition("..")
    try:
        start, end = parse_date(first), parse_date(last)
    except ValueError:
        start = end = None
    if not sep or start is None or end is None or end < start:
        raise InputError(
            say(
                f"--period {text!r} : attendu AAAA-MM-JJ..AAAA-MM-JJ (début avant fin)",
                f"--period {text!r}: expected YYYY-MM-DD..YYYY-MM-DD (start before end)",
            )
        )
    return start, end


def _ereporting_settings(provider: dict[str, object], path: str) -> str:
    regime = str(provider.get("vat_regime") or DEFAULT_REGIME)
    if regime not in PERIODICITY:
        raise InputError(
            say(
                f"vat_regime = {regime!r} : attendu {', '.join(PERIODICITY)}",
                f"vat_regime = {regime!r}: expected {', '.join(PERIODICITY)}",
            ),
            file=path,
        )
    matricule = str(provider.get("platform_matricule") or "")
    if len(matricule) != 4 or not provider.get("platform_name"):
        raise InputError(
            say(
                "platform_matricule (4 caractères, le matricule de la plateforme agréée) et "
                "platform_name sont nécessaires à l'e-reporting (R97)",
                "platform_matricule (4 characters, the accredited platform's number) and "
                "platform_name are needed for e-reporting (R97)",
            ),
            file=path,
        )
    return regime


def _free_name(out: Path, stem: str, taken: set[str]) -> tuple[str, int]:
    number = 1
    while True:
        name = f"{ledger_einvoicing.EREPORTING_DIR}/{stem}{'' if number == 1 else f'-{number:02d}'}.xml"
        if name not in taken and not (out / name).exists():
            return name, number
        number += 1


def ereporting(period_text: str, data: Path, out: Path, rates: Path) -> EreportingResult:
    """R97: `billing ereporting --period START..END`."""
    start, end = _period(period_text)
    ref = load_reference(data, rates)
    regime = _ereporting_settings(ref.provider, str(data / "provider.toml"))
    customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
    validator = Validator()
    result = EreportingResult(start, end)
    with store.locked(out):
        ledger = _read_ledger(out)
        files: dict[str, bytes] = {}
        events: list[Event] = []
        for period in cadence_periods(start, end, "out_transaction", regime):
            docs = transactions_due(ledger.documents, customers, ledger.events, period)
            if docs:
                name, number = _free_name(out, f"flux10.1-{period[0]}-{period[1]}", set(files))
                fields = transactions_fields(docs, customers, ref.provider, period, number)
                xml = _checked(validator, transactions_xml(fields), name)
                files[name] = xml
                events += reported_events(
                    TRANSACTIONS, docs, [], name, ledger_einvoicing.sha256(xml), period
                )
                result.files.append((name, len(docs)))
        for period in cadence_periods(start, end, "payment", regime):
            payments, left = payments_due(ledger.journal.files, ledger.documents, customers, period)
            result.corrections += left
            if payments:
                name, number = _free_name(out, f"flux10.2-{period[0]}-{period[1]}", set(files))
                xml = _checked(
                    validator,
                    payments_xml(payments_fields(payments, ref.provider, period, number)),
                    name,
                )
                files[name] = xml
                events += reported_events(
                    PAYMENTS, [], payments, name, ledger_einvoicing.sha256(xml), period
                )
                result.files.append((name, len(payments)))
        if files:
            ledger_einvoicing.publish(
                out,
                ledger.journal,
                files,
                ledger.pending + events,
                f"ereporting --period {start}..{end}",
            )
    return result


def _checked(validator: Validator, xml: bytes, name: str) -> bytes:
    problems = validator.check_ereporting(xml)
    if problems:
        raise ProblemFound(
            say(
                f"{name} : flux invalide (XSD ou schematron Flux 10, R97) : {problems[0]} ; rien "
                "n'est écrit",
                f"{name}: invalid flow (XSD or Flux 10 schematron, R97): {problems[0]}; nothing "
                "written",
            )
        )
    return xml
