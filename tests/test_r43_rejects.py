"""R43 (issue 26 item 1): a CDR file more than max_rejected_pct (provider.toml, default 50) of
whose rows are rejected stops the month before anything is issued (exit 1), naming the file,
its counts and its first reasons; so does the month as a whole. Duplicates are not rejects.
`--accept-rejects` issues anyway, the manifest records it, and the month billed again or
audited is identical.

Workspace of tests/conftest.py: C2 (sip-2, no plan) calls a Paris fixed number, NO_PLAN; a
duration of "abc" is MALFORMED, -5 NEGATIVE_DURATION.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.billing.month import over_limit
from pipeline.core import language
from tests.conftest import Workspace

OCT = "2026-10"


@pytest.fixture(autouse=True)
def french(monkeypatch):
    """The default language, whatever an earlier test of the worker chose."""
    monkeypatch.setattr(language, "_chosen", None)
    monkeypatch.delenv("BILLING_LANG", raising=False)


def fr_call(cdr_id: str, seconds: int | str = 60) -> list[str]:
    return [cdr_id, "sip-2", "out", "003225000000", "01 45 67 89 10"] + [
        "2026-10-05T10:00:00+02:00",
        str(seconds),
        "",
    ]


def good(*ids: str) -> list[list[str]]:
    return [fr_call(i) for i in ids]


def malformed(*ids: str) -> list[list[str]]:
    return [fr_call(i, "abc") for i in ids]


def manifest(ws: Workspace, month: str = OCT) -> dict:
    return json.loads((ws.out / month / "manifest.json").read_text(encoding="utf-8"))


def set_limit(ws: Workspace, limit: int) -> None:
    with open(ws.data / "provider.toml", "a", encoding="utf-8") as handle:
        handle.write(f"max_rejected_pct = {limit}\n")


# a.csv: 10 calls, all rated; b.csv: 3 of its 4 rows rejected (75 %), its first reject on its
# second row (line 3 of the file). The month: 3 of 14 rows rejected (21.4 %), under 50 %.
A_CSV = good(*(f"a{i}" for i in range(10)))
B_CSV = good("b1") + malformed("x1") + [fr_call("x2", -5)] + malformed("x3")


def one_file_mostly_rejected(ws: Workspace) -> None:
    ws.cdrs(OCT, A_CSV, name="a.csv")
    ws.cdrs(OCT, B_CSV, name="b.csv")


@pytest.mark.parametrize(
    "limit, at_limit",
    [(None, 5), (20, 2), (0, 0)],
    ids=["default 50 %: 5 of 10", "20 %: 2 of 10", "0 %: none"],
)
def test_r43_a_file_exactly_at_the_limit_is_issued_one_rejected_row_more_stops(
    tmp_path, limit, at_limit
):
    for rejected, exit_code in ((at_limit, 0), (at_limit + 1, 1)):
        ws = Workspace(tmp_path / f"{rejected}-rejected")
        if limit is not None:
            set_limit(ws, limit)
        ids = [f"c{i}" for i in range(10)]
        ws.cdrs(OCT, malformed(*ids[:rejected]) + good(*ids[rejected:]))
        result = ws.bill(OCT)
        assert result.exit_code == exit_code, result.output
        assert (ws.out / OCT).exists() == (exit_code == 0)
    share = (at_limit + 1) * 10
    assert f"plus de {limit if limit is not None else 50} % de lignes rejetées" in result.output
    assert (
        f"cdrs/{OCT}/cdrs.csv : {at_limit + 1} lignes rejetées sur 10 lues ({share} %) ; "
        f"motifs : MALFORMED {at_limit + 1} ; premier rejet : ligne 2 (enregistrement 1), "
        "MALFORMED (" in result.output
    )


def test_r43_one_file_over_the_limit_stops_a_month_under_it_naming_the_file(ws):
    one_file_mostly_rejected(ws)
    result = ws.bill(OCT)
    assert result.exit_code == 1, result.output
    assert not (ws.out / OCT).exists()  # nothing published
    assert not any(p.name.startswith(".") for p in ws.out.glob("*") if p.is_dir())
    lines = result.output.splitlines()
    assert lines[0] == (
        f"erreur : {OCT} : 1 fichier CDR a plus de 50 % de lignes rejetées (max_rejected_pct de "
        "provider.toml ; les doublons ne comptent pas) : le mois n'est pas émis (R43)."
    )
    raw = ",".join(B_CSV[1])
    assert lines[1] == (
        f"  cdrs/{OCT}/b.csv : 3 lignes rejetées sur 4 lues (75 %) ; motifs : MALFORMED 2, "
        "NEGATIVE_DURATION 1 ; premier rejet : ligne 3 (enregistrement 2), MALFORMED "
        f"(duration_s is not a whole number) : « {raw} »"
    )
    assert lines[2] == "  le mois entier : 3 lignes rejetées sur 14 lues (21,4 %)"
    assert lines[3] == "Rien n'a été émis."
    assert lines[4].startswith(
        "Vérifier ces fichiers (un export dont le format a changé ?) et relancer ; ou émettre "
        f"le mois avec ces rejets, ce que manifest.json enregistre : billing bill --month {OCT} "
        f"--data {ws.data} --out {ws.out} --rates {ws.rates} --accept-rejects"
    )
    assert "a.csv" not in result.output  # under the limit: not named


def test_r43_the_message_in_english(ws, monkeypatch):
    monkeypatch.setenv("BILLING_LANG", "en")
    one_file_mostly_rejected(ws)
    result = ws.bill(OCT)
    assert result.exit_code == 1
    assert f"{OCT}: 1 CDR file has more than 50% of its rows rejected" in result.output
    assert (
        f"cdrs/{OCT}/b.csv: 3 of 4 rows rejected (75%); reasons: MALFORMED 2, NEGATIVE_DURATION "
        "1; first reject: line 3 (row 2), MALFORMED" in result.output
    )
    assert "the whole month: 3 of 14 rows rejected (21.4%)" in result.output


def test_r43_a_share_just_over_the_limit_never_shows_as_the_limit():
    from pipeline.billing.month import percent

    assert percent(5001, 10_000, 50) == "50,1"  # 50.01 %: over 50, shown over
    assert percent(5000, 10_000, 50) == "50"
    assert percent(4999, 10_000, 50) == "50"  # 49.99 %: not over, rounded half up
    assert percent(3, 14, 50) == "21,4"
    assert percent(0, 0, 50) == "0"  # a file of 0 rows is never over the limit


def test_r43_duplicates_are_not_rejects(ws):
    ws.cdrs(OCT, good("d1", "d2"), name="a.csv")
    # d1, d2 replayed: 2 duplicates and 1 reject of 3 rows; counted as rejects they would be
    # 3 of 3 (100 %)
    ws.cdrs(OCT, good("d1", "d2") + malformed("x1"), name="b.csv")
    ws.cdrs(OCT, good("d1", "d2"), name="c.csv")  # a file replayed whole: all duplicates
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    record = manifest(ws)
    counts = {
        r["source_file"].rsplit("/", 1)[1]: (r["rows_read"], r["duplicates"], r["rejected"])
        for r in record["reconciliation"]
    }
    assert counts == {"a.csv": (2, 0, 0), "b.csv": (3, 2, 1), "c.csv": (2, 2, 0)}
    assert record["accepted_rejects"] is False
    assert "rejects_over_limit" not in record  # written for a month issued with the flag only


def test_r43_an_empty_file_is_not_over_the_limit(ws):
    ws.cdrs(OCT, [], name="a.csv")  # a header alone: 0 rows, 0 rejected
    ws.cdrs(OCT, good("g1"), name="b.csv")
    assert ws.bill(OCT).exit_code == 0


EXPECTED_RECORD = {
    "max_rejected_pct": 50,
    "files": [
        {
            "source_file": f"cdrs/{OCT}/b.csv",
            "rows_read": 4,
            "rejected": 3,
            "reasons": {"MALFORMED": 2, "NEGATIVE_DURATION": 1},
        }
    ],
}


@pytest.fixture(scope="module")
def accepted(tmp_path_factory) -> Workspace:
    """October with b.csv mostly rejected, issued with --accept-rejects, once for the module."""
    ws = Workspace(tmp_path_factory.mktemp("accepted"))
    one_file_mostly_rejected(ws)
    result = ws.run("bill", OCT, "--accept-rejects")
    assert result.exit_code == 0, result.output
    ws.accepted_output = result.output
    return ws


def test_r43_accept_rejects_issues_the_month_and_the_manifest_records_it(accepted):
    ws = accepted
    assert (
        "attention : R43 : émis avec --accept-rejects (enregistré dans manifest.json) : "
        f"cdrs/{OCT}/b.csv : 3 lignes rejetées sur 4 lues (75 %)" in ws.accepted_output
    )
    record = manifest(ws)
    assert record["accepted_rejects"] is True
    assert record["rejects_over_limit"] == EXPECTED_RECORD
    assert len(ws.read_csv(OCT, "rejects.csv")) == 3


def test_r43_a_month_issued_with_accept_rejects_billed_again_and_audited_is_identical(
    accepted, tmp_path
):
    ws = accepted.copy(tmp_path / "ws")
    again = ws.bill(OCT)  # without the flag: the month is compared as it was issued
    assert again.exit_code == 0, again.output
    assert "R43" not in again.output
    audit = ws.run("audit", OCT)
    assert audit.exit_code == 0, audit.output  # identical
    assert "R43" not in audit.output


def test_r43_months_issued_before_r43_audit_identical(accepted, tmp_path):
    ws = accepted.copy(tmp_path / "ws")
    path = ws.out / OCT / "manifest.json"
    path.chmod(0o644)
    # issued with --accept-rejects before the manifest listed the files over the limit
    record = manifest(ws)
    del record["rejects_over_limit"]
    path.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    audit = ws.run("audit", OCT)
    assert audit.exit_code == 0, audit.output
    assert "R43" not in audit.output
    # issued before R43 checked each file: only the month's share (21.4 %) was checked, so
    # b.csv went through without --accept-rejects. The audit compares it, and says so
    record["accepted_rejects"] = False
    path.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    audit = ws.run("audit", OCT)
    assert audit.exit_code == 0, audit.output  # identical
    note = (
        f"R43 : cdrs/{OCT}/b.csv : 3 lignes rejetées sur 4 lues (75 %), plus que "
        "max_rejected_pct = 50 : ce mois a été émis sans --accept-rejects, avant que R43 ne "
        "contrôle chaque fichier ; billing bill l'arrêterait aujourd'hui"
    )
    assert f"note : {note}" in audit.output
    again = ws.bill(OCT)  # billed again: compared, never stopped by its rejects
    assert again.exit_code == 0, again.output
    assert f"attention : {note}" in again.output


def test_r43_a_correction_with_a_file_mostly_rejected_stops_unless_accepted(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.cdrs(OCT, A_CSV, name="a.csv")
    ws.bill_months(OCT)
    # a late file: 1 call (billed by the correction) and 2 rows of another format
    ws.cdrs(OCT, good("l1") + malformed("l2", "l3"), name="late.csv")
    args = ("--date", "2026-11-20")
    stopped = ws.run("correct", OCT, *args)
    assert stopped.exit_code == 1, stopped.output
    assert f"cdrs/{OCT}/late.csv : 2 lignes rejetées sur 3 lues (66,7 %)" in stopped.output
    assert (
        "ou émettre la correction avec ces rejets, ce que manifest.json enregistre : billing "
        f"correct --month {OCT} --data {ws.data} --out {ws.out} --rates {ws.rates} "
        "--accept-rejects" in stopped.output
    )
    assert not (ws.out / OCT / "corrections").exists()
    dry = ws.run("correct", OCT, *args, "--dry-run")
    assert dry.exit_code == 1 and "--dry-run --accept-rejects" in dry.output
    issued = ws.run("correct", OCT, *args, "--accept-rejects")
    assert issued.exit_code == 0, issued.output
    folder = ws.out / OCT / "corrections" / "01"
    record = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert record["accepted_rejects"] is True
    assert record["rejects_over_limit"]["files"] == [
        {
            "source_file": f"cdrs/{OCT}/late.csv",
            "rows_read": 3,
            "rejected": 2,
            "reasons": {"MALFORMED": 2},
        }
    ]
    audit = ws.run("audit", OCT)  # the month and its correction, re-run as issued
    assert audit.exit_code == 0, audit.output


@given(
    files=st.lists(
        st.integers(0, 500).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
        min_size=1,
        max_size=8,
    ),
    limit=st.integers(0, 100),
)
def test_r43_a_month_over_the_limit_always_has_a_file_over_it(files, limit):
    # why check_rejects checks the files only: the month's share is theirs averaged by rows
    read, rejected = sum(n for n, _ in files), sum(r for _, r in files)
    if over_limit(rejected, read, limit):
        assert any(over_limit(r, n, limit) for n, r in files)
