"""The search index's entries for the rows of tables (`kind=row`), built from `tables.sqlite`.

Ingestion adds the rows of the tables it loaded (`index_unindexed`), `trawl reindex` adds
every table's rows again (`reindex_rows`), and the redacted view builds the same entries from
the masked copy (`row_entries(..., view="redacted")`): one builder, so a masked row's entry
holds exactly what the full one would, masked.

Rows are committed to the index in large batches, and their tables marked indexed only after
the index commit: a crash means indexing again, never a loss.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from trawl.index.base import RowEntry
from trawl.index.tantivy_backend import TantivyIndex
from trawl.paths import source_of
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableInfo, TableStore

ROWS_PER_COMMIT = 300_000      # rows added to the search index between two commits
MAX_CELL_CHARS = 20_000        # of one cell, in its row's index entry
_TAGS = re.compile(r"<[^>]{0,2000}>")


def index_unindexed(store: TableStore, index: TantivyIndex, dataset: str | None = None,
                    known: dict[int, TableInfo] | None = None) -> int:
    """Add the rows of every table not yet in the index; returns the number of rows.
    `known`: descriptions already read (see `TableStore.tables_with_rows`)."""
    pending: list[int] = []
    pending_rows = total = 0
    for info in store.tables_with_rows(dataset, known=known, unindexed=True):
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
    # A boolean's 0/1 says nothing a search could find.
    columns = [c.sql for c in info.columns if c.type != "boolean"]
    date_column = next((c.sql for c in info.columns if c.type in ("date", "datetime")), None)
    source = source_of(info.path)
    for row, cells, when in store.row_texts(info, columns, date_column, MAX_CELL_CHARS):
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
    if not data.tables_path.exists():
        return 0
    store = TableStore(data.tables_path)
    try:
        store.mark_all_unindexed()
        return index_unindexed(store, index)
    finally:
        store.close()
