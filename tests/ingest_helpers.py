"""Helpers for tests that run the real ingestion (no mocks: real files, SQLite, Tantivy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from trawl.index.base import SearchQuery
from trawl.ingestion.pipeline import Ingester, IngestOptions
from trawl.search.service import Archive
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir


def ingest(folder: Path, data_dir: Path, dataset: str = "test", **options) -> dict[str, int]:
    opts = IngestOptions(workers=2, quiet=True, **options)
    ingester = Ingester(DataDir.open(data_dir), dataset, opts)
    try:
        return ingester.ingest(folder).counts
    finally:
        ingester.close()


def trawl_cli(*args: str, data_dir: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRAWL_DATA": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "trawl.cli.main", *args], env=env,
                          capture_output=True, text=True, check=check, timeout=900)


def cli_json(*args: str, data_dir: Path) -> dict:
    return json.loads(trawl_cli(*args, "--json", data_dir=data_dir).stdout)


def catalog_state(data_dir: Path, dataset: str = "test") -> set[tuple]:
    """Every path with its status, hash and error: what two equivalent runs must share."""
    catalog = Catalog(DataDir.open(data_dir).catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        rows = catalog.db.execute(
            "SELECT path, status, sha256, kind, error FROM files WHERE dataset_id = ?",
            (ds.id,)).fetchall()
        return {tuple(r) for r in rows}
    finally:
        catalog.close()


def search(data_dir: Path, text: str, dataset: str | None = None, limit: int = 50, **kw):
    archive = Archive(DataDir.open(data_dir))
    try:
        return archive.search(SearchQuery(text=text, datasets=[dataset] if dataset else None,
                                          limit=limit, **kw))
    finally:
        archive.close()


def admin_headers(data: DataDir) -> dict[str, str]:
    """An Authorization header of an admin account of `data` (made on first use): the web
    serves nothing of a private archive without one."""
    from trawl.access.passwords import generated_password
    from trawl.access.store import AccessStore

    store = AccessStore(data.access_path)
    try:
        if store.user("test-admin") is None:
            store.add_user("test-admin", generated_password(), is_admin=True)
        secret, _token = store.create_token("test-admin", f"t{len(store.tokens())}")
    finally:
        store.close()
    return {"Authorization": f"Bearer {secret}"}
