"""Access-control benchmark: what redaction and scoped serving cost.

Usage::

    python -m benchmarks.access_bench [--size 20MB] [--queries 40] [--json FILE] [--keep DIR]

Part A, redaction of real text. Texts of ``../shared/corpus`` (every file of
``enron-sample/maildir`` as it is, raw RFC 822 messages; the ``pdap-police`` CSV files, whole;
the text of the ``pdap-police`` PDFs, read with PyMuPDF) and the texts Trawl extracted from
the generated corpus of part B, each text masked by ``Redactor().text`` (every detector), by
a Redactor with only its e-mail and phone detectors, and by a baseline made of the building
blocks other PII tools use: Google's libphonenumber (``phonenumbers.PhoneNumberMatcher(text,
"US")``, default leniency VALID) and a stdlib e-mail regular expression, whose matches are
masked the same way. Throughput in MB/s of UTF-8 text (best of ``--repeat`` passes, run
alternately, CPU seconds too), and agreement: of the phone numbers and e-mail addresses the
baseline finds, the fraction fully inside Trawl's masks; and the Trawl phone and e-mail masks
the baseline has no match in. Examples of both kinds of difference go to the JSON only.

Part B, the cost of access control when serving:

1. generates a corpus (``benchmarks.corpus.generate(out, size, seed=1)``) and ingests it
   (``Ingester``, 2 workers, no OCR), timed;
2. makes the dataset public (``set_visibility``: builds its redacted view, a masked twin of
   every document and table row in the index, and ``tables-redacted.sqlite``), timed, as a
   ratio to the ingestion, then again (a rebuild, as after each later ingestion); index size
   before and after;
3. times a fixed set of queries (the speed benchmark's 7 kinds, then 1-3 words drawn from the
   generator's vocabulary) in the same run, alternating: the library ``Archive.search``
   unscoped (the baseline), ``GET /api/search`` through the app in process (FastAPI
   TestClient) with an admin's API token, and the same anonymously, which reads the public
   dataset's redacted view. The library scoped to the admin's and to the anonymous reader's
   scope are timed too, to tell the index's share from the web's, and a request for a static
   file (the TestClient round trip, no auth, no search). Every search mode runs the same
   query (parse_search_params(...).to_query(SHOWN_FACETS), as the API builds it: 10 hits with
   snippets, and facets);
4. times one ``AuditLog.record`` and one ``AccessStore.token_user`` directly (and the rest of
   what ``web/auth.identify`` does for a token: grants, datasets, scope).

A benchmark, not a test: it prints numbers (and writes JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness.queries import percentile, query_set

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRAWL_TEST_CORPUS", REPO.parent / "shared" / "corpus"))
DATASET = "bench"
ADMIN = "admin"
ADMIN_PASSWORD = "correct horse battery staple"  # noqa: S105 (a throw-away account)
# The e-mail half of the baseline: the usual "good enough" pattern of PII scripts.
BASELINE_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
EXAMPLES = 12          # per kind of difference, in the JSON
CONTEXT = 40           # characters either side of an example


# -- part A: texts ---------------------------------------------------------------------------
Text = tuple[str, str]  # (where it comes from, the text)


def real_texts(corpus: Path, max_pdfs: int) -> dict[str, list[Text]]:
    """The shared corpus's texts, by source."""
    import pymupdf

    groups: dict[str, list[Text]] = {}
    maildir = corpus / "enron-sample" / "maildir"
    groups["enron mail"] = [
        (str(p.relative_to(corpus)), p.read_bytes().decode("utf-8", "replace"))
        for p in sorted(maildir.rglob("*")) if p.is_file()]
    police = corpus / "pdap-police"
    groups["police CSV"] = [
        (str(p.relative_to(corpus)), p.read_bytes().decode("utf-8", "replace"))
        for p in sorted(police.rglob("*.csv")) if p.is_file()]
    pdfs = []
    for p in sorted(p for p in police.rglob("*") if p.suffix.lower() == ".pdf")[:max_pdfs]:
        with pymupdf.open(p) as doc:
            text = "\n".join(page.get_text() for page in doc)
        if text.strip():
            pdfs.append((str(p.relative_to(corpus)), text))
    groups["police PDF text"] = pdfs
    return {name: texts for name, texts in groups.items() if texts}


