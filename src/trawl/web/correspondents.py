"""Correspondents on the web: who wrote to whom in a dataset (`/datasets/NAME/correspondents`,
a table sorted on the server by the column its header links name, with the grouping, date
range and source filters) and its JSON API (`/api/datasets/NAME/correspondents`), which the
graph script (static/correspondents.js) draws.

Everything is read through search/correspondents.py over the caller's scoped archive, which
applies access/threads.py's decision (a redacted reader gets masked domains only): nothing
here decides what a caller may see.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from trawl.search.correspondents import (
    MAX_LIMIT,
    CorrespondentQuery,
    CorrespondentReader,
    Correspondents,
)
from trawl.storage.catalog import Dataset
from trawl.web.auth import audit, reader
from trawl.web.render import render_page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["threads"])
PAGE_EDGES = 200
GRAPH_EDGES = 150  # more than this is a hairball in the browser, and slow to lay out
DATE = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"

By = Annotated[str, Query(pattern="^(address|domain)$", description="address (default) or "
                          "domain; a reader of the redacted view always gets domains")]
Start = Annotated[str, Query(alias="from", pattern=DATE, description="only messages of this "
                             "date or later (YYYY, YYYY-MM or YYYY-MM-DD)")]
End = Annotated[str, Query(alias="to", pattern=DATE, description="only messages of this "
                           "date or earlier (YYYY, YYYY-MM or YYYY-MM-DD)")]
Source = Annotated[str, Query(max_length=400, description="only messages under this source "
                              "(a top folder of the dataset)")]
Sort = Annotated[str, Query(pattern="^(messages|first|last|from|to)$",
                            description="messages (default, most first), first, last "
                            "(latest first), from, to")]


def _query(by: str, start: str, end: str, source: str, sort: str,
           limit: int) -> CorrespondentQuery:
    return CorrespondentQuery(by or "address", start or None, end or None,
                              source.strip() or None, sort or "messages", limit)


def page_url(dataset: str, **params: str) -> str:
    defaults = {("by", "address"), ("sort", "messages")}
    pairs = [(k, v) for k, v in params.items() if v and (k, v) not in defaults]
    return f"/datasets/{quote(dataset, safe='')}/correspondents" + (
        f"?{urlencode(pairs)}" if pairs else "")


def _read(request: Request, name: str,
          query: CorrespondentQuery) -> tuple[Dataset, Correspondents]:
    correspondents = CorrespondentReader(reader(request))
    ds = correspondents.archive.dataset(name)
    found = correspondents.edges(ds, query)
    audit(request, "search", dataset=ds.name, target=query.source,
          detail={"record": "correspondents", "by": found.by})
    return ds, found


@router.get("/datasets/{name}/correspondents", response_class=HTMLResponse)
def correspondents_page(request: Request, name: str, by: By = "address", start: Start = "",
                        end: End = "", source: Source = "",
                        sort: Sort = "messages") -> HTMLResponse:
    query = _query(by, start, end, source, sort, PAGE_EDGES)
    ds, found = _read(request, name, query)
    filters = {"by": found.by, "from": start, "to": end, "source": query.source or ""}
    return render_page(request, "threads/correspondents.html", {
        "dataset": ds, "found": found, "filters": filters,
        "sort": query.sort, "limit": PAGE_EDGES,
        "sort_url": lambda key: page_url(found.dataset, **filters, sort=key),
        "threads_url": f"/datasets/{quote(found.dataset, safe='')}/threads",
        "api_url": f"/api{page_url(found.dataset, **filters, sort=query.sort)}",
        "graph_url": f"/api{page_url(found.dataset, **filters, limit=str(GRAPH_EDGES))}",
        "graph_edges": GRAPH_EDGES,
    })


@api.get("/datasets/{name}/correspondents", summary="Who wrote to whom in a dataset: edges "
         "(from, to, messages, first and last dates) by address or by domain, in a date "
         "range and a source, the most messages first")
def api_correspondents(request: Request, name: str, by: By = "address", start: Start = "",
                       end: End = "", source: Source = "", sort: Sort = "messages",
                       limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100) -> JSONResponse:
    _ds, found = _read(request, name, _query(by, start, end, source, sort, limit))
    return JSONResponse(found.as_json())
