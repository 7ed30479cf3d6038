"""Render many documents: XML and Factur-X PDF of each record, on every core (R70).

`render_documents(records, workers=N)` returns, in the order of `records`, one `Rendered` per
document; with `folder` it also writes ``{folder}/{number}.pdf`` and keeps no bytes in memory
(a 5,000-document month is about 300 MB of PDF).

Typst releases the GIL while it compiles, so the default runs N threads, each with its own
`Renderer` (one Typst compiler, created once per thread): no process start-up, nothing pickled.
``processes=True`` runs N worker processes instead (spawned: the caller may hold DuckDB
threads, which fork would copy in an unknown state), each rendering chunks of records; use it
when the Python part (record -> XML, view) becomes the bottleneck.

`check_documents(xmls, workers=N)` runs the checker (XSD and both schematrons, about 50 ms a
document) on N processes, for a run that checks every document rather than a sample.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from pipeline.exports.einvoice.check import Checker
from pipeline.exports.einvoice.cii import to_xml
from pipeline.exports.einvoice.pdf import Renderer
from pipeline.exports.einvoice.record import EInvoice


@dataclass(frozen=True)
class Rendered:
    """One document's outputs: bytes in memory, or the file written and its hashes."""

    number: str
    xml_sha256: str
    pdf_sha256: str
    path: Path | None = None
    xml: bytes | None = None
    pdf: bytes | None = None


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def render_documents(
    records: Sequence[EInvoice],
    *,
    workers: int | None = None,
    folder: Path | None = None,
    processes: bool = False,
    chunk: int = 50,
) -> list[Rendered]:
    """XML and PDF of every record, in order, on `workers` threads (default: one per core)."""
    workers = workers or default_workers()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    if workers == 1:
        renderer = Renderer()
        return [_render_one(renderer, record, folder) for record in records]
    if processes:
        chunks = [list(records[i : i + chunk]) for i in range(0, len(records), chunk)]
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=get_context("spawn"), initializer=_init_process
        ) as pool:
            return [
                r for part in pool.map(_render_chunk, chunks, [folder] * len(chunks)) for r in part
            ]
    local = threading.local()

    def task(record: EInvoice) -> Rendered:
        renderer = getattr(local, "renderer", None)
        if renderer is None:
            renderer = local.renderer = Renderer()
        return _render_one(renderer, record, folder)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(task, records))


def iter_documents(records: Sequence[EInvoice]) -> Iterator[tuple[EInvoice, bytes, bytes]]:
    """(record, xml, pdf) one after the other in this thread, for small runs and tests."""
    renderer = Renderer()
    for record in records:
        xml = to_xml(record)
        yield record, xml, renderer.render(record, xml)


def _render_one(renderer: Renderer, record: EInvoice, folder: Path | None) -> Rendered:
    xml = to_xml(record)
    pdf = renderer.render(record, xml)
    xml_hash = hashlib.sha256(xml).hexdigest()
    pdf_hash = hashlib.sha256(pdf).hexdigest()
    if folder is None:
        return Rendered(record.bt1_number, xml_hash, pdf_hash, xml=xml, pdf=pdf)
    path = folder / f"{record.bt1_number}.pdf"
    path.write_bytes(pdf)
    return Rendered(record.bt1_number, xml_hash, pdf_hash, path=path)


def check_documents(xmls: Sequence[bytes], *, workers: int | None = None) -> list[list[str]]:
    """`Checker.check` of every XML, in order, on `workers` spawned processes (Saxon/C is not
    shared across threads; each process compiles the stylesheets once, about 1 s)."""
    workers = workers or default_workers()
    if workers == 1 or len(xmls) < 2:
        checker = Checker()
        return [checker.check(xml) for xml in xmls]
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_init_checker
    ) as pool:
        return list(pool.map(_check, xmls, chunksize=20))


_PROCESS_CHECKER: Checker | None = None


def _init_checker() -> None:
    global _PROCESS_CHECKER
    _PROCESS_CHECKER = Checker()


def _check(xml: bytes) -> list[str]:
    assert _PROCESS_CHECKER is not None
    return _PROCESS_CHECKER.check(xml)


_PROCESS_RENDERER: Renderer | None = None


def _init_process() -> None:
    global _PROCESS_RENDERER
    _PROCESS_RENDERER = Renderer()


def _render_chunk(records: list[EInvoice], folder: Path | None) -> list[Rendered]:
    assert _PROCESS_RENDERER is not None
    return [_render_one(_PROCESS_RENDERER, record, folder) for record in records]
