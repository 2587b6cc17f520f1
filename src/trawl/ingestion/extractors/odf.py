"""OpenDocument: ODT, ODS, ODP (and templates, ODG) read with zipfile + lxml.

content.xml gives the text (paragraphs as lines, table rows tab-separated, a page per slide),
styles.xml the page headers and footers, meta.xml the properties. Encrypted documents
(manifest with encryption data) raise EncryptedError: decryption is not implemented.
"""

from __future__ import annotations

import re
import zipfile
from typing import Any, ClassVar

from lxml import etree

from trawl.ingestion.extractors.base import (
    EncryptedError,
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Extractor,
)
from trawl.ingestion.extractors.helpers import clip_pages, clip_text, library_errors
from trawl.ingestion.extractors.legacy_office import unwrap_ole_object
from trawl.ingestion.extractors.ooxml import iso_date, open_zip, read_xml, tidy

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


_PARAGRAPHS = {_q("text", "p"), _q("text", "h")}
_CELLS = {_q("table", "table-cell"), _q("table", "covered-table-cell")}
_ROW, _TABLE = _q("table", "table-row"), _q("table", "table")
_SPACE, _TAB, _BREAK = _q("text", "s"), _q("text", "tab"), _q("text", "line-break")
# Subtrees without reader-visible text: deleted text of tracked changes, form controls, etc.
_SKIP = {_q("text", "tracked-changes"), _q("office", "forms"), _q("text", "sequence-decls")}
_MAX_REPEAT = 256  # cells repeated by number-columns-repeated (sheets repeat empties 16 000x)
_OBJECT = re.compile(r"^Object \d+$")  # an embedded object stored as one binary (OLE) file
_META = {
    _q("dc", "title"): "title",
    _q("dc", "subject"): "subject",
    _q("dc", "description"): "description",
    _q("meta", "initial-creator"): "author",
    _q("dc", "creator"): "last_modified_by",
    _q("meta", "creation-date"): "created",
    _q("dc", "date"): "modified",
    _q("meta", "generator"): "application",
    _q("dc", "language"): "language",
}


def _count(value: str | None) -> int:
    """A repeat count attribute, at least 1 and at most _MAX_REPEAT (junk counts as 1)."""
    try:
        return max(1, min(int(value or 1), _MAX_REPEAT))
    except ValueError:
        return 1


class _Walker:
    """Text of an ODF element: paragraphs as lines, table rows as tab-separated lines."""

    def __init__(self, sheet_headers: bool) -> None:
        self.sheet_headers = sheet_headers
        self.out: list[str] = []
        self.in_paragraph = 0
        self.rows: list[list[str]] = []
        self.cell_starts: list[int] = []

    def text(self, root: etree._Element) -> str:
        walker = etree.iterwalk(root, events=("start", "end"))  # iterative: no recursion limit
        for event, el in walker:
            if not isinstance(el.tag, str):
                continue
            if event == "start":
                if el.tag in _SKIP:
                    walker.skip_subtree()
                    self._tail(el)  # no end handling for a skipped element but its tail
                    continue
                self._start(el)
            else:
                if el.tag not in _SKIP:
                    self._end(el)
        return tidy("".join(self.out))

    def _start(self, el: etree._Element) -> None:
        tag = el.tag
        if tag in _PARAGRAPHS:
            self.in_paragraph += 1
        elif tag == _SPACE and self.in_paragraph:
            self.out.append(" " * _count(el.get(_q("text", "c"))))
        elif tag == _TAB and self.in_paragraph:
            self.out.append("\t")
        elif tag == _BREAK and self.in_paragraph:
            self.out.append("\n")
        elif tag == _TABLE and self.sheet_headers:
            self.out.append(f"\nSheet: {el.get(_q('table', 'name')) or ''}\n")
        elif tag == _ROW:
            self.rows.append([])
        elif tag in _CELLS:
            self.cell_starts.append(len(self.out))
        if self.in_paragraph and el.text:
            self.out.append(el.text)

    def _end(self, el: etree._Element) -> None:
        tag = el.tag
        if tag in _PARAGRAPHS:
            self.in_paragraph -= 1
            self.out.append("\n")
        elif tag in _CELLS and self.cell_starts:
            self._end_cell(el)
        elif tag == _ROW and self.rows:
            row = self.rows.pop()
            while row and not row[-1]:
                row.pop()
            if row:
                self.out.append("\t".join(row) + "\n")
        self._tail(el)

    def _end_cell(self, el: etree._Element) -> None:
        start = self.cell_starts.pop()
        value = " ".join("".join(self.out[start:]).split())  # a cell's lines on one line
        del self.out[start:]
        if self.rows:
            repeat = _count(el.get(_q("table", "number-columns-repeated")))
            self.rows[-1].extend([value] * repeat)

    def _tail(self, el: etree._Element) -> None:
        if self.in_paragraph and el.tail:
            self.out.append(el.tail)


