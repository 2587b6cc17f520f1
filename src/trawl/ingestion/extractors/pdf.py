"""PDF: text per page, document info, form values, attachments (PyMuPDF).

Text comes in content-stream order (`sort=False`). On the corpus this keeps the columns of
two-column papers and rotated text intact, where `sort=True` (a layout mode in PyMuPDF 1.2x)
interleaves columns line by line and pdftotext breaks rotated text into letter salad.
Ligatures are expanded and words hyphenated at line ends joined, so that search finds them.
Pages whose text layer is missing or junk are listed for OCR (`pages_needing_ocr`), which the
OCR stage reads later (ocr_stage.py): extraction itself stays fast and never runs Tesseract.
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
from trawl.ingestion.extractors.helpers import clip_pages, library_errors
from trawl.ingestion.ocr import text_layer_problem

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


def _pages(doc: pymupdf.Document, warnings: list[str]) -> tuple[list[str], int, dict[str, str]]:
    """The text of each page, how many pages have no text layer, and the pages that OCR
    must read, with why (1-based page number as a string -> reason)."""
    pages, without_text, ocr_reasons = [], 0, {}
    for page in doc:
        try:
            layer = _dehyphenate(page.get_text("text", flags=_TEXT_FLAGS).strip())
            extras = _page_extras(page)
        except _PDF_ERRORS as exc:
            # One broken page (bad font, bad content stream) does not lose the others.
            warnings.append(f"page {page.number + 1}: {exc}")
            layer, extras = "", []
        without_text += not layer
        if reason := _ocr_reason(page, layer):
            ocr_reasons[str(page.number + 1)] = reason
        pages.append("\n".join([layer, *extras]) if extras else layer)
    return pages, without_text, ocr_reasons


def _ocr_reason(page: pymupdf.Page, layer: str) -> str | None:
    """Why this page needs OCR (ocr.text_layer_problem), or None. Decided per page: one
    scanned page in a typed report is read, its typed pages are not."""
    try:
        if not layer and not page.get_images() and _looks_blank(page):
            return None  # nothing on it to read (no text, no image, no ink)
        area = page.rect.width * page.rect.height / 72 / 72
        return text_layer_problem(layer, area, lambda: _image_coverage(page))
    except _PDF_ERRORS:
        return None if layer else "no text layer"


def _image_coverage(page: pymupdf.Page) -> float:
    """The share of the page that images cover (overlaps counted twice; capped at 1)."""
    page_area = abs(page.rect) or 1.0
    covered = sum(abs(pymupdf.Rect(info["bbox"]) & page.rect)
                  for info in page.get_image_info())
    return min(covered / page_area, 1.0)


def _looks_blank(page: pymupdf.Page) -> bool:
    """Whether a page without text or images shows nothing either (vector drawings of text,
    outlined fonts, do show): a thumbnail with almost no dark pixel."""
    pix = page.get_pixmap(dpi=18, colorspace=pymupdf.csGRAY, alpha=False)
    dark = sum(1 for value in pix.samples if value < 200)
    return dark <= 0.002 * max(pix.width * pix.height, 1)


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
        ctx.add_child_or_skip(
            filename, doc.embfile_get(name), "embedded", _epoch(info.get("modDate")), meta
        )
    for page in doc:
        for annot in page.annots(types=(pymupdf.PDF_ANNOT_FILE_ATTACHMENT,)) or ():
            info = annot.file_info
            filename = info.get("filename") or f"page{page.number + 1}-attachment"
            ctx.add_child_or_skip(
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
            pages, without_text, ocr_reasons = _pages(doc, warnings)
            meta = _metadata(doc)
            meta["pages_without_text"] = without_text
            if ocr_reasons:  # read by the OCR stage (ocr_stage.py), now or with `trawl ocr`
                meta["ocr"] = "pending"
                meta["pages_needing_ocr"] = [int(n) for n in ocr_reasons]
                meta["ocr_reasons"] = ocr_reasons
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
