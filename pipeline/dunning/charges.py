"""R91: late-payment charges of an invoice to day D: pure.

interest = the sum, over each stretch of days with the same overdue balance and the same
annual rate, of balance x rate x days / 365, from the day after the due date to the payment
date included (a day counts with the balance at its start: the day the last payment arrives
counts, the next does not), rounded to the cent once (R2, half away from zero); 365 days
whatever the year (a 29 February is one more day at /365). Plus the fixed recovery indemnity
of 40 EUR (art. D441-5 du Code de commerce) once per late invoice: one with at least one day
late, paid late or still overdue on D.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.core import data_contract as contract
from pipeline.core.money import round_line
from pipeline.dunning.overdue import ONE_DAY, ZERO, Invoice
from pipeline.dunning.rates import LateRates, next_half_year

INDEMNITY = Decimal(contract.RECOVERY_INDEMNITY_EUR)
DAYS_IN_YEAR = 365


@dataclass(frozen=True)
class Stretch:
    start: date  # first day
    end: date  # last day, included
    balance: Decimal
    rate_pct: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def interest(self) -> Decimal:
        """Unrounded: balance x rate x days / 365."""
        return self.balance * self.rate_pct / 100 * self.days / DAYS_IN_YEAR


@dataclass(frozen=True)
class LateCharge:
    invoice: Invoice
    day: date  # charges to this day, included
    stretches: tuple[Stretch, ...]

    @property
    def days_late(self) -> int:
        return sum(s.days for s in self.stretches)

    @property
    def interest(self) -> Decimal:
        return round_line(sum((s.interest for s in self.stretches), Decimal(0)))

    @property
    def indemnity(self) -> Decimal:
        return INDEMNITY if self.stretches else ZERO

    @property
    def paid_on(self) -> date | None:
        """The day its balance reached 0, when that is on or before `day`."""
        if self.invoice.balance_after(self.day) > 0:
            return None
        days = [r.on for r in self.invoice.reductions if r.on <= self.day]
        return max(days) if days else None

    def interest_between(self, first: date, last: date) -> Decimal:
        """The interest of the days from `first` to `last` included, rounded once (what a
        charge document invoices for those days)."""
        total = Decimal(0)
        for s in self.stretches:
            a, b = max(s.start, first), min(s.end, last)
            if a <= b:
                total += Stretch(a, b, s.balance, s.rate_pct).interest
        return round_line(total)


def late_charge(invoice: Invoice, day: date, rates: LateRates) -> LateCharge:
    """The invoice's late days up to `day` included, by stretches (see the module). Raises
    pipeline.dunning.rates.MissingRate when a day's half-year has no rate."""
    first = invoice.due_date + ONE_DAY
    if first > day or invoice.late_charge:  # no charges on charges (art. 1343-2 C. civ.)
        return LateCharge(invoice, day, ())
    cuts = {first, day + ONE_DAY}
    cuts |= {r.on + ONE_DAY for r in invoice.reductions if first < r.on + ONE_DAY <= day}
    boundary = next_half_year(first)
    while boundary <= day:
        cuts.add(boundary)
        boundary = next_half_year(boundary)
    points = sorted(cuts)
    stretches: list[Stretch] = []
    for a, b in zip(points, points[1:], strict=False):
        balance = invoice.balance_before(a)
        if balance <= 0:
            continue
        rate = rates.annual_pct(a)
        last = b - ONE_DAY
        previous = stretches[-1] if stretches else None
        if (
            previous
            and previous.end + ONE_DAY == a
            and (previous.balance, previous.rate_pct)
            == (
                balance,
                rate,
            )
        ):
            stretches[-1] = Stretch(previous.start, last, balance, rate)
        else:
            stretches.append(Stretch(a, last, balance, rate))
    return LateCharge(invoice, day, tuple(stretches))
