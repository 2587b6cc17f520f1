"""The search index's entries for the rows of tables (`kind=row`), built from `tables.sqlite`.

Ingestion adds the rows of the tables it loaded (`index_unindexed`), `trawl reindex` adds
every table's rows again (`reindex_rows`), and the redacted view builds the same entries from
the masked copy (`row_entries(..., view="redacted")`): one builder, so a masked row's entry
holds exactly what the full one would, masked.

Rows are committed to the index in large batches, and their tables marked indexed only after
the index commit: a crash means indexing again, never a loss.

A row's entry carries the ids of the entities its cells mention, from the catalog (the
entity stage reads rows after they were indexed, and marks a table unindexed when its
entities changed, so that its rows are added again with them).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from trawl.index.base import RowEntry
from trawl.index.tantivy_backend import TantivyIndex
from trawl.paths import source_of
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.entities import EntityStore
from trawl.storage.tables import TableInfo, TableStore

# (row, kind, entity id) of a table's rows, in row order (EntityStore.table_entity_ids).
RowEntities = Callable[[int], Iterable[tuple[int, str, int]]]
# One entity store per catalog: opening one on a writable catalog runs its schema script,
# which would commit the caller's transaction; documents are built by thousands.
_ENTITY_STORES: weakref.WeakKeyDictionary[Catalog, EntityStore] = weakref.WeakKeyDictionary()


def entity_store(catalog: Catalog) -> EntityStore:
    store = _ENTITY_STORES.get(catalog)
    if store is None:
        store = _ENTITY_STORES[catalog] = EntityStore(catalog)
    return store

ROWS_PER_COMMIT = 300_000      # rows added to the search index between two commits
MAX_CELL_CHARS = 20_000        # of one cell, in its row's index entry
_TAGS = re.compile(r"<[^>]{0,2000}>")


def index_unindexed(store: TableStore, index: TantivyIndex, dataset: str | None = None,
                    known: dict[int, TableInfo] | None = None,
                    catalog: Catalog | None = None) -> int:
    """Add the rows of every table not yet in the index (with the entities the `catalog`
    records of them); returns the number of rows. `known`: descriptions already read (see
    `TableStore.tables_with_rows`)."""
    pending: list[int] = []
    pending_rows = total = 0
    entities = entity_store(catalog).table_entity_ids if catalog is not None else None
    for info in store.tables_with_rows(dataset, known=known, unindexed=True):
        if info.indexed:
            continue
        index.delete_table_rows(info.id)  # a half-indexed (or outdated) table
        count = index_table_rows(store, index, info, entities)
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


def index_table_rows(store: TableStore, index: TantivyIndex, info: TableInfo,
                     entities: RowEntities | None = None) -> int:
    """One index entry per row of the table; returns how many."""
    count = 0
    add = index.add_row
    for entry in row_entries(store, info, entities=entities):
        add(entry)
        count += 1
    return count


def row_entries(store: TableStore, info: TableInfo, view: str = "full",
                entities: RowEntities | None = None,
                visible: Callable[[int], bool] | None = None) -> Iterator[RowEntry]:
    """The index entries of a table's rows: its cells' text (HTML tags and literal \\n
    escapes out), its first date and the ids of its entities (`entities`; of those,
    `visible` ones only, when given). From tables.sqlite, or (view="redacted") from the
    masked copy that public readers search."""
    # A boolean's 0/1 says nothing a search could find.
    columns = [c.sql for c in info.columns if c.type != "boolean"]
    date_column = next((c.sql for c in info.columns if c.type in ("date", "datetime")), None)
    source = source_of(info.path)
    found = _by_row(entities(info.id) if entities is not None else (), visible)
    next_row, next_entities = next(found, (None, {}))
    for row, cells, when in store.row_texts(info, columns, date_column, MAX_CELL_CHARS):
        if "<" in cells:
            cells = _TAGS.sub(" ", cells)
        if "\\" in cells:
            cells = cells.replace("\\n", " ").replace("\\t", " ").replace("\\r", " ")
        mentioned: dict[str, list[int]] = {}
        while next_row is not None and next_row <= row:  # both in row order: a merge
            if next_row == row:
                mentioned = next_entities
            next_row, next_entities = next(found, (None, {}))
        yield RowEntry(info.id, row, info.dataset, info.name, source, cells, _date(when),
                       view=view, entities=mentioned)


def _by_row(found: Iterable[tuple[int, str, int]], visible: Callable[[int], bool] | None
            ) -> Iterator[tuple[int, dict[str, list[int]]]]:
    """(row, kind -> ids) of (row, kind, id) triples in row order."""
    for row, triples in groupby(found, key=lambda t: t[0]):
        ids: dict[str, list[int]] = {}
        for _row, kind, entity_id in triples:
            if visible is None or visible(entity_id):
                ids.setdefault(kind, []).append(entity_id)
        yield row, ids


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


def reindex_rows(data: DataDir, index: TantivyIndex, catalog: Catalog | None = None) -> int:
    """After the index was rebuilt from nothing: every table's rows again."""
    if not data.tables_path.exists():
        return 0
    store = TableStore(data.tables_path)
    try:
        store.mark_all_unindexed()
        return index_unindexed(store, index, catalog=catalog)
    finally:
        store.close()
