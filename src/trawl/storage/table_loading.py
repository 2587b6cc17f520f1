"""Loading staged files into `tables.sqlite`: many files per transaction, each in a savepoint.

The coordinator loads the tables of thousands of small files at the end of a run. A commit
and an ATTACH per file cost more than copying the rows of those small tables, so files go in
transactions of `LOAD_BATCH_FILES`, each file in a savepoint (its tables go in whole or not at
all), and staging files (storage/table_staging.py) are attached several at a time; their
rows are copied with INSERT ... SELECT, at C speed. ATTACH needs no open transaction: each
one ends the current transaction.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from trawl.storage.table_staging import META_TABLE, rows_table
from trawl.storage.tables import StoreError, TableInfo, TableStore, quote_ident

LOAD_BATCH_FILES = 1000        # table files loaded per transaction
MAX_ATTACHED = 9               # SQLite allows ten databases besides the main one
CACHE_KB = 64 * 1024           # page cache of the writer, in KiB

T = TypeVar("T")


class TableLoader:
    """Where a run's table files are written: `load_file` each, then `end`."""

    def __init__(self, store: TableStore) -> None:
        self.store = store
        self.files = 0
        self.attached: dict[Path, str] = {}  # staging file -> its schema name
        # Each CREATE TABLE reads the whole schema (SQLite looks the new table up in
        # sqlite_master, a scan): with thousands of tables, the 2 MB default cache no
        # longer holds it, and every table created read it from the file again.
        store.db.execute(f"PRAGMA cache_size={-CACHE_KB}")

    # -- staging files --------------------------------------------------------------------------
    def attach(self, staged: Path, upcoming: Callable[[], Iterable[Path]]) -> None:
        """Make a staging file readable (`staged_tables`, `copy_staged_rows`): attached, if
        it is not yet, with the staging files of the next table files (`upcoming`)."""
        if staged in self.attached:
            return
        self.end()
        self._attach(staged)
        for path in upcoming():
            if len(self.attached) >= MAX_ATTACHED:
                break
            if path not in self.attached:
                # A file that fails here is tried again, and reported, at its turn.
                with contextlib.suppress(StoreError):
                    self._attach(path)

    def _attach(self, path: Path) -> None:
        name = f"staged{len(self.attached)}"
        # A plain path (a URI would need the connection opened with URIs enabled).
        self.store.db.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
        self.attached[path] = name

    def staged_tables(self, staged: Path) -> list[dict[str, Any]]:
        """The table descriptions of an attached staging file, in table order."""
        rows = self.store.db.execute(
            f"SELECT info FROM {self.attached[staged]}.{META_TABLE} ORDER BY sheet")
        return [json.loads(text) for (text,) in rows.fetchall()]

    def copy_staged_rows(self, info: TableInfo, staged: Path, index: int) -> None:
        """The rows of table `index` of an attached staging file into `info`'s table (made
        by `create_rows_table`: the same columns)."""
        self.store.db.execute(f"INSERT INTO {quote_ident(info.sql_name)} "
                              f"SELECT * FROM {self.attached[staged]}.{rows_table(index)}")

    # -- transactions ---------------------------------------------------------------------------
    def load_file(self, load: Callable[[], T]) -> T:
        """Run `load` (the writes of one table file) in a savepoint: all of it or nothing."""
        db = self.store.db
        self.store.begin()
        db.execute("SAVEPOINT table_file")
        try:
            loaded = load()
        except BaseException as exc:
            if not db.in_transaction:
                # SQLite rolled the whole batch back (disk full, I/O error): the files
                # before this one are lost too, so stop; their staged files are kept.
                raise RuntimeError("tables.sqlite: a write failed, the batch is lost") from exc
            db.execute("ROLLBACK TO table_file")
            db.execute("RELEASE table_file")
            raise
        db.execute("RELEASE table_file")
        self.files += 1
        if self.files >= LOAD_BATCH_FILES:
            self.store.commit()
            self.files = 0
        return loaded

    def end(self) -> None:
        """Commit, and detach every staging file."""
        self.store.commit()
        self.files = 0
        for name in self.attached.values():
            self.store.db.execute(f"DETACH DATABASE {name}")
        self.attached.clear()
