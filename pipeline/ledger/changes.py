"""Inputs of issued months that changed since they were issued (R65): `billing bill` of a
later month warns, one line per month, so that finance runs `make correct` for it.

Compared with the month's latest manifest (its own, or its latest correction's): the CDR
files of data/cdrs/M/ (added, removed or changed: their sha256), and the tariff rows valid in
M (a row of rates/tariffs.csv with valid_from on or before M's last day that the archived
tariffs.csv did not hold). Reference data changes every month (a new customer, a notice
given) and is not warned about.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pipeline.core.data_contract import TARIFFS
from pipeline.core.dates import Month
from pipeline.core.language import say
from pipeline.inputs.cdrs import month_files
from pipeline.ledger import manifest, store
from pipeline.ledger.archive import blob_path


def _latest_record(out: Path, month: Month) -> tuple[Path, dict[str, Any]]:
    folders = [out / str(month), *store.issued_corrections(out, month)]
    return folders[-1], manifest.read(folders[-1])


def _archived_tariffs(folder: Path, record: dict[str, Any]) -> set[tuple[str, str]] | None:
    item = next(
        (
            i
            for i in record.get("inputs", [])
            if (i["folder"], i["path"]) == ("rates", TARIFFS.name)
        ),
        None,
    )
    blob = blob_path(folder, item["sha256"]) if item else None
    if blob is None or not blob.exists():
        return None
    rows = csv.DictReader(io.StringIO(blob.read_text(encoding="utf-8")))
    return {(r["zone"].strip(), r["valid_from"].strip()) for r in rows}


def changed_inputs(out: Path, data: Path, tariffs: list[dict[str, Any]]) -> list[str]:
    """One warning per issued month whose CDR files or tariff rows changed since it was
    issued (or last corrected). `tariffs`: the rows of the current rate book."""
    warnings = []
    for month in store.issued_months(out):
        folder, record = _latest_record(out, month)
        prefix = f"cdrs/{month}/"
        recorded = {
            i["path"]: i["sha256"]
            for i in record.get("inputs", [])
            if i["folder"] == "data" and i["path"].startswith(prefix)
        }
        current = {
            p.relative_to(data).as_posix(): p
            for p in month_files(data, "cdrs", str(month), required=False)
        }
        added = sorted(current.keys() - recorded.keys())
        removed = sorted(recorded.keys() - current.keys())
        changed = sorted(
            name
            for name in current.keys() & recorded.keys()
            if manifest.sha256(current[name]) != recorded[name]
        )
        verbs = (
            (added, "ajouté(s)", "added"),
            (removed, "supprimé(s)", "removed"),
            (changed, "modifié(s)", "changed"),
        )
        what = [
            say(f"{len(names)} fichier(s) CDR {fr} ", f"{len(names)} CDR file(s) {en} ")
            + f"({', '.join(n.removeprefix(prefix) for n in names[:3])})"
            for names, fr, en in verbs
            if names
        ]
        archived = _archived_tariffs(folder, record)
        if archived is not None:
            valid = {
                (r["zone"], r["valid_from"].isoformat())
                for r in tariffs
                if r["valid_from"] <= month.last_day
            }
            new_rows = sorted(valid - archived)
            if new_rows:
                since = say("depuis le", "from")
                rows = ", ".join(f"{z} {since} {d}" for z, d in new_rows[:3])
                what.append(
                    say(
                        f"{len(new_rows)} ligne(s) de tarif en vigueur dans le mois ajoutée(s) "
                        f"({rows})",
                        f"{len(new_rows)} tariff row(s) valid in the month added ({rows})",
                    )
                )
        if what:
            warnings.append(
                say(
                    f"{month} a été émis à partir d'autres entrées : {' ; '.join(what)} ; ses "
                    f"factures ne changent pas : lancez `make correct MONTH={month}` pour "
                    "facturer ou rembourser la différence",
                    f"{month} was issued from other inputs: {'; '.join(what)}; its invoices are "
                    f"not changed: run `make correct MONTH={month}` to bill or refund the "
                    "difference",
                )
            )
    return warnings
