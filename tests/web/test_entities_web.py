"""The entity pages and their API on the real ingestion of the sample dump (sample_data.py):
one desk's e-mail address and phone number in a two-page bulletin, a mail, a text full of
markup and a registration table; counts, sorts, search, records by source, the histogram,
co-occurring entities, and the marks of mentions in a document's text."""

from __future__ import annotations

import html
import re

import pytest
from sample_data import DESK_EMAIL, DESK_PHONE

from trawl.web.entities import marked_text
from trawl.web.highlight import query_patterns

MARK = re.compile(r'<a class="entity entity-(\w+)" href="/entities/(\d+)" '
                  r'data-entity="(\d+)">(.*?)</a>', re.S)


@pytest.fixture(scope="module")
def listed(client) -> dict[tuple[str, str], dict]:
    body = client.get("/api/datasets/sample/entities", params={"limit": 200}).json()
    return {(e["kind"], e["value"]): e for e in body["entities"]}


@pytest.fixture(scope="module")
def desk(listed) -> dict:
    return listed[("email", DESK_EMAIL)]


def test_the_list_counts_documents_rows_and_sources(client, listed, desk):
    assert desk["documents"] == 3 and desk["rows"] == 1 and desk["sources"] == 2
    assert sorted(desk["spellings"]) == ["Desk@Fusion.example", DESK_EMAIL]
    phone = listed[("phone", DESK_PHONE)]
    assert (phone["documents"], phone["rows"], phone["sources"]) == (2, 1, 2)
    assert set(phone["spellings"]) == {"(404) 555-0199", "404-555-0199", "404.555.0199"}
    for e in listed.values():
        assert set(e) == {"id", "kind", "value", "key", "spellings", "documents", "rows",
                          "sources"}
        assert all(isinstance(e[k], int) for k in ("documents", "rows", "sources"))
    page = client.get("/datasets/sample/entities").text
    row = re.search(rf'<tr class="entity-row" data-entity="{desk["id"]}">(.*?)</tr>', page,
                    re.S).group(1)
    assert f'href="/entities/{desk["id"]}">{DESK_EMAIL}</a>' in row
    assert re.findall(r'<td class="num"[^>]*>(\d+)</td>', row) == ["3", "1", "2"]
    assert "appears in 2 sources" in row
    assert 'href="/datasets/sample/entities"' in client.get("/datasets/sample").text


def test_sorting_kinds_and_search(client, listed):
    def values(**params) -> list[str]:
        body = client.get("/api/datasets/sample/entities", params=params).json()
        return [e["value"] for e in body["entities"]]

    everything = list(listed.values())
    by_sources = values()
    assert by_sources[0] == "analyst@ncric.example"  # three sources, the most
    top = max(everything, key=lambda e: (e["documents"] + e["rows"], e["sources"]))
    assert values(sort="documents")[0] == top["value"] == DESK_EMAIL
    assert values(sort="name") == sorted(by_sources, key=str.lower)
    assert set(values(kind="phone")) == {DESK_PHONE}
    assert set(values(kind="email")) == {v for k, v in listed if k == "email"}
    # A piece of the value or of a spelling, in any case; LIKE's wildcards are plain text.
    assert set(values(q="FUSION")) == {DESK_EMAIL, "fusion.example", "fusion.example/alerts/42"}
    assert values(q="(404) 555") == [DESK_PHONE]
    assert values(q="%") == values(q="_") == []
    # Pages: a page, then the next, is the whole list in order.
    first = client.get("/api/datasets/sample/entities", params={"limit": 3}).json()
    rest = client.get("/api/datasets/sample/entities",
                      params={"limit": 200, "offset": 3}).json()
    assert first["more"] and first["total"] == len(everything)
    assert [e["value"] for e in first["entities"] + rest["entities"]] == by_sources
    page = client.get("/datasets/sample/entities", params={"kind": "phone", "q": "404"}).text
    assert DESK_PHONE in page and DESK_EMAIL not in page


