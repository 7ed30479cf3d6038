"""The receivables journal as the receivables stage sees it (R83): one immutable snapshot of
every event recorded, read once per run under OUT's lock by pipeline.ledger.journal (which
owns the files, their chain of hashes and their publication). Nothing here reads a file.

An event is never edited: a mistake is undone by a reversing event. Amounts are Decimal,
written as strings; dates ISO; ids are the ones a person reads (document numbers, customer
ids, RUMs, collection names).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

# event kinds of this stage (reports, charges and dunning will add theirs)
DOCUMENT_ISSUED = "document_issued"  # an invoice (+TTC) or a credit note (-TTC) entered
ALLOCATION = "allocation"  # a credit note's (R85) or a payment's (R84) amount given to an invoice
COLLECTION_SENT = "collection_sent"  # an invoice's open balance in a pain.008 file (R82)
PAYMENT_RECEIVED = "payment_received"  # a credit of an imported statement (R84), whole
UNALLOCATED_CREDIT = "unallocated_credit"  # what a payment brings beyond what it paid (R84)
SUSPENSE = "suspense"  # an amount no rule matched, with its reason (R84)
DEBIT_RETURNED = "debit_returned"  # a collection returned: the invoice's payment reversed (R84)
RETURN_FEE = "return_fee"  # the bank's fee for a returned debit, owed by the customer (R84)
SUSPENSE_ASSIGNED = "suspense_assigned"  # a suspense item settled by hand (R84 --assign)
# reserved for the stages that build on this journal (issues 28-30), so that they agree:
LATE_CHARGE = "late_charge"  # late-payment interest and indemnity charged (R91)
DUNNING_LETTER = "dunning_letter"  # a reminder, formal notice or suspension sent (R92)
LIFECYCLE_STATUS = "lifecycle_status"  # a platform status (details: code, reason) R95
STATUS_EXPORTED = "status_exported"  # a 212 "Encaissée" message written (R96)
EREPORTED = "ereported"  # a document or payment in an e-reporting flow (R97)
STATUS_SENT = "status_sent"  # a 212 message deposited with the platform (R96 --send, R94)


# The French e-invoicing lifecycle (XP Z12-012, R95): code -> French label, as the CDV
# schematron's code list names them; shared by the platform stage (einvoicing), dunning and
# the receivables report, which rank below it or beside it
LIFECYCLE_LABELS: dict[str, str] = {
    "200": "Déposée",
    "201": "Émise",
    "202": "Reçue",
    "203": "Mise à disposition",
    "204": "Prise en charge",
    "205": "Approuvée",
    "206": "Approuvée partiellement",
    "207": "En litige",
    "208": "Suspendue",
    "209": "Complétée",
    "210": "Refusée",
    "211": "Paiement transmis",
    "212": "Encaissée",
    "213": "Rejetée",
}
SUSPENDS_DUNNING = frozenset({"207", "210"})  # R95: "En litige", "Refusée": no letter (R92)


@dataclass(frozen=True)
class Event:
    kind: str
    date: date
    customer_id: str
    document: str  # the document number the event is about
    amount: Decimal
    source_file: str  # where it comes from, relative to OUT (a month's invoices.csv...)
    source_sha256: str
    entry: str  # the entry reference inside the source (a document number, a collection)
    details: tuple[tuple[str, str], ...] = ()  # sorted (name, text) pairs

    def detail(self, name: str, default: str = "") -> str:
        for key, value in self.details:  # a few pairs: a scan is cheaper than a dict
            if key == name:
                return value
        return default

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "date": self.date.isoformat(),
            "customer_id": self.customer_id,
            "document": self.document,
            "amount": str(self.amount),
            "source": {"file": self.source_file, "sha256": self.source_sha256, "entry": self.entry},
            "details": dict(self.details),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(
            data["kind"],
            date.fromisoformat(data["date"]),
            data["customer_id"],
            data["document"],
            Decimal(data["amount"]),
            data["source"]["file"],
            data["source"]["sha256"],
            data["source"]["entry"],
            tuple(sorted((str(k), str(v)) for k, v in data["details"].items())),
        )


def details(**values: Any) -> tuple[tuple[str, str], ...]:
    """Event details from keyword values (None and empty values left out), sorted."""
    return tuple(sorted((k, str(v)) for k, v in values.items() if v not in (None, "")))


@dataclass(frozen=True)
class JournalFile:
    """One command run's events (OUT/receivables/journal/NNNNNN-{sha256[:16]}.json)."""

    number: int
    name: str
    sha256: str
    command: str
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Journal:
    files: tuple[JournalFile, ...] = ()

    @property
    def events(self) -> Iterator[Event]:
        for file in self.files:
            yield from file.events

    @property
    def head(self) -> tuple[int, str]:
        """(number, sha256) of the last file, (0, "") for an empty journal."""
        return (self.files[-1].number, self.files[-1].sha256) if self.files else (0, "")

    def with_events(self, events: list[Event], command: str) -> Journal:
        """The journal as it would be with `events` appended (for a dry run)."""
        if not events:
            return self
        number = self.head[0] + 1
        return Journal((*self.files, JournalFile(number, "", "", command, tuple(events))))
