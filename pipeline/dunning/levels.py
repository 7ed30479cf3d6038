"""R92: the dunning level each overdue customer has reached, and the letters of a day: pure.

- A customer's **episode** runs from the first day its overdue balance is above 0 to the day
  it reaches 0 again (pipeline.dunning.overdue); a letter belongs to the episode running on its
  date. Each level is sent once per episode.
- **Dunned invoices** on D: overdue on D and not under dispute (a `disputes.csv` row with
  opened_on <= D and no closed_on on or before D, or a latest lifecycle status 207 or 210).
  The days past due that reach a level are the oldest dunned invoice's: D - its due date.
- **The level sent on D**: the highest level reached that is above every level already sent in
  the episode (a customer first seen at 35 days past due gets the formal notice, not a reminder
  first). A suspension needs a formal notice sent in the episode at least (suspension days -
  formal notice days, 15 by default) days before: the notice announces that date, so the
  customer always has the time it was given; without one, the formal notice is sent instead.
  One letter per customer per day.
- `dunning_levels(events, day)`: the highest level sent in each customer's running episode
  (what the receivables report shows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pipeline.dunning.charges import LateCharge, late_charge
from pipeline.dunning.overdue import (
    ZERO,
    Invoice,
    by_customer,
    episode_start,
    invoices_on,
)
from pipeline.dunning.rates import LateRates
from pipeline.receivables.journal import DUNNING_LETTER, Event

REMINDER, FORMAL_NOTICE, SUSPENSION = "reminder", "formal_notice", "suspension"
ORDER = (REMINDER, FORMAL_NOTICE, SUSPENSION)


@dataclass(frozen=True)
class Dispute:
    customer_id: str
    invoice_number: str
    opened_on: date
    closed_on: date | None

    def open_on(self, day: date) -> bool:
        return self.opened_on <= day and (self.closed_on is None or day < self.closed_on)


@dataclass(frozen=True)
class Letter:
    customer_id: str
    level: str
    day: date
    episode_start: date
    charges: tuple[LateCharge, ...]  # the dunned invoices, oldest first, charges to `day`
    next_step: str  # the level that follows ("" after a suspension)
    next_step_on: date | None  # when it can follow

    @property
    def invoices(self) -> tuple[Invoice, ...]:
        return tuple(c.invoice for c in self.charges)

    @property
    def overdue(self) -> Decimal:
        return sum((c.invoice.balance_after(self.day) for c in self.charges), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((c.interest for c in self.charges), ZERO)

    @property
    def indemnity(self) -> Decimal:
        return sum((c.indemnity for c in self.charges), ZERO)

    @property
    def oldest_due(self) -> date:
        return min(i.due_date for i in self.invoices)

    @property
    def days_past_due(self) -> int:
        return (self.day - self.oldest_due).days

    @property
    def name(self) -> str:
        return f"{self.customer_id}-{self.level}"


def letters_sent(events: Iterable[Event], day: date) -> dict[str, list[Event]]:
    """The dunning letters recorded up to `day`, by customer, in date order."""
    sent: dict[str, list[Event]] = {}
    for e in events:
        if e.kind == DUNNING_LETTER and e.date <= day:
            sent.setdefault(e.customer_id, []).append(e)
    for letters in sent.values():
        letters.sort(key=lambda e: e.date)
    return sent


def _highest(letters: Iterable[Event]) -> int:
    return max((ORDER.index(e.detail("level")) for e in letters), default=-1)


def _episodes(
    events: Iterable[Event], day: date
) -> Iterator[tuple[str, list[Invoice], date, list[Event]]]:
    """Each customer with an overdue episode running on `day`: its invoices, the episode's
    first day and the letters sent to it since that day."""
    events = list(events)
    invoices = by_customer(invoices_on(events, day))
    sent = letters_sent(events, day)
    for customer, own in invoices.items():
        start = episode_start(own, day)
        if start is not None:
            yield customer, own, start, [e for e in sent.get(customer, []) if e.date >= start]


def dunning_levels(events: Iterable[Event], day: date) -> dict[str, str]:
    """customer_id -> the highest level sent in its overdue episode running on `day`
    (customers not overdue on `day`, or not dunned in this episode, are absent)."""
    levels = {}
    for customer, _, _, episode in _episodes(events, day):
        rank = _highest(episode)
        if rank >= 0:
            levels[customer] = ORDER[rank]
    return levels


def disputed(invoice: Invoice, disputes: Iterable[Dispute], day: date) -> bool:
    return invoice.lifecycle_dispute(day) or any(
        d.invoice_number == invoice.number and d.open_on(day) for d in disputes
    )


def plan_letters(
    events: Iterable[Event],
    day: date,
    levels: tuple[tuple[str, int], ...],
    rates: LateRates,
    disputes: Iterable[Dispute] = (),
) -> list[Letter]:
    """The letters to send on `day`, by customer (see the module)."""
    disputes = list(disputes)
    thresholds: Mapping[str, int] = dict(levels)
    letters = []
    for customer, own, start, episode in _episodes(events, day):
        dunned = [i for i in own if i.overdue_on(day) and not disputed(i, disputes, day)]
        if not dunned:
            continue
        if any(e.date == day for e in episode):
            continue  # one letter per customer per day
        past_due = max((day - i.due_date).days for i in dunned)
        highest = _highest(episode)
        reached = [lv for lv, days in levels if past_due >= days and ORDER.index(lv) > highest]
        if not reached:
            continue
        level = reached[-1]
        if level == SUSPENSION and FORMAL_NOTICE in thresholds:
            notices = [e.date for e in episode if e.detail("level") == FORMAL_NOTICE]
            gap = timedelta(days=thresholds[SUSPENSION] - thresholds[FORMAL_NOTICE])
            if not notices:
                level = FORMAL_NOTICE
            elif day < notices[0] + gap:
                continue
        charges = tuple(late_charge(i, day, rates) for i in dunned)
        oldest = min(i.due_date for i in dunned)
        next_step, next_on = _next_step(level, day, oldest, thresholds)
        letters.append(Letter(customer, level, day, start, charges, next_step, next_on))
    return letters


def _next_step(
    level: str, day: date, oldest_due: date, thresholds: Mapping[str, int]
) -> tuple[str, date | None]:
    """The level that follows and the first day it can be sent."""
    following = [lv for lv in ORDER[ORDER.index(level) + 1 :] if lv in thresholds]
    if not following:
        return "", None
    nxt = following[0]
    on = oldest_due + timedelta(days=thresholds[nxt])
    if nxt == SUSPENSION and level == FORMAL_NOTICE:
        on = max(on, day + timedelta(days=thresholds[SUSPENSION] - thresholds[FORMAL_NOTICE]))
    return nxt, max(on, day + timedelta(days=1))


def suspended(events: Iterable[Event], day: date) -> dict[str, date]:
    """customer_id -> the date of the suspension letter of its running episode."""
    result = {}
    for customer, _, _, episode in _episodes(events, day):
        dates = [e.date for e in episode if e.detail("level") == SUSPENSION]
        if dates:
            result[customer] = dates[0]
    return result
