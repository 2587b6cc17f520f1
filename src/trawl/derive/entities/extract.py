"""Mentions of one document or of a block of a table's rows, placed where they were found.

A document is read page by page when it has pages (offsets are then in the page's text, as
the document page shows it), else as one text; its title and its address headers (from,
to, cc, bcc of an e-mail, lists joined with ", ") are read as fields of their own.

Rows are read through storage (`table_queries.cells_between`), many rows at once: the cells
of a block are joined into one string, separated by NUL (which no pattern crosses), and the
recogniser runs once over it, so its cost does not grow with the number of cells; each
mention is then placed in its row and column by bisection. Literal ``\\n`` and ``\\t``
escapes (BlueLeaks' HTML cells hold them) become spaces of the same length first, so that
offsets stay those of the stored cell. A column named for a kind (columns.py) has its cells
read whole when the scan found nothing of that kind in them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from trawl.derive.entities.columns import column_kind, name_cell, name_pairs, whole_cell
from trawl.derive.entities.model import Found
from trawl.derive.entities.names import junk
from trawl.derive.entities.ner import NamedRecogniser
from trawl.derive.entities.patterns import Recogniser, display_value
from trawl.storage.entities import NewMention
from trawl.storage.tables import Column

ADDRESS_FIELDS = ("from", "to", "cc", "bcc", "reply_to", "sender")
TEXT_TYPES = ("text",)           # inferred column types that can hold free text
BLOCK_CHARS = 2_000_000          # cells joined into one scan (bounded memory)


def document_fields(title: str | None, metadata: dict[str, Any]) -> dict[str, str]:
    """The short texts of a document read beside its text: title and address headers."""
    fields = {"title": title} if title else {}
    for name in ADDRESS_FIELDS:
        value = metadata.get(name)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        if isinstance(value, str) and value:
            fields[name] = value
    return fields


Unit = tuple[int | None, str | None, str]    # (page, field, text) of a document


def document_units(text: str, paged: bool, fields: dict[str, str]) -> list[Unit]:
    """What of a document is read, each part with its place: the fields, then the pages (or
    the text)."""
    units: list[Unit] = [(None, name, value) for name, value in fields.items()]
    if paged:
        units += [(number, None, page)
                  for number, page in enumerate(text.split("\n\f"), start=1)]
    elif text:
        units.append((None, None, text))
    return units


def document_mentions(recogniser: Recogniser, text: str, paged: bool,
                      fields: dict[str, str]) -> list[NewMention]:
    """The mentions of a document found by pattern."""
    out: list[NewMention] = []
    for page, field, value in document_units(text, paged, fields):
        out += _placed(recogniser.find(value), page=page, field=field)
    return out


def named_mentions(named: NamedRecogniser, language: str | None,
                   documents: Sequence[list[Unit]]) -> list[list[NewMention]]:
    """The names (people, organisations, places) of documents of one language, each
    document's parts as `document_units` gives them; all at once, for the model's
    batches."""
    flat = [(at, page, field, value) for at, units in enumerate(documents)
            for page, field, value in units]
    found = named.find_all(language, [value for _at, _page, _field, value in flat])
    out: list[list[NewMention]] = [[] for _ in documents]
    for (at, page, field, _value), names in zip(flat, found, strict=True):
        out[at] += _placed(names, page=page, field=field)
    return out


def _placed(found: Iterable[Found], page: int | None = None, field: str | None = None,
            row: int | None = None) -> list[NewMention]:
    return [_mention(f, page, field, row) for f in found]


def _mention(f: Found, page: int | None = None, field: str | None = None,
             row: int | None = None, shift: int = 0) -> NewMention:
    """A mention to record of what was found at `f.start - shift`."""
    return NewMention(f.kind, f.key, display_value(f.kind, f.key, f.text), f.text,
                      f.start - shift, f.end - shift, page, field, row)


def readable_columns(columns: Sequence[Column]) -> list[tuple[str, str | None]]:
    """(SQL name, kind its name says) of the columns worth reading: free text, and any
    column named for a kind (a phone column inferred as integers included)."""
    out = []
    for column in columns:
        kind = column_kind(column.name)
        if kind is not None or column.type in TEXT_TYPES:
            out.append((column.sql, kind))
    return out


def person_columns(columns: Sequence[Column], read: Sequence[tuple[str, str | None]]
                   ) -> list[tuple[int, int]]:
    """(first, last) indexes in `read` of the `FirstName`/`LastName` pairs (columns.py)."""
    by_sql = {column.sql: column.name for column in columns}
    return name_pairs([by_sql.get(sql, sql) for sql, _kind in read])


def row_mentions(recogniser: Recogniser, columns: Sequence[tuple[str, str | None]],
                 rows: Iterable[Sequence[Any]], pairs: Sequence[tuple[int, int]] = ()
                 ) -> tuple[list[NewMention], int]:
    """The mentions of rows given as (row number, value of each of `columns`...), and the
    number of words read; `pairs`: the columns whose cells make one person's name."""
    out: list[NewMention] = []
    words = 0
    block: list[str] = []
    cells: list[tuple[int, int, int]] = []      # (offset in the block, row, column index)
    size = 0
    for values in rows:
        number = values[0]
        for first, last in pairs:
            out += _person_of(values[1 + first], values[1 + last], number,
                              f"{columns[first][0]}+{columns[last][0]}")
        for index, value in enumerate(values[1:]):
            if value is None or value == "" or isinstance(value, bool):
                continue
            if not isinstance(value, str):
                if columns[index][1] is None:
                    continue  # a number in a column of no kind: nothing to find
                value = str(value)
            cells.append((size, number, index))
            block.append(value)
            size += len(value) + 1
        if size >= BLOCK_CHARS:
            words += _block_mentions(recogniser, columns, block, cells, out)
            block, cells, size = [], [], 0
    if block:
        words += _block_mentions(recogniser, columns, block, cells, out)
    return out, words


def _person_of(first: Any, last: Any, row: int, field: str) -> list[NewMention]:
    if not (isinstance(first, str) and isinstance(last, str) and first.strip()
            and last.strip()) or junk("org", first.strip()) or junk("org", last.strip()):
        return []  # a part missing, or a header's words ("FirstName", "N/A")
    found = name_cell("person", f"{first.strip()} {last.strip()}")
    if found is None:
        return []
    return [_mention(found, field=field, row=row)]


def _block_mentions(recogniser: Recogniser, columns: Sequence[tuple[str, str | None]],
                    block: list[str], cells: list[tuple[int, int, int]],
                    out: list[NewMention]) -> int:
    """Add the mentions of one block of cells to `out`; returns the words read."""
    text = "\x00".join(block)
    if text.count("\x00") != len(block) - 1:  # a NUL inside a cell: a space, same length
        text = "\x00".join(v.replace("\x00", " ") for v in block)
    if "\\" in text:
        text = text.replace("\\n", "  ").replace("\\t", "  ").replace("\\r", "  ")
    starts = [offset for offset, _row, _column in cells]
    seen: set[tuple[int, str]] = set()           # (cell, kind) found by the scan
    for found in recogniser.find(text):
        at = bisect_right(starts, found.start) - 1
        offset, row, index = cells[at]
        seen.add((at, found.kind))
        out.append(_mention(found, field=columns[index][0], row=row, shift=offset))
    for at, (_offset, row, index) in enumerate(cells):
        kind = columns[index][1]
        if kind is None or (at, kind) in seen or (at, "handle") in seen:
            continue
        found = whole_cell(recogniser, kind, block[at])
        if found is not None:
            out.append(_mention(found, field=columns[index][0], row=row))
    return len(text.replace("\x00", " ").split())
