#!/usr/bin/env python3
"""Generate the sample data folder (``data_samples/``) for the billing pipeline.

    python tools/generate_samples.py [OUT_DIR] [--seed N] [--story]

Seeded and deterministic: the only randomness is ``random.Random`` seeded from ``--seed``
(never the clock), rows are written in a fixed order, parquet files carry no timestamps and
csv.gz files are written with gzip ``mtime=0``. Running it twice gives byte-identical files.

It writes the reference files (customers, subscriptions, rentals...), ``provider.toml``, and
for each of 2026-09 and 2026-10 the CDRs (``cdrs/YYYY-MM/``) and SIP registrations
(``registrations/YYYY-MM/``). It deletes and rewrites ``cdrs/`` and ``registrations/`` under
OUT_DIR and overwrites the other files it writes; ``README.md`` (hand-written, it tells the
story customer by customer) is left alone.

The background traffic is random but realistic (business hours, lognormal durations, ~3 %
unanswered, ~95 % French numbers from a per-account contact book). Every billing rule is then
exercised by deliberate "story" rows, written by the small ``story_*`` functions below, one
per rule, with named customers (see the CUSTOMERS table and data_samples/README.md).
``--story`` prints every story row with the file, row number and cdr_id it received.

Standard library + pyarrow (parquet) + python-stdnum (to check SIREN/VAT/IBAN numbers).
Europe/Paris time is computed here (DST rule), so the output does not depend on a tz database.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import math
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.be import vat as be_vat
from stdnum.ch import uid as ch_uid
from stdnum.ch import vat as ch_vat
from stdnum.eu import at_02
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.it import iva as it_iva

from pipeline.core import data_contract as contract

SEED = 20261001
MONTHS = ("2026-09", "2026-10")
REPO = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------
# The customers: id, name, country, city, number of SIP accounts, plan of those accounts
# (U = PLAN_UNLIMITED, M = PLAN_METERED), the story it tells (README.md has the expected
# outcomes). TWEAKS adjusts the contract and traffic of the customers whose story needs it.
# --------------------------------------------------------------------------------------------
# fmt: off
CUSTOMERS = [
    ("C001", "Cabinet Durand & Associés", "FR", "Paris", 8, "U", "baseline; FREE 112/15/0800; R11 formats; R1 month edges; claim for 2026-08"),
    ("C002", "=SOMME(A1) Conseil", "FR", "Lyon", 4, "U", "formula injection '='; not SLA-eligible: claim refused"),
    ("C003", "+Plus Immobilier", "FR", "Nice", 4, "U", "formula injection '+'; SLA claim for 2026-09 at tier 0"),
    ("C004", "Taxis Lumière", "FR", "Lyon", 5, "M", "PLAN_METERED only: NO_PLAN; R14 examples"),
    ("C005", "Phoning Express SAS", "FR", "Lille", 10, "U", "call centre, telecom_professional: TELECOM_PROFESSIONAL"),
    ("C006", "Agence Immobilière Bellevue", "FR", "Bordeaux", 2, "U", "sip-C006-01: exactly 150 distinct numbers in 2026-10, no breach"),
    ("C007", "Courtage Vidal & Fils", "FR", "Marseille", 2, "U", "sip-C007-01: 151 distinct numbers in 2026-10, FAIR_USE_DISTINCT_NUMBERS"),
    ("C008", "Clinique Vétérinaire des Lilas", "FR", "Paris", 2, "U", "sip-C008-01: exactly 3 calls at once + one starting as they end, no breach"),
    ("C009", "Transports Rapides du Nord", "FR", "Lille", 4, "U", "sip-C009-01: 4 calls at once, FAIR_USE_CONCURRENT_CALLS; 112/0800 stay FREE"),
    ("C010", "Studio Graphique Orange Bleue", "FR", "Nantes", 2, "U", "sip-C010-01: 3 devices at once, overlapping re-registrations, no breach"),
    ("C011", "Atelier Mécanique Girard", "FR", "Toulouse", 2, "U", "sip-C011-01: 4 devices at once on 2026-10-08, FAIR_USE_DEVICES"),
    ("C012", "Pharmacie du Marché", "FR", "Rennes", 2, "U", "THIRD_PARTY_DEVICE: own phone, unknown D99901, another customer's phone"),
    ("C013", "Import-Export Atlantique", "FR", "Le Havre", 7, "U", "OUT_OF_PLAN: GB mobile, premium, US, MA mobile around the R13 changes"),
    ("C014", "Serrurerie Dépannage 24", "FR", "Paris", 2, "U", "sip-C014-01: fwd 3000+3000+2000 s, 800 s FORWARDING_OVER_FAIR_USE"),
    ("C015", "Cabinet Infirmier Saint-Roch", "FR", "Montpellier", 3, "U", "sip-C015-01: fwd legs totalling exactly 7200 s, nothing charged"),
    ("C016", "Bureau d'Études Meunier", "FR", "Lille", 5, "U", "Belgian office: INTL_BE_FIXED;INTL_CH_FIXED INCLUDED, BE mobile OUT_OF_PLAN"),
    ("C017", "Brasserie Vanderbeke SRL", "BE", "Bruxelles", 4, "U", "Belgium, valid BE VAT: reverse charge"),
    ("C018", "Horlogerie Favre SA", "CH", "Genève", 3, "U", "Switzerland: outside the EU, VAT 0 art. 259 B"),
    ("C019", "Müller Logistik GmbH", "DE", "Kehl", 4, "U", "Germany WITHOUT vat_number: sample decision, French VAT 20 %"),
    ("C020", "Nouvelle Pousse SAS", "FR", "Paris", 2, "U", "ordered 2026-09-10: first billed 2026-10, no 2026-09 invoice"),
    ("C021", "Librairie des Quais", "FR", "Paris", 1, "U", "R32 example: notice 2026-09-15, last billed 2026-10 + 125.00"),
    ("C022", "Hôtel du Parc", "FR", "Annecy", 5, "U", "R32 renewal example: notice 2026-10-31, last billed 2026-11"),
    ("C023", "Optique Lemoine", "FR", "Reims", 3, "U", "notice on the last day of a month (2026-09-30)"),
    ("C024", "Garage Central", "FR", "Dijon", 3, "U", "notice on the 1st of a month (2026-10-01)"),
    ("C025", "Fleuriste Rose & Lys", "FR", "Tours", 1, "U", "commitment 0 with notice 2026-09-20: no fee"),
    ("C026", "Groupe Scolaire Montessori Saint-Exupéry", "FR", "Versailles", 8, "U", "negotiated prices; carries most reject rows"),
    ("C027", "Cabinet Dentaire Roux", "FR", "Grenoble", 3, "U", "rental started 2026-09-20: first billed 2026-10"),
    ("C028", "Menuiserie Blanc", "FR", "Angers", 3, "U", "rental ended early 2026-10-12; returned good"),
    ("C029", "Traiteur Gourmet & Co", "FR", "Lyon", 3, "U", "rental returned damaged 2026-10-08"),
    ("C030", "Perrin Avocats", "FR", "Paris", 6, "U", "rental ended 2026-09-05, never returned"),
    ("C031", "Auto-École Conduite Plus", "FR", "Metz", 3, "U", "discontinued YEALINK_T31P never returned"),
    ("C032", "Laboratoire BioAnalyse", "FR", "Strasbourg", 6, "U", "RMA 2026-09-10, defective unit kept"),
    ("C033", "Comptoir des Épices", "FR", "Marseille", 3, "U", "RMA whose defective unit came back"),
    ("C034", "Cabinet Comptable Faure", "FR", "Clermont-Ferrand", 5, "U", "equipment sale delivered 2026-09-16"),
    ("C035", "Start-up Kodex", "FR", "Paris", 8, "U", "equipment sale delivered 2026-10-07"),
    ("C036", "Ristorante Bella Vita Srl", "IT", "Milano", 2, "M", "Italy with a valid VAT number: reverse charge, like C017"),
    ("C037", "Assurances Mercier", "FR", "Paris", 3, "U", "R52 worked example: 2026-10 at 99.8210 %, claim received 2026-11-05"),
    ("C038", "Imprimerie Moderne", "FR", "Rouen", 2, "U", "SLA 2026-09: overlapping/excusable incidents; credited; claimed twice"),
    ("C039", "SOS Plomberie Nuit", "FR", "Paris", 3, "U", "DST night 2026-10-25: 3 h incident; two different 02:15"),
    ("C040", "Dormant Holding SAS", "FR", "Paris", 0, "U", "no account, no subscription, no activity: no invoice"),
]

TWEAKS: dict[str, dict] = {
    "C001": dict(sla=True, options=("OPT_VOICEMAIL", "OPT_HUNTGROUP"), rent=True, fax_line=True),
    "C002": dict(sla=False),
    "C003": dict(sla=True),
    "C004": dict(options=("OPT_VOICEMAIL",), intl=0.01),
    "C005": dict(pro=True, profile="callcentre", options=("OPT_IVR", "OPT_HUNTGROUP"), sla=True),
    "C006": dict(story_accounts={"01": dict(calls=16.0, intl=0.0, specials=False, fwd=False)}),
    "C007": dict(story_accounts={"01": dict(calls=16.0, intl=0.0, specials=False, fwd=False)}),
    "C010": dict(options=("OPT_UC_SOFTPHONE",), story_accounts={"01": dict(story_devices=True)}),
    "C011": dict(options=("OPT_UC_SOFTPHONE",), story_accounts={"01": dict(story_devices=True)}),
    "C012": dict(story_accounts={"01": dict(story_devices=True), "02": dict(story_devices=True)}),
    "C013": dict(intl=0.12, intl_countries=("GB", "US", "MA", "ES")),
    "C014": dict(always_on=True, story_accounts={"01": dict(fwd=False)}),
    "C015": dict(story_accounts={"01": dict(fwd=False)}),
    "C016": dict(intl=0.10, intl_countries=("BE", "CH"), zones="INTL_BE_FIXED;INTL_CH_FIXED"),
    "C017": dict(intl=0.30, intl_countries=("BE",), zones="INTL_BE_FIXED;INTL_BE_MOBILE"),
    "C018": dict(intl=0.30, intl_countries=("CH",), zones="INTL_CH_FIXED;INTL_CH_MOBILE"),
    "C019": dict(intl=0.10, intl_countries=("DE",)),
    "C020": dict(sla=True, order_date=date(2026, 9, 10), active_from=date(2026, 9, 11), intl=0.0, specials=False),
    "C021": dict(order_date=date(2026, 3, 10), active_to=date(2026, 10, 15)),
    "C022": dict(order_date=date(2024, 1, 20)),
    "C023": dict(order_date=date(2025, 11, 5), active_to=date(2026, 10, 30)),
    "C024": dict(order_date=date(2025, 6, 12)),
    "C025": dict(order_date=date(2025, 2, 1), active_to=date(2026, 10, 20)),
    "C026": dict(price="19.90", options=("OPT_CONFERENCE",)),
    "C027": dict(rent=True),
    "C028": dict(rent=True),
    "C029": dict(rent=True),
    "C030": dict(rent=True),
    "C031": dict(rent=True),
    "C032": dict(rent=True),
    "C033": dict(rent=True),
    "C034": dict(rent=False),
    "C035": dict(rent=False, options=("OPT_UC_SOFTPHONE", "OPT_CONFERENCE")),
    "C036": dict(intl=0.15, intl_countries=("IT",)),
    "C037": dict(sla=True, options=("OPT_HUNTGROUP",), rent=True, order_date=date(2024, 6, 3)),
    "C038": dict(sla=True, options=("OPT_VOICEMAIL",), rent=True),
    "C039": dict(sla=True, always_on=True),
    "C040": dict(sla=False, rent=False, options=()),
}

# R31/R32 stories: customer -> (commitment of all its plans, notice_date of its account -01)
NOTICES = {
    "C021": (12, date(2026, 9, 15)),
    "C022": (12, date(2026, 10, 31)),
    "C023": (12, date(2026, 9, 30)),
    "C024": (12, date(2026, 10, 1)),
    "C025": (0, date(2026, 9, 20)),
}

PLAN_PRICE = {"U": "25.00", "M": "5.00"}
PLAN_CODE = {"U": "PLAN_UNLIMITED", "M": "PLAN_METERED"}
OPTION_PRICE = {"OPT_CONFERENCE": "15.00", "OPT_IVR": "30.00", "OPT_VOICEMAIL": "3.00",  # = list prices
                "OPT_FAX2MAIL": "8.00", "OPT_HUNTGROUP": "10.00", "OPT_UC_SOFTPHONE": "6.00"}
NEGOTIATED_OPTION_PRICE = {"OPT_CONFERENCE": "12.00"}  # C026's order form
RENTAL_FEE = {"YEALINK_T31P": "2.00", "YEALINK_T46U": "3.50", "YEALINK_T54W": "5.00", "YEALINK_W73P": "4.50",
              "GIGASET_N670": "3.00", "YEALINK_CP925": "15.00", "ROUTER_4G": "9.90"}
DEVICE_KIND = {"YEALINK_T31P": "desk_phone", "YEALINK_T46U": "desk_phone", "YEALINK_T54W": "desk_phone",
               "YEALINK_W73P": "dect_phone", "GIGASET_N670": "dect_phone", "YEALINK_CP925": "conference_phone",
               "ROUTER_4G": "router"}

CITIES = {  # city: (postcode, French area digit of the DIDs)
    "Paris": ("75011", "1"), "Versailles": ("78000", "1"), "Lyon": ("69003", "4"), "Nice": ("06000", "4"),
    "Marseille": ("13006", "4"), "Montpellier": ("34000", "4"), "Annecy": ("74000", "4"),
    "Grenoble": ("38000", "4"), "Clermont-Ferrand": ("63000", "4"), "Lille": ("59000", "3"),
    "Reims": ("51100", "3"), "Dijon": ("21000", "3"), "Metz": ("57000", "3"), "Strasbourg": ("67000", "3"),
    "Nantes": ("44000", "2"), "Rennes": ("35000", "2"), "Le Havre": ("76600", "2"), "Tours": ("37000", "2"),
    "Angers": ("49000", "2"), "Rouen": ("76000", "2"), "Bordeaux": ("33000", "5"), "Toulouse": ("31000", "5"),
    "Bruxelles": ("1000", "1"), "Genève": ("1204", "4"), "Kehl": ("77694", "3"), "Milano": ("20121", "4"),
}
STREETS_FR = ["rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue du Général Leclerc",
              "place de la Mairie", "rue Pasteur", "allée des Tilleuls", "quai de la Loire", "rue des Écoles",
              "impasse du Moulin"]
FOREIGN_ADDRESS = {
    "BE": "Rue Neuve {n}, 1000 Bruxelles, Belgique",
    "CH": "Rue du Rhône {n}, 1204 Genève, Suisse",
    "DE": "Hauptstraße {n}, 77694 Kehl, Deutschland",
    "IT": "Via Torino {n}, 20121 Milano, Italia",
}

# The CDR and registration files of a month, in name order (R41: the first occurrence of a
# cdr_id wins, files taken in name order). Each customer's accounts live on one switch ("site").
SITES = ("paris", "lyon", "ssw")
SITE_CYCLE = ("paris", "lyon", "ssw", "lyon", "ssw")  # customer number i is on SITE_CYCLE[(i-1) % 5]
CDR_FILES = {"paris": "cdr_{m}_01_sbc-paris.csv", "lyon": "cdr_{m}_02_sbc-lyon.csv.gz",
             "ssw": "cdr_{m}_03_softswitch.parquet", "late": "cdr_{m}_04_late-delivery.csv"}
REG_FILES = {"paris": "reg_{m}_01_sbc-paris.csv", "lyon": "reg_{m}_02_sbc-lyon.csv.gz",
             "ssw": "reg_{m}_03_softswitch.parquet"}
ID_PREFIX = {"paris": "PAR", "lyon": "LYO", "ssw": "SSW", "late": "LATE"}
# How each switch writes timestamps and numbers (weights); R11 and the data contract allow all.
TS_STYLE = {"paris": {"offset": 80, "Z": 10, "naive": 10}, "lyon": {"Z": 70, "offset": 30},
            "ssw": {"offset": 90, "naive": 10}, "late": {"offset": 100}}
FR_STYLE = {"paris": {"nat": 45, "nat_sp": 15, "plus": 15, "plus_sp": 10, "nat_dot": 5, "nat_par": 3, "00": 4, "e164": 3},
            "lyon": {"nat": 55, "00": 15, "nat_dot": 10, "e164": 10, "nat_sp": 10},
            "ssw": {"e164": 80, "plus": 20}}
INTL_STYLE = {"paris": {"plus": 50, "plus_sp": 30, "00": 20}, "lyon": {"00": 70, "plus": 30},
              "ssw": {"e164": 85, "plus": 15}}
CALLER_STYLE = {"paris": "plus", "lyon": "nat", "ssw": "e164"}
# fmt: on

# the columns of every file are the data contract's (pipeline/core/data_contract.py)
CDR_COLUMNS = list(contract.CDRS.names)
REG_COLUMNS = list(contract.REGISTRATIONS.names)


# --------------------------------------------------------------------------------------------
# Europe/Paris time (R1), computed by hand so that the output never depends on the machine's
# tz database: CEST (+02:00) from the last Sunday of March 01:00 UTC to the last Sunday of
# October 01:00 UTC, CET (+01:00) otherwise.
# --------------------------------------------------------------------------------------------
def _last_sunday(year: int, month: int) -> int:
    d = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    while d.weekday() != 6:
        d -= timedelta(days=1)
    return d.day


def paris_offset_h(t: datetime) -> int:
    y = t.year
    start = datetime(y, 3, _last_sunday(y, 3), 1, tzinfo=UTC)
    end = datetime(y, 10, _last_sunday(y, 10), 1, tzinfo=UTC)
    return 2 if start <= t < end else 1


def _local_candidates(naive: datetime) -> list[datetime]:
    out = []
    for h in (2, 1):
        t = naive.replace(tzinfo=UTC) - timedelta(hours=h)
        if paris_offset_h(t) == h:
            out.append(t)
    return out


def paris(y: int, m: int, d: int, hh: int = 0, mi: int = 0, ss: int = 0, fold: int = 0) -> datetime:
    """Paris wall time -> aware UTC datetime (fold=1: the second 02:xx of the October change)."""
    cands = _local_candidates(datetime(y, m, d, hh, mi, ss))
    if not cands:
        raise ValueError(f"{y}-{m}-{d} {hh}:{mi} does not exist in Europe/Paris")
    return cands[min(fold, len(cands) - 1)]


def local_naive(t: datetime) -> datetime:
    return (t + timedelta(hours=paris_offset_h(t))).replace(tzinfo=None)


def fmt_ts(t: datetime, style: str) -> str:
    if style == "Z":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    local = local_naive(t)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "naive" and len(_local_candidates(local)) == 1:
        return text  # never an ambiguous local time without its offset
    return f"{text}+0{paris_offset_h(t)}:00"


def parse_ts(s: str) -> datetime | None:
    """The instant of a timestamp written by this script (None when deliberately unparseable)."""
    try:
        if s.endswith("Z"):
            return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if len(s) == 25:
            return datetime.fromisoformat(s).astimezone(UTC)
        n = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S")
        return paris(n.year, n.month, n.day, n.hour, n.minute, n.second)
    except ValueError:
        return None


def month_of(t: datetime) -> str:
    return local_naive(t).strftime("%Y-%m")


def month_days(month: str) -> list[date]:
    d = date(int(month[:4]), int(month[5:]), 1)
    out = []
    while d.month == int(month[5:]):
        out.append(d)
        d += timedelta(days=1)
    return out


def at(d: date, seconds: float) -> datetime:
    s = int(seconds)
    return paris(d.year, d.month, d.day, s // 3600, (s % 3600) // 60, s % 60)


# --------------------------------------------------------------------------------------------
# Phone numbers, kept as E.164 digits (French short numbers as "S" + digits, R11) and written
# in the many ways a switch or a user does. The ranges below are valid numbers of their
# country (checked against libphonenumber's metadata, which the rate book is built from).
# --------------------------------------------------------------------------------------------
COUNTRY_CODES = ("1", "31", "32", "33", "34", "39", "41", "44", "49", "212", "213", "216", "351")
# fmt: off
INTL_PATTERNS = {  # country: (code, (fixed prefix, digits after it), (mobile prefix, digits))
    "BE": ("32", ("25", 6), ("47", 7)), "CH": ("41", ("22", 7), ("79", 7)),
    "DE": ("49", ("30", 8), ("151", 8)), "GB": ("44", ("207", 7), ("780", 7)),
    "ES": ("34", ("91", 7), ("6", 8)), "IT": ("39", ("06", 8), ("34", 8)),
    "NL": ("31", ("20", 7), ("61", 7)), "PT": ("351", ("21", 7), ("91", 7)),
    "MA": ("212", ("522", 6), ("661", 6)), "DZ": ("213", ("21", 6), ("550", 6)),
    "TN": ("216", ("71", 6), ("98", 6)), "US": ("1", ("212555", 4), ("415555", 4)),
}
# fmt: on
SPECIALS = [  # occasional French special numbers in the background traffic: (number, weight)
    ("33800050505", 4),  # 0800 05 05 05, freephone: FREE
    ("S3949", 2),  # short number: FR_SHORT
    ("S118712", 1),  # directory enquiries: FR_DIRECTORY
    ("33820202020", 1),  # 0820: shared cost
]


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def fr_fixed(rng: random.Random, area: str | None = None) -> str:
    return "33" + (area or rng.choice("123459")) + rng.choice("134578") + digits(rng, 7)


def fr_mobile(rng: random.Random) -> str:
    first = rng.choice("667")
    return "33" + first + rng.choice("0124578" if first == "6" else "3456789") + digits(rng, 7)


def fr_any(rng: random.Random, mobile_share: float, area: str | None = None) -> str:
    return fr_mobile(rng) if rng.random() < mobile_share else fr_fixed(rng, area)


def intl_number(rng: random.Random, country: str, mobile: bool) -> str:
    cc, fixed, mob = INTL_PATTERNS[country]
    prefix, n = mob if mobile else fixed
    return cc + prefix + digits(rng, n)


def split_cc(e164: str) -> tuple[str, str]:
    for cc in sorted(COUNTRY_CODES, key=len, reverse=True):
        if e164.startswith(cc):
            return cc, e164[len(cc) :]
    raise ValueError(e164)


def fmt_number(e164: str, style: str) -> str:
    """Write a number as a switch would (R11 lists what the pipeline must understand)."""
    if e164.startswith("S"):
        return e164[1:]
    cc, nat = split_cc(e164)
    if cc == "33" and len(nat) == 9:
        n = "0" + nat
        pairs = [n[i : i + 2] for i in range(0, 10, 2)]
        return {
            "nat": n,
            "nat_sp": " ".join(pairs),
            "nat_dot": ".".join(pairs),
            "nat_par": f"({pairs[0]}) " + "-".join(pairs[1:]),
            "plus": "+" + e164,
            "plus_sp": "+33 " + nat[0] + " " + " ".join(nat[i : i + 2] for i in range(1, 9, 2)),
            "00": "00" + e164,
            "e164": e164,
        }[style]
    style = {"nat": "plus", "nat_sp": "plus_sp", "nat_dot": "plus", "nat_par": "plus"}.get(
        style, style
    )
    if style == "e164" and len(e164) < 11:
        style = "plus"  # R11: bare digits are E.164 only from 11 digits (+32 2 ... has 10)
    return {
        "plus": "+" + e164,
        "plus_sp": f"+{cc} {nat[:-6]} {nat[-6:]}" if len(nat) > 7 else f"+{cc} {nat}",
        "00": "00" + e164,
        "e164": e164,
    }[style]


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


# --------------------------------------------------------------------------------------------
# Identifiers: all fictitious, all passing their checksums.
# --------------------------------------------------------------------------------------------
def make_siren(rng: random.Random) -> str:
    body = rng.choice("123456789") + digits(rng, 7)
    siren = body + luhn.calc_check_digit(body)
    assert fr_siren.is_valid(siren)
    return siren


def fr_vat(siren: str) -> str:
    vat = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    assert eu_vat.is_valid(vat) and vat == "FR" + fr_siren.to_tva(siren)
    return vat


def make_be_vat(rng: random.Random) -> str:
    body = "0" + rng.choice("23456789") + digits(rng, 6)
    vat = f"BE{body}{97 - int(body) % 97:02d}"
    assert be_vat.is_valid(vat) and eu_vat.is_valid(vat)
    return vat


def make_ch_vat(rng: random.Random) -> str:
    while True:
        body = rng.choice("123456789") + digits(rng, 7)
        check = ch_uid.calc_check_digit(body)
        if check != "10":
            break
    n = body + check
    vat = f"CHE-{n[:3]}.{n[3:6]}.{n[6:]} MWST"
    assert ch_vat.is_valid(vat)
    return vat


def make_it_vat(rng: random.Random) -> str:
    body = digits(rng, 10)[:7] + "015"  # 7-digit company number + office code 015 (Milano)
    vat = "IT" + body + luhn.calc_check_digit(body)
    assert it_iva.is_valid(vat[2:]) and eu_vat.is_valid(vat)
    return vat


def make_iban_fr(bank: str, branch: str, account: str) -> str:
    rib = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97)
    bban = f"{bank}{branch}{account}{rib:02d}"
    iban = f"FR{98 - int(bban + '152700') % 97:02d}{bban}"  # F=15 R=27, check digits 00
    assert std_iban.is_valid(iban)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --------------------------------------------------------------------------------------------
# The model.
# --------------------------------------------------------------------------------------------
@dataclass
class Customer:
    cid: str
    name: str
    country: str
    city: str
    n_accounts: int
    plan: str
    story: str
    pro: bool = False
    sla: bool = False
    siren: str = ""
    vat: str = ""
    address: str = ""
    site: str = "paris"
    order_date: date = date(2024, 1, 1)
    rent: bool = False
    options: tuple = ()
    price: str = ""
    zones: str = ""
    intl: float = 0.03
    intl_countries: tuple = ()
    profile: str = "office"
    always_on: bool = False
    active_from: date | None = None
    active_to: date | None = None
    fax_line: bool = False
    specials: bool = True
    story_accounts: dict = field(default_factory=dict)


@dataclass
class Device:
    device_id: str
    customer_id: str
    sip_account: str  # "" for routers
    kind: str
    model: str = ""
    supplied: bool = True
    always_on: bool = False
    softphone: bool = False
    expiry_s: int = 3600
    forced: list = field(default_factory=list)  # [(start_utc, end_utc)] story sessions
    no_background: bool = False  # registers only during its forced sessions


@dataclass
class Account:
    sip: str
    customer: Customer
    did: str
    plan: str
    calls: float = 9.0  # mean calls per working day
    intl: float = 0.03
    intl_countries: tuple = ()
    specials: bool = True
    fwd: bool = False
    story_devices: bool = False
    book: list = field(default_factory=list)
    intl_book: list = field(default_factory=list)
    fwd_targets: list = field(default_factory=list)
    devices: list = field(default_factory=list)  # phones that place and receive calls


@dataclass
class Row:
    """One CDR row: the raw values written, plus the real instant `t` (for sorting)."""

    sip_account: str
    direction: str
    caller: str
    callee: str | None
    start_time: str
    duration_s: int | str
    device_id: str | None
    site: str
    t: datetime
    cdr_id: str = ""
    tag: str = ""  # story label (printed by --story); empty for background traffic
    missing_column: bool = False  # written without its last field (MALFORMED)

    def values(self) -> list:
        v = [self.cdr_id, self.sip_account, self.direction, self.caller, self.callee]
        return v + [self.start_time, self.duration_s, self.device_id]


class World:
    def __init__(self, seed: int):
        self.seed = seed
        self.customers: dict[str, Customer] = {}
        self.accounts: dict[str, Account] = {}
        self.devices: list[Device] = []
        self.subscriptions: list[dict] = []
        self.rentals: list[dict] = []
        self.rma: list[dict] = []
        self.sales: list[dict] = []
        self.incidents: list[dict] = []
        self.claims: list[dict] = []
        self.cdrs: dict[str, list[Row]] = {m: [] for m in MONTHS}
        self.regs: dict[str, list[tuple]] = {m: [] for m in MONTHS}
        self.files: dict[str, dict[str, list[Row]]] = {}
        self.dids: set[str] = set()

    def rng(self, *names: object) -> random.Random:
        """One generator per topic, so that a change in one story never shifts another."""
        return random.Random(f"{self.seed}:" + ":".join(str(n) for n in names))

    def new_device(self, customer_id: str, sip_account: str, kind: str, **kw) -> Device:
        dev = Device(f"D{len(self.devices) + 1:05d}", customer_id, sip_account, kind, **kw)
        self.devices.append(dev)
        return dev

    def phone(self, sip: str, model: str) -> Device:
        a = self.accounts[sip]
        return self.new_device(a.customer.cid, sip, DEVICE_KIND[model], model=model)

    def softphone(self, sip: str, **kw) -> Device:
        a = self.accounts[sip]
        return self.new_device(a.customer.cid, sip, "softphone", softphone=True, **kw)


# --------------------------------------------------------------------------------------------
# Reference data: customers, accounts, devices, subscriptions, rentals, sales.
# --------------------------------------------------------------------------------------------
def build_customers(w: World) -> None:
    rng = w.rng("customers")
    for i, (cid, name, country, city, n_acc, plan, story) in enumerate(CUSTOMERS):
        c = Customer(cid, name, country, city, n_acc, plan, story)
        c.site = SITE_CYCLE[i % len(SITE_CYCLE)]
        c.sla = rng.random() < 0.6
        c.rent = rng.random() < 0.55
        c.order_date = date(2022, 1, 10) + timedelta(days=rng.randrange(0, 1600))
        c.options = tuple(rng.sample(sorted(OPTION_PRICE), rng.choice([0, 0, 1, 1, 2])))
        for key, value in TWEAKS.get(cid, {}).items():
            setattr(c, key, value)
        n = rng.randint(1, 120)
        if country == "FR":
            c.siren = make_siren(rng)
            c.vat = fr_vat(c.siren)
            c.address = f"{n} {rng.choice(STREETS_FR)}, {CITIES[city][0]} {city}"
        else:
            c.address = FOREIGN_ADDRESS[country].format(n=n)
            makers = {"BE": make_be_vat, "CH": make_ch_vat, "IT": make_it_vat}
            c.vat = makers[country](rng) if country in makers else ""  # DE: no VAT number
        w.customers[cid] = c


def new_did(w: World, rng: random.Random, area: str) -> str:
    while True:
        did = "33" + area + "7" + digits(rng, 7)
        if did not in w.dids:
            w.dids.add(did)
            return did


def build_accounts(w: World) -> None:
    for c in w.customers.values():
        rng = w.rng("accounts", c.cid)
        area = CITIES[c.city][1]
        for k in range(1, c.n_accounts + 1):
            sip = f"sip-{c.cid}-{k:02d}"
            fax = c.fax_line and k == c.n_accounts
            a = Account(sip, c, new_did(w, rng, area), "M" if fax else c.plan)
            if c.profile == "callcentre":
                a.calls = 30.0
            else:
                a.calls = 1.0 if fax else round(rng.lognormvariate(math.log(8.0), 0.45), 1)
            a.intl, a.intl_countries, a.specials = c.intl, c.intl_countries, c.specials
            if not a.intl_countries:
                pool = ["ES", "IT", "DE", "GB", "BE", "CH", "MA", "TN", "PT", "NL"]
                a.intl_countries = tuple(rng.sample(pool, 2))
            a.fwd = rng.random() < 0.25 and c.profile != "callcentre"
            for key, value in c.story_accounts.get(f"{k:02d}", {}).items():
                setattr(a, key, value)
            a.book = [fr_any(rng, 0.35, area) for _ in range(rng.randint(35, 100))]
            a.intl_book = [
                intl_number(rng, rng.choice(a.intl_countries), rng.random() < 0.4) for _ in range(4)
            ]
            a.fwd_targets = [fr_mobile(rng) for _ in range(2)]
            w.accounts[sip] = a


def build_devices(w: World) -> None:
    """1 to 3 provider devices per account (desk phone, maybe DECT, softphone, conference)."""
    for a in w.accounts.values():
        if a.story_devices:
            continue  # see story_devices()
        c = a.customer
        rng = w.rng("devices", a.sip)
        old = c.order_date < date(2024, 1, 1)
        models = ["YEALINK_T46U", "YEALINK_T54W", "YEALINK_T31P"]
        model = rng.choices(models, weights=[60, 25, 15 if old else 0])[0]
        if a.plan == "M" and c.fax_line:
            model = "YEALINK_T31P" if old else "YEALINK_T46U"
        devs = [w.phone(a.sip, model)]
        if rng.random() < 0.2:
            devs.append(w.phone(a.sip, rng.choice(["YEALINK_W73P", "GIGASET_N670"])))
        if "OPT_UC_SOFTPHONE" in c.options or rng.random() < 0.12:
            devs.append(w.softphone(a.sip, expiry_s=1800))
        if a.sip.endswith("-01") and c.n_accounts >= 5 and len(devs) < 3 and rng.random() < 0.5:
            devs.append(w.phone(a.sip, "YEALINK_CP925"))  # the meeting room
        for d in devs:
            d.always_on = c.always_on
        a.devices = devs
    story_devices(w)
    for c in w.customers.values():  # the access routers of SLA-eligible customers
        if c.sla and c.n_accounts:
            w.new_device(c.cid, "", "router", model="ROUTER_4G")


def story_devices(w: World) -> None:
    """R23 (C010, C011) and R24 (C012) devices."""
    # C010: desk phone, DECT and softphone, all up during office hours. A phone re-registers
    # before its registration expires, so one device often has two overlapping intervals:
    # never more than 3 distinct devices at once, no breach.
    s = "sip-C010-01"
    w.accounts[s].devices = [
        w.phone(s, "YEALINK_T54W"),
        w.phone(s, "YEALINK_W73P"),
        w.softphone(s, expiry_s=1800),
    ]
    w.accounts[s].devices[2].forced = [(paris(2026, 10, 7, 9), paris(2026, 10, 7, 12))]
    # C011: the same three, plus a mobile softphone on 2026-10-08 14:00-15:30 only: 4 at once.
    s = "sip-C011-01"
    w.accounts[s].devices = [
        w.phone(s, "YEALINK_T46U"),
        w.phone(s, "GIGASET_N670"),
        w.softphone(s, expiry_s=1800),
    ]
    w.accounts[s].devices[2].forced = [(paris(2026, 10, 8, 13), paris(2026, 10, 8, 17))]
    mobile = w.softphone(s, expiry_s=900, no_background=True)
    mobile.forced = [(paris(2026, 10, 8, 14), paris(2026, 10, 8, 15, 30))]
    # C012: -01 has a provider phone and the customer's own phone (supplied_by_provider=false);
    # -02 has a provider phone and also uses D99901, a device unknown to devices.csv.
    s = "sip-C012-01"
    own = w.new_device("C012", s, "third_party_phone", supplied=False)
    w.accounts[s].devices = [w.phone(s, "YEALINK_T46U"), own]
    s = "sip-C012-02"
    w.accounts[s].devices = [w.phone(s, "YEALINK_T46U")]


UNKNOWN_DEVICE = Device("D99901", "C012", "sip-C012-02", "unknown", supplied=False)


def build_subscriptions(w: World) -> None:
    def add(c: Customer, product: str, price: str, commitment: int, sip="", zones="", notice=None):
        w.subscriptions.append(
            dict(
                subscription_id=f"S{len(w.subscriptions) + 1:04d}",
                customer_id=c.cid,
                product_code=product,
                monthly_price_eur=price,
                order_date=c.order_date.isoformat(),
                commitment_months=commitment,
                sip_account=sip,
                included_intl_zones=zones,
                notice_date=notice.isoformat() if notice else "",
            )
        )

    for c in w.customers.values():
        rng = w.rng("subscriptions", c.cid)
        for a in (x for x in w.accounts.values() if x.customer is c):
            commitment = rng.choice([0, 12]) if a.plan == "M" else rng.choice([12, 24, 36])
            notice = None
            if c.cid in NOTICES:
                commitment = NOTICES[c.cid][0]
                notice = NOTICES[c.cid][1] if a.sip.endswith("-01") else None
            zones = c.zones if a.plan == "U" else ""
            add(
                c,
                PLAN_CODE[a.plan],
                c.price or PLAN_PRICE[a.plan],
                commitment,
                a.sip,
                zones,
                notice,
            )
        for opt in c.options:  # customer-level options: sip_account empty
            price = NEGOTIATED_OPTION_PRICE.get(opt, "") if c.price else ""
            add(c, opt, price or OPTION_PRICE[opt], rng.choice([0, 12]))


def build_rentals(w: World) -> None:
    rng = w.rng("rentals")

    def add(cid, model, start, commitment, notice="", returned="", condition="") -> str:
        rid = f"R{len(w.rentals) + 1:04d}"
        serial = model.split("_")[1][:4] + "-" + digits(rng, 8)
        w.rentals.append(
            dict(
                rental_id=rid,
                customer_id=cid,
                equipment_model=model,
                monthly_fee_eur=RENTAL_FEE[model],
                start_date=start.isoformat(),
                commitment_months=commitment,
                serial=serial,
                notice_date=notice,
                returned_on=returned,
                return_condition=condition,
            )
        )
        return rid

    for d in w.devices:  # every provider device of a renting customer is rented
        c = w.customers[d.customer_id]
        if c.rent and d.model and d.supplied:
            add(c.cid, d.model, c.order_date + timedelta(days=3), rng.choice([24, 36]))
    # fmt: off
    # R4: started 2026-09-20 -> first billed 2026-10
    add("C027", "YEALINK_T46U", date(2026, 9, 20), 36)
    # R33: ended 2026-10-12 within its initial period 2026-01..2027-12 -> 14 instalments left;
    # returned in good condition 8 days later -> no equipment charge (R34)
    add("C028", "YEALINK_T54W", date(2025, 12, 3), 24, "2026-10-12", "2026-10-20", "good")
    # R34: ended 2026-09-25 (no commitment), returned damaged 2026-10-08 -> charged in 2026-10
    add("C029", "YEALINK_T46U", date(2024, 9, 2), 0, "2026-09-25", "2026-10-08", "damaged")
    # R34: ended 2026-09-05, never returned -> deadline 2026-10-05 -> charged in 2026-10
    add("C030", "YEALINK_T54W", date(2024, 4, 15), 0, "2026-09-05")
    # R34: a YEALINK_T31P (not sold since 2026-07-01) never returned -> price at rental start
    add("C031", "YEALINK_T31P", date(2024, 5, 14), 0, "2026-09-12")
    # R34 + RMA: replacement shipped 2026-09-10, defective unit kept -> deadline 2026-10-10
    r = add("C032", "YEALINK_T46U", date(2026, 2, 2), 36)
    w.rma.append(dict(rma_id="RMA-0001", rental_id=r, shipped_on="2026-09-10", defective_returned_on=""))
    # RMA whose defective unit came back -> nothing
    r = add("C033", "YEALINK_W73P", date(2025, 6, 20), 36)
    w.rma.append(dict(rma_id="RMA-0002", rental_id=r, shipped_on="2026-09-03", defective_returned_on="2026-09-18"))
    # fmt: on


def build_sales(w: World) -> None:
    """R35: billed once, in the month of delivery (V0001 was billed in 2026-06)."""
    cols = [
        "sale_id",
        "customer_id",
        "equipment_model",
        "quantity",
        "unit_price_eur",
        "delivered_on",
    ]
    # fmt: off
    rows = [
        ("V0001", "C034", "GIGASET_N670", 1, "189.00", "2026-06-03"),
        ("V0002", "C034", "YEALINK_T54W", 2, "199.00", "2026-09-16"),  # order form below catalogue
        ("V0003", "C035", "YEALINK_CP925", 1, "549.00", "2026-10-07"),
    ]
    # fmt: on
    w.sales = [dict(zip(cols, r, strict=True)) for r in rows]


# --------------------------------------------------------------------------------------------
# SLA: incidents and claims (R50-R52).
# --------------------------------------------------------------------------------------------
# fmt: off
INCIDENTS = [
    # Platform-wide (customer_id empty). 2026-10 has only ONE (the 50 min one), so that C037
    # reproduces the worked example of the rules; the others are in 2026-09 (one from August).
    ("", "2026-08-31T23:30:00+02:00", "2026-09-01T00:15:00+02:00", False, "Panne du cœur de réseau SIP"),
    ("", "2026-09-08T02:00:00+02:00", "2026-09-08T03:00:00+02:00", True, "Maintenance planifiée des SBC"),
    ("", "2026-09-17T12:00:00Z", "2026-09-17T12:20:00Z", False, "Perte d'interconnexion avec l'opérateur de transit"),
    ("", "2026-10-06T10:30:00+02:00", "2026-10-06T11:20:00+02:00", False, "Saturation des serveurs d'enregistrement"),
    # C037, 2026-10: 40 min not excusable (overlapping the platform one by 10 min), 30 min excusable
    ("C037", "2026-10-06T10:00:00+02:00", "2026-10-06T10:40:00+02:00", False, "Défaillance du trunk SIP du client"),
    ("C037", "2026-10-14T09:00:00+02:00", "2026-10-14T09:30:00+02:00", True, "Coupure du lien d'accès d'un opérateur tiers"),
    # C038, 2026-09: two overlapping incidents, an excusable one overlapping them by 15 min, and
    # one crossing into October (120 min in each month)
    ("C038", "2026-09-10T08:00:00+02:00", "2026-09-10T09:30:00+02:00", False, "Appels sortants impossibles"),
    ("C038", "2026-09-10T09:00:00+02:00", "2026-09-10T10:00:00+02:00", False, "Appels entrants impossibles"),
    ("C038", "2026-09-10T09:45:00+02:00", "2026-09-10T10:30:00+02:00", True, "Routeur du client non fourni par le Prestataire"),
    ("C038", "2026-09-30T22:00:00+02:00", "2026-10-01T02:00:00+02:00", False, "Perte de la liaison d'accès fournie"),
    # C039: the DST night, 01:30 CEST -> 03:30 CET is 3 h of real time (not 2)
    ("C039", "2026-10-24T23:30:00Z", "2026-10-25T03:30:00+01:00", False, "Panne nocturne du service d'astreinte"),
    # C002 (not eligible), C020 (no 2026-09 invoice), C001 (August, never billed) each get a
    # real credit tier, so that their claim's only obstacle is the one their story is about
    ("C002", "2026-09-22T14:00:00+02:00", "2026-09-22T17:00:00+02:00", False, "Dysfonctionnement des postes"),
    ("C020", "2026-09-21T10:00:00+02:00", "2026-09-21T12:00:00+02:00", False, "Numéros non joignables après portabilité"),
    ("C001", "2026-08-20T09:00:00+02:00", "2026-08-20T12:00:00+02:00", False, "Panne du standard"),
    # ordinary ones
    ("C013", "2026-10-19T15:00:00+02:00", "2026-10-19T15:12:00+02:00", False, "Qualité audio dégradée"),
    ("C026", "2026-09-03T08:10:00+02:00", "2026-09-03T08:40:00+02:00", True, "Coupure électrique sur le site du client"),
]
CLAIMS = [  # customer_id, service_month, received_on
    ("C001", "2026-08", "2026-09-12"),  # 2026-09 run: no invoice for 2026-08
    ("C038", "2026-09", "2026-10-02"),  # 2026-10 run: credited (10 %)
    ("C002", "2026-09", "2026-10-05"),  # 2026-10 run: not SLA-eligible
    ("C003", "2026-09", "2026-10-09"),  # 2026-10 run: tier 0
    ("C020", "2026-09", "2026-10-12"),  # 2026-10 run: no invoice for 2026-09
    ("C038", "2026-09", "2026-10-20"),  # 2026-10 run: claimed twice
    ("C039", "2026-10", "2026-11-02"),  # 2026-11 run (10 %)
    ("C037", "2026-10", "2026-11-05"),  # 2026-11 run: the worked example (5 % of 85.00)
]
# fmt: on


def build_incidents(w: World) -> None:
    for i, (cid, start, end, excusable, cause) in enumerate(INCIDENTS, 1):
        w.incidents.append(
            dict(
                incident_id=f"INC-{i:04d}",
                start_time=start,
                end_time=end,
                excusable=excusable,
                customer_id=cid,
                cause=cause,
            )
        )
    w.claims = [dict(customer_id=c, service_month=m, received_on=r) for c, m, r in CLAIMS]


# --------------------------------------------------------------------------------------------
# Registrations: a device registers for expiry_s (1 h for phones, 30 min for softphones) and
# re-registers a few minutes before that runs out, while it is powered: office hours of
# working days, the whole month for 24/7 sites, a few hours on some days for softphones.
# --------------------------------------------------------------------------------------------
def device_sessions(w: World, d: Device, month: str) -> list[tuple[datetime, datetime]]:
    rng = w.rng("sessions", d.device_id, d.sip_account, month)
    c = w.customers[d.customer_id]
    days = [
        day
        for day in month_days(month)
        if not (c.active_from and day < c.active_from) and not (c.active_to and day > c.active_to)
    ]
    sessions = []
    if d.always_on and days and not d.no_background:
        end = days[-1] + timedelta(days=1)
        sessions.append((at(days[0], 0), paris(end.year, end.month, end.day)))
    elif not d.no_background:
        for day in days:
            if day.weekday() == 6 or (day.weekday() == 5 and c.profile != "callcentre"):
                continue
            if not d.softphone:
                sessions.append(
                    (
                        at(day, rng.uniform(7.5, 8.75) * 3600),
                        at(day, rng.uniform(18.5, 19.5) * 3600),
                    )
                )
            elif rng.random() < 0.55:
                s = rng.uniform(8.5, 10.5) * 3600
                sessions.append((at(day, s), at(day, min(s + rng.uniform(2, 8) * 3600, 19 * 3600))))
    sessions += [(s, e) for s, e in d.forced if month_of(s) == month]
    return sorted(sessions)


def build_registrations(w: World) -> None:
    for month in MONTHS:
        for d in w.devices + [UNKNOWN_DEVICE]:
            if not d.sip_account:
                continue
            rng = w.rng("registrations", d.device_id, d.sip_account, month)
            site = w.customers[d.customer_id].site
            for start, end in device_sessions(w, d, month):
                t = start
                while t < end:
                    style = pick(rng, TS_STYLE[site])
                    w.regs[month].append((t, d.sip_account, d.device_id, d.expiry_s, style))
                    t += timedelta(seconds=rng.randint(d.expiry_s - 600, d.expiry_s - 100))
        # C010: the desk phone rebooted at 10:00:07 on 2026-10-07 and registered again while
        # its previous registration was still running: one device twice, counted once (R23).
        if month == "2026-10":
            desk = w.accounts["sip-C010-01"].devices[0]
            w.regs[month].append(
                (paris(2026, 10, 7, 10, 0, 7), desk.sip_account, desk.device_id, 3600, "offset")
            )
        w.regs[month].sort(key=lambda r: (r[0], r[1], r[2]))


# --------------------------------------------------------------------------------------------
# Background CDRs.
# --------------------------------------------------------------------------------------------
def duration(rng: random.Random, median: float, sigma: float, cap: int) -> int:
    return max(3, min(cap, int(rng.lognormvariate(math.log(median), sigma))))


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def account_days(a: Account, month: str) -> list[date]:
    c = a.customer
    days = []
    for d in month_days(month):
        if d.weekday() == 6 or (d.weekday() == 5 and c.profile != "callcentre"):
            continue
        if (c.active_from and d < c.active_from) or (c.active_to and d > c.active_to):
            continue
        days.append(d)
    return days


def call_slots(w: World, a: Account, month: str) -> list[tuple[datetime, int, str]]:
    """(start, duration_s, direction) of one account's calls: one at a time (the concurrency
    stories add overlapping calls explicitly), business hours, every call over by 19:40."""
    rng = w.rng("slots", a.sip, month)
    callcentre = a.customer.profile == "callcentre"
    slots = []
    fwd_budget = 5000  # background forwarding stays well under the 2 h allowance (R21)
    for day in account_days(a, month):
        saturday = day.weekday() == 5
        starts = []
        for _ in range(poisson(rng, a.calls * (0.4 if saturday else rng.uniform(0.7, 1.3)))):
            if saturday:
                starts.append(rng.uniform(9 * 3600, 12.5 * 3600))
            elif rng.random() < 0.55:
                starts.append(rng.uniform(8.5 * 3600, 12.5 * 3600))
            else:
                starts.append(rng.uniform(13.75 * 3600, 18.75 * 3600))
        busy_until = 0.0
        for s in sorted(starts):
            s = max(s, busy_until + rng.randint(5, 90))
            if s > 18.75 * 3600:
                break
            r = rng.random()
            if a.fwd and r < 0.03 and fwd_budget > 600:
                direction, dur = "fwd", duration(rng, 110, 0.9, min(1800, fwd_budget))
                fwd_budget -= dur
            elif r < (0.62 if callcentre else 0.57):
                direction = "out"
                dur = duration(rng, 40, 1.1, 2400) if callcentre else duration(rng, 75, 1.05, 3000)
            else:
                direction, dur = "in", duration(rng, 90, 1.0, 3000)
            if rng.random() < 0.03:
                dur = 0  # unanswered (R10)
            slots.append((at(day, s), dur, direction))
            busy_until = s + max(dur, 20)
    return slots


def required_numbers(w: World, a: Account, month: str) -> list[str]:
    """R20 stories: the exact set of numbers an account calls (answered, out) in 2026-10."""
    n = {"sip-C006-01": 150, "sip-C007-01": 151}.get(a.sip)
    if month != "2026-10" or n is None:
        return []
    rng = w.rng("r20", a.sip)
    nums = list(dict.fromkeys(a.book))[:n]
    while len(nums) < n:
        x = fr_any(rng, 0.4)
        if x not in nums:
            nums.append(x)
    return nums


def pick_device(rng: random.Random, a: Account, direction: str) -> str | None:
    if direction == "fwd":
        return None  # a forwarded leg has no device (R24 does not concern it)
    if a.sip == "sip-C012-01":  # 30 % from the customer's own phone (supplied_by_provider=false)
        return a.devices[1 if rng.random() < 0.3 else 0].device_id
    if a.sip == "sip-C012-02" and rng.random() < 0.2:
        return UNKNOWN_DEVICE.device_id
    r = rng.random()
    for d in a.devices[1:]:
        if r < 0.25:
            return d.device_id
        r -= 0.25
    return a.devices[0].device_id


def background_cdrs(w: World) -> None:
    for month in MONTHS:
        for a in w.accounts.values():
            site = a.customer.site
            rng = w.rng("cdr", a.sip, month)
            slots = call_slots(w, a, month)
            book, weights = a.book, [1 / (i + 1) ** 0.8 for i in range(len(a.book))]
            forced: dict[int, str] = {}
            required = required_numbers(w, a, month)
            if required:  # every required number once, in random order, then any of them
                book, weights = required, [1.0] * len(required)
                answered_out = [i for i, s in enumerate(slots) if s[2] == "out" and s[1] > 0]
                if len(answered_out) < len(required):
                    raise SystemExit(
                        f"{a.sip}: {len(answered_out)} calls for {len(required)} numbers"
                    )
                rng.shuffle(answered_out)
                forced = dict(zip(answered_out, required, strict=False))
            for i, (t, dur, direction) in enumerate(slots):
                if direction == "fwd":
                    number = rng.choice(a.fwd_targets)
                elif direction == "in":
                    number = rng.choices(book, weights)[0] if rng.random() < 0.6 else fr_mobile(rng)
                elif i in forced:
                    number = forced[i]
                elif a.customer.profile == "callcentre":  # prospects: a new number each time
                    number = fr_any(rng, 0.5)
                elif a.specials and rng.random() < 0.006:
                    number = rng.choices([s for s, _ in SPECIALS], [x for _, x in SPECIALS])[0]
                elif a.intl and rng.random() < a.intl:
                    number = rng.choice(a.intl_book)
                else:
                    number = rng.choices(book, weights)[0]
                device = pick_device(rng, a, direction)
                french = number.startswith(("33", "S"))
                number_text = fmt_number(
                    number, pick(rng, FR_STYLE[site] if french else INTL_STYLE[site])
                )
                did_text = fmt_number(a.did, CALLER_STYLE[site])
                caller, callee = (
                    (number_text, did_text) if direction == "in" else (did_text, number_text)
                )
                start = fmt_ts(t, pick(rng, TS_STYLE[site]))
                w.cdrs[month].append(
                    Row(a.sip, direction, caller, callee, start, dur, device, site, t)
                )


# --------------------------------------------------------------------------------------------
# Story CDRs: one small function per rule, each row written explicitly. A story row is
#   (month, direction, callee, start_time, duration_s, tag[, extras])
# where callee "DID" is the account's own number (incoming calls) and extras may set
# device (None, or a device id), caller, site (the file), sort_as (where an unparseable row
# sits in its file) and missing_column. The tag says the expected outcome (--story prints it).
# --------------------------------------------------------------------------------------------
M9, M10 = "2026-09", "2026-10"


def add_rows(w: World, sip: str, rows: list[tuple]) -> None:
    a = w.accounts.get(sip)
    for month, direction, callee, start, dur, tag, *rest in rows:
        extras = rest[0] if rest else {}
        device = extras.get("device", "auto")
        if device == "auto":
            device = None if direction == "fwd" else a.devices[0].device_id
        if callee == "DID":
            callee = "+" + a.did
        caller = extras.get("caller") or ("+" + a.did if a else "+33139000000")
        site = extras.get("site") or a.customer.site
        t = parse_ts(start) or extras["sort_as"]
        row = Row(sip, direction, caller, callee, start, dur, device, site, t, tag=tag)
        row.missing_column = extras.get("missing_column", False)
        w.cdrs[month].append(row)


def story_formats_and_free(w: World) -> None:
    """R11 number formats, R16 FREE (C001-02) and R1 month edges (C001-01)."""
    # fmt: off
    add_rows(w, "sip-C001-02", [
        (M10, "out", "+33 1 45 67 89 10", "2026-10-12T20:00:00+02:00", 120, "R11 '+33 1 45 67 89 10' = 33145678910, FR_FIXED, INCLUDED"),
        (M10, "out", "0033145678910", "2026-10-12T20:05:00+02:00", 120, "R11 '0033145678910' = 33145678910, INCLUDED"),
        (M10, "out", "01.45.67.89.10", "2026-10-12T20:10:00+02:00", 120, "R11 '01.45.67.89.10' = 33145678910, INCLUDED"),
        (M10, "out", "(01) 45-67-89-10", "2026-10-12T20:15:00+02:00", 120, "R11 '(01) 45-67-89-10' = 33145678910, INCLUDED"),
        (M10, "out", "0145678910", "2026-10-12T20:20:00+02:00", 120, "R11 '0145678910' = 33145678910, INCLUDED"),
        (M10, "out", "33145678910", "2026-10-12T20:25:00+02:00", 120, "R11 '33145678910' stays, INCLUDED"),
        (M10, "out", "0612345678", "2026-10-13T20:00:00+02:00", 95, "R11 '0612345678' = 33612345678, FR_MOBILE, INCLUDED"),
        (M10, "out", "33612345678", "2026-10-13T20:05:00+02:00", 95, "R11 '33612345678' stays, FR_MOBILE, INCLUDED"),
        (M10, "out", "+33 6 12 34 56 78", "2026-10-13T20:10:00+02:00", 95, "R11 '+33 6 12 34 56 78' = 33612345678, INCLUDED"),
        (M10, "out", "+44 7911 123456", "2026-10-14T20:00:00+02:00", 65, "R11 '+44 7911 123456', INTL_GB_MOBILE, OUT_OF_PLAN"),
        (M10, "out", "3949", "2026-10-14T20:10:00+02:00", 140, "R11 '3949' = S3949, FR_SHORT, OUT_OF_PLAN"),
        (M10, "out", "118 712", "2026-10-14T20:20:00+02:00", 50, "R11 '118 712' = S118712, FR_DIRECTORY, OUT_OF_PLAN"),
        (M10, "out", "112", "2026-10-15T20:00:00+02:00", 75, "R16 FREE: 112 = S112, FR_EMERGENCY"),
        (M10, "out", "15", "2026-10-15T20:05:00+02:00", 200, "R16 FREE: 15 (SAMU) = S15"),
        (M10, "out", "0 800 05 05 05", "2026-10-15T20:10:00+02:00", 310, "R16 FREE: 0800 freephone"),
        (M9, "out", "112", "2026-09-16T20:00:00+02:00", 42, "R16 FREE: 112 in 2026-09"),
    ])
    add_rows(w, "sip-C001-01", [
        (M9, "out", "0145678911", "2026-08-31T22:00:00Z", 60, "R1 2026-08-31T22:00:00Z = 09-01 00:00 Paris: in 2026-09, INCLUDED"),
        (M9, "out", "0145678915", "2026-08-31T23:59:59+02:00", 60, "R41 OUT_OF_PERIOD: 2026-08-31T23:59:59+02:00 in a 2026-09 file"),
        (M10, "out", "0145678912", "2026-09-30T22:00:00Z", 120, "R1 2026-09-30T22:00:00Z = 10-01 00:00 Paris: in 2026-10, INCLUDED"),
        (M10, "out", "0145678913", "2026-10-31T23:30:00", 60, "R1 local time without offset, 2026-10-31 23:30: in 2026-10, INCLUDED"),
        (M10, "out", "0145678914", "2026-10-31T23:59:59+01:00", 30, "R1 last second of 2026-10: INCLUDED"),
    ])
    # fmt: on


def story_metered(w: World) -> None:
    """R14 examples on a PLAN_METERED account (C004): NO_PLAN, charged at the zone tariff."""
    # fmt: off
    add_rows(w, "sip-C004-01", [
        (M10, "out", "01 42 00 00 11", "2026-10-05T20:00:00+02:00", 30, "R14 30 s FR_FIXED: NO_PLAN"),
        (M10, "out", "01 42 00 00 12", "2026-10-05T20:05:00+02:00", 59, "R14 59 s FR_FIXED: NO_PLAN"),
        (M10, "out", "01 42 00 00 13", "2026-10-05T20:10:00+02:00", 60, "R14 60 s FR_FIXED: NO_PLAN"),
        (M10, "out", "01 42 00 00 14", "2026-10-05T20:15:00+02:00", 61, "R14 61 s FR_FIXED: NO_PLAN"),
        (M10, "out", "08 92 68 01 23", "2026-10-05T20:20:00+02:00", 61, "R14 61 s FR_PREMIUM (089x): NO_PLAN"),
        (M10, "out", "0800123456", "2026-10-05T20:30:00+02:00", 120, "R16 FREE before NO_PLAN: 0800 from a metered account"),
        (M10, "out", "0142000099", "2026-10-05T20:40:00+02:00", 0, "R16 NOT_CHARGEABLE: unanswered"),
        (M10, "in", "DID", "2026-10-05T20:45:00+02:00", 300, "R16 NOT_CHARGEABLE: incoming", {"caller": "0142000098"}),
    ])
    # fmt: on


def story_telecom_professional(w: World) -> None:
    """C005 is a call centre (telecom_professional=true): its plan never applies."""
    # fmt: off
    add_rows(w, "sip-C005-01", [
        (M10, "out", "112", "2026-10-10T14:00:00+02:00", 80, "R16 FREE beats TELECOM_PROFESSIONAL: 112"),
        (M10, "out", "0800 11 22 33", "2026-10-10T14:05:00+02:00", 240, "R16 FREE beats TELECOM_PROFESSIONAL: 0800"),
        (M10, "out", "0612000001", "2026-10-10T14:10:00+02:00", 61, "R16 TELECOM_PROFESSIONAL: FR_MOBILE on an unlimited plan, charged"),
    ])
    # fmt: on


def story_fair_use(w: World) -> None:
    """R20 extra row and R22 (C008 exactly 3 at once, C009 four at once)."""
    # fmt: off
    for sip in ("sip-C006-01", "sip-C007-01"):
        add_rows(w, sip, [
            (M10, "out", "01 47 00 00 01", "2026-10-20T20:00:00+02:00", 0, f"R20 {sip}: unanswered call to one more number (does not count)"),
        ])
    add_rows(w, "sip-C008-01", [
        (M10, "out", "0145000001", "2026-10-13T20:00:00+02:00", 600, "R22 C008 A [20:00,20:10)"),
        (M10, "in", "DID", "2026-10-13T18:02:00Z", 480, "R22 C008 B incoming [20:02,20:10)", {"caller": "0145000002"}),
        (M10, "out", "0145000003", "2026-10-13T20:05:00", 300, "R22 C008 C local time without offset [20:05,20:10)"),
        (M10, "out", "0145000004", "2026-10-13T20:06:00+02:00", 0, "R22 C008 unanswered at 20:06 (occupies nothing)"),
        (M10, "out", "0145000005", "2026-10-13T18:10:00Z", 300, "R22 C008 D starts 20:10:00 when A, B, C end: max 3, no breach"),
    ])
    add_rows(w, "sip-C009-01", [
        (M10, "out", "0320000001", "2026-10-14T20:00:00+02:00", 900, "R22 C009 1/4 [20:00,20:15)"),
        (M10, "in", "DID", "2026-10-14T20:03:00+02:00", 600, "R22 C009 2/4 incoming [20:03,20:13)", {"caller": "0320000002"}),
        (M10, "out", "0320000003", "2026-10-14T18:05:00Z", 600, "R22 C009 3/4 [20:05,20:15)"),
        (M10, "out", "0620000004", "2026-10-14T20:07:00+02:00", 300, "R22 C009 4/4 [20:07,20:12): 4 at once, breach"),
        (M10, "out", "112", "2026-10-20T20:00:00+02:00", 60, "R16 FREE beats FAIR_USE: 112 from a fair-use breaker"),
        (M10, "out", "0800 05 05 05", "2026-10-20T20:05:00+02:00", 180, "R16 FREE beats FAIR_USE: 0800 from a fair-use breaker"),
    ])
    # fmt: on


def story_third_party(w: World) -> None:
    """R24 extras (the bulk is C012's background traffic, see pick_device)."""
    own = w.accounts["sip-C012-01"].devices[1].device_id
    other = w.accounts["sip-C013-01"].devices[0].device_id
    # fmt: off
    add_rows(w, "sip-C012-01", [
        (M10, "out", "15", "2026-10-16T20:00:00+02:00", 120, "R16 FREE beats THIRD_PARTY_DEVICE: 15 from the customer's own phone", {"device": own}),
        (M10, "in", "DID", "2026-10-16T20:10:00+02:00", 200, "R16 NOT_CHARGEABLE: incoming on a third-party phone", {"device": own, "caller": "0299000001"}),
        (M10, "fwd", "0611000002", "2026-10-16T20:20:00+02:00", 200, "R24 fwd leg without device_id: not concerned, INCLUDED"),
    ])
    add_rows(w, "sip-C012-02", [
        (M10, "out", "0299000003", "2026-10-21T20:00:00+02:00", 240, f"R24 device {other} was supplied to C013, not C012: THIRD_PARTY_DEVICE", {"device": other}),
        (M10, "out", "0299000004", "2026-10-21T20:10:00+02:00", 125, "R24 unknown device D99901: THIRD_PARTY_DEVICE", {"device": "D99901"}),
    ])
    # fmt: on


def story_out_of_plan(w: World) -> None:
    """R13 price changes and R16 OUT_OF_PLAN (C013: unlimited plan, no international zone)."""
    # fmt: off
    add_rows(w, "sip-C013-01", [
        (M9, "out", "+1 212 555 0147", "2026-09-14T23:50:00+02:00", 300, "R13 INTL_NANP 2026-09-14 (price before 09-15), OUT_OF_PLAN"),
        (M9, "out", "0012125550148", "2026-09-14T22:30:00Z", 240, "R13 INTL_NANP 2026-09-14T22:30Z = 09-15 00:30 Paris (new price)"),
        (M9, "out", "+12125550149", "2026-09-15T20:00:00+02:00", 180, "R13 INTL_NANP 2026-09-15 (new price)"),
        (M9, "out", "08 92 68 01 24", "2026-09-22T20:00:00+02:00", 180, "R13 FR_PREMIUM in 2026-09 (old price), OUT_OF_PLAN"),
        (M9, "out", "+212 661 234567", "2026-09-23T20:00:00+02:00", 400, "R13 INTL_MA_MOBILE in 2026-09 (old price)"),
        (M9, "out", "+44 7911 123456", "2026-09-30T23:59:30+02:00", 25, "R13 INTL_GB_MOBILE 2026-09-30T23:59:30+02:00 (old price)"),
        (M10, "out", "+44 7911 123456", "2026-10-01T00:00:00+02:00", 60, "R13 INTL_GB_MOBILE 2026-10-01T00:00:00+02:00 (new price)"),
        (M10, "out", "00447800654321", "2026-09-30T22:05:00Z", 90, "R13 INTL_GB_MOBILE 2026-09-30T22:05Z = 10-01 00:05 Paris (new price)"),
        (M10, "out", "0899 19 20 21", "2026-10-06T20:00:00+02:00", 120, "R13 FR_PREMIUM in 2026-10 (new price), OUT_OF_PLAN"),
        (M10, "out", "+212 661 234568", "2026-10-07T20:00:00+02:00", 300, "R13 INTL_MA_MOBILE in 2026-10 (new price)"),
        (M10, "out", "+1 (212) 555-0123", "2026-10-08T20:00:00+02:00", 600, "R11 brackets and dashes; INTL_NANP, OUT_OF_PLAN"),
    ])
    # fmt: on


def story_forwarding(w: World) -> None:
    """R21: 2 h of forwarded legs per account and month (C014 goes over, C015 exactly 7200 s)."""
    # fmt: off
    add_rows(w, "sip-C014-01", [
        (M9, "fwd", "06 11 22 33 44", "2026-09-12T10:00:00+02:00", 2000, "R21 C014 2026-09 fwd 2000 s, INCLUDED"),
        (M9, "fwd", "06 11 22 33 44", "2026-09-19T10:00:00+02:00", 2000, "R21 C014 2026-09 fwd 2000 s, INCLUDED (4000 s in all)"),
        (M10, "fwd", "06 11 22 33 44", "2026-10-03T10:00:00+02:00", 3000, "R21 C014 fwd 1: 3000 s, INCLUDED"),
        (M10, "fwd", "+44 7911 765432", "2026-10-05T20:00:00+02:00", 600, "R21 C014 fwd to GB mobile: OUT_OF_PLAN, uses none of the allowance"),
        (M10, "fwd", "06 11 22 33 44", "2026-10-10T10:00:00+02:00", 3000, "R21 C014 fwd 2: 3000 s, INCLUDED (6000 s used)"),
        (M10, "fwd", "07 81 22 33 44", "2026-10-17T10:00:00+02:00", 2000, "R21 C014 fwd 3: 2000 s, 800 s FORWARDING_OVER_FAIR_USE"),
        (M10, "fwd", "06 11 22 33 44", "2026-10-24T10:00:00+02:00", 300, "R21 C014 fwd 4: 300 s charged whole, FORWARDING_OVER_FAIR_USE"),
    ])
    add_rows(w, "sip-C015-01", [
        (M10, "fwd", "06 55 44 33 22", "2026-10-04T09:00:00+02:00", 3600, "R21 C015 fwd 3600 s, INCLUDED"),
        (M10, "fwd", "06 55 44 33 22", "2026-10-11T09:00:00+02:00", 2400, "R21 C015 fwd 2400 s, INCLUDED"),
        (M10, "fwd", "06 55 44 33 22", "2026-10-18T09:00:00+02:00", 1200, "R21 C015 fwd 1200 s: exactly 7200 s, INCLUDED"),
        (M10, "fwd", "06 55 44 33 22", "2026-10-25T09:00:00+01:00", 0, "R21 C015 unanswered fwd after the allowance: NOT_CHARGEABLE"),
    ])
    # fmt: on


def story_included_intl(w: World) -> None:
    """R15: international zones listed on the order form (C016: INTL_BE_FIXED;INTL_CH_FIXED)."""
    # fmt: off
    add_rows(w, "sip-C016-01", [
        (M10, "out", "+32 2 512 34 56", "2026-10-09T20:00:00+02:00", 600, "R15 INTL_BE_FIXED on the order form: INCLUDED (10 digits with +)"),
        (M10, "out", "0041 22 310 45 67", "2026-10-09T20:15:00+02:00", 300, "R15 INTL_CH_FIXED on the order form: INCLUDED"),
        (M10, "out", "+32 475 12 34 56", "2026-10-09T20:30:00+02:00", 120, "R15 INTL_BE_MOBILE not on the order form: OUT_OF_PLAN"),
    ])
    # fmt: on


def story_service_end(w: World) -> None:
    """R15/R31: C021's plan ends 2026-10-15 (notice 2026-09-15); the end date is covered."""
    # fmt: off
    add_rows(w, "sip-C021-01", [
        (M10, "out", "01 43 25 00 01", "2026-10-15T23:30:00+02:00", 300, "R15 C021 on its end date 2026-10-15: INCLUDED"),
        (M10, "out", "01 43 25 00 02", "2026-10-16T09:30:00+02:00", 300, "R15 C021 the day after its end date: NO_PLAN"),
    ])
    # fmt: on


def story_dst(w: World) -> None:
    """R1/R22: the two 02:15 of 2026-10-25 are one hour apart (C039 never has 4 calls)."""
    # fmt: off
    add_rows(w, "sip-C039-01", [
        (M10, "out", "06 40 00 00 01", "2026-10-25T02:15:00+02:00", 1200, "R1 DST 02:15+02:00 = 00:15Z"),
        (M10, "in", "DID", "2026-10-25T02:15:00+02:00", 1200, "R1 DST 02:15+02:00 incoming = 00:15Z", {"caller": "0640000002"}),
        (M10, "out", "06 40 00 00 03", "2026-10-25T02:15:00+01:00", 1200, "R1 DST 02:15+01:00 = 01:15Z, one hour later"),
        (M10, "in", "DID", "2026-10-25T01:15:00Z", 1200, "R1 DST 01:15Z = 02:15+01:00 incoming: 2 calls at once at most", {"caller": "0640000004"}),
    ])
    # fmt: on


def story_rejects(w: World) -> None:
    """R41: every reject reason and their precedence, mostly on C026's accounts."""
    unknown = {"caller": "+33139000000"}
    # fmt: off
    rows = [  # (sip_account, row, extras)
        ("sip-C026-01", (M9, "out", "0139000001", "30/09/2026 10:00:00", 60, "R41 MALFORMED: timestamp '30/09/2026 10:00:00'"), {"site": "paris", "sort_as": paris(2026, 9, 30, 10)}),
        ("sip-C099-01", (M9, "out", "0139000002", "2026-09-18T11:00:00+02:00", 60, "R41 UNKNOWN_ACCOUNT sip-C099-01"), {"site": "lyon", **unknown}),
        ("sip-C026-04", (M9, "out", "06 12 34 56 7A", "2026-09-18T11:05:00+02:00", 60, "R41 INVALID_NUMBER: letter in '06 12 34 56 7A'"), {"site": "lyon"}),
        ("sip-C026-05", (M9, "out", "0139000003", "2026-09-18T11:10:00+02:00", -12, "R41 NEGATIVE_DURATION -12"), {"site": "ssw"}),
        ("sip-C026-06", (M9, "out", "+80612345678", "2026-09-18T11:15:00+02:00", 60, "R41 NO_TARIFF +80612345678"), {"site": "ssw"}),
        ("sip-C026-01", (M10, "out", "0139000011", "2026-10-06T20:00:00+02:00", 60, "R41 MALFORMED: a column missing (7 fields)"), {"site": "paris", "missing_column": True}),
        ("sip-C026-02", (M10, "out", "0139000012", "2026-10-06T20:05:00+02:00", "12.5", "R41 MALFORMED: duration '12.5'"), {"site": "paris"}),
        ("sip-C001-03", (M10, "out", "0139000013", "2026-09-30T21:59:00Z", 60, "R41 OUT_OF_PERIOD: 2026-09-30T21:59:00Z = 09-30 23:59 Paris"), {"site": "paris"}),
        ("sip-C026-03", (M10, "out", "+80612345678", "2026-10-06T20:10:00+02:00", 95, "R41 NO_TARIFF +80612345678"), {"site": "paris"}),
        ("sip-C026-03", (M10, "out", "01A5678910", "2026-10-06T20:15:00+02:00", 60, "R41 INVALID_NUMBER: letter in '01A5678910'"), {"site": "paris"}),
        ("sip-C026-04", (M10, "out", "0139000014", "2026-10-32T09:00:00+02:00", 60, "R41 MALFORMED: timestamp 2026-10-32"), {"site": "lyon", "sort_as": paris(2026, 10, 31, 23, 59)}),
        ("sip-C026-04", (M10, "out", "", "2026-10-07T20:00:00+02:00", 60, "R41 INVALID_NUMBER: empty callee"), {"site": "lyon"}),
        ("sip-C026-04", (M10, "out", "+33 1 45 67 89 10 12345", "2026-10-07T20:05:00+02:00", 60, "R41 INVALID_NUMBER: 16 digits"), {"site": "lyon"}),
        ("sip-C026-05", (M10, "out", "0139000015", "2026-10-08T20:00:00+02:00", -42, "R41 NEGATIVE_DURATION -42"), {"site": "ssw"}),
        ("sip-C099-01", (M10, "out", "0139000016", "2026-10-08T20:05:00+02:00", 60, "R41 UNKNOWN_ACCOUNT sip-C099-01"), {"site": "ssw", **unknown}),
        ("sip-C026-06", (M10, "out", "145678910", "2026-10-08T20:10:00+02:00", 60, "R41 INVALID_NUMBER: 9 digits, no leading 0"), {"site": "ssw"}),
        ("sip-C026-07", (M10, "transfer", "0139000017", "2026-10-09T20:00:00+02:00", 60, "R41 MALFORMED: direction 'transfer'"), {"site": "late"}),
        ("sip-C099-02", (M10, "out", "0139000018", "2026-11-01T10:00:00+01:00", -5, "R41 NEGATIVE_DURATION first (out of period and unknown account too)"), {"site": "late", **unknown}),
        ("sip-C040-01", (M10, "out", "0139000019", "2026-11-01T00:00:00+01:00", 60, "R41 OUT_OF_PERIOD first (11-01 00:00 Paris; unknown account too)"), {"site": "late", **unknown}),
        ("sip-C040-01", (M10, "out", "abc", "2026-10-09T20:05:00+02:00", 60, "R41 UNKNOWN_ACCOUNT first (callee 'abc' invalid too)"), {"site": "late", **unknown}),
        ("sip-C030-02", (M10, "out", "01 53 00 00 01", "2026-10-30T17:10:00+01:00", 140, "late delivery of an ordinary call: rated, INCLUDED"), {"site": "late"}),
        ("sip-C030-03", (M10, "out", "01 53 00 00 02", "2026-10-30T17:20:00+01:00", 141, "late delivery of an ordinary call: rated, INCLUDED"), {"site": "late"}),
    ]
    # fmt: on
    for sip, row, extras in rows:
        device = w.accounts[sip].devices[0].device_id if sip in w.accounts else None
        add_rows(w, sip, [(*row, {"device": device, **extras})])


DUP_SOURCES = ("C022", "C030", "C031", "C034", "C035")  # customers without a usage story


def add_duplicates(files: dict[str, dict[str, list[Row]]]) -> None:
    """R41 DUPLICATE, once the cdr_ids are given: the first occurrence (in name order) wins."""

    def clone(r: Row, site: str, tag: str, **changes) -> Row:
        return Row(**{**r.__dict__, "site": site, "tag": tag, **changes})

    def plain(r: Row) -> bool:
        return not r.tag and r.duration_s != 0 and r.sip_account[4:8] in DUP_SOURCES

    for month in MONTHS:  # the same row twice in a row, in the Lyon file
        lyon = files[month]["lyon"]
        i = next(k for k, r in enumerate(lyon) if plain(r))
        lyon.insert(
            i + 1, clone(lyon[i], "lyon", f"R41 DUPLICATE of {lyon[i].cdr_id} (the row above)")
        )
    late = files[M10]["late"]
    src = next(r for r in files[M10]["paris"] if plain(r))
    late.append(
        clone(src, "late", f"R41 DUPLICATE of {src.cdr_id} (file 01, before in name order)")
    )
    src = [r for r in files[M9]["paris"] if plain(r)][-1]
    tag = f"R41 DUPLICATE of 2026-09 {src.cdr_id} (if 2026-09 was billed first, else OUT_OF_PERIOD)"
    late.append(clone(src, "late", tag))
    src = [r for r in files[M9]["ssw"] if plain(r)][-1]
    t = paris(2026, 10, 29, 17, 45)
    tag = f"R41 DUPLICATE: 2026-09 id {src.cdr_id} reused for an October call (if 2026-09 was billed first, else rated)"
    late.append(clone(src, "late", tag, start_time=fmt_ts(t, "offset"), t=t, duration_s=77))


# --------------------------------------------------------------------------------------------
# Writing.
# --------------------------------------------------------------------------------------------
def cell(v: object) -> object:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in r] for r in rows)
    return buf.getvalue()


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)


