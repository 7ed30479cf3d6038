"""The accountants' workbook, OUT/YYYY-MM/billing_YYYY-MM.xlsx, in French: its sheets, their
columns and labels, the glossary; and beside it the call detail, billing_YYYY-MM_appels.xlsx
(docs/exports.md). The generic xlsx writer is pipeline.exports.xlsx.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef

from pipeline.billing.accounting import (
    CUSTOMER_ACCOUNT,
    JOURNAL_CODE,
    JOURNAL_LIB,
    VAT_ACCOUNT,
)
from pipeline.billing.invoicing import KIND_ORDER, invoice_date
from pipeline.billing.labels import UNIT_LABELS, zone_labels
from pipeline.billing.month_documents import MonthDocuments
from pipeline.core.data_contract import CALLS_WORKBOOK, DEFAULT_ACCOUNTS, FAIR_USE, REJECTS, SLA
from pipeline.exports import french
from pipeline.exports.documents import DOCUMENTS_DIR
from pipeline.exports.files import arrow_rows
from pipeline.exports.itemised import Call
from pipeline.exports.xlsx import (
    DATE,
    DATETIME,
    EURO,
    EURO4,
    EXCEL_MAX_ROWS,
    INTEGER,
    PERCENT,
    Column,
    Styled,
    add_sheet,
    new_workbook,
    save_deterministic,
)
from pipeline.rating.reasons import CHARGED

# R63: a unit price shows its own decimals, 2 to 4 (25,00 €, 0,0450 €), as invoice_lines.csv
UNIT_PRICE = '#,##0.00## "€"'
# Rows of one sheet, header included. Tests lower them to see the note that replaces the rest.
SHEET_MAX_ROWS = EXCEL_MAX_ROWS
# The call detail (billing_YYYY-MM_appels.xlsx) lists the month's calls when they fit in this
# many rows (header included); otherwise it holds one note saying that they are in itemised/*.csv.
CALLS_SHEET_MAX_ROWS = 100_001
# The call detail's sheet; until issue 26, a sheet of the workbook itself (pipeline.ledger.compare
# audits the months issued then against billing_YYYY-MM_appels.xlsx).
CALLS_SHEET = "Appels détaillés"

KIND_LABELS = {
    "subscription": "Abonnement",
    "early_termination": "Frais de résiliation anticipée (abonnement)",
    "rental": "Location de matériel",
    "rental_early_termination": "Frais de résiliation anticipée (location)",
    "non_return": "Matériel non restitué ou rendu endommagé",
    "equipment_sale": "Vente de matériel",
    "usage": "Communications",
}
REASON_LABELS = {
    "NOT_CHARGEABLE": "Non facturable (appel entrant ou non abouti)",
    "FREE": "Gratuit (urgences, numéros gratuits)",
    "TELECOM_PROFESSIONAL": "Professionnel des télécoms : forfait non applicable",
    "NO_PLAN": "Aucun forfait illimité ne couvre l'appel",
    "FAIR_USE_DISTINCT_NUMBERS": "Usage abusif : plus de 150 numéros distincts dans le mois",
    "FAIR_USE_CONCURRENT_CALLS": "Usage abusif : plus de 3 appels simultanés",
    "FAIR_USE_DEVICES": "Usage abusif : plus de 3 terminaux enregistrés en même temps",
    "THIRD_PARTY_DEVICE": "Terminal non fourni par l'opérateur",
    "OUT_OF_PLAN": "Destination non incluse dans le forfait",
    "FORWARDING_OVER_FAIR_USE": "Renvoi d'appel au-delà des 2 h incluses",
    "INCLUDED": "Inclus dans le forfait",
}
REJECT_LABELS = {
    "MALFORMED": "Ligne illisible (champ manquant ou mal formé)",
    "DUPLICATE": "Doublon d'un appel déjà lu (ce mois-ci ou un mois déjà facturé)",
    "NEGATIVE_DURATION": "Durée négative",
    "DURATION_TOO_LONG": "Durée aberrante (au-delà de la durée maximale d'un appel)",
    "OUT_OF_PERIOD": "Appel hors du mois facturé",
    "UNKNOWN_ACCOUNT": "Compte SIP inconnu",
    "INVALID_NUMBER": "Numéro appelé invalide",
    "NO_TARIFF": "Aucune destination tarifée pour ce numéro",
}
DIRECTION_LABELS = {"out": "Sortant", "fwd": "Renvoi", "in": "Entrant"}

# French headers of the data-contract columns shown as they are (Fair-use, Rejets, SLA).
HEADERS: dict[str, Column] = {
    "sip_account": Column("Compte SIP"),
    "customer_id": Column("Client"),
    "distinct_numbers": Column("Numéros distincts appelés", INTEGER),
    "max_concurrent_calls": Column("Appels simultanés (max)", INTEGER),
    "max_registered_devices": Column("Terminaux enregistrés (max)", INTEGER),
    "forwarded_seconds": Column("Renvois (secondes)", INTEGER),
    "forwarded_over_seconds": Column("Renvois au-delà de 2 h (secondes)", INTEGER),
    "breaches": Column("Limites dépassées", width=30, wrap=True),
    "source_file": Column("Fichier", width=30, wrap=True),
    "row_number": Column("N° de ligne", INTEGER),
    "cdr_id": Column("Identifiant d'appel"),
    "reason": Column("Motif", width=28, wrap=True),
    "detail": Column("Détail", width=32, wrap=True),
    "raw": Column("Contenu brut", width=40, wrap=True),
    "service_month": Column("Mois de service"),
    "minutes_in_month": Column("Minutes du mois", INTEGER),
    "downtime_minutes": Column("Minutes d'indisponibilité", "0.0000"),
    "availability_pct": Column("Disponibilité (%)", "0.0000"),
    "credit_pct": Column("Avoir (% des abonnements)", "0"),
    "claim_status": Column("Statut de la réclamation", width=24, wrap=True),
    "claim_received_on": Column("Réclamation reçue le", DATE),
    "claim_detail": Column("Détail de la réclamation", width=32, wrap=True),
    "sla_eligible": Column("Éligible SLA"),
    "downtime_seconds": Column("Secondes d'indisponibilité", "0.####"),
    "incident_ids": Column("Incidents", width=24, wrap=True),
    "excusable_incident_ids": Column("Incidents excusables", width=24, wrap=True),
    "telephony_charges_ht": Column("Abonnements téléphonie HT", EURO),
    "original_invoice_number": Column("Facture d'origine"),
    "credit_note_number": Column("N° avoir"),
}


def calls_file(month: Any) -> str:
    """The name of the month's call detail, billing_YYYY-MM_appels.xlsx."""
    return CALLS_WORKBOOK.name.format(month=month)


