"""compute_month: one month's documents as a function of its inputs, the rate book and the
ledger snapshot. It reads DATA (the reference already loaded, the month's CDR and
registration files) and never OUT; it writes only into the run's scratch folder. `bill`
issues what it returns, `audit` compares it with what was issued, `explain` reads the rating
of a month not issued yet, and `correct` (R65) diffs it against the issued documents.

The gates (pipeline.validation.gates.Gates, or None for none) are a parameter: the input gate
runs after the rating (exit 2), the output gate on the documents (exit 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.billing.accounting import entries, fiscal_year
from pipeline.billing.contracts import contract_lines
from pipeline.billing.debit import apply_debit
from pipeline.billing.invoicing import build_invoices, invoice_date
from pipeline.billing.labels import zone_labels
from pipeline.billing.ledger_snapshot import LedgerSnapshot
from pipeline.billing.month_documents import MonthDocuments
from pipeline.billing.sla import credit_notes_for_run
from pipeline.billing.usage import usage_lines
from pipeline.core import data_contract as contract
from pipeline.core.data_contract import RATED_CALLS_FILE
from pipeline.core.dates import Month
from pipeline.core.db import connect
from pipeline.core.errors import ProblemFound
from pipeline.core.language import language, say
from pipeline.core.progress import checkpoint, stage
from pipeline.inputs.reference import Reference, register
from pipeline.rating.models import rate_month


class Gates(Protocol):
    """The validation gates a computation runs (pipeline.validation.gates.Gates)."""

    einvoice_rules: bool  # check the e-invoices against the schematrons too

    def preload(self) -> None: ...

    def inputs(self, con: duckdb.DuckDBPyConnection, ref: Reference, month: Month) -> Any: ...

    def outputs(
        self,
        documents: MonthDocuments,
        con: duckdb.DuckDBPyConnection,
        snapshot: LedgerSnapshot,
        month: Month,
    ) -> Any: ...


@dataclass(frozen=True)
class MonthInputs:
    """What a month is computed from: the reference data and rate book (checked, R42), and the
    data folder holding the month's usage files."""

    month: Month
    reference: Reference
    data: Path
    # issue the month even if CDR files (or the month) are mostly rejected (R43,
    # max_rejected_pct of provider.toml): `--accept-rejects`, recorded in the manifest
    accept_rejects: bool = False
    # where the rating models run: "duckdb", or "spark" (docs/spark.md); the documents are the
    # same either way
    engine: str = "duckdb"
    # R43 stops a run that would issue (bill, correct); a run that only compares with what was
    # issued (a month billed again, R64; an audit) does not stop on its rejects
    stop_on_rejects: bool = True
    # R88: the account the FEC put the VAT of services due on receipt on, as the manifest of
    # the month (or correction) recomputed records it (`fec_vat_pending`: [number, label], or
    # [] for every VAT on 445710: on debits, or issued before R88); None for a run that issues,
    # which takes it from provider.toml (pipeline.billing.month.fec_vat_pending)
    fec_vat_pending: list[str] | None = None


RECONCILIATION_COLUMNS = ("source_file", "rows_read", "rated", "duplicates", "rejected", "balanced")
USAGE_SUMMARY_SQL = (
    "select zone, reason, count(*), sum(duration_s), sum(billable_seconds), sum(amount) "
    "from rated_calls group by zone, reason order by zone nulls first, reason"
)


def _table(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], sql: str) -> pa.Table:
    return con.sql(f"select {', '.join(columns)} from {sql}").to_arrow_table()


class RejectsOverLimit(ProblemFound):
    """R43: a CDR file (or the month) mostly rejected stops the run before anything is issued
    (exit 1). The driver adds the command that issues anyway (`--accept-rejects`)."""


def over_limit(rejected: int, read: int, limit: int) -> bool:
    """R43: more than `limit` % of `read` rows rejected, in exact integers (3 of 6 is 50 %, not
    over 50). A file of 0 rows (a header alone) is never over: nothing of it is unbilled."""
    return rejected * 100 > limit * read


def percent(rejected: int, read: int, limit: int | None = None) -> str:
    """The rejected share as a user reads it: one decimal (a decimal comma in French), rounded
    half up, or up when it is over `limit` (50.01 % shows 50.1, never 50, which is not over)."""
    if read == 0:
        return "0"
    over = limit is not None and over_limit(rejected, read, limit)
    share = (Decimal(rejected) * 100 / Decimal(read)).quantize(
        Decimal("0.1"), ROUND_CEILING if over else ROUND_HALF_UP
    )
    text = str(int(share)) if share == share.to_integral_value() else str(share)
    return say(text.replace(".", ","), text)


