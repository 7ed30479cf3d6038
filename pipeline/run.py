"""The driver: the steps of `bill`, `audit` and `explain`, and nothing else.

Every command follows the same one-way flow:

1. read the reference data and the rate book (R42: bad data stops here, exit 2);
2. under OUT's lock, check the ledger and read it once (pipeline.ledger.snapshot);
3. compute the month (pipeline.billing.month.compute_month: a function of the inputs and the
   snapshot, which never reads OUT);
4. issue: write the month into a staging folder under OUT and publish it by one atomic
   rename (bill), compare it with what was issued (a re-run, R64; an audit), or read one
   call's facts (explain).
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.billing.corrections import CorrectionDocuments, compute_correction
from pipeline.billing.ledger_snapshot import LedgerSnapshot, Position
from pipeline.billing.month import (
    Gates,
    MonthInputs,
    RejectsOverLimit,
    compute_month,
    percent,
    rejects_over_limit,
)
from pipeline.billing.month_documents import Invoice, MonthDocuments
from pipeline.core import clock, db
from pipeline.core.data_contract import RATED_CALLS_WITH_RATING_FACTS, WATCH_DIR
from pipeline.core.dates import Month, date_option
from pipeline.core.errors import BillingError, InputError, ProblemFound
from pipeline.core.language import language, say
from pipeline.core.progress import checkpoint, comparing, stage
from pipeline.explain import explain_text
from pipeline.exports.correction import write_correction
from pipeline.exports.documents import DocumentsResult
from pipeline.exports.month_files import write_month
from pipeline.inputs.cdrs import months_with_usage
from pipeline.inputs.reference import (
    load_high_risk_prefixes,
    load_reference,
    read_watch_settings,
)
from pipeline.ledger import manifest, store
from pipeline.ledger.archive import ARCHIVE_DIR, archive_inputs, restore_inputs
from pipeline.ledger.changes import changed_inputs
from pipeline.ledger.compare import (
    compare_months,
    issued_files_intact,
    month_differences,
    presentation_notes,
)
from pipeline.ledger.issued import call_facts, correction_history
from pipeline.ledger.journal import read_journal
from pipeline.ledger.snapshot import read_snapshot
from pipeline.rating.models import call_facts_rated_again
from pipeline.run_receivables import record_documents
from pipeline.validation.gates import GATES, write_report
from pipeline.watch.baselines import baseline_months, read_baselines
from pipeline.watch.day import rate_day
from pipeline.watch.files import write_watch
from pipeline.watch.rules import Alert, Baselines, day_alerts


@dataclass
class RunResult:
    month: Month
    status: str  # "issued", "identical"
    folder: Path
    invoices: int = 0
    credit_notes: int = 0
    total_ttc: str = "0.00"
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each, for stderr


@dataclass
class AuditResult:
    month: Month
    folder: Path
    inputs: int
    issued_code: str
    current_code: str
    notes: list[str] = field(default_factory=list)


def _month_and_reference(month_text: str, data: Path, rates: Path) -> tuple[Month, Any]:
    month = Month.parse(month_text)
    if not data.is_dir():
        raise InputError(
            say(
                f"le dossier de données {str(data)!r} n'existe pas ou n'est pas un dossier",
                f"data folder {str(data)!r} does not exist or is not a folder",
            )
        )
    with stage("reference"):
        return month, load_reference(data, rates)


def _rules(gates: Gates | None) -> bool:
    """Whether the e-invoices of the run are checked against the schematrons (with the gates)."""
    return gates is not None and getattr(gates, "einvoice_rules", True)


def _stop_on_broken_documents(einvoices: DocumentsResult) -> list[str]:
    """R70-R71: an e-invoice that breaks the XSD or a rule stops the run before publishing
    (exit 1), naming the document and the rule; return the warnings (one line each)."""
    if einvoices.findings:
        lines = [
            f"{number}{say(' : ', ': ')}{finding}"
            for number, findings in sorted(einvoices.findings.items())
            for finding in findings[:5]
        ]
        count = len(einvoices.findings)
        raise ProblemFound(
            say(
                f"{count} facture(s) électronique(s) enfreignent le XSD Factur-X ou les règles "
                "EN 16931 / BR-FR ; rien n'a été publié :\n",
                f"{count} e-invoice(s) break the Factur-X XSD or the EN 16931 / BR-FR rules; "
                "nothing was published:\n",
            )
            + "\n".join(lines[:20])
        )
    return einvoices.warnings


def write_issued_month(
    folder: Path, documents: MonthDocuments, data: Path, rates: Path, check_rules: bool = False
) -> list[str]:
    """Every file of the month into `folder`: the validation report, the documents and
    exports, the archive of the inputs, and last the manifest that hashes them all. Return
    the warnings of the e-invoices."""
    with stage("manifest", "input hashes"):
        record = manifest.build(documents, data, rates)
    if documents.validation:
        record["validation"] = write_report(documents.validation, folder / "validation")
    exports, einvoices = write_month(folder, documents, check_rules)
    warnings = _stop_on_broken_documents(einvoices)
    archive_inputs(folder, data, rates, record["inputs"])
    record["exports"] = {**exports, "archive": f"{ARCHIVE_DIR}/sha256/"}
    with stage("manifest", "output hashes"):
        manifest.seal(folder, record)
    return warnings


def bill_month(
    month_text: str,
    data: Path,
    out: Path,
    rates: Path,
    *,
    gates: Gates | None = GATES,
    accept_rejects: bool = False,
    start_ledger: bool = False,
    engine: str = "duckdb",
) -> RunResult:
    """Bill `month_text`: issue it, or, if it is already issued, recompute and compare (R64).
    `start_ledger`: the first month of an empty ledger may be a later one than the data
    folder's first month of usage (a provider migrating mid-year)."""
    if gates is not None:
        gates.preload()  # great_expectations imports in the background while the month rates
    month, ref = _month_and_reference(month_text, data, rates)
    with store.locked(out):
        checkpoint("locked")
        verified = store.verify(out)
        journal = read_journal(out)  # R83: an edited or deleted event stops the run (exit 1)
        already = store.check_month_order(out, month)
        if not store.issued_months(out) and not start_ledger:
            _refuse_skipped_usage(data, month)
        snapshot = read_snapshot(out).before(month)
        warnings = [] if already else changed_inputs(out, data, ref["ref_tariffs"].rows)
        final = out / str(month)
        # a month billed again is computed as it was issued (with its acceptance of rejects,
        # R43) and compared: nothing is issued, so its rejects never stop it
        issued = manifest.read(final) if already else {}
        accept = accept_rejects or bool(issued.get("accepted_rejects"))
        with (
            store.scratch_folder(out, month) as scratch,
            comparing() if already else nullcontext(),
            _rejects_advice("bill", month, data, out, rates),
        ):
            documents = compute_month(
                MonthInputs(
                    month,
                    ref,
                    data,
                    accept,
                    engine,
                    stop_on_rejects=not already,
                    fec_vat_pending=issued.get("fec_vat_pending", []) if already else None,
                ),
                snapshot,
                scratch=scratch,
                gates=gates,
            )
            warnings += (
                _rejects_not_accepted(issued, documents)
                if already
                else _rejects_accepted(documents)
            )
            staging = store.staging_dir(out, month)
            try:
                warnings += write_issued_month(
                    staging, documents, data, rates, check_rules=_rules(gates)
                )
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)  # nothing half-written stays in OUT
                raise
            result = RunResult(
                month,
                "issued",
                final,
                invoices=len(documents.invoices),
                credit_notes=len(documents.credit_notes),
                total_ttc=str(sum((i.total_ttc for i in documents.invoices), Decimal("0.00"))),
                reconciliation=documents.reconciliation,
                warnings=warnings,
            )
            if already:
                try:
                    with stage("compare"):
                        differences = month_differences(final, staging)
                    result.warnings += presentation_notes(final, staging)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                if differences:
                    raise ProblemFound(
                        say(
                            f"{month} est déjà émis et le recalcul diffère ; rien n'a été "
                            "réécrit (R64) :\n",
                            f"{month} is already issued and the recomputation differs; nothing "
                            "was rewritten (R64):\n",
                        )
                        + "\n".join(differences)
                        + "\n"
                        + _correct_advice(month, data, out, rates)
                    )
                result.status = "identical"
                return result
            store.publish(staging, final)
            store.remember(out, verified, final)
            record_documents(out, journal, f"bill --month {month}")  # R83
    return result


