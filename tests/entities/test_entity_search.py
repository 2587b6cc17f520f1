"""Entities in search, on real ingestions: facets and filters against the mentions the
catalog holds, every spelling of a phone or an address, `trawl reindex`, a changed file, and
names (person, org, place) written through the store as the named-entity step writes them."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from entity_helpers import FIVE_SPELLINGS, find_entity, write_changing_dump
from ingest_helpers import ingest, search, trawl_cli

from trawl.index.base import ENTITY_KINDS, SearchQuery
from trawl.search.service import Archive
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.entities import KINDS, EntityStore, NewMention


def _entities(data: Path, kind: str | None = None, limit: int = 10**6) -> list:
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    try:
        ds = catalog.dataset("test")
        return EntityStore(catalog).listing(ds.id, [kind] if kind else None, limit=limit)
    finally:
        catalog.close()


def _mentioned_by(data: Path, entity_id: int) -> tuple[set[str], set[tuple[int, int]]]:
    """The documents and the rows the catalog says mention the entity."""
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    try:
        mentions = EntityStore(catalog).mentions(entity_id, limit=10**6)
    finally:
        catalog.close()
    return ({m.document_id for m in mentions if m.document_id},
            {(m.table_id, m.row) for m in mentions if m.table_id is not None})


def _found(data: Path, text: str = "*", **kw) -> tuple[set[str], set[tuple[int, int]]]:
    docs = search(data, text, limit=200, **kw)
    rows = search(data, text, limit=200, record="rows", **kw)
    assert docs.total <= 200 and rows.total <= 200
    return ({h.id for h in docs.hits}, {(h.table_id, h.row) for h in rows.hits})


def test_every_kind_of_storage_is_a_kind_of_the_index() -> None:
    assert set(KINDS) <= set(ENTITY_KINDS)
    assert {"person", "org", "place"} <= set(ENTITY_KINDS)


def test_an_entity_filter_finds_exactly_what_its_mentions_say(mixed: Path) -> None:
    tried = 0
    for kind in ("email", "phone", "url", "domain"):
        for entity in _entities(mixed, kind, limit=8):
            expected = _mentioned_by(mixed, entity.id)
            assert _found(mixed, filters={"entity": [str(entity.id)]}) == expected
            assert _found(mixed, f"entity:{entity.id}") == expected
            tried += 1
    assert tried >= 20


def test_facet_counts_are_the_results_that_mention_each_entity(mixed: Path) -> None:
    by_id = {e.id: e for e in _entities(mixed)}
    for record, counted in (("documents", "documents"), ("rows", "rows")):
        result = search(mixed, "*", record=record, limit=0, facets=ENTITY_KINDS)
        shown = [f for values in result.entity_facets.values() for f in values]
        assert shown, record
        for facet in shown:
            entity = by_id[facet.id]
            assert (facet.kind, facet.value) == (entity.kind, entity.value)
            assert facet.count == getattr(entity, counted), (record, entity)
    # Inside a search: the count is of its results only.
    mail = search(mixed, "path:mail", limit=0, facets=("email",))
    for facet in mail.entity_facets["email"]:
        docs, _rows = _mentioned_by(mixed, facet.id)
        in_mail = search(mixed, f"path:mail AND entity:{facet.id}", limit=0)
        assert facet.count == in_mail.total <= len(docs)


def test_any_spelling_of_a_phone_or_an_address_filters_the_same(mixed: Path) -> None:
    phone, _ = find_entity(mixed, "phone", "+12125550123")
    assert phone is not None
    expected = _mentioned_by(mixed, phone.id)
    assert len(expected[0]) == 1
    for spelling in ["+12125550123", "(212) 555-0123", "212.555.0123", "+1 212 555 0123",
                     "1-212-555-0123", "2125550123"]:
        assert _found(mixed, f'phone:"{spelling}"') == expected, spelling
    email, _ = find_entity(mixed, "email", "desk@example.org")
    assert email is not None
    for spelling in ["desk@example.org", "Desk@Example.org", "DESK@EXAMPLE.ORG"]:
        assert _found(mixed, f"email:{spelling}") == _mentioned_by(mixed, email.id)
    # With words and operators, as any term.
    desk = _found(mixed, "desk AND email:desk@example.org")
    assert desk[0] == expected[0]
    assert _found(mixed, "email:desk@example.org OR url:example.org")[0] == \
        _mentioned_by(mixed, email.id)[0] | _found(mixed, "url:https://example.org/")[0]


def test_what_does_not_exist_matches_nothing(mixed: Path) -> None:
    for text in ["email:nobody@nowhere.example", 'phone:"(999) 555-0000"', "entity:999999999",
                 "entity:abc", "entity:²", 'person:"Nobody At All"',
                 "handle:@nobody_here"]:
        assert search(mixed, text).total == 0, text
    assert search(mixed, "*", filters={"entity": ["999999999"]}).total == 0
    # Excluding an entity that does not exist excludes nothing.
    every = search(mixed, "*", limit=0).total
    assert search(mixed, "* NOT email:nobody@nowhere.example", limit=0).total == every


def test_reindex_gives_the_same_entries(mixed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(mixed, copy)
    trawl_cli("reindex", data_dir=copy)
    for record in ("documents", "rows"):
        before = search(mixed, "*", record=record, limit=0, facets=ENTITY_KINDS)
        after = search(copy, "*", record=record, limit=0, facets=ENTITY_KINDS)
        assert after.entity_facets == before.entity_facets
        assert any(after.entity_facets.values())
    for entity in _entities(mixed, "email", limit=5):
        assert _found(copy, f"entity:{entity.id}") == _found(mixed, f"entity:{entity.id}")


def test_a_rerun_after_a_file_changed_updates_the_index(tmp_path: Path) -> None:
    source = tmp_path / "source"
    note = write_changing_dump(source)
    data = tmp_path / "data"
    ingest(source, data, ocr=False)
    assert len(_found(data, "email:old.desk@example.org")[0]) == 1
    assert len(_found(data, "email:ada@example.org")[1]) == 1
    assert len(_found(data, 'phone:"212-555-0100"')[0]) == 2
    note.write_text("The desk moved: new.desk@example.org.\n")
    (source / "people.csv").write_text("Name,Email\nAda,ada@example.net\nBo,bo@example.org\n")
    later = time.time() + 10
    os.utime(note, (later, later))
    os.utime(source / "people.csv", (later, later))
    ingest(source, data, ocr=False)
    assert _found(data, "email:old.desk@example.org") == (set(), set())
    assert _found(data, "email:ada@example.org") == (set(), set())
    assert len(_found(data, "email:new.desk@example.org")[0]) == 1
    assert len(_found(data, "email:ada@example.net")[1]) == 1
    assert len(_found(data, 'phone:"212-555-0100"')[0]) == 1
    # Nothing changed: nothing to write again.
    summary = _entities_extract(data)
    assert summary.entities.changed == 0
    assert summary.entities.reindexed_documents == summary.entities.reindexed_rows == 0


def _entities_extract(data: Path):
    from trawl.ingestion.pipeline import Ingester, IngestOptions

    ingester = Ingester(DataDir.open(data), "test", IngestOptions(workers=1, quiet=True))
    try:
        return ingester.run_entities()
    finally:
        ingester.close()


def test_names_match_a_key_or_a_spelling_without_case_or_accents(tmp_path: Path) -> None:
    """Named entities (person, org, place) as the named-entity step records them: through
    the store, then the same index rewrite the stage's changes get."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "memo.txt").write_text("Jane Döe met the Quill Foundation in Lyon.\n")
    (source / "other.txt").write_text("Nothing about anyone.\n")
    data = tmp_path / "data"
    ingest(source, data, ocr=False)
    catalog = Catalog(DataDir.open(data).catalog_path)
    try:
        ds = catalog.dataset("test")
        doc_id = next(d for d, sha in catalog.iter_documents(ds.id)
                      if catalog.files_of_content(ds.id, sha)[0].path == "memo.txt")
        store = EntityStore(catalog)
        store.replace_document_mentions(ds.id, doc_id, "names-test", None, [
            NewMention("person", "jane doe", "Jane Döe", "Jane Döe", 0, 8),
            NewMention("org", "quill foundation", "Quill Foundation", "Quill Foundation",
                       17, 33),
            NewMention("place", "lyon", "Lyon", "Lyon", 37, 41)])
        store.refresh(ds.id)
        catalog.mark_unindexed([doc_id])
        catalog.commit()
    finally:
        catalog.close()
    ingest(source, data, ocr=False, entities=False)  # indexes what is marked unindexed
    for text in ['person:"Jane Döe"', 'person:"JANE DOE"', 'person:"jane döe"',
                 'person:"Jane  Doe"', 'org:"quill foundation"', "place:LYON",
                 'person:"Jane Döe" AND place:lyon']:
        assert [h.path for h in search(data, text).hits] == ["memo.txt"], text
    for text in ['person:"Jane"', 'org:"Lyon"', 'place:"Jane Döe"']:
        assert search(data, text).total == 0, text
    facets = search(data, "*", facets=("person", "org", "place")).entity_facets
    assert {k: [(f.value, f.count) for f in v] for k, v in facets.items()} == {
        "person": [("Jane Döe", 1)], "org": [("Quill Foundation", 1)], "place": [("Lyon", 1)]}


