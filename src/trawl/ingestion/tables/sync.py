"""In the coordinator: `tables.sqlite` kept in step with the catalog, and rows indexed.

Run at the end of each ingestion of a dataset (and by `trawl reindex` for the rows):

1. The catalog says which paths of the dataset are table files (CSV/TSV by type, or a text
   file named .csv; XLS/XLSX/ODS) with their content hash. A registered table whose path is
   gone or whose content changed is dropped; a path without tables is loaded: from the file a
   worker staged (stage.py), else by copying the tables of the same content loaded at another
   path, else (a content extracted before tables existed) by staging it here.
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

import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trawl.index.base import RowEntry
from trawl.index.tantivy_backend import TantivyIndex
from trawl.ingestion.tables import CSV_MIMES, WORKBOOK_MIMES
from trawl.ingestion.tables.links import find_joins, find_links
from trawl.ingestion.tables.stage import artifact_path, read_artifact, stage_file
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

    def close(self) -> None:
        self.store.close()

    def sync(self, dataset: Dataset) -> SyncSummary:
        started = time.monotonic()
        summary = SyncSummary()
        files = {f.path: f for f in self._table_files(dataset)}
        registered: dict[str, list[TableInfo]] = {}
        for info in self.store.tables(dataset.name):
            registered.setdefault(info.path, []).append(info)
        touched: set[str] = set()
        loaded: list[int] = []
        for path, infos in registered.items():
            current = files.get(path)
            if current is None or current.sha256 != infos[0].sha256:
                for info in infos:
                    self._drop(info)
                    summary.dropped += 1
                touched.add(infos[0].folder)
        self.store.commit()
        for path, table_file in files.items():
            infos = registered.get(path)
            if infos and infos[0].sha256 == table_file.sha256:
                continue
            try:
                ids = self._load(dataset, table_file)
            except (sqlite3.Error, OSError, ValueError) as exc:
                # One file's tables are lost, not the run's (the document stays).
                self.store.rollback()
                log.warning("tables of %s not loaded: %s", table_file.path, exc)
                continue
            loaded += ids
            touched.add(folder_of(path))
        summary.loaded = len(loaded)
        # Links of the tables loaded now, and of older tables whose folder got new files
        # since their cells were last resolved (an attachment that came in a later run).
        relink = [t for t in map(self.store.table, loaded) if t]
        relink += self._stale_links(dataset, set(loaded))
        if relink:
            summary.links = find_links(self.store, self.catalog, dataset, relink)
        for folder in sorted(touched):
            summary.joins += find_joins(self.store, dataset.name, folder)
        self.store.commit()
        if self.index is not None:
            summary.rows_indexed = index_unindexed(self.store, self.index, dataset.name)
        self._clean_artifacts()
        summary.seconds = time.monotonic() - started
        return summary

    def _stale_links(self, dataset: Dataset, skip: set[int]) -> list[TableInfo]:
        by_folder: dict[str, list[TableInfo]] = {}
        for info in self.store.tables(dataset.name, include_empty=False):
            if info.id not in skip:
                by_folder.setdefault(info.folder, []).append(info)
        stale = []
        for folder, infos in by_folder.items():
            since = min(info.linked_at or 0.0 for info in infos)
            low, high = (folder + "/", folder + "0") if folder else ("", "\U0010ffff")
            changed = self.catalog.db.execute(
                "SELECT 1 FROM files WHERE dataset_id = ? AND path >= ? AND path < ? "
                "AND updated_at > ? LIMIT 1", (dataset.id, low, high, since)).fetchone()
            if changed:
                stale += infos
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
    def _load(self, dataset: Dataset, table_file: TableFile) -> list[int]:
        artifact = artifact_path(self.data.tmp_dir, table_file.sha256)
        if not artifact.exists():
            same = self.store.tables_with_sha(table_file.sha256)
            if same:
                return self._copy(dataset, table_file, same)
            source = self._source(dataset, table_file)
            if source is None:
                return []
            name = table_file.path.rsplit("/", 1)[-1]
            try:
                stage_file(source, table_file.mime, name, artifact)
            except (OSError, sqlite3.Error) as exc:
                log.warning("tables of %s not read: %s", table_file.path, exc)
                return []
        try:
            return load_artifact_tables(
                self.store, artifact, dataset.name, table_file.path, table_file.sha256,
                document_id(dataset.name, table_file.sha256))
        finally:
            # Consumed: other paths of this content copy from tables.sqlite from now on.
            artifact.unlink(missing_ok=True)

    def _source(self, dataset: Dataset, table_file: TableFile) -> Path | None:
        if table_file.parent_id is None:
            path = Path(dataset.root or ".") / table_file.path
        else:
            path = self.blobs.path(table_file.sha256)
        return path if path.is_file() else None

    def _copy(self, dataset: Dataset, table_file: TableFile, same: list[TableInfo]
              ) -> list[int]:
        self.store.begin()
        try:
            ids = self._copy_all(dataset, table_file, same)
        except BaseException:
            self.store.rollback()
            raise
        self.store.commit()
        return ids

    def _copy_all(self, dataset: Dataset, table_file: TableFile, same: list[TableInfo]
                  ) -> list[int]:
        ids = []
        for info in same:
            table_id = self.store.register(
                dataset.name, table_name(table_file.path, info.sheet), folder_of(table_file.path),
                table_file.path, info.sheet, info.sheet_index, table_file.sha256,
                document_id(dataset.name, table_file.sha256), _meta_of(info))
            copy = self.store.table(table_id)
            assert copy is not None
            if copy.has_rows:
                self.store.create_rows_table(copy)
                self.store.copy_rows(copy, f"main.{quote_ident(info.sql_name)}")
                _create_indexes(self.store, copy)
            ids.append(table_id)
        return ids

    def _drop(self, info: TableInfo) -> None:
        if self.index is not None:
            self.index.delete_table_rows(info.id)
        self.store.drop(info.id)

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
    metas = read_artifact(artifact)
    with_rows = any(m.get("row_count") and not m.get("error") for m in metas)
    if with_rows:
        store.commit()
        # A plain path (a URI would need the connection opened with URIs enabled).
        store.db.execute("ATTACH DATABASE ? AS staged", (str(artifact),))
    try:
        store.begin()
        ids = []
        for meta in metas:
            sheet = meta.get("sheet")
            table_id = store.register(dataset, table_name(path, sheet), folder_of(path), path,
                                      sheet, int(meta["index"]), sha256, document_id, meta)
            info = store.table(table_id)
            assert info is not None
            if info.has_rows:
                store.create_rows_table(info)
                store.copy_rows(info, f"staged.t_{int(meta['index'])}")
                _create_indexes(store, info)
            ids.append(table_id)
        store.commit()
    except BaseException:
        store.rollback()  # a file's tables go in whole or not at all
        raise
    finally:
        if with_rows:
            store.db.execute("DETACH DATABASE staged")
    return ids


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
def index_unindexed(store: TableStore, index: TantivyIndex, dataset: str | None = None) -> int:
    """Add the rows of every table not yet in the index; returns the number of rows."""
    pending: list[int] = []
    pending_rows = total = 0
    for info in store.tables(dataset, include_empty=False):
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
    """One index entry per row: its cells' text (HTML tags and literal \\n escapes out)."""
    if not info.has_rows:
        return 0
    # The text of a row is put together by SQLite (in C): one string per row.
    parts = [f"COALESCE(substr(CAST({quote_ident(c.sql)} AS TEXT), 1, {MAX_CELL_CHARS}) "
             "|| char(10), '')" for c in info.columns if c.type != "boolean"]
    cells_sql = " || ".join(parts) or "''"
    date_column = next((c for c in info.columns if c.type in ("date", "datetime")), None)
    date_sql = quote_ident(date_column.sql) if date_column else "NULL"
    source = info.path.split("/", 1)[0] if "/" in info.path else ""
    count = 0
    add = index.add_row
    cursor = store.db.execute(
        f"SELECT {ROW}, {cells_sql}, {date_sql} FROM {quote_ident(info.sql_name)}")
    for row, cells, when in cursor:
        if "<" in cells:
            cells = _TAGS.sub(" ", cells)
        if "\\" in cells:
            cells = cells.replace("\\n", " ").replace("\\t", " ").replace("\\r", " ")
        add(RowEntry(info.id, row, info.dataset, info.name, source, cells, _date(when)))
        count += 1
    return count


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
