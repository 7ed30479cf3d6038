"""A seeded synthetic month of any size for the benchmark (`make bench`, bench/benchmark.py).

Vectorised: numpy draws the integers (accounts, contact-book entries, times, durations), DuckDB
turns them into text and writes the files in parallel. No Python loop per CDR, so 10M-30M rows
generate in seconds to a minute. The same seed and size give the same rows.

The month looks like a mid-size provider's (numbers scale with `rows`):

- thousands of customers (rows / 2,000, at least 20, at most 5,000), 1-5 SIP accounts each,
  plans (85 % unlimited, some with international zones, a few with notice), options, rentals;
- skewed traffic: lognormal weights per account, plus a few PBX-like accounts that carry 1.5 %
  of the calls each (150,000 calls each at 10M rows);
- 95 % of called numbers French, drawn from a per-account contact book (the front of the book
  is called more often), 5 % international, a few short numbers, a handful of invalid ones;
  several ways of writing a number (0X..., +33..., 0033..., with spaces);
- directions 65 % out, 28 % in, 7 % fwd (forwarded legs have no device); lognormal durations
  (median about 100 s), 3 % unanswered; business-hours start times;
- 1-4 devices per account, 2 % of calls from an unknown (third-party) device; daily SIP
  registrations per device;
- a few rejects of each kind: duplicates, negative durations, out of period, unknown accounts.

CDRs are written as one parquet file (typed `start_time` and `duration_s`, as a softswitch
exports them) and, on request, as one CSV file with the same rows (ISO 8601 text in UTC).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.core.dates import Month

DEFAULT_SEED = 20261126
PBX_SHARE = 0.015
# French national significant numbers: first digit 1-5 fixed, 6-7 mobile, 9 VoIP, 8 special
_FR_FIRST = np.array([1, 2, 3, 4, 5, 6, 7, 9, 8])
_FR_FIRST_P = np.array([0.2, 0.08, 0.08, 0.08, 0.08, 0.2, 0.17, 0.07, 0.04])
# (country code, national length, weight): destinations a French SME calls
_INTL = (
    (44, 10, 0.2),
    (49, 10, 0.14),
    (34, 9, 0.12),
    (39, 10, 0.1),
    (32, 9, 0.1),
    (41, 9, 0.08),
    (1, 10, 0.08),
    (212, 9, 0.06),
    (216, 8, 0.04),
    (213, 9, 0.04),
    (351, 9, 0.02),
    (31, 9, 0.02),
)
_SHORT = ("3949", "112", "118712", "15", "1023", "3631")
_MODELS = ("YEALINK_T54W", "YEALINK_W73P", "GIGASET_N670", "YEALINK_CP925", "ROUTER_4G")
_OPTIONS = (
    ("OPT_VOICEMAIL", "3.00"),
    ("OPT_IVR", "30.00"),
    ("OPT_CONFERENCE", "15.00"),
    ("OPT_HUNTGROUP", "10.00"),
    ("OPT_UC_SOFTPHONE", "6.00"),
)
PROVIDER_TOML = """# A fictitious provider for the benchmark (same identity as data_samples/).
name = "WITEQ Téléphonie SAS"
siren = "489035030"
vat_number = "FR84489035030"
address = "18 rue des Entrepreneurs, 75015 Paris, France"
rcs = "RCS Paris 489 035 030"
share_capital_eur = 50000
iban = "FR76 9999 9000 0105 6593 4628 091"
payment_terms_days = 30
late_penalty_rate = "3 fois le taux d'intérêt légal"
recovery_indemnity_eur = 40
early_payment_discount = "Pas d'escompte pour paiement anticipé."
"""


@dataclass
class SynthMonth:
    """What `generate` wrote."""

    data: Path  # the data folder with the parquet CDR file
    data_csv: Path | None  # the same month with the CDRs as CSV (reference files linked)
    month: str
    rows: int
    customers: int
    accounts: int
    devices: int
    registrations: int
    cdr_parquet: Path
    cdr_csv: Path | None


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a deterministic, well-spread hash of uint64 keys."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _sizes(rows: int) -> tuple[int, int]:
    customers = int(min(5000, max(20, rows // 2000)))
    pbx = int(min(12, max(1, rows // 1_000_000 + 2)))
    return customers, pbx


def _reference(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    folder: Path,
    customers: int,
    pbx: int,
    month: Month,
) -> dict[str, np.ndarray]:
    """Write the reference CSV files; return per-account arrays the CDRs need."""
    cust = np.arange(1, customers + 1)
    n_acc = np.clip(rng.poisson(1.6, customers) + 1, 1, 5)
    n_acc[:pbx] = 1  # the PBX-like customers: one trunk account each, many devices
    acc_cust = np.repeat(cust, n_acc)
    acc_no = np.concatenate([np.arange(1, k + 1) for k in n_acc]) if customers else np.array([])
    accounts = len(acc_cust)
    country = rng.choice(np.array(["FR", "BE", "CH"]), customers, p=[0.97, 0.02, 0.01])
    professional = rng.random(customers) < 0.03
    tables: dict[str, pa.Table] = {}
    tables["customers"] = pa.table(
        {
            "customer_id": [f"C{c:05d}" for c in cust],
            "name": [f"Client synthétique {c:05d}" for c in cust],
            "country": country,
            "telecom_professional": professional,
            "sla_eligible": rng.random(customers) < 0.3,
            "siren": pa.nulls(customers, pa.string()),
            "vat_number": pa.nulls(customers, pa.string()),
            "address": [f"{c % 180 + 1} rue du Commerce, 75015 Paris" for c in cust],
        }
    )
    account_ids = [f"sip-C{c:05d}-{n:02d}" for c, n in zip(acc_cust, acc_no, strict=True)]
    tables["sip_accounts"] = pa.table(
        {"sip_account": account_ids, "customer_id": [f"C{c:05d}" for c in acc_cust]}
    )
    # devices: 1-4 per account, the PBX trunks 8 (their phones register at once: R23)
    n_dev = np.clip(rng.poisson(0.6, accounts) + 1, 1, 4)
    n_dev[:pbx] = 8
    dev_first = np.concatenate([[0], np.cumsum(n_dev)[:-1]])
    dev_acc = np.repeat(np.arange(accounts), n_dev)
    devices = len(dev_acc)
    tables["devices"] = pa.table(
        {
            "device_id": [f"D{d + 1:07d}" for d in range(devices)],
            "customer_id": [f"C{acc_cust[a]:05d}" for a in dev_acc],
            "supplied_by_provider": rng.random(devices) < 0.95,
            "sip_account": [account_ids[a] for a in dev_acc],
            "kind": np.array(["desk_phone", "dect", "softphone"])[rng.integers(0, 3, devices)],
        }
    )
    # subscriptions: one plan per account, customer-level options
    first = month.first_day
    order_days = rng.integers(30, 1100, accounts)
    unlimited = rng.random(accounts) < 0.85
    intl = np.where(rng.random(accounts) < 0.05, "INTL_BE_FIXED;INTL_CH_FIXED", None)
    notice = np.where(rng.random(accounts) < 0.02, 1, 0)
    plan_rows = {
        "subscription_id": [f"S{i + 1:07d}" for i in range(accounts)],
        "customer_id": [f"C{c:05d}" for c in acc_cust],
        "product_code": np.where(unlimited, "PLAN_UNLIMITED", "PLAN_METERED"),
        "monthly_price_eur": np.where(unlimited, "25.00", "5.00"),
        "order_date": [first - timedelta(days=int(d)) for d in order_days],
        "commitment_months": rng.choice(np.array([0, 12, 24, 36]), accounts),
        "sip_account": account_ids,
        "included_intl_zones": intl,
        "notice_date": [first - timedelta(days=10) if n else None for n in notice],
    }
    n_opt = rng.poisson(0.8, customers)
    opt_cust = np.repeat(cust, n_opt)
    opt_kind = rng.integers(0, len(_OPTIONS), len(opt_cust))
    opt_days = rng.integers(30, 1100, len(opt_cust))
    option_rows = {
        "subscription_id": [f"O{i + 1:07d}" for i in range(len(opt_cust))],
        "customer_id": [f"C{c:05d}" for c in opt_cust],
        "product_code": [_OPTIONS[k][0] for k in opt_kind],
        "monthly_price_eur": [_OPTIONS[k][1] for k in opt_kind],
        "order_date": [first - timedelta(days=int(d)) for d in opt_days],
        "commitment_months": rng.choice(np.array([0, 12]), len(opt_cust)),
        "sip_account": [None] * len(opt_cust),
        "included_intl_zones": [None] * len(opt_cust),
        "notice_date": [None] * len(opt_cust),
    }
    schema = pa.schema(
        [
            ("subscription_id", pa.string()),
            ("customer_id", pa.string()),
            ("product_code", pa.string()),
            ("monthly_price_eur", pa.string()),
            ("order_date", pa.date32()),
            ("commitment_months", pa.int64()),
            ("sip_account", pa.string()),
            ("included_intl_zones", pa.string()),
            ("notice_date", pa.date32()),
        ]
    )
    tables["subscriptions"] = pa.concat_tables(
        [pa.table(plan_rows, schema=schema), pa.table(option_rows, schema=schema)]
    )
    n_rent = rng.poisson(1.0, customers)
    rent_cust = np.repeat(cust, n_rent)
    k = len(rent_cust)
    rent_days = rng.integers(40, 1000, k)
    ends = rng.random(k) < 0.01
    tables["rentals"] = pa.table(
        {
            "rental_id": [f"R{i + 1:07d}" for i in range(k)],
            "customer_id": [f"C{c:05d}" for c in rent_cust],
            "equipment_model": np.array(_MODELS)[rng.integers(0, len(_MODELS), k)],
            "monthly_fee_eur": rng.choice(np.array(["5.00", "8.00", "15.00"]), k),
            "start_date": [first - timedelta(days=int(d)) for d in rent_days],
            "commitment_months": rng.choice(np.array([0, 12, 24, 36]), k),
            "serial": [f"SN{i + 1:09d}" for i in range(k)],
            "notice_date": [first + timedelta(days=5) if e else None for e in ends],
            "returned_on": pa.nulls(k, pa.date32()),
            "return_condition": pa.nulls(k, pa.string()),
        }
    )
    tables["rma"] = pa.table(
        {
            "rma_id": pa.array([], pa.string()),
            "rental_id": pa.array([], pa.string()),
            "shipped_on": pa.array([], pa.date32()),
            "defective_returned_on": pa.array([], pa.date32()),
        }
    )
    tables["equipment_sales"] = pa.table(
        {
            "sale_id": ["V0000001"],
            "customer_id": ["C00001"],
            "equipment_model": ["GIGASET_N670"],
            "quantity": [2],
            "unit_price_eur": ["189.00"],
            "delivered_on": [first + timedelta(days=3)],
        }
    )
    start = datetime(first.year, first.month, 1, 2, 0)
    tables["incidents"] = pa.table(
        {
            "incident_id": ["INC-0001", "INC-0002"],
            "start_time": [f"{(start + timedelta(days=d)).isoformat()}+02:00" for d in (7, 14)],
            "end_time": [
                f"{(start + timedelta(days=d, minutes=50)).isoformat()}+02:00" for d in (7, 14)
            ],
            "excusable": [False, True],
            "customer_id": [None, None],
            "cause": ["Panne du cœur de réseau SIP", "Maintenance planifiée"],
        }
    )
    tables["sla_claims"] = pa.table(
        {
            "customer_id": ["C00002"],
            "service_month": [str(month.plus(-1))],
            "received_on": [first + timedelta(days=2)],
        }
    )
    for name, table in tables.items():
        con.register("_ref", table)
        con.execute(f"copy _ref to '{_lit(folder / (name + '.csv'))}' (header, delimiter ',')")
        con.unregister("_ref")
    (folder / "provider.toml").write_text(PROVIDER_TOML, encoding="utf-8")
    return {"acc_cust": acc_cust, "acc_no": acc_no, "dev_first": dev_first, "n_dev": n_dev}


def _lit(path: Path) -> str:
    return str(path).replace("'", "''")


def _cdr_ints(
    rng: np.random.Generator, rows: int, accounts: int, pbx: int, month: Month
) -> dict[str, np.ndarray]:
    """Every CDR as integers, in start-time order."""
    weights = rng.lognormal(0.0, 1.3, accounts)
    weights[:pbx] = 0
    weights = weights / weights.sum() * (1 - PBX_SHARE * pbx)
    weights[:pbx] = PBX_SHARE
    acct = rng.choice(accounts, rows, p=weights).astype(np.int32)
    days = (month.plus(1).first_day - month.first_day).days
    day = rng.integers(0, days, rows)
    # business hours: most calls between 08:00 and 19:00 Paris time, some in the evening
    hour = rng.choice(24, rows, p=_hour_weights())
    sod = hour * 3600 + rng.integers(0, 3600, rows)
    local = (datetime(month.year, month.month, 1) - datetime(1970, 1, 1)).total_seconds()
    offset = np.where(_dst(month, day), 7200, 3600)
    ts = (int(local) + day * 86400 + sod - offset).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    acct, ts = acct[order], ts[order]
    direction = rng.choice(3, rows, p=[0.65, 0.28, 0.07]).astype(np.int8)  # out, in, fwd
    duration = np.minimum(rng.lognormal(4.6, 1.1, rows), 4 * 3600).astype(np.int64) + 1
    duration[rng.random(rows) < 0.03] = 0
    # the called number: a contact-book entry of the account (the front is called more)
    book = np.clip((np.bincount(acct, minlength=accounts) / 25).astype(np.int64), 20, 400)
    book[:pbx] = 3000
    entry = (book[acct] * rng.random(rows) ** 2).astype(np.uint64)
    key = _mix(acct.astype(np.uint64) * np.uint64(1_000_003) + entry)
    kind = np.where((key % np.uint64(1000)) < 950, 0, 1).astype(np.int8)  # 0 FR, 1 intl
    u = rng.random(rows)
    kind[u < 0.003] = 2  # short number
    kind[u > 0.9998] = 3  # invalid
    return {
        "acct": acct,
        "ts": ts,
        "direction": direction,
        "duration": duration,
        "key": key.view(np.int64),
        "kind": kind,
        "fmt": rng.integers(0, 20, rows).astype(np.int8),
        "dev": rng.random(rows),
        "third": (rng.random(rows) < 0.02),
        "reject": rng.random(rows),
    }


def _hour_weights() -> np.ndarray:
    w = np.array(
        [1, 1, 1, 1, 1, 2, 4, 10, 40, 70, 80, 75, 45, 50, 75, 80, 75, 60, 35, 15, 8, 5, 3, 2],
        dtype=float,
    )
    return w / w.sum()


def _dst(month: Month, day: np.ndarray) -> np.ndarray:
    """True when the local day is in summer time (EU rule: last Sundays of March and October)."""

    def last_sunday(m: int) -> int:
        d = date(month.year, m, 31)
        return (d - timedelta(days=(d.weekday() + 1) % 7)).day - 1

    if 3 < month.month < 10:
        return np.ones(len(day), dtype=bool)
    if month.month == 3:
        return day >= last_sunday(3)
    if month.month == 10:
        return day < last_sunday(10)
    return np.zeros(len(day), dtype=bool)


_INTL_CC = np.array([c for c, _, _ in _INTL], dtype=np.int64)
_INTL_LEN = np.array([n for _, n, _ in _INTL], dtype=np.int64)
_INTL_CUM = np.cumsum([w for _, _, w in _INTL]) / sum(w for _, _, w in _INTL)

# integers -> text, in SQL (parallel); the column order of the data contract
_CDR_SQL = """
with numbered as (
    select
        *,
        row_number() over () as seq
    from _ints
),

