"""Failure codes: each failure and skip records a stable code beside its message (in the
catalog, `trawl status --json`, the API and the overview), and `trawl retry --failed` retries
only the failures a retry may cure while `--all` retries every one. On files written here, one
of each kind the shared corpus has a real one of (ingest-file's password-hunter2.pdf,
500_pages.7z.001, empty.pdf, memo.m4a, badzip.zip); test_corpus_ingest.py ingests those."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import fixture_files as ff
import pytest
from fastapi.testclient import TestClient
from ingest_helpers import admin_headers, cli_json, ingest, trawl_cli

from trawl.errors import CODES, RETRYABLE_CODES, UNKNOWN, is_retryable
from trawl.storage import browse
from trawl.storage.catalog import SCHEMA, Catalog
from trawl.storage.datadir import DataDir

# (file, status, code): one file for each code a file of a dump can get.
FILES = [
    ("password-hunter2.pdf", "failed", "encrypted"),
    ("500_pages.7z.001", "failed", "corrupt"),   # one part of a split 7z
    ("empty.pdf", "skipped", "empty"),           # 0 bytes
    ("memo.m4a", "skipped", "unsupported"),
    ("badzip.zip", "indexed", None),             # a symlink member inside
    ("matryoshka.zip", "indexed", None),         # zips nested past the depth limit
]
LINK_TARGET = "leak.victim@example.org"  # a message that quotes personal data
DEPTH = 25  # the default nesting limit (IngestOptions.max_depth)


def _write(root: Path, name: str) -> Path:
    contents = {
        "password-hunter2.pdf": lambda: ff.pdf_bytes(["A memo behind a password."],
                                                     password="hunter2"),
        "500_pages.7z.001": ff.split_7z_first_part,
        "empty.pdf": lambda: b"",
        "memo.m4a": ff.m4a_bytes,
        "badzip.zip": lambda: ff.zip_with_symlink("secret.txt", "/ingestors/tests/fixtures/"
                                                  "secret.txt"),
        "matryoshka.zip": lambda: ff.nested_zip(DEPTH + 1),
    }
    (root / name).write_bytes(contents[name]())
    return root / name


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dump of the FILES and a symbolic link, ingested once; the data directory."""
    root = tmp_path_factory.mktemp("dump")
    for name, _status, _code in FILES:
        _write(root, name)
    os.symlink(LINK_TARGET, root / "victim-link")
    data = tmp_path_factory.mktemp("data")
    counts = ingest(root, data, ocr=False)
    assert counts["pending"] == 0
    return data


