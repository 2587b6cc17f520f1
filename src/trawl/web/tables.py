"""Structured tables on the web: a dataset's tables, a table (sorted, filtered, searched,
paged, faceted, exported), a row (every cell, its files, its joined rows), the union of one
table name across folders, and the pieces other pages show (row hits of a search, the rows
that reference a document, the tables of a table file).

`install(app)` adds the routes and the template helpers; nothing else in the web layer needs
to know how tables are stored. Cells are document content: escaped, and HTML cells go
through the same sanitiser (nh3) as e-mail bodies before they are shown.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from jinja2 import pass_context
from markupsafe import Markup

from trawl.csv_cells import csv_cell
from trawl.errors import NotFound, TrawlError
from trawl.index.base import IndexHit, QueryError
from trawl.search.tables import (
    MAX_PAGE,
    Filter,
    TableReader,
    TableView,
    ViewParams,
    encode_cursor,
    row_key,
    row_label,
)
from trawl.search.threads import ThreadReader
from trawl.storage.tables import EXTRA, FLAGS, ROW, Column, TableInfo
from trawl.web import documents
from trawl.web.auth import audit, reader, scoped
from trawl.web.highlight import highlight_text, query_patterns
from trawl.web.params import SqlId, parse_export_params, parse_union_cursor, parse_view_params
from trawl.web.render import render_page
from trawl.web.security import content_disposition, sanitize_html
from trawl.web.threads import thread_url

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["tables"])
SHORT_CELL = 160
MAX_CELL_SHOWN = 200_000
MATCHING_CELLS = 3
_HTML = re.compile(r"<\s*(p|div|br|span|table|tr|td|b|i|u|a|font|ul|ol|li|strong|em|h[1-6]|img"
                   r"|center|hr)\b", re.I)
_SURVEY = re.compile(r"[^=&\s]{1,200}=[^&]*(?:&[^=&\s]{1,200}=[^&]*)+")
_TAG = re.compile(r"<[^>]{0,2000}>")


def install(app: FastAPI) -> None:
    """Routes, and the helpers that the search, document and dataset pages call.

    Every table is read through the scoped archive (`archive.tables`, search/service.py): it
    picks the full tables or their masked copy per dataset and caller, and answers NotFound
    outside the caller's scope. Nothing here decides access."""

    @pass_context
    def row_hit(ctx: Any, hit: IndexHit, q: str = "") -> dict[str, Any] | None:
        return row_hit_view(_reader(ctx["request"], hit.dataset), hit, q)

    @pass_context
    def tables_of_document(ctx: Any, view: Any) -> dict[str, Any]:
        return document_tables(_reader(ctx["request"], view.dataset.name), view.id)

    @pass_context
    def tables_of_dataset(ctx: Any, name: str) -> dict[str, Any]:
        return dataset_tables(_reader(ctx["request"], name), name)

    app.state.renderer.env.globals.update(row_hit=row_hit, document_tables=tables_of_document,
                                          dataset_tables=tables_of_dataset)
    app.include_router(api)
    app.include_router(router)


def _reader(request: Request, dataset: str) -> TableReader:
    """The tables of `dataset` as the caller may read them (full or masked); else NotFound."""
    return scoped(request).tables.reader(dataset)


def _table(request: Request, table_id: int) -> TableInfo:
    """A table the caller may read, from the store they read it in; else NotFound."""
    return scoped(request).tables.table(table_id)


# -- cells ---------------------------------------------------------------------------------------
def unescape_literals(text: str) -> str:
    """Access exports keep line breaks and tabs as the two characters \\n and \\t."""
    return text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", "\t")


def is_html(text: str) -> bool:
    return _HTML.search(text) is not None


def survey_pairs(text: str) -> list[tuple[str, str]] | None:
    """URL-encoded survey answers (q1=yes&q2=two+words) as (question, answer) pairs."""
    stripped = text.strip()
    if len(stripped) > 100_000 or not _SURVEY.fullmatch(stripped):
        return None
    if "%" not in stripped and "+" not in stripped and stripped.count("&") < 2:
        return None
    return parse_qsl(stripped, keep_blank_values=True)


