"""Cross-referencing in the browser and the API: upload a list, see what each row names.

* `GET /xref`: the form (a CSV file, the datasets to look in: those the caller may read).
* `POST /xref`: the answer as a page (each row with its matches, their counts and links), or
  as a CSV download (the button "Download CSV"): the same answer as `trawl xref`.
* `POST /api/xref`: the same, as JSON (or CSV with `format=csv`), for scripts.

The matching is search/xref.py's, on the archive as the caller sees it: a dataset outside
their scope is not found, with the very message a dataset that does not exist gets, and in a
public dataset's redacted view no personal kind matches. Who may use it is who may read
something: an anonymous caller where a dataset is public, else a login is asked for. The page's
form carries the session's CSRF token (web/auth.py checks it for every POST by cookie); an API
call with a bearer token needs none. The upload is bounded (`MAX_UPLOAD` bytes, and the list
to xref_list.MAX_ROWS rows, which the answer says it cut).
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from trawl.errors import BadRequest
from trawl.search.service import Archive
from trawl.search.xref import XrefResult, csv_rows, xref
from trawl.search.xref_list import MAX_ROWS, read_list
from trawl.storage.entities import EntityStore
from trawl.web.auth import audit, caller, reader
from trawl.web.i18n import _
from trawl.web.render import render_page, use_language
from trawl.web.security import content_disposition

MAX_UPLOAD = 20 * 1000 * 1000     # bytes of one list
SHOWN_ROWS = 500                  # rows of the answer on the page (the CSV has them all)
FORMATS = ("html", "csv")

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])

Upload = Annotated[UploadFile, File(description="the list: a CSV file with a header row")]
Datasets = Annotated[list[str] | None, Form(
    description="a dataset to look in (repeatable); none: every dataset the caller reads")]


@router.get("/xref", response_class=HTMLResponse)
def xref_page(request: Request) -> HTMLResponse:
    archive = reader(request)
    return _page(request, archive, None, [])


@router.post("/xref", response_model=None)
def xref_form(request: Request, file: Upload, dataset: Datasets = None,
              format: Annotated[str, Form(max_length=10)] = "html") -> Response:
    archive = reader(request)
    if format not in FORMATS:
        raise HTTPException(400, f"format is one of {', '.join(FORMATS)}")
    try:
        result = _xref(request, archive, file, dataset)
    except BadRequest as exc:
        return _page(request, archive, None, dataset or [], error=str(exc), status=400)
    if format == "csv":
        return _csv(result)
    return _page(request, archive, result, result.datasets)


API_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The matches of each row (as `trawl xref --json`), or with format=csv "
                         "the CSV: one line per row and match",
          "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}}},
    413: {"description": f"The list is larger than {MAX_UPLOAD // 1_000_000} MB",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
}


@api.post("/xref", summary="Cross-reference a list: every entity of the caller's datasets "
          "that each row of a CSV (names, e-mails, phones, URLs, handles) names, with counts "
          "and links; JSON, or CSV with format=csv (one line per row and match)",
          responses=API_RESPONSES)
def xref_api(request: Request, file: Upload, dataset: Datasets = None,
             format: Annotated[str, Form(pattern="^(json|csv)$")] = "json") -> Response:
    archive = reader(request)
    try:
        result = _xref(request, archive, file, dataset)
    except BadRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    if format == "csv":
        return _csv(result)
    return JSONResponse(result.as_json())


def _xref(request: Request, archive: Archive, file: UploadFile,
          datasets: list[str] | None) -> XrefResult:
    if file.size is not None and file.size > MAX_UPLOAD:
        raise HTTPException(413, f"the list is larger than {MAX_UPLOAD // 1_000_000} MB")
    names = datasets or [d.name for d in archive.datasets()]
    if not names:
        raise BadRequest("there is no dataset to look in")
    first = archive.dataset(names[0])  # NotFound for one outside the scope, as for none
    region = EntityStore(archive.catalog).phone_region(first.id)
    listing = read_list(file.file, region)
    result = xref(archive, names, listing)
    for name in result.datasets:
        audit(request, "search", dataset=name, detail={
            "record": "xref", "rows": len(listing.rows), "matched_rows": result.matched_rows})
    return result


def _csv(result: XrefResult) -> Response:
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(result))   # escaped there against formulas
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": content_disposition("xref.csv")})


def _page(request: Request, archive: Archive, result: XrefResult | None, chosen: list[str],
          error: str = "", status: int = 200) -> HTMLResponse:
    context: dict[str, Any] = {
        "datasets": [d.name for d in archive.datasets()], "chosen": set(chosen),
        "result": result, "rows": [], "error": error, "max_rows": MAX_ROWS,
        "max_mb": MAX_UPLOAD // 1_000_000, "shown_rows": SHOWN_ROWS,
        "csrf": caller(request).csrf}
    if result is not None:
        use_language(request)  # the kinds' names are made here, in the reader's language
        context["rows"] = [r for r in result.rows if r.matches][:SHOWN_ROWS]
        context["compared"] = [c for c in result.listing.columns if c.kind]
        context["kind_names"] = kind_names()
    return render_page(request, "xref.html", context, status_code=status)


def kind_names() -> dict[str, str]:
    """Each kind in the reader's language (written out, so that pybabel finds each)."""
    return {"name": _("name"), "email": _("e-mail"), "phone": _("phone"), "url": _("URL"),
            "domain": _("domain"), "ip": _("IP address"), "handle": _("account"),
            "person": _("person"), "org": _("organisation"), "place": _("place")}
