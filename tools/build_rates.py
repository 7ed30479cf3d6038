#!/usr/bin/env python3
"""Build the rate book: rates/destinations.csv, tariffs.csv, products.csv, equipment.csv.

The CSV files under rates/ are the committed output of this script; rates/README.md explains
them. The script is deterministic: the destination prefixes come from the numbering-plan
metadata of the `phonenumbers` package (a dev dependency, pinned below), the prices and the
catalogue are the tables written in this file, and the only randomness (in the self-checks) is
seeded.

    python3 tools/build_rates.py              # write rates/ and run the self-checks
    python3 tools/build_rates.py --check      # only check the files already in rates/
    python3 tools/build_rates.py --out DIR    # write somewhere else (then check DIR)

Rules: R11 (normalisation), R12 (longest prefix), R13 (tariff versions: a change is a new row),
R14 (amount fields), R15 (only the national fixed and mobile zones are in the unlimited plan),
R34 (equipment catalogue prices by date).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import re
import re._constants as sre_c
import re._parser as sre_parse
import sys
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType

from pipeline.core import data_contract as contract

# The metadata the committed rates/ were generated from. Another version may move a few
# prefixes: rebuild, review the diff, and add tariff rows rather than edit used ones (R13).
BUILT_WITH_PHONENUMBERS = "9.0.43"

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "rates"

BOOK_START = "2025-01-01"  # valid_from of the first version of every tariff

# --------------------------------------------------------------------------------------------
# Reading phonenumbers' metadata: a national-number regex becomes a list of "sequences", each
# a tuple of digit sets, one per position (the patterns only use literals, classes,
# alternation, groups and bounded repeats, so the expansion is finite and small).
# --------------------------------------------------------------------------------------------

DIGITS = frozenset("0123456789")

# phonenumbers' own precedence when it types a number (phonenumberutil._number_type_helper)
TYPE_ORDER = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

PN_TYPE = {
    "premium_rate": PhoneNumberType.PREMIUM_RATE,
    "toll_free": PhoneNumberType.TOLL_FREE,
    "shared_cost": PhoneNumberType.SHARED_COST,
    "voip": PhoneNumberType.VOIP,
    "personal_number": PhoneNumberType.PERSONAL_NUMBER,
    "pager": PhoneNumberType.PAGER,
    "uan": PhoneNumberType.UAN,
    "voicemail": PhoneNumberType.VOICEMAIL,
    "fixed_line": PhoneNumberType.FIXED_LINE,
    "mobile": PhoneNumberType.MOBILE,
}


def _char_class(items) -> frozenset[str]:
    chars: set[str] = set()
    negate = False
    for op, av in items:
        if op is sre_c.LITERAL:
            chars.add(chr(av))
        elif op is sre_c.RANGE:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op is sre_c.CATEGORY and av is sre_c.CATEGORY_DIGIT:
            chars.update(DIGITS)
        elif op is sre_c.NEGATE:
            negate = True
        else:
            raise ValueError(f"unsupported class item {op}")
    return frozenset(DIGITS - chars if negate else chars & DIGITS)


def _expand(parsed) -> list[tuple[frozenset[str], ...]]:
    seqs: list[tuple[frozenset[str], ...]] = [()]
    for op, av in parsed:
        if op is sre_c.LITERAL:
            alts = [(frozenset(chr(av)),)]
        elif op is sre_c.IN:
            alts = [(_char_class(av),)]
        elif op is sre_c.SUBPATTERN:
            alts = _expand(av[3])
        elif op is sre_c.BRANCH:
            alts = [s for branch in av[1] for s in _expand(branch)]
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            lo, hi, sub = av
            inner = _expand(sub)
            alts = []
            for n in range(lo, hi + 1):
                for combo in itertools.product(inner, repeat=n):
                    alts.append(sum(combo, ()))
        else:
            raise ValueError(f"unsupported regex op {op}")
        seqs = list(dict.fromkeys(a + b for a in seqs for b in alts))
    return seqs


@cache
def expand_pattern(pattern: str) -> tuple[tuple[frozenset[str], ...], ...]:
    return tuple(_expand(sre_parse.parse(pattern)))


def type_sequences(regions) -> list[tuple[str, tuple[frozenset[str], ...]]]:
    """(type attribute, sequence) for every numbering pattern of the regions of one code."""
    out = []
    for region in regions:
        meta = PhoneMetadata.metadata_for_region(region)
        for attr in TYPE_ORDER:
            desc = getattr(meta, attr)
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = set(desc.possible_length or meta.general_desc.possible_length)
            for seq in expand_pattern(desc.national_number_pattern):
                if len(seq) in lengths:
                    out.append((attr, seq))
    return out


def _alive(prefix: str, cands):
    i = len(prefix) - 1
    return [(a, s) for a, s in cands if len(s) > i and prefix[i] in s[i]]


def _winning_type(attrs: set[str]) -> str:
    """The type phonenumbers reports for a number matched by the patterns of `attrs`."""
    for attr in TYPE_ORDER[:8]:
        if attr in attrs:
            return attr
    if {"fixed_line", "mobile"} <= attrs:
        return "fixed_or_mobile"  # PhoneNumberType.FIXED_LINE_OR_MOBILE
    return "fixed_line" if "fixed_line" in attrs else "mobile"


class PrefixPlanner:
    """Smallest set of prefix rows (under longest-prefix match, R12) giving every valid number of
    a country calling code the zone of its phonenumbers type. Numbers valid for no type are
    "don't care" (they may inherit any zone). Below `max_depth` national digits a range whose
    types still differ gets the zone that covers most numbers (reported as approximate)."""

    def __init__(self, regions, label_of, max_depth=7):
        self.seqs = type_sequences(regions)
        self.label_of = label_of
        self.max_depth = max_depth
        self.approximate: dict[str, dict] = {}
        self._memo: dict = {}

    def _labels(self, alive):
        return {self.label_of(a) for a, _ in alive}

    def _tight(self, prefix, alive):
        # A range of one zone is written at its longest common prefix (a reviewer reads
        # "3511693" better than "3511" when only 1693xxxxx exists).
        while True:
            if any(len(s) == len(prefix) for _, s in alive):
                return prefix
            kids = [d for d in "0123456789" if _alive(prefix + d, alive)]
            if len(kids) != 1:
                return prefix
            prefix += kids[0]
            alive = _alive(prefix, alive)

    def best(self, prefix, alive, inherited):
        key = (prefix, inherited)
        if key not in self._memo:
            self._memo[key] = self._best(prefix, alive, inherited)
        return self._memo[key]

    def _best(self, prefix, alive, inherited):
        labels = self._labels(alive)
        if not labels:
            return 0, []
        if len(labels) == 1:
            (label,) = labels
            if label == inherited:
                return 0, []
            return 1, [(self._tight(prefix, alive), label)]
        undecidable = all(pos == DIGITS for _, seq in alive for pos in seq[len(prefix) :])
        if undecidable:
            # no digit further down separates the types: phonenumbers' precedence decides
            by_length: dict[int, set[str]] = {}
            for attr, seq in alive:
                by_length.setdefault(len(seq), set()).add(attr)
            winners = {self.label_of(_winning_type(attrs)) for attrs in by_length.values()}
            if len(winners) == 1:
                (label,) = winners
                return (0, []) if label == inherited else (1, [(prefix, label)])
        if undecidable or len(prefix) >= self.max_depth:
            weight: Counter = Counter()
            if undecidable:  # numbers of each length go to the type that wins them
                for length, attrs in by_length.items():
                    weight[self.label_of(_winning_type(attrs))] += 10 ** (length - len(prefix))
            else:  # approximate: overlapping patterns are counted twice
                for attr, seq in alive:
                    n = 1
                    for pos in seq[len(prefix) :]:
                        n *= len(pos)
                    weight[self.label_of(attr)] += n
            label = max(sorted(weight), key=lambda k: weight[k])
            self.approximate[prefix] = dict(weight)
            return (0, []) if label == inherited else (1, [(prefix, label)])
        best = None
        for choice in [inherited] + sorted(labels - {inherited}):
            cost, rows = self._children(prefix, alive, choice)
            if choice != inherited:
                cost, rows = cost + 1, [(prefix, choice)] + rows
            if best is None or cost < best[0]:
                best = (cost, rows)
        return best

    def _children(self, prefix, alive, label):
        cost, rows = 0, []
        for d in "0123456789":
            c, r = self.best(prefix + d, _alive(prefix + d, alive), label)
            cost += c
            rows += r
        return cost, rows

    def plan(self, inherited):
        """Rows below the country code (national prefixes), relative to it."""
        return self.best("", self.seqs, inherited)[1]

    def plan_forced(self, prefix):
        """One row forced at `prefix` (a national prefix), plus the rows under it."""
        alive = [(a, s) for a, s in self.seqs if len(s) >= len(prefix)]
        for i, ch in enumerate(prefix):
            alive = [(a, s) for a, s in alive if ch in s[i]]
        labels = self._labels(alive)
        if not labels:
            return []
        best = None
        for choice in sorted(labels):
            cost, rows = self._children(prefix, alive, choice)
            if best is None or cost < best[0]:
                best = (cost, [(prefix, choice)] + rows)
        return best[1]


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def region_name(region: str) -> str:
    """French name of a region from phonenumbers' locale data, English as a fallback."""
    try:
        from phonenumbers.geodata.locale import LOCALE_DATA
    except ImportError:  # pragma: no cover
        return region
    names = LOCALE_DATA.get(region) or {}
    for lang in ("fr", "en", "aa"):
        name = names.get(lang)
        seen = 0
        while name and name.startswith("*") and seen < 5:
            name = names.get(name[1:])
            seen += 1
        if name:
            return name.replace(", ", " / ")  # no comma: the CSV files need no quoting
    return NAME_FALLBACK.get(region, region)


