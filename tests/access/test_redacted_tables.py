"""The redacted copy of tables.sqlite, built from a real one: a small BlueLeaks-shaped site
(Registrations, a 20,000-row SecureMenuLog that gets column indexes, IncidentMap with
MostWanted and IncidentMapCategory, Documents with an attachment) and a police CSV shaped like
Allegheny County's list of departments (and the real one, when the shared corpus is there),
ingested by the real pipeline next to a second dataset that is not public.

What a public reader relies on: personal columns masked in every row, personal data in free
text masked, everything else as it was; the same ids, SQL names, types and indexes, so the
web reads it as it reads the original; nothing of another dataset; no join on a personal
column; no personal value left in column statistics (facets); row entries for the index.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import ingest
from shared_corpus import CORPUS

from trawl.access.redacted_tables import build_redacted_tables
from trawl.access.redaction import MASK, RedactionRules, Redactor
from trawl.derive.rows import row_entries
from trawl.search.tables import TableReader
from trawl.storage.redacted_tables import built_fingerprints
from trawl.storage.tables import TableInfo, TableStore, quote_ident
from trawl.web.params import parse_view_params

DATASET = "blueleaks"
OTHER = "internal"
POLICE_CSV = "PA/allegheny_county/departments_by_muni/sample_police_departments.csv"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\(?\b[0-9]{3}\)?[-. ][0-9]{3}[-.][0-9]{4}\b")

FIRST = ["Alice", "Bruno", "Chidi", "Dolores"]
LAST = ["Okafor", "Lindqvist", "Marchetti", "Abernathy", "Quispe", "Haddad", "Novak",
        "Fairweather", "Ishikawa", "Delacroix", "Mbeki", "Castellano"]
SUSPECTS = ["Victor Kessler", "Ramona Vance", "Tobias Wren"]


def _write(path: Path, rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _registrations(site: Path) -> None:
    rows: list[list[Any]] = [[
        "Registrationsid", "FormTimeStamp", "FirstName", "LastName", "FullName",
        "AgencyOrganization", "Address1", "City", "State", "ZipCode", "EmailAddress",
        "WorkPhone", "MobilePhone", "SupervisorEmailAddress", "Password", "MemberType",
        "ReferredBy", "IPAddress", "BadgeNumber", "InternalNotes"]]
    for i, last in enumerate(LAST):
        first = FIRST[i % len(FIRST)]
        email = f"{first[0].lower()}.{last.lower()}@oaklandpd.example.org"
        notes = (f"Vetted by phone (415) 555-01{i:02d}; reach {email}" if i % 3 == 0 else
                 f"Home: {100 + i} Harbor View Drive, Apt {i}" if i % 3 == 1 else
                 "Approved for TLO training")
        rows.append([
            i + 1, f"2019-0{1 + i % 9}-1{i % 9} 09:3{i % 6}:00", first, last, f"{first} {last}",
            "Oakland Police Department", f"{200 + i} Grand Avenue", "Oakland", "CA", "94607",
            email, f"510-555-01{i:02d}", f"(415) 555-02{i:02d}", "sgt.wong@oaklandpd.example.org",
            f"pw{i:04d}Summer!", ["Law Enforcement", "Private Sector", "Fire"][i % 3],
            ["tips@ncric.example.org", "Walk-in", "hotline (415) 555-0100"][i % 3],
            f"192.0.2.{10 + i}", 4400 + i, notes])
    _write(site / "Registrations.csv", rows)


def _secure_menu_log(site: Path) -> None:
    """20,000 rows: a big table, so its short columns get indexes at load."""
    rows: list[list[Any]] = [["SecureMenuLogID", "FormTimeStamp", "EmailAddress",
                              "IPAddress", "PageName", "Success"]]
    pages = ["SARs.aspx", "Documents.aspx", "Registrations.aspx", "EmailBuilder.aspx"]
    for i in range(20_000):
        last = LAST[i % len(LAST)].lower()
        rows.append([i + 1, f"2020-0{1 + i % 6}-{10 + i % 18} 1{i % 10}:0{i % 6}:00",
                     f"user.{last}@sheriff.example.org", f"198.51.100.{i % 250}",
                     pages[i % 4], "Yes" if i % 7 else "No"])
    _write(site / "SecureMenuLog.csv", rows)


def _incidents(site: Path) -> None:
    rows: list[list[Any]] = [["IncidentMapID", "ProblemDate", "Category", "Address", "City",
                              "Suspect", "DateOfBirth", "Description"]]
    categories = ["Burglary", "Vandalism", "Protest"]
    for i in range(9):
        rows.append([i + 1, f"2020-06-0{i + 1}", categories[i % 3],
                     f"{1200 + i} Broadway Ave", "Oakland", SUSPECTS[i % 3], f"1988-03-1{i}",
                     f"Suspect DOB: 03/1{i}/1988, seen leaving at 10:30:00; case 2020-1234{i}"])
    # A ragged row: the cells past the header end up in _extra, and are masked there too.
    rows.append([10, "2020-06-10", "Protest", "77 Lake Merritt Blvd", "Oakland", SUSPECTS[0],
                 "", "Crowd of 200", "witness w.jones@example.org", "(415) 555-0177"])
    _write(site / "IncidentMap.csv", rows)
    _write(site / "MostWanted.csv", [["MostWantedID", "SuspectName", "Charges"]] +
           [[i + 1, name, "Wanted for questioning"] for i, name in enumerate(SUSPECTS)])
    _write(site / "IncidentMapCategory.csv",
           [["IncidentMapCategoryID", "IncidentMapCategoryName"]] +
           [[i + 1, name] for i, name in enumerate(categories)])


def _documents(site: Path) -> None:
    bulletin = site / "files" / "DDF" / "Bulletin 2020-06.txt"
    bulletin.parent.mkdir(parents=True, exist_ok=True)
    bulletin.write_text("Situational awareness bulletin: planned protests downtown.")
    _write(site / "Documents.csv", [
        ["DocumentID", "DocFilename", "Author", "DocTitle", "Description", "DocumentCategoryID"],
        [1, "files\\DDF\\Bulletin 2020-06.txt", "Analyst Priya Raman", "Protest bulletin",
         "Questions to fusion.center@ncric.example.org", 1],
        [2, "", "NCRIC", "Weekly roundup", "No contact details", 2]])
    _write(site / "DocumentCategory.csv", [["DocumentCategoryID", "CategoryName"],
                                           [1, "Bulletins"], [2, "Roundups"]])


TOWNS = [("Harwick", "15049"), ("Aspinwall", "15215"), ("Pittsburgh", "15202"),
         ("Bethel Park", "15102"), ("Carnegie", "15106")]
STREETS = ["Plate Dr", "Commercial Ave", "California Ave", "Church Rd", "Main St"]
DEPARTMENTS = ["Riverbend Regional", "Mill Creek", "Oak Hollow", "Stone Ridge", "Cedar Falls",
               "Pine Township"]


def _police_departments(path: Path) -> None:
    """Department names ending in a street address, phone and fax numbers: the shape of
    Allegheny County's list (sample_police_departments.csv of the corpus)."""
    rows: list[list[Any]] = [["Name", "Contact Info", "Jurisdictions Covered"]]
    for i in range(25):
        town, zipcode = TOWNS[i % len(TOWNS)]
        rows.append([f"{DEPARTMENTS[i % len(DEPARTMENTS)]} P.D. {100 + 7 * i} "
                     f"{STREETS[i % len(STREETS)]} {town}, PA {zipcode}",
                     f"724-274-{2800 + i} 724-274-{4400 + i} (Fax)",
                     f"{town} Borough East Deer Township"])
    _write(path, rows)


