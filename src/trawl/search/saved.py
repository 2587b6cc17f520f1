"""Saved searches: an account's searches, each with what is new since it was last viewed.

One account's searches only, through that account's scoped archive: a saved search counts
and shows only documents its owner may read now (a grant taken back since it was saved takes
its documents out of the count, as it does out of a search), each dataset in the view the
owner reads it in. What is new is a catalog mark (storage/saved_searches.py): the documents
added after it, which the index then filters with the search itself (`SearchQuery.ids`), so
a count costs one search over the new documents only.

The search is kept as its URL parameters; the caller (web/saved.py, cli/saved_commands.py)
turns them into a query with web/params.py, the parser of the search page and the API, so a
saved search runs exactly as it ran when saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from trawl.access.policy import Principal, ReadScope, read_scope
from trawl.access.store import AccessStore
from trawl.errors import NotFound
from trawl.index.base import IndexResult, QueryError, SearchQuery
from trawl.search.service import Archive
from trawl.storage.saved_searches import (
    SavedSearch,
    SavedSearchStore,
    document_mark,
    documents_after,
)

# New documents looked at for one count: past this many, the count says "at least".
MAX_NEW = 50_000
MAX_NAME = 200
MAX_SAVED = 500


@dataclass(frozen=True)
class SavedCount:
    saved: SavedSearch
    new: int
    capped: bool  # more documents were added than MAX_NEW: `new` is a lower bound


def user_scope(store: AccessStore, archive: Archive, user_name: str) -> tuple[int, ReadScope]:
    """An account's id and what it may read now, as the web computes it for its requests."""
    user = store.user(user_name)
    if user is None:
        raise NotFound(f"no account named {user_name!r}")
    principal = Principal(user.name, user.is_admin, user.groups, store.granted_datasets(user))
    return user.id, read_scope(principal, archive.catalog.datasets())


class SavedSearches:
    """One account's saved searches, read through its scoped archive."""

    def __init__(self, store: AccessStore, archive: Archive, user_id: int,
                 to_query: Callable[[str], SearchQuery]) -> None:
        self._store = SavedSearchStore(store.accounts)
        self.archive = archive
        self.user_id = user_id
        self._to_query = to_query

    def add(self, name: str, params: str) -> SavedSearch:
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME:
            raise QueryError(f"a saved search needs a name of 1 to {MAX_NAME} characters")
        self._to_query(params)  # refuse what cannot be run, before it is kept
        if len(self._store.listing(self.user_id)) >= MAX_SAVED:
            raise QueryError(f"an account keeps at most {MAX_SAVED} saved searches")
        found = self._store.add(self.user_id, name, params, document_mark(self.archive.catalog))
        if found is None:
            raise QueryError(f"you have a saved search named {name!r} already")
        return found

    def listing(self) -> list[SavedCount]:
        return [self.count(saved) for saved in self._store.listing(self.user_id)]

    def get(self, saved_id: int) -> SavedSearch:
        found = self._store.get(self.user_id, saved_id)
        if found is None:
            raise NotFound(f"no saved search {saved_id}")
        return found

    def named(self, name: str) -> SavedSearch:
        found = self._store.named(self.user_id, name)
        if found is None:
            raise NotFound(f"no saved search named {name!r}")
        return found

    def delete(self, saved_id: int) -> None:
        if not self._store.delete(self.user_id, saved_id):
            raise NotFound(f"no saved search {saved_id}")

    def count(self, saved: SavedSearch) -> SavedCount:
        new, capped = self._new_ids(saved)
        if not new:
            return SavedCount(saved, 0, False)
        base = self._to_query(saved.params)
        query = replace(base, among=[*base.among, new], offset=0, limit=0, facets=(),
                        collapse=False)
        return SavedCount(saved, self.archive.search(query).total, capped)

    def run(self, saved: SavedSearch, limit: int = 50) -> IndexResult:
        """The new results (at most `limit`), and the search marked viewed."""
        mark = document_mark(self.archive.catalog)  # before reading: what comes later stays new
        new, _capped = self._new_ids(saved)
        base = self._to_query(saved.params)
        query = replace(base, among=[*base.among, new], offset=0, limit=limit, facets=(),
                        collapse=False)
        result = self.archive.search(query) if new else IndexResult(0, [])
        self.viewed(saved, mark)
        return result

    def viewed(self, saved: SavedSearch, mark: int | None = None) -> None:
        self._store.viewed(self.user_id, saved.id,
                           document_mark(self.archive.catalog) if mark is None else mark)

    def _new_ids(self, saved: SavedSearch) -> tuple[list[str], bool]:
        readable = [ds.id for ds in self.archive.datasets()]  # the cap counts only these
        new = documents_after(self.archive.catalog, saved.seen_mark, readable, MAX_NEW + 1)
        return new[:MAX_NEW], len(new) > MAX_NEW
