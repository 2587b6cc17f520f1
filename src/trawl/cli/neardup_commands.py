"""`trawl neardup`, `trawl similar` and `trawl clusters`: near-copies of documents.

    trawl neardup --dataset NAME [--neardup-threshold 0.8] [--quiet]
    trawl similar ID_OR_PATH --dataset NAME [--json]
    trawl clusters --dataset NAME [--min-sources N] [--limit N] [--csv | --json]
    trawl clusters --dataset NAME --pair A B [--json]

`neardup` runs the stage of `trawl ingest` (ingestion/neardup_stage.py) through the runner
main.py hands over, as `trawl entities extract` does. The others read through
search/neardup.py, the reader the web uses, over the unscoped archive (the data folder's
owner at the terminal), and are recorded in the audit log as `trawl search` is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from trawl.cli.entity_commands import _audit, _count, _positive
from trawl.cli.groups import Command
from trawl.storage.datadir import DataDir

Runner = Callable[..., int]  # main._run(args, step, reads_files=...)


def register(command: Command, run: Runner, run_options: Callable[[Any], None]) -> None:
    p = command("neardup", None, "Find the near-copies of a dataset's documents now (after "
                "`trawl ingest --no-neardup`); resumable, and only what is new is read.")
    p.add_argument("--dataset", required=True)
    threshold_option(p)
    run_options(p)
    p.set_defaults(handler=lambda args: run(args, lambda ingester: ingester.run_neardup(),
                                            reads_files=False))

    p = command("similar", cmd_similar, "The near-copies of one document (by id, or by path "
                "with --dataset): where else it appears, by date, with its similarity.")
    p.add_argument("id_or_path")
    p.add_argument("--dataset", required=True)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("clusters", cmd_clusters, "The largest clusters of near-copies of a dataset "
                "(what was shared most widely), or with --pair A B what source A got from B.")
    p.add_argument("--dataset", required=True)
    p.add_argument("--min-sources", type=_count, default=0, metavar="N",
                   help="only clusters in at least N sources (top folders)")
    p.add_argument("--limit", type=_positive, default=50, help="at most N (default 50)")
    p.add_argument("--pair", nargs=2, metavar=("A", "B"),
                   help="the clusters source A has that source B had before, by date")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV")


def threshold_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--neardup-threshold", type=float, metavar="J",
                   help="the similarity (estimated Jaccard of word shingles, 0.5-1) at which "
                        "two documents are near-copies (default 0.8); remembered for the "
                        "dataset")


def _reader(args: argparse.Namespace) -> Any:
    from trawl.search.neardup import NearDupReader
    from trawl.search.service import Archive

    return NearDupReader(Archive(DataDir.open(args.data_dir, create=False)))


def cmd_similar(args: argparse.Namespace) -> int:
    reader = _reader(args)
    try:
        found = reader.similar(args.id_or_path, args.dataset)
    finally:
        reader.archive.close()
    _audit(reader.archive.data, "view", args.dataset, f"similar:{found.document}",
           {"near_duplicates": len(found.near_duplicates)})
    if args.json:
        print(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
        return 0
    c = found.cluster
    print(f"{found.document}: cluster {c.id if c.id is not None else '-'}, {c.size} "
          f"copies in {c.sources} sources (also in {found.also_in})")
    for n in found.near_duplicates:
        print(f"  {n.date or '?':<10}  {n.similarity:.2f}  {n.dataset}:{n.path}  ({n.id})")
    for p in found.inside:
        print(f"  page {p['page'] or 'all'} is page {p['other_page'] or 'all'} of "
              f"{p['path']} ({p['similarity']:.2f})")
    if found.similar:
        print("more like this:")
    for s in found.similar:
        print(f"  {s['dataset']}:{s['path']}  ({s['id']})")
    return 0


def cmd_clusters(args: argparse.Namespace) -> int:
    from trawl.search.neardup import CLUSTER_COLUMNS, to_csv

    reader = _reader(args)
    try:
        if args.pair:
            pair = reader.source_pair(args.dataset, *args.pair, limit=args.limit)
            rows = pair.shared
        else:
            clusters = reader.clusters(args.dataset, args.min_sources, args.limit)
            rows = [c.as_json() for c in clusters]
    finally:
        reader.archive.close()
    _audit(reader.archive.data, "search", args.dataset, None,
           {"record": "clusters", "min_sources": args.min_sources, "total": len(rows)})
    if args.json:
        body = pair.as_json() if args.pair else {"dataset": args.dataset, "clusters": rows}
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return 0
    if args.csv:
        columns = ("cluster", "b_date", "a_date", "size", "sources", "title", "path") \
            if args.pair else CLUSTER_COLUMNS
        sys.stdout.write(to_csv(rows, columns))
        return 0
    if not rows:
        print(f"no clusters in {args.dataset} (`trawl neardup` finds them)", file=sys.stderr)
    for row in rows:
        if args.pair:
            print(f"{row['b_date'] or '?':<10} -> {row['a_date'] or '?':<10}  "
                  f"cluster {row['cluster']}  {row['title'] or row['path']}")
        else:
            print(f"{row['id']:>7}  {row['size']:>4} copies  {row['sources']:>3} sources  "
                  f"{row['first_date'] or '?':<10}  {row['title'] or row['path']}")
    return 0