def write_parquet(path: Path, columns: list[str], rows: list[list], int_columns=()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        name: pa.array(
            [r[i] for r in rows], type=pa.int64() if name in int_columns else pa.string()
        )
        for i, name in enumerate(columns)
    }
    pq.write_table(pa.table(arrays), path, compression="zstd", row_group_size=1_000_000)


def write_dicts(path: Path, rows: list[dict]) -> int:
    """A reference file of the data contract: its columns in the contract's order (the
    optional ones the sample does not use left out)."""
    file = next(f for f in contract.DATA_FILES if f.name == path.name)
    header = [c for c in file.names if c in rows[0]]
    if set(rows[0]) - set(header):
        raise ValueError(
            f"{path.name}: columns not in the data contract: {set(rows[0]) - set(header)}"
        )
    write_text(path, csv_text(header, [[r[h] for h in header] for r in rows]))
    return len(rows)


def cdr_files(w: World) -> dict[str, dict[str, list[Row]]]:
    files: dict[str, dict[str, list[Row]]] = {}
    for month in MONTHS:
        by_site: dict[str, list[Row]] = {s: [] for s in CDR_FILES}
        for r in w.cdrs[month]:
            by_site[r.site].append(r)
        for site, rows in by_site.items():
            rows.sort(key=lambda r: (r.t, r.sip_account, r.direction, r.callee or "", r.start_time))
            for k, r in enumerate(rows, 1):
                r.cdr_id = f"{ID_PREFIX[site]}{month.replace('-', '')}-{k:06d}"
        files[month] = by_site
    add_duplicates(files)
    return files


