"""The fields of a CDAR lifecycle message (UN/CEFACT D22B as profiled by the French CDV
rules, XP Z12-012), in pyfrctc's MDT-keyed form: one referenced document, one status.
Pure: the XML is made by pipeline.einvoicing.frctc.cdar_xml.

Choices (the CDV rules allow several): business process (MDT-2) `REGULATED` (a domestic B2B
invoice of the reform); guideline (MDT-3) `urn.cpro.gouv.fr:1p0:CDV:invoice`; document type
(MDT-77) `23` (phase "traitement"); parties identified by their SIREN (scheme 0002), the
recipient's electronic address (MDT-73) under the scheme of its e-invoicing address (0225 for a
SIREN); the message's date-time (MDT-8, MDT-78) is the status's date at 00:00, never the
clock, so that the same status gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pipeline.exports.einvoice.record import electronic_address

PROCESS = "REGULATED"
GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"
PROCESSING_PHASE = 23


@dataclass(frozen=True)
class Party:
    name: str
    siren: str
    address_scheme: str = "0225"  # the electronic address (EAS scheme, id)
    address: str = ""
    role: str = "SE"  # SE seller, BY buyer


def status_fields(
    *,
    message_id: str,
    day: date,
    issuer: Party,
    recipient: Party,
    document: str,
    type_code: str,
    document_date: date,
    seller_siren: str,
    code: str,
    label: str,
    reasons: Sequence[tuple[str, str]] = (),
    amounts: Sequence[tuple[Decimal, Decimal]] = (),
) -> tuple[dict[str, Any], dict[int, list[Decimal]]]:
    """(fields, percents) of one status of one document: `reasons` (code, text) as status
    details (MDG-37); `amounts` (amount, VAT rate) as "MEN" characteristics of one detail
    (a 212 "Encaissée", BR-FR-CDV-14), the rates given to frctc.cdar_xml as MDT-224."""
    at = datetime.combine(day, time(0, 0))
    details: list[dict[str, Any]] = [
        {"MDT-113": reason_code, "MDT-114": text} if reason_code else {"MDT-114": text}
        for reason_code, text in reasons
    ]
    percents: dict[int, list[Decimal]] = {}
    if amounts:
        details.append(
            {
                "MDG-43": [
                    {"MDT-207": "MEN", "MDT-215": {"float": f"{amount:.2f}", "currency": "EUR"}}
                    for amount, _rate in amounts
                ]
            }
        )
        percents[len(details) - 1] = [rate for _amount, rate in amounts]
    fields: dict[str, Any] = {
        "MDT-2": PROCESS,
        "MDT-3": GUIDELINE,
        "MDT-4": message_id,
        "MDT-8": at,
        "MDT-21": issuer.role,
        "MDT-38": {"0002": issuer.siren},
        "MDT-39": issuer.name,
        "MDT-40": issuer.role,
        "MDT-57": {"0002": recipient.siren},
        "MDT-58": recipient.name,
        "MDT-59": recipient.role,
        "MDT-73": recipient.address or recipient.siren,
        "MDT-73-1": recipient.address_scheme,
        "MDT-74": False,
        "MDT-77": PROCESSING_PHASE,
        "MDT-78": at,
        "MDT-87": document,
        "MDT-91": type_code,
        "MDT-100": document_date,
        "MDT-105": code,
        "MDT-106": label,
        "MDT-129": {"0002": seller_siren},
        "MDG-37": details,
    }
    return fields, percents


def seller_party(provider: Mapping[str, Any]) -> Party:
    """The provider (provider.toml) as the seller of its documents."""
    scheme, address = electronic_address("FR", str(provider["siren"]), None, provider)
    return Party(str(provider["name"]), str(provider["siren"]), scheme, address, "SE")


def buyer_party(customer: Mapping[str, Any]) -> Party:
    """A customer (customers.csv) as the buyer, its electronic address as on its invoices."""
    siren = str(customer.get("siren") or "")
    scheme, address = electronic_address(
        str(customer.get("country") or "FR"), siren, customer.get("vat_number"), customer
    )
    return Party(str(customer["name"]), siren, scheme or "0225", address or siren, "BY")
