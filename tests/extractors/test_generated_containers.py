"""Containers on files written here: archives (zip, tar, tgz, 7z, gzip, bzip2; links, foreign
member names, encryption, a split volume) and e-mail (a maildir message, HTML only,
alternatives, attachments, attached messages, mbox). The same capabilities as the real-file
tests of test_containers.py, so that they are tested without the shared corpus too. (Outlook
.msg and PST files have no writer to make them: they are tested on real files only.)
"""

from __future__ import annotations

import bz2
import gzip
import io
import shutil
import subprocess
import tarfile
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import fixture_files as ff
import pytest

from trawl.ingestion.extractors.base import EncryptedError, ExtractionError, Limits

DOCUMENTS = {
    "testPDF.pdf": ff.pdf_bytes(["Sample PDF document inside an archive."] * 3,
                                title="Sample PDF"),
    "testWORD.docx": ff.docx_bytes(["Sample Word document inside an archive."]),
    "testTXT.txt": b"Test d'indexation de Txt: plain text inside an archive.\n",
    "testHTML.html": b"<html><head><title>Sample</title></head><body>Sample</body></html>",
    "testXML.xml": b'<?xml version="1.0"?><note>Sample XML</note>\n',
}
SEVEN_ZIP = shutil.which("7z")
needs_7z = pytest.mark.skipif(SEVEN_ZIP is None, reason="7z is not installed "
                              "(scripts/install-system-packages)")


def names(result) -> list[str]:
    return [c.name for c in result.children]


def child(result, name: str):
    return next(c for c in result.children if c.name == name)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def _tree(root: Path, members: dict[str, bytes]) -> Path:
    for name, data in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _7z(*args: str, cwd: Path) -> None:
    subprocess.run([SEVEN_ZIP or "7z", *args], cwd=cwd, check=True, capture_output=True)


# -- archives ----------------------------------------------------------------------------------
def test_zip_members_are_streamed_with_names_and_times(extract, inputs):
    target = inputs / "test-documents.zip"
    target.write_bytes(ff.zip_bytes(DOCUMENTS))
    result = extract(target)
    assert sorted(names(result)) == sorted(DOCUMENTS)
    assert all(c.kind == "member" and c.mtime for c in result.children)
    assert extract.child_bytes(child(result, "testTXT.txt")) == DOCUMENTS["testTXT.txt"]
    assert result.metadata["member_count"] == len(DOCUMENTS)
    assert result.metadata["total_size"] == sum(c.size for c in result.children)
    assert result.title is None


@pytest.mark.parametrize("kind", ["tar", "tgz", "7z"])
def test_tar_tgz_7z_keep_folder_names(extract, inputs, kind):
    if kind == "7z" and SEVEN_ZIP is None:
        pytest.skip("7z is not installed")
    _tree(inputs / "src" / "test-documents", DOCUMENTS)
    target = inputs / f"test-documents.{kind}"
    if kind == "7z":
        _7z("a", str(target), "test-documents", cwd=inputs / "src")
    else:
        with tarfile.open(target, "w:gz" if kind == "tgz" else "w") as archive:
            archive.add(inputs / "src" / "test-documents", arcname="test-documents")
    result = extract(target)
    assert sorted(names(result)) == sorted(f"test-documents/{n}" for n in DOCUMENTS)
    txt = child(result, "test-documents/testTXT.txt")
    assert extract.child_bytes(txt) == DOCUMENTS["testTXT.txt"]


def test_tgz_with_nested_archive_is_one_level_only(extract, inputs):
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as archive:
        data = b"deeper"
        info = tarfile.TarInfo("level2/file.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    _tree(inputs / "src", {"level1/file.txt": b"level one", "level1/level2.tgz":
                           inner.getvalue()})
    target = inputs / "embedded.tgz"
    with tarfile.open(target, "w:gz") as archive:
        archive.add(inputs / "src" / "level1", arcname="level1")
    result = extract(target)
    assert sorted(names(result)) == ["level1/file.txt", "level1/level2.tgz"]
    # The inner .tgz is stored as it is: the pipeline extracts it in turn.
    assert extract.child_bytes(child(result, "level1/level2.tgz"))[:2] == b"\x1f\x8b"


