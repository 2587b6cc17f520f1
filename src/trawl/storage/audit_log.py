"""The SQL of the audit log, `<data-dir>/audit.sqlite`: its schema, its connections, its one
write transaction and every statement. access/audit.py signs and verifies the entries (the
HMAC chain), decides retention and pruning, and formats exports; this module stores rows of
plain values in `COLUMNS` order and reads them back, and computes no mac.

Design
------
* One SQLite file apart from the catalog and the accounts: it is written by every request
  (the catalog by one coordinator), it is kept under its own retention, and it can be copied
  off the machine on its own. WAL lets admins read and verify while the web appends;
  ``synchronous=NORMAL`` makes a commit a write to the WAL without an fsync (a power cut may
  lose the last entries, never corrupt the file: for the chain that looks like a truncated
  tail).
* ``audit_log(id, at, actor, action, dataset, target, detail, ip, prev, mac)``: ``at`` is UTC
  ISO 8601 text of fixed width, so text order is time order and the time filters are text
  comparisons; ``detail`` is the canonical JSON text that was signed.
* Appending is one short transaction (`write()`): ``BEGIN IMMEDIATE`` (SQLite's write lock,
  so web workers and a CLI in other processes take turns), read the newest (id, mac) by
  primary key, insert, commit; no reading of the log. Threads of one process also take an
  in-process lock first, so they queue on a mutex instead of polling SQLite's busy handler;
  reads use one connection per thread (`reader()`) and never wait for writers.
* Triggers RAISE on UPDATE and on DELETE of ``audit_log``: a stray ``UPDATE`` or a tool that
  "cleans up" fails loudly. `LogConnection.delete_through` is the one way out: inside the
  write transaction it sets a ``pruning`` row in ``audit_meta`` that the DELETE trigger
  tests, deletes, and removes the row before the commit, so the flag is never visible to any
  other connection. (A flag rather than dropping the trigger: no schema change, so other
  connections keep their prepared statements.) Triggers stop accidents, not attackers:
  whoever can write the file can drop them; the chain is what catches that.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trawl.storage.wal import use_wal

COLUMNS = ("id", "at", "actor", "action", "dataset", "target", "detail", "ip", "prev", "mac")
_COLUMNS = ", ".join(COLUMNS)
_BUSY_TIMEOUT_S = 30.0

Row = tuple[Any, ...]  # one entry's values, in COLUMNS order (detail as JSON text)

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,           -- UTC, ISO 8601, fixed width
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    dataset TEXT,
    target TEXT,
    detail TEXT NOT NULL,       -- canonical JSON object
    ip TEXT,
    prev TEXT NOT NULL,
    mac TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor, id);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log(action, id);
CREATE INDEX IF NOT EXISTS audit_log_dataset ON audit_log(dataset, id);
CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_meta WHERE key = 'pruning')
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: entries leave only through prune()');
END;
"""


class AuditError(RuntimeError):
    """The log cannot be used as asked: its key is missing or broken, it was tampered with,
    or it is closed."""