def plain(value: Any, column: Column | None = None) -> str:
    """A cell as one line of text (table pages, exports of labels)."""
    if value is None:
        return ""
    if column is not None and column.type == "boolean" and value in (0, 1):
        labels = column.labels or ["false", "true"]
        return labels[int(value)]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(value)
    text = str(value)
    if "<" in text and is_html(text):
        text = _TAG.sub(" ", unescape_literals(text))
    return " ".join(text.split()) if ("\\" in text or "\n" in text or "\t" in text) else text


def short_cell(value: Any, column: Column | None = None) -> str:
    text = plain(value, column)
    if "\\n" in text or "\\t" in text:
        text = " ".join(unescape_literals(text).split())
    return text if len(text) <= SHORT_CELL else text[: SHORT_CELL - 1] + "…"


def full_cell(value: Any, column: Column | None, patterns: list | None = None) -> dict[str, Any]:
    """A cell for the row page: kind (empty, html, survey, text, value) and what to show."""
    if value is None or value == "":
        return {"kind": "empty"}
    if column is not None and column.type != "text":
        return {"kind": "value", "text": plain(value, column)}
    text = str(value)[:MAX_CELL_SHOWN]
    if is_html(text):
        # Sanitised by nh3 as e-mail bodies are: no script, no link, no remote fetch.
        return {"kind": "html",
                "html": Markup(sanitize_html(unescape_literals(text)))}  # noqa: S704
    pairs = survey_pairs(text)
    if pairs:
        return {"kind": "survey", "pairs": pairs}
    shown = unescape_literals(text)
    marked = highlight_text(shown, patterns or [])
    return {"kind": "text", "html": Markup("<br>").join(marked.split("\n"))}


def matching_cells(info: TableInfo, row: dict[str, Any], q: str, limit: int = MATCHING_CELLS
                   ) -> list[dict[str, Any]]:
    """The cells of a row that hold a word of the query, highlighted."""
    patterns = query_patterns(q)
    out = []
    for column in info.columns:
        value = row.get(column.sql)
        if value is None:
            continue
        text = plain(value, column)
        if not text:
            continue
        marked = highlight_text(text[:4000], patterns)
        first = marked.find("<mark>")
        if first < 0:
            continue
        # Cut the plain text around the first match, then mark that piece: markup is never
        # cut (the text before the first <mark> is plain escaped text).
        at = len(html.unescape(str(marked[:first])))
        start = max(0, at - 70)
        piece = highlight_text(text[start:start + 240], patterns)
        out.append({"column": column, "html": piece, "before": start > 0,
                    "after": start + 240 < len(text)})
        if len(out) >= limit:
            break
    return out


# -- helpers for other pages ---------------------------------------------------------------------
def table_url(info: TableInfo | int, **params: Any) -> str:
    table_id = info if isinstance(info, int) else info.id
    pairs = [(k, str(v)) for k, v in params.items() if v not in (None, "")]
    return f"/tables/{table_id}" + (f"?{urlencode(pairs)}" if pairs else "")


def row_url(info: TableInfo | int, row: int) -> str:
    table_id = info if isinstance(info, int) else info.id
    return f"/tables/{table_id}/rows/{row}"


def row_hit_view(reader: TableReader, hit: IndexHit, q: str) -> dict[str, Any] | None:
    """What the search page shows for a row hit: its table, key, label and matching cells."""
    if hit.table_id is None or hit.row is None:
        return None
    try:
        info = reader.table(hit.table_id)
    except NotFound:
        return None
    row = reader.row(info, hit.row) or {}
    return {"info": info, "key": row_key(info, row), "label": row_label(info, row),
            "url": row_url(info, hit.row), "cells": matching_cells(info, row, q),
            "table_url": table_url(info)}


def document_tables(reader: TableReader, doc_id: str) -> dict[str, Any]:
    """For a document page: the tables of this file, and the rows that name it."""
    if not doc_id:
        return {"tables": [], "references": []}
    return {"tables": reader.tables_of_document(doc_id),
            "references": reader.referencing_rows(doc_id)}


def dataset_tables(reader: TableReader, name: str) -> dict[str, Any]:
    """For a dataset page: its tables with rows, by folder, and how many are empty."""
    counts = reader.counts(name)
    return {"folders": reader.by_folder(name), "counts": counts,
            "url": f"/datasets/{quote(name, safe='')}/tables"}


