"""The OpenSearch backend against the embedded Tantivy index, in one run, on the same
generated entries (benchmarks/index_documents.py) and queries.

    TRAWL_INDEX_URL=http://127.0.0.1:9200 python -m benchmarks.opensearch_bench
        [--docs 10000] [--repeat 20] [--json benchmarks/out/opensearch.json]

A. Writing: `add` of every entry then one `commit` (OpenSearch: one bulk with
   refresh=False, then one refresh), against Tantivy's add + commit; and, as the baseline
   the issue measured, the same bulk refreshed after every chunk of 500 (`refresh=true`:
   `wait_for` would wait for ever on an index whose refresh interval is off).
B. Searching, one client: each query (plain words, a phrase, boolean, prefix, fuzzy, a
   field, with the search page's facets) `--repeat` times on each, interleaved, after a
   warm-up: p50 and p95 in ms, and OpenSearch's p50 as a ratio of Tantivy's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.index_documents import generated_documents
from trawl.index.base import SearchQuery
from trawl.index.opensearch_backend import BULK_CHUNK, OpenSearchIndex
from trawl.index.tantivy_backend import TantivyIndex

QUERIES = ["courthouse", "protest bulletin", '"narcotics shipment"', "threat OR alert",
           "protest AND NOT drill", "protes*", "polise~", "type:email", "",
           "witness vehicle courthouse shipment firearm evidence"]
FACETS = ("dataset", "source", "type", "year", "language", "sender")


def write(backend, docs) -> float:
    start = time.perf_counter()
    for doc in docs:
        backend.add(doc)
    backend.commit()
    return time.perf_counter() - start


def write_wait_for(url: str, docs) -> float:
    """The baseline: the same entries, each bulk chunk refreshed before it returns."""
    from opensearchpy import helpers

    target = OpenSearchIndex(url, tempfile.mkdtemp(),
                             prefix=f"trawl-bench-{uuid.uuid4().hex[:6]}-")
    try:
        for doc in docs:
            target.add(doc)
        actions = [a for entry in target._adds.values() for a in entry]
        start = time.perf_counter()
        for i in range(0, len(actions), BULK_CHUNK):
            helpers.bulk(target.client, actions[i:i + BULK_CHUNK], refresh=True)
        return time.perf_counter() - start
    finally:
        target.drop()


def latencies(backend, text: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        backend.search(SearchQuery(text=text, facets=FACETS, limit=10))
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    url = os.environ["TRAWL_INDEX_URL"]
    docs = generated_documents(count=args.docs)
    pages = sum(len(d.pages) for d in docs if d.pages and len(d.pages) > 1)
    work = Path(tempfile.mkdtemp())
    tantivy = TantivyIndex(work / "index", writable=True)
    search = OpenSearchIndex(url, work, prefix=f"trawl-bench-{uuid.uuid4().hex[:6]}-")
    result: dict = {"docs": len(docs), "page_entries": pages}
    try:
        result["write_s"] = {"tantivy": round(write(tantivy, docs), 2),
                             "opensearch": round(write(search, docs), 2),
                             "opensearch_wait_for": round(write_wait_for(url, docs), 2)}
        result["search_ms"] = {}
        for text in QUERIES:
            latencies(tantivy, text, 3), latencies(search, text, 3)  # warm-up
            timed = {"tantivy": [], "opensearch": []}
            for _ in range(args.repeat):
                timed["tantivy"] += latencies(tantivy, text, 1)
                timed["opensearch"] += latencies(search, text, 1)
            row = {}
            for name, values in timed.items():
                values.sort()
                row[name] = {"p50": round(statistics.median(values), 1),
                             "p95": round(values[int(0.95 * (len(values) - 1))], 1)}
            row["p50_ratio"] = round(row["opensearch"]["p50"] / max(row["tantivy"]["p50"],
                                                                     0.01), 2)
            result["search_ms"][text or "(browse)"] = row
    finally:
        search.drop()
        search.close()
        tantivy.close()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
