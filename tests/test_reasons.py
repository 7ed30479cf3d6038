"""R16 reason codes are spelled in SQL (the models decide them) and in Python (exports,
itemised bills, validation): both spellings must stay one list, in one order."""

from __future__ import annotations

import re

from pipeline.core.db import SQL_DIR
from pipeline.rating.reasons import CHARGED, NEVER_CHARGED, R16_ORDER


def _then_codes(sql: str) -> list[str]:
    return re.findall(r"(?:then|else) '([A-Z_]+)'", sql)


def test_r16_sql_decides_the_reasons_in_the_order_of_r16():
    priced = _then_codes((SQL_DIR / "rating" / "rat_priced.sql").read_text())
    reasons = [c for c in priced if c in R16_ORDER]
    # rat_priced decides every reason but the forwarding split, in R16's order
    assert reasons == [r for r in R16_ORDER if r != "FORWARDING_OVER_FAIR_USE"]
    rated = (SQL_DIR / "rating" / "rated_calls.sql").read_text()
    assert "then 'FORWARDING_OVER_FAIR_USE'" in rated
    assert "reason in ('NOT_CHARGEABLE', 'FREE', 'INCLUDED') then 0" in rated
    assert NEVER_CHARGED == ("NOT_CHARGEABLE", "FREE", "INCLUDED")


def test_r63_usage_lines_bill_exactly_the_charged_reasons():
    sql = (SQL_DIR / "billing" / "usage_lines.sql").read_text()
    listed = re.findall(
        r"'([A-Z_]+)'", re.split(r"where\s+reason in \(", sql, maxsplit=1)[1].split(")", 1)[0]
    )
    assert tuple(listed) == CHARGED
    assert len(CHARGED) == 8  # R16 reasons 2-7, with the three fair-use breaches
