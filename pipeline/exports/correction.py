"""Write one correction of an issued month (R66-R68) into its folder,
OUT/YYYY-MM/corrections/NN/ once published (docs/corrections.md):

- invoices.csv, credit_notes.csv: its supplementary invoices and credit notes, with the
  invoice they correct (original_invoice_number/date) and the corrected month;
- invoice_lines.csv: the lines of those documents (the difference as amount_ht);
- changes.csv: every line that changed, per customer, with its document (none when the
  customer's differences add up to zero);
- rated_calls.parquet, rejects.csv and fair_use.csv: the month as recomputed (what `billing explain` and the
  duplicate check of later months read);
- the FEC of its documents, {SIREN}FEC{YYYYMMDD}.txt (D, the correction's date);
- correction_YYYY-MM_NN.xlsx: a small workbook of its own (the month's workbook is never
  rewritten): Synthèse, Documents, Lignes, Glossaire;
- documents/{number}.pdf: the e-invoices of its documents (R70).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.billing.accounting import fiscal_year_end, text
from pipeline.billing.corrections import CorrectionDocuments
from pipeline.core import data_contract as contract
from pipeline.exports.documents import DocumentsResult, write_documents
from pipeline.exports.fec import write_fec
from pipeline.exports.files import arrow_rows, invoice_columns, write_csv
from pipeline.exports.workbook import KIND_LABELS, REASON_LABELS
from pipeline.exports.xlsx import (
    DATE,
    EURO,
    INTEGER,
    Column,
    add_sheet,
    new_workbook,
    save_deterministic,
)


def workbook_name(correction: CorrectionDocuments) -> str:
    return f"correction_{correction.month}_{correction.number:02d}.xlsx"


def write_correction(
    folder: Path, correction: CorrectionDocuments, check_rules: bool = False
) -> tuple[dict[str, Any], DocumentsResult]:
    """Write every file of the correction into `folder`; return the manifest's `exports` and
    what the e-invoices' checks found (R70: a correction's documents are e-invoices too)."""
    write_csv(
        folder / contract.CORRECTION_INVOICES.name,
        invoice_columns(contract.CORRECTION_INVOICES.names, correction.invoices),  # R81
        map(vars, correction.invoices),
    )
    write_csv(
        folder / contract.CORRECTION_LINES.name, contract.CORRECTION_LINES.names, correction.lines
    )
    write_csv(
        folder / contract.CORRECTION_CREDIT_NOTES.name,
        contract.CORRECTION_CREDIT_NOTES.names,
        map(vars, correction.credit_notes),
    )
    documents = correction.document_of
    write_csv(
        folder / contract.CORRECTION_CHANGES.name,
        contract.CORRECTION_CHANGES.names,
        (
            {
                **vars(c),
                "issued_amount_ht": c.issued,
                "recomputed_amount_ht": c.recomputed,
                "difference_ht": c.difference,
                "document_number": documents.get(c.customer_id, ""),
            }
            for c in correction.changes
        ),
    )
    recomputed = correction.recomputed
    shutil.copyfile(recomputed.rated_calls_file, folder / contract.RATED_CALLS_FILE)
    write_csv(
        folder / contract.REJECTS.name, contract.REJECTS.names, arrow_rows(recomputed.rejects)
    )
    siren = text(recomputed.reference.provider["siren"]).replace(" ", "")
    closing = fiscal_year_end(
        correction.issued_on, recomputed.reference.provider["fiscal_year_end"]
    )
    fec = write_fec(folder, siren, closing, correction.fec_entries)
    book = folder / workbook_name(correction)
    write_correction_workbook(book, correction)
    einvoices = write_documents(
        folder,
        [*correction.invoices, *correction.credit_notes],
        recomputed.reference,
        check_rules=check_rules,
    )
    exports = {
        "workbook": book.name,
        "fec": fec.name,
        "documents": {"files": len(einvoices.names), "checked_rules": einvoices.checked_rules},
    }
    return exports, einvoices


def _sum(values: Any) -> Decimal:
    return sum(values, Decimal("0.00"))


def write_correction_workbook(path: Path, correction: CorrectionDocuments) -> None:
    names = correction.recomputed.customer_names
    documents = [
        (
            "Facture rectificative",
            i.invoice_number,
            i.customer_id,
            i.invoice_date,
            i.due_date,
            i.original_invoice_number,
            i.total_ht,
            i.total_vat,
            i.total_ttc,
        )
        for i in correction.invoices
    ] + [
        (
            "Avoir",
            c.credit_note_number,
            c.customer_id,
            c.credit_note_date,
            None,
            c.original_invoice_number,
            c.amount_ht,
            c.amount_vat,
            c.amount_ttc,
        )
        for c in correction.credit_notes
    ]
    wb = new_workbook()
    summary = [
        ["Mois corrigé", str(correction.month), None, None, None],
        ["Correction n°", f"{correction.number:02d}", None, None, None],
        ["Date des documents", correction.issued_on.isoformat(), None, None, None],
    ]
    for label, kind in (("Factures rectificatives", "Facture rectificative"), ("Avoirs", "Avoir")):
        docs = [d for d in documents if d[0] == kind]
        summary.append(
            [
                label,
                len(docs),
                _sum(d[6] for d in docs),
                _sum(d[7] for d in docs),
                _sum(d[8] for d in docs),
            ]
        )
    summary.append(
        [
            "Clients dont les écarts s'annulent (aucun document)",
            len(correction.zero_net),
            None,
            None,
            None,
        ]
    )
    add_sheet(
        wb,
        "Synthèse",
        [
            Column("Indicateur", width=50),
            Column("Valeur", INTEGER),
            Column("Montant HT", EURO),
            Column("TVA", EURO),
            Column("Montant TTC", EURO),
        ],
        summary,
    )
    add_sheet(
        wb,
        "Documents",
        [
            Column("Type"),
            Column("N°"),
            Column("Client"),
            Column("Raison sociale"),
            Column("Date", DATE),
            Column("Échéance", DATE),
            Column("Facture corrigée"),
            Column("Montant HT", EURO),
            Column("TVA", EURO),
            Column("Montant TTC", EURO),
        ],
        ([*d[:3], names.get(d[2], ""), *d[3:]] for d in documents),
        full_data="invoices.csv, credit_notes.csv",
    )
    doc_of = correction.document_of
    add_sheet(
        wb,
        "Lignes",
        [
            Column("Client"),
            Column("Document"),
            Column("Nature"),
            Column("Référence"),
            Column("Zone"),
            Column("Motif"),
            Column("Libellé", width=50),
            Column("Facturé HT", EURO),
            Column("Recalculé HT", EURO),
            Column("Écart HT", EURO),
        ],
        (
            [
                c.customer_id,
                doc_of.get(c.customer_id, "(écarts nuls au total : aucun document)"),
                KIND_LABELS.get(c.kind, c.kind),
                c.reference,
                c.zone or None,
                REASON_LABELS.get(c.reason, c.reason) if c.reason else None,
                c.description,
                c.issued,
                c.recomputed,
                c.difference,
            ]
            for c in correction.changes
        ),
        full_data="changes.csv",
    )
    add_sheet(
        wb,
        "Glossaire",
        [Column("Terme", width=34), Column("Signification", width=100)],
        [
            [
                "Correction",
                "Le mois déjà facturé est recalculé avec les données actuelles (CDR arrivés en "
                "retard, corrections de tarifs ou de contrats) ; chaque ligne est comparée à ce "
                "qui a été facturé pour ce mois (facture et corrections précédentes).",
            ],
            [
                "Facture rectificative",
                "Émise quand les écarts d'un client sont positifs au total ; ses lignes sont "
                "les écarts (une ligne peut être négative).",
            ],
            [
                "Avoir",
                "Émis quand les écarts d'un client sont négatifs au total ; ses lignes sont les "
                "écarts changés de signe.",
            ],
            ["Écart HT", "Montant recalculé moins montant facturé, au centime."],
        ],
    )
    save_deterministic(wb, path)
