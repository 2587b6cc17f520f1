"""Links found without configuration: cells that name files, and joins between tables.

File references. A BlueLeaks cell such as ``files\\DDF\\Bulletin 2020-06.pdf`` names a file
relative to the folder of its table (the site): ``ncric/files/DDF/Bulletin 2020-06.pdf``.
Exports mix separators (``files\\SARs/2020\\IMG_1.JPG``) and letter case (``.TXT`` for a
``.txt`` on disk), so every backslash becomes a slash (every one: cleaning only the first
breaks nested folders) and the lookup ignores case, in a map of the folder's catalog paths.
A text column is tried when one of its first distinct values looks like a relative path with
an extension; then all its cells are resolved. A value that resolves nowhere relative to the
folder is tried as a path from the dataset's root.

Joins, within one folder (one site):
* by key name: a column ``DocumentCategoryID`` of any table, where a table
  ``DocumentCategory`` has a column of that name (its key);
* by name values: a text column whose values are those of another table's name column
  (``SARs.NSFormName`` -> ``FormBuilder.FormName``, ``IncidentMap.Category`` ->
  ``IncidentMapCategory.IncidentMapCategoryName``), when the column names share a word
  (one contains the other) and at least half of the distinct values are found there.
Each join is stored once, from the referencing column to the referenced one; pages show it
both ways.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict

from trawl.storage.catalog import Catalog, Dataset, document_id
from trawl.storage.tables import Column, TableInfo, TableStore

SAMPLE_VALUES = 50
MAX_REF_CHARS = 500
MAX_FOLDER_FILES = 2_000_000
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_NOT_FILES = ("http:", "https:", "ftp:", "mailto:", "www.", "javascript:", "data:")
_PERSON = re.compile(r"first|last|middle|full|user|login|screen|file|e-?mail|contact|"
                     r"author|creator|approvedby|agency|company|city|county|state|street")


def looks_like_file_reference(value: object) -> bool:
    # The slash first: most cells have none, and this runs on every sampled cell.
    if not isinstance(value, str) or ("\\" not in value and "/" not in value):
        return False
    text = value.strip()
    return (0 < len(text) < MAX_REF_CHARS and "\n" not in text
            and _EXTENSION.search(text) is not None
            and not text.lower().startswith(_NOT_FILES))


def normalise_reference(value: str) -> str:
    """'files\\SARs/2020\\IMG_1.JPG' -> 'files/SARs/2020/IMG_1.JPG' (every backslash)."""
    parts = [p for p in value.strip().replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


class FolderFiles:
    """The catalog paths under one folder, by lower-cased path."""

    def __init__(self, catalog: Catalog, dataset: Dataset, folder: str) -> None:
        self.catalog = catalog
        self.dataset = dataset
        self.folder = folder
        self._paths: dict[str, tuple[str, str | None]] | None = None

    def _load(self) -> dict[str, tuple[str, str | None]]:
        if self._paths is None:
            self._paths = {}
            if self.folder:
                for path, sha in self.catalog.files_under(self.dataset.id, self.folder,
                                                          MAX_FOLDER_FILES):
                    self._paths.setdefault(path.lower(), (path, sha))
        return self._paths

    def resolve(self, value: str) -> tuple[str, str | None] | None:
        relative = normalise_reference(value)
        if not relative:
            return None
        if self.folder:
            found = self._load().get(f"{self.folder}/{relative}".lower())
            if found:
                return found
        row = self.catalog.file_by_path(self.dataset.id, relative)
        return (row.path, row.sha256) if row else None


def find_links(store: TableStore, catalog: Catalog, dataset: Dataset,
               tables: list[TableInfo]) -> int:
    """Links of the rows of `tables` to the files their cells name; returns their number."""
    by_folder: dict[str, list[TableInfo]] = defaultdict(list)
    for info in tables:
        if info.has_rows:
            by_folder[info.folder].append(info)
    total = 0
    own = not store.in_transaction  # else the caller's transaction holds every table's
    store.begin()
    for folder, infos in by_folder.items():
        files = FolderFiles(catalog, dataset, folder)
        for info in infos:
            links = []
            for column in _reference_columns(store, info):
                for row, value in store.filled_cells(info, column.sql):
                    if not looks_like_file_reference(value):
                        continue
                    found = files.resolve(value)
                    if found:
                        path, sha = found
                        links.append((row, column.sql, value, path,
                                      document_id(dataset.name, sha) if sha else None))
            store.replace_links(info.id, links)
            store.mark_linked(info.id, time.time())
            total += len(links)
    if own:
        store.commit()
    return total


def _reference_columns(store: TableStore, info: TableInfo) -> list[Column]:
    """The text columns of a table whose first `SAMPLE_VALUES` distinct values include a
    file reference."""
    columns = [c for c in info.columns if c.type == "text" and c.nulls < info.row_count]
    if columns and info.row_count <= SAMPLE_VALUES:
        # A small table (most are): every value is in the sample, so one query reads the
        # samples of all its columns (a query per column cost more than the links).
        rows = store.column_values(info, [c.sql for c in columns])
        return [c for n, c in enumerate(columns)
                if any(looks_like_file_reference(row[n]) for row in rows)]
    return [column for column in columns
            if any(looks_like_file_reference(v)
                   for v in store.distinct_values(info, column.sql, SAMPLE_VALUES))]


# -- joins --------------------------------------------------------------------------------------
def _is_name_column(name: str) -> bool:
    low = name.lower()
    return low.endswith("name") and low != "name" and not _PERSON.search(low[:-4])


def find_joins(store: TableStore, dataset: str, folder: str,
               known: dict[int, TableInfo] | None = None) -> int:
    """Every join between the tables of one folder, found again; returns their number."""
    tables = [t for t in store.tables_with_rows(dataset, folder, known) if t.has_rows]
    by_name = {t.name.lower(): t for t in tables if t.sheet is None}
    found: list[tuple[int, str, int, str, str, int, int]] = []
    for a in tables:
        for column in a.columns:
            low = column.sql.lower()
            if not low.endswith("id") or len(low) <= 2:
                continue
            b = by_name.get(low[:-2])
            target = b.column(column.sql) if b is not None and b.id != a.id else None
            if b is None or target is None or target.type != column.type:
                continue
            matched, total = store.value_overlap(a, column.sql, b, target.sql)
            if matched:
                found.append((a.id, column.sql, b.id, target.sql, "key", matched, total))
    names = [(b, c) for b in tables for c in b.columns
             if c.type == "text" and _is_name_column(c.sql) and c.avg_len < 120]
    by_pair: dict[frozenset[tuple[int, str]], tuple[int, str, int, str, str, int, int]] = {}
    for a in tables:
        for column in a.columns:
            if column.type != "text" or column.avg_len >= 120 or _PERSON.search(
                    column.sql.lower()):
                continue
            a_low = column.sql.lower()
            for b, target in names:
                b_low = target.sql.lower()
                if b.id == a.id or not _related(a_low, b_low):
                    continue
                matched, total = store.value_overlap(a, column.sql, b, target.sql)
                if not matched or matched * 2 < total:
                    continue
                join = (a.id, column.sql, b.id, target.sql, "name", matched, total)
                pair = frozenset({(a.id, a_low), (b.id, b_low)})
                kept = by_pair.get(pair)
                # Both ways may qualify (FormName <-> EventFormName): the longer, more
                # specific name is the one that refers to the other.
                if kept is None or len(column.sql) > len(kept[1]):
                    by_pair[pair] = join
    found += by_pair.values()
    own = not store.in_transaction  # else the caller's transaction holds every folder's
    store.begin()
    for a_id, a_col, b_id, b_col, _kind, _m, _t in found:
        for table_id, col in ((a_id, a_col), (b_id, b_col)):
            info = next(t for t in tables if t.id == table_id)
            if info.row_count >= 1000:  # both directions of a join read through an index
                store.create_index(info, col)
                store.update_columns(info.id, info.columns)
    store.replace_joins(dataset, folder, found)
    if own:
        store.commit()
    return len(found)


def _related(a: str, b: str) -> bool:
    """Column names that may hold the same values: one contains the other (NSFormName and
    FormName, Category and IncidentMapCategoryName), the shorter being a real word."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and short not in ("name", "type", "id") and short in long_
