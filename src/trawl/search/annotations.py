"""Tags and notes as one reader sees and writes them, and the `tag:` of a search.

Everything goes through the caller's scoped archive: a document is found by
`archive.find` and a row's table by `archive.tables.table` (NotFound outside the scope, as
for a page), access/annotations.py decides who may write and whose annotations are seen, and
storage/annotations.py is asked with those datasets and that visibility, so nothing unseen
is ever read out.

Search. `tag:NAME` in a query (and the `tag` filter of the API and the search page, whose
values match any) is resolved here at read time, since tags are per reader: the store gives
the ids this reader's tag names in the datasets searched (documents, or `row:T:R` for rows;
at most MAX_TAGGED), and the index filters by that set of ids (`SearchQuery.among`). A
`tag:` term is a filter, not a word: each one in the query narrows the results (AND),
`-tag:NAME` (or `NOT tag:NAME`) leaves the tagged ones out; several values of the `tag`
filter match any. The text without them is searched as usual. The `tag` facet counts, for
the reader's most used tags in the datasets searched, how many of the current results
carry each (one count of the query within each tag's id set).

Notes are searchable by the readers who see them: `notes(words)` lists the notes holding
every word (`trawl note list --search`, `GET /api/notes?q=`), newest first. They are not in
the index: a note is private text, and the index is shared by every reader.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Protocol

from trawl.access import annotations as rules
from trawl.access.policy import ReadScope
from trawl.errors import NotFound
from trawl.index.base import QueryError, SearchQuery
from trawl.index.tantivy_backend import TantivyIndex
from trawl.storage.annotations import AnnotationStore, Note, Tag
from trawl.storage.catalog import Dataset
from trawl.storage.datadir import DataDir


class Archive(Protocol):
    """What of search/service.py's Archive this needs (it imports this module)."""

    data: DataDir
    index: TantivyIndex
    scope: ReadScope | None

    @property
    def tables(self) -> Any: ...

    def datasets(self) -> list[Dataset]: ...

    def find(self, id_or_path: str, dataset: str | None = None) -> Any: ...

    def annotation_store(self) -> AnnotationStore: ...

MAX_TAGGED = 50_000      # ids one tag may name to the index in one search
MAX_TAG_TERMS = 10       # tag: terms in one query
FACET_TAGS = 20          # tags counted by the tag facet
COMPLETIONS = 20
NOTHING = "\0none"       # an id no entry has: a tag that names nothing matches nothing
# `tag:NAME`, `-tag:NAME`, `NOT tag:NAME`, outside quotes; NAME up to a space or bracket.
_TAG_TERM = re.compile(r'"[^"]*"|(?:(?<![\w.:])(-|NOT\s+)?)(?<![\w.:])tag:("[^"]*"|[^\s()"]+)',
                       re.IGNORECASE)

_DOUBLED = re.compile(r"\b(AND|OR)(?:\s+(?:AND|OR)\b)+")
_DANGLING = re.compile(r"^(?:(?:AND|OR)\s+)+|(?:\s+(?:AND|OR))+$|(?<=\()\s*(?:AND|OR)\s+"
                       r"|\s+(?:AND|OR)\s*(?=\))")


@dataclasses.dataclass(frozen=True)
class Target:
    """What is annotated: a document (its id) or a row (`row:TABLE:ROW`) of a dataset."""

    dataset: str
    kind: str       # document | row
    key: str


def document_target(dataset: str, doc_id: str) -> Target:
    return Target(dataset, "document", doc_id)


def row_key(table_id: int, row: int) -> str:
    """A row's target: the id the index gives its hits."""
    return f"row:{table_id}:{row}"