# the folders `billing` and `make` take when none is given
_DEFAULT_FOLDERS = (
    ("data", "DATA", "data_samples"),
    ("out", "OUT", "out"),
    ("rates", "RATES", "rates"),
)


def _folders(data: Path, out: Path, rates: Path, make: bool) -> str:
    """The folder options of a command line that differ from the defaults."""
    parts = []
    for (option, variable, default), path in zip(_DEFAULT_FOLDERS, (data, out, rates), strict=True):
        if str(path) != default:
            parts.append(
                f"{variable}={shlex.quote(str(path))}"
                if make
                else f"--{option} {shlex.quote(str(path))}"
            )
    return "".join(f" {p}" for p in parts)


def _billing_command(
    command: str, month: Month, data: Path, out: Path, rates: Path, *flags: str
) -> str:
    """`billing <command> --month M [folders] [flags]`, as the user can run it again."""
    folders = _folders(data, out, rates, make=False)
    return f"billing {command} --month {month}{folders}" + "".join(f" {f}" for f in flags)


def _correct_advice(month: Month, data: Path, out: Path, rates: Path) -> str:
    """R64 -> R65: what to do with a month billed again whose recomputation differs."""
    make = f"make correct MONTH={month}{_folders(data, out, rates, make=True)}"
    billing = _billing_command("correct", month, data, out, rates)
    return say(
        "Pour émettre ces différences (une facture rectificative ou un avoir par client dont le "
        f"total change, R65) : {make} (DRY_RUN=1 montre d'abord les documents, sans rien "
        f"écrire), ou {billing} [--dry-run]",
        "To issue these differences (a supplementary invoice or a credit note per customer "
        f"whose total changes, R65): {make} (DRY_RUN=1 shows the documents first, writing "
        f"nothing), or {billing} [--dry-run]",
    )


