"""Fixtures of the web tests: one real ingestion of a small dump, shared by every test.

`data_dir` runs the real pipeline once per session on the sample of `sample_data.py`, and
makes an admin account; `client` is FastAPI's TestClient on an app over it, signed in as that
admin by an API token (`anonymous` is one without); `live_server` serves the same app with
uvicorn on a free local port for the browser tests, whose `page` signs in through the form.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from live_server import LiveServer, launch_chromium, sign_in, start_live_server  # noqa: E402
from sample_data import ADMIN, ADMIN_PASSWORD, build_sample  # noqa: E402

from trawl.storage.datadir import DataDir  # noqa: E402

DATASET = "sample"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("dump") / "blueleaks")


@pytest.fixture(scope="session")
def data_dir(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    from trawl.ingestion.pipeline import Ingester, IngestOptions

    data = DataDir.open(tmp_path_factory.mktemp("trawl-data"))
    ingester = Ingester(data, DATASET, IngestOptions(workers=2, quiet=True))
    try:
        ingester.ingest(sample_dir)
    finally:
        ingester.close()
    from trawl.access.store import AccessStore

    store = AccessStore(data.access_path)
    store.add_user(ADMIN, ADMIN_PASSWORD, is_admin=True)
    store.close()
    return data


@pytest.fixture(scope="session")
def admin_token(data_dir: DataDir) -> str:
    from trawl.access.store import AccessStore

    store = AccessStore(data_dir.access_path)
    secret, _token = store.create_token(ADMIN, "web-tests")
    store.close()
    return secret


@pytest.fixture(scope="session")
def app(data_dir: DataDir):
    from trawl.web.app import create_app

    return create_app(data_dir)


@pytest.fixture(scope="session")
def client(app, admin_token: str) -> Iterator:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True,
                    headers={"Authorization": f"Bearer {admin_token}"}) as test_client:
        yield test_client


@pytest.fixture
def anonymous(app) -> Iterator:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def docs(client) -> dict[str, str]:
    """Document id of every path that has one."""
    out = {}
    for hit in client.get("/api/search", params={"q": "*", "limit": 200}).json()["hits"]:
        for path in client.get(f"/api/documents/{hit['id']}",
                               params={"text": "false"}).json()["paths"]:
            out[path] = hit["id"]
    return out


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    with start_live_server(app) as server_info:
        yield server_info


@pytest.fixture(scope="session")
def browser() -> Iterator:
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator:
    context = browser.new_context(accept_downloads=True, locale="en-US",
                                  base_url=live_server.url)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    sign_in(tab, ADMIN, ADMIN_PASSWORD)
    yield tab
    context.close()
