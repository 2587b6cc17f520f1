"""The read side of an archive: search, and a document with its paths, text and relations.

The CLI and the web both go through `Archive`, so a search or a document looks the same in a
terminal, in the JSON API and on a page. Access control (a later layer) restricts the
`datasets` a caller may pass; nothing here reads outside the datasets it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trawl.index.base import IndexResult, QueryError, SearchQuery
from trawl.index.tantivy_backend import TantivyIndex
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Content, Dataset, FileRow, document_id
from trawl.storage.datadir import DataDir

MAX_LIMIT = 200
MAX_OFFSET = 10_000


class NotFound(LookupError):
    pass


@dataclass
class DocumentView:
    id: str
    dataset: Dataset
    content: Content
    files: list[FileRow]
    via: FileRow | None = None   # the path it was asked for by, when asked by path

    @property
    def path(self) -> str:
        if self.via is not None:
            return self.via.path
        return self.files[0].path if self.files else ""

    @property
    def status(self) -> str:
        """The path's own state when asked by path (a member may be skipped, e.g. past the
        depth limit, while the same content elsewhere is indexed); else the content's."""
        if self.via is not None:
            return self.via.status
        return self.content.file_status

    @property
    def error(self) -> str | None:
        return self.via.error if self.via is not None else self.content.error


class Archive:
    def __init__(self, data: DataDir) -> None:
        if not data.exists():
            raise NotFound(f"no Trawl data in {data.root} (run `trawl ingest` first)")
        self.data = data
        self.catalog = Catalog(data.catalog_path, readonly=True)
        self.blobs = BlobStore(data.blob_dir)
        self.index = TantivyIndex(data.index_dir)

    def close(self) -> None:
        self.catalog.close()

    def datasets(self) -> list[Dataset]:
        return self.catalog.datasets()

    def dataset(self, name: str) -> Dataset:
        found = self.catalog.dataset(name)
        if found is None:
            raise NotFound(f"no dataset named {name!r}")
        return found

    # -- search -------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> IndexResult:
        if not 0 <= query.limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 0 and {MAX_LIMIT}")
        if not 0 <= query.offset <= MAX_OFFSET:
            raise QueryError(f"offset must be between 0 and {MAX_OFFSET}; narrow the search "
                             "with filters instead of paging this far")
        if query.datasets:
            for name in query.datasets:
                self.dataset(name)
        try:
            return self.index.search(query)
        except ValueError as exc:  # the engine refused the query: say so, do not crash
            raise QueryError(f"the query could not be run: {exc}") from exc

    # -- documents ----------------------------------------------------------------------------
    def find(self, id_or_path: str, dataset: str | None = None) -> DocumentView:
        """A document by id (or unique id prefix), or by one of its paths in `dataset`."""
        if dataset is not None:
            ds = self.dataset(dataset)
            row = self.catalog.file_by_path(ds.id, id_or_path.strip("/"))
            if row is not None:
                return self._view_of_file(ds, row)
        doc_ids = [id_or_path] if self.catalog.document(id_or_path) else \
            self.catalog.documents_with_prefix(id_or_path) if len(id_or_path) >= 6 else []
        if len(doc_ids) != 1:
            raise NotFound(f"no document {id_or_path!r}" if not doc_ids
                           else f"{id_or_path!r} names several documents: give more of the id")
        found = self.catalog.document(doc_ids[0])
        assert found is not None
        ds, content = found
        if dataset is not None and ds.name != dataset:
            raise NotFound(f"no document {id_or_path!r} in dataset {dataset!r}")
        return DocumentView(doc_ids[0], ds, content,
                            self.catalog.files_of_content(ds.id, content.sha256))

    def _view_of_file(self, ds: Dataset, row: FileRow) -> DocumentView:
        content = self.catalog.content(row.sha256) if row.sha256 else None
        if content is None:  # a path that could not be read has no content: show the path
            content = Content(sha256="", size=row.size or 0, mime=None, family=None,
                              status=row.status, error=row.error)
            return DocumentView("", ds, content, [row], via=row)
        return DocumentView(document_id(ds.name, content.sha256), ds, content,
                            self.catalog.files_of_content(ds.id, content.sha256), via=row)

    def text(self, view: DocumentView) -> str:
        key = view.content.text_key
        return self.blobs.get_text(key) if key else ""

    def pages(self, view: DocumentView) -> list[str] | None:
        if view.content.page_count is None:
            return None
        return self.text(view).split("\n\f")

    def children(self, view: DocumentView) -> list[FileRow]:
        seen, out = set(), []
        for row in self.catalog.child_files(f.id for f in view.files):
            name = row.path.rsplit("/", 1)[-1]
            key = (row.sha256, name)
            if key not in seen:
                seen.add(key)
                out.append(row)
        return out

    def parent(self, view: DocumentView) -> FileRow | None:
        first = view.files[0] if view.files else None
        return self.catalog.file(first.parent_id) if first and first.parent_id else None

    def as_json(self, view: DocumentView, with_text: bool = True) -> dict[str, Any]:
        """The document as `trawl show --json` and `GET /api/documents/{id}` give it."""
        c = view.content
        parent = self.parent(view)
        return {
            "id": view.id or None,
            "dataset": view.dataset.name,
            "path": view.path,
            "paths": [f.path for f in view.files],
            "sha256": c.sha256 or None,
            "mime": c.mime,
            "type": c.family,
            "size": c.size,
            "status": view.status,
            "error": view.error,
            "title": c.title,
            "date": c.doc_date,
            "language": c.language,
            "page_count": c.page_count,
            "metadata": c.metadata,
            "text": self.text(view) if with_text else None,
            "parent": _file_ref(view.dataset, parent) if parent else None,
            "children": [_file_ref(view.dataset, row) for row in self.children(view)],
        }


def _file_ref(ds: Dataset, row: FileRow) -> dict[str, Any]:
    return {
        "id": document_id(ds.name, row.sha256) if row.sha256 else None,
        "path": row.path,
        "kind": row.kind,
        "status": row.status,
        "error": row.error,
        "size": row.size,
    }
