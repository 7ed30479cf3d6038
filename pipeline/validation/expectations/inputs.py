"""Input suites: every input of the data contract, over the tables loaded in DuckDB.

Reference data (customers, contracts, rate book...) is small: each table is validated whole.
Its rows were already parsed and checked one by one when loaded (R42, pipeline/inputs/reference.py):
these suites are the declarative, reported statement of the same contract, run on what was
actually loaded. Usage (CDRs, registrations) can be millions of rows: it is validated through
aggregates computed in DuckDB (one row per file, per distinct value), never row by row in
pandas. CDR rows that break the contract are rejects (R40-R41), not failures: the CDR suites
check what was *accepted* for rating, and that every reject is accounted for.

Money is compared as exact integers of ten-thousandths of a euro (`*_e4`), never as floats.
Value sets ($PARAMETER) are computed from the loaded tables when the suite runs.
"""

from __future__ import annotations

from typing import Any

import great_expectations.expectations as gxe
import pandas as pd

from pipeline.core import data_contract as contract
from pipeline.rating.reasons import R41_ORDER
from pipeline.validation.expectations import Check, Suite, count_distinct_integers, sql_frame

R41_REASONS = list(R41_ORDER)
BOOLEAN = [True, False]


def _p(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def columns(file: contract.FileContract) -> Check:
    return Check(
        "columns",
        gxe.ExpectTableColumnsToMatchSet(column_set=list(file.names), exact_match=False),
        "data contract",
        f"{file.name} has the columns of the data contract",
    )


def not_null(column: str, rule: str = "data contract", why: str = "") -> Check:
    return Check(
        f"{column}.not_null",
        gxe.ExpectColumnValuesToNotBeNull(column=column),
        rule,
        why or f"{column} is never empty",
    )


def unique(column: str, rule: str = "data contract", why: str = "") -> Check:
    return Check(
        f"{column}.unique",
        gxe.ExpectColumnValuesToBeUnique(column=column),
        rule,
        why or f"{column} identifies one row",
    )


def in_set(column: str, values: Any, rule: str, why: str, check_id: str | None = None) -> Check:
    return Check(
        check_id or f"{column}.in_set",
        gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values),
        rule,
        why,
    )


def at_least(column: str, minimum: int, rule: str, why: str) -> Check:
    return Check(
        f"{column}.min",
        gxe.ExpectColumnValuesToBeBetween(column=column, min_value=minimum),
        rule,
        why,
    )


def not_before(later: str, earlier: str, rule: str = "R42") -> Check:
    return Check(
        f"{later}.not_before_{earlier}",
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        rule,
        f"{later} is not before {earlier}",
    )


def known(column: str, parameter: str, what: str, rule: str = "R42") -> Check:
    return in_set(column, _p(parameter), rule, f"{column} is a known {what}", f"{column}.known")


def always(column: str, rule: str, why: str) -> Check:
    """A computed boolean (a reference checked by a join in DuckDB) is true on every row."""
    return in_set(column, [True], rule, why, f"{column}")


def _value_sets(ctx: Any) -> dict[str, Any]:
    def ids(sql: str) -> list[Any]:
        return [r[0] for r in ctx.con.execute(sql).fetchall()]

    return {
        "customer_ids": ids("select customer_id from ref_customers where customer_id is not null"),
        "sip_accounts": ids(
            "select sip_account from ref_sip_accounts where sip_account is not null"
        ),
        "product_codes": ids(
            "select product_code from ref_products where product_code is not null"
        ),
        "equipment_models": ids(
            "select distinct equipment_model from ref_equipment where equipment_model is not null"
        ),
        "rental_ids": ids("select rental_id from ref_rentals where rental_id is not null"),
        "zones": ids("select distinct zone from ref_tariffs where zone is not null"),
        "month_start_epoch": ctx.month_start_epoch,
        "month_end_epoch": ctx.month_end_epoch,
    }


