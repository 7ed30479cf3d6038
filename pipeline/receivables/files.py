"""The files of one collection (R82), written into the folder the driver gives (a staging
folder under OUT/receivables/collections/, published by pipeline.ledger.journal):
pain.008.xml, collection.csv, manifest.json.

The pain.008.001.08 file is made by sepaxml and checked against the official XSD it ships
(`export(validate=True)`); its message id, creation date-time and payment information ids come
from D and the run number, never from the clock, so the same collection gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from sepaxml import SepaDD

from pipeline.core import data_contract as contract
from pipeline.core.money import fmt
from pipeline.exports.files import write_csv
from pipeline.receivables.collect import Transaction

SCHEMA = "pain.008.001.08"


class _DeterministicDD(SepaDD):
    """sepaxml's SepaDD with ids and a creation time given, and one payment information block
    per scheme, sequence type and requested date (R82)."""

    def __init__(self, config: dict[str, Any], msg_id: str, created: str) -> None:
        super().__init__(config, schema=SCHEMA, clean=True)
        self.msg_id = msg_id
        header = self._xml.find(self.root_el).find("GrpHdr")
        header.find("MsgId").text = msg_id
        header.find("CreDtTm").text = created

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        blocks = self._xml.find(self.root_el).findall("PmtInf")
        for i, block in enumerate(blocks, start=1):
            block.find("PmtInfId").text = f"{self.msg_id}-{i}"
            sequence = block.find("PmtTpInf/SeqTp")
            scheme, _, kind = sequence.text.partition(":")
            sequence.text = kind
            block.find("PmtTpInf/LclInstrm/Cd").text = scheme


def pain008(
    transactions: list[Transaction], name: str, day: date, provider: dict[str, Any]
) -> bytes:
    """The pain.008.001.08 of one collection, validated against the official XSD."""
    config: dict[str, Any] = {
        "name": provider["name"],
        "IBAN": provider["iban"].replace(" ", "").upper(),
        "batch": True,
        "creditor_id": provider["creditor_id"],
        "currency": "EUR",
        "instrument": "CORE",
    }
    if provider.get("bic"):
        config["BIC"] = provider["bic"]
    document = _DeterministicDD(config, name, f"{day.isoformat()}T00:00:00")
    for t in transactions:
        payment: dict[str, Any] = {
            "name": t.customer_name,
            "IBAN": t.iban,
            "amount": int(t.amount * 100),
            # grouped by scheme, sequence type and date (split again in _finalize_batch)
            "type": f"{t.scheme}:{t.sequence_type}",
            "collection_date": t.collection_date,
            "mandate_id": t.mandate_id,
            "mandate_date": t.mandate_signed_on,
            "description": f"Facture {t.invoice_number}",
            "endtoend_id": t.invoice_number,
        }
        if t.bic:
            payment["BIC"] = t.bic
        document.add_payment(payment)
    ET.register_namespace("", f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}")
    return document.export(validate=True)


def write_collection(
    folder: Path,
    transactions: list[Transaction],
    name: str,
    day: date,
    provider: dict[str, Any],
    journal_head: str,
) -> dict[str, Any]:
    """Write the collection's files into `folder`; return its manifest (`journal_head`: the
    journal file before the one that records it, so that deleting that one is found)."""
    xml = pain008(transactions, name, day, provider)
    (folder / contract.PAIN008_FILE).write_bytes(xml)
    rows = [
        {
            "invoice_number": t.invoice_number,
            "customer_id": t.customer_id,
            "mandate_id": t.mandate_id,
            "sequence_type": t.sequence_type,
            "collection_date": t.collection_date,
            "amount": t.amount,
            "scheme": t.scheme,
            "debit_date": t.debit_date,
            "iban": t.iban,
        }
        for t in transactions
    ]
    write_csv(folder / contract.COLLECTION.name, contract.COLLECTION.names, rows)
    total = sum((t.amount for t in transactions), Decimal("0.00"))
    manifest = {
        "collection": name,
        "date": day.isoformat(),
        "transactions": len(transactions),
        "journal_head": journal_head,
        "total": fmt(total),
        "outputs": {
            n: hashlib.sha256((folder / n).read_bytes()).hexdigest()
            for n in (contract.PAIN008_FILE, contract.COLLECTION.name)
        },
    }
    (folder / contract.MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest
