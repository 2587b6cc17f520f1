"""Fuzzing the extractors through a real ingestion: mutated files in, every one accounted for.

    python -m benchmarks.fuzz_extractors [--files 10000] [--seed 1] [--seeds CORPUS|generated]
                                         [--workers 2] [--timeout 60] [--json OUT] [--keep DIR]

Seeds are real files: those of ../shared/corpus (every file under 2 MB; `--seeds DIR` for
another folder) or, with `--seeds generated` (what CI uses, needing nothing outside the repo),
the files of a small BlueLeaks-shaped corpus from benchmarks/corpus. Each mutant is a seed
changed one way, chosen at random with a fixed seed:

* ``flip``: 1 to 64 bits flipped anywhere;
* ``truncate``: cut at a random point (a download cut short);
* ``splice``: the head of one seed and the tail of another (a header that lies about what
  follows);
* ``zeros``: a run of up to 4 KB overwritten with zero bytes (a bad sector);
* ``insert``: up to 1 KB of random bytes inserted (a stray block);
* ``header``: the first bytes of a seed of another type put in front (a file that claims to
  be a PDF and is a ZIP).

The mutants keep their seed's name (so detection by extension and by content disagree as
they do in the wild) and are ingested by `trawl ingest` with its worker pool, time and memory
limits. The run passes when it finishes (no crash of the whole run) and every file is
indexed, failed or skipped, the failed and skipped each with a failure code; it reports the
outcomes, the codes, how many workers were stopped at their time or memory limit, and files
per second.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.report import finish

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRAWL_TEST_CORPUS", REPO.parent / "shared" / "corpus"))
MAX_SEED_BYTES = 2_000_000
MUTATIONS = ("flip", "truncate", "splice", "zeros", "insert", "header")
LIMIT_CODES = ("timeout", "memory", "crash")


# -- seeds -------------------------------------------------------------------------------------
def corpus_seeds(folder: Path, limit: int | None = None) -> list[Path]:
    """Every regular file under `folder` small enough to mutate, in a fixed order."""
    found = sorted(p for p in folder.rglob("*")
                   if p.is_file() and not p.is_symlink() and 0 < p.stat().st_size <= MAX_SEED_BYTES)
    return found[:limit] if limit else found


def generated_seeds(workdir: Path, size: int = 1_500_000, seed: int = 3) -> list[Path]:
    """The files of a small generated corpus (PDF, Office, e-mail, images, CSV...)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.corpus import generate

    out = workdir / "seeds"
    generate(out, size, seed=seed, sites=1)
    files = corpus_seeds(out)
    # One of each extension first, so that a small sample still covers every format.
    by_type: dict[str, list[Path]] = {}
    for path in files:
        by_type.setdefault(path.suffix.lower(), []).append(path)
    firsts = [group[0] for group in by_type.values()]
    return firsts + [p for p in files if p not in set(firsts)]


# -- mutations ---------------------------------------------------------------------------------
def mutate(data: bytes, other: bytes, how: str, rng: random.Random) -> bytes:
    if not data:
        return other[:64]
    raw = bytearray(data)
    if how == "flip":
        for _ in range(rng.randint(1, 64)):
            at = rng.randrange(len(raw))
            raw[at] ^= 1 << rng.randrange(8)
    elif how == "truncate":
        del raw[rng.randrange(1, len(raw)) if len(raw) > 1 else 0:]
    elif how == "splice":
        raw = raw[:rng.randrange(len(raw))] + bytearray(other[rng.randrange(len(other) or 1):])
    elif how == "zeros":
        at, size = rng.randrange(len(raw)), rng.randint(1, 4096)
        raw[at:at + size] = bytes(min(size, len(raw) - at))
    elif how == "insert":
        at = rng.randrange(len(raw) + 1)
        raw[at:at] = rng.randbytes(rng.randint(1, 1024))
    elif how == "header":
        raw = bytearray(other[:rng.randint(4, 512)]) + raw
    else:
        raise ValueError(f"unknown mutation {how!r}")
    return bytes(raw)


