"""The SQL of `<data-dir>/annotations.sqlite`: readers' tags and notes on documents and on
rows of tables. access/annotations.py decides who may see and change which; search/
annotations.py reads and writes through it; this module stores and lists what it is given.

Design
------
* A file of its own, beside `access.sqlite`, on purpose: `trawl reindex` rebuilds the index
  from the catalog and never touches it, and re-ingesting a dataset keeps document ids
  (a hash of the dataset and the content) and tables' row numbers, so tags and notes stay
  on what they were put on. Nothing of it is in the index: tags are per reader, so a search
  asks here, at read time, for the ids a reader's tag names (search/annotations.py).
* A target is (dataset, target): a document's id, or `row:TABLE:ROW` for a row of a table,
  the id the index gives a row hit; `kind` says which, so a row's tags are listed apart.
* Each tag and note has an author (an account's name, or `cli:<os user>`), a group it is
  shared with (NULL: private to its author) and its times. A tag is unique per target,
  name and author: adding it again only updates its sharing and time.
* Listing always takes the reader's visibility as values (`Visible`: every author, or an
  author and their groups) and, where a search needs it, the datasets to look in: the SQL
  filters, so nothing a reader may not see is read out and dropped later.
* WAL and one connection per thread (wal.py's ThreadConnections, as accounts.py: the web
  writes here from its pool).
  Each write is one BEGIN IMMEDIATE transaction. Schema changes are recorded in
  `PRAGMA user_version` and applied in order by `_migrate` when a file is opened.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from trawl.storage.wal import ThreadConnections

# Each step brings a file from version N-1 to N (index N-1 of the list): its statements,
# run in one transaction with the new version number.
MIGRATIONS: list[tuple[str, ...]] = [(
    """CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        dataset TEXT NOT NULL,
        kind TEXT NOT NULL,               -- 'document' | 'row'
        target TEXT NOT NULL,             -- a document id, or row:TABLE:ROW
        name TEXT NOT NULL,
        author TEXT NOT NULL,
        shared_with TEXT,                 -- a group's name, or NULL: private to the author
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (name, dataset, target, author)  -- also what a search reads: a name's targets
    )""",
    "CREATE INDEX tags_target ON tags (dataset, target)",
    "CREATE INDEX tags_author ON tags (author, name)",
    "CREATE INDEX tags_shared ON tags (shared_with, name) WHERE shared_with IS NOT NULL",
    """CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        dataset TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        text TEXT NOT NULL,
        author TEXT NOT NULL,
        shared_with TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX notes_target ON notes (dataset, target)",
    "CREATE INDEX notes_author ON notes (author, updated_at)",
)]
SCHEMA_VERSION = len(MIGRATIONS)
KINDS = ("document", "row")


@dataclass(frozen=True)
class Visible:
    """Whose annotations a reader sees: every author's (`everyone`: the data folder's owner
    at the terminal), else `author`'s own and those shared with one of `groups`."""

    author: str | None = None
    groups: frozenset[str] = frozenset()
    everyone: bool = False


@dataclass(frozen=True)
class Tag:
    id: int
    dataset: str
    kind: str
    target: str
    name: str
    author: str
    shared_with: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Note:
    id: int
    dataset: str
    kind: str
    target: str
    text: str
    author: str
    shared_with: str | None
    created_at: float
    updated_at: float


class AnnotationStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = ThreadConnections(path)
        self._migrate()

    @property
    def db(self) -> sqlite3.Connection:
        return self._connections.db

    def _tx(self) -> sqlite3.Connection:
        return self._connections.tx()

    def _migrate(self) -> None:
        """The missing steps, each in one transaction with its version number; the version
        is read inside it, so a second process opening the file at the same time waits,
        then finds nothing left to do."""
        while True:
            with self._tx() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version >= SCHEMA_VERSION:
                    return
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")

    def close(self) -> None:
        self._connections.close()

    # -- tags ---------------------------------------------------------------------------------
    def add_tag(self, dataset: str, kind: str, target: str, name: str, author: str,
                shared_with: str | None, now: float) -> Tag:
        """The tag (new, or the author's same tag with its new sharing and time)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO tags (dataset, kind, target, name, author, shared_with, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name, dataset, target, author) DO UPDATE SET "
                "shared_with = excluded.shared_with, updated_at = excluded.updated_at",
                (dataset, kind, target, name, author, shared_with, now, now))
            row = db.execute("SELECT * FROM tags WHERE dataset = ? AND target = ? AND name = ? "
                             "AND author = ?", (dataset, target, name, author)).fetchone()
        return Tag(**dict(row))

    def remove_tag(self, dataset: str, target: str, name: str, author: str) -> bool:
        """False when the author had no such tag there."""
        with self._tx() as db:
            return db.execute("DELETE FROM tags WHERE dataset = ? AND target = ? AND name = ? "
                              "AND author = ?", (dataset, target, name, author)).rowcount > 0

    def tags_of(self, dataset: str, target: str, visible: Visible) -> list[Tag]:
        where, args = _visible(visible)
        rows = self.db.execute(f"SELECT * FROM tags WHERE dataset = ? AND target = ? AND {where} "
                               "ORDER BY name, created_at", (dataset, target, *args)).fetchall()
        return [Tag(**dict(r)) for r in rows]

    def tags(self, datasets: list[str], visible: Visible, kind: str | None = None,
             limit: int = 1000) -> list[Tag]:
        """The tags in these datasets the reader sees, newest first."""
        where, args = _visible(visible)
        sql, more = _in("dataset", datasets)
        if kind is not None:
            sql, more = sql + " AND kind = ?", [*more, kind]
        rows = self.db.execute(f"SELECT * FROM tags WHERE {sql} AND {where} "
                               "ORDER BY updated_at DESC, id DESC LIMIT ?",
                               (*more, *args, limit)).fetchall()
        return [Tag(**dict(r)) for r in rows]

    def targets(self, names: list[str], datasets: list[str], visible: Visible, kind: str,
                limit: int) -> list[tuple[str, str]]:
        """(tag name, target) of what carries each of the tags `names` in these datasets,
        for this reader (whoever of those they see put it there), at most `limit` a tag."""
        where, args = _visible(visible)
        sql, more = _in("dataset", datasets)
        out: list[tuple[str, str]] = []
        for name in names:  # one indexed lookup a name, each bounded by the limit
            rows = self.db.execute(f"SELECT DISTINCT target FROM tags WHERE name = ? "
                                   f"AND kind = ? AND {sql} AND {where} LIMIT ?",
                                   (name, kind, *more, *args, limit)).fetchall()
            out += [(name, r["target"]) for r in rows]
        return out

    def names(self, prefix: str, datasets: list[str], visible: Visible, limit: int,
              kind: str | None = None) -> list[tuple[str, int]]:
        """Tag names starting with `prefix` the reader sees in these datasets, with how
        many targets carry each, most used first."""
        where, args = _visible(visible)
        sql, more = _in("dataset", datasets)
        if kind is not None:
            sql, more = sql + " AND kind = ?", [*more, kind]
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.execute(
            f"SELECT name, count(DISTINCT dataset || '/' || target) AS n FROM tags "
            f"WHERE name LIKE ? ESCAPE '\\' AND {sql} AND {where} GROUP BY name "
            "ORDER BY n DESC, name LIMIT ?", (escaped + "%", *more, *args, limit)).fetchall()
        return [(r["name"], int(r["n"])) for r in rows]

    # -- notes --------------------------------------------------------------------------------
    def add_note(self, dataset: str, kind: str, target: str, text: str, author: str,
                 shared_with: str | None, now: float) -> Note:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO notes (dataset, kind, target, text, author, shared_with, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (dataset, kind, target, text, author, shared_with, now, now))
            row = db.execute("SELECT * FROM notes WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return Note(**dict(row))

    def note(self, note_id: int) -> Note | None:
        row = self.db.execute("SELECT * FROM notes WHERE id = ?", (note_id,)).fetchone()
        return Note(**dict(row)) if row else None

    def update_note(self, note_id: int, author: str, text: str, shared_with: str | None,
                    now: float) -> Note | None:
        """The note changed, or None when `author` has no note of that id."""
        with self._tx() as db:
            changed = db.execute("UPDATE notes SET text = ?, shared_with = ?, updated_at = ? "
                                 "WHERE id = ? AND author = ?",
                                 (text, shared_with, now, note_id, author)).rowcount
        return self.note(note_id) if changed else None

    def remove_note(self, note_id: int, author: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM notes WHERE id = ? AND author = ?",
                              (note_id, author)).rowcount > 0

    def notes_of(self, dataset: str, target: str, visible: Visible) -> list[Note]:
        where, args = _visible(visible)
        rows = self.db.execute(f"SELECT * FROM notes WHERE dataset = ? AND target = ? AND "
                               f"{where} ORDER BY created_at, id",
                               (dataset, target, *args)).fetchall()
        return [Note(**dict(r)) for r in rows]

    def notes(self, datasets: list[str], visible: Visible, words: list[str],
              limit: int) -> list[Note]:
        """The notes in these datasets the reader sees whose text holds every one of
        `words` (case-insensitive, as SQLite's LIKE folds ASCII), newest first."""
        where, args = _visible(visible)
        sql, more = _in("dataset", datasets)
        for word in words:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql, more = sql + " AND text LIKE ? ESCAPE '\\'", [*more, f"%{escaped}%"]
        rows = self.db.execute(f"SELECT * FROM notes WHERE {sql} AND {where} "
                               "ORDER BY updated_at DESC, id DESC LIMIT ?",
                               (*more, *args, limit)).fetchall()
        return [Note(**dict(r)) for r in rows]


    # -- accounts -----------------------------------------------------------------------------
    def remove_author(self, author: str) -> tuple[int, int]:
        """Every tag and note of `author` (account names are unique without case): the
        (tags, notes) removed."""
        with self._tx() as db:
            tags = db.execute("DELETE FROM tags WHERE author = ? COLLATE NOCASE",
                              (author,)).rowcount
            notes = db.execute("DELETE FROM notes WHERE author = ? COLLATE NOCASE",
                               (author,)).rowcount
        return tags, notes

    def unshare_group(self, group: str) -> int:
        """What was shared with `group` becomes private to its author again (a group made
        later under that name must not see it); how many tags and notes were."""
        with self._tx() as db:
            return sum(db.execute(f"UPDATE {table} SET shared_with = NULL "
                                  "WHERE shared_with = ? COLLATE NOCASE", (group,)).rowcount
                       for table in ("tags", "notes"))


def _visible(visible: Visible) -> tuple[str, list[object]]:
    """The WHERE clause of what `visible` sees."""
    if visible.everyone:
        return "1", []
    if visible.author is None:
        return "0", []
    groups = sorted(visible.groups)
    if not groups:
        return "author = ?", [visible.author]
    marks = ", ".join("?" * len(groups))
    return f"(author = ? OR shared_with IN ({marks}))", [visible.author, *groups]


def _in(column: str, values: list[str]) -> tuple[str, list[object]]:
    if not values:
        return "0", []
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)
