"""The authorization matrix: every kind of caller × every dataset visibility × every way in.

A dataset a caller may not read must not show through anything: search hits, totals, facet
counts, suggestions of a dataset name, document, text, page, download, table, row, export and
dataset pages, and the API. Where it is refused, the answer must be the very answer a
dataset or document that does not exist gets, so that not even the error tells.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from access_site import VISIBILITY, Caller

from trawl.index.base import ENTITY_KINDS
from trawl.storage.catalog import Catalog
from trawl.storage.entities import EntityStore

CALLERS = ("anonymous", "reader", "journalist", "member", "admin")
DATASETS = tuple(VISIBILITY)
MISSING_DOC = "f" * 64


def get(web, caller: Caller, url: str, **kwargs):
    return web.get(url, headers=caller.headers(), **kwargs)


def _same_refusal(response, control, secret: str, placeholder: str) -> None:
    """A refusal must equal the answer for something that does not exist."""
    assert response.status_code == control.status_code
    assert response.text.replace(secret, placeholder) == control.text


def each_caller_and_dataset():
    return [(c, d) for c in CALLERS for d in DATASETS]


# -- search --------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", CALLERS)
def test_search_reaches_exactly_the_readable_datasets(web, callers, who):
    caller = callers[who]
    readable = {d for d, a in caller.reads.items() if a != "none"}
    found = get(web, caller, "/api/search", params={"q": "zebracorn", "limit": 50}).json()
    assert {h["dataset"] for h in found["hits"]} == readable
    assert found["total"] == 2 * len(readable)  # its note and its people.csv
    # scores carry statistics of every dataset: an admin's only
    assert all((h["score"] is None) == (who != "admin") for h in found["hits"])
    every = get(web, caller, "/api/search", params={"q": "*", "limit": 1}).json()
    assert {v["value"] for v in every["facets"]["dataset"]} == readable
    for value in every["facets"]["dataset"]:  # counts add up to the total, nothing else
        assert value["count"] > 0
    assert sum(v["count"] for v in every["facets"]["dataset"]) == every["total"]


@pytest.mark.parametrize(("who", "dataset"), each_caller_and_dataset())
def test_a_dataset_filter_on_an_unreadable_dataset_is_a_missing_dataset(web, callers, who,
                                                                          dataset):
    caller = callers[who]
    response = get(web, caller, "/api/search", params={"q": "*", "dataset": dataset})
    if caller.reads[dataset] == "none":
        control = get(web, caller, "/api/search", params={"q": "*", "dataset": "no-such-set"})
        _same_refusal(response, control, dataset, "no-such-set")
        assert response.status_code == 400
    else:
        assert response.status_code == 200
        assert response.json()["total"] > 0


@pytest.mark.parametrize("who", CALLERS)
def test_rows_of_unreadable_tables_are_not_found(web, callers, tables, who):
    caller = callers[who]
    readable = {d for d, a in caller.reads.items() if a != "none"}
    every = get(web, caller, "/api/search",
                params={"q": "*", "record": "rows", "limit": 1}).json()
    assert {v["value"] for v in every["facets"]["dataset"]} == readable
    marked = get(web, caller, "/api/search",
                 params={"q": "zebracorn", "record": "rows", "limit": 50}).json()
    assert {h["dataset"] for h in marked["hits"]} == readable
    assert marked["total"] == 2 * len(readable)


def test_search_pages_show_no_unreadable_dataset(web, callers):
    page = get(web, callers["reader"], "/?q=zebracorn")
    assert page.status_code == 200
    assert "zebracorn open" in page.text.replace("<b>", "").replace("</b>", "") or \
        "open-note.txt" in page.text
    for hidden in ("shared", "secret"):
        assert f"{hidden}-note" not in page.text
        assert f'dataset={hidden}"' not in page.text


# -- entities in search ---------------------------------------------------------------------------
PERSONAL = ("email", "phone", "ip", "handle", "person")
NO_ENTITY = "999999999"


@pytest.fixture(scope="session")
def entities(archive) -> dict[int, tuple[str, str, str]]:
    """Every entity of the archive: id -> (dataset, kind, value)."""
    catalog = Catalog(archive.catalog_path, readonly=True)
    try:
        store = EntityStore(catalog)
        return {e.id: (name, e.kind, e.value) for name in DATASETS
                for e in store.listing(catalog.dataset(name).id, limit=10**6)}
    finally:
        catalog.close()


def _entity_id(entities, dataset: str, kind: str, value: str) -> int:
    return next(i for i, found in entities.items() if found == (dataset, kind, value))


@pytest.mark.parametrize("record", ["documents", "rows"])
@pytest.mark.parametrize("who", CALLERS)
def test_entity_facets_show_only_what_the_caller_may_see(web, callers, entities, who,
                                                         record):
    caller = callers[who]
    facets = get(web, caller, "/api/search",
                 params={"q": "*", "record": record, "limit": 1}).json()["facets"]
    shown = [v for kind in ENTITY_KINDS for v in facets[kind]]
    assert shown
    for value in shown:
        dataset, kind, written = entities[value["id"]]
        assert (value["kind"], value["value"]) == (kind, written)
        assert caller.reads[dataset] != "none", value
        if caller.reads[dataset] == "redacted":  # a public dataset's redacted view
            assert kind not in PERSONAL, value
    if "full" not in caller.reads.values():
        assert not any(facets[kind] for kind in PERSONAL)
    page = get(web, caller, "/", params={"q": "*", "record": record}).text
    for entity_id, (dataset, kind, _value) in entities.items():
        if caller.reads[dataset] == "none" or (caller.reads[dataset] == "redacted"
                                               and kind in PERSONAL):
            assert f'data-entity="{entity_id}"' not in page


@pytest.mark.parametrize(("who", "dataset"), each_caller_and_dataset())
def test_entity_filters_find_nothing_the_caller_may_not_see(web, callers, entities, who,
                                                            dataset):
    caller = callers[who]
    full = {d for d, a in caller.reads.items() if a == "full"}
    # The note's address, one entity in each dataset: found where it is read in full only.
    by_value = get(web, caller, "/api/search", params={
        "q": "email:leak.victim@example.org", "limit": 50}).json()
    assert {h["dataset"] for h in by_value["hits"]} == full
    phone = get(web, caller, "/api/search", params={
        "q": 'phone:"502.555.0147"', "limit": 50}).json()
    assert {h["dataset"] for h in phone["hits"]} == full
    entity_id = str(_entity_id(entities, dataset, "email", "leak.victim@example.org"))
    for params, control in (
            ({"q": "*", "entity": entity_id}, {"q": "*", "entity": NO_ENTITY}),
            ({"q": f"entity:{entity_id}"}, {"q": f"entity:{NO_ENTITY}"}),
            ({"q": "*", "entity": entity_id, "record": "rows"},
             {"q": "*", "entity": NO_ENTITY, "record": "rows"})):
        response = get(web, caller, "/api/search", params=params)
        if caller.reads[dataset] == "full" and params.get("record") != "rows":
            assert {h["dataset"] for h in response.json()["hits"]} == {dataset}
        else:
            # The very answer an entity that does not exist gets (the query echoed aside).
            other = get(web, caller, "/api/search", params=control)
            assert response.status_code == other.status_code == 200
            answer, expected = response.json(), other.json()
            assert answer.pop("query").replace(entity_id, NO_ENTITY) == expected.pop("query")
            assert answer == expected
            assert answer["total"] == 0


@pytest.mark.parametrize("who", CALLERS)
def test_a_public_datasets_rows_are_not_found_by_their_hidden_entities(web, callers, who):
    caller = callers[who]
    found = get(web, caller, "/api/search", params={
        "q": "email:ada.quill@open.example", "record": "rows"}).json()
    assert found["total"] == (1 if caller.reads["open"] == "full" else 0)


def test_a_redacted_reader_sees_and_filters_by_what_redaction_leaves(web, callers,
                                                                       entities):
    anonymous = callers["anonymous"]
    facets = get(web, anonymous, "/api/search", params={"q": "*", "limit": 1}).json()["facets"]
    visible = [v for kind in ("url", "domain") for v in facets[kind]]
    assert visible  # the generated portal links to sites: not personal, not masked
    one = visible[0]
    found = get(web, anonymous, "/api/search", params={"q": "*", "entity": str(one["id"])})
    assert found.json()["total"] == one["count"] > 0


# -- documents, their bytes and their pages ----------------------------------------------------
DOCUMENT_URLS = ("/api/documents/{id}", "/documents/{id}", "/documents/{id}/text")


@pytest.mark.parametrize(("who", "dataset"), each_caller_and_dataset())
def test_documents_of_unreadable_datasets_do_not_exist(web, callers, notes, who, dataset):
    caller = callers[who]
    doc_id = notes[dataset]
    for template in DOCUMENT_URLS:
        response = get(web, caller, template.format(id=doc_id))
        if caller.reads[dataset] == "none":
            control = get(web, caller, template.format(id=MISSING_DOC))
            _same_refusal(response, control, doc_id, MISSING_DOC)
            assert response.status_code in (404, 303)
        else:
            assert response.status_code == 200, template
            assert "zebracorn" in response.text


@pytest.mark.parametrize(("who", "dataset"), each_caller_and_dataset())
def test_originals_only_in_full(web, callers, notes, who, dataset):
    caller = callers[who]
    response = get(web, caller, f"/documents/{notes[dataset]}/original")
    expected = {"full": 200, "redacted": 403, "none": 404}[caller.reads[dataset]]
    assert response.status_code == expected
    if expected == 200:
        assert b"leak.victim@example.org" in response.content


@pytest.mark.parametrize("who", CALLERS)
def test_paths_of_unreadable_datasets_do_not_exist(web, callers, who):
    caller = callers[who]
    for dataset in DATASETS:
        for url in (f"/datasets/{dataset}", f"/api/datasets/{dataset}",
                    f"/datasets/{dataset}/browse/notes", f"/api/datasets/{dataset}/browse",
                    f"/datasets/{dataset}/files/notes/{dataset}-note.txt",
                    f"/datasets/{dataset}/problems", f"/datasets/{dataset}/tables",
                    f"/api/datasets/{dataset}/tables", f"/datasets/{dataset}/entities",
                    f"/api/datasets/{dataset}/entities",
                    f"/datasets/{dataset}/entities?kind=url&sort=name&q=fusion",
                    f"/api/datasets/{dataset}/entities?kind=url&sort=documents&q=fusion"):
            response = get(web, caller, url)
            if caller.reads[dataset] == "none":
                control = get(web, caller, url.replace(f"/{dataset}", "/no-such-set", 1)
                              .replace(f"{dataset}-note", "no-such-set-note"))
                assert response.status_code == control.status_code == 404, url
                assert response.text.replace(dataset, "no-such-set") == control.text, url
            else:
                assert response.status_code in (200, 303), url


@pytest.mark.parametrize("who", CALLERS)
def test_dataset_lists_show_the_readable_only(web, callers, who):
    caller = callers[who]
    readable = {d for d, a in caller.reads.items() if a != "none"}
    listed = get(web, caller, "/api/datasets").json()["datasets"]
    assert {d["name"] for d in listed} == readable
    for item in listed:
        assert item["access"] == caller.reads[item["name"]]
    page = get(web, caller, "/datasets").text
    for dataset in DATASETS:
        assert (f'href="/datasets/{dataset}"' in page) == (dataset in readable)


# -- tables --------------------------------------------------------------------------------------
TABLE_URLS = ("/tables/{id}", "/api/tables/{id}", "/tables/{id}/rows/1",
              "/api/tables/{id}/rows/1", "/tables/{id}/export.csv", "/tables/{id}/export.json")


@pytest.mark.parametrize("who", CALLERS)
def test_tables_of_unreadable_datasets_do_not_exist(web, callers, tables, who):
    caller = callers[who]
    missing = 987654
    for dataset, table_id in tables.items():
        for template in TABLE_URLS:
            response = get(web, caller, template.format(id=table_id))
            if caller.reads[dataset] == "none":
                control = get(web, caller, template.format(id=missing))
                _same_refusal(response, control, str(table_id), str(missing))
            else:
                assert response.status_code == 200, template


# -- entities ------------------------------------------------------------------------------------
ENTITY_URLS = ("/entities/{id}", "/api/entities/{id}", "/entities/{id}?page=2",
               "/api/entities/{id}?limit=1&offset=1")
MISSING_ENTITY = 987654321


@pytest.fixture(scope="session")
def entity_ids(web, callers) -> dict[str, dict[str, int]]:
    """Per dataset, the ids of its bulletin's entities (access_site.BULLETIN), as the admin
    sees them: the alerts URL and domain, the tips address, the form URL that holds it."""
    out = {}
    for name in DATASETS:
        found = get(web, callers["admin"], f"/api/datasets/{name}/entities",
                    params={"q": f"{name}-fusion.example", "limit": 50}).json()["entities"]
        by_value = {(e["kind"], e["value"]): e["id"] for e in found}
        out[name] = {
            "url": next(i for (k, v), i in by_value.items() if k == "url" and "bulletins" in v),
            "domain": by_value[("domain", f"alerts.{name}-fusion.example")],
            "email": by_value[("email", f"tips@{name}-fusion.example")],
            "form": next(i for (k, v), i in by_value.items() if k == "url" and "send" in v),
        }
    return out


@pytest.mark.parametrize(("who", "dataset"), each_caller_and_dataset())
def test_entities_of_unreadable_datasets_do_not_exist(web, callers, entity_ids, who, dataset):
    caller = callers[who]
    entity_id = entity_ids[dataset]["url"]
    for template in ENTITY_URLS:
        response = get(web, caller, template.format(id=entity_id))
        if caller.reads[dataset] == "none":
            control = get(web, caller, template.format(id=MISSING_ENTITY))
            _same_refusal(response, control, str(entity_id), str(MISSING_ENTITY))
            assert response.status_code in (404, 303), template
        else:
            assert response.status_code == 200, template
            assert f"{dataset}-fusion.example" in response.text


@pytest.mark.parametrize(("who", "dataset"), each_caller_and_dataset())
def test_personal_entities_exist_for_full_readers_only(web, callers, entity_ids, who,
                                                       dataset):
    """An e-mail address, and a URL that holds one, do not exist for a redacted reader: the
    same 404 as an id never used."""
    caller = callers[who]
    for kind in ("email", "form"):
        entity_id = entity_ids[dataset][kind]
        for template in ENTITY_URLS:
            response = get(web, caller, template.format(id=entity_id))
            if caller.reads[dataset] == "full":
                assert response.status_code == 200, template
                assert f"tips@{dataset}-fusion.example" in response.text
            else:
                control = get(web, caller, template.format(id=MISSING_ENTITY))
                _same_refusal(response, control, str(entity_id), str(MISSING_ENTITY))


PERSONAL = {"email", "phone", "ip", "handle", "person"}


@pytest.mark.parametrize("who", CALLERS)
def test_a_redacted_reader_sees_no_personal_entity_anywhere(web, callers, entity_ids, notes,
                                                            who):
    caller = callers[who]
    if caller.reads["open"] != "redacted":
        full = get(web, caller, "/api/datasets/open/entities", params={"limit": 200}).json()
        assert PERSONAL & {e["kind"] for e in full["entities"]}
        return
    listed = []
    for kind in (None, "email", "phone", "url", "domain", "ip", "handle", "person"):
        body = get(web, caller, "/api/datasets/open/entities",
                   params={"limit": 200, **({"kind": kind} if kind else {})}).json()
        assert body["total"] is None  # counting would read every entity: not for this view
        listed += body["entities"]
    assert listed and {e["kind"] for e in listed} <= {"url", "domain", "org", "place"}
    values = [e["value"] for e in listed] + [s for e in listed for s in e["spellings"]]
    assert not any("@" in v for v in values), values
    ids = {e["id"] for e in listed}
    assert entity_ids["open"]["url"] in ids and entity_ids["open"]["domain"] in ids
    assert entity_ids["open"]["email"] not in ids and entity_ids["open"]["form"] not in ids
    # Not by searching for it either, nor on the pages.
    for q in ("tips", "leak.victim", "@", "555"):
        found = get(web, caller, "/api/datasets/open/entities", params={"q": q}).json()
        assert not any(e["kind"] in PERSONAL for e in found["entities"]), q
    page = get(web, caller, "/datasets/open/entities?q=fusion").text
    assert "tips@" not in page and "alerts.open-fusion.example" in page
    # One visible entity: no personal co-occurring entity, no mention of a masked value.
    entity = get(web, caller, f"/api/entities/{entity_ids['open']['url']}").json()
    assert entity["cooccurring"], entity
    assert {c["kind"] for c in entity["cooccurring"]} <= {"url", "domain", "org", "place"}
    assert entity_ids["open"]["form"] not in {c["id"] for c in entity["cooccurring"]}
    assert "key" not in entity and "tips@" not in str(entity)
    assert entity["mentions"] and all(m["path"] == "bulletins/open-bulletin.txt"
                                      for m in entity["mentions"])
    html = get(web, caller, f"/entities/{entity_ids['open']['domain']}").text
    assert "tips@" not in html and "/entities/" + str(entity_ids["open"]["email"]) not in html
    # The masked text of a document marks no entity (its offsets are not the stored ones).
    bulletin = get(web, caller, "/api/search", params={"q": "bulletin fusion",
                                                        "dataset": "open"}).json()["hits"]
    doc = get(web, caller, f"/documents/{bulletin[0]['id']}").text
    assert 'class="entity' not in doc and "tips@open" not in doc


def test_full_readers_get_entity_marks_in_documents(web, callers, entity_ids):
    admin = callers["admin"]
    hits = get(web, admin, "/api/search", params={"q": "bulletin fusion",
                                                  "dataset": "secret"}).json()["hits"]
    doc = get(web, admin, f"/documents/{hits[0]['id']}").text
    assert f'href="/entities/{entity_ids["secret"]["email"]}"' in doc
    assert f'href="/entities/{entity_ids["secret"]["url"]}"' in doc


HUGE = "99999999999999999999999"    # beyond SQLite's signed 64-bit integers
INT64_MAX = 2**63 - 1


def _deep_cursor() -> str:
    import base64

    return base64.urlsafe_b64encode(b"[" * 3000).decode().rstrip("=")


@pytest.mark.parametrize("who", ("anonymous", "reader", "admin"))
def test_integers_beyond_sqlite_are_refused_before_sql(web, callers, tables, who):
    """Issue #19: ids, row numbers, filters and cursors too big for SQLite's INTEGER were
    a 500 ("Python int too large to convert to SQLite INTEGER"), for strangers too; the CSV
    export sent 200 and then cut the connection."""
    from trawl.search.tables import encode_cursor

    caller, table = callers[who], tables["open"]   # `people`: PersonID is an integer column
    refused = [
        "/api/tables/99999999999999999999999", "/tables/9223372036854775808",
        f"/api/tables/{table}/rows/{HUGE}", f"/tables/{table}/rows/{INT64_MAX + 1}",
        f"/api/tables/{table}?min.PersonID={HUGE}", f"/api/tables/{table}?max.PersonID=-{HUGE}",
        f"/api/tables/{table}?f.PersonID={HUGE}", f"/tables/{table}?min.PersonID={HUGE}",
        f"/api/tables/{table}?after={HUGE}",
        f"/api/tables/{table}?after={encode_cursor((None, INT64_MAX + 1))}",
        f"/api/tables/{table}?sort=PersonID&after={encode_cursor((2**64, 1))}",
        f"/api/tables/{table}?after={_deep_cursor()}",   # a RecursionError in json.loads
        f"/api/tables/{table}?limit=²", f"/tables/{table}/export.csv?limit=²",
        f"/tables/{table}/export.csv?min.PersonID={HUGE}",
        f"/tables/{table}/export.json?min.PersonID={HUGE}",
        f"/datasets/open/tables/union?name=people&after={encode_cursor((0, INT64_MAX + 1))}",
        f"/api/entities/{HUGE}", f"/entities/{INT64_MAX + 1}", "/entities/x",
        f"/api/datasets/open/entities?offset={HUGE}", "/datasets/open/entities?page=0",
    ]
    for url in refused:
        response = get(web, caller, url)
        assert response.status_code == 400, (url, response.status_code, response.text[:200])
        if url.startswith("/api/"):
            assert response.json()["error"], url
    assert "9223372036854775807" in get(
        web, caller, f"/api/tables/{table}?min.PersonID={HUGE}").json()["error"]
    # At the edge of the range, an id that does not exist is just not found.
    for url in (f"/api/tables/{INT64_MAX}", f"/tables/{INT64_MAX}", f"/entities/{INT64_MAX}",
                f"/api/entities/-{INT64_MAX}",
                f"/api/tables/{table}/rows/{INT64_MAX}", f"/tables/{table}/rows/-{INT64_MAX}"):
        assert get(web, caller, url).status_code == 404, url
    # A number written as a float is compared as a float, whatever its size.
    count = {bound: get(web, caller, f"/api/tables/{table}?min.PersonID={bound}").json()["count"]
             for bound in ("1e30", "-1e30", "1e400")}
    assert count == {"1e30": 0, "-1e30": 2, "1e400": 0}
    assert get(web, caller, f"/api/tables/{table}?min.PersonID={INT64_MAX}").json()["count"] == 0


def test_the_scoped_archive_gives_tables_only_inside_the_scope(archive, tables):
    """archive.tables decides for every way in: full, masked copy, or not found at all."""
    from trawl.access.policy import ReadScope
    from trawl.errors import NotFound
    from trawl.search.service import Archive

    whole = Archive(archive)
    try:
        scope = ReadScope(full=frozenset({"shared"}), redacted=frozenset({"open"}))
        scoped = whole.scoped(scope).tables
        assert scoped.reader("shared").index_view == "full"
        assert scoped.reader("open").index_view == "redacted"
        assert scoped.table(tables["shared"]).dataset == "shared"
        # A redacted reader's table comes from the masked copy: its people are masked.
        masked = scoped.reader("open").row(scoped.table(tables["open"]), 1)
        full = whole.tables.reader("open").row(whole.tables.table(tables["open"]), 1)
        assert "ada.quill@open.example" in full.values()
        assert "ada.quill@open.example" not in masked.values() and "Ada" not in masked.values()
        for refused in (lambda: scoped.reader("secret"), lambda: scoped.table(tables["secret"]),
                        lambda: scoped.table(987654)):
            with pytest.raises(NotFound):
                refused()
        with pytest.raises(NotFound, match="no dataset named 'secret'"):
            scoped.reader("secret")
        assert str(pytest.raises(NotFound, scoped.table, tables["secret"]).value) == \
            str(pytest.raises(NotFound, scoped.table, 987654).value).replace(
                "987654", str(tables["secret"]))
        # The unscoped archive is the owner at the terminal: everything, in full.
        assert whole.tables.reader("secret").index_view == "full"
        assert whole.tables.table(tables["secret"]).dataset == "secret"
    finally:
        whole.close()


# -- cross-referencing ---------------------------------------------------------------------------
def _xref_list(dataset: str) -> bytes:
    return (f"Name,Email\nAda Quill,ada.quill@{dataset}.example\n"
            "Leak,LEAK.VICTIM@example.org\nNobody,nobody@nowhere.example\n").encode()


def post_xref(web, caller: Caller, csv_bytes: bytes, datasets=(), url: str = "/api/xref"):
    return web.post(url, headers=caller.headers(), files={"file": ("list.csv", csv_bytes)},
                    data={"dataset": list(datasets)})


@pytest.mark.parametrize(("who", "dataset"), each_caller_and_dataset())
def test_xref_finds_entities_of_readable_datasets_only(web, callers, who, dataset):
    """An unreadable dataset is a dataset that does not exist; a redacted one has no
    personal kind (e-mails): its answer is that of a value that exists nowhere."""
    caller = callers[who]
    response = post_xref(web, caller, _xref_list(dataset), [dataset])
    access = caller.reads[dataset]
    if access == "none":
        control = post_xref(web, caller, _xref_list(dataset), ["no-such-set"])
        _same_refusal(response, control, dataset, "no-such-set")
        assert response.status_code == 404
        return
    assert response.status_code == 200
    rows = response.json()["rows"]
    found = [{m["value"] for m in r["matches"]} for r in rows]
    if access == "redacted":
        assert found == [set(), set(), set()]
    else:
        # Ada Quill is a person too now: the people table's FirstName + LastName.
        assert found == [{f"ada.quill@{dataset}.example", "Ada Quill"},
                         {"leak.victim@example.org"}, set()]
        assert all(m["dataset"] == dataset and m["url"] == f"/entities/{m['id']}"
                   for r in rows for m in r["matches"])


@pytest.mark.parametrize("who", CALLERS)
def test_xref_of_every_dataset_counts_the_readable_ones_only(web, callers, who):
    caller = callers[who]
    full = {d for d, a in caller.reads.items() if a == "full"}
    answer = post_xref(web, caller, _xref_list("secret")).json()
    assert set(answer["datasets"]) == {d for d, a in caller.reads.items() if a != "none"}
    ada, leak, nobody = answer["rows"]
    assert {m["dataset"] for m in leak["matches"]} == full
    assert {m["dataset"] for m in ada["matches"] if m["kind"] == "email"} == full & {"secret"}
    # the person Ada Quill is in every dataset's people table: found where read in full
    assert {m["dataset"] for m in ada["matches"] if m["kind"] == "person"} == full
    assert nobody["matches"] == []
    as_csv = web.post("/api/xref", headers=caller.headers(), data={"format": "csv"},
                      files={"file": ("list.csv", _xref_list("secret"))})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    for hidden in set(DATASETS) - full:
        assert f"ada.quill@{hidden}" not in as_csv.text.split("\n", 2)[2]  # past the list
        assert f"\n{hidden}," not in as_csv.text and f",{hidden}," not in as_csv.text


@pytest.mark.parametrize("who", CALLERS)
def test_the_xref_page_offers_the_readable_datasets(web, callers, who):
    caller = callers[who]
    page = get(web, caller, "/xref")
    assert page.status_code == 200   # `open` is public: strangers may use it too
    for dataset in DATASETS:
        offered = f'name="dataset" value="{dataset}"' in page.text
        assert offered == (caller.reads[dataset] != "none"), dataset
    answer = post_xref(web, caller, _xref_list("open"), url="/xref")
    assert answer.status_code == 200
    assert ("ada.quill@open.example</a>" in answer.text) == (caller.reads["open"] == "full")
    for hidden in (d for d, a in caller.reads.items() if a == "none"):
        assert f"leak.victim@example.org</a> <span class=\"muted small\">e-mail</span></td>\n" \
            f"    <td>{hidden}</td>" not in answer.text


def test_the_xref_form_needs_the_session_csrf_token(browser_client):
    from test_sessions import csrf_of, sign_in

    assert sign_in(browser_client, "journalist").status_code == 303
    files = {"file": ("list.csv", _xref_list("shared"))}
    refused = browser_client.post("/xref", files=files, data={"dataset": ["shared"]})
    assert refused.status_code == 403
    done = browser_client.post("/xref", files=files, data={
        "dataset": ["shared"], "csrf": csrf_of(browser_client), "format": "csv"})
    assert done.status_code == 200
    assert "ada.quill@shared.example,shared," in done.text


def test_a_list_that_cannot_be_read_is_a_400(web, callers):
    admin = callers["admin"]
    empty = post_xref(web, admin, b"", ["open"])
    assert empty.status_code == 400 and "the list is empty" in empty.json()["error"]
    page = post_xref(web, admin, b"", ["open"], url="/xref")
    assert page.status_code == 400 and "the list is empty" in page.text
    assert 'type="file"' in page.text   # the form again, to try another file
    no_file = web.post("/api/xref", headers=admin.headers(), data={"dataset": ["open"]})
    assert no_file.status_code == 400 and "file" in no_file.json()["error"]


def test_xref_is_in_the_openapi_description(web):
    spec = web.get("/openapi.json").json()
    operation = spec["paths"]["/api/xref"]["post"]
    assert "Cross-reference a list" in operation["summary"]
    assert "/xref" not in spec["paths"]  # the page and its form are not the API


def test_an_oversized_list_is_refused(web, callers):
    from trawl.web.xref import MAX_UPLOAD

    big = b"Email\n" + b"x@example.org\n" * (MAX_UPLOAD // 14 + 1)
    response = post_xref(web, callers["admin"], big, ["open"])
    assert response.status_code == 413 and "larger than 20 MB" in response.json()["error"]
    # A body larger than any form is refused before it is read, by its announced length.
    huge = web.post("/api/xref", headers={**callers["admin"].headers(), "content-type":
                                          "multipart/form-data; boundary=x",
                                          "content-length": str(10**9)}, content=b"--x--")
    assert huge.status_code == 413


# -- administration ------------------------------------------------------------------------------
@pytest.mark.parametrize("who", CALLERS)
def test_administration_is_for_admins(web, callers, who):
    caller = callers[who]
    for url in ("/admin", "/admin/audit", "/admin/audit/export", "/api/admin/audit",
                "/api/admin/jobs"):
        response = get(web, caller, url)
        if who == "admin":
            assert response.status_code == 200, url
        elif who == "anonymous":
            assert response.status_code in (303, 401), url
        else:
            assert response.status_code == 403, url


# -- what every response carries ----------------------------------------------------------------
def test_security_headers_on_every_kind_of_response(web, callers, notes, tables):
    admin, nobody = callers["admin"], callers["anonymous"]
    urls = [("/", admin), ("/login", nobody), (f"/documents/{notes['secret']}", admin),
            (f"/documents/{notes['secret']}", nobody), ("/api/search?q=zebracorn", nobody),
            (f"/documents/{notes['open']}/text", nobody), ("/admin", callers["reader"]),
            (f"/tables/{tables['open']}/export.csv", nobody), ("/no/such/page", nobody),
            ("/datasets/open/entities", nobody), (f"/entities/{MISSING_ENTITY}", nobody),
            ("/api/datasets/open/entities", nobody)]
    for url, caller in urls:
        headers = get(web, caller, url).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp or "sandbox" in csp, url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["referrer-policy"] == "no-referrer", url


def test_unknown_bearer_tokens_are_refused_not_anonymous(web):
    response = web.get("/api/search", params={"q": "zebracorn"},
                       headers={"Authorization": "Bearer trawl_not-a-real-token"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_document_id_prefix_finds_nothing_for_a_scoped_caller(web, callers, notes):
    caller = callers["journalist"]
    assert get(web, caller, f"/api/documents/{notes['shared']}").status_code == 200
    assert get(web, caller, f"/api/documents/{notes['shared'][:12]}").status_code == 404


def _ids(text: str) -> set[str]:
    return set(re.findall(r"[0-9a-f]{64}", text))


def test_hits_never_link_to_unreadable_documents(web, callers, notes):
    for who in CALLERS:
        caller = callers[who]
        page = get(web, caller, "/?q=zebracorn").text
        for dataset in DATASETS:
            if caller.reads[dataset] == "none":
                assert notes[dataset] not in _ids(page), (who, dataset)


def test_anonymous_with_nothing_public_is_asked_to_sign_in(tmp_path):
    """An archive with no public dataset shows a stranger nothing but the login page."""
    from fastapi.testclient import TestClient

    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.storage.datadir import DataDir
    from trawl.web.app import create_app

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "note.txt").write_text("zebracorn private only")
    data = DataDir.open(tmp_path / "data")
    ingester = Ingester(data, "only", IngestOptions(workers=1, quiet=True, ocr=False))
    try:
        ingester.ingest(dump)
    finally:
        ingester.close()
    with TestClient(create_app(data), follow_redirects=False) as client:
        page = client.get("/?q=zebracorn")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2F%3Fq%3Dzebracorn"
        api = client.get("/api/search", params={"q": "zebracorn"})
        assert api.status_code == 401
        assert "zebracorn" not in api.text
        assert client.get("/login").status_code == 200


def test_dataset_name_in_urls_is_quoted(web, callers):
    caller = callers["admin"]
    assert get(web, caller, f"/datasets/{quote('../secret', safe='')}").status_code == 404
