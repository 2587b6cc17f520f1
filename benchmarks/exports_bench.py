"""Exports of a search (search/exports.py): how fast, and how much memory, against baselines
measured in the same run on the same generated dump.

    python -m benchmarks.exports_bench [--size 60MB] [--seed 1] [--json FILE] [--keep DIR]

A generated BlueLeaks-shaped dump (benchmarks/corpus) is ingested without the later stages,
then `*` (every document) is exported:

* CSV and JSON lines: records per second, against the baseline of paging through the same
  hits alone (`Archive.every_hit`, the search and its snippets): the ratio is what making the
  records costs (each document's paths from the catalog, the CSV escape).
* The zip of the originals as Trawl writes it (stored or deflated by type), all deflated
  (level 6, and level 1) and all stored: MB/s of originals, against the baseline of reading
  and hashing the same files (SHA-256, as the manifest needs): a floor no zip can beat.
* Peak memory of each (tracemalloc: Python's allocations while the whole export is read
  and thrown away), against the export's size: streamed, it stays one chunk and one batch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _read(chunks: Iterable[Any]) -> int:
    return sum(len(c) if isinstance(c, bytes | str) else 1 for c in chunks)


def _measure(make: Callable[[], Iterable[Any]], repeat: int = 3) -> dict[str, float]:
    """Best seconds of `repeat` untraced reads of `make()`, bytes (or items) produced, and
    the peak of Python's allocations in one more read under tracemalloc (which slows
    allocation-heavy code: never timed)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        size = _read(make())
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    _read(make())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"seconds": round(best, 3), "size": size, "peak_mb": round(peak / 1e6, 2)}


def run(size: int, seed: int, keep: Path | None) -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    from benchmarks.corpus import generate
    from trawl.index.base import SearchQuery
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.search import exports
    from trawl.search.originals import original_path
    from trawl.search.service import Archive
    from trawl.storage.datadir import DataDir
    from trawl.web.tables import csv_chunks

    work = keep or Path(tempfile.mkdtemp(prefix="trawl-exports-bench-"))
    dump, data = work / "dump", DataDir.open(work / "data")
    if not data.exists():
        generate(dump, size, seed=seed, sites=2)
        ingester = Ingester(data, "bench", IngestOptions(
            workers=2, quiet=True, ocr=False, entities=False, threads=False, neardup=False))
        try:
            ingester.ingest(dump)
        finally:
            ingester.close()
    archive = Archive(data)
    query = SearchQuery(text="*")

    def export(fmt: str) -> exports.Export:
        return exports.start(archive, query, lambda hit: hit.id, fmt)

    def originals() -> Iterable[bytes]:
        for hit in export("zip").hits():
            source = original_path(archive, archive.find(hit.id))
            if source is not None:
                digest = hashlib.sha256()
                with open(source, "rb") as fh:
                    while chunk := fh.read(exports.CHUNK):
                        digest.update(chunk)
                        yield chunk

    out: dict[str, Any] = {"documents": export("csv").total, "size_arg": size}
    out["hits_only"] = _measure(lambda: export("csv").hits())
    out["csv"] = _measure(lambda: csv_chunks(exports.csv_rows(export("csv"))))
    out["jsonl"] = _measure(lambda: exports.jsonl_lines(export("jsonl")))
    out["read_and_hash"] = _measure(originals)
    try:
        out["zip"] = _measure(lambda: exports.zip_chunks(export("zip"), 10**13))
        for name, method in (("zip_deflated", zipfile.ZIP_DEFLATED),
                             ("zip_stored", zipfile.ZIP_STORED)):
            exports.COMPRESSION = method  # one method for every member
            out[name] = _measure(lambda: exports.zip_chunks(export("zip"), 10**13))
        exports.COMPRESSION, exports.LEVEL = zipfile.ZIP_DEFLATED, 1
        out["zip_deflated_level1"] = _measure(lambda: exports.zip_chunks(export("zip"), 10**13))
    finally:
        exports.COMPRESSION, exports.LEVEL = None, 6
        archive.close()
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    base = out["read_and_hash"]
    for name in ("zip", "zip_deflated", "zip_stored", "zip_deflated_level1"):
        out[name]["originals_mb_s"] = round(base["size"] / 1e6 / out[name]["seconds"], 1)
        out[name]["vs_read_and_hash"] = round(out[name]["seconds"] / base["seconds"], 2)
    base["mb_s"] = round(base["size"] / 1e6 / base["seconds"], 1)
    for name in ("csv", "jsonl", "hits_only"):
        out[name]["docs_s"] = round(out["documents"] / out[name]["seconds"])
    for name in ("csv", "jsonl"):
        out[name]["vs_hits_only"] = round(out[name]["seconds"] / out["hits_only"]["seconds"], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from benchmarks.corpus import parse_size

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=parse_size, default=parse_size("60MB"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path)
    p.add_argument("--keep", type=Path, help="keep (and reuse) the dump and data here")
    args = p.parse_args(argv)
    result = run(args.size, args.seed, args.keep)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