def rejects_over_limit(
    reconciliation: list[dict[str, Any]], rejects: pa.Table | None, limit: int
) -> list[dict[str, Any]]:
    """R43: the CDR files more than `limit` % of whose rows are rejected (a duplicate is not a
    reject: a replayed file is normal), in file order, each with its counts (`rows_read`,
    `rejected`), its reasons with their counts (most frequent first) and its first rejected
    row (`first`: row_number, reason, detail, raw)."""
    files = [
        {"source_file": r["source_file"], "rows_read": r["rows_read"], "rejected": r["rejected"]}
        for r in reconciliation
        if over_limit(r["rejected"], r["rows_read"], limit)
    ]
    if not files or rejects is None:
        return files
    names = pc.field("source_file").isin([f["source_file"] for f in files])
    kept = rejects.filter(names & (pc.field("reason") != "DUPLICATE"))
    counts: dict[str, dict[str, int]] = {}
    for row in (
        kept.group_by(["source_file", "reason"]).aggregate([("reason", "count")]).to_pylist()
    ):
        counts.setdefault(row["source_file"], {})[row["reason"]] = row["reason_count"]
    for f in files:
        reasons = counts.get(f["source_file"], {})
        f["reasons"] = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        rows = kept.filter(pc.field("source_file") == f["source_file"])
        if rows.num_rows:
            low = pc.min(rows.column("row_number")).as_py()
            (first,) = rows.filter(pc.field("row_number") == low).slice(0, 1).to_pylist()
            f["first"] = {k: first[k] for k in ("row_number", "reason", "detail", "raw")}
    return files


MAX_FILES_NAMED = 10
_REASONS_NAMED = 3
_RAW_SHOWN = 100


def _first_reject(source_file: str, first: dict[str, Any]) -> str:
    """Where the first rejected row of a file is (a CSV line as an editor numbers it: its row
    plus the header; a parquet file has rows only), its reason, detail and raw text."""
    row = first["row_number"]
    if source_file.endswith(".parquet"):
        where = say(f"enregistrement {row}", f"row {row}")
    else:
        where = say(f"ligne {row + 1} (enregistrement {row})", f"line {row + 1} (row {row})")
    raw = first.get("raw") or ""
    if len(raw) > _RAW_SHOWN:
        raw = raw[:_RAW_SHOWN] + "..."
    detail = f" ({first['detail']})" if first.get("detail") else ""
    text = f"{where}, {first['reason']}{detail}"
    if raw:
        text += f" : « {raw} »" if language() == "fr" else f': "{raw}"'
    return text


def _file_line(f: dict[str, Any], limit: int) -> str:
    rejected, read = f["rejected"], f["rows_read"]
    reasons = list(f.get("reasons", {}).items())
    named = ", ".join(f"{k} {v}" for k, v in reasons[:_REASONS_NAMED])
    if len(reasons) > _REASONS_NAMED:
        others = sum(v for _, v in reasons[_REASONS_NAMED:])
        named += say(f", autres motifs {others}", f", other reasons {others}")
    text = say(
        f"  {f['source_file']} : {rejected} lignes rejetées sur {read} lues "
        f"({percent(rejected, read, limit)} %)",
        f"  {f['source_file']}: {rejected} of {read} rows rejected "
        f"({percent(rejected, read, limit)}%)",
    )
    if named:
        text += say(f" ; motifs : {named}", f"; reasons: {named}")
    if f.get("first"):
        first = _first_reject(f["source_file"], f["first"])
        text += say(f" ; premier rejet : {first}", f"; first reject: {first}")
    return text


def check_rejects(
    inputs: MonthInputs, reconciliation: list[dict[str, Any]], rejects: pa.Table
) -> None:
    """R43: a CDR file more than max_rejected_pct (provider.toml) of whose rows are rejected,
    duplicates apart, or a month as a whole, is not issued silently (a switch whose export
    changed format, a parquet file of another schema): RejectsOverLimit (exit 1) naming each
    such file with its counts, its reasons and its first rejected row, unless the run accepts
    them (`--accept-rejects`) or only compares (`stop_on_rejects` False).

    The month as a whole is over the limit only if a file is (its share is the files' shares
    averaged by rows, the same counts): so the files are checked, and the month's totals are
    in the message."""
    if inputs.accept_rejects or not inputs.stop_on_rejects:
        return
    limit = inputs.reference.provider["max_rejected_pct"]
    read = sum(r["rows_read"] for r in reconciliation)
    rejected = sum(r["rejected"] for r in reconciliation)
    files = rejects_over_limit(reconciliation, rejects, limit)
    if not files:  # the month over the limit has a file over it: no check of its own
        return
    n, month = len(files), inputs.month
    head = say(
        f"{month} : 1 fichier CDR a plus de {limit} % de lignes rejetées"
        if n == 1
        else f"{month} : {n} fichiers CDR ont plus de {limit} % de lignes rejetées",
        f"{month}: 1 CDR file has more than {limit}% of its rows rejected"
        if n == 1
        else f"{month}: {n} CDR files have more than {limit}% of their rows rejected",
    ) + say(
        " (max_rejected_pct de provider.toml ; les doublons ne comptent pas) : le mois "
        "n'est pas émis (R43).",
        " (max_rejected_pct of provider.toml; duplicates do not count): the month is not "
        "issued (R43).",
    )
    lines = [head, *(_file_line(f, limit) for f in files[:MAX_FILES_NAMED])]
    if len(files) > MAX_FILES_NAMED:
        more = len(files) - MAX_FILES_NAMED
        lines.append(say(f"  ... et {more} autre(s) fichier(s)", f"  ... and {more} more file(s)"))
    lines.append(
        say(
            f"  le mois entier : {rejected} lignes rejetées sur {read} lues "
            f"({percent(rejected, read, limit)} %)",
            f"  the whole month: {rejected} of {read} rows rejected "
            f"({percent(rejected, read, limit)}%)",
        )
    )
    lines.append(say("Rien n'a été émis.", "Nothing was issued."))
    raise RejectsOverLimit("\n".join(lines))


