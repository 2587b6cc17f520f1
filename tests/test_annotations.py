"""Tags and notes: the store, the rules, `tag:` in a query, the CLI, and `trawl reindex`.

Real files ingested into a real data folder; the CLI runs as a process. The access rules
for each kind of web caller are in tests/access/test_annotation_access.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from ingest_helpers import cli_json, ingest, search, trawl_cli

from trawl.access import annotations as rules
from trawl.access.policy import Principal, ReadScope
from trawl.errors import BadRequest
from trawl.search.annotations import _tag_terms, _without_tag_terms
from trawl.storage.annotations import SCHEMA_VERSION, AnnotationStore, Visible
from trawl.storage.datadir import DataDir


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dump = tmp_path_factory.mktemp("dump")
    (dump / "a").mkdir()
    (dump / "a" / "one.txt").write_text("Threat assessment of the bridge, week 22.\n")
    (dump / "a" / "two.txt").write_text("Weekly bulletin about the bridge and the river.\n")
    (dump / "b").mkdir()
    (dump / "b" / "three.txt").write_text("Minutes of the meeting about the river.\n")
    (dump / "people.csv").write_text("Name,Notes\nAda,bridge one\nBo,river two\n")
    folder = tmp_path_factory.mktemp("trawl-data")
    ingest(dump, folder, ocr=False)
    from trawl.access.store import AccessStore

    store = AccessStore(DataDir.open(folder).access_path)
    for name in ("alice", "bob", "carol"):
        store.add_user(name, "a long test password 1")
    store.add_group("desk")
    store.set_membership("desk", "alice", True)
    store.set_membership("desk", "bob", True)
    store.grant("test", "group", "desk", by="test")
    store.close()
    return folder


# -- the rules and the store ------------------------------------------------------------------
def test_tags_are_normalised():
    assert rules.normalise_tag("  Threat   Assessment ") == "threat-assessment"
    assert rules.normalise_tag("Émeute") == "émeute"
    for bad in ("", "   ", "a" * 65, 'say "x"', "a/b", "tab\x00"):
        with pytest.raises(BadRequest):
            rules.normalise_tag(bad)


def test_the_store_filters_by_who_sees(tmp_path):
    store = AnnotationStore(tmp_path / "annotations.sqlite")
    store.add_tag("d", "document", "doc1", "lead", "alice", None, 1.0)
    store.add_tag("d", "document", "doc1", "lead", "bob", "desk", 2.0)
    store.add_tag("d", "document", "doc2", "lead", "carol", None, 3.0)
    again = store.add_tag("d", "document", "doc1", "lead", "alice", "desk", 4.0)
    assert (again.created_at, again.updated_at, again.shared_with) == (1.0, 4.0, "desk")
    alice = Visible("alice", frozenset({"desk"}))
    carol = Visible("carol")
    assert {t.author for t in store.tags_of("d", "doc1", alice)} == {"alice", "bob"}
    assert store.tags_of("d", "doc1", carol) == []
    assert store.targets(["lead"], ["d"], carol, "document", 10) == [("lead", "doc2")]
    assert store.targets(["lead"], ["other"], Visible(everyone=True), "document", 10) == []
    assert store.names("le", ["d"], alice, 10) == [("lead", 1)]
    assert store.names("le", ["d"], Visible(everyone=True), 10) == [("lead", 2)]
    assert store.names("le", ["d"], Visible(), 10) == []  # anonymous: nothing
    assert store.names("%", ["d"], Visible(everyone=True), 10) == []  # LIKE is escaped
    note = store.add_note("d", "document", "doc1", "Call the Clerk", "bob", "desk", 5.0)
    assert store.notes(["d"], alice, ["clerk"], 10) == [note]
    assert store.notes(["d"], carol, ["clerk"], 10) == []
    assert store.update_note(note.id, "alice", "mine", None, 6.0) is None  # not the author
    assert store.remove_note(note.id, "alice") is False
    assert store.remove_note(note.id, "bob") is True
    store.close()


def test_the_schema_is_migrated_once(tmp_path):
    path = tmp_path / "annotations.sqlite"
    AnnotationStore(path).close()
    store = AnnotationStore(path)  # a second open finds nothing left to do
    store.add_tag("d", "document", "x", "t", "a", None, 1.0)
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_who_may_annotate():
    alice = Principal("alice", groups=frozenset({"Desk"}))
    full = ReadScope(full=frozenset({"d"}), redacted=frozenset({"p"}), reader=alice)
    assert rules.may_annotate(full, "d") and not rules.may_annotate(full, "p")
    assert not rules.may_annotate(ReadScope(redacted=frozenset({"p"})), "p")  # anonymous
    assert rules.may_annotate(None, "anything")  # the owner at the terminal
    assert rules.shared_with(full, "desk") == "Desk"
    with pytest.raises(BadRequest):
        rules.shared_with(full, "other")
    assert rules.visible(ReadScope()) == Visible()


def test_tag_terms_come_out_of_the_query():
    assert _tag_terms('bridge tag:lead -tag:done NOT tag:"old" "tag:quoted"') == [
        (False, "lead"), (True, "done"), (True, "old")]
    assert _without_tag_terms("bridge AND tag:lead") == "bridge"
    assert _without_tag_terms("tag:lead OR river") == "river"
    assert _without_tag_terms('"tag:quoted" words') == '"tag:quoted" words'
    assert _without_tag_terms("tag:a") == ""


# -- the CLI, search and reindex --------------------------------------------------------------
def test_tag_a_document_and_find_it(data):
    made = cli_json("tag", "add", "a/one.txt", "Threat Assessment", "--dataset", "test",
                    data_dir=data)
    assert made["name"] == "threat-assessment"
    assert made["author"].startswith("cli:")
    found = cli_json("search", "tag:threat-assessment", data_dir=data)
    assert [h["path"] for h in found["hits"]] == ["a/one.txt"]
    both = cli_json("search", "bridge", data_dir=data)["total"]
    rest = cli_json("search", "bridge -tag:threat-assessment", data_dir=data)
    assert rest["total"] == both - 1 and "a/one.txt" not in [h["path"] for h in rest["hits"]]
    listed = cli_json("tag", "list", "a/one.txt", "--dataset", "test", data_dir=data)
    assert [t["name"] for t in listed] == ["threat-assessment"]
    assert cli_json("tag", "list", "--prefix", "thr", data_dir=data) == [
        {"tag": "threat-assessment", "count": 1}]


def test_a_user_acts_within_their_scope(data):
    cli_json("tag", "add", "a/two.txt", "river", "--dataset", "test", "--user", "alice",
             "--group", "desk", data_dir=data)
    cli_json("tag", "add", "b/three.txt", "river", "--dataset", "test", "--user", "bob",
             data_dir=data)
    alice = cli_json("tag", "list", "--user", "alice", data_dir=data)
    assert {t["author"] for t in alice if t["name"] == "river"} == {"alice"}  # bob's: his
    bob = cli_json("tag", "list", "--user", "bob", data_dir=data)
    assert {t["author"] for t in bob if t["name"] == "river"} == {"alice", "bob"}  # shared
    # carol reads nothing of `test`: she cannot tag it, and sees no tag.
    refused = trawl_cli("tag", "add", "a/two.txt", "x", "--dataset", "test", "--user", "carol",
                        data_dir=data, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert cli_json("tag", "list", "--user", "carol", data_dir=data) == []
    removed = trawl_cli("tag", "remove", "b/three.txt", "river", "--dataset", "test",
                        "--user", "alice", data_dir=data, check=False)
    assert removed.returncode != 0  # not alice's tag
    archive_hits = search(data, "tag:river")
    assert archive_hits.total == 2  # the owner at the terminal sees every reader's tags


def test_notes_and_rows(data):
    note = cli_json("note", "add", "a/one.txt", "Ask the county clerk", "--dataset", "test",
                    "--user", "alice", data_dir=data)
    assert note["author"] == "alice" and note["shared_with"] is None
    assert [n["id"] for n in cli_json("note", "list", "--search", "county clerk", "--user",
                                      "alice", data_dir=data)] == [note["id"]]
    assert cli_json("note", "list", "--search", "county", "--user", "bob",
                    data_dir=data) == []
    edited = cli_json("note", "edit", str(note["id"]), "Ask the clerk on Monday", "--user",
                      "alice", "--group", "desk", data_dir=data)
    assert edited["shared_with"] == "desk"
    assert [n["text"] for n in cli_json("note", "list", "a/one.txt", "--dataset", "test",
                                        "--user", "bob", data_dir=data)] == [
        "Ask the clerk on Monday"]
    assert trawl_cli("note", "remove", str(note["id"]), "--user", "bob", data_dir=data,
                     check=False).returncode != 0
    tables = trawl_cli("tables", "--dataset", "test", data_dir=data).stdout
    table_id = int(tables.split()[0])
    cli_json("tag", "add", f"row:{table_id}:2", "river", data_dir=data)
    rows = cli_json("search", "--rows", "tag:river", data_dir=data)
    assert [(h["table_id"], h["row"]) for h in rows["hits"]] == [(table_id, 2)]


def test_tags_survive_reindex(data):
    before = cli_json("search", "tag:threat-assessment", data_dir=data)["hits"]
    assert before
    trawl_cli("reindex", data_dir=data)
    after = cli_json("search", "tag:threat-assessment", data_dir=data)["hits"]
    assert [h["id"] for h in after] == [h["id"] for h in before]
    assert DataDir.open(data).annotations_path.exists()


def test_a_tag_is_removed_by_any_spelling_and_audited(data):
    from trawl.access.audit import AuditLog

    cli_json("tag", "add", "b/three.txt", "To Check", "--dataset", "test", data_dir=data)
    gone = cli_json("tag", "remove", "b/three.txt", "TO  check", "--dataset", "test",
                    data_dir=data)
    assert gone == {"removed": "to-check"}
    store = DataDir.open(data)
    with AuditLog(store.audit_path, store.secret_key_path) as log:
        ops = [(e.detail["op"], e.detail["tag"]) for e in log.entries(action="tag", limit=50)
               if e.detail.get("tag") == "to-check"]
    assert ops == [("remove", "to-check"), ("add", "to-check")]  # newest first


def test_the_tag_option_of_search(data):
    found = cli_json("search", "*", "--tag", "threat-assessment", "--tag", "no-such-tag",
                     data_dir=data)
    assert [h["path"] for h in found["hits"]] == ["a/one.txt"]


def test_a_removed_account_takes_its_tags_and_notes(data):
    from trawl.access.store import AccessStore

    store = AccessStore(DataDir.open(data).access_path)
    store.add_user("dave", "a long test password 1")
    store.grant("test", "user", "dave", by="test")
    store.close()
    cli_json("tag", "add", "a/one.txt", "daves-lead", "--dataset", "test", "--user", "dave",
             data_dir=data)
    cli_json("note", "add", "a/one.txt", "dave's private note", "--dataset", "test",
             "--user", "dave", data_dir=data)
    said = trawl_cli("user", "remove", "dave", data_dir=data).stdout
    assert "1 tags and 1 notes" in said
    store = AccessStore(DataDir.open(data).access_path)
    store.add_user("Dave", "another long password 2")  # a new account, the same name
    store.grant("test", "user", "Dave", by="test")
    store.close()
    assert cli_json("tag", "list", "--user", "Dave", data_dir=data) == []
    assert cli_json("note", "list", "--user", "Dave", data_dir=data) == []


def test_a_removed_group_shares_nothing_any_more(data):
    from trawl.access.store import AccessStore

    store = AccessStore(DataDir.open(data).access_path)
    store.add_group("night")
    for name in ("alice", "carol"):
        store.set_membership("night", name, True)
    store.grant("test", "user", "carol", by="test")
    store.close()
    cli_json("tag", "add", "b/three.txt", "night-lead", "--dataset", "test", "--user", "alice",
             "--group", "night", data_dir=data)
    assert "night-lead" in {t["name"] for t in cli_json("tag", "list", "--user", "carol",
                                                         data_dir=data)}
    trawl_cli("group", "remove", "night", data_dir=data)
    store = AccessStore(DataDir.open(data).access_path)
    store.add_group("Night")  # a new group, the same name
    store.set_membership("Night", "carol", True)
    store.close()
    assert "night-lead" not in {t["name"] for t in cli_json("tag", "list", "--user", "carol",
                                                             data_dir=data)}
    mine = cli_json("tag", "list", "--user", "alice", data_dir=data)
    assert [t["shared_with"] for t in mine if t["name"] == "night-lead"] == [None]
