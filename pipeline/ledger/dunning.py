"""The dunning folders under OUT (R92): OUT/receivables/dunning/{D}/ (and {D}-02/, {D}-03/...
when a later run of the same day sends new letters), published like a collection: written as
`.staging-{name}/`, then the journal file recording its letters (each with its PDF's sha256),
then renamed into place with its files read-only. A staging folder left by a run killed
between the two steps is published by the next run when the journal records its letters,
removed otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from datetime import date
from pathlib import Path

from pipeline.core import data_contract as contract
from pipeline.ledger.journal import STAGING
from pipeline.ledger.store import fsync_dir
from pipeline.receivables.journal import DUNNING_LETTER, Journal


def dunning_dir(out: Path) -> Path:
    return out / contract.RECEIVABLES_DIR / contract.DUNNING_DIR


def source_prefix(name: str) -> str:
    """The path under OUT of a dunning folder (the journal's letter events start with it)."""
    return f"{contract.RECEIVABLES_DIR}/{contract.DUNNING_DIR}/{name}/"


def recover(out: Path, journal: Journal) -> None:
    """Finish or remove the staging folders of a killed run (see the module)."""
    folder = dunning_dir(out)
    if not folder.is_dir():
        return
    recorded = {e.source_file for e in journal.events if e.kind == DUNNING_LETTER and e.source_file}
    for path in sorted(folder.iterdir()):
        if not path.name.startswith(STAGING):
            continue
        final = path.name.removeprefix(STAGING)
        prefix = source_prefix(final)
        if any(s.startswith(prefix) for s in recorded) and not (folder / final).exists():
            _publish_tree(path, folder / final)
        else:
            shutil.rmtree(path, ignore_errors=True)


def published(out: Path, day: date) -> list[str]:
    """The dunning folders of `day` already published, in order."""
    folder = dunning_dir(out)
    if not folder.is_dir():
        return []
    iso = day.isoformat()
    return sorted(p.name for p in folder.iterdir() if p.name == iso or p.name.startswith(f"{iso}-"))


def staging(out: Path, day: date) -> tuple[Path, str]:
    """A new staging folder for `day` and the name it will be published as."""
    done = published(out, day)
    name = day.isoformat() if not done else f"{day.isoformat()}-{len(done) + 1:02d}"
    path = dunning_dir(out) / f"{STAGING}{name}"
    shutil.rmtree(path, ignore_errors=True)
    (path / contract.LETTERS_DIR).mkdir(parents=True)
    return path, name


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_manifest(path: Path, head: str, day: date, name: str) -> None:
    """manifest.json: every file of the folder with its sha256, and the journal file before
    the one that records its letters."""
    outputs = {
        p.relative_to(path).as_posix(): sha256_bytes(p.read_bytes())
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != contract.MANIFEST_FILE
    }
    manifest = {"date": day.isoformat(), "folder": name, "journal_head": head, "outputs": outputs}
    (path / contract.MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def _publish_tree(staging_path: Path, final: Path) -> None:
    """Every file fsynced and made read-only, then one rename."""
    read_only = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    for f in sorted(staging_path.rglob("*")):
        if f.is_file():
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
            f.chmod(read_only)
    fsync_dir(staging_path / contract.LETTERS_DIR)
    fsync_dir(staging_path)
    os.rename(staging_path, final)
    fsync_dir(final.parent)


def publish(staging_path: Path, name: str) -> Path:
    final = staging_path.parent / name
    _publish_tree(staging_path, final)
    return final
