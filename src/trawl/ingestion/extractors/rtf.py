"""RTF: text via striprtf, metadata from the {\\info} group.

striprtf decodes \\'xx escapes with the \\ansicpg code page (or the font's \\fcharset) and \\uN
escapes; what it leaves as UTF-16 surrogate halves (characters beyond the BMP) is joined here.
"""

from __future__ import annotations

import re
from datetime import datetime

from striprtf.striprtf import rtf_to_text

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionResult,
    Extractor,
)
from trawl.ingestion.extractors.helpers import clip_text, library_errors, read_capped

_ANSICPG = re.compile(rb"\\ansicpg(\d+)")
_INFO_FIELD = re.compile(
    r"\{\\(title|subject|author|operator|keywords|company|doccomm|category)\b ?((?:[^{}\\]|\\.)*)\}"
)  # fmt: skip
_INFO_DATE = re.compile(r"\{\\(creatim|revtim)((?:\\[a-z]+-?\d+\s*)+)\}")
_DATE_PART = re.compile(r"\\(yr|mo|dy|hr|min|sec)(-?\d+)")
_INFO_KEYS = {"operator": "last_modified_by", "doccomm": "comments", "creatim": "created",
              "revtim": "modified"}  # fmt: skip
_BLANK_LINES = re.compile(r"\n{3,}")
# striprtf treats a \* anywhere in a group as "ignore this group"; only a \* right after '{'
# means that (an optional destination). Elsewhere writers leave it meaningless and harmless.
_STRAY_STAR = re.compile(r"(?<!\{)\\\*")
# Page headers and footers are destinations striprtf drops; their text is worth indexing.
_HEADER_GROUP = re.compile(r"\{\\(?:header|footer)[lrf]?(?![a-z])")
_BIN = re.compile(r"\\bin(\d+) ?")
# The hex dump of an embedded object: never text, and slow for striprtf's regular expressions.
_OBJDATA = re.compile(r"(\\objdata)[\s0-9a-fA-F]+")


def _drop_binary(rtf: str) -> str:
    """Remove \\binN control words and the N raw bytes after each (embedded pictures)."""
    parts, pos = [], 0
    while match := _BIN.search(rtf, pos):
        parts.append(rtf[pos : match.start()])
        pos = match.end() + int(match.group(1))
    parts.append(rtf[pos:])
    return "".join(parts)


def _prepare(rtf: str) -> str:
    if "\\bin" in rtf:
        rtf = _drop_binary(rtf)
    rtf = _OBJDATA.sub(r"\1", rtf)
    return _HEADER_GROUP.sub("{", _STRAY_STAR.sub("", rtf))


def _codepage(data: bytes) -> str:
    match = _ANSICPG.search(data[:4096])
    codepage = f"cp{match.group(1).decode()}" if match else "cp1252"
    try:
        "".encode(codepage)
    except LookupError:
        return "cp1252"
    return codepage


def _join_surrogates(text: str) -> str:
    # \uN escapes for characters beyond U+FFFF arrive as two UTF-16 halves: make them one.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _plain(rtf: str, codepage: str) -> str:
    return _join_surrogates(rtf_to_text(rtf, encoding=codepage, errors="replace"))


def _info_date(spec: str) -> str | None:
    parts = {name: int(value) for name, value in _DATE_PART.findall(spec)}
    try:
        stamp = datetime(
            parts["yr"], parts.get("mo", 1), parts.get("dy", 1), parts.get("hr", 0),
            parts.get("min", 0), parts.get("sec", 0),
        )  # fmt: skip
    except (KeyError, ValueError):
        return None
    return stamp.isoformat()


def rtf_metadata(rtf: str, codepage: str) -> dict[str, str]:
    """Title, author, dates, ... from the document's {\\info} group (simple values only)."""
    start = rtf.find("{\\info")
    if start < 0:
        return {}
    info = rtf[start : start + 20000]
    meta: dict[str, str] = {}
    for name, raw in _INFO_FIELD.findall(info):
        # A value may hold escapes (\'e9, \u1234): decode it as a tiny RTF document.
        value = _plain("{\\rtf1 " + raw + "}", codepage).strip()
        key = _INFO_KEYS.get(name, name)
        # {\upr{\title ???}{\*\ud{\title \u12478...}}}: an 8-bit value, then a Unicode one.
        # Keep the one with fewer '?' (characters the 8-bit code page could not hold).
        if value and (key not in meta or value.count("?") < meta[key].count("?")):
            meta[key] = value
    for name, spec in _INFO_DATE.findall(info):
        if stamp := _info_date(spec):
            meta.setdefault(_INFO_KEYS[name], stamp)
    return meta


class RtfExtractor(Extractor):
    mimes = frozenset({"text/rtf", "application/rtf"})
    family = "word"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        warnings: list[str] = []
        data = read_capped(ctx, warnings)
        codepage = _codepage(data)
        # Raw 8-bit bytes in RTF are in the document code page; escapes are plain ASCII.
        rtf = data.decode(codepage, "replace")
        with library_errors("striprtf"):
            text = _plain(_prepare(rtf), codepage)
        lines = (line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
        meta = rtf_metadata(rtf, codepage)
        return ExtractionResult(
            text=clip_text(text, ctx.limits, warnings),
            title=meta.get("title"),
            metadata=meta,
            warnings=warnings,
        )
