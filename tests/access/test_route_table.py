"""The authorization matrix, derived from the route table: no route escapes it.

test_matrix.py says, route by route, what each caller must get. This test reads the app's
own routes, so that a route added tomorrow is checked the day it lands:

* every GET route with path parameters is probed with the private dataset's values (its
  name, its note, its table, its row, its entity...) and with values that exist nowhere: a
  caller who may not read the dataset must get the very answer the missing values get, and
  an admin must get a page (so the probe is known to point at something real);
* every GET route without parameters must not show a word of the private dataset to a
  caller who may not read it; an administration route refuses everyone but admins;
* every administration route of another method (POST) refuses a signed-in reader who holds
  a valid CSRF token, and changes nothing; every other route of another method must be named
  in `OTHER_METHODS` with the test that checks who may call it.

A route with a parameter this test does not know fails until a probe value is added here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_matrix import MISSING_DOC, get

from trawl.storage.catalog import Catalog

SECRET = "secret"
MISSING_DATASET = "no-such-set"
NOT_READING_SECRET = ("anonymous", "reader", "journalist", "member")
# Routes of other methods, and the test (tests/access or tests/web) that checks their callers.
OTHER_METHODS = {
    ("POST", "/login"): "test_sessions.py::test_sign_in_and_out",
    ("POST", "/logout"): "test_sessions.py::test_state_changes_need_the_session_csrf_token",
    ("POST", "/xref"): "test_matrix.py::test_the_xref_page_offers_the_readable_datasets",
    ("POST", "/api/xref"): "test_matrix.py::test_xref_finds_entities_of_readable_datasets_only",
    # Tags and notes: a stranger gets the 404 of a missing document; redacted readers 403.
    ("POST", "/annotate"): "test_annotations_browser.py::test_tag_with_autocomplete_and_note",
    ("POST", "/api/documents/{doc_id}/tags"):
        "test_annotation_access.py::test_a_stranger_gets_what_a_missing_document_gets",
    ("DELETE", "/api/documents/{doc_id}/tags/{tag}"):
        "test_annotation_access.py::test_a_stranger_gets_what_a_missing_document_gets",
    ("POST", "/api/documents/{doc_id}/notes"):
        "test_annotation_access.py::test_redacted_and_anonymous_readers_neither_write_nor_see",
    ("POST", "/api/tables/{table_id}/rows/{row}/tags"):
        "test_annotation_access.py::test_rows_are_tagged_and_found",
    ("DELETE", "/api/tables/{table_id}/rows/{row}/tags/{tag}"):
        "test_annotation_access.py::test_rows_are_tagged_and_found",
    ("POST", "/api/tables/{table_id}/rows/{row}/notes"):
        "test_annotation_access.py::test_rows_are_tagged_and_found",
    ("PUT", "/api/notes/{note_id}"):
        "test_annotation_access.py::test_only_the_author_changes_a_note_and_writes_are_audited",
    ("DELETE", "/api/notes/{note_id}"):
        "test_annotation_access.py::test_only_the_author_changes_a_note_and_writes_are_audited",
    ("POST", "/saved"):
        "test_saved_access.py::test_the_search_page_saves_a_search_with_its_csrf_token",
    ("POST", "/saved/{saved_id}/run"):
        "test_saved_access.py::test_the_search_page_saves_a_search_with_its_csrf_token",
    ("POST", "/saved/{saved_id}/delete"):
        "test_saved_access.py::test_the_search_page_saves_a_search_with_its_csrf_token",
    ("POST", "/api/saved"): "test_saved_access.py::test_save_list_run_and_delete_through_the_api",
    ("POST", "/api/saved/{saved_id}/run"):
        "test_saved_access.py::test_save_list_run_and_delete_through_the_api",
    ("DELETE", "/api/saved/{saved_id}"):
        "test_saved_access.py::test_save_list_run_and_delete_through_the_api",
}
# Routes of originals, which a reader of a redacted view is refused (403).
ORIGINALS = {"/api/search/export.zip"}
# An account's own things (saved searches): an anonymous caller is asked to sign in (401).
ACCOUNT_ONLY = {"/api/saved"}
# Pages that are the same for everyone (no dataset's data in them).
PUBLIC_STATIC = {"/login", "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"}


DISTINCT = ("doc_id", "table_id", "entity_id", "job_id", "thread_id", "cluster_id", "name",
            "path", "folder")
# Routes that serve one kind of document: the private dataset's document of that kind.
DOCUMENT_OF_KIND = {
    "/documents/{doc_id}/frame": "media/secret-page.html",
    "/documents/{doc_id}/preview": "media/secret-photo.png",
    "/documents/{doc_id}/pages/{page}.png": "media/secret-bulletin.pdf",
    "/documents/{doc_id}/pages/{page}/marks": "media/secret-bulletin.pdf",
}
# Required query parameters, by name: the value the probe gives them.
# `a`, `b`: two sources (top folders) of a dataset, those the private bulletin is in.
QUERY_PROBES = {"name": "people", "a": "reposted", "b": "bulletins"}


def routes(app) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers (this FastAPI wraps each
    `include_router` in an object without a path of its own)."""
    for method, path, _ in _walk(app.routes, ""):
        yield method, path


