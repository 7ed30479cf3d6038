"""`billing audit --month M`: re-run an issued month from its archived inputs and compare.

The month's manifest.json names every input (folder, path, sha256); the month's archive,
OUT/YYYY-MM/archive/sha256/, holds their bytes (pipeline/archive.py). The audit:

1. rebuilds the month's DATA and RATES in a temporary folder from the archive, checking each
   file against its recorded hash. A file that no longer matches means the archive was altered:
   that is reported, and the altered content is used anyway so that the comparison names the
   documents that would change. An input missing from the archive (a month issued before the
   archive existed) is taken from --data / --rates if it still has its recorded hash;
2. bills the month with today's code into a temporary OUT that sees the months issued before
   it (read-only links), so that numbering, duplicates and credit notes see what they saw;
3. compares every issued file with its recomputation: invoices and lines by customer and line,
   the other data-contract files by row, the FEC by entry, the itemised bills by call, the
   workbook by cell, the manifest's counts and reconciliation.

It never writes under OUT: the issued month and the ledger are left exactly as they were.
"""

from __future__ import annotations

import filecmp
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import load_workbook

from pipeline.core.dates import Month
from pipeline.core.errors import BillingError, InputError, ProblemFound
from pipeline.exports.fec import read_fec
from pipeline.exports.files import sha256
from pipeline.ledger import store as ledger
from pipeline.ledger.archive import ARCHIVE_DIR, blob_path, source_path
from pipeline.ledger.compare import ISSUED_FILES, keyed, month_differences, read_csv
from pipeline.run import bill_month, code_version

MAX_PER_FILE = 20
MANIFEST_KEYS = ("reconciliation", "row_counts", "cdr_files", "numbers")


@dataclass
class AuditResult:
    month: Month
    folder: Path
    inputs: int
    issued_code: str
    current_code: str
    notes: list[str] = field(default_factory=list)


def audit_month(month_text: str, data: Path, out: Path, rates: Path) -> AuditResult:
    """Raise ProblemFound listing every difference; return quietly when identical."""
    month = Month.parse(month_text)
    folder = out / str(month)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise InputError(
            f"{month} is not an issued month under {out} (no {manifest_path}): nothing to audit"
        )
    with ledger.locked(out):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        problems: list[str] = _issued_files_intact(folder, manifest)
        with tempfile.TemporaryDirectory(prefix="billing-audit-") as tmp:
            root = Path(tmp)
            tmp_data, tmp_rates, tmp_out = root / "data", root / "rates", root / "out"
            notes, input_problems = restore_inputs(
                manifest, folder, data, rates, tmp_data, tmp_rates, month
            )
            problems += input_problems
            _earlier_months(out, tmp_out, month)
            try:
                bill_month(str(month), tmp_data, tmp_out, tmp_rates)
            except BillingError as exc:
                problems.append(f"the re-run stopped: {exc}")
                fresh = None
            else:
                fresh = tmp_out / str(month)
            if fresh is not None:
                problems += compare_months(folder, fresh)
    result = AuditResult(
        month,
        folder,
        len(manifest.get("inputs", [])),
        manifest.get("code_version", "?"),
        code_version(),
        notes,
    )
    if problems:
        raise ProblemFound(
            f"{month}: the re-run from the archived inputs differs from what was issued "
            f"(issued with {result.issued_code}, re-run with {result.current_code}):\n"
            + "\n".join(notes + problems)
        )
    return result


def _issued_files_intact(folder: Path, manifest: dict[str, Any]) -> list[str]:
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
            problems.append(f"{rel}: the issued file no longer matches its recorded hash")
    return problems


def restore_inputs(
    manifest: dict[str, Any],
    folder: Path,
    data: Path,
    rates: Path,
    tmp_data: Path,
    tmp_rates: Path,
    month: Month,
) -> tuple[list[str], list[str]]:
    """Rebuild DATA and RATES from the archive (links, nothing copied); return notes, problems."""
    notes: list[str] = []
    problems: list[str] = []
    tmp_data.mkdir(parents=True)
    tmp_rates.mkdir(parents=True)
    (tmp_data / "cdrs" / str(month)).mkdir(parents=True)  # the month may have had no CDR file
    for item in manifest.get("inputs", []):
        label = f"{item['folder']}/{item['path']}"
        blob = blob_path(folder, item["sha256"])
        target = source_path(tmp_data, tmp_rates, item)
        target.parent.mkdir(parents=True, exist_ok=True)
        if blob.exists():
            if sha256(blob) != item["sha256"]:
                problems.append(
                    f"{label}: archive no longer matches its recorded hash "
                    f"({blob.relative_to(folder.parent).as_posix()}); the re-run uses the altered content"
                )
            os.symlink(blob.resolve(), target)
            continue
        original = source_path(data, rates, item)
        if original.is_file() and sha256(original) == item["sha256"]:
            notes.append(
                f"{label}: not in the month's {ARCHIVE_DIR}/, taken from {original} (same hash)"
            )
            os.symlink(original.resolve(), target)
        elif original.is_file():
            problems.append(
                f"{label}: not in the month's {ARCHIVE_DIR}/, and {original} no longer matches "
                "its recorded hash; the re-run uses it as it is now"
            )
            os.symlink(original.resolve(), target)
        else:
            problems.append(
                f"{label}: not in the month's {ARCHIVE_DIR}/ and not found at {original}"
            )
    return notes, problems


