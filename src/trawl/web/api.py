"""The JSON API: search, documents, originals, datasets. Errors: `{"error": "..."}` (400/404)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from trawl.errors import NotFound
from trawl.index.base import IndexHit, IndexResult, QueryError
from trawl.index.query_syntax import query_problems
from trawl.search.service import Archive
from trawl.storage import browse
from trawl.web import documents, failure_codes, files
from trawl.web.auth import audit, caller, reader
from trawl.web.highlight import snippet_html
from trawl.web.params import SHOWN_FACETS, SearchParams, parse_search_params

router = APIRouter(prefix="/api", tags=["api"])


def run_search(archive: Archive, params: SearchParams, collapse: bool = False
               ) -> IndexResult:
    """`collapse`: one hit per cluster of near-copies unless the request says (`collapse`)."""
    try:
        return archive.search(params.to_query(SHOWN_FACETS, collapse))
    except NotFound as exc:  # a dataset filter naming no dataset is a mistake in the query
        raise QueryError(str(exc)) from None


def audit_search(request: Request, params: SearchParams, total: int) -> None:
    audit(request, "search", target=params.q[:500] or None,
          detail={"filters": params.filters, "record": params.record, "total": total})


def hit_url(hit: IndexHit, q: str, page: int | None = None) -> str:
    params = [("q", q)] if q else []
    if hit.record == "row":  # a row of a structured table (record=rows)
        return f"/tables/{hit.table_id}/rows/{hit.row}" + (f"?{urlencode(params)}" if q else "")
    page = page if page is not None else hit.page
    if page:
        params.append(("page", str(page)))
    query = f"?{urlencode(params)}" if params else ""
    return f"/documents/{quote(hit.id, safe='')}{query}" + (f"#page-{page}" if page else "")


def hit_json(hit: IndexHit, q: str, with_score: bool = True) -> dict[str, Any]:
    return {
        "id": hit.id,
        "dataset": hit.dataset,
        "path": hit.path,
        "title": hit.title,
        "type": hit.family,
        "mime": hit.mime,
        "status": hit.status,
        "date": hit.date.isoformat() if hit.date else None,
        "size": hit.size,
        "score": hit.score if with_score else None,
        "snippet": hit.snippet.text,
        "snippet_html": str(snippet_html(hit.snippet)),
        "highlights": [list(r) for r in hit.snippet.highlights],
        "page": hit.page,
        "pages": hit.pages,
        "url": hit_url(hit, q),
        "page_urls": {str(p): hit_url(hit, q, p) for p in hit.pages},
        "record": hit.record,
        "table_id": hit.table_id,
        "row": hit.row,
        "cluster": hit.cluster,
        "cluster_matches": hit.cluster_matches or None,
    }


SEARCH_DOC = """Search the archive. `q` uses the query syntax (AND/OR/NOT, "phrases",
prefix*, fuzzy~, type:pdf, path:..., from:...); `q=*` lists every document. Filters are
repeatable parameters (`type=pdf&type=word`) or `filter=name:value`.

Entities: `q` may name them as terms, combined like any other: `entity:ID`,
`email:x@y.org`, `phone:+15551234567` (any spelling: `phone:"(555) 123-4567"`), `url:...`,
`domain:...`, `ip:...`, `handle:twitter:name` or `handle:@name`, `person:"Jane Doe"`,
`org:"..."`, `place:"..."` (names without case or accents). The repeatable `entity=ID`
parameter requires each entity it names. An entity that does not exist, or that the caller
may not see, matches nothing.

`facets` maps each facet to its values: `{"value", "count"}` for dataset, source, type,
year, language and ocr (documents) or dataset, source, table and year (rows); and for each
kind of entity (email, phone, url, domain, ip, handle, person, org, place) the top entities
of the results as `{"id", "kind", "value", "count"}` (count: results that mention it), only
those the caller may see: a public dataset read through its redacted view shows no e-mail,
phone, IP, account or person. `/entities/{id}` is an entity's page.

