"""How a workbook's cells read as text: one rendering for a document's text and its table rows.

A cell becomes the string a CSV export would hold: integers without a trailing ``.0``, other
numbers as Python writes them (shortest round trip), dates in ISO 8601 (``2019-04-12``, and
``2019-04-12 10:30:00`` when there is a time of day), booleans as TRUE/FALSE, errors as Excel
shows them (``#DIV/0!``). The table reader (tables/read.py) and the workbook extractors (XLS,
XLSX, ODS) both use it, so a value found in a sheet's text is the value in its rows, and one
type inference serves every format.

The text of a sheet (`sheet_text`) is a 'Sheet: name' line, then one tab-separated line per
non-empty row. A workbook is read once: `workbook_text` renders each sheet while keeping its
rows for the table staging (ExtractionResult.sheets), as long as they fit in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trawl.ingestion.sheet import Sheet

# Cells kept for the table staging (about 60 bytes each): past this the staging reads the
# file again rather than the worker holding a huge workbook in memory twice over.
KEPT_CELLS_MAX = 5_000_000
_FLAT = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def cell_text(value: Any) -> str:
    """A cell's value (openpyxl's, or a number or date read from XLS/ODS) as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        # Past 1e18 a float's integer digits are noise: keep its exponent form.
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def xls_cell_text(cell: Any, datemode: int) -> str:
    """An xlrd cell as text: dates by the workbook's date mode, errors by their Excel name."""
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if kind == xlrd.XL_CELL_DATE:
        try:
            return cell_text(xlrd.xldate.xldate_as_datetime(value, datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell_text(value)  # a number formatted as a date, out of the date range
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return str(xlrd.error_text_from_code.get(value, "#ERR"))
    return cell_text(value)


def iso_date_text(raw: str) -> str:
    """An ISO 8601 date-time as stored by ODS (``2019-04-12T00:00:00``) as `cell_text` writes
    dates: the day alone at midnight, else a space before the time."""
    return raw[:-9] if raw.endswith("T00:00:00") else raw.replace("T", " ")


def sheet_text(name: str | None, rows: Iterable[list[str]], room: int) -> tuple[str, bool]:
    """A sheet as text: a 'Sheet: name' line, then one tab-separated line per non-empty row
    (a cell's tabs and line breaks become spaces, so that a line stays a row).

    Reading stops once the text passes `room` characters (then the flag is True)."""
    lines = [f"Sheet: {name or ''}"]
    size = len(lines[0])
    for row in rows:
        end = len(row)
        while end and not row[end - 1]:
            end -= 1
        if end:
            lines.append("\t".join([cell.translate(_FLAT) for cell in row[:end]]))
            size += len(lines[-1]) + 1
            if size > room:
                return "\n".join(lines), True
    return "\n".join(lines), False


@dataclass
class WorkbookText:
    """A workbook read once: each sheet's text, the sheets' names, and the sheets with their
    rows kept for the table staging (None when they were not all kept)."""

    texts: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sheets: list[Sheet] | None = None


def workbook_text(sheets: Iterable[Sheet], room: int, warnings: list[str],
                  kept_cells_max: int = KEPT_CELLS_MAX) -> WorkbookText:
    """Every sheet as text (up to `room` characters in all), rows kept while they fit."""
    out = WorkbookText(sheets=[])
    keeper = _Keeper(kept_cells_max)
    for sheet in sheets:
        name = sheet.name or ""
        out.names.append(name)
        rows = keeper.start()
        text, full = sheet_text(name, keeper.watch(sheet.rows), room)
        out.texts.append(text)
        room -= len(text)
        if full:
            warnings.append(f"stopped in sheet {name!r}: text limit")
        if out.sheets is not None and not full and not keeper.overflowed:
            sheet.rows = rows
            out.sheets.append(sheet)
        else:
            out.sheets = None  # incomplete: the staging reads the file itself
        if full:
            break
    return out


class _Keeper:
    """Keeps the rows that pass through, until they hold more than `cells_max` cells."""

    def __init__(self, cells_max: int) -> None:
        self.cells_left = cells_max
        self.overflowed = False
        self.rows: list[list[str]] = []

    def start(self) -> list[list[str]]:
        self.rows = []
        return self.rows

    def watch(self, rows: Iterable[list[str]]) -> Iterable[list[str]]:
        for row in rows:
            if not self.overflowed:
                self.cells_left -= len(row)
                if self.cells_left < 0:
                    self.overflowed = True
                    self.rows.clear()  # no use any more: free it now
                else:
                    self.rows.append(row)
            yield row
