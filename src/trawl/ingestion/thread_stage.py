"""The thread stage: every message of a dataset into its conversation (derive/threads.py says
what links two messages; storage/threads.py keeps the threads in the catalog).

Runs in `trawl ingest` after extraction (a message's headers are all it reads: it needs no
OCR and no entities, so threads are there before the scans are read), and alone as
`trawl threads build` (the same code: an ingest with `--no-threads` followed by it gives the
same threads).

* In the coordinator, not the worker pool: a message costs a few index lookups in the
  catalog it already holds open (its Message-IDs, the message it is attached to, the
  messages of its subject in the fallback's window), which is far less than the round trip
  to a worker, and the coordinator is the one writer anyway.
* Incremental: the rules are relations between two messages, so a new message only looks
  up what it links to, joins that thread (or joins several into one) and the threads it
  touched are summarised again; nothing else is recomputed. A message whose document went
  (its file changed) takes its thread apart: the thread's other messages are threaded
  again, since the thread may fall in two without it.
* Resumable: a message's row, its keys, the merges it causes and a mark on the thread it
  joined are written in one transaction (committed every `COMMIT_EVERY_S` or
  `COMMIT_EVERY` messages); a killed run redoes only what it had not committed.
* Each touched thread is summarised once per run, at its end (its row, participants and
  root name made again from its messages): a thread whose messages arrive across many
  commits is not summarised at each (that was a fifth of the stage's time at 20k
  messages). The marks are in the catalog (storage/threads.py `thread_dirty`), so the
  threads a killed run touched are summarised by the next run.
* Bulk mail (derive/bulk_mail.py): after the documents, the rows of the dataset's bulk-mail
  tables (`EmailBuilder`, recognised by its columns) are read as messages keyed
  `row:TABLE:ROW`, in row order, with the same commits and rules: a row read is a row of
  `thread_messages`, so a killed run skips it and a new row is all a later run reads. Its
  recipients come from the stored text of its `SentEmailList` file (the table's file
  links say which document a cell names). The rows of a table that went (its file
  changed: it is loaded under a new id), or of a recipient list that changed, are taken
  apart as a gone document's are.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from trawl.derive.bulk_mail import (
    BulkColumns,
    bulk_mail_columns,
    parse_row_key,
    row_facts,
    row_key,
)
from trawl.derive.threads import (
    MessageFacts,
    fallback_links,
    fallback_window,
    is_message,
    message_facts,
    root_order,
    thread_id,
)
from trawl.ingestion.progress import Checkpoints, Counters, Progress
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Dataset, document_id
from trawl.storage.table_queries import rows_after
from trawl.storage.tables import TableInfo, TableStore
from trawl.storage.threads import LIST_KEY, PendingMessage, StoredMessage, ThreadStore

COMMIT_EVERY_S = 2.0
COMMIT_EVERY = 2000
BATCH = 1000


@dataclass
class ThreadSummary:
    messages: int = 0        # messages threaded in this run
    not_messages: int = 0    # documents of the email family that are no message
    rows: int = 0            # bulk-mail rows threaded in this run
    merges: int = 0          # threads joined into one by a message
    taken_apart: int = 0     # threads undone because a message of theirs went
    threads: int = 0         # of the dataset, after the run
    seconds: float = 0.0


class ThreadStage:
    def __init__(self, catalog: Catalog, dataset: Dataset, live_progress: bool | None = None,
                 quiet: bool = False, tables: TableStore | None = None,
                 blobs: BlobStore | None = None) -> None:
        self.catalog = catalog
        if tables is not None and blobs is None:
            raise ValueError("bulk mail needs the blob store (its recipient lists' text)")
        self.tables = tables    # None: no table was loaded (no bulk mail to read)
        self.blobs = blobs
        self.dataset = dataset
        self.store = ThreadStore(catalog)
        self.live_progress = live_progress
        self.quiet = quiet
        self.counters = Counters()
        self.summary = ThreadSummary()
        self._dirty: set[str] = set()   # threads whose summary must be made again

    def run(self) -> ThreadSummary:
        started = time.monotonic()
        self.summary.taken_apart = len(self.store.forget_gone(self.dataset.id))
        bulk = self._bulk_tables()
        self.summary.taken_apart += len(self._forget_gone_rows({t.id for t, _c in bulk}))
        read_rows = self.store.row_messages(self.dataset.id)
        done = Counter((parse_row_key(k) or (0, 0))[0] for k in read_rows)
        rows_left = {t.id: max(0, t.row_count - done[t.id]) for t, _c in bulk}
        self.counters.total = self.store.count_pending(self.dataset.id) + sum(rows_left.values())
        if self.counters.total:
            with Progress(f"threads {self.dataset.name}", self.live_progress, self.quiet,
                          unit="messages") as progress:
                checkpoints = Checkpoints(COMMIT_EVERY_S, COMMIT_EVERY)
                self._loop(progress, checkpoints)
                for info, columns in bulk:
                    if rows_left[info.id]:  # a table read whole is not read again
                        self._rows(info, columns, read_rows, progress, checkpoints)
                progress.update(self.counters, force=True)
        self._flush()
        self.catalog.commit()
        self.summary.threads = self.store.count(self.dataset.id)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _loop(self, progress: Progress, checkpoints: Checkpoints) -> None:
        after = ""
        while batch := self.store.pending(self.dataset.id, BATCH, after):
            after = batch[-1].document_id
            for pending in batch:
                self._thread(pending)
                self._done(progress, checkpoints)

    def _done(self, progress: Progress, checkpoints: Checkpoints) -> None:
        """One more message read: commit (with the marks of the threads touched) when due."""
        self.counters.done += 1
        if checkpoints.due(self.counters.done):
            self.store.mark_dirty(self.dataset.id, self._dirty)
            self._dirty.clear()
            self.catalog.commit()
            progress.update(self.counters)

    def _thread(self, pending: PendingMessage) -> None:
        """One message into its thread: the threads it links to become one, with it."""
        parents = [document_id(self.dataset.name, sha) for sha in pending.parent_sha256s]
        facts = message_facts(pending.document_id, pending.sha256, pending.title,
                              pending.metadata, pending.date, parents)
        if not (is_message(pending.family, pending.metadata) and facts.is_message):
            self.store.add(self.dataset.id, _stored(facts, ""), [])
            self.summary.not_messages += 1
            return
        self._join(facts)
        self.summary.messages += 1

    # -- bulk mail: rows of tables as messages ------------------------------------------------
    def _bulk_tables(self) -> list[tuple[TableInfo, BulkColumns]]:
        if self.tables is None:
            return []
        found = []
        for info in self.tables.tables(self.dataset.name, include_empty=False):
            columns = bulk_mail_columns([c.sql for c in info.columns])
            if columns is not None and info.has_rows:
                found.append((info, columns))
        return found

    def _forget_gone_rows(self, live: set[int]) -> set[str]:
        """The rows of bulk-mail tables that went, taken apart (not without the tables: a
        stage made without them leaves the rows it cannot see as they are)."""
        if self.tables is None:
            return set()
        gone = [key for key in self.store.row_messages(self.dataset.id)
                if (parse_row_key(key) or (0, 0))[0] not in live]
        return self.store.take_apart(gone) if gone else set()

    def _rows(self, info: TableInfo, columns: BulkColumns, read: set[str],
              progress: Progress, checkpoints: Checkpoints) -> None:
        assert self.tables is not None
        after = 0
        while batch := rows_after(self.tables, info, after, BATCH):
            after = batch[-1]["_row"]
            for cells in batch:
                if row_key(info.id, int(cells["_row"])) in read:  # type: ignore[call-overload]
                    continue
                self._thread_row(info, columns, cells)
                self._done(progress, checkpoints)

    def _thread_row(self, info: TableInfo, columns: BulkColumns,
                    cells: dict[str, object]) -> None:
        """One bulk-mail row into its thread (or alone: a row without a sender is no
        message, recorded as read)."""
        row = int(cells["_row"])  # type: ignore[call-overload]
        listed, text = self._sent_list(info, row, columns)
        facts = row_facts(info.id, row, info.sha256, cells, columns, text)
        # Its list's document, as a key: when that file changes the row is read again.
        keys = [f"{LIST_KEY}{listed}"] if listed else []
        if not facts.sender:
            self.store.add(self.dataset.id, _stored(facts, ""), keys)
            self.summary.not_messages += 1
            return
        self._join(facts, keys)
        self.summary.rows += 1

    def _sent_list(self, info: TableInfo, row: int, columns: BulkColumns
                   ) -> tuple[str | None, str]:
        """(the document a row's SentEmailList cell names, its stored text), or (None, '')."""
        if not columns.sent_list or self.tables is None or self.blobs is None:
            return None, ""
        for link in self.tables.links_of_row(info.id, row):
            if link["column"].lower() != columns.sent_list.lower() or not link["document_id"]:
                continue
            found = self.catalog.document(link["document_id"])
            key = found[1].text_key if found else None
            return link["document_id"], self.blobs.get_text(key) if key else ""
        return None, ""

    def _join(self, facts: MessageFacts, own_keys: list[str] | None = None) -> None:
        """A message into the threads it links to (made one), or a thread of its own."""
        linked = (self.store.threads_with_keys(self.dataset.id, facts.keys)
                  | self._by_subject(facts)) - {""}
        if not linked:
            thread = thread_id(self.dataset.name, facts.document_id)
        else:
            thread = min(linked)
            for other in sorted(linked - {thread}):
                self.store.relabel(other, thread)
                self._dirty.discard(other)
                self.summary.merges += 1
        self.store.add(self.dataset.id, _stored(facts, thread), [*facts.keys, *(own_keys or [])])
        self._dirty.add(thread)

    def _by_subject(self, facts: MessageFacts) -> set[str]:
        """Rule 3 both ways: what this loose reply answers, and the loose replies already
        threaded that answer this message."""
        if not facts.date or not facts.subject_key:
            return set()
        first, last = fallback_window(facts.date)
        found: set[str] = set()
        if facts.loose:
            found |= {m.thread_id for m in self.store.same_subject(
                self.dataset.id, facts.subject_key, first, facts.date, loose_only=False)
                if fallback_links(facts, _facts(m))}
        found |= {m.thread_id for m in self.store.same_subject(
            self.dataset.id, facts.subject_key, facts.date, last, loose_only=True)
            if fallback_links(_facts(m), facts)}
        return found

    def _flush(self) -> None:
        """The threads touched in this run (or a killed one before it), summarised again
        (and renamed after their earliest message, which a new message may be)."""
        for thread in sorted(self._dirty | self.store.dirty(self.dataset.id)):
            messages = self.store.messages(thread)
            if not messages:
                self.store.drop_thread(thread)
                continue
            ordered = sorted(messages, key=lambda m: root_order(m.date, m.document_id))
            root = ordered[0]
            named = thread_id(self.dataset.name, root.document_id)
            if named != thread:
                self.store.relabel(thread, named)
            counts: Counter[str] = Counter(a for m in messages for a in m.participants)
            dates = [m.date for m in messages if m.date]
            subject = next((m.subject for m in ordered if m.subject), "")
            self.store.refresh(self.dataset.id, named, subject, min(dates, default=None),
                               max(dates, default=None), counts, len(messages))
        self._dirty.clear()
        self.store.clear_dirty(self.dataset.id)


def _stored(facts: MessageFacts, thread: str) -> StoredMessage:
    return StoredMessage(
        document_id=facts.document_id, thread_id=thread, sha256=facts.sha256,
        message_id=facts.message_id, reply_to=facts.reply_to, subject=facts.subject,
        subject_key=facts.subject_key, loose=facts.loose, sender=facts.sender,
        participants=facts.participants, date=facts.date,
        parent_document=facts.parent_document)


def _facts(message: StoredMessage) -> MessageFacts:
    """A stored message as the fallback rule reads it (`loose` was decided when it was
    threaded: a reply prefix and no threading headers)."""
    return MessageFacts(
        document_id=message.document_id, sha256=message.sha256,
        message_id=message.message_id, subject=message.subject,
        subject_key=message.subject_key, reply_like=message.loose,
        has_thread_headers=not message.loose, sender=message.sender,
        participants=message.participants, date=message.date)
