"""Issue 6: the accountants' workbook billing_YYYY-MM.xlsx, read back with openpyxl and opened
in a real spreadsheet program (LibreOffice, headless, each sheet converted to CSV)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import time
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.exports import workbook as exports
from pipeline.exports.xlsx import EURO, Column, add_sheet, new_workbook, save_deterministic
from tests.conftest import Workspace
from tests.scenarios import C2_MOBILE, EMERGENCY, FOUR_CALLS, calls

SHEETS = [
    "Synthèse",
    "Factures",
    "Lignes",
    "Avoirs",
    "Consommations",
    "Fair-use",
    "Rejets",
    "SLA",
    "Glossaire",
]
INJECTED_NAME = '=HYPERLINK("http://evil.example","clic")'


def month_with_calls(ws: Workspace) -> None:
    """C1 (FR, plan S1 25.00) calls a UK mobile (charged 0.18) and a Paris number (included);
    C2 (BE, reverse charge, no plan) calls a French mobile (0.09); plus an incoming call, an
    emergency call and a rejected one. C3's name and id would be formulas in a spreadsheet."""
    ws.add_rows("customers.csv", [["C3", INJECTED_NAME, "FR", "false", "false", "", "", "@Lyon"]])
    ws.add_rows("sip_accounts.csv", [["sip-3", "C3"]])
    ws.add_rows(
        "subscriptions.csv", [["S3", "C3", "OPT_IVR", "30.00", "2026-01-05", "0", "", "", ""]]
    )
    ws.cdrs("2026-10", calls(*FOUR_CALLS, C2_MOBILE, EMERGENCY))


def bill(ws: Workspace, month: str = "2026-10") -> Path:
    result = ws.bill(month)
    assert result.exit_code == 0, result.output
    return ws.out / month / f"billing_{month}.xlsx"


@pytest.fixture(scope="module")
def october(tmp_path_factory) -> tuple[Workspace, Path, float]:
    """month_with_calls billed once, for the tests that only read it: the workspace, its
    workbook, and the time.monotonic() of the end of the run."""
    ws = Workspace(tmp_path_factory.mktemp("october"))
    month_with_calls(ws)
    path = bill(ws)
    return ws, path, time.monotonic()


def rows_of(ws_sheet) -> list[tuple]:
    return [tuple(r) for r in ws_sheet.iter_rows(values_only=True)]


def test_sheets_headers_frozen_filtered(october):
    wb = load_workbook(october[1])
    assert wb.sheetnames == SHEETS
    factures = wb["Factures"]
    assert rows_of(factures)[0] == (
        "N° facture",
        "Client",
        "Raison sociale",
        "Date de facture",
        "Échéance",
        "Période",
        "Total HT",
        "TVA",
        "Total TTC",
        "Taux de TVA",
        "Mention TVA",
        "Facture électronique (Factur-X)",  # the file of each invoice (R70)
    )
    for name in SHEETS:
        assert wb[name].freeze_panes == "A2", name
    assert factures.auto_filter.ref == "A1:L4"
    assert factures.column_dimensions["K"].width == 30  # Mention TVA, wrapped (issue 26)
    assert factures.column_dimensions["A"].width == 14  # "F2026-000001" + 2


def test_factures_real_numbers_euro_format_real_dates(october):
    wb = load_workbook(october[1])
    *rows, total = rows_of(wb["Factures"])[1:]
    # the totals row accountants expect (issue 17): HT, VAT, TTC of the invoices above
    assert total[0] == "Total" and total[6:9] == (55.27, 11.04, 66.31)  # the 3 invoices below
    assert [(r[0], r[1], r[3], r[4], r[6], r[7], r[8], r[9]) for r in rows] == [
        (
            "F2026-000001",
            "C1",
            datetime(2026, 11, 1),
            datetime(2026, 12, 1),
            25.18,
            5.04,
            30.22,
            0.2,
        ),
        ("F2026-000002", "C2", datetime(2026, 11, 1), datetime(2026, 12, 1), 0.09, 0, 0.09, 0),
        ("F2026-000003", "C3", datetime(2026, 11, 1), datetime(2026, 12, 1), 30, 6, 36, 0.2),
    ]
    sheet = wb["Factures"]
    assert sheet["G2"].number_format == EURO
    assert sheet["G2"].data_type == "n"
    assert sheet["D2"].number_format == "DD/MM/YYYY"
    assert sheet["D2"].is_date
    # no cell anywhere holds a formula
    for ws_ in wb.worksheets:
        for row in ws_.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws_.title, cell.coordinate)


