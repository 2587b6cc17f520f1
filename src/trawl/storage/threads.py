"""E-mail threads of a dataset, in the catalog's database (derive/threads.py says what
links two messages; ingestion/thread_stage.py writes, search/threads.py reads).

Tables (created here, on the catalog's connection, when it is opened for writing; a catalog
made before them reads as holding no thread):

* ``thread_messages``: one row per message document that the stage has read (a document of
  the `email` family that is no message, an Outlook contact, has one with an empty
  ``thread_id``: it is read, in no thread): its thread, the facts threading and the pages
  use (Message-ID, the parent's id, subject and its key, sender, participants, date, the
  message it is attached to), and ``loose`` for a reply threaded by its subject.
* ``thread_keys``: every Message-ID a message names (its own, In-Reply-To, References) ->
  the message: the header links are lookups on (dataset, key). A bulk-mail row holds
  ``<list>DOCUMENT`` for the file its recipients were read from (see `forget_gone`).
* ``threads``: one row per thread: subject (its earliest message's), counts, first and last
  dates, participants (JSON, most frequent first). Made again from its messages whenever
  one joins or leaves (`refresh`), inside the same transaction.
* ``thread_participants``: (thread, address, messages), for the participant filter.
* ``thread_dirty``: the threads a message joined (or merged) whose summary is not made
  again yet: the stage summarises each of them once, at the end of its run, rather than at
  every commit that touched it; written in the transaction of the messages that made them
  dirty, so a killed run's next run summarises them.

A message and its thread's changes are written in the caller's transaction (the stage
commits every few seconds): a killed run leaves each message threaded or pending.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trawl.storage.catalog import Catalog

# The key of a table row's message (derive/bulk_mail.py `row_key`): rows have no document.
ROW_PREFIX = "row:"
# A key a bulk-mail row holds for the document of its recipient list: no message names it
# (so it links nothing), and when that document goes the row is read again.
LIST_KEY = "<list>"

SCHEMA = """
CREATE TABLE IF NOT EXISTS thread_messages (
    document_id TEXT PRIMARY KEY,
    dataset_id INTEGER NOT NULL,
    thread_id TEXT NOT NULL,             -- '' for a document that is no message
    sha256 TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    reply_to TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    subject_key TEXT NOT NULL DEFAULT '',
    loose INTEGER NOT NULL DEFAULT 0,
    sender TEXT NOT NULL DEFAULT '',
    participants TEXT NOT NULL DEFAULT '[]',
    date TEXT,
    parent_document TEXT
);
CREATE INDEX IF NOT EXISTS thread_messages_thread ON thread_messages(thread_id, date);
CREATE INDEX IF NOT EXISTS thread_messages_subject
    ON thread_messages(dataset_id, subject_key, date);
CREATE INDEX IF NOT EXISTS thread_messages_parent ON thread_messages(parent_document);
CREATE INDEX IF NOT EXISTS thread_messages_dataset ON thread_messages(dataset_id, thread_id);
-- Correspondents in a date range (storage/correspondents.py).
CREATE INDEX IF NOT EXISTS thread_messages_date ON thread_messages(dataset_id, date);
CREATE TABLE IF NOT EXISTS thread_keys (
    dataset_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    document_id TEXT NOT NULL,
    PRIMARY KEY (dataset_id, key, document_id)
);
CREATE INDEX IF NOT EXISTS thread_keys_document ON thread_keys(document_id);
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY,
    dataset_id INTEGER NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    messages INTEGER NOT NULL,
    first TEXT,
    last TEXT,
    participants TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS threads_by_last ON threads(dataset_id, last);
CREATE TABLE IF NOT EXISTS thread_participants (
    thread_id TEXT NOT NULL,
    address TEXT NOT NULL,
    messages INTEGER NOT NULL,
    PRIMARY KEY (thread_id, address)
);
CREATE INDEX IF NOT EXISTS thread_participants_address
    ON thread_participants(address, thread_id);