def build_dump(root: Path) -> Path:
    site = root / "ncric"
    _registrations(site)
    _secure_menu_log(site)
    _incidents(site)
    _documents(site)
    police = root / "police"
    _police_departments(police / "police_departments.csv")
    real = CORPUS / "pdap-police" / POLICE_CSV
    if real.is_file():  # real rows as well, when the shared corpus is there
        shutil.copyfile(real, police / real.name)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("redacted-tables")
    data = base / "data"
    ingest(build_dump(base / "dump"), data, dataset=DATASET)
    internal = base / "internal"
    _write(internal / "Roster.csv", [["RosterID", "FullName", "Notes"],
                                     [1, "Internal Person", "internal only"]])
    ingest(internal, data, dataset=OTHER)
    source, target = data / "tables.sqlite", data / "tables-redacted.sqlite"
    rules = RedactionRules()
    counts = build_redacted_tables(source, target, {DATASET: rules})
    original = TableStore(source, readonly=True)
    redacted = TableStore(target, readonly=True)
    yield {"source": source, "target": target, "counts": counts, "rules": rules,
           "original": original, "redacted": redacted}
    original.close()
    redacted.close()


def _table(store: TableStore, name: str) -> TableInfo:
    (info,) = store.tables(DATASET, name=name)
    return info