def generated_texts(data: Any) -> list[Text]:
    """The texts Trawl extracted from the generated corpus (one per unique content)."""
    from trawl.storage.blobs import BlobStore
    from trawl.storage.catalog import Catalog

    catalog = Catalog(data.catalog_path, readonly=True)
    blobs = BlobStore(data.blob_dir)
    try:
        dataset = catalog.dataset(DATASET)
        assert dataset is not None
        out = []
        for doc_id, sha in catalog.iter_documents(dataset.id):
            content = catalog.content(sha)
            if content is not None and content.text_key:
                text = blobs.get_text(content.text_key)
                if text.strip():
                    out.append((f"document {doc_id}", text))
        return out
    finally:
        catalog.close()


# -- part A: maskers ---------------------------------------------------------------------------
Span = tuple[int, int, str]


def baseline_spans(text: str) -> list[Span]:
    import phonenumbers

    found = [(m.start, m.end, "phone") for m in phonenumbers.PhoneNumberMatcher(text, "US")]
    found += [(m.start(), m.end(), "email") for m in BASELINE_EMAIL.finditer(text)]
    return found


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end, kind in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]), out[-1][2])
        else:
            out.append((start, end, kind))
    return out


def baseline_text(text: str) -> str:
    """The baseline's masked text, spliced as Redactor.text splices its own."""
    spans = _merged(baseline_spans(text))
    if not spans:
        return text
    out, last = [], 0
    for start, end, kind in spans:
        out += [text[last:start], f"[{kind}]"]
        last = end
    out.append(text[last:])
    return "".join(out)


def maskers() -> dict[str, Callable[[str], str]]:
    from trawl.access.redaction import RedactionRules, Redactor

    return {"trawl": Redactor().text,
            "trawl email+phone": Redactor(RedactionRules(detectors=("email", "phone"))).text,
            "baseline": baseline_text}


