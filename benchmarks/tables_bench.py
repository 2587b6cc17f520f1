"""Structured tables benchmark: load speed of a big CSV, and table-page latency on it.

Usage::

    python -m benchmarks.tables_bench [--rows 500000] [--requests 40] [--keep DIR]

1. Writes a BlueLeaks-like ``SARs.csv`` of ``--rows`` rows (11 columns: an id, US-format
   time stamps, a low-cardinality category, names, e-mails, free text, amounts, Yes/No, file
   references), deterministic (seed 1).
2. Loads it the way ingestion does, on one core, timing each step: staging (parse, infer
   types, convert; what a worker does), the copy into ``tables.sqlite`` and the indexes (what
   the coordinator does), then the rows' search-index entries.
3. Serves the web app (FastAPI TestClient, in process, so no network in the numbers) and
   times table pages: first page, deep keyset pages, sort by each kind of column (both
   directions), equality / contains / range filters, in-table full-text search, the row page,
   and a CSV export page. Reports p50/p95/max per kind.

A benchmark, not a test: it prints numbers (and writes JSON with ``--json``); the targets are
>= 50k rows/s to load and < 200 ms p95 per page.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

CATEGORIES = ["Photography", "Testing of Security", "Expressed Threat", "Surveillance",
              "Theft/Loss/Diversion", "Cyber Attack", "Sabotage", "Eliciting Information",
              "Aviation Activity", "Misrepresentation", "Materials Acquisition", "Other"]
WORDS = ("protest suspicious vehicle parked near substation photographs taken of the fence "
         "individual asked questions about shift changes drone observed over stadium bag left "
         "unattended caller reported threats posted online against officers meeting").split()
FIRST = ["Alex", "Blair", "Casey", "Drew", "Emery", "Finley", "Gray", "Harper", "Jules", "Kai"]
LAST = ["Corvham", "Vellvale", "Larkholt", "Threlholt", "Wexlwin", "Jassshaw", "Rennholt"]
COLUMNS = ["SARsid", "FormTimeStamp", "Category", "FirstName", "LastName", "Email",
           "City", "BriefSummary", "Amount", "Approved", "File1"]


def write_csv(path: Path, rows: int, seed: int = 1) -> int:
    """A BlueLeaks-shaped SARs export of `rows` rows; returns its size in bytes."""
    rng = random.Random(seed)
    start = datetime(2015, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\r\n")
        out.writerow(COLUMNS)
        for n in range(1, rows + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            stamp = start + timedelta(seconds=rng.randrange(0, 5 * 365 * 86400))
            out.writerow([
                n, stamp.strftime("%m/%d/%Y %I:%M:%S %p"), rng.choice(CATEGORIES), first, last,
                f"{first.lower()}.{last.lower()}{n % 97}@example.org",
                rng.choice(["Aldermill", "Elmpoint", "Redfield", "Silvermill", "Quarryport"]),
                " ".join(rng.choices(WORDS, k=rng.randint(8, 30))),
                f"{rng.uniform(0, 5000):.2f}", rng.choice(["Yes", "No"]),
                f"files\\SARs\\{stamp.year}\\IMG_{n:06d}.JPG" if n % 5 == 0 else "",
            ])
    return path.stat().st_size


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
            "max_ms": round(ordered[-1], 1), "n": len(ordered)}


def load(work: Path, rows: int) -> dict[str, object]:
    """Stage, copy, index: each step timed (process CPU time too: "on one core")."""
    from trawl.ingestion.tables.stage import stage_file
    from trawl.ingestion.tables.sync import load_artifact_tables
    from trawl.storage.tables import TableStore

    source = work / "dump" / "site" / "SARs.csv"
    size = write_csv(source, rows)
    artifact = work / "artifact.sqlite"
    steps: dict[str, float] = {}
    cpu = time.process_time()
    t0 = time.perf_counter()
    metas = stage_file(source, "text/csv", source.name, artifact)
    steps["stage_s"] = time.perf_counter() - t0
    store = TableStore(work / "data" / "tables.sqlite")
    t0 = time.perf_counter()
    ids = load_artifact_tables(store, artifact, dataset="bench", path="site/SARs.csv",
                               sha256="0" * 64, document_id=None)
    store.commit()
    steps["copy_and_indexes_s"] = time.perf_counter() - t0
    cpu_load = time.process_time() - cpu
    total = steps["stage_s"] + steps["copy_and_indexes_s"]
    info = store.table(ids[0])
    assert info is not None and info.row_count == rows, (metas, info)
    store.close()
    return {"rows": rows, "bytes": size, **{k: round(v, 2) for k, v in steps.items()},
            "load_s": round(total, 2), "rows_per_s": int(rows / total),
            "cpu_rows_per_s": int(rows / cpu_load), "table_id": ids[0],
            "types": {c.sql: c.type for c in info.columns}}


def index_rows(work: Path, table_id: int) -> dict[str, object]:
    from trawl.derive.rows import index_table_rows
    from trawl.index.tantivy_backend import TantivyIndex
    from trawl.storage.tables import TableStore

    store = TableStore(work / "data" / "tables.sqlite")
    index = TantivyIndex(work / "data" / "index", writable=True)
    info = store.table(table_id)
    assert info is not None
    t0, cpu = time.perf_counter(), time.process_time()
    count = index_table_rows(store, index, info)
    index.commit()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu
    store.mark_indexed(table_id)
    store.commit()
    index.close()
    store.close()
    # process_time counts every thread (Tantivy indexes in one of its own).
    return {"rows_indexed": count, "index_s": round(seconds, 2),
            "index_rows_per_s": int(count / seconds) if seconds else None,
            "index_cpu_rows_per_s": int(count / cpu) if cpu else None}


def latency(work: Path, table_id: int, requests: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from trawl.storage.catalog import Catalog
    from trawl.storage.datadir import DataDir
    from trawl.web.app import create_app

    data = DataDir.open(work / "data")
    Catalog(data.catalog_path).close()  # the app wants a catalog, even an empty one
    client = TestClient(create_app(data))
    base = f"/tables/{table_id}"
    rng = random.Random(2)
    first = client.get(base)
    assert first.status_code == 200, first.text[:500]
    kinds: dict[str, list[str]] = {
        "first page": [base],
        "deep keyset page": [],
        "sort integer": [f"{base}?sort=SARsid&desc=1"],
        "sort text": [f"{base}?sort=LastName", f"{base}?sort=Email&desc=1"],
        "sort datetime": [f"{base}?sort=FormTimeStamp", f"{base}?sort=FormTimeStamp&desc=1"],
        "sort number": [f"{base}?sort=Amount&desc=1"],
        "filter equals": [f"{base}?f.Category=Surveillance", f"{base}?f.Approved=1"],
        "filter contains": [f"{base}?c.BriefSummary=drone", f"{base}?c.Email=kai.rennholt"],
        "filter range": [f"{base}?min.Amount=100&max.Amount=200",
                         f"{base}?min.FormTimeStamp=2018-01-01&max.FormTimeStamp=2018-02-01"],
        "filter + sort": [f"{base}?f.Category=Surveillance&sort=Amount&desc=1"],
        "search in table": [f"{base}?q=drone+stadium", f"{base}?q=substation"],
        "row page": [],
        "export csv (page)": [f"/tables/{table_id}/export.csv?limit=100"],
    }
    # Deep pages: follow "next" links from a sorted view, like a reader would.
    url = f"{base}?sort=LastName"
    for _ in range(5):
        body = client.get(url).text
        marker = 'rel="next" href="'
        if marker not in body:
            break
        url = body.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&")
        kinds["deep keyset page"].append(url)
    kinds["deep keyset page"].append(f"{base}?after=400000")
    for _ in range(5):
        kinds["row page"].append(f"/tables/{table_id}/rows/{rng.randint(1, 500_000)}")
    out = {}
    for kind, urls in kinds.items():
        times = []
        for i in range(requests):
            target = urls[i % len(urls)]
            t0 = time.perf_counter()
            response = client.get(target)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (target, response.status_code,
                                                 response.text[:300])
        out[kind] = _percentiles(times)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per kind of page")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result: dict[str, object] = {"load_average_before": os.getloadavg(),
                                     "load": load(work, args.rows)}
        print(json.dumps(result["load"], indent=2), flush=True)
        table_id = result["load"]["table_id"]  # type: ignore[index]
        result["index"] = index_rows(work, table_id)
        print(json.dumps(result["index"], indent=2), flush=True)
        result["latency"] = latency(work, table_id, args.requests)
        for kind, numbers in result["latency"].items():  # type: ignore[union-attr]
            print(f"{kind:<22} p50 {numbers['p50_ms']:>7} ms  p95 {numbers['p95_ms']:>7} ms  "
                  f"max {numbers['max_ms']:>7} ms")
        result["load_average_after"] = os.getloadavg()
        print("load average (1, 5, 15 min) before:", result["load_average_before"], "after:",
              result["load_average_after"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
