"""E-mail threads on the web: a dataset's threads (`/datasets/NAME/threads`, with a participant
filter), one conversation (`/threads/{thread_id}`: its messages in order, each with sender,
recipients, date, attachments, its quoted parts folded; a bulk mail of a table, its
recipients counted and linked to its row), and their JSON API.

Everything is read through search/threads.py's `ThreadReader` over the caller's scoped
archive, which applies access/threads.py: nothing here decides what a caller may see.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import Markup, escape

from trawl.search.threads import (
    MAX_LIMIT,
    MAX_OFFSET,
    RowMessage,
    ThreadMessage,
    ThreadReader,
)
from trawl.web.auth import audit, reader
from trawl.web.render import render_page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["threads"])
LIST_PAGE = 50
MAX_PAGE = MAX_OFFSET // LIST_PAGE + 1

Participant = Annotated[str, Query(max_length=320, description="an e-mail address: only the "
                                   "threads it wrote or received in")]
ThreadId = Annotated[str, "a thread's id (from a thread list, or a message's document)"]


def thread_url(thread_id: str) -> str:
    return f"/threads/{quote(thread_id, safe='')}"


def list_url(dataset: str, participant: str = "", page: int = 1) -> str:
    pairs = [(k, str(v)) for k, v in (("participant", participant), ("page", page))
             if v and not (k == "page" and v == 1)]
    return f"/datasets/{quote(dataset, safe='')}/threads" + (
        f"?{urlencode(pairs)}" if pairs else "")


@router.get("/datasets/{name}/threads", response_class=HTMLResponse)
def threads_page(request: Request, name: str, participant: Participant = "",
                 page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> HTMLResponse:
    threads = ThreadReader(reader(request))
    ds = threads.archive.dataset(name)
    found = threads.listing(ds, participant, (page - 1) * LIST_PAGE, LIST_PAGE)
    _audit_listing(request, ds.name, participant)
    pages = max(1, math.ceil(found.total / LIST_PAGE))
    return render_page(request, "threads/list.html", {
        "dataset": ds, "found": found, "participant": participant.strip(), "page": page,
        "pages": pages, "thread_url": thread_url,
        "participant_url": lambda a: list_url(ds.name, a),
        "prev_url": list_url(ds.name, participant, page - 1) if page > 1 else None,
        "next_url": list_url(ds.name, participant, page + 1) if page < pages else None,
        "api_url": f"/api/datasets/{quote(ds.name, safe='')}/threads"
                   + (f"?{urlencode({'participant': participant})}" if participant else ""),
    })


@api.get("/datasets/{name}/threads", summary="A dataset's e-mail threads, the latest first "
         "(id, subject, messages, participants, first and last dates), optionally only those "
         "an address took part in")
def api_threads(request: Request, name: str, participant: Participant = "",
                offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = LIST_PAGE) -> JSONResponse:
    threads = ThreadReader(reader(request))
    ds = threads.archive.dataset(name)
    found = threads.listing(ds, participant, offset, limit)
    _audit_listing(request, ds.name, participant)
    return JSONResponse({"dataset": ds.name, "total": found.total, "offset": offset,
                         "limit": limit, "threads": [t.as_json() for t in found.threads]})


@router.get("/threads/{thread_id}", response_class=HTMLResponse)
def thread_page(request: Request, thread_id: ThreadId) -> HTMLResponse:
    detail = ThreadReader(reader(request)).thread(thread_id)
    audit(request, "view", dataset=detail.dataset.name, target=f"thread:{thread_id[:40]}",
          detail={"messages": len(detail.messages)})
    return render_page(request, "threads/thread.html", {
        "t": detail.summary, "dataset": detail.dataset, "detail": detail,
        "messages": [_message_view(m) for m in detail.messages],
        "list_url": list_url(detail.dataset.name),
        "participant_url": lambda a: list_url(detail.dataset.name, a),
        "api_url": f"/api{thread_url(thread_id)}",
    })


@api.get("/threads/{thread_id}", summary="One e-mail thread: its messages in order, each "
         "with sender, recipients, date, attachments, its text and the spans of it that "
         "quote earlier messages (start and end offsets)")
def api_thread(request: Request, thread_id: ThreadId) -> JSONResponse:
    detail = ThreadReader(reader(request)).thread(thread_id)
    audit(request, "view", dataset=detail.dataset.name, target=f"thread:{thread_id[:40]}",
          detail={"messages": len(detail.messages), "api": True})
    return JSONResponse(detail.as_json())


def _audit_listing(request: Request, dataset: str, participant: str) -> None:
    audit(request, "search", dataset=dataset, target=participant.strip()[:200] or None,
          detail={"record": "threads"})


def _message_view(message: ThreadMessage | RowMessage) -> dict[str, Any]:
    """What the template shows of one message: its text in parts, own and quoted (folded)."""
    meta = message.as_json()
    url = f"/tables/{message.table}/rows/{message.row}" if isinstance(message, RowMessage) \
        else f"/documents/{quote(message.id, safe='')}"
    return {"m": message, "meta": meta, "parts": _parts(message.text, message.quoted),
            "url": url, "row": isinstance(message, RowMessage),
            "attachments": [{"a": a, "url": f"/documents/{quote(a.document_id, safe='')}"
                             if a.document_id else None} for a in message.attachments]}


def _parts(text: str, spans: list[tuple[int, int]]) -> list[tuple[bool, Markup]]:
    """(quoted, escaped text) pieces of a message, in order."""
    out, last = [], 0
    for start, end in spans:
        if text[last:start].strip():
            out.append((False, escape(text[last:start].strip("\n"))))
        out.append((True, escape(text[start:end].strip("\n"))))
        last = end
    if text[last:].strip():
        out.append((False, escape(text[last:].strip("\n"))))
    return out