def _pct_text(rate: Decimal) -> str:
    return format((rate * 100).normalize(), "f") + " %"


def _sum(values: Any) -> Decimal:
    return sum(values, Decimal("0.00"))


def _totals_by_rate(
    section: str, total_label: str, docs: list[tuple[Decimal, str, Decimal, Decimal, Decimal]]
) -> list[list[Any]]:
    """Synthèse rows: count, HT, VAT and TTC per VAT rate and mention, highest rate first,
    then the section's total. `docs` are (rate, mention, ht, vat, ttc) per document."""
    groups: dict[tuple[Decimal, str], list[tuple[Decimal, str, Decimal, Decimal, Decimal]]] = {}
    for doc in docs:
        groups.setdefault((doc[0], doc[1]), []).append(doc)
    rows: list[list[Any]] = []
    for (rate, mention), group in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        label = f"TVA {_pct_text(rate)}" + (f" - {mention}" if mention else "")
        rows.append([section, label, len(group), *(_sum(d[i] for d in group) for i in (2, 3, 4))])
    rows.append([section, total_label, len(docs), *(_sum(d[i] for d in docs) for i in (2, 3, 4))])
    return rows


def synthese_rows(billed: MonthDocuments) -> tuple[list[list[Any]], tuple[int, int]]:
    """Rows of the Synthèse sheet and the (first, last) sheet rows of the revenue by kind."""
    invoices, credits, rec = billed.invoices, billed.credit_notes, billed.reconciliation
    rows: list[list[Any]] = [
        ["Période", "Mois facturé", str(billed.month), None, None, None],
        [
            "Période",
            "Date des factures et avoirs",
            Styled(invoice_date(billed.month), DATE),
            None,
            None,
            None,
        ],
    ]
    rows += _totals_by_rate(
        "Factures",
        "Total des factures",
        [(i.vat_rate, i.vat_mention, i.total_ht, i.total_vat, i.total_ttc) for i in invoices],
    )
    rows += _totals_by_rate(
        "Avoirs",
        "Total des avoirs",
        [(c.vat_rate, c.vat_mention, c.amount_ht, c.amount_vat, c.amount_ttc) for c in credits],
    )
    rows.append(
        [
            "Net",
            "Factures moins avoirs",
            None,
            _sum(i.total_ht for i in invoices) - _sum(c.amount_ht for c in credits),
            _sum(i.total_vat for i in invoices) - _sum(c.amount_vat for c in credits),
            _sum(i.total_ttc for i in invoices) - _sum(c.amount_ttc for c in credits),
        ]
    )
    if invoices:
        rows.append(
            [
                "Numérotation",
                "Factures émises",
                f"{invoices[0].invoice_number} à {invoices[-1].invoice_number}",
                None,
                None,
                None,
            ]
        )
    if credits:
        rows.append(
            [
                "Numérotation",
                "Avoirs émis",
                f"{credits[0].credit_note_number} à {credits[-1].credit_note_number}",
                None,
                None,
                None,
            ]
        )
    read = sum(r["rows_read"] for r in rec)
    rated = sum(r["rated"] for r in rec)
    duplicates = sum(r["duplicates"] for r in rec)
    rejected = sum(r["rejected"] for r in rec)
    rows += [
        ["Appels (CDR)", "Fichiers lus", len(rec), None, None, None],
        ["Appels (CDR)", "Lignes lues", read, None, None, None],
        ["Appels (CDR)", "Valorisées", rated, None, None, None],
        ["Appels (CDR)", "Doublons écartés", duplicates, None, None, None],
        ["Appels (CDR)", "Rejetées", rejected, None, None, None],
        [
            "Appels (CDR)",
            "Contrôle : lues = valorisées + doublons + rejetées",
            "équilibré"
            if read == rated + duplicates + rejected and all(r["balanced"] for r in rec)
            else "NON ÉQUILIBRÉ",
            None,
            None,
            None,
        ],
        # the calls listed on the itemised bills are in their own file (issue 26)
        ["Appels (CDR)", CALLS_SHEET, calls_file(billed.month), None, None, None],
    ]
    lines = billed.lines
    kinds = [k for k in KIND_ORDER if any(ln["kind"] == k for ln in lines)]
    kinds += sorted({ln["kind"] for ln in lines} - set(KIND_ORDER))
    first = len(rows) + 2  # sheet row of the first kind (row 1 is the header)
    for kind in kinds:
        of_kind = [ln for ln in lines if ln["kind"] == kind]
        rows.append(
            [
                "Chiffre d'affaires HT par nature",
                KIND_LABELS.get(kind, kind),
                len(of_kind),
                _sum(ln["amount_ht"] for ln in of_kind),
                None,
                None,
            ]
        )
    return rows, (first, len(rows) + 1)


