"""R96: the 212 "Encaissée" messages. Pure: from the receivables journal's files (events in
their recorded order), the issued documents and provider.toml's `vat_on_debits`.

When VAT is due on receipt (services, `vat_on_debits = false`, the default), the seller
tells the tax administration, through its platform, what it received on each invoice that
carries French VAT: one 212 message per payment allocated to such an invoice (an `allocation`
event with its `payment`), amount = the amount allocated (TTC received), at the invoice's VAT
rate (MDT-215 with MDT-224), dated the payment's date; and one per returned debit
(`debit_returned`) that undoes a payment, with the amount reversed as a negative amount.
Credit notes' allocations are not payments: no message. With `vat_on_debits = true` the VAT
was due at invoicing: no message at all.

Each message is exported once: its key is the position of the event it reports in the
journal (`NNNNNN#i`: journal file number, index in the file), which never changes (the journal
is append-only); a `status_exported` event records the key, the file and its sha256.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.einvoicing.cdar import Party, status_fields
from pipeline.einvoicing.documents import INVOICE, IssuedDocument
from pipeline.einvoicing.lifecycle import COLLECTED, LABELS, status_event
from pipeline.receivables.journal import (
    ALLOCATION,
    DEBIT_RETURNED,
    STATUS_EXPORTED,
    Event,
    JournalFile,
    details,
)

EXPORT = "export"


@dataclass(frozen=True)
class Collected:
    key: str  # NNNNNN#i: the reported event's place in the journal
    invoice: IssuedDocument
    day: date
    amount: Decimal  # received (> 0) or reversed by a returned debit (< 0)
    returned: bool

    @property
    def message_id(self) -> str:
        return f"{self.invoice.number}-212-{self.key.replace('#', '-')}"

    @property
    def file_name(self) -> str:
        return f"{self.message_id}.xml"


def exported_keys(events: Iterable[Event]) -> set[str]:
    return {e.entry for e in events if e.kind == STATUS_EXPORTED}


def collected(
    files: Iterable[JournalFile],
    documents: Mapping[str, IssuedDocument],
    day: date,
    vat_on_debits: bool,
) -> list[Collected]:
    """The 212 messages due up to `day` and not yet exported, in journal order."""
    if vat_on_debits:
        return []
    files = list(files)
    done = exported_keys(e for f in files for e in f.events)
    found = []
    for file in files:
        for index, e in enumerate(file.events):
            key = f"{file.number:06d}#{index}"
            if key in done or e.date > day:
                continue
            if e.kind == ALLOCATION and (e.detail("payment") or e.detail("credit")):
                # a payment, or a customer's credit from an earlier payment (R85), on its
                # allocation's date
                amount, returned = e.amount, False
            elif e.kind == DEBIT_RETURNED:
                amount, returned = -e.amount, True
            else:
                continue
            invoice = documents.get(e.document)
            if invoice is None or invoice.type != INVOICE or not invoice.french_vat or not amount:
                continue
            found.append(Collected(key, invoice, e.date, amount, returned))
    return found


def message_fields(
    c: Collected, seller: Party, buyer: Party
) -> tuple[dict[str, object], dict[int, list[Decimal]]]:
    """The CDAR fields of one 212 message: from the seller (SE) to the buyer (BY)."""
    return status_fields(
        message_id=c.message_id,
        day=c.day,
        issuer=seller,
        recipient=buyer,
        document=c.invoice.number,
        type_code=c.invoice.type_code,
        document_date=c.invoice.date,
        seller_siren=seller.siren,
        code=COLLECTED,
        label=LABELS[COLLECTED],
        amounts=[(c.amount, c.invoice.vat_rate)],
    )


def export_events(c: Collected, relative_file: str, sha256: str, folder: str) -> list[Event]:
    """The `status_exported` event of a message written, and the document's 212 status."""
    exported = Event(
        STATUS_EXPORTED,
        c.day,
        c.invoice.customer_id,
        c.invoice.number,
        c.amount,
        relative_file,
        sha256,
        c.key,
        details(
            code=COLLECTED,
            file=relative_file,
            folder=folder,
            message=c.message_id,
            vat_rate=c.invoice.vat_rate,
            returned="yes" if c.returned else "",
        ),
    )
    status = status_event(
        document=c.invoice.number,
        customer_id=c.invoice.customer_id,
        day=c.day,
        code=COLLECTED,
        reason="",
        source=EXPORT,
        source_file=relative_file,
        source_sha256=sha256,
        entry=f"{c.message_id}/{c.invoice.number}",
        message=c.message_id,
        amount=c.amount,
    )
    return [exported, status]
