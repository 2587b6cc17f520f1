"""The SQL of saved searches (in `access.sqlite`, beside the accounts they belong to) and of
the catalog's high-water mark of documents, which says what is new since a search was last
viewed.

Design
------
* A saved search belongs to one account (`user_id`, ON DELETE CASCADE: removing the account
  removes its searches) and is private to it: every lookup is by (account, id or name).
  It lives in `access.sqlite`, not in the catalog, for the reason the accounts do: a
  re-ingestion or `trawl reindex` never touches it, the web server writes it, and a backup
  copies it with the accounts. The table is created if missing, as the catalog's later
  tables are: an older `access.sqlite` needs no migration step.
* The search is kept as its parameters, URL-encoded (`q=...&type=pdf`): the very parameters
  of the search page and `/api/search`, read back by the same parser (web/params.py).
* What is new: each document of the catalog has a row in `documents` whose rowid grows as
  documents are added (an upsert keeps a document's row, and so its rowid, when it is
  indexed again). A saved search keeps the mark of when it was last viewed; the documents
  above it are new. The mark taken at a view is the highest rowid below which every
  document is indexed (`document_mark`): a document added but not yet indexed when the
  search is viewed stays new, so an ingestion running during a view never hides one. This
  costs one MIN/MAX on `documents` and a scan of the rowids above the mark (of the datasets
  the owner reads: the cap on new documents counts only those), which
  are only the new documents; the index then counts which of those the search matches, in
  the owner's scope (search/saved.py). A limit: `documents` has no AUTOINCREMENT, so when
  the newest document is deleted (its file gone) its rowid may be given to the next new
  one, which a search viewed in between then counts as seen.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from trawl.storage.accounts import AccountStore
from trawl.storage.catalog import Catalog

SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_searches (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    params TEXT NOT NULL,            -- the search's parameters, URL-encoded
    created_at REAL NOT NULL,
    viewed_at REAL,
    seen_mark INTEGER NOT NULL,      -- the catalog's document mark when last viewed
    UNIQUE (user_id, name)
);
"""


@dataclass(frozen=True)
class SavedSearch:
    id: int
    user_id: int
    name: str
    params: str
    created_at: float
    viewed_at: float | None
    seen_mark: int


class SavedSearchStore:
    """Saved searches, on the account store's connection (one per thread)."""

    def __init__(self, accounts: AccountStore) -> None:
        self._accounts = accounts
        accounts.db.executescript(SCHEMA)

    def _tx(self) -> sqlite3.Connection:
        db = self._accounts.db
        db.execute("BEGIN IMMEDIATE")
        return db

    def add(self, user_id: int, name: str, params: str, mark: int) -> SavedSearch | None:
        """None when the account has a saved search of that name already."""
        try:
            with self._tx() as db:
                cursor = db.execute(
                    "INSERT INTO saved_searches (user_id, name, params, created_at, seen_mark) "
                    "VALUES (?, ?, ?, ?, ?)", (user_id, name, params, time.time(), mark))
        except sqlite3.IntegrityError:  # UNIQUE (user_id, name)
            return None
        return self.get(user_id, cursor.lastrowid or 0)

    def listing(self, user_id: int) -> list[SavedSearch]:
        rows = self._accounts.db.execute(
            "SELECT * FROM saved_searches WHERE user_id = ? ORDER BY name COLLATE NOCASE",
            (user_id,)).fetchall()
        return [SavedSearch(**dict(r)) for r in rows]

    def get(self, user_id: int, saved_id: int) -> SavedSearch | None:
        row = self._accounts.db.execute(
            "SELECT * FROM saved_searches WHERE user_id = ? AND id = ?",
            (user_id, saved_id)).fetchone()
        return SavedSearch(**dict(row)) if row else None

    def named(self, user_id: int, name: str) -> SavedSearch | None:
        row = self._accounts.db.execute(
            "SELECT * FROM saved_searches WHERE user_id = ? AND name = ?",
            (user_id, name)).fetchone()
        return SavedSearch(**dict(row)) if row else None

    def viewed(self, user_id: int, saved_id: int, mark: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE saved_searches SET viewed_at = ?, seen_mark = ? "
                       "WHERE user_id = ? AND id = ?", (time.time(), mark, user_id, saved_id))

    def delete(self, user_id: int, saved_id: int) -> bool:
        with self._tx() as db:
            cursor = db.execute("DELETE FROM saved_searches WHERE user_id = ? AND id = ?",
                                (user_id, saved_id))
        return cursor.rowcount > 0


def document_mark(catalog: Catalog) -> int:
    """The highest rowid of `documents` below which every document is indexed."""
    pending = catalog.db.execute(
        "SELECT MIN(rowid) FROM documents WHERE indexed = 0").fetchone()[0]
    if pending is not None:
        return int(pending) - 1
    return int(catalog.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM documents")
               .fetchone()[0])


def documents_after(catalog: Catalog, mark: int, dataset_ids: list[int], limit: int
                    ) -> list[str]:
    """The ids of the documents of these datasets added after `mark` (at most `limit`,
    oldest first)."""
    if not dataset_ids:
        return []
    marks = ", ".join("?" * len(dataset_ids))
    rows = catalog.db.execute(
        f"SELECT id FROM documents WHERE rowid > ? AND dataset_id IN ({marks}) "
        "ORDER BY rowid LIMIT ?", (mark, *dataset_ids, limit)).fetchall()
    return [r[0] for r in rows]
