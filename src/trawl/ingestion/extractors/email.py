"""E-mail: single messages (EML, news articles, Apple Mail EMLX) and MBOX mailboxes.

A message's headers become metadata, its subject the title, its body the text (the plain part;
the HTML part turned into text when there is no plain one), and its attachments and attached
messages children. A mailbox is cut into its messages, each a child `.eml` extracted in turn.

Mail is parsed with the standard library's `compat32` policy, which never raises on access, and
every header and body is decoded here by hand: real mail declares charsets Python does not
know, or none at all, and puts raw 8-bit bytes in headers.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import quopri
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from typing import IO, Any

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Extractor,
    LimitExceeded,
)
from trawl.ingestion.extractors.helpers import clip_text, decode_bytes, normalize_encoding
from trawl.ingestion.extractors.html import parse_html, visible_text

HTML_BODY_MAX = 1024 * 1024  # raw HTML bodies kept in metadata (for a sanitised view) up to this
_MAX_DEPTH = 50  # MIME nesting followed; deeper parts of a hostile message are ignored
# An RFC 2047 encoded word: =?charset?B|Q?payload?=
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # tab stays
_MSG_ID = re.compile(r"<[^<>\s]+>|[^<>\s]+")
_ADDRESS_HEADERS = ("from", "to", "cc", "bcc")
_CHARSET_NAME = re.compile(r"[A-Za-z0-9._:+-]{1,64}")


# -- decoding ---------------------------------------------------------------------------------


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Bytes of a body or header in their declared charset, robustly.

    Mail often declares US-ASCII or Latin-1 and sends UTF-8 anyway ("undeclared 8-bit"):
    bytes that are valid UTF-8 are read as UTF-8 then. Unknown or lying charsets fall back to
    detection (see `decode_bytes`).
    """
    if not data:
        return ""
    if charset and not _CHARSET_NAME.fullmatch(charset.strip().strip("\"'")):
        charset = None  # junk where a charset name should be: detect instead
    if charset and normalize_encoding(charset) == "cp1252" and not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return decode_bytes(data, charset)[0]


