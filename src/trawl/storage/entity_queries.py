"""The read side of the entity tables (storage/entities.py creates and writes them): lists,
one entity, its mentions and records, co-occurrences, and what the index, the
cross-reference and the exports need. `EntityStore` is these queries plus the writes; the
split keeps each file to one concern. Every statement is plain SQL but `_FIRST_PATH`'s
ordering, so a PostgreSQL catalog can answer them with the same meaning.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from trawl.paths import source_of
from trawl.storage.catalog import Catalog

# The dataset setting (catalog dataset_settings) that holds a dataset's phone region.
PHONE_REGION_SETTING = "phone_region"
DEFAULT_PHONE_REGION = "US"       # the recognisers' default too (derive/entities/phones.py)

_FIRST_PATH = ("(SELECT f.path FROM documents d JOIN files f ON f.dataset_id = d.dataset_id "
               "AND f.sha256 = d.sha256 WHERE d.id = m.document_id ORDER BY f.depth, f.path "
               "LIMIT 1)")
# The orders of an entity listing (`listing`): each ends on the id, so that pages never
# overlap; "documents" counts rows too (a person of three registration tables).
LISTING_ORDERS = {
    "sources": "sources DESC, documents + rows DESC, value, id",
    "documents": "documents + rows DESC, sources DESC, value, id",
    "name": "value COLLATE NOCASE, id",
}
# The records (documents and rows) of one entity that the read side places (path, source,
# date): the first of them only, so that a value mentioned everywhere stays a bounded query
# (placing a record is an index lookup of its document's paths: about 15 µs; 10,000 records
# about 0.2 s).
MAX_PLACED_RECORDS = 10_000


@dataclass
class Entity:
    id: int
    kind: str
    key: str
    value: str
    documents: int
    rows: int
    sources: int
    spellings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "value": self.value, "key": self.key,
                "spellings": self.spellings, "documents": self.documents, "rows": self.rows,
                "sources": self.sources}


@dataclass
class Mention:
    """Where an entity is mentioned, for reading: a document's page or field, or a row."""

    text: str
    start: int
    end: int
    document_id: str | None
    table_id: int | None
    row: int | None
    field: str | None
    page: int | None
    path: str | None              # the document's first path, or the table's file
    table: str | None             # the table's name

    @property
    def source(self) -> str | None:
        return source_of(self.path) if self.path is not None else None

    def as_json(self) -> dict[str, Any]:
        where: dict[str, Any] = ({"document_id": self.document_id, "page": self.page}
                                 if self.document_id is not None else
                                 {"table_id": self.table_id, "row": self.row,
                                  "table": self.table})
        return {**where, "path": self.path, "source": self.source, "field": self.field,
                "text": self.text, "start": self.start, "end": self.end}


@dataclass
class MentionRecord:
    """A document or a table row that mentions an entity, with where and how often."""

    document_id: str | None
    table_id: int | None
    row: int | None
    path: str | None              # the document's first path, or the table's file
    table: str | None             # the table's name
    mentions: int
    pages: list[int]              # the pages of a document that mention it (none: no pages)
    date: str | None              # the document's date (ISO), when it has one

    @property
    def source(self) -> str | None:
        return source_of(self.path) if self.path is not None else None


@dataclass
class Cooccurring:
    id: int
    kind: str
    value: str
    shared: int                   # documents and rows that mention both

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "value": self.value, "shared": self.shared}


