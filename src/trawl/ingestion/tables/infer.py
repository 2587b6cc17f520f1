"""Column types, inferred from every value at C speed, and the SQL that converts them.

Why this shape: a 500k-row table has millions of cells, and a Python test per cell would cost
seconds. Instead, rows come in batches; each column of a batch is joined with newlines into
one string and matched against one regular expression per candidate type (`fullmatch` runs
in C). A column keeps the candidates that every batch matched; the first that survives the
whole file is its type: integer, number, boolean, date, datetime, time, else text. A cell
with a newline can only be text. Empty cells fit every type (they become NULL).

Values are then converted in SQL (CAST, CASE) as the rows are copied from the staging table,
except dates, which go through `to_iso` (a Python function registered in SQLite): ISO 8601
text, so that sorting and ranges work, whatever the export's format was. A value the
converter cannot read (31/02/2020) is kept as it was written, never dropped.

Leading zeros (ZIP codes, case numbers: 02134) keep a column text: as integers they would
lose them. Integers have at most 18 digits (SQLite's 64 bits), numbers 15 significant ones.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from trawl.storage.tables import quote_ident

TRACK_DISTINCT = 100      # values counted per column while it has no more distinct ones

_INT = r"-?(?:0|[1-9]\d{0,17}|[1-9]\d{0,2}(?:,\d{3}){1,5})"
_NUM = (r"-?(?:(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?|\.\d{1,15}"
        r"|[1-9]\d{0,2}(?:,\d{3}){1,4}(?:\.\d{1,15})?)(?:[eE][-+]?\d{1,3})?")
TRUE_WORDS = ("true", "yes", "y", "t")
FALSE_WORDS = ("false", "no", "n", "f")
_BOOL = r"(?i:true|false|yes|no|y|n|t|f)"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[ \t]*[AaPp]\.?[Mm]\.?)?"
_ZONE = r"(?:[ \t]*(?:Z|[+-]\d{2}:?\d{2}))?"
DATE_FAMILIES = {
    # 2020-06-15, 2020-06-15T14:30:00.000Z
    "iso": rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:(?:T|[ \t]+){_CLOCK}{_ZONE})?",
    # 06/15/2020 2:30:00 PM (or 15/06/2020: the column's values decide), 6-15-2020
    "slash": rf"\d{{1,2}}[/-]\d{{1,2}}[/-]\d{{4}},?(?:[ \t]+{_CLOCK})?",
    # 2020/06/15
    "ymd": rf"\d{{4}}/\d{{1,2}}/\d{{1,2}}(?:[ \t]+{_CLOCK})?",
    # 15.06.2020
    "dotted": rf"\d{{1,2}}\.\d{{1,2}}\.\d{{4}}(?:[ \t]+{_CLOCK})?",
    "time": _CLOCK,
}
_PATTERNS = {"integer": _INT, "number": _NUM, "boolean": _BOOL, **DATE_FAMILIES}
CANDIDATES = tuple(_PATTERNS)


def _column_regex(value: str) -> re.Pattern[str]:
    # One value per line, each optionally padded, each possibly empty (blank).
    line = rf"[ \t]*(?:(?:{value})[ \t]*)?"
    return re.compile(rf"{line}(?:\n{line})*")


_COLUMN_RE = {name: _column_regex(p) for name, p in _PATTERNS.items()}
_DAY_FIRST = re.compile(r"(?m)^[ \t]*(?:1[3-9]|[23]\d)[/-]")
_MONTH_FIRST = re.compile(r"(?m)^[ \t]*\d{1,2}[/-](?:1[3-9]|[23]\d)[/-]")
_HAS_CLOCK = re.compile(r"\d:\d\d")


@dataclass
class ColumnGuess:
    """What the values of one column have shown so far."""

    candidates: list[str] = field(default_factory=lambda: list(CANDIDATES))
    nulls: int = 0
    values: Counter[str] | None = field(default_factory=Counter)
    chars: int = 0
    count: int = 0
    day_first: bool = False
    month_first: bool = False
    clock: bool = False
    loose_numbers: bool = False   # a thousands separator or padding: SQL must convert

    def add(self, cells: tuple[str, ...]) -> None:
        self.count += len(cells)
        blanks = cells.count("")
        self.nulls += blanks
        joined = "\n".join(cells)
        self.chars += len(joined) - len(cells) + 1
        if self.values is not None:
            self.values.update(cells)
            if len(self.values) > TRACK_DISTINCT + 1:
                self.values = None
        if not self.candidates or blanks == len(cells):
            return
        if joined.count("\n") != len(cells) - 1:  # a cell holds a line break: text
            self.candidates = []
            return
        kept = [name for name in self.candidates if _COLUMN_RE[name].fullmatch(joined)]
        if ("integer" in kept or "number" in kept) and not self.loose_numbers:
            self.loose_numbers = "," in joined or " " in joined or "\t" in joined
        if "slash" in kept:
            self.day_first = self.day_first or _DAY_FIRST.search(joined) is not None
            self.month_first = self.month_first or _MONTH_FIRST.search(joined) is not None
            if self.day_first and self.month_first:  # 13/01 and 01/13: not one date format
                kept.remove("slash")
        if any(name in DATE_FAMILIES for name in kept) and not self.clock:
            self.clock = _HAS_CLOCK.search(joined) is not None
        self.candidates = kept

    @property
    def filled(self) -> int:
        return self.count - self.nulls

    def decide(self) -> tuple[str, str | None]:
        """(type, date family or None)."""
        if self.filled == 0 or not self.candidates:
            return "text", None
        best = self.candidates[0]
        if best in ("integer", "number", "boolean"):
            return best, None
        if best == "time":
            return "time", best
        return ("datetime" if self.clock else "date"), best

    @property
    def order(self) -> str:
        return "dmy" if self.day_first else "mdy"

    def labels(self) -> list[str] | None:
        """A boolean column's words, false first, as the file wrote them."""
        if self.values is None:
            return None
        words = {v.strip().lower(): v.strip() for v in self.values if v.strip()}
        false = next((words[w] for w in FALSE_WORDS if w in words), None)
        true = next((words[w] for w in TRUE_WORDS if w in words), None)
        return [false or "false", true or "true"]