def test_synthese_totals_by_vat_rate_reconciliation_and_chart(october):
    path = october[1]
    rows = rows_of(load_workbook(path)["Synthèse"])
    assert rows[0] == ("Rubrique", "Indicateur", "Valeur", "Montant HT", "TVA", "Montant TTC")
    body = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert body[("Période", "Mois facturé")] == ("2026-10", None, None, None)
    assert body[("Période", "Date des factures et avoirs")] == (
        datetime(2026, 11, 1),
        None,
        None,
        None,
    )
    assert body[("Factures", "TVA 20 %")] == (2, 55.18, 11.04, 66.22)
    mention = (
        "TVA 0 % - Autoliquidation - TVA due par le preneur, art. 283-2 du CGI / art. 196 "
        "directive 2006/112/CE"
    )
    assert body[("Factures", mention)] == (1, 0.09, 0, 0.09)
    assert body[("Factures", "Total des factures")] == (3, 55.27, 11.04, 66.31)
    assert body[("Avoirs", "Total des avoirs")] == (0, 0, 0, 0)
    assert body[("Numérotation", "Factures émises")][0] == "F2026-000001 à F2026-000003"
    assert body[("Appels (CDR)", "Lignes lues")][0] == 6
    assert body[("Appels (CDR)", "Valorisées")][0] == 5
    assert body[("Appels (CDR)", "Doublons écartés")][0] == 0
    assert body[("Appels (CDR)", "Rejetées")][0] == 1
    assert (
        body[("Appels (CDR)", "Contrôle : lues = valorisées + doublons + rejetées")][0]
        == "équilibré"
    )
    # the call detail is a file of its own, named here (issue 26)
    assert body[("Appels (CDR)", "Appels détaillés")] == (
        "billing_2026-10_appels.xlsx",
        None,
        None,
        None,
    )
    assert body[("Chiffre d'affaires HT par nature", "Abonnement")] == (2, 55, None, None)
    assert body[("Chiffre d'affaires HT par nature", "Communications")] == (2, 0.27, None, None)
    # a native bar chart over the revenue rows (17 and 18 of the sheet)
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts == ["xl/charts/chart1.xml"]
        xml = z.read(charts[0]).decode()
    assert "<barChart>" in xml
    assert "<val><numRef><f>'Synthèse'!$D$17:$D$18</f></numRef></val>" in xml
    assert "<cat><strRef><f>'Synthèse'!$B$17:$B$18</f></strRef></cat>" in xml
    assert rows[16][1] == "Abonnement" and rows[17][1] == "Communications"


