"""Office 97-2003 binary files (OLE2 compound files): DOC, XLS, PPT.

DOC text comes from antiword (tables kept as rows), with catdoc as the fall-back for what
antiword refuses (Word 6/95, "text stream too small"). PPT text is read from the PowerPoint
record stream here: catppt only sees the outline and misses text boxes and tables in most
files saved since PowerPoint 2000, so it only serves files without that stream. XLS sheets are
read (xlrd) by the table reader, once for their text and their rows (spreadsheet_cells.py).
Metadata comes from the OLE SummaryInformation streams (olefile). Password-encrypted files
(RC4 / CryptoAPI) are decrypted with msoffcrypto-tool when one of the known passwords fits.

The OLE helpers here (decryption, SummaryInformation, unwrapping embedded OLE objects) are also
used by the OOXML extractor.
"""

from __future__ import annotations

import re
import struct
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msoffcrypto
import msoffcrypto.exceptions
import msoffcrypto.format.ooxml
import olefile

from trawl.ingestion.extractors.base import (
    EncryptedError,
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Extractor,
)
from trawl.ingestion.extractors.helpers import clip_text, library_errors
from trawl.ingestion.spreadsheet_cells import workbook_text
from trawl.ingestion.tables.read import xls_sheets

# Excel's built-in key for workbooks that are only write-protected, not really secret.
_EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"  # noqa: S105 (public, documented by Microsoft)
_BLANK_LINES = re.compile(r"\n{3,}")
_PADDED_CELL = re.compile(r" {2,}\|")  # antiword pads table cells to their printed width
_META_TEXT = {
    "title": "title",
    "subject": "subject",
    "author": "author",
    "keywords": "keywords",
    "comments": "comments",
    "last_saved_by": "last_modified_by",
    "company": "company",
    "category": "category",
    "creating_application": "application",
}
_META_DATES = {"create_time": "created", "last_saved_time": "modified"}


# -- OLE helpers ------------------------------------------------------------------------------
def _decode_property(value: bytes, codepage: int | None) -> str:
    if codepage == 65001:
        return value.decode("utf-8", "replace")
    try:
        return value.decode(f"cp{codepage or 1252}", "replace")
    except LookupError:
        return value.decode("cp1252", "replace")


def _iso(value: Any) -> str | None:
    # OLE FILETIMEs are UTC; zero or tiny values (durations, unset fields) are not dates.
    if isinstance(value, datetime) and value.year >= 1980:
        return value.replace(tzinfo=UTC).isoformat()
    return None


