"""The workbook in French (issue 17): labels for the codes and English details of the
data-contract files, which keep their codes (machines read them; docs/exports.md).

- SLA: each claim status of sla.csv and its detail;
- rejects: each detail of rejects.csv (the reason has its label in REJECT_LABELS);
- fair use: the limits broken (`breaches`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

CLAIM_STATUS_LABELS = {
    "credited": "Avoir émis",
    "tier_0": "Pas d'avoir : disponibilité d'au moins 99,85 %",
    "not_eligible": "Pas d'avoir : client non éligible au SLA",
    "no_invoice": "Pas d'avoir : aucune facture pour ce mois",
    "already_credited": "Pas d'avoir : mois déjà crédité",
    "no_telephony_charges": "Pas d'avoir : aucun abonnement téléphonie facturé",
    "service_month_not_before_claim": "Pas d'avoir : mois de service non antérieur à la réclamation",
}
BREACH_LABELS = {
    "DISTINCT_NUMBERS": "plus de 150 numéros distincts",
    "CONCURRENT_CALLS": "plus de 3 appels simultanés",
    "DEVICES": "plus de 3 terminaux enregistrés en même temps",
    "FORWARDING": "renvois au-delà des 2 h comprises",
}


def claim_detail(row: dict[str, Any]) -> str | None:
    """The claim's detail in French, from the row of sla.csv."""
    status = row.get("claim_status")
    if not status:
        return None
    month, invoice = row.get("service_month"), row.get("original_invoice_number")
    details = {
        "credited": f"avoir {row.get('credit_note_number')} sur la facture {invoice}",
        "tier_0": "disponibilité d'au moins 99,85 % : aucun avoir (R51)",
        "not_eligible": (
            "le client n'a pas commandé son accès, ses terminaux et son routeur auprès de "
            "l'opérateur (article 7)"
        ),
        "no_invoice": f"aucune facture émise au client pour {month}",
        "already_credited": "le mois de service a déjà fait l'objet d'un avoir",
        "no_telephony_charges": f"la facture {invoice} ne porte aucun abonnement téléphonie (R51)",
        "service_month_not_before_claim": (
            f"un avoir porte sur un mois antérieur à celui de la réclamation ({month}, R52)"
        ),
    }
    return details.get(status, row.get("claim_detail") or None)


def _date(text: str) -> str:
    year, month, day = text.split("-")
    return f"{day}/{month}/{year}"


# rejects.csv details (sql/staging/stg_cdr_fields.sql, stg_cdrs.sql, sql/rating/rejects.sql)
_REJECT_DETAILS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"has (\d+) fields, the header has (\d+)"),
        lambda m: f"{m[1]} champs, l'en-tête en a {m[2]}",
    ),
    (re.compile(r"cdr_id is empty"), lambda m: "identifiant d'appel vide"),
    (re.compile(r"sip_account is empty"), lambda m: "compte SIP vide"),
    (
        re.compile(r"direction must be out, in or fwd"),
        lambda m: "sens de l'appel inconnu (out, in ou fwd attendu)",
    ),
    (
        re.compile(r"start_time is not an ISO 8601 timestamp"),
        lambda m: "heure de début illisible (date et heure ISO 8601 attendues)",
    ),
    (re.compile(r"duration_s is not a whole number"), lambda m: "durée non entière"),
    (
        re.compile(r"line of (\d+) characters, longer than any CDR \(65,536\)"),
        lambda m: f"ligne de {m[1]} caractères, plus longue qu'un appel (65 536)",
    ),
    (
        re.compile(r"first seen in (\S+) row (\d+)"),
        lambda m: f"déjà lu dans {m[1]}, enregistrement {m[2]}",
    ),
    (re.compile(r"already billed in (\d{4}-\d{2})"), lambda m: f"déjà facturé en {m[1]}"),
    (
        re.compile(r"duration_s is (-?\d+), over the (\d+) s of max_call_duration_s.*"),
        lambda m: f"durée de {m[1]} s, au-delà du maximum de {m[2]} s (max_call_duration_s)",
    ),
    (re.compile(r"duration_s is (-?\d+)"), lambda m: f"durée de {m[1]} s"),
    (
        re.compile(r"starts (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d+), outside the month"),
        lambda m: f"commence le {_date(m[1])} à {m[2]} ({m[3]}), hors du mois facturé",
    ),
    (
        re.compile(r"sip_account (.*) is not in sip_accounts.csv"),
        lambda m: f"compte SIP {m[1]} absent de sip_accounts.csv",
    ),
    (
        re.compile(r"callee empty is not a valid number \(R11\)"),
        lambda m: "numéro appelé vide (R11)",
    ),
    (
        re.compile(r"callee (.*) is not a valid number \(R11\)"),
        lambda m: f"numéro appelé {m[1]} invalide (R11)",
    ),
    (
        re.compile(r"no prefix of destinations.csv starts (\S+) \(R12\)"),
        lambda m: f"aucun préfixe de destinations.csv pour {m[1]} (R12)",
    ),
]


def reject_detail(detail: str | None) -> str | None:
    """A detail of rejects.csv in French (unknown ones as they are)."""
    if not detail:
        return detail
    for pattern, french in _REJECT_DETAILS:
        match = pattern.fullmatch(detail)
        if match:
            return french(match)
    return detail


def breaches(codes: str | None) -> str | None:
    """'DISTINCT_NUMBERS;FORWARDING' -> 'plus de 150 numéros distincts ; renvois au-delà...'."""
    if not codes:
        return codes
    return " ; ".join(BREACH_LABELS.get(c, c) for c in codes.split(";") if c)
