"""Documents' index entries: the `IndexDocument` of one (dataset, content), from the catalog.

Used by ingestion after each batch, by the redacted view (its masked twin), and by
`trawl reindex` to rebuild an index from the catalog alone: the catalog and the blob store are
the source of truth, the index is derived.
"""

from __future__ import annotations

import shutil
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime

from trawl.derive.quotes import quoted_spans, unquoted
from trawl.derive.rows import entity_store, reindex_rows
from trawl.derive.threads import addresses
from trawl.index.base import IndexDocument
from trawl.index.tantivy_backend import TantivyIndex
from trawl.paths import source_of
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Content, Dataset, document_id
from trawl.storage.datadir import DataDir
from trawl.storage.neardup import NearDupStore

_NEARDUP_STORES: weakref.WeakKeyDictionary[Catalog, NearDupStore] = \
    weakref.WeakKeyDictionary()

META_KEYS = ("author", "creator", "subject", "keywords", "description", "company",
             "last_modified_by", "cc", "bcc", "organization")
RECIPIENT_KEYS = ("to", "cc", "bcc")


def build_index_document(catalog: Catalog, blobs: BlobStore, dataset: Dataset,
                         content: Content) -> IndexDocument | None:
    files = catalog.files_of_content(dataset.id, content.sha256)
    if not files:
        return None
    paths = [f.path for f in files]
    text = blobs.get_text(content.text_key) if content.text_key else ""
    pages = text.split("\n\f") if content.page_count is not None else None
    meta = content.metadata
    parent = catalog.file(files[0].parent_id) if files[0].parent_id else None
    doc_id = document_id(dataset.name, content.sha256)
    return IndexDocument(
        id=doc_id,
        dataset=dataset.name,
        path=paths[0],
        paths=paths,
        sources=[source_of(p) for p in paths],
        family=content.family or "other",
        mime=content.mime or "application/octet-stream",
        status=content.file_status,
        title=content.title or "",
        text=text if pages is None else "",
        pages=pages,
        sender=_joined(meta.get("from")),
        recipients=_joined(meta.get("to")),
        cc=" ".join(_joined(meta.get(k)) for k in ("cc", "bcc")).strip(),
        meta=" ".join(_joined(meta.get(k)) for k in META_KEYS).strip(),
        date=parse_date(content.doc_date),
        language=content.language,
        size=content.size,
        parent_id=document_id(dataset.name, parent.sha256) if parent and parent.sha256 else None,
        ocr_pages=sorted(int(n) for n in meta.get("ocr_pages") or {}),
        # What the entity stage recorded (nothing before it ran): the stage marks a document
        # unindexed when its entities change, so this is built again then.
        entities=entity_store(catalog).document_entity_ids(doc_id),
        unquoted=_unquoted(content, text) if pages is None else None,
        # The near-duplicate stage marks a document unindexed when its cluster changes.
        cluster=neardup_store(catalog).cluster_of(doc_id),
        **_addresses(meta),
    )


def _addresses(meta: dict) -> dict[str, list[str]]:
    """A message's exact addresses and domains, for its facets and filters."""
    senders = addresses(meta.get("from"))
    recipients = [a for key in RECIPIENT_KEYS for a in addresses(meta.get(key))]
    recipient_domains = _domains(recipients)
    return {"sender_addresses": senders, "recipient_domains": recipient_domains,
            "domains": sorted(set(_domains(senders)) | set(recipient_domains))}


def _domains(found: list[str]) -> list[str]:
    return sorted({address.rsplit("@", 1)[1] for address in found if "@" in address})


def _unquoted(content: Content, text: str) -> str | None:
    """A message's text without what it quotes (None: it quotes nothing, or is no
    message), so that a search without quotes finds a phrase where it was first written."""
    if content.family != "email" or not text:
        return None
    spans = quoted_spans(text)
    return unquoted(text, spans) if spans else None


def neardup_store(catalog: Catalog) -> NearDupStore:
    """One store per catalog (see derive/rows.py's `entity_store`: opening one on a writable
    catalog runs its schema script, which would commit the caller's transaction)."""
    store = _NEARDUP_STORES.get(catalog)
    if store is None:
        store = _NEARDUP_STORES[catalog] = NearDupStore(catalog)
    return store


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1900 <= parsed.year <= 2100:  # a broken date must not skew the year facet
        return None
    return parsed.astimezone(UTC)


def _joined(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def index_contents(catalog: Catalog, blobs: BlobStore, index: TantivyIndex, dataset: Dataset,
                   shas: Iterable[str]) -> int:
    """(Re)index the documents of these contents in one dataset, and drop those no path of
    the dataset holds any more. The order makes it crash-safe: the catalog is committed first,
    then the index, and only then are the documents marked indexed (a crash in between means
    indexing again, never a document marked indexed that the index lacks). Returns how many
    documents were indexed."""
    catalog.commit()
    indexed, orphans = [], []
    for sha in sorted(shas):
        content = catalog.content(sha)
        doc = build_index_document(catalog, blobs, dataset, content) if content else None
        doc_id = document_id(dataset.name, sha)
        if doc is None:
            index.delete(doc_id)
            orphans.append(doc_id)
        else:
            index.add(doc)
            indexed.append(doc_id)
    index.commit()
    catalog.mark_indexed(indexed)
    catalog.delete_documents(orphans)
    catalog.commit()
    return len(indexed)


def rebuild_index(data: DataDir, batch: int = 2000) -> int:
    """Build the index anew from the catalog and the blob store (after a schema change, or
    to repair it): the index is derived data. Returns the number of documents indexed."""
    shutil.rmtree(data.index_dir, ignore_errors=True)
    catalog = Catalog(data.catalog_path)
    blobs = BlobStore(data.blob_dir)
    index = TantivyIndex(data.index_dir, writable=True)
    done = 0
    try:
        catalog.reset_all_indexed()
        for dataset in catalog.datasets():
            shas = [sha for _doc_id, sha in catalog.iter_documents(dataset.id)]
            for start in range(0, len(shas), batch):
                done += index_contents(catalog, blobs, index, dataset,
                                       shas[start:start + batch])
        reindex_rows(data, index, catalog)  # the rows of structured tables (tables.sqlite)
    finally:
        index.close()
        catalog.close()
    return done