def test_the_cli_filters_and_shows_facets(mixed: Path) -> None:
    email, _ = find_entity(mixed, "email", "desk@example.org")
    assert email is not None
    out = trawl_cli("search", "*", "--entity", str(email.id), "--facets", data_dir=mixed)
    assert out.stdout.startswith("1 document")
    assert "notes/desk.txt" in out.stdout
    assert f"{email.id}  desk@example.org  (1)" in out.stdout
    by_value = trawl_cli("search", 'email:"Desk@Example.org"', data_dir=mixed)
    assert by_value.stdout.startswith("1 document")
    refused = trawl_cli("search", "*", "--entity", "x1", data_dir=mixed, check=False)
    assert refused.returncode != 0 and "whole number" in refused.stderr


@pytest.mark.parametrize("record", ["documents", "rows"])
def test_the_api_and_the_page_show_entity_facets_and_filters(mixed: Path, record: str) -> None:
    from fastapi.testclient import TestClient
    from ingest_helpers import admin_headers

    from trawl.web.app import create_app

    data = DataDir.open(mixed)
    headers = admin_headers(data)
    top = search(mixed, "*", record=record, limit=0, facets=("phone",)).entity_facets["phone"]
    assert top
    with TestClient(create_app(data)) as web:
        found = web.get("/api/search", params={"q": "*", "record": record, "limit": 1},
                        headers=headers).json()
        assert found["facets"]["phone"] == [f.as_json() for f in top]
        assert set(ENTITY_KINDS) <= set(found["facets"])
        one = top[0]
        narrowed = web.get("/api/search", params={"q": "*", "record": record,
                                                  "entity": str(one.id)},
                           headers=headers).json()
        assert narrowed["total"] == one.count
        assert web.get("/api/search", params={"q": "*", "entity": "x"},
                       headers=headers).status_code == 400
        page = web.get("/", params={"q": "*", "record": record}, headers=headers).text
        assert 'data-facet="entities"' in page and f'href="/entities/{one.id}"' in page
        assert f"entity={one.id}" in page
        chosen = web.get("/", params={"q": "*", "record": record, "entity": str(one.id)},
                         headers=headers).text
        chip = chosen.split('class="chips"', 1)[1].split("</ul>", 1)[0]
        assert one.value in chip and f'href="/entities/{one.id}"' in chip


