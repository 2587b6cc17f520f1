"""The list a reader cross-references: a CSV of names, e-mails, phones or handles, read
whatever it holds.

Hostile or careless input is expected (a list exported from anywhere): the bytes are decoded
as UTF-8 when they are UTF-8 (a BOM, UTF-16 included), else as charset-normalizer guesses,
and what still does not decode becomes U+FFFD rather than an error; the delimiter is sniffed
(comma, semicolon, tab, bar); NUL bytes are dropped. The list is bounded: at most `MAX_ROWS`
rows are read (the rest is left, and the answer says so), `MAX_COLUMNS` columns, and a cell
is compared on its first `MAX_CELL` characters. A field larger than the csv module's limit
is a BadRequest naming the line, not a crash.

The first row is the header. Which column holds what is read from its name (the names the
entity stage knows for table columns, derive/entities/columns.py, and a few for names), else
from its values: a column is of a kind when most of its first cells are. A row may hold
several: a name, an e-mail and a phone are three questions about one row. FirstName and
LastName columns make one name.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from charset_normalizer import from_bytes

from trawl.derive.entities.columns import column_key, column_kind
from trawl.derive.entities.patterns import find_emails, find_ips
from trawl.derive.entities.phones import DEFAULT_REGION, PhoneFinder
from trawl.errors import BadRequest

MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELL = 300
SAMPLE_BYTES = 64 * 1024
SAMPLE_CELLS = 200          # cells of a column looked at to tell its kind by its values
KIND_SHARE = 0.6            # ...and the share of them that must be of one kind

# What a column may hold, as the answer names it (a platform for an account column).
LIST_KINDS = ("name", "email", "phone", "url", "domain", "ip", "handle")
_NAME_HEADERS = frozenset({
    "name", "fullname", "person", "personname", "contact", "contactname", "displayname",
    "organization", "organisation", "org", "orgname", "company", "companyname", "agency",
    "agencyname", "agencyorganization", "employer", "group", "groupname", "entity", "alias",
    "nom", "prenomnom", "societe", "organisme"})
_FIRST_NAMES = frozenset({"firstname", "givenname", "first", "forename", "prenom"})
_LAST_NAMES = frozenset({"lastname", "surname", "familyname", "last", "nomdefamille"})
_HANDLE_HEADERS = frozenset({"handle", "username", "account", "screenname", "socialmedia"})
_DOMAIN_HEADERS = frozenset({"domain", "domainname", "site"})
_HANDLE = re.compile(r"@[A-Za-z0-9_.]{1,60}")
_NAME = re.compile(r"[^\W\d_][\w.'\- ]{0,98}[\w.]", re.UNICODE)
_URL = re.compile(r"(?i)(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str | None                # one of LIST_KINDS, or None: not compared
    platform: str | None = None     # for a handle column named for one (twitter...)
    how: str = "header"             # "header" or "values": how its kind was told


@dataclass(frozen=True)
class Query:
    """One question of a row: a value of a kind, from a column (or FirstName + LastName)."""

    column: str
    kind: str
    text: str
    platform: str | None = None


@dataclass
class ListRow:
    number: int                     # its line in the file, as a spreadsheet numbers it (header: 1)
    cells: list[str]
    queries: list[Query] = field(default_factory=list)


@dataclass
class XrefList:
    columns: list[Column]
    rows: list[ListRow]
    truncated: bool                 # more rows than MAX_ROWS: those after were not read
    encoding: str

    def as_json(self) -> dict:
        return {"columns": [{"name": c.name, "kind": c.kind, "platform": c.platform,
                             "detected_by": c.how if c.kind else None} for c in self.columns],
                "rows_read": len(self.rows), "truncated": self.truncated,
                "max_rows": MAX_ROWS, "encoding": self.encoding}


def read_list(stream: BinaryIO, region: str = DEFAULT_REGION,
              max_rows: int = MAX_ROWS) -> XrefList:
    """The list in `stream` (bytes), with each column's kind and each row's questions."""
    sample = stream.read(SAMPLE_BYTES)
    encoding = _encoding(sample)
    rest = io.BufferedReader(_Joined(sample, stream))  # the sample, then the rest
    text = io.TextIOWrapper(rest, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(_without_nul(text), _dialect(sample.decode(encoding, "replace")))
    try:
        header = next(reader, None)
        if header is None:
            raise BadRequest("the list is empty: give a CSV with a header row")
        names = _names(header[:MAX_COLUMNS])
        rows, truncated = [], False
        for cells in reader:
            if len(rows) >= max_rows:
                truncated = True
                break
            if any(c.strip() for c in cells):
                rows.append(ListRow(reader.line_num, _fitted(cells, len(names))))
    except csv.Error as exc:
        raise BadRequest(f"the list is not a CSV that can be read (line {reader.line_num}: "
                         f"{exc})") from None
    columns = _columns(names, rows, PhoneFinder(region))
    for row in rows:
        row.queries = _queries(columns, row.cells)
    return XrefList(columns, rows, truncated, codecs.lookup(encoding).name)


def fold_name(text: str) -> str:
    """A name as names are compared: without case or accents, "Last, First" as "First
    Last", punctuation and runs of spaces as one space (so "DOE, Jane" is "jane doe")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if plain.count(",") == 1:
        last, first = plain.split(",")
        plain = f"{first} {last}"
    return " ".join(re.findall(r"\w+", plain))


