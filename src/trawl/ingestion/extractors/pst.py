"""Outlook data files (PST, OST) through libpff's Python binding, pypff.

Each item becomes a child `.eml`, written here as a standard RFC 822 message (the item's own
transport headers when it has them, else headers made from its MAPI properties; the plain and
HTML bodies; its attachments, and attached messages as message/rfc822 parts), named
`<folder path>/<index>-<subject>.eml` so that the mailbox's folders show in the archive.

Items are read and written one at a time, attachments in pieces, so that a mailbox of many
gigabytes never sits in memory. A PST "password" is only a checksum Outlook compares; libpff
ignores it, so such files open like any other.

pypff offers no way to reach a message attached to a message (libpff's
`libpff_attachment_get_item`); `_embedded_message` calls it through ctypes, checking each step.
"""

from __future__ import annotations

import base64
import ctypes
import re
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import format_datetime, formataddr
from email.utils import quote as quote_string
from typing import IO, Any
from urllib.parse import quote

import pypff
from striprtf.striprtf import rtf_to_text

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Extractor,
    LimitExceeded,
    RetryableError,
    Unsupported,
)
from trawl.ingestion.extractors.email import decode_text
from trawl.ingestion.extractors.helpers import library_errors
from trawl.ingestion.extractors.html import decode_html

PST_MAGIC = b"!BDN"  # first bytes of every PST, OST and PAB file
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_B64_CHUNK = 57 * 16 * 1024  # a multiple of 57 bytes: base64 lines of 76 characters
_MAX_EMBED_DEPTH = 8  # messages attached to messages attached to ...
_MAX_WARNINGS = 100
# MAPI property tags (the upper 16 bits of a property tag).
PR = {
    "class": 0x001A, "subject": 0x0037, "conversation_topic": 0x0070,
    "submit_time": 0x0039, "sent_repr_name": 0x0042,
    "sent_repr_email": 0x0065, "headers": 0x007D, "sender_name": 0x0C1A,
    "sender_email": 0x0C1F, "display_bcc": 0x0E02, "display_cc": 0x0E03,
    "display_to": 0x0E04, "delivery_time": 0x0E06, "body": 0x1000,
    "message_id": 0x1035, "references": 0x1039, "in_reply_to": 0x1042,
    "display_name": 0x3001, "email": 0x3003, "creation_time": 0x3007,
    "attach_filename": 0x3704, "attach_long_filename": 0x3707, "attach_mime": 0x370E,
    "attach_content_id": 0x3712, "smtp": 0x39FE, "sender_smtp": 0x5D01,
    "sent_repr_smtp": 0x5D02, "recipient_type": 0x0C15,
}  # fmt: skip
_STRING_TYPES = (0x001E, 0x001F)
_TIME_TYPE = 0x0040
_RECIPIENT_HEADERS = {1: "To", 2: "Cc", 3: "Bcc"}
_DROP_HEADERS = re.compile(r"^(content-|mime-version$)", re.I)  # replaced by our own MIME
_SLUG = re.compile(r"[^\w]+")


# -- properties -------------------------------------------------------------------------------


def _entries(item: Any) -> dict[int, Any]:
    """An item's own properties (its first record set) by tag, without raising."""
    found: dict[int, Any] = {}
    with suppress(OSError, IndexError):
        if item.number_of_record_sets:
            for entry in item.get_record_set(0).entries:
                with suppress(OSError):
                    found.setdefault(entry.entry_type, entry)
    return found


def _string(props: dict[int, Any], name: str) -> str:
    entry = props.get(PR[name])
    if entry is None or entry.value_type not in _STRING_TYPES:
        return ""
    try:
        value = entry.data_as_string or ""
    except (OSError, UnicodeError):
        value = decode_text(entry.data or b"")
    return value.replace("\x00", "")


def _time(props: dict[int, Any], *names: str) -> datetime | None:
    for name in names:
        entry = props.get(PR[name])
        if entry is not None and entry.value_type == _TIME_TYPE:
            with suppress(OSError, ValueError, OverflowError):
                value = entry.data_as_datetime
                if value is not None and value.year > 1601:
                    return value.replace(tzinfo=UTC)
    return None


def _subject(props: dict[int, Any]) -> str:
    subject = _string(props, "subject")
    if subject.startswith("\x01"):  # a two-character prefix-length marker precedes it
        subject = subject[2:]
    return subject.strip()