def write_mutants(seeds: list[Path], count: int, out: Path, seed: int) -> Counter:
    """`count` mutants of `seeds` (in turn, each with a random mutation) under `out`."""
    rng = random.Random(seed)
    made: Counter = Counter()
    cache: dict[Path, bytes] = {}

    def read(path: Path) -> bytes:
        if path not in cache:
            if len(cache) > 256:
                cache.clear()
            cache[path] = path.read_bytes()
        return cache[path]

    for number in range(count):
        source = seeds[number % len(seeds)]
        how = MUTATIONS[rng.randrange(len(MUTATIONS))]
        donor = seeds[rng.randrange(len(seeds))]
        data = mutate(read(source), read(donor), how, rng)
        target = out / f"{number // 1000:03d}" / f"{number:05d}-{how}-{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        made[how] += 1
    return made


# -- the run -----------------------------------------------------------------------------------
def ingest_and_account(dump: Path, data_dir: Path, workers: int, timeout_s: float,
                       memory_mb: int = 1024) -> dict[str, Any]:
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.storage.catalog import Catalog
    from trawl.storage.datadir import DataDir

    data = DataDir.open(data_dir)
    options = IngestOptions(workers=workers, quiet=True, ocr=False, timeout_s=timeout_s,
                            memory_limit=memory_mb * 1024**2)
    started = time.perf_counter()
    ingester = Ingester(data, "fuzz", options)
    try:
        ingester.ingest(dump)
    finally:
        ingester.close()
    seconds = time.perf_counter() - started
    catalog = Catalog(data.catalog_path, readonly=True)
    try:
        rows = list(catalog.dataset_files(catalog.dataset("fuzz").id))
    finally:
        catalog.close()
    return account(dump, rows, seconds)


def account(dump: Path, rows: list, seconds: float) -> dict[str, Any]:
    """Outcomes of the files on disk (members and attachments counted apart)."""
    on_disk = {p.relative_to(dump).as_posix() for p in dump.rglob("*") if p.is_file()}
    walked = {r.path: r for r in rows if r.parent_id is None and r.kind == "file"}
    members = [r for r in rows if r.parent_id is not None and r.kind != "dir"]
    status = Counter(r.status for r in walked.values())
    codes = Counter(r.error_code or "none" for r in walked.values() if r.status != "indexed")
    return {
        "files": len(on_disk),
        "seconds": round(seconds, 1),
        "files_per_s": round(len(on_disk) / seconds, 1) if seconds else None,
        "outcomes": dict(status),
        "codes": dict(codes.most_common()),
        "members": len(members),
        "member_outcomes": dict(Counter(r.status for r in members)),
        "not_recorded": sorted(on_disk - set(walked))[:20],
        "pending": sorted(p for p, r in walked.items() if r.status == "pending")[:20],
        "without_code": sorted(r.path for r in [*walked.values(), *members]
                               if r.status in ("failed", "skipped") and not r.error_code)[:20],
        "members_pending": sum(1 for r in members if r.status == "pending"),
        "stopped_at_limits": sum(codes.get(code, 0) for code in LIMIT_CODES),
    }


def passed(report: dict[str, Any]) -> bool:
    return not (report["not_recorded"] or report["pending"] or report["without_code"]
                or report["members_pending"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", default=str(CORPUS),
                        help="a folder of seed files, or 'generated'")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds one file may take (default 60)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the mutants and data here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="trawl-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        seeds = generated_seeds(work) if args.seeds == "generated" else \
            corpus_seeds(Path(args.seeds))
        dump = work / "mutants"
        made = write_mutants(seeds, args.files, dump, args.seed)
        report = ingest_and_account(dump, work / "data", args.workers, args.timeout)
        report.update({"seeds": len(seeds), "mutations": dict(made), "seed": args.seed,
                       "passed": passed(report)})
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return finish(report, args.json)


if __name__ == "__main__":
    sys.exit(main())