def _revenue_chart(ws: Any, first: int, last: int) -> None:
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Chiffre d'affaires HT par nature"
    chart.y_axis.title = "Euros HT"
    chart.legend = None
    chart.add_data(Reference(ws, min_col=4, min_row=first, max_row=last), titles_from_data=False)
    # categories are text: a string reference (openpyxl's set_categories makes a numeric one)
    labels = Reference(ws, min_col=2, min_row=first, max_row=last)
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=str(labels)))
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, "H2")


def _mapped(names: Sequence[str]) -> list[Column]:
    return [HEADERS.get(n, Column(n)) for n in names]


def _call_row(call: Call, zones: dict[str, str]) -> list[Any]:
    return [
        call.customer_id,
        call.sip_account,
        call.start_time.replace(tzinfo=None),
        DIRECTION_LABELS.get(call.direction, call.direction),
        call.called_number,
        zones.get(call.zone, call.zone),
        REASON_LABELS.get(call.reason, call.reason),
        call.duration_s,
        call.billable_seconds,
        call.amount,
        call.cdr_id,
    ]


@dataclass(frozen=True)
class _Month:
    """What every sheet of the month's workbook is written with."""

    billed: MonthDocuments
    zones: dict[str, str]  # zone code -> its French label
    heading: str  # the page header: the seller and the month
    max_rows: int  # rows of one sheet, header included


