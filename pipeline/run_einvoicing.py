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
from pathlib import Path

from pipeline.core.clock import today
from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.einvoicing.documents import IssuedDocument, issued_documents
from pipeline.einvoicing.files import problems_csv, to_correct_csv
from pipeline.einvoicing.frctc import CdarStatus, Validator, read_cdar
from pipeline.einvoicing.lifecycle import (
    IMPORT,
    UNKNOWN_CODE,
    UNKNOWN_DOCUMENT,
    Imported,
    status_events,
    to_correct,
)
from pipeline.ledger import einvoicing as ledger_einvoicing
from pipeline.ledger import journal as ledger_journal
from pipeline.ledger import store
from pipeline.ledger.snapshot import read_snapshot
from pipeline.receivables.compute import new_events
from pipeline.receivables.journal import Event, Journal


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
