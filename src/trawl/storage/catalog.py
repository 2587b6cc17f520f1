"""The catalog: one SQLite database that accounts for every input path and every unique content.

Design
------
* ``files``: one row per path in a dataset: a file on disk, an archive member, an e-mail
  attachment, a message of a mailbox. Its ``status`` is always one of ``pending``, ``indexed``,
  ``failed`` or ``skipped``, with ``error`` saying why for the last two (for a reader) and
  ``error_code`` (trawl.errors.CODES: for grouping, and for what ``retry --failed`` retries;
  NULL on rows recorded before codes existed, read as "unknown"). This table is the
  "nothing is lost" ledger: ``indexed + failed + skipped == total`` once a run ends.
* ``contents``: one row per unique SHA-256: the extraction result (type, title, metadata, the
  key of the extracted text in the blob store). Identical bytes are extracted once, whatever
  the number of paths they appear under.
* ``content_children``: what a container holds (member name -> child content). A second copy
  of an archive gets its members' paths from here without being unpacked again. A member that
  was not extracted (a link, an encrypted member, one past a limit) is here too, with its
  status, message and code and no content: it is a path of its own all the same.
* ``documents``: one row per (dataset, content): the unit that the index and the web show.
  ``indexed = 0`` until the index has committed it, so a crash between the catalog commit and
  the index commit is repaired by re-indexing on the next run (index writes are idempotent).

Only the ingestion coordinator writes; worker processes and the web read (WAL mode).
Every statement is parameterised.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trawl.errors import RETRYABLE_CODES, UNKNOWN
from trawl.storage.tables import CSV_MIMES, CSV_SUFFIXES, WORKBOOK_MIMES, TableFile
from trawl.storage.wal import use_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    root TEXT,
    visibility TEXT NOT NULL DEFAULT 'private',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS contents (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mime TEXT,
    family TEXT,
    status TEXT NOT NULL,            -- done | failed | skipped
    error TEXT,
    title TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    text_key TEXT,                   -- blob key of the gzip'd text; pages split by form feed
    page_count INTEGER,
    text_chars INTEGER,
    doc_date TEXT,                   -- ISO 8601, the document's own date where known
    language TEXT,
    extractor TEXT,
    extracted_at REAL,
    error_code TEXT                  -- why it failed or was skipped: trawl.errors.CODES
);
CREATE TABLE IF NOT EXISTS content_children (
    parent_sha256 TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,            -- '' for a member not extracted (it has no content)
    size INTEGER NOT NULL,
    mtime REAL,
    status TEXT,                     -- NULL: extracted; skipped | failed: not extracted
    error TEXT,
    error_code TEXT,
    PRIMARY KEY (parent_sha256, position)
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    path TEXT NOT NULL,
    parent_id INTEGER REFERENCES files(id),
    kind TEXT NOT NULL DEFAULT 'file',  -- file | member | attachment | message | embedded | dir
    depth INTEGER NOT NULL DEFAULT 0,
    size INTEGER,
    mtime REAL,
    sha256 TEXT,
    status TEXT NOT NULL DEFAULT 'pending',  -- pending | indexed | failed | skipped
    error TEXT,
    expanded INTEGER NOT NULL DEFAULT 0,
    updated_at REAL,
    error_code TEXT,                 -- why it failed or was skipped: trawl.errors.CODES
    UNIQUE (dataset_id, path)
);
CREATE INDEX IF NOT EXISTS files_status ON files(dataset_id, status);
CREATE INDEX IF NOT EXISTS files_sha ON files(sha256);
CREATE INDEX IF NOT EXISTS files_parent ON files(parent_id);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    sha256 TEXT NOT NULL,
    indexed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (dataset_id, sha256)
);
CREATE INDEX IF NOT EXISTS documents_unindexed ON documents(dataset_id, indexed);
-- Per-dataset options that later runs must remember (OCR on/off, OCR languages). A table of
-- its own, created if missing, so catalogs made before it need no migration step.
CREATE TABLE IF NOT EXISTS dataset_settings (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (dataset_id, key)
);
-- Background jobs (derive/jobs.py): long work asked for from the web, with its progress, so
-- that any process sees it; a job whose process died stays 'running' until the next start
-- marks it 'interrupted'.
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,              -- publish
    dataset TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,             -- queued | running | done | failed | interrupted
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    message TEXT,
    error TEXT,
    requested_by TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
"""

