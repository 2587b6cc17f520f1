"""Entities in a search: the filters a reader writes, and the facets a reader is shown.

Filters. In the query text, `entity:ID`, `email:x@y.org`, `phone:+15551234567`, `url:...`,
`domain:...`, `ip:...`, `handle:twitter:name` (or `handle:@name`), `person:"Jane Doe"`,
`org:"..."`, `place:"..."` name entities; each is replaced by the index terms of the entities
it names (`(entity_email:12 OR entity_email:57)`: the same address is one entity per dataset),
so it combines with the rest of the query as any term does (AND, OR, NOT, brackets). A value
is read as the recognisers read a text (derive/entities/patterns.py `keys_of`): an e-mail or
a phone number in any spelling (a phone in the dataset's phone region), a URL with or
without its scheme. A name matches an entity's key or one of its spellings, without case or
accents. The `entity` parameter of the API, the web and `trawl search --entity` gives ids;
each one must be mentioned (they narrow, one after the other).

Access: only entities of the datasets the caller searches, and of those only the ones
access/entities.py lets them see, are ever named to the index. An entity that does not
exist, or that the caller may not see, is a term that matches nothing: the answer is the
same in both cases, so a filter cannot tell that a hidden entity exists.

Facets: the index counts entity ids per kind among the results; they become
{id, kind, value, count}, with the same decision applied (a hidden one is dropped, never
counted under another name).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol

from trawl.access.entities import entity_visible
from trawl.access.policy import Access
from trawl.access.redaction import Redactor
from trawl.index.base import ENTITY_KINDS, EntityFacet, IndexResult, QueryError, SearchQuery
from trawl.index.fields import entity_field
from trawl.storage.catalog import Catalog, Dataset
from trawl.storage.entities import Entity, EntityStore


class Archive(Protocol):
    """What of search/service.py's Archive this needs (it imports this module)."""

    catalog: Catalog

    def datasets(self) -> list[Dataset]: ...

    def access(self, dataset: str) -> Access: ...

    def redactor(self, dataset: Dataset) -> Redactor | None: ...


NAMED_KINDS = ("person", "org", "place")  # found by name: key or spelling
FIELDS = ("entity", *ENTITY_KINDS)
# A field of FIELDS and its value ("quoted" or up to a space or a bracket), outside quotes.
_TERM = re.compile(r'"[^"]*"|(?<![\w.:])(' + "|".join(FIELDS) + r'):("[^"]*"|[^\s()"]+)',
                   re.IGNORECASE)
NOTHING = "view:none"  # a term no entry has (entries are in view full or redacted)
MAX_TERMS = 20          # entity terms in one query
SHOWN_PER_KIND = 10


def names_entities(text: str) -> bool:
    return any(m.group(1) for m in _TERM.finditer(text or ""))


