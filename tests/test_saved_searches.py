"""Saved searches (search/saved.py, `trawl saved`) on real ingestions: what is new after a
second ingestion adds documents, counted only in what the account may read, and no longer new
once the search is run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_helpers import ingest
from shared_corpus import corpus_path

from trawl.cli.main import main
from trawl.index.base import SearchQuery
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir

STAGES_OFF = {"ocr": False, "entities": False, "neardup": False, "threads": False}
MAIL = ("enron-sample", "maildir", "allen-p", "_sent_mail")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    from trawl.access.store import AccessStore

    data = tmp_path / "data"
    ingest(corpus_path("ingest-file"), data, dataset="first", **STAGES_OFF)
    store = AccessStore(DataDir.open(data).access_path)
    store.add_user("ana", "a long test password 1")
    store.add_user("ben", "a long test password 1")
    for dataset in ("first", "more"):
        store.grant(dataset, "user", "ana", by="test")
    store.close()
    return data


def _saved(data: Path, *args: str, capsys) -> str:
    capsys.readouterr()
    assert main(["saved", *args, "--data-dir", str(data)]) == 0
    return capsys.readouterr().out


def _listing(data: Path, user: str, capsys) -> dict[str, dict]:
    out = _saved(data, "list", "--user", user, "--json", capsys=capsys)
    return {s["name"]: s for s in json.loads(out)["saved"]}


def _total(data: Path, text: str, dataset: str) -> int:
    archive = Archive(DataDir.open(data))
    try:
        return archive.search(SearchQuery(text=text, datasets=[dataset], limit=0)).total
    finally:
        archive.close()


def test_new_results_after_a_second_ingestion(data, capsys):
    _saved(data, "add", "all mail", "*", "--filter", "type:email", "--user", "ana",
           capsys=capsys)
    _saved(data, "add", "first only", "*", "--dataset", "first", "--user", "ana",
           capsys=capsys)
    assert {n: s["new"] for n, s in _listing(data, "ana", capsys).items()} == \
        {"all mail": 0, "first only": 0}
    # A second ingestion: a dataset Ana may read, and the same mail where she may not.
    ingest(corpus_path(*MAIL), data, dataset="more", **STAGES_OFF)
    ingest(corpus_path(*MAIL), data, dataset="hidden", **STAGES_OFF)
    mail = _total(data, "type:email", "more")
    assert mail >= 5 and _total(data, "type:email", "hidden") == mail
    listing = _listing(data, "ana", capsys)
    assert listing["all mail"]["new"] == mail  # not the hidden copies
    assert listing["first only"]["new"] == 0
    out = _saved(data, "run", "all mail", "--user", "ana", "--limit", "200", capsys=capsys)
    lines = out.splitlines()
    assert lines[0] == f"{mail} new documents for 'all mail'"
    assert len(lines) == mail + 1 and all("  more:" in line for line in lines[1:])
    assert _listing(data, "ana", capsys)["all mail"]["new"] == 0  # run: viewed
    assert "0 new documents" in _saved(data, "run", "all mail", "--user", "ana",
                                       capsys=capsys)


def test_saved_searches_are_each_accounts_own(data, capsys):
    _saved(data, "add", "mine", "invoice", "--user", "ana", capsys=capsys)
    assert _listing(data, "ben", capsys) == {}
    assert main(["saved", "run", "mine", "--user", "ben", "--data-dir", str(data)]) == 2
    assert "no saved search named 'mine'" in capsys.readouterr().err
    assert main(["saved", "add", "mine", "x", "--user", "ana", "--data-dir", str(data)]) == 2
    assert "already" in capsys.readouterr().err
    assert main(["saved", "add", "bad", "x", "--filter", "year:20", "--user", "ana",
                 "--data-dir", str(data)]) == 2
    assert main(["saved", "list", "--user", "nobody", "--data-dir", str(data)]) == 2
    _saved(data, "remove", "mine", "--user", "ana", capsys=capsys)
    assert _listing(data, "ana", capsys) == {}
