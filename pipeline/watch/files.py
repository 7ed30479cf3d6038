"""Writing a day's watch (R26) into its folder, OUT/watch/{D}/: alerts.csv, suspend.csv and a
one-page French summary, summary.md. Each file is written beside itself and renamed into
place, so a reader never sees half a file; a watch run again for the same day replaces them
(a watch is a report, not an issued document: R27)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pipeline.core.data_contract import WATCH_ALERTS, WATCH_SUMMARY, WATCH_SUSPEND
from pipeline.watch.rules import Alert, Baselines, local_time

RULE_TEXT = {
    "HIGH_RISK_DESTINATION": "appels vers des numéros surtaxés ou à risque (IRSF)",
    "NUMBER_SWEEP": "balayage de numéros voisins",
    "SPEND_SPIKE": "montant facturable du jour anormal",
    "NIGHT_INTERNATIONAL": "appels internationaux de nuit",
    "CONCURRENCY": "appels simultanés anormaux",
}


def suspensions(alerts: Sequence[Alert]) -> list[dict[str, str]]:
    """suspend.csv: each account with a critical alert, its rules and the start of its first
    critical call (Article 8.2)."""
    by_account: dict[str, list[Alert]] = {}
    for alert in alerts:
        if alert.critical:
            by_account.setdefault(alert.sip_account, []).append(alert)
    return [
        {
            "customer_id": found[0].customer_id,
            "sip_account": account,
            "reason": ";".join(a.rule for a in found),
            "since": local_time(min(a.first_start_time for a in found)),
        }
        for account, found in sorted(by_account.items())
    ]


def _csv(rows: Sequence[dict[str, str]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def summary(day: date, calls: int, alerts: Sequence[Alert], baselines: Baselines) -> str:
    """The one-page French summary for the operations team."""
    suspend = suspensions(alerts)
    history = (
        f"historique : mois émis {', '.join(baselines.months)} ({baselines.days} jours)"
        if baselines.months
        else "aucun mois émis dans les 90 jours : les planchers seuls"
    )
    lines = [
        f"# Veille fraude du {day.isoformat()}",
        "",
        f"{calls} appels valorisés ce jour (Europe/Paris), comme la facture les valorise ; "
        f"{history}. Aucun montant n'est modifié par une alerte (R27).",
        "",
    ]
    if not alerts:
        return "\n".join([*lines, "Aucune alerte.", ""])
    critical = [a for a in alerts if a.critical]
    lines += [
        f"**{len(alerts)} alerte(s), dont {len(critical)} critique(s) ; "
        f"{len(suspend)} compte(s) SIP à suspendre.**",
        "",
    ]
    if suspend:
        lines += ["## À faire maintenant", ""]
        for row in suspend:
            lines.append(
                f"- **{row['sip_account']}** (client {row['customer_id']}) : suspendre le compte "
                f"SIP au titre de l'article 8.2 (suspicion de piratage), puis appeler le client "
                f"pour vérifier ses appels depuis {row['since']} ; motifs : {row['reason']}."
            )
        lines.append("")
    lines += [
        "## Alertes",
        "",
        "| compte SIP | client | règle | gravité | valeur | seuil | premier appel | dernier appel |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in alerts:
        lines.append(
            f"| {a.sip_account} | {a.customer_id} | {a.rule} | {a.severity} | {a.value} | "
            f"{a.threshold} | {a.first_cdr_id} ({local_time(a.first_start_time)}) | "
            f"{a.last_cdr_id} ({local_time(a.last_start_time)}) |"
        )
    lines += ["", "## Détail", ""]
    for a in alerts:
        lines.append(f"- {a.sip_account}, {RULE_TEXT[a.rule]} : {a.detail}.")
    lines += [
        "",
        "Les alertes non critiques sont à examiner ; seules les critiques figurent dans "
        "suspend.csv. Les règles et leurs seuils : docs/watch.md, `[watch]` de provider.toml.",
        "",
    ]
    return "\n".join(lines)


def write_watch(
    folder: Path, day: date, calls: int, alerts: Sequence[Alert], baselines: Baselines
) -> list[Path]:
    """Write the day's three files into `folder` (OUT/watch/{D}/); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        WATCH_ALERTS.name: _csv([a.row() for a in alerts], WATCH_ALERTS.names),
        WATCH_SUSPEND.name: _csv(suspensions(alerts), WATCH_SUSPEND.names),
        WATCH_SUMMARY: summary(day, calls, alerts, baselines),
    }
    written = []
    for name, text in contents.items():
        path = folder / name
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