NAME_FALLBACK = {"TA": "Tristan da Cunha", "AC": "Ascension", "XK": "Kosovo"}

# --------------------------------------------------------------------------------------------
# Zones and prices
# --------------------------------------------------------------------------------------------

EU = (
    "AT BE BG HR CY CZ DK EE FI DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
).split()  # France is national

# Countries split fixed / mobile: (price_per_min fixed, price_per_min mobile), EUR.
SPLIT_PRICES = {
    "AT": ("0.0400", "0.1500"),
    "BE": ("0.0350", "0.1400"),
    "BG": ("0.0600", "0.1900"),
    "HR": ("0.0550", "0.1800"),
    "CY": ("0.0500", "0.1200"),
    "CZ": ("0.0400", "0.1300"),
    "DK": ("0.0350", "0.1000"),
    "EE": ("0.0550", "0.1900"),
    "FI": ("0.0450", "0.1500"),
    "DE": ("0.0300", "0.1200"),
    "GR": ("0.0400", "0.1400"),
    "HU": ("0.0450", "0.1500"),
    "IE": ("0.0350", "0.1100"),
    "IT": ("0.0300", "0.1000"),
    "LV": ("0.0600", "0.2000"),
    "LT": ("0.0600", "0.1900"),
    "LU": ("0.0350", "0.1300"),
    "MT": ("0.0500", "0.1600"),
    "NL": ("0.0300", "0.1300"),
    "PL": ("0.0350", "0.1000"),
    "PT": ("0.0350", "0.1000"),
    "RO": ("0.0500", "0.1100"),
    "SK": ("0.0450", "0.1500"),
    "SI": ("0.0550", "0.1900"),
    "ES": ("0.0300", "0.0900"),
    "SE": ("0.0350", "0.1000"),
    "GB": ("0.0300", "0.0900"),
    "CH": ("0.0500", "0.2000"),
    "MA": ("0.2500", "0.4500"),
    "DZ": ("0.2200", "0.5500"),
    "TN": ("0.2800", "0.5500"),
}
SPLIT = EU + ["GB", "CH", "MA", "DZ", "TN"]
assert set(SPLIT) == set(SPLIT_PRICES)
MAGHREB = {"MA", "DZ", "TN"}

