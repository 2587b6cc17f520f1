"""E-mail threads as one caller may read them: a dataset's threads, one conversation with its
messages in order, the thread of a message.

Everything goes through the caller's scoped archive (search/service.py) and the decision of
access/threads.py: a thread of a dataset outside the scope is NotFound with the message of
an id never used; each message is opened with `archive.find`, so it is masked for a
redacted reader as on its own page and left out if the archive refuses it; quoted spans are
found in the text as the caller reads it (the masked text has other offsets than the stored
one). The web pages, the JSON API and `trawl threads` / `trawl thread` share this reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trawl.access.policy import Access
from trawl.access.threads import participant_filter, visible_participants
from trawl.derive.bulk_mail import body_text, bulk_mail_columns, parse_row_key, row_key
from trawl.derive.quotes import quoted_spans
from trawl.errors import NotFound
from trawl.search.service import Archive, DocumentView
from trawl.storage.catalog import Dataset, document_id
from trawl.storage.threads import StoredMessage, ThreadRow, ThreadStore

MAX_LIMIT = 200
MAX_OFFSET = 10_000
MAX_MESSAGES = 500  # messages shown of one thread (bulk mail can make huge ones)
MAX_PARTICIPANTS = 100  # of a thread's, listed (the rest are counted)
RECIPIENTS_SHOWN = 20  # of a bulk mail's recipients (thousands): the rest are counted


@dataclass
class ThreadSummary:
    id: str
    dataset: str
    subject: str
    messages: int
    participants: list[str]
    first: str | None
    last: str | None
    # All of them; `participants` holds the first MAX_PARTICIPANTS (most frequent first):
    # a bulk mail's thread has thousands.
    participant_count: int = 0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ThreadPage:
    threads: list[ThreadSummary]
    total: int
    offset: int
    limit: int


@dataclass
class Attachment:
    name: str
    document_id: str | None
    kind: str
    status: str


@dataclass
class ThreadMessage:
    view: DocumentView
    text: str
    quoted: list[tuple[int, int]]
    parent: str | None          # the document id of the message it answers, in this thread
    loose: bool                 # threaded by its subject (it had no threading headers)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.view.id

    def header(self, name: str) -> list[str]:
        value = self.view.metadata.get(name)
        return [str(v) for v in value] if isinstance(value, list) else \
            [str(value)] if value else []

    def as_json(self) -> dict[str, Any]:
        meta = self.view.metadata
        return {
            "id": self.id, "path": self.view.path, "subject": meta.get("subject")
            or self.view.title, "from": meta.get("from"), "to": self.header("to"),
            "cc": self.header("cc"), "date": meta.get("date") or self.view.content.doc_date,
            "parent": self.parent, "by_subject": self.loose,
            "quoted": [{"start": s, "end": e} for s, e in self.quoted], "text": self.text,
            "attachments": [a.__dict__ for a in self.attachments], "record": "document",
        }


@dataclass
class RowMessage:
    """A bulk-mail row (derive/bulk_mail.py) shown as a message of its thread: read from
    the table as the caller reads it (the masked copy for a redacted reader), its recipients
    a count and the first few (a bulletin goes to thousands), linked to its row."""

    key: str                    # row:TABLE:ROW
    table: int
    row: int
    table_name: str
    sender: str
    subject: str
    date: str | None
    text: str
    recipients: list[str]       # the first RECIPIENTS_SHOWN, as the caller may see them
    recipients_total: int
    attachments: list[Attachment] = field(default_factory=list)
    parent: str | None = None
    loose: bool = False
    quoted: list[tuple[int, int]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.key

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.key, "record": "row", "table": self.table, "row": self.row,
            "table_name": self.table_name, "subject": self.subject, "from": self.sender,
            "to": self.recipients, "recipients": self.recipients_total, "cc": [],
            "date": self.date, "parent": self.parent, "by_subject": self.loose,
            "quoted": [], "text": self.text,
            "attachments": [a.__dict__ for a in self.attachments],
        }


@dataclass
class ThreadDetail:
    summary: ThreadSummary
    dataset: Dataset
    messages: list[ThreadMessage | RowMessage]
    left_out: int               # messages past MAX_MESSAGES, or that the caller cannot read

    def as_json(self) -> dict[str, Any]:
        return {**self.summary.as_json(), "left_out": self.left_out,
                "messages": [m.as_json() for m in self.messages]}


class ThreadReader:
    """The threads of `archive` as its caller (`archive.scope`) sees them."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.store = ThreadStore(archive.catalog)

    def listing(self, dataset: Dataset, participant: str | None = None, offset: int = 0,
                limit: int = 50) -> ThreadPage:
        access = self.archive.access(dataset.name)
        allowed, address = participant_filter(access, participant,
                                              self.archive.redactor(dataset))
        if not allowed:
            return ThreadPage([], 0, offset, limit)
        rows, total = self.store.listing(dataset.id, address, offset, limit)
        return ThreadPage([self._summary(dataset, r) for r in rows], total, offset, limit)

    def thread(self, thread_id: str) -> ThreadDetail:
        row = self.store.thread(thread_id)
        dataset = self.archive.catalog.dataset_by_id(row.dataset_id) if row else None
        if row is None or dataset is None or \
                self.archive.access(dataset.name) == Access.NONE:
            raise NotFound(f"no thread {thread_id[:40]!r}")
        stored = self.store.messages(thread_id)
        by_message_id = {m.message_id: m.document_id for m in stored if m.message_id}
        members = {m.document_id for m in stored}
        messages = []
        for message in stored[:MAX_MESSAGES]:
            try:
                if parse_row_key(message.document_id):
                    messages.append(self._row_message(dataset, message))
                    continue
                view = self.archive.find(message.document_id)
            except NotFound:  # not the caller's to read: not in their thread either
                continue
            messages.append(self._message(view, message, by_message_id, members))
        return ThreadDetail(self._summary(dataset, row), dataset, messages,
                            len(stored) - len(messages))

    def thread_of(self, view: DocumentView) -> str | None:
        """The thread of a message the caller has open (None: not in a thread)."""
        if not view.id:
            return None
        found = self.store.message(view.id)
        return found.thread_id if found and found.thread_id else None

    def thread_of_row(self, table_id: int, row: int) -> str | None:
        """The thread of a bulk-mail row the caller has open (None: not in a thread)."""
        found = self.store.message(row_key(table_id, row))
        return found.thread_id if found and found.thread_id else None

    def _summary(self, dataset: Dataset, row: ThreadRow) -> ThreadSummary:
        access = self.archive.access(dataset.name)
        mask = self.archive.masker(dataset)
        return ThreadSummary(row.id, dataset.name, mask(row.subject), row.messages,
                             visible_participants(access, row.participants[:MAX_PARTICIPANTS],
                                                  self.archive.redactor(dataset)),
                             row.first, row.last, len(row.participants))

    def _message(self, view: DocumentView, message: StoredMessage,
                 by_message_id: dict[str, str], members: set[str]) -> ThreadMessage:
        text = self.archive.text(view)
        parent = by_message_id.get(message.reply_to) if message.reply_to else None
        if parent is None and message.parent_document in members:
            parent = message.parent_document
        return ThreadMessage(view, text, quoted_spans(text), parent, message.loose,
                             self._attachments(view))

    def _row_message(self, dataset: Dataset, message: StoredMessage) -> RowMessage:
        """A bulk-mail row as the caller reads its table (NotFound: not theirs to read)."""
        table, number = parse_row_key(message.document_id) or (0, 0)
        info = self.archive.tables.table(table)
        reader = self.archive.tables.reader(info.dataset)
        cells = reader.row(info, number) if info.dataset == dataset.name else None
        columns = bulk_mail_columns([c.sql for c in info.columns])
        if cells is None or columns is None:
            raise NotFound(f"no row {number} in table {table}")
        mask = self.archive.masker(dataset)
        recipients = [a for a in message.participants if a != message.sender]
        shown = visible_participants(self.archive.access(dataset.name),
                                     recipients[:RECIPIENTS_SHOWN],
                                     self.archive.redactor(dataset))
        wanted = {c.lower() for c in columns.attachments}
        attachments = [Attachment(mask(link["file_path"].rsplit("/", 1)[-1]),
                                  link["document_id"], "attachment",
                                  "indexed" if link["document_id"] else "missing")
                       for link in reader.links(info, number)
                       if link["column"].lower() in wanted]
        return RowMessage(message.document_id, table, number, info.name,
                          str(cells.get(columns.sender) or ""),
                          str(cells.get(columns.subject) or ""), message.date,
                          body_text(cells.get(columns.body)), shown, len(recipients),
                          attachments, loose=message.loose)

    def _attachments(self, view: DocumentView) -> list[Attachment]:
        return [Attachment(row.path.rsplit("/", 1)[-1],
                           document_id(view.dataset.name, row.sha256) if row.sha256 else None,
                           row.kind, row.status)
                for row in self.archive.children(view)]