`histogram=auto|year|month|day` adds `histogram`: the results by date, counted as facets
count (documents, or rows; collapsed or not): `interval`, `buckets` (`start`, `end` inclusive,
`count`; calendar years, months or days in UTC, empty ones included), `undated` (results
without a date, in no bucket), `date_rule` (which date is used: the sent date of mail, the
creation or else modification date of other documents, a row's date column) and, with
`by_source=1`, `sources`: the top 8 sources, each with its own `buckets`."""


@router.get("/search", summary="Search documents", description=SEARCH_DOC)
def search(
    request: Request,
    q: Annotated[str, Query(description="the query; * for every document")] = "",
    dataset: Annotated[list[str] | None, Query(description="restrict to these datasets")] = None,
    source: Annotated[list[str] | None, Query(description="top folder of a path")] = None,
    type: Annotated[list[str] | None, Query(description="file type: pdf, word, email, ...")] = None,
    year: Annotated[list[str] | None,
                    Query(description="year of the document's date; unknown: no date")] = None,
    language: Annotated[list[str] | None, Query(description="language code (en, fr, ...)")] = None,
    status: Annotated[list[str] | None, Query(description="indexed, failed or skipped")] = None,
    mime: Annotated[list[str] | None, Query(description="MIME type")] = None,
    record: Annotated[str, Query(description="documents, or rows of tables (CSV, sheets)")]
    = "documents",
    table: Annotated[list[str] | None, Query(description="table name (with record=rows)")]
    = None,
    entity: Annotated[list[str] | None,
                      Query(description="an entity's id; each one given must be mentioned")]
    = None,
    cluster: Annotated[list[str] | None,
                       Query(description="a cluster of near-copies: its documents")] = None,
    collapse: Annotated[str | None,
                        Query(description="1: one hit per cluster of near-copies (its best "
                                          "document, with `cluster` and `cluster_matches`); "
                                          "`total` then counts hits so collapsed")] = None,
    filter: Annotated[list[str] | None, Query(description="name:value, e.g. type:pdf")] = None,
    date_from: Annotated[str | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(description="inclusive, like date_from")] = None,
    sort: Annotated[str, Query(description="relevance, date_desc or date_asc")] = "relevance",
    page: Annotated[int | None, Query(description="1-based page of `limit` results")] = None,
    offset: Annotated[int | None, Query(description="results to skip (instead of page)")] = None,
    limit: Annotated[int | None, Query(description="results per page (1-200)")] = None,
    no_quotes: Annotated[bool, Query(description="e-mail messages match by what they wrote, "
                                     "not by what they quote of earlier ones")] = False,
    histogram: Annotated[str | None,
                         Query(description="auto, year, month or day: a date histogram of "
                                           "the results (`histogram` in the answer)")] = None,
    by_source: Annotated[bool, Query(description="with `histogram`: one per top source "
                                     "too")] = False,
) -> JSONResponse:
    params = parse_search_params(request.query_params, strict=True)
    if params.by_source and params.histogram is None:
        params = dataclasses.replace(params, histogram="auto")
    if params.empty:
        raise QueryError("empty query: give q (q=* lists every document) or a filter")
    result = run_search(reader(request), params)
    audit_search(request, params, result.total)
    problems = query_problems(result.warnings)
    if problems:  # the page shows what it could; the API says what is wrong
        raise QueryError(problems[0])
    return JSONResponse({
        "query": params.q,
        "total": result.total,
        "offset": params.offset,
        "limit": params.limit,
        "page": params.page,
        "documents": result.documents if result.documents is not None else result.total,
        "relaxed": result.relaxed,
        "warnings": result.warnings,
        # Scores carry the index's term statistics, which count every dataset: only a
        # caller who reads everything (an admin) gets them; the others get the order.
        "hits": [hit_json(h, params.q, with_score=caller(request).principal.is_admin)
                 for h in result.hits],
        "facets": {**{name: [{"value": v, "count": n} for v, n in values]
                      for name, values in result.facets.items()},
                   **{kind: [e.as_json() for e in values]
                      for kind, values in result.entity_facets.items()}},
        **({"histogram": result.histogram.as_json()} if result.histogram else {}),
    })


@router.get("/documents/{doc_id}", summary="One document: metadata, paths, text, relations")
def document(request: Request, doc_id: str,
             text: Annotated[bool, Query(description="include the extracted text")] = True,
             ) -> JSONResponse:
    archive = reader(request)
    view = documents.find_document(archive, doc_id)
    audit(request, "view", dataset=view.dataset.name, target=view.id, detail={"api": True})
    return JSONResponse(archive.as_json(view, with_text=text))


@router.get("/documents/{doc_id}/original", summary="Download the original file",
            response_class=FileResponse)
def original(request: Request, doc_id: str) -> FileResponse:
    return files.download_original(request, doc_id)


@router.get("/datasets", summary="Datasets with their file counts")
def datasets(request: Request) -> JSONResponse:
    archive = reader(request)
    out = []
    for ds in archive.datasets():
        totals = archive.catalog.totals(ds.id)
        out.append({"name": ds.name, "visibility": ds.visibility,
                    "access": archive.access(ds.name).value,
                    "files": totals["files"], "bytes": totals["bytes"],
                    **archive.catalog.counts_by_status(ds.id)})
    return JSONResponse({"datasets": out})


@router.get("/datasets/{name}", summary="A dataset's overview: types, size, dates, failures")
def dataset(request: Request, name: str) -> JSONResponse:
    archive = reader(request)
    ds = archive.dataset(name)
    o = archive.overview(ds)
    return JSONResponse({
        "name": ds.name, "files": o.files, "bytes": o.bytes, "unique_contents": o.contents,
        "by_status": o.by_status,
        "by_type": [{"type": t, "files": n, "bytes": b} for t, n, b in o.by_type],
        "date_from": o.date_from, "date_to": o.date_to,
        # By code, each with its meaning and its commonest messages; "failures" and
        # "skipped" are the same messages in one list, as before codes (with the code added).
        "failures_by_code": failure_codes.code_json(o.failures),
        "skipped_by_code": failure_codes.code_json(o.skipped),
        "failures": _by_reason(o.failures),
        "skipped": _by_reason(o.skipped),
    })


def _by_reason(groups: list[browse.CodeGroup]) -> list[dict[str, Any]]:
    found = [{"reason": r, "count": n, "code": g.code} for g in groups for r, n in g.reasons]
    return sorted(found, key=lambda item: -item["count"])


@router.get("/datasets/{name}/browse", summary="A folder: its sub-folders and files")
def folder(request: Request, name: str,
           path: Annotated[str, Query(max_length=4000)] = "",
           offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
           limit: Annotated[int, Query(ge=1, le=1000)] = 200,
           sort: Annotated[str, Query(pattern="^(name|date|size)$",
                                      description="name (A-Z), date or size (largest "
                                                  "first)")] = "name") -> JSONResponse:
    archive = reader(request)
    ds = archive.dataset(name)
    listing = archive.folder(ds, browse.normalise_folder(path), offset, limit, sort)
    return JSONResponse({
        "path": listing.path,
        "folders": [{"name": f.name, "path": f.path, "files": f.files, "bytes": f.size,
                     "modified": f.modified} for f in listing.folders],
        "files": [{"name": f.name, "path": f.row.path, "size": f.row.size,
                   "modified": f.row.mtime,
                   "status": f.row.status, "type": f.family, "title": f.title,
                   "url": documents.file_url(ds, f.row)} for f in listing.files],
        "total_files": listing.total_files,
    })
