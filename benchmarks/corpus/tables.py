"""CSV tables written like a Microsoft Access export.

Each site picks an encoding (UTF-8, or windows-1252 for about a third of the sites); each table
picks quote-all or minimal quoting and one date format; every file uses CRLF line endings and a
header row. HTML cells carry literal ``\\n``/``\\t`` escapes, while a few free-text cells hold real
line breaks inside quotes, as Access exports do. Byte counts are tracked as rows are written.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from . import names
from .schema import columns

DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M")


class _Counter:
    """A write() sink that counts characters on their way to the file."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.chars = 0

    def write(self, s: str) -> int:
        self.chars += len(s)
        return self.fh.write(s)


class Table:
    """One ``<Table>.csv``: header written on open, rows as dicts keyed by column name."""

    def __init__(self, folder: Path, name: str, encoding: str, rng: random.Random,
                 saw: Callable[[Sequence[str]], None] | None = None) -> None:
        self.name = name
        self.saw = saw  # told every row's cells (the truth of entities)
        self.path = folder / f"{name}.csv"
        self.columns = columns(name)
        self.fmt = rng.choice(DATE_FORMATS)
        self.rows = 0
        self.next_id = 1
        self._fh = open(self.path, "w", encoding=encoding, errors="replace", newline="")  # noqa: SIM115
        self._sink = _Counter(self._fh)
        quoting = csv.QUOTE_ALL if rng.random() < 0.6 else csv.QUOTE_MINIMAL
        self._w = csv.writer(self._sink, quoting=quoting, lineterminator="\r\n")
        self._w.writerow(self.columns)

    @property
    def chars(self) -> int:
        return self._sink.chars

    def new_id(self) -> int:
        n = self.next_id
        self.next_id += 1
        return n

    def cell(self, v: Any) -> str:
        if isinstance(v, datetime):
            return v.strftime(self.fmt)
        return "" if v is None else str(v)

    def add(self, row: dict[str, Any]) -> None:
        cell = self.cell
        cells = [cell(row.get(c)) for c in self.columns]
        if self.saw is not None:
            self.saw(cells)
            if row.get("FirstName") and row.get("LastName"):  # one person, in two cells
                self.saw([f"{row['FirstName']} {row['LastName']}"])
        self._w.writerow(cells)
        self.rows += 1

    def close(self) -> int:
        """Closes the file and returns its size in bytes."""
        self._fh.close()
        return self.path.stat().st_size


def html_cell(paragraphs: Iterable[str]) -> str:
    """HTML as the CMS stored it: tags, with literal backslash-n / backslash-t escapes."""
    body = "\\n".join(f"\\t<p>{p}</p>" for p in paragraphs)
    return f'<div style="font-family:Arial">\\n{body}\\n</div>'


def smart(text: str, rng: random.Random) -> str:
    """Word-processor punctuation for some cells (curly quotes, dashes): cp1252 bytes."""
    if rng.random() < 0.3:
        return text.replace("'", "\u2019").replace(" - ", " \u2013 ")
    return text


Gen = Callable[[random.Random, datetime, str], Any]
_RULES: tuple[tuple[str, Gen], ...] = (
    ("email", lambda r, w, s: names.person(r, s).email),
    ("ipaddress", lambda r, w, s: names.ip(r)),
    ("firstname", lambda r, w, s: r.choice(names.FIRST_NAMES)),
    ("lastname", lambda r, w, s: names.surname(r)),
    ("phone", lambda r, w, s: names.phone(r)),
    ("password", lambda r, w, s: f"{r.getrandbits(64):016x}"),
    ("guid", lambda r, w, s: guid(r)),
    ("date", lambda r, w, s: w),
    ("timestamp", lambda r, w, s: w),
    ("update", lambda r, w, s: w),
    ("city", lambda r, w, s: names.town(r)),
    ("state", lambda r, w, s: s),
    ("zip", lambda r, w, s: f"{r.randrange(10000, 99999)}"),
    ("sortorder", lambda r, w, s: r.randrange(1, 50)),
    ("approved", lambda r, w, s: r.choice(("Yes", "No", "Yes"))),
    ("active", lambda r, w, s: r.choice(("True", "False"))),
    ("url", lambda r, w, s: f"https://www.example.org/{r.choice(('page', 'info', 'link'))}"),
    ("address", lambda r, w, s: names.address(r)),
    ("css", lambda r, w, s: ""),
    ("pageidentifier", lambda r, w, s: r.randrange(1, 400)),
    ("associateid", lambda r, w, s: r.randrange(1, 5000)),
)
_NAMEISH = (" Unit", " Group", " Page", " Settings", "")
_OTHER = ("", "", "Yes", "No", "See attached", "N/A", "Default")


@lru_cache(maxsize=1024)
def _generator(col: str) -> Gen:
    lc = col.lower()
    for key, fn in _RULES:
        if key in lc:
            return fn
    if lc.endswith("name") or lc == "title":
        return lambda r, w, s: names.town(r) + r.choice(_NAMEISH)
    return lambda r, w, s: r.choice(_OTHER)


def generic_rows(t: Table, rng: random.Random, count: int, when: datetime, state: str) -> None:
    """Plausible filler rows for a table that has no dedicated generator."""
    key = t.columns[0]
    gens = [(c, _generator(c)) for c in t.columns[1:]]
    for _ in range(count):
        row = {c: g(rng, when, state) for c, g in gens}
        row[key] = t.new_id()
        t.add(row)


def guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032X}"
    return f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}}}"
