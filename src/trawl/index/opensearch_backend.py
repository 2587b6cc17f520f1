"""The index on OpenSearch (cluster mode, issue #18): the same IndexBackend as
tantivy_backend.py, with the same entries, fields and answers, on a service.

Layout, chosen to answer as the embedded index does:
* one OpenSearch index per Trawl data folder, named `PREFIX + folder name + hash of its
  path` (the prefix is configurable, so that several archives share a cluster);
* the entries are Tantivy's: a `kind=doc` entry per (dataset, content, view) with its
  metadata and whole text, and for a paged document one `kind=page` entry per page, under
  `ENTRY_ID/page/N`. Pages are entries of their own rather than `nested` objects: a nested
  document is limited to 10,000 objects (a 12,000-page PDF exists in BlueLeaks), is
  rewritten whole, and would need its own query shape to be counted apart; as separate
  entries totals and facets count `kind=doc` entries only, and the pages of the shown hits
  come from one `_msearch` round trip, as Tantivy's second, tiny query per paged hit;
* text fields are analysed as Tantivy's (analysis.py): the exact analyser (words of letters
  and digits, lower case, ASCII folding, long tokens dropped) on `text`, `title`, ...; the
  stemmed twins are sub-fields `text.en` / `text.fr` with Trawl's stop words and Snowball
  stems. Tantivy fills only the field of the document's language; here every entry is
  analysed both ways (sub-fields read the one source value: the text is stored once) and a
  stemmed clause is ANDed with `stem=LANGUAGE`, so a French document matches the French stems
  only, exactly as there. The cost is a second stemmed posting list per text;
* `refresh_interval: -1`: additions and deletions become visible only at `commit()` (one
  bulk with refresh=False, then one refresh), so readers see commits, as with Tantivy.

Queries: the reader's text is parsed by query_language.py into a tree and compiled here to
the DSL (bool / match / match_phrase / prefix / term); nothing typed reaches OpenSearch as
query text. Plain words follow ranking.py's rules (every word for short queries unless
none has them all, then any; a ranked disjunction past SHORT_QUERY_WORDS; a small
proximity bonus; Bo1 feedback for long queries). A fuzzy word is expanded into indexed
words by the engine's own rewrite, then searched as typed words are, as query_syntax.py
does for Tantivy. Scores are Lucene's BM25, not Tantivy's, and Lucene's Snowball English
is the older Porter2 (about 0.3 % of English words stem otherwise): the same documents
and totals, the same order where scores are far apart (tests/cluster/test_conformance.py
and docs/cluster.md say where they may differ). Not yet (each refused with a QueryError
that says so): rows, collapse, histograms, more-like-this, tag counts.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trawl.index import analysis, query_language, ranking
from trawl.index.base import (
    ENTITY_KINDS,
    UNKNOWN_YEAR,
    IndexDocument,
    IndexHit,
    IndexResult,
    QueryError,
    RowEntry,
    SearchQuery,
    Snippet,
)
from trawl.index.fields import (
    FACET_FIELDS,
    MESSAGE_FIELDS,
    NO_YEAR,
    REDACTED_SUFFIX,
    SNIPPET_CHARS,
    IndexOutdated,
    is_plain_words,
)
from trawl.index.query_language import And, Fuzzy, MatchAll, Node, Not, Or, Phrase, Prefix, Term
from trawl.index.query_syntax import FUZZY_FIELDS, MAX_EXPANSIONS, PREFIX_FIELDS
from trawl.language import STOP_WORDS

# Bump with any change of the mapping or analysers: an index built otherwise is rebuilt.
SCHEMA_VERSION = "1"
DEFAULT_PREFIX = "trawl-"
KEYWORDS = ("id", "kind", "dataset", "source", "family", "mime", "status", "language",
            "parent_id", "ocr", "table", "table_id", "view", "quotes", "stem",
            *MESSAGE_FIELDS.values(), "sender_domain",
            *(f"entity_{kind}" for kind in ENTITY_KINDS))
STEMMED_BASES = tuple(ranking.STEMMED)              # title, text: with .en / .fr sub-fields
EXACT_TEXTS = ("path", "sender", "recipients", "cc", "meta", ranking.UNQUOTED, "cells")
INTEGERS = ("page", "page_count", "row", "year")
# Highlight marks: private-use characters, which no extracted text is expected to hold.
MARK_ON, MARK_OFF = "\ue000", "\ue001"
DELETE_CHUNK = 1000          # ids per delete-by-query
BULK_CHUNK = 500             # entries per bulk request
NOT_YET = "not yet on the OpenSearch index (docs/cluster.md, Not yet): "


def index_name(data_dir: Path | str, prefix: str = DEFAULT_PREFIX) -> str:
    """The index of one data folder: readable (the folder's name) and unique (its path's
    hash), in the lower-case ASCII OpenSearch requires."""
    path = Path(data_dir).resolve()
    slug = re.sub(r"[^a-z0-9]+", "-", path.name.lower()).strip("-")[:40] or "data"
    digest = hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}{slug}-{digest}"


def settings(shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    """The index's analysers, mirroring analysis.py: Tantivy's simple tokenizer splits on
    every character that is not a letter or a digit; its long-token limit is in bytes (64),
    OpenSearch's length filter in characters (63: the same for ASCII)."""
    filters: dict[str, Any] = {
        "trawl_long": {"type": "length", "max": analysis.MAX_TOKEN_CHARS - 1}}
    analyzers: dict[str, Any] = {analysis.EXACT: {
        "type": "custom", "tokenizer": "trawl_words",
        "filter": ["trawl_long", "lowercase", "asciifolding"]}}
    for language, snowball in (("en", "English"), ("fr", "French")):
        filters[f"trawl_stop_{language}"] = {"type": "stop",
                                              "stopwords": sorted(STOP_WORDS[language])}
        filters[f"trawl_stem_{language}"] = {"type": "snowball", "language": snowball}
        analyzers[analysis.analyzer_name(language)] = {
            "type": "custom", "tokenizer": "trawl_words",
            "filter": ["trawl_long", "lowercase", f"trawl_stop_{language}",
                       f"trawl_stem_{language}", "asciifolding"]}
    return {"number_of_shards": shards, "number_of_replicas": replicas,
            "refresh_interval": "-1",
            "analysis": {"tokenizer": {"trawl_words": {"type": "pattern",
                                                       "pattern": r"[^\p{L}\p{N}]+"}},
                         "filter": filters, "analyzer": analyzers}}