def required_query(app) -> dict[str, str]:
    """path -> the query string its required query parameters need."""
    out = {}
    for _, path, route in _walk(app.routes, ""):
        dependant = getattr(route, "dependant", None)
        names = [q.alias for q in getattr(dependant, "query_params", [])
                 if q.field_info.is_required()]
        for name in names:
            assert name in QUERY_PROBES, f"{path}: no probe for its query parameter {name!r}"
        if names:
            out[path] = "?" + "&".join(f"{n}={QUERY_PROBES[n]}" for n in names)
    return out


def _walk(items, prefix: str) -> Iterator[tuple[str, str, object]]:
    for route in items:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, prefix + route.path, route


@pytest.fixture(scope="session")
def probes(archive, notes, tables) -> dict[str, tuple[str, str]]:
    """For each path parameter: (a value that names something of the private dataset, a value
    that names nothing)."""
    catalog = Catalog(archive.catalog_path, readonly=True)
    secret_id = catalog.dataset(SECRET).id
    entity = _an_entity(catalog, secret_id)
    thread = _a_thread(catalog, secret_id)
    cluster = _a_cluster(catalog, secret_id)
    catalog.close()
    job = _a_job(archive)
    return {
        "name": (SECRET, MISSING_DATASET),
        "doc_id": (notes[SECRET], MISSING_DOC),
        "table_id": (str(tables[SECRET]), "987654321"),
        "row": ("1", "1"),
        "page": ("1", "1"),
        "path": (f"notes/{SECRET}-note.txt", f"notes/{SECRET}-note.txt"),
        "folder": ("notes", "notes"),
        "entity_id": (str(entity), "987654321"),
        "job_id": (str(job), "987654321"),
        "thread_id": (thread, "t" + "0" * 15),
        "cluster_id": (str(cluster), "987654321"),
    }


def _a_job(archive) -> int:
    """A publishing job that changes nothing (the private dataset stays private)."""
    from trawl.derive.jobs import JobRunner

    runner = JobRunner(archive)
    try:
        job = runner.publish(SECRET, "private", requested_by="admin")
        assert runner.wait(job.id) is not None
    finally:
        runner.stop()
    return job.id


def _document(archive, path: str) -> str:
    from trawl.storage.catalog import document_id

    catalog = Catalog(archive.catalog_path, readonly=True)
    row = catalog.file_by_path(catalog.dataset(SECRET).id, path)
    catalog.close()
    assert row is not None and row.sha256, path
    return document_id(SECRET, row.sha256)


def _an_entity(catalog: Catalog, dataset_id: int) -> int:
    from trawl.storage.entities import EntityStore

    found = EntityStore(catalog).listing(dataset_id, ["email"], limit=1)
    assert found, "the private dataset's note names an e-mail address: it is an entity"
    return found[0].id


def _a_thread(catalog: Catalog, dataset_id: int) -> str:
    from trawl.storage.threads import ThreadStore

    found, _total = ThreadStore(catalog).listing(dataset_id, None, 0, 1)
    assert found, "the private dataset holds a conversation: it is a thread"
    return found[0].id


def _a_cluster(catalog: Catalog, dataset_id: int) -> int:
    from trawl.storage.neardup import NearDupStore

    found = NearDupStore(catalog).clusters(dataset_id, limit=1)
    assert found, "the private bulletin is re-posted in a second folder: it is a cluster"
    return found[0].id