# -- pages ---------------------------------------------------------------------------------------
@router.get("/datasets/{name}/tables", response_class=HTMLResponse)
def tables_page(request: Request, name: str, all: bool = False) -> HTMLResponse:  # noqa: A002
    ds = reader(request).dataset(name)
    tables = _reader(request, ds.name)
    folders = tables.by_folder(ds.name, include_empty=all)
    names = tables.store.names(ds.name) if tables.store else []
    return render_page(request, "tables/list.html", {
        "dataset": ds, "folders": folders, "all": all, "counts": tables.counts(ds.name),
        "names": names})


@router.get("/tables/{table_id}", response_class=HTMLResponse)
def table_page(request: Request, table_id: SqlId) -> Response:
    info = _table(request, table_id)
    audit(request, "view", dataset=info.dataset, target=f"table:{info.id}",
          detail={"view": request.url.query[:500]} if request.url.query else None)
    added = _added_filter(request, info)
    if added is not None:
        return RedirectResponse(added, status_code=303)
    try:
        params = parse_view_params(info, request.query_params)
        view = _reader(request, info.dataset).view(info, params)
    except QueryError as exc:
        return render_page(request, "tables/table.html",
                       _table_context(request, info, ViewParams(), None, str(exc)),
                       status_code=400)
    return render_page(request, "tables/table.html", _table_context(request, info, params, view))


def _added_filter(request: Request, info: TableInfo) -> str | None:
    """The filter form sends (column, op, value): the view's URL with that filter added."""
    query = request.query_params
    if "add_column" not in query:
        return None
    column = info.column(query.get("add_column", ""))
    op = query.get("add_op", "f")
    value = query.get("add_value", "")
    pairs = [(k, v) for k, v in query.multi_items()
             if not k.startswith("add_") and k != "after"]
    if column is not None and op in ("f", "c", "min", "max") and value.strip():
        pairs.append((f"{op}.{column.sql}", value.strip()))
    return table_url(info) + (f"?{urlencode(pairs)}" if pairs else "")


def _url(info: TableInfo, params: ViewParams, set_: dict[str, Any] | None = None,
         add: tuple[str, Any] | None = None) -> str:
    """The view's URL with some parameters replaced (`set_`, None removes one) or a filter
    added (`add`); never with a cursor unless `set_` gives one."""
    pairs = params.pairs(after=False)
    for key, value in (set_ or {}).items():
        pairs = [(k, v) for k, v in pairs if k != key]
        if value is not None:
            pairs.append((key, str(value)))
    if add is not None and (add[0], str(add[1])) not in pairs:
        pairs.append((add[0], str(add[1])))
    return table_url(info) + (f"?{urlencode(pairs)}" if pairs else "")


def _filter_label(tables: TableReader, info: TableInfo, f: Filter) -> str | None:
    """What the chip of `column = id` shows for an id that joins another table (the
    category's name, as its facet does); None for other filters."""
    if f.op != "eq":
        return None
    return tables.value_labels(info, f.column.sql, [f.value]).get(f.value)


def _without(info: TableInfo, params: ViewParams, index: int) -> str:
    kept = ViewParams(params.sort, params.desc,
                      [f for i, f in enumerate(params.filters) if i != index], params.q, None,
                      params.limit, params.flagged)
    return _url(info, kept)


