"""The destination model (R12) runs on equality hash joins only: no LIKE / nested-loop join,
no range join (IEJoin, piecewise merge join), no cross product. Checked on the physical plan
DuckDB chooses (EXPLAIN), so that a later edit cannot bring back a slow plan unnoticed."""

from __future__ import annotations

import re

from pipeline.core.db import connect, model_sql


def _plan(con, sql: str) -> str:
    return "\n".join(r[1] for r in con.execute("explain " + sql).fetchall())


def _operators(plan: str) -> list[str]:
    """Operator names of DuckDB's drawn plan: '╭─ Hash Join ─...'."""
    return re.findall(r"─ ([A-Z][A-Za-z ]+?) ─", plan)


def _joins(plan: str) -> list[str]:
    return [op for op in _operators(plan) if "Join" in op or "Product" in op]


def _con_with_inputs():
    con = connect()
    con.execute("create table ref_destinations (prefix varchar, zone varchar, description varchar)")
    con.execute(
        "insert into ref_destinations values ('33', 'FR', ''), ('336', 'FR_MOBILE', ''), "
        "('44', 'GB', ''), ('S112', 'FR_EMERGENCY', ''), ('S3', 'FR_SHORT', '')"
    )
    con.execute("create table rat_numbers (callee varchar, callee_e164 varchar)")
    con.execute(
        "insert into rat_numbers values ('0612345678', '33612345678'), "
        "('0145678910', '33145678910'), ('112', 'S112'), ('3949', 'S3949'), "
        "('+447911123456', '447911123456'), ('+999', '999'), ('abc', null)"
    )
    return con


def test_r12_destination_plan_has_hash_joins_only():
    con = _con_with_inputs()
    plan = _plan(con, model_sql("rating", "rat_destinations"))
    joins = _joins(plan)
    assert len(joins) >= 15, plan  # one per prefix length
    assert set(joins) == {"Hash Join"}, plan


def test_r12_destination_cascade_longest_prefix():
    con = _con_with_inputs()
    con.execute("create table rat_destinations as " + model_sql("rating", "rat_destinations"))
    got = dict(con.execute("select callee_e164, zone from rat_destinations").fetchall())
    assert got == {
        "33612345678": "FR_MOBILE",
        "33145678910": "FR",
        "S112": "FR_EMERGENCY",
        "S3949": "FR_SHORT",
        "447911123456": "GB",
    }


def test_r13_tariff_lookup_plan_has_no_range_join_on_calls():
    """The versions are spread over the month's days in rat_tariff_days (days x versions, about
    31 x 250 rows: the only non-equality join), and rat_tariffed joins the calls to it on
    (zone, day) equality: one hash join."""
    con = connect()
    con.execute(
        "create table ref_tariffs (zone varchar, valid_from date, price_per_min_eur decimal(18,4), "
        "connection_fee_eur decimal(18,4), min_billable_s bigint, increment_s bigint, "
        "in_unlimited_plan boolean)"
    )
    con.execute(
        "create table rat_calls (callee_e164 varchar, zone varchar, call_date date, "
        "chargeable boolean, callee varchar)"
    )
    con.execute("create table stg_cdrs (start_time timestamptz, reject_reason varchar)")
    con.execute("create table rat_call_days as " + model_sql("rating", "rat_call_days"))
    days = _joins(_plan(con, model_sql("rating", "rat_tariff_days")))
    assert len(days) == 1 and days != ["Hash Join"] and "Cross Product" not in days, days
    con.execute("create table rat_tariff_days as " + model_sql("rating", "rat_tariff_days"))
    plan = _plan(con, model_sql("rating", "rat_tariffed"))
    assert _joins(plan) == ["Hash Join"], plan


def test_r13_r15_calls_join_small_tables_by_equality_only():
    """The calls (millions) meet only small tables, by equality (hash joins), and are the probe
    side, never the side DuckDB builds a hash table on. Regression: when the (account, day) and
    (zone, day) tables were CTEs built by a range join in the same query as the calls, DuckDB
    overestimated them (183 million rows for 337,000 at 10M CDRs) and turned the left joins
    into RIGHT joins that hashed every call with all its columns: 26 s of the 10M benchmark
    (docs/performance.md). The range joins now build the tables rat_tariff_days and
    rat_plan_days first."""
    con = connect()
    con.execute(
        "create table ref_tariffs as select 'Z' || (i % 250) as zone, "
        "date '2026-01-01' + cast(i // 250 as integer) * 30 as valid_from, "
        "cast(0.05 as decimal(18,4)) as price_per_min_eur, "
        "cast(0 as decimal(18,4)) as connection_fee_eur, 1 as min_billable_s, "
        "1 as increment_s, false as in_unlimited_plan from range(1000) as t(i)"
    )
    con.execute(
        "create table ref_subscriptions as select 'S' || i as subscription_id, "
        "'A' || i as sip_account, 'P' as product_code, date '2025-01-01' as order_date, "
        "cast(null as date) as notice_date, ['INTL_X'] as included_intl_zones "
        "from range(20000) as t(i)"
    )
    con.execute("create table ref_products as select 'P' as product_code, true as unlimited")
    con.execute(
        "create table ref_devices as select 'D' || i as device_id, 'C' || (i % 5000) as "
        "customer_id, true as supplied_by_provider from range(30000) as t(i)"
    )
    con.execute(
        "create table rat_fair_use as select 'A' || i as sip_account, false as "
        "breach_distinct_numbers, false as breach_concurrent_calls, false as breach_devices "
        "from range(20000) as t(i)"
    )
    con.execute(
        "create table stg_cdrs as select timestamptz '2026-10-01 00:00:00+02' + "
        "to_seconds(i % 2678400) as start_time, cast(null as varchar) as reject_reason "
        "from range(100000) as t(i)"
    )
    con.execute(
        "create table rat_tariffed as select 'c' || i as cdr_id, 'A' || (i % 20000) as "
        "sip_account, 'C' || (i % 5000) as customer_id, 'D' || (i % 30000) as device_id, "
        "'Z' || (i % 250) as zone, cast(start_time as date) as call_date, "
        "true as in_unlimited_plan, cast(0.05 as decimal(18,4)) as price_per_min_eur, "
        "cast(0 as decimal(18,4)) as connection_fee_eur, true as chargeable, "
        "false as telecom_professional, cast(null as varchar) as reject_reason "
        "from (select start_time, row_number() over () as i from stg_cdrs) as s"
    )
    for model in ("rat_call_days", "rat_tariff_days", "rat_plan_days"):
        con.execute(f"create table {model} as " + model_sql("rating", model))
    plan = "\n".join(
        r[1] for r in con.execute("explain " + model_sql("rating", "rat_priced")).fetchall()
    )
    joins = _joins(plan)
    assert set(joins) == {"Hash Join"} and len(joins) >= 4, plan
    assert "RIGHT" not in plan, plan
