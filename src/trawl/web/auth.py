"""Who is asking, and what they may read: every request goes through `identify` first.

* A request is an account's when it carries a valid session cookie (the web) or an
  `Authorization: Bearer trawl_...` API token (scripts); else it is anonymous. A bearer header
  that is not a valid token is refused (401), never quietly read as anonymous.
* The caller's `ReadScope` (access/policy.py) is computed per request from the catalog's
  datasets and the account's grants, so a grant or a visibility change applies at once.
* Handlers never touch the unscoped archive: `reader(request)` gives the archive as the caller
  sees it, and asks for a login when the caller can read nothing at all.
* CSRF: a state-changing request authenticated by cookie must carry the session's CSRF token
  (form field `csrf` or header `X-CSRF-Token`) and, when the browser says where it comes from
  (Origin, Sec-Fetch-Site), come from this site. Bearer-token requests carry no ambient
  credential and need neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from trawl.access.passwords import same_secret
from trawl.access.policy import ANONYMOUS, Principal, ReadScope, read_scope
from trawl.access.store import AccessStore, Session
from trawl.search.service import Archive

SESSION_COOKIE = "trawl_session"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The login form has a token of its own (web/accounts.py): one can sign in while signed in.
OWN_CSRF_TOKEN = {"/login"}
# The largest form body read (an uploaded list for /xref is the largest form there is).
MAX_FORM_BYTES = 25 * 1000 * 1000


class LoginRequired(Exception):
    """The caller can read nothing: ask them to sign in (a page) or say 401 (the API)."""


@dataclass(frozen=True)
class Caller:
    principal: Principal
    scope: ReadScope
    session: Session | None = None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


ANONYMOUS_CALLER = Caller(ANONYMOUS, ReadScope())


async def identify(request: Request) -> None:
    """The app-wide dependency: sets `request.state.caller`, and checks CSRF. The form is
    read here (it needs the event loop); the database work runs in the thread pool, so a
    slow disk or a locked database never stalls every other request."""
    form_token = await _form_token(request) if request.method in UNSAFE_METHODS else None
    request.state.caller = await run_in_threadpool(_identify, request, form_token)


def _identify(request: Request, form_token: str | None) -> Caller:
    store: AccessStore = request.app.state.access
    archive: Archive = request.app.state.archive
    principal, session = ANONYMOUS, None
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, secret = authorization.partition(" ")
        found = store.token_user(secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise HTTPException(401, "the API token is not valid (revoked, expired or "
                                     "mistyped)", headers={"WWW-Authenticate": "Bearer"})
        user, token_name = found
        principal = Principal(user.name, user.is_admin, user.groups,
                              store.granted_datasets(user), token=token_name)
    else:
        session = store.session(request.cookies.get(SESSION_COOKIE))
        if session is not None:
            user = session.user
            principal = Principal(user.name, user.is_admin, user.groups,
                                  store.granted_datasets(user))
        if request.method in UNSAFE_METHODS:
            check_csrf(request, session, form_token)
    return Caller(principal, read_scope(principal, archive.catalog.datasets()), session)


async def _form_token(request: Request) -> str | None:
    if request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        # Refused before it is read: a form's files are spooled to disk as they come.
        size = request.headers.get("content-length", "")
        if size.isdigit() and int(size) > MAX_FORM_BYTES:
            raise HTTPException(413, f"a form may send at most {MAX_FORM_BYTES // 10**6} MB")
        value = (await request.form()).get("csrf")  # Starlette keeps the form for the handler
        return value if isinstance(value, str) else None
    return None


def check_csrf(request: Request, session: Session | None, form_token: str | None) -> None:
    # Where the browser says the request comes from. Under this site's no-referrer policy a
    # browser sends `Origin: null` even from its own pages, so that value proves nothing
    # either way (the tokens below still do); Sec-Fetch-Site is sent by current browsers.
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    here = f"{request.url.scheme}://{request.url.netloc}"
    if (origin not in (None, "null") and origin != here) \
            or (site is not None and site not in ("same-origin", "none")):
        raise HTTPException(403, "this request came from another site")
    if session is None or request.url.path in OWN_CSRF_TOKEN:
        return  # no session to ride on, or a form that carries its own token
    sent = request.headers.get("x-csrf-token") or form_token
    if not same_secret(sent, session.csrf):
        raise HTTPException(403, "the form has expired: reload the page and try again")


def caller(request: Request) -> Caller:
    return request.state.caller


def reader(request: Request) -> Archive:
    """The archive as the caller may read it; a login is asked for when they can read
    nothing at all."""
    who = caller(request)
    if who.scope.empty and who.principal.anonymous:
        raise LoginRequired()
    return scoped(request)


def scoped(request: Request) -> Archive:
    """The archive as the caller may read it, never asking for a login: for what a page
    shows in passing, or a table by its address, which answer NotFound outside the scope."""
    return request.app.state.archive.scoped(caller(request).scope)


def require_admin(request: Request) -> Caller:
    who = caller(request)
    if who.principal.anonymous:
        raise LoginRequired()
    if not who.principal.is_admin:
        raise HTTPException(403, "this page is for administrators")
    return who


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def audit(request: Request, action: str, *, dataset: str | None = None,
          target: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """One entry of the audit log, with who and from where."""
    request.app.state.audit.record(caller(request).principal.actor, action, dataset=dataset,
                                   target=target, detail=detail, ip=client_address(request))


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"