def _bytes_of(get: Any) -> bytes:
    try:
        value = get()
    except (OSError, AttributeError):  # AttributeError: a plain pypff.item has no bodies
        return b""
    return value if isinstance(value, bytes) else b""


# -- ctypes bridge to attached messages -------------------------------------------------------


class _Embedded:
    """libpff_attachment_get_item, which pypff does not wrap, called through ctypes.

    A pypff object is `PyObject_HEAD` (two pointers) then the `libpff_item_t *` it wraps; the
    attachment type is checked through libpff first, so a layout change fails safe (None).
    """

    def __init__(self) -> None:
        lib = ctypes.PyDLL(pypff.__file__)
        self.get_type = lib.libpff_attachment_get_type
        self.get_type.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_void_p]
        self.get_type.restype = ctypes.c_int
        self.get_item = lib.libpff_attachment_get_item
        self.get_item.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p,
        ]  # fmt: skip
        self.get_item.restype = ctypes.c_int
        self.item_new = lib.pypff_item_new
        self.item_new.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.py_object]
        self.item_new.restype = ctypes.py_object
        self.message_type = ctypes.addressof(ctypes.c_char.in_dll(lib, "pypff_message_type_object"))

    def message(self, attachment: Any) -> Any | None:
        if type(attachment) is not pypff.attachment:
            return None
        handle = ctypes.c_void_p.from_address(id(attachment) + 2 * ctypes.sizeof(ctypes.c_void_p))
        kind = ctypes.c_int(0)
        if not handle.value or self.get_type(handle, ctypes.byref(kind), None) != 1:
            return None
        if kind.value != ord("i"):  # LIBPFF_ATTACHMENT_TYPE_ITEM: an attached item
            return None
        item = ctypes.c_void_p()
        if self.get_item(handle, ctypes.byref(item), None) != 1 or not item.value:
            return None
        # The new object owns the item and keeps the attachment (its parent) alive.
        return self.item_new(self.message_type, item, attachment)


_embedded: _Embedded | None = None


def _embedded_message(attachment: Any) -> Any | None:
    global _embedded  # built once per process: binding the symbols costs a little
    try:
        if _embedded is None:
            _embedded = _Embedded()
        return _embedded.message(attachment)
    except (AttributeError, OSError, ValueError, TypeError):
        return None


# -- writing one item as RFC 822 --------------------------------------------------------------


def _header_line(name: str, value: str) -> bytes:
    value = re.sub(r"[\r\n\x00-\x08\x0b-\x1f]+", " ", value).strip()
    if not value.isascii():
        value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {value}\r\n".encode("ascii", "replace")


def _address(name: str, address: str) -> str:
    name, address = name.strip().strip("'\""), address.strip()
    if "@" not in address:  # Exchange-internal addresses (/o=.../cn=...) are no use here
        address = ""
    if name == address:
        name = ""
    if address:
        return formataddr((name, address), charset="utf-8")
    if not name:
        return ""
    # A name without address: '"Name" <>' keeps it one display name for address parsers.
    encoded = f'"{quote_string(name)}"' if name.isascii() else Header(name, "utf-8").encode()
    return f"{encoded} <>"


