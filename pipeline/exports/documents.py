"""The e-invoices of a run (R70-R72): documents/{number}.pdf for every invoice and credit note
of a month or a correction, a Factur-X (PDF/A-3, factur-x.xml embedded, CII, EN 16931).

Each document's record is built from the same Invoice or CreditNote as the CSVs
(pipeline.exports.einvoice.record: nothing is recomputed), its XML from the record, its PDF
from the record and the XML. The customer's itemised bill of the month is attached (BG-24)
when it is at most ATTACH_MAX_BYTES. Rendering runs on one thread per core (Typst releases the
GIL), each with its own compiler.

Checks (docs/einvoices.md): every document's XML against the Factur-X XSD, always; the
EN 16931 and BR-FR schematrons on `check_sample` documents (all of a small run, an evenly
spread sample of a large one with one document of each shape), when the caller asks for them
(the validation gates). The findings are returned, per document: the driver stops the run before publishing.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.language import say
from pipeline.exports.einvoice.check import Checker
from pipeline.exports.einvoice.cii import to_xml
from pipeline.exports.einvoice.pdf import Renderer
from pipeline.exports.einvoice.record import EInvoice, build_record
from pipeline.exports.itemised import file_stem

DOCUMENTS_DIR = "documents"
ATTACH_MAX_BYTES = 2 << 20  # a larger itemised bill stays beside the e-invoice, not inside
SAMPLE_ALL = 20  # up to this many documents, the schematrons check every one
SAMPLE_EVERY = 50  # above it, one document in this many, evenly spread...
SAMPLE_MIN, SAMPLE_MAX = 10, 60  # ...at least and at most this many, plus one of each shape
MISSING_ADDRESS = "BR-FR-12"  # the buyer's electronic address: a data gap, reported apart


@dataclass
class DocumentsResult:
    names: list[str] = field(default_factory=list)  # documents/{number}.pdf, in order
    findings: dict[str, list[str]] = field(default_factory=dict)  # number -> rules broken
    warnings: list[str] = field(default_factory=list)  # one line each
    checked_rules: int = 0  # documents checked against the schematrons


def sample_size(documents: int) -> int:
    """How many documents of a run the schematrons check, shapes apart (issue 32): every one of
    a small run; one in SAMPLE_EVERY of a larger one, between SAMPLE_MIN and SAMPLE_MAX. A
    check costs about 95 ms, so a fixed 60 cost 11 ms a document of a 500-document month (the
    goal is 10 ms for the whole documents stage) and 1 ms at 5,000."""
    if documents <= SAMPLE_ALL:
        return documents
    return min(SAMPLE_MAX, max(SAMPLE_MIN, -(-documents // SAMPLE_EVERY)))


def shape(record: EInvoice) -> tuple[Any, ...]:
    """What decides which rules of the schematrons a document meets: its type (invoice, credit
    note), payment means (credit transfer, direct debit), VAT categories and rates, whether it
    references an earlier invoice, carries an attachment, has the buyer's electronic address."""
    return (
        record.bt3_type_code,
        record.bg16_payment.code if record.bg16_payment else None,
        tuple((v.bt118_category, v.bt119_rate, v.bt121_exemption_code) for v in record.bg23_vat),
        bool(record.bg3_preceding),
        bool(record.bg24_attachments),
        record.bg7_buyer.endpoint_scheme,
    )


def check_sample(records: list[EInvoice]) -> set[str]:
    """The numbers of the documents the schematrons check: every document of a run of at most
    SAMPLE_ALL; otherwise `sample_size` documents spread evenly over the run (the first and the
    last among them), plus the first document of every shape the spread missed, so each kind of
    document of the run is checked at least once. Deterministic."""
    numbers = [r.bt1_number for r in records]
    size = sample_size(len(numbers))
    if len(numbers) <= size:
        return set(numbers)
    step = (len(numbers) - 1) / (size - 1)
    chosen = {_nearest_index(i * step) for i in range(size)}
    seen = {shape(records[i]) for i in chosen}
    for i, record in enumerate(records):
        kind = shape(record)
        if kind not in seen:
            seen.add(kind)
            chosen.add(i)
    return {numbers[i] for i in chosen}


