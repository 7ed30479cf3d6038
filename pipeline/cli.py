"""Command line: `billing bill --month 2026-10 --data DIR --out DIR --rates DIR`.

Parses arguments, calls one function, turns a failure into a one-line message and the exit
codes of the data contract: 0 success, 1 a problem the run reports, 2 bad usage or bad input
that stopped the run before anything was issued.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Any

import click
import duckdb

from pipeline.core.errors import BillingError, InputError
from pipeline.core.language import LANGS, say, set_language
from pipeline.core.progress import finish_progress

DATA_HELP = (
    "Folder of the provider's data: customers, contracts, CDRs per month (default: data_samples)."
)
OUT_HELP = "Folder of issued months and the ledger; the month goes to OUT/YYYY-MM (default: out)."
RATES_HELP = "Rate book: destinations, tariffs, products, equipment (default: rates)."
MONTH_HELP = "The billing month, YYYY-MM (for example 2026-10)."
LANG_HELP = (
    "Language of every message: summaries, warnings, errors, explanations (default: French, "
    "or BILLING_LANG=en). Codes, rule ids and issued files are the same in both."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(LANGS), default=None, help=LANG_HELP)
def main(lang: str | None) -> None:
    """Bill hosted-telephony customers for one month.

    Reads the month's call records and the contracts, rates every call, and issues the
    invoices and credit notes with their exports under OUT/YYYY-MM/.
    Exit codes: 0 done, 1 a problem was found and reported, 2 bad input (nothing issued).
    Messages are in French; `billing --lang en ...` or BILLING_LANG=en for English.
    """
    set_language(lang)  # before anything is said (docs/language.md)


def _run_options(ctx: click.Context) -> dict[str, Any]:
    """Options a caller of `main` (tests) passes as the context object: `gates` (the
    validation gates, pipeline.validation.gates.Gates; None runs none). Not on the command
    line: a month is always issued through its gates."""
    obj = ctx.find_root().obj or {}
    return {k: obj[k] for k in ("gates",) if k in obj}


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the command's function; a failure becomes one line and the exit code of the data
    contract (BillingError: its code; an OS or database error: 1)."""
    try:
        return fn(*args, **kwargs)
    except BillingError as exc:
        _fail(exc)
    except (OSError, duckdb.Error) as exc:
        _environment_error(exc)
    except Exception as exc:
        # --engine spark: Spark's own errors (pyspark.errors, py4j), one line like DuckDB's
        if type(exc).__module__.startswith(("pyspark", "py4j")):
            _environment_error(exc)
        raise


def _fr_amount(text: str) -> str:
    """'1234.50' -> '1234,50': the decimal comma of a French sentence (the files keep the point)."""
    return text.replace(".", ",")


def _error() -> str:
    """The prefix of an error line (French typography: a space before the colon)."""
    return say("erreur : ", "error: ")


def _fail(exc: BillingError) -> None:
    finish_progress()
    click.echo(f"{_error()}{exc}", err=True)
    sys.exit(exc.exit_code)


# (French, English) advice for an operating-system error
_ADVICE = {
    errno.ENOSPC: (
        "libérez de la place sur ce disque (ou indiquez un autre disque par BILLING_TEMP_DIR "
        "ou --out)",
        "free space on that disk (or set BILLING_TEMP_DIR, or --out, to another one)",
    ),
    errno.EDQUOT: ("libérez de la place dans votre quota", "free space within your quota"),
    errno.EACCES: (
        "rendez-le accessible en écriture à cet utilisateur, ou choisissez un autre --out",
        "make it writable for this user, or choose another --out",
    ),
    errno.EPERM: (
        "rendez-le accessible en écriture à cet utilisateur, ou choisissez un autre --out",
        "make it writable for this user, or choose another --out",
    ),
    errno.EROFS: (
        "le système de fichiers est en lecture seule : choisissez un autre --out",
        "the file system is read-only: choose another --out",
    ),
    errno.ENOENT: ("vérifiez le chemin", "check the path"),
    errno.EMFILE: (
        "augmentez la limite de fichiers ouverts (ulimit -n)",
        "raise the limit of open files (ulimit -n)",
    ),
}


