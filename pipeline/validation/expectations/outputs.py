"""Output suites: the documents and files of a month, checked before they are published.

Datasets are built from the BilledMonth (invoices, lines, credit notes: one row per document
or line), from the ledger (the numbers issued by earlier months, read from OUT/) and from
DuckDB aggregates (rated calls per group, reconciliation per file). Money is compared as exact
integers of cents (`*_c`, Decimal * 100) or ten-thousandths (`*_e4`), never as floats; the
expected VAT is computed with the one money policy of R2 (pipeline.core.money.round_line).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.expectations.row_conditions import Column

from pipeline.billing.invoicing import KIND_ORDER
from pipeline.core.money import round_line
from pipeline.rating.reasons import NEVER_CHARGED as _NEVER_CHARGED
from pipeline.rating.reasons import R16_ORDER
from pipeline.validation.expectations import Check, Suite, count_distinct_integers, sql_frame
from pipeline.validation.expectations.inputs import at_least, distinct_ids, in_set, not_null, unique

LINE_KINDS = list(KIND_ORDER)
R16_REASONS = list(R16_ORDER)
NEVER_CHARGED = list(_NEVER_CHARGED)
_NUMBER = re.compile(r"^(F|AV)(\d{4})-(\d{6})$")


def _p(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def equal(
    check_id: str, a: str, b: str, rule: str, why: str, samples_sql: str | None = None
) -> Check:
    return Check(
        check_id,
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A=a, column_B=b, ignore_row_if="either_value_is_missing"
        ),
        rule,
        why,
        samples_sql,
    )


def cents(amount: Any) -> int | None:
    """Exact cents of an amount with at most 2 decimals; None when it has more (or is None)."""
    if amount is None:
        return None
    value = Decimal(amount) * 100
    if value != value.to_integral_value():
        return None
    return int(value)


def _exact2(amount: Any) -> bool:
    return amount is None or cents(amount) is not None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _basis_points(rate: Decimal) -> int:
    return int(Decimal(rate) * 10000)


# --- the ledger: what earlier months issued ---------------------------------------------


def _issued_rows(ctx: Any, file: str) -> list[dict[str, str]]:
    """The rows of `file` issued by the months before this one (the ledger snapshot)."""
    return [dict(r, issued_month=str(m)) for m, r in ctx.snapshot.rows(file)]


# --- datasets ------------------------------------------------------------------------------


def invoices_frame(ctx: Any) -> pd.DataFrame:
    rows = []
    for inv in ctx.billed.invoices:
        amounts = [line["amount_ht"] for line in inv.lines]
        lines_ht = sum((Decimal(a) for a in amounts), Decimal(0))
        rows.append(
            {
                "invoice_number": inv.invoice_number,
                "customer_id": inv.customer_id,
                "invoice_date": _text(inv.invoice_date),
                "due_date": _text(inv.due_date),
                "period": inv.period,
                "total_ht_c": cents(inv.total_ht),
                "lines_ht_c": cents(round_line(lines_ht)),
                "total_vat_c": cents(inv.total_vat),
                "expected_vat_c": cents(round_line(Decimal(inv.total_ht) * Decimal(inv.vat_rate))),
                "total_ttc_c": cents(inv.total_ttc),
                "ht_plus_vat_c": cents(Decimal(inv.total_ht) + Decimal(inv.total_vat)),
                "vat_rate_bp": _basis_points(inv.vat_rate),
                "vat_mention": inv.vat_mention or None,
                "lines": len(inv.lines),
                "non_zero_lines": sum(1 for a in amounts if Decimal(a) != 0),
                "amounts_exact": all(
                    _exact2(a) for a in (inv.total_ht, inv.total_vat, inv.total_ttc)
                ),
            }
        )
    columns = [
        "invoice_number",
        "customer_id",
        "invoice_date",
        "due_date",
        "period",
        "total_ht_c",
        "lines_ht_c",
        "total_vat_c",
        "expected_vat_c",
        "total_ttc_c",
        "ht_plus_vat_c",
        "vat_rate_bp",
        "vat_mention",
        "lines",
        "non_zero_lines",
        "amounts_exact",
    ]
    return pd.DataFrame(rows, columns=columns)


def lines_frame(ctx: Any) -> pd.DataFrame:
    rows = []
    for inv in ctx.billed.invoices:
        for line in inv.lines:
            rows.append(
                {
                    "invoice_number": line.get("invoice_number"),
                    "line_no": line.get("line_no"),
                    "customer_id": line.get("customer_id"),
                    "invoice_customer_id": inv.customer_id,
                    "kind": line.get("kind"),
                    "reference": line.get("reference"),
                    "amount_ht_c": cents(line.get("amount_ht")),
                    "amount_exact": _exact2(line.get("amount_ht")),
                    "quantity": line.get("quantity"),
                    "billable_seconds": line.get("billable_seconds"),
                }
            )
    columns = [
        "invoice_number",
        "line_no",
        "customer_id",
        "invoice_customer_id",
        "kind",
        "reference",
        "amount_ht_c",
        "amount_exact",
        "quantity",
        "billable_seconds",
    ]
    return pd.DataFrame(rows, columns=columns)


def numbering_frame(ctx: Any) -> pd.DataFrame:
    """Every invoice and credit-note number: issued by earlier months, then by this run."""
    entries: list[tuple[str, str, str, str | None]] = []  # number, date, month, customer
    for r in _issued_rows(ctx, "invoices.csv"):
        entries.append((r["invoice_number"], r.get("invoice_date", ""), r["issued_month"], None))
    for r in _issued_rows(ctx, "credit_notes.csv"):
        entries.append(
            (r["credit_note_number"], r.get("credit_note_date", ""), r["issued_month"], None)
        )
    this = str(ctx.month)
    for inv in ctx.billed.invoices:
        entries.append((inv.invoice_number, _text(inv.invoice_date) or "", this, inv.customer_id))
    for cn in ctx.billed.credit_notes:
        entries.append((cn.credit_note_number, _text(cn.credit_note_date) or "", this, None))
    rows = []
    for number, doc_date, month, customer in entries:
        match = _NUMBER.match(number or "")
        rows.append(
            {
                "number": number,
                "series": match.group(1) if match else None,
                "year": int(match.group(2)) if match else None,
                "sequence": int(match.group(3)) if match else None,
                "document_year": int(doc_date[:4]) if doc_date[:4].isdigit() else None,
                "issued_month": month,
                "this_run": month == this,
                "customer_id": customer,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "number",
            "series",
            "year",
            "sequence",
            "document_year",
            "issued_month",
            "this_run",
            "customer_id",
        ],
    )
    # position of each number in its series and year: 1, 2, 3... when nothing is missing
    frame = frame.sort_values(["series", "year", "sequence", "number"], na_position="last")
    frame["position"] = frame.groupby(["series", "year"], dropna=False).cumcount() + 1
    # R60: this run's invoices are numbered in customer_id order
    invoices = frame[frame["this_run"] & (frame["series"] == "F")]
    frame["customer_order"] = pd.Series(dtype="float64")
    frame.loc[invoices.index, "customer_order"] = invoices["customer_id"].rank(method="first")
    frame.loc[invoices.index, "number_order"] = invoices["sequence"].rank(method="first")
    return frame.reset_index(drop=True)


def credit_notes_frame(ctx: Any) -> pd.DataFrame:
    issued = {r["invoice_number"]: r for r in _issued_rows(ctx, "invoices.csv")}
    credited_before: dict[str, Decimal] = {}
    for r in _issued_rows(ctx, "credit_notes.csv"):
        number = r.get("original_invoice_number", "")
        credited_before[number] = credited_before.get(number, Decimal(0)) + Decimal(
            r.get("amount_ttc") or 0
        )
    credited_now: dict[str, Decimal] = {}
    for cn in ctx.billed.credit_notes:
        credited_now[cn.original_invoice_number] = credited_now.get(
            cn.original_invoice_number, Decimal(0)
        ) + Decimal(cn.amount_ttc)
    rows = []
    for cn in ctx.billed.credit_notes:
        original = issued.get(cn.original_invoice_number)
        number = cn.original_invoice_number
        rows.append(
            {
                "credit_note_number": cn.credit_note_number,
                "customer_id": cn.customer_id,
                "credit_note_date": _text(cn.credit_note_date),
                "original_invoice_number": number,
                "original_customer_id": original["customer_id"] if original else None,
                "service_month": cn.service_month,
                "original_period": original.get("period") if original else None,
                "amount_ht_c": cents(cn.amount_ht),
                "amount_vat_c": cents(cn.amount_vat),
                "expected_vat_c": cents(round_line(Decimal(cn.amount_ht) * Decimal(cn.vat_rate))),
                "amount_ttc_c": cents(cn.amount_ttc),
                "ht_plus_vat_c": cents(Decimal(cn.amount_ht) + Decimal(cn.amount_vat)),
                "original_ht_c": cents(Decimal(original["total_ht"])) if original else None,
                "original_ttc_c": cents(Decimal(original["total_ttc"])) if original else None,
                "credited_ttc_c": cents(
                    credited_before.get(number, Decimal(0)) + credited_now[number]
                ),
                "amounts_exact": all(
                    _exact2(a) for a in (cn.amount_ht, cn.amount_vat, cn.amount_ttc)
                ),
            }
        )
    columns = [
        "credit_note_number",
        "customer_id",
        "credit_note_date",
        "original_invoice_number",
        "original_customer_id",
        "service_month",
        "original_period",
        "amount_ht_c",
        "amount_vat_c",
        "expected_vat_c",
        "amount_ttc_c",
        "ht_plus_vat_c",
        "original_ht_c",
        "original_ttc_c",
        "credited_ttc_c",
        "amounts_exact",
    ]
    return pd.DataFrame(rows, columns=columns)


USAGE_SQL = f"""
select customer_id, sip_account as reference, zone, reason, count(*) as calls,
    cast(round(sum(amount), 2) * 100 as bigint) as rated_c
