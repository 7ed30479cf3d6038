"""The language of every message a user reads (issue 26): French by default, the language of
the provider's finance team; English with `billing --lang en` or BILLING_LANG=en. Codes
(reject reasons, exit codes, VAT categories) and rule ids (R41...) are the same in both.

One switch for the process, set once by the command line (`set_language`) before anything is
said. A message is written in both languages where it is made: `say(fr, en)`.
"""

from __future__ import annotations

import os

LANGS = ("fr", "en")
DEFAULT = "fr"
ENV = "BILLING_LANG"

_chosen: str | None = None


def _normalised(value: str | None) -> str | None:
    """'en', 'EN', 'en_GB.UTF-8' -> 'en'; anything not a known language -> None."""
    if not value:
        return None
    code = value.strip().lower()[:2]
    return code if code in LANGS else None


def set_language(lang: str | None) -> str:
    """The language chosen on the command line (None: BILLING_LANG, else French). Returns it."""
    global _chosen
    _chosen = _normalised(lang) or _normalised(os.environ.get(ENV)) or DEFAULT
    return _chosen


def language() -> str:
    """The language messages are said in now: the chosen one, else BILLING_LANG, else French."""
    return _chosen or _normalised(os.environ.get(ENV)) or DEFAULT


def say(fr: str, en: str) -> str:
    """The message in the current language."""
    return en if language() == "en" else fr
