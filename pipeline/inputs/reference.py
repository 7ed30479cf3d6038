"""Reference data of the data folder and the rate book: parse, check (R42), load into DuckDB.

These files are small (thousands of rows), so they are parsed row by row in Python, where a
problem can be named precisely: file, line (the file's own line number, the header being line
1) and field.
Any problem stops the run with exit 2 before anything is written (R42).
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren

from pipeline.core import data_contract as contract
from pipeline.core.dates import PARIS, parse_date
from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.core.money import to_decimal
from pipeline.inputs.receivables import (
    CUSTOMER_CHECKS,
    MANDATE_CHECKS,
    check_receivables,
    receivables_settings,
)

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
DECIMAL = pa.decimal128(18, 4)
_ISO2 = re.compile(r"^[A-Z]{2}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DIGITS_PREFIX = re.compile(r"^(S?\d{1,15})$")


def _bool(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(
        say(f"true ou false attendu, lu {text!r}", f"expected true or false, got {text!r}")
    )


def _int(text: str) -> int:
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(
            say(f"nombre entier attendu, lu {text!r}", f"expected a whole number, got {text!r}")
        )
    return int(text)


def _amount(text: str) -> Decimal:
    value = to_decimal(text)
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError(say(f"plus de 4 décimales : {text!r}", f"more than 4 decimals: {text!r}"))
    return value


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 with an offset or Z; without offset it is Europe/Paris local time. Read as the
    CDR models read a start time (sql/staging/stg_cdr_fields.sql): hours 00-23, minutes and
    seconds 00-59, an offset of at most 14 h; a local time in the hour that happens twice (DST
    end) is its second occurrence, one in the hour that does not exist (DST start) is read with
    the offset before the change (02:30 -> 01:30Z)."""
    if not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?"
        r"(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)?",
        text,
    ):
        raise ValueError(
            say(
                f"date et heure ISO 8601 attendues, lu {text!r}",
                f"not an ISO 8601 timestamp: {text!r}",
            )
        )
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        first, second = value.replace(tzinfo=PARIS), value.replace(tzinfo=PARIS, fold=1)
        # repeated hour: the first occurrence has the larger offset (+02 before +01)
        value = second if first.utcoffset() > second.utcoffset() else first
    return value


def _zones(text: str) -> list[str]:
    return [z.strip() for z in text.split(";") if z.strip()]


def _month(text: str) -> str:
    if not _MONTH.match(text):
        raise ValueError(
            say(f"mois AAAA-MM attendu, lu {text!r}", f"expected a month YYYY-MM, got {text!r}")
        )
    return text


def _country(text: str) -> str:
    if not _ISO2.match(text):
        raise ValueError(
            say(
                f"code pays ISO 3166 alpha-2 attendu, lu {text!r}",
                f"expected an ISO 3166 alpha-2 country code, got {text!r}",
            )
        )
    return text


def _prefix(text: str) -> str:
    if not _DIGITS_PREFIX.match(text):
        raise ValueError(
            say(
                f"un préfixe s'écrit en chiffres E.164 ou S + chiffres, lu {text!r}",
                f"a prefix is E.164 digits or S + digits, got {text!r}",
            )
        )
    return text


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            choices = ", ".join(allowed)
            raise ValueError(
                say(
                    f"une valeur parmi {choices} attendue, lu {text!r}",
                    f"expected one of {choices}, got {text!r}",
                )
            )
        return text

    return parse


# (parser, arrow type)
STR = (str, pa.string())
BOOL = (_bool, pa.bool_())
DATE = (parse_date, pa.date32())
AMOUNT = (_amount, DECIMAL)
INT = (_int, pa.int64())
TS = (parse_timestamp, pa.timestamp("us", tz="UTC"))
ZONES = (_zones, pa.list_(pa.string()))
MONTH = (_month, pa.string())
COUNTRY = (_country, pa.string())
PREFIX = (_prefix, pa.string())


# the parser and Arrow type of each column type of the data contract (pipeline.core.data_contract)
TYPES = {
    "text": STR,
    "bool": BOOL,
    "date": DATE,
    "amount": AMOUNT,
    "int": INT,
    "timestamp": TS,
    "zones": ZONES,
    "month": MONTH,
    "country": COUNTRY,
    "prefix": PREFIX,
}


