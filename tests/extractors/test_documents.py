"""Document extractors on real files of the shared corpus: known text out of known files.
(test_generated_documents.py checks the same capabilities on files written there.)"""

from __future__ import annotations

import re
import unicodedata

import pytest
from shared_corpus import corpus_path

from trawl.ingestion.detect import detect_mime
from trawl.ingestion.extractors.base import (
    EncryptedError,
    ExtractionError,
    Limits,
    Unsupported,
)
from trawl.ingestion.extractors.pdf import pdf_date

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def words(text: str) -> list[str]:
    """Words after NFKC (ligatures, full-width forms) and case folding."""
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


# -- PDF --------------------------------------------------------------------------------------
def test_pdf_text_matches_the_expected_text(extract):
    result = extract(corpus_path("pypdf", "crazyones.pdf"))
    expected = corpus_path("pypdf", "crazyones.txt").read_text(encoding="utf-8")
    assert words(result.full_text()) == words(expected)
    assert "misfits" in result.pages[0]  # the ﬁ ligature is expanded for search
    assert result.metadata["page_count"] == 1
    assert result.metadata["created"] == "2015-06-04T13:34:06-06:00"


def test_pdf_pages_and_info_metadata(extract):
    result = extract(corpus_path("pypdf", "metadata.pdf"))
    assert result.title == "The Title"
    assert result.metadata["author"] == "Martin Thoma"
    assert result.metadata["subject"] == "The Subject"
    assert result.metadata["created"] == "2022-04-15T09:32:43+02:00"
    assert "Whatever" in result.pages[0]

    two = extract(corpus_path("pdfminer-six", "simple1.pdf"))
    assert len(two.pages) == 1
    assert words(two.pages[0])[:2] == ["hello", "world"]


def test_pdf_two_columns_keep_reading_order_and_join_hyphenated_words(extract):
    text = extract(corpus_path("pdfminer-six", "nonfree", "naacl06-shinyama.pdf")).full_text()
    assert "Preemptive Information Extraction is an\nattempt" in text
    assert "Existing IE systems" in text  # "Ex-\nisting" joined


@pytest.mark.parametrize(
    ("parts", "password", "expected"),
    [
        (("pypdf", "encryption", "r6-user-password.pdf"), "asdfzxcv", "pdf encryption test"),
        (("pypdf", "encryption", "r2-user-password.pdf"), "asdfzxcv", "pdf encryption test"),
        (("pypdf", "libreoffice-writer-password.pdf"), "openpassword", "Lorem ipsum"),
        (("pypdf", "crazyones-encrypted-256.pdf"), "password", "The Crazy Ones"),
        (("pdfminer-six", "encryption", "aes-256-r6.pdf"), "usersecret", None),
    ],
)
def test_encrypted_pdf_opens_with_a_known_password(extract, parts, password, expected):
    path = corpus_path(*parts)
    with pytest.raises(EncryptedError):
        extract(path)
    result = extract(path, passwords=["wrong", password])
    assert result.metadata["encrypted"] is True
    if expected:
        assert expected in result.full_text()


def test_pdf_encrypted_with_empty_user_password_opens_without_one(extract):
    result = extract(corpus_path("pypdf", "encryption", "r6-empty-password.pdf"))
    assert result.metadata["encrypted"] is True
    assert "pdf encryption test" in result.full_text()


def test_pdf_attachment_becomes_an_embedded_child(extract):
    result = extract(corpus_path("pypdf", "attachment.pdf"))
    (child,) = result.children
    assert child.name == "jpeg.pdf" and child.kind == "embedded"
    assert extract.child_bytes(child).startswith(b"%PDF")


def test_scanned_pdf_pages_are_counted_as_without_text(extract):
    result = extract(corpus_path("tika", "pdf", "testOCR.pdf"))
    assert result.metadata["pages_without_text"] == result.metadata["page_count"] >= 1
    assert all(page == "" for page in result.pages)


def test_pdf_form_values_are_text(extract):
    text = extract(corpus_path("pypdf", "form_acrobatReader.pdf")).full_text()
    assert "Bar" in text


def test_broken_pdf_is_a_typed_error(extract, tmp_path):
    with pytest.raises(ExtractionError):
        extract(corpus_path("ingest-file", "empty.pdf"), mime="application/pdf")
    broken = tmp_path / "broken.pdf"  # MuPDF repairs this into a document without pages
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n%%EOF garbage")
    with pytest.raises(ExtractionError, match="without pages"):
        extract(broken)


