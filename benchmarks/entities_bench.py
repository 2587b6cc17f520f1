"""Entities: speed of the recognisers and of the stage, quality against the generator's
ground truth.

    python -m benchmarks.entities_bench [--size 20MB] [--seed 1] [--workers 2] [--repeat 3]
                                        [--sample-words 60000]
                                        [--json benchmarks/out/entities.json] [--keep DIR]

A. Words per second of `Recogniser.find` on real texts of ../shared/corpus (the Enron
   messages, the police CSVs, the Cranfield abstracts) and on the text Trawl extracted from
   the generated corpus: CPU time of one process, best of --repeat passes.
B. A generated corpus (benchmarks/corpus, which writes the truth of every e-mail, phone,
   IP, URL and domain it put in readable text into its manifest) is ingested with
   ``--no-entities --no-ocr`` (timed: extraction, tables, index), then `trawl entities
   extract` is timed on the same data: the stage's cost next to the extraction's. OCR is off
   on both sides: text only in pixels is not in the truth. The stage includes writing again
   the index entries whose entities changed (what it says it took is `index_rewrite`: the
   stage without it is its wall time less that).
C. Precision and recall per kind: the keys of the dataset's entities against the keys of the
   truth (`expected`), and how many of the entities found in both have the number of
   sources (top folders) the truth says. People and organisations too (the model's and the
   name columns'), keyed as Trawl keys names (derive/entities/names.py).
D. The English model as Trawl runs it (NER only, line breaks as sentence starts, nlp.pipe,
   the junk filter: `NamedRecogniser`) against the same package run bare (every component,
   ``nlp(text)`` per text, every PERSON/ORG/GPE/LOC span kept), on the same texts: the
   English documents of the generated corpus that are not read through table rows, then
   the Enron messages, up to --sample-words each; CPU words/s of one process, and for the
   generated texts precision and recall of people and organisations against the names the
   generator's formats find in those very texts (truth.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRAWL_TEST_CORPUS", REPO.parent / "shared" / "corpus"))
PATTERN_KINDS = ("email", "phone", "ip", "url", "domain")
NAMED = ("person", "org")
KINDS = (*PATTERN_KINDS, *NAMED)


# -- ground truth --------------------------------------------------------------------------------
def truth_key(kind: str, value: str) -> str:
    """The key Trawl should give a value the generator wrote (its formats: truth.py)."""
    if kind == "email":
        return value.lower()
    if kind == "phone":  # (212) 555-0123
        return "+1" + "".join(c for c in value if c.isdigit())
    if kind == "url":  # https://www.example.org/page -> example.org/page
        rest = value.split("://", 1)[1]
        return (rest[4:] if rest.startswith("www.") else rest).rstrip("/")
    if kind in NAMED:
        from trawl.derive.entities.names import key_of

        return key_of(kind, value) or value
    return value


def expected(truth: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, set[str]]]:
    """{kind: {key: sources}} of the manifest's truth; a URL's host is a domain too."""
    out: dict[str, dict[str, set[str]]] = {kind: {} for kind in KINDS}
    for kind, values in truth.items():
        for value, sites in values.items():
            sources = {site.split("/", 1)[0] for site in sites}
            out[kind].setdefault(truth_key(kind, value), set()).update(sources)
            if kind == "url":
                host = truth_key(kind, value).split("/", 1)[0]
                out["domain"].setdefault(host, set()).update(sources)
    return out


def found(data_dir: Path, dataset: str) -> dict[str, dict[str, int]]:
    """{kind: {key: sources}} of a dataset's entities, read through the entity store."""
    from trawl.storage.catalog import Catalog
    from trawl.storage.entities import EntityStore

    catalog = Catalog(data_dir / "catalog.sqlite", readonly=True)
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None, f"no dataset {dataset}"
        store = EntityStore(catalog)
        out: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        for entity in store.listing(ds.id, limit=10**9):
            out.setdefault(entity.kind, {})[entity.key] = entity.sources
        return out
    finally:
        catalog.close()


def score(truth: dict[str, dict[str, set[str]]], got: dict[str, dict[str, int]],
          kinds: tuple[str, ...] = PATTERN_KINDS) -> dict[str, dict[str, Any]]:
    """Per kind: sizes, precision, recall, the false positives and negatives (a few), and
    the share of entities found in both whose number of sources is right."""
    out = {}
    for kind in kinds:
        want, have = truth.get(kind, {}), got.get(kind, {})
        both = set(want) & set(have)
        right = sum(1 for key in both if have[key] == len(want[key]))
        out[kind] = {
            "truth": len(want), "found": len(have),
            "precision": round(len(both) / len(have), 4) if have else 1.0,
            "recall": round(len(both) / len(want), 4) if want else 1.0,
            "sources_right": round(right / len(both), 4) if both else 1.0,
            "false_positives": sorted(set(have) - set(want))[:20],
            "false_negatives": sorted(set(want) - set(have))[:20],
        }
    return out


