"""Issue 17: what finance sees (docs/exports.md, docs/foundation.md)."""

from __future__ import annotations

import csv
import shutil

import pytest

from tests.conftest import BASE, Workspace

OCT = "2026-10"


def french_excel(ws: Workspace, name: str, encoding: str = "cp1252") -> None:
    """Re-save a reference file as French Excel does: `;`, decimal commas, DD/MM/YYYY dates,
    VRAI/FAUX booleans, Windows-1252 ("CSV (séparateur: point-virgule)")."""
    path = ws.table(name)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    out = []
    for row in rows:
        fields = []
        for value in row:
            if len(value) == 10 and value[4] == "-" and value[7] == "-":
                value = f"{value[8:]}/{value[5:7]}/{value[:4]}"
            elif value in ("true", "false"):
                value = "VRAI" if value == "true" else "FAUX"
            elif value.replace(".", "", 1).isdigit() and "." in value:
                value = value.replace(".", ",")
            fields.append(value)
        out.append(fields)
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(out)


def test_reference_files_saved_by_french_excel_are_read_as_the_originals(ws):
    ws.cdrs(OCT, [])
    assert ws.bill(OCT).exit_code == 0
    expected = ws.read_csv(OCT, "invoices.csv")
    ws.out = ws.root / "out2"
    for name in ("customers.csv", "subscriptions.csv", "devices.csv"):
        french_excel(ws, name)
    assert "25,00" in ws.table("subscriptions.csv").read_text(encoding="cp1252")
    assert "10/03/2026" in ws.table("subscriptions.csv").read_text(encoding="cp1252")
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    assert ws.read_csv(OCT, "invoices.csv") == expected  # 25.00 + VAT: the same invoices


