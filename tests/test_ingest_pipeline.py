"""The ingestion pipeline on small folders built here: accounting, dedup, hostile input,
resumption after kill -9, incremental re-runs, retry of failures."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from ingest_helpers import catalog_state, cli_json, ingest, search, trawl_cli
from shared_corpus import CORPUS

from trawl.ingestion.pool import WorkerPool
from trawl.ingestion.worker import Task, WorkerConfig
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def small_dump(tmp_path: Path) -> Path:
    root = tmp_path / "dump"
    (root / "ncric" / "files").mkdir(parents=True)
    (root / "jric").mkdir()
    bulletin = b"Officer safety bulletin: the zeppelin convoy reaches the harbour at dawn.\n"
    (root / "ncric" / "files" / "bulletin.txt").write_bytes(bulletin)
    (root / "jric" / "copy-of-bulletin.txt").write_bytes(bulletin)  # identical content
    (root / "ncric" / "latin1.txt").write_bytes("Réunion à Genève: café crème\n".encode("latin-1")
                                               * 5)
    (root / "ncric" / "empty.txt").write_bytes(b"")
    (root / "ncric" / "blob.bin").write_bytes(bytes(range(256)) * 40)
    inner = _zip_bytes({"deep/inner.txt": b"The quokka hides inside the nested archive.\n"})
    (root / "jric" / "outer.zip").write_bytes(_zip_bytes({
        "inner.zip": inner,
        "notes.txt": b"Minutes of the narwhal meeting.\n",
        "../../escape.txt": b"A traversal attempt names the platypus.\n",
    }))
    os.symlink("/etc/passwd", root / "jric" / "passwd-link")
    return root


def test_every_path_is_accounted_for(small_dump: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    counts = ingest(small_dump, data)
    assert counts["pending"] == 0
    status = cli_json("status", "--dataset", "test", data_dir=data)
    assert status["indexed"] + status["failed"] + status["skipped"] == status["total"]
    state = {row[0]: row for row in catalog_state(data)}
    # Disk files, archive members at every depth, and the link, each with its own path.
    assert {"ncric/files/bulletin.txt", "jric/copy-of-bulletin.txt", "jric/outer.zip",
            "jric/outer.zip/inner.zip", "jric/outer.zip/inner.zip/deep/inner.txt",
            "jric/outer.zip/notes.txt", "jric/outer.zip/escape.txt", "jric/passwd-link",
            "ncric/empty.txt", "ncric/blob.bin", "ncric/latin1.txt"} <= set(state)
    assert state["jric/passwd-link"][1] == "skipped"
    assert "symbolic link" in state["jric/passwd-link"][4]
    assert state["ncric/empty.txt"][1] == "skipped"
    assert state["ncric/blob.bin"][1] == "skipped"
    assert "unsupported" in state["ncric/blob.bin"][4]
    assert status["total"] == len(state)


def test_nothing_is_written_outside_the_data_dir(small_dump: Path, tmp_path: Path) -> None:
    before = {p for p in tmp_path.rglob("*")}
    ingest(small_dump, tmp_path / "data")
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p.is_relative_to(tmp_path / "data") for p in created)
    assert not (tmp_path / "escape.txt").exists()


def test_identical_content_is_extracted_once_and_keeps_every_path(
        small_dump: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(small_dump, data)
    result = search(data, "zeppelin")
    assert result.total == 1
    doc = cli_json("show", result.hits[0].id, data_dir=data)
    assert sorted(doc["paths"]) == ["jric/copy-of-bulletin.txt", "ncric/files/bulletin.txt"]
    assert "zeppelin convoy" in doc["text"]
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    n = catalog.db.execute("SELECT COUNT(*) FROM contents WHERE sha256 = ?",
                           (doc["sha256"],)).fetchone()[0]
    assert n == 1


def test_archive_members_are_searchable_with_container_paths(
        small_dump: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(small_dump, data)
    hit = search(data, "quokka").hits[0]
    assert hit.path == "jric/outer.zip/inner.zip/deep/inner.txt"
    doc = cli_json("show", hit.id, data_dir=data)
    assert doc["parent"]["path"] == "jric/outer.zip/inner.zip"
    outer = cli_json("show", "jric/outer.zip", "--dataset", "test", data_dir=data)
    assert {c["path"] for c in outer["children"]} >= {"jric/outer.zip/inner.zip",
                                                     "jric/outer.zip/notes.txt"}
    # The source facet is the top folder: the agency portal.
    assert search(data, "narwhal", facets=("source",)).facets["source"] == [("jric", 1)]


def test_non_utf8_text_is_decoded(small_dump: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(small_dump, data)
    hit = search(data, "geneve").hits[0]  # accent folding: "Genève" is found as "geneve"
    doc = cli_json("show", hit.id, data_dir=data)
    assert "Réunion à Genève" in doc["text"]


def test_rerun_is_incremental_and_sees_changes(small_dump: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(small_dump, data)
    first = catalog_state(data)
    ingest(small_dump, data)
    assert catalog_state(data) == first
    changed = small_dump / "ncric" / "files" / "bulletin.txt"
    changed.write_bytes(b"Revised bulletin: the albatross has landed.\n")
    os.utime(changed, (time.time() + 10, time.time() + 10))
    ingest(small_dump, data)
    assert search(data, "albatross").total == 1
    # The old content still exists at its other path, with only that path now.
    hit = search(data, "zeppelin").hits[0]
    assert cli_json("show", hit.id, data_dir=data)["paths"] == ["jric/copy-of-bulletin.txt"]


def test_nesting_deeper_than_the_limit_is_skipped_with_a_reason(tmp_path: Path) -> None:
    payload = _zip_bytes({"core.txt": b"The innermost wombat.\n"})
    for level in range(22):
        payload = _zip_bytes({f"level{level}.zip": payload})
    root = tmp_path / "nested"
    root.mkdir()
    (root / "matryoshka.zip").write_bytes(payload)
    data = tmp_path / "data"
    counts = ingest(root, data, max_depth=10)
    assert counts["pending"] == 0
    skipped = [r for r in catalog_state(data) if r[1] == "skipped"]
    assert skipped and all("nested deeper than 10" in r[4] for r in skipped)
    assert search(data, "wombat").total == 0
    # With the default limit, 23 levels are unpacked and the text is found.
    counts = ingest(root, tmp_path / "data2")
    assert search(tmp_path / "data2", "wombat").total == 1


def test_symlink_inside_a_tar_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "tarred"
    root.mkdir()
    with tarfile.open(root / "links.tar", "w") as tar:
        info = tarfile.TarInfo("etc-passwd")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
        data = b"A plain member about the okapi.\n"
        info = tarfile.TarInfo("okapi.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    data_dir = tmp_path / "data"
    ingest(root, data_dir)
    assert search(data_dir, "okapi").total == 1
    assert search(data_dir, "root").total == 0  # nothing of /etc/passwd was read


def test_a_hanging_file_times_out_and_the_pool_goes_on(tmp_path: Path) -> None:
    # Reading a FIFO with no writer blocks forever: a real hang inside a worker.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    ok = tmp_path / "ok.txt"
    ok.write_text("The run goes on after the capybara.\n")
    data = DataDir.open(tmp_path / "data")
    Catalog(data.catalog_path).close()
    config = WorkerConfig(data.blob_dir, data.tmp_dir, data.catalog_path)
    pool = WorkerPool(1, config, timeout_s=2, memory_limit=None)
    try:
        pool.submit(Task(1, str(fifo), "pipe"))
        results = _collect_all(pool)
        assert results[0].error.startswith("timed out after 2 s")
        assert results[0].code == "timeout"
        pool.submit(Task(2, str(ok), "ok.txt"))
        (result,) = _collect_all(pool)
        assert result.error is None and result.content.status == "done"
    finally:
        pool.close()


def test_a_crashing_worker_is_recorded_and_replaced(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("the memory limit makes this worker fail\n" * 2000)
    data = DataDir.open(tmp_path / "data")
    Catalog(data.catalog_path).close()
    config = WorkerConfig(data.blob_dir, data.tmp_dir, data.catalog_path)
    pool = WorkerPool(1, config, timeout_s=60, memory_limit=None)
    try:
        os.kill(pool._slots[0].process.pid, signal.SIGKILL)  # a segfault, as far as we know
        pool.submit(Task(1, str(big), "big.txt"))
        (result,) = _collect_all(pool)
        assert "crashed" in result.error and "SIGKILL" in result.error
        assert result.code == "crash"  # no memory limit: not taken for the OOM killer
        pool.submit(Task(2, str(big), "big.txt"))
        (result,) = _collect_all(pool)
        assert result.content is not None and result.content.status == "done"
    finally:
        pool.close()


def _collect_all(pool: WorkerPool) -> list:
    deadline = time.monotonic() + 60
    results: list = []
    while pool.busy() and time.monotonic() < deadline:
        results += pool.collect(wait_s=0.2)
    return results


def _indexed_so_far(data: Path) -> int:
    path = DataDir(data).catalog_path
    if not path.exists():
        return 0
    try:
        catalog = Catalog(path, readonly=True)
        try:
            return catalog.db.execute(
                "SELECT COUNT(*) FROM files WHERE status != 'pending'").fetchone()[0]
        finally:
            catalog.close()
    except Exception:  # the schema may not be there yet
        return 0


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    corpus = CORPUS
    if not corpus.is_dir():
        pytest.skip("shared corpus missing")
    source = tmp_path / "source"
    shutil.copytree(corpus / "ingest-file", source / "real")
    many = source / "many"
    many.mkdir()
    for i in range(2500):  # enough small files that the kills land mid-run
        (many / f"note-{i:05}.txt").write_text(f"Note {i}: the heron counted {i * 7} fish.\n")
    reference = tmp_path / "reference"
    ingest(source, reference)
    interrupted = tmp_path / "interrupted"
    env = {**os.environ, "TRAWL_DATA": str(interrupted)}
    for threshold in (300, 1500):
        process = subprocess.Popen(
            [sys.executable, "-m", "trawl.cli.main", "ingest", str(source), "--dataset",
             "test", "--quiet", "--workers", "2"], env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while _indexed_so_far(interrupted) < threshold and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its workers, at once
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the run ended before it was killed"
    trawl_cli("ingest", str(source), "--dataset", "test", "--quiet", data_dir=interrupted)
    assert catalog_state(interrupted) == catalog_state(reference)
    for data in (reference, interrupted):
        status = cli_json("status", "--dataset", "test", data_dir=data)
        assert status["pending"] == 0
        catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
        documents = catalog.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        unindexed = catalog.db.execute(
            "SELECT COUNT(*) FROM documents WHERE indexed = 0").fetchone()[0]
        catalog.close()
        assert unindexed == 0
        # One index entry per document: no duplicates, nothing missing.
        assert search(data, "", limit=0).total == documents
        assert search(data, "heron", limit=0).total == 2500


def test_a_killed_run_leaves_no_temporary_files_outside_the_data_dir(tmp_path: Path,
                                                                     request) -> None:
    """The fork server's pymp-* folder and the tools' temporary files go under the data
    directory, and the next run clears what a killed one left there."""
    source = tmp_path / "source"
    source.mkdir()
    for i in range(2000):
        (source / f"note-{i:05}.txt").write_text(f"Note {i}: the egret saw {i * 3} frogs.\n")
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    # A short path: a Unix socket's is at most 107 bytes, and pytest's are long.
    data = Path(tempfile.mkdtemp(prefix="trawl-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(data, ignore_errors=True))
    env = {**os.environ, "TRAWL_DATA": str(data), "TMPDIR": str(system_tmp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "trawl.cli.main", "ingest", str(source), "--dataset", "test",
         "--quiet", "--workers", "2"], env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while _indexed_so_far(data) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it was killed"
    left = data / "tmp" / f"proc-{process.pid}"
    assert list(left.glob("pymp-*")), "the fork server's folder is in the data directory"
    assert list(system_tmp.iterdir()) == []

    subprocess.run([sys.executable, "-m", "trawl.cli.main", "ingest", str(source), "--dataset",
                    "test", "--quiet"], env=env, check=True, timeout=600)
    assert not left.exists(), "the next run removes what the killed one left"
    assert list((data / "tmp").glob("proc-*")) == [], "a run that ends removes its own"
    assert list(system_tmp.iterdir()) == []
    assert search(data, "egret", limit=0).total == 2000


def test_a_second_ingestion_into_the_same_data_dir_is_refused_clearly(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for i in range(6000):  # enough that the first run is still at work when the second asks
        (source / f"note-{i:05}.txt").write_text(f"Note {i}: the ibis saw {i} eels.\n")
    data = tmp_path / "data"
    env = {**os.environ, "TRAWL_DATA": str(data)}
    first = subprocess.Popen([sys.executable, "-m", "trawl.cli.main", "ingest", str(source),
                              "--dataset", "test", "--quiet", "--workers", "1"], env=env)
    try:
        deadline = time.monotonic() + 60
        while _indexed_so_far(data) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = trawl_cli("ingest", str(source), "--dataset", "test", "--quiet",
                           data_dir=data, check=False)
        assert first.poll() is None, "the first run ended before the second asked"
        assert second.returncode == 1, second.stderr
        assert "another process is writing it" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        assert first.wait(timeout=300) == 0
    assert search(data, "ibis", limit=0).total == 6000


def test_retry_failed_reprocesses_only_failures(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    (root / "good.txt").write_text("A perfectly good file about the pangolin.\n")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n%%EOF garbage")
    data = tmp_path / "data"
    counts = ingest(root, data)
    assert counts["failed"] == 1
    # A broken PDF is "corrupt": `--failed` leaves it, `--all` processes it again.
    out = trawl_cli("retry", "--dataset", "test", "--failed", "--quiet", data_dir=data)
    assert "0 failed files retried" in out.stderr and "(corrupt 1)" in out.stderr
    out = trawl_cli("retry", "--dataset", "test", "--all", "--quiet", data_dir=data)
    assert "1 failed file retried" in out.stderr and "1 failed," in out.stderr
    status = cli_json("status", "--dataset", "test", data_dir=data)
    assert status["failed"] == 1 and status["indexed"] == 1
    assert status["latest_errors"][0]["path"] == "broken.pdf"
    assert status["latest_errors"][0]["code"] == "corrupt"


def test_reindex_rebuilds_the_index_from_the_catalog(small_dump: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(small_dump, data)
    before = {(h.id, h.path) for h in search(data, "*", limit=100).hits}
    marker = DataDir(data).index_dir / "trawl-schema-version"
    marker.write_text("0\n")  # as if an older Trawl had built it
    outdated = trawl_cli("search", "zeppelin", data_dir=data, check=False)
    assert outdated.returncode == 1 and "trawl reindex" in outdated.stderr
    out = trawl_cli("reindex", data_dir=data)
    assert f"{len(before)} documents indexed" in out.stderr
    assert {(h.id, h.path) for h in search(data, "*", limit=100).hits} == before
    assert search(data, "quokka").total == 1
