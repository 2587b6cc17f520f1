"""`python -m benchmarks.relevance`: every collection through Trawl and the baselines;
writes benchmarks/out/relevance.json and prints the Markdown table for BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from . import evaluate_trawl, metrics, report
from .collections import COLLECTIONS, load

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "benchmarks" / "relevance_baseline.json"
DEFAULT_CORPUS = Path(os.environ.get("TRAWL_TEST_CORPUS", REPO.parent / "shared" / "corpus"))
# Terrier's published figure (vaswani_npl README / PyTerrier docs): BM25 (b=0.4), stop words,
# Porter stemming. Quoted, not re-run: there is no JVM here.
TERRIER_VASWANI_MAP = 0.2992


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance",
                                     description=__doc__)
    parser.add_argument("--collections", default=",".join(COLLECTIONS),
                        help=f"comma-separated, among {', '.join(COLLECTIONS)}")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--work", type=Path, help="where documents and Trawl data go "
                        "(default: a temporary folder, removed afterwards)")
    parser.add_argument("--reuse", action="store_true", help="with --work: re-index an "
                        "earlier ingest instead of ingesting again (for ranking experiments)")
    parser.add_argument("--format", choices=("txt", "html"), default="txt",
                        help="files written for collections with titles: txt (title as the "
                        "first line) or html (title in <title>, a separate field in Trawl)")
    parser.add_argument("--depth", type=int, default=1000, help="results read per query")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" /
                        "relevance.json")
    parser.add_argument("--record", action="store_true", help="also record Trawl's figures "
                        f"in {BASELINE.relative_to(REPO)}, the floor of the regression test")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.collections.split(",") if n.strip()]

    with tempfile.TemporaryDirectory(prefix="trawl-relevance-") as tmp:
        work = args.work or Path(tmp)
        results = {name: run_collection(name, args, work) for name in names}
    out = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
        "command": "python -m benchmarks.relevance " + " ".join(argv or sys.argv[1:]),
        "depth": args.depth,
        "collections": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(report.markdown(out))
    if args.record:
        record(out)
    return 0


def record(out: dict[str, object]) -> None:
    """Trawl's figures per collection into the baseline file (collections not run keep
    their recorded figures)."""
    old = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    collections = old.get("collections", {})
    for name, coll in out["collections"].items():  # type: ignore[attr-defined]
        collections[name] = coll["systems"]["trawl"]
    new = {"recorded": out["date"], "machine": out["machine"],
           "command": "python -m benchmarks.relevance --record", "depth": out["depth"],
           "collections": collections}
    BASELINE.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")


def run_collection(name: str, args: argparse.Namespace, work: Path) -> dict[str, object]:
    coll = load(name, args.corpus)
    queries = coll.judged_queries()
    print(f"{name}: {len(coll.docs)} documents, {len(queries)} judged queries",
          file=sys.stderr)
    trawl = evaluate_trawl(coll, work, args.depth, reuse=args.reuse, fmt=args.format)
    files = trawl["files"]
    print(f"  trawl {trawl['metrics']} files {files}", file=sys.stderr)
    systems: dict[str, dict[str, float]] = {"trawl": trawl["metrics"]}  # type: ignore[dict-item]
    if not args.no_baselines:
        # Imported here: the regression test runs without the baselines, and without bm25s.
        from . import bm25_ref

        for variant in bm25_ref.VARIANTS:
            systems[variant] = metrics.evaluate(
                coll.qrels, bm25_ref.run(coll, queries, variant, args.depth))
            print(f"  {variant} {systems[variant]}", file=sys.stderr)
        if name == "vaswani":
            systems["terrier-bm25 (published)"] = {"MAP": TERRIER_VASWANI_MAP}
    return {"documents": len(coll.docs), "queries": len(queries), "notes": coll.notes,
            "systems": systems, "trawl_run": {k: v for k, v in trawl.items() if k != "metrics"}}


if __name__ == "__main__":
    sys.exit(main())
