"""One escape for every CSV that Trawl writes (table exports, the audit log's export).

Cells are document content or typed by anyone (a query ends up in the audit log), and a
spreadsheet opening the file runs a cell that starts like a formula: "=HYPERLINK(...)",
"+cmd|...", "-2+3", "@SUM(...)", and a leading tab or carriage return that some spreadsheets
skip before looking (CSV injection). Such a cell gets a leading apostrophe, which spreadsheets
show as text. A cell that starts with an apostrophe itself gets one more, so the escape is
reversible: `read_csv_cell` gives back exactly the value written, and an audit export read
back verifies against its macs.

Numbers are not text: they are written as they are (a negative number is a number, not a
formula), so a column of amounts stays a column of numbers.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def csv_cell(value: Any) -> str:
    """The text of one CSV cell: None is empty, a number as it is, any other value as text
    with a leading apostrophe when it starts like a formula or with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, int | float):  # bool too: True, False
        return str(value)
    text = str(value)
    return ESCAPE + text if text.startswith((*FORMULA_STARTS, ESCAPE)) else text


def read_csv_cell(text: str) -> str:
    """The value `csv_cell` wrote as `text` (for a text value; None reads back as "")."""
    return text[1:] if text.startswith(ESCAPE) else text