def ole_metadata(path: Path) -> dict[str, Any]:
    """Title, author, dates, ... from an OLE file's SummaryInformation streams ({} if none)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            props = ole.get_metadata()
    except (OSError, ValueError, struct.error, IndexError, KeyError, TypeError):
        return {}
    meta: dict[str, Any] = {}
    for attr, key in _META_TEXT.items():
        value = getattr(props, attr, None)
        if isinstance(value, bytes):
            value = _decode_property(value, props.codepage)
        if isinstance(value, str) and value.strip("\x00 \t\r\n"):
            meta[key] = value.strip("\x00 \t\r\n")
    for attr, key in _META_DATES.items():
        if stamp := _iso(getattr(props, attr, None)):
            meta[key] = stamp
    return meta


def decrypt_office(ctx: ExtractionContext, extra_passwords: tuple[str, ...] = ()) -> Path | None:
    """A decrypted copy (in tmp_dir) of a password-encrypted Office file; None when the file
    is not encrypted (or in a form msoffcrypto does not know). EncryptedError when no known
    password opens it."""
    try:
        with ctx.path.open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            if not office.is_encrypted():
                return None
            return _try_passwords(office, ctx, [*ctx.passwords, *extra_passwords])
    except (msoffcrypto.exceptions.FileFormatError, msoffcrypto.exceptions.ParseError) as exc:
        if "encrypt" in str(exc).lower():
            raise EncryptedError(f"encrypted in an unsupported way: {exc}") from exc
        return None
    except (OSError, ValueError, struct.error, IndexError, KeyError, AssertionError):
        return None  # not an OLE file msoffcrypto understands: let the format's reader try


def _try_passwords(office: Any, ctx: ExtractionContext, passwords: list[str]) -> Path:
    out = ctx.tmp_dir / "decrypted"
    for password in passwords:
        try:
            if isinstance(office, msoffcrypto.format.ooxml.OOXMLFile):
                office.load_key(password=password, verify_password=True)
            else:
                office.load_key(password=password)  # the 97-2003 formats always verify
            with out.open("wb") as fh:
                office.decrypt(fh)
            return out
        except (
            msoffcrypto.exceptions.InvalidKeyError,
            msoffcrypto.exceptions.DecryptionError,
            msoffcrypto.exceptions.ParseError,
            AssertionError,
            ValueError,
        ):
            continue
    raise EncryptedError("encrypted Office document; no known password opens it")


def _ole10native(data: bytes) -> tuple[str, bytes] | None:
    """The file inside an OLE 'Package' object (\\x01Ole10Native): (filename, bytes)."""
    try:
        pos = 6  # total size (4), flags (2)
        label_end = data.index(b"\x00", pos)
        path_end = data.index(b"\x00", label_end + 1)
        filename = data[label_end + 1 : path_end].decode("cp1252", "replace")
        pos = path_end + 1 + 4  # unknown (4)
        (tmp_len,) = struct.unpack_from("<I", data, pos)
        pos += 4 + tmp_len
        (size,) = struct.unpack_from("<I", data, pos)
        pos += 4
    except (ValueError, struct.error):
        return None
    if size > len(data) - pos:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1] or data[6:label_end].decode("cp1252")
    return name, data[pos : pos + size]


def unwrap_ole_object(name: str, data: bytes) -> tuple[str, bytes]:
    """What an embedded OLE object (oleObject1.bin) really holds: a packaged file, an OOXML
    package, a PDF's CONTENTS; or the object itself when it is a document (DOC, XLS, PPT)."""
    # (Not olefile.isOleFile: it takes a short byte string for a file name.)
    if not data.startswith(olefile.MAGIC):
        return name, data
    try:
        with olefile.OleFileIO(data) as ole:
            if ole.exists("\x01Ole10Native"):
                found = _ole10native(ole.openstream("\x01Ole10Native").read())
                if found and found[1]:
                    return found
            for stream in ("package", "Package", "CONTENTS"):
                if ole.exists(stream):
                    return f"{name}.{stream.lower()}", ole.openstream(stream).read()
    except (OSError, ValueError, struct.error, IndexError, KeyError):
        pass
    return name, data


def tidy_lines(text: str) -> str:
    """Trailing spaces and runs of blank lines removed (tool output pads generously)."""
    lines = (
        _PADDED_CELL.sub(" |", line.rstrip()) for line in text.replace("\r\n", "\n").split("\n")
    )
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# -- DOC --------------------------------------------------------------------------------------
class DocExtractor(Extractor):
    mimes = frozenset({"application/msword", "application/vnd.ms-word"})
    family = "word"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        path = decrypt_office(ctx) or ctx.path
        warnings: list[str] = []
        text = self._text(ctx, path, warnings)
        return _ole_result(ctx, path, text, warnings)

    def _text(self, ctx: ExtractionContext, path: Path, warnings: list[str]) -> str:
        try:
            out = ctx.run_tool(["antiword", "-m", "UTF-8.txt", "-w", "0", str(path.absolute())])
            text = tidy_lines(out.decode("utf-8", "replace"))
            if text:
                return text
            failure = "antiword found no text"
        except ExtractionError as exc:
            failure = str(exc)
        # catdoc reads Word 6/95 and the small files antiword gives up on.
        out = ctx.run_tool(["catdoc", "-d", "utf-8", "-w", str(path.absolute())])
        warnings.append(f"read with catdoc ({failure})")
        return tidy_lines(out.decode("utf-8", "replace"))


# -- XLS --------------------------------------------------------------------------------------
class XlsExtractor(Extractor):
    mimes = frozenset({"application/vnd.ms-excel", "application/x-msexcel", "application/x-excel"})
    family = "spreadsheet"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        path = decrypt_office(ctx, (_EXCEL_DEFAULT_PASSWORD,)) or ctx.path
        warnings: list[str] = []
        with library_errors("xlrd"), closing(xls_sheets(path)) as sheets:
            book = workbook_text(sheets, ctx.limits.max_text_chars, warnings)
        result = _ole_result(ctx, path, "\n\n".join(book.texts), warnings, sheets=book.names)
        result.sheets = book.sheets
        return result