def throughput(texts: list[Text], repeat: int) -> dict[str, tuple[float, float]]:
    """Best wall time (and its CPU time) of `repeat` passes of each masker over the texts,
    run alternately so that a slow spell of the shared machine hits all of them."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeat):
        for name, mask in maskers().items():
            t0, c0 = time.perf_counter(), time.process_time()
            for _, text in texts:
                mask(text)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu)
    return best


def _rates(texts: int, mb: float, times: dict[str, tuple[float, float]]) -> dict[str, Any]:
    numbers = {name: {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                      "mb_per_s": round(mb / wall, 2), "mb_per_cpu_s": round(mb / cpu, 2)}
               for name, (wall, cpu) in times.items()}
    trawl, subset, base = (times[k] for k in ("trawl", "trawl email+phone", "baseline"))
    return {"texts": texts, "mb": round(mb, 3), **numbers,
            "trawl / baseline": round(base[0] / trawl[0], 2),
            "trawl / baseline, CPU": round(base[1] / trawl[1], 2),
            "trawl email+phone / baseline": round(base[0] / subset[0], 2)}


def _covered(spans: list[Span], starts: list[int], start: int, end: int) -> bool:
    """Whether the union of the (sorted, merged) spans covers [start, end)."""
    i = max(0, bisect.bisect_right(starts, start) - 1)
    pos = start
    while i < len(spans) and spans[i][0] <= pos:
        pos = max(pos, spans[i][1])
        if pos >= end:
            return True
        i += 1
    return False


def _overlaps(spans: list[Span], starts: list[int], start: int, end: int) -> bool:
    i = max(0, bisect.bisect_right(starts, start) - 1)
    while i < len(spans) and spans[i][0] < end:
        if spans[i][1] > start:
            return True
        i += 1
    return False


def _example(source: str, where: str, text: str, start: int, end: int, **extra: str
             ) -> dict[str, str]:
    context = text[max(0, start - CONTEXT):end + CONTEXT]
    return {"source": source, "where": where, "match": text[start:end],
            "context": " ".join(context.split()), **extra}


def shape(match: str, kind: str) -> tuple[str, str]:
    """What a difference looks like, without its characters: a category, and the match with
    every digit a 9 and every letter an a (safe to print)."""
    pattern = re.sub(r"[A-Za-z]", "a", re.sub(r"[0-9]", "9", match)).replace("\n", "\\n")
    if kind == "email":
        domain = match.rpartition("@")[2]
        return ("no letter before the TLD (a file name)"
                if not any(c.isalpha() for c in domain.rpartition(".")[0]) else "other",
                pattern)
    if "\n" in match:
        category = "across a line break"
    elif re.fullmatch(r"[+\-]?[0-9]+\.[0-9]+", match):
        category = "decimal number (a coordinate)"
    elif re.fullmatch(r"\+?[0-9]+", match):
        category = "digits without separators"
    elif re.fullmatch(r"(?:19|20)[0-9]{2}[ \-][0-9]{5,}", match):
        category = "year + serial (a case number)"
    else:
        category = "other"
    return category, pattern


def agreement(groups: dict[str, list[Text]]) -> dict[str, Any]:
    """Per source and kind: what the baseline finds, how much of it Trawl masks whole, and the
    Trawl phone and e-mail masks that no baseline match touches."""
    from trawl.access.redaction import Redactor

    redactor = Redactor()
    per_source: dict[str, dict[str, Any]] = {}
    examples: dict[str, list[dict[str, str]]] = {
        "baseline phone not masked by trawl": [], "baseline email not masked by trawl": [],
        "trawl phone mask without baseline match": [],
        "trawl email mask without baseline match": []}
    rng = random.Random(1)  # examples: a reservoir sample, so every source can show up
    seen: Counter[str] = Counter()
    shapes: dict[str, Counter[str]] = {kind: Counter() for kind in examples}
    patterns: dict[str, Counter[str]] = {kind: Counter() for kind in examples}

    def keep(kind: str, example: dict[str, str]) -> None:
        seen[kind] += 1
        category, pattern = shape(example["match"], "email" if "email" in kind else "phone")
        shapes[kind][f"{example['source']}: {category}"] += 1
        patterns[kind][f"{example['source']}: {pattern}"] += 1
        if len(examples[kind]) < EXAMPLES:
            examples[kind].append(example)
        elif (j := rng.randrange(seen[kind])) < EXAMPLES:
            examples[kind][j] = example

    for source, texts in groups.items():
        counts: Counter[str] = Counter()
        for where, text in texts:
            trawl = redactor.spans(text)
            t_starts = [s for s, _, _ in trawl]
            base = sorted(baseline_spans(text))
            b_starts = [s for s, _, _ in base]
            counts.update(f"trawl {kind} masks" for _, _, kind in trawl)
            for start, end, kind in base:
                counts[f"baseline {kind}"] += 1
                if _covered(trawl, t_starts, start, end):
                    counts[f"baseline {kind} covered"] += 1
                else:
                    if _overlaps(trawl, t_starts, start, end):
                        counts[f"baseline {kind} partly covered"] += 1
                    keep(f"baseline {kind} not masked by trawl",
                         _example(source, where, text, start, end))
            for start, end, kind in trawl:
                if kind in ("phone", "email") and not _overlaps(base, b_starts, start, end):
                    counts[f"trawl {kind} mask without baseline match"] += 1
                    keep(f"trawl {kind} mask without baseline match",
                         _example(source, where, text, start, end))
        summary: dict[str, Any] = dict(sorted(counts.items()))
        for kind in ("phone", "email"):
            found = counts[f"baseline {kind}"]
            summary[f"{kind} recall vs baseline"] = \
                round(counts[f"baseline {kind} covered"] / found, 4) if found else None
        per_source[source] = summary
    return {"per_source": per_source, "examples": examples,
            "shapes": {kind: dict(counts.most_common()) for kind, counts in shapes.items()},
            "patterns": {kind: dict(counts.most_common(30))
                         for kind, counts in patterns.items()}}


def redaction_part(groups: dict[str, list[Text]], repeat: int) -> dict[str, Any]:
    sources: dict[str, Any] = {}
    total: dict[str, tuple[float, float]] = {}
    for name, texts in groups.items():
        times = throughput(texts, repeat)
        for mode, (wall, cpu) in times.items():  # "all": the sum of each source's best
            total[mode] = (total.get(mode, (0.0, 0.0))[0] + wall,
                           total.get(mode, (0.0, 0.0))[1] + cpu)
        sources[name] = _rates(len(texts), sum(len(t.encode("utf-8")) for _, t in texts) / 1e6,
                               times)
    sources["all"] = _rates(sum(s["texts"] for s in sources.values()),
                            sum(s["mb"] for s in sources.values()), total)
    for name, numbers in sources.items():
        print(f"{name[:26]:<26} {numbers['mb']:>7} MB  trawl {numbers['trawl']['mb_per_s']:>6}"
              f" MB/s  email+phone {numbers['trawl email+phone']['mb_per_s']:>6} MB/s  baseline"
              f" {numbers['baseline']['mb_per_s']:>6} MB/s  trawl / baseline "
              f"{numbers['trawl / baseline']}x (CPU {numbers['trawl / baseline, CPU']}x)",
              flush=True)
    agree = agreement(groups)
    total: Counter[str] = Counter()
    for counts in agree["per_source"].values():
        total.update({k: v for k, v in counts.items() if isinstance(v, int)})
    for kind in ("phone", "email"):
        found = total[f"baseline {kind}"]
        total[f"{kind} recall vs baseline"] = \
            round(total[f"baseline {kind} covered"] / found, 4) if found else None  # type: ignore[assignment]
    agree["per_source"]["all"] = dict(sorted(total.items()))
    for name, counts in agree["per_source"].items():
        print(f"{name[:26]:<26} phones {counts.get('baseline phone', 0):>5} "
              f"(recall {counts['phone recall vs baseline']}), e-mails "
              f"{counts.get('baseline email', 0):>5} (recall {counts['email recall vs baseline']})"
              f"; trawl-only masks: phone "
              f"{counts.get('trawl phone mask without baseline match', 0)}, e-mail "
              f"{counts.get('trawl email mask without baseline match', 0)}", flush=True)
    for kind, counts in agree["shapes"].items():
        print(f"{kind}: " + "; ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    return {"throughput": sources, "agreement": agree}


# -- part B: ingest, publish -------------------------------------------------------------------
def _size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def ingest(work: Path, size: int) -> tuple[Any, dict[str, Any], list[dict[str, str]]]:
    from benchmarks.corpus import generate, manifest_path
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.storage.datadir import DataDir

    corpus = work / "corpus"
    if manifest_path(corpus).exists():  # --keep: generated by an earlier run
        manifest = json.loads(manifest_path(corpus).read_text())
        gen_s = None
    else:
        t0 = time.perf_counter()
        manifest = generate(corpus, size, seed=1).to_dict()
        gen_s = round(time.perf_counter() - t0, 2)
    if (work / "data").exists():
        raise SystemExit(f"{work / 'data'} exists: give --keep a new or emptied folder")
    data = DataDir.open(work / "data")
    t0 = time.perf_counter()
    ingester = Ingester(data, DATASET, IngestOptions(workers=2, quiet=True, ocr=False))
    try:
        summary = ingester.ingest(corpus)
    finally:
        ingester.close()
    ingest_s = time.perf_counter() - t0
    return data, {
        "corpus_files": manifest["files"], "corpus_mb": round(manifest["bytes"] / 1e6, 1),
        "generate_s": gen_s, "ingest_s": round(ingest_s, 2), "counts": summary.counts,
        "index_mb": round(_size_of(data.index_dir) / 1e6, 2),
        "catalog_mb": round(_size_of(data.catalog_path) / 1e6, 2),
        "tables_mb": round(_size_of(data.tables_path) / 1e6, 2)
        if data.tables_path.exists() else None,
    }, manifest["needles"]


def publish(data: Any, ingest_s: float) -> dict[str, Any]:
    """set_visibility(public) twice: the first build of the redacted view, then a rebuild
    (what every later ingestion into a public dataset does)."""
    from trawl.derive.redacted_view import set_visibility

    index_before = _size_of(data.index_dir)
    runs = []
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        set_visibility(data, DATASET, "public")
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
        if len(runs) == 1:
            index_after = _size_of(data.index_dir)
    redacted_tables = data.redacted_tables_path
    return {
        "set_visibility_s": round(runs[0][0], 2), "set_visibility_cpu_s": round(runs[0][1], 2),
        "rebuild_s": round(runs[1][0], 2), "rebuild_cpu_s": round(runs[1][1], 2),
        "set_visibility / ingest": round(runs[0][0] / ingest_s, 3),
        "rebuild / ingest": round(runs[1][0] / ingest_s, 3),
        "index_mb_before": round(index_before / 1e6, 2),
        "index_mb_after": round(index_after / 1e6, 2),
        "index_after / before": round(index_after / index_before, 2),
        "index_mb_after_rebuild": round(_size_of(data.index_dir) / 1e6, 2),
        "redacted_tables_mb": round(_size_of(redacted_tables) / 1e6, 2)
        if redacted_tables.exists() else None,
    }


# -- part B: search ----------------------------------------------------------------------------
def queries(count: int, needles: list[dict[str, str]]) -> list[dict[str, str]]:
    """The speed benchmark's 7 kinds of query (as API parameters), then 1-3 consecutive words
    of the generator's phrases and terms, drawn with a fixed seed."""
    from benchmarks.corpus import words

    fixed = []
    for q in query_set(needles):
        params = {"q": q.trawl or "*"}
        if q.sort != "relevance":
            params["sort"] = q.sort
        fixed.append(params)
    pool = sorted({phrase.lower() for group in (
        words.KEYWORDS, words.INFRA, words.EVENTS, words.VENUES, words.COURSES, words.DRUGS,
        words.WEAPONS, words.VEHICLES, words.RARE, words.MALWARE) for phrase in group})
    rng = random.Random(1)
    out, seen = fixed[:count], {p["q"] for p in fixed}
    while len(out) < count:
        phrase = rng.choice(pool).split()
        k = min(len(phrase), rng.choice((1, 2, 3)))
        start = rng.randrange(len(phrase) - k + 1)
        q = " ".join(phrase[start:start + k])
        if q not in seen and q not in ("of", "and", "for", "the", "a", "to", "in"):
            seen.add(q)
            out.append({"q": q})
    return out


