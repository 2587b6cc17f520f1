"""Crash injection: kill -9 at random moments of every long stage, resume, and compare with a
run that was never interrupted.

    python -m benchmarks.crash_campaign [--kills 20] [--seed 1] [--size 3MB] [--json OUT]

A BlueLeaks-shaped corpus (benchmarks/corpus: tables, PDFs, scans to OCR, e-mails) with a
few thousand small notes (so that every stage lasts long enough to be cut) goes through the
same commands twice, in the same order:

1. `trawl ingest --no-entities` (extraction, tables, their sync, OCR),
2. `trawl entities extract` (the entity stage and its index rewrite),
3. `trawl dataset visibility NAME public` (publishing: the redacted view is built),
4. `trawl reindex` (the whole index again, from the catalog).

The reference runs each once. The campaign spreads `--kills` over the four and, for each
kill, starts the command, sends SIGKILL to its whole process group (coordinator and workers)
after a random share (20-95 %) of what is left of the reference's time for that command
(less after each kill: a resumed run has less to do), and starts it again; a command is run
to the end after its last kill. Then both data folders must agree:
every path's status, hash and error; the documents and entities; the index (totals, facets
and the words searched, in full and as a stranger reads the public dataset); the tables.
A kill that lands after the command finished counts as a kill that did not happen (said in
the report, not counted as survived).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import finish

REPO = Path(__file__).resolve().parents[1]
DATASET = "crash"
WORDS = ("heron", "protest", "bulletin", "police", "report")


def stages(dump: Path) -> list[tuple[str, list[str]]]:
    return [
        ("ingest", ["ingest", str(dump), "--dataset", DATASET, "--quiet", "--workers", "2",
                    "--no-entities"]),
        ("entities", ["entities", "extract", "--dataset", DATASET, "--quiet", "--workers", "2"]),
        ("publish", ["dataset", "visibility", DATASET, "public"]),
        ("reindex", ["reindex"]),
    ]


def make_dump(root: Path, size: int, notes: int, seed: int) -> Path:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.corpus import generate

    dump = root / "dump"
    generate(dump / "portal", size, seed=seed, sites=1)
    many = dump / "notes"
    many.mkdir()
    for i in range(notes):
        (many / f"note-{i:05}.txt").write_text(
            f"Note {i}: the heron counted {i * 7} fish near the protest, call "
            f"(212) 555-{i % 10000:04d} or mail n{i}@example.org.\n")
    return dump


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "TRAWL_DATA": str(data),
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}


def run(data: Path, args: list[str]) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "trawl.cli.main", *args], env=_env(data), check=True,
                   stdout=subprocess.DEVNULL, timeout=3600)
    return time.monotonic() - started


def killed(data: Path, args: list[str], after_s: float) -> bool:
    """Start the command and kill its process group after `after_s`; False if it ended
    first."""
    process = subprocess.Popen([sys.executable, "-m", "trawl.cli.main", *args],
                               env=_env(data), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=after_s)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def fingerprint(data: Path) -> dict[str, Any]:
    """What two equivalent archives share, read through Trawl's own read side."""
    from trawl.access.policy import ReadScope
    from trawl.index.base import SearchQuery
    from trawl.search.service import Archive
    from trawl.storage.catalog import Catalog
    from trawl.storage.datadir import DataDir
    from trawl.storage.entities import EntityStore
    from trawl.storage.tables import TableStore

    folder = DataDir.open(data)
    catalog = Catalog(folder.catalog_path, readonly=True)
    try:
        ds = catalog.dataset(DATASET)
        files = sorted((r.path, r.status, r.sha256 or "", r.error_code or "")
                       for r in catalog.dataset_files(ds.id))
        entities = sorted((e.kind, e.key, e.documents, e.rows, e.sources)
                          for e in EntityStore(catalog).listing(ds.id, limit=1_000_000))
        documents = catalog.count_documents(ds.id)
        visibility = ds.visibility
    finally:
        catalog.close()
    store = TableStore.open_readonly(folder.tables_path)
    try:
        tables = sorted((t.name, t.row_count) for t in store.tables(DATASET, include_empty=True))
    finally:
        store.close()
    archive = Archive(folder)
    try:
        searches = {}
        for name, reader in (("full", archive),
                             ("stranger", archive.scoped(ReadScope(redacted=frozenset(
                                 {DATASET}))))):
            for word in ("", *WORDS):
                for record in ("documents", "rows"):
                    found = reader.search(SearchQuery(text=word or "*", record=record,
                                                      limit=0, facets=("type", "source")))
                    searches[f"{name}:{record}:{word or '*'}"] = (
                        found.total, sorted((k, sorted(v)) for k, v in found.facets.items()))
    finally:
        archive.close()
    return {"files": files, "entities": entities, "documents": documents, "tables": tables,
            "visibility": visibility, "searches": searches}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    for key in a:
        if a[key] != b[key]:
            if isinstance(a[key], list):
                only_a = [x for x in a[key] if x not in b[key]][:3]
                only_b = [x for x in b[key] if x not in a[key]][:3]
                out.append(f"{key}: reference only {only_a}; resumed only {only_b}")
            elif isinstance(a[key], dict):
                keys = [k for k in a[key] if a[key][k] != b[key].get(k)][:5]
                out.append(f"{key}: {[(k, a[key][k], b[key].get(k)) for k in keys]}")
            else:
                out.append(f"{key}: {a[key]!r} != {b[key]!r}")
    return out


def campaign(root: Path, kills: int, seed: int, size: int, notes: int) -> dict[str, Any]:
    rng = random.Random(seed)
    dump = make_dump(root, size, notes, seed)
    reference, resumed = root / "reference", root / "resumed"
    plan = stages(dump)
    times = {name: run(reference, args) for name, args in plan}
    # Kills spread over the stages: in turn, so each gets its share.
    per_stage = {name: kills // len(plan) + (i < kills % len(plan))
                 for i, (name, _) in enumerate(plan)}
    landed, missed = [], 0
    for name, args in plan:
        left = times[name]  # about what is left of the stage's work, after the kills so far
        for _ in range(per_stage[name]):
            after = max(0.2, left * rng.uniform(0.2, 0.95))
            if killed(resumed, args, after):
                landed.append({"stage": name, "after_s": round(after, 2)})
                left = max(0.5, left - after + 0.3)  # a restart costs its start again
            else:
                missed += 1
        run(resumed, args)
    wrong = differences(fingerprint(reference), fingerprint(resumed))
    return {"kills_asked": kills, "kills_landed": len(landed), "kills_after_the_end": missed,
            "by_stage": {n: sum(1 for k in landed if k["stage"] == n) for n, _ in plan},
            "reference_s": {n: round(t, 1) for n, t in times.items()},
            "kills": landed, "differences": wrong, "passed": not wrong}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", default="3MB")
    parser.add_argument("--notes", type=int, default=3000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.corpus import parse_size

    with tempfile.TemporaryDirectory(prefix="trawl-crash-") as tmp:
        report = campaign(Path(tmp), args.kills, args.seed, parse_size(args.size), args.notes)
    return finish(report, args.json)


if __name__ == "__main__":
    sys.exit(main())
