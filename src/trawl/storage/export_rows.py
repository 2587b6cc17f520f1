"""What an export reads of a dataset, streamed: every file with its content, in id order.

An export (search/ftm_export.py) may cover millions of files: the rows come from one cursor,
a row at a time, so memory holds one file whatever the dataset's size. Parents come before
their members (a member is recorded after the container that holds it: its id is larger).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from trawl.storage.catalog import Catalog, Content, FileRow

_FILE_COLUMNS = ("id", "dataset_id", "path", "parent_id", "kind", "depth", "size", "mtime",
                 "sha256", "status", "error", "expanded", "updated_at", "error_code")
_CONTENT_COLUMNS = ("sha256", "size", "mime", "family", "status", "error", "title",
                    "metadata", "text_key", "page_count", "text_chars", "doc_date", "language",
                    "extractor", "extracted_at", "error_code")


def dataset_files(catalog: Catalog, dataset_id: int) -> Iterator[tuple[FileRow, Content | None]]:
    """Each file of the dataset (disk files, members, attachments...) with its content, if
    it has one, in id order."""
    files = ", ".join(f"f.{c}" for c in _FILE_COLUMNS)
    contents = ", ".join(f"c.{c}" for c in _CONTENT_COLUMNS)
    cursor = catalog.db.execute(
        f"SELECT {files}, {contents} FROM files f LEFT JOIN contents c ON c.sha256 = f.sha256 "
        "WHERE f.dataset_id = ? ORDER BY f.id", (dataset_id,))
    width = len(_FILE_COLUMNS)
    for row in cursor:
        values = tuple(row)
        file = FileRow(**dict(zip(_FILE_COLUMNS, values[:width], strict=True)))
        content = None
        if values[width] is not None:
            data = dict(zip(_CONTENT_COLUMNS, values[width:], strict=True))
            data["metadata"] = json.loads(data["metadata"] or "{}")
            content = Content(**data)
        yield file, content