def _stats(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2), "mean_ms": round(statistics.fmean(ms), 2),
            "max_ms": round(max(ms), 2)}


def search_part(data: Any, specs: list[dict[str, str]], rounds: int) -> dict[str, Any]:
    warnings.filterwarnings("ignore", message="Using `httpx` with")  # starlette's TestClient
    from fastapi.responses import JSONResponse
    from fastapi.testclient import TestClient

    from trawl.access.policy import ANONYMOUS, Principal, read_scope
    from trawl.access.store import AccessStore
    from trawl.search.service import Archive
    from trawl.web.api import hit_json
    from trawl.web.app import create_app
    from trawl.web.params import SHOWN_FACETS, parse_search_params

    store = AccessStore(data.access_path)
    store.add_user(ADMIN, ADMIN_PASSWORD, is_admin=True)
    secret, _ = store.create_token(ADMIN, "bench")
    store.close()
    admin = {"Authorization": f"Bearer {secret}"}

    archive = Archive(data)  # the library, as `trawl search` and the app use it
    datasets = archive.catalog.datasets()
    admin_lib = archive.scoped(read_scope(Principal(ADMIN, True), datasets))
    public_lib = archive.scoped(read_scope(ANONYMOUS, datasets))
    built = [parse_search_params(spec, strict=True).to_query(SHOWN_FACETS) for spec in specs]
    app = create_app(data)
    # Entered: one event loop (and one thread for it) for every request, as in a server.
    # Without it, TestClient starts a loop and a thread per request (a few ms more here), and
    # the access store opens a new SQLite connection for each (one per thread).
    client = TestClient(app).__enter__()

    def library(target: Any) -> Callable[[int], int]:
        return lambda i: target.search(built[i]).total

    def library_json(i: int) -> int:
        """The baseline's search and the API's response body for it, without HTTP."""
        result = archive.search(built[i])
        JSONResponse({"query": specs[i]["q"], "total": result.total,
                      "hits": [hit_json(h, specs[i]["q"]) for h in result.hits],
                      "facets": {name: [{"value": v, "count": n} for v, n in values]
                                 for name, values in result.facets.items()}})
        return result.total

    def http(headers: dict[str, str]) -> Callable[[int], int]:
        def run(i: int) -> int:
            response = client.get("/api/search", params=specs[i], headers=headers)
            assert response.status_code == 200, (specs[i], response.status_code,
                                                 response.text[:300])
            return response.json()["total"]
        return run

    def floor(_i: int) -> int:  # the in-process HTTP round trip alone: no auth, no search
        response = client.get("/static/favicon.svg")
        assert response.status_code == 200, response.status_code
        return 0

    modes: dict[str, Callable[[int], int]] = {
        "library, unscoped (baseline)": library(archive),
        "API, admin token": http(admin),
        "API, anonymous (redacted view)": http({}),
        "library, admin scope": library(admin_lib),
        "library, anonymous scope (redacted view)": library(public_lib),
        "library + the API's JSON body, no HTTP": library_json,
        "TestClient floor (a static file)": floor,
    }
    names = list(modes)
    try:
        totals = {name: [modes[name](i) for i in range(len(specs))] for name in names}  # warm
        times: dict[str, list[float]] = {name: [] for name in names}
        paired: dict[str, list[float]] = {name: [] for name in names[1:]}
        for r in range(rounds):
            for i in range(len(specs)):
                order = names[(i + r) % len(names):] + names[:(i + r) % len(names)]
                took = {}
                for name in order:
                    t0 = time.perf_counter()
                    modes[name](i)
                    took[name] = (time.perf_counter() - t0) * 1000
                    times[name].append(took[name])
                for name in names[1:]:
                    paired[name].append(took[name] - took[names[0]])
    finally:
        client.__exit__(None, None, None)
    base = _stats(times[names[0]])
    out: dict[str, Any] = {}
    for name in names:
        stats = _stats(times[name])
        if name != names[0]:
            stats["p50 / baseline p50"] = round(stats["p50_ms"] / base["p50_ms"], 2)
            stats["p95 / baseline p95"] = round(stats["p95_ms"] / base["p95_ms"], 2)
            stats["median paired extra ms"] = round(statistics.median(paired[name]), 2)
        if modes[name] is not floor:
            stats["hits, all queries"] = sum(totals[name])
            stats["queries whose total differs from the baseline's"] = sum(
                a != b for a, b in zip(totals[name], totals[names[0]], strict=True))
        out[name] = stats
        print(f"{name:<42} p50 {stats['p50_ms']:>6} ms  p95 {stats['p95_ms']:>6} ms"
              + (f"  x{stats['p50 / baseline p50']} (p50), +{stats['median paired extra ms']}"
                 " ms paired" if name != names[0] else ""), flush=True)
    return {"queries": specs, "rounds": rounds, "modes": out,
            "audit_entries_after": app.state.audit.head()[0]}