from rated_calls
where reason not in ({", ".join(f"'{r}'" for r in NEVER_CHARGED)})
group by customer_id, sip_account, zone, reason
"""


def usage_frame(ctx: Any) -> pd.DataFrame:
    """R63: each usage line against the rated calls it sums (DuckDB aggregate per group)."""
    rated = ctx.query(USAGE_SQL)
    lines = pd.DataFrame(
        [
            {
                "invoice_number": line.get("invoice_number"),
                "customer_id": line.get("customer_id"),
                "reference": line.get("reference"),
                "zone": line.get("zone"),
                "reason": line.get("reason"),
                "line_c": cents(line.get("amount_ht")),
            }
            for line in ctx.billed.lines
            if line.get("kind") == "usage"
        ],
        columns=["invoice_number", "customer_id", "reference", "zone", "reason", "line_c"],
    )
    keys = ["customer_id", "reference", "zone", "reason"]
    frame = rated.merge(lines, on=keys, how="outer")
    invoiced = set(inv.customer_id for inv in ctx.billed.invoices)
    # R61: a customer whose lines are all zero gets no invoice, so its zero groups have no line
    dropped = (
        frame["line_c"].isna() & (frame["rated_c"] == 0) & ~frame["customer_id"].isin(invoiced)
    )
    frame = frame[~dropped].sort_values(keys).reset_index(drop=True)
    frame["line_c"] = frame["line_c"].astype("float64").fillna(-1)  # -1: no line for rated calls
    frame["rated_c"] = frame["rated_c"].astype("float64").fillna(-1)  # -1: a line without calls
    return frame


RATED_GROUPS_SQL = """
select direction, zone, reason, count(*) as calls,
    min(cast(amount * 10000 as bigint)) as min_amount_e4,
    max(cast(amount * 10000 as bigint)) as max_amount_e4,
    min(billable_seconds) as min_billable_seconds,
    count(*) filter (where billable_seconds > 0 and billable_seconds < rated_seconds)
        as billed_below_rated