def _month(billed: MonthDocuments, max_rows: int | None) -> _Month:
    seller = billed.reference.provider.get("name", "") if billed.reference else ""
    return _Month(
        billed,
        _zones(billed),
        f"{seller} - facturation de {billed.month}".strip(" -"),
        max_rows or SHEET_MAX_ROWS,
    )


def write_workbook(path: Path, billed: MonthDocuments, *, max_rows: int | None = None) -> None:
    """The accountants' workbook: values only, French sheet names and headers, a glossary;
    ready to print (the call detail is a file of its own: write_calls_workbook)."""
    month = _month(billed, max_rows)
    wb = new_workbook()
    _synthese_sheet(wb, month)
    _factures_sheet(wb, month)
    _lignes_sheet(wb, month)
    _avoirs_sheet(wb, month)
    _consommations_sheet(wb, month)
    _fair_use_sheet(wb, month)
    _rejets_sheet(wb, month)
    _sla_sheet(wb, month)
    _glossaire_sheet(wb, month)
    save_deterministic(wb, path)


def write_calls_workbook(
    path: Path,
    billed: MonthDocuments,
    *,
    calls: Sequence[Call] = (),
    calls_total: int = 0,
    max_rows: int | None = None,
    calls_max_rows: int | None = None,
) -> None:
    """The call detail, billing_YYYY-MM_appels.xlsx: every listed call of the month, every
    customer, to read and filter on screen (the itemised bills' calls, masked the same way)."""
    wb = new_workbook()
    _calls_sheet(wb, _month(billed, max_rows), calls, calls_total, calls_max_rows)
    save_deterministic(wb, path)


def _synthese_sheet(wb: Any, month: _Month) -> None:
    rows, (first, last) = synthese_rows(month.billed)
    ws = add_sheet(
        wb,
        "Synthèse",
        [
            Column("Rubrique"),
            Column("Indicateur"),
            Column("Valeur", INTEGER),
            Column("Montant HT", EURO),
            Column("TVA", EURO),
            Column("Montant TTC", EURO),
        ],
        rows,
        heading=month.heading,
        one_page=True,
    )
    if last >= first:
        _revenue_chart(ws, first, last)


def _factures_sheet(wb: Any, month: _Month) -> None:
    names = month.billed.customer_names
    add_sheet(
        wb,
        "Factures",
        [
            Column("N° facture"),
            Column("Client"),
            Column("Raison sociale", width=28, wrap=True),
            Column("Date de facture", DATE),
            Column("Échéance", DATE),
            Column("Période"),
            Column("Total HT", EURO),
            Column("TVA", EURO),
            Column("Total TTC", EURO),
            Column("Taux de TVA", PERCENT),
            Column("Mention TVA", width=30, wrap=True),
            Column("Facture électronique (Factur-X)"),
        ],
        (
            [
                i.invoice_number,
                i.customer_id,
                names.get(i.customer_id, ""),
                i.invoice_date,
                i.due_date,
                i.period,
                i.total_ht,
                i.total_vat,
                i.total_ttc,
                i.vat_rate,
                i.vat_mention,
                f"{DOCUMENTS_DIR}/{i.invoice_number}.pdf",
            ]
            for i in month.billed.invoices
        ),
        max_rows=month.max_rows,
        full_data="invoices.csv",
        heading=month.heading,
        totals=(6, 7, 8),
    )


