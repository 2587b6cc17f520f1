"""The entity store on a real catalog (SQLite in tmp_path): mentions replaced per document in
one transaction, rows and documents as one entity, counts of documents, rows and sources,
what is pending, what is forgotten, and the read side's lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from trawl.storage.catalog import Catalog, Content, Dataset
from trawl.storage.entities import EntityStore, NewMention

R1 = "patterns-1:US"
PHONE = ("phone", "+12125550123", "+1 212-555-0123")
EMAIL = ("email", "jane@example.org", "jane@example.org")


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    found = Catalog(tmp_path / "catalog.sqlite")
    yield found
    found.close()


def _document(catalog: Catalog, dataset: Dataset, sha: str, *paths: str,
              text_key: str | None = "k1") -> str:
    for path in paths:
        catalog.upsert_disk_file(dataset.id, path, 10, 1.0)
        row = catalog.file_by_path(dataset.id, path)
        assert row is not None
        catalog.finish_file(row.id, "indexed", sha256=sha)
    catalog.save_content(Content(sha, 10, "text/plain", "text", "done", text_key=text_key), [])
    return catalog.ensure_document(dataset, sha)


def _m(what: tuple[str, str, str], text: str, start: int = 0, row: int | None = None,
       page: int | None = None, field: str | None = None) -> NewMention:
    kind, key, value = what
    return NewMention(kind, key, value, text, start, start + len(text), page, field, row)


def _sha(n: int) -> str:
    return f"{n:064x}"


def test_a_documents_mentions_are_replaced_and_its_paths_are_its_sources(catalog) -> None:
    ds = catalog.ensure_dataset("d", "/x")
    doc = _document(catalog, ds, _sha(1), "ncric/files/a.txt", "jric/files/copy-of-a.txt")
    store = EntityStore(catalog)
    store.replace_document_mentions(ds.id, doc, R1, "k1", [
        _m(PHONE, "(212) 555-0123", 5), _m(PHONE, "212.555.0123", 40),
        _m(EMAIL, "Jane@Example.org", 0, field="from")])
    assert store.refresh(ds.id) == 2
    phone = store.with_keys(ds.id, [("phone", "+12125550123")])[0]
    assert (phone.documents, phone.rows, phone.sources) == (1, 0, 2)
    assert phone.spellings == ["(212) 555-0123", "212.555.0123"]
    assert phone.value == "+1 212-555-0123"

    # Read again (its text changed): the old mentions go, spellings and entities with them.
    store.replace_document_mentions(ds.id, doc, R1, "k2", [_m(PHONE, "212-555-0123", 3)])
    assert store.refresh(ds.id) == 1
    phone = store.entity(ds.id, phone.id)
    assert phone is not None and phone.spellings == ["212-555-0123"]
    assert store.with_keys(ds.id, [("email", "jane@example.org")]) == []


def test_rows_and_documents_of_several_sources_are_one_entity(catalog) -> None:
    ds = catalog.ensure_dataset("d", "/x")
    doc = _document(catalog, ds, _sha(1), "ncric/files/bulletin.pdf")
    store = EntityStore(catalog)
    store.replace_document_mentions(ds.id, doc, R1, "k1", [_m(EMAIL, "jane@example.org", 9,
                                                               page=2)])
    for table_id, path in ((7, "jric/Registrations.csv"), (8, "usao/usaoflm/SARs.csv")):
        store.start_table(ds.id, table_id, path, path.rsplit("/", 1)[1][:-4])
        store.add_row_mentions(ds.id, table_id, [
            _m(EMAIL, "JANE@example.org", row=3, field="EmailAddress"),
            _m(EMAIL, "jane@example.org", 12, row=3, field="Notes"),
            _m(EMAIL, "jane@example.org", row=4, field="EmailAddress")])
        store.finish_table(table_id, R1)
    store.refresh(ds.id)
    jane = store.with_keys(ds.id, [("email", "jane@example.org")])[0]
    assert (jane.documents, jane.rows, jane.sources) == (1, 4, 3)  # ncric, jric, usao
    assert jane.spellings == ["JANE@example.org", "jane@example.org"]
    mentions = store.mentions(jane.id)
    assert [m.as_json()["path"] for m in mentions][:2] == ["ncric/files/bulletin.pdf",
                                                           "jric/Registrations.csv"]
    first, row = mentions[0].as_json(), mentions[1].as_json()
    assert first == {"document_id": doc, "page": 2, "path": "ncric/files/bulletin.pdf",
                     "source": "ncric", "field": None, "text": "jane@example.org",
                     "start": 9, "end": 25}
    assert row["table_id"] == 7 and row["row"] == 3 and row["table"] == "Registrations"
    assert row["source"] == "jric" and "document_id" not in row
    assert store.mention_count(jane.id) == 7


def test_what_is_pending_follows_the_text_and_the_recogniser(catalog) -> None:
    ds = catalog.ensure_dataset("d", "/x")
    a = _document(catalog, ds, _sha(1), "a.txt")
    b = _document(catalog, ds, _sha(2), "b.txt", text_key=None)  # no text (an image)
    store = EntityStore(catalog)
    assert {d for d, _sha, _chars in store.pending_documents(ds.id, R1)} == {a, b}
    store.replace_document_mentions(ds.id, a, R1, "k1", [])
    store.replace_document_mentions(ds.id, b, R1, None, [])
    assert store.pending_documents(ds.id, R1) == []
    # OCR gives the content a new text: read again.
    catalog.save_content(Content(_sha(1), 10, "text/plain", "text", "done", text_key="k9"), [])
    assert store.pending_documents(ds.id, R1) == [(a, _sha(1), 0)]
    # Another recogniser (a new version, another phone region): everything again.
    assert len(store.pending_documents(ds.id, "patterns-1:FR")) == 2
    store.start_table(ds.id, 5, "s/T.csv", "T")
    assert store.pending_tables(ds.id, R1, [5, 6]) == [5, 6]  # 5 is started, not finished
    store.finish_table(5, R1)
    assert store.pending_tables(ds.id, R1, [5, 6]) == [6]


def test_a_document_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    """A crash before the commit leaves the document pending, with no mention of it."""
    catalog = Catalog(tmp_path / "catalog.sqlite")
    ds = catalog.ensure_dataset("d", "/x")
    doc = _document(catalog, ds, _sha(1), "a.txt")
    catalog.commit()
    store = EntityStore(catalog)
    store.replace_document_mentions(ds.id, doc, R1, "k1", [_m(PHONE, "212-555-0123")])
    catalog.db.close()  # killed: nothing committed
    again = Catalog(tmp_path / "catalog.sqlite")
    store = EntityStore(again)
    assert store.pending_documents(ds.id, R1) == [(doc, _sha(1), 0)]
    assert store.read_counts(ds.id) == {"documents": 0, "tables": 0, "mentions": 0}
    assert store.refresh(ds.id) == 0
    again.close()


def test_documents_and_tables_that_are_gone_are_forgotten(catalog) -> None:
    ds = catalog.ensure_dataset("d", "/x")
    kept = _document(catalog, ds, _sha(1), "a/x.txt")
    gone = _document(catalog, ds, _sha(2), "b/y.txt")
    store = EntityStore(catalog)
    store.replace_document_mentions(ds.id, kept, R1, "k1", [_m(PHONE, "212-555-0123")])
    store.replace_document_mentions(ds.id, gone, R1, "k1", [_m(EMAIL, "jane@example.org")])
    for table_id in (1, 2):
        store.start_table(ds.id, table_id, f"t{table_id}/T.csv", "T")
        store.add_row_mentions(ds.id, table_id, [_m(EMAIL, "jane@example.org", row=1)])
        store.finish_table(table_id, R1)
    store.refresh(ds.id)
    catalog.delete_documents([gone])  # its file changed: a new content, a new document
    assert store.forget_gone(ds.id, [2]) == 2  # the document, and table 1
    store.refresh(ds.id)
    jane = store.with_keys(ds.id, [("email", "jane@example.org")])[0]
    assert (jane.documents, jane.rows, jane.sources) == (0, 1, 1)
    store.start_table(ds.id, 2, "t2/T.csv", "T")  # read again: its old rows' mentions go
    store.finish_table(2, R1)
    assert store.refresh(ds.id) == 1
    assert [e.kind for e in store.listing(ds.id)] == ["phone"]


def test_lists_are_ordered_by_sources_and_filtered(catalog) -> None:
    ds = catalog.ensure_dataset("d", "/x")
    other = catalog.ensure_dataset("other", "/y")
    store = EntityStore(catalog)
    a = _document(catalog, ds, _sha(1), "s1/a.txt", "s2/a.txt", "s3/a.txt")
    b = _document(catalog, ds, _sha(2), "s1/b.txt")
    c = _document(catalog, other, _sha(3), "s9/c.txt")
    store.replace_document_mentions(ds.id, a, R1, "k", [_m(EMAIL, "jane@example.org")])
    store.replace_document_mentions(ds.id, b, R1, "k", [_m(PHONE, "212-555-0123"),
                                                       _m(EMAIL, "jane@example.org")])
    store.replace_document_mentions(other.id, c, R1, "k", [_m(PHONE, "212-555-0123")])
    store.refresh(ds.id)
    store.refresh(other.id)
    listed = [(e.kind, e.documents, e.sources) for e in store.listing(ds.id)]
    assert listed == [("email", 2, 3), ("phone", 1, 1)]
    assert [e.kind for e in store.listing(ds.id, ["phone"])] == ["phone"]
    assert [e.kind for e in store.listing(ds.id, min_sources=2)] == ["email"]
    assert len(store.listing(ds.id, limit=1)) == 1
    assert [(e.documents, e.sources) for e in store.listing(other.id)] == [(1, 1)]
    jane = store.listing(ds.id, ["email"])[0]
    together = store.cooccurring(jane.id)
    assert [(c.kind, c.shared) for c in together] == [("phone", 1)]
    assert together[0].as_json() == {"id": together[0].id, "kind": "phone",
                                     "value": "+1 212-555-0123", "shared": 1}
    assert jane.as_json() == {"id": jane.id, "kind": "email", "value": "jane@example.org",
                              "key": "jane@example.org", "spellings": ["jane@example.org"],
                              "documents": 2, "rows": 0, "sources": 3}


def test_a_catalog_made_before_entities_reads_as_holding_none(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    writer = Catalog(path)
    ds = writer.ensure_dataset("d", "/x")
    writer.close()
    reader = Catalog(path, readonly=True)
    store = EntityStore(reader)
    assert not store.present
    assert store.listing(ds.id) == []
    assert store.entity(ds.id, 1) is None
    assert store.with_keys(ds.id, [(None, "x")]) == []
    assert store.count(ds.id) == 0
    reader.close()


def test_the_store_and_the_recognisers_default_to_one_phone_region() -> None:
    from trawl.derive.entities.phones import DEFAULT_REGION
    from trawl.storage.entities import DEFAULT_PHONE_REGION

    assert DEFAULT_PHONE_REGION == DEFAULT_REGION
