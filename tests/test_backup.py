"""`trawl backup`, `trawl restore`, `trawl verify`: a real ingest copied, damaged, brought back."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import fixture_files as ff
import pytest
from ingest_helpers import catalog_state, ingest, search, trawl_cli

from trawl.index.tantivy_backend import TantivyIndex
from trawl.storage.datadir import DataDir


def _dump(root: Path) -> Path:
    dump = root / "dump"
    (dump / "portal" / "files").mkdir(parents=True)
    (dump / "portal" / "note.txt").write_text("Quokka sighting near the depot.\n")
    ff.write_zip(dump / "portal" / "files" / "bundle.zip", {
        "inner/memo.txt": b"The quokka memo, inside an archive.\n",
        "inner/plan.txt": b"A plan that names no animal.\n"})
    ff.write_eml(dump / "mail" / "tip.eml", "ann@example.org", "bo@example.org",
                 "Quokka tip", "Call (212) 555-0142 about the quokka.",
                 datetime(2020, 6, 1, tzinfo=UTC))
    (dump / "portal" / "people.csv").write_text("Name,Email\nAnn,ann@example.org\n")
    return dump


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("backup")
    data = root / "data"
    counts = ingest(_dump(root), data)
    assert counts["failed"] == 0
    return data


@pytest.fixture
def copy_of(archive, tmp_path) -> Path:
    """A data folder of its own, for a test that damages it."""
    target = tmp_path / "data"
    shutil.copytree(archive, target)
    return target


def _run(*args: str, data: Path, check: bool = False):
    return trawl_cli(*args, data_dir=data, check=check)


def _hits(data: Path, text: str) -> set[str]:
    return {h.path for h in search(data, text).hits}


def test_a_backup_restores_to_the_same_archive(archive, tmp_path):
    made = _run("backup", str(tmp_path / "bk"), "--json", data=archive, check=True)
    report = json.loads(made.stdout)
    assert "catalog.sqlite" in report["databases"] and report["index_files"] > 0
    assert report["blobs"] >= 3 and report["blobs_copied"] == report["blobs"]
    restored = tmp_path / "restored"
    _run("restore", str(tmp_path / "bk"), data=restored, check=True)
    assert catalog_state(restored) == catalog_state(archive)
    assert _hits(restored, "quokka") == _hits(archive, "quokka") == {
        "portal/note.txt", "portal/files/bundle.zip/inner/memo.txt", "mail/tip.eml"}
    checked = json.loads(_run("verify", "--json", data=restored).stdout)
    assert checked["ok"] and checked["blobs"] == report["blobs"]
    assert checked["audit"]["ok"]
    assert "restore" in _actions(restored) and "backup" in _actions(archive)
    assert (restored / "secret.key").stat().st_mode & 0o777 == 0o600


def test_a_second_backup_copies_only_what_is_new(archive, tmp_path, copy_of):
    dest = tmp_path / "bk"
    _run("backup", str(dest), data=copy_of, check=True)
    again = json.loads(_run("backup", str(dest), "--json", data=copy_of, check=True).stdout)
    assert again["blobs_copied"] == 0 and again["blobs"] > 0
    more = tmp_path / "more"
    ff.write_zip(more / "extra.zip", {"new.txt": b"A new quokka file.\n"})
    ingest(more, copy_of, dataset="more")
    third = json.loads(_run("backup", str(dest), "--json", data=copy_of, check=True).stdout)
    assert 1 <= third["blobs_copied"] <= 3  # the member and the texts of what is new
    assert _run("verify", "--backup", str(dest), data=copy_of).returncode == 0


def test_a_damaged_backup_is_named_and_not_restored(archive, tmp_path):
    dest = tmp_path / "bk"
    _run("backup", str(dest), data=archive, check=True)
    blob = next(p for p in (dest / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"!")
    checked = _run("verify", "--backup", str(dest), data=archive)
    assert checked.returncode == 1 and blob.name in checked.stdout
    target = tmp_path / "target"
    refused = _run("restore", str(dest), data=target)
    assert refused.returncode != 0 and "damaged" in refused.stderr
    assert not any(target.iterdir())


def test_an_unfinished_backup_and_a_full_target_are_refused(archive, tmp_path):
    dest = tmp_path / "bk"
    _run("backup", str(dest), data=archive, check=True)
    (dest / "trawl-backup.json").unlink()
    refused = _run("restore", str(dest), data=tmp_path / "new")
    assert refused.returncode != 0 and "no finished Trawl backup" in refused.stderr
    _run("backup", str(dest), data=archive, check=True)
    occupied = _run("restore", str(dest), data=archive)
    assert occupied.returncode != 0 and "not empty" in occupied.stderr
    stranger = tmp_path / "photos"
    stranger.mkdir()
    (stranger / "holiday.jpg").write_bytes(b"not a backup")
    assert _run("backup", str(stranger), data=archive).returncode != 0
    assert (stranger / "holiday.jpg").read_bytes() == b"not a backup"
    inside = _run("backup", str(archive / "bk"), data=archive)
    assert inside.returncode != 0 and not (archive / "bk").exists()


def test_a_backup_waits_for_no_writer(copy_of, tmp_path):
    """While an ingestion (or reindex, or publishing) holds the index, a backup is refused
    with a reason: a copy taken then might not match its catalog."""
    writer = TantivyIndex(DataDir.open(copy_of).index_dir, writable=True, heap_mb=16)
    try:
        refused = _run("backup", str(tmp_path / "bk"), data=copy_of)
    finally:
        writer.close()
    assert refused.returncode != 0 and "writing the archive" in refused.stderr
    assert _run("backup", str(tmp_path / "bk"), data=copy_of).returncode == 0


def test_a_backup_while_serving_keeps_readers_answered(copy_of, tmp_path):
    from live_server import start_live_server

    from trawl.web.app import create_app

    answers: list[int] = []
    with start_live_server(create_app(DataDir.open(copy_of))) as server:
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                with urllib.request.urlopen(f"{server.url}/api/me") as response:
                    answers.append(response.status)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            made = _run("backup", str(tmp_path / "bk"), data=copy_of)
        finally:
            stop.set()
            reader.join(timeout=10)
    assert made.returncode == 0, made.stderr
    assert answers and set(answers) == {200}
    assert _run("verify", "--backup", str(tmp_path / "bk"), data=copy_of).returncode == 0


def test_readers_keep_being_answered_while_a_dataset_is_ingested(copy_of, tmp_path):
    """Issue #19: ingestion while serving. The server reads the catalog and the index while
    another process writes them (WAL, the index's commit points): every search is answered,
    and once the ingestion is done its documents are found without a restart."""
    from live_server import start_live_server

    from trawl.access.store import AccessStore
    from trawl.web.app import create_app

    more = tmp_path / "more"
    more.mkdir()
    for i in range(300):
        (more / f"note-{i:03}.txt").write_text(f"Note {i}: the wombat crossed the road.\n")
    store = AccessStore(DataDir.open(copy_of).access_path)
    store.add_user("admin", "a long test password 1", is_admin=True)
    token = store.create_token("admin", "tests")[0]
    store.close()

    def get(url: str):
        return urllib.request.urlopen(urllib.request.Request(
            url, headers={"Authorization": f"Bearer {token}"}))

    answers: list[int] = []
    with start_live_server(create_app(DataDir.open(copy_of))) as server:
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                with get(f"{server.url}/api/search?q=quokka") as response:
                    answers.append(response.status)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            made = _run("ingest", str(more), "--dataset", "more", "--quiet", data=copy_of)
        finally:
            stop.set()
            reader.join(timeout=10)
        with get(f"{server.url}/api/search?q=wombat&limit=1") as response:
            after = json.loads(response.read())
    assert made.returncode == 0, made.stderr
    assert len(answers) >= 5 and set(answers) == {200}
    assert after["total"] == 300


def test_verify_names_every_kind_of_damage(copy_of):
    _run("search", "quokka", data=copy_of, check=True)  # an audit entry to forge
    assert _run("verify", data=copy_of).returncode == 0
    data = DataDir.open(copy_of)
    note = Path(_root_of(copy_of)) / "portal" / "note.txt"
    original = note.read_text()
    note.write_text(original + "edited\n")
    text_blob = next(p for p in data.blob_dir.rglob("*")
                     if p.is_file() and p.relative_to(data.blob_dir).parts[0] != "tmp")
    text_blob.unlink()
    with sqlite3.connect(data.audit_path) as db:  # as someone with the file would
        db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        db.execute("UPDATE audit_log SET target = 'forged' "
                   "WHERE id = (SELECT MIN(id) FROM audit_log)")
    try:
        found = json.loads(_run("verify", "--json", data=copy_of).stdout)
    finally:
        note.write_text(original)
    assert not found["ok"] and not found["audit"]["ok"]
    kinds = {(f["what"], f["reason"].split(" ")[0]) for f in found["findings"]}
    assert ("original", "changed") in kinds
    assert ("blob", "missing") in kinds
    skipped = json.loads(_run("verify", "--json", "--no-originals", data=copy_of).stdout)
    assert skipped["originals"] == 0


def test_verify_finds_a_damaged_database(copy_of):
    path = DataDir.open(copy_of).tables_path
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[page + 8: page * 2 - 8] = b"\xff" * (page - 16)  # a page of the tables, overwritten
    path.write_bytes(bytes(raw))
    found = json.loads(_run("verify", "--json", "--no-originals", data=copy_of).stdout)
    assert ("database", "tables.sqlite") in {(f["what"], f["where"]) for f in found["findings"]}


def _actions(data: Path) -> list[str]:
    from trawl.access.audit import AuditLog

    folder = DataDir.open(data)
    with AuditLog(folder.audit_path, folder.secret_key_path) as log:
        return [e.action for e in log.entries(limit=100)]


def _root_of(data: Path) -> str:
    from trawl.storage.catalog import Catalog

    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    try:
        return catalog.datasets()[0].root
    finally:
        catalog.close()
