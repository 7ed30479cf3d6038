"""Reading one issued month's own files (`billing explain` of an issued month: exactly what
was invoiced, even if the data or the rate book changed since)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pipeline.core import data_contract as contract
from pipeline.rating.models import rated_call_rows


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def call_facts(
    folder: Path, cdr_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """(rated rows, reject rows, fair-use rows by SIP account) of `cdr_id` in the month."""
    rated = rated_call_rows(folder / contract.RATED_CALLS_FILE, cdr_id)
    rejected = [r for r in _csv(folder / contract.REJECTS.name) if r["cdr_id"] == cdr_id]
    fair_use = {r["sip_account"]: r for r in _csv(folder / contract.FAIR_USE.name)}
    return rated, rejected, fair_use


HISTORY = {
    "en": (
        "  correction {nn:02d} of {month} (dated {day}): {what}{billed} (R65-R66)",
        "added: not in the month's files when it was issued",
        "removed: no longer in the month's files",
        "rated again with the corrected inputs",
        ", billed by {docs}",
        ", no document",
    ),
    "fr": (
        "  correction {nn:02d} de {month} (datée du {day}) : {what}{billed} (R65-R66)",
        "ajouté : absent des fichiers du mois quand il a été facturé",
        "retiré : il n'est plus dans les fichiers du mois",
        "valorisé à nouveau avec les données corrigées",
        ", facturé par {docs}",
        ", aucun document",
    ),
}


def _contract_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rated rows cut to the columns every rated_calls.parquet has (contract.RATED_CALLS): a
    month issued before 2026-12-03 kept 11 more per call, a correction issued since does not,
    and the call is not "rated again" for that."""
    return [{c: r.get(c) for c in contract.RATED_CALLS.names} for r in rows]


def correction_history(
    folders: list[Path],
    cdr_id: str,
    rated: list[dict[str, Any]],
    rejected: list[dict[str, Any]],
    lang: str = "en",
) -> tuple[
    list[str],
    list[dict[str, Any]],
    list[dict[str, Any]],
    dict[str, dict[str, Any]] | None,
    Path | None,
]:
    """What the corrections of the month (their folders, in order) did to `cdr_id`: one line
    per correction that rated or rejected it otherwise than before, naming the correction and
    the customer's document; and the call's facts after the last of them (rated, rejected,
    fair use, and that correction's folder; None, None when no correction changed it)."""
    lines: list[str] = []
    fair_use = None
    last = None
    for folder in folders:
        now_rated = rated_call_rows(folder / contract.RATED_CALLS_FILE, cdr_id)
        now_rejected = [r for r in _csv(folder / contract.REJECTS.name) if r["cdr_id"] == cdr_id]
        if _contract_rows(now_rated) == _contract_rows(rated) and [
            dict(r) for r in now_rejected
        ] == [dict(r) for r in rejected]:
            continue
        record = json.loads((folder / contract.MANIFEST_FILE).read_text(encoding="utf-8"))
        entry = record["correction"]
        customers = {r.get("customer_id") for r in [*now_rated, *rated]}
        documents = [
            r[column]
            for name, column in (
                (contract.CORRECTION_INVOICES.name, "invoice_number"),
                (contract.CORRECTION_CREDIT_NOTES.name, "credit_note_number"),
            )
            for r in _csv(folder / name)
            if r["customer_id"] in customers
        ]
        line, added, removed, again, billed_by, no_document = HISTORY[lang]
        if not rated and not rejected:
            what = added
        elif not now_rated and not now_rejected:
            what = removed
        else:
            what = again
        billed = billed_by.format(docs=", ".join(documents)) if documents else no_document
        lines.append(
            line.format(
                nn=entry["number"],
                month=entry["month"],
                day=entry["date"],
                what=what,
                billed=billed,
            )
        )
        rated, rejected, last = now_rated, now_rejected, folder
        fair_use = {r["sip_account"]: r for r in _csv(folder / contract.FAIR_USE.name)} or None
    return lines, rated, rejected, fair_use, last
