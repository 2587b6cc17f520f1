"""Cross-referencing: every entity of the caller's datasets that each row of a list names.

A list (xref_list.py) asks, per row, about names, e-mails, phones, URLs, domains, IPs and
handles. For each dataset the caller may read:

* a value of a pattern kind is normalised as the entity stage normalises what it finds
  (derive/entities/patterns.py `keys_of`, in the dataset's phone region), so any spelling of
  a phone or an address finds its entity, looked up by key (storage `with_keys`, on the
  catalog's unique index: one lookup per key, whatever the dataset's size);
* a name is looked up as a key of the dataset's people, organisations and places, and
  compared without case or accents (`fold_name`) to their display values and every
  spelling: the names of the dataset are streamed once past the set of names asked, so the
  cost is one pass over them for the whole list, and memory holds only the list.

What a caller may see is access/entities.py's decision alone: a dataset outside the scope is
not found (the message a dataset that does not exist gets), and in a redacted view no
personal kind matches and no masked spelling either: an e-mail asked of a public dataset
finds nothing, exactly as one that is nowhere. Counts are the entity's; links are its page
(/entities/ID) and its first documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from trawl.access.entities import entity_visible, unchanged, visible_kinds, visible_spellings
from trawl.access.policy import Access
from trawl.access.redaction import Redactor
from trawl.csv_cells import csv_cell
from trawl.derive.entities.links import PLATFORMS, handle_key
from trawl.derive.entities.patterns import keys_of
from trawl.search.service import Archive
from trawl.search.xref_list import Query, XrefList, fold_name
from trawl.storage.catalog import Dataset
from trawl.storage.entities import Entity, EntityStore

NAME_KINDS = ("person", "org", "place")   # the kinds a name may be (named-entity step)
MAX_MATCHES = 50                          # per row and dataset: the entities most spread
DOCUMENT_LINKS = 10                       # document ids given per match
# The entity kinds each kind of list column may find.
_KINDS_OF = {"email": ("email",), "phone": ("phone",), "url": ("url", "domain"),
             "domain": ("domain", "url"), "ip": ("ip",), "handle": ("handle",),
             "name": NAME_KINDS}
MATCH_COLUMNS = ("match_dataset", "match_column", "match_query", "match_kind", "match_value",
                 "match_id", "match_documents", "match_rows", "match_sources", "match_url",
                 "match_document_ids")


@dataclass
class Match:
    dataset: str
    entity: Entity
    query: Query
    document_ids: list[str]

    @property
    def url(self) -> str:
        return f"/entities/{self.entity.id}"

    def as_json(self) -> dict[str, Any]:
        e = self.entity
        return {"dataset": self.dataset, "column": self.query.column, "query": self.query.text,
                "id": e.id, "kind": e.kind, "value": e.value, "spellings": e.spellings,
                "documents": e.documents, "rows": e.rows, "sources": e.sources,
                "url": self.url, "document_ids": self.document_ids}


@dataclass
class RowResult:
    number: int
    cells: list[str]
    matches: list[Match] = field(default_factory=list)


@dataclass
class XrefResult:
    listing: XrefList
    datasets: list[str]
    rows: list[RowResult]

    @property
    def matched_rows(self) -> int:
        return sum(1 for r in self.rows if r.matches)

    def as_json(self) -> dict[str, Any]:
        names = [c.name for c in self.listing.columns]
        return {"datasets": self.datasets, **self.listing.as_json(),
                "matched_rows": self.matched_rows,
                "matches": sum(len(r.matches) for r in self.rows),
                "max_matches_per_row": MAX_MATCHES,
                "rows": [{"row": r.number, "cells": dict(zip(names, r.cells, strict=False)),
                          "matches": [m.as_json() for m in r.matches]} for r in self.rows]}


def xref(archive: Archive, datasets: list[str], listing: XrefList) -> XrefResult:
    """The matches of every row of `listing` in `datasets`, as `archive`'s caller sees them
    (a dataset outside the scope: NotFound, as for one that does not exist)."""
    found = [archive.dataset(name) for name in dict.fromkeys(datasets)]
    rows = [RowResult(r.number, r.cells) for r in listing.rows]
    store = EntityStore(archive.catalog)
    for dataset in found:
        _match_dataset(archive, store, dataset, listing, rows)
    for row in rows:
        row.matches.sort(key=lambda m: (-m.entity.sources, -(m.entity.documents
                                                             + m.entity.rows), m.entity.value))
    return XrefResult(listing, [d.name for d in found], rows)


def _match_dataset(archive: Archive, store: EntityStore, dataset: Dataset, listing: XrefList,
                   rows: list[RowResult]) -> None:
    access = archive.access(dataset.name)
    redactor = archive.redactor(dataset)
    region = store.phone_region(dataset.id)
    kinds = set(visible_kinds(access, {k for ks in _KINDS_OF.values() for k in ks}))
    by_row: list[dict[int, Query]] = [{} for _ in rows]
    cache: dict[tuple[str, str | None, str], list[int]] = {}
    names: dict[str, list[tuple[int, Query]]] = {}
    for i, row in enumerate(listing.rows):
        for query in row.queries:
            wanted = [k for k in _KINDS_OF[query.kind] if k in kinds]
            if not wanted:
                continue
            if query.kind == "name":
                names.setdefault(fold_name(query.text), []).append((i, query))
            ids = cache.get((query.kind, query.platform, query.text))
            if ids is None:
                keys = _keys(query, wanted, region)
                ids = [e.id for e in store.with_keys(dataset.id, keys)]
                cache[(query.kind, query.platform, query.text)] = ids
            for entity_id in ids:
                by_row[i].setdefault(entity_id, query)
    if names:
        for entity_id, folded in _names_found(store, dataset, names, kinds, access, redactor):
            for i, query in names[folded]:
                by_row[i].setdefault(entity_id, query)
    _attach(store, dataset, access, redactor, rows, by_row)


def _keys(query: Query, kinds: list[str], region: str) -> list[tuple[str, str]]:
    """(kind, key) pairs the value may be, each with its kind (so the unique index answers),
    of the kinds the column may find."""
    pairs = keys_of(query.text, region)   # with the named-entity step: a person's key too
    if query.kind == "name":  # a named entity's key, whatever spelling met it first
        pairs.append((None, fold_name(query.text)))
    if query.kind == "handle":
        platforms = [query.platform] if query.platform else list(PLATFORMS)
        pairs += [("handle", key) for p in platforms if (key := handle_key(p, query.text))]
    out = []
    for kind, key in pairs:
        out += [(k, key) for k in kinds if kind in (None, k)]
    return list(dict.fromkeys(out))


def _names_found(store: EntityStore, dataset: Dataset, names: dict[str, Any], kinds: set[str],
                 access: Access, redactor: Redactor | None) -> Iterator[tuple[int, str]]:
    """(entity id, folded name asked) for each name, spelling or key of the dataset's
    named entities that folds to a name of the list."""
    name_kinds = [k for k in NAME_KINDS if k in kinds]
    for entity_id, text, spelling in store.names_of_kinds(dataset.id, name_kinds):
        folded = fold_name(text)
        if folded in names and (not spelling or access is Access.FULL
                                or (redactor is not None and unchanged(redactor, text))):
            yield entity_id, folded


def _attach(store: EntityStore, dataset: Dataset, access: Access, redactor: Redactor | None,
            rows: list[RowResult], by_row: list[dict[int, Query]]) -> None:
    wanted = {entity_id for found in by_row for entity_id in found}
    entities = {e.id: e for e in store.entities_by_ids(dataset.id, wanted)
                if entity_visible(access, e.kind, e.value, redactor)}
    for entity in entities.values():
        entity.spellings = visible_spellings(access, entity.spellings, redactor)
    documents: dict[int, list[str]] = {}
    for row, found in zip(rows, by_row, strict=True):
        matched = [entities[i] for i in found if i in entities]
        matched.sort(key=lambda e: (-e.sources, -(e.documents + e.rows), e.value))
        for entity in matched[:MAX_MATCHES]:
            if entity.id not in documents:
                documents[entity.id] = store.document_ids(entity.id, DOCUMENT_LINKS)
            row.matches.append(Match(dataset.name, entity, found[entity.id],
                                     documents[entity.id]))


def csv_rows(result: XrefResult) -> Iterator[list[str]]:
    """The answer as CSV rows, escaped against formulas: the header (the list's columns,
    then the match's), then one line per input row and match, a row without a match once
    with the match columns empty."""
    names = [c.name for c in result.listing.columns]
    yield [csv_cell(n) for n in [*names, *MATCH_COLUMNS]]
    for row in result.rows:
        cells = [csv_cell(c) for c in row.cells]
        if not row.matches:
            yield cells + [""] * len(MATCH_COLUMNS)
        for m in row.matches:
            e = m.entity
            yield cells + [csv_cell(v) for v in (
                m.dataset, m.query.column, m.query.text, e.kind, e.value, e.id, e.documents,
                e.rows, e.sources, m.url, " ".join(m.document_ids))]
