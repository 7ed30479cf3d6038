"""The CII XML (UN/CEFACT Cross Industry Invoice D16B, Factur-X profile EN 16931) of a record.

Written with lxml in the element order of the Factur-X 1.09 EN 16931 XSD, from the record alone:
the same record gives the same bytes (R72). Dates are format 102 (YYYYMMDD), amounts carry 2
decimals, quantities at most 4 and prices at most 6 (BR-FR-DEC-01..03).

factur-x's `generate_xml` was not used: the record already holds every value in its final
form, and writing the tree here keeps the order, the optional groups (BG-24 attachments,
BT-8, BG-32 attributes) and the bytes under our control (7.8 also writes an invalid empty
delivery group when BT-72 is missing, see docs/field notes).
"""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

from lxml import etree

from pipeline.einvoice.record import EInvoice, Line, Party, VatBreakdown

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}
FILENAME = "factur-x.xml"
CENT = Decimal("0.01")


def to_xml(record: EInvoice) -> bytes:
    """The factur-x.xml bytes of the record (UTF-8, with declaration, indented)."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _rsm(root, "ExchangedDocumentContext")
    process = _ram(context, "BusinessProcessSpecifiedDocumentContextParameter")
    _ram(process, "ID", record.bt23_business_process)
    guideline = _ram(context, "GuidelineSpecifiedDocumentContextParameter")
    _ram(guideline, "ID", record.bt24_specification)

    header = _rsm(root, "ExchangedDocument")
    _ram(header, "ID", record.bt1_number)
    _ram(header, "TypeCode", record.bt3_type_code)
    _date_time(_ram(header, "IssueDateTime"), record.bt2_issue_date)
    for note in record.bg1_notes:
        included = _ram(header, "IncludedNote")
        _ram(included, "Content", note.text)
        _ram(included, "SubjectCode", note.code)

    transaction = _rsm(root, "SupplyChainTradeTransaction")
    for line in record.bg25_lines:
        _line(transaction, line)

    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    _party(_ram(agreement, "SellerTradeParty"), record.bg4_seller, seller=True)
    _party(_ram(agreement, "BuyerTradeParty"), record.bg7_buyer, seller=False)
    for attachment in record.bg24_attachments:
        doc = _ram(agreement, "AdditionalReferencedDocument")
        _ram(doc, "IssuerAssignedID", attachment.bt122_reference)
        _ram(doc, "TypeCode", "916")
        _ram(doc, "Name", attachment.bt123_description)
        binary = _ram(doc, "AttachmentBinaryObject", base64.b64encode(attachment.content).decode())
        binary.set("mimeCode", attachment.mime_code)
        binary.set("filename", attachment.filename)

    delivery = _ram(transaction, "ApplicableHeaderTradeDelivery")
    if any(v.bt118_category == "K" for v in record.bg23_vat):
        # BR-IC-12: an intra-community supply names the country of delivery (BT-80)
        ship_to = _ram(delivery, "ShipToTradeParty")
        _ram(_ram(ship_to, "PostalTradeAddress"), "CountryID", record.bg7_buyer.address.country)

    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    if record.bg16_payment is not None:
        _ram(settlement, "PaymentReference", record.bg16_payment.remittance)
    _ram(settlement, "InvoiceCurrencyCode", record.bt5_currency)
    if record.bg16_payment is not None:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", record.bg16_payment.code)
        _ram(means, "Information", "Virement SEPA")
        _ram(_ram(means, "PayeePartyCreditorFinancialAccount"), "IBANID", record.bg16_payment.iban)
        if record.bg16_payment.bic:
            institution = _ram(means, "PayeeSpecifiedCreditorFinancialInstitution")
            _ram(institution, "BICID", record.bg16_payment.bic)
    for vat in record.bg23_vat:
        _header_tax(settlement, vat, record.bt5_currency)
    if record.bg14_period is not None:
        _period(settlement, record.bg14_period)
    terms = _ram(settlement, "SpecifiedTradePaymentTerms")
    _ram(terms, "Description", record.bt20_payment_terms)
    if record.bt9_due_date is not None:
        _date_time(_ram(terms, "DueDateDateTime"), record.bt9_due_date)
    totals = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(totals, "LineTotalAmount", _amount(record.bt106_line_total))
    _ram(totals, "TaxBasisTotalAmount", _amount(record.bt109_total_ht))
    tax_total = _ram(totals, "TaxTotalAmount", _amount(record.bt110_total_vat))
    tax_total.set("currencyID", record.bt5_currency)
    _ram(totals, "GrandTotalAmount", _amount(record.bt112_total_ttc))
    _ram(totals, "DuePayableAmount", _amount(record.bt115_amount_due))
    for preceding in record.bg3_preceding:
        ref = _ram(settlement, "InvoiceReferencedDocument")
        _ram(ref, "IssuerAssignedID", preceding.number)
        when = etree.SubElement(_ram(ref, "FormattedIssueDateTime"), f"{{{QDT}}}DateTimeString")
        when.text = _ymd(preceding.issue_date)
        when.set("format", "102")

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _rsm(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{RSM}}}{tag}")


def _ram(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{RAM}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _date_time(parent: etree._Element, day: date) -> None:
    element = etree.SubElement(parent, f"{{{UDT}}}DateTimeString")
    element.text = _ymd(day)
    element.set("format", "102")


def _amount(value: Decimal) -> str:
    """2 decimals exactly (BR-FR-DEC-01); the amounts are already rounded (R2)."""
    if value != value.quantize(CENT):
        raise ValueError(f"amount {value} has more than 2 decimals: R2 rounds every amount")
    return format(value.quantize(CENT), "f")


def _quantity(value: Decimal) -> str:
    """BT-129: plain notation, at most 4 decimals (BR-FR-DEC-02); 5 months print as 5."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    text = format(value.normalize(), "f")
    if len(text.partition(".")[2]) > 4:
        raise ValueError(f"quantity {value} has more than 4 decimals")
    return text


