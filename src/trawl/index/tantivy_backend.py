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

import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from trawl.index.base import (
    FIELD_ALIASES,
    IndexDocument,
    IndexHit,
    IndexResult,
    QueryError,
    SearchQuery,
    Snippet,
)

ANALYZER = "trawl"
# Index fields behind each public facet name.
FACET_FIELDS = {"dataset": "dataset", "source": "source", "type": "family", "year": "year",
                "language": "language", "status": "status", "mime": "mime"}
DEFAULT_FIELDS = ["title", "text", "path", "sender", "recipients", "meta"]
FIELD_BOOSTS = {"title": 2.0, "path": 1.5, "sender": 1.2, "recipients": 1.2}
SNIPPET_CHARS = 240
MAX_QUERY_CHARS = 2000


def _analyzer() -> tantivy.TextAnalyzer:
    # Lower case and ASCII folding so that "Café" finds "cafe"; very long tokens (base64,
    # hashes) are dropped rather than bloating the term dictionary.
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(64))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )


def build_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    for name in ("id", "kind", "dataset", "source", "family", "mime", "status", "language",
                 "parent_id"):
        b.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    for name in ("title", "path", "sender", "recipients"):
        b.add_text_field(name, stored=True, tokenizer_name=ANALYZER)
    for name in ("text", "meta"):
        b.add_text_field(name, stored=False, tokenizer_name=ANALYZER)
    b.add_bytes_field("body", stored=True, indexed=False)
    b.add_integer_field("page", stored=True, indexed=True, fast=True)
    b.add_integer_field("page_count", stored=True)
    b.add_integer_field("year", stored=True, indexed=True, fast=True)
    b.add_integer_field("size", stored=True, fast=True)
    b.add_date_field("date", stored=True, indexed=True, fast=True)
    return b.build()