def test_lignes_consommations_rejets(october):
    wb = load_workbook(october[1])
    *lignes, total = rows_of(wb["Lignes"])
    assert (total[0], total[13]) == ("Total", 55.27)  # 25 + 0.18 + 0.09 + 30
    assert [(r[0], r[1], r[3], r[7], r[13]) for r in lignes[1:]] == [
        ("F2026-000001", 1, "Abonnement", None, 25),
        ("F2026-000001", 2, "Communications", "Destination non incluse dans le forfait", 0.18),
        ("F2026-000002", 1, "Communications", "Aucun forfait illimité ne couvre l'appel", 0.09),
        ("F2026-000003", 1, "Abonnement", None, 30),
    ]
    *conso, total = rows_of(wb["Consommations"])
    # calls, seconds, billable seconds, 4-decimal amount (0.0938 + 0.183 = 0.2768), invoiced on
    # lines rounded to the cent (0.09 + 0.18 = 0.27) and the rounding (0.27 - 0.2768 = -0.0068)
    assert total == ("Total", None, None, 5, 402, 186, 0.2768, 0.27, -0.0068)
    # zones by their rate-book label (destinations.csv of tests/conftest.py), not their code
    assert conso[1:] == [
        ("Urgences", "Gratuit (urgences, numéros gratuits)", "non", 1, 125, 0, 0, 0, 0),
        ("France fixe", "Inclus dans le forfait", "non", 1, 61, 0, 0, 0, 0),
        ("France fixe", "Non facturable (appel entrant ou non abouti)", "non", 1, 30, 0, 0, 0, 0),
        (
            "France mobile",
            "Aucun forfait illimité ne couvre l'appel",
            "oui",
            *(1, 125, 125, 0.0938, 0.09, -0.0038),
        ),
        (
            "Royaume-Uni mobile",
            "Destination non incluse dans le forfait",
            "oui",
            *(1, 61, 61, 0.183, 0.18, -0.003),
        ),
    ]
    rejets = rows_of(wb["Rejets"])
    assert rejets[0] == (
        "Fichier",
        "N° de ligne",
        "Identifiant d'appel",
        "Motif",
        "Détail",
        "Contenu brut",
    )
    assert rejets[1][:4] == ("cdrs/2026-10/cdrs.csv", 4, "c4", "Numéro appelé invalide")
    assert len(rejets) == 2


def test_formula_injection_stays_text(ws):
    month_with_calls(ws)
    ws.add_rows("customers.csv", [["+C4", "-2+3", "FR", "false", "false", "", "", ""]])
    ws.add_rows(
        "subscriptions.csv", [["S4", "+C4", "OPT_IVR", "30.00", "2026-01-05", "0", "", "", ""]]
    )
    wb = load_workbook(bill(ws))
    sheet = wb["Factures"]
    by_number = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    c3 = by_number["F2026-000004"]  # "+C4" sorts before "C1": C3 is the fourth
    assert c3[2].value == INJECTED_NAME
    assert c3[2].data_type == "s"
    assert c3[2].quotePrefix is True
    c4 = by_number["F2026-000001"]
    assert (c4[1].value, c4[1].data_type, c4[2].value, c4[2].data_type) == ("+C4", "s", "-2+3", "s")


def test_add_sheet_row_limit_writes_a_note_instead_of_cutting(tmp_path):
    wb = new_workbook()
    add_sheet(wb, "Fits", [Column("n")], [[i] for i in range(4)], max_rows=5)
    add_sheet(wb, "Cut", [Column("n")], [[i] for i in range(10)], max_rows=5, full_data="all.csv")
    add_sheet(wb, "Empty", [Column("n")], [], max_rows=5, note="Rien à afficher : voir x.csv")
    save_deterministic(wb, tmp_path / "w.xlsx")
    back = load_workbook(tmp_path / "w.xlsx")
    assert rows_of(back["Fits"]) == [("n",), (0,), (1,), (2,), (3,)]
    assert rows_of(back["Cut"]) == [
        ("n",),
        (0,),
        (1,),
        (2,),
        (
            "Suite non affichée : 7 ligne(s) au-delà des 3 lignes que la feuille peut contenir ; "
            "toutes les lignes sont dans le fichier all.csv",
        ),
    ]
    assert back["Cut"].auto_filter.ref == "A1:A4"
    assert rows_of(back["Empty"]) == [("n",), ("Rien à afficher : voir x.csv",)]
    assert back["Empty"].auto_filter.ref == "A1:A1"