from rated_calls
group by direction, zone, reason
order by direction, zone, reason
"""

PLACED_SQL = """
select source_file, row_number, 'rated' as place, cdr_id from rated_calls
union all
select source_file, row_number, case when reason = 'DUPLICATE' then 'duplicate'
    else 'rejected' end, cdr_id from rejects
"""


def reconciliation_sql(distinct_places: str, rated_distinct_ids: str) -> str:
    """Rows read per file (raw_cdrs) against where they ended (rated_calls, rejects);
    `distinct_places` counts a file's distinct row numbers, `rated_distinct_ids` its distinct
    rated cdr_ids (both chosen by reconciliation_frame)."""
    return f"""
with read as (
    select source_file, count(*) as rows_read from raw_cdrs group by source_file
),
placed as ({PLACED_SQL}),
per_file as (
    select source_file,
        count(*) filter (where place = 'rated') as rated,
        count(*) filter (where place = 'duplicate') as duplicates,
        count(*) filter (where place = 'rejected') as rejected,
        {distinct_places} as distinct_places,
        {rated_distinct_ids} as rated_distinct_ids
    from placed group by source_file
)
select r.source_file, r.rows_read,
    coalesce(p.rated, 0) as rated, coalesce(p.duplicates, 0) as duplicates,
    coalesce(p.rejected, 0) as rejected,
    coalesce(p.rated, 0) + coalesce(p.duplicates, 0) + coalesce(p.rejected, 0) as accounted,
    coalesce(p.distinct_places, 0) as distinct_places,
    coalesce(p.rated_distinct_ids, 0) as rated_distinct_ids
