"""In a worker: a table file's rows into a temporary SQLite file, typed, with statistics.

Why a file per content, written by the worker: parsing, type inference and conversion are
the costly part of loading, and workers run in parallel (and under the per-file time and
memory limits) while the coordinator is the only writer of `tables.sqlite`. The coordinator
then copies each table in at C speed (sync.py), and deletes the file. The file is named by
the content's hash, so a content is parsed once. This module decides what goes in (types,
conversions, statistics); `storage/table_staging.py` owns the file and its layout: one JSON
description per table (columns, types, statistics, flags) and its rows.

Rows are streamed: cells go to the rows table in batches while `ColumnGuess` watches each
column; the first batch decides the types, and what later rows show is settled by converting
in SQL (`_Stager`). Nothing is dropped: a row with more cells than the header keeps them in
``_extra``, a row with fewer is padded, undecodable bytes are kept (as windows-1252), and
each such row says why in ``_flags``.
"""

from __future__ import annotations

import itertools
import json
import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from trawl.ingestion.sheet import Sheet
from trawl.ingestion.tables import is_table_content
from trawl.ingestion.tables.detect import (
    BadBytes,
    header_names,
    looks_like_data,
    unique_sql_names,
)
from trawl.ingestion.tables.infer import (
    FALSE_WORDS,
    TRUE_WORDS,
    ColumnGuess,
    DateConverter,
    python_value,
    sql_expression,
    to_iso,
)
from trawl.ingestion.tables.read import read_tables
from trawl.storage.catalog import Content
from trawl.storage.table_staging import StagingFile
from trawl.storage.tables import FACET_MAX, RESERVED, Column, StoreError

BATCH = 5000
MAX_COLUMNS = 1000          # SQLite allows 2000 columns; cells past this go to _extra
ARTIFACT_DIR = "tables"
IN_MEMORY_MAX_BYTES = 16 * 1024 * 1024   # files up to this size are staged in memory
# Columns that name a row for a reader, best first (a title, a subject, a name).
_LABEL_NAMES = [re.compile(p) for p in (
    r"^(doc|page|event|news|blog|email|form|video|file|report)?(title|subject)$",
    r"^(short)?description$",
    r"^(?!.*(first|last|middle|user|file|login|screen|full|person|agency))\w*name$",
    r"^(?!.*(person|position|rank|job))\w*title$",
    r"subject", r"description$")]


def artifact_path(tmp_dir: Path, sha256: str) -> Path:
    return Path(tmp_dir) / ARTIFACT_DIR / f"{sha256}.sqlite"


def stage_tables(source: Path, content: Content, name: str, tmp_dir: Path,
                 sheets: list[Sheet] | None = None) -> None:
    """The worker's hook: stage the tables of a table file (CSV, TSV, XLS, XLSX, ODS);
    `sheets`, when the extractor read them (a workbook), instead of reading the file again.

    A failure costs the tables, never the document: it is recorded in the staged file (the
    table is then listed with its error) or, failing that, as a warning of the content."""
    if content.status != "done" or content.metadata.get("encrypted"):
        return
    if not is_table_content(content.mime, content.family, name):
        return
    try:
        stage_file(source, content.mime or "", name, artifact_path(tmp_dir, content.sha256),
                   sheets)
    except Exception as exc:  # the document must survive a broken table
        content.metadata.setdefault("warnings", []).append(f"tables not read: {exc}")


def stage_file(source: Path, mime: str, name: str, out: Path,
               sheets: list[Sheet] | None = None) -> list[dict[str, Any]]:
    """Stage every table of `source` (or the `sheets` already read from it, rows kept) into
    `out` (written whole, then renamed into place)."""
    # Small files are staged in memory (storage/table_staging.py says why).
    try:
        in_memory = source.stat().st_size <= IN_MEMORY_MAX_BYTES
    except OSError:
        in_memory = True  # reading it fails too, and the staged file says why
    staging = StagingFile(out, in_memory, functions={"trawl_iso": (3, to_iso)})
    try:
        metas = _stage_into(staging, source, mime, name, sheets)
        staging.save()
    finally:
        staging.close()
    return metas


