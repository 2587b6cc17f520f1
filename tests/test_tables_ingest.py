"""Structured tables through the real pipeline: a generated BlueLeaks-shaped dump (two sites,
one exported in windows-1252) and a police workbook, plus the real police files when the
shared corpus is there, ingested once (tables_site.py).

What a reader relies on: every CSV and sheet is a table with typed columns; attachment cells
link to their documents whatever their slashes and letter case; joins are found between the
tables of a site; rows are searchable apart from documents; `trawl tables --json`; re-runs
reload only what changed; `trawl reindex` keeps the rows.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from ingest_helpers import cli_json, ingest, search, trawl_cli
from shared_corpus import CORPUS
from tables_site import DATASET, ingested

from trawl.search.service import Archive
from trawl.search.tables import TableReader
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableStore


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DataDir]:
    return ingested(tmp_path_factory, CORPUS)


@pytest.fixture(scope="module")
def store(site: tuple[Path, DataDir]) -> TableStore:
    found = TableStore.open_readonly(site[1].root / "tables.sqlite")
    assert found is not None
    return found


def table(store: TableStore, folder: str, name: str):
    found = store.tables(DATASET, folder=folder, name=name)
    assert len(found) == 1, (folder, name)
    return found[0]


def test_every_csv_and_sheet_is_a_table(site: tuple[Path, DataDir], store: TableStore) -> None:
    dump, _data = site
    for folder in ("ncric", "jric"):
        csvs = {p.stem for p in (dump / folder).glob("*.csv")}
        tables = store.tables(DATASET, folder=folder)
        assert {t.name for t in tables} == csvs
        # Most of a BlueLeaks site is header-only: kept with its columns, no rows.
        empty = [t for t in tables if t.header_only]
        assert len(empty) > len(tables) / 2
        assert all(t.columns and t.row_count == 0 for t in empty)
    workbook = store.tables(DATASET, folder="police", name="stop_data [Action_Taken]")
    assert workbook and workbook[0].sheet == "Action_Taken" and workbook[0].row_count == 24


def test_real_police_files_are_tables(store: TableStore) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    workbook = store.tables(DATASET, folder="police", name="2021_05_13_action_taken "
                            "[Action_Taken]")
    assert workbook and workbook[0].sheet == "Action_Taken" and workbook[0].row_count == 24
    names = {t.name for t in store.tables(DATASET, folder="police")}
    assert "2021_05_13_crime_reports" in names
    assert any(n.startswith("daily-crime-fire-log-8-3-thru-8-10-20") for n in names)  # XLS


def test_types_keys_and_encodings(store: TableStore) -> None:
    sars = table(store, "ncric", "SARs")
    kinds = {c.sql: c.type for c in sars.columns}
    assert kinds["SARsid"] == "integer" and kinds["FormTimeStamp"] == "datetime"
    assert kinds["IncidentTime"] == "time" and kinds["CaseNumber"] == "text"
    assert sars.key_column == "SARsid" and sars.encoding == "utf-8"
    documents = table(store, "jric", "Documents")
    assert documents.encoding == "cp1252"  # the generator's windows-1252 site
    rows = store.db.execute(f'SELECT Author FROM "{documents.sql_name}"').fetchall()
    authors = " ".join(r[0] for r in rows if r[0])
    assert "\ufffd" not in authors and "Ã" not in authors  # no mojibake
    assert documents.label_column == "DocTitle" and documents.key_column == "DocumentID"


def test_attachment_cells_link_to_documents(site: tuple[Path, DataDir],
                                            store: TableStore) -> None:
    dump, data = site
    documents = table(store, "ncric", "Documents")
    links = store.db.execute("SELECT row, column, value, file_path, document_id FROM "
                             "trawl_links WHERE table_id = ?", (documents.id,)).fetchall()
    by_value = {r["value"]: r for r in links}
    cells = store.db.execute(f'SELECT _row, DocFilename FROM "{documents.sql_name}" '
                             "WHERE DocFilename IS NOT NULL").fetchall()
    assert cells
    for row, value in cells:
        assert value in by_value, value  # every attachment cell resolved
        link = by_value[value]
        # The generator writes ~5% of cells in other letter case (Files\DDF\...).
        assert link["file_path"].lower() == ("ncric/" + value.replace("\\", "/")).lower()
        assert (dump / link["file_path"]).is_file()
        assert link["document_id"]
    # Nested folders with mixed separators (files\SARs/2020\IMG_1.JPG), all resolved.
    sars = table(store, "ncric", "SARs")
    sar_links = store.db.execute("SELECT value, file_path FROM trawl_links WHERE table_id = ?",
                                 (sars.id,)).fetchall()
    assert any("\\" in v and "/" in v for v, _p in sar_links)
    assert all(p.startswith("ncric/files/SARs/") for _v, p in sar_links)
    # Case differences between the cell and the file on disk (the CMS's .TXT, our .TXT).
    hostile = table(store, "ncric", "Hostile")
    (link,) = store.db.execute("SELECT value, file_path FROM trawl_links WHERE table_id = ?",
                               (hostile.id,)).fetchall()
    assert link[0].startswith("FILES\\ddf\\") and link[1].startswith("ncric/files/DDF/")
    # The document knows the rows that name it.
    reader = TableReader(data.root / "tables.sqlite")
    referencing = reader.referencing_rows(by_value[cells[0][1]]["document_id"])
    assert any(r["table"].name == "Documents" and r["row"] == cells[0][0]
               for r in referencing)
    assert referencing[0]["label"]  # "Documents row 4312: Protest activity bulletin"


def test_joins_by_key_name_and_by_values(store: TableStore) -> None:
    names = {t.id: t.name for t in store.tables(DATASET)}
    for folder in ("ncric", "jric"):
        joins = {(names[j["from_table"]], j["from_column"], names[j["to_table"]], j["to_column"],
                  j["kind"]) for j in store.db.execute(
            "SELECT * FROM trawl_joins WHERE dataset = ? AND folder = ?", (DATASET, folder))}
        assert ("Documents", "DocumentCategoryID", "DocumentCategory", "DocumentCategoryID",
                "key") in joins
        assert ("SARs", "NSFormName", "FormBuilder", "FormName", "name") in joins
        assert ("IncidentMap", "Category", "IncidentMapCategory", "IncidentMapCategoryName",
                "name") in joins
        assert ("EventRegistration", "EventFormName", "EventBuilder", "FormName",
                "name") in joins
        assert ("SurveyQuestion", "SurveyFormID", "SurveyForm", "SurveyFormID", "key") in joins
        # Never a join of a site's table with another site's.
        assert all(names[j[0]] for j in store.db.execute(
            "SELECT from_table FROM trawl_joins WHERE folder = ?", (folder,)))


def test_rows_are_searchable_apart_from_documents(site: tuple[Path, DataDir],
                                                  store: TableStore) -> None:
    _dump, data = site
    sars = table(store, "jric", "SARs")
    case_number = store.db.execute(
        f'SELECT CaseNumber FROM "{sars.sql_name}" WHERE _row = 1').fetchone()[0]
    found = search(data.root, f'"{case_number}"', record="rows")
    assert any(h.table_id == sars.id and h.row == 1 for h in found.hits)
    summary = store.db.execute(
        f'SELECT BriefSummary FROM "{sars.sql_name}" WHERE _row = 1').fetchone()[0]
    word = next(w for w in summary.split() if w.isalpha() and len(w) >= 7)
    prefixed = search(data.root, f"table:SARs {word[:5]}*", record="rows", limit=200)
    assert any(h.table_id == sars.id and h.row == 1 for h in prefixed.hits)
    facets = search(data.root, "*", record="rows", facets=("table",), facet_size=500,
                    limit=0).facets
    assert dict(facets["table"])["SARs"] >= sars.row_count
    # Documents are counted as before: rows never enter their totals.
    catalog = Catalog(data.catalog_path, readonly=True)
    documents = catalog.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    catalog.close()
    assert search(data.root, "*", limit=0).total == documents
    only_sars = search(data.root, "*", record="rows", filters={"table": ["SARs"]}, limit=0)
    assert only_sars.total == sum(t.row_count for t in store.tables(DATASET, name="SARs"))


def test_trawl_tables_json(site: tuple[Path, DataDir]) -> None:
    _dump, data = site
    listed = cli_json("tables", "--dataset", DATASET, data_dir=data.root)
    tables = {(t["source"], t["sheet"]): t for t in listed["tables"]}
    sars = tables[("ncric/SARs.csv", None)]
    assert sars["name"] == "SARs" and sars["rows"] > 0
    assert {"name": "SARsid", "label": "SARsid", "type": "integer"} in sars["columns"]
    assert not any(t["header_only"] for t in listed["tables"])  # hidden unless --all
    sheet = next(t for t in listed["tables"] if t["source"].endswith("stop_data.xlsx"))
    assert sheet["sheet"] == "Action_Taken"
    everything = json.loads(trawl_cli("tables", "--dataset", DATASET, "--all", "--json",
                                      data_dir=data.root).stdout)
    assert len(everything["tables"]) > len(listed["tables"])
    missing = trawl_cli("tables", "--dataset", "nope", data_dir=data.root, check=False)
    assert missing.returncode == 2


# -- re-runs, changes, reindex (a small dump of its own) -----------------------------------------
def _tables(data: Path) -> list:
    store = TableStore.open_readonly(data / "tables.sqlite")
    assert store is not None
    try:
        return store.tables("test")
    finally:
        store.close()


def _write(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_reruns_reload_only_what_changed(tmp_path: Path) -> None:
    dump = tmp_path / "dump" / "site"
    (dump / "files" / "DDF").mkdir(parents=True)
    (dump / "files" / "DDF" / "Bulletin 2020-06.txt").write_text("A bulletin about drones.")
    _write(dump / "Documents.csv", [["DocumentID", "DocFilename", "DocTitle"],
                                    [1, "files\\DDF\\Bulletin 2020-06.txt", "Drone bulletin"],
                                    [2, "files\\DDF\\Later.TXT", "Later bulletin"]])
    _write(dump / "Notes.csv", [["NotesID", "Text"], [1, "zanzibarite"]])
    # The same bytes at a second path: copied from the first table, not parsed again.
    _write(dump / "Copy.csv", [["NotesID", "Text"], [1, "zanzibarite"]])
    data = tmp_path / "data"
    ingest(dump.parent, data)
    first = {t.path: t.id for t in _tables(data)}
    assert set(first) == {"site/Documents.csv", "site/Notes.csv", "site/Copy.csv"}
    ingest(dump.parent, data)  # nothing changed: nothing reloaded
    assert {t.path: t.id for t in _tables(data)} == first
    _write(dump / "Notes.csv", [["NotesID", "Text"], [1, "zanzibarite"], [2, "quokkaline"]])
    # An attachment that a cell named all along, arriving in a later run, gets its link.
    (dump / "files" / "DDF" / "later.txt").write_text("Arrived later.")
    ingest(dump.parent, data)
    again = {t.path: t for t in _tables(data)}
    assert again["site/Notes.csv"].id != first["site/Notes.csv"]
    assert again["site/Notes.csv"].row_count == 2
    assert again["site/Documents.csv"].id == first["site/Documents.csv"]
    assert search(data, "quokkaline", record="rows").total == 1
    assert search(data, "zanzibarite", record="rows").total == 2  # Notes and Copy, no stale
    trawl_cli("reindex", data_dir=data)
    assert search(data, "quokkaline", record="rows").total == 1
    assert search(data, "drone", record="rows").total == 1
    archive = Archive(DataDir.open(data))
    try:
        view = archive.find("site/files/DDF/Bulletin 2020-06.txt", "test")
        later = archive.find("site/files/DDF/later.txt", "test")
    finally:
        archive.close()
    reader = TableReader(data / "tables.sqlite")
    refs = reader.referencing_rows(view.id)
    assert [(r["table"].name, r["key"], r["label"]) for r in refs] == [
        ("Documents", "1", "Drone bulletin")]
    assert [(r["key"], r["label"]) for r in reader.referencing_rows(later.id)] == [
        ("2", "Later bulletin")]


def test_paths_that_differ_only_by_case(tmp_path: Path) -> None:
    """SQLite compares table names without case: SARs.csv and sars.csv are two tables."""
    dump = tmp_path / "dump"
    dump.mkdir()
    _write(dump / "SARs.csv", [["SARsid", "Text"], [1, "upper"]])
    _write(dump / "sars.csv", [["SARsid", "Text"], [1, "lower"], [2, "lower"]])
    data = tmp_path / "data"
    ingest(dump, data)
    tables = {t.path: t for t in _tables(data)}
    assert tables["SARs.csv"].row_count == 1 and tables["sars.csv"].row_count == 2
    assert tables["SARs.csv"].sql_name.lower() != tables["sars.csv"].sql_name.lower()


def test_datasette_can_open_the_file(site: tuple[Path, DataDir], store: TableStore) -> None:
    """A plain SQLite file: every registered table with rows is a real SQL table (a sheet's
    too: `blueleaks:police/book.xlsx (Sheet)`)."""
    _dump, data = site
    db = sqlite3.connect(data.root / "tables.sqlite")
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # Datasette writes some names in [brackets]: none may hold a "]" (checked with 0.65).
    assert not [r[0] for r in db.execute("SELECT name FROM sqlite_master") if "]" in r[0]]
    for info in store.tables(DATASET, include_empty=False):
        assert info.sql_name in names
        assert db.execute(f'SELECT COUNT(*) FROM "{info.sql_name}"').fetchone()[0] == \
            info.row_count
    db.close()


def test_a_csv_of_html_cells_is_a_table_and_an_html_page_named_csv_is_not(tmp_path: Path
                                                                          ) -> None:
    """libmagic calls a CSV of two lines "text/html" when a cell is HTML (it wants three lines
    to say CSV): a .csv that reads as records is a table whatever libmagic guesses, and a web
    page saved as .csv stays HTML."""
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "EmailBuilder.csv").write_text(
        "EmailBuilderID,EmailSubject,EmailBody\n"
        '7,Gathering,"<html><body><p>Meet at the <b>north gate</b>, at noon</p></body></html>"\n')
    (dump / "saved-page.csv").write_text(
        "<!DOCTYPE html>\n<html><head><title>Press</title></head>\n<body><p>Cities, towns"
        "</p>\n<p>and counties, one</p></body></html>\n")
    data = tmp_path / "data"
    ingest(dump, data)
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    try:
        ds = catalog.dataset("test")
        mimes = {path: catalog.content(catalog.file_by_path(ds.id, path).sha256).mime
                 for path in ("EmailBuilder.csv", "saved-page.csv")}
    finally:
        catalog.close()
    assert mimes == {"EmailBuilder.csv": "text/csv", "saved-page.csv": "text/html"}
    store = TableStore.open_readonly(data / "tables.sqlite")
    assert store is not None
    [builder] = store.tables("test", name="EmailBuilder")
    assert builder.row_count == 1
    assert [c.name for c in builder.columns][:3] == ["EmailBuilderID", "EmailSubject",
                                                     "EmailBody"]
    assert search(data, '"north gate"', limit=5).total >= 1
