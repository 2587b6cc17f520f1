"""The named storage methods behind tables: the catalog's table section, the table store's
cell queries, the loader of staging files and the read side's keyset pages. Real SQLite files
in tmp_path, real rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trawl.storage.catalog import Catalog, Content, Dataset
from trawl.storage.table_loading import TableLoader
from trawl.storage.table_queries import Filter, RowSelection, keyset_page
from trawl.storage.table_staging import StagingFile
from trawl.storage.tables import Column, TableInfo, TableStore

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _indexed_file(catalog: Catalog, dataset: Dataset, path: str, sha: str, mime: str,
                  metadata: dict[str, Any] | None = None, status: str = "done") -> None:
    catalog.upsert_disk_file(dataset.id, path, 10, 1.0)
    row = catalog.file_by_path(dataset.id, path)
    assert row is not None
    catalog.save_content(Content(sha, 10, mime, None, status, metadata=metadata or {}), [])
    catalog.finish_file(row.id, "indexed" if status == "done" else "failed", sha256=sha)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    found = Catalog(tmp_path / "catalog.sqlite")
    yield found
    found.close()


def test_table_files_are_chosen_by_type_or_name_and_flag_encryption(catalog: Catalog) -> None:
    ds = catalog.ensure_dataset("d")
    _indexed_file(catalog, ds, "site/a.csv", "a" * 64, "text/csv")
    _indexed_file(catalog, ds, "site/b.CSV", "b" * 64, "text/plain")
    _indexed_file(catalog, ds, "site/notes.txt", "c" * 64, "text/plain")
    _indexed_file(catalog, ds, "site/locked.xlsx", "d" * 64, XLSX, {"encrypted": True})
    # The flag of an attachment is not the workbook's: a test on the JSON's text saw one.
    _indexed_file(catalog, ds, "site/open.xlsx", "e" * 64, XLSX,
                  {"attachment": {"encrypted": True}})
    _indexed_file(catalog, ds, "site/broken.csv", "f" * 64, "text/csv", status="failed")
    catalog.commit()
    found = {f.path: f.encrypted for f in catalog.table_files(ds.id)}
    assert found == {"site/a.csv": False, "site/b.CSV": False, "site/locked.xlsx": True,
                     "site/open.xlsx": False}


def test_files_under_a_folder_and_their_updates(catalog: Catalog) -> None:
    ds = catalog.ensure_dataset("d")
    for path in ("site/a.pdf", "site/files/b.pdf", "site2/c.pdf", "site-x/d.pdf", "e.pdf"):
        catalog.upsert_disk_file(ds.id, path, 1, 1.0)
    catalog.record_walk_problem(ds.id, "site/empty", "dir", "skipped", "a folder", "special")
    catalog.commit()
    assert sorted(catalog.files_under(ds.id, "site", 100)) == [
        ("site/a.pdf", None), ("site/files/b.pdf", None)]
    assert len(catalog.files_under(ds.id, "site", 1)) == 1
    newest = max(f.updated_at or 0.0 for f in (catalog.file_by_path(ds.id, p) for p in
                                                ("site/a.pdf", "site/files/b.pdf")) if f)
    assert catalog.has_files_updated_since(ds.id, "site", newest - 1)
    assert not catalog.has_files_updated_since(ds.id, "site", newest + 1)
    assert catalog.has_files_updated_since(ds.id, "", newest - 1)  # the whole dataset


def _staging_file(path: Path, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
                  ) -> Path:
    staging = StagingFile(path, in_memory=True)
    try:
        staging.create_rows(0, columns)
        staging.insert_rows(0, len(columns), [(*r, None, None) for r in rows])
        staging.write_meta([{"index": 0, "sheet": None, "row_count": len(rows),
                             "columns": [Column(n, n, k).as_dict() for n, k in columns]}])
        staging.save()
    finally:
        staging.close()
    return path


def _load(store: TableStore, staged: Path, name: str, folder: str) -> TableInfo:
    loader = TableLoader(store)
    loader.attach(staged, lambda: ())
    (meta,) = loader.staged_tables(staged)

    def load() -> TableInfo:
        table_id = store.register("d", name, folder, f"{folder}/{name}.csv", None, 0,
                                  name * 8, None, meta)
        info = store.table(table_id)
        assert info is not None
        store.create_rows_table(info)
        loader.copy_staged_rows(info, staged, 0)
        return info
    info = loader.load_file(load)
    loader.end()
    return info


@pytest.fixture
def store(tmp_path: Path) -> TableStore:
    found = TableStore(tmp_path / "tables.sqlite")
    yield found
    found.close()


def test_loaded_rows_cells_and_overlap(tmp_path: Path, store: TableStore) -> None:
    forms = _load(store, _staging_file(tmp_path / "f.sqlite", [("FormName", "text")],
                                       [("Bulletin",), ("Alert",), ("Memo",)]), "Forms", "s")
    sars = _load(store, _staging_file(
        tmp_path / "s.sqlite", [("NSFormName", "text"), ("Score", "integer")],
        [("Bulletin", 3), ("Alert", None), ("Bulletin", 1), ("", 2), (None, 5),
         ("Unknown", 4)]), "SARs", "s")
    assert [v for (v,) in store.column_values(sars, ["Score"])] == [3, None, 1, 2, 5, 4]
    assert list(store.filled_cells(sars, "Score")) == [(1, 3), (3, 1), (4, 2), (5, 5), (6, 4)]
    assert sorted(store.distinct_values(sars, "NSFormName", 10)) == \
        ["", "Alert", "Bulletin", "Unknown"]
    assert len(store.distinct_values(sars, "NSFormName", 2)) == 2
    # Bulletin and Alert of {Bulletin, Alert, Unknown} (blank and NULL are no value).
    assert store.value_overlap(sars, "NSFormName", forms, "FormName") == (2, 3)
    registered = store.registered_paths("d")
    assert {p: (r.folder, r.ids) for p, r in registered.items()} == {
        "s/Forms.csv": ("s", [forms.id]), "s/SARs.csv": ("s", [sars.id])}
    store.mark_linked(forms.id, 50.0)
    store.mark_linked(sars.id, 20.0)
    assert store.folders_linked_at("d", set()) == {"s": 20.0}
    assert store.folders_linked_at("d", {sars.id}) == {"s": 50.0}


def test_conversions_of_a_staging_file(tmp_path: Path) -> None:
    staging = StagingFile(tmp_path / "x.sqlite", in_memory=False)
    try:
        staging.create_rows(0, [("n", "integer")])
        staging.insert_rows(0, 1, [("12", None, None), ("1,234", None, None),
                                   ("7", None, None)])
        staging.convert_column(0, "n", "CAST(REPLACE(\"n\", ',', '') AS INTEGER) + 1000",
                               text_only=True)
        assert staging.distinct_count(0, "n") == 3
        staging.write_meta([{"index": 0, "row_count": 3,
                             "columns": [Column("n", "n", "integer").as_dict()]}])
        staging.save()
    finally:
        staging.close()
    store = TableStore(tmp_path / "t.sqlite")
    try:
        info = _load(store, tmp_path / "x.sqlite", "x", "f")
        # Only the cell that affinity left as text was converted.
        assert [v for (v,) in store.column_values(info, ["n"])] == [12, 2234, 7]
    finally:
        store.close()


def test_keyset_pages_walk_nulls_and_values_in_both_orders(tmp_path: Path,
                                                          store: TableStore) -> None:
    values = [5, None, 3, 5, None, 1, 9, 3, None, 7]
    info = _load(store, _staging_file(tmp_path / "k.sqlite", [("v", "integer")],
                                      [(v,) for v in values]), "k", "f")
    numbered = list(enumerate(values, start=1))
    for desc in (False, True):
        seen, after = [], None
        while True:
            rows, after = keyset_page(store, info, RowSelection(), "v", desc, after, 3)
            seen += [r["_row"] for r in rows]
            if after is None:
                break
        nulls = [n for n, v in numbered if v is None]
        filled = sorted(((v, n) for n, v in numbered if v is not None), reverse=desc)
        expected = nulls + [n for _v, n in filled] if not desc else \
            [n for _v, n in filled] + nulls[::-1]
        assert seen == expected
    column = info.column("v")
    assert column is not None
    rows, after = keyset_page(store, info, RowSelection([Filter("min", column, "5")]), None,
                              False, None, 10)
    assert [r["v"] for r in rows] == [5, 5, 9, 7] and after is None
    rows, _after = keyset_page(store, info, RowSelection(rows=[]), None, False, None, 10)
    assert rows == []
