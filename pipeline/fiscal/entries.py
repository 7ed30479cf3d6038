"""The fiscal year's accounting entries (R87) and the VAT moved by payments (R88): a pure
function of the issued documents (pipeline.fiscal.documents) and the receivables journal's
events; nothing here reads a file or the clock.

Journals:

- `VE` (ventes): one entry per invoice or credit note of the months and corrections, on its
  date: 411000 (the customer as auxiliary account) TTC | revenue HT by account (the monthly
  FEC's accounts) | VAT. Goods' VAT goes to `vat_collected` (445710, due on delivery); services'
  VAT to `vat_pending` (445740) when VAT is due on receipt (the default), to 445710 when the
  provider opted for debits (`vat_on_debits = true`). A credit note is the same, reversed.
- `BQ` (banque): one entry per bank statement entry (a credit or a debit of an imported file,
  the events one statement line made): 512000 the amount | 411000 the customer, one line per
  invoice it paid and one for what it leaves as unallocated credit | 471000 what went to
  suspense. A returned debit: 411000 debit (the payment reversed), 512000 credit, 471000 what
  it returns beyond the payment recorded; the bank's return fee charged to the customer:
  411000 debit, `return_fee` (708800) credit. With VAT on receipt, each payment moves the
  VAT of services it pays from 445740 to 445710 (debit 445740, credit 445710) in its entry, a
  returned debit moves it back.
- `OD` (opérations diverses): late-payment charges (the dunning issue: 411000 debit, `late_interest` 763100
  and `recovery_indemnity` 758800 credit), a suspense item assigned by hand (471000 debit,
  411000 credit: the invoice it pays and the credit it leaves, as a payment's), an allocation
  of a customer's unallocated credit to an invoice (an `allocation` with detail `credit`:
  411000 to 411000, so that lettering can see it) with its VAT move.

R88's arithmetic, per invoice with services VAT V (0 on debits) and TTC T: a payment of `a`
moves a x V / T rounded to the cent (R2), except the payment that brings the invoice's open
balance to 0, which moves what is left: V - what earlier payments moved - the share of V that
credit notes allocated to the invoice took back (their own VAT left 445740 when they were
issued). A credit note's VAT is shared among the invoices it is allocated to the same way (its
last allocation takes the rest). A returned debit moves back what the payments it reverses
moved (all of it when it reverses all that was paid; else its amount x V / T, at most what was
moved). So a paid document moves exactly its VAT, and 445740 holds exactly the VAT of what is
not yet paid.

Lettering (R87): a document's 411 line, the 411 lines of the payments allocated to it and of
the debits returned on it form a group; credit notes join the groups of the invoices they are
allocated to. On the fiscal year's closing date, a group whose documents all have an open
balance of 0 (and whose 411 lines net to 0) is lettered: `EcritureLet` A, B, ..., Z, AA, ...
given in the order of the groups' last dates (then their first document number), restarting
each fiscal year, and `DateLet` the date of its last line. A group settled after the closing
date is not lettered in that year's file (it was open at the closing): the next year's file
letters it. Entries are numbered per journal in date order (then: documents in order of issue,
bank entries in the order they were recorded), one unbroken sequence per journal and fiscal
year, `VE2026-000001` like the monthly FEC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pipeline.billing.accounting import FecLine, text
from pipeline.core.errors import ProblemFound
from pipeline.core.language import say
from pipeline.core.money import round_line
from pipeline.fiscal.documents import FRANCE, SaleDocument
from pipeline.receivables.journal import (
    ALLOCATION,
    DEBIT_RETURNED,
    LATE_CHARGE,
    PAYMENT_RECEIVED,
    RETURN_FEE,
    SUSPENSE,
    SUSPENSE_ASSIGNED,
    UNALLOCATED_CREDIT,
    Event,
)
from pipeline.receivables.statements import DEBIT

ZERO = Decimal("0.00")
JOURNALS = {"VE": "Ventes", "BQ": "Banque", "OD": "Opérations diverses"}
# kinds of events that post: the others (collections sent, dunning letters, statuses...) do not
POSTING_KINDS = frozenset(
    {
        PAYMENT_RECEIVED,
        ALLOCATION,
        UNALLOCATED_CREDIT,
        SUSPENSE,
        SUSPENSE_ASSIGNED,
        DEBIT_RETURNED,
        RETURN_FEE,
        LATE_CHARGE,
    }
)
# VAT figures of the monthly return (R89, pipeline.fiscal.vat): what moved 445710, and how
GOODS_INVOICED = "goods_invoiced"  # goods' VAT at invoicing (both regimes)
SERVICES_INVOICED = "services_invoiced"  # services' VAT at invoicing (option for debits)
SERVICES_PAID = "services_paid"  # services' VAT moved by a payment (VAT on receipt)
CREDIT_NOTE_VAT = "credit_note"  # a credit note's VAT taken back from 445710
RETURNED = "returned"  # services' VAT moved back by a returned debit


@dataclass(frozen=True)
class VatMove:
    """One amount of VAT posted to (positive) or taken from (negative) `vat_collected`, with
    its taxable base."""

    day: date
    figure: str
    base: Decimal
    vat: Decimal
    document: str
    customer_id: str


@dataclass
class _Line:
    account: tuple[str, str]
    customer: str  # the auxiliary account (411 lines only)
    debit: Decimal
    credit: Decimal
    node: str = ""  # the lettering node of a 411 line: a document number


@dataclass
class _Entry:
    journal: str
    day: date
    piece: str
    label: str
    order: tuple[int, ...]
    lines: list[_Line] = field(default_factory=list)

    def add(self, account: tuple[str, str], amount: Decimal, debit: bool, **kw: str) -> None:
        """A line of `amount` on `account`; a negative amount goes to the other side; a zero
        amount is left out."""
        if amount == 0:
            return
        to_debit = (amount > 0) == debit
        size = abs(amount)
        self.lines.append(
            _Line(
                account,
                kw.get("customer", ""),
                size if to_debit else ZERO,
                ZERO if to_debit else size,
                kw.get("node", ""),
            )
        )


@dataclass
class _Vat:
    """R88's state of one document (see the module)."""

    ttc: Decimal
    pending: Decimal  # services VAT left in 445740 at issue (0 on debits)
    base: Decimal  # services HT
    credit_note: bool
    allocated: Decimal = ZERO  # payments and credit notes, net of returns
    paid: Decimal = ZERO  # payments, net of returns
    moved: Decimal = ZERO  # VAT moved by payments (invoice) or given to invoices (credit note)
    moved_base: Decimal = ZERO
    taken: Decimal = ZERO  # an invoice's VAT taken back by credit notes
    taken_base: Decimal = ZERO

    @property
    def settled(self) -> bool:
        return self.allocated == self.ttc


