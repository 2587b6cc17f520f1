"""Tags in search: what `tag:NAME` and the tag facet add to a search, against the same
searches without them, in the same run.

    python -m benchmarks.annotations_bench [--size-mb 50] [--seed 3] [--runs 20]
                                           [--json benchmarks/out/annotations.json]
                                           [--keep DIR]

A generated dump (benchmarks/corpus) is ingested (no OCR, entities or near-duplicates: they
do not change what is measured), then one reader (`alice`, in group `desk`, granted the
dataset) tags documents: tags naming 10, 100, 1,000 documents and every document, and 20
more tags of 50 documents each, half of them shared with the group, so that the facet has
20 tags to count. Each query of QUERIES then runs `--runs` times through the archive as
alice sees it (`Archive.scoped`, as the web does), with the search page's facets:

* baseline: the query;
* `tag:` : the query with `tag:T` for each tag size (the store's lookup, the id set to the
  index, its filter);
* facet: the query with the tag facet (20 counts within the results).

p50 and p95 in ms, and each one's ratio to the baseline's p50.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness.queries import percentile

REPO = Path(__file__).resolve().parents[1]
QUERIES = ("bulletin", "police report", "\"fusion center\"", "*", "training OR meeting")
SIZES = (10, 100, 1000, None)  # None: every document
FACET_TAGS = 20
FACETS = ("dataset", "source", "type", "year", "language", "ocr")


def build(root: Path, size_mb: int, seed: int) -> tuple[Path, list[str]]:
    sys.path.insert(0, str(REPO / "src"))
    from benchmarks.corpus import generate
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.storage.datadir import DataDir

    dump, data = root / "dump", root / "data"
    generate(dump, size_mb * 1_000_000, seed=seed)
    ingester = Ingester(DataDir.open(data), "bench", IngestOptions(
        workers=2, quiet=True, ocr=False, entities=False, threads=False, neardup=False))
    try:
        ingester.ingest(dump)
    finally:
        ingester.close()
    from trawl.access.store import AccessStore
    from trawl.search.service import Archive

    store = AccessStore(DataDir.open(data).access_path)
    store.add_user("alice", "a long benchmark password 1")
    store.add_group("desk")
    store.set_membership("desk", "alice", True)
    store.grant("bench", "user", "alice", by="bench")
    store.close()
    archive = Archive(DataDir.open(data))
    from trawl.index.base import SearchQuery

    ids = [h.id for h in archive.search(SearchQuery(text="*", limit=200)).hits]
    offset = 200
    while offset <= 10_000:
        more = archive.search(SearchQuery(text="*", limit=200, offset=offset)).hits
        if not more:
            break
        ids += [h.id for h in more]
        offset += 200
    archive.close()
    return data, ids


def tag(data: Path, ids: list[str]) -> dict[str, int]:
    from trawl.storage.annotations import AnnotationStore
    from trawl.storage.datadir import DataDir

    store = AnnotationStore(DataDir.open(data).annotations_path)
    sizes = {}
    now = time.time()
    for size in SIZES:
        name = f"size-{size or 'all'}"
        chosen = ids[:size] if size else ids
        for doc_id in chosen:
            store.add_tag("bench", "document", doc_id, name, "alice", None, now)
        sizes[name] = len(chosen)
    for number in range(FACET_TAGS):
        for doc_id in ids[number * 50:(number + 1) * 50]:
            store.add_tag("bench", "document", doc_id, f"facet-{number}", "alice",
                          "desk" if number % 2 else None, now)
    store.close()
    return sizes


def measure(data: Path, runs: int, sizes: dict[str, int]) -> list[dict[str, Any]]:
    from trawl.access.policy import Principal, read_scope
    from trawl.index.base import SearchQuery
    from trawl.search.service import Archive
    from trawl.storage.datadir import DataDir

    archive = Archive(DataDir.open(data))
    alice = Principal("alice", groups=frozenset({"desk"}), granted=frozenset({"bench"}))
    scoped = archive.scoped(read_scope(alice, archive.catalog.datasets()))

    def timed(text: str, facets: tuple[str, ...]) -> list[float]:
        out = []
        for _ in range(runs):
            start = time.perf_counter()
            scoped.search(SearchQuery(text=text, limit=10, facets=facets))
            out.append((time.perf_counter() - start) * 1000)
        return out

    rows = []
    for query in QUERIES:
        timed(query, FACETS)  # warm the searcher and the caches
        base = timed(query, FACETS)
        cases = {"baseline": base}
        for name in sizes:
            cases[f"tag:{name}"] = timed(f"{query} tag:{name}", FACETS)
        cases["tag facet"] = timed(query, (*FACETS, "tag"))
        p50 = statistics.median(base)
        for case, times in cases.items():
            median = statistics.median(times)
            rows.append({"query": query, "case": case, "p50_ms": median,
                         "p95_ms": percentile(times, 95), "ratio_p50": median / p50})
    archive.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="build here and keep it")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="trawl-annotations-bench-"))
    try:
        started = time.perf_counter()
        data, ids = build(root, args.size_mb, args.seed)
        sizes = tag(data, ids)
        print(f"{len(ids)} documents, built in {time.perf_counter() - started:.0f} s; "
              f"tags: {sizes} and {FACET_TAGS} of 50")
        rows = measure(data, args.runs, sizes)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{'query':<24} {'case':<18} {'p50 ms':>8} {'p95 ms':>8} {'x p50':>6}")
    for r in rows:
        print(f"{r['query']:<24} {r['case']:<18} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} "
              f"{r['ratio_p50']:>6.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"documents": len(ids), "tags": sizes, "rows": rows},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
