"""Smoke run of the benchmark harness (benchmarks/harness): a ~2 MB generated corpus, quick
mode, the cheap baselines. Checks that the run completes and writes the results it promises;
no timing is asserted (the numbers of a 2 MB run on a shared machine mean nothing)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.__main__ import main  # noqa: E402
from benchmarks.corpus import generate  # noqa: E402
from benchmarks.harness import publish  # noqa: E402
from benchmarks.harness.queries import latency_stats, percentile  # noqa: E402

QUERIES = {"rare", "common", "boolean", "phrase", "prefix", "facets", "date_sorted"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("bench")
    corpus = base / "corpus"
    generate(corpus, 2_000_000, seed=11, sites=2)
    out = base / "out"
    baselines = "floor,fts5" + (",rg" if shutil.which("rg") else "")
    assert main(["run", "--corpus", str(corpus), "--quick", "--out", str(out),
                 "--baselines", baselines]) == 0
    return out, json.loads((out / "results.json").read_text())


def test_results_have_every_part(run: tuple[Path, dict]) -> None:
    out, results = run
    assert results["notes"] == []
    assert {"date", "command", "machine", "workers"} <= results["meta"].keys()
    assert results["meta"]["machine"]["cores"] >= 1
    (size,) = results["sizes"]
    ingest = size["trawl"]["ingest"]
    assert ingest["returncode"] == 0 and ingest["files"] > 50
    assert {"wall_s", "cpu_s", "peak_rss", "files_per_s", "mb_per_s"} <= ingest.keys()
    assert ingest["cpu_s"] > 0 and ingest["peak_rss"] > 0
    storage = size["trawl"]["storage"]
    assert storage["index_bytes"] > 0 and storage["text_chars"] > 0
    assert size["trawl"]["catalog"]["by_family"]
    assert size["floor"]["files"] == ingest["files"]
    assert size["fts5"]["build"]["rows"] == size["trawl"]["catalog"]["documents"]


def test_search_latency_for_every_query(run: tuple[Path, dict]) -> None:
    _, results = run
    size = results["sizes"][0]
    assert set(size["search"]["queries"]) == QUERIES
    assert size["search"]["queries"]["rare"]["hits"] >= 1  # the planted needle is found
    assert size["search"]["all"]["p50_ms"] > 0
    assert set(size["fts5"]["search"]["queries"]) == QUERIES
    assert {"c1", "c16"} <= size["http"].keys()
    assert size["http"]["c16"]["errors"] == 0 and size["http"]["c16"]["requests"] == 16
    if shutil.which("rg"):
        assert "facets" not in size["rg"]["queries"] and "rare" in size["rg"]["queries"]


def test_report_and_charts(run: tuple[Path, dict], tmp_path: Path) -> None:
    out, results = run
    report = (out / "report.md").read_text()
    assert report.startswith("## Speed and memory")
    assert "### Search latency" in report and "extraction floor" in report
    assert (out / "ingest_cost.png").stat().st_size > 1000
    assert (out / "query_latency.png").stat().st_size > 1000
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# Benchmarks\n\n## Relevance\n\nkept\n")
    publish.insert(doc, "## Speed and memory\n\nfirst\n")
    publish.insert(doc, "## Speed and memory\n\nsecond\n")
    text = doc.read_text()
    assert "## Relevance\n\nkept" in text and "second" in text and "first" not in text


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99
    assert latency_stats([0.001, 0.002])["p50_ms"] == 1.0
    assert latency_stats([]) == {"n": 0}