def test_single_file_compressors_name_the_child_after_the_file(extract, inputs):
    (inputs / "bob.gz").write_bytes(gzip.compress(b"hello world"))
    gz = extract(inputs / "bob.gz")
    assert names(gz) == ["bob"] and extract.child_bytes(gz.children[0]) == b"hello world"
    (inputs / "test-bz2.txt.bz2").write_bytes(bz2.compress(b"Hello World\n"))
    bzip = extract(inputs / "test-bz2.txt.bz2")
    assert names(bzip) == ["test-bz2.txt"]
    assert extract.child_bytes(bzip.children[0]).strip() == b"Hello World"
    (inputs / "multiple.gz").write_bytes(gzip.compress(b"a") + gzip.compress(b"b"))
    assert extract.child_bytes(extract(inputs / "multiple.gz").children[0]) == b"ab"


def _one_link_skipped(extract, result) -> None:
    assert result.children == []
    [skipped] = extract.not_extracted
    assert skipped.name == "secret.txt" and skipped.kind == "member"
    assert (skipped.status, skipped.code) == ("skipped", "link")
    assert "symbolic link" in skipped.reason and "/etc/secret.txt" in skipped.reason


def test_symlink_member_of_a_zip_is_listed_never_followed(extract, inputs):
    target = inputs / "badzip.zip"
    target.write_bytes(ff.zip_with_symlink("secret.txt", "/etc/secret.txt"))
    _one_link_skipped(extract, extract(target))


@needs_7z
def test_symlink_member_of_a_7z_is_listed_never_followed(extract, inputs):
    (inputs / "src").mkdir()
    (inputs / "src" / "secret.txt").symlink_to("/etc/secret.txt")
    _7z("a", "-snl", str(inputs / "bad7zip.7z"), "secret.txt", cwd=inputs / "src")
    _one_link_skipped(extract, extract(inputs / "bad7zip.7z"))


def test_non_utf8_member_names_are_decoded(extract, inputs):
    """Names stored in the Windows code page of the machine that made the zip, without the
    UTF-8 flag (what Chinese and Japanese Windows write)."""
    folder = "审计压缩包文件检索测试/"
    for encoding, members in (("gbk", [folder, folder + "集团邮件审计系统2021年自动巡检需求文档"
                                                "_V4.0.doc"]),
                              ("shift_jis", ["文章1.txt", "文章2.txt"])):
        target = inputs / f"{encoding}.zip"
        target.write_bytes(ff.zip_with_raw_names({n.encode(encoding): b"" if n.endswith("/")
                                                  else b"content" for n in members}))
        files = [name for name in members if not name.endswith("/")]
        assert sorted(names(extract(target))) == files, encoding


def test_unreadable_archive_is_an_extraction_error(extract, inputs):
    target = inputs / "500_pages.7z.001"
    target.write_bytes(ff.split_7z_first_part())  # first volume of a split set
    with pytest.raises(ExtractionError):
        extract(target)


@needs_7z
@pytest.mark.parametrize("headers", ["plain", "encrypted"])
def test_encrypted_7z_needs_a_configured_password(extract, inputs, headers):
    (inputs / "src").mkdir()
    (inputs / "src" / "secret.txt").write_bytes(b"This is a secret!")
    target = inputs / "7z_password.7z"
    _7z("a", "-ppassword", f"-mhe={'on' if headers == 'encrypted' else 'off'}", str(target),
        "secret.txt", cwd=inputs / "src")
    with pytest.raises(EncryptedError):
        extract(target)
    with pytest.raises(EncryptedError):
        extract(target, passwords=["wrong"])
    result = extract(target, passwords=["wrong", "password"])
    assert names(result) == ["secret.txt"]
    assert extract.child_bytes(result.children[0]) == b"This is a secret!"
    assert result.metadata["encrypted"] is True