@dataclass(frozen=True)
class Col:
    name: str
    kind: tuple[Callable[[str], Any], pa.DataType] = STR
    required: bool = True

    @classmethod
    def of(cls, column: contract.Column) -> Col:
        if column.type == "choice":
            return cls(column.name, (_choice(*column.choices), pa.string()), column.required)
        return cls(column.name, TYPES[column.type], column.required)


@dataclass(frozen=True)
class FileSpec:
    """A reference file of the data contract with the R42 checks of each of its rows."""

    contract: contract.FileContract
    checks: tuple[Callable[[dict[str, Any]], str | None], ...] = field(default=())

    @property
    def name(self) -> str:
        return self.contract.name

    @property
    def table(self) -> str:
        return self.contract.table

    @property
    def key(self) -> tuple[str, ...]:
        return self.contract.key

    @property
    def optional_file(self) -> bool:
        return self.contract.optional

    @property
    def columns(self) -> tuple[Col, ...]:
        return tuple(Col.of(c) for c in self.contract.columns)


def _bounded(names: tuple[str, ...], allowed: Callable[[Any], bool], what: tuple[str, str]):
    """`what`: (French, English), "ne doit pas être négatif" / "not be negative"."""

    def check(row: dict[str, Any]) -> str | None:
        for n in names:
            if row.get(n) is not None and not allowed(row[n]):
                return say(f"{n} {what[0]}, lu {row[n]}", f"{n} must {what[1]}, got {row[n]}")
        return None

    return check


def _non_negative(*names: str) -> Callable[[dict[str, Any]], str | None]:
    return _bounded(names, lambda v: v >= 0, ("ne doit pas être négatif", "not be negative"))


def _positive(*names: str) -> Callable[[dict[str, Any]], str | None]:
    return _bounded(names, lambda v: v > 0, ("doit être positif", "be positive"))


def _ends_after_start(start: str, end: str) -> Callable[[dict[str, Any]], str | None]:
    def check(row: dict[str, Any]) -> str | None:
        if row.get(start) is not None and row.get(end) is not None and row[end] < row[start]:
            return say(
                f"{end} ({row[end]}) est antérieur à {start} ({row[start]})",
                f"{end} ({row[end]}) is before {start} ({row[start]})",
            )
        return None

    return check


def _check_siren(row: dict[str, Any]) -> str | None:
    siren = row.get("siren")
    if siren and not fr_siren.is_valid(siren):
        return say(
            f"siren {siren!r} n'est pas un SIREN valide (9 chiffres, clé de Luhn)",
            f"siren {siren!r} is not a valid SIREN (9 digits, Luhn checksum)",
        )
    return None


def _check_vat(row: dict[str, Any]) -> str | None:
    vat = row.get("vat_number")
    country = row.get("country")
    if not vat:
        return None
    if country in EU_COUNTRIES:
        if not eu_vat.is_valid(vat):
            return say(
                f"vat_number {vat!r} n'est pas un numéro de TVA intracommunautaire valide",
                f"vat_number {vat!r} is not a valid EU VAT number",
            )
        cc = eu_vat.compact(vat)[:2]
        if cc.replace("EL", "GR") != country:
            return say(
                f"vat_number {vat!r} n'est pas du pays du client {country}",
                f"vat_number {vat!r} is not from the customer's country {country}",
            )
    return None


def _check_siren_matches_vat(row: dict[str, Any]) -> str | None:
    """A French VAT number is FR + 2-digit key + the SIREN: both must name the same company."""
    siren, vat = row.get("siren"), row.get("vat_number")
    if siren and vat and row.get("country", "FR") == "FR":
        if eu_vat.compact(vat)[-9:] != fr_siren.compact(siren):
            return say(
                f"vat_number {vat!r} n'appartient pas au siren {siren!r}",
                f"vat_number {vat!r} does not belong to siren {siren!r}",
            )
    return None


