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

# What holds tables is a fact about stored contents (the web's redacted view asks it too).
from trawl.storage.tables import CSV_MIMES, WORKBOOK_MIMES, is_table_content

__all__ = ["CSV_MIMES", "WORKBOOK_MIMES", "is_table_content"]
