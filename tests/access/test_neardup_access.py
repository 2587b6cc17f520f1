"""Near-copies never reveal a document the caller may not read: one bulletin in 14 datasets
(one agency each) is in 14 sources for whoever reads them all and in 3 for a reader of
three; a dataset outside the scope is not found; a dataset read redacted lists its copies
with masked paths."""

from __future__ import annotations

import pytest
from neardup_helpers import abstracts, bulletin

from trawl.access.policy import ReadScope
from trawl.errors import NotFound
from trawl.ingestion.pipeline import Ingester, IngestOptions
from trawl.search.neardup import NearDupReader
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir

AGENCIES = [f"agency{i:02}" for i in range(14)]
MASKED = "agency03"  # its copy's file name holds an e-mail address


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    texts = abstracts()
    body = texts[0] + "\n" + texts[1]
    dumps = tmp_path_factory.mktemp("dumps")
    data = DataDir.open(tmp_path_factory.mktemp("data"))
    for i, name in enumerate(AGENCIES):
        root = dumps / name
        folder = root / f"{name}-portal" / "DDF"
        folder.mkdir(parents=True)
        file = "from jane.doe@example.org.txt" if name == MASKED else "bulletin.txt"
        (folder / file).write_text(bulletin(body, f"Agency {i}", f"2020-06-{i + 1:02}"))
        (folder / "other.txt").write_text(texts[100 + i] + " " + texts[200 + i])
        ingester = Ingester(data, name, IngestOptions(workers=1, quiet=True, ocr=False,
                                                      entities=False))
        try:
            ingester.ingest(root)
        finally:
            ingester.close()
    return data


def _similar(data: DataDir, scope: ReadScope | None, dataset: str = "agency00") -> dict:
    archive = Archive(data)
    try:
        reader = NearDupReader(archive if scope is None else archive.scoped(scope))
        return reader.similar("agency00-portal/DDF/bulletin.txt" if dataset == "agency00"
                              else f"{dataset}-portal/DDF/bulletin.txt", dataset).as_json()
    finally:
        archive.close()


def test_whoever_reads_every_dataset_sees_fourteen_sources(data: DataDir) -> None:
    found = _similar(data, None)
    assert found["cluster"]["sources"] == 14 and found["also_in"] == 13
    assert {n["dataset"] for n in found["near_duplicates"]} == set(AGENCIES) - {"agency00"}
    assert all(n["similarity"] >= 0.8 for n in found["near_duplicates"])


def test_a_reader_of_three_sees_three(data: DataDir) -> None:
    scope = ReadScope(full=frozenset({"agency00", "agency05", "agency09"}))
    found = _similar(data, scope)
    assert found["cluster"]["sources"] == 3 and found["cluster"]["size"] == 3
    assert found["also_in"] == 2
    assert {n["dataset"] for n in found["near_duplicates"]} == {"agency05", "agency09"}
    # More like this: only documents of the three datasets, none of the copies.
    assert found["similar"]
    assert {s["dataset"] for s in found["similar"]} <= {"agency00", "agency05", "agency09"}
    assert not {s["id"] for s in found["similar"]} & \
        {n["id"] for n in found["near_duplicates"]}


def test_a_document_outside_the_scope_is_not_found(data: DataDir) -> None:
    scope = ReadScope(full=frozenset({"agency05"}))
    with pytest.raises(NotFound):
        _similar(data, scope)
    archive = Archive(data).scoped(scope)
    try:
        with pytest.raises(NotFound):
            NearDupReader(archive).clusters("agency00")
    finally:
        archive.close()


def test_a_dataset_read_redacted_gives_masked_paths(data: DataDir) -> None:
    scope = ReadScope(full=frozenset({"agency00"}), redacted=frozenset({MASKED}))
    found = _similar(data, scope)
    assert found["also_in"] == 1
    (copy,) = found["near_duplicates"]
    assert copy["dataset"] == MASKED
    assert "jane.doe@example.org" not in copy["path"]
    assert copy["path"].startswith(f"{MASKED}-portal/DDF/")
    # In full, the same copy under its real name.
    full = _similar(data, ReadScope(full=frozenset({"agency00", MASKED})))
    assert full["near_duplicates"][0]["path"] == \
        f"{MASKED}-portal/DDF/from jane.doe@example.org.txt"

