"""Issue 7: every expectation of every suite is broken by some data, and then the gate stops
the run: inputs with InputError (exit 2), outputs with ProblemFound (exit 1), each failing
expectation named in the message.

The faults are injected after loading (SQL on the DuckDB tables, changes to the documents):
the loader's own row checks (R42) would stop most of them earlier, and the point here is the
declarative layer. Fast tests call the gates on one suite; the end-to-end matrix (marked slow)
runs `billing bill` for each case and checks that nothing under OUT changed.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.errors import InputError, ProblemFound
from pipeline.validation import gates as validation
from tests.conftest import Workspace, rate
from tests.test_validation import MONTH, FaultyGates, calls, snapshot

# messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
pytestmark = pytest.mark.usefixtures("english")

PREVIOUS = "2026-09"
FILE = f"cdrs/{MONTH}/cdrs.csv"


def ins(table: str, **values: Any) -> str:
    """INSERT BY NAME of one row; values are test literals written as SQL."""
    cols = ", ".join(f"{_lit(v)} as {k}" for k, v in values.items())
    return f"insert into {table} by name select {cols}"


def twice(table: str, **values: Any) -> list[str]:
    """The same row inserted twice, at source rows 91 and 92."""
    return [ins(table, **values, source_row=row) for row in (91, 92)]


def _lit(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def to_varchar(table: str, column: str) -> str:
    return f"alter table {table} alter {column} type varchar"


# --- input cases: (suite, case, SQL statements, checks that must fail) ----------------------


@dataclass(frozen=True)
class InputCase:
    suite: str
    name: str
    sql: tuple[str, ...]
    fails: frozenset[str]

    @property
    def id(self) -> str:
        return f"{self.suite}-{self.name}"


def case(suite: str, name: str, sql: list[str], fails: str) -> InputCase:
    return InputCase(f"inputs.{suite}", name, tuple(sql), frozenset(fails.split()))


# each reference table loses (or renames) one of its columns: its suite's `columns` check fails
COLUMN_CHANGES = {
    "customers": "alter table ref_customers drop column address",
    "sip_accounts": "alter table ref_sip_accounts rename customer_id to owner",
    "subscriptions": "alter table ref_subscriptions drop column notice_date",
    "rentals": "alter table ref_rentals drop column serial",
    "rma": "alter table ref_rma drop column defective_returned_on",
    "equipment_sales": "alter table ref_equipment_sales drop column delivered_on",
    "devices": "alter table ref_devices drop column kind",
    "incidents": "alter table ref_incidents drop column cause",
    "sla_claims": "alter table ref_sla_claims drop column received_on",
    "destinations": "alter table ref_destinations drop column description",
    "tariffs": "alter table ref_tariffs drop column increment_s",
    "products": "alter table ref_products drop column description",
    "equipment": "alter table ref_equipment drop column description",
}

# a rental given twice in the rentals case, with other values each time
RENTAL_R1 = dict(rental_id="R1", customer_id="C1", equipment_model="PHONE_B", commitment_months=0)

INPUT_CASES = (
    *(case(suite, "columns", [sql], "columns") for suite, sql in COLUMN_CHANGES.items()),
    case(
        "customers",
        "rows",
        [
            to_varchar("ref_customers", "telecom_professional"),
            to_varchar("ref_customers", "sla_eligible"),
            ins(
                "ref_customers",
                customer_id=None,
                name=None,
                country="fr",
                telecom_professional="yes",
                sla_eligible="maybe",
                siren="12345",
                source_row=90,
            ),
            ins("ref_customers", customer_id="C1", name="Again", country=None, source_row=91),
        ],
        "customer_id.not_null customer_id.unique name.not_null country.iso2 country.not_null "
        "telecom_professional.in_set telecom_professional.not_null sla_eligible.in_set "
        "sla_eligible.not_null siren.format",
    ),
    case(
        "sip_accounts",
        "rows",
        [
            ins("ref_sip_accounts", sip_account=None, customer_id="C404", source_row=90),
            ins("ref_sip_accounts", sip_account="sip-1", customer_id=None, source_row=91),
        ],
        "sip_account.not_null sip_account.unique customer_id.not_null customer_id.known",
    ),
    case(
        "subscriptions",
        "rows",
        [
            ins(
                "ref_subscriptions",
                subscription_id=None,
                customer_id="C404",
                product_code="NOPE",
                monthly_price_eur=None,
                order_date=None,
                commitment_months=-1,
                sip_account="sip-2",
                included_intl_zones=["MARS"],
                source_row=90,
            ),
            ins(
                "ref_subscriptions",
                subscription_id="S1",
                customer_id="C1",
                product_code="PLAN_UNLIMITED",
                monthly_price_eur=Decimal("-1.00"),
                order_date="2026-05-01",
                commitment_months=12,
                notice_date="2026-01-01",
                source_row=91,
            ),
        ],
        "subscription_id.not_null subscription_id.unique customer_id.known product_code.known "
        "monthly_price_e4.not_null monthly_price_e4.min order_date.not_null commitment_months.min "
        "notice_date.not_before_order_date account_of_customer intl_zones_known",
    ),
    case(
        "rentals",
        "rows",
        [
            ins(
                "ref_rentals",
                rental_id=None,
                customer_id="C404",
                equipment_model="NOPE",
                monthly_fee_eur=Decimal("-1.00"),
                start_date=None,
                commitment_months=-1,
                return_condition="lost",
                source_row=90,
            ),
            ins(
                "ref_rentals",
                **RENTAL_R1,
                monthly_fee_eur=None,
                start_date="2026-05-01",
                notice_date="2026-01-01",
                returned_on="2026-01-02",
                source_row=91,
            ),
            ins(
                "ref_rentals",
                **RENTAL_R1,
                monthly_fee_eur=Decimal("5.00"),
                start_date="2026-01-01",
                source_row=92,
            ),
        ],
        "rental_id.not_null rental_id.unique customer_id.known equipment_model.known "
        "monthly_fee_e4.min monthly_fee_e4.not_null start_date.not_null commitment_months.min "
        "return_condition.in_set notice_date.not_before_start_date returned_on.not_before_start_date",
    ),
    case(
        "rma",
        "rows",
        [
            ins("ref_rma", rma_id=None, rental_id="R404", shipped_on=None, source_row=90),
            ins(
                "ref_rma",
                rma_id="M1",
                rental_id=None,
                shipped_on="2026-05-01",
                defective_returned_on="2026-04-01",
                source_row=91,
            ),
            ins("ref_rma", rma_id="M1", rental_id=None, shipped_on="2026-05-01", source_row=92),
        ],
        "rma_id.not_null rma_id.unique rental_id.known shipped_on.not_null "
        "defective_returned_on.not_before_shipped_on",
    ),
    case(
        "equipment_sales",
        "rows",
        [
            ins(
                "ref_equipment_sales",
                sale_id=None,
                customer_id="C404",
                equipment_model=None,
                quantity=0,
                unit_price_eur=Decimal("-1.00"),
                delivered_on=None,
                source_row=90,
            ),
            *twice(
                "ref_equipment_sales",
                sale_id="X1",
                customer_id="C1",
                equipment_model="PHONE_B",
                quantity=1,
                unit_price_eur=Decimal("1.00"),
                delivered_on="2026-10-01",
            ),
        ],
        "sale_id.not_null sale_id.unique customer_id.known equipment_model.not_null quantity.min "
        "unit_price_e4.min delivered_on.not_null",
    ),
    case(
        "devices",
        "rows",
        [
            to_varchar("ref_devices", "supplied_by_provider"),
            ins(
                "ref_devices",
                device_id=None,
                customer_id="C404",
                supplied_by_provider=None,
                source_row=90,
            ),
            ins(
                "ref_devices",
                device_id="D1",
                customer_id="C1",
                supplied_by_provider="yes",
                sip_account="sip-2",
                source_row=91,
            ),
        ],
        "device_id.not_null device_id.unique customer_id.known supplied_by_provider.in_set "
        "supplied_by_provider.not_null account_of_customer",
    ),
    case(
        "incidents",
        "rows",
        [
            to_varchar("ref_incidents", "excusable"),
            ins(
                "ref_incidents",
                incident_id=None,
                start_time=None,
                end_time=None,
                excusable=None,
                customer_id="C404",
                source_row=90,
            ),
            ins(
                "ref_incidents",
                incident_id="I1",
                start_time="2026-10-02 10:00:00+00",
                end_time="2026-10-01 10:00:00+00",
                excusable="maybe",
                source_row=91,
            ),
            ins(
                "ref_incidents",
                incident_id="I1",
                start_time="2026-10-01 10:00:00+00",
                end_time="2026-10-01 11:00:00+00",
                excusable="false",
                source_row=92,
            ),
        ],
        "incident_id.not_null incident_id.unique start_time.not_null end_time.not_null "
        "end_time.not_before_start_time excusable.in_set excusable.not_null customer_id.known",
    ),
    case(
        "sla_claims",
        "rows",
        [
            ins(
                "ref_sla_claims",
                customer_id="C404",
                service_month="2026-13",
                received_on=None,
                source_row=90,
            ),
            ins(
                "ref_sla_claims",
                customer_id=None,
                service_month="2026-09",
                received_on="2026-10-05",
                source_row=91,
            ),
        ],
        "customer_id.known customer_id.not_null service_month.format received_on.not_null",
    ),
    case(
        "destinations",
        "rows",
        [
            ins("ref_destinations", prefix=None, zone="MARS", source_row=90),
            ins("ref_destinations", prefix="331", zone="FR_FIXED", source_row=91),
            ins("ref_destinations", prefix="+33", zone="FR_FIXED", source_row=92),
        ],
        "prefix.not_null prefix.unique prefix.format zone.known",
    ),
    case(
        "tariffs",
        "rows",
        [
            to_varchar("ref_tariffs", "in_unlimited_plan"),
            ins(
                "ref_tariffs",
                zone=None,
                valid_from=None,
                price_per_min_eur=Decimal("-0.01"),
                connection_fee_eur=Decimal("-0.01"),
                min_billable_s=-1,
                increment_s=0,
                in_unlimited_plan=None,
                source_row=90,
            ),
            ins(
                "ref_tariffs",
                zone="FR_FIXED",
                valid_from="2025-01-01",
                price_per_min_eur=Decimal("0.02"),
                connection_fee_eur=Decimal("0"),
                min_billable_s=0,
                increment_s=1,
                in_unlimited_plan="maybe",
                source_row=91,
            ),
        ],
        "zone.not_null valid_from.not_null zone_valid_from.unique price_per_min_e4.min "
        "connection_fee_e4.min min_billable_s.min increment_s.min in_unlimited_plan.in_set "
        "in_unlimited_plan.not_null",
    ),
    case(
        "products",
        "rows",
        [
            to_varchar("ref_products", "unlimited"),
            ins(
                "ref_products",
                product_code=None,
                kind="bundle",
                unlimited=None,
                list_price_eur=Decimal("-1.00"),
                source_row=90,
            ),
            ins(
                "ref_products", product_code="OPT_IVR", kind=None, unlimited="maybe", source_row=91
            ),
        ],
        "product_code.not_null product_code.unique kind.in_set kind.not_null unlimited.in_set "
        "unlimited.not_null list_price_e4.min",
    ),
    case(
        "equipment",
        "rows",
        [
            ins(
                "ref_equipment",
                equipment_model=None,
                valid_from="2024-01-01",
                sale_price_eur=Decimal("-1.00"),
                source_row=90,
            ),
            ins(
                "ref_equipment",
                equipment_model="PHONE_A",
                valid_from="2024-01-01",
                valid_to="2024-06-30",
                sale_price_eur=None,
                source_row=91,
            ),
            ins(
                "ref_equipment",
                equipment_model="PHONE_C",
                valid_from="2026-01-01",
                valid_to="2025-01-01",
                sale_price_eur=Decimal("1.00"),
                source_row=92,
            ),
            ins(
                "ref_equipment",
                equipment_model="PHONE_B",
                valid_from="2026-06-01",
                sale_price_eur=Decimal("1.00"),
                source_row=93,
            ),
        ],
        "equipment_model.not_null model_valid_from.unique sale_price_e4.min sale_price_e4.not_null "
        "valid_to.not_before_valid_from after_previous_version",
    ),
    case(
        "types",
        "changed",
        [
            f"alter table {table} alter {column} type varchar"
            if column not in ("customer_id", "sip_account", "prefix", "zone", "cdr_id")
            else f"alter table {table} rename {column} to {column}_renamed"
            for table, column in (
                ("ref_customers", "telecom_professional"),
                ("ref_sip_accounts", "sip_account"),
                ("ref_subscriptions", "order_date"),
                ("ref_rentals", "start_date"),
                ("ref_rma", "shipped_on"),
                ("ref_equipment_sales", "quantity"),
                ("ref_devices", "supplied_by_provider"),
                ("ref_incidents", "excusable"),
                ("ref_sla_claims", "received_on"),
                ("ref_destinations", "prefix"),
                ("ref_tariffs", "increment_s"),
                ("ref_products", "unlimited"),
                ("ref_equipment", "sale_price_eur"),
                ("stg_cdrs", "duration_s"),
            )
        ],
        " ".join(
            f"types.{t}"
            for t in (
                "ref_customers ref_sip_accounts ref_subscriptions ref_rentals ref_rma "
                "ref_equipment_sales ref_devices ref_incidents ref_sla_claims ref_destinations "
                "ref_tariffs ref_products ref_equipment stg_cdrs"
            ).split()
        ),
    ),
    case(
        "cdr_files",
        "rows",
        [
            "insert into stg_cdrs select * from stg_cdrs where cdr_id = 'c1'",
            "update stg_cdrs set cdr_id = null where cdr_id = 'c2'",
            "update stg_cdrs set duration_s = -5 where cdr_id = 'c3'",
            "update stg_cdrs set start_time = '2026-09-15 10:00:00+00' where cdr_id = 'c5'",
            "update stg_cdrs set start_time = '2026-11-15 10:00:00+00' where cdr_id = 'c4'",
            ins("stg_cdrs", source_file=FILE, row_number=99, raw=None, reject_reason="MALFORMED"),
        ],
        "rows.unique cdr_id.not_null cdr_id.unique duration_s.min start_time.in_month.first "
        "start_time.in_month.last rejects.keep_raw",
    ),
    case(
        "cdr_values",
        "rows",
        [
            "update stg_cdrs set direction = 'sideways' where cdr_id = 'c1'",
            "update stg_cdrs set sip_account = 'sip-404' where cdr_id = 'c2'",
        ],
        "direction.in_set sip_account.known",
    ),
    case(
        "cdr_rejects",
        "rows",
        [
            "update rejects set reason = 'LOST' where cdr_id = 'c4'",
            ins("rejects", source_file=None, row_number=None, cdr_id="x", reason=None, raw="x"),
        ],
        "reason.in_set reason.not_null without_place.none",
    ),
    case(
        "registrations",
        "rows",
        [
            "update stg_registrations set sip_account = null where row_number = 1",
            "update stg_registrations set device_id = null where row_number = 2",
            "update stg_registrations set expires_at = registered_at - interval 1 hour "
            "where row_number = 3",
        ],
        "sip_account.not_null device_id.not_null interval.ordered",
    ),
)


def registrations(ws: Workspace) -> None:
    ws.registrations(
        MONTH,
        [
            ["sip-1", "D1", f"{MONTH}-01T00:00:00+02:00", f"{MONTH}-02T00:00:00+02:00"],
            ["sip-1", "D9", f"{MONTH}-01T00:00:00+02:00", f"{MONTH}-02T00:00:00+02:00"],
            ["sip-2", "D1", f"{MONTH}-03T00:00:00+02:00", f"{MONTH}-04T00:00:00+02:00"],
        ],
    )


# --- output cases: changes to the documents and SQL on the rated tables ---------------------


@dataclass
class Docs:
    """What an output case may change before the output gate runs."""

    invoices: list[Any]
    credit_notes: list[Any] = field(default_factory=list)
    reconciliation: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class OutputCase:
    suite: str
    name: str
    change: Callable[[Docs], None] | None
    sql: tuple[str, ...]
    fails: frozenset[str]
    end_to_end: bool = True  # False: run.py itself stops such a run earlier

    @property
    def id(self) -> str:
        return f"{self.suite}-{self.name}"


def _copy(doc: Any, **changes: Any) -> Any:
    return dataclasses.replace(copy.deepcopy(doc), **changes)


def _c1(docs: Docs) -> Any:
    return next(i for i in docs.invoices if i.customer_id == "C1")


def _c2(docs: Docs) -> Any:
    return next(i for i in docs.invoices if i.customer_id == "C2")


def break_invoices(docs: Docs) -> None:
    c1, c2 = _c1(docs), _c2(docs)
    zero_lines = [dict(line, amount_ht=Decimal("0.00")) for line in copy.deepcopy(c1.lines)]
    docs.invoices += [
        _copy(c1, invoice_number=None),
        _copy(c1),  # same number, same customer
        _copy(
            c1,
            invoice_number="X-1",
            customer_id="C404",
            period="2026-09",
            invoice_date=c1.invoice_date.replace(day=2),
            due_date=c1.due_date.replace(day=5),
            total_ht=c1.total_ht + 1,
            total_vat=c1.total_vat + 1,
            total_ttc=c1.total_ttc + 5,
        ),
        _copy(c1, invoice_number="F2026-000098", customer_id="C98", total_ht=Decimal("1.005")),
        _copy(
            c1,
            invoice_number="F2026-000097",
            customer_id="C97",
            total_ht=Decimal("-5.00"),
            total_vat=Decimal("-1.00"),
            total_ttc=Decimal("-6.00"),
            lines=[],
        ),
        _copy(
            c2,
            invoice_number="F2026-000096",
            customer_id="C96",
            vat_rate=Decimal("0.055"),
            vat_mention="",
        ),
        _copy(c2, invoice_number="F2026-000095", customer_id="C95", vat_mention=""),
        _copy(c1, invoice_number="F2026-000094", customer_id="C94", lines=zero_lines),
    ]


def break_lines(docs: Docs) -> None:
    c1 = _c1(docs)
    base = c1.lines[0]
    c1.lines += [
        dict(base, invoice_number="F2099-000001", line_no=90),
        dict(base, invoice_number=None, line_no=91),
        dict(base),  # same invoice_number and line_no
        dict(base, line_no=92, customer_id="C2"),
        dict(base, line_no=93, kind="bonus"),
        dict(base, line_no=94, amount_ht=Decimal("1.234")),
        dict(base, line_no=95, amount_ht=Decimal("-1.00")),
        dict(base, line_no=96, billable_seconds=-5, quantity=-1),
    ]


def break_usage(docs: Docs) -> None:
    line = next(ln for inv in docs.invoices for ln in inv.lines if ln["kind"] == "usage")
    line["amount_ht"] += Decimal("0.01")


def break_numbering(docs: Docs) -> None:
    c1, c2 = _c1(docs), _c2(docs)
    c1.invoice_number, c2.invoice_number = c2.invoice_number, c1.invoice_number
    for inv in (c1, c2):
        for line in inv.lines:
            line["invoice_number"] = inv.invoice_number
    docs.invoices += [
        _copy(c1, customer_id="C98"),  # a number used twice
        _copy(c1, invoice_number="BAD", customer_id="C97"),
        _copy(c1, invoice_number="F2026-000009", customer_id="C96"),  # a gap
        _copy(c1, invoice_number="F2025-000001", customer_id="C95"),  # not the document's year
    ]


def break_credit_notes(docs: Docs) -> None:
    from pipeline.billing.month_documents import CreditNote

    # the invoices of PREVIOUS, issued in the ledger: F2026-000001 (C1), F2026-000002 (C2)
    def note(number: str, **changes: Any) -> CreditNote:
        values = dict(
            credit_note_number=number,
            customer_id="C1",
            credit_note_date=_c1(docs).invoice_date,
            original_invoice_number="F2026-000001",
            original_invoice_date=_c1(docs).invoice_date,
            service_month=PREVIOUS,
            availability_pct=Decimal("99.0000"),
            credit_pct=Decimal("10"),
            amount_ht=Decimal("1.00"),
            amount_vat=Decimal("0.20"),
            amount_ttc=Decimal("1.20"),
            vat_rate=Decimal("0.20"),
            vat_mention="",
        )
        values.update(changes)
        return CreditNote(**values)

    docs.credit_notes[:] = [
        note("AV2026-000001"),
        note("AV2026-000001"),
        note("AV-1"),
        note("AV2026-000003", original_invoice_number="F2026-999999"),
        note("AV2026-000004", customer_id="C2"),
        note("AV2026-000005", service_month="2026-08"),
        note("AV2026-000006", credit_note_date=_c1(docs).invoice_date.replace(day=2)),
        note(
            "AV2026-000007",
            amount_ht=Decimal("-1.00"),
            amount_vat=Decimal("-0.20"),
            amount_ttc=Decimal("-1.20"),
        ),
        note(
            "AV2026-000008",
            amount_ht=Decimal("5000.00"),
            amount_vat=Decimal("1000.00"),
            amount_ttc=Decimal("6000.00"),
        ),
        note("AV2026-000009", amount_vat=Decimal("0.21"), amount_ttc=Decimal("1.25")),
        note("AV2026-000010", amount_ht=Decimal("1.001")),
    ]


def break_reported_reconciliation(docs: Docs) -> None:
    docs.reconciliation[:] = [dict(r, balanced=False) for r in docs.reconciliation]


RATED_COPY = "insert into rated_calls select * replace ({}) from rated_calls where cdr_id = 'c2'"


def ocase(
    suite: str, name: str, change: Any, sql: list[str], fails: str, end_to_end: bool = True
) -> OutputCase:
    return OutputCase(
        f"outputs.{suite}", name, change, tuple(sql), frozenset(fails.split()), end_to_end
    )


OUTPUT_CASES = (
    ocase(
        "invoices",
        "documents",
        break_invoices,
        [],
        "invoice_number.not_null invoice_number.unique invoice_number.format customer_id.unique "
        "customer_id.known period.in_set invoice_date.in_set due_date.in_set "
        "total_ht.sum_of_lines total_vat.r2 total_ttc.ht_plus_vat total_ht_c.not_null "
        "amounts_exact.in_set total_ht_c.min vat_rate_bp.in_set vat_mention.when_no_vat "
        "non_zero_lines.min",
    ),
    ocase(
        "invoice_lines",
        "lines",
        break_lines,
        [],
        "invoice_number.known invoice_number.not_null line.unique customer.of_invoice "
        "kind.in_set amount_ht_c.not_null amount_ht_c.min amount_exact.in_set "
        "billable_seconds.min quantity.min",
    ),
    ocase("usage_lines", "amount", break_usage, [], "amount.sum_of_calls"),
    ocase(
        "numbering",
        "numbers",
        break_numbering,
        [],
        "number.unique series.not_null sequence.gapless year.of_document invoices.customer_order",
    ),
    ocase(
        "credit_notes",
        "notes",
        break_credit_notes,
        [],
        "credit_note_number.unique credit_note_number.format original_invoice.issued "
        "original_invoice.same_customer original_invoice.service_month credit_note_date.in_set "
        "amount_ht_c.min amount_ht.not_above_invoice credited_ttc.not_above_invoice "
        "amount_vat.r2 amount_ttc.ht_plus_vat amounts_exact.in_set",
    ),
    ocase(
        "rated_calls",
        "calls",
        None,
        [
            RATED_COPY.format("'r1' as cdr_id, 'BOGUS' as reason"),
            RATED_COPY.format("'r2' as cdr_id, null as reason"),
            RATED_COPY.format("'r3' as cdr_id, 'MARS' as zone"),
            RATED_COPY.format("'r4' as cdr_id, 'sideways' as direction"),
            RATED_COPY.format("'r5' as cdr_id, 'NO_PLAN' as reason, -0.0100 as amount"),
            RATED_COPY.format("'r6' as cdr_id, 'NOT_CHARGEABLE' as reason, 0.0100 as amount"),
            RATED_COPY.format("'r7' as cdr_id, 'OUT_OF_PLAN' as reason, -60 as billable_seconds"),
            RATED_COPY.format(
                "'r8' as cdr_id, 'OUT_OF_PLAN' as reason, 30 as billable_seconds, "
                "61 as rated_seconds"
            ),
        ],
        "reason.in_set reason.not_null zone.known direction.in_set amount.not_negative "
        "amount.zero_when_not_charged min_billable_seconds.min billable.not_below_rated",
    ),
    ocase(
        "reconciliation",
        "lost_row",
        None,
        [
            # raw_cdrs is a view over raw_cdrs_lines (CSV records) and the parquet files
            "insert into raw_cdrs_lines by name select file_no, 99 as row_number, raw "
            "from raw_cdrs_lines where row_number = 1",
        ],
        "rows_read.accounted rows_read.one_place reported.rows_read",
    ),
    ocase(
        "reconciliation",
        "rated_twice",
        None,
        [
            "insert into rated_calls select * from rated_calls where cdr_id = 'c2'",
        ],
        "rows_read.accounted cdr_id.unique",
    ),
    ocase(
        "reconciliation",
        "reported",
        break_reported_reconciliation,
        [],
        "reported_balanced.in_set",
        end_to_end=False,
    ),
)


# --- fixtures --------------------------------------------------------------------------------


def workspace(root: Path) -> Workspace:
    ws = Workspace(root)
    calls(ws)
    calls(ws, PREVIOUS)
    registrations(ws)
    return ws


@pytest.fixture(scope="module")
def rated(tmp_path_factory) -> Any:
    """One rated month in DuckDB; each input case changes it inside a transaction."""
    ws = workspace(tmp_path_factory.mktemp("rated"))
    return rate(ws, MONTH)


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> tuple[Any, Any, Any]:
    """PREVIOUS issued (the ledger), then MONTH's documents as the output gate is handed them
    (compute_month without gates returns the very documents it would hand them), its ledger
    snapshot, and a connection holding MONTH rated with the same billed ids (the run's own
    connection is closed when the computation ends; the cases change this one)."""
    from pipeline.billing.month import MonthInputs, compute_month
    from pipeline.core.dates import Month
    from pipeline.inputs.reference import load_reference
    from pipeline.ledger.snapshot import read_snapshot
    from pipeline.rating.models import rate_folders

    ws = workspace(tmp_path_factory.mktemp("billed"))
    assert ws.bill(PREVIOUS).exit_code == 0
    month = Month.parse(MONTH)
    snapshot = read_snapshot(ws.out).before(month)
    inputs = MonthInputs(month, load_reference(ws.data, ws.rates), ws.data)
    documents = compute_month(inputs, snapshot, scratch=tmp_path_factory.mktemp("scratch"))
    con = rate_folders(month, ws.data, ws.rates, snapshot.billed_id_files())
    return documents, con, snapshot


@contextlib.contextmanager
def changed(con, sql: tuple[str, ...]):
    """`con` with a case's SQL statements applied, all rolled back afterwards."""
    con.execute("begin transaction")
    try:
        for statement in sql:
            con.execute(statement)
        yield con
    finally:
        con.execute("rollback")


