"""PNG charts of a run: ingestion cost and query latency against corpus size (matplotlib, Agg).

* ingest_cost.png: wall time, CPU time, peak memory and on-disk size of Trawl against the
  corpus size, with the baselines measured at each size as separate series (log-log for
  times and sizes when the corpus sizes span 5x or more: proportional growth is a straight
  line of slope 1).
* query_latency.png: left, Trawl's p50 (solid) and p95 (dashed) per query against corpus
  size; right, p50 per query and engine on the largest corpus (log scale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .report import MB, main_size  # noqa: E402
from .report_search import engine_stats  # noqa: E402

BASELINE_INGEST = {"floor": ("extraction floor", lambda s: s.get("floor")),
                   "recoll": ("Recoll", lambda s: (s.get("recoll") or {}).get("index")),
                   "tika": ("Apache Tika", lambda s: s.get("tika")),
                   "fts5": ("FTS5 build (text only)",
                            lambda s: (s.get("fts5") or {}).get("build"))}


def _series(sizes: list[dict[str, Any]], get: Any, key: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for s in sizes:
        m = get(s)
        if m and m.get(key) is not None:
            xs.append(s["trawl"]["ingest"]["bytes"] / MB)
            ys.append(m[key])
    return xs, ys


def _size_axis(ax: Any, sizes: list[dict[str, Any]], log_y: bool = False) -> None:
    """Corpus size on x; logarithmic when the sizes span 5x or more, and then y too if
    `log_y` (so that a cost growing in proportion to the size is a straight line)."""
    xs = [s["trawl"]["ingest"]["bytes"] / MB for s in sizes]
    ax.set_xlabel("corpus size")
    if xs and min(xs) > 0 and max(xs) / min(xs) >= 5:
        ax.set_xscale("log")
        if log_y:
            ax.set_yscale("log")
        ax.set_xticks(xs, [s["label"] for s in sizes])
        ax.minorticks_off()


def _plot_metric(ax: Any, sizes: list[dict[str, Any]], key: str, scale: float,
                 title: str, ylabel: str, log_y: bool = True) -> None:
    xs, ys = _series(sizes, lambda s: s["trawl"]["ingest"], key)
    ax.plot(xs, [y / scale for y in ys], "o-", lw=2, label="Trawl")
    for name, get in BASELINE_INGEST.values():
        bx, by = _series(sizes, get, key)
        if bx:
            ax.plot(bx, [y / scale for y in by], "s--", label=name)
    ax.set_title(title)
    _size_axis(ax, sizes, log_y)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def _plot_storage(ax: Any, sizes: list[dict[str, Any]]) -> None:
    xs = [s["trawl"]["ingest"]["bytes"] / MB for s in sizes]
    for key, label in (("catalog_bytes", "catalog"), ("index_bytes", "index"),
                       ("blob_bytes", "blobs"), ("text_chars", "extracted text (M chars)")):
        ax.plot(xs, [s["trawl"]["storage"][key] / MB for s in sizes], "o-", label=label)
    bx, by = _series(sizes, lambda s: (s.get("recoll") or {}).get("index"), "index_bytes")
    if bx:
        ax.plot(bx, [y / MB for y in by], "s--", label="Recoll index")
    ax.set_title("on disk")
    _size_axis(ax, sizes, log_y=True)
    ax.set_ylabel("MB")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def ingest_chart(results: dict[str, Any], path: Path) -> None:
    sizes = [s for s in results["sizes"] if s.get("trawl")]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    _plot_metric(axes[0][0], sizes, "wall_s", 1, "ingestion wall time", "seconds")
    _plot_metric(axes[0][1], sizes, "cpu_s", 1, "CPU time (process tree)", "CPU seconds")
    _plot_metric(axes[1][0], sizes, "peak_rss", MB, "peak memory (RSS, process tree)", "MB",
                 log_y=False)
    _plot_storage(axes[1][1], sizes)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"Ingestion cost against corpus size ({results['meta']['machine']['cores']}"
                 f" cores, {results['meta']['workers']} workers; log-log where sizes span 5x+)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _growth(ax: Any, sizes: list[dict[str, Any]]) -> None:
    xs = [s["trawl"]["ingest"]["bytes"] / MB for s in sizes]
    for i, qname in enumerate(sizes[-1]["search"]["queries"]):
        color = f"C{i}"
        for key, style in (("p50_ms", "o-"), ("p95_ms", "x--")):
            ys = [s["search"]["queries"].get(qname, {}).get(key) for s in sizes]
            ax.plot(xs, ys, style, color=color, label=qname if key == "p50_ms" else None)
    ax.set_title("Trawl (library): p50 solid, p95 dashed")
    _size_axis(ax, sizes)
    ax.set_ylabel("ms")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _engines(ax: Any, s: dict[str, Any]) -> None:
    per = engine_stats(s)
    names = list(s["search"]["queries"])
    engines = [(k, label) for k, label in (("trawl", "Trawl"), ("http1", "Trawl HTTP"),
                                           ("fts5", "FTS5"), ("rg", "ripgrep"),
                                           ("recoll", "recollq")) if per[k]]
    width = 0.8 / max(len(engines), 1)
    for j, (key, label) in enumerate(engines):
        ys = [per[key].get(q, {}).get("p50_ms") or 0 for q in names]
        ax.bar([i + j * width for i in range(len(names))], ys, width, label=label)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=30)
    ax.set_yscale("log")
    ax.set_ylabel("p50 ms (log)")
    ax.set_title(f"engines on the {s['label']} corpus")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")


def latency_chart(results: dict[str, Any], path: Path) -> None:
    sizes = [s for s in results["sizes"] if s.get("search") and s.get("trawl")]
    if not sizes:
        return
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    _growth(axes[0], sizes)
    _engines(axes[1], main_size(results))
    fig.suptitle("Query latency")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def all_charts(results: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = [folder / "ingest_cost.png", folder / "query_latency.png"]
    ingest_chart(results, out[0])
    latency_chart(results, out[1])
    return [p for p in out if p.exists()]
