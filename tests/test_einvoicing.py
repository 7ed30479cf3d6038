"""The e-invoicing platform (issue 30): deposit (R94), lifecycle statuses (R95), 212
"Encaissée" (R96), e-reporting (R97).

The workspace (billed once per module, slow tests): C1 (France, SIREN 732829320) 25.00 HT a
month = 30.00 TTC (20 %); C2 (Belgium, VAT BE0403019261, reverse charge) 40.00 HT = 40.00
TTC; C3 (Switzerland, outside the EU) 50.00 HT = 50.00 TTC. September's invoices, dated
2026-10-01: F2026-000001 (C1), F2026-000002 (C2), F2026-000003 (C3); October's, dated
2026-11-01: F2026-000004, F2026-000005, F2026-000006.

Fast tests work on hand-built documents and events; the CDAR/Flux 10 validations (saxon) and
the runs of the command line are marked slow.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Workspace, cli, write_rows
from hypothesis import given, settings
from hypothesis import strategies as st
from platform_server import CLIENT_SECRET, LocalPlatform

from pipeline.core.errors import InputError
from pipeline.einvoicing import frctc
from pipeline.einvoicing.cdar import Party, status_fields
from pipeline.einvoicing.documents import CREDIT_NOTE, INVOICE, IssuedDocument
from pipeline.einvoicing.encaissee import Collected, collected, export_events, message_fields
from pipeline.einvoicing.ereporting import (
    TRANSACTIONS,
    Payment,
    cadence_periods,
    payments_due,
    payments_fields,
    reported_events,
    transactions_due,
    transactions_fields,
)
from pipeline.einvoicing.lifecycle import (
    UNKNOWN_CODE,
    UNKNOWN_DOCUMENT,
    dunning_suspended,
    latest,
    status_event,
    status_events,
    to_correct,
    to_deposit,
)
from pipeline.einvoicing.platform import (
    DEPOSITED,
    FAILED,
    REFUSED,
    Platform,
    config_from_environment,
)
from pipeline.ledger import einvoicing as ledger_einvoicing
from pipeline.ledger import journal as ledger_journal
from pipeline.receivables.journal import (
    ALLOCATION,
    DEBIT_RETURNED,
    DOCUMENT_ISSUED,
    EREPORTED,
    LIFECYCLE_STATUS,
    PAYMENT_RECEIVED,
    STATUS_EXPORTED,
    STATUS_SENT,
    Event,
    Journal,
    JournalFile,
    details,
)

SELLER = Party("Test Telecom SAS", "732829320", role="SE")
BUYER = Party("Alpha SARL", "732829320", role="BY")


def doc(number: str, customer: str = "C1", month: str = "2026-09", **kw) -> IssuedDocument:
    values = dict(
        number=number,
        type=INVOICE,
        customer_id=customer,
        date=date(2026, 10, 1),
        month=month,
        folder=month,
        ht=Decimal("25.00"),
        vat=Decimal("5.00"),
        ttc=Decimal("30.00"),
        vat_rate=Decimal("20.00"),
        vat_mention="",
        original_invoice="",
        original_date="",
        period_start="",
        period_end="",
    )
    values.update(kw)
    return IssuedDocument(**values)


def cdar_status(number: str, code: str, label: str, message: str, day=date(2026, 11, 5)):
    return frctc.CdarStatus(
        message, datetime(day.year, day.month, day.day), number, code, label, "", "motif", None, ""
    )


def cdar_file(path: Path, number: str, code: str, label: str, message: str, **kw) -> Path:
    fields, percents = status_fields(
        message_id=message,
        day=kw.pop("day", date(2026, 11, 5)),
        issuer=BUYER,
        recipient=SELLER,
        document=number,
        type_code="380",
        document_date=date(2026, 10, 1),
        seller_siren=SELLER.siren,
        code=code,
        label=label,
        **kw,
    )
    path.write_bytes(frctc.cdar_xml(fields, percents))
    return path


# --- R95: statuses, pure ----------------------------------------------------------------------


def test_r95_every_status_is_recorded_an_unknown_document_or_code_with_its_problem():
    documents = {"F2026-000001": doc("F2026-000001")}
    read = [
        cdar_status("F2026-000001", "210", "Refusée", "M1"),
        cdar_status("F2099-000001", "210", "Refusée", "M1"),
        cdar_status("F2026-000001", "299", "?", "M2"),
    ]
    out = status_events(
        read,
        documents,
        [],
        source="import",
        source_file="a.xml",
        source_sha256="abc",
        fallback_day=date(2026, 12, 1),
    )
    assert [o.problem for o in out] == ["", UNKNOWN_DOCUMENT, UNKNOWN_CODE]
    assert all(o.event is not None for o in out)  # never dropped
    first = out[0].event
    assert (first.document, first.customer_id, first.date) == (
        "F2026-000001",
        "C1",
        date(2026, 11, 5),
    )
    assert (first.detail("code"), first.detail("label"), first.detail("reason")) == (
        "210",
        "Refusée",
        "motif",
    )
    assert out[1].event.customer_id == ""  # unknown document: no customer
    # the same statuses again: nothing new
    again = status_events(
        read,
        documents,
        [o.event for o in out],
        source="import",
        source_file="b.xml",
        source_sha256="def",
        fallback_day=date(2026, 12, 1),
    )
    assert [o.event for o in again] == [None, None, None]


def _status(number: str, code: str, day: date, source: str = "import") -> Event:
    return status_event(
        document=number,
        customer_id="C1",
        day=day,
        code=code,
        reason="",
        source=source,
        source_file="f",
        source_sha256="",
        entry=f"{number}/{code}/{day}",
    )


def test_r95_207_and_210_suspend_dunning_210_and_213_latest_need_a_correction():
    events = [
        _status("F1", "200", date(2026, 10, 1), "deposit"),
        _status("F1", "210", date(2026, 10, 5)),
        _status("F2", "207", date(2026, 10, 5)),
        _status("F3", "213", date(2026, 10, 2), "deposit"),
        _status("F4", "210", date(2026, 10, 5)),
        _status("F4", "205", date(2026, 10, 9)),  # approved after: no longer to correct
    ]
    assert dunning_suspended(events) == {"F1", "F2", "F4"}
    assert [e.document for e in to_correct(events)] == ["F1", "F3"]
    assert {k: v.detail("code") for k, v in latest(events).items()} == {
        "F1": "210",
        "F2": "207",
        "F3": "213",
        "F4": "205",
    }
    assert all(e.kind == LIFECYCLE_STATUS for e in events)


# --- R94: what to deposit, pure ---------------------------------------------------------------


def test_r94_each_document_of_the_month_is_deposited_once():
    documents = {
        "F2026-000001": doc("F2026-000001"),
        "AV2026-000001": doc("AV2026-000001", type=CREDIT_NOTE),
        "F2026-000004": doc("F2026-000004", month="2026-10"),
    }
    events = [_status("F2026-000001", "200", date(2026, 10, 2), "deposit")]
    assert [d.number for d in to_deposit(documents, events, "2026-09")] == ["AV2026-000001"]
    # refused at deposit (213) is not deposited again either
    events.append(_status("AV2026-000001", "213", date(2026, 10, 2), "deposit"))
    assert to_deposit(documents, events, "2026-09") == []
    # an imported status is not a deposit
    assert [
        d.number
        for d in to_deposit(
            documents, [_status("F2026-000004", "210", date(2026, 11, 5))], "2026-10"
        )
    ] == ["F2026-000004"]


# --- the workspace: three customers, two months billed once -------------------------------------


def _customers(ws: Workspace) -> None:
    ws.add_rows(
        "customers.csv",
        [["C3", "Gamma AG", "CH", "false", "false", "", "CHE-116.281.710 MWST", "Zürich"]],
    )
    provider = ws.data / "provider.toml"
    provider.write_text(
        provider.read_text() + 'platform_matricule = "0111"\nplatform_name = "PA Test"\n',
        encoding="utf-8",
    )
    ws.add_rows("sip_accounts.csv", [["sip-3", "C3"]])
    ws.add_rows(
        "subscriptions.csv",
        [
            ["S2", "C2", "PLAN_UNLIMITED", "40.00", "2026-03-10", "12", "sip-2", "", ""],
            ["S3", "C3", "PLAN_UNLIMITED", "50.00", "2026-03-10", "12", "sip-3", "", ""],
        ],
    )


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("einvoicing"))
    _customers(ws)
    ws.bill_months("2026-09", "2026-10")
    return ws


@pytest.fixture
def books(billed, tmp_path) -> Workspace:
    return billed.copy(tmp_path / "copy")


def folders(ws: Workspace) -> tuple[str, ...]:
    return ("--data", str(ws.data), "--out", str(ws.out), "--rates", str(ws.rates))


def journal_events(ws: Workspace, kind: str) -> list[dict]:
    found = []
    for path in sorted((ws.out / "receivables" / "journal").glob("*.json")):
        found += [e for e in json.loads(path.read_text())["events"] if e["kind"] == kind]
    return found


@pytest.mark.slow
def test_r95_a_210_imported_is_checked_recorded_stops_dunning_and_is_listed_for_correction(
    books, tmp_path
):
    refused = cdar_file(
        tmp_path / "refus.xml",
        "F2026-000001",
        "210",
        "Refusée",
        "CDV-210-1",
        reasons=[("TX_TVA_ERR", "Taux de TVA erroné")],
    )
    unknown = cdar_file(tmp_path / "inconnu.xml", "F2099-000009", "205", "Approuvée", "CDV-205-1")
    result = cli("statuses", "--import", str(refused), str(unknown), *folders(books))
    assert result.exit_code == 0, result.output
    assert "refus.xml F2026-000001 210 Refusée : enregistré" in result.output
    assert (
        "inconnu.xml F2099-000009 205 Approuvée : document inconnu, enregistré à vérifier"
        in result.output
    )
    assert (
        "à corriger (R95) : F2026-000001 C1 210 Refusée 2026-11-05 (Taux de TVA erroné)"
        in result.output
    )
    events = journal_events(books, LIFECYCLE_STATUS)
    assert [(e["document"], e["details"]["code"], e["date"]) for e in events] == [
        ("F2026-000001", "210", "2026-11-05"),
        ("F2099-000009", "205", "2026-11-05"),
    ]
    assert events[0]["details"]["reason_code"] == "TX_TVA_ERR"
    assert events[0]["source"]["file"] == "refus.xml"
    # the dunning stage's rule: 207/210 recorded for the document
    assert dunning_suspended([Event.from_json(e) for e in events]) == {"F2026-000001"}
    rows = list(csv.DictReader(open(books.out / "einvoicing" / "to_correct.csv", encoding="utf-8")))
    assert [(r["document_number"], r["code"], r["reason"]) for r in rows] == [
        ("F2026-000001", "210", "Taux de TVA erroné")
    ]
    problems = list(
        csv.DictReader(open(books.out / "einvoicing" / "status_problems.csv", encoding="utf-8"))
    )
    assert [(r["document_number"], r["problem"]) for r in problems] == [
        ("F2099-000009", "unknown_document")
    ]
    # imported again: nothing new, the journal unchanged
    journal = sorted((books.out / "receivables" / "journal").glob("*.json"))
    again = cli("statuses", "--import", str(refused), *folders(books))
    assert again.exit_code == 0
    assert "déjà enregistré" in again.output and "rien de nouveau" in again.output
    assert sorted((books.out / "receivables" / "journal").glob("*.json")) == journal


@pytest.mark.slow
def test_r95_a_message_that_fails_the_cdv_schematron_stops_the_import(books, tmp_path):
    # a 212 without its amount and VAT rate breaks BR-FR-CDV-14
    bad = cdar_file(tmp_path / "bad.xml", "F2026-000001", "212", "Encaissée", "CDV-212-1")
    good = cdar_file(tmp_path / "good.xml", "F2026-000004", "205", "Approuvée", "CDV-205-2")
    result = cli("statuses", "--import", str(good), str(bad), *folders(books))
    assert result.exit_code == 2
    assert f"{bad}" in result.output and "BR-FR-CDV-14" in result.output
    assert journal_events(books, LIFECYCLE_STATUS) == []


# --- R96: 212 "Encaissée" ---------------------------------------------------------------------


def _event(kind: str, number: str, amount: str, day: date, **extra) -> Event:
    return Event(
        kind, day, "C1", number, Decimal(amount), "f", "", f"{number}/{amount}", details(**extra)
    )


def _journal_file(number: int, events: list[Event]) -> JournalFile:
    return JournalFile(number, f"{number:06d}-x.json", "", "test", tuple(events))


def test_r96_a_212_for_each_payment_on_an_invoice_with_french_vat_and_a_negative_one_for_a_return():
    documents = {
        "F1": doc("F1"),  # 30.00 TTC at 20 %
        "F2": doc(
            "F2", customer="C2", vat=Decimal("0.00"), vat_rate=Decimal("0.00"), ttc=Decimal("25.00")
        ),
    }
    files = [
        _journal_file(
            1,
            [
                _event(DOCUMENT_ISSUED, "F1", "30.00", date(2026, 10, 1)),
                _event(
                    ALLOCATION, "F1", "5.00", date(2026, 10, 1), credit_note="AV1"
                ),  # not a payment
            ],
        ),
        _journal_file(
            2,
            [
                _event(PAYMENT_RECEIVED, "", "12.00", date(2026, 10, 15)),
                _event(ALLOCATION, "F1", "12.00", date(2026, 10, 15), payment="e1"),  # partial
                _event(
                    ALLOCATION, "F2", "25.00", date(2026, 10, 15), payment="e2"
                ),  # no French VAT
            ],
        ),
        _journal_file(
            3,
            [
                _event(ALLOCATION, "F1", "13.00", date(2026, 10, 31), payment="e3"),  # the rest
                _event(DEBIT_RETURNED, "F1", "13.00", date(2026, 11, 4), reason="AM04"),
            ],
        ),
    ]
    found = collected(files, documents, date(2026, 11, 4), vat_on_debits=False)
    assert [(c.key, c.invoice.number, c.day, c.amount, c.returned) for c in found] == [
        ("000002#1", "F1", date(2026, 10, 15), Decimal("12.00"), False),
        ("000003#0", "F1", date(2026, 10, 31), Decimal("13.00"), False),  # 12 + 13 = 25 paid
        ("000003#1", "F1", date(2026, 11, 4), Decimal("-13.00"), True),  # the return undoes it
    ]
    assert found[0].message_id == "F1-212-000002-1"
    # up to D only; the day before the return
    assert [c.key for c in collected(files, documents, date(2026, 11, 3), False)] == [
        "000002#1",
        "000003#0",
    ]
    # VAT on debits: VAT was due at invoicing, nothing to say
    assert collected(files, documents, date(2026, 11, 4), vat_on_debits=True) == []
    # each exported once: a status_exported event with the key
    exported = _journal_file(4, export_events(found[0], "einvoicing/statuses/x/a.xml", "sha", "x"))
    again = collected([*files, exported], documents, date(2026, 11, 4), False)
    assert [c.key for c in again] == ["000003#0", "000003#1"]
    assert [e.kind for e in exported.events] == [STATUS_EXPORTED, LIFECYCLE_STATUS]
    assert exported.events[1].detail("code") == "212"


def test_r96_a_customers_credit_from_an_earlier_payment_is_encaissee_when_allocated():
    # R85: an overpayment's 7.00 credit given to F1 on its issue (2026-11-01): the money was
    # received, VAT due on receipt: a 212 of 7.00 on the allocation's date; a credit note's
    # allocation is not money received
    documents = {"F1": doc("F1")}
    files = [
        _journal_file(
            1,
            [
                _event(DOCUMENT_ISSUED, "F1", "30.00", date(2026, 11, 1)),
                _event(ALLOCATION, "F1", "7.00", date(2026, 11, 1), credit="e9"),
                _event(ALLOCATION, "F1", "3.00", date(2026, 11, 1), credit_note="AV1"),
            ],
        )
    ]
    found = collected(files, documents, date(2026, 11, 30), vat_on_debits=False)
    assert [(c.key, c.day, c.amount) for c in found] == [
        ("000001#1", date(2026, 11, 1), Decimal("7.00"))
    ]


@pytest.mark.slow
def test_r96_the_messages_of_a_partial_payment_a_full_one_and_a_return_pass_the_xsd_and_cdv():
    validator = frctc.Validator()
    invoice = doc("F2026-000001")
    for amount, returned in (("12.00", False), ("30.00", False), ("-18.00", True)):
        c = Collected("000002#1", invoice, date(2026, 10, 15), Decimal(amount), returned)
        xml = frctc.cdar_xml(*message_fields(c, SELLER, BUYER))
        assert validator.check_cdar(xml) == []
        (status,) = frctc.read_cdar(xml)
        assert (status.code, status.amount, status.document) == (
            "212",
            Decimal(amount),
            "F2026-000001",
        )
        assert b"<ram:ValuePercent>20.00</ram:ValuePercent>" in xml


@pytest.mark.slow
def test_r96_export_writes_each_212_once_for_a_partial_and_a_full_payment(books, tmp_path):
    # F2026-000001 (C1, 30.00 TTC): 12.00 then 18.00; F2026-000002 (C2, reverse charge): no 212
    payments = tmp_path / "cheques.csv"
    write_rows(
        payments,
        [
            ["date", "amount", "customer_id", "reference", "label"],
            ["2026-10-15", "12.00", "C1", "CHQ-1", "acompte F2026-000001"],
            ["2026-10-20", "18.00", "C1", "CHQ-2", "solde F2026-000001"],
            ["2026-10-20", "40.00", "C2", "VIR-3", "F2026-000002"],
        ],
    )
    imported = cli("payments", "--import", str(payments), *folders(books))
    assert imported.exit_code == 0, imported.output
    result = cli("statuses", "--export", "--date", "2026-10-31", *folders(books))
    assert result.exit_code == 0, result.output
    assert "F2026-000001 C1 212 2026-10-15 12.00 (TVA 20.00 %)" in result.output
    assert "F2026-000001 C1 212 2026-10-20 18.00 (TVA 20.00 %)" in result.output
    assert "F2026-000002" not in result.output
    folder = books.out / "einvoicing" / "statuses" / "2026-10-31-01"
    files = sorted(folder.glob("*.xml"))
    assert len(files) == 2
    validator = frctc.Validator()
    amounts = []
    for path in files:
        assert validator.check_cdar(path.read_bytes()) == []
        amounts += [s.amount for s in frctc.read_cdar(path.read_bytes())]
    assert sorted(amounts) == [Decimal("12.00"), Decimal("18.00")]  # 12 + 18 = 30.00 TTC
    exported = journal_events(books, STATUS_EXPORTED)
    assert [(e["document"], e["amount"]) for e in exported] == [
        ("F2026-000001", "12.00"),
        ("F2026-000001", "18.00"),
    ]
    # the document's latest status is now 212
    statuses = [Event.from_json(e) for e in journal_events(books, LIFECYCLE_STATUS)]
    assert latest(statuses)["F2026-000001"].detail("code") == "212"
    # again: nothing new, nothing written
    again = cli("statuses", "--export", "--date", "2026-10-31", *folders(books))
    assert again.exit_code == 0
    assert "aucun message 212 à écrire" in again.output
    assert sorted(p.name for p in (books.out / "einvoicing" / "statuses").iterdir()) == [
        "2026-10-31-01"
    ]


# --- R94: the platform client against the local platform --------------------------------------


@pytest.fixture
def platform_server(monkeypatch):
    server = LocalPlatform().start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def _client(server: LocalPlatform, timeout: float = 5.0) -> Platform:
    return Platform(config_from_environment(server.env(timeout)))


def test_r94_a_deposit_gets_a_token_then_its_flow_id(platform_server):
    client = _client(platform_server)
    answer = client.deposit(b"%PDF-1.7 one", "F2026-000001.pdf", "Factur-X")
    assert (answer.outcome, answer.flow_id, answer.http_status) == (DEPOSITED, "FLOW-0001", 202)
    assert platform_server.deposits == [("F2026-000001.pdf", "Factur-X")]
    assert platform_server.files["FLOW-0001"] == b"%PDF-1.7 one"
    assert client.session.tokens_fetched == 1
    assert client.flow_acknowledgement("FLOW-0001") == ("Pending", "")


def test_r94_a_401_fetches_a_new_token_and_repeats_the_call_once(platform_server):
    client = _client(platform_server)
    client.deposit(b"first", "F2026-000001.pdf", "Factur-X")
    platform_server.script("F2026-000002.pdf", "401")  # the platform revokes the token
    answer = client.deposit(b"second", "F2026-000002.pdf", "Factur-X")
    assert answer.outcome == DEPOSITED
    assert client.session.tokens_fetched == 2
    assert platform_server.files[answer.flow_id] == b"second"  # the body sent again whole
    assert [c for c in platform_server.calls if c[1] == "/afnor-flow/v1/flows"] == [
        ("POST", "/afnor-flow/v1/flows", 202),
        ("POST", "/afnor-flow/v1/flows", 401),
        ("POST", "/afnor-flow/v1/flows", 202),
    ]


def test_r94_422_is_a_refusal_500_and_a_time_out_are_failures(platform_server):
    platform_server.script("F1.pdf", "422")
    platform_server.script("F2.pdf", "500")
    platform_server.script("F3.pdf", "timeout")
    platform_server.slow_seconds = 0.6
    client = _client(platform_server, timeout=0.2)
    refused = client.deposit(b"x", "F1.pdf", "Factur-X")
    assert (refused.outcome, refused.http_status) == (REFUSED, 422)
    assert refused.reason == "INVALID_FLOW: F1.pdf: BR-FR-12 buyer electronic address missing"
    failed = client.deposit(b"x", "F2.pdf", "Factur-X")
    assert (failed.outcome, failed.http_status, failed.fatal) == (FAILED, 500, False)
    late = client.deposit(b"x", "F3.pdf", "Factur-X")
    assert (late.outcome, late.http_status, late.fatal) == (FAILED, None, True)
    assert "Timeout" in late.reason or "timed out" in late.reason
    assert platform_server.deposits == []


def test_r94_wrong_credentials_fail_without_a_deposit(platform_server):
    env = {**platform_server.env(), "BILLING_PA_CLIENT_SECRET": "wrong"}
    answer = Platform(config_from_environment(env)).deposit(b"x", "F1.pdf", "Factur-X")
    assert (answer.outcome, answer.fatal) == (FAILED, True)
    assert platform_server.deposits == []


def test_r94_without_a_configured_platform_nothing_is_sent_exit_2(monkeypatch, tmp_path):
    for name in ("BILLING_PA_URL", "BILLING_PA_CLIENT_ID", "BILLING_PA_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    result = cli("send", "--month", "2026-09", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "erreur : aucune plateforme agréée configurée (BILLING_PA_URL, BILLING_PA_CLIENT_ID, "
        "BILLING_PA_CLIENT_SECRET absent de l'environnement) : rien n'est envoyé (R94, "
        "docs/einvoicing.md)"
    ]
    assert not (tmp_path / "out").exists()


def test_r94_the_platform_url_must_be_https_except_on_the_loopback():
    env = {
        "BILLING_PA_URL": "http://pa.example.fr",
        "BILLING_PA_CLIENT_ID": "a",
        "BILLING_PA_CLIENT_SECRET": "b",
    }
    with pytest.raises(InputError, match="https://"):
        config_from_environment(env)
    config = config_from_environment({**env, "BILLING_PA_URL": "https://pa.example.fr/"})
    assert (config.url, config.token_url, config.timeout) == (
        "https://pa.example.fr",
        "https://pa.example.fr/oauth2/token",
        30.0,
    )
    assert "b" not in repr(config)  # the secret is never printed


@pytest.mark.slow
def test_r94_send_deposits_each_document_once_401_refreshed_422_recorded_213_500_retried(
    books, platform_server
):
    platform_server.script("F2026-000001.pdf", "401")
    platform_server.script("F2026-000002.pdf", "422")
    platform_server.script("F2026-000003.pdf", "500")
    first = cli("send", "--month", "2026-09", *folders(books))
    assert first.exit_code == 1, first.output
    assert "F2026-000001 C1 : 200 Déposée (flux FLOW-0001)" in first.output
    assert (
        "F2026-000002 C2 : 213 Rejetée (INVALID_FLOW: F2026-000002.pdf: BR-FR-12 buyer "
        "electronic address missing)"
    ) in first.output
    assert "F2026-000003 C3 : échec, réessayé au prochain envoi (HTTP 500" in first.output
    assert "2026-09 : 1 déposé(s), 1 rejeté(s), 1 en échec" in first.output
    assert platform_server.issued_tokens == 2  # the 401 made the client fetch a new token
    pdf = (books.out / "2026-09" / "documents" / "F2026-000001.pdf").read_bytes()
    assert platform_server.files["FLOW-0001"] == pdf
    statuses = journal_events(books, LIFECYCLE_STATUS)
    assert [
        (e["document"], e["details"]["code"], e["details"].get("flow_id", "")) for e in statuses
    ] == [
        ("F2026-000001", "200", "FLOW-0001"),
        ("F2026-000002", "213", ""),
    ]
    assert statuses[1]["details"]["reason"].startswith("INVALID_FLOW")
    rows = list(csv.DictReader(open(books.out / "einvoicing" / "to_correct.csv", encoding="utf-8")))
    assert [(r["document_number"], r["code"]) for r in rows] == [("F2026-000002", "213")]
    # no credential or token under OUT
    for path in books.out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert CLIENT_SECRET.encode() not in data and b"token-1" not in data
    # the next run: only the failed one, deposited now
    second = cli("send", "--month", "2026-09", *folders(books))
    assert second.exit_code == 0, second.output
    assert "F2026-000003 C3 : 200 Déposée (flux FLOW-0002)" in second.output
    # then nothing: never sent twice
    third = cli("send", "--month", "2026-09", *folders(books))
    assert third.exit_code == 0
    assert "tous les documents sont déjà déposés" in third.output
    assert platform_server.deposits == [
        ("F2026-000001.pdf", "Factur-X"),
        ("F2026-000003.pdf", "Factur-X"),
    ]


@pytest.mark.slow
def test_r95_fetch_records_the_platform_statuses_once(books, platform_server, tmp_path):
    refused = cdar_file(
        tmp_path / "r.xml",
        "F2026-000004",
        "210",
        "Refusée",
        "CDV-LC-1",
        reasons=[("TX_TVA_ERR", "Taux de TVA erroné")],
    )
    approved = cdar_file(tmp_path / "a.xml", "F2026-000005", "205", "Approuvée", "CDV-LC-2")
    platform_server.add_lifecycle(refused.read_bytes(), "r.xml", "2026-11-05T10:00:00.000Z")
    platform_server.add_lifecycle(approved.read_bytes(), "a.xml", "2026-11-06T10:00:00.000Z")
    result = cli("statuses", "--fetch", *folders(books))
    assert result.exit_code == 0, result.output
    assert "LC-0001 F2026-000004 210 Refusée : enregistré" in result.output
    assert (
        "à corriger (R95) : F2026-000004 C1 210 Refusée 2026-11-05 (Taux de TVA erroné)"
        in result.output
    )
    events = journal_events(books, LIFECYCLE_STATUS)
    assert [
        (e["document"], e["details"]["code"], e["details"]["flow_id"], e["details"]["source"])
        for e in events
    ] == [
        ("F2026-000004", "210", "LC-0001", "fetch"),
        ("F2026-000005", "205", "LC-0002", "fetch"),
    ]
    again = cli("statuses", "--fetch", *folders(books))
    assert again.exit_code == 0
    assert "rien de nouveau" in again.output
    searches = [c for c in platform_server.calls if c[1] == "/afnor-flow/v1/flows/search"]
    assert len(searches) == 2


# --- R97: e-reporting --------------------------------------------------------------------------


def test_r97_cadence_ten_days_for_transactions_a_month_for_payments_whole_periods_only():
    october = (date(2026, 10, 1), date(2026, 10, 31))
    assert cadence_periods(*october, "out_transaction", "normal_monthly") == [
        (date(2026, 10, 1), date(2026, 10, 10)),
        (date(2026, 10, 11), date(2026, 10, 20)),
        (date(2026, 10, 21), date(2026, 10, 31)),  # 21 to the month's end
    ]
    assert cadence_periods(*october, "payment", "normal_monthly") == [october]
    assert cadence_periods(*october, "out_transaction", "simplified") == [october]
    # a range that cuts a period: only the whole ones (February 2027 has 28 days)
    assert cadence_periods(date(2026, 10, 5), date(2027, 2, 28), "payment", "normal_quarterly") == [
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 31)),
        (date(2027, 2, 1), date(2027, 2, 28)),
    ]
    assert (
        cadence_periods(date(2026, 10, 2), date(2026, 10, 19), "out_transaction", "normal_monthly")
        == []
    )


CUSTOMERS = {
    "C1": {"customer_id": "C1", "country": "FR", "name": "Alpha SARL"},
    "C2": {"customer_id": "C2", "country": "BE", "vat_number": "BE0403019261", "name": "Beta BV"},
    "C4": {"customer_id": "C4", "country": "DE", "name": "Müller Logistik GmbH"},  # no VAT number
    "C3": {
        "customer_id": "C3",
        "country": "CH",
        "vat_number": "CHE-116.281.710 MWST",
        "name": "Gamma AG",
    },
}
PROVIDER = {
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "name": "Test Telecom SAS",
    "platform_matricule": "0111",
    "platform_name": "PA Test",
}


def _foreign_documents() -> dict[str, IssuedDocument]:
    zero = {"vat": Decimal("0.00"), "vat_rate": Decimal("0.00")}
    return {
        "F2026-000001": doc("F2026-000001"),  # France: not e-reported
        "F2026-000002": doc(
            "F2026-000002", "C2", ht=Decimal("40.00"), ttc=Decimal("40.00"), **zero
        ),
        "F2026-000003": doc(
            "F2026-000003", "C3", ht=Decimal("50.00"), ttc=Decimal("50.00"), **zero
        ),
        "AV2026-000001": doc(
            "AV2026-000001",
            "C3",
            type=CREDIT_NOTE,
            date=date(2026, 10, 12),
            ht=Decimal("5.00"),
            ttc=Decimal("5.00"),
            original_invoice="F2026-000003",
            original_date="2026-10-01",
            **zero,
        ),
    }


def test_r97_transactions_of_customers_outside_france_each_reported_once():
    documents = _foreign_documents()
    first = (date(2026, 10, 1), date(2026, 10, 10))
    assert [d.number for d in transactions_due(documents, CUSTOMERS, [], first)] == [
        "F2026-000002",
        "F2026-000003",
    ]
    second = (date(2026, 10, 11), date(2026, 10, 20))
    assert [d.number for d in transactions_due(documents, CUSTOMERS, [], second)] == [
        "AV2026-000001"
    ]
    events = reported_events(
        TRANSACTIONS, [documents["F2026-000002"]], [], "einvoicing/ereporting/a.xml", "sha", first
    )
    assert [(e.kind, e.entry, e.amount) for e in events] == [
        (EREPORTED, "10.1/F2026-000002", Decimal("40.00"))
    ]
    assert [d.number for d in transactions_due(documents, CUSTOMERS, events, first)] == [
        "F2026-000003"
    ]


def test_r97_payments_a_return_in_the_same_period_is_deducted_a_later_one_needs_a_correction():
    documents = _foreign_documents()
    october = (date(2026, 10, 1), date(2026, 10, 31))
    files = [
        _journal_file(
            1,
            [
                _event(ALLOCATION, "F2026-000002", "40.00", date(2026, 10, 15), payment="e1"),
                _event(ALLOCATION, "F2026-000003", "50.00", date(2026, 10, 16), payment="e2"),
                _event(ALLOCATION, "F2026-000001", "30.00", date(2026, 10, 16), payment="e3"),  # FR
                _event(DEBIT_RETURNED, "F2026-000003", "50.00", date(2026, 10, 20), reason="AM04"),
                _event(ALLOCATION, "F2026-000003", "50.00", date(2026, 10, 28), payment="e4"),
            ],
        )
    ]
    payments, left = payments_due(files, documents, CUSTOMERS, october)
    # 50.00 received on the 16th and returned on the 20th: 50 - 50 = 0, nothing received
    assert [(p.key, p.invoice.number, p.day, p.amount, p.netted) for p in payments] == [
        ("000001#0", "F2026-000002", date(2026, 10, 15), Decimal("40.00"), ()),
        ("000001#4", "F2026-000003", date(2026, 10, 28), Decimal("50.00"), ()),
    ]
    assert left == []
    # without the payment of the 28th: the 16th's payment and its return cancel, nothing of
    # F2026-000003 is reported (nothing was received)
    netted, left = payments_due(
        [_journal_file(1, files[0].events[:4])], documents, CUSTOMERS, october
    )
    assert [p.invoice.number for p in netted] == ["F2026-000002"]
    assert left == []
    # a return in November of a payment reported in October: a corrective report is needed
    november = (date(2026, 11, 1), date(2026, 11, 30))
    later = [
        *files,
        _journal_file(2, [_event(DEBIT_RETURNED, "F2026-000002", "40.00", date(2026, 11, 3))]),
    ]
    payments, left = payments_due(later, documents, CUSTOMERS, november)
    assert payments == []
    assert [(p.key, p.amount) for p in left] == [("000002#0", Decimal("-40.00"))]


def test_r97_a_customer_outside_france_without_a_vat_number_goes_to_the_days_aggregate():
    # C4 (Germany, no VAT number) pays French VAT: 100.00 HT + 20.00 on 2026-10-01, a credit
    # note of 10.00 HT + 2.00 the same day: 100 - 10 = 90.00 HT, 20 - 2 = 18.00 VAT, 2 documents
    docs = [
        doc(
            "F2026-000009", "C4", ht=Decimal("100.00"), vat=Decimal("20.00"), ttc=Decimal("120.00")
        ),
        doc(
            "AV2026-000002",
            "C4",
            type=CREDIT_NOTE,
            ht=Decimal("10.00"),
            vat=Decimal("2.00"),
            ttc=Decimal("12.00"),
            original_invoice="F2026-000009",
            original_date="2026-10-01",
        ),
        _foreign_documents()["F2026-000002"],
    ]
    period = (date(2026, 10, 1), date(2026, 10, 10))
    fields = transactions_fields(docs, CUSTOMERS, PROVIDER, period)
    assert [i["BT-1"] for i in fields["TG-8"]] == ["F2026-000002"]
    assert fields["TG-31"] == [
        {
            "TT-77": date(2026, 10, 1),
            "TT-78": "EUR",
            "TT-81": "TPS1",
            "TT-82": "90.00",
            "TT-83": "18.00",
            "TT-85": "2",
            "TG-32": [{"TT-86": "20.00", "TT-87": "90.00", "TT-88": "18.00"}],
        }
    ]


@pytest.mark.slow
def test_r97_flux_10_1_of_an_eu_reverse_charge_and_a_non_eu_invoice_and_10_2_of_their_payments_are_valid():
    documents = _foreign_documents()
    validator = frctc.Validator()
    docs = [
        documents["F2026-000002"],
        documents["F2026-000003"],
        documents["AV2026-000001"],
        doc(
            "F2026-000009", "C4", ht=Decimal("100.00"), vat=Decimal("20.00"), ttc=Decimal("120.00")
        ),
    ]
    period = (date(2026, 10, 1), date(2026, 10, 31))
    xml = frctc.transactions_xml(transactions_fields(docs, CUSTOMERS, PROVIDER, period))
    assert validator.check_ereporting(xml) == []
    assert b"<Code>AE</Code>" in xml and b"VATEX-EU-AE" in xml  # Belgium: reverse charge
    assert b'<CompanyId schemeId="0223">BE0403019261</CompanyId>' in xml
    assert (
        b"<Code>O</Code>" in xml and b'<CompanyId schemeId="0227">CHE116281710</CompanyId>' in xml
    )
    payments = [
        Payment("000002#1", documents["F2026-000002"], date(2026, 10, 15), Decimal("40.00")),
        Payment("000002#2", documents["F2026-000003"], date(2026, 10, 20), Decimal("20.00")),
    ]
    xml = frctc.payments_xml(payments_fields(payments, PROVIDER, period))
    assert validator.check_ereporting(xml) == []
    assert b"<Amount>20.00</Amount>" in xml


@pytest.mark.slow
def test_r97_ereporting_writes_each_period_once(books, tmp_path):
    payments = tmp_path / "virements.csv"
    write_rows(
        payments,
        [
            ["date", "amount", "customer_id", "reference", "label"],
            ["2026-10-15", "40.00", "C2", "VIR-1", "F2026-000002"],
            ["2026-10-20", "20.00", "C3", "VIR-2", "acompte F2026-000003"],
        ],
    )
    assert cli("payments", "--import", str(payments), *folders(books)).exit_code == 0
    result = cli("ereporting", "--period", "2026-10-01..2026-10-31", *folders(books))
    assert result.exit_code == 0, result.output
    folder = books.out / "einvoicing" / "ereporting"
    assert sorted(p.name for p in folder.iterdir()) == [
        "flux10.1-2026-10-01-2026-10-10.xml",  # F2026-000002 (BE), F2026-000003 (CH), 1 Oct
        "flux10.2-2026-10-01-2026-10-31.xml",  # 40.00 and 20.00
    ]
    assert (
        "einvoicing/ereporting/flux10.1-2026-10-01-2026-10-10.xml : 2 élément(s)" in result.output
    )
    validator = frctc.Validator()
    for path in folder.iterdir():
        assert validator.check_ereporting(path.read_bytes()) == []
    reported = journal_events(books, EREPORTED)
    # journal files: 1-2 the months' documents, 3 the payments (received, allocated each)
    assert sorted((e["source"]["entry"], e["amount"]) for e in reported) == [
        ("10.1/F2026-000002", "40.00"),
        ("10.1/F2026-000003", "50.00"),
        ("10.2/000003#1", "40.00"),
        ("10.2/000003#3", "20.00"),
    ]
    again = cli("ereporting", "--period", "2026-10-01..2026-10-31", *folders(books))
    assert again.exit_code == 0 and "rien de nouveau à déclarer" in again.output
    november = cli("ereporting", "--period", "2026-11-01..2026-11-30", *folders(books))
    assert november.exit_code == 0, november.output
    assert (folder / "flux10.1-2026-11-01-2026-11-10.xml").is_file()  # F2026-000005, -000006


@pytest.mark.slow
def test_r96_send_deposits_each_212_message_once(books, tmp_path, platform_server):
    payments = tmp_path / "cheques.csv"
    write_rows(
        payments,
        [
            ["date", "amount", "customer_id", "reference", "label"],
            ["2026-10-15", "30.00", "C1", "CHQ-1", "F2026-000001"],
        ],
    )
    assert cli("payments", "--import", str(payments), *folders(books)).exit_code == 0
    platform_server.script("F2026-000001-212-000003-1.xml", "500")
    first = cli("statuses", "--export", "--date", "2026-10-31", "--send", *folders(books))
    assert first.exit_code == 1, first.output
    assert (
        "F2026-000001-212-000003-1.xml : échec, réessayé au prochain envoi (HTTP 500"
        in first.output
    )
    assert platform_server.deposits == []
    second = cli("statuses", "--export", "--date", "2026-10-31", "--send", *folders(books))
    assert second.exit_code == 0, second.output
    assert "F2026-000001-212-000003-1.xml : flux FLOW-0001" in second.output
    assert platform_server.deposits == [("F2026-000001-212-000003-1.xml", "CDAR")]
    path = books.out / "einvoicing" / "statuses" / "2026-10-31-01" / "F2026-000001-212-000003-1.xml"
    assert platform_server.files["FLOW-0001"] == path.read_bytes()
    third = cli("statuses", "--export", "--date", "2026-10-31", "--send", *folders(books))
    assert third.exit_code == 0
    assert len(platform_server.deposits) == 1  # never twice
    assert [e["details"]["flow_id"] for e in journal_events(books, STATUS_SENT)] == ["FLOW-0001"]


# --- publication of the files a run records (pipeline.ledger.einvoicing) -----------------------


def test_r96_a_run_killed_between_journal_and_rename_is_finished_by_the_next_one(tmp_path):
    out = tmp_path / "out"
    recorded = "einvoicing/statuses/2026-10-31-01/F1-212-000002-1.xml"
    orphan = "einvoicing/statuses/2026-10-31-01/F2-212-000002-2.xml"
    event = _event(STATUS_EXPORTED, "F1", "12.00", date(2026, 10, 15), file=recorded)
    journal = ledger_journal.append(out, Journal(), [event], "statuses --export")
    for relative in (recorded, orphan):  # written, never renamed
        pending = out / relative
        pending.parent.mkdir(parents=True, exist_ok=True)
        (pending.parent / f".pending-{pending.name}").write_bytes(b"<xml/>")
    ledger_einvoicing.recover(out, journal)
    assert (out / recorded).read_bytes() == b"<xml/>"  # its event is in the journal: published
    assert sorted(p.name for p in (out / recorded).parent.iterdir()) == [Path(recorded).name]
    assert ledger_einvoicing.statuses_name(out, "2026-10-31") == "2026-10-31-02"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(min_value=1, max_value=5000)), min_size=1, max_size=8
    )
)
def test_r96_the_212_amounts_of_an_invoice_add_up_to_what_it_kept(moves):
    # payments (True) and returned debits (False) in cents: the 212 messages add up to
    # payments - returns, each movement exactly once
    invoice = doc("F1")
    events = []
    for index, (paid, cents) in enumerate(moves):
        amount = f"{Decimal(cents) / 100:.2f}"
        kind = ALLOCATION if paid else DEBIT_RETURNED
        extra = {"payment": f"e{index}"} if paid else {"reason": "AM04"}
        events.append(
            _event(kind, "F1", amount, date(2026, 10, 1) + timedelta(days=index), **extra)
        )
    found = collected([_journal_file(1, events)], {"F1": invoice}, date(2026, 12, 31), False)
    expected = sum((Decimal(c) / 100 * (1 if p else -1) for p, c in moves), Decimal("0"))
    assert sum((c.amount for c in found), Decimal("0")) == expected
    assert len({c.key for c in found}) == len(moves)
