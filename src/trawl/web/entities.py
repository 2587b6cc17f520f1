"""Entities on the web: a dataset's entities (by kind, sorted, searched, paged), one entity
(its spellings, the documents and rows that mention it by source, the timeline of the
documents that mention it: web/timeline.py over the search `entity=ID`, the entities that
appear with it), their JSON API, and the marks of entity mentions in a document's text.

Everything is read through search/entities.py's `EntityReader` over the caller's scoped
archive, which applies access/entities.py: nothing here decides what a caller may see.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import Markup, escape

from trawl.errors import NotFound
from trawl.index.base import QueryError
from trawl.search.entities import (
    ALL_KINDS,
    MAX_LIMIT,
    MAX_OFFSET,
    SORTS,
    EntityReader,
    entity_json,
)
from trawl.search.service import Archive, DocumentView
from trawl.storage.entities import MAX_PLACED_RECORDS, MentionRecord
from trawl.web.auth import audit, reader
from trawl.web.highlight import highlight_text
from trawl.web.params import SearchParams, SqlId
from trawl.web.render import render_page
from trawl.web.timeline import search_timeline

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["entities"])
LIST_PAGE = 50
RECORD_PAGE = 50
COOCCURRING = 20
MAX_PAGE = MAX_OFFSET // LIST_PAGE + 1

Kind = Annotated[str | None, Query(description="one kind: " + ", ".join(ALL_KINDS))]
Sort = Annotated[str, Query(description="sources (most sources first), documents (most "
                                        "documents and rows first) or name")]
Search = Annotated[str, Query(max_length=200, description="a piece of the value or of a "
                                                          "spelling, in any case")]


def _checked(kind: str | None, sort: str) -> tuple[str | None, str]:
    kind = kind or None
    if kind is not None and kind not in ALL_KINDS:
        raise QueryError(f"unknown kind {kind[:40]!r}; kinds are: " + ", ".join(ALL_KINDS))
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort[:40]!r}; use " + ", ".join(SORTS))
    return kind, sort


def entity_url(entity_id: int) -> str:
    return f"/entities/{entity_id}"


def list_url(dataset: str, **params: Any) -> str:
    pairs = [(k, str(v)) for k, v in params.items()
             if v not in (None, "") and not (k == "page" and v == 1)]
    base = f"/datasets/{quote(dataset, safe='')}/entities"
    return base + (f"?{urlencode(pairs)}" if pairs else "")


# -- a dataset's entities ------------------------------------------------------------------------
@router.get("/datasets/{name}/entities", response_class=HTMLResponse)
def entities_page(request: Request, name: str, kind: Kind = None, sort: Sort = "sources",
                  q: Search = "", page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1
                  ) -> HTMLResponse:
    archive = reader(request)
    ds = archive.dataset(name)
    kind, sort = _checked(kind, sort)
    entities = EntityReader(archive)
    found = entities.listing(ds, kind, sort, q.strip(), (page - 1) * LIST_PAGE, LIST_PAGE)
    _audit_listing(request, ds.name, kind, sort, q)
    pages = math.ceil(found.total / LIST_PAGE) if found.total is not None else None

    def url(**changed: Any) -> str:
        now = {"kind": kind, "sort": sort if sort != "sources" else None, "q": q.strip(),
               "page": None}
        return list_url(ds.name, **(now | changed))

    return render_page(request, "entities/list.html", {
        "dataset": ds, "found": found, "kind": kind, "sort": sort, "q": q.strip(),
        "kinds": entities.kinds(ds), "page": page, "pages": pages, "url": url,
        "sorts": SORTS,
        "prev_url": url(page=page - 1) if page > 1 else None,
        "next_url": url(page=page + 1) if found.more and page < MAX_PAGE else None,
        "api_url": f"/api/datasets/{quote(ds.name, safe='')}/entities"
                   + _query(kind=kind, sort=sort, q=q.strip()),
    })


@api.get("/datasets/{name}/entities", summary="A dataset's entities: e-mail addresses, phone "
         "numbers, URLs, domains, IP addresses, social accounts (and people, organisations, "
         "places where a model read them), by kind, sorted and searched")
def api_entities(request: Request, name: str, kind: Kind = None, sort: Sort = "sources",
                 q: Search = "",
                 offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                 limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = LIST_PAGE) -> JSONResponse:
    archive = reader(request)
    ds = archive.dataset(name)
    kind, sort = _checked(kind, sort)
    found = EntityReader(archive).listing(ds, kind, sort, q.strip(), offset, limit)
    _audit_listing(request, ds.name, kind, sort, q)
    access = archive.access(ds.name)
    return JSONResponse({
        "dataset": ds.name, "offset": offset, "limit": limit, "total": found.total,
        "more": found.more, "entities": [entity_json(e, access) for e in found.entities]})


def _audit_listing(request: Request, dataset: str, kind: str | None, sort: str,
                   q: str) -> None:
    audit(request, "search", dataset=dataset, target=q[:200] or None,
          detail={"record": "entities", "kind": kind, "sort": sort})


# -- one entity ----------------------------------------------------------------------------------
@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: SqlId,
                source: Annotated[str | None, Query(max_length=4000)] = None,
                page: Annotated[int, Query(ge=1, le=MAX_OFFSET // RECORD_PAGE + 1)] = 1
                ) -> HTMLResponse:
    entities = EntityReader(reader(request))
    view = entities.entity(entity_id)
    audit(request, "view", dataset=view.dataset.name, target=f"entity:{entity_id}",
          detail={"kind": view.entity.kind})
    sources = entities.sources(view)
    known = {s for s, _d, _r in sources}
    if source is not None and source not in known:
        raise NotFound(f"no source {source[:200]!r} mentions entity {entity_id}")
    total = sum(d + r for s, d, r in sources if source in (None, s))
    records = entities.records(view, source, RECORD_PAGE, (page - 1) * RECORD_PAGE)
    pages = max(1, math.ceil(total / RECORD_PAGE))

    def url(**changed: Any) -> str:
        now = {"source": source, "page": None} | changed
        pairs = [(k, str(v)) for k, v in now.items() if v is not None]
        return entity_url(entity_id) + (f"?{urlencode(pairs)}" if pairs else "")

    return render_page(request, "entities/entity.html", {
        "view": view, "e": view.entity, "dataset": view.dataset,
        "sources": [{"name": s, "documents": d, "rows": r, "url": url(source=s),
                     "current": s == source} for s, d, r in sources],
        "source": source, "all_url": url(source=None) if source is not None else None,
        "groups": _grouped(records), "page": page, "pages": pages, "total": total,
        "prev_url": url(page=page - 1) if page > 1 else None,
        "next_url": url(page=page + 1) if page < pages else None,
        # The search of the documents that mention it, by date (web/timeline.py).
        "timeline": search_timeline(reader(request), SearchParams(
            q="*", filters={"dataset": [view.dataset.name], "entity": [str(entity_id)]})),
        "cooccurring": [{"c": c, "url": entity_url(c.id)}
                        for c in entities.cooccurring(view, COOCCURRING)],
        "list_url": list_url(view.dataset.name),
        "api_url": f"/api/entities/{entity_id}",
        # A value mentioned everywhere: its first records only are grouped and dated.
        "capped": MAX_PLACED_RECORDS
        if view.entity.documents + view.entity.rows > MAX_PLACED_RECORDS else None,
    })


@api.get("/entities/{entity_id}", summary="One entity: its spellings and counts, a page of "
         "its mentions (each in a document, with its page, or a table row), the sources that "
         "mention it, a histogram of the dates of the documents, and the entities that "
         "appear with it most")
def api_entity(request: Request, entity_id: SqlId,
               offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100) -> JSONResponse:
    entities = EntityReader(reader(request))
    view = entities.entity(entity_id)
    audit(request, "view", dataset=view.dataset.name, target=f"entity:{entity_id}",
          detail={"kind": view.entity.kind, "api": True})
    mentions, total = entities.mentions(view, limit, offset)
    return JSONResponse({
        **entity_json(view.entity, view.access), "dataset": view.dataset.name,
        "mentions_total": total, "offset": offset, "limit": limit,
        "mentions": [m.as_json() for m in mentions],
        "by_source": [{"source": s, "documents": d, "rows": r}
                      for s, d, r in entities.sources(view)],
        "histogram": [{"month": month, "documents": n}
                      for month, n in entities.histogram(view)],
        "cooccurring": [c.as_json() for c in entities.cooccurring(view, COOCCURRING)],
    })


def _grouped(records: list[MentionRecord]) -> list[dict[str, Any]]:
    """Consecutive records of one source as one group (they come ordered by source)."""
    groups: list[dict[str, Any]] = []
    for r in records:
        if not groups or groups[-1]["source"] != r.source:
            groups.append({"source": r.source, "records": []})
        groups[-1]["records"].append(_record_view(r))
    return groups


def _record_view(r: MentionRecord) -> dict[str, Any]:
    if r.document_id is not None:
        first = r.pages[0] if r.pages else None
        base = f"/documents/{quote(r.document_id, safe='')}"
        return {"r": r, "url": base + (f"?page={first}#page-{first}" if first else ""),
                "pages": [(p, f"{base}?page={p}#page-{p}") for p in r.pages]}
    return {"r": r, "url": f"/tables/{r.table_id}/rows/{r.row}", "pages": []}


def _query(**params: Any) -> str:
    pairs = [(k, str(v)) for k, v in params.items() if v not in (None, "")]
    return f"?{urlencode(pairs)}" if pairs else ""


# -- marks in a document's text ------------------------------------------------------------------
def document_marks(archive: Archive, view: DocumentView
                   ) -> dict[int | None, list[tuple[int, str, int, int]]]:
    """The entity mentions to mark in a document's text, by page (None: a text without
    pages): (entity id, kind, start, end). None for a redacted reader (search/entities.py)."""
    out: dict[int | None, list[tuple[int, str, int, int]]] = {}
    for entity_id, kind, page, start, end in EntityReader(archive).document_spans(view):
        out.setdefault(page, []).append((entity_id, kind, start, end))
    return out


def marked_text(text: str, spans: list[tuple[int, str, int, int]], patterns: list[str]
                ) -> Markup:
    """`text` escaped, each entity mention a link to its entity, the query's words marked
    between them. Markup is only ever built around escaped pieces of the text."""
    if not spans:
        return highlight_text(text, patterns)
    out: list[Markup] = []
    last = 0
    for entity_id, kind, start, end in sorted(spans, key=lambda s: (s[2], -s[3])):
        if start < last or end <= start or end > len(text):
            continue  # overlapping (a URL and its domain) or beyond the text shown
        out.append(highlight_text(text[last:start], patterns))
        out.append(Markup('<a class="entity entity-{kind}" href="{url}" data-entity="{id}">'
                          '{text}</a>').format(kind=kind, url=entity_url(entity_id),
                                               id=entity_id, text=escape(text[start:end])))
        last = end
    out.append(highlight_text(text[last:], patterns))
    return Markup("").join(out)