FINAL_STATES = ("indexed", "failed", "skipped")
JOB_STATES = ("queued", "running", "done", "failed", "interrupted")


def document_id(dataset: str, sha256: str) -> str:
    """A stable id for a content within a dataset: the same on every machine and every run."""
    return hashlib.sha256(f"{dataset}\0{sha256}".encode()).hexdigest()[:16]


@dataclass
class Dataset:
    id: int
    name: str
    root: str | None
    visibility: str
    created_at: float


@dataclass
class FileRow:
    id: int
    dataset_id: int
    path: str
    parent_id: int | None
    kind: str
    depth: int
    size: int | None
    mtime: float | None
    sha256: str | None
    status: str
    error: str | None
    expanded: int = 0
    updated_at: float | None = None
    error_code: str | None = None        # trawl.errors.CODES; None: unknown (recorded before)


@dataclass
class Content:
    sha256: str
    size: int
    mime: str | None
    family: str | None
    status: str
    error: str | None = None
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    text_key: str | None = None
    page_count: int | None = None
    text_chars: int | None = None
    doc_date: str | None = None
    language: str | None = None
    extractor: str | None = None
    extracted_at: float | None = None
    error_code: str | None = None        # with `error`: trawl.errors.CODES

    @property
    def file_status(self) -> str:
        """The status a path takes from its content."""
        return {"done": "indexed"}.get(self.status, self.status)


@dataclass
class Job:
    id: int
    kind: str
    dataset: str | None
    detail: dict[str, Any]
    state: str
    done: int
    total: int | None
    message: str | None
    error: str | None
    requested_by: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "interrupted")

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__}


@dataclass
class ChildEntry:
    """One thing a container holds. Not extracted (`status` skipped or failed, with `error`
    and `error_code`): no content, `sha256` None."""

    name: str
    kind: str
    sha256: str | None
    size: int
    mtime: float | None
    status: str | None = None
    error: str | None = None
    error_code: str | None = None


