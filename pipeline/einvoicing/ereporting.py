"""R97: e-reporting (Flux 10) of the invoices and credit notes to customers outside France
and of the payments received on them. Pure: from the issued documents, the journal's files,
the customers and provider.toml.

- Cadence (`vat_regime` of provider.toml): `normal_monthly` (default, réel normal mensuel):
  transactions by ten-day periods (1-10, 11-20, 21-end of month), payments by month;
  `normal_quarterly` and `simplified`: both by month (pyfrctc's calendar,
  frctc.ereporting_period_end). `billing ereporting --period START..END` reports every
  cadence period that lies whole inside START..END; a period cut by START or END waits for a
  run whose range holds it whole.
- Flux 10.1 (transactions): each invoice and credit note dated in the period, to a customer
  whose `country` is not FR; one file per period, holding the documents not yet reported.
- Flux 10.2 (payments): each payment allocated (journal `allocation` with its `payment`) to
  such an invoice, dated in the period, and each returned debit that undoes one (negative);
  one file per period.
- Reported once: an `ereported` event per document (entry `10.1/{number}`) and per payment
  (entry `10.2/{journal position}`); a later run reports only what is new, in a file of its
  own (`-NN`).
- Parties: the seller by its SIREN (0002) and VAT number; the buyer by its VAT number under
  0223 (EU outside France) or 0227 (outside the EU); a customer without a VAT number goes to
  the day's aggregated transactions (`transactions_fields`). The sender is
  the provider's platform: `platform_matricule` (4 characters, scheme 0238) and
  `platform_name` of provider.toml (required by this command).
- VAT categories as on the e-invoices (R62, R71): `AE` with VATEX-EU-AE (EU reverse charge),
  services outside the EU `O` with VATEX-EU-O ("TVA non applicable, art. 259 B du CGI":
  outside the scope of French VAT), goods outside the EU `G` with VATEX-EU-G.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pipeline.einvoicing.documents import CREDIT_NOTE, INVOICE, IssuedDocument
from pipeline.einvoicing.frctc import ereporting_period_end
from pipeline.receivables.journal import (
    ALLOCATION,
    DEBIT_RETURNED,
    EREPORTED,
    Event,
    JournalFile,
    details,
)

PERIODICITY = {"normal_monthly": "1", "normal_quarterly": "3", "simplified": "12"}
DEFAULT_REGIME = "normal_monthly"
TRANSACTIONS, PAYMENTS = "10.1", "10.2"
EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI GR EL HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
CATEGORY_BUSINESS_PROCESS = {"goods": "B1", "mixed": "M1"}


def cadence_periods(start: date, end: date, kind: str, regime: str) -> list[tuple[date, date]]:
    """The cadence periods of `kind` ("out_transaction" or "payment") lying whole in
    START..END, in order."""
    periodicity = PERIODICITY[regime]
    found = []
    day = start
    while day <= end:
        starts_here = day.day == 1 or (
            kind == "out_transaction" and periodicity == "1" and day.day in (11, 21)
        )
        if starts_here:
            last = ereporting_period_end(day, kind, periodicity)
            if last <= end:
                found.append((day, last))
        day += timedelta(days=1)
    return found


def foreign(customer: Mapping[str, Any] | None) -> bool:
    return bool(customer) and str(customer.get("country") or "FR") != "FR"


def reported(events: Iterable[Event]) -> set[str]:
    return {e.entry for e in events if e.kind == EREPORTED}


@dataclass
class Payment:
    key: str  # NNNNNN#i: the journal position of the allocation (or of a return, below)
    invoice: IssuedDocument
    day: date
    amount: Decimal
    netted: tuple[str, ...] = ()  # returned debits of the same period deducted from it


def transactions_due(
    documents: Mapping[str, IssuedDocument],
    customers: Mapping[str, Mapping[str, Any]],
    events: Iterable[Event],
    period: tuple[date, date],
) -> list[IssuedDocument]:
    done = reported(events)
    return sorted(
        (
            d
            for d in documents.values()
            if period[0] <= d.date <= period[1]
            and foreign(customers.get(d.customer_id))
            and f"{TRANSACTIONS}/{d.number}" not in done
        ),
        key=lambda d: d.number,
    )


def payments_due(
    files: Iterable[JournalFile],
    documents: Mapping[str, IssuedDocument],
    customers: Mapping[str, Mapping[str, Any]],
    period: tuple[date, date],
) -> tuple[list[Payment], list[Payment]]:
    """(payments to report, returned debits that cannot be): the payments of the period not
    yet reported, each returned debit of the period deducted from the latest payment of the
    same invoice it can (Flux 10.2 has no negative amount, G1.16); a payment brought to 0 is
    not reported (nothing was received); a return left over undoes a payment already reported: it needs a
    corrective report (TypeCode RE), listed, not written."""
    files = list(files)
    done = reported(e for f in files for e in f.events)
    payments: list[Payment] = []
    returns: list[Payment] = []
    for file in files:
        for index, e in enumerate(file.events):
            key = f"{file.number:06d}#{index}"
            if f"{PAYMENTS}/{key}" in done or not period[0] <= e.date <= period[1]:
                continue
            is_payment = e.kind == ALLOCATION and bool(e.detail("payment") or e.detail("credit"))
            if not (is_payment or e.kind == DEBIT_RETURNED) or not e.amount:
                continue
            invoice = documents.get(e.document)
            if invoice is None or invoice.type != INVOICE:
                continue
            if not foreign(customers.get(invoice.customer_id)):
                continue
            (payments if is_payment else returns).append(Payment(key, invoice, e.date, e.amount))
    left: list[Payment] = []
    for r in returns:
        rest = r.amount
        for p in reversed(payments):
            if rest and p.invoice.number == r.invoice.number and p.amount > 0 and p.day <= r.day:
                taken = min(rest, p.amount)
                p.amount -= taken
                p.netted += (r.key,)
                rest -= taken
        if rest:
            left.append(Payment(r.key, r.invoice, r.day, -rest))
    return [p for p in payments if p.amount > 0], left


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _report_document(
    flux: str, period: tuple[date, date], number: int, provider: Mapping[str, Any]
) -> dict[str, Any]:
    siren = str(provider["siren"])
    suffix = f"-{number:02d}" if number > 1 else ""
    return {
        "TT-1": f"{siren}-FLUX{flux.replace('.', '')}-{period[0]:%Y%m%d}-{period[1]:%Y%m%d}{suffix}",
        "TT-3": datetime.combine(period[1] + timedelta(days=1), time(0, 0)),
        "TT-4": "IN",
        "TT-7": "0238",
        "TT-8": str(provider["platform_matricule"]),
        "TT-9": str(provider["platform_name"]),
        "TT-10": "WK",
        "TT-12": "0002",
        "TT-13": siren,
        "TT-14": str(provider["name"]),
        "TT-15": "SE",
    }


def _vat_number(customer: Mapping[str, Any]) -> str:
    vat = "".join(str(customer.get("vat_number") or "").split()).replace(".", "").replace("-", "")
    return vat.removesuffix("MWST").removesuffix("TVA").removesuffix("IVA")


def _buyer(customer: Mapping[str, Any], customer_id: str) -> dict[str, Any]:
    country = str(customer.get("country") or "")
    vat = _vat_number(customer)
    scheme = "0223" if country in EU else "0227"
    buyer: dict[str, Any] = {
        "legal_identifier": (vat or customer_id)[:18],
        "legal_identifier_schemeid": scheme,
        "country_code": country,
    }
    if vat:
        buyer["vat_identifier"] = vat
    return buyer


def _vat_category(doc: IssuedDocument, customer: Mapping[str, Any]) -> tuple[str, str, str]:
    if doc.vat_rate > 0:
        return "S", "", ""
    if str(customer.get("country") or "") in EU:
        return "AE", "Autoliquidation", "VATEX-EU-AE"
    if doc.category == "goods":
        return "G", "Exportation hors UE", "VATEX-EU-G"
    return "O", "TVA non applicable, art. 259 B du CGI", "VATEX-EU-O"


def _invoice(
    doc: IssuedDocument, customer: Mapping[str, Any], provider: Mapping[str, Any]
) -> dict[str, Any]:
    category, text, code = _vat_category(doc, customer)
    subtotal: dict[str, Any] = {
        "BT-116": _money(doc.ht),
        "BT-117": _money(doc.vat),
        "BT-118": category,
        "BT-119": _money(doc.vat_rate),
    }
    if code:
        subtotal.update({"BT-120": text, "BT-121": code})
    fields: dict[str, Any] = {
        "BT-1": doc.number,
        "BT-2": doc.date,
        "BT-3": doc.type_code,
        "BT-5": "EUR",
        "BT-23": CATEGORY_BUSINESS_PROCESS.get(doc.category, "S1"),
        "BG-4": {
            "legal_identifier": str(provider["siren"]),
            "legal_identifier_schemeid": "0002",
            "vat_identifier": str(provider["vat_number"]),
            "country_code": "FR",
        },
        "BG-7": _buyer(customer, doc.customer_id),
        "BT-109": _money(doc.ht),
        "BT-110": _money(doc.vat),
        "BG-23": [subtotal],
    }
    if doc.type == CREDIT_NOTE or doc.original_invoice:
        fields["BG-3"] = [
            {
                "BT-25": doc.original_invoice,
                **({"BT-26": date.fromisoformat(doc.original_date)} if doc.original_date else {}),
            }
        ]
    if doc.period_start and doc.period_end and doc.period_end > doc.period_start:
        fields["BT-73"] = date.fromisoformat(doc.period_start)
        fields["BT-74"] = date.fromisoformat(doc.period_end)
    return fields


def transactions_fields(
    docs: list[IssuedDocument],
    customers: Mapping[str, Mapping[str, Any]],
    provider: Mapping[str, Any],
    period: tuple[date, date],
    number: int = 1,
) -> dict[str, Any]:
    """Flux 10.1 of `docs` (pyfrctc's keys): a customer with a VAT number is reported
    document by document (TG-8); one without (a consumer or a business without a VAT
    number, which the 0223 scheme cannot name, G2.33) in the day's aggregated transactions
    (10.3, TG-31: `TPS1` services, `TLB1` goods, totals per VAT rate, credit notes deducted)."""
    detailed = [d for d in docs if _vat_number(customers[d.customer_id])]
    aggregated = [d for d in docs if not _vat_number(customers[d.customer_id])]
    return {
        **_report_document(TRANSACTIONS, period, number, provider),
        "TT-17": period[0],
        "TT-18": period[1],
        "TG-8": [_invoice(d, customers[d.customer_id], provider) for d in detailed],
        "TG-31": _aggregates(aggregated),
    }


def _aggregates(docs: list[IssuedDocument]) -> list[dict[str, Any]]:
    totals: dict[tuple[date, str], dict[Decimal, list[Decimal]]] = {}
    counts: dict[tuple[date, str], int] = {}
    for d in docs:
        key = (d.date, "TLB1" if d.category == "goods" else "TPS1")
        sign = Decimal(-1) if d.type == CREDIT_NOTE else Decimal(1)
        per_rate = totals.setdefault(key, {}).setdefault(d.vat_rate, [Decimal("0.00")] * 2)
        per_rate[0] += sign * d.ht
        per_rate[1] += sign * d.vat
        counts[key] = counts.get(key, 0) + 1
    return [
        {
            "TT-77": day,
            "TT-78": "EUR",
            "TT-81": category,
            "TT-82": _money(sum((v[0] for v in rates.values()), Decimal("0.00"))),
            "TT-83": _money(sum((v[1] for v in rates.values()), Decimal("0.00"))),
            "TT-85": str(counts[(day, category)]),
            "TG-32": [
                {"TT-86": _money(rate), "TT-87": _money(v[0]), "TT-88": _money(v[1])}
                for rate, v in sorted(rates.items())
            ],
        }
        for (day, category), rates in sorted(totals.items())
    ]


def payments_fields(
    payments: list[Payment], provider: Mapping[str, Any], period: tuple[date, date], number: int = 1
) -> dict[str, Any]:
    """Flux 10.2 of `payments` (pyfrctc's keys): one entry per payment."""
    return {
        **_report_document(PAYMENTS, period, number, provider),
        "TT-89": period[0],
        "TT-90": period[1],
        "TG-34": [
            {
                "TT-91": p.invoice.number,
                "TT-102": p.invoice.date,
                "TT-92": p.day,
                "TG-36": [
                    {"TT-93": _money(p.invoice.vat_rate), "TT-94": "EUR", "TT-95": _money(p.amount)}
                ],
            }
            for p in payments
        ],
    }


def reported_events(
    flux: str,
    docs: list[IssuedDocument],
    payments: list[Payment],
    relative_file: str,
    sha256: str,
    period: tuple[date, date],
) -> list[Event]:
    """The `ereported` events of one file: one per document or payment it reports."""
    common = details(file=relative_file, flux=flux, period=f"{period[0]}..{period[1]}")
    events = [
        Event(
            EREPORTED,
            d.date,
            d.customer_id,
            d.number,
            d.ttc if d.type == INVOICE else -d.ttc,
            relative_file,
            sha256,
            f"{TRANSACTIONS}/{d.number}",
            common,
        )
        for d in docs
    ]
    for p in payments:
        for key in (p.key, *p.netted):
            events.append(
                Event(
                    EREPORTED,
                    p.day,
                    p.invoice.customer_id,
                    p.invoice.number,
                    p.amount if key == p.key else Decimal("0.00"),
                    relative_file,
                    sha256,
                    f"{PAYMENTS}/{key}",
                    common if key == p.key else details(netted_into=p.key, **dict(common)),
                )
            )
    return events
