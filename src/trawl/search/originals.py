"""Where the bytes of a document are: the blob store (members, attachments) or the walked
file on disk, below its dataset's root.

Below the web and the CLI on purpose: a download (web/files.py) and an export of originals
(search/exports.py, from the website and from `trawl export --format zip`) find a document's
bytes the same way. A user-supplied string is never turned into a file path: a request names
a document id, the catalog gives its rows, and only a row gives a path.
"""

from __future__ import annotations

from pathlib import Path

from trawl.search.service import Archive, DocumentView
from trawl.storage.catalog import Dataset, FileRow


def original_path(archive: Archive, view: DocumentView) -> Path | None:
    """Where the bytes of this document are, or None when they are nowhere to be read (or
    must not be: a redacted reader gets nothing of the original, not even a page image)."""
    sha = view.content.sha256
    if not sha or view.redacted:
        return None
    # The blob store first: immutable, and addressed by the very hash of the content.
    if any(row.parent_id is not None for row in view.files) or archive.blobs.exists(sha):
        blob = archive.blobs.path(sha)
        if blob.is_file():
            return blob
    for row in view.files:
        if row.parent_id is None and row.sha256 == sha:
            found = disk_path(view.dataset, row)
            if found is not None:
                return found
    return None


def disk_path(dataset: Dataset, row: FileRow) -> Path | None:
    """The file on disk of a walked row, if it is still inside the dataset's root folder."""
    if not dataset.root or row.parent_id is not None:
        return None
    root = Path(dataset.root).resolve()
    try:
        candidate = (root / row.path).resolve()
    except (OSError, RuntimeError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    if row.size is not None and candidate.stat().st_size != row.size:
        return None  # changed on disk since it was ingested: not the document any more
    return candidate
