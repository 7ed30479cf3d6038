"""Files for people: the accountants' workbook (and, later, the FEC and itemised bills).

Called once per run with the BilledMonth, after the data-contract CSV files are written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from pipeline.documents import BilledMonth
from pipeline.workbook import add_sheet, save_deterministic


def write_exports(folder: Path, billed: BilledMonth, manifest: dict[str, Any]) -> None:
    write_workbook(folder / f"billing_{billed.month}.xlsx", billed)


def write_workbook(path: Path, billed: BilledMonth) -> None:
    invoices = billed.invoices
    rec = billed.reconciliation
    wb = Workbook()
    wb.remove(wb.active)
    add_sheet(
        wb, "Synthèse", ["Indicateur", "Valeur"],
        [
            ["Période", str(billed.month)],
            ["Factures émises", len(invoices)],
            ["Avoirs émis", len(billed.credit_notes)],
            ["Total HT", sum((i.total_ht for i in invoices), start=0)],
            ["Total TVA", sum((i.total_vat for i in invoices), start=0)],
            ["Total TTC", sum((i.total_ttc for i in invoices), start=0)],
            ["CDR lus", sum(r["rows_read"] for r in rec)],
            ["CDR valorisés", sum(r["rated"] for r in rec)],
            ["CDR doublons", sum(r["duplicates"] for r in rec)],
            ["CDR rejetés", sum(r["rejected"] for r in rec)],
        ],
    )
    add_sheet(
        wb, "Factures",
        ["N° facture", "Client", "Date", "Échéance", "Période", "Total HT", "TVA", "Total TTC",
         "Taux TVA", "Mention TVA"],
        [[i.invoice_number, i.customer_id, i.invoice_date, i.due_date, i.period, i.total_ht,
          i.total_vat, i.total_ttc, i.vat_rate, i.vat_mention] for i in invoices],
        money_columns=(5, 6, 7),
    )
    add_sheet(
        wb, "Lignes",
        ["N° facture", "Ligne", "Client", "Nature", "Référence", "Libellé", "Zone", "Motif",
         "Quantité", "Secondes facturées", "Prix unitaire HT", "Montant HT"],
        [[ln["invoice_number"], ln["line_no"], ln["customer_id"], ln["kind"], ln["reference"],
          ln["description"], ln["zone"], ln["reason"], ln["quantity"], ln["billable_seconds"],
          ln["unit_price"], ln["amount_ht"]] for ln in billed.lines],
        money_columns=(10, 11),
    )
    save_deterministic(wb, path)
