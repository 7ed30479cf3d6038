"""The one door to pyfrctc (Akretion, LGPL, pinned 0.24): CDAR lifecycle messages, Flux 10
e-reporting, their official XSDs and schematrons, and the AFNOR XP Z12-013 flow API calls.

pyfrctc is young (alpha); nothing else in the project imports it, so that a new version is
checked here once. What it lacks or does differently, and what this module does about it:

- `generate_cdar` has no MDT-224 (ValuePercent, the VAT rate of a "MEN" characteristic) that
  the CDV schematron requires on a 212 "Encaissée" (BR-FR-CDV-14): `cdar_xml` adds it after
  generation, in the XSD's order (last child of SpecifiedDocumentCharacteristic).
- `parse_cdar_raw` reads amounts as floats and every referenced document of a message into
  one dict: `read_cdar` splits a message per ReferenceReferencedDocument first and reads the
  amounts as Decimal text.
- its schematron check posts to a Saxon *server*: `Validator` runs the same XSLT files it
  ships (cdar-schematron/BR-FR-CDV-Schematron-CDAR.xslt, frr-schematron/Flux10.xslt) with
  saxonche, as the e-invoice checks do (pipeline.exports.einvoice.check).
- its API client knows one platform (SUPER PDP) by a table of URLs and finds it back from the
  session's token URL: `register_platform` adds the configured platform to that table. Its
  calls raise RuntimeError with the HTTP status in the text: the caller's session records the
  last response instead (pipeline.einvoicing.platform), so nothing parses those messages.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pyfrctc
import pyfrctc.ereporting as fr_ereporting
import pyfrctc.pyfrctc as fr_core
from lxml import etree

from pipeline.exports.einvoice.check import failed_asserts

VERSION = pyfrctc.__version__
NS = dict(fr_core.CDAR_NS_MAP)
RAM = NS["ram"]
PLATFORM = "configured"  # the name under which the configured platform is registered


def package_file(relative: str) -> Path:
    """A file pyfrctc ships (XSD, schematron)."""
    return Path(str(resources.files("pyfrctc") / relative))


CDAR_XSD = package_file(fr_core.CDAR_XSD_FILE)
CDAR_XSLT = package_file(fr_core.CDAR_XSLT_FILE)
EREPORTING_XSD = package_file(fr_ereporting.EREPORTING_XSD_FILE)
EREPORTING_XSLT = package_file(fr_ereporting.EREPORTING_XSLT_FILE)


# --- CDAR (lifecycle statuses, R95-R96) -------------------------------------------------------


def cdar_xml(fields: dict[str, Any], percents: dict[int, list[Decimal]] | None = None) -> bytes:
    """A CDAR D22B message from pyfrctc's MDT-keyed dict, with MDT-224 (ValuePercent) added
    to the characteristics whose rates `percents` gives: {status index: [rate per MEN block]}.
    Not validated here: `Validator.check_cdar` does it (XSD + CDV schematron)."""
    xml = fr_core.generate_cdar(fields, check_xsd=False)
    if not percents:
        return xml
    root = etree.fromstring(xml)
    statuses = root.findall(f".//{{{RAM}}}SpecifiedDocumentStatus")
    for index, rates in percents.items():
        blocks = [
            c
            for c in statuses[index].findall(f"{{{RAM}}}SpecifiedDocumentCharacteristic")
            if c.findtext(f"{{{RAM}}}TypeCode") == "MEN"
        ]
        for block, rate in zip(blocks, rates, strict=True):
            etree.SubElement(block, f"{{{RAM}}}ValuePercent").text = f"{rate:.2f}"
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class CdarStatus:
    """One referenced document's status in a CDAR message, as read."""

    message_id: str  # MDT-4
    issued_at: datetime | None  # MDT-8
    document: str  # MDT-87
    code: str  # MDT-105
    label: str  # MDT-106
    reason_code: str  # MDT-113 of the first status detail
    reason: str  # MDT-114 / MDT-126 of the details, joined
    amount: Decimal | None  # MDT-215 of a MEN characteristic (212)
    issuer: str  # MDT-129, the seller's id


def read_cdar(xml: bytes) -> list[CdarStatus]:
    """Every referenced document's status of a CDAR message (pyfrctc's parser, one
    ReferenceReferencedDocument at a time). Raises ValueError on a file that is not XML."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"XML: {exc}") from exc
    message_id = root.findtext(f"{{{NS['rsm']}}}ExchangedDocument/{{{RAM}}}ID") or ""
    ack = root.find(f"{{{NS['rsm']}}}AcknowledgementDocument")
    references = [] if ack is None else ack.findall(f"{{{RAM}}}ReferenceReferencedDocument")
    statuses = []
    for position, _ in enumerate(references):
        single = copy.deepcopy(root)
        single_ack = single.find(f"{{{NS['rsm']}}}AcknowledgementDocument")
        for other, element in enumerate(
            single_ack.findall(f"{{{RAM}}}ReferenceReferencedDocument")
        ):
            if other != position:
                single_ack.remove(element)
        raw = fr_core.parse_cdar_raw(etree.tostring(single), check_xsd=False)
        details = raw.get("MDG-37") or []
        reasons = [" ".join(str(d[k]) for k in ("MDT-114", "MDT-126") if d.get(k)) for d in details]
        amount = None
        for text in single_ack.xpath(
            ".//ram:SpecifiedDocumentCharacteristic[ram:TypeCode='MEN']/ram:ValueAmount/text()",
            namespaces=NS,
        ):
            amount = (amount or Decimal("0")) + Decimal(text.strip())
        issuer = raw.get("MDT-129") or {}
        statuses.append(
            CdarStatus(
                message_id=message_id,
                issued_at=raw.get("MDT-8") if isinstance(raw.get("MDT-8"), datetime) else None,
                document=str(raw.get("MDT-87") or ""),
                code=str(raw.get("MDT-105") or ""),
                label=str(raw.get("MDT-106") or ""),
                reason_code=str(details[0].get("MDT-113", "")) if details else "",
                reason="; ".join(r for r in reasons if r),
                amount=amount,
                issuer=";".join(f"{k}:{v}" for k, v in sorted(issuer.items()))
                if isinstance(issuer, dict)
                else str(issuer),
            )
        )
    return statuses


# --- Flux 10 e-reporting (R97) ----------------------------------------------------------------


def transactions_xml(fields: dict[str, Any]) -> bytes:
    """Flux 10.1 (transactions) from pyfrctc's TT/BT-keyed dict; validated by the Validator."""
    return _ereporting(fr_ereporting.generate_ereporting_transactions, fields)