books as (
    select
        *,
        (key >> 1) % 100000000 as subscriber,
        cast(key % 1000 as integer) as mill
    from numbered
),

numbers as (
    select
        *,
        case
            when kind = 0 then
                case
                    when fmt < 15 then '0' || fr_first || lpad(cast(subscriber as varchar), 8, '0')
                    when fmt < 17 then '+33' || fr_first || lpad(cast(subscriber as varchar), 8, '0')
                    when fmt < 19 then '0033' || fr_first || lpad(cast(subscriber as varchar), 8, '0')
                    else '0' || fr_first || ' ' || substr(lpad(cast(subscriber as varchar), 8, '0'), 1, 2)
                        || ' ' || substr(lpad(cast(subscriber as varchar), 8, '0'), 3, 2)
                        || ' ' || substr(lpad(cast(subscriber as varchar), 8, '0'), 5, 2)
                        || ' ' || substr(lpad(cast(subscriber as varchar), 8, '0'), 7, 2)
                end
            when kind = 1 then
                (case when fmt < 14 then '+' else '00' end) || cast(intl_cc as varchar)
                || right(lpad(cast(key % 10000000000 as varchar), 10, '0'), cast(intl_len as integer))
            when kind = 2 then short_number
            else 'anonymous'
        end as external_number,
        '+331' || lpad(cast(8400000 + acct as varchar), 8, '0') as did
    from books
),

