"""The read side's queries of `tables.sqlite`: filtered views, keyset pages, rows by number.

`search/tables.py` decides what a reader sees (which view, exact or paged, which facets);
this module says it in SQL. Filters arrive as registered columns and plain values, never as
SQL; identifiers go through `quote_ident`, values are parameters.

Keyset pages: "the rows after (value, row) in this order", an index seek when the sort column
has an index (big tables get them at load), never an OFFSET. NULLs are their own segment
(first when ascending, last when descending), so the seek stays a row-value comparison
``(col, _row) > (?, ?)`` that SQLite answers from the index.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from trawl.storage.tables import FLAGS, ROW, Column, TableInfo, TableStore, quote_ident

NULL_VALUE = "\x00null"   # the value of an equality filter that matches empty cells
_DATE_TYPES = ("date", "datetime", "time")
_TRUE = {"1", "true", "yes", "y", "t", "on"}
_FALSE = {"0", "false", "no", "n", "f", "off"}

Cursor = tuple[Any, int]   # (sort value, row number) of the last row of a page


@dataclass
class Filter:
    op: str            # eq | contains | min | max
    column: Column
    value: str


@dataclass
class RowSelection:
    """Which rows of a table a view holds: every filter matches (equalities on one column:
    any of them), flagged rows only if `flagged`, and only `rows` (a search's matches) when
    it is given."""

    filters: list[Filter] = field(default_factory=list)
    flagged: bool = False
    rows: list[int] | None = None

    @property
    def everything(self) -> bool:
        return not self.filters and not self.flagged and self.rows is None


def matching_rows(store: TableStore, info: TableInfo, selection: RowSelection, limit: int
                  ) -> list[int]:
    """The numbers of at most `limit` rows of the selection (in no particular order)."""
    where, args = _where(selection)
    # Row numbers only: an equality or a range on an indexed column is answered from the
    # index alone.
    return [r[0] for r in store.db.execute(
        f"SELECT {ROW} FROM {quote_ident(info.sql_name)} WHERE {' AND '.join(where)} "
        f"LIMIT {int(limit)}", args)]


def row_values(store: TableStore, info: TableInfo, rows: list[int], columns: list[str]
               ) -> list[tuple[Any, ...]]:
    """(row number, then the values of `columns`) of the given rows, in no particular order."""
    wanted = ", ".join([ROW, *(quote_ident(c) for c in columns)])
    return [tuple(r) for r in store.db.execute(
        f"SELECT {wanted} FROM {quote_ident(info.sql_name)} WHERE {ROW} IN "
        "(SELECT value FROM json_each(?))", (json.dumps(rows),))]


def rows_by_number(store: TableStore, info: TableInfo, rows: list[int]
                   ) -> list[dict[str, Any]]:
    """The rows with these numbers, in the order given (missing ones left out)."""
    if not rows:
        return []
    found = {r[ROW]: dict(r) for r in store.db.execute(
        f"SELECT * FROM {quote_ident(info.sql_name)} WHERE {ROW} IN "
        f"({', '.join('?' * len(rows))})", rows)}
    return [found[i] for i in rows if i in found]


def rows_equal(store: TableStore, info: TableInfo, column: str, value: Any, limit: int
               ) -> list[dict[str, Any]]:
    """The first `limit` rows (by number) whose `column` holds `value`."""
    return [dict(r) for r in store.db.execute(
        f"SELECT * FROM {quote_ident(info.sql_name)} WHERE {quote_ident(column)} = ? "
        f"ORDER BY {ROW} LIMIT ?", (value, limit))]


def count_equal(store: TableStore, info: TableInfo, column: str, value: Any) -> int:
    """The number of rows whose `column` holds `value`."""
    return store.db.execute(
        f"SELECT COUNT(*) FROM {quote_ident(info.sql_name)} WHERE {quote_ident(column)} = ?",
        (value,)).fetchone()[0]


def rows_after(store: TableStore, info: TableInfo, after_row: int, limit: int
               ) -> list[dict[str, Any]]:
    """The first `limit` rows numbered after `after_row`, in order."""
    return [dict(r) for r in store.db.execute(
        f"SELECT * FROM {quote_ident(info.sql_name)} WHERE {ROW} > ? ORDER BY {ROW} LIMIT ?",
        (after_row, limit))]


def cells_between(store: TableStore, info: TableInfo, columns: list[str], after_row: int,
                  last_row: int) -> list[tuple[Any, ...]]:
    """(row number, then the values of `columns`) of the rows numbered after `after_row` up
    to `last_row`, in order: a block of a table read from start to end (a rowid range)."""
    if not info.has_rows or not columns:
        return []
    wanted = ", ".join([ROW, *(quote_ident(c) for c in columns)])
    cursor = store.db.cursor()
    cursor.row_factory = None  # plain tuples: no Row object per row of a big table
    return cursor.execute(f"SELECT {wanted} FROM {quote_ident(info.sql_name)} WHERE {ROW} > ? "
                          f"AND {ROW} <= ? ORDER BY {ROW}", (after_row, last_row)).fetchall()


def _where(selection: RowSelection, hint: bool = False) -> tuple[list[str], list[Any]]:
    """The filters as SQL. `hint` writes columns as ``+"col"`` so that SQLite walks the
    sort order's index (or the rows in file order) instead of the filter's index: right
    when the filter matches many rows, since the first page's rows are then found at once
    while reading the whole of a filter's range would mean sorting it."""
    where: list[str] = []
    args: list[Any] = []
    equals: dict[str, list[Filter]] = {}
    plus = "+" if hint else ""
    for f in selection.filters:
        q = plus + quote_ident(f.column.sql)
        dated = f.column.type in _DATE_TYPES
        if f.op == "eq":
            equals.setdefault(f.column.sql, []).append(f)
        elif f.op == "contains":
            where.append(f"{q} LIKE ? ESCAPE '\\'")
            args.append(_like(f.value))
        elif f.op == "min":
            where.append(f"{q} >= ?")
            args.append(f.value.strip() if dated else typed_value(f.column, f.value))
        elif f.op == "max":
            # A date range's end includes the whole day (or month, or year) it names.
            where.append(f"{q} <= ?")
            args.append(f.value.strip() + "~" if dated else typed_value(f.column, f.value))
    for name, filters in equals.items():
        q = plus + quote_ident(name)
        column = filters[0].column
        parts = []
        for f in filters:
            if f.value == NULL_VALUE:
                parts.append(f"{q} IS NULL")
            elif column.type in _DATE_TYPES:
                # A date matches every time of that day: a range, so an index serves it.
                parts.append(f"({q} >= ? AND {q} <= ?)")
                args += [f.value.strip(), f.value.strip() + "~"]
            else:
                parts.append(f"{q} = ?")
                args.append(typed_value(column, f.value))
        where.append("(" + " OR ".join(parts) + ")")
    if selection.flagged:
        where.append(f"{FLAGS} IS NOT NULL")
    if selection.rows is not None:
        where.append(f"{ROW} IN ({', '.join('?' * len(selection.rows))})"
                     if selection.rows else "0")
        args += selection.rows
    return where, args


def typed_value(column: Column, value: str) -> Any:
    """A filter's text as the column's stored value (a Python int may be beyond SQLite's
    64-bit INTEGER: web/params.py refuses those before a query is made)."""
    text = value.strip()
    if column.type == "integer":
        try:
            return int(text.replace(",", ""))
        except ValueError:
            try:
                return float(text.replace(",", ""))
            except ValueError:
                return value
    if column.type == "number":
        try:
            return float(text.replace(",", ""))
        except ValueError:
            return value
    if column.type == "boolean":
        low = text.lower()
        if column.labels:
            labels = [label.lower() for label in column.labels]
            if low in labels:
                return labels.index(low)
        return 1 if low in _TRUE else 0 if low in _FALSE else value
    return value


def _like(value: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", value) + "%"


def keyset_page(store: TableStore, info: TableInfo, selection: RowSelection,
                sort: str | None, desc: bool, after: Cursor | None, limit: int,
                hint: bool = False) -> tuple[list[dict[str, Any]], Cursor | None]:
    """One keyset page of the selection sorted on `sort` (else in row order), after the
    cursor `after`, and the cursor of the next page (None on the last page). `hint`: the
    selection matches many rows, so walk the sort order rather than a filter's index."""
    db = store.db
    table = quote_ident(info.sql_name)
    where, args = _where(selection, hint)
    base = " AND ".join(where) if where else "1"
    if not sort:
        seek, seek_args = "1", []
        if after is not None:
            seek, seek_args = (f"{ROW} < ?" if desc else f"{ROW} > ?"), [after[1]]
        order = f"{ROW} DESC" if desc else ROW
        rows = db.execute(f"SELECT * FROM {table} WHERE ({base}) AND {seek} ORDER BY {order} "
                          f"LIMIT {limit + 1}", [*args, *seek_args]).fetchall()
        return _finish([dict(r) for r in rows], limit, None)
    col = quote_ident(sort)
    direction = "DESC" if desc else "ASC"
    order = f"{col} {direction}, {ROW} {direction}"
    # Segments in reading order: NULLs come first ascending, last descending (as SQLite
    # sorts them), each read with a seek that an index on the column can answer.
    segments = ["null", "value"] if not desc else ["value", "null"]
    if after is not None:
        value, row = after
        current = "null" if value is None else "value"
        segments = segments[segments.index(current):]
    rows: list[dict[str, Any]] = []
    for segment in segments:
        need = limit + 1 - len(rows)
        if need <= 0:
            break
        cond = f"{col} IS NULL" if segment == "null" else f"{col} IS NOT NULL"
        seek_args: list[Any] = []
        if after is not None and (segment == "null") == (after[0] is None):
            if segment == "null":
                cond += f" AND {ROW} {'<' if desc else '>'} ?"
                seek_args = [after[1]]
            else:
                cond += f" AND ({col}, {ROW}) {'<' if desc else '>'} (?, ?)"
                seek_args = [after[0], after[1]]
        found = db.execute(f"SELECT * FROM {table} WHERE ({base}) AND {cond} ORDER BY {order} "
                           f"LIMIT {need}", [*args, *seek_args]).fetchall()
        rows += [dict(r) for r in found]
    return _finish(rows, limit, sort)


def _finish(rows: list[dict[str, Any]], limit: int, sort: str | None
            ) -> tuple[list[dict[str, Any]], Cursor | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, (last[sort] if sort else None, last[ROW])

