"""The read side of structured tables: a table's rows as a reader asks for them (sorted,
filtered, searched, paged), one row with its links and joins, the union of one table name
across folders, and the rows that reference a document.

Why it is fast at any size:
* Pages are keyset pages: "the 50 rows after (value, row) in this order", an index seek when
  the sort column has an index (big tables get them at load), never an OFFSET. NULLs are
  their own segment (first when ascending, last when descending), so the seek stays a
  row-value comparison ``(col, _row) > (?, ?)`` that SQLite answers from the index.
* A filtered view is first probed for at most `EXACT_COUNT` + 1 matching rows. When it has
  fewer, its rows are known, and the page, the count and the facets are computed on them
  alone (milliseconds); when it has more, the count says "more than 10,000", the page comes
  from the sorted index walk (which finds matches at once precisely because they are many),
  and the facets are the whole table's, precomputed at load and labelled so.
* Full-text search inside a table asks the search index for the matching row numbers.

Identifiers from a request are only ever names of registered columns (`TableInfo.column`);
values are parameters. A request's parameters are read and checked by web/params.py
(`parse_view_params`) before they get here. Reads only: the store is opened read-only.
"""

from __future__ import annotations

import base64
import bisect
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from trawl.errors import NotFound
from trawl.index.base import QueryError
from trawl.index.tantivy_backend import TantivyIndex
from trawl.storage.table_queries import (
    Filter,
    RowSelection,
    count_equal,
    keyset_page,
    matching_rows,
    row_values,
    rows_after,
    rows_by_number,
    rows_equal,
)
from trawl.storage.tables import ROW, Column, Join, TableInfo, TableStore

PAGE_SIZE = 50
MAX_PAGE = 500
EXACT_COUNT = 10_000       # matches counted exactly (and facetted on) up to this
MAX_MATCHES = 10_000       # rows taken from the search index for a search inside a table
MAX_FILTERS = 20
MAX_JOINED = 20            # rows of a joined table shown on a row page


@dataclass
class ViewParams:
    """A table view as the URL says it: sort, filters, search, cursor, page size."""

    sort: str | None = None
    desc: bool = False
    filters: list[Filter] = field(default_factory=list)
    q: str = ""
    after: tuple[Any, int] | None = None
    limit: int = PAGE_SIZE
    flagged: bool = False
    truncated: int | None = None   # a search matched this many rows; the first ones are shown

    def pairs(self, after: bool = True) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for f in self.filters:
            out.append((f"{OP_PREFIX[f.op]}.{f.column.sql}", f.value))
        if self.flagged:
            out.append(("flagged", "1"))
        if self.sort:
            out.append(("sort", self.sort))
            if self.desc:
                out.append(("desc", "1"))
        if self.limit != PAGE_SIZE:
            out.append(("limit", str(self.limit)))
        if after and self.after is not None:
            out.append(("after", encode_cursor(self.after)))
        return out


# How a filter's operator is written in a URL: f.COL=v (equals), c.COL=v (contains), ...
OP_PREFIX = {"eq": "f", "contains": "c", "min": "min", "max": "max"}


