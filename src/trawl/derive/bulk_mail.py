"""Bulk mail in tables: BlueLeaks' `EmailBuilder` rows (one bulletin a portal sent to its
members) read as e-mail messages, so that they take part in threads and correspondents.

Design
------
* **Recognised by its columns, not its name**: a table is bulk mail when it has a sender,
  a subject and a body column (`EmailFrom`, `EmailSubject`, `EmailBody`, compared
  case-insensitively on the SQL names storage/tables.py gives the header's names). The
  name alone says nothing (`EmailBuilderOptions` is settings; a renamed export would be
  missed), and three mail columns together are what make a row a message.
  `bulk_mail_columns` returns the columns with the reasons, so the decision can be shown.
* **A row is a message keyed by table and row**, `row:TABLE:ROW`, the key the index's row
  hits and the annotations use: the thread stage stores it beside the documents' messages
  (storage/threads.py), so the rules of derive/threads.py apply unchanged. A bulk mail has
  no Message-ID or reply prefix: only the subject fallback can link it, and only to a
  reply or forward (`Fwd: <subject>`) without headers from one of its participants within
  the window, which is what a recipient forwarding the bulletin is. Strangers stay apart.
* **Recipients** are the addresses of `CustomEmailList` and of the `SentEmailList` file
  (its stored text, found through the row's file links): thousands for a bulletin, so the
  pages show a count and the first few.
* **Dates**: `DateSent`, else `FormTimeStamp`, as loading typed them (ISO text) or as an
  export wrote them (a few US forms), in UTC as the thread store compares them.

Pure functions: the stage (ingestion/thread_stage.py) reads the rows and files, the read
side (search/threads.py) shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

from trawl.derive.threads import MessageFacts, addresses, normalise_subject
from trawl.storage.threads import ROW_PREFIX

# Column roles -> accepted names (lower-cased SQL names), the first found wins.
REQUIRED = {"sender": ("emailfrom",), "subject": ("emailsubject",), "body": ("emailbody",)}
OPTIONAL = {"sender_name": ("emailfromname",), "date": ("datesent",),
            "stamp": ("formtimestamp",), "sent_list": ("sentemaillist",),
            "custom_list": ("customemaillist",), "name": ("emailname",)}
_ATTACHMENT = re.compile(r"^attachment\d{0,2}$")
_DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M",
                 "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
_LITERALS = (("\\r\\n", "\n"), ("\\n", "\n"), ("\\r", "\n"), ("\\t", " "))
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass
class BulkColumns:
    """The SQL names of a bulk-mail table's columns, by role ('' when it lacks one)."""

    sender: str
    subject: str
    body: str
    sender_name: str = ""
    date: str = ""
    stamp: str = ""
    sent_list: str = ""
    custom_list: str = ""
    name: str = ""
    attachments: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def bulk_mail_columns(columns: list[str]) -> BulkColumns | None:
    """A table's roles if its columns (SQL names) make it bulk mail, else None."""
    by_lower = {c.lower(): c for c in columns}
    found: dict[str, str] = {}
    for role, names in {**REQUIRED, **OPTIONAL}.items():
        found[role] = next((by_lower[n] for n in names if n in by_lower), "")
    if not all(found[role] for role in REQUIRED):
        return None
    reasons = [f"{role} column {found[role]}" for role in REQUIRED]
    if found["sent_list"] or found["custom_list"]:
        reasons.append("recipient lists " + ", ".join(
            c for c in (found["sent_list"], found["custom_list"]) if c))
    attachments = sorted((c for c in columns if _ATTACHMENT.match(c.lower())),
                         key=lambda c: (len(c), c.lower()))
    return BulkColumns(**found, attachments=attachments, reasons=reasons)


def row_key(table_id: int, row: int) -> str:
    """A row's message key: the index's and the annotations' key of a row."""
    return f"{ROW_PREFIX}{table_id}:{row}"


def parse_row_key(key: str) -> tuple[int, int] | None:
    """(table id, row) of a `row:TABLE:ROW` key, else None (a document's id)."""
    if not key.startswith(ROW_PREFIX):
        return None
    table, _, row = key[len(ROW_PREFIX):].partition(":")
    return (int(table), int(row)) if table.isdigit() and row.isdigit() else None


def mail_date(value: object) -> str | None:
    """A date cell as the thread store's ISO 8601 UTC text, or None."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = None
        for fmt in _DATE_FORMATS:
            try:
                when = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if when is None:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def list_addresses(text: str) -> list[str]:
    """The addresses of a recipient list (a file or a cell: one a line, or separated by
    commas or semicolons), lower-cased, each once, in order."""
    items = re.split(r"[\r\n,;]+", text or "")
    return addresses([item for item in items if "@" in item])


def row_facts(table_id: int, row: int, sha256: str, cells: dict[str, object],
              columns: BulkColumns, sent_list_text: str) -> MessageFacts:
    """A bulk-mail row as the thread stage reads a message: sender, subject, date,
    participants (the sender, then CustomEmailList's and SentEmailList's addresses)."""
    sender = addresses(str(cells.get(columns.sender) or "").strip())
    subject = str(cells.get(columns.subject) or "").strip()
    key, reply = normalise_subject(subject)
    custom = list_addresses(str(cells.get(columns.custom_list) or "")) \
        if columns.custom_list else []
    people = list(dict.fromkeys([*sender, *custom, *list_addresses(sent_list_text)]))
    date = mail_date(cells.get(columns.date)) if columns.date else None
    if date is None and columns.stamp:
        date = mail_date(cells.get(columns.stamp))
    return MessageFacts(
        document_id=row_key(table_id, row), sha256=sha256, keys=[], subject=subject,
        subject_key=key, reply_like=reply, sender=sender[0] if sender else "",
        participants=people, date=date)


class _Text(HTMLParser):
    """An HTML cell's text: scripts and styles dropped, blocks as line breaks."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                         "table", "ul", "ol", "blockquote", "hr"})
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def body_text(cell: object) -> str:
    """An EmailBody cell (HTML with literal \\n escapes) as plain text, paragraphs kept:
    what the pages show, escaped as any text."""
    text = str(cell or "")
    for literal, real in _LITERALS:
        text = text.replace(literal, real)
    if "<" in text:
        parser = _Text()
        parser.feed(text.replace("\n", " "))
        parser.close()
        text = "".join(parser.parts)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