def _url(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, (f"{path}: the route table matrix has no probe for the "
                                f"parameter {name!r}: add one to `probes`")
        return values[name]

    return re.sub(r"\{([^}]+)\}", value, path)


def _admin_only(path: str) -> bool:
    return path.startswith(("/admin", "/api/admin"))


def test_the_route_table_is_read_whole(app):
    """Not vacuous: the walk finds the pages and the API of every router."""
    found = set(routes(app))
    assert {("GET", "/documents/{doc_id}"), ("GET", "/api/search"), ("GET", "/admin"),
            ("POST", "/login")} <= found


def test_routes_of_other_methods_are_each_checked_somewhere(app):
    others = {(m, p) for m, p in routes(app) if m != "GET" and not _admin_only(p)}
    assert others <= set(OTHER_METHODS), sorted(others - set(OTHER_METHODS))
    here = Path(__file__).parent
    for checked_by in OTHER_METHODS.values():
        file, _, name = checked_by.partition("::")
        assert f"def {name}(" in (here / file).read_text(), checked_by


def test_administration_posts_refuse_a_signed_in_reader(browser_client, app, archive):
    from test_sessions import csrf_of, sign_in

    from trawl.access.store import AccessStore

    sign_in(browser_client, "reader")
    token = csrf_of(browser_client)
    posts = [p for m, p in routes(app) if m == "POST" and _admin_only(p)]
    assert posts, "the administration has forms"
    for path in posts:
        response = browser_client.post(
            _url(path, {"name": SECRET}),
            data={"csrf": token, "visibility": "public", "principal": "user", "who": "reader"})
        assert response.status_code in (403, 404), path
    catalog = Catalog(archive.catalog_path, readonly=True)
    assert catalog.dataset(SECRET).visibility == "private"
    catalog.close()
    store = AccessStore(archive.access_path)
    assert not list(store.grants(SECRET))
    store.close()


def test_every_parametrised_route_hides_the_private_dataset(web, callers, app, archive,
                                                            probes):
    checked, queries = 0, required_query(app)
    for method, path in sorted(set(routes(app))):
        if method != "GET" or "{" not in path:
            continue
        query = queries.get(path, "")
        values = {k: v[0] for k, v in probes.items()}
        if path in DOCUMENT_OF_KIND:
            values["doc_id"] = _document(archive, DOCUMENT_OF_KIND[path])
        secret = _url(path, values) + query
        absent = {k: v[1] for k, v in probes.items()}
        missing = _url(path, absent) + query
        answer = get(web, callers["admin"], secret)
        assert answer.status_code == 200 or (answer.status_code == 303 and "/login" not in
                                             answer.headers["location"]), \
            f"{secret}: the probe must point at something ({answer.status_code})"
        for who in NOT_READING_SECRET:
            response, control = get(web, callers[who], secret), get(web, callers[who], missing)
            assert response.status_code == control.status_code, (who, secret)
            if not _admin_only(path):
                assert response.status_code in (303, 401, 404), (who, secret)
            assert _without(response.text, path, values) == \
                _without(control.text, path, absent), (who, secret)
        checked += 1
    assert checked >= 15


def _without(text: str, path: str, values: dict[str, str]) -> str:
    """The text with the values that tell one probe from the other blanked: those of the
    route's parameters, as an error page may repeat what was asked. Whole values only: a
    short id (cluster 6) is not blanked inside the hashed names of static files."""
    used = {n.split(":")[0] for n in re.findall(r"\{([^}]+)\}", path)}
    # The static files' names carry a hash of their content, the same on both pages: a
    # short value (a cluster id "6") may be inside one and must not be blanked there.
    text = re.sub(r'/static/[\w./-]+', "/static/FILE", text)
    for name in sorted(used & set(DISTINCT), key=lambda n: -len(values[n])):
        text = re.sub(rf"(?<![0-9a-zA-Z]){re.escape(values[name])}(?![0-9a-zA-Z])",
                      f"<{name}>", text)
    return text


def test_every_route_without_parameters_hides_the_private_dataset(web, callers, app, notes):
    """Bare, and with a query that finds every dataset's note (routes ignore what they do not
    read, so each list, search and export is asked for the word)."""
    shown_to_admin = 0
    for method, path in sorted(set(routes(app))):
        if method != "GET" or "{" in path or path in PUBLIC_STATIC:
            continue
        admin = get(web, callers["admin"], f"{path}?q=zebracorn&limit=50")
        shown_to_admin += notes[SECRET] in admin.text
        for who in NOT_READING_SECRET:
            for url in (path, f"{path}?q=zebracorn&limit=50"):
                response = get(web, callers[who], url)
                if _admin_only(path):
                    assert response.status_code in (303, 401, 403), (who, url)
                    continue
                # 403: originals (a zip export) refused to a reader of a redacted view.
                assert response.status_code in (200, 303, 400) or \
                    (response.status_code == 403 and path in ORIGINALS) or \
                    (response.status_code == 401 and path in ACCOUNT_ONLY), (who, url)
                assert notes[SECRET] not in response.text, (who, url)
                assert f"zebracorn {SECRET}" not in response.text, (who, url)
                assert f"{SECRET}-note" not in response.text, (who, url)
    assert shown_to_admin >= 2, "the probe words are found where the dataset may be read"
