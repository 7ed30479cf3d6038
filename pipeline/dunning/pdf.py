"""A dunning letter as PDF (R92): the strings of pipeline.dunning.letters laid out by Typst
(as the invoice pages are, pipeline.exports.einvoice.pdf): one compiler per process, Typst's
embedded fonts only, the letter's date as the PDF's dates: the same letter gives the same bytes.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

TEMPLATE_DIR = Path(str(resources.files("pipeline.dunning") / "templates"))
TEMPLATE = TEMPLATE_DIR / "letter.typ"


class LetterRenderer:
    def __init__(self) -> None:
        import typst

        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True)
        self._compiler = typst.Compiler(
            str(TEMPLATE), root=str(TEMPLATE_DIR), font_paths=fonts, ignore_system_fonts=True
        )

    def render(self, view: dict[str, Any], day: date) -> bytes:
        return self._compiler.compile(
            sys_inputs={"data": json.dumps(view, ensure_ascii=False)},
            timestamp=datetime(day.year, day.month, day.day, tzinfo=UTC),
        )
