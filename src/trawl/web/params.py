"""The parameters of a request, checked in one place before anything reaches a query: a
search's (and the links that change them), a table view's, and the ids in paths.

The same parsing serves the search page and `GET /api/search`, so both accept the same
parameters and refuse the same mistakes with the same message; the table pages and
`/api/tables/...` share theirs the same way. A mistake is a QueryError (a BadRequest: 400).

Whole numbers: SQLite's INTEGER is signed 64-bit, and a larger Python int cannot even be
bound to a query (OverflowError, which was a 500). So an id in a path, a row number, a
cursor, and a whole-number filter on an integer column must lie in SQL_INT_MIN..SQL_INT_MAX
or the request is refused with 400. A filter value written as a float (`min.Code=1e30`) is
compared as a float, as SQLite compares an integer column with a REAL, whatever its size.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path
from starlette.datastructures import QueryParams

from trawl.index.base import (
    ENTITY_KINDS,
    FACET_VALUES,
    HISTOGRAM_INTERVALS,
    MESSAGE_FACETS,
    ROW_FACETS,
    UNKNOWN_YEAR,
    QueryError,
    SearchQuery,
)
from trawl.search.tables import MAX_FILTERS, MAX_PAGE, OP_PREFIX, ViewParams
from trawl.storage.table_queries import Filter, typed_value
from trawl.storage.tables import ROW, TableInfo

SQL_INT_MIN, SQL_INT_MAX = -(2**63), 2**63 - 1
# A table id or a row number in a path: beyond SQLite's integers it is a 400, checked by
# FastAPI before the handler runs (`/tables/abc` was a 400 already); inside, a missing one
# is the handler's 404.
SqlId = Annotated[int, Path(ge=SQL_INT_MIN, le=SQL_INT_MAX)]
_WHOLE = re.compile(r"-?[0-9]+")  # ASCII digits: str.isdigit() takes "²", which int() refuses

# `entity`: an entity's id (search/entity_filters.py); each one given must be mentioned.
# `cluster`: a cluster of near-copies (storage/neardup.py): its documents, every one.
# `tag`: a tag of the reader's (search/annotations.py), the documents carrying any of them.
FILTERS = ("dataset", "source", "type", "year", "language", "status", "mime", "ocr", "table",
           "entity", "cluster", *MESSAGE_FACETS, "tag")
# A message facet shows only where the results hold messages (its buckets are empty else).
SHOWN_FACETS = ("dataset", "source", "type", "year", "language", "ocr", "sender",
                "recipient_domain", "tag")
# What the search counts: documents, or the rows of structured tables (record=rows).
RECORDS = ("documents", "rows")
SORTS = {"relevance": "relevance", "date": "date_desc", "date_desc": "date_desc",
         "newest": "date_desc", "date_asc": "date_asc", "oldest": "date_asc"}
MAX_QUERY_CHARS = 2000
MAX_LIMIT = 200
MAX_OFFSET = 10_000
MAX_FILTER_VALUES = 50
# The index accepts dates in this span only; a one-sided range gets the other end from here.
EARLIEST = date(1700, 1, 1)
LATEST = date(2261, 12, 31)
PAGE_SIZE = 10
KNOWN_PARAMS = {"q", "sort", "page", "offset", "limit", "date_from", "date_to", "filter",
                "lang", "record", "no_quotes", "collapse", "histogram", "by_source",
                *FILTERS}
# The timeline's small multiples: one histogram for each of this many top sources.
TIMELINE_SOURCES = 8
_YES = ("1", "true", "yes", "on")


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    limit: int = PAGE_SIZE
    offset: int = 0
    record: str = "documents"
    no_quotes: bool = False     # messages match by what they wrote, not what they quote
    # One hit per cluster of near-copies; None: as the caller's default (on for the search
    # page, off for the API). Never for rows, nor within one cluster (`cluster=ID`).
    collapse: bool | None = None
    # The timeline (web/timeline.py): its interval ("auto" when None on the page; the API
    # answers a histogram only when asked), and one histogram per top source too.
    histogram: str | None = None
    by_source: bool = False

    def collapsed(self, default: bool) -> bool:
        wanted = default if self.collapse is None else self.collapse
        return wanted and not self.rows and not self.filters.get("cluster")

    @property
    def rows(self) -> bool:
        return self.record == "rows"

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def empty(self) -> bool:
        return not self.q.strip() and not any(self.filters.values()) \
            and self.date_from is None and self.date_to is None

    def to_query(self, facets: tuple[str, ...] = SHOWN_FACETS,
                 collapse: bool = False) -> SearchQuery:
        filters = {k: v for k, v in self.filters.items() if v and k != "dataset"}
        dated = self.date_from is not None or self.date_to is not None
        return SearchQuery(
            text=self.q.strip(),
            datasets=self.filters.get("dataset") or None,
            filters=filters,
            date_from=_start_of(_clamp(self.date_from or EARLIEST)) if dated else None,
            date_to=_end_of(_clamp(self.date_to or LATEST)) if dated else None,
            sort=self.sort,
            offset=self.offset,
            limit=self.limit,
            # Entity facets for both kinds of record: rows mention entities too.
            facets=(ROW_FACETS if self.rows else facets) + ENTITY_KINDS,
            record=self.record,
            no_quotes=self.no_quotes,
            collapse=self.collapsed(collapse),
            histogram=self.histogram,
            histogram_sources=TIMELINE_SOURCES if self.by_source else 0,
        )

    # -- links --------------------------------------------------------------------------------
    def pairs(self, page: bool = True) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        if self.rows:
            out.append(("record", "rows"))
        if self.no_quotes:
            out.append(("no_quotes", "1"))
        for name in FILTERS:
            out += [(name, v) for v in self.filters.get(name, [])]
        if self.date_from:
            out.append(("date_from", self.date_from.isoformat()))
        if self.date_to:
            out.append(("date_to", self.date_to.isoformat()))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.limit != PAGE_SIZE:
            out.append(("limit", str(self.limit)))
        if self.collapse is not None:
            out.append(("collapse", "1" if self.collapse else "0"))
        if self.histogram not in (None, "auto"):
            out.append(("histogram", self.histogram))
        if self.by_source:
            out.append(("by_source", "1"))
        if page and self.offset:
            out.append(("page", str(self.page)))
        return out

    def kept(self) -> str:
        """The search without its paging, URL-encoded: what an export link carries and a
        saved search keeps (each is of every result, from the start)."""
        return urlencode([(k, v) for k, v in self.pairs(page=False)
                          if k not in ("limit", "collapse")])

    def url(self, path: str = "/") -> str:
        pairs = self.pairs()
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def with_filter(self, name: str, value: str) -> str:
        values = self.filters.get(name, [])
        if value in values:
            return self.without_filter(name, value)
        return replace(self, filters={**self.filters, name: [*values, value]}, offset=0).url()

    def without_filter(self, name: str, value: str) -> str:
        values = [v for v in self.filters.get(name, []) if v != value]
        return replace(self, filters={**self.filters, name: values}, offset=0).url()

    def without_dates(self) -> str:
        return replace(self, date_from=None, date_to=None, offset=0, histogram=None).url()

    def with_dates(self, start: date, end: date, histogram: str | None) -> str:
        """The results between two days (inclusive), drawn by `histogram` (None: auto)."""
        return replace(self, date_from=start, date_to=end, offset=0,
                       histogram=histogram).url()

    def with_by_source(self, by_source: bool) -> str:
        return replace(self, by_source=by_source).url()

    def with_record(self, record: str) -> str:
        """Documents or rows, with the filters both kinds share."""
        shared = {k: v for k, v in self.filters.items()
                  if k in ("dataset", "source", "year", "entity")
                  or (k == "table") == (record == "rows")}
        return replace(self, record=record, filters=shared, offset=0).url()

    def with_collapse(self, collapse: bool) -> str:
        return replace(self, collapse=collapse, offset=0).url()

    def with_cluster(self, cluster: int) -> str:
        """Every document of one cluster that matches (expanded)."""
        return replace(self, filters={**self.filters, "cluster": [str(cluster)]},
                       offset=0).url()

    def with_sort(self, sort: str) -> str:
        return replace(self, sort=sort, offset=0).url()

    def at_page(self, page: int) -> str:
        return replace(self, offset=(page - 1) * self.limit).url()

    def is_active(self, name: str, value: str) -> bool:
        return value in self.filters.get(name, [])


def parse_search_params(params: QueryParams | Mapping[str, str], strict: bool = False,
                        page_size: int = PAGE_SIZE) -> SearchParams:
    """Check every parameter; a mistake raises QueryError with a message for the user.

    `strict` (the API) also refuses parameters it does not know, so that a misspelt filter
    is not silently ignored.
    """
    multi = params if isinstance(params, QueryParams) else QueryParams(dict(params))
    if strict:
        unknown = sorted(set(multi.keys()) - KNOWN_PARAMS)
        if unknown:
            raise QueryError(f"unknown parameter {unknown[0]!r}; known parameters: "
                             + ", ".join(sorted(KNOWN_PARAMS - {'lang'})))
    q = multi.get("q", "") or ""
    if "\x00" in q:
        raise QueryError("the query contains a NUL character")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(q)} characters long; the limit is "
                         f"{MAX_QUERY_CHARS}")
    filters: dict[str, list[str]] = {}
    for name in FILTERS:
        values = [v.strip() for v in multi.getlist(name) if v.strip()]
        if values:
            filters[name] = values
    for item in multi.getlist("filter"):
        name, sep, value = item.partition(":")
        name = name.strip().lower()
        if not sep or not value.strip():
            raise QueryError(f"a filter is written name:value, not {item[:80]!r}")
        if name not in FILTERS:
            raise QueryError(f"unknown filter {name[:40]!r}; filters are: " + ", ".join(FILTERS))
        filters.setdefault(name, []).append(value.strip())
    for name, values in filters.items():
        if len(values) > MAX_FILTER_VALUES:
            raise QueryError(f"too many values for the filter {name!r} "
                             f"(at most {MAX_FILTER_VALUES})")
        if any(len(v) > 500 for v in values):
            raise QueryError(f"a value of the filter {name!r} is too long")
        filters[name] = list(dict.fromkeys(values))
    for value in filters.get("year", []):
        if value != UNKNOWN_YEAR and (not value.isdigit() or len(value) != 4):
            raise QueryError(f"year must be a four-digit year or {UNKNOWN_YEAR} (no date), "
                             f"not {value[:40]!r}")
    for value in filters.get("entity", []):
        if not _WHOLE.fullmatch(value) or value.startswith("-") or len(value) > 18:
            raise QueryError(f"entity is an entity's id (a whole number), not {value[:40]!r}")
    for value in filters.get("cluster", []):
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise QueryError(f"cluster is a cluster's id (a whole number), not {value[:40]!r}")
    for value in filters.get("ocr", []):
        if value not in FACET_VALUES["ocr"]:
            raise QueryError(f"ocr is yes (text read by OCR) or no, not {value[:40]!r}")
    for value in filters.get("status", []):
        if value not in FACET_VALUES["status"]:
            raise QueryError(f"status is one of {', '.join(FACET_VALUES['status'])}, "
                             f"not {value[:40]!r}")
    sort_name = (multi.get("sort") or "relevance").strip().lower()
    if sort_name not in SORTS:
        raise QueryError(f"unknown sort {sort_name[:40]!r}; use relevance, date_desc or "
                         "date_asc")
    limit = _int(multi.get("limit"), "limit", page_size)
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if multi.get("offset") not in (None, ""):
        offset = _int(multi.get("offset"), "offset", 0)
        if offset < 0:
            raise QueryError("offset cannot be negative")
    else:
        page = _int(multi.get("page"), "page", 1)
        if page < 1:
            raise QueryError("page numbers start at 1")
        offset = (page - 1) * limit if page <= MAX_OFFSET else MAX_OFFSET + 1
    if offset > MAX_OFFSET:
        raise QueryError(f"results beyond the first {MAX_OFFSET} cannot be paged through; "
                         "narrow the search with filters or dates instead")
    date_from = _date(multi.get("date_from"), "date_from", end=False)
    date_to = _date(multi.get("date_to"), "date_to", end=True)
    if date_from and date_to and date_from > date_to:
        raise QueryError("date_from is after date_to")
    record = (multi.get("record") or "documents").strip().lower()
    record = {"row": "rows", "document": "documents", "docs": "documents"}.get(record, record)
    if record not in RECORDS:
        raise QueryError(f"record is documents or rows, not {record[:40]!r}")
    no_quotes = (multi.get("no_quotes") or "").strip().lower()
    if no_quotes not in ("", "0", "false", "no", "off", *_YES):
        raise QueryError(f"no_quotes is 1 or 0, not {no_quotes[:40]!r}")
    collapse = (multi.get("collapse") or "").strip().lower()
    if collapse not in ("", "0", "false", "no", "off", *_YES):
        raise QueryError(f"collapse is 1 (one hit per cluster of near-copies) or 0, not "
                         f"{collapse[:40]!r}")
    histogram = (multi.get("histogram") or "").strip().lower() or None
    if histogram not in (None, "auto", *HISTOGRAM_INTERVALS):
        raise QueryError(f"histogram is auto, year, month or day, not {histogram[:40]!r}")
    by_source = (multi.get("by_source") or "").strip().lower()
    if by_source not in ("", "0", "false", "no", "off", *_YES):
        raise QueryError(f"by_source is 1 (a histogram per top source) or 0, not "
                         f"{by_source[:40]!r}")
    return SearchParams(q=q, filters=filters, date_from=date_from, date_to=date_to,
                        sort=SORTS[sort_name], limit=limit, offset=offset, record=record,
                        no_quotes=no_quotes in _YES,
                        collapse=None if not collapse else collapse in _YES,
                        histogram=histogram, by_source=by_source in _YES)


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    value = value.strip()
    if len(value) > 12 or not _WHOLE.fullmatch(value):
        raise QueryError(f"{name} must be a whole number, not {value[:40]!r}")
    return int(value)


def _date(value: str | None, name: str, end: bool) -> date | None:
    """YYYY, YYYY-MM or YYYY-MM-DD (an ISO date-time is cut to its date)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 4 and value.isdigit():
            return date(int(value), 12, 31) if end else date(int(value), 1, 1)
        if len(value) == 7 and value[4] == "-":
            year, month = int(value[:4]), int(value[5:])
            first = date(year, month, 1)
            if not end:
                return first
            following = date(year + (month == 12), month % 12 + 1, 1)
            return following - timedelta(days=1)
        return date.fromisoformat(value[:10])
    except ValueError:
        raise QueryError(f"{name} must be a date like 2019-05-31 (or 2019, or 2019-05), "
                         f"not {value[:40]!r}") from None


