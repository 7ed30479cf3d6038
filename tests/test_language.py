"""Issue 26 item 5: French is the default language of every message; --lang en or
BILLING_LANG=en gives English."""

from __future__ import annotations

import pytest

from pipeline.core import language
from pipeline.core.language import say, set_language


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
