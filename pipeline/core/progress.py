"""Stage timings and progress of a run.

`stage("rating", "rat_destinations")` times a step. Timings are kept when a recorder is
active (`recording()`, used by the benchmark); progress lines (stage, then its elapsed time,
ticking while it runs) go to stderr only when stderr is a terminal, and never in CI (`CI` set)
or when `BILLING_PROGRESS=0`. Nothing here touches the results of a run.
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


def show_progress() -> bool:
    if os.environ.get("BILLING_PROGRESS") == "0" or os.environ.get("CI"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def stage(group: str, step: str | None = None) -> Iterator[None]:
    """Time one step of the run (a model, a file, an export)."""
    step = step or group
    start, cpu_start = time.perf_counter(), cpu_seconds()
    ticker = _Ticker(f"{group}: {step}", start) if show_progress() else None
    try:
        yield
    finally:
        seconds = time.perf_counter() - start
        if ticker is not None:
            ticker.stop(seconds)
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