# -- speed ---------------------------------------------------------------------------------------
def real_texts() -> dict[str, list[str]]:
    def read(paths: list[Path]) -> list[str]:
        return [p.read_text(errors="replace") for p in paths]

    return {
        "Enron mail": read(sorted(p for p in (CORPUS / "enron-sample" / "maildir").rglob("*")
                                  if p.is_file())),
        "police CSV": read(sorted((CORPUS / "pdap-police").rglob("*.csv"))),
        "Cranfield abstracts": read([CORPUS / "ir-cranfield" / "cran.all.1400"]),
    }


def extracted_texts(data_dir: Path, dataset: str,
                    keep: Callable[[Any], bool] = lambda content: True) -> list[str]:
    """The extracted texts of the dataset's documents whose content `keep` accepts."""
    from trawl.storage.blobs import BlobStore
    from trawl.storage.catalog import Catalog

    catalog = Catalog(data_dir / "catalog.sqlite", readonly=True)
    blobs = BlobStore(data_dir / "blobs")
    try:
        ds = catalog.dataset(dataset)
        assert ds is not None
        texts = []
        for _doc_id, sha in catalog.iter_documents(ds.id):
            content = catalog.content(sha)
            if content is not None and content.text_key and keep(content):
                texts.append(blobs.get_text(content.text_key))
        return texts
    finally:
        catalog.close()


def words_per_s(texts: list[str], repeat: int) -> dict[str, Any]:
    from trawl.derive.entities.patterns import Recogniser

    recogniser = Recogniser("US")
    words = sum(len(t.split()) for t in texts)
    chars = sum(len(t) for t in texts)
    best, mentions = float("inf"), 0
    for _ in range(repeat):
        started = time.process_time()
        mentions = sum(len(recogniser.find(t)) for t in texts)
        best = min(best, time.process_time() - started)
    return {"texts": len(texts), "words": words, "mb": round(chars / 1e6, 2),
            "cpu_s": round(best, 3), "words_per_s": round(words / best) if best else None,
            "mb_per_s": round(chars / 1e6 / best, 1) if best else None, "mentions": mentions}


def model_texts(data_dir: Path, dataset: str) -> list[str]:
    """The texts of the dataset's English documents that the model reads (not those read
    through their table rows: CSV files, workbooks)."""
    return extracted_texts(data_dir, dataset, lambda content: content.language == "en"
                           and content.family != "spreadsheet" and content.mime != "text/csv")


def sample(texts: list[str], words: int) -> list[str]:
    out, total = [], 0
    for text in texts:
        if total >= words:
            break
        out.append(text)
        total += len(text.split())
    return out


def _names_in(texts: list[str]) -> dict[str, set[str]]:
    """The generator's people and organisations in these texts, by its formats, keyed."""
    from benchmarks.corpus.truth import _FORMATS

    return {kind: {truth_key(kind, v) for text in texts for v in _FORMATS[kind].findall(text)}
            for kind in NAMED}


def model_bare_vs_trawl(texts: list[str], with_truth: bool) -> dict[str, Any]:
    """The English model bare and as Trawl runs it, on the same texts: CPU words/s of this
    process (loading excluded), and against the names in the texts when `with_truth`."""
    from trawl.derive.entities.names import key_of
    from trawl.derive.entities.ner import NamedRecogniser, load, raw_spans

    words = sum(len(t.split()) for t in texts)
    bare, named = load("en", bare=True), NamedRecogniser()
    named.model("en")
    started = time.process_time()
    bare_found = [f for t in texts for f in raw_spans(bare(t))]
    bare_s = time.process_time() - started
    started = time.process_time()
    trawl_found = [f for fs in named.find_all("en", texts) for f in fs]
    trawl_s = time.process_time() - started
    out: dict[str, Any] = {
        "texts": len(texts), "words": words, "bare_components": bare.pipe_names,
        "trawl_components": named.model("en").pipe_names,
        "bare_words_per_s": round(words / bare_s), "trawl_words_per_s": round(words / trawl_s),
        "speed_up": round(bare_s / trawl_s, 2)}
    if with_truth:
        want = _names_in(texts)
        for name, found in (("bare", bare_found), ("trawl", trawl_found)):
            for kind in NAMED:
                have = {key_of(kind, f.text) or f.key for f in found if f.kind == kind}
                both = have & want[kind]
                out[f"{name}_{kind}"] = {
                    "truth": len(want[kind]), "found": len(have),
                    "precision": round(len(both) / len(have), 4) if have else 1.0,
                    "recall": round(len(both) / len(want[kind]), 4) if want[kind] else 1.0,
                    "false_positives": sorted(have - want[kind])[:15]}
    return out