@pytest.mark.parametrize("params", [{"kind": "nope"}, {"sort": "size"}, {"q": "x" * 201},
                                    {"limit": 0}, {"page": 0}])
def test_bad_parameters_are_400(client, params):
    if "page" not in params:
        api = client.get("/api/datasets/sample/entities", params=params)
        assert api.status_code == 400 and api.json()["error"]
    if "limit" not in params:
        assert client.get("/datasets/sample/entities", params=params).status_code == 400


def test_an_entity_page_groups_its_records_by_source(client, docs, desk):
    page = client.get(f"/entities/{desk['id']}").text
    groups = re.findall(r'<section class="mention-group" data-source="([^"]*)">', page)
    assert groups == ["bulletins", "ncric"]
    bulletin = docs["bulletins/fusion-bulletin.pdf"]
    assert f'href="/documents/{bulletin}?page=1#page-1"' in page
    assert f'href="/documents/{bulletin}?page=2#page-2"' in page
    assert f'/documents/{docs["bulletins/desk-mail.eml"]}"' in page
    assert f'/documents/{docs["bulletins/hostile-contacts.txt"]}"' in page
    row = re.search(r'href="(/tables/\d+/rows/1)">ncric/registrations.csv</a>', page)
    assert row and client.get(row.group(1)).status_code == 200
    assert "appears in 2 sources" in page
    assert "Desk@Fusion.example" in page  # its spellings
    # One source only, and a source that does not mention it.
    ncric = client.get(f"/entities/{desk['id']}", params={"source": "ncric"}).text
    assert re.findall(r'data-source="([^"]*)"', ncric) == ["ncric"]
    assert "fusion-bulletin.pdf" not in ncric.split("entity-mentions")[1]
    assert client.get(f"/entities/{desk['id']}", params={"source": "atlanta"}).status_code == 404


def test_the_histogram_and_the_entities_that_appear_with_it(client, listed, desk):
    page = client.get(f"/entities/{desk['id']}").text
    # The timeline of the search `entity=ID` (web/timeline.py): the mail of March 2019 and
    # the bulletin of June 2020, each bar a link to the search of its dates.
    bars = re.findall(r'data-start="([\d-]+)" data-end="[\d-]+">[^<]+</a></td>'
                      r'<td class="num">(\d+)</td>', page)
    assert bars == [("2019-03-01", "1"), ("2020-06-01", "1")]  # by month: 16 months
    assert f"entity={desk['id']}" in page.split('id="timeline"', 1)[1]
    phone = listed[("phone", DESK_PHONE)]
    assert f'<a href="/entities/{phone["id"]}">{DESK_PHONE}</a>' in page


def test_the_entity_api(client, docs, desk):
    body = client.get(f"/api/entities/{desk['id']}").json()
    assert {k: body[k] for k in ("id", "kind", "value", "documents", "rows", "sources")} == \
        {k: desk[k] for k in ("id", "kind", "value", "documents", "rows", "sources")}
    assert body["dataset"] == "sample" and body["mentions_total"] == len(body["mentions"]) == 5
    for m in body["mentions"]:
        assert m["source"] == m["path"].split("/")[0]
        if "document_id" in m:
            assert docs[m["path"]] == m["document_id"]
        else:
            assert m["table_id"] and m["row"] == 1 and m["path"] == "ncric/registrations.csv"
    pages = sorted(m["page"] for m in body["mentions"]
                   if m.get("document_id") == docs["bulletins/fusion-bulletin.pdf"])
    assert pages == [1, 2]
    assert body["by_source"] == [{"source": "bulletins", "documents": 3, "rows": 0},
                                 {"source": "ncric", "documents": 0, "rows": 1}]
    assert body["histogram"] == [{"month": "2019-03", "documents": 1},
                                 {"month": "2020-06", "documents": 1}]
    assert DESK_PHONE in {c["value"] for c in body["cooccurring"]}
    one = client.get(f"/api/entities/{desk['id']}", params={"limit": 2, "offset": 4}).json()
    assert one["mentions"] == body["mentions"][4:]
    missing = client.get("/api/entities/987654321")
    assert missing.status_code == 404 and missing.json() == {"error": "no entity 987654321"}
    assert client.get("/api/entities/abc").status_code == 400
    spec = client.get("/openapi.json").json()["paths"]
    assert "/api/entities/{entity_id}" in spec
    names = {p["name"] for p in spec["/api/datasets/{name}/entities"]["get"]["parameters"]}
    assert {"kind", "sort", "q", "offset", "limit"} <= names