# -- conversion ----------------------------------------------------------------------------------
def sql_expression(column: str, kind: str, family: str | None, order: str) -> str:
    """The SQL that turns a staged text cell into its typed value (NULL for a blank)."""
    q = quote_ident(column)
    blank = f"NULLIF(TRIM({q}), '')"
    if kind == "integer":
        return f"CAST(REPLACE({blank}, ',', '') AS INTEGER)"
    if kind == "number":
        return f"CAST(REPLACE({blank}, ',', '') AS REAL)"
    if kind == "boolean":
        trues = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        return (f"CASE WHEN {blank} IS NULL THEN NULL WHEN LOWER(TRIM({q})) IN ({trues}) "
                "THEN 1 ELSE 0 END")
    if family is not None:
        return f"trawl_iso({blank}, '{family}', '{order}')"
    return f"NULLIF({q}, '')"


def python_value(value: str, kind: str, family: str | None, order: str) -> Any:
    """What `sql_expression` makes of one value, computed in Python (for facet values)."""
    if kind == "text":
        return value if value != "" else None
    text = value.strip()
    if not text:
        return None
    try:
        if kind == "integer":
            return int(text.replace(",", ""))
        if kind == "number":
            return float(text.replace(",", ""))
    except ValueError:
        return value
    if kind == "boolean":
        return 1 if text.lower() in TRUE_WORDS else 0
    if family is not None:
        return to_iso(text, family, order)
    return value


_TIME_PART = (r"(?:(?:T|[ \t]+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
              r"[ \t]*(?:([AaPp])\.?[Mm]\.?)?[ \t]*(Z|[+-]\d{2}:?\d{2})?)?")