def test_large_month_sheets_say_where_the_rest_is(ws, monkeypatch):
    month_with_calls(ws)
    monkeypatch.setattr(exports, "SHEET_MAX_ROWS", 3)
    monkeypatch.setattr(exports, "CALLS_SHEET_MAX_ROWS", 3)
    wb = load_workbook(bill(ws))
    lignes = rows_of(wb["Lignes"])
    assert len(lignes) == 3
    assert (
        lignes[2]
        == (
            "Suite non affichée : 3 ligne(s) au-delà des 1 lignes que la feuille peut contenir ; "
            "toutes les lignes sont dans le fichier invoice_lines.csv",
        )
        + (None,) * 15
    )
    appels = rows_of(
        load_workbook(ws.out / "2026-10" / "billing_2026-10_appels.xlsx")[exports.CALLS_SHEET]
    )
    assert [r[0] for r in appels] == [
        "Client",
        "Les 3 appels détaillés du mois dépassent les 2 lignes prévues pour cette feuille : ils "
        "sont dans les fichiers itemised/{client}.csv (un fichier par client)",
    ]
    assert len(rows_of(wb["Rejets"])) == 2  # one reject fits


def test_workbook_bytes_do_not_depend_on_the_time_of_the_run(october, ws):
    _, first, billed_at = october
    # openpyxl stamps the save time unless told otherwise: the second run is over a second
    # later (the module's other tests usually took longer than that already)
    time.sleep(max(0.0, billed_at + 1.1 - time.monotonic()))
    month_with_calls(ws)
    assert bill(ws).read_bytes() == first.read_bytes()


def _soffice(xlsx: Path, outdir: Path, convert_to: str) -> None:
    """LibreOffice, headless, converts `xlsx` into `outdir` (its own profile there)."""
    profile = outdir / "profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            convert_to,
            "--outdir",
            str(outdir),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