def _environment_error(exc: BaseException) -> None:
    """An operating-system or database-engine error as one line, exit 1: nothing was issued
    (a month is published by one rename, after every file is written)."""
    finish_progress()
    if isinstance(exc, OSError):
        what = exc.strerror or str(exc)
        # the system's own words (strerror) stay as the C library gives them
        colon = say(" : ", ": ")
        where = f"{exc.filename}{colon}" if exc.filename else ""
        name = errno.errorcode.get(exc.errno or 0, "")
        advice = say(*_ADVICE.get(exc.errno or 0, ("corrigez-le", "fix it")))
        message = f"{where}{what}{f' ({name})' if name else ''}{colon}{advice}" + say(
            ", puis relancez", ", then run again"
        )
    else:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        first = lines[0] if lines else type(exc).__name__
        message = say(
            "le moteur de base de données s'est arrêté : ", "the database engine stopped: "
        )
        message += first[:300]
        if "space" in first.lower() or "disk" in first.lower():
            message += say(
                " (libérez de la place là où DuckDB déborde : BILLING_TEMP_DIR)",
                " (free space where DuckDB spills: BILLING_TEMP_DIR)",
            )
    nothing = say(" ; rien n'a été émis", "; nothing was issued")
    click.echo(f"{_error()}{message}{nothing}", err=True)
    sys.exit(1)


ENGINE_HELP = (
    "Where the rating models run: duckdb (this machine, the default) or spark (the same SQL on "
    "a Spark session, local[*] or BILLING_SPARK_MASTER; after make install-spark, docs/spark.md). "
    "The documents are the same."
)


def engine_option(fn: Any) -> Any:
    return click.option(
        "--engine",
        type=click.Choice(["duckdb", "spark"]),
        default="duckdb",
        show_default=True,
        help=ENGINE_HELP,
    )(fn)


ACCEPT_REJECTS_HELP = (
    "Issue even if a CDR file, or the month, has more than max_rejected_pct of provider.toml "
    "(default 50 %) of its rows rejected, duplicates apart (R43); the manifest records it."
)


@main.command()
@click.option("--month", required=True, help=MONTH_HELP)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
@click.option("--accept-rejects", is_flag=True, help=ACCEPT_REJECTS_HELP)
@click.option(
    "--start-ledger",
    is_flag=True,
    help="Start an empty ledger at this month although earlier months of the data folder have "
    "CDR files (a provider migrating mid-year): those months can never be billed here.",
)
@engine_option
@click.pass_context
def bill(
    ctx: click.Context,
    month: str,
    data: str,
    out: str,
    rates: str,
    accept_rejects: bool,
    start_ledger: bool,
    engine: str,
) -> None:
    """Bill one month: rate its calls, issue invoices, write every export.

    Billing a month that was already issued recomputes it and compares: nothing issued is
    ever rewritten (exit 1 and the differences if they differ).
    """
    from pipeline.run import bill_month

    result = _call(
        bill_month,
        month,
        Path(data),
        Path(out),
        Path(rates),
        accept_rejects=accept_rejects,
        start_ledger=start_ledger,
        engine=engine,
        **_run_options(ctx),
    )
    finish_progress()
    for warning in result.warnings:
        click.echo(f"{say('attention : ', 'warning: ')}{warning}", err=True)
    rec = result.reconciliation
    read = sum(r["rows_read"] for r in rec)
    if result.status == "identical":
        click.echo(
            say(
                f"{result.month} : déjà émis, identique ({result.folder})",
                f"{result.month}: already issued, identical ({result.folder})",
            )
        )
        return
    rated, duplicates = sum(r["rated"] for r in rec), sum(r["duplicates"] for r in rec)
    rejected = sum(r["rejected"] for r in rec)
    click.echo(
        say(
            f"{result.month} : {result.invoices} facture(s) émise(s), total "
            f"{_fr_amount(result.total_ttc)} EUR TTC ; {read} CDR lus = {rated} valorisés + "
            f"{duplicates} doublons + {rejected} rejetés ; fichiers dans {result.folder}",
            f"{result.month}: issued {result.invoices} invoice(s), total {result.total_ttc} EUR "
            f"TTC; {read} CDR read = {rated} rated + {duplicates} duplicates + {rejected} "
            f"rejected; files in {result.folder}",
        )
    )


