"""The OpenAPI description says what the API really answers, errors included.

FastAPI documents a 422 with its own validation body on every operation; Trawl answers a
bad parameter with 400 and `{"error": "..."}` (app.py's handlers), as it does every error.
So the description is made once, then each operation gets the errors any of them may answer
(the schemathesis test in tests/access checks every answer against it):

* 400: a parameter or a query that cannot be read;
* 401: no session or token where one is needed (the API never redirects to a login page);
* 403: signed in, but an admin's operation, or an original a redacted reader may not have;
  or a tag or note where the caller does not read the dataset in full (anonymous, redacted);
* 404: nothing there, or nothing the caller may read: the very same answer, on purpose;
* 503: too many requests at once (with Retry-After).

Outside /api/ (originals, page images, previews: what a browser opens) an error is a page.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERRORS = {
    "400": "A parameter or the query cannot be read (the message says which).",
    "401": "Sign in, or send an API token (`Authorization: Bearer ...`).",
    "403": "Not for this account: an admin's operation, an original that a reader of "
           "the redacted view may not download, or a tag or note on a dataset the caller "
           "does not read in full (tags and notes are for signed-in readers of the full "
           "text).",
    "404": "Nothing there, or nothing this caller may read: the same answer for both.",
    "503": "Too many requests at once: try again after `Retry-After` seconds.",
}
ERROR_SCHEMA = {"type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"}}}


def describe_errors(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            app.openapi_schema = _with_errors(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _with_errors(schema: dict[str, Any]) -> dict[str, Any]:
    json_error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    # Outside /api/ (the originals, page images, previews a browser opens) an error is a page.
    page_error = {"text/html": {"schema": {"type": "string"}}}
    for path, operations in schema.get("paths", {}).items():
        error = json_error if path.startswith("/api/") else page_error
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, text in ERRORS.items():
                responses.setdefault(status, {"description": text, "content": error})
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Error"] = ERROR_SCHEMA
    return schema