def assert_named(output: str, c) -> None:
    """Every expectation the case breaks is named in `output`."""
    for check in c.fails:
        assert f"- {c.suite}:{check} [" in output


def assert_stopped(error, c, exit_code: int, stage: str, ending: str) -> None:
    """The gate's error: its exit code, at least the case's failures, and its message."""
    assert error.exit_code == exit_code
    failed = {e.check for e in error.report.failures}
    assert c.fails <= failed, f"not failing: {sorted(c.fails - failed)}"
    message = str(error)
    assert message.startswith(f"{stage} validation of {MONTH} failed")
    assert message.rstrip().endswith(ending)
    assert_named(message, c)


# --- the fast matrix: each suite alone, through its gate -------------------------------------


@pytest.mark.parametrize("c", INPUT_CASES, ids=lambda c: c.id)
def test_input_suite_stops_with_exit_2_naming_each_broken_expectation(rated, c):
    with changed(rated, c.sql) as con, pytest.raises(InputError) as caught:
        validation.validate_inputs(con, None, MONTH, only={c.suite})
    assert_stopped(caught.value, c, 2, "inputs", "nothing was issued")


@pytest.mark.parametrize("c", OUTPUT_CASES, ids=lambda c: c.id)
def test_output_suite_stops_with_exit_1_naming_each_broken_expectation(billed, c):
    billed_month, con, ledger = billed
    docs = Docs(
        copy.deepcopy(billed_month.invoices),
        copy.deepcopy(billed_month.credit_notes),
        copy.deepcopy(billed_month.reconciliation),
    )
    if c.change:
        c.change(docs)
    changed_month = dataclasses.replace(
        billed_month,
        invoices=docs.invoices,
        credit_notes=docs.credit_notes,
        reconciliation=docs.reconciliation,
    )
    with changed(con, c.sql), pytest.raises(ProblemFound) as caught:
        validation.validate_outputs(changed_month, con, ledger, MONTH, only={c.suite})
    assert_stopped(caught.value, c, 1, "outputs", "nothing was published")