def _rows(store: TableStore, info: TableInfo) -> dict[int, dict[str, Any]]:
    return {r["_row"]: dict(r) for r in store.db.execute(
        f"SELECT * FROM {quote_ident(info.sql_name)}")}


def _is_personal(redactor: Redactor, info: TableInfo, sql: str) -> bool:
    column = info.column(sql)
    assert column is not None
    return redactor.is_personal_column(column.name) or redactor.is_personal_column(column.sql)


# -- the registry: same tables, same ids, nothing else ------------------------------------------
def test_same_tables_ids_and_sql_names_and_no_other_dataset(built: dict[str, Any]) -> None:
    original, redacted = built["original"], built["redacted"]
    before = {t.id: (t.sql_name, t.path, t.row_count, t.key_column, t.label_column,
                     [(c.sql, c.name, c.type, c.indexed) for c in t.columns])
              for t in original.tables(DATASET)}
    after = {t.id: (t.sql_name, t.path, t.row_count, t.key_column, t.label_column,
                    [(c.sql, c.name, c.type, c.indexed) for c in t.columns])
             for t in redacted.tables(DATASET)}
    assert after == before
    assert original.tables(OTHER) and not redacted.tables(OTHER)
    names = {r[0] for r in redacted.db.execute("SELECT name FROM sqlite_master")}
    assert not [n for n in names if n.startswith(f"{OTHER}:")]
    rows = sum(t.row_count for t in original.tables(DATASET) if t.has_rows)
    assert built["counts"] == {DATASET: rows}
    assert built_fingerprints(built["target"]) == {DATASET: built["rules"].fingerprint()}


def test_same_schema_and_indexes(built: dict[str, Any]) -> None:
    original, redacted = built["original"], built["redacted"]
    log = _table(original, "SecureMenuLog")
    assert any(c.indexed for c in log.columns)  # a big table: its columns got indexes

    def schema(store: TableStore) -> set[tuple[str, str, str]]:
        names = [t.sql_name for t in store.tables(DATASET) if t.has_rows]
        return {(r[0], r[1], r[2]) for r in store.db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN "
            "(SELECT value FROM json_each(?))", (json.dumps(names),))}
    assert schema(redacted) == schema(original)
    plan = redacted.db.execute(
        f"EXPLAIN QUERY PLAN SELECT _row FROM {quote_ident(log.sql_name)} "
        "WHERE PageName = 'SARs.aspx'").fetchall()
    assert "INDEX" in " ".join(str(r[-1]) for r in plan)


# -- cells ---------------------------------------------------------------------------------------
def test_every_cell_is_redacted_as_the_redactor_says(built: dict[str, Any]) -> None:
    """Each cell of the copy is `Redactor.cell` of the original: the SQL path and the Python
    one agree, personal columns are masked in every row, other cells kept or masked."""
    original, redacted = built["original"], built["redacted"]
    redactor = Redactor(built["rules"])
    for info in original.tables(DATASET, include_empty=False):
        before, after = _rows(original, info), _rows(redacted, info)
        assert after.keys() == before.keys()
        for number, row in before.items():
            for column in info.columns:
                value = row[column.sql]
                if _is_personal(redactor, info, column.sql):
                    expected = value if value in (None, "") else MASK
                else:
                    expected = redactor.cell(column.name, value)
                assert after[number][column.sql] == expected, (info.name, column.sql, value)
            assert after[number]["_flags"] == row["_flags"]


