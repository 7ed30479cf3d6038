"""The late-charge runs under OUT (R91 `--charge`): OUT/receivables/charges/{D}-{NN}/ with
invoices.csv, invoice_lines.csv, documents/{number}.pdf and manifest.json (its position among
the corrections, its files' sha256). Issued like a month: written as `.staging-{D}-{NN}/`,
every file fsynced and made read-only, published by one atomic rename (store.publish); the
ledger then sees its invoices (numbering, store.verify). A staging folder left by a killed
run was never issued: it is removed.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.billing.ledger_snapshot import Position
from pipeline.core import data_contract as contract
from pipeline.ledger.manifest import sha256
from pipeline.ledger.store import charges_dir, issued_charges, publish

STAGING = ".staging-"


def clean(out: Path) -> None:
    folder = charges_dir(out)
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.name.startswith(STAGING):
                shutil.rmtree(path, ignore_errors=True)


def staging(out: Path, day: date) -> tuple[Path, str]:
    """A new staging folder for a charge run of `day`, and its name {D}-{NN}."""
    iso = day.isoformat()
    done = [p for p in issued_charges(out) if p.name.startswith(f"{iso}-")]
    name = f"{iso}-{len(done) + 1:02d}"
    path = charges_dir(out) / f"{STAGING}{name}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path, name


def write_manifest(
    path: Path, name: str, day: date, position: Position, extra: dict[str, Any]
) -> None:
    outputs = {
        p.relative_to(path).as_posix(): sha256(p)
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != contract.MANIFEST_FILE
    }
    manifest = {
        "charge": {
            "name": name,
            "date": day.isoformat(),
            "position": {
                "last_month": str(position.last_month),
                "corrections_before": position.corrections_before,
            },
            **extra,
        },
        "outputs": outputs,
    }
    (path / contract.MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def publish_charge(path: Path, name: str) -> Path:
    final = path.parent / name
    publish(path, final)
    return final


def line_sources(out: Path) -> dict[str, str]:
    """The sha256 of every issued charge run's invoice_lines.csv (path under OUT)."""
    sources = {}
    for folder in issued_charges(out):
        outputs = json.loads((folder / contract.MANIFEST_FILE).read_text("utf-8"))["outputs"]
        rel = folder.relative_to(out).as_posix()
        if "invoice_lines.csv" in outputs:
            sources[f"{rel}/invoice_lines.csv"] = outputs["invoice_lines.csv"]
    return sources
