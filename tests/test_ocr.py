"""OCR end to end, with the real Tesseract: the engine (text, rotation, skew, confidence, time
limit), the OCR stage of `trawl ingest`, `--no-ocr` then `trawl ocr`, the cache, the search
filter and the document page. On scans drawn here (fixture_files.scan: printed text on a
page, saved as TIFF, PNG, GIF, JPEG 2000, a PDF), and on the OCR fixtures of the shared
corpus when it is there (ICIJ extract's test pages, a police annual report).

A few pages only: the whole file runs in well under a minute and a half on two cores."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import fixture_files as ff
import pytest
from ingest_helpers import admin_headers, ingest, search, trawl_cli
from PIL import Image
from shared_corpus import corpus_path

from trawl.index.base import SearchQuery
from trawl.ingestion.ocr import OcrEngine, OcrError, OcrSettings, tesseract_info, to_gray
from trawl.ingestion.ocr_pages import OcrTask, PageReader, image_frame
from trawl.search.service import Archive
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir

OCR_DIR = ("icij-extract", "documents", "ocr")
ANNUAL_REPORT = ("pdap-police", "GA", "cobb_county", "acworth", "acworth_police", "data",
                 "annual_reports", "2020_Annual_Report.pdf")
# What ICIJ extract's own OCR tests expect of its fixtures (Tess4JOCRParserTest).
ROTATED_SENTENCE = "Its had resolving otherwise she contented therefore"
TEST_PNG_START = "The (quick) [brown] {fox} jumps!\nOver the $43,456.78 <lazy> #90 dog"
# The scans drawn here.
DEMOGRAPHICS = ["Racial Demographics of arrests in 2020", "White 412, Black 388, Hispanic 51,",
                "Asian 12, other or unknown 9.", "Compiled by the Records Unit of the department",
                "from the reports filed by patrol officers."]
REPORT_PAGES = [
    "Annual report 2020\nA message from the chief of police.",
    "Budget and staffing\nThe department employs 42 sworn officers and 11 civilians.",
    "Training\nEvery officer completed 40 hours of in-service training.",
    "Patrol Division\nThe Patrol Division answered 18,233 calls for service.",
    "",  # page 5: a scanned chart, no text layer
    "Criminal Investigations\nDetectives were assigned 612 cases.",
]


@pytest.fixture(scope="module", autouse=True)
def _tesseract() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (scripts/install-system-packages)")
    tesseract_info.cache_clear()


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]{3,}", text)}


def overlap(expected: str, found: str) -> float:
    want = words(expected)
    return len(want & words(found)) / len(want)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> OcrEngine:
    return OcrEngine(tmp_path_factory.mktemp("ocr-blobs"), OcrSettings())


def heavy_metal() -> Image.Image:
    return ff.scan(["HEAVY METAL"], size=(1400, 400), font_size=64)


def sentences() -> Image.Image:
    return ff.scan(DEMOGRAPHICS)


# -- the engine, on scans drawn here ------------------------------------------------------------
def test_a_scan_reads_its_words_with_a_confidence(engine: OcrEngine, tmp_path: Path) -> None:
    heavy_metal().save(tmp_path / "simple.tiff", dpi=(200, 200))
    gray, dpi = image_frame(tmp_path / "simple.tiff", 1)
    assert dpi == 200
    result = engine.read(gray, dpi)
    assert result.text.split() == ["HEAVY", "METAL"]
    assert result.confidence is not None and result.confidence > 80
    assert result.rotation == 0 and not result.cached


def test_image_formats_of_one_scan_read_the_same_text(engine: OcrEngine, tmp_path: Path
                                                      ) -> None:
    # The same page as PNG (1-bit, 200 dpi), GIF (palette, no DPI) and JPEG 2000.
    page = sentences()
    page.convert("1").save(tmp_path / "page.png", dpi=(200, 200))
    page.convert("P").save(tmp_path / "page.gif")
    page.save(tmp_path / "page.jp2")
    for name in ("page.png", "page.gif", "page.jp2"):
        gray, dpi = image_frame(tmp_path / name, 1)
        text = engine.read(gray, dpi).text
        assert text.startswith(DEMOGRAPHICS[0]), name
        assert overlap(" ".join(DEMOGRAPHICS), text) >= 0.9, name


@pytest.mark.parametrize("degrees", [10, -10])
def test_scans_askew_are_straightened(engine: OcrEngine, degrees: int) -> None:
    askew = sentences().rotate(degrees, expand=True, fillcolor=255,
                               resample=Image.Resampling.BICUBIC)
    result = engine.read(askew, 200)
    assert abs(abs(result.skew) - 10) <= 0.5
    assert DEMOGRAPHICS[0] in result.text


def test_scans_turned_90_180_270_come_out_right(engine: OcrEngine) -> None:
    upright = sentences()
    reference = engine.read(upright, 200).text
    for degrees, rotation in ((90, 90), (180, 180), (270, 270), (185, 180)):
        turned = upright.rotate(degrees, expand=True, fillcolor=255,
                                resample=Image.Resampling.BICUBIC)
        result = engine.read(turned, 200)
        assert result.rotation == rotation, degrees  # clockwise, to read it
        assert overlap(reference, result.text) >= 0.8, degrees
    assert result.skew


def test_each_page_has_a_time_limit(tmp_path: Path) -> None:
    hasty = OcrEngine(tmp_path, OcrSettings(page_timeout_s=0.001))
    path = tmp_path / "page.png"
    sentences().save(path, dpi=(200, 200))
    gray, dpi = image_frame(path, 1)
    with pytest.raises(OcrError, match="timed out"):
        hasty.read(gray, dpi)
    # In a worker, the page records the error; the run goes on.
    page = PageReader(hasty).read(OcrTask(1, "0" * 64, str(path), "image", 1))
    assert page.result is None and "timed out" in (page.error or "")


# -- the engine, on the corpus's OCR fixtures ----------------------------------------------------
def test_simple_tiff_reads_heavy_metal(engine: OcrEngine) -> None:
    gray, dpi = image_frame(corpus_path(*OCR_DIR, "simple.tiff"), 1)
    result = engine.read(gray, dpi)
    assert result.text.split() == ["HEAVY", "METAL"]
    assert result.confidence is not None and result.confidence > 80
    assert result.rotation == 0 and not result.cached


def test_image_formats_read_the_same_text(engine: OcrEngine) -> None:
    # The same test page as PNG (1-bit, 300 dpi), JPEG 2000 and GIF (palette, no DPI).
    for name in ("test.png", "test.jp2", "test.gif"):
        gray, dpi = image_frame(corpus_path(*OCR_DIR, name), 1)
        text = engine.read(gray, dpi).text
        assert text.startswith(TEST_PNG_START[:31]), name
        assert overlap(TEST_PNG_START, text) >= 0.8, name


@pytest.mark.parametrize("name", ["test_rotated+10.png", "test_rotated-10.png"])
def test_skewed_scans_are_straightened(engine: OcrEngine, name: str) -> None:
    # Scans 10 degrees askew (and a transparent background): read as is, Tesseract finds
    # nothing on them.
    gray, dpi = image_frame(corpus_path(*OCR_DIR, name), 1)
    result = engine.read(gray, dpi)
    assert abs(abs(result.skew) - 10) <= 0.5
    assert ROTATED_SENTENCE in result.text
    assert len(result.text.split()) > 400


def test_pages_turned_90_180_270_come_out_right(engine: OcrEngine) -> None:
    upright = to_gray(Image.open(corpus_path(*OCR_DIR, "test.png")))
    reference = engine.read(upright, 300).text
    # (turned counter-clockwise by, the turn that reads it): the last one is upside down
    # and 5 degrees askew.
    for degrees, rotation in ((90, 90), (180, 180), (270, 270), (185, 180)):
        turned = upright.rotate(degrees, expand=True, fillcolor=255,
                                resample=Image.Resampling.BICUBIC)
        result = engine.read(turned, 300)
        assert result.rotation == rotation, degrees  # clockwise, to read it
        assert overlap(reference, result.text) >= 0.8, degrees
    assert result.skew


# -- the OCR stage in ingestion -----------------------------------------------------------------
@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report whose page 5 is a scan among typed pages, a scan as TIFF and the same image
    as PNG, a two-page TIFF and a typed memo."""
    root = tmp_path_factory.mktemp("scans")
    (root / "reports").mkdir()
    (root / "reports" / "annual.pdf").write_bytes(
        ff.scanned_report_pdf(REPORT_PAGES, {5: DEMOGRAPHICS}))
    heavy_metal().save(root / "simple.tiff", dpi=(200, 200))
    # The same scan in another file format: other bytes, the same image. Read once.
    with Image.open(root / "simple.tiff") as img:
        img.save(root / "simple-again.png", dpi=img.info["dpi"])
    first, second = (ff.scan([f"Page {n} of the statement"], size=(1700, 600)) for n in (1, 2))
    first.save(root / "multipage.tif", save_all=True, append_images=[second], dpi=(200, 200))
    (root / "typed.txt").write_text("A typed memo about heavy rain, nothing scanned.\n")
    return root