def _libreoffice_csv(xlsx: Path, outdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet as CSV, as LibreOffice computes it (raw values, not as shown)."""
    # , separator, " quotes, UTF-8, from line 1, en-US, raw values, every sheet (-1)
    _soffice(
        xlsx,
        outdir,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,false,false,false,-1",
    )
    sheets = {}
    for path in outdir.glob(f"{xlsx.stem}-*.csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            sheets[path.stem[len(xlsx.stem) + 1 :]] = list(csv.reader(handle))
    return sheets


def _cents(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc",
)
def test_libreoffice_opens_the_workbook_and_its_totals_match_the_csv_files(october, tmp_path):
    ws, xlsx, _ = october
    sheets = _libreoffice_csv(xlsx, tmp_path / "lo")
    assert sorted(sheets) == sorted(SHEETS)
    invoices = ws.read_csv("2026-10", "invoices.csv")
    factures = sheets["Factures"]
    header = factures[0]
    got = [dict(zip(header, r, strict=True)) for r in factures[1:] if r[0] != "Total"]
    assert len(got) == len(invoices) == 3
    for sheet_row, inv in zip(got, invoices, strict=True):
        assert sheet_row["N° facture"] == inv["invoice_number"]
        assert sheet_row["Client"] == inv["customer_id"]
        assert _cents(sheet_row["Total HT"]) == Decimal(inv["total_ht"])
        assert _cents(sheet_row["TVA"]) == Decimal(inv["total_vat"])
        assert _cents(sheet_row["Total TTC"]) == Decimal(inv["total_ttc"])
        # a real date: LibreOffice writes it in its en-US form
        assert (
            datetime.strptime(sheet_row["Date de facture"], "%m/%d/%Y").date().isoformat()
            == inv["invoice_date"]
        )
    # the injected name is shown as text, not evaluated
    assert got[2]["Raison sociale"] == INJECTED_NAME
    # Synthèse totals equal the sums of invoices.csv, to the cent
    synthese = {(r[0], r[1]): r[2:] for r in sheets["Synthèse"][1:]}
    total = synthese[("Factures", "Total des factures")]
    assert total[0] == "3"
    assert (
        [_cents(v) for v in total[1:]]
        == [sum(Decimal(i[c]) for i in invoices) for c in ("total_ht", "total_vat", "total_ttc")]
        == [Decimal("55.27"), Decimal("11.04"), Decimal("66.31")]
    )
    # every line amount, and their sum per invoice
    lines = ws.read_csv("2026-10", "invoice_lines.csv")
    lignes = [r for r in sheets["Lignes"] if r[0] != "Total"]
    assert [(r[0], r[1], _cents(r[13])) for r in lignes[1:]] == [
        (ln["invoice_number"], ln["line_no"], Decimal(ln["amount_ht"])) for ln in lines
    ]


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc",
)
def test_libreoffice_reads_the_native_chart(october, tmp_path):
    xlsx = october[1]
    outdir = tmp_path / "ods"
    _soffice(xlsx, outdir, "ods")
    with zipfile.ZipFile(outdir / f"{xlsx.stem}.ods") as z:
        chart = z.read("Object 1/content.xml").decode()
    assert 'chart:class="chart:bar"' in chart
    assert 'table:cell-range-address="Synthèse.B17:Synthèse.B18 Synthèse.D17:Synthèse.D18"' in chart


def test_avoirs_sla_and_net_totals(ws):
    # C1 (FR, eligible, 25.00) loses 80 min in October 2026: availability 99.8210 %, tier 5 %,
    # claimed in November -> AV2026-000001: 1.25 HT, 0.25 VAT, 1.50 TTC in November's run
    ws.add_rows(
        "incidents.csv",
        [["I1", "2026-10-05T10:00:00+02:00", "2026-10-05T11:20:00+02:00", "false", "C1", "trunk"]],
    )
    ws.add_rows("sla_claims.csv", [["C1", "2026-10", "2026-11-05"]])
    ws.cdrs("2026-10", [])
    ws.cdrs("2026-11", [])
    bill(ws, "2026-10")
    wb = load_workbook(bill(ws, "2026-11"))
    avoirs = rows_of(wb["Avoirs"])
    assert avoirs[1] == (
        "AV2026-000001",
        "C1",
        "Alpha SARL",
        datetime(2026, 12, 1),
        "F2026-000001",
        datetime(2026, 11, 1),
        "2026-10",
        99.821,
        5,
        1.25,
        0.25,
        1.5,
        0.2,
        "documents/AV2026-000001.pdf",
    )
    assert len(avoirs) == 3 and avoirs[2][0] == "Total"  # header, the credit note, its total
    body = {(r[0], r[1]): r[2:] for r in rows_of(wb["Synthèse"])[1:]}
    assert body[("Avoirs", "TVA 20 %")] == (1, 1.25, 0.25, 1.5)
    assert body[("Avoirs", "Total des avoirs")] == (1, 1.25, 0.25, 1.5)
    assert body[("Factures", "Total des factures")] == (1, 25, 5, 30)
    assert body[("Net", "Factures moins avoirs")] == (None, 23.75, 4.75, 28.5)
    assert body[("Numérotation", "Avoirs émis")][0] == "AV2026-000001 à AV2026-000001"
    sla = rows_of(wb["SLA"])
    assert sla[0][:7] == (
        "Client",
        "Mois de service",
        "Minutes du mois",
        "Minutes d'indisponibilité",
        "Disponibilité (%)",
        "Avoir (% des abonnements)",
        "Statut de la réclamation",
    )
    assert [r[:7] for r in sla[1:] if r[1] == "2026-10"] == [
        ("C1", "2026-10", 44700, 80, 99.821, 5, "Avoir émis"),
    ]


def test_rows_rendered_without_openpyxl_cells_give_the_same_bytes(tmp_path, monkeypatch):
    """add_sheet writes most data rows as XML itself (pipeline.exports.xlsx._RowRenderer): the
    workbook must be byte for byte the one openpyxl writes alone, styles included, for every
    kind of value (the ones it does not render go through openpyxl)."""
    import random
    from datetime import date

    from pipeline.exports import xlsx as workbook
    from pipeline.exports.xlsx import DATE, DATETIME, EURO4, INTEGER, PERCENT, Styled

    # on wherever the pipeline runs: pipeline/__init__.py keeps openpyxl off lxml (the lxml
    # installed for the e-invoices once turned the renderer off unnoticed, behind a skip)
    assert workbook._FAST_ROWS
    rng = random.Random(8)
    texts = [
        "plain",
        "",
        "   ",
        " lead",
        "trail ",
        "a & b < c > d \" ' e",
        '=HYPERLINK("x")',
        "+C4",
        "-1",
        "@Lyon",
        "\tTab",
        "\rCR",
        "=",
        "#N/A",
        "#REF!",
        "ligne\nsuivante",
        "ctrl\x01\x02chars",
        "é€ 漢字 🙂",
        "x" * 40_000,
    ]
    values = [
        None,
        True,
        False,
        0,
        -5,
        123456789012345678,
        Decimal("12.50"),
        Decimal("-0.0001"),
        Decimal("1234567.1234"),
        Decimal("0.10000000000000000001"),
        Decimal("NaN"),
        1.5,
        date(2026, 10, 1),
        datetime(2026, 10, 25, 2, 30, 0, 123456),
        Styled(date(2026, 11, 1), DATE),
        Styled(5, INTEGER),
        Styled(Decimal("0.2"), PERCENT),
        *texts,
    ]
    columns = [
        Column("texte"),
        Column("libellé", width=12, wrap=True),  # wraps, its rows grow to fit (issue 26)
        Column("montant", EURO),
        Column("montant4", EURO4),
        Column("date", DATE),
        Column("heure", DATETIME),
        Column("entier", INTEGER),
        Column("taux", PERCENT),
    ]
    rows = [[rng.choice(values) for _ in columns] for _ in range(3000)]
    rows += [[v] * len(columns) for v in values]  # every value in every column

    def write(name: str, fast: bool) -> bytes:
        monkeypatch.setattr(workbook, "_FAST_ROWS", fast)
        wb = new_workbook()
        add_sheet(wb, "Données", columns, rows, note="fin")
        add_sheet(wb, "Coupée", columns, rows, max_rows=50, full_data="x.csv")
        save_deterministic(wb, tmp_path / name)
        return (tmp_path / name).read_bytes()

    assert write("fast.xlsx", True) == write("openpyxl.xlsx", False)


# --- issue 26 item 4: a workbook that prints; the call detail in its own file ----------------


def _listed_calls(ws: Workspace, month: str) -> list[tuple]:
    """The rated calls an itemised bill lists (not NOT_CHARGEABLE, not FREE), by customer,
    start and cdr_id: (customer, cdr_id, billable seconds, amount)."""
    import duckdb

    parquet = ws.out / month / "rated_calls.parquet"
    return duckdb.sql(
        "select customer_id, cdr_id, billable_seconds, amount from read_parquet($p) "
        "where reason not in ('NOT_CHARGEABLE', 'FREE') order by customer_id, start_time, cdr_id",
        params={"p": str(parquet)},
    ).fetchall()


def test_issue26_workbook_without_the_call_detail_which_has_its_own_file(october):
    ws, path, _ = october
    wb = load_workbook(path)
    assert wb.sheetnames == SHEETS  # no "Appels détaillés"
    calls_path = ws.out / "2026-10" / "billing_2026-10_appels.xlsx"
    calls = load_workbook(calls_path)
    assert calls.sheetnames == ["Appels détaillés"]
    header, *rows = rows_of(calls["Appels détaillés"])
    assert header == (
        "Client",
        "Compte SIP",
        "Date et heure (Paris)",
        "Sens",
        "Numéro appelé",
        "Zone",
        "Motif",
        "Durée (secondes)",
        "Secondes facturées",
        "Montant HT",
        "Identifiant d'appel",
    )
    # one row per listed call, equal to the rated calls: C1's UK mobile (0.18) and Paris
    # (included) calls, C2's French mobile (0.09); incoming, emergency and rejected are not
    assert [(r[0], r[10], r[8], Decimal(str(r[9]))) for r in rows] == [
        (c, i, s, Decimal(a)) for c, i, s, a in _listed_calls(ws, "2026-10")
    ]
    assert [(r[0], r[10], Decimal(str(r[9]))) for r in rows] == [
        ("C1", "c1", Decimal("0.183")),
        ("C1", "c2", Decimal("0")),
        ("C2", "c5", Decimal("0.0938")),
    ]
    # the workbook names the file, in the Glossaire too
    glossaire = {r[0]: r[1] for r in rows_of(wb["Glossaire"])[1:]}
    assert glossaire["Appels détaillés"].startswith(
        "Dans le fichier billing_2026-10_appels.xlsx, à côté de ce classeur"
    )
    # a new output of the month: hashed in the manifest, named in its exports
    manifest = json.loads((ws.out / "2026-10" / "manifest.json").read_text(encoding="utf-8"))
    assert "billing_2026-10_appels.xlsx" in manifest["outputs"]
    assert manifest["exports"]["calls_workbook"] == "billing_2026-10_appels.xlsx"


def test_issue26_workbook_wraps_the_texts_that_were_cut(october):
    wb = load_workbook(october[1])
    mention = "TVA 0 % - Autoliquidation - TVA due par le preneur, art. 283-2 du CGI"
    synthese = wb["Synthèse"]
    row = next(r for r in synthese.iter_rows(min_row=2) if str(r[1].value).startswith(mention))
    # 98 characters in a column 40 wide: wrapped on 3 lines of 15 points
    assert synthese.column_dimensions["B"].width == 40
    assert row[1].alignment.wrap_text is True
    assert synthese.row_dimensions[row[1].row].height == 45
    factures = wb["Factures"]
    c2 = next(r for r in factures.iter_rows(min_row=2) if r[1].value == "C2")
    assert (factures.column_dimensions["K"].width, c2[10].alignment.wrap_text) == (30, True)
    assert factures.row_dimensions[c2[10].row].height == 45  # 3 lines of the reverse charge
    lignes = wb["Lignes"]
    assert lignes["F1"].value == "Libellé" and lignes.column_dimensions["F"].width == 46
    assert all(lignes.cell(r, 6).alignment.wrap_text for r in range(2, lignes.max_row))
    assert lignes["A1"].alignment.wrap_text is True  # headers wrap by words
    assert lignes.row_dimensions[1].height == 45  # "Prix unitaire HT" in 10: 3 lines
    glossaire = wb["Glossaire"]
    assert [glossaire.column_dimensions[c].width for c in "AB"] == [34, 90]
    assert glossaire["B2"].alignment.wrap_text is True
    # print settings: A4, landscape when wide, fitted to the width only, header row repeated,
    # page numbers in the footer
    for name in SHEETS:
        sheet = wb[name]
        assert sheet.page_setup.paperSize == 9, name  # A4
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.page_setup.fitToWidth == 1, name
        assert sheet.page_setup.fitToHeight == (1 if name == "Synthèse" else 0), name
        assert sheet.print_title_rows == "$1:$1", name  # the header row on every page
        assert sheet.oddFooter.center.text == "Page &P / &N", name


def _legacy_month(folder: Path) -> None:
    """Turn a month written by today's code into one issued before issue 26: the call detail
    as the sheet "Appels détaillés" of the workbook (before the Glossaire), no file of its own,
    no Synthèse row naming it, the Glossaire's old text."""
    from openpyxl import Workbook

    book, calls = folder / "billing_2026-10.xlsx", folder / "billing_2026-10_appels.xlsx"
    new, detail = load_workbook(book), load_workbook(calls)["Appels détaillés"]
    old = Workbook()
    old.remove(old.active)
    for sheet in new.worksheets:
        if sheet.title == "Glossaire":
            copy = old.create_sheet("Appels détaillés")
            for values in rows_of(detail):
                copy.append(values)
        copy = old.create_sheet(sheet.title)
        for values in rows_of(sheet):
            if sheet.title == "Synthèse" and values[1] == "Appels détaillés":
                continue
            if sheet.title == "Glossaire" and values[0] == "Appels détaillés":
                values = ("Appels détaillés", "Facture détaillée : appels facturés, par client.")
            copy.append(values)
    book.unlink()
    old.save(book)
    calls.unlink()


def _writable_copy(month: Path, to: Path) -> tuple[Path, Path]:
    """An issued month (read-only) and a copy of it to play an earlier issue in."""
    shutil.copytree(month, to)
    for path in [to, *to.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return month, to


def test_issue26_workbook_audit_of_a_month_issued_with_the_call_detail_as_a_sheet(
    october, tmp_path
):
    from pipeline.ledger.compare import compare_months

    fresh, issued = _writable_copy(october[0].out / "2026-10", tmp_path / "issued")
    _legacy_month(issued)
    notes: list[str] = []
    assert compare_months(issued, fresh, notes) == []
    assert notes == [
        "billing_2026-10.xlsx : émis avec le détail des appels en feuille 'Appels détaillés' "
        "(avant l'issue 26) ; ses autres feuilles comparées sans les lignes qui le nomment",
        "billing_2026-10.xlsx : mêmes cellules, autres octets (formats, largeurs ou mise en page "
        "modifiés)",
        "billing_2026-10_appels.xlsx : non émis : le détail des appels était alors la feuille "
        "'Appels détaillés' de billing_2026-10.xlsx, comparée avec lui cellule par cellule",
    ]
    # a call that differs is a difference, found in the old sheet
    book = load_workbook(issued / "billing_2026-10.xlsx")
    book["Appels détaillés"]["J2"] = 0.5
    book.save(issued / "billing_2026-10.xlsx")
    found = compare_months(issued, fresh, [])
    assert len(found) == 1
    assert found[0].startswith(
        "billing_2026-10_appels.xlsx : feuille Appels détaillés ligne 2 : ('C1', 'sip-1'"
    )
    assert "0.5, 'c1') -> (" in found[0] and found[0].endswith("0.183, 'c1')")


def test_issue26_workbook_audit_same_cells_other_layout_is_a_note(october, tmp_path):
    from pipeline.ledger.compare import compare_months

    fresh, issued = _writable_copy(october[0].out / "2026-10", tmp_path / "issued")
    book = load_workbook(issued / "billing_2026-10.xlsx")
    book["Lignes"].column_dimensions["F"].width = 50  # the width before issue 26
    book["Lignes"].page_setup.orientation = "portrait"
    book.save(issued / "billing_2026-10.xlsx")
    notes: list[str] = []
    assert compare_months(issued, fresh, notes) == []
    assert notes == [
        "billing_2026-10.xlsx : mêmes cellules, autres octets (formats, largeurs ou mise en page "
        "modifiés)"
    ]


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc",
)
def test_issue26_workbook_sample_october_prints_in_at_most_40_pages(sample_out, tmp_path):
    from pypdf import PdfReader

    xlsx = sample_out / "2026-10" / "billing_2026-10.xlsx"
    _soffice(xlsx, tmp_path, "pdf")
    pages = PdfReader(tmp_path / "billing_2026-10.pdf").pages
    # 297 before issue 26 (282 of them the call detail); 34 measured after
    assert len(pages) <= 40
    first_lines = [page.extract_text().split("\n", 1)[0] for page in pages]
    assert "Appels détaillés" not in first_lines
    assert first_lines[0].startswith("Synthèse")