def _e4(column: str) -> str:
    """Exact integer of ten-thousandths of a euro: DECIMAL(18,4) * 10000 cast to BIGINT."""
    name = column.split(".")[-1].removesuffix("_eur")
    return f"cast({column} * 10000 as bigint) as {name}_e4"


# Reference tables keep their file's row number in `source_row` (pipeline.inputs.reference.to_arrow).
REFERENCE_SUITES: tuple[tuple[str, str, str, tuple[str, ...], tuple[Check, ...]], ...] = (
    (
        "customers",
        "customers.csv",
        "select * from ref_customers",
        ("source_row", "customer_id"),
        (
            columns(contract.CUSTOMERS),
            not_null("customer_id", "R42"),
            unique("customer_id", "R42"),
            not_null("name", "R42"),
            Check(
                "country.iso2",
                gxe.ExpectColumnValuesToMatchRegex(column="country", regex=r"^[A-Z]{2}$"),
                "R62",
                "country is an ISO 3166 alpha-2 code (it decides the VAT treatment)",
            ),
            not_null("country", "R62"),
            in_set("telecom_professional", BOOLEAN, "R16", "telecom_professional is true or false"),
            not_null("telecom_professional", "R16"),
            in_set("sla_eligible", BOOLEAN, "R52", "sla_eligible is true or false"),
            not_null("sla_eligible", "R52"),
            Check(
                "siren.format",
                gxe.ExpectColumnValuesToMatchRegex(column="siren", regex=r"^\d{9}$"),
                "R42",
                "siren, when given, is 9 digits",
            ),
        ),
    ),
    (
        "sip_accounts",
        "sip_accounts.csv",
        "select * from ref_sip_accounts",
        ("source_row", "sip_account"),
        (
            columns(contract.SIP_ACCOUNTS),
            not_null("sip_account", "R42"),
            unique("sip_account", "R42"),
            not_null("customer_id", "R42"),
            known("customer_id", "customer_ids", "customer (customers.csv)"),
        ),
    ),
    (
        "subscriptions",
        "subscriptions.csv",
        f"""
        select s.*, {_e4("s.monthly_price_eur")},
            case when s.sip_account is not null then a.customer_id is not distinct from s.customer_id
            end as account_of_customer,
            (select count(*) from unnest(coalesce(s.included_intl_zones, [])) as z(zone)
             where z.zone not in (select zone from ref_tariffs)) = 0 as intl_zones_known
        from ref_subscriptions as s
        left join ref_sip_accounts as a on s.sip_account = a.sip_account
        """,
        ("source_row", "subscription_id"),
        (
            columns(contract.SUBSCRIPTIONS),
            not_null("subscription_id", "R42"),
            unique("subscription_id", "R42"),
            known("customer_id", "customer_ids", "customer (customers.csv)"),
            known("product_code", "product_codes", "product (products.csv)"),
            not_null("monthly_price_e4", "R42"),
            at_least("monthly_price_e4", 0, "R42", "monthly_price_eur is not negative"),
            not_null("order_date", "R4"),
            at_least("commitment_months", 0, "R30", "commitment_months is 0 or more"),
            not_before("notice_date", "order_date", "R31"),
            always(
                "account_of_customer",
                "R42",
                "sip_account, when given, is an account of the same customer",
            ),
            always("intl_zones_known", "R15", "included_intl_zones are zones of tariffs.csv"),
        ),
    ),
    (
        "rentals",
        "rentals.csv",
        f"select *, {_e4('monthly_fee_eur')} from ref_rentals",
        ("source_row", "rental_id"),
        (
            columns(contract.RENTALS),
            not_null("rental_id", "R42"),
            unique("rental_id", "R42"),
            known("customer_id", "customer_ids", "customer (customers.csv)"),
            known("equipment_model", "equipment_models", "equipment model (equipment.csv)"),
            at_least("monthly_fee_e4", 0, "R42", "monthly_fee_eur is not negative"),
            not_null("monthly_fee_e4", "R42"),
            not_null("start_date", "R4"),
            at_least("commitment_months", 0, "R30", "commitment_months is 0 or more"),
            in_set(
                "return_condition",
                ["good", "damaged"],
                "R34",
                "return_condition, when given, is good or damaged",
            ),
            not_before("notice_date", "start_date", "R33"),
            not_before("returned_on", "start_date", "R34"),
        ),
    ),
    (
        "rma",
        "rma.csv",
        "select * from ref_rma",
        ("source_row", "rma_id"),
        (
            columns(contract.RMA),
            not_null("rma_id", "R42"),
            unique("rma_id", "R42"),
            known("rental_id", "rental_ids", "rental (rentals.csv)"),
            not_null("shipped_on", "R34"),
            not_before("defective_returned_on", "shipped_on", "R34"),
        ),
    ),
    (
        "equipment_sales",
        "equipment_sales.csv",
        f"select *, {_e4('unit_price_eur')} from ref_equipment_sales",
        ("source_row", "sale_id"),
        (
            columns(contract.EQUIPMENT_SALES),
            not_null("sale_id", "R42"),
            unique("sale_id", "R42"),
            known("customer_id", "customer_ids", "customer (customers.csv)"),
            not_null("equipment_model", "R35"),
            at_least("quantity", 1, "R35", "quantity is at least 1"),
            at_least("unit_price_e4", 0, "R35", "unit_price_eur is not negative"),
            not_null("delivered_on", "R35"),
        ),
    ),
    (
        "devices",
        "devices.csv",
        """
        select d.*,
            case when d.sip_account is not null then a.customer_id is not distinct from d.customer_id
            end as account_of_customer
        from ref_devices as d
        left join ref_sip_accounts as a on d.sip_account = a.sip_account
        """,
        ("source_row", "device_id"),
        (
            columns(contract.DEVICES),
            not_null("device_id", "R42"),
            unique("device_id", "R42"),
            known("customer_id", "customer_ids", "customer (customers.csv)"),
            in_set("supplied_by_provider", BOOLEAN, "R24", "supplied_by_provider is true or false"),
            not_null("supplied_by_provider", "R24"),
            always(
                "account_of_customer",
                "R42",
                "sip_account, when given, is an account of the device's customer",
            ),
        ),
    ),
    (
        "incidents",
        "incidents.csv",
        "select * from ref_incidents",
        ("source_row", "incident_id"),
        (
            columns(contract.INCIDENTS),
            not_null("incident_id", "R42"),
            unique("incident_id", "R42"),
            not_null("start_time", "R50"),
            not_null("end_time", "R50"),
            not_before("end_time", "start_time", "R50"),
            in_set("excusable", BOOLEAN, "R50", "excusable is true or false"),
            not_null("excusable", "R50"),
            known("customer_id", "customer_ids", "customer (customers.csv, empty: platform-wide)"),
        ),
    ),
    (
        "sla_claims",
        "sla_claims.csv",
        "select * from ref_sla_claims",
        ("source_row", "customer_id"),
        (
            columns(contract.SLA_CLAIMS),
            known("customer_id", "customer_ids", "customer (customers.csv)"),
            not_null("customer_id", "R52"),
            Check(
                "service_month.format",
                gxe.ExpectColumnValuesToMatchRegex(
                    column="service_month", regex=r"^\d{4}-(?:0[1-9]|1[0-2])$"
                ),
                "R52",
                "service_month is a month YYYY-MM",
            ),
            not_null("received_on", "R52"),
        ),
    ),
    (
        "destinations",
        "destinations.csv",
        "select * from ref_destinations",
        ("source_row", "prefix"),
        (
            columns(contract.DESTINATIONS),
            not_null("prefix", "R12"),
            unique("prefix", "R12"),
            Check(
                "prefix.format",
                gxe.ExpectColumnValuesToMatchRegex(column="prefix", regex=r"^S?\d{1,15}$"),
                "R11",
                "prefix is E.164 digits, or S + digits for French short numbers",
            ),
            known("zone", "zones", "zone with a tariff (tariffs.csv)", "R12"),
        ),
    ),
    (
        "tariffs",
        "tariffs.csv",
        f"""
        select *, {_e4("price_per_min_eur")}, {_e4("connection_fee_eur")}
        from ref_tariffs
        """,
        ("source_row", "zone", "valid_from"),
        (
            columns(contract.TARIFFS),
            not_null("zone", "R13"),
            not_null("valid_from", "R13"),
            Check(
                "zone_valid_from.unique",
                gxe.ExpectCompoundColumnsToBeUnique(column_list=["zone", "valid_from"]),
                "R13",
                "one tariff version per zone and valid_from (versions never overlap)",
            ),
            at_least("price_per_min_e4", 0, "R42", "price_per_min_eur is not negative"),
            at_least("connection_fee_e4", 0, "R42", "connection_fee_eur is not negative"),
            at_least("min_billable_s", 0, "R14", "min_billable_s is not negative"),
            at_least("increment_s", 1, "R14", "increment_s is at least 1 second"),
            in_set("in_unlimited_plan", BOOLEAN, "R15", "in_unlimited_plan is true or false"),
            not_null("in_unlimited_plan", "R15"),
        ),
    ),
    (
        "products",
        "products.csv",
        f"select *, {_e4('list_price_eur')} from ref_products",
        ("source_row", "product_code"),
        (
            columns(contract.PRODUCTS),
            not_null("product_code", "R42"),
            unique("product_code", "R42"),
            in_set("kind", ["plan", "option"], "data contract", "kind is plan or option"),
            not_null("kind"),
            in_set("unlimited", BOOLEAN, "R15", "unlimited is true or false"),
            not_null("unlimited", "R15"),
            at_least("list_price_e4", 0, "R42", "list_price_eur is not negative"),
        ),
    ),
    (
        "equipment",
        "equipment.csv",
        f"""
        select *, {_e4("sale_price_eur")},
            coalesce(
                lag(valid_to) over (partition by equipment_model order by valid_from) < valid_from,
                lag(valid_from) over (partition by equipment_model order by valid_from) is null
            ) as after_previous_version
        from ref_equipment
        """,
        ("source_row", "equipment_model", "valid_from"),
        (
            columns(contract.EQUIPMENT),
            not_null("equipment_model", "R34"),
            Check(
                "model_valid_from.unique",
                gxe.ExpectCompoundColumnsToBeUnique(column_list=["equipment_model", "valid_from"]),
                "R34",
                "one catalogue version per model and valid_from",
            ),
            at_least("sale_price_e4", 0, "R42", "sale_price_eur is not negative"),
            not_null("sale_price_e4", "R34"),
            not_before("valid_to", "valid_from", "R34"),
            always(
                "after_previous_version",
                "R34",
                "a model's catalogue versions do not overlap (one price per day)",
            ),
        ),
    ),
)

