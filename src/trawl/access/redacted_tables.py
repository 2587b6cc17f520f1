"""The redacted copy of `tables.sqlite` that public readers are given.

`build_redacted_tables` writes `<data-dir>/tables-redacted.sqlite`: the public datasets'
tables only, every cell through their dataset's `Redactor`, in a file that `TableStore` and
`search/tables.py`'s `TableReader` read exactly as they read the original:

* the same registry ids (``/tables/<id>`` addresses and the index's row entries use them),
  the same SQL names, each rows table created by the original's own ``CREATE TABLE``
  statement and given the original's own ``CREATE INDEX`` statements (same types, same
  indexed columns: a big table stays fast to sort and filter);
* cells: a personal column's are masked whole, other text goes through the detectors (in
  SQLite, one `INSERT ... SELECT` per table calling the redactor as an SQL function), numbers
  stay; the ``_extra`` cells past a header have no name and go through the detectors;
* what the registry says about columns is recomputed from the redacted rows (distinct
  counts, facet values and their counts), never copied: a facet of first names would
  otherwise show them to a public reader;
* ``trawl_links`` stay (they lead rows to documents), their cell text masked as the cell is;
  ``trawl_joins`` on a personal column are dropped (joining on a masked value would join
  every row with every row);
* ``trawl_redaction`` records, per dataset, the fingerprint of the rules it was built with
  (`built_fingerprints`): when rules or tables change, the file is built again.

Why a copy rather than masking on read: every read path (pages, filters, sorting, facets,
exports, joins, the row index) then sees only masked values, with no code path to forget;
and filtering on a masked value finds nothing, as a public reader must not find a row by a
redacted value. The file is written beside the target and moved over it in one rename, so a
reader sees the old file or the new one, never half of one. Nobody writes it after that
(readers open it read-only), so it keeps SQLite's rollback journal, not WAL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from trawl.access.redaction import MASK, RedactionRules, Redactor, redactor_for
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

REDACTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS trawl_redaction (
    dataset TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,       -- RedactionRules.fingerprint() of the rules applied
    tables INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    built_at REAL NOT NULL
);
"""


