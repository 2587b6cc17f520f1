"""Containers: archives, compressed files, e-mail (EML, EMLX, MBOX, MSG) and PST mailboxes.

Real files from the shared corpus where they exist (test_generated_containers.py has the
same capabilities on files written there); hostile inputs (path traversal, links, bombs,
encryption, truncation) are built here in tmp_path.
"""

from __future__ import annotations

import gzip
import io
import random
import re
import shutil
import subprocess
import tarfile
import zipfile
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import libarchive
import pytest
from shared_corpus import corpus_path

from trawl.ingestion.detect import detect_mime
from trawl.ingestion.extractors.archive import decompressed_name
from trawl.ingestion.extractors.base import (
    EncryptedError,
    ExtractionError,
    LimitExceeded,
    Limits,
)
from trawl.ingestion.extractors.email import decode_header_value


def names(result) -> list[str]:
    return [c.name for c in result.children]


def child(result, name: str):
    return next(c for c in result.children if c.name == name)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def files_outside_blobs(root: Path, extract) -> list[Path]:
    """Every file under root that is neither an input nor in the blob store."""
    blob_root = extract.blobs.root
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and blob_root not in p.parents and "in" not in p.relative_to(root).parts
    ]


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


TEST_DOCUMENTS = [
    "testEXCEL.xls", "testHTML.html", "testOpenOffice2.odt", "testPDF.pdf", "testPPT.ppt",
    "testRTF.rtf", "testTXT.txt", "testWORD.doc", "testXML.xml",
]  # fmt: skip


# -- archives: real files ---------------------------------------------------------------------


def test_zip_members_are_streamed_with_names_and_times(extract):
    result = extract(corpus_path("ingest-file", "test-documents.zip"))
    assert sorted(names(result)) == TEST_DOCUMENTS
    assert all(c.kind == "member" and c.mtime for c in result.children)
    assert extract.child_bytes(child(result, "testTXT.txt")).startswith(b"Test d'indexation")
    assert result.metadata["member_count"] == 9
    assert result.metadata["total_size"] == sum(c.size for c in result.children)
    assert result.title is None


@pytest.mark.parametrize(
    "parts",
    [("ingest-file", "test-documents.tar"), ("ingest-file", "test-documents.rar"),
     ("tika", "pkg", "test-documents.7z"), ("tika", "pkg", "test-documents.tgz")],
)  # fmt: skip
def test_tar_rar_7z_tgz_keep_folder_names(extract, parts):
    result = extract(corpus_path(*parts))
    assert sorted(names(result)) == [f"test-documents/{n}" for n in TEST_DOCUMENTS]
    txt = child(result, "test-documents/testTXT.txt")
    assert extract.child_bytes(txt).startswith(b"Test d'indexation de Txt")


def test_tgz_with_nested_archive_is_one_level_only(extract):
    result = extract(corpus_path("icij-extract", "documents", "embedded_with_duplicate.tgz"))
    assert sorted(names(result)) == [
        "level1/file.txt", "level1/level2.tgz", "level1/one_pixel_level1.jpg",
    ]  # fmt: skip
    # The inner .tgz is stored as it is: the pipeline extracts it in turn.
    assert extract.child_bytes(child(result, "level1/level2.tgz"))[:2] == b"\x1f\x8b"


def test_single_file_compressors_name_the_child_after_the_file(extract):
    gz = extract(corpus_path("tika", "pkg", "bob.gz"))
    assert names(gz) == ["bob"]
    assert extract.child_bytes(gz.children[0]) == b"hello world"
    bz2 = extract(corpus_path("tika", "pkg", "test-bz2.txt.bz2"))
    assert names(bz2) == ["test-bz2.txt"]
    assert extract.child_bytes(bz2.children[0]).strip() == b"Hello World"
    multi = extract(corpus_path("tika", "pkg", "multiple.gz"))  # two gzip members
    assert extract.child_bytes(multi.children[0]) == b"ab"
    assert decompressed_name("x.tgz") == "x.tar"
    assert decompressed_name("page.svgz") == "page.svg"
    assert decompressed_name("noext") == "noext"


