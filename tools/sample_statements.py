"""The bank statements of the sample story (R84, issue 27; data_samples/README.md, "After
issue"), written by tools/generate_samples.py after the reference data.

Their amounts are the sample's own invoices: the story is played in a temporary OUT with the
installed command (`billing bill`, `collect`, `payments`), and each statement is written from
what the ledger and the journal hold at its point of the story. Deterministic: the same
inputs and code give the same bytes (no clock; dates are the story's).

The story (`STORY`, also what `make story` runs):
1. bill 2026-09 (invoices dated 2026-10-01, due 2026-10-31);
2. collect 2026-10-26: C006 and C008 pay by SEPA direct debit, FRST, debit date Saturday
   2026-10-31 moved to Monday 2026-11-02;
3. the October statement (camt.053.001.02): transfers naming their invoice (rule 2), C011 by
   its IBAN and amount (rule 3), C013 overpays 50.00 (credit), C014 pays half of its invoice
   (partial), C024's transfer names nothing and comes from a name that is not exactly its own
   (suspense, assigned by hand in step 7), a stranger's 15.00 (suspense); C002 pays nothing
   (the late payer), C019 pays by cheque later;
4. the bank's notice of 2026-11-02 (camt.054.001.08): the collection's batch credit, one
   transaction detail per invoice (rule 1);
5. bill 2026-10 (invoices dated 2026-11-01, due 2026-12-01): C013's credit goes to its
   October invoice (R85), October's SLA credit notes to their invoices;
6. the cheque of C019 (the plain CSV), 2026-11-16, for its September invoice;
7. C024's transfer assigned by hand (`payments --assign`), 2026-11-20;
8. collect 2026-11-26: RCUR, requested Tuesday 2026-12-01;
9. the November statement (camt.053.001.08): October invoices paid naming them, at their open
   balance; it repeats the entry of 2026-11-02 (same account servicer reference: "déjà
   importé");
10. the notice of 2026-12-04 (camt.054.001.08): the batch credit of 2026-12-01, then C008's
    debit returned AM04 (insufficient funds) with the bank's 7.50 fee;
11. collect 2026-12-07: C008's October invoice presented again, once;
12. the receivables reports of 2026-12-07 (R86), with the statement of account of C002, the
    late payer.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

DIR = "statements"
OCTOBER = f"{DIR}/2026-10-31_releve_camt053.xml"
NOTICE_1102 = f"{DIR}/2026-11-02_avis_camt054.xml"
CHEQUES = f"{DIR}/2026-11-16_cheques.csv"
NOVEMBER = f"{DIR}/2026-11-30_releve_camt053.xml"
NOTICE_1204 = f"{DIR}/2026-12-04_avis_camt054.xml"
UNNAMED_REF = "2026103100999"  # C024's transfer: entry, its detail UNNAMED_REF-1
ASSIGNED = (f"{UNNAMED_REF}-1", "C024", "2026-11-20")  # entry reference, customer, date

STATUSES = "statuses/2026-11-10_cdar_refus_C012.xml"  # a buyer's lifecycle status (R95)
DISPUTES = "disputes.csv"  # an invoice under dispute (R92), read by `billing dunning`

# (command, arguments) of `billing`, in the order of the story; DATA and OUT added by callers
STORY: tuple[tuple[str, ...], ...] = (
    ("bill", "--month", "2026-09"),
    ("collect", "--date", "2026-10-26"),
    ("payments", "--import", OCTOBER),
    ("payments", "--import", NOTICE_1102),
    ("bill", "--month", "2026-10"),
    ("dunning", "--date", "2026-11-07"),
    ("statuses", "--import", STATUSES),
    ("payments", "--import", CHEQUES),
    ("payments", "--assign", ASSIGNED[0], "--customer", ASSIGNED[1], "--date", ASSIGNED[2]),
    ("collect", "--date", "2026-11-26"),
    ("payments", "--import", NOVEMBER),
    ("dunning", "--date", "2026-11-30"),
    ("payments", "--import", NOTICE_1204),
    ("collect", "--date", "2026-12-07"),
    ("dunning", "--date", "2026-12-16"),
    ("statuses", "--export", "--date", "2026-12-16"),
    ("ereporting", "--period", "2026-10-01..2026-11-30"),
    ("receivables", "--date", "2026-12-16", "--customer", "C002"),
    ("fec", "--year", "2026"),
    ("vat", "--month", "2026-11"),
)

LATE_PAYER = "C002"
OVERPAYER, OVERPAID = "C013", Decimal("50.00")
PARTIAL = "C014"  # pays half its September invoice (rounded down to the cent)
BY_IBAN = "C011"
BY_CHEQUE = "C019"
UNNAMED, UNNAMED_DEBTOR = "C024", "GARAGE CENTRAL SARL DIJON"
DEBITED = ("C006", "C008")
RETURNED = "C008"
REFUSER = "C012"  # refuses its October invoice on the platform (210), never pays it
DISPUTED = ("C002", "2026-12-02")  # C002 disputes its October invoice from that day


def _camt(kind: str, version: str, day: str, account: str, entries: list[str]) -> str:
    """A camt.053 (statement, with opening and closing balances left at 0: the story does not
    track the account's balance) or camt.054 (notification) document."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.{version}"
    message, report = (
        ("BkToCstmrDbtCdtNtfctn", "Ntfctn") if kind == "054" else ("BkToCstmrStmt", "Stmt")
    )
    balances = ""
    if kind == "053":
        for code in ("OPBD", "CLBD"):
            balances += (
                f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
                f'<Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>'
            )
    body = "".join(entries)
    text = (
        f'<Document xmlns="{ns}"><{message}><GrpHdr>'
        f"<MsgId>WITEQ-{kind}-{day}</MsgId><CreDtTm>{day}T20:00:00</CreDtTm></GrpHdr>"
        f"<{report}><Id>{kind}-{day}</Id><CreDtTm>{day}T20:00:00</CreDtTm><Acct><Id><IBAN>"
        f"{account}</IBAN></Id></Acct>{balances}{body}</{report}></{message}></Document>"
    )
    # indented, as a bank's file opened in an editor reads
    tree = etree.fromstring(text.encode("utf-8"))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


def _tx(v08: bool, ref: str, amount: Decimal, *, e2e: str = "NOTPROVIDED", name: str = "",
        iban: str = "", ustrd: str = "", reason: str = "") -> str:  # fmt: skip
    amt = (
        f'<Amt Ccy="EUR">{amount}</Amt>'
        if v08
        else f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>'
    )
    name, ustrd = escape(name), escape(ustrd)
    parties = ""
    if name or iban:
        party = f"<Pty><Nm>{name}</Nm></Pty>" if v08 else f"<Nm>{name}</Nm>"
        parties = "<RltdPties>" + (f"<Dbtr>{party}</Dbtr>" if name else "")
        parties += f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>" if iban else ""
        parties += "</RltdPties>"
    rmt = f"<RmtInf><Ustrd>{ustrd}</Ustrd></RmtInf>" if ustrd else ""
    ret = f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else ""
    return (
        f"<TxDtls><Refs><AcctSvcrRef>{ref}</AcctSvcrRef><EndToEndId>{e2e}</EndToEndId></Refs>"
        f"{amt}{parties}{rmt}{ret}</TxDtls>"
    )


def _entry(v08: bool, ref: str, amount: Decimal, day: str, txs: list[str],
           direction: str = "CRDT", family: str = "RCDT", sub: str = "ESCT") -> str:  # fmt: skip
    status = "<Sts><Cd>BOOK</Cd></Sts>" if v08 else "<Sts>BOOK</Sts>"
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>{status}'
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd>"
        f"<SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls>{''.join(txs)}</NtryDtls></Ntry>"
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _open_balances(out: Path) -> dict[str, tuple[str, Decimal]]:
    """invoice number -> (customer, open balance) from the journal of OUT (R83, R85)."""
    from pipeline.ledger.journal import read_journal
    from pipeline.receivables.compute import INVOICE, Balances

    balances = Balances(read_journal(out).events)
    return {
        d.number: (d.customer_id, d.open_balance)
        for d in balances.documents.values()
        if d.type == INVOICE
    }


def _day(base: int, i: int, month: str) -> str:
    return f"{month}-{base + i % 15:02d}"


def _october(data: Path, out: Path, customers: dict[str, dict[str, str]], account: str) -> str:
    entries = []
    for i, inv in enumerate(_rows(out / "2026-09" / "invoices.csv"), 1):
        cid, number, ttc = inv["customer_id"], inv["invoice_number"], Decimal(inv["total_ttc"])
        if cid in (*DEBITED, LATE_PAYER, BY_CHEQUE) or ttc <= 0:
            continue
        ref, day, name = f"20261031{i:05d}", _day(8, i, "2026-10"), customers[cid]["name"]
        amount, kw = ttc, {"name": name, "ustrd": f"FACTURE {number}"}
        if cid == BY_IBAN:
            kw = {"name": name.upper(), "iban": customers[cid]["iban"].replace(" ", "")}
        elif cid == OVERPAYER:
            amount = ttc + OVERPAID
        elif cid == PARTIAL:
            amount = (ttc / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            kw["ustrd"] = f"ACOMPTE FACTURE {number}"
        elif cid == UNNAMED:
            ref = UNNAMED_REF
            kw = {"name": UNNAMED_DEBTOR, "ustrd": "REGLEMENT TELEPHONIE SEPTEMBRE"}
        entries.append(_entry(False, ref, amount, day, [_tx(False, f"{ref}-1", amount, **kw)]))
    stranger = Decimal("15.00")
    entries.append(
        _entry(False, "2026103199999", stranger, "2026-10-30",
               [_tx(False, "2026103199999-1", stranger, name="M OU MME LEFEVRE",
                    ustrd="REMBOURSEMENT TROP PERCU")])
    )  # fmt: skip
    return _camt("053", "02", "2026-10-31", account, entries)


def _collection_entry(out: Path, name: str, ref: str, day: str) -> str:
    rows = _rows(out / "receivables" / "collections" / name / "collection.csv")
    total = sum((Decimal(r["amount"]) for r in rows), Decimal("0.00"))
    txs = [
        _tx(True, f"{ref}-{n}", Decimal(r["amount"]), e2e=r["invoice_number"])
        for n, r in enumerate(rows, 1)
    ]
    return _entry(True, ref, total, day, txs, family="RDDT", sub="ESDD")


def _november(out: Path, customers: dict[str, dict[str, str]], account: str) -> str:
    opened = _open_balances(out)
    entries = []
    for i, inv in enumerate(_rows(out / "2026-10" / "invoices.csv"), 1):
        cid, number = inv["customer_id"], inv["invoice_number"]
        left = opened[number][1]
        if cid in (*DEBITED, LATE_PAYER, REFUSER) or left <= 0:
            continue
        ref, day = f"20261130{i:05d}", _day(12, i, "2026-11")
        entries.append(
            _entry(True, ref, left, day,
                   [_tx(True, f"{ref}-1", left, name=customers[cid]["name"],
                        ustrd=f"FACTURE {number}")])
        )  # fmt: skip
    # the end-of-month statement repeats the collection's credit the notice of 2026-11-02
    # already brought: same account servicer references, "déjà importé"
    entries.insert(0, _collection_entry(out, "2026-10-26-01", "2026110200001", "2026-11-02"))
    return _camt("053", "08", "2026-11-30", account, entries)


def _notice_1204(out: Path, account: str) -> str:
    credit = _collection_entry(out, "2026-11-26-01", "2026120100001", "2026-12-01")
    returned = next(
        r
        for r in _rows(out / "receivables" / "collections" / "2026-11-26-01" / "collection.csv")
        if r["customer_id"] == RETURNED
    )
    amount = Decimal(returned["amount"])
    debit = _entry(True, "2026120400001", amount, "2026-12-04",
                   [_tx(True, "2026120400001-1", amount, e2e=returned["invoice_number"],
                        reason="AM04")],
                   direction="DBIT", family="RDDT", sub="UPDD")  # fmt: skip
    return _camt("054", "08", "2026-12-04", account, [credit, debit])


def _cheques(out: Path) -> str:
    inv = next(r for r in _rows(out / "2026-09" / "invoices.csv") if r["customer_id"] == BY_CHEQUE)
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(["date", "amount", "customer_id", "reference", "label"])
    w.writerow(["2026-11-16", inv["total_ttc"], BY_CHEQUE, "CHQ-7730412",
                f"Chèque n° 7730412 {inv['invoice_number']}"])  # fmt: skip
    return text.getvalue()


def _statuses(data: Path, out: Path, customers: dict[str, dict[str, str]]) -> str:
    """C012 refuses its October invoice on the platform: a CDAR message (status 210 Refusée,
    reason TX_TVA_ERR), as its platform would send it to ours (R95). Also writes
    disputes.csv: C002 disputes its October invoice from 2026-12-02 (R92)."""
    import tomllib
    from datetime import date

    from pipeline.einvoicing import frctc
    from pipeline.einvoicing.cdar import buyer_party, seller_party, status_fields

    provider = tomllib.loads((data / "provider.toml").read_text(encoding="utf-8"))
    october = {r["customer_id"]: r for r in _rows(out / "2026-10" / "invoices.csv")}
    refused = october[REFUSER]["invoice_number"]
    fields, percents = status_fields(
        message_id=f"CDV-210-{refused}",
        day=date(2026, 11, 10),
        issuer=buyer_party(customers[REFUSER]),
        recipient=seller_party(provider),
        document=refused,
        type_code="380",
        document_date=date(2026, 11, 1),
        seller_siren=str(provider["siren"]),
        code="210",
        label="Refusée",
        reasons=[("TX_TVA_ERR", "Taux de TVA erroné selon le client")],
    )
    disputed = october[DISPUTED[0]]["invoice_number"]
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(["customer_id", "invoice_number", "opened_on", "closed_on"])
    w.writerow([DISPUTED[0], disputed, DISPUTED[1], ""])
    (data / DISPUTES).write_text(text.getvalue(), encoding="utf-8")
    return frctc.cdar_xml(fields, percents).decode("utf-8")


def _billing(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"sample story: billing {' '.join(args)} failed:\n{done.stderr}")


def write_statements(data: Path, rates: Path) -> dict[str, int]:
    """Play the story in a temporary OUT and write each statement before the step that
    imports it. Returns {file: entries}."""
    customers = {r["customer_id"]: r for r in _rows(data / "customers.csv")}
    import tomllib

    account = tomllib.loads((data / "provider.toml").read_text(encoding="utf-8"))["iban"]
    account = account.replace(" ", "")
    for folder in (DIR, STATUSES.split("/")[0]):
        (data / folder).mkdir(exist_ok=True)
        for old in (data / folder).iterdir():
            old.unlink()
    writers: dict[str, Callable[[Path], str]] = {
        OCTOBER: lambda out: _october(data, out, customers, account),
        NOTICE_1102: lambda out: _camt(
            "054",
            "08",
            "2026-11-02",
            account,
            [_collection_entry(out, "2026-10-26-01", "2026110200001", "2026-11-02")],
        ),  # fmt: skip
        CHEQUES: _cheques,
        NOVEMBER: lambda out: _november(out, customers, account),
        NOTICE_1204: lambda out: _notice_1204(out, account),
        STATUSES: lambda out: _statuses(data, out, customers),
    }
    counts = {}
    tmp = Path(tempfile.mkdtemp(prefix="sample-story-"))
    try:
        out = tmp / "out"
        for command in STORY:
            if command[1] == "--import":
                text = writers[command[2]](out)
                (data / command[2]).write_text(text, encoding="utf-8")
                counts[command[2]] = text.count("<Ntry>") or (
                    1 if text.startswith("<") else text.count("\n") - 1
                )
                command = (command[0], command[1], str(data / command[2]))
            _billing(*command, "--data", str(data), "--out", str(out), "--rates", str(rates))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return counts


def play(data: Path, out: Path, rates: Path) -> int:
    """`make story`: the whole sample story, each command printed before it runs; it stops at
    the first that fails. Run again on the same OUT it changes nothing (every step says so)."""
    for command in STORY:
        args = [*command]
        if command[1] == "--import":
            args[2] = str(data / command[2])
        args += ["--data", str(data), "--out", str(out), "--rates", str(rates)]
        print("$ billing " + " ".join(args), flush=True)
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], check=False)
        if done.returncode != 0:
            return done.returncode
    return 0


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Play the sample story (make story).")
    ap.add_argument("--data", default="data_samples")
    ap.add_argument("--out", default="out")
    ap.add_argument("--rates", default="rates")
    a = ap.parse_args()
    sys.exit(play(Path(a.data), Path(a.out), Path(a.rates)))
