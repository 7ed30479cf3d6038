"""The data contract declared once: every file the pipeline reads or writes, with its columns
in order, their types, which are required, and its key (described for users in docs/inputs.md
and docs/outputs.md, checked by tests/test_docs.py).

Everything else derives from here: the reference readers and their R42 checks
(pipeline.inputs.reference adds the parsers of each type and the cross-row checks), the CDR
and registration loaders (pipeline.inputs.cdrs), the great-expectations suites
(pipeline.validation.expectations), the output writers (pipeline.exports), the test
fixtures (tests/conftest.py) and the sample generator (tools/generate_samples.py). A new
column is one edit here.

Columns are written `name`, `name:type`, `name:choice=a|b`; `name?` is optional (may be
empty, and may be missing from the file). Column types: text, bool (`true`/`false`), date (YYYY-MM-DD), amount (a decimal in euros, at
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


def _columns(spec: str) -> tuple[Column, ...]:
    """Columns written `name`, `name:type` or `name:choice=a|b`; a `?` after the name marks
    an optional column (`notice_date?:date`)."""
    columns = []
    for item in spec.split():
        name, _, type_ = item.partition(":")
        type_, _, choices = (type_ or "text").partition("=")
        optional = name.endswith("?")
        columns.append(
            Column(
                name.rstrip("?"), type_, not optional, tuple(choices.split("|")) if choices else ()
            )
        )
    return tuple(columns)


def _input(
    name: str, folder: str, spec: str, key: tuple[str, ...] = (), table: str = "", **kw: bool
) -> FileContract:
    return FileContract(name, folder, _columns(spec), key=key, table=table, **kw)


# --- inputs: the data folder -----------------------------------------------------------------

CUSTOMERS = _input(
    "customers.csv",
    "data",
    """customer_id name country:country telecom_professional:bool sla_eligible:bool
    siren? vat_number? address?
    itemised_full_numbers?:bool
    electronic_address?
    payment_method?:choice=transfer|sepa_debit iban?""",
    # payment_method: transfer (empty: the default) or sepa_debit (R80); iban: the account it
    # pays from (checked, ISO 13616), for matching transfers (bank statements, to come)
    # itemised_full_numbers: the itemised bills show full called numbers (not masked);
    # electronic_address: SCHEME:ID, where its e-invoices are sent (BT-49, docs/einvoices.md)
    key=("customer_id",),
    table="ref_customers",
)
SIP_ACCOUNTS = _input(
    "sip_accounts.csv",
    "data",
    "sip_account customer_id",
    key=("sip_account",),
    table="ref_sip_accounts",
)
SUBSCRIPTIONS = _input(
    "subscriptions.csv",
    "data",
    """subscription_id customer_id product_code monthly_price_eur:amount order_date:date
    commitment_months:int sip_account? included_intl_zones?:zones notice_date?:date""",
    key=("subscription_id",),
    table="ref_subscriptions",
)
RENTALS = _input(
    "rentals.csv",
    "data",
    """rental_id customer_id equipment_model monthly_fee_eur:amount start_date:date
    commitment_months:int serial? notice_date?:date returned_on?:date
    return_condition?:choice=good|damaged""",
    key=("rental_id",),
    table="ref_rentals",
)
RMA = _input(
    "rma.csv",
    "data",
    "rma_id rental_id shipped_on:date defective_returned_on?:date",
    key=("rma_id",),
    table="ref_rma",
)
EQUIPMENT_SALES = _input(
    "equipment_sales.csv",
    "data",
    """sale_id customer_id equipment_model quantity:int unit_price_eur:amount
    delivered_on:date""",
    key=("sale_id",),
    table="ref_equipment_sales",
    optional=True,
)
DEVICES = _input(
    "devices.csv",
    "data",
    "device_id customer_id supplied_by_provider:bool sip_account? kind?",
    key=("device_id",),
    table="ref_devices",
)
INCIDENTS = _input(
    "incidents.csv",
    "data",
    """incident_id start_time:timestamp end_time:timestamp excusable:bool customer_id?
    cause?""",
    key=("incident_id",),
    table="ref_incidents",
)
SLA_CLAIMS = _input(
    "sla_claims.csv",
    "data",
    "customer_id service_month:month received_on:date",
    table="ref_sla_claims",
)
# R80: the SEPA direct debit mandates (optional file): mandate_id is the RUM
MANDATES = _input(
    "mandates.csv",
    "data",
    """mandate_id customer_id iban signed_on:date scheme:choice=CORE|B2B bic?
    revoked_on?:date""",
    key=("mandate_id",),
    table="ref_mandates",
    optional=True,
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
    MANDATES,
)
PROVIDER_FILE = "provider.toml"
# provider.toml: the seller on every invoice (required keys)
PROVIDER_KEYS = ("name", "siren", "vat_number", "address", "rcs", "share_capital_eur", "iban")
# provider.toml [accounts]: the revenue account of each kind of invoice line, by default
# (plan comptable général): services to 706, equipment rentals to 7083, equipment sold (or
# charged when not returned) to 707, the months owed on early termination to 7588 (an
# indemnity, not a service rendered). docs/exports.md says why.
DEFAULT_ACCOUNTS: dict[str, tuple[str, str]] = {
    "subscription": ("706000", "Prestations de services"),
    "usage": ("706000", "Prestations de services"),
    "rental": ("708300", "Locations diverses"),
    "equipment_sale": ("707000", "Ventes de marchandises"),
    "non_return": ("707000", "Ventes de marchandises"),
    "early_termination": ("758800", "Indemnités de résiliation"),
    "rental_early_termination": ("758800", "Indemnités de résiliation"),
}

# --- inputs: the rate book -------------------------------------------------------------------

DESTINATIONS = _input(
    "destinations.csv",
    "rates",
    "prefix:prefix zone description?",
    key=("prefix",),
    table="ref_destinations",
)
TARIFFS = _input(
    "tariffs.csv",
    "rates",
    """zone valid_from:date price_per_min_eur:amount connection_fee_eur:amount
    min_billable_s:int increment_s:int in_unlimited_plan:bool""",
    key=("zone", "valid_from"),
    table="ref_tariffs",
)
PRODUCTS = _input(
    "products.csv",
    "rates",
    "product_code kind:choice=plan|option unlimited:bool description? list_price_eur?:amount",
    key=("product_code",),
    table="ref_products",
)
EQUIPMENT = _input(
    "equipment.csv",
    "rates",
    "equipment_model valid_from:date valid_to?:date sale_price_eur:amount description?",
    key=("equipment_model", "valid_from"),
    table="ref_equipment",
)
RATE_FILES = (DESTINATIONS, TARIFFS, PRODUCTS, EQUIPMENT)
REFERENCE_FILES = DATA_FILES + RATE_FILES

# --- inputs: usage, one folder per month (.csv, .csv.gz or .parquet files) -------------------

CDRS = _input(
    "cdrs",
    "cdrs",
    """cdr_id sip_account direction:choice=out|in|fwd caller callee start_time:timestamp
    duration_s:int device_id""",
    key=("cdr_id",),
)
REGISTRATIONS = _input(
    "registrations",
    "registrations",
    "sip_account device_id registered_at:timestamp expires_at:timestamp",
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
# R63: quantity x unit_price = amount_ht exactly on every line, in the unit `unit` (UN/ECE
# Rec. 20: MON a month, LS a lot, H87 a piece; the CII's BT-130). A usage line is 1 LS at its
# amount; its calls are `calls` and its billed seconds `billable_seconds` (docs/einvoices.md).
INVOICE_LINES = _output(
    "invoice_lines.csv",
    """invoice_number line_no customer_id kind reference description zone reason quantity unit
    calls billable_seconds unit_price amount_ht period_start period_end""",
    key=("invoice_number", "line_no"),
)
# invoice_lines.csv as months issued before the lot presentation of usage lines (issue 26,
# item 2) wrote it: no `unit` nor `calls`, a usage line's quantity was its number of calls and
# its unit_price the per-minute price (empty when its calls had several). Audits and re-runs of
# such a month compare its lines on their figures (pipeline.ledger.compare, docs/exports.md);
# a correction reads the calls of such a line from its quantity.
INVOICE_LINES_WITH_CALLS_AS_QUANTITY = tuple(
    n for n in INVOICE_LINES.names if n not in ("unit", "calls")
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
    # the data contract's columns, then what an auditor reads per call: its start, the tariff
    # version used (the zone's tariff row valid from tariff_valid_from, and the destination's
    # prefix), its source file and row (issue 18, decision 2). The other facts `billing explain`
    # shows (the number as dialled, the device, the tariff's figures, the plan, the forwarding
    # allowance used before) are recomputed from the month's archive (pipeline.run.explain_call);
    # months issued before 2026-12-03 carry them too (RATED_CALLS_WITH_RATING_FACTS).
    """cdr_id customer_id sip_account direction callee_e164 zone reason duration_s
    rated_seconds billable_seconds amount
    start_time prefix tariff_valid_from source_file row_number""",
    key=("cdr_id",),
)
# rated_calls.parquet with every rating fact of a call (27 columns): what months issued before
# issue 18's decision 2 (2026-12-03) carry; audits of them compare the 16 of RATED_CALLS
RATED_CALLS_WITH_RATING_FACTS = (
    *RATED_CALLS.names,
    *"""callee device_id call_date price_per_min_eur connection_fee_eur min_billable_s
    increment_s forwarding_consumed_before_s forwarded_over_s plan_subscription_id
    national_plan_zone""".split(),
)
ITEMISED = _output(
    "itemised/{customer_id}.csv",
    """cdr_id sip_account start_time direction called_number zone reason duration_s
    billable_seconds amount""",
    key=("cdr_id",),
)
# every listed call of the month (the itemised bills' calls, every customer) in one workbook
# for the screen, beside the accountants' workbook billing_{month}.xlsx (issue 26): these
# columns in this order, under French headers (docs/exports.md)
CALLS_WORKBOOK = _output(
    "billing_{month}_appels.xlsx",
    """customer_id sip_account start_time direction called_number zone reason duration_s
    billable_seconds amount cdr_id""",
    key=("cdr_id",),
)
# --- outputs of a correction: OUT/YYYY-MM/corrections/NN/ (R65-R68) --------------------------

CORRECTION_INVOICES = _output(
    "invoices.csv",
    " ".join(INVOICES.names) + " original_invoice_number original_invoice_date corrected_month",
    key=("invoice_number",),
)
# one row per line of a correction document (a supplementary invoice F... or a credit note
# AV..., its number in invoice_number): the corrected line's kind, reference, zone and reason,
# the difference recomputed - issued as amount_ht (the data contract), and the amount the
# document shows (the difference on a supplementary invoice, the difference negated on a credit
# note, R66)
CORRECTION_LINES = _output(
    "invoice_lines.csv",
    " ".join(INVOICE_LINES.names) + " issued_amount_ht recomputed_amount_ht document_amount_ht",
    key=("invoice_number", "line_no"),
)
CORRECTION_CREDIT_NOTES = _output(
    "credit_notes.csv",
    " ".join(CREDIT_NOTES.names) + " corrected_month",
    key=("credit_note_number",),
)
# every line whose amount changed, per customer, with the document that corrects it (empty
# when the customer's differences add up to zero: no document, R66)
CORRECTION_CHANGES = _output(
    "changes.csv",
    """customer_id kind reference zone reason description issued_amount_ht
    recomputed_amount_ht difference_ht document_number""",
)
CORRECTIONS_DIR = "corrections"
RATED_CALLS_FILE = RATED_CALLS.name
MANIFEST_FILE = "manifest.json"

# --- the fraud watch (R26-R27): rates/high_risk_prefixes.csv, OUT/watch/{D}/ ----------------

# premium-rate and IRSF ranges the watch alerts on (R26 HIGH_RISK_DESTINATION); not an input
# of billing (R27: an alert never changes an amount), so it is not among RATE_FILES, not in a
# month's manifest nor its archive (pipeline.ledger.manifest.input_files)
HIGH_RISK_PREFIXES = _input(
    "high_risk_prefixes.csv",
    "rates",
    "prefix:prefix label source",
    key=("prefix",),
    table="ref_high_risk_prefixes",
)
WATCH_DIR = "watch"  # OUT/watch/{D}/
# alerts.csv: the data contract's columns, then when the first and last calls started
# (Europe/Paris) and what the figures are, for the operations team
WATCH_ALERTS = _output(
    "alerts.csv",
    """sip_account customer_id rule severity value threshold first_cdr_id last_cdr_id
    first_start_time last_start_time detail""",
    key=("sip_account", "rule"),
)
WATCH_SUSPEND = _output("suspend.csv", "customer_id sip_account reason since", key=("sip_account",))
WATCH_SUMMARY = "summary.md"
# provider.toml [watch]: name -> (default, what it is); pipeline.inputs.reference checks them
WATCH_SETTINGS: dict[str, tuple[str, str]] = {
    "watch_spend_factor": ("5", "a decimal > 0, the spend spike factor over the daily average"),
    "watch_spend_critical_factor": ("10", "a decimal > 0, the factor of a critical spend spike"),
    "watch_spend_floor_eur": ("50", "a decimal >= 0 in euros, no spend spike below it"),
    "watch_night_calls": ("10", "a whole number >= 0 of night international calls allowed"),
    "watch_night_start_hour": ("22", "a whole number 0-23, the hour the night starts"),
    "watch_night_end_hour": ("6", "a whole number 0-23, the hour the night ends"),
    "watch_sweep_numbers": ("20", "a whole number >= 1 of distinct numbers allowed per window"),
    "watch_sweep_window_min": ("60", "a whole number of minutes >= 1, the sweep window"),
    "watch_sweep_last_digits": ("2", "a whole number 1-6, the digits a sweep varies"),
    "watch_concurrent_calls": ("3", "a whole number >= 1 of calls in progress allowed"),
    "watch_concurrent_margin": ("2", "a whole number >= 0 over the account's own maximum"),
    "watch_baseline_days": ("90", "a whole number of days 1-366, the history looked at"),
}

# --- receivables (R80-R83): provider.toml keys, OUT/receivables/ -----------------------------

# provider.toml receivables keys: name -> (default, what it is); pipeline.inputs.receivables
# checks them. creditor_id (the ICS) has no default: required as soon as a customer pays by
# SEPA direct debit.
RECEIVABLES_SETTINGS: dict[str, tuple[int | str, str]] = {
    "prenotification_days": (14, "a whole number of days 0-60, the pre-notification period"),
    "collection_horizon_days": (5, "a whole number of days 0-31 looked ahead by collect"),
    "return_fee_eur": ("0.00", "an amount in EUR >= 0, the bank's fee for a returned debit"),
}
RECEIVABLES_DIR = "receivables"  # OUT/receivables/
JOURNAL_DIR = "journal"  # OUT/receivables/journal/NNNNNN-{sha256[:16]}.json
COLLECTIONS_DIR = "collections"  # OUT/receivables/collections/{D}-{NN}/
PAIN008_FILE = "pain.008.xml"
COLLECTION = _output(
    "collection.csv",
    """invoice_number customer_id mandate_id sequence_type collection_date amount scheme
    debit_date iban""",
    key=("invoice_number",),
)
# invoices.csv of a month (or a correction) with a debited customer carries these after the
# columns of INVOICES (R81); a month without one keeps its columns as before, byte for byte
INVOICE_DEBIT_COLUMNS = (
    "payment_method",
    "mandate_id",
    "creditor_id",
    "debited_iban",
    "debit_date",
)

# --- receivables reports (R86): OUT/receivables/reports/{D}/ ----------------------------------

REPORTS_DIR = "reports"  # OUT/receivables/reports/{D}/
# documents with an open balance on D; `type` (invoice, credit_note) after the contract's
OPEN_ITEMS = _output(
    "open_items.csv",
    """customer_id document_number document_date due_date total_ttc open_balance
    days_past_due status type""",
    key=("document_number",),
)
# customers with an open item, unallocated credit or a return fee; balance = open balances -
# unallocated credit + return fees (docs/receivables.md)
BALANCES = _output(
    "balances.csv",
    """customer_id balance overdue unallocated_credit oldest_due_date payment_method
    return_fees dunning_level""",
    key=("customer_id",),
)
AGED_BALANCE = _output(
    "aged_balance.csv",
    """customer_id not_due days_1_30 days_31_60 days_61_90 days_over_90 credits return_fees
    total""",
    key=("customer_id",),
)
SUSPENSE_REPORT = _output(
    "suspense.csv",
    "entry_ref source_file date amount debtor remittance reason direction",
)

# --- dunning and late payment (R90-R92): disputes.csv, the rate tables, OUT/receivables/dunning/

# disputes.csv (optional, data folder): an invoice under dispute is not dunned (R92) while
# opened_on <= D < closed_on; read by `billing dunning` only (not an input of billing: not in
# DATA_FILES, not in a month's manifest nor archive)
DISPUTES = _input(
    "disputes.csv",
    "data",
    "customer_id invoice_number opened_on:date closed_on?:date",
    key=("customer_id", "invoice_number", "opened_on"),
    table="ref_disputes",
    optional=True,
)
# the rate book's late-interest tables (R91): the legal interest rate for professional
# creditors by half-year, and the ECB main refinancing rate by change; each row says where its
# value comes from (`source`)
LEGAL_INTEREST = _input(
    "legal_interest.csv",
    "rates",
    "valid_from:date rate_pct:amount source",
    key=("valid_from",),
    table="ref_legal_interest",
)
ECB_REFI = _input(
    "ecb_refi.csv",
    "rates",
    "valid_from:date rate_pct:amount source",
    key=("valid_from",),
    table="ref_ecb_refi",
)
# provider.toml: late_interest (legal_x3 or ecb_plus_10) and the [[dunning]] levels (level,
# days past due), by default:
LATE_INTEREST_CHOICES = ("legal_x3", "ecb_plus_10")
DUNNING_LEVELS_DEFAULT = (("reminder", 7), ("formal_notice", 30), ("suspension", 45))
RECOVERY_INDEMNITY_EUR = "40.00"  # art. D441-5 du Code de commerce, once per late invoice
MAX_PAYMENT_TERMS_DAYS = 45  # R90: never more than 45 days from the document date (L441-10)
DUNNING_DIR = "dunning"  # OUT/receivables/dunning/{D}/
DUNNING = _output(
    "dunning.csv",
    """customer_id level invoice_numbers overdue interest indemnity
    letter episode_start oldest_due_date days_past_due next_step_on""",
    key=("customer_id", "level"),
)
LATE_CHARGES = _output(
    "late_charges.csv",
    """customer_id invoice_number due_date paid_on days_late interest indemnity charged_in
    open_balance rate_basis disputed""",
    key=("invoice_number",),
)
DUNNING_SUSPEND = _output(
    "suspend.csv", "customer_id sip_account reason since", key=("sip_account",)
)
LETTERS_DIR = "letters"  # OUT/receivables/dunning/{D}/letters/{customer}-{level}.pdf

# --- accounting and VAT after payment (R87-R89): provider.toml, OUT/{SIREN}FEC..., OUT/tax/ ---

# provider.toml [accounts]: the accounts of the year's FEC besides revenue (pipeline.fiscal),
# set like the revenue accounts ("445740" or "445740 Its label"). R88 names vat_pending and
# vat_collected; the others are the plan comptable général's usual accounts. docs/fiscal.md.
FISCAL_ACCOUNTS: dict[str, tuple[str, str]] = {
    "customers": ("411000", "Clients"),
    "bank": ("512000", "Banque"),
    "suspense": ("471000", "Compte d'attente"),
    "vat_collected": ("445710", "TVA collectée"),
    "vat_pending": ("445740", "TVA collectée en attente d'encaissement"),
    "return_fee": ("708800", "Frais de rejet refacturés"),
    "late_interest": ("763100", "Intérêts de retard"),
    "recovery_indemnity": ("758800", "Indemnités forfaitaires de recouvrement"),
}
# provider.toml: vat_on_debits = true when the provider opted for VAT on debits (art. 269-2-c
# CGI); default false: the VAT of services is due on receipt (R88)
VAT_ON_DEBITS = "vat_on_debits"
TAX_DIR = "tax"  # OUT/tax/{M}/ (R89)
CA3 = _output("ca3.csv", "box label base vat", key=("box", "label"))
DES = _output("des.csv", "customer_id vat_number amount_ht", key=("customer_id",))
