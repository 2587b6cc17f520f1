"""The entities of the archive as one caller may see them: lists, one entity, its mentions.

Every read goes through access/entities.py, the one decision of which entities a reader sees:
an entity of a dataset outside the caller's scope, or one that the redacted view hides (a
personal kind, or a value the redactor masks), does not exist for them, and every lookup of
it answers NotFound with the message an id that was never used gets. Co-occurring entities
and spellings are filtered the same way; a redacted reader's paths are masked as on every
other page, and the table rows that mention an entity in a personal column (masked whole in
the redacted copy of the tables) are left out, so that no mention points at a masked value.

The web pages, the JSON API and (unscoped) the terminal share this reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trawl.access.entities import entity_visible, visible_kinds, visible_spellings
from trawl.access.policy import Access
from trawl.access.redaction import Redactor
from trawl.errors import BadRequest, NotFound
from trawl.search.service import Archive, DocumentView
from trawl.storage.catalog import Dataset
from trawl.storage.entities import (
    KINDS,
    LISTING_ORDERS,
    Cooccurring,
    Entity,
    EntityStore,
    Mention,
    MentionRecord,
)

# Every kind a recogniser may record: the pattern kinds, and the named kinds of the models.
ALL_KINDS: tuple[str, ...] = tuple(dict.fromkeys((*KINDS, "person", "org", "place")))
SORTS = tuple(LISTING_ORDERS)
MAX_LIMIT = 200
MAX_OFFSET = 10_000
# A redacted listing filters in Python (the redactor decides per value): it reads at most
# this many candidates for one page, so that a page stays a bounded query.
MAX_SCANNED = 20_000


@dataclass
class EntityPage:
    entities: list[Entity]
    offset: int
    limit: int
    more: bool                  # a next page exists
    total: int | None           # None where counting would mean reading every entity


@dataclass
class EntityView:
    """One entity as a caller may see it, with what they need to read the rest."""

    entity: Entity
    dataset: Dataset
    access: Access
    redactor: Redactor | None
    skip_fields: list[str] = field(default_factory=list)

    def mask(self, value: str | None) -> str | None:
        return self.redactor.text(value) if self.redactor is not None and value else value


class EntityReader:
    """The entities of `archive` as its caller (`archive.scope`) sees them."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.store = EntityStore(archive.catalog)

    # -- lists -------------------------------------------------------------------------------
    def kinds(self, dataset: Dataset) -> tuple[str, ...]:
        return visible_kinds(self.archive.access(dataset.name), ALL_KINDS)

    def listing(self, dataset: Dataset, kind: str | None = None, sort: str = "sources",
                search: str = "", offset: int = 0, limit: int = 50,
                min_sources: int = 0) -> EntityPage:
        """A page of the entities of `dataset` (one the caller may read: `archive.dataset`
        gave it) that the caller sees; `min_sources`: found in at least that many."""
        access = self.archive.access(dataset.name)
        kinds = [k for k in self.kinds(dataset) if kind in (None, k)]
        if access is Access.FULL:
            found = self.store.listing(dataset.id, kinds, sort, search, limit + 1, offset,
                                       min_sources)
            total = self.store.listing_count(dataset.id, kinds, search, min_sources)
            return EntityPage(found[:limit], offset, limit, len(found) > limit, total)
        redactor = self.archive.redactor(dataset)
        shown: list[Entity] = []
        seen = scanned = 0
        batch = max(4 * limit, 200)
        while scanned < MAX_SCANNED and len(shown) <= limit:
            found = self.store.listing(dataset.id, kinds, sort, search, batch, scanned,
                                       min_sources)
            scanned += len(found)
            for entity in found:
                if not entity_visible(access, entity.kind, entity.value, redactor):
                    continue
                entity = self._filtered(entity, access, redactor)
                if search and not _matches(entity, search):
                    continue  # it matched a spelling the reader may not see
                seen += 1
                if seen > offset:
                    shown.append(entity)
            if len(found) < batch:
                break
        return EntityPage(shown[:limit], offset, limit, len(shown) > limit, None)

    # -- one entity --------------------------------------------------------------------------
    def entity(self, entity_id: int) -> EntityView:
        """The entity with this id, if the caller may see it; else NotFound, exactly as for
        an id that names nothing."""
        missing = NotFound(f"no entity {entity_id}")
        dataset_id = self.store.dataset_of(entity_id)
        dataset = self.archive.catalog.dataset_by_id(dataset_id) if dataset_id else None
        if dataset is None:
            raise missing
        access = self.archive.access(dataset.name)
        found = self.store.entity(dataset.id, entity_id) if access is not Access.NONE else None
        redactor = self.archive.redactor(dataset) if access is Access.REDACTED else None
        if found is None or not entity_visible(access, found.kind, found.value, redactor):
            raise missing
        skip = [] if redactor is None else [
            f for f in self.store.row_fields(entity_id) if redactor.is_personal_column(f)]
        return EntityView(self._filtered(found, access, redactor), dataset, access, redactor,
                          skip)

    def find(self, dataset: Dataset, text: str, kind: str | None = None) -> EntityView:
        """The entity of `dataset` a reader named: its id, else its value in any spelling
        (an address, a number as written, twitter:name). A value that names several
        (example.org: a domain and a URL) needs `kind`."""
        text = text.strip()
        if text.isdigit():
            try:
                view = self.entity(int(text))
            except NotFound:
                view = None
            if view is not None and view.dataset.id == dataset.id and kind in (
                    None, view.entity.kind):
                return view
        from trawl.derive.entities.patterns import keys_of  # phonenumbers, for a lookup only

        for key_kind, key in keys_of(text, self.store.phone_region(dataset.id)):
            if kind is not None and key_kind not in (None, kind):
                continue
            matches = [self.entity(e.id) for e in
                       self.store.with_keys(dataset.id, [(kind or key_kind, key)])
                       if self._visible(e)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                choices = ", ".join(f"{v.entity.id} ({v.entity.kind})" for v in matches)
                raise BadRequest(f"{text!r} names several entities: {choices}; give an id "
                                 "or a kind")
        raise NotFound(f"no entity {text!r} in {dataset.name}")

    def _visible(self, entity: Entity) -> bool:
        try:
            self.entity(entity.id)
        except NotFound:
            return False
        return True

    def mentions(self, view: EntityView, limit: int = 100, offset: int = 0
                 ) -> tuple[list[Mention], int]:
        """A page of the entity's mentions, and how many there are in all."""
        found = self.store.mentions(view.entity.id, limit, offset, view.skip_fields)
        total = self.store.mention_count(view.entity.id, view.skip_fields)
        if view.redactor is not None:
            for m in found:
                m.path = view.mask(m.path)
                m.text = view.mask(m.text) or m.text
        return found, total

    def sources(self, view: EntityView) -> list[tuple[str, int, int]]:
        """(source, documents, rows) mentioning the entity, the largest first."""
        return [(view.mask(s) or s, d, r)
                for s, d, r in self.store.source_counts(view.entity.id, view.skip_fields)]

    def records(self, view: EntityView, source: str | None = None, limit: int = 50,
                offset: int = 0) -> list[MentionRecord]:
        """A page of the documents and rows that mention the entity (of one source)."""
        if source is not None and view.mask(source) != source:
            return []  # a redacted reader names a source as they see it (as for paths)
        found = self.store.mention_records(view.entity.id, source, limit, offset,
                                           view.skip_fields)
        if view.redactor is not None:
            for r in found:
                r.path = view.mask(r.path)
                r.table = view.mask(r.table)
        return found

    def histogram(self, view: EntityView) -> list[tuple[str, int]]:
        """(YYYY-MM, documents) of the dated documents that mention the entity."""
        return self.store.date_histogram(view.entity.id)

    def cooccurring(self, view: EntityView, limit: int = 20) -> list[Cooccurring]:
        """The entities that appear with it most, of those the caller sees."""
        kinds = visible_kinds(view.access, ALL_KINDS)
        if view.access is Access.FULL:
            return self.store.cooccurring(view.entity.id, limit, kinds)
        found = self.store.cooccurring(view.entity.id, 4 * limit, kinds)
        return [c for c in found
                if entity_visible(view.access, c.kind, c.value, view.redactor)][:limit]

    # -- documents ---------------------------------------------------------------------------
    def document_spans(self, view: DocumentView) -> list[tuple[int, str, int | None, int, int]]:
        """(entity id, kind, page, start, end) of the entity mentions to mark in the text of
        a document. A redacted reader's text is masked, its offsets are not those recorded:
        nothing is marked there."""
        if view.redacted or not view.id or self.archive.access(view.dataset.name) \
                is not Access.FULL:
            return []
        return self.store.document_spans(view.id, ALL_KINDS)

    @staticmethod
    def _filtered(entity: Entity, access: Access, redactor: Redactor | None) -> Entity:
        if access is not Access.FULL:
            entity.spellings = visible_spellings(access, entity.spellings, redactor)
        return entity


def _matches(entity: Entity, search: str) -> bool:
    """Whether `search` is in the value or a spelling, as the listing's LIKE finds it
    (ASCII letters in any case)."""
    folded = _ascii_lower(search)
    return any(folded in _ascii_lower(text) for text in (entity.value, *entity.spellings))


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def entity_json(entity: Entity, access: Access) -> dict[str, Any]:
    """An entity as `trawl entities --json` prints it; a redacted reader does not get its
    key (a normalised form that the redactor never saw)."""
    out = entity.as_json()
    if access is not Access.FULL:
        out.pop("key", None)
    return out