def _stage_into(staging: StagingFile, source: Path, mime: str, name: str,
                sheets: list[Sheet] | None) -> list[dict[str, Any]]:
    """Every table of `source` into `staging` (the layout of the module's docstring)."""
    stem = Path(name).stem
    metas: list[dict[str, Any]] = []
    try:
        for sheet in read_tables(source, mime, name) if sheets is None else sheets:
            try:
                meta = stage_sheet(staging, sheet, stem, _reopener(source, mime, name, sheet))
            except (StoreError, ValueError, UnicodeError, OSError) as exc:
                meta = _failed(sheet.index, sheet.name, exc)
            metas.append(meta)
    except Exception as exc:  # the file could not be opened as a table at all
        metas.append(_failed(len(metas), None, exc))
    staging.write_meta(metas)
    return metas


def _reopener(source: Path, mime: str, name: str, read: Sheet) -> Callable[[], Sheet]:
    if isinstance(read.rows, list):
        return lambda: read  # rows kept by the extractor: read them again in memory
    readers: list[Iterator[Sheet]] = []  # alive while its rows are read: it holds the file

    def reopen() -> Sheet:
        readers.append(read_tables(source, mime, name))
        for sheet in readers[-1]:
            if sheet.index == read.index:
                return sheet
        raise ValueError(f"table {read.index} is gone on a second reading")
    return reopen


def _failed(index: int, sheet: str | None, exc: BaseException) -> dict[str, Any]:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    detail = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    return {"index": index, "sheet": sheet, "columns": [], "row_count": 0,
            "header_only": True, "error": f"{type(exc).__name__}: {exc}"[:500] + detail}


def _non_empty(rows: Iterator[list[str]], sheet: bool) -> Iterator[list[str]]:
    for row in rows:
        # ",,," in a CSV is a record, kept; a sheet's empty row is only spacing.
        if row and (any(cell.strip() for cell in row if cell) or (not sheet and len(row) > 1)):
            yield row


def stage_sheet(staging: StagingFile, sheet: Sheet, stem: str,
                reopen: Callable[[], Sheet] | None = None,
                forced: list[tuple[str, str | None, str]] | None = None) -> dict[str, Any]:
    is_sheet = sheet.kind == "sheet"
    rows = iter(sheet.rows)
    leading = _non_empty(rows, is_sheet)
    first = next(leading, None)
    meta: dict[str, Any] = {"index": sheet.index, "sheet": sheet.name, "encoding":
                            sheet.encoding, "dialect": sheet.dialect.as_dict()
                            if sheet.dialect else None, "title": None}
    if first is None:
        return {**meta, "columns": [], "row_count": 0, "header_only": True,
                "has_header": False}
    if is_sheet:
        first = _trimmed(first)
        # A title line ("Crime statistics, April 2019") above the real header.
        if sum(1 for c in first if c.strip()) == 1:
            second = next(leading, None)
            if second is not None and sum(1 for c in second if c.strip()) >= 2:
                meta["title"] = next(c for c in first if c.strip()).strip()
                first = _trimmed(second)
            elif second is not None:
                rows = itertools.chain([second], rows)
    has_header = not looks_like_data(first)
    width = min(len(first), MAX_COLUMNS)
    names = header_names(first[:width]) if has_header else \
        [f"column_{i}" for i in range(1, width + 1)]
    sql_names = unique_sql_names(names, RESERVED)
    data_rows: Iterator[list[str]] = rows if has_header else itertools.chain([first], rows)
    staged = _Stager(staging, sheet.index, sql_names, is_sheet, forced)
    staged.run(data_rows)
    final = [plan_of(guess) for guess in staged.guesses]
    if staged.count and not staged.settle(final):
        # A column's first rows promised a type its later rows broke (a 'N/A' after 5000
        # numbers): its converted cells cannot be trusted, so read the table again with the
        # types every row allows (rare: the first batch is a large sample).
        staging.drop_rows(sheet.index)
        if reopen is None:
            raise ValueError("column types changed and the table cannot be read again")
        return stage_sheet(staging, reopen(), stem, None, final)
    meta.update(has_header=has_header, row_count=staged.count, header_only=staged.count == 0,
                ragged_rows=staged.ragged, bad_byte_rows=staged.bad, blank_rows=staged.blank)
    columns = [_column(name, sql, guess) for name, sql, guess
               in zip(names, sql_names, staged.guesses, strict=True)]
    if staged.count:
        meta["key_column"] = _key_column(staging, sheet.index, columns, stem, staged.count)
    meta["label_column"] = _label_column(columns)
    meta["columns"] = [c.as_dict() for c in columns]
    return meta


