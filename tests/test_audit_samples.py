"""Issue 6 on the committed sample: after billing 2026-09 and 2026-10, `billing audit --month
2026-09` says identical; one CDR edited in the archived input makes it exit 1, say that the
archive no longer matches its recorded hash, and name the invoice line that would change."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from pipeline.ledger.archive import blob_path
from tests.conftest import cli, sample_args

ROOT = Path(__file__).resolve().parent.parent
DATA, RATES = ROOT / "data_samples", ROOT / "rates"

pytestmark = [
    # messages asserted in English (issue 26: French is the default, BILLING_LANG=en here)
    pytest.mark.usefixtures("english"),
    pytest.mark.skipif(
        not (DATA / "cdrs" / "2026-09").is_dir() or not (RATES / "tariffs.csv").exists(),
        reason="data_samples/ or rates/ not generated",
    ),
]


def run(*args: str):
    return cli(*args)


@pytest.fixture
def out(sample_out) -> Path:
    return sample_out


# slow: a re-run of a whole sample month (seconds); make test keeps the same rule on a small
# month: tests/test_audit.py::test_audit_of_an_untouched_month_is_identical_and_writes_nothing
@pytest.mark.slow
def test_audit_of_the_sample_september_is_identical(out):
    result = run(*sample_args("audit", "2026-09", out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2026-09: identical (")


# slow: the workbook comparison reads both workbooks cell by cell (the same behaviour on a
# small month: tests/test_audit.py)
@pytest.mark.slow
def test_one_edited_archived_cdr_is_reported_with_its_invoice_line(sample_copy):
    copy = sample_copy
    folder = copy / "2026-09"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    item = next(
        i
        for i in manifest["inputs"]
        if i["path"].startswith("cdrs/2026-09/") and i["path"].endswith(".csv")
    )
    # a charged call of that plain CSV file, its customer's invoice line
    cdr_id, customer, sip, zone, reason = (
        duckdb.connect()
        .execute(
            "select cdr_id, customer_id, sip_account, zone, reason from read_parquet($p) "
            "where source_file = $f and reason in ('OUT_OF_PLAN', 'NO_PLAN') "
            "order by cdr_id limit 1",
            {
                "p": str(folder / "rated_calls.parquet"),
                "f": f"cdrs/2026-09/{Path(item['path']).name}",
            },
        )
        .fetchone()
    )
    with open(folder / "invoice_lines.csv", encoding="utf-8", newline="") as f:
        line = next(
            r
            for r in csv.DictReader(f)
            if (r["customer_id"], r["kind"], r["reference"], r["zone"], r["reason"])
            == (customer, "usage", sip, zone, reason)
        )
    blob = blob_path(folder, item["sha256"])
    blob.chmod(0o644)
    rows = blob.read_text(encoding="utf-8").splitlines(keepends=True)
    header = rows[0].rstrip("\r\n").split(",")
    for i, text in enumerate(rows[1:], start=1):
        fields = text.rstrip("\r\n").split(",")
        if fields[header.index("cdr_id")] == cdr_id:
            fields[header.index("duration_s")] = str(int(fields[header.index("duration_s")]) + 600)
            rows[i] = ",".join(fields) + "\n"
            break
    else:
        pytest.fail(f"{cdr_id} not found in {item['path']}")
    blob.write_text("".join(rows), encoding="utf-8")

    result = run(*sample_args("audit", "2026-09", copy))
    assert result.exit_code == 1, result.output
    assert f"data/{item['path']}: archive no longer matches its recorded hash" in result.output
    assert (
        f"customer {customer}: line {line['invoice_number']}/{line['line_no']} usage {sip} "
        f"{zone} {reason}: "
    ) in result.output
    assert f"rated_calls.parquet: cdr_id {cdr_id}: duration_s " in result.output