def _check_return(row: dict[str, Any]) -> str | None:
    """R33/R34: equipment comes back after the rental ends, in a known condition."""
    if row.get("returned_on") is not None:
        if row.get("notice_date") is None:
            return say(
                "returned_on est renseigné mais notice_date est vide : une location prend fin "
                "à sa date de résiliation (R33)",
                "returned_on is set but notice_date is empty: a rental ends on its notice date "
                "(R33)",
            )
        if row.get("return_condition") is None:
            return say(
                "returned_on est renseigné mais return_condition est vide (good ou damaged, R34)",
                "returned_on is set but return_condition is empty (good or damaged, R34)",
            )
    elif row.get("return_condition") is not None:
        return say(
            "return_condition est renseigné mais returned_on est vide (R34)",
            "return_condition is set but returned_on is empty (R34)",
        )
    return None


def _check_vat_identity(row: dict[str, Any]) -> str | None:
    """R42: a customer's VAT number that fails its checksum, belongs to another country or to
    another SIREN stops the run (issue 4: "reject bad ones as R42 says"). An invoice issued with
    the wrong VAT treatment could only be corrected by a credit note (docs/contracts.md)."""
    return _check_vat(row) or _check_siren_matches_vat(row)


# R42 checks of each row, by file; the columns, types and keys are the data contract's
CHECKS: dict[str, tuple[Callable[[dict[str, Any]], str | None], ...]] = {
    "customers.csv": (_check_siren, _check_vat_identity, *CUSTOMER_CHECKS),
    "mandates.csv": MANDATE_CHECKS,  # R80
    "subscriptions.csv": (
        _non_negative("monthly_price_eur", "commitment_months"),
        _ends_after_start("order_date", "notice_date"),
    ),
    "rentals.csv": (
        _non_negative("monthly_fee_eur", "commitment_months"),
        _ends_after_start("start_date", "notice_date"),
        _ends_after_start("start_date", "returned_on"),
        _check_return,
    ),
    "rma.csv": (_ends_after_start("shipped_on", "defective_returned_on"),),
    "equipment_sales.csv": (_positive("quantity"), _non_negative("unit_price_eur")),
    "incidents.csv": (_ends_after_start("start_time", "end_time"),),
    "tariffs.csv": (
        _non_negative("price_per_min_eur", "connection_fee_eur", "min_billable_s"),
        _positive("increment_s"),
    ),
    "products.csv": (_non_negative("list_price_eur"),),
    "equipment.csv": (
        _non_negative("sale_price_eur"),
        _ends_after_start("valid_from", "valid_to"),
    ),
}
DATA_FILES = tuple(FileSpec(c, CHECKS.get(c.name, ())) for c in contract.DATA_FILES)
RATE_FILES = tuple(FileSpec(c, CHECKS.get(c.name, ())) for c in contract.RATE_FILES)


@dataclass
class Table:
    spec: FileSpec
    path: Path
    rows: list[dict[str, Any]]
    row_numbers: list[int]  # the file line each row starts on (source_row of the ref tables)

    def where(self, row_index: int) -> tuple[str, int]:
        return str(self.path), self.row_numbers[row_index]


def _french_excel(raw: bytes) -> bool:
    """A file saved by Excel in France: `;` between the fields of its header line, no comma
    (decided once, from the header line; never per row)."""
    first = raw.split(b"\n", 1)[0]
    return b";" in first and b"," not in first


_FR_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_FR_BOOL = {"vrai": "true", "faux": "false"}


def _from_french(text: str, kind: tuple[Callable[[str], Any], pa.DataType]) -> str:
    """A field of a French Excel file as the data contract writes it: a decimal comma, a
    DD/MM/YYYY date, VRAI/FAUX (Excel's French booleans), spaces between thousands."""
    if kind in (AMOUNT, INT):
        return text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    if kind is DATE:
        match = _FR_DATE.match(text)
        return f"{match.group(3)}-{match.group(2)}-{match.group(1)}" if match else text
    if kind is BOOL:
        return _FR_BOOL.get(text.lower(), text)
    return text