def _trimmed(row: list[str]) -> list[str]:
    end = len(row)
    while end and not (row[end - 1] or "").strip():
        end -= 1
    return row[:end]


def plan_of(guess: ColumnGuess) -> tuple[str, str | None, str]:
    """(type, date family, day order): the order only matters to slashed dates."""
    kind, family = guess.decide()
    return kind, family, guess.order if family == "slash" else "mdy"


_BOOLEANS = {**{w: 1 for w in TRUE_WORDS}, **{w: 0 for w in FALSE_WORDS}}


class _Stager:
    """Rows into ``t_<n>`` in batches, watched and converted column by column.

    Why no untyped staging table: writing every row twice (raw, then converted) costs as much
    as parsing. The first batch decides each column's SQL type (a sample of `BATCH` rows);
    cells are converted per batch (numbers by SQLite's own column affinity, booleans and
    dates here) and written once. `settle` then checks the sample's promise against what
    every row showed."""

    def __init__(self, staging: StagingFile, index: int, sql_names: list[str],
                 is_sheet: bool, forced: list[tuple[str, str | None, str]] | None) -> None:
        self.staging = staging
        self.index = index
        self.names = sql_names
        self.width = len(sql_names)
        self.is_sheet = is_sheet
        self.guesses = [ColumnGuess() for _ in range(self.width)]
        self.count = self.ragged = self.bad = self.blank = 0
        self.plan = forced   # per column: (type, date family, date order), once decided
        self._created = False
        self._dates: dict[int, dict[Any, DateConverter]] = {}   # per column: its caches

    def run(self, rows: Iterator[list[str]]) -> None:
        width, is_sheet = self.width, self.is_sheet
        batch: list[list[str]] = []
        flagged: dict[int, tuple[str | None, str | None]] = {}
        for row in rows:
            if len(row) != width or is_sheet or (
                    BadBytes.seen() and BadBytes.found_in("\x1f".join(row))):
                fixed = self._fix(row)
                if fixed is None:
                    continue
                row, flags, extra = fixed
                if flags or extra:
                    flagged[len(batch)] = (flags, extra)
            batch.append(row)
            if len(batch) >= BATCH:
                self._flush(batch, flagged)
                batch, flagged = [], {}
        if batch:
            self._flush(batch, flagged)

    def _fix(self, row: list[str]) -> tuple[list[str], str | None, str | None] | None:
        """A row that is not as wide as the header, holds undecodable bytes, or is a
        sheet's (trailing empty cells, empty rows)."""
        flags = []
        if not self.is_sheet and BadBytes.seen() and \
                BadBytes.found_in("\x1f".join(c or "" for c in row)):
            row = [BadBytes.repair(c) if c else c for c in row]
            flags.append("bad bytes")
            self.bad += 1
        if self.is_sheet:
            row = _trimmed(row)
        if not row:
            self.blank += 1
            return None
        n = len(row)
        extra = None
        if n > self.width:
            spill = row[self.width:]
            row = row[: self.width]
            if any(c for c in spill):
                extra = json.dumps(spill, ensure_ascii=False)
                flags.append(f"ragged: {n} cells, header has {self.width}"
                             if not self.is_sheet else f"{len(spill)} cells past the header")
                self.ragged += 1
        elif n < self.width:
            if not self.is_sheet:
                flags.append(f"short: {n} cells, header has {self.width}")
                self.ragged += 1
            row = row + [""] * (self.width - n)
        return row, "; ".join(flags) or None, extra

    def _flush(self, batch: list[list[str]], flagged: dict[int, tuple[str | None, str | None]]
               ) -> None:
        columns = list(zip(*batch, strict=True))
        for guess, cells in zip(self.guesses, columns, strict=True):
            guess.add(cells)
        if self.plan is None:
            self.plan = [plan_of(g) if g.filled else ("text", None, "mdy")
                         for g in self.guesses]
        if not self._created:
            self._create()
            self._created = True
        converted = [_convert_cells(cells, *plan, self._dates.setdefault(i, {}))
                     for i, (cells, plan) in enumerate(zip(columns, self.plan, strict=True))]
        if flagged:
            flags = [flagged.get(i, (None, None)) for i in range(len(batch))]
            extras: Iterable[Any] = [f[1] for f in flags]
            notes: Iterable[Any] = [f[0] for f in flags]
        else:
            notes, extras = [None] * len(batch), [None] * len(batch)
        self.staging.insert_rows(self.index, self.width,
                                 zip(*converted, notes, extras, strict=True))
        self.count += len(batch)

    def _create(self) -> None:
        assert self.plan is not None
        self.staging.create_rows(self.index, [(name, kind) for name, (kind, _f, _o)
                                              in zip(self.names, self.plan, strict=True)])

    def settle(self, final: list[tuple[str, str | None, str]]) -> bool:
        """Whether the converted cells hold what every row allows; fixes what SQL can."""
        assert self.plan is not None
        for name, planned, wanted, guess in zip(self.names, self.plan, final, self.guesses,
                                                strict=True):
            if planned == wanted:
                if wanted[0] in ("integer", "number") and guess.loose_numbers:
                    # '1,234' and ' 12 ' are numbers that column affinity left as text.
                    self.staging.convert_column(self.index, name,
                                                sql_expression(name, *wanted), text_only=True)
                continue
            if planned[0] == "text" and planned[1] is None:
                # No value in the sample: the cells are as written; convert them now.
                self.staging.convert_column(self.index, name, sql_expression(name, *wanted))
                continue
            if planned[0] == "integer" and wanted[0] == "number":
                continue  # INTEGER affinity kept 1.5 as 1.5: nothing was lost
            return False
        return True