# -- PPT --------------------------------------------------------------------------------------
# PowerPoint 97-2003 records: a header (version/instance, type, length), then either an atom's
# bytes or, for containers (version 0xF), more records. Slide text sits in TextCharsAtom
# (UTF-16) and TextBytesAtom (8-bit) records, in the outline and in the shapes' text boxes.
_PPT_MAIN_MASTER, _PPT_HANDOUT, _PPT_NOTES, _PPT_SLIDE = 0x03F8, 0x0FC9, 0x03F0, 0x03EE
_PPT_TEXT_HEADER, _PPT_TEXT_CHARS, _PPT_TEXT_BYTES = 0x0F9F, 0x0FA0, 0x0FA8
# TextHeaderAtom types of placeholders (title, body, notes, ...): on masters they only hold
# "Click to edit Master title style"; text a user typed on a master is of type 'other' (4).
_PPT_PLACEHOLDER_TEXT = {0, 1, 2, 5, 6, 7, 8}


class _PptText:
    """Collects the text atoms of a 'PowerPoint Document' stream, skipping master boilerplate."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.texts: list[str] = []
        self.seen_slide = False

    def collect(self) -> list[str]:
        # An explicit stack, not recursion: hostile files can nest containers deeply.
        stack = [(0, len(self.data), False)]
        while stack:
            start, end, in_master = stack.pop()
            self._atoms(start, end, in_master, stack)
        return self.texts

    def _atoms(self, pos: int, end: int, in_master: bool, stack: list) -> None:
        header_type = None
        children = []
        while pos + 8 <= end:
            ver_inst, rec_type, length = struct.unpack_from("<HHI", self.data, pos)
            body = pos + 8
            if body + length > end:
                break
            if ver_inst & 0xF == 0xF:
                children.append((body, body + length, in_master or self._is_master(rec_type)))
            elif rec_type == _PPT_TEXT_HEADER and length >= 4:
                header_type = struct.unpack_from("<I", self.data, body)[0]
            elif rec_type in (_PPT_TEXT_CHARS, _PPT_TEXT_BYTES) and not (
                in_master and header_type in _PPT_PLACEHOLDER_TEXT
            ):
                self._add(rec_type, self.data[body : body + length])
            pos = body + length
        stack.extend(reversed(children))  # keep document order: the stack pops the last first

    def _is_master(self, rec_type: int) -> bool:
        if rec_type == _PPT_SLIDE:
            self.seen_slide = True
        # The notes master is the notes container that comes before the first slide.
        return rec_type in (_PPT_MAIN_MASTER, _PPT_HANDOUT) or (
            rec_type == _PPT_NOTES and not self.seen_slide
        )

    def _add(self, rec_type: int, raw: bytes) -> None:
        text = raw.decode("utf-16-le" if rec_type == _PPT_TEXT_CHARS else "cp1252", "replace")
        # \r ends a paragraph, \x0b is a line break; "*" is a slide-number field.
        text = text.replace("\r", "\n").replace("\x0b", "\n").strip()
        if text and text != "*" and text not in self.texts:
            self.texts.append(text)


def ppt_text(path: Path) -> str | None:
    """The text of a PowerPoint 97-2003 file, or None when it has no PowerPoint stream."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            if not ole.exists("PowerPoint Document"):
                return None
            data = ole.openstream("PowerPoint Document").read()
    except (OSError, ValueError, struct.error, IndexError, KeyError):
        return None
    return "\n\n".join(_PptText(data).collect())


class PptExtractor(Extractor):
    mimes = frozenset({"application/vnd.ms-powerpoint", "application/mspowerpoint"})
    family = "presentation"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        path = decrypt_office(ctx) or ctx.path
        warnings: list[str] = []
        # catppt only reads the outline: it misses the text of most files saved by PowerPoint
        # 2000 and later (text boxes, tables), so it is the fall-back for PowerPoint 95.
        text = ppt_text(path)
        if text is None:
            out = ctx.run_tool(["catppt", "-d", "utf-8", str(path.absolute())])
            text = tidy_lines(out.decode("utf-8", "replace").replace("\f", "\n\n"))
            warnings.append("read with catppt")
        return _ole_result(ctx, path, text, warnings)


def _ole_result(ctx: ExtractionContext, path: Path, text: str, warnings: list[str],
                **extra: object) -> ExtractionResult:
    """A legacy Office file's result: its text, and metadata from its OLE properties
    (`path` differs from the original when the file had to be decrypted first)."""
    meta = {**ole_metadata(path), **extra}
    if path != ctx.path:
        meta["encrypted"] = True
    return ExtractionResult(text=clip_text(text, ctx.limits, warnings), title=meta.get("title"),
                            metadata=meta, warnings=warnings)
