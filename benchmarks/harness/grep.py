"""Baseline: ripgrep over the raw files, the no-index way to search a dump.

Each query is `rg -l -i --no-messages -e REGEX CORPUS` (files that match; rg's own threads,
all cores), one process per term: a boolean runs one rg per term and combines the file sets
(its time is the sum). Date-sorted adds `--sortr modified` (the generator sets file times to
the documents' dates), which makes rg single-threaded. rg reads bytes: text inside PDF
streams, DOCX/XLSX (zip) and zip members is invisible to it, so its hit counts are lower;
they are reported next to Trawl's.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from .queries import BenchQuery, latency_stats

RG = shutil.which("rg") or "/usr/bin/rg"


def available() -> bool:
    return Path(RG).exists()


def _files(corpus: Path, regex: str, sort: bool) -> set[str]:
    cmd = [RG, "-l", "-i", "--no-messages", *(["--sortr", "modified"] if sort else []),
           "-e", regex, str(corpus)]
    done = subprocess.run(cmd, capture_output=True, check=False)
    return set(done.stdout.decode("utf-8", "replace").splitlines())


def run_query(corpus: Path, q: BenchQuery) -> int:
    assert q.rg_all is not None
    sort = q.sort == "date_desc"
    found = _files(corpus, q.rg_all[0], sort)
    for regex in q.rg_all[1:]:
        found &= _files(corpus, regex, sort)
    if q.rg_any:
        found &= set().union(*(_files(corpus, r, sort) for r in q.rg_any))
    for regex in q.rg_none:
        found -= _files(corpus, regex, sort)
    return len(found)


def latency(corpus: Path, queries: list[BenchQuery], reps: int) -> dict[str, Any]:
    per_query: dict[str, Any] = {}
    every: list[float] = []
    for q in queries:
        if q.rg_all is None:
            continue
        times, hits = [], 0
        for _ in range(max(reps, 1)):
            started = time.perf_counter()
            hits = run_query(corpus, q)
            times.append(time.perf_counter() - started)
        every += times
        per_query[q.name] = {**latency_stats(times), "hits": hits}
    return {"queries": per_query, "all": latency_stats(every)}
