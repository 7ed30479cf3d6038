"""`billing dunning --date D` (R90-R92) on a billed workspace: the day's folder, the letters
recorded in the receivables journal, the same day again, bad disputes.csv (R42).

The workspace (tests/conftest.py): C1's plan is 25.00 HT a month, 30.00 TTC; September's
invoice F2026-000001 is dated 2026-10-01, due 2026-10-31; October's F2026-000002 is dated
2026-11-01, due 2026-12-01. Rates: the rate book's (2026 second half: 3 x 2.62 = 7.86 %).
"""

from __future__ import annotations

import csv
import shutil
from datetime import date

import pytest
from conftest import ROOT, Workspace, cli, header, write_rows

from pipeline.core import data_contract as contract
from pipeline.dunning.levels import dunning_levels
from pipeline.ledger.journal import read_journal
from pipeline.receivables.journal import DUNNING_LETTER


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("dunning"))
    for name in ("legal_interest.csv", "ecb_refi.csv"):
        shutil.copy(ROOT / "rates" / name, ws.rates / name)
    ws.bill_months("2026-09", "2026-10")
    return ws


def _dunning(ws: Workspace, day: str):
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    return cli("dunning", "--date", day, *folders)


def _rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_r92_dunning_run_letters_journal_and_the_same_day_again(billed, tmp_path):
    ws = billed.copy(tmp_path / "ws")
    folder = ws.out / "receivables" / "dunning"
    # 6 days past due: no letter, the charges to D listed:
    # 30.00 x 7.86 % x 6 / 365 = 0.03876 -> 0.04
    result = _dunning(ws, "2026-11-06")
    assert result.exit_code == 0, result.output
    [late] = _rows(folder / "2026-11-06" / "late_charges.csv")
    assert (late["invoice_number"], late["days_late"], late["interest"], late["indemnity"]) == (
        "F2026-000001",
        "6",
        "0.04",
        "40.00",
    )
    assert _rows(folder / "2026-11-06" / "dunning.csv") == []
    again = _dunning(ws, "2026-11-06")
    assert again.exit_code == 0 and "rien de nouveau" in again.output
    # 7 days: the reminder; 30.00 x 7.86 % x 7 / 365 = 0.04522 -> 0.05
    result = _dunning(ws, "2026-11-07")
    assert result.exit_code == 0, result.output
    [row] = _rows(folder / "2026-11-07" / "dunning.csv")
    assert {k: row[k] for k in ("customer_id", "level", "invoice_numbers", "overdue")} == {
        "customer_id": "C1",
        "level": "reminder",
        "invoice_numbers": "F2026-000001",
        "overdue": "30.00",
    }
    assert (row["interest"], row["indemnity"]) == ("0.05", "40.00")
    pdf = folder / "2026-11-07" / "letters" / "C1-reminder.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    journal = read_journal(ws.out)
    [event] = [e for e in journal.events if e.kind == DUNNING_LETTER]
    assert (event.customer_id, event.detail("level"), event.source_file) == (
        "C1",
        "reminder",
        "receivables/dunning/2026-11-07/letters/C1-reminder.pdf",
    )
    assert dunning_levels(journal.events, date(2026, 11, 8)) == {"C1": "reminder"}
    files = len(journal.files)
    again = _dunning(ws, "2026-11-07")
    assert again.exit_code == 0 and "rien de nouveau" in again.output
    assert len(read_journal(ws.out).files) == files
    # a disputes.csv row naming an invoice that is not the customer's stops the run (R42)
    write_rows(
        ws.data / "disputes.csv",
        [header(contract.DISPUTES), ["C2", "F2026-000001", "2026-11-01", ""]],
    )
    bad = _dunning(ws, "2026-11-08")
    assert bad.exit_code == 2
    assert "disputes.csv, ligne 2 : invoice_number 'F2026-000001' n'est pas une facture" in (
        bad.output
    )


