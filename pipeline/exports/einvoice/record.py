"""One plain, immutable record per issued document, keyed by the EN 16931 terms (R70-R72).

`build_record` turns an `Invoice` or a `CreditNote` (plus the seller from provider.toml and,
optionally, the customer's row of customers.csv) into an `EInvoice`: the only source of both
the CII XML (`pipeline.exports.einvoice.cii`) and the visible PDF (`pipeline.exports.einvoice.pdf`). Nothing is
recomputed: totals, VAT and line amounts are the document's own, exactly as in the CSVs; the
record only chooses how EN 16931 expresses them (codes, units, categories). Field names start
with the BT (business term) or BG (business group) number they carry.

Decisions where the rules leave a choice (R71):

- BT-23 business process (BR-FR-08): ``S1`` services only, ``M1`` services and goods on one
  invoice (an equipment sale or a non-returned device, `GOODS_KINDS`), ``B1`` goods only. SLA
  credit notes credit a telephony service: ``S1``.
- VAT category per line (BT-151) and breakdown (BG-23), from the document's R62 treatment:
  ``S`` 20 % in France; ``AE`` + ``VATEX-EU-AE`` for EU reverse charge; goods on that 0 %
  invoice ``K`` + ``VATEX-EU-IC`` (intra-community supply, art. 262 ter I CGI); services outside
  the EU ``E`` (see `vat_category`); goods exported outside the EU ``G`` + ``VATEX-EU-G``.
- BT-8 VAT point date code: ``5`` (CII for "date of invoice") on every VAT breakdown when
  provider.toml says ``vat_on_debits = true`` and the document charges French VAT on services;
  absent otherwise (the default regime for services: VAT due on receipt). This is rule G1.44 of
  the DGFiP external specifications of the reform (BT-8 mandatory for services when the seller
  opted for debits); the BR-FR schematron does not test it. The PDF then prints the mention
  "Option pour le paiement de la taxe d'après les débits" (art. 242 nonies A, annexe II CGI).
- Electronic addresses (BT-34/BT-49, BR-FR-12/13/21/23): see `electronic_address`.
- BT-129/130/146 are the line's own quantity, unit and unit price as invoice_lines.csv says
  them (R63, pipeline.billing.invoicing.present): a usage line is quantity 1 of a lot (``LS``)
  at its own amount, subscriptions and rentals are months (``MON``), goods pieces (``H87``);
  quantity x price = amount exactly (BR-FR and EN 16931 check it). A negative line carries its
  sign in the quantity (BR-27). A usage line's calls and billable seconds are item attributes
  (BG-32).
- SLA credit notes carry no lines in our data: they get one line whose amount is the credit's
  amount_ht.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pipeline.billing.invoicing import (
    CATEGORY_SERVICES,
    GOODS_KINDS,
    MENTION_GOODS_EU,
    MENTION_GOODS_OUTSIDE_EU,
    MENTION_OUTSIDE_EU,
    MENTION_REVERSE_CHARGE,
    operation_category,
    seller_mentions,
)
from pipeline.billing.labels import LOT_UNIT
from pipeline.billing.month_documents import CreditNote, Invoice
from pipeline.core.dates import Month
from pipeline.core.errors import InputError
from pipeline.core.language import say

SPECIFICATION = "urn:cen.eu:en16931:2017"  # BT-24, Factur-X profile EN 16931
INVOICE = "380"  # BT-3, UNTDID 1001: commercial invoice (R70: also supplementary invoices)
CREDIT_NOTE = "381"  # BT-3: credit note
CURRENCY = "EUR"  # R2: euro only
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the SIREN (BT-30-1 / BT-47-1, BR-FR-10/11/32)
FRENCH_ADDRESS_SCHEME = "0225"  # EAS of the French directory of electronic addresses
SEPA_CREDIT_TRANSFER = "58"  # BT-81, UNTDID 4461
SEPA_DIRECT_DEBIT = "59"  # BT-81, UNTDID 4461 (R81)
VAT_ON_DEBITS_CODE = "5"  # BT-8 in CII (UNTDID 2475 "date of invoice"); 3 in UBL
VAT_ON_DEBITS_MENTION = "Option pour le paiement de la taxe d'après les débits"
ITEMISED_CODE = "916"  # BT-122 type: additional supporting document (BG-24)
ITEMISED_NAME = "DOCUMENT_ANNEXE"  # BT-123, from the list of BR-FR-17
# BAR note (BT-21 "BAR"): how the French platforms treat the document.
DOMESTIC_B2B = "B2B"
INTERNATIONAL_B2B = "B2BINT"
DOMESTIC_B2C = "B2C"
DOMESTIC_COUNTRIES = frozenset({"FR", "MC"})

# EAS codes (CEF code list, the one BR-CL-25 checks) of the VAT number of a country: the
# fallback electronic address of a buyer that has no SIREN and no electronic_address column.
VAT_NUMBER_EAS = {
    "AD": "9922",
    "AL": "9923",
    "AT": "9914",
    "BA": "9924",
    "BE": "9925",
    "BG": "9926",
    "CH": "9927",
    "CY": "9928",
    "CZ": "9929",
    "DE": "9930",
    "EE": "9931",
    "EL": "9933",
    "ES": "9920",
    "FI": "0213",
    "FR": "9957",
    "GB": "9932",
    "GR": "9933",
    "HR": "9934",
    "HU": "9910",
    "IE": "9935",
    "IT": "0211",
    "LI": "9936",
    "LT": "9937",
    "LU": "9938",
    "LV": "9939",
    "MC": "9940",
    "ME": "9941",
    "MK": "9942",
    "MT": "9943",
    "NL": "9944",
    "PL": "9945",
    "PT": "9946",
    "RO": "9947",
    "RS": "9948",
    "SI": "9949",
    "SK": "9950",
    "SM": "9951",
    "TR": "9952",
    "VA": "9953",
}
_EAS = re.compile(r"^(\d{4}|[A-Z]{2})$")
_POSTCODE_CITY = re.compile(
    r"^(?P<postcode>\d{4,5}|[A-Z]{1,2}\d[\dA-Z]? ?\d[A-Z]{2})\s+(?P<city>.+)$"
)
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
_VAT_SUFFIX = re.compile(r"\s*(MWST|TVA|IVA)$")
ZERO = Decimal("0.00")
# R91: the mention of a late-charge invoice starts with this (pipeline.dunning.charging)
MENTION_OUT_OF_SCOPE = "Hors du champ d'application de la TVA"


class EInvoiceError(InputError):
    """A document cannot be expressed as a valid e-invoice with the data at hand (exit 2)."""


# --- the record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """BG-5 (seller) or BG-8 (buyer) postal address, parsed from the address text as issued."""

    line_one: str  # BT-35 / BT-50
    postcode: str | None  # BT-38 / BT-53
    city: str | None  # BT-37 / BT-52
    country: str  # BT-40 / BT-55, ISO 3166-1 alpha-2
    text: str  # the address exactly as on the document, for the PDF


@dataclass(frozen=True)
class Party:
    """BG-4 seller or BG-7 buyer."""

    name: str  # BT-27 / BT-44
    identifier: str | None  # BT-46 (buyer: our customer_id); None for the seller
    siren: str | None  # BT-30 / BT-47, legal registration, scheme 0002
    vat_number: str | None  # BT-31 / BT-48
    address: Address  # BG-5 / BG-8
    endpoint_scheme: str  # BT-34-1 / BT-49-1 (EAS); empty: no address known
    endpoint_id: str  # BT-34 / BT-49
    legal_info: str | None = None  # BT-33 (seller): RCS and share capital
    email: str | None = None  # BT-43 (seller contact)
    phone: str | None = None  # BT-42 (seller contact)


@dataclass(frozen=True)
class Note:
    """BG-1: BT-21 subject code (UNTDID 4451), BT-22 text."""

    code: str
    text: str


@dataclass(frozen=True)
class PrecedingInvoice:
    """BG-3: BT-25 number and BT-26 date of the invoice a document corrects or credits."""

    number: str
    issue_date: date


@dataclass(frozen=True)
class PaymentMeans:
    """BG-16: BT-81 code, BT-83 remittance information, BT-84 IBAN, BT-86 BIC."""

    code: str
    remittance: str
    iban: str
    bic: str | None
    # R81, code 59 (SEPA direct debit): BT-89 mandate reference, BT-90 creditor identifier
    # (ICS), BT-91 debited account (the payer's IBAN; `iban` is then empty), the debit date
    bt89_mandate: str | None = None
    bt90_creditor_id: str | None = None
    bt91_debited_account: str | None = None
    debit_date: date | None = None

    @property
    def is_direct_debit(self) -> bool:
        return self.code == SEPA_DIRECT_DEBIT


@dataclass(frozen=True)
class VatBreakdown:
    """BG-23, one per VAT category and rate."""

    bt118_category: str
    bt119_rate: Decimal  # percent: 20.00, 0.00
    bt116_basis: Decimal
    bt117_amount: Decimal
    bt120_exemption_reason: str | None = None
    bt121_exemption_code: str | None = None
    bt8_vat_point_code: str | None = None


@dataclass(frozen=True)
class Attachment:
    """BG-24 additional supporting document with its binary object (BT-125)."""

    bt122_reference: str
    bt123_description: str
    filename: str
    mime_code: str
    content: bytes


@dataclass(frozen=True)
class Line:
    """BG-25 invoice line."""

    bt126_id: str
    bt153_name: str  # the French description of invoice_lines.csv
    bt155_seller_item_id: str | None  # the line's reference (subscription, rental, SIP account)
    bt129_quantity: Decimal
    bt130_unit: str
    bt146_net_price: Decimal
    bt131_net_amount: Decimal
    bt151_vat_category: str
    bt152_vat_rate: Decimal  # percent
    bg26_period: tuple[date, date] | None  # BT-134 / BT-135
    bg32_attributes: tuple[tuple[str, str], ...] = ()  # (BT-160 name, BT-161 value)
    kind: str = ""  # the pipeline's line kind (not an EN 16931 term): the PDF groups by it


@dataclass(frozen=True)
class EInvoice:
    """Everything the XML and the PDF of one document say, and nothing else."""

    bt1_number: str
    bt2_issue_date: date
    bt3_type_code: str
    bt9_due_date: date | None
    bt20_payment_terms: str
    bt23_business_process: str
    bg1_notes: tuple[Note, ...]
    bg3_preceding: tuple[PrecedingInvoice, ...]
    bg4_seller: Party
    bg7_buyer: Party
    bg14_period: tuple[date, date] | None  # BT-73 / BT-74
    bg16_payment: PaymentMeans | None
    bg23_vat: tuple[VatBreakdown, ...]
    bg24_attachments: tuple[Attachment, ...]
    bg25_lines: tuple[Line, ...]
    bt106_line_total: Decimal
    bt109_total_ht: Decimal
    bt110_total_vat: Decimal
    bt112_total_ttc: Decimal
    bt115_amount_due: Decimal
    bt5_currency: str = CURRENCY
    bt24_specification: str = SPECIFICATION
    # Mentions a French invoice prints that EN 16931 carries as codes above (not BT terms).
    operation_category: str = CATEGORY_SERVICES  # what BT-23 codes, in words
    vat_point_mention: str | None = None  # what BT-8 codes, in words
    vat_mention: str = ""  # the R62 mention as on the CSV

    @property
    def is_credit_note(self) -> bool:
        return self.bt3_type_code == CREDIT_NOTE


# --- building it ----------------------------------------------------------------------------


def build_record(
    document: Invoice | CreditNote,
    provider: Mapping[str, Any],
    customer: Mapping[str, Any] | None = None,
    *,
    preceding: tuple[str, date] | None = None,
    itemised_csv: bytes | None = None,
) -> EInvoice:
    """The record of one issued document.

    `provider` is provider.toml. `customer` is the customer's row of customers.csv: optional for
    an invoice (which froze the buyer's mentions when it was issued; the row only adds the
    optional `electronic_address` column), required for a credit note (which did not).
    `preceding` (number, date) is the invoice a supplementary invoice corrects (R66, BT-25/26);
    an invoice object carrying `original_invoice_number` / `original_invoice_date` gives it too.
    `itemised_csv` is the customer's itemised bill of the month, attached as BG-24.
    """
    if isinstance(document, CreditNote):
        return _credit_note_record(document, provider, customer, itemised_csv)
    return _invoice_record(document, provider, customer, preceding, itemised_csv)


def vat_category(rate: Decimal, mention: str, goods: bool) -> tuple[str, str | None, str | None]:
    """(BT-151/BT-118 category, BT-120 exemption text, BT-121 exemption code) of one line.

    Services to a customer outside the EU (R62, "TVA non applicable, art. 259 B du CGI") are
    ``E`` with the R62 mention as exemption text, because that is the only category both
    schematrons accept for a French seller's services there:

    - ``O`` (outside the scope of VAT) would be the literal reading, but EN 16931 BR-O-02
      forbids the seller's VAT number (BT-31) with it, and a French invoice must carry it
      (art. 242 nonies A, annexe II CGI; no BR-FR assert tests it, the law requires it);
      BR-O-02 also forbids the buyer's VAT number that a Swiss customer has.
    - ``G`` is "export outside the EU" (VATEX-EU-G, art. 146 of the directive): goods; we use it
      for goods sold or not returned by such a customer (art. 262 I CGI, `MENTION_GOODS_OUTSIDE_EU`).
    - ``AE`` is reverse charge, which R62 reserves to EU customers with a VAT number, and
      BR-AE-02 needs a buyer VAT number or legal id that non-EU customers often lack.
    - ``Z`` is a zero *rate* of a taxable supply, which French VAT does not have.
    ``E`` needs a VAT exemption reason (BR-E-10): the R62 text, no code (no VATEX code names
    art. 259 B CGI). Both schematrons pass (tests/test_einvoice.py, outside-EU customer).
    """
    if rate > 0:
        return "S", None, None
    if mention.startswith(MENTION_REVERSE_CHARGE):
        if goods:
            return "K", MENTION_GOODS_EU, "VATEX-EU-IC"
        return "AE", MENTION_REVERSE_CHARGE, "VATEX-EU-AE"
    if mention.startswith(MENTION_OUTSIDE_EU):
        if goods:
            return "G", MENTION_GOODS_OUTSIDE_EU, "VATEX-EU-G"
        return "E", MENTION_OUTSIDE_EU, None
    if mention.startswith(MENTION_OUT_OF_SCOPE):
        # R91: late-payment penalties and the recovery indemnity are outside the scope of
        # VAT; `E` with the mention as exemption text, for the reasons given above for `O`
        # (docs/dunning.md)
        return "E", mention, None
    raise EInvoiceError(
        say(
            f"taux de TVA {rate} sans mention R62 connue : {mention!r}",
            f"VAT rate {rate} without a known R62 mention: {mention!r}",
        )
    )


def business_process(kinds: set[str]) -> str:
    """BT-23 (BR-FR-08): S1 services, B1 goods, M1 both, for a document submitted as is."""
    goods = bool(kinds & GOODS_KINDS)
    services = bool(kinds - GOODS_KINDS)
    if goods and services:
        return "M1"
    return "B1" if goods else "S1"


def electronic_address(
    country: str,
    siren: str | None,
    vat_number: str | None,
    customer: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """The buyer's electronic address (BT-49, scheme BT-49-1), mandatory in France (BR-FR-12).

    1. The optional customers.csv column ``electronic_address``, written ``SCHEME:ID``
       (``0225:544943343_COMPTA``, ``0208:0917063536``, ``EM:ap@example.com``).
    2. A buyer with a SIREN: ``0225`` + the SIREN, its address in the French directory
       (BR-FR-21 wants a B2B buyer's address to start with its SIREN, scheme 0225).
    3. A buyer with a VAT number only (foreign customers): the VAT number under the EAS code of
       its country's VAT scheme (`VAT_NUMBER_EAS`, e.g. 9925 Belgium, 9927 Switzerland). It
       identifies the buyer without claiming a routing that nobody registered; the column
       overrides it once the customer gives its Peppol or e-mail address.
    4. Nothing: ("", ""), no BT-49. The document is issued without it and BR-FR-12 fails:
       the run says so for each such document (a warning naming the customer and what to add,
       docs/einvoices.md) instead of refusing to bill a foreign customer, whom the French
       mandate does not cover.
    """
    given = (customer or {}).get("electronic_address")
    if given:
        scheme, sep, ident = str(given).strip().partition(":")
        if not sep or not _EAS.match(scheme) or not ident.strip():
            raise EInvoiceError(
                f"electronic_address {given!r} must be SCHEME:ID with an EAS scheme "
                "(0225, 0208, 9930, EM...)",
                file="customers.csv",
            )
        return scheme, ident.strip()
    if siren:
        return FRENCH_ADDRESS_SCHEME, compact(siren)
    if vat_number:
        vat = compact(_VAT_SUFFIX.sub("", vat_number.strip()))
        scheme = VAT_NUMBER_EAS.get(vat[:2]) or VAT_NUMBER_EAS.get(country)
        if scheme:
            return scheme, vat
    return "", ""


def parse_address(text: str | None, country: str) -> Address:
    """'77 rue de la République, 75011 Paris' -> line one, postcode, city, country.

    The last comma-separated part that starts with a postcode gives postcode and city; what
    precedes it is the street; a trailing country name is dropped (the country code says it).
    An address without a recognisable postcode stays whole in line one."""
    text = (text or "").strip()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    for i in range(len(parts) - 1, 0, -1):
        m = _POSTCODE_CITY.match(parts[i])
        if m:
            return Address(", ".join(parts[:i]), m["postcode"], m["city"], country, text)
    return Address(text or country, None, None, country, text)


def compact(identifier: str) -> str:
    """SIREN, VAT number or IBAN without spaces, dots and dashes."""
    return _NOT_ALNUM.sub("", identifier)


# --- internals ------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _seller(provider: Mapping[str, Any], frozen: Mapping[str, Any]) -> Party:
    """The seller as the document froze it (Invoice.seller_*), completed from provider.toml."""

    def pick(key: str) -> str | None:
        return _text(frozen.get(f"seller_{key}")) or _text(provider.get(key))

    name, siren = pick("name"), pick("siren")
    if not name or not siren:
        raise EInvoiceError(
            say(
                "provider.toml doit donner name et siren (BT-27, BT-30)",
                "provider.toml needs name and siren (BT-27, BT-30)",
            )
        )
    country = _text(provider.get("country")) or "FR"
    capital = pick("share_capital_eur")
    rcs = pick("rcs")
    legal = " - ".join(
        p for p in (rcs, f"Capital social : {_french_int(capital)} €" if capital else None) if p
    )
    if given := _text(provider.get("electronic_address")):
        scheme, _, endpoint = given.partition(":")
    else:
        scheme, endpoint = FRENCH_ADDRESS_SCHEME, compact(siren)
    return Party(
        name=name,
        identifier=None,
        siren=compact(siren),
        vat_number=_vat(pick("vat_number")),
        address=parse_address(pick("address"), country),
        endpoint_scheme=scheme,
        endpoint_id=endpoint,
        legal_info=legal or None,
        email=_text(provider.get("email")),
        phone=_text(provider.get("phone")),
    )


def _french_int(value: str) -> str:
    digits = str(value).strip()
    if not digits.isdigit():
        return digits
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return "\u202f".join(groups)


def _vat(value: str | None) -> str | None:
    return compact(value).upper() if value else None


def _buyer(
    customer_id: str,
    name: str | None,
    country: str | None,
    siren: str | None,
    vat_number: str | None,
    address: str | None,
    customer: Mapping[str, Any] | None,
) -> Party:
    if not name or not country:
        raise EInvoiceError(
            say(
                f"client {customer_id} : name et country sont nécessaires (BT-44, BT-55)",
                f"customer {customer_id}: name and country are needed (BT-44, BT-55)",
            )
        )
    siren = compact(siren) if siren else None
    scheme, endpoint = electronic_address(country, siren, vat_number, customer)
    return Party(
        name=name,
        identifier=customer_id,
        siren=siren,
        vat_number=_vat(vat_number),
        address=parse_address(address, country),
        endpoint_scheme=scheme,
        endpoint_id=endpoint,
    )


def _notes(mentions: Mapping[str, Any], buyer: Party) -> tuple[Note, ...]:
    """PMD, PMT and AAB once each (BR-FR-05/06), from the mentions frozen on the document.
    BAR says how French platforms treat the document: B2B for a buyer with a SIREN (then
    BR-FR-11/21 check its SIREN and electronic address), B2BINT for a foreign business, B2C for
    a French buyer without SIREN."""
    penalty = _text(mentions.get("late_penalty_rate"))
    indemnity = mentions.get("recovery_indemnity_eur")
    discount = _text(mentions.get("early_payment_discount"))
    if buyer.siren:
        bar = DOMESTIC_B2B
    elif buyer.vat_number or buyer.address.country not in DOMESTIC_COUNTRIES:
        bar = INTERNATIONAL_B2B
    else:
        bar = DOMESTIC_B2C
    return (
        Note("PMD", f"Pénalités de retard : {penalty}" if penalty else "Pénalités de retard"),
        Note(
            "PMT",
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
            f"{_french_int(str(indemnity))} € (art. L441-10 et D441-5 du Code de commerce)",
        ),
        Note("AAB", discount or "Pas d'escompte pour paiement anticipé"),
        Note("BAR", bar),
    )


def _quantity_price(line: Mapping[str, Any]) -> tuple[Decimal, str, Decimal]:
    """(BT-129, BT-130, BT-146): the line's own quantity, unit and unit price (R63: every file
    shows the same, quantity x price = the line's amount exactly), the sign carried by the
    quantity (BR-27: a net price is never negative). A line without them (an SLA credit) is
    one lot at its amount, -1 lot for a negative amount."""
    amount: Decimal = line["amount_ht"]
    quantity, unit, price = line.get("quantity"), line.get("unit"), line.get("unit_price")
    if unit and quantity is not None and price is not None:
        quantity, price = Decimal(quantity), Decimal(price)
        if quantity * price != amount:
            raise EInvoiceError(
                f"line {line.get('line_no')} ({line.get('description')}): quantity {quantity} "
                f"x unit price {price} is not its amount {amount} (R63)"
            )
        if price < 0:
            return -quantity, unit, -price
        return quantity, unit, price
    if amount < 0:
        return Decimal(-1), LOT_UNIT, -amount
    return Decimal(1), LOT_UNIT, amount


def _usage_attributes(line: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """BG-32 of a usage line: its calls and billed seconds (on a correction's line: the calls
    and seconds it adds, negative when removed), zone and reason codes."""
    if line["kind"] != "usage":
        return ()
    correction = "document_amount_ht" in line
    attributes = []
    if line.get("calls") is not None:
        attributes.append(("Appels ajoutés" if correction else "Appels", str(line["calls"])))
    if line.get("billable_seconds") is not None:
        name = "Secondes facturées ajoutées" if correction else "Secondes facturées"
        attributes.append((name, str(line["billable_seconds"])))
    if line.get("zone"):
        attributes.append(("Zone", str(line["zone"])))
    if line.get("reason"):
        attributes.append(("Motif", str(line["reason"])))
    return tuple(attributes)


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(Decimal("0.01"))


def _breakdown(
    lines: tuple[Line, ...],
    total_ht: Decimal,
    total_vat: Decimal,
    exemptions: Mapping[str, tuple[str | None, str | None]],
    vat_point: str | None,
) -> tuple[VatBreakdown, ...]:
    """BG-23 per (category, rate). R62 gives one rate per document: the taxed category gets the
    document's own total VAT on its own total HT (R2); 0 % categories sum their lines."""
    keys = sorted({(ln.bt151_vat_category, ln.bt152_vat_rate) for ln in lines})
    result = []
    for category, rate in keys:
        basis = sum(
            (ln.bt131_net_amount for ln in lines if ln.bt151_vat_category == category), ZERO
        )
        amount = ZERO
        if rate > 0:
            if len(keys) != 1:
                raise EInvoiceError(
                    say(
                        "un document soumis à la TVA française a une seule catégorie de TVA (R62)",
                        "a document with French VAT has one VAT category (R62)",
                    )
                )
            basis, amount = total_ht, total_vat
        reason, code = exemptions.get(category, (None, None))
        result.append(
            VatBreakdown(
                bt118_category=category,
                bt119_rate=rate,
                bt116_basis=basis,
                bt117_amount=amount,
                bt120_exemption_reason=reason,
                bt121_exemption_code=code,
                bt8_vat_point_code=vat_point,
            )
        )
    return tuple(result)


def _vat_point(provider: Mapping[str, Any], kinds: set[str], rate: Decimal) -> str | None:
    on_debits = provider.get("vat_on_debits", False)
    if not isinstance(on_debits, bool):
        raise EInvoiceError(
            say(
                "provider.toml : vat_on_debits doit valoir true ou false",
                "provider.toml: vat_on_debits must be true or false",
            )
        )
    if on_debits and rate > 0 and kinds - GOODS_KINDS:
        return VAT_ON_DEBITS_CODE
    return None


def _attachments(number: str, csv_bytes: bytes | None) -> tuple[Attachment, ...]:
    if csv_bytes is None:
        return ()
    return (
        Attachment(
            bt122_reference=f"DETAIL-{number}",
            bt123_description=ITEMISED_NAME,
            filename=f"facture-detaillee-{number}.csv",
            mime_code="text/csv",
            content=bytes(csv_bytes),
        ),
    )


def _lines(
    raw: list[Mapping[str, Any]], rate: Decimal, mention: str
) -> tuple[tuple[Line, ...], dict[str, tuple[str | None, str | None]]]:
    lines = []
    exemptions: dict[str, tuple[str | None, str | None]] = {}
    for i, line in enumerate(raw, start=1):
        goods = line["kind"] in GOODS_KINDS
        category, reason, code = vat_category(rate, mention, goods)
        exemptions[category] = (reason, code)
        quantity, unit, price = _quantity_price(line)
        start, end = line.get("period_start"), line.get("period_end")
        lines.append(
            Line(
                bt126_id=str(line.get("line_no") or i),
                bt153_name=str(line["description"]),
                bt155_seller_item_id=_text(line.get("reference")),
                bt129_quantity=quantity,
                bt130_unit=unit,
                bt146_net_price=price,
                bt131_net_amount=line["amount_ht"],
                bt151_vat_category=category,
                bt152_vat_rate=_percent(rate),
                bg26_period=(start, end) if start and end else None,
                bg32_attributes=_usage_attributes(line),
                kind=line["kind"],
            )
        )
    return tuple(lines), exemptions


def _invoice_record(
    inv: Invoice,
    provider: Mapping[str, Any],
    customer: Mapping[str, Any] | None,
    preceding: tuple[str, date] | None,
    itemised_csv: bytes | None,
) -> EInvoice:
    frozen = vars(inv)
    seller = _seller(provider, frozen)
    buyer = _buyer(
        inv.customer_id,
        inv.customer_name or _text((customer or {}).get("name")),
        inv.customer_country or _text((customer or {}).get("country")),
        inv.customer_siren,
        inv.customer_vat_number,
        inv.customer_address,
        customer,
    )
    if preceding is None and getattr(inv, "original_invoice_number", None):
        preceding = (inv.original_invoice_number, inv.original_invoice_date)  # type: ignore[attr-defined]
    lines, exemptions = _lines(inv.lines, inv.vat_rate, inv.vat_mention)
    kinds = {ln["kind"] for ln in inv.lines}
    vat_point = _vat_point(provider, kinds, inv.vat_rate)
    mentions = {k: frozen.get(k) for k in ("late_penalty_rate", "early_payment_discount")}
    mentions["recovery_indemnity_eur"] = inv.recovery_indemnity_eur
    defaults = seller_mentions(dict(provider))
    for key, value in mentions.items():
        if value is None:
            mentions[key] = defaults[key]
    period = (inv.period_start, inv.period_end) if inv.period_start and inv.period_end else None
    return EInvoice(
        bt1_number=inv.invoice_number,
        bt2_issue_date=inv.invoice_date,
        bt3_type_code=INVOICE,
        bt9_due_date=inv.due_date,
        bt20_payment_terms=_payment_terms(inv),
        bt23_business_process=business_process(kinds),
        bg1_notes=_notes(mentions, buyer),
        bg3_preceding=(PrecedingInvoice(preceding[0], preceding[1]),) if preceding else (),
        bg4_seller=seller,
        bg7_buyer=buyer,
        bg14_period=period,
        bg16_payment=_payment(inv.invoice_number, frozen, provider),
        bg23_vat=_breakdown(lines, inv.total_ht, inv.total_vat, exemptions, vat_point),
        bg24_attachments=_attachments(inv.invoice_number, itemised_csv),
        bg25_lines=lines,
        bt106_line_total=inv.total_ht,
        bt109_total_ht=inv.total_ht,
        bt110_total_vat=inv.total_vat,
        bt112_total_ttc=inv.total_ttc,
        bt115_amount_due=inv.total_ttc,
        operation_category=inv.operation_category or operation_category(kinds),
        vat_point_mention=VAT_ON_DEBITS_MENTION if vat_point else None,
        vat_mention=inv.vat_mention,
    )


def _payment_terms(inv: Invoice) -> str:
    if getattr(inv, "payment_method", "") == "sepa_debit" and inv.debit_date is not None:
        # R81: the invoice is the pre-notification of the debit
        return (
            f"Paiement par prélèvement SEPA le {inv.debit_date:%d/%m/%Y} (échéance "
            f"{inv.due_date:%d/%m/%Y}), mandat {inv.mandate_id}, créancier {inv.creditor_id}, "
            f"référence {inv.invoice_number}"
        )
    return (
        f"Paiement par virement SEPA au plus tard le {inv.due_date:%d/%m/%Y}, "
        f"référence {inv.invoice_number}"
    )


def _payment(
    number: str, frozen: Mapping[str, Any], provider: Mapping[str, Any]
) -> PaymentMeans | None:
    if frozen.get("payment_method") == "sepa_debit":
        return PaymentMeans(
            SEPA_DIRECT_DEBIT,
            number,
            "",
            None,
            bt89_mandate=frozen["mandate_id"],
            bt90_creditor_id=frozen["creditor_id"],
            bt91_debited_account=frozen["debited_iban"],
            debit_date=frozen["debit_date"],
        )
    iban = _text(frozen.get("seller_iban")) or _text(provider.get("iban"))
    if not iban:
        return None
    return PaymentMeans(SEPA_CREDIT_TRANSFER, number, compact(iban), _text(provider.get("bic")))


def _credit_note_record(
    note: CreditNote,
    provider: Mapping[str, Any],
    customer: Mapping[str, Any] | None,
    itemised_csv: bytes | None,
) -> EInvoice:
    if customer is None:
        raise EInvoiceError(
            f"credit note {note.credit_note_number}: the customer's row is needed (a credit note "
            "does not carry the buyer's name, SIREN, VAT number and address)"
        )
    seller = _seller(provider, {})
    buyer = _buyer(
        note.customer_id,
        _text(customer.get("name")),
        _text(customer.get("country")),
        _text(customer.get("siren")),
        _text(customer.get("vat_number")),
        _text(customer.get("address")),
        customer,
    )
    month = Month.parse(note.service_month)
    if note.lines:
        # a correction's credit note (R66): its lines, at the amounts the document shows (the
        # differences negated)
        raw = [{**ln, "amount_ht": ln["document_amount_ht"]} for ln in note.lines]
    else:
        availability = format(note.availability_pct, "f").replace(".", ",")
        credit = format(note.credit_pct.normalize(), "f").replace(".", ",")
        raw = [
            {
                "line_no": 1,
                "kind": "sla_credit",
                "reference": note.original_invoice_number,
                "description": (
                    f"Avoir SLA - mois de service {note.service_month}, disponibilité "
                    f"{availability} % (crédit de {credit} % des abonnements téléphonie)"
                ),
                "quantity": None,
                "unit_price": None,
                "amount_ht": note.amount_ht,
                "period_start": month.first_day,
                "period_end": month.last_day,
            }
        ]
    lines, exemptions = _lines(raw, note.vat_rate, note.vat_mention)
    kinds = {ln["kind"] for ln in raw}
    vat_point = _vat_point(provider, kinds, note.vat_rate)
    mentions = seller_mentions(dict(provider))
    terms = _text(provider.get("credit_note_terms")) or (
        f"Avoir sur la facture {note.original_invoice_number} du "
        f"{note.original_invoice_date:%d/%m/%Y}, déduit de vos prochains règlements"
    )
    if getattr(note, "payment_method", "") == "sepa_debit":
        # R81: a debited customer's credit note is deducted from its next debit
        terms = (
            f"Avoir sur la facture {note.original_invoice_number} du "
            f"{note.original_invoice_date:%d/%m/%Y}, déduit de votre prochain prélèvement SEPA"
        )
    return EInvoice(
        bt1_number=note.credit_note_number,
        bt2_issue_date=note.credit_note_date,
        bt3_type_code=CREDIT_NOTE,
        bt9_due_date=None,
        bt20_payment_terms=terms,
        bt23_business_process=business_process(kinds),
        bg1_notes=_notes(mentions, buyer),
        bg3_preceding=(PrecedingInvoice(note.original_invoice_number, note.original_invoice_date),),
        bg4_seller=seller,
        bg7_buyer=buyer,
        bg14_period=(month.first_day, month.last_day),
        bg16_payment=None,
        bg23_vat=_breakdown(lines, note.amount_ht, note.amount_vat, exemptions, vat_point),
        bg24_attachments=_attachments(note.credit_note_number, itemised_csv),
        bg25_lines=lines,
        bt106_line_total=note.amount_ht,
        bt109_total_ht=note.amount_ht,
        bt110_total_vat=note.amount_vat,
        bt112_total_ttc=note.amount_ttc,
        bt115_amount_due=note.amount_ttc,
        operation_category=CATEGORY_SERVICES,
        vat_point_mention=VAT_ON_DEBITS_MENTION if vat_point else None,
        vat_mention=note.vat_mention,
    )
