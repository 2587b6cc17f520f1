"""Saved searches on the website and in the API: one account's, private to it.

* `GET /saved`: the caller's saved searches, each with how many results are new since it
  was last viewed (search/saved.py: the documents added since, in the caller's scope now);
  `POST /saved` (the search page's "Save this search" form) keeps the current search;
  `POST /saved/{id}/run` shows the new results (then marks it viewed), with a link to the
  whole search; `POST /saved/{id}/delete`.
* `GET /api/saved`, `POST /api/saved` (JSON: name, params), `POST /api/saved/{id}/run` (the
  new results, then marked viewed), `DELETE /api/saved/{id}`.

Only an account has saved searches: an anonymous caller is asked to sign in (a page) or
answered 401 (the API). Another account's search is not found, with the answer a search that
does not exist gets. Forms carry the session's CSRF token (web/auth.py checks it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from trawl.index.base import IndexResult
from trawl.search.saved import SavedCount, SavedSearches
from trawl.storage.saved_searches import SavedSearch
from trawl.web.api import hit_json, hit_url
from trawl.web.auth import LoginRequired, audit, caller, reader
from trawl.web.highlight import snippet_html
from trawl.web.params import SqlId, saved_params, saved_query
from trawl.web.render import render_page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])


def searches(request: Request) -> SavedSearches:
    """The caller's saved searches, read through the caller's scope; sign in first."""
    who = caller(request)
    archive = reader(request)
    if who.principal.anonymous:
        raise LoginRequired()
    user = request.app.state.access.user(who.principal.name)
    if user is None:  # the account went while its session or token was in use
        raise LoginRequired()
    return SavedSearches(request.app.state.access, archive, user.id, saved_query)


def search_url(params: str) -> str:
    return f"/?{params}"


def _count_json(c: SavedCount) -> dict[str, object]:
    return {"id": c.saved.id, "name": c.saved.name, "params": c.saved.params,
            "url": search_url(c.saved.params), "new": c.new, "at_least": c.capped,
            "created_at": c.saved.created_at, "viewed_at": c.saved.viewed_at}


# -- pages -------------------------------------------------------------------------------------
@router.get("/saved", response_class=HTMLResponse)
def saved_page(request: Request) -> HTMLResponse:
    counts = searches(request).listing()
    return render_page(request, "saved.html", {
        "saved": [{**_count_json(c), "description": parse_qsl(c.saved.params),
                   "viewed": datetime.fromtimestamp(c.saved.viewed_at, UTC).isoformat()
                   if c.saved.viewed_at else None} for c in counts]})


@router.post("/saved")
def save(request: Request, name: Annotated[str, Form(max_length=200)],
         params: Annotated[str, Form(max_length=8000)]) -> RedirectResponse:
    searches(request).add(name, saved_params(params))
    return RedirectResponse("/saved", status_code=303)


@router.post("/saved/{saved_id}/run", response_class=HTMLResponse)
def run_page(request: Request, saved_id: SqlId) -> HTMLResponse:
    """The results new since the last run (then none are new), and the whole search."""
    saved, result = _run(request, saved_id)
    q = saved_query(saved.params).text
    return render_page(request, "saved_run.html", {
        "saved": saved, "total": result.total, "search_url": search_url(saved.params),
        "hits": [{"title": h.title or h.path.rsplit("/", 1)[-1] or h.id, "hit": h,
                  "url": hit_url(h, q), "snippet": snippet_html(h.snippet)}
                 for h in result.hits]})


def _run(request: Request, saved_id: int) -> tuple[SavedSearch, IndexResult]:
    """The caller's saved search, its new results, and it marked viewed; audited as a
    search."""
    mine = searches(request)
    saved = mine.get(saved_id)
    result = mine.run(saved)
    audit(request, "search", target=saved.params[:500],
          detail={"saved": saved.name, "new": result.total})
    return saved, result


@router.post("/saved/{saved_id}/delete")
def delete_page(request: Request, saved_id: SqlId) -> RedirectResponse:
    searches(request).delete(saved_id)
    return RedirectResponse("/saved", status_code=303)


# -- API ---------------------------------------------------------------------------------------
class NewSavedSearch(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="its name, unique per account")
    params: str = Field(min_length=1, max_length=8000,
                        description="the search's parameters as in /api/search, URL-encoded "
                                    "(q=...&type=pdf)")


@api.get("/saved", summary="The caller's saved searches, with their new results' counts")
def api_saved(request: Request) -> JSONResponse:
    return JSONResponse({"saved": [_count_json(c) for c in searches(request).listing()]})


@api.post("/saved", summary="Save a search", status_code=201)
def api_save(request: Request, body: NewSavedSearch) -> JSONResponse:
    mine = searches(request)
    saved = mine.add(body.name, saved_params(body.params))
    return JSONResponse(_count_json(mine.count(saved)), status_code=201)


@api.post("/saved/{saved_id}/run",
          summary="The results new since a saved search was last viewed; marks it viewed")
def api_run(request: Request, saved_id: SqlId) -> JSONResponse:
    saved, result = _run(request, saved_id)
    return JSONResponse({"id": saved.id, "name": saved.name, "new": result.total,
                         "hits": [hit_json(h, saved_query(saved.params).text, False)
                                  for h in result.hits]})


@api.delete("/saved/{saved_id}", summary="Delete a saved search", status_code=204,
            response_class=Response)
def api_delete(request: Request, saved_id: SqlId) -> Response:
    searches(request).delete(saved_id)
    return Response(status_code=204)

