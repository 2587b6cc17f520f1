"""Office Open XML: DOCX, XLSX, PPTX (and their macro/template variants).

DOCX and PPTX text is read straight from the package XML with lxml, which, unlike
python-docx/python-pptx, also reaches text boxes, content controls, nested tables and SmartArt.
XLSX sheets are read (openpyxl, read-only, cached values) by the table reader, once for
their text and their rows (spreadsheet_cells.py). Documents embedded in the package
(`*/embeddings/*`, unwrapped from their OLE envelope) become children; images do not.
Password-encrypted packages (an OLE file holding an EncryptedPackage) are decrypted with
msoffcrypto-tool when a known password fits.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import olefile
from lxml import etree

from trawl.ingestion.extractors.base import (
    EncryptedError,
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Extractor,
    LimitExceeded,
    Limits,
    Unsupported,
)
from trawl.ingestion.extractors.helpers import clip_pages, clip_text, library_errors
from trawl.ingestion.extractors.legacy_office import (
    DocExtractor,
    PptExtractor,
    XlsExtractor,
    decrypt_office,
    unwrap_ole_object,
)
from trawl.ingestion.spreadsheet_cells import workbook_text
from trawl.ingestion.tables.read import xlsx_sheets

# Untrusted XML: no DTDs, no entity expansion, no network.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
)
_BLANK_LINES = re.compile(r"\n{3,}")
_CORE_PROPS = {
    "title": "title",
    "subject": "subject",
    "creator": "author",
    "keywords": "keywords",
    "description": "description",
    "lastModifiedBy": "last_modified_by",
    "category": "category",
    "created": "created",
    "modified": "modified",
}
_APP_PROPS = {"Application": "application", "Company": "company"}
_DATE_PROPS = {"created", "modified"}


# -- package helpers --------------------------------------------------------------------------
def check_zip(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse packages whose parts are too large or too compressed (zip bombs)."""
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > limits.max_child_size or total > limits.max_children_total:
            raise LimitExceeded(f"package part {info.filename!r} is too large")
        if (
            info.file_size > limits.ratio_check_min_size
            and info.file_size / max(info.compress_size, 1) > limits.max_compression_ratio
        ):
            raise LimitExceeded(f"package part {info.filename!r}: compression ratio too high")


def open_zip(path: Path, limits: Limits) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        # NotImplementedError: a zip feature Python lacks (a newer version, a method).
        raise ExtractionError(f"not a readable ZIP package: {exc}") from exc
    try:
        check_zip(zf, limits)
    except LimitExceeded:
        zf.close()
        raise
    return zf


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _XML_PARSER)


def read_xml(zf: zipfile.ZipFile, name: str) -> etree._Element | None:
    """A package part parsed, or None when the part is missing."""
    try:
        data = zf.read(name)
    except KeyError:
        return None
    return parse_xml(data)


def localname(el: etree._Element) -> str:
    return el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""


def relationships(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) for a part's internal relationships (part '' = the package)."""
    folder, base = posixpath.split(part)
    root = read_xml(zf, posixpath.join(folder, "_rels", f"{base}.rels"))
    found = []
    for rel in root if root is not None else ():
        target = unquote(rel.get("Target") or "")  # 'Object%201.bin' names 'Object 1.bin'
        if rel.get("TargetMode") == "External" or not target:
            continue
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(folder, target))
        found.append((rel.get("Id") or "", rel.get("Type") or "", path))
    return found


def related(zf: zipfile.ZipFile, part: str, kind: str) -> list[str]:
    """Targets of a part's relationships whose type ends with '/kind'."""
    return [target for _, rel_type, target in relationships(zf, part) if rel_type.endswith(kind)]


def main_part(zf: zipfile.ZipFile) -> str:
    parts = related(zf, "", "/officeDocument")
    if not parts:
        raise ExtractionError("no main document part in the package")
    return parts[0]


def main_content_type(zf: zipfile.ZipFile) -> str:
    """The content type of the main part ('...wordprocessingml.document.main+xml')."""
    name = "/" + main_part(zf)
    root = read_xml(zf, "[Content_Types].xml")
    for el in root if root is not None else ():
        if localname(el) == "Override" and el.get("PartName") == name:
            return el.get("ContentType") or ""
    return ""


def iso_date(value: str) -> str | None:
    """A W3C/ISO date-time ('2012-07-02T09:52:00Z') normalised by Python, or None."""
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def package_metadata(zf: zipfile.ZipFile) -> dict[str, Any]:
    """Core properties (title, author, dates, ...) and the producing application."""
    meta: dict[str, Any] = {}
    core = read_xml(zf, (related(zf, "", "/core-properties") or ["docProps/core.xml"])[0])
    for el in core if core is not None else ():
        key = _CORE_PROPS.get(localname(el))
        value = (el.text or "").strip()
        if key and value:
            meta[key] = iso_date(value) if key in _DATE_PROPS else value
    app = read_xml(zf, "docProps/app.xml")
    for el in app if app is not None else ():
        key = _APP_PROPS.get(localname(el))
        if key and (el.text or "").strip():
            meta[key] = el.text.strip()
    return {key: value for key, value in meta.items() if value}


