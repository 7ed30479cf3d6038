"""What has been issued, kept under OUT/ (R60, R64).

An issued month is the folder OUT/YYYY-MM/, published by one atomic rename once every file
is written: it exists whole or not at all. The ledger is read from those folders, so there is
no second copy of the truth to keep in step. A run holds an exclusive lock on OUT/.lock
(released by the system if the process dies, even by SIGKILL).
"""

from __future__ import annotations

import csv
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.dates import Month
from pipeline.errors import InputError

MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")
STAGING_PREFIX = ".staging-"


@contextmanager
def locked(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise InputError(
                f"another billing run is using {out} right now; wait for it to finish and run again"
            ) from exc
        for stale in out.glob(STAGING_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed
        yield
    finally:
        handle.close()


def issued_months(out: Path) -> list[Month]:
    if not out.is_dir():
        return []
    return sorted(
        Month.parse(p.name)
        for p in out.iterdir()
        if p.is_dir() and MONTH_DIR.match(p.name) and (p / "manifest.json").exists()
    )


def next_sequence(out: Path, before: Month, series: str, column: str, file: str, year: int) -> int:
    """R60: one unbroken sequence per series and year, continued from the months issued before."""
    highest = 0
    pattern = re.compile(rf"^{series}{year:04d}-(\d{{6}})$")
    for m in issued_months(out):
        if m >= before:
            continue
        path = out / str(m) / file
        if not path.exists():
            continue
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                match = pattern.match(row[column])
                if match:
                    highest = max(highest, int(match.group(1)))
    return highest + 1


def billed_id_files(out: Path, before: Month) -> list[Path]:
    """rated_calls.parquet of every month issued before `before` (R41 DUPLICATE)."""
    return [
        out / str(m) / "rated_calls.parquet"
        for m in issued_months(out)
        if m < before and (out / str(m) / "rated_calls.parquet").exists()
    ]


def staging_dir(out: Path, month: Month) -> Path:
    path = out / f"{STAGING_PREFIX}{month}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def publish(staging: Path, final: Path) -> None:
    """Make every file durable, then issue the month with one atomic rename."""
    for f in staging.rglob("*"):
        if f.is_file():
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
    os.rename(staging, final)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
