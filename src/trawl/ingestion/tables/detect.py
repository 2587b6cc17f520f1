"""Encoding, dialect and header of delimited text (CSV, TSV, semicolons, pipes).

* Encoding: a byte-order mark, else the extractors' `decode_bytes` on the first MB
  (declared nothing; UTF-8 if it decodes, UTF-16 without BOM, else charset-normalizer with
  windows-1252 preferred). A file is streamed, not loaded: bytes that the chosen encoding
  cannot decode further on (a UTF-8 export with a few windows-1252 cells, the usual mix) are
  kept, read as windows-1252, and their rows flagged ``bad bytes`` (see `BadBytes`).
* Dialect: csv.Sniffer guesses wrong too often on real exports (a comma inside quoted text, a
  colon-separated cell), so each candidate delimiter is tried on the first records and the one
  that gives the most consistent number of fields (then the most fields) wins.
* Header: the first non-empty row is the header unless it looks like data (half its cells or
  more are numbers or dates). A sheet's single-cell title line above its header is a title.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter

from trawl.ingestion.extractors.helpers import bom_encoding, decode_bytes
from trawl.ingestion.sheet import Dialect

SAMPLE_BYTES = 1024 * 1024
DIALECT_SAMPLE_CHARS = 256 * 1024
DIALECT_RECORDS = 200
DELIMITERS = (",", ";", "\t", "|")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BOM_CODECS = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16", "utf-16-be": "utf-16",
               "utf-32-le": "utf-32", "utf-32-be": "utf-32"}
_DATA_LIKE = re.compile(
    r"\s*(?:[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*"
    r"|\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?)\s*")



class BadBytes:
    """Undecodable bytes, kept: a decoding error handler that turns them into lone surrogates
    (as ``surrogateescape`` does) and counts them, so that rows are only checked once a file
    has shown one. `repair` turns the surrogates into the windows-1252 characters of the
    bytes (Latin-1 for the five bytes windows-1252 leaves undefined).

    One handler, registered once per process (codecs has no way to unregister one); a
    worker reads one file at a time, so a reader resets the count before it starts."""

    NAME = "trawl-tables"
    _SURROGATES = re.compile("[\udc80-\udcff]")
    _count = 0

    @classmethod
    def reset(cls) -> None:
        cls._count = 0

    @classmethod
    def seen(cls) -> int:
        return cls._count

    @classmethod
    def handle(cls, exc: UnicodeError) -> tuple[str, int]:
        if not isinstance(exc, UnicodeDecodeError):
            raise exc
        cls._count += 1
        bad = exc.object[exc.start:exc.end]
        return "".join(chr(0xDC00 + b) if b >= 0x80 else chr(b) for b in bad), exc.end

    @classmethod
    def found_in(cls, text: str) -> bool:
        return cls._SURROGATES.search(text) is not None

    @classmethod
    def repair(cls, text: str) -> str:
        return cls._SURROGATES.sub(_as_cp1252, text)


codecs.register_error(BadBytes.NAME, BadBytes.handle)


def _as_cp1252(match: re.Match[str]) -> str:
    byte = bytes([ord(match.group()) - 0xDC00])
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:
        return byte.decode("latin-1")


def sniff_encoding(sample: bytes) -> tuple[str, int]:
    """(Python codec, bytes to skip) for a file starting with `sample`."""
    bom, length = bom_encoding(sample)
    if bom:
        return _BOM_CODECS.get(bom, bom), 0 if bom in _BOM_CODECS else length
    _text, encoding = decode_bytes(sample)
    try:
        return codecs.lookup(encoding).name, 0
    except LookupError:
        return "cp1252", 0


def open_text(raw: io.BufferedIOBase, encoding: str) -> io.TextIOWrapper:
    """The text stream csv.reader reads: newline='' so quoted line breaks stay in cells;
    undecodable bytes are kept (see `BadBytes`)."""
    BadBytes.reset()
    return io.TextIOWrapper(raw, encoding=encoding, errors=BadBytes.NAME, newline="")


def sniff_dialect(text: str, prefer_tab: bool = False) -> Dialect:
    """The delimiter that splits the first records most consistently."""
    sample = _whole_records(text)
    best = _best_delimiter(sample, prefer_tab)
    delimiter = best[1] if best else ("\t" if prefer_tab else ",")
    first_line = sample.split("\n", 1)[0]
    separators = first_line.count(delimiter)
    spaced = first_line.count(delimiter + " ")
    return Dialect(delimiter=delimiter,
                   skipinitialspace=separators > 0 and delimiter != " "
                   and spaced == separators)


def parses_as_table(text: str) -> bool:
    """Whether the start of a file reads as delimited records: two or more of them, nine in
    ten with the same number (two or more) of fields. An HTML page named .csv does not; a CSV
    file whose cells are HTML, which libmagic may call HTML, does."""
    best = _best_delimiter(_whole_records(text), prefer_tab=False)
    return best is not None and best[0][0] >= 0.9 and best[0][3] >= 2


def _whole_records(text: str) -> str:
    # The sample may end inside a record: drop its last line.
    cut = text.rfind("\n")
    return text[:cut] if cut > 0 else text


def _best_delimiter(sample: str, prefer_tab: bool
                    ) -> tuple[tuple[float, int, int, int], str] | None:
    """((consistency, tab bonus, fields, records), delimiter) of the best candidate."""
    best: tuple[tuple[float, int, int, int], str] | None = None
    for delimiter in DELIMITERS:
        if delimiter not in sample:
            continue  # one field per record: never chosen, so not worth parsing the sample
        counts = _field_counts(sample, delimiter)
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        consistency = round(freq / len(counts), 2)
        bonus = 1 if prefer_tab and delimiter == "\t" else 0
        score = (consistency, bonus, mode, freq)
        if best is None or score[:3] > best[0][:3]:
            best = (score, delimiter)
    return best


def _field_counts(sample: str, delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    counts = []
    try:
        for record in reader:
            if record:
                counts.append(len(record))
            if len(counts) >= DIALECT_RECORDS:
                break
    except csv.Error:
        return []
    return counts


def looks_like_data(cells: list[str]) -> bool:
    """A first row made half or more of numbers and dates is data, not a header."""
    filled = [c for c in cells if c and c.strip()]
    if not filled:
        return False
    data_like = sum(1 for c in filled if _DATA_LIKE.fullmatch(c))
    return data_like * 2 >= len(filled)


def header_names(cells: list[str]) -> list[str]:
    """Column names from header cells: trimmed, one line, never empty."""
    out = []
    for i, cell in enumerate(cells, start=1):
        # NUL padding and control characters are no part of a name (and NUL cannot be
        # in an SQL identifier).
        name = " ".join(_CONTROL.sub(" ", str(cell or "")).split())[:200]
        out.append(name or f"column_{i}")
    return out


def unique_sql_names(names: list[str], reserved: set[str]) -> list[str]:
    """SQL column names: the names, made unique as SQLite compares them (case-insensitively),
    away from Trawl's own columns."""
    seen = set(reserved)
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out
