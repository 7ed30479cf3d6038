"""The words a French customer or accountant reads for the codes of the data contract.

The CSV files keep the codes (machines read them); the invoice lines' descriptions, the
workbook and the e-invoices show these labels. A zone's label comes from the rate book: the
description that most of its prefixes share in destinations.csv, without its bracketed detail
("Royaume-Uni - fixe et autres numéros").
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any

# R16: why a call is charged, as the end of "Appels vers <zone> ..."
REASON_PHRASES = {
    "TELECOM_PROFESSIONAL": "au tarif des professionnels des télécoms",
    "NO_PLAN": "hors forfait illimité",
    "FAIR_USE_DISTINCT_NUMBERS": "forfait suspendu pour usage abusif (plus de 150 numéros distincts)",
    "FAIR_USE_CONCURRENT_CALLS": "forfait suspendu pour usage abusif (plus de 3 appels simultanés)",
    "FAIR_USE_DEVICES": "forfait suspendu pour usage abusif (plus de 3 terminaux enregistrés)",
    "THIRD_PARTY_DEVICE": "depuis un terminal non fourni par l'opérateur",
    "OUT_OF_PLAN": "hors forfait",
    "FORWARDING_OVER_FAIR_USE": "renvois au-delà des 2 h comprises",
}
_BRACKETS = re.compile(r"\s*\([^)]*\)")


def zone_labels(destinations: list[dict[str, Any]]) -> dict[str, str]:
    """zone -> its label: the description most of its prefixes share, brackets removed (ties:
    the shortest, then the first in alphabetical order); the zone code when none has one."""
    texts: dict[str, Counter[str]] = {}
    for row in destinations:
        text = _BRACKETS.sub("", row.get("description") or "").strip()
        if text:
            texts.setdefault(row["zone"], Counter())[text] += 1
    labels = {}
    for zone, counts in texts.items():
        labels[zone] = min(counts, key=lambda t: (-counts[t], len(t), t))
    for row in destinations:
        labels.setdefault(row["zone"], row["zone"])
    return labels


def duration_text(seconds: int) -> str:
    """3 min 01 s, 1 h 02 min 03 s, 45 s."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


# R63: the unit of a line, as a UN/ECE Recommendation 20 code (invoice_lines.csv `unit`, the
# CII's BT-130) and as the French word the PDF and the workbook print.
MONTH_UNIT = "MON"  # one month: a subscription or rental month, months owed on termination
LOT_UNIT = "LS"  # one lot ("lump sum"): a usage line, a correction's difference
PIECE_UNIT = "H87"  # one piece: equipment sold or charged when not returned
UNIT_LABELS = {MONTH_UNIT: "mois", LOT_UNIT: "lot", PIECE_UNIT: "pièce", "C62": "unité"}
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def usage_label(zone_label: str, reason: str) -> str:
    """'Appels vers Royaume-Uni - fixe hors forfait'."""
    return f"Appels vers {zone_label} {REASON_PHRASES.get(reason, reason)}"


def decimal_text(value: Decimal, places: int, sign: bool = False) -> str:
    """A decimal written the French way with exactly `places` decimals: 0.02 -> '0,0200'
    (places 4); with `sign`, '+0,09' / '-0,09'. Not rounded: `value` has at most `places`."""
    fixed = value.quantize(Decimal(1).scaleb(-places))
    if fixed != value:
        raise ValueError(f"{value} has more than {places} decimals")
    text = format(abs(fixed), "f").replace(".", ",")
    if fixed < 0:
        return f"-{text}"
    return f"+{text}" if sign else text


def usage_description(
    zone_label: str,
    reason: str,
    calls: int,
    billable_seconds: int,
    price_per_min: Decimal | None = None,
    connection_fee: Decimal | None = None,
) -> str:
    """R63 usage line: its calls, billed duration and per-minute price when its calls share one
    ('Appels vers Royaume-Uni - fixe hors forfait : 2 appels, durée facturée 3 min 01 s,
    0,0500 EUR/min'), with the connection fee per call when there is one. Calls rated at
    several prices (a tariff version changed during the month) say so instead: each call's
    price is in the itemised bill."""
    plural = "s" if calls > 1 else ""
    text = (
        f"{usage_label(zone_label, reason)} : {calls} appel{plural}, "
        f"durée facturée {duration_text(billable_seconds)}"
    )
    if price_per_min is None or connection_fee is None:
        return f"{text}, plusieurs tarifs (voir le détail des appels)"
    text += f", {decimal_text(price_per_min, 4)} EUR/min"
    if connection_fee:
        text += f" + {decimal_text(connection_fee, 4)} EUR par appel"
    return text


def month_of_text(month: Any) -> str:
    """'d'octobre 2026', 'de septembre 2026' (a pipeline.core.dates.Month, or 'YYYY-MM')."""
    year, number = (int(x) for x in str(month).split("-"))
    name = MONTH_NAMES[number - 1]
    return f"d'{name} {year}" if name[0] in "aeiouéy" else f"de {name} {year}"


def usage_correction_description(
    zone_label: str, reason: str, month: Any, calls: int, seconds: int, amount: Decimal
) -> str:
    """R63 correction of a usage line: what changed, never the recomputed totals.
    'Correction des appels vers Mobile France hors forfait d'octobre 2026 : 1 appel ajouté,
    +2 min 00 s facturées, +0,09 EUR'."""
    label = usage_label(zone_label, reason).replace("Appels vers", "des appels vers", 1)
    if calls:
        plural = "s" if abs(calls) > 1 else ""
        what = "ajouté" if calls > 0 else "retiré"
        calls_text = f"{abs(calls)} appel{plural} {what}{plural}"
    else:
        calls_text = "nombre d'appels inchangé"
    if seconds:
        seconds_text = f"{'+' if seconds > 0 else '-'}{duration_text(abs(seconds))} facturées"
    else:
        seconds_text = "durée facturée inchangée"
    return (
        f"Correction {label} {month_of_text(month)} : {calls_text}, {seconds_text}, "
        f"{decimal_text(amount, 2, sign=True)} EUR"
    )


def line_correction_description(description: str, issued: Decimal, recomputed: Decimal) -> str:
    """R63 correction of any other line (a price fixed, a notice date recorded late...): the
    line, what was billed, what is due, the difference. 'Correction Abonnement Pro - 2026-10 :
    facturé 25,00 EUR, dû 27,00 EUR, +2,00 EUR'."""
    return (
        f"Correction {description} : facturé {decimal_text(issued, 2)} EUR, "
        f"dû {decimal_text(recomputed, 2)} EUR, {decimal_text(recomputed - issued, 2, sign=True)} EUR"
    )