from read as r
left join per_file as p on r.source_file = p.source_file
order by r.source_file
"""


def reconciliation_frame(ctx: Any) -> pd.DataFrame:
    """R40 recomputed from the rows read (raw_cdrs) and where they ended, against the reported
    reconciliation (manifest.json, workbook); plus one row for all files (cdr_id unique).

    Rated cdr_ids are counted once, over the month (distinct_ids: hashes first): when they are
    all distinct, so are each file's, and a file's distinct ids are its non-null ids; only
    otherwise are they counted per file. Row numbers are counted through a bitmap."""
    ranges = ctx.con.execute(
        f"select source_file, min(row_number), max(row_number) from ({PLACED_SQL}) "
        "group by source_file"
    ).fetchall()
    lows = [r[1] for r in ranges if r[1] is not None]
    highs = [r[2] for r in ranges if r[2] is not None]
    distinct_places = count_distinct_integers(
        "row_number", min(lows, default=None), max(highs, default=None), len(ranges)
    )
    rated, with_id = ctx.con.execute("select count(*), count(cdr_id) from rated_calls").fetchone()
    rated_ids = distinct_ids(ctx, "rated_calls")
    if rated_ids == with_id:  # no cdr_id rated twice in the month, so none in a file
        per_file_ids = "count(cdr_id) filter (where place = 'rated')"
    else:
        per_file_ids = "count(distinct cdr_id) filter (where place = 'rated')"
    frame = ctx.query(reconciliation_sql(distinct_places, per_file_ids))
    reported = {r["source_file"]: r for r in ctx.billed.reconciliation}
    frame["reported_rows_read"] = [
        reported[f]["rows_read"] if f in reported else None for f in frame["source_file"]
    ]
    frame["reported_balanced"] = [
        bool(reported[f]["balanced"]) if f in reported else None for f in frame["source_file"]
    ]
    total_row = {c: None for c in frame.columns}
    total_row.update(source_file="(all files)", rated=int(rated), rated_distinct_ids=rated_ids)
    return pd.concat([frame, pd.DataFrame([total_row])], ignore_index=True)


# --- parameters ----------------------------------------------------------------------------


def _parameters(ctx: Any) -> dict[str, Any]:
    issued_on = ctx.month.plus(1).first_day  # R5
    ref = ctx.billed.reference
    customers: list[str] = []
    if ref is not None:
        customers = [r["customer_id"] for r in ref["ref_customers"].rows]
    zones = [r[0] for r in ctx.con.execute("select distinct zone from ref_tariffs").fetchall()]
    return {
        "period": [str(ctx.month)],
        "invoice_date": [issued_on.isoformat()],
        "due_date": [(issued_on + timedelta(days=30)).isoformat()],
        "customer_ids": customers,
        "invoice_numbers": [inv.invoice_number for inv in ctx.billed.invoices],
        "issued_invoice_numbers": [r["invoice_number"] for r in _issued_rows(ctx, "invoices.csv")],
        "zones": zones,
    }


# --- suites --------------------------------------------------------------------------------


def invoices_suite() -> Suite:
    """invoices.csv: numbers, dates, totals and VAT of each invoice of the run."""
    return Suite(
        name="outputs.invoices",
        dataset="invoices.csv: one row per invoice of the run (amounts in exact cents)",
        build=invoices_frame,
        key_columns=("invoice_number", "customer_id"),
        parameters=_parameters,
        checks=(
            not_null("invoice_number", "R60"),
            unique("invoice_number", "R60", "an invoice number is issued once"),
            Check(
                "invoice_number.format",
                gxe.ExpectColumnValuesToMatchRegex(
                    column="invoice_number", regex=r"^F\d{4}-\d{6}$"
                ),
                "R60",
                "invoice numbers are F{YYYY}-{NNNNNN}",
            ),
            unique("customer_id", "R61", "one invoice per customer and month"),
            in_set(
                "customer_id",
                _p("customer_ids"),
                "R61",
                "the invoice is for a known customer",
                "customer_id.known",
            ),
            in_set("period", _p("period"), "R5", "the invoice is for the month billed"),
            in_set("invoice_date", _p("invoice_date"), "R5", "dated the 1st of the next month"),
            in_set("due_date", _p("due_date"), "R5", "due 30 days after its date"),
            equal(
                "total_ht.sum_of_lines",
                "total_ht_c",
                "lines_ht_c",
                "R2",
                "invoice total HT = sum of its lines",
            ),
            equal(
                "total_vat.r2",
                "total_vat_c",
                "expected_vat_c",
                "R2",
                "VAT = HT x rate rounded to the cent, half away from zero",
            ),
            equal("total_ttc.ht_plus_vat", "total_ttc_c", "ht_plus_vat_c", "R2", "TTC = HT + VAT"),
            not_null("total_ht_c", "R2", "total HT is given, in whole cents"),
            in_set("amounts_exact", [True], "R2", "totals have at most 2 decimals"),
            at_least("total_ht_c", 0, "R61", "no invoice has a negative total"),
            in_set("vat_rate_bp", [0, 2000], "R62", "VAT rate is 20 % or 0"),
            Check(
                "vat_mention.when_no_vat",
                gxe.ExpectColumnValuesToNotBeNull(
                    column="vat_mention", row_condition=Column("vat_rate_bp") == 0
                ),
                "R62",
                "an invoice without VAT carries its legal mention",
            ),
            at_least("non_zero_lines", 1, "R61", "an invoice has at least one non-zero line"),
        ),
    )


def invoice_lines_suite() -> Suite:
    """invoice_lines.csv: each line belongs to an invoice of the run, amounts exact."""
    return Suite(
        name="outputs.invoice_lines",
        dataset="invoice_lines.csv: one row per invoice line (amounts in exact cents)",
        build=lines_frame,
        key_columns=("invoice_number", "line_no", "kind", "reference"),
        parameters=_parameters,
        checks=(
            in_set(
                "invoice_number",
                _p("invoice_numbers"),
                "R63",
                "every line belongs to an invoice of the run",
                "invoice_number.known",
            ),
            not_null("invoice_number", "R63"),
            Check(
                "line.unique",
                gxe.ExpectCompoundColumnsToBeUnique(column_list=["invoice_number", "line_no"]),
                "R63",
                "line numbers are unique within an invoice",
            ),
            equal(
                "customer.of_invoice",
                "customer_id",
                "invoice_customer_id",
                "R61",
                "a line is for the customer of its invoice",
            ),
            in_set("kind", LINE_KINDS, "R63", "kind is one of the data contract"),
            not_null("amount_ht_c", "R2"),
            at_least("amount_ht_c", 0, "R63", "no negative charge: corrections are credit notes"),
            in_set("amount_exact", [True], "R2", "line amounts have at most 2 decimals"),
            at_least("billable_seconds", 0, "R14", "billable seconds are not negative"),
            at_least("quantity", 0, "R63", "quantities are not negative"),
        ),
    )


def usage_lines_suite() -> Suite:
    """The usage lines of invoice_lines.csv against the calls of rated_calls.parquet (R63)."""
    return Suite(
        name="outputs.usage_lines",
        dataset="usage lines against rated calls: one row per SIP account, zone and reason",
        build=usage_frame,
        key_columns=("customer_id", "reference", "zone", "reason"),
        checks=(
            equal(
                "amount.sum_of_calls",
                "line_c",
                "rated_c",
                "R63",
                "a usage line = its calls' 4-decimal amounts summed, rounded to the cent "
                "(-1: a line without calls, or calls without a line)",
            ),
        ),
    )


def numbering_suite() -> Suite:
    """The numbers of invoices.csv and credit_notes.csv, with the ledger's (R60)."""
    return Suite(
        name="outputs.numbering",
        dataset="every invoice and credit-note number: the ledger's (OUT/) and this run's",
        build=numbering_frame,
        key_columns=("number", "issued_month"),
        checks=(
            unique("number", "R60", "a number, once issued, is never reused"),
            not_null("series", "R60", "numbers are F{YYYY}-{NNNNNN} or AV{YYYY}-{NNNNNN}"),
            equal(
                "sequence.gapless",
                "sequence",
                "position",
                "R60",
                "one unbroken sequence per series and year, from 000001",
            ),
            equal(
                "year.of_document",
                "year",
                "document_year",
                "R60",
                "the year in the number is the year of the document date",
            ),
            equal(
                "invoices.customer_order",
                "number_order",
                "customer_order",
                "R60",
                "this run's invoices are numbered in customer_id order",
            ),
        ),
    )


