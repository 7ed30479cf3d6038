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

from pipeline.core.dates import Month
from pipeline.core.errors import ProblemFound
from pipeline.core.language import say
from pipeline.ledger.manifest import sha256

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
                say(
                    f"{source} a changé pendant la facturation du mois (son sha256 n'est plus "
                    "celui relevé au début) ; rien n'a été émis : relancez",
                    f"{source} changed while the month was being billed (its sha256 is no "
                    "longer the one recorded at the start); nothing was issued: run again",
                )
            )
        os.replace(tmp, target)


def restore_inputs(
    manifest: dict[str, Any],
    folder: Path,
    data: Path,
    rates: Path,
    tmp_data: Path,
    tmp_rates: Path,
    month: Month,
) -> tuple[list[str], list[str]]:
    """Rebuild DATA and RATES of an issued month from its archive (links, nothing copied);
    return notes and problems. A blob that no longer has its hash is reported and used as it
    is, so that the comparison names the documents that would change; an input missing from
    the archive (a month issued before the archive existed) is taken from `data` / `rates`
    if it still has its recorded hash."""
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
                where = blob.relative_to(folder.parent).as_posix()
                problems.append(
                    say(
                        f"{label} : l'archive ne correspond plus à son empreinte relevée "
                        f"({where}) ; le recalcul utilise le contenu modifié",
                        f"{label}: archive no longer matches its recorded hash ({where}); the "
                        "re-run uses the altered content",
                    )
                )
            os.symlink(blob.resolve(), target)
            continue
        original = source_path(data, rates, item)
        if original.is_file() and sha256(original) == item["sha256"]:
            notes.append(
                say(
                    f"{label} : absent de {ARCHIVE_DIR}/ du mois, pris dans {original} (même "
                    "empreinte)",
                    f"{label}: not in the month's {ARCHIVE_DIR}/, taken from {original} (same "
                    "hash)",
                )
            )
            os.symlink(original.resolve(), target)
        elif original.is_file():
            problems.append(
                say(
                    f"{label} : absent de {ARCHIVE_DIR}/ du mois, et {original} ne correspond "
                    "plus à son empreinte relevée ; le recalcul l'utilise tel qu'il est",
                    f"{label}: not in the month's {ARCHIVE_DIR}/, and {original} no longer "
                    "matches its recorded hash; the re-run uses it as it is now",
                )
            )
            os.symlink(original.resolve(), target)
        else:
            problems.append(
                say(
                    f"{label} : absent de {ARCHIVE_DIR}/ du mois et introuvable à {original}",
                    f"{label}: not in the month's {ARCHIVE_DIR}/ and not found at {original}",
                )
            )
    return notes, problems
