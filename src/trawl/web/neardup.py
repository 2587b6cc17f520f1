"""Near-copies on the web: a dataset's largest clusters, one cluster, what one source got
from another, and their JSON API and CSV export; the "Also in N sources" and "More like
this" blocks of a document page are made here too (`for_page`).

Everything is read through search/neardup.py's `NearDupReader` over the caller's scoped
archive: a dataset or document outside the scope is not found, a copy in a dataset the
caller cannot read is neither listed nor counted, and a dataset read redacted shows masked
paths and titles.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from trawl.search.neardup import (
    CLUSTER_COLUMNS,
    COPY_COLUMNS,
    MAX_LIMIT,
    MAX_OFFSET,
    NearDupReader,
    Similar,
    to_csv,
)
from trawl.search.service import Archive, DocumentView
from trawl.web.auth import audit, reader
from trawl.web.documents import find_document
from trawl.web.params import SearchParams, SqlId
from trawl.web.render import render_page
from trawl.web.timeline import search_timeline

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["near-duplicates"])
LIST_PAGE = 50
MAX_PAGE = MAX_OFFSET // LIST_PAGE + 1

MinSources = Annotated[int, Query(ge=0, le=10_000, description="only clusters in at least "
                                                              "this many sources")]
Format = Annotated[str, Query(pattern="^(json|csv)$", description="json (default) or csv")]
Source = Annotated[str, Query(min_length=1, max_length=400,
                              description="a source: a top folder of the dataset")]


def clusters_url(dataset: str) -> str:
    return f"/datasets/{quote(dataset, safe='')}/clusters"


def cluster_url(dataset: str, cluster_id: int) -> str:
    return f"{clusters_url(dataset)}/{cluster_id}"


def for_page(archive: Archive, view: DocumentView) -> tuple[Similar | None,
                                                             list[dict[str, Any]]]:
    """A document page's near-copies (None when it has none) and its "more like this"."""
    found = NearDupReader(archive).of_view(view)
    return (found if found.near_duplicates or found.inside else None), found.similar