@pytest.mark.slow
def test_r92_letters_of_each_level_rendered_in_french():
    """One letter of each level rendered and read back (pypdf): the words a French reader
    and a lawyer look for. (Pages also looked at as PNG with pdftoppm while writing them.)"""
    import io

    from pypdf import PdfReader
    from test_dunning import LEVELS, RATES, D, invoice, letter

    from pipeline.dunning.letters import letter_view
    from pipeline.dunning.levels import plan_letters
    from pipeline.dunning.pdf import LetterRenderer
    from pipeline.inputs.reference import read_provider

    provider = read_provider(ROOT / "data_samples")
    customer = {"name": "Cabinet Durand & Associés", "address": "77 rue de la République, Paris"}
    events = [invoice("F2026-000012", "1000.00", "2026-10-01")]
    sent = [letter("C1", "reminder", "2026-10-08"), letter("C1", "formal_notice", "2026-10-31")]
    renderer = LetterRenderer()
    texts = {}
    for level, day, before in (
        ("reminder", "2026-10-08", []),
        ("formal_notice", "2026-10-31", sent[:1]),
        ("suspension", "2026-11-15", sent),
    ):
        [x] = plan_letters(events + before, D(day), LEVELS, RATES)
        assert x.level == level
        view = letter_view(x, customer, provider, RATES, ["sip-C001-01"], D("2026-10-31"))
        pdf = renderer.render(view, x.day)
        assert pdf == renderer.render(view, x.day)  # same letter, same bytes
        texts[level] = " ".join(
            " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages
        )
    assert "Relance : factures impayées" in texts["reminder"]
    assert "une mise en demeure vous sera adressée à compter du 31/10/2026" in texts["reminder"]
    notice = texts["formal_notice"]
    assert "LETTRE RECOMMANDÉE AVEC DEMANDE D'AVIS DE RÉCEPTION" in notice
    assert "Mise en demeure de payer" in notice
    # 1000.00 x 7.86 % x 30 / 365 = 6.4603 -> 6.46; total 1000.00 + 6.46 + 40.00 = 1046.46
    assert "nous vous mettons en demeure de nous régler la somme de 1 046,46 €" in notice
    assert "au plus tard le 15/11/2026" in notice
    assert "article 8.2 du contrat, à compter du 15/11/2026" in notice
    assert "article 1344 du Code civil" in notice
    suspension = texts["suspension"]
    assert "Notre mise en demeure du 31/10/2026 est restée sans effet" in suspension
    assert "sip-C001-01" in suspension


@pytest.mark.slow
def test_r91_charge_invoices_in_the_f_series_outside_vat_never_twice(billed, tmp_path):
    """--charge on 2026-11-20: F2026-000001 (30.00, due 2026-10-31) is 20 days late:
    30.00 x 7.86 % x 20 / 365 = 0.12920... -> 0.13, and the 40.00 indemnity: F2026-000003
    (after September's F2026-000001 and October's F2026-000002), 40.13, VAT 0, category E.
    On 2026-11-25: the 5 days after: 30.00 x 7.86 % x 5 / 365 = 0.0323 -> 0.03, no second
    indemnity: F2026-000004. November billed afterwards continues with F2026-000005."""
    from pipeline.exports.einvoice.check import Checker, embedded_xml

    ws = billed.copy(tmp_path / "ws")
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    result = cli("dunning", "--date", "2026-11-20", "--charge", *folders)
    assert result.exit_code == 0, result.output
    charges = ws.out / "receivables" / "charges"
    [invoice] = _rows(charges / "2026-11-20-01" / "invoices.csv")
    assert (invoice["invoice_number"], invoice["customer_id"]) == ("F2026-000003", "C1")
    assert (invoice["total_ht"], invoice["total_vat"], invoice["total_ttc"]) == (
        "40.13",
        "0.00",
        "40.13",
    )
    assert (invoice["invoice_date"], invoice["due_date"]) == ("2026-11-20", "2026-12-20")
    assert invoice["vat_mention"].startswith("Hors du champ d'application de la TVA")
    lines = _rows(charges / "2026-11-20-01" / "invoice_lines.csv")
    assert [(x["kind"], x["reference"], x["amount_ht"], x["period_end"]) for x in lines] == [
        ("late_interest", "F2026-000001", "0.13", "2026-11-20"),
        ("recovery_indemnity", "F2026-000001", "40.00", ""),
    ]
    pdf = (charges / "2026-11-20-01" / "documents" / "F2026-000003.pdf").read_bytes()
    xml = embedded_xml(pdf)
    assert b"<ram:CategoryCode>E</ram:CategoryCode>" in xml
    assert Checker().check(xml) == []  # Factur-X XSD, EN 16931 and BR-FR schematrons
    [late] = _rows(ws.out / "receivables" / "dunning" / "2026-11-20" / "late_charges.csv")
    assert late["charged_in"] == "F2026-000003"
    # the same day again: nothing new
    again = cli("dunning", "--date", "2026-11-20", "--charge", *folders)
    assert again.exit_code == 0 and "rien de nouveau" in again.output, again.output
    # five days later: only those days
    result = cli("dunning", "--date", "2026-11-25", "--charge", *folders)
    assert result.exit_code == 0, result.output
    lines = _rows(charges / "2026-11-25-01" / "invoice_lines.csv")
    assert [(x["invoice_number"], x["kind"], x["amount_ht"], x["period_start"]) for x in lines] == [
        ("F2026-000004", "late_interest", "0.03", "2026-11-21"),
    ]
    journal = read_journal(ws.out)
    kinds = [(e.kind, e.document) for e in journal.events if e.document.startswith("F2026-00000")]
    assert ("document_issued", "F2026-000003") in kinds and ("late_charge", "F2026-000001") in kinds
    # a charge dated when the next month's invoices are already due to be dated: refused
    late = cli("dunning", "--date", "2026-12-01", "--charge", *folders)
    assert late.exit_code == 2 and "facturez d'abord 2026-11" in late.output
    # November billed after the charges: the F series goes on, unbroken (store.verify)
    ws.bill_months("2026-11")
    assert [r["invoice_number"] for r in ws.read_csv("2026-11", "invoices.csv")] == ["F2026-000005"]
    audit = ws.run("audit", "2026-11")  # its re-run sees the charges issued before it
    assert audit.exit_code == 0, audit.output
