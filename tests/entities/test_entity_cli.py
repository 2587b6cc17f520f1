"""`trawl entities` and `trawl entity` over a real ingestion: the JSON shapes, filters, lookups
by id and by value in any spelling, the errors, and the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trawl.access.audit import AuditLog
from trawl.cli.audit_commands import cli_actor
from trawl.cli.main import main
from trawl.storage.datadir import DataDir

ENTITY_KEYS = {"id", "kind", "value", "key", "spellings", "documents", "rows", "sources"}


def trawl(data: Path, *args: str) -> int:
    return main([*args, "--data-dir", str(data)])


def _json(data: Path, capsys, *args: str) -> dict:
    assert trawl(data, *args, "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_the_list_has_the_documented_shape(mixed: Path, capsys) -> None:
    listed = _json(mixed, capsys, "entities", "--dataset", "test", "--limit", "500")
    assert listed["dataset"] == "test"
    entities = listed["entities"]
    assert len(entities) == 500
    for e in entities:
        assert set(e) == ENTITY_KEYS
        assert all(isinstance(e[k], int) and not isinstance(e[k], bool)
                   for k in ("id", "documents", "rows", "sources"))
        assert isinstance(e["spellings"], list) and e["spellings"]
        assert e["documents"] + e["rows"] > 0
    ranks = [(-e["sources"], -(e["documents"] + e["rows"])) for e in entities]
    assert ranks == sorted(ranks)
    assert entities[0]["sources"] == 2  # an Enron address: in the mail and in the CSVs


def test_the_list_filters_by_kind_and_sources(mixed: Path, capsys) -> None:
    phones = _json(mixed, capsys, "entities", "--dataset", "test", "--kind", "phone",
                   "--limit", "3")["entities"]
    assert len(phones) == 3 and {e["kind"] for e in phones} == {"phone"}
    spread = _json(mixed, capsys, "entities", "--dataset", "test", "--min-sources", "2",
                   "--limit", "10000")["entities"]
    everything = _json(mixed, capsys, "entities", "--dataset", "test", "--limit",
                       "100000")["entities"]
    assert spread and spread == [e for e in everything if e["sources"] >= 2]
    assert len(spread) < len(everything)
    assert trawl(mixed, "entities", "--dataset", "test", "--kind", "email", "--limit", "2") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "email" in lines[0] and "2 sources" in lines[0]


def test_an_entity_by_value_in_any_spelling(mixed: Path, capsys) -> None:
    one = _json(mixed, capsys, "entity", "212.555.0123", "--dataset", "test")
    assert set(one) == ENTITY_KEYS | {"mentions", "mentions_total", "cooccurring"}
    assert (one["kind"], one["key"], one["value"]) == ("phone", "+12125550123",
                                                       "+1 212-555-0123")
    assert one["mentions_total"] == 5 and len(one["mentions"]) == 5
    mention = one["mentions"][0]
    assert set(mention) == {"document_id", "page", "path", "source", "field", "text", "start",
                            "end"}
    assert (mention["path"], mention["source"], mention["text"]) == (
        "notes/desk.txt", "notes", "(212) 555-0123")
    assert [c["value"] for c in one["cooccurring"]] == ["desk@example.org"]
    assert one["cooccurring"][0]["shared"] == 1
    by_id = _json(mixed, capsys, "entity", str(one["id"]), "--dataset", "test")
    assert by_id == one
    for spelling in ("(212) 555-0123", "+12125550123", "2125550123", "+1 212-555-0123"):
        assert _json(mixed, capsys, "entity", spelling, "--dataset", "test")["id"] == one["id"]


def test_a_row_mention_names_its_table_and_row(mixed: Path, capsys) -> None:
    fax = _json(mixed, capsys, "entity", "724-274-4487", "--dataset", "test")
    assert fax["rows"] == 1 and fax["documents"] == 0
    assert fax["mentions"] == [{
        "table_id": fax["mentions"][0]["table_id"], "row": 1,
        "table": "sample_police_departments",
        "path": "police/sample_police_departments.csv", "source": "police",
        "field": "Contact Info", "text": "724-274-4487", "start": 13, "end": 25}]
    assert isinstance(fax["mentions"][0]["table_id"], int)
    assert "724-274-2843" in {c["value"].replace("+1 ", "") for c in fax["cooccurring"]}
    assert trawl(mixed, "entity", "724-274-4487", "--dataset", "test") == 0
    out = capsys.readouterr().out
    assert "sample_police_departments row 1 [Contact Info]" in out


def test_a_value_of_two_kinds_needs_a_kind(mixed: Path, capsys) -> None:
    assert trawl(mixed, "entity", "example.org", "--dataset", "test") == 2
    assert "names several entities" in capsys.readouterr().err
    domain = _json(mixed, capsys, "entity", "example.org", "--dataset", "test", "--kind",
                   "domain")
    assert domain["kind"] == "domain"
    assert {m["text"] for m in domain["mentions"]} >= {"example.org"}


@pytest.mark.parametrize(("args", "message"), [
    (("entities", "--dataset", "nosuch"), "no dataset named 'nosuch'"),
    (("entities",), "--dataset is required"),
    (("entity", "nobody@nowhere.example", "--dataset", "test"), "no entity"),
    (("entity", "99999999", "--dataset", "test"), "no entity"),
    (("entities", "extract", "--dataset", "test", "--phone-region", "XX"),
     "unknown phone region 'XX'"),
])
def test_what_cannot_be_answered_is_said(mixed: Path, capsys, args, message) -> None:
    assert trawl(mixed, *args) == 2
    assert message in capsys.readouterr().err


def test_lookups_are_in_the_audit_log(mixed: Path, capsys) -> None:
    one = _json(mixed, capsys, "entity", "desk@example.org", "--dataset", "test")
    _json(mixed, capsys, "entities", "--dataset", "test", "--kind", "ip")
    folder = DataDir.open(mixed)
    with AuditLog(folder.audit_path, folder.secret_key_path) as log:
        listing, view = log.entries(limit=2)
        assert log.verify().ok
    assert (view.actor, view.action, view.dataset, view.target) == (
        cli_actor(), "view", "test", f"entity:{one['id']}")
    assert (listing.action, listing.detail["record"], listing.detail["kind"]) == (
        "search", "entities", "ip")


def test_people_organisations_and_places_of_real_mail(mixed: Path, capsys) -> None:
    """The Enron messages name people, companies and places; the model's kinds list and
    look up like the others, a person in any case."""
    found = {}
    for kind in ("person", "org", "place"):
        found[kind] = _json(mixed, capsys, "entities", "--dataset", "test", "--kind", kind,
                            "--limit", "5000")["entities"]
        assert found[kind] and {e["kind"] for e in found[kind]} == {kind}
        assert not [e for e in found[kind] if "@" in e["key"] or e["key"].startswith("x-")]
    assert {"louise kitchen", "richard shapiro"} <= {e["key"] for e in found["person"]}
    assert "enron" in {e["key"] for e in found["org"]}
    assert "houston" in {e["key"] for e in found["place"]}
    one = _json(mixed, capsys, "entity", "LOUISE KITCHEN", "--dataset", "test")
    assert one["kind"] == "person" and one["value"] == "Louise Kitchen"
    assert one["mentions"] and all(m["document_id"] for m in one["mentions"])
    for spelling in ("Kitchen, Louise", "louise  kitchen", "Ms. Louise Kitchen"):
        assert _json(mixed, capsys, "entity", spelling, "--dataset", "test")["id"] == one["id"]