def micro(data: Any, calls: int) -> dict[str, Any]:
    """One AuditLog.record, one AccessStore.token_user, and the rest of what `identify` does
    for a token (its account's grants, the datasets, the scope); each `calls` times."""
    from trawl.access.audit import AuditLog
    from trawl.access.policy import Principal, read_scope
    from trawl.access.store import AccessStore
    from trawl.search.service import Archive

    out: dict[str, Any] = {}
    with AuditLog(data.audit_path, data.secret_key_path) as log:  # the app's log, not empty
        detail = {"filters": {}, "record": "documents", "total": 1234}
        log.record("anonymous", "search", target="warm-up", detail=detail, ip="testclient")
        us = []
        for i in range(calls):
            t0 = time.perf_counter()
            log.record("anonymous", "search", target=f"query {i}", detail=detail,
                       ip="testclient")
            us.append((time.perf_counter() - t0) * 1e6)
        out["AuditLog.record"] = _micro_stats(us)
        out["audit entries"] = log.head()[0]
    store = AccessStore(data.access_path)
    secret, _ = store.create_token(ADMIN, "micro")
    archive = Archive(data)
    user_token = store.token_user(secret)
    assert user_token is not None  # the first use writes last_used_at
    user = user_token[0]
    us = []
    for _ in range(calls):
        t0 = time.perf_counter()
        store.token_user(secret)
        us.append((time.perf_counter() - t0) * 1e6)
    out["AccessStore.token_user"] = _micro_stats(us)
    us = []
    for _ in range(calls):  # what identify() adds to a token's lookup, and an anonymous call
        t0 = time.perf_counter()
        principal = Principal(user.name, user.is_admin, user.groups,
                              store.granted_datasets(user), token="micro")
        read_scope(principal, archive.catalog.datasets())
        us.append((time.perf_counter() - t0) * 1e6)
    out["granted_datasets + catalog.datasets + read_scope"] = _micro_stats(us)
    archive.close()
    store.close()
    return out