def _earlier_months(out: Path, tmp_out: Path, month: Month) -> None:
    """A temporary OUT holding the months issued before `month` (links) and OUT's own files."""
    tmp_out.mkdir(parents=True)
    for entry in sorted(out.iterdir()):
        if entry.name == ledger.LOCK_FILE or entry.name.startswith("."):
            continue
        if entry.is_dir() and ledger.MONTH_DIR.match(entry.name):
            if (entry / "manifest.json").exists() and Month.parse(entry.name) < month:
                os.symlink(entry.resolve(), tmp_out / entry.name)
        elif entry.is_file():
            (tmp_out / entry.name).write_bytes(entry.read_bytes())


# --- comparison ------------------------------------------------------------------------------


def compare_months(issued: Path, fresh: Path) -> list[str]:
    """Every difference between an issued month folder and its recomputation."""
    differences = list(month_differences(issued, fresh))
    covered = set(ISSUED_FILES) | {"manifest.json"}
    names = sorted(
        {p.relative_to(issued).as_posix() for p in issued.rglob("*") if p.is_file()}
        | {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
    )
    for name in names:
        if name in covered or name.startswith(ARCHIVE_DIR + "/"):
            continue  # the archive holds inputs, checked by restore_inputs
        a, b = issued / name, fresh / name
        if not a.exists():
            differences.append(f"{name}: not issued, the recomputation writes it")
        elif not b.exists():
            differences.append(f"{name}: issued, the recomputation no longer writes it")
        elif filecmp.cmp(a, b, shallow=False):
            continue
        elif name.startswith("itemised/"):
            differences += _csv_by_key(name, a, b, ("cdr_id",))
        elif "FEC" in name and name.endswith(".txt"):
            differences += _fec_differences(name, a, b)
        elif name.endswith(".xlsx"):
            differences += _workbook_differences(name, a, b)
        elif name.endswith(".csv"):
            differences += _csv_by_key(name, a, b, ())
        else:
            differences.append(f"{name}: content differs")
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
        con.execute("create table a as select * from read_parquet($p)", {"p": str(a)})
        con.execute("create table b as select * from read_parquet($p)", {"p": str(b)})
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
        found.append(f"rated_calls.parquet: cdr_id {cdr_id}: {fields}")
    return found


def _changes(old: dict[str, str], new: dict[str, str]) -> str:
    names = list(dict.fromkeys([*old, *new]))
    return ", ".join(
        f"{c} {old.get(c, '')!r} -> {new.get(c, '')!r}" for c in names if old.get(c) != new.get(c)
    )


def _limited(name: str, found: list[str]) -> list[str]:
    if len(found) > MAX_PER_FILE:
        found = found[:MAX_PER_FILE] + [f"{name}: ... and {len(found) - MAX_PER_FILE} more"]
    return found


def _csv_by_key(name: str, a: Path, b: Path, key: tuple[str, ...]) -> list[str]:
    old, new = keyed(read_csv(a), key), keyed(read_csv(b), key)
    what = key[0] if key else "row"
    found = []
    for k in sorted(old.keys() | new.keys()):
        label = f"{what} {k[0]}"
        if k not in new:
            found.append(f"{name}: {label} was issued, the recomputation drops it")
        elif k not in old:
            found.append(f"{name}: {label} is new in the recomputation ({_changes({}, new[k])})")
        elif old[k] != new[k]:
            found.append(f"{name}: {label}: {_changes(old[k], new[k])}")
    return _limited(name, found)


def _fec_differences(name: str, a: Path, b: Path) -> list[str]:
    def by_entry(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
        rows: dict[tuple[str, str, str], dict[str, str]] = {}
        for r in read_fec(path):
            rows[(r["EcritureNum"], r["PieceRef"], r["CompteNum"])] = r
        return rows

    old, new = by_entry(a), by_entry(b)
    found = []
    for k in sorted(old.keys() | new.keys()):
        label = f"entry {k[0]} ({k[1]}) account {k[2]}"
        if k not in new:
            found.append(f"{name}: {label} was issued, the recomputation drops it")
        elif k not in old:
            found.append(f"{name}: {label} is new in the recomputation")
        elif old[k] != new[k]:
            found.append(f"{name}: {label}: {_changes(old[k], new[k])}")
    return _limited(name, found)


def _workbook_differences(name: str, a: Path, b: Path) -> list[str]:
    wa, wb = load_workbook(a, read_only=True), load_workbook(b, read_only=True)
    found = []
    try:
        if wa.sheetnames != wb.sheetnames:
            found.append(f"{name}: sheets {wa.sheetnames} issued, {wb.sheetnames} recomputed")
        for sheet in wa.sheetnames:
            if sheet not in wb.sheetnames:
                continue
            rows_a = wa[sheet].iter_rows(values_only=True)
            rows_b = wb[sheet].iter_rows(values_only=True)
            number = 0
            while len(found) <= MAX_PER_FILE:
                number += 1
                ra, rb = next(rows_a, None), next(rows_b, None)
                if ra is None and rb is None:
                    break
                if ra != rb:
                    found.append(f"{name}: sheet {sheet} row {number}: {ra} -> {rb}")
        if not found:
            found.append(f"{name}: same cells, different bytes (formatting or layout changed)")
    finally:
        wa.close()
        wb.close()
    return _limited(name, found)


def _manifest_differences(a: Path, b: Path) -> list[str]:
    old = json.loads(a.read_text(encoding="utf-8"))
    new = json.loads(b.read_text(encoding="utf-8"))
    return [
        f"manifest.json: {key}: {json.dumps(old.get(key), sort_keys=True)} issued, "
        f"{json.dumps(new.get(key), sort_keys=True)} recomputed"
        for key in MANIFEST_KEYS
        if old.get(key) != new.get(key)
    ]