def trawl(*args: str, data: Path, log: Path) -> dict[str, Any]:
    """Run a trawl command, measured as the ingestion benchmark measures (its whole process
    tree: wall, CPU, peak memory); the last line of its output is kept."""
    from benchmarks.harness.procmon import run_measured

    env = {**os.environ, "TRAWL_DATA": str(data), "PYTHONPATH": str(REPO / "src")}
    measured = run_measured([sys.executable, "-m", "trawl.cli.main", *args], log, env=env)
    assert measured.returncode == 0, log.read_text()[-2000:]
    lines = log.read_text().strip().splitlines()
    return {"wall_s": measured.wall_s, "cpu_s": measured.cpu_s,
            "peak_rss_mb": round(measured.peak_rss / 2**20), "said": lines[-1:]}


def index_rewrite(log: Path) -> dict[str, Any]:
    """What the stage's run said of the index entries it wrote again (entities changed):
    documents, rows, seconds (the part of its wall time the rewrite took)."""
    import re

    said = re.search(r"index entries of ([\d,]+) documents? and ([\d,]+) table rows? written "
                     r"again with their entities in ([\d.]+) s", log.read_text())
    if said is None:
        return {"documents": 0, "rows": 0, "seconds": 0.0}
    return {"documents": int(said.group(1).replace(",", "")),
            "rows": int(said.group(2).replace(",", "")), "seconds": float(said.group(3))}


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO / "src"))
    from benchmarks.corpus import generate, parse_size

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=parse_size, default=parse_size("20MB"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sample-words", type=int, default=60_000,
                   help="words of text for the bare model against Trawl's (part D)")
    p.add_argument("--json", type=Path, default=REPO / "benchmarks" / "out" / "entities.json")
    p.add_argument("--keep", type=Path, help="work here (kept) instead of a temporary folder")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="trawl-entities-"))
    corpus, data = work / "corpus", work / "data"
    if not corpus.exists():
        manifest = generate(corpus, args.size, seed=args.seed).to_dict()
    else:
        manifest = json.loads((work / "corpus.manifest.json").read_text())
    shutil.rmtree(data, ignore_errors=True)  # the corpus is kept (--keep), never the data
    common = ["--dataset", "bench", "--workers", str(args.workers)]
    ingest = trawl("ingest", str(corpus), *common, "--no-ocr", "--no-entities", data=data,
                   log=work / "ingest.log")
    stage = trawl("entities", "extract", *common, data=data, log=work / "stage.log")
    stage["index_rewrite"] = index_rewrite(work / "stage.log")
    again = trawl("entities", "extract", *common, data=data, log=work / "again.log")
    speed = {name: words_per_s(texts, args.repeat) for name, texts in real_texts().items()}
    speed["generated corpus (extracted text)"] = words_per_s(
        extracted_texts(data, "bench"), args.repeat)
    result = {
        "date": time.strftime("%Y-%m-%d"), "size": args.size, "seed": args.seed,
        "workers": args.workers, "corpus_files": manifest["files"],
        "corpus_mb": round(manifest["bytes"] / 1e6, 1), "recogniser": speed,
        "ingest_no_entities": ingest, "entity_stage": stage, "entity_stage_again": again,
        "stage_over_ingest": {"wall": round(stage["wall_s"] / ingest["wall_s"], 3),
                              "cpu": round(stage["cpu_s"] / ingest["cpu_s"], 3),
                              "wall_without_index_rewrite": round(
                                  (stage["wall_s"] - stage["index_rewrite"]["seconds"])
                                  / ingest["wall_s"], 3)},
        "quality": score(expected(manifest["entities"]), found(data, "bench"), KINDS),
        "model": {
            "generated corpus (English documents)": model_bare_vs_trawl(
                sample(model_texts(data, "bench"), args.sample_words), with_truth=True),
            "Enron mail": model_bare_vs_trawl(
                sample(real_texts()["Enron mail"], args.sample_words), with_truth=False)},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("quality", "model")},
                     indent=2))
    for name, m in result["model"].items():
        print(f"model on {name}: {m['words']} words, bare {m['bare_words_per_s']} words/s, "
              f"Trawl {m['trawl_words_per_s']} words/s")
        for kind in NAMED:
            for how in ("bare", "trawl"):
                if f"{how}_{kind}" in m:
                    q = m[f"{how}_{kind}"]
                    print(f"  {how:>5} {kind}: precision {q['precision']}, recall {q['recall']}"
                          f" (truth {q['truth']}, found {q['found']})")
    for kind, q in result["quality"].items():
        print(f"{kind:>7}: truth {q['truth']}, found {q['found']}, precision {q['precision']}, "
              f"recall {q['recall']}, sources right {q['sources_right']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
