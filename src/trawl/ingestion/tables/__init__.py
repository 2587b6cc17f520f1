"""Structured tables: CSV/TSV files and the sheets of XLS/XLSX/ODS workbooks as typed rows.

    detect.py   encoding, dialect (delimiter, quoting) and header of delimited text
    infer.py    column types (integer, number, boolean, date/datetime/time, text), C-speed
    read.py     rows of a CSV file or of each sheet of a workbook, as lists of strings
    stage.py    in a worker: a file's tables into a temporary SQLite file (typed, with stats)
    links.py    file-reference cells -> documents, and joins between tables of one folder
    sync.py     in the coordinator: tables.sqlite kept in step with the catalog; row indexing

A table's file stays a document too (its text is indexed as before); its rows are, in
addition, rows of `tables.sqlite` and `kind=row` entries of the search index.
"""

from __future__ import annotations

CSV_MIMES = frozenset({"text/csv", "text/tab-separated-values", "application/csv",
                       "text/x-csv", "application/vnd.ms-excel.csv"})
WORKBOOK_MIMES = frozenset({
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.ms-excel.template.macroenabled.12",
    "application/vnd.ms-excel.template.macroEnabled.12",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet-template",
})
_CSV_SUFFIXES = (".csv", ".tsv", ".tab")
_TABLE_MIMES = {m.lower() for m in CSV_MIMES | WORKBOOK_MIMES}


def is_table_content(mime: str | None, family: str | None, name: str = "") -> bool:
    """Whether a content holds tables: by its detected type or family (sync.py selects the
    same in SQL), or a text file named .csv."""
    mime = (mime or "").lower()
    if mime in _TABLE_MIMES or family == "spreadsheet":
        return True
    return mime == "text/plain" and name.lower().endswith(_CSV_SUFFIXES)
