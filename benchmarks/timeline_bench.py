"""The timeline's cost: what the date histogram adds to a search, measured in the same run
against the same search without it.

    python -m benchmarks.timeline_bench [--size 300MB] [--docs 120000,1000000]
                                        [--repeat 60] [--seed 1]
                                        [--json benchmarks/out/timeline.json] [--keep DIR]

A. A generated BlueLeaks-shaped dump (`benchmarks.corpus`, `--size`), ingested without OCR,
   entities, threads or near-duplicates (the histogram reads only the index). Each query
   runs as the search page runs it (`Archive.search`: the page's facets and the nine entity
   facets, collapsed, 10 hits), then with the page's histogram ("auto"), then with the
   small multiples too (8 sources): interleaved, `--repeat` times each, after a warm-up.
B. Index entries at scale (`--docs`, comma-separated): an index of that many document
   entries written directly (`TantivyIndex.add`; 200 sources, dates over 2006-2020 with 5 %
   undated, words drawn from a Zipf-like vocabulary so that common and rare terms exist),
   searched the same three ways through the index alone (the page's facets, collapsed).
   The 10GB corpus of BENCHMARKS.md holds 113,505 files (fewer documents): 120,000 entries
   stand for it, 1,000,000 for ten times it. The histogram's cost grows with the number of
   matching documents, not with their bytes, so `*` (every document) is the worst case.

For each query: p50 and p95 in ms of each way, the p95 added by the histogram (ms) and the
ratios. The issue's target is under 10 ms p95 added at the 10GB corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
QUERIES = {"every document (*)": "*", "common word": "report", "two words": "police report",
           "rare word": "zebracorn"}
WAYS = {"search": (None, 0), "with histogram": ("auto", 0), "with small multiples": ("auto", 8)}


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(run: Any, repeat: int) -> dict[str, Any]:
    """Each way of each query `repeat` times, interleaved (so drift hits all alike)."""
    out: dict[str, Any] = {}
    for label, text in QUERIES.items():
        times: dict[str, list[float]] = {way: [] for way in WAYS}
        for histogram, sources in WAYS.values():  # warm-up
            run(text, histogram, sources)
        for _ in range(repeat):
            for way, (histogram, sources) in WAYS.items():
                start = time.perf_counter()
                total = run(text, histogram, sources)
                times[way].append((time.perf_counter() - start) * 1000)
        row: dict[str, Any] = {"matches": total}
        for way, found in times.items():
            row[way] = {"p50_ms": round(statistics.median(found), 2),
                        "p95_ms": round(_percentile(found, 0.95), 2)}
        base = row["search"]
        for way in ("with histogram", "with small multiples"):
            row[way]["p95_added_ms"] = round(row[way]["p95_ms"] - base["p95_ms"], 2)
            row[way]["p50_ratio"] = round(row[way]["p50_ms"] / base["p50_ms"], 2)
            row[way]["p95_ratio"] = round(row[way]["p95_ms"] / base["p95_ms"], 2)
        out[label] = row
    return out


def page_query(text: str, histogram: str | None, sources: int) -> Any:
    from trawl.index.base import ENTITY_KINDS, SearchQuery
    from trawl.web.params import SHOWN_FACETS

    return SearchQuery(text=text, facets=SHOWN_FACETS + ENTITY_KINDS, limit=10,
                       collapse=True, histogram=histogram, histogram_sources=sources)


def generated_dump(size: str, seed: int, work: Path, repeat: int) -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "src"))
    from benchmarks.corpus import generate, parse_size
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.search.service import Archive
    from trawl.storage.datadir import DataDir

    dump, data = work / "dump", DataDir.open(work / "data")
    started = time.perf_counter()
    generate(dump, parse_size(size), seed=seed)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    ingester = Ingester(data, "blueleaks", IngestOptions(
        workers=2, quiet=True, ocr=False, entities=False, threads=False, neardup=False))
    try:
        counts = ingester.ingest(dump).counts
    finally:
        ingester.close()
    ingested = time.perf_counter() - started
    archive = Archive(data)
    try:
        def run(text: str, histogram: str | None, sources: int) -> int:
            result = archive.search(page_query(text, histogram, sources))
            return result.documents if result.documents is not None else result.total
        documents = run("*", None, 0)
        return {"size": size, "files": counts, "documents": documents,
                "generate_s": round(generated, 1), "ingest_s": round(ingested, 1),
                "queries": measure(run, repeat)}
    finally:
        archive.close()


def synthetic_index(entries: int, seed: int, work: Path, repeat: int) -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "src"))
    from trawl.index.base import IndexDocument
    from trawl.index.tantivy_backend import TantivyIndex

    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(20_000)]
    weights = [1 / (i + 1) for i in range(len(vocabulary))]
    common = ["report", "police", "bulletin", "officer", "county", "alert"]
    start = datetime(2006, 1, 1, tzinfo=UTC)
    path = work / f"index-{entries}"
    index = TantivyIndex(path, writable=True, heap_mb=256)
    began = time.perf_counter()
    for n in range(entries):
        source = f"portal{int(rng.paretovariate(1.2)) % 200:03d}"
        words = rng.choices(vocabulary, weights, k=rng.randint(40, 160))
        words += rng.sample(common, rng.randint(0, 3))
        if n == 7:
            words.append("zebracorn")
        date = None if rng.random() < 0.05 else \
            start + timedelta(seconds=rng.randint(0, 15 * 365 * 86400))
        index.add(IndexDocument(
            id=f"doc{n}", dataset="blueleaks", path=f"{source}/files/{n}.pdf",
            paths=[f"{source}/files/{n}.pdf"], sources=[source],
            family=rng.choice(("pdf", "word", "email", "image", "html")), mime="application/pdf",
            status="indexed", title=" ".join(words[:6]), text=" ".join(words), date=date,
            language="en", size=rng.randint(1_000, 2_000_000),
            cluster=n // 3 if rng.random() < 0.1 else None))
        if n % 50_000 == 49_999:
            index.commit()
    index.commit()
    built = time.perf_counter() - began

    def run(text: str, histogram: str | None, sources: int) -> int:
        result = index.search(page_query(text, histogram, sources))
        return result.documents if result.documents is not None else result.total
    try:
        return {"entries": entries, "build_s": round(built, 1),
                "queries": measure(run, repeat)}
    finally:
        index.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="300MB", help="generated dump (0: none)")
    parser.add_argument("--docs", default="120000,1000000",
                        help="entries of the synthetic indexes, comma-separated (0: none)")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="work here and keep it (else a temp dir)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from benchmarks.harness.machine import machine_info

    work = args.keep or Path(tempfile.mkdtemp(prefix="trawl-timeline-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                              "machine": machine_info(), "command": " ".join(sys.argv)}
    try:
        if args.size not in ("0", ""):
            result["dump"] = generated_dump(args.size, args.seed, work, args.repeat)
        result["indexes"] = [synthetic_index(int(n), args.seed, work, args.repeat)
                             for n in args.docs.split(",") if int(n) > 0]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
