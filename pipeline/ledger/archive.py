"""The inputs of every issued month, kept with the month and addressed by their hash.

OUT/YYYY-MM/archive/sha256/ab/abcdef... holds the bytes whose sha256 is abcdef...; manifest.json
of the month names each input (folder, path, sha256), so the month's DATA and RATES can be
rebuilt exactly (`billing audit`). Two inputs with the same bytes are stored once.

The archive is written into the month's staging folder, so it is published with the month in
the same atomic rename and made read-only with it: a run that is killed, or a re-run that finds
differences (R64), leaves OUT exactly as it was (a shared OUT/archive/ written before the
rename would keep blobs of months that were never issued).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pipeline.core.errors import ProblemFound

ARCHIVE_DIR = "archive"


def blob_path(month_folder: Path, digest: str) -> Path:
    return month_folder / ARCHIVE_DIR / "sha256" / digest[:2] / digest


def source_path(data: Path, rates: Path, item: dict[str, Any]) -> Path:
    return (data if item["folder"] == "data" else rates) / item["path"]


def archive_inputs(
    month_folder: Path, data: Path, rates: Path, inputs: list[dict[str, Any]]
) -> None:
    """Copy each input of the manifest into the archive, checking it still has its hash."""
    for item in inputs:
        target = blob_path(month_folder, item["sha256"])
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = source_path(data, rates, item)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        digest = hashlib.sha256()
        # the bytes hashed are the bytes written. No fsync here: ledger.publish fsyncs every
        # file of the staging folder before the rename that issues the month (an fsync here
        # was a second one, 0.15-0.45 s for the 160 MB parquet of a 10M month)
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                dst.write(block)
        if digest.hexdigest() != item["sha256"]:
            tmp.unlink()
            raise ProblemFound(
                f"{source} changed while the month was being billed (its sha256 is no longer "
                "the one recorded at the start); nothing was issued: run again"
            )
        os.replace(tmp, target)
