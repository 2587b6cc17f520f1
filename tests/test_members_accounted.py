"""Every member of a container ends as a `files` row of its own, extracted or not: a link, an
encrypted or unreadable member, one past a safety limit, is a `skipped` or `failed` row under
its container's path, with its message and its code, so that `trawl status`, the overview and
the ledger (indexed + failed + skipped == total) count it."""

from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from ingest_helpers import cli_json, ingest, search, trawl_cli
from shared_corpus import corpus_path

from trawl.ingestion.extractors.base import Limits
from trawl.storage.catalog import Catalog, ChildEntry, Content
from trawl.storage.datadir import DataDir

# Real archives written by others, each holding a symbolic link `secret.txt` to a file of the
# machine they were made on.
LINKED = ["badtar.tar", "badzip.zip", "bad7zip.7z", "badrar.rar"]
TARGET = "/ingestors/tests/fixtures/secret.txt"


def _rows(data: Path, dataset: str = "test") -> dict[str, dict]:
    """path -> its catalog row (status, error, code, kind, parent's path), every path."""
    catalog = Catalog(DataDir(data).catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        rows = catalog.db.execute(
            "SELECT f.path, f.status, f.error, f.error_code, f.kind, f.sha256, p.path "
            "FROM files f LEFT JOIN files p ON p.id = f.parent_id WHERE f.dataset_id = ?",
            (ds.id,)).fetchall()
        return {r[0]: {"status": r[1], "error": r[2], "code": r[3], "kind": r[4],
                       "sha256": r[5], "parent": r[6]} for r in rows}
    finally:
        catalog.close()


def _links_tar(path: Path) -> None:
    """A tar with a symbolic link, a hard link and a link to a folder beside a plain file."""
    with tarfile.open(path, "w") as tar:
        data = b"A plain member about the aardvark.\n"
        info = tarfile.TarInfo("docs/aardvark.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for name, kind, target in (("docs/passwdlink", tarfile.SYMTYPE, "/etc/passwd"),
                                   ("docs/hardpasswd", tarfile.LNKTYPE, "docs/aardvark.txt"),
                                   ("dirlink", tarfile.SYMTYPE, "/etc")):
            link = tarfile.TarInfo(name)
            link.type, link.linkname = kind, target
            tar.addfile(link)


def _assert_ledger(data: Path) -> dict:
    status = cli_json("status", "--dataset", "test", data_dir=data)
    assert status["pending"] == 0
    assert status["indexed"] + status["failed"] + status["skipped"] == status["total"]
    assert status["total"] == len(_rows(data))
    return status


def test_link_members_are_skipped_rows_of_their_archive(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    for name in LINKED:
        shutil.copyfile(corpus_path("ingest-file", name), root / name)
    shutil.copyfile(corpus_path("ingest-file", "badtar.tar"), root / "copy-of-badtar.tar")
    _links_tar(root / "links.tar")
    data = tmp_path / "data"
    ingest(root, data, ocr=False)
    rows = _rows(data)
    # The copy is not unpacked again: its members come from the first one's, links included.
    for archive in [*LINKED, "copy-of-badtar.tar"]:
        member = rows[f"{archive}/secret.txt"]
        assert member["parent"] == archive and member["kind"] == "member", archive
        assert (member["status"], member["code"]) == ("skipped", "link"), archive
        assert "link" in member["error"] and member["sha256"] is None, archive
        assert TARGET in rows["badtar.tar/secret.txt"]["error"]
    assert rows["links.tar/docs/aardvark.txt"]["status"] == "indexed"
    passwd = rows["links.tar/docs/passwdlink"]
    assert (passwd["status"], passwd["code"]) == ("skipped", "link")
    assert passwd["error"].startswith("symbolic link to /etc/passwd")
    hard = rows["links.tar/docs/hardpasswd"]
    assert (hard["status"], hard["code"]) == ("skipped", "link")
    assert hard["error"].startswith("hard link to docs/aardvark.txt")
    assert rows["links.tar/dirlink"]["error"].startswith("symbolic link to /etc")
    assert search(data, "root").total == 0  # nothing of /etc/passwd was read
    status = _assert_ledger(data)
    assert {g["code"]: g["count"] for g in status["skipped_by_code"]}["link"] == 8
    # `trawl show` of the archive lists the skipped member among its children.
    doc = cli_json("show", "links.tar", "--dataset", "test", data_dir=data)
    children = {c["path"]: c for c in doc["children"]}
    assert children["links.tar/dirlink"]["status"] == "skipped"
    assert children["links.tar/dirlink"]["error_code"] == "link"


def test_encrypted_members_are_failed_rows(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    shutil.copyfile(corpus_path("tika", "pkg", "testZipEncrypted.zip"), root / "enc.zip")
    data = tmp_path / "data"
    ingest(root, data, ocr=False)
    rows = _rows(data)
    assert rows["enc.zip"]["status"] == "indexed"
    assert rows["enc.zip/unencrypted.txt"]["status"] == "indexed"
    locked = rows["enc.zip/encrypted.txt"]
    assert (locked["status"], locked["code"]) == ("failed", "encrypted")
    assert "encrypted" in locked["error"] and locked["parent"] == "enc.zip"
    status = _assert_ledger(data)
    assert status["failures_by_code"] == [{"code": "encrypted", "retryable": False,
                                           "count": 1}]


def test_retry_all_with_the_password_reads_a_failed_member(tmp_path: Path) -> None:
    if not shutil.which("7z"):
        pytest.skip("7z not installed")
    root, work = tmp_path / "dump", tmp_path / "work"
    root.mkdir()
    work.mkdir()
    shutil.copyfile(corpus_path("ingest-file", "udhr_ger.txt"), work / "udhr.txt")
    (work / "locked.txt").write_text("The pangolin meets the informant at noon.\n")
    target = root / "mixed.zip"
    for name, options in (("udhr.txt", []), ("locked.txt", ["-mem=AES256", "-psecret"])):
        subprocess.run(["7z", "a", "-tzip", *options, str(target), name], cwd=work,
                       check=True, capture_output=True)
    data = tmp_path / "data"
    ingest(root, data, ocr=False)
    assert _rows(data)["mixed.zip/locked.txt"]["code"] == "encrypted"
    out = trawl_cli("retry", "--dataset", "test", "--all", "--password", "secret", "--quiet",
                    data_dir=data)
    assert "1 failed file retried" in out.stderr
    rows = _rows(data)
    assert rows["mixed.zip/locked.txt"]["status"] == "indexed"
    assert rows["mixed.zip/udhr.txt"]["status"] == "indexed"
    assert search(data, "pangolin").total == 1
    status = _assert_ledger(data)
    assert status["failed"] == 0


def test_an_older_catalog_gains_the_columns_of_members_not_extracted(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    db = sqlite3.connect(path)  # content_children as Trawl made it before
    db.execute("CREATE TABLE content_children (parent_sha256 TEXT NOT NULL, position INTEGER "
               "NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL, size "
               "INTEGER NOT NULL, mtime REAL, PRIMARY KEY (parent_sha256, position))")
    db.execute("INSERT INTO content_children VALUES ('p', 0, 'a.txt', 'member', 'c', 3, NULL)")
    db.commit()
    db.close()
    catalog = Catalog(path)
    try:
        [old] = catalog.content_children("p")
        assert (old.name, old.sha256, old.status) == ("a.txt", "c", None)  # extracted
        link = ChildEntry("l", "member", None, 0, None, "skipped", "symbolic link", "link")
        catalog.save_content(Content("q", 1, None, "archive", "done"), [link])
        assert catalog.content_children("q") == [link]
    finally:
        catalog.close()


def test_a_zip_past_a_limit_keeps_its_good_members_and_skips_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    shutil.copyfile(corpus_path("ingest-file", "test-documents.zip"), root / "docs.zip")
    udhr = corpus_path("ingest-file", "udhr_ger.txt").read_bytes()
    with zipfile.ZipFile(root / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("udhr_ger.txt", udhr)
        with archive.open("zeros.bin", "w", force_zip64=True) as out:
            for _ in range(200):  # 200 MB of zeros in 200 KB
                out.write(bytes(1024 * 1024))
        archive.writestr("after.txt", b"The member after the bomb names the axolotl.\n")
    data = tmp_path / "data"
    limits = Limits(max_child_size=20_000_000, ratio_check_min_size=1024**2,
                    max_compression_ratio=100)
    ingest(root, data, ocr=False, limits=limits)
    rows = _rows(data)
    assert rows["bomb.zip"]["status"] == "indexed"
    assert rows["bomb.zip/udhr_ger.txt"]["status"] == "indexed"
    assert rows["bomb.zip/after.txt"]["status"] == "indexed"
    assert search(data, "axolotl").total == 1
    bomb = rows["bomb.zip/zeros.bin"]
    assert (bomb["status"], bomb["code"], bomb["kind"]) == ("skipped", "limit", "member")
    assert "possible zip bomb" in bomb["error"]
    blobs = [p.stat().st_size for p in DataDir(data).blob_dir.rglob("*") if p.is_file()]
    assert max(blobs) < 2 * 1024**2  # the limit protects: nothing large was kept
    status = _assert_ledger(data)
    assert {g["code"]: g["count"] for g in status["skipped_by_code"]} == {"limit": 1}

    # A real zip whose two largest members are past a (small) size limit.
    data = tmp_path / "small"
    ingest(root, data, ocr=False, limits=Limits(max_child_size=20_000))
    rows = _rows(data)
    assert rows["docs.zip"]["status"] == "indexed"
    assert rows["docs.zip/testWORD.doc"]["status"] == "indexed"
    for name in ("testPDF.pdf", "testOpenOffice2.odt"):
        assert (rows[f"docs.zip/{name}"]["status"], rows[f"docs.zip/{name}"]["code"]) == (
            "skipped", "limit")
    _assert_ledger(data)


MAILS = [  # real mail containers, each with more than one attachment or message
    (("tika", "mail", "testRFC822_multipart_attachments.eml"), "attachment"),
    (("tika", "microsoft", "test-outlook2003.msg"), "attachment"),
    (("icij-extract", "documents", "pst", "testPST.pst"), "message"),
    (("tika", "mail", "complex.mbox"), "message"),
]


def test_mail_children_past_a_limit_are_skipped_rows(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    for parts, _kind in MAILS:
        shutil.copyfile(corpus_path(*parts), root / parts[-1])
    data = tmp_path / "data"
    ingest(root, data, ocr=False, limits=Limits(max_children_count=1))
    rows = _rows(data)
    for parts, kind in MAILS:
        name = parts[-1]
        assert rows[name]["status"] == "indexed", name  # the container is kept ...
        children = {p: r for p, r in rows.items() if r["parent"] == name}
        kept = [p for p, r in children.items() if r["status"] == "indexed"]
        skipped = [r for r in children.values() if r["status"] == "skipped"]
        assert len(kept) == 1 and skipped, name  # ... with its first child; the others:
        assert all((r["code"], r["kind"]) == ("limit", kind) for r in skipped), name
        assert all("more than 1 members" in r["error"] for r in skipped), name
    pst = {p for p, r in rows.items() if r["parent"] == "testPST.pst"}
    assert len(pst) == 7  # every message of the mailbox, by its folder and subject
    assert "testPST.pst/Début du fichier de données Outlook/00007-FW-First-email.eml" in pst
    assert {p for p, r in rows.items() if r["parent"] == "complex.mbox"} == {
        f"complex.mbox/message-{n:05d}.eml" for n in (1, 2, 3)}
    _assert_ledger(data)


def test_messages_larger_than_the_limit_are_skipped_rows(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    shutil.copyfile(corpus_path("icij-extract", "documents", "pst", "testPST.pst"),
                    root / "testPST.pst")
    data = tmp_path / "data"
    ingest(root, data, ocr=False, limits=Limits(max_child_size=10_000))
    rows = _rows(data)
    big = {p: r for p, r in rows.items() if r["status"] == "skipped"}
    folder = "testPST.pst/Début du fichier de données Outlook"
    # A message too large, and an attachment too large of a message attached to another:
    # left out of that message, it is a path where the message would have had it.
    forwarded = f"{folder}/00007-FW-First-email.eml/First email.eml"
    assert set(big) == {f"{folder}/00006-WEBINAR-Introducing-Couchbase-Server-2-5.eml",
                        f"{forwarded}/attachment.docx"}
    assert all(r["code"] == "limit" and "larger than" in r["error"] for r in big.values())
    assert all(r["parent"] == "testPST.pst" for r in big.values())
    assert big[f"{forwarded}/attachment.docx"]["kind"] == "attachment"
    assert rows[forwarded]["status"] == "indexed"  # the attached message, read from its .eml
    assert rows[f"{folder}/00001-Re-Feature-Generators.eml"]["status"] == "indexed"
    assert rows["testPST.pst"]["status"] == "indexed"
    _assert_ledger(data)

    # An mbox of three messages of 3.7, 5.2 and 4.8 kB, under a 4 kB limit.
    mbox = tmp_path / "mbox"
    mbox.mkdir()
    shutil.copyfile(corpus_path("tika", "mail", "complex.mbox"), mbox / "complex.mbox")
    data = tmp_path / "mbox-data"
    ingest(mbox, data, ocr=False, limits=Limits(max_child_size=4_000))
    rows = _rows(data)
    assert rows["complex.mbox"]["status"] == "indexed"
    assert rows["complex.mbox/message-00001.eml"]["status"] == "indexed"
    for n in (2, 3):
        row = rows[f"complex.mbox/message-{n:05d}.eml"]
        assert (row["status"], row["code"], row["kind"]) == ("skipped", "limit", "message")
        assert "larger than 4000 bytes" in row["error"]
    _assert_ledger(data)


EMBEDDING = [  # real documents with more than one embedded file
    ("tika", "pdf", "testPDFPackage.pdf"),
    ("tika", "microsoft", "testWORD_embeded.docx"),
    ("tika", "microsoft", "testPPT_embeded.pptx"),
]


def test_embedded_files_past_a_limit_are_skipped_rows(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    for parts in EMBEDDING:
        shutil.copyfile(corpus_path(*parts), root / parts[-1])
    data = tmp_path / "data"
    ingest(root, data, ocr=False, limits=Limits(max_children_count=1))
    rows = _rows(data)
    for parts in EMBEDDING:
        name = parts[-1]
        assert rows[name]["status"] == "indexed", name  # its own text is kept
        children = [r for r in rows.values() if r["parent"] == name]
        assert [r["kind"] for r in children] == ["embedded"] * len(children), name
        assert sum(r["status"] == "indexed" for r in children) == 1, name
        skipped = [r for r in children if r["status"] == "skipped"]
        assert skipped and all(r["code"] == "limit" for r in skipped), name
    _assert_ledger(data)


def test_members_of_one_name_are_each_a_path(tmp_path: Path) -> None:
    """A zip may hold two members of one name (an archive appended to, a hostile one), and
    `../note.txt` sanitises to `note.txt`: each member is still a path of its own, the later
    ones renamed, the renaming said on the archive, and each searchable."""
    dump = tmp_path / "dump"
    dump.mkdir()
    with zipfile.ZipFile(dump / "twice.zip", "w") as z, pytest.warns(UserWarning):
        z.writestr("notes/note.txt", "The first note mentions the aardvark.\n")
        z.writestr("notes/note.txt", "The second note mentions the buffalo.\n")
        z.writestr("../notes/note.txt", "The third note mentions the chameleon.\n")
        z.writestr("notes/note-2.txt", "A note of its own name mentions the dingo.\n")
    counts = ingest(dump, tmp_path / "data")
    rows = _rows(tmp_path / "data")
    members = {p: r for p, r in rows.items() if r["parent"] == "twice.zip"}
    assert sorted(members) == ["twice.zip/notes/note-2.txt", "twice.zip/notes/note-3.txt",
                               "twice.zip/notes/note-4.txt", "twice.zip/notes/note.txt"]
    assert {r["status"] for r in members.values()} == {"indexed"}
    assert counts["indexed"] + counts.get("failed", 0) + counts.get("skipped", 0) == len(rows)
    for word, path in (("aardvark", "twice.zip/notes/note.txt"),
                       ("buffalo", "twice.zip/notes/note-3.txt"),
                       ("chameleon", "twice.zip/notes/note-4.txt"),
                       ("dingo", "twice.zip/notes/note-2.txt")):
        found = search(tmp_path / "data", word)
        assert [h.path for h in found.hits] == [path]
    shown = cli_json("show", "twice.zip", "--dataset", "test", data_dir=tmp_path / "data")
    warnings = " ".join(shown["metadata"]["warnings"])
    assert "another member is named notes/note.txt: this one is notes/note-3.txt" in warnings
