"""The receivables report's speed (R86, issue 27): `billing receivables --date D` on the
journal of a year of the provider, at most 10 s for 60,000 documents and 120,000 events.

`python -m bench.receivables [--documents 60000 --events 120000]`, and part of `make bench`
(bench/benchmark.py runs it after the bill). The journal is built directly (no month is
billed): a year of monthly invoices for documents / 12 customers, one credit note in 50
allocated to the invoice before it, and payments (a `payment_received` and its `allocation`)
for the rest of the events, each paying one invoice whole on its due date; one journal file
per month. The reference data are the sample's (data_samples/, its CDR folders left out) with
the synthetic customers added. The report of 2026-12-31 is timed in this process, whole
(reference, lock, verification, journal read, compute, check, files) and its compute alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DAY = "2026-12-31"
LIMIT_S = 10.0


def _data(folder: Path, customers: list[str]) -> Path:
    """The sample's reference files, with the synthetic customers added to customers.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "data_samples").iterdir():
        if path.is_file():
            shutil.copy(path, folder / path.name)
    with open(folder / "customers.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    width = len(rows[0])
    for c in customers:
        rows.append([c, f"Client {c}", "FR", "false", "false"] + [""] * (width - 5))
    with open(folder / "customers.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return folder


def journal_events(documents: int, events: int, seed: int) -> list[list[Any]]:
    """The events of each month (12 lists), `documents` documents and about `events` events."""
    from pipeline.receivables.journal import (
        ALLOCATION,
        DOCUMENT_ISSUED,
        PAYMENT_RECEIVED,
        Event,
        details,
    )

    rng = random.Random(seed)
    per_month = max(1, documents // 12)
    customers = [f"S{i:06d}" for i in range(per_month)]
    months: list[list[Any]] = [[] for _ in range(12)]
    invoices: list[tuple[int, str, str, Decimal, date]] = []  # month, number, customer, ttc, due
    last: dict[str, int] = {}  # customer -> its latest invoice (index in invoices)
    made = 0
    number = 0
    for m in range(12):
        day = date(2026, m + 1, 1)
        for c in customers:
            if made >= documents:
                break
            number += 1
            made += 1
            if number % 50 == 0 and c in last:
                # a credit note on the customer's invoice before it, allocated to it
                note = f"A2026-{number:06d}"
                target = invoices[last[c]]
                amount = min(Decimal("5.00"), target[3])
                months[m].append(
                    Event(
                        DOCUMENT_ISSUED,
                        day,
                        c,
                        note,
                        -amount,
                        f"2026-{m + 1:02d}/credit_notes.csv",
                        "",
                        note,
                        details(type="credit_note", original_invoice=target[1]),
                    )
                )
                months[m].append(
                    Event(
                        ALLOCATION,
                        day,
                        c,
                        target[1],
                        amount,
                        "",
                        "",
                        f"{note}>{target[1]}",
                        details(credit_note=note),
                    )
                )
                invoices[last[c]] = (*target[:3], target[3] - amount, target[4])
                continue
            invoice = f"F2026-{number:06d}"
            ttc = Decimal(rng.randint(1500, 25000)) / 100
            due = day + timedelta(days=30)
            months[m].append(
                Event(
                    DOCUMENT_ISSUED,
                    day,
                    c,
                    invoice,
                    ttc,
                    f"2026-{m + 1:02d}/invoices.csv",
                    "",
                    invoice,
                    details(type="invoice", due_date=due.isoformat(), payment_method="transfer"),
                )
            )
            last[c] = len(invoices)
            invoices.append((m, invoice, c, ttc, due))
    count = sum(len(month) for month in months)
    payments = max(0, (events - count) // 2)
    paid = rng.sample(range(len(invoices)), min(payments, len(invoices)))
    for i in sorted(paid):
        m, invoice, c, ttc, due = invoices[i]
        if ttc <= 0:
            continue
        when = min(due, date(2026, 12, 31))
        entry = f"P{i:07d}"
        src = ("releve.xml", "0" * 64, entry)
        months[when.month - 1] += [
            Event(PAYMENT_RECEIVED, when, c, "", ttc, *src, details(rule="2", remittance=invoice)),
            Event(ALLOCATION, when, c, invoice, ttc, *src, details(payment=entry)),
        ]
    return months


def run(documents: int, events: int, out: Path, seed: int = 20261207) -> dict[str, Any]:
    from pipeline.ledger import journal as ledger_journal
    from pipeline.receivables.journal import Journal
    from pipeline.receivables.report import compute_report
    from pipeline.run_receivables import receivables

    root = out / f"receivables_{documents}"
    shutil.rmtree(root, ignore_errors=True)
    start = time.perf_counter()
    months = journal_events(documents, events, seed)
    customers = sorted({e.customer_id for month in months for e in month})
    data = _data(root / "data", customers)
    books = root / "out"
    journal = Journal()
    for i, month in enumerate(months, start=1):
        journal = ledger_journal.append(books, journal, month, f"bench month {i:02d}")
    generated = time.perf_counter() - start
    every = [e for month in months for e in month]
    start = time.perf_counter()
    computed = compute_report(every, date.fromisoformat(DAY))
    compute_s = time.perf_counter() - start
    start = time.perf_counter()
    result = receivables(DAY, data, books, REPO / "rates")
    total_s = time.perf_counter() - start
    report = {
        "date": DAY,
        "documents": sum(1 for e in every if e.kind == "document_issued"),
        "events": len(every),
        "customers": len(customers),
        "open_items": result.open_items,
        "generate_s": generated,
        "compute_s": compute_s,
        "report_s": total_s,
        "limit_s": LIMIT_S,
        "within_limit": total_s <= LIMIT_S,
        "files": result.files,
        "check": {k: str(v) for k, v in vars(computed.totals).items()},
    }
    shutil.rmtree(root, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.receivables", description=__doc__)
    parser.add_argument("--documents", type=int, default=60_000)
    parser.add_argument("--events", type=int, default=120_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench_out")
    parser.add_argument("--json", type=Path, help="where to write the report")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    report = run(args.documents, args.events, args.out)
    target = args.json or args.out / f"bench_receivables_{args.documents}.json"
    target.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(
        f"receivables report of {report['date']}: {report['documents']:,} documents, "
        f"{report['events']:,} events: {report['report_s']:.2f} s (compute "
        f"{report['compute_s']:.2f} s; limit {LIMIT_S:.0f} s)"
    )
    print(f"report: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
