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
3. Rows of tables not yet in the search index are added (one entry per row, derive/rows.py),
   committed in large batches, and only then marked indexed: a crash means indexing again.

Why at the end of a run and not per file: a folder's joins need all its tables, and its file
references need its files; both are known once the run has walked and recorded everything.
The whole step is incremental: a re-run with nothing new does a catalog query and stops.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trawl.derive.rows import index_unindexed
from trawl.index.tantivy_backend import TantivyIndex
from trawl.ingestion.tables.links import find_joins, find_links
from trawl.ingestion.tables.stage import artifact_path, stage_file
from trawl.paths import folder_of
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Dataset, document_id
from trawl.storage.datadir import DataDir
from trawl.storage.table_loading import TableLoader
from trawl.storage.tables import StoreError, TableFile, TableInfo, TableStore

log = logging.getLogger(__name__)

# From this many rows, columns that a reader sorts or filters on get an index: below it a
# scan of the whole table answers within a few milliseconds anyway.
BIG_TABLE = 20_000
# Long free text (descriptions, e-mail bodies) is searched in the index, not sorted on.
INDEXED_MAX_AVG_LEN = 48
LOOKAHEAD_FILES = 500          # files looked at for the next staged files to attach

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
        self.store = TableStore(data.tables_path)
        self._consumed: set[str] = set()             # contents loaded from their staged file
        self._same: dict[str, list[TableInfo]] = {}  # content -> tables to copy from
        self._loader = TableLoader(self.store)

    def close(self) -> None:
        self.store.close()

    def sync(self, dataset: Dataset) -> SyncSummary:
        started = time.monotonic()
        summary = SyncSummary()
        # An encrypted workbook was decrypted for its text only: its sheets are not read again.
        files = {f.path: f for f in self.catalog.table_files(dataset.id) if not f.encrypted}
        registered = self.store.registered_paths(dataset.name)
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
            except (StoreError, OSError, ValueError) as exc:
                # One file's tables are lost, not the run's (the document stays).
                log.warning("tables of %s not loaded: %s", table_file.path, exc)
                continue
            loaded += [table_id for table_id, _info in tables]
            relink += [info for _id, info in tables if info is not None]
            touched.add(folder_of(table_file.path))
        self._loader.end()
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
            summary.rows_indexed = index_unindexed(self.store, self.index, dataset.name, known,
                                                  self.catalog)
        self._clean_artifacts()
        summary.seconds = time.monotonic() - started
        return summary

    def _stale_links(self, dataset: Dataset, skip: set[int]) -> list[TableInfo]:
        """The tables with rows (but those in `skip`) of folders that got files since their
        file references were last resolved."""
        stale = []
        for folder, when in self.store.folders_linked_at(dataset.name, skip).items():
            if self.catalog.has_files_updated_since(dataset.id, folder, when):
                stale += [info for info in self.store.tables(dataset.name, include_empty=False,
                                                             folder=folder)
                          if info.id not in skip]
        return stale

    # -- loading ------------------------------------------------------------------------------
    def _load(self, dataset: Dataset, table_file: TableFile, todo: list[TableFile],
              after: int) -> list[Loaded]:
        artifact = artifact_path(self.data.tmp_dir, table_file.sha256)
        if table_file.sha256 in self._consumed or not artifact.exists():
            same = self._same_content(table_file.sha256)
            if same:
                return self._loader.load_file(lambda: self._copy_all(dataset, table_file, same))
            source = self._source(dataset, table_file)
            if source is None:
                return []
            name = table_file.path.rsplit("/", 1)[-1]
            self._loader.end()  # an attached file of this content would be replaced
            try:
                stage_file(source, table_file.mime, name, artifact)
            except (OSError, StoreError) as exc:
                log.warning("tables of %s not read: %s", table_file.path, exc)
                return []
        # Consumed: other paths of this content copy from tables.sqlite from now on (the
        # file is deleted at the end of the sync, once its rows are committed).
        self._consumed.add(table_file.sha256)
        self._loader.attach(artifact, lambda: self._upcoming(todo, after))
        doc_id = document_id(dataset.name, table_file.sha256)
        return self._loader.load_file(lambda: _load_staged(
            self._loader, artifact, dataset.name, table_file.path, table_file.sha256, doc_id))

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
                self.store.copy_rows(copy, info)
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
    loader = TableLoader(store)
    try:
        loader.attach(artifact, lambda: ())
        loaded = loader.load_file(lambda: _load_staged(loader, artifact, dataset, path, sha256,
                                                       document_id))
    finally:
        loader.end()
    return [table_id for table_id, _info in loaded]


def _load_staged(loader: TableLoader, artifact: Path, dataset: str, path: str, sha256: str,
                 document_id: str | None) -> list[Loaded]:
    """Register the tables of an attached staged file and copy their rows in (inside the
    loader's savepoint)."""
    store = loader.store
    loaded: list[Loaded] = []
    for meta in loader.staged_tables(artifact):
        sheet = meta.get("sheet")
        table_id = store.register(dataset, table_name(path, sheet), folder_of(path), path,
                                  sheet, int(meta["index"]), sha256, document_id, meta)
        info = None
        if _has_rows(meta):
            info = store.table(table_id)
            assert info is not None
            store.create_rows_table(info)
            loader.copy_staged_rows(info, artifact, int(meta["index"]))
            _create_indexes(store, info)
        loaded.append((table_id, info))
    return loaded


def _has_rows(meta: dict[str, Any]) -> bool:
    """`TableInfo.has_rows` of the table that `register` makes of `meta`."""
    return (not meta.get("header_only") and meta.get("error") is None
            and int(meta.get("row_count", 0)) > 0)


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
