"""An issued month against its recomputation: the one comparator of re-runs (R64,
`month_differences`: the data-contract files) and audits (`compare_months`: every file, and
the manifest's counts). Invoices and their lines are compared by customer and line,
rated_calls.parquet by content, the itemised bills by call, the FEC by entry, the workbook by
cell, the other files by row."""

from __future__ import annotations

import csv
import filecmp
import json
import re
from pathlib import Path
from typing import Any

import duckdb
from lxml import etree
from openpyxl import load_workbook

from pipeline.core.data_contract import (
    CALLS_WORKBOOK,
    CORRECTIONS_DIR,
    INVOICE_LINES,
    RATED_CALLS,
    RATED_CALLS_WITH_RATING_FACTS,
)
from pipeline.core.language import say
from pipeline.exports.documents import DOCUMENTS_DIR
from pipeline.exports.einvoice.check import embedded_xml
from pipeline.exports.fec import ENCODING, SEPARATOR
from pipeline.exports.workbook import CALLS_SHEET
from pipeline.ledger.archive import ARCHIVE_DIR
from pipeline.ledger.manifest import sha256

# Files compared when a month is billed again (R64). The manifest (it names the code version)
# and the workbook (a rendering of these files) are not.
ISSUED_FILES = (
    "invoices.csv",
    "invoice_lines.csv",
    "credit_notes.csv",
    "sla.csv",
    "rejects.csv",
    "fair_use.csv",
    "rated_calls.parquet",
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def keyed(
    rows: list[dict[str, str]], key: tuple[str, ...]
) -> dict[tuple[str, ...], dict[str, str]]:
    """Rows by key (by 1-based row number when `key` is empty); rows sharing a key are told
    apart by their rank: (..., '0'), (..., '1')."""
    result: dict[tuple[str, ...], dict[str, str]] = {}
    for index, row in enumerate(rows, start=1):
        base = tuple(row.get(k, "") for k in key) if key else (str(index),)
        rank = 0
        while (*base, str(rank)) in result:
            rank += 1
        result[(*base, str(rank))] = row
    return result


def _field_changes(old: dict[str, str], new: dict[str, str], skip: tuple[str, ...] = ()) -> str:
    names = [c for c in dict.fromkeys([*old, *new]) if c not in skip]
    return ", ".join(
        f"{c} {old.get(c, '')!r} -> {new.get(c, '')!r}" for c in names if old.get(c) != new.get(c)
    )


MAX_PER_FILE = 20
# manifest entries compared by an audit (the code version and input hashes are reported apart)
MANIFEST_KEYS = ("reconciliation", "row_counts", "cdr_files", "numbers", "correction")
LINE_KEY = ("customer_id", "kind", "reference", "zone", "reason", "period_start")
MAX_REPORTED = 50


# --- months issued before the lot presentation of usage lines (R63 amended, issue 26) ---------
# Their invoice_lines.csv has no `unit` nor `calls` column (the data contract's
# INVOICE_LINES_WITH_CALLS_AS_QUANTITY): a usage line's quantity was its calls, its unit price
# the per-minute price, its description without the price. Today's code presents the same
# lines otherwise; an audit or a re-run compares them on their figures and says so once.
PRESENTATION_COLUMNS = ("quantity", "unit", "unit_price", "description")
LEGACY_SHEETS = ("Lignes",)  # workbook sheets that show the presentation: not compared


def legacy_presentation(folder: Path) -> bool:
    """The folder's invoice_lines.csv was written before the lot presentation (no `unit`)."""
    path = folder / INVOICE_LINES.name
    if not path.exists():
        return False
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    return "unit" not in header


def _legacy(issued: Path, fresh: Path) -> bool:
    return legacy_presentation(issued) and not legacy_presentation(fresh)


def presentation_notes(issued: Path, fresh: Path) -> list[str]:
    """The note of an audit or re-run of a month issued under the earlier line presentation."""
    if not _legacy(issued, fresh):
        return []
    return [
        say(
            "lignes émises avant la présentation des consommations en lot (R63 amendée) : "
            "comparées sur leurs chiffres (nature, référence, zone, motif, appels, secondes "
            "facturées, montant HT, totaux, TVA) ; leurs quantité, unité, prix unitaire et "
            "libellé, la feuille Lignes des classeurs et le rendu des documents suivent la "
            "présentation d'alors et n'ont pas été comparés",
            "lines issued before usage lines were presented as one lot (R63 amended): compared "
            "on their figures (kind, reference, zone, reason, calls, billable seconds, amount "
            "HT, totals, VAT); their quantity, unit, unit price and description, the workbooks' "
            "Lignes sheet and the documents' rendering follow the earlier presentation and "
            "were not compared",
        )
    ]


def _figures(row: dict[str, str], legacy: bool) -> dict[str, str]:
    """A line without its presentation: an earlier usage line's calls were its quantity."""
    figures = {k: v for k, v in row.items() if k not in PRESENTATION_COLUMNS}
    if legacy:
        figures["calls"] = row.get("quantity", "") if row.get("kind") == "usage" else ""
    return figures


def _lines(path: Path, key: tuple[str, ...], figures: bool) -> dict[tuple[str, ...], dict]:
    rows = read_csv(path)
    if figures:
        legacy = legacy_presentation(path.parent)
        rows = [_figures(r, legacy) for r in rows]
    return keyed(rows, key)


def _document_differences(issued: Path, fresh: Path) -> list[str]:
    """Invoices and their lines, by customer and line (R64); the lines of a month issued
    under the earlier presentation by their figures (`presentation_notes`)."""
    out: list[str] = []
    old_inv = {r["customer_id"]: r for r in read_csv(issued / "invoices.csv")}
    new_inv = {r["customer_id"]: r for r in read_csv(fresh / "invoices.csv")}
    for cid in sorted(old_inv.keys() | new_inv.keys()):
        a, b = old_inv.get(cid), new_inv.get(cid)
        if a is None:
            out.append(
                say(
                    f"client {cid} : aucune facture émise, le recalcul en donne une "
                    f"(total_ht {b['total_ht']})",
                    f"customer {cid}: no invoice was issued, the recomputation gives one "
                    f"(total_ht {b['total_ht']})",
                )
            )
        elif b is None:
            out.append(
                say(
                    f"client {cid} : facture {a['invoice_number']} émise, le recalcul n'en "
                    "donne aucune",
                    f"customer {cid}: invoice {a['invoice_number']} was issued, the "
                    "recomputation gives none",
                )
            )
        elif a != b:
            out.append(
                say(
                    f"client {cid} : facture {a['invoice_number']} : {_field_changes(a, b)}",
                    f"customer {cid}: invoice {a['invoice_number']}: {_field_changes(a, b)}",
                )
            )
    figures = _legacy(issued, fresh)
    old_lines = _lines(issued / "invoice_lines.csv", LINE_KEY, figures)
    new_lines = _lines(fresh / "invoice_lines.csv", LINE_KEY, figures)

    def label(row: dict[str, str]) -> str:
        parts = [
            row.get("kind", ""),
            row.get("reference", ""),
            row.get("zone", ""),
            row.get("reason", ""),
        ]
        return " ".join(p for p in parts if p)

    for key in sorted(old_lines.keys() | new_lines.keys()):
        a, b = old_lines.get(key), new_lines.get(key)
        if a is None:
            out.append(
                say(
                    f"client {key[0]} : nouvelle ligne {label(b)} : amount_ht {b['amount_ht']} "
                    f"({b.get('description', '')})",
                    f"customer {key[0]}: new line {label(b)}: amount_ht {b['amount_ht']} "
                    f"({b.get('description', '')})",
                )
            )
        elif b is None:
            line = f"{a['invoice_number']}/{a['line_no']} {label(a)}"
            out.append(
                say(
                    f"client {key[0]} : la ligne {line} n'est plus calculée "
                    f"(amount_ht {a['amount_ht']})",
                    f"customer {key[0]}: line {line} is no longer computed "
                    f"(amount_ht {a['amount_ht']})",
                )
            )
        else:
            changes = _field_changes(a, b, skip=("invoice_number", "line_no"))
            if changes:
                line = f"{a['invoice_number']}/{a['line_no']} {label(a)}"
                out.append(
                    say(
                        f"client {key[0]} : ligne {line} : {changes}",
                        f"customer {key[0]}: line {line}: {changes}",
                    )
                )
    return out


def _compared_columns(issued: list[str], recomputed: list[str]) -> str | None:
    """The columns of rated_calls.parquet an audit compares, as a select list: all of them
    when both files have the same; the recomputed ones when the issued file is one of the
    months issued before issue 18's decision 2 (2026-12-03), whose file kept more facts per
    call (contract.RATED_CALLS_WITH_RATING_FACTS) and today's code writes the contract's
    columns only (contract.RATED_CALLS). None: the files cannot be compared."""
    if issued == recomputed:
        return "*"
    if list(issued) == list(RATED_CALLS_WITH_RATING_FACTS) and list(recomputed) == list(
        RATED_CALLS.names
    ):
        return ", ".join(recomputed)
    return None


def rated_calls_differences(a: Path, b: Path) -> list[str]:
    """rated_calls.parquet compared by content: other bytes with the same rows (a new DuckDB
    writing other metadata) are not a difference."""
    params = {"a": str(a), "b": str(b)}
    con = duckdb.connect(":memory:")
    try:
        cols_a = [
            r[0]
            for r in con.execute(
                "describe select * from read_parquet($a)", {"a": str(a)}
            ).fetchall()
        ]
        cols_b = [
            r[0]
            for r in con.execute(
                "describe select * from read_parquet($b)", {"b": str(b)}
            ).fetchall()
        ]
        columns = _compared_columns(cols_a, cols_b)
        if columns is None:
            return [
                say(
                    f"rated_calls.parquet : colonnes émises {cols_a}, recalculées {cols_b}",
                    f"rated_calls.parquet: columns issued {cols_a}, recomputed {cols_b}",
                )
            ]
        a_rows = f"select {columns} from read_parquet($a)"
        b_rows = f"select {columns} from read_parquet($b)"
        counts = con.execute(
            "select (select count(*) from read_parquet($a)), (select count(*) from read_parquet($b))",
            params,
        ).fetchone()
        changed, gone = con.execute(
            f"select (select count(*) from ({b_rows} except all {a_rows})), "
            f"(select count(*) from ({a_rows} except all {b_rows}))",
            params,
        ).fetchone()
        added = [
            r[0]
            for r in con.execute(
                "select cdr_id from read_parquet($b) except select cdr_id from read_parquet($a) "
                "order by 1 limit 10",
                params,
            ).fetchall()
        ]
    finally:
        con.close()
    if counts[0] == counts[1] and changed == 0 and gone == 0:
        return []
    text = say(
        f"rated_calls.parquet : {counts[0]} appel(s) valorisé(s) émis, {counts[1]} recalculé(s), "
        f"{changed} ligne(s) recalculée(s) différente(s) de l'émis",
        f"rated_calls.parquet: {counts[0]} rated call(s) issued, {counts[1]} recomputed, "
        f"{changed} recomputed row(s) not as issued",
    )
    if added:
        ids = ", ".join(map(str, added))
        text += say(f" (nouveaux cdr_id : {ids})", f" (new cdr_id: {ids})")
    return [text]


def month_differences(issued: Path, fresh: Path) -> list[str]:
    """R64: differences between an issued month and its recomputation, by customer and line
    for the invoices, by row for the other files."""
    differences = []
    same = {
        name: (issued / name).exists() and filecmp.cmp(issued / name, fresh / name, shallow=False)
        for name in ISSUED_FILES
    }
    if not (same["invoices.csv"] and same["invoice_lines.csv"]):
        differences += _document_differences(issued, fresh)
    for name in ISSUED_FILES:
        if same[name] or name in ("invoices.csv", "invoice_lines.csv"):
            continue
        a, b = issued / name, fresh / name
        if not a.exists() and not b.exists():
            continue  # a correction has no sla.csv nor fair_use.csv
        if not a.exists():
            differences.append(
                say(f"{name} : absent du mois émis", f"{name}: missing from the issued month")
            )
        elif name == "rated_calls.parquet":
            differences += rated_calls_differences(a, b)
        else:
            old, new = read_csv(a), read_csv(b)
            removed = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            differences.append(
                say(
                    f"{name} : {len(removed)} ligne(s) émise(s) différente(s), {len(added)} "
                    "nouvelle(s) ligne(s)",
                    f"{name}: {len(removed)} issued row(s) differ, {len(added)} new row(s)",
                )
            )
            issued_, again = (
                say("  émis :     ", "  issued:     "),
                say("  recalculé : ", "  recomputed: "),
            )
            differences += [f"{issued_}{','.join(r.values())}" for r in removed[:10]]
            differences += [f"{again}{','.join(r.values())}" for r in added[:10]]
    if len(differences) > MAX_REPORTED:
        more = len(differences) - MAX_REPORTED
        differences = differences[:MAX_REPORTED] + [
            say(f"... et {more} autres", f"... and {more} more")
        ]
    return differences


def issued_files_intact(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Issued files still have the hash the manifest recorded when the month was issued."""
    recorded = manifest.get("outputs", {})
    problems = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "manifest.json":
            continue
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(ARCHIVE_DIR + "/"):
            continue  # inputs: checked against the manifest's inputs by restore_inputs
        digest = recorded.get(rel)
        if digest is not None and digest != sha256(path):
            problems.append(
                say(
                    f"{rel} : le fichier émis ne correspond plus à son empreinte relevée",
                    f"{rel}: the issued file no longer matches its recorded hash",
                )
            )
    return problems


# --- comparison ------------------------------------------------------------------------------


def compare_months(issued: Path, fresh: Path, notes: list[str] | None = None) -> list[str]:
    """Every difference between an issued month folder and its recomputation; what is worth
    saying but is not a difference is added to `notes` (a workbook laid out otherwise, the
    call detail of a month issued before it had its own file)."""
    notes = [] if notes is None else notes
    differences = list(month_differences(issued, fresh))
    legacy = _legacy(issued, fresh)
    moved = _calls_moved_out(issued, fresh)
    covered = set(ISSUED_FILES) | {"manifest.json"}
    names = sorted(
        {p.relative_to(issued).as_posix() for p in issued.rglob("*") if p.is_file()}
        | {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
    )
    for name in names:
        if name in covered or name.startswith((ARCHIVE_DIR + "/", CORRECTIONS_DIR + "/")):
            continue  # inputs are checked by restore_inputs; corrections by their own audit
        a, b = issued / name, fresh / name
        if name in moved:
            notes.append(
                say(
                    f"{name} : non émis : le détail des appels était alors la feuille "
                    f"{CALLS_SHEET!r} de {moved[name]}, comparée avec lui cellule par cellule",
                    f"{name}: not issued: the call detail was then the sheet {CALLS_SHEET!r} of "
                    f"{moved[name]}, compared with it cell by cell",
                )
            )
            differences += _workbook_differences(
                name, issued / moved[name], b, notes, (CALLS_SHEET,)
            )
        elif not a.exists():
            differences.append(
                say(
                    f"{name} : non émis, le recalcul l'écrit",
                    f"{name}: not issued, the recomputation writes it",
                )
            )
        elif not b.exists():
            differences.append(
                say(
                    f"{name} : émis, le recalcul ne l'écrit plus",
                    f"{name}: issued, the recomputation no longer writes it",
                )
            )
        elif filecmp.cmp(a, b, shallow=False):
            continue
        elif name.startswith("itemised/"):
            differences += _csv_by_key(name, a, b, ("cdr_id",))
        elif name.startswith(DOCUMENTS_DIR + "/") and name.endswith(".pdf"):
            differences += _einvoice_differences(name, a, b, legacy)
        elif "FEC" in name and name.endswith(".txt"):
            differences += _fec_differences(name, a, b)
        elif name.endswith(".xlsx") and name in moved.values():
            notes.append(
                say(
                    f"{name} : émis avec le détail des appels en feuille {CALLS_SHEET!r} (avant "
                    "l'issue 26) ; ses autres feuilles comparées sans les lignes qui le nomment",
                    f"{name}: issued with the call detail as its sheet {CALLS_SHEET!r} (before "
                    "issue 26); its other sheets compared without the rows that name the call "
                    "detail",
                )
            )
            differences += _workbook_differences(
                name, a, b, notes, calls_moved=True, skip=LEGACY_SHEETS if legacy else ()
            )
        elif name.endswith(".xlsx"):
            differences += _workbook_differences(
                name, a, b, notes, skip=LEGACY_SHEETS if legacy else ()
            )
        elif name.endswith(".csv"):
            differences += _csv_by_key(name, a, b, (), ("description",) if legacy else ())
        else:
            differences.append(say(f"{name} : contenu différent", f"{name}: content differs"))
    if not filecmp.cmp(
        issued / "rated_calls.parquet", fresh / "rated_calls.parquet", shallow=False
    ):
        differences += _rated_call_changes(
            issued / "rated_calls.parquet", fresh / "rated_calls.parquet"
        )
    differences += _manifest_differences(issued / "manifest.json", fresh / "manifest.json")
    return differences


def _rated_call_changes(a: Path, b: Path) -> list[str]:
    """The rated calls whose columns changed, by cdr_id (the counts are in R64's report)."""
    con = duckdb.connect(":memory:")
    try:
        names = {
            t: [
                r[0]
                for r in con.execute(
                    "describe select * from read_parquet($p)", {"p": str(p)}
                ).fetchall()
            ]
            for t, p in (("a", a), ("b", b))
        }
        columns = _compared_columns(names["a"], names["b"]) or "*"
        con.execute(f"create table a as select {columns} from read_parquet($p)", {"p": str(a)})
        con.execute(f"create table b as select {columns} from read_parquet($p)", {"p": str(b)})
        columns = {
            t: [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_name = $t "
                    "order by ordinal_position",
                    {"t": t},
                ).fetchall()
            ]
            for t in ("a", "b")
        }
        shared = [c for c in columns["a"] if c in columns["b"] and c != "cdr_id"]
        changed = con.execute(
            "select a.cdr_id, to_json(a), to_json(b) from a join b using (cdr_id) "
            "where to_json(a) <> to_json(b) order by a.cdr_id limit $n",
            {"n": MAX_PER_FILE},
        ).fetchall()
    finally:
        con.close()
    found = []
    for cdr_id, old, new in changed:
        old_row, new_row = json.loads(old), json.loads(new)
        fields = ", ".join(
            f"{c} {old_row.get(c)!r} -> {new_row.get(c)!r}"
            for c in shared
            if old_row.get(c) != new_row.get(c)
        )
        found.append(
            f"rated_calls.parquet{say(' : ', ': ')}cdr_id {cdr_id}{say(' : ', ': ')}{fields}"
        )
    return found


def _limited(name: str, found: list[str]) -> list[str]:
    if len(found) > MAX_PER_FILE:
        more = len(found) - MAX_PER_FILE
        found = found[:MAX_PER_FILE] + [
            say(f"{name} : ... et {more} autres", f"{name}: ... and {more} more")
        ]
    return found


def _dropped(name: str, label: str) -> str:
    return say(
        f"{name} : {label} a été émis, le recalcul ne le donne plus",
        f"{name}: {label} was issued, the recomputation drops it",
    )


def _changed(name: str, label: str, fields: str) -> str:
    return say(f"{name} : {label} : {fields}", f"{name}: {label}: {fields}")


def _csv_by_key(
    name: str, a: Path, b: Path, key: tuple[str, ...], skip: tuple[str, ...] = ()
) -> list[str]:
    def rows(path: Path) -> list[dict[str, str]]:
        return [{k: v for k, v in r.items() if k not in skip} for r in read_csv(path)]

    old, new = keyed(rows(a), key), keyed(rows(b), key)
    what = key[0] if key else say("ligne", "row")
    found = []
    for k in sorted(old.keys() | new.keys()):
        label = f"{what} {k[0]}"
        if k not in new:
            found.append(_dropped(name, label))
        elif k not in old:
            fields = _field_changes({}, new[k])
            found.append(
                say(
                    f"{name} : {label} est nouveau dans le recalcul ({fields})",
                    f"{name}: {label} is new in the recomputation ({fields})",
                )
            )
        elif old[k] != new[k]:
            found.append(_changed(name, label, _field_changes(old[k], new[k])))
    return _limited(name, found)


def read_fec(path: Path) -> list[dict[str, str]]:
    """The records of a FEC file as dicts (for the audit and tests)."""
    with open(path, encoding=ENCODING, newline="") as handle:
        records = [r.rstrip("\r\n").split(SEPARATOR) for r in handle if r.strip()]
    header, rows = records[0], records[1:]
    return [dict(zip(header, r, strict=True)) for r in rows]


_LINE_PRESENTATION = (
    "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct/ram:Name"
    " | //ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct"
    "/ram:ApplicableProductCharacteristic"
)
_RAM = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _without_line_presentation(xml: bytes | None) -> bytes | None:
    """factur-x.xml without its lines' names (BT-153) and attributes (BG-32): what the earlier
    presentation wrote otherwise. Quantities, units, prices and amounts stay."""
    if xml is None:
        return None
    root = etree.fromstring(xml)
    for element in root.xpath(_LINE_PRESENTATION, namespaces=_RAM):
        element.getparent().remove(element)
    return etree.tostring(root)


def _einvoice_differences(name: str, a: Path, b: Path, legacy: bool = False) -> list[str]:
    """R72: an e-invoice is compared by its XML (factur-x.xml); the same XML in other PDF
    bytes is a change of the rendering, said once. A document of a month issued under the
    earlier line presentation is compared without its lines' names and attributes, and its
    rendering is not reported (`presentation_notes` says it once)."""
    old, new = embedded_xml(a.read_bytes()), embedded_xml(b.read_bytes())
    if legacy and _without_line_presentation(old) == _without_line_presentation(new):
        return []
    if old == new:
        return [
            say(
                f"{name} : même factur-x.xml, les pages du PDF diffèrent (le rendu a changé)",
                f"{name}: the same factur-x.xml, the PDF's pages differ (rendering changed)",
            )
        ]
    old_lines = (old or b"").decode("utf-8", "replace").splitlines()
    new_lines = (new or b"").decode("utf-8", "replace").splitlines()
    line = say("ligne", "line")
    changed = [
        _changed(name, f"factur-x.xml {line} {i}", f"{x.strip()[:80]!r} -> {y.strip()[:80]!r}")
        for i, (x, y) in enumerate(zip(old_lines, new_lines, strict=False), start=1)
        if x != y
    ]
    if len(old_lines) != len(new_lines):
        changed.append(
            say(
                f"{name} : factur-x.xml a {len(old_lines)} lignes émises, {len(new_lines)} "
                "recalculées",
                f"{name}: factur-x.xml has {len(old_lines)} lines issued, {len(new_lines)} "
                "recomputed",
            )
        )
    return _limited(name, changed)


def _fec_differences(name: str, a: Path, b: Path) -> list[str]:
    def by_entry(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
        rows: dict[tuple[str, str, str], dict[str, str]] = {}
        for r in read_fec(path):
            rows[(r["EcritureNum"], r["PieceRef"], r["CompteNum"])] = r
        return rows

    old, new = by_entry(a), by_entry(b)
    found = []
    for k in sorted(old.keys() | new.keys()):
        label = say(
            f"écriture {k[0]} ({k[1]}) compte {k[2]}", f"entry {k[0]} ({k[1]}) account {k[2]}"
        )
        if k not in new:
            found.append(_dropped(name, label))
        elif k not in old:
            found.append(
                say(
                    f"{name} : {label} est nouvelle dans le recalcul",
                    f"{name}: {label} is new in the recomputation",
                )
            )
        elif old[k] != new[k]:
            found.append(_changed(name, label, _field_changes(old[k], new[k])))
    return _limited(name, found)


# the workbook's sheets that name the call detail (a row of each), and the file's own name
_NAMES_CALLS = ("Synthèse", "Glossaire")
_WORKBOOK_NAME = re.compile(r"billing_(\d{4}-\d{2})\.xlsx")


def _trimmed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def _calls_moved_out(issued: Path, fresh: Path) -> dict[str, str]:
    """A month issued before issue 26 has the call detail as a sheet of its workbook, today's
    code writes it to billing_YYYY-MM_appels.xlsx: {that file: the workbook} when so."""
    moved = {}
    for book in issued.glob("billing_*.xlsx"):
        match = _WORKBOOK_NAME.fullmatch(book.name)
        calls = CALLS_WORKBOOK.name.format(month=match.group(1)) if match else ""
        if match and not (issued / calls).exists() and (fresh / calls).exists():
            moved[calls] = book.name
    return moved


def _workbook_differences(
    name: str,
    a: Path,
    b: Path,
    notes: list[str],
    sheets: tuple[str, ...] = (),
    calls_moved: bool = False,
    skip: tuple[str, ...] = (),
) -> list[str]:
    """Two workbooks compared cell by cell (values; formats, widths, row heights and print
    settings are layout: a note when only they differ). `sheets`: only these sheets.
    `calls_moved`: `a` was issued with the call detail as a sheet (before issue 26), compared
    without it, and without the rows of the Synthèse and the Glossaire that name it. `skip`:
    sheets not compared (the Lignes sheet of a month issued before the lot presentation, R63),
    and then no note of other bytes either."""
    wa, wb = load_workbook(a, read_only=True), load_workbook(b, read_only=True)
    found = []
    try:
        names_a = [s for s in wa.sheetnames if not sheets or s in sheets]
        names_b = [s for s in wb.sheetnames if not sheets or s in sheets]
        if calls_moved:
            names_a = [s for s in names_a if s != CALLS_SHEET]
        if names_a != names_b:
            found.append(
                say(
                    f"{name} : feuilles {names_a} émises, {names_b} recalculées",
                    f"{name}: sheets {names_a} issued, {names_b} recomputed",
                )
            )
        for sheet in names_a:
            if sheet not in names_b or sheet in skip:
                continue
            # cell by cell: an empty cell is no cell (a row read back is as long as the
            # sheet's recorded width, which another writer records otherwise)
            rows_a = (_trimmed(r) for r in wa[sheet].iter_rows(values_only=True))
            rows_b = (_trimmed(r) for r in wb[sheet].iter_rows(values_only=True))
            if calls_moved and sheet in _NAMES_CALLS:
                rows_a = (r for r in rows_a if CALLS_SHEET not in r)
                rows_b = (r for r in rows_b if CALLS_SHEET not in r)
            number = 0
            while len(found) <= MAX_PER_FILE:
                number += 1
                ra, rb = next(rows_a, None), next(rows_b, None)
                if ra is None and rb is None:
                    break
                if ra != rb:
                    found.append(
                        say(
                            f"{name} : feuille {sheet} ligne {number} : {ra} -> {rb}",
                            f"{name}: sheet {sheet} row {number}: {ra} -> {rb}",
                        )
                    )
        if not found and not sheets and not skip and not filecmp.cmp(a, b, shallow=False):
            notes.append(
                say(
                    f"{name} : mêmes cellules, autres octets (formats, largeurs ou mise en page "
                    "modifiés)",
                    f"{name}: same cells, other bytes (formats, widths or print settings changed)",
                )
            )
    finally:
        wa.close()
        wb.close()
    return _limited(name, found)


def _manifest_differences(a: Path, b: Path) -> list[str]:
    old = json.loads(a.read_text(encoding="utf-8"))
    new = json.loads(b.read_text(encoding="utf-8"))
    was, now = say("émis", "issued"), say("recalculé", "recomputed")
    return [
        f"manifest.json{say(' : ', ': ')}{key}{say(' : ', ': ')}"
        f"{json.dumps(old.get(key), sort_keys=True)} {was}, "
        f"{json.dumps(new.get(key), sort_keys=True)} {now}"
        for key in MANIFEST_KEYS
        if old.get(key) != new.get(key)
    ]
