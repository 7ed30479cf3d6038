"""R84: bank statements, `billing payments --import FILE...` (issue 27).

Statements are written here from the ISO 20022 structure (`camt`: camt.054 or camt.053,
001.08 or 001.02). Matching is tested on journals built from events (fast, exact); the command
on the workspace of tests/test_receivables.py: C1 (Alpha SARL) pays by SEPA direct debit,
F2026-000001 (30.00, due 2026-10-31) and F2026-000002 (30.00, due 2026-12-01).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import Workspace, cli
from test_receivables import IBAN_C1, MANDATE, _debited, collect, tree

from pipeline.core.errors import InputError
from pipeline.receivables.collect import plan_collection, stopped_invoices
from pipeline.receivables.compute import Balances
from pipeline.receivables.journal import (
    ALLOCATION,
    COLLECTION_SENT,
    DOCUMENT_ISSUED,
    SUSPENSE,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
    details,
)
from pipeline.receivables.match import match_lines
from pipeline.receivables.statements import parse_statement

IBAN_C2 = "BE68539007547034"


def _tx(t: dict, v08: bool) -> str:
    party = "<Pty><Nm>{}</Nm></Pty>" if v08 else "<Nm>{}</Nm>"
    parties = ""
    if t.get("name") or t.get("iban"):
        parties = "<RltdPties>"
        if t.get("name"):
            parties += "<Dbtr>" + party.format(t["name"]) + "</Dbtr>"
        if t.get("iban"):
            parties += f"<DbtrAcct><Id><IBAN>{t['iban']}</IBAN></Id></DbtrAcct>"
        parties += "</RltdPties>"
    amount = (
        f'<Amt Ccy="{t.get("ccy", "EUR")}">{t["amount"]}</Amt>'
        if v08
        else f'<AmtDtls><TxAmt><Amt Ccy="{t.get("ccy", "EUR")}">{t["amount"]}</Amt></TxAmt>'
        "</AmtDtls>"
    )
    refs = "<Refs>"
    if t.get("ref"):
        refs += f"<AcctSvcrRef>{t['ref']}</AcctSvcrRef>"
    refs += f"<EndToEndId>{t.get('e2e', 'NOTPROVIDED')}</EndToEndId></Refs>"
    remittance = f"<RmtInf><Ustrd>{t['ustrd']}</Ustrd></RmtInf>" if t.get("ustrd") else ""
    ret = f"<RtrInf><Rsn><Cd>{t['reason']}</Cd></Rsn></RtrInf>" if t.get("reason") else ""
    return f"<TxDtls>{refs}{amount}{parties}{remittance}{ret}</TxDtls>"


def camt(entries: list[dict], version: str = "08", kind: str = "054") -> bytes:
    """A camt.05x.001.0x document: each entry {ref, amount, ccy, direction, day, txs}."""
    v08 = version == "08"
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.{version}"
    message, report = (
        ("BkToCstmrDbtCdtNtfctn", "Ntfctn") if kind == "054" else ("BkToCstmrStmt", "Stmt")
    )
    body = ""
    for e in entries:
        status = "<Sts><Cd>BOOK</Cd></Sts>" if v08 else "<Sts>BOOK</Sts>"
        amount = f'<Amt Ccy="{e.get("ccy", "EUR")}">{e["amount"]}</Amt>' if "amount" in e else ""
        txs = "".join(_tx(t, v08) for t in e.get("txs", []))
        body += (
            f"<Ntry>{amount}<CdtDbtInd>{e.get('direction', 'CRDT')}</CdtDbtInd>{status}"
            f"<BookgDt><Dt>{e.get('day', '2026-12-03')}</Dt></BookgDt>"
            f"<ValDt><Dt>{e.get('day', '2026-12-03')}</Dt></ValDt>"
            f"<AcctSvcrRef>{e['ref']}</AcctSvcrRef>"
            f"<BkTxCd/><NtryDtls>{txs}</NtryDtls></Ntry>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}"><{message}><GrpHdr>'
        "<MsgId>M1</MsgId><CreDtTm>2026-12-03T08:00:00</CreDtTm></GrpHdr>"
        f"<{report}><Id>R1</Id><CreDtTm>2026-12-03T08:00:00</CreDtTm><Acct><Id><IBAN>"
        f"FR7630006000011234567890189</IBAN></Id></Acct>{body}</{report}></{message}>"
        "</Document>"
    ).encode()


# --- journals built from events -------------------------------------------------------------


def _invoice(number: str, customer: str, ttc: str, due: str, **extra: str) -> Event:
    return Event(
        DOCUMENT_ISSUED,
        date(2026, 11, 1),
        customer,
        number,
        Decimal(ttc),
        "2026-10/invoices.csv",
        "",
        number,
        details(type="invoice", due_date=due, **extra),
    )


def _collected(number: str, customer: str, amount: str) -> Event:
    return Event(
        COLLECTION_SENT,
        date(2026, 11, 26),
        customer,
        number,
        Decimal(amount),
        "receivables/collections/2026-11-26-01/manifest.json",
        "",
        number,
        details(collection="2026-11-26-01", mandate_id="RUM-C1-001", collection_date="2026-12-01"),
    )


REFERENCE = {
    "ref_customers": SimpleNamespace(
        rows=[
            {"customer_id": "C1", "name": "Alpha SARL", "iban": ""},
            {"customer_id": "C2", "name": "Beta BV", "iban": IBAN_C2},
        ]
    ),
    "ref_mandates": SimpleNamespace(
        rows=[{"mandate_id": "RUM-C1-001", "customer_id": "C1", "iban": IBAN_C1}]
    ),
}


def books() -> Balances:
    """C1: F1 40.00 collected; C2: F2 100.00 (due 2026-11-30), F3 50.00 (due 2026-12-31)."""
    return Balances(
        [
            _invoice("F1", "C1", "40.00", "2026-12-01", payment_method="sepa_debit"),
            _invoice("F2", "C2", "100.00", "2026-11-30"),
            _invoice("F3", "C2", "50.00", "2026-12-31"),
            _collected("F1", "C1", "40.00"),
        ]
    )


def run(entries: list[dict], balances: Balances | None = None, fee: str = "0.00", **kw):
    balances = balances or books()
    lines = parse_statement("releve.xml", camt(entries, **kw))
    return balances, match_lines(balances, lines, REFERENCE, Decimal(fee))


def summary(events: list[Event]) -> list[tuple[str, str, str, str]]:
    return [
        (e.kind, e.customer_id, e.document, str(e.amount))
        for e in events
        if e.kind != "payment_received"
    ]


def test_r84_a_collection_credit_is_matched_by_end_to_end_id_in_001_02_and_001_08():
    for version in ("02", "08"):
        entry = {"ref": "B1", "amount": "40.00", "txs": [{"e2e": "F1", "amount": "40.00"}]}
        balances, matched = run([entry], version=version)
        assert summary(matched.events) == [("allocation", "C1", "F1", "40.00")]
        assert matched.events[0].detail("rule") == "1"
        assert balances.documents["F1"].open_balance == Decimal("0.00")


def test_r84_a_transfer_naming_two_invoices_pays_them_in_order_the_second_partly():
    entry = {
        "ref": "B2",
        "amount": "120.00",
        "txs": [{"amount": "120.00", "name": "Autre nom", "ustrd": "Factures F3 et F2"}],
    }
    balances, matched = run([entry])
    # named F3 first: F3 50.00 paid whole, then F2 70.00 of its 100.00
    assert summary(matched.events) == [
        ("allocation", "C2", "F3", "50.00"),
        ("allocation", "C2", "F2", "70.00"),
    ]
    assert balances.documents["F2"].open_balance == Decimal("30.00")


def test_r84_a_payment_by_debtor_name_equal_to_one_open_invoice():
    entry = {"ref": "B3", "amount": "50.00", "txs": [{"amount": "50.00", "name": "Beta BV"}]}
    _, matched = run([entry], version="02")
    assert summary(matched.events) == [("allocation", "C2", "F3", "50.00")]
    assert matched.events[0].detail("rule") == "3"
    # by the customer's IBAN, the whole open balance 150.00: both paid, oldest first
    entry = {"ref": "B4", "amount": "150.00", "txs": [{"amount": "150.00", "iban": IBAN_C2}]}
    _, matched = run([entry])
    assert summary(matched.events) == [
        ("allocation", "C2", "F2", "100.00"),
        ("allocation", "C2", "F3", "50.00"),
    ]


def test_r84_an_unknown_credit_goes_to_suspense_with_its_reason():
    entry = {"ref": "B5", "amount": "12.34", "txs": [{"amount": "12.34", "name": "Inconnu"}]}
    _, matched = run([entry])
    assert summary(matched.events) == [("suspense", "", "", "12.34")]
    assert matched.events[1].detail("reason") == (
        "ni prélèvement, ni facture nommée, ni client reconnu (IBAN ou nom)"
    )
    assert matched.events[1].detail("reason_code") == "no_match"
    # a known debtor whose amount matches nothing: suspense too, naming the customer
    entry = {"ref": "B6", "amount": "60.00", "txs": [{"amount": "60.00", "name": "Beta BV"}]}
    _, matched = run([entry])
    assert summary(matched.events) == [("suspense", "", "", "60.00")]
    assert "client C2 reconnu" in matched.events[1].detail("reason")


def test_r84_an_overpayment_becomes_unallocated_credit():
    entry = {"ref": "B7", "amount": "130.00", "txs": [{"amount": "130.00", "ustrd": "F2"}]}
    balances, matched = run([entry])
    assert summary(matched.events) == [
        ("allocation", "C2", "F2", "100.00"),
        ("unallocated_credit", "C2", "", "30.00"),
    ]
    assert balances.credit == {"C2": Decimal("30.00")}


def test_r84_an_am04_return_reverses_the_payment_and_presents_it_again_once():
    paid = {"ref": "B8", "amount": "40.00", "txs": [{"e2e": "F1", "amount": "40.00"}]}
    balances, _ = run([paid])
    assert not balances.documents["F1"].presentable
    returned = {
        "ref": "R1",
        "amount": "40.00",
        "direction": "DBIT",
        "day": "2026-12-08",
        "txs": [{"e2e": "F1", "amount": "40.00", "reason": "AM04"}],
    }
    balances, matched = run([returned], balances, fee="7.50")
    assert summary(matched.events) == [
        ("debit_returned", "C1", "F1", "40.00"),
        ("return_fee", "C1", "F1", "7.50"),
    ]
    assert matched.events[0].detail("reason") == "AM04"
    document = balances.documents["F1"]
    assert (document.open_balance, document.presentable) == (Decimal("40.00"), True)
    assert balances.fees == {"C1": Decimal("7.50")} and balances.stopped == {}
    # presented again (a second collection), returned again: not a third time
    balances.apply(_collected("F1", "C1", "40.00"))
    again = {**returned, "ref": "R2"}
    balances, matched = run([again], balances)
    assert not balances.documents["F1"].presentable


def test_r84_an_md01_return_stops_the_customers_debits():
    paid = {"ref": "B9", "amount": "40.00", "txs": [{"e2e": "F1", "amount": "40.00"}]}
    balances, _ = run([paid])
    returned = {
        "ref": "R3",
        "amount": "40.00",
        "direction": "DBIT",
        "txs": [{"e2e": "F1", "amount": "40.00", "reason": "MD01"}],
    }
    balances, matched = run([returned], balances)
    assert set(balances.stopped) == {"C1"}
    assert "arrêtés jusqu'à un nouveau mandat" in matched.outcomes[0].text


def test_r84_the_reason_is_recorded_alike_in_an_english_run(english):
    entry = {"ref": "B5", "amount": "12.34", "txs": [{"amount": "12.34", "name": "Inconnu"}]}
    _, matched = run([entry])
    assert matched.events[1].detail("reason").startswith("ni prélèvement")
    assert matched.outcomes[0].text == (
        "no collection, no invoice named, no customer recognised (IBAN or name)"
    )


def test_r84_a_stopped_customer_is_not_collected_until_a_new_mandate():
    paid = {"ref": "B9", "amount": "40.00", "txs": [{"e2e": "F1", "amount": "40.00"}]}
    balances, _ = run([paid])
    returned = {
        "ref": "R3",
        "amount": "40.00",
        "direction": "DBIT",
        "day": "2026-12-08",
        "txs": [{"e2e": "F1", "amount": "40.00", "reason": "AC04"}],
    }
    balances, _ = run([returned], balances)
    balances.apply(
        _invoice(
            "F4",
            "C1",
            "40.00",
            "2026-12-20",
            payment_method="sepa_debit",
            mandate_id="RUM-C1-001",
            debit_date="2026-12-20",
        )
    )
    old = {"mandate_id": "RUM-C1-001", "customer_id": "C1", "iban": IBAN_C1, "scheme": "CORE"}
    old["signed_on"], old["revoked_on"] = date(2026, 1, 15), None
    reference = {
        **REFERENCE,
        "ref_mandates": SimpleNamespace(rows=[old], where=lambda i: ("mandates.csv", i + 2)),
    }
    day = date(2026, 12, 16)
    assert plan_collection(balances, day, reference, 5) == []  # neither F1 (AC04) nor F4
    # F4 is reported as left out (F1 was presented once and returned AC04: not presentable)
    assert [(d.number, r.detail("reason")) for d, r in stopped_invoices(
        balances, day, reference, 5)] == [("F4", "AC04")]  # fmt: skip
    new = {**old, "mandate_id": "RUM-C1-002", "signed_on": date(2026, 12, 10)}
    reference["ref_mandates"].rows.append(new)
    assert [t.invoice_number for t in plan_collection(balances, day, reference, 5)] == ["F4"]


def test_r84_the_three_totals_equal_the_files_credits():
    entries = [
        {"ref": "C1", "amount": "40.00", "txs": [{"e2e": "F1", "amount": "40.00"}]},
        {  # a batch entry: two transaction details
            "ref": "C2",
            "amount": "142.34",
            "txs": [
                {"ref": "C2-1", "amount": "130.00", "ustrd": "F2"},
                {"ref": "C2-2", "amount": "12.34", "name": "Inconnu"},
            ],
        },
    ]
    _, matched = run(entries, kind="053")
    kinds = {k: Decimal("0.00") for k in (ALLOCATION, UNALLOCATED_CREDIT, SUSPENSE)}
    for e in matched.events:
        if e.kind in kinds:
            kinds[e.kind] += e.amount
    assert kinds == {
        ALLOCATION: Decimal("140.00"),
        UNALLOCATED_CREDIT: Decimal("30.00"),
        SUSPENSE: Decimal("12.34"),
    }
    assert sum(kinds.values()) == Decimal("182.34")  # 40.00 + 142.34, the file's credits


def test_r84_a_usd_amount_an_entry_without_amount_and_a_non_statement_are_refused():
    usd = camt([{"ref": "U1", "amount": "10.00", "ccy": "USD", "txs": []}])
    with pytest.raises(InputError) as err:
        parse_statement("usd.xml", usd)
    assert str(err.value) == "usd.xml : entrée U1 : montant en USD, seul l'euro est accepté (R84)"
    with pytest.raises(InputError, match="entrée N1 : pas de montant"):
        parse_statement("n.xml", camt([{"ref": "N1", "txs": []}]))
    with pytest.raises(InputError, match="ce n'est pas un relevé camt"):
        parse_statement("x.xml", b"<Document xmlns='urn:other'/>")


def test_r84_the_plain_csv_names_its_customer():
    data = (
        b"date,amount,customer_id,reference,label\n"
        b"2026-12-04,100.00,C2,CHQ-1,cheque\n"
        b"2026-12-04,25.00,C2,CHQ-2,acompte\n"
    )
    lines = parse_statement("cheques.csv", data)
    balances = books()
    matched = match_lines(balances, lines, REFERENCE, Decimal("0.00"))
    assert summary(matched.events) == [
        ("allocation", "C2", "F2", "100.00"),
        ("unallocated_credit", "C2", "", "25.00"),
    ]


# --- the command ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("payments"))
    _debited(ws, [MANDATE])
    ws.bill_months("2026-09", "2026-10")
    assert collect(ws, "2026-11-26").exit_code == 0  # F2026-000001 and -000002, 30.00 each
    return ws


@pytest.fixture
def ws2(collected, tmp_path) -> Workspace:
    return collected.copy(tmp_path / "copy")


def payments(ws: Workspace, *files: Path):
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    return cli("payments", *(a for f in files for a in ("--import", str(f))), *folders)


def _journal_events(ws: Workspace) -> list[dict]:
    return [
        e
        for p in sorted((ws.out / "receivables" / "journal").glob("*.json"))
        for e in json.loads(p.read_text())["events"]
    ]


BATCH = {
    "ref": "BQ-001",
    "amount": "60.00",
    "day": "2026-12-01",
    "txs": [
        {"ref": "BQ-001-1", "e2e": "F2026-000001", "amount": "30.00"},
        {"ref": "BQ-001-2", "e2e": "F2026-000002", "amount": "30.00"},
    ],
}


def test_r84_the_command_imports_once_and_the_same_file_again_changes_nothing(ws2, tmp_path):
    statement = tmp_path / "camt054.xml"
    statement.write_bytes(camt([BATCH]))
    first = payments(ws2, statement)
    assert first.exit_code == 0, first.output
    assert "encaissements 60.00 EUR = affecté 60.00 + non affecté 0.00 + en attente 0.00" in (
        first.output
    )
    paid = [(e["document"], e["amount"]) for e in _journal_events(ws2) if e["kind"] == ALLOCATION]
    assert paid == [("F2026-000001", "30.00"), ("F2026-000002", "30.00")]
    before = tree(ws2.out)
    again = payments(ws2, statement)
    assert again.exit_code == 0
    assert "déjà importé" in again.output
    assert tree(ws2.out) == before


def test_r84_a_usd_entry_stops_the_import_and_nothing_of_it_is_recorded(ws2, tmp_path):
    good = tmp_path / "good.xml"
    good.write_bytes(camt([BATCH]))
    bad = tmp_path / "usd.xml"
    bad.write_bytes(camt([{"ref": "US-9", "amount": "5.00", "ccy": "USD", "txs": []}]))
    before = tree(ws2.out)
    result = payments(ws2, good, bad)
    assert result.exit_code == 2
    assert f"{bad} : entrée US-9 : montant en USD" in result.output
    assert tree(ws2.out) == before


def test_r84_an_am04_return_is_presented_again_by_the_next_collect(ws2, tmp_path):
    statement = tmp_path / "paid.xml"
    statement.write_bytes(camt([BATCH]))
    assert payments(ws2, statement).exit_code == 0
    returned = tmp_path / "return.xml"
    returned.write_bytes(
        camt(
            [
                {
                    "ref": "RT-1",
                    "amount": "30.00",
                    "direction": "DBIT",
                    "day": "2026-12-08",
                    "txs": [{"e2e": "F2026-000002", "amount": "30.00", "reason": "AM04"}],
                }
            ]
        )
    )
    result = payments(ws2, returned)
    assert result.exit_code == 0, result.output
    assert "F2026-000002 retourné (AM04)" in result.output
    again = collect(ws2, "2026-12-10")
    assert again.exit_code == 0, again.output
    assert "F2026-000002" in again.output and "F2026-000001" not in again.output
    assert "rien à prélever" in collect(ws2, "2026-12-20").output


def _assign(ws: Workspace, *args: str):
    folders = ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))
    return cli("payments", "--assign", *args, *folders)


def test_r84_the_assign_command_records_once(ws2, tmp_path: Path):
    statement = tmp_path / "unknown.xml"
    statement.write_bytes(
        camt([{"ref": "UK-1", "amount": "30.00", "txs": [{"amount": "30.00", "name": "X"}]}])
    )
    assert payments(ws2, statement).exit_code == 0
    done = _assign(
        ws2, "UK-1", "--customer", "C1", "--invoice", "F2026-000002", "--date", "2026-12-05"
    )
    assert done.exit_code == 0, done.output
    assert "UK-1 affecté au client C1 : F2026-000002 30.00" in done.output
    kinds = [(e["kind"], e["document"], e["amount"]) for e in _journal_events(ws2)[-2:]]
    assert kinds == [
        (SUSPENSE_ASSIGNED, "F2026-000002", "30.00"),
        (ALLOCATION, "F2026-000002", "30.00"),
    ]
    before = tree(ws2.out)
    # the same decision again changes nothing; another one is refused
    same = _assign(
        ws2, "UK-1", "--customer", "C1", "--invoice", "F2026-000002", "--date", "2026-12-06"
    )
    assert same.exit_code == 0, same.output
    assert "UK-1 déjà affecté au client C1 (rien n'est écrit)" in same.output
    again = _assign(ws2, "UK-1", "--customer", "C1", "--date", "2026-12-05")
    assert again.exit_code == 2
    assert "UK-1 déjà affecté au client C1 le 2026-12-05" in again.output
    assert tree(ws2.out) == before
