"""`trawl export` of a search (search/exports.py) on real files: the CSV and JSON lines
columns, the zip of the originals checked against its manifest member by member and against
the corpus files themselves, the size limit, the `ftm` word, and memory that stays bounded
while a generated dump is exported (the writers are generators: nothing is built whole)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from ingest_helpers import ingest
from shared_corpus import corpus_path

from trawl.cli.main import main
from trawl.index.base import SearchQuery
from trawl.search import exports
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir

REPO = Path(__file__).resolve().parents[1]
STAGES_OFF = {"ocr": False, "entities": False, "neardup": False, "threads": False}


@pytest.fixture(scope="module")
def corpus_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """ingest-file's real files, read in place (archives, mailboxes and PST: members whose
    originals are in the blob store, beside files read from the corpus folder)."""
    root = corpus_path("ingest-file")
    data = tmp_path_factory.mktemp("export-data")
    ingest(root, data, **STAGES_OFF)
    return root, data


def _total(data: Path, text: str) -> int:
    archive = Archive(DataDir.open(data))
    try:
        return archive.search(SearchQuery(text=text, limit=0)).total
    finally:
        archive.close()


def _export(data: Path, *args: str) -> int:
    return main(["export", *args, "--data-dir", str(data)])


def test_the_zip_holds_every_original_as_its_manifest_says(corpus_data, tmp_path):
    root, data = corpus_data
    out = tmp_path / "all.zip"
    assert _export(data, "*", "--format", "zip", "--output", str(out)) == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        members = set(zf.namelist()) - {"manifest.csv"}
        assert list(manifest[0]) == list(exports.MANIFEST_COLUMNS)
        kept = [row for row in manifest if not row["note"]]
        assert {row["path"] for row in kept} == members
        assert len(manifest) == _total(data, "*")  # every hit is a row, kept or not
        on_disk = 0
        for row in kept:
            body = zf.read(row["path"])
            assert hashlib.sha256(body).hexdigest() == row["sha256"], row["path"]
            assert len(body) == int(row["size"]), row["path"]
            source = root / row["path"].removeprefix("test/")
            if source.is_file():  # a walked file: the very bytes of the corpus file
                assert hashlib.sha256(source.read_bytes()).hexdigest() == row["sha256"]
                on_disk += 1
        assert on_disk >= 30
        assert len(kept) > on_disk, "members of archives and mailboxes come from the blobs"
        for name in members:
            assert not name.startswith("/") and ".." not in name.split("/")


def test_the_zip_stops_cleanly_at_its_size_limit(corpus_data, tmp_path):
    _root, data = corpus_data
    out = tmp_path / "small.zip"
    assert _export(data, "*", "--format", "zip", "--output", str(out),
                   "--max-bytes", "200000") == 0
    with zipfile.ZipFile(out) as zf:
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        kept = [row for row in manifest if not row["note"]]
        left = [row for row in manifest if "limit of 200000 bytes" in row["note"]]
        assert kept and left
        assert sum(int(row["size"]) for row in kept) <= 200_000
        assert set(zf.namelist()) - {"manifest.csv"} == {row["path"] for row in kept}


def test_csv_and_json_lines_have_the_columns(corpus_data, tmp_path):
    _root, data = corpus_data
    total = _total(data, "email")
    assert total >= 5
    out = tmp_path / "email.csv"
    assert _export(data, "email", "--output", str(out), "--base-url",
                   "https://trawl.example") == 0
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == list(exports.COLUMNS)
    assert len(rows) == total + 1
    records = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert all(r["url"].startswith("https://trawl.example/documents/" + r["id"])
               for r in records)
    assert all(r["path"] in r["paths"].split("\n") for r in records)
    assert any(r["type"] == "email" and r["snippet"] for r in records)
    out = tmp_path / "email.jsonl"
    assert _export(data, "email", "--format", "jsonl", "--output", str(out)) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    assert all(list(line) == list(exports.COLUMNS) for line in lines)
    assert all(isinstance(line["paths"], list) and line["tags"] == [] for line in lines)


def test_ftm_is_a_format_and_the_word_alone_means_it(corpus_data, capsys):
    _root, data = corpus_data
    assert _export(data, "ftm") == 2  # `trawl export ftm` needs its dataset, as before
    assert "--format ftm exports one dataset" in capsys.readouterr().err
    assert _export(data, "--format", "ftm", "--dataset", "test", "bulletin") == 2
    assert "give no query" in capsys.readouterr().err
    assert _export(data, "--format", "csv", "ftm") == 0  # the word itself, searched
    assert capsys.readouterr().out.splitlines()[0].startswith("id,dataset,title")
    assert _export(data, "*", "--format", "zip") == 2
    assert "--output" in capsys.readouterr().err


def test_an_export_is_in_the_audit_log(corpus_data, tmp_path):
    from trawl.access.audit import AuditLog

    _root, data = corpus_data
    assert _export(data, "pdf", "--output", str(tmp_path / "pdf.csv")) == 0
    dd = DataDir.open(data)
    with AuditLog(dd.audit_path, dd.secret_key_path) as log:
        entry = log.entries(action="export", limit=1)[0]
    assert entry.target == "pdf" and entry.detail["format"] == "csv"
    assert entry.detail["count"] == _total(data, "pdf")


# -- memory ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.corpus import generate

    dump = tmp_path_factory.mktemp("gen") / "dump"
    generate(dump, 12_000_000, seed=3, sites=1)
    data = tmp_path_factory.mktemp("gen-data")
    ingest(dump, data, **STAGES_OFF)
    return data


def _peak(chunks) -> tuple[int, int]:
    """(bytes produced, peak bytes allocated by Python while producing them)."""
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in chunks)
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_big_export_is_streamed_in_bounded_memory(generated):
    archive = Archive(DataDir.open(generated))
    try:
        def export(fmt: str) -> exports.Export:
            return exports.start(archive, SearchQuery(text="*"), lambda h: h.id, fmt)

        total = export("csv").total
        assert total > 200, "more than one batch of hits"
        size, peak = _peak(exports.zip_chunks(export("zip"), 10**12))
        assert size > 6_000_000
        # One chunk of one original and one batch of hits, not the export's bytes.
        assert peak < 5_000_000 < size, (size, peak)
        from trawl.web.tables import csv_chunks

        size, peak = _peak(csv_chunks(exports.csv_rows(export("csv"))))
        assert peak < 3_000_000 and size > 0, (size, peak)
    finally:
        archive.close()


def test_an_original_gone_since_ingestion_is_a_note_not_a_broken_zip(tmp_path):
    dump = tmp_path / "dump"
    (dump / "memos").mkdir(parents=True)
    for n in range(3):
        (dump / "memos" / f"memo-{n}.txt").write_text(f"Memo {n} about the quarterly budget.")
    data = tmp_path / "data"
    ingest(dump, data, **STAGES_OFF)
    (dump / "memos" / "memo-1.txt").unlink()
    out = tmp_path / "memos.zip"
    assert _export(data, "budget", "--format", "zip", "--output", str(out)) == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        manifest = {row["path"]: row for row in
                    csv.DictReader(io.StringIO(zf.read("manifest.csv").decode()))}
        assert sorted(zf.namelist()) == ["manifest.csv", "test/memos/memo-0.txt",
                                         "test/memos/memo-2.txt"]
    assert manifest["test/memos/memo-1.txt"]["note"].startswith("the original is not available")
    assert manifest["test/memos/memo-0.txt"]["note"] == ""
