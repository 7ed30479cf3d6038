"""Issue 26 item 5: French is the default language of every message; --lang en or
BILLING_LANG=en gives English."""

from __future__ import annotations

import pytest

from pipeline.core import language
from pipeline.core.language import say, set_language
from tests.conftest import Workspace, cli


@pytest.fixture(autouse=True)
def _reset(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BILLING_LANG", raising=False)
    monkeypatch.setattr(language, "_chosen", None)


def test_language_is_french_by_default_whatever_the_locale(monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert language.language() == "fr"
    assert say("fichier illisible", "unreadable file") == "fichier illisible"


def test_language_billing_lang_en_gives_english(monkeypatch):
    monkeypatch.setenv("BILLING_LANG", "en_GB.UTF-8")
    assert say("fichier illisible", "unreadable file") == "unreadable file"


def test_language_the_command_line_wins_over_billing_lang(monkeypatch):
    monkeypatch.setenv("BILLING_LANG", "en")
    assert set_language("fr") == "fr"
    assert say("a", "b") == "a"
    assert set_language(None) == "en"
    assert set_language("de") == "en"  # unknown: BILLING_LANG, then French


def test_language_unknown_billing_lang_is_french(monkeypatch):
    monkeypatch.setenv("BILLING_LANG", "xx")
    assert set_language(None) == "fr"


# --- the command line in French, and in English on demand ----------------------------------

OCT = "2026-10"
# an outgoing call to "abc": rejected INVALID_NUMBER (R11, R41)
BAD_NUMBER = ["r1", "sip-1", "out", "0145000000", "abc", "2026-10-03T10:16:00+02:00", "61", ""]
GOOD_CALL = ["g1", "sip-2", "out", "x", "06 12 34 56 78", "2026-10-05T10:00:00+02:00", "61", ""]
DUPLICATE_C1 = ["C1", "Again", "FR", "false", "false", "", "", ""]


def _bad_customers(ws: Workspace) -> None:
    ws.cdrs(OCT, [GOOD_CALL])
    ws.add_rows("customers.csv", [DUPLICATE_C1])


def test_issue26_french_bad_reference_file_is_one_french_line_naming_file_line_problem(ws):
    _bad_customers(ws)
    result = ws.bill(OCT)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    path = ws.data / "customers.csv"
    assert lines[0] == (f"erreur : {path}, ligne 4 : customer_id C1 en double (déjà à la ligne 2)")
    assert not ws.out.exists()


def test_issue26_french_lang_en_gives_the_same_error_in_english(ws):
    _bad_customers(ws)
    result = cli("--lang", "en", *ws.args("bill", OCT))
    assert result.exit_code == 2
    path = ws.data / "customers.csv"
    assert result.output.strip() == (
        f"error: {path} line 4: duplicate customer_id C1 (first at line 2)"
    )


def test_issue26_french_billing_lang_en_gives_english(ws, monkeypatch):
    _bad_customers(ws)
    monkeypatch.setenv("BILLING_LANG", "en")
    result = ws.bill(OCT)
    assert result.exit_code == 2
    assert "line 4: duplicate customer_id C1 (first at line 2)" in result.output
    assert result.output.startswith("error: ")
    # the command line wins over BILLING_LANG
    french = cli("--lang", "fr", *ws.args("bill", OCT))
    assert french.output.startswith("erreur : ")


def test_issue26_french_a_bill_summary_is_french_under_a_c_locale(ws, monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    ws.cdrs(OCT, [GOOD_CALL, BAD_NUMBER])
    result = ws.bill(OCT)
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith(f"{OCT} : ") and "facture(s) émise(s), total " in summary
    assert "2 CDR lus = 1 valorisés + 0 doublons + 1 rejetés ; fichiers dans" in summary
    assert " issued " not in summary
    # issued files keep their words: rejects.csv stores the detail as it always has
    rejects = (ws.out / OCT / "rejects.csv").read_text(encoding="utf-8")
    assert "callee 'abc' is not a valid number (R11)" in rejects
    again = ws.bill(OCT)
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1].startswith(f"{OCT} : déjà émis, identique (")


def _explain(ws: Workspace, *lang: str):
    return cli(*lang, *ws.args("explain", OCT, "--cdr", "r1"))


def test_issue26_french_explain_of_an_invalid_number_is_all_french_by_default(ws):
    ws.cdrs(OCT, [GOOD_CALL, BAD_NUMBER])
    for issued in (False, True):  # computed in memory, then read from the issued files
        if issued:
            assert ws.bill(OCT).exit_code == 0
        result = _explain(ws)
        assert result.exit_code == 0, result.output
        text = result.output
        assert "REJETÉ INVALID_NUMBER (R41) : numéro appelé 'abc' invalide (R11)" in text
        assert "fichier cdrs/2026-10/cdrs.csv, enregistrement 2" in text
        for english in ("is not a valid number", "REJECTED", "raw:", "file ", "issued month"):
            assert english not in text, english
        # explain's own --lang and the global one both give English
        for lang in (("--lang", "en"), ()):
            args = [*lang, *ws.args("explain", OCT, "--cdr", "r1")]
            if not lang:
                args = [*args, "--lang", "en"]
            en = cli(*args).output
            assert "REJECTED INVALID_NUMBER (R41): callee 'abc' is not a valid number (R11)" in en
            assert "REJETÉ" not in en


def test_issue26_french_explain_of_an_unknown_call_is_a_french_error(ws):
    ws.cdrs(OCT, [GOOD_CALL])
    result = cli(*ws.args("explain", OCT, "--cdr", "nope"))
    assert result.exit_code == 2
    assert result.output.startswith(
        "erreur : l'appel 'nope' n'est ni valorisé ni rejeté en 2026-10"
    )
