"""The destination model (R12) runs on equality hash joins only: no LIKE / nested-loop join,
no range join (IEJoin, piecewise merge join), no cross product. Checked on the physical plan
DuckDB chooses (EXPLAIN), so that a later edit cannot bring back a slow plan unnoticed."""

from __future__ import annotations

import re

from pipeline.db import connect, model_sql


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
    """rat_tariffed spreads the versions over the month's days (small) and joins the calls on
    (zone, day) equality: the only non-equality join is between days and versions."""
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
    plan = _plan(con, model_sql("rating", "rat_tariffed"))
    joins = _joins(plan)
    # calls x (zone, day): hash join; days x versions (about 31 x 250 rows): the only other
    assert joins.count("Hash Join") == 1 and len(joins) == 2, plan
    assert "Cross Product" not in joins, plan