def test_personal_columns_masked_and_ordinary_cells_kept(built: dict[str, Any]) -> None:
    original, redacted = built["original"], built["redacted"]
    info = _table(original, "Registrations")
    badge = info.column("BadgeNumber")
    assert badge is not None and badge.type == "integer"  # masked whatever its type
    before, after = _rows(original, info), _rows(redacted, info)
    for number, row in after.items():
        for column in ("FirstName", "LastName", "FullName", "Address1", "EmailAddress",
                       "WorkPhone", "MobilePhone", "SupervisorEmailAddress", "Password",
                       "IPAddress", "BadgeNumber"):
            assert row[column] == MASK
        # Not personal: the same values, typed as they were.
        for column in ("Registrationsid", "FormTimeStamp", "AgencyOrganization", "City",
                       "State", "ZipCode", "MemberType"):
            assert row[column] == before[number][column]
    notes = [after[n]["InternalNotes"] for n in sorted(after)]
    assert notes[0] == "Vetted by phone [phone]; reach [email]"
    assert notes[1] == "Home: [address]"
    assert notes[2] == "Approved for TLO training"
    incidents = _rows(redacted, _table(redacted, "IncidentMap"))
    description = incidents[1]["Description"]
    # The date of birth goes, the incident date and time, the case number stay.
    assert description == "Suspect DOB: [date of birth], seen leaving at 10:30:00; case 2020-12340"
    assert incidents[1]["ProblemDate"] == "2020-06-01" and incidents[1]["Suspect"] == MASK
    assert _table(redacted, "IncidentMap").column("DateOfBirth").type == "date"
    assert incidents[1]["DateOfBirth"] == MASK and incidents[10]["DateOfBirth"] is None
    documents = _rows(redacted, _table(redacted, "Documents"))
    assert documents[1]["Description"] == "Questions to [email]"
    assert documents[1]["Author"] == MASK and documents[2]["Author"] == MASK
    assert documents[1]["DocFilename"] == "files\\DDF\\Bulletin 2020-06.txt"


def test_cells_past_the_header_are_masked(built: dict[str, Any]) -> None:
    original, redacted = built["original"], built["redacted"]
    info = _table(original, "IncidentMap")
    before, after = _rows(original, info)[10], _rows(redacted, info)[10]
    assert before["_flags"] and "w.jones@example.org" in before["_extra"]
    extra = json.loads(after["_extra"])
    assert extra == ["witness [email]", "[phone]"]


def _police_rows_lose_phones_and_street_addresses(built: dict[str, Any], name: str
                                                  ) -> dict[int, dict[str, Any]]:
    original, redacted = built["original"], built["redacted"]
    info = _table(original, name)
    before, after = _rows(original, info), _rows(redacted, info)
    assert len(after) > 20
    phones = sum(len(PHONE.findall(str(v))) for row in before.values() for v in row.values())
    assert phones > 40  # the file is full of them
    for number, row in after.items():
        text = " ".join(str(v) for v in row.values() if v is not None)
        assert not PHONE.findall(text), text
        assert not EMAIL.findall(text), text
        # What is not personal survives: department names, towns, boroughs, "(Fax)".
        assert before[number]["Name"].split()[0] in row["Name"]
    return after


def test_police_rows_lose_phones_and_street_addresses(built: dict[str, Any]) -> None:
    first = _police_rows_lose_phones_and_street_addresses(built, "police_departments")[1]
    assert first["Name"] == "Riverbend Regional P.D. [address] Harwick, PA 15049"
    assert first["Contact Info"] == "[phone] [phone] (Fax)"