# Types of the loaded tables, as DuckDB names them: what the rating SQL relies on.
DECIMAL = "DECIMAL(18,4)"
EXPECTED_TYPES: dict[str, dict[str, str]] = {
    "ref_customers": {
        "customer_id": "VARCHAR",
        "country": "VARCHAR",
        "telecom_professional": "BOOLEAN",
        "sla_eligible": "BOOLEAN",
    },
    "ref_sip_accounts": {"sip_account": "VARCHAR", "customer_id": "VARCHAR"},
    "ref_subscriptions": {
        "monthly_price_eur": DECIMAL,
        "order_date": "DATE",
        "commitment_months": "BIGINT",
        "included_intl_zones": "VARCHAR[]",
        "notice_date": "DATE",
    },
    "ref_rentals": {
        "monthly_fee_eur": DECIMAL,
        "start_date": "DATE",
        "commitment_months": "BIGINT",
        "notice_date": "DATE",
        "returned_on": "DATE",
    },
    "ref_rma": {"shipped_on": "DATE", "defective_returned_on": "DATE"},
    "ref_equipment_sales": {
        "quantity": "BIGINT",
        "unit_price_eur": DECIMAL,
        "delivered_on": "DATE",
    },
    "ref_devices": {"supplied_by_provider": "BOOLEAN"},
    "ref_incidents": {
        "start_time": "TIMESTAMP WITH TIME ZONE",
        "end_time": "TIMESTAMP WITH TIME ZONE",
        "excusable": "BOOLEAN",
    },
    "ref_sla_claims": {"received_on": "DATE"},
    "ref_destinations": {"prefix": "VARCHAR", "zone": "VARCHAR"},
    "ref_tariffs": {
        "valid_from": "DATE",
        "price_per_min_eur": DECIMAL,
        "connection_fee_eur": DECIMAL,
        "min_billable_s": "BIGINT",
        "increment_s": "BIGINT",
        "in_unlimited_plan": "BOOLEAN",
    },
    "ref_products": {"unlimited": "BOOLEAN", "list_price_eur": DECIMAL},
    "ref_equipment": {"valid_from": "DATE", "valid_to": "DATE", "sale_price_eur": DECIMAL},
    "stg_cdrs": {
        "cdr_id": "VARCHAR",
        "start_time": "TIMESTAMP WITH TIME ZONE",
        "duration_s": "BIGINT",
    },
}


