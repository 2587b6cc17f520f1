"""The near-duplicate stage in real ingestions: a bulletin copied the ways dumps copy it
(the same bytes, a re-saved PDF, a DOCX of its text, a header and a date stamp changed,
inside a bigger PDF) across agencies, against other texts on the same topic; the
generated BlueLeaks-shaped corpus against its ground truth and against exact Jaccard;
real fixtures in two formats; `--no-neardup` then `trawl neardup`; a new copy joining its
cluster; a changed file; and kill -9 mid-stage."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest_helpers import cli_json, ingest, search, trawl_cli
from neardup_helpers import (
    COPIES,
    abstracts,
    bulletin,
    clusters_by_path,
    doc_id,
    neardup_state,
    read_so_far,
    reader,
    write_bulletin_dump,
)
from shared_corpus import REPO, corpus_path

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.corpus import generate, manifest_path  # noqa: E402
from benchmarks.neardup_bench import document_shingles, exact_sample, truth_scores  # noqa: E402


def test_copies_made_the_ways_dumps_make_them_are_one_cluster(tmp_path: Path) -> None:
    root, data = tmp_path / "dump", tmp_path / "data"
    write_bulletin_dump(root)
    ingest(root, data, ocr=False, entities=False)
    clusters = clusters_by_path(data)
    assert COPIES in clusters  # the exact copy is the same document at two paths
    assert all(not (c & COPIES) for c in clusters if c != COPIES)  # the others stay apart
    assert not any("other-" in path for c in clusters for path in c)
    found = cli_json("similar", "ncric/files/bulletin.pdf", "--dataset", "test",
                     data_dir=data)
    assert found["cluster"]["size"] == 5 and found["cluster"]["sources"] == 5
    assert found["also_in"] == 4
    near = {n["path"]: n for n in found["near_duplicates"]}
    assert set(near) == COPIES - {"ncric/files/bulletin.pdf"}
    assert near["jric/DDF/bulletin.pdf"]["similarity"] == 1.0
    assert 0.8 <= near["arictexas/mail/bulletin.txt"]["similarity"] < 1.0  # re-headed
    assert [n["date"] for n in found["near_duplicates"]] == sorted(
        n["date"] for n in found["near_duplicates"])
    # The bulletin inside the bigger report: found by its page, not clustered with it.
    assert [(p["page"], p["path"], p["other_page"]) for p in found["pages"]] == [
        (0, "arictexas/reports/weekly.pdf", 2)]
    # More like this: by words, not the copies. The report holding the bulletin comes first,
    # then other texts on the topic (same header, other abstracts).
    similar = [s["path"] for s in found["similar"]]
    assert similar[0] == "arictexas/reports/weekly.pdf"
    assert not set(similar) & COPIES
    assert {f"ncric/files/other-{i}.pdf" for i in range(2, 5)} <= set(similar)
    listed = cli_json("clusters", "--dataset", "test", "--min-sources", "5", data_dir=data)
    assert [c["size"] for c in listed["clusters"]] == [5]
    csv_out = trawl_cli("clusters", "--dataset", "test", "--csv", data_dir=data).stdout
    assert csv_out.splitlines()[0] == "id,dataset,size,sources,first_date,title,path"


def test_no_neardup_then_trawl_neardup_equals_a_plain_ingest(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    write_bulletin_dump(root)
    plain, later = tmp_path / "plain", tmp_path / "later"
    ingest(root, plain, ocr=False, entities=False)
    ingest(root, later, ocr=False, entities=False, neardup=False)
    assert neardup_state(later) == (set(), set(), set())
    done = trawl_cli("neardup", "--dataset", "test", data_dir=later)
    assert "near-duplicates:" in done.stderr and "0 files" not in done.stderr
    assert neardup_state(later) == neardup_state(plain)
    again = trawl_cli("neardup", "--dataset", "test", data_dir=later)
    assert "near-duplicates:" not in again.stderr  # nothing new: nothing read


def test_a_new_copy_joins_its_cluster_and_a_changed_one_leaves_it(tmp_path: Path) -> None:
    root, data = tmp_path / "dump", tmp_path / "data"
    write_bulletin_dump(root)
    ingest(root, data, ocr=False, entities=False)
    before = reader(data)
    try:
        cluster_id = before.similar("ncric/files/bulletin.pdf", "test").cluster.id
    finally:
        before.archive.close()
    texts = abstracts()
    late = root / "vfc/late/bulletin.txt"
    late.parent.mkdir(parents=True)
    late.write_text(bulletin(texts[0] + "\n" + texts[1], "Virginia Fusion Center",
                             "2020-07-01"))
    ingest(root, data, ocr=False, entities=False)
    assert COPIES | {"vfc/late/bulletin.txt"} in clusters_by_path(data)
    after = reader(data)
    try:
        assert after.similar("vfc/late/bulletin.txt", "test").cluster.id == cluster_id
    finally:
        after.archive.close()
    changed = root / "arictexas/mail/bulletin.txt"
    changed.write_text(bulletin(texts[200] + "\n" + texts[201], "Austin", "2020-06-09"))
    os.utime(changed, (time.time() + 10, time.time() + 10))
    ingest(root, data, ocr=False, entities=False)
    clusters = clusters_by_path(data)
    assert COPIES - {"arictexas/mail/bulletin.txt"} | {"vfc/late/bulletin.txt"} in clusters
    assert not any("arictexas/mail/bulletin.txt" in c for c in clusters)
    # The index entries carry the clusters as they are now (search collapses on them).
    in_index = {h.path: h.cluster for h in search(data, "*", limit=50).hits}
    assert in_index["vfc/late/bulletin.txt"] == cluster_id
    assert in_index["arictexas/mail/bulletin.txt"] is None


def test_the_same_text_in_two_office_formats_is_a_near_copy(tmp_path: Path) -> None:
    """Real fixtures: Tika's testWORD_various as .doc (antiword) and .docx (python-docx),
    and its testPPT as .pptx and .pptm, in two agencies; other Word files apart."""
    root, data = tmp_path / "dump", tmp_path / "data"
    for name in ("testWORD_various.doc", "testPPT.pptx", "testComment.docx"):
        (root / "a").mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_path("tika", "microsoft", name), root / "a" / name)
    for name in ("testWORD_various.docx", "testPPT.pptm"):
        (root / "b").mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_path("tika", "microsoft", name), root / "b" / name)
    ingest(root, data, ocr=False, entities=False)
    assert clusters_by_path(data) == [{"a/testPPT.pptx", "b/testPPT.pptm"}]
    # antiword and python-docx place the text box, the footnote and the header and footer
    # apart: a short text at 0.65, a near-copy at a threshold of 0.6 (read again at once).
    ingest(root, data, ocr=False, entities=False, neardup_threshold=0.6)
    clusters = clusters_by_path(data)
    assert {"a/testWORD_various.doc", "b/testWORD_various.docx"} in clusters
    assert {"a/testPPT.pptx", "b/testPPT.pptm"} in clusters
    assert not any("a/testComment.docx" in c for c in clusters)


def test_the_generated_corpus_against_its_truth_and_exact_jaccard(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    generate(corpus, 8_000_000, seed=4, sites=4)  # a bulletin in PDF and DOCX: pairs
    manifest = json.loads(manifest_path(corpus).read_text())
    ingest(corpus, data, dataset="gen", ocr=False, entities=False)
    sets = document_shingles(data)
    truth = truth_scores(data, manifest, sets, 0.8)
    assert truth["pairs_at_threshold"] > 0, truth
    assert truth["precision"] >= 0.95 and truth["recall_at_threshold"] >= 0.95, truth
    exact = exact_sample(data, sets, 400, 0.8)
    assert exact["pairs_expected"] > 0, exact
    assert exact["precision_without_chaining"] >= 0.95 and exact["recall"] >= 0.95, exact


def test_kill_9_during_the_stage_then_resume_equals_an_uninterrupted_run(tmp_path: Path
                                                                          ) -> None:
    texts = abstracts()
    source = tmp_path / "source"
    for i in range(6000):  # enough documents that the kills land mid-stage
        folder = source / f"site{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        # Groups of near-copies: the same abstract, re-dated.
        (folder / f"note-{i:05}.txt").write_text(
            f"Date {i}\n{texts[i % 900]}\n{texts[(i + 1) % 900]}")
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    ingest(source, reference, ocr=False, entities=False)
    ingest(source, interrupted, ocr=False, entities=False, neardup=False)
    env = {**os.environ, "TRAWL_DATA": str(interrupted)}
    seen = 0
    for _ in range(2):
        process = subprocess.Popen(
            [sys.executable, "-m", "trawl.cli.main", "neardup", "--dataset", "test",
             "--quiet"], env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while read_so_far(interrupted) <= seen and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the stage ended before it was killed"
        now = read_so_far(interrupted)
        assert seen < now < 6000, "killed while reading the documents"
        seen = now
    trawl_cli("neardup", "--dataset", "test", "--quiet", data_dir=interrupted)
    assert neardup_state(interrupted) == neardup_state(reference)
    assert len(neardup_state(reference)[2]) >= 800


def test_a_threshold_is_checked_and_remembered(tmp_path: Path) -> None:
    root, data = tmp_path / "dump", tmp_path / "data"
    write_bulletin_dump(root)
    ingest(root, data, ocr=False, entities=False, neardup=False)
    refused = trawl_cli("neardup", "--dataset", "test", "--neardup-threshold", "0.2",
                        data_dir=data, check=False)
    assert refused.returncode != 0 and "between 0.5 and 1" in refused.stderr
    trawl_cli("neardup", "--dataset", "test", "--neardup-threshold", "0.99", data_dir=data)
    strict = clusters_by_path(data)
    assert COPIES - {"arictexas/mail/bulletin.txt"} in strict  # the same text, any bytes
    assert not any("arictexas/mail/bulletin.txt" in c for c in strict)  # re-headed: 0.9
    assert doc_id(data, "ncric/files/bulletin.pdf")


def test_a_scan_of_the_bulletin_and_an_email_quoting_it_are_near_copies(tmp_path: Path
                                                                      ) -> None:
    """The bulletin's page rendered to an image and put in a PDF with no text layer (read by
    OCR), and a forwarded e-mail quoting it with "> ", find the typed PDF."""
    import fitz

    root, data = tmp_path / "dump", tmp_path / "data"
    write_bulletin_dump(root)
    typed = fitz.open(root / "ncric/files/bulletin.pdf")
    image = typed[0].get_pixmap(dpi=300, colorspace=fitz.csGRAY).tobytes("png")
    typed.close()
    scan = fitz.open()
    page = scan.new_page()
    page.insert_image(page.rect, stream=image)
    (root / "vfc/scans").mkdir(parents=True)
    scan.save(root / "vfc/scans/bulletin-scan.pdf")
    scan.close()
    texts = abstracts()
    quoted = "\n".join(f"> {line}" for line in bulletin(
        texts[0] + "\n" + texts[1], "Northern California Regional Intelligence Center",
        "2020-06-01").splitlines())
    (root / "mwfc/mail").mkdir(parents=True)
    (root / "mwfc/mail/fwd.eml").write_text(
        "From: Analyst <analyst@mwfc.example>\nTo: desk@mwfc.example\n"
        "Subject: FW: Intelligence Bulletin\nDate: Tue, 2 Jun 2020 09:00:00 +0000\n\n"
        f"For awareness, see below.\n\n-----Original Message-----\n{quoted}\n")
    ingest(root, data, entities=False)  # OCR on
    found = cli_json("similar", "ncric/files/bulletin.pdf", "--dataset", "test",
                     data_dir=data)
    near = {n["path"]: n["similarity"] for n in found["near_duplicates"]}
    assert near["mwfc/mail/fwd.eml"] >= 0.8, near
    assert near["vfc/scans/bulletin-scan.pdf"] >= 0.8, near