def test_real_police_rows_lose_phones_and_street_addresses(built: dict[str, Any]) -> None:
    if not built["original"].tables(DATASET, name="sample_police_departments"):
        pytest.skip(f"shared corpus missing: {CORPUS}")
    after = _police_rows_lose_phones_and_street_addresses(built, "sample_police_departments")
    assert after[1]["Name"] == "Allegheny Valley Regional P.D. [address] Harwick, PA 15049"
    assert after[1]["Contact Info"] == "[phone] [phone] (Fax)"


# -- statistics, links, joins ----------------------------------------------------------------------
def _personal_values(store: TableStore, redactor: Redactor) -> set[str]:
    values: set[str] = set()
    for info in store.tables(DATASET, include_empty=False):
        for column in info.columns:
            if _is_personal(redactor, info, column.sql):
                values |= {str(r[0]) for r in store.db.execute(
                    f"SELECT DISTINCT {quote_ident(column.sql)} FROM "
                    f"{quote_ident(info.sql_name)} WHERE {quote_ident(column.sql)} IS NOT NULL")}
    return {v for v in values if len(v) >= 4}


def test_column_statistics_leak_nothing(built: dict[str, Any]) -> None:
    original, redacted = built["original"], built["redacted"]
    redactor = Redactor(built["rules"])
    before = _table(original, "Registrations")
    facets = {c.sql: c.facet for c in before.columns if c.facet}
    assert [v for v, _n in facets["FirstName"]] == FIRST  # the original shows first names
    assert "tips@ncric.example.org" in {v for v, _n in facets["ReferredBy"]}
    registry = " ".join(r[0] for r in redacted.db.execute("SELECT columns FROM trawl_tables"))
    leaked = [v for v in _personal_values(original, redactor) if v in registry]
    assert not leaked
    assert not EMAIL.findall(registry) and not PHONE.findall(registry)
    after = {c.sql: c for c in _table(redacted, "Registrations").columns}
    assert after["FirstName"].facet is None and after["FirstName"].distinct == 1
    assert after["MemberType"].facet == [["Law Enforcement", 4], ["Private Sector", 4],
                                         ["Fire", 4]]
    assert after["ReferredBy"].facet == [["[email]", 4], ["Walk-in", 4], ["hotline [phone]", 4]]


def test_links_kept_and_joins_on_personal_columns_dropped(built: dict[str, Any]) -> None:
    original, redacted = built["original"], built["redacted"]
    documents = _table(original, "Documents")
    assert [tuple(r.values()) for r in redacted.links_of_row(documents.id, 1)] == \
        [tuple(r.values()) for r in original.links_of_row(documents.id, 1)]
    names = {t.id: t.name for t in original.tables(DATASET)}

    def joins(store: TableStore) -> set[tuple[str, str, str, str]]:
        return {(names[j["from_table"]], j["from_column"], names[j["to_table"]],
                 j["to_column"]) for j in store.db.execute("SELECT * FROM trawl_joins")}
    suspects = ("IncidentMap", "Suspect", "MostWanted", "SuspectName")
    assert suspects in joins(original)  # found by the loader on the names of people
    kept = joins(redacted)
    assert suspects not in kept
    assert kept == joins(original) - {suspects}
    assert ("Documents", "DocumentCategoryID", "DocumentCategory", "DocumentCategoryID") in kept
    assert ("IncidentMap", "Category", "IncidentMapCategory", "IncidentMapCategoryName") in kept