@contextmanager
def _rejects_advice(
    command: str, month: Month, data: Path, out: Path, rates: Path, *flags: str
) -> Iterator[None]:
    """R43: a run stopped by its rejects says how to issue anyway (`--accept-rejects`)."""
    try:
        yield
    except RejectsOverLimit as exc:
        again = _billing_command(command, month, data, out, rates, *flags, "--accept-rejects")
        what = (
            say("le mois", "the month")
            if command == "bill"
            else say("la correction", "the correction")
        )
        raise RejectsOverLimit(
            f"{exc}\n"
            + say(
                "Vérifier ces fichiers (un export dont le format a changé ?) et relancer ; ou "
                f"émettre {what} avec ces rejets, ce que manifest.json enregistre : {again}",
                "Check these files (an export whose format changed?) and run again; or issue "
                f"{what} with these rejects, which manifest.json records: {again}",
            )
        ) from None


def _over_limit_text(f: dict[str, Any], limit: int) -> str:
    share = percent(f["rejected"], f["rows_read"], limit)
    return say(
        f"{f['source_file']} : {f['rejected']} lignes rejetées sur {f['rows_read']} lues "
        f"({share} %)",
        f"{f['source_file']}: {f['rejected']} of {f['rows_read']} rows rejected ({share}%)",
    )


def _rejects_accepted(documents: MonthDocuments) -> list[str]:
    """R43: the files a month is issued with although mostly rejected (`--accept-rejects`),
    one warning each."""
    if not documents.accepted_rejects:
        return []
    return _over_limit_lines(
        documents,
        lambda text, limit: say(
            f"R43 : émis avec --accept-rejects (enregistré dans manifest.json) : {text}",
            f"R43: issued with --accept-rejects (recorded in manifest.json): {text}",
        ),
    )


def _over_limit_lines(documents: MonthDocuments, line: Any) -> list[str]:
    """One line per CDR file over max_rejected_pct (R43): `line(text, limit)`."""
    limit = documents.reference.provider["max_rejected_pct"]
    return [
        line(_over_limit_text(f, limit), limit)
        for f in rejects_over_limit(documents.reconciliation, documents.rejects, limit)
    ]


def _rejects_not_accepted(record: dict[str, Any], documents: MonthDocuments) -> list[str]:
    """R43 on a month issued before it checked each file: the files over the limit of a month
    whose manifest records no `--accept-rejects` (a re-run or an audit still compares it)."""
    if record.get("accepted_rejects"):
        return []
    return _over_limit_lines(
        documents,
        lambda text, limit: say(
            f"R43 : {text}, plus que max_rejected_pct = {limit} : ce mois a été émis sans "
            "--accept-rejects, avant que R43 ne contrôle chaque fichier ; billing bill "
            "l'arrêterait aujourd'hui",
            f"R43: {text}, over max_rejected_pct = {limit}: this month was issued without "
            "--accept-rejects, before R43 checked each file; billing bill would stop it "
            "today",
        ),
    )