def payments_xml(fields: dict[str, Any]) -> bytes:
    """Flux 10.2 (payments) from pyfrctc's TT-keyed dict; validated by the Validator."""
    return _ereporting(fr_ereporting.generate_ereporting_payments, fields)


def _ereporting(generate: Any, fields: dict[str, Any]) -> bytes:
    return bytes(generate(fields, check_xsd=False))


def ereporting_period_end(start: date, kind: str, vat_periodicity: str) -> date:
    """The end of the e-reporting period starting on `start` (pyfrctc's calendar): kind
    "out_transaction" or "payment"; periodicity "1" (réel normal mensuel), "3" (trimestriel),
    "12" (simplifié)."""
    end, _deadline = fr_ereporting.get_ereporting_end_date_and_deadline_from_start_date(
        start, kind, vat_periodicity
    )
    return end if isinstance(end, date) and not isinstance(end, datetime) else end.date()


# --- validation against the official artefacts pyfrctc ships ----------------------------------


class Validator:
    """XSD (lxml) and schematron (saxonche) of CDAR and Flux 10, compiled once and reused;
    one per process (a Saxon processor is not shared across threads)."""

    def __init__(self) -> None:
        self._schemas: dict[str, etree.XMLSchema] = {}
        self._xslt: dict[str, Any] = {}
        self._processor: Any = None

    def _schema(self, path: Path) -> etree.XMLSchema:
        if str(path) not in self._schemas:
            self._schemas[str(path)] = etree.XMLSchema(file=str(path))
        return self._schemas[str(path)]

    def _stylesheet(self, path: Path) -> Any:
        if str(path) not in self._xslt:
            from saxonche import PySaxonProcessor

            if self._processor is None:
                self._processor = PySaxonProcessor(license=False)
            xslt = self._processor.new_xslt30_processor()
            self._xslt[str(path)] = xslt.compile_stylesheet(stylesheet_file=str(path))
        return self._xslt[str(path)]

    def _check(self, xml: bytes, xsd: Path, xslt: Path) -> list[str]:
        try:
            tree = etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            return [f"XML: {exc}"]
        schema = self._schema(xsd)
        if not schema.validate(tree):
            return [f"XSD: line {e.line}: {e.message}" for e in schema.error_log]
        executable = self._stylesheet(xslt)
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = executable.transform_to_string(xdm_node=node)
        return failed_asserts(svrl.encode("utf-8"))

    def check_cdar(self, xml: bytes) -> list[str]:
        """The CDAR D22B XSD, then the French CDV schematron: [] when valid."""
        return self._check(xml, CDAR_XSD, CDAR_XSLT)

    def check_ereporting(self, xml: bytes) -> list[str]:
        """The e-reporting XSD, then the Flux 10 schematron: [] when valid."""
        return self._check(xml, EREPORTING_XSD, EREPORTING_XSLT)


# --- the AFNOR XP Z12-013 flow API (pyfrctc's client, on the caller's session) ----------------


def register_platform(base_url: str, token_url: str) -> None:
    """Make pyfrctc's client talk to the configured platform (see the module)."""
    fr_core.PLATFORMS[PLATFORM] = {
        "afnor_base_url": base_url.rstrip("/"),
        "token_url": token_url,
        "authorize_url": token_url,
        "label": "configured platform",
    }


def send_flow(session: Any, content: bytes, filename: str, syntax: str) -> dict[str, Any]:
    """POST /afnor-flow/v1/flows: the flow's JSON answer (flowId...). Raises on any answer
    but 202 (the session holds the response)."""
    return dict(fr_core.send_flow(session, content, filename, syntax, "B2B"))


def get_flow(session: Any, flow_id: str, doc_type: str | None = None) -> Any:
    """GET /afnor-flow/v1/flows/{flowId}: its metadata (dict) or, with doc_type "Original",
    its file (bytes)."""
    return fr_core.get_flow(session, flow_id, doc_type=doc_type)


def search_flows(session: Any, updated_after: str) -> list[dict[str, Any]]:
    """POST /afnor-flow/v1/flows/search: the lifecycle flows of our invoices received since
    `updated_after` (ISO UTC, ending in Z), every page."""
    return list(fr_core.search_flows(session, updated_after, "In", "CustomerInvoiceLC"))
