"""How a query becomes a ranked Tantivy query: fields and their weights, plain-word queries,
proximity. The figures come from the relevance benchmark (`python -m benchmarks.relevance`,
BENCHMARKS.md), which is what any change here must be checked against.

Plain words (no operator, no quotes, no field) are the common case and are not handed to the
query parser: each word becomes "this word in any field" (its stemmed form in the stemmed
fields, its typed form in the exact ones), and then

* a short query (up to SHORT_QUERY_WORDS words) requires every word when some document has
  them all, which is what a keyword search is expected to do;
* a longer one is a ranked disjunction: documents with more of the words, rarer words, and
  the words close together come first, but a document lacking one word of twelve is still
  found. Requiring every word of a natural-language question ("what similarity laws must be
  obeyed when ...") finds few documents or none and loses most of the relevant ones;
* either way, pairs of neighbouring words found close together in the text add to the
  score (phrase proximity), which favours "heat transfer" over "heat ... transfer";
* a word typed twice counts twice (a question that says "titles" three
  times is about titles);
* a long query is then expanded with pseudo-relevance feedback (Terrier's Bo1): the words
  that stand out in the few best documents are added, with small weights, to the query.
  They only re-rank: a document still needs one of the typed words to be found. A long
  question rarely uses the very words of the documents it is after ("dielectric constant
  of liquids" vs "permittivity of water"); its best matches do.

Queries with syntax go through Tantivy's parser over the same fields, except that a query
with a "quoted phrase" searches only the exact fields: quotes ask for the words as typed.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import tantivy
from tantivy import Occur, Query

from trawl.index import analysis

# Exact fields searched by default, and the weight of a match in each (BM25 is summed over
# fields, each with its own statistics). A word found in its typed form adds a quarter to its
# stemmed match (measured: 0 and 0.5 both do worse). Titles weigh as much as the text: with
# titles as a field of their own (the benchmark's --format html), weights of 1.5 and 2 did
# worse on CISI and Cranfield, and real titles are often junk ("Microsoft Word - doc1").
EXACT_FIELDS = ["title", "text", "path", "sender", "recipients", "meta"]
EXACT_BOOSTS = {"title": 0.25, "text": 0.25, "path": 1.5, "sender": 1.2, "recipients": 1.2,
                "meta": 1.0}
STEMMED = {"title": 1.0, "text": 1.0}   # stemmed twins of these fields, with their weights
# A message's text without its quotes: what a search without quotes reads instead of "text"
# (exact words only: its stemmed twin would double the index of mail for a rare search).
UNQUOTED = "unquoted"
SHORT_QUERY_WORDS = 3
# A phrase-proximity bonus of 0.5 cost up to 0.02 MAP on the test collections (a phrase
# scores like several words); this small one is neutral there and still orders keyword
# queries ("heat transfer") by proximity.
PROXIMITY_SLOP = 8            # words between two neighbouring query words that still count
PROXIMITY_BOOST = 0.05
FEEDBACK_DOCS = 3             # best documents read for feedback (0: no feedback)
FEEDBACK_TERMS = 20           # words added to the query
FEEDBACK_WEIGHT = 2.0         # score added by the best added word (the others: less)
FEEDBACK_CHARS = 20_000       # text read from each of those documents
_CANDIDATES = 200             # most frequent words of the feedback documents weighed


_HYPHEN_IN_WORD = re.compile(r"(?<=\w)-(?=\w)")


def without_word_hyphens(text: str) -> str:
    """ "high-speed" -> "high speed": a hyphen inside a word is not the NOT operator (that one
    starts a word), so a question with a hyphenated word is still plain words."""
    return _HYPHEN_IN_WORD.sub(" ", text)


def search_fields(languages: tuple[str, ...], stemmed: bool = True,
                  unquoted: bool = False) -> tuple[list[str], dict[str, float]]:
    """The default fields of a query in `languages`, and their boosts; `unquoted`: a
    message's own text instead of its whole text."""
    fields = [UNQUOTED if unquoted and f == "text" else f for f in EXACT_FIELDS]
    boosts = {UNQUOTED if unquoted and f == "text" else f: b for f, b in EXACT_BOOSTS.items()}
    if stemmed:
        for base, weight in STEMMED.items():
            if unquoted and base == "text":
                continue
            for language in languages:
                name = analysis.stemmed_field(base, language)
                fields.append(name)
                boosts[name] = weight
    return fields, boosts