def build_redacted_tables(source: Path, target: Path,
                          rules_by_dataset: dict[str, RedactionRules]) -> dict[str, int]:
    """Write the redacted copy of `source` (tables.sqlite) for the datasets named in
    `rules_by_dataset` to `target`, atomically; returns the rows written per dataset."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    try:
        counts = _build(source, partial, rules_by_dataset)
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
def _build(source: Path, path: Path, rules_by_dataset: dict[str, RedactionRules]
           ) -> dict[str, int]:
    db = sqlite3.connect(path, isolation_level=None, uri=True)
    db.row_factory = sqlite3.Row
    try:
        # A scratch file until the rename: no journal, no syncs (a failure deletes it).
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(SCHEMA + REDACTION_SCHEMA)
        counts = dict.fromkeys(rules_by_dataset, 0)
        if not source.exists():
            return counts  # no table loaded yet: an empty store, as readers expect
        db.execute("ATTACH DATABASE ? AS src", (f"{source.resolve().as_uri()}?mode=ro",))
        db.execute("BEGIN")  # one snapshot of the source, whatever the coordinator writes
        for dataset, rules in rules_by_dataset.items():
            counts[dataset] = _copy_dataset(db, dataset, rules)
        db.execute("COMMIT")
        db.execute("DETACH DATABASE src")
        return counts
    finally:
        db.close()


def _copy_dataset(db: sqlite3.Connection, dataset: str, rules: RedactionRules) -> int:
    redactor = redactor_for(rules)
    db.create_function("trawl_redact", 1, _text_function(redactor), deterministic=True)
    db.create_function("trawl_redact_extra", 1, _extra_function(redactor), deterministic=True)
    tables = [TableInfo.from_row(r) for r in db.execute(
        "SELECT * FROM src.trawl_tables WHERE dataset = ? ORDER BY id", (dataset,))]
    personal: dict[int, set[str]] = {}
    rows = 0
    for info in tables:
        personal[info.id] = {c.sql.lower() for c in info.columns
                             if redactor.is_personal_column(c.name)
                             or redactor.is_personal_column(c.sql)}
        copied = _copy_rows(db, info, personal[info.id])
        rows += copied
        columns = _redacted_columns(db, info, personal[info.id], copied)
        _copy_registry_row(db, info, columns, redactor)
    _copy_links(db, tables, personal, redactor)
    _copy_joins(db, dataset, personal)
    db.execute("INSERT INTO trawl_redaction (dataset, fingerprint, tables, rows, built_at) "
               "VALUES (?, ?, ?, ?, ?)",
               (dataset, rules.fingerprint(), len(tables), rows, time.time()))
    return rows


def _text_function(redactor: Redactor) -> Any:
    text = redactor.text

    def redact(value: Any) -> Any:
        return text(value) if isinstance(value, str) and value else value
    return redact


def _extra_function(redactor: Redactor) -> Any:
    """``_extra`` is a JSON list of the cells past the header: each one masked, the JSON kept
    valid (masking the JSON text could cut through an escape sequence)."""
    def redact(value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return value
        try:
            cells = json.loads(value)
        except ValueError:
            return redactor.text(value)
        return json.dumps(redactor.metadata(cells), ensure_ascii=False)
    return redact


def _copy_rows(db: sqlite3.Connection, info: TableInfo, personal: set[str]) -> int:
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
    exprs = ", ".join(_cell_sql(name, personal) for name in names)
    table = quote_ident(info.sql_name)
    copied = db.execute(f"INSERT INTO main.{table} SELECT {exprs} FROM src.{table}").rowcount
    for (index_sql,) in db.execute(
            "SELECT sql FROM src.sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (info.sql_name,)).fetchall():
        db.execute(index_sql)
    return max(copied, 0)


def _cell_sql(name: str, personal: set[str]) -> str:
    """The SQL that redacts one column: as `Redactor.cell` does, in SQLite."""
    q = quote_ident(name)
    low = name.lower()
    if low in (ROW.lower(), FLAGS.lower()):
        return q
    if low == EXTRA.lower():
        return f"trawl_redact_extra({q})"
    if low in personal:
        # An empty cell stays empty: which cells were filled is not personal.
        return f"CASE WHEN {q} IS NULL OR {q} = '' THEN {q} ELSE '{MASK}' END"
    return f"trawl_redact({q})"


def _redacted_columns(db: sqlite3.Connection, info: TableInfo, personal: set[str],
                      copied: int) -> list[Column]:
    """The columns' statistics, recomputed from the redacted rows wherever they were built
    from values (distinct counts, facets): a facet of the original would list first names."""
    columns = [Column(**c.as_dict()) for c in info.columns]
    for column in columns:
        column.facet = None
        if column.sql.lower() in personal:
            column.avg_len = float(len(MASK)) if column.nulls < info.row_count else 0.0
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
                       redactor: Redactor) -> None:
    row = dict(db.execute("SELECT * FROM src.trawl_tables WHERE id = ?", (info.id,)).fetchone())
    row["columns"] = json.dumps([c.as_dict() for c in columns])
    # A sheet's title line and a reading error may quote cells; a file's name and folder
    # may hold an e-mail address or a phone number, masked as the documents' paths are.
    for key in ("title", "error", "name", "folder", "path", "sheet"):
        row[key] = redactor.text(row[key]) if row[key] else row[key]
    row["indexed"] = 0  # the redacted rows are in no search index yet
    names = ", ".join(quote_ident(k) for k in row)
    db.execute(f"INSERT INTO main.trawl_tables ({names}) VALUES "
               f"({', '.join('?' * len(row))})", list(row.values()))


def _copy_links(db: sqlite3.Connection, tables: list[TableInfo],
                personal: dict[int, set[str]], redactor: Redactor) -> None:
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
        [(t, r, c, MASK if c.lower() in personal.get(t, set()) and v else redactor.text(v),
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
