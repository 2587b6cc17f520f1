"""Correspondents as one caller may read them: who wrote to whom in a dataset, how often and
when, by address or by domain, in a date range and a source.

The edges come from storage/correspondents.py (one grouped query over the thread store);
what a caller sees of them is access/threads.py's decision: nothing of a dataset outside
its scope (NotFound, as a dataset that does not exist), domains only for a redacted reader,
each through the dataset's redactor, merged where the masks make two edges one. The web
table, the JSON API, the graph and `trawl correspondents` share this reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trawl.access.threads import correspondents_by
from trawl.errors import BadRequest
from trawl.search.service import Archive
from trawl.storage.catalog import Dataset
from trawl.storage.correspondents import BY, SORTS, CorrespondentStore, Edge, EdgeFilter

MAX_LIMIT = 1000
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


@dataclass
class CorrespondentQuery:
    by: str = "address"
    start: str | None = None
    end: str | None = None
    source: str | None = None
    sort: str = "messages"
    limit: int = 100

    def checked(self) -> CorrespondentQuery:
        """The query, or BadRequest naming what is wrong in it."""
        if self.by not in BY:
            raise BadRequest(f"by must be one of {', '.join(BY)}")
        if self.sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
        for name, value in (("from", self.start), ("to", self.end)):
            if value and not _DATE.fullmatch(value):
                raise BadRequest(f"{name} must be a date: YYYY, YYYY-MM or YYYY-MM-DD")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
        return self


@dataclass
class Correspondents:
    dataset: str
    by: str                     # what the caller got (a redacted reader: domain)
    edges: list[Edge]
    total: int                  # edges there are (before the limit; after masking, at most)

    def as_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "by": self.by, "total": self.total,
                "edges": [{"from": e.sender, "to": e.recipient, "messages": e.messages,
                           "first": e.first, "last": e.last} for e in self.edges]}


class CorrespondentReader:
    """The correspondents of `archive`'s datasets as its caller sees them."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.store = CorrespondentStore(archive.catalog)

    def edges(self, dataset: Dataset, query: CorrespondentQuery) -> Correspondents:
        query = query.checked()
        by = correspondents_by(self.archive.access(dataset.name), query.by)
        mask = self.archive.masker(dataset)
        source = (query.source or "").strip("/") or None
        if source is not None and mask(source) != source:
            return Correspondents(dataset.name, by, [], 0)  # a masked value finds nothing
        edges, total = self.store.edges(dataset.id, by, EdgeFilter(query.start, query.end,
                                                                   source),
                                        query.sort, query.limit)
        if self.archive.redactor(dataset) is not None:
            edges = _merged([Edge(mask(e.sender), mask(e.recipient), e.messages, e.first,
                                  e.last) for e in edges])
            # All edges were read: the merged count is exact (else an upper bound).
            total = len(edges) if total <= query.limit else total
        return Correspondents(dataset.name, by, edges, total)


def _merged(edges: list[Edge]) -> list[Edge]:
    """Edges whose ends read the same once masked, as one (in the order of their first)."""
    out: dict[tuple[str, str], Edge] = {}
    for e in edges:
        seen = out.get((e.sender, e.recipient))
        if seen is None:
            out[(e.sender, e.recipient)] = Edge(e.sender, e.recipient, e.messages, e.first,
                                                e.last)
            continue
        seen.messages += e.messages
        seen.first = min(filter(None, (seen.first, e.first)), default=None)
        seen.last = max(filter(None, (seen.last, e.last)), default=None)
    return list(out.values())
