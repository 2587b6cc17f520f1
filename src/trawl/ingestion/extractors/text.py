"""Plain text in any encoding: .txt, CSV/TSV (as text for now), Markdown, JSON, XML, iCalendar,
vCard, NDJSON."""

from __future__ import annotations

import re

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionResult,
    Extractor,
    Unsupported,
)
from trawl.ingestion.extractors.helpers import clip_text, decode_bytes, looks_binary, read_capped
from trawl.ingestion.extractors.html import HtmlExtractor

_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)""")
_XML_TYPES = {"text/xml", "application/xml"}


def _looks_like_xhtml(text: str) -> bool:
    head = text[:2048].lower()
    return "<html" in head and ("xhtml" in head or "<!doctype html" in head or "<head" in head)


class TextExtractor(Extractor):
    mimes = frozenset(
        {
            "text/plain",
            "text/csv",
            "text/tab-separated-values",
            "text/markdown",
            "text/x-markdown",
            "application/json",
            "application/x-ndjson",
            "text/xml",
            "application/xml",
            "text/calendar",
            "text/vcard",
            "text/x-vcard",
            "text/x-log",
        }
    )
    family = "text"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        warnings: list[str] = []
        data = read_capped(ctx, warnings)
        declared = _XML_ENCODING.match(data[:200]) if ctx.mime in _XML_TYPES else None
        text, encoding = decode_bytes(data, declared.group(1).decode() if declared else None)
        # NUL padding after the text (pre-allocated downloads, fixed-size records) is not
        # binary content; it goes before the binary check.
        text = text.replace("\x00", "")
        if looks_binary(text):
            raise Unsupported(f"binary content under a text type ({ctx.mime})")
        if ctx.mime in _XML_TYPES and _looks_like_xhtml(text):
            # XHTML with an XML prolog is typed text/xml by libmagic: read it as a page.
            return HtmlExtractor().extract(ctx)
        text = text.replace("\r\n", "\n")
        return ExtractionResult(
            text=clip_text(text, ctx.limits, warnings),
            metadata={"encoding": encoding},
            warnings=warnings,
        )