def _schema_suite() -> Suite:
    tables = sorted(EXPECTED_TYPES)
    checks = tuple(
        Check(
            f"types.{table}",
            gxe.ExpectColumnDistinctValuesToContainSet(
                column="typed_column",
                value_set=[f"{table}.{c} {t}" for c, t in sorted(EXPECTED_TYPES[table].items())],
            ),
            "data contract",
            f"{table} has these columns with these types",
        )
        for table in tables
    )
    in_list = ", ".join(f"'{t}'" for t in tables)  # our own constant table names
    return Suite(
        name="inputs.types",
        dataset="DuckDB catalogue: one row per column of the loaded tables",
        build=sql_frame(
            "select table_name || '.' || column_name || ' ' || data_type as typed_column "
            f"from duckdb_columns() where table_name in ({in_list}) "
            "order by table_name, column_index"
        ),
        checks=checks,
        key_columns=("typed_column",),
    )


ACCEPTED = "reject_reason is null"


def cdr_files_sql(distinct_rows: str, accepted_distinct_ids: str) -> str:
    """One row per file and one for all files; `distinct_rows` is the SQL that counts the
    distinct row numbers of a file, `accepted_distinct_ids` the number of distinct accepted
    cdr_ids of the month (both computed by cdr_files_frame)."""
    return f"""
with per_file as (
    select
        source_file,
        count(*) as rows_read,
        {distinct_rows} as distinct_rows,
        count(*) filter (where {ACCEPTED}) as accepted,
        count(cdr_id) filter (where {ACCEPTED}) as accepted_with_id,
        -- cdr_id uniqueness is counted once, over the month (the all-files row)
        cast(null as bigint) as accepted_distinct_ids,
        count(*) filter (where reject_reason is not null and raw is null) as rejects_without_raw,
        min(duration_s) filter (where {ACCEPTED}) as min_duration_s,
        min(cast(floor(epoch(start_time)) as bigint)) filter (where {ACCEPTED}) as min_start_epoch,
        max(cast(floor(epoch(start_time)) as bigint)) filter (where {ACCEPTED}) as max_start_epoch
    from stg_cdrs
    group by source_file
),

all_files as (
    -- the month: a cdr_id must not be accepted twice across files either
    select
        '(all files)' as source_file,
        cast(sum(rows_read) as bigint) as rows_read,
        cast(sum(distinct_rows) as bigint) as distinct_rows,
        cast(sum(accepted) as bigint) as accepted,
        cast(sum(accepted_with_id) as bigint) as accepted_with_id,
        cast({accepted_distinct_ids} as bigint) as accepted_distinct_ids,
        cast(sum(rejects_without_raw) as bigint) as rejects_without_raw,
        min(min_duration_s) as min_duration_s,
        min(min_start_epoch) as min_start_epoch,
        max(max_start_epoch) as max_start_epoch
    from per_file
)

select * from per_file
union all
select * from all_files
order by source_file
"""