def _table_context(request: Request, info: TableInfo, params: ViewParams,
                   view: TableView | None, error: str | None = None) -> dict[str, Any]:
    tables = _reader(request, info.dataset)
    columns = info.columns
    shown_rows = []
    rows = view.rows if view else []
    links = tables.links_of_rows(info, [row[ROW] for row in rows])
    for row in rows:
        linked = links.get(row[ROW], {})
        shown_rows.append({
            "row": row[ROW], "url": row_url(info, row[ROW]), "flags": row.get(FLAGS),
            "cells": [{"text": short_cell(row.get(c.sql), c),
                       "url": _link_url(info, linked[c.sql]) if c.sql in linked else None}
                      for c in columns],
            "key": row_key(info, row)})
    sort_links = {}
    for column in columns:
        descending = params.sort == column.sql and not params.desc
        sort_links[column.sql] = _url(info, params, {"sort": column.sql,
                                                     "desc": 1 if descending else None})
    facets = []
    for column, values in view.facets if view else []:
        joined = tables.value_labels(info, column.sql, [v for v, _n in values])
        facets.append({"column": column, "values": [
            {"value": v, "label": joined.get(v) or plain(v, column), "raw": plain(v, column),
             "count": n, "url": _url(info, params, add=(f"f.{column.sql}", v))}
            for v, n in values]})
    others = tables.same_name(info)
    export_query = urlencode(params.pairs(after=False))
    return {
        "info": info, "params": params, "view": view, "error": error, "columns": columns,
        "rows": shown_rows, "sort_links": sort_links, "facets": facets,
        "filters": [{"filter": f, "url": _without(info, params, i),
                     "op": {"eq": "=", "contains": "∋", "min": "≥", "max": "≤"}[f.op],
                     "label": _filter_label(tables, info, f)}
                    for i, f in enumerate(params.filters)],
        "next_url": _url(info, params, {"after": encode_cursor(view.next_cursor)})
        if view and view.next_cursor else None,
        "first_url": _url(info, params) if params.after else None,
        "export_csv": f"/tables/{info.id}/export.csv" + (f"?{export_query}" if export_query
                                                          else ""),
        "export_json": f"/tables/{info.id}/export.json" + (f"?{export_query}" if export_query
                                                            else ""),
        "document_url": f"/documents/{info.document_id}" if info.document_id else None,
        "others": others,
        "union_url": f"/datasets/{quote(info.dataset, safe='')}/tables/union?"
                     f"{urlencode([('name', info.name)])}" if others else None,
        "hidden": [("q", params.q)] if params.q else [],
        "max_page": MAX_PAGE,
        "crumbs": documents.breadcrumbs(info.dataset, info.path),
    }


def _link_url(info: TableInfo, link: dict[str, Any]) -> str:
    """A file a cell names: its document, or its path's page when it has no content."""
    if link["document_id"]:
        return f"/documents/{link['document_id']}"
    return documents.path_url(info.dataset, link["file_path"])


@router.get("/tables/{table_id}/rows/{row}", response_class=HTMLResponse)
def row_page(request: Request, table_id: SqlId, row: SqlId,
             q: Annotated[str, Query(max_length=2000)] = "") -> HTMLResponse:
    info = _table(request, table_id)
    tables = _reader(request, info.dataset)
    data = tables.row(info, row)
    if data is None:
        raise NotFound(f"no row {row} in table {info.name!r}")
    audit(request, "view", dataset=info.dataset, target=f"table:{info.id}:row:{row}")
    patterns = query_patterns(q)
    links = tables.links(info, row)
    by_column: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        link["url"] = _link_url(info, link)
        by_column.setdefault(link["column"], []).append(link)
    cells = [{"column": c, "cell": full_cell(data.get(c.sql), c, patterns),
              "links": by_column.get(c.sql, []),
              "key": c.sql == info.key_column} for c in info.columns]
    joined = []
    for j in tables.joined(info, data):
        joined.append({
            "join": j, "other": j.other, "url": table_url(j.other, **{
                f"f.{j.other_column}": j.value}),
            "rows": [{"url": row_url(j.other, r[ROW]), "key": row_key(j.other, r),
                      "label": row_label(j.other, r)} for r in j.rows]})
    extra = json.loads(data[EXTRA]) if data.get(EXTRA) else None
    return render_page(request, "tables/row.html", {
        "info": info, "row": row, "data": data, "cells": cells, "links": links,
        "joined": joined, "flags": data.get(FLAGS), "extra": extra,
        "key": row_key(info, data), "label": row_label(info, data),
        "prev_url": row_url(info, row - 1) if row > 1 else None,
        "next_url": row_url(info, row + 1) if row < info.row_count else None,
        "table_url": table_url(info), "q": q,
        "document_url": f"/documents/{info.document_id}" if info.document_id else None,
        "crumbs": documents.breadcrumbs(info.dataset, info.path),
        "thread_url": _thread_url(request, info, row),
    })


