"""The Factur-X PDF of a record: PDF/A-3b pages in French with factur-x.xml embedded (R70, R72).

`view(record)` turns the record into the strings the page shows (French dates and amounts),
`Renderer.render(record, xml)` lays them out with Typst and returns the PDF bytes.

How, and why (measured with `python -m bench.einvoice`):

- Typst 0.15 (PyPI ``typst``) writes PDF/A-3b itself (``pdf_standards=["a-3b"]``) and embeds
  the XML itself (``pdf.attach``, AFRelationship /Data, /AF in the catalog, MIME text/xml,
  /ModDate from the document date). One `typst.Compiler` per process is reused: the template
  is parsed once, each document only changes ``sys.inputs``.
- Only the XMP needs the Factur-X properties (fx:DocumentType INVOICE, DocumentFileName
  factur-x.xml, Version 1.0, ConformanceLevel EN 16931) and their PDF/A extension schema.
  Typst cannot add custom XMP, so `add_facturx_xmp` appends an incremental update (ISO 32000
  7.5.6, allowed by PDF/A) holding the new metadata stream: a few hundred bytes written in
  microseconds, where re-writing the file with pikepdf costs milliseconds.
- Determinism (R72): fonts are Typst's embedded ones only (no system font can change the
  output), the timestamp is the document date (00:00 UTC), the PDF /ID is Typst's hash of the
  title (which holds the document number) and author; nothing reads the clock.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.billing.debit import mask_iban
from pipeline.billing.labels import UNIT_LABELS
from pipeline.exports.einvoice.cii import FILENAME, to_xml
from pipeline.exports.einvoice.record import CREDIT_NOTE, EInvoice, Party
from pipeline.inputs.reference import EU_COUNTRIES

TEMPLATE_DIR = Path(str(resources.files("pipeline.exports.einvoice") / "templates"))
TEMPLATE = TEMPLATE_DIR / "document.typ"
FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FX_VERSION = "1.0"
FX_LEVEL = "EN 16931"
CATEGORIES = {
    "S": "TVA {rate} %",
    "AE": "Autoliquidation",
    "K": "Livraison intracom.",
    "E": "Non applicable",
    "G": "Exportation",
}
EU_VAT_PREFIXES = EU_COUNTRIES | {"EL"}
NNBSP = "\u202f"  # narrow no-break space: the French thousands separator

_FX_SCHEMA = (
    '<rdf:li rdf:parseType="Resource">'
    "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
    f"<pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI>"
    "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
    "<pdfaSchema:property><rdf:Seq>"
    + "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description>"
        "</rdf:li>"
        for name, description in (
            ("DocumentFileName", "The name of the embedded XML document"),
            ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE"),
            ("Version", "The actual version of the standard applying to the embedded XML"),
            ("ConformanceLevel", "The conformance level of the embedded XML document"),
        )
    )
    + "</rdf:Seq></pdfaSchema:property></rdf:li>"
)
_FX_PROPERTIES = (
    f'<rdf:Description rdf:about="" xmlns:fx="{FX_NS}">'
    "<fx:DocumentType>INVOICE</fx:DocumentType>"
    f"<fx:DocumentFileName>{FILENAME}</fx:DocumentFileName>"
    f"<fx:Version>{FX_VERSION}</fx:Version>"
    f"<fx:ConformanceLevel>{FX_LEVEL}</fx:ConformanceLevel>"
    "</rdf:Description>"
)
_TRAILER = re.compile(
    rb"trailer\s*<<(?P<dict>.*?)>>\s*startxref\s*(?P<xref>\d+)\s*%%EOF\s*$", re.DOTALL
)
_SCHEMAS_END = "</rdf:Bag></pdfaExtension:schemas>"


class Renderer:
    """One Typst compiler, created once per process and reused for every document."""

    def __init__(self) -> None:
        import typst

        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True)
        self._compiler = typst.Compiler(
            str(TEMPLATE), root=str(TEMPLATE_DIR), font_paths=fonts, ignore_system_fonts=True
        )

    def render(self, record: EInvoice, xml: bytes | None = None) -> bytes:
        """The Factur-X PDF of `record`, embedding `xml` (by default `to_xml(record)`)."""
        pdf = self.render_pages(record, to_xml(record) if xml is None else xml)
        return add_facturx_xmp(pdf)

    def render_pages(self, record: EInvoice, xml: bytes) -> bytes:
        """Typst's PDF/A-3b with the XML attached, before the Factur-X XMP is added."""
        inputs = {"data": json.dumps(view(record), ensure_ascii=False), "xml": xml.decode()}
        return self._compiler.compile(
            sys_inputs=inputs, pdf_standards=["a-3b"], timestamp=timestamp(record)
        )


