"""The receivables journal under OUT (R83): append-only, tamper-evident, published atomically.

OUT/receivables/journal/ holds one file of events per command run that recorded something,
`NNNNNN-{sha256[:16]}.json`: its number (1, 2, 3... without a gap), the first 16 hex digits of
its own sha256 in its name, and inside it the sha256 of the file before it. `read_journal`,
called under OUT's lock at the start of every run, checks the chain: a file edited (its hash
no longer matches its name, or the next file's record of it), deleted (a gap in the numbers,
or a collection whose journal file is gone) or added by hand stops the run (exit 1) before
anything is computed. A file is written into a hidden temporary file, fsynced, made read-only
and renamed into place: it exists whole or not at all. Nothing in it is ever edited: a mistake
is undone by a reversing event in a later file.

A collection (R82) is published in the same step that records it: its folder is written as
OUT/receivables/collections/.staging-{D}-{NN}/, then the journal file recording it (with the
sha256 of the collection's manifest), then the folder is renamed into place. A run killed
between the two renames leaves the staging folder and its journal event: the next run
finishes the rename (the bytes are the ones recorded); a staging folder without its event is
removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

from pipeline.core import data_contract as contract
from pipeline.core.errors import ProblemFound
from pipeline.core.language import say
from pipeline.ledger.manifest import sha256
from pipeline.ledger.store import fsync_dir, issued_folders
from pipeline.receivables.journal import COLLECTION_SENT, Event, Journal, JournalFile

_NAME = re.compile(r"^(\d{6})-([0-9a-f]{16})\.json$")
STAGING = ".staging-"


def journal_dir(out: Path) -> Path:
    return out / contract.RECEIVABLES_DIR / contract.JOURNAL_DIR


def collections_dir(out: Path) -> Path:
    return out / contract.RECEIVABLES_DIR / contract.COLLECTIONS_DIR


def _damaged(out: Path, problems: list[str]) -> ProblemFound:
    return ProblemFound(
        say(
            f"le journal des créances sous {out} est endommagé ; rien n'a été fait (restaurer "
            "ses fichiers depuis une sauvegarde) (R83) :\n",
            f"the receivables journal under {out} is damaged; nothing was done (restore its "
            "files from a backup) (R83):\n",
        )
        + "\n".join(problems[:20])
    )


def read_journal(out: Path) -> Journal:
    """Every journal file, its chain of hashes checked, and every collection folder checked
    against its manifest and its journal event (see the module); exit 1 on damage."""
    folder = journal_dir(out)
    files: list[JournalFile] = []
    problems: list[str] = []
    previous = ""
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    for path in paths:
        if path.name.startswith("."):
            if path.is_file():
                path.unlink()  # a temporary file of a killed run: never renamed, never valid
            continue
        match = _NAME.match(path.name)
        if not match:
            problems.append(say(f"{path} : fichier inconnu", f"{path}: not a journal file"))
            continue
        number, digest = int(match.group(1)), sha256(path)
        if number != len(files) + 1:
            problems.append(
                say(
                    f"{path} : le fichier {len(files) + 1:06d} manque (supprimé)",
                    f"{path}: file {len(files) + 1:06d} is missing (deleted)",
                )
            )
        if digest[:16] != match.group(2):
            problems.append(
                say(f"{path} : modifié depuis son écriture", f"{path}: changed since written")
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            events = tuple(Event.from_json(e) for e in data["events"])
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: unreadable ({exc})")
            continue
        if data.get("previous_sha256") != previous:
            problems.append(
                say(
                    f"{path} : le fichier précédent a été modifié ou supprimé",
                    f"{path}: the file before it was changed or deleted",
                )
            )
        previous = digest
        files.append(JournalFile(number, path.name, digest, data.get("command", ""), events))
    journal = Journal(tuple(files))
    problems += _check_collections(out, journal)
    if problems:
        raise _damaged(out, problems)
    return journal


def _check_collections(out: Path, journal: Journal) -> list[str]:
    recorded: dict[str, tuple[str, str]] = {}
    for file in journal.files:
        for e in file.events:
            if e.kind == COLLECTION_SENT:
                recorded[e.detail("collection")] = (e.source_sha256, file.name)
    problems = []
    folder = collections_dir(out)
    present = {p.name: p for p in folder.iterdir()} if folder.is_dir() else {}
    for name, path in sorted(present.items()):
        if name.startswith(STAGING):
            final = name.removeprefix(STAGING)
            manifest = path / contract.MANIFEST_FILE
            if final in recorded and manifest.exists() and sha256(manifest) == recorded[final][0]:
                _publish(path, folder / final)  # a run killed between its two renames
                present[final] = folder / final
            else:
                shutil.rmtree(path, ignore_errors=True)
    for name, (digest, journal_file) in sorted(recorded.items()):
        path = folder / name
        manifest = path / contract.MANIFEST_FILE
        if not manifest.exists():
            problems.append(
                say(
                    f"{path} : collecte du journal ({journal_file}) supprimée",
                    f"{path}: collection recorded in {journal_file} was removed",
                )
            )
            continue
        if sha256(manifest) != digest:
            problems.append(f"{manifest}: changed since it was issued (sha256 differs)")
            continue
        outputs = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
        for file_name, file_digest in sorted(outputs.items()):
            if not (path / file_name).is_file() or sha256(path / file_name) != file_digest:
                problems.append(f"{path / file_name}: changed or removed since it was issued")
        if manifest.exists() and json.loads(manifest.read_text("utf-8")).get("journal_head"):
            head = json.loads(manifest.read_text("utf-8"))["journal_head"]
            if not (journal_dir(out) / head).exists():
                problems.append(
                    say(
                        f"{path} : le fichier du journal {head} qui la précède a été supprimé",
                        f"{path}: the journal file {head} before it was deleted",
                    )
                )
    for name in sorted(set(present) - set(recorded)):
        if not name.startswith(STAGING):
            problems.append(
                say(
                    f"{folder / name} : collecte absente du journal (supprimée du journal ?)",
                    f"{folder / name}: a collection the journal does not record (its journal "
                    "file deleted?)",
                )
            )
    return problems


def _write_file(path: Path, data: bytes) -> None:
    tmp = path.parent / f".tmp-{os.getpid()}-{path.name}"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    os.rename(tmp, path)
    fsync_dir(path.parent)


def append(out: Path, journal: Journal, events: list[Event], command: str) -> Journal:
    """Append one file holding `events` (recorded by `command`); return the journal with it."""
    number, previous = journal.head
    body = {
        "number": number + 1,
        "previous_sha256": previous,
        "command": command,
        "events": [e.to_json() for e in events],
    }
    data = (json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    digest = hashlib.sha256(data).hexdigest()
    folder = journal_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{number + 1:06d}-{digest[:16]}.json"
    _write_file(folder / name, data)
    return Journal((*journal.files, JournalFile(number + 1, name, digest, command, tuple(events))))


def collection_staging(out: Path, name: str) -> Path:
    folder = collections_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / name).exists():
        raise ProblemFound(f"{folder / name} exists but the journal does not record it")
    staging = folder / f"{STAGING}{name}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return staging


def _publish(staging: Path, final: Path) -> None:
    read_only = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    for f in sorted(staging.iterdir()):
        with open(f, "rb") as handle:
            os.fsync(handle.fileno())
        f.chmod(read_only)
    fsync_dir(staging)
    os.rename(staging, final)
    fsync_dir(final.parent)


def publish_collection(out: Path, staging: Path) -> Path:
    """The rename that publishes a collection whose journal event is written."""
    final = staging.parent / staging.name.removeprefix(STAGING)
    _publish(staging, final)
    return final


def document_sources(out: Path) -> dict[str, str]:
    """The sha256 of every issued invoices.csv and credit_notes.csv (path under OUT), as the
    manifests of the months and corrections record them (verified by store.verify)."""
    sources: dict[str, str] = {}
    folders, _ = issued_folders(out, None)
    for folder in folders:
        try:
            outputs: dict[str, Any] = json.loads(
                (folder / contract.MANIFEST_FILE).read_text(encoding="utf-8")
            )["outputs"]
        except (OSError, ValueError, KeyError):
            continue
        rel = folder.relative_to(out).as_posix()
        for name in ("invoices.csv", "credit_notes.csv"):
            if name in outputs:
                sources[f"{rel}/{name}"] = outputs[name]
    return sources
