"""HTML pages: visible text with block elements as line breaks, title and meta tags (lxml.html)."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionResult,
    Extractor,
)
from trawl.ingestion.extractors.helpers import clip_text, decode_bytes, read_capped

# Elements whose content is never shown as text.
_SKIP = {"script", "style", "noscript", "template", "head"}
# Elements that start a new line (the rest flow inline).
_BLOCK = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend",
    "li", "main", "menu", "nav", "ol", "option", "p", "pre", "section", "summary", "table",
    "tbody", "tfoot", "thead", "title", "tr", "ul",
}  # fmt: skip
_CELL = {"td", "th"}
_META_NAMES = {"description", "keywords", "author", "generator", "copyright"}
# <meta charset="x"> or <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)
# Characters libxml2 rejects in a Python string.
_BAD_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode HTML: BOM, then the page's own meta charset when it fits, then detection."""
    match = _META_CHARSET.search(data[:8192])
    return decode_bytes(data, declared=match.group(1).decode("ascii") if match else None)


def parse_html(text: str) -> etree._Element | None:
    """An lxml tree for the page, or None for an empty one."""
    text = _BAD_XML_CHARS.sub("", _XML_DECL.sub("", text, count=1))
    if not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _tag(el: etree._Element) -> str | None:
    # Comments and processing instructions have a function, not a string, as their tag.
    return el.tag.lower() if isinstance(el.tag, str) else None


def visible_text(root: etree._Element) -> str:
    """The text a reader sees: block elements on their own lines, cells tab-separated."""
    out: list[str] = []
    pre_depth = 0

    def add(value: str | None) -> None:
        if value:
            out.append(value if pre_depth else _SPACES.sub(" ", value))

    walker = etree.iterwalk(root, events=("start", "end"))  # iterative: no recursion limit
    for event, el in walker:
        tag = _tag(el)
        if event == "start":
            if tag is None or tag in _SKIP:
                walker.skip_subtree()
                continue
            if tag in _BLOCK or tag == "br":
                out.append("\n")
            if tag == "pre":
                pre_depth += 1
            add(el.text)
        else:
            if tag == "pre":
                pre_depth -= 1
            if tag in _BLOCK:
                out.append("\n")
            elif tag in _CELL:
                out.append("\t")
            elif tag == "img" and el.get("alt"):
                out.append(f" {el.get('alt')} ")
            add(el.tail)
    lines = (line.rstrip(" \t").lstrip(" ") for line in "".join(out).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_metadata(root: etree._Element) -> tuple[str | None, dict[str, str]]:
    """The page's <title> and its descriptive <meta name=...> values."""
    title_el = root.find(".//title")
    title = _SPACES.sub(" ", title_el.text_content()).strip() if title_el is not None else None
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if name in _META_NAMES and content and name not in meta:
            meta[name] = content
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang:
        meta["language"] = lang.strip()
    return title or None, meta


class HtmlExtractor(Extractor):
    mimes = frozenset({"text/html", "application/xhtml+xml"})
    family = "html"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        warnings: list[str] = []
        text, encoding = decode_html(read_capped(ctx, warnings))
        root = parse_html(text)
        if root is None:
            return ExtractionResult(text="", metadata={"encoding": encoding}, warnings=warnings)
        title, meta = html_metadata(root)
        return ExtractionResult(
            text=clip_text(visible_text(root), ctx.limits, warnings),
            title=title,
            metadata={"encoding": encoding, **meta},
            warnings=warnings,
        )
