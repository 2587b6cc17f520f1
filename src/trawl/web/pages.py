"""HTML pages: search, document, file without content, datasets, folders, failures.

Every page works without JavaScript; links and GET forms do everything.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from trawl.errors import UNKNOWN, NotFound
from trawl.index.base import UNKNOWN_YEAR, EntityFacet, IndexHit, QueryError
from trawl.index.query_syntax import query_problems
from trawl.paths import folder_of
from trawl.search.neardup import NearDupReader
from trawl.search.service import Archive, DocumentView
from trawl.search.threads import ThreadReader
from trawl.storage import browse
from trawl.storage.entities import Entity
from trawl.web import documents, exports, failure_codes, neardup
from trawl.web.api import audit_search, hit_url, run_search
from trawl.web.auth import audit, reader
from trawl.web.entities import document_marks, marked_text
from trawl.web.files import inline_image_type, is_pdf
from trawl.web.highlight import query_patterns, snippet_html
from trawl.web.i18n import _
from trawl.web.overview import overview_charts
from trawl.web.params import (
    MAX_OFFSET,
    ROW_FACETS,
    SHOWN_FACETS,
    SearchParams,
    parse_search_params,
)
from trawl.web.reader import reading, result_url
from trawl.web.render import render_page, use_language
from trawl.web.threads import thread_url
from trawl.web.timeline import timeline_view, with_histogram

router = APIRouter(include_in_schema=False)
MAX_TEXT_CHARS = 400_000
MAX_CHILDREN = 500
FOLDER_PAGE = 200



# -- search ------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    use_language(request)  # its messages are made here, before rendering
    archive = reader(request)
    try:
        params = parse_search_params(request.query_params)
    except QueryError as exc:
        q = (request.query_params.get("q") or "")[:200]
        return render_page(request, "search.html", _empty_search(SearchParams(q=q), str(exc)),
                       status_code=400)
    if params.empty:
        if "q" in request.query_params:
            context = _empty_search(params, _("Type some words to search for, or * to list "
                                              "every document."))
        else:
            context = _empty_search(params, None)
        context["datasets"] = _dataset_summaries(archive)
        return render_page(request, "search.html", context)
    params = with_histogram(params)  # the timeline (web/timeline.py)
    try:
        result = run_search(archive, params, collapse=True)  # the page collapses by default
    except QueryError as exc:
        return render_page(request, "search.html", _empty_search(params, str(exc)),
                       status_code=400)
    audit_search(request, params, result.total)
    pages = max(1, math.ceil(min(result.total, MAX_OFFSET + params.limit) / params.limit))
    context = {
        "params": params,
        "error": None,
        "result": result,
        "problems": query_problems(result.warnings),
        "hits": _with_clusters(archive, params, [_hit_view(h, params, params.offset + i)
                                                 for i, h in enumerate(result.hits)]),
        "collapsed": result.documents is not None and result.documents != result.total,
        "expand_url": params.with_collapse(False),
        "collapse_url": params.with_collapse(True) if params.collapse is False else None,
        "facets": _facet_views(params, result.facets),
        "entity_facets": _entity_facet_views(params, result.entity_facets),
        "active": _active_filters(params, archive.entities_named(
            params.filters.get("entity", []), params.filters.get("dataset") or None)),
        "page": params.page,
        "pages": pages,
        "page_links": _page_window(params, pages),
        "datasets": [],
        "timeline": timeline_view(params, result.histogram),
        "export_links": exports.export_links(archive, params),
        "save_params": params.kept(),
    }
    return render_page(request, "search.html", context)


def _empty_search(params: SearchParams, error: str | None) -> dict[str, Any]:
    return {"params": params, "error": error, "result": None, "problems": [], "hits": [],
            "facets": [], "entity_facets": [],
            "active": _active_filters(params), "page": 1, "pages": 1, "page_links": [],
            "datasets": [], "collapsed": False, "expand_url": None, "collapse_url": None,
            "timeline": None}


def _hit_view(hit: IndexHit, params: SearchParams, position: int) -> dict[str, Any]:
    name = hit.path.rsplit("/", 1)[-1]
    q = params.q
    return {
        "hit": hit,
        "title": hit.title or name or hit.id,
        "name": name,
        "folder": folder_of(hit.path),
        "url": hit_url(hit, q),
        # The title opens the document at its top (the preview on the hit's page): jumping to
        # the page's text scrolled the title away. "page N" links still jump there.
        # It knows its search and place in it (web/reader.py: previous and next result).
        "title_url": result_url(hit, params, position).split("#", 1)[0]
        if hit.record != "row" else hit_url(hit, q),
        "snippet": snippet_html(hit.snippet),
        "also": [(p, hit_url(hit, q, p)) for p in hit.pages[1:]],
    }


def _with_clusters(archive: Archive, params: SearchParams,
                   hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each document hit with its cluster of near-copies, when it has one (its size), and
    the link that expands it (its matching documents, when the search collapsed it)."""
    clusters = NearDupReader(archive).hit_clusters(
        h["hit"].id for h in hits if h["hit"].record != "row")
    for h in hits:
        cluster = clusters.get(h["hit"].id)
        h["cluster"] = cluster
        h["cluster_url"] = neardup.cluster_url(h["hit"].dataset, cluster.id) if cluster else None
        h["more"] = h["hit"].cluster_matches - 1 if h["hit"].cluster_matches > 1 else 0
        h["expand_url"] = params.with_cluster(cluster.id) if cluster and h["more"] else None
    return hits