def plain_words_query(index: tantivy.Index, searcher: tantivy.Searcher, text: str,
                      filters: Query, unquoted: bool = False) -> tuple[Query | None, bool]:
    """The ranked query of plain words, and whether it is relaxed (no document in
    `filters` has every word). None when the text has no word at all."""
    languages = analysis.query_languages(text)
    words = analysis.query_words(text, languages)
    if not words:
        return None, False
    fields, boosts = search_fields(languages, unquoted=unquoted)
    typed = Counter(analysis.query_words(text, languages, unique=False))
    per_word = [_weighted(index.parse_query(word, fields, field_boosts=boosts), typed[word])
                for word in words]
    every = Query.boolean_query([(Occur.Must, q) for q in per_word])
    has_all = len(words) == 1 or searcher.search(
        Query.boolean_query([(Occur.Must, every), (Occur.Must, filters)]),
        limit=1, count=True).count > 0
    long_query = len(words) > SHORT_QUERY_WORDS
    core = Query.boolean_query([(Occur.Should, q) for q in per_word]) \
        if long_query or not has_all else every
    clauses = [(Occur.Must, core)]
    clauses += [(Occur.Should, q) for q in _proximity(index, words, languages, unquoted)]
    ranked = Query.boolean_query(clauses)
    if long_query:
        clauses += [(Occur.Should, q) for q in _feedback(index, searcher, ranked, filters,
                                                         text, languages)]
        ranked = Query.boolean_query(clauses)
    return ranked, not has_all


def _weighted(query: Query, times: int) -> Query:
    return Query.boost_query(query, float(times)) if times > 1 else query


def _proximity(index: tantivy.Index, words: list[str], languages: tuple[str, ...],
               unquoted: bool = False) -> list[Query]:
    if PROXIMITY_BOOST <= 0:
        return []
    fields = [UNQUOTED] if unquoted else \
        [analysis.stemmed_field("text", language) for language in languages]
    out = []
    for first, second in zip(words, words[1:], strict=False):
        phrase = index.parse_query(f'"{first} {second}"~{PROXIMITY_SLOP}', fields)
        out.append(Query.boost_query(phrase, PROXIMITY_BOOST))
    return out


def _feedback(index: tantivy.Index, searcher: tantivy.Searcher, ranked: Query,
              filters: Query, text: str, languages: tuple[str, ...]) -> list[Query]:
    """Bo1 pseudo-relevance feedback (Amati 2003, Terrier's default): the words of the
    FEEDBACK_DOCS best documents, weighed by how much more often they occur there than in
    the whole index, become extra, optional query terms."""
    if FEEDBACK_DOCS <= 0 or FEEDBACK_TERMS <= 0:
        return []
    top = searcher.search(Query.boolean_query([(Occur.Must, ranked), (Occur.Must, filters)]),
                          limit=FEEDBACK_DOCS)
    counts: Counter[tuple[str, str]] = Counter()
    for _, address in top.hits:
        doc = searcher.doc(address)
        # Documents with pages keep their text on the page entries: they give no feedback.
        body = doc.get_first("body")
        if body is None:
            continue
        language = analysis.document_language(doc.get_first("language") or None)
        field = analysis.stemmed_field("text", language)
        chunk = bytes(body)[:FEEDBACK_CHARS * 2].decode("utf-8", "ignore")[:FEEDBACK_CHARS]
        counts.update((field, t) for t in analysis.stems(chunk, language))
    typed = {(analysis.stemmed_field("text", lang), t)
             for lang in languages for t in analysis.stems(text, lang)}
    total = max(searcher.num_docs, 1)
    weights: list[tuple[float, str, str]] = []
    for (field, term), tf in counts.most_common(_CANDIDATES):
        if (field, term) in typed or len(term) < 2 or term.isdigit():
            continue
        df = searcher.doc_freq(field, term)
        if df < 2:  # in one document only: a name or a typo, not a topic
            continue
        mean = df / total  # Bo1's Poisson mean, with document frequency for collection frequency
        weights.append((tf * math.log2((1 + mean) / mean) + math.log2(1 + mean), field, term))
    weights = sorted(weights, reverse=True)[:FEEDBACK_TERMS]
    if not weights:
        return []
    best = weights[0][0]
    # A constant score per added word present (no tf, no length): the typed words decide the
    # order, the added ones break ties and lift what the best documents are about. A fuzzy
    # query of distance 0 is an exact-term match that snippets do not highlight: the user
    # sees the words they typed, not words they never wrote.
    return [Query.boost_query(Query.fuzzy_term_query(index.schema, field, term, distance=0),
                              FEEDBACK_WEIGHT * weight / best)
            for weight, field, term in weights]