class EntityFilters:
    """The entities one caller may name and see, in the datasets they search."""

    def __init__(self, archive: Archive, datasets: list[str] | None) -> None:
        self.archive = archive
        self.store = EntityStore(archive.catalog)  # read-only: nothing to set up
        readable = archive.datasets()
        self.datasets = [ds for ds in readable if datasets is None or ds.name in datasets]
        self._by_id = {ds.id: ds for ds in readable}
        self._access: dict[int, tuple[Access, Redactor | None]] = {}

    # -- filters ------------------------------------------------------------------------------
    def rewrite(self, text: str) -> str:
        """The query with its entity terms replaced by index terms."""
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            if not match.group(1):
                return match.group(0)  # a phrase: words, not a filter
            count += 1
            if count > MAX_TERMS:
                raise QueryError(f"at most {MAX_TERMS} entity filters in one query")
            field, value = match.group(1).lower(), match.group(2).strip('"').strip()
            return _terms(self.named(field, value))

        return _TERM.sub(replace, text)

    def named(self, field: str, value: str) -> list[Entity]:
        """The entities, visible to the caller, that `field:value` names."""
        if field == "entity":
            return self.with_ids([int(value)]) if is_id(value) else []
        found: list[Entity] = []
        for ds in self.datasets:
            found += [e for e in self._lookup(ds, field, value) if self._visible(ds, e)]
        return found

    def _lookup(self, ds: Dataset, kind: str, value: str) -> list[Entity]:
        if kind in NAMED_KINDS:
            spaced = " ".join(value.split())
            return self.store.with_names(ds.id, kind, [spaced, _folded(spaced)])
        if kind == "handle" and ":" not in value and not value.startswith("@"):
            value = "@" + value  # handle:jdoe is the account jdoe on any platform
        # Only for a lookup: the recognisers load phonenumbers (a search without entity
        # terms, and `trawl search` starting, do without).
        from trawl.derive.entities.patterns import keys_of

        region = self.store.phone_region(ds.id)
        try:
            keys = keys_of(value, region)
        except ValueError:  # a region stored by hand that libphonenumber does not know
            keys = keys_of(value)
        pairs = [(kind, key) for key_kind, key in keys if key_kind in (None, kind)]
        return self.store.with_keys(ds.id, pairs)

    def with_ids(self, ids: Iterable[int]) -> list[Entity]:
        """The entities of these ids that the caller may see, in the datasets searched."""
        searched = {ds.id for ds in self.datasets}
        return [e for dataset_id, e in self.store.by_ids(ids)
                if dataset_id in searched and self._visible(self._by_id[dataset_id], e)]

    def required(self, ids: list[str]) -> list[tuple[str, str]] | None:
        """The (kind, id) terms of `entity` parameters, each one required; None when one of
        them names nothing the caller may see (so nothing can match)."""
        wanted = [int(i) for i in ids if is_id(i)]
        found = {e.id: e for e in self.with_ids(wanted)}
        if len(wanted) != len(ids) or any(i not in found for i in wanted):
            return None
        return [(found[i].kind, str(i)) for i in wanted]

    def _visible(self, ds: Dataset, entity: Entity) -> bool:
        if ds.id not in self._access:  # once per dataset and search (rules are read)
            access = self.archive.access(ds.name)
            self._access[ds.id] = (access, self.archive.redactor(ds)
                                   if access is Access.REDACTED else None)
        access, redactor = self._access[ds.id]
        return entity_visible(access, entity.kind, entity.value, redactor)

    # -- facets -------------------------------------------------------------------------------
    def facets(self, result: IndexResult) -> None:
        """Move the entity kinds out of `result.facets` into `result.entity_facets`, as the
        caller may see them."""
        raw = {kind: result.facets.pop(kind) for kind in ENTITY_KINDS if kind in result.facets}
        ids = [int(v) for values in raw.values() for v, _n in values if is_id(v)]
        seen = {e.id: e for e in self.with_ids(ids)}
        for kind, values in raw.items():
            shown = [EntityFacet(int(v), kind, seen[int(v)].value, n) for v, n in values
                     if is_id(v) and int(v) in seen and seen[int(v)].kind == kind]
            result.entity_facets[kind] = shown[:SHOWN_PER_KIND]


def is_id(value: str) -> bool:
    """An entity id as a request writes it: ASCII digits ("²" is a digit to isdigit), and
    few enough for SQLite's integers."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def _terms(entities: list[Entity]) -> str:
    if not entities:
        return NOTHING
    terms = [f"{entity_field(e.kind)}:{e.id}" for e in entities]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def _folded(text: str) -> str:
    """Lower case, accents off: "Éloïse" as "eloise"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def prepare(archive: Archive, query: SearchQuery
            ) -> tuple[SearchQuery | None, EntityFilters | None]:
    """The query with its entity filters in index terms (a copy when it had any), and what
    maps its entity facets (None when it asks for none); the query is None when an `entity`
    parameter names nothing the caller may see: nothing can match."""
    ids = query.filters.get("entity") or []
    named = names_entities(query.text)
    if not ids and not named and not any(f in ENTITY_KINDS for f in query.facets):
        return query, None
    filters = EntityFilters(archive, query.datasets)
    changed = dataclasses.replace(query, filters={k: v for k, v in query.filters.items()
                                                  if k != "entity"})
    if ids:
        required = filters.required(ids)
        if required is None:
            return None, filters
        changed.required = [*query.required, *required]
    if named:
        changed.text = filters.rewrite(query.text)
    return changed, filters
