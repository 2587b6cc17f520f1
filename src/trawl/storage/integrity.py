"""`trawl verify`: is the data folder what Trawl wrote, and are the originals what it read?

* each SQLite database passes `PRAGMA quick_check` (pages, indexes, free lists);
* every blob's bytes hash to its name, and every blob the catalog names is there;
* every original file of every dataset (the files read from disk, not archive members, whose
  bytes are in the blob store and checked there) still hashes to what ingestion recorded; a
  dump moved elsewhere shows as missing originals, which is a finding, not damage to the
  archive (`Problem.what` tells them apart).

The audit chain is checked by access/audit.py (`AuditLog.verify`); the CLI runs both. Reading
every byte of a big archive takes as long as reading a disk: progress is reported as it goes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from trawl.storage.backup import DATABASES, check_blob_tree, file_problem
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir

Progress = Callable[[str, int, int], None]  # (what, done, in all)


@dataclass
class Finding:
    what: str       # database | blob | original
    where: str
    reason: str

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class IntegrityReport:
    databases: int = 0
    blobs: int = 0
    originals: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_json(self) -> dict:
        return {"databases": self.databases, "blobs": self.blobs, "originals": self.originals,
                "ok": self.ok, "findings": [f.as_json() for f in self.findings]}


def check(data: DataDir, originals: bool = True,
          progress: Progress | None = None) -> IntegrityReport:
    report = IntegrityReport()
    for name in DATABASES:
        path = data.root / name
        if path.exists():
            report.databases += 1
            if (reason := _database_problem(path)) is not None:
                report.findings.append(Finding("database", name, reason))
    blob_progress = (lambda done, total: progress("blobs", done, total)) if progress else None
    report.blobs, bad = check_blob_tree(data.blob_dir, blob_progress)
    report.findings += [Finding("blob", f"blobs/{p.where}", p.reason) for p in bad]
    if data.catalog_path.exists():
        catalog = Catalog(data.catalog_path, readonly=True)
        try:
            report.findings += _missing_blobs(catalog, BlobStore(data.blob_dir))
            if originals:
                report.originals, found = _check_originals(catalog, progress)
                report.findings += found
        finally:
            catalog.close()
    return report


def _database_problem(path: Path) -> str | None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in db.execute("PRAGMA quick_check")]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return f"unreadable: {exc}"
    return None if rows == ["ok"] else "; ".join(rows[:5])


def _missing_blobs(catalog: Catalog, blobs: BlobStore) -> list[Finding]:
    return [Finding("blob", f"blobs/{key[:2]}/{key[2:4]}/{key}",
                    f"missing (the catalog names it: {what})")
            for key, what in catalog.blob_keys() if not blobs.exists(key)]


def _check_originals(catalog: Catalog, progress: Progress | None
                     ) -> tuple[int, list[Finding]]:
    checked, findings = 0, []
    for dataset in catalog.datasets():
        if not dataset.root:
            continue
        root = Path(dataset.root)
        files = list(catalog.walked_files(dataset.id))
        for done, (path, sha256) in enumerate(files, 1):
            checked += 1
            if (reason := file_problem(root / path, sha256)) is not None:
                findings.append(Finding("original", f"{dataset.name}:{path}", reason))
            if progress is not None:
                progress(f"originals of {dataset.name}", done, len(files))
    return checked, findings