def _thread_url(request: Request, info: TableInfo, row: int) -> str | None:
    """The conversation of a bulk-mail row (derive/bulk_mail.py), if it is in one."""
    thread = ThreadReader(scoped(request)).thread_of_row(info.id, row)
    return thread_url(thread) if thread else None


@router.get("/datasets/{name}/tables/union", response_class=HTMLResponse)
def union_page(request: Request, name: str,
               table: Annotated[str, Query(alias="name", max_length=500)],
               after: Annotated[str | None, Query(max_length=200)] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> HTMLResponse:
    ds = reader(request).dataset(name)
    cursor = parse_union_cursor(after)
    tables, columns, rows, next_cursor = _reader(request, ds.name).union(ds.name, table,
                                                                          cursor, limit)
    if not tables:
        raise NotFound(f"no table named {table[:200]!r} with rows in dataset {ds.name!r}")
    base = f"/datasets/{quote(ds.name, safe='')}/tables/union"
    return render_page(request, "tables/union.html", {
        "dataset": ds, "name": table, "tables": tables, "columns": columns,
        "total": sum(t.row_count for t in tables),
        "rows": [{"table": r["_table"], "url": row_url(r["_table"], r[ROW]), "row": r[ROW],
                  "cells": [short_cell(r.get(c.sql), c) for c in columns]} for r in rows],
        "next_url": f"{base}?{urlencode([('name', table), ('after', encode_cursor(next_cursor))])}"
        if next_cursor else None,
        "first_url": f"{base}?{urlencode([('name', table)])}" if after else None,
        "export_csv": f"{base}.csv?{urlencode([('name', table)])}",
    })


@router.get("/datasets/{name}/tables/union.csv")
def union_export(request: Request, name: str,
                 table: Annotated[str, Query(alias="name", max_length=500)]) -> Response:
    ds = reader(request).dataset(name)
    store = _reader(request, ds.name)
    audit(request, "export", dataset=ds.name, target=f"union:{table}")

    def rows() -> Iterator[list[Any]]:
        cursor = None
        header_done = False
        while True:
            tables, columns, found, cursor = store.union(ds.name, table, cursor, MAX_PAGE)
            if not header_done:
                yield ["source", "table_id", ROW, *[c.name for c in columns]]
                header_done = True
            for r in found:
                yield [r["_table"].folder, r["_table"].id, r[ROW],
                       *[r.get(c.sql) for c in columns]]
            if cursor is None:
                return

    return _csv_response(rows(), f"{table}-all-sources.csv")


# -- exports -------------------------------------------------------------------------------------
# An export streams: its status line and first rows are sent before its last rows are read.
# A failure before the first row is the request's own error (400, 404, 500: `_started`); a
# failure after it cannot change the status any more, so the body says so at its end (as
# Datasette writes the error into a CSV stream it cannot finish): a CSV's last row is the one
# cell `# export failed: REASON`, a JSON export ends with an "error" member after its rows.
# A complete export has neither.
def csv_chunks(rows: Iterator[list[Any]]) -> Iterator[str]:
    """The CSV text of `rows`, a few hundred rows at a time. Every cell goes through the one
    CSV-injection escape (trawl/csv_cells.py): headers are document content too, and so are
    folder names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    try:
        for n, row in enumerate(rows):
            writer.writerow([csv_cell(value) for value in row])
            if n % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    except Exception as exc:  # noqa: BLE001 (said in the body; the log has the traceback)
        writer.writerow([f"# {export_failure(exc)}"])
    yield buffer.getvalue()


def json_chunks(head: dict[str, Any], rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """`head` with a "rows" member holding `rows`, streamed one row at a time."""
    yield json.dumps(head, ensure_ascii=False, default=_json_default)[:-1] + ', "rows": ['
    try:
        for n, row in enumerate(rows):
            yield ("," if n else "") + json.dumps(row, ensure_ascii=False,
                                                  default=_json_default)
    except Exception as exc:  # noqa: BLE001 (said in the body; the log has the traceback)
        yield "], " + json.dumps({"error": export_failure(exc)})[1:]
        return
    yield "]}"


def export_failure(exc: Exception) -> str:
    """Why an export stopped, in one line; a fault of the server stays in its log."""
    log.error("an export failed after it started", exc_info=exc)
    reason = str(exc) if isinstance(exc, TrawlError) else \
        "internal error; the server log has the details"
    return "export failed: " + " ".join(reason.split())


def _started(rows: Iterator[Any]) -> Iterator[Any]:
    """`rows` with its first item already read, so that a failure before any row is sent is
    the request's own error, not a 200 with a broken body."""
    first = list(itertools.islice(rows, 1))
    return itertools.chain(first, rows)


def _csv_response(rows: Iterator[list[Any]], filename: str) -> StreamingResponse:
    return StreamingResponse(csv_chunks(_started(rows)), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": content_disposition(filename)})


def _exported(request: Request, table_id: int, fmt: str
              ) -> tuple[TableInfo, ViewParams, Iterator[dict[str, Any]]]:
    """The table, the view asked for and its rows; the export is audited."""
    info = _table(request, table_id)
    params, limit = parse_export_params(info, request.query_params)
    rows = _started(_reader(request, info.dataset).export(info, params, limit))
    audit(request, "export", dataset=info.dataset, target=f"table:{info.id}",
          detail={"format": fmt, "view": dict(params.pairs(after=False))})
    return info, params, rows


@router.get("/tables/{table_id}/export.csv")
def export_csv(request: Request, table_id: SqlId) -> Response:
    info, _params, rows = _exported(request, table_id, "csv")
    header = [ROW, *[c.name for c in info.columns], FLAGS]

    def lines() -> Iterator[list[Any]]:
        yield header
        for row in rows:
            yield [row[ROW], *[row.get(c.sql) for c in info.columns],
                   row.get(FLAGS)]

    return _csv_response(lines(), f"{info.name}.csv")


@router.get("/tables/{table_id}/export.json")
def export_json(request: Request, table_id: SqlId) -> Response:
    info, params, rows = _exported(request, table_id, "json")

    head = {"table": info.as_json(), "view": dict(params.pairs(after=False))}
    return StreamingResponse(json_chunks(head, rows), media_type="application/json", headers={
        "content-disposition": content_disposition(f"{info.name}.json")})


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# -- JSON API ------------------------------------------------------------------------------------
@api.get("/datasets/{name}/tables", summary="A dataset's tables (CSV files and sheets)")
def api_tables(request: Request, name: str, all: bool = False) -> JSONResponse:  # noqa: A002
    ds = reader(request).dataset(name)
    infos = _reader(request, ds.name).tables(ds.name, include_empty=all)
    return JSONResponse({"dataset": ds.name, "tables": [t.as_json() for t in infos]})


@api.get("/tables/{table_id}", summary="One table: its columns and one page of its rows. "
         "Parameters: sort, desc, f.COLUMN (equals), c.COLUMN (contains), min.COLUMN, "
         "max.COLUMN, q (search in the table), after (the next page's cursor), limit.")
def api_table(request: Request, table_id: SqlId) -> JSONResponse:
    info = _table(request, table_id)
    params = parse_view_params(info, request.query_params)
    view = _reader(request, info.dataset).view(info, params)
    return JSONResponse(json.loads(json.dumps({
        "table": info.as_json(), "count": view.count, "rows": view.rows,
        "next": encode_cursor(view.next_cursor) if view.next_cursor else None,
        "facets": {c.sql: [{"value": v, "count": n} for v, n in values]
                   for c, values in view.facets},
    }, default=_json_default)))


@api.get("/tables/{table_id}/rows/{row}", summary="One row with its links and joined rows")
def api_row(request: Request, table_id: SqlId, row: SqlId) -> JSONResponse:
    info = _table(request, table_id)
    tables = _reader(request, info.dataset)
    data = tables.row(info, row)
    if data is None:
        raise NotFound(f"no row {row} in table {info.name!r}")
    joined = [{"table_id": j.other.id, "table": j.other.name, "kind": j.join.kind,
               "direction": j.direction, "column": j.this_column,
               "other_column": j.other_column, "count": j.count,
               "rows": [r[ROW] for r in j.rows]} for j in tables.joined(info, data)]
    return JSONResponse(json.loads(json.dumps({
        "table": {"id": info.id, "name": info.name, "source": info.path, "sheet": info.sheet},
        "row": row, "key": row_key(info, data), "cells": data,
        "links": tables.links(info, row), "joined": joined}, default=_json_default)))