def write_cdrs(out: Path, files: dict[str, dict[str, list[Row]]]) -> dict[str, int]:
    counts = {}
    for month, by_site in files.items():
        for site, rows in by_site.items():
            if not rows:
                continue
            path = out / "cdrs" / month / CDR_FILES[site].format(m=month)
            if path.suffix == ".parquet":  # typed: duration_s int64, every other column string
                assert all(isinstance(r.duration_s, int) and not r.missing_column for r in rows)
                write_parquet(
                    path, CDR_COLUMNS, [r.values() for r in rows], int_columns=("duration_s",)
                )
            else:  # a MALFORMED "missing column" row is written without its last field
                values = [r.values()[:-1] if r.missing_column else r.values() for r in rows]
                write_text(path, csv_text(CDR_COLUMNS, values))
            counts[path.relative_to(out).as_posix()] = len(rows)
    return counts


def write_registrations(out: Path, w: World) -> dict[str, int]:
    counts = {}
    for month in MONTHS:
        by_site: dict[str, list[list]] = {s: [] for s in REG_FILES}
        for t, sip, dev, expiry, style in w.regs[month]:
            row = [sip, dev, fmt_ts(t, style), fmt_ts(t + timedelta(seconds=expiry), style)]
            by_site[w.customers[sip[4:8]].site].append(row)
        for site, rows in by_site.items():
            path = out / "registrations" / month / REG_FILES[site].format(m=month)
            if path.suffix == ".parquet":
                write_parquet(path, REG_COLUMNS, rows)
            else:
                write_text(path, csv_text(REG_COLUMNS, rows))
            counts[path.relative_to(out).as_posix()] = len(rows)
    return counts


