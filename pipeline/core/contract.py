"""The data contract (shared spec `data-contract.md`) declared once: every file the pipeline
reads or writes, with its columns in order, their types, which are required, and its key.

Everything else derives from here: the reference readers and their R42 checks
(pipeline.inputs.reference adds the parsers of each type and the cross-row checks), the CDR
and registration loaders (pipeline.inputs.cdrs), the great-expectations suites
(pipeline.validation.expectations), the output writers (pipeline.exports), the test
fixtures (tests/conftest.py) and the sample generator (tools/generate_samples.py). A new
column is one edit here.

Column types: text, bool (`true`/`false`), date (YYYY-MM-DD), amount (a decimal in euros, at
most 4 decimals), int, timestamp (ISO 8601, with an offset or Europe/Paris local time),
zones (`;`-separated zone codes), month (YYYY-MM), country (ISO 3166 alpha-2), prefix
(E.164 digits or S + digits), choice (one of `choices`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileContract:
    name: str  # the file name inside its folder
    folder: str  # data, rates, cdrs, registrations (a folder per month), out (a month's folder)
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    table: str = ""  # the DuckDB table it is loaded into (reference files)
    optional: bool = False  # the file itself may be missing

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type_: str = "text", required: bool = True, *choices: str) -> Column:
    return Column(name, type_, required, choices)


def _o(name: str, type_: str = "text", *choices: str) -> Column:
    return Column(name, type_, False, choices)


# --- inputs: the data folder -----------------------------------------------------------------

CUSTOMERS = FileContract(
    "customers.csv",
    "data",
    (
        _c("customer_id"),
        _c("name"),
        _c("country", "country"),
        _c("telecom_professional", "bool"),
        _c("sla_eligible", "bool"),
        _o("siren"),
        _o("vat_number"),
        _o("address"),
        # itemised bills show full called numbers instead of masking the last four digits
        _o("itemised_full_numbers", "bool"),
    ),
    key=("customer_id",),
    table="ref_customers",
)
SIP_ACCOUNTS = FileContract(
    "sip_accounts.csv",
    "data",
    (_c("sip_account"), _c("customer_id")),
    key=("sip_account",),
    table="ref_sip_accounts",
)
SUBSCRIPTIONS = FileContract(
    "subscriptions.csv",
    "data",
    (
        _c("subscription_id"),
        _c("customer_id"),
        _c("product_code"),
        _c("monthly_price_eur", "amount"),
        _c("order_date", "date"),
        _c("commitment_months", "int"),
        _o("sip_account"),
        _o("included_intl_zones", "zones"),
        _o("notice_date", "date"),
    ),
    key=("subscription_id",),
    table="ref_subscriptions",
)
RENTALS = FileContract(
    "rentals.csv",
    "data",
    (
        _c("rental_id"),
        _c("customer_id"),
        _c("equipment_model"),
        _c("monthly_fee_eur", "amount"),
        _c("start_date", "date"),
        _c("commitment_months", "int"),
        _o("serial"),
        _o("notice_date", "date"),
        _o("returned_on", "date"),
        _o("return_condition", "choice", "good", "damaged"),
    ),
    key=("rental_id",),
    table="ref_rentals",
)
RMA = FileContract(
    "rma.csv",
    "data",
    (
        _c("rma_id"),
        _c("rental_id"),
        _c("shipped_on", "date"),
        _o("defective_returned_on", "date"),
    ),
    key=("rma_id",),
    table="ref_rma",
)
EQUIPMENT_SALES = FileContract(
    "equipment_sales.csv",
    "data",
    (
        _c("sale_id"),
        _c("customer_id"),
        _c("equipment_model"),
        _c("quantity", "int"),
        _c("unit_price_eur", "amount"),
        _c("delivered_on", "date"),
    ),
    key=("sale_id",),
    table="ref_equipment_sales",
    optional=True,
)
DEVICES = FileContract(
    "devices.csv",
    "data",
    (
        _c("device_id"),
        _c("customer_id"),
        _c("supplied_by_provider", "bool"),
        _o("sip_account"),
        _o("kind"),
    ),
    key=("device_id",),
    table="ref_devices",
)
INCIDENTS = FileContract(
    "incidents.csv",
    "data",
    (
        _c("incident_id"),
        _c("start_time", "timestamp"),
        _c("end_time", "timestamp"),
        _c("excusable", "bool"),
        _o("customer_id"),
        _o("cause"),
    ),
    key=("incident_id",),
    table="ref_incidents",
)
SLA_CLAIMS = FileContract(
    "sla_claims.csv",
    "data",
    (_c("customer_id"), _c("service_month", "month"), _c("received_on", "date")),
    table="ref_sla_claims",
)
DATA_FILES = (
    CUSTOMERS,
    SIP_ACCOUNTS,
    SUBSCRIPTIONS,
    RENTALS,
    RMA,
    EQUIPMENT_SALES,
    DEVICES,
    INCIDENTS,
    SLA_CLAIMS,
)
PROVIDER_FILE = "provider.toml"
# provider.toml: the seller on every invoice (required keys)
PROVIDER_KEYS = ("name", "siren", "vat_number", "address", "rcs", "share_capital_eur", "iban")

# --- inputs: the rate book -------------------------------------------------------------------

DESTINATIONS = FileContract(
    "destinations.csv",
    "rates",
    (_c("prefix", "prefix"), _c("zone"), _o("description")),
    key=("prefix",),
    table="ref_destinations",
)
TARIFFS = FileContract(
    "tariffs.csv",
    "rates",
    (
        _c("zone"),
        _c("valid_from", "date"),
        _c("price_per_min_eur", "amount"),
        _c("connection_fee_eur", "amount"),
        _c("min_billable_s", "int"),
        _c("increment_s", "int"),
        _c("in_unlimited_plan", "bool"),
    ),
    key=("zone", "valid_from"),
    table="ref_tariffs",
)
PRODUCTS = FileContract(
    "products.csv",
    "rates",
    (
        _c("product_code"),
        _c("kind", "choice", True, "plan", "option"),
        _c("unlimited", "bool"),
        _o("description"),
        _o("list_price_eur", "amount"),
    ),
    key=("product_code",),
    table="ref_products",
)
EQUIPMENT = FileContract(
    "equipment.csv",
    "rates",
    (
        _c("equipment_model"),
        _c("valid_from", "date"),
        _o("valid_to", "date"),
        _c("sale_price_eur", "amount"),
        _o("description"),
    ),
    key=("equipment_model", "valid_from"),
    table="ref_equipment",
)
RATE_FILES = (DESTINATIONS, TARIFFS, PRODUCTS, EQUIPMENT)
REFERENCE_FILES = DATA_FILES + RATE_FILES

# --- inputs: usage, one folder per month (.csv, .csv.gz or .parquet files) -------------------

CDRS = FileContract(
    "cdrs",
    "cdrs",
    (
        _c("cdr_id"),
        _c("sip_account"),
        _c("direction", "choice", True, "out", "in", "fwd"),
        _c("caller"),
        _c("callee"),
        _c("start_time", "timestamp"),
        _c("duration_s", "int"),
        _c("device_id"),
    ),
    key=("cdr_id",),
)
REGISTRATIONS = FileContract(
    "registrations",
    "registrations",
    (
        _c("sip_account"),
        _c("device_id"),
        _c("registered_at", "timestamp"),
        _c("expires_at", "timestamp"),
    ),
)

# --- outputs: OUT/YYYY-MM/ -------------------------------------------------------------------


def _output(name: str, columns: str, key: tuple[str, ...] = ()) -> FileContract:
    """An output file: its columns (written in this order, all of them on every row, an
    empty field for a null) as one space-separated list."""
    return FileContract(name, "out", tuple(Column(n) for n in columns.split()), key=key)


INVOICES = _output(
    "invoices.csv",
    """invoice_number customer_id invoice_date due_date period total_ht total_vat total_ttc
    vat_rate vat_mention
    period_start period_end operation_category
    customer_name customer_siren customer_vat_number customer_address customer_country
    seller_name seller_siren seller_vat_number seller_address seller_rcs
    seller_share_capital_eur seller_iban late_penalty_rate recovery_indemnity_eur
    early_payment_discount""",
    key=("invoice_number",),
)
INVOICE_LINES = _output(
    "invoice_lines.csv",
    """invoice_number line_no customer_id kind reference description zone reason quantity
    billable_seconds unit_price amount_ht period_start period_end""",
    key=("invoice_number", "line_no"),
)
CREDIT_NOTES = _output(
    "credit_notes.csv",
    """credit_note_number customer_id credit_note_date original_invoice_number
    original_invoice_date service_month availability_pct credit_pct amount_ht amount_vat
    amount_ttc
    vat_rate vat_mention minutes_in_month downtime_minutes telephony_charges_ht incident_ids
    excusable_incident_ids claim_received_on""",
    key=("credit_note_number",),
)
SLA = _output(
    "sla.csv",
    """customer_id service_month minutes_in_month downtime_minutes availability_pct
    credit_pct claim_status
    claim_received_on claim_detail sla_eligible downtime_seconds incident_ids
    excusable_incident_ids telephony_charges_ht original_invoice_number credit_note_number""",
)
REJECTS = _output(
    "rejects.csv",
    "source_file row_number cdr_id reason detail raw",
    key=("source_file", "row_number"),
)
FAIR_USE = _output(
    "fair_use.csv",
    """sip_account customer_id distinct_numbers max_concurrent_calls max_registered_devices
    forwarded_seconds forwarded_over_seconds breaches""",
    key=("sip_account",),
)
RATED_CALLS = _output(
    "rated_calls.parquet",
    # the data contract's columns, then what an auditor and `billing explain` read per call
    """cdr_id customer_id sip_account direction callee_e164 zone reason duration_s
    rated_seconds billable_seconds amount
    start_time prefix tariff_valid_from source_file row_number
    callee device_id call_date price_per_min_eur connection_fee_eur min_billable_s
    increment_s forwarding_consumed_before_s forwarded_over_s plan_subscription_id
    national_plan_zone""",
    key=("cdr_id",),
)
ITEMISED = _output(
    "itemised/{customer_id}.csv",
    """cdr_id sip_account start_time direction called_number zone reason duration_s
    billable_seconds amount""",
    key=("cdr_id",),
)
RATED_CALLS_FILE = RATED_CALLS.name
MANIFEST_FILE = "manifest.json"
# The issued documents whose bytes are checked against their manifest before every run.
LEDGER_FILES = (INVOICES.name, INVOICE_LINES.name, CREDIT_NOTES.name)