def _share(amount: Decimal, state: _Vat) -> tuple[Decimal, Decimal]:
    """(VAT, base) of `amount` of a document's TTC, rounded to the cent."""
    if state.ttc == 0:
        return ZERO, ZERO
    return round_line(amount * state.pending / state.ttc), round_line(
        amount * state.base / state.ttc
    )


@dataclass
class Accounts:
    revenue_default: tuple[str, str]
    customers: tuple[str, str]
    bank: tuple[str, str]
    suspense: tuple[str, str]
    vat_collected: tuple[str, str]
    vat_pending: tuple[str, str]
    return_fee: tuple[str, str]
    late_interest: tuple[str, str]
    recovery_indemnity: tuple[str, str]

    @classmethod
    def of(cls, accounts: Mapping[str, tuple[str, str]]) -> Accounts:
        names = [f for f in cls.__dataclass_fields__ if f != "revenue_default"]
        return cls(accounts["subscription"], *(accounts[n] for n in names))


@dataclass
class YearEntries:
    """Every entry up to the closing date (for the state), and the VAT moves."""

    entries: list[_Entry]
    moves: list[VatMove]
    groups: dict[str, str]  # lettering node -> its group's root
    open_nodes: set[str]  # nodes of groups not settled on the closing date


class _Groups:
    """Union-find over lettering nodes."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def root(self, node: str) -> str:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _document_entry(doc: SaleDocument, acc: Accounts, on_debits: bool, name: str) -> _Entry:
    what = "Avoir" if doc.credit_note else "Facture"
    label = f"{what} {doc.number}" + (f" sur {doc.original_invoice}" if doc.credit_note else "")
    entry = _Entry("VE", doc.date, doc.number, text(f"{label} {name}"), (doc.position,))
    sales = not doc.credit_note  # an invoice debits the customer, credits revenue and VAT
    entry.add(acc.customers, doc.ttc, sales, customer=doc.customer_id, node=doc.number)
    for account, ht in doc.revenue:
        entry.add(account, ht, not sales)
    services_account = acc.vat_collected if on_debits else acc.vat_pending
    if services_account == acc.vat_collected:
        entry.add(acc.vat_collected, doc.vat, not sales)
    else:
        entry.add(acc.vat_collected, doc.goods_vat, not sales)
        entry.add(acc.vat_pending, doc.services_vat, not sales)
    return entry


def _document_moves(doc: SaleDocument, on_debits: bool) -> list[VatMove]:
    """The VAT a document itself posts to 445710 (goods; services on debits)."""
    if doc.treatment != FRANCE:
        return []
    sign = -1 if doc.credit_note else 1
    figure = CREDIT_NOTE_VAT if doc.credit_note else GOODS_INVOICED
    moves = []
    if doc.goods_vat or doc.goods_ht:
        moves.append(
            VatMove(
                doc.date,
                figure,
                sign * doc.goods_ht,
                sign * doc.goods_vat,
                doc.number,
                doc.customer_id,
            )
        )
    if on_debits and (doc.services_vat or doc.services_ht):
        moves.append(
            VatMove(
                doc.date,
                CREDIT_NOTE_VAT if doc.credit_note else SERVICES_INVOICED,
                sign * doc.services_ht,
                sign * doc.services_vat,
                doc.number,
                doc.customer_id,
            )
        )
    return moves


def year_entries(
    documents: Iterable[SaleDocument],
    events: Iterable[tuple[int, Event]],
    closing: date,
    names: Mapping[str, str],
    accounts: Mapping[str, tuple[str, str]],
    on_debits: bool,
) -> YearEntries:
    """Every entry dated up to `closing` (see the module), the VAT moves, and the lettering
    groups as they stand on `closing`. `events`: (journal file number, event) in the order
    recorded (pipeline.fiscal.entries.numbered)."""
    acc = Accounts.of(accounts)
    docs = [d for d in documents if d.date <= closing]
    states: dict[str, _Vat] = {}
    entries: list[_Entry] = []
    moves: list[VatMove] = []
    groups = _Groups()
    for doc in docs:
        name = text(names.get(doc.customer_id, ""))
        entries.append(_document_entry(doc, acc, on_debits, name))
        moves += _document_moves(doc, on_debits)
        pending = ZERO if on_debits else doc.services_vat
        base = doc.services_ht if pending else ZERO
        states[doc.number] = _Vat(doc.ttc, pending, base, doc.credit_note)
        groups.root(doc.number)
    # events in the order recorded, grouped by the statement line (or run) that made them
    batches: dict[tuple[int, int, str, str], list[Event]] = {}
    for index, (file, e) in enumerate(events):
        if e.kind not in POSTING_KINDS or e.date > closing:
            continue
        if e.kind == ALLOCATION and e.detail("credit_note"):
            _credit_note_allocation(e, states, groups)
            continue
        if e.source_sha256:  # one entry per statement line of one run
            key = (file, 0, e.source_sha256, e.entry)
        else:
            key = (file, index, "", e.entry)
        batches.setdefault(key, []).append(e)
    for number, batch in enumerate(batches.values()):
        entry = _batch_entry(batch, acc, states, moves, names, number)
        if entry is not None:
            entries.append(entry)
    open_nodes = {n for n, s in states.items() if not s.settled}
    return YearEntries(entries, moves, {n: groups.root(n) for n in states}, open_nodes)


def _credit_note_allocation(e: Event, states: dict[str, _Vat], groups: _Groups) -> None:
    """R85: a credit note's credit given to an invoice: no posting (both are on the
    customer's account already), the two documents' groups join, and the invoice's VAT due
    on receipt shrinks by the credit note's share (R88)."""
    note, invoice = states.get(e.detail("credit_note")), states.get(e.document)
    if note is None or invoice is None:
        return
    note.allocated += e.amount
    invoice.allocated += e.amount
    if note.settled:
        vat, base = note.pending - note.moved, note.base - note.moved_base
    else:
        vat, base = _share(e.amount, note)
    note.moved += vat
    note.moved_base += base
    invoice.taken += vat
    invoice.taken_base += base
    groups.join(e.detail("credit_note"), e.document)


