"""R70-R72: every document is a Factur-X EN 16931 e-invoice that passes the official rules.

Documents are built by hand with hand-computed values; each one must pass the Factur-X XSD, the
EN 16931 CII schematron and the French BR-FR schematron with zero fatal findings, and broken
ones must fail. The stylesheets are compiled once per session (fixture `checker`)."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
from datetime import date
from decimal import Decimal

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from pipeline.billing.invoicing import (
    MENTION_GOODS_EU,
    MENTION_GOODS_OUTSIDE_EU,
    MENTION_OUTSIDE_EU,
    MENTION_REVERSE_CHARGE,
    UNIT_OF_KIND,
)
from pipeline.billing.month_documents import CreditNote, Invoice
from pipeline.exports.einvoice.batch import check_documents, render_documents
from pipeline.exports.einvoice.check import Checker, check_pdf
from pipeline.exports.einvoice.cii import to_xml
from pipeline.exports.einvoice.pdf import Renderer, money
from pipeline.exports.einvoice.record import (
    EInvoiceError,
    build_record,
    electronic_address,
    parse_address,
)

D = Decimal
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
PROVIDER = {
    "name": "Test Telecom SAS",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "address": "1 rue de la Paix, 75002 Paris, France",
    "rcs": "RCS Paris 732 829 320",
    "share_capital_eur": 10000,
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPPXXX",
    "email": "factures@test-telecom.example",
    "phone": "+33 1 00 00 00 00",
    "late_penalty_rate": "3 fois le taux d'intérêt légal",
    "early_payment_discount": "Pas d'escompte pour paiement anticipé.",
}
FRENCH = {
    "customer_id": "C1",
    "name": "Alpha & Fils SARL",
    "country": "FR",
    "siren": "544943343",
    "vat_number": "FR92544943343",
    "address": "77 rue de la République, 75011 Paris",
}
BELGIAN = {
    "customer_id": "C2",
    "name": "Brasserie Vanderbeke SRL",
    "country": "BE",
    "siren": None,
    "vat_number": "BE0917063536",
    "address": "Rue Neuve 30, 1000 Bruxelles, Belgique",
}
SWISS = {
    "customer_id": "C3",
    "name": "Horlogerie Favre SA",
    "country": "CH",
    "siren": None,
    "vat_number": "CHE-716.673.450 MWST",
    "address": "Rue du Rhône 26, 1204 Genève, Suisse",
}
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def line(kind, amount, quantity=1, unit_price=None, description=None, calls=7, **extra):
    """A line as pipeline.billing.invoicing presents it (R63): a usage line is one lot at its
    amount with its `calls`, other lines `quantity` x `unit_price` in the unit of their kind."""
    text = (
        description
        or {
            "subscription": "Illimité nationale fixe et mobile - 2026-10",
            "usage": "Appels vers Mobile France hors forfait : 7 appels, durée facturée 8 min 32 s",
            "equipment_sale": "Vente YEALINK_T54W livrée le 2026-10-07",
            "non_return": "Équipement YEALINK_T31P non restitué au 2026-10-12",
        }[kind]
    )
    values = {
        "invoice_number": "",
        "line_no": 0,
        "customer_id": "",
        "kind": kind,
        "reference": {"usage": "sip-C1-01"}.get(kind, "S0001"),
        "description": text,
        "zone": "FR_MOBILE" if kind == "usage" else None,
        "reason": "NO_PLAN" if kind == "usage" else None,
        "quantity": quantity,
        "unit": UNIT_OF_KIND[kind],
        "calls": calls if kind == "usage" else None,
        "billable_seconds": 512 if kind == "usage" else None,
        "unit_price": unit_price if unit_price is not None else D(amount),
        "amount_ht": D(amount),
        "period_start": OCTOBER[0],
        "period_end": OCTOBER[1],
    }
    values.update(extra)
    return values


def invoice(number, customer, lines, ht, vat, ttc, rate="0.20", mention="", category=None):
    for i, ln in enumerate(lines, start=1):
        ln.update(invoice_number=number, line_no=i, customer_id=customer["customer_id"])
    return Invoice(
        invoice_number=number,
        customer_id=customer["customer_id"],
        invoice_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        period="2026-10",
        total_ht=D(ht),
        total_vat=D(vat),
        total_ttc=D(ttc),
        vat_rate=D(rate),
        vat_mention=mention,
        lines=lines,
        period_start=OCTOBER[0],
        period_end=OCTOBER[1],
        operation_category=category or "Prestation de services",
        customer_name=customer["name"],
        customer_siren=customer["siren"],
        customer_vat_number=customer["vat_number"],
        customer_address=customer["address"],
        customer_country=customer["country"],
        seller_name=PROVIDER["name"],
        seller_siren=PROVIDER["siren"],
        seller_vat_number=PROVIDER["vat_number"],
        seller_address=PROVIDER["address"],
        seller_rcs=PROVIDER["rcs"],
        seller_share_capital_eur=str(PROVIDER["share_capital_eur"]),
        seller_iban=PROVIDER["iban"],
        late_penalty_rate=PROVIDER["late_penalty_rate"],
        recovery_indemnity_eur=D("40"),
        early_payment_discount=PROVIDER["early_payment_discount"],
    )


def french_invoice():
    """25.00 subscription + 3.47 usage = 28.47 HT; VAT 5.694 -> 5.69; TTC 34.16."""
    return invoice(
        "F2026-000101",
        FRENCH,
        [line("subscription", "25.00"), line("usage", "3.47")],
        "28.47",
        "5.69",
        "34.16",
    )


def eu_invoice():
    """Reverse charge: 25.00 + 1.20 = 26.20 HT, no VAT."""
    return invoice(
        "F2026-000102",
        BELGIAN,
        [line("subscription", "25.00"), line("usage", "1.20")],
        "26.20",
        "0.00",
        "26.20",
        rate="0.00",
        mention=MENTION_REVERSE_CHARGE,
    )


def outside_eu_invoice():
    """Services to Switzerland: 25.00 + 0.50 = 25.50 HT, VAT not applicable (art. 259 B)."""
    return invoice(
        "F2026-000103",
        SWISS,
        [line("subscription", "25.00"), line("usage", "0.50")],
        "25.50",
        "0.00",
        "25.50",
        rate="0.00",
        mention=MENTION_OUTSIDE_EU,
    )


def mixed_invoice():
    """A subscription and 2 phones sold at 89.00: 25.00 + 178.00 = 203.00 HT, VAT 40.60."""
    return invoice(
        "F2026-000104",
        FRENCH,
        [line("subscription", "25.00"), line("equipment_sale", "178.00", 2, D("89.00"))],
        "203.00",
        "40.60",
        "243.60",
        category="Mixte (livraison de biens et prestation de services)",
    )


def sla_credit_note():
    """The R51 example: 5 % of 85.00 = 4.25 HT, 0.85 VAT, 5.10 TTC, crediting F2026-000012."""
    return CreditNote(
        credit_note_number="AV2026-000007",
        customer_id="C1",
        credit_note_date=date(2026, 11, 1),
        original_invoice_number="F2026-000012",
        original_invoice_date=date(2026, 10, 1),
        service_month="2026-09",
        availability_pct=D("99.8210"),
        credit_pct=D("5"),
        amount_ht=D("4.25"),
        amount_vat=D("0.85"),
        amount_ttc=D("5.10"),
        vat_rate=D("0.20"),
        vat_mention="",
    )


def supplementary_invoice():
    """R66: +2.00 of usage and -0.50 on a subscription price: 1.50 HT, 0.30 VAT, 1.80 TTC."""
    return invoice(
        "F2026-000140",
        FRENCH,
        [
            line("usage", "2.00"),
            line("subscription", "-0.50", 1, D("-0.50"), description="Correction prix 2026-10"),
        ],
        "1.50",
        "0.30",
        "1.80",
    )


@pytest.fixture(scope="session")
def checker():
    return Checker()


@pytest.fixture(scope="session")
def renderer():
    return Renderer()


def xml_of(document, customer=None, provider=PROVIDER, **kwargs):
    return to_xml(build_record(document, provider, customer, **kwargs))


def tree(xml):
    return etree.fromstring(xml)


def texts(xml, path):
    return [e.text for e in tree(xml).xpath(path, namespaces=NS)]


# --- R70: every document is a valid e-invoice --------------------------------------------------


@pytest.mark.parametrize(
    "build, customer",
    [
        (french_invoice, FRENCH),
        (eu_invoice, BELGIAN),
        (outside_eu_invoice, SWISS),
        (mixed_invoice, FRENCH),
        (sla_credit_note, FRENCH),
        (supplementary_invoice, FRENCH),
    ],
)
def test_r70_documents_pass_the_xsd_and_both_schematrons(checker, build, customer):
    kwargs = (
        {"preceding": ("F2026-000101", date(2026, 11, 1))} if build is supplementary_invoice else {}
    )
    xml = xml_of(build(), customer, **kwargs)
    assert checker.check(xml) == []


def test_r70_french_invoice_xml_carries_the_documents_own_values():
    xml = xml_of(french_invoice())
    assert texts(xml, "//rsm:ExchangedDocument/ram:ID") == ["F2026-000101"]
    assert texts(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert texts(xml, "//ram:IssueDateTime/udt:DateTimeString") == ["20261101"]
    assert texts(xml, "//ram:DueDateDateTime/udt:DateTimeString") == ["20261201"]
    totals = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert texts(xml, totals + "LineTotalAmount") == ["28.47"]
    assert texts(xml, totals + "TaxBasisTotalAmount") == ["28.47"]
    assert texts(xml, totals + "TaxTotalAmount") == ["5.69"]
    assert texts(xml, totals + "GrandTotalAmount") == ["34.16"]
    assert texts(xml, totals + "DuePayableAmount") == ["34.16"]
    seller, buyer = "//ram:SellerTradeParty/", "//ram:BuyerTradeParty/"
    assert texts(xml, seller + "ram:Name") == ["Test Telecom SAS"]
    assert texts(xml, seller + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == [
        "732829320"
    ]
    assert texts(xml, seller + "ram:SpecifiedTaxRegistration/ram:ID") == ["FR44732829320"]
    assert texts(xml, seller + "ram:PostalTradeAddress/ram:PostcodeCode") == ["75002"]
    assert texts(xml, buyer + "ram:Name") == ["Alpha & Fils SARL"]
    assert texts(xml, buyer + "ram:SpecifiedLegalOrganization/ram:ID") == ["544943343"]
    assert texts(xml, buyer + "ram:SpecifiedTaxRegistration/ram:ID") == ["FR92544943343"]
    assert texts(xml, buyer + "ram:PostalTradeAddress/ram:CityName") == ["Paris"]
    assert texts(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
    ) == ["S"]
    assert texts(
        xml,
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
    ) == ["20.00"]
    assert texts(xml, "//ram:IBANID") == ["FR7630006000011234567890189"]
    assert texts(xml, "//ram:BICID") == ["AGRIFRPPXXX"]
    assert (
        texts(xml, "//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString")[-1]
        == "20261001"
    )


def test_r70_usage_is_one_lot_at_its_amount_and_subscriptions_are_months():
    xml = xml_of(french_invoice())
    quantities = tree(xml).xpath("//ram:BilledQuantity", namespaces=NS)
    assert [(q.text, q.get("unitCode")) for q in quantities] == [("1", "MON"), ("1", "LS")]
    assert texts(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["25.00", "3.47"]
    assert texts(
        xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    ) == [
        "25.00",
        "3.47",
    ]
    attributes = tree(xml).xpath("//ram:ApplicableProductCharacteristic", namespaces=NS)
    assert [(a[0].text, a[1].text) for a in attributes][:2] == [
        ("Appels", "7"),
        ("Secondes facturées", "512"),
    ]


def test_r70_credit_note_is_381_with_bt25_bt26_and_one_sla_line(checker):
    xml = xml_of(sla_credit_note(), FRENCH)
    assert texts(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert texts(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["F2026-000012"]
    assert texts(xml, "//ram:InvoiceReferencedDocument//qdt:DateTimeString") == ["20261001"]
    names = texts(xml, "//ram:SpecifiedTradeProduct/ram:Name")
    assert len(names) == 1 and names[0].startswith("Avoir SLA - mois de service 2026-09")
    assert "disponibilité 99,8210 %" in names[0]
    assert texts(
        xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    ) == ["4.25"]
    assert texts(xml, "//ram:GrandTotalAmount") == ["5.10"]
    period = "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod//udt:DateTimeString"
    assert texts(xml, period) == ["20260901", "20260930"]


def test_r70_credit_note_needs_the_customer_row():
    with pytest.raises(EInvoiceError):
        build_record(sla_credit_note(), PROVIDER)


def test_r70_supplementary_invoice_is_380_with_bt25_and_negative_lines_as_negative_quantities(
    checker,
):
    inv = supplementary_invoice()
    xml = xml_of(inv, preceding=("F2026-000101", date(2026, 11, 1)))
    assert texts(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert texts(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["F2026-000101"]
    assert texts(xml, "//ram:BilledQuantity") == ["1", "-1"]
    assert texts(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["2.00", "0.50"]
    # the reference may also come from the invoice itself (a correction's invoices.csv columns)
    inv.original_invoice_number = "F2026-000101"
    inv.original_invoice_date = date(2026, 11, 1)
    assert xml_of(inv) == xml
    assert checker.check(xml) == []


def test_r70_equipment_sale_makes_the_invoice_mixed_m1_and_goods_alone_b1(checker):
    assert texts(
        xml_of(mixed_invoice()), "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
    ) == ["M1"]
    assert texts(
        xml_of(french_invoice()), "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
    ) == ["S1"]
    goods = invoice(
        "F2026-000105", FRENCH, [line("equipment_sale", "89.00")], "89.00", "17.80", "106.80"
    )
    xml = xml_of(goods)
    assert texts(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["B1"]
    assert [
        (q.text, q.get("unitCode")) for q in tree(xml).xpath("//ram:BilledQuantity", namespaces=NS)
    ] == [("1", "H87")]
    assert checker.check(xml) == []


# --- R71: the French rules ---------------------------------------------------------------------


def test_r71_vat_categories_of_r62(checker):
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    eu = xml_of(eu_invoice())
    assert texts(eu, header_tax + "ram:CategoryCode") == ["AE"]
    assert texts(eu, header_tax + "ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert texts(eu, header_tax + "ram:ExemptionReason") == [MENTION_REVERSE_CHARGE]
    outside = xml_of(outside_eu_invoice())
    assert texts(outside, header_tax + "ram:CategoryCode") == ["E"]
    assert texts(outside, header_tax + "ram:ExemptionReason") == [MENTION_OUTSIDE_EU]
    assert texts(outside, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        "FR44732829320"
    ]
    assert texts(outside, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        "CHE716673450MWST"
    ]


def test_r71_goods_on_a_zero_rate_invoice_get_their_own_category(checker):
    """EU: services AE + goods K (intra-community supply, deliver-to country BT-80); outside
    the EU: services E + goods G (export). 25.00 + 120.00 = 145.00, no VAT."""
    eu = invoice(
        "F2026-000106",
        BELGIAN,
        [line("subscription", "25.00"), line("equipment_sale", "120.00", 1, D("120.00"))],
        "145.00",
        "0.00",
        "145.00",
        rate="0.00",
        mention=f"{MENTION_REVERSE_CHARGE} ; {MENTION_GOODS_EU}",
    )
    xml = xml_of(eu)
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert texts(xml, header_tax + "ram:CategoryCode") == ["AE", "K"]
    assert texts(xml, header_tax + "ram:BasisAmount") == ["25.00", "120.00"]
    assert texts(xml, header_tax + "ram:ExemptionReasonCode") == ["VATEX-EU-AE", "VATEX-EU-IC"]
    assert texts(xml, "//ram:ShipToTradeParty//ram:CountryID") == ["BE"]
    assert checker.check(xml) == []
    outside = invoice(
        "F2026-000107",
        SWISS,
        [line("subscription", "25.00"), line("non_return", "79.00", 1, D("79.00"))],
        "104.00",
        "0.00",
        "104.00",
        rate="0.00",
        mention=f"{MENTION_OUTSIDE_EU} ; {MENTION_GOODS_OUTSIDE_EU}",
    )
    xml = xml_of(outside)
    assert texts(xml, header_tax + "ram:CategoryCode") == ["E", "G"]
    assert texts(xml, header_tax + "ram:ExemptionReason") == [
        MENTION_OUTSIDE_EU,
        MENTION_GOODS_OUTSIDE_EU,
    ]
    assert checker.check(xml) == []


def test_r71_notes_pmt_pmd_aab_once_each_and_bar():
    codes = texts(xml_of(french_invoice()), "//ram:IncludedNote/ram:SubjectCode")
    assert sorted(codes) == ["AAB", "BAR", "PMD", "PMT"]
    notes = dict(
        zip(codes, texts(xml_of(french_invoice()), "//ram:IncludedNote/ram:Content"), strict=True)
    )
    assert "40 €" in notes["PMT"]
    assert notes["BAR"] == "B2B"
    assert texts(xml_of(eu_invoice()), "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content") == [
        "B2BINT"
    ]


def test_r71_electronic_addresses(checker):
    xml = xml_of(french_invoice())
    seller = tree(xml).xpath(
        "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID", namespaces=NS
    )[0]
    buyer = tree(xml).xpath(
        "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID", namespaces=NS
    )[0]
    assert (seller.get("schemeID"), seller.text) == ("0225", "732829320")
    assert (buyer.get("schemeID"), buyer.text) == ("0225", "544943343")
    assert electronic_address("BE", None, "BE0917063536") == ("9925", "BE0917063536")
    assert electronic_address("CH", None, "CHE-716.673.450 MWST") == ("9927", "CHE716673450")
    given = {**BELGIAN, "electronic_address": "0208:0917063536"}
    assert electronic_address("BE", None, "BE0917063536", given) == ("0208", "0917063536")
    # nothing to address it to: no BT-49, the document is issued and BR-FR-12 says so (the run
    # prints a warning naming the customer, tests/test_einvoice.py::test_r71_..._warning)
    assert electronic_address("DE", None, None) == ("", "")
    no_address = {**SWISS, "vat_number": None}
    unknown = dataclasses.replace(outside_eu_invoice(), customer_vat_number=None)
    xml = xml_of(unknown, no_address)
    assert (
        tree(xml).xpath("//ram:BuyerTradeParty/ram:URIUniversalCommunication", namespaces=NS) == []
    )
    assert [f for f in checker.check(xml) if f.startswith("BR-FR-12")]
    with pytest.raises(EInvoiceError, match="SCHEME:ID"):
        electronic_address("DE", None, None, {"electronic_address": "billing@example.com"})
    email = {**SWISS, "vat_number": None, "electronic_address": "EM:compta@favre.example"}
    xml = xml_of(outside_eu_invoice(), email)
    buyer = tree(xml).xpath(
        "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID", namespaces=NS
    )[0]
    assert (buyer.get("schemeID"), buyer.text) == ("EM", "compta@favre.example")
    assert checker.check(xml) == []


def test_r71_vat_on_debits_is_bt8_code_5(checker):
    assert texts(xml_of(french_invoice()), "//ram:DueDateTypeCode") == []
    provider = {**PROVIDER, "vat_on_debits": True}
    record = build_record(french_invoice(), provider)
    xml = to_xml(record)
    assert texts(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode"
    ) == ["5"]
    assert record.vat_point_mention == "Option pour le paiement de la taxe d'après les débits"
    assert checker.check(xml) == []
    # no French VAT, nothing to state
    assert texts(xml_of(eu_invoice(), provider=provider), "//ram:DueDateTypeCode") == []


def test_r71_itemised_bill_attached_as_bg24(checker):
    csv_bytes = b"cdr_id,amount\nPAR-1,0.0200\nPAR-2,3.4500\n"
    xml = xml_of(french_invoice(), itemised_csv=csv_bytes)
    binary = tree(xml).xpath(
        "//ram:AdditionalReferencedDocument/ram:AttachmentBinaryObject", namespaces=NS
    )[0]
    assert binary.get("mimeCode") == "text/csv"
    assert base64.b64decode(binary.text) == csv_bytes
    assert texts(xml, "//ram:AdditionalReferencedDocument/ram:TypeCode") == ["916"]
    assert checker.check(xml) == []


def test_r71_checker_fails_a_wrong_total(checker):
    wrong = french_invoice()
    wrong = dataclasses.replace(wrong, total_ttc=D("34.17"))
    rules = {f.split(":")[0] for f in checker.check(xml_of(wrong))}
    assert "BR-CO-15" in rules


def test_r71_checker_fails_lines_that_do_not_sum_to_the_total(checker):
    wrong = dataclasses.replace(french_invoice(), total_ht=D("28.48"), total_ttc=D("34.17"))
    rules = {f.split(":")[0] for f in checker.check(xml_of(wrong))}
    assert {"BR-CO-10", "BR-S-08"} <= rules


def test_r71_checker_fails_a_missing_seller_siren(checker):
    record = build_record(french_invoice(), PROVIDER)
    no_siren = dataclasses.replace(
        record, bg4_seller=dataclasses.replace(record.bg4_seller, siren=None)
    )
    rules = {f.split(":")[0] for f in checker.check(to_xml(no_siren))}
    assert "BR-FR-10_BT-30" in rules


def test_r71_checker_fails_a_credit_note_without_bt25(checker):
    record = build_record(sla_credit_note(), PROVIDER, FRENCH)
    rules = {
        f.split(":")[0]
        for f in checker.check(to_xml(dataclasses.replace(record, bg3_preceding=())))
    }
    assert "BR-FR-CO-05_BT-3" in rules


def test_r71_checker_fails_the_xsd_first(checker):
    xml = xml_of(french_invoice()).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    findings = checker.check(xml)
    assert findings and all(f.startswith("XSD:") for f in findings)


def test_r71_shared_code_lists_give_the_same_findings_as_the_stylesheet_as_shipped(checker):
    """The Checker compiles the EN 16931 stylesheet with its code lists parsed once; the file
    as shipped must judge exactly alike (here: an unknown VAT category and document type)."""
    xml = xml_of(french_invoice()).replace(b"<ram:TypeCode>380", b"<ram:TypeCode>999")
    xml = xml.replace(
        b"<ram:CategoryCode>S</ram:CategoryCode>", b"<ram:CategoryCode>X</ram:CategoryCode>"
    )
    shipped = Checker(shared_codelists=False)
    assert checker.check_schematrons(xml) == shipped.check_schematrons(xml)
    assert len(checker.check_schematrons(xml)) >= 2


def test_r71_addresses_are_split_for_bg5_and_bg8():
    address = parse_address("Rue du Rhône 26, 1204 Genève, Suisse", "CH")
    assert (address.line_one, address.postcode, address.city) == (
        "Rue du Rhône 26",
        "1204",
        "Genève",
    )
    assert parse_address("Paris", "FR").line_one == "Paris"


# --- R72: same inputs, same document -----------------------------------------------------------


def test_r72_same_document_same_xml_and_pdf(renderer):
    first = xml_of(french_invoice())
    assert xml_of(french_invoice()) == first
    record = build_record(french_invoice(), PROVIDER)
    pdf = renderer.render(record)
    assert renderer.render(build_record(french_invoice(), PROVIDER)) == pdf
    assert Renderer().render(record) == pdf  # a fresh compiler too


def test_r72_pdf_dates_and_id_come_from_the_document(renderer):
    record = build_record(french_invoice(), PROVIDER)
    pdf = renderer.render(record)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.docinfo["/CreationDate"]).startswith("D:20261101000000")
        assert str(doc.docinfo["/ModDate"]).startswith("D:20261101000000")
        first_id = bytes(doc.trailer.ID[0])
    other = renderer.render(dataclasses.replace(record, bt1_number="F2026-000999"))
    with pikepdf.open(io.BytesIO(other)) as doc:
        assert bytes(doc.trailer.ID[0]) != first_id
    assert b"2026-11-01T00:00:00" in pdf


def test_r70_pdf_is_factur_x_with_the_xml_embedded(renderer):
    record = build_record(french_invoice(), PROVIDER)
    xml = to_xml(record)
    pdf = renderer.render(record, xml)
    assert check_pdf(pdf, xml) == []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        spec = doc.Root.AF[0]
        assert str(spec.F) == "factur-x.xml" and str(spec.AFRelationship) == "/Data"
        assert doc.attachments["factur-x.xml"].get_file().read_bytes() == xml
        xmp = doc.Root.Metadata.read_bytes().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp


def test_r70_check_pdf_fails_a_pdf_without_factur_x(renderer):
    record = build_record(french_invoice(), PROVIDER)
    pages = renderer.render_pages(record, to_xml(record))  # attached, but no Factur-X XMP
    assert any("ConformanceLevel" in f for f in check_pdf(pages))


def test_r70_first_page_shows_number_customer_and_total_in_french(renderer):
    pdf = renderer.render(build_record(french_invoice(), PROVIDER))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "F2026-000101" in text
    assert "Alpha & Fils SARL" in text
    assert "34,16" in text
    assert "Page 1/1" in text
    assert "SIREN 544 943 343" in text and "FR92544943343" in text
    assert "RCS Paris 732 829 320" in text


def test_r70_credit_note_pdf_names_the_invoice_it_credits(renderer):
    pdf = renderer.render(build_record(sla_credit_note(), PROVIDER, FRENCH))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "AVOIR" in text and "AV2026-000007" in text
    assert "F2026-000012 du 01/10/2026" in text
    assert "5,10" in text


def test_r70_long_invoice_has_numbered_pages(renderer, checker):
    lines = [line("usage", "0.10") for _ in range(120)]
    long = invoice("F2026-000108", FRENCH, lines, "12.00", "2.40", "14.40")
    record = build_record(long, PROVIDER)
    reader = PdfReader(io.BytesIO(renderer.render(record)))
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Page 1/{pages}" in reader.pages[0].extract_text()
    assert f"Page {pages}/{pages}" in reader.pages[-1].extract_text()
    assert checker.check(to_xml(record)) == []


def test_r72_batch_on_two_threads_gives_the_bytes_of_one(renderer, tmp_path):
    records = [
        build_record(french_invoice(), PROVIDER),
        build_record(eu_invoice(), PROVIDER),
        build_record(outside_eu_invoice(), PROVIDER),
        build_record(sla_credit_note(), PROVIDER, FRENCH),
    ]
    alone = [renderer.render(r) for r in records]
    together = render_documents(records, workers=2)
    assert [r.pdf for r in together] == alone
    written = render_documents(records, workers=2, folder=tmp_path)
    assert [w.path.read_bytes() for w in written] == alone
    assert [w.pdf_sha256 for w in written] == [t.pdf_sha256 for t in together]


def test_r71_check_documents_on_two_processes():
    good = xml_of(french_invoice())
    bad = xml_of(dataclasses.replace(french_invoice(), total_ttc=D("34.17")))
    results = check_documents([good, bad, good], workers=2)
    assert results[0] == [] and results[2] == []
    assert any(f.startswith("BR-CO-15") for f in results[1])


def test_money_is_printed_the_french_way():
    assert money(D("34.16")) == "34,16"
    assert re.fullmatch(r"1\u202f234,50", money(D("1234.5")))
    assert money(D("-0.50")) == "-0,50"
    assert money(D("0")) == "0,00"


# --- the sample months, as `billing bill` issues them --------------------------------------


def _sample_documents(sample_out):
    import csv

    from pipeline.exports.einvoice.check import embedded_xml

    found = []
    for month in ("2026-09", "2026-10"):
        folder = sample_out / month
        rows = {}
        for name, column in (
            ("invoices.csv", "invoice_number"),
            ("credit_notes.csv", "credit_note_number"),
        ):
            with open(folder / name, encoding="utf-8", newline="") as handle:
                rows |= {r[column]: r for r in csv.DictReader(handle)}
        for number, row in sorted(rows.items()):
            pdf = (folder / "documents" / f"{number}.pdf").read_bytes()
            found.append((number, row, pdf, embedded_xml(pdf)))
    return found


def test_r70_every_sample_document_is_a_factur_x_equal_to_its_csv_row(sample_out):
    documents = _sample_documents(sample_out)
    # September: 38 invoices; October: 39 invoices and the SLA credit note of a September claim
    assert len(documents) == 38 + 39 + 1
    for number, row, pdf, xml in documents:
        assert check_pdf(pdf, xml) == [], number
        doc = tree(xml)
        assert texts(xml, "//rsm:ExchangedDocument/ram:ID") == [number]
        is_note = number.startswith("AV")
        assert texts(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381" if is_note else "380"]
        total = "amount_ht" if is_note else "total_ht"
        ttc = "amount_ttc" if is_note else "total_ttc"
        summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
        assert texts(xml, f"{summation}/ram:TaxBasisTotalAmount") == [row[total]], number
        assert texts(xml, f"{summation}/ram:GrandTotalAmount") == [row[ttc]], number
        assert texts(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
            "489035030"
        ]
        if is_note:
            assert texts(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [
                row["original_invoice_number"]
            ]
        else:
            assert (
                doc.xpath("//ram:BuyerTradeParty/ram:ID", namespaces=NS)[0].text
                == row["customer_id"]
            )


@pytest.mark.slow  # two spawned Saxon processes, 4-5 s: the fast suite checks one of each kind
def test_r71_every_sample_document_passes_the_xsd_and_both_schematrons(sample_out):
    documents = _sample_documents(sample_out)
    findings = check_documents([xml for _, _, _, xml in documents], workers=2)
    broken = {
        number: found for (number, *_), found in zip(documents, findings, strict=True) if found
    }
    assert broken == {}


def test_r70_the_first_page_reads_as_an_invoice(sample_out):
    import io

    from pypdf import PdfReader

    # a one-page invoice: C002, whose name starts with '=' (a formula, were it a spreadsheet)
    number, row, pdf, _ = next(d for d in _sample_documents(sample_out) if d[0] == "F2026-000040")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "F2026-000040" in text
    assert row["customer_name"] in text  # =SOMME(A1) Conseil
    assert money(Decimal(row["total_ttc"])) in text  # 152,28 €, in French
    assert "489 035 030" in text or "489035030" in text  # the seller's SIREN


def test_r70_the_pdf_s_cross_reference_offsets_are_exact():
    """Every startxref points at its 'xref' table and every entry of the incremental update at
    its object (a strict reader, pypdf, warns 'incorrect startxref pointer' otherwise)."""
    pdf = Renderer().render(build_record(french_invoice(), PROVIDER))
    pointers = [int(m.group(1)) for m in re.finditer(rb"startxref\s+(\d+)", pdf)]
    assert pointers and all(pdf[p : p + 4] == b"xref" for p in pointers)
    last = pdf[pointers[-1] :]
    number, offset = re.search(rb"xref\n(\d+) 1\n(\d{10}) 00000 n", last).groups()
    assert pdf[int(offset) :].startswith(number + b" 0 obj")


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=600))
def test_r72_an_attachment_in_base64_is_written_as_the_escaping_writer_would(content):
    """The BG-24 attachment skips the XML escape (its base64 alphabet needs none): the same
    bytes as through the escaping leaf, for any content."""
    from pipeline.exports.einvoice.cii import _Writer

    fast, escaped = _Writer(), _Writer()
    fast.base64_leaf("ram:AttachmentBinaryObject", content, ' filename="x.csv"')
    escaped.leaf(
        "ram:AttachmentBinaryObject",
        base64.b64encode(content).decode("ascii"),
        ' filename="x.csv"',
    )
    assert fast.bytes() == escaped.bytes()


# --- the schematron sample of a run (issue 32) -------------------------------------------------


def test_r71_schematron_sample_size_at_its_boundaries():
    from pipeline.exports.documents import sample_size

    assert [sample_size(n) for n in (0, 1, 20)] == [0, 1, 20]  # a small run: every document
    assert sample_size(21) == 10  # above 20: one in 50, at least 10
    assert sample_size(500) == 10  # the 1M benchmark month: 10, not a fixed 60
    assert sample_size(501) == 11
    assert sample_size(2950) == 59
    assert sample_size(3000) == 60
    assert sample_size(3001) == 60  # at most 60
    assert sample_size(5000) == 60


def test_r71_schematron_sample_spreads_evenly_and_takes_one_of_each_shape():
    from pipeline.exports.documents import check_sample

    french = build_record(french_invoice(), PROVIDER, FRENCH)
    belgian = build_record(eu_invoice(), PROVIDER, BELGIAN)
    credit = build_record(sla_credit_note(), PROVIDER, FRENCH)
    # 100 French invoices, one Belgian invoice (VAT reverse charge) at 38, a credit note at 99
    records = [dataclasses.replace(french, bt1_number=f"F{i:03d}") for i in range(100)]
    records[38] = dataclasses.replace(belgian, bt1_number="F038")
    records[99] = dataclasses.replace(credit, bt1_number="AV099")
    sample = check_sample(records)
    # 10 spread over 100 documents: every 11th (99 / 9 = 11), the first and the last
    spread = {f"F{i:03d}" for i in range(0, 99, 11)} | {"AV099"}
    assert sample == spread | {"F038"}  # the Belgian shape, missed by the spread, added
    assert check_sample(records[:20]) == {r.bt1_number for r in records[:20]}
    assert check_sample(records) == sample  # deterministic
