"""Stage timings and progress of a run.

`stage("rating", "rat_destinations")` times a step. Timings are kept when a recorder is
active (`recording()`, used by the benchmark). Progress goes to stderr in words a finance user
knows, one line per phase of the run (PHASES: "Valorisation des appels", not the SQL model's
name): on a terminal the line of the current phase shows its elapsed time, ticking; in a log
(cron, CI) each phase is one line when it starts, and its time when the run moves on.
A run that only compares with what was issued (an audit, a month billed again) says so
(`comparing()`: "Calcul des fichiers du mois pour comparaison", not "Écriture des fichiers du
mois"). `BILLING_PROGRESS=0` hides it. Nothing here touches the results of a run.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_TICK_S = 0.5


@dataclass
class Timings:
    """(group, step, seconds) in the order the steps ended."""

    steps: list[tuple[str, str, float]] = field(default_factory=list)
    # the process's peak RSS (MB) when each step ended: which step raised the peak
    peak_rss_mb: list[float] = field(default_factory=list)
    # CPU seconds (user + system, every thread of the process, DuckDB's included) of each
    # step: steadier than wall time on a shared machine, to compare two versions of a step
    cpu_s: list[float] = field(default_factory=list)

    def by_group(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for group, _, seconds in self.steps:
            totals[group] = totals.get(group, 0.0) + seconds
        return totals


_recorder: Timings | None = None


@contextmanager
def recording() -> Iterator[Timings]:
    """Collect the timings of every `stage` run inside the block."""
    global _recorder
    previous, _recorder = _recorder, Timings()
    try:
        yield _recorder
    finally:
        _recorder = previous


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM on Linux (reset by exec, unlike getrusage's
    ru_maxrss, which keeps the high-water mark of the process that forked it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The phases of a run as the progress lines name them: a stage group, or (group, step).
_RATING = "Valorisation des appels (doublons, rejets, forfaits, usage raisonnable)"
PHASES = {
    "reference": "Lecture des clients, contrats et du tarif",
    "load": "Lecture des fichiers d'appels (CDR) du mois",
    "staging": _RATING,
    "rating": _RATING,
    "fair_use": _RATING,
    ("validation", "inputs"): "Contrôle des données reçues",
    ("validation", "outputs"): "Contrôle des documents avant leur émission",
    "contracts": "Abonnements, locations et ventes de matériel",
    "invoices": "Factures du mois",
    "sla": "Disponibilité du service et avoirs SLA",
    ("manifest", "input hashes"): "Empreintes des données reçues",
    ("manifest", "output hashes"): "Empreintes des fichiers émis",
    "outputs": "Écriture des fichiers du mois",
    "exports": "Écriture des fichiers du mois",
    "documents": "Factures électroniques (Factur-X)",
    "watch": "Veille fraude : appels du jour",
    "compare": "Comparaison avec les fichiers émis",
}
# The same phases in a run that only compares with what was issued (`comparing()`: an audit,
# a month billed again, R64): its files are computed into a temporary folder, never issued.
COMPARING_PHASES = {
    ("validation", "outputs"): "Contrôle des documents recalculés",
    "outputs": "Calcul des fichiers du mois pour comparaison",
    "exports": "Calcul des fichiers du mois pour comparaison",
    "documents": "Calcul des factures électroniques (Factur-X) pour comparaison",
    ("manifest", "output hashes"): "Empreintes des fichiers recalculés pour comparaison",
}
_comparing = False


@contextmanager
def comparing() -> Iterator[None]:
    """Inside the block the run computes a month's files only to compare them with the issued
    ones (nothing is issued): the phases that would write them say so (COMPARING_PHASES)."""
    global _comparing
    previous, _comparing = _comparing, True
    try:
        yield
    finally:
        _comparing = previous


def phase_label(group: str, step: str) -> str:
    """The words of the progress line of a step (PHASES, COMPARING_PHASES when comparing)."""
    for key in ((group, step), group):
        if _comparing and key in COMPARING_PHASES:
            return COMPARING_PHASES[key]
        if key in PHASES:
            return PHASES[key]
    return group


def progress_mode() -> str | None:
    """'terminal', 'log' or None (hidden: BILLING_PROGRESS=0)."""
    if os.environ.get("BILLING_PROGRESS") == "0":
        return None
    try:
        return "terminal" if sys.stderr.isatty() else "log"
    except (AttributeError, ValueError):
        return None


class _Phases:
    """The phase the run is in: a new group of steps starts a new line."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.started = 0.0
        self.ticker: _Ticker | None = None

    def enter(self, group: str, step: str) -> None:
        label = phase_label(group, step)
        if label == self.name:
            return
        self.finish()
        mode = progress_mode()
        if mode is None:
            return
        self.name, self.started = label, time.perf_counter()
        if mode == "terminal":
            self.ticker = _Ticker(label, self.started)
        else:
            sys.stderr.write(f"  {label}...\n")
            sys.stderr.flush()

    def finish(self) -> None:
        """End the current phase's line (when the run moves on, or ends)."""
        if self.name is None:
            return
        seconds = time.perf_counter() - self.started
        if self.ticker is not None:
            self.ticker.stop(seconds)
        self.name, self.ticker = None, None


_phases = _Phases()
finish_progress = _phases.finish


@contextmanager
def stage(group: str, step: str | None = None) -> Iterator[None]:
    """Time one step of the run (a model, a file, an export)."""
    step = step or group
    start, cpu_start = time.perf_counter(), cpu_seconds()
    _phases.enter(group, step)
    try:
        yield
    finally:
        seconds = time.perf_counter() - start
        if _recorder is not None:
            _recorder.steps.append((group, step, seconds))
            _recorder.peak_rss_mb.append(peak_rss_mb())
            _recorder.cpu_s.append(cpu_seconds() - cpu_start)


class _Ticker:
    """`label ... 3.5 s` on one terminal line, rewritten while the step runs."""

    def __init__(self, label: str, start: float) -> None:
        self.label, self.start = label, start
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(_TICK_S):
            self._write(f"{time.perf_counter() - self.start:6.1f} s", end="")

    def _write(self, text: str, end: str) -> None:
        sys.stderr.write(f"\r  {self.label:<42} {text}{end}")
        sys.stderr.flush()

    def stop(self, seconds: float) -> None:
        self.done.set()
        self.thread.join()
        self._write(f"{seconds:6.1f} s", end="\n")


# TEST ONLY. When this environment variable names a step of the run (see `checkpoint`), the run
# stops there and waits to be killed, so that tests can SIGKILL it at a known point. Never set
# it in production: the run would wait forever.
PAUSE_ENV = "BILLING_TEST_PAUSE_AT"


def checkpoint(step: str) -> None:
    """A named step of the run; with BILLING_TEST_PAUSE_AT=<step> (tests only) wait there."""
    if os.environ.get(PAUSE_ENV) == step:
        print(f"paused at {step}", file=sys.stderr, flush=True)
        while True:  # pragma: no cover - ended by the test's SIGKILL
            time.sleep(60)
