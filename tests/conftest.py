"""Small, hand-written data folders for tests: every value here is chosen so that expected
results can be computed by hand."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core import data_contract as contract
from pipeline.core import language

# Messages are French by default (issue 26): the suite does not depend on the caller's
# BILLING_LANG; a test of English messages asks for it (the `english` fixture).
os.environ.pop(language.ENV, None)


@pytest.fixture(autouse=True)
def _default_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts in the default language, French: no BILLING_LANG, no language left
    chosen by an earlier test's `billing --lang`."""
    monkeypatch.delenv(language.ENV, raising=False)
    monkeypatch.setattr(language, "_chosen", None)


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English (BILLING_LANG=en), for a module whose tests assert English words:
    `pytestmark = pytest.mark.usefixtures("english")`."""
    monkeypatch.setenv(language.ENV, "en")
    monkeypatch.setattr(language, "_chosen", None)


# Progress lines (pipeline.core.progress) would mix with the output the tests read; the test
# of the progress lines turns them on for itself.
os.environ.setdefault("BILLING_PROGRESS", "0")

PROVIDER = """name = "Test Telecom SAS"
siren = "732829320"
vat_number = "FR44732829320"
address = "1 rue de la Paix, 75002 Paris"
rcs = "RCS Paris 732 829 320"
share_capital_eur = "10000"
iban = "FR7630006000011234567890189"
payment_terms_days = 30
late_penalty_rate = "3 fois le taux d'intérêt légal"
recovery_indemnity_eur = 40
"""


def header(file: contract.FileContract, count: int | None = None) -> list[str]:
    """The header row of a data-contract file: its columns, or the first `count` of them."""
    return list(file.names[:count])


BASE: dict[str, list[list[str]]] = {
    "customers.csv": [
        header(contract.CUSTOMERS, 8),
        ["C1", "Alpha SARL", "FR", "false", "true", "732829320", "FR44732829320", "Paris"],
        ["C2", "Beta BV", "BE", "false", "false", "", "BE0403019261", "Bruxelles"],
    ],
    "sip_accounts.csv": [header(contract.SIP_ACCOUNTS), ["sip-1", "C1"], ["sip-2", "C2"]],
    "subscriptions.csv": [
        header(contract.SUBSCRIPTIONS),
        ["S1", "C1", "PLAN_UNLIMITED", "25.00", "2026-03-10", "12", "sip-1", "INTL_BE_FIXED", ""],
    ],
    "rentals.csv": [
        header(contract.RENTALS),
    ],
    "rma.csv": [header(contract.RMA)],
    "equipment_sales.csv": [
        header(contract.EQUIPMENT_SALES),
    ],
    "devices.csv": [
        header(contract.DEVICES),
        ["D1", "C1", "true", "sip-1", "desk"],
        ["D9", "C1", "false", "sip-1", "softphone"],
    ],
    "incidents.csv": [
        header(contract.INCIDENTS),
    ],
    "sla_claims.csv": [header(contract.SLA_CLAIMS)],
}

RATES: dict[str, list[list[str]]] = {
    "destinations.csv": [
        header(contract.DESTINATIONS),
        ["331", "FR_FIXED", "France fixe"],
        ["336", "FR_MOBILE", "France mobile"],
        ["3389", "FR_PREMIUM", "France numéros majorés"],
        ["3380", "FR_FREEPHONE", "France numéros verts"],
        ["S112", "FR_EMERGENCY", "Urgences"],
        ["32", "INTL_BE_FIXED", "Belgique fixe"],
        ["447", "INTL_GB_MOBILE", "Royaume-Uni mobile"],
        ["44", "INTL_GB_FIXED", "Royaume-Uni fixe"],
    ],
    "tariffs.csv": [
        header(contract.TARIFFS),
        ["FR_FIXED", "2025-01-01", "0.0200", "0.0000", "60", "1", "true"],
        ["FR_MOBILE", "2025-01-01", "0.0450", "0.0000", "60", "1", "true"],
        ["FR_PREMIUM", "2025-01-01", "0.3400", "0.1200", "60", "60", "false"],
        ["FR_FREEPHONE", "2025-01-01", "0.0000", "0.0000", "0", "1", "false"],
        ["FR_EMERGENCY", "2025-01-01", "0.0000", "0.0000", "0", "1", "false"],
        ["INTL_BE_FIXED", "2025-01-01", "0.0400", "0.0000", "60", "1", "false"],
        ["INTL_GB_MOBILE", "2025-01-01", "0.1500", "0.0000", "60", "1", "false"],
        ["INTL_GB_MOBILE", "2026-10-01", "0.1800", "0.0000", "60", "1", "false"],
        ["INTL_GB_FIXED", "2025-01-01", "0.0500", "0.0000", "30", "30", "false"],
    ],
    "products.csv": [
        header(contract.PRODUCTS),
        ["PLAN_UNLIMITED", "plan", "true", "Illimité nationale fixe et mobile", "25.00"],
        ["PLAN_METERED", "plan", "false", "Compte SIP à la minute", "5.00"],
        ["OPT_IVR", "option", "false", "Serveur vocal interactif", "30.00"],
    ],
    "equipment.csv": [
        header(contract.EQUIPMENT),
        ["PHONE_A", "2024-01-01", "2026-06-30", "100.00", "Discontinued phone"],
        ["PHONE_B", "2024-01-01", "2026-09-30", "150.00", "Phone B v1"],
        ["PHONE_B", "2026-10-01", "", "170.00", "Phone B v2"],
    ],
}

CDR_HEADER = list(contract.CDRS.names)


def write_rows(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


class Workspace:
    """A data folder, a rate book and an output folder in tmp_path, editable per test."""

    def __init__(self, root: Path, base: bool = True):
        self.root = root
        # the validation gates of `bill` (pipeline.validation.gates.GATES for the real ones):
        # none by default, they have their own tests (test_validation*.py)
        self.gates = None
        self.data = root / "data"
        self.rates = root / "rates"
        self.out = root / "out"
        if not base:  # the folders are already there (copy)
            return
        for name, rows in BASE.items():
            write_rows(self.data / name, [list(r) for r in rows])
        for name, rows in RATES.items():
            write_rows(self.rates / name, [list(r) for r in rows])
        (self.data / "provider.toml").write_text(PROVIDER, encoding="utf-8")

    def table(self, name: str, folder: str = "data") -> Path:
        return (self.data if folder == "data" else self.rates) / name

    def add_rows(self, name: str, rows: list[list[str]], folder: str = "data") -> None:
        path = self.table(name, folder)
        with open(path, encoding="utf-8", newline="") as f:
            existing = list(csv.reader(f))
        write_rows(path, existing + rows)

    def cdrs(self, month: str, rows: list[list[str]], name: str = "cdrs.csv") -> Path:
        path = self.data / "cdrs" / month / name
        write_rows(path, [CDR_HEADER] + rows)
        return path

    def registrations(self, month: str, rows: list[list[str]], name: str = "reg.csv") -> Path:
        path = self.data / "registrations" / month / name
        write_rows(path, [header(contract.REGISTRATIONS)] + rows)
        return path

    def args(self, command: str, month: str, *extra: str, data: Path | None = None) -> list[str]:
        """The command line of `billing command --month month` on this workspace."""
        return cli_args(command, month, data or self.data, self.out, self.rates, *extra)

    def run(
        self, command: str, month: str, *extra: str, gates: Any = ..., data: Path | None = None
    ):
        """`billing command` of `month`, in process, with `gates` (default: the workspace's)."""
        return cli(
            *self.args(command, month, *extra, data=data),
            gates=self.gates if gates is ... else gates,
        )

    def bill(self, month: str, gates: Any = ...):
        """`billing bill` of `month`, through the command line, with `gates` (default: the
        workspace's)."""
        return self.run("bill", month, gates=gates)

    def bill_months(self, *months: str) -> None:
        """Bill each month in turn (a month without a CDR folder gets an empty CDR file);
        every run must succeed."""
        for month in months:
            if not (self.data / "cdrs" / month).exists():
                self.cdrs(month, [])
            result = self.bill(month)
            assert result.exit_code == 0, result.output

    def add_zone(self, prefix: str, zone: str, description: str, *tariff: str) -> None:
        """A destination prefix for a new zone, and the zone's tariff row (valid_from, price,
        fee, minimum, increment, in_unlimited_plan)."""
        self.add_rows("destinations.csv", [[prefix, zone, description]], folder="rates")
        self.add_rows("tariffs.csv", [[zone, *tariff]], folder="rates")

    def copy(self, root: Path) -> Workspace:
        """This workspace (data, rates and OUT as they are) copied under `root`: a test changes
        the copy of a workspace that a module fixture billed once."""
        shutil.copytree(self.root, root, symlinks=True)
        copy = Workspace(root, base=False)
        copy.gates = self.gates
        return copy

    def read_csv(self, month: str, name: str) -> list[dict[str, str]]:
        with open(self.out / month / name, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


# --- issue 3 (rating): rate a Workspace month in memory, without issuing anything -----------


# `make test-spark` runs the rating rule tests with BILLING_TEST_ENGINES=both: every month a
# test rates is also rated on Spark and every rating table compared with DuckDB's (issue 19)
BOTH_ENGINES = os.environ.get("BILLING_TEST_ENGINES") == "both"


def rate(ws: Workspace, month: str):
    """A DuckDB connection holding every rating table of `month` (rated_calls, rejects...)."""
    from pipeline.core.dates import Month
    from pipeline.rating.models import rate_folders

    con = rate_folders(Month.parse(month), ws.data, ws.rates)
    if BOTH_ENGINES:
        from tests.spark.conftest import assert_same, rate_with

        # both through rate_with: the run writes rated_calls.parquet with the contract's
        # columns only when it has a scratch folder (rate_folders keeps the full view)
        assert_same(
            rate_with("duckdb", ws.data, month, ws.rates),
            rate_with("spark", ws.data, month, ws.rates),
        )
    return con


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a query as dicts (values keep their DuckDB types: Decimal stays Decimal)."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def pick(records, *fields: str) -> list[tuple]:
    """The `fields` (names separated by spaces, in one or more strings) of each record (a
    dict), as tuples."""
    names = " ".join(fields).split()
    return [tuple(r[n] for n in names) for r in records]


def rated_by_id(ws: Workspace, month: str) -> dict[str, dict]:
    """rated_calls of `month` by cdr_id."""
    return {r["cdr_id"]: r for r in rows(rate(ws, month), "select * from rated_calls")}


def rated_calls_table(con) -> None:
    """Turn the run's `rated_calls` view (over its scratch rated_calls.parquet, deleted when the
    run ends) into a table: tests that change rated_calls or read it after the run."""
    view_as_table(con, "rated_calls")


def view_as_table(con, name: str) -> None:
    """Turn a view of the run over a file of its scratch folder (rated_calls, stg_cdrs) into a
    table of the same rows, which the faults of a test can change."""
    (views,) = con.execute(
        "select count(*) from duckdb_views() where view_name = ?", [name]
    ).fetchall()[0]
    if views:
        con.execute(f"create table {name}_copy as select * from {name}")
        con.execute(f"drop view {name}")
        con.execute(f"alter table {name}_copy rename to {name}")


# --- the committed sample (data_samples/, rates/), billed once per test run ------------------

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA, SAMPLE_RATES = ROOT / "data_samples", ROOT / "rates"
SAMPLE_MONTHS = ("2026-09", "2026-10")


def cli(*args: str, gates: Any = None):
    """The command line, in process, with these validation gates (none by default)."""
    return CliRunner().invoke(main, list(args), obj={"gates": gates})


def cli_args(
    command: str, month: str, data: Path, out: Path, rates: Path, *extra: str
) -> list[str]:
    """`command --month month [extra] --data data --out out --rates rates`."""
    folders = ("--data", str(data), "--out", str(out), "--rates", str(rates))
    return [command, "--month", month, *extra, *folders]


def sample_args(command: str, month: str, out: Path) -> list[str]:
    return cli_args(command, month, SAMPLE_DATA, out, SAMPLE_RATES)


@dataclass(frozen=True)
class RunResult:
    """What a test reads of a `bill` run: its exit code and its output."""

    exit_code: int
    output: str


@pytest.fixture(scope="session")
def sample_runs(tmp_path_factory) -> tuple[Path, dict[str, RunResult]]:
    """OUT with both sample months issued, once per run, and the result of each `bill`:
    September without the gates, October through the real validation gates (the one gated run
    of `make test`, a gated run costs seconds: tests/test_validation.py reads its report; the
    other sample tests read only the documents, the same with or without the gates).

    Under pytest-xdist (`make test`) the workers share one OUT: the first worker that needs it
    bills it under a lock, the others wait for it and read it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the base folder common to every worker of the session
    out, record = root / "samples" / "out", root / "samples" / "results.json"
    (root / "samples").mkdir(exist_ok=True)
    with open(root / "samples.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            results = _bill_samples(out)
            record.write_text(json.dumps({m: r.__dict__ for m, r in results.items()}))
    results = {m: RunResult(**r) for m, r in json.loads(record.read_text()).items()}
    return out, results


def _bill_samples(out: Path) -> dict[str, RunResult]:
    from pipeline.validation.gates import Gates

    class WithoutEinvoiceRules(Gates):
        # the sample's e-invoices are checked against the schematrons, every one of both
        # months, by tests/test_einvoice.py: not twice
        einvoice_rules = False

    results = {}
    for month, gates in zip(SAMPLE_MONTHS, (None, WithoutEinvoiceRules()), strict=True):
        result = cli(*sample_args("bill", month, out), gates=gates)
        assert result.exit_code == 0, result.output
        results[month] = RunResult(result.exit_code, result.output)
    return results


@pytest.fixture(scope="session")
def sample_out(sample_runs) -> Path:
    """OUT of sample_runs, shared by every test of the run: read it, never change it
    (sample_copy)."""
    return sample_runs[0]


@pytest.fixture
def sample_copy(sample_out, tmp_path) -> Path:
    """A copy of sample_out that the test may change (a template ledger)."""
    copy = tmp_path / "out"
    shutil.copytree(sample_out, copy, symlinks=True)
    return copy
