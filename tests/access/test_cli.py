"""The commands a publisher runs, from the README's worked example: accounts, groups,
tokens, visibility, grants, redaction rules; each change in the audit log."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from trawl.access.audit import AuditLog
from trawl.access.store import AccessStore
from trawl.cli.main import main
from trawl.ingestion.pipeline import Ingester, IngestOptions
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "memo.txt").write_text("Memo about the pier. Write to jo.lane@example.net.")
    (dump / "staff.csv").write_text("StaffID,FirstName,LastName,Unit\n1,Jo,Lane,Harbor\n")
    data = DataDir.open(tmp_path / "data")
    for name in ("leaks", "internal"):
        ingester = Ingester(data, name, IngestOptions(workers=1, quiet=True, ocr=False))
        try:
            ingester.ingest(dump)
        finally:
            ingester.close()
    return data


def trawl(data: DataDir, *args: str, stdin: str | None = None,
          monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main([*args[:2], "--data-dir", str(data.root), *args[2:]]) \
        if args[0] in ("user", "group", "token", "dataset", "audit") \
        else main([*args, "--data-dir", str(data.root)])


def test_the_publishers_worked_example(data, capsys, monkeypatch):
    assert trawl(data, "user", "add", "admin", "--admin", "--generate") == 0
    password = capsys.readouterr().out.split("password: ")[1].split()[0]
    assert trawl(data, "user", "add", "alice", "--password-stdin",
                 stdin="a journalist's long password\n", monkeypatch=monkeypatch) == 0
    assert trawl(data, "group", "add", "press") == 0
    assert trawl(data, "group", "member", "press", "alice") == 0
    assert trawl(data, "dataset", "grant", "internal", "--group", "press") == 0
    assert trawl(data, "dataset", "visibility", "leaks", "public") == 0
    capsys.readouterr()
    assert trawl(data, "token", "create", "alice", "laptop") == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("trawl_")
    assert trawl(data, "token", "list") == 0
    listed = capsys.readouterr().out
    # Times say their zone, as the audit log's do: "created 2026-12-03 17:15 UTC".
    assert re.search(r"laptop .* created \d{4}-\d\d-\d\d \d\d:\d\d UTC", listed), listed

    store = AccessStore(data.access_path)
    assert store.authenticate("admin", password, None) is not None
    alice = store.authenticate("alice", "a journalist's long password", None)
    assert alice is not None and alice.groups == {"press"}
    assert store.granted_datasets(alice) == {"internal"}
    assert store.token_user(token)[0].name == "alice"
    store.close()
    catalog = Catalog(data.catalog_path, readonly=True)
    assert catalog.dataset("leaks").visibility == "public"
    assert catalog.dataset("internal").visibility == "private"
    catalog.close()

    assert trawl(data, "dataset", "list", "--json") == 0
    listed = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert listed["internal"]["grants"] == ["group:press"]
    assert listed["leaks"]["redacted_view_current"] is True

    log = AuditLog(data.audit_path, data.secret_key_path)
    actions = [e.action for e in log.entries(limit=50, newest_first=False)]
    log.close()
    assert actions[:6] == ["user_add", "user_add", "group", "group", "grant", "visibility"]
    assert "token_create" in actions
    assert trawl(data, "audit", "verify") == 0


def test_redaction_rules_are_changed_tested_and_rebuilt(data, capsys):
    assert trawl(data, "dataset", "visibility", "leaks", "public") == 0
    capsys.readouterr()
    assert trawl(data, "dataset", "redaction", "leaks", "--test",
                 "Jo Lane, jo.lane@example.net, pier 7") == 0
    assert capsys.readouterr().out.strip() == "Jo Lane, [email], pier 7"
    assert trawl(data, "dataset", "redaction", "leaks", "--add-term", "Jo Lane",
                 "--add-column", "Unit", "--test", "Jo Lane of the pier") == 0
    assert capsys.readouterr().out.strip() == "[redacted] of the pier"

    from fastapi.testclient import TestClient

    from trawl.web.app import create_app

    with TestClient(create_app(data)) as stranger:
        assert stranger.get("/api/search", params={"q": '"Jo Lane"'}).json()["total"] == 0
        assert stranger.get("/api/search", params={"q": "pier"}).json()["total"] >= 1
        table = stranger.get("/api/datasets/leaks/tables").json()["tables"][0]
        row = stranger.get(f"/api/tables/{table['id']}").json()["rows"][0]
        assert "Harbor" not in json.dumps(row) and "Lane" not in json.dumps(row)
    assert trawl(data, "dataset", "redaction", "leaks", "--reset") == 0
    capsys.readouterr()
    assert trawl(data, "dataset", "redaction", "leaks", "--add-pattern", "(") == 2
    assert "pattern" in capsys.readouterr().err


def test_making_a_dataset_private_again_removes_its_public_view(data):
    from fastapi.testclient import TestClient

    from trawl.web.app import create_app

    assert trawl(data, "dataset", "visibility", "leaks", "public") == 0
    with TestClient(create_app(data)) as stranger:
        assert stranger.get("/api/search", params={"q": "pier"}).json()["total"] >= 1
    assert trawl(data, "dataset", "visibility", "leaks", "restricted") == 0
    with TestClient(create_app(data), follow_redirects=False) as stranger:
        assert stranger.get("/api/search", params={"q": "pier"}).status_code == 401


def test_ingesting_into_a_public_dataset_refreshes_its_view(data, tmp_path):
    assert trawl(data, "dataset", "visibility", "leaks", "public") == 0
    more = tmp_path / "more"
    more.mkdir()
    (more / "late.txt").write_text("A late memo about the lighthouse, call 415-555-0188.")
    assert trawl(data, "ingest", str(more), "--dataset", "leaks", "--no-ocr") == 0
    from fastapi.testclient import TestClient

    from trawl.web.app import create_app

    with TestClient(create_app(data)) as stranger:
        found = stranger.get("/api/search", params={"q": "lighthouse"}).json()
        assert found["total"] == 1
        assert "[phone" in found["hits"][0]["snippet"]  # (the snippet may cut it short)
        assert stranger.get("/api/search", params={"q": '"415-555-0188"'}).json()["total"] == 0


def test_weak_or_mistyped_passwords_are_refused(data, monkeypatch, capsys):
    assert trawl(data, "user", "add", "bob", "--password-stdin", stdin="short\n",
                 monkeypatch=monkeypatch) == 2
    assert "10 characters" in capsys.readouterr().err
    assert trawl(data, "user", "remove", "nobody") == 2


def test_reindex_rebuilds_the_public_view_too(data):
    from fastapi.testclient import TestClient

    from trawl.web.app import create_app

    assert trawl(data, "dataset", "visibility", "leaks", "public") == 0
    assert trawl(data, "reindex") == 0
    with TestClient(create_app(data)) as stranger:
        found = stranger.get("/api/search", params={"q": "pier"}).json()
        assert found["total"] == 1 and "[email" in found["hits"][0]["snippet"]
        assert stranger.get("/api/search", params={"q": '"jo.lane@example.net"'}
                            ).json()["total"] == 0