class Catalog:
    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            uri = f"file:{self.path}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            use_wal(self.db)
            self.db.executescript(SCHEMA)
            self._migrate()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.row_factory = sqlite3.Row
        # A catalog made before failure codes, opened read-only, has no such column: its
        # failures all read as "unknown" until a writer (any ingest) adds it.
        self.has_codes = "error_code" in self._columns("files")

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}

    def _migrate(self) -> None:
        """Bring a catalog made by an older Trawl up to SCHEMA: columns added since (the
        tables and indexes are created by SCHEMA itself, if missing). Old rows keep NULL."""
        for table in ("files", "contents"):
            if "error_code" not in self._columns(table):
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN error_code TEXT")
        # Members not extracted, recorded as children (before, only in the metadata).
        known = self._columns("content_children")
        for column in ("status", "error", "error_code"):
            if column not in known:
                self.db.execute(f"ALTER TABLE content_children ADD COLUMN {column} TEXT")
        # Here, not in SCHEMA: an old catalog has no column to index until the line above.
        self.db.execute("CREATE INDEX IF NOT EXISTS files_code "
                        "ON files(dataset_id, status, error_code)")
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        self.db.commit()

    # -- datasets -------------------------------------------------------------------------------
    def ensure_dataset(self, name: str, root: str | None = None) -> Dataset:
        existing = self.dataset(name)
        if existing:
            if root and existing.root != root:
                self.db.execute("UPDATE datasets SET root = ? WHERE id = ?", (root, existing.id))
                existing.root = root
            return existing
        self.db.execute(
            "INSERT INTO datasets (name, root, created_at) VALUES (?, ?, ?)",
            (name, root, time.time()),
        )
        self.db.commit()
        found = self.dataset(name)
        assert found is not None
        return found

    def dataset(self, name: str) -> Dataset | None:
        row = self.db.execute("SELECT * FROM datasets WHERE name = ?", (name,)).fetchone()
        return Dataset(**dict(row)) if row else None

    def dataset_by_id(self, dataset_id: int) -> Dataset | None:
        row = self.db.execute("SELECT * FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return Dataset(**dict(row)) if row else None

    def datasets(self) -> list[Dataset]:
        rows = self.db.execute("SELECT * FROM datasets ORDER BY name").fetchall()
        return [Dataset(**dict(r)) for r in rows]

    def set_visibility(self, dataset_id: int, visibility: str) -> None:
        self.db.execute("UPDATE datasets SET visibility = ? WHERE id = ?",
                        (visibility, dataset_id))
        self.db.commit()

    # -- files ----------------------------------------------------------------------------------
    def upsert_disk_file(
        self, dataset_id: int, path: str, size: int | None, mtime: float | None
    ) -> tuple[bool, str | None]:
        """Record a walked file. Returns whether it is new or changed since the last run, and
        the content hash it had before a change (whose document must then be re-indexed)."""
        row = self.db.execute(
            "SELECT id, size, mtime, status, sha256 FROM files "
            "WHERE dataset_id = ? AND path = ?",
            (dataset_id, path),
        ).fetchone()
        if row is None:
            self.db.execute(
                "INSERT INTO files (dataset_id, path, kind, depth, size, mtime, status, "
                "updated_at) VALUES (?, ?, 'file', 0, ?, ?, 'pending', ?)",
                (dataset_id, path, size, mtime, time.time()),
            )
            return True, None
        if row["size"] == size and row["mtime"] == mtime and row["status"] != "pending":
            return False, None
        # Changed on disk: process again (the hash decides whether the content really changed).
        self.db.execute(
            "UPDATE files SET size = ?, mtime = ?, sha256 = NULL, status = 'pending', "
            "error = NULL, error_code = NULL, expanded = 0, updated_at = ? WHERE id = ?",
            (size, mtime, time.time(), row["id"]),
        )
        return True, row["sha256"]

    def record_walk_problem(self, dataset_id: int, path: str, kind: str, status: str,
                            error: str, code: str) -> None:
        """A path that cannot be processed at all (unreadable, a symlink): final at once."""
        self.db.execute(
            "INSERT INTO files (dataset_id, path, kind, depth, status, error, error_code, "
            "updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT (dataset_id, path) DO "
            "UPDATE SET status = excluded.status, error = excluded.error, "
            "error_code = excluded.error_code, updated_at = excluded.updated_at",
            (dataset_id, path, kind, status, error, code, time.time()),
        )

    def file(self, file_id: int) -> FileRow | None:
        row = self.db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        return FileRow(**dict(row)) if row else None

    def file_by_path(self, dataset_id: int, path: str) -> FileRow | None:
        row = self.db.execute(
            "SELECT * FROM files WHERE dataset_id = ? AND path = ?", (dataset_id, path)
        ).fetchone()
        return FileRow(**dict(row)) if row else None

    def dataset_files(self, dataset_id: int) -> Iterator[FileRow]:
        """Every file row of a dataset (walked files, members, attachments, folders)."""
        for row in self.db.execute("SELECT * FROM files WHERE dataset_id = ? ORDER BY id",
                                   (dataset_id,)):
            yield FileRow(**dict(row))

    def pending_files(self, dataset_id: int, after_id: int = 0, limit: int = 1000) -> list[FileRow]:
        rows = self.db.execute(
            "SELECT * FROM files WHERE dataset_id = ? AND status = 'pending' AND id > ? "
            "ORDER BY id LIMIT ?",
            (dataset_id, after_id, limit),
        ).fetchall()
        return [FileRow(**dict(r)) for r in rows]

    def finish_file(self, file_id: int, status: str, error: str | None = None,
                    sha256: str | None = None, size: int | None = None,
                    code: str | None = None) -> None:
        """A path's final state; a failed or skipped one gives its reason and its code."""
        self.db.execute(
            "UPDATE files SET status = ?, error = ?, error_code = ?, "
            "sha256 = COALESCE(?, sha256), size = COALESCE(?, size), updated_at = ? "
            "WHERE id = ?",
            (status, error, code, sha256, size, time.time(), file_id),
        )

    def files_of_content(self, dataset_id: int, sha256: str) -> list[FileRow]:
        rows = self.db.execute(
            "SELECT * FROM files WHERE dataset_id = ? AND sha256 = ? ORDER BY depth, path",
            (dataset_id, sha256),
        ).fetchall()
        return [FileRow(**dict(r)) for r in rows]

    def child_files(self, parent_ids: Iterable[int]) -> list[FileRow]:
        ids = list(parent_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT * FROM files WHERE parent_id IN ({marks}) ORDER BY path", ids
        ).fetchall()
        return [FileRow(**dict(r)) for r in rows]

    def add_child_files(self, parent: FileRow, children: list[ChildEntry]) -> dict[str, int]:
        """Record a container's members as paths of their own: pending, or final at once for
        those not extracted. Idempotent. Returns the paths added, by status."""
        now = time.time()
        added: dict[str, int] = {}
        for child in children:
            status = child.status or "pending"
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO files (dataset_id, path, parent_id, kind, depth, size, "
                "mtime, sha256, status, error, error_code, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (parent.dataset_id, f"{parent.path}/{child.name}", parent.id, child.kind,
                 parent.depth + 1, child.size if child.sha256 else None, child.mtime,
                 child.sha256, status, child.error, child.error_code, now),
            )
            if cursor.rowcount:
                added[status] = added.get(status, 0) + 1
        self.db.execute("UPDATE files SET expanded = 1 WHERE id = ?", (parent.id,))
        return added

    def forget_members(self, file_id: int) -> None:
        """A changed container's members, at every depth: they come again, as they are now,
        when the container is processed."""
        self.db.execute(
            "WITH RECURSIVE d(id) AS (SELECT id FROM files WHERE parent_id = ? "
            "UNION ALL SELECT f.id FROM files f JOIN d ON f.parent_id = d.id) "
            "DELETE FROM files WHERE id IN (SELECT id FROM d)", (file_id,))

    def reset_failed(self, dataset_id: int, retryable_only: bool = True) -> int:
        """Put failed paths, and the contents they failed on, back in the queue; returns how
        many. `retryable_only`: only those whose code says a retry may succeed (and those of
        unknown code, recorded before codes existed), not the encrypted or corrupt ones."""
        which, args = "dataset_id = ? AND status = 'failed'", [dataset_id]
        if retryable_only:
            codes = sorted(RETRYABLE_CODES | {UNKNOWN})
            which += (f" AND (error_code IS NULL OR error_code IN "
                      f"({', '.join('?' * len(codes))}))")
            args += codes
        # A member that failed with no content of its own (an encrypted member) can only be
        # read again with its container: the container is extracted again, as if new.
        members = self.db.execute(
            f"SELECT parent_id, COUNT(*) FROM files WHERE {which} AND sha256 IS NULL "
            "AND parent_id IS NOT NULL GROUP BY parent_id", args).fetchall()
        for parent_id, _count in members:
            self._extract_again(parent_id)
        self.db.execute(
            "DELETE FROM contents WHERE status = 'failed' AND sha256 IN "
            f"(SELECT sha256 FROM files WHERE {which})", args)
        cursor = self.db.execute(
            "UPDATE files SET status = 'pending', error = NULL, error_code = NULL, "
            f"updated_at = ? WHERE {which} AND kind != 'dir'", [time.time(), *args])
        self.db.commit()
        return cursor.rowcount + sum(count for _parent, count in members)

    def _extract_again(self, file_id: int) -> None:
        """A container back in the queue, its content and its members forgotten: the next
        run extracts it again (with the passwords it is given) and records its members."""
        row = self.file(file_id)
        if row is None:
            return
        if row.sha256:
            self.db.execute("DELETE FROM contents WHERE sha256 = ?", (row.sha256,))
            self.db.execute("DELETE FROM content_children WHERE parent_sha256 = ?",
                            (row.sha256,))
        self.forget_members(file_id)
        self.db.execute(
            "UPDATE files SET status = 'pending', error = NULL, error_code = NULL, "
            "expanded = 0, updated_at = ? WHERE id = ?", (time.time(), file_id))

    # -- contents -------------------------------------------------------------------------------
    def content(self, sha256: str) -> Content | None:
        row = self.db.execute("SELECT * FROM contents WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            return None
        data = dict(row)
        data["metadata"] = json.loads(data["metadata"] or "{}")
        return Content(**data)

    def save_content(self, content: Content, children: list[ChildEntry]) -> None:
        data = {**content.__dict__, "metadata": json.dumps(content.metadata, default=str)}
        cols = ", ".join(data)
        marks = ", ".join("?" * len(data))
        self.db.execute(
            f"INSERT OR REPLACE INTO contents ({cols}) VALUES ({marks})", list(data.values())
        )
        self.db.execute("DELETE FROM content_children WHERE parent_sha256 = ?", (content.sha256,))
        self.db.executemany(
            "INSERT INTO content_children (parent_sha256, position, name, kind, sha256, size, "
            "mtime, status, error, error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(content.sha256, i, c.name, c.kind, c.sha256 or "", c.size, c.mtime, c.status,
              c.error, c.error_code) for i, c in enumerate(children)],
        )

    def content_children(self, sha256: str) -> list[ChildEntry]:
        rows = self.db.execute(
            "SELECT name, kind, NULLIF(sha256, '') AS sha256, size, mtime, status, error, "
            "error_code FROM content_children WHERE parent_sha256 = ? ORDER BY position",
            (sha256,),
        ).fetchall()
        return [ChildEntry(**dict(r)) for r in rows]

    # -- documents ------------------------------------------------------------------------------
    def ensure_document(self, dataset: Dataset, sha256: str) -> str:
        doc_id = document_id(dataset.name, sha256)
        self.db.execute(
            "INSERT INTO documents (id, dataset_id, sha256, indexed) VALUES (?, ?, ?, 0) "
            "ON CONFLICT (id) DO UPDATE SET indexed = 0",
            (doc_id, dataset.id, sha256),
        )
        return doc_id

    def unindexed_documents(self, dataset_id: int, limit: int = 500) -> list[tuple[str, str]]:
        rows = self.db.execute(
            "SELECT id, sha256 FROM documents WHERE dataset_id = ? AND indexed = 0 LIMIT ?",
            (dataset_id, limit),
        ).fetchall()
        return [(r["id"], r["sha256"]) for r in rows]

    def mark_indexed(self, doc_ids: Iterable[str]) -> None:
        self.db.executemany("UPDATE documents SET indexed = 1 WHERE id = ?",
                            [(d,) for d in doc_ids])

    def mark_unindexed(self, doc_ids: Iterable[str]) -> None:
        """These documents' index entries are out of date (their entities changed): the
        next `unindexed_documents` gives them, in this run or after a crash."""
        self.db.executemany("UPDATE documents SET indexed = 0 WHERE id = ?",
                            [(d,) for d in doc_ids])

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM documents WHERE id = ?", [(d,) for d in doc_ids])

    def document(self, doc_id: str) -> tuple[Dataset, Content] | None:
        row = self.db.execute(
            "SELECT dataset_id, sha256 FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        dataset = self.dataset_by_id(row["dataset_id"])
        content = self.content(row["sha256"])
        if dataset is None or content is None:
            return None
        return dataset, content

    def documents_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM documents WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "g", limit),
        ).fetchall()
        return [r["id"] for r in rows]

    def iter_documents(self, dataset_id: int) -> Iterator[tuple[str, str]]:
        yield from self.db.execute(
            "SELECT id, sha256 FROM documents WHERE dataset_id = ? ORDER BY id", (dataset_id,)
        )

    def blob_keys(self) -> Iterator[tuple[str, str]]:
        """(key, what) of every blob the catalog names: extracted texts, and the bytes of
        the archive members and attachments that were extracted (`trawl verify`)."""
        yield from ((r[0], "text") for r in self.db.execute(
            "SELECT DISTINCT text_key FROM contents WHERE text_key IS NOT NULL"))
        yield from ((r[0], "member") for r in self.db.execute(
            "SELECT DISTINCT sha256 FROM content_children WHERE sha256 != '' "
            "AND status IS NULL"))

    def walked_files(self, dataset_id: int) -> Iterator[tuple[str, str]]:
        """(path, sha256) of the dataset's files read from disk (not members), for checking
        the originals against their hashes."""
        yield from ((r[0], r[1]) for r in self.db.execute(
            "SELECT path, sha256 FROM files WHERE dataset_id = ? AND parent_id IS NULL "
            "AND kind = 'file' AND sha256 IS NOT NULL ORDER BY id", (dataset_id,)))

    def count_documents(self, dataset_id: int) -> int:
        return self.db.execute("SELECT COUNT(*) FROM documents WHERE dataset_id = ?",
                               (dataset_id,)).fetchone()[0]

    def reset_all_indexed(self) -> None:
        """Every document of every dataset must be indexed again (the index is rebuilt)."""
        self.db.execute("UPDATE documents SET indexed = 0")
        self.db.commit()

    # -- background jobs (derive/jobs.py) -------------------------------------------------------
    def add_job(self, kind: str, dataset: str | None, detail: dict[str, Any],
                requested_by: str | None) -> Job:
        cursor = self.db.execute(
            "INSERT INTO jobs (kind, dataset, detail, state, requested_by, created_at) "
            "VALUES (?, ?, ?, 'queued', ?, ?)",
            (kind, dataset, json.dumps(detail), requested_by, time.time()))
        self.db.commit()
        job = self.job(int(cursor.lastrowid or 0))
        assert job is not None
        return job

    def job(self, job_id: int) -> Job | None:
        found = self.jobs(limit=1, job_id=job_id)
        return found[0] if found else None

    def jobs(self, limit: int = 20, unfinished: bool = False,
             job_id: int | None = None) -> list[Job]:
        """The newest jobs first (only those queued or running, if `unfinished`)."""
        where, args = [], []
        if unfinished:
            where.append("state IN ('queued', 'running')")
        if job_id is not None:
            where.append("id = ?")
            args.append(job_id)
        sql = "SELECT * FROM jobs" + (" WHERE " + " AND ".join(where) if where else "")
        try:
            rows = self.db.execute(f"{sql} ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        except sqlite3.OperationalError:  # a read-only catalog made before jobs existed
            return []
        return [_job(r) for r in rows]

    def update_job(self, job_id: int, *, state: str | None = None, done: int | None = None,
                   total: int | None = None, message: str | None = None,
                   error: str | None = None) -> None:
        now = time.time()
        self.db.execute(
            "UPDATE jobs SET state = COALESCE(?, state), done = COALESCE(?, done), "
            "total = COALESCE(?, total), message = COALESCE(?, message), "
            "error = COALESCE(?, error), "
            "started_at = CASE WHEN ? = 'running' THEN ? ELSE started_at END, "
            "finished_at = CASE WHEN ? IN ('done', 'failed', 'interrupted') THEN ? "
            "ELSE finished_at END WHERE id = ?",
            (state, done, total, message, error, state, now, state, now, job_id))
        self.db.commit()

    def interrupt_unfinished_jobs(self) -> int:
        """Jobs left queued or running by a process that is gone (at a server's start)."""
        cursor = self.db.execute(
            "UPDATE jobs SET state = 'interrupted', finished_at = ? "
            "WHERE state IN ('queued', 'running')", (time.time(),))
        self.db.commit()
        return cursor.rowcount

    # -- reporting ------------------------------------------------------------------------------
    def counts_by_status(self, dataset_id: int) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT status, COUNT(*) AS n FROM files WHERE dataset_id = ? GROUP BY status",
            (dataset_id,),
        ).fetchall()
        counts = {state: 0 for state in ("pending", *FINAL_STATES)}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts

    def counts_by_family(self, dataset_id: int) -> dict[str, dict[str, int]]:
        rows = self.db.execute(
            "SELECT COALESCE(c.family, 'unknown') AS family, f.status, COUNT(*) AS n "
            "FROM files f LEFT JOIN contents c ON c.sha256 = f.sha256 "
            "WHERE f.dataset_id = ? GROUP BY 1, 2 ORDER BY 1",
            (dataset_id,),
        ).fetchall()
        out: dict[str, dict[str, int]] = {}
        for r in rows:
            out.setdefault(r["family"], {})[r["status"]] = r["n"]
        return out

    def latest_errors(self, dataset_id: int, limit: int = 10) -> list[FileRow]:
        rows = self.db.execute(
            "SELECT * FROM files WHERE dataset_id = ? AND status = 'failed' "
            "ORDER BY updated_at DESC, id DESC LIMIT ?",
            (dataset_id, limit),
        ).fetchall()
        return [FileRow(**dict(r)) for r in rows]

    def errors_by_reason(self, dataset_id: int, status: str = "failed", limit: int = 20,
                         code: str | None = None) -> list[tuple[str, int]]:
        """(message, paths) of the failed (or skipped) paths, most common first; with `code`,
        only those of that code (the detail under one code)."""
        where, args = self.code_condition(code)
        rows = self.db.execute(
            "SELECT COALESCE(error, '') AS reason, COUNT(*) AS n FROM files "
            f"WHERE dataset_id = ? AND status = ?{where} GROUP BY 1 ORDER BY n DESC, 1 "
            "LIMIT ?", (dataset_id, status, *args, limit),
        ).fetchall()
        return [(r["reason"], r["n"]) for r in rows]

    def errors_by_code(self, dataset_id: int, status: str = "failed") -> list[tuple[str, int]]:
        """(code, paths) of the failed (or skipped) paths, most common first; rows without a
        code count as trawl.errors.UNKNOWN."""
        code = "COALESCE(error_code, ?)" if self.has_codes else "?"
        rows = self.db.execute(
            f"SELECT {code} AS code, COUNT(*) AS n FROM files WHERE dataset_id = ? "
            "AND status = ? GROUP BY 1 ORDER BY n DESC, 1", (UNKNOWN, dataset_id, status),
        ).fetchall()
        return [(r["code"], r["n"]) for r in rows]

    def code_condition(self, code: str | None) -> tuple[str, tuple[str, ...]]:
        """The SQL condition (and its parameters) for "the row's code is `code`"."""
        if code is None:
            return "", ()
        if not self.has_codes:  # nothing has a code yet: everything is unknown
            return ("", ()) if code == UNKNOWN else (" AND 0", ())
        return " AND COALESCE(error_code, ?) = ?", (UNKNOWN, code)

    def totals(self, dataset_id: int) -> dict[str, int]:
        row = self.db.execute(
            "SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes, "
            "COUNT(DISTINCT sha256) AS contents FROM files WHERE dataset_id = ?",
            (dataset_id,),
        ).fetchone()
        return dict(row)

    # -- dataset settings and OCR ---------------------------------------------------------------
    def dataset_settings(self, dataset_id: int) -> dict[str, str]:
        try:
            rows = self.db.execute(
                "SELECT key, value FROM dataset_settings WHERE dataset_id = ?", (dataset_id,)
            ).fetchall()
        except sqlite3.OperationalError:  # a read-only catalog made before the table
            return {}
        return {r["key"]: r["value"] for r in rows}

    def delete_dataset_setting(self, dataset_id: int, key: str) -> None:
        self.db.execute("DELETE FROM dataset_settings WHERE dataset_id = ? AND key = ?",
                        (dataset_id, key))

    def set_dataset_setting(self, dataset_id: int, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO dataset_settings (dataset_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (dataset_id, key) DO UPDATE SET value = excluded.value",
            (dataset_id, key, value),
        )

    # OCR's state is in the content's metadata ("ocr": "pending" | "done", and the pages):
    # a content is shared by every dataset and path that holds it, and so is its text.
    _OCR_PENDING = (
        "FROM contents c JOIN documents d ON d.sha256 = c.sha256 WHERE d.dataset_id = ? "
        "AND c.status = 'done' AND json_extract(c.metadata, '$.ocr') = 'pending'"
    )

    def contents_needing_ocr(self, dataset_id: int) -> list[tuple[str, int]]:
        """(sha256, pages to OCR) of the dataset's contents whose OCR has not run."""
        try:
            rows = self.db.execute(
                "SELECT c.sha256, COALESCE(json_array_length(c.metadata, "
                f"'$.pages_needing_ocr'), 0) AS pages {self._OCR_PENDING} ORDER BY c.sha256",
                (dataset_id,),
            ).fetchall()
        except sqlite3.OperationalError:  # SQLite without JSON functions (before 3.38)
            return []
        return [(r["sha256"], r["pages"]) for r in rows]

    def ocr_backlog(self, dataset_id: int) -> dict[str, int]:
        """Documents of the dataset waiting for OCR, and their pages to read."""
        pending = self.contents_needing_ocr(dataset_id)
        return {"documents": len(pending), "pages": sum(pages for _, pages in pending)}

    def reset_indexed(self, sha256: str) -> None:
        """The documents of a content (in every dataset) must be indexed again: its text
        changed (OCR). The next run of each dataset re-indexes them."""
        self.db.execute("UPDATE documents SET indexed = 0 WHERE sha256 = ?", (sha256,))

    # -- tables ---------------------------------------------------------------------------------
    def table_files(self, dataset_id: int) -> list[TableFile]:
        """The indexed files of a dataset whose content holds tables, by path: CSV/TSV and
        workbooks by type, or a text file named .csv (as `is_table_content` says)."""
        mimes = sorted(CSV_MIMES | WORKBOOK_MIMES)
        names = " OR ".join("lower(f.path) LIKE ?" for _ in CSV_SUFFIXES)
        rows = self.db.execute(
            "SELECT f.path, f.sha256, f.parent_id, c.mime, c.metadata FROM files f "
            "JOIN contents c ON c.sha256 = f.sha256 WHERE f.dataset_id = ? "
            "AND f.status = 'indexed' AND c.status = 'done' AND "
            f"(c.mime IN ({', '.join('?' * len(mimes))}) OR c.family = 'spreadsheet' "
            f"OR (c.mime = 'text/plain' AND ({names}))) ORDER BY f.path",
            (dataset_id, *mimes, *(f"%{suffix}" for suffix in CSV_SUFFIXES))).fetchall()
        return [TableFile(row["path"], row["sha256"], row["parent_id"], row["mime"] or "",
                          json.loads(row["metadata"] or "{}").get("encrypted") is True)
                for row in rows]

    def has_files_updated_since(self, dataset_id: int, folder: str, since: float) -> bool:
        """Whether a path under `folder` ("" for the whole dataset) changed after `since`."""
        low, high = _folder_range(folder)
        return self.db.execute(
            "SELECT 1 FROM files WHERE dataset_id = ? AND path >= ? AND path < ? "
            "AND updated_at > ? LIMIT 1", (dataset_id, low, high, since)).fetchone() is not None

    def files_under(self, dataset_id: int, folder: str, limit: int
                    ) -> list[tuple[str, str | None]]:
        """(path, sha256) of at most `limit` paths under `folder`, folders left out."""
        low, high = _folder_range(folder)
        rows = self.db.execute(
            "SELECT path, sha256 FROM files WHERE dataset_id = ? AND path >= ? "
            "AND path < ? AND kind != 'dir' LIMIT ?", (dataset_id, low, high, limit))
        return [(path, sha256) for path, sha256 in rows]


def _folder_range(folder: str) -> tuple[str, str]:
    """The bounds of the paths under `folder`, a range on the (dataset_id, path) index: '0'
    is the character after '/'."""
    return (folder + "/", folder + "0") if folder else ("", "\U0010ffff")


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    data["detail"] = json.loads(data["detail"] or "{}")
    return Job(**data)
