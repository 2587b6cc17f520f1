"""The read side of the entity pages on a real ingestion (conftest.py's `mixed`: Enron's mail
and its CSV export, police CSVs, notes): the bounded listing (sorts, kinds, search, pages),
the records of an entity by source, the date histogram, the spans marked in a text, and
search/entities.py's reader, which applies access/entities.py to every read."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from trawl.access.policy import ReadScope
from trawl.errors import NotFound
from trawl.paths import source_of
from trawl.search.entities import EntityReader
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir
from trawl.storage.entities import KINDS

PERSONAL = {"email", "phone", "ip", "handle", "person"}


@pytest.fixture(scope="module")
def archive(mixed: Path) -> Iterator[Archive]:
    found = Archive(DataDir.open(mixed))
    yield found
    found.close()


@pytest.fixture(scope="module")
def reader(archive: Archive) -> EntityReader:
    return EntityReader(archive)


def _busiest(reader: EntityReader, archive: Archive):
    """The entity in the most sources, then with the most records (an Enron address)."""
    ds = archive.dataset("test")
    return reader.listing(ds, limit=1).entities[0]


def test_listing_orders_kinds_search_and_pages(reader: EntityReader, archive: Archive):
    ds = archive.dataset("test")
    store = reader.store
    everything = store.listing(ds.id, KINDS, "sources", limit=100_000)
    assert len(everything) == store.listing_count(ds.id, KINDS) == store.count(ds.id)
    ranks = [(-e.sources, -(e.documents + e.rows)) for e in everything]
    assert ranks == sorted(ranks)
    by_docs = store.listing(ds.id, KINDS, "documents", limit=100_000)
    assert [e.documents + e.rows for e in by_docs] == \
        sorted((e.documents + e.rows for e in everything), reverse=True)
    by_name = store.listing(ds.id, KINDS, "name", limit=100_000)
    assert [e.value.lower() for e in by_name] == sorted(e.value.lower() for e in everything)
    phones = store.listing(ds.id, ["phone"], limit=100_000)
    assert phones and {e.kind for e in phones} == {"phone"}
    # Pages follow each other without a gap or an overlap.
    pages = [e.id for offset in range(0, 120, 40)
             for e in store.listing(ds.id, KINDS, "name", limit=40, offset=offset)]
    assert pages == [e.id for e in by_name[:120]]
    # A piece of the value or of any spelling, in any case.
    found = store.listing(ds.id, KINDS, search="(212) 555-01", limit=100)
    assert [e.value for e in found] == ["+1 212-555-0123"]
    for piece in ("ENRON.COM", "%2F", "_"):  # LIKE's wildcards are plain characters here
        assert {e.value for e in store.listing(ds.id, KINDS, search=piece, limit=100_000)} \
            == {e.value for e in everything if piece.lower() in e.value.lower()
                or any(piece.lower() in s.lower() for s in e.spellings)}, piece
    assert store.listing(ds.id, [], limit=10) == [] and store.listing_count(ds.id, []) == 0


def test_records_by_source_add_up_to_the_counts(reader: EntityReader, archive: Archive):
    busiest = _busiest(reader, archive)
    view = reader.entity(busiest.id)
    sources = reader.sources(view)
    assert {s for s, _d, _r in sources} == {"mail", "csv"} and len(sources) == busiest.sources
    assert sum(d for _s, d, _r in sources) == busiest.documents
    assert sum(r for _s, _d, r in sources) == busiest.rows
    records = reader.records(view, limit=10_000)
    assert len(records) == busiest.documents + busiest.rows
    assert [r.source for r in records] == sorted(r.source for r in records)
    assert sum(r.mentions for r in records) == reader.mentions(view, 1)[1]
    for r in records:
        assert r.source == source_of(r.path)
        assert (r.document_id is None) == (r.table_id is not None and r.row is not None)
    paged = [r for offset in range(0, len(records), 7)
             for r in reader.records(view, limit=7, offset=offset)]
    assert paged == records
    mail = reader.records(view, "mail", limit=10_000)
    assert mail == [r for r in records if r.source == "mail"]
    assert reader.records(view, "nowhere") == []


def test_the_histogram_counts_the_dated_documents(reader: EntityReader, archive: Archive):
    view = reader.entity(_busiest(reader, archive).id)
    months = reader.histogram(view)
    expected: Counter[str] = Counter()
    for r in reader.records(view, limit=10_000):
        if r.document_id is not None and r.date:
            expected[r.date[:7]] += 1
    assert months == sorted(expected.items()) and sum(expected.values()) > 3


def test_spans_of_a_text_are_its_mentions(reader: EntityReader, archive: Archive):
    view = archive.find("notes/desk.txt", dataset="test")
    text = archive.text(view)
    spans = reader.document_spans(view)
    assert len(spans) == 7  # five spellings of one number, two of one address
    found = [(kind, text[start:end]) for _id, kind, page, start, end in spans]
    assert found[0] == ("phone", "(212) 555-0123") and found[-1] == ("email", "desk@example.org")
    assert {page for _i, _k, page, _s, _e in spans} == {None}


def test_cooccurring_of_some_kinds(reader: EntityReader, archive: Archive):
    entity_id = _busiest(reader, archive).id
    every = reader.store.cooccurring(entity_id, 200)
    emails = reader.store.cooccurring(entity_id, 200, ["email"])
    assert emails == [c for c in every if c.kind == "email"]
    assert reader.store.cooccurring(entity_id, 10, []) == []


def test_row_mentions_of_skipped_columns_are_left_out(reader: EntityReader,
                                                      archive: Archive):
    view = reader.entity(_busiest(reader, archive).id)
    fields = reader.store.row_fields(view.entity.id)
    assert fields
    store = reader.store
    every = store.mentions(view.entity.id, 10_000)
    kept = store.mentions(view.entity.id, 10_000, skip_fields=fields[:1])
    assert kept == [m for m in every if m.table_id is None or m.field != fields[0]]
    assert store.mention_count(view.entity.id, fields[:1]) == len(kept) < len(every)
    rows = sum(r for _s, _d, r in store.source_counts(view.entity.id, fields))
    assert rows == 0  # every column skipped: no row left


def test_a_redacted_reader_sees_no_personal_entity(archive: Archive):
    public = EntityReader(archive.scoped(ReadScope(redacted=frozenset({"test"}))))
    ds = archive.dataset("test")
    seen = []
    offset = 0
    while True:
        page = public.listing(ds, limit=100, offset=offset)
        assert page.total is None
        seen += page.entities
        if not page.more:
            break
        offset += 100
    assert seen and {e.kind for e in seen} <= {"url", "domain", "org", "place"}
    assert {"url", "domain"} <= {e.kind for e in seen if e.value.startswith("example.org")}
    assert not any("@" in s for e in seen for s in [e.value, *e.spellings])
    # One that the full view has is not found, exactly as an id never used.
    full = EntityReader(archive)
    phone = full.store.listing(ds.id, ["phone"], search="555-0123")[0]
    with pytest.raises(NotFound) as hidden:
        public.entity(phone.id)
    with pytest.raises(NotFound) as missing:
        public.entity(987654321)
    assert str(hidden.value).replace(str(phone.id), "X") == \
        str(missing.value).replace("987654321", "X")
    domain = next(e for e in seen if e.kind == "domain" and e.value == "example.org")
    view = public.entity(domain.id)
    assert all(c.kind not in PERSONAL for c in public.cooccurring(view, 50))
    note = archive.scoped(ReadScope(redacted=frozenset({"test"}))).find("notes/links.txt",
                                                                        dataset="test")
    assert public.document_spans(note) == []
    assert full.document_spans(archive.find("notes/links.txt", dataset="test"))
    nobody = EntityReader(archive.scoped(ReadScope()))
    with pytest.raises(NotFound):
        nobody.entity(domain.id)
    assert nobody.kinds(ds) == ()
    assert json.dumps(public.listing(ds, kind="email").entities) == "[]"


def test_a_value_mentioned_everywhere_is_placed_in_bounded_queries(
        reader: EntityReader, archive: Archive, monkeypatch: pytest.MonkeyPatch):
    import trawl.storage.entity_queries as entities

    busiest = _busiest(reader, archive)
    view = reader.entity(busiest.id)
    monkeypatch.setattr(entities, "MAX_PLACED_RECORDS", 5)
    assert busiest.documents + busiest.rows > 5
    assert len(reader.records(view, limit=1000)) == 5
    assert sum(d + r for _s, d, r in reader.sources(view)) == 5
    assert sum(n for _m, n in reader.histogram(view)) <= 5
    assert reader.mentions(view, 1000)[1] > 5  # the mentions themselves page through all


def test_a_redacted_search_matches_only_what_the_reader_sees(
        archive: Archive, monkeypatch: pytest.MonkeyPatch):
    import trawl.search.entities as reading

    public = EntityReader(archive.scoped(ReadScope(redacted=frozenset({"test"}))))
    ds = archive.dataset("test")
    found = public.listing(ds, search="HTTPS://example.ORG", limit=200).entities
    assert [e.kind for e in found] == ["url"]  # in a spelling, not in the value
    assert not found[0].value.startswith("https")
    # A spelling the redactor would mask is not shown: a search must not find it either.
    monkeypatch.setattr(reading, "visible_spellings", lambda *_args: [])
    assert public.listing(ds, search="https://example.org", limit=200).entities == []
    assert public.listing(ds, search="example.org", limit=200).entities
