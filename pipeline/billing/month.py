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
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

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
    # issue the month even if its rejects exceed max_rejected_pct of provider.toml
    accept_rejects: bool = False
    # where the rating models run: "duckdb", or "spark" (docs/spark.md); the documents are the
    # same either way
    engine: str = "duckdb"


RECONCILIATION_COLUMNS = ("source_file", "rows_read", "rated", "duplicates", "rejected", "balanced")
USAGE_SUMMARY_SQL = (
    "select zone, reason, count(*), sum(duration_s), sum(billable_seconds), sum(amount) "
    "from rated_calls group by zone, reason order by zone nulls first, reason"
)


def _table(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], sql: str) -> pa.Table:
    return con.sql(f"select {', '.join(columns)} from {sql}").to_arrow_table()


def check_rejects(
    inputs: MonthInputs, reconciliation: list[dict[str, Any]], rejects: pa.Table
) -> None:
    """A month whose rejected CDR rows (duplicates apart) are over max_rejected_pct of its
    rows is not issued silently (a file of another format, a switch gone wrong): exit 1 with
    the counts, unless the run accepts them (`--accept-rejects`)."""
    read = sum(r["rows_read"] for r in reconciliation)
    rejected = sum(r["rejected"] for r in reconciliation)
    limit = inputs.reference.provider["max_rejected_pct"]
    if inputs.accept_rejects or read == 0 or rejected * 100 <= limit * read:
        return
    reasons: dict[str, int] = {}
    for reason in rejects.column("reason").to_pylist():
        if reason != "DUPLICATE":
            reasons[reason] = reasons.get(reason, 0) + 1
    by_file = ", ".join(
        f"{r['source_file']} {r['rejected']} of {r['rows_read']}"
        for r in reconciliation
        if r["rejected"]
    )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
    raise ProblemFound(
        f"{inputs.month}: {rejected} of {read} CDR rows rejected ({counts}; {by_file}), over "
        f"max_rejected_pct = {limit} of provider.toml: nothing was issued; check the files, "
        "or bill with --accept-rejects to issue the month with these rejects"
    )


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
        reconciliation = [
            dict(zip(RECONCILIATION_COLUMNS, r, strict=True))
            for r in con.execute("select * from reconciliation").fetchall()
        ]
        unbalanced = [r["source_file"] for r in reconciliation if not r["balanced"]]
        if unbalanced:
            raise ProblemFound(
                f"CDR reconciliation does not balance for {', '.join(unbalanced)} (R40)"
            )
        rejects = _table(con, contract.REJECTS.names, "rejects order by source_file, row_number")
        check_rejects(inputs, reconciliation, rejects)
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
        documents.fec_entries = entries(
            invoices,
            credit_notes,
            documents.customer_names,
            {year: snapshot.next_fec_entry(year) for year in years},
            accounts=ref.provider["accounts"],
            year_end=year_end,
        )
        if gates is not None:
            with stage("validation", "outputs"):
                reports.append(gates.outputs(documents, con, snapshot, month))  # exit 1
        return documents
    finally:
        con.close()
