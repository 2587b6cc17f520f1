"""The web application: `create_app(datadir)` builds one FastAPI app over one read-only Archive.

No global state: the Archive, the account store, the audit log, the template renderer, the
background jobs and the preview cache live on `app.state`, so tests can build as many apps as
they like.
Every route depends on `auth.identify` (who is asking); handlers read through
`auth.reader(request)`, the archive as that caller may see it.
"""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from trawl import __version__
from trawl.access import passwords
from trawl.access.audit import AuditLog
from trawl.access.store import AccessStore
from trawl.derive.jobs import JobRunner
from trawl.errors import NotFound
from trawl.index.base import QueryError
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir
from trawl.web import (
    accounts,
    admin,
    annotations,
    api,
    correspondents,
    entities,
    exports,
    files,
    i18n,
    neardup,
    openapi,
    pages,
    reader,
    saved,
    tables,
    threads,
    xref,
)
from trawl.web.auth import LoginRequired, identify, login_url
from trawl.web.load import ACTIVE_MAX, RequestLimit
from trawl.web.previews import Previews
from trawl.web.render import Renderer, request_language
from trawl.web.security import SecurityHeaders
from trawl.web.static_assets import HashedStaticFiles, package_assets

log = logging.getLogger(__name__)

DESCRIPTION = """Search and read a Trawl archive.

Query syntax (parameter `q`): words (all must appear), `AND`, `OR`, `NOT`, `"exact phrase"`,
`prefix*`, `fuzzy~`, and field filters such as `type:pdf`, `path:agency`, `from:alice`;
`tag:NAME` (one of the caller's tags, or their groups': a filter, `-tag:NAME` excludes).
Filters as parameters: `dataset`, `source`, `type`, `year`, `language`, `status`, `mime`, `tag`
(repeatable; or `filter=name:value`), `date_from` / `date_to` (YYYY, YYYY-MM or YYYY-MM-DD).
Errors are HTTP 400/404 with a JSON body `{"error": "..."}`.
"""


def create_app(datadir: DataDir, allowed_hosts: list[str] | None = None,
               max_active: int = ACTIVE_MAX) -> FastAPI:
    """The app over `datadir`. `allowed_hosts` (as `trawl serve` passes it) refuses requests
    for any other Host, so that a web page cannot reach a local server by DNS rebinding."""
    app = FastAPI(title="Trawl", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  dependencies=[Depends(identify)])
    app.state.archive = Archive(datadir)
    app.state.datadir = datadir
    app.state.access = AccessStore(datadir.access_path)
    app.state.audit = AuditLog(datadir.audit_path, datadir.secret_key_path)
    app.state.renderer = Renderer()
    passwords.warm_up()
    app.state.jobs = JobRunner(datadir)  # long work asked for by an admin (publishing)
    app.state.previews = Previews(datadir.previews_dir)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(RequestLimit, active=max_active)  # a bounded queue, then 503
    app.add_middleware(SecurityHeaders)  # added last: outermost, so on every response
    app.mount("/static", HashedStaticFiles(package_assets()), name="static")
    app.include_router(accounts.router)
    app.include_router(accounts.api)
    app.include_router(admin.router)
    app.include_router(api.router)
    app.include_router(entities.api)
    app.include_router(entities.router)
    app.include_router(exports.router)
    app.include_router(files.router)
    app.include_router(neardup.api)
    app.include_router(neardup.router)
    app.include_router(pages.router)
    app.include_router(reader.router)
    app.include_router(saved.router)
    app.include_router(saved.api)
    app.include_router(threads.api)
    app.include_router(correspondents.api)
    app.include_router(correspondents.router)
    app.include_router(threads.router)
    app.include_router(xref.router)
    app.include_router(xref.api)
    tables.install(app)  # structured tables: routes, and helpers for the pages above
    annotations.install(app)  # tags and notes: routes, and the box of document/row pages
    _add_error_handlers(app)
    openapi.describe_errors(app)
    return app


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, "error.html", {"status": status, "message": message},
                         status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QueryError)
    async def query_error(request: Request, exc: QueryError) -> Response:
        return error_response(request, 400, str(exc))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"error": "sign in, or send an API token (Authorization: "
                                          "Bearer ...)"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(login_url(request), status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "query")
            problems.append(f"{where}: {error.get('msg', 'invalid')}" if where
                            else str(error.get("msg", "invalid")))
        return error_response(request, 400, "invalid request: " + "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and exc.detail == "Not Found":
            i18n.set_language("en" if wants_json(request) else request_language(request))
            message = i18n.gettext("There is nothing at this address.")
        else:
            message = str(exc.detail)
        response = error_response(request, exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("error while serving %s", request.url.path)
        return JSONResponse({"error": "internal error; the server log has the details"},
                            status_code=500)
