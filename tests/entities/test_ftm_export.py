"""`trawl export ftm` on a real ingestion (Enron mail, ingest-file's e-mails, PDFs, a
workbook, a CSV, an archive, a mailbox): every line loads through followthemoney's own model
unchanged, `ftm validate` re-parses them all, references point at exported entities, ids are
the same from run to run, and mentions are recorded as Aleph records them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from entity_helpers import FIVE_SPELLINGS
from ingest_helpers import ingest
from shared_corpus import corpus_path

from trawl.cli.main import main
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.entities import EntityStore, NewMention

followthemoney = pytest.importorskip("followthemoney")
from followthemoney import model  # noqa: E402

INGEST_FILE = ("email_attached_alternative.eml", "email_multipart_mixed.eml", "twopage.pdf",
               "file.xlsx", "countries.csv", "test-documents.zip", "plan.mbox", "doc.html",
               "broken.pdf")


@pytest.fixture(scope="module")
def dump_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ftm") / "dump"
    shutil.copytree(corpus_path("enron-sample", "maildir", "allen-p", "_sent_mail"), root / "enron")
    (root / "ingest-file").mkdir()
    for name in INGEST_FILE:
        source = corpus_path("ingest-file", name) if name != "broken.pdf" else None
        if source is not None and source.exists():
            shutil.copy(source, root / "ingest-file" / name)
    (root / "ingest-file" / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (root / "notes" / "deep").mkdir(parents=True)
    (root / "notes" / "deep" / "desk.txt").write_text(FIVE_SPELLINGS)
    data = root.parent / "data"
    ingest(root, data, ocr=False)
    _add_named_entities(data)
    return data


def _add_named_entities(data: Path) -> None:
    """A person and an organisation in the note, recorded through the store as the
    named-entity step records them (that step lands separately)."""
    catalog = Catalog(DataDir.open(data).catalog_path)
    store = EntityStore(catalog)
    ds = catalog.dataset("test")
    row = catalog.file_by_path(ds.id, "notes/deep/desk.txt")
    from trawl.storage.catalog import document_id

    doc = document_id("test", row.sha256)
    kept = [NewMention(k, key, v, t, s, e, p, f) for k, key, v, t, s, e, p, f in (
        tuple(r) for r in catalog.db.execute(
            "SELECT e.kind, e.key, e.value, s.text, m.char_start, m.char_end, m.page, m.field "
            "FROM entity_mentions m JOIN entities e ON e.id = m.entity_id JOIN "
            "entity_spellings s ON s.id = m.spelling_id WHERE m.document_id = ?", (doc,)))]
    store.replace_document_mentions(ds.id, doc, "test", None, [
        *kept, NewMention("person", "jane doe", "Jane Doe", "DOE, Jane", 0, 9),
        NewMention("org", "desk corp", "Desk Corp", "Desk Corp.", 10, 20),
        NewMention("place", "new york", "New York", "New York", 21, 29)])
    store.refresh(ds.id)
    catalog.commit()
    catalog.close()


def _export(data: Path, out: Path, capsys) -> list[dict]:
    assert main(["export", "ftm", "--dataset", "test", "--output", str(out),
                 "--data-dir", str(data)]) == 0
    assert "entities of test written" in capsys.readouterr().err
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_every_line_loads_through_the_model_unchanged(dump_data: Path, tmp_path: Path,
                                                       capsys) -> None:
    out = tmp_path / "test.ftm.json"
    lines = _export(dump_data, out, capsys)
    ids = [e["id"] for e in lines]
    assert len(ids) == len(set(ids))
    for data in lines:
        proxy = model.get_proxy(data, cleaned=False)   # cleaned again, as a reader does
        assert proxy.to_dict() == data, data["id"]
        assert all(proxy.has(p) for p in proxy.schema.required), data
        for prop in proxy.iterprops():
            for value in proxy.get(prop):
                assert prop.type.validate(value), (data["schema"], prop.name, value[:80])
    exported = set(ids)
    for data in lines:   # every reference is to an entity of the export
        proxy = model.get_proxy(data)
        for prop in proxy.iterprops():
            if prop.type.name == "entity":
                assert set(proxy.get(prop)) <= exported, (data["schema"], prop.name)
    schemata = Counter(e["schema"] for e in lines)
    assert {"Folder", "Email", "Pages", "Page", "Table", "Workbook", "Package", "PlainText",
            "HyperText", "Mention", "Person", "Organization", "Address"} <= set(schemata)
    validated = subprocess.run(
        [str(Path(sys.executable).parent / "ftm"), "validate", "-i", str(out)],
        capture_output=True, text=True, check=True, timeout=300)
    again = [json.loads(line) for line in validated.stdout.splitlines()]
    assert len(again) == len(lines)
    assert {e["id"]: e["properties"] for e in again} == \
        {e["id"]: e["properties"] for e in lines}


def test_documents_keep_their_tree_their_text_and_what_they_mention(
        dump_data: Path, tmp_path: Path, capsys) -> None:
    lines = _export(dump_data, tmp_path / "out.json", capsys)
    by_id = {e["id"]: e for e in lines}

    def named(name: str, schema: str | None = None) -> dict:
        found = [e for e in lines if name in e["properties"].get("fileName", [])
                 and (schema is None or e["schema"] == schema)]
        assert len(found) == 1, (name, found)
        return found[0]

    note = named("desk.txt")
    deep = by_id[note["properties"]["parent"][0]]
    assert (deep["schema"], deep["properties"]["fileName"]) == ("Folder", ["deep"])
    assert by_id[deep["properties"]["parent"][0]]["properties"]["fileName"] == ["notes"]
    props = note["properties"]
    assert props["phoneMentioned"] == ["+12125550123"]
    assert props["emailMentioned"] == ["desk@example.org"]
    assert props["peopleMentioned"] == ["Jane Doe"] and props["companiesMentioned"] == [
        "Desk Corp"]
    assert set(props["namesMentioned"]) == {"Jane Doe", "Desk Corp"}
    assert props["locationMentioned"] == ["New York"]
    assert "".join(props["bodyText"]).startswith("Desk: (212) 555-0123")
    mentions = [e for e in lines if e["schema"] == "Mention"
                and e["properties"]["document"] == [note["id"]]]
    assert sorted(m["properties"]["detectedSchema"][0] for m in mentions) == [
        "Address", "Organization", "Person"]
    jane = next(m for m in mentions if m["properties"]["detectedSchema"] == ["Person"])
    assert set(jane["properties"]["name"]) == {"Jane Doe", "DOE, Jane"}
    person = by_id[jane["properties"]["resolved"][0]]
    assert (person["schema"], person["properties"]["name"]) == ("Person", ["Jane Doe"])

    mail = named("email_attached_alternative.eml", "Email")
    assert mail["properties"]["subject"] and mail["properties"]["from"]
    children = [e for e in lines if e["properties"].get("parent") == [mail["id"]]]
    assert [(c["schema"], c["properties"]["fileName"]) for c in children] == [
        ("Email", ["Multipart mixed.eml"])]   # its attachment
    mailbox = named("plan.mbox", "Package")
    assert [e["schema"] for e in lines if e["properties"].get("parent") == [mailbox["id"]]] \
        == ["Email"]
    enron = [e for e in lines if e["schema"] == "Email"
             and "enron" in by_id[e["properties"]["parent"][0]]["properties"]["fileName"]]
    assert len(enron) >= 10
    assert all(e["properties"].get("emailMentioned") for e in enron)
    sender = {by_id[i]["properties"]["email"][0] for e in enron
              for i in e["properties"]["emitters"]}
    assert sender == {"phillip.allen@enron.com"}   # one Person, written once
    assert sum(1 for e in lines if e["schema"] == "Person"
               and e["properties"].get("email") == ["phillip.allen@enron.com"]) == 1
    assert all(by_id[i]["schema"] == "Person" for e in enron
               for i in e["properties"]["recipients"])

    pdf = named("twopage.pdf", "Pages")
    pages = sorted((e for e in lines if e["schema"] == "Page"
                    and e["properties"]["document"] == [pdf["id"]]),
                   key=lambda e: int(e["properties"]["index"][0]))
    assert [p["properties"]["index"] for p in pages] == [["1"], ["2"]]
    countries = named("countries.csv", "Table")
    assert json.loads(countries["properties"]["columns"][0])
    assert int(countries["properties"]["rowCount"][0]) > 100
    workbook = named("file.xlsx", "Workbook")
    sheets = [e for e in lines if e["schema"] == "Table"
              and e["properties"].get("parent") == [workbook["id"]]]
    assert sheets and all(int(s["properties"]["rowCount"][0]) >= 0 for s in sheets)
    archive = named("test-documents.zip", "Package")
    assert any(e["properties"].get("parent") == [archive["id"]] for e in lines)
    broken = named("broken.pdf")
    assert broken["properties"]["processingStatus"] == ["failure"]
    assert broken["properties"]["processingError"]


def test_ids_are_the_same_from_run_to_run(dump_data: Path, tmp_path: Path, capsys) -> None:
    first = _export(dump_data, tmp_path / "a.json", capsys)
    second = _export(dump_data, tmp_path / "b.json", capsys)
    assert first == second
    assert main(["export", "ftm", "--dataset", "nosuch", "--data-dir", str(dump_data)]) == 2
    assert "no dataset named 'nosuch'" in capsys.readouterr().err


def test_the_export_needs_no_network(dump_data: Path, tmp_path: Path) -> None:
    """followthemoney and its dependencies load and export with every connection refused
    (a fresh process, so that nothing was imported before the refusal)."""
    probe = (
        "import socket, sys\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('no network here')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from trawl.cli.main import main\n"
        f"sys.exit(main(['export', 'ftm', '--dataset', 'test', '--output', "
        f"{str(tmp_path / 'out.json')!r}, '--data-dir', {str(dump_data)!r}]))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(Path(__file__).parents[2] / "src"),
                                            "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").stat().st_size > 0
