"""`billing explain`: why one CDR was charged what it was, in words a customer service agent
can read out (R10-R25, R41).

Where the facts come from (pipeline.run.explain_call):
- the month is issued (OUT/M/manifest.json exists): its own files, rated_calls.parquet,
  rejects.csv and fair_use.csv, i.e. exactly what was invoiced, even if the data or the rate
  book changed since (pipeline.ledger.issued);
- otherwise the month is computed again from DATA and RATES (nothing is written), with the
  ledger snapshot of the months already issued in OUT for the duplicate check.
Both paths give the same columns, so the text is the same for the same facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pipeline.core.dates import PARIS, Month
from pipeline.core.errors import InputError
from pipeline.core.language import language
from pipeline.core.money import fmt, round_call
from pipeline.exports import french

ALLOWANCE_S = 7200  # R21
LIMITS = {"distinct_numbers": 150, "max_concurrent_calls": 3, "max_registered_devices": 3}
LANGS = ("en", "fr")

# Every sentence of an explanation, in English and in French (the rule ids stay in brackets).
TEXT: dict[str, tuple[str, str]] = {
    "head": ("CDR {cdr}, month {month} ({source})", "Appel {cdr}, mois {month} ({source})"),
    "none": (
        "cdr_id {cdr!r} is neither rated nor rejected in {month} ({source})",
        "l'appel {cdr!r} n'est ni valorisé ni rejeté en {month} ({source})",
    ),
    "rejected": ("  REJECTED {reason} (R41): {detail}", "  REJETÉ {reason} (R41) : {detail}"),
    "where": ("    file {file}, row {row}", "    fichier {file}, enregistrement {row}"),
    "raw": ("    raw: {raw}", "    contenu brut : {raw}"),
    "call": (
        "  call: {direction} on SIP account {sip} (customer {customer}), device {device}, "
        "started {when} (Paris date {day}), {duration} s; file {file}, row {row}",
        "  appel : {direction} sur le compte SIP {sip} (client {customer}), terminal {device}, "
        "début {when} (date à Paris {day}), {duration} s ; fichier {file}, enregistrement {row}",
    ),
    "no_device": ("none", "aucun"),
    "number": ("  number: {callee!r} -> {e164} (R11)", "  numéro : {callee!r} -> {e164} (R11)"),
    "number_e164": ("  number: {e164} (R11)", "  numéro : {e164} (R11)"),
    "invalid": ("not a valid number", "numéro invalide"),
    "destination": (
        "  destination: longest prefix {prefix} -> zone {zone} (R12)",
        "  destination : plus long préfixe {prefix} -> zone {zone} (R12)",
    ),
    "tariff": (
        "  tariff: {zone} valid from {since}: {price} EUR/min, connection {fee} EUR, minimum "
        "{minimum} s, increment {increment} s (R13)",
        "  tarif : {zone} en vigueur depuis le {since} : {price} EUR/min, mise en relation {fee} "
        "EUR, minimum {minimum} s, palier {increment} s (R13)",
    ),
    "tariff_version": (
        "  tariff: {zone} valid from {since} (R13)",
        "  tarif : {zone} en vigueur depuis le {since} (R13)",
    ),
    "reason": ("  reason: {reason} - {text}", "  motif : {reason} - {text}"),
    "because": ("    because: {why}", "    parce que : {why}"),
    "incoming": ("incoming call", "appel entrant"),
    "unanswered": ("not answered (duration 0)", "appel non abouti (durée 0)"),
    "limits": (
        "    limits broken by {sip} this month: {breaches}; {figures}",
        "    limites dépassées par {sip} ce mois-ci : {breaches} ; {figures}",
    ),
    "figure": ("{name} {value} (limit {limit})", "{name} {value} (limite {limit})"),
    "no_plan": (
        "    no unlimited plan of {sip} is in force on {day} (from its order date to the end of "
        "its service)",
        "    aucun forfait illimité de {sip} n'est en vigueur le {day} (de la date de commande à "
        "la fin du service)",
    ),
    "plan": (
        "    plan: subscription {plan} covers {day}; zone {zone} is {where}",
        "    forfait : l'abonnement {plan} couvre le {day} ; la zone {zone} est {where}",
    ),
    "national": (
        "a national zone, in every unlimited plan",
        "une zone nationale, comprise dans tout forfait illimité",
    ),
    "not_included": (
        "neither national nor on the order form's international zones",
        "ni nationale ni parmi les zones internationales du bon de commande",
    ),
    "intl": (
        "on the order form's international zones",
        "parmi les zones internationales du bon de commande",
    ),
    "third_party": (
        "    device {device} is not in devices.csv as supplied by the provider to customer "
        "{customer}",
        "    le terminal {device} ne figure pas dans devices.csv comme fourni par l'opérateur au "
        "client {customer}",
    ),
    "forwarding": (
        "    forwarding allowance: {before} s of {allowance} s used by earlier legs (start time, "
        "then cdr_id); this leg {duration} s, {over} s beyond the allowance",
        "    franchise de renvoi : {before} s sur {allowance} s utilisées par les renvois "
        "précédents (heure de début, puis identifiant) ; ce renvoi {duration} s, dont {over} s "
        "au-delà de la franchise",
    ),
    "nothing": (
        "  amount: {amount} EUR (nothing rated)",
        "  montant : {amount} EUR (rien à valoriser)",
    ),
    "billable": (
        "  billable: rated {rated} s -> max({minimum}, ceil({rated} / {increment}) x "
        "{increment} = {rounded}) = {billable} s (R14)",
        "  durée facturée : {rated} s valorisées -> max({minimum}, arrondi supérieur de "
        "{rated} / {increment} x {increment} = {rounded}) = {billable} s (R14)",
    ),
    "amount": (
        "  amount: {fee} + {price} x {billable} / 60 = {exact} -> {check} EUR (4 decimals, half "
        "away from zero, R14/R2)",
        "  montant : {fee} + {price} x {billable} / 60 = {exact} -> {check} EUR (4 décimales, "
        "arrondi au plus proche, 0,5 vers le haut, R14/R2)",
    ),
    "warning": (
        "  WARNING: the rated amount is {amount} EUR",
        "  ATTENTION : le montant valorisé est {amount} EUR",
    ),
    "amount_only": ("  amount: {amount} EUR (R14)", "  montant : {amount} EUR (R14)"),
}
FIGURE_NAMES = {
    "distinct_numbers": ("distinct numbers", "numéros distincts"),
    "max_concurrent_calls": ("max concurrent calls", "appels simultanés (max)"),
    "max_registered_devices": ("max registered devices", "terminaux enregistrés (max)"),
}
DIRECTIONS = {"out": ("out", "sortant"), "in": ("in", "entrant"), "fwd": ("fwd", "renvoi")}

REASON_TEXT = {
    "NOT_CHARGEABLE": (
        "never charged (R10, R16 step 0)",
        "jamais facturé (R10, R16 étape 0)",
    ),
    "FREE": (
        "the zone's tariff is 0: never charged (R16 step 1)",
        "le tarif de la zone est nul : jamais facturé (R16 étape 1)",
    ),
    "TELECOM_PROFESSIONAL": (
        "the customer is a telecom professional: plans never apply (R16 step 2)",
        "le client est un professionnel des télécoms : les forfaits ne s'appliquent jamais "
        "(R16 étape 2)",
    ),
    "NO_PLAN": (
        "no unlimited plan of this SIP account covers the call's date (R15, R16 step 3)",
        "aucun forfait illimité de ce compte SIP ne couvre la date de l'appel (R15, R16 étape 3)",
    ),
    "FAIR_USE_DISTINCT_NUMBERS": (
        "the SIP account called more than 150 different numbers this month: the plan does not "
        "apply to any of its calls (R20, R16 step 4)",
        "le compte SIP a appelé plus de 150 numéros différents ce mois-ci : le forfait ne "
        "s'applique à aucun de ses appels (R20, R16 étape 4)",
    ),
    "FAIR_USE_CONCURRENT_CALLS": (
        "the SIP account had more than 3 calls in progress at one instant this month: the plan "
        "does not apply (R22, R16 step 4)",
        "le compte SIP a eu plus de 3 appels simultanés ce mois-ci : le forfait ne s'applique "
        "pas (R22, R16 étape 4)",
    ),
    "FAIR_USE_DEVICES": (
        "the SIP account had more than 3 devices registered at one instant this month: the "
        "plan does not apply (R23, R16 step 4)",
        "le compte SIP a eu plus de 3 terminaux enregistrés en même temps ce mois-ci : le "
        "forfait ne s'applique pas (R23, R16 étape 4)",
    ),
    "THIRD_PARTY_DEVICE": (
        "placed from a device the provider did not supply to this customer: charged per "
        "minute, plan or not (R24, R16 step 5)",
        "passé depuis un terminal que l'opérateur n'a pas fourni à ce client : facturé à la "
        "minute, forfait ou non (R24, R16 étape 5)",
    ),
    "OUT_OF_PLAN": (
        "the zone is not included in the plan (R15, R16 step 6)",
        "la zone n'est pas comprise dans le forfait (R15, R16 étape 6)",
    ),
    "FORWARDING_OVER_FAIR_USE": (
        "forwarded leg beyond the 2 h monthly forwarding allowance (R21, R16 step 7)",
        "renvoi au-delà des 2 h de renvoi comprises chaque mois (R21, R16 étape 7)",
    ),
    "INCLUDED": (
        "covered by the unlimited plan: amount 0 (R15, R16 step 8)",
        "compris dans le forfait illimité : montant 0 (R15, R16 étape 8)",
    ),
}


# Details of rejects.csv the workbook does not translate (pipeline.exports.french's list is
# frozen: a new translation there would change the workbook of an issued month on a re-run).
_MORE_DETAILS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"zone (.*) has no tariff valid on (\d{4})-(\d{2})-(\d{2}) \(R13\)"),
        lambda m: f"la zone {m[1]} n'a aucun tarif en vigueur le {m[4]}/{m[3]}/{m[2]} (R13)",
    ),
]


def reject_detail(detail: str, lang: str) -> str:
    """A detail of rejects.csv as explain shows it: stored in English (an issued file's
    content, compared on re-runs and audits: docs/language.md), said in French when `lang` is
    French; a detail no pattern knows is shown as stored."""
    if lang != "fr" or not detail:
        return detail
    for pattern, say_fr in _MORE_DETAILS:
        match = pattern.fullmatch(detail)
        if match:
            return say_fr(match)
    return french.reject_detail(detail) or detail


class _Words:
    """The sentences of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.i = LANGS.index(lang)

    def __call__(self, key: str, **values: Any) -> str:
        return TEXT[key][self.i].format(**values)

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[self.i]


