"""The two ways a run can fail, and the exit codes of the data contract."""

from __future__ import annotations

from pipeline.core.language import say


class BillingError(Exception):
    """Base class: a failure with a one-line message for the user."""

    exit_code = 1


class InputError(BillingError):
    """Bad usage or bad input that stopped the run before anything was issued (exit 2)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        row: int | None = None,
    ):
        """`line`: the file's own line number (the header is line 1, as a text editor or a
        spreadsheet shows it); `row`: a row of a parquet file (it has no lines), 1-based.
        Said in the language of messages: "customers.csv line 4: ..." or
        "customers.csv, ligne 4 : ..." (pipeline.core.language)."""
        where = ""
        if file is not None:
            where = file
            if line is not None:
                where += say(f", ligne {line}", f" line {line}")
            elif row is not None:
                where += say(f", enregistrement {row}", f" row {row}")
            where += say(" : ", ": ")
        super().__init__(where + message)
        self.file = file
        self.line = line
        self.row = row


class ProblemFound(BillingError):
    """The run found a problem it reports: an audit difference, a validation failure (exit 1)."""

    exit_code = 1