class EntityQueries:
    """What is read from the entity tables (the catalog's connection, `db`)."""

    catalog: Catalog
    db: sqlite3.Connection

    @property
    def present(self) -> bool:
        raise NotImplementedError

    # -- reading --------------------------------------------------------------------------------
    def phone_region(self, dataset_id: int) -> str:
        """The region of the dataset's phone numbers written without +country code: the one
        given (`trawl ingest --phone-region`), else US."""
        return self.catalog.dataset_settings(dataset_id).get(PHONE_REGION_SETTING,
                                                             DEFAULT_PHONE_REGION)

    def count(self, dataset_id: int) -> int:
        if not self.present:
            return 0
        return self.db.execute("SELECT COUNT(*) FROM entities WHERE dataset_id = ?",
                               (dataset_id,)).fetchone()[0]

    def entity(self, dataset_id: int, entity_id: int) -> Entity | None:
        if not self.present:
            return None
        found = self._with_spellings(self.db.execute(
            "SELECT * FROM entities WHERE dataset_id = ? AND id = ?",
            (dataset_id, entity_id)).fetchall())
        return found[0] if found else None

    def with_keys(self, dataset_id: int, keys: Iterable[tuple[str | None, str]]
                  ) -> list[Entity]:
        """The entities with these (kind, key) pairs (kind None: any kind), in that order,
        each once."""
        if not self.present:
            return []
        found: dict[int, Any] = {}
        for kind, key in keys:
            sql, args = "SELECT * FROM entities WHERE dataset_id = ? AND key = ?", [dataset_id,
                                                                                  key]
            if kind is not None:
                sql += " AND kind = ?"
                args.append(kind)
            for row in self.db.execute(sql + " ORDER BY kind", args):
                found.setdefault(row["id"], row)
        return self._with_spellings(list(found.values()))

    def _with_spellings(self, rows: list[sqlite3.Row]) -> list[Entity]:
        entities = [Entity(r["id"], r["kind"], r["key"], r["value"], r["documents"], r["rows"],
                           r["sources"]) for r in rows]
        if entities:
            by_id = {e.id: e for e in entities}
            marks = ", ".join("?" * len(by_id))
            for entity_id, text in self.db.execute(
                    f"SELECT entity_id, text FROM entity_spellings WHERE entity_id IN ({marks}) "
                    "ORDER BY entity_id, text", list(by_id)):
                by_id[entity_id].spellings.append(text)
        return entities

    def mentions(self, entity_id: int, limit: int = 100, offset: int = 0,
                 skip_fields: Sequence[str] = ()) -> list[Mention]:
        """An entity's mentions: documents first (by id, page, position), then rows.
        `skip_fields`: columns whose row mentions are left out (a redacted reader's
        personal columns)."""
        if not self.present:
            return []
        skip, args = _skipped_fields(skip_fields)
        rows = self.db.execute(
            f"SELECT s.text, m.char_start, m.char_end, m.document_id, m.table_id, m.row, "
            f"m.field, m.page, COALESCE({_FIRST_PATH}, t.path) AS path, t.name "
            "FROM entity_mentions m JOIN entity_spellings s ON s.id = m.spelling_id "
            f"LEFT JOIN entity_tables t ON t.table_id = m.table_id WHERE m.entity_id = ?{skip} "
            "ORDER BY m.document_id IS NULL, m.document_id, m.page, m.field, m.char_start, "
            "m.table_id, m.row, m.char_start LIMIT ? OFFSET ?",
            (entity_id, *args, limit, offset)).fetchall()
        return [Mention(*r) for r in rows]

    def mention_count(self, entity_id: int, skip_fields: Sequence[str] = ()) -> int:
        if not self.present:
            return 0
        skip, args = _skipped_fields(skip_fields)
        return self.db.execute(
            f"SELECT COUNT(*) FROM entity_mentions m WHERE m.entity_id = ?{skip}",
            (entity_id, *args)).fetchone()[0]

    def cooccurring(self, entity_id: int, limit: int = 20,
                    kinds: Sequence[str] | None = None) -> list[Cooccurring]:
        """The entities mentioned in the same documents or rows, those sharing the most
        first (of `kinds` only, when given)."""
        if not self.present or (kinds is not None and not kinds):
            return []
        only, kind_args = ("", []) if kinds is None else \
            (f" WHERE e.kind IN ({', '.join('?' * len(kinds))})", list(kinds))
        rows = self.db.execute(
            "WITH mine AS (SELECT DISTINCT document_id, table_id, row FROM entity_mentions "
            "WHERE entity_id = ?), together AS ("
            "SELECT m.entity_id, m.document_id AS document_id, NULL AS table_id, NULL AS row "
            "FROM entity_mentions m JOIN mine ON mine.document_id = m.document_id "
            "WHERE m.entity_id != ? UNION "
            "SELECT m.entity_id, NULL, m.table_id, m.row FROM entity_mentions m JOIN mine "
            "ON mine.table_id = m.table_id AND mine.row = m.row WHERE m.entity_id != ?) "
            "SELECT e.id, e.kind, e.value, COUNT(*) AS shared FROM together "
            f"JOIN entities e ON e.id = together.entity_id{only} GROUP BY e.id, e.kind, e.value "
            "ORDER BY shared DESC, e.value LIMIT ?",
            (entity_id, entity_id, entity_id, *kind_args, limit)).fetchall()
        return [Cooccurring(*r) for r in rows]

    # -- the pages of entities (web/entities.py, through search/entities.py) ------------------
    def dataset_of(self, entity_id: int) -> int | None:
        """The dataset an entity belongs to (None: no such entity)."""
        if not self.present:
            return None
        found = self.db.execute("SELECT dataset_id FROM entities WHERE id = ?",
                                (entity_id,)).fetchone()
        return found[0] if found else None

    def listing(self, dataset_id: int, kinds: Sequence[str] | None = None,
                sort: str = "sources", search: str = "", limit: int = 50, offset: int = 0,
                min_sources: int = 0) -> list[Entity]:
        """A page of the dataset's entities of `kinds` (None: every kind), in the order
        `sort` names (LISTING_ORDERS); `search`: a piece of the value or of a spelling, in
        any case; `min_sources`: only those found in at least that many sources."""
        if not self.present or (kinds is not None and not kinds):
            return []
        where, args = self._listing_filter(dataset_id, kinds, search, min_sources)
        rows = self.db.execute(
            f"SELECT * FROM entities e WHERE {where} ORDER BY {LISTING_ORDERS[sort]} "
            "LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return self._with_spellings(rows)

    def listing_count(self, dataset_id: int, kinds: Sequence[str] | None = None,
                      search: str = "", min_sources: int = 0) -> int:
        if not self.present or (kinds is not None and not kinds):
            return 0
        where, args = self._listing_filter(dataset_id, kinds, search, min_sources)
        return self.db.execute(f"SELECT COUNT(*) FROM entities e WHERE {where}",
                               args).fetchone()[0]

    @staticmethod
    def _listing_filter(dataset_id: int, kinds: Sequence[str] | None, search: str,
                        min_sources: int) -> tuple[str, list[Any]]:
        where = "e.dataset_id = ?"
        args: list[Any] = [dataset_id]
        if kinds is not None:
            where += f" AND e.kind IN ({', '.join('?' * len(kinds))})"
            args += list(kinds)
        if min_sources > 0:
            where += " AND e.sources >= ?"
            args.append(min_sources)
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%") \
                .replace("_", "\\_") + "%"
            where += (" AND (e.value LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM "
                      "entity_spellings s WHERE s.entity_id = e.id AND s.text LIKE ? "
                      "ESCAPE '\\'))")
            args += [pattern, pattern]
        return where, args

    def row_fields(self, entity_id: int) -> list[str]:
        """The columns of the table rows that mention an entity."""
        if not self.present:
            return []
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT field FROM entity_mentions WHERE entity_id = ? "
            "AND table_id IS NOT NULL AND field IS NOT NULL ORDER BY field", (entity_id,))]

    def source_counts(self, entity_id: int, skip_fields: Sequence[str] = ()
                      ) -> list[tuple[str, int, int]]:
        """(source, documents, rows) of the records that mention an entity, the sources
        with the most records first."""
        if not self.present:
            return []
        sql, args = self._placed(entity_id, skip_fields)
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            f"{sql} SELECT source, COUNT(document_id), COUNT(table_id) FROM placed "
            "GROUP BY source ORDER BY COUNT(*) DESC, source", args)]

    def mention_records(self, entity_id: int, source: str | None = None, limit: int = 50,
                        offset: int = 0, skip_fields: Sequence[str] = ()
                        ) -> list[MentionRecord]:
        """A page of the documents and rows that mention an entity, by source, then path
        (documents before rows), of one `source` when given."""
        if not self.present:
            return []
        sql, args = self._placed(entity_id, skip_fields)
        where = ""
        if source is not None:
            where, args = " WHERE source = ?", [*args, source]
        # The date of the page's records only (a lookup each), once they are chosen.
        rows = self.db.execute(
            f"{sql} SELECT p.*, (SELECT c.doc_date FROM documents d JOIN contents c "
            "ON c.sha256 = d.sha256 WHERE d.id = p.document_id) FROM (SELECT document_id, "
            f"table_id, row, path, table_name, mentions, pages FROM placed{where} "
            "ORDER BY source, document_id IS NULL, path, table_id, row, document_id "
            "LIMIT ? OFFSET ?) AS p", (*args, limit, offset)).fetchall()
        return [MentionRecord(r[0], r[1], r[2], r[3], r[4], r[5],
                              sorted({int(p) for p in (r[6] or "").split(",") if p}), r[7])
                for r in rows]

    def date_histogram(self, entity_id: int) -> list[tuple[str, int]]:
        """(YYYY-MM, documents) of the dated documents that mention an entity, by month."""
        if not self.present:
            return []
        return [(r[0], r[1]) for r in self.db.execute(
            "WITH docs AS (SELECT DISTINCT document_id FROM entity_mentions "
            f"WHERE entity_id = ? AND document_id IS NOT NULL LIMIT {MAX_PLACED_RECORDS}) "
            "SELECT substr(c.doc_date, 1, 7) AS month, COUNT(*) FROM docs "
            "JOIN documents d ON d.id = docs.document_id JOIN contents c ON c.sha256 = d.sha256 "
            "WHERE c.doc_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' GROUP BY month "
            "ORDER BY month", (entity_id,))]

    def document_spans(self, document_id: str, kinds: Sequence[str], limit: int = 20_000
                       ) -> list[tuple[int, str, int | None, int, int]]:
        """(entity id, kind, page, start, end) of the mentions in a document's text (not
        its header fields) of entities of `kinds`, in order."""
        if not self.present or not kinds:
            return []
        return [(r[0], r[1], r[2], r[3], r[4]) for r in self.db.execute(
            "SELECT m.entity_id, e.kind, m.page, m.char_start, m.char_end FROM entity_mentions m "
            "JOIN entities e ON e.id = m.entity_id WHERE m.document_id = ? AND m.field IS NULL "
            f"AND e.kind IN ({', '.join('?' * len(kinds))}) ORDER BY m.page, m.char_start, "
            "m.char_end DESC LIMIT ?", (document_id, *kinds, limit))]

    @staticmethod
    def _placed(entity_id: int, skip_fields: Sequence[str]) -> tuple[str, list[Any]]:
        """A `placed` CTE: the records mentioning an entity with their path and source."""
        skip, args = _skipped_fields(skip_fields)
        path = _FIRST_PATH.replace("m.document_id", "r.document_id")
        sql = (
            "WITH records AS (SELECT m.document_id, m.table_id, m.row, COUNT(*) AS mentions, "
            "group_concat(DISTINCT m.page) AS pages FROM entity_mentions m "
            f"WHERE m.entity_id = ?{skip} GROUP BY m.document_id, m.table_id, m.row "
            f"LIMIT {MAX_PLACED_RECORDS}), "
            f"paths AS (SELECT r.*, COALESCE({path}, t.path) AS path, t.name AS table_name "
            "FROM records r LEFT JOIN entity_tables t ON t.table_id = r.table_id), "
            "placed AS (SELECT *, CASE WHEN instr(path, '/') > 0 THEN substr(path, 1, "
            "instr(path, '/') - 1) ELSE COALESCE(path, '') END AS source FROM paths)")
        return sql, [entity_id, *args]

    def read_counts(self, dataset_id: int) -> dict[str, int]:
        """Documents and tables read so far (and mentions recorded), for progress reports."""
        if not self.present:
            return {"documents": 0, "tables": 0, "mentions": 0}
        documents, doc_mentions = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(mentions), 0) FROM entity_documents "
            "WHERE dataset_id = ?", (dataset_id,)).fetchone()
        tables, row_mentions = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(mentions), 0) FROM entity_tables "
            "WHERE dataset_id = ? AND recogniser IS NOT NULL", (dataset_id,)).fetchone()
        return {"documents": documents, "tables": tables,
                "mentions": doc_mentions + row_mentions}

    # -- for the search index (derive/documents.py, derive/rows.py, search/service.py) -------
    def document_entity_ids(self, document_id: str) -> dict[str, list[int]]:
        """The entities a document mentions: kind -> ids (what its index entry carries)."""
        if not self.present:
            return {}
        out: dict[str, list[int]] = {}
        for kind, entity_id in self.db.execute(
                "SELECT DISTINCT e.kind, e.id FROM entity_mentions m JOIN entities e "
                "ON e.id = m.entity_id WHERE m.document_id = ? ORDER BY e.kind, e.id",
                (document_id,)):
            out.setdefault(kind, []).append(entity_id)
        return out

    def table_entity_ids(self, table_id: int) -> Iterator[tuple[int, str, int]]:
        """(row, kind, entity id) of every entity a table's rows mention, in row order (so
        that a reader of the rows in their order merges them without holding them all)."""
        if not self.present:
            return iter(())
        return (tuple(r) for r in self.db.execute(
            "SELECT DISTINCT m.row, e.kind, e.id FROM entity_mentions m JOIN entities e "
            "ON e.id = m.entity_id WHERE m.table_id = ? ORDER BY m.row, e.kind, e.id",
            (table_id,)))

    def table_being_read(self, table_id: int) -> bool:
        """Whether a run started reading the table's rows and did not finish (its mentions
        may be partial)."""
        if not self.present:
            return False
        row = self.db.execute("SELECT recogniser IS NULL FROM entity_tables "
                              "WHERE table_id = ?", (table_id,)).fetchone()
        return bool(row and row[0])

    def kinds_and_values(self, dataset_id: int, kinds: Iterable[str]
                         ) -> Iterator[tuple[int, str, str]]:
        """(id, kind, value) of the dataset's entities of these kinds."""
        wanted = list(kinds)
        if not self.present or not wanted:
            return iter(())
        marks = ", ".join("?" * len(wanted))
        return (tuple(r) for r in self.db.execute(
            f"SELECT id, kind, value FROM entities WHERE dataset_id = ? AND kind IN ({marks})",
            (dataset_id, *wanted)))

    def by_ids(self, ids: Iterable[int]) -> list[tuple[int, Entity]]:
        """(dataset id, entity) of each of these ids that exists (without spellings)."""
        wanted = sorted(set(ids))
        if not self.present or not wanted:
            return []
        out = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            out += [(r["dataset_id"], Entity(r["id"], r["kind"], r["key"], r["value"],
                                             r["documents"], r["rows"], r["sources"]))
                    for r in self.db.execute(
                        "SELECT * FROM entities WHERE id IN (" + ", ".join("?" * len(chunk))
                        + ")", chunk)]
        return out

    def with_names(self, dataset_id: int, kind: str, names: Iterable[str]) -> list[Entity]:
        """The entities of `kind` whose key or one of whose spellings is one of `names`,
        without case (SQLite's lower(): ASCII letters; callers give folded forms too)."""
        wanted = sorted({n.lower() for n in names if n})
        if not self.present or not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        rows = self.db.execute(
            f"SELECT * FROM entities WHERE dataset_id = ? AND kind = ? AND (lower(key) IN "
            f"({marks}) OR id IN (SELECT s.entity_id FROM entity_spellings s JOIN entities x "
            f"ON x.id = s.entity_id WHERE x.dataset_id = ? AND x.kind = ? AND lower(s.text) "
            f"IN ({marks}))) ORDER BY id",
            (dataset_id, kind, *wanted, dataset_id, kind, *wanted)).fetchall()
        return self._with_spellings(rows)

    # -- reading for cross-references and exports (search/xref.py, cli export) ----------------
    def entities_by_ids(self, dataset_id: int, ids: Iterable[int]) -> list[Entity]:
        """The dataset's entities of these ids (others are not the dataset's: none), by id."""
        wanted = sorted(set(ids))
        if not self.present or not wanted:
            return []
        rows: list[sqlite3.Row] = []
        for start in range(0, len(wanted), 500):  # within SQLite's limit of parameters
            chunk = wanted[start:start + 500]
            rows += self.db.execute(
                f"SELECT * FROM entities WHERE dataset_id = ? AND id IN "
                f"({', '.join('?' * len(chunk))}) ORDER BY id", (dataset_id, *chunk)).fetchall()
        return self._with_spellings(rows)

    def names_of_kinds(self, dataset_id: int, kinds: Sequence[str]
                       ) -> Iterable[tuple[int, str, bool]]:
        """(entity id, text, is a spelling) for the display value and every spelling of the
        dataset's entities of `kinds`, streamed from the cursor (a dataset may have millions:
        the caller compares each to what it looks for, holding none of them)."""
        if not self.present or not kinds:
            return
        marks = ", ".join("?" * len(kinds))
        yield from ((r[0], r[1], False) for r in self.db.execute(
            f"SELECT id, value FROM entities WHERE dataset_id = ? AND kind IN ({marks})",
            (dataset_id, *kinds)))
        yield from ((r[0], r[1], True) for r in self.db.execute(
            f"SELECT e.id, s.text FROM entities e JOIN entity_spellings s "
            f"ON s.entity_id = e.id WHERE e.dataset_id = ? AND e.kind IN ({marks})",
            (dataset_id, *kinds)))

    def document_ids(self, entity_id: int, limit: int = 10) -> list[str]:
        """The first `limit` documents (by id) that mention the entity."""
        if not self.present:
            return []
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT document_id FROM entity_mentions WHERE entity_id = ? "
            "AND document_id IS NOT NULL ORDER BY document_id LIMIT ?", (entity_id, limit))]

    def mentioned_in(self, document_id: str | None = None, table_id: int | None = None,
                     limit: int = 10_000) -> list[tuple[int, str, str, str, str]]:
        """(entity id, kind, key, value, spelling) of each entity a document (or a table's
        rows) mentions, each spelling once, at most `limit` (an export's bound per record,
        as Aleph bounds the tags of one document)."""
        if not self.present:
            return []
        where, arg = ("m.document_id = ?", document_id) if document_id is not None else \
            ("m.table_id = ?", table_id)
        rows = self.db.execute(
            "SELECT DISTINCT e.id, e.kind, e.key, e.value, s.text FROM entity_mentions m "
            "JOIN entities e ON e.id = m.entity_id JOIN entity_spellings s "
            f"ON s.id = m.spelling_id WHERE {where} ORDER BY e.id, s.text LIMIT ?",
            (arg, limit)).fetchall()
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def iter_entities(self, dataset_id: int, kinds: Sequence[str]
                      ) -> Iterable[tuple[int, str, str, str]]:
        """(id, kind, key, value) of the dataset's entities of `kinds`, in id order, streamed
        from the cursor."""
        if not self.present or not kinds:
            return
        yield from ((r[0], r[1], r[2], r[3]) for r in self.db.execute(
            f"SELECT id, kind, key, value FROM entities WHERE dataset_id = ? AND kind IN "
            f"({', '.join('?' * len(kinds))}) ORDER BY id", (dataset_id, *kinds)))


def _skipped_fields(fields: Sequence[str]) -> tuple[str, list[str]]:
    """A condition on `m` leaving out the row mentions in these columns."""
    if not fields:
        return "", []
    marks = ", ".join("?" * len(fields))
    return f" AND (m.table_id IS NULL OR m.field IS NULL OR m.field NOT IN ({marks}))", \
        list(fields)