def test_gzip_quine_is_unpacked_one_layer(extract):
    # quine.gz decompresses to itself: one layer here, the pipeline's depth limit does the rest.
    path = corpus_path("tika", "pkg", "quine.gz")
    result = extract(path)
    assert extract.child_bytes(result.children[0]) == path.read_bytes()


@pytest.mark.parametrize("fixture", ["badzip.zip", "badtar.tar", "bad7zip.7z", "badrar.rar"])
def test_symlink_members_are_listed_never_followed(extract, fixture):
    result = extract(corpus_path("ingest-file", fixture))
    assert result.children == []
    [skipped] = extract.not_extracted
    assert skipped.name == "secret.txt" and skipped.kind == "member"
    assert (skipped.status, skipped.code) == ("skipped", "link")
    assert "symbolic link" in skipped.reason
    assert "/ingestors/tests/fixtures/secret.txt" in skipped.reason


def test_non_utf8_member_names_are_decoded(extract):
    gbk = extract(corpus_path("tika", "pkg", "gbk.zip"))
    assert names(gbk) == ["审计压缩包文件检索测试/集团邮件审计系统2021年自动巡检需求文档_V4.0.doc"]
    sjis = extract(corpus_path("tika", "tika-parsers-standard-integration-tests",
                               "testZipEntryNameCharsetShiftSJIS.zip"))  # fmt: skip
    assert sorted(names(sjis)) == ["文章1.txt", "文章2.txt"]


def test_zip_that_libarchive_cannot_decode_falls_back(extract):
    if not shutil.which("7z"):
        pytest.skip("7z not installed")
    moby = extract(corpus_path("tika", "pkg", "moby.zip"))  # 'implode' compression
    assert len(moby.children) == 135
    assert b"Moby" in extract.child_bytes(child(moby, "README")) or child(moby, "README").size
    descriptor = extract(corpus_path("tika", "pkg", "testZip_with_DataDescriptor.zip"))
    assert sorted(names(descriptor)) == ["en0", "en1", "en2", "en3", "en4"]


def test_unreadable_archive_is_an_extraction_error(extract):
    with pytest.raises(ExtractionError):
        extract(corpus_path("ingest-file", "500_pages.7z.001"))  # first volume of a split set


# -- archives: encryption ---------------------------------------------------------------------


def test_encrypted_7z_needs_a_configured_password(extract):
    path = corpus_path("ingest-file", "7z_password.7z")
    with pytest.raises(EncryptedError):
        extract(path)
    result = extract(path, passwords=["wrong", "password"])
    assert names(result) == ["secret.txt"]
    assert extract.child_bytes(result.children[0]) == b"This is a secret!"
    assert result.metadata["encrypted"] is True


def test_7z_with_encrypted_headers(extract):
    path = corpus_path("tika", "pkg", "full_encrypted.7z")
    with pytest.raises(EncryptedError):
        extract(path, passwords=["Tika"])
    result = extract(path, passwords=["password"])
    assert names(result) == ["test.txt"]
    tika = extract(corpus_path("tika", "pkg", "test7Z_protected_passTika.7z"), passwords=["Tika"])
    assert b"This is text inside an encrypted 7zip (7z) file." in extract.child_bytes(
        tika.children[0]
    )


def test_encrypted_rar_without_password(extract):
    with pytest.raises(EncryptedError):
        extract(corpus_path("tika", "pkg", "test-documents-enc.rar"), passwords=["Tika"])


def test_zip_with_one_encrypted_member_keeps_the_other(extract):
    result = extract(corpus_path("tika", "pkg", "testZipEncrypted.zip"))
    assert names(result) == ["unencrypted.txt"]
    [skipped] = extract.not_extracted
    assert skipped.name == "encrypted.txt" and "encrypted" in skipped.reason
    assert (skipped.status, skipped.code) == ("failed", "encrypted")
    assert result.warnings


def test_aes_zip_opens_with_a_configured_password(extract, inputs):
    if not shutil.which("7z"):
        pytest.skip("7z not installed")
    (inputs / "note.txt").write_text("meeting at noon")
    target = inputs / "aes.zip"
    subprocess.run(["7z", "a", "-tzip", "-mem=AES256", "-psecret", str(target),
                    str(inputs / "note.txt")], check=True, capture_output=True)  # fmt: skip
    with pytest.raises(EncryptedError):
        extract(target, passwords=["nope"])
    result = extract(target, passwords=["nope", "secret"])
    assert extract.child_bytes(child(result, "note.txt")) == b"meeting at noon"


