"""The web tests' layer of real files: the same kinds of files as the generated sample, taken
from the shared corpus (sample_data.REAL_FILES: a real crime report, Tika's script-laden HTML
pages, a real zip of office files, a real encrypted PDF), ingested into a data directory of
their own. Skipped where the corpus is absent; the generated sample covers every capability.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sample_data import ADMIN, ADMIN_PASSWORD, build_real_sample
from shared_corpus import CORPUS

from trawl.storage.datadir import DataDir

ZIP = "ncric/files/test-documents.zip"
REPORT = "atlanta/files/2021Week16CrimeReport.pdf"
HTML_PAGES = ["web/testHTMLBadScript.html", "web/testHTML_script_in_body.html",
              "web/testHTML_embedded_img_in_js.html", "web/testHTMLGoodScript.html",
              "web/testSrcDoc.html"]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    from fastapi.testclient import TestClient

    from trawl.access.store import AccessStore
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.web.app import create_app

    dump = build_real_sample(CORPUS, tmp_path_factory.mktemp("real-dump"))
    data = DataDir.open(tmp_path_factory.mktemp("real-data"))
    # No OCR: nothing here is about it, and the real scans cost two minutes of it.
    ingester = Ingester(data, "real", IngestOptions(workers=2, quiet=True, ocr=False))
    try:
        ingester.ingest(dump)
    finally:
        ingester.close()
    store = AccessStore(data.access_path)
    store.add_user(ADMIN, ADMIN_PASSWORD, is_admin=True)
    secret, _token = store.create_token(ADMIN, "real-files")
    store.close()
    with TestClient(create_app(data), headers={"Authorization": f"Bearer {secret}"}) as client:
        yield client


@pytest.fixture(scope="module")
def ids(real) -> dict[str, str]:
    out = {}
    for hit in real.get("/api/search", params={"q": "*", "limit": 200}).json()["hits"]:
        for path in real.get(f"/api/documents/{hit['id']}",
                             params={"text": "false"}).json()["paths"]:
            out[path] = hit["id"]
    return out


def test_real_crime_report_is_nine_pages_found_page_by_page(real, ids) -> None:
    body = real.get("/api/search", params={"q": "crime", "type": "pdf"}).json()
    report = next(h for h in body["hits"] if h["path"] == REPORT)
    assert len(report["pages"]) > 1
    page = real.get(f"/documents/{ids[REPORT]}", params={"q": "crime", "page": 8}).text
    assert "COBRA REPORT" in page and "Page 8 of 9" in page
    image = real.get(f"/documents/{ids[REPORT]}/pages/2.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_real_zip_members_are_documents(real, ids) -> None:
    members = {path.split("/")[-1] for path in ids if path.startswith(ZIP + "/")}
    assert {"testPDF.pdf", "testWORD.doc", "testEXCEL.xls", "testPPT.ppt", "testRTF.rtf",
            "testOpenOffice2.odt", "testHTML.html", "testTXT.txt"} <= members
    archive = real.get(f"/documents/{ids[ZIP]}").text
    assert f'<a href="/documents/{ids[ZIP + "/testPDF.pdf"]}">testPDF.pdf</a>' in archive


def test_real_encrypted_pdf_fails_as_encrypted(real, ids) -> None:
    overview = real.get("/api/datasets/real").json()
    encrypted = next(g for g in overview["failures_by_code"] if g["code"] == "encrypted")
    assert encrypted["count"] == 1
    failed = real.get(f"/documents/{ids['ncric/files/password-hunter2.pdf']}").text
    assert "Extraction failed" in failed and "encrypted" in failed


def test_real_images_have_previews(real, ids) -> None:
    jpg = real.get(f"/documents/{ids['ncric/files/regression_jpg.jpg']}/preview")
    assert jpg.status_code == 200 and jpg.headers["content-type"] == "image/jpeg"
    png = real.get(f"/documents/{ids['ncric/mail/testEmailWithPNGAtt.eml/testPNG.png']}"
                   "/preview")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"


@pytest.mark.parametrize("path", HTML_PAGES)
def test_tika_html_pages_are_framed_without_scripts(real, ids, path) -> None:
    frame = real.get(f"/documents/{ids[path]}/frame")
    assert frame.status_code == 200
    assert "script-src" not in frame.headers["content-security-policy"]
    body = frame.text.lower()
    for bad in ("<script", "cool script", "<iframe", "srcdoc"):
        assert bad not in body, (path, bad)