def explain_text(
    month: Month,
    cdr_id: str,
    source: str,
    rated: list[dict[str, Any]],
    rejected: list[dict[str, Any]],
    fair_use: dict[str, dict[str, Any]],
    lang: str | None = None,
) -> str:
    """The explanation of `cdr_id` in `month` from its facts (pipeline.run.explain_call
    gathers them from the issued month or from a computation of a month not issued), in
    French or English (`lang`; default: the language of every message, French unless
    `billing --lang en` or BILLING_LANG=en); the codes and rule ids are the same in both."""
    t = _Words(lang or language())
    if not rated and not rejected:
        raise InputError(t("none", cdr=cdr_id, month=month, source=source))
    lines = [t("head", cdr=cdr_id, month=month, source=source)]
    for row in rated:
        lines += _explain_rated(t, row, fair_use.get(row["sip_account"]))
    for row in rejected:
        lines += _explain_rejected(t, row)
    return "\n".join(lines)


def _explain_rejected(t: _Words, row: dict[str, Any]) -> list[str]:
    return [
        t("rejected", reason=row["reason"], detail=reject_detail(row.get("detail") or "", t.lang)),
        t("where", file=row["source_file"], row=row["row_number"]),
        t("raw", raw=row["raw"]),
    ]


def _explain_rated(t: _Words, row: dict[str, Any], fair_use: dict[str, Any] | None) -> list[str]:
    # A row of rated_calls.parquet alone (its month's archive could not be rated again,
    # pipeline.run.explain_call) lacks the device, the number as dialled, the tariff's figures,
    # the plan and the forwarding allowance: those lines say "?" or are left out.
    g = row.get
    start = g("start_time")
    when = start.astimezone(PARIS).isoformat() if start is not None else "?"
    day = g("call_date") or (start.astimezone(PARIS).date() if start is not None else "?")
    direction = g("direction")
    device = (g("device_id") or t.pick(TEXT["no_device"])) if "device_id" in row else "?"
    e164 = g("callee_e164") or t.pick(TEXT["invalid"])
    lines = [
        t(
            "call",
            direction=t.pick(DIRECTIONS.get(direction, (direction, direction))),
            sip=g("sip_account"),
            customer=g("customer_id"),
            device=device,
            when=when,
            day=day,
            duration=g("duration_s"),
            file=g("source_file"),
            row=g("row_number"),
        ),
        t("number", callee=g("callee"), e164=e164)
        if "callee" in row
        else t("number_e164", e164=e164),
    ]
    if g("zone"):
        lines.append(t("destination", prefix=g("prefix"), zone=g("zone")))
    if g("tariff_valid_from") is not None and "price_per_min_eur" not in row:
        lines.append(t("tariff_version", zone=g("zone"), since=g("tariff_valid_from")))
    elif g("tariff_valid_from") is not None:
        lines.append(
            t(
                "tariff",
                zone=g("zone"),
                since=g("tariff_valid_from"),
                price=_eur(g("price_per_min_eur")),
                fee=_eur(g("connection_fee_eur")),
                minimum=g("min_billable_s"),
                increment=g("increment_s"),
            )
        )
    reason = g("reason")
    lines.append(t("reason", reason=reason, text=t.pick(REASON_TEXT.get(reason, ("", "")))))
    lines += _why(t, row, fair_use)
    lines += _arithmetic(t, row)
    return lines