def _pay(state: _Vat, amount: Decimal) -> tuple[Decimal, Decimal]:
    """R88: the (VAT, base) a payment of `amount` moves to 445710 (see the module)."""
    state.allocated += amount
    state.paid += amount
    if state.pending == 0:
        return ZERO, ZERO
    if state.settled:
        vat = state.pending - state.taken - state.moved
        base = state.base - state.taken_base - state.moved_base
    else:
        vat, base = _share(amount, state)
    state.moved += vat
    state.moved_base += base
    return vat, base


def _return(state: _Vat, amount: Decimal) -> tuple[Decimal, Decimal]:
    """R88: the (VAT, base) a returned debit of `amount` moves back to 445740."""
    whole = amount >= state.paid
    state.allocated -= amount
    state.paid -= amount
    if state.pending == 0:
        return ZERO, ZERO
    if whole:
        vat, base = state.moved, state.moved_base
    else:
        vat, base = _share(amount, state)
        vat, base = min(vat, state.moved), min(base, state.moved_base)
    state.moved -= vat
    state.moved_base -= base
    return vat, base


def _batch_entry(
    batch: list[Event],
    acc: Accounts,
    states: dict[str, _Vat],
    moves: list[VatMove],
    names: Mapping[str, str],
    number: int,
) -> _Entry | None:
    """The entry of the events one statement line (or one run's action) made (see the
    module)."""
    first = batch[0]
    bank = any(
        e.kind in (PAYMENT_RECEIVED, DEBIT_RETURNED)
        or (e.kind == SUSPENSE and not any(b.kind == PAYMENT_RECEIVED for b in batch))
        for e in batch
    )
    customer = next((e.customer_id for e in batch if e.customer_id), "")
    piece = text(first.entry)[:60] or first.kind  # the statement line's reference
    entry = _Entry("BQ" if bank else "OD", first.date, piece, "", (1, number))
    labels: list[str] = []
    for e in batch:
        who = {"customer": e.customer_id, "node": e.document}
        if e.kind == PAYMENT_RECEIVED:
            entry.add(acc.bank, e.amount, True)
            labels.append("Encaissement")
        elif e.kind == SUSPENSE_ASSIGNED:
            # the amount leaves suspense: like a payment received, its allocation to the
            # invoice named and its unallocated credit (events of the same run) credit 411
            entry.add(acc.suspense, e.amount, True)
            labels.append("Affectation d'un encaissement en attente")
        elif e.kind == ALLOCATION:
            state = states.get(e.document)
            if e.detail("credit"):  # a customer's unallocated credit given to an invoice (R85)
                entry.add(acc.customers, e.amount, True, customer=e.customer_id)
                labels.append("Affectation d'un crédit client")
            entry.add(acc.customers, e.amount, False, **who)
            labels.append(e.document)
            if state is not None:
                vat, base = _pay(state, e.amount)
                _move(entry, acc, vat, base, e, SERVICES_PAID, moves)
        elif e.kind == UNALLOCATED_CREDIT:
            entry.add(acc.customers, e.amount, False, customer=e.customer_id)
            labels.append("crédit non affecté")
        elif e.kind == SUSPENSE:
            debit = e.detail("direction") == DEBIT
            entry.add(acc.suspense, e.amount, debit)
            if debit and not any(b.kind == DEBIT_RETURNED for b in batch):
                entry.add(acc.bank, e.amount, False)
            labels.append("en attente")
        elif e.kind == DEBIT_RETURNED:
            entry.add(acc.customers, e.amount, True, **who)
            returned = Decimal(e.detail("returned") or e.amount)
            entry.add(acc.bank, returned, False)
            labels.append(f"Prélèvement retourné {e.detail('reason')} {e.document}")
            state = states.get(e.document)
            if state is not None:
                vat, base = _return(state, e.amount)
                _move(entry, acc, -vat, -base, e, RETURNED, moves)
        elif e.kind == RETURN_FEE:
            entry.add(acc.customers, e.amount, True, customer=e.customer_id)
            entry.add(acc.return_fee, e.amount, False)
            labels.append("frais de rejet")
        elif e.kind == LATE_CHARGE:
            # the dunning stage records one event per line of a charge invoice, its `kind`
            # saying which (interest or the 40 EUR indemnity); details interest/indemnity
            # give both amounts of one event
            kind = e.detail("kind")  # pipeline.dunning.charging's INTEREST_KIND, INDEMNITY_KIND
            if kind in ("late_interest", "recovery_indemnity"):
                interest = e.amount if kind == "late_interest" else ZERO
                indemnity = e.amount if kind == "recovery_indemnity" else ZERO
            else:
                interest = Decimal(e.detail("interest") or e.amount)
                indemnity = Decimal(e.detail("indemnity") or "0")
            entry.add(acc.customers, e.amount, True, customer=e.customer_id)
            entry.add(acc.late_interest, interest, False)
            entry.add(acc.recovery_indemnity, indemnity, False)
            labels.append(f"Pénalités de retard {e.document}")
    if not entry.lines:
        return None
    debit = sum((line.debit for line in entry.lines), ZERO)
    credit = sum((line.credit for line in entry.lines), ZERO)
    if debit != credit:
        raise ProblemFound(
            say(
                f"R87 : l'écriture de {first.source_file} {first.entry} ({first.date}) n'est pas "
                f"équilibrée (débit {debit}, crédit {credit}) : événements du journal des "
                "créances inattendus ; rien n'est écrit",
                f"R87: the entry of {first.source_file} {first.entry} ({first.date}) does not "
                f"balance (debit {debit}, credit {credit}): unexpected receivables journal "
                "events; nothing written",
            )
        )
    name = text(names.get(customer, ""))
    entry.label = text(" ".join(dict.fromkeys(labels)) + (f" {name}" if name else ""))[:200]
    return entry