def credit_notes_suite() -> Suite:
    """credit_notes.csv: each credit note against the issued invoice it credits."""
    return Suite(
        name="outputs.credit_notes",
        dataset="credit_notes.csv: one row per credit note, with its original invoice (ledger)",
        build=credit_notes_frame,
        key_columns=("credit_note_number", "original_invoice_number"),
        parameters=_parameters,
        checks=(
            unique("credit_note_number", "R60", "a credit-note number is issued once"),
            Check(
                "credit_note_number.format",
                gxe.ExpectColumnValuesToMatchRegex(
                    column="credit_note_number", regex=r"^AV\d{4}-\d{6}$"
                ),
                "R60",
                "credit-note numbers are AV{YYYY}-{NNNNNN}",
            ),
            in_set(
                "original_invoice_number",
                _p("issued_invoice_numbers"),
                "R52",
                "a credit note points to an invoice already issued",
                "original_invoice.issued",
            ),
            equal(
                "original_invoice.same_customer",
                "customer_id",
                "original_customer_id",
                "R52",
                "a credit note is for the customer of its invoice",
            ),
            equal(
                "original_invoice.service_month",
                "service_month",
                "original_period",
                "R52",
                "the invoice referenced is the one of the service month",
            ),
            in_set("credit_note_date", _p("invoice_date"), "R5", "dated like the run's invoices"),
            at_least("amount_ht_c", 0, "R52", "no negative credit"),
            Check(
                "amount_ht.not_above_invoice",
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="original_ht_c",
                    column_B="amount_ht_c",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                "R51",
                "a credit note does not exceed its invoice (HT)",
            ),
            Check(
                "credited_ttc.not_above_invoice",
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="original_ttc_c",
                    column_B="credited_ttc_c",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                "R51",
                "all credit notes on one invoice, this run's and earlier, do not exceed it (TTC)",
            ),
            equal(
                "amount_vat.r2",
                "amount_vat_c",
                "expected_vat_c",
                "R2",
                "VAT = HT x rate rounded to the cent, half away from zero",
            ),
            equal(
                "amount_ttc.ht_plus_vat", "amount_ttc_c", "ht_plus_vat_c", "R2", "TTC = HT + VAT"
            ),
            in_set("amounts_exact", [True], "R2", "amounts have at most 2 decimals"),
        ),
    )