# Country-level zones: price per minute by ITU world zone (first digit of the code) ...
WORLD_ZONE_PRICE = {
    "2": "0.4500",  # Africa
    "3": "0.2500",  # Europe
    "4": "0.2500",  # Europe
    "5": "0.3000",  # Latin America, French Caribbean
    "6": "0.3500",  # South-East Asia, Oceania
    "7": "0.1500",  # Russia, Kazakhstan
    "8": "0.2500",  # East Asia
    "9": "0.3500",  # Middle East, South and Central Asia
}
# ... and by country where a French operator's wholesale cost is known to differ.
COUNTRY_PRICE = {
    # Europe outside the EU
    "NO": "0.0600", "IS": "0.0900", "RU": "0.1500", "KZ": "0.2500", "UA": "0.2500",
    "BY": "0.3500", "MD": "0.3500", "RS": "0.2500", "BA": "0.3500", "ME": "0.3500",
    "MK": "0.3000", "AL": "0.3500", "XK": "0.4500", "AD": "0.2000", "MC": "0.1500",
    "SM": "0.2000", "LI": "0.4000", "GI": "0.3000", "FO": "0.3500", "GL": "0.9500",
    "TR": "0.1800", "AM": "0.3500", "GE": "0.3500", "AZ": "0.4500",
    # French overseas with their own codes (priced as international, like French operators)
    "RE": "0.0900", "GP": "0.0900", "GF": "0.0900", "MQ": "0.0900", "PM": "0.2500",
    "WF": "1.5000", "NC": "0.4500", "PF": "0.4500",
    # Africa
    "EG": "0.2500", "ZA": "0.1500", "LY": "0.4500", "SN": "0.4500", "CI": "0.4000",
    "CM": "0.4500", "ML": "0.5500", "BF": "0.5000", "NE": "0.5000", "GN": "0.6000",
    "MG": "0.6500", "MU": "0.2500", "KM": "0.9500", "SC": "0.8500", "DJ": "0.9000",
    "SS": "1.2000", "SO": "1.5000", "ER": "1.2000", "ST": "1.5000", "GW": "1.1000",
    "TD": "0.9000", "CF": "0.9000", "SH": "2.5000", "AC": "3.0000", "IO": "3.0000",
    "CD": "0.6500", "CG": "0.5500", "GA": "0.4500", "BJ": "0.4500", "TG": "0.4500",
    "NG": "0.2500", "KE": "0.2500", "GH": "0.3500",
    # Americas
    "MX": "0.0600", "BR": "0.0800", "AR": "0.0900", "CL": "0.0800", "CO": "0.0800",
    "PE": "0.0900", "VE": "0.1500", "CU": "1.1000", "HT": "0.6500", "FK": "2.5000",
    "BZ": "0.6500", "GY": "0.6500", "SR": "0.5500", "BO": "0.3000", "EC": "0.2500",
    "PY": "0.2500", "UY": "0.2000", "CR": "0.1500", "PA": "0.1500", "GT": "0.2500",
    "HN": "0.3000", "NI": "0.3500", "SV": "0.2500",
    # Asia, Oceania
    "JP": "0.0600", "KR": "0.0500", "CN": "0.0400", "HK": "0.0400", "TW": "0.0600",
    "MO": "0.1200", "SG": "0.0400", "MY": "0.0700", "TH": "0.0800", "VN": "0.1200",
    "ID": "0.1200", "PH": "0.2000", "KH": "0.1500", "LA": "0.1500", "KP": "2.5000",
    "BD": "0.1200", "IN": "0.0600", "PK": "0.1500", "LK": "0.2200", "NP": "0.3500",
    "AF": "0.4500", "MM": "0.4500", "MV": "1.2000", "BT": "0.4500", "MN": "0.2500",
    "AU": "0.0600", "NZ": "0.0700", "BN": "0.1500", "TL": "1.2000", "PG": "1.5000",
    "FJ": "0.8000", "VU": "1.8000", "SB": "2.2000", "TO": "1.2000", "WS": "1.2000",
    "KI": "2.5000", "TV": "3.0000", "NR": "2.5000", "PW": "1.5000", "FM": "1.5000",
    "MH": "1.5000", "CK": "2.5000", "NU": "3.5000", "TK": "3.5000", "NF": "2.5000",
    # Middle East, Central Asia
    "IL": "0.0600", "LB": "0.3500", "JO": "0.3500", "SY": "0.5500", "IQ": "0.4000",
    "KW": "0.2000", "SA": "0.2500", "YE": "0.6000", "OM": "0.4000", "PS": "0.4500",
    "AE": "0.2500", "BH": "0.2500", "QA": "0.3500", "IR": "0.2500", "TJ": "0.4500",
    "TM": "0.4500", "KG": "0.3500", "UZ": "0.3500",
}  # fmt: skip

# calling code -> the region whose zone the code carries (first region in phonenumbers order)
NON_GEO = {
    800: ("INTL_SPECIAL", "Numéros verts internationaux UIFN (non gratuits depuis la France)"),
    808: ("INTL_SPECIAL", "Numéros internationaux à coûts partagés (ISCS)"),
    870: ("INTL_SATELLITE", "Inmarsat (satellite)"),
    878: ("INTL_SPECIAL", "Télécommunications personnelles universelles (UPT)"),
    881: ("INTL_SATELLITE", "Systèmes mobiles mondiaux par satellite (GMSS: Iridium / Globalstar)"),
    882: ("INTL_SPECIAL", "Réseaux internationaux"),
    883: ("INTL_SPECIAL", "Réseaux internationaux"),
    888: ("INTL_SPECIAL", "Nations unies - OCHA (télécommunications humanitaires)"),
    979: ("INTL_SPECIAL", "Numéros internationaux à taux majoré (IPRS)"),
}
EXTRA_PREFIXES = [("88216", "INTL_SATELLITE", "Thuraya (satellite - réseau international 882 16)")]

