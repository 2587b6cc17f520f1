"""Relevance on standard test collections (Vaswani/NPL, CISI, Cranfield): Trawl's ranking,
measured through the product's own ingest and search paths, against BM25 baselines.

    python -m benchmarks.relevance [--collections cisi,cranfield] [--work DIR] [--reuse]

`evaluate_trawl` is also what the regression test calls.
"""

from __future__ import annotations

import time
from pathlib import Path

from . import metrics, trawl_run
from .collections import Collection


def evaluate_trawl(coll: Collection, work: Path, depth: int = 1000,
                   reuse: bool = False, fmt: str = "txt") -> dict[str, object]:
    """Ingest (or, with `reuse` and a previous ingest in `work`, only re-index) the
    collection with Trawl, run its judged queries, and score the ranking."""
    data_root = work / coll.name / "data"
    if reuse and (data_root / "catalog.sqlite").exists():
        data = trawl_run.DataDir.open(data_root, create=False)
        setup = {"reindex_s": round(trawl_run.reindex(data), 1)}
    else:
        data, seconds = trawl_run.ingest(coll, work, fmt=fmt)
        setup = {"ingest_s": round(seconds, 1)}
    started = time.monotonic()
    queries = coll.judged_queries()
    run = trawl_run.run_queries(data, coll, queries, depth)
    return {
        "metrics": metrics.evaluate(coll.qrels, run),
        **setup,
        "search_s": round(time.monotonic() - started, 1),
        "queries": len(queries),
        "empty_results": sum(1 for docs in run.values() if not docs),
        "files": trawl_run.file_counts(data, coll.name),
    }
