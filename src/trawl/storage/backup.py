"""Backups of a data folder: a consistent copy while the archive is served, and its restore.

What is copied, and how
-----------------------
* The SQLite databases (catalog, tables, their redacted copy, accounts, audit log) through
  SQLite's online backup: a snapshot of each at one transaction, taken while the web server
  keeps reading and writing sessions and audit entries.
* The search index, whole, at a commit point: the caller holds the index's writer lock
  (cli/backup_commands.py opens a writer), so no ingestion, reindex or publishing job changes
  it, and the catalog snapshot taken under the same lock matches it.
* The blob store, after the lock is let go: blobs are content-addressed and written before
  the catalog rows that name them, so every blob the snapshot names is already there. Into an
  earlier backup only the blobs it lacks are copied (a blob's name is its hash: one of the
  same name and size is taken for the same blob, not re-read), so a nightly backup of a big
  archive copies what is new; `trawl verify --backup` re-reads them all.
* `secret.key` (the audit chain's key; 0600). Previews and scratch space are left out: they
  are made again when needed.

`trawl-backup.json` is written last: the SHA-256 of every file but the blobs (whose names are
their hashes), and counts. A folder without it is an unfinished backup, which `restore`
refuses; `check_backup` re-reads every file against it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from trawl.errors import BadRequest
from trawl.storage.datadir import DataDir

MANIFEST = "trawl-backup.json"
FORMAT = 1
DATABASES = ("catalog.sqlite", "tables.sqlite", "tables-redacted.sqlite", "access.sqlite",
             "audit.sqlite", "annotations.sqlite")
KEY_FILE = "secret.key"
INDEX = "index"
BLOBS = "blobs"
_LOCKS = (".tantivy-writer.lock", ".tantivy-meta.lock")
_CHUNK = 1 << 20
Progress = Callable[[int, int], None]  # (blobs done, blobs in all)


@dataclass
class BackupReport:
    databases: list[str] = field(default_factory=list)
    index_files: int = 0
    blobs: int = 0
    blobs_copied: int = 0
    bytes_copied: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Problem:
    where: str      # a path inside the folder checked
    reason: str     # missing | changed | unreadable | not a backup ...

    def as_json(self) -> dict:
        return asdict(self)


def snapshot(data: DataDir, dest: Path) -> tuple[BackupReport, dict[str, str]]:
    """The part of a backup that needs the index's writer lock: databases, index, key.
    `dest` is new, empty, or an earlier backup (whose blobs are kept). Returns the report so
    far and the files' hashes, for `finish`."""
    _prepare(dest)
    report, hashes = BackupReport(), {}
    started = time.monotonic()
    for name in DATABASES:
        source = data.root / name
        if source.exists():
            hashes[name] = _backup_database(source, dest / name)
            report.databases.append(name)
    if data.index_dir.is_dir():
        hashes.update(_copy_tree(data.index_dir, dest / INDEX))
        report.index_files = sum(1 for k in hashes if k.startswith(f"{INDEX}/"))
    if data.secret_key_path.exists():
        shutil.copyfile(data.secret_key_path, dest / KEY_FILE)
        os.chmod(dest / KEY_FILE, 0o600)
        hashes[KEY_FILE] = _sha256(dest / KEY_FILE)
    report.seconds = time.monotonic() - started
    return report, hashes