def _price(value: Decimal) -> str:
    """BT-146: at least the cents, at most 6 decimals (BR-FR-DEC-03)."""
    text = format(value.normalize(), "f")
    decimals = len(text.partition(".")[2])
    if decimals > 6:
        raise ValueError(f"price {value} has more than 6 decimals")
    return format(value.quantize(CENT), "f") if decimals <= 2 else text


def _percent(value: Decimal) -> str:
    return format(value.quantize(CENT), "f")


def _period(parent: etree._Element, period: tuple[date, date]) -> None:
    element = _ram(parent, "BillingSpecifiedPeriod")
    _date_time(_ram(element, "StartDateTime"), period[0])
    _date_time(_ram(element, "EndDateTime"), period[1])


def _party(element: etree._Element, party: Party, *, seller: bool) -> None:
    if party.identifier:
        _ram(element, "ID", party.identifier)  # BT-46
    _ram(element, "Name", party.name)
    if seller and party.legal_info:
        _ram(element, "Description", party.legal_info)  # BT-33
    if party.siren:
        legal = _ram(_ram(element, "SpecifiedLegalOrganization"), "ID", party.siren)
        legal.set("schemeID", "0002")
    if seller and (party.phone or party.email):
        contact = _ram(element, "DefinedTradeContact")
        if party.phone:
            _ram(_ram(contact, "TelephoneUniversalCommunication"), "CompleteNumber", party.phone)
        if party.email:
            _ram(_ram(contact, "EmailURIUniversalCommunication"), "URIID", party.email)
    address = _ram(element, "PostalTradeAddress")
    if party.address.postcode:
        _ram(address, "PostcodeCode", party.address.postcode)
    _ram(address, "LineOne", party.address.line_one)
    if party.address.city:
        _ram(address, "CityName", party.address.city)
    _ram(address, "CountryID", party.address.country)
    endpoint = _ram(_ram(element, "URIUniversalCommunication"), "URIID", party.endpoint_id)
    endpoint.set("schemeID", party.endpoint_scheme)
    if party.vat_number:
        vat = _ram(_ram(element, "SpecifiedTaxRegistration"), "ID", party.vat_number)
        vat.set("schemeID", "VA")


def _header_tax(parent: etree._Element, vat: VatBreakdown, currency: str) -> None:
    tax = _ram(parent, "ApplicableTradeTax")
    _ram(tax, "CalculatedAmount", _amount(vat.bt117_amount))
    _ram(tax, "TypeCode", "VAT")
    if vat.bt120_exemption_reason:
        _ram(tax, "ExemptionReason", vat.bt120_exemption_reason)
    _ram(tax, "BasisAmount", _amount(vat.bt116_basis))
    _ram(tax, "CategoryCode", vat.bt118_category)
    if vat.bt121_exemption_code:
        _ram(tax, "ExemptionReasonCode", vat.bt121_exemption_code)
    if vat.bt8_vat_point_code:
        _ram(tax, "DueDateTypeCode", vat.bt8_vat_point_code)
    _ram(tax, "RateApplicablePercent", _percent(vat.bt119_rate))


def _line(parent: etree._Element, line: Line) -> None:
    item = _ram(parent, "IncludedSupplyChainTradeLineItem")
    _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", line.bt126_id)
    product = _ram(item, "SpecifiedTradeProduct")
    if line.bt155_seller_item_id:
        _ram(product, "SellerAssignedID", line.bt155_seller_item_id)
    _ram(product, "Name", line.bt153_name)
    for name, value in line.bg32_attributes:
        characteristic = _ram(product, "ApplicableProductCharacteristic")
        _ram(characteristic, "Description", name)
        _ram(characteristic, "Value", value)
    agreement = _ram(item, "SpecifiedLineTradeAgreement")
    price = _ram(agreement, "NetPriceProductTradePrice")
    _ram(price, "ChargeAmount", _price(line.bt146_net_price))
    delivery = _ram(item, "SpecifiedLineTradeDelivery")
    quantity = _ram(delivery, "BilledQuantity", _quantity(line.bt129_quantity))
    quantity.set("unitCode", line.bt130_unit)
    settlement = _ram(item, "SpecifiedLineTradeSettlement")
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "TypeCode", "VAT")
    _ram(tax, "CategoryCode", line.bt151_vat_category)
    _ram(tax, "RateApplicablePercent", _percent(line.bt152_vat_rate))
    if line.bg26_period is not None:
        _period(settlement, line.bg26_period)
    summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    _ram(summation, "LineTotalAmount", _amount(line.bt131_net_amount))
