"""The Markdown tables of search latency, HTTP load and text fidelity."""

from __future__ import annotations

from typing import Any

from .report import ENGINES, fmt, main_size, ratio, table


def engine_stats(s: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per engine key: the per-query latency stats of the size `s`."""
    http = s.get("http") or {}
    return {
        "trawl": (s.get("search") or {}).get("queries", {}),
        "http1": (http.get("c1") or {}).get("queries", {}),
        "http16": (http.get("c16") or {}).get("queries", {}),
        "fts5": ((s.get("fts5") or {}).get("search") or {}).get("queries", {}),
        "rg": (s.get("rg") or {}).get("queries", {}),
        "recoll": ((s.get("recoll") or {}).get("search") or {}).get("queries", {}),
    }


def _cell(stats: dict[str, Any] | None) -> str:
    if not stats or not stats.get("n"):
        return "–"
    return f"{stats['p50_ms']:.1f} / {stats['p95_ms']:.1f} / {stats['p99_ms']:.1f}"


def latency_section(results: dict[str, Any]) -> list[str]:
    s = main_size(results)
    per = engine_stats(s)
    engines = [(k, name) for k, name in ENGINES if per[k]]
    rows = []
    for qname, text in (s.get("queries") or {}).items():
        rows.append([f"{qname} `{text or '(all)'}`",
                     *(_cell(per[k].get(qname)) for k, _ in engines)])
    out = [f"### Search latency, {s['label']} corpus: p50 / p95 / p99 in ms", "",
           *table(["query", *(n for _, n in engines)], rows, "l" + "r" * len(engines))]
    return out + ratio_table(s, per) + hits_table(s, per)


def ratio_table(s: dict[str, Any], per: dict[str, dict[str, Any]]) -> list[str]:
    others = [(k, n) for k, n in ENGINES if k in ("fts5", "rg", "recoll") and per[k]]
    if not others:
        return []
    rows = []
    for qname in s.get("queries") or {}:
        mine = per["trawl"].get(qname, {}).get("p50_ms")
        rows.append([qname, *(ratio(mine, per[k].get(qname, {}).get("p50_ms"))
                              for k, _ in others)])
    return ["Trawl (library) p50 ÷ baseline p50 (below 1: Trawl is faster):", "",
            *table(["query", *(n for _, n in others)], rows)]


def hits_table(s: dict[str, Any], per: dict[str, dict[str, Any]]) -> list[str]:
    keys = [(k, n) for k, n in ENGINES if k in ("trawl", "fts5", "rg", "recoll") and per[k]]
    rows = [[q, *(fmt(per[k].get(q, {}).get("hits")) for k, _ in keys)]
            for q in s.get("queries") or {}]
    return ["Matches found (documents for Trawl and FTS5, files for ripgrep, Recoll's "
            "estimate):", "", *table(["query", *(n for _, n in keys)], rows)]


def growth_section(results: dict[str, Any]) -> list[str]:
    sizes = [s for s in results["sizes"] if s.get("search")]
    if len(sizes) < 2:
        return []
    rows = []
    for qname in sizes[-1].get("queries") or {}:
        rows.append([qname, *(_cell(s["search"]["queries"].get(qname)) for s in sizes)])
    rows.append(["**all**", *(_cell(s["search"]["all"]) for s in sizes)])
    return ["### Trawl search latency against corpus size (library, p50 / p95 / p99 ms)", "",
            *table(["query", *(s["label"] for s in sizes)], rows)]


def http_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for s in results["sizes"]:
        for r in (s.get("http") or {}).values():
            a = r["all"]
            rows.append([s["label"], r["clients"], r["requests"], r["requests_per_s"],
                         a.get("p50_ms"), a.get("p95_ms"), a.get("p99_ms"), r["errors"]])
    if not rows:
        return []
    head = ["corpus", "clients", "requests", "requests/s", "p50 ms", "p95 ms", "p99 ms",
            "errors"]
    return ["### HTTP (`trawl serve`, GET /api/search, all queries mixed)", "",
            *table(head, rows),
            "`trawl serve` with its default of one server process per core (before "
            "2026-12-04: one process); 16 clients are 16 threads of the benchmark on the "
            "same cores, so their latency includes waiting for a core.", ""]


def fidelity_section(results: dict[str, Any]) -> list[str]:
    f = results.get("fidelity")
    if not f:
        return []
    t, k = f["trawl"], f["tika"]
    out = ["### Extracted text against Apache Tika (real files)", "",
           f"Corpus `{f['corpus']}`: {t['files']} files, {t['bytes'] / 1e6:.1f} MB. "
           f"Trawl ingested it in {t['wall_s']:.1f} s ({t['cpu_s']:.1f} CPU s), Tika extracted "
           f"it in {k['wall_s']:.1f} s ({k['cpu_s']:.1f} CPU s): Trawl ÷ Tika "
           f"{ratio(t['wall_s'], k['wall_s'])} wall, {ratio(t['cpu_s'], k['cpu_s'])} CPU.", "",
           f"{f['files_scored']} files scored (Tika found ≥ 5 words; "
           f"{f.get('tika_too_few_words', 0)} others had fewer, "
           f"{f.get('no_tika_output', 0)} had no Tika output). Recall of Tika's words in "
           f"Trawl's text: mean {fmt(f['recall_mean'], 3)}, median {fmt(f['recall_median'], 3)}"
           f", over all words {fmt(f['recall_micro'], 3)}; {f['files_recall_below_0_9']} files "
           f"below 0.9, {f['files_recall_below_0_5']} below 0.5, {f['files_trawl_empty']} "
           f"with no Trawl text. Reverse (Trawl's words in Tika's text): mean "
           f"{fmt(f['reverse_mean'], 3)}. Files that took Tika's parser JVM down (out of "
           "memory or time-out): "
           f"{', '.join(f'`{c}`' for c in k.get('crashed', [])) or 'none'}.", "",
           *_fidelity_empty(f), *_fidelity_by_ext(f),
           "Worst files among those where Trawl has text:", ""]
    rows = [[f"`{w['path']}`", f"{w['recall']:.3f}", w["tika_words"], w["trawl_words"]]
            for w in f["worst"]]
    return out + table(["file", "recall", "Tika words", "Trawl words"], rows, "lrrr")


def _fidelity_empty(f: dict[str, Any]) -> list[str]:
    reasons = f.get("trawl_empty_by_reason") or {}
    if not reasons:
        return []
    rows = [[reason, n] for reason, n in reasons.items()]
    return [f"Files where Tika has text and Trawl none ({f['files_trawl_empty']}), by Trawl's "
            "status:", "", *table(["Trawl status", "files"], rows)]


def _fidelity_by_ext(f: dict[str, Any]) -> list[str]:
    rows = [[ext, v["files"], f"{v['recall_mean']:.3f}", v["below_0_5"]]
            for ext, v in (f.get("by_extension") or {}).items() if v["files"] >= 3]
    return ["Recall by extension (3+ files scored):", "",
            *table(["extension", "files", "mean recall", "below 0.5"], rows)]
