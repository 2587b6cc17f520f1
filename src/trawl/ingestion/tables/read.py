"""The rows of a table file, as lists of strings: a CSV/TSV file, or each sheet of a workbook.

The kind of file is read from its first bytes, not its name or MIME type alone: an "XLS"
that is really XLSX (or CSV, as many web exports are) is read as what it is. Workbook cells
become the strings a CSV export would hold (spreadsheet_cells.py: numbers without a trailing
.0, dates in ISO 8601, TRUE/FALSE), so that one type inference serves every format; the
workbook extractors read their sheets here too, so the text and the rows agree.
"""

from __future__ import annotations

import csv
import itertools
import warnings as py_warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trawl.ingestion.sheet import Sheet
from trawl.ingestion.spreadsheet_cells import cell_text, iso_date_text, xls_cell_text
from trawl.ingestion.tables.detect import (
    DIALECT_SAMPLE_CHARS,
    SAMPLE_BYTES,
    open_text,
    sniff_dialect,
    sniff_encoding,
)

# A cell as long as a whole e-mail body must still be one cell (csv's default limit is 128 KB).
csv.field_size_limit(256 * 1024 * 1024)
ODS_MAX_REPEAT = 1024     # repeated cells/rows kept (sheets repeat empty ones to the edge)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"



def read_tables(path: Path, mime: str, name: str = "") -> Iterator[Sheet]:
    """Every table of the file, one after another (consume each before asking the next)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        yield from xls_sheets(path)
    elif head.startswith(b"PK"):
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
        if "content.xml" in names:
            yield from ods_sheets(path)
        else:
            yield from xlsx_sheets(path)
    else:
        prefer_tab = "tab-separated" in mime or name.lower().endswith((".tsv", ".tab"))
        yield from _csv_sheets(path, prefer_tab)


# -- CSV -----------------------------------------------------------------------------------------
def _csv_sheets(path: Path, prefer_tab: bool) -> Iterator[Sheet]:
    with open(path, "rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
        encoding, skip = sniff_encoding(sample)
        text = sample[skip:].decode(encoding, "replace")[:DIALECT_SAMPLE_CHARS]
        dialect = sniff_dialect(text.replace("\r\n", "\n").replace("\r", "\n"), prefer_tab)
        raw.seek(skip)
        stream = open_text(raw, encoding)  # type: ignore[arg-type]
        reader = csv.reader(stream, delimiter=dialect.delimiter, quotechar=dialect.quotechar,
                            skipinitialspace=dialect.skipinitialspace, strict=False)
        yield Sheet(0, None, reader, "csv", encoding, dialect)


# -- workbooks -----------------------------------------------------------------------------------
def xlsx_sheets(path: Path) -> Iterator[Sheet]:
    import openpyxl

    with path.open("rb") as fh:
        with py_warnings.catch_warnings():
            py_warnings.simplefilter("ignore")  # unknown extensions, missing default styles
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        try:
            for index, sheet in enumerate(book.worksheets):
                # The stored dimension is often A1:XFD1048576: rows would be padded to it.
                sheet.reset_dimensions()
                rows = ([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
                yield Sheet(index, sheet.title, rows, "sheet")
        finally:
            book.close()


def xls_sheets(path: Path) -> Iterator[Sheet]:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = ([xls_cell_text(c, book.datemode) for c in row]
                    for row in sheet.get_rows())
            yield Sheet(index, sheet.name, rows, "sheet")
            book.unload_sheet(index)
    finally:
        book.release_resources()


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def ods_sheets(path: Path) -> Iterator[Sheet]:
    grouped = itertools.groupby(_ods_rows(path), key=lambda item: (item[0], item[1]))
    for (index, name), items in grouped:
        yield Sheet(index, name, (row for _i, _n, row in items), "sheet")


def _ods_rows(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    from lxml import etree

    table_tag, row_tag = f"{{{_TABLE_NS}}}table", f"{{{_TABLE_NS}}}table-row"
    cell_tags = {f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell"}
    index, name = -1, ""
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as content:
        events = etree.iterparse(content, events=("start", "end"), huge_tree=True,
                                 resolve_entities=False, no_network=True)
        for event, el in events:
            if event == "start":
                if el.tag == table_tag:
                    index += 1
                    name = el.get(f"{{{_TABLE_NS}}}name") or f"Sheet{index + 1}"
                continue
            if el.tag != row_tag:
                continue
            cells: list[str] = []
            for cell in el:
                if cell.tag not in cell_tags:
                    continue
                value = _ods_value(cell)
                repeat = _repeat(cell.get(f"{{{_TABLE_NS}}}number-columns-repeated"))
                cells.extend([value] * (repeat if value else min(repeat, ODS_MAX_REPEAT)))
            while cells and not cells[-1]:
                cells.pop()
            repeat = _repeat(el.get(f"{{{_TABLE_NS}}}number-rows-repeated"))
            el.clear()
            if not cells:  # empty rows are repeated to the sheet's edge: not records
                yield index, name, []
                continue
            for _ in range(min(repeat, ODS_MAX_REPEAT)):
                yield index, name, list(cells)


def _repeat(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _ods_value(cell: Any) -> str:
    kind = cell.get(f"{{{_OFFICE_NS}}}value-type")
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(f"{{{_OFFICE_NS}}}value") or ""
        try:
            return cell_text(float(raw))
        except ValueError:
            return raw
    if kind == "date":
        return iso_date_text(cell.get(f"{{{_OFFICE_NS}}}date-value") or "")
    if kind == "boolean":
        return "TRUE" if cell.get(f"{{{_OFFICE_NS}}}boolean-value") == "true" else "FALSE"
    paragraphs = ["".join(p.itertext()) for p in cell.iter(f"{{{_TEXT_NS}}}p")]
    return "\n".join(paragraphs)
