"""What keeps a leaked document from attacking the journalist who reads it.

* Every response carries a strict Content-Security-Policy (no inline script, nothing from
  elsewhere), `nosniff`, no referrer and no framing; the one frame endpoint loosens framing to
  this site only and serves its sanitised HTML under a policy that allows no script at all.
* Originals are downloaded, never rendered: `Content-Disposition: attachment`, a filename with
  nothing a browser or a shell could misread, and a Content-Type that is one of a short list of
  inert types (else `application/octet-stream`).
* HTML from documents (e-mail bodies, HTML pages) goes through nh3 (ammonia) before it is shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

import nh3
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")
# The sanitised HTML of a document: no script, no request anywhere (images only as data:),
# framed by this site only, and sandboxed even when opened directly.
FRAME_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
             "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox")
# What a download or an inline image may be served as. Anything a browser could run or
# render as a page (HTML, SVG, XML, JavaScript, ...) is not here and goes as octet-stream.
SAFE_DOWNLOAD_TYPES = frozenset({
    "application/pdf", "application/zip", "application/gzip", "application/x-tar",
    "application/x-7z-compressed", "application/vnd.rar", "application/x-rar",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.ms-outlook", "application/rtf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "text/plain", "text/csv", "text/rtf", "message/rfc822",
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff",
    "audio/mpeg", "audio/wav", "video/mp4",
})
# Images a browser shows inline without running anything (SVG can hold script: not here).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp",
                                "image/bmp"})


def download_type(mime: str | None) -> str:
    base = (mime or "").split(";", 1)[0].strip().lower()
    if base not in SAFE_DOWNLOAD_TYPES:
        return "application/octet-stream"
    return base


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;%\u202a-\u202e\u2066-\u2069]')


def safe_filename(name: str, fallback: str = "download") -> str:
    """The last part of a path, without control, quoting, separator or bidi characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > 180:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:170] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:180]
    return name or fallback


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266/5987)."""
    name = safe_filename(name)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()\[\]+=,@#&!~-]", "_", ascii_name).strip(" .") \
        or "download"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


# -- HTML from documents -----------------------------------------------------------------------
_TAGS = {
    "a", "abbr", "address", "b", "bdi", "bdo", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "tt", "u", "ul",
}
# Elements removed together with everything inside them (not just unwrapped).
_DROPPED_WITH_CONTENT = {"script", "style", "title", "noscript", "template", "iframe", "object",
                         "embed", "svg", "math", "textarea", "select", "head", "frameset"}
_ATTRIBUTES = {
    "*": {"style", "title", "dir", "lang", "align", "valign", "width", "height", "bgcolor",
          "color", "border", "cellpadding", "cellspacing", "colspan", "rowspan"},
    "img": {"src", "alt"},
    "font": {"face", "size"},
    "a": {"name"},
}
_STYLE_PROPERTIES = {
    "color", "background-color", "font-family", "font-size", "font-style", "font-weight",
    "text-align", "text-decoration", "line-height", "margin", "margin-left", "margin-right",
    "margin-top", "margin-bottom", "padding", "padding-left", "padding-right", "padding-top",
    "padding-bottom", "border", "border-collapse", "width", "height", "vertical-align",
    "white-space",
}


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    # Only embedded (data:) images: a remote image would tell the sender the leak is read.
    if attribute == "src":
        return value if value.strip().lower().startswith("data:image/") \
            and not value.strip().lower().startswith("data:image/svg") else None
    if attribute == "style" and "url(" in value.lower():
        return None
    return value


def sanitize_html(html: str) -> str:
    """Inert HTML: no script, no event handler, no link that goes anywhere, no remote fetch."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"data"},
        strip_comments=True,
        link_rel=None,
        filter_style_properties=_STYLE_PROPERTIES,
    )


FRAME_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<style>body{{font:15px/1.5 system-ui,sans-serif;margin:12px;color:#1c2430;'
    'overflow-wrap:anywhere}}img{{max-width:100%;height:auto}}table{{max-width:100%}}</style>'
    "</head><body>{body}</body></html>"
)


def framed_document(html: str) -> str:
    return FRAME_PAGE.format(body=sanitize_html(html))


# -- response headers ---------------------------------------------------------------------------
DEFAULT_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", PAGE_CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """Pure ASGI middleware: adds each default header the response did not set itself."""

    def __init__(self, app: ASGIApp, headers: Iterable[tuple[bytes, bytes]] = DEFAULT_HEADERS):
        self.app = app
        self.headers = tuple(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
