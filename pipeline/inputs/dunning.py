"""The inputs of `billing dunning` (R90-R92), checked like all reference data (R42): a bad
row or setting stops the run with one line naming the file, the line and the problem (exit 2).

- `disputes.csv` (optional, data folder): invoices under dispute (not dunned while open);
- `rates/legal_interest.csv` and `rates/ecb_refi.csv`: the late-interest tables (R91);
- provider.toml: `late_interest` (`legal_x3`, the default, or `ecb_plus_10`) and the
  `[[dunning]]` levels (`level`, `days`; default reminder 7, formal_notice 30, suspension 45).

Whether a dispute names an invoice of its customer is checked by the driver against the
receivables journal, where the invoices are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core import data_contract as contract
from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.inputs.reference import FileSpec, Table, read_table

LEVEL_NAMES = tuple(name for name, _ in contract.DUNNING_LEVELS_DEFAULT)


def _closed_after_opened(row: dict[str, Any]) -> str | None:
    if row.get("closed_on") is not None and row["closed_on"] < row["opened_on"]:
        return say(
            f"closed_on ({row['closed_on']}) est antérieur à opened_on ({row['opened_on']})",
            f"closed_on ({row['closed_on']}) is before opened_on ({row['opened_on']})",
        )
    return None


def _half_year_start(row: dict[str, Any]) -> str | None:
    day = row["valid_from"]
    if (day.month, day.day) not in ((1, 1), (7, 1)):
        return say(
            f"valid_from {day} : le taux de l'intérêt légal est fixé par semestre (1er janvier "
            "ou 1er juillet)",
            f"valid_from {day}: the legal interest rate is set per half-year (1 January or 1 July)",
        )
    return None


def _rate_in_range(row: dict[str, Any]) -> str | None:
    if not 0 <= row["rate_pct"] <= 100:
        return say(
            f"rate_pct {row['rate_pct']} : un pourcentage de 0 à 100 attendu",
            f"rate_pct {row['rate_pct']}: expected a percentage from 0 to 100",
        )
    return None


DISPUTES = FileSpec(contract.DISPUTES, (_closed_after_opened,))
LEGAL_INTEREST = FileSpec(contract.LEGAL_INTEREST, (_half_year_start, _rate_in_range))
ECB_REFI = FileSpec(contract.ECB_REFI, (_rate_in_range,))


@dataclass(frozen=True)
class DunningInputs:
    disputes: Table
    legal_interest: Table
    ecb_refi: Table
    late_interest: str  # legal_x3 or ecb_plus_10
    levels: tuple[tuple[str, int], ...]  # (level, days past due), in increasing days


def _levels(value: Any, path: str) -> tuple[tuple[str, int], ...]:
    if value is None:
        return contract.DUNNING_LEVELS_DEFAULT
    names = ", ".join(LEVEL_NAMES)
    problem = say(
        f"[[dunning]] : des tables level = un de {names}, days = un nombre entier de jours de "
        "1 à 365 après l'échéance, chaque niveau une fois, les jours croissant dans cet ordre",
        f"[[dunning]]: expected tables level = one of {names}, days = a whole number of days "
        "1-365 past due, each level once, days increasing in that order",
    )
    if not isinstance(value, list) or not value:
        raise InputError(problem, file=path)
    levels = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"level", "days"}:
            raise InputError(problem, file=path)
        level, days = item["level"], item["days"]
        if level not in LEVEL_NAMES or isinstance(days, bool) or not isinstance(days, int):
            raise InputError(problem, file=path)
        if not 1 <= days <= 365:
            raise InputError(problem, file=path)
        levels.append((level, days))
    ranks = [LEVEL_NAMES.index(level) for level, _ in levels]
    days_ = [d for _, d in levels]
    if ranks != sorted(set(ranks)) or days_ != sorted(set(days_)):
        raise InputError(problem, file=path)
    return tuple(levels)


def load_dunning_inputs(data: Path, rates: Path, provider: dict[str, Any]) -> DunningInputs:
    """Read and check the dunning inputs (R42); `provider`: provider.toml as read by
    pipeline.inputs.reference.read_provider."""
    path = str(data / contract.PROVIDER_FILE)
    late = provider.get("late_interest", contract.LATE_INTEREST_CHOICES[0])
    if late not in contract.LATE_INTEREST_CHOICES:
        choices = " ou ".join(contract.LATE_INTEREST_CHOICES)
        raise InputError(
            say(
                f"late_interest = {late!r} : {choices} attendu (R91)",
                f"late_interest = {late!r}: expected {' or '.join(contract.LATE_INTEREST_CHOICES)}"
                " (R91)",
            ),
            file=path,
        )
    return DunningInputs(
        read_table(data, DISPUTES),
        read_table(rates, LEGAL_INTEREST),
        read_table(rates, ECB_REFI),
        late,
        _levels(provider.get("dunning"), path),
    )
