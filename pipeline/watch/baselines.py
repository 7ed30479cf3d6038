"""The accounts' history the fraud watch compares a day with (R26): per SIP account, the
charged amount and the most answered calls in progress at once over the baseline months.

The baseline months are the issued months before the watched month that have at least one
day in the `watch_baseline_days` (90) days ending on the watched day; each is read from its
own rated_calls.parquet as the ledger snapshot names it (the latest correction's when the
month was corrected: the month as last rated), read-only. The days are the days of those
months (docs/watch.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pipeline.core.dates import Month
from pipeline.core.db import connect, sql_literal
from pipeline.watch.rules import AccountBaseline, Baselines


def baseline_months(day: date, issued: Sequence[Month], days: int) -> list[Month]:
    """The issued months before `day`'s month with a day in the `days` days ending on `day`."""
    first = day - timedelta(days=days - 1)
    month = Month.of(day)
    return [m for m in issued if m < month and m.last_day >= first]


def read_baselines(files: Sequence[tuple[Month, Path]]) -> Baselines:
    """The baselines of the accounts from each baseline month's rated calls file."""
    if not files:
        return Baselines()
    con = connect()
    try:
        charged: dict[str, Decimal] = {}
        highest: dict[str, int] = {}
        for _, path in files:
            con.execute(
                "create or replace view month_calls as select sip_account, amount, "
                f"start_time, duration_s from read_parquet({sql_literal(str(path))})"
            )
            for account, amount, peak in con.execute(BASELINE_SQL).fetchall():
                charged[account] = charged.get(account, Decimal(0)) + amount
                highest[account] = max(highest.get(account, 0), peak)
    finally:
        con.close()
    return Baselines(
        months=tuple(str(m) for m, _ in files),
        days=sum((m.last_day - m.first_day).days + 1 for m, _ in files),
        accounts={a: AccountBaseline(charged[a], highest[a]) for a in sorted(charged)},
    )


# per account: the month's charged amount and R22's sweep (answered calls of any direction,
# [start, start + duration), ends before starts at the same instant)
BASELINE_SQL = """
with events as (
    select sip_account, start_time as moment, 1 as delta
    from month_calls where duration_s > 0
    union all
    select sip_account, start_time + to_seconds(duration_s), -1
    from month_calls where duration_s > 0
),

running as (
    select
        sip_account,
        sum(delta) over (
            partition by sip_account order by moment, delta
            rows between unbounded preceding and current row
        ) as in_progress
    from events
),

peaks as (
    select sip_account, max(in_progress) as peak from running group by sip_account
),

amounts as (
    select sip_account, sum(amount) as charged from month_calls group by sip_account
)

select a.sip_account, a.charged, coalesce(p.peak, 0)
from amounts as a
left join peaks as p on a.sip_account = p.sip_account
"""