def test_mentions_are_marked_at_their_offsets_in_the_text(client, docs, desk):
    body = client.get(f"/api/entities/{desk['id']}", params={"limit": 200}).json()
    bulletin = docs["bulletins/fusion-bulletin.pdf"]
    page = client.get(f"/documents/{bulletin}").text
    marks = MARK.findall(page)
    email_marks = [(int(e), html.unescape(t)) for k, e, _i, t in marks if k == "email"]
    assert email_marks == [(desk["id"], DESK_EMAIL), (desk["id"], DESK_EMAIL)]
    text = client.get(f"/api/documents/{bulletin}").json()["text"].split("\n\f")
    for m in body["mentions"]:
        if m.get("document_id") == bulletin:
            assert text[m["page"] - 1][m["start"]:m["end"]] == m["text"]
    assert ("phone", "(404) 555-0199") in {(k, html.unescape(t)) for k, _e, _i, t in marks}
    assert ("url", "https://fusion.example/alerts/42") in {(k, t) for k, _e, _i, t in marks}


def test_marks_in_hostile_text_are_escaped(client, docs, desk):
    page = client.get(f"/documents/{docs['bulletins/hostile-contacts.txt']}").text
    text = page.split('<pre class="text">', 1)[1].split("</pre>", 1)[0]
    assert "<svg" not in text and "<b>" not in text and "<img" not in text
    assert (f'&lt;b&gt;<a class="entity entity-email" href="/entities/{desk["id"]}" '
            f'data-entity="{desk["id"]}">{DESK_EMAIL}</a>&lt;/b&gt; &amp; ') in text
    assert "&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt; &#34;&gt;&lt;svg" in text
    # With a query, its words are marked between the entity marks.
    queried = client.get(f"/documents/{docs['bulletins/hostile-contacts.txt']}",
                         params={"q": "watch"}).text
    assert "<mark>watch</mark>" in queried and len(MARK.findall(queried)) == 2


def test_marked_text_builds_markup_from_escaped_pieces_only():
    text = "<i>a@b.org</i> & x.org <script>"
    spans = [(1, "email", 3, 10), (2, "domain", 5, 10),   # inside the first: left out
             (3, "domain", 17, 22), (4, "url", 19, 99)]    # overlapping, beyond the text
    out = str(marked_text(text, spans, query_patterns("script")))
    assert out == ('&lt;i&gt;<a class="entity entity-email" href="/entities/1" '
                   'data-entity="1">a@b.org</a>&lt;/i&gt; &amp; <a class="entity '
                   'entity-domain" href="/entities/3" data-entity="3">x.org</a> '
                   '&lt;<mark>script</mark>&gt;')
    hostile_kind = str(marked_text("ab", [(1, '"><script>', 0, 2)], []))
    assert "<script>" not in hostile_kind and "&#34;&gt;&lt;script&gt;" in hostile_kind
    assert str(marked_text("<b>", [], [])) == "&lt;b&gt;"


def test_the_entity_pages_in_french(client, desk):
    french = {"Accept-Language": "fr"}  # not ?lang=fr: its cookie would stay on `client`
    listing = client.get("/datasets/sample/entities", headers=french).text
    assert "Entités de sample" in listing and "Adresse e-mail" in listing
    assert "apparaît dans 2 sources" in listing
    page = client.get(f"/entities/{desk['id']}", headers=french).text
    for french in ("Graphies", "Dates des documents qui le mentionnent", "Apparaît avec",
                   "table registrations, ligne 1"):
        assert french in page, french
    assert "Where it is mentioned" not in page
