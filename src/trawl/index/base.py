"""The search index interface: what every backend (embedded Tantivy, later Elasticsearch/
OpenSearch) must do, in the vocabulary of documents, not of one engine.

A document is indexed once per (dataset, content), with its pages: a backend answers a query
with documents (so totals and facet counts count documents, not pages) and, for paged
documents, the best-matching pages. The query text is the user's, in a Lucene-like syntax
that both engine families understand: AND/OR/NOT, "phrases", prefix*, field:value.
Field names in it are Trawl's public ones (`FIELD_ALIASES`), mapped by each backend;
`participant:X` means `(from:X OR to:X OR cc:X)`, and an address field given `@domain`
(`from:@police.gov`) means that exact domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from trawl.errors import BadRequest

VIEWS = ("full", "redacted")

# Facets every backend can count, by public name.
FACETS = ("dataset", "source", "type", "year", "language", "status", "mime", "ocr", "table",
          "sender", "recipient_domain", "participant_domain")
# The facets of messages: a sender's address, the domains written to, and any participant's
# domain (the query's `participant:@police.gov`). Exact, lower-cased values. (The entity
# kind "domain", `domain:`, is another thing: the domains a text or its links mention.)
MESSAGE_FACETS = ("sender", "recipient_domain", "participant_domain")
# The facets whose values are a fixed set (the others name what the dump holds): a filter
# with another value cannot match anything, so it is refused rather than answered with 0.
FACET_VALUES = {"ocr": ("yes", "no"), "status": ("indexed", "failed", "skipped")}
# The year facet's bucket (and filter value) of what has no date: without it a reader could
# not see, or reach, the documents that no date filter ever matches.
UNKNOWN_YEAR = "unknown"
# What a row of a table has (record="rows"); the other facets are documents' only.
ROW_FACETS = ("dataset", "source", "table", "year")
# The kinds of entity (derive/entities, storage/entities.py) an entry carries the ids of:
# each is a facet and a filter of its own, by this name, for documents and rows alike. The
# pattern kinds and the named ones of the models (person, org, place), so that a new kind of
# the recognisers needs no change here (tests/entities check storage's KINDS are all in it).
ENTITY_KINDS = ("email", "phone", "url", "domain", "ip", "handle", "person", "org", "place")

# A date histogram's intervals (SearchQuery.histogram; "auto" picks one from the results'
# span), finest last: a bar of one is zoomed into the next.
HISTOGRAM_INTERVALS = ("year", "month", "day")
# More bars than this say nothing more and cost more: a coarser interval is used instead.
MAX_HISTOGRAM_BUCKETS = 400
# Which date a histogram counts, said on every timeline (derive/documents.py, derive/rows.py:
# the entries' `date`): the sent date of a message, else the document's creation date, else
# its modification date; a table row's first date column. Never the file's mtime on disk.
DATE_RULE = "sent date for mail, creation or modification date otherwise, a row's date column"

# Field names a user may write in a query (`type:pdf`), and the index field each one means.
FIELD_ALIASES = {
    "title": "title",
    "text": "text",
    "content": "text",
    "path": "path",
    "filename": "path",
    "from": "sender",
    "to": "recipients",
    "cc": "cc",
    "bcc": "cc",
    "author": "meta",
    "subject": "title",
    "type": "family",
    "mime": "mime",
    "source": "source",
    "dataset": "dataset",
    "language": "language",
    "lang": "language",
    "status": "status",
    "year": "year",
    "id": "id",
    "ocr": "ocr",
    "table": "table",
}


@dataclass
class IndexDocument:
    id: str
    dataset: str
    path: str                       # the primary path (the shallowest, then first by name)
    paths: list[str]                # every path of this content in the dataset
    sources: list[str]              # top folder of each path (the agency portal in BlueLeaks)
    family: str                     # pdf, word, email, archive, ... (facet "type")
    mime: str
    status: str                     # indexed | failed | skipped
    title: str = ""
    text: str = ""                  # the whole text, for documents without pages
    pages: list[str] | None = None  # one text per page for paged documents
    sender: str = ""                # a message's From, as written (names and addresses)
    recipients: str = ""            # its To
    cc: str = ""                    # its Cc and Bcc
    meta: str = ""                  # other searchable metadata (author, keywords, ...)
    date: datetime | None = None
    language: str | None = None
    # A message's addresses, exact and lower-cased (derive/threads.addresses): facets and
    # filters `sender`, `recipient_domain` (of To, Cc, Bcc), `participant_domain` (any).
    sender_addresses: list[str] = field(default_factory=list)
    recipient_domains: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    size: int = 0
    parent_id: str | None = None
    # Pages whose text was read by OCR (1-based; [1] for an image's text): facet "ocr".
    ocr_pages: list[int] = field(default_factory=list)
    # "full", or "redacted": the masked twin of a public dataset's document (access/), found
    # only by searches whose `views` say so, and answered under the same id.
    view: str = "full"
    # The entities it mentions: kind -> entity ids (catalog ids, storage/entities.py).
    entities: dict[str, list[int]] = field(default_factory=dict)
    # A message's text without what it quotes of earlier ones (derive/quotes.py), when it
    # quotes something: searched instead of `text` by a search without quotes.
    unquoted: str | None = None
    # Its cluster of near-copies (storage/neardup.py), if any: searches collapse on it.
    cluster: int | None = None


@dataclass
class RowEntry:
    """One row of a structured table (`kind=row` in the index): searchable by its cells,
    counted apart from documents (a search asks for `record="rows"` to get them)."""

    table_id: int
    row: int                        # the row's number in its table (tables.sqlite `_row`)
    dataset: str
    table: str                      # the table's name (SARs): facet and filter "table"
    source: str                     # the top folder of the table's file
    cells: str                      # "Column: value" lines of its non-empty cells
    date: datetime | None = None    # the row's first date, for year and date filters
    view: str = "full"              # or "redacted" (see IndexDocument.view)
    entities: dict[str, list[int]] = field(default_factory=dict)  # as IndexDocument's


@dataclass
class SearchQuery:
    text: str = ""                               # empty: every document (browse)
    record: str = "documents"                    # documents | rows (of structured tables)
    datasets: list[str] | None = None            # None: all datasets (callers restrict)
    # The datasets a caller may read, each with the view it reads ("full" | "redacted").
    # None: every dataset in full (the CLI, on the data folder's owner's behalf).
    views: dict[str, str] | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet name -> values (OR)
    # (facet name, value) pairs each required (entities: search/entity_filters.py, one per id).
    required: list[tuple[str, str]] = field(default_factory=list)
    # Sets of entry ids (documents' ids, or `row:TABLE:ROW`) the results must be in, one
    # each (a reader's tags: search/annotations.py; what is new for a saved search:
    # search/saved.py), and ids they must not be. A document's id covers its redacted twin.
    among: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: str = "relevance"                      # relevance | date_desc | date_asc
    offset: int = 0
    limit: int = 10
    facets: tuple[str, ...] = ()
    facet_size: int = 20
    pages_per_hit: int = 3
    # Leave quoted text out: a message matches by what it wrote, not what it quotes.
    no_quotes: bool = False
    # One hit per cluster of near-copies (the best of its matching documents); `total`
    # then counts hits so collapsed (tantivy_backend.py).
    collapse: bool = False
    # A date histogram of the results (IndexResult.histogram): None for none, "auto", or
    # one of HISTOGRAM_INTERVALS. It counts documents (or rows) as facets do, collapsed or
    # not; `histogram_sources` > 0 adds one per top source (small multiples).
    histogram: str | None = None
    histogram_sources: int = 0


@dataclass
class Snippet:
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # [start, end) in text

    def marked(self, before: str = "[", after: str = "]") -> str:
        out, last = [], 0
        for start, end in self.highlights:
            out += [self.text[last:start], before, self.text[start:end], after]
            last = end
        out.append(self.text[last:])
        return "".join(out)


@dataclass
class IndexHit:
    id: str
    score: float
    dataset: str
    title: str
    path: str
    family: str
    mime: str
    status: str
    snippet: Snippet
    page: int | None = None                       # 1-based best page, for paged documents
    pages: list[int] = field(default_factory=list)  # every matching page shown (best first)
    date: datetime | None = None
    size: int = 0
    record: str = "document"                      # document | row
    table_id: int | None = None                   # a row's table and number in it
    row: int | None = None
    cluster: int | None = None                    # its cluster of near-copies, if any
    cluster_matches: int = 0                      # collapsed: its cluster's matching docs


@dataclass
class EntityFacet:
    """One value of an entity facet, as a reader sees it (search/service.py maps the index's
    ids to these, leaving out what the reader may not see)."""

    id: int
    kind: str
    value: str
    count: int

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "value": self.value, "count": self.count}


@dataclass
class IndexResult:
    total: int
    hits: list[IndexHit]
    # Facet name -> (value, count); for an entity kind the value is an entity id, which the
    # search service turns into `entity_facets` (and takes out of here).
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    relaxed: bool = False   # no document had every word: results match some of them
    # A collapsed search: the documents that match (`total` counts one per cluster).
    documents: int | None = None
    entity_facets: dict[str, list[EntityFacet]] = field(default_factory=dict)
    histogram: DateHistogram | None = None  # when the query asked for one


@dataclass
class DateBucket:
    start: datetime   # inclusive, UTC midnight of a calendar day, month or year
    end: datetime     # exclusive: the next bucket's start
    count: int


@dataclass
class DateHistogram:
    """The results by date. `buckets` run from the first dated result's bucket to the
    last's, empty ones included; what has no date is counted in `undated`, never in a
    bucket. `sources`: the top sources (most results first), each over the same buckets."""

    interval: str
    buckets: list[DateBucket] = field(default_factory=list)
    undated: int = 0
    sources: list[tuple[str, list[DateBucket]]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        def bars(buckets: list[DateBucket]) -> list[dict[str, object]]:
            return [{"start": b.start.date().isoformat(),
                     "end": (b.end - timedelta(days=1)).date().isoformat(),
                     "count": b.count} for b in buckets]
        return {"interval": self.interval, "date_rule": DATE_RULE, "undated": self.undated,
                "buckets": bars(self.buckets),
                "sources": [{"source": name, "buckets": bars(found)}
                            for name, found in self.sources]}


def histogram_interval(first: datetime, last: datetime, asked: str) -> str:
    """The interval of a histogram from `first` to `last`: the one asked (coarser if it
    would make more than MAX_HISTOGRAM_BUCKETS bars), or for "auto" the finest that makes
    a few bars: years past three years, months past ninety days, else days."""
    if asked not in ("auto", *HISTOGRAM_INTERVALS):
        raise QueryError(f"histogram must be auto, year, month or day, not {asked!r}")
    days = (last - first).days
    if asked == "auto":
        asked = "year" if days > 3 * 366 else "month" if days > 90 else "day"
    if asked == "day" and days >= MAX_HISTOGRAM_BUCKETS:
        asked = "month"
    if asked == "month" and days // 28 >= MAX_HISTOGRAM_BUCKETS:
        asked = "year"
    return asked


def calendar_buckets(first: datetime, last: datetime, interval: str
                     ) -> list[tuple[datetime, datetime]]:
    """[start, end) of each calendar year, month or day (UTC) from `first`'s to `last`'s:
    the bars of a histogram, for any backend (a range aggregation's ranges)."""
    start = _floor(first.astimezone(UTC), interval)
    out = []
    while start <= last:
        end = _next(start, interval)
        out.append((start, end))
        start = end
    return out


def _floor(moment: datetime, interval: str) -> datetime:
    day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if interval == "day":
        return day
    return day.replace(day=1) if interval == "month" else day.replace(month=1, day=1)


def _next(start: datetime, interval: str) -> datetime:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "year":
        return start.replace(year=start.year + 1)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


class QueryError(BadRequest):
    """The query cannot be run; the message is meant for the user."""


class IndexBackend(Protocol):
    def add(self, doc: IndexDocument) -> None:
        """Add or replace a document (replacing is by id, so re-adding is idempotent)."""

    def delete(self, doc_id: str) -> None: ...

    def commit(self) -> None:
        """Make everything added so far durable and visible to searches."""

    def search(self, query: SearchQuery) -> IndexResult: ...

    def count(self, datasets: list[str] | None = None) -> int: ...

    def delete_view(self, dataset: str, view: str) -> None:
        """Remove one view of a dataset (its redacted twin, when it stops being public)."""

    def close(self) -> None: ...