def add_embeddings(zf: zipfile.ZipFile, ctx: ExtractionContext, extra: list[str]) -> None:
    """Embedded documents (`*/embeddings/*`, plus the given parts) as children."""
    names = [n for n in zf.namelist() if "/embeddings/" in n and not n.endswith("/")]
    for name in dict.fromkeys([*names, *extra]):
        try:
            data = zf.read(name)
        except KeyError:
            continue
        inner_name, inner = unwrap_ole_object(posixpath.basename(name), data)
        ctx.add_child_or_skip(inner_name, inner, "embedded", metadata={"part": name})


# -- text of WordprocessingML and DrawingML ---------------------------------------------------
# Subtrees that repeat or hide text: mc:Fallback repeats mc:Choice (text boxes), w:moveFrom
# repeats w:moveTo, w:delText is deleted text, w:instrText a field's code, not its result.
_SKIP = {"Fallback", "moveFrom", "delText", "instrText"}
_PARAGRAPH_ENDS = {"p", "comment"}


def flow_text(root: etree._Element, skip: Callable[[etree._Element], bool] | None = None) -> str:
    """Text of a Word or DrawingML part: paragraphs as lines, table cells tab-separated.

    Matches local names only, so it reads Transitional and Strict namespaces alike, and
    w:p/w:t (Word) as well as a:p/a:t (slides, shapes, SmartArt)."""
    out: list[str] = []
    cell_depth = 0
    walker = etree.iterwalk(root, events=("start", "end"))  # iterative: no recursion limit
    for event, el in walker:
        name = localname(el)
        if event == "start":
            if name in _SKIP or (skip and skip(el)):
                walker.skip_subtree()
            elif name == "t":
                out.append(el.text or "")
            elif name in ("br", "cr"):
                out.append("\n")
            elif name == "tab" and localname(el.getparent()) == "r":  # not a tab stop
                out.append("\t")
            elif name == "noBreakHyphen":
                out.append("-")
            elif name == "tc":
                cell_depth += 1
        elif name in _PARAGRAPH_ENDS:
            out.append(" " if cell_depth else "\n")
        elif name == "tc":
            cell_depth -= 1
            out.append("\t")
        elif name == "tr":
            out.append("\n")
    return tidy("".join(out))