def read_table(folder: Path, spec: FileSpec) -> Table:
    path = folder / spec.name
    if not path.exists():
        if spec.optional_file:
            return Table(spec, path, [], [])
        raise InputError(
            say("fichier obligatoire absent", "required file is missing"), file=str(path)
        )
    raw = path.read_bytes()
    french = _french_excel(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not french:
            raise InputError(
                say(
                    f"texte non UTF-8 ({exc.reason} à l'octet {exc.start}) : enregistrez-le en "
                    "CSV UTF-8",
                    f"not UTF-8 text ({exc.reason} at byte {exc.start}): save it as CSV UTF-8",
                ),
                file=str(path),
            ) from exc
        text = raw.decode("cp1252", errors="replace")  # "CSV (séparateur: point-virgule)"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if french else ",")
    header = next(reader, None)
    if header is None:
        raise InputError(
            say("fichier vide, ligne d'en-tête attendue", "empty file, expected a header row"),
            file=str(path),
        )
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c.name for c in spec.columns if c.required and c.name not in header]
    if missing:
        names = ", ".join(missing)
        raise InputError(
            say(f"colonne(s) absente(s) : {names}", f"missing column(s): {names}"), file=str(path)
        )
    index = {name: i for i, name in enumerate(header)}
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    seen: dict[tuple[Any, ...], int] = {}
    following = reader.line_num + 1  # the line the next record starts on (the header is 1)
    for record in reader:
        # messages name the file's own line (issue 17: "row 41" was the 42nd line of the file,
        # the one a spreadsheet shows as row 42); a quoted field may span lines
        number, following = following, reader.line_num + 1
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != len(header):
            raise InputError(
                say(
                    f"{len(record)} champs, l'en-tête en a {len(header)}",
                    f"{len(record)} fields, the header has {len(header)}",
                ),
                file=str(path),
                line=number,
            )
        row: dict[str, Any] = {}
        for col in spec.columns:
            raw = record[index[col.name]].strip() if col.name in index else ""
            if raw == "":
                if col.required:
                    raise InputError(
                        say(f"{col.name} est vide", f"{col.name} is empty"),
                        file=str(path),
                        line=number,
                    )
                row[col.name] = None
                continue
            try:
                row[col.name] = col.kind[0](_from_french(raw, col.kind) if french else raw)
            except ValueError as exc:
                raise InputError(
                    f"{col.name}{say(' : ', ': ')}{exc}", file=str(path), line=number
                ) from exc
        for check in spec.checks:
            problem = check(row)
            if problem:
                raise InputError(problem, file=str(path), line=number)
        if spec.key:
            key = tuple(row[k] for k in spec.key)
            if key in seen:
                names, values = "/".join(spec.key), "/".join(map(str, key))
                raise InputError(
                    say(
                        f"{names} {values} en double (déjà à la ligne {seen[key]})",
                        f"duplicate {names} {values} (first at line {seen[key]})",
                    ),
                    file=str(path),
                    line=number,
                )
            seen[key] = number
        rows.append(row)
        numbers.append(number)
    return Table(spec, path, rows, numbers)


def to_arrow(table: Table) -> pa.Table:
    columns = {}
    for col in table.spec.columns:
        columns[col.name] = pa.array([r[col.name] for r in table.rows], type=col.kind[1])
    columns["source_row"] = pa.array(table.row_numbers, type=pa.int64())
    return pa.table(columns)


@dataclass
class Reference:
    tables: dict[str, Table]
    provider: dict[str, Any]

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]


def _fail(table: Table, index: int, message: str) -> None:
    file, line = table.where(index)
    raise InputError(message, file=file, line=line)


def _not_an_account(account: str, customer: str) -> str:
    return say(
        f"sip_account {account!r} n'est pas un compte du client {customer}",
        f"sip_account {account!r} is not an account of customer {customer}",
    )