def _codes(data: Path, dataset: str = "test") -> dict[str, tuple[str, str | None]]:
    """path -> (status, code) of every path of the dataset, as the catalog has them."""
    catalog = Catalog(DataDir(data).catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        rows = catalog.db.execute(
            "SELECT path, status, error_code FROM files WHERE dataset_id = ?", (ds.id,))
        return {path: (status, code) for path, status, code in rows}
    finally:
        catalog.close()


def test_each_failure_and_skip_records_its_code_in_the_catalog(coded: Path) -> None:
    found = _codes(coded)
    for name, status, code in FILES:
        assert found[name] == (status, code), name
    assert found["victim-link"] == ("skipped", "link")
    # A member: the zip nested past the limit is not unpacked (a safety limit).
    [too_deep] = [path for path, (status, _code) in found.items() if status == "skipped"
                  and path.startswith("matryoshka.zip/")]
    assert found[too_deep] == ("skipped", "limit") and too_deep.count(".zip") == DEPTH + 2
    assert all(code in CODES for status, code in found.values() if status != "indexed")
    # The content keeps the code too: a copy found later takes it without being read again.
    catalog = Catalog(DataDir(coded).catalog_path, readonly=True)
    try:
        row = catalog.file_by_path(catalog.dataset("test").id, "password-hunter2.pdf")
        content = catalog.content(row.sha256)
        assert (content.status, content.error_code) == ("failed", "encrypted")
        assert content.error.startswith("encrypted")  # the message stays beside the code
    finally:
        catalog.close()


def test_archive_members_not_extracted_carry_a_code(coded: Path) -> None:
    doc = cli_json("show", "badzip.zip", "--dataset", "test", data_dir=coded)
    [skipped] = doc["children"]
    assert skipped["path"] == "badzip.zip/secret.txt"
    assert (skipped["status"], skipped["error_code"]) == ("skipped", "link")
    assert "symbolic link" in skipped["error"]


def test_status_json_groups_by_code(coded: Path) -> None:
    status = cli_json("status", "--dataset", "test", data_dir=coded)
    assert status["failures_by_code"] == [
        {"code": "corrupt", "retryable": False, "count": 1},
        {"code": "encrypted", "retryable": False, "count": 1},
    ]
    # Two links: the one on disk, and the member of badzip.zip (a path of its own too).
    assert {g["code"]: g["count"] for g in status["skipped_by_code"]} == {
        "empty": 1, "unsupported": 1, "link": 2, "limit": 1}
    assert sum(g["count"] for g in status["failures_by_code"]) == status["failed"]
    # What there was before codes is still there.
    assert sorted(r["count"] for r in status["failures_by_reason"]) == [1, 1]
    assert {e["path"]: e["code"] for e in status["latest_errors"]} == {
        "password-hunter2.pdf": "encrypted", "500_pages.7z.001": "corrupt"}
    text = trawl_cli("status", "--dataset", "test", data_dir=coded).stdout
    assert re.search(r"failed by code:\n\s+corrupt\s+1\n\s+encrypted\s+1\n", text), text


def _client(data: Path, **headers: str) -> TestClient:
    from trawl.web.app import create_app

    return TestClient(create_app(DataDir(data)), headers=headers)


def test_the_api_groups_by_code_with_meanings_and_messages(coded: Path) -> None:
    with _client(coded, **admin_headers(DataDir(coded))) as client:
        body = client.get("/api/datasets/test").json()
    by_code = {g["code"]: g for g in body["failures_by_code"]}
    assert set(by_code) == {"encrypted", "corrupt"}
    encrypted = by_code["encrypted"]
    assert encrypted["retryable"] is False and encrypted["count"] == 1
    assert encrypted["meaning"] == CODES["encrypted"].meaning
    [(reason, count)] = [(r["reason"], r["count"]) for r in encrypted["reasons"]]
    assert reason.startswith("encrypted: ") and count == 1
    skipped = {g["code"]: g for g in body["skipped_by_code"]}
    assert set(skipped) == {"empty", "unsupported", "link", "limit"}
    assert any(f"symbolic link to {LINK_TARGET}" in r["reason"]
               for r in skipped["link"]["reasons"])
    # The flat lists of messages are kept, each message with its code.
    assert {(f["code"], f["count"]) for f in body["failures"]} == {("encrypted", 1),
                                                                  ("corrupt", 1)}
    assert any(s["code"] == "empty" and s["reason"] == "empty file" for s in body["skipped"])


def test_the_overview_links_each_code_to_its_files(coded: Path) -> None:
    with _client(coded, **admin_headers(DataDir(coded))) as client:
        page = client.get("/datasets/test").text
        assert "Failures by code" in page and "Skipped, by code" in page
        assert CODES["encrypted"].meaning in page
        link = "/datasets/test/problems?status=failed&amp;code=encrypted"
        assert link in page
        listing = client.get("/datasets/test/problems",
                             params={"status": "failed", "code": "encrypted"}).text
        assert "password-hunter2.pdf" in listing and "500_pages.7z.001" not in listing
        every = client.get("/datasets/test/problems", params={"status": "skipped"}).text
        for name in ("empty.pdf", "memo.m4a", "victim-link"):
            assert name in every
        french = client.get("/datasets/test", headers={"Accept-Language": "fr"}).text
        assert "Échecs par code" in french
        assert "chiffré, et aucun mot de passe donné ne l’a ouvert" in french


def test_messages_under_a_code_are_masked_for_a_redacted_reader(
        coded: Path, tmp_path: Path) -> None:
    from trawl.derive.redacted_view import set_visibility

    data = tmp_path / "public"
    shutil.copytree(coded, data)
    set_visibility(DataDir(data), "test", "public")
    with _client(data) as stranger:  # no token: a public dataset is read redacted
        body = stranger.get("/api/datasets/test").json()
        page = stranger.get("/datasets/test").text
        listing = stranger.get("/datasets/test/problems",
                               params={"status": "skipped", "code": "link"}).text
    link = next(g for g in body["skipped_by_code"] if g["code"] == "link")
    assert link["count"] == 2  # the link on disk and the link member of badzip.zip
    assert LINK_TARGET not in str(body) and LINK_TARGET not in page
    assert LINK_TARGET not in listing and "victim-link" in listing
    assert any("[email]" in r["reason"] for r in link["reasons"])


def test_retry_failed_retries_the_retryable_and_all_retries_every_one(
        tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    for name in ("password-hunter2.pdf", "500_pages.7z.001"):
        _write(root, name)
    data = tmp_path / "data"
    ingest(root, data, ocr=False)
    # A large text (25 MB of abstracts) under a time limit it cannot meet: a real time-out,
    # recorded as such, which a retry without the limit cures.
    abstract = (b"An experimental study of the boundary layer on a flat plate at supersonic "
                b"speed, with heat transfer measured along the wall. ")
    (root / "cranfield.txt").write_bytes(abstract * 200_000)
    ingest(root, data, ocr=False, timeout_s=0.05)
    assert _codes(data)["cranfield.txt"] == ("failed", "timeout")

    out = trawl_cli("retry", "--dataset", "test", "--failed", "--quiet", data_dir=data)
    assert "1 failed file retried" in out.stderr
    assert "2 failed files left as they were (corrupt 1, encrypted 1)" in out.stderr
    found = _codes(data)
    assert found["cranfield.txt"] == ("indexed", None)
    assert found["password-hunter2.pdf"] == ("failed", "encrypted")  # not even tried

    # Even with the right password, --failed leaves an encrypted file alone ...
    out = trawl_cli("retry", "--dataset", "test", "--password", "hunter2", "--quiet",
                    data_dir=data)
    assert "0 failed files retried" in out.stderr
    assert _codes(data)["password-hunter2.pdf"] == ("failed", "encrypted")
    # ... and --all retries it: it opens now. The corrupt file fails again, the same way.
    out = trawl_cli("retry", "--dataset", "test", "--all", "--password", "hunter2",
                    "--quiet", data_dir=data)
    assert "2 failed files retried" in out.stderr and "left as they were" not in out.stderr
    found = _codes(data)
    assert found["password-hunter2.pdf"] == ("indexed", None)
    assert found["500_pages.7z.001"] == ("failed", "corrupt")
    status = cli_json("status", "--dataset", "test", data_dir=data)
    assert status["failures_by_code"] == [{"code": "corrupt", "retryable": False, "count": 1}]


def _old_catalog(path: Path) -> None:
    """A catalog as Trawl wrote it before failure codes: the schema without error_code, and
    a failed and a skipped path recorded then."""
    old = "\n".join(line for line in SCHEMA.splitlines() if "error_code" not in line)
    old = old.replace("extracted_at REAL,\n);", "extracted_at REAL\n);")
    db = sqlite3.connect(path)
    db.executescript(old)
    db.execute("INSERT INTO datasets (id, name, created_at) VALUES (1, 'old', 0)")
    db.executemany(
        "INSERT INTO files (dataset_id, path, status, error) VALUES (1, ?, ?, ?)",
        [("a.pdf", "failed", "timed out after 900 s (the per-file time limit)"),
         ("b.bin", "skipped", "unsupported file type: application/octet-stream")])
    db.commit()
    db.close()


def test_an_older_catalog_reads_as_unknown_and_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    _old_catalog(path)
    reader = Catalog(path, readonly=True)  # the web or `trawl status` before any ingest
    try:
        assert not reader.has_codes
        assert reader.errors_by_code(1, "failed") == [(UNKNOWN, 1)]
        assert [g.code for g in browse.code_groups(reader, 1, "skipped")] == [UNKNOWN]
        assert browse.files_with_reason(reader, 1, "failed", None, code="timeout") == []
    finally:
        reader.close()
    catalog = Catalog(path)  # a writer adds the column; the old rows keep NULL
    try:
        assert catalog.has_codes
        assert catalog.file_by_path(1, "a.pdf").error_code is None
        assert catalog.errors_by_code(1, "failed") == [(UNKNOWN, 1)]
        [row] = browse.files_with_reason(catalog, 1, "failed", None, code=UNKNOWN)
        assert row.path == "a.pdf"
        # Unknown is retried by --failed: nothing says it would fail again.
        assert catalog.reset_failed(1, retryable_only=True) == 1
        assert catalog.file_by_path(1, "a.pdf").status == "pending"
    finally:
        catalog.close()


def test_reset_failed_keeps_the_failures_a_retry_would_repeat(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    try:
        ds = catalog.ensure_dataset("d", str(tmp_path))
        for code in CODES:
            catalog.record_walk_problem(ds.id, f"{code}.bin", "file", "failed", code, code)
        catalog.record_walk_problem(ds.id, "folder", "dir", "failed", "cannot list", "io")
        assert catalog.reset_failed(ds.id) == len(RETRYABLE_CODES)
        left = dict(catalog.errors_by_code(ds.id, "failed"))
        assert set(left) == {c for c in CODES if not is_retryable(c)} | {"io"}
        assert left["io"] == 1  # the folder: a new walk lists it again, not a retry
        assert catalog.reset_failed(ds.id, retryable_only=False) == len(CODES) - len(
            RETRYABLE_CODES)
        assert catalog.errors_by_code(ds.id, "failed") == [("io", 1)]
    finally:
        catalog.close()


def test_the_web_meanings_are_the_codes_meanings() -> None:
    from trawl.web import failure_codes, i18n

    i18n.set_language("en")
    for code, known in CODES.items():
        assert failure_codes.meaning(code) == known.meaning
    assert failure_codes.meaning(UNKNOWN).startswith("recorded before Trawl kept")
    assert failure_codes.meaning("no-such-code") == failure_codes.meaning(UNKNOWN)
