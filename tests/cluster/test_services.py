"""The cluster-mode services as scripts/cluster starts them (scripts/test-cluster runs this
with TRAWL_INDEX_URL and TRAWL_CATALOG_URL set; without them the tests are skipped): the
things Trawl's OpenSearch and PostgreSQL backends will rely on, checked on the real engines.

- OpenSearch answers on loopback, green, with the english and french analysers (the
  integ-test zip has none: scripts/cluster installs the analysis-common module), and a bulk
  load with one refresh at the end is searchable by stemmed words;
- PostgreSQL 15 takes the URL's password, is UTF-8, and commits and rolls back.
"""

from __future__ import annotations

import os
import uuid

import pytest

INDEX_URL = os.environ.get("TRAWL_INDEX_URL")
CATALOG_URL = os.environ.get("TRAWL_CATALOG_URL")
pytestmark = pytest.mark.skipif(
    not (INDEX_URL and CATALOG_URL),
    reason="cluster services not running: scripts/test-cluster starts them")


@pytest.fixture
def search_client():
    from opensearchpy import OpenSearch

    client = OpenSearch(INDEX_URL, timeout=30)
    yield client
    client.close()


@pytest.fixture
def scratch_index(search_client):
    name = f"trawl-test-{uuid.uuid4().hex[:8]}"
    yield name
    search_client.indices.delete(index=name, ignore_unavailable=True)


def test_opensearch_is_green_on_loopback(search_client) -> None:
    health = search_client.cluster.health(wait_for_status="green")
    assert health["status"] == "green"
    assert search_client.info()["version"]["number"].startswith("2.19.")
    for node in search_client.nodes.info()["nodes"].values():
        assert node["http"]["bound_address"] and all(
            address.startswith("127.0.0.1:") for address in node["http"]["bound_address"])


@pytest.mark.parametrize("analyzer, text, expected", [
    ("english", "The officers are running", ["offic", "run"]),
    ("french", "Les policières sont arrivées", ["polici", "ariv"]),
])
def test_language_analysers_stem(search_client, analyzer: str, text: str,
                                 expected: list[str]) -> None:
    tokens = search_client.indices.analyze(body={"analyzer": analyzer, "text": text})
    assert [token["token"] for token in tokens["tokens"]] == expected


def test_bulk_load_then_one_refresh_is_searchable(search_client, scratch_index) -> None:
    from opensearchpy import helpers

    search_client.indices.create(index=scratch_index, body={
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"properties": {"text": {"type": "text", "analyzer": "english"}}}})
    words = ["protest", "bulletin", "officer", "agency"]
    actions = ({"_index": scratch_index, "_id": str(n),
                "_source": {"text": f"{words[n % 4]}s seen in report {n}"}}
               for n in range(2000))
    done, errors = helpers.bulk(search_client, actions, refresh=False, chunk_size=500)
    assert (done, errors) == (2000, [])
    search_client.indices.refresh(index=scratch_index)
    found = search_client.search(index=scratch_index, body={
        "query": {"match": {"text": "protesting"}}, "track_total_hits": True})
    assert found["hits"]["total"]["value"] == 500


def test_postgresql_takes_the_url_and_keeps_transactions() -> None:
    import psycopg

    table = f"trawl_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(CATALOG_URL) as connection:
        assert connection.info.server_version // 10000 == 15
        assert connection.execute("SHOW server_encoding").fetchone() == ("UTF8",)
        connection.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, path text)")
        connection.execute(f"INSERT INTO {table} VALUES (1, 'Agence/files/été.pdf')")
        connection.commit()
        with pytest.raises(psycopg.errors.UniqueViolation):
            connection.execute(f"INSERT INTO {table} VALUES (1, 'again')")
        connection.rollback()
        rows = connection.execute(f"SELECT id, path FROM {table}").fetchall()
        connection.execute(f"DROP TABLE {table}")
        connection.commit()
    assert rows == [(1, "Agence/files/été.pdf")]


def test_postgresql_refuses_a_wrong_password() -> None:
    import psycopg

    wrong = CATALOG_URL.replace("trawl:", "trawl:not-", 1)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)