def rated_calls_suite() -> Suite:
    """rated_calls.parquet: reasons, zones and amounts per direction, zone and reason."""
    return Suite(
        name="outputs.rated_calls",
        dataset="rated_calls.parquet: one row per (direction, zone, reason), aggregated in DuckDB",
        build=sql_frame(RATED_GROUPS_SQL),
        key_columns=("direction", "zone", "reason", "calls"),
        parameters=_parameters,
        checks=(
            in_set("reason", R16_REASONS, "R16", "every rated call has one reason of R16"),
            not_null("reason", "R16"),
            in_set(
                "zone",
                _p("zones"),
                "R12",
                "every rated call has a zone of the rate book",
                "zone.known",
            ),
            in_set("direction", ["out", "in", "fwd"], "R10", "direction is out, in or fwd"),
            Check(
                "amount.not_negative",
                gxe.ExpectColumnValuesToBeBetween(column="min_amount_e4", min_value=0),
                "R14",
                "no negative charge on a call",
                samples_sql="select cdr_id, sip_account, zone, reason, amount from rated_calls "
                "where amount < 0 order by cdr_id limit 5",
            ),
            Check(
                "amount.zero_when_not_charged",
                gxe.ExpectColumnValuesToBeBetween(
                    column="max_amount_e4",
                    max_value=0,
                    row_condition=Column("reason").is_in(NEVER_CHARGED),
                ),
                "R16",
                "NOT_CHARGEABLE, FREE and INCLUDED calls cost 0",
                samples_sql="select cdr_id, sip_account, zone, reason, amount from rated_calls "
                f"where amount <> 0 and reason in ({', '.join(repr(r) for r in NEVER_CHARGED)}) "
                "order by cdr_id limit 5",
            ),
            at_least("min_billable_seconds", 0, "R14", "billable seconds are not negative"),
            Check(
                "billable.not_below_rated",
                gxe.ExpectColumnValuesToBeBetween(column="billed_below_rated", max_value=0),
                "R14",
                "a charged call is billed at least its rated seconds",
            ),
        ),
    )


