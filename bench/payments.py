"""Collections and bank statements at the bench month's size (issue 32): `billing collect` of
one SEPA direct debit per invoice (goal: 5,000 mandates within 10 s) and `billing payments
--import` of a camt.054 with one credit per invoice (goal: at most 5 ms an entry).

Part of `make bench` (bench/benchmark.py runs it on the synthetic month). It works in a copy
of the month's data, not in the synthetic month's default: every customer pays by SEPA direct
debit (`payment_method = sepa_debit`, a generated French IBAN, one CORE mandate each, the
provider's creditor id). The copy keeps a slice of the CDRs only (`CDR_ROWS`): the collection
and the import depend on the invoices, one per customer whatever the calls, not on the calls.

1. the copy is billed (`billing bill`, not timed);
2. `billing collect --date COLLECT_DAY` (the invoices of 2026-11-01 are due 2026-12-01,
   within the horizon of 5 days), timed in this process;
3. the bank's notice (camt.054.001.08) of the collection's credit, one entry per collected
   invoice (its end-to-end id the invoice number, R84 rule 1), imported with
   `billing payments --import`, timed in this process.
"""

from __future__ import annotations

import csv
import shutil
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipeline.core.db import sql_literal

REPO = Path(__file__).resolve().parent.parent
MONTH = "2026-10"
COLLECT_DAY = "2026-11-26"
NOTICE_DAY = "2026-12-01"
CDR_ROWS = 50_000
CREDITOR_ID = "FR16ZZZ035030"  # the sample provider's ICS (data_samples/provider.toml)
COLLECT_LIMIT_S = 10.0
IMPORT_LIMIT_S_PER_ENTRY = 0.005


def _iban(n: int) -> str:
    """A French IBAN with its checksums (RIB key and ISO 13616), one per customer."""
    from schwifty import IBAN

    return IBAN.generate(
        "FR", bank_code="30004", branch_code="00819", account_code=f"{n:011d}"
    ).formatted


def debited_copy(data: Path, target: Path) -> int:
    """The month's data copied under `target` with every customer paying by SEPA direct debit,
    one mandate each, and the first CDR_ROWS calls only; returns the mandates written."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for item in data.iterdir():
        if item.is_file():
            shutil.copyfile(item, target / item.name)
    shutil.copytree(data / "registrations", target / "registrations")
    cdr_dir = target / "cdrs" / MONTH
    cdr_dir.mkdir(parents=True)
    con = duckdb.connect(":memory:")
    for source in sorted((data / "cdrs" / MONTH).glob("*.parquet")):
        con.execute(
            f"copy (select * from read_parquet({sql_literal(str(source))}) limit {CDR_ROWS}) "
            f"to {sql_literal(str(cdr_dir / source.name))} (format parquet)"
        )
    con.close()
    with open(target / "customers.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = [f for f in rows[0] if f not in ("payment_method", "iban")] + [
        "payment_method",
        "iban",
    ]
    mandates = []
    for n, row in enumerate(rows, 1):
        row["payment_method"] = "sepa_debit"
        row["iban"] = _iban(n)
        mandates.append(
            {
                "mandate_id": f"RUM-{row['customer_id']}-001",
                "customer_id": row["customer_id"],
                "iban": row["iban"],
                "signed_on": "2026-01-15",
                "scheme": "CORE",
                "bic": "",
                "revoked_on": "",
            }
        )
    for name, table, columns in (
        ("customers.csv", rows, fields),
        ("mandates.csv", mandates, list(mandates[0])),
    ):
        with open(target / name, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(table)
    provider = (target / "provider.toml").read_text(encoding="utf-8")
    if "creditor_id" not in provider:
        provider += f'creditor_id = "{CREDITOR_ID}"\n'
    (target / "provider.toml").write_text(provider, encoding="utf-8")
    return len(mandates)


def notice(collection: Path, path: Path) -> int:
    """The bank's camt.054.001.08 for the collection: one credit entry per transaction of its
    collection.csv, the end-to-end id the invoice number; returns the entries written."""
    with open(collection / "collection.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    entries = []
    for n, r in enumerate(rows, 1):
        amount, ref = Decimal(r["amount"]), f"20261201{n:06d}"
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{NOTICE_DAY}</Dt></BookgDt>"
            f"<ValDt><Dt>{NOTICE_DAY}</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly>"
            f"</Domn></BkTxCd><NtryDtls><TxDtls><Refs><AcctSvcrRef>{ref}-1</AcctSvcrRef>"
            f"<EndToEndId>{r['invoice_number']}</EndToEndId></Refs>"
            f'<Amt Ccy="EUR">{amount}</Amt></TxDtls></NtryDtls></Ntry>'
        )
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}">'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>BENCH-054-{NOTICE_DAY}</MsgId>"
        f"<CreDtTm>{NOTICE_DAY}T20:00:00</CreDtTm></GrpHdr><Ntfctn><Id>054-{NOTICE_DAY}</Id>"
        f"<CreDtTm>{NOTICE_DAY}T20:00:00</CreDtTm><Acct><Id><IBAN>FR7699999000010565934628091"
        f"</IBAN></Id></Acct>{''.join(entries)}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n",
        encoding="utf-8",
    )
    return len(entries)


def run(data: Path, root: Path) -> dict[str, Any]:
    """Bill the debited copy of `data` under `root`, then time the collection and the import
    of its notice; `root` is removed at the end."""
    from pipeline.run import bill_month
    from pipeline.run_receivables import collect, import_payments

    rates = REPO / "rates"
    copy, out = root / "data", root / "out"
    shutil.rmtree(root, ignore_errors=True)
    try:
        mandates = debited_copy(data, copy)
        start = time.perf_counter()
        billed = bill_month(MONTH, copy, out, rates)
        bill_s = time.perf_counter() - start
        start = time.perf_counter()
        collected = collect(COLLECT_DAY, copy, out, rates)
        collect_s = time.perf_counter() - start
        if collected.folder is None:
            raise RuntimeError(f"the bench's collection of {COLLECT_DAY}: {collected.status}")
        statement = root / f"{NOTICE_DAY}_avis_camt054.xml"
        entries = notice(collected.folder, statement)
        start = time.perf_counter()
        imported = import_payments([str(statement)], copy, out, rates)
        import_s = time.perf_counter() - start
        return {
            "mandates": mandates,
            "invoices": billed.invoices,
            "copy_bill_s": bill_s,
            "collect_date": COLLECT_DAY,
            "collected": len(collected.transactions),
            "collect_s": collect_s,
            "collect_within_limit": collect_s <= COLLECT_LIMIT_S,
            "entries": entries,
            "matched_events": len(imported.events),
            "import_s": import_s,
            "import_ms_per_entry": 1000 * import_s / max(1, entries),
            "import_within_limit": import_s <= IMPORT_LIMIT_S_PER_ENTRY * max(1, entries),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
