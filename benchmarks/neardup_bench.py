"""Near-duplicates: the MinHash library, then the stage's quality and cost.

    python -m benchmarks.neardup_bench [--size 20MB] [--seed 1] [--workers 2]
                                       [--json benchmarks/out/neardup.json] [--keep DIR]

A. Libraries (`--libraries-only` stops after it): the texts Trawl extracted from a
   generated corpus, shingled once (derive/neardup.py), then for rensa 0.5.0 and
   datasketch 2.0.0 side by side, each in a process of its own: signatures per second (CPU
   time of one process, `NUM_PERM` minima), inserting every signature in the library's own
   LSH index and querying each (ms per query), and the resident memory the signatures and
   the index added to the process (after, less before).
B. The stage: the corpus is ingested with ``--no-neardup --no-ocr --no-entities`` (timed:
   extraction and index), then `trawl neardup` alone (timed, its whole process tree, with
   peak memory; and the seconds the stage itself says it took, without the start-up and
   the index entries written again after it): their ratios to the ingestion are the
   stage's cost. Then the same corpus ingested whole (the stage on) into another folder,
   against the ingestion without it.
C. Quality, against the generator's ground truth (the manifest's ``shared_docs``: every
   path of each shared bulletin, its exact copies and its re-dated, re-headed variants):
   pairs of documents put in one cluster against pairs of one bulletin (precision, recall),
   then against an exact Jaccard of the same shingles computed for all pairs of a sample
   of documents (the pairs at >= the threshold: what MinHash + LSH should find).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.entities_bench import extracted_texts, trawl

REPO = Path(__file__).resolve().parents[1]
DATASET = "gen"


# -- A. libraries ---------------------------------------------------------------------------------
def _rss_kb() -> int:
    import psutil

    return psutil.Process().memory_info().rss // 1024


def library_run(library: str, sets: list[list[str]], threshold: float) -> dict[str, Any]:
    """One library's signatures, LSH inserts and queries over `sets` (run in its own
    process by `libraries`, so that its memory is its own)."""
    from trawl.derive.neardup import BANDS, NUM_PERM, SEED

    before = _rss_kb()
    started = time.process_time()
    if library == "rensa":
        from rensa import RMinHash, RMinHashLSH

        sigs = []
        for grams in sets:
            m = RMinHash(NUM_PERM, SEED)
            m.update(grams)
            sigs.append(m)
        signed = time.process_time() - started
        lsh = RMinHashLSH(threshold, NUM_PERM, BANDS)
        for i, m in enumerate(sigs):
            lsh.insert(i, m)
    else:
        from datasketch import MinHash, MinHashLSH

        sigs = []
        for grams in sets:
            m = MinHash(NUM_PERM, SEED)
            m.update_batch([g.encode() for g in grams])
            sigs.append(m)
        signed = time.process_time() - started
        lsh = MinHashLSH(threshold, NUM_PERM)
        for i, m in enumerate(sigs):
            lsh.insert(i, m)
    inserted = time.process_time() - started - signed
    t0 = time.process_time()
    found = sum(len(lsh.query(m)) for m in sigs)
    queried = time.process_time() - t0
    return {"library": library, "signatures": len(sets),
            "signatures_per_s": round(len(sets) / signed) if signed else None,
            "shingles_per_s": round(sum(map(len, sets)) / signed) if signed else None,
            "insert_ms_per_doc": round(1000 * inserted / len(sets), 4),
            "query_ms": round(1000 * queried / len(sets), 4), "candidates": found,
            "added_rss_mb": round((_rss_kb() - before) / 1024, 1)}


def libraries(texts: list[str], threshold: float) -> list[dict[str, Any]]:
    """Both libraries on the same shingles, each in a fresh process."""
    from trawl.derive.neardup import MIN_SHINGLES, shingles

    sets = [grams for text in texts if len(grams := shingles(text)) >= MIN_SHINGLES]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sets.json"
        path.write_text(json.dumps(sets))
        out = []
        for library in ("rensa", "datasketch"):
            code = ("import json, sys; from benchmarks.neardup_bench import library_run; "
                    f"print(json.dumps(library_run({library!r}, json.load(open({str(path)!r})),"
                    f" {threshold})))")
            env = {**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'src'}"}
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  env=env, check=True, cwd=REPO)
            out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


# -- C. quality -----------------------------------------------------------------------------------
def pairs_of(groups: list[set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for group in groups for a, b in itertools.combinations(sorted(group), 2)}


def scored(found: set[tuple[str, str]], expected: set[tuple[str, str]]) -> dict[str, Any]:
    hits = len(found & expected)
    return {"pairs_found": len(found), "pairs_expected": len(expected),
            "precision": round(hits / len(found), 4) if found else 1.0,
            "recall": round(hits / len(expected), 4) if expected else 1.0}


def documents_by_path(data_dir: Path) -> dict[str, str]:
    """Each indexed path of the dataset -> its document id."""
    from trawl.storage.catalog import Catalog, document_id

    catalog = Catalog(data_dir / "catalog.sqlite", readonly=True)
    try:
        ds = catalog.dataset(DATASET)
        assert ds is not None
        return {path: document_id(DATASET, sha) for path, sha in catalog.walked_files(ds.id)}
    finally:
        catalog.close()


def cluster_groups(data_dir: Path) -> list[set[str]]:
    from trawl.storage.catalog import Catalog
    from trawl.storage.neardup import NearDupStore

    catalog = Catalog(data_dir / "catalog.sqlite", readonly=True)
    try:
        ds = catalog.dataset(DATASET)
        assert ds is not None
        return [set(members) for members in NearDupStore(catalog).all_members(ds.id)]
    finally:
        catalog.close()


def truth_groups(manifest: dict[str, Any], by_path: dict[str, str]) -> list[set[str]]:
    """The documents of each shared bulletin with a typed text (a scan is read by OCR,
    off here), by the paths the manifest gives."""
    groups = []
    for copies in manifest["shared_docs"].values():
        docs = {by_path[c["path"]] for c in copies
                if c["format"] != "pdf-scan" and c["path"] in by_path}
        groups.append(docs)
    return groups


def document_shingles(data_dir: Path) -> dict[str, frozenset[str]]:
    """The shingles of every document with enough text (as the stage makes them)."""
    from trawl.derive.neardup import MIN_SHINGLES, shingles
    from trawl.storage.blobs import BlobStore
    from trawl.storage.catalog import Catalog

    catalog = Catalog(data_dir / "catalog.sqlite", readonly=True)
    blobs = BlobStore(data_dir / "blobs")
    try:
        ds = catalog.dataset(DATASET)
        assert ds is not None
        sets: dict[str, frozenset[str]] = {}
        for doc_id, sha in catalog.iter_documents(ds.id):
            content = catalog.content(sha)
            if content is None or not content.text_key:
                continue
            grams = frozenset(shingles(blobs.get_text(content.text_key).replace("\f", " ")))
            if len(grams) >= MIN_SHINGLES:
                sets[doc_id] = grams
        return sets
    finally:
        catalog.close()


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def truth_scores(data_dir: Path, manifest: dict[str, Any], sets: dict[str, frozenset[str]],
                 threshold: float) -> dict[str, Any]:
    """Clustered pairs against the pairs of one shared bulletin. Precision counts the found
    pairs that hold a document of a shared bulletin (the truth says nothing of the others:
    an e-mail forwarding a local bulletin is a near-copy the generator does not record;
    the exact sample judges those). Recall is given over every pair of one bulletin and
    over those whose exact Jaccard is at least the threshold (a variant re-headed, re-dated
    and with a paragraph rewritten may be further from its original than that)."""
    truth = pairs_of(truth_groups(manifest, documents_by_path(data_dir)))
    in_truth = {doc for pair in truth for doc in pair}
    found = {p for p in pairs_of(cluster_groups(data_dir)) if p[0] in in_truth or
             p[1] in in_truth}
    close = {(a, b) for a, b in truth if a in sets and b in sets
             and jaccard(sets[a], sets[b]) >= threshold}
    out = scored(found, truth)
    out["recall_at_threshold"] = scored(found, close)["recall"]
    out["pairs_at_threshold"] = len(close)
    exact = sorted(jaccard(sets[a], sets[b]) for a, b in truth if a in sets and b in sets)
    if exact:  # how far apart the generator's variants are
        out["truth_jaccard"] = {"min": round(exact[0], 3),
                                "median": round(exact[len(exact) // 2], 3),
                                **{f">={t}": round(sum(j >= t for j in exact) / len(exact), 3)
                                   for t in (0.5, 0.6, 0.7, 0.8)}}
    return out


def exact_sample(data_dir: Path, sets: dict[str, frozenset[str]], sample: int,
                 threshold: float) -> dict[str, Any]:
    """Exact Jaccard of all pairs of a sample of documents (the first `sample` by id: ids
    are hashes, so a random sample), against the pairs the stage clustered."""
    ids = sorted(sets)[:sample]
    started = time.process_time()
    expected = {(a, b) for a, b in itertools.combinations(ids, 2)
                if jaccard(sets[a], sets[b]) >= threshold}
    seconds = time.process_time() - started
    in_sample = set(ids)
    found = {(a, b) for a, b in pairs_of(cluster_groups(data_dir))
             if a in in_sample and b in in_sample}
    # Clusters are connected components: a pair of one cluster may be below the threshold
    # while linked through a third, counted apart from MinHash's misses.
    chained = {(a, b) for a, b in found - expected if jaccard(sets[a], sets[b]) < threshold}
    direct = found - chained
    return {"documents": len(ids), "pairs": len(ids) * (len(ids) - 1) // 2,
            "exact_cpu_s": round(seconds, 1), **scored(found, expected),
            "pairs_only_by_chaining": len(chained),
            "precision_without_chaining": scored(direct, expected)["precision"]}


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO / "src"))
    from benchmarks.corpus import generate, parse_size
    from trawl.derive.neardup import DEFAULT_THRESHOLD

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=parse_size, default=parse_size("20MB"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sample", type=int, default=1500, help="documents of the exact sample")
    p.add_argument("--libraries-only", action="store_true")
    p.add_argument("--json", type=Path)
    p.add_argument("--keep", type=Path, help="keep the corpus and data here")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="trawl-neardup-"))
    corpus, data = work / "corpus", work / "data"
    try:
        if not corpus.exists():
            generate(corpus, args.size, args.seed)
        manifest = json.loads((work / "corpus.manifest.json").read_text())
        common = ["--workers", str(args.workers), "--quiet", "--no-ocr", "--no-entities"]
        if not data.exists():
            ingest = trawl("ingest", str(corpus), "--dataset", DATASET, "--no-neardup",
                           *common, data=data, log=work / "ingest.log")
        else:
            ingest = None
        out: dict[str, Any] = {"size_mb": round(manifest["bytes"] / 1e6, 1),
                               "files": manifest["files"], "ingest": ingest}
        texts = extracted_texts(data, DATASET)
        out["libraries"] = libraries(texts, DEFAULT_THRESHOLD)
        if not args.libraries_only:
            stage = trawl("neardup", "--dataset", DATASET, "--quiet", data=data,
                          log=work / "neardup.log")
            out["stage"] = stage
            said = re.search(r"clusters in the dataset \(([\d.]+) s", " ".join(stage["said"]))
            out["stage_own_s"] = float(said.group(1)) if said else None
            if ingest:
                out["stage_vs_ingest"] = round(stage["wall_s"] / ingest["wall_s"], 3)
                out["stage_cpu_vs_ingest"] = round(stage["cpu_s"] / ingest["cpu_s"], 3)
                if out["stage_own_s"]:
                    out["stage_own_vs_ingest"] = round(out["stage_own_s"] / ingest["wall_s"], 3)
                # The stage as `trawl ingest` runs it: the same corpus ingested whole.
                whole = trawl("ingest", str(corpus), "--dataset", DATASET, *common,
                              data=work / "data-whole", log=work / "ingest-whole.log")
                out["ingest_with_neardup"] = whole
                out["ingest_with_vs_without"] = round(whole["wall_s"] / ingest["wall_s"], 3)
            sets = document_shingles(data)
            out["truth"] = truth_scores(data, manifest, sets, DEFAULT_THRESHOLD)
            out["exact_sample"] = exact_sample(data, sets, args.sample, DEFAULT_THRESHOLD)
        print(json.dumps(out, indent=2))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(out, indent=2) + "\n")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
