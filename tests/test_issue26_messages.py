"""Issue 26 item 6: messages that lead somewhere. A month billed again whose inputs changed
names the command that corrects it (R64 -> R65); an audit and a month billed again, which only
compare, say so in their progress lines instead of "Écriture des fichiers du mois"."""

from __future__ import annotations

import pytest

from pipeline.core import language
from tests.conftest import Workspace, cli
from tests.scenarios import call, calls

OCT = "2026-10"
UK_MOBILE = "c1,sip-1,out,0145000000,+44 7911 123456,2026-10-03T09:15:00+02:00,61,D1"
LATE = "c9,sip-1,out,0145000000,+44 7911 123456,2026-10-05T09:15:00+02:00,30,D1"

# the progress lines of a run that writes the month's files; a run that compares never prints
WRITING = (
    "Écriture des fichiers du mois...",
    "Factures électroniques (Factur-X)...",
    "Empreintes des fichiers émis...",
)
COMPARING = [
    "Calcul des fichiers du mois pour comparaison...",
    "Calcul des factures électroniques (Factur-X) pour comparaison...",
    "Empreintes des fichiers recalculés pour comparaison...",
    "Comparaison avec les fichiers émis...",
]


@pytest.fixture(autouse=True)
def french(monkeypatch):
    monkeypatch.setattr(language, "_chosen", None)
    monkeypatch.delenv("BILLING_LANG", raising=False)


@pytest.fixture(scope="module")
def october(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("october"))
    ws.cdrs(OCT, calls(UK_MOBILE))
    ws.bill_months(OCT)
    return ws


def phases(output: str) -> list[str]:
    return [ln.strip() for ln in output.splitlines() if ln.strip().endswith("...")]


def test_issue26_audit_progress_says_comparison_not_writing(october, tmp_path, monkeypatch):
    ws = october.copy(tmp_path / "ws")
    monkeypatch.setenv("BILLING_PROGRESS", "1")
    result = ws.run("audit", OCT)
    assert result.exit_code == 0, result.output
    shown = phases(result.output)
    assert [p for p in shown if p in COMPARING] == COMPARING
    assert shown[-1] == "Comparaison avec les fichiers émis..."
    assert not set(WRITING) & set(shown)


def test_issue26_rebill_progress_says_comparison_not_writing(october, tmp_path, monkeypatch):
    ws = october.copy(tmp_path / "ws")
    monkeypatch.setenv("BILLING_PROGRESS", "1")
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    shown = phases(result.output)
    assert [p for p in shown if p in COMPARING] == COMPARING
    assert not set(WRITING) & set(shown)
    # a month issued for the first time still says it writes its files
    first = Workspace(tmp_path / "first")
    first.cdrs(OCT, calls(UK_MOBILE))
    issued = first.bill(OCT)
    assert issued.exit_code == 0, issued.output
    assert set(WRITING) <= set(phases(issued.output))
    assert not set(COMPARING) & set(phases(issued.output))


def test_issue26_rebill_with_changed_inputs_names_make_correct(october, tmp_path):
    ws = october.copy(tmp_path / "ws")
    ws.cdrs(OCT, [call(LATE)], name="late.csv")
    result = ws.bill(OCT)
    assert result.exit_code == 1, result.output
    assert "c9" in result.output  # the differences first (R64), then what to do
    assert result.output.rstrip().splitlines()[-1] == (
        "Pour émettre ces différences (une facture rectificative ou un avoir par client dont "
        f"le total change, R65) : make correct MONTH={OCT} DATA={ws.data} OUT={ws.out} "
        f"RATES={ws.rates} (DRY_RUN=1 montre d'abord les documents, sans rien écrire), ou "
        f"billing correct --month {OCT} --data {ws.data} --out {ws.out} --rates {ws.rates} "
        "[--dry-run]"
    )
    # and the command it names does it
    dry = ws.run("correct", OCT, "--date", "2026-11-20", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "F2026-000002" in dry.output  # the supplementary invoice it would issue
    assert not (ws.out / OCT / "corrections").exists()


def test_issue26_rebill_advice_names_only_the_folders_that_are_not_the_defaults(
    tmp_path, monkeypatch
):
    ws = Workspace(tmp_path)
    (tmp_path / "data").rename(tmp_path / "data_samples")  # the default folders of billing
    ws.data = tmp_path / "data_samples"
    ws.cdrs(OCT, calls(UK_MOBILE))
    monkeypatch.chdir(tmp_path)
    assert cli("bill", "--month", OCT).exit_code == 0
    ws.cdrs(OCT, [call(LATE)], name="late.csv")
    again = cli("bill", "--month", OCT)
    assert again.exit_code == 1
    assert again.output.rstrip().splitlines()[-1] == (
        "Pour émettre ces différences (une facture rectificative ou un avoir par client dont "
        f"le total change, R65) : make correct MONTH={OCT} (DRY_RUN=1 montre d'abord les "
        f"documents, sans rien écrire), ou billing correct --month {OCT} [--dry-run]"
    )