def _check_references(ref: Reference) -> None:
    """R42: references between files and overlapping versions."""
    customers = {r["customer_id"] for r in ref["ref_customers"].rows}
    accounts = {r["sip_account"]: r["customer_id"] for r in ref["ref_sip_accounts"].rows}
    products = {r["product_code"] for r in ref["ref_products"].rows}
    zones = {r["zone"] for r in ref["ref_tariffs"].rows}
    models = {r["equipment_model"] for r in ref["ref_equipment"].rows}
    rentals = {r["rental_id"] for r in ref["ref_rentals"].rows}

    def must(
        table: str,
        column: str,
        allowed: Iterable[str],
        what: tuple[str, str],
        optional: bool = False,
    ):
        """`what`: (French, English), ("client connu", "known customer")."""
        allowed = set(allowed)
        t = ref[table]
        for i, r in enumerate(t.rows):
            v = r[column]
            if v is None and optional:
                continue
            if v not in allowed:
                _fail(
                    t,
                    i,
                    say(
                        f"{column} {v!r} n'est pas un {what[0]}",
                        f"{column} {v!r} is not a known {what[1]}",
                    ),
                )

    customer = ("client connu (customers.csv)", "customer (customers.csv)")
    must("ref_sip_accounts", "customer_id", customers, customer)
    must("ref_subscriptions", "customer_id", customers, customer)
    must(
        "ref_subscriptions",
        "product_code",
        products,
        ("produit connu (products.csv)", "product (products.csv)"),
    )
    must("ref_rentals", "customer_id", customers, customer)
    must(
        "ref_rentals",
        "equipment_model",
        models,
        ("modèle d'équipement connu (equipment.csv)", "equipment model (equipment.csv)"),
    )
    must("ref_rma", "rental_id", rentals, ("location connue (rentals.csv)", "rental (rentals.csv)"))
    must("ref_equipment_sales", "customer_id", customers, customer)
    must("ref_devices", "customer_id", customers, customer)
    must("ref_incidents", "customer_id", customers, customer, optional=True)
    must("ref_sla_claims", "customer_id", customers, customer)
    must(
        "ref_destinations",
        "zone",
        zones,
        ("zone tarifée connue (tariffs.csv)", "zone with a tariff (tariffs.csv)"),
    )

    subs = ref["ref_subscriptions"]
    for i, r in enumerate(subs.rows):
        acc = r["sip_account"]
        if acc is not None and accounts.get(acc) != r["customer_id"]:
            _fail(subs, i, _not_an_account(acc, r["customer_id"]))
        for z in r["included_intl_zones"] or []:
            if z not in zones:
                _fail(
                    subs,
                    i,
                    say(
                        f"included_intl_zones : {z!r} n'est pas une zone de tariffs.csv",
                        f"included_intl_zones: {z!r} is not a zone of tariffs.csv",
                    ),
                )
    devices = ref["ref_devices"]
    for i, r in enumerate(devices.rows):
        acc = r["sip_account"]
        if acc is not None and accounts.get(acc) != r["customer_id"]:
            _fail(devices, i, _not_an_account(acc, r["customer_id"]))

    # equipment catalogue versions must not overlap (R34 needs one price per day)
    eq = ref["ref_equipment"]
    by_model: dict[str, list[int]] = {}
    for i, r in enumerate(eq.rows):
        by_model.setdefault(r["equipment_model"], []).append(i)
    for idx in by_model.values():
        idx.sort(key=lambda i: eq.rows[i]["valid_from"])
        for a, b in zip(idx, idx[1:], strict=False):
            end = eq.rows[a]["valid_to"]
            if end is None or end >= eq.rows[b]["valid_from"]:
                _fail(
                    eq,
                    b,
                    say(
                        f"version qui chevauche celle de la ligne {eq.row_numbers[a]}",
                        f"version overlaps the one at line {eq.row_numbers[a]}",
                    ),
                )


PROVIDER_KEYS = contract.PROVIDER_KEYS
# Optional settings of provider.toml: name -> (default, lowest, highest, what it is).
PROVIDER_SETTINGS = {
    # R41 DURATION_TOO_LONG: a call longer than this is a switch glitch, never billed
    "max_call_duration_s": (
        86_400,
        1,
        31 * 86_400,
        ("l'appel le plus long facturé, en secondes", "the longest call billed, in seconds"),
    ),
    # a month whose rejected rows (duplicates apart) exceed this share of its CDR rows is not
    # issued (exit 1) unless `--accept-rejects` is given (docs/robustness.md)
    "max_rejected_pct": (
        50,
        0,
        100,
        (
            "la part maximale de lignes de CDR rejetées, en pourcentage",
            "the highest share of rejected CDR rows, in percent",
        ),
    ),
}