def provider_toml(w: World) -> str:
    rng = w.rng("provider")
    siren = make_siren(rng)
    iban = make_iban_fr("99999", "00001", "0" + digits(rng, 10))  # no such bank
    return f"""# The seller on every invoice. A fictitious company: every identifier passes its checksum.
name = "WITEQ Téléphonie SAS"
siren = "{siren}"
vat_number = "{fr_vat(siren)}"
address = "18 rue des Entrepreneurs, 75015 Paris, France"
rcs = "RCS Paris {siren[:3]} {siren[3:6]} {siren[6:]}"
share_capital_eur = 50000
iban = "{iban}"
bic = "WITQFRPPXXX"
email = "facturation@witeq.example"
phone = "+33 1 84 80 00 00"
payment_terms_days = 30
late_penalty_rate = "3 fois le taux d'intérêt légal"
late_penalty_text = "Pénalités de retard au taux de 3 fois le taux d'intérêt légal, exigibles dès le lendemain de l'échéance."
recovery_indemnity_eur = 40
recovery_indemnity_text = "Indemnité forfaitaire pour frais de recouvrement : 40 € (art. L441-10 et D441-5 du Code de commerce)."
early_payment_discount = "Pas d'escompte pour paiement anticipé."
# SEPA direct debit (R80-R82): the creditor identifier (ICS), the bank's fee for a returned debit
creditor_id = "{ics(siren)}"
return_fee_eur = "7.50"
# the provider's accredited e-invoicing platform (its matricule, fictitious), for e-reporting (R97)
platform_matricule = "0111"
platform_name = "Plateforme Agréée Exemple"
"""


