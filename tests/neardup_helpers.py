"""Helpers of the near-duplicate tests: real texts (Cranfield's abstracts, all on one topic:
aerodynamics) laid out the ways dumps copy a bulletin, and the state of the store."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import fitz  # PyMuPDF
from shared_corpus import corpus_path

from trawl.search.neardup import NearDupReader
from trawl.search.service import Archive
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.neardup import NearDupStore


def abstracts() -> list[str]:
    """Cranfield's 1,400 abstracts (real prose, one field: different texts on one topic)."""
    text = corpus_path("ir-cranfield", "cran.all.1400").read_text(errors="replace")
    return [" ".join(body.split()) for part in re.split(r"\n\.I \d+\n", text)
            if (body := part.partition("\n.W\n")[2]).strip()]


def bulletin(body: str, agency: str, date: str) -> str:
    return (f"{agency}\nIntelligence Bulletin\nDate: {date}\nUNCLASSIFIED//FOR OFFICIAL USE "
            f"ONLY\n\n{body}\n\nContact the {agency} watch desk with any information.")


def write_pdf(path: Path, pages: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = fitz.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(fitz.Rect(50, 50, 550, 800), text, fontsize=9)
    doc.save(path)
    doc.close()


def resave_pdf(source: Path, path: Path) -> None:
    """The same PDF saved again (other bytes: compressed, garbage-collected, new ids)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = fitz.open(source)
    doc.set_metadata({"producer": "re-saved by a portal"})
    doc.save(path, garbage=4, deflate=True)
    doc.close()
    assert path.read_bytes() != source.read_bytes()


def write_docx(path: Path, text: str) -> None:
    import docx

    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    document.save(str(path))


def reader(data_dir: Path) -> NearDupReader:
    return NearDupReader(Archive(DataDir.open(data_dir)))


def doc_id(data_dir: Path, path: str, dataset: str = "test") -> str:
    r = reader(data_dir)
    try:
        return r.archive.find(path, dataset).id
    finally:
        r.archive.close()


def clusters_by_path(data_dir: Path, dataset: str = "test") -> list[set[str]]:
    """Each cluster of the dataset as the set of its paths."""
    catalog = Catalog(DataDir.open(data_dir).catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        store = NearDupStore(catalog)
        return [{c.path for c in store.copies(members)} for members in store.all_members(ds.id)]
    finally:
        catalog.close()


def neardup_state(data_dir: Path, dataset: str = "test") -> tuple[set, set, set]:
    """What two equivalent runs must share: the signatures, the pairs, the clusters (as sets
    of documents, whatever their ids)."""
    catalog = Catalog(DataDir.open(data_dir).catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        store = NearDupStore(catalog)
        if not store.present:
            return set(), set(), set()
        db = catalog.db
        signatures = {tuple(r) for r in db.execute(
            "SELECT document_id, shingles, signature FROM neardup_documents")}
        pairs = {tuple(r) for r in db.execute("SELECT a, b, similarity FROM neardup_pairs")}
        clusters = {frozenset(m) for m in store.all_members(ds.id)}
        return signatures, pairs, clusters
    finally:
        catalog.close()


def read_so_far(data_dir: Path) -> int:
    try:
        catalog = Catalog(DataDir.open(data_dir).catalog_path, readonly=True)
        try:
            ds = catalog.dataset("test")
            return NearDupStore(catalog).read_count(ds.id) if ds else 0
        finally:
            catalog.close()
    except Exception:  # the tables may not be there yet
        return 0


COPIES = {"ncric/files/bulletin.pdf", "jric/DDF/bulletin.pdf", "memiac/saved/bulletin.pdf",
          "dediac/docs/bulletin.docx", "arictexas/mail/bulletin.txt"}


def write_bulletin_dump(root: Path) -> None:
    """One bulletin (two real abstracts as its body) in five agencies, four ways, and once
    more as page 2 of a three-page report; other abstracts on the same topic elsewhere."""
    texts = abstracts()
    body = texts[0] + "\n" + texts[1]
    original = bulletin(body, "Northern California Regional Intelligence Center",
                        "2020-06-01")
    write_pdf(root / "ncric/files/bulletin.pdf", [original])
    (root / "jric/DDF").mkdir(parents=True)
    shutil.copy(root / "ncric/files/bulletin.pdf", root / "jric/DDF/bulletin.pdf")
    resave_pdf(root / "ncric/files/bulletin.pdf", root / "memiac/saved/bulletin.pdf")
    write_docx(root / "dediac/docs/bulletin.docx", original)
    (root / "arictexas/mail").mkdir(parents=True)
    (root / "arictexas/mail/bulletin.txt").write_text(
        bulletin(body, "Austin Regional Intelligence Center", "2020-06-09"))
    write_pdf(root / "arictexas/reports/weekly.pdf", [texts[5] + " " + texts[6], original,
                                                      texts[7] + " " + texts[8]])
    for i in range(2, 5):  # same topic, other texts, same header
        write_pdf(root / f"ncric/files/other-{i}.pdf", [bulletin(
            texts[i * 10] + "\n" + texts[i * 10 + 1],
            "Northern California Regional Intelligence Center", "2020-06-01")])