def timestamp(record: EInvoice) -> datetime:
    """The PDF's creation and modification dates: the document date, never the clock (R72)."""
    day = record.bt2_issue_date
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def add_facturx_xmp(pdf: bytes) -> bytes:
    """Append an incremental update whose metadata stream adds the Factur-X XMP properties and
    their PDF/A extension schema to the XMP Typst wrote (same object number, so the catalog's
    /Metadata reference stays valid)."""
    trailer = _TRAILER.search(pdf, max(0, len(pdf) - 4096))
    if trailer is None:
        raise ValueError("not a PDF with a classic trailer as Typst writes it")
    entries = trailer["dict"]
    root = int(_key(entries, rb"/Root\s+(\d+)\s+0\s+R"))
    catalog = _object(pdf, root)
    metadata = int(_key(catalog, rb"/Metadata\s+(\d+)\s+0\s+R"))
    xmp = _stream(pdf, metadata).decode("utf-8")
    if _SCHEMAS_END not in xmp or "</rdf:RDF>" not in xmp or FX_NS in xmp:
        raise ValueError("unexpected XMP: no PDF/A extension schemas, or already Factur-X")
    xmp = xmp.replace(_SCHEMAS_END, _FX_SCHEMA + _SCHEMAS_END, 1)
    xmp = xmp.replace("</rdf:RDF>", _FX_PROPERTIES + "</rdf:RDF>", 1)
    body = xmp.encode("utf-8")
    offset = len(pdf) + 1
    update = (
        b"\n%d 0 obj\n<</Length %d/Subtype/XML/Type/Metadata>>\nstream\n" % (metadata, len(body))
        + body
        + b"\nendstream\nendobj\n"
    )
    xref = len(pdf) + len(update)  # the update replaces its leading "\n" by the one added below
    rest = re.sub(rb"/Prev\s+\d+", b"", entries).strip()
    update += b"xref\n%d 1\n%010d 00000 n\r\ntrailer\n<<%s/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        metadata,
        offset,
        rest,
        int(trailer["xref"]),
        xref,
    )
    return pdf + b"\n" + update[1:]


def _key(data: bytes, pattern: bytes) -> bytes:
    m = re.search(pattern, data)
    if m is None:
        raise ValueError(f"PDF structure not found: {pattern!r}")
    return m.group(1)


def _object(pdf: bytes, number: int) -> bytes:
    start = pdf.rfind(b"\n%d 0 obj" % number)
    if start < 0:
        raise ValueError(f"object {number} not found")
    end = pdf.find(b"endobj", start)
    return pdf[start:end]


def _stream(pdf: bytes, number: int) -> bytes:
    obj = _object(pdf, number)
    head, _, rest = obj.partition(b"stream")
    if b"/Filter" in head:
        raise ValueError("the XMP stream is filtered: PDF/A wants it plain")
    length = int(_key(head, rb"/Length\s+(\d+)"))
    start = 1 if rest[:1] == b"\n" else 2  # 'stream' is followed by LF or CRLF
    return rest[start : start + length]


# --- what the pages show ----------------------------------------------------------------------


def french(value: Decimal, places: int = 2) -> str:
    """A decimal as printed in French, with at least `places` decimals: 34.16 -> '34,16',
    1234.5 -> '1 234,50' (narrow no-break space), 5 with places=0 -> '5', -3.2 -> '-3,20'."""
    sign = "-" if value < 0 else ""
    text = format(abs(value).normalize(), "f") if value else "0"
    units, _, decimals = text.partition(".")
    decimals = decimals.ljust(places, "0")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{NNBSP.join(groups) or '0'}" + (f",{decimals}" if decimals else "")


def money(value: Decimal) -> str:
    """An amount (already rounded to the cent, R2) as printed: '1 234,56'."""
    return french(value.quantize(Decimal("0.01")))


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def _spaced_siren(siren: str) -> str:
    return f"{siren[:3]} {siren[3:6]} {siren[6:]}" if len(siren) == 9 else siren


def _party_ids(party: Party, seller: bool) -> list[str]:
    ids = []
    if party.siren:
        ids.append(f"SIREN {_spaced_siren(party.siren)}")
    if party.vat_number:
        eu = party.vat_number[:2] in EU_VAT_PREFIXES
        ids.append(f"N° TVA {'intracommunautaire ' if eu else ''}{party.vat_number}")
    if seller and party.legal_info:
        ids.append(party.legal_info)
    if seller:
        contact = " - ".join(x for x in (party.phone, party.email) if x)
        if contact:
            ids.append(contact)
    if not seller and party.identifier:
        ids.append(f"Client n° {party.identifier}")
    return ids


def _address_lines(party: Party) -> list[str]:
    """The address as issued, one comma-separated part per line."""
    address = party.address
    parts = [p.strip() for p in (address.text or address.line_one).split(",") if p.strip()]
    return parts or [address.country]


