"""The whole shared corpus (~1,300 real files written by others) through `trawl ingest`:
every path accounted for, and known text found in every family of formats."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ingest_helpers import cli_json, search, trawl_cli
from shared_corpus import CORPUS

from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir

PASSWORDS = ("hunter2",)


@pytest.fixture(scope="module")
def corpus_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    data = tmp_path_factory.mktemp("corpus-data")
    # OCR has its own tests (tests/test_ocr.py, on the corpus's OCR fixtures); on the whole
    # corpus it would read ~130 pages, 2-4 more minutes on two cores. Entities too
    # (tests/entities): the named-entity model would read the corpus's 2 million words of
    # English (the IR collections), about 3.5 more minutes.
    args = ["ingest", str(CORPUS), "--dataset", "corpus", "--quiet", "--no-ocr",
            "--no-entities"]
    for password in PASSWORDS:
        args += ["--password", password]
    trawl_cli(*args, data_dir=data)
    return data


def test_every_file_and_member_is_accounted_for(corpus_data: Path) -> None:
    status = cli_json("status", "--dataset", "corpus", data_dir=corpus_data)
    assert status["pending"] == 0
    assert status["indexed"] + status["failed"] + status["skipped"] == status["total"]
    on_disk = set()
    for folder, _dirs, files in os.walk(CORPUS):
        for name in files:
            on_disk.add(str((Path(folder) / name).relative_to(CORPUS)))
    catalog = Catalog(DataDir(corpus_data).catalog_path, readonly=True)
    top = {r[0] for r in catalog.db.execute("SELECT path FROM files WHERE parent_id IS NULL")}
    members = catalog.db.execute(
        "SELECT COUNT(*) FROM files WHERE parent_id IS NOT NULL").fetchone()[0]
    unexplained = catalog.db.execute(
        "SELECT COUNT(*) FROM files WHERE status IN ('failed', 'skipped') "
        "AND COALESCE(error, '') = ''").fetchone()[0]
    uncoded = catalog.db.execute(
        "SELECT path, error FROM files WHERE status IN ('failed', 'skipped') "
        "AND (error_code IS NULL OR error_code = 'unknown')").fetchall()
    catalog.close()
    assert top == on_disk
    assert members > 500  # archive members, attachments, messages of mailboxes
    assert unexplained == 0  # every failure and skip says why
    assert [tuple(r) for r in uncoded] == []  # ... and has a code
    assert sum(g["count"] for g in status["failures_by_code"]) == status["failed"]
    assert status["total"] == len(on_disk) + members


@pytest.mark.parametrize(("query", "path_part", "family"), [
    ('"crazy ones"', "pypdf/crazyones.pdf", "pdf"),
    ('"Hello world, Word"', "hello world word.docx", "word"),
    ("Shedrofsky", "staff_list.xlsx", "spreadsheet"),
    ('"paint graffiti"', "Plan.odt", "word"),
    ("ubersicht", "testRTFUmlautSpaces.rtf", None),  # accent folded, from RTF
    ('"Introducing Couchbase Server"', "testPST.pst/", "email"),  # a message inside a PST
    ('"shuffle/sort"', "complex.mbox/message-", "email"),  # a message inside an MBOX
    ('"sample Microsoft Word Document"', "test-documents.", "word"),  # a .doc in archives
])
def test_known_text_is_found(corpus_data: Path, query: str, path_part: str,
                             family: str | None) -> None:
    result = search(corpus_data, query, limit=50)
    matching = [h for h in result.hits if any(path_part in p for p in _paths(corpus_data, h))]
    assert matching, f"{query!r} did not find {path_part} in {[h.path for h in result.hits]}"
    if family:
        assert matching[0].family == family


def test_encrypted_pdf_opens_with_a_configured_password(corpus_data: Path) -> None:
    doc = cli_json("show", "ingest-file/password-hunter2.pdf", "--dataset", "corpus",
                   data_dir=corpus_data)
    assert doc["status"] == "indexed"
    assert doc["metadata"].get("encrypted") is True


def test_encrypted_files_without_password_fail_saying_so(corpus_data: Path) -> None:
    doc = cli_json("show", "tika/pkg/full_encrypted.7z", "--dataset", "corpus",
                   data_dir=corpus_data)
    assert doc["status"] == "failed"
    assert doc["error"].startswith("encrypted")


def test_duplicates_across_folders_keep_all_their_paths(corpus_data: Path) -> None:
    # Tika's testPDF.pdf is also in ingest-file's archives and embedded in Office files.
    doc = cli_json("show", "tika/pdf/testPDF.pdf", "--dataset", "corpus", data_dir=corpus_data)
    assert len(doc["paths"]) >= 6
    assert "ingest-file/test-documents.zip/testPDF.pdf" in doc["paths"]
    assert "ingest-file/test-documents.tar/test-documents/testPDF.pdf" in doc["paths"]
    assert search(corpus_data, "path:testPDF.pdf", limit=0).total == 1  # one document


def test_self_containing_archives_stop_at_the_first_repeat(corpus_data: Path) -> None:
    for path in ("tika/pkg/droste.zip/droste.zip", "tika/pkg/quine.gz/quine"):
        doc = cli_json("show", path, "--dataset", "corpus", data_dir=corpus_data)
        assert doc["status"] == "skipped"
        assert "contains itself" in doc["error"]


def test_a_second_run_changes_nothing(corpus_data: Path) -> None:
    before = cli_json("status", "--dataset", "corpus", data_dir=corpus_data)
    out = trawl_cli("ingest", str(CORPUS), "--dataset", "corpus", "--quiet",
                    "--password", "hunter2", "--no-entities", data_dir=corpus_data)
    assert "(0 files," in out.stderr
    assert cli_json("status", "--dataset", "corpus", data_dir=corpus_data) == before


def _paths(data: Path, hit) -> list[str]:
    return cli_json("show", hit.id, data_dir=data)["paths"]
