"""The read side of an archive: search, and a document with its paths, text and relations.

The CLI and the web both go through `Archive`, so a search or a document looks the same in a
terminal, in the JSON API and on a page.

Access: `archive.scoped(scope)` is the archive as one caller sees it (access/policy.py). A
dataset outside the scope does not exist for it: every lookup answers NotFound with the
message a missing dataset or document gets, and searches run only on the caller's datasets,
so totals and facet counts count nothing else. A dataset read `redacted` answers with its
masked text, title, paths and metadata, and the index searches its redacted twin. The
unscoped archive (scope None) is the data folder's owner at the terminal: everything, in full.
Structured tables follow the same rule through `archive.tables` (`ScopedTables`): a table of a
dataset read redacted comes from the masked copy of the tables, one outside the scope is not
found.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trawl.access.document_text import mask_document_text
from trawl.access.policy import Access, ReadScope
from trawl.access.published import redaction_rules
from trawl.access.redaction import Redactor
from trawl.errors import UNKNOWN, NotFound
from trawl.index.base import (
    ENTITY_KINDS,
    DateHistogram,
    IndexHit,
    IndexResult,
    QueryError,
    SearchQuery,
    histogram_interval,
)
from trawl.index.tantivy_backend import TantivyIndex
from trawl.search.annotations import Annotations
from trawl.search.entity_filters import EntityFilters
from trawl.search.entity_filters import is_id as is_entity_id
from trawl.search.entity_filters import prepare as prepare_entities
from trawl.search.tables import TableReader
from trawl.storage import browse
from trawl.storage.annotations import AnnotationStore
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Content, Dataset, FileRow, document_id
from trawl.storage.datadir import DataDir
from trawl.storage.entities import Entity
from trawl.storage.tables import TableInfo

MAX_LIMIT = 200
MAX_OFFSET = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # an empty histogram's span


@dataclass
class DocumentView:
    id: str
    dataset: Dataset
    content: Content
    files: list[FileRow]
    via: FileRow | None = None   # the path it was asked for by, when asked by path
    redactor: Redactor | None = None  # set when the caller reads the dataset redacted

    @property
    def redacted(self) -> bool:
        return self.redactor is not None

    @property
    def path(self) -> str:
        if self.via is not None:
            return self.mask(self.via.path)
        return self.mask(self.files[0].path) if self.files else ""

    @property
    def title(self) -> str | None:
        return self.mask(self.content.title) if self.content.title else self.content.title

    @property
    def paths(self) -> list[str]:
        return [self.mask(f.path) for f in self.files]

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.content.metadata
        if self.redactor is None:
            return meta
        # No HTML in redacted mode: its markup would need masking too (the text is shown).
        return self.redactor.metadata({k: v for k, v in meta.items() if k != "html_body"})

    def mask(self, value: str) -> str:
        return self.redactor.text(value) if self.redactor is not None and value else value

    def mask_text(self, text: str) -> str:
        """The document's text: for a table file, its personal columns too."""
        if self.redactor is None or not text:
            return text
        c = self.content
        return mask_document_text(text, self.redactor, c.mime, c.family,
                                  self.files[0].path if self.files else "")

    @property
    def status(self) -> str:
        """The path's own state when asked by path (a member may be skipped, e.g. past the
        depth limit, while the same content elsewhere is indexed); else the content's."""
        if self.via is not None:
            return self.via.status
        return self.content.file_status

    @property
    def error(self) -> str | None:
        error = self.via.error if self.via is not None else self.content.error
        return self.mask(error) if error else error

    @property
    def error_code(self) -> str | None:
        """The failure code beside `error` (trawl.errors.CODES): None when it was indexed."""
        if self.status == "indexed":
            return None
        code = self.via.error_code if self.via is not None else self.content.error_code
        return code or UNKNOWN