def compute_month(
    inputs: MonthInputs,
    snapshot: LedgerSnapshot,
    *,
    scratch: Path,
    gates: Gates | None = None,
) -> MonthDocuments:
    """The documents of `inputs.month`. `snapshot` is the ledger as the month's run sees it
    (the months issued before it); `scratch` a folder of the run's own where the rated calls
    are written (rated_calls.parquet)."""
    month, ref = inputs.month, inputs.reference
    con = connect()
    try:
        register(con, ref)
        cdr_files = rate_month(
            con,
            inputs.data,
            month,
            snapshot.billed_id_files(),
            scratch=scratch,
            max_call_duration_s=ref.provider["max_call_duration_s"],
            engine=inputs.engine,
        )
        checkpoint("rated")
        reports = []
        if gates is not None:
            with stage("validation", "inputs"):
                reports.append(gates.inputs(con, ref, month))  # exit 2, nothing issued
        reconciliation = [
            dict(zip(RECONCILIATION_COLUMNS, r, strict=True))
            for r in con.execute("select * from reconciliation").fetchall()
        ]
        unbalanced = [r["source_file"] for r in reconciliation if not r["balanced"]]
        if unbalanced:
            raise ProblemFound(
                say(
                    f"le rapprochement des CDR ne s'équilibre pas pour {', '.join(unbalanced)} "
                    "(R40)",
                    f"CDR reconciliation does not balance for {', '.join(unbalanced)} (R40)",
                )
            )
        rejects = _table(con, contract.REJECTS.names, "rejects order by source_file, row_number")
        check_rejects(inputs, reconciliation, rejects)  # R43, exit 1, nothing issued
        with stage("contracts"):
            zones = zone_labels(ref["ref_destinations"].rows)
            lines = contract_lines(ref, month) + usage_lines(con, month, zones)
        customers = {c["customer_id"]: c for c in ref["ref_customers"].rows}
        issued_on = invoice_date(month)
        with stage("invoices"):
            invoices = build_invoices(
                lines,
                customers,
                month,
                snapshot.next_number("F", issued_on.year),
                provider=ref.provider,
            )
        with stage("sla"):
            credit_notes, sla_rows = credit_notes_for_run(ref, month, snapshot, invoices)
        apply_debit(invoices, credit_notes, ref)  # R81
        year_end = ref.provider["fiscal_year_end"]
        years = sorted(
            {fiscal_year(issued_on, year_end)}
            | {fiscal_year(d.invoice_date, year_end) for d in invoices}
            | {fiscal_year(d.credit_note_date, year_end) for d in credit_notes}
        )
        documents = MonthDocuments(
            month,
            invoices,
            credit_notes,
            sla_rows,
            reconciliation,
            cdr_files=cdr_files,
            reference=ref,
            rated_calls_file=scratch / RATED_CALLS_FILE,
            rated_calls=con.execute("select count(*) from rated_calls").fetchall()[0][0],
            rejects=rejects,
            fair_use=_table(con, contract.FAIR_USE.names, "fair_use_report order by sip_account"),
            usage_summary=con.execute(USAGE_SUMMARY_SQL).fetchall(),
            validation=reports,
            accepted_rejects=inputs.accept_rejects,
        )
        documents.fec_vat_pending = fec_vat_pending(inputs)
        documents.fec_entries = entries(
            invoices,
            credit_notes,
            documents.customer_names,
            {year: snapshot.next_fec_entry(year) for year in years},
            accounts=ref.provider["accounts"],
            year_end=year_end,
            vat_pending=documents.fec_vat_pending,
        )
        if gates is not None:
            with stage("validation", "outputs"):
                reports.append(gates.outputs(documents, con, snapshot, month))  # exit 1
        return documents
    finally:
        con.close()


def fec_vat_pending(inputs: MonthInputs) -> tuple[str, str] | None:
    """R88: the account of the services' VAT due on receipt in the FEC of this run: what the
    recomputed month's manifest says, or for a run that issues, `vat_pending` of provider.toml
    unless the provider opted for debits (None: every VAT on 445710)."""
    if inputs.fec_vat_pending is not None:
        recorded = inputs.fec_vat_pending
        return (str(recorded[0]), str(recorded[1])) if recorded else None
    provider = inputs.reference.provider
    if provider.get("vat_on_debits"):
        return None
    return tuple(provider["accounts"]["vat_pending"])  # type: ignore[return-value]