# French national zones, from phonenumbers' FR types (R15: 01-05 and 09 are "fixe").
FR_ZONE_OF_TYPE = {
    "fixed_line": "FR_FIXED",
    "voip": "FR_FIXED",  # 09: VoIP/box numbers, "fixe" for R15
    "mobile": "FR_MOBILE",
    "toll_free": "FR_FREEPHONE",
    "premium_rate": "FR_PREMIUM",
    "shared_cost": "FR_SHARED_COST",
    "uan": "FR_NONGEO_STANDARD",  # 0806-0809: special numbers at the price of a normal call
    # not present in FR metadata today; mapped in case a later version adds them
    "personal_number": "FR_MOBILE",
    "pager": "FR_MOBILE",
    "voicemail": "FR_MOBILE",
}
FR_ZONE_TEXT = {
    "FR_FIXED": "fixe",
    "FR_MOBILE": "mobile",
    "FR_FREEPHONE": "numéros gratuits (numéro vert)",
    "FR_PREMIUM": "numéros à valeur ajoutée surtaxés",
    "FR_SHARED_COST": "numéros à coût partagé",
    "FR_NONGEO_STANDARD": "numéros spéciaux au prix d'un appel normal",
}

FR_SHORT_ROWS = [
    # emergency and harmonised social numbers: free
    ("S15", "FR_EMERGENCY", "SAMU"),
    ("S17", "FR_EMERGENCY", "Police secours"),
    ("S18", "FR_EMERGENCY", "Pompiers"),
    ("S112", "FR_EMERGENCY", "Numéro d'urgence européen"),
    ("S114", "FR_EMERGENCY", "Urgences pour personnes sourdes et malentendantes"),
    ("S115", "FR_EMERGENCY", "SAMU social"),
    ("S119", "FR_EMERGENCY", "Enfance en danger"),
    ("S116", "FR_EMERGENCY", "Numéros harmonisés européens 116xxx (gratuits)"),
    ("S116000", "FR_EMERGENCY", "Enfants disparus"),
    ("S116111", "FR_EMERGENCY", "Ligne d'écoute pour enfants"),
    ("S116117", "FR_EMERGENCY", "Permanence des soins"),
    ("S191", "FR_EMERGENCY", "Urgence aéronautique"),
    ("S196", "FR_EMERGENCY", "Urgence en mer (CROSS)"),
    ("S197", "FR_EMERGENCY", "Alerte attentat / enlèvement"),
    # other short numbers
    ("S1", "FR_SHORT", "Numéros courts 1x (services et opérateurs)"),
    ("S10", "FR_SHORT", "Numéros courts 10xx (services clients des opérateurs)"),
    ("S118", "FR_DIRECTORY", "Renseignements téléphoniques 118xxx"),
    ("S3", "FR_SHORT", "Numéros courts 3BPQ (services à valeur ajoutée)"),
    ("S30", "FR_FREEPHONE", "Numéros courts 30PQ (gratuits)"),
    ("S31", "FR_FREEPHONE", "Numéros courts 31PQ (gratuits)"),
]

NANP_REST = "INTL_NANP_CARIB"


def tariff_row(zone, price, fee="0.0000", min_s=60, inc_s=1, unlimited=False, valid_from=None):
    return {
        "zone": zone,
        "valid_from": valid_from or BOOK_START,
        "price_per_min_eur": price,
        "connection_fee_eur": fee,
        "min_billable_s": min_s,
        "increment_s": inc_s,
        "in_unlimited_plan": "true" if unlimited else "false",
    }


NATIONAL_TARIFFS = [
    tariff_row("FR_FIXED", "0.0150", unlimited=True),
    tariff_row("FR_MOBILE", "0.0450", unlimited=True),
    tariff_row("FR_NONGEO_STANDARD", "0.0150"),
    tariff_row("FR_FREEPHONE", "0.0000"),
    tariff_row("FR_EMERGENCY", "0.0000"),
    tariff_row("FR_SHARED_COST", "0.0800", min_s=60, inc_s=60),
    tariff_row("FR_PREMIUM", "0.3400", "0.1200", 60, 60),  # the R14 example
    tariff_row("FR_SHORT", "0.0800", min_s=60, inc_s=60),
    tariff_row("FR_DIRECTORY", "0.8000", "2.9900", 60, 60),
    tariff_row("INTL_NANP", "0.0200", min_s=30, inc_s=1),
    tariff_row("INTL_NANP_CARIB", "0.4500", min_s=60, inc_s=60),
    tariff_row("INTL_SPECIAL", "3.0000", "0.5000", 60, 60),
    tariff_row("INTL_SATELLITE", "6.5000", min_s=60, inc_s=60),
]

# R13: a tariff change is a new row with a later valid_from; rows already used are never edited.
PRICE_CHANGES = [
    tariff_row("INTL_NANP", "0.0250", min_s=30, inc_s=1, valid_from="2026-09-15"),
    tariff_row("FR_PREMIUM", "0.3900", "0.1200", 60, 60, valid_from="2026-10-01"),
    tariff_row("INTL_GB_MOBILE", "0.1200", min_s=30, inc_s=1, valid_from="2026-10-01"),
    tariff_row("INTL_MA_MOBILE", "0.5200", min_s=30, inc_s=30, valid_from="2026-10-01"),
]

PRODUCTS = [
    ("PLAN_UNLIMITED", "plan", "true", "Illimité nationale fixe et mobile", "25.00"),
    ("PLAN_METERED", "plan", "false", "Compte SIP à la minute", "5.00"),
    ("OPT_CONFERENCE", "option", "false", "Pont de conférence", "15.00"),
    ("OPT_IVR", "option", "false", "Serveur vocal interactif (SVI)", "30.00"),
    ("OPT_VOICEMAIL", "option", "false", "Messagerie vocale", "3.00"),
    ("OPT_FAX2MAIL", "option", "false", "Fax to mail / mail to fax", "8.00"),
    ("OPT_HUNTGROUP", "option", "false", "Groupement d'appels", "10.00"),
    ("OPT_UC_SOFTPHONE", "option", "false", "Communications unifiées / softphone", "6.00"),
]

