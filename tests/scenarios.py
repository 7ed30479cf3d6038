"""CDR rows shared by several test modules, each written as the line of the CDR file it is
(cdr_id,sip_account,direction,caller,callee,start_time,duration_s,device_id: the columns of
pipeline.core.data_contract.CDRS), so that a test reads like the data it bills.

The October 2026 month of the workbook, FEC, itemised, foundation and validation tests, on the
base data of tests/conftest.py (C1: plan S1 25.00 on sip-1, D1 its own device; C2: no plan):
"""

from __future__ import annotations

from pipeline.core import data_contract as contract

# C1 calls a UK mobile: out of plan, 61 s at 0.1800 (tariff of 2026-10-01) = 0.1830
UK_MOBILE = "c1,sip-1,out,0145000000,+44 7911 123456,2026-10-03T09:15:00+02:00,61,D1"
# C1 calls a Paris number: included in the plan
PARIS = "c2,sip-1,out,0145000000,01 45 67 89 10,2026-10-03T10:15:00+02:00,61,D1"
# an incoming call: never charged
INCOMING = "c3,sip-1,in,0145000000,0145000000,2026-10-03T10:16:00+02:00,30,"
# a called number that is not one: rejected INVALID_NUMBER
INVALID = "c4,sip-1,out,0145000000,abc,2026-10-03T10:17:00+02:00,61,D1"
# C2 (no plan) calls a French mobile: 125 s at 0.0450 = 0.0938
C2_MOBILE = "c5,sip-2,out,0145000000,0612345678,2026-10-04T10:17:00+02:00,125,"
# C1 calls the emergency number: free
EMERGENCY = "c6,sip-1,out,0145000000,112,2026-10-04T11:00:00+02:00,125,D1"

# c1..c4: a charged call, an included one, an incoming one and a rejected one
FOUR_CALLS = (UK_MOBILE, PARIS, INCOMING, INVALID)


def call(line: str, **changes: str) -> list[str]:
    """One CDR row from its line of text, with the fields named in `changes` replaced."""
    row = dict(zip(contract.CDRS.names, line.split(","), strict=True))
    assert set(changes) <= set(row), sorted(set(changes) - set(row))
    row.update(changes)
    return list(row.values())


def calls(*lines: str) -> list[list[str]]:
    """CDR rows from their lines of text."""
    return [call(line) for line in lines]


def table(text: str) -> list[list[str]]:
    """Rows written one a line, their fields separated by commas (no field holds a comma):
    expected rows of an output file, written as the file shows them."""
    return [fields(line.strip()) for line in text.strip().splitlines()]


def fields(line: str) -> list[str]:
    """One row of a data file from its line of text (no field holds a comma)."""
    return line.split(",")
