"""People, organisations and places: the keys that group spellings, the filter of what is no
name, and the model as Trawl runs it (spaCy's packaged pipelines, NER only)."""

from __future__ import annotations

import pytest
from entity_helpers import entity_state
from ingest_helpers import ingest
from shared_corpus import corpus_path

from trawl.derive.entities.columns import name_cell, name_pairs
from trawl.derive.entities.extract import row_mentions
from trawl.derive.entities.names import junk, key_of, person_key
from trawl.derive.entities.ner import (
    CHUNK_CHARS,
    MAX_MODEL_CHARS,
    NamedRecogniser,
    chunks,
    load,
)
from trawl.derive.entities.patterns import Recogniser
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir


@pytest.fixture(scope="module")
def named() -> NamedRecogniser:
    return NamedRecogniser()


@pytest.mark.parametrize("spelling", [
    "Jane Q. Doe", "Jane Q Doe", "JANE Q. DOE", "jane  q doe", "Doe, Jane Q.",
    "Detective Jane Q. Doe", "Jane Q. Doe's"])
def test_spellings_of_one_person_have_one_key(spelling: str) -> None:
    assert person_key(spelling) == "jane q doe"


def test_people_are_not_merged_by_guess() -> None:
    keys = {person_key(name) for name in ("Jane Q. Doe", "Jane Doe", "Jane R. Doe", "Jon Doe",
                                          "John Doe", "John Doe Jr.")}
    assert len(keys) == 6
    assert person_key("José Quillmore") == person_key("Jose Quillmore") == "jose quillmore"
    assert person_key("Jennifer") is None       # one word: every Jennifer of the dump
    assert key_of("org", "The Cedarville Police Department") == \
        key_of("org", "CEDARVILLE POLICE  DEPARTMENT") == "cedarville police department"


@pytest.mark.parametrize(("kind", "text"), [
    ("org", "Content-Type"), ("org", "X-Origin"), ("org", "Mime-Version"),
    ("person", "FirstName"), ("org", "AgencyOrganization"), ("person", "Subject"),
    ("org", "Page 3"), ("person", "jane@example.org"), ("person", "Jackson/Corp/Enron@ENRON"),
    ("person", "Phillip K.\\'Sent Mail"), ("person", "J."), ("org", "12345"), ("place", "--"),
    ("person", "Alder Police Department"), ("person", "Main St"), ("org", "9436 Pine St"),
    ("person", "A" * 80), ("org", "X-Origin: Kaminski-V")])
def test_what_is_no_name(kind: str, text: str) -> None:
    assert junk(kind, text)


@pytest.mark.parametrize(("kind", "text"), [
    ("person", "Jane Doe"), ("person", "Ludwig van Beethoven"), ("org", "Enron"),
    ("org", "Federal Task Force (Alder Field Office)"), ("place", "Houston"),
    ("person", "JANE DOE"), ("org", "PayPal"), ("org", "YouTube")])
def test_names_are_kept(kind: str, text: str) -> None:
    assert not junk(kind, text)


def test_only_ner_runs_and_line_breaks_end_sentences() -> None:
    nlp = load("en")
    assert nlp.pipe_names == ["trawl_line_breaks", "ner"]
    assert "parser" not in nlp.component_names and "senter" not in nlp.component_names
    doc = nlp("X-From: Randall L Gay\nX-cc: nobody\n")
    assert [e.text for e in doc.ents if e.label_ == "PERSON"] == ["Randall L Gay"]


def test_names_of_real_mail(named: NamedRecogniser) -> None:
    """Enron messages, headers and all: the people named in them, none of the headers."""
    folder = corpus_path("enron-sample", "maildir")
    texts = [p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file()]
    per_text = named.find_all("en", texts)
    found = [f for fs in per_text for f in fs]
    people = {f.key for f in found if f.kind == "person"}
    assert {"phillip k allen", "john j lavorato", "louise kitchen"} <= people
    assert len(people) > 100
    for f in found:  # every mention is where it says, and no header was kept
        assert f.text.lower().strip() not in ("content-type", "mime-version", "x-origin")
        assert "\n" not in f.text and "@" not in f.text
    by_text = {(i, f.start, f.end, f.text) for i, fs in enumerate(per_text) for f in fs}
    assert all(texts[i][start:end] == text for i, start, end, text in by_text)


def test_french_and_other_languages(named: NamedRecogniser) -> None:
    text = ("Le préfet Jean-Pierre Martin a reçu à Marseille les représentants de la "
            "Gendarmerie nationale et de la mairie de Lyon.")
    found = named.find_all("fr", [text])[0]
    assert ("person", "jean-pierre martin") in {(f.kind, f.key) for f in found}
    assert "marseille" in {f.key for f in found if f.kind == "place"}
    german = corpus_path("ingest-file", "non_utf.txt").read_bytes().decode("latin-1")
    assert "Jeremy Corbyn" in german
    assert named.find_all("de", [german]) == [[]]       # not read rather than mislabelled
    assert named.find_all(None, [german]) == [[]]


