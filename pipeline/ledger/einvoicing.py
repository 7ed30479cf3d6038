"""The e-invoicing files under OUT (R94-R97): the issued Factur-X read for a deposit, the
212 "Encaissée" messages of OUT/einvoicing/statuses/{D}-{NN}/, the Flux 10 files of
OUT/einvoicing/ereporting/, and the two reports rewritten from the journal after each
statuses run (OUT/einvoicing/to_correct.csv, OUT/einvoicing/status_problems.csv).

Files a run records are published in the same step as their journal events, like a
collection: each is written as a hidden `.pending-{name}` file, fsynced, then the journal file
naming it (details `file`, with its sha256 as the event's source) is appended, then each is
renamed into place. A run killed between the two leaves pending files: `recover` renames those
the journal records and removes the others, before anything is computed.

Nothing here holds a credential: the platform's URL, client id and secret stay in the
environment (pipeline.einvoicing.platform) and are never written under OUT.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.ledger import journal as ledger_journal
from pipeline.ledger.store import fsync_dir
from pipeline.receivables.journal import Event, Journal

EINVOICING_DIR = "einvoicing"
STATUSES_DIR = f"{EINVOICING_DIR}/statuses"
EREPORTING_DIR = f"{EINVOICING_DIR}/ereporting"
TO_CORRECT_FILE = f"{EINVOICING_DIR}/to_correct.csv"
PROBLEMS_FILE = f"{EINVOICING_DIR}/status_problems.csv"
PENDING = ".pending-"


def read_issued(out: Path, relative: str) -> bytes:
    """An issued file (a document's Factur-X), relative to OUT (verified by store.verify)."""
    path = out / relative
    if not path.is_file():
        raise InputError(
            say("document émis introuvable", "issued document not found"), file=str(path)
        )
    return path.read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def statuses_name(out: Path, day: str) -> str:
    """{D}-{NN}: the next folder of the day's 212 exports (01, 02...)."""
    folder = out / STATUSES_DIR
    taken = (
        {p.name for p in folder.iterdir() if p.name.startswith(f"{day}-")}
        if folder.is_dir()
        else set()
    )
    number = 1
    while f"{day}-{number:02d}" in taken:
        number += 1
    return f"{day}-{number:02d}"


def _recorded_files(journal: Journal) -> set[str]:
    return {e.detail("file") for e in journal.events if e.detail("file")}


def recover(out: Path, journal: Journal) -> None:
    """Finish or undo the publication a killed run left (see the module)."""
    recorded = _recorded_files(journal)
    root = out / EINVOICING_DIR
    if not root.is_dir():
        return
    for pending in sorted(root.rglob(f"{PENDING}*")):
        final = pending.with_name(pending.name.removeprefix(PENDING))
        if final.relative_to(out).as_posix() in recorded and not final.exists():
            os.rename(pending, final)
        else:
            pending.unlink()
    for folder in sorted((out / STATUSES_DIR).glob("*")) if (out / STATUSES_DIR).is_dir() else []:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def publish(
    out: Path, journal: Journal, files: dict[str, bytes], events: list[Event], command: str
) -> Journal:
    """Write `files` (paths relative to OUT), record `events` (which name them), rename."""
    read_only = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    pending: list[tuple[Path, Path]] = []
    for relative, data in sorted(files.items()):
        final = out / relative
        if final.exists():
            raise InputError(
                say(
                    "existe déjà sans être au journal", "exists but the journal does not record it"
                ),
                file=str(final),
            )
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(PENDING + final.name)
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(read_only)
        pending.append((tmp, final))
    for folder in {final.parent for _, final in pending}:
        fsync_dir(folder)
    journal = ledger_journal.append(out, journal, events, command)
    for tmp, final in pending:
        os.rename(tmp, final)
    for folder in {final.parent for _, final in pending}:
        fsync_dir(folder)
    return journal


def write_report(out: Path, relative: str, data: bytes) -> Path:
    """A report computed from the journal (rewritten whole, atomically): not a record."""
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return path