def _recipients(item: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        table = item.recipients
        sets = list(table.record_sets) if table is not None else []
    except (OSError, AttributeError):
        return out
    for record_set in sets:
        props: dict[int, Any] = {}
        with suppress(OSError):
            props = {e.entry_type: e for e in record_set.entries}
        kind = 1
        if (entry := props.get(PR["recipient_type"])) is not None:
            with suppress(OSError, ValueError, TypeError):
                kind = int(entry.data_as_integer)
        address = _string(props, "smtp") or _string(props, "email")
        person = _address(_string(props, "display_name"), address)
        if person:
            out.setdefault(_RECIPIENT_HEADERS.get(kind, "To"), []).append(person)
    return out


def _transport_headers(props: dict[int, Any]) -> list[tuple[str, str]]:
    """The message's own internet headers, less those describing the MIME body we replace."""
    raw = _string(props, "headers")
    if not raw.strip():
        return []
    parsed = HeaderParser(policy=compat32).parsestr(raw, headersonly=True)
    return [
        (name, str(value))
        for name, value in parsed.raw_items()
        if not _DROP_HEADERS.match(name)
        and re.fullmatch(r"[!-9;-~]+", name)
        and not name.startswith("-")  # could pose as a MIME boundary line
    ]


def _synthesised_headers(item: Any, props: dict[int, Any]) -> list[tuple[str, str]]:
    """From, To, Cc, Subject, Date, ... made from MAPI properties."""
    sender = _address(
        _string(props, "sender_name") or _string(props, "sent_repr_name"),
        _string(props, "sender_smtp") or _string(props, "sender_email")
        or _string(props, "sent_repr_smtp") or _string(props, "sent_repr_email"),
    )  # fmt: skip
    headers = [("From", sender)] if sender else []
    recipients = _recipients(item)
    for name, display in (("To", "display_to"), ("Cc", "display_cc"), ("Bcc", "display_bcc")):
        people = recipients.get(name) or [p for p in _string(props, display).split(";") if p]
        if people:
            headers.append((name, ", ".join(p.strip() for p in people)))
    if subject := _subject(props):
        headers.append(("Subject", subject))
    if date := _time(props, "submit_time", "delivery_time", "creation_time"):
        headers.append(("Date", format_datetime(date)))
    for header, prop in (("Message-ID", "message_id"), ("In-Reply-To", "in_reply_to"),
                         ("References", "references"),
                         ("Thread-Topic", "conversation_topic")):  # fmt: skip
        if value := _string(props, prop):
            headers.append((header, value))
    return headers


def _headers(item: Any, props: dict[int, Any]) -> list[tuple[str, str]]:
    """Transport headers first; the synthesised ones fill what they lack."""
    headers = _transport_headers(props)
    present = {name.lower() for name, _ in headers}
    for name, value in _synthesised_headers(item, props):
        if name.lower() not in present:
            headers.append((name, value))
    message_class = _string(props, "class")
    if message_class and message_class.upper() != "IPM.NOTE":
        headers.append(("X-Outlook-Message-Class", message_class))
    return headers


def _attachment_props(attachment: Any) -> tuple[str, str, str]:
    props = _entries(attachment)
    name = (
        _string(props, "attach_long_filename")
        or _string(props, "attach_filename")
        or _string(props, "display_name")
    )
    mime = _string(props, "attach_mime") or "application/octet-stream"
    if not re.fullmatch(r"[\w.+-]+/[\w.+-]+", mime):
        mime = "application/octet-stream"
    return name, mime, _string(props, "attach_content_id").strip("<>")


def _summary(props: dict[int, Any]) -> str:
    """Contacts, distribution lists, ... have no body: their string values make the text."""
    values: list[str] = []
    for tag, entry in sorted(props.items()):
        if entry.value_type not in _STRING_TYPES or tag == PR["headers"]:
            continue
        with suppress(OSError, UnicodeError):
            value = re.sub(r"[\x00-\x08\x0b-\x1f]+", "", entry.data_as_string or "").strip()
            # Exchange distinguished names (/o=.../cn=...) are noise, not content.
            if value and not value.lower().startswith("/o=") and value not in values:
                values.append(value)
    return "\n".join(values)


@dataclass
class _Stats:
    warnings: list[str] = field(default_factory=list)
    attachments: int = 0

    def warn(self, message: str) -> None:
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(message)


def _part_name(name: str) -> str:
    """An attachment's name as a path element: '/' in it would read as one more level."""
    return re.sub(r"[/\\\x00-\x1f]", "_", name).strip() or "attachment"


class _EmlWriter:
    """Writes one item, streaming attachment bytes base64-encoded.

    An attachment left out (unreadable, too large, nested too deep) is recorded as a path of
    its own under the item's, `Inbox/00042-Re-meeting.eml/report.pdf`, where it would have
    been as an attachment of the message, skipped or failed, saying why."""

    def __init__(self, out: IO[bytes], ctx: ExtractionContext, stats: _Stats, where: str) -> None:
        self.out = out
        self.ctx = ctx
        self.stats = stats
        self.where = where  # the path of the message being written, inside the mailbox
        self.boundaries = 0

    def _boundary(self) -> str:
        # Deterministic, so that the same item always gives the same bytes (and blob). It can
        # not occur in the body: every body and attachment is base64, which has no '-'.
        self.boundaries += 1
        return f"=_trawl_part_{self.boundaries}"

    def message(self, item: Any, depth: int = 0) -> None:
        props = _entries(item)
        boundary = self._boundary()
        for name, value in _headers(item, props):
            self.out.write(_header_line(name, value))
        self.out.write(b"MIME-Version: 1.0\r\n")
        self.out.write(f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode())
        self._bodies(item, props, boundary)
        count = 0
        with suppress(OSError, AttributeError):
            count = item.number_of_attachments or 0
        for index in range(count):
            try:
                attachment = item.get_attachment(index)
            except OSError as exc:
                self._left_out(f"attachment-{index + 1}", f"attachment unreadable: {exc}",
                               "corrupt", failed=True)
                continue
            self._attachment(attachment, boundary, depth)
        self.out.write(f"--{boundary}--\r\n".encode())

    def _text_part(self, boundary: str, subtype: str, text: str) -> None:
        self.out.write(f"--{boundary}\r\n".encode())
        self.out.write(f"Content-Type: text/{subtype}; charset=utf-8\r\n".encode())
        self.out.write(b"Content-Transfer-Encoding: base64\r\n\r\n")
        self.out.write(base64.encodebytes(text.encode("utf-8", "replace")).replace(b"\n", b"\r\n"))

    def _bodies(self, item: Any, props: dict[int, Any], boundary: str) -> None:
        plain = decode_text(_bytes_of(lambda: item.plain_text_body)).replace("\x00", "")
        html_bytes = _bytes_of(lambda: item.html_body)
        html = decode_html(html_bytes)[0] if html_bytes.strip() else ""
        if not plain.strip() and not html.strip():
            rtf = _bytes_of(lambda: item.rtf_body)
            if rtf:
                with suppress(Exception):  # striprtf fails in its own ways on broken RTF
                    plain = rtf_to_text(rtf.decode("cp1252", "replace"), errors="replace")
            if not plain.strip():
                plain = _summary(props)
        if plain.strip() and html.strip():
            inner = self._boundary()
            self.out.write(f"--{boundary}\r\n".encode())
            self.out.write(
                f'Content-Type: multipart/alternative; boundary="{inner}"\r\n\r\n'.encode()
            )
            self._text_part(inner, "plain", plain)
            self._text_part(inner, "html", html)
            self.out.write(f"--{inner}--\r\n".encode())
        elif html.strip():
            self._text_part(boundary, "html", html)
        else:
            self._text_part(boundary, "plain", plain)

    def _left_out(self, name: str, reason: str, code: str, failed: bool = False) -> None:
        self.ctx.skip_child(f"{self.where}/{_part_name(name)}", "attachment", reason, code,
                            failed=failed)

    def _attachment(self, attachment: Any, boundary: str, depth: int) -> None:
        name, mime, content_id = _attachment_props(attachment)
        embedded = _embedded_message(attachment)
        if embedded is not None:
            name = name or "message"
            if depth >= _MAX_EMBED_DEPTH:
                self._left_out(name, f"attached message nested deeper than {_MAX_EMBED_DEPTH} "
                               "levels", "limit")
                return
            self._part_headers(boundary, "message/rfc822", name, ".eml", "")
            eml = name if name.lower().endswith(".eml") else f"{name}.eml"
            where, self.where = self.where, f"{self.where}/{_part_name(eml)}"
            self.message(embedded, depth + 1)
            self.where = where
            self.stats.attachments += 1
            return
        size = 0
        with suppress(OSError, TypeError):
            size = int(attachment.size or 0)
        if size > self.ctx.limits.max_child_size:
            self._left_out(name or "attachment", f"attachment larger than the limit "
                           f"({self.ctx.limits.max_child_size} bytes)", "limit")
            return
        self._part_headers(boundary, mime, name or "attachment", "", content_id)
        self.out.write(b"Content-Transfer-Encoding: base64\r\n\r\n")
        self._stream_base64(attachment, size, name)
        self.stats.attachments += 1

    def _part_headers(self, boundary: str, mime: str, name: str, ext: str, cid: str) -> None:
        if ext and not name.lower().endswith(ext):
            name += ext
        self.out.write(f"--{boundary}\r\nContent-Type: {mime}\r\n".encode())
        # RFC 2231: any name, in UTF-8, percent-encoded; nothing in it can break the header.
        self.out.write(
            f"Content-Disposition: attachment; filename*=utf-8''{quote(name, safe='')}\r\n".encode()
        )
        if cid:
            self.out.write(_header_line("Content-ID", f"<{cid}>"))
        if mime == "message/rfc822":
            self.out.write(b"\r\n")

    def _stream_base64(self, attachment: Any, size: int, name: str) -> None:
        done = 0
        with suppress(OSError):
            attachment.seek_offset(0, 0)
        while done < size:
            try:
                chunk = attachment.read_buffer(min(_B64_CHUNK, size - done))
            except OSError as exc:
                self.stats.warn(f"attachment {name!r} cut short: {exc}")
                break
            if not chunk:
                break
            done += len(chunk)
            self.out.write(base64.encodebytes(chunk).replace(b"\n", b"\r\n"))


# -- the mailbox ------------------------------------------------------------------------------


def _folder_name(folder: Any) -> str:
    try:
        name = folder.name or ""
    except OSError:
        name = ""
    # '/' inside a folder name would read as one more folder level in Trawl's paths.
    return re.sub(r"[/\\\x00-\x1f]", "_", name).strip() or "unnamed folder"


def _folders(root: Any, stats: _Stats) -> Iterator[tuple[str, Any]]:
    """Every folder with its path below the (unnamed) root, depth first, iteratively."""
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, folder = stack.pop()
        yield path, folder
        try:
            count = folder.number_of_sub_folders or 0
        except OSError:
            continue
        children = []
        for index in range(count):
            try:
                sub = folder.get_sub_folder(index)
            except OSError as exc:
                stats.warn(f"folder {path or '/'}: sub-folder {index + 1} unreadable: {exc}")
                continue
            children.append((f"{path}/{_folder_name(sub)}" if path else _folder_name(sub), sub))
        stack.extend(reversed(children))


def _slug(subject: str) -> str:
    return _SLUG.sub("-", subject).strip("-")[:60] or "no-subject"


class PstExtractor(Extractor):
    """PST / OST mailboxes: every item a child .eml under its folder path."""

    # libmagic names PST files application/vnd.ms-outlook, like .msg files: the MSG extractor
    # owns that type and hands PST files over (see msg.py). These names are for the day
    # detection tells them apart.
    mimes = frozenset({"application/vnd.ms-outlook-pst", "application/x-outlook-pst"})
    family = "mailbox"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        pst = pypff.file()
        with library_errors("libpff"):
            pst.open(str(ctx.path))
        stats = _Stats()
        messages = folders = 0
        try:
            with library_errors("libpff"):
                root = pst.get_root_folder()
            for path, folder in _folders(root, stats):
                folders += 1
                messages += self._folder(ctx, path, folder, stats)
        finally:
            with suppress(OSError):
                pst.close()
        meta = {"message_count": messages, "folder_count": folders,
                "attachment_count": stats.attachments}  # fmt: skip
        return ExtractionResult(title=None, metadata=meta, warnings=stats.warnings)

    def _folder(self, ctx: ExtractionContext, path: str, folder: Any, stats: _Stats) -> int:
        try:
            count = folder.number_of_sub_messages or 0
        except OSError:
            return 0
        stored = 0
        for index in range(count):
            folder_path = f"{path}/" if path else ""
            try:
                item = folder.get_sub_message(index)
            except OSError as exc:  # still a path of the mailbox: failed, saying why
                ctx.skip_child(f"{folder_path}{index + 1:05d}-unreadable.eml", "message",
                               f"item unreadable: {exc}", "corrupt", failed=True)
                continue
            name = f"{index + 1:05d}-{_slug(_subject(_entries(item)))}.eml"
            date = _time(_entries(item), "submit_time", "delivery_time", "creation_time")
            mtime = date.timestamp() if date else None
            try:
                self._store(ctx, folder_path + name, item, stats, mtime)
                stored += 1
            except LimitExceeded as exc:  # the mailbox and its other messages are kept
                ctx.skip_child(folder_path + name, "message", str(exc), exc.code, mtime=mtime)
        return stored

    def _store(self, ctx: ExtractionContext, name: str, item: Any, stats: _Stats,
               mtime: float | None) -> None:
        ctx.check_room()  # before the item is written out
        with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY, dir=ctx.tmp_dir) as out:
            try:
                _EmlWriter(out, ctx, stats, name).message(item)
            except (ExtractionError, LimitExceeded, RetryableError, Unsupported, MemoryError):
                raise
            except Exception as exc:  # one broken item must not cost the whole mailbox
                stats.warn(f"{name}: {type(exc).__name__}: {exc}"[:300])
            out.seek(0)
            ctx.add_child(name, out, kind="message", mtime=mtime)
