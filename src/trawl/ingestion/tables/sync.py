"""In the coordinator: `tables.sqlite` kept in step with the catalog, and rows indexed.

Run at the end of each ingestion of a dataset (and by `trawl reindex` for the rows):

1. The catalog says which paths of the dataset are table files (CSV/TSV by type, or a text
   file named .csv; XLS/XLSX/ODS) with their content hash. A registered table whose path is
   gone or whose content changed is dropped; a path without tables is loaded: from the file a
   worker staged (stage.py), else by copying the tables of the same content loaded at another
   path, else (a content extracted before tables existed) by staging it here. Many files go
   in one transaction, each in a savepoint, and staged files are attached several at a time
   (`_Loading`): a commit and an ATTACH per file cost more than the small tables themselves.
2. File references are resolved for the tables loaded now, and again for older tables of a
   folder that got new files since (an attachment may arrive after its table); joins are
   found again for every folder where a table came or went (links.py).
3. Rows of tables not yet in the search index are added (one entry per row), committed in
   large batches, and only then marked indexed: a crash means indexing again, never a loss.

Why at the end of a run and not per file: a folder's joins need all its tables, and its file
references need its files; both are known once the run has walked and recorded everything.
The whole step is incremental: a re-run with nothing new does a catalog query and stops.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trawl.index.base import RowEntry
from trawl.index.tantivy_backend import TantivyIndex
from trawl.ingestion.tables import CSV_MIMES, WORKBOOK_MIMES
from trawl.ingestion.tables.links import find_joins, find_links, tables_with_rows
from trawl.ingestion.tables.stage import artifact_path, stage_file
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Dataset, document_id
from trawl.storage.datadir import DataDir
from trawl.storage.tables import ROW, TableInfo, TableStore, quote_ident

log = logging.getLogger(__name__)

TABLES_FILE = "tables.sqlite"
# From this many rows, columns that a reader sorts or filters on get an index: below it a
# scan of the whole table answers within a few milliseconds anyway.
BIG_TABLE = 20_000
# Long free text (descriptions, e-mail bodies) is searched in the index, not sorted on.
INDEXED_MAX_AVG_LEN = 48
ROWS_PER_COMMIT = 300_000      # rows added to the search index between two commits
# Table files loaded per transaction, and staged files attached at once (SQLite allows ten
# databases besides the main one): a transaction and an ATTACH per file cost more than
# copying the rows of the small tables most dumps are made of.
LOAD_BATCH_FILES = 1000
MAX_ATTACHED = 9
LOOKAHEAD_FILES = 500          # files looked at for the next staged files to attach
CACHE_KB = 64 * 1024            # page cache of the writer, in KiB
MAX_CELL_CHARS = 20_000        # of one cell, in its row's index entry
_TAGS = re.compile(r"<[^>]{0,2000}>")


def tables_path(data: DataDir) -> Path:
    return data.root / TABLES_FILE


@dataclass
class TableFile:
    path: str
    sha256: str
    parent_id: int | None
    mime: str


@dataclass
class _Registered:
    sha256: str
    folder: str
    ids: list[int]


# A table loaded in this run: its id, and its description when it has rows.
Loaded = tuple[int, TableInfo | None]


@dataclass
class SyncSummary:
    loaded: int = 0          # tables (sheets) registered in this run
    dropped: int = 0
    rows_indexed: int = 0
    links: int = 0
    joins: int = 0
    seconds: float = 0.0


class TableSync:
    def __init__(self, data: DataDir, catalog: Catalog, index: TantivyIndex | None) -> None:
        self.data = data
        self.catalog = catalog
        self.index = index
        self.blobs = BlobStore(data.blob_dir)
        self.store = TableStore(tables_path(data))
        # Each CREATE TABLE reads the whole schema (SQLite looks the new table up in
        # sqlite_master, a scan): with thousands of tables, the 2 MB default cache no
        # longer holds it, and every table created read it from the file again.
        self.store.db.execute(f"PRAGMA cache_size={-CACHE_KB}")
        self._consumed: set[str] = set()             # contents loaded from their staged file
        self._same: dict[str, list[TableInfo]] = {}  # content -> tables to copy from
        self._loading = _Loading(self.store)

    def close(self) -> None:
        self.store.close()

    def sync(self, dataset: Dataset) -> SyncSummary:
        started = time.monotonic()
        summary = SyncSummary()
        files = {f.path: f for f in self._table_files(dataset)}
        registered = self._registered(dataset.name)
        touched: set[str] = set()
        self.store.begin()
        for path, known in registered.items():
            current = files.get(path)
            if current is None or current.sha256 != known.sha256:
                for table_id in known.ids:
                    self._drop(table_id)
                    summary.dropped += 1
                touched.add(known.folder)
        self.store.commit()
        todo = [table_file for path, table_file in files.items()
                if path not in registered or registered[path].sha256 != table_file.sha256]
        loaded: list[int] = []
        relink: list[TableInfo] = []
        for n, table_file in enumerate(todo):
            try:
                tables = self._load(dataset, table_file, todo, n + 1)
            except (sqlite3.Error, OSError, ValueError) as exc:
                # One file's tables are lost, not the run's (the document stays).
                log.warning("tables of %s not loaded: %s", table_file.path, exc)
                continue
            loaded += [table_id for table_id, _info in tables]
            relink += [info for _id, info in tables if info is not None]
            touched.add(folder_of(table_file.path))
        self._loading.end()
        summary.loaded = len(loaded)
        # Links of the tables loaded now, and of older tables whose folder got new files
        # since their cells were last resolved (an attachment that came in a later run).
        relink += self._stale_links(dataset, set(loaded))
        # One transaction for links and joins (find_* commit only what they began).
        self.store.begin()
        if relink:
            summary.links = find_links(self.store, self.catalog, dataset, relink)
        known = {info.id: info for info in relink}
        for folder in sorted(touched):
            summary.joins += find_joins(self.store, dataset.name, folder, known)
        self.store.commit()
        if self.index is not None:
            summary.rows_indexed = index_unindexed(self.store, self.index, dataset.name, known)
        self._clean_artifacts()
        summary.seconds = time.monotonic() - started
        return summary

    def _registered(self, dataset: str) -> dict[str, _Registered]:
        """Path -> its registered tables, read without their column descriptions (whose
        JSON costs more to parse than everything else here, for thousands of tables)."""
        found: dict[str, _Registered] = {}
        rows = self.store.db.execute(
            "SELECT id, path, sha256, folder FROM trawl_tables WHERE dataset = ? "
            "ORDER BY +dataset, folder, name, sheet_index", (dataset,))
        for table_id, path, sha256, folder in rows:
            found.setdefault(path, _Registered(sha256, folder, [])).ids.append(table_id)
        return found

    def _stale_links(self, dataset: Dataset, skip: set[int]) -> list[TableInfo]:
        since: dict[str, float] = {}
        rows = self.store.db.execute(
            "SELECT id, folder, linked_at FROM trawl_tables WHERE dataset = ? "
            "AND header_only = 0 AND error IS NULL ORDER BY +dataset, folder, name, sheet_index",
            (dataset.name,))
        for table_id, folder, linked_at in rows:
            if table_id not in skip:
                since[folder] = min(since.get(folder, linked_at or 0.0), linked_at or 0.0)
        stale = []
        for folder, when in since.items():
            low, high = (folder + "/", folder + "0") if folder else ("", "\U0010ffff")
            changed = self.catalog.db.execute(
                "SELECT 1 FROM files WHERE dataset_id = ? AND path >= ? AND path < ? "
                "AND updated_at > ? LIMIT 1", (dataset.id, low, high, when)).fetchone()
            if changed:
                stale += [info for info in self.store.tables(dataset.name, include_empty=False,
                                                             folder=folder)
                          if info.id not in skip]
        return stale

    # -- which files are tables -----------------------------------------------------------------
    def _table_files(self, dataset: Dataset) -> Iterator[TableFile]:
        mimes = sorted(CSV_MIMES | WORKBOOK_MIMES)
        marks = ", ".join("?" * len(mimes))
        rows = self.catalog.db.execute(
            "SELECT f.path, f.sha256, f.parent_id, c.mime, c.metadata FROM files f "
            "JOIN contents c ON c.sha256 = f.sha256 WHERE f.dataset_id = ? "
            "AND f.status = 'indexed' AND c.status = 'done' AND "
            f"(c.mime IN ({marks}) OR c.family = 'spreadsheet' OR (c.mime = 'text/plain' AND "
            "(lower(f.path) LIKE '%.csv' OR lower(f.path) LIKE '%.tsv' "
            "OR lower(f.path) LIKE '%.tab'))) ORDER BY f.path",
            (dataset.id, *mimes)).fetchall()
        for row in rows:
            if '"encrypted": true' in (row["metadata"] or ""):
                continue  # decrypted for its text only; its sheets are not read again
            yield TableFile(row["path"], row["sha256"], row["parent_id"], row["mime"] or "")

    # -- loading ------------------------------------------------------------------------------
    def _load(self, dataset: Dataset, table_file: TableFile, todo: list[TableFile],
              after: int) -> list[Loaded]:
        artifact = artifact_path(self.data.tmp_dir, table_file.sha256)
        if table_file.sha256 in self._consumed or not artifact.exists():
            same = self._same_content(table_file.sha256)
            if same:
                return self._loading.run(lambda: self._copy_all(dataset, table_file, same))
            source = self._source(dataset, table_file)
            if source is None:
                return []
            name = table_file.path.rsplit("/", 1)[-1]
            self._loading.end()  # an attached file of this content would be replaced
            try:
                stage_file(source, table_file.mime, name, artifact)
            except (OSError, sqlite3.Error) as exc:
                log.warning("tables of %s not read: %s", table_file.path, exc)
                return []
        # Consumed: other paths of this content copy from tables.sqlite from now on (the
        # file is deleted at the end of the sync, once its rows are committed).
        self._consumed.add(table_file.sha256)
        schema = self._loading.schema(artifact, lambda: self._upcoming(todo, after))
        doc_id = document_id(dataset.name, table_file.sha256)
        return self._loading.run(lambda: _load_attached(
            self.store, schema, dataset.name, table_file.path, table_file.sha256, doc_id))

    def _upcoming(self, todo: list[TableFile], start: int) -> Iterator[Path]:
        """The staged files that the next files will be loaded from."""
        for table_file in itertools.islice(todo, start, start + LOOKAHEAD_FILES):
            if table_file.sha256 not in self._consumed:
                artifact = artifact_path(self.data.tmp_dir, table_file.sha256)
                if artifact.exists():
                    yield artifact

    def _same_content(self, sha256: str) -> list[TableInfo]:
        """The tables of a content already loaded, at the first path that loaded it: read
        once per content (while files load, tables are only added, never changed)."""
        same = self._same.get(sha256)
        if not same:
            same = self._same[sha256] = self.store.tables_with_sha(sha256)
        return same

    def _source(self, dataset: Dataset, table_file: TableFile) -> Path | None:
        if table_file.parent_id is None:
            path = Path(dataset.root or ".") / table_file.path
        else:
            path = self.blobs.path(table_file.sha256)
        return path if path.is_file() else None

    def _copy_all(self, dataset: Dataset, table_file: TableFile, same: list[TableInfo]
                  ) -> list[Loaded]:
        loaded: list[Loaded] = []
        for info in same:
            table_id = self.store.register(
                dataset.name, table_name(table_file.path, info.sheet), folder_of(table_file.path),
                table_file.path, info.sheet, info.sheet_index, table_file.sha256,
                document_id(dataset.name, table_file.sha256), _meta_of(info))
            copy = None
            if info.has_rows:  # the copy's flags are the original's
                copy = self.store.table(table_id)
                assert copy is not None
                self.store.create_rows_table(copy)
                self.store.copy_rows(copy, f"main.{quote_ident(info.sql_name)}")
                _create_indexes(self.store, copy)
            loaded.append((table_id, copy))
        return loaded

    def _drop(self, table_id: int) -> None:
        if self.index is not None:
            self.index.delete_table_rows(table_id)
        self.store.drop(table_id)

    def _clean_artifacts(self) -> None:
        """Staged files left by a run that stopped before loading them."""
        folder = self.data.tmp_dir / "tables"
        if folder.is_dir():
            for leftover in folder.iterdir():
                leftover.unlink(missing_ok=True)


def sync_tables(data: DataDir, catalog: Catalog, index: TantivyIndex | None,
                dataset: Dataset) -> SyncSummary:
    """The pipeline's hook: bring the dataset's tables in step with its catalog."""
    catalog.commit()
    sync = TableSync(data, catalog, index)
    try:
        summary = sync.sync(dataset)
    finally:
        sync.close()
    if summary.loaded or summary.dropped:
        log.info("tables of %s: %d loaded, %d dropped, %d rows indexed, %d links, %d joins "
                 "(%.1f s)", dataset.name, summary.loaded, summary.dropped,
                 summary.rows_indexed, summary.links, summary.joins, summary.seconds)
    return summary


def folder_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def table_name(path: str, sheet: str | None) -> str:
    """SARs for ncric/SARs.csv; `book [Sheet1]` for a sheet of book.xlsx."""
    stem = Path(path.rsplit("/", 1)[-1]).stem or path
    return f"{stem} [{sheet}]" if sheet is not None else stem


def _meta_of(info: TableInfo) -> dict[str, Any]:
    return {"columns": [c.as_dict() for c in info.columns], "row_count": info.row_count,
            "header_only": info.header_only, "has_header": info.has_header,
            "ragged_rows": info.ragged_rows, "bad_byte_rows": info.bad_byte_rows,
            "encoding": info.encoding, "dialect": info.dialect, "key_column": info.key_column,
            "label_column": info.label_column, "title": info.title, "error": info.error}


def load_artifact_tables(store: TableStore, artifact: Path, dataset: str, path: str,
                         sha256: str, document_id: str | None) -> list[int]:
    """Register the tables of a staged file and copy their rows in (one transaction)."""
    store.commit()
    # A plain path (a URI would need the connection opened with URIs enabled).
    store.db.execute("ATTACH DATABASE ? AS staged", (str(artifact),))
    try:
        store.begin()
        loaded = _load_attached(store, "staged", dataset, path, sha256, document_id)
        store.commit()
    except BaseException:
        store.rollback()  # a file's tables go in whole or not at all
        raise
    finally:
        store.db.execute("DETACH DATABASE staged")
    return [table_id for table_id, _info in loaded]


def _load_attached(store: TableStore, schema: str, dataset: str, path: str, sha256: str,
                   document_id: str | None) -> list[Loaded]:
    """Register the tables of the staged file attached as `schema` and copy their rows in
    (inside the caller's transaction)."""
    loaded: list[Loaded] = []
    for (text,) in store.db.execute(f"SELECT info FROM {schema}.meta ORDER BY sheet").fetchall():
        meta = json.loads(text)
        sheet = meta.get("sheet")
        table_id = store.register(dataset, table_name(path, sheet), folder_of(path), path,
                                  sheet, int(meta["index"]), sha256, document_id, meta)
        info = None
        if _has_rows(meta):
            info = store.table(table_id)
            assert info is not None
            store.create_rows_table(info)
            store.copy_rows(info, f"{schema}.t_{int(meta['index'])}")
            _create_indexes(store, info)
        loaded.append((table_id, info))
    return loaded


def _has_rows(meta: dict[str, Any]) -> bool:
    """`TableInfo.has_rows` of the table that `register` makes of `meta`."""
    return (not meta.get("header_only") and meta.get("error") is None
            and int(meta.get("row_count", 0)) > 0)


class _Loading:
    """Where the loading writes: transactions of many files, each file in a savepoint (its
    tables go in whole or not at all), and staged files attached several at a time (ATTACH
    needs no open transaction: each one ends the current transaction)."""

    def __init__(self, store: TableStore) -> None:
        self.store = store
        self.files = 0
        self.attached: dict[Path, str] = {}  # staged file -> its schema name

    def schema(self, artifact: Path, upcoming: Callable[[], Iterator[Path]]) -> str:
        """The schema name of a staged file: attached, if it is not yet, with the staged
        files of the next table files."""
        if artifact not in self.attached:
            self.end()
            self._attach(artifact)
            for path in upcoming():
                if len(self.attached) >= MAX_ATTACHED:
                    break
                if path not in self.attached:
                    # A file that fails here is tried again, and reported, at its turn.
                    with contextlib.suppress(sqlite3.Error):
                        self._attach(path)
        return self.attached[artifact]

    def _attach(self, path: Path) -> None:
        name = f"staged{len(self.attached)}"
        # A plain path (a URI would need the connection opened with URIs enabled).
        self.store.db.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
        self.attached[path] = name

    def run(self, load: Callable[[], list[Loaded]]) -> list[Loaded]:
        db = self.store.db
        self.store.begin()
        db.execute("SAVEPOINT table_file")
        try:
            loaded = load()
        except BaseException as exc:
            if not db.in_transaction:
                # SQLite rolled the whole batch back (disk full, I/O error): the files
                # before this one are lost too, so stop; their staged files are kept.
                raise RuntimeError("tables.sqlite: a write failed, the batch is lost") from exc
            db.execute("ROLLBACK TO table_file")
            db.execute("RELEASE table_file")
            raise
        db.execute("RELEASE table_file")
        self.files += 1
        if self.files >= LOAD_BATCH_FILES:
            self.store.commit()
            self.files = 0
        return loaded

    def end(self) -> None:
        """Commit, and detach every staged file."""
        self.store.commit()
        self.files = 0
        for name in self.attached.values():
            self.store.db.execute(f"DETACH DATABASE {name}")
        self.attached.clear()


def _create_indexes(store: TableStore, info: TableInfo) -> None:
    """Indexes for what a reader sorts and filters on, on big tables only: the key, and
    every column of short values (ids, dates, numbers, names, categories). Long text is
    found through the search index instead."""
    if info.row_count < BIG_TABLE:
        return
    for column in info.columns:
        if column.nulls >= info.row_count:
            continue
        if column.sql == info.key_column or column.type != "text" or \
                column.avg_len <= INDEXED_MAX_AVG_LEN:
            store.create_index(info, column.sql)
    store.update_columns(info.id, info.columns)


# -- rows in the search index --------------------------------------------------------------------
def index_unindexed(store: TableStore, index: TantivyIndex, dataset: str | None = None,
                    known: dict[int, TableInfo] | None = None) -> int:
    """Add the rows of every table not yet in the index; returns the number of rows.
    `known`: descriptions already read (see `tables_with_rows`)."""
    pending: list[int] = []
    pending_rows = total = 0
    for info in tables_with_rows(store, dataset, known=known, unindexed=True):
        if info.indexed:
            continue
        index.delete_table_rows(info.id)  # a half-indexed table from a crashed run
        count = index_table_rows(store, index, info)
        pending.append(info.id)
        pending_rows += count
        total += count
        if pending_rows >= ROWS_PER_COMMIT:
            _commit_rows(store, index, pending)
            pending, pending_rows = [], 0
    _commit_rows(store, index, pending)
    return total


def _commit_rows(store: TableStore, index: TantivyIndex, table_ids: list[int]) -> None:
    if not table_ids:
        return
    index.commit()
    store.begin()
    for table_id in table_ids:
        store.mark_indexed(table_id)
    store.commit()


def index_table_rows(store: TableStore, index: TantivyIndex, info: TableInfo) -> int:
    """One index entry per row of the table; returns how many."""
    count = 0
    add = index.add_row
    for entry in row_entries(store, info):
        add(entry)
        count += 1
    return count


def row_entries(store: TableStore, info: TableInfo, view: str = "full"
                ) -> Iterator[RowEntry]:
    """The index entries of a table's rows: its cells' text (HTML tags and literal \\n
    escapes out) and its first date. From tables.sqlite, or (view="redacted") from the
    masked copy that public readers search."""
    if not info.has_rows:
        return
    # The text of a row is put together by SQLite (in C): one string per row.
    parts = [f"COALESCE(substr(CAST({quote_ident(c.sql)} AS TEXT), 1, {MAX_CELL_CHARS}) "
             "|| char(10), '')" for c in info.columns if c.type != "boolean"]
    cells_sql = " || ".join(parts) or "''"
    date_column = next((c for c in info.columns if c.type in ("date", "datetime")), None)
    date_sql = quote_ident(date_column.sql) if date_column else "NULL"
    source = info.path.split("/", 1)[0] if "/" in info.path else ""
    cursor = store.db.execute(
        f"SELECT {ROW}, {cells_sql}, {date_sql} FROM {quote_ident(info.sql_name)}")
    for row, cells, when in cursor:
        if "<" in cells:
            cells = _TAGS.sub(" ", cells)
        if "\\" in cells:
            cells = cells.replace("\\n", " ").replace("\\t", " ").replace("\\r", " ")
        yield RowEntry(info.id, row, info.dataset, info.name, source, cells, _date(when),
                       view=view)


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        parsed = datetime.fromisoformat(value[:19])
    except ValueError:
        return None
    if not 1900 <= parsed.year <= 2100:
        return None
    return parsed.replace(tzinfo=UTC)


def reindex_rows(data: DataDir, index: TantivyIndex) -> int:
    """After the index was rebuilt from nothing: every table's rows again."""
    path = tables_path(data)
    if not path.exists():
        return 0
    store = TableStore(path)
    try:
        store.db.execute("UPDATE trawl_tables SET indexed = 0")
        return index_unindexed(store, index)
    finally:
        store.close()