def test_pdf_dates():
    assert pdf_date("D:20220414132421+05'24'") == "2022-04-14T13:24:21+05:24"
    assert pdf_date("D:2015") == "2015-01-01T00:00:00"
    assert pdf_date("D:20150604133406Z") == "2015-06-04T13:34:06+00:00"
    assert pdf_date("garbage") is None
    assert pdf_date("D:20151340") is None  # month 13


# -- Word, Excel, PowerPoint 97-2003 ----------------------------------------------------------
def test_doc_text_and_summary_information(extract):
    result = extract(corpus_path("ingest-file", "doc.doc"))
    assert "This is a sample Microsoft Word Document." in result.text
    assert "|This is a table |" in result.text  # antiword's table, without its padding
    assert result.title == "Sample Word Document"
    assert result.metadata["author"] == "Keith Bennett"
    assert result.metadata["created"] == "2010-11-12T16:22:00+00:00"


def test_doc_that_antiword_refuses_is_read_with_catdoc(extract):
    result = extract(corpus_path("tika", "microsoft", "testWORD6.doc"))
    assert "The quick brown fox jumps over the lazy dog" in result.text
    assert any("catdoc" in warning for warning in result.warnings)


def test_xls_sheets_as_tab_separated_rows(extract):
    result = extract(corpus_path("tika", "microsoft", "testEXCEL.xls"))
    assert result.text.startswith("Sheet: Feuil1\nSample Excel Worksheet")
    assert "\tNumber\tSquare\n\t1\t1\n\t2\t4\n" in result.text
    assert result.metadata["sheets"] == ["Feuil1", "Feuil2", "Feuil3"]
    dates = extract(corpus_path("ingest-file", "rom.xls"))
    assert "245\t2011-01-13\tŞcoala de Meserii 4 Bubueci" in dates.text


def test_encrypted_xls_and_ppt(extract):
    xls = corpus_path("tika", "microsoft", "testEXCEL_protected_passtika.xls")
    with pytest.raises(EncryptedError):
        extract(xls)
    assert "This is an Encrypted Excel spreadsheet." in extract(xls, passwords=["tika"]).text
    ppt = corpus_path("tika", "microsoft", "testPPT_protected_passtika.ppt")
    with pytest.raises(EncryptedError):
        extract(ppt)
    result = extract(ppt, passwords=["tika"])
    assert "This is an encrypted PowerPoint 2007 slide." in result.text
    assert result.metadata["encrypted"] is True


def test_ppt_text_boxes_tables_and_no_master_boilerplate(extract):
    result = extract(corpus_path("tika", "microsoft", "testPPT_various.ppt"))
    for expected in ("Here is a text box", "Row 2 Col 3", "Number bullet 3", "𐌲𐌿𐍄𐌹𐍃𐌺"):
        assert expected in result.text
    assert "Click to edit Master" not in result.text
    assert result.metadata["author"] == "Michael McCandless"
    # Text typed on a master slide is kept.
    master = extract(corpus_path("tika", "microsoft", "testPPT_masterText.ppt"))
    assert "Text that I added to the master slide" in master.text


# -- Office Open XML --------------------------------------------------------------------------
def test_docx_body_tables_headers_footnotes(extract):
    result = extract(corpus_path("tika", "microsoft", "testWORD.docx"))
    assert "This is a sample Microsoft Word Document." in result.text
    assert "This is a table\n\tNested table" in result.text
    assert result.title == "Sample Word Document"
    assert result.metadata["last_modified_by"] == "Nick Burch"
    assert result.metadata["modified"] == "2010-11-12T16:21:00+00:00"
    various = extract(corpus_path("tika", "microsoft", "testWORD_various.docx")).text
    for expected in ("This is the header text.", "This is the footer text.",
                     "This is a footnote.", "Row 1 Col 1\tRow 1 Col 2"):  # fmt: skip
        assert expected in various


def test_docx_embedded_documents_become_children(extract):
    result = extract(corpus_path("icij-extract", "documents", "recursive_embedded.docx"))
    assert "embed_0" in result.text
    (child,) = result.children
    # The OLE 'Package' envelope (oleObject1.bin) is opened to the file it carries.
    assert child.name == "embed1.zip" and child.kind == "embedded"
    assert extract.child_bytes(child).startswith(b"PK")
    wps = extract(corpus_path("tika", "microsoft", "testWPSAttachment.docx"))
    assert len(wps.children) == 9


def test_encrypted_docx_xlsx_pptx(extract):
    docx = corpus_path("tika", "microsoft", "testWORD_protected_passtika.docx")
    assert detect_mime(docx) == "application/encrypted"
    with pytest.raises(EncryptedError):
        extract(docx)
    result = extract(docx, passwords=["tika"])
    assert result.family == "word" and result.metadata["encrypted"] is True
    assert result.text == "This is an encrypted Word 2007 File."
    xlsx = extract(corpus_path("ingest-file", "password_protected.xlsx"), passwords=["password"])
    assert "The answer\t42" in xlsx.text
    pptx = corpus_path("tika", "microsoft", "testPPT_protected_passtika.pptx")
    slides = extract(pptx, passwords=["tika"])
    assert slides.family == "presentation"
    assert slides.pages == ["Encrypted\nThis is an encrypted PowerPoint 2007 slide."]


