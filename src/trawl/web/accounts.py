"""Signing in and out, and the caller's own account page.

The login form carries a token of its own (a cookie it must match: there is no session yet to
bind it to). A successful login always starts a new session id and ends the one the browser
had, so an id planted before login is worth nothing after it (no session fixation).
Failures count per name and per address (access/store.py); past the limit, even the right
password is refused until the window ends, with one message for every case.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from trawl.access.passwords import same_secret
from trawl.access.store import SESSION_SECONDS, AccessStore
from trawl.web.auth import SESSION_COOKIE, audit, caller, client_address
from trawl.web.i18n import _
from trawl.web.render import render_page, use_language

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
LOGIN_COOKIE = "trawl_login"



def safe_next(target: str | None) -> str:
    """Only a path of this site: never `//elsewhere` or `https://elsewhere`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    return _login_page(request, safe_next(next), None, 200)


def _login_page(request: Request, target: str, error: str | None, status: int) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render_page(request, "login.html", {"next": target, "login_token": token,
                                                "error": error}, status)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=secure_cookies(request), path="/login")
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, name: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)],
          login_token: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:  # noqa: A002
    use_language(request)  # its messages are made here, before rendering
    target = safe_next(next)
    if not same_secret(login_token, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, target, _("The form has expired: try again."), 403)
    store: AccessStore = request.app.state.access
    address = client_address(request)
    user = store.authenticate(name, password, address)
    if user is None:
        locked = store.locked_out(name, address)
        request.app.state.audit.record("anonymous", "login_failed", detail={
            "name": name, "locked": locked}, ip=address)
        message = _("Too many failed attempts: wait 15 minutes and try again.") if locked \
            else _("Wrong name or password.")
        return _login_page(request, target, message, 401)
    store.end_session(request.cookies.get(SESSION_COOKIE))
    secret, _session = store.create_session(user)
    request.app.state.audit.record(user.name, "login", ip=address)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                        secure=secure_cookies(request), path="/", max_age=SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    store: AccessStore = request.app.state.access
    if caller(request).session is not None:
        audit(request, "logout")
        store.end_session(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@api.get("/me", summary="Who the request is from, and what it may read")
def me(request: Request) -> JSONResponse:
    who = caller(request)
    return JSONResponse({
        "name": who.principal.name,
        "admin": who.principal.is_admin,
        "groups": sorted(who.principal.groups),
        "token": who.principal.token,
        "datasets": {name: who.scope.access(name).value for name in who.scope.datasets},
    })
