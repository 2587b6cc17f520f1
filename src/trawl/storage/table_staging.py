"""The staging file: the temporary SQLite file in which a worker writes one content's tables.

Written by `ingestion/tables/stage.py` (which decides the types and the conversions), read by
`TableLoader` (storage/table_loading.py), which copies its tables into `tables.sqlite` at C
speed, and then deleted. Layout: ``meta(sheet, info)`` with one JSON description per table,
and ``t_<sheet>`` with its rows in the exact column order of `tables.sqlite` (``_row``, the
columns, ``_flags``, ``_extra``).

Why in memory for small files: creating and writing a database file page by page cost more
than reading the small tables most files hold; their image is written with one call. Big
files are staged on disk, as their image would double the worker's memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from trawl.storage.tables import EXTRA, FLAGS, ROW, SQL_TYPES, quote_ident

META_TABLE = "meta"


def rows_table(index: int) -> str:
    """The name of the table of the rows of table `index` in a staging file."""
    return f"t_{int(index)}"


class StagingFile:
    """One staging file being written: `create`, fill, `save` (then `close`, always)."""

    def __init__(self, out: Path, in_memory: bool,
                 functions: dict[str, tuple[int, Callable[..., Any]]] | None = None) -> None:
        self.out = Path(out)
        self.in_memory = in_memory
        self.out.parent.mkdir(parents=True, exist_ok=True)
        # Written whole beside the target, then renamed into place: a reader never sees half.
        self.part = self.out.with_name(self.out.name + f".{os.getpid()}.part")
        if not in_memory:
            self.part.unlink(missing_ok=True)
        self._db = sqlite3.connect(":memory:" if in_memory else self.part)
        if not in_memory:
            # A scratch file: no journal, no fsync (a crash only costs a re-parse).
            self._db.execute("PRAGMA journal_mode=OFF")
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute("PRAGMA cache_size=-65536")
        # The conversions' own functions (a date parser), callable from their expressions.
        for name, (arity, function) in (functions or {}).items():
            self._db.create_function(name, arity, function, deterministic=True)
        self._db.execute(f"CREATE TABLE {META_TABLE} (sheet INTEGER PRIMARY KEY, "
                         "info TEXT NOT NULL)")

    def close(self) -> None:
        self._db.close()

    def save(self) -> None:
        """Commit, and put the file in place of any older one."""
        self._db.commit()
        if self.in_memory:
            self.part.write_bytes(self._db.serialize())
        self._db.close()
        os.replace(self.part, self.out)

    # -- the rows of one table ------------------------------------------------------------------
    def create_rows(self, index: int, columns: list[tuple[str, str]]) -> None:
        """The rows table of table `index`: (SQL name, type) per column, between ``_row`` and
        ``_flags``, ``_extra``."""
        defs = ", ".join(f"{quote_ident(name)} {SQL_TYPES[kind]}" for name, kind in columns)
        self._db.execute(f"CREATE TABLE {rows_table(index)} ({ROW} INTEGER PRIMARY KEY, "
                         f"{defs}, {FLAGS} TEXT, {EXTRA} TEXT)")

    def drop_rows(self, index: int) -> None:
        self._db.execute(f"DROP TABLE {rows_table(index)}")

    def insert_rows(self, index: int, width: int, rows: Iterable[Iterable[Any]]) -> None:
        """Rows of `width` cells, then their flags and extra cells; numbered in order."""
        self._db.executemany(f"INSERT INTO {rows_table(index)} VALUES (NULL, "
                             f"{', '.join('?' * (width + 2))})", rows)

    def convert_column(self, index: int, column: str, expression: str,
                       text_only: bool = False) -> None:
        """Every cell of `column` replaced by `expression` of it (the conversion that the
        caller's inference chose); `text_only`: only cells that are still text."""
        q = quote_ident(column)
        where = f" WHERE typeof({q}) = 'text'" if text_only else ""
        self._db.execute(f"UPDATE {rows_table(index)} SET {q} = {expression}{where}")

    def distinct_count(self, index: int, column: str) -> int:
        """The number of distinct values of `column` (NULL not counted)."""
        return self._db.execute(f"SELECT COUNT(DISTINCT {quote_ident(column)}) "
                                f"FROM {rows_table(index)}").fetchone()[0]

    # -- descriptions ---------------------------------------------------------------------------
    def write_meta(self, metas: list[dict[str, Any]]) -> None:
        """One JSON description per table, by its "index" (replacing an earlier one)."""
        self._db.executemany(f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?)",
                             [(m["index"], json.dumps(m)) for m in metas])

