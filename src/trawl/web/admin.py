"""Administration in the browser: who may read each dataset, and the audit log.

Accounts themselves are made on the command line (`trawl user add`), where a password is
typed once and never travels through a form that could be cached or logged. Here an admin
changes a dataset's visibility, grants and revokes access for users and groups, and reads
and exports the audit log. Every change is itself audited.

A change of visibility is a background job (derive/jobs.py): making a dataset public builds
its redacted view first, which takes minutes for a big dataset, so the request only queues it
and the admin page shows its progress until it is done.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from trawl.access.audit import ACTIONS, AuditLog
from trawl.access.policy import VISIBILITIES
from trawl.access.published import view_is_current
from trawl.access.store import AccessError, AccessStore
from trawl.derive.jobs import JobRunner
from trawl.errors import NotFound
from trawl.search.service import Archive
from trawl.web.auth import audit, caller, require_admin
from trawl.web.i18n import _
from trawl.web.render import render_page, use_language

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 100
JOBS_SHOWN = 10
PRINCIPALS = ("user", "group")



def _store(request: Request) -> AccessStore:
    return request.app.state.access


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, message: str = "", error: str = "") -> HTMLResponse:
    require_admin(request)
    archive: Archive = request.app.state.archive
    store = _store(request)
    grants = store.grants()
    jobs = archive.catalog.jobs(limit=JOBS_SHOWN)
    running = {j.dataset: j for j in jobs if not j.finished}
    datasets = [{"dataset": ds, "grants": [g for g in grants if g.dataset == ds.name],
                 "view_current": ds.visibility != "public"
                 or view_is_current(archive.catalog, ds),
                 "job": running.get(ds.name)}
                for ds in archive.catalog.datasets()]
    return render_page(request, "admin.html", {
        "datasets": datasets, "users": store.users(), "groups": store.groups(),
        "jobs": jobs, "refresh": bool(running),
        "visibilities": VISIBILITIES, "principals": PRINCIPALS,
        "message": message[:300], "error": error[:300]})


def _back(message: str = "", error: str = "") -> RedirectResponse:
    pairs = [("message", message)] if message else [("error", error)] if error else []
    return RedirectResponse("/admin" + (f"?{urlencode(pairs)}" if pairs else ""),
                            status_code=303)


def _said(word: str) -> str:
    """A visibility or a kind of principal in the reader's language (written out, so that
    pybabel finds each)."""
    return {"private": _("private"), "restricted": _("restricted"), "public": _("public"),
            "user": _("user"), "group": _("group")}.get(word, word)


def _dataset_name(request: Request, name: str) -> str:
    archive: Archive = request.app.state.archive
    if archive.catalog.dataset(name) is None:
        raise NotFound(f"no dataset named {name!r}")
    return name


@router.post("/admin/datasets/{name}/visibility")
def change_visibility(request: Request, name: str,
                      visibility: Annotated[str, Form(max_length=20)]) -> Response:
    require_admin(request)
    name = _dataset_name(request, name)
    if visibility not in VISIBILITIES:
        raise HTTPException(400, f"visibility is one of {', '.join(VISIBILITIES)}")
    runner: JobRunner = request.app.state.jobs
    job = runner.publish(name, visibility, caller(request).principal.actor)
    audit(request, "visibility", dataset=name, detail={"visibility": visibility, "job": job.id})
    use_language(request)  # the message is made here, in the reader's language
    return _back(message=_("%(dataset)s: becoming %(visibility)s (job %(job)s)") % {
        "dataset": name, "visibility": _said(visibility), "job": job.id})


@router.get("/api/admin/jobs", include_in_schema=True, tags=["admin"],
            summary="Background jobs (admins), newest first: a dataset's change of "
                    "visibility, with its state and progress")
def jobs_api(request: Request,
             limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> JSONResponse:
    require_admin(request)
    archive: Archive = request.app.state.archive
    return JSONResponse({"jobs": [j.as_json() for j in archive.catalog.jobs(limit=limit)]})


@router.get("/api/admin/jobs/{job_id}", include_in_schema=True, tags=["admin"],
            summary="One background job (admins): state queued | running | done | failed | "
                    "interrupted, done and total, message or error")
def job_api(request: Request, job_id: Annotated[int, Path(ge=1, le=2**62)]) -> JSONResponse:
    require_admin(request)
    archive: Archive = request.app.state.archive
    job = archive.catalog.job(job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return JSONResponse(job.as_json())


@router.post("/admin/datasets/{name}/grants")
def change_grant(request: Request, name: str,
                 principal: Annotated[str, Form(max_length=10)],
                 who: Annotated[str, Form(max_length=64)],
                 action: Annotated[str, Form(pattern="^(grant|revoke)$")] = "grant"
                 ) -> Response:
    caller = require_admin(request)
    name = _dataset_name(request, name)
    if principal not in PRINCIPALS:
        raise HTTPException(400, "a grant is to a user or a group")
    store = _store(request)
    try:
        if action == "grant":
            store.grant(name, principal, who, by=caller.principal.actor)
        else:
            store.revoke(name, principal, who)
    except AccessError as exc:
        return _back(error=str(exc))
    audit(request, action, dataset=name, target=f"{principal}:{who}")
    use_language(request)
    said = _("%(dataset)s: granted to %(principal)s %(who)s") if action == "grant" \
        else _("%(dataset)s: revoked for %(principal)s %(who)s")
    return _back(message=said % {"dataset": name, "principal": _said(principal), "who": who})


# -- the audit log -------------------------------------------------------------------------------
def _filters(user: str, action: str, dataset: str, since: str, until: str) -> dict[str, Any]:
    if action and action not in ACTIONS:  # would match nothing: say so rather than show 0
        raise HTTPException(400, f"unknown action {action[:40]!r}; actions are: "
                                 + ", ".join(ACTIONS))
    return {"actor": user or None, "action": action or None, "dataset": dataset or None,
            "since": _day(since), "until": _day(until, end=True)}


def _day(value: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise HTTPException(400, f"not a date: {value[:40]!r} (YYYY-MM-DD)") from None
    # `until` is exclusive: a plain day given as the end includes that whole day.
    return day + timedelta(days=1) if end and len(value) <= 10 else day


AuditFilter = Annotated[str, Query(max_length=200)]


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: AuditFilter = "", action: AuditFilter = "",
               dataset: AuditFilter = "", since: AuditFilter = "", until: AuditFilter = "",
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    require_admin(request)
    log: AuditLog = request.app.state.audit
    filters = _filters(user, action, dataset, since, until)
    total = log.count(**filters)
    entries = log.entries(**filters, limit=AUDIT_PAGE, offset=(page - 1) * AUDIT_PAGE)
    shown = {"user": user, "action": action, "dataset": dataset, "since": since,
             "until": until}
    query = urlencode([(k, v) for k, v in shown.items() if v])
    return render_page(request, "audit.html", {
        "entries": entries, "total": total, "page": page, "shown": shown, "actions": ACTIONS,
        "pages": max(1, -(-total // AUDIT_PAGE)), "query": query,
        "retention": log.retention_days(),
        "export_csv": "/admin/audit/export?" + urlencode([*shown.items(), ("format", "csv")]),
        "export_jsonl": "/admin/audit/export?" + urlencode([*shown.items(),
                                                             ("format", "jsonl")])})


@router.get("/admin/audit/export")
def audit_export(request: Request, user: AuditFilter = "", action: AuditFilter = "",
                 dataset: AuditFilter = "", since: AuditFilter = "", until: AuditFilter = "",
                 format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "jsonl"  # noqa: A002
                 ) -> Response:
    require_admin(request)
    log: AuditLog = request.app.state.audit
    filters = _filters(user, action, dataset, since, until)
    audit(request, "export", target="audit-log", detail={"format": format})
    out = io.StringIO()
    log.export(out, format, **filters)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return Response(out.getvalue(), media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"trawl-audit-{stamp}.{format}\""})


@router.get("/api/admin/audit", include_in_schema=True, tags=["admin"],
            summary="The audit log (admins): newest first; filters user, action, dataset, "
                    "since, until (YYYY-MM-DD); offset and limit")
def audit_api(request: Request, user: AuditFilter = "", action: AuditFilter = "",
              dataset: AuditFilter = "", since: AuditFilter = "", until: AuditFilter = "",
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JSONResponse:
    require_admin(request)
    log: AuditLog = request.app.state.audit
    filters = _filters(user, action, dataset, since, until)
    return JSONResponse({"total": log.count(**filters), "entries": [
        e.as_json() for e in log.entries(**filters, limit=limit, offset=offset)]})
