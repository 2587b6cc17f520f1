"""Exports of the current search: `/api/search/export.csv`, `.jsonl` and `.zip`.

The parameters are the search page's and `/api/search`'s (web/params.py parses them, so
an export link is the search's own link with another path); the records come from
search/exports.py through the caller's scoped archive, streamed. The first batch is read
before the answer starts, so a bad query is a 400, not a broken file; a failure after the
first bytes is written at the end of the CSV (web/tables.py's `csv_chunks`) or as a last
line `{"error": ...}` of JSON lines. Each export
is one entry of the audit log (action `export`: the query, the filters, the format and the
number of documents). A zip is refused (403) over a dataset the caller reads redacted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from trawl.index.base import IndexHit, QueryError
from trawl.search import exports
from trawl.search.service import Archive
from trawl.web.api import hit_url
from trawl.web.auth import audit, reader
from trawl.web.params import SearchParams, parse_search_params
from trawl.web.security import content_disposition
from trawl.web.tables import csv_chunks, export_failure

router = APIRouter(prefix="/api", tags=["api"])
MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
         "zip": "application/zip"}
DOC = """The documents of a search, with the parameters of `/api/search` (`q`, `dataset`,
`type`, `filter`, `date_from`...; paging is ignored: every result, up to a million).
Columns: {columns}. `url` is the document's page with the query. A dataset read through
its redacted view is exported masked, as it is searched."""


def _export(request: Request, fmt: str) -> exports.Export:
    params = parse_search_params(request.query_params, strict=True)
    if params.empty:
        raise QueryError("empty query: give q (q=* exports every document) or a filter")
    base = str(request.base_url).rstrip("/")

    def url_of(hit: IndexHit) -> str:
        return base + hit_url(hit, params.q)

    try:
        export = exports.start(reader(request), params.to_query(()), url_of, fmt)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    audit(request, "export", target=params.q[:500] or None,
          detail={"format": fmt, "filters": params.filters, "count": export.count})
    return export


def _stream(body: Iterator[str] | Iterator[bytes], fmt: str) -> StreamingResponse:
    return StreamingResponse(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": content_disposition(f"trawl-export.{fmt}"),
        "X-Content-Type-Options": "nosniff"})


def _jsonl(lines: Iterator[str]) -> Iterator[str]:
    """JSON lines; a failure after the first line is said in a last line `{"error": ...}`
    (as a CSV export's last row says it: web/tables.py)."""
    try:
        yield from lines
    except Exception as exc:  # noqa: BLE001 (said in the body; the log has the traceback)
        yield json.dumps({"error": export_failure(exc)}) + "\n"


Q = Annotated[str, Query(description="the query; * for every document")]


@router.get("/search/export.csv", summary="Export a search's documents as CSV",
            description=DOC.format(columns=", ".join(exports.COLUMNS)),
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_csv(request: Request, q: Q = "") -> StreamingResponse:
    return _stream(csv_chunks(exports.csv_rows(_export(request, "csv"))), "csv")


@router.get("/search/export.jsonl", summary="Export a search's documents as JSON lines",
            description=DOC.format(columns=", ".join(exports.COLUMNS)),
            response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson":
                                         {"schema": {"type": "string"}}}}})
def export_jsonl(request: Request, q: Q = "") -> StreamingResponse:
    return _stream(_jsonl(exports.jsonl_lines(_export(request, "jsonl"))), "jsonl")


@router.get("/search/export.zip", summary="Export the originals of a search's documents",
            description="A zip of the originals under `DATASET/PATH`, with `manifest.csv` "
                        "(path, sha256, size, note), up to the server's size limit (what "
                        "did not fit is named in the manifest). Refused (403) when the "
                        "search covers a dataset the caller reads redacted. The parameters "
                        "of `/api/search`.",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/zip":
                                         {"schema": {"type": "string",
                                                     "format": "binary"}}}}})
def export_zip(request: Request, q: Q = "") -> StreamingResponse:
    export = _export(request, "zip")
    limit = getattr(request.app.state, "export_max_bytes", None) or exports.max_zip_bytes()
    return _stream(exports.zip_chunks(export, limit), "zip")


def export_links(archive: Archive, params: SearchParams) -> list[tuple[str, str]]:
    """(format, url) of the search page's export links: its own parameters without paging;
    no zip where the search covers a dataset the caller reads redacted."""
    if params.rows or params.empty:
        return []
    query = params.kept()
    shown = ["csv", "jsonl"]
    if not exports.redacted_datasets(archive, params.to_query(())):
        shown.append("zip")
    return [(fmt, f"/api/search/export.{fmt}?{query}") for fmt in shown]
