"""Entities of a dataset, in the catalog's database: who and what is mentioned where.

Tables (created here, on the catalog's own connection, when it is opened for writing; a
catalog made before them reads as holding no entity):

* ``entities``: one row per (dataset, kind, key), the key being the normalised identity
  (derive/entities/model.py), with a display value and its counts: distinct documents,
  distinct table rows, distinct sources (top folders of the paths: agencies in a
  BlueLeaks-like dump). The counts are kept up to date by `refresh` at the end of each run
  of the entity stage, so that lists sort and filter on them without counting mentions.
* ``entity_spellings``: each distinct written form of an entity (``(212) 555-0123``,
  ``212.555.0123``...).
* ``entity_mentions``: where: a document (``document_id``, ``page`` when it has pages,
  ``field`` when in a header such as ``from``, else the text) or a table row (``table_id``,
  ``row``, ``field`` = the column), with character offsets in that page, field or cell.
* ``entity_documents`` and ``entity_tables``: what has been read, and by which recogniser
  (and, for a document, which text: OCR gives a content a new text). A document or table
  without such a record, or with another recogniser's, is pending: the stage is resumable
  and incremental. ``entity_tables`` also keeps each table's path, name and source, so that
  the read side needs nothing from tables.sqlite.

Writes happen inside the caller's transaction (the coordinator commits every few seconds, as
for the catalog): a document's old mentions, its new ones and its record go together, so a
crash leaves each document either read or pending, never half. Like the catalog, the methods
take and return plain values and dataclasses, so a PostgreSQL catalog can implement them
with the same meaning (the SQL here is plain; `_TOP_FOLDER` is the one SQLite spelling).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trawl.paths import source_of
from trawl.storage.catalog import Catalog
from trawl.storage.entity_queries import (
    DEFAULT_PHONE_REGION,
    LISTING_ORDERS,
    MAX_PLACED_RECORDS,
    PHONE_REGION_SETTING,
    Cooccurring,
    Entity,
    EntityQueries,
    Mention,
    MentionRecord,
)

__all__ = ["DEFAULT_PHONE_REGION", "KINDS", "LISTING_ORDERS", "MAX_PLACED_RECORDS",
           "PHONE_REGION_SETTING", "Cooccurring", "Entity", "EntityStore", "Mention",
           "MentionRecord", "NewMention"]

# The kinds the recognisers record (derive/entities): by pattern, then named by a model
# (and by the name columns of tables).
KINDS: tuple[str, ...] = ("email", "phone", "url", "domain", "ip", "handle", "person", "org",
                          "place")

SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    documents INTEGER NOT NULL DEFAULT 0,
    rows INTEGER NOT NULL DEFAULT 0,
    sources INTEGER NOT NULL DEFAULT 0,
    UNIQUE (dataset_id, kind, key)
);
CREATE INDEX IF NOT EXISTS entities_rank ON entities(dataset_id, sources, documents);
CREATE INDEX IF NOT EXISTS entities_by_documents ON entities(dataset_id, documents, rows);
CREATE INDEX IF NOT EXISTS entities_by_value ON entities(dataset_id, value);
CREATE TABLE IF NOT EXISTS entity_spellings (
    id INTEGER PRIMARY KEY,
    entity_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (entity_id, text)
);
CREATE TABLE IF NOT EXISTS entity_mentions (
    dataset_id INTEGER NOT NULL,
    entity_id INTEGER NOT NULL,
    spelling_id INTEGER NOT NULL,
    document_id TEXT,                -- a document's mention, or
    table_id INTEGER,                -- a table row's (table_id + row)
    row INTEGER,
    field TEXT,                      -- a column, a header (from, to...); NULL: the text
    page INTEGER,                    -- 1-based, for documents with pages
    char_start INTEGER NOT NULL,     -- in the page, field, cell or text
    char_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entity_mentions_entity ON entity_mentions(entity_id);
CREATE INDEX IF NOT EXISTS entity_mentions_document ON entity_mentions(document_id)
    WHERE document_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entity_mentions_row ON entity_mentions(table_id, row)
    WHERE table_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entity_mentions_spelling ON entity_mentions(dataset_id, spelling_id);
CREATE TABLE IF NOT EXISTS entity_documents (
    document_id TEXT PRIMARY KEY,
    dataset_id INTEGER NOT NULL,
    recogniser TEXT NOT NULL,
    text_key TEXT,                   -- the text read (contents.text_key then)
    mentions INTEGER NOT NULL,
    error TEXT,
    done_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entity_documents_dataset ON entity_documents(dataset_id);
CREATE TABLE IF NOT EXISTS entity_tables (
    table_id INTEGER PRIMARY KEY,    -- tables.sqlite's id (never reused)
    dataset_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    recogniser TEXT,                 -- NULL while its rows are being read
    mentions INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS entity_tables_dataset ON entity_tables(dataset_id);
"""

