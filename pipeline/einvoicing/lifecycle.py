"""Lifecycle statuses of the issued documents (R94, R95): pure functions of the receivables
journal's events and the issued documents.

Every status is a `lifecycle_status` event of the receivables journal: document = the
document number, date = the status's date, details `code`, `label`, `reason` (and
`reason_code`), `flow_id`, `source` (`deposit`, `import`, `fetch`), `message` (the CDAR
message id) and, when something is wrong with it, `problem` (`unknown_document`,
`unknown_code`). A status is recorded once: the same message's status of the same document,
imported again or fetched again, is "already recorded".

- R94: a document is deposited once: it has no `deposit` status yet (200 "Déposée" or 213
  "Rejetée" at deposit). A failed call records nothing, so the next run tries again.
- R95: 207 "En litige" and 210 "Refusée" suspend dunning (read by the dunning stage
  from these events); a document whose latest status is 210 or 213 needs a correction
  (R65-R68): `to_correct`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.einvoicing.documents import IssuedDocument
from pipeline.einvoicing.frctc import CdarStatus
from pipeline.receivables.journal import (
    LIFECYCLE_LABELS,
    LIFECYCLE_STATUS,
    SUSPENDS_DUNNING,
    Event,
    details,
)

LABELS = LIFECYCLE_LABELS  # XP Z12-012 (R95): code -> French label
DEPOSITED, REFUSED, COLLECTED, REJECTED = "200", "210", "212", "213"
SUSPEND_DUNNING = SUSPENDS_DUNNING  # R95: no dunning letter
NEEDS_CORRECTION = frozenset({"210", "213"})  # R95
DEPOSIT, IMPORT, FETCH = "deposit", "import", "fetch"
UNKNOWN_DOCUMENT, UNKNOWN_CODE = "unknown_document", "unknown_code"


def status_event(
    *,
    document: str,
    customer_id: str,
    day: date,
    code: str,
    reason: str,
    source: str,
    source_file: str,
    source_sha256: str,
    entry: str,
    flow_id: str = "",
    message: str = "",
    reason_code: str = "",
    problem: str = "",
    amount: Decimal = Decimal("0.00"),
    updated_at: str = "",
) -> Event:
    return Event(
        LIFECYCLE_STATUS,
        day,
        customer_id,
        document,
        amount,
        source_file,
        source_sha256,
        entry,
        details(
            code=code,
            label=LABELS.get(code, ""),
            reason=reason,
            reason_code=reason_code,
            flow_id=flow_id,
            source=source,
            message=message,
            problem=problem,
            updated_at=updated_at,
        ),
    )


def _statuses(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if e.kind == LIFECYCLE_STATUS]


def deposited(events: Iterable[Event]) -> dict[str, Event]:
    """R94: document -> its deposit status (200, or 213 refused at deposit)."""
    return {e.document: e for e in _statuses(events) if e.detail("source") == DEPOSIT}


def to_deposit(
    documents: Mapping[str, IssuedDocument], events: Iterable[Event], month: str
) -> list[IssuedDocument]:
    """R94: the documents of `month` (the month's own and its corrections') not yet
    deposited, in order of number within each folder (months first, then corrections)."""
    done = deposited(events)
    return [d for d in documents.values() if d.month == month and d.number not in done]


@dataclass(frozen=True)
class Imported:
    """What an import or a fetch recorded or found already recorded, per status read."""

    status: CdarStatus
    event: Event | None  # None: already recorded
    problem: str


def status_events(
    statuses: list[CdarStatus],
    documents: Mapping[str, IssuedDocument],
    events: Iterable[Event],
    *,
    source: str,
    source_file: str,
    source_sha256: str,
    fallback_day: date,
    flow_id: str = "",
    updated_at: str = "",
) -> list[Imported]:
    """R95: one event per status read, never dropped: an unknown document or code is recorded
    with its `problem` and reported. A status already recorded (same message, document and
    code) gives no event."""
    seen = {(e.entry, e.detail("code")) for e in _statuses(events)}
    out: list[Imported] = []
    for s in statuses:
        entry = f"{s.message_id}/{s.document}"
        problem = ""
        if s.document not in documents:
            problem = UNKNOWN_DOCUMENT
        elif s.code not in LABELS:
            problem = UNKNOWN_CODE
        if (entry, s.code) in seen:
            out.append(Imported(s, None, problem))
            continue
        seen.add((entry, s.code))
        doc = documents.get(s.document)
        event = status_event(
            document=s.document,
            customer_id=doc.customer_id if doc else "",
            day=s.issued_at.date() if s.issued_at else fallback_day,
            code=s.code,
            reason=s.reason,
            reason_code=s.reason_code,
            source=source,
            source_file=source_file,
            source_sha256=source_sha256,
            entry=entry,
            flow_id=flow_id,
            message=s.message_id,
            problem=problem,
            amount=s.amount if s.amount is not None else Decimal("0.00"),
            updated_at=updated_at,
        )
        out.append(Imported(s, event, problem))
    return out


def latest(events: Iterable[Event]) -> dict[str, Event]:
    """Each document's latest status: the latest date, and the later recorded on a tie."""
    found: dict[str, Event] = {}
    for e in _statuses(events):
        if e.detail("problem") == UNKNOWN_CODE:
            continue
        if e.document not in found or e.date >= found[e.document].date:
            found[e.document] = e
    return found


def to_correct(events: Iterable[Event]) -> list[Event]:
    """R95: the documents whose latest status is 210 "Refusée" or 213 "Rejetée", by number."""
    return sorted(
        (e for e in latest(events).values() if e.detail("code") in NEEDS_CORRECTION),
        key=lambda e: e.document,
    )


def dunning_suspended(events: Iterable[Event]) -> set[str]:
    """R95: documents with a 207 or 210 status recorded (the dunning stage's rule)."""
    return {e.document for e in _statuses(events) if e.detail("code") in SUSPEND_DUNNING}


def fetch_cursor(events: Iterable[Event]) -> str:
    """R95 --fetch: the latest `updatedAt` of the flows fetched so far (the platform's search
    is strict: updatedAt > updatedAfter), or the epoch."""
    cursors = [e.detail("updated_at") for e in _statuses(events) if e.detail("updated_at")]
    return max(cursors, default="1970-01-01T00:00:00.000Z")
