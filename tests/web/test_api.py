"""The JSON API against a real ingested data directory."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from trawl.index.base import ENTITY_KINDS

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def search(client, **params):
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_search_answers_total_hits_and_facets(client):
    body = search(client, q="surveillance")
    assert body["total"] >= 3
    assert len(body["hits"]) == min(body["total"], 10)
    paths = {h["path"] for h in body["hits"]}
    assert "hostile/hostile.eml" in paths
    assert "hostile/hostile.html" in paths
    for hit in body["hits"]:
        for key in ("id", "path", "title", "snippet", "page", "url", "dataset", "type"):
            assert key in hit
        assert hit["url"].startswith(f"/documents/{hit['id']}?q=surveillance")
    assert set(body["facets"]) == {"dataset", "source", "type", "year", "language", "ocr",
                                   "sender", "recipient_domain", *ENTITY_KINDS}
    # The message among the hits gives its sender's address, exact.
    assert any(f["value"].startswith("eve@") for f in body["facets"]["sender"])
    assert {"value": "sample", "count": body["total"]} in body["facets"]["dataset"]
    sources = {f["value"]: f["count"] for f in body["facets"]["source"]}
    assert sources["hostile"] >= 3


def test_snippet_is_highlighted_and_escaped(client):
    body = search(client, q="surveillance", source="hostile", type="email")
    hit = body["hits"][0]
    assert hit["path"] == "hostile/hostile.eml"
    assert "<mark>surveillance</mark>" in hit["snippet_html"]
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end].lower() == "surveillance"
    # The plain-text part holds a <script> tag: it comes back escaped, never as markup.
    assert "<script" not in hit["snippet_html"]
    assert "&lt;script&gt;" in hit["snippet_html"]


def test_paged_hit_has_page_and_other_pages(client, docs):
    body = search(client, q="crime", type="pdf")
    report = next(h for h in body["hits"] if h["path"].endswith("2021Week16CrimeReport.pdf"))
    assert report["page"] is not None
    assert len(report["pages"]) > 1, "several matching pages of one document, one result"
    assert report["pages"][0] == report["page"]
    url = urlsplit(report["url"])
    assert url.path == f"/documents/{report['id']}"
    assert parse_qs(url.query) == {"q": ["crime"], "page": [str(report["page"])]}
    assert url.fragment == f"page-{report['page']}"
    assert set(report["page_urls"]) == {str(p) for p in report["pages"]}
    assert sum(1 for h in body["hits"] if h["id"] == report["id"]) == 1


@pytest.mark.parametrize("query, path", [
    ('"fusion center"', "hostile/hostile.html"),
    ("surveillance AND drones", "hostile/hostile.eml/budget notes.txt"),
    ("drones OR equipment", "hostile/hostile.html"),
    ("type:email surveillance", "hostile/hostile.eml"),
    ("path:hostile budget", "hostile/hostile.eml"),
    ("from:eve", "hostile/hostile.eml"),
])
def test_query_syntax(client, query, path):
    body = search(client, q=query, limit=50)
    assert path in {h["path"] for h in body["hits"]}, (query, [h["path"] for h in body["hits"]])


def test_not_excludes(client):
    every = search(client, q="surveillance")["total"]
    body = search(client, q="surveillance NOT drones")
    assert body["total"] < every
    assert "hostile/hostile.eml/budget notes.txt" not in {h["path"] for h in body["hits"]}


def test_filters_and_facet_counts(client):
    body = search(client, q="*", type="pdf", limit=50)
    assert body["total"] >= 3
    assert all(h["type"] == "pdf" for h in body["hits"])
    assert body["facets"]["type"] == [{"value": "pdf", "count": body["total"]}]
    both = search(client, q="*", type=["pdf", "email"], limit=50)
    assert {h["type"] for h in both["hits"]} == {"pdf", "email"}
    same = search(client, q="*", filter="type:pdf", limit=50)
    assert same["total"] == body["total"]
    only_filters = search(client, source="atlanta")
    assert only_filters["total"] >= 2


def test_date_range_and_sort(client):
    in_2020 = search(client, q="*", date_from="2020-01-01", date_to="2020-12-31", limit=50)
    assert "hostile/hostile.eml" in {h["path"] for h in in_2020["hits"]}
    assert all(h["date"].startswith("2020") for h in in_2020["hits"])
    assert search(client, q="*", date_from="2020")["total"] >= in_2020["total"]
    assert search(client, q="*", date_to="2019-12")["total"] >= 0
    newest = search(client, q="*", sort="date_desc", limit=50)["hits"]
    dates = [h["date"] for h in newest if h["date"]]
    assert dates == sorted(dates, reverse=True)
    oldest = search(client, q="*", sort="date_asc", limit=50)["hits"]
    dates = [h["date"] for h in oldest if h["date"]]
    assert dates == sorted(dates)


def test_pagination(client):
    first = search(client, q="*", limit=5)
    second = search(client, q="*", limit=5, page=2)
    by_offset = search(client, q="*", limit=5, offset=5)
    assert first["total"] == second["total"] > 10
    assert second["page"] == 2 and second["offset"] == 5
    assert [h["id"] for h in second["hits"]] == [h["id"] for h in by_offset["hits"]]
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}


@pytest.mark.parametrize("params, words", [
    ({}, "empty query"),
    ({"q": "   "}, "empty query"),
    ({"q": "x" * 5000}, "5000 characters"),
    ({"q": "crime", "limit": "100000"}, "limit"),
    ({"q": "crime", "limit": "0"}, "limit"),
    ({"q": "crime", "offset": "-1"}, "negative"),
    ({"q": "crime", "offset": "999999999"}, "narrow the search"),
    ({"q": "crime", "page": "0"}, "page"),
    ({"q": "crime", "page": "abc"}, "page"),
    ({"q": "crime", "limit": "lots"}, "limit"),
    ({"q": "crime", "sort": "sideways"}, "sort"),
    ({"q": "crime", "date_from": "yesterday"}, "date_from"),
    ({"q": "crime", "date_from": "2021-02-30"}, "date_from"),
    ({"q": "crime", "date_from": "2022", "date_to": "2021"}, "after"),
    ({"q": "crime", "year": "nineteen"}, "year"),
    ({"q": "crime", "status": "bogus"}, "status is one of indexed, failed, skipped"),
    ({"q": "crime", "ocr": "maybe"}, "ocr is yes"),
    ({"q": "crime", "dataset": "nope"}, "nope"),
    ({"q": "crime", "filter": "colour:red"}, "unknown filter"),
    ({"q": "crime", "filter": "nocolon"}, "name:value"),
    ({"q": "crime", "colour": "red"}, "unknown parameter"),
    ({"q": "colour:red"}, "unknown field"),
    ({"q": '"unterminated'}, "syntax"),
    ({"q": "(crime"}, "syntax"),
    ({"q": "crime\x00"}, "NUL"),
    ({"q": "NOT"}, "only excludes"),
    ({"q": "NOT crime"}, "only excludes"),
    ({"q": "-crime", "record": "rows"}, "only excludes"),
])
def test_bad_queries_get_a_400_with_a_message(client, params, words):
    response = client.get("/api/search", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert words.lower() in error.lower()


FUZZ = ['"', "(", ")", "AND", "OR", "NOT", "NOT crime", "-crime", "crime AND", "type:", ":",
        "[a TO", "[a TO b]", "title:[a TO z]", "year:[2019 TO 2021]", "\\", "^2", "a^", "~",
        "*crime", "?", "c?ime", "{", "}", "/regex/", "&&", "||", "!", "x " * 1000, "é", "日本",
        "🙂", "date:2020", "size:>10", "((((((((((a))))))))))", "(" * 500, '"a" "b" ~ ^ * :',
        "NOT NOT NOT", "+crime -police", "year:abc", "crim*", "crme~", "crme~2", "%", "_",
        "<script>alert(1)</script>", "' OR 1=1 --", "\r\n", "\t"]


@pytest.mark.parametrize("q", FUZZ)
def test_no_query_is_a_server_error(client, q):
    api = client.get("/api/search", params={"q": q})
    assert api.status_code in (200, 400), (q, api.text)
    assert ("error" in api.json()) == (api.status_code == 400)
    page = client.get("/", params={"q": q})
    assert page.status_code in (200, 400)
    assert "<script>alert(1)</script>" not in page.text


def test_document_json_is_archive_as_json(client, docs, app):
    archive = app.state.archive
    doc_id = docs["hostile/hostile.eml"]
    body = client.get(f"/api/documents/{doc_id}").json()
    assert body == _jsonable(archive.as_json(archive.find(doc_id)))
    assert body["metadata"]["subject"].startswith("<img")
    assert {c["path"] for c in body["children"]} == {"hostile/hostile.eml/budget notes.txt"}
    child = client.get(f"/api/documents/{body['children'][0]['id']}").json()
    assert child["parent"]["path"] == "hostile/hostile.eml"
    assert client.get(f"/api/documents/{doc_id}", params={"text": "false"}).json()["text"] \
        is None


def _jsonable(value):
    import json

    return json.loads(json.dumps(value, default=str))


def test_unknown_documents_are_404_json(client):
    for doc_id in ("0000000000000000", "zz", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a" * 5000):
        response = client.get(f"/api/documents/{doc_id}")
        assert response.status_code == 404
        assert "error" in response.json()
    for doc_id in ("../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
        response = client.get(f"/api/documents/{doc_id}/original")
        assert response.status_code == 404
        assert b"root:" not in response.content
    assert client.get("/api/nothing").status_code == 404
    assert "error" in client.get("/api/nothing").json()


def test_original_download(client, docs, sample_dir):
    doc_id = docs["atlanta/files/example.pdf"]
    for url in (f"/api/documents/{doc_id}/original", f"/documents/{doc_id}/original"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == (sample_dir / "atlanta/files/example.pdf").read_bytes()
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["x-content-type-options"] == "nosniff"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''example.pdf" in disposition


def test_original_of_a_member_comes_from_the_blob_store(client, docs):
    doc_id = docs["hostile/hostile.eml/budget notes.txt"]
    response = client.get(f"/documents/{doc_id}/original")
    assert response.status_code == 200
    assert response.content.startswith(b"Budget notes: surveillance drones")
    assert response.headers["content-type"].startswith("text/plain")
    assert "filename*=UTF-8''budget%20notes.txt" in response.headers["content-disposition"]


def test_html_originals_are_never_served_as_html(client, docs):
    for path in ("hostile/hostile.html", "web/testHTMLBadScript.html",
                 'hostile/"><img src=x onerror=alert(1)>.txt'):
        response = client.get(f"/documents/{docs[path]}/original")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"].startswith("attachment;")
        disposition = response.headers["content-disposition"]
        ascii_part = disposition.split("filename*=")[0]
        for bad in ('"><', "<", ">", "\\", "/"):
            assert bad not in ascii_part.split('filename="', 1)[1].rstrip('"; ')


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Trawl"
    for path in ("/api/search", "/api/documents/{doc_id}", "/api/documents/{doc_id}/original"):
        assert path in spec["paths"]
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "type", "source", "year", "language", "date_from", "date_to", "sort",
            "page", "offset", "limit", "dataset"} <= names


def test_datasets_api(client):
    body = client.get("/api/datasets").json()
    assert body["datasets"][0]["name"] == "sample"
    overview = client.get("/api/datasets/sample").json()
    assert overview["files"] >= 30
    by_type = {t["type"]: t["files"] for t in overview["by_type"]}
    assert by_type["pdf"] >= 4 and by_type["email"] >= 2
    assert overview["date_from"] <= overview["date_to"]
    assert any("encrypted" in f["reason"] for f in overview["failures"])
    encrypted = next(g for g in overview["failures_by_code"] if g["code"] == "encrypted")
    assert encrypted["count"] >= 1 and encrypted["retryable"] is False
    assert all(r["reason"].startswith("encrypted") for r in encrypted["reasons"])
    assert client.get("/api/datasets/nope").status_code == 404
    folder = client.get("/api/datasets/sample/browse", params={"path": "hostile"}).json()
    names = {f["name"] for f in folder["files"]}
    assert {"hostile.eml", "100% _done_.txt", "passwd-link"} <= names


@pytest.mark.parametrize("url", [
    "/api/search?q=crime", "/api/documents/0000000000000000", "/openapi.json",
    "/api/search?q=%22",
])
def test_api_responses_carry_security_headers(client, url):
    response = client.get(url)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_concurrent_requests(client, docs):
    from concurrent.futures import ThreadPoolExecutor

    urls = ["/api/search?q=crime", "/?q=surveillance", f"/documents/{docs['hostile/hostile.eml']}",
            "/datasets/sample/browse/hostile", "/api/search?q=*&type=pdf",
            f"/api/documents/{docs['atlanta/files/example.pdf']}"] * 8
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda url: client.get(url).status_code, urls))
    assert statuses == [200] * len(urls)


def test_allowed_hosts_refuse_other_host_headers(data_dir, admin_token):
    from fastapi.testclient import TestClient

    from trawl.web.app import create_app
    from trawl.web.server import allowed_hosts

    assert allowed_hosts("0.0.0.0") == ["*"]
    local = TestClient(create_app(data_dir, allowed_hosts=allowed_hosts("127.0.0.1")),
                       base_url="http://127.0.0.1:8080",
                       headers={"Authorization": f"Bearer {admin_token}"})
    assert local.get("/api/datasets").status_code == 200
    assert local.get("/api/datasets", headers={"Host": "localhost:8080"}).status_code == 200
    rebound = local.get("/api/datasets", headers={"Host": "evil.example:8080"})
    assert rebound.status_code == 400
    assert rebound.headers["x-frame-options"] == "DENY"
