"""What has been issued, kept under OUT/ (R60, R64).

An issued month is the folder OUT/YYYY-MM/, published by one atomic rename once every file
is written and flushed: it exists whole or not at all. The ledger is read from those folders
(invoice and credit-note numbers from invoices.csv / credit_notes.csv, billed CDR ids from
rated_calls.parquet), so there is no second copy of the truth to keep in step: a separate
OUT/ledger.duckdb would have to be updated in the same atomic step as the month folder, which a
file system cannot do with one rename (docs/contracts.md). Every run checks the ledger first:
issued files still match the hashes of their manifest, and every series is unbroken.

A run holds an exclusive lock on OUT/.lock (released by the system if the process dies, even
by SIGKILL), so two runs never interleave on one OUT.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.core import db
from pipeline.core.data_contract import CORRECTIONS_DIR, MANIFEST_FILE
from pipeline.core.dates import Month
from pipeline.core.errors import InputError, ProblemFound
from pipeline.core.language import say
from pipeline.core.progress import checkpoint
from pipeline.ledger.manifest import sha256

MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")
STAGING_PREFIX = ".staging-"
LOCK_FILE = ".lock"
# (series, number column, file): the documents numbered by R60
SERIES = (
    ("F", "invoice_number", "invoices.csv"),
    ("AV", "credit_note_number", "credit_notes.csv"),
)
_NUMBER = re.compile(r"^(F|AV)(\d{4})-(\d{6})$")
_NN = re.compile(r"^\d{2}$")


@contextmanager
def locked(out: Path) -> Iterator[None]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise InputError(
            say(
                f"impossible d'utiliser {out} comme dossier de sortie : {exc}",
                f"cannot use {out} as the output folder: {exc}",
            )
        ) from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise InputError(
                say(
                    f"une autre facturation utilise {out} en ce moment (verrou "
                    f"{out / LOCK_FILE}) ; rien n'a été fait : attendez qu'elle se termine et "
                    "relancez",
                    f"another billing run is using {out} right now (lock {out / LOCK_FILE}); "
                    "nothing was done: wait for it to finish and run again",
                )
            ) from exc
        for stale in out.glob(STAGING_PREFIX + "*"):
            _remove_tree(stale)  # left by a run that was killed
        yield
    finally:
        handle.close()


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def issued_months(out: Path) -> list[Month]:
    if not out.is_dir():
        return []
    return sorted(
        Month.parse(p.name)
        for p in out.iterdir()
        if p.is_dir() and MONTH_DIR.match(p.name) and (p / "manifest.json").exists()
    )


def check_month_order(out: Path, month: Month) -> bool:
    """Return True if `month` is already issued (a re-run, R64). A new month must be the one
    after the last issued month: an older one would take numbers after later ones (R60), and a
    skipped month could never be issued afterwards."""
    folder = out / str(month)
    if folder.exists() and not (folder / "manifest.json").exists():
        raise ProblemFound(
            say(
                f"{folder} existe mais n'est pas un mois émis (pas de manifest.json) ; il n'a pas "
                "été créé par ce programme : déplacez-le et relancez",
                f"{folder} exists but is not an issued month (no manifest.json); it was not made "
                "by this program: move it away and run again",
            )
        )
    issued = issued_months(out)
    if month in issued:
        return True
    if issued and month < issued[-1]:
        raise InputError(
            say(
                f"{issued[-1]} est déjà émis : {month} ne peut plus être émis sans rompre "
                "l'ordre des numéros de facture (R60)",
                f"{issued[-1]} is already issued: {month} can no longer be issued without "
                "breaking the invoice number order (R60)",
            )
        )
    if issued and month != issued[-1].plus(1):
        raise InputError(
            say(
                f"le dernier mois émis est {issued[-1]} : facturez {issued[-1].plus(1)} avant "
                f"{month} (les mois sont émis dans l'ordre, sans en sauter, R60)",
                f"the last issued month is {issued[-1]}: bill {issued[-1].plus(1)} before "
                f"{month} (months are issued in order, none skipped, R60)",
            )
        )
    return False


def _read_column(path: Path, column: str) -> list[str]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def is_issued(out: Path, month: Month) -> bool:
    return (out / str(month) / MANIFEST_FILE).exists()


def issued_corrections(out: Path, month: Month) -> list[Path]:
    """The issued correction folders of `month` (OUT/YYYY-MM/corrections/NN/ with their
    manifest), in order of NN."""
    folder = out / str(month) / CORRECTIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_dir() and _NN.match(p.name) and (p / MANIFEST_FILE).exists()
    )


def charges_dir(out: Path) -> Path:
    """OUT/receivables/charges/: the late-charge runs (R91), {D}-{NN}/ each."""
    return out / "receivables" / "charges"


def issued_charges(out: Path) -> list[Path]:
    """The issued late-charge folders (with their manifest), in name order."""
    folder = charges_dir(out)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).exists()
    )


def issued_folders(out: Path, before: Month | None) -> tuple[list[Path], list[str]]:
    """Every issued month folder and correction folder, in the order they were issued: a
    month, then the corrections issued while it was the last month (their manifest's
    position). Only those issued before month `before` when given."""
    keyed: list[tuple[tuple[Month, int], Path]] = []
    problems = []
    for m in issued_months(out):
        if before is not None and m >= before:
            continue
        keyed.append(((m, -1), out / str(m)))
        for folder in issued_corrections(out, m):
            try:
                position = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))[
                    "correction"
                ]["position"]
                key = (Month.parse(position["last_month"]), int(position["corrections_before"]))
            except (OSError, ValueError, KeyError, TypeError, InputError) as exc:
                problems.append(_unreadable(folder / MANIFEST_FILE, exc))
                continue
            if before is None or key[0] < before:
                keyed.append((key, folder))
    for folder in issued_charges(out):  # R91: late-charge runs, placed by their position
        try:
            position = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["charge"][
                "position"
            ]
            key = (Month.parse(position["last_month"]), int(position["corrections_before"]))
        except (OSError, ValueError, KeyError, TypeError, InputError) as exc:
            problems.append(_unreadable(folder / MANIFEST_FILE, exc))
            continue
        if before is None or key[0] < before:
            keyed.append((key, folder))
    return [f for _, f in sorted(keyed, key=lambda kv: kv[0])], problems


# Where the ledger remembers the files it has hashed (size, times, inode, sha256), so
# that checking every issued file before every run re-hashes only the files whose size or
# times changed. Written only when a month or a correction is published; a missing or
# unreadable cache means every file is hashed again (docs/robustness.md).
VERIFIED_FILE = ".verified.json"


def _stat_key(path: Path) -> list[int]:
    """What changes when a file is written, replaced or chmod-ed: the status-change time
    (ctime) cannot be set back by a user, unlike the modification time."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _read_cache(out: Path) -> dict[str, list[Any]]:
    try:
        data = json.loads((out / VERIFIED_FILE).read_text(encoding="utf-8"))
        return data["files"] if data.get("version") == 1 else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _unreadable(path: Path, exc: BaseException) -> str:
    return say(f"{path} : illisible ({exc})", f"{path}: unreadable ({exc})")