def _facet_views(params: SearchParams,
                 facets: dict[str, list[tuple[str, int]]]) -> list[dict[str, Any]]:
    out = []
    for name in ROW_FACETS if params.rows else SHOWN_FACETS:
        values = list(facets.get(name, []))
        if name == "year":  # newest first, the documents without a date last
            values.sort(key=lambda item: (item[0] != UNKNOWN_YEAR, item[0]), reverse=True)
        items = [{"value": v, "count": n, "active": params.is_active(name, v),
                  "url": params.with_filter(name, v)} for v, n in values]
        shown = {v for v, _n in values}
        items += [{"value": v, "count": None, "active": True,
                   "url": params.without_filter(name, v)}
                  for v in params.filters.get(name, []) if v not in shown]
        if items:
            out.append({"name": name, "items": items})
    return out


def _entity_facet_views(params: SearchParams,
                        facets: dict[str, list[EntityFacet]]) -> list[dict[str, Any]]:
    """One block per kind of entity (top values of the results, each a filter link and a
    link to its page)."""
    out = []
    for kind, values in facets.items():
        items = [{"id": e.id, "value": e.value, "count": e.count,
                  "active": params.is_active("entity", str(e.id)),
                  "url": params.with_filter("entity", str(e.id)),
                  "page": f"/entities/{e.id}"} for e in values]
        if items:
            out.append({"kind": kind, "items": items})
    return out


def _active_filters(params: SearchParams, entities: dict[str, Entity] | None = None
                    ) -> list[dict[str, str]]:
    """The filters in use, each with the link that removes it; an entity shows its value
    (when the caller may see it: else the id they gave) and links to its page."""
    entities = entities or {}
    active = []
    for name, values in params.filters.items():
        for v in values:
            found = entities.get(v) if name == "entity" else None
            active.append({"name": name, "value": found.value if found else v,
                           "url": params.without_filter(name, v),
                           "page": f"/entities/{v}" if found else "",
                           "kind": found.kind if found else ""})
    if params.date_from or params.date_to:
        span = f"{params.date_from or '…'} – {params.date_to or '…'}"
        active.append({"name": "date", "value": span, "url": params.without_dates(),
                       "page": "", "kind": ""})
    return active


def _page_window(params: SearchParams, pages: int) -> list[tuple[int | None, str]]:
    current = params.page
    wanted = {1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)}
    out: list[tuple[int | None, str]] = []
    previous = 0
    for number in sorted(wanted):
        if number - previous > 1:
            out.append((None, ""))
        out.append((number, params.at_page(number)))
        previous = number
    return out


def _dataset_summaries(archive: Archive) -> list[dict[str, Any]]:
    out = []
    for ds in archive.datasets():
        totals = archive.catalog.totals(ds.id)
        out.append({"name": ds.name, "url": documents.dataset_url(ds.name),
                    "visibility": ds.visibility, "access": archive.access(ds.name).value,
                    "files": totals["files"], "bytes": totals["bytes"],
                    **archive.catalog.counts_by_status(ds.id)})
    return out


# -- documents ---------------------------------------------------------------------------------
@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: str,
                  q: Annotated[str, Query(max_length=2000)] = "",
                  page: int | None = None) -> HTMLResponse:
    archive = reader(request)
    view = documents.find_document(archive, doc_id)
    audit(request, "view", dataset=view.dataset.name, target=view.id,
          detail={"path": view.path})
    context = _document_context(archive, view, q, page)
    context["reading"] = reading(request, view.id)  # opened from a search: its neighbours
    return render_page(request, "document.html", context)