def reconciliation_suite() -> Suite:
    """The CDR files read against where their rows ended (R40): rated_calls.parquet,
    rejects.csv and the reported reconciliation (manifest.json, workbook)."""
    return Suite(
        name="outputs.reconciliation",
        dataset="CDR files: rows read (raw) against where each row ended, aggregated in DuckDB",
        build=reconciliation_frame,
        key_columns=("source_file",),
        checks=(
            equal(
                "rows_read.accounted",
                "rows_read",
                "accounted",
                "R40",
                "rows read = rated + duplicates + rejected, per file",
            ),
            equal(
                "rows_read.one_place",
                "rows_read",
                "distinct_places",
                "R40",
                "every row read ends in exactly one place",
            ),
            equal(
                "reported.rows_read",
                "reported_rows_read",
                "rows_read",
                "R40",
                "the reported reconciliation counts the rows read",
            ),
            in_set("reported_balanced", [True], "R40", "the reported reconciliation balances"),
            equal(
                "cdr_id.unique",
                "rated",
                "rated_distinct_ids",
                "R41",
                "a cdr_id is rated once in the month",
                samples_sql="select cdr_id, source_file, row_number from rated_calls where cdr_id in "
                "(select cdr_id from rated_calls group by cdr_id having count(*) > 1) "
                "order by cdr_id, source_file, row_number limit 5",
            ),
        ),
    )


def output_suites() -> tuple[Suite, ...]:
    """Every output suite, in the order of the report."""
    return (
        invoices_suite(),
        invoice_lines_suite(),
        usage_lines_suite(),
        numbering_suite(),
        credit_notes_suite(),
        rated_calls_suite(),
        reconciliation_suite(),
    )