def _clamp(day: date) -> date:
    return min(max(day, EARLIEST), LATEST)


def _start_of(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _end_of(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=UTC) \
        if day else None


# -- a table view ---------------------------------------------------------------------------------
_PREFIX_OP = {v: k for k, v in OP_PREFIX.items()}
_DAMAGED = "this page link is damaged; start again from the first page"


def parse_view_params(info: TableInfo, query: Mapping[str, str] | Any) -> ViewParams:
    """Check a request's parameters against the table's registered columns."""
    multi = list(query.multi_items()) if hasattr(query, "multi_items") else list(query.items())
    return _view_params(info, multi)


def parse_export_params(info: TableInfo, query: QueryParams) -> tuple[ViewParams, int | None]:
    """An export's view (every page of it: `limit` is not a page size here) and its cap on
    rows (any whole number; it is only counted against, never sent to SQLite)."""
    params = _view_params(info, [(k, v) for k, v in query.multi_items() if k != "limit"])
    raw = (query.get("limit") or "").strip()
    if raw and (raw.startswith("-") or not _WHOLE.fullmatch(raw)):
        raise QueryError("limit must be a whole number")
    return params, int(raw) if raw else None


def parse_union_cursor(after: str | None) -> tuple[int, int] | None:
    """The cursor of the union view: (position of a table in its order, row)."""
    if not after:
        return None
    value, row = decode_cursor(after)
    if not isinstance(value, int):
        raise QueryError(_DAMAGED)
    return value, row


def decode_cursor(text: str) -> tuple[Any, int]:
    """A page's cursor, as search/tables.py `encode_cursor` wrote it: (sort value, row)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value, row = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, RecursionError):  # deep: [[[[...
        # A plain row number is a cursor too (`after=400000` in the default order).
        if _WHOLE.fullmatch(text):
            return None, _sql_int(int(text), _DAMAGED)
        raise QueryError(_DAMAGED) from None
    if not isinstance(row, int) or isinstance(value, dict | list):
        raise QueryError(_DAMAGED)
    if isinstance(value, int):
        _sql_int(value, _DAMAGED)
    return value, _sql_int(row, _DAMAGED)


def _view_params(info: TableInfo, pairs: list[tuple[str, str]]) -> ViewParams:
    params = ViewParams()
    for key, value in pairs:
        prefix, dot, name = key.partition(".")
        if dot and prefix in _PREFIX_OP:
            if value == "":
                continue
            params.filters.append(_filter(info, key, _PREFIX_OP[prefix], name, value))
        elif key == "sort" and value:
            column = info.column(value)
            if column is None and value != ROW:
                raise QueryError(f"this table has no column {value[:80]!r}")
            params.sort = column.sql if column else None
        elif key == "desc":
            params.desc = value not in ("", "0", "false")
        elif key == "q":
            params.q = value.strip()[:2000]
        elif key == "after" and value:
            params.after = decode_cursor(value)
        elif key == "limit" and value:
            if not _WHOLE.fullmatch(value) or not 1 <= int(value) <= MAX_PAGE:
                raise QueryError(f"limit must be between 1 and {MAX_PAGE}")
            params.limit = int(value)
        elif key == "flagged":
            params.flagged = value not in ("", "0")
    if len(params.filters) > MAX_FILTERS:
        raise QueryError(f"at most {MAX_FILTERS} filters")
    return params


def _filter(info: TableInfo, key: str, op: str, name: str, value: str) -> Filter:
    column = info.column(name)
    if column is None:
        raise QueryError(f"this table has no column {name[:80]!r}")
    if len(value) > 500:
        raise QueryError("a filter value is too long")
    found = Filter(op, column, value)
    if op != "contains":  # contains is a LIKE on text
        # The value as the query will bind it: only an integer column gives a Python int.
        _sql_int(typed_value(column, value),
                 f"{key}: {value.strip()[:40]} is beyond the whole numbers a table holds "
                 f"({SQL_INT_MIN} to {SQL_INT_MAX}); written with an exponent (1e30) it is "
                 "compared as a float")
    return found


def _sql_int(value: Any, message: str) -> Any:
    """`value`, unless it is a whole number that SQLite's INTEGER cannot hold."""
    if isinstance(value, int) and not SQL_INT_MIN <= value <= SQL_INT_MAX:
        raise QueryError(message)
    return value


# -- saved searches ----------------------------------------------------------------------------
def saved_params(text: str) -> str:
    """A search's parameters as a saved search keeps them: checked as the API checks them,
    in their canonical order, without paging (a saved search is run from its start)."""
    params = parse_search_params(QueryParams(text), strict=True)
    if params.empty:
        raise QueryError("a saved search needs words or a filter (* for every document)")
    return params.kept()


def saved_query(text: str) -> SearchQuery:
    """The query of a saved search's parameters (search/saved.py runs it)."""
    return parse_search_params(QueryParams(text), strict=True).to_query(())
