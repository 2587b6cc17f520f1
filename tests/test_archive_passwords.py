"""Archive passwords (`trawl ingest --password`) reach the `7z` program through its standard
input, never its command line, where any local user reads them (`ps`, /proc/PID/cmdline);
and they are written nowhere: not in the catalog, the metadata, the blobs or the output."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ingest_helpers import cli_json, search, trawl_cli
from shared_corpus import corpus_path

from trawl.ingestion.detect import detect_mime
from trawl.ingestion.extractors.archive import ArchiveExtractor
from trawl.ingestion.extractors.base import EncryptedError, ExtractionContext
from trawl.storage.blobs import BlobStore

PASSWORD = "Quagga-7-lantern"  # noqa: S105 (a test password, unlike any word of the inputs)


@pytest.fixture
def spy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `7z` first on PATH that writes down the command line of each run, as the kernel
    shows it to every user (/proc/PID/cmdline), then runs the real one with it."""
    real = shutil.which("7z")
    if real is None:
        pytest.skip("7z not installed")
    folder = tmp_path / "spy-bin"
    folder.mkdir()
    log = tmp_path / "7z-command-lines"
    wrapper = folder / "7z"
    wrapper.write_text(f'#!/bin/sh\ntr "\\000" " " < /proc/$$/cmdline >> "{log}"\n'
                       f'echo >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def _command_lines(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    assert lines, "7z never ran"
    return lines


def _extract(path: Path, tmp_path: Path, passwords: list[str]):
    blobs = BlobStore(tmp_path / "blobs")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    ctx = ExtractionContext(path, detect_mime(path), path.name, blobs.root, work,
                            passwords=passwords)
    result = ArchiveExtractor().extract(ctx)
    return {c.name: blobs.path(c.sha256).read_bytes() for c in ctx.children}, result


@pytest.mark.parametrize(("parts", "password", "name", "text"), [
    (("ingest-file", "7z_password.7z"), "password", "secret.txt", b"This is a secret!"),
    (("tika", "pkg", "full_encrypted.7z"), "password", "test.txt", None),  # names encrypted
    (("tika", "pkg", "test7Z_protected_passTika.7z"), "Tika", None,
     b"This is text inside an encrypted 7zip (7z) file."),
])
def test_an_encrypted_7z_opens_with_its_password_given_on_stdin_only(
        spy: Path, tmp_path: Path, parts: tuple[str, ...], password: str, name: str | None,
        text: bytes | None) -> None:
    archive = tmp_path / "locked.7z"  # a name that holds no password
    shutil.copyfile(corpus_path(*parts), archive)
    with pytest.raises(EncryptedError):
        _extract(archive, tmp_path, [PASSWORD])
    members, result = _extract(archive, tmp_path, [PASSWORD, password])
    assert result.metadata["encrypted"] is True
    if name:
        assert name in members
    if text:
        assert any(text in data for data in members.values())
    lines = _command_lines(spy)
    assert len(lines) >= 4  # listed and read, with the wrong password and the right one
    for line in lines:
        assert password not in line and PASSWORD not in line, line
        assert not any(arg.startswith("-p") for arg in line.split()), line


def test_passwords_are_stored_and_printed_nowhere(spy: Path, tmp_path: Path) -> None:
    root, work = tmp_path / "dump", tmp_path / "work"
    root.mkdir()
    work.mkdir()
    (work / "note.txt").write_text("The okapi report is behind the password.\n")
    # The test's own 7z gets the password on its command line: the spy forgets that run.
    subprocess.run(["7z", "a", f"-p{PASSWORD}", "-mhe=on", str(root / "locked.7z"),
                    "note.txt"], cwd=work, check=True, capture_output=True)
    spy.unlink()
    data = tmp_path / "data"
    # Trawl's own command line is public too: the right password comes in a file.
    password_file = tmp_path / "passwords.txt"
    password_file.write_text(f"\nnot-this-one\r\n{PASSWORD}\n")
    out = trawl_cli("ingest", str(root), "--dataset", "test", "--password", "wrong-guess",
                    "--password-file", str(password_file), "--no-ocr", data_dir=data)
    assert search(data, "okapi").total == 1
    doc = cli_json("show", "locked.7z", "--dataset", "test", data_dir=data)
    assert doc["status"] == "indexed" and doc["metadata"]["encrypted"] is True
    assert PASSWORD not in out.stdout + out.stderr
    for line in _command_lines(spy):
        assert PASSWORD not in line and "wrong-guess" not in line, line
        assert "not-this-one" not in line, line
    secret = PASSWORD.encode()
    for path in data.rglob("*"):  # the catalog, its WAL, the blobs, the index
        if path.is_file():
            assert secret not in path.read_bytes(), path


def test_an_unreadable_password_file_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    root.mkdir()
    (root / "a.txt").write_text("nothing secret\n")
    out = trawl_cli("ingest", str(root), "--dataset", "test", "--password-file",
                    str(tmp_path / "missing.txt"), data_dir=tmp_path / "data", check=False)
    assert out.returncode == 2
    assert "cannot read the password file" in out.stderr
    assert not (tmp_path / "data" / "catalog.sqlite").exists()