def _move(
    entry: _Entry,
    acc: Accounts,
    vat: Decimal,
    base: Decimal,
    e: Event,
    figure: str,
    moves: list[VatMove],
) -> None:
    """R88: `vat` from 445740 to 445710 (a negative amount the other way)."""
    if vat == 0 and base == 0:
        return
    if vat >= 0:
        entry.add(acc.vat_pending, vat, True)
        entry.add(acc.vat_collected, vat, False)
    else:  # the debit first, as everywhere
        entry.add(acc.vat_collected, -vat, True)
        entry.add(acc.vat_pending, -vat, False)
    moves.append(VatMove(e.date, figure, base, vat, e.document, e.customer_id))


def letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB... (bijective base 26)."""
    code = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        code = chr(ord("A") + rest) + code
    return code


def fec_lines(
    year: YearEntries, opening: date, closing: date, names: Mapping[str, str], fiscal_year: int
) -> list[FecLine]:
    """The FEC records of the fiscal year [opening, closing]: entries numbered per journal,
    lines lettered (see the module)."""
    # lettering: the groups settled on the closing date, with their 411 lines
    lines_of_group: dict[str, list[tuple[date, _Line]]] = {}
    for entry in year.entries:
        for line in entry.lines:
            if line.node and line.node in year.groups:
                lines_of_group.setdefault(year.groups[line.node], []).append((entry.day, line))
    open_roots = {year.groups[n] for n in year.open_nodes}
    settled = []
    for root, group in lines_of_group.items():
        net = sum((line.debit - line.credit for _, line in group), ZERO)
        if root in open_roots or net != 0:
            continue
        last = max(day for day, _ in group)
        if opening <= last <= closing:
            settled.append((last, min(line.node for _, line in group), root))
    code = {root: (letters(i), last) for i, (last, _, root) in enumerate(sorted(settled))}
    records: list[FecLine] = []
    counters: dict[str, int] = {}
    in_year = [e for e in year.entries if opening <= e.day <= closing]
    journal_rank = {j: i for i, j in enumerate(JOURNALS)}
    numbered = []
    for entry in sorted(in_year, key=lambda e: (journal_rank[e.journal], e.day, e.order)):
        counters[entry.journal] = counters.get(entry.journal, 0) + 1
        numbered.append((entry, f"{entry.journal}{fiscal_year:04d}-{counters[entry.journal]:06d}"))
    # the file in date order (journals in the order VE, BQ, OD on one day)
    for entry, number in sorted(
        numbered, key=lambda n: (n[0].day, journal_rank[n[0].journal], n[1])
    ):
        for line in entry.lines:
            aux = (
                (text(line.customer), text(names.get(line.customer, "")))
                if line.customer
                else ("", "")
            )
            letter, date_let = code.get(year.groups.get(line.node, ""), ("", None))
            records.append(
                FecLine(
                    number,
                    entry.day,
                    line.account,
                    aux,
                    entry.piece,
                    entry.label,
                    line.debit,
                    line.credit,
                    journal=(entry.journal, JOURNALS[entry.journal]),
                    letter=letter,
                    date_let=date_let,
                )
            )
    return records


def numbered(files: Iterable[tuple[int, Iterable[Event]]]) -> list[tuple[int, Event]]:
    """(journal file number, event) of every event, in the order recorded."""
    return [(number, e) for number, events in files for e in events]
