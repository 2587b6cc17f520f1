"""Bulk mail (BlueLeaks' EmailBuilder rows) as messages: recognised by its columns, threaded
with its recipients, joined by a forwarded copy from one of them (never by a stranger's),
counted by correspondents, resumable, and shown only to whom may read its dataset (masked
for a redacted reader). On a hand-written site (tests/bulk_mail_site.py) and on a generated
BlueLeaks-shaped dump (benchmarks/corpus)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from bulk_mail_site import CUSTOM, RECIPIENTS, SENDER, SUBJECT, write_site
from ingest_helpers import cli_json, ingest, trawl_cli

from trawl.derive.bulk_mail import body_text, bulk_mail_columns, mail_date, parse_row_key
from trawl.ingestion.thread_stage import ThreadStage
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableStore
from trawl.storage.threads import ThreadStore

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "a long test password 1"  # noqa: S105 (test accounts)


# -- the rule -------------------------------------------------------------------------------------
def test_a_table_is_bulk_mail_by_its_columns_not_its_name() -> None:
    found = bulk_mail_columns(["EmailBuilderID", "EmailFrom", "EmailSubject", "EmailBody",
                               "SentEmailList", "Attachment10", "Attachment2", "DateSent"])
    assert found is not None and found.sender == "EmailFrom"
    assert found.attachments == ["Attachment2", "Attachment10"]
    assert any("SentEmailList" in r for r in found.reasons)
    # Another name, the same columns (case as SQLite compares them): bulk mail too.
    assert bulk_mail_columns(["id", "emailfrom", "EMAILSUBJECT", "EmailBody"]) is not None
    # The name without the columns (EmailBuilderOptions is settings): not mail.
    assert bulk_mail_columns(["EmailBuilderOptionsID", "EmailFrom", "EmailSubject"]) is None


def test_bodies_and_dates_are_read_as_an_export_writes_them() -> None:
    text = body_text('<div>\\n<p>Protest <b>activity</b>.</p><script>alert(1)</script>'
                     '\\n<p>Stay safe &amp; alert.</p></div>')
    assert text == "Protest activity.\n\nStay safe & alert."
    assert body_text("Line one\\nLine two") == "Line one\nLine two"
    assert mail_date("2020-06-02 09:00:00") == "2020-06-02T09:00:00Z"
    assert mail_date("06/02/2020 09:00:00") == "2020-06-02T09:00:00Z"
    assert mail_date("2020-06-02T09:00:00-07:00") == "2020-06-02T16:00:00Z"
    assert mail_date("soon") is None and parse_row_key("abc") is None
    assert parse_row_key("row:12:3") == (12, 3)


# -- a hand-written site ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bulk")
    write_site(root / "dump", rows=3)
    ingest(root / "dump", root / "data", ocr=False, entities=False, neardup=False)
    return root / "data"


def _bulletin_thread(data: Path) -> dict:
    listed = cli_json("threads", "--dataset", "test", data_dir=data)["threads"]
    (found,) = [t for t in listed if t["subject"] == SUBJECT]
    return cli_json("thread", found["id"], data_dir=data)


def test_rows_become_messages_with_their_recipients(site: Path) -> None:
    thread = _bulletin_thread(site)
    rows = [m for m in thread["messages"] if m["record"] == "row"]
    (bulletin,) = rows
    assert bulletin["from"] == SENDER and bulletin["subject"] == SUBJECT
    assert bulletin["recipients"] == len(RECIPIENTS) + len(CUSTOM)
    assert bulletin["to"][:2] == CUSTOM and len(bulletin["to"]) == 20
    assert bulletin["date"] == "2020-06-02T09:00:00Z"
    assert bulletin["table_name"] == "EmailBuilder" and bulletin["row"] == 1
    assert bulletin["id"] == f"row:{bulletin['table']}:1"
    assert "alert(1)" not in bulletin["text"] and "Stay safe & alert." in bulletin["text"]
    (attachment,) = bulletin["attachments"]
    assert attachment["name"] == "Bulletin 2020-06.txt" and attachment["document_id"]
    # The other bulletins (custom list only) are threads of their own.
    listed = cli_json("threads", "--dataset", "test", data_dir=site)["threads"]
    weekly = [t for t in listed if t["subject"].startswith("Weekly update")]
    assert len(weekly) == 2 and all(t["messages"] == 1 for t in weekly)
    assert all(set(t["participants"]) == {SENDER, *CUSTOM} for t in weekly)


def test_a_forward_from_a_recipient_joins_the_bulletin_a_strangers_does_not(site: Path) -> None:
    thread = _bulletin_thread(site)
    assert len(thread["messages"]) == 2
    records = [(m["record"], m["from"]) for m in thread["messages"]]
    assert records == [("row", SENDER), ("document", RECIPIENTS[2])]
    assert thread["messages"][1]["by_subject"] is True
    listed = cli_json("threads", "--dataset", "test", data_dir=site)["threads"]
    stranger = [t for t in listed if "someone@elsewhere.com" in t["participants"]]
    assert len(stranger) == 1 and stranger[0]["messages"] == 1


def test_a_recipient_finds_the_bulletin_and_the_cli_counts_the_rest(site: Path) -> None:
    found = cli_json("threads", "--dataset", "test", "--participant", RECIPIENTS[-1],
                     data_dir=site)["threads"]
    assert [t["subject"] for t in found] == [SUBJECT]
    text = trawl_cli("thread", found[0]["id"], data_dir=site).stdout
    assert "bulk mail of table EmailBuilder" in text and "and 22 more" in text


def test_correspondents_count_the_rows_sender(site: Path) -> None:
    edges = cli_json("correspondents", "--dataset", "test", "--limit", "500",
                     data_dir=site)["edges"]
    sent = {e["to"]: e for e in edges if e["from"] == SENDER}
    assert set(RECIPIENTS) | set(CUSTOM) <= set(sent)
    assert sent[CUSTOM[0]]["messages"] == 3       # every bulletin went to the custom list
    assert sent[RECIPIENTS[0]]["messages"] == 1
    assert sent[RECIPIENTS[0]]["first"] == "2020-06-02T09:00:00Z"


class _Killed(Exception):
    pass


def test_a_killed_stage_resumes_without_reading_a_row_again(site: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    write_site(tmp_path / "dump", rows=12)
    data = tmp_path / "data"
    ingest(tmp_path / "dump", data, ocr=False, entities=False, neardup=False, threads=False)
    monkeypatch.setattr("trawl.ingestion.thread_stage.COMMIT_EVERY", 3)
    datadir = DataDir.open(data)
    catalog = Catalog(datadir.catalog_path)
    tables, blobs = TableStore(datadir.tables_path), BlobStore(datadir.blob_dir)
    ds = catalog.dataset("test")
    assert ds is not None
    stage = ThreadStage(catalog, ds, quiet=True, tables=tables, blobs=blobs)
    original, seen = stage._thread_row, []

    def dies_after_some(info, columns, cells) -> None:  # noqa: ANN001
        if len(seen) == 8:
            raise _Killed
        seen.append(cells["_row"])
        original(info, columns, cells)

    stage._thread_row = dies_after_some  # type: ignore[method-assign]
    with pytest.raises(_Killed):
        stage.run()
    catalog.db.rollback()  # what a kill loses: the uncommitted rows
    store = ThreadStore(catalog)
    read = store.row_messages(ds.id)
    assert 0 < len(read) < len(seen)  # the last ones were not committed
    again: list[int] = []
    resumed = ThreadStage(catalog, ds, quiet=True, tables=tables, blobs=blobs)
    original_resumed = resumed._thread_row

    def counts(info, columns, cells) -> None:  # noqa: ANN001
        again.append(cells["_row"])
        original_resumed(info, columns, cells)

    resumed._thread_row = counts  # type: ignore[method-assign]
    summary = resumed.run()
    assert summary.rows == 12 - len(read) and len(again) == 12 - len(read)
    assert not set(again) & {parse_row_key(k)[1] for k in read}  # type: ignore[index]
    assert len(store.row_messages(ds.id)) == 12
    # A second run reads nothing again.
    assert ThreadStage(catalog, ds, quiet=True, tables=tables, blobs=blobs).run().rows == 0
    tables.close()
    catalog.close()
    thread = _bulletin_thread(data)
    assert len(thread["messages"]) == 2 and thread["messages"][0]["recipients"] == 42


def test_a_changed_table_takes_its_rows_apart(tmp_path: Path) -> None:
    dump, data = tmp_path / "dump", tmp_path / "data"
    write_site(dump, rows=2)
    ingest(dump, data, ocr=False, entities=False, neardup=False)
    write_site(dump, rows=4)  # the export grew: the table is loaded again
    ingest(dump, data, ocr=False, entities=False, neardup=False)
    listed = cli_json("threads", "--dataset", "test", data_dir=data)["threads"]
    subjects = sorted(t["subject"] for t in listed)
    assert subjects.count(SUBJECT) == 1 and len(subjects) == 5  # 4 bulletins + the stranger
    assert len(_bulletin_thread(data)["messages"]) == 2
    # The recipient list changed (the table did not): the bulletin is read again with it.
    listing = dump / "ncric" / "files" / "EmailBuilder" / "SentEmailList_1.txt"
    listing.write_text(listing.read_text() + "\r\nlate.addition@agency9.gov")
    ingest(dump, data, ocr=False, entities=False, neardup=False)
    thread = _bulletin_thread(data)
    assert len(thread["messages"]) == 2
    assert thread["messages"][0]["recipients"] == len(RECIPIENTS) + len(CUSTOM) + 1


def test_a_stage_without_the_tables_threads_messages_and_keeps_rows(tmp_path: Path) -> None:
    dump, data = tmp_path / "dump", tmp_path / "data"
    write_site(dump, rows=2)
    ingest(dump, data, ocr=False, entities=False, neardup=False)
    (dump / "mailbox" / "new.eml").write_text(
        "From: a@x.org\nTo: b@x.org\nSubject: New\nDate: Wed, 3 Jun 2020 10:00:00 +0000\n"
        "Message-ID: <new@x.org>\n\nNew.\n")
    ingest(dump, data, ocr=False, entities=False, neardup=False, threads=False)
    catalog = Catalog(DataDir.open(data).catalog_path)
    ds = catalog.dataset("test")
    assert ds is not None
    before = ThreadStore(catalog).row_messages(ds.id)
    summary = ThreadStage(catalog, ds, quiet=True).run()
    assert summary.messages == 1 and summary.taken_apart == 0
    assert ThreadStore(catalog).row_messages(ds.id) == before and len(before) == 2
    catalog.close()


# -- access ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """One site in a private dataset and one in a public one; an admin and a reader."""
    from fastapi.testclient import TestClient

    from trawl.access.store import AccessStore
    from trawl.derive.redacted_view import set_visibility
    from trawl.web.app import create_app

    root = tmp_path_factory.mktemp("bulk-access")
    data = root / "data"
    for name in ("private", "public"):
        write_site(root / name, rows=1)
        ingest(root / name, data, dataset=name, ocr=False, entities=False, neardup=False)
    datadir = DataDir.open(data)
    set_visibility(datadir, "private", "private")
    set_visibility(datadir, "public", "public")
    store = AccessStore(datadir.access_path)
    store.add_user("admin", PASSWORD, is_admin=True)
    store.add_user("reader", PASSWORD)
    tokens = {name: store.create_token(name, "tests")[0] for name in ("admin", "reader")}
    store.close()
    with TestClient(create_app(datadir), follow_redirects=False) as client:
        yield client, {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}


def _api_thread(client, headers: dict, dataset: str) -> dict:
    listed = client.get(f"/api/datasets/{dataset}/threads", headers=headers).json()
    (found,) = [t for t in listed["threads"] if t["messages"] == 2]
    return client.get(f"/api/threads/{found['id']}", headers=headers).json()


def test_a_stranger_gets_no_bulk_mail(served) -> None:
    client, tokens = served
    thread = _api_thread(client, tokens["admin"], "private")
    assert [m["record"] for m in thread["messages"]] == ["row", "document"]
    page = client.get(f"/threads/{thread['id']}", headers=tokens["admin"])
    assert page.status_code == 200
    assert "42 recipients" in page.text and "/tables/" in page.text
    assert "<script>alert(1)" not in page.text
    # The row's page links to its conversation; the thread counts all its participants.
    row = thread["messages"][0]
    row_page = client.get(f"/tables/{row['table']}/rows/{row['row']}", headers=tokens["admin"])
    assert f'href="/threads/{thread["id"]}"' in row_page.text
    assert thread["participant_count"] == 1 + len(RECIPIENTS) + len(CUSTOM) + 1
    french = client.get(f"/threads/{thread['id']}",
                        headers={**tokens["admin"], "Accept-Language": "fr"})
    assert "42 destinataires" in french.text and "envoi groupé" in french.text
    for headers in (tokens["reader"], {}):
        refused = client.get(f"/api/threads/{thread['id']}", headers=headers)
        missing = client.get("/api/threads/t000000000000000", headers=headers)
        assert refused.status_code == missing.status_code == 404
        assert client.get(f"/threads/{thread['id']}", headers=headers).status_code == 404
        assert client.get("/api/datasets/private/correspondents",
                          headers=headers).status_code == 404


def test_a_redacted_reader_sees_the_bulk_mail_masked(served) -> None:
    client, tokens = served
    full = _api_thread(client, tokens["admin"], "public")
    masked = _api_thread(client, tokens["reader"], "public")
    assert [m["id"] for m in masked["messages"]] == [m["id"] for m in full["messages"]]
    row = masked["messages"][0]
    assert row["record"] == "row" and row["recipients"] == 42
    shown = str(masked)
    assert SENDER not in shown and RECIPIENTS[0] not in shown and CUSTOM[0] not in shown
    assert "Stay safe" in row["text"]
    edges = client.get("/api/datasets/public/correspondents",
                       headers=tokens["reader"]).json()
    assert edges["by"] == "domain" and SENDER not in str(edges)


# -- a generated BlueLeaks-shaped dump -------------------------------------------------------------
def test_generated_emailbuilder_rows_become_messages(tmp_path: Path) -> None:
    if str(REPO) not in sys.path:  # the generator lives in benchmarks/, beside src/
        sys.path.insert(0, str(REPO))
    from benchmarks.corpus import generate

    generate(tmp_path / "dump", 2_000_000, seed=7, sites=1)
    data = tmp_path / "data"
    ingest(tmp_path / "dump", data, ocr=False, entities=False, neardup=False)
    store = TableStore.open_readonly(DataDir.open(data).tables_path)
    assert store is not None
    (builder,) = [t for t in store.tables("test", include_empty=False)
                  if t.name == "EmailBuilder"]
    store.close()
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    threads = ThreadStore(catalog)
    ds = catalog.dataset("test")
    assert ds is not None
    keys = threads.row_messages(ds.id)
    assert len(keys) == builder.row_count
    listed = [threads.message(k) for k in sorted(keys)]
    with_list = [m for m in listed if m and len(m.participants) > 2]
    assert with_list, "some bulletins have a SentEmailList file"
    assert all(m and m.sender and m.date for m in listed)
    catalog.close()
    shutil.rmtree(tmp_path / "dump")