def _refuse_skipped_usage(data: Path, month: Month) -> None:
    """The first month of a ledger: an earlier month of the data folder with CDR files would
    never be billable afterwards (months are issued in order, R60)."""
    earlier = months_with_usage(data, str(month))
    if earlier:
        folder, months = data / "cdrs" / earlier[0], " ".join([*earlier, str(month)])
        raise InputError(
            say(
                f"le registre est vide et {earlier[0]} a des fichiers CDR dans {folder} jamais "
                f'facturés : facturez-le d\'abord (make bill MONTH={earlier[0]}, ou MONTH="{months}") ; '
                f"pour commencer le registre à {month} volontairement (un opérateur qui migre en "
                "cours d'année), facturez-le avec --start-ledger",
                f"the ledger is empty and {earlier[0]} has CDR files in {folder} that were never "
                f'billed: bill it first (make bill MONTH={earlier[0]}, or MONTH="{months}"); to '
                f"start the ledger at {month} on purpose (a provider migrating mid-year), bill it "
                "with --start-ledger",
            )
        )


def audit_month(
    month_text: str,
    data: Path,
    out: Path,
    rates: Path,
    *,
    gates: Gates | None = GATES,
    engine: str = "duckdb",
) -> AuditResult:
    """Re-run an issued month from the inputs archived when it was issued, with today's code,
    and compare every issued file. Raise ProblemFound listing every difference; return
    quietly when identical. Never writes under OUT.

    `data` and `rates` serve only for inputs missing from the month's archive (a month issued
    before the archive existed), when they still have their recorded hash."""
    month = Month.parse(month_text)
    folder = out / str(month)
    if not store.is_issued(out, month):
        manifest_path = folder / "manifest.json"
        raise InputError(
            say(
                f"{month} n'est pas un mois émis sous {out} (pas de {manifest_path}) : rien à "
                "auditer",
                f"{month} is not an issued month under {out} (no {manifest_path}): nothing to "
                "audit",
            )
        )
    if gates is not None:
        gates.preload()
    with store.locked(out):
        issued = manifest.read(folder)
        store.verify(out, before=month)
        snapshot = read_snapshot(out)

        rejects_notes: list[str] = []

        def month_again(ref: Any, tmp_data: Path, tmp_rates: Path, scratch: Path, fresh: Path):
            # with the acceptance of rejects it was issued with (R43); an audit never stops on
            # them: it compares
            accepted = bool(issued.get("accepted_rejects"))
            documents = compute_month(
                MonthInputs(
                    month,
                    ref,
                    tmp_data,
                    accepted,
                    engine,
                    stop_on_rejects=False,
                    fec_vat_pending=issued.get("fec_vat_pending", []),  # R88: as issued
                ),
                snapshot.before(month),
                scratch=scratch,
                gates=gates,
            )
            rejects_notes.extend(_rejects_not_accepted(issued, documents))
            write_issued_month(fresh, documents, tmp_data, tmp_rates)

        notes, problems = _rerun(folder, issued, data, rates, month, month_again)
        notes += rejects_notes
        for correction in store.issued_corrections(out, month):
            record = manifest.read(correction)
            position, number, issued_on = _correction_record(record)
            view = snapshot.as_of(position)

            def correction_again(
                ref: Any,
                tmp_data: Path,
                tmp_rates: Path,
                scratch: Path,
                fresh: Path,
                view: LedgerSnapshot = view,
                issued_on: date = issued_on,
                number: int = number,
                accept: bool = bool(record.get("accepted_rejects")),
                vat_pending: tuple[str, ...] = tuple(record.get("fec_vat_pending", ())),
            ):
                fixed = _correction(
                    MonthInputs(
                        month,
                        ref,
                        tmp_data,
                        accept,
                        engine,
                        stop_on_rejects=False,
                        fec_vat_pending=list(vat_pending),  # R88: as issued
                    ),
                    view,
                    issued_on,
                    number,
                    scratch,
                    gates,
                )
                write_issued_correction(fresh, fixed, tmp_data, tmp_rates)

            more_notes, more = _rerun(correction, record, data, rates, month, correction_again)
            label = correction.relative_to(folder).as_posix()
            colon = say(" : ", ": ")
            notes += [f"{label}{colon}{n}" for n in more_notes]
            problems += [f"{label}{colon}{p}" for p in more]
    notes += _library_notes(issued.get("libraries"))
    result = AuditResult(
        month,
        folder,
        len(issued.get("inputs", [])),
        issued.get("code_version", "?"),
        manifest.code_version(),
        notes,
    )
    if problems:
        raise ProblemFound(
            say(
                f"{month} : le recalcul depuis les entrées archivées diffère de ce qui a été "
                f"émis (émis avec {result.issued_code}, recalculé avec {result.current_code}) :\n",
                f"{month}: the re-run from the archived inputs differs from what was issued "
                f"(issued with {result.issued_code}, re-run with {result.current_code}):\n",
            )
            + "\n".join(notes + problems)
        )
    return result