# R34: catalogue prices by date. valid_to is the last day sold (inclusive); empty = still sold.
EQUIPMENT = [
    ("YEALINK_T31P", "2024-01-01", "2025-06-30", "79.00", "Téléphone IP Yealink T31P (2 comptes SIP et écran LCD)"),
    ("YEALINK_T31P", "2025-07-01", "2026-06-30", "69.00", "Téléphone IP Yealink T31P (2 comptes SIP et écran LCD) - fin de série"),
    ("YEALINK_T46U", "2024-01-01", "2026-09-30", "159.00", "Téléphone IP Yealink T46U (écran couleur 4.3 pouces et 2 ports USB)"),
    ("YEALINK_T46U", "2026-10-01", "", "175.00", "Téléphone IP Yealink T46U (écran couleur 4.3 pouces et 2 ports USB)"),
    ("YEALINK_T54W", "2024-01-01", "", "219.00", "Téléphone IP Yealink T54W (écran couleur 4.3 pouces avec Wi-Fi et Bluetooth)"),
    ("YEALINK_W73P", "2024-01-01", "", "139.00", "Pack DECT IP Yealink W73P (base W70B et combiné W73H)"),
    ("GIGASET_N670", "2024-01-01", "", "189.00", "Base DECT IP multicellulaire Gigaset N670 IP PRO"),
    ("YEALINK_CP925", "2024-01-01", "", "549.00", "Téléphone de conférence IP Yealink CP925 (pieuvre)"),
    ("ROUTER_4G", "2024-01-01", "", "199.00", "Routeur 4G/LTE avec bascule de secours"),
]  # fmt: skip


def money4(value: str) -> str:
    return f"{Decimal(value):.4f}"


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def country_codes():
    return sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def zone_for_region(region: str) -> str:
    return f"INTL_{region}"


def build_destinations():
    rows: list[tuple[str, str, str]] = []
    notes: list[str] = []
    code_regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE

    for cc in country_codes():
        regions = code_regions[cc]
        scc = str(cc)
        main = regions[0]
        if main == "001":
            zone, text = NON_GEO[cc]
            rows.append((scc, zone, text))
            continue
        others = list(regions[1:])
        if main == "FR":
            rows += french_rows()
            continue
        if main == "US":
            rows.append(("1", "INTL_NANP", "États-Unis et Canada (NANP)"))
            for region in others:
                if region == "CA":
                    continue
                lead = PhoneMetadata.metadata_for_region(region).leading_digits
                areas = [a for a in expand_literal_set(lead) if len(a) == 3]
                if not areas:
                    raise SystemExit(f"no NANP area code for {region}")
                for area in areas:
                    rows.append(
                        (f"1{area}", NANP_REST, f"{region_name(region)} (NANP indicatif {area})")
                    )
            continue
        name = region_name(main)
        if others and main not in ("RU",):
            name += " (avec " + " / ".join(region_name(r) for r in others) + ")"
        if main in SPLIT_PRICES:
            fixed, mobile = f"INTL_{main}_FIXED", f"INTL_{main}_MOBILE"
            planner = PrefixPlanner(regions, lambda a, m=mobile, f=fixed: split_label(a, m, f))
            plan = planner.plan(fixed)
            if plan and plan[0][0] == "":
                # most of the country is mobile or cannot be told apart (Denmark)
                (_, country_zone), plan = plan[0], plan[1:]
                rows.append((scc, country_zone, f"{name} - mobile ou non distingué fixe/mobile"))
            else:
                rows.append((scc, fixed, f"{name} - fixe et autres numéros"))
            for prefix, zone in plan:
                text = "mobile" if zone == mobile else "fixe et autres numéros"
                rows.append((scc + prefix, zone, f"{region_name(main)} - {text}"))
            for prefix, weight in planner.approximate.items():
                notes.append(f"+{cc} {prefix}: types mixed at max depth {weight}")
            continue
        rows.append((scc, zone_for_region(main), name))
        if main == "RU":
            # Kazakhstan shares +7: its numbers are +7 7xx (phonenumbers leading digits "7")
            lead = PhoneMetadata.metadata_for_region("KZ").leading_digits
            for digits in expand_literal_set(lead):
                rows.append((scc + digits, "INTL_KZ", region_name("KZ")))
    rows += FR_SHORT_ROWS
    rows += EXTRA_PREFIXES
    rows.sort(key=lambda r: r[0])
    return rows, notes


def split_label(attr, mobile_zone, fixed_zone):
    # Voicemail numbers of mobile networks (e.g. Germany 15x55...) are priced as mobile, and so
    # are ranges phonenumbers cannot tell apart (FIXED_LINE_OR_MOBILE, e.g. most of Denmark):
    # the number may be a mobile, whose termination costs the operator the mobile rate.
    return mobile_zone if attr in ("mobile", "voicemail", "fixed_or_mobile") else fixed_zone


def expand_literal_set(pattern: str) -> list[str]:
    out = []
    for seq in expand_pattern(pattern):
        for combo in itertools.product(*[sorted(s) for s in seq]):
            out.append("".join(combo))
    return sorted(set(out))


def french_rows():
    planner = PrefixPlanner(["FR"], lambda a: FR_ZONE_OF_TYPE.get(a, "FR_MOBILE"))
    rows = [("33", "FR_FIXED", "France - autre numéro national (repli au tarif fixe)")]
    for first in "123456789":
        for prefix, zone in planner.plan_forced(first):
            if len(prefix) == 1 and zone == "FR_FIXED":
                what = "fixe et box / VoIP" if first == "9" else "fixe géographique"
                text = f"France - {what} (0{prefix})"
            else:
                text = f"France - {FR_ZONE_TEXT[zone]} (0{prefix})"
            rows.append(("33" + prefix, zone, text))
    if planner.approximate:
        raise SystemExit(f"France: ambiguous ranges at max depth {planner.approximate}")
    return rows


def build_tariffs(zones):
    rows = [dict(r) for r in NATIONAL_TARIFFS]
    done = {r["zone"] for r in rows}
    for region, (fixed, mobile) in SPLIT_PRICES.items():
        if region in MAGHREB:
            rows.append(tariff_row(f"INTL_{region}_FIXED", fixed, min_s=30, inc_s=30))
            rows.append(tariff_row(f"INTL_{region}_MOBILE", mobile, min_s=30, inc_s=30))
        else:
            rows.append(tariff_row(f"INTL_{region}_FIXED", fixed, min_s=30, inc_s=1))
            rows.append(tariff_row(f"INTL_{region}_MOBILE", mobile, min_s=30, inc_s=1))
    done |= {r["zone"] for r in rows}
    for zone in sorted(zones - done):
        region = zone.removeprefix("INTL_")
        if not re.fullmatch(r"[A-Z]{2}", region):
            raise SystemExit(f"zone without a price: {zone}")
        cc = phonenumbers.country_code_for_region(region)
        price = COUNTRY_PRICE.get(region) or WORLD_ZONE_PRICE[str(cc)[0]]
        rows.append(tariff_row(zone, price, min_s=30, inc_s=30))
    rows += [dict(r) for r in PRICE_CHANGES]
    for r in rows:
        r["price_per_min_eur"] = money4(r["price_per_min_eur"])
        r["connection_fee_eur"] = money4(r["connection_fee_eur"])
    rows.sort(key=lambda r: (r["zone"], r["valid_from"]))
    return rows


