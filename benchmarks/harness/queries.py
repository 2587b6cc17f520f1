"""The fixed query set, written once per engine, and latency statistics.

Seven queries, each a kind of load: a rare term (a word the generator planted once, in a
text PDF), a common term, a boolean, a phrase, a prefix, facet-heavy (every document with
every facet counted: the first page of the web UI), and date-sorted. Each engine gets the
closest thing it can run; `None` means it has no equivalent and the query is not run there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FALLBACK_RARE = "carfentanil"


@dataclass(frozen=True)
class BenchQuery:
    name: str
    trawl: str                          # Trawl's query syntax ("" = every document)
    sort: str = "relevance"             # relevance | date_desc
    facets: bool = False                # count every facet
    fts: str | None = ""                # FTS5 MATCH expression; "" = no MATCH (all rows)
    recoll: str | None = None           # recollq query language
    rg_all: list[str] | None = None     # regexes a file must all match (ripgrep, -i)
    rg_any: list[str] = field(default_factory=list)   # ...and at least one of these
    rg_none: list[str] = field(default_factory=list)  # ...and none of these


def rare_term(needles: list[dict[str, str]]) -> str:
    for kind in ("pdf", "docx", "csv"):
        for n in needles:
            if n.get("kind") == kind:
                return n["term"]
    return needles[0]["term"] if needles else FALLBACK_RARE


def query_set(needles: list[dict[str, str]]) -> list[BenchQuery]:
    rare = rare_term(needles)
    return [
        BenchQuery("rare", rare, fts=rare, recoll=rare, rg_all=[rare]),
        BenchQuery("common", "report", fts="report", recoll="report", rg_all=[r"\breport"]),
        BenchQuery("boolean", "fentanyl AND (heroin OR cocaine) NOT marijuana",
                   fts="fentanyl AND (heroin OR cocaine) NOT marijuana",
                   recoll="fentanyl (heroin OR cocaine) -marijuana",
                   rg_all=["fentanyl"], rg_any=["heroin", "cocaine"], rg_none=["marijuana"]),
        BenchQuery("phrase", '"human trafficking"', fts='"human trafficking"',
                   recoll='"human trafficking"', rg_all=[r"human\s+trafficking"]),
        BenchQuery("prefix", "surveil*", fts="surveil*", recoll="surveil*",
                   rg_all=[r"\bsurveil"]),
        BenchQuery("facets", "", facets=True, fts=""),
        BenchQuery("date_sorted", "report", sort="date_desc", fts="report",
                   recoll="report", rg_all=[r"\breport"]),
    ]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_stats(seconds: list[float]) -> dict[str, Any]:
    """p50/p95/p99/mean/max in milliseconds, and the sample count."""
    if not seconds:
        return {"n": 0}
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 3),
            "p95_ms": round(percentile(ms, 95), 3), "p99_ms": round(percentile(ms, 99), 3),
            "mean_ms": round(sum(ms) / len(ms), 3), "max_ms": round(max(ms), 3)}