@dataclass
class CorrectionResult:
    month: Month
    status: str  # "issued", "dry run", "nothing to correct", "no document"
    folder: Path | None
    lines: list[str] = field(default_factory=list)  # what to print, one line each


def _parse_date(text: str | None) -> date:
    if not text:
        return clock.today()
    return date_option(text)


def correct_month(
    month_text: str,
    date_text: str | None,
    data: Path,
    out: Path,
    rates: Path,
    *,
    dry_run: bool = False,
    accept_rejects: bool = False,
    gates: Gates | None = GATES,
    engine: str = "duckdb",
) -> CorrectionResult:
    """R65-R68: recompute an issued month with the current inputs and issue, per customer
    whose total changes, a supplementary invoice or a credit note, published as
    OUT/M/corrections/NN/ (`dry_run`: print what would be issued, write nothing)."""
    issued_on = _parse_date(date_text)
    if gates is not None:
        gates.preload()
    month, ref = _month_and_reference(month_text, data, rates)
    with store.locked(out):
        checkpoint("locked")
        verified = store.verify(out)
        journal = read_journal(out)  # R83
        if not store.is_issued(out, month):
            raise InputError(
                say(
                    f"{month} n'est pas un mois émis sous {out} : seul un mois émis peut être "
                    f"corrigé (facturez-le avec `make bill MONTH={month}`) ; rien n'a été écrit",
                    f"{month} is not an issued month under {out}: only an issued month can be "
                    f"corrected (bill it with `make bill MONTH={month}`); nothing was written",
                )
            )
        snapshot = read_snapshot(out)
        number = len(snapshot.corrections(month)) + 1
        dry = ("--dry-run",) if dry_run else ()
        with (
            store.scratch_folder(out, month) as scratch,
            _rejects_advice("correct", month, data, out, rates, *dry),
        ):
            correction = _correction(
                MonthInputs(month, ref, data, accept_rejects, engine),
                snapshot,
                issued_on,
                number,
                scratch,
                gates,
            )
            lines = describe_correction(correction)
            if not correction.changes:
                return CorrectionResult(month, "nothing to correct", None, lines)
            if dry_run:
                return CorrectionResult(month, "dry run", None, lines)
            if not correction.invoices and not correction.credit_notes:
                return CorrectionResult(month, "no document", None, lines)
            final = store.correction_dir(out, month, number)
            staging = store.staging_dir(out, month)
            try:
                lines += [
                    f"{say('attention : ', 'warning: ')}{w}"
                    for w in write_issued_correction(
                        staging, correction, data, rates, check_rules=_rules(gates)
                    )
                ]
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            store.publish(staging, final)
            store.remember(out, verified, final)
            record_documents(out, journal, f"correct --month {month} --date {issued_on}")
    return CorrectionResult(month, "issued", final, lines)


def _correction(
    inputs: MonthInputs,
    snapshot: LedgerSnapshot,
    issued_on: date,
    number: int,
    scratch: Path,
    gates: Gates | None,
) -> CorrectionDocuments:
    """R65: the month recomputed as its own run would have billed it (the ledger before it),
    then compared with what was issued for it over `snapshot` (the ledger the correction is
    issued over)."""
    recomputed = compute_month(inputs, snapshot.before(inputs.month), scratch=scratch, gates=gates)
    return compute_correction(recomputed, snapshot, issued_on, number)


