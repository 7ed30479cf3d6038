"""The words a French customer or accountant reads for the codes of the data contract.

The CSV files keep the codes (machines read them); the invoice lines' descriptions, the
workbook and the e-invoices show these labels. A zone's label comes from the rate book: the
description that most of its prefixes share in destinations.csv, without its bracketed detail
("Royaume-Uni - fixe et autres numéros").
"""

from __future__ import annotations

import re
from collections import Counter
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


def usage_description(zone_label: str, reason: str, calls: int, billable_seconds: int) -> str:
    """R63 usage line: 'Appels vers Royaume-Uni - fixe hors forfait : 2 appels, durée
    facturée 3 min 01 s'."""
    phrase = REASON_PHRASES.get(reason, reason)
    plural = "s" if calls > 1 else ""
    return (
        f"Appels vers {zone_label} {phrase} : {calls} appel{plural}, "
        f"durée facturée {duration_text(billable_seconds)}"
    )
