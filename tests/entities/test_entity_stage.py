"""The entity stage in real ingestions: Enron mail and its CSV export, the police open-data
CSVs, the generated BlueLeaks-shaped corpus against the truth its generator wrote, `trawl
ingest --no-entities` then `trawl entities extract`, a changed file, and kill -9."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from entity_helpers import FIVE_SPELLINGS, entity_state, find_entity, write_changing_dump
from ingest_helpers import ingest, trawl_cli
from shared_corpus import REPO, corpus_path

from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.entities import EntityStore

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.corpus import generate, manifest_path  # noqa: E402
from benchmarks.entities_bench import expected, found, score  # noqa: E402


def test_one_phone_in_five_spellings_is_one_entity_with_five_spellings(mixed: Path) -> None:
    phone, mentions = find_entity(mixed, "phone", "+12125550123")
    assert phone is not None
    assert phone.spellings == sorted(["(212) 555-0123", "212-555-0123", "212.555.0123",
                                      "+1 212 555 0123", "1-212-555-0123"])
    assert (phone.documents, phone.rows, phone.sources) == (1, 0, 1)
    written = ["(212) 555-0123", "212-555-0123", "212.555.0123", "+1 212 555 0123",
               "1-212-555-0123"]
    assert [(m.path, m.text, m.start) for m in mentions] == [
        ("notes/desk.txt", w, FIVE_SPELLINGS.index(w)) for w in written]
    email, _ = find_entity(mixed, "email", "desk@example.org")
    assert email is not None and email.spellings == ["Desk@Example.org", "desk@example.org"]


def test_mail_headers_are_mentions_of_their_message(mixed: Path) -> None:
    sender, mentions = find_entity(mixed, "email", "carson@us.ibm.com")
    assert sender is not None
    where = {(m.path, m.field) for m in mentions}
    assert ("mail/carson-m/inbox/97.", "from") in where
    recipient, mentions = find_entity(mixed, "email", "mike.carson@enron.com")
    assert recipient is not None
    assert ("mail/carson-m/inbox/97.", "to") in {(m.path, m.field) for m in mentions}


def test_an_address_in_messages_and_in_table_rows_is_onefind_entity(mixed: Path) -> None:
    allen, mentions = find_entity(mixed, "email", "phillip.allen@enron.com")
    assert allen is not None
    assert allen.documents > 0 and allen.rows > 0
    assert allen.sources == 2  # mail/ and csv/
    rows = [m for m in mentions if m.table_id is not None]
    assert rows and {m.field for m in rows} <= {"message", "file"}
    assert all(m.path.startswith("csv/") for m in rows)
    # The CSV files are read through their rows, not their text as well.
    assert all(m.path.startswith("mail/") for m in mentions if m.document_id is not None)


def test_police_contact_numbers_are_mentions_of_their_rows(mixed: Path) -> None:
    fax, mentions = find_entity(mixed, "phone", "+17242744487")  # Allegheny Valley P.D.'s fax
    assert fax is not None
    assert [(m.table, m.row, m.field, m.text) for m in mentions] == [
        ("sample_police_departments", 1, "Contact Info", "724-274-4487")]
    assert (fax.documents, fax.rows, fax.sources) == (0, 1, 1)


def test_the_generated_corpus_against_its_own_truth(tmp_path: Path) -> None:
    """Every e-mail, phone, IP, URL and domain the generator wrote where a reader can read
    it is found, nothing else is, and each in as many sources as the truth says."""
    corpus = tmp_path / "corpus"
    generate(corpus, 2_500_000, seed=3, sites=3)
    truth = json.loads(manifest_path(corpus).read_text())["entities"]
    assert {kind: len(values) > 0 for kind, values in truth.items()} == {
        "email": True, "phone": True, "ip": True, "url": True, "domain": True,
        "person": True, "org": True}   # people and agencies: test_entity_truth.py
    data = tmp_path / "data"
    ingest(corpus, data, dataset="bench", ocr=False)
    quality = score(expected(truth), found(data, "bench"))
    for kind, q in quality.items():
        assert q["precision"] >= 0.98, (kind, q)
        assert q["recall"] >= 0.98, (kind, q)
        assert q["sources_right"] >= 0.98, (kind, q)


def test_no_entities_then_extract_equals_a_plain_ingest(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(corpus_path("enron-sample", "csv"), source / "csv")
    (source / "notes").mkdir()
    (source / "notes" / "desk.txt").write_text(FIVE_SPELLINGS)
    plain, later = tmp_path / "plain", tmp_path / "later"
    ingest(source, plain, ocr=False)
    ingest(source, later, ocr=False, entities=False)
    assert entity_state(later) == (set(), set())
    done = trawl_cli("entities", "extract", "--dataset", "test", "--workers", "2",
                     data_dir=later)
    assert "entities:" in done.stderr
    assert "0 files" not in done.stderr  # it read no file, and does not say it processed none
    assert entity_state(later) == entity_state(plain)
    assert entity_state(plain)[0]
    again = trawl_cli("entities", "extract", "--dataset", "test", data_dir=later)
    assert "entities:" not in again.stderr  # nothing new: nothing read
    assert entity_state(later) == entity_state(plain)


def test_a_changed_file_replaces_its_mentions(tmp_path: Path) -> None:
    source = tmp_path / "source"
    note = write_changing_dump(source)
    data = tmp_path / "data"
    ingest(source, data, ocr=False)
    assert find_entity(data, "email", "old.desk@example.org")[0] is not None
    note.write_text("The desk moved: new.desk@example.org.\n")
    os.utime(note, (time.time() + 10, time.time() + 10))
    ingest(source, data, ocr=False)
    assert find_entity(data, "email", "old.desk@example.org")[0] is None
    assert find_entity(data, "email", "new.desk@example.org")[0] is not None
    phone, mentions = find_entity(data, "phone", "+12125550100")
    assert phone is not None and [m.path for m in mentions] == ["a/stays.txt"]


def _read_so_far(data: Path) -> int:
    try:
        catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
        try:
            ds = catalog.dataset("test")
            return EntityStore(catalog).read_counts(ds.id)["documents"] if ds else 0
        finally:
            catalog.close()
    except Exception:  # the tables may not be there yet
        return 0


def test_kill_9_during_the_stage_then_resume_equals_an_uninterrupted_run(tmp_path: Path
                                                                          ) -> None:
    source = tmp_path / "source"
    (source / "many").mkdir(parents=True)
    for i in range(2000):  # enough small documents that the kills land mid-stage
        (source / "many" / f"note-{i:05}.txt").write_text(
            f"Note {i}: agent{i % 700}@example.org called (212) 555-{i % 10000:04d}; "
            f"see https://example.org/case/{i % 50}.\n")
    shutil.copytree(corpus_path("enron-sample", "csv"), source / "csv")
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    ingest(source, reference, ocr=False)
    ingest(source, interrupted, ocr=False, entities=False)
    env = {**os.environ, "TRAWL_DATA": str(interrupted)}
    seen = 0
    for _ in range(2):
        process = subprocess.Popen(
            [sys.executable, "-m", "trawl.cli.main", "entities", "extract", "--dataset",
             "test", "--quiet", "--workers", "2"], env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while _read_so_far(interrupted) <= seen and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its workers, at once
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the stage ended before it was killed"
        now = _read_so_far(interrupted)
        assert seen < now < 2000, "killed while reading the documents"
        seen = now
    trawl_cli("entities", "extract", "--dataset", "test", "--quiet", data_dir=interrupted)
    entities, mentions = entity_state(interrupted)
    assert (entities, mentions) == entity_state(reference)
    assert len(mentions) > 9000


def test_a_batch_whose_worker_died_is_read_again_one_document_at_a_time(tmp_path: Path
                                                                        ) -> None:
    """The pool reports a worker killed on its time limit, or dead, with a TaskResult for the
    task; a batch is then split, so that one bad document costs only itself."""
    from trawl.ingestion.progress import Progress
    from trawl.ingestion.worker import TaskResult

    source = tmp_path / "source"
    source.mkdir()
    for i in range(3):
        (source / f"n{i}.txt").write_text(f"Write to agent{i}@example.org.\n")
    catalog, dataset, stage = _stage_over(source, tmp_path / "data", timeout_s=60)
    pending = stage.store.pending_documents(dataset.id, stage.recogniser)
    [batch] = list(stage._all_tasks(pending, set(), []))
    assert len(batch.documents) == 3
    stage._numbered(batch)
    stage._take(TaskResult(batch.file_id, error="timed out after 60 s", code="timeout"))
    assert [len(task.documents) for task in stage._retry] == [1, 1, 1]
    with Progress("entities", quiet=True) as progress:
        stage._pooled(iter([]), progress)  # the retries, through a real pool
    catalog.commit()
    assert stage.summary.documents == 3 and stage.summary.failed == 0
    stage.store.refresh(dataset.id)
    assert {e.key for e in stage.store.listing(dataset.id, limit=1000)} == {
        f"agent{i}@example.org" for i in range(3)}
    catalog.close()


def _stage_over(source: Path, data_dir: Path, timeout_s: float):
    """`source` ingested without entities, and an entity stage over it (one worker)."""
    from trawl.ingestion.entity_stage import EntityStage
    from trawl.ingestion.worker import WorkerConfig

    ingest(source, data_dir, ocr=False, entities=False)
    data = DataDir.open(data_dir)
    catalog = Catalog(data.catalog_path)
    dataset = catalog.dataset("test")
    assert dataset is not None
    stage = EntityStage(data, catalog, dataset, WorkerConfig(data.blob_dir, data.tmp_dir,
                                                             data.catalog_path),
                        "US", workers=1, memory_limit=None, timeout_s=timeout_s, quiet=True)
    return catalog, dataset, stage


def test_a_document_past_the_time_limit_is_recorded_failed(tmp_path: Path) -> None:
    """A real worker killed on its time limit (the pool's own path, no TaskResult made by
    hand): the document is counted failed, the others read, the run goes on."""

    source = tmp_path / "source"
    source.mkdir()
    (source / "small.txt").write_text("Write to agent@example.org.\n")
    (source / "huge.txt").write_text("Call 212-555-0123 or mail x@example.org. " * 400_000)
    catalog, dataset, stage = _stage_over(source, tmp_path / "data", timeout_s=0.5)
    summary = stage.run()
    catalog.commit()
    assert summary.failed == 1 and summary.documents == 2
    stage.store.refresh(dataset.id)
    assert "agent@example.org" in {e.key for e in stage.store.listing(dataset.id, limit=100)}
    catalog.close()


def test_trawl_ocr_reads_the_entities_of_the_pages_it_read(tmp_path: Path) -> None:
    """OCR gives a content a new text: `trawl ocr` runs the stage after, which reads it."""
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (scripts/install-system-packages)")
    from PIL import Image, ImageDraw, ImageFont

    source = tmp_path / "source"
    source.mkdir()
    scan = Image.new("L", (1800, 300), 255)
    ImageDraw.Draw(scan).text((40, 100), "Call the desk: ocr.desk@example.org", fill=0,
                              font=ImageFont.load_default(size=60))
    scan.save(source / "scan.png", dpi=(300, 300))
    data = tmp_path / "data"
    ingest(source, data, ocr=False)
    assert find_entity(data, "email", "ocr.desk@example.org")[0] is None
    done = trawl_cli("ocr", "--dataset", "test", "--workers", "1", data_dir=data)
    assert "entities: 1 document" in done.stderr
    desk, mentions = find_entity(data, "email", "ocr.desk@example.org")
    assert desk is not None and [m.path for m in mentions] == ["scan.png"]


def test_a_copy_in_another_folder_is_one_more_source(tmp_path: Path) -> None:
    """Nothing new to read (the same content), but the entity is in one more top folder."""
    source = tmp_path / "source"
    (source / "ncric").mkdir(parents=True)
    bulletin = "Report sightings to tips@example.org.\n"
    (source / "ncric" / "bulletin.txt").write_text(bulletin)
    data = tmp_path / "data"
    ingest(source, data, ocr=False)
    assert find_entity(data, "email", "tips@example.org")[0].sources == 1
    (source / "jric").mkdir()
    (source / "jric" / "copy.txt").write_text(bulletin)
    ingest(source, data, ocr=False)
    tips, mentions = find_entity(data, "email", "tips@example.org")
    assert (tips.documents, tips.sources) == (1, 2)
    assert len(mentions) == 1  # one document, with two paths