def encode_cursor(cursor: tuple[Any, int]) -> str:
    """A page's cursor as URL-safe text; web/params.py `decode_cursor` reads it back."""
    raw = json.dumps(list(cursor), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass
class TableView:
    info: TableInfo
    params: ViewParams
    rows: list[dict[str, Any]]
    count: int | None              # None: more than EXACT_COUNT
    next_cursor: tuple[Any, int] | None
    facets: list[tuple[Column, list[tuple[Any, int]]]]
    facets_whole_table: bool       # the view is too large: the whole table's counts
    matched_rows: list[int] | None = None


@dataclass
class _Plan:
    selection: RowSelection                # the rows of the view
    hint: bool                             # many rows: read pages in the sort's order
    exact: list[tuple[int, Any]] | None    # (row, sort value) of every row of a small view
    facets: list[tuple[Column, list[tuple[Any, int]]]]
    matched: list[int] | None


@dataclass
class JoinedRows:
    join: Join
    direction: str                 # out: this row -> other table; in: other rows -> this row
    other: TableInfo
    this_column: str
    other_column: str
    value: Any
    rows: list[dict[str, Any]]
    count: int


class TableReader:
    """Reads `tables.sqlite` (opened on first use: it appears with the first table)."""

    def __init__(self, path: Any, index: TantivyIndex | None = None, view: str = "full"
                 ) -> None:
        self.path = path
        self.index = index
        self.index_view = view   # the index view its rows are searched in (full | redacted)
        self._store: TableStore | None = None
        self._identity: tuple[int, int] | None = None

    @property
    def store(self) -> TableStore | None:
        # A redacted copy is rebuilt by replacing its file: reopen when the file changed.
        identity = _file_identity(self.path)
        if self._store is not None and identity != self._identity:
            self.close()
        if self._store is None:
            self._store = TableStore.open_readonly(self.path)
            self._identity = identity
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- tables -------------------------------------------------------------------------------
    def table(self, table_id: int, datasets: list[str] | None = None) -> TableInfo:
        info = self.store.table(table_id) if self.store else None
        if info is None or (datasets is not None and info.dataset not in datasets):
            raise NotFound(f"no table {table_id}")
        return info

    def tables(self, dataset: str, include_empty: bool = False) -> list[TableInfo]:
        return self.store.tables(dataset, include_empty=include_empty) if self.store else []

    def counts(self, dataset: str) -> dict[str, int]:
        if not self.store:
            return {"tables": 0, "with_rows": 0, "rows": 0}
        return self.store.table_counts(dataset)

    def by_folder(self, dataset: str, include_empty: bool = False
                  ) -> list[tuple[str, list[TableInfo]]]:
        grouped: dict[str, list[TableInfo]] = {}
        for info in self.tables(dataset, include_empty):
            grouped.setdefault(info.folder, []).append(info)
        return sorted(grouped.items())

    def same_name(self, info: TableInfo) -> list[TableInfo]:
        """Tables of the same name in the dataset's other folders (for the union view)."""
        if not self.store:
            return []
        return [t for t in self.store.tables(info.dataset, include_empty=False, name=info.name)
                if t.id != info.id]

    def tables_of_document(self, document_id: str) -> list[TableInfo]:
        return self.store.tables_of_document(document_id) if self.store else []

    # -- a view of a table --------------------------------------------------------------------
    def view(self, info: TableInfo, params: ViewParams) -> TableView:
        if not info.has_rows:
            return TableView(info, params, [], 0, None, [], False)
        plan = self._plan(info, params)
        if plan.exact is not None:
            ids, cursor = _slice(plan.exact, params)
            rows = self._rows_by_id(info, ids)
            facets = [(c, counts) for c, counts in plan.facets]
            return TableView(info, params, rows, len(plan.exact), cursor, facets, False,
                             plan.matched)
        assert self.store is not None
        rows, cursor = self._page(info, plan, params)
        filtered = bool(params.filters or params.flagged)
        facets = [(c, [(v, n) for v, n in c.facet or []]) for c in info.columns if c.facet]
        return TableView(info, params, rows, info.row_count if not filtered else None,
                         cursor, facets, filtered, plan.matched)

    def _plan(self, info: TableInfo, params: ViewParams) -> _Plan:
        """How to read a view. A search inside the table, or filters that leave at most
        `EXACT_COUNT` rows, give an exact view: one query reads those rows' row numbers,
        sort values and facet values, and Python does the rest. Otherwise the view is read
        page by page from SQLite, in index order."""
        assert self.store is not None
        facet_columns = [c for c in info.columns if c.facet]
        selection = RowSelection(list(params.filters), params.flagged)
        matched: list[int] | None = None
        if params.q:
            if self.index is None:
                raise QueryError("search inside tables needs the search index")
            matched, total = self.index.match_rows(params.q, info.id, MAX_MATCHES,
                                                   view=self.index_view)
            if total > len(matched):
                params.truncated = total
            selection.rows = matched
        if selection.everything:
            return _Plan(selection, False, None, [], matched)
        ids = matching_rows(self.store, info, selection, EXACT_COUNT + 1)
        if len(ids) > EXACT_COUNT:
            # Many rows match: pages come from an index walk, which finds them at once.
            return _Plan(selection, True, None, [], matched)
        wanted = ([params.sort] if params.sort else []) + [c.sql for c in facet_columns]
        found = row_values(self.store, info, ids, wanted) if wanted else [(i,) for i in ids]
        sort_at = 1 if params.sort else None
        exact = [(r[0], r[sort_at] if sort_at else None) for r in found]
        offset = 2 if params.sort else 1
        facets = []
        for i, column in enumerate(facet_columns):
            counts = Counter(r[offset + i] for r in found if r[offset + i] is not None)
            facets.append((column, counts.most_common(30)))
        return _Plan(selection, False, exact, facets, matched)

    def _page(self, info: TableInfo, plan: _Plan, params: ViewParams
              ) -> tuple[list[dict[str, Any]], tuple[Any, int] | None]:
        assert self.store is not None
        return keyset_page(self.store, info, plan.selection, params.sort, params.desc,
                           params.after, params.limit, plan.hint)

    def _rows_by_id(self, info: TableInfo, ids: list[int]) -> list[dict[str, Any]]:
        assert self.store is not None
        return rows_by_number(self.store, info, ids)

    def export(self, info: TableInfo, params: ViewParams, limit: int | None
               ) -> Iterator[dict[str, Any]]:
        """Every row of the view (all its pages), in its order; `limit` caps them."""
        if not info.has_rows:
            return
        assert self.store is not None
        plan = self._plan(info, params)
        page = ViewParams(params.sort, params.desc, params.filters, params.q, params.after,
                          MAX_PAGE, params.flagged)
        done = 0
        while True:
            if plan.exact is not None:
                ids, cursor = _slice(plan.exact, page)
                rows = self._rows_by_id(info, ids)
            else:
                rows, cursor = self._page(info, plan, page)
            for row in rows:
                if limit is not None and done >= limit:
                    return
                yield row
                done += 1
            if cursor is None:
                return
            page.after = cursor

    # -- one row ------------------------------------------------------------------------------
    def row(self, info: TableInfo, number: int) -> dict[str, Any] | None:
        return self.store.cell_row(info, number) if self.store else None

    def links(self, info: TableInfo, number: int) -> list[dict[str, Any]]:
        if not self.store:
            return []
        return self.store.links_of_row(info.id, number)

    def links_of_rows(self, info: TableInfo, numbers: list[int]
                      ) -> dict[int, dict[str, dict[str, Any]]]:
        """row -> column -> its first file link, for the rows of one page of a grid."""
        out: dict[int, dict[str, dict[str, Any]]] = {}
        if not self.store:
            return out
        for number in numbers:
            for link in self.store.links_of_row(info.id, number):
                out.setdefault(number, {}).setdefault(link["column"], link)
        return out

    def value_labels(self, info: TableInfo, column: str, values: list[Any]) -> dict[Any, str]:
        """For a column that joins another table's key (DocumentCategoryID ->
        DocumentCategory), each value's label there (the category's name): what a facet of
        raw ids shows instead of the ids. Values without a joined row have no label."""
        if not self.store:
            return {}
        labels: dict[Any, str] = {}
        for join in self.store.joins_of(info.id):
            if join.from_table != info.id or join.from_column.lower() != column.lower():
                continue
            other = self.store.table(join.to_table)
            if other is None or not other.has_rows or not other.label_column:
                continue
            for value in values:
                if value in labels or value is None or value == "":
                    continue
                found = rows_equal(self.store, other, join.to_column, value, 1)
                label = row_label(other, found[0]) if found else ""
                if label and label != str(value):
                    labels[value] = label
        return labels

    def joined(self, info: TableInfo, row: dict[str, Any]) -> list[JoinedRows]:
        if not self.store:
            return []
        out = []
        for join in self.store.joins_of(info.id):
            outgoing = join.from_table == info.id
            other = self.store.table(join.to_table if outgoing else join.from_table)
            if other is None or not other.has_rows:
                continue
            this_column = join.from_column if outgoing else join.to_column
            other_column = join.to_column if outgoing else join.from_column
            value = row.get(this_column)
            if value is None or value == "":
                continue
            rows = rows_equal(self.store, other, other_column, value, MAX_JOINED)
            if not rows:
                continue
            count = len(rows) if len(rows) < MAX_JOINED else \
                count_equal(self.store, other, other_column, value)
            out.append(JoinedRows(join, "out" if outgoing else "in", other, this_column,
                                  other_column, value, rows, count))
        return out

    def referencing_rows(self, document_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The rows whose cells name this document's file ("referenced by")."""
        if not self.store:
            return []
        out = []
        tables: dict[int, TableInfo | None] = {}
        for link in self.store.rows_linking(document_id, limit):
            table_id = link["table_id"]
            if table_id not in tables:
                tables[table_id] = self.store.table(table_id)
            info = tables[table_id]
            if info is None:
                continue
            row = self.store.cell_row(info, link["row"]) or {}
            out.append({"table": info, "row": link["row"], "column": link["column"],
                        "value": link["value"], "key": row_key(info, row),
                        "label": row_label(info, row)})
        return out

    # -- the union of one name across folders -------------------------------------------------
    def union(self, dataset: str, name: str, after: tuple[Any, int] | None, limit: int
              ) -> tuple[list[TableInfo], list[Column], list[dict[str, Any]],
                         tuple[Any, int] | None]:
        """Rows of every table called `name` in `dataset`, folder by folder, with the union
        of their columns (matched by name, as SQLite compares them). The cursor is
        (position of the table in that order, row)."""
        if not self.store:
            return [], [], [], None
        tables = [t for t in self.store.tables(dataset, include_empty=False, name=name)
                  if t.has_rows]
        columns: dict[str, Column] = {}
        for info in tables:
            for column in info.columns:
                columns.setdefault(column.sql.lower(), column)
        start, last_row = (int(after[0]), after[1]) if after else (0, 0)
        rows: list[dict[str, Any]] = []
        cursor = None
        for position in range(start, len(tables)):
            info = tables[position]
            need = limit + 1 - len(rows)
            floor = last_row if position == start else 0
            for r in rows_after(self.store, info, floor, need):
                data = {k.lower(): v for k, v in r.items()}
                rows.append({"_table": info, ROW: r[ROW], **{
                    c.sql: data.get(key) for key, c in columns.items()}})
            if len(rows) > limit:
                break
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            cursor = (tables.index(last["_table"]), last[ROW])
        return tables, list(columns.values()), rows, cursor


# -- helpers -------------------------------------------------------------------------------------
def _file_identity(path: Any) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def row_key(info: TableInfo, row: Mapping[str, Any]) -> str:
    if info.key_column and row.get(info.key_column) is not None:
        return str(row[info.key_column])
    return str(row.get(ROW, ""))


def row_label(info: TableInfo, row: Mapping[str, Any]) -> str:
    value = row.get(info.label_column) if info.label_column else None
    return str(value)[:200] if value not in (None, "") else ""


def _order_key(item: tuple[int, Any]) -> tuple[int, Any, int]:
    """SQLite's order: NULL, then numbers, then text, then blobs; then the row number."""
    row, value = item
    if value is None:
        return (0, 0, row)
    if isinstance(value, int | float):
        return (1, value, row)
    if isinstance(value, str):
        return (2, value, row)
    return (3, bytes(value), row)


def _slice(exact: list[tuple[int, Any]], params: ViewParams
           ) -> tuple[list[int], tuple[Any, int] | None]:
    """One page of an exact view, in the view's order, after its cursor."""
    ordered = sorted(exact, key=_order_key, reverse=params.desc)
    start = 0
    if params.after is not None:
        value, row = params.after
        mark = _order_key((row, value if params.sort else None))
        keys = [_order_key(item) for item in ordered]
        if params.desc:
            start = next((i for i, k in enumerate(keys) if k < mark), len(keys))
        else:
            start = bisect.bisect_right(keys, mark)
    page = ordered[start:start + params.limit]
    more = start + params.limit < len(ordered)
    cursor = (page[-1][1] if params.sort else None, page[-1][0]) if more and page else None
    return [row for row, _v in page], cursor
