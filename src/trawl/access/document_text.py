"""A document's text as a public reader sees it: personal columns, then personal values.

A CSV file or a workbook is a document too, and its text is its cells: a FirstName column is
plain words there, which no pattern recognises as personal. So the text of a table document
is read as the tables it holds (a block per sheet, `Sheet: NAME` lines between them, cells
split by the block's delimiter) and the cells under a personal header are masked as in
`tables-redacted.sqlite`; then every detector runs over the whole text, as for any document.
The same function feeds the redacted index and the pages, so what is searchable and what is
shown are masked alike; a paged document's pages are masked together (`mask_pages`), as its
text is shown.
"""

from __future__ import annotations

import csv
import io
import re

from trawl.access.redaction import Redactor
from trawl.storage.tables import is_table_content

PAGE_BREAK = "\n\f"  # between the pages of a document's text (derive/documents.py)
_SHEET_LINE = re.compile(r"(?m)^(Sheet: [^\n]*)\n")
_DELIMITERS = ("\t", ",", ";", "|")
HEADER_SEARCH_ROWS = 10   # a title or a blank row may come before a sheet's header


def mask_document_text(text: str, redactor: Redactor, mime: str | None, family: str | None,
                       name: str = "") -> str:
    if text and is_table_content(mime, family, name):
        text = mask_table_text(text, redactor)
    return redactor.text(text)


def mask_pages(pages: list[str], redactor: Redactor, mime: str | None, family: str | None,
               name: str = "") -> list[str]:
    """A paged document's pages, masked as one text (as the document's text is, pages joined
    by PAGE_BREAK): a number that a page break and its footer cut in two is seen whole. A
    mask never covers a page break, so the pages stay the same pages."""
    masked = mask_document_text(PAGE_BREAK.join(pages), redactor, mime, family, name)
    parts = masked.split(PAGE_BREAK)
    if len(parts) != len(pages):  # a table file's rows rewritten across pages: one by one
        return [mask_document_text(p, redactor, mime, family, name) for p in pages]
    return parts


def mask_table_text(text: str, redactor: Redactor) -> str:
    """Mask the personal columns of each delimited block of `text`."""
    parts = _SHEET_LINE.split(text)
    # split keeps the captured "Sheet: ..." lines at odd positions: blocks are at even ones
    return "".join(part + "\n" if i % 2 else _mask_block(part, redactor)
                   for i, part in enumerate(parts))


def _mask_block(block: str, redactor: Redactor) -> str:
    if not block.strip():
        return block
    delimiter = _delimiter(block)
    rows = list(csv.reader(io.StringIO(block), delimiter=delimiter))
    header_at, personal = _header(rows, redactor)
    if not personal:
        return block
    for row in rows[header_at + 1:]:
        for column in personal:
            if column < len(row) and row[column].strip():
                row[column] = redactor.cell(rows[header_at][column], row[column])
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _delimiter(block: str) -> str:
    first = next((line for line in block.splitlines() if line.strip()), "")
    return max(_DELIMITERS, key=first.count)


def _header(rows: list[list[str]], redactor: Redactor) -> tuple[int, list[int]]:
    """The first row (of the first few) that names a personal column, and those columns."""
    for at, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        personal = [i for i, name in enumerate(row)
                    if name.strip() and redactor.is_personal_column(name.strip())]
        if personal and len(row) > 1:
            return at, personal
    return 0, []