def test_every_expectation_is_broken_by_some_case():
    from pipeline.validation.expectations.inputs import input_suites
    from pipeline.validation.expectations.outputs import output_suites

    covered = {(c.suite, f) for c in (*INPUT_CASES, *OUTPUT_CASES) for f in c.fails}
    every = {(s.name, c.id) for s in (*input_suites(), *output_suites()) for c in s.checks}
    assert every - covered == set()
    assert covered - every == set()


def test_suite_ids_are_unique():
    from pipeline.validation.expectations.inputs import input_suites
    from pipeline.validation.expectations.outputs import output_suites

    suites = (*input_suites(), *output_suites())
    assert len({s.name for s in suites}) == len(suites)
    for s in suites:
        assert len({c.id for c in s.checks}) == len(s.checks), s.name


# --- the end-to-end matrix: `billing bill` stops, nothing under OUT changes ------------------


def assert_run_stopped(ws: Workspace, before: dict[str, str], c, exit_code: int, stage: str):
    """`billing bill` of MONTH stops with `exit_code`, names the case's failures, and leaves
    OUT as it was `before`."""
    result = ws.bill(MONTH)
    assert result.exit_code == exit_code, result.output
    assert f"{stage} validation of {MONTH} failed" in result.output
    assert_named(result.output, c)
    assert snapshot(ws.out) == before
    assert not (ws.out / MONTH).exists()


