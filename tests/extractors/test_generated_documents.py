"""Document extractors on files written here, by the libraries that write such files in the
wild (PyMuPDF, python-docx, openpyxl, python-pptx, msoffcrypto, Pillow) or by hand where the
format is text (RTF, HTML, SVG, legacy encodings): the capabilities test_documents.py checks
on real files of the shared corpus, so that they are tested without it too. (Word, Excel and
PowerPoint 97-2003 files have no writer here: they are tested on real files only.)
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import fixture_files as ff
import pymupdf
import pytest
from PIL import Image

from trawl.ingestion.detect import detect_mime
from trawl.ingestion.extractors.base import EncryptedError, ExtractionError, Limits

WHEN = datetime(2015, 6, 4, 19, 34, 6, tzinfo=UTC)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def _write(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder / name


# -- PDF --------------------------------------------------------------------------------------
def test_pdf_pages_text_and_info_metadata(extract, inputs):
    path = ff.write_pdf(inputs / "report.pdf", ["Here's to the crazy ones.", "The misfits.",
                                                "The rebels."], title="The Title",
                        author="Martin Thoma", created=WHEN)
    result = extract(path)
    assert result.pages == ["Here's to the crazy ones.", "The misfits.", "The rebels."]
    assert result.metadata["page_count"] == 3
    assert result.title == "The Title" and result.metadata["author"] == "Martin Thoma"
    assert result.metadata["created"] == "2015-06-04T19:34:06+00:00"


@pytest.mark.parametrize("method", [pymupdf.PDF_ENCRYPT_AES_256, pymupdf.PDF_ENCRYPT_RC4_128])
def test_encrypted_pdf_opens_with_a_known_password(extract, inputs, method):
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "pdf encryption test")
    path = inputs / "locked.pdf"
    doc.save(path, encryption=method, user_pw="asdfzxcv", owner_pw="owner")
    with pytest.raises(EncryptedError):
        extract(path)
    result = extract(path, passwords=["wrong", "asdfzxcv"])
    assert result.metadata["encrypted"] is True
    assert "pdf encryption test" in result.full_text()


def test_pdf_encrypted_with_empty_user_password_opens_without_one(extract, inputs):
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "pdf encryption test")
    path = inputs / "owner-only.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="", owner_pw="owner")
    result = extract(path)
    assert result.metadata["encrypted"] is True
    assert "pdf encryption test" in result.full_text()


def test_pdf_attachment_becomes_an_embedded_child(extract, inputs):
    inner = ff.pdf_bytes(["The attached document."])
    path = _write(inputs, "attachment.pdf", ff.pdf_bytes(["See the attachment."],
                                                        attachments={"jpeg.pdf": inner}))
    (child,) = extract(path).children
    assert child.name == "jpeg.pdf" and child.kind == "embedded"
    assert extract.child_bytes(child) == inner


def test_scanned_pdf_pages_are_counted_as_without_text(extract, inputs):
    path = _write(inputs, "scan.pdf", ff.scanned_pdf_bytes(["A scanned notice"]))
    result = extract(path)
    assert result.metadata["pages_without_text"] == result.metadata["page_count"] == 1
    assert result.pages == [""]


def test_pdf_form_values_are_text(extract, inputs):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Name of the applicant:")
    widget = pymupdf.Widget()
    widget.field_name, widget.field_value = "applicant", "Bar"
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.rect = pymupdf.Rect(72, 80, 300, 100)
    page.add_widget(widget)
    path = inputs / "form.pdf"
    doc.save(path)
    assert "Bar" in extract(path).full_text()


def test_empty_or_broken_pdf_is_a_typed_error(extract, inputs):
    with pytest.raises(ExtractionError):
        extract(_write(inputs, "empty.pdf", b""), mime="application/pdf")
    broken = _write(inputs, "broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n%%EOF x")
    with pytest.raises(ExtractionError, match="without pages"):
        extract(broken)


# -- Office Open XML --------------------------------------------------------------------------
def test_docx_body_tables_headers_and_properties(extract, inputs):
    import docx

    document = docx.Document(io.BytesIO(ff.docx_bytes(
        ["This is a sample Microsoft Word Document."], title="Sample Word Document",
        created=WHEN, table=[["Row 1 Col 1", "Row 1 Col 2"]])))
    document.sections[0].header.paragraphs[0].text = "This is the header text."
    document.sections[0].footer.paragraphs[0].text = "This is the footer text."
    document.core_properties.last_modified_by = "Nick Burch"
    path = inputs / "testWORD.docx"
    document.save(path)
    result = extract(path)
    for expected in ("This is a sample Microsoft Word Document.", "Row 1 Col 1\tRow 1 Col 2",
                     "This is the header text.", "This is the footer text."):
        assert expected in result.text
    assert result.title == "Sample Word Document"
    assert result.metadata["last_modified_by"] == "Nick Burch"
    assert result.metadata["modified"] == "2015-06-04T19:34:06+00:00"


def test_encrypted_docx_and_xlsx_open_with_a_password(extract, inputs):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = {"testWORD_protected.docx": ff.docx_bytes(["This is an encrypted Word File."]),
             "protected.xlsx": ff.xlsx_bytes({"Sheet1": [["The answer", 42]]})}
    for name, data in plain.items():
        with (inputs / name).open("wb") as out:
            OOXMLFile(io.BytesIO(data)).encrypt("tika", out)
    word = inputs / "testWORD_protected.docx"
    assert detect_mime(word) == "application/encrypted"
    with pytest.raises(EncryptedError):
        extract(word)
    result = extract(word, passwords=["tika"])
    assert result.family == "word" and result.metadata["encrypted"] is True
    assert result.text == "This is an encrypted Word File."
    sheet = extract(inputs / "protected.xlsx", passwords=["nope", "tika"])
    assert "The answer\t42" in sheet.text


def test_xlsx_sheets_dates_and_properties(extract, inputs):
    path = _write(inputs, "testEXCEL.xlsx", ff.xlsx_bytes({
        "Feuil1": [["Sample Excel Worksheet"], ["Number", "Square"], [15, 225]],
        "Dates": [["date"], [datetime(2018, 9, 20)], [datetime(1996, 8, 10)]]},
        title="Simple Excel document"))
    result = extract(path)
    assert result.text.startswith("Sheet: Feuil1\nSample Excel Worksheet")
    assert "15\t225\n" in result.text
    assert "Sheet: Dates\ndate\n2018-09-20\n1996-08-10" in result.text
    assert result.title == "Simple Excel document"


def test_pptx_one_page_per_slide_with_notes(extract, inputs):
    path = _write(inputs, "testPPT.pptx", ff.pptx_bytes(
        [("Attachment Test", "Rajiv"), ("Second slide", "Body two"), ("Third", "Body three")],
        notes=["", "NotesForSlide2", "Notes for slide3"]))
    result = extract(path)
    assert len(result.pages) == result.metadata["slide_count"] == 3
    assert result.pages[0].startswith("Attachment Test\nRajiv")
    assert "NotesForSlide2" in result.pages[1] and "Notes for slide3" in result.pages[2]


# -- OpenDocument, RTF --------------------------------------------------------------------------
def test_odt_text_and_meta(extract, inputs):
    path = _write(inputs, "testOpenOffice2.odt", ff.odt_bytes(
        ["This is a sample Open Office document."], title="Sample ODT"))
    assert detect_mime(path) == "application/vnd.oasis.opendocument.text"
    result = extract(path)
    assert "This is a sample Open Office document." in result.text
    assert result.title == "Sample ODT"


def test_rtf_code_pages_unicode_and_info(extract, inputs):
    cp1250 = "zażółć gęślą jaźń".encode("cp1250")
    escaped = "".join(f"\\'{b:02x}" if b > 127 else chr(b) for b in cp1250)
    _write(inputs, "cp1250.rtf", (r"{\rtf1\ansi\ansicpg1250\deff0{\fonttbl{\f0 Arial;}}"
                                  "{\\pard " + escaped + r"\par}}").encode("ascii"))
    assert "zażółć gęślą jaźń" in extract(inputs / "cp1250.rtf").text
    title = "ゾルゲと尾崎、淡々と最期"
    japanese = extract(_write(inputs, "japanese.rtf", ff.rtf_bytes([title, "𐌲𐌿𐍄𐌹𐍃𐌺"],
                                                                   title=title)))
    assert title in japanese.text and japanese.title == title
    assert "𐌲𐌿𐍄𐌹𐍃𐌺" in japanese.text  # surrogate pairs joined


# -- HTML, text, images ------------------------------------------------------------------------
def test_html_title_meta_visible_text_and_no_scripts(extract, inputs):
    path = _write(inputs, "doc.html", (
        b"<html><head><title>Ingestors Title</title>"
        b'<meta name="description" content="Ingestors description">'
        b'<meta name="keywords" content="ingestors, key, words">'
        b"<style>p { color: red; }</style><script>function f() { return 1; }</script>"
        b"</head><body><p>Test web page.</p><script>var x = {a: 1};</script></body></html>"
    ))
    result = extract(path)
    assert result.title == "Ingestors Title"
    assert result.metadata["description"] == "Ingestors description"
    assert result.metadata["keywords"] == "ingestors, key, words"
    assert "Test web page." in result.text
    assert "function" not in result.text and "{" not in result.text


def test_html_in_utf16_is_decoded(extract, inputs):
    page = "<html><head><title>UTF-16</title></head><body><p>This is a sample text</p></body>"
    path = _write(inputs, "utf16.html", b"\xff\xfe" + page.encode("utf-16-le"))
    result = extract(path)
    assert result.metadata["encoding"].replace("_", "-") in ("utf-16-le", "utf-16")
    assert "This is a sample text" in result.text


def test_text_in_legacy_encodings(extract, inputs):
    german = "Die Konservativen sind Großbritanniens größter Partei, sagt die Umfrage. " * 3
    result = extract(_write(inputs, "non_utf.txt", german.encode("cp1252")))
    assert "Großbritanniens größter Partei" in result.text
    assert result.metadata["encoding"] == "cp1252"
    russian = "Однажды, в студеную зимнюю пору я из лесу вышел; был сильный мороз. " * 3
    assert "Однажды, в студеную зимнюю пору" in extract(
        _write(inputs, "russian.txt", russian.encode("cp866"))).text
    utf16 = extract(_write(inputs, "utf16.txt", "This is a test.".encode("utf-16")))
    assert utf16.text.strip() == "This is a test."


def test_text_is_truncated_at_the_limit(extract, inputs):
    limits = Limits(max_text_chars=100)
    result = extract(_write(inputs, "long.txt", b"word " * 1000), limits=limits)
    assert len(result.text) == 100
    assert any("truncated" in warning for warning in result.warnings)
    pdf = extract(ff.write_pdf(inputs / "long.pdf", ["word " * 300]), limits=limits)
    assert len(pdf.full_text()) == 100


def test_image_dimensions_exif_and_frames(extract, inputs):
    image = Image.new("RGB", (1024, 800), "white")
    exif = Image.Exif()
    exif[0x0110] = "Canon EOS 40D"  # Model
    exif.get_ifd(0x8769)[0x9003] = "2009:08:11 09:09:45"  # DateTimeOriginal
    image.save(inputs / "photo.jpg", exif=exif)
    jpeg = extract(inputs / "photo.jpg")
    assert jpeg.text is None
    assert (jpeg.metadata["width"], jpeg.metadata["height"]) == (1024, 800)
    assert jpeg.metadata["camera_model"] == "Canon EOS 40D"
    assert jpeg.metadata["created"] == "2009-08-11T09:09:45"
    frames = [Image.new("L", (64, 64), shade) for shade in range(0, 250, 25)]
    frames[0].save(inputs / "pages.tif", save_all=True, append_images=frames[1:])
    assert extract(inputs / "pages.tif").metadata["frames"] == 10


def test_svg_text(extract, inputs):
    path = _write(inputs, "image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="620" '
                  b'height="100"><text x="10" y="50">TEST</text></svg>')
    result = extract(path)
    assert result.text == "TEST"
    assert result.metadata["width"] == "620"
