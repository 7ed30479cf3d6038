"""One day's rated calls for the fraud watch (R26): the calls of the day's month started up to
the end of the day, rated by the bill's own SQL models (pipeline.rating.models.rate_month,
with `until`: the month to date, as if its files stopped at the end of the day), of which the
day's are returned. No second rating; nothing is written but the run's scratch folder."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa

from pipeline.core.dates import PARIS, Month
from pipeline.core.db import connect
from pipeline.core.progress import stage
from pipeline.inputs.reference import Reference, register
from pipeline.rating.models import rate_month
from pipeline.watch.rules import DAY_CALLS


def day_range(day: date) -> tuple[datetime, datetime]:
    """The instants of `day`, Europe/Paris: [midnight, next midnight), in UTC (R1: a day of a
    DST change lasts 23 or 25 hours)."""
    start = datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)
    return start, end


def rate_day(
    ref: Reference,
    data: Path,
    day: date,
    billed_id_files: list[tuple[str, Path]],
    scratch: Path,
) -> pa.Table:
    """The rated calls (DAY_CALLS) of `day`, rated with the month to date; `billed_id_files`
    the ledger's billed CDR ids before the month (R41 DUPLICATE), as the bill takes them."""
    start, end = day_range(day)
    con = connect()
    try:
        register(con, ref)
        rate_month(
            con,
            data,
            Month.of(day),
            billed_id_files,
            scratch=scratch,
            max_call_duration_s=ref.provider["max_call_duration_s"],
            until=end,
        )
        with stage("watch", "day's calls"):
            return con.sql(
                f"select {', '.join(DAY_CALLS)} from rated_calls "
                "where start_time >= ? and start_time < ? order by start_time, cdr_id",
                params=[start, end],
            ).to_arrow_table()
    finally:
        con.close()
