"""Tags and notes in the browser and the API (search/annotations.py does the work).

* The box on a document's page and on a table row's page (`annotations/box.html`, through
  the `annotations_box` template global): the tags, each a chip linking to its `tag:`
  search, with who put it there and when, a remove button on one's own; the notes with
  author and time, edit and delete on one's own; forms to add, with a sharing choice (one
  of the reader's groups, or private). The forms POST to `/annotate` with the session's
  CSRF token and come back to the page (no script needed); `static/annotations.js` only
  fills the tag input's suggestions from `GET /api/tags` as the reader types.
* `/notes?q=WORDS`: the notes the reader sees, by their words, each linking to its target.
* The JSON API: `GET /api/documents/{id}/annotations` (and `/api/tables/{t}/rows/{r}/
  annotations`), `POST .../tags`, `DELETE .../tags/{tag}`, `POST .../notes`,
  `PUT`/`DELETE /api/notes/{id}`, `GET /api/tags?prefix=` (autocomplete), `GET /api/notes?q=`
  (the notes the caller sees, by their words).

Access: every target is found through the caller's scoped archive, so a document or row
they cannot read is the 404 a missing one gets, whatever they ask; writing needs a signed-in
reader of the dataset in full (403 otherwise: access/annotations.py), and only an author
changes their own. Every write is audited (`tag`, `note`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import pass_context
from pydantic import BaseModel, Field

from trawl.access import annotations as rules
from trawl.errors import BadRequest
from trawl.index.base import QueryError
from trawl.search.annotations import Annotations, Target
from trawl.storage.annotations import Note, Tag
from trawl.web.auth import audit, caller, reader, scoped
from trawl.web.params import SqlId
from trawl.web.render import render_page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["annotations"])
ACTIONS = ("add_tag", "remove_tag", "add_note", "edit_note", "delete_note")

TagName = Annotated[str, Field(min_length=1, max_length=200, description="the tag (lower-"
                                                                           "cased, spaces as -)")]
GroupName = Annotated[str | None, Field(None, max_length=200, description=(
    "share with this group of yours; none: private to you"))]


class TagIn(BaseModel):
    tag: TagName
    group: GroupName = None


class NoteIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=rules.MAX_NOTE)]
    group: GroupName = None


def install(app: FastAPI) -> None:
    @pass_context
    def annotations_box(ctx: Any, dataset: str, key: str) -> dict[str, Any]:
        return box(ctx["request"], dataset, key)

    app.state.renderer.env.globals.update(annotations_box=annotations_box)
    app.include_router(api)
    app.include_router(router)


def _annotations(request: Request) -> Annotations:
    return Annotations(scoped(request))


def _target(notes: Annotations, document: str | None, table: int | None,
            row: int | None) -> Target:
    if document:
        return notes.document(document)
    if table is not None and row is not None:
        return notes.row(table, row)
    raise HTTPException(400, "name a document, or a table and a row")


def _writing(request: Request, target: Target) -> None:
    """403 unless the caller may annotate the dataset (they can read it: else 404 before)."""
    if not rules.may_annotate(caller(request).scope, target.dataset):
        raise HTTPException(403, "tags and notes are for signed-in readers of datasets "
                                 "they read in full")


@contextmanager
def _refusals() -> Iterator[None]:
    """The rules' refusals (an empty note, a group one is not in) as 400s."""
    try:
        yield
    except BadRequest as exc:
        if isinstance(exc, QueryError):
            raise  # the app answers these 400 already
        raise HTTPException(400, str(exc)) from None


