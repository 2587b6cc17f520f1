"""One benchmark run: every measurement of every corpus size, in one results JSON.

Order, per corpus (smallest first): Trawl ingestion (+ catalog composition and sizes), the
extraction floor, Trawl search through the library and over HTTP, the SQLite FTS5 baseline
(build + queries), ripgrep; Recoll and Tika on the main corpus only (the --size one; every
size with `baselines_everywhere`). Then the per-format runs on the main corpus, and text
fidelity against Tika on a real-files corpus. `results.json` is rewritten after every step, so an
interrupted run keeps what it measured.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fidelity, fts, grep, ingest, recoll, search, tika
from . import ocr as ocr_bench
from .corpora import Corpus
from .machine import machine_info
from .procmon import module_env, run_measured
from .queries import query_set

ALL_BASELINES = ("floor", "fts5", "rg", "recoll", "tika")


@dataclass
class Config:
    out: Path
    corpora: list[Corpus]
    command: str
    workers: int = 2
    baselines: tuple[str, ...] = ALL_BASELINES
    baselines_everywhere: bool = False
    http: bool = True
    per_format: bool = True
    fidelity_corpus: Path | None = None
    reps: int = 30                     # library and FTS5 repetitions per query
    slow_reps: int = 3                 # ripgrep and recollq (one process per query)
    http_plans: dict[int, int] = field(default_factory=lambda: {1: 70, 16: 14})
    ocr_sample: int = 20               # images (and half as many PDFs) for the OCR step; 0: none
    quick: bool = False
    main: int = -1                     # index in `corpora` of the corpus the baselines run on
    cache: Path = Path("benchmarks/out/cache")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Run:
    def __init__(self, config: Config) -> None:
        self.c = config
        self.started = time.perf_counter()
        self.results: dict[str, Any] = {
            "meta": {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "command": config.command,
                     "quick": config.quick, "workers": config.workers,
                     "baselines": list(config.baselines), "machine": machine_info()},
            "sizes": [], "per_format": {}, "fidelity": None, "notes": []}

    def save(self) -> None:
        self.c.out.mkdir(parents=True, exist_ok=True)
        (self.c.out / "results.json").write_text(json.dumps(self.results, indent=1) + "\n")

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        log(name)
        started = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 (a failed baseline is a note, not the end)
            self.results["notes"].append(f"{name}: failed: {exc!r}")
            log(f"  FAILED: {exc!r}")
            value = None
        log(f"  done in {time.perf_counter() - started:.1f} s")
        self.save()
        return value

    def wants(self, baseline: str, main: bool = True) -> bool:
        return baseline in self.c.baselines and (main or self.c.baselines_everywhere)

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        main = self.c.corpora[self.c.main]
        self.results["main"] = main.label
        for corpus in self.c.corpora:
            log(f"{corpus.label}: {corpus.path}")
            entry: dict[str, Any] = {"label": corpus.label, "corpus": corpus.summary()}
            self.results["sizes"].append(entry)
            self.measure_size(corpus, entry, main=corpus is main)
        if self.c.per_format:
            self.per_format(main)
        if self.c.fidelity_corpus and "tika" in self.c.baselines:
            self.results["fidelity"] = self.step("fidelity", self.fidelity)
        self.results["meta"]["elapsed_s"] = round(time.perf_counter() - self.started, 1)
        self.save()
        return self.results

    def measure_size(self, corpus: Corpus, entry: dict[str, Any], main: bool) -> None:
        work = self.c.out / corpus.label
        data = work / "trawl-data"
        shutil.rmtree(work, ignore_errors=True)
        queries = query_set(corpus.needles)
        entry["queries"] = {q.name: q.trawl for q in queries}
        entry["trawl"] = self.step(f"{corpus.label}: trawl ingest",
                                   lambda: self.trawl_ingest(corpus.path, data, work))
        if entry["trawl"] is None:
            return
        if self.wants("floor"):
            entry["floor"] = self.step(f"{corpus.label}: extraction floor",
                                       lambda: self.floor(corpus.path, work / "floor.log"))
        rare = queries[0].trawl
        entry["search"] = self.step(f"{corpus.label}: trawl search (library)", lambda:
                                    search.library_in_process(data, rare, self.c.reps,
                                                              work / "search.log"))
        if self.c.http:
            entry["http"] = self.step(f"{corpus.label}: trawl search (HTTP)", lambda:
                                      search.http_latency(data, queries, self.c.http_plans,
                                                          work / "serve.log"))
        self.baselines(corpus, entry, work, main)

    def baselines(self, corpus: Corpus, entry: dict[str, Any], work: Path, main: bool) -> None:
        queries = query_set(corpus.needles)
        data = work / "trawl-data"
        entry["reindex"] = self.step(f"{corpus.label}: trawl reindex (index alone)", lambda:
                                     ingest.reindex(data, work / "reindex.log"))
        if self.wants("fts5"):
            entry["fts5"] = self.step(f"{corpus.label}: SQLite FTS5 build + queries",
                                      lambda: self.fts5(data, work, queries))
        if self.wants("rg") and grep.available():
            entry["rg"] = self.step(f"{corpus.label}: ripgrep queries", lambda:
                                    grep.latency(corpus.path, queries, self.c.slow_reps))
        if self.wants("recoll", main) and recoll.available():
            entry["recoll"] = self.step(f"{corpus.label}: recoll index + queries",
                                        lambda: self.recoll(corpus.path, work, queries))
        if self.wants("tika", main) and tika.available():
            entry["tika"] = self.step(f"{corpus.label}: tika extraction", lambda: tika.extract(
                self.jar(), corpus.path, work / "tika-out", self.c.workers))
            shutil.rmtree(work / "tika-out", ignore_errors=True)
        if main and self.c.ocr_sample:
            entry["ocr"] = self.step(f"{corpus.label}: OCR of a sample",
                                     lambda: self.ocr_sample(corpus, work))

    # -- steps ------------------------------------------------------------------------------
    def trawl_ingest(self, corpus: Path, data: Path, work: Path) -> dict[str, Any]:
        measured = ingest.ingest(corpus, data, self.c.workers, work / "ingest.log")
        stats = ingest.catalog_stats(data)
        chars = sum(f.get("text_chars", 0) for f in stats["by_family"].values())
        return {"ingest": measured, "catalog": stats,
                "storage": ingest.storage(data, measured["bytes"], chars)}

    def floor(self, root: Path, log_path: Path) -> dict[str, Any]:
        m = run_measured([sys.executable, "-m", "benchmarks.harness.floor", str(root),
                          "--workers", str(self.c.workers)], log_path, env=module_env())
        if m.returncode != 0:
            raise RuntimeError(f"floor failed; see {log_path}")
        detail = json.loads(log_path.read_text().strip().splitlines()[-1])
        return {**m.as_dict(), **detail}

    def fts5(self, data: Path, work: Path, queries: list[Any]) -> dict[str, Any]:
        db = work / "fts5.sqlite"
        m = run_measured([sys.executable, "-m", "benchmarks.harness.fts", str(data), str(db)],
                         work / "fts5-build.log", env=module_env())
        if m.returncode != 0:
            raise RuntimeError(f"FTS5 build failed; see {work / 'fts5-build.log'}")
        built = json.loads((work / "fts5-build.log").read_text().strip().splitlines()[-1])
        return {"build": {**m.as_dict(), **built},
                "search": fts.latency(db, queries, self.c.reps)}

    def recoll(self, corpus: Path, work: Path, queries: list[Any]) -> dict[str, Any]:
        conf = work / "recoll-conf"
        built = recoll.index(corpus, conf)
        return {"index": built, "search": recoll.latency(conf, queries, self.c.slow_reps)}

    def ocr_sample(self, corpus: Corpus, work: Path) -> dict[str, Any]:
        base = work / "ocr"
        sample = base / "sample"
        files = ocr_bench.make_sample(corpus.path, work / "trawl-data", sample,
                                      self.c.ocr_sample)
        if not files:
            raise RuntimeError("no file waits for OCR (a Trawl without an OCR stage?)")
        out: dict[str, Any] = {"files": files, "bytes": ingest.corpus_totals(sample)["bytes"],
                               "trawl": ocr_bench.trawl_ocr(sample, base / "trawl",
                                                            self.c.workers)}
        if "floor" in self.c.baselines:
            out["floor"] = ocr_bench.floor(sample, base, self.c.workers)
        if "tika" in self.c.baselines and tika.available():
            out["tika"] = tika.extract(self.jar(), sample, base / "tika-out", self.c.workers,
                                       ocr=True)
        return out

    def jar(self) -> Path:
        found = tika.find_jar(self.c.cache)
        if found is None:
            raise FileNotFoundError("no tika-app jar")
        return found

    def per_format(self, corpus: Corpus) -> None:
        base = self.c.out / "per-format"
        shutil.rmtree(base, ignore_errors=True)
        subsets = ingest.format_subsets(corpus.path, base / "subsets")
        empty = base / "subsets" / "(empty)"
        empty.mkdir(parents=True)
        self.results["per_format"] = {"corpus": corpus.label, "formats": {}}
        self.results["per_format"]["startup"] = self.step(
            "per format: empty folder (fixed cost)", lambda: self.fixed_cost(empty, base))
        for ext, root in subsets.items():
            self.results["per_format"]["formats"][ext] = self.step(
                f"per format: {ext}", lambda root=root, ext=ext: self.one_format(root, base / ext))

    def fixed_cost(self, empty: Path, base: Path) -> dict[str, Any]:
        """`trawl ingest` of an empty folder, twice; the faster run."""
        runs = [ingest.ingest(empty, base / f"empty{i}" / "trawl-data", self.c.workers,
                              base / f"empty{i}.log") for i in (1, 2)]
        return min(runs, key=lambda r: r["wall_s"])

    def one_format(self, root: Path, work: Path) -> dict[str, Any]:
        out = {"trawl": ingest.ingest(root, work / "trawl-data", self.c.workers,
                                      work / "ingest.log")}
        if "floor" in self.c.baselines:
            out["floor"] = self.floor(root, work / "floor.log")
        shutil.rmtree(work / "trawl-data", ignore_errors=True)
        return out

    def fidelity(self) -> dict[str, Any]:
        assert self.c.fidelity_corpus is not None
        work = self.c.out / "fidelity"
        shutil.rmtree(work, ignore_errors=True)
        corpus = self.c.fidelity_corpus.resolve()
        trawl = ingest.ingest(corpus, work / "trawl-data", self.c.workers, work / "ingest.log")
        extracted = tika.extract(self.jar(), corpus, work / "tika-out", self.c.workers)
        return {"corpus": str(corpus), "trawl": trawl, "tika": extracted,
                **fidelity.compare(work / "trawl-data", work / "tika-out")}
