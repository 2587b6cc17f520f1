"""Fixtures of the entity tests: one real ingestion shared by the tests that only read it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from entity_helpers import FIVE_SPELLINGS
from ingest_helpers import ingest
from shared_corpus import corpus_path


@pytest.fixture(scope="session")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enron's mail as messages (mail/) and as its CSV export (csv/), the Allegheny County
    police contact list (police/), a note with one phone number in five spellings, and one
    whose example.org is both a URL and a domain."""
    root = tmp_path_factory.mktemp("mixed") / "dump"
    shutil.copytree(corpus_path("enron-sample", "maildir"), root / "mail")
    shutil.copytree(corpus_path("enron-sample", "csv"), root / "csv")
    (root / "police").mkdir()
    shutil.copy(corpus_path("pdap-police", "PA", "allegheny_county", "departments_by_muni",
                            "sample_police_departments.csv"), root / "police")
    (root / "notes").mkdir()
    (root / "notes" / "desk.txt").write_text(FIVE_SPELLINGS)
    (root / "notes" / "links.txt").write_text("The portal: https://example.org/ (example.org)\n")
    data = root.parent / "data"
    ingest(root, data, ocr=False)
    return data