class Annotations:
    """The tags and notes of one caller (the archive's scope; None: the owner, who writes
    as `owner`)."""

    def __init__(self, archive: Archive, owner: str = "cli:owner") -> None:
        self.archive = archive
        self.scope = archive.scope
        self.owner = owner

    @property
    def store(self) -> AnnotationStore:
        return self.archive.annotation_store()

    @property
    def _visible(self) -> rules.Visible:
        return rules.visible(self.scope)

    def _datasets(self, names: list[str] | None = None) -> list[str]:
        """The datasets (of `names`, else all readable) whose annotations are seen."""
        readable = [ds.name for ds in self.archive.datasets()]
        wanted = readable if names is None else [n for n in names if n in readable]
        return rules.datasets(self.scope, wanted)

    def _has_store(self) -> bool:
        return self.archive.data.annotations_path.exists()

    # -- targets ------------------------------------------------------------------------------
    def document(self, id_or_path: str, dataset: str | None = None) -> Target:
        view = self.archive.find(id_or_path, dataset)  # NotFound outside the scope
        if not view.id:
            raise QueryError(f"{id_or_path!r} has no content to tag (it could not be read)")
        return document_target(view.dataset.name, view.id)

    def row(self, table_id: int, row: int) -> Target:
        info = self.archive.tables.table(table_id)  # NotFound outside the scope
        if self.archive.tables.reader(info.dataset).row(info, row) is None:
            raise NotFound(f"no row {row} in table {table_id}")
        return Target(info.dataset, "row", row_key(table_id, row))

    # -- tags ---------------------------------------------------------------------------------
    def tags(self, target: Target) -> list[Tag]:
        if not self._has_store() or not self._datasets([target.dataset]):
            return []
        return self.store.tags_of(target.dataset, target.key, self._visible)

    def add_tag(self, target: Target, name: str, group: str | None = None) -> Tag:
        rules.check_writable(self.scope, target.dataset)
        return self.store.add_tag(target.dataset, target.kind, target.key,
                                  rules.normalise_tag(name), rules.author(self.scope, self.owner),
                                  rules.shared_with(self.scope, group), time.time())

    def remove_tag(self, target: Target, name: str) -> bool:
        """False when the caller had not put that tag there."""
        rules.check_writable(self.scope, target.dataset)
        return self.store.remove_tag(target.dataset, target.key, rules.normalise_tag(name),
                                     rules.author(self.scope, self.owner))

    def listing(self, datasets: list[str] | None = None, limit: int = 1000) -> list[Tag]:
        """Every tag the caller sees (in these datasets), newest first."""
        seen = self._datasets(datasets)
        return self.store.tags(seen, self._visible, limit=limit) if seen and \
            self._has_store() else []

    def complete(self, prefix: str, datasets: list[str] | None = None,
                 limit: int = COMPLETIONS) -> list[tuple[str, int]]:
        """The caller's tags starting with `prefix` (normalised as a tag is), with how many
        documents and rows they see carry each."""
        seen = self._datasets(datasets)
        if not seen or not self._has_store():
            return []
        start = prefix.strip().lower().replace(" ", "-")[:rules.MAX_TAG]
        return self.store.names(start, seen, self._visible, max(1, min(limit, 100)))

    # -- notes --------------------------------------------------------------------------------
    def notes(self, target: Target) -> list[Note]:
        if not self._has_store() or not self._datasets([target.dataset]):
            return []
        return self.store.notes_of(target.dataset, target.key, self._visible)

    def add_note(self, target: Target, text: str, group: str | None = None) -> Note:
        rules.check_writable(self.scope, target.dataset)
        return self.store.add_note(target.dataset, target.kind, target.key,
                                   rules.note_text(text), rules.author(self.scope, self.owner),
                                   rules.shared_with(self.scope, group), time.time())

    def own_note(self, note_id: int) -> Note:
        """The caller's own note of that id, still on something they may annotate."""
        note = self.store.note(note_id) if self._has_store() else None
        if note is None or note.author != rules.author(self.scope, self.owner) \
                or not rules.may_annotate(self.scope, note.dataset):
            raise NotFound(f"no note {note_id} of yours")
        return note

    def update_note(self, note_id: int, text: str, group: str | None = None) -> Note:
        note = self.own_note(note_id)
        changed = self.store.update_note(note.id, note.author, rules.note_text(text),
                                         rules.shared_with(self.scope, group), time.time())
        assert changed is not None
        return changed

    def remove_note(self, note_id: int) -> Note:
        note = self.own_note(note_id)
        self.store.remove_note(note.id, note.author)
        return note

    def search_notes(self, text: str = "", datasets: list[str] | None = None,
                     limit: int = 100) -> list[Note]:
        """The notes the caller sees holding every word of `text` (all when empty)."""
        seen = self._datasets(datasets)
        if not seen or not self._has_store():
            return []
        return self.store.notes(seen, self._visible, text.split()[:20],
                                max(1, min(limit, 1000)))

    # -- search -------------------------------------------------------------------------------
    def tagged(self, names: list[str], datasets: list[str] | None, record: str
               ) -> dict[str, list[str]]:
        """For each tag of `names`, the ids (documents, or `row:T:R`) the caller's tag of
        that name puts on what they read (a name no tag can have: none)."""
        seen = self._datasets(datasets)
        found: dict[str, list[str]] = {name: [] for name in names}
        if not seen or not self._has_store():
            return found
        wanted: dict[str, str] = {}
        for name in names:
            try:
                wanted[rules.normalise_tag(name)] = name
            except ValueError:
                continue
        kind = "row" if record == "rows" else "document"
        for tag, key in self.store.targets(sorted(wanted), seen, self._visible, kind,
                                           MAX_TAGGED):
            found[wanted[tag]].append(key)
        return found

    def prepare(self, query: SearchQuery) -> SearchQuery:
        """The query with its `tag:` terms and `tag` filter as sets of ids (a copy when it
        had any)."""
        wanted = query.filters.get("tag") or []
        terms = _tag_terms(query.text)
        if not wanted and not terms:
            return query
        among, excluded = list(query.among), list(query.excluded)
        ids_of = self.tagged([*wanted, *(name for _negated, name in terms)], query.datasets,
                             query.record)
        if wanted:
            among.append(sorted({i for name in wanted for i in ids_of[name]}) or [NOTHING])
        for negated, name in terms:
            ids = ids_of[name]
            if negated:
                excluded += ids
            else:
                among.append(ids or [NOTHING])
        return dataclasses.replace(
            query, text=_without_tag_terms(query.text),
            filters={k: v for k, v in query.filters.items() if k != "tag"},
            among=among, excluded=excluded)

    def facet(self, query: SearchQuery, limit: int = FACET_TAGS) -> list[tuple[str, int]]:
        """The caller's most used tags in the datasets searched, each with how many of the
        query's results carry it (those carried by none left out)."""
        seen = self._datasets(query.datasets)
        if not seen or not self._has_store():
            return []
        kind = "row" if query.record == "rows" else "document"
        names = self.store.names("", seen, self._visible, limit, kind=kind)
        if not names:  # no tag of theirs: no second pass over the query (most searches)
            return []
        sets = self.tagged([name for name, _n in names], query.datasets, query.record)
        counts = self.archive.index.count_within(query, sets)
        return sorted(((name, n) for name, n in counts.items() if n),
                      key=lambda item: (-item[1], item[0]))


def _tag_terms(text: str) -> list[tuple[bool, str]]:
    """(negated, name) of each `tag:` term of the query text."""
    found = [(bool(m.group(1)), m.group(2).strip('"')) for m in _TAG_TERM.finditer(text or "")
             if m.group(2) is not None]
    if len(found) > MAX_TAG_TERMS:
        raise QueryError(f"at most {MAX_TAG_TERMS} tag: terms in one query")
    return found


def _without_tag_terms(text: str) -> str:
    """The query text without its `tag:` terms, nor the AND/OR they leave dangling."""
    def keep_phrases(match: re.Match[str]) -> str:
        return match.group(0) if match.group(2) is None else " "
    rest = " ".join(_TAG_TERM.sub(keep_phrases, text).split())
    rest = _DOUBLED.sub(r"\1", rest)
    return _DANGLING.sub("", rest).strip()


def names_tags(text: str) -> bool:
    return bool(_tag_terms(text))