@needs_7z
def test_zip_with_one_encrypted_member_keeps_the_other(extract, inputs):
    _tree(inputs / "src", {"encrypted.txt": b"hidden", "unencrypted.txt": b"open"})
    target = inputs / "testZipEncrypted.zip"
    _7z("a", "-tzip", "-pSECRET", str(target), "encrypted.txt", cwd=inputs / "src")
    _7z("a", "-tzip", str(target), "unencrypted.txt", cwd=inputs / "src")
    result = extract(target)
    assert names(result) == ["unencrypted.txt"]
    [skipped] = extract.not_extracted
    assert skipped.name == "encrypted.txt" and "encrypted" in skipped.reason
    assert (skipped.status, skipped.code) == ("failed", "encrypted")
    assert result.warnings


def test_zip_keeps_the_members_under_the_size_limit(extract, inputs):
    target = inputs / "test-documents.zip"
    target.write_bytes(ff.zip_bytes(DOCUMENTS))
    big = {n for n, data in DOCUMENTS.items() if len(data) > 2_000}
    assert big and big != set(DOCUMENTS)
    result = extract(target, limits=Limits(max_child_size=2_000))
    assert sorted(names(result)) == sorted(set(DOCUMENTS) - big)
    assert sorted(s.name for s in extract.not_extracted) == sorted(big)
    assert all((s.status, s.code) == ("skipped", "limit") for s in extract.not_extracted)


# -- e-mail ------------------------------------------------------------------------------------
MAILDIR_MESSAGE = (
    b"Message-ID: <15464986.1075855378456.JavaMail.evans@thyme>\n"
    b"Date: Fri, 4 May 2001 13:51:00 -0700 (PDT)\n"
    b"From: dana.reyes@northgas.example\n"
    b"To: john.lavorato@northgas.example\n"
    b"Subject: Re:\n"
    b"Mime-Version: 1.0\n"
    b"Content-Type: text/plain; charset=us-ascii\n"
    b"Content-Transfer-Encoding: 7bit\n"
    b"X-From: Dana Reyes\n"
    b"X-To: John Lavorato\n\n"
    b"Traveling to have a business meeting takes the fun out of the trip.\r\n"
)
WHEN = datetime(2016, 7, 20, 16, 35, 2, tzinfo=UTC)


def test_maildir_message_headers_text_and_title(extract, inputs):
    target = inputs / "10."  # a maildir file has no extension: the type is given
    target.write_bytes(MAILDIR_MESSAGE)
    result = extract(target, mime="message/rfc822")
    meta = result.metadata
    assert meta["from"] == "dana.reyes@northgas.example"
    assert meta["to"] == ["john.lavorato@northgas.example"]
    assert meta["date"] == "2001-05-04T20:51:00Z"
    assert meta["message_id"] == "15464986.1075855378456.JavaMail.evans@thyme"
    assert result.title == "Re:"
    assert result.text and "\r" not in result.text


def test_html_only_message_is_turned_into_text(extract, inputs):
    target = inputs / "email_strip_markup.eml"
    message = ff.eml_bytes("a@example.org", "b@example.org", "HTML only", "", WHEN)
    parsed = message_from_bytes(message, policy=compat32)
    parsed.set_payload("<html><body><p>This is the body of an <strong>HTML</strong> message."
                       "</p></body></html>")
    parsed.replace_header("Content-Type", 'text/html; charset="utf-8"')
    target.write_bytes(parsed.as_bytes())
    result = extract(target)
    assert result.text == "This is the body of an HTML message."
    assert "<strong>HTML</strong>" in result.metadata["html_body"]