def ics(siren: str) -> str:
    """A French SEPA creditor identifier: FR, ISO 7064 check digits, business code ZZZ, and a
    national identifier of 6 characters (here the SIREN's last six digits: fictitious)."""
    body = f"FR00ZZZ{siren[3:]}"
    return f"FR{at_02.calc_check_digits(body)}ZZZ{siren[3:]}"


# The correction story (R65-R68, data_samples/README.md): a mediation job replayed after
# October was issued finds two calls of C004's sip-C004-02 that the switches never exported.
LATE_FILE = "late/cdrs/2026-10/cdr_2026-10_05_mediation-replay.csv"
LATE_ROWS = [
    ["RPL202610-000001", "sip-C004-02", "out", "+33478000402", "+44 7700 900123",
     "2026-10-20T15:04:00+02:00", 300, "D00025"],
    ["RPL202610-000002", "sip-C004-02", "out", "+33478000402", "06 12 34 56 78",
     "2026-10-21T09:30:00+02:00", 120, "D00025"],
]  # fmt: skip


def write_late(out: Path) -> dict[str, int]:
    """The late file of the correction story, outside cdrs/ (not billed until copied there)."""
    write_text(out / LATE_FILE, csv_text(CDR_COLUMNS, LATE_ROWS))
    return {LATE_FILE: len(LATE_ROWS)}