def test_a_long_text_is_read_in_chunks_with_offsets_kept(named: NamedRecogniser) -> None:
    filler = "Nothing to see on this line, the meeting was postponed.\n"
    text = filler * (2 * CHUNK_CHARS // len(filler)) + "Report by Louise Kitchen of Enron.\n"
    pieces = list(chunks(text))
    assert len(pieces) >= 3 and "".join(p for _o, p in pieces) == text
    assert all(len(p) <= CHUNK_CHARS for _o, p in pieces)
    found = [f for f in named.find_all("en", [text])[0] if f.kind == "person"]
    assert [(f.key, text[f.start:f.end]) for f in found] == [("louise kitchen",
                                                              "Louise Kitchen")]


def test_the_model_reads_the_first_million_characters_of_a_text(
        named: NamedRecogniser) -> None:
    """A 25 MB text dump would hold a worker for an hour: past MAX_MODEL_CHARS, only the
    patterns read (test_failure_codes.py's 25 MB abstract once did)."""
    filler = "Nothing to see on this line, the meeting was postponed.\n" * 200
    early = "Report by Louise Kitchen of Enron.\n"
    late = "Report by Jeff Skilling of Enron.\n"
    text = early + filler * (MAX_MODEL_CHARS // len(filler) + 1) + late
    people = {f.key for f in named.find_all("en", [text])[0] if f.kind == "person"}
    assert people == {"louise kitchen"}


def test_name_columns_of_a_row_make_one_person() -> None:
    names = ["Registrationsid", "FirstName", "LastName", "SupervisorFirstName",
             "SupervisorLastName", "FullName", "AgencyOrganization", "City"]
    assert name_pairs(names[1:]) == [(0, 1), (2, 3)]
    columns = [("FirstName", None), ("LastName", None), ("FullName", "person"),
               ("AgencyOrganization", "org"), ("City", "place")]
    rows = [(1, "Jane", "Doe", "Doe, Jane", "Alder Police Department", "Alderton"),
            (2, "FirstName", "LastName", "FullName", "AgencyOrganization", "City"),  # headers
            (3, "", "Doe", None, "", "")]
    mentions, _words = row_mentions(Recogniser("US"), columns, rows, [(0, 1)])
    got = {(m.kind, m.key, m.row, m.field) for m in mentions}
    assert got == {("person", "jane doe", 1, "FirstName+LastName"),
                   ("person", "jane doe", 1, "FullName"),
                   ("org", "alder police department", 1, "AgencyOrganization"),
                   ("place", "alderton", 1, "City")}
    assert name_cell("person", "jdoe@example.org") is None


def test_a_long_real_text_is_read_under_the_workers_memory_limit(tmp_path) -> None:
    """The Cranfield abstracts (400 kB of them: the whole 1.6 MB file takes the model a
    minute and a half here), read by the model in a worker whose address space is capped
    (3 GiB, the default; more than the coordinator reads itself): no error, and names. A
    3.5 MB text (Vaswani's collection) read in one batch ran out of that space."""
    folder = tmp_path / "dump"
    folder.mkdir()
    text = corpus_path("ir-cranfield", "cran.all.1400").read_bytes()[:400_000]
    (folder / "cran.txt").write_bytes(text)
    ingest(folder, tmp_path / "data", ocr=False)
    entities, _mentions = entity_state(tmp_path / "data")
    catalog = Catalog(DataDir.open(tmp_path / "data").catalog_path, readonly=True)
    try:
        errors = [tuple(r) for r in catalog.db.execute("SELECT error FROM entity_documents")]
    finally:
        catalog.close()
    assert errors == [(None,)]
    assert {kind for kind, *_rest in entities} >= {"org", "place"}  # authors: "brenckman,m."


def test_a_french_document_is_read_by_the_french_model(tmp_path) -> None:
    """Through the stage: the catalog says the note is French, the French pipeline reads
    it; the German one next to it is not read by any model (its e-mail still is found)."""
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "note.txt").write_text(
        "Compte rendu de la réunion. Le préfet Jean-Pierre Martin a reçu à Marseille les "
        "représentants de la Gendarmerie nationale et de la mairie de Lyon. Il a été "
        "décidé que les patrouilles seraient renforcées dans le quartier du port pour la "
        "durée des fêtes, et que la préfecture publierait un communiqué.\n")
    german = corpus_path("ingest-file", "non_utf.txt").read_bytes().decode("latin-1")
    (folder / "artikel.txt").write_text(german + "\nKontakt: redaktion@example.org\n")
    ingest(folder, tmp_path / "data", ocr=False)
    entities, mentions = entity_state(tmp_path / "data")
    assert ("person", "jean-pierre martin") in {(kind, key) for kind, key, *_r in entities}
    assert "marseille" in {key for kind, key, *_r in entities if kind == "place"}
    catalog = Catalog(DataDir.open(tmp_path / "data").catalog_path, readonly=True)
    try:
        german_id = catalog.db.execute(
            "SELECT d.id FROM documents d JOIN files f ON f.sha256 = d.sha256 "
            "WHERE f.path = 'artikel.txt'").fetchone()[0]
        language = catalog.db.execute(
            "SELECT c.language FROM contents c JOIN documents d ON d.sha256 = c.sha256 "
            "WHERE d.id = ?", (german_id,)).fetchone()[0]
    finally:
        catalog.close()
    assert language == "de"
    german_kinds = {m[0] for m in mentions if m[3] == german_id}
    assert german_kinds == {"email"}   # no person, though "Jeremy Corbyn" is in it