@pytest.fixture(scope="module")
def ocr_data(scans: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("ocr-data")
    counts = ingest(scans, data)
    assert counts["pending"] == 0 and counts["failed"] == 0
    return data


def _metadata(data: Path, path: str) -> dict:
    catalog = Catalog(DataDir(data).catalog_path, readonly=True)
    try:
        ds = catalog.dataset("test")
        assert ds is not None
        row = catalog.file_by_path(ds.id, path)
        assert row is not None and row.sha256
        content = catalog.content(row.sha256)
        assert content is not None
        return content.metadata
    finally:
        catalog.close()


def test_image_only_page_is_ocrd_and_typed_pages_are_not(ocr_data: Path) -> None:
    meta = _metadata(ocr_data, "reports/annual.pdf")
    assert meta["ocr"] == "done"
    assert "5" in meta["ocr_pages"] and meta["ocr_pages"]["5"] > 50
    assert "4" not in meta["ocr_pages"]
    hits = search(ocr_data, '"Racial Demographics"').hits
    assert [(h.path, h.page) for h in hits] == [("reports/annual.pdf", 5)]
    # Typed text of the same document is still found on its own page.
    hits = search(ocr_data, '"Patrol Division"').hits
    assert hits and hits[0].page == 4


def test_the_real_annual_report_page_5_is_ocrd(tmp_path: Path) -> None:
    """The police annual report of the corpus the generated one is modelled on."""
    (tmp_path / "dump").mkdir()
    shutil.copy(corpus_path(*ANNUAL_REPORT), tmp_path / "dump" / "annual.pdf")
    data = tmp_path / "data"
    ingest(tmp_path / "dump", data)
    meta = _metadata(data, "annual.pdf")
    assert meta["ocr"] == "done" and "5" in meta["ocr_pages"] and "4" not in meta["ocr_pages"]
    assert [(h.path, h.page) for h in search(data, '"Racial Demographics"').hits] == \
        [("annual.pdf", 5)]
    assert search(data, '"Patrol Division"').hits[0].page == 4


def test_identical_scans_are_read_once(ocr_data: Path) -> None:
    first = _metadata(ocr_data, "simple.tiff")
    second = _metadata(ocr_data, "simple-again.png")
    assert first["ocr_pages"] == second["ocr_pages"]
    # One of the two was read by Tesseract, the other came from the cache.
    cached = [m.get("ocr_cached_pages") for m in (first, second)]
    assert sorted(cached, key=bool) == [None, [1]]
    assert {h.path for h in search(ocr_data, '"HEAVY METAL"').hits} == \
        {"simple.tiff", "simple-again.png"}


def test_multipage_tiff_becomes_pages(ocr_data: Path) -> None:
    hits = search(ocr_data, '"Page 2"').hits
    tiff = [h for h in hits if h.path == "multipage.tif"]
    assert tiff and tiff[0].page == 2
    assert set(_metadata(ocr_data, "multipage.tif")["ocr_pages"]) == {"1", "2"}


def test_search_can_filter_to_ocr_text(ocr_data: Path) -> None:
    ocr = search(ocr_data, "heavy", filters={"ocr": ["yes"]})
    assert {h.path for h in ocr.hits} == {"simple.tiff", "simple-again.png"}
    typed = search(ocr_data, "heavy", filters={"ocr": ["no"]})
    assert [h.path for h in typed.hits] == ["typed.txt"]
    facets = search(ocr_data, "*", facets=("ocr",)).facets["ocr"]
    assert dict(facets) == {"yes": 4, "no": 1}
    out = trawl_cli("search", "heavy", "--ocr", "yes", "--json", data_dir=ocr_data).stdout
    assert '"typed.txt"' not in out and '"simple.tiff"' in out
    # In the query language too.
    assert {h.path for h in search(ocr_data, "heavy AND ocr:yes").hits} == \
        {"simple.tiff", "simple-again.png"}


def test_document_page_marks_ocr_pages_and_confidence(ocr_data: Path) -> None:
    from fastapi.testclient import TestClient

    from trawl.web.app import create_app

    archive = Archive(DataDir(ocr_data))
    hit = archive.search(SearchQuery(text='"Racial Demographics"')).hits[0]
    archive.close()
    with TestClient(create_app(DataDir(ocr_data)),
                    headers=admin_headers(DataDir(ocr_data))) as client:
        html = client.get(f"/documents/{hit.id}").text
        heads = re.findall(r'<h3 class="page-head">.*?</h3>', html)
        assert "badge-ocr" in heads[4] and "badge-ocr" not in heads[3]
        assert re.search(r"OCR \d+%", heads[4])
        facet = client.get("/?q=heavy&ocr=yes").text
        assert 'data-facet="ocr"' in facet and "typed.txt" not in facet


# -- --no-ocr, then trawl ocr -------------------------------------------------------------------
def test_no_ocr_then_trawl_ocr_gives_the_same_text(scans: Path, ocr_data: Path,
                                                   tmp_path: Path) -> None:
    data = tmp_path / "later"
    trawl_cli("ingest", str(scans), "--dataset", "test", "--no-ocr", "--workers", "2",
              "--quiet", data_dir=data)
    assert not search(data, '"Racial Demographics"').hits
    status = trawl_cli("status", "--dataset", "test", data_dir=data).stdout
    assert "OCR pending: 4 documents" in status
    # A page read before (an interrupted run) is not read again: pre-fill the cache with it.
    gray, dpi = image_frame(scans / "simple.tiff", 1)
    OcrEngine(DataDir(data).blob_dir, OcrSettings()).read(gray, dpi)
    # A later run of the dataset remembers --no-ocr.
    trawl_cli("ingest", str(scans), "--dataset", "test", "--quiet", data_dir=data)
    assert _metadata(data, "simple.tiff")["ocr"] == "pending"
    done = trawl_cli("ocr", "--dataset", "test", "--workers", "2", data_dir=data)
    assert re.search(r"ocr test: \d+/\d+ pages +[\d.]+ pages/s", done.stderr)  # progress
    assert "(2 from the cache)" in done.stderr  # simple.tiff and its PNG twin
    for query in ('"Racial Demographics"', '"HEAVY METAL"', '"Page 2"'):
        assert [(h.path, h.page) for h in search(data, query).hits] == \
            [(h.path, h.page) for h in search(ocr_data, query).hits], query
    for path in ("reports/annual.pdf", "simple.tiff", "multipage.tif"):
        assert _metadata(data, path)["ocr_pages"] == _metadata(ocr_data, path)["ocr_pages"]
    assert "OCR pending" not in trawl_cli("status", "--dataset", "test", data_dir=data).stdout


def test_unknown_ocr_language_is_refused(scans: Path, tmp_path: Path) -> None:
    done = trawl_cli("ingest", str(scans), "--dataset", "x", "--ocr-languages", "eng+xyz",
                     data_dir=tmp_path / "data", check=False)
    assert done.returncode == 2
    assert "'xyz' is not installed" in done.stderr