def read_provider(folder: Path) -> dict[str, Any]:
    path = folder / "provider.toml"
    if not path.exists():
        raise InputError(
            say("fichier obligatoire absent", "required file is missing"), file=str(path)
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            say(f"TOML invalide : {exc}", f"not valid TOML: {exc}"), file=str(path)
        ) from exc
    missing = [k for k in PROVIDER_KEYS if not data.get(k)]
    if missing:
        keys = ", ".join(missing)
        raise InputError(
            say(f"clé(s) absente(s) : {keys}", f"missing key(s): {keys}"), file=str(path)
        )
    if not fr_siren.is_valid(str(data["siren"])):
        raise InputError(
            say(
                f"siren {data['siren']!r} n'est pas un SIREN valide",
                f"siren {data['siren']!r} is not a valid SIREN",
            ),
            file=str(path),
        )
    if not eu_vat.is_valid(str(data["vat_number"])):
        raise InputError(
            say(
                f"vat_number {data['vat_number']!r} n'est pas un numéro de TVA valide",
                f"vat_number {data['vat_number']!r} is not a valid VAT number",
            ),
            file=str(path),
        )
    problem = _check_siren_matches_vat(
        {"siren": str(data["siren"]), "vat_number": str(data["vat_number"])}
    )
    if problem:
        raise InputError(problem, file=str(path))
    # R90: never beyond 45 days from the document date (art. L441-10 C. com.)
    terms = data.get("payment_terms_days")
    if (
        isinstance(terms, int)
        and not isinstance(terms, bool)
        and terms > contract.MAX_PAYMENT_TERMS_DAYS
    ):
        raise InputError(
            say(
                f"payment_terms_days {terms!r} : le délai de paiement de ces factures périodiques "
                f"ne peut dépasser {contract.MAX_PAYMENT_TERMS_DAYS} jours à compter de leur date "
                "(art. L441-10 du Code de commerce, R90)",
                f"payment_terms_days {terms!r}: payment terms of these periodic invoices never "
                f"exceed {contract.MAX_PAYMENT_TERMS_DAYS} days from their date (art. L441-10 du "
                "Code de commerce, R90)",
            ),
            file=str(path),
        )
    # R5 fixes the payment term, and the recovery indemnity is fixed by law (art. D441-5 C. com.)
    if "payment_terms_days" in data and str(data["payment_terms_days"]) != "30":
        days = data["payment_terms_days"]
        raise InputError(
            say(
                f"payment_terms_days {days!r} : les factures sont payables à 30 jours de leur "
                "date (R5)",
                f"payment_terms_days {days!r}: invoices are due 30 days after their date (R5)",
            ),
            file=str(path),
        )
    if "recovery_indemnity_eur" in data and str(data["recovery_indemnity_eur"]) not in (
        "40",
        "40.00",
    ):
        indemnity = data["recovery_indemnity_eur"]
        raise InputError(
            say(
                f"recovery_indemnity_eur {indemnity!r} : l'indemnité forfaitaire pour frais de "
                "recouvrement est de 40 EUR (art. D441-5 du Code de commerce)",
                f"recovery_indemnity_eur {indemnity!r}: the fixed indemnity for recovery costs "
                "is 40 EUR (art. D441-5 du Code de commerce)",
            ),
            file=str(path),
        )
    for key, (default, low, high, what) in PROVIDER_SETTINGS.items():
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InputError(
                say(
                    f"{key} = {value!r} : {what[0]} attendu, un nombre entier de {low} à {high}",
                    f"{key} = {value!r}: expected {what[1]}, a whole number from {low} to {high}",
                ),
                file=str(path),
            )
        data[key] = value
    data["fiscal_year_end"] = _year_end(data.get("fiscal_year_end", "12-31"), path)
    data["accounts"] = _accounts(data.get("accounts", {}), path)
    data[contract.VAT_ON_DEBITS] = _vat_on_debits(data.get(contract.VAT_ON_DEBITS, False), path)
    return data


def _vat_on_debits(value: Any, path: Path) -> bool:
    """R88: vat_on_debits = true or false (default false: services taxed on receipt)."""
    if not isinstance(value, bool):
        raise InputError(
            say(
                f"vat_on_debits = {value!r} : true ou false attendu (option pour la TVA d'après "
                "les débits, R88)",
                f"vat_on_debits = {value!r}: expected true or false (option for VAT on debits, "
                "R88)",
            ),
            file=str(path),
        )
    return value