def write_issued_correction(
    folder: Path,
    correction: CorrectionDocuments,
    data: Path,
    rates: Path,
    check_rules: bool = False,
) -> list[str]:
    """Every file of a correction into `folder`, the manifest last; return the e-invoices'
    warnings."""
    record = manifest.build_correction(correction, data, rates)
    if correction.recomputed.validation:
        record["validation"] = write_report(correction.recomputed.validation, folder / "validation")
    exports, einvoices = write_correction(folder, correction, check_rules)
    warnings = _stop_on_broken_documents(einvoices)
    archive_inputs(folder, data, rates, record["inputs"])
    record["exports"] = {**exports, "archive": f"{ARCHIVE_DIR}/sha256/"}
    manifest.seal(folder, record)
    return warnings


def describe_correction(correction: CorrectionDocuments) -> list[str]:
    """Per customer, the lines that change and the document that corrects them (R66)."""
    head = say(
        f"{correction.month} : correction {correction.number:02d} datée du {correction.issued_on}",
        f"{correction.month}: correction {correction.number:02d} dated {correction.issued_on}",
    )
    if not correction.changes:
        return [
            head
            + say(
                " : rien à corriger (les lignes recalculées sont celles émises)",
                ": nothing to correct (the recomputed lines equal what was issued)",
            )
        ]
    out = [head]
    documents = {d.customer_id: d for d in [*correction.invoices, *correction.credit_notes]}
    previous = None
    for c in correction.changes:
        if c.customer_id != previous and previous is not None:
            out.append(_document_text(documents.get(previous)))
        previous = c.customer_id
        label = " ".join(p for p in (c.kind, c.reference, c.zone, c.reason) if p)
        out.append(
            say(
                f"client {c.customer_id} : {label} : émis {c.issued}, recalculé {c.recomputed}, "
                f"différence {c.difference:+}",
                f"customer {c.customer_id}: {label}: issued {c.issued}, recomputed "
                f"{c.recomputed}, difference {c.difference:+}",
            )
        )
    out.append(_document_text(documents.get(previous)))
    return out


def _document_text(document: Any) -> str:
    if document is None:
        return say(
            "  -> les différences s'annulent (0.00) : aucun document (R66)",
            "  -> the differences add up to 0.00: no document (R66)",
        )
    if isinstance(document, Invoice):
        d = document
        completes = d.original_invoice_number
        return say(
            f"  -> facture complémentaire {d.invoice_number} : {d.total_ht} HT, {d.total_vat} "
            f"TVA, {d.total_ttc} TTC, échéance {d.due_date}"
            + (f" (complète {completes})" if completes else ""),
            f"  -> supplementary invoice {d.invoice_number}: {d.total_ht} HT, {d.total_vat} VAT, "
            f"{d.total_ttc} TTC, due {d.due_date}"
            + (f" (completes {completes})" if completes else ""),
        )
    return say(
        f"  -> avoir {document.credit_note_number} : {document.amount_ht} HT, "
        f"{document.amount_vat} TVA, {document.amount_ttc} TTC "
        f"(sur {document.original_invoice_number})",
        f"  -> credit note {document.credit_note_number}: {document.amount_ht} HT, "
        f"{document.amount_vat} VAT, {document.amount_ttc} TTC "
        f"(on {document.original_invoice_number})",
    )


def _correction_record(record: dict[str, Any]) -> tuple[Position, int, date]:
    entry = record["correction"]
    position = Position(
        Month.parse(entry["position"]["last_month"]),
        int(entry["position"]["corrections_before"]),
    )
    return position, int(entry["number"]), date.fromisoformat(entry["date"])


def _rerun(
    folder: Path,
    record: dict[str, Any],
    data: Path,
    rates: Path,
    month: Month,
    again: Callable[[Any, Path, Path, Path, Path], None],
) -> tuple[list[str], list[str]]:
    """Re-run one issued folder (a month or a correction) from its archived inputs: restore
    them into a temporary folder, `again(reference, data, rates, scratch, fresh)` writes the
    recomputation into `fresh`, then compare; return notes and problems."""
    problems = issued_files_intact(folder, record)
    with tempfile.TemporaryDirectory(prefix="billing-audit-") as tmp:
        root = Path(tmp)
        tmp_data, tmp_rates, fresh, scratch = (root / n for n in ("data", "rates", "fresh", "s"))
        notes, input_problems = restore_inputs(
            record, folder, data, rates, tmp_data, tmp_rates, month
        )
        problems += input_problems
        with comparing():  # the recomputation is written into `fresh` only
            try:
                ref = load_reference(tmp_data, tmp_rates)
                scratch.mkdir()
                fresh.mkdir()
                again(ref, tmp_data, tmp_rates, scratch, fresh)
            except BillingError as exc:
                problems.append(
                    say(f"le recalcul s'est arrêté : {exc}", f"the re-run stopped: {exc}")
                )
            else:
                with stage("compare"):
                    problems += compare_months(folder, fresh, notes)
                    notes += presentation_notes(folder, fresh)
    return notes, problems


def _library_notes(issued: dict[str, str] | None) -> list[str]:
    """What an auditor must know: the libraries that shape the output have other versions
    than the ones the month was issued with."""
    if issued is None:
        return [
            say(
                "le manifeste du mois ne relève aucune version de bibliothèque (émis avant "
                "qu'elles le soient)",
                "the month's manifest records no library versions (issued before they were)",
            )
        ]
    current = manifest.library_versions()
    missing = say("non installée", "not installed")
    return [
        say(
            f"{name} {issued[name]} à l'émission, {current.get(name, missing)} maintenant",
            f"{name} {issued[name]} when issued, {current.get(name, missing)} now",
        )
        for name in sorted(issued)
        if issued[name] != current.get(name)
    ]


def explain_call(
    month_text: str, cdr_id: str, data: Path, out: Path, rates: Path, lang: str | None = None
) -> str:
    """The explanation of one call, in French or English (default: the language of every
    message): from the issued month's own files, or, for a month not issued yet, from its
    computation (nothing is written)."""
    lang = lang or language()
    month = Month.parse(month_text)
    if store.is_issued(out, month):
        folder = out / str(month)
        source = (f"issued month {folder}", f"mois émis {folder}")[lang == "fr"]
        rated, rejected, fair_use = call_facts(folder, cdr_id)
        history, rated, rejected, corrected_fair_use, corrected = correction_history(
            store.issued_corrections(out, month), cdr_id, rated, rejected, lang
        )
        notes: list[str] = []
        if rated and any(c not in rated[0] for c in RATED_CALLS_WITH_RATING_FACTS):
            rated, notes = _facts_from_archive(
                out, month, corrected or folder, cdr_id, rated, data, rates, lang
            )
        text = explain_text(
            month, cdr_id, source, rated, rejected, corrected_fair_use or fair_use, lang
        )
        return "\n".join([text, *notes, *history])
    source = (
        f"not issued: rated again from {data} and {rates}, nothing written",
        f"mois non émis : valorisé à nouveau depuis {data} et {rates}, rien n'est écrit",
    )[lang == "fr"]
    month, ref = _month_and_reference(month_text, data, rates)
    snapshot = read_snapshot(out).before(month) if out.is_dir() else LedgerSnapshot()
    rated, rejected, fair_use = call_facts_rated_again(
        month, ref, data, snapshot.billed_id_files(), cdr_id
    )
    return explain_text(month, cdr_id, source, rated, rejected, fair_use, lang)


ARCHIVE_NOTES = {
    "en": (
        "  (the facts rated_calls.parquet does not keep could not be rated again from the "
        "archive: {problem})",
        "  WARNING: rated again from the month's archive, this call now gives {fields}: "
        "run billing audit --month {month}",
    ),
    "fr": (
        "  (les éléments que rated_calls.parquet ne garde pas n'ont pas pu être recalculés "
        "depuis l'archive : {problem})",
        "  ATTENTION : valorisé à nouveau depuis l'archive du mois, cet appel donne {fields} : "
        "lancer billing audit --month {month}",
    ),
}