def odf_text(root: etree._Element, sheet_headers: bool = False) -> str:
    return _Walker(sheet_headers).text(root)


def odf_metadata(zf: zipfile.ZipFile) -> dict[str, Any]:
    root = read_xml(zf, "meta.xml")
    meta_el = root.find(_q("office", "meta")) if root is not None else None
    meta: dict[str, Any] = {}
    keywords = []
    for el in meta_el if meta_el is not None else ():
        value = (el.text or "").strip()
        if el.tag == _q("meta", "keyword") and value:
            keywords.append(value)
        elif (key := _META.get(el.tag)) and value:
            meta[key] = value
    if keywords:
        meta["keywords"] = ", ".join(keywords)
    if "author" not in meta and "last_modified_by" in meta:
        meta["author"] = meta["last_modified_by"]
    for key in ("created", "modified"):
        if key in meta:
            meta[key] = iso_date(meta[key])
    return {key: value for key, value in meta.items() if value}


def _check_encryption(zf: zipfile.ZipFile) -> None:
    manifest = read_xml(zf, "META-INF/manifest.xml")
    if (
        manifest is not None
        and manifest.find(f".//{_q('manifest', 'encryption-data')}") is not None
    ):
        raise EncryptedError("password-protected OpenDocument (decryption not supported)")


def _add_objects(zf: zipfile.ZipFile, ctx: ExtractionContext) -> None:
    """Embedded OLE objects ('Object 3', a binary file) as children; ODF sub-documents
    ('Object 1/content.xml': charts, formulas) are not documents of their own."""
    for name in zf.namelist():
        if _OBJECT.match(name):
            inner_name, data = unwrap_ole_object(name, zf.read(name))
            ctx.add_child_or_skip(inner_name, data, "embedded", metadata={"part": name})


class _OdfExtractor(Extractor):
    paged: ClassVar[bool] = False  # one page per draw:page (presentations, drawings)
    sheets: ClassVar[bool] = False  # "Sheet: name" lines before each table

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        warnings: list[str] = []
        with open_zip(ctx.path, ctx.limits) as zf, library_errors("OpenDocument"):
            _check_encryption(zf)
            content = read_xml(zf, "content.xml")
            if content is None:
                raise ExtractionError("no content.xml: not an OpenDocument package")
            result = self._read(zf, content, ctx, warnings)
            result.metadata = {**odf_metadata(zf), **result.metadata}
            _add_objects(zf, ctx)
        result.title = result.metadata.get("title")
        result.warnings = warnings
        return result

    def _read(
        self, zf: zipfile.ZipFile, content: etree._Element, ctx: ExtractionContext,
        warnings: list[str],
    ) -> ExtractionResult:  # fmt: skip
        body = content.find(_q("office", "body"))
        if body is None:
            return ExtractionResult(text="")
        if self.paged:
            pages = [odf_text(page) for page in body.iter(_q("draw", "page"))]
            return ExtractionResult(
                pages=clip_pages(pages, ctx.limits, warnings), metadata={"slide_count": len(pages)}
            )
        texts = [odf_text(body, self.sheets)]
        styles = read_xml(zf, "styles.xml")
        masters = styles.find(_q("office", "master-styles")) if styles is not None else None
        if masters is not None and (headers := odf_text(masters)):
            texts.append(headers)  # page headers and footers
        return ExtractionResult(text=clip_text("\n\n".join(texts), ctx.limits, warnings))


class OdtExtractor(_OdfExtractor):
    mimes = frozenset(
        {
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.text-template",
            "application/vnd.oasis.opendocument.text-master",
        }
    )
    family = "word"


class OdsExtractor(_OdfExtractor):
    mimes = frozenset(
        {
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.spreadsheet-template",
        }
    )
    family = "spreadsheet"
    sheets = True


class OdpExtractor(_OdfExtractor):
    mimes = frozenset(
        {
            "application/vnd.oasis.opendocument.presentation",
            "application/vnd.oasis.opendocument.presentation-template",
        }
    )
    family = "presentation"
    paged = True


class OdgExtractor(_OdfExtractor):
    mimes = frozenset(
        {
            "application/vnd.oasis.opendocument.graphics",
            "application/vnd.oasis.opendocument.graphics-template",
        }
    )
    family = "drawing"
    paged = True