def _document_context(archive: Archive, view: DocumentView, q: str,
                      page: int | None) -> dict[str, Any]:
    c = view.content
    ds = view.dataset
    patterns = query_patterns(q)
    try:
        pages = archive.pages(view)
        text = archive.text(view) if pages is None else ""
    except (OSError, ValueError):  # the text blob is missing or damaged: show the rest
        pages, text = None, ""
    page_count = c.page_count or 0
    current = min(max(page or 1, 1), page_count) if page_count else None
    shown_pages: list[tuple[int, Any]] = []
    text_html = None
    truncated = False
    marks = document_marks(archive, view)  # entity mentions, linked (none when redacted)
    if pages is not None:
        used = 0
        for number, page_text in enumerate(pages, start=1):
            if used > MAX_TEXT_CHARS and number != current:  # the page asked for is kept
                truncated = True
                continue
            shown_pages.append((number, marked_text(page_text, marks.get(number, []),
                                                    patterns)))
            used += len(page_text)
    else:
        truncated = len(text) > MAX_TEXT_CHARS
        text_html = marked_text(text[:MAX_TEXT_CHARS], marks.get(None, []), patterns)
    parent = archive.parent(view)
    children = archive.children(view)
    first = view.files[0] if view.files else None
    before, after = archive.neighbours(ds, first) if first else ([], [])
    metadata = view.metadata
    headers = documents.email_headers(metadata)
    preview = None
    if view.redacted:
        preview = None  # nothing of the original is shown to a redacted reader: text only
    elif is_pdf(view):
        preview = "pdf"
    elif inline_image_type(view):
        preview = "image"
    elif documents.html_body(metadata) or documents.is_html_document(view):
        preview = "frame"
    name = view.path.rsplit("/", 1)[-1]
    ocr_pages = _ocr_pages(c.metadata)
    thread = ThreadReader(archive).thread_of(view)
    near, more_like = neardup.for_page(archive, view)
    return {
        "near": near,
        "more_like": more_like,
        "near_cluster_url": neardup.cluster_url(ds.name, near.cluster.id)
        if near and near.cluster.id is not None else None,
        "near_api_url": f"/api/documents/{quote(view.id, safe='')}/similar",
        "view": view,
        "doc": c,
        "thread_url": thread_url(thread) if thread else None,
        # Pages whose text was read by OCR -> mean word confidence (an image's text is 1).
        "ocr_pages": ocr_pages,
        "ocr_text_confidence": ocr_pages.get(1) if not page_count and ocr_pages else None,
        "ocr_pending": c.metadata.get("ocr") == "pending",
        "dataset": ds,
        "title": view.title or (headers and dict(headers).get("subject")) or name or view.id,
        "name": name,
        "q": q,
        "crumbs": documents.breadcrumbs(ds.name, view.path),
        "paths": [{"path": path, "kind": f.kind, "status": f.status,
                   "folder_url": documents.folder_url(ds.name, folder_of(path))
                   if f.parent_id is None else None}
                  for f, path in zip(view.files, view.paths, strict=True)],
        "headers": [{"key": key, "value": value,
                     "pieces": documents.address_links(key, value)} for key, value in headers],
        "is_email": bool(headers) or c.family == "email",
        "metadata": documents.metadata_rows(
            metadata, {k for k, _v in headers} | {"title", "page_count"}),
        "warnings": metadata.get("warnings") or [],
        "parent": _file_link(ds, parent) if parent else None,
        "children": [_file_link(ds, row) for row in children[:MAX_CHILDREN]],
        "more_children": max(0, len(children) - MAX_CHILDREN),
        "before": [_file_link(ds, e.row, e.title) for e in before],
        "after": [_file_link(ds, e.row, e.title) for e in after],
        "pages": shown_pages,
        "text_html": text_html,
        "truncated": truncated,
        "page_count": page_count,
        "current_page": current,
        "preview": preview,
        "has_original": documents.original_path(archive, view) is not None,
        "redacted": view.redacted,
    }


def _ocr_pages(metadata: dict[str, Any]) -> dict[int, float | None]:
    found = metadata.get("ocr_pages")
    if not isinstance(found, dict):
        return {}
    return {int(k): v if isinstance(v, int | float) else None
            for k, v in found.items() if str(k).isdigit()}


def _file_link(ds: Any, row: Any, title: str | None = None) -> dict[str, Any]:
    return {"name": row.path.rsplit("/", 1)[-1], "path": row.path, "kind": row.kind,
            "status": row.status, "error": row.error, "size": row.size, "title": title,
            "url": documents.file_url(ds, row)}


