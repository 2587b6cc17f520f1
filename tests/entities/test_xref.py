"""Cross-referencing a list (search/xref.py, `trawl xref`) against a real ingestion: matches
per row in any spelling, names without case or accents, counts and links, the CSV export and
its escape, hostile lists, and what a caller may not read."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from trawl.access.policy import ReadScope
from trawl.cli.main import main
from trawl.errors import BadRequest, NotFound
from trawl.search.service import Archive
from trawl.search.xref import csv_rows, xref
from trawl.search.xref_list import read_list
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.entities import EntityStore, NewMention

LIST = ("Name,Email,Phone,Twitter\n"
        "Jane Doe,DESK@example.org,212.555.0123,\n"
        "Nobody,no.one@nowhere.example,555-0199,\n"
        "=HYPERLINK(\"http://x\"),,(724) 274-4487,@jdoe\n")


def _xref(data: Path, text: str | bytes, scope: ReadScope | None = None,
          datasets: tuple[str, ...] = ("test",)):
    raw = text.encode() if isinstance(text, str) else text
    archive = Archive(DataDir.open(data))
    try:
        reader = archive if scope is None else archive.scoped(scope)
        return xref(reader, list(datasets), read_list(io.BytesIO(raw)))
    finally:
        archive.close()


def test_each_row_finds_its_entities_in_any_spelling(mixed: Path) -> None:
    result = _xref(mixed, LIST)
    assert [c.kind for c in result.listing.columns] == ["name", "email", "phone", "handle"]
    first, nobody, formula = result.rows
    assert (first.number, nobody.number, formula.number) == (2, 3, 4)
    found = {(m.query.column, m.entity.kind, m.entity.value) for m in first.matches}
    assert found == {("Email", "email", "desk@example.org"),
                     ("Phone", "phone", "+1 212-555-0123")}
    phone = next(m for m in first.matches if m.entity.kind == "phone")
    assert (phone.entity.documents, phone.entity.rows, phone.entity.sources) == (1, 0, 1)
    assert len(phone.document_ids) == 1 and phone.url == f"/entities/{phone.entity.id}"
    archive = Archive(DataDir.open(mixed))
    try:  # the link is the note's document
        assert archive.find(phone.document_ids[0]).path == "notes/desk.txt"
    finally:
        archive.close()
    assert nobody.matches == []
    fax = [m.entity for m in formula.matches]
    assert [(e.kind, e.key, e.rows, e.documents) for e in fax] == [
        ("phone", "+17242744487", 1, 0)]  # a table row's mention; no @jdoe in this dump
    assert result.matched_rows == 2


def test_the_csv_keeps_every_row_and_escapes_formulas(mixed: Path) -> None:
    result = _xref(mixed, LIST)
    lines = list(csv.reader(io.StringIO(_csv_text(csv_rows(result)))))
    header = lines[0]
    assert header[:4] == ["Name", "Email", "Phone", "Twitter"]
    assert header[4:] == ["match_dataset", "match_column", "match_query", "match_kind",
                          "match_value", "match_id", "match_documents", "match_rows",
                          "match_sources", "match_url", "match_document_ids"]
    assert len(lines) == 1 + 2 + 1 + 1  # two matches, an unmatched row, one match
    assert all(len(line) == len(header) for line in lines)
    unmatched = next(line for line in lines if line[0] == "Nobody")
    assert unmatched[4:] == [""] * 11
    formula = lines[-1]
    assert formula[0] == "'=HYPERLINK(\"http://x\")" and formula[3] == "'@jdoe"
    assert formula[8] == "'+1 724-274-4487"  # a display value starting like a formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)


def _csv_text(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def test_kinds_are_told_by_values_when_headers_say_nothing(mixed: Path) -> None:
    text = ("a;b;c\n"
            "desk@example.org;(212) 555 0123;kenneth\n"
            "nobody@nowhere.example;+1 724 274 4487;Jane Doe\n")
    result = _xref(mixed, text)
    assert [(c.kind, c.how) for c in result.listing.columns] == [
        ("email", "values"), ("phone", "values"), ("name", "values")]
    assert [len(r.matches) for r in result.rows] == [2, 1]


def test_hostile_lists_are_read_or_refused_never_a_crash(mixed: Path) -> None:
    latin = "Nom,Téléphone\nJosé Müller,212-555-0123\n".encode("cp1252")
    result = _xref(mixed, latin)
    assert result.listing.rows[0].cells == ["José Müller", "212-555-0123"]
    assert [m.entity.key for m in result.rows[0].matches] == ["+12125550123"]
    with_nul = b"\xef\xbb\xbfEmail\nde\x00sk@example.org\n"
    assert [m.entity.key for m in _xref(mixed, with_nul).rows[0].matches] == [
        "desk@example.org"]
    huge = _xref(mixed, "Email\n\"" + "x" * 200_000 + "\"\n")  # kept, cut
    assert len(huge.rows[0].cells[0]) == 3000 and huge.rows[0].matches == []
    with pytest.raises(BadRequest, match="empty"):
        _xref(mixed, b"")
    many = "Email\n" + "desk@example.org\n" * 50
    bounded = read_list(io.BytesIO(many.encode()), max_rows=10)
    assert len(bounded.rows) == 10 and bounded.truncated


def test_names_match_without_case_accents_or_order(mixed: Path, tmp_path: Path) -> None:
    """Named entities (person, org) come with the NER step: here they are recorded through
    the store as that step records them, on a copy of the real ingestion."""
    data = tmp_path / "data"
    shutil.copytree(mixed, data, ignore=shutil.ignore_patterns("tmp"))  # live sockets
    catalog = Catalog(DataDir.open(data).catalog_path)
    store = EntityStore(catalog)
    ds = catalog.dataset("test")
    store.start_table(ds.id, 999_999, "registrations/people.csv", "people")
    store.add_row_mentions(ds.id, 999_999, [
        NewMention("person", "jose alvarez", "José Álvarez", "ALVAREZ, JOSE", 0, 13, row=1,
                   field="FullName"),
        NewMention("org", "acme police", "Acme Police", "ACME Police", 0, 11, row=1,
                   field="Agency")])
    store.finish_table(999_999, "test")
    store.refresh(ds.id)
    catalog.commit()
    catalog.close()
    result = _xref(data, "FirstName,LastName,Organization\nJose,alvarez,acme  police\n"
                         "Jane,Alvarez,Acme\n")
    first, second = result.rows
    assert sorted((m.query.column, m.entity.value) for m in first.matches) == [
        ("FirstName + LastName", "José Álvarez"), ("Organization", "Acme Police")]
    assert second.matches == []
    # A public (redacted) reader never finds a person, whatever the spelling.
    redacted = _xref(data, "Name\nJosé Álvarez\n", ReadScope(redacted=frozenset({"test"})))
    assert redacted.rows[0].matches == []


def test_what_a_caller_may_not_read_matches_nothing(mixed: Path) -> None:
    nowhere = ReadScope(full=frozenset({"other"}))
    with pytest.raises(NotFound) as refused:
        _xref(mixed, LIST, nowhere)
    with pytest.raises(NotFound) as missing:
        _xref(mixed, LIST, nowhere, datasets=("no-such-set",))
    assert str(refused.value) == str(missing.value).replace("no-such-set", "test")
    # Read redacted: personal kinds (e-mails, phones, accounts) do not exist.
    redacted = _xref(mixed, LIST, ReadScope(redacted=frozenset({"test"})))
    assert all(r.matches == [] for r in redacted.rows)
    domains = _xref(mixed, "Site\nexample.org\n", ReadScope(redacted=frozenset({"test"})))
    assert {m.entity.kind for m in domains.rows[0].matches} == {"domain", "url"}


def test_the_cli_prints_json_and_writes_csv(mixed: Path, tmp_path: Path, capsys) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text(LIST)
    out = tmp_path / "matches.csv"
    assert main(["xref", str(listing), "--dataset", "test", "--json", "--output", str(out),
                 "--data-dir", str(mixed)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"datasets", "columns", "rows_read", "truncated", "max_rows",
                            "encoding", "matched_rows", "matches", "max_matches_per_row",
                            "rows"}
    assert (printed["rows_read"], printed["matched_rows"], printed["matches"]) == (3, 2, 3)
    row = printed["rows"][0]
    assert row["row"] == 2 and row["cells"]["Email"] == "DESK@example.org"
    match = row["matches"][0]
    assert set(match) == {"dataset", "column", "query", "id", "kind", "value", "spellings",
                          "documents", "rows", "sources", "url", "document_ids"}
    assert all(isinstance(match[k], int) for k in ("id", "documents", "rows", "sources"))
    assert len(list(csv.reader(out.open()))) == 5
    assert main(["xref", str(listing), "--dataset", "nosuch", "--data-dir", str(mixed)]) == 2
    assert "no dataset named 'nosuch'" in capsys.readouterr().err


def test_the_cli_says_the_bound_the_list_has() -> None:
    from trawl.cli import xref_commands
    from trawl.search import xref_list

    assert xref_commands.MAX_ROWS == xref_list.MAX_ROWS
