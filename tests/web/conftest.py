"""Fixtures of the web tests: one real ingestion of a small dump, shared by every test.

`data_dir` runs the real pipeline once per session on the sample of `sample_data.py`, and
makes an admin account; `client` is FastAPI's TestClient on an app over it, signed in as that
admin by an API token (`anonymous` is one without); `live_server` serves the same app with
uvicorn on a free local port for the browser tests, whose `page` signs in through the form.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sample_data import build_sample  # noqa: E402

from trawl.storage.datadir import DataDir  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("TRAWL_TEST_CORPUS", REPO.parent / "shared" / "corpus"))

DATASET = "sample"
ADMIN = "admin"
ADMIN_PASSWORD = "correct horse battery staple"  # noqa: S105 (a test account)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]



def pytest_configure(config: pytest.Config) -> None:
    # starlette.testclient says httpx is deprecated in favour of httpx2; the tests use httpx.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with")


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    return build_sample(CORPUS, tmp_path_factory.mktemp("dump") / "blueleaks")


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


def sign_in(tab, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    """Through the login form, as a person would."""
    tab.goto("/login")
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", password)
    tab.click("form.stacked button[type=submit]")
    tab.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(scope="session")
def docs(client) -> dict[str, str]:
    """Document id of every path that has one."""
    out = {}
    for hit in client.get("/api/search", params={"q": "*", "limit": 200}).json()["hits"]:
        for path in client.get(f"/api/documents/{hit['id']}",
                               params={"text": "false"}).json()["paths"]:
            out[path] = hit["id"]
    return out


@dataclass
class LiveServer:
    url: str
    requests: list[str] = field(default_factory=list)

    def requested(self, fragment: str) -> list[str]:
        return [path for path in self.requests if fragment in path]


class _Recorder:
    """ASGI wrapper that notes the path (and query) of every HTTP request."""

    def __init__(self, app, log: list[str]) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            self.log.append(scope["path"] + (f"?{query}" if query else ""))
        await self.app(scope, receive, send)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    import uvicorn

    server_info = LiveServer(url="")
    port = _free_port()
    config = uvicorn.Config(_Recorder(app, server_info.requests), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    server_info.url = f"http://127.0.0.1:{port}"
    yield server_info
    server.should_exit = True
    server.force_exit = True  # do not wait for the browser's keep-alive connections
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator:
    context = browser.new_context(accept_downloads=True, locale="en-US",
                                  base_url=live_server.url)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    sign_in(tab)
    yield tab
    context.close()
