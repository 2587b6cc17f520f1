"""The file of the redacted copy of `tables.sqlite` (`tables-redacted.sqlite`): its SQL.

What is masked, and how, is access's decision (access/redacted_tables.py says why a copy,
and which cells); it arrives here as a `Masking` per dataset: plain callables and the mask's
text. This module writes the copy: registry rows, each rows table created and indexed by the
original's own statements, cells masked on the way in (in SQLite: one INSERT ... SELECT per
table calling the masking as an SQL function), column statistics recomputed from the masked
rows, links and joins, and ``trawl_redaction`` (per dataset, the fingerprint of the rules
it was built with).

The file is written beside the target and moved over it in one rename, so a reader sees the
old file or the new one, never half of one. Nobody writes it after that (readers open it
read-only), so it keeps SQLite's rollback journal, not WAL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trawl.storage.tables import (
    EXTRA,
    FACET_MAX,
    FLAGS,
    ROW,
    SCHEMA,
    Column,
    TableInfo,
    quote_ident,
)


@dataclass
class Masking:
    """How one dataset's tables are masked (access/redacted_tables.py decides)."""

    fingerprint: str                       # of the rules: a change means building again
    mask: str                              # what a personal cell becomes
    is_personal: Callable[[Column], bool]  # a column whose cells are masked whole
    text: Callable[[str], str]             # any other text: cells, names, titles
    cells: Callable[[list[Any]], Any]      # the cells past a header (a list), each masked


REDACTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS trawl_redaction (
    dataset TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,       -- RedactionRules.fingerprint() of the rules applied
    tables INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    built_at REAL NOT NULL
);
"""


def write_redacted_tables(source: Path, target: Path, masking: dict[str, Masking]
                          ) -> dict[str, int]:
    """Write the masked copy of `source` (tables.sqlite) for the datasets named in `masking`
    to `target`, atomically; returns the rows written per dataset."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    try:
        counts = _build(source, partial, masking)
        # Readable by whoever reads the original (mkstemp makes it private to its owner).
        os.chmod(partial, source.stat().st_mode & 0o666 if source.exists() else 0o644)
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())  # on disk before the rename makes it the file readers open
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


def built_fingerprints(path: Path) -> dict[str, str]:
    """{dataset: rules fingerprint} of a redacted file; empty when there is none."""
    if not Path(path).exists():
        return {}
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT dataset, fingerprint FROM trawl_redaction"))
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


# -- building ------------------------------------------------------------------------------------
def _build(source: Path, path: Path, masking: dict[str, Masking]) -> dict[str, int]:
    db = sqlite3.connect(path, isolation_level=None, uri=True)
    db.row_factory = sqlite3.Row
    try:
        # A scratch file until the rename: no journal, no syncs (a failure deletes it).
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(SCHEMA + REDACTION_SCHEMA)
        counts = dict.fromkeys(masking, 0)
        if not source.exists():
            return counts  # no table loaded yet: an empty store, as readers expect
        db.execute("ATTACH DATABASE ? AS src", (f"{source.resolve().as_uri()}?mode=ro",))
        db.execute("BEGIN")  # one snapshot of the source, whatever the coordinator writes
        for dataset, masked in masking.items():
            counts[dataset] = _copy_dataset(db, dataset, masked)
        db.execute("COMMIT")
        db.execute("DETACH DATABASE src")
        return counts
    finally:
        db.close()


def _copy_dataset(db: sqlite3.Connection, dataset: str, masking: Masking) -> int:
    db.create_function("trawl_redact", 1, _text_function(masking), deterministic=True)
    db.create_function("trawl_redact_extra", 1, _extra_function(masking), deterministic=True)
    tables = [TableInfo.from_row(r) for r in db.execute(
        "SELECT * FROM src.trawl_tables WHERE dataset = ? ORDER BY id", (dataset,))]
    personal: dict[int, set[str]] = {}
    rows = 0
    for info in tables:
        personal[info.id] = {c.sql.lower() for c in info.columns if masking.is_personal(c)}
        copied = _copy_rows(db, info, personal[info.id], masking.mask)
        rows += copied
        columns = _redacted_columns(db, info, personal[info.id], copied, masking.mask)
        _copy_registry_row(db, info, columns, masking.text)
    _copy_links(db, tables, personal, masking)
    _copy_joins(db, dataset, personal)
    db.execute("INSERT INTO trawl_redaction (dataset, fingerprint, tables, rows, built_at) "
               "VALUES (?, ?, ?, ?, ?)",
               (dataset, masking.fingerprint, len(tables), rows, time.time()))
    return rows


def _text_function(masking: Masking) -> Any:
    text = masking.text

    def redact(value: Any) -> Any:
        return text(value) if isinstance(value, str) and value else value
    return redact