def _why(t: _Words, row: dict[str, Any], fair_use: dict[str, Any] | None) -> list[str]:
    g = row.get
    reason = g("reason")
    lines = []
    if reason == "NOT_CHARGEABLE":
        why = t.pick(TEXT["incoming"] if g("direction") == "in" else TEXT["unanswered"])
        lines.append(t("because", why=why))
    if reason.startswith("FAIR_USE") or reason == "FORWARDING_OVER_FAIR_USE":
        if fair_use:
            figures = ", ".join(
                t("figure", name=t.pick(FIGURE_NAMES[name]), value=fair_use[name], limit=limit)
                for name, limit in LIMITS.items()
            )
            lines.append(
                t("limits", sip=g("sip_account"), breaches=fair_use["breaches"], figures=figures)
            )
    plan_known = "plan_subscription_id" in row
    if plan_known and reason in ("NO_PLAN", "OUT_OF_PLAN", "INCLUDED", "FORWARDING_OVER_FAIR_USE"):
        plan = g("plan_subscription_id")
        if plan is None:
            lines.append(t("no_plan", sip=g("sip_account"), day=g("call_date")))
        else:
            if g("national_plan_zone"):
                where = TEXT["national"]
            elif reason == "OUT_OF_PLAN":
                where = TEXT["not_included"]
            else:
                where = TEXT["intl"]
            lines.append(
                t("plan", plan=plan, day=g("call_date"), zone=g("zone"), where=t.pick(where))
            )
    if reason == "THIRD_PARTY_DEVICE":
        lines.append(t("third_party", device=g("device_id") or "?", customer=g("customer_id")))
    if g("direction") == "fwd" and g("forwarding_consumed_before_s") is not None:
        lines.append(
            t(
                "forwarding",
                before=int(g("forwarding_consumed_before_s")),
                allowance=ALLOWANCE_S,
                duration=g("duration_s"),
                over=int(g("forwarded_over_s") or 0),
            )
        )
    return lines


