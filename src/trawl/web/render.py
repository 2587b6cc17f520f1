"""Templates: one Jinja environment (autoescape on, i18n extension), and the page renderer."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from babel.core import UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from trawl.web import i18n
from trawl.web.auth import ANONYMOUS_CALLER
from trawl.web.i18n import _
from trawl.web.static_assets import package_assets

TEMPLATE_DIR = Path(__file__).parent / "templates"


def units() -> tuple[str, ...]:
    """Byte units in the reader's language (French writes octets: o, Ko, Mo...)."""
    return (_("B"), _("KB"), _("MB"), _("GB"), _("TB"))


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters.update(filesize=filesize, number=number, day=day, moment=moment,
                       urlpath=urlpath, language_name=language_name)
    env.globals.update(LANGUAGES=i18n.LANGUAGES, query_string=query_string,
                       static_url=package_assets().url)
    return env


def filesize(value: int | None) -> str:
    if value is None:
        return "–"
    size = float(value)
    unit = 0
    names = units()
    while size >= 1000 and unit < len(names) - 1:
        size /= 1000
        unit += 1
    digits = "#,##0" if unit == 0 or size >= 100 else "#,##0.#"
    return f"{format_decimal(size, format=digits, locale=i18n.current_locale())}\u00a0" \
        f"{names[unit]}"


def number(value: int | float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format_decimal(value, locale=i18n.current_locale())


def _parsed(value: str | date | datetime) -> str | date | datetime:
    """An ISO string as a datetime; anything else, and text that is not ISO, as it is."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def day(value: str | date | datetime | None) -> str:
    """A date as the reader's language writes it (ISO strings are parsed, else shown as is)."""
    if not value:
        return ""
    value = _parsed(value)
    if isinstance(value, str):
        return value
    try:
        return format_date(value, format="medium", locale=i18n.current_locale())
    except (ValueError, OverflowError):
        return str(value)


def moment(value: str | datetime | None) -> str:
    """A date and time to the second, as the reader's language writes it, with its time zone
    (a time without one is UTC, as Trawl stores them): '16 juin 2020, 17:15:00 UTC'."""
    if not value:
        return ""
    value = _parsed(value)
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        shown = format_datetime(value, format="medium", tzinfo=value.tzinfo,
                                locale=i18n.current_locale())
    except (ValueError, OverflowError):
        return str(value)
    return f"{shown}\u00a0{_zone(value.utcoffset() or timedelta(0))}"


def _zone(offset: timedelta) -> str:
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "\u2212"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def urlpath(value: str) -> str:
    """A catalog path as a URL path segment sequence ('/' kept, everything else quoted)."""
    return quote(value, safe="/")


def language_name(code: str) -> str:
    try:
        return i18n.current_locale().languages.get(code, code) or code
    except (UnknownLocaleError, ValueError):
        return code


def query_string(**params: Any) -> str:
    pairs = [(k, str(v)) for k, v in params.items() if v not in (None, "")]
    return "?" + urlencode(pairs) if pairs else ""


class Renderer:
    def __init__(self) -> None:
        self.env = build_environment()

    def page(self, request: Request, template: str, context: dict[str, Any],
             status_code: int = 200) -> HTMLResponse:
        language = use_language(request)
        lang_links = {code: _with_lang(request, code) for code in i18n.LANGUAGES}
        context.setdefault("caller", getattr(request.state, "caller", None) or ANONYMOUS_CALLER)
        html = self.env.get_template(template).render(
            request=request, lang=language, lang_links=lang_links, **context)
        response = HTMLResponse(html, status_code=status_code)
        chosen = request.query_params.get("lang")
        if chosen in i18n.LANGUAGES and request.cookies.get(i18n.COOKIE) != chosen:
            response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="lax",
                                httponly=True)
        return response


def render_page(request: Request, template: str, context: dict[str, Any],
                status_code: int = 200) -> HTMLResponse:
    """A page of the site, in the request's language (which it also sets for `gettext`)."""
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, template, context, status_code)


def use_language(request: Request) -> str:
    """Make the request's language the one `gettext` uses, and return it. `render_page` does
    it; a handler calls it first only when it makes messages in Python before rendering."""
    language = request_language(request)
    i18n.set_language(language)
    return language


def request_language(request: Request) -> str:
    return i18n.choose_language(request.query_params.get("lang"),
                                request.cookies.get(i18n.COOKIE),
                                request.headers.get("accept-language"))


def _with_lang(request: Request, code: str) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    pairs.append(("lang", code))
    return f"{quote(request.url.path, safe='/')}?{urlencode(pairs)}"
