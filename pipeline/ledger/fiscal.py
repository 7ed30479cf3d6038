"""The derived files of accounting and VAT under OUT (R87, R89): the fiscal year's FEC at OUT's
root and OUT/tax/{M}/. They are views computed from the ledger and the receivables journal,
never a record: computing one again from the same ledger and journal gives the same bytes and
leaves the file untouched; computed after new events dated in its period, it is replaced (the
driver reports "replaced" with what changed, docs/fiscal.md).

A file is written into a hidden temporary file beside it, fsynced, then renamed over the old
one: a reader sees the old file or the new one, whole. OUT/tax/{M}/ is written as a staging
folder renamed into place (the old folder, if any, is moved aside first and removed after):
its two files always come from the same run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.core import data_contract as contract
from pipeline.ledger.store import fsync_dir

NEW, SAME, REPLACED = "new", "same", "replaced"


def _durable(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_derived(path: Path, data: bytes) -> str:
    """Write `data` at `path` atomically; NEW, SAME (nothing written) or REPLACED."""
    if path.is_file():
        if path.read_bytes() == data:
            return SAME
        status = REPLACED
    else:
        status = NEW
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{os.getpid()}-{path.name}"
    _durable(tmp, data)
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return status


def fec_path(out: Path, name: str) -> Path:
    return out / name


def read_derived(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def tax_dir(out: Path, month: str) -> Path:
    return out / contract.TAX_DIR / month


def write_tax(out: Path, month: str, files: dict[str, bytes]) -> tuple[Path, str]:
    """Publish OUT/tax/{month}/ holding `files` (name -> bytes); (folder, NEW/SAME/REPLACED)."""
    final = tax_dir(out, month)
    if final.is_dir() and {p.name: p.read_bytes() for p in final.iterdir()} == files:
        return final, SAME
    status = REPLACED if final.is_dir() else NEW
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".staging-{month}"
    old = final.parent / f".old-{month}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    staging.mkdir()
    for name, data in sorted(files.items()):
        _durable(staging / name, data)
    fsync_dir(staging)
    if final.is_dir():
        os.rename(final, old)
    os.rename(staging, final)
    fsync_dir(final.parent)
    shutil.rmtree(old, ignore_errors=True)
    return final, status
