"""E-mail threads: which messages of a dataset belong to one conversation.

Design
------
Threads are the connected components of a graph whose nodes are a dataset's messages (EML,
EMLX, MSG, the messages of MBOX and PST files: every document whose content is of the
`email` family and has a message's headers). Two messages are linked when

1. **their headers say so** (what JWZ's algorithm reads): they share a Message-ID among
   their own, their In-Reply-To and their References. Two replies to a message the dump
   lacks share its id in their References and so meet under it, as JWZ's empty container
   would hold them;
2. **one is attached to the other** (a message forwarded as `message/rfc822`, or attached
   to an Outlook message): the attached message is a member of the forwarding one's thread;
3. **the subject fallback**, for mail that lost its threading headers (the Enron maildir,
   messages saved by hand, Outlook messages without transport headers): a message whose
   subject says it is a reply or a forward (`Re:`, `RE :`, `Fwd:`, `TR:`, `AW:`, `Réf.`...)
   and which has *no* In-Reply-To or References is linked to the messages with the same
   normalised subject, sent before it within `FALLBACK_DAYS`, that share a participant with
   it (an address among the senders and recipients of both). A message with threading
   headers is never linked by its subject (its headers are better evidence), nor are two
   messages that merely share a subject without a reply prefix, an undated message, or
   strangers: "Re: Meeting" between other people or months later stays apart.

Each rule is a relation between two messages, whatever else the dataset holds, so the
components are the same whichever order the messages come in: a new message joins (and may
join together) the threads it links to, and nothing else is recomputed. That is what lets
the thread stage (ingestion/thread_stage.py) run incrementally and `trawl threads build`
give the same threads as `trawl ingest`. The parent of a message inside its thread, for
display, is the message its In-Reply-To (else its last reference) names, else the message it
is attached to, else (the fallback) the one it was linked to.

A thread's id is a hash of the dataset and its earliest message's document id: the same on
every run for the same messages. It changes when an earlier message joins (a thread seen
from its middle first), as a component's name must.

This module is pure: it turns a content's metadata into `MessageFacts` and says what links
two of them. Storage (storage/threads.py) keeps them and finds the candidates by index.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import getaddresses
from typing import Any

FALLBACK_DAYS = 45   # a reply without headers is linked to messages this far back at most
# Outlook classes that are messages (mail, meeting requests), not contacts or tasks.
MESSAGE_CLASSES = ("ipm.note", "ipm.schedule", "report.ipm.note")
_MIN_SUBJECT_KEY = 3  # shorter subjects ("Re: ok") say too little to link by
DOCUMENT_KEY = "<document>"  # a key no Message-ID has: normalised, they hold no "<"

# One reply or forward prefix in English, French, German, Nordic, Spanish, Dutch...
# ("Re:", "RE :", "Re[2]:", "Fwd:", "FW:", "TR:", "Réf. :", "AW:", "WG:", "SV:", "RV:"),
# or a list tag ("[ncric-list]"), at the start of a subject.
_REPLY = (r"re|fw|fwd|tr|réf|ref|rép|rep|aw|wg|sv|vs|antw|rv|enc|doorst|odp|ynt")
_PREFIX = re.compile(
    rf"^\s*(?:(?P<reply>(?:{_REPLY})\.?\s*(?:\[\d+\]|\(\d+\))?\s*:)|\[[^\]]{{1,40}}\])\s*",
    re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_MESSAGE_ID = re.compile(r"[^<>\s]+")
_ANGLED = re.compile(r"<([^<>\s,;]+@[^<>\s,;]+)>\s*$")   # Name <a@b>
_BARE = re.compile(r"[^<>\s,;\"']+@[^<>\s,;\"']+")         # a@b


@dataclass
class MessageFacts:
    """What threading reads of one message."""

    document_id: str
    sha256: str
    message_id: str = ""            # its own Message-ID, normalised ('' when it has none)
    reply_to: str = ""              # the Message-ID of its parent: In-Reply-To, else the last
    keys: list[str] = field(default_factory=list)   # own id + In-Reply-To + References
    has_thread_headers: bool = False  # an In-Reply-To or References header
    subject: str = ""               # as written (shown)
    subject_key: str = ""           # normalised: prefixes, case, accents and spacing gone
    reply_like: bool = False        # the subject had a reply or forward prefix
    sender: str = ""                # address
    participants: list[str] = field(default_factory=list)  # sender and recipients, addresses
    date: str | None = None         # ISO 8601 UTC
    parent_document: str | None = None  # the message it is attached to

    @property
    def loose(self) -> bool:
        """Threaded by the subject fallback: a reply or forward that lost its headers."""
        return (self.reply_like and not self.has_thread_headers and self.date is not None
                and len(self.subject_key) >= _MIN_SUBJECT_KEY)

    @property
    def is_message(self) -> bool:
        return bool(self.message_id or self.sender or self.participants or self.subject)


def normalise_message_id(value: str) -> str:
    """A Message-ID as compared: no angle brackets or spaces, case kept in the local part
    (RFC 5322) but folded in the domain, which mail servers rewrite."""
    found = _MESSAGE_ID.findall(value or "")
    if not found:
        return ""
    local, at, domain = found[0].rpartition("@")
    return f"{local}@{domain.lower()}" if at else found[0]


def normalise_subject(subject: str) -> tuple[str, bool]:
    """(the subject's key, whether it had a reply or forward prefix). `RE : TR: Fwd: [list]
    Budget  2001` -> ('budget 2001', True): prefixes off, repeatedly, then accents, case and
    spacing folded."""
    text, reply = subject or "", False
    while True:
        match = _PREFIX.match(text)
        if not match or match.end() == 0:
            break
        reply = reply or match.group("reply") is not None
        text = text[match.end():]
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _SPACE.sub(" ", folded).strip(), reply


def addresses(value: object) -> list[str]:
    """The e-mail addresses of a header value ('Name <a@b>' strings, or lists of them, as
    the extractors record them), lower-cased; names without an address are left out (they
    say nothing certain). The two usual forms are read by pattern (the standard parser was
    half of the stage's time); anything else goes through `getaddresses`."""
    values = value if isinstance(value, list) else [value] if value else []
    out: dict[str, None] = {}  # ordered, and linear: a bulk mail lists thousands
    for item in values:
        text = str(item).strip()
        angled = _ANGLED.search(text)
        if angled:
            found = [angled.group(1)]
        elif _BARE.fullmatch(text):
            found = [text]
        else:
            found = [address for _name, address in getaddresses([text])]
        for address in found:
            address = address.strip().strip("'\"").lower()
            if "@" in address:
                out[address] = None
    return list(out)


def is_message(family: str | None, metadata: dict[str, Any]) -> bool:
    """Whether a content is an e-mail message that takes part in threads: of the `email`
    family and, for Outlook items, of a message class (not a contact, task or note)."""
    if family != "email":
        return False
    message_class = str(metadata.get("message_class") or "").lower()
    return not message_class or message_class.startswith(MESSAGE_CLASSES)


def message_facts(document_id: str, sha256: str, title: str | None,
                  metadata: dict[str, Any], date: str | None,
                  parent_documents: list[str]) -> MessageFacts:
    """The facts of one message from its content's metadata (as the extractors record it:
    extractors/email.py `header_metadata`, msg.py, pst.py through its EML messages), and
    the messages it is attached to. Its keys are the Message-IDs it names (rule 1) and a
    `<document>` key for itself and for each message it is attached to (rule 2: an attached
    message and the one that holds it share one)."""
    own = normalise_message_id(str(metadata.get("message_id") or ""))
    in_reply_to = normalise_message_id(str(metadata.get("in_reply_to") or ""))
    refs = [normalise_message_id(str(r)) for r in metadata.get("references") or []]
    refs = [r for r in refs if r]
    attached = [f"{DOCUMENT_KEY}{d}" for d in (document_id, *parent_documents)]
    keys = list(dict.fromkeys([*(k for k in (own, in_reply_to, *refs) if k), *attached]))
    subject = str(metadata.get("subject") or title or metadata.get("thread_topic") or "")
    key, reply = normalise_subject(subject)
    sender = addresses(metadata.get("from"))
    people = sender + [a for name in ("to", "cc", "bcc") for a in addresses(metadata.get(name))]
    return MessageFacts(
        document_id=document_id, sha256=sha256, message_id=own,
        reply_to=in_reply_to or (refs[-1] if refs else ""), keys=keys,
        has_thread_headers=bool(in_reply_to or refs), subject=subject.strip(),
        subject_key=key, reply_like=reply, sender=sender[0] if sender else "",
        participants=list(dict.fromkeys(people)), date=str(date or metadata.get("date") or "")
        or None, parent_document=parent_documents[0] if parent_documents else None)


def fallback_window(date: str) -> tuple[str, str]:
    """The ISO dates between which a loose reply sent at `date` looks for what it answers,
    and (the same span forward) what a message sent at `date` may be answered by."""
    when = _parse(date)
    if when is None:
        return date, date
    span = timedelta(days=FALLBACK_DAYS)
    return _iso(when - span), _iso(when + span)


def fallback_links(reply: MessageFacts, earlier: MessageFacts) -> bool:
    """Rule 3: `reply` (loose) answers `earlier`: the same subject, sent before it within
    FALLBACK_DAYS, with a participant in common."""
    if not reply.loose or reply.document_id == earlier.document_id:
        return False
    if reply.subject_key != earlier.subject_key or not earlier.date or not reply.date:
        return False
    first, last = _parse(earlier.date), _parse(reply.date)
    if first is None or last is None or not first <= last <= first + timedelta(
            days=FALLBACK_DAYS):
        return False
    return bool(set(reply.participants) & set(earlier.participants))


def thread_id(dataset: str, root_document: str) -> str:
    """A thread's id: its dataset and its earliest message (`root_order` decides which)."""
    return "t" + hashlib.sha256(f"{dataset}\0thread\0{root_document}".encode()).hexdigest()[:15]


def root_order(date: str | None, document_id: str) -> tuple[str, str]:
    """The order in which a thread's messages are shown and its root chosen: by date (the
    undated last), then by document id."""
    return (date or "\uffff", document_id)


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