@main.command()
@click.option("--month", required=True, help=MONTH_HELP)
@click.option("--cdr", "cdr_id", required=True, help="The cdr_id to explain.")
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=None,
    help="Language of the explanation (default: the language of every message, French unless "
    "billing --lang en or BILLING_LANG=en); the codes and rule ids are the same.",
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def explain(month: str, cdr_id: str, lang: str | None, data: str, out: str, rates: str) -> None:
    """Explain one call: normalised number, prefix and zone, tariff row, reason and the limit
    broken, and the arithmetic of the amount; or, for a rejected row, its reason, file, row and
    raw text. An issued month is read from its own files under OUT; a month not issued yet is
    rated again in memory (nothing is written).
    """
    from pipeline.run import explain_call

    if lang:  # explain's own --lang: its errors in that language too
        set_language(lang)
    text = _call(explain_call, month, cdr_id, Path(data), Path(out), Path(rates), lang)
    finish_progress()
    click.echo(text)


@main.command()
@click.option("--month", required=True, help=MONTH_HELP)
@click.option(
    "--data",
    default="data_samples",
    show_default=True,
    help="Used only for inputs missing from the month's archive (OUT/YYYY-MM/archive/).",
)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option(
    "--rates",
    default="rates",
    show_default=True,
    help="Used only for rate files missing from the month's archive.",
)
@engine_option
@click.pass_context
def audit(ctx: click.Context, month: str, data: str, out: str, rates: str, engine: str) -> None:
    """Re-run an issued month from the inputs archived when it was issued, with today's code,
    and compare every issued file: prints "identical" (exit 0) or the differences (exit 1).
    Never writes under OUT.
    """
    from pipeline.run import audit_month

    result = _call(
        audit_month, month, Path(data), Path(out), Path(rates), engine=engine, **_run_options(ctx)
    )
    finish_progress()
    for note in result.notes:
        click.echo(f"{say('note : ', 'note: ')}{note}")
    click.echo(
        say(
            f"{result.month} : identique ({result.inputs} entrée(s) archivée(s) recalculée(s) "
            f"avec {result.current_code} ; émis avec {result.issued_code} ; {result.folder})",
            f"{result.month}: identical ({result.inputs} archived input(s) re-run with "
            f"{result.current_code}; issued with {result.issued_code}; {result.folder})",
        )
    )


@main.command()
@click.option("--month", required=True, help="The issued month to correct, YYYY-MM.")
@click.option(
    "--date",
    "date_text",
    default=None,
    help="Date of the correction documents, YYYY-MM-DD (default: today, Europe/Paris); never "
    "before the latest document of its series (R67).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be issued; write nothing.")
@click.option("--accept-rejects", is_flag=True, help=ACCEPT_REJECTS_HELP)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
@engine_option
@click.pass_context
def correct(
    ctx: click.Context,
    month: str,
    date_text: str | None,
    dry_run: bool,
    accept_rejects: bool,
    data: str,
    out: str,
    rates: str,
    engine: str,
) -> None:
    """Correct an issued month (R65-R68): recompute it with the current inputs (late CDR
    files, corrected rows, tariffs, contracts) and issue, for each customer whose total
    changes, one supplementary invoice or one credit note, under OUT/YYYY-MM/corrections/NN/.
    The issued month's own files never change. Nothing to correct: exit 0, nothing written.
    """
    from pipeline.run import correct_month

    result = _call(
        correct_month,
        month,
        date_text,
        Path(data),
        Path(out),
        Path(rates),
        dry_run=dry_run,
        accept_rejects=accept_rejects,
        engine=engine,
        **_run_options(ctx),
    )
    finish_progress()
    for line in result.lines:
        click.echo(line)
    if result.status == "dry run":
        click.echo(say("simulation : rien n'a été écrit", "dry run: nothing was written"))
    elif result.status == "no document":
        click.echo(
            say(
                "les différences de chaque client s'annulent : aucun document émis (R66)",
                "every customer's differences add up to zero: no document issued (R66)",
            )
        )
    elif result.status == "issued":
        click.echo(
            say(f"émis : fichiers dans {result.folder}", f"issued: files in {result.folder}")
        )


# --- the fraud watch (R26-R27) ---------------------------------------------------------------


# an alert's severity as the operations team reads it (the code stays in alerts.csv)
_SEVERITY = {
    "critical": lambda: say("critique ", "critical"),
    "warning": lambda: say("attention ", "warning"),
}


