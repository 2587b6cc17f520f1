"""Trawl's benchmarks, one command each.

    python -m benchmarks run --size 1GB --seed 1 [--publish]   generate (cached), measure
    python -m benchmarks run --corpus DIR                      measure an existing folder
    python -m benchmarks report benchmarks/out/run/results.json [--publish]
    python -m benchmarks corpus ... | relevance ...            the other benchmark tools

`run` measures ingestion (wall, CPU, peak memory, sizes), search latency (library, HTTP) and
the baselines (extraction floor, SQLite FTS5, ripgrep, Recoll, Apache Tika) on the same files;
see benchmarks/harness/. It writes results.json, report.md and PNG charts into --out;
--publish also puts the charts in docs/benchmarks/ and the tables in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"


def _factors(text: str) -> list[float]:
    return sorted(float(x) for x in text.split(",") if x.strip())


def _add_run_args(p: argparse.ArgumentParser) -> None:
    from benchmarks.corpus import parse_size  # noqa: PLC0415
    from benchmarks.harness.runner import ALL_BASELINES  # noqa: PLC0415

    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--corpus", type=Path, help="an existing corpus folder (one size)")
    src.add_argument("--size", type=parse_size, help="generate this size (e.g. 1GB), cached")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sites", type=int, default=None, help="portal folders (generator)")
    p.add_argument("--growth", type=_factors, default=None,
                   help="sizes as multiples of --size, comma-separated: 0.1,0.3,1 (the "
                        "default) or 1,3,10; Recoll and Tika run on the factor-1 corpus")
    p.add_argument("--out", type=Path, default=OUT / "run")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--baselines", default=None,
                   help=f"comma-separated among {','.join(ALL_BASELINES)} "
                        "(default all; --quick: floor,fts5,rg,recoll); 'none' for none")
    p.add_argument("--baselines-everywhere", action="store_true",
                   help="run Recoll and Tika at every size, not only the main (--size) one")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    p.add_argument("--per-format", action=argparse.BooleanOptionalAction, default=None,
                   help="per-extension runs on the main corpus (default on; --quick off)")
    p.add_argument("--fidelity", type=Path, default=None,
                   help="real-files corpus for the Tika text comparison "
                        "(default ../shared/corpus when it exists; --quick: none)")
    p.add_argument("--no-fidelity", action="store_true")
    p.add_argument("--ocr-sample", type=int, default=None, metavar="N",
                   help="OCR N images and N/2 scanned PDFs of the main corpus (default 20; "
                        "--quick: 0, none)")
    p.add_argument("--quick", action="store_true",
                   help="few repetitions, cheap baselines: a smoke test, not a measurement")
    p.add_argument("--publish", action="store_true",
                   help="write docs/benchmarks/*.png and the section of BENCHMARKS.md")


def _size_factors(args: argparse.Namespace) -> list[float]:
    return args.growth or ([1.0] if args.quick else [0.1, 0.3, 1.0])


def _corpora(args: argparse.Namespace) -> list:
    from benchmarks.harness import corpora  # noqa: PLC0415

    if args.corpus is not None:
        return [corpora.existing(args.corpus)]
    factors = _size_factors(args)
    cache = OUT / "corpora"
    out = []
    for f in factors:
        size = int(args.size * f)
        print(f"corpus of {corpora.size_label(size)}, seed {args.seed} (generated unless "
              f"already in {cache})", file=sys.stderr, flush=True)
        out.append(corpora.generated(cache, size, args.seed, args.sites))
    return out


def _main_index(args: argparse.Namespace) -> int:
    """The corpus of factor 1 (the --size one) gets the baselines; else the largest."""
    factors = _size_factors(args)
    return factors.index(1.0) if args.corpus is None and 1.0 in factors else -1


def _config(args: argparse.Namespace, argv: list[str]):  # noqa: ANN202
    from benchmarks.harness.runner import ALL_BASELINES, Config  # noqa: PLC0415

    quick = args.quick
    names = args.baselines or ("floor,fts5,rg,recoll" if quick else ",".join(ALL_BASELINES))
    baselines = tuple(b for b in names.split(",") if b in ALL_BASELINES)
    fidelity = None
    if not (args.no_fidelity or (quick and args.fidelity is None)):
        shared = REPO.parent / "shared" / "corpus"
        fidelity = args.fidelity or (shared if shared.is_dir() else None)
    config = Config(out=args.out.resolve(), corpora=_corpora(args),
                    command="python -m benchmarks " + shlex.join(argv),
                    workers=args.workers, baselines=baselines,
                    baselines_everywhere=args.baselines_everywhere, http=not args.no_http,
                    per_format=args.per_format if args.per_format is not None else not quick,
                    fidelity_corpus=fidelity, quick=quick, cache=OUT / "cache",
                    main=_main_index(args),
                    ocr_sample=args.ocr_sample if args.ocr_sample is not None else
                    (0 if quick else 20))
    if quick:
        config.reps, config.slow_reps, config.http_plans = 3, 1, {1: 7, 16: 1}
    return config


def cmd_run(args: argparse.Namespace, argv: list[str]) -> int:
    from benchmarks.harness.publish import publish, write_report  # noqa: PLC0415
    from benchmarks.harness.runner import Run  # noqa: PLC0415

    results = Run(_config(args, argv)).run()
    report = write_report(results, args.out.resolve())
    print(f"results: {args.out / 'results.json'}\nreport:  {report}")
    if args.publish:
        print(f"published: {publish(results, args.out.resolve(), REPO)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from benchmarks.harness.publish import publish, write_report  # noqa: PLC0415

    results = json.loads(args.results.read_text())
    print(write_report(results, args.results.resolve().parent))
    if args.publish:
        print(publish(results, args.results.resolve().parent, REPO))
    return 0


def _delegate(argv: list[str]) -> int | None:
    if argv and argv[0] == "corpus":
        from benchmarks.corpus.__main__ import main  # noqa: PLC0415

        return main(argv[1:])
    if argv and argv[0] == "relevance":
        from benchmarks.relevance.__main__ import main as relevance  # noqa: PLC0415

        return relevance(argv[1:])
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    delegated = _delegate(argv)
    if delegated is not None:
        return delegated
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    _add_run_args(sub.add_parser("run", help="measure (see --help)"))
    rp = sub.add_parser("report", help="tables and charts again from a results.json")
    rp.add_argument("results", type=Path)
    rp.add_argument("--publish", action="store_true")
    sub.add_parser("corpus", help="python -m benchmarks.corpus")
    sub.add_parser("relevance", help="python -m benchmarks.relevance")
    args = ap.parse_args(argv)
    return cmd_run(args, argv) if args.cmd == "run" else cmd_report(args)


if __name__ == "__main__":
    raise SystemExit(main())
