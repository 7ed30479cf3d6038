"""The fraud watch (R26-R27): `billing watch --date D`, each rule on its boundary, on tiny
hand-made data (tests/conftest.py: C1 holds the unlimited plan on sip-1, C2 has no plan on
sip-2). The watched day is 2026-11-04 (Europe/Paris, UTC+01:00).

sip-2 calls Belgium fixed (32..., 0.0400/min, minimum 60 s, per second): a call of s seconds
costs s / 1500 EUR, rounded to 4 decimals (R14)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from pipeline.core import data_contract as contract
from pipeline.ledger.compare import rated_calls_differences
from tests.conftest import Workspace, cli, header, write_rows

DAY = "2026-11-04"
# rates/high_risk_prefixes.csv of the tests: one ITU code (a zone of its own, rated)
HIGH_RISK = [
    header(contract.HIGH_RISK_PREFIXES),
    ["882", "IRSF - indicatif UIT 882 (réseaux internationaux)", "ITU-T E.164"],
]


def prepare(ws: Workspace) -> Workspace:
    write_rows(ws.rates / contract.HIGH_RISK_PREFIXES.name, HIGH_RISK)
    ws.add_zone("882", "INTL_SPECIAL", "Réseaux internationaux", "2025-01-01", "1.5000", "0.0000",
                "60", "60", "false")  # fmt: skip
    return ws


@pytest.fixture
def wsw(ws: Workspace) -> Workspace:
    return prepare(ws)


def cdr(n: int, when: str, callee: str = "+32 2 123 45 00", seconds: int = 60,
        account: str = "sip-2", direction: str = "out") -> list[str]:  # fmt: skip
    """A CDR of `account` started at `when` (local time of 2026-11-04 unless a date is given)."""
    start = when if "T" in when else f"{DAY}T{when}+01:00"
    return [f"w{n:03d}", account, direction, "0145000000", callee, start, str(seconds), ""]


def watch(ws: Workspace, day: str = DAY):
    return cli("watch", "--date", day, "--data", str(ws.data), "--out", str(ws.out),
               "--rates", str(ws.rates))  # fmt: skip


def alerts(ws: Workspace, day: str = DAY) -> list[dict[str, str]]:
    with open(ws.out / "watch" / day / "alerts.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def figures(ws: Workspace, day: str = DAY) -> list[tuple[str, ...]]:
    return [
        (
            a["sip_account"],
            a["rule"],
            a["severity"],
            a["value"],
            a["threshold"],
            a["first_cdr_id"],
            a["last_cdr_id"],
        )  # fmt: skip
        for a in alerts(ws, day)
    ]


def suspended(ws: Workspace, day: str = DAY) -> list[dict[str, str]]:
    with open(ws.out / "watch" / day / "suspend.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- NIGHT_INTERNATIONAL: more than 10 answered calls to non-French zones, 22:00-06:00 -------


def night_calls(count: int) -> list[list[str]]:
    """`count` answered calls to Belgium, 60 s each, from 22:00, a minute apart (distinct
    numbers far apart: no sweep)."""
    return [cdr(i, f"22:{i:02d}:00", f"+32 {i + 2} 123 45 00") for i in range(count)]


def test_r26_night_international_10th_call_no_alert(wsw):
    # 10 night calls, and three that are not night calls to the non-French zones: 06:00:00 is
    # day, 21:59:59 is day, a French mobile at 23:30 is national; an unanswered one at 05:00
    rows = night_calls(10) + [
        cdr(50, "06:00:00"),
        cdr(51, "21:59:59"),
        cdr(52, "23:30:00", "0612345678"),
        cdr(53, "05:00:00", seconds=0),
    ]
    wsw.cdrs("2026-11", rows)
    result = watch(wsw)
    assert result.exit_code == 0, result.output
    assert figures(wsw) == []
    assert suspended(wsw) == []


def test_r26_night_international_11th_call_alerts(wsw):
    # the 11th: 05:59:59 of the same day (the night of D: before 06:00 and from 22:00)
    wsw.cdrs("2026-11", night_calls(10) + [cdr(60, "05:59:59")])
    result = watch(wsw)
    assert result.exit_code == 0, result.output  # a warning pages no one
    assert figures(wsw) == [
        ("sip-2", "NIGHT_INTERNATIONAL", "warning", "11", "10", "w060", "w009"),
    ]
    assert suspended(wsw) == []


# --- NUMBER_SWEEP: more than 20 distinct numbers within one hour, all digits but the last two --


def sweep(count: int, minutes_apart: float = 2.9, first: int = 0) -> list[list[str]]:
    """`count` calls to +32 2 123 45 00..NN (one number each), from 10:00, some unanswered."""
    rows = []
    for i in range(count):
        seconds = int(i * minutes_apart * 60)
        when = f"{10 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        rows.append(cdr(first + i, when, f"+32 2 123 45 {i:02d}", seconds=(i % 2) * 30))
    return rows


def test_r26_number_sweep_20_numbers_no_alert(wsw):
    wsw.cdrs("2026-11", sweep(20))
    result = watch(wsw)
    assert result.exit_code == 0, result.output
    assert figures(wsw) == []


def test_r26_number_sweep_21_numbers_within_one_hour_critical(wsw):
    # 21 numbers from 10:00:00 to 10:58:00 (2.9 minutes apart): critical, exit 1
    wsw.cdrs("2026-11", sweep(21))
    result = watch(wsw)
    assert result.exit_code == 1, result.output
    assert figures(wsw) == [("sip-2", "NUMBER_SWEEP", "critical", "21", "20", "w000", "w020")]
    assert suspended(wsw) == [
        {
            "customer_id": "C2",
            "sip_account": "sip-2",
            "reason": "NUMBER_SWEEP",
            "since": "2026-11-04T10:00:00+01:00",
        }
    ]


def test_r26_number_sweep_21_numbers_across_two_hours_no_alert(wsw):
    # 21 numbers 3 minutes apart: 10:00:00 .. 11:00:00; a window is [t, t + 60 min), so no
    # window holds more than 20 of them
    wsw.cdrs("2026-11", sweep(21, minutes_apart=3))
    result = watch(wsw)
    assert result.exit_code == 0, result.output
    assert figures(wsw) == []


# --- HIGH_RISK_DESTINATION (critical) and the exit code of a critical alert -----------------


def test_r26_high_risk_destination_critical_exit_1(wsw):
    wsw.cdrs(
        "2026-11",
        [
            cdr(1, "03:10:00", "+882 16 0000 0001", seconds=600),
            cdr(2, "03:20:00", "00882160000002", seconds=300),
            cdr(3, "03:30:00", "+882 16 0000 0003", seconds=0),  # not answered: not counted
            cdr(4, "2026-11-03T23:00:00+01:00", "+882 16 0000 0004", seconds=60),  # the day before
        ],
    )
    result = watch(wsw)
    assert result.exit_code == 1, result.output
    assert figures(wsw) == [
        ("sip-2", "HIGH_RISK_DESTINATION", "critical", "2", "0", "w001", "w002"),
    ]
    assert suspended(wsw) == [
        {
            "customer_id": "C2",
            "sip_account": "sip-2",
            "reason": "HIGH_RISK_DESTINATION",
            "since": "2026-11-04T03:10:00+01:00",
        }
    ]
    summary = (wsw.out / "watch" / DAY / "summary.md").read_text(encoding="utf-8")
    assert "suspendre le compte SIP au titre de l'article 8.2" in summary
    assert "**sip-2** (client C2)" in summary


# --- SPEND_SPIKE: 5 x the average charged per day of the issued months, above 50 EUR ---------


@pytest.fixture(scope="module")
def october(tmp_path_factory) -> Workspace:
    """October 2026 issued: sip-2 charged 384.40 EUR = 576,600 s to Belgium (six calls of
    86,400 s and one of 58,200 s, back to back: never two at once), 12.40 EUR a day over its
    31 days: the spike threshold is 5 x 12.40 = 62.00, critical above 124.00."""
    ws = prepare(Workspace(tmp_path_factory.mktemp("october")))
    rows = [cdr(100 + i, f"2026-10-0{i + 1}T00:00:00+02:00", seconds=86_400) for i in range(6)]
    rows.append(cdr(106, "2026-10-07T00:00:00+02:00", seconds=58_200))
    ws.cdrs("2026-10", rows)
    ws.bill_months("2026-10")
    return ws


def spend(ws: Workspace, *seconds: int) -> None:
    """Calls to Belgium on the day, 8 hours apart from 00:30 (at most 3 at once)."""
    ws.cdrs("2026-11", [cdr(i, f"{i * 8:02d}:30:00", seconds=s) for i, s in enumerate(seconds)])


def test_r26_spend_spike_exactly_5x_no_alert(october, tmp_path):
    ws = october.copy(tmp_path / "ws")
    spend(ws, 46_500, 46_500)  # 31.0000 + 31.0000 = 62.0000 = 5 x 12.40: not above
    result = watch(ws)
    assert result.exit_code == 0, result.output
    assert figures(ws) == []


def test_r26_spend_spike_just_over_5x_warning(october, tmp_path):
    ws = october.copy(tmp_path / "ws")
    spend(ws, 46_500, 46_501)  # 31.0000 + 31.0007 (46,501 / 1500 = 31.00066..) = 62.0007
    result = watch(ws)
    assert result.exit_code == 0, result.output
    assert figures(ws) == [("sip-2", "SPEND_SPIKE", "warning", "62.0007", "62.00", "w000", "w001")]
    assert alerts(ws)[0]["detail"] == (
        "62.0007 EUR facturables sur 2 appel(s) ; moyenne 12.40 EUR/jour sur 2026-10"
    )


def test_r26_spend_spike_over_10x_critical(october, tmp_path):
    ws = october.copy(tmp_path / "ws")
    spend(ws, 86_400, 86_400, 13_501)  # 57.6000 + 57.6000 + 9.0007 = 124.2007 > 124.00
    result = watch(ws)
    assert result.exit_code == 1, result.output
    assert figures(ws) == [
        ("sip-2", "SPEND_SPIKE", "critical", "124.2007", "124.00", "w000", "w002"),
    ]


def test_r26_spend_spike_account_without_history_floor_alone(wsw):
    # no issued month: an average of 0, the 50 EUR floor alone; 75,000 s = 50.0000 is not above
    spend(wsw, 75_000)
    assert watch(wsw).exit_code == 0
    assert figures(wsw) == []
    spend(wsw, 75_001)  # 50.0007: above the floor and 10 x 0: critical
    result = watch(wsw)
    assert result.exit_code == 1, result.output
    assert figures(wsw) == [
        ("sip-2", "SPEND_SPIKE", "critical", "50.0007", "50.00", "w000", "w000")
    ]


# --- CONCURRENCY: more calls at once than 3 and than the account's own maximum + 2 ------------


def test_r26_concurrency_over_3_without_history(wsw):
    # four calls of 10 minutes from 14:00, 14:01, 14:02, 14:03 (in progress at once from 14:03);
    # an incoming call counts (R22); the fifth starts at 14:10:00 when the first ends
    rows = [cdr(i, f"14:0{i}:00", f"+32 {i + 2} 999 99 99", seconds=600) for i in range(3)]
    rows += [cdr(3, "14:03:00", "0145000000", seconds=600, direction="in")]
    rows += [cdr(4, "14:10:00", "+32 9 999 99 99", seconds=60)]
    wsw.cdrs("2026-11", rows)
    result = watch(wsw)
    assert result.exit_code == 0, result.output
    assert figures(wsw) == [("sip-2", "CONCURRENCY", "warning", "4", "3", "w000", "w003")]


def test_r26_concurrency_3_calls_no_alert(wsw):
    rows = [cdr(i, f"14:0{i}:00", f"+32 {i + 2} 999 99 99", seconds=600) for i in range(3)]
    rows += [cdr(3, "14:10:00", "+32 9 999 99 99", seconds=600)]  # starts as the first ends
    wsw.cdrs("2026-11", rows)
    assert watch(wsw).exit_code == 0
    assert figures(wsw) == []


# --- bad input (R42): exit 2, one line naming the file and the key ---------------------------


def test_r26_bad_watch_threshold_exit_2(wsw):
    wsw.cdrs("2026-11", [])
    provider = wsw.data / "provider.toml"
    provider.write_text(
        provider.read_text(encoding="utf-8") + "\n[watch]\nwatch_night_calls = -1\n",
        encoding="utf-8",
    )
    result = watch(wsw)
    assert result.exit_code == 2
    assert (
        "provider.toml : [watch] watch_night_calls = -1 : attendu un nombre entier" in result.output
    )
    assert not (wsw.out / "watch").exists()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["S112", "urgences", "x"], ", ligne 3 : préfixe 'S112' : chiffres E.164 attendus"),
        (["882", "again", "x"], ", ligne 3 : prefix 882 en double (déjà à la ligne 2)"),
    ],
)
def test_r26_bad_high_risk_prefix_exit_2(wsw, row, problem):
    wsw.cdrs("2026-11", [])
    write_rows(wsw.rates / contract.HIGH_RISK_PREFIXES.name, [*HIGH_RISK, row])
    result = watch(wsw)
    assert result.exit_code == 2
    assert f"high_risk_prefixes.csv{problem}" in result.output


# --- R27: nothing issued is touched, an alert never changes an amount ------------------------


def hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_r27_nothing_written_under_the_month_or_the_ledger(october, tmp_path):
    ws = october.copy(tmp_path / "ws")
    ws.cdrs("2026-11", sweep(21))
    before = hashes(ws.out)
    assert watch(ws, "2026-10-31").exit_code == 0  # a day of the issued month itself
    assert watch(ws).exit_code == 1
    after = hashes(ws.out)
    assert {k: v for k, v in after.items() if not k.startswith("watch/")} == before
    assert sorted(k for k in after if k.startswith("watch/")) == [
        f"watch/{d}/{name}"
        for d in ("2026-10-31", DAY)
        for name in ("alerts.csv", "summary.md", "suspend.csv")
    ]


@pytest.mark.slow  # two bills and a watch: about 3 s
def test_r27_month_billed_after_a_watch_is_identical(wsw, tmp_path):
    wsw.cdrs("2026-11", sweep(21) + night_calls(11) + [cdr(90, "03:00:00", "+882 16 0000 0001")])
    untouched = wsw.copy(tmp_path / "without")
    assert watch(wsw).exit_code == 1
    wsw.bill_months("2026-11")
    untouched.bill_months("2026-11")
    issued, alone = wsw.out / "2026-11", untouched.out / "2026-11"
    # rated_calls.parquet's rows come in no fixed order (issue 18, decision 1): by content,
    # and the manifest, which hashes it, by everything else; every other file byte for byte
    unordered = ("rated_calls.parquet", "manifest.json")
    assert (
        rated_calls_differences(issued / "rated_calls.parquet", alone / "rated_calls.parquet") == []
    )
    assert {k: v for k, v in hashes(issued).items() if k not in unordered} == {
        k: v for k, v in hashes(alone).items() if k not in unordered
    }
    manifests = [
        json.loads((f / "manifest.json").read_text(encoding="utf-8")) for f in (issued, alone)
    ]
    for m in manifests:
        m["outputs"].pop("rated_calls.parquet")
    assert manifests[0] == manifests[1]


# --- the sample story (data_samples/README.md): the hijacked night of 2026-11-04 -------------


def sample_watch(day: str, out: Path):
    from tests.conftest import SAMPLE_DATA, SAMPLE_RATES

    return cli("watch", "--date", day, "--data", str(SAMPLE_DATA), "--out", str(out),
               "--rates", str(SAMPLE_RATES))  # fmt: skip


def test_r26_sample_hijacked_night_flags_exactly_one_account(tmp_path):
    result = sample_watch(DAY, tmp_path / "out")
    assert result.exit_code == 1, result.output
    folder = tmp_path / "out" / "watch" / DAY
    with open(folder / "suspend.csv", encoding="utf-8", newline="") as f:
        assert list(csv.DictReader(f)) == [
            {
                "customer_id": "C033",
                "sip_account": "sip-C033-01",
                "reason": "HIGH_RISK_DESTINATION;NUMBER_SWEEP;SPEND_SPIKE",
                "since": "2026-11-04T01:00:00+01:00",
            }
        ]
    with open(folder / "alerts.csv", encoding="utf-8", newline="") as f:
        assert {(a["sip_account"], a["rule"], a["severity"]) for a in csv.DictReader(f)} == {
            ("sip-C033-01", "HIGH_RISK_DESTINATION", "critical"),
            ("sip-C033-01", "NUMBER_SWEEP", "critical"),
            ("sip-C033-01", "SPEND_SPIKE", "critical"),
            ("sip-C033-01", "NIGHT_INTERNATIONAL", "warning"),
            ("sip-C033-01", "CONCURRENCY", "warning"),
        }


@pytest.mark.slow  # the sample's month to date: about 1.5 s
def test_r26_sample_ordinary_day_flags_nothing_critical(tmp_path):
    ordinary = sample_watch("2026-11-03", tmp_path / "out")
    assert ordinary.exit_code == 0, ordinary.output
    assert (tmp_path / "out" / "watch" / "2026-11-03" / "suspend.csv").read_text() == (
        "customer_id,sip_account,reason,since\n"
    )