def _nearest_index(position: float) -> int:
    """The index nearest `position`, a half up (never Python's round, which rounds half to
    even: R2's rule for money, kept here so the sample does not depend on it either)."""
    return int(position + 0.5)


def _records(documents: list[Any], reference: Any, itemised: Path | None) -> list[EInvoice]:
    customers = {c["customer_id"]: c for c in reference["ref_customers"].rows}
    records = []
    for doc in documents:
        attachment = None
        if itemised is not None:
            path = itemised / f"{file_stem(doc.customer_id)}.csv"
            if path.exists() and path.stat().st_size <= ATTACH_MAX_BYTES:
                attachment = path.read_bytes()  # the bill this run has just written
        records.append(
            build_record(
                doc, reference.provider, customers.get(doc.customer_id), itemised_csv=attachment
            )
        )
    return records


def write_documents(
    folder: Path,
    documents: list[Any],
    reference: Any,
    *,
    itemised: Path | None = None,
    check_rules: bool = False,
    workers: int | None = None,
) -> DocumentsResult:
    """Write documents/{number}.pdf into `folder` for each of `documents` (invoices, then
    credit notes); return the files and what the checks found."""
    records = _records(documents, reference, itemised)
    out = folder / DOCUMENTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    sample = check_sample(records) if check_rules else set()
    local = threading.local()

    def one(record: EInvoice) -> tuple[str, list[str], list[str]]:
        if not hasattr(local, "renderer"):
            local.renderer = Renderer()
            local.xsd = Checker(schematrons=False)
        xml = to_xml(record)
        (out / f"{record.bt1_number}.pdf").write_bytes(local.renderer.render(record, xml))
        found = local.xsd.check_xsd(xml)
        rules = _rules_checker().check_schematrons(xml) if record.bt1_number in sample else []
        return record.bt1_number, found, rules

    workers = workers or min(len(records), len(os.sched_getaffinity(0))) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, records))
    result = DocumentsResult(checked_rules=len(sample))
    for record, (number, xsd, rules) in zip(records, results, strict=True):
        result.names.append(f"{DOCUMENTS_DIR}/{number}.pdf")
        missing = [f for f in rules if f.startswith(MISSING_ADDRESS)]
        if missing or not record.bg7_buyer.endpoint_id:
            buyer = record.bg7_buyer.identifier
            result.warnings.append(
                say(
                    f"facture électronique {number} : le client {buyer} n'a pas d'adresse "
                    "électronique (ni SIREN, ni numéro de TVA) : ajoutez electronic_address "
                    "(SCHEMA:ID, par ex. EM:compta@example.com) à customers.csv pour l'envoyer "
                    f"par une plateforme ({MISSING_ADDRESS})",
                    f"e-invoice {number}: customer {buyer} has no electronic address (no SIREN, "
                    "no VAT number): add electronic_address (SCHEME:ID, e.g. "
                    "EM:compta@example.com) to customers.csv to send it through a platform "
                    f"({MISSING_ADDRESS})",
                )
            )
        broken = xsd + [f for f in rules if not f.startswith(MISSING_ADDRESS)]
        if broken:
            result.findings[number] = broken
    return result


_rules: Checker | None = None
_rules_lock = threading.Lock()


def _rules_checker() -> Checker:
    """The schematron checker, compiled once per process (Saxon's stylesheets are not shared
    across threads: calls are serialised)."""
    global _rules
    with _rules_lock:
        if _rules is None:
            _rules = _LockedChecker()
        return _rules


class _LockedChecker(Checker):
    def __init__(self) -> None:
        super().__init__(schematrons=True)
        self._lock = threading.Lock()

    def check_schematrons(self, xml: bytes) -> list[str]:
        with self._lock:
            return super().check_schematrons(xml)