def mappings() -> dict[str, Any]:
    exact = {"type": "text", "analyzer": analysis.EXACT}
    props: dict[str, Any] = {name: {"type": "keyword"} for name in KEYWORDS}
    props.update({name: dict(exact) for name in EXACT_TEXTS})
    for base in STEMMED_BASES:
        props[base] = {**exact, "fields": {
            language: {"type": "text", "analyzer": analysis.analyzer_name(language)}
            for language in analysis.LANGUAGES}}
    props.update({name: {"type": "integer"} for name in INTEGERS})
    props.update({"size": {"type": "long"}, "cluster": {"type": "long"},
                  "date": {"type": "date"}})
    return {"dynamic": "strict", "_meta": {"trawl_schema": SCHEMA_VERSION},
            "properties": props}


class OpenSearchIndex:
    """An `IndexBackend` on one OpenSearch index (see the module's docstring)."""

    def __init__(self, url: str, data_dir: Path | str, prefix: str = DEFAULT_PREFIX,
                 shards: int = 1, replicas: int = 0, timeout: int = 60) -> None:
        from opensearchpy import OpenSearch  # the `cluster` extra: only cluster mode needs it

        self.client = OpenSearch(url, timeout=timeout)
        self.name = index_name(data_dir, prefix)
        self._adds: dict[str, list[dict[str, Any]]] = {}   # entry id -> its bulk actions
        self._deletes: list[dict[str, Any]] = []            # queries, run before the adds
        self._ensure(shards, replicas)

    def _ensure(self, shards: int, replicas: int) -> None:
        if self.client.indices.exists(index=self.name):
            meta = self.client.indices.get_mapping(index=self.name)[self.name]["mappings"]
            found = (meta.get("_meta") or {}).get("trawl_schema")
            if found != SCHEMA_VERSION:
                raise IndexOutdated(f"the OpenSearch index {self.name} has schema version "
                                    f"{found}, this Trawl uses {SCHEMA_VERSION}: run "
                                    "`trawl reindex` to rebuild it")
            return
        self.client.indices.create(index=self.name, body={
            "settings": settings(shards, replicas), "mappings": mappings()})

    # -- writing ------------------------------------------------------------------------------
    def add(self, doc: IndexDocument) -> None:
        entry_id = _entry_id(doc)
        paged = doc.pages is not None and len(doc.pages) > 1
        full_text = "\n".join(doc.pages) if doc.pages is not None else doc.text
        source = self._common(doc, "doc")
        source.update({
            "title": doc.title or "", "path": list(doc.paths or [doc.path]),
            "sender": doc.sender, "recipients": doc.recipients, "cc": doc.cc,
            "meta": doc.meta, "text": full_text, "page": 0,
            "page_count": len(doc.pages) if doc.pages is not None else 0,
            "size": int(doc.size), "source": sorted(set(doc.sources)),
            "sender_address": list(doc.sender_addresses),
            "recipient_domain": list(doc.recipient_domains),
            "participant_domain": list(doc.domains),
            "sender_domain": sorted({a.rsplit("@", 1)[1] for a in doc.sender_addresses
                                     if "@" in a}),
            "ocr": "yes" if doc.ocr_pages else "no",
            "quotes": "yes" if doc.unquoted is not None else "no"})
        if doc.date is not None:
            source["date"] = _iso(doc.date)
            source["year"] = doc.date.year
        if doc.unquoted is not None:
            source[ranking.UNQUOTED] = doc.unquoted
        if doc.cluster is not None:
            source["cluster"] = doc.cluster
        for kind, ids in doc.entities.items():
            if kind in ENTITY_KINDS:
                source[f"entity_{kind}"] = [str(i) for i in sorted(set(ids))]
        actions = [{"_index": self.name, "_id": entry_id, "_source": source}]
        for number, page_text in enumerate(doc.pages or [] if paged else [], start=1):
            page = self._common(doc, "page")
            page.update({"text": page_text, "page": number,
                         "ocr": "yes" if number in doc.ocr_pages else "no"})
            actions.append({"_index": self.name, "_id": f"{entry_id}/page/{number}",
                            "_source": page})
        self._adds.pop(entry_id, None)  # re-added in one batch: the last one counts
        self._adds[entry_id] = actions

    @staticmethod
    def _common(doc: IndexDocument, kind: str) -> dict[str, Any]:
        return {"id": _entry_id(doc), "view": doc.view, "kind": kind, "dataset": doc.dataset,
                "family": doc.family, "mime": doc.mime, "status": doc.status,
                "language": doc.language or "", "parent_id": doc.parent_id or "",
                "stem": analysis.document_language(doc.language)}

    def add_row(self, row: RowEntry) -> None:
        raise QueryError(NOT_YET + "table rows")

    def delete(self, doc_id: str) -> None:
        """Both views of a document."""
        ids = [doc_id, doc_id + REDACTED_SUFFIX]
        for entry_id in ids:
            self._adds.pop(entry_id, None)
        self._deletes.append({"terms": {"id": ids}})

    def delete_dataset(self, dataset: str) -> None:
        self._drop_pending(lambda source: source["dataset"] == dataset)
        self._deletes.append({"term": {"dataset": dataset}})

    def delete_view(self, dataset: str, view: str) -> None:
        self._drop_pending(lambda s: s["dataset"] == dataset and s["view"] == view)
        self._deletes.append({"bool": {"filter": [{"term": {"dataset": dataset}},
                                                  {"term": {"view": view}}]}})

    def _drop_pending(self, matches: Callable[[dict[str, Any]], bool]) -> None:
        for entry_id in [i for i, actions in self._adds.items()
                         if matches(actions[0]["_source"])]:
            del self._adds[entry_id]

    def commit(self) -> None:
        """One bulk with refresh=False, then one refresh: first the deletions (the entries
        the pending deletes match, and the old pages of re-added documents: a document may
        have fewer pages now), then the additions. The entries to delete are found by a
        scroll of their ids, not `_delete_by_query`: that lives in the `reindex` module,
        which the integ-test distribution does not carry (a cluster may lack it)."""
        from opensearchpy import helpers

        readded = sorted(self._adds)
        for start in range(0, len(readded), DELETE_CHUNK):
            self._deletes.append({"bool": {"filter": [
                {"terms": {"id": readded[start:start + DELETE_CHUNK]}},
                {"term": {"kind": "page"}}]}})
        adding = [action for entry in self._adds.values() for action in entry]
        kept = {action["_id"] for action in adding}
        gone = sorted({hit["_id"] for query in self._deletes
                       for hit in helpers.scan(self.client, index=self.name,
                                               query={"query": query}, _source=False,
                                               size=DELETE_CHUNK)} - kept)
        actions = [{"_op_type": "delete", "_index": self.name, "_id": entry_id}
                   for entry_id in gone] + adding
        if actions:
            _done, errors = helpers.bulk(self.client, actions, refresh=False,
                                         chunk_size=BULK_CHUNK, raise_on_error=False)
            errors = [e for e in errors if e.get("delete", {}).get("status") != 404]
            if errors:
                raise RuntimeError(f"OpenSearch refused {len(errors)} entries: {errors[:1]}")
        self.client.indices.refresh(index=self.name)
        self._adds, self._deletes = {}, []

    def drop(self) -> None:
        """Remove the whole index (tests; `trawl reindex` into a fresh one)."""
        self.client.indices.delete(index=self.name, ignore_unavailable=True)

    def close(self) -> None:
        self.client.close()

    # -- reading ------------------------------------------------------------------------------
    def count(self, datasets: list[str] | None = None) -> int:
        found = self.client.count(index=self.name, body={
            "query": {"bool": {"filter": self._filters(SearchQuery(datasets=datasets))}}})
        return int(found["count"])

    def search(self, query: SearchQuery) -> IndexResult:
        _refuse_not_yet(query)
        filters = self._filters(query)
        text_query, relaxed = self._text_query(query, filters)
        body: dict[str, Any] = {
            "query": {"bool": {"filter": filters, **({"must": [text_query]}
                                                     if text_query else {})}},
            "from": max(query.offset, 0), "size": max(query.limit, 0),
            "track_total_hits": True,
            "_source": ["id", "dataset", "title", "path", "family", "mime", "status", "date",
                        "size", "cluster", "page_count", "stem", "text"]}
        if query.sort in ("date_desc", "date_asc"):
            order = "desc" if query.sort == "date_desc" else "asc"
            body["sort"] = [{"date": {"order": order, "missing": "_last"}},
                            {"id": {"order": "asc"}}]
        if text_query:
            body["highlight"] = _highlight()
        aggs = self._aggregations(query)
        if aggs:
            body["aggs"] = aggs
        raw = self._engine(lambda: self.client.search(index=self.name, body=body))
        hits = self._hits(raw["hits"]["hits"], text_query, query)
        facets = _facets(raw.get("aggregations") or {}, query)
        return IndexResult(int(raw["hits"]["total"]["value"]), hits, facets, [], relaxed)

    @staticmethod
    def _engine(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """A request the engine refuses as asked (a 400: past its clause limit, say, with
        many fuzzy words each standing for fifty) is the reader's QueryError, not a crash."""
        from opensearchpy.exceptions import RequestError

        try:
            return call()
        except RequestError as exc:
            raise QueryError(f"the search engine refused the query ({exc.error}); make it "
                             "simpler: fewer words, prefixes or fuzzy words") from exc

    def more_like(self, text: str, language: str | None, exclude: list[str],
                  query: SearchQuery) -> list[IndexHit]:
        raise QueryError(NOT_YET + "more like this")

    def count_within(self, query: SearchQuery, sets: dict[str, list[str]]) -> dict[str, int]:
        raise QueryError(NOT_YET + "counts by tag")

    def _text_query(self, query: SearchQuery, filters: list[dict[str, Any]]
                    ) -> tuple[dict[str, Any] | None, bool]:
        found, relaxed = self._fields_query(query.text, filters, unquoted=False)
        if found is None or not query.no_quotes:
            return found, relaxed
        own, _relaxed = self._fields_query(query.text, filters, unquoted=True)
        either = [{"bool": {"must": [found],
                            "must_not": [{"term": {"quotes": "yes"}}]}}]
        if own is not None:
            either.append({"bool": {"must": [own], "filter": [{"term": {"quotes": "yes"}}]}})
        return {"bool": {"should": either, "minimum_should_match": 1}}, relaxed

    def _fields_query(self, text: str, filters: list[dict[str, Any]], unquoted: bool
                      ) -> tuple[dict[str, Any] | None, bool]:
        text = (text or "").strip()
        if len(text) > query_language.MAX_QUERY_CHARS:
            raise QueryError(f"the query is longer than {query_language.MAX_QUERY_CHARS} "
                             "characters")
        if not text or text == "*":
            return None, False
        plain = ranking.without_word_hyphens(text)
        if is_plain_words(plain):
            ranked = self._plain_words(plain, filters, unquoted)
            if ranked is not None:
                return ranked
        tree = query_language.parse(text)
        if tree is None:
            return None, False
        compiler = _Compiler(analysis.query_languages(text),
                             stemmed=not query_language.has_phrase(tree), unquoted=unquoted,
                             expansions=self._expand_fuzzy(tree))
        return compiler.node(tree), False

    def _expand_fuzzy(self, tree: Node) -> dict[Fuzzy, list[str]]:
        """The indexed words each fuzzy word stands for, as query_syntax.py finds them for
        Tantivy (within N edits, the same first letter, in the exact text and title), so
        that they are then searched as typed words are, stemmed fields included. The engine
        says them: its own rewrite of a fuzzy query (`_validate/query?rewrite=true`)."""
        out: dict[Fuzzy, list[str]] = {}
        for leaf in query_language.leaves(tree):
            if not isinstance(leaf, Fuzzy) or leaf in out:
                continue
            fields = [leaf.field] if leaf.field else list(FUZZY_FIELDS)
            found = self.client.indices.validate_query(index=self.name, body={"query": _either(
                [_fuzzy(name, leaf) for name in fields])}, rewrite=True, all_shards=True)
            words: dict[str, None] = {}
            for explained in found.get("explanations", []):
                for name, word in _REWRITTEN.findall(explained.get("explanation", "")):
                    if name in fields:
                        words[word] = None
            out[leaf] = list(words)[:MAX_EXPANSIONS] or [leaf.word]
        return out

    def _plain_words(self, text: str, filters: list[dict[str, Any]], unquoted: bool
                     ) -> tuple[dict[str, Any], bool] | None:
        """ranking.plain_words_query's rules, its feedback for long queries included."""
        languages = analysis.query_languages(text)
        words = analysis.query_words(text, languages)
        if not words:
            return None
        if len(words) > query_language.MAX_LEAVES:
            raise QueryError(f"the query has more than {query_language.MAX_LEAVES} words")
        compiler = _Compiler(languages, stemmed=True, unquoted=unquoted)
        typed = Counter(analysis.query_words(text, languages, unique=False))
        per_word = [compiler.boosted(compiler.word(word, None), typed[word]) for word in words]
        has_all = len(words) == 1 or self._exists(per_word, filters)
        if len(words) > ranking.SHORT_QUERY_WORDS or not has_all:
            core: dict[str, Any] = {"bool": {"should": per_word, "minimum_should_match": 1}}
        else:
            core = {"bool": {"must": per_word}}
        proximity = compiler.proximity(words)
        ranked = {"bool": {"must": [core], **({"should": proximity} if proximity else {})}}
        if len(words) > ranking.SHORT_QUERY_WORDS:
            extra = self._feedback(ranked, filters, text, languages)
            if extra:
                ranked = {"bool": {"must": [core], "should": proximity + extra}}
        return ranked, not has_all

    def _feedback(self, ranked: dict[str, Any], filters: list[dict[str, Any]], text: str,
                  languages: tuple[str, ...]) -> list[dict[str, Any]]:
        """ranking._feedback's Bo1 pseudo-relevance feedback, with the same statistics: the
        stems (analysis.stems) of the FEEDBACK_DOCS best documents' texts (those without
        pages), each term's document frequency among the entries of its stemming language
        (one _msearch of counts), the number of entries; each chosen term a constant score
        on the stemmed sub-field."""
        if ranking.FEEDBACK_DOCS <= 0 or ranking.FEEDBACK_TERMS <= 0:
            return []
        top = self.client.search(index=self.name, body={
            "query": {"bool": {"must": [ranked], "filter": filters}},
            "size": ranking.FEEDBACK_DOCS, "_source": ["text", "stem", "page_count"]})
        counts: Counter[tuple[str, str]] = Counter()
        for entry in top["hits"]["hits"]:
            source = entry["_source"]
            if (source.get("page_count") or 0) > 1:
                continue  # as on Tantivy: a paged document's text is on its pages
            language = source.get("stem") or analysis.DEFAULT_LANGUAGE
            chunk = (source.get("text") or "")[:ranking.FEEDBACK_CHARS]
            counts.update((language, t) for t in analysis.stems(chunk, language))
        typed = {(lang, t) for lang in languages for t in analysis.stems(text, lang)}
        candidates = [(key, tf) for key, tf in counts.most_common(ranking._CANDIDATES)
                      if key not in typed and len(key[1]) >= 2 and not key[1].isdigit()]
        if not candidates:
            return []
        lines: list[dict[str, Any]] = []
        for (language, term), _tf in candidates:
            lines += [{"index": self.name}, {"size": 0, "track_total_hits": True, "query": {
                "bool": {"filter": [{"term": {f"text.{language}": term}},
                                    {"term": {"stem": language}}]}}}]
        answers = self.client.msearch(body=lines)["responses"]
        total = max(int(self.client.count(index=self.name)["count"]), 1)
        weights: list[tuple[float, str, str]] = []
        for ((language, term), tf), answer in zip(candidates, answers, strict=True):
            df = int(answer["hits"]["total"]["value"])
            if df < 2:
                continue
            mean = df / total
            weights.append((tf * math.log2((1 + mean) / mean) + math.log2(1 + mean),
                            language, term))
        weights = sorted(weights, reverse=True)[:ranking.FEEDBACK_TERMS]
        if not weights:
            return []
        best = weights[0][0]
        return [{"constant_score": {"filter": {"bool": {"filter": [
            {"term": {f"text.{language}": term}}, {"term": {"stem": language}}]}},
            "boost": ranking.FEEDBACK_WEIGHT * weight / best}}
            for weight, language, term in weights]

    def _exists(self, every: list[dict[str, Any]], filters: list[dict[str, Any]]) -> bool:
        found = self.client.search(index=self.name, body={
            "query": {"bool": {"must": every, "filter": filters}}, "size": 0,
            "terminate_after": 1, "track_total_hits": 1})
        return int(found["hits"]["total"]["value"]) > 0

    def _filters(self, query: SearchQuery) -> list[dict[str, Any]]:
        """As TantivyIndex._filters: the entries' kind, the caller's views, the datasets,
        the facets' filters, the required values, the sets of ids, the dates."""
        out: list[dict[str, Any]] = [
            {"term": {"kind": "row" if query.record == "rows" else "doc"}},
            _views(query.views)]
        if query.datasets is not None:
            out.append(_any_of("dataset", query.datasets))
        for facet, values in query.filters.items():
            if facet not in FACET_FIELDS:
                raise QueryError(f"unknown filter: {facet}")
            if values:
                out.append(_any_of(FACET_FIELDS[facet], values))
        for facet, value in query.required:
            if facet not in FACET_FIELDS:
                raise QueryError(f"unknown filter: {facet}")
            out.append(_any_of(FACET_FIELDS[facet], [value]))
        for ids in query.among:
            out.append(_entries(ids))
        if query.excluded:
            out.append({"bool": {"must_not": [_entries(query.excluded)]}})
        if query.date_from or query.date_to:
            bounds = {}
            if query.date_from:
                bounds["gte"] = _iso(query.date_from)
            if query.date_to:
                bounds["lte"] = _iso(query.date_to)
            out.append({"range": {"date": bounds}})
        return out

    def _aggregations(self, query: SearchQuery) -> dict[str, Any]:
        aggs: dict[str, Any] = {}
        for facet in query.facets:
            field_name = FACET_FIELDS.get(facet)
            if field_name is None:
                raise QueryError(f"unknown facet: {facet}")
            if field_name in ("table", "table_id", "cluster"):
                raise QueryError(NOT_YET + f"the {facet} facet")
            aggs[facet] = {"terms": {"field": field_name, "size": query.facet_size}}
            if facet == "year":  # no date, so no year: counted as year 0, no real year
                aggs[facet]["terms"]["missing"] = NO_YEAR
        return aggs

    def _hits(self, raw: list[dict[str, Any]], text_query: dict[str, Any] | None,
              query: SearchQuery) -> list[IndexHit]:
        hits = [_hit(entry) for entry in raw]
        paged = [(hit, entry) for hit, entry in zip(hits, raw, strict=True)
                 if (entry["_source"].get("page_count") or 0) > 1]
        if text_query is not None and paged:
            self._best_pages(paged, text_query, query.pages_per_hit)
        for hit, entry in zip(hits, raw, strict=True):
            if hit.snippet.text or (entry["_source"].get("page_count") or 0) > 1:
                continue
            hit.snippet = _snippet(entry) if text_query is not None else Snippet("")
            if not hit.snippet.text:
                hit.snippet = Snippet((entry["_source"].get("text") or "")[:SNIPPET_CHARS])
        starts = [(hit, entry) for hit, entry in zip(hits, raw, strict=True)
                  if (entry["_source"].get("page_count") or 0) > 1 and not hit.snippet.text]
        if starts:
            found = self.client.mget(index=self.name, body={
                "ids": [f"{entry['_id']}/page/1" for _hit_, entry in starts]},
                _source=["text"])
            for (hit, _entry), page in zip(starts, found["docs"], strict=True):
                text = (page.get("_source") or {}).get("text") or ""
                hit.snippet = Snippet(text[:SNIPPET_CHARS])
        return hits

    def _best_pages(self, paged: list[tuple[IndexHit, dict[str, Any]]],
                    text_query: dict[str, Any], limit: int) -> None:
        """The best pages of each paged hit (its matching page entries by score) and the
        snippet of the first, in one _msearch."""
        lines: list[dict[str, Any]] = []
        for _shown, entry in paged:
            lines.append({"index": self.name})
            lines.append({"query": {"bool": {"must": [text_query], "filter": [
                {"term": {"id": entry["_source"]["id"]}}, {"term": {"kind": "page"}}]}},
                "size": max(limit, 1), "_source": ["page", "stem", "text"],
                "highlight": _highlight()})
        answers = self.client.msearch(body=lines)["responses"]
        for (hit, _entry), answer in zip(paged, answers, strict=True):
            pages = answer.get("hits", {}).get("hits", [])
            hit.pages = [int(p["_source"]["page"]) for p in pages]
            hit.page = hit.pages[0] if hit.pages else None
            if pages:
                hit.snippet = _snippet(pages[0])


class _Compiler:
    """A query tree to the DSL, over the fields ranking.search_fields names: the exact
    fields with their boosts, and the stemmed twins (here `text.en`, only for entries of
    that stemming language) unless the query has a phrase."""

    def __init__(self, languages: tuple[str, ...], stemmed: bool, unquoted: bool,
                 expansions: dict[Fuzzy, list[str]] | None = None) -> None:
        self.languages = languages
        self.expansions = expansions or {}
        self.unquoted = unquoted
        self.fields, self.boosts = ranking.search_fields(languages, stemmed=stemmed,
                                                         unquoted=unquoted)

    def node(self, node: Node) -> dict[str, Any]:
        if isinstance(node, MatchAll):
            return {"match_all": {}}
        if isinstance(node, And | Or):
            positive = [self.node(c) for c in node.children if not isinstance(c, Not)]
            negative = [self.node(c.child) for c in node.children if isinstance(c, Not)]
            bool_query: dict[str, Any] = {"must": positive} if isinstance(node, And) else \
                {"should": positive, "minimum_should_match": 1}
            if negative:
                bool_query["must_not"] = negative
            return {"bool": bool_query}
        if isinstance(node, Not):  # refused by the parser unless inside a group
            return {"bool": {"must_not": [self.node(node.child)]}}
        if isinstance(node, Term):
            return self.boosted(self.word(node.word, node.field), node.boost)
        if isinstance(node, Phrase):
            fields = [(node.field, 1.0)] if node.field else self._targets()
            return self.boosted(_either([
                self._on(name, {"match_phrase": {self._path(name): {
                    "query": node.words, "slop": node.slop, "boost": boost}}})
                for name, boost in fields]), node.boost)
        if isinstance(node, Prefix):
            fields = [node.field] if node.field else list(PREFIX_FIELDS)
            return self.boosted(_either([{"prefix": {name: {"value": node.word}}}
                                         for name in fields]), node.boost)
        if isinstance(node, Fuzzy):
            words = self.expansions.get(node) or [node.word]
            return self.boosted(_either([self.word(word, node.field) for word in words]),
                                node.boost)
        raise QueryError(f"cannot search {node!r}")

    def word(self, word: str, field_name: str | None) -> dict[str, Any]:
        """One typed word in one field, or in the default ones: a phrase where the
        analyser makes several words of it (`x@y.org`), as Tantivy's parser does."""
        if field_name in query_language.KEYWORD_FIELDS:
            return _any_of(field_name, [word])
        fields = [(field_name, 1.0)] if field_name else self._targets()
        return _either([self._on(name, {"match_phrase": {self._path(name): {
            "query": word, "boost": boost}}}) for name, boost in fields])

    def proximity(self, words: list[str]) -> list[dict[str, Any]]:
        if ranking.PROXIMITY_BOOST <= 0:
            return []
        fields = [ranking.UNQUOTED] if self.unquoted else \
            [analysis.stemmed_field("text", language) for language in self.languages]
        return [_either([self._on(name, {"match_phrase": {self._path(name): {
            "query": f"{first} {second}", "slop": ranking.PROXIMITY_SLOP,
            "boost": ranking.PROXIMITY_BOOST}}}) for name in fields])
            for first, second in zip(words, words[1:], strict=False)]

    def _targets(self) -> list[tuple[str, float]]:
        return [(name, self.boosts.get(name, 1.0)) for name in self.fields]

    @staticmethod
    def _path(name: str) -> str:
        """`text_fr` (Tantivy's stemmed twin) -> `text.fr` (the sub-field here)."""
        base, _, language = name.rpartition("_")
        return f"{base}.{language}" if base in STEMMED_BASES and \
            language in analysis.LANGUAGES else name

    def _on(self, name: str, clause: dict[str, Any]) -> dict[str, Any]:
        """A stemmed clause counts only for entries stemmed in that language."""
        base, _, language = name.rpartition("_")
        if base in STEMMED_BASES and language in analysis.LANGUAGES:
            return {"bool": {"must": [clause], "filter": [{"term": {"stem": language}}]}}
        return clause

    @staticmethod
    def boosted(clause: dict[str, Any], boost: float) -> dict[str, Any]:
        if boost == 1.0:
            return clause
        return {"bool": {"must": [clause], "boost": boost}}


def _either(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    """Any of the clauses, their scores summed (as Tantivy sums a word over its fields)."""
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


_REWRITTEN = re.compile(r"(?<![\w.])(\w+):([^\s()^]+)")


def _fuzzy(field_name: str, leaf: Fuzzy) -> dict[str, Any]:
    return {"fuzzy": {field_name: {"value": leaf.word, "fuzziness": leaf.distance,
                                   "prefix_length": 1, "max_expansions": MAX_EXPANSIONS,
                                   "transpositions": False}}}


def _refuse_not_yet(query: SearchQuery) -> None:
    for asked, what in ((query.record == "rows", "table rows (record=rows)"),
                        (query.collapse, "collapsing near-copies"),
                        (bool(query.histogram), "date histograms")):
        if asked:
            raise QueryError(NOT_YET + what)


def _views(views: dict[str, str] | None) -> dict[str, Any]:
    """(dataset in F and view=full) or (dataset in R and view=redacted); no views at all:
    nothing (as TantivyIndex._views)."""
    if views is None:
        return {"term": {"view": "full"}}
    either = []
    for view in ("full", "redacted"):
        names = sorted(name for name, v in views.items() if v == view)
        if names:
            either.append({"bool": {"filter": [{"term": {"view": view}},
                                               {"terms": {"dataset": names}}]}})
    if not either:
        return {"term": {"view": "none"}}
    return {"bool": {"should": either, "minimum_should_match": 1}}


def _any_of(field_name: str, values: list[str]) -> dict[str, Any]:
    if field_name == "year":
        return _years(values)
    if field_name == "cluster" and not all(str(v).isdigit() for v in values):
        raise QueryError("a cluster is a whole number")
    return {"terms": {field_name: [str(v) for v in values]}}


def _years(values: list[str]) -> dict[str, Any]:
    terms = []
    for value in values:
        if value == UNKNOWN_YEAR:
            continue
        if not str(value).lstrip("-").isdigit():
            raise QueryError(f"year must be a number, not {value!r}")
        terms.append(int(value))
    dated = {"terms": {"year": terms}}
    if UNKNOWN_YEAR not in values:
        return dated
    undated = {"bool": {"must_not": [{"exists": {"field": "year"}}]}}
    return {"bool": {"should": [dated, undated], "minimum_should_match": 1}} if terms \
        else undated


def _entries(ids: list[str]) -> dict[str, Any]:
    """Documents by id, their redacted twins with them (the views keep those apart)."""
    return {"terms": {"id": [i for doc_id in ids
                             for i in (str(doc_id), str(doc_id) + REDACTED_SUFFIX)]}}


def _facets(raw: dict[str, Any], query: SearchQuery) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for facet in query.facets:
        buckets = raw.get(facet, {}).get("buckets", [])
        out[facet] = [(_facet_value(facet, b["key"]), int(b["doc_count"]))
                      for b in buckets if str(b["key"]) != ""]
    return out


def _facet_value(facet: str, key: object) -> str:
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    return UNKNOWN_YEAR if facet == "year" and key == NO_YEAR else str(key)


def _hit(entry: dict[str, Any]) -> IndexHit:
    source = entry["_source"]
    paths = source.get("path") or [""]
    date = source.get("date")
    score = entry.get("_score")
    return IndexHit(
        id=str(source["id"]).removesuffix(REDACTED_SUFFIX),
        score=float(score) if isinstance(score, int | float) else 0.0,
        dataset=source.get("dataset", ""), title=source.get("title", ""),
        path=paths[0] if isinstance(paths, list) else paths,
        family=source.get("family", ""), mime=source.get("mime", ""),
        status=source.get("status", ""), snippet=Snippet(""),
        date=datetime.fromisoformat(date) if date else None,
        size=int(source.get("size") or 0), cluster=source.get("cluster"))


def _highlight() -> dict[str, Any]:
    fields = {"text": {}, **{f"text.{language}": {} for language in analysis.LANGUAGES}}
    return {"type": "unified", "pre_tags": [MARK_ON], "post_tags": [MARK_OFF],
            "fragment_size": SNIPPET_CHARS, "number_of_fragments": 1, "fields": fields}


def _snippet(entry: dict[str, Any]) -> Snippet:
    """The highlighted fragment of the stemmed field of the entry's language first (so
    that "computers" marks "computing"), else of the exact field; as character ranges."""
    found = entry.get("highlight") or {}
    stem = (entry.get("_source") or {}).get("stem") or analysis.DEFAULT_LANGUAGE
    for name in (f"text.{stem}", "text"):
        fragments = found.get(name)
        if fragments:
            return _marked(fragments[0])
    return Snippet("")


def _marked(fragment: str) -> Snippet:
    text, ranges, start = [], [], None
    length = 0
    for part in re.split(f"([{MARK_ON}{MARK_OFF}])", fragment):
        if part == MARK_ON:
            start = length
        elif part == MARK_OFF:
            if start is not None:
                ranges.append((start, length))
            start = None
        else:
            text.append(part)
            length += len(part)
    return Snippet("".join(text), ranges)


def _entry_id(doc: IndexDocument) -> str:
    return doc.id + REDACTED_SUFFIX if doc.view == "redacted" else doc.id


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
