"""How long `trawl search`, `trawl show` and `trawl status` take from the shell to a result.

    python -m benchmarks.cli_start [--baseline-src OTHER_CHECKOUT/src] [--runs 15]

On a small generated archive (the quickstart's sample, 5 MB, ingested once into
benchmarks/out/cli-start/), each command is run as a whole process, `--runs` times after a
warm-up, in turn with its baselines so that machine noise hits them alike:

* `python -c pass`: the interpreter's own start, the floor no CLI goes under;
* `python -c "import tantivy"`: the floor plus the index engine every search needs;
* with `--baseline-src`, the same trawl command run from another checkout's source tree
  (e.g. a `git worktree` of an older commit), so a change is measured against what it replaced.

It prints medians and the ratio of each to the floor; the figures go into BENCHMARKS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out" / "cli-start"
COMMANDS = {
    "search": ["search", "protest", "--dataset", "sample", "--limit", "3"],
    "show": ["show", "PLACEHOLDER", "--dataset", "sample"],
    "status": ["status", "--dataset", "sample"],
}


def _prepare(data: Path, dump: Path) -> str:
    """The archive (made once), and the id of one of its documents for `show`."""
    if not (data / "catalog.sqlite").exists():
        subprocess.run([sys.executable, "-m", "benchmarks.corpus", "--size", "5MB", "--seed",
                        "1", str(dump)], check=True, cwd=REPO, capture_output=True)
        subprocess.run([sys.executable, "-m", "trawl.cli.main", "ingest", str(dump),
                        "--dataset", "sample", "--data-dir", str(data), "--no-ocr",
                        "--quiet"], check=True, capture_output=True)
    found = subprocess.run([sys.executable, "-m", "trawl.cli.main", "search", "protest",
                            "--dataset", "sample", "--limit", "1", "--json", "--data-dir",
                            str(data)], check=True, capture_output=True, text=True)
    return json.loads(found.stdout)["hits"][0]["id"]


def _time(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src/ folder")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    data, dump = OUT / "data", OUT / "dump"
    doc_id = _prepare(data, dump)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    variants = {"floor: python -c pass": ([sys.executable, "-c", "pass"], env),
                "floor + import tantivy": ([sys.executable, "-c", "import tantivy"], env)}
    for name, argv in COMMANDS.items():
        argv = [doc_id if a == "PLACEHOLDER" else a for a in argv]
        cmd = [sys.executable, "-m", "trawl.cli.main", *argv, "--data-dir", str(data)]
        variants[f"trawl {name}"] = (cmd, env)
        if args.baseline_src:
            variants[f"trawl {name} (baseline)"] = (
                cmd, {**os.environ, "PYTHONPATH": str(args.baseline_src.resolve())})
    times: dict[str, list[float]] = {name: [] for name in variants}
    for n in range(args.runs + 1):
        for name, (cmd, cmd_env) in variants.items():
            seconds = _time(cmd, cmd_env)
            if n:  # the first round warms the page cache and Python's byte code
                times[name].append(seconds)
    floor = statistics.median(times["floor: python -c pass"])
    print(f"{'command':<32} {'median s':>9} {'min s':>7} {'x floor':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<32} {median:>9.3f} {min(values):>7.3f} {median / floor:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