def verify(out: Path, before: Month | None = None) -> dict[str, list[Any]]:
    """The issued months and their corrections (those issued before month `before` when
    given) are intact: every file their manifest lists exists with its sha256, and each series
    is one unbroken sequence per year, in the order of issue (R60, R67). Return what was
    verified (path under OUT -> size, modification time, sha256), for `remember`."""
    seen: dict[tuple[str, str], int] = {}
    cache = _read_cache(out)
    verified: dict[str, list[Any]] = {}
    folders, problems = issued_folders(out, before)
    for folder in folders:
        try:
            outputs = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["outputs"]
        except (OSError, ValueError, KeyError) as exc:
            problems.append(_unreadable(folder / MANIFEST_FILE, exc))
            continue
        for name, digest in sorted(outputs.items()):
            path = folder / name
            rel = path.relative_to(out).as_posix()
            if not path.is_file():
                problems.append(
                    say(
                        f"{path} : supprimé depuis son émission (il figure dans son manifeste)",
                        f"{path}: removed since it was issued (listed in its manifest)",
                    )
                )
                continue
            key = _stat_key(path)
            known = cache.get(rel)
            actual = known[4] if known and known[:4] == key else sha256(path)
            if actual != digest:
                problems.append(
                    say(
                        f"{path} : modifié depuis son émission (son sha256 diffère)",
                        f"{path}: changed since it was issued (sha256 differs)",
                    )
                )
                continue
            verified[rel] = [*key, digest]
        for series, column, file in SERIES:
            for doc in _read_column(folder / file, column):
                match = _NUMBER.match(doc)
                if not match or match.group(1) != series:
                    problems.append(
                        say(
                            f"{folder / file} : {doc!r} n'est pas un numéro {series}",
                            f"{folder / file}: {doc!r} is not a {series} number",
                        )
                    )
                    continue
                key_ = (series, match.group(2))
                expected = seen.get(key_, 0) + 1
                if int(match.group(3)) != expected:
                    wanted = f"{series}{key_[1]}-{expected:06d}"
                    problems.append(
                        say(
                            f"{folder / file} : {doc} rompt la séquence, {wanted} attendu (R60)",
                            f"{folder / file}: {doc} breaks the sequence, expected {wanted} (R60)",
                        )
                    )
                seen[key_] = int(match.group(3))
    if problems:
        raise ProblemFound(
            say(
                f"le registre sous {out} est endommagé ; rien n'a été fait (restaurez les "
                "fichiers depuis une sauvegarde, ou déplacez le mois endommagé) :\n",
                f"the ledger under {out} is damaged; nothing was done (restore the files from a "
                "backup, or move the damaged month away):\n",
            )
            + "\n".join(problems[:20])
        )
    return verified


