"""The receivables inputs (R80): customers' payment method and IBAN, mandates.csv, and the
receivables keys of provider.toml, checked like all reference data (R42): a bad row stops the
run with one line naming the file, the line and the problem (exit 2), before anything is
issued.

Row checks (`CUSTOMER_CHECKS`, `MANDATE_CHECKS`) run in pipeline.inputs.reference's reader;
`check_receivables` checks the files against each other once they are read, and
`receivables_settings` reads and checks the provider.toml keys (defaults in
pipeline.core.data_contract.RECEIVABLES_SETTINGS).

Whether a debited customer has exactly one mandate in force on each of its documents' dates is
checked where the documents' dates are known: pipeline.billing.debit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02

from pipeline.core import data_contract as contract
from pipeline.core.errors import InputError
from pipeline.core.language import say

# the RUM: 1-35 characters of the SEPA character set (EPC rulebook, Latin characters), never
# starting with "/" nor holding "//"
_RUM = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")


def iban_problem(text: str) -> str | None:
    """None for a valid IBAN of a SEPA country, else what is wrong (ISO 13616 checksum,
    length and format of its country)."""
    try:
        iban = IBAN(text)
    except (SchwiftyException, ValueError) as exc:
        return say(f"IBAN invalide ({exc})", f"not a valid IBAN ({exc})")
    if not iban.in_sepa_zone:
        return say(
            f"le pays {iban.country_code} n'est pas dans la zone SEPA",
            f"country {iban.country_code} is not in the SEPA zone",
        )
    return None


def compact_iban(text: str) -> str:
    return str(IBAN(text))


def _check_customer_iban(row: dict[str, Any]) -> str | None:
    if row.get("iban"):
        problem = iban_problem(row["iban"])
        if problem:
            return f"iban {row['iban']!r}{say(' : ', ': ')}{problem}"
    return None


def _check_mandate(row: dict[str, Any]) -> str | None:
    rum = row["mandate_id"]
    if not _RUM.match(rum) or rum.startswith("/") or "//" in rum:
        return say(
            f"mandate_id {rum!r} : une RUM a 1 à 35 caractères du jeu SEPA (lettres latines, "
            "chiffres, / - ? : ( ) . , ' + espace), sans / au début ni //",
            f"mandate_id {rum!r}: a RUM is 1-35 characters of the SEPA set (Latin letters, "
            "digits, / - ? : ( ) . , ' + space), not starting with / and without //",
        )
    problem = iban_problem(row["iban"])
    if problem:
        return f"iban {row['iban']!r}{say(' : ', ': ')}{problem}"
    if row.get("bic"):
        try:
            BIC(row["bic"])
        except (SchwiftyException, ValueError) as exc:
            return f"bic {row['bic']!r}{say(' : ', ': ')}{exc}"
    revoked = row.get("revoked_on")
    if revoked is not None and revoked < row["signed_on"]:
        return say(
            f"revoked_on ({revoked}) est avant signed_on ({row['signed_on']})",
            f"revoked_on ({revoked}) is before signed_on ({row['signed_on']})",
        )
    return None


CUSTOMER_CHECKS: tuple[Callable[[dict[str, Any]], str | None], ...] = (_check_customer_iban,)
MANDATE_CHECKS: tuple[Callable[[dict[str, Any]], str | None], ...] = (_check_mandate,)


def is_debited(customer: dict[str, Any]) -> bool:
    return customer.get("payment_method") == "sepa_debit"


def check_receivables(customers: Any, mandates: Any, provider: dict[str, Any], path: str) -> None:
    """R80 across files: a mandate names a known customer; `creditor_id` is set as soon as one
    customer pays by debit; a debited customer has at least one mandate (which one is in force
    on each document's date is checked when its documents are made). `customers` and
    `mandates` are pipeline.inputs.reference tables (rows and `where(i)`)."""
    known = {r["customer_id"] for r in customers.rows}
    with_mandate = set()
    for i, row in enumerate(mandates.rows):
        if row["customer_id"] not in known:
            file, line = mandates.where(i)
            raise InputError(
                say(
                    f"customer_id {row['customer_id']!r} n'est pas un client connu (customers.csv)",
                    f"customer_id {row['customer_id']!r} is not a known customer (customers.csv)",
                ),
                file=file,
                line=line,
            )
        with_mandate.add(row["customer_id"])
    for i, row in enumerate(customers.rows):
        if not is_debited(row):
            continue
        file, line = customers.where(i)
        if not provider.get("creditor_id"):
            raise InputError(
                say(
                    f"le client {row['customer_id']} paie par prélèvement SEPA : creditor_id "
                    f"(l'ICS) manque dans {path} (R80)",
                    f"customer {row['customer_id']} pays by SEPA direct debit: creditor_id "
                    f"(the ICS) is missing from {path} (R80)",
                ),
                file=file,
                line=line,
            )
        if row["customer_id"] not in with_mandate:
            raise InputError(
                say(
                    f"le client {row['customer_id']} paie par prélèvement SEPA mais n'a aucun "
                    "mandat dans mandates.csv (R80)",
                    f"customer {row['customer_id']} pays by SEPA direct debit but has no "
                    "mandate in mandates.csv (R80)",
                ),
                file=file,
                line=line,
            )


def _fee(value: Any, what: str, path: str) -> Decimal:
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidOperation
        fee = Decimal(str(value))
        if not fee.is_finite() or fee < 0 or fee != fee.quantize(Decimal("0.01")):
            raise InvalidOperation
    except InvalidOperation:
        raise InputError(
            say(
                f"return_fee_eur = {value!r} : attendu un montant en EUR >= 0 (2 décimales)",
                f"return_fee_eur = {value!r}: expected {what}",
            ),
            file=path,
        ) from None
    return fee.quantize(Decimal("0.01"))


def receivables_settings(data: dict[str, Any], path: str) -> dict[str, Any]:
    """The receivables keys of provider.toml, checked and defaulted: `creditor_id` (the ICS,
    its ISO 7064 key checked with stdnum.eu.at_02, compacted), `prenotification_days`,
    `collection_horizon_days` (contract.RECEIVABLES_SETTINGS), and `bic` when given."""
    settings: dict[str, Any] = {}
    ics = data.get("creditor_id")
    if ics is not None:
        if not isinstance(ics, str) or not at_02.is_valid(ics):
            raise InputError(
                say(
                    f"creditor_id = {ics!r} : ce n'est pas un identifiant créancier SEPA (ICS) "
                    "valide (clé ISO 7064 MOD 97-10, par exemple FR07ZZZ552008)",
                    f"creditor_id = {ics!r}: not a valid SEPA creditor identifier (ICS, ISO "
                    "7064 MOD 97-10 key, for example FR07ZZZ552008)",
                ),
                file=path,
            )
        settings["creditor_id"] = at_02.compact(ics)
    bounds = {"prenotification_days": (0, 60), "collection_horizon_days": (0, 31)}
    for key, (default, what) in contract.RECEIVABLES_SETTINGS.items():
        value = data.get(key, default)
        if key == "return_fee_eur":  # R84: written as a string or a number in provider.toml
            settings[key] = _fee(value, what, path)
            continue
        low, high = bounds[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InputError(
                say(f"{key} = {value!r} : attendu {what}", f"{key} = {value!r}: expected {what}"),
                file=path,
            )
        settings[key] = value
    if data.get("bic"):
        try:
            BIC(str(data["bic"]))
        except (SchwiftyException, ValueError) as exc:
            raise InputError(f"bic {data['bic']!r}{say(' : ', ': ')}{exc}", file=path) from None
    return settings