def _unescape_surrogates(value: str) -> str:
    """compat32 keeps raw 8-bit header bytes as lone surrogates: decode them properly."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_text(value.encode("utf-8", "surrogateescape"))


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.groups()
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: =?utf-8*en?...
    try:
        if encoding in "bB":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return match.group(0)
    return decode_text(data, charset)


def decode_header_value(value: str | None) -> str:
    """A header value as readable text: unfolded, RFC 2047 words decoded, no control chars."""
    if not value:
        return ""
    text = _unescape_surrogates(str(value))
    text = re.sub(r"\r?\n(?=[ \t])", "", text)
    if "=?" in text:
        text = _ENCODED_WORD.sub(_decode_word, _BETWEEN_WORDS.sub(r"\1\2", text))
    return _CONTROL.sub(" ", text).strip()


def format_addresses(values: list[str]) -> list[str]:
    """'Name <addr>' strings; names are decoded after splitting, so commas in them are safe."""
    out = []
    for name, addr in getaddresses([_unescape_surrogates(v) for v in values]):
        name, addr = decode_header_value(name), decode_header_value(addr)
        if name and addr and name != addr:
            out.append(f"{name} <{addr}>")
        elif addr or name:
            out.append(addr or name)
    return out


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC ('2001-05-14T23:39:00Z'); a naive time is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):
        return None


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(decode_header_value(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def message_ids(value: str | None) -> list[str]:
    """Message-IDs of a header, without angle brackets."""
    return [m.strip("<>") for m in _MSG_ID.findall(decode_header_value(value))]


def html_to_text(html: str) -> str:
    root = parse_html(html)
    return visible_text(root) if root is not None else ""


# -- headers ----------------------------------------------------------------------------------


def header_metadata(msg: Message) -> dict[str, Any]:
    """from, to, cc, bcc, subject, date, message_id, in_reply_to, references and
    thread_topic (Outlook's Thread-Topic) of a message."""
    raw: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        raw.setdefault(name.lower(), []).append(str(value))
    meta: dict[str, Any] = {}
    for name in _ADDRESS_HEADERS:
        addresses = format_addresses(raw.get(name, []))
        if addresses:
            meta[name] = addresses[0] if name == "from" else addresses
    first = {name: values[0] for name, values in raw.items()}
    if subject := decode_header_value(first.get("subject")):
        meta["subject"] = subject
    if date := iso_utc(parse_date(first.get("date"))):
        meta["date"] = date
    if ids := message_ids(first.get("message-id")):
        meta["message_id"] = ids[0]
    if ids := message_ids(first.get("in-reply-to")):
        meta["in_reply_to"] = ids[0]
    if ids := message_ids(" ".join(raw.get("references", []))):
        meta["references"] = ids
    if topic := decode_header_value(first.get("thread-topic")):  # Outlook's conversation
        meta["thread_topic"] = topic
    return meta


# -- body and attachments ---------------------------------------------------------------------


@dataclass
class _Segment:
    """A piece of body text: plain, or HTML still to be turned into text."""

    html: bool
    content: str


@dataclass
class _Walk:
    attachments: list[Message] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    too_deep: bool = False


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return b""


def _is_body(part: Message) -> bool:
    """Inline text/plain or text/html without a file name: the message's own text."""
    if part.get_content_type() not in ("text/plain", "text/html"):
        return False
    disposition = (part.get_content_disposition() or "").lower()
    return disposition != "attachment" and not _filename(part)


def _body(part: Message, walk: _Walk, depth: int = 0) -> list[_Segment]:
    """The body segments of a part; attachments met on the way go to `walk`."""
    if depth > _MAX_DEPTH:
        walk.too_deep = True
        return []
    ctype = part.get_content_type()
    if part.get_content_maintype() == "message" or (
        part.is_multipart() and not ctype.startswith("multipart/")
    ):
        walk.attachments.append(part)
        return []
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        results = [_body(child, walk, depth + 1) for child in children]
        if ctype == "multipart/alternative":
            return _choose_alternative(results)
        return [segment for result in results for segment in result]
    if _is_body(part) or ctype.startswith("multipart/"):  # a multipart without parts: text
        text = decode_text(_payload_bytes(part), part.get_content_charset())
        if ctype == "text/html":
            walk.htmls.append(text)
            return [_Segment(True, text)]
        return [_Segment(False, text)]
    walk.attachments.append(part)
    return []


def _choose_alternative(results: list[list[_Segment]]) -> list[_Segment]:
    """Of equivalent versions, the first with plain text, else the last (the richest)."""
    for result in results:
        if any(not s.html for s in result):
            return result
    for result in reversed(results):
        if result:
            return result
    return []


def _segments_text(segments: list[_Segment]) -> str:
    texts = (html_to_text(s.content) if s.html else _newlines(s.content) for s in segments)
    return "\n\n".join(t.strip("\n") for t in texts if t.strip())


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except (LookupError, ValueError, TypeError):  # a malformed RFC 2231 parameter
        name = None
    if not name:
        return ""
    if isinstance(name, tuple):  # an RFC 2231 value compat32 could not collapse
        name = name[2]
    return decode_header_value(name)


def flatten(msg: Message) -> bytes:
    """An (attached) message back to RFC 822 bytes."""
    out = io.BytesIO()
    try:
        BytesGenerator(out, mangle_from_=False, maxheaderlen=0, policy=compat32).flatten(msg)
    except (UnicodeError, LookupError, ValueError, TypeError, AttributeError):
        return msg.as_string().encode("utf-8", "surrogateescape")
    return out.getvalue()


class ChildNames:
    """Unique, flat child names: 'report.pdf', then 'report-2.pdf', ..."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, name: str) -> str:
        # '/' would make a flat attachment name look like a folder path inside the message.
        name = re.sub(r"[/\\\x00-\x1f]", "_", name).strip(" .") or "attachment"
        name = name[:200]
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem or len(ext) > 10:
            stem, dot, ext = name, "", ""
        candidate, n = name, 1
        while candidate.lower() in self.used:
            n += 1
            candidate = f"{stem}-{n}{dot}{ext}"
        self.used.add(candidate.lower())
        return candidate


def _attached_message(part: Message) -> bytes:
    """The bytes of a message/* part. compat32 parses its payload as a message even when the
    part is (against RFC 2046, but seen) base64 or quoted-printable encoded: undo that."""
    inner = part.get_payload()
    if not (isinstance(inner, list) and inner and isinstance(inner[0], Message)):
        return _payload_bytes(part)
    if part.get_content_type() == "message/delivery-status":
        return flatten(part)  # a list of header blocks: keep them all
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte in ("base64", "quoted-printable") and not inner[0].keys():
        body = str(inner[0].get_payload()).encode("utf-8", "surrogateescape")
        try:
            return base64.b64decode(body) if cte == "base64" else quopri.decodestring(body)
        except (binascii.Error, ValueError):
            return body
    return flatten(inner[0])


def _attachment(part: Message, index: int) -> tuple[str, bytes]:
    """A (proposed name, bytes) pair for one attachment part."""
    ctype = part.get_content_type()
    name = _filename(part)
    if part.get_content_maintype() == "message":
        data = _attached_message(part)
        if ctype in ("message/rfc822", "message/global"):
            subject = decode_header_value(message_from_bytes(data, policy=compat32)["subject"])
            base = name or subject or f"message-{index}"
            return (base if base.lower().endswith(".eml") else f"{base}.eml"), data
        return name or f"{part.get_content_subtype()}-{index}.txt", data
    if not name:  # a saved web page (MHTML) names its parts by URL only
        location = decode_header_value(part.get("content-location", ""))
        name = location.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not name or "." not in name:
        name = f"attachment-{index}{mimetypes.guess_extension(ctype) or '.bin'}"
    return name, _payload_bytes(part)


def add_attachments(ctx: ExtractionContext, parts: list[Message], mtime: float | None) -> None:
    names = ChildNames()
    for index, part in enumerate(parts, start=1):
        name, data = _attachment(part, index)
        meta = {"content_type": part.get_content_type()}
        if cid := decode_header_value(part.get("content-id")).strip("<>"):
            meta["content_id"] = cid
        if (part.get_content_disposition() or "").lower() == "inline":
            meta["inline"] = True
        ctx.add_child_or_skip(names(name), data, "attachment", mtime=mtime, metadata=meta)


# -- one message ------------------------------------------------------------------------------


def extract_message(ctx: ExtractionContext, data: bytes) -> ExtractionResult:
    """Everything of one RFC 822 message: metadata, title, text, attachments as children."""
    msg = message_from_bytes(data, policy=compat32)
    if not msg.keys() and not str(msg.get_payload()).strip():
        raise ExtractionError("not an e-mail message: no headers and no body")
    meta = header_metadata(msg)
    walk = _Walk()
    segments = _body(msg, walk)
    warnings: list[str] = []
    if walk.too_deep:
        warnings.append(f"MIME parts nested deeper than {_MAX_DEPTH} levels were ignored")
    html = "\n".join(walk.htmls)
    if html and len(html.encode("utf-8", "replace")) <= HTML_BODY_MAX:
        meta["html_body"] = html
    date = parse_date(msg.get("date"))
    mtime = date.replace(tzinfo=date.tzinfo or UTC).timestamp() if date else None
    add_attachments(ctx, walk.attachments, mtime)
    text = clip_text(_segments_text(segments), ctx.limits, warnings)
    return ExtractionResult(text=text, title=meta.get("subject"), metadata=meta, warnings=warnings)


def _read_message_file(ctx: ExtractionContext) -> bytes:
    size = ctx.path.stat().st_size
    if size > ctx.limits.max_child_size:
        raise LimitExceeded(f"message larger than {ctx.limits.max_child_size} bytes")
    return ctx.path.read_bytes()


class EmlExtractor(Extractor):
    """One RFC 822 message (.eml) or Usenet article."""

    mimes = frozenset({"message/rfc822", "message/news", "message/global"})
    family = "email"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        return extract_message(ctx, _read_message_file(ctx))


class EmlxExtractor(Extractor):
    """Apple Mail .emlx: a byte count line, the RFC 822 message, then an XML property list."""

    mimes = frozenset({"message/x-emlx"})
    family = "email"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        data = _read_message_file(ctx)
        first, _, rest = data.partition(b"\n")
        if first.strip().isdigit():
            data = rest[: int(first.strip())]
        return extract_message(ctx, data)


# -- mailboxes --------------------------------------------------------------------------------

_SPOOL_IN_MEMORY = 8 * 1024 * 1024  # a message larger than this is spooled to ctx.tmp_dir
_LINE_CHUNK = 1024 * 1024  # lines are read in pieces: a hostile mbox may have no newlines
_QUOTED_FROM = re.compile(rb">+From ")


def _spool(ctx: ExtractionContext) -> IO[bytes]:
    # Closed by mbox_messages once the message has been stored: it outlives any `with` block.
    return tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY, dir=ctx.tmp_dir)  # noqa: SIM115


def mbox_messages(src: IO[bytes], ctx: ExtractionContext) -> Iterator[IO[bytes] | None]:
    """The messages of an mbox, one at a time, each as a readable file (never all in memory).

    A message starts at a 'From ' line at the start of the file or after an empty line; that
    separator line is dropped, and '>From ' quoting (mboxrd) is undone. A message larger than
    the size limit is read past, not kept: None stands for it, so that it is still counted.
    """
    current: IO[bytes] | None = None
    in_message = False
    size = 0
    at_line_start, after_blank = True, True
    in_separator = False
    try:
        while chunk := src.readline(_LINE_CHUNK):
            line_start, at_line_start = at_line_start, chunk.endswith(b"\n")
            if in_separator:  # the rest of an overlong 'From ' line
                in_separator = not at_line_start
                continue
            if line_start and after_blank and chunk.startswith(b"From "):
                if in_message:
                    yield _rewound(current)
                    _close(current)
                current, in_message = _spool(ctx), True
                size, after_blank, in_separator = 0, False, not at_line_start
                continue
            if not in_message and not chunk.strip():
                continue  # blank lines before the first message
            if not in_message:  # no 'From ' line first: read it all as one message
                current, in_message = _spool(ctx), True
            if line_start and _QUOTED_FROM.match(chunk):
                chunk = chunk[1:]
            if line_start:
                after_blank = chunk.strip(b"\r\n") == b""
            size += len(chunk)
            if current is not None and size > ctx.limits.max_child_size:
                current = _close(current)  # too large: read on to the next message
            if current is not None:
                current.write(chunk)
        if in_message:
            yield _rewound(current)
    finally:
        _close(current)


def _rewound(spool: IO[bytes] | None) -> IO[bytes] | None:
    if spool is not None:
        spool.seek(0)
    return spool


def _close(spool: IO[bytes] | None) -> None:
    if spool is not None:
        spool.close()


class MboxExtractor(Extractor):
    """A Unix mailbox: each message becomes a child `message-00001.eml`."""

    mimes = frozenset({"application/mbox"})
    family = "mailbox"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        count = 0
        with ctx.path.open("rb") as src:
            for message in mbox_messages(src, ctx):
                count += 1
                name = f"message-{count:05d}.eml"
                if message is None:  # the mailbox and its other messages are kept
                    ctx.skip_child(name, "message", f"message larger than "
                                   f"{ctx.limits.max_child_size} bytes", "limit")
                else:
                    ctx.add_child_or_skip(name, message, "message")
        return ExtractionResult(title=None, metadata={"message_count": count})
