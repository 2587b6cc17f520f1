"""What extraction decides about OCR, page by page (no Tesseract runs here: extraction only
lists the pages; the OCR stage reads them, tests/test_ocr.py)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from shared_corpus import corpus_path

from trawl.ingestion.ocr import (
    MAX_PIXELS,
    render_dpi,
    replaces_text_layer,
    size_problem,
    text_layer_problem,
)

ANNUAL_REPORT = ("pdap-police", "GA", "cobb_county", "acworth", "acworth_police", "data",
                 "annual_reports", "2020_Annual_Report.pdf")


def test_the_decision_is_per_page_not_per_file(extract):
    # A typed police annual report with one page that is only a picture of charts.
    result = extract(corpus_path(*ANNUAL_REPORT))
    meta = result.metadata
    assert meta["ocr"] == "pending"
    assert 5 in meta["pages_needing_ocr"]
    assert meta["ocr_reasons"]["5"] == "no text layer"
    typed = [n for n in range(2, 16) if n != 5]
    assert not set(typed) & set(meta["pages_needing_ocr"])  # typed pages are not OCR'd
    assert "Patrol Division" in result.pages[3]


def test_a_scan_with_a_usable_ocr_layer_is_not_read_again(extract):
    # pypdf's scanned book pages carry an (invisible) OCR text layer: it is used as it is.
    result = extract(corpus_path("pypdf", "Seige_of_Vicksburg_Sample_OCR.pdf"))
    assert "ocr" not in result.metadata
    assert "pages_needing_ocr" not in result.metadata
    assert "VICKSBURG" in result.pages[0]


def test_scans_without_text_layer_are_listed(extract):
    result = extract(corpus_path("icij-extract", "documents", "ocr", "jbig2_scan.pdf"))
    assert result.metadata["pages_needing_ocr"] == [1, 2]
    assert result.metadata["pages_without_text"] == 2


def test_unmapped_glyphs_make_a_page_garbage(extract):
    # Fonts without a Unicode map: MuPDF gives control characters instead of letters.
    result = extract(corpus_path("ingest-file", "example.pdf"))
    reasons = result.metadata["ocr_reasons"]
    assert set(reasons.values()) == {"unmapped glyphs in the text layer"}
    assert all(replaces_text_layer(r) for r in reasons.values())


def test_text_layer_rules():
    def no_images() -> float:
        return 0.0

    def scan() -> float:
        return 1.0

    letter = 8.5 * 11
    typed = "The quick brown fox jumps over the lazy dog. " * 20
    assert text_layer_problem(typed, letter, scan) is None
    assert text_layer_problem("", letter, no_images) == "no text layer"
    # A table of figures is text, not junk.
    figures = " ".join(["12", "3.5%", "$1,200", "2019-05-31", "Total", "-", "(4)"] * 10)
    assert text_layer_problem(figures, letter, no_images) is None
    junk = " ".join(["g#k@f", "ÿ&ÿ(", "x$q!z", "words"] * 10)
    assert text_layer_problem(junk, letter, no_images) == "text layer is mostly not words"
    assert text_layer_problem("\ufffd" * 30 + " abc", letter, no_images) == \
        "unmapped glyphs in the text layer"
    # A scanned page whose only text is a Bates stamp.
    assert text_layer_problem("DOJ-OGR-000123", letter, scan) == \
        "few words on a page that is mostly an image"
    assert text_layer_problem("DOJ-OGR-000123", letter, no_images) is None
    assert not replaces_text_layer("few words on a page that is mostly an image")


def test_images_are_listed_for_ocr_frame_by_frame(extract):
    image = extract(corpus_path("icij-extract", "documents", "ocr", "simple.tiff"))
    assert image.text is None and image.pages is None
    assert image.metadata["ocr"] == "pending"
    assert image.metadata["pages_needing_ocr"] == [1]
    tiff = extract(corpus_path("ingest-file", "multipage_tiff_example.tif"))
    assert tiff.pages == [""] * 10  # one page per frame, filled by OCR
    assert tiff.metadata["pages_needing_ocr"] == list(range(1, 11))


def test_images_too_small_or_too_large_are_skipped_with_a_reason(extract, tmp_path: Path):
    tiny = extract(corpus_path("tika", "image", "testJPEG_MotionPhoto.jpg"))  # 16 x 16
    assert "ocr" not in tiny.metadata
    assert tiny.metadata["ocr_skipped"]["1"].startswith("too small to hold text")
    big = tmp_path / "huge.png"
    Image.new("1", (9000, 8000), 1).save(big)  # 72 megapixels, a few KB on disk
    huge = extract(big)
    assert "ocr" not in huge.metadata
    assert huge.metadata["ocr_skipped"]["1"].startswith("too large to OCR")


def test_size_limits():
    assert size_problem(306, 165) is None               # simple.tiff
    assert size_problem(16, 16) is not None
    assert size_problem(40_000, 100) is not None        # wider than Tesseract takes
    assert render_dpi(612, 792) == 300                  # a letter page
    poster = render_dpi(36 * 72, 48 * 72)               # 36 x 48 inches
    assert poster is not None and poster < 300
    assert (36 * poster) * (48 * poster) <= MAX_PIXELS
    assert render_dpi(200 * 72, 200 * 72) is None       # too large even at 72 dpi