def _line_detail(line: Any) -> str:
    parts = []
    attributes = dict(line.bg32_attributes)
    if "Secondes facturées" in attributes:
        parts.append(f"{attributes['Secondes facturées']} s facturées")
    if line.bt155_seller_item_id:
        parts.append(f"réf. {line.bt155_seller_item_id}")
    if line.bg26_period:
        start, end = line.bg26_period
        parts.append(day(start) if start == end else f"du {day(start)} au {day(end)}")
    return " · ".join(parts)


def _title(record: EInvoice) -> str:
    if record.bt3_type_code == CREDIT_NOTE:
        return "Avoir"
    return "Facture rectificative" if record.bg3_preceding else "Facture"


def view(record: EInvoice) -> dict[str, Any]:
    """The strings of the pages, in French, from the record alone."""
    credit = record.bt3_type_code == CREDIT_NOTE
    header = [f"Date : {day(record.bt2_issue_date)}"]
    if record.bt9_due_date:
        header.append(f"Échéance : {day(record.bt9_due_date)}")
    if record.bg14_period:
        start, end = record.bg14_period
        header.append(f"Période : du {day(start)} au {day(end)}")
    preceding = ""
    if record.bg3_preceding:
        ref = record.bg3_preceding[0]
        what = "Avoir sur la facture" if credit else "Rectifie la facture"
        preceding = f"{what} n° {ref.number} du {day(ref.issue_date)}"
    context = [f"Nature de l'opération : {record.operation_category}"]
    notes = {n.code: n.text for n in record.bg1_notes}
    vat_rows = []
    for vat in record.bg23_vat:
        label = CATEGORIES.get(vat.bt118_category, vat.bt118_category)
        rate = money(vat.bt119_rate).removesuffix(",00")
        vat_rows.append(
            {
                "label": label.format(rate=rate),
                "basis": money(vat.bt116_basis),
                "amount": money(vat.bt117_amount),
            }
        )
    mentions = [v.bt120_exemption_reason for v in record.bg23_vat if v.bt120_exemption_reason]
    totals = [
        {"label": "Total HT", "value": f"{money(record.bt109_total_ht)} €"},
        {"label": "Total TVA", "value": f"{money(record.bt110_total_vat)} €"},
        {"label": "Total TTC", "value": f"{money(record.bt112_total_ttc)} €"},
    ]
    due_label = "Montant de l'avoir TTC" if credit else "Net à payer TTC"
    payment = [record.bt20_payment_terms]
    if record.bg16_payment and record.bg16_payment.is_direct_debit:
        debit = record.bg16_payment
        payment.append(
            f"Prélèvement SEPA - mandat (RUM) : {debit.bt89_mandate} - ICS : "
            f"{debit.bt90_creditor_id} - compte débité : "
            f"{mask_iban(debit.bt91_debited_account or '')}"
        )
    elif record.bg16_payment:
        iban = " ".join(
            record.bg16_payment.iban[i : i + 4] for i in range(0, len(record.bg16_payment.iban), 4)
        )
        bic = record.bg16_payment.bic
        payment.append(f"Virement SEPA - IBAN : {iban}" + (f" - BIC : {bic}" if bic else ""))
    payment += [notes.get("PMD", ""), notes.get("PMT", ""), notes.get("AAB", "")]
    seller = record.bg4_seller
    return {
        "title": _title(record),
        "number": record.bt1_number,
        "keywords": f"Factur-X, {FX_LEVEL}, {record.bt1_number}",
        "header": header,
        "preceding": preceding,
        "context": context,
        "seller": {
            "name": seller.name,
            "address": _address_lines(seller),
            "ids": _party_ids(seller, seller=True),
        },
        "buyer": {
            "label": "Client",
            "name": record.bg7_buyer.name,
            "address": _address_lines(record.bg7_buyer),
            "ids": _party_ids(record.bg7_buyer, seller=False),
        },
        "lines": [
            {
                "description": line.bt153_name,
                "detail": _line_detail(line),
                "quantity": french(line.bt129_quantity, 0),
                "unit": UNIT_LABELS.get(line.bt130_unit, line.bt130_unit),
                "price": french(line.bt146_net_price),
                "amount": money(line.bt131_net_amount),
            }
            for line in record.bg25_lines
        ],
        "vat": vat_rows,
        "vat_mentions": mentions,
        "vat_point": record.vat_point_mention or "",
        "totals": totals,
        "due": {"label": due_label, "value": f"{money(record.bt115_amount_due)} €"},
        "payment_title": "Règlement de l'avoir" if credit else "Conditions de paiement",
        "payment": [p for p in payment if p],
        "footer": " - ".join(
            x
            for x in (
                seller.name,
                f"SIREN {_spaced_siren(seller.siren or '')}",
                seller.legal_info,
                f"TVA {seller.vat_number}" if seller.vat_number else None,
            )
            if x
        ),
    }