def _year_end(text: Any, path: Path) -> tuple[int, int]:
    """fiscal_year_end = "MM-DD" (default "12-31"): the closing day of the fiscal year."""
    match = re.fullmatch(r"(\d{2})-(\d{2})", str(text))
    try:
        if match is None:
            raise ValueError
        date(2024, int(match.group(1)), int(match.group(2)))  # a leap year: 02-29 is a day
    except ValueError:
        raise InputError(
            say(
                f"fiscal_year_end = {text!r} : jour de clôture de l'exercice attendu, au format "
                'MM-JJ (par exemple "12-31" ou "06-30")',
                f"fiscal_year_end = {text!r}: expected the closing day of the fiscal year as "
                'MM-DD (for example "12-31" or "06-30")',
            ),
            file=str(path),
        ) from None
    return int(match.group(1)), int(match.group(2))


def _accounts(table: Any, path: Path) -> dict[str, tuple[str, str]]:
    """[accounts] of provider.toml: the revenue account of each line kind, "706000" or
    "706000 Prestations de services"; the kinds not given keep the defaults (contract.DEFAULT_ACCOUNTS)."""
    known = {**contract.DEFAULT_ACCOUNTS, **contract.FISCAL_ACCOUNTS}  # R87-R88: ledger accounts
    accounts = dict(known)
    if not isinstance(table, dict):
        raise InputError(
            say(
                "[accounts] doit être une table nature de ligne = compte",
                "[accounts] must be a table of line kind = account",
            ),
            file=str(path),
        )
    for kind, value in table.items():
        match = re.fullmatch(r"(\d{3,12})(?:\s+(.+))?", str(value).strip())
        if kind not in known or match is None:
            kinds = ", ".join(known)
            raise InputError(
                say(
                    f"accounts.{kind} = {value!r} : une des natures de ligne ({kinds}) = un "
                    "numéro de compte attendu, suivi éventuellement de son libellé",
                    f"accounts.{kind} = {value!r}: expected one of the line kinds ({kinds}) = an "
                    "account number, optionally followed by its label",
                ),
                file=str(path),
            )
        default = known[kind]
        label = match.group(2) or (default[1] if default[0] == match.group(1) else "")
        accounts[kind] = (match.group(1), label)
    return accounts


def load_reference(data: Path, rates: Path) -> Reference:
    """Read and check every reference file; raise InputError on the first problem (R42)."""
    folders = (
        (data, "le dossier de données", "data folder"),
        (rates, "le dossier des tarifs", "rates folder"),
    )
    for folder, fr, en in folders:
        if not folder.is_dir():
            raise InputError(
                say(
                    f"{fr} {str(folder)!r} n'existe pas ou n'est pas un dossier",
                    f"{en} {str(folder)!r} does not exist or is not a folder",
                )
            )
    tables = {s.table: read_table(data, s) for s in DATA_FILES}
    tables.update({s.table: read_table(rates, s) for s in RATE_FILES})
    ref = Reference(tables, read_provider(data))
    _check_references(ref)
    provider_path = str(data / contract.PROVIDER_FILE)
    ref.provider.update(receivables_settings(ref.provider, provider_path))  # R80
    check_receivables(ref["ref_customers"], ref["ref_mandates"], ref.provider, provider_path)
    return ref


