"""The CSV reports of the statuses commands (R95), as bytes, computed from the journal's
events: `to_correct.csv` (documents whose latest status is 210 or 213, to correct with
R65-R68) and `status_problems.csv` (statuses of an unknown document or with an unknown code,
reported, never dropped). Sorted; no timestamp: the same journal gives the same bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from pipeline.einvoicing.documents import IssuedDocument
from pipeline.einvoicing.lifecycle import LIFECYCLE_STATUS, to_correct
from pipeline.receivables.journal import Event

TO_CORRECT_COLUMNS = (
    "document_number",
    "customer_id",
    "document_date",
    "code",
    "label",
    "status_date",
    "reason",
    "source",
    "flow_id",
)
PROBLEM_COLUMNS = ("document_number", "code", "status_date", "problem", "message", "source_file")


def _csv(columns: tuple[str, ...], rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def to_correct_csv(events: Iterable[Event], documents: Mapping[str, IssuedDocument]) -> bytes:
    rows = []
    for e in to_correct(events):
        doc = documents.get(e.document)
        rows.append(
            (
                e.document,
                e.customer_id,
                doc.date.isoformat() if doc else "",
                e.detail("code"),
                e.detail("label"),
                e.date.isoformat(),
                e.detail("reason"),
                e.detail("source"),
                e.detail("flow_id"),
            )
        )
    return _csv(TO_CORRECT_COLUMNS, rows)


def problems_csv(events: Iterable[Event]) -> bytes:
    rows = sorted(
        (
            e.document,
            e.detail("code"),
            e.date.isoformat(),
            e.detail("problem"),
            e.detail("message"),
            e.source_file,
        )
        for e in events
        if e.kind == LIFECYCLE_STATUS and e.detail("problem")
    )
    return _csv(PROBLEM_COLUMNS, rows)
