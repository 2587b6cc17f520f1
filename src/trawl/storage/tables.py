"""Structured tables: `<data-dir>/tables.sqlite`, one SQLite file that Datasette opens as it is.

Design
------
* One SQL table per source table: a CSV/TSV file, or one sheet of a workbook, at one path of
  one dataset. Its SQL name is readable (``blueleaks:ncric/SARs.csv``, plus `` (Sheet)`` for a
  sheet) so that the file opens as it is in Datasette (no "]" in it: Datasette quotes some
  names in brackets). Columns are the header's names (made
  unique, case-insensitively as SQLite compares identifiers) with their inferred SQL types,
  between three columns of Trawl's own:
    - ``_row INTEGER PRIMARY KEY``: the row's number in the file (1 = first data row). It is
      the rowid, so keyset pagination (``(col, _row) > (?, ?)``) walks an index, never an
      OFFSET, and stays fast at any depth of a 500k-row table;
    - ``_flags``: why a row is not as its header promised (``ragged: 12 cells, header has
      10``, ``short: ...``, ``bad bytes``); NULL for a clean row;
    - ``_extra``: the cells past the header's last column (JSON), so that nothing is dropped.
* ``trawl_tables`` is the registry: dataset, name, folder (the site folder), path, sheet,
  columns with types and statistics (JSON), row count, header-only, flags. Header-only tables
  (most of a BlueLeaks site) are registered with their columns and no SQL table of rows.
* ``trawl_links`` holds row -> document links found in file-reference cells;
  ``trawl_joins`` the joins found between tables of one folder (by key name or by value).
* Only the ingestion coordinator writes (as for the catalog); the web and the CLI read. Every
  value is a parameter; every identifier goes through `quote_ident`, and identifiers that come
  from a request are first looked up in the registry (`TableInfo.column`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trawl.storage.wal import use_wal

# Contents that hold tables: delimited text and workbooks (ingestion/tables reads them).
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
CSV_SUFFIXES = (".csv", ".tsv", ".tab")
_TABLE_MIMES = {m.lower() for m in CSV_MIMES | WORKBOOK_MIMES}


def is_table_content(mime: str | None, family: str | None, name: str = "") -> bool:
    """Whether a content holds tables: by its detected type or family (sync.py selects the
    same in SQL), or a text file named .csv."""
    mime = (mime or "").lower()
    if mime in _TABLE_MIMES or family == "spreadsheet":
        return True
    return mime == "text/plain" and name.lower().endswith(CSV_SUFFIXES)


SCHEMA = """
CREATE TABLE IF NOT EXISTS trawl_tables (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: /tables/<id> keeps its meaning
    dataset TEXT NOT NULL,
    name TEXT NOT NULL,              -- SARs; a sheet: "book [Sheet1]"
    folder TEXT NOT NULL,            -- the folder holding the file (a BlueLeaks site)
    path TEXT NOT NULL,              -- the file's path in the dataset
    sheet TEXT,                      -- the sheet's name, for workbooks
    sheet_index INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL,
    document_id TEXT,
    sql_name TEXT NOT NULL UNIQUE,
    columns TEXT NOT NULL DEFAULT '[]',  -- JSON: name, sql, type, nulls, distinct, facet, ...
    row_count INTEGER NOT NULL DEFAULT 0,
    header_only INTEGER NOT NULL DEFAULT 0,
    has_header INTEGER NOT NULL DEFAULT 1,
    ragged_rows INTEGER NOT NULL DEFAULT 0,
    bad_byte_rows INTEGER NOT NULL DEFAULT 0,
    encoding TEXT,
    dialect TEXT,                    -- JSON: delimiter, quotechar, ...
    key_column TEXT,                 -- sql name of the column that identifies a row
    label_column TEXT,               -- sql name of a column that names a row (a title)
    title TEXT,                      -- a sheet's title line above its header
    error TEXT,                      -- why the rows could not be read (the table stays listed)
    indexed INTEGER NOT NULL DEFAULT 0,  -- rows are in the search index
    loaded_at REAL,
    linked_at REAL,                  -- file references last resolved (files may come later)
    UNIQUE (dataset, path, sheet_index)
);
CREATE INDEX IF NOT EXISTS trawl_tables_name ON trawl_tables(dataset, name);
CREATE INDEX IF NOT EXISTS trawl_tables_folder ON trawl_tables(dataset, folder);
CREATE INDEX IF NOT EXISTS trawl_tables_sha ON trawl_tables(sha256, sheet_index);
CREATE TABLE IF NOT EXISTS trawl_links (
    table_id INTEGER NOT NULL,
    row INTEGER NOT NULL,
    column TEXT NOT NULL,            -- sql name of the cell's column
    value TEXT NOT NULL,             -- the cell as written (files\\DDF\\x.pdf)
    file_path TEXT NOT NULL,         -- the catalog path it resolved to
    document_id TEXT                 -- NULL when the file has no content (failed to read)
);
CREATE INDEX IF NOT EXISTS trawl_links_row ON trawl_links(table_id, row);
CREATE INDEX IF NOT EXISTS trawl_links_doc ON trawl_links(document_id);
CREATE TABLE IF NOT EXISTS trawl_joins (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,
    folder TEXT NOT NULL,
    from_table INTEGER NOT NULL,
    from_column TEXT NOT NULL,
    to_table INTEGER NOT NULL,
    to_column TEXT NOT NULL,
    kind TEXT NOT NULL,              -- key (DocumentCategoryID) | name (values of a name column)
    matched INTEGER,                 -- distinct values of from_column found in to_column
    total INTEGER                    -- distinct values of from_column
);
CREATE INDEX IF NOT EXISTS trawl_joins_from ON trawl_joins(from_table);
CREATE INDEX IF NOT EXISTS trawl_joins_to ON trawl_joins(to_table);
CREATE INDEX IF NOT EXISTS trawl_joins_folder ON trawl_joins(dataset, folder);
"""

# What a statement of a store raises when it fails (a corrupt file, a full disk, a bad
# staged file): callers that lose one file's tables rather than the run catch this.
StoreError = sqlite3.Error

ROW = "_row"
FLAGS = "_flags"
EXTRA = "_extra"
RESERVED = {ROW.lower(), FLAGS.lower(), EXTRA.lower(), "rowid", "oid", "_rowid_"}
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT",
             "datetime": "TEXT", "time": "TEXT", "text": "TEXT"}
TYPES = tuple(SQL_TYPES)
# A column with 2..FACET_MAX distinct values gets facets (its values and their counts), as
# loading computes them and as the redacted copy computes them again from masked values.
FACET_MAX = 30


def quote_ident(name: str) -> str:
    """An SQL identifier, quoted: double quotes doubled, so any name is one identifier."""
    if "\x00" in name:
        raise ValueError("an identifier cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'


def table_sql_name(dataset: str, path: str, sheet: str | None) -> str:
    name = f"{dataset}:{path}" + (f" ({sheet})" if sheet is not None else "")
    # Datasette quotes table names in [brackets] in places: a "]" would break it there.
    name = name.replace("\x00", "").replace("]", ")").replace("[", "(")
    # sqlite_ names are SQLite's own; trawl_ names are the registry's.
    if name.lower().startswith(("sqlite_", "trawl_")):
        name = "_" + name
    return name


@dataclass
class Column:
    name: str                 # the header's text (or column_N)
    sql: str                  # the SQL column name: unique, case-insensitively
    type: str = "text"        # integer | number | boolean | date | datetime | time | text
    nulls: int = 0
    distinct: int | None = None       # exact up to a cap, else None (many)
    facet: list[list[Any]] | None = None  # [[value, count], ...] for low-cardinality columns
    avg_len: float = 0.0
    labels: list[str] | None = None   # a boolean's words, false first ("No", "Yes")
    family: str | None = None         # how dates were written: iso | slash | ymd | dotted | time
    order: str | None = None          # dmy | mdy for slashed dates
    indexed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v is not False}


@dataclass
class TableInfo:
    id: int
    dataset: str
    name: str
    folder: str
    path: str
    sheet: str | None
    sheet_index: int
    sha256: str
    document_id: str | None
    sql_name: str
    columns: list[Column]
    row_count: int
    header_only: bool
    has_header: bool
    ragged_rows: int
    bad_byte_rows: int
    encoding: str | None
    dialect: dict[str, Any] | None
    key_column: str | None
    label_column: str | None
    title: str | None
    error: str | None
    indexed: bool
    loaded_at: float | None
    linked_at: float | None = None
    _by_sql: dict[str, Column] = field(default_factory=dict, repr=False)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TableInfo:
        data = dict(row)
        data["columns"] = [Column(**c) for c in json.loads(data["columns"] or "[]")]
        data["dialect"] = json.loads(data["dialect"]) if data["dialect"] else None
        for key in ("header_only", "has_header", "indexed"):
            data[key] = bool(data[key])
        info = cls(**data)
        info._by_sql = {c.sql.lower(): c for c in info.columns}
        return info

    @property
    def source(self) -> str:
        return self.path + (f" [{self.sheet}]" if self.sheet is not None else "")

    @property
    def has_rows(self) -> bool:
        return not self.header_only and self.error is None and self.row_count > 0

    def column(self, name: str) -> Column | None:
        """The column called `name` (its SQL name), or None: the only way a name from a
        request reaches SQL is as a registered column."""
        return self._by_sql.get(name.lower())

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "dataset": self.dataset, "name": self.name, "source": self.path,
            "sheet": self.sheet, "folder": self.folder, "rows": self.row_count,
            "columns": [{"name": c.sql, "label": c.name, "type": c.type}
                        for c in self.columns],
            "header_only": self.header_only, "has_header": self.has_header,
            "ragged_rows": self.ragged_rows, "bad_byte_rows": self.bad_byte_rows,
            "encoding": self.encoding, "key": self.key_column, "document_id": self.document_id,
            "error": self.error,
        }


@dataclass
class TableFile:
    """A file of the catalog whose content holds tables (`Catalog.table_files`)."""

    path: str
    sha256: str
    parent_id: int | None
    mime: str
    encrypted: bool           # decrypted for its text only: its sheets are not read again


@dataclass
class RegisteredPath:
    """The tables registered for one path: the content they were loaded from."""

    sha256: str
    folder: str
    ids: list[int]


@dataclass
class Join:
    id: int
    from_table: int
    from_column: str
    to_table: int
    to_column: str
    kind: str
    matched: int | None
    total: int | None


class TableStore:
    """The registry and rows of `tables.sqlite`. Opened read-only by readers."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30,
                                      check_same_thread=False)
            # A filtered view reads up to 10,000 rows by number: a larger page cache keeps
            # those lookups in memory (64 MB, the default being 2 MB).
            self.db.execute("PRAGMA cache_size=-65536")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Transactions are explicit (`begin`/`commit`): one file's tables go in whole,
            # DDL included, and ATTACH (which needs no open transaction) stays possible.
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                      isolation_level=None)
            use_wal(self.db)
            self.db.executescript(SCHEMA)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.row_factory = sqlite3.Row

    @classmethod
    def open_readonly(cls, path: Path) -> TableStore | None:
        """The store for reading, or None when no table was ever loaded."""
        if not Path(path).exists():
            return None
        return cls(path, readonly=True)

    def close(self) -> None:
        self.db.close()

    @property
    def in_transaction(self) -> bool:
        return self.db.in_transaction

    def begin(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN")

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    # -- registry: reading --------------------------------------------------------------------
    def table(self, table_id: int) -> TableInfo | None:
        row = self.db.execute("SELECT * FROM trawl_tables WHERE id = ?", (table_id,)).fetchone()
        return TableInfo.from_row(row) if row else None

    def tables(self, dataset: str | None = None, include_empty: bool = True,
               name: str | None = None, folder: str | None = None) -> list[TableInfo]:
        return [TableInfo.from_row(r) for r in self._table_rows(dataset, include_empty,
                                                               name, folder)]

    def _table_rows(self, dataset: str | None = None, include_empty: bool = True,
                   name: str | None = None, folder: str | None = None,
                   unindexed: bool = False) -> list[sqlite3.Row]:
        """The registry rows of `tables`, unparsed (`tables_with_rows` may hold some tables
        already); `unindexed`: only those whose rows are not in the search index yet."""
        sql, args = "SELECT * FROM trawl_tables WHERE 1 = 1", []
        for column, value in (("dataset", dataset), ("name", name), ("folder", folder)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if not include_empty:
            sql += " AND header_only = 0 AND error IS NULL"
        if unindexed:
            sql += " AND indexed = 0"
        # "+dataset": the same order, but SQLite no longer picks an index for it, which made
        # it scan every table of the dataset by name for the tables of one folder (6 ms a
        # folder at 8,000 tables); now the (dataset, folder) or (dataset, name) index finds
        # the rows and a sort of those few orders them.
        sql += " ORDER BY +dataset, folder, name, sheet_index"
        return self.db.execute(sql, args).fetchall()

    def tables_with_rows(self, dataset: str | None, folder: str | None = None,
                         known: dict[int, TableInfo] | None = None, unindexed: bool = False
                         ) -> list[TableInfo]:
        """`tables(dataset, include_empty=False, folder=folder)` (only the tables whose rows
        are not in the search index, if `unindexed`), taking the descriptions in `known`
        (tables loaded in this run, as they are in the store) instead of parsing their JSON
        again, which costs more than finding the joins of small tables."""
        rows = self._table_rows(dataset, include_empty=False, folder=folder,
                               unindexed=unindexed)
        known = known or {}
        return [known.get(row["id"]) or TableInfo.from_row(row) for row in rows]

    def registered_paths(self, dataset: str) -> dict[str, RegisteredPath]:
        """Path -> its registered tables, read without their column descriptions (whose
        JSON costs more to parse than everything else here, for thousands of tables)."""
        found: dict[str, RegisteredPath] = {}
        rows = self.db.execute(
            "SELECT id, path, sha256, folder FROM trawl_tables WHERE dataset = ? "
            "ORDER BY +dataset, folder, name, sheet_index", (dataset,))
        for table_id, path, sha256, folder in rows:
            found.setdefault(path, RegisteredPath(sha256, folder, [])).ids.append(table_id)
        return found

    def folders_linked_at(self, dataset: str, skip: set[int]) -> dict[str, float]:
        """Folder -> when the file references of its tables with rows were last resolved
        (the oldest of them; 0.0 for never), leaving out the tables in `skip`."""
        since: dict[str, float] = {}
        rows = self.db.execute(
            "SELECT id, folder, linked_at FROM trawl_tables WHERE dataset = ? "
            "AND header_only = 0 AND error IS NULL ORDER BY +dataset, folder, name, sheet_index",
            (dataset,))
        for table_id, folder, linked_at in rows:
            if table_id not in skip:
                since[folder] = min(since.get(folder, linked_at or 0.0), linked_at or 0.0)
        return since

    def tables_with_sha(self, sha256: str) -> list[TableInfo]:
        """The tables of one content, at whichever path loaded it first (to copy them)."""
        first = self.db.execute("SELECT dataset, path FROM trawl_tables WHERE sha256 = ? "
                                "ORDER BY id LIMIT 1", (sha256,)).fetchone()
        return self.tables_of_path(first["dataset"], first["path"]) if first else []

    def tables_of_path(self, dataset: str, path: str) -> list[TableInfo]:
        rows = self.db.execute(
            "SELECT * FROM trawl_tables WHERE dataset = ? AND path = ? ORDER BY sheet_index",
            (dataset, path)).fetchall()
        return [TableInfo.from_row(r) for r in rows]

    def tables_of_document(self, document_id: str) -> list[TableInfo]:
        rows = self.db.execute(
            "SELECT * FROM trawl_tables WHERE document_id = ? ORDER BY path, sheet_index",
            (document_id,)).fetchall()
        return [TableInfo.from_row(r) for r in rows]

    def table_counts(self, dataset: str) -> dict[str, int]:
        row = self.db.execute(
            "SELECT COUNT(*) AS tables, COALESCE(SUM(header_only = 0 AND error IS NULL), 0) "
            "AS with_rows, COALESCE(SUM(row_count), 0) AS rows FROM trawl_tables "
            "WHERE dataset = ?", (dataset,)).fetchone()
        return dict(row)

    def names(self, dataset: str) -> list[tuple[str, int, int]]:
        """(table name, tables with rows, rows) for names held by more than one folder."""
        rows = self.db.execute(
            "SELECT name, COUNT(*) AS n, SUM(row_count) AS rows FROM trawl_tables "
            "WHERE dataset = ? AND header_only = 0 AND error IS NULL GROUP BY name "
            "HAVING COUNT(DISTINCT folder) > 1 ORDER BY name", (dataset,)).fetchall()
        return [(r["name"], r["n"], r["rows"]) for r in rows]

    # -- links and joins: reading ---------------------------------------------------------------
    def links_of_row(self, table_id: int, row: int) -> list[dict[str, Any]]:
        """The file references of one row: column, value, file_path, document_id."""
        return [dict(r) for r in self.db.execute(
            "SELECT column, value, file_path, document_id FROM trawl_links "
            "WHERE table_id = ? AND row = ? ORDER BY rowid", (table_id, row))]

    def rows_linking(self, document_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The cells that name a document's file: table_id, row, column, value."""
        return [dict(r) for r in self.db.execute(
            "SELECT l.table_id, l.row, l.column, l.value FROM trawl_links l "
            "WHERE l.document_id = ? ORDER BY l.table_id, l.row LIMIT ?",
            (document_id, limit))]

    def joins_of(self, table_id: int) -> list[Join]:
        rows = self.db.execute(
            "SELECT id, from_table, from_column, to_table, to_column, kind, matched, total "
            "FROM trawl_joins WHERE from_table = ? OR to_table = ? ORDER BY id",
            (table_id, table_id)).fetchall()
        return [Join(**dict(r)) for r in rows]

    def cell_row(self, info: TableInfo, row: int) -> dict[str, Any] | None:
        if not info.has_rows:
            return None
        found = self.db.execute(
            f"SELECT * FROM {quote_ident(info.sql_name)} WHERE {ROW} = ?", (row,)).fetchone()
        return dict(found) if found else None

    def row_texts(self, info: TableInfo, columns: list[str], date_column: str | None,
                  max_cell_chars: int) -> Iterator[tuple[int, str, Any]]:
        """(row number, text, date cell) of every row: the text is the row's cells in
        `columns`, each cut at `max_cell_chars` and followed by a newline (empty cells left
        out); the date cell is `date_column`'s value (None without one)."""
        if not info.has_rows:
            return
        # Put together by SQLite (in C): one string per row, for tables of a million rows.
        parts = [f"COALESCE(substr(CAST({quote_ident(c)} AS TEXT), 1, {int(max_cell_chars)}) "
                 "|| char(10), '')" for c in columns]
        cells_sql = " || ".join(parts) or "''"
        date_sql = quote_ident(date_column) if date_column else "NULL"
        yield from self._tuples(
            f"SELECT {ROW}, {cells_sql}, {date_sql} FROM {quote_ident(info.sql_name)} "
            f"ORDER BY {ROW}")  # the rowid: free, and what merging a row's entities needs

    def _tuples(self, sql: str, args: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a query as plain tuples (no Row object per row of a big table)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, args)

    # -- cells: what links and joins are found from ---------------------------------------------
    def filled_cells(self, info: TableInfo, column: str) -> Iterator[tuple[int, Any]]:
        """(row number, value) of every cell of `column` that is not NULL."""
        if not info.has_rows:
            return
        q = quote_ident(column)
        yield from self._tuples(
            f"SELECT {ROW}, {q} FROM {quote_ident(info.sql_name)} WHERE {q} IS NOT NULL")

    def column_values(self, info: TableInfo, columns: list[str]) -> list[tuple[Any, ...]]:
        """The values of `columns`, one tuple per row (for small tables: every row)."""
        if not info.has_rows or not columns:
            return []
        names = ", ".join(quote_ident(c) for c in columns)
        return [tuple(row) for row in self.db.execute(
            f"SELECT {names} FROM {quote_ident(info.sql_name)}")]

    def distinct_values(self, info: TableInfo, column: str, limit: int) -> list[Any]:
        """Up to `limit` distinct values of `column`, NULL left out (a sample)."""
        if not info.has_rows:
            return []
        q = quote_ident(column)
        return [value for (value,) in self.db.execute(
            f"SELECT DISTINCT {q} FROM {quote_ident(info.sql_name)} WHERE {q} IS NOT NULL "
            "LIMIT ?", (limit,))]

    def value_overlap(self, a: TableInfo, a_column: str, b: TableInfo, b_column: str
                      ) -> tuple[int, int]:
        """(distinct values of a.a_column found in b.b_column, distinct values of
        a.a_column), empty strings and NULL left out: how well a join would match."""
        qa, qb = quote_ident(a_column), quote_ident(b_column)
        row = self.db.execute(
            f"SELECT COUNT(*), COALESCE(SUM(v IN (SELECT {qb} FROM {quote_ident(b.sql_name)}"
            f")), 0) FROM (SELECT DISTINCT {qa} AS v FROM {quote_ident(a.sql_name)} "
            f"WHERE {qa} IS NOT NULL AND {qa} != '')").fetchone()
        return int(row[1]), int(row[0])

    # -- writing (the ingestion coordinator only) -----------------------------------------------
    def register(self, dataset: str, name: str, folder: str, path: str, sheet: str | None,
                 sheet_index: int, sha256: str, document_id: str | None,
                 meta: dict[str, Any]) -> int:
        """Record a table (replacing any earlier one at this path and sheet). Its rows, if it
        has any, go in the SQL table named by the returned id's `sql_name`."""
        existing = self.db.execute(
            "SELECT id FROM trawl_tables WHERE dataset = ? AND path = ? AND sheet_index = ?",
            (dataset, path, sheet_index)).fetchone()
        if existing:
            self.drop(existing["id"])
        cursor = self.db.execute(
            "INSERT INTO trawl_tables (dataset, name, folder, path, sheet, sheet_index, sha256, "
            "document_id, sql_name, columns, row_count, header_only, has_header, ragged_rows, "
            "bad_byte_rows, encoding, dialect, key_column, label_column, title, error, "
            "indexed, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, 0, ?)",
            (dataset, name, folder, path, sheet, sheet_index, sha256, document_id,
             self._free_name(table_sql_name(dataset, path, sheet)),
             json.dumps(meta.get("columns", [])),
             int(meta.get("row_count", 0)), int(bool(meta.get("header_only"))),
             int(meta.get("has_header", True)), int(meta.get("ragged_rows", 0)),
             int(meta.get("bad_byte_rows", 0)), meta.get("encoding"),
             json.dumps(meta["dialect"]) if meta.get("dialect") else None,
             meta.get("key_column"), meta.get("label_column"), meta.get("title"),
             meta.get("error"), time.time()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def create_rows_table(self, info: TableInfo) -> None:
        """The SQL table of a table's rows, typed as its columns were inferred."""
        defs = ", ".join(f"{quote_ident(c.sql)} {SQL_TYPES.get(c.type, 'TEXT')}"
                         for c in info.columns)
        self.db.execute(f"CREATE TABLE {quote_ident(info.sql_name)} ({ROW} INTEGER PRIMARY KEY, "
                        f"{defs}, {FLAGS} TEXT, {EXTRA} TEXT)")

    def copy_rows(self, info: TableInfo, source: TableInfo) -> None:
        """The rows of `source` (a table of the same content: the same columns) into `info`'s."""
        self.db.execute(f"INSERT INTO {quote_ident(info.sql_name)} "
                        f"SELECT * FROM main.{quote_ident(source.sql_name)}")

    def _free_name(self, wanted: str) -> str:
        """`wanted`, or `wanted #2`...: SQLite compares table names without case, and two
        paths may differ only by case (SARs.csv and sars.csv)."""
        name, n = wanted, 1
        # A table or an index of that name: looked up in SQLite's schema, which matches
        # names as COLLATE NOCASE does (ASCII letters only), rather than by a scan of
        # sqlite_master (thousands of rows: it made each registration O(tables)). Only
        # sqlite_ names differ (sqlite_master is not in itself), and none is wanted here.
        while self.db.execute(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1, 'main')) "
                "OR EXISTS (SELECT 1 FROM pragma_index_info(?1, 'main'))", (name,)).fetchone()[0]:
            n += 1
            name = f"{wanted} #{n}"
        return name

    def update_columns(self, table_id: int, columns: list[Column]) -> None:
        self.db.execute("UPDATE trawl_tables SET columns = ? WHERE id = ?",
                        (json.dumps([c.as_dict() for c in columns]), table_id))

    def drop(self, table_id: int) -> None:
        """A table, its rows, its links and its joins."""
        info = self.table(table_id)
        if info is None:
            return
        self.db.execute(f"DROP TABLE IF EXISTS {quote_ident(info.sql_name)}")
        self.db.execute("DELETE FROM trawl_links WHERE table_id = ?", (table_id,))
        self.db.execute("DELETE FROM trawl_joins WHERE from_table = ? OR to_table = ?",
                        (table_id, table_id))
        self.db.execute("DELETE FROM trawl_tables WHERE id = ?", (table_id,))

    def mark_linked(self, table_id: int, when: float) -> None:
        self.db.execute("UPDATE trawl_tables SET linked_at = ? WHERE id = ?", (when, table_id))

    def mark_indexed(self, table_id: int, indexed: bool = True) -> None:
        self.db.execute("UPDATE trawl_tables SET indexed = ? WHERE id = ?",
                        (int(indexed), table_id))

    def mark_all_unindexed(self) -> None:
        """Every table's rows must go in the search index again (it was rebuilt)."""
        self.db.execute("UPDATE trawl_tables SET indexed = 0")

    def replace_links(self, table_id: int, links: list[tuple[int, str, str, str, str | None]]
                      ) -> None:
        """(row, column, value, file_path, document_id) of one table, replacing its old ones."""
        self.db.execute("DELETE FROM trawl_links WHERE table_id = ?", (table_id,))
        self.db.executemany(
            "INSERT INTO trawl_links (table_id, row, column, value, file_path, document_id) "
            "VALUES (?, ?, ?, ?, ?, ?)", [(table_id, *link) for link in links])

    def replace_joins(self, dataset: str, folder: str,
                      joins: list[tuple[int, str, int, str, str, int | None, int | None]]
                      ) -> None:
        self.db.execute("DELETE FROM trawl_joins WHERE dataset = ? AND folder = ?",
                        (dataset, folder))
        self.db.executemany(
            "INSERT INTO trawl_joins (dataset, folder, from_table, from_column, to_table, "
            "to_column, kind, matched, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(dataset, folder, *j) for j in joins])

    def create_index(self, info: TableInfo, column: str) -> None:
        """An index on one column (sorting, filtering, joining at any size)."""
        col = info.column(column)
        if col is None or not info.has_rows:
            return
        # Named by the column's position: a column name may hold anything, "]" included.
        index_name = f"{info.sql_name}#{info.columns.index(col) + 1}"
        self.db.execute(f"CREATE INDEX IF NOT EXISTS {quote_ident(index_name)} ON "
                        f"{quote_ident(info.sql_name)} ({quote_ident(col.sql)})")
        col.indexed = True