# -- reading the bytes ---------------------------------------------------------------------------
def _encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample[:-4].decode("utf-8") if len(sample) == SAMPLE_BYTES else sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    guess = from_bytes(sample).best()
    return guess.encoding if guess is not None else "cp1252"


class _Joined(io.RawIOBase):
    """The bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, tail: BinaryIO) -> None:
        self.head, self.tail = head, tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 (a writable buffer)
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size], self.head = self.head[:size], self.head[size:]
            return size
        data = self.tail.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _without_nul(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        yield line.replace("\x00", "")


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample[:16384], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _names(header: list[str]) -> list[str]:
    """Column names, each once (a blank or repeated name gets its position)."""
    out: list[str] = []
    for i, name in enumerate(header, start=1):
        name = name.strip()[:MAX_CELL] or f"column {i}"
        out.append(name if name not in out else f"{name} ({i})")
    return out


def _fitted(cells: list[str], width: int) -> list[str]:
    return [c[:10 * MAX_CELL] for c in cells[:width]] + [""] * (width - len(cells))


# -- what each column holds ----------------------------------------------------------------------
def _columns(names: list[str], rows: list[ListRow], phones: PhoneFinder) -> list[Column]:
    out = []
    for i, name in enumerate(names):
        column = _by_header(name)
        if column.kind is None and column_key(name) not in _FIRST_NAMES | _LAST_NAMES:
            column = _by_values(name, [r.cells[i] for r in rows[:SAMPLE_CELLS * 5]], phones)
        out.append(column)
    return out


def _by_header(name: str) -> Column:
    key = column_key(name)
    kind = column_kind(name)
    if kind in ("email", "phone", "url", "ip"):
        return Column(name, kind)
    if kind in ("person", "org", "place"):   # FullName, Organization, City...
        return Column(name, "name")
    if kind is not None:                     # a platform: twitter, facebook...
        return Column(name, "handle", platform=kind)
    if key in _NAME_HEADERS:
        return Column(name, "name")
    if key in _HANDLE_HEADERS:
        return Column(name, "handle")
    if key in _DOMAIN_HEADERS:
        return Column(name, "domain")
    return Column(name, None)


def _by_values(name: str, cells: list[str], phones: PhoneFinder) -> Column:
    sample = [c.strip() for c in cells if c.strip()][:SAMPLE_CELLS]
    if not sample:
        return Column(name, None)
    kinds = Counter(_kind_of_value(value, phones) for value in sample)
    kind, count = kinds.most_common(1)[0]
    if kind is None or count < KIND_SHARE * len(sample):
        return Column(name, None)
    return Column(name, kind, how="values")


def _kind_of_value(value: str, phones: PhoneFinder) -> str | None:
    value = value[:MAX_CELL]
    if "@" in value and any(f.end - f.start >= len(value) - 2 for f in find_emails(value)):
        return "email"
    if _HANDLE.fullmatch(value):
        return "handle"
    if _URL.fullmatch(value):
        return "url"
    if any(f.text == value for f in find_ips(value)):
        return "ip"
    if sum(c.isdigit() for c in value) >= 7 and phones.parse_cell(value) is not None:
        return "phone"
    if _NAME.fullmatch(value) and len(value.split()) <= 8:
        return "name"
    return None


def _queries(columns: list[Column], cells: list[str]) -> list[Query]:
    out = []
    first: tuple[str, str] | None = None
    last: tuple[str, str] | None = None
    for column, cell in zip(columns, cells, strict=False):
        value = cell.strip()[:MAX_CELL]
        key = column_key(column.name)
        if column.kind is None and key in _FIRST_NAMES:
            first = first or ((column.name, value) if value else None)
        elif column.kind is None and key in _LAST_NAMES:
            last = last or ((column.name, value) if value else None)
        elif value and column.kind is not None:
            out.append(Query(column.name, column.kind, value, column.platform))
    # A first name or a last name alone names too many people: both, or neither.
    if first and last:
        out.append(Query(f"{first[0]} + {last[0]}", "name", f"{first[1]} {last[1]}"))
    return out