def write_csv(path: Path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([row[h] for h in header] if isinstance(row, dict) else row)


def build(out: Path):
    if phonenumbers.__version__ != BUILT_WITH_PHONENUMBERS:
        print(
            f"warning: phonenumbers {phonenumbers.__version__}, the committed book was built "
            f"with {BUILT_WITH_PHONENUMBERS}: review the diff of destinations.csv",
            file=sys.stderr,
        )
    out.mkdir(parents=True, exist_ok=True)
    dests, notes = build_destinations()
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    tariffs = build_tariffs({z for _, z, _ in dests})
    # the columns of each file are the data contract's (pipeline/core/data_contract.py)
    for file, rows in (
        (contract.DESTINATIONS, dests),
        (contract.TARIFFS, tariffs),
        (contract.PRODUCTS, PRODUCTS),
        (contract.EQUIPMENT, EQUIPMENT),
    ):
        write_csv(out / file.name, file.names, rows)
    write_high_risk(out)
    print(
        f"wrote {out}: {len(dests)} destinations, {len(tariffs)} tariff rows, "
        f"{len(PRODUCTS)} products, {len(EQUIPMENT)} equipment rows"
    )


# --------------------------------------------------------------------------------------------
# The fraud watch's list (R26 HIGH_RISK_DESTINATION): rates/high_risk_prefixes.csv. Public,
# redistributable facts only: a range of the French numbering plan (ARCEP) and ITU-T E.164
# country codes (assigned codes, not number ranges). One answered call to any of them is a
# critical alert, so the list is short: destinations a business customer of a French provider
# rarely calls, which fraud reports (GSMA, CFCA) keep naming. A provider extends it by adding
# rows here (prefix, label, the public source), docs/watch.md.
# --------------------------------------------------------------------------------------------

ITU_E164 = "ITU-T E.164 list of assigned country codes (Annex to ITU Operational Bulletin)"
HIGH_RISK = [
    (
        "3389",
        "France - numéros à valeur ajoutée 089 (paliers tarifaires les plus élevés)",
        "ARCEP, plan de numérotation français : numéros à valeur ajoutée 08AB, tranche 089",
    ),
    ("239", "IRSF - indicatif UIT 239 (Sao Tomé-et-Principe)", ITU_E164),
    ("232", "IRSF - indicatif UIT 232 (Sierra Leone)", ITU_E164),
    ("246", "IRSF - indicatif UIT 246 (Diego Garcia)", ITU_E164),
    ("247", "IRSF - indicatif UIT 247 (Ascension)", ITU_E164),
    ("252", "IRSF - indicatif UIT 252 (Somalie)", ITU_E164),
    ("290", "IRSF - indicatif UIT 290 (Sainte-Hélène)", ITU_E164),
    ("674", "IRSF - indicatif UIT 674 (Nauru)", ITU_E164),
    ("675", "IRSF - indicatif UIT 675 (Papouasie-Nouvelle-Guinée)", ITU_E164),
    ("677", "IRSF - indicatif UIT 677 (Îles Salomon)", ITU_E164),
    ("678", "IRSF - indicatif UIT 678 (Vanuatu)", ITU_E164),
    ("682", "IRSF - indicatif UIT 682 (Îles Cook)", ITU_E164),
    ("683", "IRSF - indicatif UIT 683 (Niue)", ITU_E164),
    ("686", "IRSF - indicatif UIT 686 (Kiribati)", ITU_E164),
    ("688", "IRSF - indicatif UIT 688 (Tuvalu)", ITU_E164),
    ("690", "IRSF - indicatif UIT 690 (Tokelau)", ITU_E164),
    ("691", "IRSF - indicatif UIT 691 (Micronésie)", ITU_E164),
    ("692", "IRSF - indicatif UIT 692 (Îles Marshall)", ITU_E164),
    ("870", "IRSF - indicatif UIT 870 (Inmarsat, satellite)", ITU_E164),
    ("881", "IRSF - indicatif UIT 881 (systèmes mobiles mondiaux par satellite)", ITU_E164),
    ("882", "IRSF - indicatif UIT 882 (réseaux internationaux)", ITU_E164),
    ("883", "IRSF - indicatif UIT 883 (réseaux internationaux)", ITU_E164),
    ("979", "IRSF - indicatif UIT 979 (numéros internationaux à taux majoré, IPRS)", ITU_E164),
]


def write_high_risk(out: Path) -> None:
    """rates/high_risk_prefixes.csv, its columns the data contract's (in prefix order)."""
    write_csv(
        out / contract.HIGH_RISK_PREFIXES.name, contract.HIGH_RISK_PREFIXES.names, sorted(HIGH_RISK)
    )


# --------------------------------------------------------------------------------------------
# Checks (read the files back, as the pipeline would)
# --------------------------------------------------------------------------------------------


def read_csv(path: Path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def normalise(raw: str) -> str | None:
    """R11, enough for the checks (the pipeline has its own)."""
    s = re.sub(r"[\s.\-()]", "", raw)
    if s.startswith("+"):
        s = s[1:]
    elif s.startswith("00"):
        s = s[2:]
    elif re.fullmatch(r"0\d{9}", s):
        s = "33" + s[1:]
    elif re.fullmatch(r"[1-9]\d{1,5}", s):
        return "S" + s
    if not re.fullmatch(r"\d{1,15}", s):
        return None
    return s


class Book:
    def __init__(self, rates: Path):
        self.rates = rates
        self.dest = read_csv(rates / "destinations.csv")
        self.tariffs = read_csv(rates / "tariffs.csv")
        self.products = read_csv(rates / "products.csv")
        self.equipment = read_csv(rates / "equipment.csv")
        self.zone_of = {r["prefix"]: r["zone"] for r in self.dest}
        self.maxlen = max(len(p) for p in self.zone_of)

    def zone(self, number: str) -> str | None:
        for n in range(min(len(number), self.maxlen), 0, -1):
            z = self.zone_of.get(number[:n])
            if z is not None:
                return z
        return None


def check_structure(book: Book, problems: list[str]):
    for name in ("destinations", "tariffs", "products", "equipment"):
        text = (book.rates / f"{name}.csv").read_text(encoding="utf-8")
        if '"' in text or "\r" in text:  # commas only as separators: no CSV quoting needed
            problems.append(f"{name}.csv has a quoted field or a CR")
    prefixes = [r["prefix"] for r in book.dest]
    if len(prefixes) != len(set(prefixes)):
        dup = [p for p, n in Counter(prefixes).items() if n > 1]
        problems.append(f"duplicate prefixes: {dup[:10]}")
    if prefixes != sorted(prefixes):
        problems.append("destinations.csv is not sorted by prefix")
    for r in book.dest:
        if not re.fullmatch(r"S?\d+", r["prefix"]):
            problems.append(f"bad prefix {r['prefix']!r}")
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", r["zone"]) or not r["description"]:
            problems.append(f"bad row {r}")

    for cc in country_codes():
        if str(cc) not in book.zone_of:
            problems.append(f"country code {cc} has no country-level row")

    dest_zones = set(book.zone_of.values())
    tariff_zones = {t["zone"] for t in book.tariffs}
    if dest_zones != tariff_zones:
        problems.append(
            f"zones without tariff {sorted(dest_zones - tariff_zones)}, "
            f"tariffs without destination {sorted(tariff_zones - dest_zones)}"
        )
    keys = Counter((t["zone"], t["valid_from"]) for t in book.tariffs)
    problems += [f"tariff version twice: {k}" for k, n in keys.items() if n > 1]
    for t in book.tariffs:
        date.fromisoformat(t["valid_from"])
        for col in ("price_per_min_eur", "connection_fee_eur"):
            if not re.fullmatch(r"\d+\.\d{4}", t[col]):
                problems.append(f"{t['zone']} {col} {t[col]!r}: not a 4-decimal amount >= 0")
        for col in ("min_billable_s", "increment_s"):
            if not re.fullmatch(r"[1-9]\d*", t[col]):
                problems.append(f"{t['zone']} {col} {t[col]!r}: not a positive integer")
        unlimited = t["zone"] in ("FR_FIXED", "FR_MOBILE")
        if t["in_unlimited_plan"] != ("true" if unlimited else "false"):
            problems.append(f"{t['zone']}: in_unlimited_plan {t['in_unlimited_plan']}")
    for z in ("FR_FREEPHONE", "FR_EMERGENCY"):
        for t in book.tariffs:
            if t["zone"] == z and (
                Decimal(t["price_per_min_eur"]) or Decimal(t["connection_fee_eur"])
            ):
                problems.append(f"{z} is not free")

    codes = [p["product_code"] for p in book.products]
    if len(codes) != len(set(codes)):
        problems.append("duplicate product codes")
    for p in book.products:
        if p["kind"] not in ("plan", "option") or p["unlimited"] not in ("true", "false"):
            problems.append(f"bad product {p}")
        if not re.fullmatch(r"\d+\.\d{2}", p["list_price_eur"]):
            problems.append(f"bad product price {p}")

    by_model: dict[str, list] = {}
    for e in book.equipment:
        if not re.fullmatch(r"\d+\.\d{2}", e["sale_price_eur"]):
            problems.append(f"bad equipment price {e}")
        start = date.fromisoformat(e["valid_from"])
        end = date.fromisoformat(e["valid_to"]) if e["valid_to"] else date.max
        if end < start:
            problems.append(f"equipment version ends before it starts: {e}")
        by_model.setdefault(e["equipment_model"], []).append((start, end))
    for model, versions in by_model.items():
        versions.sort()
        for (_, end1), (start2, _) in itertools.pairwise(versions):
            if start2 <= end1:
                problems.append(f"{model}: overlapping catalogue versions")
            elif start2 != end1 + timedelta(days=1):
                print(f"note: {model}: gap in the catalogue before {start2}")


def _sample(seq, rng) -> str:
    return "".join(rng.choice(sorted(pos)) for pos in seq)


def check_france(book: Book, problems: list[str], per_type=3000):
    """Every valid French number gets the zone of its phonenumbers type (R12, R15)."""
    rng = random.Random(20260101)
    fr_zone = {PN_TYPE[a]: z for a, z in FR_ZONE_OF_TYPE.items()}
    stats: Counter = Counter()
    bad: list[str] = []

    def test(nsn: str, expect_type=None):
        t = phonenumbers.number_type(PhoneNumber(country_code=33, national_number=int(nsn)))
        if t == PhoneNumberType.UNKNOWN or (expect_type is not None and t != expect_type):
            stats["skipped (not that type)" if expect_type is not None else "invalid"] += 1
            return
        national = "0" + nsn  # as a user dials it: 0X XX XX XX XX
        zone = book.zone(normalise(national))
        stats[PhoneNumberType.to_string(t)] += 1
        if zone != fr_zone[t]:
            bad.append(f"{national} ({PhoneNumberType.to_string(t)}) -> {zone}")

    # 1) every 5-digit national prefix (the FR patterns decide on at most 5 digits), 4 endings
    for head in range(10000, 100000):
        for tail in ("0000", "9999", f"{rng.randrange(10000):04d}", f"{rng.randrange(10000):04d}"):
            test(f"{head}{tail}")
    exhaustive = dict(stats)
    stats.clear()
    # 2) per type, numbers drawn from the type's own patterns, and its example number
    meta = PhoneMetadata.metadata_for_region("FR")
    for attr in TYPE_ORDER:
        desc = getattr(meta, attr)
        if desc is None or not desc.national_number_pattern:
            continue
        seqs = [s for s in expand_pattern(desc.national_number_pattern) if len(s) == 9]
        for _ in range(per_type):
            test(_sample(rng.choice(seqs), rng), PN_TYPE[attr])
        ex = phonenumbers.example_number_for_type("FR", PN_TYPE[attr])
        if ex is not None:
            test(str(ex.national_number), PN_TYPE[attr])
    if bad:
        problems.append(f"France: {len(bad)} numbers in the wrong zone, e.g. {bad[:10]}")
    return exhaustive, dict(stats), len(bad)


def check_international(book: Book, problems: list[str], per_type=300):
    rng = random.Random(20260102)
    bad: list[str] = []
    tested: Counter = Counter()
    for cc in country_codes():
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]
        main = regions[0]
        if main in ("FR", "001"):
            continue
        for region in regions:
            meta = PhoneMetadata.metadata_for_region(region)
            for attr in TYPE_ORDER:
                desc = getattr(meta, attr)
                if desc is None or not desc.national_number_pattern:
                    continue
                seqs = expand_pattern(desc.national_number_pattern)
                n = per_type if main in SPLIT_PRICES else 5
                for _ in range(n):
                    nsn = _sample(rng.choice(seqs), rng)
                    num = phonenumbers.parse(f"+{cc}{nsn}")
                    t = phonenumbers.number_type(num)
                    if t == PhoneNumberType.UNKNOWN:
                        continue
                    e164 = normalise(f"+{cc}{nsn}")
                    if e164 is None:  # longer than E.164's 15 digits: INVALID_NUMBER (R11)
                        continue
                    got = book.zone(e164)
                    if main in SPLIT_PRICES:
                        want = {
                            PhoneNumberType.MOBILE: f"INTL_{main}_MOBILE",
                            PhoneNumberType.VOICEMAIL: f"INTL_{main}_MOBILE",
                            PhoneNumberType.FIXED_LINE_OR_MOBILE: f"INTL_{main}_MOBILE",
                        }.get(t, f"INTL_{main}_FIXED")
                        tested[f"split {PhoneNumberType.to_string(t)}"] += 1
                    else:
                        want = got if got and got.startswith("INTL_") else "INTL_*"
                        tested["country level"] += 1
                    if got != want:
                        bad.append(f"+{cc} {nsn} {PhoneNumberType.to_string(t)}: {got} != {want}")
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        if region == "FR":
            continue
        for t in PN_TYPE.values():
            ex = phonenumbers.example_number_for_type(region, t)
            if ex is None:
                continue
            e164 = phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.E164)
            tested["example numbers"] += 1
            if not book.zone(normalise(e164)):
                bad.append(f"{region} example {e164}: no zone")
    if bad:
        problems.append(f"international: {len(bad)} numbers in the wrong zone, e.g. {bad[:10]}")
    return dict(tested), len(bad)