def test_archive_search_needs_no_entity_stage(tmp_path: Path) -> None:
    """Ingested without the entity stage: no entity facets, and no entity matches."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "desk.txt").write_text(FIVE_SPELLINGS)
    data = tmp_path / "data"
    ingest(source, data, ocr=False, entities=False)
    archive = Archive(DataDir.open(data))
    try:
        result = archive.search(SearchQuery(text="*", facets=ENTITY_KINDS))
        assert result.total == 1 and not any(result.entity_facets.values())
        assert archive.search(SearchQuery(text="email:desk@example.org")).total == 0
    finally:
        archive.close()


def test_entries_marked_by_a_stage_cut_short_are_written_by_the_next_run(tmp_path: Path
                                                                          ) -> None:
    """The stage's marks are in the catalog (documents) and tables.sqlite (tables) before
    its records: a run killed after the stage and before the rewrite leaves them, and the
    next run, with nothing left to read, writes those entries."""
    from trawl.ingestion.entity_stage import EntityStage
    from trawl.ingestion.worker import WorkerConfig

    source = tmp_path / "source"
    source.mkdir()
    (source / "desk.txt").write_text(FIVE_SPELLINGS)
    (source / "people.csv").write_text("Name,Email\nAda,ada@example.org\n")
    data_dir = tmp_path / "data"
    ingest(source, data_dir, ocr=False, entities=False)
    data = DataDir.open(data_dir)
    catalog = Catalog(data.catalog_path)
    try:  # the stage alone, as a run killed before the rewrite leaves it
        ds = catalog.dataset("test")
        config = WorkerConfig(data.blob_dir, data.tmp_dir, data.catalog_path)
        summary = EntityStage(data, catalog, ds, config, "US", 1, None, 60.0,
                              quiet=True).run()
        assert summary.changed == 2  # the note, the table
    finally:
        catalog.close()
    assert search(data_dir, "email:desk@example.org").total == 0  # not written yet
    assert search(data_dir, "email:ada@example.org", record="rows").total == 0
    again = _entities_extract(data_dir).entities
    assert (again.documents, again.rows) == (0, 0)  # nothing to read
    assert (again.reindexed_documents, again.reindexed_rows) == (1, 1)
    assert search(data_dir, "email:desk@example.org").total == 1
    assert search(data_dir, "email:ada@example.org", record="rows").total == 1