ELECTRONIC_ADDRESSES = {"C019": "EM:rechnung@mueller-logistik.example"}

# The receivables story (R80-R86, issue 27; data_samples/README.md "After issue"): two
# customers pay by SEPA direct debit under a mandate; C011 gave its IBAN (its transfers are
# recognised by it, R84 rule 3). Bank codes 20041/30004 and the accounts are fictitious.
MANDATES = {
    "C006": ("RUM-C006-2024-001", "2024-03-15", "CORE", ("30004", "00819", "00012345678")),
    "C008": ("RUM-C008-2025-001", "2025-06-02", "B2B", ("20041", "01005", "05001234K67")),
}
CUSTOMER_IBANS = {"C011": ("30004", "02837", "00098765432")}


def _iban(parts: tuple[str, str, str]) -> str:
    bank, branch, account = parts
    digits_ = account.translate(
        str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
    )
    return make_iban_fr(bank, branch, digits_)


def customer_iban(cid: str) -> str:
    if cid in MANDATES:
        return _iban(MANDATES[cid][3])
    return _iban(CUSTOMER_IBANS[cid]) if cid in CUSTOMER_IBANS else ""


def mandate_rows() -> list[dict]:
    return [
        dict(
            mandate_id=rum,
            customer_id=cid,
            iban=customer_iban(cid),
            signed_on=signed,
            scheme=scheme,
            bic="",
            revoked_on="",
        )
        for cid, (rum, signed, scheme, _) in MANDATES.items()
    ]


