"""Helpers the document extractors share: decoding bytes of an unknown encoding, keeping
extracted text under `Limits.max_text_chars`, reading a file no further than that needs, and
turning a parsing library's untyped exceptions into ExtractionError.

It imports no extractor, so that every extractor (and the table reader) may import it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from contextlib import contextmanager

from charset_normalizer import from_bytes

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionError,
    Limits,
    RetryableError,
    Unsupported,
)

# Byte-order marks, longest first: a UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# charset-normalizer is slow on big inputs and a sample decides as well as the whole.
_DETECT_SAMPLE = 256 * 1024
# Control characters that never occur in real text (tab, newlines, form feed and ESC excluded).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def bom_encoding(data: bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark announces, and the mark's length."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None, 0


def _utf8_or_none(data: bytes) -> str | None:
    # Incremental and not final: a multi-byte character cut by the size cap is not an error.
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM shows as NULs in every other byte (for Latin scripts)."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even_nuls = sample[0::2].count(0) / (len(sample) / 2)
    odd_nuls = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def normalize_encoding(name: str) -> str | None:
    """A Python codec name for a declared charset, or None when Python does not know it."""
    name = name.strip().strip("\"'").lower()
    # As browsers do (WHATWG): Latin-1 and ASCII labels mean windows-1252, a superset.
    if name in {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"}:
        return "cp1252"
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown, or not even a name (a NUL byte in it)
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode text of unknown encoding: BOM, then a declared charset that fits, then UTF-8,
    then UTF-16 without BOM, then charset-normalizer's guess. Returns (text, encoding)."""
    encoding, skip = bom_encoding(data)
    if encoding:
        return data[skip:].decode(encoding, "replace"), encoding
    if declared and (codec := normalize_encoding(declared)):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            pass  # the declaration lies (common in scraped HTML): detect instead
    text = _utf8_or_none(data)
    if text is not None:
        return text, "utf-8"
    if encoding := _utf16_without_bom(data):
        return data.decode(encoding, "replace"), encoding
    encoding = _guess_encoding(data[:_DETECT_SAMPLE])
    return data.decode(encoding, "replace"), encoding


def _guess_encoding(sample: bytes) -> str:
    """charset-normalizer's guess, but windows-1252 when it fits as well as the guess.

    Between 8-bit code pages that fit equally well charset-normalizer picks cp1250 first,
    which turns French 'père' into 'pčre'; windows-1252 is by far the more common one.
    """
    results = from_bytes(sample)
    best = results.best()
    if best is None:
        return "cp1252"
    for match in results:
        if (
            "cp1252" in match.could_be_from_charset
            and match.chaos <= best.chaos + 0.01
            and match.coherence >= best.coherence - 0.02
        ):
            return "cp1252"
    return best.encoding


def looks_binary(text: str) -> bool:
    """True when decoded 'text' is mostly control characters: the bytes were not text."""
    sample = text[:65536]
    if not sample:
        return False
    return len(_CONTROL.findall(sample)) / len(sample) > 0.05


def clip_text(text: str, limits: Limits, warnings: list[str]) -> str:
    """The text, cut at `limits.max_text_chars` with a warning when it is longer."""
    if len(text) <= limits.max_text_chars:
        return text
    warnings.append(f"text truncated at {limits.max_text_chars} characters")
    return text[: limits.max_text_chars]


def clip_pages(pages: list[str], limits: Limits, warnings: list[str]) -> list[str]:
    """Pages cut so that together they stay under `limits.max_text_chars`."""
    room = limits.max_text_chars
    kept: list[str] = []
    for page in pages:
        if len(page) > room:
            warnings.append(f"text truncated at {limits.max_text_chars} characters")
            kept.append(page[:room])
            # The remaining pages stay, empty, so that page numbers keep their meaning.
            kept.extend("" for _ in range(len(pages) - len(kept)))
            return kept
        kept.append(page)
        room -= len(page)
    return kept


@contextmanager
def library_errors(what: str) -> Iterator[None]:
    """Turn the untyped exceptions a parsing library raises on bad input into ExtractionError.

    Parsers (openpyxl, xlrd, lxml, ...) fail on broken files with whatever exception their
    code happens to hit (KeyError, IndexError, AssertionError, ...); all mean "this file
    cannot be read", so the pipeline records them as permanent. Our own typed errors and
    MemoryError (the worker's memory limit) pass through unchanged.
    """
    try:
        yield
    except (ExtractionError, Unsupported, RetryableError, MemoryError):
        raise
    except Exception as exc:
        raise ExtractionError(f"{what}: {type(exc).__name__}: {exc}"[:1000]) from exc


def read_capped(ctx: ExtractionContext, warnings: list[str]) -> bytes:
    """The file's bytes, at most what `max_text_chars` characters could need (4 bytes each)."""
    cap = ctx.limits.max_text_chars * 4
    with ctx.path.open("rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        warnings.append(f"only the first {cap} bytes were read")
        data = data[:cap]
    return data