# The Lignes sheet: its columns, and the cell of each column for one invoice line, side by side
# (a new column is one entry here). Totals: the columns whose header is in LINE_TOTALS.
LINE_COLUMNS: tuple[tuple[Column, Callable[[dict[str, Any], dict[str, str]], Any]], ...] = (
    (Column("N° facture"), lambda ln, zones: ln["invoice_number"]),
    (Column("N° ligne", INTEGER), lambda ln, zones: ln["line_no"]),
    (Column("Client"), lambda ln, zones: ln["customer_id"]),
    (
        Column("Nature", width=14, wrap=True),
        lambda ln, zones: KIND_LABELS.get(ln["kind"], ln["kind"]),
    ),
    (Column("Référence"), lambda ln, zones: ln["reference"]),
    (Column("Libellé", width=46, wrap=True), lambda ln, zones: ln["description"]),
    (
        Column("Zone", width=20, wrap=True),
        lambda ln, zones: zones.get(ln["zone"], ln["zone"]) if ln["zone"] else None,
    ),
    (
        Column("Motif", width=24, wrap=True),
        lambda ln, zones: REASON_LABELS.get(ln["reason"], ln["reason"]) if ln["reason"] else None,
    ),
    (Column("Quantité", INTEGER), lambda ln, zones: ln["quantity"]),
    (Column("Unité"), lambda ln, zones: UNIT_LABELS.get(ln.get("unit"), ln.get("unit"))),
    (Column("Appels", INTEGER), lambda ln, zones: ln.get("calls")),
    (Column("Secondes facturées", INTEGER), lambda ln, zones: ln["billable_seconds"]),
    (Column("Prix unitaire HT", UNIT_PRICE), lambda ln, zones: ln["unit_price"]),
    (Column("Montant HT", EURO), lambda ln, zones: ln["amount_ht"]),
    (Column("Début de période", DATE), lambda ln, zones: ln.get("period_start")),
    (Column("Fin de période", DATE), lambda ln, zones: ln.get("period_end")),
)
LINE_TOTALS = ("Montant HT",)


def _lignes_sheet(wb: Any, month: _Month) -> None:
    columns = [column for column, _ in LINE_COLUMNS]
    add_sheet(
        wb,
        "Lignes",
        columns,
        ([cell(ln, month.zones) for _, cell in LINE_COLUMNS] for ln in month.billed.lines),
        max_rows=month.max_rows,
        full_data="invoice_lines.csv",
        heading=month.heading,
        totals=tuple(i for i, c in enumerate(columns) if c.header in LINE_TOTALS),
    )


def _avoirs_sheet(wb: Any, month: _Month) -> None:
    names = month.billed.customer_names
    add_sheet(
        wb,
        "Avoirs",
        [
            Column("N° avoir"),
            Column("Client"),
            Column("Raison sociale"),
            Column("Date de l'avoir", DATE),
            Column("Facture d'origine"),
            Column("Date de la facture d'origine", DATE),
            Column("Mois de service"),
            Column("Disponibilité (%)", "0.0000"),
            Column("Avoir (% des abonnements)", "0"),
            Column("Montant HT", EURO),
            Column("TVA", EURO),
            Column("Montant TTC", EURO),
            Column("Taux de TVA", PERCENT),
            Column("Avoir électronique (Factur-X)"),
        ],
        (
            [
                c.credit_note_number,
                c.customer_id,
                names.get(c.customer_id, ""),
                c.credit_note_date,
                c.original_invoice_number,
                c.original_invoice_date,
                c.service_month,
                c.availability_pct,
                c.credit_pct,
                c.amount_ht,
                c.amount_vat,
                c.amount_ttc,
                c.vat_rate,
                f"{DOCUMENTS_DIR}/{c.credit_note_number}.pdf",
            ]
            for c in month.billed.credit_notes
        ),
        max_rows=month.max_rows,
        full_data="credit_notes.csv",
        heading=month.heading,
        totals=(9, 10, 11),
    )


def _consommations_sheet(wb: Any, month: _Month) -> None:
    # usage invoiced per (zone, reason): each line rounded to the cent (R63), against the sum of
    # the calls' 4-decimal amounts on the Consommations sheet (the difference is the rounding)
    invoiced: dict[tuple[Any, Any], Decimal] = {}
    for ln in month.billed.lines:
        if ln["kind"] == "usage":
            key = (ln["zone"], ln["reason"])
            invoiced[key] = invoiced.get(key, Decimal("0.00")) + ln["amount_ht"]
    zones = month.zones
    add_sheet(
        wb,
        "Consommations",
        [
            Column("Zone", width=24, wrap=True),
            Column("Motif", width=26, wrap=True),
            Column("Facturé"),
            Column("Appels", INTEGER),
            Column("Durée (secondes)", INTEGER),
            Column("Secondes facturées", INTEGER),
            Column("Montant HT (somme des appels)", EURO4),
            Column("Montant HT facturé (lignes au centime)", EURO),
            Column("Écart d'arrondi", EURO4),
        ],
        (
            [
                zones.get(zone, zone) if zone else "(sans zone)",
                REASON_LABELS.get(reason, reason),
                "oui" if reason in CHARGED else "non",
                n,
                int(duration),
                int(billable),
                amount,
                invoiced.get((zone, reason), Decimal("0.00")),
                invoiced.get((zone, reason), Decimal("0.00")) - amount,
            ]
            for zone, reason, n, duration, billable, amount in month.billed.usage_summary
        ),
        max_rows=month.max_rows,
        full_data="rated_calls.parquet",
        heading=month.heading,
        totals=(3, 4, 5, 6, 7, 8),
    )


