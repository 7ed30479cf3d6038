"""The files of one receivables report (R86), written into the folder the driver gives (a
staging folder under OUT/receivables/reports/, published by pipeline.ledger.reports):
open_items.csv, balances.csv, aged_balance.csv, suspense.csv, receivables_{D}.xlsx (French,
prints) and, for `--customer C`, statement_{C}.pdf (French, rendered with Typst as the
invoices are). Same report, same bytes: sorted rows, no clock (the PDF is dated D).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.core import data_contract as contract
from pipeline.exports.einvoice.pdf import day as fr_day
from pipeline.exports.einvoice.pdf import money
from pipeline.exports.files import write_csv
from pipeline.exports.xlsx import (
    DATE,
    EURO,
    INTEGER,
    Column,
    add_sheet,
    new_workbook,
    save_deterministic,
)
from pipeline.receivables.compute import CREDIT_NOTE
from pipeline.receivables.journal import LIFECYCLE_LABELS
from pipeline.receivables.report import Report, Statement, Totals

TEMPLATE_DIR = Path(str(resources.files("pipeline.receivables") / "templates"))
STATEMENT_TEMPLATE = TEMPLATE_DIR / "statement.typ"

METHOD_LABELS = {"transfer": "Virement", "sepa_debit": "Prélèvement SEPA"}
TYPE_LABELS = {"invoice": "Facture", "credit_note": "Avoir"}
RECEIPT_LABELS = {
    "payment": "Paiement reçu",
    "assigned": "Paiement en attente affecté",
    "returned": "Prélèvement rejeté",
}
DIRECTION_LABELS = {"CRDT": "Crédit", "DBIT": "Débit"}


def workbook_name(day: date) -> str:
    return f"receivables_{day.isoformat()}.xlsx"


def statement_name(customer: str) -> str:
    return f"statement_{customer}.pdf"


def status_label(code: str) -> str:
    return f"{code} {LIFECYCLE_LABELS[code]}" if code in LIFECYCLE_LABELS else code


def write_csvs(folder: Path, report: Report) -> None:
    write_csv(
        folder / contract.OPEN_ITEMS.name,
        contract.OPEN_ITEMS.names,
        (
            [
                i.customer_id,
                i.document_number,
                i.document_date,
                i.due_date,
                i.total_ttc,
                i.open_balance,
                i.days_past_due,
                i.status,
                i.type,
            ]
            for i in report.open_items
        ),
    )
    write_csv(
        folder / contract.BALANCES.name,
        contract.BALANCES.names,
        (
            [
                b.customer_id,
                b.balance,
                b.overdue,
                b.unallocated_credit,
                b.oldest_due_date,
                b.payment_method,
                b.return_fees,
                b.dunning_level,
            ]
            for b in report.balances
        ),
    )
    write_csv(
        folder / contract.AGED_BALANCE.name,
        contract.AGED_BALANCE.names,
        ([getattr(a, name) for name in contract.AGED_BALANCE.names] for a in report.aged),
    )
    write_csv(
        folder / contract.SUSPENSE_REPORT.name,
        contract.SUSPENSE_REPORT.names,
        ([getattr(s, name) for name in contract.SUSPENSE_REPORT.names] for s in report.suspense),
    )


# R92's levels as the French workbook names them (the CSV keeps the codes)
DUNNING_LABELS = {
    "reminder": "relance amiable",
    "formal_notice": "mise en demeure",
    "suspension": "suspension",
}


def write_workbook(path: Path, report: Report, names: dict[str, str]) -> None:
    """receivables_{D}.xlsx in French: Balance âgée, Échéancier, Encaissements, À affecter,
    Contrôle (the R86 check's figures). Prints: A4, fitted to the width, header rows repeated
    (pipeline.exports.xlsx)."""
    wb = new_workbook()
    heading = f"Créances au {fr_day(report.day)}"
    method = METHOD_LABELS
    add_sheet(
        wb,
        "Balance âgée",
        [
            Column("Client"),
            Column("Raison sociale", width=28, wrap=True),
            Column("Non échu", EURO),
            Column("1 à 30 jours", EURO),
            Column("31 à 60 jours", EURO),
            Column("61 à 90 jours", EURO),
            Column("Plus de 90 jours", EURO),
            Column("Avoirs et crédits non affectés", EURO),
            Column("Frais de rejet", EURO),
            Column("Solde", EURO),
            Column("Plus ancienne échéance", DATE),
            Column("Mode de paiement"),
            Column("Relance", width=16),
        ],
        (
            [
                a.customer_id,
                names.get(a.customer_id, ""),
                a.not_due,
                a.days_1_30,
                a.days_31_60,
                a.days_61_90,
                a.days_over_90,
                a.credits,
                a.return_fees,
                a.total,
                b.oldest_due_date,
                method.get(b.payment_method, b.payment_method),
                DUNNING_LABELS.get(b.dunning_level, b.dunning_level),
            ]
            for a, b in zip(report.aged, report.balances, strict=True)
        ),
        full_data=contract.AGED_BALANCE.name,
        heading=heading,
        totals=(2, 3, 4, 5, 6, 7, 8, 9),
        note=None if report.aged else "Aucun client ne doit ni n'a de crédit à cette date.",
    )
    add_sheet(
        wb,
        "Échéancier",
        [
            Column("Client"),
            Column("Raison sociale", width=28, wrap=True),
            Column("N° pièce"),
            Column("Nature"),
            Column("Date", DATE),
            Column("Échéance", DATE),
            Column("Total TTC", EURO),
            Column("Reste dû", EURO),
            Column("Jours de retard", INTEGER),
            Column("Statut (plateforme)", width=22, wrap=True),
        ],
        (
            [
                i.customer_id,
                names.get(i.customer_id, ""),
                i.document_number,
                TYPE_LABELS.get(i.type, i.type),
                i.document_date,
                i.due_date,
                i.total_ttc,
                i.open_balance,
                i.days_past_due,
                status_label(i.status) or None,
            ]
            for i in report.open_items
        ),
        full_data=contract.OPEN_ITEMS.name,
        heading=heading,
        totals=(7,),
        note=None if report.open_items else "Aucune pièce ouverte à cette date.",
    )
    add_sheet(
        wb,
        "Encaissements",
        [
            Column("Date", DATE),
            Column("Client"),
            Column("Nature", width=18, wrap=True),
            Column("Montant", EURO),
            Column("Pièces réglées", width=30, wrap=True),
            Column("Crédit non affecté", EURO),
            Column("En attente", EURO),
            Column("Fichier", width=24, wrap=True),
            Column("Référence"),
            Column("Détail", width=30, wrap=True),
        ],
        (
            [
                r.date,
                r.customer_id or None,
                RECEIPT_LABELS.get(r.kind, r.kind),
                r.amount,
                r.paid or None,
                r.unallocated,
                r.suspense,
                r.source_file,
                r.entry,
                r.detail or None,
            ]
            for r in report.receipts
        ),
        heading=heading,
        totals=(3, 5, 6),
        note=None if report.receipts else "Aucun encaissement à cette date.",
    )
    add_sheet(
        wb,
        "À affecter",
        [
            Column("Date", DATE),
            Column("Montant", EURO),
            Column("Sens"),
            Column("Donneur d'ordre", width=24, wrap=True),
            Column("Libellé", width=30, wrap=True),
            Column("Motif", width=36, wrap=True),
            Column("Fichier", width=24, wrap=True),
            Column("Référence"),
        ],
        (
            [
                s.date,
                s.amount,
                DIRECTION_LABELS.get(s.direction, s.direction),
                s.debtor or None,
                s.remittance or None,
                s.reason,
                s.source_file,
                s.entry_ref,
            ]
            for s in report.suspense
        ),
        full_data=contract.SUSPENSE_REPORT.name,
        heading=heading,
        totals=(1,),
        note=None if report.suspense else "Rien en attente d'affectation à cette date.",
    )
    add_sheet(
        wb,
        "Contrôle",
        [Column("Contrôle (R86)", width=60, wrap=True), Column("Montant", EURO)],
        control_rows(report.totals),
        heading=heading,
        one_page=True,
    )
    save_deterministic(wb, path)


def control_rows(t: Totals) -> list[list[Any]]:
    return [
        ["Pièces émises (factures TTC - avoirs TTC)", t.issued],
        ["Encaissé pour des clients (paiements, attentes affectées)", t.received],
        ["Prélèvements rejetés", t.returned],
        ["Crédit non affecté des clients", t.unallocated_credit],
        ["Affecté aux pièces = encaissé - rejeté - crédit non affecté", t.allocated],
        ["Émis - affecté", t.issued - t.allocated],
        ["Total des postes ouverts (Échéancier)", t.open_items],
        ["Frais de rejet dus", t.return_fees],
        ["Total des soldes = postes ouverts - crédit non affecté + frais", t.balances],
        ["En attente d'affectation (hors soldes clients)", t.suspense],
    ]


# --- the statement of account (PDF) ----------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [p.strip() for p in str(text or "").split(",") if p.strip()]


def statement_view(
    st: Statement, customer: dict[str, Any], provider: dict[str, Any], method: str
) -> dict[str, Any]:
    """The strings of the statement's page, in French."""

    def amount(value: Decimal) -> str:
        return money(value) if value else ""

    ids = [f"SIREN {provider.get('siren', '')}"] if provider.get("siren") else []
    for key in ("email", "phone"):
        if provider.get(key):
            ids.append(str(provider[key]))
    totals = [
        {"label": "Solde dû", "value": f"{money(st.balance)} €", "strong": True},
        {"label": "dont échu", "value": f"{money(st.overdue)} €", "strong": False},
    ]
    if st.unallocated_credit:
        totals.append(
            {
                "label": "Crédit non affecté (déduit)",
                "value": f"{money(st.unallocated_credit)} €",
                "strong": False,
            }
        )
    if st.return_fees:
        totals.append(
            {
                "label": "Frais de rejet (inclus)",
                "value": f"{money(st.return_fees)} €",
                "strong": False,
            }
        )
    open_rows = []
    for i in st.open_items:
        if i.type == CREDIT_NOTE:
            situation = "Avoir à imputer"
        elif i.days_past_due > 0:
            situation = "Échue"
        else:
            situation = "À échoir"
        open_rows.append(
            {
                "number": i.document_number,
                "date": fr_day(i.document_date),
                "due": fr_day(i.due_date) if i.due_date else "",
                "situation": situation,
                "open": money(i.open_balance),
                "late": f"{i.days_past_due} j" if i.days_past_due else "",
            }
        )
    if method == "sepa_debit":
        payment = ["Les factures sont prélevées à leur échéance (prélèvement SEPA)."]
    else:
        iban = str(provider.get("iban", ""))
        payment = [f"Règlement par virement - IBAN : {iban}" if iban else "Règlement par virement"]
        payment.append("Merci de rappeler les numéros des factures réglées dans le libellé.")
    if st.balance < 0:
        payment.insert(0, f"Votre compte est créditeur de {money(-st.balance)} €.")
    notes = [
        "Relevé établi à partir du journal des créances à la date indiquée ; les paiements "
        "reçus après cette date n'y figurent pas.",
    ]
    if provider.get("late_penalty_text"):
        notes.append(str(provider["late_penalty_text"]))
    if provider.get("recovery_indemnity_text"):
        notes.append(str(provider["recovery_indemnity_text"]))
    return {
        "day": fr_day(st.day),
        "seller": {
            "name": str(provider.get("name", "")),
            "address": _lines(provider.get("address", "")),
            "ids": ids,
        },
        "customer": {
            "id": st.customer_id,
            "name": str(customer.get("name") or st.customer_id),
            "address": _lines(customer.get("address", "")) or [str(customer.get("country", ""))],
        },
        "lines": [
            {
                "date": fr_day(x.date),
                "label": x.label,
                "debit": amount(x.debit),
                "credit": amount(x.credit),
                "balance": money(x.balance),
            }
            for x in st.lines
        ],
        "totals": totals,
        "open": open_rows,
        "payment": payment,
        "notes": notes,
    }


def render_statement(view: dict[str, Any], day: date) -> bytes:
    """The statement's PDF (Typst, embedded fonts only, dated D: same view, same bytes)."""
    import typst

    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True)
    compiler = typst.Compiler(
        str(STATEMENT_TEMPLATE),
        root=str(TEMPLATE_DIR),
        font_paths=fonts,
        ignore_system_fonts=True,
    )
    return compiler.compile(
        sys_inputs={"data": json.dumps(view, ensure_ascii=False)},
        timestamp=datetime(day.year, day.month, day.day, tzinfo=UTC),
    )


def write_report(
    folder: Path,
    report: Report,
    names: dict[str, str],
    statement: tuple[Statement, dict[str, Any], dict[str, Any], str] | None = None,
) -> list[str]:
    """Every file of the report into `folder`; returns their names, sorted."""
    write_csvs(folder, report)
    files = [
        contract.OPEN_ITEMS.name,
        contract.BALANCES.name,
        contract.AGED_BALANCE.name,
        contract.SUSPENSE_REPORT.name,
        workbook_name(report.day),
    ]
    write_workbook(folder / workbook_name(report.day), report, names)
    if statement is not None:
        st, customer, provider, method = statement
        pdf = render_statement(statement_view(st, customer, provider, method), report.day)
        (folder / statement_name(st.customer_id)).write_bytes(pdf)
        files.append(statement_name(st.customer_id))
    return sorted(files)
