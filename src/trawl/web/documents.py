"""Finding a document's bytes and the pieces of a document page, from catalog rows only.

A user-supplied string is never turned into a file path: a request names a document id, the
catalog gives its rows, and only a row gives a path (on disk below the dataset's root for a
file walked there; in the blob store, by hash, for a member or an attachment).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from trawl.errors import NotFound
from trawl.search.originals import original_path  # web/files.py, pages.py read it here
from trawl.search.service import Archive, DocumentView
from trawl.storage.catalog import Dataset, FileRow, document_id

DOC_ID = re.compile(r"^[0-9a-f]{6,64}$")
MAX_FRAMED_BYTES = 5 * 1024 * 1024
EMAIL_HEADERS = ("from", "to", "cc", "bcc", "subject", "date")
# The query field of each address header (`cc:` holds Cc and Bcc alike).
ADDRESS_FIELDS = {"from": "from", "to": "to", "cc": "cc", "bcc": "cc"}
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
HIDDEN_METADATA = {"html_body", "warnings", "body_html", "html"}


def find_document(archive: Archive, doc_id: str) -> DocumentView:
    if not DOC_ID.match(doc_id):
        raise NotFound(f"no document {doc_id[:80]!r}")
    return archive.find(doc_id)


def file_url(dataset: Dataset, row: FileRow) -> str:
    """A file's page: its document when it has content, else its path's own page."""
    if row.sha256:
        return f"/documents/{document_id(dataset.name, row.sha256)}"
    return path_url(dataset.name, row.path)


def path_url(dataset: str, path: str) -> str:
    return f"/datasets/{quote(dataset, safe='')}/files/{quote(path, safe='/')}"


def dataset_url(dataset: str) -> str:
    return f"/datasets/{quote(dataset, safe='')}"


def folder_url(dataset: str, folder: str) -> str:
    base = f"/datasets/{quote(dataset, safe='')}/browse"
    return f"{base}/{quote(folder, safe='/')}" if folder else base


def breadcrumbs(dataset: str, path: str) -> list[tuple[str, str]]:
    """(label, url) for the dataset and each folder above `path`."""
    crumbs = [(dataset, folder_url(dataset, ""))]
    parts = path.split("/")[:-1]
    for i, part in enumerate(parts):
        crumbs.append((part, folder_url(dataset, "/".join(parts[: i + 1]))))
    return crumbs


def email_headers(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key in EMAIL_HEADERS:
        value = metadata.get(key)
        if value:
            out.append((key, _flat(value)))
    return out


def address_links(key: str, value: str) -> list[tuple[str, str | None]]:
    """A sender or recipients header as (text, search url or None) pieces: each e-mail
    address in it links to a search of the mail from (or to) that address. Addresses are
    found by pattern rather than parsed: a hostile header ('Eve <script>… <eve@x.org>')
    defeats a parser, and the text around them is shown exactly as it is."""
    field = ADDRESS_FIELDS.get(key)
    if field is None:
        return [(value, None)]
    pieces: list[tuple[str, str | None]] = []
    last = 0
    for match in ADDRESS.finditer(value):
        if match.start() > last:
            pieces.append((value[last:match.start()], None))
        address = match.group(0)
        pieces.append((address, "/?q=" + quote(f'{field}:"{address}"', safe="")))
        last = match.end()
    if last < len(value):
        pieces.append((value[last:], None))
    return pieces


def metadata_rows(metadata: dict[str, Any], skip: set[str]) -> list[tuple[str, str]]:
    rows = []
    for key, value in sorted(metadata.items()):
        if key in HIDDEN_METADATA or key in skip or value in (None, "", [], {}):
            continue
        text = _flat(value)
        rows.append((str(key), text if len(text) <= 600 else text[:600] + "…"))
    return rows


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    return str(value)


def html_body(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("html_body")
    return value if isinstance(value, str) and value.strip() else None


def is_html_document(view: DocumentView) -> bool:
    mime = (view.content.mime or "").lower()
    return view.content.family == "html" or mime in ("text/html", "application/xhtml+xml")


def framed_source(archive: Archive, view: DocumentView) -> str | None:
    """The HTML to show sanitised in a frame: an e-mail's HTML body, or an HTML page."""
    if view.redacted:
        return None
    body = html_body(view.content.metadata)
    if body is not None:
        return body
    if not is_html_document(view) or view.content.size > MAX_FRAMED_BYTES:
        return None
    source = original_path(archive, view)
    if source is None:
        return None
    data = source.read_bytes()[:MAX_FRAMED_BYTES]
    return _decode(data)


def _decode(data: bytes) -> str:
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", data[:8192], re.I)
    for encoding in ([match.group(1).decode("ascii", "ignore")] if match else []) + ["utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", "replace")