# The top folder of files.path, as paths.source_of gives it ('' at the root).
_TOP_FOLDER = ("CASE WHEN instr(f.path, '/') > 0 THEN substr(f.path, 1, instr(f.path, '/') - 1)"
               " ELSE '' END")

@dataclass(frozen=True, slots=True)
class NewMention:
    """A mention to record: what (kind, key, value), as written, and where."""

    kind: str
    key: str
    value: str
    text: str
    start: int
    end: int
    page: int | None = None
    field: str | None = None
    row: int | None = None      # for a table's mentions


class EntityStore(EntityQueries):
    """The entity tables of one catalog, on its connection and in its transactions."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.db = catalog.db
        self.readonly = catalog.readonly
        if not self.readonly:
            self.db.executescript(SCHEMA)
        self._present = False
        self._entity_ids: dict[tuple[int, str, str], int] = {}
        self._spelling_ids: dict[tuple[int, str], int] = {}

    @property
    def present(self) -> bool:
        """Whether the catalog has the entity tables (a reader opened before the first
        entity stage sees them once a writer made them)."""
        if not self._present:
            self._present = self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                "AND name = 'entity_mentions'").fetchone() is not None
        return self._present

    # -- what is left to read -----------------------------------------------------------------
    def pending_documents(self, dataset_id: int, recogniser: str
                          ) -> list[tuple[str, str, int]]:
        """(document id, sha256, characters of text) of the dataset's documents not read by
        `recogniser` in their current text, in id order."""
        rows = self.db.execute(
            "SELECT d.id, d.sha256, COALESCE(c.text_chars, 0) FROM documents d "
            "JOIN contents c ON c.sha256 = d.sha256 "
            "LEFT JOIN entity_documents e ON e.document_id = d.id WHERE d.dataset_id = ? "
            "AND (e.document_id IS NULL OR e.recogniser != ? "
            "OR COALESCE(e.text_key, '') != COALESCE(c.text_key, '')) ORDER BY d.id",
            (dataset_id, recogniser)).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def pending_tables(self, dataset_id: int, recogniser: str, table_ids: Iterable[int]
                       ) -> list[int]:
        """Those of `table_ids` whose rows `recogniser` has not read to the end."""
        done = {r[0] for r in self.db.execute(
            "SELECT table_id FROM entity_tables WHERE dataset_id = ? AND recogniser = ?",
            (dataset_id, recogniser))}
        return sorted(set(table_ids) - done)

    def forget_gone(self, dataset_id: int, table_ids: Iterable[int]) -> int:
        """Drop the mentions and records of documents the dataset no longer has (a changed
        file is a new content, so a new document) and of tables not in `table_ids` (a table
        whose file changed is loaded again under a new id). Returns how many documents and
        tables were forgotten."""
        gone_docs = [r[0] for r in self.db.execute(
            "SELECT e.document_id FROM entity_documents e LEFT JOIN documents d "
            "ON d.id = e.document_id WHERE e.dataset_id = ? AND d.id IS NULL", (dataset_id,))]
        keep = set(table_ids)
        gone_tables = [r[0] for r in self.db.execute(
            "SELECT table_id FROM entity_tables WHERE dataset_id = ?", (dataset_id,))
            if r[0] not in keep]
        for doc_id in gone_docs:
            self.db.execute("DELETE FROM entity_mentions WHERE document_id = ?", (doc_id,))
            self.db.execute("DELETE FROM entity_documents WHERE document_id = ?", (doc_id,))
        for table_id in gone_tables:
            self._drop_table(table_id)
        return len(gone_docs) + len(gone_tables)

    # -- writing (the coordinator only; the caller commits) -----------------------------------
    def replace_document_mentions(self, dataset_id: int, document_id: str, recogniser: str,
                                  text_key: str | None, mentions: Sequence[NewMention],
                                  error: str | None = None) -> None:
        """A document's mentions, replacing those it had, and its record: read by
        `recogniser` in the text `text_key`."""
        self.db.execute("DELETE FROM entity_mentions WHERE document_id = ?", (document_id,))
        self._insert(dataset_id, mentions, document_id=document_id)
        self.db.execute(
            "INSERT INTO entity_documents (document_id, dataset_id, recogniser, text_key, "
            "mentions, error, done_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (document_id) "
            "DO UPDATE SET recogniser = excluded.recogniser, text_key = excluded.text_key, "
            "mentions = excluded.mentions, error = excluded.error, done_at = excluded.done_at",
            (document_id, dataset_id, recogniser, text_key, len(mentions), error, time.time()))

    def start_table(self, dataset_id: int, table_id: int, path: str, name: str) -> None:
        """A table whose rows are about to be read: its old mentions go, and it is recorded
        as being read (not done) until `finish_table`."""
        self.db.execute("DELETE FROM entity_mentions WHERE table_id = ?", (table_id,))
        self.db.execute(
            "INSERT INTO entity_tables (table_id, dataset_id, path, name, source) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_id) DO UPDATE SET "
            "path = excluded.path, name = excluded.name, source = excluded.source, "
            "recogniser = NULL, mentions = 0, error = NULL, done_at = NULL",
            (table_id, dataset_id, path, name, source_of(path)))

    def add_row_mentions(self, dataset_id: int, table_id: int,
                         mentions: Sequence[NewMention]) -> None:
        self._insert(dataset_id, mentions, table_id=table_id)
        self.db.execute("UPDATE entity_tables SET mentions = mentions + ? WHERE table_id = ?",
                        (len(mentions), table_id))

    def finish_table(self, table_id: int, recogniser: str, error: str | None = None) -> None:
        self.db.execute("UPDATE entity_tables SET recogniser = ?, error = ?, done_at = ? "
                        "WHERE table_id = ?", (recogniser, error, time.time(), table_id))

    def _drop_table(self, table_id: int) -> None:
        self.db.execute("DELETE FROM entity_mentions WHERE table_id = ?", (table_id,))
        self.db.execute("DELETE FROM entity_tables WHERE table_id = ?", (table_id,))

    def _insert(self, dataset_id: int, mentions: Sequence[NewMention],
                document_id: str | None = None, table_id: int | None = None) -> None:
        rows = []
        for m in mentions:
            entity_id = self._entity_id(dataset_id, m.kind, m.key, m.value)
            rows.append((dataset_id, entity_id, self._spelling_id(entity_id, m.text),
                         document_id, table_id, m.row, m.field, m.page, m.start, m.end))
        self.db.executemany(
            "INSERT INTO entity_mentions (dataset_id, entity_id, spelling_id, document_id, "
            "table_id, row, field, page, char_start, char_end) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _entity_id(self, dataset_id: int, kind: str, key: str, value: str) -> int:
        return self._id_of(self._entity_ids, (dataset_id, kind, key),
                           "SELECT id FROM entities WHERE dataset_id = ? AND kind = ? AND key = ?",
                           "INSERT INTO entities (dataset_id, kind, key, value) "
                           "VALUES (?, ?, ?, ?)", (dataset_id, kind, key, value))

    def _spelling_id(self, entity_id: int, text: str) -> int:
        return self._id_of(self._spelling_ids, (entity_id, text),
                           "SELECT id FROM entity_spellings WHERE entity_id = ? AND text = ?",
                           "INSERT INTO entity_spellings (entity_id, text) VALUES (?, ?)",
                           (entity_id, text))

    def _id_of(self, cache: dict, key: tuple, select: str, insert: str,
               values: tuple) -> int:
        """The id of a row found by `key` (cached for the run), inserted when missing."""
        found = cache.get(key)
        if found is None:
            row = self.db.execute(select, key).fetchone()
            found = int(row[0]) if row is not None else \
                int(self.db.execute(insert, values).lastrowid or 0)
            cache[key] = found
        return found

    def refresh(self, dataset_id: int) -> int:
        """Count each entity's documents, rows and sources again, and drop the spellings and
        entities no mention holds any more. Sources are counted from the paths the documents
        have now (a copy of a bulletin found in a new folder adds a source without its text
        changing). Returns the number of entities of the dataset."""
        db = self.db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS entity_doc_sources (document_id TEXT, "
                   "source TEXT, PRIMARY KEY (document_id, source)) WITHOUT ROWID")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS entity_sources (entity_id INTEGER, "
                   "source TEXT, PRIMARY KEY (entity_id, source)) WITHOUT ROWID")
        db.execute("DELETE FROM entity_doc_sources")
        db.execute("DELETE FROM entity_sources")
        db.execute(
            f"INSERT OR IGNORE INTO entity_doc_sources SELECT d.id, {_TOP_FOLDER} "
            "FROM documents d JOIN files f ON f.dataset_id = d.dataset_id AND "
            "f.sha256 = d.sha256 WHERE d.dataset_id = ? AND d.id IN (SELECT document_id "
            "FROM entity_documents WHERE dataset_id = ? AND mentions > 0)",
            (dataset_id, dataset_id))
        db.execute(
            "INSERT OR IGNORE INTO entity_sources SELECT m.entity_id, s.source "
            "FROM entity_mentions m JOIN entity_doc_sources s ON s.document_id = m.document_id "
            "WHERE m.dataset_id = ?", (dataset_id,))
        db.execute(
            "INSERT OR IGNORE INTO entity_sources SELECT m.entity_id, t.source "
            "FROM entity_mentions m JOIN entity_tables t ON t.table_id = m.table_id "
            "WHERE m.dataset_id = ?", (dataset_id,))
        db.execute(
            "UPDATE entities SET documents = 0, rows = 0, sources = 0 WHERE dataset_id = ?",
            (dataset_id,))
        db.execute(
            "UPDATE entities SET documents = c.documents, rows = c.rows, sources = c.sources "
            "FROM (SELECT m.entity_id, COUNT(DISTINCT m.document_id) AS documents, "
            "COUNT(DISTINCT CASE WHEN m.table_id IS NOT NULL THEN m.table_id || ':' || m.row "
            "END) AS rows, (SELECT COUNT(*) FROM entity_sources s "
            "WHERE s.entity_id = m.entity_id) AS sources FROM entity_mentions m "
            "WHERE m.dataset_id = ? GROUP BY m.entity_id) AS c WHERE entities.id = c.entity_id",
            (dataset_id,))
        db.execute(
            "DELETE FROM entity_spellings WHERE entity_id IN (SELECT id FROM entities "
            "WHERE dataset_id = ?) AND id NOT IN (SELECT spelling_id FROM entity_mentions "
            "WHERE dataset_id = ?)", (dataset_id, dataset_id))
        db.execute("DELETE FROM entities WHERE dataset_id = ? AND documents = 0 AND rows = 0",
                   (dataset_id,))
        self._entity_ids.clear()
        self._spelling_ids.clear()
        return self.count(dataset_id)

    def set_phone_region(self, dataset_id: int, region: str) -> None:
        self.catalog.set_dataset_setting(dataset_id, PHONE_REGION_SETTING, region)
        self.catalog.commit()