def distinct_ids(ctx: Any, table: str, where: str = "true") -> int:
    """The exact number of distinct non-null cdr_ids of `table` (rows matching `where`).

    The 64-bit hashes are counted first (a hash table of integers, not of strings): when no two
    hashes are equal, no two cdr_ids are, and the count is the number of non-null cdr_ids.
    Only when some hashes are equal (a duplicate, or a hash collision) are the ids themselves
    counted."""
    with_id, hashes = ctx.con.execute(
        f"select count(cdr_id), count(distinct hash(cdr_id)) from {table} "
        f"where ({where}) and cdr_id is not null"
    ).fetchone()
    if hashes == with_id:
        return int(with_id)
    return int(
        ctx.con.execute(f"select count(distinct cdr_id) from {table} where {where}").fetchone()[0]
    )


def cdr_files_frame(ctx: Any) -> pd.DataFrame:
    """R40-R41 per CDR file, in three scans of stg_cdrs: the range of the row numbers, the
    distinct accepted cdr_ids of the month, then every count (row numbers through a bitmap)."""
    ranges = ctx.con.execute(
        "select source_file, min(row_number), max(row_number) from stg_cdrs group by source_file"
    ).fetchall()
    lows = [r[1] for r in ranges if r[1] is not None]
    highs = [r[2] for r in ranges if r[2] is not None]
    distinct_rows = count_distinct_integers(
        "row_number", min(lows, default=None), max(highs, default=None), len(ranges)
    )
    accepted_ids = distinct_ids(ctx, "stg_cdrs", ACCEPTED)
    return ctx.query(cdr_files_sql(distinct_rows, str(accepted_ids)))