def test_ole_file_named_docx_is_decrypted(extract):
    path = corpus_path("tika", "microsoft", "casing", "protected_upper_case.docx")
    assert detect_mime(path) == DOCX  # libmagic says x-ole-storage; the name refines it
    with pytest.raises(EncryptedError):
        extract(path)
    assert extract(path, passwords=["password"]).metadata["encrypted"] is True


def test_xlsx_sheets_dates_and_properties(extract):
    result = extract(corpus_path("tika", "microsoft", "testEXCEL.xlsx"))
    assert result.text.startswith("Sheet: Feuil1\nSample Excel Worksheet")
    assert "\t15\t225\n" in result.text
    assert result.title == "Simple Excel document"
    dates = extract(corpus_path("tika", "microsoft", "testEXCEL_dateFormats.xlsx"))
    assert "date\n2018-09-20\n1996-08-10" in dates.text


def test_xlsb_is_unsupported(extract):
    with pytest.raises(Unsupported):
        extract(corpus_path("tika", "microsoft", "testEXCEL.xlsb"))


def test_pptx_one_page_per_slide_with_notes(extract):
    result = extract(corpus_path("tika", "microsoft", "testPPT.pptx"))
    assert len(result.pages) == result.metadata["slide_count"] == 3
    assert result.pages[0].startswith("Attachment Test\nRajiv")
    assert result.metadata["company"] == "Pegasystems"
    notes = extract(corpus_path("tika", "microsoft", "testPPT_various2.pptx"))
    assert "NotesForSlide2" in notes.pages[1]
    assert "Notes for slide3" in notes.pages[2]


# -- OpenDocument -----------------------------------------------------------------------------
def test_odt_text_and_meta(extract):
    result = extract(corpus_path("tika", "miscoffice", "testOpenOffice2.odt"))
    assert "This is a sample Open Office document, written in NeoOffice 2.2.1" in result.text
    assert result.metadata["created"] == "2007-09-14T11:06:08"
    footer = extract(corpus_path("tika", "miscoffice", "testFooter.odt"))
    assert "Here is footer text" in footer.text


def test_ods_sheets(extract):
    result = extract(corpus_path("tika", "miscoffice", "testFooter.ods"))
    assert result.text.startswith("Sheet: Sheet1\nData 1\tData 2\nData 3\tData 4")
    rom = extract(corpus_path("ingest-file", "rom.ods"))
    assert "Penetenciarul 11 Bălţi" in rom.text


def test_odp_page_per_slide(extract):
    result = extract(corpus_path("tika", "miscoffice", "testODP_NPE.odp"))
    assert len(result.pages) == result.metadata["slide_count"] == 37
    assert result.pages[0].startswith("Medicine and Health Care")
    assert result.title == "Medicine and Health Care"


def test_encrypted_odt(extract):
    with pytest.raises(EncryptedError):
        extract(corpus_path("tika", "miscoffice", "testODTEncrypted.odt"))


def test_odt_libmagic_calls_zip_is_refined_by_name():
    path = corpus_path("tika", "miscoffice", "testODTStyles3.odt")
    assert detect_mime(path) == "application/vnd.oasis.opendocument.text"


# -- RTF --------------------------------------------------------------------------------------
def test_rtf_code_pages_unicode_and_info(extract):
    cp1250 = extract(corpus_path("tika", "microsoft", "testRTFWindowsCodepage1250.rtf"))
    assert "zażółć gęślą jaźń" in cp1250.text
    japanese = extract(corpus_path("tika", "microsoft", "testRTFJapanese.rtf"))
    assert "ゾルゲと尾崎、淡々と最期" in japanese.text
    assert japanese.title == "ゾルゲと尾崎、淡々と最期"  # the Unicode {\ud} title
    assert japanese.metadata["created"] == "2004-10-28T10:19:00"
    gothic = extract(corpus_path("tika", "microsoft", "testRTFUnicodeGothic.rtf"))
    assert "𐌲𐌿𐍄𐌹𐍃𐌺" in gothic.text  # surrogate pairs joined
    assert extract(corpus_path("icij-extract", "documents", "text", "doc.rtf")).text == (
        "RTF Text Document"
    )


