"""Write-ahead logging for every SQLite file of Trawl's that several connections share.

WAL lets readers (the web, `trawl status`) read while one writer writes. Turning it on is
the one statement SQLite does not retry through its busy handler: when two connections open a
new file at the same moment (two server threads, a server and an ingestion), the second's
`PRAGMA journal_mode=WAL` can fail at once with "database is locked". The mode is stored in
the file, so once one connection has set it the others only need to see it: retry briefly.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

WAL_RETRY_S = 30.0


def use_wal(conn: sqlite3.Connection, timeout_s: float = WAL_RETRY_S) -> None:
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class ThreadConnections:
    """One connection per thread to a SQLite file in WAL (the web serves requests from a
    thread pool, and a connection is not to be shared between threads), in autocommit:
    `with self.tx() as db:` is one BEGIN IMMEDIATE transaction, which takes the write lock
    up front, so two writers never both read and then fail to upgrade mid-transaction."""

    def __init__(self, path: Path, foreign_keys: bool = False) -> None:
        self.path = path
        self._foreign_keys = foreign_keys
        self._local = threading.local()

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (made on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            use_wal(db)
            if self._foreign_keys:
                db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def tx(self) -> sqlite3.Connection:
        """`with self.tx() as db:` one IMMEDIATE transaction (sqlite3's context manager
        commits or rolls back)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