def register(con: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    """Create one DuckDB table per reference file (ref_*), typed, with source_row."""
    for name, table in ref.tables.items():
        con.register(f"_arrow_{name}", to_arrow(table))
        con.execute(f'create or replace table "{name}" as select * from "_arrow_{name}"')
        con.unregister(f"_arrow_{name}")


# --- the fraud watch (R26): its rate-book file and provider.toml [watch] ---------------------


def _digits_prefix(row: dict[str, Any]) -> str | None:
    """A high-risk prefix is E.164 digits: the country code first, no `S` short number."""
    if not row["prefix"].isdigit():
        return say(
            f"préfixe {row['prefix']!r} : chiffres E.164 attendus (indicatif du pays d'abord)",
            f"prefix {row['prefix']!r}: expected E.164 digits (country code first)",
        )
    return None


HIGH_RISK_PREFIXES = FileSpec(contract.HIGH_RISK_PREFIXES, (_digits_prefix,))


def load_high_risk_prefixes(rates: Path) -> Table:
    """rates/high_risk_prefixes.csv, checked (R42): digits only, no duplicate prefix."""
    return read_table(rates, HIGH_RISK_PREFIXES)


# what each [watch] key expects, in French (contract.WATCH_SETTINGS says it in English)
_WATCH_WHAT_FR = {
    "watch_spend_factor": "un décimal > 0, le facteur du pic de dépense sur la moyenne par jour",
    "watch_spend_critical_factor": "un décimal > 0, le facteur d'un pic de dépense critique",
    "watch_spend_floor_eur": "un décimal >= 0 en euros, pas de pic de dépense en dessous",
    "watch_night_calls": "un nombre entier >= 0 d'appels internationaux de nuit admis",
    "watch_night_start_hour": "un nombre entier de 0 à 23, l'heure où commence la nuit",
    "watch_night_end_hour": "un nombre entier de 0 à 23, l'heure où finit la nuit",
    "watch_sweep_numbers": "un nombre entier >= 1 de numéros distincts admis par fenêtre",
    "watch_sweep_window_min": "un nombre entier de minutes >= 1, la fenêtre du balayage",
    "watch_sweep_last_digits": "un nombre entier de 1 à 6, les chiffres que varie un balayage",
    "watch_concurrent_calls": "un nombre entier >= 1 d'appels simultanés admis",
    "watch_concurrent_margin": "un nombre entier >= 0 au-dessus du maximum propre du compte",
    "watch_baseline_days": "un nombre entier de jours de 1 à 366, l'historique examiné",
}

_WHOLE_BOUNDS = {
    "watch_night_calls": (0, 1_000_000),
    "watch_night_start_hour": (0, 23),
    "watch_night_end_hour": (0, 23),
    "watch_sweep_numbers": (1, 1_000_000),
    "watch_sweep_window_min": (1, 1440),
    "watch_sweep_last_digits": (1, 6),
    "watch_concurrent_calls": (1, 10_000),
    "watch_concurrent_margin": (0, 10_000),
    "watch_baseline_days": (1, 366),
}


def read_watch_settings(data: Path) -> dict[str, Any]:
    """The thresholds of the fraud watch, `[watch]` of provider.toml, each defaulted
    (contract.WATCH_SETTINGS): factors and the floor as Decimal, the others as int. A bad
    value or an unknown key stops with one line naming the file and key (R42, exit 2). Read
    by the watch only: billing's figures never depend on them (R27)."""
    path = data / contract.PROVIDER_FILE
    if not path.exists():
        raise InputError(
            say("fichier obligatoire absent", "required file is missing"), file=str(path)
        )
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("watch", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            say(f"TOML invalide : {exc}", f"not valid TOML: {exc}"), file=str(path)
        ) from exc
    if not isinstance(table, dict):
        raise InputError(
            say("[watch] doit être une table de seuils", "[watch] must be a table of thresholds"),
            file=str(path),
        )
    unknown = sorted(set(table) - set(contract.WATCH_SETTINGS))
    if unknown:
        raise InputError(
            say(
                f"[watch] {unknown[0]} : clé inconnue (connues : {', '.join(contract.WATCH_SETTINGS)})",
                f"[watch] {unknown[0]}: unknown key (known: {', '.join(contract.WATCH_SETTINGS)})",
            ),
            file=str(path),
        )
    settings: dict[str, Any] = {}
    for key, (default, what) in contract.WATCH_SETTINGS.items():
        value = table.get(key, default)
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError
            if key in _WHOLE_BOUNDS:
                low, high = _WHOLE_BOUNDS[key]
                if isinstance(value, float) or not low <= _int(str(value)) <= high:
                    raise ValueError
                settings[key] = int(value)
            else:
                number = to_decimal(str(value))
                positive = key != "watch_spend_floor_eur"
                if number < 0 or (positive and number == 0):
                    raise ValueError
                settings[key] = number
        except ValueError:
            raise InputError(
                say(
                    f"[watch] {key} = {value!r} : attendu {_WATCH_WHAT_FR[key]}",
                    f"[watch] {key} = {value!r}: expected {what}",
                ),
                file=str(path),
            ) from None
    return settings
