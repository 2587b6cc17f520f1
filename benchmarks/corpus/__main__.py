"""Command line: ``python -m benchmarks.corpus --size 50MB --seed 1 OUT``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import generate, manifest_path, parse_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.corpus",
                                 description="Generate a BlueLeaks-shaped synthetic corpus.")
    ap.add_argument("out", type=Path, help="output folder (created; must be empty)")
    ap.add_argument("--size", type=parse_size, default=parse_size("50MB"),
                    help="approximate total size, e.g. 2MB, 1GB, 50GB (default 50MB)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sites", type=int, default=None, help="number of portal folders")
    ap.add_argument("--mix-shared-corpus", type=Path, default=None, metavar="PATH",
                    help="also copy the real files under PATH into OUT/shared-corpus/")
    args = ap.parse_args(argv)
    m = generate(args.out, args.size, args.seed, args.sites, args.mix_shared_corpus)
    summary = m.to_dict()
    summary["needles"] = len(m.needles)
    print(json.dumps(summary, indent=2))
    print(f"manifest: {manifest_path(args.out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