def _issue_previous(ws: Workspace) -> dict[str, str]:
    assert ws.bill(PREVIOUS, gates=validation.GATES).exit_code == 0
    return snapshot(ws.out)


@pytest.mark.slow
@pytest.mark.parametrize("c", INPUT_CASES, ids=lambda c: c.id)
def test_end_to_end_input_failure_exit_2_and_out_unchanged(tmp_path, c):
    ws = workspace(tmp_path)
    before = _issue_previous(ws)
    gates = ws.gates = FaultyGates()
    gates.input_sql = list(c.sql)
    assert_run_stopped(ws, before, c, 2, "inputs")


@pytest.mark.slow
@pytest.mark.parametrize("c", [c for c in OUTPUT_CASES if c.end_to_end], ids=lambda c: c.id)
def test_end_to_end_output_failure_exit_1_and_out_unchanged(tmp_path, c):
    ws = workspace(tmp_path)
    before = _issue_previous(ws)
    gates = ws.gates = FaultyGates()
    gates.input_sql = list(c.sql)
    if c.change is not None:
        docs_holder: dict[str, Docs] = {}

        def change_invoices(invoices: list[Any]) -> None:
            docs = Docs(invoices)
            docs_holder["docs"] = docs
            if c.change is not break_credit_notes:
                c.change(docs)

        gates.invoices = change_invoices
        if c.change is break_credit_notes:
            notes_docs = Docs([])

            class LateNotes(list):
                """Built when the run asks for credit notes, after the invoices exist."""

                def __iter__(self):
                    notes_docs.invoices = docs_holder["docs"].invoices
                    break_credit_notes(notes_docs)
                    return iter(notes_docs.credit_notes)

            gates.credit_notes = LateNotes()
    assert_run_stopped(ws, before, c, 1, "outputs")