@router.get("/datasets/{name}/files/{path:path}", response_class=HTMLResponse)
def file_page(request: Request, name: str, path: str) -> Response:
    """A path of a dataset: its document, or (no content) what happened to it."""
    archive = reader(request)
    view = archive.find(path, dataset=name) if path else None
    if view is None or not any(f.path == path.strip("/") for f in view.files):
        raise NotFound(f"no file {path[:200]!r} in dataset {name!r}")
    if view.id:
        return RedirectResponse(f"/documents/{view.id}", status_code=303)
    row = dataclasses.replace(view.files[0], path=view.path, error=view.error)
    before, after = archive.neighbours(view.dataset, view.files[0])
    parent = archive.parent(view)
    return render_page(request, "file.html", {
        "dataset": view.dataset,
        "row": row,
        "name": row.path.rsplit("/", 1)[-1],
        "crumbs": documents.breadcrumbs(view.dataset.name, row.path),
        "parent": _file_link(view.dataset, parent) if parent else None,
        "before": [_file_link(view.dataset, e.row, e.title) for e in before],
        "after": [_file_link(view.dataset, e.row, e.title) for e in after],
    })


# -- datasets and folders ----------------------------------------------------------------------
@router.get("/datasets", response_class=HTMLResponse)
def datasets_page(request: Request) -> HTMLResponse:
    return render_page(request, "datasets.html", {"datasets": _dataset_summaries(reader(request))})


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str) -> HTMLResponse:
    archive = reader(request)
    ds = archive.dataset(name)
    overview = archive.overview(ds)
    root = archive.folder(ds, "", 0, 20)
    use_language(request)  # the codes' meanings are translated here, before rendering
    failures = failure_codes.code_views(ds.name, "failed", overview.failures)
    skipped = failure_codes.code_views(ds.name, "skipped", overview.skipped)
    return render_page(request, "dataset.html", {
        "dataset": ds, "o": overview, "root": root, "failures": failures, "skipped": skipped,
        "charts": overview_charts(archive, ds, root, failures, skipped)})


@router.get("/datasets/{name}/browse", response_class=HTMLResponse)
@router.get("/datasets/{name}/browse/{folder:path}", response_class=HTMLResponse)
def folder_page(request: Request, name: str, folder: str = "",
                page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                sort: Annotated[str, Query(pattern="^(name|date|size)$")] = "name"
                ) -> HTMLResponse:
    archive = reader(request)
    ds = archive.dataset(name)
    listing = archive.folder(ds, browse.normalise_folder(folder), (page - 1) * FOLDER_PAGE,
                             FOLDER_PAGE, sort)
    pages = max(1, math.ceil(listing.total_files / FOLDER_PAGE))
    crumbs = documents.breadcrumbs(ds.name, f"{listing.path}/" if listing.path else "")
    return render_page(request, "folder.html", {
        "dataset": ds, "listing": listing, "crumbs": crumbs,
        "files": [_file_link(ds, e.row, e.title) | {"family": e.family,
                                                    "modified": _when(e.row.mtime)}
                  for e in listing.files],
        "folder_url": lambda f: documents.folder_url(ds.name, f),
        "page": page, "pages": pages, "sort": sort, "when": _when,
    })


def _when(mtime: float | None) -> datetime | None:
    """A file's modification time (epoch seconds) as the date the listing shows."""
    if mtime is None:
        return None
    try:
        return datetime.fromtimestamp(mtime, UTC)
    except (OverflowError, OSError, ValueError):  # a bogus time from a hostile archive
        return None


@router.get("/datasets/{name}/problems", response_class=HTMLResponse)
def problems_page(request: Request, name: str,
                  status: Annotated[str, Query(pattern="^(failed|skipped)$")] = "failed",
                  code: Annotated[str | None, Query(pattern="^[a-z]{1,30}$")] = None,
                  reason: Annotated[str | None, Query(max_length=4000)] = None
                  ) -> HTMLResponse:
    """The files that failed (or were skipped) with one code, one message, or both."""
    archive = reader(request)
    ds = archive.dataset(name)
    rows = archive.problems(ds, status, reason, limit=500, code=code)
    use_language(request)
    return render_page(request, "problems.html", {
        "dataset": ds, "status": status, "reason": reason, "code": code,
        "meaning": failure_codes.meaning(code) if code else None,
        "files": [_file_link(ds, row) | {"code": row.error_code or UNKNOWN} for row in rows],
    })
