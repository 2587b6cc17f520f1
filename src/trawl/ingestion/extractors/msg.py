"""Outlook .msg files (and the contacts, tasks, appointments and notes Outlook saves alike).

Read with extract-msg. Metadata, title, text and attachments follow the EML extractor: the
transport headers when the message has them, else the MAPI properties; the plain body, else the
HTML body (or the RTF one) as text; attachments as children, attached messages as `.msg` children.

libmagic calls both .msg and .pst files `application/vnd.ms-outlook`, and the registry picks one
class per type: this one, handing PST files (they start with '!BDN') to the PST extractor, whose
family ("mailbox") the result then carries.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from datetime import datetime
from email import message_from_string
from email.policy import compat32
from pathlib import Path
from typing import Any, TypeVar

import extract_msg
from striprtf.striprtf import rtf_to_text

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionResult,
    Extractor,
)
from trawl.ingestion.extractors.email import (
    HTML_BODY_MAX,
    ChildNames,
    decode_header_value,
    header_metadata,
    html_to_text,
    iso_utc,
    message_ids,
)
from trawl.ingestion.extractors.helpers import clip_text, library_errors
from trawl.ingestion.extractors.html import decode_html
from trawl.ingestion.extractors.pst import PST_MAGIC, PstExtractor

T = TypeVar("T")
_RECIPIENT_KEYS = {1: "to", 2: "cc", 3: "bcc"}  # MAPI PR_RECIPIENT_TYPE
# Windows code pages whose Python codec is not simply 'cp<number>'.
_CODEPAGES = {65001: "utf-8", 20127: "ascii", 28591: "iso-8859-1", 28592: "iso-8859-2",
              28595: "iso-8859-5", 28597: "iso-8859-7", 28599: "iso-8859-9",
              28605: "iso-8859-15", 50220: "iso2022_jp", 51932: "euc_jp", 20866: "koi8_r",
              21866: "koi8_u", 936: "gbk", 54936: "gb18030"}  # fmt: skip


def _safe(get: Callable[[], T], warnings: list[str] | None = None, what: str = "") -> T | None:
    """A property of the message, or None. extract-msg parses lazily, on first access, and a
    malformed stream then fails with whatever exception its code happens to hit."""
    try:
        return get()
    except MemoryError:
        raise
    except Exception as exc:
        if warnings is not None:
            warnings.append(f"{what}: {type(exc).__name__}: {exc}"[:300])
        return None


def _codec(msg: Any) -> str | None:
    """The code page of a non-Unicode message's 8-bit strings, when extract-msg guessed wrong."""
    if _safe(lambda: msg.areStringsUnicode):
        return None
    for prop in ("3FFD0003", "3FDE0003"):  # PR_MESSAGE_CODEPAGE, PR_INTERNET_CPID
        number = _safe(lambda p=prop: msg.getPropertyVal(p))
        if isinstance(number, int) and number > 0:
            name = _CODEPAGES.get(number, f"cp{number}")
            try:
                return codecs.lookup(name).name
            except LookupError:
                continue
    return None


def open_msg(source: Path | bytes) -> Any:
    """An extract-msg object; re-opened with the right code page for non-Unicode messages."""
    with library_errors("extract-msg"):
        msg = extract_msg.openMsg(source if isinstance(source, bytes) else str(source),
                                  strict=False)  # fmt: skip
        codec = _codec(msg)
        current = _safe(lambda: codecs.lookup(msg.stringEncoding).name)
        if codec and codec != current:
            msg.close()
            msg = extract_msg.openMsg(source if isinstance(source, bytes) else str(source),
                                      strict=False, overrideEncoding=codec)  # fmt: skip
    return msg


def _person(name: str | None, address: str | None) -> str | None:
    name = decode_header_value(name).replace("<None>", "").strip()
    address = decode_header_value(address).strip("<> ")
    if address in ("", "None"):
        address = ""
    if name and address and name.strip("'\"") != address:
        return f"{name} <{address}>"
    return address or name or None


def _property_metadata(msg: Any) -> dict[str, Any]:
    """Metadata from MAPI properties, for messages saved without transport headers."""
    meta: dict[str, Any] = {}
    if sender := _person(_safe(lambda: msg.sender), None):
        meta["from"] = sender
    for recipient in _safe(lambda: msg.recipients) or []:
        key = _RECIPIENT_KEYS.get(int(_safe(lambda r=recipient: r.type) or 1), "to")
        person = _person(_safe(lambda r=recipient: r.name), _safe(lambda r=recipient: r.email))
        if person:
            meta.setdefault(key, []).append(person)
    if subject := decode_header_value(_safe(lambda: msg.subject)):
        meta["subject"] = subject
    date = _safe(lambda: msg.date)
    if isinstance(date, datetime) and (iso := iso_utc(date)):
        meta["date"] = iso
    for key, attr in (("message_id", "messageId"), ("in_reply_to", "inReplyTo")):
        if value := decode_header_value(_safe(lambda a=attr: getattr(msg, a))).strip("<>"):
            meta[key] = value
    # PR_INTERNET_REFERENCES and PR_CONVERSATION_TOPIC: what threads a message saved
    # without its transport headers (derive/threads.py).
    if refs := message_ids(_safe(lambda: msg.getStringStream("__substg1.0_1039"))):
        meta["references"] = refs
    if topic := decode_header_value(_safe(lambda: msg.getStringStream("__substg1.0_0070"))):
        meta["thread_topic"] = topic
    return meta