_FULL = {
    "iso": re.compile(rf"[ \t]*(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME_PART}[ \t]*"),
    "slash": re.compile(rf"[ \t]*(\d{{1,2}})[/-](\d{{1,2}})[/-](\d{{4}}),?{_TIME_PART}[ \t]*"),
    "ymd": re.compile(rf"[ \t]*(\d{{4}})/(\d{{1,2}})/(\d{{1,2}}){_TIME_PART}[ \t]*"),
    "dotted": re.compile(rf"[ \t]*(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}}){_TIME_PART}[ \t]*"),
    "time": re.compile(r"[ \t]*()()()(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
                       r"[ \t]*(?:([AaPp])\.?[Mm]\.?)?[ \t]*()"),
}
_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def to_iso(value: str | None, family: str, order: str = "mdy") -> str | None:
    """A date, date-time or time in ISO 8601 (`2020-06-15`, `2020-06-15 14:30:00`,
    `14:30:00`), or the value unchanged when it is not a valid one.

    Hot: called once per date cell (a million times for a big export), hence one regular
    expression and string formatting, no datetime objects."""
    if value is None:
        return None
    match = _FULL[family].fullmatch(value)
    if match is None:
        return value
    a, b, c, hour, minute, second, fraction, half, zone = match.groups()
    if family == "time":
        day = ""
    else:
        if family == "slash":
            month, mday, year = (int(b), int(a), c) if order == "dmy" else (int(a), int(b), c)
        elif family == "dotted":
            mday, month, year = int(a), int(b), c
        else:
            year, month, mday = a, int(b), int(c)
        if not (0 < month < 13 and 0 < mday <= _DAYS[month]) or (
                month == 2 and mday == 29 and not _leap(int(year))):
            return value
        day = f"{year}-{month:02d}-{mday:02d}"
        if hour is None:
            return day
    h = int(hour)
    if half:
        if not 0 < h < 13:
            return value
        h = h % 12 + (12 if half in "Pp" else 0)
    if h > 23 or int(minute) > 59 or (second is not None and int(second) > 59):
        return value
    clock = f"{h:02d}:{minute}:{second or '00'}"
    if fraction and fraction.strip("0"):
        clock += "." + fraction
    if zone:
        clock += "+00:00" if zone == "Z" else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    return f"{day} {clock}" if day else clock


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class DateConverter:
    """`to_iso` for one column, fast: a date-time is its date part and its time part, and
    each part repeats (a few thousand days, at most 86,400 times of day), so each is
    converted once and remembered. Values of another shape take the full parser."""

    MAX_CACHED = 200_000

    def __init__(self, family: str, order: str) -> None:
        self.family = family
        self.order = order
        self.days: dict[str, str | None] = {}
        self.clocks: dict[str, str | None] = {}

    def __call__(self, value: str) -> str | None:
        if self.family == "iso" and len(value) > 10 and value[10] in "T ":
            day, clock = value[:10], value[11:]
        elif self.family != "time":
            day, _sep, clock = value.partition(" ")
        else:
            return self._clock(value) or to_iso(value, "time")
        iso_day = self.days.get(day)
        if iso_day is None:
            if len(self.days) > self.MAX_CACHED:
                self.days.clear()
            iso_day = self.days[day] = _or_none(to_iso(day, self.family, self.order), day)
        if iso_day is None:
            return self._slow(value)
        if not clock:
            return iso_day
        iso_clock = self._clock(clock)
        if iso_clock is None:
            return self._slow(value)
        return f"{iso_day} {iso_clock}"

    def _clock(self, clock: str) -> str | None:
        found = self.clocks.get(clock)
        if found is None and clock not in self.clocks:
            if len(self.clocks) > self.MAX_CACHED:
                self.clocks.clear()
            found = self.clocks[clock] = _or_none(to_iso(clock, "time"), clock)
        return found

    def _slow(self, value: str) -> str | None:
        if not value.strip():
            return None
        return to_iso(value, self.family, self.order)


def _or_none(converted: str | None, original: str) -> str | None:
    """None when the converter gave the value back unchanged (it is not a valid one)."""
    return None if converted == original else converted
