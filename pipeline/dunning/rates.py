"""The annual late-interest rate of a day (R91), from the rate book's two tables: pure.

- `legal_x3`: 3 x the legal interest rate for professional creditors ("pour tous les autres
  cas") of the day's half-year: the row of `legal_interest.csv` whose `valid_from` is that
  half-year's first day (1 January or 1 July); none stops the run (`MissingRate`).
- `ecb_plus_10`: the ECB main refinancing rate in force on the half-year's first day (the
  latest row of `ecb_refi.csv` on or before it, art. L441-10: "le taux applicable pendant le
  premier semestre de l'année concernée est le taux en vigueur au 1er janvier"), + 10 points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

LEGAL_X3, ECB_PLUS_10 = "legal_x3", "ecb_plus_10"


class MissingRate(ValueError):
    """No rate in the table for a half-year the interest needs."""

    def __init__(self, basis: str, half_year: date) -> None:
        super().__init__(f"{basis}: no rate for the half-year starting {half_year}")
        self.basis = basis
        self.half_year = half_year


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year(day: date) -> date:
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


@dataclass(frozen=True)
class LateRates:
    basis: str  # legal_x3 or ecb_plus_10
    legal: Mapping[date, Decimal]  # valid_from -> rate_pct
    ecb: tuple[tuple[date, Decimal], ...]  # (valid_from, rate_pct), in date order
    sources: Mapping[tuple[str, date], str] = None  # type: ignore[assignment]

    @classmethod
    def of(
        cls, basis: str, legal_rows: Iterable[dict[str, Any]], ecb_rows: Iterable[dict[str, Any]]
    ) -> LateRates:
        legal = list(legal_rows)
        ecb = sorted(ecb_rows, key=lambda r: r["valid_from"])
        sources = {("legal", r["valid_from"]): r.get("source") or "" for r in legal}
        sources.update({("ecb", r["valid_from"]): r.get("source") or "" for r in ecb})
        return cls(
            basis,
            {r["valid_from"]: Decimal(r["rate_pct"]) for r in legal},
            tuple((r["valid_from"], Decimal(r["rate_pct"])) for r in ecb),
            sources,
        )

    def row(self, day: date) -> tuple[str, date]:
        """The table row the rate of `day` comes from: ("legal" | "ecb", valid_from)."""
        start = half_year_start(day)
        if self.basis == LEGAL_X3:
            if start not in self.legal:
                raise MissingRate(self.basis, start)
            return ("legal", start)
        in_force = [d for d, _ in self.ecb if d <= start]
        if not in_force:
            raise MissingRate(self.basis, start)
        return ("ecb", in_force[-1])

    def annual_pct(self, day: date) -> Decimal:
        """The annual rate of `day`, in percent: 3 x 2.62 = 7.86 (legal_x3, first half of 2026)."""
        table, valid_from = self.row(day)
        if table == "legal":
            return 3 * self.legal[valid_from]
        return dict(self.ecb)[valid_from] + 10

    def source(self, day: date) -> str:
        return (self.sources or {}).get(self.row(day), "")
