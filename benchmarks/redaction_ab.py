"""Redaction throughput, this checkout against another, on the same texts in the same run.

    python -m benchmarks.redaction_ab --baseline-src OTHER_CHECKOUT/src [--rounds 3]

The texts are the shared corpus's (Enron mail, police CSVs, police PDFs' text: part A of
`benchmarks.access_bench`), read once and saved under benchmarks/out/redaction-ab/, so both
sides mask exactly the same strings. Each round runs one process per side, alternately
(this checkout's `src`, then the baseline's), and each process times the best of `--passes`
passes of two maskers over every text: `Redactor().text` with every detector, and with the
e-mail and phone detectors alone. CPU time (`time.process_time`) is reported: on a shared
machine it moves far less than wall time. It prints the median round's MB per CPU second of
each side and their ratio (this checkout / baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.access_bench import CORPUS, real_texts

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out" / "redaction-ab"

# Runs in a fresh interpreter with one side's source tree first on sys.path.
_TIMER = """
import json, sys, time
from trawl.access.redaction import RedactionRules, Redactor
texts = json.load(open(sys.argv[1]))
passes = int(sys.argv[2])
maskers = {"all detectors": Redactor().text,
           "e-mail + phone": Redactor(RedactionRules(detectors=("email", "phone"))).text}
best = {}
for _ in range(passes):
    for name, mask in maskers.items():
        c0 = time.process_time()
        for group in texts.values():
            for text in group:
                mask(text)
        best[name] = min(best.get(name, 1e9), time.process_time() - c0)
print(json.dumps(best))
"""


def _texts(corpus: Path, pdfs: int) -> tuple[Path, float]:
    path = OUT / f"texts-{pdfs}.json"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        groups = {name: [text for _, text in texts]
                  for name, texts in real_texts(corpus, pdfs).items()}
        path.write_text(json.dumps(groups))
    groups = json.loads(path.read_text())
    return path, sum(len(t.encode()) for g in groups.values() for t in g) / 1e6


def _run(src: Path, texts: Path, passes: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", _TIMER, str(texts), str(passes)], env=env,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, required=True,
                        help="another checkout's src/ folder (e.g. a git worktree)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--pdfs", type=int, default=48, help="police PDFs read")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passes", type=int, default=8)
    args = parser.parse_args(argv)
    texts, mb = _texts(args.corpus, args.pdfs)
    sides = {"this checkout": REPO / "src", "baseline": args.baseline_src}
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, src in sides.items():
            runs[side].append(_run(src, texts, args.passes))
    print(f"{mb:.2f} MB of text, {args.rounds} rounds, best of {args.passes} passes each")
    print(f"{'masker':<16} {'this MB/cpu-s':>14} {'baseline':>10} {'ratio':>7}")
    for masker in runs["this checkout"][0]:
        mine = statistics.median(r[masker] for r in runs["this checkout"])
        theirs = statistics.median(r[masker] for r in runs["baseline"])
        print(f"{masker:<16} {mb / mine:>14.1f} {mb / theirs:>10.1f} {theirs / mine:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
