"""The near-copy pages and their API on a real ingestion of a bulletin copied the ways
dumps copy it (neardup_helpers.py): "Also in N sources" on a document page, a dataset's
clusters, a cluster, a source pair, the JSON and CSV exports, escaped and in French."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_helpers import admin_headers, ingest
from neardup_helpers import COPIES, doc_id, write_bulletin_dump

from trawl.storage.datadir import DataDir


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dump")
    write_bulletin_dump(root)
    # A hostile title: the pages escape it.
    (root / "vfc").mkdir()
    (root / "vfc" / "<em>bold.txt").write_text(
        (root / "arictexas/mail/bulletin.txt").read_text())
    data = tmp_path_factory.mktemp("data")
    ingest(root, data, ocr=False, entities=False)
    return data


@pytest.fixture(scope="module")
def client(data: Path) -> Iterator:
    from fastapi.testclient import TestClient

    from trawl.web.app import create_app

    store = DataDir.open(data)
    with TestClient(create_app(store), headers=admin_headers(store)) as test_client:
        yield test_client


def test_a_document_page_says_where_else_it_is(client, data: Path) -> None:
    page = client.get(f"/documents/{doc_id(data, 'ncric/files/bulletin.pdf')}")
    assert page.status_code == 200
    assert "Also in 5 sources" in page.text
    for path in COPIES - {"ncric/files/bulletin.pdf"}:
        assert path in page.text
    assert "&lt;em&gt;bold.txt" in page.text and "<em>bold" not in page.text
    assert "arictexas/reports/weekly.pdf" in page.text  # the page inside the report
    assert "More like this" in page.text and "other-2.pdf" in page.text
    french = client.get(f"/documents/{doc_id(data, 'ncric/files/bulletin.pdf')}",
                        headers={"Accept-Language": "fr"})
    assert "Aussi dans 5 sources" in french.text


def test_the_clusters_of_a_dataset_and_one_cluster(client) -> None:
    listed = client.get("/api/datasets/test/clusters").json()
    (biggest, *_rest) = listed["clusters"]
    assert biggest["size"] == 6 and biggest["sources"] == 6
    page = client.get("/datasets/test/clusters")
    assert page.status_code == 200 and f"/datasets/test/clusters/{biggest['id']}" in page.text
    one = client.get(f"/api/datasets/test/clusters/{biggest['id']}").json()
    assert {c["path"] for c in one["copies"]} == COPIES | {"vfc/<em>bold.txt"}
    dates = [c["date"] for c in one["copies"]]
    assert dates == sorted(dates)
    exported = client.get(f"/api/datasets/test/clusters/{biggest['id']}",
                          params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["path"] for r in rows} == COPIES | {"vfc/<em>bold.txt"}
    html = client.get(f"/datasets/test/clusters/{biggest['id']}")
    assert html.status_code == 200 and "&lt;em&gt;bold.txt" in html.text
    assert client.get("/api/datasets/test/clusters/987654321").status_code == 404
    # Its timeline is the search `cluster=ID` by date (web/timeline.py): every document of
    # it counted (a document at several paths once, as the search counts), dated or not.
    assert 'id="timeline"' in html.text
    found = client.get("/api/search", params={"q": "*", "dataset": "test", "histogram": "auto",
                                              "cluster": str(biggest["id"])}).json()
    histogram = found["histogram"]
    assert sum(b["count"] for b in histogram["buckets"]) + histogram["undated"] \
        == found["total"] > 1


def test_what_one_source_got_from_another(client) -> None:
    pair = client.get("/api/datasets/test/source-pair",
                      params={"a": "arictexas", "b": "ncric"}).json()
    assert len(pair["shared"]) == 1
    assert client.get("/datasets/test/source-pair",
                      params={"a": "arictexas", "b": "ncric"}).status_code == 200
    assert client.get("/api/datasets/test/source-pair",
                      params={"a": "nowhere", "b": "ncric"}).json()["shared"] == []


def test_the_similar_api(client, data: Path) -> None:
    found = client.get(f"/api/documents/{doc_id(data, 'jric/DDF/bulletin.pdf')}/similar")
    body = found.json()
    assert set(body) >= {"cluster", "near_duplicates", "similar", "also_in"}
    assert set(body["cluster"]) == {"id", "size", "sources"}
    assert {n["path"] for n in body["near_duplicates"]} == \
        (COPIES | {"vfc/<em>bold.txt"}) - {"jric/DDF/bulletin.pdf"}


def test_search_hits_say_how_many_copies(client) -> None:
    page = client.get("/", params={"q": "slipstream", "dataset": "test"})
    assert page.status_code == 200
    assert "6 copies · 6 sources" in page.text


def test_search_collapses_a_cluster_to_one_hit_and_expands_it(client) -> None:
    """The bulletin's four documents (six paths: two are exact copies) are one hit on the
    page, by default, with the count and a link to expand; the API collapses when asked."""
    plain = client.get("/api/search", params={"q": "slipstream", "limit": 50}).json()
    collapsed = client.get("/api/search", params={"q": "slipstream", "limit": 50,
                                                  "collapse": "1"}).json()
    in_cluster = [h for h in plain["hits"] if h["cluster"] is not None]
    assert len({h["cluster"] for h in in_cluster}) == 1 and len(in_cluster) == 4
    assert collapsed["documents"] == plain["total"]
    assert collapsed["total"] == plain["total"] - 3
    (one,) = [h for h in collapsed["hits"] if h["cluster"] is not None]
    assert one["cluster_matches"] == 4
    assert {h["id"] for h in collapsed["hits"]} <= {h["id"] for h in plain["hits"]}
    page = client.get("/", params={"q": "slipstream"})
    assert "Shown one per cluster of near-copies" in page.text
    assert "and 3 more like it" in page.text
    assert f"cluster={one['cluster']}" in page.text
    expanded = client.get("/api/search", params={"q": "slipstream", "limit": 50,
                                                 "cluster": str(one["cluster"]),
                                                 "collapse": "1"}).json()
    assert expanded["total"] == 4  # within one cluster, every document
    every = client.get("/", params={"q": "slipstream", "collapse": "0"})
    assert "Shown one per cluster" not in every.text
    assert client.get("/api/search", params={"q": "x", "cluster": "abc"}).status_code == 400
