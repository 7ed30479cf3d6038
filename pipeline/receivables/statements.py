"""R84: the bank statements `billing payments --import FILE...` reads, as plain records.

- ISO 20022 bank-to-customer statements as French banks send them: camt.053 (`BkToCstmrStmt/
  Stmt`) and camt.054 (`BkToCstmrDbtCdtNtfctn/Ntfctn`), versions 001.02 and 001.08, read with
  lxml by namespace. Only booked entries are read (status `BOOK`: `<Sts>BOOK</Sts>` in 001.02,
  `<Sts><Cd>BOOK</Cd></Sts>` in 001.08); pending or information entries are left for the
  statement that books them.
- Each entry (`Ntry`) gives one line per transaction detail (`NtryDtls/TxDtls`; one line for
  the entry itself when it has none): its amount (`TxDtls/Amt`, `TxDtls/AmtDtls/TxAmt/Amt`, or
  the entry's `Amt` when it has a single detail), direction (`CdtDbtInd`), booking date, end-to-
  end id, debtor name (`RltdPties/Dbtr/Pty/Nm` in 001.08, `RltdPties/Dbtr/Nm` in 001.02),
  debtor IBAN, remittance information (`RmtInf/Ustrd`, `RmtInf/Strd/CdtrRefInf/Ref`) and a
  return's reason code (`RtrInf/Rsn/Cd`).
- The plain CSV of cheques and manual entries: `date,amount,customer_id,reference,label`, one
  credit a line.

Its entry reference: the transaction's account servicer reference, else the entry's (with
`/n` for its n-th detail), else the position in the file (`#entry.detail`, `line N` in a CSV).
A file that is not such a statement, an amount in another currency than EUR or an entry
without an amount stops the import (InputError naming the file and the entry).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from pipeline.core.errors import InputError
from pipeline.core.language import say

CREDIT, DEBIT = "CRDT", "DBIT"
CSV_HEADER = ["date", "amount", "customer_id", "reference", "label"]
_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.(02|08)$")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class StatementLine:
    """One credit, or one debit (a return), of an imported file."""

    file: str  # the file's name as given on the command line
    sha256: str  # of the file's bytes
    entry: str  # the entry reference (see the module)
    servicer_ref: str  # the account servicer reference, "" when the bank gives none
    booking_date: date
    direction: str  # CRDT or DBIT
    amount: Decimal  # positive, 2 decimals
    end_to_end_id: str = ""
    debtor_name: str = ""
    debtor_iban: str = ""
    remittance: str = ""
    return_reason: str = ""
    customer_id: str = ""  # the CSV names the customer


def _error(file: str, entry: str, fr: str, en: str) -> InputError:
    where = say(f"entrée {entry} : ", f"entry {entry}: ") if entry else ""
    return InputError(where + say(fr, en) + " (R84)", file=file)


def _amount(text: str | None, currency: str | None, file: str, entry: str) -> Decimal:
    if text is None or not text.strip():
        raise _error(file, entry, "pas de montant", "no amount")
    if currency is not None and currency != "EUR":
        raise _error(
            file,
            entry,
            f"montant en {currency}, seul l'euro est accepté",
            f"amount in {currency}, only EUR is accepted",
        )
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise _error(
            file, entry, f"montant illisible {text!r}", f"unreadable amount {text!r}"
        ) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(_CENT):
        raise _error(
            file,
            entry,
            f"montant {text!r} : attendu un montant positif à 2 décimales",
            f"amount {text!r}: expected a positive amount with 2 decimals",
        )
    return value.quantize(_CENT)


def read_statement(path: Path) -> list[StatementLine]:
    """The lines of one imported file (camt.053/.054 or the plain CSV)."""
    data = path.read_bytes()
    return parse_statement(str(path), data)


def parse_statement(file: str, data: bytes) -> list[StatementLine]:
    digest = hashlib.sha256(data).hexdigest()
    if data.lstrip().startswith(b"<"):
        return _parse_camt(file, digest, data)
    first = data.decode("utf-8-sig", errors="replace").splitlines()[:1]
    if first and [c.strip() for c in first[0].split(",")] == CSV_HEADER:
        return _parse_csv(file, digest, data)
    raise _error(
        file,
        "",
        "ce n'est pas un relevé camt.053/camt.054 (001.02, 001.08) ni le CSV "
        "date,amount,customer_id,reference,label",
        "not a camt.053/camt.054 statement (001.02, 001.08) nor the CSV "
        "date,amount,customer_id,reference,label",
    )


def _not_a_statement(file: str) -> InputError:
    return _error(
        file,
        "",
        "ce n'est pas un relevé camt.053/camt.054 (001.02, 001.08)",
        "not a camt.053/camt.054 statement (001.02, 001.08)",
    )


def _parse_camt(file: str, digest: str, data: bytes) -> list[StatementLine]:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise _not_a_statement(file) from None
    qname = etree.QName(root)
    match = _NAMESPACE.match(qname.namespace or "")
    if qname.localname != "Document" or not match:
        raise _not_a_statement(file)
    ns = {"c": qname.namespace}
    message, report = (
        ("BkToCstmrStmt", "Stmt")
        if match.group(1) == "053"
        else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    )
    reports = root.findall(f"c:{message}/c:{report}", ns)
    if not reports:
        raise _not_a_statement(file)

    def text(el: etree._Element, path: str) -> str:
        found = el.find("/".join(f"c:{p}" for p in path.split("/")), ns)
        return (found.text or "").strip() if found is not None else ""

    lines: list[StatementLine] = []
    for r, rep in enumerate(reports, start=1):
        for n, ntry in enumerate(rep.findall("c:Ntry", ns), start=1):
            entry_ref = text(ntry, "AcctSvcrRef") or text(ntry, "NtryRef")
            where = entry_ref or f"#{r}.{n}"
            status = text(ntry, "Sts/Cd") or text(ntry, "Sts")
            amt = ntry.find("c:Amt", ns)
            entry_amount = _amount(
                amt.text if amt is not None else None,
                amt.get("Ccy") if amt is not None else None,
                file,
                where,
            )
            if status != "BOOK":
                continue
            direction = text(ntry, "CdtDbtInd")
            if direction not in (CREDIT, DEBIT):
                raise _error(file, where, "CdtDbtInd absent", "no CdtDbtInd")
            booked = text(ntry, "BookgDt/Dt") or text(ntry, "BookgDt/DtTm")[:10]
            try:
                day = date.fromisoformat(booked)
            except ValueError:
                raise _error(file, where, "date de comptabilisation", "no booking date") from None
            details = ntry.findall("c:NtryDtls/c:TxDtls", ns)
            for t, tx in enumerate(details or [ntry], start=1):
                own = tx is not ntry and text(tx, "Refs/AcctSvcrRef")
                if own:
                    ref = own
                elif entry_ref:
                    ref = entry_ref if len(details) <= 1 else f"{entry_ref}/{t}"
                else:
                    ref = f"#{r}.{n}.{t}"
                if tx is ntry:
                    amount = entry_amount
                else:
                    tx_amt = tx.find("c:Amt", ns)
                    if tx_amt is None:
                        tx_amt = tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
                    if tx_amt is None and len(details) == 1:
                        amount = entry_amount
                    else:
                        amount = _amount(
                            tx_amt.text if tx_amt is not None else None,
                            tx_amt.get("Ccy") if tx_amt is not None else None,
                            file,
                            ref,
                        )
                remittance = " ".join(
                    [
                        *(e.text or "" for e in tx.findall("c:RmtInf/c:Ustrd", ns)),
                        *(
                            e.text or ""
                            for e in tx.findall("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
                        ),
                    ]
                ).strip()
                lines.append(
                    StatementLine(
                        file,
                        digest,
                        ref,
                        own or (entry_ref if len(details) <= 1 else ""),
                        day,
                        direction,
                        amount,
                        text(tx, "Refs/EndToEndId"),
                        text(tx, "RltdPties/Dbtr/Pty/Nm") or text(tx, "RltdPties/Dbtr/Nm"),
                        text(tx, "RltdPties/DbtrAcct/Id/IBAN").replace(" ", "").upper(),
                        remittance,
                        text(tx, "RtrInf/Rsn/Cd"),
                    )
                )
    return lines


def _parse_csv(file: str, digest: str, data: bytes) -> list[StatementLine]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = say(f"ligne {number}", f"line {number}")
        if len(row) != len(CSV_HEADER):
            raise _error(
                file,
                where,
                f"{len(CSV_HEADER)} colonnes attendues",
                f"expected {len(CSV_HEADER)} columns",
            )
        day_text, amount_text, customer, reference, label = (c.strip() for c in row)
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise _error(file, where, f"date {day_text!r}", f"date {day_text!r}") from None
        amount = _amount(amount_text, None, file, where)
        lines.append(
            StatementLine(
                file,
                digest,
                reference or f"{digest[:12]}:{number}",
                reference,
                day,
                CREDIT,
                amount,
                remittance=" ".join(x for x in (reference, label) if x),
                customer_id=customer,
            )
        )
    return lines