def _facts_from_archive(
    out: Path,
    month: Month,
    folder: Path,
    cdr_id: str,
    rated: list[dict[str, Any]],
    data: Path,
    rates: Path,
    lang: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The issued rows of `cdr_id` (rated_calls.parquet of `folder`, the month or the correction
    that last rated it) completed with the facts the file does not keep (issue 18, decision 2),
    by rating the month again from `folder`'s archived inputs, as an audit does (seconds for a
    sample month, about the rating stage for a large one).
    The issued values are shown; a recomputed value that differs from them is named in a
    warning. Returns the rows and the lines to print after the explanation."""
    no_facts, differs = ARCHIVE_NOTES[lang]
    record = manifest.read(folder)
    snapshot = read_snapshot(out)
    if "correction" in record:
        view = snapshot.as_of(_correction_record(record)[0])
    else:
        view = snapshot.before(month)
    with tempfile.TemporaryDirectory(prefix="billing-explain-") as tmp:
        tmp_data, tmp_rates = Path(tmp) / "data", Path(tmp) / "rates"
        _, problems = restore_inputs(record, folder, data, rates, tmp_data, tmp_rates, month)
        if problems:
            return rated, [no_facts.format(problem=problems[0].split("; ")[0])]
        try:
            ref = load_reference(tmp_data, tmp_rates)
            again, _, _ = call_facts_rated_again(
                month, ref, tmp_data, view.billed_id_files(), cdr_id
            )
        except BillingError as exc:
            return rated, [no_facts.format(problem=str(exc).splitlines()[0])]
    by_row = {(r["source_file"], r["row_number"]): r for r in again}
    rows, notes = [], []
    for row in rated:
        fresh = by_row.get((row["source_file"], row["row_number"]))
        if fresh is None:
            fields = "aucune ligne valorisée" if lang == "fr" else "no rated row"
            notes.append(differs.format(fields=fields, month=month))
            rows.append(row)
            continue
        issued = "émis" if lang == "fr" else "issued"
        changed = [
            f"{k} {fresh.get(k)!r} ({issued} {v!r})" for k, v in row.items() if fresh.get(k) != v
        ]
        if changed:
            notes.append(differs.format(fields=", ".join(changed), month=month))
        rows.append({**fresh, **row})
    return rows, notes


# --- the fraud watch (R26-R27): `billing watch --date D` ------------------------------------


@dataclass
class WatchResult:
    day: date
    folder: Path  # OUT/watch/{D}/
    calls: int  # the day's rated calls
    alerts: list[Alert]
    baselines: Baselines

    @property
    def critical(self) -> list[Alert]:
        return [a for a in self.alerts if a.critical]


def watch_day(date_text: str, data: Path, out: Path, rates: Path) -> WatchResult:
    """R26: rate the calls of D's month started up to the end of D (Europe/Paris) as the bill
    would, apply the five rules against the baselines of the issued months of the last 90
    days, and write OUT/watch/{D}/ (alerts.csv, suspend.csv, summary.md).

    R27: nothing issued is touched. The ledger is read without OUT's lock (a writer's lock:
    the watch must run while a month is being issued, and a month is published by one atomic
    rename, so a reader sees it whole or not at all); nothing is written under a month's
    folder; the scratch folder is the watch's own, outside OUT (never store.scratch_folder,
    which clears the scratch of a run holding the lock)."""
    day = date_option(date_text)
    if not data.is_dir():
        raise InputError(
            say(
                f"le dossier de données {str(data)!r} n'existe pas ou n'est pas un dossier",
                f"data folder {str(data)!r} does not exist or is not a folder",
            )
        )
    month = Month.of(day)
    with stage("reference"):
        ref = load_reference(data, rates)
        settings = read_watch_settings(data)
        high_risk = [(r["prefix"], r["label"]) for r in load_high_risk_prefixes(rates).rows]
    snapshot = read_snapshot(out) if out.is_dir() else LedgerSnapshot()
    with stage("watch", "baselines"):
        months = baseline_months(day, snapshot.issued_months, settings["watch_baseline_days"])
        baselines = read_baselines(
            [(m, path) for m in months if (path := _latest_rated_calls(snapshot, m)) is not None]
        )
    with tempfile.TemporaryDirectory(prefix="billing-watch-", dir=db.temp_dir()) as tmp:
        calls = rate_day(ref, data, day, snapshot.before(month).billed_id_files(), Path(tmp))
    with stage("watch", "rules"):
        alerts = day_alerts(calls, day, baselines, high_risk, settings)
    folder = out / WATCH_DIR / day.isoformat()
    with stage("watch", "write"):
        write_watch(folder, day, calls.num_rows, alerts, baselines)
    return WatchResult(day, folder, calls.num_rows, alerts, baselines)


def _latest_rated_calls(snapshot: LedgerSnapshot, month: Month) -> Path | None:
    """The rated calls of an issued month as last rated: its latest correction's, else its
    own (None for a month issued without the file)."""
    issued = snapshot.month(month)
    if issued is None:
        return None
    files = [c.rated_calls_file for c in issued.corrections if c.rated_calls_file]
    return files[-1] if files else issued.rated_calls_file