class TantivyIndex:
    """An `IndexBackend` over a Tantivy index in a folder."""

    def __init__(self, path: Path, writable: bool = False, heap_mb: int = 256) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.index.register_tokenizer(ANALYZER, _analyzer())
        self._writer = self.index.writer(heap_size=heap_mb * 1024 * 1024, num_threads=1) \
            if writable else None
        self._lock = threading.Lock()

    # -- writing ------------------------------------------------------------------------------
    def add(self, doc: IndexDocument) -> None:
        writer = self._require_writer()
        writer.delete_documents_by_term("id", doc.id)
        paged = doc.pages is not None and len(doc.pages) > 1
        full_text = "\n".join(doc.pages) if doc.pages is not None else doc.text
        entry = self._common(doc, "doc")
        entry.add_text("title", doc.title or "")
        for path in doc.paths or [doc.path]:
            entry.add_text("path", path)
        entry.add_text("sender", doc.sender)
        entry.add_text("recipients", doc.recipients)
        entry.add_text("meta", doc.meta)
        entry.add_integer("page_count", len(doc.pages) if doc.pages is not None else 0)
        entry.add_integer("size", int(doc.size))
        for source in sorted(set(doc.sources)):
            entry.add_text("source", source)
        if doc.date is not None:
            entry.add_date("date", doc.date)
            entry.add_integer("year", doc.date.year)
        entry.add_text("text", full_text)
        if not paged:
            entry.add_bytes("body", full_text.encode("utf-8"))
        entry.add_integer("page", 0)
        writer.add_document(entry)
        if paged:
            for number, page_text in enumerate(doc.pages or [], start=1):
                page = self._common(doc, "page")
                page.add_text("text", page_text)
                page.add_bytes("body", page_text.encode("utf-8"))
                page.add_integer("page", number)
                writer.add_document(page)

    def _common(self, doc: IndexDocument, kind: str) -> tantivy.Document:
        entry = tantivy.Document()
        entry.add_text("id", doc.id)
        entry.add_text("kind", kind)
        entry.add_text("dataset", doc.dataset)
        entry.add_text("family", doc.family)
        entry.add_text("mime", doc.mime)
        entry.add_text("status", doc.status)
        entry.add_text("language", doc.language or "")
        entry.add_text("parent_id", doc.parent_id or "")
        return entry

    def delete(self, doc_id: str) -> None:
        self._require_writer().delete_documents_by_term("id", doc_id)

    def delete_dataset(self, dataset: str) -> None:
        self._require_writer().delete_documents_by_term("dataset", dataset)

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

    # -- reading ------------------------------------------------------------------------------
    def count(self, datasets: list[str] | None = None) -> int:
        searcher = self._searcher()
        query = self._filters(SearchQuery(datasets=datasets))
        return searcher.search(query, limit=0, count=True).count

    def search(self, query: SearchQuery) -> IndexResult:
        searcher = self._searcher()
        text_query, warnings, relaxed = self._text_query(query.text, searcher, query)
        full = self._and(text_query, self._filters(query)) if text_query else \
            self._filters(query)
        kwargs = {}
        if query.sort in ("date_desc", "date_asc"):
            kwargs["order_by_field"] = "date"
            kwargs["order"] = tantivy.Order.Desc if query.sort == "date_desc" else \
                tantivy.Order.Asc
        found = searcher.search(full, limit=max(query.limit, 0), count=True,
                                offset=max(query.offset, 0), **kwargs)
        hits = [self._hit(searcher, text_query, score, address, query)
                for score, address in found.hits]
        facets = self._facets(searcher, full, query) if query.facets else {}
        return IndexResult(found.count, hits, facets, warnings, relaxed)

    def _searcher(self) -> tantivy.Searcher:
        with self._lock:
            self.index.reload()
            return self.index.searcher()

    def _text_query(self, text: str, searcher: tantivy.Searcher,
                    query: SearchQuery) -> tuple[Query | None, list[str], bool]:
        text = (text or "").strip()
        if not text or text == "*":
            return None, [], False
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
        text = _map_field_names(text)
        parsed, errors = self.index.parse_query_lenient(
            text, DEFAULT_FIELDS, field_boosts=FIELD_BOOSTS, conjunction_by_default=True)
        warnings = [str(e) for e in errors]
        if _is_plain_words(text) and len(text.split()) > 1:
            # Every word first; when no document has them all, any of them, best first.
            probe = searcher.search(self._and(parsed, self._filters(query)), limit=0,
                                    count=True)
            if probe.count == 0:
                loose, _ = self.index.parse_query_lenient(
                    text, DEFAULT_FIELDS, field_boosts=FIELD_BOOSTS,
                    conjunction_by_default=False)
                return loose, warnings, True
        return parsed, warnings, False

    def _filters(self, query: SearchQuery) -> Query:
        clauses: list[tuple[Occur, Query]] = [
            (Occur.Must, Query.term_query(self.schema, "kind", "doc"))]
        if query.datasets is not None:
            clauses.append((Occur.Must, self._any_of("dataset", query.datasets)))
        for facet, values in query.filters.items():
            field_name = FACET_FIELDS.get(facet)
            if field_name is None:
                raise QueryError(f"unknown filter: {facet}")
            if values:
                clauses.append((Occur.Must, self._any_of(field_name, values)))
        if query.date_from or query.date_to:
            clauses.append((Occur.Must, Query.range_query(
                self.schema, "date", tantivy.FieldType.Date,
                query.date_from or datetime(1, 1, 1, tzinfo=UTC),
                query.date_to or datetime(9999, 12, 31, tzinfo=UTC))))
        return Query.boolean_query(clauses)

    def _any_of(self, field_name: str, values: list[str]) -> Query:
        if field_name == "year":
            terms = []
            for value in values:
                if not str(value).lstrip("-").isdigit():
                    raise QueryError(f"year must be a number, not {value!r}")
                terms.append(int(value))
        else:
            terms = [str(v) for v in values]
        return Query.term_set_query(self.schema, field_name, terms)

    @staticmethod
    def _and(*queries: Query) -> Query:
        return Query.boolean_query([(Occur.Must, q) for q in queries])

    def _hit(self, searcher: tantivy.Searcher, text_query: Query | None, score: float,
             address: tantivy.DocAddress, query: SearchQuery) -> IndexHit:
        doc = searcher.doc(address)
        page_count = _first(doc, "page_count") or 0
        pages: list[int] = []
        snippet = Snippet("")
        if page_count > 1 and text_query is not None:
            pages, snippet = self._best_pages(searcher, text_query, doc, query.pages_per_hit)
        elif text_query is not None:
            snippet = _snippet(searcher, text_query, self.schema, doc)
        if not snippet.text:
            snippet = Snippet(_body(doc)[:SNIPPET_CHARS])
        date = _first(doc, "date")
        return IndexHit(
            id=_first(doc, "id"), score=float(score) if isinstance(score, float) else 0.0,
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

    def _facets(self, searcher: tantivy.Searcher, full: Query,
                query: SearchQuery) -> dict[str, list[tuple[str, int]]]:
        spec = {}
        for facet in query.facets:
            field_name = FACET_FIELDS.get(facet)
            if field_name is None:
                raise QueryError(f"unknown facet: {facet}")
            spec[facet] = {"terms": {"field": field_name, "size": query.facet_size}}
        raw = searcher.aggregate(full, spec)
        out: dict[str, list[tuple[str, int]]] = {}
        for facet in query.facets:
            buckets = raw.get(facet, {}).get("buckets", [])
            out[facet] = [(str(_bucket_key(b["key"])), int(b["doc_count"])) for b in buckets
                          if str(b["key"]) != ""]
        return out


def _bucket_key(key: object) -> object:
    if isinstance(key, float) and key.is_integer():
        return int(key)
    return key


def _first(doc: tantivy.Document, field_name: str, default: object = None):
    values = doc.get_all(field_name)
    return values[0] if values else default


def _body(doc: tantivy.Document) -> str:
    body = _first(doc, "body")
    return bytes(body).decode("utf-8", "replace") if body is not None else ""


def _snippet(searcher: tantivy.Searcher, text_query: Query, schema: tantivy.Schema,
             doc: tantivy.Document) -> Snippet:
    generator = tantivy.SnippetGenerator.create(searcher, text_query, schema, "text")
    generator.set_max_num_chars(SNIPPET_CHARS)
    # The text is stored in "body" (not indexed); the generator reads the field it highlights.
    shown = tantivy.Document()
    shown.add_text("text", _body(doc))
    found = generator.snippet_from_doc(shown)
    fragment = found.fragment()
    highlights = [(r.start, r.end) for r in found.highlighted()]
    return Snippet(fragment, highlights)


_FIELD_RE = re.compile(r"(?<![\w.])([A-Za-z_]+):(?=\S)")
_OPERATORS = re.compile(r'["*~:()\[\]^+\-]|\b(AND|OR|NOT)\b')


def _map_field_names(text: str) -> str:
    """Turn public field names (`type:`, `from:`) into index fields; leave the rest alone."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        target = FIELD_ALIASES.get(name)
        return f"{target}:" if target else match.group(0)
    return _FIELD_RE.sub(replace, text)


def _is_plain_words(text: str) -> bool:
    return not _OPERATORS.search(text)
