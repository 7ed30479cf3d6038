"""The documents a run issues, as plain data shared by the computing and exporting modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from pipeline.core.dates import Month

if TYPE_CHECKING:
    from pipeline.billing.accounting import FecLine


@dataclass
class Invoice:
    invoice_number: str
    customer_id: str
    invoice_date: date
    due_date: date
    period: str
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    vat_rate: Decimal
    vat_mention: str
    lines: list[dict[str, Any]]
    # The mentions of a French B2B invoice (art. 242 nonies A annexe II CGI, L441-9 C. com.),
    # frozen on the invoice as they were when it was issued.
    period_start: date | None = None
    period_end: date | None = None
    operation_category: str = ""
    customer_name: str | None = None
    customer_siren: str | None = None
    customer_vat_number: str | None = None
    customer_address: str | None = None
    customer_country: str | None = None
    seller_name: str | None = None
    seller_siren: str | None = None
    seller_vat_number: str | None = None
    seller_address: str | None = None
    seller_rcs: str | None = None
    seller_share_capital_eur: str | None = None
    seller_iban: str | None = None
    late_penalty_rate: str | None = None
    recovery_indemnity_eur: Decimal | None = None
    early_payment_discount: str | None = None
    # a supplementary invoice (R66): the invoice of the corrected month it completes
    original_invoice_number: str = ""
    original_invoice_date: date | None = None
    corrected_month: str = ""
    # R81, a customer paying by SEPA direct debit (pipeline.billing.debit): the mandate (RUM,
    # BT-89), the creditor identifier (ICS, BT-90), the debited account (BT-91) and the debit
    # date; empty for a customer paying by transfer
    payment_method: str = ""
    mandate_id: str = ""
    creditor_id: str = ""
    debited_iban: str = ""
    debit_date: date | None = None


@dataclass
class CreditNote:
    credit_note_number: str
    customer_id: str
    credit_note_date: date
    original_invoice_number: str
    original_invoice_date: date
    service_month: str
    availability_pct: Decimal
    credit_pct: Decimal
    amount_ht: Decimal
    amount_vat: Decimal
    amount_ttc: Decimal
    vat_rate: Decimal
    vat_mention: str
    incident_ids: str = ""
    # R52 (pipeline/billing/sla.py): what the credit is based on
    excusable_incident_ids: str = ""
    downtime_minutes: Decimal | None = None
    minutes_in_month: int | None = None
    telephony_charges_ht: Decimal | None = None
    claim_received_on: date | None = None
    # a correction's credit note (R66): its lines (the differences negated) and the month
    corrected_month: str = ""
    lines: list[dict[str, Any]] = field(default_factory=list)
    # R81: "sepa_debit" when the customer pays by direct debit (deducted from the next debit)
    payment_method: str = ""


@dataclass
class MonthDocuments:
    """Everything the computation of one month gives (pipeline.billing.month), as plain data:
    what `bill` writes and publishes, `audit` compares and `correct` diffs. No live database
    connection: the rated calls are a parquet file of the run's scratch folder, the rejects
    and the fair-use report small Arrow tables."""

    month: Month
    invoices: list[Invoice]
    credit_notes: list[CreditNote] = field(default_factory=list)
    sla_rows: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    cdr_files: list[str] = field(default_factory=list)  # relative to the data folder
    reference: Any = None  # pipeline.inputs.reference.Reference: the inputs billed
    # rated_calls.parquet as the rating wrote it, in the run's scratch folder until it is
    # copied into the month (pipeline.rating.models.write_rated_calls_file)
    rated_calls_file: Path | None = None
    rated_calls: int = 0  # its rows
    rejects: pa.Table | None = None  # contract.REJECTS, by source_file and row_number
    fair_use: pa.Table | None = None  # contract.FAIR_USE, by sip_account
    # the rated calls by (zone, reason): calls, seconds, billable seconds, 4-decimal amount
    usage_summary: list[tuple[Any, ...]] = field(default_factory=list)
    fec_entries: list[FecLine] = field(default_factory=list)  # pipeline.billing.accounting
    validation: list[Any] = field(default_factory=list)  # the gates' reports, when run
    accepted_rejects: bool = False  # issued with --accept-rejects (max_rejected_pct passed)
    # R88: the FEC's account for the services' VAT due on receipt (None: all VAT on 445710)
    fec_vat_pending: tuple[str, str] | None = None

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [line for inv in self.invoices for line in inv.lines]

    @property
    def customer_names(self) -> dict[str, str]:
        return {c["customer_id"]: c["name"] for c in self.reference["ref_customers"].rows}
