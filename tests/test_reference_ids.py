"""R42 for the identities printed on invoices: SIREN and VAT numbers of customers and of the
provider, payment terms, and the return data R34 depends on. Each stops the run (exit 2)
with file, row and problem, before anything is written."""

from __future__ import annotations

import pytest

from pipeline.core import data_contract as contract
from tests.conftest import PROVIDER, header, write_rows

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")


def set_customer(ws, row: list[str]) -> None:
    write_rows(
        ws.table("customers.csv"),
        [
            header(contract.CUSTOMERS, 8),
            row,
            ["C2", "Beta BV", "BE", "false", "false", "", "BE0403019261", "Bruxelles"],
        ],
    )


def assert_stopped(ws, message: str) -> None:
    ws.cdrs("2026-10", [])
    result = ws.bill("2026-10")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not ws.out.exists()


def customer(country: str, siren: str, vat_number: str) -> list[str]:
    """C1, SLA-eligible, with this identity (in Paris if French, else in Brussels)."""
    city = "Paris" if country == "FR" else "Bruxelles"
    return ["C1", "Alpha", country, "false", "true", siren, vat_number, city]


@pytest.mark.parametrize("siren", ["732829321", "73282932"])
def test_r42_bad_customer_identity_stops_the_run(ws, siren):
    set_customer(ws, customer("FR", siren, ""))
    assert_stopped(ws, f"customers.csv line 2: siren '{siren}' is not a valid SIREN")


@pytest.mark.parametrize(
    "country, siren, vat_number, problem",
    [
        ("BE", "", "BE0403019262", "vat_number 'BE0403019262' is not a valid EU VAT number"),
        ("BE", "", "DE136695976", "vat_number 'DE136695976' is not from the customer's country BE"),
        # a valid French VAT number, but of another company (SIREN 552100554)
        (
            "FR",
            "732829320",
            "FR96552100554",
            "vat_number 'FR96552100554' does not belong to siren '732829320'",
        ),
    ],
)
def test_r42_invalid_customer_vat_number_stops_the_run(ws, country, siren, vat_number, problem):
    # issue 4: bad VAT numbers are rejected as R42 says; issuing the invoice with French VAT
    # instead of reverse charge could only be undone by a credit note
    set_customer(ws, customer(country, siren, vat_number))
    ws.cdrs("2026-10", [])
    assert_stopped(ws, f"customers.csv line 2: {problem}")


def test_r42_valid_identities_are_accepted(ws):
    set_customer(ws, customer("FR", "552100554", "FR96552100554"))
    ws.cdrs("2026-10", [])
    result = ws.bill("2026-10")
    assert result.exit_code == 0, result.output
    inv = ws.read_csv("2026-10", "invoices.csv")[0]
    assert (inv["customer_siren"], inv["customer_vat_number"]) == ("552100554", "FR96552100554")


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('siren = "732829320"', 'siren = "732829321"', "siren '732829321' is not a valid SIREN"),
        (
            'vat_number = "FR44732829320"',
            'vat_number = "FR44732829329"',
            "is not a valid VAT number",
        ),
        (
            'vat_number = "FR44732829320"',
            'vat_number = "FR96552100554"',
            "vat_number 'FR96552100554' does not belong to siren '732829320'",
        ),
        (
            "recovery_indemnity_eur = 40",
            "recovery_indemnity_eur = 50",
            "recovery_indemnity_eur 50: the fixed indemnity for recovery costs is 40 EUR",
        ),
        (
            "payment_terms_days = 30",
            "payment_terms_days = 45",
            "payment_terms_days 45: invoices are due 30 days after their date (R5)",
        ),
        ('name = "Test Telecom SAS"\n', "", "provider.toml: missing key(s): name"),
    ],
)
def test_r42_bad_provider_identity_stops_the_run(ws, old, new, message):
    assert old in PROVIDER
    (ws.data / "provider.toml").write_text(PROVIDER.replace(old, new), encoding="utf-8")
    assert_stopped(ws, message)


RENTAL = ["R1", "C1", "PHONE_B", "4.50", "2026-01-10", "12", "SN1"]


@pytest.mark.parametrize(
    "tail, message",
    [
        (["", "2026-10-01", "good"], "returned_on is set but notice_date is empty"),
        (["2026-09-20", "2026-10-01", ""], "returned_on is set but return_condition is empty"),
        (["2026-09-20", "", "damaged"], "return_condition is set but returned_on is empty"),
        (["2026-09-20", "2026-10-01", "broken"], "return_condition: expected one of good, damaged"),
    ],
)
def test_r42_incomplete_return_data_stops_the_run(ws, tail, message):
    ws.add_rows("rentals.csv", [RENTAL + tail])
    assert_stopped(ws, "rentals.csv line 2: " + message)
