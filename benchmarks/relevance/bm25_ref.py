"""The reference BM25: bm25s over the very same documents and query strings as Trawl.

Two variants, so that what differs from Trawl is visible:
* `bm25s` — English stop words and the Snowball (Porter 2) English stemmer, the usual
  strong baseline (Lucene's BM25 formula, k1=1.5, b=0.75: bm25s' defaults);
* `bm25s-plain` — no stop words, no stemming: the tokenisation Trawl had before it grew
  language analysers, so the gap between the two rows is what stemming is worth.
"""

from __future__ import annotations

import bm25s
import Stemmer

from .collections import Collection
from .trawl_run import user_query

VARIANTS = ("bm25s", "bm25s-plain")


def run(coll: Collection, queries: dict[str, str], variant: str = "bm25s",
        depth: int = 1000) -> dict[str, dict[str, float]]:
    stemmed = variant == "bm25s"
    stemmer = Stemmer.Stemmer("english") if stemmed else None
    stopwords: str | list[str] = "en" if stemmed else []
    ids = list(coll.docs)
    texts = [f"{title}\n{body}" for title, body in coll.docs.values()]
    corpus_tokens = bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer,
                                   show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    vocab = retriever.vocab_dict
    out: dict[str, dict[str, float]] = {}
    for qid, text in queries.items():
        tokens = bm25s.tokenize([user_query(text)], stopwords=stopwords, stemmer=stemmer,
                                return_ids=False, show_progress=False)[0]
        tokens = [t for t in tokens if t in vocab]  # a word no document has scores nothing
        if not tokens:
            out[qid] = {}
            continue
        docs, scores = retriever.retrieve([tokens], k=min(depth, len(ids)),
                                          show_progress=False)
        out[qid] = {ids[int(d)]: float(s) for d, s in zip(docs[0], scores[0], strict=True)
                    if s > 0}
    return out