class Archive:
    def __init__(self, data: DataDir) -> None:
        if not data.exists():
            raise NotFound(f"no Trawl data in {data.root} (run `trawl ingest` first)")
        self.data = data
        self.catalog = Catalog(data.catalog_path, readonly=True)
        self.blobs = BlobStore(data.blob_dir)
        self.index = TantivyIndex(data.index_dir)
        self.scope: ReadScope | None = None
        self._redactors: dict[str, tuple[str, Redactor]] = {}
        # Shared by every scoped view; each opens its file on first use.
        self._tables = TableReader(data.tables_path, self.index)
        self._redacted_tables = TableReader(data.redacted_tables_path, self.index,
                                            view="redacted")
        # Shared by every scoped view (copies of this object): opened once, on first use.
        self._annotations: list[AnnotationStore] = []
        self._annotations_lock = threading.Lock()

    def annotation_store(self) -> AnnotationStore:
        """Readers' tags and notes (made on first use: a search without tags never opens
        it); search/annotations.py reads it through the caller's scope."""
        with self._annotations_lock:  # the web's threads: one store for all
            if not self._annotations:
                self._annotations.append(AnnotationStore(self.data.annotations_path))
        return self._annotations[0]

    def close(self) -> None:
        self.catalog.close()
        for store in self._annotations:
            store.close()
        self._tables.close()
        self._redacted_tables.close()

    def scoped(self, scope: ReadScope) -> Archive:
        """This archive as a caller with `scope` sees it (shares the stores)."""
        view = copy.copy(self)
        view.scope = scope
        return view

    def access(self, dataset: str) -> Access:
        return Access.FULL if self.scope is None else self.scope.access(dataset)

    @property
    def tables(self) -> ScopedTables:
        """The structured tables as this caller may read them."""
        return ScopedTables(self._tables, self._redacted_tables, self.access)

    def datasets(self) -> list[Dataset]:
        return [ds for ds in self.catalog.datasets() if self.access(ds.name) != Access.NONE]

    def dataset(self, name: str) -> Dataset:
        found = self.catalog.dataset(name)
        if found is None or self.access(found.name) == Access.NONE:
            raise NotFound(f"no dataset named {name!r}")
        return found

    def redactor(self, dataset: Dataset) -> Redactor | None:
        """The dataset's redactor when this caller reads it redacted, else None."""
        if self.access(dataset.name) != Access.REDACTED:
            return None
        rules = redaction_rules(self.catalog, dataset)
        cached = self._redactors.get(dataset.name)
        if cached is None or cached[0] != rules.fingerprint():
            cached = (rules.fingerprint(), Redactor(rules))
            self._redactors[dataset.name] = cached
        return cached[1]

    def masker(self, dataset: Dataset) -> Callable[[str], str]:
        """What a string of `dataset` goes through before this caller sees it."""
        redactor = self.redactor(dataset)
        return redactor.text if redactor is not None else _same

    def _asked_path(self, dataset: Dataset, path: str) -> str:
        """A path from a request. A redacted reader may only name paths as they see them:
        naming a masked value (an e-mail address in a file name) finds nothing, exactly as a
        path that does not exist, so that paths cannot be used to test for masked values."""
        if self.masker(dataset)(path) != path:
            raise NotFound(f"no file or folder {path[:200]!r} in dataset {dataset.name!r}")
        return path

    # -- browsing ------------------------------------------------------------------------------
    def overview(self, dataset: Dataset) -> browse.Overview:
        found = browse.overview(self.catalog, dataset.id)
        mask = self.masker(dataset)

        def masked(groups: list[browse.CodeGroup]) -> list[browse.CodeGroup]:
            # The codes are Trawl's own words; the messages quote the files (names, paths).
            return [dataclasses.replace(g, reasons=[(mask(r), n) for r, n in g.reasons])
                    for g in groups]

        return dataclasses.replace(found, failures=masked(found.failures),
                                   skipped=masked(found.skipped))

    def largest_folders(self, dataset: Dataset, limit: int = 10) -> list[browse.FolderEntry]:
        """The dataset's folders two levels down holding the most bytes (masked names for
        a redacted reader, as every folder listing)."""
        mask = self.masker(dataset)
        return [dataclasses.replace(f, name=mask(f.name), path=mask(f.path))
                for f in browse.largest_folders(self.catalog, dataset.id, limit)]

    def folder(self, dataset: Dataset, folder: str, offset: int, limit: int,
               sort: str = "name") -> browse.FolderListing:
        folder = self._asked_path(dataset, folder)
        if not browse.folder_exists(self.catalog, dataset.id, folder):
            raise NotFound(f"no folder {folder[:200]!r} in dataset {dataset.name!r}")
        found = browse.list_folder(self.catalog, dataset.id, folder, offset, limit, sort)
        mask = self.masker(dataset)
        if mask is _same:
            return found
        return dataclasses.replace(
            found, folders=[dataclasses.replace(f, name=mask(f.name), path=mask(f.path))
                            for f in found.folders],
            files=[self._masked_entry(dataset, e) for e in found.files])

    def neighbours(self, dataset: Dataset, row: FileRow
                   ) -> tuple[list[browse.FileEntry], list[browse.FileEntry]]:
        before, after = browse.neighbours(self.catalog, row)
        return ([self._masked_entry(dataset, e) for e in before],
                [self._masked_entry(dataset, e) for e in after])

    def problems(self, dataset: Dataset, status: str, reason: str | None, limit: int,
                 code: str | None = None) -> list[FileRow]:
        """The files that failed (or were skipped) with this message and/or code (None:
        any). A redacted reader names a message as they see it, as they do a path."""
        if reason is not None:
            reason = self._asked_path(dataset, reason)
        mask = self.masker(dataset)
        return [dataclasses.replace(r, path=mask(r.path), error=mask(r.error or "") or None)
                for r in browse.files_with_reason(self.catalog, dataset.id, status, reason,
                                                  limit=limit, code=code)]

    def _masked_entry(self, dataset: Dataset, entry: browse.FileEntry) -> browse.FileEntry:
        mask = self.masker(dataset)
        if mask is _same:
            return entry
        row = dataclasses.replace(entry.row, path=mask(entry.row.path),
                                  error=mask(entry.row.error or "") or None)
        return dataclasses.replace(entry, row=row, name=mask(entry.name),
                                   title=mask(entry.title) if entry.title else entry.title)

    # -- search -------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> IndexResult:
        if not 0 <= query.limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 0 and {MAX_LIMIT}")
        if not 0 <= query.offset <= MAX_OFFSET:
            raise QueryError(f"offset must be between 0 and {MAX_OFFSET}; narrow the search "
                             "with filters instead of paging this far")
        return self._run(query)

    def every_hit(self, query: SearchQuery, most: int) -> Iterator[IndexHit]:
        """The hits of `query` in its order, up to `most`, read `MAX_LIMIT` at a time (an
        export): the same scope, views and entity filters as `search`, past its paging
        limit, so that memory holds one batch whatever the number of results."""
        offset = 0
        while offset < most:
            batch = dataclasses.replace(query, offset=offset,
                                        limit=min(MAX_LIMIT, most - offset), facets=())
            hits = self._run(batch).hits
            yield from hits
            if len(hits) < batch.limit:
                return
            offset += len(hits)

    def _run(self, query: SearchQuery) -> IndexResult:
        if query.datasets:
            for name in query.datasets:
                self.dataset(name)
        if self.scope is not None:
            query = copy.copy(query)
            query.views = self.views()
        # Tags: the ids this caller's tags name (search/annotations.py); the facet is theirs.
        annotations = Annotations(self)
        tag_facet = "tag" in query.facets
        query = annotations.prepare(query)
        if tag_facet:
            query = dataclasses.replace(query, facets=tuple(f for f in query.facets
                                                            if f != "tag"))
        # Entity filters and facets: only what this caller may see (search/entity_filters.py).
        prepared, entities = prepare_entities(self, query)
        if prepared is None:  # an entity they may not see (or none): nothing matches
            return IndexResult(0, [], {f: [] for f in (*query.facets, *(("tag",) if tag_facet
                                                                        else ()))
                                       if f not in ENTITY_KINDS},
                               entity_facets={f: [] for f in query.facets
                                              if f in ENTITY_KINDS},
                               histogram=DateHistogram(histogram_interval(
                                   EPOCH, EPOCH, query.histogram)) if query.histogram
                               else None)
        try:
            result = self.index.search(prepared)
        except QueryError:  # the index's own refusal says what is wrong already
            raise
        except ValueError as exc:  # the engine refused the query: say so, do not crash
            raise QueryError(f"the query could not be run: {exc}") from exc
        if entities is not None:
            entities.facets(result)
        if tag_facet:
            result.facets["tag"] = annotations.facet(prepared)
        return result

    def views(self) -> dict[str, str] | None:
        """Each dataset the caller reads, with the view it reads it in (None: all, full)."""
        if self.scope is None:
            return None
        views = {name: "full" for name in self.scope.full}
        views.update({name: "redacted" for name in self.scope.redacted})
        return views

    def more_like(self, view: DocumentView, exclude: list[str], limit: int = 10
                  ) -> list[IndexHit]:
        """The documents most like this one by their words, in the datasets the caller
        reads (the index's term statistics; a document read redacted by its masked text),
        without those of `exclude`."""
        return self.index.more_like(self.text(view), view.content.language,
                                    [view.id, *exclude], SearchQuery(
            views=self.views(), limit=max(0, min(limit, MAX_LIMIT))))

    def entities_named(self, ids: list[str], datasets: list[str] | None = None
                       ) -> dict[str, Entity]:
        """The entities of these ids (as strings, from a request) that this caller may see:
        what an active filter shows instead of a number."""
        wanted = [int(i) for i in ids if is_entity_id(i)]
        return {str(e.id): e for e in EntityFilters(self, datasets).with_ids(wanted)}

    # -- documents ----------------------------------------------------------------------------
    def find(self, id_or_path: str, dataset: str | None = None) -> DocumentView:
        """A document by id (or unique id prefix), or by one of its paths in `dataset`."""
        if dataset is not None:
            ds = self.dataset(dataset)
            path = self._asked_path(ds, id_or_path.strip("/"))
            row = self.catalog.file_by_path(ds.id, path)
            if row is not None:
                return self._view_of_file(ds, row)
        # A scoped caller gives whole ids: a prefix could tell of documents it may not read.
        doc_ids = [id_or_path] if self.catalog.document(id_or_path) else \
            self.catalog.documents_with_prefix(id_or_path) \
            if len(id_or_path) >= 6 and self.scope is None else []
        if len(doc_ids) != 1:
            raise NotFound(f"no document {id_or_path!r}" if not doc_ids
                           else f"{id_or_path!r} names several documents: give more of the id")
        found = self.catalog.document(doc_ids[0])
        assert found is not None
        ds, content = found
        if self.access(ds.name) == Access.NONE:
            raise NotFound(f"no document {id_or_path!r}")
        if dataset is not None and ds.name != dataset:
            raise NotFound(f"no document {id_or_path!r} in dataset {dataset!r}")
        return DocumentView(doc_ids[0], ds, content,
                            self.catalog.files_of_content(ds.id, content.sha256),
                            redactor=self.redactor(ds))

    def _view_of_file(self, ds: Dataset, row: FileRow) -> DocumentView:
        content = self.catalog.content(row.sha256) if row.sha256 else None
        if content is None:  # a path that could not be read has no content: show the path
            content = Content(sha256="", size=row.size or 0, mime=None, family=None,
                              status=row.status, error=row.error, error_code=row.error_code)
            return DocumentView("", ds, content, [row], via=row, redactor=self.redactor(ds))
        return DocumentView(document_id(ds.name, content.sha256), ds, content,
                            self.catalog.files_of_content(ds.id, content.sha256), via=row,
                            redactor=self.redactor(ds))

    def text(self, view: DocumentView) -> str:
        key = view.content.text_key
        text = self.blobs.get_text(key) if key else ""
        return view.mask_text(text)

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
                out.append(_masked_row(view, row))
        return out

    def parent(self, view: DocumentView) -> FileRow | None:
        first = view.files[0] if view.files else None
        row = self.catalog.file(first.parent_id) if first and first.parent_id else None
        return _masked_row(view, row) if row is not None else None

    def as_json(self, view: DocumentView, with_text: bool = True) -> dict[str, Any]:
        """The document as `trawl show --json` and `GET /api/documents/{id}` give it."""
        c = view.content
        parent = self.parent(view)
        return {
            "id": view.id or None,
            "dataset": view.dataset.name,
            "redacted": view.redacted,
            "path": view.path,
            "paths": view.paths,
            "sha256": c.sha256 or None,
            "mime": c.mime,
            "type": c.family,
            "size": c.size,
            "status": view.status,
            "error": view.error,
            "error_code": view.error_code,
            "title": view.title,
            "date": c.doc_date,
            "language": c.language,
            "page_count": c.page_count,
            "metadata": view.metadata,
            "text": self.text(view) if with_text else None,
            "parent": _file_ref(view, parent) if parent else None,
            "children": [_file_ref(view, row) for row in self.children(view)],
        }