def _convert_cells(cells: tuple[str, ...], kind: str, family: str | None, order: str,
                   converters: dict[Any, DateConverter] | None = None) -> Iterable[Any]:
    """One column of a batch, as it is written: NULL for blanks, booleans as 0/1, dates in
    ISO 8601; numbers stay strings, for the INTEGER/REAL affinity of the column to convert."""
    if kind == "boolean":
        get = _BOOLEANS.get
        return [get(c.strip().lower(), c) if c.strip() else None for c in cells]
    if family is not None:
        convert = DateConverter(family, order) if converters is None else \
            converters.setdefault((family, order), DateConverter(family, order))
        return [convert(c) if c else None for c in cells]
    if "" in cells:
        return [c or None for c in cells]
    return cells


def _column(name: str, sql: str, guess: ColumnGuess) -> Column:
    kind, family = guess.decide()
    column = Column(name=name, sql=sql, type=kind, nulls=guess.nulls,
                    avg_len=round(guess.chars / guess.count, 1) if guess.count else 0.0)
    if family == "slash":
        column.order = guess.order
    column.family = family
    if kind == "boolean":
        column.labels = guess.labels()
    if guess.values is not None:
        counts: Counter[Any] = Counter()
        for value, n in guess.values.items():
            counts[python_value(value, kind, family, guess.order)] += n
        counts.pop(None, None)
        column.distinct = len(counts)
        # Facets for columns whose values repeat: a category, not an id.
        if 2 <= len(counts) <= FACET_MAX and len(counts) < guess.filled:
            column.facet = [[v, n] for v, n in counts.most_common()]
    return column


def _key_column(staging: StagingFile, index: int, columns: list[Column], stem: str,
                rows: int) -> str | None:
    """The column that names a row: `<Table>ID`, `id`, else a first column named like an id;
    only when it is filled and unique."""
    wanted = {f"{stem}id".lower(), "id"}
    candidates = [c for c in columns if c.sql.lower() in wanted]
    if not candidates and columns and columns[0].sql.lower().endswith(("id", "number", "no")):
        candidates = [columns[0]]
    for column in candidates[:1]:
        if column.nulls or column.type not in ("integer", "text"):
            continue
        if staging.distinct_count(index, column.sql) == rows:
            return column.sql
    return None


def _label_column(columns: list[Column]) -> str | None:
    """A text column that names a row for a reader (a title, a subject, a name)."""
    texts = [c for c in columns if c.type == "text" and c.avg_len < 300]
    for pattern in _LABEL_NAMES:
        for column in texts:
            if pattern.search(column.sql.lower()):
                return column.sql
    return None