def test_a_semicolon_header_is_decided_once_for_the_file(ws):
    # a comma in the header line: the file is the data contract's CSV, even if a row has ';'
    rows = [list(r) for r in BASE["customers.csv"]]
    rows[1][7] = "Paris; 2e"
    with open(ws.table("customers.csv"), "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    ws.cdrs(OCT, [])
    assert ws.bill(OCT).exit_code == 0
    (c1,) = [r for r in ws.read_csv(OCT, "invoices.csv") if r["customer_id"] == "C1"]
    assert c1["customer_address"] == "Paris; 2e"


def test_an_empty_ledger_refuses_a_month_after_one_with_cdrs_and_names_it(ws):
    from click.testing import CliRunner

    from pipeline.cli import main

    ws.cdrs("2026-09", [])  # an empty file is still a file of September's usage
    ws.cdrs(OCT, [])
    result = ws.bill(OCT)
    assert result.exit_code == 2
    assert "le registre est vide et 2026-09 a des fichiers CDR" in result.output
    assert 'make bill MONTH=2026-09, ou MONTH="2026-09 2026-10"' in result.output
    assert not (ws.out / OCT).exists()
    started = CliRunner().invoke(
        main,
        ["bill", "--month", OCT, "--start-ledger", "--data", str(ws.data)]
        + ["--out", str(ws.out), "--rates", str(ws.rates)],
        obj={"gates": None},
    )
    assert started.exit_code == 0, started.output  # a provider migrating mid-year
    assert ws.bill("2026-09").exit_code == 2  # and September can no longer be issued (R60)


def test_progress_in_a_log_is_one_line_per_phase_in_words_a_finance_user_knows(ws, monkeypatch):
    monkeypatch.setenv("BILLING_PROGRESS", "1")
    ws.cdrs(OCT, [])
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    lines = [ln.strip() for ln in result.output.splitlines()]
    phases = [ln for ln in lines if ln.endswith("...")]
    assert phases == [
        "Lecture des clients, contrats et du tarif...",
        "Lecture des fichiers d'appels (CDR) du mois...",
        "Valorisation des appels (doublons, rejets, forfaits, usage raisonnable)...",
        "Abonnements, locations et ventes de matériel...",
        "Factures du mois...",
        "Disponibilité du service et avoirs SLA...",
        "Empreintes des données reçues...",
        "Écriture des fichiers du mois...",
        "Factures électroniques (Factur-X)...",
        "Empreintes des fichiers émis...",
    ]
    assert not any("rat_" in ln or "stg_" in ln for ln in lines)  # no model names
    assert lines[-1].startswith(f"{OCT} : ") and "facture(s) émise(s)" in lines[-1]


def test_explain_in_french_keeps_the_codes_and_rule_ids(ws):
    from click.testing import CliRunner

    from pipeline.cli import main

    # C2 (no plan) calls a French mobile for 61 s: NO_PLAN, 0.0450 x 61 / 60 = 0.04575 -> 0.0458
    ws.cdrs(
        OCT, [["m1", "sip-2", "out", "x", "06 12 34 56 78", "2026-10-05T10:00:00+02:00", "61", ""]]
    )
    assert ws.bill(OCT).exit_code == 0
    args = ["explain", "--month", OCT, "--cdr", "m1", "--data", str(ws.data), "--out", str(ws.out)]
    args += ["--rates", str(ws.rates)]
    french = CliRunner().invoke(main, [*args, "--lang", "fr"])
    assert french.exit_code == 0, french.output
    assert "motif : NO_PLAN - aucun forfait illimité de ce compte SIP ne couvre" in french.output
    assert "(R15, R16 étape 3)" in french.output
    assert "montant : 0.0000 + 0.0450 x 61 / 60 = 0.04575 -> 0.0458 EUR" in french.output
    english = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert "reason: NO_PLAN - no unlimited plan" in english.output
    # the default is French whatever the locale (issue 26); BILLING_LANG=en gives English
    c_locale = CliRunner(env={"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"})
    assert "motif : NO_PLAN" in c_locale.invoke(main, args).output
    english = CliRunner(env={"BILLING_LANG": "en"}).invoke(main, args).output
    assert "reason: NO_PLAN" in english


@pytest.mark.parametrize(
    "months, rows",
    [
        (("2026-10",), 600),  # the fast suite: October's sheets, 600 rows each (0.5 s)
        pytest.param(("2026-09", "2026-10"), 3000, marks=pytest.mark.slow),  # 2.5 s
    ],
)
def test_no_cell_of_the_sample_workbooks_shows_a_code_where_a_french_label_exists(
    sample_out, months, rows
):
    """Statuses, reasons, zones, limits and details in French; the Glossaire alone names the
    codes (each with its label), and raw CDR text is shown as received."""
    from openpyxl import load_workbook

    from pipeline.exports import french
    from pipeline.rating.reasons import R16_ORDER, R41_ORDER
    from tests.conftest import SAMPLE_RATES

    with open(SAMPLE_RATES / "destinations.csv", encoding="utf-8", newline="") as handle:
        zones = {r["zone"] for r in csv.DictReader(handle)}
    codes = (
        set(R16_ORDER)
        | set(R41_ORDER)
        | set(french.CLAIM_STATUS_LABELS)
        | set(french.BREACH_LABELS)
        | zones
    )
    english = ("already billed", "first seen", "not a valid number", "outside the month",
               "is not in", "customer not SLA-eligible", "no invoice issued")  # fmt: skip
    found = []
    for month in months:
        book = load_workbook(sample_out / month / f"billing_{month}.xlsx", read_only=True)
        for sheet in book.worksheets:
            if sheet.title == "Glossaire":
                continue
            header = None
            # a sheet's rows are alike: the first `rows` of each (the calls sheet holds 19,000)
            for row in sheet.iter_rows(values_only=True, max_row=rows):
                header = header or row
                for column, value in zip(header, row, strict=False):
                    if column == "Contenu brut" or not isinstance(value, str):
                        continue
                    if value in codes or any(e in value for e in english):
                        found.append(f"{month} {sheet.title} {column}: {value!r}")
        book.close()
    assert found == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is missing")
def test_the_sample_workbook_prints_in_a_reasonable_number_of_pages(sample_out, tmp_path):
    """Printed through LibreOffice, each sheet of October's workbook: the Synthèse on one page,
    the others within a few pages (the call detail, for the screen, has its own file since issue 26)."""
    import io
    import subprocess
    from collections import Counter

    from pypdf import PdfReader

    book = tmp_path / "billing_2026-10.xlsx"
    shutil.copy(sample_out / OCT / book.name, book)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    pages = PdfReader(io.BytesIO((tmp_path / "billing_2026-10.pdf").read_bytes())).pages
    per_sheet = Counter(
        (p.extract_text() or "").split("\n", 1)[0].split(" WITEQ")[0] for p in pages
    )
    assert per_sheet["Synthèse"] == 1
    budget = {"Factures": 2, "Lignes": 20, "Avoirs": 1, "Consommations": 6, "Fair-use": 1,
              "Rejets": 2, "SLA": 2, "Glossaire": 3}  # fmt: skip
    for sheet, most in budget.items():
        assert 1 <= per_sheet[sheet] <= most, (sheet, per_sheet[sheet])
