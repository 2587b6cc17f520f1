"""Relevance must not regress: CISI through Trawl's ingest and search, scored with trec_eval's
measures, against the MAP recorded in benchmarks/relevance_baseline.json.

Relevance is deterministic (same documents, same queries, same index: same ranking), so a
small margin is enough; it absorbs nothing but float rounding and the odd tie. When a change
improves the figure, record the new one (the command is in the baseline file) so that the
gain is kept too. CISI is the quickest of the three collections (1,460 documents, 76 judged
queries: about 20 s on 2 cores).
"""

from __future__ import annotations

import json
import subprocess
import sys

from shared_corpus import REPO, corpus_path

BASELINE = REPO / "benchmarks" / "relevance_baseline.json"
MARGIN = 0.005


def test_cisi_map_has_not_regressed(tmp_path):
    corpus = corpus_path("ir-cisi", "CISI.ALL").parents[1]
    out = tmp_path / "relevance.json"
    subprocess.run([sys.executable, "-m", "benchmarks.relevance", "--collections", "cisi",
                    "--no-baselines", "--corpus", str(corpus), "--work", str(tmp_path / "work"),
                    "--out", str(out)], cwd=REPO, check=True, timeout=300)
    result = json.loads(out.read_text())["collections"]["cisi"]
    measured = result["systems"]["trawl"]
    recorded = json.loads(BASELINE.read_text())["collections"]["cisi"]
    files = result["trawl_run"]["files"]
    assert files["failed"] == 0, f"CISI files failed to ingest: {files}"
    assert measured["MAP"] >= recorded["MAP"] - MARGIN, (
        f"CISI MAP fell from {recorded['MAP']} to {measured['MAP']} "
        f"(nDCG@10 {recorded['nDCG@10']} -> {measured['nDCG@10']})")