def tidy(text: str) -> str:
    lines = (line.rstrip(" \t") for line in text.replace(" \t", "\t").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _is_slide_number(el: etree._Element) -> bool:
    """A slide-number placeholder (its text is just the number)."""
    if localname(el) != "sp":
        return False
    ph = el.find("./{*}nvSpPr/{*}nvPr/{*}ph")
    return ph is not None and ph.get("type") in ("sldNum", "sldImg")


def _part_text(zf: zipfile.ZipFile, part: str, skip: Callable | None = None) -> str:
    root = read_xml(zf, part)
    return flow_text(root, skip) if root is not None else ""


# -- the formats ------------------------------------------------------------------------------
class _OoxmlExtractor(Extractor):
    """Shared steps: decrypt if needed, open the package, read it, metadata, embeddings."""

    kind: ClassVar[str] = ""  # the main part's content type contains this

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        path = ctx.path
        if olefile.isOleFile(str(path)):
            path = decrypt_office(ctx)
            if path is None:
                return _legacy_for(ctx).extract(ctx)  # an OLE (97-2003) file named .docx
        return self.extract_package(ctx, path, encrypted=path != ctx.path)

    def extract_package(
        self, ctx: ExtractionContext, path: Path, encrypted: bool
    ) -> ExtractionResult:
        warnings: list[str] = []
        with open_zip(path, ctx.limits) as zf, library_errors(f"{self.family} package"):
            result = self.read(zf, path, ctx, warnings)
            meta = package_metadata(zf)
            add_embeddings(zf, ctx, self.embedded_parts(zf))
        result.metadata = {**meta, **result.metadata}
        if encrypted:
            result.metadata["encrypted"] = True
        result.title = result.metadata.get("title")
        result.warnings = warnings
        return result

    def read(
        self, zf: zipfile.ZipFile, path: Path, ctx: ExtractionContext, warnings: list[str]
    ) -> ExtractionResult:
        raise NotImplementedError

    def embedded_parts(self, zf: zipfile.ZipFile) -> list[str]:
        return []


def _legacy_for(ctx: ExtractionContext) -> Extractor:
    """The 97-2003 extractor for an OLE file that came with an OOXML name."""
    with olefile.OleFileIO(str(ctx.path)) as ole:
        if ole.exists("WordDocument"):
            return DocExtractor()
        if ole.exists("Workbook") or ole.exists("Book"):
            return XlsExtractor()
        if ole.exists("PowerPoint Document"):
            return PptExtractor()
    raise ExtractionError("an OLE file that is neither an encrypted package nor a 97-2003 file")


class DocxExtractor(_OoxmlExtractor):
    mimes = frozenset(
        {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
            "application/vnd.ms-word.document.macroenabled.12",
            "application/vnd.ms-word.document.macroEnabled.12",
            "application/vnd.ms-word.template.macroenabled.12",
            "application/vnd.ms-word.template.macroEnabled.12",
        }
    )
    family = "word"
    kind = "wordprocessingml"
    # Parts read after the body, in this order; identical headers are kept once.
    _EXTRA_PARTS = ("/header", "/footer", "/footnotes", "/endnotes", "/comments")

    def read(
        self, zf: zipfile.ZipFile, path: Path, ctx: ExtractionContext, warnings: list[str]
    ) -> ExtractionResult:
        main = main_part(zf)
        texts = [_part_text(zf, main)]
        for kind in self._EXTRA_PARTS:
            for part in sorted(related(zf, main, kind)):
                text = _part_text(zf, part)
                if text and text not in texts:
                    texts.append(text)
        return ExtractionResult(text=clip_text("\n\n".join(texts), ctx.limits, warnings))

    def embedded_parts(self, zf: zipfile.ZipFile) -> list[str]:
        # altChunk: a whole HTML, MHT, RTF or DOCX document imported into this one.
        return related(zf, main_part(zf), "/aFChunk")


class XlsxExtractor(_OoxmlExtractor):
    mimes = frozenset(
        {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
            "application/vnd.ms-excel.sheet.macroenabled.12",
            "application/vnd.ms-excel.sheet.macroEnabled.12",
            "application/vnd.ms-excel.template.macroenabled.12",
            "application/vnd.ms-excel.template.macroEnabled.12",
        }
    )
    family = "spreadsheet"
    kind = "spreadsheetml"

    def read(
        self, zf: zipfile.ZipFile, path: Path, ctx: ExtractionContext, warnings: list[str]
    ) -> ExtractionResult:
        if main_part(zf).endswith(".bin"):
            raise Unsupported("binary Excel workbook (XLSB) is not read")
        with closing(xlsx_sheets(path)) as sheets:
            book = workbook_text(sheets, ctx.limits.max_text_chars, warnings)
        # Text boxes and shapes on sheets, then cell comments.
        parts = [n for n in zf.namelist() if n.endswith(".xml")]
        drawings = [_part_text(zf, n) for n in parts if n.startswith("xl/drawings/drawing")]
        comments = [_part_text(zf, n) for n in parts if n.startswith("xl/comments")]
        text = "\n\n".join(t for t in [*book.texts, *drawings, *comments] if t)
        return ExtractionResult(
            text=clip_text(text, ctx.limits, warnings), metadata={"sheets": book.names},
            sheets=book.sheets,
        )


class PptxExtractor(_OoxmlExtractor):
    mimes = frozenset(
        {
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
            "application/vnd.openxmlformats-officedocument.presentationml.template",
            "application/vnd.ms-powerpoint.presentation.macroenabled.12",
            "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
            "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
            "application/vnd.ms-powerpoint.slideshow.macroEnabled.12",
        }
    )
    family = "presentation"
    kind = "presentationml"

    def read(
        self, zf: zipfile.ZipFile, path: Path, ctx: ExtractionContext, warnings: list[str]
    ) -> ExtractionResult:
        main = main_part(zf)
        pages = [self._slide(zf, part) for part in self._slide_parts(zf, main)]
        return ExtractionResult(
            pages=clip_pages(pages, ctx.limits, warnings), metadata={"slide_count": len(pages)}
        )

    def _slide_parts(self, zf: zipfile.ZipFile, main: str) -> list[str]:
        """Slides in presentation order (p:sldIdLst), not in part-name order."""
        targets = {rid: target for rid, _, target in relationships(zf, main)}
        root = read_xml(zf, main)
        parts = []
        for el in root.iter("{*}sldId") if root is not None else ():
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            if rid in targets:
                parts.append(targets[rid])
        return parts

    def _slide(self, zf: zipfile.ZipFile, part: str) -> str:
        """A slide's text, its SmartArt, then its speaker notes."""
        texts = [_part_text(zf, part, _is_slide_number)]
        texts += [_part_text(zf, p) for p in related(zf, part, "/diagramData")]
        texts += [_part_text(zf, p, _is_slide_number) for p in related(zf, part, "/notesSlide")]
        return "\n\n".join(t for t in texts if t)


_BY_KIND: list[type[_OoxmlExtractor]] = [DocxExtractor, XlsxExtractor, PptxExtractor]


class EncryptedOfficeExtractor(Extractor):
    """An encrypted OOXML package (libmagic: "CDFV2 Encrypted"). Once decrypted, the main
    part's content type tells which of the three it is, and so the result's family."""

    mimes = frozenset({"application/encrypted"})
    family = "office"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        path = decrypt_office(ctx)
        if path is None:
            raise EncryptedError("encrypted file of a kind that cannot be decrypted")
        with open_zip(path, ctx.limits) as zf, library_errors("decrypted package"):
            content_type = main_content_type(zf)
        for cls in _BY_KIND:
            if cls.kind in content_type:
                result = cls().extract_package(ctx, path, encrypted=True)
                result.family = cls.family
                return result
        raise ExtractionError("decrypted package is not a Word, Excel or PowerPoint file")
