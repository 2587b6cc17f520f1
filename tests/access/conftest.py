"""One archive with three datasets, one of each visibility, and a caller of each kind.

* `open` (public): a generated BlueLeaks site (registration tables with names, e-mail
  addresses and phone numbers), police CSVs and a trader's sent mail shaped like the
  Louisville tables and the Enron maildir, and a note with personal data, all written here
  (test_real_redaction.py does the same on the real files, when the shared corpus is there);
* `shared` (restricted): granted to the account `journalist` and to the group `press`;
* `secret` (private): no grant at all.

Each dataset holds a note with the word `zebracorn` and its own name, so that a search shows
at once which datasets a caller reaches. Callers come with API tokens (fast) except where a
test is about sessions.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trawl.storage.catalog import Catalog, document_id
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableStore

sys.path.insert(0, str(Path(__file__).parent))

from access_site import (  # noqa: E402
    PASSWORD,
    VISIBILITY,
    Caller,
    write_dump,
)


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    from trawl.access.store import AccessStore
    from trawl.derive.redacted_view import set_visibility
    from trawl.ingestion.pipeline import Ingester, IngestOptions

    dumps = tmp_path_factory.mktemp("dumps")
    data = DataDir.open(tmp_path_factory.mktemp("trawl-data"))
    for name in VISIBILITY:
        ingester = Ingester(data, name, IngestOptions(workers=2, quiet=True, ocr=False))
        try:
            ingester.ingest(write_dump(dumps, name))
        finally:
            ingester.close()
    for name, visibility in VISIBILITY.items():
        set_visibility(data, name, visibility)
    store = AccessStore(data.access_path)
    store.add_user("admin", PASSWORD, is_admin=True)
    for user in ("reader", "journalist", "member"):
        store.add_user(user, PASSWORD)
    store.add_group("press")
    store.set_membership("press", "member", True)
    store.grant("shared", "user", "journalist", by="test")
    store.grant("shared", "group", "press", by="test")
    store.close()
    return data


@pytest.fixture(scope="session")
def callers(archive: DataDir) -> dict[str, Caller]:
    from trawl.access.store import AccessStore

    store = AccessStore(archive.access_path)
    tokens = {name: store.create_token(name, "tests")[0]
              for name in ("admin", "reader", "journalist", "member")}
    store.close()
    redacted = {"open": "redacted", "shared": "none", "secret": "none"}
    granted = {"open": "redacted", "shared": "full", "secret": "none"}
    return {
        "anonymous": Caller("anonymous", None, redacted),
        "reader": Caller("reader", tokens["reader"], redacted),
        "journalist": Caller("journalist", tokens["journalist"], granted),
        "member": Caller("member", tokens["member"], granted),
        "admin": Caller("admin", tokens["admin"], dict.fromkeys(VISIBILITY, "full")),
    }


@pytest.fixture(scope="session")
def app(archive: DataDir):
    from trawl.web.app import create_app

    return create_app(archive)


@pytest.fixture(scope="session")
def web(app) -> Iterator:
    """A client with no credentials of its own: each request brings its caller's."""
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:
        yield client


@pytest.fixture
def browser_client(app) -> Iterator:
    """A client that keeps cookies, for sessions and CSRF."""
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:
        yield client


# Per folder, not in tests/conftest.py: a session fixture there would be made once, over
# whichever folder's `app` asked first, and serve it to the other folder's browser tests.
@pytest.fixture(scope="session")
def live_server(app) -> Iterator:
    """The same app served with uvicorn on a free local port, for the browser tests."""
    from live_server import start_live_server

    with start_live_server(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """A headless Chromium (skipped where /usr/bin/chromium is not installed)."""
    from live_server import launch_chromium

    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def notes(archive) -> dict[str, str]:
    """The document id of each dataset's zebracorn note."""
    catalog = Catalog(archive.catalog_path, readonly=True)
    out = {}
    for name in VISIBILITY:
        ds = catalog.dataset(name)
        row = catalog.file_by_path(ds.id, f"notes/{name}-note.txt")
        out[name] = document_id(name, row.sha256)
    catalog.close()
    return out


@pytest.fixture(scope="session")
def tables(archive) -> dict[str, int]:
    """The `people` table of each dataset."""
    store = TableStore.open_readonly(archive.root / "tables.sqlite")
    out = {}
    for name in VISIBILITY:
        out[name] = next(t.id for t in store.tables(name, include_empty=False)
                         if t.name == "people")
    store.close()
    return out
