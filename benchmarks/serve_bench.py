"""The server under load: `trawl serve --workers 1` against `--workers N` (default: one per
core), in the same run, on the same data and the same query mix (#17 item 3).

    python -m benchmarks.serve_bench [--size 100MB] [--seed 1] [--clients 1,16,50]
                                     [--requests 400] [--json benchmarks/out/serve.json]

A BlueLeaks-shaped corpus of `--size` is generated (or taken from benchmarks/out/corpora,
where the main benchmark keeps them) and ingested without OCR; then, for each worker count,
one `trawl serve` process tree answers GET /api/search (benchmarks/harness/search.py: the
query set of the main benchmark, an admin's API token, so authentication, the scope,
facets and the audit entry are in every request) from 1, 16 and 50 concurrent clients, each
sending its share of `--requests`. Reported: requests/s, p50/p95/p99 and errors, and the
ratio of N workers to 1. The clients are threads of this process, on the same cores as the
server: their latency includes waiting for a core, and the load they can make is bounded by
them too (a second machine would show more).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import search
from benchmarks.harness.corpora import generated
from benchmarks.harness.ingest import trawl_cmd
from benchmarks.harness.queries import query_set
from trawl.web.workers import default_workers

REPO = Path(__file__).resolve().parents[1]


def parse_size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[:-2]) * factor)
    return int(text)


def ingest(corpus: Path, data: Path) -> None:
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run(trawl_cmd("ingest", str(corpus), "--dataset", "bench", "--no-ocr",
                             "--quiet", "--data-dir", str(data)), check=True)


def run(data: Path, queries: list, clients: list[int], requests: int, workers: int,
        log: Path) -> dict[str, Any]:
    plans = {c: max(1, requests // c) for c in clients}
    return search.http_latency(data, queries, plans, log, workers=workers)


def table(results: dict[str, Any], clients: list[int]) -> list[str]:
    head = "| workers | clients | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |"
    lines = [head, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for workers, by_clients in results.items():
        for c in clients:
            r = by_clients[f"c{c}"]
            a = r["all"]
            lines.append(f"| {workers} | {c} | {r['requests']} | {r['requests_per_s']} | "
                         f"{a.get('p50_ms')} | {a.get('p95_ms')} | {a.get('p99_ms')} | "
                         f"{r['errors']} |")
    return lines


def ratios(results: dict[str, Any], clients: list[int], many: str) -> list[str]:
    one = results["1"]
    out = []
    for c in clients:
        a, b = one[f"c{c}"], results[many][f"c{c}"]
        out.append(f"- {c} clients: {many} workers ÷ 1 worker: requests/s "
                   f"{b['requests_per_s'] / a['requests_per_s']:.2f}x, p95 "
                   f"{b['all']['p95_ms'] / a['all']['p95_ms']:.2f}x")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.serve_bench")
    ap.add_argument("--size", type=parse_size, default=parse_size("100MB"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clients", default="1,16,50")
    ap.add_argument("--requests", type=int, default=400, help="per client count, in all")
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--json", type=Path, default=REPO / "benchmarks/out/serve.json")
    args = ap.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    corpus = generated(REPO / "benchmarks/out/corpora", args.size, args.seed)
    work = Path(tempfile.mkdtemp(prefix="trawl-serve-bench-"))
    try:
        data = work / "data"
        ingest(corpus.path, data)
        queries = query_set(corpus.needles)
        results = {str(w): run(data, queries, clients, args.requests, w, work / f"serve{w}.log")
                   for w in (1, args.workers)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"size": args.size, "results": results}, indent=1))
    print("\n".join([*table(results, clients), "", *ratios(results, clients,
                                                           str(args.workers))]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
