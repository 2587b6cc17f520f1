"""Near-duplicates of a dataset, in the catalog's database: signatures, LSH bands, the
verified pairs and the clusters they make.

Tables (created on the catalog's own connection when it is opened for writing; a catalog
made before them reads as holding no cluster):

* ``neardup_documents``: what was read: a document's signature (derive/neardup.py), by
  which version (the MinHash parameters and the threshold) in which text (OCR gives a
  content a new text). No record, another version or another text: pending. So the stage
  is resumable and incremental, as the entity stage is (storage/entities.py).
* ``neardup_pages``: the signatures of the pages of a document with several pages.
* ``neardup_bands``: one row per band of each signature (``page`` 0: the whole document),
  its key indexed: a new document's candidates are the rows sharing one of its keys, an
  index lookup per band, whatever the dataset's size; nothing is held in memory.
* ``neardup_pairs``: pairs of documents whose estimated Jaccard similarity is at least the
  threshold (``a`` < ``b``), and ``neardup_page_pairs``: a page of one document found in
  another (a bulletin inside a bigger PDF), when the two documents as wholes are not.
* ``neardup_clusters`` and ``neardup_members``: the connected components of the pairs (see
  `NearDupStore.recluster`), with their counts of documents, copies (paths) and sources
  (top folders), and the first date a copy was seen. A single document whose one content
  is at several paths is a cluster too (exact copies: the same bulletin in many agencies).

Writes happen in the caller's transaction (the coordinator commits every few seconds): a
document's bands, pairs and record go together, so a crash leaves it read or pending.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trawl.paths import source_of
from trawl.storage.catalog import Catalog

SCHEMA = """
CREATE TABLE IF NOT EXISTS neardup_documents (
    document_id TEXT PRIMARY KEY,
    dataset_id INTEGER NOT NULL,
    version TEXT NOT NULL,
    text_key TEXT,
    shingles INTEGER NOT NULL,       -- 0: too little text to sign
    signature BLOB,
    done_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS neardup_documents_dataset ON neardup_documents(dataset_id);
CREATE TABLE IF NOT EXISTS neardup_pages (
    document_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (document_id, page)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS neardup_bands (
    dataset_id INTEGER NOT NULL,
    key INTEGER NOT NULL,
    document_id TEXT NOT NULL,
    page INTEGER NOT NULL            -- 0: the whole document
);
CREATE INDEX IF NOT EXISTS neardup_bands_key ON neardup_bands(key, dataset_id);
CREATE INDEX IF NOT EXISTS neardup_bands_document ON neardup_bands(document_id);
CREATE TABLE IF NOT EXISTS neardup_pairs (
    dataset_id INTEGER NOT NULL,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    similarity REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS neardup_pairs_b ON neardup_pairs(b);
CREATE TABLE IF NOT EXISTS neardup_page_pairs (
    dataset_id INTEGER NOT NULL,
    a TEXT NOT NULL,
    a_page INTEGER NOT NULL,         -- 0: the whole of a
    b TEXT NOT NULL,
    b_page INTEGER NOT NULL,
    similarity REAL NOT NULL,
    PRIMARY KEY (a, a_page, b, b_page)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS neardup_page_pairs_b ON neardup_page_pairs(b);
CREATE TABLE IF NOT EXISTS neardup_clusters (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL,
    documents INTEGER NOT NULL DEFAULT 0,
    copies INTEGER NOT NULL DEFAULT 0,
    sources INTEGER NOT NULL DEFAULT 0,
    first_seen REAL
);
CREATE INDEX IF NOT EXISTS neardup_clusters_rank
    ON neardup_clusters(dataset_id, sources, copies);
CREATE TABLE IF NOT EXISTS neardup_members (
    document_id TEXT PRIMARY KEY,
    cluster_id INTEGER NOT NULL,
    dataset_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS neardup_members_cluster ON neardup_members(cluster_id);
"""

# The dataset setting (catalog dataset_settings) that holds a dataset's threshold.
THRESHOLD_SETTING = "neardup_threshold"
# Placing `?` for a list of values, in batches small enough for SQLite's variable limit.
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Candidate:
    document_id: str
    page: int                        # 0: the whole document
    signature: bytes


@dataclass(frozen=True, slots=True)
class Copy:
    """One path of a document of a cluster: where and when it was seen."""

    document_id: str
    dataset_id: int
    path: str
    mtime: float | None
    doc_date: str | None
    title: str | None

    @property
    def source(self) -> str:
        return source_of(self.path)


@dataclass(frozen=True, slots=True)
class Cluster:
    id: int
    dataset_id: int
    documents: int
    copies: int
    sources: int
    first_seen: float | None


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _batches(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), _BATCH):
        yield values[i:i + _BATCH]


class NearDupStore:
    """The near-duplicate tables of one catalog, on its connection and in its transactions."""

    def __init__(self, catalog: Catalog) -> None:
        self.db = catalog.db
        if not catalog.readonly:
            self.db.executescript(SCHEMA)
        self._present = False

    @property
    def present(self) -> bool:
        """Whether the catalog has the tables (a reader opened before the first stage run
        sees them once a writer made them)."""
        if not self._present:
            self._present = self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                "AND name = 'neardup_members'").fetchone() is not None
        return self._present

    # -- what is left to read -----------------------------------------------------------------
    def pending_documents(self, dataset_id: int, version: str) -> list[tuple[str, str, int]]:
        """(document id, sha256, characters of text) of the documents not read by `version`
        in their current text, in id order."""
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT d.id, d.sha256, COALESCE(c.text_chars, 0) FROM documents d "
            "JOIN contents c ON c.sha256 = d.sha256 "
            "LEFT JOIN neardup_documents n ON n.document_id = d.id WHERE d.dataset_id = ? "
            "AND (n.document_id IS NULL OR n.version != ? "
            "OR COALESCE(n.text_key, '') != COALESCE(c.text_key, '')) ORDER BY d.id",
            (dataset_id, version))]

    def gone_documents(self, dataset_id: int) -> list[str]:
        """Documents read before that the dataset no longer has (their file changed)."""
        return [r[0] for r in self.db.execute(
            "SELECT n.document_id FROM neardup_documents n LEFT JOIN documents d "
            "ON d.id = n.document_id WHERE n.dataset_id = ? AND d.id IS NULL", (dataset_id,))]

    # -- writing (the coordinator only; the caller commits) -----------------------------------
    def forget(self, document_id: str) -> list[str]:
        """Drop a document's signatures, bands and pairs; returns the documents it was paired
        with (their clusters may split)."""
        db = self.db
        paired = [r[0] for r in db.execute(
            "SELECT b FROM neardup_pairs WHERE a = ? UNION SELECT a FROM neardup_pairs "
            "WHERE b = ?", (document_id, document_id))]
        for sql in ("DELETE FROM neardup_bands WHERE document_id = ?",
                    "DELETE FROM neardup_pages WHERE document_id = ?",
                    "DELETE FROM neardup_pairs WHERE a = ?1 OR b = ?1",
                    "DELETE FROM neardup_page_pairs WHERE a = ?1 OR b = ?1",
                    "DELETE FROM neardup_documents WHERE document_id = ?"):
            db.execute(sql, (document_id,))
        return paired

    def candidates(self, dataset_ids: Sequence[int], keys: Sequence[int], exclude: str
                   ) -> list[Candidate]:
        """The signatures (whole or page) of the datasets that share a band key with
        `keys`, other than `exclude`'s."""
        if not keys or not dataset_ids:
            return []
        found = self.db.execute(
            f"SELECT DISTINCT b.document_id, b.page FROM neardup_bands b "
            f"WHERE b.key IN ({_marks(keys)}) AND b.dataset_id IN ({_marks(dataset_ids)}) "
            f"AND b.document_id != ?", (*keys, *dataset_ids, exclude)).fetchall()
        out = []
        for doc_id, page in found:
            row = self.db.execute(
                "SELECT signature FROM neardup_documents WHERE document_id = ?" if page == 0
                else "SELECT signature FROM neardup_pages WHERE document_id = ? AND page = ?",
                (doc_id,) if page == 0 else (doc_id, page)).fetchone()
            if row is not None and row[0] is not None:
                out.append(Candidate(doc_id, page, row[0]))
        return out

    def record(self, dataset_id: int, document_id: str, version: str, text_key: str | None,
               shingles: int, signature: bytes | None, pages: Sequence[tuple[int, bytes]],
               bands: Sequence[tuple[int, int]]) -> None:
        """A document's record, signatures and bands (`(page, key)`, page 0 the whole)."""
        db = self.db
        db.execute(
            "INSERT OR REPLACE INTO neardup_documents (document_id, dataset_id, version, "
            "text_key, shingles, signature, done_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (document_id, dataset_id, version, text_key, shingles, signature, time.time()))
        db.executemany("INSERT INTO neardup_pages (document_id, page, signature) "
                       "VALUES (?, ?, ?)", [(document_id, n, sig) for n, sig in pages])
        db.executemany("INSERT INTO neardup_bands (dataset_id, key, document_id, page) "
                       "VALUES (?, ?, ?, ?)",
                       [(dataset_id, key, document_id, page) for page, key in bands])

    def add_pair(self, dataset_id: int, a: str, b: str, similarity: float) -> None:
        a, b = min(a, b), max(a, b)
        self.db.execute("INSERT OR REPLACE INTO neardup_pairs (dataset_id, a, b, similarity) "
                        "VALUES (?, ?, ?, ?)", (dataset_id, a, b, similarity))

    def add_page_pair(self, dataset_id: int, a: tuple[str, int], b: tuple[str, int],
                      similarity: float) -> None:
        (a_id, a_page), (b_id, b_page) = sorted((a, b))
        self.db.execute(
            "INSERT OR REPLACE INTO neardup_page_pairs (dataset_id, a, a_page, b, b_page, "
            "similarity) VALUES (?, ?, ?, ?, ?, ?)",
            (dataset_id, a_id, a_page, b_id, b_page, similarity))

    # -- clusters -----------------------------------------------------------------------------
    def recluster(self, dataset_id: int, touched: Iterable[str]) -> int:
        """Make again the clusters of the documents `touched` (read or forgotten in this
        run) and of their old cluster mates: the connected components of the pairs that
        reach them, each keeping the id of the old cluster holding most of its members.
        Only these components are read: a new document joins its cluster without the
        dataset's other clusters being looked at. Returns the clusters written."""
        db = self.db
        start = set(touched)
        old: dict[str, int] = {}
        for batch in _batches(sorted(start)):
            for cluster_id, in db.execute(
                    f"SELECT DISTINCT cluster_id FROM neardup_members WHERE document_id IN "
                    f"({_marks(batch)})", batch).fetchall():
                for (doc_id,) in db.execute("SELECT document_id FROM neardup_members "
                                            "WHERE cluster_id = ?", (cluster_id,)):
                    old[doc_id] = cluster_id
        start |= old.keys()
        components = self._components(start)
        for cluster_id in set(old.values()):
            db.execute("DELETE FROM neardup_members WHERE cluster_id = ?", (cluster_id,))
            db.execute("DELETE FROM neardup_clusters WHERE id = ?", (cluster_id,))
        reused: set[int] = set()
        written = 0
        for members in components:
            votes: dict[int, int] = {}
            for doc_id in members:
                if doc_id in old and old[doc_id] not in reused:
                    votes[old[doc_id]] = votes.get(old[doc_id], 0) + 1
            if len(members) < 2 and not votes:
                continue  # alone: a cluster only if its content is at several paths (refresh)
            keep = min(votes, key=lambda c: (-votes[c], c)) if votes else None
            cluster_id = self._new_cluster(dataset_id, keep)
            reused.add(cluster_id)
            db.executemany("INSERT INTO neardup_members (document_id, cluster_id, dataset_id) "
                           "VALUES (?, ?, ?)", [(d, cluster_id, dataset_id) for d in members])
            written += 1
        return written

    def _new_cluster(self, dataset_id: int, cluster_id: int | None) -> int:
        cursor = self.db.execute("INSERT INTO neardup_clusters (id, dataset_id) VALUES (?, ?)",
                                 (cluster_id, dataset_id))
        return cluster_id if cluster_id is not None else int(cursor.lastrowid or 0)

    def _components(self, start: set[str]) -> list[list[str]]:
        """The connected components of the pair graph that hold the documents `start`."""
        seen: set[str] = set()
        out = []
        for first in sorted(start):
            if first in seen:
                continue
            component, frontier = {first}, [first]
            while frontier:
                doc_id = frontier.pop()
                for (other,) in self.db.execute(
                        "SELECT b FROM neardup_pairs WHERE a = ?1 UNION "
                        "SELECT a FROM neardup_pairs WHERE b = ?1", (doc_id,)):
                    if other not in component:
                        component.add(other)
                        frontier.append(other)
            seen |= component
            out.append(sorted(component))
        return out

    def refresh(self, dataset_id: int) -> int:
        """The clusters' counts made again from the paths the documents have now (a copy
        found in a new folder adds a source with nothing new to read), and a cluster for
        each document alone at several paths (or none when it is down to one). Returns the
        number of clusters of the dataset. A document without a signature (too little
        text: an empty template in every folder) makes no cluster of its own."""
        db = self.db
        db.execute("DELETE FROM neardup_members WHERE dataset_id = ? AND document_id NOT IN "
                   "(SELECT id FROM documents)", (dataset_id,))
        alone = db.execute(
            "SELECT d.id FROM documents d JOIN files f ON f.dataset_id = d.dataset_id "
            "AND f.sha256 = d.sha256 WHERE d.dataset_id = ? AND f.status = 'indexed' "
            "AND d.id NOT IN (SELECT document_id FROM neardup_members) AND d.id IN (SELECT "
            "document_id FROM neardup_documents WHERE signature IS NOT NULL) "
            "GROUP BY d.id HAVING COUNT(*) > 1 ORDER BY d.id", (dataset_id,)).fetchall()
        for (doc_id,) in alone:
            cluster_id = self._new_cluster(dataset_id, None)
            db.execute("INSERT INTO neardup_members (document_id, cluster_id, dataset_id) "
                       "VALUES (?, ?, ?)", (doc_id, cluster_id, dataset_id))
        db.execute("UPDATE neardup_clusters SET documents = 0, copies = 0, sources = 0 "
                   "WHERE dataset_id = ?", (dataset_id,))
        db.execute(
            "UPDATE neardup_clusters SET documents = c.documents, copies = c.copies, "
            "sources = c.sources, first_seen = c.first_seen FROM (SELECT m.cluster_id, "
            "COUNT(DISTINCT m.document_id) AS documents, COUNT(*) AS copies, "
            "COUNT(DISTINCT CASE WHEN instr(f.path, '/') > 0 THEN substr(f.path, 1, "
            "instr(f.path, '/') - 1) ELSE '' END) AS sources, MIN(f.mtime) AS first_seen "
            "FROM neardup_members m JOIN documents d ON d.id = m.document_id JOIN files f "
            "ON f.dataset_id = d.dataset_id AND f.sha256 = d.sha256 AND f.status = 'indexed' "
            "WHERE m.dataset_id = ? GROUP BY m.cluster_id) AS c "
            "WHERE neardup_clusters.id = c.cluster_id", (dataset_id,))
        # A cluster whose last copy went (its documents' files all changed).
        db.execute("DELETE FROM neardup_members WHERE dataset_id = ?1 AND cluster_id IN "
                   "(SELECT id FROM neardup_clusters WHERE dataset_id = ?1 AND copies < 2)",
                   (dataset_id,))
        db.execute("DELETE FROM neardup_clusters WHERE dataset_id = ? AND copies < 2",
                   (dataset_id,))
        return self.count(dataset_id)

    # -- reading --------------------------------------------------------------------------------
    def count(self, dataset_id: int) -> int:
        if not self.present:
            return 0
        return self.db.execute("SELECT COUNT(*) FROM neardup_clusters WHERE dataset_id = ?",
                               (dataset_id,)).fetchone()[0]

    def read_count(self, dataset_id: int) -> int:
        """Documents of the dataset with a record (read, with or without a signature)."""
        if not self.present:
            return 0
        return self.db.execute("SELECT COUNT(*) FROM neardup_documents WHERE dataset_id = ?",
                               (dataset_id,)).fetchone()[0]

    def cluster_of(self, document_id: str) -> int | None:
        if not self.present:
            return None
        row = self.db.execute("SELECT cluster_id FROM neardup_members WHERE document_id = ?",
                              (document_id,)).fetchone()
        return row[0] if row else None

    def cluster(self, cluster_id: int) -> Cluster | None:
        if not self.present:
            return None
        row = self.db.execute(
            "SELECT id, dataset_id, documents, copies, sources, first_seen FROM "
            "neardup_clusters WHERE id = ?", (cluster_id,)).fetchone()
        return Cluster(*row) if row else None

    def clusters(self, dataset_id: int, min_sources: int = 0, limit: int = 50,
                 offset: int = 0) -> list[Cluster]:
        """The dataset's clusters, those in most sources first."""
        if not self.present:
            return []
        rows = self.db.execute(
            "SELECT id, dataset_id, documents, copies, sources, first_seen FROM "
            "neardup_clusters WHERE dataset_id = ? AND sources >= ? "
            "ORDER BY sources DESC, copies DESC, id LIMIT ? OFFSET ?",
            (dataset_id, min_sources, limit, offset)).fetchall()
        return [Cluster(*row) for row in rows]

    def cluster_ids(self, dataset_id: int) -> dict[str, int]:
        """Each clustered document of the dataset -> its cluster (for the index)."""
        if not self.present:
            return {}
        return dict(self.db.execute("SELECT document_id, cluster_id FROM neardup_members "
                                    "WHERE dataset_id = ?", (dataset_id,)).fetchall())

    def clusters_of(self, document_ids: Sequence[str]) -> dict[str, Cluster]:
        """The cluster of each of these documents that has one (for search hits)."""
        out: dict[str, Cluster] = {}
        if not self.present:
            return out
        for batch in _batches(list(document_ids)):
            for row in self.db.execute(
                    f"SELECT m.document_id, c.id, c.dataset_id, c.documents, c.copies, "
                    f"c.sources, c.first_seen FROM neardup_members m JOIN neardup_clusters c "
                    f"ON c.id = m.cluster_id WHERE m.document_id IN ({_marks(batch)})", batch):
                out[row[0]] = Cluster(*row[1:])
        return out

    def members(self, cluster_id: int) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT document_id FROM neardup_members WHERE cluster_id = ? ORDER BY document_id",
            (cluster_id,))]

    def all_members(self, dataset_id: int) -> list[list[str]]:
        """The documents of each cluster of the dataset."""
        groups: dict[int, list[str]] = {}
        if self.present:
            for doc_id, cluster_id in self.db.execute(
                    "SELECT document_id, cluster_id FROM neardup_members WHERE dataset_id = ? "
                    "ORDER BY cluster_id, document_id", (dataset_id,)):
                groups.setdefault(cluster_id, []).append(doc_id)
        return list(groups.values())

    def copies(self, document_ids: Sequence[str]) -> list[Copy]:
        """Every indexed path of these documents, by date seen then path."""
        out: list[Copy] = []
        for batch in _batches(list(document_ids)):
            out.extend(Copy(*row) for row in self.db.execute(
                f"SELECT d.id, d.dataset_id, f.path, f.mtime, c.doc_date, c.title "
                f"FROM documents d JOIN files f ON f.dataset_id = d.dataset_id "
                f"AND f.sha256 = d.sha256 JOIN contents c ON c.sha256 = d.sha256 "
                f"WHERE d.id IN ({_marks(batch)}) AND f.status = 'indexed'", batch))
        return sorted(out, key=lambda c: (c.mtime is None, c.mtime or 0, c.path))

    def shared_between(self, dataset_id: int, a: str, b: str, limit: int = 1000
                       ) -> list[tuple[int, float | None, float | None]]:
        """(cluster, first seen in source a, first seen in b) of the clusters with copies in
        both top folders, by the date b had it."""
        if not self.present:
            return []
        rows = self.db.execute(
            "SELECT m.cluster_id, MIN(CASE WHEN f.path >= ?1 AND f.path < ?2 THEN "
            "COALESCE(f.mtime, 0) END) AS in_a, MIN(CASE WHEN f.path >= ?3 AND f.path < ?4 "
            "THEN COALESCE(f.mtime, 0) END) AS in_b FROM neardup_members m JOIN documents d "
            "ON d.id = m.document_id JOIN files f ON f.dataset_id = d.dataset_id AND "
            "f.sha256 = d.sha256 AND f.status = 'indexed' WHERE m.dataset_id = ?5 AND "
            "((f.path >= ?1 AND f.path < ?2) OR (f.path >= ?3 AND f.path < ?4)) "
            "GROUP BY m.cluster_id HAVING in_a IS NOT NULL AND in_b IS NOT NULL "
            "ORDER BY in_b, m.cluster_id LIMIT ?6",
            (a + "/", a + "0", b + "/", b + "0", dataset_id, limit)).fetchall()
        return [(r[0], r[1] or None, r[2] or None) for r in rows]

    def signatures(self, document_ids: Sequence[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        if not self.present:
            return out
        for batch in _batches(list(document_ids)):
            out.update((doc_id, sig) for doc_id, sig in self.db.execute(
                f"SELECT document_id, signature FROM neardup_documents WHERE document_id IN "
                f"({_marks(batch)}) AND signature IS NOT NULL", batch))
        return out

    def band_keys(self, document_id: str) -> list[int]:
        """The keys of a document's whole signature (for looking it up in other datasets)."""
        if not self.present:
            return []
        return [r[0] for r in self.db.execute(
            "SELECT key FROM neardup_bands WHERE document_id = ? AND page = 0", (document_id,))]

    def page_pairs(self, document_id: str) -> list[tuple[int, str, int, float]]:
        """(page of this document, other document, its page, similarity): pages shared with
        documents that are not near-copies as wholes (0: the whole document)."""
        if not self.present:
            return []
        rows = self.db.execute(
            "SELECT a_page, b, b_page, similarity FROM neardup_page_pairs WHERE a = ?1 UNION "
            "ALL SELECT b_page, a, a_page, similarity FROM neardup_page_pairs WHERE b = ?1 "
            "ORDER BY 2, 1", (document_id,)).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]
