"""The data directory: everything Trawl writes lives here, nothing is written elsewhere.

    <data-dir>/catalog.sqlite   files, contents, documents (storage/catalog.py), entities
                                (storage/entities.py)
    <data-dir>/tables.sqlite    rows of CSV files and sheets, links, joins (storage/tables.py)
    <data-dir>/tables-redacted.sqlite  the same, masked, for public datasets (access/)
    <data-dir>/access.sqlite    accounts, groups, grants, sessions, API tokens (access/)
    <data-dir>/audit.sqlite     the hash-chained audit log (access/audit.py)
    <data-dir>/annotations.sqlite  readers' tags and notes (storage/annotations.py): not in
                                the index, so `trawl reindex` keeps them
    <data-dir>/secret.key       the key of the audit chain's HMAC (0600)
    <data-dir>/blobs/           content-addressed store: members, attachments, texts
    <data-dir>/index/           the embedded Tantivy index
    <data-dir>/previews/        PDF pages rendered as images for the web (web/previews.py)
    <data-dir>/tmp/             per-worker scratch space, emptied after each file; a
                                run's other temporary files (proc-<pid>/, ingestion/scratch.py)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "./trawl-data"


def resolve_data_dir(value: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir`, else the TRAWL_DATA environment variable, else ./trawl-data."""
    return Path(value or os.environ.get("TRAWL_DATA") or DEFAULT_DATA_DIR).resolve()


@dataclass(frozen=True)
class DataDir:
    root: Path

    @classmethod
    def open(cls, value: str | os.PathLike[str] | None = None, create: bool = True) -> DataDir:
        root = resolve_data_dir(value)
        if create:
            root.mkdir(parents=True, exist_ok=True)
            os.chmod(root, 0o700)  # the data is sensitive: private to its owner by default
        return cls(root)

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.sqlite"

    @property
    def blob_dir(self) -> Path:
        return self.root / "blobs"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def tables_path(self) -> Path:
        return self.root / "tables.sqlite"

    @property
    def redacted_tables_path(self) -> Path:
        return self.root / "tables-redacted.sqlite"

    @property
    def access_path(self) -> Path:
        return self.root / "access.sqlite"

    @property
    def audit_path(self) -> Path:
        return self.root / "audit.sqlite"

    @property
    def annotations_path(self) -> Path:
        return self.root / "annotations.sqlite"

    @property
    def secret_key_path(self) -> Path:
        return self.root / "secret.key"

    @property
    def previews_dir(self) -> Path:
        return self.root / "previews"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def exists(self) -> bool:
        return self.catalog_path.exists()