def _fair_use_sheet(wb: Any, month: _Month) -> None:
    add_sheet(
        wb,
        "Fair-use",
        _mapped(FAIR_USE.names),
        (
            [
                french.breaches(v) if c == "breaches" else v
                for c, v in zip(FAIR_USE.names, r, strict=True)
            ]
            for r in arrow_rows(month.billed.fair_use)
        ),
        max_rows=month.max_rows,
        full_data="fair_use.csv",
        heading=month.heading,
    )


def _rejets_sheet(wb: Any, month: _Month) -> None:
    reject_rows = (
        [
            REJECT_LABELS.get(v, v)
            if c == "reason"
            else french.reject_detail(v)
            if c == "detail"
            else v
            for c, v in zip(REJECTS.names, r, strict=True)
        ]
        for r in arrow_rows(month.billed.rejects)
    )
    add_sheet(
        wb,
        "Rejets",
        _mapped(REJECTS.names),
        reject_rows,
        max_rows=month.max_rows,
        full_data="rejects.csv",
        heading=month.heading,
    )


def _sla_sheet(wb: Any, month: _Month) -> None:
    add_sheet(
        wb,
        "SLA",
        _mapped(SLA.names),
        ([_sla_cell(row, c) for c in SLA.names] for row in month.billed.sla_rows),
        max_rows=month.max_rows,
        full_data="sla.csv",
        heading=month.heading,
    )


def _calls_sheet(
    wb: Any,
    month: _Month,
    calls: Sequence[Call],
    calls_total: int,
    calls_max_rows: int | None,
) -> None:
    calls_max_rows = min(calls_max_rows or CALLS_SHEET_MAX_ROWS, month.max_rows)
    fits = calls_total <= calls_max_rows - 1 and len(calls) == calls_total
    add_sheet(
        wb,
        CALLS_SHEET,
        [
            Column("Client"),
            Column("Compte SIP"),
            Column("Date et heure (Paris)", DATETIME),
            Column("Sens"),
            Column("Numéro appelé"),
            Column("Zone"),
            Column("Motif"),
            Column("Durée (secondes)", INTEGER),
            Column("Secondes facturées", INTEGER),
            Column("Montant HT", EURO4),
            Column("Identifiant d'appel"),
        ],
        (_call_row(c, month.zones) for c in calls) if fits else [],
        max_rows=calls_max_rows,
        # a list to read and filter on screen: printed, it would run to hundreds of pages
        heading=f"{month.heading} - liste à consulter à l'écran, non destinée à l'impression",
        note=None
        if fits
        else (
            f"Les {calls_total} appels détaillés du mois dépassent les {calls_max_rows - 1} "
            "lignes prévues pour cette feuille : ils sont dans les fichiers itemised/{client}.csv "
            "(un fichier par client)"
        ),
    )


def _glossaire_sheet(wb: Any, month: _Month) -> None:
    add_sheet(
        wb,
        "Glossaire",
        [Column("Terme", width=34, wrap=True), Column("Signification", width=90, wrap=True)],
        glossary_rows(month.billed),
        heading=month.heading,
    )


def _zones(billed: MonthDocuments) -> dict[str, str]:
    """zone code -> its French label from the rate book (the code when there is none)."""
    if billed.reference is None:
        return {}
    return zone_labels(billed.reference["ref_destinations"].rows)


def _sla_cell(row: dict[str, Any], column: str) -> Any:
    """A cell of the SLA sheet: statuses and details in French, seconds as a number."""
    value = row.get(column)
    if column == "claim_status":
        return french.CLAIM_STATUS_LABELS.get(value, value) or None
    if column == "claim_detail":
        return french.claim_detail(row)
    if column == "downtime_seconds" and isinstance(value, str) and value:
        return Decimal(value)
    return value


