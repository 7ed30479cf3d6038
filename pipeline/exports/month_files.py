"""Write one month's documents (pipeline.billing.month_documents.MonthDocuments) into a folder:
the data-contract files, then the files for people (docs/exports.md):

- the itemised bills, itemised/{customer_id}.csv (pipeline.exports.itemised);
- the FEC, {SIREN}FEC{YYYYMMDD}.txt (pipeline.exports.fec);
- the accountants' workbook, billing_YYYY-MM.xlsx, and the call detail beside it,
  billing_YYYY-MM_appels.xlsx (pipeline.exports.workbook);
- the e-invoices, documents/{number}.pdf (pipeline.exports.documents).

The folder is the month's staging folder under OUT (the ledger publishes it) or a temporary
one (audits). Everything is written from the documents: the rated calls are read from their
parquet file, through a connection of this module's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pipeline.billing.accounting import fiscal_year_end, text
from pipeline.billing.invoicing import invoice_date
from pipeline.billing.month_documents import MonthDocuments
from pipeline.core import data_contract as contract
from pipeline.core.db import connect, sql_literal
from pipeline.core.progress import checkpoint, stage
from pipeline.exports import workbook
from pipeline.exports.documents import DocumentsResult, write_documents
from pipeline.exports.fec import write_fec
from pipeline.exports.files import arrow_rows, invoice_columns, write_csv
from pipeline.exports.itemised import write_itemised


def write_month(
    folder: Path, documents: MonthDocuments, check_rules: bool = False
) -> tuple[dict[str, Any], DocumentsResult]:
    """Write every file of the month into `folder`; return the manifest's `exports` entry and
    what the e-invoices' checks found (`check_rules`: the schematrons too)."""
    write_csv(
        folder / contract.INVOICES.name,
        invoice_columns(contract.INVOICES.names, documents.invoices),
        map(vars, documents.invoices),
    )
    checkpoint("staging")
    write_csv(folder / contract.INVOICE_LINES.name, contract.INVOICE_LINES.names, documents.lines)
    write_csv(
        folder / contract.CREDIT_NOTES.name,
        contract.CREDIT_NOTES.names,
        map(vars, documents.credit_notes),
    )
    write_csv(folder / contract.SLA.name, contract.SLA.names, documents.sla_rows)
    write_csv(folder / contract.REJECTS.name, contract.REJECTS.names, arrow_rows(documents.rejects))
    write_csv(
        folder / contract.FAIR_USE.name, contract.FAIR_USE.names, arrow_rows(documents.fair_use)
    )
    with stage("outputs", contract.RATED_CALLS_FILE):
        # written once by the rating, unsorted (pipeline.rating.models.write_rated_calls_file)
        shutil.copyfile(documents.rated_calls_file, folder / contract.RATED_CALLS_FILE)
    with stage("exports"):
        exports = write_exports(folder, documents)
    with stage("documents"):
        einvoices = write_documents(
            folder,
            [*documents.invoices, *documents.credit_notes],
            documents.reference,
            itemised=folder / "itemised",
            check_rules=check_rules,
        )
    exports["documents"] = {"files": len(einvoices.names), "checked_rules": einvoices.checked_rules}
    return exports, einvoices


def write_exports(folder: Path, documents: MonthDocuments) -> dict[str, Any]:
    """The itemised bills, the FEC, the workbook and the call detail."""
    # the listed calls are kept for the call detail only when they all fit in it
    con = connect()
    try:
        con.execute(
            "create view rated_calls as select * from read_parquet("
            f"{sql_literal(str(documents.rated_calls_file))})"
        )
        counts, kept = write_itemised(
            folder / "itemised",
            con,
            documents.reference,
            keep=min(workbook.CALLS_SHEET_MAX_ROWS, workbook.SHEET_MAX_ROWS) - 1,
        )
    finally:
        con.close()
    siren = text(documents.reference.provider["siren"]).replace(" ", "")
    closing = fiscal_year_end(
        invoice_date(documents.month), documents.reference.provider["fiscal_year_end"]
    )
    fec = write_fec(folder, siren, closing, documents.fec_entries)
    book = folder / f"billing_{documents.month}.xlsx"
    workbook.write_workbook(book, documents)
    calls = folder / workbook.calls_file(documents.month)
    workbook.write_calls_workbook(calls, documents, calls=kept, calls_total=sum(counts.values()))
    return {
        "workbook": book.name,
        "calls_workbook": calls.name,
        "fec": fec.name,
        "itemised": {"customers": len(counts), "calls": sum(counts.values())},
    }
