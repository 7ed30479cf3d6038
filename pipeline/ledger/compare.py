"""An issued month against its recomputation (R64): shared by re-runs (pipeline.run) and
audits (pipeline.ledger.audit). Invoices and their lines are compared by customer and line,
rated_calls.parquet by content, the other files by row."""

from __future__ import annotations

import csv
import filecmp
from pathlib import Path

import duckdb

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


LINE_KEY = ("customer_id", "kind", "reference", "zone", "reason", "period_start")
MAX_REPORTED = 50


def _document_differences(issued: Path, fresh: Path) -> list[str]:
    """Invoices and their lines, by customer and line (R64)."""
    out: list[str] = []
    old_inv = {r["customer_id"]: r for r in read_csv(issued / "invoices.csv")}
    new_inv = {r["customer_id"]: r for r in read_csv(fresh / "invoices.csv")}
    for cid in sorted(old_inv.keys() | new_inv.keys()):
        a, b = old_inv.get(cid), new_inv.get(cid)
        if a is None:
            out.append(
                f"customer {cid}: no invoice was issued, the recomputation gives one "
                f"(total_ht {b['total_ht']})"
            )
        elif b is None:
            out.append(
                f"customer {cid}: invoice {a['invoice_number']} was issued, the "
                "recomputation gives none"
            )
        elif a != b:
            out.append(f"customer {cid}: invoice {a['invoice_number']}: {_field_changes(a, b)}")
    old_lines = keyed(read_csv(issued / "invoice_lines.csv"), LINE_KEY)
    new_lines = keyed(read_csv(fresh / "invoice_lines.csv"), LINE_KEY)

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
                f"customer {key[0]}: new line {label(b)}: amount_ht {b['amount_ht']} "
                f"({b['description']})"
            )
        elif b is None:
            out.append(
                f"customer {key[0]}: line {a['invoice_number']}/{a['line_no']} {label(a)} "
                f"is no longer computed (amount_ht {a['amount_ht']})"
            )
        else:
            changes = _field_changes(a, b, skip=("invoice_number", "line_no"))
            if changes:
                out.append(
                    f"customer {key[0]}: line {a['invoice_number']}/{a['line_no']} "
                    f"{label(a)}: {changes}"
                )
    return out


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
        if cols_a != cols_b:
            return [f"rated_calls.parquet: columns issued {cols_a}, recomputed {cols_b}"]
        counts = con.execute(
            "select (select count(*) from read_parquet($a)), (select count(*) from read_parquet($b))",
            params,
        ).fetchone()
        changed, gone = con.execute(
            "select (select count(*) from (select * from read_parquet($b) except all "
            "select * from read_parquet($a))), (select count(*) from (select * from "
            "read_parquet($a) except all select * from read_parquet($b)))",
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
    text = (
        f"rated_calls.parquet: {counts[0]} rated call(s) issued, {counts[1]} recomputed, "
        f"{changed} recomputed row(s) not as issued"
    )
    if added:
        text += f" (new cdr_id: {', '.join(map(str, added))})"
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
        if not a.exists():
            differences.append(f"{name}: missing from the issued month")
        elif name == "rated_calls.parquet":
            differences += rated_calls_differences(a, b)
        else:
            old, new = read_csv(a), read_csv(b)
            removed = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            differences.append(
                f"{name}: {len(removed)} issued row(s) differ, {len(added)} new row(s)"
            )
            differences += [f"  issued:     {','.join(r.values())}" for r in removed[:10]]
            differences += [f"  recomputed: {','.join(r.values())}" for r in added[:10]]
    if len(differences) > MAX_REPORTED:
        differences = differences[:MAX_REPORTED] + [
            f"... and {len(differences) - MAX_REPORTED} more"
        ]
    return differences