# -- what a page shows ---------------------------------------------------------------------
def box(request: Request, dataset: str, key: str) -> dict[str, Any]:
    """The tags and notes of one document (its id) or row (`row:T:R`) for the page."""
    notes = _annotations(request)
    who = caller(request)
    target = Target(dataset, "row" if key.startswith("row:") else "document", key)
    me = who.principal.name
    grouped: dict[str, dict[str, Any]] = {}
    for t in notes.tags(target):
        chip = grouped.setdefault(t.name, {"name": t.name, "url": tag_search_url(t.name),
                                           "by": [], "mine": False})
        chip["by"].append({"author": t.author, "when": _when(t.created_at),
                           "shared_with": t.shared_with})
        chip["mine"] = chip["mine"] or t.author == me
    return {
        "target": target,
        "writable": rules.may_annotate(who.scope, dataset),
        "tags": list(grouped.values()),
        "notes": [{"note": n, "mine": n.author == me, "created": _when(n.created_at),
                   "updated": _when(n.updated_at) if n.updated_at != n.created_at else None}
                  for n in notes.notes(target)],
        "groups": sorted(who.principal.groups),
        "csrf": who.csrf,
        "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }


def _when(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def tag_search_url(name: str) -> str:
    return "/?" + urlencode({"q": f"tag:{name}"})


@router.get("/notes", response_class=HTMLResponse)
def notes_page(request: Request, q: Annotated[str, Query(max_length=2000)] = "") -> HTMLResponse:
    """The notes the caller sees (their own, their groups'), by their words, newest first,
    each with a link to what it is on."""
    found = Annotations(reader(request)).search_notes(q, limit=200)
    return render_page(request, "annotations/notes.html", {
        "q": q, "signed_in": not caller(request).principal.anonymous,
        "notes": [{"note": n, "url": _target_url(n), "when": _when(n.updated_at)}
                  for n in found]})


# -- the forms ------------------------------------------------------------------------------
@router.post("/annotate", response_model=None)
def annotate_form(request: Request,
                  action: Annotated[str, Form(max_length=20)],
                  document: Annotated[str | None, Form(max_length=100)] = None,
                  table: Annotated[int | None, Form(ge=0, le=2**63 - 1)] = None,
                  row: Annotated[int | None, Form(ge=0, le=2**63 - 1)] = None,
                  tag: Annotated[str, Form(max_length=200)] = "",
                  text: Annotated[str, Form(max_length=rules.MAX_NOTE)] = "",
                  group: Annotated[str, Form(max_length=200)] = "",
                  note: Annotated[int | None, Form(ge=0, le=2**63 - 1)] = None,
                  back: Annotated[str, Form(max_length=4000)] = "/") -> RedirectResponse:
    """One form for every change of the box; back to the page it was sent from."""
    if action not in ACTIONS:
        raise HTTPException(400, f"action is one of {', '.join(ACTIONS)}")
    notes = _annotations(request)
    with _refusals():
        if action in ("edit_note", "delete_note"):
            if note is None:
                raise HTTPException(400, "which note?")
            changed = notes.update_note(note, text, group or None) \
                if action == "edit_note" else notes.remove_note(note)
            _audit_note(request, changed, "edit" if action == "edit_note" else "remove")
        else:
            target = _target(notes, document, table, row)
            _writing(request, target)
            if action == "add_tag":
                _audit_tag(request, notes.add_tag(target, tag, group or None), "add")
            elif action == "remove_tag":
                if notes.remove_tag(target, tag):
                    audit(request, "tag", dataset=target.dataset, target=target.key,
                          detail={"op": "remove", "tag": rules.normalise_tag(tag)})
            else:
                _audit_note(request, notes.add_note(target, text, group or None), "add")
    # Only back to a page of this site: a path, never another host.
    safe = back if back.startswith("/") and not back.startswith("//") else "/"
    return RedirectResponse(safe + "#annotations", status_code=303)


def _audit_tag(request: Request, tag: Tag, op: str) -> None:
    audit(request, "tag", dataset=tag.dataset, target=tag.target,
          detail={"op": op, "tag": tag.name, "shared_with": tag.shared_with})


def _audit_note(request: Request, note: Note, op: str) -> None:
    audit(request, "note", dataset=note.dataset, target=note.target,
          detail={"op": op, "note": note.id, "shared_with": note.shared_with})


# -- the API --------------------------------------------------------------------------------
def tag_json(tag: Tag) -> dict[str, Any]:
    return {"tag": tag.name, "dataset": tag.dataset, "target": tag.target, "kind": tag.kind,
            "author": tag.author, "shared_with": tag.shared_with,
            "created_at": tag.created_at, "updated_at": tag.updated_at,
            "search": tag_search_url(tag.name)}


def note_json(note: Note) -> dict[str, Any]:
    return {"id": note.id, "dataset": note.dataset, "target": note.target, "kind": note.kind,
            "text": note.text, "author": note.author, "shared_with": note.shared_with,
            "created_at": note.created_at, "updated_at": note.updated_at}


def _annotations_json(request: Request, notes: Annotations, target: Target) -> JSONResponse:
    return JSONResponse({
        "dataset": target.dataset, "target": target.key, "kind": target.kind,
        "writable": rules.may_annotate(caller(request).scope, target.dataset),
        "tags": [tag_json(t) for t in notes.tags(target)],
        "notes": [note_json(n) for n in notes.notes(target)]})


@api.get("/documents/{doc_id}/annotations")
def document_annotations(request: Request, doc_id: str) -> JSONResponse:
    """The tags and notes of a document that the caller sees (their own, their groups')."""
    notes = _annotations(request)
    return _annotations_json(request, notes, notes.document(doc_id))


@api.get("/tables/{table_id}/rows/{row}/annotations")
def row_annotations(request: Request, table_id: SqlId, row: SqlId) -> JSONResponse:
    """The tags and notes of a row of a table that the caller sees."""
    notes = _annotations(request)
    return _annotations_json(request, notes, notes.row(table_id, row))


def _add_tag(request: Request, target: Target, body: TagIn) -> JSONResponse:
    _writing(request, target)
    with _refusals():
        tag = _annotations(request).add_tag(target, body.tag, body.group)
    _audit_tag(request, tag, "add")
    return JSONResponse(tag_json(tag))


def _remove_tag(request: Request, target: Target, tag: str) -> JSONResponse:
    _writing(request, target)
    with _refusals():
        removed = _annotations(request).remove_tag(target, tag)
        name = rules.normalise_tag(tag)
    if not removed:
        raise HTTPException(404, f"no tag {name!r} of yours there")
    audit(request, "tag", dataset=target.dataset, target=target.key,
          detail={"op": "remove", "tag": name})
    return JSONResponse({"removed": name})


def _add_note(request: Request, target: Target, body: NoteIn) -> JSONResponse:
    _writing(request, target)
    with _refusals():
        note = _annotations(request).add_note(target, body.text, body.group)
    _audit_note(request, note, "add")
    return JSONResponse(note_json(note))


@api.post("/documents/{doc_id}/tags")
def tag_document(request: Request, doc_id: str, body: TagIn) -> JSONResponse:
    """Tag a document (again: its sharing and time change)."""
    return _add_tag(request, _annotations(request).document(doc_id), body)


@api.delete("/documents/{doc_id}/tags/{tag}")
def untag_document(request: Request, doc_id: str, tag: str) -> JSONResponse:
    """Remove the caller's tag from a document."""
    return _remove_tag(request, _annotations(request).document(doc_id), tag)


@api.post("/documents/{doc_id}/notes")
def note_document(request: Request, doc_id: str, body: NoteIn) -> JSONResponse:
    """Write a note on a document."""
    return _add_note(request, _annotations(request).document(doc_id), body)


@api.post("/tables/{table_id}/rows/{row}/tags")
def tag_row(request: Request, table_id: SqlId, row: SqlId, body: TagIn) -> JSONResponse:
    """Tag a row of a table."""
    return _add_tag(request, _annotations(request).row(table_id, row), body)


@api.delete("/tables/{table_id}/rows/{row}/tags/{tag}")
def untag_row(request: Request, table_id: SqlId, row: SqlId, tag: str) -> JSONResponse:
    """Remove the caller's tag from a row."""
    return _remove_tag(request, _annotations(request).row(table_id, row), tag)


@api.post("/tables/{table_id}/rows/{row}/notes")
def note_row(request: Request, table_id: SqlId, row: SqlId, body: NoteIn) -> JSONResponse:
    """Write a note on a row of a table."""
    return _add_note(request, _annotations(request).row(table_id, row), body)


@api.put("/notes/{note_id}")
def edit_note(request: Request, note_id: SqlId, body: NoteIn) -> JSONResponse:
    """Change the text and sharing of one's own note (another's: 404)."""
    with _refusals():
        note = _annotations(request).update_note(note_id, body.text, body.group)
    _audit_note(request, note, "edit")
    return JSONResponse(note_json(note))


@api.delete("/notes/{note_id}")
def delete_note(request: Request, note_id: SqlId) -> JSONResponse:
    """Delete one's own note (another's: 404)."""
    with _refusals():
        note = _annotations(request).remove_note(note_id)
    _audit_note(request, note, "remove")
    return JSONResponse({"removed": note.id})


Dataset = Annotated[list[str] | None, Query(max_length=200,
                                            description="only in this dataset (repeatable)")]


@api.get("/tags")
def tags(request: Request, prefix: Annotated[str, Query(max_length=200)] = "",
         dataset: Dataset = None,
         limit: Annotated[int, Query(ge=1, le=100)] = 20) -> JSONResponse:
    """The caller's tags (their own and their groups') starting with `prefix`, with how
    many documents and rows they see carry each, most used first: the autocomplete."""
    found = _annotations(request).complete(prefix, dataset, limit)
    return JSONResponse({"tags": [{"tag": name, "count": n, "search": tag_search_url(name)}
                                  for name, n in found]})


@api.get("/notes")
def notes_search(request: Request, q: Annotated[str, Query(max_length=2000)] = "",
                 dataset: Dataset = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JSONResponse:
    """The notes the caller sees whose text holds every word of `q` (all without), newest
    first, each with the document or row it is on."""
    found = _annotations(request).search_notes(q, dataset, limit)
    return JSONResponse({"notes": [{**note_json(n), "url": _target_url(n)} for n in found]})


def _target_url(note: Note) -> str:
    if note.kind == "row":
        _row, table_id, number = note.target.split(":")
        return f"/tables/{table_id}/rows/{number}"
    return f"/documents/{quote(note.target, safe='')}"