def check_short(book: Book, problems: list[str]):
    expected = {
        "15": "FR_EMERGENCY", "17": "FR_EMERGENCY", "18": "FR_EMERGENCY",
        "112": "FR_EMERGENCY", "114": "FR_EMERGENCY", "115": "FR_EMERGENCY",
        "119": "FR_EMERGENCY", "116000": "FR_EMERGENCY", "116111": "FR_EMERGENCY",
        "116117": "FR_EMERGENCY", "191": "FR_EMERGENCY", "196": "FR_EMERGENCY",
        "197": "FR_EMERGENCY", "1014": "FR_SHORT", "3949": "FR_SHORT", "3639": "FR_SHORT",
        "3631": "FR_SHORT", "118712": "FR_DIRECTORY", "118218": "FR_DIRECTORY",
        "3114": "FR_FREEPHONE", "+33 1 23 45 67 89": "FR_FIXED", "06 12 34 56 78": "FR_MOBILE",
        "0033 7 81 23 45 67": "FR_MOBILE", "09 72 12 34 56": "FR_FIXED",
        "0800 12 34 56": "FR_FREEPHONE", "08 91 12 34 56": "FR_PREMIUM",
        "+1 212 555 0100": "INTL_NANP", "+1 876 555 0100": "INTL_NANP_CARIB",
        "+44 7911 123456": "INTL_GB_MOBILE", "+44 20 7946 0000": "INTL_GB_FIXED",
        "+49 151 12345678": "INTL_DE_MOBILE", "+212 612345678": "INTL_MA_MOBILE",
        "+81 3 1234 5678": "INTL_JP", "+7 701 234 5678": "INTL_KZ", "+7 495 123 4567": "INTL_RU",
        "+262 262 12 34 56": "INTL_RE", "+881 6 1234 5678": "INTL_SATELLITE",
    }  # fmt: skip
    for raw, zone in expected.items():
        got = book.zone(normalise(raw))
        if got != zone:
            problems.append(f"{raw!r} -> {got}, expected {zone}")
    for number in ("15", "17", "18", "112"):
        if not phonenumbers.shortnumberinfo.is_emergency_number(number, "FR"):
            problems.append(f"phonenumbers no longer calls {number} an emergency number")
    return len(expected)


def check(rates: Path) -> int:
    book = Book(rates)
    problems: list[str] = []
    check_structure(book, problems)
    n_short = check_short(book, problems)
    exhaustive, by_type, fr_bad = check_france(book, problems)
    intl, intl_bad = check_international(book, problems)
    print(f"check: {len(book.dest)} prefixes, {len(set(book.zone_of.values()))} zones")
    print(f"check: {n_short} hand-written numbers (short, national, international)")
    print(f"check: France, every 5-digit prefix x 4 endings: {exhaustive}")
    print(f"check: France, numbers drawn from each type's pattern: {by_type}; wrong zone: {fr_bad}")
    print(f"check: international: {intl}; wrong zone: {intl_bad}")
    for p in problems:
        print(f"PROBLEM: {p}")
    print("check: OK" if not problems else f"check: {len(problems)} problem(s)")
    return 1 if problems else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="rates directory")
    ap.add_argument("--check", action="store_true", help="only check the existing files")
    args = ap.parse_args(argv)
    if not args.check:
        build(args.out)
    return check(args.out)


if __name__ == "__main__":
    sys.exit(main())