def _cdr_suites() -> tuple[Suite, ...]:
    files = Suite(
        name="inputs.cdr_files",
        dataset="cdrs/YYYY-MM/*: one row per file (and one for all files), aggregated in DuckDB",
        build=cdr_files_frame,
        key_columns=("source_file",),
        parameters=_value_sets,
        checks=(
            Check(
                "rows.unique",
                gxe.ExpectColumnPairValuesToBeEqual(column_A="rows_read", column_B="distinct_rows"),
                "R40",
                "every record read has its own file and row number",
            ),
            Check(
                "cdr_id.not_null",
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="accepted", column_B="accepted_with_id"
                ),
                "R41",
                "every CDR accepted for rating has a cdr_id",
                samples_sql=f"select source_file, row_number, raw from stg_cdrs "
                f"where {ACCEPTED} and cdr_id is null order by 1, 2 limit 5",
            ),
            Check(
                "cdr_id.unique",
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="accepted",
                    column_B="accepted_distinct_ids",
                    ignore_row_if="either_value_is_missing",
                ),
                "R41",
                "no cdr_id is accepted twice in the month, within or across files",
                samples_sql=f"""
                select source_file, row_number, cdr_id, raw from stg_cdrs
                where {ACCEPTED} and cdr_id in (
                    select cdr_id from stg_cdrs where {ACCEPTED} group by cdr_id having count(*) > 1
                )
                order by cdr_id, source_file, row_number limit 5""",
            ),
            Check(
                "duration_s.min",
                gxe.ExpectColumnValuesToBeBetween(column="min_duration_s", min_value=0),
                "R41",
                "no accepted CDR has a negative duration",
                samples_sql=f"select source_file, row_number, duration_s, raw from stg_cdrs "
                f"where {ACCEPTED} and duration_s < 0 order by 1, 2 limit 5",
            ),
            Check(
                "start_time.in_month.first",
                gxe.ExpectColumnValuesToBeBetween(
                    column="min_start_epoch", min_value=_p("month_start_epoch")
                ),
                "R1",
                "no accepted CDR starts before the month (Europe/Paris)",
                samples_sql=f"select source_file, row_number, start_time, raw from stg_cdrs "
                f"where {ACCEPTED} and start_time < $month_start order by 1, 2 limit 5",
            ),
            Check(
                "start_time.in_month.last",
                gxe.ExpectColumnValuesToBeBetween(
                    column="max_start_epoch", max_value=_p("month_end_epoch"), strict_max=True
                ),
                "R1",
                "no accepted CDR starts on or after the end of the month (Europe/Paris)",
                samples_sql=f"select source_file, row_number, start_time, raw from stg_cdrs "
                f"where {ACCEPTED} and start_time >= $month_end order by 1, 2 limit 5",
            ),
            Check(
                "rejects.keep_raw",
                gxe.ExpectColumnValuesToBeBetween(column="rejects_without_raw", max_value=0),
                "R41",
                "every rejected row keeps its raw text",
            ),
        ),
    )
    values = Suite(
        name="inputs.cdr_values",
        dataset="accepted CDRs: one row per distinct (direction, sip_account), from DuckDB",
        build=sql_frame(f"""
            select direction, sip_account, count(*) as calls
            from stg_cdrs where {ACCEPTED}
            group by direction, sip_account order by direction, sip_account
        """),
        key_columns=("direction", "sip_account", "calls"),
        parameters=_value_sets,
        checks=(
            in_set(
                "direction", ["out", "in", "fwd"], "data contract", "direction is out, in or fwd"
            ),
            known("sip_account", "sip_accounts", "SIP account (sip_accounts.csv)", "R41"),
        ),
    )
    rejects = Suite(
        name="inputs.cdr_rejects",
        dataset="rejected CDRs: one row per reason, from DuckDB",
        build=sql_frame("""
            select reason, count(*) as rows,
                count(*) filter (where source_file is null or row_number is null) as without_place
            from rejects group by reason order by reason
        """),
        key_columns=("reason", "rows"),
        checks=(
            in_set("reason", R41_REASONS, "R41", "every reject has a reason of R41"),
            not_null("reason", "R41", "every reject has a reason"),
            Check(
                "without_place.none",
                gxe.ExpectColumnValuesToBeBetween(column="without_place", max_value=0),
                "R41",
                "every reject keeps its file and row number",
            ),
        ),
    )
    registrations = Suite(
        name="inputs.registrations",
        dataset="registrations/YYYY-MM/*: one row per file, aggregated in DuckDB",
        build=sql_frame("""
            select source_file, count(*) as rows,
                count(sip_account) as with_account, count(device_id) as with_device,
                count(*) filter (where expires_at < registered_at) as expire_before_registration
            from stg_registrations group by source_file order by source_file
        """),
        key_columns=("source_file",),
        checks=(
            Check(
                "sip_account.not_null",
                gxe.ExpectColumnPairValuesToBeEqual(column_A="rows", column_B="with_account"),
                "R23",
                "every registration names its SIP account",
            ),
            Check(
                "device_id.not_null",
                gxe.ExpectColumnPairValuesToBeEqual(column_A="rows", column_B="with_device"),
                "R23",
                "every registration names its device",
            ),
            Check(
                "interval.ordered",
                gxe.ExpectColumnValuesToBeBetween(column="expire_before_registration", max_value=0),
                "R23",
                "no registration expires before it starts",
            ),
        ),
    )
    return files, values, rejects, registrations


def input_suites() -> tuple[Suite, ...]:
    suites = [
        Suite(
            name=f"inputs.{name}",
            dataset=f"{file}: one row per record, as loaded (ref_{name})",
            build=sql_frame(sql),
            checks=checks,
            key_columns=keys,
            file_label=file,
            parameters=_value_sets,
        )
        for name, file, sql, keys, checks in REFERENCE_SUITES
    ]
    return (*suites, _schema_suite(), *_cdr_suites())
