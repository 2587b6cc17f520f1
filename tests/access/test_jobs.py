"""Publishing from the web is a background job: the request queues it and returns at once, the
job builds the redacted view with visible progress, and only then is the dataset public.

A data directory of its own (the session archive of the other access tests must keep its
visibilities), ingested from a note written here, so the test needs no shared corpus.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from access_site import PASSWORD, PRIVATE_NOTE
from fastapi.testclient import TestClient

from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    from trawl.access.store import AccessStore
    from trawl.ingestion.pipeline import Ingester, IngestOptions

    dump = tmp_path_factory.mktemp("dump")
    for n in range(30):
        (dump / f"note-{n:02}.txt").write_text(PRIVATE_NOTE.format(name=f"jobs{n}"))
    data = DataDir.open(tmp_path_factory.mktemp("trawl-data"))
    ingester = Ingester(data, "leak", IngestOptions(workers=1, quiet=True, ocr=False))
    try:
        ingester.ingest(dump)
    finally:
        ingester.close()
    store = AccessStore(data.access_path)
    store.add_user("admin", PASSWORD, is_admin=True)
    store.add_user("reader", PASSWORD)
    store.close()
    return data


_TOKENS = itertools.count()


def _token(data: DataDir, name: str) -> dict[str, str]:
    from trawl.access.store import AccessStore

    store = AccessStore(data.access_path)
    try:
        secret = store.create_token(name, f"jobs-test-{next(_TOKENS)}")[0]
        return {"Authorization": f"Bearer {secret}"}
    finally:
        store.close()


@pytest.fixture(scope="module")
def client(data: DataDir) -> Iterator[TestClient]:
    from trawl.web.app import create_app

    with TestClient(create_app(data), follow_redirects=False) as web:
        yield web


def test_making_a_dataset_public_is_a_job_with_progress(client, data):
    admin = _token(data, "admin")
    asked = client.post("/admin/datasets/leak/visibility", data={"visibility": "public"},
                        headers=admin)
    assert asked.status_code == 303
    assert "job" in asked.headers["location"]
    job = client.get("/api/admin/jobs", headers=admin).json()["jobs"][0]
    assert (job["kind"], job["dataset"], job["detail"]) == \
        ("visibility", "leak", {"visibility": "public"})
    assert job["requested_by"].endswith("@admin")  # the actor, as in the audit log

    finished = client.app.state.jobs.wait(job["id"], timeout_s=120)
    assert finished.state == "done", finished.error
    assert (finished.done, finished.total) == (30, 30)
    assert client.get(f"/api/admin/jobs/{job['id']}", headers=admin).json()["state"] == "done"
    # Now public, and read through its redacted view by a stranger.
    found = client.get("/api/search", params={"q": "zebracorn"}).json()
    assert found["total"] == 30
    hidden = client.get("/api/search", params={"q": "leak.victim@example.org"}).json()
    assert hidden["total"] == 0
    # The admin page lists the job; the audit log has the request, with the job's id.
    page = client.get("/admin", headers=admin)
    assert "admin-jobs" in page.text and f"<td>{job['id']}</td>" in page.text


def test_a_dataset_never_becomes_public_without_its_view(client, data):
    from trawl.derive.redacted_view import set_visibility
    from trawl.index.tantivy_backend import TantivyIndex

    admin = _token(data, "admin")
    set_visibility(data, "leak", "private")
    # The index's writer lock is held, as by an ingestion that is running.
    writer = TantivyIndex(data.index_dir, writable=True)
    try:
        asked = client.post("/admin/datasets/leak/visibility", data={"visibility": "public"},
                            headers=admin)
        assert asked.status_code == 303
        job_id = client.get("/api/admin/jobs", headers=admin).json()["jobs"][0]["id"]
        finished = client.app.state.jobs.wait(job_id, timeout_s=60)
    finally:
        writer.close()
    assert finished.state == "failed"
    assert "the index is busy" in finished.error
    catalog = Catalog(data.catalog_path, readonly=True)
    assert catalog.dataset("leak").visibility == "private"
    catalog.close()
    assert client.get("/api/search", params={"q": "zebracorn"}).status_code == 401  # none public


def test_the_admin_is_told_in_their_language(client, data):
    admin = {**_token(data, "admin"), "Accept-Language": "fr"}
    asked = client.post("/admin/datasets/leak/visibility", data={"visibility": "restricted"},
                        headers=admin)
    job_id = client.get("/api/admin/jobs", headers=admin).json()["jobs"][0]["id"]
    assert client.app.state.jobs.wait(job_id, timeout_s=120).state == "done"
    shown = client.get(asked.headers["location"], headers=admin).text
    assert f"leak : passage en restreint (tâche {job_id})" in shown
    granted = client.post("/admin/datasets/leak/grants", headers=admin,
                          data={"principal": "user", "who": "reader", "action": "grant"})
    shown = client.get(granted.headers["location"], headers=admin).text
    assert "leak : accordé à utilisateur reader" in shown


def test_jobs_are_for_admins_only(client, data):
    reader = _token(data, "reader")
    for url in ("/api/admin/jobs", "/api/admin/jobs/1"):
        assert client.get(url, headers=reader).status_code == 403
        assert client.get(url).status_code == 401
    assert client.get("/api/admin/jobs/999999", headers=_token(data, "admin")).status_code == 404


def test_a_server_start_marks_jobs_a_dead_server_left(data: DataDir, tmp_path: Path):
    from trawl.derive.jobs import JobRunner

    catalog = Catalog(data.catalog_path)
    left = catalog.add_job("visibility", "leak", {"visibility": "public"}, "admin")
    catalog.update_job(left.id, state="running", done=3, total=30)
    catalog.close()
    assert JobRunner(data).recover() == 1
    catalog = Catalog(data.catalog_path, readonly=True)
    job = catalog.job(left.id)
    catalog.close()
    assert job.state == "interrupted" and job.finished_at is not None


def test_trawl_jobs_lists_them(data: DataDir, capsys):
    from trawl.cli.main import main

    assert main(["jobs", "--json", "--data-dir", str(data.root)]) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert jobs, "the jobs of the tests above"
    assert {j["state"] for j in jobs} <= {"done", "failed", "interrupted"}
    assert all(j["kind"] == "visibility" and j["dataset"] == "leak" for j in jobs)
    assert main(["jobs", "--data-dir", str(data.root)]) == 0
    assert "visibility leak: visibility public" in capsys.readouterr().out