class ScopedTables:
    """The tables of the datasets a caller may read: in full, or from the masked copy
    (access/redacted_tables.py) for a dataset they read redacted. A table or dataset outside
    the scope is NotFound, with the message a missing one gets."""

    def __init__(self, full: TableReader, redacted: TableReader,
                 access: Callable[[str], Access]) -> None:
        self._full = full
        self._redacted = redacted
        self._access = access

    def reader(self, dataset: str) -> TableReader:
        """The tables of `dataset` as the caller may read them (full or masked)."""
        access = self._access(dataset)
        if access == Access.NONE:
            raise NotFound(f"no dataset named {dataset!r}")
        return self._redacted if access == Access.REDACTED else self._full

    def table(self, table_id: int) -> TableInfo:
        """A table the caller may read, from the store they read it in."""
        # The full registry says whose table it is; a redacted reader then reads it in the
        # masked copy (where a private dataset's tables do not exist at all).
        info = self._full.table(table_id)
        if self._access(info.dataset) == Access.NONE:
            raise NotFound(f"no table {table_id}")
        return self.reader(info.dataset).table(table_id)


def _same(value: str) -> str:
    return value


def _masked_row(view: DocumentView, row: FileRow) -> FileRow:
    if not view.redacted:
        return row
    return dataclasses.replace(row, path=view.mask(row.path),
                               error=view.mask(row.error) if row.error else row.error)


def _file_ref(view: DocumentView, row: FileRow) -> dict[str, Any]:
    return {
        "id": document_id(view.dataset.name, row.sha256) if row.sha256 else None,
        "path": row.path,
        "kind": row.kind,
        "status": row.status,
        "error": row.error,
        "error_code": (row.error_code or UNKNOWN) if row.status in ("failed", "skipped")
        else None,
        "size": row.size,
    }