def finish(data: DataDir, dest: Path, report: BackupReport, hashes: dict[str, str],
           progress: Progress | None = None) -> BackupReport:
    """The blobs (no lock needed: see the module's docstring), then the manifest."""
    started = time.monotonic()
    names = list(_blob_names(data.blob_dir))
    for done, relative in enumerate(names, 1):
        target = dest / BLOBS / relative
        source = data.blob_dir / relative
        if not (target.exists() and target.stat().st_size == source.stat().st_size):
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy(source, target)
            report.blobs_copied += 1
            report.bytes_copied += target.stat().st_size
        if progress is not None:
            progress(done, len(names))
    report.blobs = len(names)
    report.seconds += time.monotonic() - started
    manifest = {"format": FORMAT, "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "files": hashes, "blobs": report.blobs}
    _write_atomically(dest / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    return report


def check_backup(folder: Path, progress: Progress | None = None) -> tuple[dict, list[Problem]]:
    """Every file of a backup against its manifest, and every blob against its name."""
    manifest = read_manifest(folder)
    problems = [Problem(name, reason) for name, expected in manifest["files"].items()
                if (reason := file_problem(folder / name, expected))]
    blobs, bad = check_blob_tree(folder / BLOBS, progress)
    problems += [Problem(f"{BLOBS}/{p.where}", p.reason) for p in bad]
    if blobs < manifest.get("blobs", 0):
        problems.append(Problem(BLOBS, f"{manifest['blobs'] - blobs} blobs missing"))
    return manifest, problems


def restore(folder: Path, data: DataDir, progress: Progress | None = None) -> dict:
    """Bring a checked backup back into an empty data folder. Returns its manifest."""
    if any(data.root.iterdir()):
        raise BadRequest(f"{data.root} is not empty: restore into a new folder (--data-dir) "
                         "and move it into place once it is done")
    manifest, problems = check_backup(folder, progress)
    if problems:
        first = problems[0]
        many = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        raise BadRequest(f"the backup in {folder} is damaged ({many}; first: {first.where}: "
                         f"{first.reason}): nothing was restored")
    staging = data.root / ".restoring"
    staging.mkdir()
    for name in manifest["files"]:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        _copy(folder / name, staging / name)
    if (folder / BLOBS).is_dir():
        shutil.copytree(folder / BLOBS, staging / BLOBS, copy_function=_copy)
    for entry in staging.iterdir():
        os.replace(entry, data.root / entry.name)
    staging.rmdir()
    if (data.root / KEY_FILE).exists():
        os.chmod(data.root / KEY_FILE, 0o600)
    return manifest


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise BadRequest(f"{folder} holds no finished Trawl backup (no {MANIFEST}: a backup "
                         "that was cut short, or another folder)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadRequest(f"{path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadRequest(f"{path} is not a backup this version of Trawl can read")
    return manifest


def check_blob_tree(root: Path, progress: Progress | None = None) -> tuple[int, list[Problem]]:
    """(blobs, problems): every blob's bytes hash to its name."""
    names = list(_blob_names(root))
    problems = []
    for done, relative in enumerate(names, 1):
        expected = relative.rpartition("/")[2]
        if (reason := file_problem(root / relative, expected)) is not None:
            problems.append(Problem(relative, reason))
        if progress is not None:
            progress(done, len(names))
    return len(names), problems


# -- helpers ------------------------------------------------------------------------------------
def _prepare(dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()) and not (dest / MANIFEST).exists() \
            and not (dest / BLOBS).is_dir():
        raise BadRequest(f"{dest} is neither empty nor a Trawl backup: choose a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)  # the data is sensitive, its copy as much
    (dest / MANIFEST).unlink(missing_ok=True)  # unfinished until the new one is written
    shutil.rmtree(dest / INDEX, ignore_errors=True)


def _backup_database(source: Path, target: Path) -> str:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    return _sha256(target)


def _copy_tree(source: Path, target: Path) -> dict[str, str]:
    hashes = {}
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.name not in _LOCKS:
            relative = path.relative_to(source)
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            _copy(path, target / relative)
            hashes[f"{target.name}/{relative.as_posix()}"] = _sha256(target / relative)
    return hashes


def _blob_names(root: Path) -> Iterator[str]:
    """The blobs of a store, as `ab/cd/<sha256>` (its tmp/ left out)."""
    if not root.is_dir():
        return
    for first in sorted(root.iterdir()):
        if len(first.name) != 2 or not first.is_dir():
            continue
        for second in sorted(first.iterdir()):
            for blob in sorted(second.iterdir()):
                yield f"{first.name}/{second.name}/{blob.name}"


def file_problem(path: Path, expected: str) -> str | None:
    try:
        actual = _sha256(path)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    return None if actual == expected else "changed (its SHA-256 differs)"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path | str, target: Path | str) -> None:
    """A copy that is never seen half-written under its real name."""
    partial = Path(str(target) + ".partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
