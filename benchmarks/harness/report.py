"""The Markdown tables of a run (the "Speed and memory" section of BENCHMARKS.md).

Ratios are Trawl / baseline, from the same run on the same files: above 1 Trawl is slower
(or bigger), below 1 it is faster.
"""

from __future__ import annotations

from typing import Any

MB = 1e6
ENGINES = (("trawl", "Trawl (library)"), ("http1", "Trawl HTTP, 1 client"),
           ("http16", "Trawl HTTP, 16 clients"), ("fts5", "SQLite FTS5"),
           ("rg", "ripgrep"), ("recoll", "recollq"))


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "–"
    value = a / b
    return f"{value:.3f}×" if value < 0.1 else f"{value:.2f}×"


def row(cells: list[Any]) -> str:
    return "| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in cells) + " |"


def table(header: list[str], rows: list[list[Any]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    return [row(header), "| " + " | ".join(marks) + " |", *(row(r) for r in rows), ""]


def main_size(results: dict[str, Any]) -> dict[str, Any]:
    """The corpus the baselines ran on (the --size one), else the largest."""
    for s in results["sizes"]:
        if s["label"] == results.get("main"):
            return s
    return results["sizes"][-1]


def _files(size: dict[str, Any]) -> int | None:
    return size["corpus"].get("files") or (size.get("trawl") or {}).get("ingest", {}).get("files")


def header(results: dict[str, Any]) -> list[str]:
    meta, m = results["meta"], results["meta"]["machine"]
    sizes = ", ".join(f"{s['label']} ({fmt(_files(s))} files)" for s in results["sizes"])
    gen = ", ".join(f"{s['label']} {s['corpus']['elapsed_s']:.0f} s" for s in results["sizes"]
                    if s["corpus"].get("elapsed_s") is not None)
    took = f" The run took {meta['elapsed_s'] / 60:.0f} min" if meta.get("elapsed_s") else ""
    took += f", not counting the corpora (generated once, then cached: {gen})." \
        if gen and took else ("." if took else "")
    return [f"Run of {meta['date']} on {m['cpu']}, {m['cores']} cores, "
            f"{m['memory_bytes'] / 2**30:.0f} GiB memory ({m['os']}, Python {m['python']}); "
            f"{meta['workers']} Trawl workers. Corpora: {sizes}.{took}", "",
            f"Reproduce: `{meta['command']}`", ""]


def _wall(m: dict[str, Any] | None) -> float | None:
    return m.get("wall_s") if m else None


def summary(results: dict[str, Any]) -> list[str]:
    s = main_size(results)
    if not s.get("trawl"):
        return []
    t, st = s["trawl"]["ingest"], s["trawl"]["storage"]
    lines = [f"- **Ingestion, {s['label']}** ({t['files']:,} files): {t['wall_s']:.0f} s, "
             f"{t['mb_per_s']:.1f} MB/s, {t['files_per_s']:.0f} files/s, "
             f"{t['cores_used']:.1f} cores busy, peak RSS {t['peak_rss'] / MB:.0f} MB; "
             f"catalog + index = {st['catalog_index_over_raw'] * 100:.1f}% of the raw bytes."]
    base = [(name, _wall(m)) for name, m in (
        ("the extraction floor", s.get("floor")),
        ("Recoll", (s.get("recoll") or {}).get("index")), ("Apache Tika", s.get("tika")))]
    parts = [f"{ratio(t['wall_s'], w)} {name}'s" for name, w in base if w]
    if parts:
        lines.append("- **Trawl's ingestion wall time ÷ baselines** (same files, same run): "
                     + ", ".join(parts) + ".")
    fts = _wall((s.get("fts5") or {}).get("build"))
    if s.get("reindex") and fts:
        lines.append(f"- **Index alone** (from the same extracted text): `trawl reindex` "
                     f"{s['reindex']['wall_s']:.1f} s, SQLite FTS5 build {fts:.1f} s "
                     f"({ratio(s['reindex']['wall_s'], fts)}).")
    o = s.get("ocr")
    if o and o["trawl"].get("pages_per_s"):
        floor = (o.get("floor") or {}).get("pages_per_s")
        lines.append(f"- **OCR** ({o['trawl']['pages']} pages): {o['trawl']['pages_per_s']:.2f}"
                     " pages/s" + (f"; Tesseract alone {floor:.2f} pages/s" if floor else "")
                     + ".")
    lines += _search_summary(s) + _growth_summary(results)
    return [*lines, ""]


def _search_summary(s: dict[str, Any]) -> list[str]:
    search = (s.get("search") or {}).get("all")
    if not search:
        return []
    others = [(name, (m or {}).get("all", {}).get("p50_ms")) for name, m in (
        ("SQLite FTS5", (s.get("fts5") or {}).get("search")),
        ("recollq", (s.get("recoll") or {}).get("search")), ("ripgrep", s.get("rg")))]
    text = ", ".join(f"{name} {v:.1f} ms" for name, v in others if v)
    http = ((s.get("http") or {}).get("c16") or {})
    extra = (f"; over HTTP with 16 clients {http['requests_per_s']:.0f} requests/s, p50 "
             f"{http['all']['p50_ms']:.0f} ms") if http else ""
    return [f"- **Search, {s['label']}** (7 queries, 10 hits with snippets): Trawl p50 "
            f"{search['p50_ms']:.1f} ms, p99 {search['p99_ms']:.1f} ms"
            + (f" (p50 of the baselines over their queries: {text})" if text else "")
            + extra + "."]


def _growth_summary(results: dict[str, Any]) -> list[str]:
    sizes = [s for s in results["sizes"] if s.get("trawl") and s.get("search")]
    if len(sizes) < 2:
        return []
    a, b = sizes[0], sizes[-1]
    ta, tb = a["trawl"]["ingest"], b["trawl"]["ingest"]
    return [f"- **Growth {a['label']} → {b['label']}** ({tb['bytes'] / ta['bytes']:.0f}× the "
            f"bytes): ingestion wall ×{tb['wall_s'] / ta['wall_s']:.1f}, peak RSS "
            f"×{tb['peak_rss'] / ta['peak_rss']:.2f}, search p50 "
            f"×{b['search']['all']['p50_ms'] / a['search']['all']['p50_ms']:.2f}."]


CAVEATS = [
    "How it is measured (benchmarks/harness/): every ingester runs as a subprocess; wall time "
    "is the whole run, CPU is user+sys of the whole process tree, peak RSS the largest sum of "
    "RSS over the tree (sampled every 0.2 s). The machine is shared with other work, so "
    "absolute numbers are noisy; ratios within one run are what count. The page cache is "
    "warm (the corpus was just generated or read). Recoll and Tika run on the main corpus "
    "only; the floor, FTS5 and ripgrep at every size. Without `--growth` (100MB, 300MB and "
    "1GB) the command takes 10 to 20 minutes on this 2-core machine, depending on its load.",
    ""]


def ingest_rows(results: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for s in results["sizes"]:
        t = s.get("trawl")
        if not t:
            continue
        i, st = t["ingest"], t["storage"]
        rows.append([s["label"], i["files"], i["bytes"] / MB, i["wall_s"], i["files_per_s"],
                     i["mb_per_s"], i["cpu_s"], i["cores_used"], i["peak_rss"] / MB,
                     (st["catalog_bytes"] + st["index_bytes"]) / MB,
                     f"{st['catalog_index_over_raw']:.3f}",
                     f"{st['catalog_index_over_text']:.2f}", st["blob_bytes"] / MB,
                     _wall(s.get("reindex"))])
    return rows


def ingest_section(results: dict[str, Any]) -> list[str]:
    head = ["corpus", "files", "MB", "wall s", "files/s", "MB/s", "CPU s", "cores used",
            "peak RSS MB", "catalog+index MB", "÷ raw bytes", "÷ text chars", "blobs MB",
            "reindex s"]
    return ["### Ingestion (`trawl ingest`) against corpus size", "",
            *table(head, ingest_rows(results)),
            "Ingestion without OCR (`--no-ocr`; OCR is measured below, on a sample). CPU is "
            "user+sys of the whole process tree (coordinator, forkserver, workers); peak RSS is "
            "the largest sum over the tree at one 0.2 s sample. Blobs are the gzip'd texts "
            "plus archive members and attachments kept for preview. *reindex* is `trawl "
            "reindex`: the index alone, rebuilt from the catalog and the stored texts.", ""]


def _measured_row(name: str, what: str, m: dict[str, Any] | None, raw: float,
                  trawl: dict[str, Any], size: float | None) -> list[Any] | None:
    if not m:
        return None
    return [name, what, m["wall_s"], raw / MB / m["wall_s"], m["cpu_s"], m["peak_rss"] / MB,
            size / MB if size is not None else None, ratio(trawl["wall_s"], m["wall_s"]),
            ratio(trawl["cpu_s"], m["cpu_s"]), ratio(trawl["peak_rss"], m["peak_rss"])]


def baseline_rows(s: dict[str, Any]) -> list[list[Any]]:
    t = s["trawl"]["ingest"]
    st = s["trawl"]["storage"]
    raw = t["bytes"]
    rec = (s.get("recoll") or {}).get("index")
    fts = (s.get("fts5") or {}).get("build")
    tk = s.get("tika")
    rows = [
        _measured_row("**Trawl**", "walk, hash, type, extract, catalog, index", t, raw, t,
                      st["catalog_bytes"] + st["index_bytes"]),
        _measured_row("extraction floor", "SHA-256 + libmagic of every file, PyMuPDF text "
                      "of PDFs", s.get("floor"), raw, t, None),
        _measured_row("Recoll", "recollindex (Xapian), full index", rec, raw, t,
                      rec["index_bytes"] if rec else None),
        _measured_row("Apache Tika", "tika-app batch, plain text, no OCR", tk, raw, t,
                      tk["text_bytes"] if tk else None),
        _measured_row("Trawl reindex", "the index alone, from the catalog and stored texts",
                      s.get("reindex"), raw, t, (s.get("reindex") or {}).get("index_bytes")),
        _measured_row("SQLite FTS5", "index Trawl's extracted text only", fts, raw, t,
                      fts["db_bytes"] if fts else None),
    ]
    return [r for r in rows if r]


def baseline_section(results: dict[str, Any]) -> list[str]:
    s = main_size(results)
    if not s.get("trawl"):
        return []
    head = ["system", "what it does", "wall s", "MB/s", "CPU s", "peak RSS MB",
            "index/output MB", "Trawl ÷ it, wall", "Trawl ÷ it, CPU", "Trawl ÷ it, RSS"]
    out = [f"### Ingestion against baselines ({s['label']}, same files, same run)", "",
           *table(head, baseline_rows(s), "llrrrrrrrr")]
    return out + unreadable_notes(s)


def unreadable_notes(s: dict[str, Any]) -> list[str]:
    notes = []
    rec = (s.get("recoll") or {}).get("index")
    if rec:
        errs = ", ".join(f"{k} {v}" for k, v in rec["errors_by_mime"].items()) or "none"
        notes.append(f"- Recoll could not read: {errs} (its log); "
                     f"{rec['file_errors']} file errors in its status; missing helpers: "
                     f"{rec['missing_helpers'] or 'none'}.")
    tk = s.get("tika")
    if tk:
        notes.append(f"- Tika: {tk['handled_exceptions']} parse exceptions, "
                     f"{tk['without_output']} files without output, {tk['passes']} pass(es), "
                     f"crashed the parser JVM: {', '.join(tk['crashed']) or 'none'}.")
    fl = s.get("floor")
    if fl:
        notes.append(f"- Floor: {fl['files']} files, {fl['pdfs']} PDFs, {fl['pdf_pages']} "
                     f"pages on {fl['workers']} processes ({fl['pdf_tool']}).")
    cat = s["trawl"]["catalog"]
    notes.append(f"- Trawl: statuses {cat['status']}, rows by kind {cat['kinds']}, "
                 f"{cat['documents']} documents.")
    return [*notes, ""]


def ocr_section(results: dict[str, Any]) -> list[str]:
    o = main_size(results).get("ocr")
    if not o:
        return []
    t = o["trawl"]
    rows = [["**Trawl** (`trawl ocr`)", t.get("pages"), t["wall_s"], t.get("pages_per_s"),
             t["cpu_s"], t["peak_rss"] / MB, "1.00×"]]
    for name, m in (("Tesseract alone (floor)", o.get("floor")),
                    ("Apache Tika, OCR on", o.get("tika"))):
        if m:
            pages = m.get("pages")
            rows.append([name, pages, m["wall_s"], round(pages / m["wall_s"], 3) if pages
                         else None, m["cpu_s"], m["peak_rss"] / MB,
                         ratio(t["wall_s"], m["wall_s"])])
    return [f"### OCR (sample of the {main_size(results)['label']} corpus: {o['files']} files "
            f"waiting for OCR, {o['bytes'] / MB:.1f} MB)", "",
            *table(["system", "pages", "wall s", "pages/s", "CPU s", "peak RSS MB",
                    "Trawl ÷ it, wall"], rows),
            "Trawl's OCR stage (render at 300 dpi, skew check, Tesseract eng+fra one thread "
            "per worker, cache, merge into the text, re-index) against Tesseract alone on the "
            "same pages (same languages, same processes) and Tika's batch mode with its "
            "default OCR. At this speed OCR dominates ingestion: the runs above use "
            "`--no-ocr`.", ""]


def per_format_section(results: dict[str, Any]) -> list[str]:
    pf = results.get("per_format") or {}
    fixed = (pf.get("startup") or {}).get("wall_s", 0.0)
    rows = [_format_row(ext, r, fixed) for ext, r in (pf.get("formats") or {}).items() if r]
    if not rows:
        return []
    head = ["extension", "files", "MB", "Trawl wall s", "net s", "net files/s", "net MB/s",
            "CPU s", "peak RSS MB", "floor wall s", "Trawl ÷ floor"]
    return [f"### Speed per format (each extension in its own run, {pf['corpus']} corpus)",
            "", *table(head, rows),
            "Each row is a separate `trawl ingest` of that extension's files only (hard "
            "links, same paths). *net* subtracts the wall time of ingesting an empty folder "
            f"({fixed:.1f} s, the best of 2: worker start-up, index open and commit), paid "
            "once per run; it is left out where it would be under a quarter of the run. "
            "Containers (zip, eml) include their members' extraction; the floor does not "
            "open them.", ""]


def _format_row(ext: str, r: dict[str, Any], fixed: float) -> list[Any]:
    """One extension's row; *net* only where the files took a quarter of the run or more
    (below that it is mostly noise in the fixed cost)."""
    t, f = r["trawl"], r.get("floor")
    net = t["wall_s"] - fixed
    shown = net >= 0.25 * t["wall_s"]
    return [ext, t["files"], t["bytes"] / MB, t["wall_s"], net if shown else None,
            t["files"] / net if shown else None, t["bytes"] / MB / net if shown else None,
            t["cpu_s"], t["peak_rss"] / MB, f["wall_s"] if f else None,
            ratio(t["wall_s"], f and f["wall_s"])]


def composition_section(results: dict[str, Any]) -> list[str]:
    s = main_size(results)
    if not s.get("trawl"):
        return []
    rows = [[fam, v.get("files", 0), v.get("bytes", 0) / MB, v.get("contents", 0),
             v.get("text_chars", 0) / MB]
            for fam, v in s["trawl"]["catalog"]["by_family"].items()]
    return [f"### What the {s['label']} corpus is made of (Trawl's catalog)", "",
            *table(["type", "files (members too)", "MB", "unique contents",
                    "text M chars"], rows), ""]