def test_alternative_prefers_plain_text(extract, inputs):
    target = inputs / "alternative.eml"
    target.write_bytes(ff.eml_bytes("a@example.org", "b@example.org", "Multipart alternative",
                                    "The plain text version.", WHEN,
                                    html="<p>The <b>HTML</b> version.</p>"))
    result = extract(target)
    assert result.title == "Multipart alternative"
    assert result.text.strip() == "The plain text version."
    assert "html_body" in result.metadata


def test_attachments_are_children(extract, inputs):
    target = inputs / "attachments.eml"
    target.write_bytes(ff.eml_bytes(
        "a@example.org", "b@example.org", "Two files", "See attached.", WHEN,
        attachments={"Test TxtA.txt": b"This is Test TXTA File for parser",
                     "Test TxtB.txt": b"This is Test TXTB File for parser",
                     "badge.png": ff.image_bytes(["BADGE"])}))
    result = extract(target)
    assert names(result) == ["Test TxtA.txt", "Test TxtB.txt", "badge.png"]
    assert all(c.kind == "attachment" for c in result.children)
    assert extract.child_bytes(result.children[0]) == b"This is Test TXTA File for parser"
    assert child(result, "badge.png").metadata["content_type"] == "image/png"


def test_attached_messages_become_eml_children(extract, inputs):
    inner = ff.eml_bytes("c@example.org", "d@example.org", "Inner message", "Inside.", WHEN)
    # Attached as base64-encoded message/rfc822 (the type of its name), as some clients do.
    outer = ff.eml_bytes("a@example.org", "b@example.org", "Outer message", "Forwarded.",
                         WHEN, attachments={"inner.eml": inner})
    assert b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64" in outer
    (inputs / "nested.eml").write_bytes(outer)
    result = extract(inputs / "nested.eml")
    assert result.title == "Outer message"
    [attached] = result.children
    assert attached.name == "inner.eml" and attached.kind == "attachment"
    parsed = message_from_bytes(extract.child_bytes(attached), policy=compat32)
    assert parsed["Subject"] == "Inner message"
    # An attached message with no file name is named after its subject.
    unnamed = ff.eml_bytes("a@example.org", "b@example.org", "Outer", "Forwarded.", WHEN)
    (inputs / "unnamed.eml").write_bytes(_as_mixed(unnamed, inner_subject="Multipart mixed"))
    assert names(extract(inputs / "unnamed.eml")) == ["Multipart mixed.eml"]


def _as_mixed(outer: bytes, inner_subject: str) -> bytes:
    """`outer` with a message/rfc822 part inline (no file name), as Outlook forwards one."""
    from email.message import EmailMessage
    from email.policy import default

    message = message_from_bytes(outer, policy=default)
    assert isinstance(message, EmailMessage)
    inner = message_from_bytes(ff.eml_bytes("c@example.org", "d@example.org", inner_subject,
                                            "Inside.", WHEN), policy=default)
    message.add_attachment(inner)  # a message/rfc822 part, no file name
    return message.as_bytes()


def test_mbox_is_cut_into_messages(extract, inputs):
    messages = [ff.eml_bytes("a@example.org", "b@example.org", f"Message {n}",
                             f"Test content {n}", WHEN) for n in (1, 2, 3)]
    target = inputs / "box.mbox"
    target.write_bytes(b"".join(b"From a@example.org Wed Jul 20 16:35:02 2016\n" +
                                b"Return-Path: <a@example.org>\n" + m.replace(b"\r\n", b"\n")
                                + b"\n" for m in messages))
    result = extract(target)
    assert names(result) == ["message-00001.eml", "message-00002.eml", "message-00003.eml"]
    assert all(c.kind == "message" for c in result.children)
    first = extract.child_bytes(result.children[0])
    assert first.startswith(b"Return-Path:")  # the 'From ' separator line is not kept
    assert b"Test content 1" in first
    assert result.metadata["message_count"] == 3