@main.command()
@click.option(
    "--date",
    "date_text",
    required=True,
    help="The day to watch, YYYY-MM-DD (Europe/Paris); usually yesterday.",
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def watch(date_text: str, data: str, out: str, rates: str) -> None:
    """Fraud watch of one day (R26-R27): rate the calls of the day's month up to the end of
    the day as the bill would, apply the five rules (high-risk destinations, spend spike,
    night international calls, number sweep, concurrent calls) and write OUT/watch/D/
    (alerts.csv, suspend.csv, summary.md). Issues nothing, changes no amount. Exit 0 without
    a critical alert, 1 with one (accounts to suspend, Article 8.2), 2 bad input.
    """
    from pipeline.core.language import say
    from pipeline.run import watch_day

    result = _call(watch_day, date_text, Path(data), Path(out), Path(rates))
    finish_progress()
    critical = result.critical
    for alert in result.alerts:
        click.echo(
            f"{_SEVERITY[alert.severity]()}: {alert.sip_account} ({alert.customer_id}) "
            f"{alert.rule} "
            f"{alert.value} > {alert.threshold}, {alert.first_cdr_id}..{alert.last_cdr_id}"
        )
    accounts = len({a.sip_account for a in critical})
    click.echo(
        say(
            f"{result.day} : {result.calls} appel(s) valorisé(s), {len(result.alerts)} "
            f"alerte(s) dont {len(critical)} critique(s), {accounts} compte(s) à suspendre "
            f"(article 8.2) ; fichiers dans {result.folder}",
            f"{result.day}: {result.calls} call(s) rated, {len(result.alerts)} alert(s), "
            f"{len(critical)} critical, {accounts} account(s) to suspend (Article 8.2); "
            f"files in {result.folder}",
        )
    )
    if critical:
        sys.exit(1)


# --- receivables (R80-R83): SEPA direct debit collections ------------------------------------


@main.command()
@click.option(
    "--date",
    "date_text",
    required=True,
    help="The day the file goes to the bank, YYYY-MM-DD (D of R82).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be collected; write nothing.")
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def collect(date_text: str, dry_run: bool, data: str, out: str, rates: str) -> None:
    """SEPA direct debits due (R82): one pain.008.001.08 file with a transaction per invoice
    of a debited customer whose debit date is on or before D + collection_horizon_days, with
    an open balance, not yet collected; published as OUT/receivables/collections/D-NN/ and
    recorded in the receivables journal. Nothing to collect: nothing written, exit 0.
    """
    from pipeline.run_receivables import collect as collect_day
    from pipeline.run_receivables import collect_message

    result = _call(collect_day, date_text, Path(data), Path(out), Path(rates), dry_run=dry_run)
    finish_progress()
    for line in result.lines():
        click.echo(line)
    for line in result.warnings():
        click.echo(line, err=True)
    click.echo(collect_message(result))


@main.command()
@click.option(
    "--import",
    "files",
    multiple=True,
    metavar="FILE",
    help="A bank statement: camt.053/camt.054 (001.02, 001.08) or the CSV "
    "date,amount,customer_id,reference,label. Repeat for several files.",
)
@click.option(
    "--assign",
    "entry",
    default=None,
    metavar="ENTRY",
    help="Settle a suspense item by hand: its entry reference (suspense.csv's entry_ref).",
)
@click.option("--customer", default=None, help="With --assign: the customer it belongs to.")
@click.option("--invoice", default="", help="With --assign: the invoice it pays (optional).")
@click.option(
    "--date",
    "date_text",
    default=None,
    help="With --assign: the day of the decision, YYYY-MM-DD (default: today, Paris).",
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
@click.argument("more", nargs=-1, metavar="[FILE]...")
def payments(
    files: tuple[str, ...],
    entry: str | None,
    customer: str | None,
    invoice: str,
    date_text: str | None,
    data: str,
    out: str,
    rates: str,
    more: tuple[str, ...],
) -> None:
    """Bank statements (R84): each credit matched to invoices (collection's end-to-end id,
    invoice numbers named, debtor and amount) or put in suspense with its reason; returned
    debits reverse their invoice's payment. Recorded in the receivables journal, one file per
    run; an entry already imported changes nothing. --assign ENTRY --customer C [--invoice N]
    settles a suspense item by hand, as events.
    """
    from pipeline.run_receivables import (
        assign_message,
        assign_payment,
        import_payments,
        payments_message,
    )

    if entry is not None:
        if files or more or not customer:
            _fail(
                InputError(
                    say(
                        "--assign ENTRY demande --customer C (et pas de --import)",
                        "--assign ENTRY needs --customer C (and no --import)",
                    )
                )
            )
        done = _call(
            assign_payment,
            entry,
            customer,
            invoice,
            date_text,
            Path(data),
            Path(out),
            Path(rates),
        )
        finish_progress()
        click.echo(assign_message(done))
        return
    if not files and not more:
        _fail(
            InputError(
                say(
                    "préciser --import FICHIER... ou --assign ENTRÉE --customer C",
                    "give --import FILE... or --assign ENTRY --customer C",
                )
            )
        )
    result = _call(import_payments, [*files, *more], Path(data), Path(out), Path(rates))
    finish_progress()
    for line in result.lines():
        click.echo(line)
    click.echo(payments_message(result))


# --- receivables reports (R86) ------------------------------------------------------------


@main.command()
@click.option(
    "--date",
    "date_text",
    required=True,
    help="The day of the report, YYYY-MM-DD: the journal's events dated up to it (R86).",
)
@click.option(
    "--customer",
    default=None,
    metavar="C",
    help="Also write this customer's statement of account, statement_C.pdf (French).",
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def receivables(date_text: str, customer: str | None, data: str, out: str, rates: str) -> None:
    """Receivables reports of D (R86): open items, balances, aged balance, suspense and the
    French workbook under OUT/receivables/reports/D/, from the journal's events dated up to D
    (an earlier D gives the earlier state); checked: issued - allocated = open items =
    balances, exit 1 otherwise. Records nothing; the same D again replaces the report.
    """
    from pipeline.run_receivables import receivables as report_day
    from pipeline.run_receivables import receivables_message

    result = _call(report_day, date_text, Path(data), Path(out), Path(rates), customer=customer)
    finish_progress()
    click.echo(receivables_message(result))


# --- dunning and late payment (R90-R92) ------------------------------------------------------


@main.command()
@click.option(
    "--date",
    "date_text",
    required=True,
    help="The day of the dunning run, YYYY-MM-DD (D of R90-R92): charges are computed to D.",
)
@click.option(
    "--charge",
    is_flag=True,
    help="Also invoice the late-payment charges to D: one invoice per customer in the F series, "
    "outside the scope of VAT, never the same days twice (R91).",
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def dunning(date_text: str, charge: bool, data: str, out: str, rates: str) -> None:
    """Reminders, formal notices, suspensions and late-payment charges (R90-R92): writes
    OUT/receivables/dunning/D/ (late_charges.csv, dunning.csv, suspend.csv, a French letter per
    customer and level) and records each letter in the receivables journal. The same day
    again with nothing new: nothing written, exit 0.
    """
    from pipeline.run_dunning import dunning as dunning_day
    from pipeline.run_dunning import dunning_message

    result = _call(dunning_day, date_text, Path(data), Path(out), Path(rates), charge=charge)
    finish_progress()
    for line in result.lines():
        click.echo(line)
    for line in result.warnings:
        click.echo(line, err=True)
    click.echo(dunning_message(result))


# --- e-invoicing platform (R94-R97): deposit, lifecycle statuses, e-reporting ------------------


@main.command()
@click.option(
    "--import",
    "files",
    multiple=True,
    metavar="FILE",
    help="A CDAR lifecycle message (UN/CEFACT D22B, French CDV rules) to record (R95). Repeat "
    "for several files.",
)
@click.option(
    "--fetch", is_flag=True, help="Fetch the new lifecycle messages from the platform (R95)."
)
@click.option("--export", is_flag=True, help='Write the 212 "Encaissée" messages (R96).')
@click.option(
    "--date", "date_text", help="--export: the messages recorded up to this day, YYYY-MM-DD."
)
@click.option("--send", is_flag=True, help="--export: deposit them with the platform (R94).")
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
@click.argument("more", nargs=-1, metavar="[FILE]...")
def statuses(
    files: tuple[str, ...],
    fetch: bool,
    export: bool,
    date_text: str | None,
    send: bool,
    data: str,
    out: str,
    rates: str,
    more: tuple[str, ...],
) -> None:
    """Lifecycle statuses of the documents (R95-R96): --import FILE... records CDAR messages
    (checked against the CDAR D22B XSD and the French CDV schematron first), --fetch reads
    them from the platform; every status is recorded in the receivables journal, an unknown
    document or code reported; the documents refused (210) or rejected (213) are listed for
    correction in OUT/einvoicing/to_correct.csv. --export --date D [--send] writes (and
    deposits) the 212 "Encaissée" messages of the payments received up to D.
    """
    from pipeline import run_einvoicing as run
    from pipeline.core.errors import InputError

    chosen = [bool(files or more), fetch, export]
    if sum(chosen) != 1:
        _fail(
            InputError(
                say(
                    "choisir une seule action : --import FICHIER..., --fetch ou --export --date D",
                    "choose one action: --import FILE..., --fetch or --export --date D",
                )
            )
        )
    if export:
        result = _call(
            run.export_statuses, date_text, Path(data), Path(out), Path(rates), send=send
        )
        finish_progress()
        for line in result.lines():
            click.echo(line)
        click.echo(run.export_message(result))
        if result.failed:
            sys.exit(1)
        return
    if fetch:
        result = _call(run.fetch_statuses, Path(out))
    else:
        result = _call(run.import_statuses, [*files, *more], Path(out))
    finish_progress()
    for line in result.lines():
        click.echo(line)
    click.echo(run.statuses_message(result))


@main.command()
@click.option(
    "--month", required=True, help="The issued month whose documents to deposit, YYYY-MM."
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def send(month: str, data: str, out: str, rates: str) -> None:
    """Deposit the month's documents (and its corrections') with the accredited platform
    (R94): the AFNOR XP Z12-013 API at BILLING_PA_URL, OAuth2 client credentials
    BILLING_PA_CLIENT_ID and BILLING_PA_CLIENT_SECRET from the environment. Each document is
    deposited once: status 200 "Déposée" with its flow id, or 213 "Rejetée" with the reason,
    recorded in the receivables journal. A failed call records nothing and exits 1: the next
    run tries again. No platform configured: exit 2, nothing sent.
    """
    from pipeline import run_einvoicing as run

    result = _call(run.send, month, Path(out))
    finish_progress()
    for line in result.lines():
        click.echo(line)
    click.echo(run.send_message(result))
    if result.failed:
        sys.exit(1)


@main.command()
@click.option(
    "--period",
    "period",
    required=True,
    help="START..END (YYYY-MM-DD..YYYY-MM-DD): the cadence periods of vat_regime lying in it.",
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def ereporting(period: str, data: str, out: str, rates: str) -> None:
    """E-reporting (R97): Flux 10.1 (invoices and credit notes to customers outside France)
    and Flux 10.2 (the payments received on them) of each period of the cadence of vat_regime
    (provider.toml, default normal_monthly: transactions by ten days, payments by month),
    checked against the e-reporting XSD and the Flux 10 schematron, under
    OUT/einvoicing/ereporting/; each document or payment reported once.
    """
    from pipeline import run_einvoicing as run

    result = _call(run.ereporting, period, Path(data), Path(out), Path(rates))
    finish_progress()
    for line in result.lines():
        click.echo(line)
    click.echo(run.ereporting_message(result))


# --- accounting and VAT after payment (R87-R89): the year's FEC, CA3 figures, DES ------------


@main.command()
@click.option(
    "--year",
    "year_text",
    required=True,
    help="The year in which the fiscal year closes, YYYY (fiscal_year_end of provider.toml).",
)
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def fec(year_text: str, data: str, out: str, rates: str) -> None:
    """The fiscal year's FEC (R87): OUT/{SIREN}FEC{closing}.txt, journals VE (invoices and
    credit notes), BQ (payments, returns, bank fees), OD (late charges, allocations of
    credit); customers on 411000 with their auxiliary account; settled documents lettered with
    their payments; services' VAT on 445740 until paid (R88). Computed again from the same
    ledger: the same bytes.
    """
    from pipeline.run_fiscal import fec as fec_year
    from pipeline.run_fiscal import fec_message

    result = _call(fec_year, year_text, Path(data), Path(out), Path(rates))
    finish_progress()
    click.echo(fec_message(result))


@main.command()
@click.option("--month", "month_text", required=True, help="The month of the return, YYYY-MM.")
@click.option("--data", default="data_samples", show_default=True, help=DATA_HELP)
@click.option("--out", default="out", show_default=True, help=OUT_HELP)
@click.option("--rates", default="rates", show_default=True, help=RATES_HELP)
def vat(month_text: str, data: str, out: str, rates: str) -> None:
    """The month's VAT figures (R89): OUT/tax/M/ca3.csv (each figure with its box of form
    3310-CA3: base and VAT due at 20 %, EU reverse charge, outside the EU, credit notes) and
    des.csv (the Déclaration Européenne de Services), agreeing with the year's FEC.
    """
    from pipeline.run_fiscal import vat as vat_month
    from pipeline.run_fiscal import vat_message

    result = _call(vat_month, month_text, Path(data), Path(out), Path(rates))
    finish_progress()
    click.echo(vat_message(result))


if __name__ == "__main__":  # pragma: no cover
    main()
