"""Write-ahead logging for every SQLite file of Trawl's that several connections share.

WAL lets readers (the web, `trawl status`) read while one writer writes. Turning it on is
the one statement SQLite does not retry through its busy handler: when two connections open a
new file at the same moment (two server threads, a server and an ingestion), the second's
`PRAGMA journal_mode=WAL` can fail at once with "database is locked". The mode is stored in
the file, so once one connection has set it the others only need to see it: retry briefly.
"""

from __future__ import annotations

import sqlite3
import time

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
