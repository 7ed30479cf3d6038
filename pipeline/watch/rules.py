"""The five rules of the fraud watch (R26), as a function of one day's rated calls and the
accounts' baselines: `day_alerts`. Pure: it reads no file and writes none (the driver,
pipeline.run.watch_day, reads and writes); its SQL runs on the Arrow table it is handed, in
an in-memory DuckDB. Every decision where the rule is silent is in docs/watch.md.

The calls are the rated calls of the day (pipeline.watch.day.rate_day: the bill's own models,
the month to date), with the columns of DAY_CALLS; amounts are Decimal, never floats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.core.dates import PARIS
from pipeline.core.db import connect
from pipeline.core.money import fmt, round_line

# the columns of the day's rated calls the rules read (rated_calls, data contract)
DAY_CALLS = (
    "cdr_id",
    "customer_id",
    "sip_account",
    "direction",
    "callee_e164",
    "zone",
    "duration_s",
    "amount",
    "start_time",
)
CRITICAL, WARNING = "critical", "warning"
# the rules in the order alerts are listed for an account
RULES = (
    "HIGH_RISK_DESTINATION",
    "NUMBER_SWEEP",
    "SPEND_SPIKE",
    "NIGHT_INTERNATIONAL",
    "CONCURRENCY",
)
# the zones of the French numbering plan (+33 and short numbers) in the rate book: every
# other zone, the overseas departments' own country codes included, is international
FRENCH_ZONE_PREFIX = "FR_"


@dataclass(frozen=True)
class AccountBaseline:
    """An account's history over the baseline months (the issued months of the last 90
    days): its charged amount and the most calls it had in progress at once (R22's sweep)."""

    charged: Decimal
    max_concurrent: int


@dataclass(frozen=True)
class Baselines:
    """The issued months of the last `watch_baseline_days` days before the watched month, the
    number of days they hold, and each account that had calls in them."""

    months: tuple[str, ...] = ()
    days: int = 0
    accounts: Mapping[str, AccountBaseline] = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    sip_account: str
    customer_id: str
    rule: str
    severity: str
    value: str
    threshold: str
    first_cdr_id: str
    last_cdr_id: str
    first_start_time: datetime
    last_start_time: datetime
    detail: str

    @property
    def critical(self) -> bool:
        return self.severity == CRITICAL

    def row(self) -> dict[str, str]:
        """The row of alerts.csv (times in Europe/Paris, ISO 8601 with their offset)."""
        return {
            "sip_account": self.sip_account,
            "customer_id": self.customer_id,
            "rule": self.rule,
            "severity": self.severity,
            "value": self.value,
            "threshold": self.threshold,
            "first_cdr_id": self.first_cdr_id,
            "last_cdr_id": self.last_cdr_id,
            "first_start_time": local_time(self.first_start_time),
            "last_start_time": local_time(self.last_start_time),
            "detail": self.detail,
        }


def local_time(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat()


def day_alerts(
    calls: pa.Table,
    day: date,
    baselines: Baselines,
    high_risk: Sequence[tuple[str, str]],
    settings: Mapping[str, Any],
) -> list[Alert]:
    """The alerts of `day`: per SIP account and rule, in the order of account then RULES.
    `calls`: the day's rated calls (DAY_CALLS); `high_risk`: (prefix, label) of
    rates/high_risk_prefixes.csv; `settings`: provider.toml [watch]
    (pipeline.inputs.reference.read_watch_settings)."""
    con = connect()
    try:
        con.register("day_calls", calls.select(list(DAY_CALLS)))
        con.register(
            "high_risk",
            pa.table(
                {
                    "prefix": pa.array([p for p, _ in high_risk], pa.string()),
                    "label": pa.array([label for _, label in high_risk], pa.string()),
                }
            ),
        )
        alerts = [
            *_high_risk(con),
            *_sweeps(con, settings),
            *_spend(con, baselines, settings),
            *_night(con, settings),
            *_concurrency(con, baselines, settings),
        ]
    finally:
        con.close()
    order = {rule: i for i, rule in enumerate(RULES)}
    return sorted(alerts, key=lambda a: (a.sip_account, order[a.rule]))


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()


# calls the account placed (out, and the outgoing leg of a forward) and that were answered
PLACED_ANSWERED = "direction in ('out', 'fwd') and duration_s > 0"


def _high_risk(con: duckdb.DuckDBPyConnection) -> list[Alert]:
    """HIGH_RISK_DESTINATION (critical): an answered call to a prefix of the list (the
    longest prefix that starts the number names it)."""
    rows = _rows(
        con,
        f"""
        with matched as (
            select
                c.*,
                h.label,
                row_number() over (
                    partition by c.cdr_id order by length(h.prefix) desc
                ) as nth
            from day_calls as c
            inner join high_risk as h on starts_with(c.callee_e164, h.prefix)
            where {PLACED_ANSWERED}
        )
        select
            sip_account,
            min(customer_id),
            count(*),
            arg_min(cdr_id, row(start_time, cdr_id)),
            arg_max(cdr_id, row(start_time, cdr_id)),
            min(start_time),
            max(start_time),
            string_agg(distinct label, '; ' order by label),
            sum(duration_s)
        from matched
        where nth = 1
        group by sip_account
        """,
    )
    return [
        Alert(
            account,
            customer,
            "HIGH_RISK_DESTINATION",
            CRITICAL,
            str(count),
            "0",
            first,
            last,
            first_at,
            last_at,
            f"{count} appel(s) décroché(s), {seconds} s, vers : {labels}",
        )
        for account, customer, count, first, last, first_at, last_at, labels, seconds in rows
    ]


def _sweeps(con: duckdb.DuckDBPyConnection, settings: Mapping[str, Any]) -> list[Alert]:
    """NUMBER_SWEEP (critical): more than watch_sweep_numbers distinct numbers called (placed,
    answered or not) within a sliding window of watch_sweep_window_min minutes, sharing every
    digit but the last watch_sweep_last_digits. A window starts at a call and holds the calls
    started before its start + the window (half-open): the busiest window starts at a call."""
    limit, minutes = settings["watch_sweep_numbers"], settings["watch_sweep_window_min"]
    digits = settings["watch_sweep_last_digits"]
    rows = _rows(
        con,
        """
        with placed as (
            select
                sip_account,
                customer_id,
                cdr_id,
                callee_e164,
                start_time,
                left(callee_e164, length(callee_e164) - $digits) as stem
            from day_calls
            where
                direction in ('out', 'fwd')
                and regexp_full_match(callee_e164, '[0-9]+')
                and length(callee_e164) > $digits
        ),

        -- a stem with no more numbers than the limit over the whole day is no sweep
        wide_stems as (
            select sip_account, stem
            from placed
            group by sip_account, stem
            having count(distinct callee_e164) > $limit
        ),

        candidates as (
            select p.*
            from placed as p
            inner join wide_stems as w on p.sip_account = w.sip_account and p.stem = w.stem
        ),

        windows as (
            select
                a.sip_account,
                a.stem,
                a.cdr_id as first_cdr_id,
                a.start_time as first_start_time,
                min(a.customer_id) as customer_id,
                count(distinct b.callee_e164) as numbers,
                arg_max(b.cdr_id, row(b.start_time, b.cdr_id)) as last_cdr_id,
                max(b.start_time) as last_start_time
            from candidates as a
            inner join candidates as b
                on
                    a.sip_account = b.sip_account
                    and a.stem = b.stem
                    and (b.start_time > a.start_time or (b.start_time = a.start_time and b.cdr_id >= a.cdr_id))
                    and b.start_time < a.start_time + to_minutes(cast($minutes as bigint))
            group by a.sip_account, a.stem, a.cdr_id, a.start_time
        ),

        busiest as (
            select
                *,
                row_number() over (
                    partition by sip_account
                    order by numbers desc, first_start_time, first_cdr_id
                ) as nth
            from windows
            where numbers > $limit
        )

        select
            sip_account, customer_id, numbers, first_cdr_id, last_cdr_id, first_start_time,
            last_start_time, stem
        from busiest
        where nth = 1
        """,
        {"digits": digits, "limit": limit, "minutes": minutes},
    )
    return [
        Alert(
            account,
            customer,
            "NUMBER_SWEEP",
            CRITICAL,
            str(numbers),
            str(limit),
            first,
            last,
            first_at,
            last_at,
            f"{numbers} numéros distincts {stem}{'X' * digits} en moins de {minutes} min",
        )
        for account, customer, numbers, first, last, first_at, last_at, stem in rows
    ]


def _spend(
    con: duckdb.DuckDBPyConnection, baselines: Baselines, settings: Mapping[str, Any]
) -> list[Alert]:
    """SPEND_SPIKE: the day's charged amount above watch_spend_factor x the account's average
    charged amount per day over the baseline months (their charged amount / their days) and
    above watch_spend_floor_eur; critical above watch_spend_critical_factor x that average
    (and the floor). No history: an average of 0, the floor alone. Compared exactly:
    spend x days > factor x charged (no division, no rounding)."""
    factor, critical = settings["watch_spend_factor"], settings["watch_spend_critical_factor"]
    floor = settings["watch_spend_floor_eur"]
    rows = _rows(
        con,
        """
        select
            sip_account,
            min(customer_id),
            sum(amount),
            arg_min(cdr_id, row(start_time, cdr_id)) filter (where amount > 0),
            arg_max(cdr_id, row(start_time, cdr_id)) filter (where amount > 0),
            min(start_time) filter (where amount > 0),
            max(start_time) filter (where amount > 0),
            count(*) filter (where amount > 0)
        from day_calls
        group by sip_account
        having sum(amount) > cast($floor as decimal(18, 4))
        order by sip_account
        """,
        {"floor": str(floor)},
    )
    alerts = []
    for account, customer, spend, first, last, first_at, last_at, count in rows:
        history = baselines.accounts.get(account)
        charged = history.charged if history else Decimal(0)
        days = baselines.days if history else 1

        if not spend * days > factor * charged:
            continue
        severity = CRITICAL if spend * days > critical * charged else WARNING
        average = charged / days if days else Decimal(0)
        k = critical if severity == CRITICAL else factor
        threshold = max(round_line(k * average), round_line(floor))
        base = (
            f"moyenne {fmt(round_line(average))} EUR/jour sur {', '.join(baselines.months)}"
            if history
            else "aucun historique émis sur la période : le plancher seul"
        )
        alerts.append(
            Alert(
                account,
                customer,
                "SPEND_SPIKE",
                severity,
                fmt(spend),
                fmt(threshold),
                first,
                last,
                first_at,
                last_at,
                f"{fmt(spend)} EUR facturables sur {count} appel(s) ; {base}",
            )
        )
    return alerts


def _night(con: duckdb.DuckDBPyConnection, settings: Mapping[str, Any]) -> list[Alert]:
    """NIGHT_INTERNATIONAL: more than watch_night_calls answered calls to zones outside the
    French numbering plan started during the night of the day: from 00:00 to
    watch_night_end_hour and from watch_night_start_hour to 24:00, Europe/Paris (each call
    is watched once, on the day it started)."""
    limit = settings["watch_night_calls"]
    start, end = settings["watch_night_start_hour"], settings["watch_night_end_hour"]
    rows = _rows(
        con,
        f"""
        with night as (
            select *, hour(timezone('Europe/Paris', start_time)) as local_hour
            from day_calls
            where {PLACED_ANSWERED} and not starts_with(zone, $french)
        )
        select
            sip_account,
            min(customer_id),
            count(*),
            arg_min(cdr_id, row(start_time, cdr_id)),
            arg_max(cdr_id, row(start_time, cdr_id)),
            min(start_time),
            max(start_time),
            string_agg(distinct zone, ', ' order by zone)
        from night
        where
            case
                when $start > $end then local_hour >= $start or local_hour < $end
                else local_hour >= $start and local_hour < $end
            end
        group by sip_account
        having count(*) > $limit
        """,
        {"french": FRENCH_ZONE_PREFIX, "start": start, "end": end, "limit": limit},
    )
    return [
        Alert(
            account,
            customer,
            "NIGHT_INTERNATIONAL",
            WARNING,
            str(count),
            str(limit),
            first,
            last,
            first_at,
            last_at,
            f"{count} appels internationaux décrochés entre {start}h et {end}h ({zones})",
        )
        for account, customer, count, first, last, first_at, last_at, zones in rows
    ]


def _concurrency(
    con: duckdb.DuckDBPyConnection, baselines: Baselines, settings: Mapping[str, Any]
) -> list[Alert]:
    """CONCURRENCY: more answered calls in progress at once (any direction, a call occupies
    [start, start + duration), R22's sweep: ends before starts at the same instant) than
    watch_concurrent_calls and than the account's baseline maximum + watch_concurrent_margin.
    Calls started on the day only."""
    floor, margin = settings["watch_concurrent_calls"], settings["watch_concurrent_margin"]
    peaks = _rows(
        con,
        """
        with answered as (
            select * from day_calls where duration_s > 0
        ),

        events as (
            select sip_account, start_time as moment, 1 as delta, cdr_id from answered
            union all
            select sip_account, start_time + to_seconds(duration_s), -1, cdr_id from answered
        ),

        running as (
            select
                *,
                sum(delta) over (
                    partition by sip_account order by moment, delta, cdr_id
                    rows between unbounded preceding and current row
                ) as in_progress
            from events
        ),

        peak as (
            select
                sip_account,
                max(in_progress) as calls,
                arg_max(moment, row(in_progress, -epoch_us(moment))) as moment,
                arg_max(cdr_id, row(in_progress, -epoch_us(moment))) as last_cdr_id
            from running
            group by sip_account
            having max(in_progress) > $floor
        )

        select
            p.sip_account,
            min(a.customer_id),
            p.calls,
            arg_min(a.cdr_id, row(a.start_time, a.cdr_id)),
            p.last_cdr_id,
            min(a.start_time),
            p.moment
        from peak as p
        inner join answered as a
            on
                p.sip_account = a.sip_account
                and a.start_time <= p.moment
                and a.start_time + to_seconds(a.duration_s) > p.moment
        group by p.sip_account, p.calls, p.last_cdr_id, p.moment
        """,
        {"floor": floor},
    )
    alerts = []
    for account, customer, calls, first, last, first_at, at in peaks:
        history = baselines.accounts.get(account)
        own = history.max_concurrent if history else 0
        threshold = max(floor, own + margin)
        if calls <= threshold:
            continue
        base = (
            f"maximum {own} sur {', '.join(baselines.months)} + {margin}"
            if history
            else "aucun historique émis sur la période"
        )
        alerts.append(
            Alert(
                account,
                customer,
                "CONCURRENCY",
                WARNING,
                str(calls),
                str(threshold),
                first,
                last,
                first_at,
                at,
                f"{calls} appels simultanés à {local_time(at)} ; {base}",
            )
        )
    return alerts
