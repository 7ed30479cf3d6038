"""What a dunning letter says (R92), in French, from the letter and the reference data: pure.
Every string the PDF shows comes from here (pipeline.dunning.pdf only lays them out).

- `reminder` (relance amiable): the invoices overdue, their charges to D, a request to pay,
  and when the formal notice follows.
- `formal_notice` (mise en demeure, art. 1344 du Code civil): sent by registered letter with
  acknowledgement of receipt; the sum demanded (principal, late-payment penalties at the
  contract's rate to D, art. L441-10, and the 40 EUR indemnity per invoice, art. D441-5), the
  time given and its last day, the suspension of the services on that day (Article 8.2 of the
  contract) and the recovery proceedings that may follow; penalties keep running.
- `suspension`: the formal notice without effect, the services suspended from D under Article
  8.2, the SIP accounts concerned, the sum to pay for their restoration; the contract and its
  charges go on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pipeline.dunning.levels import FORMAL_NOTICE, REMINDER, SUSPENSION, Letter
from pipeline.dunning.rates import LateRates
from pipeline.exports.einvoice.pdf import day, money

TITLES = {
    REMINDER: "Relance : factures impayées",
    FORMAL_NOTICE: "Mise en demeure de payer",
    SUSPENSION: "Suspension des services pour défaut de paiement",
}
RATE_TEXT = {
    "legal_x3": "trois fois le taux de l'intérêt légal",
    "ecb_plus_10": "le taux de refinancement de la Banque centrale européenne majoré de 10 points",
}


def _eur(value: Decimal) -> str:
    return f"{money(value)} €"


def _lines(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def letter_view(
    letter: Letter,
    customer: dict[str, Any],
    provider: dict[str, Any],
    rates: LateRates,
    sip_accounts: list[str],
    notice_on: date | None = None,
) -> dict[str, Any]:
    """The strings of one letter. `notice_on`: the date of the episode's formal notice (for
    the suspension letter)."""
    total = letter.overdue + letter.interest + letter.indemnity
    rate = RATE_TEXT.get(rates.basis, rates.basis)
    rate_now = f"{money(rates.annual_pct(letter.day))} % l'an"
    rows = [
        {
            "number": c.invoice.number,
            "date": day(c.invoice.date),
            "due": day(c.invoice.due_date),
            "days": str((letter.day - c.invoice.due_date).days),  # past due on D
            "open": money(c.invoice.balance_after(letter.day)),
            "interest": money(c.interest),
            "indemnity": money(c.indemnity),
        }
        for c in letter.charges
    ]
    summary = [
        ("Principal restant dû", _eur(letter.overdue)),
        (f"Pénalités de retard arrêtées au {day(letter.day)}", _eur(letter.interest)),
        ("Indemnités forfaitaires pour frais de recouvrement", _eur(letter.indemnity)),
        ("Total", _eur(total)),
    ]
    penalties = (
        f"Conformément à l'article L441-10 du Code de commerce et à nos conditions, toute somme "
        f"non payée à l'échéance porte de plein droit, dès le lendemain de l'échéance, des "
        f"pénalités de retard au taux de {rate} ({rate_now} à ce jour), et chaque facture payée "
        f"en retard rend le débiteur redevable d'une indemnité forfaitaire pour frais de "
        f"recouvrement de 40 € (article D441-5 du Code de commerce)."
    )
    nxt = day(letter.next_step_on) if letter.next_step_on else ""
    registered = ""
    if letter.level == REMINDER:
        body = [
            "Madame, Monsieur,",
            "Sauf erreur ou omission de notre part, les factures ci-dessous, arrivées à "
            "échéance, restent impayées à ce jour.",
            "Nous vous remercions de bien vouloir procéder à leur règlement dans les meilleurs "
            "délais. Si votre paiement a été effectué entre-temps, nous vous prions de ne pas "
            "tenir compte de la présente relance.",
            penalties,
        ]
        if letter.next_step:
            body.append(
                f"À défaut de règlement, une mise en demeure vous sera adressée à compter du {nxt}."
            )
    elif letter.level == FORMAL_NOTICE:
        registered = "Lettre recommandée avec demande d'avis de réception"
        deadline = (
            f"dans un délai de {(letter.next_step_on - letter.day).days} jours à compter de la "
            f"date de la présente, soit au plus tard le {nxt}"
            if letter.next_step_on
            else "dans un délai de huit jours à compter de la réception de la présente"
        )
        body = [
            "Madame, Monsieur,",
            "Malgré nos précédentes démarches, les factures ci-dessous demeurent impayées à ce "
            "jour.",
            f"Par la présente, nous vous mettons en demeure de nous régler la somme de "
            f"{_eur(total)}, détaillée ci-dessous, {deadline}.",
            penalties + " Les pénalités continuent de courir jusqu'au complet paiement.",
        ]
        if letter.next_step == SUSPENSION:
            body.append(
                f"À défaut de paiement intégral dans ce délai, nous suspendrons l'exécution des "
                f"services, conformément à l'article 8.2 du contrat, à compter du {nxt}, sans "
                f"autre avis, et nous nous réservons le droit d'engager toute procédure de "
                f"recouvrement, notamment judiciaire, les frais en restant à votre charge."
            )
        else:
            body.append(
                "À défaut de paiement intégral dans ce délai, nous nous réservons le droit "
                "d'engager toute procédure de recouvrement, notamment judiciaire, les frais en "
                "restant à votre charge."
            )
        body.append(
            "La présente lettre vaut mise en demeure au sens de l'article 1344 du Code civil et "
            "fait courir les intérêts moratoires."
        )
    else:
        registered = "Lettre recommandée avec demande d'avis de réception"
        notice = f" du {day(notice_on)}" if notice_on else ""
        body = [
            "Madame, Monsieur,",
            f"Notre mise en demeure{notice} est restée sans effet : les factures ci-dessous "
            "demeurent impayées.",
            f"En conséquence, conformément à l'article 8.2 du contrat, nous suspendons "
            f"l'exécution des services à compter du {day(letter.day)}, pour les comptes SIP "
            f"suivants : {', '.join(sip_accounts) or 'tous vos comptes'}.",
            f"Les services seront rétablis après le paiement intégral de la somme de "
            f"{_eur(total)}. La suspension ne met pas fin au contrat : les abonnements et "
            f"locations restent dus pendant la suspension.",
            penalties,
            "Nous nous réservons le droit d'engager toute procédure de recouvrement, notamment "
            "judiciaire, les frais en restant à votre charge.",
        ]
    body.append("Veuillez agréer, Madame, Monsieur, nos salutations distinguées.")
    payment = (
        f"Règlement par virement : IBAN {provider.get('iban', '')}"
        + (f" - BIC {provider['bic']}" if provider.get("bic") else "")
        + " - en rappelant les numéros de factures."
    )
    return {
        "title": TITLES[letter.level],
        "reference": f"{letter.customer_id}-{letter.level}-{letter.day.isoformat()}",
        "registered": registered,
        "place_date": f"Le {day(letter.day)}",
        "seller": {
            "name": provider.get("name", ""),
            "address": _lines(provider.get("address")),
            "ids": [
                x
                for x in (
                    provider.get("rcs"),
                    f"SIREN {provider.get('siren', '')}",
                    provider.get("email"),
                    provider.get("phone"),
                )
                if x
            ],
        },
        "customer": {
            "name": customer.get("name", ""),
            "address": _lines(customer.get("address")),
            "id": f"Client n° {letter.customer_id}",
        },
        "body": body,
        "rows": rows,
        "summary": [{"label": a, "value": b} for a, b in summary],
        "payment": payment,
        "signature": provider.get("name", ""),
    }
