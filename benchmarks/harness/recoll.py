"""Baseline: Recoll (Debian `recoll`, Xapian), for ingestion and for queries.

Indexing: `recollindex -c CONF -z` (reset, full index) with a private configuration folder in
the run's output (RECOLL_CONFDIR; `topdirs` = the corpus, everything else Recoll's defaults:
its own thread pool, stemming for English, external filters such as pdftotext, antiword,
rclopxml, rclzip). Measured like Trawl's ingestion (whole process tree). What Recoll could
not read is taken from its log (`internfile` errors, by MIME type) and its `missing` file
(helper programs it looked for and did not find).

Queries: `recollq -c CONF -n 10 QUERY` (count + 10 results), one process per query, which is
how Recoll is used from a script; the start of the process and the opening of the Xapian
database are in every timing (`noop` measures that alone, with a query that matches nothing).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .procmon import run_measured, tree_size
from .queries import BenchQuery, latency_stats

_ERROR = re.compile(r"internfile: next_document error \[(?P<path>[^\]]*)\] (?P<mime>\S+)")
_COUNT = re.compile(r"^(\d+) results", re.M)
_PERL = re.compile(r"Can't locate (\S+) in @INC")


def available() -> bool:
    return bool(shutil.which("recollindex") and shutil.which("recollq"))


def configure(conf: Path, corpus: Path) -> None:
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "recoll.conf").write_text(
        f"topdirs = {corpus}\nloglevel = 2\nlogfilename = {conf / 'recoll.log'}\n")


def _env(conf: Path) -> dict[str, str]:
    return {**os.environ, "RECOLL_CONFDIR": str(conf)}


def unreadable(conf: Path) -> dict[str, Any]:
    log = conf / "recoll.log"
    text = log.read_text("utf-8", "replace") if log.exists() else ""
    by_mime = Counter(m.group("mime") for m in _ERROR.finditer(text))
    missing_file = conf / "missing"
    missing = missing_file.read_text().strip() if missing_file.exists() else ""
    out = conf / "recollindex.out"
    perl = sorted(set(_PERL.findall(out.read_text("utf-8", "replace")))) if out.exists() else []
    if perl:  # filters written in Perl (rclimg) fail without telling `missing`
        missing = "; ".join([*([missing] if missing else []), *(f"Perl {m}" for m in perl)])
    status = {}
    status_file = conf / "idxstatus.txt"
    if status_file.exists():
        for line in status_file.read_text().splitlines():
            key, _, value = line.partition("=")
            status[key.strip()] = value.strip()
    return {"errors_by_mime": dict(by_mime.most_common()), "missing_helpers": missing,
            "files_done": int(status.get("filesdone", 0) or 0),
            "docs_done": int(status.get("docsdone", 0) or 0),
            "file_errors": int(status.get("fileerrors", 0) or 0)}


def index(corpus: Path, conf: Path) -> dict[str, Any]:
    if conf.exists():
        shutil.rmtree(conf)
    configure(conf, corpus)
    m = run_measured(["recollindex", "-c", str(conf), "-z"], conf / "recollindex.out",
                     env=_env(conf))
    return {**m.as_dict(), "index_bytes": tree_size(conf / "xapiandb"), **unreadable(conf)}


def run_query(conf: Path, text: str, sort: bool = False) -> int:
    cmd = ["recollq", "-c", str(conf), "-n", "10", *(["-S", "mtime", "-D"] if sort else []),
           text]
    done = subprocess.run(cmd, capture_output=True, env=_env(conf), check=False)
    found = _COUNT.search(done.stdout.decode("utf-8", "replace"))
    return int(found.group(1)) if found else 0


def latency(conf: Path, queries: list[BenchQuery], reps: int) -> dict[str, Any]:
    per_query: dict[str, Any] = {}
    every: list[float] = []
    plan = [(q.name, q.recoll, q.sort == "date_desc") for q in queries if q.recoll]
    plan.append(("noop", "zzqxjvnonexistentzz", False))
    for name, text, sort in plan:
        assert text is not None
        times, hits = [], 0
        for _ in range(max(reps, 1)):
            started = time.perf_counter()
            hits = run_query(conf, text, sort)
            times.append(time.perf_counter() - started)
        if name != "noop":
            every += times
        per_query[name] = {**latency_stats(times), "hits": hits}
    return {"queries": per_query, "all": latency_stats(every)}