# -- reading it as the web does ------------------------------------------------------------------
def test_table_reader_reads_the_redacted_file(built: dict[str, Any]) -> None:
    reader = TableReader(built["target"])
    try:
        info = _table(built["original"], "Registrations")
        table = reader.table(info.id, datasets=[DATASET])
        view = reader.view(table, parse_view_params(table, {"sort": "LastName"}))
        assert view.count == 12 and all(r["LastName"] == MASK for r in view.rows)
        # A public reader cannot find a row by a redacted value...
        email = "a.okafor@oaklandpd.example.org"
        params = parse_view_params(table, {"f.EmailAddress": email})
        assert reader.view(table, params).count == 0
        # ...but filters on what is not personal work as before.
        fire = reader.view(table, parse_view_params(table, {"f.MemberType": "Fire"}))
        assert fire.count == 4
        log = reader.table(_table(built["original"], "SecureMenuLog").id)
        page = reader.view(log, parse_view_params(log, {"f.Success": "No", "sort": "IPAddress"}))
        assert page.rows and all(r["EmailAddress"] == MASK for r in page.rows)
        documents = reader.table(_table(built["original"], "Documents").id)
        row = reader.row(documents, 1)
        assert row is not None and row["Author"] == MASK
        (joined,) = reader.joined(documents, row)
        assert joined.other.name == "DocumentCategory" and joined.rows[0]["CategoryName"] == \
            "Bulletins"
        (link,) = reader.links(documents, 1)
        referencing = reader.referencing_rows(link["document_id"])
        assert [(r["table"].name, r["row"], r["label"]) for r in referencing] == [
            ("Documents", 1, "Protest bulletin")]
        incidents = reader.table(_table(built["original"], "IncidentMap").id)
        incident = reader.row(incidents, 1)
        assert incident is not None
        assert [j.other.name for j in reader.joined(incidents, incident)] == \
            ["IncidentMapCategory"]
        with pytest.raises(LookupError):
            reader.table(built["original"].tables(OTHER)[0].id)
    finally:
        reader.close()


def test_redacted_row_entries_mask_what_the_index_gets(built: dict[str, Any]) -> None:
    redacted = built["redacted"]
    entries = [e for info in redacted.tables(DATASET, include_empty=False)
               for e in row_entries(redacted, info, view="redacted")]
    assert len(entries) == built["counts"][DATASET]
    assert {e.view for e in entries} == {"redacted"}
    cells = "\n".join(e.cells for e in entries)
    assert not EMAIL.findall(cells) and not PHONE.findall(cells)
    for name in ("Okafor", "Kessler", "Priya Raman", "Grand Avenue"):
        assert name not in cells
    assert "Law Enforcement" in cells and "Protest bulletin" in cells
    assert redacted.tables(OTHER, include_empty=False) == []


# -- rebuilding ----------------------------------------------------------------------------------
def test_rebuild_replaces_the_file_atomically(built: dict[str, Any], tmp_path: Path) -> None:
    source = built["source"]
    target = tmp_path / "out" / "tables-redacted.sqlite"
    build_redacted_tables(source, target, {DATASET: RedactionRules()})
    old = TableStore(target, readonly=True)
    try:
        info = _table(old, "Registrations")
        rules = RedactionRules(terms=("Oakland Police Department",))
        build_redacted_tables(source, target, {DATASET: rules, "nope": rules})
        new = TableStore(target, readonly=True)
        try:
            cell = new.cell_row(info, 1)
            assert cell is not None and cell["AgencyOrganization"] == MASK
            assert built_fingerprints(target) == {DATASET: rules.fingerprint(),
                                                  "nope": rules.fingerprint()}
        finally:
            new.close()
        # A reader that had the old file open keeps reading it whole.
        cell = old.cell_row(info, 1)
        assert cell is not None and cell["AgencyOrganization"] == "Oakland Police Department"
    finally:
        old.close()
    assert sorted(p.name for p in target.parent.iterdir()) == ["tables-redacted.sqlite"]


def test_a_failed_build_leaves_the_old_file(built: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "tables-redacted.sqlite"
    build_redacted_tables(built["source"], target, {DATASET: RedactionRules()})
    before = target.read_bytes()
    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database")
    with pytest.raises(sqlite3.DatabaseError):
        build_redacted_tables(broken, target, {DATASET: RedactionRules()})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.sqlite",
                                                          "tables-redacted.sqlite"]


def test_no_tables_yet_gives_an_empty_store(tmp_path: Path) -> None:
    target = tmp_path / "tables-redacted.sqlite"
    counts = build_redacted_tables(tmp_path / "missing.sqlite", target,
                                   {DATASET: RedactionRules()})
    assert counts == {DATASET: 0}
    store = TableStore(target, readonly=True)
    try:
        assert store.tables(DATASET) == []
    finally:
        store.close()
