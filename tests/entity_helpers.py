"""Helpers for tests of entities: the state of a dataset's entities, one entity and its
mentions, read from a real catalog."""

from __future__ import annotations

from pathlib import Path

from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.entities import Entity, EntityStore, Mention

FIVE_SPELLINGS = ("Desk: (212) 555-0123. Also 212-555-0123, 212.555.0123, +1 212 555 0123 "
                  "and 1-212-555-0123. Write to Desk@Example.org or desk@example.org.\n")


def entity_state(data_dir: Path, dataset: str = "test") -> tuple[set, set]:
    """Every entity with its counts and spellings, and every mention with where it is (by
    document id, or by table path and row: ids of entities may differ from run to run)."""
    catalog = Catalog(DataDir.open(data_dir).catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        store = EntityStore(catalog)
        if not store.present:  # never run on this catalog
            return set(), set()
        entities = {(e.kind, e.key, e.value, e.documents, e.rows, e.sources,
                     tuple(e.spellings)) for e in store.listing(ds.id, limit=10**6)}
        mentions = {tuple(r) for r in catalog.db.execute(
            "SELECT e.kind, e.key, s.text, m.document_id, t.path, m.row, m.field, m.page, "
            "m.char_start, m.char_end FROM entity_mentions m JOIN entities e "
            "ON e.id = m.entity_id JOIN entity_spellings s ON s.id = m.spelling_id "
            "LEFT JOIN entity_tables t ON t.table_id = m.table_id WHERE m.dataset_id = ?",
            (ds.id,))}
        return entities, mentions
    finally:
        catalog.close()


def find_entity(data_dir: Path, kind: str, key: str, dataset: str = "test"
                ) -> tuple[Entity | None, list[Mention]]:
    """The entity of that kind and key, with all its mentions (None and [] if none)."""
    catalog = Catalog(DataDir.open(data_dir).catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        store = EntityStore(catalog)
        found = store.with_keys(ds.id, [(kind, key)])
        return (found[0], store.mentions(found[0].id, limit=10**6)) if found else (None, [])
    finally:
        catalog.close()


def write_changing_dump(root: Path) -> Path:
    """A note whose file the tests change later, a file that stays, and a table: the dump of
    the tests of a re-run after a file changed. Returns the note."""
    (root / "a").mkdir(parents=True)
    note = root / "a" / "note.txt"
    note.write_text("Reach the old desk at old.desk@example.org or (212) 555-0100.\n")
    (root / "a" / "stays.txt").write_text("The archive: (212) 555-0100.\n")
    (root / "people.csv").write_text("Name,Email\nAda,ada@example.org\nBo,bo@example.org\n")
    return note