def _csv(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


# -- a dataset's clusters ------------------------------------------------------------------------
@router.get("/datasets/{name}/clusters", response_class=HTMLResponse)
def clusters_page(request: Request, name: str, min_sources: MinSources = 2,
                  page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> HTMLResponse:
    archive = reader(request)
    ds = archive.dataset(name)
    found = NearDupReader(archive).clusters(ds.name, min_sources, LIST_PAGE + 1,
                                            (page - 1) * LIST_PAGE)
    _audit_listing(request, ds.name, min_sources)

    def url(**changed: Any) -> str:
        now = {"min_sources": min_sources, "page": page} | changed
        pairs = [(k, str(v)) for k, v in now.items() if not (k == "page" and v == 1)]
        return clusters_url(ds.name) + f"?{urlencode(pairs)}"

    query = urlencode({"min_sources": min_sources})
    return render_page(request, "clusters.html", {
        "dataset": ds, "clusters": found[:LIST_PAGE], "min_sources": min_sources,
        "page": page, "cluster_url": cluster_url,
        "prev_url": url(page=page - 1) if page > 1 else None,
        "next_url": url(page=page + 1) if len(found) > LIST_PAGE else None,
        "api_url": f"/api{clusters_url(ds.name)}?{query}",
        "csv_url": f"/api{clusters_url(ds.name)}?{query}&format=csv"})


@api.get("/datasets/{name}/clusters", summary="A dataset's largest clusters of near-copies "
         "(the documents shared most widely: in most sources first), as JSON or CSV")
def api_clusters(request: Request, name: str, min_sources: MinSources = 0,
                 offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                 limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = LIST_PAGE,
                 format: Format = "json") -> Response:
    archive = reader(request)
    ds = archive.dataset(name)
    found = NearDupReader(archive).clusters(ds.name, min_sources, limit, offset)
    _audit_listing(request, ds.name, min_sources)
    rows = [c.as_json() for c in found]
    if format == "csv":
        return _csv(to_csv(rows, CLUSTER_COLUMNS), f"{ds.name}-clusters")
    return JSONResponse({"dataset": ds.name, "offset": offset, "limit": limit,
                         "clusters": rows})


def _audit_listing(request: Request, dataset: str, min_sources: int) -> None:
    audit(request, "search", dataset=dataset,
          detail={"record": "clusters", "min_sources": min_sources})


# -- one cluster ---------------------------------------------------------------------------------
@router.get("/datasets/{name}/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, name: str, cluster_id: SqlId) -> HTMLResponse:
    archive = reader(request)
    summary, copies = NearDupReader(archive).cluster(name, cluster_id)
    audit(request, "view", dataset=summary.dataset, target=f"cluster:{cluster_id}")
    base = f"/api{cluster_url(summary.dataset, cluster_id)}"
    return render_page(request, "cluster.html", {
        "cluster": summary, "copies": copies, "api_url": base, "csv_url": f"{base}?format=csv",
        "clusters_url": clusters_url(summary.dataset),
        # Its copies by date: the search `cluster=ID` (web/timeline.py), readable ones only.
        "timeline": search_timeline(archive, SearchParams(q="*", filters={
            "dataset": [summary.dataset], "cluster": [str(cluster_id)]}))})


@api.get("/datasets/{name}/clusters/{cluster_id}", summary="One cluster of near-copies: "
         "every copy (document, path, source, date, similarity to the first), by date, as "
         "JSON or CSV")
def api_cluster(request: Request, name: str, cluster_id: SqlId,
                format: Format = "json") -> Response:
    archive = reader(request)
    summary, copies = NearDupReader(archive).cluster(name, cluster_id)
    audit(request, "view", dataset=summary.dataset, target=f"cluster:{cluster_id}")
    rows = [c.as_json() for c in copies]
    if format == "csv":
        return _csv(to_csv(rows, COPY_COLUMNS), f"{summary.dataset}-cluster-{cluster_id}")
    return JSONResponse({"cluster": summary.as_json(), "copies": rows})


# -- what a source got from another --------------------------------------------------------------
@router.get("/datasets/{name}/source-pair", response_class=HTMLResponse)
def source_pair_page(request: Request, name: str, a: Source, b: Source) -> HTMLResponse:
    archive = reader(request)
    pair = NearDupReader(archive).source_pair(name, a, b)
    audit(request, "search", dataset=pair.dataset, detail={"record": "source-pair"})
    query = urlencode({"a": a, "b": b})
    return render_page(request, "source_pair.html", {
        "pair": pair, "cluster_url": cluster_url,
        "api_url": f"/api/datasets/{quote(pair.dataset, safe='')}/source-pair?{query}"})


@api.get("/datasets/{name}/source-pair", summary="What source a got from source b: the "
         "clusters of near-copies in both that b had first (or the same day), by b's date")
def api_source_pair(request: Request, name: str, a: Source, b: Source,
                    format: Format = "json") -> Response:
    archive = reader(request)
    pair = NearDupReader(archive).source_pair(name, a, b)
    audit(request, "search", dataset=pair.dataset, detail={"record": "source-pair"})
    if format == "csv":
        return _csv(to_csv(pair.shared, ("cluster", "b_date", "a_date", "size", "sources",
                                         "title", "path")), f"{pair.dataset}-source-pair")
    return JSONResponse(pair.as_json())


# -- one document --------------------------------------------------------------------------------
@api.get("/documents/{doc_id}/similar", summary="A document's near-copies: its cluster "
         "(id, size, sources) and each copy the caller may read (id, dataset, path, source, "
         "date, similarity), by date; pages it shares with bigger documents")
def api_similar(request: Request, doc_id: str) -> JSONResponse:
    archive = reader(request)
    view = find_document(archive, doc_id)
    found = NearDupReader(archive).of_view(view)
    audit(request, "view", dataset=view.dataset.name, target=f"similar:{view.id}")
    return JSONResponse(found.as_json())