def _accounts(billed: MonthDocuments) -> dict[str, tuple[str, str]]:
    provider = billed.reference.provider if billed.reference is not None else {}
    return provider.get("accounts") or DEFAULT_ACCOUNTS


def glossary_rows(billed: MonthDocuments) -> list[list[str]]:
    rows = [
        [
            "Synthèse",
            "Totaux du mois : factures et avoirs par taux de TVA (HT, TVA, TTC), "
            "numéros émis, rapprochement des appels lus, valorisés, doublons et rejetés, chiffre "
            "d'affaires HT par nature avec son graphique.",
        ],
        ["Factures", "Une ligne par facture émise pour le mois (fichier invoices.csv)."],
        ["Lignes", "Une ligne par ligne de facture (fichier invoice_lines.csv)."],
        [
            "Avoirs",
            "Avoirs émis dans ce traitement : crédits SLA sur réclamation (credit_notes.csv).",
        ],
        [
            "Consommations",
            "Appels valorisés du mois regroupés par zone et motif, facturés ou non "
            "(rated_calls.parquet) : la somme des montants à 4 décimales des appels, le montant "
            "facturé (les lignes de facture, arrondies au centime par compte SIP, zone et motif) "
            "et l'écart d'arrondi entre les deux.",
        ],
        [
            "Fair-use",
            "Comptes SIP qui ont dépassé une limite d'usage raisonnable du forfait "
            "illimité (fair_use.csv).",
        ],
        ["Rejets", "Lignes d'appels écartées avec leur motif : doublons et rejets (rejects.csv)."],
        ["SLA", "Disponibilité du service par client et réclamations traitées (sla.csv)."],
        [
            CALLS_SHEET,
            f"Dans le fichier {calls_file(billed.month)}, à côté de ce classeur (une liste à "
            "consulter et filtrer à l'écran, non destinée à l'impression) : facture détaillée, "
            "appels facturés et appels inclus dans le forfait, tous clients, comme les fichiers "
            "itemised/{client}.csv. Les appels gratuits, entrants et non aboutis n'y figurent "
            "pas. Les quatre derniers chiffres des numéros sont masqués sauf demande du client.",
        ],
        ["HT / TVA / TTC", "Hors taxes / taxe sur la valeur ajoutée / toutes taxes comprises."],
        [
            "Autoliquidation",
            "Client d'un autre pays de l'UE avec un numéro de TVA : la TVA est due "
            "par le client (art. 283-2 du CGI, art. 196 de la directive 2006/112/CE).",
        ],
        [
            "TVA non applicable, art. 259 B du CGI",
            "Client hors de l'Union européenne : pas de TVA française.",
        ],
        ["CDR", "Enregistrement d'un appel (Call Detail Record) reçu de la plateforme."],
        ["Compte SIP", "Ligne téléphonique sur IP d'un client."],
        ["Zone", "Destination tarifaire du numéro appelé (plus long préfixe de destinations.csv)."],
        [
            "FEC",
            f"Fichier des écritures comptables (art. A47 A-1 du LPF), journal {JOURNAL_CODE} "
            f"({JOURNAL_LIB}) : {CUSTOMER_ACCOUNT[0]} {CUSTOMER_ACCOUNT[1]} au débit ; au "
            "crédit les produits par nature de ligne ("
            + ", ".join(
                f"{KIND_LABELS.get(kind, kind).lower()} {number}"
                for kind, (number, _) in _accounts(billed).items()
            )
            + f") et {VAT_ACCOUNT[0]} {VAT_ACCOUNT[1]} ; les avoirs à l'inverse.",
        ],
        [
            "Montants",
            "Montants en euros ; chaque ligne de facture est arrondie au centime, "
            "chaque appel au dix-millième d'euro (arrondi au plus proche, 0,5 vers le haut).",
        ],
    ]
    rows += [
        [f"Nature : {label}", f"Code {code} dans invoice_lines.csv"]
        for code, label in KIND_LABELS.items()
    ]
    rows += [
        [f"Motif : {label}", f"Code {code} (rated_calls.parquet, invoice_lines.csv)"]
        for code, label in REASON_LABELS.items()
    ]
    rows += [
        [f"Rejet : {label}", f"Code {code} dans rejects.csv"]
        for code, label in REJECT_LABELS.items()
    ]
    return rows
