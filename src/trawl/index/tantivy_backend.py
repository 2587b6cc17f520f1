"""The embedded index: Tantivy (a Rust Lucene-like engine) in process, no service to run.

Layout: each document is one Tantivy entry with ``kind=doc`` carrying its metadata and its
whole text (indexed). A paged document also gets one ``kind=page`` entry per page with that
page's text. Queries run on ``kind=doc`` entries, so totals and facets count documents; for
each paged hit a second, tiny query on its pages finds the pages to show (sub-millisecond
each). Text is indexed in ``text`` and stored, for snippets, in ``body`` (stored, not indexed)
only where it is shown: the page entries of paged documents, the doc entry of the others.
So the text is stored once.

Only one process may write (Tantivy holds a lock); searchers reload on each query.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from trawl.errors import Busy
from trawl.index import analysis, query_syntax, ranking
from trawl.index.base import (
    ENTITY_KINDS,
    FIELD_ALIASES,
    UNKNOWN_YEAR,
    DateBucket,
    DateHistogram,
    IndexDocument,
    IndexHit,
    IndexResult,
    QueryError,
    RowEntry,
    SearchQuery,
    Snippet,
    calendar_buckets,
    histogram_interval,
)
from trawl.index.fields import (
    FACET_FIELDS,
    MESSAGE_FIELDS,
    NO_YEAR,
    REDACTED_SUFFIX,
    SNIPPET_CHARS,
    IndexOutdated,
    entity_field,
    is_plain_words,
)

ANALYZER = analysis.EXACT
# Exact (unstemmed) fields a query searches; the stemmed ones are added per language
# (ranking.search_fields, where the boosts are).
DEFAULT_FIELDS = ranking.EXACT_FIELDS
FIELD_BOOSTS = ranking.EXACT_BOOSTS
# Tantivy dates are nanoseconds in an i64: 1677-09-21 to 2262-04-11. Open range ends use these.
EARLIEST = datetime(1678, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 1, 1, tzinfo=UTC)
MAX_QUERY_CHARS = 2000
# The tag facet counts by one aggregation over the ids of up to this many tagged entries.
COUNT_WITHIN_TERMS = 20_000
# "More like this": the terms of a document's text that make its query, and how much of
# the text is read for them.
MLT_TERMS = 25
MLT_CHARS = 100_000


# Bump when the schema or an analyzer changes: an index built otherwise must be rebuilt
# from the catalog (`trawl reindex`), never read with the wrong analyzers.
# 4: "ocr" (text read by OCR); 5: table rows; 6: "view" (redacted twins); 7: entity ids;
# 8: "unquoted" and "quotes" (a message's own text, for searches without quotes);
# 9: "cluster" (near-copies)
SCHEMA_VERSION = "10"
SCHEMA_FILE = "trawl-schema-version"


def _check_schema_version(path: Path) -> None:
    marker = path / SCHEMA_FILE
    if marker.exists():
        found = marker.read_text().strip()
        if found != SCHEMA_VERSION:
            raise IndexOutdated(f"the index in {path} has schema version {found}, this Trawl "
                                f"uses {SCHEMA_VERSION}: run `trawl reindex` to rebuild it")
    elif any(path.iterdir()):
        raise IndexOutdated(f"the index in {path} has no schema version: run `trawl reindex`")
    else:  # a new index: it is built with this schema from the start
        marker.write_text(SCHEMA_VERSION + "\n")


def build_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    for name in ("id", "kind", "dataset", "source", "family", "mime", "status", "language",
                 "parent_id", "ocr", "table", "table_id", "view", "quotes",
                 *MESSAGE_FIELDS.values(), "sender_domain"):
        b.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    for name in ("title", "path", "sender", "recipients"):
        b.add_text_field(name, stored=True, tokenizer_name=ANALYZER)
    # "unquoted": a message's text without what it quotes, only where it quotes something
    # ("quotes" = yes); a search without quotes reads it there instead of "text".
    for name in ("text", "meta", "cc", ranking.UNQUOTED):
        b.add_text_field(name, stored=False, tokenizer_name=ANALYZER)
    # Stemmed twins of title and text, one per language (analysis.py): a document fills
    # those of its language only.
    for language in analysis.LANGUAGES:
        for base in ranking.STEMMED:
            b.add_text_field(analysis.stemmed_field(base, language), stored=False,
                             tokenizer_name=analysis.analyzer_name(language))
    b.add_bytes_field("body", stored=True, indexed=False)
    b.add_integer_field("page", stored=True, indexed=True, fast=True)
    # Rows of structured tables (kind=row): their cells in a field of their own, so that
    # millions of rows never change the statistics (and so the ranking) of documents.
    b.add_text_field("cells", stored=False, tokenizer_name=ANALYZER)
    b.add_integer_field("row", stored=True, fast=True)
    b.add_integer_field("page_count", stored=True)
    b.add_integer_field("year", stored=True, indexed=True, fast=True)
    b.add_integer_field("size", stored=True, fast=True)
    b.add_date_field("date", stored=True, indexed=True, fast=True)
    # The cluster of near-copies of a document entry (none: alone): a collapsed search
    # shows one hit per value, and counts them by a cardinality aggregation.
    b.add_integer_field("cluster", stored=True, indexed=True, fast=True)
    # The ids of the entities an entry mentions, one field per kind: filters are terms of
    # them, facets terms aggregations on them (fast). Not stored: nothing shows them.
    for kind in ENTITY_KINDS:
        b.add_text_field(entity_field(kind), stored=False, fast=True, tokenizer_name="raw")
    return b.build()


def _add_entities(entry: tantivy.Document, entities: dict[str, list[int]]) -> None:
    for kind, ids in entities.items():
        if kind in ENTITY_KINDS:
            for entity_id in sorted(set(ids)):
                entry.add_text(entity_field(kind), str(entity_id))


class TantivyIndex:
    """An `IndexBackend` over a Tantivy index in a folder."""

    def __init__(self, path: Path, writable: bool = False, heap_mb: int = 256) -> None:
        path.mkdir(parents=True, exist_ok=True)
        _check_schema_version(path)
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        analysis.register(self.index)
        self._writer = self._open_writer(heap_mb) if writable else None
        self._lock = threading.Lock()

    def _open_writer(self, heap_mb: int) -> tantivy.IndexWriter:
        try:
            return self.index.writer(heap_size=heap_mb * 1024 * 1024, num_threads=1)
        except ValueError as exc:  # one writer at a time, in any process (a lock file)
            if "LockBusy" not in str(exc):
                raise
            raise Busy("the index is busy: another process is writing it (an ingestion, a "
                       "reindex or a publishing job); try again when it is done") from exc

    # -- writing ------------------------------------------------------------------------------
    def add(self, doc: IndexDocument) -> None:
        writer = self._require_writer()
        writer.delete_documents_by_term("id", _entry_id(doc))
        paged = doc.pages is not None and len(doc.pages) > 1
        full_text = "\n".join(doc.pages) if doc.pages is not None else doc.text
        entry = self._common(doc, "doc")
        language = analysis.document_language(doc.language)
        entry.add_text("title", doc.title or "")
        entry.add_text(analysis.stemmed_field("title", language), doc.title or "")
        for path in doc.paths or [doc.path]:
            entry.add_text("path", path)
        entry.add_text("sender", doc.sender)
        entry.add_text("recipients", doc.recipients)
        entry.add_text("cc", doc.cc)
        for facet, values in (("sender", doc.sender_addresses),
                              ("recipient_domain", doc.recipient_domains),
                              ("participant_domain", doc.domains)):
            for value in values:
                entry.add_text(MESSAGE_FIELDS[facet], value)
        for domain in sorted({a.rsplit("@", 1)[1] for a in doc.sender_addresses if "@" in a}):
            entry.add_text("sender_domain", domain)
        entry.add_text("meta", doc.meta)
        entry.add_integer("page_count", len(doc.pages) if doc.pages is not None else 0)
        entry.add_integer("size", int(doc.size))
        for source in sorted(set(doc.sources)):
            entry.add_text("source", source)
        if doc.date is not None:
            entry.add_date("date", doc.date)
            entry.add_integer("year", doc.date.year)
        entry.add_text("text", full_text)
        entry.add_text(analysis.stemmed_field("text", language), full_text)
        if not paged:
            entry.add_bytes("body", full_text.encode("utf-8"))
        entry.add_integer("page", 0)
        entry.add_text("ocr", "yes" if doc.ocr_pages else "no")
        entry.add_text("quotes", "yes" if doc.unquoted is not None else "no")
        if doc.unquoted is not None:
            entry.add_text(ranking.UNQUOTED, doc.unquoted)
        _add_entities(entry, doc.entities)
        if doc.cluster is not None:
            entry.add_integer("cluster", doc.cluster)
        writer.add_document(entry)
        if paged:
            for number, page_text in enumerate(doc.pages or [], start=1):
                page = self._common(doc, "page")
                page.add_text("text", page_text)
                page.add_text(analysis.stemmed_field("text", language), page_text)
                page.add_bytes("body", page_text.encode("utf-8"))
                page.add_integer("page", number)
                page.add_text("ocr", "yes" if number in doc.ocr_pages else "no")
                writer.add_document(page)

    def _common(self, doc: IndexDocument, kind: str) -> tantivy.Document:
        entry = tantivy.Document()
        entry.add_text("id", _entry_id(doc))
        entry.add_text("view", doc.view)
        entry.add_text("kind", kind)
        entry.add_text("dataset", doc.dataset)
        entry.add_text("family", doc.family)
        entry.add_text("mime", doc.mime)
        entry.add_text("status", doc.status)
        entry.add_text("language", doc.language or "")
        entry.add_text("parent_id", doc.parent_id or "")
        return entry

    def delete(self, doc_id: str) -> None:
        """Both views of a document."""
        self._require_writer().delete_documents_by_term("id", doc_id)
        self._require_writer().delete_documents_by_term("id", doc_id + REDACTED_SUFFIX)

    def delete_dataset(self, dataset: str) -> None:
        self._require_writer().delete_documents_by_term("dataset", dataset)

    def delete_view(self, dataset: str, view: str) -> None:
        self._require_writer().delete_documents_by_query(Query.boolean_query([
            (Occur.Must, Query.term_query(self.schema, "dataset", dataset)),
            (Occur.Must, Query.term_query(self.schema, "view", view))]))

    def commit(self) -> None:
        self._require_writer().commit()
        self.index.reload()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def _require_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            raise RuntimeError("index opened read-only")
        return self._writer

    # -- rows of structured tables ------------------------------------------------------------
    # A row entry holds only what search and its filters need: the row's address (table_id,
    # row), dataset, source, table name and its cells (indexed, not stored: the cells are in
    # tables.sqlite, where the page that shows a hit reads them). ~100k rows/s to add.
    def add_row(self, row: RowEntry) -> None:
        entry = tantivy.Document()
        entry.add_text("kind", "row")
        entry.add_text("view", row.view)
        entry.add_text("dataset", row.dataset)
        entry.add_text("source", row.source)
        entry.add_text("table", row.table)
        entry.add_text("table_id", str(row.table_id))
        entry.add_text("cells", row.cells)
        entry.add_integer("row", row.row)
        _add_entities(entry, row.entities)
        if row.date is not None:
            entry.add_date("date", row.date)
            entry.add_integer("year", row.date.year)
        self._require_writer().add_document(entry)

    def delete_table_rows(self, table_id: int) -> None:
        self._require_writer().delete_documents_by_term("table_id", str(table_id))

    def match_rows(self, text: str, table_id: int, limit: int, view: str = "full"
                   ) -> tuple[list[int], int]:
        """The first `limit` numbers (in file order) of the rows of one table whose cells
        match `text` in one view, and how many match in all. Ordered by the `row` fast
        field, whose values come back in place of scores: no stored document is read."""
        searcher = self._searcher()
        query, _warnings, _relaxed = self._row_query(text)
        scope = Query.boolean_query([
            (Occur.Must, Query.term_query(self.schema, "kind", "row")),
            (Occur.Must, Query.term_query(self.schema, "view", view)),
            (Occur.Must, Query.term_query(self.schema, "table_id", str(table_id)))])
        full = self._and(query, scope) if query is not None else scope
        found = searcher.search(full, limit=max(limit, 1), count=True, order_by_field="row",
                                order=tantivy.Order.Asc)
        return [int(row) for row, _address in found.hits[:limit]], found.count

    def _row_query(self, text: str) -> tuple[Query | None, list[str], bool]:
        """Rows are matched by their cells (every word, as typed: no stemming, no feedback)
        and the raw fields a user may name (table:, source:, dataset:)."""
        text = (text or "").strip()
        if not text or text == "*":
            return None, [], False
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
        parsed, errors = self.index.parse_query_lenient(
            _row_prefixes(_map_field_names(text)), ["cells"], conjunction_by_default=True,
            allow_regexes=True)
        warnings = [str(e) for e in errors]
        query_syntax.refuse_negation_only(text, warnings)
        return parsed, warnings, False

    # -- reading ------------------------------------------------------------------------------
    def count(self, datasets: list[str] | None = None) -> int:
        searcher = self._searcher()
        query = self._filters(SearchQuery(datasets=datasets))
        return searcher.search(query, limit=1, count=True).count

    def search(self, query: SearchQuery) -> IndexResult:
        searcher = self._searcher()
        text_query, warnings, relaxed = self._row_query(query.text) \
            if query.record == "rows" else self._text_query(query.text, searcher, query)
        full = self._and(text_query, self._filters(query)) if text_query else \
            self._filters(query)
        kwargs = {}
        if query.sort in ("date_desc", "date_asc"):
            kwargs["order_by_field"] = "date"
            kwargs["order"] = tantivy.Order.Desc if query.sort == "date_desc" else \
                tantivy.Order.Asc
        facets, dates = self._facets(searcher, full, query)
        if query.collapse and query.record != "rows":
            result = self._collapsed(searcher, full, text_query, query, kwargs, facets,
                                     warnings, relaxed)
        else:
            # Tantivy panics on a limit of 0: ask for one and drop it (a count-only query).
            found = searcher.search(full, limit=max(query.limit, 1), count=True,
                                    offset=max(query.offset, 0), **kwargs)
            hits = [self._hit(searcher, text_query, score, address, query)
                    for score, address in found.hits[:max(query.limit, 0)]]
            result = IndexResult(found.count, hits, facets, warnings, relaxed)
        if query.histogram:
            documents = result.documents if result.documents is not None else result.total
            result.histogram = self._histogram(searcher, full, query, dates, documents)
        return result

    def _histogram(self, searcher: tantivy.Searcher, full: Query, query: SearchQuery,
                   dates: dict, documents: int) -> DateHistogram:
        """The results by date: their first and last dates came with the facets (a stats
        aggregation in the same pass); one more pass counts them per calendar bucket, and
        per top source when asked (a terms aggregation with the same buckets inside).
        Days are Tantivy's `date_histogram` (a fixed interval of 1d is a UTC day); months
        and years are a `range` aggregation on the same fast field, because Tantivy's
        date_histogram has fixed intervals only (no calendar month or year)."""
        dated = int(dates.get("count") or 0)
        asked = query.histogram or "auto"
        if not dated:
            interval = histogram_interval(EARLIEST, EARLIEST, asked)
            return DateHistogram(interval, undated=documents)
        first, last = _from_nanos(dates["min"]), _from_nanos(dates["max"])
        interval = histogram_interval(first, last, asked)
        bounds = calendar_buckets(first, last, interval)
        if interval == "day":
            spec: dict = {"date_histogram": {"field": "date", "fixed_interval": "1d",
                                             "min_doc_count": 1}}
        else:
            spec = {"range": {"field": "date", "ranges": [
                {"key": str(i), "from": _nanos(start), "to": _nanos(end)}
                for i, (start, end) in enumerate(bounds)]}}
        wanted = {"h": spec}
        if query.histogram_sources > 0:
            wanted["s"] = {"terms": {"field": "source", "size": query.histogram_sources},
                           "aggs": {"h": spec}}
        raw = searcher.aggregate(full, wanted)
        sources = [(str(b["key"]), _date_buckets(b.get("h", {}), bounds, interval))
                   for b in raw.get("s", {}).get("buckets", []) if str(b["key"]) != ""]
        return DateHistogram(interval, _date_buckets(raw.get("h", {}), bounds, interval),
                             undated=max(documents - dated, 0), sources=sources)

    def more_like(self, text: str, language: str | None, exclude: list[str],
                  query: SearchQuery) -> list[IndexHit]:
        """The documents most like `text` by the index's own term statistics: the
        `MLT_TERMS` stems of the text (in its language's stemmed field) of highest tf-idf,
        each in at least two documents, as one optional-terms query ranked by BM25, within
        the filters of `query` (its views: the datasets the caller reads, each in its view),
        leaving out the ids `exclude` (the document itself, its near-copies). Tantivy's own
        MoreLikeThis query panics on an index with deleted entries (document frequencies
        above the live count), which every re-indexed document leaves."""
        searcher = self._searcher()
        field = analysis.stemmed_field("text", analysis.document_language(language))
        counts = Counter(t for t in analysis.stems(text[:MLT_CHARS],
                                                   analysis.document_language(language))
                         if len(t) >= 3 and not t.isdigit())
        total = max(searcher.num_docs, 1)
        weights = []
        for term, tf in counts.most_common(MLT_TERMS * 8):
            df = searcher.doc_freq(field, term)
            if df >= 2:  # in one document only: a name or a typo, not what it is about
                weights.append((tf * math.log(1 + total / df), term))
        weights = sorted(weights, reverse=True)[:MLT_TERMS]
        if not weights:
            return []
        best = weights[0][0]
        like = Query.boolean_query([
            (Occur.Should, Query.boost_query(Query.term_query(self.schema, field, term),
                                             weight / best)) for weight, term in weights])
        clauses = [(Occur.Must, like), (Occur.Must, self._filters(query))]
        ids = [i for doc_id in exclude for i in (doc_id, doc_id + REDACTED_SUFFIX)]
        if ids:
            clauses.append((Occur.MustNot, self._any_of("id", ids)))
        found = searcher.search(Query.boolean_query(clauses), limit=max(query.limit, 1),
                                count=False)
        return [self._hit(searcher, None, score, address, query)
                for score, address in found.hits[:query.limit]]

    def _collapsed(self, searcher: tantivy.Searcher, full: Query, text_query: Query | None,
                   query: SearchQuery, kwargs: dict, facets: dict[str, list[tuple[str, int]]],
                   warnings: list[str], relaxed: bool) -> IndexResult:
        """One hit per cluster of near-copies, its best-ranked matching document. The index
        counts: the documents without a cluster plus the distinct clusters (a cardinality
        aggregation, exact up to thousands), and each shown cluster's matching documents
        (a terms aggregation on them). The ranked results are read in growing batches,
        each hit's cluster from its stored entry, until the page is filled."""
        documents = searcher.search(full, limit=1, count=True).count
        alone = searcher.search(Query.boolean_query([
            (Occur.Must, full), (Occur.MustNot, Query.exists_query("cluster"))]),
            limit=1, count=True).count
        clusters = searcher.aggregate(full, {"c": {"cardinality": {"field": "cluster"}}})
        total = alone + round(clusters.get("c", {}).get("value") or 0)
        wanted = max(query.offset, 0) + max(query.limit, 0)
        seen: set[int] = set()
        kept: list[tuple[float, tantivy.DocAddress, int | None]] = []
        batch, start = max(wanted * 2, 20), 0
        while len(kept) < wanted and start < documents:
            found = searcher.search(full, limit=batch, offset=start, count=False, **kwargs)
            for score, address in found.hits:
                cluster = _first(searcher.doc(address), "cluster")
                if cluster is not None and cluster in seen:
                    continue
                if cluster is not None:
                    seen.add(cluster)
                kept.append((score, address, cluster))
                if len(kept) >= wanted:
                    break
            start, batch = start + batch, batch * 2
        page = kept[max(query.offset, 0):wanted]
        shown = sorted({c for _s, _a, c in page if c is not None})
        matches: dict[int, int] = {}
        if shown:
            raw = searcher.aggregate(self._and(full, Query.term_set_query(
                self.schema, "cluster", shown)), {"c": {"terms": {"field": "cluster",
                                                                   "size": len(shown)}}})
            matches = {int(_bucket_key(b["key"])): int(b["doc_count"])
                       for b in raw.get("c", {}).get("buckets", [])}
        hits = []
        for score, address, cluster in page:
            hit = self._hit(searcher, text_query, score, address, query)
            hit.cluster_matches = matches.get(cluster, 1) if cluster is not None else 1
            hits.append(hit)
        return IndexResult(total, hits, facets, warnings, relaxed, documents=documents)

    def _searcher(self) -> tantivy.Searcher:
        with self._lock:
            self.index.reload()
            return self.index.searcher()

    def _text_query(self, text: str, searcher: tantivy.Searcher,
                    query: SearchQuery) -> tuple[Query | None, list[str], bool]:
        """The query of the typed text; without quotes, it matches a message that quotes
        something by its own text only (the "unquoted" field), the others as usual."""
        found, warnings, relaxed = self._fields_query(text, searcher, query, False)
        if found is None or not query.no_quotes:
            return found, warnings, relaxed
        own, _warnings, _relaxed = self._fields_query(text, searcher, query, True)
        quotes = (lambda v: Query.term_query(self.schema, "quotes", v))  # noqa: E731
        either = [(Occur.Should, self._and(found, Query.boolean_query(
            [(Occur.Must, Query.all_query()), (Occur.MustNot, quotes("yes"))])))]
        if own is not None:
            either.append((Occur.Should, self._and(own, quotes("yes"))))
        return Query.boolean_query(either), warnings, relaxed

    def _fields_query(self, text: str, searcher: tantivy.Searcher, query: SearchQuery,
                      unquoted: bool) -> tuple[Query | None, list[str], bool]:
        text = (text or "").strip()
        if not text or text == "*":
            return None, [], False
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
        plain = ranking.without_word_hyphens(text)
        if is_plain_words(plain):
            # Plain words: ranked by ranking.plain_words_query (stemming, proximity, every
            # word required only for short queries, feedback for long ones).
            ranked, relaxed = ranking.plain_words_query(self.index, searcher, plain,
                                                        self._filters(query), unquoted)
            if ranked is not None:
                return ranked, [], relaxed
        rewritten = query_syntax.rewrite(
            _map_field_names(query_syntax.expand_addresses(text)), searcher)
        # A "quoted phrase" asks for the words as typed: the exact fields only then.
        fields, boosts = ranking.search_fields(analysis.query_languages(rewritten),
                                               stemmed='"' not in rewritten,
                                               unquoted=unquoted)
        parsed, errors = self.index.parse_query_lenient(
            rewritten, fields, field_boosts=boosts, conjunction_by_default=True,
            allow_regexes=True)
        warnings = [str(e) for e in errors]
        query_syntax.refuse_negation_only(text, warnings)
        return parsed, warnings, False

    def _filters(self, query: SearchQuery) -> Query:
        clauses: list[tuple[Occur, Query]] = [
            (Occur.Must, Query.term_query(self.schema, "kind",
                                          "row" if query.record == "rows" else "doc"))]
        clauses.append((Occur.Must, self._views(query.views)))
        if query.datasets is not None:
            clauses.append((Occur.Must, self._any_of("dataset", query.datasets)))
        for facet, values in query.filters.items():
            field_name = FACET_FIELDS.get(facet)
            if field_name is None:
                raise QueryError(f"unknown filter: {facet}")
            if values:
                clauses.append((Occur.Must, self._any_of(field_name, values)))
        for facet, value in query.required:
            field_name = FACET_FIELDS.get(facet)
            if field_name is None:
                raise QueryError(f"unknown filter: {facet}")
            clauses.append((Occur.Must, self._any_of(field_name, [value])))
        for ids in query.among:
            clauses.append((Occur.Must, self._entries(ids, query.record)))
        if query.excluded:
            clauses.append((Occur.MustNot, self._entries(query.excluded, query.record)))
        if query.date_from or query.date_to:
            clauses.append((Occur.Must, Query.range_query(
                self.schema, "date", tantivy.FieldType.Date,
                query.date_from or EARLIEST, query.date_to or LATEST)))
        return Query.boolean_query(clauses)

    def _entries(self, ids: list[str], record: str) -> Query:
        """The entries of these ids: documents by their id (and their redacted twins', which
        the views keep apart), rows (`row:TABLE:ROW`) by table and row number."""
        if record != "rows":
            return Query.term_set_query(self.schema, "id", [
                i for doc_id in ids for i in (str(doc_id), str(doc_id) + REDACTED_SUFFIX)])
        by_table: dict[str, list[int]] = {}
        for entry in ids:
            _row, table_id, number = (str(entry).split(":") + ["", ""])[:3]
            if table_id.isdigit() and number.isdigit():
                by_table.setdefault(table_id, []).append(int(number))
        if not by_table:
            return Query.term_query(self.schema, "view", "none")
        # `row` is a fast field, not an indexed one: each number is a range of one, which
        # Tantivy answers from the fast field (a tag names a few rows, not millions).
        return Query.boolean_query([(Occur.Should, self._and(
            Query.term_query(self.schema, "table_id", table_id),
            Query.boolean_query([(Occur.Should, Query.range_query(
                self.schema, "row", tantivy.FieldType.Integer, n, n))
                for n in sorted(set(numbers))])))
            for table_id, numbers in sorted(by_table.items())])

    def count_within(self, query: SearchQuery, sets: dict[str, list[str]]) -> dict[str, int]:
        """How many results of `query` are in each named set of entry ids (the tag facet:
        search/annotations.py). Documents: one terms aggregation on `id` within the union of
        the sets gives the matching ids, counted per set here; rows (no `id`), or a union
        past COUNT_WITHIN_TERMS: one count per set. The query's text is parsed once."""
        searcher = self._searcher()
        text_query, _warnings, _relaxed = self._row_query(query.text) \
            if query.record == "rows" else self._text_query(query.text, searcher, query)
        full = self._and(text_query, self._filters(query)) if text_query else \
            self._filters(query)
        union = sorted({str(i) for ids in sets.values() for i in ids})
        if query.record != "rows" and 0 < len(union) <= COUNT_WITHIN_TERMS:
            raw = searcher.aggregate(self._and(full, self._entries(union, query.record)),
                                     {"ids": {"terms": {"field": "id", "size": len(union)}}})
            matched = {str(b["key"]) for b in raw.get("ids", {}).get("buckets", [])}
            return {name: sum(1 for i in set(ids) if str(i) in matched)
                    for name, ids in sets.items()}
        return {name: searcher.search(self._and(full, self._entries(ids, query.record)),
                                      limit=1, count=True).count if ids else 0
                for name, ids in sets.items()}

    def _views(self, views: dict[str, str] | None) -> Query:
        """Each dataset in the view the caller reads it in: (dataset in F and view=full) or
        (dataset in R and view=redacted). No views at all: nothing matches."""
        if views is None:
            return Query.term_query(self.schema, "view", "full")
        either = []
        for view in ("full", "redacted"):
            names = sorted(name for name, v in views.items() if v == view)
            if names:
                either.append((Occur.Should, Query.boolean_query([
                    (Occur.Must, Query.term_query(self.schema, "view", view)),
                    (Occur.Must, self._any_of("dataset", names))])))
        if not either:
            return Query.term_query(self.schema, "view", "none")
        return Query.boolean_query(either)

    def _any_of(self, field_name: str, values: list[str]) -> Query:
        if field_name == "year":
            return self._years(values)
        if field_name == "cluster":
            if not all(str(v).isdigit() for v in values):
                raise QueryError("a cluster is a whole number")
            return Query.term_set_query(self.schema, field_name, [int(v) for v in values])
        return Query.term_set_query(self.schema, field_name, [str(v) for v in values])

    def _years(self, values: list[str]) -> Query:
        """Any of these years; UNKNOWN_YEAR is what has no date (so no year field)."""
        terms = []
        for value in values:
            if value == UNKNOWN_YEAR:
                continue
            if not str(value).lstrip("-").isdigit():
                raise QueryError(f"year must be a number, not {value!r}")
            terms.append(int(value))
        dated = Query.term_set_query(self.schema, "year", terms)
        if UNKNOWN_YEAR not in values:
            return dated
        undated = Query.boolean_query([(Occur.Must, Query.all_query()),
                                       (Occur.MustNot, Query.exists_query("year"))])
        return Query.boolean_query([(Occur.Should, dated), (Occur.Should, undated)]) \
            if terms else undated

    @staticmethod
    def _and(*queries: Query) -> Query:
        return Query.boolean_query([(Occur.Must, q) for q in queries])

    def _hit(self, searcher: tantivy.Searcher, text_query: Query | None, score: float,
             address: tantivy.DocAddress, query: SearchQuery) -> IndexHit:
        doc = searcher.doc(address)
        if query.record == "rows":
            return _row_hit(doc, score)
        page_count = _first(doc, "page_count") or 0
        pages: list[int] = []
        snippet = Snippet("")
        if page_count > 1 and text_query is not None:
            pages, snippet = self._best_pages(searcher, text_query, doc, query.pages_per_hit)
        elif text_query is not None:
            snippet = _snippet(searcher, text_query, self.schema, doc)
        if not snippet.text:  # no words to show in context: the start of the text
            body = _body(doc) if page_count <= 1 else self._page_body(searcher, doc, 1)
            snippet = Snippet(body[:SNIPPET_CHARS])
        date = _first(doc, "date")
        return IndexHit(
            cluster=_first(doc, "cluster"),
            id=_first(doc, "id").removesuffix(REDACTED_SUFFIX),
            score=float(score) if isinstance(score, float) else 0.0,
            dataset=_first(doc, "dataset"), title=_first(doc, "title", ""),
            path=_first(doc, "path", ""), family=_first(doc, "family", ""),
            mime=_first(doc, "mime", ""), status=_first(doc, "status", ""),
            snippet=snippet, page=pages[0] if pages else None, pages=pages,
            date=date if isinstance(date, datetime) else None, size=_first(doc, "size") or 0)

    def _best_pages(self, searcher: tantivy.Searcher, text_query: Query, doc: tantivy.Document,
                    limit: int) -> tuple[list[int], Snippet]:
        on_pages = Query.boolean_query([
            (Occur.Must, text_query),
            (Occur.Must, Query.term_query(self.schema, "id", _first(doc, "id"))),
            (Occur.Must, Query.term_query(self.schema, "kind", "page"))])
        found = searcher.search(on_pages, limit=max(limit, 1), count=False)
        pages, snippet = [], Snippet("")
        for _, address in found.hits:
            page_doc = searcher.doc(address)
            pages.append(_first(page_doc, "page"))
            if not snippet.text:
                snippet = _snippet(searcher, text_query, self.schema, page_doc)
        return pages, snippet

    def _page_body(self, searcher: tantivy.Searcher, doc: tantivy.Document,
                   number: int) -> str:
        page = Query.boolean_query([
            (Occur.Must, Query.term_query(self.schema, "id", _first(doc, "id"))),
            (Occur.Must, Query.term_query(self.schema, "kind", "page")),
            (Occur.Must, Query.term_query(self.schema, "page", number))])
        found = searcher.search(page, limit=1, count=False)
        return _body(searcher.doc(found.hits[0][1])) if found.hits else ""

    def _facets(self, searcher: tantivy.Searcher, full: Query, query: SearchQuery
                ) -> tuple[dict[str, list[tuple[str, int]]], dict]:
        """The facets' counts and, for a histogram, the results' date statistics (count,
        first and last), in one pass of the aggregations."""
        spec: dict = {"_dates": {"stats": {"field": "date"}}} if query.histogram else {}
        for facet in query.facets:
            field_name = FACET_FIELDS.get(facet)
            if field_name is None:
                raise QueryError(f"unknown facet: {facet}")
            spec[facet] = {"terms": {"field": field_name, "size": query.facet_size}}
            if facet == "year":  # no date, so no year: counted as year 0, no real year
                spec[facet]["terms"]["missing"] = NO_YEAR
        if not spec:
            return {}, {}
        raw = searcher.aggregate(full, spec)
        out: dict[str, list[tuple[str, int]]] = {}
        for facet in query.facets:
            buckets = raw.get(facet, {}).get("buckets", [])
            out[facet] = [(_facet_value(facet, b["key"]), int(b["doc_count"]))
                          for b in buckets if str(b["key"]) != ""]
        return out, raw.get("_dates") or {}


def _nanos(moment: datetime) -> int:
    """A date as the date fast field holds it (nanoseconds since 1970: a range
    aggregation's bounds are in that unit; whole seconds, so exact as the float it becomes)."""
    return int(moment.timestamp()) * 1_000_000_000


def _from_nanos(value: float) -> datetime:
    return datetime.fromtimestamp(value / 1e9, tz=UTC)


def _date_buckets(raw: dict, bounds: list[tuple[datetime, datetime]], interval: str
                  ) -> list[DateBucket]:
    """Every bucket of `bounds`, with its count from a range aggregation (keyed by the
    bucket's number) or a date histogram (keyed by its start in milliseconds)."""
    counts: dict[str, int] = {}
    for b in raw.get("buckets", []):
        key = b["key"]
        if interval == "day":
            key = str(int(key) // 1000)
        counts[str(key)] = int(b["doc_count"])
    return [DateBucket(start, end, counts.get(
        str(int(start.timestamp())) if interval == "day" else str(i), 0))
        for i, (start, end) in enumerate(bounds)]


def _bucket_key(key: object) -> object:
    if isinstance(key, float) and key.is_integer():
        return int(key)
    return key


def _facet_value(facet: str, key: object) -> str:
    value = _bucket_key(key)
    return UNKNOWN_YEAR if facet == "year" and value == NO_YEAR else str(value)


_ROW_PREFIX = re.compile(r'"[^"]*"|(?<![\w:])(\w{2,})\*(?=[\s()]|$)')


def _row_prefixes(text: str) -> str:
    """`protes*` in a search of rows: a regular expression on the cells, folded as the
    index folds words (query_syntax.py does the same for documents' fields)."""
    def replace(match: re.Match[str]) -> str:
        if match.group(0).startswith('"'):
            return match.group(0)
        word = unicodedata.normalize("NFKD", match.group(1).lower())
        word = "".join(c for c in word if not unicodedata.combining(c))
        return f"cells:/{re.escape(word)}.*/"
    return _ROW_PREFIX.sub(replace, text)


def _row_hit(doc: tantivy.Document, score: object) -> IndexHit:
    """A row: its address and table; the cells to show are read from tables.sqlite."""
    date = _first(doc, "date")
    return IndexHit(
        id=f"row:{_first(doc, 'table_id')}:{_first(doc, 'row')}",
        score=float(score) if isinstance(score, float) else 0.0,
        dataset=_first(doc, "dataset", ""), title=_first(doc, "table", ""), path="",
        family="table", mime="", status="indexed", snippet=Snippet(""),
        date=date if isinstance(date, datetime) else None, record="row",
        table_id=int(_first(doc, "table_id", "0") or 0), row=_first(doc, "row"))


def _entry_id(doc: IndexDocument) -> str:
    return doc.id + REDACTED_SUFFIX if doc.view == "redacted" else doc.id


def _first(doc: tantivy.Document, field_name: str, default: object = None):
    values = doc.get_all(field_name)
    return values[0] if values else default


def _body(doc: tantivy.Document) -> str:
    body = _first(doc, "body")
    return bytes(body).decode("utf-8", "replace") if body is not None else ""


def _snippet(searcher: tantivy.Searcher, text_query: Query, schema: tantivy.Schema,
             doc: tantivy.Document) -> Snippet:
    # The stemmed field of the document's language first, so that "computers" highlights
    # "computing"; then the exact field, where phrases, prefixes and fuzzy terms are.
    stemmed = analysis.stemmed_field("text", analysis.document_language(
        _first(doc, "language") or None))
    body = _body(doc)
    snippet = Snippet("")
    for field_name in (stemmed, "text"):
        generator = tantivy.SnippetGenerator.create(searcher, text_query, schema, field_name)
        generator.set_max_num_chars(SNIPPET_CHARS)
        # The text is stored in "body" (not indexed); the generator reads the field it
        # highlights, analysed as that field is.
        shown = tantivy.Document()
        shown.add_text(field_name, body)
        found = generator.snippet_from_doc(shown)
        fragment = found.fragment()
        snippet = Snippet(fragment, _char_ranges(fragment, found.highlighted()))
        if snippet.highlights:
            break
    return snippet


def _char_ranges(text: str, ranges: list) -> list[tuple[int, int]]:
    """Tantivy gives UTF-8 byte offsets; Snippet promises character offsets."""
    spans = sorted((r.start, r.end) for r in ranges)
    if text.isascii():
        return [(a, b) for a, b in spans if 0 <= a <= b <= len(text)]
    data = text.encode("utf-8")
    return [(len(data[:a].decode("utf-8", "ignore")), len(data[:b].decode("utf-8", "ignore")))
            for a, b in spans if 0 <= a <= b <= len(data)]


_FIELD_RE = re.compile(r"(?<![\w.])([A-Za-z_]+):(?=\S)")


def _map_field_names(text: str) -> str:
    """Turn public field names (`type:`, `from:`) into index fields; leave the rest alone."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        target = FIELD_ALIASES.get(name)
        return f"{target}:" if target else match.group(0)
    return _FIELD_RE.sub(replace, text)
