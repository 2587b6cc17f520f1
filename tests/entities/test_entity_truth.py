"""People and organisations of a generated BlueLeaks-shaped corpus against the generator's
ground truth (the manifest's ``entities``, benchmarks/corpus/truth.py): what the model and
the name columns find, and one person of a table and of a document as one entity.

The thresholds are below what was measured on this corpus (2.5 MB, 2 sites, seed 7;
2026-12-03): people precision 0.99, recall 0.93; organisations precision 0.57, recall 0.79
(the small model takes made-up town names for organisations, and agencies named only in
the free text of table cells are not read by the model: BENCHMARKS.md, Entities).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from ingest_helpers import ingest

from trawl.derive.entities.names import key_of
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.entities import Entity, EntityStore

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.corpus import generate, manifest_path  # noqa: E402

THRESHOLDS = {"person": (0.95, 0.85), "org": (0.45, 0.65)}   # (precision, recall)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("truth") / "corpus"
    generate(root, 2_500_000, seed=7, sites=2)
    truth = json.loads(manifest_path(root).read_text())["entities"]
    data = root.parent / "data"
    ingest(root, data, ocr=False)
    return data, truth


def entities(data: Path) -> dict[str, dict[str, Entity]]:
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    try:
        ds = catalog.dataset("test")
        assert ds is not None
        out: dict[str, dict[str, Entity]] = {}
        for entity in EntityStore(catalog).listing(ds.id, limit=10**6):
            out.setdefault(entity.kind, {})[entity.key] = entity
        return out
    finally:
        catalog.close()


@pytest.mark.parametrize("kind", sorted(THRESHOLDS))
def test_people_and_agencies_against_the_truth(generated, kind: str) -> None:
    data, truth = generated
    want = {key_of(kind, value) for value in truth[kind]}
    have = set(entities(data).get(kind, {}))
    both = want & have
    precision, recall = len(both) / len(have), len(both) / len(want)
    low_p, low_r = THRESHOLDS[kind]
    assert precision >= low_p, sorted(have - want)[:30]
    assert recall >= low_r, sorted(want - have)[:30]


def test_a_person_of_tables_and_documents_is_one_entity(generated) -> None:
    """A person of a portal's tables (who approves its e-mails, answers its requests) named
    in one of its bulletins: one entity, with its rows and its documents; and a
    registration's FirstName+LastName and FullName: one entity too."""
    data, truth = generated
    people = entities(data)["person"]
    want = {key_of("person", value) for value in truth["person"]}
    both = [e for key, e in people.items() if key in want and e.documents and e.rows]
    assert both
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    try:
        store = EntityStore(catalog)
        mentions = store.mentions(both[0].id, limit=10**5)
        assert {m.document_id for m in mentions if m.document_id} and \
            {(m.table, m.row) for m in mentions if m.table_id is not None}
        registered = [e for e in people.values() if e.rows and any(
            m.table == "Registrations" and "+" in (m.field or "")
            for m in store.mentions(e.id, limit=1000))][:20]
        assert registered
        for entity in registered:
            fields = {(m.row, m.field) for m in store.mentions(entity.id, limit=1000)
                      if m.table == "Registrations"}
            rows = {row for row, field in fields if "+" in (field or "")}
            assert all((row, "FullName") in fields or (row, "fullname") in fields
                       for row in rows), fields
    finally:
        catalog.close()