@dataclass(frozen=True)
class Filter:
    """Which entries: `since` inclusive, `until` exclusive (both as stored `at` text)."""

    since: str | None = None
    until: str | None = None
    actor: str | None = None
    action: str | None = None
    dataset: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (("at >= ?", self.since), ("at < ?", self.until),
                              ("actor = ?", self.actor), ("action = ?", self.action),
                              ("dataset = ?", self.dataset)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE to write).
    # check_same_thread=False only so that close() may close every thread's connection.
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
    use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class LogConnection:
    """The statements of the log, on one connection: the writer's inside `write()`, or a
    thread's reader."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # -- reading -------------------------------------------------------------------------------
    def head(self) -> tuple[int, str] | None:
        """The id and mac of the newest entry; None when the log is empty."""
        row = self._conn.execute(
            "SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def retention_days(self) -> int | None:
        row = self._conn.execute(
            "SELECT value FROM audit_meta WHERE key = 'retention_days'").fetchone()
        return int(row[0]) if row else None

    def rows(self, where: Filter | None = None, *, newest_first: bool = False,
             limit: int | None = None, offset: int = 0) -> Iterator[Row]:
        """The matching entries in id order (a cursor: a long export streams)."""
        sql, params = (where or Filter()).where()
        sql = f"SELECT {_COLUMNS} FROM audit_log{sql} ORDER BY id " \
              f"{'DESC' if newest_first else 'ASC'}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [max(0, limit), max(0, offset)]
        yield from self._conn.execute(sql, params)

    def count(self, where: Filter | None = None) -> int:
        sql, params = (where or Filter()).where()
        return self._conn.execute(f"SELECT count(*) FROM audit_log{sql}", params).fetchone()[0]

    def rows_through(self, last_id: int) -> Iterator[Row]:
        """The entries up to `last_id`, in id order."""
        yield from self._conn.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE id <= ? ORDER BY id", (last_id,))

    def prune_rows(self) -> Iterator[Row]:
        """The entries of action `prune` (they say what earlier prunes removed)."""
        yield from self._conn.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE action = 'prune'")

    def mac(self, entry_id: int) -> str:
        return self._conn.execute("SELECT mac FROM audit_log WHERE id = ?",
                                  (entry_id,)).fetchone()[0]

    def prune_boundary(self, cutoff: str) -> int | None:
        """The last id of the prefix older than `cutoff`: entries before the first young one,
        so a clock that went back never makes a hole in the middle of the chain. None when
        no entry is that old."""
        first, last = self._conn.execute("SELECT min(id), max(id) FROM audit_log").fetchone()
        young = self._conn.execute("SELECT min(id) FROM audit_log WHERE at >= ?",
                                   (cutoff,)).fetchone()[0]
        through = last if young is None else young - 1
        return through if first is not None and through >= first else None

    # -- writing (inside `AuditLogStore.write()` only) ------------------------------------------
    def append(self, row: Row) -> None:
        placeholders = ", ".join("?" * len(COLUMNS))
        self._conn.execute(f"INSERT INTO audit_log ({_COLUMNS}) VALUES ({placeholders})", row)

    def set_retention_days(self, days: int | None) -> None:
        if days is None:
            self._conn.execute("DELETE FROM audit_meta WHERE key = 'retention_days'")
        else:
            self._conn.execute("INSERT OR REPLACE INTO audit_meta VALUES ('retention_days', ?)",
                               (str(days),))

    def delete_through(self, last_id: int) -> int:
        """Delete the entries up to `last_id`, past the DELETE trigger; how many."""
        self._conn.execute("INSERT INTO audit_meta VALUES ('pruning', '1')")
        removed = self._conn.execute("DELETE FROM audit_log WHERE id <= ?",
                                     (last_id,)).rowcount
        self._conn.execute("DELETE FROM audit_meta WHERE key = 'pruning'")
        return removed


class AuditLogStore:
    """The audit database of one data directory. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        self._writer = _connect(self.path)
        self._create_schema()

    def _create_schema(self) -> None:
        # executescript() commits first and runs its own statements: the transaction is in
        # the script, so two processes opening a new log at once create it once.
        conn = self._writer
        try:
            conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            raise

    def empty(self) -> bool:
        """Whether the log has no entry (asked on the writer's connection, at opening)."""
        return LogConnection(self._writer).head() is None

    @contextlib.contextmanager
    def write(self) -> Iterator[LogConnection]:
        """The write transaction: this process's threads queue on the lock, other processes
        on SQLite's write lock (BEGIN IMMEDIATE takes it before the head is read). Commits
        when the block ends, rolls back when it raises."""
        with self._write_lock:
            self._check_open()
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield LogConnection(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def reader(self) -> LogConnection:
        """This thread's read connection: WAL readers never wait for the writer."""
        return LogConnection(self._reader())

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[LogConnection]:
        """One read transaction: a long verify or export sees one state of the log, however
        many entries are appended or pruned meanwhile."""
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            yield LogConnection(conn)
        finally:
            conn.execute("ROLLBACK")

    def _reader(self) -> sqlite3.Connection:
        self._check_open()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self.path)
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _check_open(self) -> None:
        if self._closed:
            raise AuditError("the audit log is closed")

    def close(self) -> None:
        with self._write_lock, self._readers_lock:
            if self._closed:
                return
            self._closed = True
            for conn in (self._writer, *self._readers):
                conn.close()
            self._readers.clear()
