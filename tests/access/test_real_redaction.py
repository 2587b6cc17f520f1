"""The access tests' layer of real files: real Louisville police CSVs and real Enron sent
mail from the shared corpus, in a public dataset of their own, read by a stranger. The same
checks as test_public_redaction.py makes on files shaped like them; skipped where the corpus
is absent."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_helpers import admin_headers, ingest
from shared_corpus import CORPUS

from trawl.storage.datadir import DataDir

POLICE_CSVS = [
    "KY/jefferson_county/louisville/louisville_police/data/hate_crimes/"
    "2021_05_10_hate_crimes.csv",
    "KY/jefferson_county/louisville/louisville_police/data/firearm_intake/"
    "normalized_addresses/2021_05_10_normalized_addresses.csv",
]
ENRON_MESSAGES = ["allen-p/_sent_mail/1.", "allen-p/_sent_mail/10.", "allen-p/_sent_mail/101."]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\(?\b\d{3}\)?[ .-]\d{3}-\d{4}\b")


def _dump(root: Path) -> Path:
    for relative in POLICE_CSVS:
        source = CORPUS / "pdap-police" / relative
        (root / "police").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / "police" / source.name)
    (root / "mail").mkdir()
    for relative in ENRON_MESSAGES:
        source = CORPUS / "enron-sample" / "maildir" / relative
        shutil.copyfile(source, root / "mail" / (relative.replace("/", "_") + "eml"))
    return root


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """(a stranger's client, the admin's headers) over the public dataset `real`."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    from fastapi.testclient import TestClient

    from trawl.derive.redacted_view import set_visibility
    from trawl.web.app import create_app

    base = tmp_path_factory.mktemp("real-redaction")
    ingest(_dump(base / "dump"), base / "data", dataset="real", ocr=False)
    data = DataDir.open(base / "data")
    set_visibility(data, "real", "public")
    headers = admin_headers(data)
    with TestClient(create_app(data), follow_redirects=False) as client:
        yield client, headers


def test_real_enron_addresses_are_masked_everywhere(clients) -> None:
    web, admin = clients
    address = '"phillip.allen@enron.com"'
    assert web.get("/api/search", params={"q": address}, headers=admin).json()["total"] >= 1
    assert web.get("/api/search", params={"q": address}).json()["total"] == 0
    mail = web.get("/api/search", params={"q": "forecast", "type": "email"}).json()
    assert mail["total"] >= 1
    for hit in mail["hits"]:
        document = web.get(f"/api/documents/{hit['id']}").json()
        shown = str(document)
        assert not EMAIL.search(shown.replace("[email]", "")), shown[:500]
        assert document["redacted"] is True
        page = web.get(f"/documents/{hit['id']}").text
        assert "enron.com" not in page
        assert "/frame" not in page and "/original" not in page


def test_real_police_csvs_keep_their_non_personal_data(clients) -> None:
    web, _admin = clients
    listing = web.get("/api/datasets/real/tables").json()["tables"]
    crimes = next(t for t in listing if "hate_crimes" in t["source"])
    shown = web.get(f"/api/tables/{crimes['id']}", params={"limit": 5}).json()
    text = str(shown["rows"])
    assert "VANDALISM" in text or "ASSAULT" in text  # ordinary data is not masked
    assert not PHONE.search(text)
