"""Publishing: a dataset's visibility, and the redacted view a public dataset is read through.

A public dataset is read by strangers through its *redacted view*, built here from the
catalog and written beside the full data, never over it:

* in the index, a masked twin of every document and table row (`view="redacted"`), so that a
  public reader's search runs on masked text only and cannot find a document by a value
  that was masked (the full entries are never searched on their behalf);
* `tables-redacted.sqlite`, a masked copy of the public datasets' tables, which the table
  pages, filters, facets and exports of public readers read instead of `tables.sqlite`;
* in both kinds of twin entry, only the entities a redacted reader may see
  (access/entities.py: no personal kind, and a value the redactor leaves as it is), so that
  neither a facet nor a filter by a hidden entity (an e-mail address) tells of it.

The view is built *before* a dataset becomes public and rebuilt when its rules change or
after each ingestion into it; the rules' fingerprint is kept so that a stale view is known
(access/published.py). Making a dataset private again removes the view.

Building a view reads every document of the dataset: minutes for a big one. It reports its
progress through a `Progress` callback (documents done, documents in all), which the CLI
prints and a background job (jobs.py) records for the web to show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from trawl.access.document_text import mask_document_text, mask_pages
from trawl.access.entities import entity_visible, visible_kinds
from trawl.access.policy import Access, check_visibility
from trawl.access.published import REDACTION_SETTING, VIEW_SETTING, redaction_rules
from trawl.access.redacted_tables import build_redacted_tables
from trawl.access.redaction import RedactionRules, Redactor
from trawl.derive.documents import build_index_document
from trawl.derive.rows import entity_store, row_entries
from trawl.errors import NotFound
from trawl.index.base import ENTITY_KINDS, IndexDocument
from trawl.index.tantivy_backend import TantivyIndex
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Dataset
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableStore

BATCH = 2000
# Progress of a long step: (documents done, documents in all).
Progress = Callable[[int, int], None]


def _no_progress(_done: int, _total: int) -> None:
    return None


def set_visibility(data: DataDir, name: str, visibility: str,
                   progress: Progress = _no_progress) -> Dataset:
    """Make a dataset private, restricted or public (building its redacted view first)."""
    check_visibility(visibility)
    catalog = Catalog(data.catalog_path)
    try:
        dataset = _require(catalog, name)
        if visibility == "public":
            build_redacted_view(data, catalog, dataset, progress)
        catalog.set_visibility(dataset.id, visibility)
        if visibility != "public" and dataset.visibility == "public":
            drop_redacted_view(data, catalog, dataset)
        return _require(catalog, name)
    finally:
        catalog.close()


def set_redaction_rules(data: DataDir, name: str, rules: RedactionRules,
                        progress: Progress = _no_progress) -> Dataset:
    """Save a dataset's rules; a public dataset's view is rebuilt with them at once."""
    catalog = Catalog(data.catalog_path)
    try:
        dataset = _require(catalog, name)
        catalog.set_dataset_setting(dataset.id, REDACTION_SETTING, rules.to_json())
        catalog.commit()
        if dataset.visibility == "public":
            build_redacted_view(data, catalog, dataset, progress)
        return dataset
    finally:
        catalog.close()


def refresh_public_views(data: DataDir, catalog: Catalog, names: list[str] | None = None
                         ) -> int:
    """After an ingestion or a reindex: rebuild the views of the public datasets (of
    `names`, when given). Returns how many were rebuilt."""
    done = 0
    for dataset in catalog.datasets():
        if dataset.visibility == "public" and (names is None or dataset.name in names):
            build_redacted_view(data, catalog, dataset)
            done += 1
    return done


def build_redacted_view(data: DataDir, catalog: Catalog, dataset: Dataset,
                        progress: Progress = _no_progress) -> int:
    """(Re)build the dataset's redacted twin in the index and in tables-redacted.sqlite.
    Returns the number of documents in it."""
    rules = redaction_rules(catalog, dataset)
    redactor = Redactor(rules)
    visible = visible_entities(catalog, dataset, redactor)
    blobs = BlobStore(data.blob_dir)
    index = TantivyIndex(data.index_dir, writable=True)
    try:
        index.delete_view(dataset.name, "redacted")
        documents = list(catalog.iter_documents(dataset.id))
        progress(0, len(documents))
        count = 0
        for done, (_doc_id, sha) in enumerate(documents, start=1):
            content = catalog.content(sha)
            doc = build_index_document(catalog, blobs, dataset, content) if content else None
            if doc is not None:
                index.add(redact_document(doc, redactor, visible))
                count += 1
                if count % BATCH == 0:
                    index.commit()
            progress(done, len(documents))
        _redact_tables(data, catalog, dataset, index, visible)
        index.commit()
    finally:
        index.close()
    catalog.set_dataset_setting(dataset.id, VIEW_SETTING, rules.fingerprint())
    catalog.commit()
    return count


def drop_redacted_view(data: DataDir, catalog: Catalog, dataset: Dataset) -> None:
    index = TantivyIndex(data.index_dir, writable=True)
    try:
        index.delete_view(dataset.name, "redacted")
        index.commit()
    finally:
        index.close()
    _write_redacted_tables(data, catalog)
    catalog.delete_dataset_setting(dataset.id, VIEW_SETTING)
    catalog.commit()


def visible_entities(catalog: Catalog, dataset: Dataset, redactor: Redactor) -> set[int]:
    """The ids of the dataset's entities that a redacted reader may see (access/entities.py):
    what the redacted twins carry."""
    kinds = visible_kinds(Access.REDACTED, ENTITY_KINDS)
    return {entity_id for entity_id, kind, value in
            entity_store(catalog).kinds_and_values(dataset.id, kinds)
            if entity_visible(Access.REDACTED, kind, value, redactor)}


def redact_document(doc: IndexDocument, redactor: Redactor,
                    visible: set[int] | None = None) -> IndexDocument:
    """The masked twin of an index document: every field a reader can search or see, and of
    its entities the `visible` ones only (none when not given)."""
    text = redactor.text
    entities = {kind: kept for kind, ids in doc.entities.items()
                if (kept := [i for i in ids if i in (visible or ())])}

    def body(value: str) -> str:  # a table file's personal columns too
        return mask_document_text(value, redactor, doc.mime, doc.family, doc.path)

    return dataclasses.replace(
        doc, view="redacted", title=text(doc.title), path=text(doc.path),
        paths=[text(p) for p in doc.paths], sources=[text(s) for s in doc.sources],
        text=body(doc.text),
        pages=mask_pages(doc.pages, redactor, doc.mime, doc.family, doc.path)
        if doc.pages is not None else None,
        sender=text(doc.sender), recipients=text(doc.recipients), cc=text(doc.cc),
        meta=text(doc.meta),
        # Addresses are personal data; their domains are what a redacted reader may see (as
        # of the correspondents, search/correspondents.py), through the redactor all the same.
        sender_addresses=[], recipient_domains=[text(d) for d in doc.recipient_domains],
        domains=[text(d) for d in doc.domains],
        unquoted=body(doc.unquoted) if doc.unquoted is not None else None,
        entities=entities)


def _redact_tables(data: DataDir, catalog: Catalog, dataset: Dataset,
                   index: TantivyIndex, visible: set[int]) -> None:
    target = _write_redacted_tables(data, catalog, also=dataset)
    store = TableStore.open_readonly(target) if target is not None else None
    if store is None:
        return
    entities = entity_store(catalog).table_entity_ids
    try:
        for info in store.tables(dataset.name, include_empty=False):
            for entry in row_entries(store, info, view="redacted", entities=entities,
                                     visible=visible.__contains__):
                index.add_row(entry)
    finally:
        store.close()


def _write_redacted_tables(data: DataDir, catalog: Catalog, also: Dataset | None = None):
    """tables-redacted.sqlite anew, for the public datasets (and `also`, about to be)."""
    source = data.tables_path
    if not source.exists():
        return None
    rules = {ds.name: redaction_rules(catalog, ds) for ds in catalog.datasets()
             if ds.visibility == "public" or (also is not None and ds.id == also.id)}
    build_redacted_tables(source, data.redacted_tables_path, rules)
    return data.redacted_tables_path


def _require(catalog: Catalog, name: str) -> Dataset:
    dataset = catalog.dataset(name)
    if dataset is None:
        raise NotFound(f"no dataset named {name!r}")
    return dataset
