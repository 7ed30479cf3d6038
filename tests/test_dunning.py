"""Dunning and late payment (issue 29): overdue (R90), late-payment charges (R91), dunning
levels and episodes (R92), on hand-built journal events (pure functions, fast).

Rates of these tests (legal interest for professional creditors, JORF): 2025 first half
3.71 % (x3 = 11.13 %), 2025 second half 2.76 % (x3 = 8.28 %), 2026 both halves 2.62 %
(x3 = 7.86 %), 2028 first half 2.00 % (a made-up row for the 29 February case: x3 = 6 %).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from pipeline.dunning.charges import late_charge
from pipeline.dunning.levels import (
    Dispute,
    dunning_levels,
    plan_letters,
    suspended,
)
from pipeline.dunning.overdue import episode_start, invoices_on
from pipeline.dunning.rates import LateRates, MissingRate
from pipeline.receivables.journal import (
    ALLOCATION,
    COLLECTION_SENT,
    DEBIT_RETURNED,
    DOCUMENT_ISSUED,
    DUNNING_LETTER,
    LIFECYCLE_STATUS,
    Event,
    details,
)

D = date.fromisoformat
LEGAL = [
    {"valid_from": D("2025-01-01"), "rate_pct": Decimal("3.71"), "source": "JORF"},
    {"valid_from": D("2025-07-01"), "rate_pct": Decimal("2.76"), "source": "JORF"},
    {"valid_from": D("2026-01-01"), "rate_pct": Decimal("2.62"), "source": "JORF"},
    {"valid_from": D("2026-07-01"), "rate_pct": Decimal("2.62"), "source": "JORF"},
    {"valid_from": D("2028-01-01"), "rate_pct": Decimal("2.00"), "source": "test"},
]
ECB = [
    {"valid_from": D("2025-06-11"), "rate_pct": Decimal("2.15"), "source": "ECB"},
    {"valid_from": D("2026-03-01"), "rate_pct": Decimal("2.40"), "source": "test"},
]
RATES = LateRates.of("legal_x3", LEGAL, ECB)
LEVELS = (("reminder", 7), ("formal_notice", 30), ("suspension", 45))


def invoice(number: str, ttc: str, due: str, customer: str = "C1", on: str = "") -> Event:
    due_day = D(due)
    issued = D(on) if on else due_day - timedelta(days=30)
    return Event(
        DOCUMENT_ISSUED,
        issued,
        customer,
        number,
        Decimal(ttc),
        "2026-09/invoices.csv",
        "",
        number,
        details(type="invoice", due_date=due, payment_method="transfer"),
    )


def paid(number: str, amount: str, on: str, customer: str = "C1") -> Event:
    return Event(
        ALLOCATION,
        D(on),
        customer,
        number,
        Decimal(amount),
        "bank.xml",
        "h",
        "E" + on,
        details(payment="E" + on),
    )


def collected(number: str, amount: str, sent: str, requested: str, name: str) -> Event:
    return Event(
        COLLECTION_SENT,
        D(sent),
        "C1",
        number,
        Decimal(amount),
        "m.json",
        "h",
        number,
        details(collection=name, collection_date=requested, mandate_id="RUM1"),
    )


def returned(number: str, amount: str, on: str) -> Event:
    return Event(
        DEBIT_RETURNED,
        D(on),
        "C1",
        number,
        Decimal(amount),
        "bank.xml",
        "h",
        "R" + on,
        details(reason="AM04"),
    )


def letter(customer: str, level: str, on: str) -> Event:
    return Event(
        DUNNING_LETTER,
        D(on),
        customer,
        "",
        Decimal("0"),
        "l.pdf",
        "h",
        f"{customer}-{level}",
        details(level=level),
    )


def charge(events: list[Event], number: str, day: str, rates: LateRates = RATES):
    return late_charge(invoices_on(events, D(day))[number], D(day), rates)


# --- R90 overdue ---------------------------------------------------------------------------


def test_r90_overdue_the_day_after_the_due_date_while_open():
    events = [invoice("F1", "100.00", "2026-10-31")]
    invoices = invoices_on(events, D("2026-11-01"))
    assert not invoices["F1"].overdue_on(D("2026-10-31"))  # due date: not yet
    assert invoices["F1"].overdue_on(D("2026-11-01"))
    events.append(paid("F1", "100.00", "2026-11-01"))
    assert not invoices_on(events, D("2026-11-01"))["F1"].overdue_on(D("2026-11-01"))


def test_r90_a_debit_on_its_monday_after_a_saturday_due_date_is_on_time():
    # due Saturday 2026-10-31; our collection asked for Monday 2026-11-02, settled that day
    events = [
        invoice("F1", "1000.00", "2026-10-31"),
        collected("F1", "1000.00", "2026-10-28", "2026-11-02", "2026-10-28-01"),
        paid("F1", "1000.00", "2026-11-02"),
    ]
    c = charge(events, "F1", "2026-11-30")
    assert (c.days_late, c.interest, c.indemnity) == (0, Decimal("0.00"), Decimal("0.00"))
    # the same Monday by transfer is 2 days late (Sunday 1 and Monday 2 November):
    # 1000.00 x 7.86 % x 2 / 365 = 0.43068... -> 0.43, and the 40 EUR
    transfer = [invoice("F1", "1000.00", "2026-10-31"), paid("F1", "1000.00", "2026-11-02")]
    c = charge(transfer, "F1", "2026-11-30")
    assert (c.days_late, c.interest, c.indemnity) == (2, Decimal("0.43"), Decimal("40.00"))
    assert c.paid_on == D("2026-11-02")


def test_r90_r91_a_returned_debit_paid_nothing():
    # due Sunday 2026-03-15, collected for Monday 16 and settled, returned AM04 on the 20th,
    # presented again for the 27th and settled: overdue from 16 to 27 March included, 12 days:
    # 600.00 x 7.86 % x 12 / 365 = 1.55046... -> 1.55
    events = [
        invoice("F1", "600.00", "2026-03-15"),
        collected("F1", "600.00", "2026-03-11", "2026-03-16", "2026-03-11-01"),
        paid("F1", "600.00", "2026-03-16"),
        returned("F1", "600.00", "2026-03-20"),
        collected("F1", "600.00", "2026-03-23", "2026-03-27", "2026-03-23-01"),
        paid("F1", "600.00", "2026-03-27"),
    ]
    assert charge(events, "F1", "2026-03-19").days_late == 0  # before the return: on time
    c = charge(events, "F1", "2026-04-30")
    assert (c.days_late, c.interest, c.indemnity) == (12, Decimal("1.55"), Decimal("40.00"))
    assert c.paid_on == D("2026-03-27")
    # known on 2026-03-22: overdue since the 16th, 7 days: 600 x 7.86 % x 7 / 365 = 0.90443
    c = charge(events, "F1", "2026-03-22")
    assert (c.days_late, c.interest, c.paid_on) == (7, Decimal("0.90"), None)


# --- R91 late-payment charges --------------------------------------------------------------


def test_r91_interest_across_a_half_year_change_of_rate():
    # due 2025-06-20, open to 2025-07-10: 21-30 June, 10 days at 3 x 3.71 = 11.13 %, then
    # 1-10 July, 10 days at 3 x 2.76 = 8.28 %:
    # 1000 x (11.13 x 10 + 8.28 x 10) / 100 / 365 = 19.41 / 3.65 = 5.3178... -> 5.32
    events = [invoice("F1", "1000.00", "2025-06-20")]
    c = charge(events, "F1", "2025-07-10")
    assert [(s.start, s.end, s.rate_pct) for s in c.stretches] == [
        (D("2025-06-21"), D("2025-06-30"), Decimal("11.13")),
        (D("2025-07-01"), D("2025-07-10"), Decimal("8.28")),
    ]
    assert (c.days_late, c.interest, c.indemnity, c.paid_on) == (
        20,
        Decimal("5.32"),
        Decimal("40.00"),
        None,
    )


def test_r91_interest_across_a_partial_payment():
    # 1200.00 due 2026-01-31; 500.00 on 2026-02-10, the 700.00 left on 2026-03-02:
    # 1-10 February at 1200 (the payment day counts), 11 February - 2 March (20 days) at 700:
    # (1200 x 10 + 700 x 20) x 7.86 % / 365 = 2043.6 / 365 = 5.5989... -> 5.60, rounded once
    events = [
        invoice("F1", "1200.00", "2026-01-31"),
        paid("F1", "500.00", "2026-02-10"),
        paid("F1", "700.00", "2026-03-02"),
    ]
    c = charge(events, "F1", "2026-03-31")
    assert [(s.days, s.balance) for s in c.stretches] == [
        (10, Decimal("1200.00")),
        (20, Decimal("700.00")),
    ]
    assert (c.days_late, c.interest, c.indemnity, c.paid_on) == (
        30,
        Decimal("5.60"),
        Decimal("40.00"),
        D("2026-03-02"),
    )


def test_r91_a_29_february_is_a_day_at_365():
    # 365.00 due 2028-02-27, open to 2028-03-01: 28, 29 February and 1 March, 3 days at
    # 3 x 2.00 = 6 %: 365 x 6 % x 3 / 365 = 0.18
    c = charge([invoice("F1", "365.00", "2028-02-27")], "F1", "2028-03-01")
    assert (c.days_late, c.interest) == (3, Decimal("0.18"))


def test_r91_ecb_plus_10_is_the_rate_in_force_on_1_january_or_1_july():
    # ECB 2.15 % in force on 2026-01-01 (the 2.40 % of 2026-03-01 waits for 1 July):
    # 1000 x 12.15 % x 10 / 365 = 3.3287... -> 3.33
    rates = LateRates.of("ecb_plus_10", LEGAL, ECB)
    c = charge([invoice("F1", "1000.00", "2026-03-05")], "F1", "2026-03-15", rates)
    assert (c.stretches[0].rate_pct, c.interest) == (Decimal("12.15"), Decimal("3.33"))
    # from 1 July: 12.40 %
    assert rates.annual_pct(D("2026-07-01")) == Decimal("12.40")


def test_r91_a_half_year_without_a_rate_stops():
    with pytest.raises(MissingRate) as exc:
        charge([invoice("F1", "10.00", "2026-12-20")], "F1", "2027-01-05")
    assert exc.value.half_year == D("2027-01-01")


def test_r91_an_invoice_paid_on_time_has_no_charge():
    events = [invoice("F1", "10.00", "2026-10-31"), paid("F1", "10.00", "2026-10-31")]
    c = charge(events, "F1", "2026-12-01")
    assert (c.days_late, c.interest, c.indemnity, c.stretches) == (0, 0, 0, ())


# --- R92 levels, episodes, disputes --------------------------------------------------------


def _plan(events, day, disputes=()):
    return [(x.customer_id, x.level) for x in plan_letters(events, D(day), LEVELS, RATES, disputes)]


def test_r92_levels_in_order_once_per_episode():
    events = [invoice("F1", "1000.00", "2026-10-01")]
    assert _plan(events, "2026-10-07") == []  # 6 days past due
    assert _plan(events, "2026-10-08") == [("C1", "reminder")]  # 7 days
    events.append(letter("C1", "reminder", "2026-10-08"))
    assert _plan(events, "2026-10-08") == []  # the same day again: nothing new
    assert _plan(events, "2026-10-30") == []
    assert _plan(events, "2026-10-31") == [("C1", "formal_notice")]  # 30 days
    events.append(letter("C1", "formal_notice", "2026-10-31"))
    assert dunning_levels(events, D("2026-11-01")) == {"C1": "formal_notice"}
    assert _plan(events, "2026-11-14") == []
    assert _plan(events, "2026-11-15") == [("C1", "suspension")]  # 45 days, notice + 15
    events.append(letter("C1", "suspension", "2026-11-15"))
    assert suspended(events, D("2026-11-20")) == {"C1": D("2026-11-15")}
    assert _plan(events, "2026-12-31") == []


def test_r92_a_suspension_always_follows_a_formal_notice_by_its_delay():
    # first seen 50 days past due: the formal notice, not a reminder, nor a suspension yet
    events = [invoice("F1", "1000.00", "2026-10-01")]
    [x] = plan_letters(events, D("2026-11-20"), LEVELS, RATES)
    assert (x.level, x.next_step, x.next_step_on) == (
        "formal_notice",
        "suspension",
        D("2026-12-05"),
    )
    events.append(letter("C1", "formal_notice", "2026-11-20"))
    assert _plan(events, "2026-12-04") == []
    assert _plan(events, "2026-12-05") == [("C1", "suspension")]


def test_r92_an_episode_that_ends_and_a_new_one_that_starts():
    events = [
        invoice("F1", "100.00", "2026-10-01"),
        letter("C1", "reminder", "2026-10-08"),
        paid("F1", "100.00", "2026-10-20"),
        invoice("F2", "100.00", "2026-11-01"),
    ]
    assert dunning_levels(events, D("2026-10-19")) == {"C1": "reminder"}
    assert dunning_levels(events, D("2026-10-20")) == {}  # paid: the episode ended
    invoices = list(invoices_on(events, D("2026-11-08")).values())
    assert episode_start(invoices, D("2026-11-08")) == D("2026-11-02")
    assert _plan(events, "2026-11-08") == [("C1", "reminder")]  # a new episode, again


def test_r92_a_dispute_opened_then_closed():
    events = [invoice("F1", "100.00", "2026-10-01")]
    dispute = [Dispute("C1", "F1", D("2026-10-05"), D("2026-10-20"))]
    assert _plan(events, "2026-10-08", dispute) == []  # under dispute: not dunned
    assert _plan(events, "2026-10-19", dispute) == []
    # closed on the 20th: dunned again, 19 days past due (the clock never stopped)
    [x] = plan_letters(events, D("2026-10-20"), LEVELS, RATES, dispute)
    assert (x.level, x.days_past_due) == ("reminder", 19)


def test_r92_lifecycle_status_207_stops_dunning_until_a_later_status():
    events = [
        invoice("F1", "100.00", "2026-10-01"),
        Event(
            LIFECYCLE_STATUS,
            D("2026-10-03"),
            "C1",
            "F1",
            Decimal("0"),
            "cdar.xml",
            "h",
            "s1",
            details(code="207"),
        ),
    ]
    assert _plan(events, "2026-10-10") == []
    events.append(
        Event(
            LIFECYCLE_STATUS,
            D("2026-10-12"),
            "C1",
            "F1",
            Decimal("0"),
            "cdar.xml",
            "h",
            "s2",
            details(code="205"),
        )
    )
    assert _plan(events, "2026-10-12") == [("C1", "reminder")]


def test_r92_letter_lists_dunned_invoices_and_their_charges():
    # F1 1000.00 due 2026-09-01 and F2 500.00 due 2026-10-01, both open on 2026-10-01:
    # F1 30 days: 1000 x 7.86 % x 30 / 365 = 6.4603 -> 6.46; F2 not yet overdue (due that day)
    events = [invoice("F1", "1000.00", "2026-09-01"), invoice("F2", "500.00", "2026-10-01")]
    [x] = plan_letters(events, D("2026-10-01"), LEVELS, RATES)
    assert (x.level, [i.number for i in x.invoices]) == ("formal_notice", ["F1"])
    assert (x.overdue, x.interest, x.indemnity) == (
        Decimal("1000.00"),
        Decimal("6.46"),
        Decimal("40.00"),
    )


# --- inputs (R42) ---------------------------------------------------------------------------


def _provider(tmp_path, extra: str):
    from conftest import PROVIDER

    (tmp_path / "provider.toml").write_text(
        PROVIDER.replace("payment_terms_days = 30\n", "") + extra, encoding="utf-8"
    )


def test_r90_payment_terms_above_45_days_stop_the_run(tmp_path):
    from pipeline.core.errors import InputError
    from pipeline.inputs.reference import read_provider

    _provider(tmp_path, "payment_terms_days = 46\n")
    with pytest.raises(InputError) as exc:
        read_provider(tmp_path)
    assert "payment_terms_days 46 : le délai de paiement de ces factures périodiques ne peut " in (
        str(exc.value)
    )
    assert "45 jours" in str(exc.value) and "R90" in str(exc.value)


def test_r91_the_rate_book_tables_are_read_and_checked(tmp_path):
    from conftest import ROOT, write_rows

    from pipeline.core.errors import InputError
    from pipeline.inputs.dunning import load_dunning_inputs

    inputs = load_dunning_inputs(tmp_path, ROOT / "rates", {})
    assert (inputs.late_interest, inputs.levels) == (
        "legal_x3",
        (("reminder", 7), ("formal_notice", 30), ("suspension", 45)),
    )
    rates = LateRates.of("legal_x3", inputs.legal_interest.rows, inputs.ecb_refi.rows)
    assert rates.annual_pct(D("2026-03-01")) == Decimal("7.86")  # 3 x 2.62
    assert rates.annual_pct(D("2023-08-01")) == Decimal("12.66")  # 3 x 4.22
    ecb = LateRates.of("ecb_plus_10", inputs.legal_interest.rows, inputs.ecb_refi.rows)
    assert ecb.annual_pct(D("2024-02-01")) == Decimal("14.50")  # 4.50 in force on 1 January
    assert ecb.annual_pct(D("2024-08-01")) == Decimal("14.25")  # 4.25 from 12 June 2024
    # a legal rate that is not a half-year's, a level out of order, an unknown rate basis
    bad = tmp_path / "rates"
    write_rows(
        bad / "legal_interest.csv",
        [["valid_from", "rate_pct", "source"], ["2026-02-01", "2.62", "x"]],
    )
    write_rows(bad / "ecb_refi.csv", [["valid_from", "rate_pct", "source"]])
    with pytest.raises(InputError, match=r"legal_interest.csv, ligne 2 : valid_from 2026-02-01"):
        load_dunning_inputs(tmp_path, bad, {})
    levels = [{"level": "formal_notice", "days": 30}, {"level": "reminder", "days": 7}]
    with pytest.raises(InputError, match=r"\[\[dunning\]\]"):
        load_dunning_inputs(tmp_path, ROOT / "rates", {"dunning": levels})
    with pytest.raises(InputError, match="late_interest = 'bce'"):
        load_dunning_inputs(tmp_path, ROOT / "rates", {"late_interest": "bce"})
    custom = [{"level": "reminder", "days": 10}, {"level": "formal_notice", "days": 20}]
    assert load_dunning_inputs(tmp_path, ROOT / "rates", {"dunning": custom}).levels == (
        ("reminder", 10),
        ("formal_notice", 20),
    )


# --- R91 property: stretches are a day-by-day sum ---------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    due=st.dates(D("2025-01-01"), D("2025-12-31")),
    cents=st.integers(1, 500_000),
    payments=st.lists(st.tuples(st.integers(-20, 200), st.integers(1, 200_000)), max_size=4),
    horizon=st.integers(0, 365),
)
def test_r91_interest_by_stretches_is_the_day_by_day_sum(due, cents, payments, horizon):
    """Whatever the payments, the stretches count each late day once, with the balance at its
    start and the rate of its half-year: the same as summing day by day, rounded once."""
    ttc = Decimal(cents) / 100
    events = [invoice("F1", str(ttc), due.isoformat())]
    for offset, amount in payments:
        events.append(paid("F1", str(Decimal(amount) / 100), (due + timedelta(offset)).isoformat()))
    day = due + timedelta(horizon)
    inv = invoices_on(events, day)["F1"]
    c = late_charge(inv, day, RATES)
    late_days = [
        due + timedelta(n)
        for n in range(1, horizon + 1)
        if inv.balance_before(due + timedelta(n)) > 0
    ]
    naive = sum(
        (inv.balance_before(t) * RATES.annual_pct(t) / 100 / 365 for t in late_days), Decimal(0)
    )
    assert c.days_late == len(late_days)
    assert c.interest == naive.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert c.indemnity == (Decimal("40.00") if late_days else 0)