def write_all(w: World, out: Path) -> dict[str, int]:
    for sub in ("cdrs", "registrations", "late"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    out.mkdir(parents=True, exist_ok=True)
    customers = [
        dict(
            customer_id=c.cid,
            name=c.name,
            country=c.country,
            telecom_professional=c.pro,
            sla_eligible=c.sla,
            siren=c.siren,
            vat_number=c.vat,
            address=c.address,
            # where its e-invoices go (BT-49): the customers with a SIREN or a VAT number get
            # an address from it; C019 (Germany, neither) gives its accounts' mailbox
            electronic_address=ELECTRONIC_ADDRESSES.get(c.cid, ""),
            payment_method="sepa_debit" if c.cid in MANDATES else "transfer",
            iban=customer_iban(c.cid),
        )
        for c in w.customers.values()
    ]
    accounts = [dict(sip_account=a.sip, customer_id=a.customer.cid) for a in w.accounts.values()]
    devices = [
        dict(
            device_id=d.device_id,
            customer_id=d.customer_id,
            supplied_by_provider=d.supplied,
            sip_account=d.sip_account,
            kind=d.kind,
        )
        for d in w.devices
    ]
    counts = {
        "customers.csv": write_dicts(out / "customers.csv", customers),
        "sip_accounts.csv": write_dicts(out / "sip_accounts.csv", accounts),
        "subscriptions.csv": write_dicts(out / "subscriptions.csv", w.subscriptions),
        "rentals.csv": write_dicts(out / "rentals.csv", w.rentals),
        "rma.csv": write_dicts(out / "rma.csv", w.rma),
        "equipment_sales.csv": write_dicts(out / "equipment_sales.csv", w.sales),
        "devices.csv": write_dicts(out / "devices.csv", devices),
        "incidents.csv": write_dicts(out / "incidents.csv", w.incidents),
        "sla_claims.csv": write_dicts(out / "sla_claims.csv", w.claims),
        "mandates.csv": write_dicts(out / "mandates.csv", mandate_rows()),
    }
    write_text(out / "provider.toml", provider_toml(w))
    w.files = cdr_files(w)
    counts.update(write_cdrs(out, w.files))
    counts.update(write_registrations(out, w))
    counts.update(write_late(out))
    counts.update(write_watch_month(out, w))
    return counts


# --------------------------------------------------------------------------------------------
# The fraud watch's story (R26, issue 31): a partial November, cdrs/2026-11/, never billed by
# the sample months (their outputs do not change). Four working days of ordinary traffic, and
# the night of 2026-11-04 when sip-C033-01 (Comptoir des Épices) is hijacked: from 01:00 to
# 04:30, five calls at a time to +882 16 numbers (ITU 882, an IRSF favourite), then a sweep
# of 30 numbers of one +882 range in 45 minutes. `billing watch --date 2026-11-04` flags that
# account alone as critical; 2026-11-03, an ordinary day, flags nothing critical.
# --------------------------------------------------------------------------------------------
WATCH_MONTH = "2026-11"
WATCH_DAYS = (2, 3, 4, 5)  # Monday 2 to Thursday 5 November 2026 (1 November: a Sunday)
HIJACKED = "sip-C033-01"
WATCH_FILE = "cdrs_watch_2026-11.csv"


def watch_rows(w: World) -> list[list]:
    rows: list[tuple[datetime, list]] = []
    for a in w.accounts.values():
        rng = w.rng("watch", a.sip)
        device = a.devices[0].device_id if a.devices else ""
        for day in WATCH_DAYS:
            for _ in range(poisson(rng, a.calls)):
                t = paris(2026, 11, day, 8) + timedelta(seconds=rng.randrange(11 * 3600))
                direction = "in" if rng.random() < 0.3 else "out"
                number = "+" + (rng.choice(a.book) if a.book else fr_mobile(rng))
                dur = 0 if rng.random() < 0.03 else duration(rng, 150, 0.9, 3600)
                caller, callee = (
                    (number, "+" + a.did) if direction == "in" else ("+" + a.did, number)
                )
                rows.append((t, [a.sip, direction, caller, callee, t, dur, device]))
    a = w.accounts[HIJACKED]
    rng = w.rng("watch", "hijack")
    device = a.devices[0].device_id
    for stream in range(5):  # five calls at once, 01:00 to about 04:30
        t = paris(2026, 11, 4, 1) + timedelta(seconds=stream * 20)
        for _ in range(8):
            dur = rng.randrange(600, 1500)
            number = f"+88216{rng.randrange(10**8):08d}"
            rows.append((t, [a.sip, "out", "+" + a.did, number, t, dur, device]))
            t += timedelta(seconds=dur + rng.randrange(5, 60))
    t = paris(2026, 11, 4, 4, 45)
    for k in range(30):  # the sweep: +882 16 5012 34 00..29, one every 90 s, few answered
        dur = rng.randrange(20, 90) if k % 4 == 0 else 0
        rows.append((t, [a.sip, "out", "+" + a.did, f"+8821650123{k:02d}", t, dur, device]))
        t += timedelta(seconds=90)
    rows.sort(key=lambda r: (r[0], r[1][0], r[1][1], r[1][3]))
    return [
        [f"W202611-{n:06d}", sip, direction, caller, callee, fmt_ts(t, "offset"), dur, device]
        for n, (_, (sip, direction, caller, callee, t, dur, device)) in enumerate(rows, 1)
    ]


def write_watch_month(out: Path, w: World) -> dict[str, int]:
    rows = watch_rows(w)
    path = out / "cdrs" / WATCH_MONTH / WATCH_FILE
    write_text(path, csv_text(CDR_COLUMNS, rows))
    return {path.relative_to(out).as_posix(): len(rows)}


def check_no_tariff_number() -> None:
    """The NO_TARIFF sample number must match no prefix of the rate book (R12)."""
    path = REPO / "rates" / "destinations.csv"
    if path.exists():
        with path.open(encoding="utf-8") as f:
            hits = [r["prefix"] for r in csv.DictReader(f) if "80612345678".startswith(r["prefix"])]
        if hits:
            raise SystemExit(
                f"+80612345678 matches {hits} in {path}: choose another NO_TARIFF number"
            )


def build(seed: int) -> World:
    w = World(seed)
    build_customers(w)
    build_accounts(w)
    build_devices(w)
    build_subscriptions(w)
    build_rentals(w)
    build_sales(w)
    build_incidents(w)
    build_registrations(w)
    background_cdrs(w)
    story_formats_and_free(w)
    story_metered(w)
    story_telecom_professional(w)
    story_fair_use(w)
    story_third_party(w)
    story_out_of_plan(w)
    story_forwarding(w)
    story_included_intl(w)
    story_service_end(w)
    story_dst(w)
    story_rejects(w)
    return w


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default=str(REPO / "data_samples"), help="output folder")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--story", action="store_true", help="print the story rows and their cdr_id")
    args = ap.parse_args(argv)
    check_no_tariff_number()
    w = build(args.seed)
    out = Path(args.out)
    counts = write_all(w, out)
    # the bank statements of the receivables story: played on the data just written
    from sample_statements import write_statements

    counts.update(write_statements(out, REPO / "rates"))
    if args.story:
        for month, by_site in w.files.items():
            for site, rows in by_site.items():
                for n, r in enumerate(rows, 1):
                    if r.tag:
                        name = CDR_FILES[site].format(m=month)
                        print(f"{name} row {n} {r.cdr_id} {r.sip_account}: {r.tag}")
    width = max(len(k) for k in counts)
    print(f"sample data written to {out} (seed {args.seed})")
    for name, n in counts.items():
        print(f"  {name:<{width}}  {n:>6} rows")
    for m in MONTHS:
        n = sum(v for k, v in counts.items() if k.startswith(f"cdrs/{m}/"))
        print(f"  CDR rows in {m}: {n}")
    print("  provider.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