def test_rtf_headers_and_stray_ignorable_marks(extract):
    header = extract(corpus_path("tika", "microsoft", "testRTFBoldPlain.rtf"))
    assert "Animal Hospital" in header.text
    ignored = extract(corpus_path("tika", "microsoft", "testRTFIgnoredControlWord.rtf"))
    assert "The quick brown fox jumps over the lazy dog" in ignored.text


# -- HTML -------------------------------------------------------------------------------------
def test_html_title_meta_and_visible_text(extract):
    result = extract(corpus_path("ingest-file", "doc.html"))
    assert result.title == "Ingestors Title"
    assert result.metadata["description"] == "Ingestors description"
    assert result.metadata["keywords"] == "ingestors, key, words"
    assert "Test web page." in result.text


def test_html_drops_scripts_and_styles(extract):
    result = extract(corpus_path("tika", "html", "testHTML_script_in_body.html"))
    assert "function" not in result.text and "{" not in result.text


def test_html_encodings(extract):
    utf16 = extract(corpus_path("tika", "html", "testHTML_charset_utf16le.html"))
    assert utf16.metadata["encoding"] == "utf-16-le"
    assert "This is a sample text" in utf16.text
    arabic = extract(corpus_path("tika", "tika-parsers-standard-integration-tests",
                                 "testArabicMisleadingCharset.html"))  # fmt: skip
    assert "في قرية من القرى" in arabic.text


def test_xhtml_typed_as_xml_is_read_as_html(extract):
    result = extract(corpus_path("tika", "html", "boilerplate.html"))
    assert result.title == "Title"
    assert "This is the real meat of the page" in result.text
    assert "<p>" not in result.text


# -- plain text -------------------------------------------------------------------------------
def test_text_in_legacy_encodings(extract):
    german = extract(corpus_path("ingest-file", "non_utf.txt"))
    assert "Großbritanniens größter Partei" in german.text
    assert german.metadata["encoding"] == "cp1252"
    russian = extract(corpus_path("tika", "text", "russian.cp866.txt"))
    assert "Однажды, в студеную зимнюю пору" in russian.text
    utf16 = extract(corpus_path("icij-extract", "documents", "text", "utf16.txt"))
    assert utf16.text.strip() == "This is a test."


def test_nul_padded_csv_is_text(extract):
    path = corpus_path("pdap-police", "TX", "travis_county", "austin", "austin_police", "data",
                       "hate_crimes", "2021", "2021_05_13_2021.csv")  # fmt: skip
    assert detect_mime(path) == "text/csv"
    result = extract(path)
    assert "Anti-Jewish" in result.text and "\x00" not in result.text


def test_binary_under_a_text_type_is_unsupported(extract):
    with pytest.raises(Unsupported):
        extract(corpus_path("icij-extract", "documents", "garbage.bin"), mime="text/plain")


def test_text_is_truncated_at_the_limit(extract):
    limits = Limits(max_text_chars=100)
    result = extract(corpus_path("ingest-file", "non_utf.txt"), limits=limits)
    assert len(result.text) == 100
    assert any("truncated" in warning for warning in result.warnings)
    pdf = extract(corpus_path("pypdf", "crazyones.pdf"), limits=limits)
    assert len(pdf.full_text()) == 100
    sheet = extract(corpus_path("tika", "microsoft", "testEXCEL.xlsx"), limits=limits)
    assert len(sheet.text) == 100
    assert any("stopped in sheet 'Feuil1'" in warning for warning in sheet.warnings)


# -- images -----------------------------------------------------------------------------------
def test_image_dimensions_and_exif(extract):
    jpeg = extract(corpus_path("icij-extract", "documents", "ocr", "test.jpg"))
    assert jpeg.text is None
    assert (jpeg.metadata["width"], jpeg.metadata["height"]) == (1024, 800)
    exif = extract(corpus_path("tika", "image", "testJPEG_EXIF.jpg"))
    assert exif.metadata["camera_model"] == "Canon EOS 40D"
    assert exif.metadata["created"] == "2009-08-11T09:09:45"
    geo = extract(corpus_path("tika", "image", "testJPEG_GEO.jpg")).metadata
    assert (geo["gps_latitude"], geo["gps_longitude"]) == (12.54321, -54.1234)
    tiff = extract(corpus_path("ingest-file", "multipage_tiff_example.tif"))
    assert tiff.metadata["frames"] == 10
    jp2 = extract(corpus_path("ingest-file", "regression_openjpeg.jp2"))
    assert (jp2.metadata["format"], jp2.metadata["width"]) == ("JPEG2000", 1350)


def test_svg_text(extract):
    result = extract(corpus_path("ingest-file", "image.svg"))
    assert result.text == "TEST"
    assert result.metadata["width"] == "620"
