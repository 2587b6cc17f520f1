"""File type from content (libmagic), refined by the name only where content is ambiguous.

libmagic answers generic types for some formats whose bytes are plain text or a generic
container (CSV is `text/plain`, an .eml may be `text/plain`, .emlx starts with a byte count).
Only then does the file name's extension choose among the formats that content allows;
a `.pdf` name never makes a ZIP a PDF.
"""

from __future__ import annotations

from pathlib import Path

import magic

from trawl.ingestion.tables.detect import DIALECT_SAMPLE_CHARS, parses_as_table, sniff_encoding

# Generic content types that an extension may refine, and what each extension refines them to.
_GENERIC = {"text/plain", "application/octet-stream", "application/zip", "text/html",
            "application/x-ole-storage", "application/CDFV2", "application/vnd.ms-office"}
EXTENSION_HINTS: dict[str, str] = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".eml": "message/rfc822",
    ".emlx": "message/x-emlx",
    ".mbox": "application/mbox",
    ".msg": "application/vnd.ms-outlook",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".json": "application/json",
    ".xml": "text/xml",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".htm": "text/html",
    ".html": "text/html",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
# Which generic content types each hint is allowed to refine (a hint never changes a family).
_HINT_ALLOWED_FROM: dict[str, set[str]] = {
    # libmagic gives up on long-lined CSV ("data"): the text extractor refuses real binaries.
    # A CSV file whose cells are HTML may look like HTML: it is a table if it reads as one.
    "text/csv": {"text/plain", "application/csv", "application/octet-stream", "text/html"},
    "text/plain": {"application/octet-stream"},
    "text/html": {"text/plain"},  # fragments without <html> or a doctype
    "text/tab-separated-values": {"text/plain", "text/html"},
    # Mail whose first part is HTML looks like HTML to libmagic.
    "message/rfc822": {"text/plain", "application/octet-stream", "text/html"},
    "message/x-emlx": {"text/plain", "application/octet-stream", "text/html"},
    "application/mbox": {"text/plain", "text/html"},
    "application/vnd.ms-outlook": {"application/x-ole-storage", "application/CDFV2",
                                   "application/vnd.ms-office", "application/octet-stream"},
    "application/msword": {"application/x-ole-storage", "application/CDFV2",
                           "application/vnd.ms-office"},
    "application/vnd.ms-excel": {"application/x-ole-storage", "application/CDFV2",
                                 "application/vnd.ms-office"},
    "application/vnd.ms-powerpoint": {"application/x-ole-storage", "application/CDFV2",
                                      "application/vnd.ms-office"},
    # An OLE file named .docx/.xlsx/.pptx is usually an encrypted package (libmagic does not
    # always say "CDFV2 Encrypted"); the OOXML extractors decrypt it or hand it to 97-2003.
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
        "application/zip", "application/octet-stream", "application/x-ole-storage",
        "application/CDFV2"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "application/zip", "application/octet-stream", "application/x-ole-storage",
        "application/CDFV2"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {
        "application/zip", "application/octet-stream", "application/x-ole-storage",
        "application/CDFV2"},
    "application/vnd.oasis.opendocument.text": {"application/zip", "application/octet-stream"},
    "application/vnd.oasis.opendocument.spreadsheet": {"application/zip",
                                                       "application/octet-stream"},
    "application/vnd.oasis.opendocument.presentation": {"application/zip",
                                                        "application/octet-stream"},
    "application/json": {"text/plain"},
    "text/xml": {"text/plain"},
    "text/markdown": {"text/plain"},
}

_magic: magic.Magic | None = None


def _detector() -> magic.Magic:
    global _magic  # one libmagic handle per process: loading its database costs ~50 ms
    if _magic is None:
        _magic = magic.Magic(mime=True)
    return _magic


def detect_mime(path: Path, name: str | None = None) -> str:
    """The MIME type of the file at `path`; `name` (default: the path's) may refine it."""
    try:
        mime = _detector().from_file(str(path))
    except (magic.MagicException, OSError):
        mime = "application/octet-stream"
    mime = (mime or "application/octet-stream").split(";")[0].strip()
    if mime in _GENERIC or mime in {"application/csv"}:
        hint = EXTENSION_HINTS.get(Path(name or path).suffix.lower())
        if hint and mime in _HINT_ALLOWED_FROM.get(hint, set()) \
                and not (hint in _TABLE_TYPES and mime == "text/html"
                         and not _reads_as_table(path)):
            return hint
    if Path(name or path).suffix.lower() == ".txt" and mime in _MISTAKEN_FOR_CODE:
        return "text/plain"  # prose that libmagic's code heuristics took for a program
    return _sniff(path, mime)


# libmagic guesses a programming language from a few keywords; prose trips it (a Vaswani
# abstract reads as Fortran). A `.txt` name outweighs such a guess, never a real format.
_MISTAKEN_FOR_CODE = {"text/x-fortran", "text/x-c", "text/x-c++", "text/x-java",
                      "application/javascript", "text/javascript", "text/x-asm",
                      "text/x-pascal", "text/x-makefile", "text/x-script.python",
                      "text/x-perl", "text/x-ruby", "text/x-tex", "text/troff"}


_TABLE_TYPES = ("text/csv", "text/tab-separated-values")


def _reads_as_table(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(DIALECT_SAMPLE_CHARS)
    except OSError:
        return False
    encoding, skip = sniff_encoding(head)
    return parses_as_table(head[skip:].decode(encoding, errors="replace"))


# Outlook .msg and .pst share libmagic's answer; a PST starts with this signature.
_PST_MAGIC = b"!BDN"
# Header names that open an RFC 822 message saved without an extension (a maildir file).
_MAIL_HEADERS = (b"message-id:", b"from:", b"date:", b"subject:", b"to:", b"received:",
                 b"return-path:", b"mime-version:", b"x-from:", b"delivered-to:")
_MAIL_REQUIRED = (b"from:", b"date:")


def _sniff(path: Path, mime: str) -> str:
    """Content rules libmagic lacks: PST vs MSG, and headerful text that is an e-mail."""
    if mime not in ("application/vnd.ms-outlook", "text/plain"):
        return mime
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return mime
    if mime == "application/vnd.ms-outlook":
        return "application/vnd.ms-outlook-pst" if head.startswith(_PST_MAGIC) else mime
    return "message/rfc822" if _looks_like_mail(head) else mime


def _looks_like_mail(head: bytes) -> bool:
    """The first lines are RFC 822 headers, with at least From and Date among them."""
    seen: set[bytes] = set()
    for line in head.split(b"\n")[:60]:
        line = line.rstrip(b"\r")
        if not line:
            break  # end of the header block
        if line[:1] in (b" ", b"\t"):
            continue  # a folded header line
        name, colon, _ = line.partition(b":")
        if not colon or b" " in name.strip():
            return False
        seen.add(name.strip().lower() + b":")
    return all(h in seen for h in _MAIL_REQUIRED) and len(seen & set(_MAIL_HEADERS)) >= 3


def detect_buffer(data: bytes) -> str:
    """The MIME type of a byte string (used for small in-memory pieces)."""
    try:
        return (_detector().from_buffer(data) or "application/octet-stream").split(";")[0]
    except magic.MagicException:
        return "application/octet-stream"