def _arithmetic(t: _Words, row: dict[str, Any]) -> list[str]:
    g = row.get
    amount = g("amount")
    amount = Decimal(str(amount)) if amount is not None else None
    rated, billable = g("rated_seconds"), g("billable_seconds")
    if not billable:
        return [t("nothing", amount=fmt(amount) if amount is not None else "0")]
    price, fee = g("price_per_min_eur"), g("connection_fee_eur")
    minimum, increment = g("min_billable_s"), g("increment_s")
    lines = []
    if minimum is not None and increment is not None:
        rounded = -(-int(rated) // int(increment)) * int(increment)
        lines.append(
            t(
                "billable",
                rated=rated,
                minimum=minimum,
                increment=increment,
                rounded=rounded,
                billable=billable,
            )
        )
    if price is not None and fee is not None:
        price, fee = Decimal(str(price)), Decimal(str(fee))
        exact = fee + price * Decimal(int(billable)) / Decimal(60)
        check = round_call(exact)
        lines.append(
            t(
                "amount",
                fee=_eur(fee),
                price=_eur(price),
                billable=billable,
                exact=_exact(exact),
                check=fmt(check),
            )
        )
        if amount is not None and check != amount:
            lines.append(t("warning", amount=fmt(amount)))
    else:
        lines.append(t("amount_only", amount=fmt(amount)))
    return lines


def _eur(value: Any) -> str:
    return fmt(Decimal(str(value))) if value is not None else "?"


def _exact(value: Decimal) -> str:
    """An exact quotient, or its first 8 decimals followed by '...'."""
    short = value.quantize(Decimal("0.00000001"))
    if short == value:
        return fmt(short.normalize())
    return fmt(short) + "..."