def _micro_stats(us: list[float]) -> dict[str, float]:
    return {"n": len(us), "p50_us": round(percentile(us, 50), 1),
            "p95_us": round(percentile(us, 95), 1), "mean_us": round(statistics.fmean(us), 1)}


# -- main --------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    from importlib import metadata

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) * 1024 for line in
                Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), None)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": mem,
            "python": platform.python_version(),
            "packages": {p: metadata.version(p) for p in ("phonenumbers", "tantivy", "pymupdf")}}


def main(argv: list[str] | None = None) -> int:
    from benchmarks.corpus import parse_size

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="20MB", help="generated corpus (part B)")
    parser.add_argument("--queries", type=int, default=40, help="queries in the set")
    parser.add_argument("--rounds", type=int, default=5, help="times each query is timed")
    parser.add_argument("--repeat", type=int, default=5, help="passes of each masker (A)")
    parser.add_argument("--pdfs", type=int, default=48, help="police PDFs read for part A")
    parser.add_argument("--calls", type=int, default=2000, help="calls of each micro-timing")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the shared corpus")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"machine": machine(), "load_average_before": os.getloadavg(),
                              "args": {k: str(v) for k, v in vars(args).items()}}
    started = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="trawl-access-")
    try:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"== ingest: generated corpus of {args.size}", flush=True)
        data, result["ingest"], needles = ingest(work, parse_size(args.size))
        print(json.dumps(result["ingest"]), flush=True)

        print("== part A: redaction of real and generated text", flush=True)
        groups = real_texts(args.corpus, args.pdfs) if args.corpus.is_dir() else {}
        groups[f"generated {args.size} (extracted)"] = generated_texts(data)
        result["redaction"] = redaction_part(groups, args.repeat)

        print("== part B: publishing (the redacted view)", flush=True)
        result["publish"] = publish(data, result["ingest"]["ingest_s"])
        print(json.dumps(result["publish"]), flush=True)
        print(f"== part B: search, {args.queries} queries x {args.rounds} rounds", flush=True)
        result["search"] = search_part(data, queries(args.queries, needles), args.rounds)
        result["micro"] = micro(data, args.calls)
        print(json.dumps(result["micro"]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["load_average_after"] = os.getloadavg()
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    print("load average (1, 5, 15 min) before:", result["load_average_before"], "after:",
          result["load_average_after"], f"; {result['elapsed_s']} s in all")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