def remember(out: Path, verified: dict[str, list[Any]], published: Path) -> None:
    """After a publication: record the files verified at the start and the ones just
    published (their manifest's hashes), so that the next run hashes only what changed."""
    files = dict(verified)
    record = json.loads((published / MANIFEST_FILE).read_text(encoding="utf-8"))
    for name, digest in record["outputs"].items():
        path = published / name
        files[path.relative_to(out).as_posix()] = [*_stat_key(path), digest]
    tmp = out / f"{VERIFIED_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"version": 1, "files": files}, sort_keys=True), encoding="utf-8")
    os.replace(tmp, out / VERIFIED_FILE)


@contextmanager
def scratch_folder(out: Path, month: Month) -> Iterator[Path]:
    """The run's own scratch folder (rated_calls.parquet before it is copied into the month),
    outside OUT so that a killed run leaves OUT as it was, in BILLING_TEMP_DIR or the system's
    temporary folder; removed when the block ends. Its name carries a key of OUT: the caller
    holds OUT's lock, so a folder with the same key was left by a run on this OUT that was
    killed, and is removed first."""
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:12]
    base = Path(db.temp_dir() or tempfile.gettempdir())
    for stale in sorted(base.glob(f"billing-{key}-*")):
        shutil.rmtree(stale, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=f"billing-{key}-{month}-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def staging_dir(out: Path, month: Month) -> Path:
    path = out / f"{STAGING_PREFIX}{month}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def correction_dir(out: Path, month: Month, number: int) -> Path:
    """Where correction `number` of `month` is published (R68: OUT/M/corrections/NN/); its
    parent folder is made here (an empty corrections/ folder left by a killed run is
    harmless: a correction exists once its folder is renamed into place)."""
    parent = out / str(month) / CORRECTIONS_DIR
    parent.mkdir(exist_ok=True)
    final = parent / f"{number:02d}"
    if final.exists():
        raise ProblemFound(
            say(
                f"{final} existe mais n'est pas une correction émise (pas de {MANIFEST_FILE}) ; "
                "il n'a pas été créé par ce programme : déplacez-le et relancez",
                f"{final} exists but is not an issued correction (no {MANIFEST_FILE}); it was "
                "not made by this program: move it away and run again",
            )
        )
    return final


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(staging: Path, final: Path) -> None:
    """Make every file durable and read-only, then issue the month with one atomic rename."""
    read_only = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    for f in sorted(staging.rglob("*")):
        if f.is_file():
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
            f.chmod(read_only)
    fsync_dir(staging)
    checkpoint("staged")
    os.rename(staging, final)
    fsync_dir(final.parent)
    checkpoint("published")