# -- archives: hostile input built here --------------------------------------------------------


def test_path_traversal_names_are_labels_only(extract, tmp_path, inputs):
    target = inputs / "evil.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("../../evil.txt", "escaped?")
        archive.writestr("/etc/passwd", "root:x:0:0")
        archive.writestr("a/./b/../c.txt", "dots")
        archive.writestr("..\\..\\win.txt", "backslashes")
    result = extract(target)
    assert sorted(names(result)) == ["a/b/c.txt", "etc/passwd", "evil.txt", "win.txt"]
    assert not any(".." in n.split("/") or n.startswith("/") for n in names(result))
    assert not list(tmp_path.parent.rglob("evil.txt"))
    assert files_outside_blobs(tmp_path, extract) == []


def test_tar_links_are_never_followed(extract, tmp_path, inputs):
    target = inputs / "links.tar"
    with tarfile.open(target, "w") as archive:
        data = b"plain file"
        info = tarfile.TarInfo("ok.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        hard = tarfile.TarInfo("hard")
        hard.type, hard.linkname = tarfile.LNKTYPE, "ok.txt"
        archive.addfile(hard)
        device = tarfile.TarInfo("null")
        device.type = tarfile.CHRTYPE
        archive.addfile(device)
    result = extract(target)
    assert names(result) == ["ok.txt"]
    reasons = {s.name: s.reason for s in extract.not_extracted}
    assert "symbolic link to /etc/passwd" in reasons["passwd"]
    assert "hard link" in reasons["hard"]
    assert "special file" in reasons["null"]
    assert result.metadata["skipped_count"] == 3
    assert files_outside_blobs(tmp_path, extract) == []


SMALL = Limits(ratio_check_min_size=1024**2, max_compression_ratio=100)
# Text for the members a bomb must not cost: 12 KB of the words of the UDHR's first article
# in German, in a seeded random order (text that compresses as text does, 3 to 1, not 50).
_WORDS = ("Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit "
          "Vernunft und Gewissen begabt und sollen einander im Geist der Brüderlichkeit "
          "begegnen.").split()
UDHR = " ".join(random.Random(1948).choices(_WORDS, k=1700)).encode()
UTF = "Unicode: été, Straße, Ελληνικά, Русский, 日本語, 한국어, ✓\n".encode()


def _zip_of_zeros(path: Path, members: int, size: int, before: dict[str, bytes] | None = None,
                  after: dict[str, bytes] | None = None) -> None:
    """A zip of `members` members of `size` zeros each, between the members `before` and
    `after` (real text: what a bomb must not cost)."""
    block = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (before or {}).items():
            archive.writestr(name, data)
        for index in range(members):
            with archive.open(f"zeros-{index}.bin", "w", force_zip64=True) as out:
                for _ in range(size // len(block)):
                    out.write(block)
        for name, data in (after or {}).items():
            archive.writestr(name, data)


def _limit_skips(extract) -> dict[str, str]:
    """name -> reason of the members skipped for a limit (each a path of its own)."""
    assert all((n.status, n.code) == ("skipped", "limit") for n in extract.not_extracted)
    return {n.name: n.reason for n in extract.not_extracted}


def _blob_sizes(extract) -> list[int]:
    return [p.stat().st_size for p in extract.blobs.root.rglob("*") if p.is_file()]


def test_zip_bomb_stops_while_inflating_and_keeps_the_other_members(extract, tmp_path, inputs):
    udhr, utf = UDHR, UTF
    target = inputs / "bomb.zip"
    _zip_of_zeros(target, members=1, size=200 * 1024**2,  # 200 MB of zeros in ~200 KB
                  before={"udhr_ger.txt": udhr}, after={"utf.txt": utf})
    result = extract(target, limits=SMALL)
    assert sorted(names(result)) == ["udhr_ger.txt", "utf.txt"]
    assert extract.child_bytes(child(result, "utf.txt")) == utf
    assert "possible zip bomb" in _limit_skips(extract)["zeros-0.bin"]
    assert result.metadata["member_count"] == 2 and result.metadata["skipped_count"] == 1
    assert max(_blob_sizes(extract)) < 2 * 1024**2  # no more than the limit was ever kept
    assert files_outside_blobs(tmp_path, extract) == []
    assert list(extract.blobs.tmp_dir.iterdir()) == []  # the half-written member is gone


def test_many_small_members_bomb_is_caught_archive_wide(extract, inputs):
    target = inputs / "flat-bomb.zip"
    udhr = UDHR
    _zip_of_zeros(target, members=40, size=1024**2,  # each under the per-member check size
                  before={"udhr_ger.txt": udhr}, after={"late.txt": b"after the bomb"})
    limits = Limits(ratio_check_min_size=4 * 1024**2, max_compression_ratio=100)
    result = extract(target, limits=limits)
    kept = names(result)
    # What came before the limit is kept; from there on, every member is a skipped path.
    assert kept[0] == "udhr_ger.txt" and 3 <= len(kept) <= 6
    skipped = _limit_skips(extract)
    assert len(kept) + len(skipped) == 42 and "late.txt" in skipped
    assert all("expands more than 100 times" in reason for reason in skipped.values())
    assert sum(c.size for c in result.children) <= 5 * 1024**2


def test_gzip_bomb(extract, inputs):
    target = inputs / "zeros.gz"
    with gzip.open(target, "wb") as out:
        for _ in range(50):
            out.write(bytes(1024 * 1024))
    with pytest.raises(LimitExceeded):  # one file inside: the file itself fails
        extract(target, limits=SMALL)


def test_size_and_count_limits_skip_the_members_past_them(extract, inputs):
    big = inputs / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("small.txt", "fits")
        archive.writestr("big.bin", bytes(3 * 1024 * 1024))
    result = extract(big, limits=Limits(max_child_size=1024 * 1024))
    assert names(result) == ["small.txt"]
    assert "larger than the limit" in _limit_skips(extract)["big.bin"]
    many = inputs / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for index in range(20):
            archive.writestr(f"f{index:02d}.txt", "x")
    result = extract(many, limits=Limits(max_children_count=10))
    assert names(result) == [f"f{index:02d}.txt" for index in range(10)]
    skipped = _limit_skips(extract)
    assert sorted(skipped) == [f"f{index:02d}.txt" for index in range(10, 20)]
    assert all("more than 10 members" in reason for reason in skipped.values())


def test_members_not_extracted_are_listed_up_to_a_limit(extract, inputs):
    many = inputs / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for index in range(20):
            archive.writestr(f"f{index:02d}.txt", "x")
    result = extract(many, limits=Limits(max_children_count=5, max_not_extracted=5))
    assert len(result.children) == 5 and len(extract.not_extracted) == 5
    assert result.metadata["skipped_count"] == 15
    assert result.metadata["unlisted_members"] == 10
    assert any("10 more members were not extracted" in w for w in result.warnings)


def test_real_zip_keeps_the_members_under_the_size_limit(extract):
    result = extract(corpus_path("ingest-file", "test-documents.zip"),
                     limits=Limits(max_child_size=20_000))
    assert sorted(names(result)) == sorted(set(TEST_DOCUMENTS) - {"testPDF.pdf",
                                                                  "testOpenOffice2.odt"})
    assert sorted(_limit_skips(extract)) == ["testOpenOffice2.odt", "testPDF.pdf"]


def test_bomb_read_by_7z_keeps_what_came_before(extract, inputs):
    if not shutil.which("7z"):
        pytest.skip("7z not installed")
    work = inputs / "work"
    work.mkdir()
    (work / "a-udhr.txt").write_bytes(UDHR)
    target = inputs / "locked-bomb.7z"  # encrypted: libarchive cannot read it, 7z does
    subprocess.run(["7z", "a", "-psecret", "-ms=off", str(target), "a-udhr.txt"], cwd=work,
                   check=True, capture_output=True)
    zeros = subprocess.Popen(["7z", "a", "-psecret", "-ms=off", "-sib-zeros.bin", str(target)],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert zeros.stdin is not None
    for _ in range(100):
        zeros.stdin.write(bytes(1024 * 1024))
    zeros.stdin.close()
    assert zeros.wait() == 0
    (work / "c-after.txt").write_text("after the bomb")
    subprocess.run(["7z", "a", "-psecret", "-ms=off", str(target), "c-after.txt"], cwd=work,
                   check=True, capture_output=True)
    result = extract(target, passwords=["secret"], limits=SMALL)
    assert names(result) == ["a-udhr.txt"]
    assert sorted(_limit_skips(extract)) == ["b-zeros.bin", "c-after.txt"]
    assert max(_blob_sizes(extract)) < 2 * 1024**2


def test_truncated_tar_keeps_what_came_before(extract, inputs):
    target = inputs / "cut.tar"
    with tarfile.open(target, "w") as archive:
        for index in range(3):
            data = bytes([index]) * 20000
            info = tarfile.TarInfo(f"part{index}.bin")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    data = target.read_bytes()
    target.write_bytes(data[: 512 * 2 + 20000 + 512 * 2 + 5000])  # inside the second member
    result = extract(target)
    assert names(result) == ["part0.bin"]
    assert any("damaged" in w for w in result.warnings)


def test_member_with_bad_checksum_is_kept_with_a_warning(extract, inputs):
    target = inputs / "crc.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "hello world " * 100)
    data = bytearray(target.read_bytes())
    data[data.find(b"PK\x03\x04") + 14] ^= 0xFF  # the CRC-32, local header
    data[data.find(b"PK\x01\x02") + 16] ^= 0xFF  # and central directory
    target.write_bytes(bytes(data))
    result = extract(target)
    assert extract.child_bytes(result.children[0]) == b"hello world " * 100  # no stale bytes
    assert any("CRC" in w for w in result.warnings)


@pytest.mark.parametrize("fmt, name", [("iso9660", "disc.iso"), ("cpio", "files.cpio")])
def test_iso_and_cpio(extract, inputs, fmt, name):
    target = inputs / name
    with libarchive.file_writer(str(target), fmt) as archive:
        archive.add_file_from_memory("docs/report.txt", 14, b"quarterly data")
    result = extract(target)
    [member] = result.children
    assert member.name.lower() == "docs/report.txt"
    assert extract.child_bytes(member) == b"quarterly data"


def test_xz_and_zstd_single_files(extract, inputs):
    import lzma

    xz = inputs / "notes.txt.xz"
    xz.write_bytes(lzma.compress(b"xz text"))
    result = extract(xz)
    assert names(result) == ["notes.txt"]
    assert extract.child_bytes(result.children[0]) == b"xz text"
    if shutil.which("zstd"):
        (inputs / "z.txt").write_bytes(b"zstd text")
        subprocess.run(["zstd", "-q", str(inputs / "z.txt")], check=True)
        result = extract(inputs / "z.txt.zst")
        assert names(result) == ["z.txt"]
        assert extract.child_bytes(result.children[0]) == b"zstd text"


# -- e-mail ------------------------------------------------------------------------------------


def test_eml_headers_text_and_title(extract):
    result = extract(corpus_path("enron-sample", "maildir", "allen-p", "_sent_mail", "10."),
                     mime="message/rfc822")  # fmt: skip
    meta = result.metadata
    assert meta["from"] == "phillip.allen@enron.com"
    assert meta["to"] == ["john.lavorato@enron.com"]
    assert meta["date"] == "2001-05-04T20:51:00Z"
    assert meta["message_id"] == "15464986.1075855378456.JavaMail.evans@thyme"
    assert result.title == "Re:"
    assert result.text and "\r" not in result.text


def test_thunderbird_and_datashare_messages(extract):
    thunderbird = extract(corpus_path("ingest-file", "testThunderbirdEml.eml"))
    assert thunderbird.title == "JUnit test message"
    datashare = extract(corpus_path("icij-datashare", "email.eml"))
    assert datashare.title == "embedded doc"
    assert datashare.text


def test_html_only_message_is_turned_into_text(extract):
    result = extract(corpus_path("ingest-file", "email_strip_markup.eml"))
    assert result.text == "This is the body of an HTML message."
    assert "<strong>HTML</strong>" in result.metadata["html_body"]


def test_alternative_prefers_plain_text(extract):
    result = extract(corpus_path("ingest-file", "email_multipart_alternative.eml"))
    assert result.title == "Multipart alternative"
    assert "<" not in result.text
    assert "html_body" in result.metadata


def test_attachments_are_children(extract):
    result = extract(corpus_path("tika", "mail", "testRFC822_multipart_attachments.eml"))
    assert names(result) == ["Test TxtA.txt", "Test TxtB.txt"]
    assert all(c.kind == "attachment" for c in result.children)
    assert extract.child_bytes(result.children[0]) == b"This is Test TXTA File for parser"
    image = extract(corpus_path("icij-extract", "documents", "image_attachment.eml"))
    assert image.children and image.children[0].metadata["content_type"].startswith("image/")


def test_attached_messages_become_eml_children(extract):
    result = extract(corpus_path("ingest-file-openaleph", "email_nested_attachment.eml"))
    assert result.title == "Outer message"
    [inner] = result.children
    assert inner.name == "inner.eml" and inner.kind == "attachment"
    # The part is base64-encoded message/rfc822: the child holds the decoded message.
    parsed = message_from_bytes(extract.child_bytes(inner), policy=compat32)
    assert parsed["Subject"] == "Inner message"
    alternative = extract(corpus_path("ingest-file", "email_attached_alternative.eml"))
    assert names(alternative) == ["Multipart mixed.eml"]  # named after its subject


def test_mhtml_and_groupwise(extract):
    mhtml = extract(corpus_path("tika", "tika-parsers-standard-integration-tests",
                                "testMHTMLFirefox.mhtml"))  # fmt: skip
    assert mhtml.title == "Aperture Framework"
    assert "a Java framework for getting data and metadata" in mhtml.text
    groupwise = extract(corpus_path("tika", "mail", "testGroupWiseEml.eml"))
    assert names(groupwise) == ["test.eml", "Neues Textdokument.txt"]


def test_news_article(extract):
    result = extract(corpus_path("tika", "tika-parsers-standard-integration-tests",
                                 "testMessageNews.txt"))  # fmt: skip
    assert result.title == "something or other"
    assert result.metadata["message_id"] == "6298@public.BTR.COM"


def test_emlx_plain_and_rich(extract):
    plain = extract(corpus_path("ingest-file", "plaintext.emlx"))
    assert plain.title == "Re: Emlx library"
    rich = extract(corpus_path("ingest-file", "richtext.emlx"))
    assert rich.metadata["references"] == ["6FA2F219-2B7C-4962-9724-E9399409CCBE@example.com"]
    assert "You're welcome." in rich.text
    tika = extract(corpus_path("tika", "microsoft", "testEMLX.emlx"))
    assert tika.title.startswith("[jira] Commented: (TIKA-461)")


HOSTILE_EML = (
    b"From: =?utf-8?B?SsO2cm4gS290dG1hbm4=?= <jorn@example.org>\r\n"
    b'To: "Doe, Jane" <jane@example.org>, =?iso-8859-1?Q?Ren=E9?= <rene@example.org>\r\n'
    b"Cc: =?x-bogus-charset?Q?caf=E9?= <cafe@example.org>\r\n"
    b"Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= aus =?utf-8?B?S8O2bG4=?=\r\n"
    b"Date: Tue, 1 Mar 2022 10:00:00 +0100\r\n"
    b"Message-ID: <abc@example.org>\r\n"
    b"References: <one@x> <two@x>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    b"Undeclared 8-bit: \xc3\xa9t\xc3\xa9\r\n"
    b"--XX\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt\r\n\r\n"
    b"one\r\n"
    b"--XX\r\n"
    b'Content-Type: text/plain; name="=?utf-8?B?csOpc3Vtw6kudHh0?="\r\n'
    b"Content-Disposition: attachment\r\n\r\n"
    b"two\r\n"
    b"--XX\r\n"
    b'Content-Type: text/plain; charset="no-such-charset"\r\n'
    b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\n'
    b"three\r\n"
    b"--XX--\r\n"
)


def test_hostile_headers_charsets_and_names(extract, inputs):
    target = inputs / "hostile.eml"
    target.write_bytes(HOSTILE_EML)
    result = extract(target)
    meta = result.metadata
    assert meta["from"] == "Jörn Kottmann <jorn@example.org>"
    assert meta["to"] == ["Doe, Jane <jane@example.org>", "René <rene@example.org>"]
    assert meta["cc"][0].endswith("<cafe@example.org>")
    assert result.title == "Grüße aus Köln"
    assert meta["date"] == "2022-03-01T09:00:00Z"
    assert meta["references"] == ["one@x", "two@x"]
    assert "Undeclared 8-bit: été" in result.text
    assert names(result) == ["résumé.txt", "résumé-2.txt", "_.._etc_passwd"]
    assert all("/" not in n for n in names(result))


def test_decode_header_value_survives_junk():
    assert decode_header_value("=?utf-8?B?!!!notbase64?=") != ""
    assert decode_header_value("plain\r\n\tfolded") == "plain\tfolded"
    assert decode_header_value(None) == ""


def test_not_a_message(extract, inputs):
    target = inputs / "empty.eml"
    target.write_bytes(b"\n\n")
    with pytest.raises(ExtractionError):
        extract(target, mime="message/rfc822")


def test_mbox_is_cut_into_messages(extract):
    result = extract(corpus_path("tika", "mail", "complex.mbox"))
    assert names(result) == ["message-00001.eml", "message-00002.eml", "message-00003.eml"]
    assert all(c.kind == "message" for c in result.children)
    first = extract.child_bytes(result.children[0])
    assert first.startswith(b"Return-Path:")  # the 'From ' separator line is not kept
    simple = extract(corpus_path("tika", "mail", "simple.mbox"))
    assert [extract.child_bytes(c).strip() for c in simple.children] == [
        b"Test content 1", b"Test content 2",
    ]  # fmt: skip
    assert simple.metadata["message_count"] == 2


def test_mbox_from_quoting_and_separators(extract, inputs):
    target = inputs / "box.mbox"
    target.write_bytes(
        b"From a@x Mon Jan  1 00:00:00 2001\nSubject: one\n\nhello\n>From the start\n"
        b"From here, not a separator (no blank line before)\n\n"
        b"From b@x Mon Jan  1 00:00:00 2001\nSubject: two\n\nbye\n"
    )
    result = extract(target)
    assert len(result.children) == 2
    one = extract.child_bytes(result.children[0])
    assert b"\nFrom the start\n" in one and b"From here, not a separator" in one


# -- Outlook .msg -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "msg, expected",
    [("unicode.msg", "2013-11-18_0026 Test for TIF files"),
     ("strangeDate.msg", "2016-02-23_0657 MSG Test File")],
)  # fmt: skip
def test_msg_body_matches_msg_extractor_expected_output(extract, msg, expected):
    result = extract(corpus_path("msg-extractor", msg))
    reference = corpus_path("msg-extractor", "expected-outputs", expected, "message.text")
    body = reference.read_text(encoding="utf-8").split("-----------------", 1)[1]
    assert squash(result.text) == squash(body)
    assert result.metadata["subject"] in expected


def test_msg_metadata_and_attachments(extract):
    result = extract(corpus_path("msg-extractor", "unicode.msg"))
    meta = result.metadata
    assert meta["from"] == "Brian Zhou <brizhou@gmail.com>"
    assert meta["cc"] == ["Brian Zhou <brizhou@gmail.com>"]
    assert meta["date"] == "2013-11-18T08:26:24Z"
    assert names(result) == ["import OleFileIO.tif", "raised value error.tif"]
    assert extract.child_bytes(result.children[0])[:4] == b"II*\x00"


def test_msg_with_attached_msg(extract, tmp_path):
    result = extract(corpus_path("tika", "microsoft", "testMSG_att_msg.msg"))
    assert names(result) == ["Test Attachment.msg", "smbprn.00009008.KdcPjl.pdf"]
    attached = tmp_path / "attached.msg"
    attached.write_bytes(extract.child_bytes(result.children[0]))
    inner = extract(attached)
    assert inner.title == "Test Attachment"
    assert "Blah blah blah" in inner.text


def test_msg_code_page_and_other_item_types(extract):
    chinese = extract(corpus_path("tika", "microsoft", "testMSG_chinese.msg"))
    assert "格式測試" in chinese.title
    assert "中文測試" in chinese.text
    contact = extract(corpus_path("tika", "microsoft", "testMSG_Contact.msg"))
    assert contact.metadata["message_class"] == "IPM.Contact"
    assert "quick brown fox" in contact.text


# -- PST ---------------------------------------------------------------------------------------


def _eml(extract, result, name_part: str):
    found = next(c for c in result.children if name_part in c.name)
    return message_from_bytes(extract.child_bytes(found), policy=compat32)


def test_pst_messages_become_eml_under_their_folders(extract):
    result = extract(corpus_path("icij-extract", "documents", "pst", "testPST.pst"))
    folder = "Début du fichier de données Outlook/"
    assert all(n.startswith(folder) and n.endswith(".eml") for n in names(result))
    assert f"{folder}00001-Re-Feature-Generators.eml" in names(result)
    assert result.metadata["message_count"] == 7
    # libmagic calls .msg and .pst alike; detection tells them apart by the PST signature.
    assert detect_mime(corpus_path("icij-extract", "documents", "pst", "testPST.pst")) == \
        "application/vnd.ms-outlook-pst"
    assert all(c.kind == "message" and c.mtime for c in result.children)
    subjects = [_eml(extract, result, n)["Subject"] for n in names(result)]
    assert '[WEBINAR] - "Introducing Couchbase Server 2.5"' in subjects
    first = _eml(extract, result, "00001-")
    assert "Jörn Kottmann" in decode_header_value(first["From"])
    body = next(p for p in first.walk() if p.get_content_type() == "text/plain")
    assert b"PreviousMapFeatureGenerator" in body.get_payload(decode=True)


def test_pst_attached_message_is_kept(extract, tmp_path):
    result = extract(corpus_path("icij-extract", "documents", "pst", "testPST.pst"))
    forwarded = next(c for c in result.children if "FW-First-email" in c.name)
    path = tmp_path / "fw.eml"
    path.write_bytes(extract.child_bytes(forwarded))
    outer = extract(path)
    assert outer.title == "FW: First email"
    assert names(outer) == ["First email.eml"]
    path.write_bytes(extract.child_bytes(outer.children[0]))
    inner = extract(path)
    assert inner.text.startswith("Docx file attached.")
    assert names(inner) == ["attachment.docx"]
    assert extract.child_bytes(inner.children[0])[:2] == b"PK"


def test_pst_body_types(extract):
    result = extract(corpus_path("tika", "microsoft", "testPST_variousBodyTypes.pst"))
    assert all(n.startswith("Top of Outlook data file/Inbox/tmp/") for n in names(result))
    texts = []
    for c in result.children:
        msg = message_from_bytes(extract.child_bytes(c), policy=compat32)
        texts.append(b"".join(p.get_payload(decode=True) or b"" for p in msg.walk()
                              if not p.is_multipart()))  # fmt: skip
    joined = b"\n".join(texts)
    for marker in (b"Forwarded (html)", b"Forwarded RTF", b"Forwarded plain text"):
        assert marker in joined


@pytest.mark.parametrize("pst", ["dist-list.pst", "passworded.pst"])
def test_java_libpst_files(extract, pst):
    result = extract(corpus_path("java-libpst", pst))
    contact = _eml(extract, result, "Contacts/00002-contact-name-1")
    assert contact["Subject"] == "contact name 1"
    assert contact["X-Outlook-Message-Class"] == "IPM.Contact"
    body = next(p for p in contact.walk() if p.get_content_type() == "text/plain")
    assert b"contact1@rjohnson.id.au" in body.get_payload(decode=True)
    if pst == "dist-list.pst":
        appointment = _eml(extract, result, "Calendar/00001-Test-appointment")
        part = next(p for p in appointment.walk() if p.get_content_type() == "text/plain")
        assert b"This is a complete test" in part.get_payload(decode=True)
