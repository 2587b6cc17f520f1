"""PDF: text per page, document info, form values, attachments (PyMuPDF).

Text comes in content-stream order (`sort=False`). On the corpus this keeps the columns of
two-column papers and rotated text intact, where `sort=True` (a layout mode in PyMuPDF 1.2x)
interleaves columns line by line and pdftotext breaks rotated text into letter salad.
Ligatures are expanded and words hyphenated at line ends joined, so that search finds them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pymupdf

from trawl.ingestion.extractors.base import (
    EncryptedError,
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Extractor,
)
from trawl.ingestion.extractors.text import clip_pages, library_errors

# MuPDF prints repair notes on stderr; they are collected as warnings instead.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

_TEXT_FLAGS = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES
# A word hyphenated at a line end: letter, '-', newline, lower-case letter. (MuPDF's own
# TEXT_DEHYPHENATE flag has no effect on plain-text output in PyMuPDF 1.28.)
_HYPHENATED = re.compile(r"([^\W\d_])-\n([^\W\d_])")
# What MuPDF raises on broken input: Python-level errors and the C library's own exceptions.
_PDF_ERRORS = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)
_INFO_KEYS = {
    "title": "title",
    "author": "author",
    "subject": "subject",
    "keywords": "keywords",
    "creator": "creator",
    "producer": "producer",
}
_PDF_DATE = re.compile(
    r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*"
    r"(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)
_MAX_WARNINGS = 20


def pdf_date(value: str | None) -> str | None:
    """An ISO 8601 string for a PDF date ("D:20220414132421+05'24'"), None when unreadable."""
    match = _PDF_DATE.match((value or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zulu, sign, tz_h, tz_m = match.groups()
    tz = None
    if zulu:
        tz = UTC
    elif sign:
        offset = timedelta(hours=int(tz_h), minutes=int(tz_m or 0))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        stamp = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), tzinfo=tz,
        )  # fmt: skip
    except ValueError:
        return None
    return stamp.isoformat()


def _epoch(value: str | None) -> float | None:
    iso = pdf_date(value)
    if not iso:
        return None
    stamp = datetime.fromisoformat(iso)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _open(ctx: ExtractionContext) -> pymupdf.Document:
    try:
        doc = pymupdf.open(ctx.path, filetype="pdf")
    except _PDF_ERRORS as exc:
        raise ExtractionError(f"not a readable PDF: {exc}") from exc
    if doc.needs_pass and not any(doc.authenticate(pw) for pw in ctx.passwords):
        doc.close()
        raise EncryptedError("encrypted PDF; no known password opens it")
    if doc.page_count == 0:
        # MuPDF "repairs" almost anything into a document; one without pages is broken.
        notes = pymupdf.TOOLS.mupdf_warnings(reset=True).replace("\n", "; ")
        doc.close()
        raise ExtractionError(f"PDF without pages (broken): {notes}"[:500])
    return doc


def _dehyphenate(text: str) -> str:
    r"""'Ex-\nisting' -> 'Existing' (the two lines join), as pdftotext does; search finds
    the word. A capital after the break ('Jean-\nPaul', 'Ex-\nIBM') keeps its hyphen."""
    return _HYPHENATED.sub(lambda m: m[1] + m[2] if m[2].islower() else m[0], text)


def _page_extras(page: pymupdf.Page) -> list[str]:
    """Filled-in form values and annotation comments: text that is not in the text layer."""
    parts = []
    for widget in page.widgets() or ():
        value = widget.field_value
        if isinstance(value, str) and value.strip() and value != "Off":
            parts.append(f"{widget.field_name or 'field'}: {value.strip()}")
    for annot in page.annots() or ():
        content = (annot.info or {}).get("content", "").strip()
        if content:
            parts.append(content)
    return parts


def _pages(doc: pymupdf.Document, warnings: list[str]) -> tuple[list[str], int]:
    """The text of each page, and how many pages have no text layer (scans: OCR later)."""
    pages, without_text = [], 0
    for page in doc:
        try:
            layer = _dehyphenate(page.get_text("text", flags=_TEXT_FLAGS).strip())
            extras = _page_extras(page)
        except _PDF_ERRORS as exc:
            # One broken page (bad font, bad content stream) does not lose the others.
            warnings.append(f"page {page.number + 1}: {exc}")
            layer, extras = "", []
        without_text += not layer
        pages.append("\n".join([layer, *extras]) if extras else layer)
    return pages, without_text


def _metadata(doc: pymupdf.Document) -> dict[str, Any]:
    info = doc.metadata or {}
    meta: dict[str, Any] = {
        key: info[src].strip() for src, key in _INFO_KEYS.items() if (info.get(src) or "").strip()
    }
    for src, key in (("creationDate", "created"), ("modDate", "modified")):
        if stamp := pdf_date(info.get(src)):
            meta[key] = stamp
    if info.get("format"):
        meta["pdf_version"] = info["format"]
    meta["page_count"] = doc.page_count
    if info.get("encryption"):
        meta["encrypted"] = True
    return meta


def _add_attachments(doc: pymupdf.Document, ctx: ExtractionContext) -> None:
    """Files embedded in the document (attachments, portfolios) and in file annotations."""
    for name in doc.embfile_names():
        info = doc.embfile_info(name)
        filename = info.get("ufilename") or info.get("filename") or name
        meta = {"description": info["desc"]} if info.get("desc") else None
        ctx.add_child(
            filename, doc.embfile_get(name), "embedded", _epoch(info.get("modDate")), meta
        )
    for page in doc:
        for annot in page.annots(types=(pymupdf.PDF_ANNOT_FILE_ATTACHMENT,)) or ():
            info = annot.file_info
            filename = info.get("filename") or f"page{page.number + 1}-attachment"
            ctx.add_child(
                filename, annot.get_file(), "embedded", metadata={"page": page.number + 1}
            )


def _mupdf_warnings(warnings: list[str]) -> None:
    notes = [line for line in pymupdf.TOOLS.mupdf_warnings(reset=True).splitlines() if line]
    warnings.extend(notes[:_MAX_WARNINGS])


class PdfExtractor(Extractor):
    mimes = frozenset({"application/pdf", "application/x-pdf"})
    family = "pdf"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        warnings: list[str] = []
        pymupdf.TOOLS.mupdf_warnings(reset=True)  # forget what an earlier file left
        with _open(ctx) as doc, library_errors("PyMuPDF"):
            pages, without_text = _pages(doc, warnings)
            meta = _metadata(doc)
            meta["pages_without_text"] = without_text
            try:
                _add_attachments(doc, ctx)
            except _PDF_ERRORS as exc:
                warnings.append(f"attachments: {exc}")
        _mupdf_warnings(warnings)
        return ExtractionResult(
            pages=clip_pages(pages, ctx.limits, warnings),
            title=meta.get("title"),
            metadata=meta,
            warnings=warnings,
        )
