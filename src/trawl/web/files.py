"""Bytes of documents: originals (download only), PDF page images, inline images, the
sanitised HTML frame and the extracted text."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from trawl.search.service import DocumentView
from trawl.web import documents
from trawl.web.auth import audit, reader
from trawl.web.previews import PreviewError, Previews
from trawl.web.security import (
    FRAME_CSP,
    INLINE_IMAGE_TYPES,
    content_disposition,
    download_type,
    framed_document,
)

router = APIRouter()
PREVIEW_CACHE = "private, max-age=86400"


def download_original(request: Request, doc_id: str) -> FileResponse:
    archive = reader(request)
    view = documents.find_document(archive, doc_id)
    if view.redacted:
        raise HTTPException(403, "the originals of a public dataset are not served; its "
                                 f"redacted text is at /documents/{view.id}/text")
    source = documents.original_path(archive, view)
    if source is None:
        raise HTTPException(404, "the original of this document is not available (it was "
                                 "moved, changed or deleted since it was ingested)")
    name = view.path.rsplit("/", 1)[-1] or view.id
    audit(request, "download", dataset=view.dataset.name, target=view.id,
          detail={"path": view.path})
    return FileResponse(source, media_type=download_type(view.content.mime), headers={
        "Content-Disposition": content_disposition(name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


@router.get("/documents/{doc_id}/original", tags=["files"],
            summary="Download the original file (always as an attachment)")
def original(request: Request, doc_id: str) -> FileResponse:
    return download_original(request, doc_id)


@router.get("/documents/{doc_id}/pages/{page}.png", tags=["files"],
            summary="One page of a PDF as a PNG image")
def pdf_page(request: Request, doc_id: str, page: int) -> Response:
    view, source = pdf_source(request, doc_id, page)
    previews: Previews = request.app.state.previews
    try:
        image = previews.pdf_page(view.id, source, page)
    except PreviewError as exc:
        raise HTTPException(404, f"no preview: {exc}") from None
    headers = {"Cache-Control": PREVIEW_CACHE}
    if isinstance(image, Path):
        return FileResponse(image, media_type="image/png", headers=headers)
    return Response(image, media_type="image/png", headers=headers)


@router.get("/documents/{doc_id}/preview", tags=["files"],
            summary="An image document, inline (only image types a browser shows safely)")
def image_preview(request: Request, doc_id: str) -> FileResponse:
    archive = reader(request)
    view = documents.find_document(archive, doc_id)
    mime = inline_image_type(view)
    if mime is None:
        raise HTTPException(404, "this document has no inline preview")
    source = documents.original_path(archive, view)
    if source is None:
        raise HTTPException(404, "the original of this document is not available")
    return FileResponse(source, media_type=mime, headers={
        "Cache-Control": PREVIEW_CACHE,
        "Content-Disposition": "inline",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


@router.get("/documents/{doc_id}/frame", tags=["files"], response_class=HTMLResponse,
            summary="The sanitised HTML of an e-mail or an HTML page, for a sandboxed frame")
def frame(request: Request, doc_id: str) -> HTMLResponse:
    archive = reader(request)
    view = documents.find_document(archive, doc_id)
    source = documents.framed_source(archive, view)
    if source is None:
        raise HTTPException(404, "this document has no HTML to show")
    return HTMLResponse(framed_document(source), headers={
        "Content-Security-Policy": FRAME_CSP,
        "X-Frame-Options": "SAMEORIGIN",
    })


@router.get("/documents/{doc_id}/text", tags=["files"], response_class=PlainTextResponse,
            summary="The extracted text, as plain text")
def text(request: Request, doc_id: str) -> PlainTextResponse:
    archive = reader(request)
    view = documents.find_document(archive, doc_id)
    audit(request, "download", dataset=view.dataset.name, target=view.id,
          detail={"path": view.path, "text": True})
    try:
        body = archive.text(view)
    except (OSError, ValueError):
        raise HTTPException(404, "the extracted text of this document is missing") from None
    return PlainTextResponse(body, headers={
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


def pdf_source(request: Request, doc_id: str, page: int) -> tuple[DocumentView, Path]:
    """A PDF the caller may read, whose page `page` exists, and where its bytes are."""
    archive = reader(request)
    view = documents.find_document(archive, doc_id)
    if not is_pdf(view):
        raise HTTPException(404, "this document has no page images")
    if not 1 <= page <= (view.content.page_count or 0):
        raise HTTPException(404, f"no page {page} (the document has "
                                 f"{view.content.page_count} pages)")
    source = documents.original_path(archive, view)
    if source is None:
        raise HTTPException(404, "the original of this document is not available")
    return view, source


def is_pdf(view: DocumentView) -> bool:
    return (view.content.mime or "").lower() == "application/pdf" \
        and bool(view.content.page_count)


def inline_image_type(view: DocumentView) -> str | None:
    mime = (view.content.mime or "").split(";", 1)[0].strip().lower()
    return mime if mime in INLINE_IMAGE_TYPES else None