sent as (
    -- a few rows sent again by a second switch (0.05 %): duplicates, at the end of the file
    select * from numbers
    union all
    select * from numbers
    where reject between 0.0004 and 0.0009
),

final as (
    select
        'CDR' || lpad(cast(seq as varchar), 10, '0') as cdr_id,
        case
            when reject < 0.0001 then 'sip-UNKNOWN-' || cast(acct as varchar)
            else 'sip-C' || lpad(cast(cust as varchar), 5, '0') || '-' || lpad(cast(acc_no as varchar), 2, '0')
        end as sip_account,
        case direction when 0 then 'out' when 1 then 'in' else 'fwd' end as direction,
        case when direction = 1 then external_number else did end as caller,
        case when direction = 1 then did else external_number end as callee,
        to_timestamp(ts + case when reject between 0.0001 and 0.0003 then 40 * 86400 else 0 end) as start_time,
        case when reject between 0.0003 and 0.0004 then -duration else duration end as duration_s,
        case
            when direction = 2 then null
            when third then 'X' || lpad(cast(acct as varchar), 7, '0')
            else 'D' || lpad(cast(dev_no as varchar), 7, '0')
        end as device_id
    from sent
)

select * from final
"""


def generate(
    folder: Path,
    rows: int,
    seed: int = DEFAULT_SEED,
    month: str = "2026-10",
    csv: bool = True,
    threads: int | None = None,
) -> SynthMonth:
    """Write a data folder for `month` under `folder` (replaced), CDRs as parquet and, if `csv`,
    a sibling folder `<folder>_csv` with the CDRs as CSV and the same reference files."""
    m = Month.parse(month)
    rng = np.random.default_rng(seed)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    if threads:
        con.execute("set threads = ?", [threads])
    customers, pbx = _sizes(rows)
    acc = _reference(con, rng, folder, customers, pbx, m)
    accounts = len(acc["acc_cust"])
    ints = _cdr_ints(rng, rows, accounts, pbx, m)
    a = ints["acct"]
    key = ints["key"].view(np.uint64)
    pick = np.searchsorted(_INTL_CUM, (key >> np.uint64(40)).astype(np.float64) / 2.0**24)
    pick = np.minimum(pick, len(_INTL) - 1)
    fr_first = _FR_FIRST[
        np.searchsorted(
            np.cumsum(_FR_FIRST_P), ((key >> np.uint64(12)) % np.uint64(10000)) / 10000.0
        ).clip(0, len(_FR_FIRST) - 1)
    ]
    dev_no = acc["dev_first"][a] + (ints["dev"] * acc["n_dev"][a]).astype(np.int64) + 1
    table = pa.table(
        {
            "acct": a,
            "cust": acc["acc_cust"][a],
            "acc_no": acc["acc_no"][a],
            "ts": ints["ts"],
            "direction": ints["direction"],
            "duration": ints["duration"],
            "key": ints["key"] & np.int64(0x7FFFFFFFFFFFFFFF),
            "kind": ints["kind"],
            "fmt": ints["fmt"],
            "fr_first": fr_first.astype(np.int8),
            "intl_cc": _INTL_CC[pick],
            "intl_len": _INTL_LEN[pick],
            "short_number": np.array(_SHORT)[(key % np.uint64(len(_SHORT))).astype(np.int64)],
            "dev_no": dev_no,
            "third": ints["third"],
            "reject": ints["reject"],
        }
    )
    del ints
    con.register("_ints", table)
    con.execute(f"create table cdrs as {_CDR_SQL}")
    con.unregister("_ints")
    del table
    cdr_dir = folder / "cdrs" / month
    cdr_dir.mkdir(parents=True)
    parquet = cdr_dir / f"cdr_{month}_01_softswitch.parquet"
    con.execute(
        f"copy cdrs to '{_lit(parquet)}' (format parquet, compression zstd, row_group_size 1000000)"
    )
    registrations = _registrations(con, rng, folder, m, acc, month)
    csv_folder = csv_file = None
    if csv:
        csv_folder = folder.with_name(folder.name + "_csv")
        if csv_folder.exists():
            shutil.rmtree(csv_folder)
        csv_folder.mkdir(parents=True)
        for item in folder.iterdir():
            if item.is_file():
                shutil.copyfile(item, csv_folder / item.name)
        shutil.copytree(folder / "registrations", csv_folder / "registrations")
        (csv_folder / "cdrs" / month).mkdir(parents=True)
        csv_file = csv_folder / "cdrs" / month / f"cdr_{month}_01_softswitch.csv"
        con.execute(
            "copy (select cdr_id, sip_account, direction, caller, callee, "
            "strftime(start_time, '%Y-%m-%dT%H:%M:%SZ') as start_time, duration_s, device_id "
            f"from cdrs) to '{_lit(csv_file)}' (header, delimiter ',', quote '')"
        )
    total = con.execute("select count(*) from cdrs").fetchone()[0]
    con.close()
    return SynthMonth(
        folder,
        csv_folder,
        month,
        total,
        customers,
        accounts,
        int(acc["n_dev"].sum()),
        registrations,
        parquet,
        csv_file,
    )


def _registrations(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    folder: Path,
    m: Month,
    acc: dict[str, np.ndarray],
    month: str,
) -> int:
    """About one registration per device and day, expiring after 24-26 h (overlapping)."""
    n_dev = acc["n_dev"]
    devices = int(n_dev.sum())
    days = (m.plus(1).first_day - m.first_day).days
    dev = np.repeat(np.arange(devices), days)
    day = np.tile(np.arange(days), devices)
    dev_acc = np.repeat(np.arange(len(n_dev)), n_dev)
    local = (datetime(m.year, m.month, 1) - datetime(1970, 1, 1)).total_seconds()
    start = (
        int(local)
        + day * 86400
        + rng.integers(6 * 3600, 9 * 3600, len(dev))
        - np.where(_dst(m, day), 7200, 3600)
    ).astype(np.int64)
    table = pa.table(
        {
            "acct": dev_acc[dev],
            "cust": acc["acc_cust"][dev_acc[dev]],
            "acc_no": acc["acc_no"][dev_acc[dev]],
            "dev": dev + 1,
            "start": start,
            "life": rng.integers(24 * 3600, 26 * 3600, len(dev)),
        }
    )
    reg_dir = folder / "registrations" / month
    reg_dir.mkdir(parents=True)
    con.register("_regs", table)
    con.execute(
        "copy (select 'sip-C' || lpad(cast(cust as varchar), 5, '0') || '-' "
        "|| lpad(cast(acc_no as varchar), 2, '0') as sip_account, "
        "'D' || lpad(cast(dev as varchar), 7, '0') as device_id, "
        "strftime(to_timestamp(start), '%Y-%m-%dT%H:%M:%SZ') as registered_at, "
        "strftime(to_timestamp(start + life), '%Y-%m-%dT%H:%M:%SZ') as expires_at "
        f"from _regs order by start, dev) to '{_lit(reg_dir / f'reg_{month}_01.parquet')}' "
        "(format parquet, compression zstd)"
    )
    con.unregister("_regs")
    return len(dev)
