"""Prefix and fuzzy words, and text that libmagic mistakes for code, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import ingest, search

from trawl.index.base import QueryError


def _dump(tmp_path: Path) -> Path:
    root = tmp_path / "dump"
    root.mkdir()
    (root / "a.txt").write_text("Protesters gathered near the courthouse on Monday.\n")
    (root / "b.txt").write_text("The police department issued a statement.\n")
    (root / "c.txt").write_text("Réunion des manifestants à Genève.\n")
    # libmagic reads this abstract as Fortran; its .txt name makes it text again.
    (root / "fortran.txt").write_text(
        "C     COMMON BLOCK PROGRAM\n      INTEGER X\n      REAL Y\n      END\n")
    return root


def test_prefix_fuzzy_and_accents(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(_dump(tmp_path), data)
    assert {h.path for h in search(data, "protest*").hits} == {"a.txt"}
    assert {h.path for h in search(data, "text:courth*").hits} == {"a.txt"}
    assert {h.path for h in search(data, "polise~").hits} == {"b.txt"}
    assert {h.path for h in search(data, "departmnet~2").hits} == {"b.txt"}
    assert {h.path for h in search(data, "genev*").hits} == {"c.txt"}
    assert search(data, '"near the courthouse" AND protest*').total == 1
    # A fuzzy word that matches nothing in the dictionary is searched as typed: no error.
    assert search(data, "zzzqqq~").total == 0


def test_and_not_excludes_as_in_lucene(tmp_path: Path) -> None:
    """`a AND NOT b` is the a's without b (Tantivy alone answered it with nothing)."""
    data = tmp_path / "data"
    ingest(_dump(tmp_path), data)
    every = {"a.txt", "b.txt", "c.txt", "fortran.txt"}
    assert {h.path for h in search(data, "* AND NOT police").hits} == every - {"b.txt"}
    assert {h.path for h in search(data, "* AND NOT (police OR courthouse)").hits} == \
        every - {"a.txt", "b.txt"}
    assert {h.path for h in search(data, "statement AND NOT courthouse").hits} == {"b.txt"}
    # Inside quotes the words are a phrase, left alone.
    assert search(data, '"AND NOT police"').total == 0


def test_snippet_ranges_are_characters(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(_dump(tmp_path), data)
    snippet = search(data, "manifestants").hits[0].snippet
    (start, end), = snippet.highlights
    assert snippet.text[start:end] == "manifestants"  # after "Réunion" and "à", non-ASCII


def test_text_mistaken_for_code_is_indexed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ingest(_dump(tmp_path), data)
    assert {h.path for h in search(data, "common block").hits} == {"fortran.txt"}


@pytest.mark.parametrize("record", ["documents", "rows"])
def test_a_query_that_only_excludes_is_refused(tmp_path: Path, record: str) -> None:
    """`NOT` alone, or `NOT x`, found documents (issue #19): it has nothing to find."""
    data = tmp_path / "data"
    ingest(_dump(tmp_path), data)
    for text in ("NOT", "NOT NOT", " NOT  NOT NOT ", "NOT police", "-police", "(NOT police)",
                 "NOT police OR NOT courthouse", '-"police department"'):
        with pytest.raises(QueryError, match=r"only excludes .* `\* NOT police`"):
            search(data, text, record=record)
    # With something to find, NOT excludes as before; `* NOT x` is everything but x.
    assert {h.path for h in search(data, "* NOT police").hits} == \
        {"a.txt", "c.txt", "fortran.txt"}
    assert {h.path for h in search(data, "courthouse NOT department").hits} == \
        {"a.txt"}
    assert search(data, "not").total == 0  # the lower-case word is a word, not the operator
