"""Trawl's search latency: through the library (`Archive.search`) and over HTTP.

* Library: one `Archive` opened in a fresh process (`python -m benchmarks.harness.search`, so
  that it runs the same Trawl code as the ingestion just did); each query once (its time kept
  as `first_ms`: caches cold for that query), then `reps` timed calls, 10 hits per page
  (snippets and best pages included), as `trawl search` and the API ask. The peak RSS of that
  process is kept too.
* HTTP: `trawl serve` (its default workers, one per core) started as a subprocess on
  127.0.0.1 (a free port), GET /api/search
  with httpx. With 1 client, and with 16 clients at once (threads, one connection each), each
  client sending a bounded number of requests cycling through the query set. Latency is per
  request (client side, connection kept alive); throughput is requests over the wall time.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from trawl.access.passwords import generated_password
from trawl.access.store import AccessStore
from trawl.index.base import FACETS, SearchQuery
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir

from .ingest import trawl_cmd
from .procmon import module_env, run_measured
from .queries import BenchQuery, latency_stats, query_set

BENCH_ACCOUNT = "benchmark"


def library_query(q: BenchQuery) -> SearchQuery:
    return SearchQuery(text=q.trawl, sort=q.sort, limit=10,
                       facets=FACETS if q.facets else (), facet_size=50)


def library_latency(data_dir: Path, queries: list[BenchQuery], reps: int) -> dict[str, Any]:
    archive = Archive(DataDir(data_dir.resolve()))
    per_query: dict[str, Any] = {}
    every: list[float] = []
    try:
        for q in queries:
            query = library_query(q)
            started = time.perf_counter()
            result = archive.search(query)
            first = time.perf_counter() - started
            times = []
            for _ in range(reps):
                started = time.perf_counter()
                archive.search(query)
                times.append(time.perf_counter() - started)
            every += times
            per_query[q.name] = {**latency_stats(times), "first_ms": round(first * 1000, 3),
                                 "hits": result.total}
    finally:
        archive.close()
    return {"queries": per_query, "all": latency_stats(every)}


def library_in_process(data_dir: Path, rare: str, reps: int, log: Path) -> dict[str, Any]:
    """`library_latency` in a subprocess; its results, and the process's peak RSS."""
    m = run_measured([sys.executable, "-m", "benchmarks.harness.search", str(data_dir),
                      "--rare", rare, "--reps", str(reps)], log, env=module_env())
    if m.returncode:
        raise RuntimeError(f"library search failed; see {log}")
    result = json.loads(log.read_text().strip().splitlines()[-1])
    return {**result, "process_peak_rss": m.peak_rss, "process_wall_s": m.wall_s}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.harness.search")
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--rare", required=True, help="the rare term of the query set")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args(argv)
    queries = query_set([{"kind": "pdf", "term": args.rare}])
    print(json.dumps(library_latency(args.data_dir, queries, args.reps)))
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_params(q: BenchQuery) -> dict[str, str]:
    params = {"q": q.trawl or "*", "limit": "10"}
    if q.sort == "date_desc":
        params["sort"] = "date"
    return params


class Server:
    """`trawl serve` in a subprocess, for the length of a `with` block."""

    def __init__(self, data_dir: Path, log: Path, workers: int | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.cmd = trawl_cmd("serve", "--port", str(self.port), "--data-dir", str(data_dir),
                             *(["--workers", str(workers)] if workers else []))
        self.proc: subprocess.Popen[bytes] | None = None
        # The archive is private: the load comes from an admin's API token, so the numbers
        # include authentication (a token lookup and the caller's scope, every request).
        self.headers = {"Authorization": f"Bearer {bench_token(data_dir)}"}

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:  # no `with` body will run: stop the server here
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"trawl serve exited; see {self.log}")
            try:
                if httpx.get(f"{self.url}/api/search", params={"q": "x"}, timeout=2,
                             headers=self.headers).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"trawl serve did not answer in {timeout} s; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def bench_token(data_dir: Path) -> str:
    """A new API token of the benchmark's own admin account (made on first use)."""
    store = AccessStore(DataDir(data_dir).access_path)
    try:
        if store.user(BENCH_ACCOUNT) is None:
            store.add_user(BENCH_ACCOUNT, generated_password(), is_admin=True)
        return store.create_token(BENCH_ACCOUNT, f"http-{time.time_ns()}")[0]
    finally:
        store.close()


def _client(server: Server, plan: list[BenchQuery], out: dict[str, list[float]],
            errors: list[str], lock: threading.Lock) -> None:
    mine: dict[str, list[float]] = defaultdict(list)
    with httpx.Client(base_url=server.url, timeout=60, headers=server.headers) as client:
        for q in plan:
            started = time.perf_counter()
            resp = client.get("/api/search", params=http_params(q))
            elapsed = time.perf_counter() - started
            if resp.status_code != 200:
                errors.append(f"{q.name}: HTTP {resp.status_code}")
            mine[q.name].append(elapsed)
    with lock:
        for name, times in mine.items():
            out[name] += times


def http_load(server: Server, queries: list[BenchQuery], clients: int,
              per_client: int) -> dict[str, Any]:
    """`clients` threads at once, each sending `per_client` requests (cycling the queries)."""
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    threads = []
    for c in range(clients):
        plan = [queries[(c + i) % len(queries)] for i in range(per_client)]
        threads.append(threading.Thread(target=_client,
                                        args=(server, plan, times, errors, lock)))
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    every = [s for v in times.values() for s in v]
    return {"clients": clients, "requests": len(every), "errors": len(errors),
            "wall_s": round(wall, 3), "requests_per_s": round(len(every) / wall, 2),
            "all": latency_stats(every),
            "queries": {name: latency_stats(v) for name, v in times.items()}}


def http_latency(data_dir: Path, queries: list[BenchQuery], plans: dict[int, int],
                 log: Path, workers: int | None = None) -> dict[str, Any]:
    """`plans`: number of concurrent clients -> requests each client sends. `workers`:
    `trawl serve --workers` (None: its default, one per core)."""
    with Server(data_dir, log, workers) as server:
        for q in queries:  # warm-up: every query once
            httpx.get(f"{server.url}/api/search", params=http_params(q), timeout=60,
                      headers=server.headers)
        return {f"c{c}": http_load(server, queries, c, n) for c, n in plans.items()}


if __name__ == "__main__":
    raise SystemExit(main())