def msg_metadata(msg: Any) -> dict[str, Any]:
    headers = _safe(lambda: msg.headerText)
    meta = header_metadata(message_from_string(headers, policy=compat32)) if headers else {}
    for key, value in _property_metadata(msg).items():
        meta.setdefault(key, value)  # the transport headers win; properties fill the gaps
    if message_class := _safe(lambda: msg.classType):
        meta["message_class"] = str(message_class)
    return meta


def _html_body(msg: Any, warnings: list[str]) -> str | None:
    data = _safe(lambda: msg.htmlBody, warnings, "HTML body")
    if not isinstance(data, bytes) or not data.strip():
        return None
    return decode_html(data)[0]


def _rtf_text(msg: Any, warnings: list[str]) -> str:
    data = _safe(lambda: msg.rtfBody, warnings, "RTF body")
    if not isinstance(data, bytes):
        return ""
    return _safe(lambda: rtf_to_text(data.decode("cp1252", "replace"), errors="replace")) or ""


def _body(msg: Any, html: str | None, warnings: list[str]) -> str:
    """The plain body, else the HTML body as text, else the RTF body as text."""
    text = _safe(lambda: msg.body, warnings, "body")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not (isinstance(text, str) and text.strip()):
        text = html_to_text(html) if html else _rtf_text(msg, warnings)
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _attachment_data(attachment: Any) -> tuple[str, bytes | None]:
    """(name, bytes) of an attachment; an attached message is exported as a .msg file."""
    name = decode_header_value(
        _safe(lambda: attachment.getFilename())
        or _safe(lambda: attachment.longFilename)
        or _safe(lambda: attachment.shortFilename)
        or _safe(lambda: attachment.displayName)
        or ""
    )
    data = _safe(lambda: attachment.data)
    if isinstance(data, bytes):
        return name, data
    if hasattr(data, "exportBytes"):  # an embedded MSG (extract-msg's MSGFile)
        name = name if name.lower().endswith(".msg") else f"{name or 'message'}.msg"
        return name, _safe(data.exportBytes)
    return name, None


def add_msg_attachments(
    ctx: ExtractionContext, msg: Any, mtime: float | None, warnings: list[str]
) -> None:
    names = ChildNames()
    attachments = _safe(lambda: msg.attachments, warnings, "attachments") or []
    for index, attachment in enumerate(attachments, start=1):
        name, data = _attachment_data(attachment)
        name = names(name or f"attachment-{index}")
        if data is None:  # a path all the same: failed, saying so
            ctx.skip_child(name, "attachment", "attachment could not be read", "corrupt",
                           failed=True, mtime=mtime)
            continue
        meta = {"content_type": _safe(lambda a=attachment: a.mimetype)}
        if cid := _safe(lambda a=attachment: a.cid):
            meta["content_id"] = str(cid).strip("<>")
        meta = {k: v for k, v in meta.items() if v}
        ctx.add_child_or_skip(name, data, "attachment", mtime=mtime, metadata=meta)


def _is_pst(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == PST_MAGIC


class MsgExtractor(Extractor):
    """Outlook items saved as .msg (OLE2 compound files)."""

    mimes = frozenset({"application/vnd.ms-outlook", "application/x-msg"})
    family = "email"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        if _is_pst(ctx.path):  # same MIME type from libmagic: see the module docstring
            result = PstExtractor().extract(ctx)
            result.family = PstExtractor.family
            return result
        msg = open_msg(ctx.path)
        try:
            return self._extract(ctx, msg)
        finally:
            _safe(msg.close)

    def _extract(self, ctx: ExtractionContext, msg: Any) -> ExtractionResult:
        warnings: list[str] = []
        meta = msg_metadata(msg)
        html = _html_body(msg, warnings)
        if html and len(html.encode("utf-8", "replace")) <= HTML_BODY_MAX:
            meta["html_body"] = html
        text = _body(msg, html, warnings)
        date = _safe(lambda: msg.date)
        mtime = _safe(date.timestamp) if isinstance(date, datetime) else None
        add_msg_attachments(ctx, msg, mtime, warnings)
        return ExtractionResult(
            text=clip_text(text, ctx.limits, warnings),
            title=meta.get("subject"),
            metadata=meta,
            warnings=warnings,
        )