CREATE TABLE IF NOT EXISTS thread_dirty (
    thread_id TEXT PRIMARY KEY,
    dataset_id INTEGER NOT NULL
);
"""

# How many messages of one subject the fallback weighs against a new message: bulk mail
# ("Re: Daily bulletin" to thousands) must not cost a scan per message.
FALLBACK_CANDIDATES = 200


@dataclass
class PendingMessage:
    """A message document not threaded yet, with what threading reads of its content."""

    document_id: str
    sha256: str
    family: str | None
    title: str | None
    metadata: dict[str, Any]
    date: str | None
    # The messages it is attached to (contents of the email family; the same message
    # forwarded by two people is one document attached to both).
    parent_sha256s: list[str] = field(default_factory=list)


@dataclass
class StoredMessage:
    document_id: str
    thread_id: str
    sha256: str
    message_id: str
    reply_to: str
    subject: str
    subject_key: str
    loose: bool
    sender: str
    participants: list[str]
    date: str | None
    parent_document: str | None


@dataclass
class ThreadRow:
    id: str
    dataset_id: int
    subject: str
    messages: int
    first: str | None
    last: str | None
    participants: list[str] = field(default_factory=list)


class ThreadStore:
    """The thread tables of one catalog, on its connection and in its transactions."""

    def __init__(self, catalog: Catalog) -> None:
        self.db = catalog.db
        if not catalog.readonly:
            self.db.executescript(SCHEMA)

    @property
    def present(self) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                               "AND name = 'threads'").fetchone() is not None

    # -- what is left to read -------------------------------------------------------------------
    def pending(self, dataset_id: int, limit: int = 1000,
                after: str = "") -> list[PendingMessage]:
        """Documents of the email family not read by the stage yet, in id order, from the
        first after `after` (a keyset: each batch starts where the last one ended). The
        `+` keeps SQLite off the (dataset, indexed) index, which made it read and sort
        every document of the dataset for each batch (quadratic in the dataset's size):
        on the id's own index a batch reads only its own rows and the ones it skips."""
        rows = self.db.execute(
            "SELECT d.id, d.sha256, c.family, c.title, c.metadata, c.doc_date, "
            "(SELECT group_concat(DISTINCT p.sha256) FROM files f JOIN files p "
            " ON p.id = f.parent_id JOIN contents pc ON pc.sha256 = p.sha256 "
            " WHERE f.dataset_id = d.dataset_id AND f.sha256 = d.sha256 "
            " AND pc.family = 'email') "
            "FROM documents d JOIN contents c ON c.sha256 = d.sha256 "
            "LEFT JOIN thread_messages t ON t.document_id = d.id "
            "WHERE +d.dataset_id = ? AND c.family = 'email' AND c.status = 'done' "
            "AND t.document_id IS NULL AND d.id > ? ORDER BY d.id LIMIT ?",
            (dataset_id, after, limit)).fetchall()
        return [PendingMessage(r[0], r[1], r[2], r[3], json.loads(r[4] or "{}"), r[5],
                               sorted((r[6] or "").split(",")) if r[6] else [])
                for r in rows]

    def count_pending(self, dataset_id: int) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM documents d JOIN contents c ON c.sha256 = d.sha256 "
            "LEFT JOIN thread_messages t ON t.document_id = d.id WHERE d.dataset_id = ? "
            "AND c.family = 'email' AND c.status = 'done' AND t.document_id IS NULL",
            (dataset_id,)).fetchone()[0]

    def forget_gone(self, dataset_id: int) -> set[str]:
        """Messages whose document is gone (its file changed or went): their threads are
        taken apart, every message of them pending again (a thread may split without
        them). Returns the threads taken apart."""
        gone = [r[0] for r in self.db.execute(
            "SELECT t.document_id FROM thread_messages t LEFT JOIN documents d "
            "ON d.id = t.document_id WHERE t.dataset_id = ? AND d.id IS NULL "
            f"AND t.document_id NOT LIKE '{ROW_PREFIX}%'", (dataset_id,))]
        # Bulk-mail rows whose recipient list changed ('?' follows '>': the keys' range).
        gone += [r[0] for r in self.db.execute(
            "SELECT k.document_id FROM thread_keys k LEFT JOIN documents d "
            "ON d.id = substr(k.key, ?) WHERE k.dataset_id = ? AND k.key >= ? AND k.key < ? "
            "AND d.id IS NULL", (len(LIST_KEY) + 1, dataset_id, LIST_KEY,
                                 LIST_KEY[:-1] + "?"))]
        return self.take_apart(gone)

    def take_apart(self, gone: list[str]) -> set[str]:
        """These messages forgotten, their threads taken apart (every other message of them
        pending again). Returns the threads taken apart."""
        threads = {t for t in self._threads_of(gone) if t}
        members = gone + [m for t in threads for m in self.members(t)]
        self._delete_messages(members)
        for thread in threads:
            self._delete_thread(thread)
        return threads

    def row_messages(self, dataset_id: int) -> set[str]:
        """The `row:TABLE:ROW` keys of the bulk-mail rows read (derive/bulk_mail.py)."""
        return {r[0] for r in self.db.execute(
            "SELECT document_id FROM thread_messages WHERE dataset_id = ? "
            "AND document_id >= ? AND document_id < ?",
            (dataset_id, ROW_PREFIX, ROW_PREFIX[:-1] + ";"))}

    # -- writing ----------------------------------------------------------------------------------
    def add(self, dataset_id: int, message: StoredMessage, keys: Iterable[str]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO thread_messages (document_id, dataset_id, thread_id, "
            "sha256, message_id, reply_to, subject, subject_key, loose, sender, participants, "
            "date, parent_document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (message.document_id, dataset_id, message.thread_id, message.sha256,
             message.message_id, message.reply_to, message.subject, message.subject_key,
             int(message.loose), message.sender, json.dumps(message.participants),
             message.date, message.parent_document))
        self.db.executemany(
            "INSERT OR IGNORE INTO thread_keys (dataset_id, key, document_id) VALUES (?, ?, ?)",
            [(dataset_id, key, message.document_id) for key in keys])

    def relabel(self, old: str, new: str) -> None:
        """Every message of thread `old` into thread `new` (a merge, or a new root)."""
        self.db.execute("UPDATE thread_messages SET thread_id = ? WHERE thread_id = ?",
                        (new, old))
        self._delete_thread(old)
        self.db.execute("DELETE FROM thread_dirty WHERE thread_id = ?", (old,))

    def mark_dirty(self, dataset_id: int, threads: Iterable[str]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO thread_dirty (thread_id, dataset_id) VALUES (?, ?)",
            [(thread, dataset_id) for thread in threads])

    def dirty(self, dataset_id: int) -> set[str]:
        """The threads whose summary is to be made again (marked by an earlier commit)."""
        return {r[0] for r in self.db.execute(
            "SELECT thread_id FROM thread_dirty WHERE dataset_id = ?", (dataset_id,))}

    def clear_dirty(self, dataset_id: int) -> None:
        self.db.execute("DELETE FROM thread_dirty WHERE dataset_id = ?", (dataset_id,))

    def refresh(self, dataset_id: int, thread: str, subject: str, first: str | None,
                last: str | None, counts: Counter[str], messages: int) -> None:
        """A thread's row and participants, from its messages (the caller counted them)."""
        self._delete_thread(thread)
        self.db.execute(
            "INSERT INTO threads (id, dataset_id, subject, messages, first, last, "
            "participants) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (thread, dataset_id, subject, messages, first, last,
             json.dumps([a for a, _n in counts.most_common()])))
        self.db.executemany(
            "INSERT INTO thread_participants (thread_id, address, messages) VALUES (?, ?, ?)",
            [(thread, address, n) for address, n in counts.items()])

    def drop_thread(self, thread: str) -> None:
        self._delete_thread(thread)

    def _delete_thread(self, thread: str) -> None:
        self.db.execute("DELETE FROM threads WHERE id = ?", (thread,))
        self.db.execute("DELETE FROM thread_participants WHERE thread_id = ?", (thread,))

    def _delete_messages(self, documents: list[str]) -> None:
        self.db.executemany("DELETE FROM thread_messages WHERE document_id = ?",
                            [(d,) for d in documents])
        self.db.executemany("DELETE FROM thread_keys WHERE document_id = ?",
                            [(d,) for d in documents])

    # -- links (derive/threads.py's rules, as lookups) ------------------------------------------
    def threads_with_keys(self, dataset_id: int, keys: list[str]) -> set[str]:
        """Threads holding a message that names one of these keys: Message-IDs (rule 1),
        and `<document>ID` for the messages attached to each other (rule 2)."""
        if not keys:
            return set()
        marks = ", ".join("?" * len(keys))
        return {r[0] for r in self.db.execute(
            "SELECT DISTINCT m.thread_id FROM thread_keys k JOIN thread_messages m "
            f"ON m.document_id = k.document_id WHERE k.dataset_id = ? AND k.key IN ({marks})",
            (dataset_id, *keys))}

    def same_subject(self, dataset_id: int, subject_key: str, first: str, last: str,
                     loose_only: bool) -> list[StoredMessage]:
        """Messages of this subject dated within [first, last] (rule 3's candidates), the
        loose ones only if asked; at most FALLBACK_CANDIDATES, nearest the window's end."""
        rows = self.db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM thread_messages WHERE dataset_id = ? "
            "AND subject_key = ? AND date >= ? AND date <= ? AND thread_id != '' "
            f"{'AND loose = 1 ' if loose_only else ''}ORDER BY date DESC LIMIT ?",
            (dataset_id, subject_key, first, last, FALLBACK_CANDIDATES)).fetchall()
        return [_message(r) for r in rows]

    # -- reading ----------------------------------------------------------------------------------
    def members(self, thread: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT document_id FROM thread_messages WHERE thread_id = ?", (thread,))]

    def messages(self, thread: str) -> list[StoredMessage]:
        """A thread's messages by date (the undated last), then document id."""
        rows = self.db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM thread_messages WHERE thread_id = ? "
            "ORDER BY date IS NULL, date, document_id", (thread,)).fetchall()
        return [_message(r) for r in rows]

    def message(self, document_id: str) -> StoredMessage | None:
        if not self.present:
            return None
        row = self.db.execute(f"SELECT {_MESSAGE_COLUMNS} FROM thread_messages "
                              "WHERE document_id = ?", (document_id,)).fetchone()
        return _message(row) if row else None

    def thread(self, thread: str) -> ThreadRow | None:
        if not self.present:
            return None
        row = self.db.execute(f"SELECT {_THREAD_COLUMNS} FROM threads WHERE id = ?",
                              (thread,)).fetchone()
        return _thread(row) if row else None

    def listing(self, dataset_id: int, participant: str | None, offset: int, limit: int,
                min_messages: int = 1) -> tuple[list[ThreadRow], int]:
        """A page of a dataset's threads, the latest first, and how many there are; with
        `participant`, only the threads that address wrote or received in."""
        if not self.present:
            return [], 0
        where, args = "t.dataset_id = ? AND t.messages >= ?", [dataset_id, min_messages]
        join = ""
        if participant:
            join = "JOIN thread_participants p ON p.thread_id = t.id AND p.address = ? "
            args.insert(0, participant)
        total = self.db.execute(f"SELECT COUNT(*) FROM threads t {join}WHERE {where}",
                                args).fetchone()[0]
        rows = self.db.execute(
            f"SELECT {_columns('t.')} FROM threads t {join}WHERE {where} "
            "ORDER BY t.last IS NULL, t.last DESC, t.id LIMIT ? OFFSET ?",
            (*args, limit, offset)).fetchall()
        return [_thread(r) for r in rows], total

    def count(self, dataset_id: int) -> int:
        if not self.present:
            return 0
        return self.db.execute("SELECT COUNT(*) FROM threads WHERE dataset_id = ?",
                               (dataset_id,)).fetchone()[0]

    def _threads_of(self, documents: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(documents), 500):
            chunk = documents[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            found |= {r[0] for r in self.db.execute(
                f"SELECT thread_id FROM thread_messages WHERE document_id IN ({marks})",
                chunk)}
        return found


_MESSAGE_COLUMNS = ("document_id, thread_id, sha256, message_id, reply_to, subject, "
                    "subject_key, loose, sender, participants, date, parent_document")


def _columns(prefix: str) -> str:
    return ", ".join(prefix + c for c in ("id", "dataset_id", "subject", "messages", "first",
                                          "last", "participants"))


_THREAD_COLUMNS = _columns("")


def _message(row: sqlite3.Row | tuple[Any, ...]) -> StoredMessage:
    values = list(row)
    values[7] = bool(values[7])
    values[9] = json.loads(values[9] or "[]")
    return StoredMessage(*values)


def _thread(row: sqlite3.Row | tuple[Any, ...]) -> ThreadRow:
    values = list(row)
    values[6] = json.loads(values[6] or "[]")
    return ThreadRow(*values)