def _extra_function(masking: Masking) -> Any:
    """``_extra`` is a JSON list of the cells past the header: each one masked, the JSON kept
    valid (masking the JSON text could cut through an escape sequence)."""
    def redact(value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return value
        try:
            cells = json.loads(value)
        except ValueError:
            return masking.text(value)
        return json.dumps(masking.cells(cells), ensure_ascii=False)
    return redact


def _copy_rows(db: sqlite3.Connection, info: TableInfo, personal: set[str], mask: str
               ) -> int:
    """The rows table, created and indexed by the original's own statements, its cells
    redacted on the way in (in SQLite: one statement). Returns the rows copied."""
    if not info.has_rows:
        return 0
    create = db.execute("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?",
                        (info.sql_name,)).fetchone()
    if create is None:
        return 0
    db.execute(create[0])  # unqualified: it creates the table in the new file
    names = [r[0] for r in db.execute("SELECT name FROM pragma_table_info(?, 'src')",
                                      (info.sql_name,))]
    exprs = ", ".join(_cell_sql(name, personal, mask) for name in names)
    table = quote_ident(info.sql_name)
    copied = db.execute(f"INSERT INTO main.{table} SELECT {exprs} FROM src.{table}").rowcount
    for (index_sql,) in db.execute(
            "SELECT sql FROM src.sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (info.sql_name,)).fetchall():
        db.execute(index_sql)
    return max(copied, 0)


def _cell_sql(name: str, personal: set[str], mask: str) -> str:
    """The SQL that masks one column: as `Redactor.cell` does, in SQLite."""
    q = quote_ident(name)
    low = name.lower()
    if low in (ROW.lower(), FLAGS.lower()):
        return q
    if low == EXTRA.lower():
        return f"trawl_redact_extra({q})"
    if low in personal:
        # An empty cell stays empty: which cells were filled is not personal.
        return f"CASE WHEN {q} IS NULL OR {q} = '' THEN {q} ELSE {_literal(mask)} END"
    return f"trawl_redact({q})"


def _redacted_columns(db: sqlite3.Connection, info: TableInfo, personal: set[str],
                      copied: int, mask: str) -> list[Column]:
    """The columns' statistics, recomputed from the redacted rows wherever they were built
    from values (distinct counts, facets): a facet of the original would list first names."""
    columns = [Column(**c.as_dict()) for c in info.columns]
    for column in columns:
        column.facet = None
        if column.sql.lower() in personal:
            column.avg_len = float(len(mask)) if column.nulls < info.row_count else 0.0
    counted = [c for c in columns if c.distinct is not None or c.sql.lower() in personal]
    if not copied or not counted:
        return columns
    table = quote_ident(info.sql_name)
    parts = ", ".join(f"COUNT(DISTINCT {quote_ident(c.sql)}), COUNT({quote_ident(c.sql)})"
                      for c in counted)
    found = db.execute(f"SELECT {parts} FROM main.{table}").fetchone()
    for i, column in enumerate(counted):
        distinct, filled = found[2 * i], found[2 * i + 1]
        column.distinct = distinct
        # Facets as loading makes them: values that repeat, a category rather than an id.
        if 2 <= distinct <= FACET_MAX and distinct < filled:
            column.facet = _facet(db, table, column.sql)
    return columns


def _facet(db: sqlite3.Connection, table: str, column: str) -> list[list[Any]]:
    q = quote_ident(column)
    return [[value, count] for value, count in db.execute(
        f"SELECT {q}, COUNT(*) AS n FROM main.{table} WHERE {q} IS NOT NULL GROUP BY {q} "
        f"ORDER BY n DESC, MIN({ROW})")]


def _copy_registry_row(db: sqlite3.Connection, info: TableInfo, columns: list[Column],
                       text: Callable[[str], str]) -> None:
    row = dict(db.execute("SELECT * FROM src.trawl_tables WHERE id = ?", (info.id,)).fetchone())
    row["columns"] = json.dumps([c.as_dict() for c in columns])
    # A sheet's title line and a reading error may quote cells; a file's name and folder
    # may hold an e-mail address or a phone number, masked as the documents' paths are.
    for key in ("title", "error", "name", "folder", "path", "sheet"):
        row[key] = text(row[key]) if row[key] else row[key]
    row["indexed"] = 0  # the redacted rows are in no search index yet
    names = ", ".join(quote_ident(k) for k in row)
    db.execute(f"INSERT INTO main.trawl_tables ({names}) VALUES "
               f"({', '.join('?' * len(row))})", list(row.values()))


def _copy_links(db: sqlite3.Connection, tables: list[TableInfo],
                personal: dict[int, set[str]], masking: Masking) -> None:
    """Row -> document links, their cell text masked as the cell itself is."""
    ids = [t.id for t in tables]
    if not ids:
        return
    links = db.execute(
        "SELECT table_id, row, column, value, file_path, document_id FROM src.trawl_links "
        "WHERE table_id IN (SELECT value FROM json_each(?)) ORDER BY rowid",
        (json.dumps(ids),)).fetchall()
    db.executemany(
        "INSERT INTO main.trawl_links (table_id, row, column, value, file_path, document_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(t, r, c, masking.mask if c.lower() in personal.get(t, set()) and v
          else masking.text(v),
          path, doc) for t, r, c, v, path, doc in links])


def _copy_joins(db: sqlite3.Connection, dataset: str, personal: dict[int, set[str]]) -> None:
    """Joins, except those on a personal column."""
    joins = db.execute("SELECT * FROM src.trawl_joins WHERE dataset = ? ORDER BY id",
                       (dataset,)).fetchall()
    kept = [dict(j) for j in joins
            if j["from_column"].lower() not in personal.get(j["from_table"], set())
            and j["to_column"].lower() not in personal.get(j["to_table"], set())]
    if kept:
        names = list(kept[0])
        db.executemany(
            f"INSERT INTO main.trawl_joins ({', '.join(quote_ident(n) for n in names)}) "
            f"VALUES ({', '.join('?' * len(names))})", [list(j.values()) for j in kept])


def _literal(text: str) -> str:
    """An SQL string literal (quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"
